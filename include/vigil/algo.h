/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash algorithm ids, names and sizes (the registry, vigil/hashalgo.h,
 * holds the rest), and the one canonical byte form of a value: the bytes
 * of its lowercase hex text, in order (for PDQ, spec section 9's hex
 * order).  Stores, list files and the index all exchange values in this
 * form, so a value means the same on every host.  Thread safety: all
 * functions are pure.
 */
#ifndef VIGIL_ALGO_H
#define VIGIL_ALGO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"
#include "vigil/pdq.h"

/*
 * An algorithm's id is its position in the registry.  The built-ins come
 * first; VG_ALGO_COUNT is the first id after them, which is the first
 * registered extra algorithm, if the build has one (vg_hashalgo_count()).
 */
enum vg_algo {
    VG_ALGO_PDQ = 0,
    VG_ALGO_MD5,
    VG_ALGO_SHA1,
    VG_ALGO_SHA256,
    VG_ALGO_COUNT
};

/* Most algorithms one build may register. */
#define VG_ALGO_MAX 16

/* Largest value in bytes any algorithm may have (video and future hashes;
 * the built-ins' largest is 32). */
#define VG_ALGO_MAXSIZE 4096

/* The registered name ("pdq", "md5", "sha1", "sha256", ...); NULL for an
 * unknown id. */
const char *vg_algo_name(enum vg_algo a);
/* Parse a name (case-insensitive; aliases such as "sha-1", "sha-256" also
 * accepted).  Returns VG_OK or VG_EINVAL. */
int vg_algo_from_name(const char *name, size_t len, enum vg_algo *out);
/* Size of a value in bytes (32, 16, 20, 32 for the built-ins); 0 for an
 * unknown id. */
size_t vg_algo_size(enum vg_algo a);
/* Algorithms registered in this build: ids 0..vg_algo_count()-1. */
unsigned vg_algo_count(void);

/* A value carried by reference: vg_algo_size(algo) bytes, borrowed. */
struct vg_hashval {
    enum vg_algo algo;
    const uint8_t *value;
    int quality; /* 0..100, or -1 when the algorithm has none */
};

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
