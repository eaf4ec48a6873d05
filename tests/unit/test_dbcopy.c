/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store as a whole (vigil/store_db.h): database URLs with their
 * password masked; the list of tables against the database's own (every
 * table there, each after the tables its foreign keys name); opening
 * without migrating, then migrating on request; and a whole store copied
 * into an empty one: every row the same (ids, NULLs, empty blobs), the
 * audit chain intact under the source's key, a destination that holds
 * rows or is at a newer schema refused, an older empty one migrated
 * first, and a copy that loses rows (a trigger on the destination)
 * reported as a difference.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/store.h"
#include "vigil/store_db.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"

static char dir[] = "/tmp/vigil-test-dbcopy-XXXXXX";

static void path_of(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

/* The first column of the first row of sql on db, as an int; -1 if none. */
static long long one(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    long long n = -1;

    if (sqlite3_open(db, &h) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

static int exec(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    int rc = sqlite3_open(db, &h) == SQLITE_OK
                 ? sqlite3_exec(h, sql, NULL, NULL, NULL)
                 : SQLITE_ERROR;

    sqlite3_close(h);
    return rc;
}

static void test_mask(void)
{
    static const char *const cases[][2] = {
        {"postgresql://u:secret@127.0.0.1:5432/vigil",
         "postgresql://u:***@127.0.0.1:5432/vigil"},
        {"postgres://u:p@ss:w@db.example/x?sslmode=require",
         "postgres://u:***@db.example/x?sslmode=require"},
        {"postgresql://u@host/db", "postgresql://u@host/db"},
        {"postgresql://host/db?user=u&password=secret&sslmode=require",
         "postgresql://host/db?user=u&password=***&sslmode=require"},
        {"host=127.0.0.1 password=secret dbname=vigil",
         "host=127.0.0.1 password=*** dbname=vigil"},
        {"host=h password = 'se cret\\' x' dbname=v",
         "host=h password = *** dbname=v"},
        {"PASSWORD=secret", "PASSWORD=***"},
        {"/var/lib/vigil/vigil.db", "/var/lib/vigil/vigil.db"},
        {"sqlite:/tmp/password=x.db", "sqlite:/tmp/password=x.db"},
        {"host=h mypassword=x", "host=h mypassword=x"},
    };
    char buf[256], tiny[8];

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
        TH_EQ_STR(vg_store_url_mask(cases[i][0], buf, sizeof(buf)),
                  cases[i][1]);
    /* cut short, the password is still not there */
    TH_EQ_STR(vg_store_url_mask("postgresql://u:secret@h/d", tiny,
                                sizeof(tiny)),
              "postgre");
    TH_EQ_STR(vg_store_url_mask("x://u:secret@h", buf, 12), "x://u:***@h");
    TH_EQ_STR(vg_store_url_mask(NULL, buf, sizeof(buf)), "");
}

/* Every table of a new store is listed, each after those it names. */
static void test_tables(void)
{
    char db[256], sql[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const char *t;
    int n = 0;

    path_of(db, sizeof(db), "tables.db");
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    vg_store_close(st);
    for (int i = 0; (t = vg_store_table(i)); i++, n++) {
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                 " AND name = '%s'",
                 t);
        TH_EQ_INT(one(db, sql), 1);
        /* the tables it references come earlier in the list */
        for (int j = i + 1; vg_store_table(j); j++) {
            snprintf(sql, sizeof(sql),
                     "SELECT COUNT(*) FROM pragma_foreign_key_list('%s')"
                     " WHERE \"table\" = '%s'",
                     t, vg_store_table(j));
            if (one(db, sql) != 0)
                TH_FAIL_("%s references %s, listed after it", t,
                         vg_store_table(j));
        }
    }
    TH_EQ_INT(one(db, "SELECT COUNT(*) FROM sqlite_master WHERE type ="
                      " 'table' AND name NOT LIKE 'sqlite_%'"
                      " AND name <> 'schema_migrations'"),
              n);
}

/* Opened as it is: not made, not migrated; then migrated on request. */
static void test_open_as_is(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int v = -1, from = -1, to = -1;
    int64_t rows = -1;

    path_of(db, sizeof(db), "asis.db");
    TH_EQ_INT(vg_store_open_as_is(db, 0, &st, &err), VG_ENOENT);
    TH_CHECK(strstr(err.msg, "no such database") != NULL);
    TH_CHECK(access(db, F_OK) != 0);
    TH_EQ_INT(vg_store_open_as_is(db, 1, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_schema_version(st, &v, &err), VG_OK);
    TH_EQ_INT(v, 0);
    TH_EQ_STR(vg_store_backend(st), "sqlite");
    TH_EQ_INT(vg_store_rows(st, "users", &rows, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_migrate(st, 3, &from, &to, &err), VG_OK);
    TH_EQ_INT(from, 0);
    TH_EQ_INT(to, 3);
    TH_EQ_INT(vg_store_rows(st, "users", &rows, &err), VG_OK);
    TH_EQ_INT(rows, 0);
    TH_EQ_INT(vg_store_rows(st, "media_hashes", &rows, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_rows(st, "sqlite_master", &rows, &err), VG_EINVAL);
    /* never down */
    TH_EQ_INT(vg_store_migrate(st, 2, &from, &to, &err), VG_OK);
    TH_EQ_INT(to, 3);
    TH_EQ_INT(vg_store_migrate(st, 0, &from, &to, &err), VG_OK);
    TH_EQ_INT(from, 3);
    TH_EQ_INT(to, vg_store_schema_latest());
    vg_store_close(st);
    /* a newer schema: opened as it is, not migrated */
    TH_EQ_INT(exec(db, "INSERT INTO schema_migrations VALUES (999, 'x', 0)"),
              SQLITE_OK);
    TH_EQ_INT(vg_store_open_as_is(db, 0, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_schema_version(st, &v, &err), VG_OK);
    TH_EQ_INT(v, 999);
    TH_EQ_INT(vg_store_migrate(st, 0, &from, &to, &err), VG_EVERSION);
    vg_store_close(st);
}

/* A source with lists, entries, users and a keyed audit chain, and rows
 * with a NULL and an empty blob put in by hand. */
static void make_source(const char *db, const char *key)
{
    struct vg_store *st = NULL;
    struct vg_store_import *im = NULL;
    struct vg_list l;
    struct vg_list_entry e;
    struct vg_err err = {0};
    int64_t id = 0, added = 0, present = 0;

    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "known");
    snprintf(l.category, sizeof(l.category), "test");
    l.pdq_distance = 31;
    l.enabled = 1;
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_key(st, key, 1, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &id, &err), VG_OK);
    TH_EQ_INT(vg_store_import_begin(st, 0, id, "t.txt", "lines", NULL, &im,
                                    &err),
              VG_OK);
    for (int i = 0; i < 300; i++) {
        memset(&e, 0, sizeof(e));
        e.algo = i % 2 ? VG_ALGO_PDQ : VG_ALGO_MD5;
        e.value[0] = (uint8_t)(i >> 8);
        e.value[1] = (uint8_t)i;
        e.quality = e.algo == VG_ALGO_PDQ ? 90 : -1;
        e.metadata = i == 7 ? "seven" : NULL;
        TH_EQ_INT(vg_store_import_add(im, &e, &err), VG_OK);
    }
    TH_EQ_INT(vg_store_import_commit(im, 300, &added, &present, &err), VG_OK);
    TH_EQ_INT(vg_store_user_add(st, 0, "alice", "$argon2id$x", VG_ROLE_ADMIN,
                                &id, &err),
              VG_OK);
    TH_EQ_INT(vg_store_user_add(st, 0, "bob", "$argon2id$y", VG_ROLE_ANALYST,
                                &id, &err),
              VG_OK);
    TH_EQ_INT(vg_store_audit_append(st, 1, "test", "thing", 7, NULL, &err),
              VG_OK);
    vg_store_close(st);
    TH_EQ_INT(exec(db, "INSERT INTO api_keys (name, key_hash, scopes,"
                       " created_at, revoked_at) VALUES ('empty', x'', '',"
                       " 1, NULL);"
                       "INSERT INTO urls (url, host, first_seen_at) VALUES"
                       " ('http://a.example/', 'a.example', 5);"
                       "INSERT INTO cases (url_id, opened_at) VALUES (1, 1);"
                       "INSERT INTO cases (url_id, opened_at, status,"
                       " reupload_of) VALUES (1, 2, 'closed', 1)"),
              SQLITE_OK);
}

/* Rows of table in a that b lacks, plus those b has that a lacks; a
 * million when they cannot be compared. */
static long long diff_table(const char *a, const char *b, const char *t)
{
    char attach[512], sql[512];
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    long long n = 1000000;

    snprintf(attach, sizeof(attach), "ATTACH '%s' AS o", b);
    snprintf(sql, sizeof(sql),
             "SELECT (SELECT COUNT(*) FROM (SELECT * FROM %s EXCEPT SELECT *"
             " FROM o.%s)) + (SELECT COUNT(*) FROM (SELECT * FROM o.%s"
             " EXCEPT SELECT * FROM %s))",
             t, t, t, t);
    if (sqlite3_open(a, &h) == SQLITE_OK &&
        sqlite3_exec(h, attach, NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

/* diff_table over every table. */
static long long differences(const char *a, const char *b)
{
    const char *t;
    long long n = 0;

    for (int i = 0; (t = vg_store_table(i)); i++)
        n += diff_table(a, b, t);
    return n;
}

/* Copy from src into dst (both opened as they are): the copy's result,
 * its table counts in c (*n). */
static int copy(const char *src, const char *dst, struct vg_store_copied *c,
                size_t *n, struct vg_err *err)
{
    struct vg_store *a = NULL, *b = NULL;
    int rc;

    *n = 0;
    if ((rc = vg_store_open_as_is(src, 0, &a, err)))
        return rc;
    if (!(rc = vg_store_open_as_is(dst, 1, &b, err)))
        rc = vg_store_copy(a, b, c, 64, n, err);
    vg_store_close(b);
    vg_store_close(a);
    return rc;
}

static void test_copy(void)
{
    char src[256], dst[256], key[256], other[256];
    struct vg_store_copied c[64];
    struct vg_audit_verdict v, sv;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    size_t n = 0;
    int64_t total = 0;

    path_of(src, sizeof(src), "src.db");
    path_of(dst, sizeof(dst), "sub/dst.db");
    path_of(key, sizeof(key), "src.audit-key");
    path_of(other, sizeof(other), "other.audit-key");
    make_source(src, key);
    TH_EQ_INT(vg_store_open(src, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_key(st, key, 0, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_verify(st, &sv, &err), VG_OK);
    TH_CHECK(sv.count >= 4); /* the list, two users, "test" at least */
    vg_store_close(st);
    TH_EQ_INT(copy(src, dst, c, &n, &err), VG_OK);
    { /* every table of the list, each counted */
        size_t tables = 0;
        while (vg_store_table((int)tables))
            tables++;
        TH_EQ_INT((long long)n, (long long)tables);
        TH_CHECK(tables >= 27);
    }
    for (size_t i = 0; i < n; i++) {
        TH_CHECK(c[i].source == c[i].copy && c[i].written == c[i].copy);
        total += c[i].copy;
    }
    TH_CHECK(total > 300);
    TH_EQ_INT(differences(src, dst), 0);
    TH_EQ_INT(differences(dst, src), 0);
    TH_EQ_INT(one(dst, "SELECT COUNT(*) FROM api_keys WHERE typeof(key_hash)"
                       " = 'blob' AND length(key_hash) = 0"),
              1);
    TH_EQ_INT(one(dst, "SELECT reupload_of FROM cases WHERE id = 2"), 1);
    /* the audit chain, under the source's key, and not under another */
    TH_EQ_INT(vg_store_open(dst, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_key(st, key, 0, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_OK);
    TH_EQ_INT(v.count, sv.count);
    TH_EQ_INT(v.keyed_from, 1);
    TH_EQ_INT(v.unchecked, 0);
    /* ids go on after the copied ones */
    TH_EQ_INT(vg_store_audit_append(st, 0, "after", NULL, 0, NULL, &err),
              VG_OK);
    TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_OK);
    TH_EQ_INT(v.count, sv.count + 1);
    vg_store_close(st);
    TH_EQ_INT(vg_store_open(dst, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_key(st, other, 1, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_ECORRUPT);
    vg_store_close(st);
    /* a second copy into it: refused, nothing written */
    TH_EQ_INT(copy(src, dst, c, &n, &err), VG_EEXIST);
    TH_CHECK(strstr(err.msg, "not empty") != NULL);
    TH_EQ_INT(one(dst, "SELECT COUNT(*) FROM users"), 2);
}

static void test_versions(void)
{
    char src[256], old[256], fresh[256], newer[256], lossy[256];
    struct vg_store_copied c[64];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    size_t n = 0;
    int from = 0, to = 0;

    path_of(src, sizeof(src), "src.db"); /* test_copy's */
    path_of(old, sizeof(old), "old.db");
    path_of(fresh, sizeof(fresh), "fresh.db");
    path_of(newer, sizeof(newer), "newer.db");
    path_of(lossy, sizeof(lossy), "lossy.db");
    /* an empty destination at an older version: migrated, then filled */
    TH_EQ_INT(vg_store_open_as_is(old, 1, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_migrate(st, 5, &from, &to, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(copy(src, old, c, &n, &err), VG_OK);
    TH_EQ_INT(one(old, "SELECT MAX(version) FROM schema_migrations"),
              vg_store_schema_latest());
    TH_EQ_INT(differences(src, old), 0);
    /* a source older than the destination: refused */
    TH_EQ_INT(vg_store_open_as_is(fresh, 1, &st, &err), VG_OK);
    TH_EQ_INT(vg_store_migrate(st, 5, &from, &to, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(vg_store_open(newer, NULL, &st, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(copy(fresh, newer, c, &n, &err), VG_EVERSION);
    TH_CHECK(strstr(err.msg, "schema version 5") != NULL);
    /* an empty source: refused */
    path_of(fresh, sizeof(fresh), "empty.db");
    TH_EQ_INT(vg_store_open_as_is(fresh, 1, &st, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(copy(fresh, lossy, c, &n, &err), VG_EINVAL);
    /* a destination that loses rows: the difference is said */
    TH_EQ_INT(vg_store_open(lossy, NULL, &st, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(exec(lossy, "CREATE TRIGGER lose AFTER INSERT ON api_keys"
                          " BEGIN DELETE FROM api_keys WHERE id = NEW.id;"
                          " END"),
              SQLITE_OK);
    TH_EQ_INT(copy(src, lossy, c, &n, &err), VG_ECORRUPT);
    TH_CHECK(strstr(err.msg, "api_keys: 1 rows in the source, 1 written,"
                             " 0 in the copy") != NULL);
    TH_EQ_INT(one(lossy, "SELECT COUNT(*) FROM users"), 0); /* rolled back */
    TH_CHECK(differences(src, lossy) > 0);
}

int main(void)
{
    char cmd[128];

    if (!mkdtemp(dir))
        return 1;
    TH_RUN(test_mask);
    TH_RUN(test_tables);
    TH_RUN(test_open_as_is);
    TH_RUN(test_copy);
    TH_RUN(test_versions);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    th_run(cmd);
    return th_done();
}
