/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PDQ perceptual hashing, bit-exact with docs/PDQ-SPEC.md.
 *
 * The hasher is a stream: rows of 8-bit grey or RGB pixels go in top to
 * bottom and are reduced on the fly (luma, the two-pass Jarosz blur, 64x64
 * decimation), so memory stays O(width * (height / 128 + 32)) whatever the
 * image size.  Full resolution (spec convention B) is the default;
 * VG_PDQ_PRESCALE_512 applies the C++ command line's nearest-neighbour
 * 512x512 pre-resize first (convention A).  All 8 dihedral hashes come from
 * one DCT (spec section 10).  Thread safety: a stream belongs to one thread;
 * distinct streams may run in parallel.
 */
#ifndef VIGIL_PDQ_H
#define VIGIL_PDQ_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

/* Bit k (0..255) is bit (k % 16) of w[k / 16]: spec section 9. */
struct vg_pdq_hash {
    uint16_t w[16];
};

enum vg_pdq_dihedral {
    VG_PDQ_ORIG = 0,
    VG_PDQ_ROT90,
    VG_PDQ_ROT180,
    VG_PDQ_ROT270,
    VG_PDQ_FLIPX,
    VG_PDQ_FLIPY,
    VG_PDQ_FLIPPLUS1,
    VG_PDQ_FLIPMINUS1,
    VG_PDQ_NDIHEDRAL
};

enum {
    VG_PDQ_DIHEDRAL = 1 << 0,    /* also compute the 8 dihedral hashes */
    VG_PDQ_PRESCALE_512 = 1 << 1 /* C++ CLI convention (spec section 2) */
};

struct vg_pdq_result {
    struct vg_pdq_hash hash;                       /* the plain hash */
    struct vg_pdq_hash dihedral[VG_PDQ_NDIHEDRAL]; /* if requested */
    int quality;                                   /* 0..100 */
};

struct vg_pdq_stream;

/*
 * Start hashing a width x height image of `channels` (1 or 3) 8-bit
 * channels.  flags: VG_PDQ_* bits.  Returns VG_OK, VG_EINVAL for bad sizes
 * or channels, VG_ENOMEM.
 */
int vg_pdq_stream_new(unsigned width, unsigned height, unsigned channels,
                      unsigned flags, struct vg_pdq_stream **out);

/*
 * Push `nrows` consecutive rows (`stride` bytes apart).  Pushing more rows
 * than the image has is VG_EINVAL.
 */
int vg_pdq_stream_push(struct vg_pdq_stream *s, const uint8_t *rows,
                       size_t stride, unsigned nrows);

/*
 * Finish after all rows: fill *out.  Missing rows are VG_EINVAL.  Images
 * with a side below 5 give the all-zero hash with quality 0 (spec 3).
 */
int vg_pdq_stream_finish(struct vg_pdq_stream *s, struct vg_pdq_result *out);

void vg_pdq_stream_free(struct vg_pdq_stream *s);

/* Hash a float luma image (row-major, width*height), convention B. */
int vg_pdq_hash_luma(const float *luma, unsigned width, unsigned height,
                     unsigned flags, struct vg_pdq_result *out);

/* 64 lowercase hex digits + NUL (spec section 9 order). */
void vg_pdq_to_hex(const struct vg_pdq_hash *h, char out[65]);
/* Parse exactly 64 hex digits (either case); VG_EINVAL otherwise. */
int vg_pdq_from_hex(const char *hex, size_t len, struct vg_pdq_hash *out);
/* Hamming distance 0..256. */
int vg_pdq_distance(const struct vg_pdq_hash *a, const struct vg_pdq_hash *b);
/* Name of a dihedral variant ("orig", "rot90", ...). */
const char *vg_pdq_dihedral_name(enum vg_pdq_dihedral d);

/*
 * SIMD selection for the blur and luma kernels.  All paths give bit-identical
 * results; the default is the best the CPU supports.  Names: "scalar",
 * "sse2", "avx2", "avx512".  Returns VG_EINVAL for an unknown or unsupported
 * name.  Call before any stream is created (not thread-safe).
 */
int vg_pdq_set_impl(const char *name);
const char *vg_pdq_impl(void);

#endif
