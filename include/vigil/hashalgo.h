/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry of hash algorithms.  Each algorithm is one table row: its
 * name, the size of its values, how it hashes (over the file's bytes, like
 * a digest, or over the decoded frame, like PDQ), how two values are
 * compared (a distance, 0 = equal) and the default distance within which
 * they match, and the index kind that finds its matches.  Everything that
 * carries, stores, indexes or matches a value asks the registry rather
 * than naming algorithms, so a new algorithm is its own file plus one line
 * in src/hash/registry.c (docs/HASH-ALGORITHMS.md).
 *
 * An algorithm's id (enum vg_algo) is its position in the registry: the
 * four built-ins are VG_ALGO_PDQ, _MD5, _SHA1 and _SHA256, the rest follow
 * in registry order.  Ids are not stored anywhere (stores and files use
 * names), so the order may change between builds.
 * Thread safety: the registry is constant; every function is pure.
 */
#ifndef VIGIL_HASHALGO_H
#define VIGIL_HASHALGO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/algo.h"

enum vg_hashalgo_kind {
    VG_HASHALGO_EXACT, /* an exact set: only equal values match */
    VG_HASHALGO_MIH,   /* 256-bit Hamming multi-index with dihedral queries */
    VG_HASHALGO_SCAN   /* a linear scan with the algorithm's distance */
};

/* A decoded frame as the media decoder hands it over: 8-bit rows. */
struct vg_frame_info {
    unsigned width, height;
    unsigned channels; /* 1 (grey) or 3 (RGB) */
};

/* Frame hasher options (PDQ's conventions; others may ignore them). */
enum {
    VG_FRAME_DIHEDRAL = 1 << 0, /* also the 8 dihedral variants */
    VG_FRAME_PRESCALE_512 = 1 << 1
};

/*
 * A perceptual hasher: rows of the frame go in top to bottom, so no
 * hasher needs the whole frame in memory.  begin returns VG_OK or a VG_E*
 * code with *state set (freed with free even when a later step fails);
 * finish writes size bytes of value and the quality (0..100, or -1 when
 * the algorithm has none); detail is the algorithm's own fuller result
 * (for PDQ a struct vg_pdq_result), or NULL when the caller wants none.
 */
struct vg_frame_hasher {
    int (*begin)(const struct vg_frame_info *fi, unsigned flags, void **state);
    int (*rows)(void *state, const uint8_t *rows, size_t stride,
                unsigned nrows);
    int (*finish)(void *state, uint8_t *value, int *quality, void *detail);
    void (*free)(void *state);
};

struct vg_hashalgo {
    const char *name;  /* lowercase, as stored and printed */
    const char *alias; /* another accepted spelling, or NULL */
    const char *title; /* for people: "PDQ", "SHA-256" */
    size_t size;       /* value bytes, 1..VG_ALGO_MAXSIZE */
    enum vg_hashalgo_kind kind;
    int threshold;    /* match distance by default (0 for exact) */
    int max_distance; /* largest distance the function returns */
    /* 0 for equal values; a, b are size bytes in canonical form */
    int (*distance)(const uint8_t *a, const uint8_t *b, size_t size);
    /* exactly one of the two hashers is set */
    int (*hash_bytes)(const uint8_t *data, size_t len, uint8_t *out);
    const struct vg_frame_hasher *frame;
};

/* Algorithms registered in this build (ids 0..count-1). */
unsigned vg_hashalgo_count(void);

/* The algorithm with this id, or NULL. */
const struct vg_hashalgo *vg_hashalgo_get(enum vg_algo a);

/*
 * Find by name or alias (case-insensitive).  VG_OK or VG_EINVAL.
 */
int vg_hashalgo_find(const char *name, size_t len, enum vg_algo *out);

/*
 * The algorithms whose values have hexlen hex digits, in registry order,
 * at most max of them written to out; returns how many there are.  The
 * length alone is ambiguous when two algorithms have the same size: 64
 * digits are PDQ or SHA-256 (the caller must be told which).
 */
size_t vg_hashalgo_guess(size_t hexlen, enum vg_algo *out, size_t max);

/* Number of differing bits of two n-byte values (a distance function). */
int vg_hashalgo_hamming(const uint8_t *a, const uint8_t *b, size_t n);

/* 0 when equal, else 1 (the distance of exact algorithms). */
int vg_hashalgo_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif
