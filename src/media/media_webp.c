/* SPDX-License-Identifier: Apache-2.0 */
/*
 * WebP decoding with libwebp's advanced API in MODE_RGB (alpha dropped, not
 * composited; default fancy upsampling), which is what dwebp and the
 * reference pixel source produce (PDQ-SPEC section 1).  Output is always 3
 * channels, also for lossless grey content.  The header is checked against
 * the limits before the RGB buffer (3 bytes per pixel) is allocated.  The
 * incremental decoder is used so that a truncated file still yields its
 * first rows (the rest mid-grey, with info->warning).  An animated WebP
 * decodes its first frame (the first ANMF chunk's bitstream, found by a
 * bounds-checked walk of the RIFF chunks), as that frame's own rectangle,
 * like the first image of a GIF.
 */
#include <string.h>

#include <webp/decode.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

/* ANMF payload: X, Y, width-1, height-1, duration (3 bytes each), flags. */
#define ANMF_HEADER 16

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int webp_status(struct vg__media_ctx *ctx, VP8StatusCode st,
                       const char *when)
{
    switch (st) {
    case VP8_STATUS_OUT_OF_MEMORY:
        return vg_err_set(ctx->err, VG_ENOMEM, "WebP: out of memory");
    case VP8_STATUS_NOT_ENOUGH_DATA:
        return vg_err_set(ctx->err, VG_ECORRUPT, "WebP: truncated (%s)", when);
    case VP8_STATUS_UNSUPPORTED_FEATURE:
        return vg_err_set(ctx->err, VG_EFORMAT,
                          "WebP: unsupported feature (%s)", when);
    default:
        return vg_err_set(ctx->err, VG_ECORRUPT,
                          "WebP: corrupt bitstream (status %d, %s)", (int)st,
                          when);
    }
}

/*
 * Locate the VP8/VP8L chunk of the first ANMF frame in a RIFF WebP.
 * Chunks cut short by truncation are clipped to the data, so a truncated
 * file still reaches the decoder (which then reports what it could do).
 */
static int first_frame(struct vg__media_ctx *ctx, const uint8_t **bits,
                       size_t *nbits)
{
    const uint8_t *d = ctx->data;
    size_t end = ctx->len, off = 12, pay, fend;
    uint32_t sz;

    if (end < off) /* the sniffer saw 12 bytes; stay safe regardless */
        goto fail;
    if (le32(d + 4) <= end - 8)
        end = 8 + (size_t)le32(d + 4);
    while (end >= off && end - off >= 8) {
        sz = le32(d + off + 4);
        pay = off + 8;
        if (sz > end - pay)
            sz = (uint32_t)(end - pay);
        if (!memcmp(d + off, "ANMF", 4)) {
            if (sz < ANMF_HEADER)
                break;
            fend = pay + sz;
            off = pay + ANMF_HEADER;
            while (fend - off >= 8) {
                sz = le32(d + off + 4);
                if (!memcmp(d + off, "VP8 ", 4) ||
                    !memcmp(d + off, "VP8L", 4)) {
                    *bits = d + off;
                    *nbits = sz > fend - off - 8 ? fend - off : 8 + (size_t)sz;
                    return VG_OK;
                }
                if (sz > fend - off - 8)
                    break;
                off += 8 + (size_t)sz + (sz & 1);
                if (off > fend)
                    break;
            }
            break;
        }
        off = pay + sz + (sz & 1);
    }
fail:
    return vg_err_set(ctx->err, VG_ECORRUPT,
                      "WebP: animation without a decodable first frame");
}

struct webp_job {
    WebPDecoderConfig cfg;
    WebPIDecoder *idec;
    uint8_t *buf;
};

static int decode_bits(struct vg__media_ctx *ctx, struct webp_job *job,
                       const uint8_t *bits, size_t nbits, int nested)
{
    struct vg_media_info *info = ctx->info;
    VP8StatusCode st;
    size_t stride;
    unsigned w, h;
    int rows = 0, rc;

    if (!WebPInitDecoderConfig(&job->cfg))
        return vg_err_set(ctx->err, VG_EINTERNAL, "WebP: library mismatch");
    if ((st = WebPGetFeatures(bits, nbits, &job->cfg.input)) != VP8_STATUS_OK)
        return webp_status(ctx, st, "header");
    if (job->cfg.input.width <= 0 || job->cfg.input.height <= 0)
        return vg_err_set(ctx->err, VG_ECORRUPT, "WebP: bad dimensions");
    if (job->cfg.input.has_animation) {
        /* the canvas is not allocated, but is held to the limit like a GIF
         * screen */
        if ((rc = vg__media_check_dims(ctx, "WebP canvas",
                                       (unsigned)job->cfg.input.width,
                                       (unsigned)job->cfg.input.height)))
            return rc;
        if (nested)
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "WebP: animation inside an animation frame");
        if ((rc = first_frame(ctx, &bits, &nbits)))
            return rc;
        return decode_bits(ctx, job, bits, nbits, 1);
    }
    w = (unsigned)job->cfg.input.width;
    h = (unsigned)job->cfg.input.height;
    info->width = info->out_width = w;
    info->height = info->out_height = h;
    info->channels = 3;
    if ((rc = vg__media_check_dims(ctx, "WebP", w, h)))
        return rc;

    stride = (size_t)w * 3;
    if (!(job->buf = vg_mallocarray(h, stride)))
        return vg_err_set(ctx->err, VG_ENOMEM, "WebP: out of memory");
    job->cfg.output.colorspace = MODE_RGB;
    job->cfg.output.is_external_memory = 1;
    job->cfg.output.u.RGBA.rgba = job->buf;
    job->cfg.output.u.RGBA.stride = (int)stride;
    job->cfg.output.u.RGBA.size = stride * h;
    if (!(job->idec = WebPIDecode(NULL, 0, &job->cfg)))
        return vg_err_set(ctx->err, VG_ENOMEM, "WebP: out of memory");
    st = WebPIUpdate(job->idec, bits, nbits);
    if (st == VP8_STATUS_OK) {
        rows = (int)h;
    } else if (st == VP8_STATUS_OUT_OF_MEMORY) {
        return webp_status(ctx, st, "image data");
    } else if (!WebPIDecGetRGB(job->idec, &rows, NULL, NULL, NULL) ||
               rows <= 0) {
        return webp_status(
            ctx, st == VP8_STATUS_SUSPENDED ? VP8_STATUS_NOT_ENOUGH_DATA : st,
            "before the first row");
    }
    if ((unsigned)rows < h) {
        if (st == VP8_STATUS_SUSPENDED)
            vg__media_incomplete(ctx, "truncated WebP: %d of %u rows decoded",
                                 rows, h);
        else
            vg__media_incomplete(ctx,
                                 "corrupt WebP (status %d): %d of %u rows "
                                 "decoded",
                                 (int)st, rows, h);
        memset(job->buf + (size_t)rows * stride, VG__MEDIA_FILL,
               (h - (unsigned)rows) * stride);
    }
    if ((rc = vg__media_begin(ctx)))
        return rc;
    return vg__media_push(ctx, job->buf, stride, h);
}

int vg__media_webp(struct vg__media_ctx *ctx)
{
    struct webp_job job;
    int rc;

    memset(&job, 0, sizeof(job));
    rc = decode_bits(ctx, &job, ctx->data, ctx->len, 0);
    if (job.idec)
        WebPIDelete(job.idec);
    WebPFreeDecBuffer(&job.cfg.output); /* no-op for external memory */
    vg_free(job.buf);
    return rc;
}
