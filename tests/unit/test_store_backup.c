/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vigil/store_backup.h: an SQLite backup taken while another connection
 * writes is one consistent snapshot (every writer's transaction adds x and
 * -x: the sum is 0 in any snapshot, and the count between the counts
 * before and after); a backup's refusals; a database held open by another
 * connection is not "unused"; integrity and foreign-key problems found;
 * a PostgreSQL URL's parameters reach a tool by its environment.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "th.h"
#include "vigil/store_backup.h"
#include "vigil/store_db.h"

static char dir[] = "/tmp/vg_backup_XXXXXX";

static void path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static long long one(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *s = NULL;
    long long v = -1;

    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

struct writer {
    const char *db;
    volatile int stop;
    int writes;
};

/* Pairs of rows (x, -x), each pair one transaction, until stopped. */
static void *write_pairs(void *arg)
{
    struct writer *w = arg;
    sqlite3 *h = NULL;
    char sql[160];

    sqlite3_open(w->db, &h);
    sqlite3_busy_timeout(h, 10000);
    for (int x = 1; !w->stop; x++) {
        snprintf(sql, sizeof(sql),
                 "BEGIN IMMEDIATE; INSERT INTO t VALUES (%d, randomblob(500));"
                 " INSERT INTO t VALUES (%d, randomblob(500)); COMMIT",
                 x, -x);
        if (sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK)
            w->writes++;
    }
    sqlite3_close(h);
    return NULL;
}

static void test_snapshot_under_writes(void)
{
    char src[256], dst[256];
    struct writer w = {src, 0, 0};
    struct vg_err err = {0};
    sqlite3 *h = NULL;
    pthread_t t;
    long long before, after, sum, n;

    path(src, sizeof(src), "src.db");
    path(dst, sizeof(dst), "copy.db");
    TH_EQ_INT(sqlite3_open(src, &h), SQLITE_OK);
    TH_EQ_INT(sqlite3_exec(h,
                           "PRAGMA journal_mode=WAL; CREATE TABLE t (x, pad);"
                           " WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL"
                           " SELECT i + 1 FROM n WHERE i < 10000)"
                           " INSERT INTO t SELECT 0, randomblob(500) FROM n",
                           NULL, NULL, NULL),
              SQLITE_OK);
    pthread_create(&t, NULL, write_pairs, &w);
    while (w.writes < 20)
        sqlite3_sleep(5);
    before = one(h, "SELECT count(*) FROM t");
    /* 8 pages a step: hundreds of steps, writes between them */
    TH_EQ_INT(vg_store_backup_sqlite(src, dst, 8, &err), VG_OK);
    after = one(h, "SELECT count(*) FROM t");
    w.stop = 1;
    pthread_join(t, NULL);
    sqlite3_close(h);
    TH_CHECK(after > before); /* the writer went on meanwhile */
    h = NULL;
    TH_EQ_INT(sqlite3_open(dst, &h), SQLITE_OK);
    n = one(h, "SELECT count(*) FROM t");
    sum = one(h, "SELECT sum(x) FROM t");
    TH_CHECK(n >= before && n <= after);
    TH_EQ_INT(sum, 0);
    TH_EQ_INT(one(h, "SELECT count(*) FROM pragma_integrity_check"
                     " WHERE integrity_check <> 'ok'"),
              0);
    sqlite3_close(h);
    fprintf(stderr, "  %lld rows before, %lld in the copy, %lld after\n",
            before, n, after);
}

static void test_refusals(void)
{
    char src[256], dst[256];
    struct vg_err err = {0};

    path(src, sizeof(src), "src.db");
    path(dst, sizeof(dst), "copy.db");
    TH_EQ_INT(vg_store_backup_sqlite(src, dst, 0, &err), VG_EEXIST);
    path(src, sizeof(src), "none.db");
    path(dst, sizeof(dst), "copy2.db");
    TH_EQ_INT(vg_store_backup_sqlite(src, dst, 0, &err), VG_ENOENT);
    TH_EQ_INT(access(dst, F_OK), -1); /* nothing left */
    TH_EQ_INT(vg_store_backup_sqlite("postgresql://h/x", dst, 0, &err),
              VG_EINVAL);
    TH_CHECK(vg_store_url_is_pg("postgres://h/x"));
    TH_CHECK(vg_store_url_is_pg("host=h dbname=x"));
    TH_CHECK(!vg_store_url_is_pg("sqlite:/tmp/x.db"));
    TH_EQ_STR(vg_store_url_path("sqlite:/tmp/x.db"), "/tmp/x.db");
}

static void test_unused(void)
{
    char src[256];
    struct vg_err err = {0};
    sqlite3 *h = NULL;

    path(src, sizeof(src), "src.db");
    TH_EQ_INT(vg_store_sqlite_unused(src, &err), VG_OK);
    sqlite3_open(src, &h);
    TH_EQ_INT(one(h, "SELECT count(*) > 0 FROM t"), 1); /* holds it open */
    TH_EQ_INT(vg_store_sqlite_unused(src, &err), VG_EBUSY);
    TH_CHECK(strstr(err.msg, "another process has it open") != NULL);
    sqlite3_close(h);
    TH_EQ_INT(vg_store_sqlite_unused(src, &err), VG_OK);
    path(src, sizeof(src), "none.db");
    TH_EQ_INT(vg_store_sqlite_unused(src, &err), VG_OK);
}

static int nproblems;
static void count_problem(void *ctx, const char *what)
{
    (void)ctx;
    (void)what;
    nproblems++;
}

static void test_integrity(void)
{
    char db[256];
    struct vg_err err = {0};
    struct vg_store *st = NULL;
    sqlite3 *h = NULL;
    int64_t n = -1;

    path(db, sizeof(db), "fk.db");
    sqlite3_open(db, &h);
    TH_EQ_INT(sqlite3_exec(h,
                           "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                           " CREATE TABLE c (p REFERENCES p(id));"
                           " INSERT INTO p VALUES (1);"
                           " INSERT INTO c VALUES (1), (5)",
                           NULL, NULL, NULL),
              SQLITE_OK);
    sqlite3_close(h);
    chmod(db, 0600); /* the store refuses a database others may read */
    if (vg_store_open_as_is(db, 0, &st, &err)) {
        TH_CHECK(!"opened");
        return;
    }
    TH_EQ_INT(vg_store_integrity(st, 0, count_problem, NULL, &n, &err), VG_OK);
    TH_EQ_INT(n, 1); /* c's row 2 names no p */
    TH_EQ_INT(nproblems, 1);
    TH_EQ_INT(vg_store_integrity(st, 1, count_problem, NULL, &n, &err), VG_OK);
    TH_EQ_INT(n, 1);
    vg_store_close(st);
}

static void test_pg_tool(void)
{
    char *ok[] = {"sh", "-c",
                  "[ \"$PGPASSWORD\" = s3cret ] && [ \"$PGDATABASE\" = dbx ]"
                  " && [ \"$PGHOST\" = h ] && [ \"$PGPORT\" = 5 ] &&"
                  " [ \"$PGUSER\" = u ] && [ \"$PGSSLMODE\" = disable ]",
                  NULL};
    char *fails[] = {"sh", "-c", "exit 3", NULL};
    char *none[] = {"vigil-no-such-tool", NULL};
    const char *url = "postgresql://u:s3cret@h:5/dbx?sslmode=disable";
    struct vg_err err = {0};
    char name[64];

    TH_EQ_INT(vg_store_pg_tool(url, ok, &err), VG_OK);
    TH_EQ_INT(vg_store_pg_tool("host=h port=5 user=u password=s3cret"
                               " dbname=dbx sslmode=disable",
                               ok, &err),
              VG_OK);
    TH_EQ_INT(vg_store_pg_tool(url, fails, &err), VG_EIO);
    TH_CHECK(strstr(err.msg, "exit 3") && !strstr(err.msg, "s3cret"));
    TH_EQ_INT(vg_store_pg_tool(url, none, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_pg_tool("/tmp/x.db", ok, &err), VG_EINVAL);
    TH_EQ_INT(vg_store_pg_dbname(url, name, sizeof(name), &err), VG_OK);
    TH_EQ_STR(name, "dbx");
    TH_EQ_INT(vg_store_pg_dbname("postgresql://h:5/", name, sizeof(name),
                                 &err),
              VG_EINVAL);
}

int main(void)
{
    char cmd[64];

    if (!mkdtemp(dir))
        return 1;
    TH_RUN(test_snapshot_under_writes);
    TH_RUN(test_refusals);
    TH_RUN(test_unused);
    TH_RUN(test_integrity);
    TH_RUN(test_pg_tool);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    th_run(cmd);
    return th_done();
}
