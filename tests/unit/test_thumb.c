/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Review thumbnails (vigil/thumb.h): a JPEG whose longest side is 160,
 * aspect kept, never enlarged, from JPEG and PNG photos and from pixels
 * pushed by hand; the box filter's means (a black and white image stays
 * black and white where it was); grey in, grey out; the greyscale and
 * blurred rendition; bad calls and every allocation failing in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/thumb.h"

/* ---- decoding a thumbnail back ---- */

struct img {
    struct vg_media_info info;
    uint8_t *px; /* out_width * out_height * channels */
    unsigned row;
};

static int img_begin(void *ctx, const struct vg_media_info *info)
{
    struct img *m = ctx;

    m->info = *info;
    m->px = malloc((size_t)info->out_width * info->out_height *
                   info->channels);
    return m->px ? VG_OK : VG_ENOMEM;
}

static int img_rows(void *ctx, const uint8_t *rows, size_t stride,
                    unsigned nrows)
{
    struct img *m = ctx;
    size_t w = (size_t)m->info.out_width * m->info.channels;

    for (unsigned r = 0; r < nrows; r++, m->row++)
        memcpy(m->px + m->row * w, rows + r * stride, w);
    return VG_OK;
}

/* Decode JPEG bytes; VG_OK and a JPEG, or fail. */
static int decode(const uint8_t *d, size_t n, struct img *m)
{
    struct vg_media_sink sink = {img_begin, img_rows, m};
    struct vg_media_info info;
    struct vg_err err = {0};
    int rc;

    memset(m, 0, sizeof(*m));
    rc = vg_media_decode(d, n, NULL, &sink, &info, &err);
    if (rc)
        fprintf(stderr, "  decode: %s\n", err.msg);
    else if (info.format != VG_MEDIA_JPEG)
        rc = VG_EFORMAT;
    return rc;
}

static void thumb_of_file(const char *name, unsigned want_w, unsigned want_h)
{
    char path[512];
    size_t len = 0, n = 0;
    uint8_t *data, *jpeg = NULL;
    unsigned w = 0, h = 0;
    struct vg_err err = {0};
    struct img m;

    snprintf(path, sizeof(path), "%s/photos/%s", VIGIL_TESTDATA, name);
    data = th_slurp(path, &len);
    TH_CHECK(data != NULL);
    if (!data)
        return;
    TH_EQ_INT(vg_thumb_mem(data, len, NULL, &jpeg, &n, &w, &h, &err), VG_OK);
    TH_EQ_INT(w, want_w);
    TH_EQ_INT(h, want_h);
    /* small: a few KiB at quality 70 */
    TH_CHECK(n > 500 && n < 40000);
    TH_EQ_INT(decode(jpeg, n, &m), VG_OK);
    TH_EQ_INT(m.info.width, want_w);
    TH_EQ_INT(m.info.height, want_h);
    TH_EQ_INT(m.info.channels, 3);
    free(m.px);
    vg_free(jpeg);
    free(data);
}

static void test_photos(void)
{
    /* 4352 x 2448 progressive JPEG: 160 x 90 (2448 * 160 / 4352 = 90.0) */
    thumb_of_file("0001.jpg", 160, 90);
    /* 1920 x 1277 RGBA PNG: 160 x 106 (106.4) */
    thumb_of_file("0016.png", 160, 106);
}

/* Push w x h pixels of ch channels made by f(x, y, c) through a builder. */
static int push(const struct vg_thumb_opts *o, unsigned w, unsigned h,
                unsigned ch, uint8_t (*f)(unsigned, unsigned, unsigned),
                uint8_t **jpeg, size_t *n, unsigned *tw, unsigned *th)
{
    struct vg_thumb *t = NULL;
    struct vg_media_sink sink;
    struct vg_media_info info;
    struct vg_err err = {0};
    uint8_t *row = malloc((size_t)w * ch);
    int rc;

    memset(&info, 0, sizeof(info));
    info.width = info.out_width = w;
    info.height = info.out_height = h;
    info.channels = ch;
    if ((rc = vg_thumb_new(o, &t)))
        goto done;
    vg_thumb_sink(t, &sink);
    if ((rc = sink.begin(sink.ctx, &info)))
        goto done;
    for (unsigned y = 0; y < h && !rc; y++) {
        for (unsigned x = 0; x < w; x++)
            for (unsigned c = 0; c < ch; c++)
                row[(size_t)x * ch + c] = f(x, y, c);
        rc = sink.rows(sink.ctx, row, (size_t)w * ch, 1);
    }
    if (!rc)
        rc = vg_thumb_finish(t, jpeg, n, tw, th, &err);
done:
    vg_thumb_free(t);
    free(row);
    return rc;
}

static uint8_t halves(unsigned x, unsigned y, unsigned c)
{
    (void)y;
    (void)c;
    return x < 160 ? 0 : 255;
}

static uint8_t stripes(unsigned x, unsigned y, unsigned c)
{
    (void)c;
    return ((x / 4 + y / 4) & 1) ? 255 : 0;
}

static uint8_t grey_ramp(unsigned x, unsigned y, unsigned c)
{
    (void)c;
    return (uint8_t)((x + y) & 0xff);
}

static uint8_t red(unsigned x, unsigned y, unsigned c)
{
    (void)x;
    (void)y;
    return c == 0 ? 255 : 0;
}

static void test_box_filter(void)
{
    uint8_t *jpeg = NULL;
    size_t n = 0;
    unsigned w = 0, h = 0;
    struct img m;

    /* 320 x 160, left black, right white: 160 x 80, each half kept */
    TH_EQ_INT(push(NULL, 320, 160, 3, halves, &jpeg, &n, &w, &h), VG_OK);
    TH_EQ_INT(w, 160);
    TH_EQ_INT(h, 80);
    TH_EQ_INT(decode(jpeg, n, &m), VG_OK);
    if (m.px) {
        /* away from the edge JPEG blurs */
        for (unsigned y = 0; y < 80; y += 9) {
            TH_CHECK(m.px[(y * 160 + 20) * 3] < 24);
            TH_CHECK(m.px[(y * 160 + 140) * 3 + 1] > 231);
        }
    }
    free(m.px);
    vg_free(jpeg);

    /* 4-pixel checks averaged over 2 x 2 cells: mid-grey, about */
    TH_EQ_INT(push(NULL, 640, 640, 1, stripes, &jpeg, &n, &w, &h), VG_OK);
    TH_EQ_INT(w, 160);
    TH_EQ_INT(h, 160);
    TH_EQ_INT(decode(jpeg, n, &m), VG_OK);
    TH_EQ_INT(m.info.channels, 1);
    if (m.px) {
        long sum = 0;
        for (unsigned i = 0; i < 160 * 160; i++)
            sum += m.px[i];
        TH_CHECK(sum / (160 * 160) > 110 && sum / (160 * 160) < 145);
    }
    free(m.px);
    vg_free(jpeg);
}

static void test_sizes(void)
{
    uint8_t *jpeg = NULL;
    size_t n = 0;
    unsigned w = 0, h = 0;
    struct vg_thumb_opts o = {0};

    /* never enlarged */
    TH_EQ_INT(push(NULL, 100, 50, 3, red, &jpeg, &n, &w, &h), VG_OK);
    TH_EQ_INT(w, 100);
    TH_EQ_INT(h, 50);
    vg_free(jpeg);
    /* extreme aspect: one row stays one row */
    TH_EQ_INT(push(NULL, 5000, 1, 1, grey_ramp, &jpeg, &n, &w, &h), VG_OK);
    TH_EQ_INT(w, 160);
    TH_EQ_INT(h, 1);
    vg_free(jpeg);
    TH_EQ_INT(push(NULL, 3, 2000, 3, red, &jpeg, &n, &w, &h), VG_OK);
    TH_EQ_INT(w, 1); /* 3 * 160 / 2000 rounds to 0: one column */
    TH_EQ_INT(h, 160);
    vg_free(jpeg);
    /* another side */
    o.max_side = 64;
    TH_EQ_INT(push(&o, 300, 200, 3, red, &jpeg, &n, &w, &h), VG_OK);
    TH_EQ_INT(w, 64);
    TH_EQ_INT(h, 43); /* 42.67 */
    vg_free(jpeg);
}

/* Sum of absolute differences between horizontal neighbours. */
static long variation(const struct img *m)
{
    unsigned ch = m->info.channels, w = m->info.out_width;
    long v = 0;

    for (unsigned y = 0; y < m->info.out_height; y++)
        for (unsigned x = 1; x < w; x++) {
            int a = m->px[((size_t)y * w + x) * ch];
            int b = m->px[((size_t)y * w + x - 1) * ch];
            v += a > b ? a - b : b - a;
        }
    return v;
}

static void test_grey_blur(void)
{
    struct vg_thumb_opts o = {0};
    uint8_t *plain = NULL, *obscured = NULL;
    size_t np = 0, no = 0;
    unsigned w = 0, h = 0;
    struct img a, b;

    TH_EQ_INT(push(NULL, 640, 480, 3, stripes, &plain, &np, &w, &h), VG_OK);
    o.flags = VG_THUMB_GREY | VG_THUMB_BLUR;
    TH_EQ_INT(push(&o, 640, 480, 3, stripes, &obscured, &no, &w, &h), VG_OK);
    TH_EQ_INT(decode(plain, np, &a), VG_OK);
    TH_EQ_INT(decode(obscured, no, &b), VG_OK);
    TH_EQ_INT(a.info.channels, 3);
    TH_EQ_INT(b.info.channels, 1); /* greyscale */
    TH_EQ_INT(b.info.out_width, 160);
    TH_EQ_INT(b.info.out_height, 120);
    /* the checks are gone: far less variation than the plain thumbnail */
    if (a.px && b.px)
        TH_CHECK(variation(&b) * 10 < variation(&a));
    free(a.px);
    free(b.px);
    vg_free(plain);
    vg_free(obscured);
}

static void test_errors(void)
{
    struct vg_thumb_opts o = {0};
    struct vg_thumb *t = NULL;
    struct vg_media_sink sink;
    struct vg_media_info info;
    struct vg_err err = {0};
    const uint8_t junk[] = "\xff\xd8\xff not a JPEG at all";
    uint8_t row[30] = {0};
    uint8_t *jpeg = NULL;
    size_t n = 0;

    o.quality = 101;
    TH_EQ_INT(vg_thumb_new(&o, &t), VG_EINVAL);
    o.quality = 0;
    o.max_side = VG_THUMB_MAX_SIDE + 1;
    TH_EQ_INT(vg_thumb_new(&o, &t), VG_EINVAL);
    TH_CHECK(vg_thumb_mem(junk, sizeof(junk) - 1, NULL, &jpeg, &n, NULL, NULL,
                          &err) != VG_OK);
    TH_CHECK(jpeg == NULL);
    /* finishing before every row came */
    TH_EQ_INT(vg_thumb_new(NULL, &t), VG_OK);
    TH_EQ_INT(vg_thumb_finish(t, &jpeg, &n, NULL, NULL, &err), VG_EINVAL);
    vg_thumb_sink(t, &sink);
    memset(&info, 0, sizeof(info));
    info.out_width = 10;
    info.out_height = 2;
    info.channels = 3;
    TH_EQ_INT(sink.begin(sink.ctx, &info), VG_OK);
    TH_EQ_INT(sink.begin(sink.ctx, &info), VG_EINVAL); /* twice */
    TH_EQ_INT(sink.rows(sink.ctx, row, sizeof(row), 1), VG_OK);
    TH_EQ_INT(vg_thumb_finish(t, &jpeg, &n, NULL, NULL, &err), VG_EINVAL);
    /* more rows than the image has */
    TH_EQ_INT(sink.rows(sink.ctx, row, sizeof(row), 2), VG_EINVAL);
    TH_EQ_INT(sink.rows(sink.ctx, row, sizeof(row), 1), VG_OK);
    TH_EQ_INT(vg_thumb_finish(t, &jpeg, &n, NULL, NULL, &err), VG_OK);
    vg_free(jpeg);
    vg_thumb_free(t);
    vg_thumb_free(NULL);
    /* two channels is not a layout the decoders push */
    TH_EQ_INT(vg_thumb_new(NULL, &t), VG_OK);
    vg_thumb_sink(t, &sink);
    info.channels = 2;
    TH_EQ_INT(sink.begin(sink.ctx, &info), VG_EINVAL);
    vg_thumb_free(t);
}

static void test_alloc_failures(void)
{
    size_t len = 0;
    /* a JPEG: libspng 0.7.3 frees a bad pointer when some allocations
       fail inside it (0016.png, release builds), not this code's to fix */
    uint8_t *data = th_slurp(VIGIL_TESTDATA "/photos/0001.jpg", &len);
    int ok = 0;

    TH_CHECK(data != NULL);
    if (!data)
        return;
    for (long k = 0; k < 200 && !ok; k++) {
        uint8_t *jpeg = NULL;
        size_t n = 0;
        struct vg_err err = {0};
        int rc;

        vg_alloc_fail_after(k);
        rc = vg_thumb_mem(data, len, NULL, &jpeg, &n, NULL, NULL, &err);
        vg_alloc_fail_after(-1);
        if (rc == VG_OK) {
            ok = 1;
            TH_CHECK(n > 0);
        } else {
            TH_CHECK(jpeg == NULL);
        }
        vg_free(jpeg);
    }
    TH_CHECK(ok);
    free(data);
}

int main(void)
{
    TH_RUN(test_photos);
    TH_RUN(test_box_filter);
    TH_RUN(test_sizes);
    TH_RUN(test_grey_blur);
    TH_RUN(test_errors);
    TH_RUN(test_alloc_failures);
    return th_done();
}
