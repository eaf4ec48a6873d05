/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the index module: the PDQ set (multi-index hashing over a
 * built base plus an unindexed tail), the exact sets and the scans over
 * them (one per registered algorithm of those kinds), which index.c
 * wraps with the lock and the group table.  Nothing here locks; the caller
 * holds index.c's lock.
 */
#ifndef VIGIL_INDEX_INT_H
#define VIGIL_INDEX_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/hashalgo.h"
#include "vigil/index.h"

/* Hits before filtering: position in the set, distance, query variant. */
struct vg__index_hit {
    size_t pos;
    int dist;
    int variant;
};

struct vg__hits {
    struct vg__index_hit *v;
    size_t n, cap;
};

int vg__hits_push(struct vg__hits *h, size_t pos, int dist, int variant);

/* One entry's bookkeeping, as the sets report it back. */
struct vg__entry_ref {
    int64_t id;
    uint16_t group;
    int disabled;
};

/* ---- PDQ: index_pdq.c ---- */

#define VG__PDQ_TABLES 12

struct vg__pdq_set {
    /* base: sorted by id, covered by the tables */
    size_t n;
    uint64_t (*code)[4]; /* vg_malloc_aligned */
    uint32_t *id32;      /* id - id_base, when the range fits ... */
    int64_t *id64;       /* ... else the full ids */
    int64_t id_base;
    uint16_t *group;
    uint64_t *disabled; /* bitmap, n bits */
    unsigned m, bits;   /* tables and key bits; m 0 = no tables */
    uint32_t *off;      /* m * (2^bits + 1) bucket starts */
    uint8_t *pos;       /* m * n positions of pos_w bytes, bucket order */
    unsigned pos_w;
    /* tail: appended since the last build, scanned linearly */
    size_t tn, tcap;
    uint64_t (*tcode)[4];
    int64_t *tid;
    uint16_t *tgroup;
    uint8_t *tdisabled;
    size_t bytes; /* memory held */
};

void vg__pdq_init(struct vg__pdq_set *s);
void vg__pdq_fini(struct vg__pdq_set *s);
int vg__pdq_reserve(struct vg__pdq_set *s, size_t n);
int vg__pdq_add(struct vg__pdq_set *s, const uint64_t code[4], uint16_t group,
                int64_t id);
/* Fold the tail into the base and rebuild the tables. */
int vg__pdq_build(struct vg__pdq_set *s);
/* The same into t (a new set), s unchanged: only read, so lookups may go
 * on meanwhile.  t is to be freed with vg__pdq_fini. */
int vg__pdq_build_into(const struct vg__pdq_set *s, struct vg__pdq_set *t);
/* Whether the tail has grown enough to fold (amortised rebuilds). */
int vg__pdq_tail_full(const struct vg__pdq_set *s);
/* Set every entry with this id; VG_ENOENT if none. */
int vg__pdq_set_enabled(struct vg__pdq_set *s, int64_t id, int enabled);
/* Every entry within radius of some q[v]: hits (pos, dist, v), a position
 * possibly more than once.  scan forces the linear scan. */
int vg__pdq_search(const struct vg__pdq_set *s, const uint64_t (*q)[4],
                   unsigned nq, int radius, int scan, struct vg__hits *out);
void vg__pdq_ref(const struct vg__pdq_set *s, size_t pos,
                 struct vg__entry_ref *out);

/* ---- digests: index_digest.c ---- */

struct vg__digest_set {
    size_t size; /* value bytes */
    size_t n, cap;
    uint8_t *val;
    int64_t *id;
    uint16_t *group;
    uint8_t *disabled;
    uint32_t *slot; /* open addressing, UINT32_MAX = empty */
    size_t nslot;
    uint64_t seed;
    int sorted; /* ids appended in increasing order */
    size_t bytes;
};

void vg__digest_init(struct vg__digest_set *s, size_t size, uint64_t seed);
void vg__digest_fini(struct vg__digest_set *s);
int vg__digest_add(struct vg__digest_set *s, const uint8_t *value,
                   uint16_t group, int64_t id);
int vg__digest_set_enabled(struct vg__digest_set *s, int64_t id, int enabled);
int vg__digest_search(const struct vg__digest_set *s, const uint8_t *value,
                      struct vg__hits *out);
void vg__digest_ref(const struct vg__digest_set *s, size_t pos,
                    struct vg__entry_ref *out);

/* ---- scans: index_scan.c ---- */

/* Every entry of s within radius of value by ha's distance: hits (pos,
 * dist, 0).  The set is a digest set; its table is not used. */
int vg__scan_search(const struct vg__digest_set *s,
                    const struct vg_hashalgo *ha, const uint8_t *value,
                    int radius, struct vg__hits *out);

#endif
