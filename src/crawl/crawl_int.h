/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the crawler (crawler.c): its in-memory tables and the
 * hashing pool.
 */
#ifndef VIGIL_CRAWL_INT_H
#define VIGIL_CRAWL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/crawler.h"
#include "vigil/imagehash.h"
#include "vigil/pipeline.h"
#include "vigil/lists.h"

/* 64-bit FNV-1a of n bytes, continuing from h (start: VG__FNV_SEED). */
#define VG__FNV_SEED 0xcbf29ce484222325ULL
uint64_t vg__fnv64(uint64_t h, const void *p, size_t n);

/*
 * Counters keyed by a 64-bit fingerprint (hosts, URL patterns), open
 * addressing, growing up to max_slots; beyond that new keys go uncounted
 * (vg__counts_add returns 0: the caller lets them through).
 */
struct vg__counts {
    uint64_t *keys;
    uint32_t *vals;
    size_t slots, used, max_slots;
};
void vg__counts_init(struct vg__counts *c, size_t max_slots);
void vg__counts_fini(struct vg__counts *c);
/* Add one to key's count and return the new count (0: untracked). */
uint32_t vg__counts_add(struct vg__counts *c, uint64_t key);

/*
 * The seen-set's cache: a direct-mapped table of URL fingerprints.  A hit
 * means the crawl holds the URL (the store is the seen-set; the cache
 * spares it the lookups); a miss means nothing.
 */
struct vg__seen {
    uint64_t *slot;
    size_t mask;
};
int vg__seen_init(struct vg__seen *s, unsigned bits);
void vg__seen_fini(struct vg__seen *s);
/* 1 if the URL was cached; caches it either way. */
int vg__seen_test_set(struct vg__seen *s, const char *url);

/* ---- the hashing pool ---- */

struct vg__hash_task {
    struct vg_engine_job ej; /* first: the engine's bookkeeping */
    void *job;               /* the submitter's */
    uint8_t *data;           /* the bytes, owned by the task */
    size_t len;
    /* results */
    int rc;          /* VG_OK, or why digests or matching failed */
    char err[512];   /* that, or why the image did not decode */
    int undecodable; /* digests only (h.pdq unset) */
    int dup;         /* bytes already hashed in this run */
    struct vg_imagehash h;
    struct vg_match_result mr;
    int matched;    /* mr holds a result to finish */
    uint8_t *thumb; /* sealed review thumbnail, or NULL */
    size_t thumb_len;
    int thumb_failed; /* one was wanted but not made (err says why) */
};

struct vg__hash_pool;

/*
 * Start threads hashing with flags (VG_IMAGEHASH_*; dihedral is added)
 * and matching against m (may be NULL).  wake(ctx) is called from a
 * worker each time a result is ready.
 */
int vg__hash_pool_new(unsigned threads, unsigned flags, struct vg_matcher *m,
                      void (*wake)(void *ctx), void *ctx,
                      struct vg__hash_pool **out);
/*
 * Review thumbnails: for an image hashed here (not a duplicate of the
 * run) that matched nothing, when wanted(ctx, sha256) says so, a sealed
 * thumbnail in the task (vigil/crawler.h, review_thumbs).  Set before the
 * first task is submitted; the callbacks run on the pool's threads.
 */
struct vg__thumb_cfg {
    int (*wanted)(void *ctx, const uint8_t sha256[32]); /* 1: make one */
    void *wanted_ctx;
    int (*seal)(void *ctx, const uint8_t *plain, size_t n, uint8_t **out,
                size_t *outn);
    void *seal_ctx;
};
void vg__hash_pool_set_thumbs(struct vg__hash_pool *p,
                              const struct vg__thumb_cfg *cfg);

/* Queue a task (the pool owns it until it comes back from _done). */
void vg__hash_pool_submit(struct vg__hash_pool *p, struct vg__hash_task *t);
/* Finished tasks, in any order, or NULL; the caller frees each. */
struct vg__hash_task *vg__hash_pool_done(struct vg__hash_pool *p);
/* Tasks submitted and not yet taken back. */
size_t vg__hash_pool_outstanding(const struct vg__hash_pool *p);
/* Stop the threads (queued tasks are dropped) and free everything. */
void vg__hash_pool_free(struct vg__hash_pool *p);
void vg__hash_task_free(struct vg__hash_task *t);

#endif
