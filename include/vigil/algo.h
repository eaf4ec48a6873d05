/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hash algorithms a list entry can hold, their names and sizes, and the
 * one canonical byte form of a value: the bytes of its lowercase hex text,
 * in order (for PDQ, spec section 9's hex order).  Stores, list files and
 * the index all exchange values in this form, so a value means the same on
 * every host.  Thread safety: all functions are pure.
 */
#ifndef VIGIL_ALGO_H
#define VIGIL_ALGO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"
#include "vigil/pdq.h"

enum vg_algo {
    VG_ALGO_PDQ = 0,
    VG_ALGO_MD5,
    VG_ALGO_SHA1,
    VG_ALGO_SHA256,
    VG_ALGO_COUNT
};

/* Largest value in bytes (PDQ and SHA-256). */
#define VG_ALGO_MAXSIZE 32

/* "pdq", "md5", "sha1", "sha256"; NULL for an unknown value. */
const char *vg_algo_name(enum vg_algo a);
/* Parse a name (case-insensitive; "sha-1", "sha-256" also accepted).
 * Returns VG_OK or VG_EINVAL. */
int vg_algo_from_name(const char *name, size_t len, enum vg_algo *out);
/* Size of a value in bytes: 32, 16, 20, 32. */
size_t vg_algo_size(enum vg_algo a);

/* Value of one hex digit (either case), or -1. */
int vg_hex_value(int c);

/*
 * Decode exactly 2*n hex digits (either case) into n bytes.  Returns VG_OK,
 * or VG_EINVAL for a wrong length or a non-hex digit.
 */
int vg_hex_decode(const char *hex, size_t len, uint8_t *out, size_t n);

/* PDQ hash <-> canonical 32 bytes. */
void vg_pdq_to_bytes(const struct vg_pdq_hash *h, uint8_t out[32]);
void vg_pdq_from_bytes(const uint8_t in[32], struct vg_pdq_hash *out);

#endif
