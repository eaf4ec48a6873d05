/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Opening a store: the URL picks the backend (a path or sqlite:PATH is
 * SQLite; postgresql:// is reserved for the PostgreSQL backend), then the
 * migrations of store_schema.c that are missing are applied one by one,
 * each in a write transaction that first re-reads the version, so two
 * processes opening the same new database cannot both apply one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"

char *vg_store_default_url(void)
{
    const char *env = getenv("VIGIL_DB"), *xdg = getenv("XDG_DATA_HOME"),
               *home = getenv("HOME");
    struct vg_buf b;

    if (env && *env)
        return vg_strdup(env);
    vg_buf_init(&b, 4096);
    if ((xdg && *xdg && vg_buf_printf(&b, "%s/vigil/vigil.db", xdg) == VG_OK) ||
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

static json_t *column(struct vg_store *st, struct vg__stmt *s, int i)
{
    const uint8_t *b;
    char *hex;
    json_t *v;
    size_t n;

    switch (st->ops->col_kind(s, i)) {
    case VG__NULL: return json_null();
    case VG__INT: return json_integer(st->ops->col_int(s, i));
    case VG__TEXT: return json_string(st->ops->col_text(s, i));
    default:
        b = st->ops->col_blob(s, i, &n);
        if (!(hex = vg_malloc(2 * n + 1)))
            return NULL;
        vg_hex_encode(b, n, hex);
        v = json_string(hex);
        vg_free(hex);
        return v;
    }
}

int vg__store_json(struct vg_store *st, struct vg__stmt *s, int one,
                   json_t **out, struct vg_err *err)
{
    json_t *all = json_array();
    int rc = VG_ENOMEM, n = st->ops->ncols(s);

    if (!all)
        goto out;
    while ((rc = st->ops->step(s, err)) == VG__ROW) {
        json_t *row = json_object();
        if (!row || json_array_append_new(all, row)) {
            rc = VG_ENOMEM;
            goto out;
        }
        for (int i = 0; i < n; i++)
            if (json_object_set_new(row, st->ops->col_name(s, i),
                                    column(st, s, i))) {
                rc = VG_ENOMEM;
                goto out;
            }
        if (one) {
            rc = VG__DONE;
            break;
        }
    }
    if (rc != VG__DONE)
        goto out;
    if (one && !json_array_size(all)) {
        rc = VG_ENOENT;
        goto out;
    }
    *out = json_incref(one ? json_array_get(all, 0) : all);
    rc = VG_OK;
out:
    st->ops->finalize(s);
    json_decref(all);
    return rc;
}

int vg__store_end(struct vg_store *st, int rc, struct vg_err *err)
{
    if (!rc)
        return vg__store_exec(st, "COMMIT", err);
    vg__store_exec(st, "ROLLBACK", NULL);
    return rc;
}

/* sql with {ID} and {BLOB} replaced by the backend's types. */
static char *dialect(const struct vg__db_ops *ops, const char *sql)
{
    struct vg_buf b;

    vg_buf_init(&b, 1 << 20);
    while (*sql) {
        const char *rep = NULL;
        size_t skip = 0;
        if (!strncmp(sql, "{ID}", 4))
            rep = ops->id_pk, skip = 4;
        else if (!strncmp(sql, "{BLOB}", 6))
            rep = ops->blob, skip = 6;
        if (rep ? vg_buf_puts(&b, rep) : vg_buf_append(&b, sql, 1)) {
            vg_buf_fini(&b);
            return NULL;
        }
        sql += rep ? skip : 1;
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
        char *x = dialect(st->ops, sql);
        if (!x)
            return VG_ENOMEM;
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

static int migrate(struct vg_store *st, int target, struct vg_err *err)
{
    int latest = vg__schema_count(), cur = 0, rc;

    if ((rc = vg__store_exec(st,
                             "CREATE TABLE IF NOT EXISTS schema_migrations ("
                             " version INTEGER PRIMARY KEY,"
                             " description TEXT NOT NULL,"
                             " applied_at INTEGER NOT NULL)",
                             err)))
        return rc;
    for (;;) {
        if ((rc = st->ops->begin_write(st->db, err)))
            return rc;
        if ((rc = read_version(st, &cur, err)))
            break;
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

int vg_store_open(const char *url, const struct vg_store_opts *opts,
                  struct vg_store **out, struct vg_err *err)
{
    struct vg_store *st = NULL;
    int target = opts && opts->schema_version ? opts->schema_version
                                              : vg__schema_count();
    int rc;

    *out = NULL;
    if (!url || !*url)
        return vg_err_set(err, VG_EINVAL, "no database given");
    if (target < 1 || target > vg__schema_count())
        return vg_err_set(err, VG_EINVAL, "no schema version %d", target);
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
        return vg_err_set(err, VG_EFORMAT,
                          "%s: PostgreSQL is not supported yet; use a file "
                          "path (SQLite)",
                          url);
    if (!strncmp(url, "sqlite:", 7))
        url += 7;
    if (!(st = vg_calloc(1, sizeof(*st))))
        return VG_ENOMEM;
    if (pthread_mutex_init(&st->lock, NULL)) {
        vg_free(st);
        return VG_ENOMEM;
    }
    if (pthread_mutex_init(&st->keys_lock, NULL)) {
        pthread_mutex_destroy(&st->lock);
        vg_free(st);
        return VG_ENOMEM;
    }
    st->ops = &vg__sqlite_ops;
    if ((rc = make_parent(url, err)) ||
        (rc = vg__sqlite_open(url, &st->db, err)) ||
        (rc = migrate(st, target, err)))
        goto fail;
    st->schema = target;
    *out = st;
    return VG_OK;
fail:
    vg_store_close(st);
    return rc;
}

void vg_store_close(struct vg_store *st)
{
    if (!st)
        return;
    if (st->db)
        st->ops->close(st->db);
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->keys_lock);
    vg_free(st);
}

int vg_store_schema_version(struct vg_store *st, int *out, struct vg_err *err)
{
    int rc;

    pthread_mutex_lock(&st->lock);
    rc = read_version(st, out, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int vg_store_schema_latest(void)
{
    return vg__schema_count();
}
