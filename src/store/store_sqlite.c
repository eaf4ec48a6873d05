/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite backend's primitives (store_int.h).  A database is opened in
 * WAL mode with synchronous=FULL (a committed transaction survives a crash
 * of the process and of the machine), foreign keys on, and a 10 s busy
 * timeout so a second process waits for a writer instead of failing.
 * Prepared statements are kept for reuse, keyed by their SQL text: the
 * store's SQL is a small fixed set, and a crawl runs the same few
 * statements millions of times.
 *
 * The files hold reports, notes and password hashes, so they are their
 * owner's only: a new database is made 0600 before SQLite opens it (SQLite
 * gives -wal and -shm the database's mode), and a database, -wal or -shm
 * that other users can read is refused, as the sealing key is.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"

#define STMT_CACHE 64

struct vg__stmt {
    sqlite3_stmt *h;
    struct vg__db *db;
    char *sql;  /* a cached statement's text; NULL: not cached */
    int in_use; /* cached and handed out */
};

struct vg__db {
    sqlite3 *h;
    struct vg__stmt cache[STMT_CACHE];
    unsigned next; /* the slot to reuse when all are taken */
};

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return VG_ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return VG_EBUSY;
    case SQLITE_CONSTRAINT:
        return VG_EEXIST;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return VG_ECORRUPT;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
        return VG_EACCES;
    case SQLITE_TOOBIG:
        return VG_ETOOBIG;
    default:
        return VG_EIO;
    }
}

static int fail(sqlite3 *h, int rc, struct vg_err *err)
{
    return vg_err_set(err, map_rc(rc), "sqlite: %s",
                      h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
}

static int db_exec(struct vg__db *db, const char *sql, struct vg_err *err)
{
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? VG_OK : fail(db->h, rc, err);
}

static int db_prepare(struct vg__db *db, const char *sql,
                      struct vg__stmt **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    sqlite3_stmt *h = NULL;
    int rc;

    *out = NULL;
    for (unsigned i = 0; i < STMT_CACHE; i++) {
        s = &db->cache[i];
        if (s->sql && !s->in_use && !strcmp(s->sql, sql)) {
            s->in_use = 1;
            *out = s;
            return VG_OK;
        }
    }
    rc = sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &h,
                            NULL);
    if (rc != SQLITE_OK)
        return fail(db->h, rc, err);
    /* keep it in a free slot, else in the next one not in use */
    s = NULL;
    for (unsigned k = 0; k < STMT_CACHE && !s; k++) {
        struct vg__stmt *c = &db->cache[(db->next + k) % STMT_CACHE];
        if (!c->in_use)
            s = c;
    }
    if (s) {
        char *text = vg_strdup(sql);
        if (!text) {
            sqlite3_finalize(h);
            return VG_ENOMEM;
        }
        db->next = (unsigned)(s - db->cache + 1) % STMT_CACHE;
        sqlite3_finalize(s->h);
        vg_free(s->sql);
        s->sql = text;
        s->in_use = 1;
    } else if (!(s = vg_calloc(1, sizeof(*s)))) {
        sqlite3_finalize(h);
        return VG_ENOMEM;
    }
    s->h = h;
    s->db = db;
    *out = s;
    return VG_OK;
}

static int bind_int(struct vg__stmt *s, int i, int64_t v)
{
    return sqlite3_bind_int64(s->h, i, v) == SQLITE_OK ? VG_OK : VG_EINVAL;
}

static int bind_text(struct vg__stmt *s, int i, const char *v)
{
    int rc = v ? sqlite3_bind_text(s->h, i, v, -1, SQLITE_STATIC)
               : sqlite3_bind_null(s->h, i);
    return rc == SQLITE_OK ? VG_OK : VG_EINVAL;
}

static int bind_blob(struct vg__stmt *s, int i, const void *v, size_t n)
{
    return sqlite3_bind_blob(s->h, i, v, (int)n, SQLITE_STATIC) == SQLITE_OK
               ? VG_OK
               : VG_EINVAL;
}

static int step(struct vg__stmt *s, struct vg_err *err)
{
    int rc = sqlite3_step(s->h);

    if (rc == SQLITE_ROW)
        return VG__ROW;
    if (rc == SQLITE_DONE)
        return VG__DONE;
    return fail(s->db->h, rc, err);
}

static int64_t col_int(struct vg__stmt *s, int i)
{
    return sqlite3_column_int64(s->h, i);
}

static const char *col_text(struct vg__stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s->h, i);
}

static const uint8_t *col_blob(struct vg__stmt *s, int i, size_t *n)
{
    const uint8_t *p = sqlite3_column_blob(s->h, i);

    *n = (size_t)sqlite3_column_bytes(s->h, i);
    return p;
}

static int ncols(struct vg__stmt *s)
{
    return sqlite3_column_count(s->h);
}

static const char *col_name(struct vg__stmt *s, int i)
{
    return sqlite3_column_name(s->h, i);
}

/* No column of the schema is REAL: a float (put there by hand) is copied
 * as its text. */
static int col_type(struct vg__stmt *s, int i)
{
    switch (sqlite3_column_type(s->h, i)) {
    case SQLITE_NULL:
        return VG__T_NULL;
    case SQLITE_INTEGER:
        return VG__T_INT;
    case SQLITE_BLOB:
        return VG__T_BLOB;
    default:
        return VG__T_TEXT;
    }
}

static int reset(struct vg__stmt *s)
{
    sqlite3_reset(s->h);
    return sqlite3_clear_bindings(s->h) == SQLITE_OK ? VG_OK : VG_EIO;
}

static void finalize(struct vg__stmt *s)
{
    if (!s)
        return;
    if (s->sql) { /* cached: back to the cache, ready for the next use */
        sqlite3_reset(s->h);
        sqlite3_clear_bindings(s->h);
        s->in_use = 0;
        return;
    }
    sqlite3_finalize(s->h);
    vg_free(s);
}

static int64_t changes(struct vg__db *db)
{
    return sqlite3_changes64(db->h);
}

static int begin_write(struct vg__db *db, struct vg_err *err)
{
    return db_exec(db, "BEGIN IMMEDIATE", err);
}

static void db_close(struct vg__db *db)
{
    if (!db)
        return;
    for (unsigned i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(db->cache[i].h);
        vg_free(db->cache[i].sql);
    }
    sqlite3_close_v2(db->h);
    vg_free(db);
}

const struct vg__db_ops vg__sqlite_ops = {
    .name = "sqlite",
    .id_pk = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .blob = "BLOB",
    .exec = db_exec,
    .prepare = db_prepare,
    .bind_int = bind_int,
    .bind_text = bind_text,
    .bind_blob = bind_blob,
    .step = step,
    .col_int = col_int,
    .col_text = col_text,
    .col_blob = col_blob,
    .ncols = ncols,
    .col_name = col_name,
    .col_type = col_type,
    .reset = reset,
    .finalize = finalize,
    .changes = changes,
    .begin_write = begin_write,
    .close = db_close,
};

/* Make path 0600 if missing; refuse it (or its -wal, -shm) if open to the
 * group or others, with the chmod that fixes it. */
static int owner_only(const char *path, struct vg_err *err)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    struct vg_buf fix, name;
    const char *first = NULL;
    unsigned mode = 0;
    struct stat sb;
    int fd, rc = VG_OK;

    if (!strcmp(path, ":memory:"))
        return VG_OK;
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
        close(fd); /* new: SQLite fills it; an error is left to SQLite */
    vg_buf_init(&fix, 0);
    vg_buf_init(&name, 0);
    for (size_t i = 0; !rc && i < sizeof(suffix) / sizeof(*suffix); i++) {
        vg_buf_reset(&name);
        if ((rc = vg_buf_printf(&name, "%s%s", path, suffix[i])) ||
            stat(name.data, &sb) || !(sb.st_mode & (S_IRWXG | S_IRWXO)))
            continue; /* absent, or its owner's only */
        if (!first) {
            first = suffix[i];
            mode = (unsigned)sb.st_mode & 07777;
        }
        rc = vg_buf_printf(&fix, " %s", name.data);
    }
    if (!rc && first)
        rc = vg_err_set(err, VG_EACCES,
                        "%s%s: other users can read it (mode %04o), and the"
                        " store holds reports and password hashes; make it"
                        " its owner's only: chmod 600%s",
                        path, first, mode, fix.data);
    vg_buf_fini(&fix);
    vg_buf_fini(&name);
    return rc;
}

int vg__sqlite_open(const char *path, struct vg__db **out, struct vg_err *err)
{
    static const char setup[] = "PRAGMA foreign_keys=ON;"
                                "PRAGMA synchronous=FULL;"
                                "PRAGMA cache_size=-131072;";
    struct vg__db *db;
    sqlite3_stmt *st = NULL;
    int rc;

    *out = NULL;
    if ((rc = owner_only(path, err)))
        return rc;
    if (!(db = vg_calloc(1, sizeof(*db))))
        return VG_ENOMEM;
    rc = sqlite3_open_v2(path, &db->h,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                         NULL);
    if (rc != SQLITE_OK) {
        rc = vg_err_set(err, map_rc(rc), "%s: cannot open: %s", path,
                        db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(db->h, 10000);
    /* WAL: readers never block the writer.  The answer says if it took:
     * while another connection is opening the same new file the switch
     * cannot be made and the old mode comes back, so try again a while. */
    for (int tries = 0;; tries++) {
        const char *mode = NULL;

        rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode=WAL", -1, &st,
                                NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
            mode = (const char *)sqlite3_column_text(st, 0);
        if (mode && !strcmp(mode, "wal")) {
            sqlite3_finalize(st);
            break;
        }
        rc = sqlite3_errcode(db->h);
        sqlite3_finalize(st);
        st = NULL;
        if (rc == SQLITE_NOTADB || tries == 200) {
            rc = vg_err_set(err, rc == SQLITE_NOTADB ? VG_ECORRUPT : VG_EBUSY,
                            "%s: %s", path,
                            rc == SQLITE_NOTADB
                                ? "not a Vigil database (not an SQLite file)"
                                : "cannot switch to WAL mode (busy)");
            goto fail;
        }
        sqlite3_sleep(50);
    }
    if ((rc = sqlite3_exec(db->h, setup, NULL, NULL, NULL)) != SQLITE_OK) {
        rc = fail(db->h, rc, err);
        goto fail;
    }
    *out = db;
    return VG_OK;
fail:
    db_close(db);
    return rc;
}
