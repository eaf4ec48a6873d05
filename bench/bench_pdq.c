/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PDQ kernels alone (luma, blur, decimation, DCT; no decoding): decode an
 * image once into memory, then time the streaming hasher with each kernel
 * set the CPU supports, checking they agree bit for bit.
 *   build/release/bench_pdq FILE [ITERATIONS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/media.h"
#include "vigil/pdq.h"

struct img {
    unsigned w, h, ch, rows;
    uint8_t *px;
};

static int on_begin(void *ctx, const struct vg_media_info *info)
{
    struct img *im = ctx;

    im->w = info->out_width;
    im->h = info->out_height;
    im->ch = info->channels;
    im->px = malloc((size_t)im->w * im->h * im->ch);
    return im->px ? VG_OK : VG_ENOMEM;
}

static int on_rows(void *ctx, const uint8_t *rows, size_t stride, unsigned n)
{
    struct img *im = ctx;
    size_t row = (size_t)im->w * im->ch;

    for (unsigned i = 0; i < n; i++, im->rows++)
        memcpy(im->px + im->rows * row, rows + i * stride, row);
    return VG_OK;
}

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const char *impls[] = {"scalar", "sse2", "avx2", "avx512"};
    struct img im = {0};
    struct vg_media_sink sink = {on_begin, on_rows, &im};
    struct vg_media_info info;
    struct vg_pdq_result first, r;
    int iters = argc > 2 ? atoi(argv[2]) : 5, have_first = 0;
    FILE *f;
    long n;
    uint8_t *data;

    if (argc < 2 || !(f = fopen(argv[1], "rb"))) {
        fprintf(stderr, "usage: bench_pdq FILE [ITERATIONS]\n");
        return 2;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = malloc((size_t)n);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n ||
        vg_media_decode(data, (size_t)n, NULL, &sink, &info, NULL)) {
        fprintf(stderr, "bench_pdq: cannot decode %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    printf("%s: %ux%u, %u channel(s), %d iterations\n", argv[1], im.w, im.h,
           im.ch, iters);
    for (size_t k = 0; k < 4; k++) {
        if (vg_pdq_set_impl(impls[k]))
            continue;
        double best = 1e9;
        for (int it = 0; it < iters; it++) {
            struct vg_pdq_stream *s;
            double t = now();
            if (vg_pdq_stream_new(im.w, im.h, im.ch, 0, &s) ||
                vg_pdq_stream_push(s, im.px, (size_t)im.w * im.ch, im.h) ||
                vg_pdq_stream_finish(s, &r))
                return 1;
            vg_pdq_stream_free(s);
            t = now() - t;
            best = t < best ? t : best;
        }
        if (!have_first)
            first = r, have_first = 1;
        printf("  %-7s %7.2f ms  %5.2f ns/pixel  %s\n", impls[k], best * 1e3,
               best * 1e9 / ((double)im.w * im.h),
               vg_pdq_distance(&first.hash, &r.hash) ? "DIFFERENT HASH"
                                                     : "same hash");
    }
    free(im.px);
    free(data);
    return 0;
}
