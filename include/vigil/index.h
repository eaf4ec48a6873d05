/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-memory index of known hashes, each algorithm by the kind the
 * registry gives it (vigil/hashalgo.h): exact radius search over PDQ
 * hashes (multi-index hashing, see src/index/index_pdq.c), exact sets of
 * the digests (MD5, SHA-1, SHA-256), and a linear scan with the
 * algorithm's distance and default threshold for the scan kind.
 *
 * Every entry carries the caller's 64-bit id (the store's entry id) and a
 * group (the store's list), and groups carry the PDQ match radius and an
 * enabled flag.  A lookup returns every enabled entry of an enabled group
 * whose hash is within that group's radius of any of the query's hashes
 * (the 8 dihedral variants of an image): nothing missed, nothing extra, the
 * same set a brute-force scan gives.  Adds and disables are visible to the
 * next lookup; no rebuild is needed (a small unindexed tail is folded into
 * the tables from time to time, amortised).
 *
 * Many queries (an API's batch of hashes) go in one call,
 * vg_index_lookup_pdq_batch, with the same answers.
 *
 * Thread safety: lookups may run concurrently from many threads; adds,
 * disables and group changes take a write lock and may run at any time.
 */
#ifndef VIGIL_INDEX_H
#define VIGIL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/algo.h"
#include "vigil/error.h"
#include "vigil/pdq.h"

/* Groups are 0..VG_INDEX_MAXGROUP; a group not set is enabled, radius 31. */
#define VG_INDEX_MAXGROUP 65535u
#define VG_INDEX_DEFAULT_RADIUS 31

struct vg_index;

struct vg_index_match {
    int64_t id;     /* the caller's entry id */
    uint32_t group; /* the entry's group */
    enum vg_algo algo;
    int distance; /* the algorithm's distance; exact kind: 0 */
    int variant;  /* PDQ: which query hash matched (the first with the
                         smallest distance); digests: 0 */
};

struct vg_index_stats {
    size_t pdq_count;    /* PDQ entries held, disabled ones included */
    size_t pdq_tail;     /* of which not yet in the tables */
    size_t digest_count; /* entries of every other algorithm */
    size_t bytes;        /* memory held by the index (allocations) */
    unsigned tables;     /* multi-index tables and bits per table key */
    unsigned table_bits;
};

int vg_index_new(struct vg_index **out);
void vg_index_free(struct vg_index *ix);

/*
 * Hint that about n more PDQ entries follow (avoids regrowth while loading
 * a store).  VG_OK or VG_ENOMEM.
 */
int vg_index_reserve(struct vg_index *ix, size_t n_pdq);

/*
 * Set a group's PDQ radius (0..256) and whether its entries match.
 * VG_EINVAL for a group above VG_INDEX_MAXGROUP or a radius out of range.
 */
int vg_index_group_set(struct vg_index *ix, uint32_t group, int radius,
                       int enabled);

/*
 * Add one entry.  value is vg_algo_size(algo) bytes in canonical form
 * (vigil/algo.h).  Ids must be unique (not checked); any order.
 * VG_OK, VG_EINVAL (algo, group), VG_ENOMEM.
 */
int vg_index_add(struct vg_index *ix, enum vg_algo algo, const uint8_t *value,
                 uint32_t group, int64_t id);

/*
 * Enable or disable the entry with this id (every algorithm).
 * VG_OK, or VG_ENOENT when no entry has the id.
 */
int vg_index_set_enabled(struct vg_index *ix, int64_t id, int enabled);

/*
 * Fold the unindexed tail into the tables now (loading ends with this so
 * the first lookups are fast).  VG_OK or VG_ENOMEM.
 */
int vg_index_build(struct vg_index *ix);

/*
 * Fold the tail in if it has grown past the amortised bound (1/256 of the
 * tables, at least 1024): what an add does by itself unless a reserve
 * holds it off, for the end of a bulk add.  Unlike an add's fold, the new
 * tables are built beside the old ones while lookups go on (the old ones
 * are answered from until the swap; memory for both meanwhile), and the
 * write lock is held only for the swap.  VG_OK or VG_ENOMEM.
 */
int vg_index_settle(struct vg_index *ix);

/*
 * Look up nq PDQ hashes (normally the 8 dihedral variants, variant i =
 * q[i]); each matching entry is reported once, with its smallest distance.
 * Results are sorted by (distance, id); at most max are written to out and
 * the total found goes to *n (so *n > max means truncated).
 * VG_OK, VG_EINVAL (nq 0 or above 8), VG_ENOMEM.
 */
int vg_index_lookup_pdq(struct vg_index *ix, const struct vg_pdq_hash *q,
                        unsigned nq, struct vg_index_match *out, size_t max,
                        size_t *n);

/*
 * Look up n independent PDQ queries at once: query i is the next nq[i]
 * hashes of q (1..8, as for vg_index_lookup_pdq), or one hash each when
 * nq is NULL.  Query i's matches go to out + i * max, sorted by (distance,
 * id), at most max of them, and its total to found[i] (found[i] > max
 * means truncated): each exactly what vg_index_lookup_pdq gives for that
 * query alone.  The batch sees one state of the index (one read lock); a
 * batch of 64 hashes or more is shared with one more thread, started for
 * the call, which makes it up to about twice as fast when a core is idle
 * (bench_index --batch; one core is already kept busy by the misses of
 * one hash).  VG_OK, VG_EINVAL (an nq[i] of 0 or above 8), VG_ENOMEM.
 */
int vg_index_lookup_pdq_batch(struct vg_index *ix, const struct vg_pdq_hash *q,
                              const unsigned *nq, size_t n,
                              struct vg_index_match *out, size_t max,
                              size_t *found);

/*
 * Exact lookup of a digest (canonical bytes); results as for PDQ, sorted
 * by id.  VG_OK, VG_EINVAL (algo not of the exact kind), VG_ENOMEM.
 */
int vg_index_lookup_digest(struct vg_index *ix, enum vg_algo algo,
                           const uint8_t *value, struct vg_index_match *out,
                           size_t max, size_t *n);

/*
 * Look up one value of any registered algorithm, by its kind: the exact
 * set, the scan (matches within the algorithm's threshold), or for PDQ the
 * multi-index with this one query (variant 0).  Results as above.
 * VG_OK, VG_EINVAL (unknown algo, no value), VG_ENOMEM.
 */
int vg_index_lookup(struct vg_index *ix, enum vg_algo algo,
                    const uint8_t *value, struct vg_index_match *out,
                    size_t max, size_t *n);

/*
 * The same PDQ answer by scanning every entry (the reference the tests
 * and the benchmark compare against).
 */
int vg_index_lookup_pdq_scan(struct vg_index *ix, const struct vg_pdq_hash *q,
                             unsigned nq, struct vg_index_match *out,
                             size_t max, size_t *n);

void vg_index_stats(struct vg_index *ix, struct vg_index_stats *out);

#endif
