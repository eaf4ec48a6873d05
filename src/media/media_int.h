/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by the media decoders (media.c dispatches to one
 * media_<format>.c per format).  A decoder receives a vg__media_ctx with the
 * input, the effective limits and the sink; it checks the header with
 * vg__media_check_dims() before allocating any pixel buffer, fills ctx->info,
 * calls vg__media_begin() once, then pushes exactly info.out_height rows top
 * to bottom through vg__media_push() (directly or via a vg__media_rows
 * batch).  media.c verifies the row count afterwards.  Mid-grey (128) stands
 * in for rows a truncated file does not contain.
 */
#ifndef VIGIL_MEDIA_INT_H
#define VIGIL_MEDIA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/media.h"

/* Value of pixels a truncated image does not contain. */
#define VG__MEDIA_FILL 128

struct vg__media_ctx {
    const uint8_t *data;
    size_t len;
    uint64_t max_pixels;
    uint64_t max_bytes;
    unsigned scale_min_side;
    int grey_from_decoder;
    const struct vg_media_sink *sink;
    struct vg_media_info *info;
    struct vg_err *err;
    unsigned rows_pushed; /* rows handed to the sink so far */
    int begun;            /* begin() was called */
};

/* A batch of output rows, flushed to the sink when full. */
struct vg__media_rows {
    uint8_t *buf;
    size_t stride; /* out_width * channels */
    unsigned cap;  /* rows in buf */
    unsigned n;    /* rows filled */
};

/*
 * Check stored dimensions against the limits: VG_ECORRUPT for a zero side,
 * VG_ETOOBIG for a side above UINT32_MAX or more pixels than max_pixels.
 * `what` names the format in the message.
 */
int vg__media_check_dims(struct vg__media_ctx *ctx, const char *what,
                         uint64_t width, uint64_t height);

/* Call the sink's begin() with ctx->info (once). */
int vg__media_begin(struct vg__media_ctx *ctx);

/* Hand nrows rows to the sink; refuses to go past info.out_height. */
int vg__media_push(struct vg__media_ctx *ctx, const uint8_t *rows,
                   size_t stride, unsigned nrows);

/* Record the first warning in ctx->info->warning (later ones are dropped). */
void vg__media_warn(struct vg__media_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The same for a truncated or corrupt image whose missing rows are
 * filled: also sets ctx->info->incomplete. */
void vg__media_incomplete(struct vg__media_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A batch buffer for ctx->info's output rows (a few hundred KiB at most). */
int vg__media_rows_init(struct vg__media_ctx *ctx, struct vg__media_rows *r);
void vg__media_rows_fini(struct vg__media_rows *r);
/* The row to fill next; commit it with vg__media_rows_commit(). */
uint8_t *vg__media_rows_next(struct vg__media_rows *r);
int vg__media_rows_commit(struct vg__media_ctx *ctx, struct vg__media_rows *r);
int vg__media_rows_flush(struct vg__media_ctx *ctx, struct vg__media_rows *r);
/* Queue `count` mid-grey rows (for data a truncated file lacks). */
int vg__media_rows_fill(struct vg__media_ctx *ctx, struct vg__media_rows *r,
                        unsigned count);

/* The decoders; each returns VG_OK or a VG_E* code with detail in ctx->err. */
int vg__media_jpeg(struct vg__media_ctx *ctx);
/*
 * Fast mode (jpeg_prune.c): copy a progressive JPEG without the scans that
 * a decode of components `needed` (bit i = i-th frame component) reading
 * coefficients up to zig-zag index maxzz cannot use.  *out is vg_malloc'd.
 * VG_EFORMAT when the stream is not as expected (decode the original).
 */
int vg__media_jpeg_prune(const uint8_t *data, size_t len, unsigned needed,
                         unsigned maxzz, uint8_t **out, size_t *outlen);
int vg__media_png(struct vg__media_ctx *ctx);
int vg__media_gif(struct vg__media_ctx *ctx);
int vg__media_webp(struct vg__media_ctx *ctx);
int vg__media_bmp(struct vg__media_ctx *ctx);

/* BMP header plausibility, shared by the sniffer and the decoder. */
int vg__media_bmp_plausible(const uint8_t *data, size_t len);

#endif
