/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The matcher against a brute force over what was imported: random block
 * and allow lists with their own distances (0..64), disabled lists and
 * quarantined entries, clustered PDQ hashes and digests, queries with
 * planted near matches; plus the quality floor and the import of a list
 * file with a duplicate (nothing imported).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

#define NLISTS 6
#define PER_LIST 3000

static char dir[] = "/tmp/vigil-test-lists-XXXXXX";
static uint64_t rng = 42;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

struct ent {
    int64_t id;
    int list;
    enum vg_algo algo;
    uint8_t v[32];
    int enabled;
};

static struct ent ents[NLISTS * PER_LIST];
static size_t nents;
static struct vg_list lists[NLISTS];

static void flip(uint8_t *v, int k)
{
    for (int i = 0; i < k; i++) {
        unsigned b = (unsigned)(next() % 256);
        v[b / 8] ^= (uint8_t)(1u << (b % 8));
    }
}

static int collect(void *ctx, const struct vg_list_entry *e)
{
    (void)ctx;
    for (size_t i = 0; i < nents; i++)
        if (ents[i].algo == e->algo && ents[i].list == (int)e->list_id - 1 &&
            !memcmp(ents[i].v, e->value, vg_algo_size(e->algo)))
            ents[i].id = e->id;
    return VG_OK;
}

static int dist(const uint8_t *a, const uint8_t *b)
{
    int d = 0;

    for (int i = 0; i < 32; i++)
        d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
    return d;
}

static const struct ent *ent_by_id(int64_t id)
{
    for (size_t i = 0; i < nents; i++)
        if (ents[i].id == id)
            return &ents[i];
    return NULL;
}

/* The expected answer, as sets of entry ids with distance and variant. */
static int expect(const struct vg_imagehash *h, int64_t *blk, size_t *nb,
                  int64_t *alw, size_t *na)
{
    uint8_t q[8][32];
    const uint8_t *dig[VG_ALGO_COUNT] = {NULL, h->digests.md5, h->digests.sha1,
                                         h->digests.sha256};

    *nb = *na = 0;
    for (int v = 0; v < 8; v++)
        vg_pdq_to_bytes(&h->pdq.dihedral[v], q[v]);
    for (size_t i = 0; i < nents; i++) {
        const struct ent *e = &ents[i];
        const struct vg_list *l = &lists[e->list];
        int hit = 0;

        if (!e->enabled || !l->enabled)
            continue;
        if (e->algo == VG_ALGO_PDQ) {
            for (int v = 0; v < 8; v++)
                hit |= dist(q[v], e->v) <= l->pdq_distance;
        } else {
            hit = !memcmp(dig[e->algo], e->v, vg_algo_size(e->algo));
        }
        if (hit && l->kind == VG_LIST_ALLOW)
            alw[(*na)++] = e->id;
        else if (hit)
            blk[(*nb)++] = e->id;
    }
    return 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int same_ids(const struct vg_match *m, size_t n, int64_t *want,
                    size_t nw)
{
    int64_t got[4096];

    if (n != nw || n > 4096)
        return 0;
    for (size_t i = 0; i < n; i++)
        got[i] = m[i].entry;
    qsort(got, n, sizeof(*got), cmp64);
    qsort(want, nw, sizeof(*want), cmp64);
    return !memcmp(got, want, n * sizeof(*got));
}

static void test_matcher_vs_brute(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_matcher *m = NULL;
    int64_t id;
    static int64_t blk[NLISTS * PER_LIST], alw[NLISTS * PER_LIST];
    size_t bad = 0, nb, na, hits = 0, allowed = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "m.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    for (int l = 0; l < NLISTS; l++) {
        struct vg_store_import *im = NULL;

        memset(&lists[l], 0, sizeof(lists[l]));
        snprintf(lists[l].name, sizeof(lists[l].name), "list%d", l);
        snprintf(lists[l].category, sizeof(lists[l].category), "cat%d", l);
        lists[l].pdq_distance = (int)(next() % 65);
        lists[l].kind = l >= 4 ? VG_LIST_ALLOW : VG_LIST_BLOCK;
        lists[l].enabled = l != 2;
        TH_EQ_INT(vg_store_list_create(st, 0, &lists[l], &id, &err), VG_OK);
        TH_EQ_INT(id, l + 1);
        TH_EQ_INT(vg_store_import_begin(st, 0, id, "gen", "lines", NULL, &im,
                                        &err),
                  VG_OK);
        for (int i = 0; i < PER_LIST; i++) {
            struct ent *e = &ents[nents++];
            struct vg_list_entry le;

            e->list = l;
            e->enabled = 1;
            e->algo = (enum vg_algo)(next() % 8 < 5 ? VG_ALGO_PDQ
                                                    : 1 + next() % 3);
            if (e->algo == VG_ALGO_PDQ && nents > 1 && next() % 2) {
                /* clustered: near an earlier PDQ entry of any list */
                size_t j = next() % (nents - 1);
                if (ents[j].algo == VG_ALGO_PDQ) {
                    memcpy(e->v, ents[j].v, 32);
                    flip(e->v, (int)(next() % 12) + 1);
                } else {
                    for (int b = 0; b < 32; b++)
                        e->v[b] = (uint8_t)next();
                }
            } else {
                for (int b = 0; b < 32; b++)
                    e->v[b] = (uint8_t)next();
            }
            memset(&le, 0, sizeof(le));
            le.algo = e->algo;
            memcpy(le.value, e->v, 32);
            le.quality = -1;
            TH_EQ_INT(vg_store_import_add(im, &le, &err), VG_OK);
        }
        TH_EQ_INT(vg_store_import_commit(im, PER_LIST, NULL, NULL, &err),
                  VG_OK);
    }
    TH_EQ_INT(vg_store_entries(st, 0, 0, collect, NULL, &err), VG_OK);
    /* quarantine some entries (duplicates within a list were not stored) */
    for (size_t i = 0; i < nents; i += 7)
        if (ents[i].id && vg_store_entry_enable(st, 0, ents[i].list + 1,
                                                ents[i].id, 0, &err) == VG_OK)
            ents[i].enabled = 0;
    for (size_t i = 0; i < nents; i++)
        if (!ents[i].id)
            ents[i].enabled = 0; /* a repeat the store kept once */
    TH_EQ_INT(vg_matcher_load(st, 50, &m, &err), VG_OK);
    for (int q = 0; q < 400; q++) {
        struct vg_imagehash h;
        struct vg_match_result r;
        uint8_t b[32];

        memset(&h, 0, sizeof(h));
        h.pdq.quality = 100;
        for (int v = 0; v < 8; v++) {
            for (int k = 0; k < 32; k++)
                b[k] = (uint8_t)next();
            if (q % 2 && v == q % 8) { /* plant near a stored PDQ */
                const struct ent *e = &ents[next() % nents];
                if (e->algo == VG_ALGO_PDQ) {
                    memcpy(b, e->v, 32);
                    flip(b, (int)(next() % 40));
                }
            }
            vg_pdq_from_bytes(b, &h.pdq.dihedral[v]);
        }
        h.pdq.hash = h.pdq.dihedral[0];
        if (q % 5 == 0) { /* plant an exact digest */
            const struct ent *e = &ents[next() % nents];
            uint8_t *d = e->algo == VG_ALGO_MD5    ? h.digests.md5
                         : e->algo == VG_ALGO_SHA1 ? h.digests.sha1
                                                   : h.digests.sha256;
            if (e->algo != VG_ALGO_PDQ)
                memcpy(d, e->v, vg_algo_size(e->algo));
        }
        expect(&h, blk, &nb, alw, &na);
        TH_EQ_INT(vg_matcher_lookup(m, &h, &r, &err), VG_OK);
        if (!same_ids(r.allowed_by, r.nallowed, alw, na) ||
            !same_ids(na ? r.suppressed : r.matches,
                      na ? r.nsuppressed : r.nmatches, blk, nb) ||
            (na && r.nmatches))
            bad++;
        for (size_t i = 0; i < r.nmatches; i++) {
            const struct ent *e = ent_by_id(r.matches[i].entry);
            if (!e || strcmp(r.matches[i].list, lists[e->list].name) ||
                strcmp(r.matches[i].category, lists[e->list].category))
                bad++;
        }
        hits += nb > 0;
        allowed += na > 0;
        vg_match_result_fini(&r);
    }
    if (bad)
        TH_FAIL_("%zu of 400 lookups differ from the brute force", bad);
    /* the test must exercise both outcomes */
    TH_CHECK(hits > 20);
    TH_CHECK(allowed > 5);
    vg_matcher_free(m);
    vg_store_close(st);
}

static void test_quality_floor(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL;
    struct vg_imagehash h;
    struct vg_match_result r;
    struct vg_list l;
    struct vg_store_import *im = NULL;
    struct vg_list_entry e;
    int64_t id;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "q.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    memset(&l, 0, sizeof(l));
    strcpy(l.name, "zero");
    strcpy(l.category, "csam");
    l.pdq_distance = 31;
    l.enabled = 1;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, NULL), VG_OK);
    memset(&e, 0, sizeof(e)); /* the all-zero PDQ of a featureless image */
    e.quality = -1;
    TH_EQ_INT(vg_store_import_begin(st, 0, id, "x", "lines", NULL, &im, NULL),
              VG_OK);
    TH_EQ_INT(vg_store_import_add(im, &e, NULL), VG_OK);
    TH_EQ_INT(vg_store_import_commit(im, 1, NULL, NULL, NULL), VG_OK);
    TH_EQ_INT(vg_matcher_load(st, 50, &m, NULL), VG_OK);
    memset(&h, 0, sizeof(h));
    h.pdq.quality = 0;
    TH_EQ_INT(vg_matcher_lookup(m, &h, &r, NULL), VG_OK);
    TH_EQ_INT(r.nmatches, 0);
    TH_EQ_INT(r.pdq_skipped, 1);
    vg_match_result_fini(&r);
    h.pdq.quality = 50;
    TH_EQ_INT(vg_matcher_lookup(m, &h, &r, NULL), VG_OK);
    TH_EQ_INT(r.nmatches, 1);
    TH_EQ_INT(r.matches[0].variant, 0);
    vg_match_result_fini(&r);
    vg_matcher_free(m);
    vg_store_close(st);
}

static int count_err(void *ctx, unsigned long line, const char *msg)
{
    (void)msg;
    *(unsigned long *)ctx = line;
    return VG_OK;
}

static void test_import_duplicate(void)
{
    char db[256], file[256];
    struct vg_store *st = NULL;
    struct vg_lists_import_result res;
    struct vg_listfile_opts o = {VG_LISTFILE_AUTO, -1, 50, 0};
    struct vg_list l;
    struct vg_err err = {0};
    unsigned long last = 0;
    int64_t id;
    FILE *f;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "d.db"), 0);
    snprintf(file, sizeof(file), "%s/d.txt", dir);
    f = fopen(file, "w");
    TH_CHECK(f != NULL);
    if (!f)
        return;
    fputs("# md5 list\n00112233445566778899aabbccddeeff\n"
          "ffeeddccbbaa99887766554433221100\n"
          "00112233445566778899AABBCCDDEEFF\n",
          f);
    fclose(f);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    memset(&l, 0, sizeof(l));
    strcpy(l.name, "d");
    strcpy(l.category, "csam");
    l.enabled = 1;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, NULL), VG_OK);
    TH_EQ_INT(vg_lists_import(st, 0, "d", file, &o, count_err, &last, &res,
                              &err),
              VG_EFORMAT);
    TH_EQ_INT(last, 4); /* the same value in capitals is the same hash */
    TH_EQ_INT(res.bad, 1);
    TH_CHECK(strstr(err.msg, "nothing imported") != NULL);
    TH_EQ_INT(vg_store_list_get(st, "d", &l, NULL), VG_OK);
    TH_EQ_INT(l.entries, 0);
    TH_EQ_INT(l.imports, 0);
    vg_store_close(st);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_matcher_vs_brute);
    TH_RUN(test_quality_floor);
    TH_RUN(test_import_duplicate);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        status = 1;
    return status;
}
