/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flood quarantine (vigil/flood.h) on one store, SQLite or PostgreSQL
 * (tests/th_db.h): a burst over the threshold quarantines its entry within
 * the detector's interval and a matcher on the store stops returning it
 * at its next sync; an entry with a steady high baseline is not
 * quarantined at the same rate (only at ratio x its mean); too many
 * distinct media quarantine, one media many times does not; two nodes
 * (two stores on one database, a vg_flood each) count together and
 * quarantine once; a release restores matching, is audited and holds the
 * detector off; the listing and its JSON; old counts pruned.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/flood.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

static char dir[] = "/tmp/vigil-test-flood-XXXXXX";
static char db[256];
static int64_t at;     /* the fixed clock: the middle of this hour */
static int64_t ids[8]; /* the entries, their values below */
static uint8_t vals[8][32];

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int note_id(void *ctx, const struct vg_list_entry *e)
{
    int64_t *next = ctx;

    ids[(*next)++] = e->id;
    return VG_OK;
}

/* A block list "known" with eight PDQ entries of random values. */
static void make_list(struct vg_store *st)
{
    struct vg_store_import *im = NULL;
    struct vg_err err = {0};
    struct vg_list l;
    int64_t list = 0, n = 0;

    memset(&l, 0, sizeof(l));
    strcpy(l.name, "known");
    strcpy(l.category, "csam");
    l.pdq_distance = 31;
    l.enabled = 1;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &list, &err), VG_OK);
    TH_EQ_INT(vg_store_import_begin(st, 0, list, "gen", "lines", NULL, &im,
                                    &err),
              VG_OK);
    srand(15);
    for (int i = 0; i < 8; i++) {
        struct vg_list_entry e;
        memset(&e, 0, sizeof(e));
        e.algo = VG_ALGO_PDQ;
        e.quality = 100;
        for (int k = 0; k < 32; k++)
            vals[i][k] = (uint8_t)rand();
        memcpy(e.value, vals[i], 32);
        TH_EQ_INT(vg_store_import_add(im, &e, &err), VG_OK);
    }
    TH_EQ_INT(vg_store_import_commit(im, 8, NULL, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_entries(st, list, 0, note_id, &n, &err), VG_OK);
    TH_EQ_INT(n, 8);
}

/* Does m return entry i for a query of its value? */
static int matches(struct vg_matcher *m, int i)
{
    struct vg_imagehash h;
    struct vg_match_result r;
    struct vg_err err = {0};
    int found = 0;

    memset(&h, 0, sizeof(h));
    h.pdq.quality = 100;
    for (int v = 0; v < 8; v++)
        vg_pdq_from_bytes(vals[i], &h.pdq.dihedral[v]);
    h.pdq.hash = h.pdq.dihedral[0];
    if (vg_matcher_lookup(m, &h, &r, &err))
        return -1;
    for (size_t k = 0; k < r.nmatches; k++)
        found |= r.matches[k].entry == ids[i];
    vg_match_result_fini(&r);
    return found;
}

/* Note entry i n times, media keys from seed on (distinct if step). */
static void note(struct vg_flood *f, int i, int n, int seed, int step)
{
    uint8_t key[32];

    for (int k = 0; k < n; k++) {
        int v = seed + (step ? k : 0);
        memset(key, 0, sizeof(key));
        memcpy(key, &v, sizeof(v));
        key[31] = (uint8_t)i;
        vg_flood_note(f, ids[i], key);
    }
}

/* fmt's one %lld is entry i's id */
__attribute__((format(printf, 1, 0))) static long long count_v(const char *fmt,
                                                               va_list ap)
{
    char sql[300];

    vsnprintf(sql, sizeof(sql), fmt, ap);
    return th_db_int(db, sql);
}

__attribute__((format(printf, 1, 2))) static long long
count_sql(const char *fmt, ...)
{
    va_list ap;
    long long n;

    va_start(ap, fmt);
    n = count_v(fmt, ap);
    va_end(ap);
    return n;
}
#define count(fmt, i) count_sql(fmt, (long long)ids[i])

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&t, NULL);
}

#define ACTIVE                                                                \
    "SELECT count(*) FROM flood_quarantines WHERE entry_id = %lld"            \
    " AND released_at IS NULL"
#define QUARANTINES                                                           \
    "SELECT count(*) FROM flood_quarantines"                                  \
    " WHERE entry_id = %lld"
#define AUDITS                                                                \
    "SELECT count(*) FROM audit_log WHERE object_id = %lld"                   \
    " AND action = 'entry.quarantine' AND user_id = 0"

/* Wait up to ms for entry i's quarantine; the milliseconds it took or
 * -1. */
static int64_t wait_quarantine(int i, int64_t ms)
{
    int64_t t0 = now_ms();

    while (now_ms() - t0 < ms) {
        if (count(ACTIVE, i) == 1)
            return now_ms() - t0;
        sleep_ms(20);
    }
    return -1;
}

static void opts(struct vg_flood_opts *o, int64_t flush_ms, int64_t detect_ms)
{
    vg_flood_opts_default(o);
    o->flush_ms = flush_ms;
    o->detect_ms = detect_ms;
    o->at = at;
}

static void test_burst(void)
{
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL;
    struct vg_flood *f = NULL;
    struct vg_flood_opts o;
    struct vg_err err = {0};
    int64_t took;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    make_list(st);
    TH_EQ_INT(vg_matcher_load(st, 50, &m, &err), VG_OK);
    TH_EQ_INT(matches(m, 0), 1);
    opts(&o, 100, 300);
    TH_EQ_INT(vg_flood_start(st, &o, &f), VG_OK);
    note(f, 0, 49, 0, 1); /* under min_media: no flood */
    note(f, 1, 3, 0, 1);  /* a few matches of another entry */
    sleep_ms(800);
    TH_EQ_INT(count(ACTIVE, 0), 0);
    note(f, 0, 11, 100, 1); /* 60 this hour, no history */
    took = wait_quarantine(0, 5000);
    TH_CHECK(took >= 0);
    printf("  quarantined %lld ms after the burst (detector every 300 ms)\n",
           (long long)took);
    TH_CHECK(took <= 300 + 100 + 1000); /* an interval, a flush, slack */
    TH_EQ_INT(count(AUDITS, 0), 1);
    TH_EQ_INT(count("SELECT count(*) FROM flood_quarantines WHERE entry_id ="
                    " %lld AND reason = 'rate' AND matches = 60 AND media ="
                    " 60 AND baseline = 0",
                    0),
              1);
    TH_EQ_INT(count("SELECT enabled FROM list_entries WHERE id = %lld", 0), 0);
    TH_EQ_INT(count(ACTIVE, 1), 0);
    /* the matcher drops it at its next sync, the others stay */
    TH_EQ_INT(vg_matcher_sync(m, NULL, &err), VG_OK);
    TH_EQ_INT(matches(m, 0), 0);
    TH_EQ_INT(matches(m, 1), 1);
    vg_flood_stop(f);
    /* the other's 3 media stay on the node: fewer than min_flush_media */
    TH_EQ_INT(count("SELECT sum(matches) FROM flood_counts WHERE entry_id ="
                    " %lld",
                    1),
              -1);
    vg_matcher_free(m);
    vg_store_close(st);
}

/* Entry 2 matched 10 times an hour for 7 days: 60 is no flood, over 1,000
 * (100 x 10) is; entry 3 with no history is at 60. */
static void test_baseline(void)
{
    struct vg_flood_count c[168];
    struct vg_store *st = NULL;
    struct vg_flood *f = NULL;
    struct vg_flood_opts o;
    struct vg_err err = {0};
    int n = -1;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    for (int h = 0; h < 168; h++)
        c[h] = (struct vg_flood_count){ids[2], at / 3600 - 168 + h, 10, 10};
    TH_EQ_INT(vg_store_flood_add(st, c, 168, &err), VG_OK);
    opts(&o, 600000, 600000); /* the test ticks */
    o.max_media_per_hour = 100000;
    TH_EQ_INT(vg_flood_start(st, &o, &f), VG_OK);
    note(f, 2, 60, 0, 1);
    note(f, 3, 60, 0, 1);
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(count(ACTIVE, 2), 0);
    TH_EQ_INT(count(ACTIVE, 3), 1);
    note(f, 2, 940, 60, 1); /* 1,000: not over 100 x 10 */
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 0);
    TH_EQ_INT(count(ACTIVE, 2), 0);
    note(f, 2, 1, 5000, 1);
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(count("SELECT count(*) FROM flood_quarantines WHERE entry_id ="
                    " %lld AND reason = 'rate' AND matches = 1001 AND"
                    " baseline = 1680 AND baseline_hours = 168 AND"
                    " released_at IS NULL",
                    2),
              1);
    vg_flood_stop(f);
    vg_store_close(st);
}

/* More than max_media_per_hour distinct media quarantine; one media looked
 * up many times does not. */
static void test_media(void)
{
    struct vg_store *st = NULL;
    struct vg_flood *f = NULL;
    struct vg_flood_opts o;
    struct vg_err err = {0};
    int n = -1;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    opts(&o, 600000, 600000);
    o.min_media = 1000000;
    o.max_media_per_hour = 20;
    TH_EQ_INT(vg_flood_start(st, &o, &f), VG_OK);
    note(f, 4, 500, 7, 0); /* one media, 500 times */
    note(f, 4, 19, 8, 1);  /* 20 distinct */
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 0);
    note(f, 4, 1, 8, 1); /* seen already */
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 0);
    note(f, 4, 30, 1000, 1); /* 21st distinct and more (kept up to 21) */
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(count("SELECT count(*) FROM flood_quarantines WHERE entry_id ="
                    " %lld AND reason = 'media' AND media = 21 AND"
                    " matches = 550",
                    4),
              1);
    vg_flood_stop(f);
    vg_store_close(st);
}

/* Two nodes on one database: 30 matches each, 60 together, quarantined
 * once, and each node's matcher drops the entry. */
static void test_two_nodes(void)
{
    struct vg_store *st[2] = {NULL, NULL};
    struct vg_matcher *m[2] = {NULL, NULL};
    struct vg_flood *f[2] = {NULL, NULL};
    struct vg_flood_opts o;
    struct vg_err err = {0};

    opts(&o, 50, 100);
    for (int k = 0; k < 2; k++) {
        TH_EQ_INT(vg_store_open(db, NULL, &st[k], &err), VG_OK);
        TH_EQ_INT(vg_matcher_load(st[k], 50, &m[k], &err), VG_OK);
        TH_EQ_INT(matches(m[k], 5), 1);
        TH_EQ_INT(vg_flood_start(st[k], &o, &f[k]), VG_OK);
    }
    note(f[0], 5, 30, 0, 1);
    sleep_ms(500); /* node 0's 30 counted: no flood yet */
    TH_EQ_INT(count(ACTIVE, 5), 0);
    note(f[1], 5, 30, 30, 1);
    TH_CHECK(wait_quarantine(5, 5000) >= 0);
    sleep_ms(500); /* both detectors ran again */
    for (int k = 0; k < 2; k++) {
        vg_flood_stop(f[k]);
        TH_EQ_INT(vg_matcher_sync(m[k], NULL, &err), VG_OK);
        TH_EQ_INT(matches(m[k], 5), 0);
        TH_EQ_INT(matches(m[k], 6), 1);
        vg_matcher_free(m[k]);
        vg_store_close(st[k]);
    }
    TH_EQ_INT(count(QUARANTINES, 5), 1);
    TH_EQ_INT(count(AUDITS, 5), 1);
    TH_EQ_INT(count("SELECT count(*) FROM flood_quarantines WHERE entry_id ="
                    " %lld AND matches = 60 AND media = 60",
                    5),
              1);
}

static void test_release(void)
{
    struct vg_flood_quarantines *q = NULL;
    struct vg_store *st = NULL;
    struct vg_matcher *m = NULL;
    struct vg_flood *f = NULL;
    struct vg_flood_opts o;
    struct vg_err err = {0};
    char *json = NULL, want[100];
    int n = -1;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_matcher_load(st, 50, &m, &err), VG_OK);
    TH_EQ_INT(matches(m, 0), 0);
    /* in force: entries 0, 2, 3, 4, 5, newest first */
    TH_EQ_INT(vg_store_flood_quarantines(st, 0, 0, &q, &err), VG_OK);
    TH_EQ_INT(q ? q->n : 0, 5);
    if (q && q->n == 5) {
        TH_EQ_INT(q->v[0].entry_id, ids[5]);
        TH_EQ_INT(q->v[4].entry_id, ids[0]);
        TH_CHECK(q->v[4].list && !strcmp(q->v[4].list, "known"));
        TH_CHECK(q->v[4].algo == VG_ALGO_PDQ);
        TH_CHECK(q->v[4].value && strlen(q->v[4].value) == 64);
        TH_EQ_INT(q->v[4].released_at, 0);
    }
    vg_flood_quarantines_free(q);
    TH_EQ_INT(vg_flood_release(st, 7, ids[0], &err), VG_OK);
    TH_EQ_INT(vg_flood_release(st, 7, ids[0], &err), VG_ENOENT);
    TH_EQ_INT(vg_flood_release(st, 7, ids[1], &err), VG_ENOENT);
    TH_EQ_INT(vg_matcher_sync(m, NULL, &err), VG_OK);
    TH_EQ_INT(matches(m, 0), 1);
    TH_EQ_INT(count("SELECT count(*) FROM audit_log WHERE object_id = %lld"
                    " AND action = 'entry.release' AND user_id = 7",
                    0),
              1);
    TH_EQ_INT(count("SELECT released_by FROM flood_quarantines WHERE"
                    " entry_id = %lld",
                    0),
              7);
    /* still over the threshold this hour, but released: left alone */
    opts(&o, 600000, 600000);
    TH_EQ_INT(vg_flood_start(st, &o, &f), VG_OK);
    note(f, 0, 100, 5000, 1);
    TH_EQ_INT(vg_flood_tick(f, &n, &err), VG_OK);
    TH_EQ_INT(n, 0);
    TH_EQ_INT(count(ACTIVE, 0), 0);
    vg_flood_stop(f);
    /* the JSON: four in force, the released one with all */
    TH_EQ_INT(vg_flood_quarantines_json(st, 0, 0, &json, &err), VG_OK);
    snprintf(want, sizeof(want), "\"entry\":%lld,", (long long)ids[0]);
    TH_CHECK(json && !strstr(json, want));
    snprintf(want, sizeof(want), "\"entry\":%lld,", (long long)ids[4]);
    TH_CHECK(json && strstr(json, want));
    TH_CHECK(json && strstr(json, "\"list\":\"known\""));
    TH_CHECK(json && strstr(json, "\"reason\":\"media\""));
    TH_CHECK(json && strstr(json, "\"baseline_mean\":10.000"));
    TH_CHECK(json && strstr(json, "\"released_by\":null}"));
    vg_free(json);
    TH_EQ_INT(vg_flood_quarantines_json(st, 1, 0, &json, &err), VG_OK);
    TH_CHECK(json && strstr(json, "\"released_by\":7}"));
    vg_free(json);
    vg_matcher_free(m);
    vg_store_close(st);
}

/* Notes from four threads at once, of 1,000 entries (not in any list),
 * all counted: every match and every distinct media. */
#define NOTERS 4
#define NOTES 100000

struct noter {
    struct vg_flood *f;
    int t;
};

static void *noter(void *arg)
{
    const struct noter *n = arg;
    uint8_t key[32];

    memset(key, 0, sizeof(key));
    for (int k = 0; k < NOTES; k++) {
        int v = n->t * NOTES + k + 1;
        memcpy(key, &v, sizeof(v));
        vg_flood_note(n->f, 1000000 + k % 1000, key);
    }
    return NULL;
}

static void test_threads(void)
{
    struct noter args[NOTERS];
    pthread_t th[NOTERS];
    struct vg_store *st = NULL;
    struct vg_flood *f = NULL;
    struct vg_flood_opts o;
    struct vg_err err = {0};
    int64_t t0;

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    opts(&o, 50, 600000); /* flushes race with the notes */
    TH_EQ_INT(vg_flood_start(st, &o, &f), VG_OK);
    t0 = now_ms();
    for (int t = 0; t < NOTERS; t++) {
        args[t] = (struct noter){f, t};
        pthread_create(&th[t], NULL, noter, &args[t]);
    }
    for (int t = 0; t < NOTERS; t++)
        pthread_join(th[t], NULL);
    printf("  %d notes on %d threads in %lld ms\n", NOTERS * NOTES, NOTERS,
           (long long)(now_ms() - t0));
    vg_flood_stop(f);
    TH_EQ_INT(th_db_int(db, "SELECT sum(matches) FROM flood_counts"
                            " WHERE entry_id >= 1000000"),
              NOTERS * NOTES);
    TH_EQ_INT(th_db_int(db, "SELECT sum(media) FROM flood_counts"
                            " WHERE entry_id >= 1000000"),
              NOTERS * NOTES);
    TH_EQ_INT(th_db_int(db, "SELECT count(*) FROM flood_counts"
                            " WHERE entry_id >= 1000000"),
              1000);
    vg_store_close(st);
}

/* A tick forgets counts older than the baseline needs. */
static void test_prune(void)
{
    struct vg_flood_count c = {ids[7], at / 3600 - 169, 3, 3};
    struct vg_store *st = NULL;
    struct vg_flood *f = NULL;
    struct vg_flood_opts o;
    struct vg_err err = {0};

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_flood_add(st, &c, 1, &err), VG_OK);
    c.hour++;
    TH_EQ_INT(vg_store_flood_add(st, &c, 1, &err), VG_OK);
    opts(&o, 600000, 600000);
    TH_EQ_INT(vg_flood_start(st, &o, &f), VG_OK);
    TH_EQ_INT(vg_flood_tick(f, NULL, &err), VG_OK);
    vg_flood_stop(f);
    TH_EQ_INT(count("SELECT count(*) FROM flood_counts WHERE entry_id = %lld",
                    7),
              1);
    vg_store_close(st);
}

int main(void)
{
    char cmd[300];

    if (!mkdtemp(dir))
        return 1;
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "flood.db"), 0);
    at = (int64_t)time(NULL) / 3600 * 3600 + 1800;
    TH_RUN(test_burst);
    TH_RUN(test_baseline);
    TH_RUN(test_media);
    TH_RUN(test_two_nodes);
    TH_RUN(test_release);
    TH_RUN(test_prune);
    TH_RUN(test_threads);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    th_run(cmd);
    return th_done();
}
