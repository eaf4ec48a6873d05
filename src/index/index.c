/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The index's public surface (vigil/index.h): one read-write lock around
 * the PDQ set and one set for each registered algorithm of the exact or
 * scan kind (vigil/hashalgo.h), the group table (radius, enabled),
 * and the filtering every lookup ends with: a hit counts when its entry and
 * its group are enabled and it is within its group's radius; each entry is
 * reported once, with its smallest distance.  The PDQ search runs at the
 * largest radius of any enabled group, so one pass serves every list.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "index_int.h"
#include "vigil/alloc.h"
#include "vigil/hashalgo.h"

struct group {
    int16_t radius;
    uint8_t enabled;
};

struct vg_index {
    pthread_rwlock_t lock;
    struct vg__pdq_set pdq;
    struct vg__digest_set dig[VG_ALGO_MAX]; /* exact and scan kinds */
    struct group *groups;                   /* VG_INDEX_MAXGROUP + 1 */
    int max_radius;                         /* over enabled groups */
    uint64_t pdq_gen; /* moves with every change to pdq (write lock) */
};

int vg_index_new(struct vg_index **out)
{
    struct vg_index *ix;
    uint64_t seed = 0x9e3779b97f4a7c15u;

    *out = NULL;
    if (!(ix = vg_calloc(1, sizeof(*ix))))
        return VG_ENOMEM;
    if (!(ix->groups = vg_mallocarray(VG_INDEX_MAXGROUP + 1,
                                      sizeof(*ix->groups)))) {
        vg_free(ix);
        return VG_ENOMEM;
    }
    if (pthread_rwlock_init(&ix->lock, NULL)) {
        vg_free(ix->groups);
        vg_free(ix);
        return VG_ENOMEM;
    }
    for (size_t g = 0; g <= VG_INDEX_MAXGROUP; g++)
        ix->groups[g] = (struct group){VG_INDEX_DEFAULT_RADIUS, 1};
    ix->max_radius = VG_INDEX_DEFAULT_RADIUS;
    /* a failed getrandom leaves the fixed seed: slower at worst, not wrong */
    (void)!getrandom(&seed, sizeof(seed), GRND_NONBLOCK);
    vg__pdq_init(&ix->pdq);
    for (unsigned a = 0; a < vg_algo_count(); a++)
        vg__digest_init(&ix->dig[a], vg_algo_size((enum vg_algo)a),
                        seed + (uint64_t)a);
    *out = ix;
    return VG_OK;
}

void vg_index_free(struct vg_index *ix)
{
    if (!ix)
        return;
    vg__pdq_fini(&ix->pdq);
    for (unsigned a = 0; a < vg_algo_count(); a++)
        vg__digest_fini(&ix->dig[a]);
    pthread_rwlock_destroy(&ix->lock);
    vg_free(ix->groups);
    vg_free(ix);
}

int vg_index_reserve(struct vg_index *ix, size_t n_pdq)
{
    int rc;

    pthread_rwlock_wrlock(&ix->lock);
    ix->pdq_gen++;
    rc = vg__pdq_reserve(&ix->pdq, n_pdq);
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int vg_index_group_set(struct vg_index *ix, uint32_t group, int radius,
                       int enabled)
{
    int max = -1;

    if (group > VG_INDEX_MAXGROUP || radius < 0 || radius > 256)
        return VG_EINVAL;
    pthread_rwlock_wrlock(&ix->lock);
    ix->groups[group] = (struct group){(int16_t)radius, (uint8_t) !!enabled};
    for (size_t g = 0; g <= VG_INDEX_MAXGROUP; g++)
        if (ix->groups[g].enabled && ix->groups[g].radius > max)
            max = ix->groups[g].radius;
    ix->max_radius = max;
    pthread_rwlock_unlock(&ix->lock);
    return VG_OK;
}

int vg_index_add(struct vg_index *ix, enum vg_algo algo, const uint8_t *value,
                 uint32_t group, int64_t id)
{
    const struct vg_hashalgo *ha = vg_hashalgo_get(algo);
    int rc;

    if (!ha || group > VG_INDEX_MAXGROUP || !value ||
        (ha->kind == VG_HASHALGO_MIH && ha->size != 32))
        return VG_EINVAL;
    pthread_rwlock_wrlock(&ix->lock);
    ix->pdq_gen++;
    if (ha->kind == VG_HASHALGO_MIH) {
        struct vg_pdq_hash h;
        uint64_t code[4];

        vg_pdq_from_bytes(value, &h);
        memcpy(code, &h, sizeof(code));
        rc = vg__pdq_add(&ix->pdq, code, (uint16_t)group, id);
        /* amortised: the tail is folded when it reaches 1/256 of the base,
         * but not while a reserve says a bulk load is under way */
        if (!rc && ix->pdq.tn == ix->pdq.tcap && vg__pdq_tail_full(&ix->pdq))
            rc = vg__pdq_build(&ix->pdq);
    } else {
        rc = vg__digest_add(&ix->dig[algo], value, (uint16_t)group, id);
    }
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int vg_index_set_enabled(struct vg_index *ix, int64_t id, int enabled)
{
    int found = 0;

    pthread_rwlock_wrlock(&ix->lock);
    ix->pdq_gen++;
    found |= vg__pdq_set_enabled(&ix->pdq, id, enabled) == VG_OK;
    for (unsigned a = 0; a < vg_algo_count(); a++)
        found |= vg__digest_set_enabled(&ix->dig[a], id, enabled) == VG_OK;
    pthread_rwlock_unlock(&ix->lock);
    return found ? VG_OK : VG_ENOENT;
}

int vg_index_build(struct vg_index *ix)
{
    int rc;

    pthread_rwlock_wrlock(&ix->lock);
    ix->pdq_gen++;
    rc = vg__pdq_build(&ix->pdq);
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

int vg_index_settle(struct vg_index *ix)
{
    struct vg__pdq_set t;
    uint64_t gen;
    int rc;

    /* built aside under the read lock, so lookups go on meanwhile, then
     * swapped in; a change made meanwhile makes it build in place */
    pthread_rwlock_rdlock(&ix->lock);
    if (!vg__pdq_tail_full(&ix->pdq)) {
        pthread_rwlock_unlock(&ix->lock);
        return VG_OK;
    }
    gen = ix->pdq_gen;
    rc = vg__pdq_build_into(&ix->pdq, &t);
    pthread_rwlock_unlock(&ix->lock);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&ix->lock);
    if (ix->pdq_gen == gen) {
        vg__pdq_fini(&ix->pdq);
        ix->pdq = t;
    } else {
        vg__pdq_fini(&t);
        rc = vg__pdq_build(&ix->pdq);
    }
    ix->pdq_gen++;
    pthread_rwlock_unlock(&ix->lock);
    return rc;
}

static int hit_pos_cmp(const void *a, const void *b)
{
    const struct vg__index_hit *x = a, *y = b;

    if (x->pos != y->pos)
        return x->pos < y->pos ? -1 : 1;
    if (x->dist != y->dist)
        return x->dist - y->dist;
    return x->variant - y->variant;
}

static int match_cmp(const void *a, const void *b)
{
    const struct vg_index_match *x = a, *y = b;

    if (x->distance != y->distance)
        return x->distance - y->distance;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Hits to matches: deduplicated, filtered, sorted by (distance, id). */
static int finish(struct vg_index *ix, enum vg_algo algo, struct vg__hits *h,
                  struct vg_index_match *out, size_t max, size_t *n)
{
    struct vg_index_match *m = NULL;
    int mih = vg_hashalgo_get(algo)->kind == VG_HASHALGO_MIH;
    size_t k = 0;

    *n = 0;
    if (!h->n)
        return VG_OK;
    if (!(m = vg_mallocarray(h->n, sizeof(*m))))
        return VG_ENOMEM;
    qsort(h->v, h->n, sizeof(*h->v), hit_pos_cmp);
    for (size_t i = 0; i < h->n; i++) {
        struct vg__entry_ref ref;
        const struct group *g;

        if (i && h->v[i].pos == h->v[i - 1].pos)
            continue; /* the first of a position has the best distance */
        if (mih)
            vg__pdq_ref(&ix->pdq, h->v[i].pos, &ref);
        else
            vg__digest_ref(&ix->dig[algo], h->v[i].pos, &ref);
        g = &ix->groups[ref.group];
        if (ref.disabled || !g->enabled || (mih && h->v[i].dist > g->radius))
            continue;
        m[k++] = (struct vg_index_match){ref.id, ref.group, algo, h->v[i].dist,
                                         h->v[i].variant};
    }
    qsort(m, k, sizeof(*m), match_cmp);
    if (k && max)
        memcpy(out, m, (k < max ? k : max) * sizeof(*m));
    *n = k;
    vg_free(m);
    return VG_OK;
}

/* One query of nq (1..8) hashes into out, h its scratch; the caller holds
 * the read lock. */
static int search_pdq(struct vg_index *ix, const struct vg_pdq_hash *q,
                      unsigned nq, int scan, struct vg__hits *h,
                      struct vg_index_match *out, size_t max, size_t *n)
{
    uint64_t codes[VG_PDQ_NDIHEDRAL][4];
    int rc;

    for (unsigned v = 0; v < nq; v++)
        memcpy(codes[v], &q[v], sizeof(codes[v]));
    h->n = 0;
    rc = vg__pdq_search(&ix->pdq, (const uint64_t(*)[4])codes, nq,
                        ix->max_radius, scan, h);
    return rc ? rc : finish(ix, VG_ALGO_PDQ, h, out, max, n);
}

static int lookup_pdq(struct vg_index *ix, const struct vg_pdq_hash *q,
                      unsigned nq, int scan, struct vg_index_match *out,
                      size_t max, size_t *n)
{
    struct vg__hits h = {0};
    int rc;

    *n = 0;
    if (!q || nq == 0 || nq > VG_PDQ_NDIHEDRAL)
        return VG_EINVAL;
    pthread_rwlock_rdlock(&ix->lock);
    rc = search_pdq(ix, q, nq, scan, &h, out, max, n);
    pthread_rwlock_unlock(&ix->lock);
    vg_free(h.v);
    return rc;
}

int vg_index_lookup_pdq(struct vg_index *ix, const struct vg_pdq_hash *q,
                        unsigned nq, struct vg_index_match *out, size_t max,
                        size_t *n)
{
    return lookup_pdq(ix, q, nq, 0, out, max, n);
}

int vg_index_lookup_pdq_scan(struct vg_index *ix, const struct vg_pdq_hash *q,
                             unsigned nq, struct vg_index_match *out,
                             size_t max, size_t *n)
{
    return lookup_pdq(ix, q, nq, 1, out, max, n);
}

/* Part of a batch: queries from..to, the first starting at hash q0. */
struct batch {
    struct vg_index *ix;
    const struct vg_pdq_hash *q;
    const unsigned *nq;
    size_t from, to, q0, max;
    struct vg_index_match *out;
    size_t *found;
    int rc;
};

/* Each query as lookup_pdq does it; the caller holds the read lock. */
static void *batch_run(void *arg)
{
    struct batch *b = arg;
    struct vg__hits h = {0};
    size_t first = b->q0;

    for (size_t i = b->from; i < b->to && !b->rc; i++) {
        unsigned k = b->nq ? b->nq[i] : 1;

        b->rc = search_pdq(b->ix, &b->q[first], k, 0, &h,
                           b->out ? b->out + i * b->max : NULL, b->max,
                           &b->found[i]);
        first += k;
    }
    vg_free(h.v);
    return NULL;
}

/*
 * A batch of at least BATCH_SPLIT hashes is shared with a second thread
 * (half the hashes each), when there is a second core: lookups are bound
 * by the memory misses one core can have in flight, so interleaving more
 * queries on one core does not help (measured: 0.91x to 1.01x), a second
 * core does.
 */
#define BATCH_SPLIT 64

/* Cores online, asked once. */
static long cores(void)
{
    static long n; /* 0: not asked yet (a race asks twice, harmlessly) */

    if (!__atomic_load_n(&n, __ATOMIC_RELAXED))
        __atomic_store_n(&n, sysconf(_SC_NPROCESSORS_ONLN), __ATOMIC_RELAXED);
    return __atomic_load_n(&n, __ATOMIC_RELAXED);
}

int vg_index_lookup_pdq_batch(struct vg_index *ix, const struct vg_pdq_hash *q,
                              const unsigned *nq, size_t n,
                              struct vg_index_match *out, size_t max,
                              size_t *found)
{
    struct batch b[2];
    size_t total = 0, half = 0, split = n;
    pthread_t th;
    int two = 0;

    for (size_t i = 0; i < n; i++) {
        if (nq && (nq[i] == 0 || nq[i] > VG_PDQ_NDIHEDRAL))
            return VG_EINVAL;
        total += nq ? nq[i] : 1;
    }
    if (total >= BATCH_SPLIT && cores() > 1)
        for (split = 0; split < n && half < total / 2; split++)
            half += nq ? nq[split] : 1;
    b[0] = (struct batch){ix, q, nq, 0, split, 0, max, out, found, VG_OK};
    b[1] = (struct batch){ix, q, nq, split, n, half, max, out, found, VG_OK};
    pthread_rwlock_rdlock(&ix->lock);
    if (split < n)
        two = pthread_create(&th, NULL, batch_run, &b[1]) == 0;
    batch_run(&b[0]);
    if (two)
        pthread_join(th, NULL);
    else
        batch_run(&b[1]); /* no second thread: this one does it all */
    pthread_rwlock_unlock(&ix->lock);
    return b[0].rc ? b[0].rc : b[1].rc;
}

int vg_index_lookup_digest(struct vg_index *ix, enum vg_algo algo,
                           const uint8_t *value, struct vg_index_match *out,
                           size_t max, size_t *n)
{
    const struct vg_hashalgo *ha = vg_hashalgo_get(algo);

    *n = 0;
    if (!ha || ha->kind != VG_HASHALGO_EXACT)
        return VG_EINVAL;
    return vg_index_lookup(ix, algo, value, out, max, n);
}

int vg_index_lookup(struct vg_index *ix, enum vg_algo algo,
                    const uint8_t *value, struct vg_index_match *out,
                    size_t max, size_t *n)
{
    const struct vg_hashalgo *ha = vg_hashalgo_get(algo);
    struct vg__hits h = {0};
    int rc;

    *n = 0;
    if (!ha || !value)
        return VG_EINVAL;
    if (ha->kind == VG_HASHALGO_MIH) {
        struct vg_pdq_hash q;

        vg_pdq_from_bytes(value, &q);
        return lookup_pdq(ix, &q, 1, 0, out, max, n);
    }
    pthread_rwlock_rdlock(&ix->lock);
    if (ha->kind == VG_HASHALGO_EXACT)
        rc = vg__digest_search(&ix->dig[algo], value, &h);
    else
        rc = vg__scan_search(&ix->dig[algo], ha, value, ha->threshold, &h);
    if (!rc)
        rc = finish(ix, algo, &h, out, max, n);
    pthread_rwlock_unlock(&ix->lock);
    vg_free(h.v);
    return rc;
}

void vg_index_stats(struct vg_index *ix, struct vg_index_stats *out)
{
    memset(out, 0, sizeof(*out));
    pthread_rwlock_rdlock(&ix->lock);
    out->pdq_count = ix->pdq.n + ix->pdq.tn;
    out->pdq_tail = ix->pdq.tn;
    out->bytes = sizeof(*ix) + (VG_INDEX_MAXGROUP + 1) * sizeof(*ix->groups) +
                 ix->pdq.bytes;
    for (unsigned a = 0; a < vg_algo_count(); a++) {
        out->digest_count += ix->dig[a].n;
        out->bytes += ix->dig[a].bytes;
    }
    out->tables = ix->pdq.m;
    out->table_bits = ix->pdq.bits;
    pthread_rwlock_unlock(&ix->lock);
}
