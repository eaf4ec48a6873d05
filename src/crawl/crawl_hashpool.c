/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawler's hashing pool (crawl_int.h): the pipeline's engine
 * (vigil/pipeline.h, unordered) runs its tasks on worker threads: hash
 * the fetched bytes (every registered algorithm, PDQ with its dihedral
 * variants) and match them, so the event loop never waits on a decoder.  Bytes seen before in
 * the run (same SHA-256) take their hashes from a bounded cache instead of
 * being decoded again; the match is looked up afresh (lists change).
 * With review thumbnails on, an image that matched nothing is decoded a
 * second time, DCT-scaled, into a sealed thumbnail (only when the store
 * wants one: its bytes are new to the review queue).
 */
#include <openssl/sha.h>
#include <pthread.h>
#include <string.h>

#include "crawl_int.h"
#include "vigil/alloc.h"
#include "vigil/thumb.h"

#define CACHE_SLOTS 8192 /* hashes of recent distinct images, ~8 MB */
#define CACHE_WAYS 8     /* slots a SHA-256 may use; the oldest is replaced */

enum { SLOT_EMPTY, SLOT_HASHING, SLOT_READY };

struct cached {
    int state;
    uint64_t used; /* when last used, by the pool's clock */
    uint8_t sha256[32];
    struct vg_imagehash h; /* when ready */
};

struct vg__hash_pool {
    struct vg_engine *engine;
    pthread_mutex_t mu;    /* the cache and the thumbnail settings */
    pthread_cond_t hashed; /* a slot left SLOT_HASHING */
    struct vg_imagehash_opts opts;
    struct vg_matcher *m;
    void (*wake)(void *ctx);
    void *wake_ctx;
    struct cached *cache; /* guarded by mu */
    uint64_t clock;
    struct vg__thumb_cfg thumbs; /* seal NULL: none */
};

void vg__hash_task_free(struct vg__hash_task *t)
{
    if (!t)
        return;
    if (t->matched)
        vg_match_result_fini(&t->mr);
    vg_free(t->thumb);
    vg_free(t->data);
    vg_free(t);
}

/*
 * The slot of a SHA-256: its own among its CACHE_WAYS, else an empty one,
 * else the least recently used one not being hashed, else NULL.
 */
static struct cached *cache_slot(struct vg__hash_pool *p, const uint8_t *sha)
{
    struct cached *set, *pick = NULL;
    uint32_t k;

    memcpy(&k, sha, sizeof(k));
    set = &p->cache[k % (CACHE_SLOTS / CACHE_WAYS) * CACHE_WAYS];
    for (int i = 0; i < CACHE_WAYS; i++) {
        struct cached *c = &set[i];
        if (c->state != SLOT_EMPTY && !memcmp(c->sha256, sha, 32)) {
            c->used = ++p->clock;
            return c;
        }
        if (c->state != SLOT_HASHING && (!pick || pick->state != SLOT_EMPTY) &&
            (!pick || c->state == SLOT_EMPTY || c->used < pick->used))
            pick = c;
    }
    if (pick) {
        pick->state = SLOT_EMPTY;
        pick->used = ++p->clock;
    }
    return pick;
}

/*
 * A sealed review thumbnail for an image that matched nothing and that
 * the store wants one for (the bytes are still in the task).
 */
static void make_thumb(struct vg__hash_pool *p, struct vg__hash_task *t)
{
    struct vg_thumb_opts o = {0};
    struct vg_err err = {0};
    uint8_t *jpeg = NULL;
    size_t n = 0;
    int rc;

    if (!p->thumbs.seal || t->rc || t->dup || t->undecodable ||
        (t->matched && (t->mr.nmatches || t->mr.nallowed)) ||
        (p->thumbs.wanted &&
         !p->thumbs.wanted(p->thumbs.wanted_ctx, t->h.digests.sha256)))
        return;
    o.limits = p->opts.limits;
    if ((rc = vg_thumb_mem(t->data, t->len, &o, &jpeg, &n, NULL, NULL,
                           &err)) ||
        (rc = p->thumbs.seal(p->thumbs.seal_ctx, jpeg, n, &t->thumb,
                             &t->thumb_len))) {
        t->thumb_failed = 1;
        t->thumb = NULL;
        t->thumb_len = 0;
        snprintf(t->err, sizeof(t->err), "no review thumbnail: %.400s",
                 err.msg[0] ? err.msg : vg_strerror(rc));
    }
    vg_free(jpeg);
}

static void hash_one(struct vg__hash_pool *p, struct vg__hash_task *t)
{
    uint8_t sha[SHA256_DIGEST_LENGTH];
    struct vg_err err = {0};
    struct cached *c;
    int mine = 0;

    /*
     * The same bytes at several URLs are often fetched at once: the first
     * worker hashes them, the others wait for its result.
     */
    SHA256(t->data, t->len, sha);
    pthread_mutex_lock(&p->mu);
    while ((c = cache_slot(p, sha)) && c->state == SLOT_HASHING)
        pthread_cond_wait(&p->hashed, &p->mu);
    if (c && c->state == SLOT_READY) {
        t->h = c->h;
        t->dup = 1;
    } else if (c) {
        c->state = SLOT_HASHING;
        memcpy(c->sha256, sha, sizeof(sha));
        mine = 1;
    }
    pthread_mutex_unlock(&p->mu);
    if (!t->dup && vg_imagehash_mem(t->data, t->len, &p->opts, &t->h, &err)) {
        /* not decodable (or over the pixel limit): the digests still
           identify it, and digest lists can still match */
        snprintf(t->err, sizeof(t->err), "%s", err.msg);
        t->undecodable = 1;
        t->rc = vg_imagehash_bytes(t->data, t->len, &t->h, NULL);
        t->h.format = vg_media_sniff(t->data, t->len);
    }
    if (mine) {
        pthread_mutex_lock(&p->mu);
        c->state = t->undecodable ? SLOT_EMPTY : SLOT_READY;
        if (!t->undecodable)
            c->h = t->h;
        pthread_cond_broadcast(&p->hashed);
        pthread_mutex_unlock(&p->mu);
    }
    if (t->rc)
        return;
    if (p->m) {
        err.msg[0] = 0;
        if ((t->rc = vg_matcher_lookup(p->m, &t->h, &t->mr, &err)))
            snprintf(t->err, sizeof(t->err), "%s", err.msg);
        else
            t->matched = 1;
    }
    make_thumb(p, t);
}

static void run_task(void *ctx, struct vg_engine_job *job)
{
    struct vg__hash_pool *p = ctx;
    struct vg__hash_task *t = (struct vg__hash_task *)job;

    hash_one(p, t);
    vg_free(t->data); /* the bytes are not needed any more */
    t->data = NULL;
}

static void task_ready(void *ctx)
{
    struct vg__hash_pool *p = ctx;

    p->wake(p->wake_ctx);
}

static void drop_task(void *ctx, struct vg_engine_job *job)
{
    (void)ctx;
    vg__hash_task_free((struct vg__hash_task *)job);
}

int vg__hash_pool_new(unsigned threads, unsigned flags, struct vg_matcher *m,
                      void (*wake)(void *ctx), void *ctx,
                      struct vg__hash_pool **out)
{
    struct vg__hash_pool *p = vg_calloc(1, sizeof(*p));
    struct vg_engine_opts eo = {
        threads ? threads : 1, 0, 0, run_task, task_ready, NULL};
    int rc;

    *out = NULL;
    if (!p)
        return VG_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->hashed, NULL);
    p->opts.flags = flags | VG_IMAGEHASH_DIHEDRAL;
    p->m = m;
    p->wake = wake;
    p->wake_ctx = ctx;
    if (!(p->cache = vg_calloc(CACHE_SLOTS, sizeof(*p->cache)))) {
        vg__hash_pool_free(p);
        return VG_ENOMEM;
    }
    eo.ctx = p;
    if ((rc = vg_engine_new(&eo, &p->engine))) {
        vg__hash_pool_free(p);
        return rc;
    }
    *out = p;
    return VG_OK;
}

void vg__hash_pool_set_thumbs(struct vg__hash_pool *p,
                              const struct vg__thumb_cfg *cfg)
{
    pthread_mutex_lock(&p->mu); /* workers read it after taking a task */
    p->thumbs = *cfg;
    pthread_mutex_unlock(&p->mu);
}

void vg__hash_pool_submit(struct vg__hash_pool *p, struct vg__hash_task *t)
{
    vg_engine_submit(p->engine, &t->ej);
}

struct vg__hash_task *vg__hash_pool_done(struct vg__hash_pool *p)
{
    return (struct vg__hash_task *)vg_engine_take(p->engine, 0);
}

size_t vg__hash_pool_outstanding(const struct vg__hash_pool *p)
{
    return vg_engine_pending(p->engine);
}

void vg__hash_pool_free(struct vg__hash_pool *p)
{
    if (!p)
        return;
    vg_engine_free(p->engine, drop_task);
    vg_free(p->cache);
    pthread_cond_destroy(&p->hashed);
    pthread_mutex_destroy(&p->mu);
    vg_free(p);
}
