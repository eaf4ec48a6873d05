/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From image bytes to every hash Vigil matches on: MD5/SHA-1/SHA-256 of the
 * bytes (computed while reading) and PDQ of the decoded pixels, with the
 * media limits applied.  This is the one entry point `vigil hash`, the
 * matcher and the crawler share.  Thread safety: reentrant.
 */
#ifndef VIGIL_IMAGEHASH_H
#define VIGIL_IMAGEHASH_H

#include <stdio.h>

#include "vigil/digest.h"
#include "vigil/media.h"
#include "vigil/pdq.h"

enum {
    VG_IMAGEHASH_DIHEDRAL = 1 << 0,
    VG_IMAGEHASH_PRESCALE_512 = 1 << 1,
    /* JPEG: DCT-scaled decode (sides >= 512) and decoder luma; not exact */
    VG_IMAGEHASH_FAST = 1 << 2
};

struct vg_imagehash_opts {
    unsigned flags;                /* VG_IMAGEHASH_* */
    struct vg_media_limits limits; /* 0 = defaults */
};

struct vg_imagehash {
    struct vg_digests digests;
    struct vg_pdq_result pdq;
    enum vg_media_format format;
    unsigned width, height; /* as stored in the file */
    char warning[160];      /* non-empty when the hash comes with a caveat */
};

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
 * with VG_ETOOBIG before reading further), digesting as it reads, then hash.
 */
int vg_imagehash_stream(FILE *f, const struct vg_imagehash_opts *opts,
                        struct vg_imagehash *out, struct vg_err *err);

/* Open path (a regular file) and hash it as vg_imagehash_stream. */
int vg_imagehash_file(const char *path, const struct vg_imagehash_opts *opts,
                      struct vg_imagehash *out, struct vg_err *err);

#endif
