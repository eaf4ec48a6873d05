/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening a store: the URL picks the backend (a path or sqlite:PATH is
 * SQLite; a postgresql:// or postgres:// URL or a libpq connection string
 * such as "host=... dbname=..." is PostgreSQL), then the
 * migrations of store_schema.c that are missing are applied one by one,
 * each in a write transaction that first re-reads the version, so two
 * processes opening the same new database cannot both apply one.  `vigil
 * db` opens without migrating (vg_store_open_as_is), then migrates on
 * request (vg_store_migrate).
 */
#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/store_db.h"

char *vg_store_default_url(void)
{
    const char *env = getenv("VIGIL_DB"), *xdg = getenv("XDG_DATA_HOME"),
               *home = getenv("HOME");
    struct vg_buf b;

    if (env && *env)
        return vg_strdup(env);
    vg_buf_init(&b, 4096);
    if ((xdg && *xdg &&
         vg_buf_printf(&b, "%s/vigil/vigil.db", xdg) == VG_OK) ||
        (home && *home &&
         vg_buf_printf(&b, "%s/.local/share/vigil/vigil.db", home) == VG_OK))
        return b.data;
    vg_buf_fini(&b);
    return NULL;
}

/* mkdir -p of the directory holding path. */
static int make_parent(const char *path, struct vg_err *err)
{
    char *dir = vg_strdup(path), *p;
    int rc = VG_OK;

    if (!dir)
        return VG_ENOMEM;
    if ((p = strrchr(dir, '/')) && p != dir) {
        *p = '\0';
        for (p = dir + 1; *p; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            if (mkdir(dir, 0700) && errno != EEXIST)
                break;
            *p = '/';
        }
        if (mkdir(dir, 0700) && errno != EEXIST)
            rc = vg_err_set(err, VG_EIO, "%s: cannot create directory: %s",
                            dir, strerror(errno));
    }
    vg_free(dir);
    return rc;
}

int vg__store_exec(struct vg_store *st, const char *sql, struct vg_err *err)
{
    return st->ops->exec(st->db, sql, err);
}

/* ---- results' strings and arrays ---- */

/* A chunk of the pool: strings are packed from data onwards. */
struct vg_store_strings {
    struct vg_store_strings *next;
    size_t used, cap;
    char data[];
};

#define POOL_CHUNK 4000

/* n bytes of room in the pool, in a new chunk when the last is full; NULL
 * (and *oom set) when out of memory. */
static char *pool_room(struct vg_store_strings **pool, size_t n, int *oom)
{
    struct vg_store_strings *c = *pool;
    char *d;

    if (!c || c->cap - c->used < n) {
        size_t cap = n > POOL_CHUNK ? n : POOL_CHUNK;
        if (!(c = vg_malloc(sizeof(*c) + cap))) {
            *oom = 1;
            return NULL;
        }
        c->next = *pool;
        c->used = 0;
        c->cap = cap;
        *pool = c;
    }
    d = c->data + c->used;
    c->used += n;
    return d;
}

int vg__store_query(struct vg_store *st, struct vg__stmt **out,
                    struct vg_err *err, const char *sql, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vg__store_vquery(st, out, err, sql, fmt, ap);
    va_end(ap);
    return rc;
}

int vg__store_vquery(struct vg_store *st, struct vg__stmt **out,
                     struct vg_err *err, const char *sql, const char *fmt,
                     va_list ap)
{
    struct vg__stmt *s = NULL;
    int rc, i = 1;

    if ((rc = st->ops->prepare(st->db, sql, &s, err)))
        return rc;
    for (; *fmt && !rc; fmt++, i++) {
        if (*fmt == 'i') {
            rc = st->ops->bind_int(s, i, va_arg(ap, int64_t));
        } else if (*fmt == 't') {
            rc = st->ops->bind_text(s, i, va_arg(ap, const char *));
        } else {
            const void *p = va_arg(ap, const void *);
            rc = st->ops->bind_blob(s, i, p, va_arg(ap, size_t));
        }
    }
    if (rc) {
        st->ops->finalize(s);
        return vg_err_set(err, rc, "cannot bind a query parameter");
    }
    *out = s;
    return VG_OK;
}

int vg__store_scalar(struct vg_store *st, struct vg__stmt *s, int64_t *out,
                     struct vg_err *err)
{
    int rc = st->ops->step(s, err);

    if (rc == VG__ROW) {
        *out = st->ops->col_int(s, 0);
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = VG_ENOENT;
    }
    st->ops->finalize(s);
    return rc;
}

int vg__store_run(struct vg_store *st, struct vg__stmt *s, struct vg_err *err)
{
    int rc = st->ops->step(s, err);

    st->ops->finalize(s);
    return rc == VG__DONE || rc == VG__ROW ? VG_OK : rc;
}

char *vg__store_text(struct vg_store *st, struct vg__stmt *s, int i,
                     struct vg_store_strings **pool, int *oom)
{
    const char *t = st->ops->col_text(s, i);
    size_t n;
    char *d;

    if (!t)
        return NULL;
    n = strlen(t) + 1;
    if ((d = pool_room(pool, n, oom)))
        memcpy(d, t, n);
    return d;
}

char *vg__store_hex(struct vg_store *st, struct vg__stmt *s, int i,
                    struct vg_store_strings **pool, int *oom)
{
    size_t n = 0;
    const uint8_t *b = st->ops->col_blob(s, i, &n);
    char *d;

    if (!b)
        return NULL;
    if ((d = pool_room(pool, 2 * n + 1, oom)))
        vg_hex_encode(b, n, d);
    return d;
}

void vg__store_strings_free(struct vg_store_strings *pool)
{
    while (pool) {
        struct vg_store_strings *next = pool->next;
        vg_free(pool);
        pool = next;
    }
}

int vg__store_grow(void *v, size_t *cap, size_t n, size_t size)
{
    void **pv = v;
    size_t want;
    char *p;

    if (n < *cap)
        return VG_OK;
    want = *cap ? 2 * *cap : 16;
    if (!(p = vg_reallocarray(*pv, want, size)))
        return VG_ENOMEM;
    memset(p + *cap * size, 0, (want - *cap) * size);
    *pv = p;
    *cap = want;
    return VG_OK;
}

int vg__store_collect(struct vg_store *st, struct vg__stmt *s, void *v,
                      size_t *n, size_t size, vg__store_row_fn *row,
                      struct vg_store_strings **pool, struct vg_err *err)
{
    char **pv = v;
    size_t cap = 0;
    int rc, oom = 0;

    while ((rc = st->ops->step(s, err)) == VG__ROW &&
           !(rc = vg__store_grow(v, &cap, *n, size)))
        row(st, s, *pv + (*n)++ * size, pool, &oom);
    st->ops->finalize(s);
    return oom ? VG_ENOMEM : rc == VG__DONE ? VG_OK : rc;
}

int vg__store_list(struct vg_store *st, void *v, size_t *n, size_t size,
                   vg__store_row_fn *row, struct vg_store_strings **pool,
                   struct vg_err *err, const char *sql, const char *fmt, ...)
{
    struct vg__stmt *s = NULL;
    va_list ap;
    int rc;

    LOCK(st);
    va_start(ap, fmt);
    rc = vg__store_vquery(st, &s, err, sql, fmt, ap);
    va_end(ap);
    if (!rc)
        rc = vg__store_collect(st, s, v, n, size, row, pool, err);
    UNLOCK(st);
    return rc;
}

int vg__store_one(struct vg_store *st, struct vg__stmt *s, void *elem,
                  vg__store_row_fn *row, struct vg_store_strings **pool,
                  struct vg_err *err)
{
    int rc, oom = 0;

    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        row(st, s, elem, pool, &oom);
        rc = oom ? VG_ENOMEM : VG_OK;
    } else if (rc == VG__DONE) {
        rc = VG_ENOENT;
    }
    st->ops->finalize(s);
    return rc;
}

/* ---- the lock, and refusing a call from inside a callback ---- */

static int refuse(struct vg_err *err)
{
    return vg_err_set(err, VG_EBUSY,
                      "the store was called while this thread holds it (from"
                      " a callback, or during an import): see store.h");
}
static int refuse_exec(struct vg__db *db, const char *sql, struct vg_err *err)
{
    (void)db, (void)sql;
    return refuse(err);
}
static int refuse_prepare(struct vg__db *db, const char *sql,
                          struct vg__stmt **out, struct vg_err *err)
{
    (void)db, (void)sql;
    *out = NULL;
    return refuse(err);
}
static int refuse_bind_int(struct vg__stmt *s, int i, int64_t v)
{
    (void)s, (void)i, (void)v;
    return VG_EBUSY;
}
static int refuse_bind_text(struct vg__stmt *s, int i, const char *v)
{
    (void)s, (void)i, (void)v;
    return VG_EBUSY;
}
static int refuse_bind_blob(struct vg__stmt *s, int i, const void *v, size_t n)
{
    (void)s, (void)i, (void)v, (void)n;
    return VG_EBUSY;
}
static int refuse_step(struct vg__stmt *s, struct vg_err *err)
{
    (void)s;
    return refuse(err);
}
static int64_t refuse_col_int(struct vg__stmt *s, int i)
{
    (void)s, (void)i;
    return 0;
}
static const char *refuse_col_text(struct vg__stmt *s, int i)
{
    (void)s, (void)i;
    return NULL;
}
static const uint8_t *refuse_col_blob(struct vg__stmt *s, int i, size_t *n)
{
    (void)s, (void)i;
    *n = 0;
    return NULL;
}
static int refuse_ncols(struct vg__stmt *s)
{
    (void)s;
    return 0;
}
static const char *refuse_col_name(struct vg__stmt *s, int i)
{
    (void)s, (void)i;
    return "";
}
static int refuse_col_type(struct vg__stmt *s, int i)
{
    (void)s, (void)i;
    return VG__T_NULL;
}
static int refuse_reset(struct vg__stmt *s)
{
    (void)s;
    return VG_EBUSY;
}
static void refuse_finalize(struct vg__stmt *s)
{
    (void)s;
}
static int64_t refuse_changes(struct vg__db *db)
{
    (void)db;
    return 0;
}
static int refuse_begin(struct vg__db *db, struct vg_err *err)
{
    (void)db;
    return refuse(err);
}
static void refuse_close(struct vg__db *db)
{
    (void)db;
}

/* What a call made by the holding thread runs on: nothing happens. */
static const struct vg__db_ops refused_ops = {
    .name = "refused",
    .id_pk = "",
    .blob = "",
    .exec = refuse_exec,
    .prepare = refuse_prepare,
    .bind_int = refuse_bind_int,
    .bind_text = refuse_bind_text,
    .bind_blob = refuse_bind_blob,
    .step = refuse_step,
    .col_int = refuse_col_int,
    .col_text = refuse_col_text,
    .col_blob = refuse_col_blob,
    .ncols = refuse_ncols,
    .col_name = refuse_col_name,
    .col_type = refuse_col_type,
    .reset = refuse_reset,
    .finalize = refuse_finalize,
    .changes = refuse_changes,
    .begin_write = refuse_begin,
    .close = refuse_close,
};

/* Callbacks this thread is inside of that were called without the store
 * held (vg__store_callback_begin). */
static _Thread_local int in_callback;

void vg__store_lock(struct vg_store *st)
{
    pthread_mutex_lock(&st->lock);
    /* depth and refused_at are only touched by the thread holding it */
    st->depth++;
    if (!st->refused_at && (st->depth > 1 || in_callback)) {
        st->ops_held = st->ops;
        st->ops = &refused_ops;
        st->refused_at = st->depth;
    }
}

void vg__store_unlock(struct vg_store *st)
{
    if (st->refused_at == st->depth) {
        st->ops = st->ops_held;
        st->refused_at = 0;
    }
    st->depth--;
    pthread_mutex_unlock(&st->lock);
}

void vg__store_callback_begin(void)
{
    in_callback++;
}

void vg__store_callback_end(void)
{
    in_callback--;
}

int vg__store_begin_crawl(struct vg_store *st, struct vg_err *err)
{
    int rc;

    if (!VG__PG(st))
        return st->ops->begin_write(st->db, err);
    /* one round trip: this runs per fetch in a crawl worker */
    if ((rc = st->ops->exec(st->db,
                            "BEGIN; SET LOCAL synchronous_commit = off", err)))
        st->ops->exec(st->db, "ROLLBACK", NULL);
    return rc;
}

int vg__store_end(struct vg_store *st, int rc, struct vg_err *err)
{
    if (!rc && !(rc = vg__store_exec(st, "COMMIT", err))) {
        vg__store_audit_committed(st);
        return VG_OK;
    }
    vg__store_exec(st, "ROLLBACK", NULL);
    vg__store_audit_rolled_back(st);
    return rc;
}

/*
 * sql with {ID} and {BLOB} replaced by the backend's types and, on
 * PostgreSQL, INTEGER by BIGINT (SQLite's integers are 64-bit).  A
 * statement that starts {SQLITE} or {PG} is for that backend only: *skip
 * is set on the other.
 */
static char *dialect(const struct vg__db_ops *ops, const char *sql, int *skip)
{
    struct vg_buf b;

    *skip = 0;
    if (!strncmp(sql, "{SQLITE}", 8) || !strncmp(sql, "{PG}", 4)) {
        *skip = (sql[1] == 'P') != ops->pg;
        sql = strchr(sql, '}') + 1;
    }
    vg_buf_init(&b, 1 << 20);
    while (*sql) {
        const char *rep = NULL;
        size_t skip_n = 0;
        if (!strncmp(sql, "{ID}", 4))
            rep = ops->id_pk, skip_n = 4;
        else if (!strncmp(sql, "{BLOB}", 6))
            rep = ops->blob, skip_n = 6;
        else if (ops->pg && !strncmp(sql, "INTEGER", 7))
            rep = "BIGINT", skip_n = 7;
        if (rep ? vg_buf_puts(&b, rep) : vg_buf_append(&b, sql, 1)) {
            vg_buf_fini(&b);
            return NULL;
        }
        sql += rep ? skip_n : 1;
    }
    if (vg_buf_append(&b, "", 1)) {
        vg_buf_fini(&b);
        return NULL;
    }
    return b.data;
}

static int read_version(struct vg_store *st, int *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t v = 0;
    int rc;

    if ((rc = st->ops->prepare(st->db,
                               "SELECT COALESCE(MAX(version), 0) "
                               "FROM schema_migrations",
                               &s, err)))
        return rc;
    if ((rc = vg__store_scalar(st, s, &v, err)) == VG_ENOENT)
        return vg_err_set(err, VG_EINTERNAL, "no schema version");
    if (!rc)
        *out = (int)v;
    return rc;
}

/* Apply migration v inside the open transaction. */
static int apply(struct vg_store *st, int v, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    const char *sql;
    int rc = VG_OK;

    for (int i = 0; (sql = vg__schema_sql(v, i)) && !rc; i++) {
        int skip;
        char *x = dialect(st->ops, sql, &skip);
        if (!x)
            return VG_ENOMEM;
        if (!skip)
            rc = st->ops->exec(st->db, x, err);
        vg_free(x);
    }
    if (rc)
        return rc;
    if ((rc = st->ops->prepare(st->db,
                               "INSERT INTO schema_migrations "
                               "(version, description, applied_at) "
                               "VALUES (?, ?, ?)",
                               &s, err)))
        return rc;
    st->ops->bind_int(s, 1, v);
    st->ops->bind_text(s, 2, vg__schema_desc(v));
    st->ops->bind_int(s, 3, (int64_t)time(NULL));
    rc = st->ops->step(s, err);
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

/* The store's own table, where the version is kept (created even by an
 * open that does not migrate, so a new database reads as version 0),
 * under the write lock: nodes that start at once wait for the first. */
static int versions_table(struct vg_store *st, struct vg_err *err)
{
    int rc;

    if ((rc = st->ops->begin_write(st->db, err)))
        return rc;
    if ((rc = vg__store_exec(st,
                             "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version BIGINT PRIMARY KEY,"
                             " description TEXT NOT NULL,"
                             " applied_at BIGINT NOT NULL)",
                             err)) ||
        (rc = vg__store_exec(st, "COMMIT", err)))
        vg__store_exec(st, "ROLLBACK", NULL);
    return rc;
}

/* Apply the migrations up to target that are missing; *from is the
 * version found first (NULL: not wanted). */
static int migrate(struct vg_store *st, int target, int *from,
                   struct vg_err *err)
{
    int latest = vg__schema_count(), cur = 0, first = 1, rc;

    if ((rc = versions_table(st, err)))
        return rc;
    for (;;) {
        if ((rc = st->ops->begin_write(st->db, err)))
            return rc;
        if ((rc = read_version(st, &cur, err)))
            break;
        if (first && from)
            *from = cur;
        first = 0;
        if (cur > latest) {
            rc = vg_err_set(err, VG_EVERSION,
                            "database schema version %d is newer than this "
                            "vigil knows (%d): upgrade vigil",
                            cur, latest);
            break;
        }
        if (cur >= target) {
            rc = vg__store_exec(st, "COMMIT", err);
            return rc;
        }
        if ((rc = apply(st, cur + 1, err)) ||
            (rc = vg__store_exec(st, "COMMIT", err)))
            break;
    }
    vg__store_exec(st, "ROLLBACK", NULL);
    return rc;
}

int vg_store_migrate(struct vg_store *st, int target, int *from, int *to,
                     struct vg_err *err)
{
    int rc;

    *from = *to = 0;
    if (!target)
        target = vg__schema_count();
    if (target < 1 || target > vg__schema_count())
        return vg_err_set(err, VG_EINVAL, "no schema version %d", target);
    LOCK(st);
    if (!(rc = migrate(st, target, from, err)) &&
        !(rc = read_version(st, to, err)))
        st->schema = *to;
    UNLOCK(st);
    return rc;
}

/* After an open that does not migrate: the version as it is. */
static int open_as_is(struct vg_store *st, struct vg_err *err)
{
    int rc;

    if (!(rc = versions_table(st, err)))
        rc = read_version(st, &st->schema, err);
    return rc;
}

static int file_there(const char *path, struct vg_err *err)
{
    struct stat sb;
    char masked[256];

    if (!strcmp(path, ":memory:") || !stat(path, &sb))
        return VG_OK;
    return vg_err_set(err, VG_ENOENT, "%s: no such database",
                      vg_store_url_mask(path, masked, sizeof(masked)));
}

static int recursive_mutex(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc;

    if (pthread_mutexattr_init(&a))
        return -1;
    rc = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE) ||
         pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
    return rc;
}

/* Open, then migrate up to target (as_is: not at all, and a missing
 * SQLite file is refused unless create). */
/* vg__pg_open, its error naming the server by the URL without its
 * password */
static int pg_open(const char *url, struct vg__db **db, struct vg_err *err)
{
    char masked[256], why[sizeof(err->msg)];
    int rc = vg__pg_open(url, db, err);

    if (rc && err) {
        snprintf(why, sizeof(why), "%s", err->msg);
        vg_err_set(err, rc, "%s: %s",
                   vg_store_url_mask(url, masked, sizeof(masked)), why);
    }
    return rc;
}

static int open_store(const char *url, int target, int as_is, int create,
                      struct vg_store **out, struct vg_err *err)
{
    struct vg_store *st = NULL;
    int rc;

    *out = NULL;
    if (!url || !*url)
        return vg_err_set(err, VG_EINVAL, "no database given");
    if (target < 1 || target > vg__schema_count())
        return vg_err_set(err, VG_EINVAL, "no schema version %d", target);
    if (!strncmp(url, "sqlite:", 7))
        url += 7;
    if (as_is && !create && !vg__pg_is_url(url) && (rc = file_there(url, err)))
        return rc;
    if (!(st = vg_calloc(1, sizeof(*st))))
        return VG_ENOMEM;
    if (recursive_mutex(&st->lock)) {
        vg_free(st);
        return VG_ENOMEM;
    }
    if (pthread_mutex_init(&st->keys_lock, NULL)) {
        pthread_mutex_destroy(&st->lock);
        vg_free(st);
        return VG_ENOMEM;
    }
    st->ops = vg__pg_is_url(url) ? &vg__pg_ops : &vg__sqlite_ops;
    st->audit_head_fd = -1;
    if (st->ops->pg)
        rc = pg_open(url, &st->db, err);
    else if (!(rc = make_parent(url, err)))
        rc = vg__sqlite_open(url, &st->db, err);
    if (rc)
        goto fail;
    if (as_is) {
        if ((rc = open_as_is(st, err)))
            goto fail;
    } else if ((rc = migrate(st, target, NULL, err))) {
        goto fail;
    } else {
        st->schema = target;
    }
    *out = st;
    return VG_OK;
fail:
    vg_store_close(st);
    return rc;
}

int vg_store_open(const char *url, const struct vg_store_opts *opts,
                  struct vg_store **out, struct vg_err *err)
{
    return open_store(url,
                      opts && opts->schema_version ? opts->schema_version
                                                   : vg__schema_count(),
                      0, 1, out, err);
}

int vg_store_open_as_is(const char *url, int create, struct vg_store **out,
                        struct vg_err *err)
{
    return open_store(url, vg__schema_count(), 1, create, out, err);
}

void vg_store_close(struct vg_store *st)
{
    if (!st)
        return;
    if (st->db)
        st->ops->close(st->db);
    vg__store_audit_close(st);
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->keys_lock);
    vg_free(st);
}

int vg_store_schema_version(struct vg_store *st, int *out, struct vg_err *err)
{
    int rc;

    LOCK(st);
    rc = read_version(st, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_schema_latest(void)
{
    return vg__schema_count();
}

const char *vg_store_schema_desc(int v)
{
    return vg__schema_desc(v);
}

const char *vg_store_backend(const struct vg_store *st)
{
    return st->ops->name;
}
