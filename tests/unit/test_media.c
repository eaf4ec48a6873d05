/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/media: sniffing, every decoder against known pixels
 * (images generated here in memory: PNG with stored deflate, BMP, GIF via
 * giflib, JPEG via libjpeg, WebP via libwebp) and against the reference
 * command-line decoders (djpeg, pngtopnm, dwebp, giftopnm, bmptopnm; a
 * missing tool fails the test), limits checked
 * before allocation, truncated and corrupted input of every format (decoded
 * with a warning or VG_ECORRUPT, never a crash or leak), sink errors and
 * allocation failures.  Benign images only: shared testdata or generated.
 * Set VIGIL_MEDIA_ALL=1 to check every photo's size against the expected
 * file (slow), VIGIL_MEDIA_KEEP=1 to keep the scratch files in /tmp.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gif_lib.h>
#include <jpeglib.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/media.h"

#define TD VIGIL_TESTDATA
#define MODES TD "/threatexchange/pdq/data/misc-images/modes/"
#define MISC TD "/threatexchange/pdq/data/misc-images/"
#define PHOTOS TD "/photos/"

#include "media_fixtures.h"

/* ======================= the tests ======================= */

static void test_sniff(void)
{
    static const uint8_t jpg[] = {0xff, 0xd8, 0xff, 0xe0};
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    uint8_t bmp[18] = {'B', 'M'};

    TH_EQ_INT(vg_media_sniff(jpg, 4), VG_MEDIA_JPEG);
    TH_EQ_INT(vg_media_sniff(jpg, 3), VG_MEDIA_JPEG);
    TH_EQ_INT(vg_media_sniff(jpg, 2), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff(png, 8), VG_MEDIA_PNG);
    TH_EQ_INT(vg_media_sniff(png, 7), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"GIF87a", 6), VG_MEDIA_GIF);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"GIF89a..", 8), VG_MEDIA_GIF);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"GIF88a", 6), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"GIF89", 5), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"RIFF\1\0\0\0WEBPVP8 ", 16),
              VG_MEDIA_WEBP);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"RIFF\1\0\0\0WAVEfmt ", 16),
              VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"RIFF\1\0\0\0WEB", 11),
              VG_MEDIA_UNKNOWN);
    bmp[14] = 40;
    TH_EQ_INT(vg_media_sniff(bmp, 18), VG_MEDIA_BMP);
    TH_EQ_INT(vg_media_sniff(bmp, 16), VG_MEDIA_BMP); /* a 16-byte head */
    TH_EQ_INT(vg_media_sniff(bmp, 15), VG_MEDIA_UNKNOWN);
    bmp[14] = 124;
    TH_EQ_INT(vg_media_sniff(bmp, 18), VG_MEDIA_BMP);
    bmp[14] = 12;
    TH_EQ_INT(vg_media_sniff(bmp, 18), VG_MEDIA_BMP);
    bmp[14] = 41;
    TH_EQ_INT(vg_media_sniff(bmp, 18), VG_MEDIA_UNKNOWN);
    bmp[14] = 40;
    bmp[17] = 1; /* 40 + 2^24: not a header size */
    TH_EQ_INT(vg_media_sniff(bmp, 18), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"BM", 2), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff((const uint8_t *)"<html><body>", 12),
              VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff(NULL, 10), VG_MEDIA_UNKNOWN);
    TH_EQ_INT(vg_media_sniff(jpg, 0), VG_MEDIA_UNKNOWN);
    TH_EQ_STR(vg_media_format_name(VG_MEDIA_JPEG), "jpeg");
    TH_EQ_STR(vg_media_format_name(VG_MEDIA_PNG), "png");
    TH_EQ_STR(vg_media_format_name(VG_MEDIA_GIF), "gif");
    TH_EQ_STR(vg_media_format_name(VG_MEDIA_WEBP), "webp");
    TH_EQ_STR(vg_media_format_name(VG_MEDIA_BMP), "bmp");
    TH_EQ_STR(vg_media_format_name(VG_MEDIA_UNKNOWN), "unknown");
    TH_EQ_STR(vg_media_format_name((enum vg_media_format)99), "unknown");
}

static void test_unknown(void)
{
    static const uint8_t junk[] = {0x13, 0x37, 0x00, 0xfe, 0x42, 0x99,
                                   0x01, 0x02, 0x03, 0x04, 0x05};
    struct vg_media_sink sink = {img_begin, img_rows, NULL};
    struct vg_media_info info;
    struct vg_err err;
    struct img im = {0};

    TH_EQ_INT(decode(junk, 0, &im, &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "unsupported format") != NULL);
    TH_EQ_INT(im.info.format, VG_MEDIA_UNKNOWN);
    TH_EQ_INT(decode(NULL, 0, &im, &err), VG_EFORMAT);
    TH_EQ_INT(decode(junk, sizeof(junk), &im, &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "unsupported format") != NULL);
    TH_CHECK(strstr(err.msg, "13 37 00 fe 42 99 01 02") != NULL);
    TH_EQ_INT(im.begins, 0);
    TH_EQ_INT(decode((const uint8_t *)"<!DOCTYPE html>", 15, &im, &err),
              VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "HTML") != NULL);
    TH_EQ_INT(decode((const uint8_t *)"II*\0\x08\0\0\0", 8, &im, &err),
              VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "TIFF") != NULL);
    TH_EQ_INT(decode((const uint8_t *)"\0\0\0\x1c"
                                      "ftypavif",
                     12, &im, &err),
              VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "AVIF") != NULL);
    TH_EQ_INT(decode((const uint8_t *)"xyz", 3, &im, NULL), VG_EFORMAT);
    /* contract violations */
    TH_EQ_INT(vg_media_decode(junk, sizeof(junk), NULL, &sink, NULL, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_media_decode(junk, sizeof(junk), NULL, NULL, &info, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_media_decode(NULL, 5, NULL, &sink, &info, &err), VG_EINVAL);
    img_fini(&im);
}

static void test_max_bytes(void)
{
    struct png_spec ps = {19, 13, 2, 8, 0, 0, 0, 0};
    struct vg_media_opts o;
    struct bytes b = {0};
    struct vg_err err;
    struct img im = {0};
    uint8_t junk[100];

    memset(&o, 0, sizeof(o));
    memset(junk, 0x5a, sizeof(junk));
    o.limits.max_bytes = 10;
    TH_EQ_INT(decode_opts(junk, sizeof(junk), &o, &im, &err), VG_ETOOBIG);
    TH_CHECK(strstr(err.msg, "100 bytes") != NULL);
    make_png(&b, &ps);
    o.limits.max_bytes = b.n - 1;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.begins, 0);
    o.limits.max_bytes = b.n;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_OK);
    bytes_free(&b);
    img_fini(&im);
}

/* ---- JPEG ---- */

static void test_jpeg_files(void)
{
    static const char *files[] = {
        PHOTOS "0015.jpg",
        MISC "small.jpg",
        MISC "wee.jpg",
        MODES "CMYK.jpg",
        MODES "YCbCr.jpg",
        MODES "RGB.jpg",
        MODES "original.jpg",
        TD "/threatexchange/pdq/data/bridge-mods/square-128x128.jpg"};
    char cmd[512];
    struct vg_err err;
    struct img im = {0};
    size_t i;
    int tool = have_tool("djpeg");

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        TH_EQ_INT(decode_path(files[i], NULL, &im, &err), VG_OK);
        TH_EQ_INT(im.info.format, VG_MEDIA_JPEG);
        TH_EQ_INT(im.info.channels, 3);
        TH_EQ_INT(im.info.width, im.info.out_width);
        TH_EQ_STR(im.info.warning, "");
        if (tool) {
            snprintf(cmd, sizeof(cmd), "djpeg -pnm '%s'", files[i]);
            check_ref(&im, cmd);
        }
    }
    TH_EQ_INT(decode_path(MODES "CMYK.jpg", NULL, &im, &err), VG_OK);
    TH_EQ_INT(im.info.width, 1600);
    TH_EQ_INT(im.info.height, 1004);
    img_fini(&im);
}

static void test_jpeg_generated(void)
{
    static const struct {
        unsigned w, h;
        int ncomp;
        J_COLOR_SPACE cs;
        int prog;
        unsigned ch;
    } cases[] = {
        {37, 23, 1, JCS_GRAYSCALE, 0, 1}, {64, 48, 3, JCS_YCbCr, 0, 3},
        {61, 35, 3, JCS_YCbCr, 1, 3},     {33, 17, 3, JCS_RGB, 0, 3},
        {29, 31, 4, JCS_CMYK, 0, 3},      {29, 31, 4, JCS_YCCK, 1, 3},
        {1, 1, 3, JCS_YCbCr, 0, 3},       {300, 2, 1, JCS_GRAYSCALE, 1, 1},
    };
    char cmd[512];
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    const char *path;
    size_t i;
    int tool = have_tool("djpeg");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b.n = 0;
        make_jpeg(&b, cases[i].w, cases[i].h, cases[i].ncomp, cases[i].cs,
                  cases[i].prog);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        TH_EQ_INT(im.info.width, cases[i].w);
        TH_EQ_INT(im.info.height, cases[i].h);
        TH_EQ_INT(im.info.channels, cases[i].ch);
        TH_EQ_STR(im.info.warning, "");
        if (tool && (path = write_tmp("gen.jpg", b.d, b.n))) {
            snprintf(cmd, sizeof(cmd), "djpeg -pnm '%s'", path);
            check_ref(&im, cmd);
        }
    }
    /* truncated: decoded like djpeg does it (which warns, exit status 2) */
    for (i = 0; i < 2; i++) {
        b.n = 0;
        make_jpeg(&b, 64, 48, 3, JCS_YCbCr, (int)i);
        b.n = b.n * 3 / 5;
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        TH_CHECK(!strncmp(im.info.warning, "truncated JPEG: ", 16));
        if (tool && (path = write_tmp("cut.jpg", b.d, b.n))) {
            snprintf(cmd, sizeof(cmd), "djpeg -pnm '%s' 2>/dev/null; true",
                     path);
            check_ref(&im, cmd);
        }
    }
    bytes_free(&b);
    img_fini(&im);
}

static unsigned ceil_div(unsigned a, unsigned b)
{
    return (a + b - 1) / b;
}

static void test_jpeg_options(void)
{
    const char *path = PHOTOS "0015.jpg";
    unsigned w, h, mins[4], d, k, want;
    struct vg_media_opts o;
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    char cmd[512];
    int tool = have_tool("djpeg");

    TH_EQ_INT(decode_path(path, NULL, &im, &err), VG_OK);
    w = im.info.width;
    h = im.info.height;
    mins[0] = 1;
    mins[1] = ceil_div(w < h ? w : h, 4);
    mins[2] = ceil_div(w < h ? w : h, 2);
    mins[3] = (w < h ? w : h) + 1;
    memset(&o, 0, sizeof(o));
    for (k = 0; k < 4; k++) {
        o.scale_min_side = mins[k];
        for (want = 1, d = 8; d >= 2; d /= 2)
            if (ceil_div(w, d) >= mins[k] && ceil_div(h, d) >= mins[k]) {
                want = d;
                break;
            }
        TH_EQ_INT(decode_path(path, &o, &im, &err), VG_OK);
        TH_EQ_INT(im.info.width, w);
        TH_EQ_INT(im.info.height, h);
        TH_EQ_INT(im.info.out_width, ceil_div(w, want));
        TH_EQ_INT(im.info.out_height, ceil_div(h, want));
        if (tool) {
            snprintf(cmd, sizeof(cmd), "djpeg -scale 1/%u -pnm '%s'", want,
                     path);
            check_ref(&im, cmd);
        }
    }
    /* 1/8 of 1600x1004 is 200x126; 1/4 is 400x251 */
    o.scale_min_side = 126;
    TH_EQ_INT(decode_path(MODES "YCbCr.jpg", &o, &im, &err), VG_OK);
    TH_EQ_INT(im.info.out_width, 200);
    TH_EQ_INT(im.info.out_height, 126);
    o.scale_min_side = 127;
    TH_EQ_INT(decode_path(MODES "YCbCr.jpg", &o, &im, &err), VG_OK);
    TH_EQ_INT(im.info.out_width, 400);
    TH_EQ_INT(im.info.out_height, 251);

    /* grey from the decoder: djpeg -grayscale */
    memset(&o, 0, sizeof(o));
    o.grey_from_decoder = 1;
    TH_EQ_INT(decode_path(path, &o, &im, &err), VG_OK);
    TH_EQ_INT(im.info.channels, 1);
    if (tool) {
        snprintf(cmd, sizeof(cmd), "djpeg -grayscale -pnm '%s'", path);
        check_ref(&im, cmd);
    }
    o.scale_min_side = 100;
    TH_EQ_INT(decode_path(path, &o, &im, &err), VG_OK);
    TH_EQ_INT(im.info.channels, 1);
    if (tool) {
        snprintf(cmd, sizeof(cmd), "djpeg -grayscale -scale 1/%u -pnm '%s'",
                 w / im.info.out_width, path);
        check_ref(&im, cmd);
    }
    /* ignored for CMYK (no grey output from libjpeg): still RGB */
    o.scale_min_side = 0;
    TH_EQ_INT(decode_path(MODES "CMYK.jpg", &o, &im, &err), VG_OK);
    TH_EQ_INT(im.info.channels, 3);
    /* an RGB-stored JPEG converts too */
    make_jpeg(&b, 40, 30, 3, JCS_RGB, 0);
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_OK);
    TH_EQ_INT(im.info.channels, 1);
    bytes_free(&b);
    img_fini(&im);
}

/* Offset of the first SOFn segment's height field, or 0. */
static size_t jpeg_sof(const uint8_t *d, size_t n)
{
    size_t i = 2;

    while (i + 9 < n && d[i] == 0xff) {
        if (d[i + 1] >= 0xc0 && d[i + 1] <= 0xc2)
            return i + 5;
        i += 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
    }
    return 0;
}

static void test_jpeg_limits(void)
{
    struct vg_media_opts o;
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    size_t sof;

    make_jpeg(&b, 16, 16, 3, JCS_YCbCr, 0);
    sof = jpeg_sof(b.d, b.n);
    TH_CHECK(sof != 0);
    if (!sof)
        return;
    b.d[sof] = 0xff; /* 65500 = 0xffdc */
    b.d[sof + 1] = 0xdc;
    b.d[sof + 2] = 0xff;
    b.d[sof + 3] = 0xdc;
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.info.width, 65500);
    TH_EQ_INT(im.info.height, 65500);
    TH_EQ_INT(im.begins, 0);
    /* beyond libjpeg's own maximum */
    b.d[sof + 1] = 0xff;
    b.d[sof + 3] = 0xff;
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ETOOBIG);
    /* zero height */
    b.d[sof] = b.d[sof + 1] = 0;
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ECORRUPT);
    bytes_free(&b);

    make_jpeg(&b, 64, 48, 3, JCS_YCbCr, 1);
    memset(&o, 0, sizeof(o));
    o.limits.max_pixels = 64 * 48 - 1;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    o.limits.max_pixels = 64 * 48;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_OK);
    bytes_free(&b);
    img_fini(&im);
}

/* ---- PNG ---- */

static void test_png_generated(void)
{
    static const int cts[] = {0, 0, 0, 0, 0, 2, 2, 3, 3, 3, 3, 4, 4, 6, 6};
    static const int depths[] = {1, 2, 4, 8, 16, 8, 16, 1,
                                 2, 4, 8, 8, 16, 8, 16};
    static const unsigned sizes[][2] = {{19, 13}, {1, 1}, {9, 1}, {3, 17}};
    struct png_spec s;
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    uint8_t *want;
    unsigned i, il, k, ch;
    char what[96];

    for (i = 0; i < sizeof(cts) / sizeof(cts[0]); i++)
        for (il = 0; il < 2; il++)
            for (k = 0; k < 4; k++) {
                memset(&s, 0, sizeof(s));
                s.w = sizes[k][0];
                s.h = sizes[k][1];
                s.ct = cts[i];
                s.depth = depths[i];
                s.interlace = (int)il;
                s.npal = cts[i] == 3 ? (1u << depths[i]) - 1 : 0;
                if (s.npal == 0 && cts[i] == 3)
                    s.npal = 1;
                s.trns = (cts[i] == 0 || cts[i] == 2 || cts[i] == 3) && k % 2;
                s.idat_split = k % 2 ? 37 : 0;
                b.n = 0;
                make_png(&b, &s);
                snprintf(what, sizeof(what), "png ct %d depth %d il %u %ux%u",
                         s.ct, s.depth, il, s.w, s.h);
                TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
                if (err.code)
                    fprintf(stderr, "  %s: %s\n", what, err.msg);
                TH_EQ_STR(im.info.warning, "");
                want = png_expect(&s, &ch);
                check_pixels(&im, s.w, s.h, ch, want, what);
                free(want);
            }
    bytes_free(&b);
    img_fini(&im);
}

static void test_png_reference(void)
{
    static const struct {
        const char *path;
        unsigned ch;
    } files[] = {
        {MODES "L.png", 1},     {MODES "LA.png", 1},    {MODES "P.png", 3},
        {MODES "RGBA.png", 3},  {MODES "1.png", 1},     {PHOTOS "0016.png", 3},
        {PHOTOS "0474.png", 3}, {PHOTOS "0451.png", 3}, {MISC "c.png", 0},
    };
    static const struct png_spec gen[] = {
        {31, 21, 0, 2, 1, 0, 0, 0},  {31, 21, 6, 16, 1, 0, 0, 50},
        {31, 21, 4, 16, 0, 0, 0, 0}, {31, 21, 3, 4, 1, 16, 1, 0},
        {31, 21, 0, 1, 0, 0, 0, 0},  {31, 21, 2, 16, 0, 0, 1, 0},
    };
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    const char *path;
    char cmd[512];
    size_t i;

    if (!have_tool("pngtopnm"))
        return;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        TH_EQ_INT(decode_path(files[i].path, NULL, &im, &err), VG_OK);
        TH_EQ_INT(im.info.format, VG_MEDIA_PNG);
        if (files[i].ch)
            TH_EQ_INT(im.info.channels, files[i].ch);
        TH_EQ_STR(im.info.warning, "");
        snprintf(cmd, sizeof(cmd), "pngtopnm '%s' 2>/dev/null", files[i].path);
        check_ref(&im, cmd);
    }
    for (i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
        b.n = 0;
        make_png(&b, &gen[i]);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        if ((path = write_tmp("gen.png", b.d, b.n))) {
            snprintf(cmd, sizeof(cmd), "pngtopnm '%s' 2>/dev/null", path);
            check_ref(&im, cmd);
        }
    }
    bytes_free(&b);
    img_fini(&im);
}

static void png_header_only(struct bytes *b, uint32_t w, uint32_t h,
                            unsigned depth, unsigned ct)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    struct bytes hdr = {0};

    put(b, sig, 8);
    put32be(&hdr, w);
    put32be(&hdr, h);
    put8(&hdr, depth);
    put8(&hdr, ct);
    put8(&hdr, 0);
    put8(&hdr, 0);
    put8(&hdr, 0);
    png_chunk(b, "IHDR", hdr.d, hdr.n);
    png_chunk(b, "IEND", NULL, 0);
    bytes_free(&hdr);
}

static void test_png_bad(void)
{
    struct png_spec s = {40, 30, 2, 8, 0, 0, 0, 100};
    struct vg_media_opts o;
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    uint8_t *want;
    unsigned ch, y, rows = 0;
    size_t cut, i;
    int rc;

    /* header claims: checked before any allocation */
    png_header_only(&b, 100000, 100000, 8, 2);
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.info.format, VG_MEDIA_PNG);
    TH_EQ_INT(im.info.width, 100000);
    TH_EQ_INT(im.begins, 0);
    memset(&o, 0, sizeof(o));
    o.limits.max_pixels = 5000;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    b.n = 0;
    png_header_only(&b, 0x7fffffff, 1, 8, 0);
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ETOOBIG);
    b.n = 0;
    png_header_only(&b, 0, 10, 8, 0);
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ECORRUPT);
    b.n = 0;
    png_header_only(&b, 10, 10, 3, 0); /* bad bit depth */
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ECORRUPT);
    b.n = 0;
    png_header_only(&b, 10, 10, 8, 2); /* no IDAT */
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ECORRUPT);
    b.n = 0;
    make_png(&b, &s);
    b.d[29] ^= 1; /* IHDR CRC */
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ECORRUPT);
    b.d[29] ^= 1;
    o.limits.max_pixels = 40 * 30 - 1;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    o.limits.max_pixels = 40 * 30;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_OK);

    /* truncated: the rows before the cut, then mid-grey */
    want = png_expect(&s, &ch);
    for (cut = b.n / 3; cut < b.n; cut += b.n / 5) {
        rc = decode(b.d, cut, &im, &err);
        TH_EQ_INT(rc, VG_OK);
        if (rc)
            continue;
        TH_CHECK(sscanf(im.info.warning, "truncated PNG: %u of 30 rows",
                        &rows) == 1);
        TH_CHECK(rows > 0 && rows < 30);
        TH_CHECK(!memcmp(im.pix, want, (size_t)rows * 40 * 3));
        for (y = rows; y < 30; y++)
            for (i = 0; i < 40 * 3; i++)
                if (im.pix[(size_t)y * 120 + i] != 128) {
                    TH_FAIL_("row %u not mid-grey", y);
                    y = 30;
                    break;
                }
    }
    /* a bad CRC in the image data after some rows: decoded with warning */
    b.d[b.n - 12 - 20] ^= 0x40;
    rc = decode(b.d, b.n, &im, &err);
    TH_CHECK(rc == VG_OK || rc == VG_ECORRUPT);
    if (rc == VG_OK)
        TH_CHECK(strstr(im.info.warning, "PNG") != NULL);
    free(want);

    /* interlaced and truncated */
    s.interlace = 1;
    b.n = 0;
    make_png(&b, &s);
    rc = decode(b.d, b.n * 3 / 4, &im, &err);
    TH_EQ_INT(rc, VG_OK);
    TH_CHECK(strstr(im.info.warning, "interlaced") != NULL);
    bytes_free(&b);
    img_fini(&im);
}

/* ---- GIF ---- */

static void test_gif(void)
{
    static const struct {
        unsigned sw, sh;
        int gbits;
        struct gif_frame f[2];
    } cases[] = {
        {40, 30, 8, {{5, 4, 17, 13, 0, 0}, {0, 0, 40, 30, 0, 0}}},
        /* (a local map followed by none leaks in giflib 5.2.1's encoder) */
        {40, 30, 2, {{0, 0, 23, 19, 1, 4}, {1, 1, 5, 5, 1, 3}}},
        {10, 10, 0, {{0, 0, 10, 10, 0, 3}, {0, 0, 10, 10, 0, 3}}},
        {1, 37, 1, {{0, 0, 1, 37, 1, 0}, {0, 0, 1, 1, 0, 0}}},
        {2, 2, 1, {{0, 0, 200, 3, 1, 0}, {0, 0, 1, 1, 0, 0}}},
    };
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    const char *path;
    uint8_t *want;
    char cmd[512];
    size_t i;
    int tool = have_tool("giftopnm");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        b.n = 0;
        make_gif(&b, cases[i].sw, cases[i].sh, cases[i].gbits, cases[i].f, 2);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        TH_EQ_INT(im.info.format, VG_MEDIA_GIF);
        TH_EQ_STR(im.info.warning, "");
        want = gif_expect(&cases[i].f[0], cases[i].gbits);
        check_pixels(&im, cases[i].f[0].w, cases[i].f[0].h, 3, want, "gif");
        free(want);
        /* giftopnm refuses an image that leaves the screen */
        if (tool && cases[i].f[0].left + cases[i].f[0].w <= cases[i].sw &&
            cases[i].f[0].top + cases[i].f[0].h <= cases[i].sh &&
            (path = write_tmp("gen.gif", b.d, b.n))) {
            snprintf(cmd, sizeof(cmd), "giftopnm '%s' 2>/dev/null", path);
            check_ref(&im, cmd);
        }
    }
    bytes_free(&b);
    img_fini(&im);
}

static void test_gif_bad(void)
{
    static const struct gif_frame f[1] = {{0, 0, 64, 48, 0, 0}};
    struct vg_media_opts o;
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0}, c = {0};
    size_t desc = 13 + 3 * 256 + 8;
    unsigned rows;
    int rc;

    make_gif(&b, 64, 48, 8, f, 1);
    TH_EQ_INT(b.d[desc], 0x2c);
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
    memset(&o, 0, sizeof(o));
    o.limits.max_pixels = 64 * 48 - 1;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    /* a huge logical screen */
    put(&c, b.d, b.n);
    c.d[6] = c.d[7] = c.d[8] = c.d[9] = 0xff;
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.begins, 0);
    /* a huge image in a small screen */
    c.n = 0;
    put(&c, b.d, b.n);
    c.d[desc + 5] = 0x60; /* 60000 = 0xea60 */
    c.d[desc + 6] = 0xea;
    c.d[desc + 7] = 0x60;
    c.d[desc + 8] = 0xea;
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.info.width, 60000);
    /* an empty image */
    c.d[desc + 5] = c.d[desc + 6] = 0;
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    /* no colour map anywhere: drop the global one */
    c.n = 0;
    put(&c, b.d, 13);
    c.d[10] &= 0x7f;
    put(&c, b.d + 13 + 3 * 256, b.n - 13 - 3 * 256);
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    TH_CHECK(strstr(err.msg, "colour map") != NULL);
    /* no image at all */
    c.n = 0;
    put(&c, "GIF89a\x0a\0\x0a\0\0\0\0;", 14);
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    /* truncated in the pixel data (giflib reads whole 255-byte blocks) */
    rc = decode(b.d, desc + 10 + (b.n - desc - 10) * 2 / 3, &im, &err);
    TH_EQ_INT(rc, VG_OK);
    TH_CHECK(sscanf(im.info.warning, "truncated GIF: %u of 48 rows", &rows) ==
             1);
    TH_CHECK(rows > 0 && rows < 48);
    if (rc == VG_OK && rows < 48)
        TH_EQ_INT(im.pix[(size_t)47 * 64 * 3], 128);
    bytes_free(&b);
    bytes_free(&c);
    img_fini(&im);
}

/* ---- WebP ---- */

static void test_webp(void)
{
    static const char *files[] = {PHOTOS "0115.webp", PHOTOS "0234.webp",
                                  MODES "F.webp",     MODES "I.webp",
                                  MODES "PA.webp",    MODES "HSV.webp",
                                  MODES "LAB.webp"};
    static const unsigned aw[2] = {20, 10}, ah[2] = {15, 10}, ax[2] = {0, 4},
                          ay[2] = {0, 4};
    struct vg_media_opts o;
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    const char *path;
    uint8_t *rgb;
    char cmd[512];
    size_t i;
    int tool = have_tool("dwebp");

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        TH_EQ_INT(decode_path(files[i], NULL, &im, &err), VG_OK);
        TH_EQ_INT(im.info.format, VG_MEDIA_WEBP);
        TH_EQ_INT(im.info.channels, 3);
        TH_EQ_STR(im.info.warning, "");
        if (tool) {
            snprintf(cmd, sizeof(cmd), "dwebp -quiet -ppm -o - '%s'",
                     files[i]);
            check_ref(&im, cmd);
        }
    }
    /* lossless: exact pixels, grey content still 3 channels */
    for (i = 0; i < 2; i++) {
        rgb = webp_pixels(45, 31, 7, (int)i);
        b.n = 0;
        make_webp(&b, rgb, 45, 31, 1);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        check_pixels(&im, 45, 31, 3, rgb, "lossless webp");
        free(rgb);
    }
    memset(&o, 0, sizeof(o));
    o.limits.max_pixels = 45 * 31 - 1;
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.begins, 0);
    /* lossy: as dwebp */
    rgb = webp_pixels(45, 31, 8, 0);
    b.n = 0;
    make_webp(&b, rgb, 45, 31, 0);
    free(rgb);
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
    if (tool && (path = write_tmp("gen.webp", b.d, b.n))) {
        snprintf(cmd, sizeof(cmd), "dwebp -quiet -ppm -o - '%s'", path);
        check_ref(&im, cmd);
    }
    /* animated: the first frame's own rectangle */
    b.n = 0;
    make_anim_webp(&b, 30, 20, aw, ah, ax, ay, 2);
    TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
    if (err.code)
        fprintf(stderr, "  animated: %s\n", err.msg);
    rgb = webp_pixels(20, 15, 40, 0);
    check_pixels(&im, 20, 15, 3, rgb, "animated webp");
    free(rgb);
    o.limits.max_pixels = 400; /* frame 300 pixels, canvas 600 */
    TH_EQ_INT(decode_opts(b.d, b.n, &o, &im, &err), VG_ETOOBIG);
    bytes_free(&b);
    img_fini(&im);
}

/* ---- BMP ---- */

static void test_bmp(void)
{
    static const struct bmp_spec specs[] = {
        {40, 13, 7, 1, 0, {0}, 2, 0},
        {40, 13, 7, 4, 0, {0}, 16, 0},
        {40, 13, -7, 8, 0, {0}, 200, 200}, /* top-down, short palette */
        {40, 13, 7, 4, 0, {0}, 9, 9},
        {12, 13, 7, 8, 0, {0}, 256, 0}, /* OS/2 core header */
        {12, 5, 3, 24, 0, {0}, 0, 0},
        {40, 13, 7, 24, 0, {0}, 0, 0},
        {40, 13, -7, 24, 0, {0}, 0, 0},
        {40, 9, 5, 16, 0, {0}, 0, 0}, /* 5-5-5 */
        {40, 9, 5, 16, 3, {0xf800, 0x07e0, 0x001f}, 0, 0},
        {56, 9, 5, 16, 3, {0x0f00, 0x00f0, 0x000f}, 0, 0},
        {52, 9, 5, 16, 3, {0x8000, 0x0400, 0x0001}, 0, 0},
        {40, 9, 5, 32, 0, {0}, 0, 0},
        {40, 9, 5, 32, 3, {0x3ff00000, 0x000ffc00, 0x000003ff}, 0, 0},
        {108, 9, -5, 32, 3, {0x0000ff00, 0x00ff0000, 0xff000000}, 0, 0},
        {124, 9, 5, 24, 0, {0}, 0, 0},
        {40, 1, 1, 24, 0, {0}, 0, 0},
    };
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    const char *path;
    uint8_t *want;
    char cmd[512], what[64];
    size_t i;
    int tool = have_tool("bmptopnm");

    for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        b.n = 0;
        make_bmp(&b, &specs[i]);
        snprintf(what, sizeof(what), "bmp case %zu", i);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        if (err.code)
            fprintf(stderr, "  %s: %s\n", what, err.msg);
        TH_EQ_INT(im.info.format, VG_MEDIA_BMP);
        TH_EQ_STR(im.info.warning, "");
        want = bmp_expect(&specs[i]);
        check_pixels(&im, (unsigned)specs[i].w, (unsigned)abs(specs[i].h), 3,
                     want, what);
        free(want);
        /* netpbm agrees where no bit widening is involved */
        if (tool && specs[i].bpp != 16 && specs[i].comp == 0 &&
            specs[i].npal == (specs[i].bpp <= 8 ? 1u << specs[i].bpp : 0) &&
            (path = write_tmp("gen.bmp", b.d, b.n))) {
            snprintf(cmd, sizeof(cmd), "bmptopnm '%s' 2>/dev/null", path);
            check_ref(&im, cmd);
        }
    }
    bytes_free(&b);
    img_fini(&im);
}

static void set32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_bmp_bad(void)
{
    static const struct bmp_spec s24 = {40, 13, 7, 24, 0, {0}, 0, 0};
    static const struct bmp_spec s8 = {40, 13, 7, 8, 0, {0}, 256, 0};
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0}, c = {0};
    unsigned rows;

    make_bmp(&b, &s24);
#define FRESH() (c.n = 0, put(&c, b.d, b.n))
    FRESH();
    set32(c.d + 18, 100000);
    set32(c.d + 22, 100000);
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ETOOBIG);
    TH_EQ_INT(im.begins, 0);
    FRESH();
    set32(c.d + 18, (uint32_t)-13);
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 22, 0x80000000u); /* INT32_MIN */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 22, 0);
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 10, (uint32_t)c.n + 10); /* offset past the end */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 10, 0xffffffffu);
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 10, 20); /* inside the header */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    c.d[28] = 2; /* 2 bits per pixel */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_EFORMAT);
    FRESH();
    c.d[30] = 4; /* BI_JPEG */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "BMP compression 4 not supported") != NULL);
    FRESH();
    c.d[30] = 1; /* RLE8 with 24 bits */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 14, 0x7fffffffu);                       /* header size */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_EFORMAT); /* not sniffed */
    FRESH();
    set32(c.d + 14, 124); /* header runs past the file end? no: 54+ bytes */
    c.n = 100;
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    /* truncated rows: bottom-up, so the top rows are the missing ones */
    TH_EQ_INT(decode(b.d, b.n - 2 * 40 - 5, &im, &err), VG_OK);
    TH_CHECK(sscanf(im.info.warning, "truncated BMP: %u of 7 rows", &rows) ==
             1);
    TH_EQ_INT(rows, 4);
    TH_EQ_INT(im.pix[0], 128);
    TH_EQ_INT(decode(b.d, 54 + 10, &im, &err), VG_ECORRUPT);
    bytes_free(&b);

    make_bmp(&b, &s8);
    FRESH();
    set32(c.d + 10, 54); /* no room for the palette */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_ECORRUPT);
    FRESH();
    set32(c.d + 46, 1000); /* clrUsed too large: clamped */
    TH_EQ_INT(decode(c.d, c.n, &im, &err), VG_OK);
    bytes_free(&b);

    /* non-contiguous bitfield mask */
    {
        static const struct bmp_spec sb = {40, 9, 5,
                                           16, 3, {0xf00f, 0x07e0, 0x001f},
                                           0,  0};
        make_bmp(&b, &sb);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_ECORRUPT);
        bytes_free(&b);
    }
#undef FRESH
    bytes_free(&c);
    img_fini(&im);
}

/* A 6x3 RLE BMP (8-bit or 4-bit) with runs, an absolute run and a delta. */
static void make_rle_bmp(struct bytes *b, int rle4)
{
    static const uint8_t rle8[] = {
        6, 1, 0, 0,                   /* bottom row: six 1s */
        0, 3, 2, 3, 4, 0, 3, 5, 0, 0, /* absolute 2 3 4 (padded), 3x5 */
        0, 2, 2, 0, 2, 6, 0, 1};      /* delta (2,0), two 6s, end */
    static const uint8_t rle4d[] = {
        6, 0x11, 0,    0,                   /* six 1s */
        0, 3,    0x23, 0x40, 3, 0x55, 0, 0, /* absolute 2 3 4 (2 bytes), 3x5 */
        0, 2,    2,    0,    2, 0x66, 0, 1};
    unsigned i;

    put(b, "BM", 2);
    put32le(b, 0);
    put32le(b, 0);
    put32le(b, 14 + 40 + 16 * 4);
    put32le(b, 40);
    put32le(b, 6);
    put32le(b, 3);
    put16le(b, 1);
    put16le(b, rle4 ? 4 : 8);
    put32le(b, rle4 ? 2 : 1);
    put32le(b, 0);
    put32le(b, 0);
    put32le(b, 0);
    put32le(b, 16);
    put32le(b, 0);
    for (i = 0; i < 16; i++) {
        put8(b, i * 10);
        put8(b, i * 20);
        put8(b, i * 5);
        put8(b, 0);
    }
    if (rle4)
        put(b, rle4d, sizeof(rle4d));
    else
        put(b, rle8, sizeof(rle8));
}

static void test_bmp_rle(void)
{
    /* top-down indices: delta skips read as index 0 */
    static const uint8_t idx[3][6] = {{0, 0, 6, 6, 0, 0},
                                      {2, 3, 4, 5, 5, 5},
                                      {1, 1, 1, 1, 1, 1}};
    struct vg_err err;
    struct img im = {0};
    struct bytes b = {0};
    uint8_t want[3 * 6 * 3];
    unsigned x, y, i;
    int rle4;

    for (y = 0; y < 3; y++)
        for (x = 0; x < 6; x++) {
            i = idx[y][x]; /* palette entry i is B=10i, G=20i, R=5i */
            want[(y * 6 + x) * 3] = (uint8_t)(i * 5);
            want[(y * 6 + x) * 3 + 1] = (uint8_t)(i * 20);
            want[(y * 6 + x) * 3 + 2] = (uint8_t)(i * 10);
        }
    for (rle4 = 0; rle4 < 2; rle4++) {
        b.n = 0;
        make_rle_bmp(&b, rle4);
        TH_EQ_INT(decode(b.d, b.n, &im, &err), VG_OK);
        if (err.code)
            fprintf(stderr, "  rle%d: %s\n", rle4 ? 4 : 8, err.msg);
        check_pixels(&im, 6, 3, 3, want, rle4 ? "rle4" : "rle8");
        /* cut after the first row */
        TH_EQ_INT(decode(b.d, 14 + 40 + 64 + 5, &im, &err), VG_OK);
        TH_CHECK(strstr(im.info.warning, "truncated BMP") != NULL);
        TH_EQ_INT(im.pix[0], 128);
        TH_EQ_INT(im.pix[2 * 18], want[2 * 18]);
        TH_EQ_INT(decode(b.d, 14 + 40 + 64 + 1, &im, &err), VG_ECORRUPT);
    }
    bytes_free(&b);
    img_fini(&im);
}

/* ---- every format: truncation, corruption, sink errors, faults ---- */

struct sample {
    const char *name;
    struct bytes b;
};

static struct sample samples[16];
static int nsamples;

static void add_sample(const char *name, struct bytes *b)
{
    samples[nsamples].name = name;
    samples[nsamples].b = *b;
    nsamples++;
    memset(b, 0, sizeof(*b));
}

static void make_samples(void)
{
    static const struct png_spec p1 = {40, 30, 2, 8, 0, 0, 0, 100};
    static const struct png_spec p2 = {40, 30, 4, 16, 1, 0, 0, 64};
    static const struct png_spec p3 = {40, 30, 3, 2, 0, 3, 1, 0};
    static const struct gif_frame g1[1] = {{0, 0, 40, 30, 0, 0}};
    static const struct gif_frame g2[1] = {{3, 3, 37, 27, 1, 5}};
    static const struct bmp_spec b1 = {40, 40, 30, 24, 0, {0}, 0, 0};
    static const struct bmp_spec b2 = {124, 40, -30, 4, 0, {0}, 16, 0};
    static const struct bmp_spec b3 = {40, 40, 30,
                                       16, 3,  {0xf800, 0x07e0, 0x001f},
                                       0,  0};
    static const unsigned aw[2] = {40, 10}, ah[2] = {30, 10}, ax[2] = {0, 4},
                          ay[2] = {0, 4};
    struct bytes b = {0};
    uint8_t *rgb;
    size_t n;

    if (nsamples)
        return;
    make_jpeg(&b, 64, 48, 3, JCS_YCbCr, 0);
    add_sample("jpeg", &b);
    make_jpeg(&b, 64, 48, 3, JCS_YCbCr, 1);
    add_sample("jpeg progressive", &b);
    make_jpeg(&b, 40, 24, 4, JCS_YCCK, 0);
    add_sample("jpeg ycck", &b);
    make_png(&b, &p1);
    add_sample("png", &b);
    make_png(&b, &p2);
    add_sample("png interlaced", &b);
    make_png(&b, &p3);
    add_sample("png palette", &b);
    make_gif(&b, 40, 30, 8, g1, 1);
    add_sample("gif", &b);
    make_gif(&b, 40, 30, 2, g2, 1);
    add_sample("gif interlaced", &b);
    rgb = webp_pixels(40, 30, 3, 0);
    make_webp(&b, rgb, 40, 30, 0);
    add_sample("webp lossy", &b);
    make_webp(&b, rgb, 40, 30, 1);
    add_sample("webp lossless", &b);
    free(rgb);
    make_anim_webp(&b, 40, 30, aw, ah, ax, ay, 2);
    add_sample("webp animated", &b);
    make_bmp(&b, &b1);
    add_sample("bmp", &b);
    make_bmp(&b, &b2);
    add_sample("bmp 4-bit", &b);
    make_bmp(&b, &b3);
    add_sample("bmp 565", &b);
    make_rle_bmp(&b, 0);
    add_sample("bmp rle8", &b);
    if ((rgb = th_slurp(MISC "small.jpg", &n))) {
        put(&b, rgb, n);
        free(rgb);
        add_sample("small.jpg", &b);
    }
}

static void free_samples(void)
{
    int i;

    for (i = 0; i < nsamples; i++)
        bytes_free(&samples[i].b);
    nsamples = 0;
}

static void test_samples_decode(void)
{
    struct vg_err err;
    struct img im = {0};
    int i;

    make_samples();
    for (i = 0; i < nsamples; i++) {
        TH_EQ_INT(decode(samples[i].b.d, samples[i].b.n, &im, &err), VG_OK);
        if (err.code)
            fprintf(stderr, "  %s: %s\n", samples[i].name, err.msg);
        TH_EQ_STR(im.info.warning, "");
    }
    img_fini(&im);
}

static void test_truncated(void)
{
    struct vg_err err;
    struct img im = {0};
    size_t cut, step, n;
    int i, rc;

    make_samples();
    for (i = 0; i < nsamples; i++) {
        n = samples[i].b.n;
        step = n / 97 ? n / 97 : 1;
        for (cut = 0; cut < n; cut += cut < 64 ? 1 : step) {
            rc = decode(samples[i].b.d, cut, &im, &err);
            if (rc == VG_EFORMAT &&
                vg_media_sniff(samples[i].b.d, cut) == VG_MEDIA_UNKNOWN)
                continue;
            if (rc != VG_OK && rc != VG_ECORRUPT) {
                TH_FAIL_("%s cut at %zu of %zu: %s (%s)", samples[i].name, cut,
                         n, vg_strerror(rc), err.msg);
                continue;
            }
            /* early cuts that still decode must say so */
            if (rc == VG_OK && cut < n / 2 && !im.info.warning[0])
                TH_FAIL_("%s cut at %zu of %zu: no warning", samples[i].name,
                         cut, n);
        }
    }
    img_fini(&im);
}

static void test_corrupted(void)
{
    struct vg_err err;
    struct img im = {0};
    struct bytes c = {0};
    int i, it, k, nflip, rc, seen_ok = 0, seen_err = 0;

    make_samples();
    rng_state = 2024;
    for (i = 0; i < nsamples; i++)
        for (it = 0; it < 150; it++) {
            c.n = 0;
            put(&c, samples[i].b.d, samples[i].b.n);
            nflip = 1 + (int)(rng() % 4);
            for (k = 0; k < nflip; k++) {
                /* keep the magic so the decoder, not the sniffer, sees it */
                size_t pos = 4 + rng() % (c.n - 4);
                c.d[pos] = (uint8_t)(it % 3 == 0
                                         ? rng()
                                         : c.d[pos] ^ (1u << (rng() % 8)));
            }
            rc = decode(c.d, c.n, &im, &err);
            if (rc == VG_OK)
                seen_ok++;
            else
                seen_err++;
            if (rc != VG_OK && rc != VG_ECORRUPT && rc != VG_EFORMAT &&
                rc != VG_ETOOBIG)
                TH_FAIL_("%s corrupted (iteration %d): %s (%s)",
                         samples[i].name, it, vg_strerror(rc), err.msg);
        }
    TH_CHECK(seen_ok > 0 && seen_err > 0);
    bytes_free(&c);
    img_fini(&im);
}

static void test_sink_errors(void)
{
    struct vg_err err;
    struct img im = {0};
    int i;

    make_samples();
    for (i = 0; i < nsamples; i++) {
        im.fail_begin = 1;
        TH_EQ_INT(decode(samples[i].b.d, samples[i].b.n, &im, &err), VG_EIO);
        TH_EQ_INT(im.rows, 0);
        im.fail_begin = 0;
        im.fail_at_rows = 1;
        TH_EQ_INT(decode(samples[i].b.d, samples[i].b.n, &im, &err), VG_EIO);
        TH_CHECK(im.rows >= 1);
        im.fail_at_rows = 0;
    }
    img_fini(&im);
}

static void test_alloc_faults(void)
{
    struct vg_err err;
    struct img im = {0};
    long n;
    int i, rc = VG_ENOMEM;

    make_samples();
    for (i = 0; i < nsamples; i++) {
        for (n = 0; n < 1000; n++) {
            vg_alloc_fail_after(n);
            rc = decode(samples[i].b.d, samples[i].b.n, &im, &err);
            vg_alloc_fail_after(-1);
            if (rc == VG_OK)
                break;
            if (rc != VG_ENOMEM) {
                TH_FAIL_("%s: allocation %ld failed: %s (%s)", samples[i].name,
                         n, vg_strerror(rc), err.msg);
                break;
            }
        }
        TH_EQ_INT(rc, VG_OK);
    }
    img_fini(&im);
}

/* Sizes and channels of the photos against the expected-hash file. */
static void test_photos_expected(void)
{
    FILE *f = fopen(PHOTOS "EXPECTED-pdq-fullres.csv", "r");
    char line[2048], name[64], path[256];
    unsigned w, h, ch, count = 0, checked = 0;
    const char *all = getenv("VIGIL_MEDIA_ALL");
    const char *dot;
    enum vg_media_format want;
    struct vg_err err;
    struct img im = {0};
    size_t n;
    uint8_t *d;

    TH_CHECK(f != NULL);
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (line[0] == '#' ||
            sscanf(line, "%63[^,],%u,%u,%u", name, &w, &h, &ch) != 4)
            continue;
        if (!(all && *all == '1') && count++ % 16)
            continue;
        snprintf(path, sizeof(path), "%s%s", PHOTOS, name);
        if (!(d = th_slurp(path, &n))) {
            TH_FAIL_("cannot read %s", path);
            continue;
        }
        dot = strrchr(name, '.');
        want = !dot                   ? VG_MEDIA_UNKNOWN
               : !strcmp(dot, ".jpg") ? VG_MEDIA_JPEG
               : !strcmp(dot, ".png") ? VG_MEDIA_PNG
                                      : VG_MEDIA_WEBP;
        TH_EQ_INT(vg_media_sniff(d, n), want);
        TH_EQ_INT(decode(d, n, &im, &err), VG_OK);
        /* the file counts the source's channels; alpha is dropped */
        ch = ch == 4 ? 3 : ch == 2 ? 1 : ch;
        if (im.info.width != w || im.info.height != h ||
            im.info.channels != ch)
            TH_FAIL_("%s: %ux%ux%u, expected %ux%ux%u", name, im.info.width,
                     im.info.height, im.info.channels, w, h, ch);
        free(d);
        checked++;
    }
    fclose(f);
    TH_CHECK(checked >= 20);
    img_fini(&im);
}

int main(void)
{
    TH_RUN(test_sniff);
    TH_RUN(test_unknown);
    TH_RUN(test_max_bytes);
    TH_RUN(test_jpeg_files);
    TH_RUN(test_jpeg_generated);
    TH_RUN(test_jpeg_options);
    TH_RUN(test_jpeg_limits);
    TH_RUN(test_png_generated);
    TH_RUN(test_png_reference);
    TH_RUN(test_png_bad);
    TH_RUN(test_gif);
    TH_RUN(test_gif_bad);
    TH_RUN(test_webp);
    TH_RUN(test_bmp);
    TH_RUN(test_bmp_bad);
    TH_RUN(test_bmp_rle);
    TH_RUN(test_samples_decode);
    TH_RUN(test_truncated);
    TH_RUN(test_corrupted);
    TH_RUN(test_sink_errors);
    TH_RUN(test_alloc_faults);
    TH_RUN(test_photos_expected);
    free_samples();
    if (!getenv("VIGIL_MEDIA_KEEP"))
        cleanup_tmp();
    return th_done();
}
