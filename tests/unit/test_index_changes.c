/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The index changed in place, as the list sync changes it (vigil/lists.h):
 * a loaded and built index, then random rounds of bulk adds (reserved,
 * then settled), single adds, entries disabled and enabled again, groups
 * disabled, enabled and given another radius; after each round every
 * answer (PDQ with 8 variants, digests) equals that of an index built
 * afresh from the same final state, and settling leaves a tail below its
 * bound.  And lookups from another thread while bulk adds are settled
 * (the tables built aside, then swapped): none fails, none misses an
 * entry that was there before.
 */
#include <pthread.h>
#include <stdlib.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/index.h"

#define MAXE 40000
#define NGROUPS 6

struct ent {
    uint8_t v[32];
    enum vg_algo algo;
    int64_t id;
    uint32_t group;
    int enabled;
};

static struct ent ents[MAXE];
static size_t nents;
static struct {
    int radius, enabled;
} groups[NGROUPS];
static uint64_t rng = 0x5eed;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* A new entry: PDQ mostly, near an earlier one at times; or an MD5. */
static struct ent *new_ent(void)
{
    struct ent *e = &ents[nents];

    e->algo = next() % 5 ? VG_ALGO_PDQ : VG_ALGO_MD5;
    if (nents && next() % 3 == 0) {
        memcpy(e->v, ents[next() % nents].v, 32);
        for (int k = (int)(next() % 24); k > 0; k--)
            e->v[next() % 32] ^= (uint8_t)(1u << (next() % 8));
    } else {
        for (int k = 0; k < 32; k++)
            e->v[k] = (uint8_t)next();
    }
    e->id = 1000 + (int64_t)nents; /* increasing, as the store's */
    e->group = (uint32_t)(next() % NGROUPS);
    e->enabled = 1;
    nents++;
    return e;
}

static int add(struct vg_index *ix, const struct ent *e)
{
    int rc = vg_index_add(ix, e->algo, e->v, e->group, e->id);

    if (!rc && !e->enabled)
        rc = vg_index_set_enabled(ix, e->id, 0);
    return rc;
}

/* An index built from the state now, as a load builds it. */
static struct vg_index *fresh(void)
{
    struct vg_index *ix = NULL;

    if (vg_index_new(&ix))
        return NULL;
    for (int g = 0; g < NGROUPS; g++)
        vg_index_group_set(ix, (uint32_t)g, groups[g].radius,
                           groups[g].enabled);
    vg_index_reserve(ix, nents);
    for (size_t i = 0; i < nents; i++)
        if (add(ix, &ents[i])) {
            vg_index_free(ix);
            return NULL;
        }
    vg_index_build(ix);
    return ix;
}

static int same(const struct vg_index_match *a, size_t na,
                const struct vg_index_match *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i].id != b[i].id || a[i].group != b[i].group ||
            a[i].distance != b[i].distance || a[i].variant != b[i].variant)
            return 0;
    return 1;
}

/* Queries near stored values, answered alike by both; returns how many
 * differ and adds the matches found to *found. */
static int compare(struct vg_index *a, struct vg_index *b, int nq,
                   size_t *found)
{
    static struct vg_index_match ma[4096], mb[4096];
    int bad = 0;

    for (int q = 0; q < nq; q++) {
        struct vg_pdq_hash h[8];
        const struct ent *e = &ents[next() % nents];
        size_t na = 0, nb = 0;

        for (int v = 0; v < 8; v++) {
            uint8_t b8[32];
            memcpy(b8, ents[next() % nents].v, 32);
            if (v == 0)
                memcpy(b8, e->v, 32);
            for (int k = (int)(next() % 40); k > 0; k--)
                b8[next() % 32] ^= (uint8_t)(1u << (next() % 8));
            vg_pdq_from_bytes(b8, &h[v]);
        }
        if (vg_index_lookup_pdq(a, h, 8, ma, 4096, &na) ||
            vg_index_lookup_pdq(b, h, 8, mb, 4096, &nb) ||
            !same(ma, na, mb, nb))
            bad++;
        *found += na;
        if (vg_index_lookup_digest(a, VG_ALGO_MD5, e->v, ma, 4096, &na) ||
            vg_index_lookup_digest(b, VG_ALGO_MD5, e->v, mb, 4096, &nb) ||
            !same(ma, na, mb, nb))
            bad++;
        *found += na;
    }
    return bad;
}

static void change_round(struct vg_index *ix)
{
    switch (next() % 5) {
    case 0: { /* a bulk add, as an import applied */
        size_t n = 1 + next() % 3000;
        TH_EQ_INT(vg_index_reserve(ix, n), VG_OK);
        for (size_t i = 0; i < n && nents < MAXE; i++)
            TH_EQ_INT(add(ix, new_ent()), VG_OK);
        TH_EQ_INT(vg_index_settle(ix), VG_OK);
        break;
    }
    case 1: /* single adds, as entries a review verified */
        for (int i = 0; i < 4 && nents < MAXE; i++)
            TH_EQ_INT(add(ix, new_ent()), VG_OK);
        break;
    case 2: /* entries quarantined or back */
        for (int i = 0; i < 20; i++) {
            struct ent *e = &ents[next() % nents];
            e->enabled = next() % 3 == 0;
            TH_EQ_INT(vg_index_set_enabled(ix, e->id, e->enabled), VG_OK);
        }
        break;
    default: { /* a group switched or given another distance */
        int g = (int)(next() % NGROUPS);
        groups[g].enabled = next() % 4 != 0;
        groups[g].radius = (int)(next() % 40);
        TH_EQ_INT(vg_index_group_set(ix, (uint32_t)g, groups[g].radius,
                                     groups[g].enabled),
                  VG_OK);
    }
    }
}

static void test_changes_match_a_rebuild(void)
{
    struct vg_index *ix;
    struct vg_index_stats s;
    size_t found = 0;
    int bad = 0;

    for (int g = 0; g < NGROUPS; g++)
        groups[g].radius = 31, groups[g].enabled = 1;
    for (int i = 0; i < 8000; i++)
        new_ent();
    ix = fresh(); /* the load */
    TH_CHECK(ix != NULL);
    for (int round = 0; ix && round < 50; round++) {
        struct vg_index *b;

        change_round(ix);
        if (!(b = fresh())) {
            bad++;
            break;
        }
        bad += compare(ix, b, 60, &found);
        vg_index_free(b);
        vg_index_stats(ix, &s);
        /* settled: the tail stays under its bound (1/256, at least 1024) */
        TH_CHECK(s.pdq_tail < 1024 || s.pdq_tail < s.pdq_count / 256);
    }
    TH_EQ_INT(bad, 0);
    TH_CHECK(found > 1000);
    vg_index_stats(ix, &s);
    TH_CHECK(s.tables > 0);
    vg_index_free(ix);
}

struct reader {
    struct vg_index *ix;
    struct vg_pdq_hash q[8];
    int64_t want;
    volatile int stop;
    int lookups, missed;
};

static void *read_on(void *arg)
{
    struct reader *r = arg;
    static struct vg_index_match m[4096];

    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        size_t n = 0, i;
        int rc = vg_index_lookup_pdq(r->ix, r->q, 8, m, 4096, &n);

        for (i = 0; !rc && i < n && i < 4096 && m[i].id != r->want; i++)
            ;
        r->missed += rc || i == n || i == 4096;
        r->lookups++;
    }
    return NULL;
}

static void test_lookups_during_settle(void)
{
    struct reader r = {0};
    struct vg_index_stats s;
    pthread_t th;
    uint8_t b[32];

    nents = 0;
    for (int g = 0; g < NGROUPS; g++)
        groups[g].radius = 31, groups[g].enabled = 1;
    for (int i = 0; i < 5000; i++)
        new_ent()->algo = VG_ALGO_PDQ;
    TH_CHECK((r.ix = fresh()) != NULL);
    if (!r.ix)
        return;
    r.want = ents[17].id;
    for (int v = 0; v < 8; v++) {
        memcpy(b, ents[v == 3 ? 17 : next() % nents].v, 32);
        b[v] ^= 0x11; /* 2 bits off */
        vg_pdq_from_bytes(b, &r.q[v]);
    }
    TH_EQ_INT(pthread_create(&th, NULL, read_on, &r), 0);
    for (int round = 0; round < 6; round++) {
        TH_EQ_INT(vg_index_reserve(r.ix, 5000), VG_OK);
        for (int i = 0; i < 5000; i++) {
            struct ent *e = new_ent();
            e->algo = VG_ALGO_PDQ;
            TH_EQ_INT(add(r.ix, e), VG_OK);
        }
        TH_EQ_INT(vg_index_settle(r.ix), VG_OK);
        vg_index_stats(r.ix, &s);
        TH_EQ_INT(s.pdq_tail, 0);
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(th, NULL);
    TH_EQ_INT(r.missed, 0);
    TH_CHECK(r.lookups > 0);
    TH_EQ_INT(s.pdq_count, 35000);
    vg_index_free(r.ix);
}

int main(void)
{
    TH_RUN(test_changes_match_a_rebuild);
    TH_RUN(test_lookups_during_settle);
    return th_done();
}
