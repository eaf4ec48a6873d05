/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Review thumbnails (module `media`): a small JPEG of a decoded
 * image, longest side 160 pixels by default (never enlarged), quality 70,
 * made from rows as a decoder pushes them (a vg_media_sink), so a large
 * image never needs a full-size pixel buffer: each thumbnail pixel is the
 * mean of the source pixels it covers (box filter), kept in a
 * thumbnail-sized accumulator.  Grey sources give grey JPEGs, RGB sources
 * RGB (baseline, 4:2:0).  Optionally greyscale and blurred (three box
 * passes, about a Gaussian), for a console that must not show a picture
 * before the analyst asks for it.
 *
 * Ownership: JPEG bytes returned are the caller's to vg_free.
 * Thread safety: a builder is one thread's; the functions are reentrant.
 */
#ifndef VIGIL_THUMB_H
#define VIGIL_THUMB_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"
#include "vigil/media.h"

#define VG_THUMB_SIDE 160   /* default longest side, pixels */
#define VG_THUMB_QUALITY 70 /* default JPEG quality */
#define VG_THUMB_MAX_SIDE 1024

enum {
    VG_THUMB_GREY = 1 << 0, /* greyscale output */
    VG_THUMB_BLUR = 1 << 1  /* strongly blurred output */
};

/* Zero-initialised means defaults. */
struct vg_thumb_opts {
    unsigned max_side;             /* 1..VG_THUMB_MAX_SIDE; 0 = 160 */
    int quality;                   /* 1..100; 0 = 70 */
    unsigned flags;                /* VG_THUMB_* */
    struct vg_media_limits limits; /* for vg_thumb_mem; 0 = defaults */
};

struct vg_thumb;

/* A builder; opts may be NULL.  VG_EINVAL for options out of range. */
int vg_thumb_new(const struct vg_thumb_opts *opts, struct vg_thumb **out);
void vg_thumb_free(struct vg_thumb *t);

/*
 * The sink to decode into (vg_media_decode), or to call directly with
 * one's own pixels: begin() once with width, height (out_width,
 * out_height) and channels (1 or 3), then rows top to bottom.  sink is
 * valid while t lives.
 */
void vg_thumb_sink(struct vg_thumb *t, struct vg_media_sink *sink);

/*
 * Encode what the sink received (every row must have come: VG_EINVAL
 * otherwise) into *jpeg (vg_free it), *n bytes; *w and *h (may be NULL)
 * get the thumbnail's size.  VG_ENOMEM, VG_EINTERNAL (encoder) with
 * detail in err.
 */
int vg_thumb_finish(struct vg_thumb *t, uint8_t **jpeg, size_t *n, unsigned *w,
                    unsigned *h, struct vg_err *err);

/*
 * Decode the image in data[0..len) (any format vg_media_decode reads;
 * JPEG with DCT scaling, as the thumbnail needs no more) and make its
 * thumbnail.  Returns vg_media_decode's errors or vg_thumb_finish's.
 */
int vg_thumb_mem(const uint8_t *data, size_t len,
                 const struct vg_thumb_opts *opts, uint8_t **jpeg, size_t *n,
                 unsigned *w, unsigned *h, struct vg_err *err);

#endif
