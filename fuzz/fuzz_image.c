/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes through format sniffing, every decoder
 * and the PDQ hasher (vg_imagehash_mem), in all modes.  The first byte picks
 * the flags; limits are small so that a claimed huge image is refused from
 * its header rather than exhausting the fuzzer's memory.
 * Invariants checked: success implies sane dimensions and quality; the
 * decoder (vg_media_decode, JPEG scaling as the byte picks) pushes rows only
 * after begin(), never more than out_height of them nor wider than the
 * stride, with out_width x out_height within the header's width x height
 * and the limits; decoding twice gives the same answer, the same info and
 * the same pixels (memcmp: no uninitialised or stale bytes); never a crash,
 * leak or undefined behaviour (run under ASan+UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/imagehash.h"
#include "vigil/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PIXELS (4u * 1000 * 1000)

struct pixels {
    struct vg_media_info info;
    uint8_t *buf;   /* out_width * out_height * channels */
    size_t row;     /* bytes of one row */
    unsigned nrows; /* rows received */
    int begun;
};

static int begin(void *ctx, const struct vg_media_info *info)
{
    struct pixels *p = ctx;

    if (p->begun || !info->out_width || !info->out_height ||
        info->out_width > info->width || info->out_height > info->height ||
        (uint64_t)info->width * info->height > MAX_PIXELS ||
        (info->channels != 1 && info->channels != 3))
        abort();
    p->begun = 1;
    p->info = *info;
    p->row = (size_t)info->out_width * info->channels;
    if (!(p->buf = malloc(p->row * info->out_height)))
        return VG_ENOMEM;
    return VG_OK;
}

static int rows(void *ctx, const uint8_t *r, size_t stride, unsigned n)
{
    struct pixels *p = ctx;

    if (!p->begun || !n || n > p->info.out_height - p->nrows ||
        (n > 1 && stride < p->row))
        abort();
    for (unsigned i = 0; i < n; i++)
        memcpy(p->buf + (p->nrows + i) * p->row, r + i * stride, p->row);
    p->nrows += n;
    return VG_OK;
}

static int decode(const uint8_t *data, size_t size,
                  const struct vg_media_opts *o, struct pixels *p)
{
    struct vg_media_sink sink = {begin, rows, p};
    struct vg_media_info info;
    struct vg_err err;

    memset(p, 0, sizeof(*p));
    return vg_media_decode(data, size, o, &sink, &info, &err);
}

static void decode_twice(const uint8_t *data, size_t size, uint8_t mode)
{
    struct vg_media_opts o = {{MAX_PIXELS, 1u << 20}, 0, 0};
    struct pixels a, b;
    int ra, rb;

    o.scale_min_side = mode & 0x80 ? 64 : 0;
    o.grey_from_decoder = !!(mode & 0x40);
    ra = decode(data, size, &o, &a);
    rb = decode(data, size, &o, &b);
    if (ra != rb || a.begun != b.begun || a.nrows != b.nrows)
        abort();
    if (a.begun &&
        (a.info.format != b.info.format || a.info.width != b.info.width ||
         a.info.height != b.info.height ||
         a.info.out_width != b.info.out_width ||
         a.info.out_height != b.info.out_height ||
         a.info.channels != b.info.channels ||
         memcmp(a.buf, b.buf, a.row * a.nrows)))
        abort();
    if (ra == VG_OK && a.nrows != a.info.out_height)
        abort();
    free(a.buf);
    free(b.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_imagehash_opts opts = {0, {MAX_PIXELS, 1u << 20}};
    struct vg_imagehash h;
    struct vg_err err;

    if (size < 1)
        return 0;
    opts.flags = data[0] & (VG_IMAGEHASH_DIHEDRAL | VG_IMAGEHASH_PRESCALE_512 |
                            VG_IMAGEHASH_FAST);
    if ((opts.flags & VG_IMAGEHASH_FAST) &&
        (opts.flags & VG_IMAGEHASH_PRESCALE_512))
        opts.flags &= ~(unsigned)VG_IMAGEHASH_FAST;
    /* the rest is the file: a valid image from the corpus keeps its magic
     * when the mutator leaves byte 0 alone */
    if (vg_imagehash_mem(data + 1, size - 1, &opts, &h, &err) == VG_OK) {
        if (h.width == 0 || h.height == 0 || h.pdq.quality < 0 ||
            h.pdq.quality > 100 ||
            (uint64_t)h.width * h.height > opts.limits.max_pixels)
            abort();
    }
    decode_twice(data + 1, size - 1, data[0]);
    return 0;
}
