/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Store tests on either backend.  A test names its databases with
 * th_db_url: a SQLite file in its folder, or, when $VIGIL_TEST_PG names the
 * folder of a test PostgreSQL server (tests/fixtures/pg_server.sh, started
 * by ctest's pg fixture), a fresh database on that server.  th_db_int and
 * th_db_exec look at a database behind the store's back (what a test
 * checks, or breaks on purpose) on either.
 */
#ifndef VIGIL_TH_DB_H
#define VIGIL_TH_DB_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int th_db_pg(const char *url)
{
    return !strncmp(url, "postgresql:", 11);
}

static inline void th_db_quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* The first column of the first row of sql as an integer, -1 if none. */
static inline long long th_db_int(const char *url, const char *sql)
{
    long long n = -1;

    if (th_db_pg(url)) {
        PGconn *c = PQconnectdb(url);
        PGresult *r;
        PQsetNoticeProcessor(c, th_db_quiet, NULL);
        r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 &&
            !PQgetisnull(r, 0, 0))
            n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        else if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fprintf(stderr, "th_db_int: %s", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *h = NULL;
        sqlite3_stmt *s = NULL;
        if (sqlite3_open(url, &h) == SQLITE_OK &&
            sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK &&
            sqlite3_step(s) == SQLITE_ROW &&
            sqlite3_column_type(s, 0) != SQLITE_NULL)
            n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(h);
    }
    return n;
}

/* Run sql; the rows it changed, or -1 on an error. */
static inline long long th_db_exec(const char *url, const char *sql)
{
    long long n = -1;

    if (th_db_pg(url)) {
        PGconn *c = PQconnectdb(url);
        PGresult *r;
        PQsetNoticeProcessor(c, th_db_quiet, NULL);
        r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_COMMAND_OK ||
            PQresultStatus(r) == PGRES_TUPLES_OK)
            n = strtoll(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *h = NULL;
        if (sqlite3_open(url, &h) == SQLITE_OK &&
            sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK)
            n = sqlite3_changes(h);
        sqlite3_close(h);
    }
    return n;
}

/* The server URL of $VIGIL_TEST_PG's folder for database name, or -1. */
static inline int th_db_pg_url(char *out, size_t n, const char *name)
{
    const char *dir = getenv("VIGIL_TEST_PG");
    char path[512], port[16] = "";
    FILE *f;

    snprintf(path, sizeof(path), "%s/port", dir);
    if (!(f = fopen(path, "r")))
        return -1;
    if (!fgets(port, sizeof(port), f))
        port[0] = 0;
    fclose(f);
    port[strcspn(port, "\n")] = 0;
    return snprintf(out, n, "postgresql://vigil@/%s?host=%s&port=%s", name,
                    dir, port) < (int)n
               ? 0
               : -1;
}

/*
 * The database a test calls name: dir/name (SQLite), or on PostgreSQL a
 * database named after name and this process, new and empty at the first
 * call for name, the same at the next.  0 or -1.
 */
static inline int th_db_url(char *out, size_t n, const char *dir,
                            const char *name)
{
    static char seen[64][64];
    char db[64], admin[600], sql[160];
    size_t k = 0;
    int i;

    if (!getenv("VIGIL_TEST_PG") || !*getenv("VIGIL_TEST_PG"))
        return snprintf(out, n, "%s/%s", dir, name) < (int)n ? 0 : -1;
    k = (size_t)snprintf(db, sizeof(db), "t%ld_", (long)getpid());
    for (const char *p = name; *p && k + 1 < sizeof(db); p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            db[k++] = *p;
    db[k] = 0;
    for (i = 0; i < 64 && seen[i][0] && strcmp(seen[i], db); i++)
        ;
    if (i < 64 && seen[i][0])
        return th_db_pg_url(out, n, db);
    if (i < 64)
        snprintf(seen[i], sizeof(seen[i]), "%s", db);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
    if (th_db_pg_url(admin, sizeof(admin), "postgres") ||
        th_db_exec(admin, sql) < 0)
        return -1;
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
    if (th_db_exec(admin, sql) < 0)
        return -1;
    return th_db_pg_url(out, n, db);
}

#endif
