/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Media front door: format sniffing by magic numbers, the limits, dispatch to
 * one decoder per format, and the row plumbing the decoders share (batches,
 * mid-grey fill for truncated files, the first-warning rule).  Follows the
 * conventions of include/vigil/media.h and PDQ-SPEC section 1.  Invariants:
 * the file size is checked before anything else; begin() is called once
 * before any row; exactly info.out_height rows reach the sink on success.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

/* Batches stay below this size unless a single row is larger. */
#define ROWS_BATCH_BYTES (256u * 1024)
#define ROWS_BATCH_MAX 64u

int vg__media_bmp_plausible(const uint8_t *data, size_t len)
{
    uint32_t hsize;

    /* 16 bytes suffice (callers sniff a short head): the header size's
     * missing high bytes then count as zero */
    if (len < 16 || data[0] != 'B' || data[1] != 'M')
        return 0;
    hsize = (uint32_t)data[14] | (uint32_t)data[15] << 8 |
            (len > 16 ? (uint32_t)data[16] << 16 : 0) |
            (len > 17 ? (uint32_t)data[17] << 24 : 0);
    switch (hsize) {
    case 12:
    case 16:
    case 40:
    case 52:
    case 56:
    case 64:
    case 108:
    case 124:
        return 1;
    default:
        return 0;
    }
}

enum vg_media_format vg_media_sniff(const uint8_t *data, size_t len)
{
    static const uint8_t png_sig[8] = {0x89, 'P',  'N',  'G',
                                       0x0d, 0x0a, 0x1a, 0x0a};

    if (!data)
        return VG_MEDIA_UNKNOWN;
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return VG_MEDIA_JPEG;
    if (len >= 8 && !memcmp(data, png_sig, 8))
        return VG_MEDIA_PNG;
    if (len >= 6 && (!memcmp(data, "GIF87a", 6) || !memcmp(data, "GIF89a", 6)))
        return VG_MEDIA_GIF;
    if (len >= 12 && !memcmp(data, "RIFF", 4) && !memcmp(data + 8, "WEBP", 4))
        return VG_MEDIA_WEBP;
    if (vg__media_bmp_plausible(data, len))
        return VG_MEDIA_BMP;
    return VG_MEDIA_UNKNOWN;
}

const char *vg_media_format_name(enum vg_media_format fmt)
{
    switch (fmt) {
    case VG_MEDIA_JPEG:
        return "jpeg";
    case VG_MEDIA_PNG:
        return "png";
    case VG_MEDIA_GIF:
        return "gif";
    case VG_MEDIA_WEBP:
        return "webp";
    case VG_MEDIA_BMP:
        return "bmp";
    default:
        return "unknown";
    }
}

/* A hint for the "unsupported format" message: what the bytes look like. */
static const char *guess_other(const uint8_t *d, size_t len)
{
    if (len >= 4 && (!memcmp(d, "II*\0", 4) || !memcmp(d, "MM\0*", 4)))
        return "TIFF";
    if (len >= 12 && !memcmp(d + 4, "ftyp", 4)) {
        if (!memcmp(d + 8, "avif", 4) || !memcmp(d + 8, "avis", 4))
            return "AVIF";
        if (!memcmp(d + 8, "heic", 4) || !memcmp(d + 8, "heix", 4) ||
            !memcmp(d + 8, "mif1", 4) || !memcmp(d + 8, "msf1", 4))
            return "HEIF";
        return "ISO media (video?)";
    }
    if (len >= 2 && d[0] == 0xff && d[1] == 0x0a)
        return "JPEG XL";
    if (len >= 12 && !memcmp(d, "\0\0\0\x0cJXL \r\n\x87\n", 12))
        return "JPEG XL";
    if (len >= 4 && !memcmp(d, "\0\0\1\0", 4))
        return "ICO";
    if (len >= 4 && !memcmp(d, "8BPS", 4))
        return "PSD";
    if (len >= 4 && !memcmp(d, "RIFF", 4))
        return "RIFF (not WebP)";
    if (len >= 5 && !memcmp(d, "%PDF-", 5))
        return "PDF";
    if (len >= 2 && d[0] == 'B' && d[1] == 'M')
        return "BMP with an unknown header";
    if (len >= 1 && d[0] == '<')
        return "text/markup (HTML, XML or SVG?)";
    return NULL;
}

static int unsupported(const uint8_t *data, size_t len, struct vg_err *err)
{
    char hex[3 * 8 + 1];
    const char *what;
    size_t i, n = len < 8 ? len : 8;

    if (len == 0)
        return vg_err_set(err, VG_EFORMAT, "unsupported format (empty input)");
    if ((what = guess_other(data, len)))
        return vg_err_set(err, VG_EFORMAT,
                          "unsupported format (looks like %s)", what);
    hex[0] = '\0';
    for (i = 0; i < n; i++)
        snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%02x ", data[i]);
    hex[3 * n - 1] = '\0'; /* drop the trailing space */
    return vg_err_set(err, VG_EFORMAT, "unsupported format (first bytes: %s)",
                      hex);
}

int vg__media_check_dims(struct vg__media_ctx *ctx, const char *what,
                         uint64_t width, uint64_t height)
{
    if (width == 0 || height == 0)
        return vg_err_set(ctx->err, VG_ECORRUPT,
                          "%s: image has a zero dimension (%llux%llu)", what,
                          (unsigned long long)width,
                          (unsigned long long)height);
    if (width > UINT32_MAX || height > UINT32_MAX ||
        width > ctx->max_pixels / height)
        return vg_err_set(ctx->err, VG_ETOOBIG,
                          "%s: %llux%llu pixels exceed the limit of %llu",
                          what, (unsigned long long)width,
                          (unsigned long long)height,
                          (unsigned long long)ctx->max_pixels);
    return VG_OK;
}

/* The sink's code, with a message (the sink has no vg_err of its own). */
static int sink_stopped(struct vg__media_ctx *ctx, int rc)
{
    if (rc == VG_OK)
        return VG_OK;
    return vg_err_set(ctx->err, rc,
                      "%s: the receiver of the pixels failed "
                      "(%s)",
                      vg_media_format_name(ctx->info->format),
                      vg_strerror(rc));
}

int vg__media_begin(struct vg__media_ctx *ctx)
{
    const struct vg_media_info *in = ctx->info;

    if (ctx->begun || !in->out_width || !in->out_height ||
        (in->channels != 1 && in->channels != 3))
        return vg_err_set(ctx->err, VG_EINTERNAL,
                          "media: inconsistent begin (%ux%u, %u channels)",
                          in->out_width, in->out_height, in->channels);
    ctx->begun = 1;
    if (ctx->sink->begin)
        return sink_stopped(ctx, ctx->sink->begin(ctx->sink->ctx, in));
    return VG_OK;
}

int vg__media_push(struct vg__media_ctx *ctx, const uint8_t *rows,
                   size_t stride, unsigned nrows)
{
    if (!nrows)
        return VG_OK;
    if (!ctx->begun || nrows > ctx->info->out_height - ctx->rows_pushed)
        return vg_err_set(ctx->err, VG_EINTERNAL,
                          "media: decoder pushed too many rows");
    ctx->rows_pushed += nrows;
    if (ctx->sink->rows)
        return sink_stopped(ctx, ctx->sink->rows(ctx->sink->ctx, rows, stride,
                                                 nrows));
    return VG_OK;
}

void vg__media_warn(struct vg__media_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->info->warning[0])
        return;
    va_start(ap, fmt);
    vsnprintf(ctx->info->warning, sizeof(ctx->info->warning), fmt, ap);
    va_end(ap);
}

void vg__media_incomplete(struct vg__media_ctx *ctx, const char *fmt, ...)
{
    va_list ap;

    ctx->info->incomplete = 1;
    if (ctx->info->warning[0])
        return;
    va_start(ap, fmt);
    vsnprintf(ctx->info->warning, sizeof(ctx->info->warning), fmt, ap);
    va_end(ap);
}

int vg__media_rows_init(struct vg__media_ctx *ctx, struct vg__media_rows *r)
{
    const struct vg_media_info *in = ctx->info;
    size_t cap;

    memset(r, 0, sizeof(*r));
    r->stride = (size_t)in->out_width * in->channels;
    cap = ROWS_BATCH_BYTES / r->stride;
    if (cap < 1)
        cap = 1;
    if (cap > ROWS_BATCH_MAX)
        cap = ROWS_BATCH_MAX;
    if (cap > in->out_height)
        cap = in->out_height;
    r->cap = (unsigned)cap;
    if (!(r->buf = vg_mallocarray(cap, r->stride)))
        return vg_err_set(ctx->err, VG_ENOMEM, "media: out of memory");
    return VG_OK;
}

void vg__media_rows_fini(struct vg__media_rows *r)
{
    vg_free(r->buf);
    r->buf = NULL;
}

uint8_t *vg__media_rows_next(struct vg__media_rows *r)
{
    return r->buf + (size_t)r->n * r->stride;
}

int vg__media_rows_flush(struct vg__media_ctx *ctx, struct vg__media_rows *r)
{
    unsigned n = r->n;

    r->n = 0;
    return vg__media_push(ctx, r->buf, r->stride, n);
}

int vg__media_rows_commit(struct vg__media_ctx *ctx, struct vg__media_rows *r)
{
    if (++r->n < r->cap)
        return VG_OK;
    return vg__media_rows_flush(ctx, r);
}

int vg__media_rows_fill(struct vg__media_ctx *ctx, struct vg__media_rows *r,
                        unsigned count)
{
    int rc;

    while (count--) {
        memset(vg__media_rows_next(r), VG__MEDIA_FILL, r->stride);
        if ((rc = vg__media_rows_commit(ctx, r)))
            return rc;
    }
    return VG_OK;
}

int vg_media_decode(const uint8_t *data, size_t len,
                    const struct vg_media_opts *opts,
                    const struct vg_media_sink *sink,
                    struct vg_media_info *info, struct vg_err *err)
{
    static const struct vg_media_opts defaults;
    struct vg__media_ctx ctx;
    int rc;

    if (!info)
        return vg_err_set(err, VG_EINVAL, "media: info is required");
    memset(info, 0, sizeof(*info));
    if (!opts)
        opts = &defaults;
    memset(&ctx, 0, sizeof(ctx));
    ctx.max_pixels = opts->limits.max_pixels ? opts->limits.max_pixels
                                             : VG_MEDIA_DEFAULT_MAX_PIXELS;
    ctx.max_bytes = opts->limits.max_bytes ? opts->limits.max_bytes
                                           : VG_MEDIA_DEFAULT_MAX_BYTES;
    if ((uint64_t)len > ctx.max_bytes)
        return vg_err_set(err, VG_ETOOBIG,
                          "file of %zu bytes exceeds the limit of %llu bytes",
                          len, (unsigned long long)ctx.max_bytes);
    if ((!data && len) || !sink)
        return vg_err_set(err, VG_EINVAL, "media: data and sink are required");
    ctx.data = data;
    ctx.len = len;
    ctx.scale_min_side = opts->scale_min_side;
    ctx.grey_from_decoder = opts->grey_from_decoder;
    ctx.sink = sink;
    ctx.info = info;
    ctx.err = err;

    info->format = vg_media_sniff(data, len);
    switch (info->format) {
    case VG_MEDIA_JPEG:
        rc = vg__media_jpeg(&ctx);
        break;
    case VG_MEDIA_PNG:
        rc = vg__media_png(&ctx);
        break;
    case VG_MEDIA_GIF:
        rc = vg__media_gif(&ctx);
        break;
    case VG_MEDIA_WEBP:
        rc = vg__media_webp(&ctx);
        break;
    case VG_MEDIA_BMP:
        rc = vg__media_bmp(&ctx);
        break;
    default:
        return unsupported(data, len, err);
    }
    if (rc == VG_OK && ctx.rows_pushed != info->out_height)
        rc = vg_err_set(err, VG_EINTERNAL,
                        "media: %s decoder delivered %u of %u rows",
                        vg_media_format_name(info->format), ctx.rows_pushed,
                        info->out_height);
    return rc;
}
