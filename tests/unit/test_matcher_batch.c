/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vg_matcher_lookup_pdqs (a batch of bare PDQ hashes) against
 * vg_matcher_lookup of an image whose 8 hashes are all that one hash, field
 * by field: block and allow lists with their own distances, a disabled
 * list, disabled entries, categories, external ids and metadata, a cluster
 * with more matches than the batch keeps per hash; and by hand: an exact
 * match, a disabled entry, and the quality rule not applying to a bare
 * hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

#define NLISTS 5
#define PER_LIST 1500
#define NQ 400

static char dir[] = "/tmp/vigil-test-mbatch-XXXXXX";
static uint64_t rng = 7;

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static void flip(uint8_t *v, int k)
{
    for (int i = 0; i < k; i++) {
        unsigned b = (unsigned)(next() % 256);
        v[b / 8] ^= (uint8_t)(1u << (b % 8));
    }
}

static uint8_t stored[NLISTS * PER_LIST][32];
static size_t nstored;

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same(const struct vg_match *a, size_t na, const struct vg_match *b,
                size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].list, b[i].list) || a[i].kind != b[i].kind ||
            a[i].entry != b[i].entry ||
            !str_eq(a[i].category, b[i].category) ||
            !str_eq(a[i].external_id, b[i].external_id) ||
            !str_eq(a[i].metadata, b[i].metadata) || a[i].algo != b[i].algo ||
            a[i].distance != b[i].distance || a[i].variant != b[i].variant)
            return 0;
    return 1;
}

/* Lists 0-2 block (2 disabled), 3-4 allow; every 4th entry of a list with
 * its own category, external id and metadata; a 60-hash cluster in list 0;
 * every 9th entry disabled (disable_some). */
static void fill(struct vg_store *st)
{
    static const int radius[NLISTS] = {31, 16, 40, 24, 8};
    struct vg_err err = {0};

    for (int l = 0; l < NLISTS; l++) {
        struct vg_store_import *im = NULL;
        struct vg_list li;
        int64_t id;

        memset(&li, 0, sizeof(li));
        snprintf(li.name, sizeof(li.name), "list%d", l);
        snprintf(li.category, sizeof(li.category), "cat%d", l);
        li.pdq_distance = radius[l];
        li.kind = l >= 3 ? VG_LIST_ALLOW : VG_LIST_BLOCK;
        li.enabled = l != 2;
        TH_EQ_INT(vg_store_list_create(st, 0, &li, &id, &err), VG_OK);
        TH_EQ_INT(vg_store_import_begin(st, 0, id, "gen", "lines", NULL, &im,
                                        &err),
                  VG_OK);
        for (int i = 0; i < PER_LIST; i++) {
            struct vg_list_entry e;
            char ext[32], meta[64];
            uint8_t *v = stored[nstored++];

            if (l == 0 && i > 0 && i <= 60) { /* a big cluster */
                memcpy(v, stored[0], 32);
                flip(v, 1 + (int)(next() % 8));
            } else if (nstored > 1 && next() % 2) {
                memcpy(v, stored[next() % (nstored - 1)], 32);
                flip(v, 1 + (int)(next() % 12));
            } else {
                for (int b = 0; b < 32; b++)
                    v[b] = (uint8_t)next();
            }
            memset(&e, 0, sizeof(e));
            e.algo = VG_ALGO_PDQ;
            memcpy(e.value, v, 32);
            e.quality = -1;
            if (i % 4 == 0) {
                snprintf(ext, sizeof(ext), "ext-%d-%d", l, i);
                snprintf(meta, sizeof(meta), "{\"n\":%d}", i);
                e.category = "special";
                e.external_id = ext;
                e.metadata = meta;
            }
            TH_EQ_INT(vg_store_import_add(im, &e, &err), VG_OK);
        }
        TH_EQ_INT(vg_store_import_commit(im, PER_LIST, NULL, NULL, &err),
                  VG_OK);
    }
}

static int64_t off_ids[NLISTS * PER_LIST][2]; /* list, entry */
static size_t noff;

static int disable_some(void *ctx, const struct vg_list_entry *e)
{
    (void)ctx;
    if (e->id % 9 == 0) {
        off_ids[noff][0] = e->list_id;
        off_ids[noff++][1] = e->id;
    }
    return VG_OK;
}

static void test_batch_vs_one(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL;
    struct vg_err err = {0};
    struct vg_pdq_hash *q = vg_calloc(NQ, sizeof(*q));
    struct vg_match_result *r = vg_calloc(NQ, sizeof(*r));
    size_t bad = 0, hits = 0, allowed = 0, big = 0, details = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "b.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    fill(st);
    TH_EQ_INT(vg_store_entries(st, 0, VG_ENTRIES_HASH_ONLY, disable_some, NULL,
                               &err),
              VG_OK);
    TH_CHECK(noff > 100);
    for (size_t i = 0; i < noff; i++)
        TH_EQ_INT(vg_store_entry_enable(st, 0, off_ids[i][0], off_ids[i][1], 0,
                                        &err),
                  VG_OK);
    TH_EQ_INT(vg_matcher_load(st, 50, &m, &err), VG_OK);
    for (size_t i = 0; i < NQ; i++) {
        uint8_t b[32];
        if (i % 3 == 2) {
            for (int k = 0; k < 32; k++)
                b[k] = (uint8_t)next();
        } else {
            memcpy(b, stored[i % 20 == 0 ? 0 : next() % nstored], 32);
            flip(b, (int)(next() % 36));
        }
        vg_pdq_from_bytes(b, &q[i]);
    }
    TH_EQ_INT(vg_matcher_lookup_pdqs(m, q, NQ, r, &err), VG_OK);
    for (size_t i = 0; i < NQ; i++) {
        struct vg_imagehash h;
        struct vg_match_result one;

        memset(&h, 0, sizeof(h));
        h.pdq.quality = 100;
        h.pdq.hash = q[i];
        for (int v = 0; v < 8; v++)
            h.pdq.dihedral[v] = q[i];
        TH_EQ_INT(vg_matcher_lookup(m, &h, &one, &err), VG_OK);
        bad += !same(r[i].matches, r[i].nmatches, one.matches, one.nmatches) ||
               !same(r[i].allowed_by, r[i].nallowed, one.allowed_by,
                     one.nallowed) ||
               !same(r[i].suppressed, r[i].nsuppressed, one.suppressed,
                     one.nsuppressed) ||
               r[i].pdq_skipped;
        hits += r[i].nmatches > 0;
        allowed += r[i].nallowed > 0;
        big += r[i].nmatches + r[i].nsuppressed > 32;
        for (size_t k = 0; k < r[i].nmatches; k++)
            details += r[i].matches[k].external_id != NULL &&
                       !strcmp(r[i].matches[k].category, "special");
        vg_match_result_fini(&one);
        vg_match_result_fini(&r[i]);
    }
    TH_EQ_INT(bad, 0);
    TH_CHECK(hits > 40);
    TH_CHECK(allowed > 10);
    TH_CHECK(big > 0);     /* the cluster: more than the batch keeps */
    TH_CHECK(details > 0); /* per-entry details filled */
    vg_matcher_free(m);
    vg_store_close(st);
    vg_free(q);
    vg_free(r);
}

/* The all-zero hash (which the quality rule would skip in an image) matches
 * itself at 0 and from 3 bits away; a disabled entry matches nothing. */
static void test_exact_and_disabled(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL;
    struct vg_list l;
    struct vg_store_import *im = NULL;
    struct vg_list_entry e;
    struct vg_pdq_hash q[3];
    struct vg_match_result r[3];
    int64_t id;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "e.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    memset(&l, 0, sizeof(l));
    strcpy(l.name, "zero");
    strcpy(l.category, "csam");
    l.pdq_distance = 31;
    l.enabled = 1;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, NULL), VG_OK);
    TH_EQ_INT(vg_store_import_begin(st, 0, id, "x", "lines", NULL, &im, NULL),
              VG_OK);
    memset(&e, 0, sizeof(e)); /* the all-zero PDQ: quality would skip it */
    e.quality = -1;
    TH_EQ_INT(vg_store_import_add(im, &e, NULL), VG_OK);
    memset(e.value, 0xff, 32);
    TH_EQ_INT(vg_store_import_add(im, &e, NULL), VG_OK);
    TH_EQ_INT(vg_store_import_commit(im, 2, NULL, NULL, NULL), VG_OK);
    TH_EQ_INT(vg_store_entry_enable(st, 0, id, 2, 0, NULL), VG_OK);
    TH_EQ_INT(vg_matcher_load(st, 50, &m, NULL), VG_OK);
    memset(q, 0, sizeof(q));
    vg_pdq_from_bytes(e.value, &q[1]); /* the disabled one */
    q[2].w[3] = 0x7;                   /* 3 bits from the zero hash */
    TH_EQ_INT(vg_matcher_lookup_pdqs(m, q, 3, r, NULL), VG_OK);
    TH_EQ_INT(r[0].nmatches, 1);
    TH_EQ_INT(r[0].pdq_skipped, 0);
    TH_EQ_INT(r[0].matches[0].entry, 1);
    TH_EQ_INT(r[0].matches[0].distance, 0);
    TH_EQ_INT(r[0].matches[0].variant, 0);
    TH_EQ_STR(r[0].matches[0].category, "csam");
    TH_EQ_STR(r[0].matches[0].list, "zero");
    TH_EQ_INT(r[1].nmatches, 0);
    TH_EQ_INT(r[2].nmatches, 1);
    TH_EQ_INT(r[2].matches[0].distance, 3);
    for (int i = 0; i < 3; i++)
        vg_match_result_fini(&r[i]);
    TH_EQ_INT(vg_matcher_lookup_pdqs(m, q, 0, r, NULL), VG_OK);
    vg_matcher_free(m);
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
    TH_RUN(test_batch_vs_one);
    TH_RUN(test_exact_and_disabled);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        status = 1;
    return status;
}
