/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline (src/pipeline): from image bytes to every registered hash
 * (vigil/hashalgo.h), the digests over the bytes and the perceptual ones
 * (PDQ, ...) over the pixels decoded by src/media, with the media limits
 * applied.  This is the one entry point `vigil hash`, the matcher and the
 * crawler share.  Thread safety: reentrant.
 */
#ifndef VIGIL_IMAGEHASH_H
#define VIGIL_IMAGEHASH_H

#include <stdio.h>

#include "vigil/algo.h"
#include "vigil/digest.h"
#include "vigil/media.h"
#include "vigil/pdq.h"

enum {
    VG_IMAGEHASH_DIHEDRAL = 1 << 0,
    VG_IMAGEHASH_PRESCALE_512 = 1 << 1,
    /* JPEG: DCT-scaled decode (sides >= 448) and decoder luma; not exact */
    VG_IMAGEHASH_FAST = 1 << 2,
    /* no digests over the bytes (MD5, SHA-1, SHA-256 left zero and absent
       from values): for callers that print only the perceptual hashes */
    VG_IMAGEHASH_NO_DIGESTS = 1 << 3
};

struct vg_imagehash_opts {
    unsigned flags;                /* VG_IMAGEHASH_* */
    struct vg_media_limits limits; /* 0 = defaults */
};

/* Bytes of values one image carries, all algorithms together. */
#define VG_IMAGEHASH_VALBYTES 256

/* One algorithm's value: len bytes at valbuf + off. */
struct vg_imagehash_value {
    uint16_t algo; /* enum vg_algo */
    uint16_t off, len;
    int16_t quality; /* -1 when the algorithm has none */
};

/*
 * A plain value: copying the struct copies every hash.  The built-ins are
 * also in typed form (digests, pdq) for the code that wants those.
 */
struct vg_imagehash {
    struct vg_digests digests;
    struct vg_pdq_result pdq;
    enum vg_media_format format;
    unsigned width, height; /* as stored in the file */
    char warning[160];      /* non-empty when the hash comes with a caveat */
    int incomplete;   /* truncated or corrupt: decoded with rows missing */
    unsigned nvalues; /* digests, then perceptual: registry order */
    struct vg_imagehash_value values[VG_ALGO_MAX];
    uint8_t valbuf[VG_IMAGEHASH_VALBYTES];
};

/*
 * The value of algorithm a (vg_algo_size(a) bytes) and its quality, or
 * NULL when the image has none (a perceptual hash of undecodable bytes).
 */
const uint8_t *vg_imagehash_value(const struct vg_imagehash *h, enum vg_algo a,
                                  int *quality);

/*
 * Only the hashes over the bytes (the digests) of data[0..len), for bytes
 * that do not decode: the rest of *out is zero.  VG_OK or VG_EINTERNAL.
 */
int vg_imagehash_bytes(const uint8_t *data, size_t len,
                       struct vg_imagehash *out, struct vg_err *err);

/*
 * Hash the image in data[0..len).  Digests cover exactly those bytes.
 * Returns VG_OK or the decoder's error (see vg_media_decode) with detail in
 * err; on error *out is unspecified and must not be used.
 */
int vg_imagehash_mem(const uint8_t *data, size_t len,
                     const struct vg_imagehash_opts *opts,
                     struct vg_imagehash *out, struct vg_err *err);

/*
 * Read the open stream f to its end (refusing more than limits.max_bytes
 * with VG_ETOOBIG before reading further), then hash.
 */
int vg_imagehash_stream(FILE *f, const struct vg_imagehash_opts *opts,
                        struct vg_imagehash *out, struct vg_err *err);

/* Open path (a regular file) and hash it as vg_imagehash_stream. */
int vg_imagehash_file(const char *path, const struct vg_imagehash_opts *opts,
                      struct vg_imagehash *out, struct vg_err *err);

#endif
