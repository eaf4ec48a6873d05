/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Media decoding: detect an image format from its bytes and decode it to
 * 8-bit grey or RGB rows, pushed top to bottom into a caller's sink, within
 * limits checked from the header before any pixel buffer is allocated.
 *
 * Conventions (docs/PDQ-SPEC.md section 1):
 *   - format from magic numbers only, never from a file name;
 *   - output is 1 channel for grey sources (grey, grey+alpha), 3 channels
 *     (RGB) otherwise; alpha is dropped, not composited; palettes expand;
 *     CMYK/YCCK JPEG converts to RGB; 16-bit samples narrow by v >> 8
 *     (the reference keeps the low byte, a bug we do not copy);
 *   - EXIF orientation is ignored; GIF decodes its first image only;
 *   - a truncated but decodable image is decoded with info->warning set;
 *     a corrupt one is an error (VG_ECORRUPT) with detail in err.
 * Thread safety: vg_media_decode is reentrant (no global state).
 */
#ifndef VIGIL_MEDIA_H
#define VIGIL_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

enum vg_media_format {
    VG_MEDIA_UNKNOWN = 0,
    VG_MEDIA_JPEG,
    VG_MEDIA_PNG,
    VG_MEDIA_GIF,
    VG_MEDIA_WEBP,
    VG_MEDIA_BMP
};

#define VG_MEDIA_DEFAULT_MAX_PIXELS (128ull * 1000 * 1000) /* 128 MP */
#define VG_MEDIA_DEFAULT_MAX_BYTES (256ull * 1024 * 1024)  /* 256 MiB */

struct vg_media_limits {
    uint64_t max_pixels; /* width * height of the decoded image */
    uint64_t max_bytes;  /* size of the encoded file */
};

/* Decoding options; zero-initialised means defaults (limits 0 = default). */
struct vg_media_opts {
    struct vg_media_limits limits;
    /*
     * JPEG only, for speed: when non-zero, decode with libjpeg-turbo's DCT
     * scaling by the largest of 1/2, 1/4, 1/8 that keeps both sides
     * >= scale_min_side (no scaling if none does).
     */
    unsigned scale_min_side;
    /* JPEG only, for speed: output the decoder's own luma (1 channel). */
    int grey_from_decoder;
};

struct vg_media_info {
    enum vg_media_format format;
    unsigned width, height; /* as stored in the file */
    unsigned out_width,
        out_height;    /* rows pushed to the sink (after scaling) */
    unsigned channels; /* 1 (grey) or 3 (RGB) */
    char warning[160]; /* non-empty: decoded, but see this */
    int incomplete;    /* truncated or corrupt: rows are missing (filled
                          mid-grey), the warning says so */
};

/*
 * The receiver of decoded rows.  begin() is called once, after the header
 * has been checked against the limits and before any row; rows() is called
 * with consecutive rows top to bottom (`nrows` rows, `stride` bytes apart,
 * each out_width * channels bytes).  Either may return a negative VG_E* code
 * to stop decoding; vg_media_decode then returns that code.  Rows are
 * borrowed for the duration of the call.
 */
struct vg_media_sink {
    int (*begin)(void *ctx, const struct vg_media_info *info);
    int (*rows)(void *ctx, const uint8_t *rows, size_t stride, unsigned nrows);
    void *ctx;
};

/* The format of data judged by its first bytes (VG_MEDIA_UNKNOWN if none). */
enum vg_media_format vg_media_sniff(const uint8_t *data, size_t len);

/* "jpeg", "png", "gif", "webp", "bmp" or "unknown". */
const char *vg_media_format_name(enum vg_media_format fmt);

/*
 * Decode the image in data[0..len) into sink.  opts may be NULL (defaults).
 * info (required) is filled as far as known, also on failure.
 * Returns VG_OK; VG_EFORMAT for an unsupported format; VG_ETOOBIG when the
 * file or the pixel count exceeds the limits (checked before allocation);
 * VG_ECORRUPT for undecodable data; VG_ENOMEM; or the sink's error.
 */
int vg_media_decode(const uint8_t *data, size_t len,
                    const struct vg_media_opts *opts,
                    const struct vg_media_sink *sink,
                    struct vg_media_info *info, struct vg_err *err);

#endif
