/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The index against a brute force written here (vg_pdq_distance over every
 * entry added): random and clustered hashes, every radius 0..64, per-group
 * radii, disabled entries and groups, entries still in the tail and folded
 * into the tables, ids in any order; digest sets; allocation failures.
 */
#include <stdlib.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/index.h"

struct ent {
    struct vg_pdq_hash h;
    int64_t id;
    uint32_t group;
    int enabled;
};

static uint64_t rng = 0x1234567;

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

static int add_ent(struct vg_index *ix, const struct ent *e)
{
    uint8_t bytes[32];

    vg_pdq_to_bytes(&e->h, bytes);
    return vg_index_add(ix, VG_ALGO_PDQ, bytes, e->group, e->id);
}

/* What the index must answer, computed the slow obvious way. */
static size_t brute(const struct ent *e, size_t n, const int *radius,
                    const int *genabled, const struct vg_pdq_hash *q,
                    unsigned nq, struct vg_index_match *out)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        int best = 999, bv = 0;
        if (!e[i].enabled || !genabled[e[i].group])
            continue;
        for (unsigned v = 0; v < nq; v++) {
            int d = vg_pdq_distance(&e[i].h, &q[v]);
            if (d < best) {
                best = d;
                bv = (int)v;
            }
        }
        if (best <= radius[e[i].group])
            out[k++] = (struct vg_index_match){e[i].id, e[i].group,
                                               VG_ALGO_PDQ, best, bv};
    }
    /* sort by (distance, id) like the index */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && (out[j].distance < out[j - 1].distance ||
                                     (out[j].distance == out[j - 1].distance &&
                                      out[j].id < out[j - 1].id));
             j--) {
            struct vg_index_match t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return k;
}

static int same(const struct vg_index_match *a, size_t na,
                const struct vg_index_match *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].id != b[i].id || a[i].distance != b[i].distance ||
            a[i].variant != b[i].variant || a[i].group != b[i].group)
            return 0;
    return 1;
}

#define NGROUP 3

/* n entries (clustered if asked), queries near stored ones and random. */
static void run_random(size_t n, int clustered, int build_every)
{
    struct ent *e = vg_calloc(n, sizeof(*e));
    struct vg_index_match *want = vg_calloc(n, sizeof(*want)),
                          *got = vg_calloc(n, sizeof(*got));
    int radius[NGROUP] = {31, 31, 31}, genabled[NGROUP] = {1, 1, 1};
    struct vg_index *ix = NULL;
    size_t bad = 0;

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    for (size_t i = 0; i < n; i++) {
        if (clustered && i > 0 && next() % 4) {
            e[i].h = e[next() % i].h; /* a near-duplicate of an earlier one */
            flip_bits(&e[i].h, (int)(next() % 12));
        } else {
            random_hash(&e[i].h);
        }
        /* ids not in insertion order, sometimes far apart */
        e[i].id = (int64_t)(i * 7919 % n) +
                  (next() % 2 ? 0 : INT64_C(1) << 40);
        e[i].group = (uint32_t)(next() % NGROUP);
        e[i].enabled = 1;
        TH_EQ_INT(add_ent(ix, &e[i]), VG_OK);
        if (build_every && i % (size_t)build_every == 0)
            TH_EQ_INT(vg_index_build(ix), VG_OK);
    }
    for (int q = 0; q < 260; q++) {
        struct vg_pdq_hash qs[8];
        unsigned nq = 1 + (unsigned)(next() % 8);
        size_t nw, ng, ns;
        int r = q % 65;

        /* every radius 0..64 on group 0, others vary; toggles */
        radius[0] = r;
        radius[1] = (int)(next() % 48);
        TH_EQ_INT(vg_index_group_set(ix, 0, radius[0], 1), VG_OK);
        TH_EQ_INT(vg_index_group_set(ix, 1, radius[1], 1), VG_OK);
        genabled[2] = q % 5 != 0;
        TH_EQ_INT(vg_index_group_set(ix, 2, radius[2], genabled[2]), VG_OK);
        if (q % 3 == 0) {
            size_t i = next() % n;
            e[i].enabled = !e[i].enabled;
            TH_EQ_INT(vg_index_set_enabled(ix, e[i].id, e[i].enabled), VG_OK);
        }
        if (q == 130)
            TH_EQ_INT(vg_index_build(ix), VG_OK);
        for (unsigned v = 0; v < nq; v++)
            random_hash(&qs[v]);
        if (q % 2) { /* plant a match near a stored hash in one variant */
            unsigned v = (unsigned)(next() % nq);
            qs[v] = e[next() % n].h;
            flip_bits(&qs[v], (int)(next() % 40));
        }
        nw = brute(e, n, radius, genabled, qs, nq, want);
        TH_EQ_INT(vg_index_lookup_pdq(ix, qs, nq, got, n, &ng), VG_OK);
        if (!same(want, nw, got, ng))
            bad++;
        TH_EQ_INT(vg_index_lookup_pdq_scan(ix, qs, nq, got, n, &ns), VG_OK);
        if (!same(want, nw, got, ns))
            bad++;
    }
    if (bad)
        TH_FAIL_("n=%zu clustered=%d build_every=%d: %zu lookups differ", n,
                 clustered, build_every, bad);
    vg_index_free(ix);
    vg_free(e);
    vg_free(want);
    vg_free(got);
}

static void test_random_small(void)
{
    run_random(500, 0, 0);
}
static void test_random_tables(void)
{
    run_random(40000, 0, 0);
}
static void test_clustered_tables(void)
{
    run_random(40000, 1, 0);
}
static void test_incremental(void)
{
    run_random(20000, 1, 4999);
}

static void test_tables_used(void)
{
    struct vg_index *ix = NULL;
    struct vg_index_stats st;
    struct ent e = {0};

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    TH_EQ_INT(vg_index_reserve(ix, 1 << 17), VG_OK);
    for (int i = 0; i < 1 << 16; i++) {
        random_hash(&e.h);
        e.id = i;
        TH_EQ_INT(add_ent(ix, &e), VG_OK);
    }
    vg_index_stats(ix, &st);
    TH_EQ_INT(st.pdq_tail, 1 << 16); /* a reserve keeps bulk loads whole */
    TH_EQ_INT(vg_index_build(ix), VG_OK);
    vg_index_stats(ix, &st);
    TH_EQ_INT(st.pdq_count, 1 << 16);
    TH_EQ_INT(st.pdq_tail, 0);
    TH_EQ_INT(st.tables, 12);
    TH_EQ_INT(st.table_bits, 15); /* 2^16 hashes: 3-byte positions, 15 bits */
    TH_CHECK(st.bytes < 100u * (1 << 16) + 400000);
    TH_EQ_INT(vg_index_set_enabled(ix, 1 << 20, 0), VG_ENOENT);
    vg_index_free(ix);
}

static void test_digests(void)
{
    struct vg_index *ix = NULL;
    uint8_t v[32], w[32];
    struct vg_index_match m[4];
    size_t n;

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    for (int i = 0; i < 5000; i++) {
        for (int b = 0; b < 32; b++)
            v[b] = (uint8_t)next();
        TH_EQ_INT(vg_index_add(ix, VG_ALGO_SHA256, v, 1, 10 + i), VG_OK);
        if (i == 1234)
            memcpy(w, v, sizeof(w));
    }
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_SHA256, w, 2, 3), VG_OK); /* again */
    TH_EQ_INT(vg_index_lookup_digest(ix, VG_ALGO_SHA256, w, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 2);
    TH_EQ_INT(m[0].id, 3);
    TH_EQ_INT(m[1].id, 1244);
    TH_EQ_INT(m[1].algo, VG_ALGO_SHA256);
    /* same bytes under another algorithm are not a match */
    TH_EQ_INT(vg_index_lookup_digest(ix, VG_ALGO_MD5, w, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 0);
    TH_EQ_INT(vg_index_set_enabled(ix, 1244, 0), VG_OK);
    TH_EQ_INT(vg_index_lookup_digest(ix, VG_ALGO_SHA256, w, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(vg_index_group_set(ix, 2, 31, 0), VG_OK);
    TH_EQ_INT(vg_index_lookup_digest(ix, VG_ALGO_SHA256, w, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 0);
    TH_EQ_INT(vg_index_lookup_digest(ix, VG_ALGO_PDQ, w, m, 4, &n), VG_EINVAL);
    vg_index_free(ix);
}

static void test_bad_args(void)
{
    struct vg_index *ix = NULL;
    struct vg_pdq_hash q[9] = {{{0}}};
    struct vg_index_match m[1];
    uint8_t v[32] = {0};
    size_t n;

    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    TH_EQ_INT(vg_index_group_set(ix, VG_INDEX_MAXGROUP + 1, 31, 1), VG_EINVAL);
    TH_EQ_INT(vg_index_group_set(ix, 0, 257, 1), VG_EINVAL);
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_COUNT, v, 0, 1), VG_EINVAL);
    TH_EQ_INT(vg_index_lookup_pdq(ix, q, 9, m, 1, &n), VG_EINVAL);
    TH_EQ_INT(vg_index_lookup_pdq(ix, q, 0, m, 1, &n), VG_EINVAL);
    /* truncation: *n tells the total */
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_PDQ, v, 0, 1), VG_OK);
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_PDQ, v, 0, 2), VG_OK);
    TH_EQ_INT(vg_index_lookup_pdq(ix, q, 1, m, 1, &n), VG_OK);
    TH_EQ_INT(n, 2);
    TH_EQ_INT(m[0].id, 1);
    vg_index_free(ix);
}

static void test_alloc_failures(void)
{
    int leaks_ok = 1;

    for (long k = 0; k < 400; k++) {
        struct vg_index *ix = NULL;
        struct ent e = {0};
        struct vg_index_match m[8];
        size_t n;
        int rc = VG_OK;

        vg_alloc_fail_after(k);
        if (vg_index_new(&ix) != VG_OK) {
            vg_alloc_fail_after(-1);
            continue;
        }
        for (int i = 0; i < 5000 && !rc; i++) {
            random_hash(&e.h);
            e.id = i;
            rc = add_ent(ix, &e);
        }
        if (!rc)
            rc = vg_index_build(ix);
        if (!rc)
            rc = vg_index_lookup_pdq(ix, &e.h, 1, m, 8, &n);
        if (rc && rc != VG_ENOMEM)
            leaks_ok = 0;
        vg_alloc_fail_after(-1);
        vg_index_free(ix);
    }
    TH_CHECK(leaks_ok);
}

int main(void)
{
    TH_RUN(test_random_small);
    TH_RUN(test_random_tables);
    TH_RUN(test_clustered_tables);
    TH_RUN(test_incremental);
    TH_RUN(test_tables_used);
    TH_RUN(test_digests);
    TH_RUN(test_bad_args);
    TH_RUN(test_alloc_failures);
    return th_done();
}
