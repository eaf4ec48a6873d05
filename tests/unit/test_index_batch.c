/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Batched PDQ lookups (vg_index_lookup_pdq_batch) against one lookup at a
 * time and the scan: random and clustered hashes, queries of 1 to 8
 * hashes and of one each, groups with different radii and enabled flags,
 * disabled entries, entries still in the tail, truncation, a set of
 * identical hashes (the scan fallback), a set too small for tables,
 * batches while another thread adds, disables and folds, bad arguments
 * and allocation failures.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/index.h"

#define NGROUP 4
#define NQUERY 300
#define MAXM 64

static uint64_t rng = 0x51ed2701;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void random_hash(struct vg_pdq_hash *h)
{
    for (int i = 0; i < 16; i++)
        h->w[i] = (uint16_t)next();
}

static void flip_bits(struct vg_pdq_hash *h, int k)
{
    for (int i = 0; i < k; i++) {
        unsigned b = (unsigned)(next() % 256);
        h->w[b / 16] ^= (uint16_t)(1u << (b % 16));
    }
}

static void add(struct vg_index *ix, const struct vg_pdq_hash *h,
                uint32_t group, int64_t id)
{
    uint8_t bytes[32];

    vg_pdq_to_bytes(h, bytes);
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_PDQ, bytes, group, id), VG_OK);
}

/* n entries (clustered: most near an earlier one), a few disabled, the
 * last ones left in the tail; stored hashes copied to h. */
static struct vg_index *make_index(size_t n, int clustered,
                                   struct vg_pdq_hash *h)
{
    struct vg_index *ix = NULL;

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    for (size_t i = 0; i < n; i++) {
        if (clustered && i > 0 && next() % 4) {
            h[i] = h[next() % i];
            flip_bits(&h[i], (int)(next() % 12));
        } else {
            random_hash(&h[i]);
        }
        add(ix, &h[i], (uint32_t)(next() % NGROUP),
            (int64_t)(i * 7919 % n) + (next() % 2 ? 0 : INT64_C(1) << 36));
        if (i == n - n / 50)
            TH_EQ_INT(vg_index_build(ix), VG_OK);
    }
    for (size_t i = 0; i < n / 20; i++)
        (void)vg_index_set_enabled(ix, (int64_t)(next() % n), 0);
    TH_EQ_INT(vg_index_group_set(ix, 0, 31, 1), VG_OK);
    TH_EQ_INT(vg_index_group_set(ix, 1, 12, 1), VG_OK);
    TH_EQ_INT(vg_index_group_set(ix, 2, 40, 0), VG_OK); /* disabled */
    TH_EQ_INT(vg_index_group_set(ix, 3, 24, 1), VG_OK);
    return ix;
}

static int same(const struct vg_index_match *a, size_t na,
                const struct vg_index_match *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na && i < MAXM; i++)
        if (a[i].id != b[i].id || a[i].group != b[i].group ||
            a[i].distance != b[i].distance || a[i].variant != b[i].variant ||
            a[i].algo != b[i].algo)
            return 0;
    return 1;
}

/* Queries (one hash each if single) near stored hashes or random; the
 * batch must equal the lookups one at a time and the scan, and a batch
 * with room for 3 matches the first 3 of each with the same totals. */
static void check_batches(struct vg_index *ix, const struct vg_pdq_hash *h,
                          size_t n, int single)
{
    struct vg_pdq_hash *q = vg_calloc(NQUERY * 8, sizeof(*q));
    unsigned nq[NQUERY];
    struct vg_index_match *got = vg_calloc(NQUERY * MAXM, sizeof(*got)),
                          *cut = vg_calloc(NQUERY * 3, sizeof(*cut)),
                          one[MAXM];
    size_t found[NQUERY], found3[NQUERY], total = 0, bad = 0, matched = 0;

    for (size_t i = 0; i < NQUERY; i++) {
        nq[i] = single ? 1 : 1 + (unsigned)(next() % 8);
        for (unsigned v = 0; v < nq[i]; v++)
            random_hash(&q[total + v]);
        if (i % 3) {
            struct vg_pdq_hash *p = &q[total + next() % nq[i]];
            *p = h[next() % n];
            flip_bits(p, (int)(next() % 40));
        }
        total += nq[i];
    }
    TH_EQ_INT(vg_index_lookup_pdq_batch(ix, q, single ? NULL : nq, NQUERY, got,
                                        MAXM, found),
              VG_OK);
    TH_EQ_INT(vg_index_lookup_pdq_batch(ix, q, single ? NULL : nq, NQUERY, cut,
                                        3, found3),
              VG_OK);
    total = 0;
    for (size_t i = 0; i < NQUERY; total += nq[i], i++) {
        size_t k;
        TH_EQ_INT(vg_index_lookup_pdq(ix, q + total, nq[i], one, MAXM, &k),
                  VG_OK);
        bad += !same(one, k, got + i * MAXM, found[i]);
        bad += found3[i] != k ||
               !same(one, k < 3 ? k : 3, cut + i * 3, k < 3 ? k : 3);
        TH_EQ_INT(vg_index_lookup_pdq_scan(ix, q + total, nq[i], one, MAXM,
                                           &k),
                  VG_OK);
        bad += !same(one, k, got + i * MAXM, found[i]);
        matched += found[i] > 0;
    }
    TH_EQ_INT(bad, 0);
    TH_CHECK(matched > NQUERY / 4); /* the planted ones mostly match */
    vg_free(q);
    vg_free(got);
    vg_free(cut);
}

static void run(size_t n, int clustered)
{
    struct vg_pdq_hash *h = vg_calloc(n, sizeof(*h));
    struct vg_index *ix = make_index(n, clustered, h);
    struct vg_index_stats st;

    vg_index_stats(ix, &st);
    TH_CHECK(n < 5000 || st.tables > 0);
    TH_CHECK(st.pdq_tail > 0);
    check_batches(ix, h, n, 0);
    check_batches(ix, h, n, 1);
    /* a group's radius big enough that the scan is cheaper than tables */
    TH_EQ_INT(vg_index_group_set(ix, 3, 90, 1), VG_OK);
    check_batches(ix, h, n, 0);
    vg_index_free(ix);
    vg_free(h);
}

static void test_random(void)
{
    run(30000, 0);
}

static void test_clustered(void)
{
    run(30000, 1);
}

static void test_small(void)
{
    run(300, 1); /* no tables: every query scans */
}

/* Thousands of copies of one hash: each table finds every one of them,
 * more candidates than entries, so the query falls back to a scan. */
static void test_identical(void)
{
    struct vg_pdq_hash *h = vg_calloc(8000, sizeof(*h));
    struct vg_index *ix = NULL;

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    random_hash(&h[0]);
    for (size_t i = 0; i < 8000; i++) {
        if (i >= 6000)
            random_hash(&h[i]);
        else
            h[i] = h[0];
        add(ix, &h[i], 0, (int64_t)i);
    }
    TH_EQ_INT(vg_index_build(ix), VG_OK);
    check_batches(ix, h, 8000, 0);
    check_batches(ix, h, 8000, 1);
    vg_index_free(ix);
    vg_free(h);
}

struct writer {
    struct vg_index *ix;
    int stop;
};

/* Adds random hashes (ids from 1,000,000) and disables some of them, which
 * folds the tail into the tables now and then, until told to stop. */
static void *write_loop(void *arg)
{
    struct writer *w = arg;
    uint64_t x = 99;

    for (int64_t id = 1000000; !__atomic_load_n(&w->stop, __ATOMIC_RELAXED);
         id++) {
        struct vg_pdq_hash h;
        uint8_t bytes[32];
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            h.w[i] = (uint16_t)(x >> 33);
        }
        vg_pdq_to_bytes(&h, bytes);
        if (vg_index_add(w->ix, VG_ALGO_PDQ, bytes, 1, id) != VG_OK)
            break;
        if (id % 3 == 0)
            (void)vg_index_set_enabled(w->ix, id - 1, 0);
        if (id % 5000 == 0)
            (void)vg_index_settle(w->ix);
    }
    return NULL;
}

/* Entries never changed are found by every batch while another thread
 * changes the index. */
static void test_concurrent(void)
{
    size_t n = 20000, bad = 0;
    struct vg_pdq_hash *h = vg_calloc(n, sizeof(*h));
    struct vg_index_match *out = vg_calloc(200 * 4, sizeof(*out));
    size_t found[200];
    struct vg_index *ix = NULL;
    struct writer w;
    pthread_t th;

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    for (size_t i = 0; i < n; i++) {
        random_hash(&h[i]);
        add(ix, &h[i], 0, (int64_t)i);
    }
    TH_EQ_INT(vg_index_build(ix), VG_OK);
    w = (struct writer){ix, 0};
    TH_EQ_INT(pthread_create(&th, NULL, write_loop, &w), 0);
    for (int round = 0; round < 60; round++) {
        size_t first = (size_t)round * 200 % (n - 200);
        TH_EQ_INT(vg_index_lookup_pdq_batch(ix, h + first, NULL, 200, out, 4,
                                            found),
                  VG_OK);
        for (size_t i = 0; i < 200; i++)
            bad += found[i] < 1 || out[i * 4].id != (int64_t)(first + i) ||
                   out[i * 4].distance != 0;
    }
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELAXED);
    pthread_join(th, NULL);
    TH_EQ_INT(bad, 0);
    vg_index_free(ix);
    vg_free(h);
    vg_free(out);
}

static void test_bad_args(void)
{
    struct vg_index *ix = NULL;
    struct vg_pdq_hash q[9] = {0};
    struct vg_index_match m[4];
    unsigned nq[2] = {1, 0};
    size_t found[2] = {7, 7};

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    TH_EQ_INT(vg_index_lookup_pdq_batch(ix, q, nq, 2, m, 2, found), VG_EINVAL);
    nq[1] = 9;
    TH_EQ_INT(vg_index_lookup_pdq_batch(ix, q, nq, 2, m, 2, found), VG_EINVAL);
    nq[1] = 8;
    TH_EQ_INT(vg_index_lookup_pdq_batch(ix, q, nq, 2, m, 2, found), VG_OK);
    TH_EQ_INT(found[0], 0);
    TH_EQ_INT(found[1], 0);
    TH_EQ_INT(vg_index_lookup_pdq_batch(ix, q, NULL, 0, NULL, 0, NULL), VG_OK);
    vg_index_free(ix);
}

static void test_alloc_failures(void)
{
    int ok = 1;
    struct vg_pdq_hash *h = vg_calloc(6000, sizeof(*h));
    struct vg_index *ix = make_index(6000, 1, h);

    for (long k = 0; k < 200; k++) {
        struct vg_index_match m[16 * 4];
        size_t found[16];
        int rc;

        vg_alloc_fail_after(k);
        rc = vg_index_lookup_pdq_batch(ix, h, NULL, 16, m, 4, found);
        vg_alloc_fail_after(-1);
        if (rc && rc != VG_ENOMEM)
            ok = 0;
    }
    TH_CHECK(ok);
    vg_index_free(ix);
    vg_free(h);
}

int main(void)
{
    TH_RUN(test_random);
    TH_RUN(test_clustered);
    TH_RUN(test_small);
    TH_RUN(test_identical);
    TH_RUN(test_concurrent);
    TH_RUN(test_bad_args);
    TH_RUN(test_alloc_failures);
    return th_done();
}
