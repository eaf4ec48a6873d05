/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keeping a matcher current from the list change log (vigil/lists.h,
 * vg_matcher_sync): the log itself (one row per change, one per import
 * whatever its size, read back by range); random changes (imports with
 * repeats, entries and lists disabled and enabled, lists created and
 * deleted) applied in place, each step's answers compared with those of
 * a matcher loaded afresh; and the same while another connection to the
 * database writes and this one looks up, with the sync thread running and
 * a matcher loaded mid-way (a change both loaded and applied).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

static char dir[] = "/tmp/vigil-test-listsync-XXXXXX";
static char db[256];
static _Thread_local uint64_t rng = 7; /* the writer thread has its own */

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Every PDQ value ever imported, the queries' seeds; and their ids. */
#define MAXVALS 20000
static uint8_t vals[MAXVALS][32];
static size_t nvals, qvals; /* queries use the first qvals (stable) */
static int64_t ids[MAXVALS];
static size_t nids;
/* values of entries lately enabled or disabled: queried more often */
#define NHOT 64
static uint8_t hot[NHOT][32];
static size_t nhot;

static int list_create(struct vg_store *st, const char *name, int allow,
                       int radius, int64_t *id)
{
    struct vg_list l;
    struct vg_err err = {0};

    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "%s", name);
    snprintf(l.category, sizeof(l.category), "cat-%s", name);
    l.pdq_distance = radius;
    l.kind = allow ? VG_LIST_ALLOW : VG_LIST_BLOCK;
    l.enabled = 1;
    return vg_store_list_create(st, 0, &l, id, &err);
}

/* Import n PDQ values (some repeats of earlier ones, some near them) and
 * an MD5 each. */
static int import(struct vg_store *st, int64_t list, int n)
{
    struct vg_store_import *im = NULL;
    struct vg_err err = {0};
    int rc = vg_store_import_begin(st, 0, list, "gen", "lines", NULL, &im,
                                   &err);

    for (int i = 0; !rc && i < n; i++) {
        struct vg_list_entry e;

        memset(&e, 0, sizeof(e));
        e.algo = VG_ALGO_PDQ;
        e.quality = 100;
        if (nvals && next() % 4 == 0) {
            memcpy(e.value, vals[next() % nvals], 32);
            if (next() % 2)
                e.value[next() % 32] ^= 1u << (next() % 8);
        } else {
            for (int k = 0; k < 32; k++)
                e.value[k] = (uint8_t)next();
        }
        if (nvals < MAXVALS)
            memcpy(vals[nvals++], e.value, 32);
        rc = vg_store_import_add(im, &e, &err);
        e.algo = VG_ALGO_MD5;
        e.quality = -1;
        if (!rc)
            rc = vg_store_import_add(im, &e, &err);
    }
    if (rc) {
        vg_store_import_abort(im);
        return rc;
    }
    return vg_store_import_commit(im, n, NULL, NULL, &err);
}

static int note_id(void *ctx, const struct vg_list_entry *e)
{
    (void)ctx;
    if (nids < MAXVALS)
        ids[nids++] = e->id;
    return VG_OK;
}

/* A query near a stored value (or not), with an MD5 that may be one. */
static void query(struct vg_imagehash *h)
{
    uint8_t b[32];

    memset(h, 0, sizeof(*h));
    h->pdq.quality = 100;
    for (int v = 0; v < 8; v++) {
        for (int k = 0; k < 32; k++)
            b[k] = (uint8_t)next();
        if (nhot && v == 0 && next() % 2) {
            memcpy(b, hot[next() % nhot], 32);
            b[next() % 32] ^= (uint8_t)(1u << (next() % 8));
        } else if (qvals && next() % 3) {
            memcpy(b, vals[next() % qvals], 32);
            for (int k = (int)(next() % 48); k > 0; k--)
                b[next() % 32] ^= (uint8_t)(1u << (next() % 8));
        }
        vg_pdq_from_bytes(b, &h->pdq.dihedral[v]);
    }
    h->pdq.hash = h->pdq.dihedral[0];
    if (qvals)
        memcpy(h->digests.md5, vals[next() % qvals], 16);
}

static int match_cmp(const void *a, const void *b)
{
    const struct vg_match *x = a, *y = b;
    int c = strcmp(x->list, y->list);

    if (c)
        return c;
    if (x->entry != y->entry)
        return x->entry < y->entry ? -1 : 1;
    return (int)x->algo - (int)y->algo;
}

static void put(struct vg_buf *b, const char *what, struct vg_match *v,
                size_t n)
{
    if (n)
        qsort(v, n, sizeof(*v), match_cmp);
    vg_buf_printf(b, "%s:", what);
    for (size_t i = 0; i < n; i++)
        vg_buf_printf(b, " %s/%lld/%d/%d/%d/%s", v[i].list,
                      (long long)v[i].entry, (int)v[i].algo, v[i].distance,
                      v[i].variant, v[i].category);
    vg_buf_puts(b, ";");
}

/* The whole answer as text, in a canonical order ("" on error). */
static char *answer(struct vg_matcher *m, const struct vg_imagehash *h)
{
    struct vg_match_result r;
    struct vg_err err = {0};
    struct vg_buf b;

    vg_buf_init(&b, 0);
    if (vg_matcher_lookup(m, h, &r, &err) == VG_OK) {
        put(&b, "block", r.matches, r.nmatches);
        put(&b, "allow", r.allowed_by, r.nallowed);
        put(&b, "supp", r.suppressed, r.nsuppressed);
        vg_match_result_fini(&r);
    }
    vg_buf_append(&b, "", 1);
    return b.data;
}

/* Queries answered alike by m and by a matcher loaded now; returns how
 * many differ, and counts the queries that matched anything. */
static int differ(struct vg_store *st, struct vg_matcher *m, int nq,
                  int *matched)
{
    struct vg_matcher *fresh = NULL;
    struct vg_err err = {0};
    int bad = 0;

    qvals = nvals;
    if (vg_matcher_load(st, 0, &fresh, &err) != VG_OK)
        return nq;
    for (int q = 0; q < nq; q++) {
        struct vg_imagehash h;
        char *a, *b;

        query(&h);
        a = answer(m, &h);
        b = answer(fresh, &h);
        if (strcmp(a, b)) {
            if (!bad)
                fprintf(stderr, "  synced: %s\n  fresh:  %s\n", a, b);
            bad++;
        }
        *matched += strstr(b, "/") != NULL;
        vg_free(a);
        vg_free(b);
    }
    if (vg_matcher_size(m) < vg_matcher_size(fresh))
        bad++;
    vg_matcher_free(fresh);
    return bad;
}

static int count_changes(void *ctx, const struct vg_list_change *c)
{
    (*(int *)ctx)++;
    (void)c;
    return VG_OK;
}

static int last_change(void *ctx, const struct vg_list_change *c)
{
    *(struct vg_list_change *)ctx = *c;
    return VG_OK;
}

/* One row per change; an import of 3000 entries is one row naming them. */
static void test_change_log(void)
{
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_list_change c;
    struct vg_list l;
    int64_t list = 0, head = -1, head2 = 0, count = 0;
    int n = 0;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_list_changes_head(st, &head, &err), VG_OK);
    TH_EQ_INT(head, 0);
    TH_EQ_INT(list_create(st, "log", 0, 31, &list), VG_OK);
    TH_EQ_INT(import(st, list, 1500), VG_OK); /* 3000 entries */
    TH_EQ_INT(vg_store_list_changes(st, 0, 100, count_changes, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 2); /* created, imported */
    TH_EQ_INT(vg_store_list_changes(st, 1, 100, last_change, &c, &err), VG_OK);
    TH_EQ_INT(c.kind, VG_LIST_CHANGE_IMPORT);
    TH_EQ_INT(c.list_id, list);
    TH_CHECK(c.at_ms > 0);
    nids = 0;
    TH_EQ_INT(vg_store_import_entries(st, &c, note_id, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_entries_count(st, list, 0, &count, &err), VG_OK);
    TH_EQ_INT((int64_t)nids, count); /* less the file's repeats */
    TH_CHECK(c.last_id - c.first_id + 1 >= count); /* ids of repeats skipped */
    TH_EQ_INT(vg_store_entry_enable(st, 0, list, ids[5], 0, &err), VG_OK);
    TH_EQ_INT(vg_store_list_changes(st, 2, 100, last_change, &c, &err), VG_OK);
    TH_EQ_INT(c.kind, VG_LIST_CHANGE_ENTRY);
    TH_EQ_INT(c.entry_id, ids[5]);
    TH_EQ_INT(vg_store_list_set_enabled(st, 0, list, 0, &err), VG_OK);
    TH_EQ_INT(vg_store_list_by_id(st, list, &l, &err), VG_OK);
    TH_EQ_INT(l.enabled, 0);
    TH_EQ_STR(l.name, "log");
    TH_EQ_INT(vg_store_list_delete(st, 0, list, &err), VG_OK);
    TH_EQ_INT(vg_store_list_by_id(st, list, &l, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_list_changes_head(st, &head2, &err), VG_OK);
    TH_EQ_INT(head2, 5);
    n = 0;
    TH_EQ_INT(vg_store_list_changes(st, 3, 100, count_changes, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 2);
    vg_store_close(st);
    nvals = 0;
}

static struct vg_store *main_st; /* the writer thread's notes nothing */

static int note_hot(void *ctx, const struct vg_list_entry *e)
{
    (void)ctx;
    if (e->algo == VG_ALGO_PDQ)
        memcpy(hot[nhot++ % NHOT], e->value, 32);
    return VG_OK;
}

/* One random change to what matches. */
static void random_change(struct vg_store *st, int64_t *lists, int *nlists,
                          int round)
{
    struct vg_err err = {0};
    int64_t l = *nlists ? lists[next() % (uint64_t)*nlists] : 0;
    static _Thread_local int made;
    char name[32];

    switch (next() % 7) {
    case 0:
    case 1:
        if (l)
            TH_EQ_INT(import(st, l, 1 + (int)(next() % 300)), VG_OK);
        break;
    case 2: /* entries quarantined, or back */
        nids = 0;
        if (l && vg_store_entries(st, l, VG_ENTRIES_HASH_ONLY, note_id, NULL,
                                  &err) == VG_OK)
            for (int k = 0; nids && k < 5; k++) {
                int64_t id = ids[next() % nids];
                TH_EQ_INT(vg_store_entry_enable(st, 0, l, id,
                                                (int)(next() % 3 == 0), &err),
                          VG_OK);
                if (st == main_st)
                    vg_store_entry_get(st, id, note_hot, NULL, &err);
            }
        break;
    case 3:
        if (l)
            TH_EQ_INT(vg_store_list_set_enabled(st, 0, l, (int)(next() % 2),
                                                &err),
                      VG_OK);
        break;
    case 4:
        if (l && *nlists > 2) {
            TH_EQ_INT(vg_store_list_delete(st, 0, l, &err), VG_OK);
            for (int i = 0; i < *nlists; i++)
                if (lists[i] == l)
                    lists[i] = lists[--*nlists];
        }
        break;
    default:
        if (*nlists < 16) {
            snprintf(name, sizeof(name), "l%d-%d", round, ++made);
            TH_EQ_INT(list_create(st, name, next() % 4 == 0,
                                  (int)(next() % 48), &lists[*nlists]),
                      VG_OK);
            ++*nlists;
        }
    }
}

static void test_random_changes(void)
{
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL;
    struct vg_err err = {0};
    int64_t lists[16];
    int nlists = 0, bad = 0, matched = 0;
    size_t applied = 0;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(list_create(st, "a", 0, 31, &lists[nlists++]), VG_OK);
    TH_EQ_INT(list_create(st, "b", 1, 20, &lists[nlists++]), VG_OK);
    TH_EQ_INT(import(st, lists[0], 2000), VG_OK);
    TH_EQ_INT(import(st, lists[1], 100), VG_OK);
    TH_EQ_INT(vg_matcher_load(st, 0, &m, &err), VG_OK);
    main_st = st;
    for (int round = 0; round < 60 && m; round++) {
        for (int k = (int)(next() % 3); k >= 0; k--)
            random_change(st, lists, &nlists, round);
        TH_EQ_INT(vg_matcher_sync(m, &applied, &err), VG_OK);
        bad += differ(st, m, 40, &matched);
    }
    TH_EQ_INT(bad, 0);
    TH_CHECK(matched > 500); /* the queries did find things */
    vg_matcher_free(m);
    vg_store_close(st);
    main_st = NULL;
    nhot = 0;
}

/* ---- while another connection writes ---- */

static volatile int writing;

static void *writer(void *arg)
{
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int64_t lists[16];
    int nlists = 0;

    (void)arg;
    if (vg_store_open(db, NULL, &st, &err) == VG_OK) {
        TH_EQ_INT(list_create(st, "w0", 0, 31, &lists[nlists++]), VG_OK);
        TH_EQ_INT(list_create(st, "w1", 0, 31, &lists[nlists++]), VG_OK);
        for (int round = 100; round < 160; round++)
            random_change(st, lists, &nlists, round);
        vg_store_close(st);
    }
    __atomic_store_n(&writing, 0, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_concurrent(void)
{
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL, *mid = NULL;
    struct vg_listsync *ls = NULL;
    struct vg_matcher_status s;
    struct vg_err err = {0};
    pthread_t th;
    int bad = 0, matched = 0, lookups = 0;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_matcher_load(st, 0, &m, &err), VG_OK);
    TH_EQ_INT(vg_listsync_start(m, 10, NULL, NULL, &ls), VG_OK);
    qvals = nvals; /* the writer appends after these */
    writing = 1;
    TH_EQ_INT(pthread_create(&th, NULL, writer, NULL), 0);
    while (__atomic_load_n(&writing, __ATOMIC_SEQ_CST)) {
        struct vg_imagehash h;
        char *a;

        query(&h);
        a = answer(m, &h); /* while the sync thread applies changes */
        vg_free(a);
        if (++lookups == 20)
            TH_EQ_INT(vg_matcher_load(st, 0, &mid, &err), VG_OK);
    }
    pthread_join(th, NULL);
    vg_listsync_wake(ls);
    vg_listsync_stop(ls);
    TH_EQ_INT(vg_matcher_sync(m, NULL, &err), VG_OK);
    if (!mid)
        TH_EQ_INT(vg_matcher_load(st, 0, &mid, &err), VG_OK);
    TH_EQ_INT(vg_matcher_sync(mid, NULL, &err), VG_OK);
    bad += differ(st, m, 300, &matched);
    bad += differ(st, mid, 300, &matched);
    TH_EQ_INT(bad, 0);
    vg_matcher_status(m, &s);
    TH_CHECK(s.changes > 0);
    TH_CHECK(s.seq > 0);
    TH_CHECK(s.synced_at_ms > 0);
    TH_CHECK(s.lag_ms >= 0);
    vg_matcher_free(mid);
    vg_matcher_free(m);
    vg_store_close(st);
}

int main(void)
{
    char cmd[512];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "log.db"), 0);
    TH_RUN(test_change_log);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "random.db"), 0);
    TH_RUN(test_random_changes);
    TH_RUN(test_concurrent);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    th_run(cmd);
    return th_done();
}
