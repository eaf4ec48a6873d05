/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store on SQLite: migrations from empty and from every earlier
 * version (data kept), refusal of a newer schema and of a non-database,
 * concurrent first opens, lists, imports (commit, abort, counts) and
 * entries, reports, API keys remembered (and revoked), allocation
 * failures while opening, the callback rule of store.h (a store call
 * from a callback is refused, not deadlocked), a new password ending the
 * user's sessions, files only their owner can read (0600, folder 0700;
 * a store others can read refused with the chmod that fixes it), and the
 * audit log: refused UPDATE and DELETE, a cut end shown by the kept head,
 * deletions and edits rechained without the key shown by the MACs, a
 * swapped key, a store without its key.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"

static char dir[] = "/tmp/vigil-test-store-XXXXXX";

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* 1 when the tests run on PostgreSQL ($VIGIL_TEST_PG, th_db.h) */
static int pg;

/* The store a test calls name (th_db_url). */
static void db_of(char *buf, size_t n, const char *name)
{
    TH_EQ_INT(th_db_url(buf, n, dir, name), 0);
}

static int count_rows(const char *db, const char *sql)
{
    return (int)th_db_int(db, sql);
}

/* How many of the tables and indexes named in names (an SQL list) the
 * database has. */
static int objects(const char *db, const char *names)
{
    char sql[600];

    snprintf(sql, sizeof(sql),
             pg ? "SELECT COUNT(*) FROM pg_class WHERE relname IN (%s)"
                : "SELECT COUNT(*) FROM sqlite_master WHERE name IN (%s)",
             names);
    return count_rows(db, sql);
}

static struct vg_list list_spec(const char *name)
{
    struct vg_list l;

    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "%s", name);
    snprintf(l.category, sizeof(l.category), "csam");
    l.pdq_distance = 31;
    l.enabled = 1;
    return l;
}

static int import_n(struct vg_store *st, int64_t list, int n, int seed,
                    int commit, int64_t *added, int64_t *present)
{
    struct vg_store_import *im = NULL;
    struct vg_list_entry e;
    struct vg_err err = {0};
    int rc = vg_store_import_begin(st, 0, list, "test.txt", "lines", NULL, &im,
                                   &err);

    for (int i = 0; !rc && i < n; i++) {
        memset(&e, 0, sizeof(e));
        e.algo = i % 2 ? VG_ALGO_PDQ : VG_ALGO_MD5;
        e.value[0] = (uint8_t)seed;
        e.value[1] = (uint8_t)(i >> 8);
        e.value[2] = (uint8_t)i;
        e.quality = e.algo == VG_ALGO_PDQ ? 90 : -1;
        e.metadata = i == 7 ? "seven" : NULL;
        rc = vg_store_import_add(im, &e, &err);
    }
    if (rc || !commit) {
        vg_store_import_abort(im);
        return rc;
    }
    return vg_store_import_commit(im, n, added, present, &err);
}

static void test_fresh(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int v = 0;

    db_of(db, sizeof(db), "sub/dir/fresh.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_schema_version(st, &v, &err), VG_OK);
    TH_EQ_INT(v, vg_store_schema_latest());
    TH_CHECK(v >= 2);
    vg_store_close(st);
    /* every table of the schema is there */
    TH_EQ_INT(objects(db, "'hash_lists', 'list_entries', 'list_imports',"
                          " 'reports', 'urls', 'frontier', 'media',"
                          " 'sightings', 'detections', 'providers',"
                          " 'notices', 'rechecks', 'users', 'sessions',"
                          " 'api_keys', 'audit_log', 'cases'"),
              17);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM schema_migrations"), v);
    /* opening again changes nothing */
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM schema_migrations"), v);
}

static void test_from_each_version(void)
{
    for (int from = 1; from < vg_store_schema_latest(); from++) {
        char db[256], name[32];
        struct vg_store_opts o = {from};
        struct vg_store *st = NULL;
        struct vg_err err = {0};
        struct vg_list l = list_spec("old"), got;
        int64_t id = 0, added = 0;
        int v = 0;

        snprintf(name, sizeof(name), "from%d.db", from);
        db_of(db, sizeof(db), name);
        TH_EQ_INT(vg_store_open(db, &o, &st, &err), VG_OK);
        TH_EQ_INT(vg_store_schema_version(st, &v, &err), VG_OK);
        TH_EQ_INT(v, from);
        TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, &err), VG_OK);
        TH_EQ_INT(import_n(st, id, 100, 1, 1, &added, NULL), VG_OK);
        vg_store_close(st);
        /* what the next migrations create is not there yet: one object
           each of migrations 2 to 8 and 10 (9 adds a column) */
        TH_EQ_INT(objects(db, "'reports', 'frontier_lease',"
                              " 'media_review_queue', 'sightings_page',"
                              " 'cases_url_open', 'rdap_cache',"
                              " 'media_hashes', 'audit_keyed'"),
                  from <= 8   ? from - 1
                  : from == 9 ? 7
                              : 8);
        /* a normal open migrates the rest and keeps the data */
        TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
        TH_EQ_INT(vg_store_schema_version(st, &v, &err), VG_OK);
        TH_EQ_INT(v, vg_store_schema_latest());
        TH_EQ_INT(vg_store_list_get(st, "old", &got, &err), VG_OK);
        TH_EQ_INT(got.entries, 100);
        TH_EQ_INT(got.imports, 1);
        vg_store_close(st);
    }
}

/*
 * Media hashes move from media's columns to media_hashes: from every
 * schema that has media, a media with PDQ and one without, a list entry
 * and a detection of it; after the migration every value is a row of
 * media_hashes, media has no hash column but its SHA-256, the detection
 * still names its entry, and list_entries takes any algorithm name.
 */
static void test_media_hashes_from_each_version(void)
{
    static const char *const fill =
        "INSERT INTO hash_lists (name, category, created_at) VALUES"
        " ('l', 'c', 1);"
        "INSERT INTO list_entries (list_id, algo, value, added_at) VALUES"
        " (1, 'md5', zeroblob(16), 1);"
        "INSERT INTO media (sha256, md5, sha1, pdq, pdq_quality,"
        " first_seen_at) VALUES (randomblob(32), x'11', x'22', x'33', 77, 1);"
        "INSERT INTO media (sha256, md5, sha1, first_seen_at) VALUES"
        " (randomblob(32), x'44', x'55', 2);"
        "INSERT INTO urls (url, host, first_seen_at) VALUES"
        " ('http://e.example/a', 'e.example', 1);"
        "INSERT INTO sightings (media_id, url_id, seen_at) VALUES (1, 1, 1);"
        "INSERT INTO detections (sighting_id, media_id, entry_id, list_id,"
        " algo, distance, detected_at) VALUES (1, 1, 1, 1, 'md5', 0, 1);";

    /* the schemas with media and before media_hashes (migration 8) */
    for (int from = 2; from < 8; from++) {
        char db[256], name[32];
        struct vg_store_opts o = {from};
        struct vg_store *st = NULL;
        struct vg_err err = {0};
        sqlite3 *h = NULL;

        snprintf(name, sizeof(name), "hashes%d.db", from);
        db_of(db, sizeof(db), name);
        TH_EQ_INT(vg_store_open(db, &o, &st, &err), VG_OK);
        vg_store_close(st);
        TH_EQ_INT(sqlite3_open(db, &h), SQLITE_OK);
        TH_EQ_INT(sqlite3_exec(h, fill, NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(h);
        TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
        vg_store_close(st);
        TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media_hashes"), 7);
        TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media_hashes WHERE"
                                 " media_id = 1 AND algo = 'pdq' AND value ="
                                 " x'33' AND quality = 77"),
                  1);
        TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media_hashes h JOIN"
                                 " media m ON m.id = h.media_id WHERE"
                                 " h.algo = 'sha256' AND h.value = m.sha256"),
                  2);
        TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media_hashes WHERE"
                                 " (media_id, algo, value) IN (VALUES"
                                 " (1, 'md5', x'11'), (1, 'sha1', x'22'),"
                                 " (2, 'md5', x'44'), (2, 'sha1', x'55'))"),
                  4);
        TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM pragma_table_info("
                                 "'media') WHERE name IN ('md5', 'sha1',"
                                 " 'pdq', 'pdq_quality')"),
                  0);
        TH_EQ_INT(count_rows(db, "SELECT entry_id FROM detections"), 1);
        TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_entries"), 1);
        TH_EQ_INT(sqlite3_open(db, &h), SQLITE_OK);
        TH_EQ_INT(sqlite3_exec(h,
                               "PRAGMA foreign_keys=ON;"
                               "INSERT INTO list_entries (list_id, algo,"
                               " value, added_at) VALUES (1, 'future',"
                               " x'01', 1)",
                               NULL, NULL, NULL),
                  SQLITE_OK);
        TH_EQ_INT(sqlite3_exec(h, "PRAGMA integrity_check", NULL, NULL, NULL),
                  SQLITE_OK);
        sqlite3_close(h);
        TH_EQ_INT(count_rows(db, "PRAGMA foreign_key_check"), -1);
    }
}

static void test_newer_refused(void)
{
    char db[256], sql[160];
    struct vg_store *st = NULL;
    struct vg_err err = {0};

    db_of(db, sizeof(db), "newer.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    vg_store_close(st);
    snprintf(sql, sizeof(sql),
             "INSERT INTO schema_migrations VALUES (%d, 'future', 0)",
             vg_store_schema_latest() + 1);
    TH_EQ_INT(th_db_exec(db, sql), 1);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_EVERSION);
    TH_CHECK(strstr(err.msg, "upgrade vigil") != NULL);
    TH_CHECK(st == NULL);
}

static void test_not_a_database(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    FILE *f;

    path_of(db, sizeof(db), "text.db");
    f = fopen(db, "w");
    TH_CHECK(f != NULL);
    for (int i = 0; f && i < 200; i++)
        fputs("this is not a database, just some text\n", f);
    if (f)
        fclose(f);
    TH_EQ_INT(chmod(db, 0600), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_ECORRUPT);
    TH_CHECK(strstr(err.msg, "not a Vigil database") != NULL);
    /* a server that is not there: the error names it, not its password */
    TH_EQ_INT(vg_store_open("postgresql://u:secret@127.0.0.1:1/y", NULL, &st,
                            &err),
              VG_EIO);
    TH_CHECK(strstr(err.msg, "127.0.0.1") != NULL);
    TH_CHECK(strstr(err.msg, "secret") == NULL);
    TH_EQ_INT(vg_store_open("", NULL, &st, &err), VG_EINVAL);
}

static void *open_close(void *arg)
{
    struct vg_store *st = NULL;
    intptr_t rc = vg_store_open(arg, NULL, &st, NULL);

    vg_store_close(st);
    return (void *)rc;
}

static void test_concurrent_first_open(void)
{
    char db[256];
    pthread_t t[4];
    void *rc;

    db_of(db, sizeof(db), "race.db");
    for (int i = 0; i < 4; i++)
        TH_EQ_INT(pthread_create(&t[i], NULL, open_close, db), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], &rc);
        TH_EQ_INT((intptr_t)rc, VG_OK);
    }
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM schema_migrations"),
              vg_store_schema_latest());
}

static int count_cb(void *ctx, const struct vg_list_entry *e)
{
    int *n = ctx;

    (*n)++;
    if (e->metadata)
        TH_EQ_STR(e->metadata, "seven");
    return VG_OK;
}

static void test_lists_and_imports(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_list l = list_spec("known"), got;
    int64_t id = 0, id2 = 0, added = 0, present = 0, eid = 0, n64 = 0;
    uint8_t v[32] = {3, 0, 7};
    int n = 0;

    db_of(db, sizeof(db), "lists.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, &err), VG_OK);
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id2, &err), VG_EEXIST);
    l = list_spec("bad name");
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id2, &err), VG_EINVAL);
    l = list_spec("other");
    l.pdq_distance = 257;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id2, &err), VG_EINVAL);
    l.pdq_distance = 10;
    l.kind = VG_LIST_ALLOW;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id2, &err), VG_OK);
    TH_EQ_INT(vg_store_list_get(st, "other", &got, &err), VG_OK);
    TH_EQ_INT(got.kind, VG_LIST_ALLOW);
    TH_EQ_INT(got.pdq_distance, 10);
    TH_EQ_INT(vg_store_list_get(st, "nope", &got, &err), VG_ENOENT);

    /* an aborted import leaves nothing; a committed one counts */
    TH_EQ_INT(import_n(st, id, 300, 3, 0, NULL, NULL), VG_OK);
    TH_EQ_INT(vg_store_entries_count(st, id, 0, &n64, &err), VG_OK);
    TH_EQ_INT(n64, 0);
    TH_EQ_INT(import_n(st, id, 300, 3, 1, &added, &present), VG_OK);
    TH_EQ_INT(added, 300);
    TH_EQ_INT(present, 0);
    TH_EQ_INT(import_n(st, id, 310, 3, 1, &added, &present), VG_OK);
    TH_EQ_INT(added, 10);
    TH_EQ_INT(present, 300);
    TH_EQ_INT(import_n(st, 9999, 1, 3, 1, NULL, NULL), VG_ENOENT);
    TH_EQ_INT(vg_store_list_get(st, "known", &got, &err), VG_OK);
    TH_EQ_INT(got.entries, 310);
    TH_EQ_INT(got.imports, 2);

    /* entries: find, quarantine, walks with flags */
    TH_EQ_INT(vg_store_entry_find(st, id, VG_ALGO_PDQ, v, &eid, &err), VG_OK);
    TH_EQ_INT(vg_store_entry_enable(st, 0, id, eid, 0, &err), VG_OK);
    TH_EQ_INT(vg_store_entry_enable(st, 0, id, 1 << 30, 0, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_entries(st, id, VG_ENTRIES_ENABLED_ONLY, count_cb, &n,
                               &err),
              VG_OK);
    TH_EQ_INT(n, 309);
    TH_EQ_INT(vg_store_list_set_enabled(st, 0, id, 0, &err), VG_OK);
    TH_EQ_INT(vg_store_entries_count(st, 0, VG_ENTRIES_ACTIVE_LISTS, &n64,
                                     &err),
              VG_OK);
    TH_EQ_INT(n64, 0);
    TH_EQ_INT(vg_store_entries_count(st, 0, 0, &n64, &err), VG_OK);
    TH_EQ_INT(n64, 310);

    /* deleting a list takes its entries and history */
    TH_EQ_INT(vg_store_list_delete(st, 0, id, &err), VG_OK);
    TH_EQ_INT(vg_store_list_delete(st, 0, id, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_entries_count(st, 0, 0, &n64, &err), VG_OK);
    TH_EQ_INT(n64, 0);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_imports"), 0);
}

struct lease_log {
    int64_t ids[16];
    char urls[16][64];
    int prio[16], depth[16];
    size_t n;
};

static int log_lease(void *ctx, const struct vg_frontier_lease *l)
{
    struct lease_log *g = ctx;

    if (g->n < 16) {
        g->ids[g->n] = l->url_id;
        snprintf(g->urls[g->n], sizeof(g->urls[0]), "%s", l->url);
        g->prio[g->n] = l->priority;
        g->depth[g->n++] = l->depth;
    }
    return VG_OK;
}

/* Finish one leased URL (ok or failed) in a commit of its own. */
static int finish(struct vg_store *st, int64_t crawl, int64_t url_id, int ok,
                  struct vg_err *err)
{
    struct vg_frontier_done d = {url_id, ok, ok ? 200 : 0,
                                 ok ? NULL : "refused"};
    struct vg_crawl_batch b = {.done = &d, .ndone = 1};

    return vg_store_crawl_commit(st, crawl, &b, NULL, err);
}

static void test_frontier(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_frontier_counts c;
    struct lease_log g = {0};
    int64_t crawl = 0, other = 0, requeued = 0;
    size_t added = 0, n = 0;
    const struct vg_frontier_url seeds[] = {
        {"https://a.example/deep", "a.example", 1, 3, 0, VG_FRONTIER_PAGE, 0,
         0},
        {"https://a.example/", "a.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 0},
        {"https://b.example/x", "b.example", 1, 1, 0, VG_FRONTIER_MEDIA, 1, 0},
        {"https://a.example/", "a.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 0},
    };

    db_of(db, sizeof(db), "frontier.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_crawl_new(st, "{\"max_depth\":3}", &crawl, &err),
              VG_OK);
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &other, &err), VG_OK);
    TH_CHECK(other != crawl);
    TH_EQ_INT(vg_store_frontier_add(st, crawl, seeds, 4, &added, &err), VG_OK);
    TH_EQ_INT(added, 3);
    /* the same URL in another crawl is that crawl's own entry, one URL row */
    TH_EQ_INT(vg_store_frontier_add(st, other, seeds, 1, &added, &err), VG_OK);
    TH_EQ_INT(added, 1);
    /* priority first, then depth */
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 2, 0, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 2);
    TH_EQ_STR(g.urls[0], "https://a.example/");
    TH_EQ_STR(g.urls[1], "https://b.example/x");
    TH_EQ_INT(finish(st, crawl, g.ids[0], 1, &err), VG_OK);
    TH_EQ_INT(finish(st, crawl, g.ids[0], 1, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_frontier_counts(st, crawl, &c, &err), VG_OK);
    TH_EQ_INT(c.queued, 1);
    TH_EQ_INT(c.leased, 1);
    TH_EQ_INT(c.done, 1);
    /* a kill -9 now: the store survives with one URL leased */
    vg_store_close(st);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_crawl_reopen(st, crawl, &requeued, &err), VG_OK);
    TH_EQ_INT(requeued, 1);
    /* re-adding a finished URL does not bring it back */
    TH_EQ_INT(vg_store_frontier_add(st, crawl, seeds + 1, 1, &added, &err),
              VG_OK);
    TH_EQ_INT(added, 0);
    g.n = 0;
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 10, 0, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 2);
    TH_EQ_STR(g.urls[0], "https://b.example/x");
    TH_EQ_STR(g.urls[1], "https://a.example/deep");
    TH_EQ_INT(finish(st, crawl, g.ids[1], 0, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_counts(st, crawl, &c, &err), VG_OK);
    TH_EQ_INT(c.queued + c.leased + c.done + c.failed, 3);
    TH_EQ_INT(c.failed, 1);
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 10, 0, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 0);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM urls"), 3);
}

/* Within a priority and depth, media before pages, whatever host_seq. */
static void test_frontier_media_first(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct lease_log g = {0};
    int64_t crawl = 0;
    size_t n = 0;
    const struct vg_frontier_url v[] = {
        {"https://a.example/2", "a.example", 1, 2, 0, VG_FRONTIER_PAGE, 0, 1},
        {"https://a.example/1", "a.example", 1, 1, 0, VG_FRONTIER_PAGE, 0, 2},
        {"https://a.example/1.png", "a.example", 1, 1, 0, VG_FRONTIER_MEDIA, 0,
         9},
        {"https://b.example/1.png", "b.example", 1, 1, 0, VG_FRONTIER_MEDIA, 0,
         3},
        {"https://a.example/0", "a.example", 0, 3, 0, VG_FRONTIER_PAGE, 0, 0},
    };

    db_of(db, sizeof(db), "media_first.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_add(st, crawl, v, 5, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 10, 0, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 5);
    TH_EQ_STR(g.urls[0], "https://a.example/0");     /* priority 0 */
    TH_EQ_STR(g.urls[1], "https://b.example/1.png"); /* media, host_seq 3 */
    TH_EQ_STR(g.urls[2], "https://a.example/1.png"); /* media, host_seq 9 */
    TH_EQ_STR(g.urls[3], "https://a.example/1");     /* the page */
    TH_EQ_STR(g.urls[4], "https://a.example/2");     /* deeper */
    vg_store_close(st);
}

struct det_log {
    struct vg_detection_info d; /* numbers only: strings are gone */
    uint8_t sha0, md50, pdq0;
    char url[64], headers[64];
    int n;
};

/* Within a depth, leases go round the hosts: a busy host's URLs do not
 * come all before another host's first. */
static void test_lease_round_robin(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct lease_log g = {0};
    int64_t crawl = 0;
    size_t n = 0;
    const struct vg_frontier_url v[] = {
        {"http://a.example/1", "a.example", 0, 1, 0, VG_FRONTIER_PAGE, 0, 1},
        {"http://a.example/2", "a.example", 0, 1, 0, VG_FRONTIER_PAGE, 0, 2},
        {"http://a.example/3", "a.example", 0, 1, 0, VG_FRONTIER_PAGE, 0, 3},
        {"http://b.example/1", "b.example", 0, 1, 0, VG_FRONTIER_PAGE, 0, 1},
        {"http://c.example/1", "c.example", 0, 1, 0, VG_FRONTIER_PAGE, 0, 1},
        {"http://c.example/2", "c.example", 0, 1, 0, VG_FRONTIER_PAGE, 0, 2},
        {"http://a.example/0", "a.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 4},
    };

    db_of(db, sizeof(db), "roundrobin.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_add(st, crawl, v, 7, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 7, 0, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 7);
    TH_EQ_STR(g.urls[0], "http://a.example/0"); /* shallowest first */
    TH_EQ_STR(g.urls[1], "http://a.example/1");
    TH_EQ_STR(g.urls[2], "http://b.example/1");
    TH_EQ_STR(g.urls[3], "http://c.example/1");
    TH_EQ_STR(g.urls[4], "http://a.example/2");
    TH_EQ_STR(g.urls[5], "http://c.example/2");
    TH_EQ_STR(g.urls[6], "http://a.example/3");
    vg_store_close(st);
}

static int log_detection(void *ctx, const struct vg_detection_info *d)
{
    struct det_log *out = ctx;

    if (!out->n++) {
        out->d = *d;
        out->sha0 = d->sha256[0];
        out->md50 = d->md5[0];
        out->pdq0 = d->pdq ? d->pdq[0] : 0;
        snprintf(out->url, sizeof(out->url), "%s", d->url);
        snprintf(out->headers, sizeof(out->headers), "%s",
                 d->headers_json ? d->headers_json : "");
    }
    return VG_OK;
}

static int last_crawl(void *ctx, const struct vg_crawl_info *c)
{
    *(struct vg_crawl_info *)ctx = *c;
    ((struct vg_crawl_info *)ctx)->status = NULL;
    ((struct vg_crawl_info *)ctx)->params = NULL;
    return VG_OK;
}

/* What a crawl found: committed with the finishing of its URLs, or not at
 * all; shared media rows; detections with evidence; crawl summaries. */
static void test_crawl_commit(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_list l = list_spec("known");
    struct lease_log g = {0};
    struct vg_crawl_info ci;
    struct det_log dl;
    int64_t list = 0, crawl = 0, added = 0, entry = 0;
    size_t n = 0, nadd = 0;
    uint8_t sha[32] = {1, 2, 3}, md5[16] = {4}, sha1[20] = {5}, pdq[32] = {6};
    const struct vg_frontier_url seeds[] = {
        {"http://a.example/", "a.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 0},
    };
    const struct vg_frontier_url found[] = {
        {"http://a.example/x.jpg", "a.example", 0, 1, 0, VG_FRONTIER_MEDIA, 0,
         1},
        {"http://cdn.example/y.jpg", "cdn.example", 0, 1, 0, VG_FRONTIER_MEDIA,
         0, 1},
    };

    db_of(db, sizeof(db), "commit.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &list, &err), VG_OK);
    TH_EQ_INT(import_n(st, list, 2, 9, 1, &added, NULL), VG_OK);
    entry = count_rows(db, "SELECT MIN(id) FROM list_entries");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_add(st, crawl, seeds, 1, &nadd, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 10, 0, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 1);
    {
        /* the page is done and its two images are found */
        struct vg_frontier_done d = {g.ids[0], 1, 200, NULL};
        struct vg_crawl_batch b = {&d, 1, found, 2, NULL, 0};
        TH_EQ_INT(vg_store_crawl_commit(st, crawl, &b, &nadd, &err), VG_OK);
        TH_EQ_INT(nadd, 2);
        /* finishing it twice fails, and takes nothing else with it */
        TH_EQ_INT(vg_store_crawl_commit(st, crawl, &b, &nadd, &err),
                  VG_ENOENT);
    }
    g.n = 0;
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 10, 1, time(NULL), log_lease,
                                      &g, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 2);
    {
        /* the same bytes at both URLs: one media row, two sightings, one
           of them matched */
        struct vg_detection_rec det = {entry, "md5", 0, NULL};
        struct vg_sighting_rec s[2] = {
            {g.ids[0], 0,           1764400000,
             200,      "192.0.2.1", "{\"server\":\"x\"}",
             sha,      md5,         sha1,
             pdq,      90,          "jpeg",
             640,      480,         1234,
             &det,     1,           NULL,
             0,        NULL,        0},
            {g.ids[1], 0,    1764400001, 200,  NULL,   NULL, sha,
             md5,      sha1, NULL,       0,    "jpeg", 640,  480,
             1234,     NULL, 0,          NULL, 0,      NULL, 0},
        };
        struct vg_frontier_done d[2] = {{g.ids[0], 1, 200, NULL},
                                        {g.ids[1], 1, 200, NULL}};
        struct vg_crawl_batch b = {d, 2, NULL, 0, s, 2};
        TH_EQ_INT(vg_store_crawl_commit(st, crawl, &b, NULL, &err), VG_OK);
    }
    memset(&dl, 0, sizeof(dl));
    TH_EQ_INT(vg_store_detections(st, crawl, log_detection, &dl, &err), VG_OK);
    TH_EQ_INT(dl.n, 1);
    TH_EQ_INT(dl.d.entry_id, entry);
    TH_EQ_INT(dl.d.list_id, list);
    TH_EQ_INT(dl.d.fetched_at, 1764400000);
    TH_EQ_INT(dl.d.http_status, 200);
    TH_EQ_INT(dl.d.width, 640);
    TH_EQ_INT(dl.pdq0, 6);
    TH_EQ_INT(dl.sha0, 1);
    TH_EQ_INT(dl.md50, 4);
    TH_EQ_STR(dl.url, "http://a.example/x.jpg");
    TH_EQ_STR(dl.headers, "{\"server\":\"x\"}");
    TH_EQ_INT(vg_store_crawl_end(st, crawl, "finished", &err), VG_OK);
    TH_EQ_INT(vg_store_crawls(st, crawl, last_crawl, &ci, &err), VG_OK);
    TH_EQ_INT(ci.sightings, 2);
    TH_EQ_INT(ci.detections, 1);
    TH_EQ_INT(ci.urls.done, 3);
    TH_EQ_INT(ci.urls.media, 2);
    TH_CHECK(ci.finished_at > 0);
    TH_EQ_INT(vg_store_crawls(st, crawl + 1, last_crawl, &ci, &err),
              VG_ENOENT);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media"), 1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM sightings"), 2);
}

static int ref_ok(const char *r)
{
    static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    if (strlen(r) != VG_REFERENCE_LEN || r[4] != '-' || r[9] != '-')
        return 0;
    for (int i = 0; i < VG_REFERENCE_LEN; i++)
        if (i != 4 && i != 9 && !strchr(digits, r[i]))
            return 0;
    return 1;
}

/* Reports in one batch: fresh references, idempotent partner retries,
 * URLs as first-priority seeds of the standing crawl, contact sealed. */
static void test_reports(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const uint8_t sealed[] = {1, 2, 3, 4};
    const struct vg_frontier_url urls[] = {
        {"https://a.example/x", "a.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 0},
        {"https://b.example/", "b.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 0},
    };
    struct vg_report_rec v[3] = {
        {"web", "fr", "luring", "2026-11-28 21:00", "desc <b>", "{}", sealed,
         sizeof(sealed), 1, 0, NULL, urls, 2},
        {"web", "en", "csam", NULL, "", NULL, NULL, 0, 0, 0, NULL, NULL, 0},
        {"api", "en", "csam", NULL, "from a partner", "{\"a\":1}", NULL, 0, 0,
         7, "key-1", urls + 1, 1},
    };
    struct vg_report_ack acks[3], again;
    int64_t crawl = 0, crawl2 = 0;

    db_of(db, sizeof(db), "reports.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_reports_add(st, v, 3, acks, &err), VG_OK);
    for (int i = 0; i < 3; i++) {
        TH_CHECK(ref_ok(acks[i].reference));
        TH_CHECK(acks[i].id > 0);
        TH_EQ_INT(acks[i].duplicate, 0);
    }
    TH_CHECK(strcmp(acks[0].reference, acks[1].reference) != 0);
    /* a partner's retry with the same key: the first report, not a new one */
    TH_EQ_INT(vg_store_reports_add(st, v + 2, 1, &again, &err), VG_OK);
    TH_EQ_INT(again.duplicate, 1);
    TH_EQ_INT(again.id, acks[2].id);
    TH_EQ_STR(again.reference, acks[2].reference);
    TH_EQ_INT(vg_store_reports_crawl(st, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_reports_crawl(st, &crawl2, &err), VG_OK);
    TH_EQ_INT(crawl, crawl2);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM reports"), 3);
    TH_EQ_INT(
        count_rows(db, "SELECT priority FROM reports WHERE named_child <> 0"),
        0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM report_urls"), 3);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM frontier WHERE priority = 0"
                             " AND depth = 0 AND state = 'queued'"),
              2);
    TH_EQ_INT(count_rows(db, "SELECT length(reporter_contact) FROM reports"
                             " WHERE language = 'fr'"),
              4);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM crawls"), 1);
}

static int key_id(void *ctx, const struct vg_apikey *k)
{
    *(int64_t *)ctx = k->id;
    return VG_OK;
}

static int64_t ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* API keys found are remembered for a second: a key revoked by another
 * connection (another process) is refused within that second, one revoked
 * through the same store at once; an unknown key is not remembered. */
static void test_apikey_cache(void)
{
    char db[256];
    struct vg_store *srv = NULL, *cli = NULL;
    struct vg_err err = {0};
    uint8_t h1[32], h2[32], h3[32];
    int64_t id1 = 0, id2 = 0, id3 = 0, got = 0, t0, waited;
    int rc;

    memset(h1, 1, sizeof(h1));
    memset(h2, 2, sizeof(h2));
    memset(h3, 3, sizeof(h3));
    h3[0] = 1; /* the same slot as h1: both must still be told apart */
    db_of(db, sizeof(db), "keys.db");
    TH_EQ_INT(vg_store_open(db, NULL, &srv, &err), VG_OK);
    TH_EQ_INT(vg_store_open(db, NULL, &cli, &err), VG_OK);
    TH_EQ_INT(vg_store_apikey_add(cli, 0, &(struct vg_apikey){.name = "a"}, h1,
                                  &id1, &err),
              VG_OK);
    TH_EQ_INT(vg_store_apikey_add(cli, 0, &(struct vg_apikey){.name = "b"}, h2,
                                  &id2, &err),
              VG_OK);
    TH_EQ_INT(vg_store_apikey_find(srv, h1, key_id, &got, &err), VG_OK);
    TH_EQ_INT(got, id1);
    TH_EQ_INT(vg_store_apikey_find(srv, h3, key_id, &got, &err), VG_ENOENT);
    /* unknown a moment ago, added elsewhere: found at once */
    TH_EQ_INT(vg_store_apikey_add(cli, 0, &(struct vg_apikey){.name = "c"}, h3,
                                  &id3, &err),
              VG_OK);
    TH_EQ_INT(vg_store_apikey_find(srv, h3, key_id, &got, &err), VG_OK);
    TH_EQ_INT(got, id3);
    TH_EQ_INT(vg_store_apikey_find(srv, h1, key_id, &got, &err), VG_OK);
    TH_EQ_INT(got, id1);

    /* revoked by another connection: refused within a second */
    TH_EQ_INT(vg_store_apikey_find(srv, h2, key_id, &got, &err), VG_OK);
    TH_EQ_INT(vg_store_apikey_revoke(cli, 0, id2, &err), VG_OK);
    /* from the commit on: the revocation itself may wait for the disk */
    t0 = ms_now();
    while ((rc = vg_store_apikey_find(srv, h2, key_id, &got, &err)) == VG_OK &&
           ms_now() - t0 < 3000)
        nanosleep(&(struct timespec){0, 20000000}, NULL);
    waited = ms_now() - t0;
    TH_EQ_INT(rc, VG_ENOENT);
    TH_CHECK(waited <= 1000 + 250); /* a second, and a busy machine's slack */

    /* revoked through the same store: refused at once */
    TH_EQ_INT(vg_store_apikey_find(srv, h1, key_id, &got, &err), VG_OK);
    TH_EQ_INT(vg_store_apikey_revoke(srv, 0, id1, &err), VG_OK);
    TH_EQ_INT(vg_store_apikey_find(srv, h1, key_id, &got, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_apikey_find(cli, h1, key_id, &got, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_apikey_find(srv, h3, key_id, &got, &err), VG_OK);
    TH_EQ_INT(got, id3);
    vg_store_close(cli);
    vg_store_close(srv);
}

struct finder {
    struct vg_store *st;
    const uint8_t *hash;
    int *revoked; /* set (under fmu) once the revoke has returned */
    int late_ok;  /* finds begun after that which still found the key */
};

static pthread_mutex_t fmu = PTHREAD_MUTEX_INITIALIZER;

static void *finder_main(void *arg)
{
    struct finder *f = arg;

    for (int i = 0; i < 2000; i++) {
        int64_t got = 0;
        int after, rc;
        pthread_mutex_lock(&fmu);
        after = *f->revoked;
        pthread_mutex_unlock(&fmu);
        rc = vg_store_apikey_find(f->st, f->hash, key_id, &got, NULL);
        if (after && rc == VG_OK)
            f->late_ok++;
    }
    return NULL;
}

/* Finds on several threads while the key is revoked through the same
 * store: none begun after the revoke returned finds it. */
static void test_apikey_cache_threads(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct finder f[4];
    pthread_t th[4];
    uint8_t h[32];
    int64_t id = 0;
    int revoked = 0, late = 0;

    memset(h, 7, sizeof(h));
    db_of(db, sizeof(db), "keys-threads.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_apikey_add(st, 0, &(struct vg_apikey){.name = "t"}, h,
                                  &id, &err),
              VG_OK);
    for (int i = 0; i < 4; i++) {
        f[i] = (struct finder){st, h, &revoked, 0};
        pthread_create(&th[i], NULL, finder_main, &f[i]);
    }
    nanosleep(&(struct timespec){0, 2000000}, NULL);
    TH_EQ_INT(vg_store_apikey_revoke(st, 0, id, &err), VG_OK);
    pthread_mutex_lock(&fmu);
    revoked = 1;
    pthread_mutex_unlock(&fmu);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        late += f[i].late_ok;
    }
    TH_EQ_INT(late, 0);
    vg_store_close(st);
}

static void test_alloc_failures(void)
{
    char db[256];
    int ok = 1;

    db_of(db, sizeof(db), "alloc.db");
    for (long k = 0; k < 60; k++) {
        struct vg_store *st = NULL;
        struct vg_list l = list_spec("x");
        int64_t id;
        int rc;

        vg_alloc_fail_after(k);
        rc = vg_store_open(db, NULL, &st, NULL);
        if (!rc)
            rc = vg_store_list_create(st, 0, &l, &id, NULL);
        vg_alloc_fail_after(-1);
        if (rc && rc != VG_ENOMEM && rc != VG_EEXIST)
            ok = 0;
        vg_store_close(st);
    }
    TH_CHECK(ok);
}

/* A callback that calls the store, as store.h forbids: what it got. */
struct reenter {
    struct vg_store *st;
    int calls, rc;
    char msg[sizeof(((struct vg_err *)0)->msg)];
};

static int reenter_list(void *ctx, const struct vg_list *l)
{
    struct reenter *r = ctx;
    struct vg_list got;
    struct vg_err err = {0};

    r->calls++;
    r->rc = vg_store_list_get(r->st, l->name, &got, &err);
    snprintf(r->msg, sizeof(r->msg), "%s", err.msg);
    return r->rc;
}

static int reenter_lease(void *ctx, const struct vg_frontier_lease *l)
{
    struct reenter *r = ctx;
    int64_t n = 0;

    (void)l;
    r->calls++;
    r->rc = vg_store_entries_count(r->st, 0, 0, &n, NULL);
    return VG_OK; /* the walk goes on: only the inner call is refused */
}

static void test_callback_rule(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_store_import *im = NULL;
    struct vg_err err = {0};
    struct vg_list l = list_spec("known"), got;
    struct reenter r = {0};
    const struct vg_frontier_url seed = {
        "https://a.example/", "a.example", 0, 0, 0, VG_FRONTIER_PAGE, 0, 0};
    int64_t id = 0, crawl = 0;
    size_t added = 0, n = 0;

    db_of(db, sizeof(db), "callbacks.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, &err), VG_OK);
    r.st = st;
    /* called back with the store held: the inner call is refused, not
     * deadlocked, and the walk stops with its code */
    TH_EQ_INT(vg_store_lists(st, reenter_list, &r, &err), VG_EBUSY);
    TH_EQ_INT(r.calls, 1);
    TH_EQ_INT(r.rc, VG_EBUSY);
    TH_CHECK(strstr(r.msg, "callback") != NULL);
    /* and the store is whole afterwards */
    TH_EQ_INT(vg_store_list_get(st, "known", &got, &err), VG_OK);
    TH_EQ_INT(got.id, id);
    /* called back after the store is released (the lease): refused too */
    r.calls = 0;
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_add(st, crawl, &seed, 1, &added, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_lease(st, crawl, 1, 0, time(NULL),
                                      reenter_lease, &r, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(r.calls, 1);
    TH_EQ_INT(r.rc, VG_EBUSY);
    /* an import holds the store: its own thread's other calls are refused,
     * and the import still commits */
    TH_EQ_INT(vg_store_import_begin(st, 0, id, "t.txt", "lines", NULL, &im,
                                    &err),
              VG_OK);
    TH_EQ_INT(vg_store_list_get(st, "known", &got, &err), VG_EBUSY);
    TH_EQ_INT(vg_store_import_commit(im, 0, NULL, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_list_get(st, "known", &got, &err), VG_OK);
    vg_store_close(st);
}

/* A password change ends the user's sessions (all of them, in the same
 * transaction), and only that user's. */
/* An unlock moves the account's count of unlocks (what the server's
 * throttle compares), audited in the same transaction; none of nobody. */
static void test_user_unlock(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_user u;

    db_of(db, sizeof(db), "unlock.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_user_add(st, 0, "alice", "$argon2id$a", VG_ROLE_ADMIN,
                                NULL, &err),
              VG_OK);
    TH_EQ_INT(vg_store_user_get(st, "alice", &u, &err), VG_OK);
    TH_EQ_INT(u.unlocks, 0);
    TH_EQ_INT(vg_store_user_unlock(st, 0, "alice", &err), VG_OK);
    TH_EQ_INT(vg_store_user_unlock(st, 0, "alice", &err), VG_OK);
    TH_EQ_INT(vg_store_user_get(st, "alice", &u, &err), VG_OK);
    TH_EQ_INT(u.unlocks, 2);
    TH_EQ_INT(vg_store_user_unlock(st, 0, "nobody", &err), VG_ENOENT);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE action ="
                             " 'user.unlock' AND detail = 'alice'"),
              2);
}

static void test_password_ends_sessions(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_session got;
    const uint8_t a1[32] = {1}, a2[32] = {2}, b1[32] = {3};
    int64_t now = time(NULL), alice = 0, bob = 0;

    db_of(db, sizeof(db), "sessions.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_user_add(st, 0, "alice", "$argon2id$old", VG_ROLE_ADMIN,
                                &alice, &err),
              VG_OK);
    TH_EQ_INT(vg_store_user_add(st, 0, "bob", "$argon2id$bob", VG_ROLE_ANALYST,
                                &bob, &err),
              VG_OK);
    TH_EQ_INT(vg_store_session_new(st, alice, a1, "c1", now, now + 3600, &err),
              VG_OK);
    TH_EQ_INT(vg_store_session_new(st, alice, a2, "c2", now, now + 3600, &err),
              VG_OK);
    TH_EQ_INT(vg_store_session_new(st, bob, b1, "c3", now, now + 3600, &err),
              VG_OK);
    TH_EQ_INT(vg_store_session_get(st, a1, now, &got, &err), VG_OK);
    TH_EQ_INT(vg_store_user_set_password(st, 0, "alice", "$argon2id$new",
                                         &err),
              VG_OK);
    TH_EQ_INT(vg_store_session_get(st, a1, now, &got, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_session_get(st, a2, now, &got, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_session_get(st, b1, now, &got, &err), VG_OK);
    TH_EQ_INT(got.user_id, bob);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM sessions"), 1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE action ="
                             " 'user.password'"),
              1);
    /* a failed change (no such user) ends nothing */
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_user_set_password(st, 0, "nobody", "$argon2id$x", &err),
              VG_ENOENT);
    vg_store_close(st);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM sessions"), 1);
}

static unsigned mode_of(const char *path)
{
    struct stat sb;

    return stat(path, &sb) ? 01000 : (unsigned)sb.st_mode & 07777;
}

/* The store is its owner's only: made 0600 (and -wal, -shm, while open)
 * in a folder made 0700, even under umask 022; a store the group or
 * others can read is refused, saying how to fix it; fixed, it opens. */
static void test_owner_only(void)
{
    char db[256], sub[256], wal[300], shm[300];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_list l = list_spec("private");
    int64_t id = 0;
    mode_t old = umask(022);

    path_of(sub, sizeof(sub), "private");
    path_of(db, sizeof(db), "private/deeper/vigil.db");
    snprintf(wal, sizeof(wal), "%s-wal", db);
    snprintf(shm, sizeof(shm), "%s-shm", db);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, &err), VG_OK);
    TH_EQ_INT(mode_of(db), 0600);
    TH_EQ_INT(mode_of(wal), 0600);
    TH_EQ_INT(mode_of(shm), 0600);
    TH_EQ_INT(mode_of(sub), 0700);
    path_of(sub, sizeof(sub), "private/deeper");
    TH_EQ_INT(mode_of(sub), 0700);
    vg_store_close(st);
    umask(old);
    /* as older versions made it: refused, and nothing is opened */
    TH_EQ_INT(chmod(db, 0644), 0);
    st = NULL;
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_EACCES);
    TH_CHECK(st == NULL);
    TH_CHECK(strstr(err.msg, "other users can read it (mode 0644)") != NULL);
    {
        char fix[320];
        snprintf(fix, sizeof(fix), "chmod 600 %s", db);
        TH_CHECK(strstr(err.msg, fix) != NULL);
    }
    TH_EQ_INT(mode_of(wal), 01000); /* SQLite never opened it */
    /* group-readable only: refused too */
    TH_EQ_INT(chmod(db, 0640), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_EACCES);
    /* a -wal others can read is named in the fix */
    TH_EQ_INT(chmod(db, 0600), 0);
    {
        FILE *f = fopen(wal, "w");
        char fix[320];
        TH_CHECK(f != NULL);
        if (f)
            fclose(f);
        TH_EQ_INT(chmod(wal, 0604), 0);
        TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_EACCES);
        snprintf(fix, sizeof(fix), "chmod 600 %s", wal);
        TH_CHECK(strstr(err.msg, fix) != NULL);
        TH_EQ_INT(unlink(wal), 0);
    }
    /* fixed as told: opens, data kept */
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_list_get(st, "private", &l, &err), VG_OK);
    TH_EQ_INT(l.id, id);
    vg_store_close(st);
}

/* ---- the audit log: keyed chain, kept head, append-only ---- */

/* Open db keyed with key (a file name in dir), head file key + ".head". */
static struct vg_store *open_keyed(const char *db, const char *key)
{
    char k[256], h[300];
    struct vg_store *st = NULL;
    struct vg_err err = {0};

    path_of(k, sizeof(k), key);
    snprintf(h, sizeof(h), "%s.head", k);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_key(st, k, 1, h, &err), VG_OK);
    return st;
}

static void append_n(struct vg_store *st, int from, int n)
{
    struct vg_err err = {0};
    char detail[32];

    for (int i = from; i < from + n; i++) {
        snprintf(detail, sizeof(detail), "change %d", i);
        TH_EQ_INT(vg_store_audit_append(st, i % 3, "test.change", "list", i,
                                        detail, &err),
                  VG_OK);
    }
}

/* 0 when sql ran, 1 when it failed (a trigger refused it) */
static int sql_fails(const char *db, const char *sql)
{
    return th_db_exec(db, sql) < 0;
}

static const char *drop_triggers(void)
{
    return pg ? "DROP TRIGGER audit_log_append_only ON audit_log;"
                " DROP TRIGGER audit_keyed_append_only ON audit_keyed"
              : "DROP TRIGGER audit_log_no_update;"
                " DROP TRIGGER audit_log_no_delete;"
                " DROP TRIGGER audit_keyed_no_update;"
                " DROP TRIGGER audit_keyed_no_delete";
}

static void put_int(EVP_MD_CTX *m, int64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    EVP_DigestUpdate(m, b, 8);
}

static void put_text(EVP_MD_CTX *m, const unsigned char *s)
{
    if (s)
        EVP_DigestUpdate(m, s, strlen((const char *)s) + 1);
    else
        EVP_DigestUpdate(m, "\xff", 1);
}

/*
 * What one who can write the database but has no key does: rechain the
 * whole log with the unkeyed chain's SHA-256 (the old format, the only
 * one computable without the key), after its edits.
 */
static void rechain_sha256(const char *db)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL, *u = NULL;
    uint8_t prev[32], hash[32];
    int first = 1;

    TH_EQ_INT(sqlite3_open(db, &h), SQLITE_OK);
    TH_EQ_INT(sqlite3_prepare_v2(h,
                                 "SELECT id, at, COALESCE(user_id, 0), action,"
                                 " object_type, COALESCE(object_id, 0),"
                                 " detail FROM audit_log ORDER BY id",
                                 -1, &s, NULL),
              SQLITE_OK);
    TH_EQ_INT(sqlite3_prepare_v2(h,
                                 "UPDATE audit_log SET prev_hash = ?,"
                                 " hash = ? WHERE id = ?",
                                 -1, &u, NULL),
              SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        EVP_MD_CTX *m = EVP_MD_CTX_new();
        unsigned n = 0;

        EVP_DigestInit_ex(m, EVP_sha256(), NULL);
        if (!first)
            EVP_DigestUpdate(m, prev, 32);
        put_int(m, sqlite3_column_int64(s, 1));
        put_int(m, sqlite3_column_int64(s, 2));
        put_text(m, sqlite3_column_text(s, 3));
        put_text(m, sqlite3_column_text(s, 4));
        put_int(m, sqlite3_column_int64(s, 5));
        put_text(m, sqlite3_column_text(s, 6));
        EVP_DigestFinal_ex(m, hash, &n);
        EVP_MD_CTX_free(m);
        if (first)
            sqlite3_bind_null(u, 1);
        else
            sqlite3_bind_blob(u, 1, prev, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(u, 2, hash, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(u, 3, sqlite3_column_int64(s, 0));
        TH_EQ_INT(sqlite3_step(u), SQLITE_DONE);
        sqlite3_reset(u);
        memcpy(prev, hash, 32);
        first = 0;
    }
    sqlite3_finalize(s);
    sqlite3_finalize(u);
    sqlite3_close(h);
}

static int verify_bad(struct vg_store *st, int64_t *bad, struct vg_err *err)
{
    struct vg_audit_verdict v;
    int rc = vg_store_audit_verify(st, &v, err);

    *bad = v.bad;
    return rc;
}

/* The database refuses UPDATE and DELETE on the log and its key mark. */
static void test_audit_append_only(void)
{
    char db[256];
    struct vg_store *st;

    db_of(db, sizeof(db), "append-only.db");
    st = open_keyed(db, "append-only.key");
    append_n(st, 1, 3);
    vg_store_close(st);
    TH_EQ_INT(sql_fails(db, "UPDATE audit_log SET detail = 'x' WHERE id = 2"),
              1);
    TH_EQ_INT(sql_fails(db, "DELETE FROM audit_log WHERE id = 3"), 1);
    TH_EQ_INT(sql_fails(db, "DELETE FROM audit_log"), 1);
    TH_EQ_INT(sql_fails(db, "UPDATE audit_keyed SET from_id = 2"), 1);
    TH_EQ_INT(sql_fails(db, "DELETE FROM audit_keyed"), 1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE detail"
                             " LIKE 'change %'"),
              3);
    TH_EQ_INT(count_rows(db, "SELECT from_id FROM audit_keyed"), 1);
}

/* Records cut off the end leave an intact chain; the kept head shows it. */
static void test_audit_truncation(void)
{
    char db[256], line[256], headf[300];
    struct vg_store *st;
    struct vg_audit_head h, h3;
    struct vg_err err = {0};
    int64_t bad = 0;
    FILE *f;
    int lines = 0;

    db_of(db, sizeof(db), "cut.db");
    st = open_keyed(db, "cut.key");
    append_n(st, 1, 3);
    TH_EQ_INT(vg_store_audit_head(st, &h3, &err), VG_OK);
    append_n(st, 4, 2);
    TH_EQ_INT(vg_store_audit_head(st, &h, &err), VG_OK);
    TH_EQ_INT(h.seq, 5);
    TH_CHECK(h.is_signed);
    vg_store_close(st);
    /* the head file has one line per committed change, the last = head */
    path_of(headf, sizeof(headf), "cut.key.head");
    TH_CHECK((f = fopen(headf, "r")) != NULL);
    while (f && fgets(line, sizeof(line), f))
        lines++;
    if (f)
        fclose(f);
    TH_EQ_INT(lines, 5);
    TH_CHECK(strncmp(line, "5 ", 2) == 0);
    TH_EQ_INT(sql_fails(db, drop_triggers()), 0);
    TH_EQ_INT(sql_fails(db, "DELETE FROM audit_log WHERE id > 3"), 0);
    st = open_keyed(db, "cut.key");
    TH_EQ_INT(verify_bad(st, &bad, &err), VG_OK); /* what is left holds */
    TH_EQ_INT(vg_store_audit_check_head(st, 3, h3.mac, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_check_head(st, 5, h.mac, &err), VG_ECORRUPT);
    TH_CHECK(strstr(err.msg, "was cut: the kept head is record 5, the log"
                             " ends at record 3") != NULL);
    /* and appending again does not hide it */
    append_n(st, 6, 2);
    TH_EQ_INT(vg_store_audit_check_head(st, 5, h.mac, &err), VG_ECORRUPT);
    TH_CHECK(strstr(err.msg, "differs from the kept head") != NULL);
    vg_store_close(st);
}

/* Without the key, a deletion or an edit can only be rechained with
 * SHA-256: the MACs show it, and so does the head if the whole log is
 * made unkeyed. */
static void test_audit_rechain(void)
{
    static const char *const edits[] = {
        "DELETE FROM audit_log WHERE id = 3",
        "UPDATE audit_log SET detail = 'nothing to see' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 3; DELETE FROM audit_keyed"};
    static const int64_t first_bad[] = {1, 1, 0};

    for (int i = 0; i < 3; i++) {
        char db[256], key[32];
        struct vg_store *st;
        struct vg_audit_head h;
        struct vg_audit_verdict v;
        struct vg_err err = {0};
        int64_t bad = 0;

        snprintf(key, sizeof(key), "rechain%d.db", i);
        db_of(db, sizeof(db), key);
        snprintf(key, sizeof(key), "rechain%d.key", i);
        st = open_keyed(db, key);
        append_n(st, 1, 5);
        TH_EQ_INT(verify_bad(st, &bad, &err), VG_OK);
        TH_EQ_INT(vg_store_audit_head(st, &h, &err), VG_OK);
        vg_store_close(st);
        TH_EQ_INT(sql_fails(db, drop_triggers()), 0);
        TH_EQ_INT(sql_fails(db, edits[i]), 0);
        rechain_sha256(db);
        st = open_keyed(db, key);
        if (first_bad[i]) {
            /* the first record rechained is the first found */
            TH_EQ_INT(verify_bad(st, &bad, &err), VG_ECORRUPT);
            TH_EQ_INT(bad, first_bad[i]);
            TH_CHECK(strstr(err.msg, "does not match its MAC") != NULL);
        } else {
            /* all unkeyed now: the walk passes, says so, the head fails */
            TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_OK);
            TH_EQ_INT(v.keyed_from, 0);
            TH_EQ_INT(vg_store_audit_check_head(st, h.seq, h.mac, &err),
                      VG_ECORRUPT);
        }
        vg_store_close(st);
    }
}

/* Another key does not verify, a store without its key cannot append, and
 * an older store's unkeyed records stay valid before the keyed ones. */
static void test_audit_keys(void)
{
    char db[256], key[256];
    struct vg_store *st = NULL;
    struct vg_audit_verdict v;
    struct vg_audit_head h;
    struct vg_err err = {0};
    int64_t bad = 0;

    db_of(db, sizeof(db), "audit-keys.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    append_n(st, 1, 2); /* no key yet: unkeyed, as before */
    TH_EQ_INT(vg_store_audit_head(st, &h, &err), VG_OK);
    TH_CHECK(!h.is_signed);
    vg_store_close(st);
    st = open_keyed(db, "audit-keys.key");
    append_n(st, 3, 2);
    TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_OK);
    TH_EQ_INT(v.count, 4);
    TH_EQ_INT(v.keyed_from, 3);
    TH_EQ_INT(v.unchecked, 0);
    vg_store_close(st);
    /* another key */
    st = open_keyed(db, "audit-other.key");
    TH_EQ_INT(verify_bad(st, &bad, &err), VG_ECORRUPT);
    TH_EQ_INT(bad, 3);
    TH_CHECK(strstr(err.msg, "another key") != NULL);
    vg_store_close(st);
    /* no key: the links are checked, the MACs are not, nothing appended */
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_OK);
    TH_EQ_INT(v.unchecked, 2);
    TH_EQ_INT(vg_store_audit_append(st, 0, "test.change", NULL, 0, "", &err),
              VG_EACCES);
    vg_store_close(st);
    /* a key file others can read is refused */
    path_of(key, sizeof(key), "audit-keys.key");
    TH_EQ_INT(chmod(key, 0644), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_key(st, key, 1, NULL, &err), VG_EACCES);
    TH_CHECK(strstr(err.msg, "chmod 600") != NULL);
    vg_store_close(st);
    if (!pg)
        TH_EQ_INT(mode_of(db), 0600);
    path_of(key, sizeof(key), "audit-other.key");
    TH_EQ_INT(mode_of(key), 0600);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    pg = getenv("VIGIL_TEST_PG") && *getenv("VIGIL_TEST_PG");
    TH_RUN(test_fresh);
    TH_RUN(test_from_each_version);
    /* of SQLite only: stores made before PostgreSQL was supported, a file
       that is not a database, file modes, the log rewritten through
       SQLite's API (the triggers of both are tested) */
    if (!pg)
        TH_RUN(test_media_hashes_from_each_version);
    TH_RUN(test_newer_refused);
    if (!pg)
        TH_RUN(test_not_a_database);
    TH_RUN(test_concurrent_first_open);
    TH_RUN(test_lists_and_imports);
    TH_RUN(test_frontier);
    TH_RUN(test_frontier_media_first);
    TH_RUN(test_lease_round_robin);
    TH_RUN(test_crawl_commit);
    TH_RUN(test_reports);
    TH_RUN(test_apikey_cache);
    TH_RUN(test_apikey_cache_threads);
    TH_RUN(test_alloc_failures);
    TH_RUN(test_callback_rule);
    TH_RUN(test_password_ends_sessions);
    TH_RUN(test_user_unlock);
    if (!pg)
        TH_RUN(test_owner_only);
    TH_RUN(test_audit_append_only);
    TH_RUN(test_audit_truncation);
    if (!pg)
        TH_RUN(test_audit_rechain);
    TH_RUN(test_audit_keys);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        status = 1;
    return status;
}
