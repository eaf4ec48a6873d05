/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BMP decoding, hand-written (no library): BITMAPCOREHEADER (12 bytes),
 * OS/2 2.x (16/64, uncompressed), BITMAPINFOHEADER (40) and its V2/V3/V4/V5
 * extensions (52/56/108/124); 1/4/8-bit palettes, 16-bit (5-5-5 or
 * bitfields), 24-bit, 32-bit (BI_RGB or bitfields; alpha dropped), RLE8 and
 * RLE4; bottom-up and top-down.  Output is always RGB (3 channels), like
 * the reference pixel source for a palette image (PDQ-SPEC section 1).
 * Mask fields narrower than 8 bits widen by bit replication (5-bit v becomes
 * v << 3 | v >> 2, as ImageMagick does), wider ones keep their top 8 bits;
 * palette indices past the palette read as black.  Every offset and size is
 * checked against the file length with overflow-safe 64-bit arithmetic, and
 * the pixel limit is checked before any allocation.  Uncompressed data is
 * streamed top-down straight from the input (one batch buffer, no image
 * buffer); RLE decodes into a one-byte-per-pixel index buffer.  Rows a
 * truncated file lacks are mid-grey, with info->warning.
 */
#include <string.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

enum {
    BI_RGB = 0,
    BI_RLE8 = 1,
    BI_RLE4 = 2,
    BI_BITFIELDS = 3,
    BI_JPEG = 4,
    BI_PNG = 5,
    BI_ALPHABITFIELDS = 6
};

#define FILE_HEADER 14

struct bmp_chan {
    unsigned shift, bits;
    uint8_t lut[256]; /* bits <= 8: value -> 0..255 */
};

struct bmp {
    uint32_t hsize;
    uint64_t width, height;
    int top_down;
    unsigned bpp, compression;
    uint32_t masks[3];
    struct bmp_chan chan[3];
    uint64_t pixels; /* offset of the pixel data */
    uint64_t stride; /* bytes per stored row (uncompressed) */
    unsigned ncolors;
    uint8_t pal[256 * 3]; /* RGB; black past ncolors */
};

static uint32_t le16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Shift and width of a contiguous mask; 0 if the mask has gaps. */
static int setup_chan(struct bmp_chan *c, uint32_t mask)
{
    uint32_t m;
    unsigned v, r, filled;

    memset(c, 0, sizeof(*c));
    if (!mask)
        return 1; /* channel reads as 0 */
    while (!((mask >> c->shift) & 1))
        c->shift++;
    m = mask >> c->shift;
    if (m & (m + 1))
        return 0;
    while (m) {
        c->bits++;
        m >>= 1;
    }
    if (c->bits <= 8)
        for (v = 0; v < (1u << c->bits); v++) {
            for (r = 0, filled = 0; filled < 8; filled += c->bits)
                r = r << c->bits | v;
            c->lut[v] = (uint8_t)(r >> (filled - 8));
        }
    return 1;
}

static uint8_t chan_value(const struct bmp_chan *c, uint32_t px)
{
    uint32_t v;

    if (!c->bits)
        return 0;
    v = (px >> c->shift) & (c->bits >= 32 ? 0xffffffffu : (1u << c->bits) - 1);
    return c->bits <= 8 ? c->lut[v] : (uint8_t)(v >> (c->bits - 8));
}

/* Width, height, depth, compression and masks from the DIB header. */
static int parse_dib(struct vg__media_ctx *ctx, struct bmp *b, uint64_t *extra)
{
    const uint8_t *d = ctx->data + FILE_HEADER;
    int32_t w, h;

    *extra = 0;
    if (b->hsize == 12) {
        b->width = le16(d + 4);
        b->height = le16(d + 6);
        b->bpp = le16(d + 10);
        b->compression = BI_RGB;
        return VG_OK;
    }
    w = (int32_t)le32(d + 4);
    h = (int32_t)le32(d + 8);
    b->bpp = le16(d + 14);
    b->compression = b->hsize >= 20 ? le32(d + 16) : BI_RGB;
    if ((b->hsize == 16 || b->hsize == 64) && b->compression > BI_RLE4)
        return vg_err_set(ctx->err, VG_EFORMAT,
                          "BMP: OS/2 compression %u not supported",
                          b->compression);
    if (w <= 0 || h == 0 || h == INT32_MIN)
        return vg_err_set(ctx->err, VG_ECORRUPT, "BMP: bad size %ldx%ld",
                          (long)w, (long)h);
    b->width = (uint64_t)w;
    b->top_down = h < 0;
    b->height = h < 0 ? (uint64_t) - (int64_t)h : (uint64_t)h;
    if (b->compression == BI_BITFIELDS ||
        b->compression == BI_ALPHABITFIELDS) {
        /* V2+ headers hold the masks; a 40-byte header is followed by them */
        if (b->hsize == 40)
            *extra = b->compression == BI_BITFIELDS ? 12 : 16;
        else if (b->hsize < 52)
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "BMP: bitfields without masks");
        if (FILE_HEADER + 40 + 12 > ctx->len)
            return vg_err_set(ctx->err, VG_ECORRUPT, "BMP: truncated masks");
        b->masks[0] = le32(d + 40);
        b->masks[1] = le32(d + 44);
        b->masks[2] = le32(d + 48);
    }
    return VG_OK;
}

/* Checks depth/compression pairs and sets up masks or the palette. */
static int setup_pixels(struct vg__media_ctx *ctx, struct bmp *b,
                        uint64_t pal_off)
{
    uint64_t avail, end, entry = b->hsize == 12 ? 3 : 4, max, n, i;
    const uint8_t *p;
    int bitfields = b->compression == BI_BITFIELDS ||
                    b->compression == BI_ALPHABITFIELDS;
    int ok;

    switch (b->compression) {
    case BI_RGB:
    case BI_RLE8:
    case BI_RLE4:
    case BI_BITFIELDS:
    case BI_ALPHABITFIELDS:
        break;
    default:
        return vg_err_set(ctx->err, VG_EFORMAT,
                          "BMP compression %u not supported", b->compression);
    }
    if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 16 &&
        b->bpp != 24 && b->bpp != 32)
        return vg_err_set(ctx->err, VG_EFORMAT,
                          "BMP bit depth %u not supported", b->bpp);
    if ((b->compression == BI_RLE8 && b->bpp != 8) ||
        (b->compression == BI_RLE4 && b->bpp != 4) ||
        (bitfields && b->bpp != 16 && b->bpp != 32) ||
        ((b->compression == BI_RLE8 || b->compression == BI_RLE4) &&
         b->top_down))
        return vg_err_set(ctx->err, VG_ECORRUPT,
                          "BMP: compression %u with %u bits per pixel%s",
                          b->compression, b->bpp,
                          b->top_down ? " top-down" : "");
    if (b->bpp == 16 || b->bpp == 32) {
        if (!bitfields) {
            b->masks[0] = b->bpp == 16 ? 0x7c00 : 0xff0000;
            b->masks[1] = b->bpp == 16 ? 0x03e0 : 0x00ff00;
            b->masks[2] = b->bpp == 16 ? 0x001f : 0x0000ff;
        }
        for (i = 0, ok = 1; i < 3; i++) {
            if (b->bpp == 16 && (b->masks[i] & 0xffff0000u))
                ok = 0;
            ok = ok && setup_chan(&b->chan[i], b->masks[i]);
        }
        if (!ok)
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "BMP: bad bitfield masks %08x %08x %08x",
                              b->masks[0], b->masks[1], b->masks[2]);
        return VG_OK;
    }
    if (b->bpp > 8)
        return VG_OK;
    /* the palette lies between the headers and the pixel data */
    max = 1u << b->bpp;
    n = b->hsize >= 40 ? le32(ctx->data + FILE_HEADER + 32)
                       : 0; /* biClrUsed */
    if (n == 0 || n > max)
        n = max;
    end = b->pixels < ctx->len ? b->pixels : ctx->len;
    avail = end > pal_off ? (end - pal_off) / entry : 0;
    if (n > avail)
        n = avail;
    if (n == 0)
        return vg_err_set(ctx->err, VG_ECORRUPT, "BMP: missing palette");
    memset(b->pal, 0, sizeof(b->pal));
    for (i = 0; i < n; i++) {
        p = ctx->data + pal_off + i * entry;
        b->pal[3 * i] = p[2];
        b->pal[3 * i + 1] = p[1];
        b->pal[3 * i + 2] = p[0];
    }
    b->ncolors = (unsigned)n;
    return VG_OK;
}

static int parse(struct vg__media_ctx *ctx, struct bmp *b)
{
    uint64_t extra, pal_off, bits;
    int rc;

    /* the sniffer saw "BM" and a known header size, maybe only in part */
    if (ctx->len < FILE_HEADER + 4)
        return vg_err_set(ctx->err, VG_ECORRUPT, "BMP: truncated header");
    b->hsize = le32(ctx->data + FILE_HEADER);
    if ((uint64_t)FILE_HEADER + b->hsize > ctx->len)
        return vg_err_set(ctx->err, VG_ECORRUPT, "BMP: truncated header");
    if ((rc = parse_dib(ctx, b, &extra)))
        return rc;
    ctx->info->width = (unsigned)b->width;
    ctx->info->height = (unsigned)b->height;
    if ((rc = vg__media_check_dims(ctx, "BMP", b->width, b->height)))
        return rc;
    pal_off = FILE_HEADER + (uint64_t)b->hsize + extra;
    b->pixels = le32(ctx->data + 10);
    if (b->pixels < pal_off)
        return vg_err_set(ctx->err, VG_ECORRUPT,
                          "BMP: pixel data offset %llu inside the header",
                          (unsigned long long)b->pixels);
    if ((rc = setup_pixels(ctx, b, pal_off)))
        return rc;
    /* width <= 2^32 and bpp <= 32: no overflow in 64 bits */
    bits = b->width * b->bpp;
    b->stride = (bits + 31) / 32 * 4;
    if (b->pixels >= ctx->len)
        return vg_err_set(ctx->err, VG_ECORRUPT, "BMP: no pixel data");
    return VG_OK;
}

static void decode_row(const struct bmp *b, const uint8_t *s, uint8_t *d,
                       unsigned width)
{
    unsigned x, idx, shift;
    uint32_t px;

    switch (b->bpp) {
    case 1:
    case 4:
    case 8:
        for (x = 0; x < width; x++, d += 3) {
            shift = 8 - b->bpp - (x * b->bpp) % 8;
            idx = (s[(size_t)x * b->bpp / 8] >> shift) & ((1u << b->bpp) - 1);
            memcpy(d, b->pal + 3 * idx, 3);
        }
        break;
    case 24:
        for (x = 0; x < width; x++, s += 3, d += 3) {
            d[0] = s[2];
            d[1] = s[1];
            d[2] = s[0];
        }
        break;
    default: /* 16, 32 */
        for (x = 0; x < width; x++, d += 3) {
            if (b->bpp == 16) {
                px = le16(s);
                s += 2;
            } else {
                px = le32(s);
                s += 4;
            }
            d[0] = chan_value(&b->chan[0], px);
            d[1] = chan_value(&b->chan[1], px);
            d[2] = chan_value(&b->chan[2], px);
        }
        break;
    }
}

static int stream_rows(struct vg__media_ctx *ctx, const struct bmp *b,
                       struct vg__media_rows *out)
{
    unsigned width = (unsigned)b->width, height = (unsigned)b->height, y;
    uint64_t present = (ctx->len - b->pixels) / b->stride, fr;
    int rc;

    if (present == 0)
        return vg_err_set(ctx->err, VG_ECORRUPT,
                          "BMP: pixel data shorter than one row");
    if (present < height)
        vg__media_incomplete(ctx, "truncated BMP: %llu of %u rows present",
                             (unsigned long long)present, height);
    if ((rc = vg__media_begin(ctx)))
        return rc;
    for (y = 0; y < height; y++) {
        fr = b->top_down ? y : height - 1 - y;
        if (fr < present)
            decode_row(b, ctx->data + b->pixels + fr * b->stride,
                       vg__media_rows_next(out), width);
        else
            memset(vg__media_rows_next(out), VG__MEDIA_FILL, out->stride);
        if ((rc = vg__media_rows_commit(ctx, out)))
            return rc;
    }
    return vg__media_rows_flush(ctx, out);
}

/* Writes one RLE index at (x, y) if it lies inside the image. */
static void rle_put(uint8_t *idx, unsigned w, unsigned h, uint64_t x,
                    uint64_t y, unsigned v)
{
    if (x < w && y < h)
        idx[y * w + x] = (uint8_t)v;
}

/*
 * Decodes RLE4/RLE8 into idx (file row order, bottom row first).  Returns
 * the number of file rows completed: height at end of bitmap, fewer if the
 * data ran out first (*cut set).
 */
static uint64_t rle_decode(const struct bmp *b, const uint8_t *s, size_t n,
                           uint8_t *idx, int *cut)
{
    unsigned w = (unsigned)b->width, h = (unsigned)b->height, i, cnt, v;
    uint64_t x = 0, y = 0;
    size_t k = 0, nbytes;
    int rle4 = b->compression == BI_RLE4;

    *cut = 0;
    while (y < h) {
        if (n - k < 2) {
            *cut = 1;
            return y;
        }
        cnt = s[k];
        v = s[k + 1];
        k += 2;
        if (cnt) { /* encoded run */
            for (i = 0; i < cnt; i++, x++)
                rle_put(idx, w, h, x, y, rle4 ? (i & 1 ? v & 15 : v >> 4) : v);
        } else if (v == 0) { /* end of line */
            x = 0;
            y++;
        } else if (v == 1) { /* end of bitmap */
            return h;
        } else if (v == 2) { /* delta */
            if (n - k < 2) {
                *cut = 1;
                return y;
            }
            x += s[k];
            y += s[k + 1];
            k += 2;
        } else { /* absolute run of v indices, padded to 16 bits */
            nbytes = rle4 ? (v + 1) / 2 : v;
            if (n - k < nbytes) {
                *cut = 1;
                return y;
            }
            for (i = 0; i < v; i++, x++)
                rle_put(idx, w, h, x, y,
                        rle4 ? (i & 1 ? s[k + i / 2] & 15 : s[k + i / 2] >> 4)
                             : s[k + i]);
            k += nbytes + (nbytes & 1);
            if (k > n)
                k = n;
        }
    }
    return h;
}

static int rle_rows(struct vg__media_ctx *ctx, const struct bmp *b,
                    struct vg__media_rows *out)
{
    unsigned w = (unsigned)b->width, h = (unsigned)b->height, y;
    uint64_t done, fr;
    uint8_t *idx, *row;
    unsigned x;
    int cut, rc;

    /* unreached pixels (skipped by deltas) read as palette index 0 */
    if (!(idx = vg_calloc((size_t)w * h, 1)))
        return vg_err_set(ctx->err, VG_ENOMEM, "BMP: out of memory");
    done = rle_decode(b, ctx->data + b->pixels, (size_t)(ctx->len - b->pixels),
                      idx, &cut);
    if (cut && done == 0) {
        rc = vg_err_set(ctx->err, VG_ECORRUPT,
                        "BMP: RLE data ends before the first row");
        goto out;
    }
    if (cut)
        vg__media_incomplete(ctx, "truncated BMP: %llu of %u RLE rows decoded",
                             (unsigned long long)done, h);
    if ((rc = vg__media_begin(ctx)))
        goto out;
    for (y = 0; y < h; y++) {
        fr = h - 1 - y; /* RLE is bottom-up only */
        row = vg__media_rows_next(out);
        if (fr < done)
            for (x = 0; x < w; x++)
                memcpy(row + 3 * (size_t)x,
                       b->pal + 3 * (size_t)idx[fr * w + x], 3);
        else
            memset(row, VG__MEDIA_FILL, out->stride);
        if ((rc = vg__media_rows_commit(ctx, out)))
            goto out;
    }
    rc = vg__media_rows_flush(ctx, out);
out:
    vg_free(idx);
    return rc;
}

int vg__media_bmp(struct vg__media_ctx *ctx)
{
    struct vg__media_rows out;
    struct bmp *b;
    int rc;

    memset(&out, 0, sizeof(out));
    if (!(b = vg_calloc(1, sizeof(*b))))
        return vg_err_set(ctx->err, VG_ENOMEM, "BMP: out of memory");
    if ((rc = parse(ctx, b)))
        goto out;
    ctx->info->channels = 3;
    ctx->info->out_width = ctx->info->width;
    ctx->info->out_height = ctx->info->height;
    if ((rc = vg__media_rows_init(ctx, &out)))
        goto out;
    if (b->compression == BI_RLE8 || b->compression == BI_RLE4)
        rc = rle_rows(ctx, b, &out);
    else
        rc = stream_rows(ctx, b, &out);
out:
    vg__media_rows_fini(&out);
    vg_free(b);
    return rc;
}
