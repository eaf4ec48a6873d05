/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backups (vigil/store_backup.h).  SQLite's backup API is stepped inside
 * a read transaction held on the source for the whole copy: without it, a
 * write by another process between two steps restarts the copy from its
 * first page, and under steady intake it might never end; with it, the
 * copy is that transaction's snapshot, and in WAL mode the writers go on.
 * PostgreSQL's tools get the connection from their environment (PGHOST,
 * PGPASSWORD, ...), as libpq reads it, parsed from the URL by libpq
 * itself: a password on a command line is readable by every user of the
 * machine (ps), an environment only by its owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store_int.h"
#include "vigil/store_backup.h"

int vg_store_url_is_pg(const char *url)
{
    return vg__pg_is_url(vg_store_url_path(url));
}

const char *vg_store_url_path(const char *url)
{
    return strncmp(url, "sqlite:", 7) ? url : url + 7;
}

/* ---- SQLite ---- */

static int lite_fail(sqlite3 *h, int rc, const char *what, struct vg_err *err)
{
    return vg_err_set(err, rc == SQLITE_BUSY ? VG_EBUSY : VG_EIO,
                      "%s: sqlite: %s", what,
                      h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
}

/* Step b to its end; a busy step (a writer checkpointing) is tried again. */
static int step_all(sqlite3_backup *b, int pages)
{
    int rc, busy = 0;

    while ((rc = sqlite3_backup_step(b, pages)) != SQLITE_DONE) {
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            if (++busy > 500) /* 10 s */
                return rc;
            sqlite3_sleep(20);
        } else if (rc != SQLITE_OK) {
            return rc;
        }
    }
    return SQLITE_OK;
}

/* The copy from a source whose read transaction is open. */
static int copy_pages(sqlite3 *from, const char *dst, int pages,
                      struct vg_err *err)
{
    sqlite3 *to = NULL;
    sqlite3_backup *b;
    int rc;

    rc = sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    if (!(b = sqlite3_backup_init(to, "main", from, "main"))) {
        rc = sqlite3_errcode(to);
        goto fail;
    }
    rc = step_all(b, pages);
    sqlite3_backup_finish(b);
    if (rc == SQLITE_OK)
        rc = sqlite3_errcode(to);
    /* one file, with no -wal to carry along */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    return sqlite3_close(to) == SQLITE_OK
               ? VG_OK
               : vg_err_set(err, VG_EIO, "%s: cannot close it", dst);
fail:
    rc = lite_fail(to, rc, dst, err);
    sqlite3_close(to);
    return rc;
}

int vg_store_backup_sqlite(const char *src, const char *dst, int pages,
                           struct vg_err *err)
{
    sqlite3 *from = NULL;
    struct stat sb;
    int fd, rc;

    src = vg_store_url_path(src);
    if (vg__pg_is_url(src))
        return vg_err_set(err, VG_EINVAL, "not an SQLite database");
    if (stat(src, &sb))
        return vg_err_set(err, VG_ENOENT, "%s: no such database", src);
    if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return vg_err_set(err, errno == EEXIST ? VG_EEXIST : VG_EIO, "%s: %s",
                          dst, strerror(errno));
    close(fd);
    rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(from, 10000);
        /* the snapshot: a read transaction, held to the last page */
        rc = sqlite3_exec(from, "BEGIN; SELECT count(*) FROM sqlite_schema",
                          NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK)
        rc = lite_fail(from, rc, src, err);
    else
        rc = copy_pages(from, dst, pages > 0 ? pages : 256, err);
    sqlite3_exec(from, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(from);
    if (rc)
        unlink(dst);
    return rc;
}

int vg_store_sqlite_unused(const char *path, struct vg_err *err)
{
    sqlite3 *h = NULL;
    struct stat sb;
    int rc;

    path = vg_store_url_path(path);
    if (stat(path, &sb))
        return VG_OK;
    rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL);
    /* an exclusive lock on the file, which every open connection of a
     * WAL database (its shared lock) keeps another from taking */
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h,
                          "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;"
                          " COMMIT",
                          NULL, NULL, NULL);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        rc = vg_err_set(err, VG_EBUSY,
                        "%s: another process has it open (stop vigil serve"
                        " and any crawl first)",
                        path);
    else if (rc != SQLITE_OK)
        rc = lite_fail(h, rc, path, err);
    sqlite3_close(h);
    return rc;
}

/* Each row of a PRAGMA as one line (its columns joined by spaces) to fn;
 * a lone "ok" is not a problem. */
static int pragma_rows(struct vg_store *st, const char *sql,
                       vg_store_problem_fn *fn, void *ctx, int64_t *n,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char line[512];
    int rc;

    if ((rc = st->ops->prepare(st->db, sql, &s, err)))
        return rc;
    while ((rc = st->ops->step(s, err)) == VG__ROW) {
        size_t at = 0;
        for (int i = 0; i < st->ops->ncols(s) && at < sizeof(line); i++) {
            const char *v = st->ops->col_text(s, i);
            int k = snprintf(line + at, sizeof(line) - at, "%s%s",
                             i ? " " : "", v ? v : "NULL");
            at += k > 0 ? (size_t)k : 0;
        }
        if (strcmp(line, "ok")) {
            (*n)++;
            fn(ctx, line);
        }
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

int vg_store_integrity(struct vg_store *st, int quick, vg_store_problem_fn *fn,
                       void *ctx, int64_t *problems, struct vg_err *err)
{
    int rc = VG_OK;

    *problems = 0;
    if (VG__PG(st))
        return VG_OK;
    LOCK(st);
    rc = pragma_rows(st,
                     quick ? "PRAGMA quick_check" : "PRAGMA integrity_check",
                     fn, ctx, problems, err);
    if (!rc)
        rc = pragma_rows(st, "PRAGMA foreign_key_check", fn, ctx, problems,
                         err);
    UNLOCK(st);
    return rc;
}

/* ---- PostgreSQL ---- */

int vg_store_snapshot_begin(struct vg_store *st, char *name, size_t cap,
                            struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    const char *v;
    int rc;

    if (!VG__PG(st))
        return vg_err_set(err, VG_EINVAL, "a snapshot is for PostgreSQL");
    LOCK(st);
    rc = vg__store_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                        err);
    if (!rc &&
        !(rc = vg__store_query(st, &s, err, "SELECT pg_export_snapshot()",
                               "")) &&
        (rc = st->ops->step(s, err)) == VG__ROW) {
        v = st->ops->col_text(s, 0);
        rc = v && strlen(v) < cap ? VG_OK : VG_EIO;
        if (!rc)
            memcpy(name, v, strlen(v) + 1);
    } else if (rc == VG__DONE) {
        rc = VG_EIO;
    }
    st->ops->finalize(s);
    if (rc)
        vg__store_exec(st, "ROLLBACK", NULL);
    UNLOCK(st);
    return rc;
}

void vg_store_snapshot_end(struct vg_store *st)
{
    LOCK(st);
    vg__store_exec(st, "COMMIT", NULL);
    UNLOCK(st);
}

/* url parsed by libpq: the options (PQconninfoFree them), or NULL (said). */
static PQconninfoOption *parse_url(const char *url, struct vg_err *err)
{
    PQconninfoOption *o;
    char *why = NULL;

    if (!vg__pg_is_url(url)) {
        vg_err_set(err, VG_EINVAL, "not a PostgreSQL URL");
        return NULL;
    }
    if (!(o = PQconninfoParse(url, &why)))
        vg_err_set(err, VG_EINVAL, "the PostgreSQL URL does not parse: %s",
                   why ? why : "out of memory");
    PQfreemem(why);
    return o;
}

int vg_store_pg_dbname(const char *url, char *buf, size_t cap,
                       struct vg_err *err)
{
    PQconninfoOption *o = parse_url(url, err);
    int rc = VG_EINVAL;

    for (PQconninfoOption *p = o; p && p->keyword; p++)
        if (!strcmp(p->keyword, "dbname") && p->val && *p->val &&
            strlen(p->val) < cap) {
            memcpy(buf, p->val, strlen(p->val) + 1);
            rc = VG_OK;
        }
    if (o && rc)
        vg_err_set(err, rc, "the PostgreSQL URL names no database");
    PQconninfoFree(o);
    return rc;
}

/* In the child: the environment from o, then the program. */
static void run_child(const PQconninfoOption *o, char *const argv[])
{
    for (const PQconninfoOption *p = o; p->keyword; p++)
        if (p->envvar && p->val && *p->val)
            setenv(p->envvar, p->val, 1);
    if (!getenv("PGCONNECT_TIMEOUT"))
        setenv("PGCONNECT_TIMEOUT", "10", 1);
    execvp(argv[0], argv);
    _exit(errno == ENOENT ? 127 : 126);
}

int vg_store_pg_tool(const char *url, char *const argv[], struct vg_err *err)
{
    PQconninfoOption *o = parse_url(url, err);
    int status = 0;
    pid_t pid;

    if (!o)
        return VG_EINVAL;
    fflush(NULL);
    if ((pid = fork()) == 0)
        run_child(o, argv);
    PQconninfoFree(o);
    if (pid < 0)
        return vg_err_set(err, VG_EIO, "%s: cannot start it: %s", argv[0],
                          strerror(errno));
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return vg_err_set(err, VG_EIO, "%s: %s", argv[0], strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return vg_err_set(err, VG_ENOENT,
                          "%s: not found (install the Debian package"
                          " postgresql-client)",
                          argv[0]);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        return vg_err_set(err, VG_EIO, "%s failed (%s %d)", argv[0],
                          WIFEXITED(status) ? "exit" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status)
                                            : WTERMSIG(status));
    return VG_OK;
}
