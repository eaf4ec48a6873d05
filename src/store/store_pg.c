/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL backend's primitives (store_int.h), over libpq.  The
 * store's SQL is written with `?` parameters; prepare rewrites them to
 * `$1`, `$2`... (outside quoted literals) and keeps the statement
 * prepared on the server, named by its slot in a cache keyed by the SQL
 * text, so a crawl's few statements are parsed and planned once per
 * connection.  Parameters go as text (integers, strings) or binary (byte
 * strings, into bytea); results come back as text, integers parsed with
 * strtoll (a boolean as 1 or 0) and bytea decoded from its hex form.
 *
 * begin_write is `BEGIN` and a transaction-scoped advisory lock that every
 * node takes for its writes: the same guarantee as SQLite's BEGIN
 * IMMEDIATE (a transaction that reads and then writes, such as the audit
 * chain's next record, cannot race another writer), held only until
 * COMMIT or ROLLBACK.  Statements that need no such order (the frontier
 * lease) use their own row locks instead (docs/STORE-BACKENDS.md).
 *
 * Errors name the SQLSTATE class: 23 (a constraint) is VG_EEXIST as a
 * constraint is on SQLite, 40 (serialization, deadlock) VG_EBUSY, 08 and
 * a lost connection VG_EIO, 53 VG_ENOMEM, 54 VG_ETOOBIG.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"

#define STMT_CACHE 256
#define MAX_PARAMS 65535 /* the protocol's limit */
/* every node's writers take this lock (pg_advisory_xact_lock's key) */
#define WRITE_LOCK_KEY 0x76696731 /* "vig1" */

struct vg__stmt {
    struct vg__db *db;
    char *sql;    /* the store's text (the cache key) */
    char *pgsql;  /* with $n parameters */
    char name[8]; /* the server-side name; "" if not prepared */
    int in_use, cached, nparams;
    /* the bound values (NULL: SQL NULL), lengths and formats */
    char **val;
    int *len, *fmt;
    PGresult *res;
    int row, nrows;
    /* each column's bytea decoded for the current row (nblob columns) */
    struct blob {
        uint8_t *p;
        size_t cap;
    } * blob;
    int nblob;
};

struct vg__db {
    PGconn *c;
    struct vg__stmt cache[STMT_CACHE];
    unsigned used;
    int64_t changes;
    int in_tx; /* a BEGIN sent, its COMMIT or ROLLBACK not yet */
};

static int map_state(const char *state)
{
    if (!state || strlen(state) < 2)
        return VG_EIO;
    if (!strncmp(state, "23", 2))
        return VG_EEXIST;
    if (!strncmp(state, "40", 2) || !strcmp(state, "55P03"))
        return VG_EBUSY;
    if (!strncmp(state, "53", 2))
        return VG_ENOMEM;
    if (!strncmp(state, "54", 2))
        return VG_ETOOBIG;
    if (!strncmp(state, "42", 2) && strcmp(state, "42501"))
        return VG_EINTERNAL; /* SQL the store wrote wrong */
    if (!strcmp(state, "42501") || !strncmp(state, "28", 2))
        return VG_EACCES;
    return VG_EIO;
}

/* The first line of libpq's message (they end in a newline, some span
 * several with DETAIL and HINT). */
static int fail_msg(const char *msg, int rc, struct vg_err *err)
{
    size_t n = strcspn(msg ? msg : "", "\n");

    return vg_err_set(err, rc, "postgresql: %.*s", (int)n, msg ? msg : "");
}

static int fail_res(struct vg__db *db, PGresult *r, struct vg_err *err)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db->c);
    int rc = PQstatus(db->c) == CONNECTION_BAD ? VG_EIO : map_state(state);

    return fail_msg(msg && *msg ? msg : PQerrorMessage(db->c), rc, err);
}

static int quiet(struct vg__db *db, struct vg_err *err)
{
    /* no NOTICEs (CREATE ... IF NOT EXISTS) on stderr */
    PGresult *r = PQexec(db->c, "SET client_min_messages = warning");
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? VG_OK
                                                   : fail_res(db, r, err);

    PQclear(r);
    return rc;
}

/*
 * Before a statement: a connection that was lost (the server restarted,
 * the network cut) is made again, and what it had prepared is prepared
 * again on first use.  Not inside a transaction: its writes are gone with
 * the connection, so every statement up to its ROLLBACK fails (VG_EIO)
 * rather than run outside it on the new connection.
 */
static int alive(struct vg__db *db, struct vg_err *err)
{
    if (PQstatus(db->c) == CONNECTION_OK)
        return VG_OK;
    if (db->in_tx)
        return vg_err_set(err, VG_EIO,
                          "postgresql: the connection was lost in a "
                          "transaction (nothing of it was written)");
    PQreset(db->c);
    if (PQstatus(db->c) != CONNECTION_OK)
        return fail_msg(PQerrorMessage(db->c), VG_EIO, err);
    for (unsigned i = 0; i < db->used; i++)
        db->cache[i].name[0] = 0;
    return quiet(db, err);
}

static int db_exec(struct vg__db *db, const char *sql, struct vg_err *err)
{
    int end = !strcmp(sql, "COMMIT") || !strcmp(sql, "ROLLBACK");
    PGresult *r;
    ExecStatusType t;
    int rc;

    if (!strcmp(sql, "ROLLBACK") && PQstatus(db->c) != CONNECTION_OK) {
        db->in_tx = 0; /* the server ended it with the connection */
        return VG_OK;
    }
    if ((rc = alive(db, err)))
        return rc;
    r = PQexec(db->c, sql);
    t = PQresultStatus(r);
    rc = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK ? VG_OK
                                                       : fail_res(db, r, err);
    PQclear(r);
    if (end) /* even a COMMIT that failed ended it */
        db->in_tx = 0;
    else if (!strncmp(sql, "BEGIN", 5))
        db->in_tx = 1;
    return rc;
}

/* sql with each `?` outside a quoted literal or identifier as $n. */
static char *numbered(const char *sql, int *nparams)
{
    struct vg_buf b;
    char quote = 0;
    int n = 0, bad = 0;

    vg_buf_init(&b, 1 << 20);
    for (const char *p = sql; *p && !bad; p++) {
        char num[16];
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '?') {
            snprintf(num, sizeof(num), "$%d", ++n);
            bad = vg_buf_puts(&b, num);
            continue;
        }
        bad = vg_buf_append(&b, p, 1);
    }
    if (bad || n > MAX_PARAMS || vg_buf_append(&b, "", 1)) {
        vg_buf_fini(&b);
        return NULL;
    }
    *nparams = n;
    return b.data;
}

/* Room for the parameters of s->pgsql; VG_OK or VG_ENOMEM. */
static int alloc_params(struct vg__stmt *s)
{
    size_t n = s->nparams ? (size_t)s->nparams : 1;

    s->val = vg_calloc(n, sizeof(*s->val));
    s->len = vg_calloc(n, sizeof(*s->len));
    s->fmt = vg_calloc(n, sizeof(*s->fmt));
    return s->val && s->len && s->fmt ? VG_OK : VG_ENOMEM;
}

static void clear_params(struct vg__stmt *s)
{
    if (!s->val || !s->len || !s->fmt) /* alloc_params failed */
        return;
    for (int i = 0; i < s->nparams; i++) {
        vg_free(s->val[i]);
        s->val[i] = NULL;
        s->len[i] = s->fmt[i] = 0;
    }
}

static void clear_result(struct vg__stmt *s)
{
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    s->nrows = 0;
}

static void stmt_free(struct vg__stmt *s)
{
    clear_result(s);
    clear_params(s);
    vg_free(s->val);
    vg_free(s->len);
    vg_free(s->fmt);
    vg_free(s->sql);
    vg_free(s->pgsql);
    for (int i = 0; i < s->nblob; i++)
        vg_free(s->blob[i].p);
    vg_free(s->blob);
}

/* Prepare s, of cache slot k, on the server, named after the slot. */
static int server_prepare(struct vg__db *db, struct vg__stmt *s, unsigned k,
                          struct vg_err *err)
{
    PGresult *r;
    int rc = VG_OK;

    snprintf(s->name, sizeof(s->name), "s%u", k);
    r = PQprepare(db->c, s->name, s->pgsql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        rc = fail_res(db, r, err);
        s->name[0] = 0;
    }
    PQclear(r);
    return rc;
}

/* A statement prepared on the server in cache slot k. */
static int prepare_slot(struct vg__db *db, const char *sql, unsigned k,
                        struct vg__stmt **out, struct vg_err *err)
{
    struct vg__stmt *s = &db->cache[k];
    int rc;

    memset(s, 0, sizeof(*s));
    s->db = db;
    s->row = -1;
    if (!(s->sql = vg_strdup(sql)) ||
        !(s->pgsql = numbered(sql, &s->nparams)) || alloc_params(s)) {
        stmt_free(s);
        memset(s, 0, sizeof(*s));
        return VG_ENOMEM;
    }
    if ((rc = server_prepare(db, s, k, err))) {
        stmt_free(s);
        memset(s, 0, sizeof(*s));
        return rc;
    }
    s->cached = s->in_use = 1;
    db->used = k + 1 > db->used ? k + 1 : db->used;
    *out = s;
    return VG_OK;
}

static int db_prepare(struct vg__db *db, const char *sql,
                      struct vg__stmt **out, struct vg_err *err)
{
    struct vg__stmt *s;
    int busy = 0, rc;

    *out = NULL;
    if ((rc = alive(db, err)))
        return rc;
    for (unsigned i = 0; i < db->used; i++) {
        s = &db->cache[i];
        if (s->sql && !strcmp(s->sql, sql)) {
            if (!s->in_use) {
                if (!s->name[0] && (rc = server_prepare(db, s, i, err)))
                    return rc;
                s->in_use = 1;
                *out = s;
                return VG_OK;
            }
            busy = 1;
        }
    }
    if (!busy && db->used < STMT_CACHE)
        return prepare_slot(db, sql, db->used, out, err);
    /* in use already (a statement inside a walk of the same one) or the
     * cache full: run it unnamed */
    if (!(s = vg_calloc(1, sizeof(*s))))
        return VG_ENOMEM;
    s->db = db;
    s->row = -1;
    if (!(s->pgsql = numbered(sql, &s->nparams)) || alloc_params(s)) {
        stmt_free(s);
        vg_free(s);
        return VG_ENOMEM;
    }
    *out = s;
    return VG_OK;
}

static int set_param(struct vg__stmt *s, int i, const void *v, size_t n,
                     int binary)
{
    char *copy = NULL;

    if (i < 1 || i > s->nparams)
        return VG_EINVAL;
    if (v) {
        if (!(copy = vg_malloc(n + 1)))
            return VG_ENOMEM;
        memcpy(copy, v, n);
        copy[n] = 0;
    }
    vg_free(s->val[i - 1]);
    s->val[i - 1] = copy;
    s->len[i - 1] = (int)n;
    s->fmt[i - 1] = binary;
    return VG_OK;
}

static int bind_int(struct vg__stmt *s, int i, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)v);

    return set_param(s, i, num, (size_t)n, 0);
}

static int bind_text(struct vg__stmt *s, int i, const char *v)
{
    return set_param(s, i, v, v ? strlen(v) : 0, 0);
}

static int bind_blob(struct vg__stmt *s, int i, const void *v, size_t n)
{
    /* v NULL is SQL NULL; an empty byte string is not */
    return v ? set_param(s, i, v, n, 1) : set_param(s, i, NULL, 0, 0);
}

static int execute(struct vg__stmt *s, struct vg_err *err)
{
    struct vg__db *db = s->db;
    const char *const *vals = (const char *const *)s->val;
    ExecStatusType t;

    s->res = s->name[0] ? PQexecPrepared(db->c, s->name, s->nparams, vals,
                                         s->len, s->fmt, 0)
                        : PQexecParams(db->c, s->pgsql, s->nparams, NULL, vals,
                                       s->len, s->fmt, 0);
    t = PQresultStatus(s->res);
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        int rc = fail_res(db, s->res, err);
        clear_result(s);
        return rc;
    }
    /* as sqlite3_changes(): rows written by the last INSERT, UPDATE or
     * DELETE (a SELECT leaves the count as it was) */
    if (strncmp(PQcmdStatus(s->res), "SELECT", 6))
        db->changes = strtoll(PQcmdTuples(s->res), NULL, 10);
    s->nrows = t == PGRES_TUPLES_OK ? PQntuples(s->res) : 0;
    s->row = -1;
    return VG_OK;
}

static int step(struct vg__stmt *s, struct vg_err *err)
{
    int rc;

    if (!s->res && (rc = execute(s, err)))
        return rc;
    if (s->row + 1 >= s->nrows) {
        s->row = s->nrows;
        return VG__DONE;
    }
    s->row++;
    return VG__ROW;
}

static const char *cell(struct vg__stmt *s, int i)
{
    if (!s->res || s->row < 0 || s->row >= s->nrows || i < 0 ||
        i >= PQnfields(s->res) || PQgetisnull(s->res, s->row, i))
        return NULL;
    return PQgetvalue(s->res, s->row, i);
}

static int64_t col_int(struct vg__stmt *s, int i)
{
    const char *v = cell(s, i);

    if (!v)
        return 0;
    if (*v == 't' || *v == 'f') /* a boolean */
        return *v == 't';
    return strtoll(v, NULL, 10);
}

static const char *col_text(struct vg__stmt *s, int i)
{
    return cell(s, i);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

#define BYTEAOID 17

static const uint8_t *col_blob(struct vg__stmt *s, int i, size_t *n)
{
    const char *v = cell(s, i);
    struct blob *b;
    size_t len, k;

    *n = 0;
    if (!v)
        return NULL;
    if (i >= s->nblob) { /* a buffer per column: a row may hold several */
        int m = PQnfields(s->res);
        struct blob *p = vg_realloc(s->blob, (size_t)m * sizeof(*p));
        if (!p)
            return NULL;
        memset(p + s->nblob, 0, (size_t)(m - s->nblob) * sizeof(*p));
        s->blob = p;
        s->nblob = m;
    }
    b = &s->blob[i];
    len = (size_t)PQgetlength(s->res, s->row, i);
    if (PQftype(s->res, i) != BYTEAOID || len < 2 || v[0] != '\\' ||
        v[1] != 'x') {
        *n = len; /* text read as bytes */
        return (const uint8_t *)v;
    }
    len = (len - 2) / 2;
    if (len + 1 > b->cap) {
        uint8_t *p = vg_realloc(b->p, len + 1);
        if (!p)
            return NULL;
        b->p = p;
        b->cap = len + 1;
    }
    for (k = 0; k < len; k++) {
        int hi = hexval(v[2 + 2 * k]), lo = hexval(v[3 + 2 * k]);
        if (hi < 0 || lo < 0)
            return NULL;
        b->p[k] = (uint8_t)(hi << 4 | lo);
    }
    *n = len;
    return b->p;
}

static const char *col_name(struct vg__stmt *s, int i)
{
    return s->res && i >= 0 && i < PQnfields(s->res) ? PQfname(s->res, i)
                                                     : NULL;
}

/* the type OIDs of pg_type.h that hold integers, and bytea */
static int col_type(struct vg__stmt *s, int i)
{
    if (!cell(s, i))
        return VG__T_NULL;
    switch (PQftype(s->res, i)) {
    case 16:   /* bool */
    case 20:   /* int8 */
    case 21:   /* int2 */
    case 23:   /* int4 */
    case 1700: /* numeric: sum() of bigint */
        return VG__T_INT;
    case BYTEAOID:
        return VG__T_BLOB;
    default:
        return VG__T_TEXT;
    }
}

static int ncols(struct vg__stmt *s)
{
    return s->res ? PQnfields(s->res) : 0;
}

static int reset(struct vg__stmt *s)
{
    clear_result(s);
    clear_params(s);
    return VG_OK;
}

static void finalize(struct vg__stmt *s)
{
    if (!s)
        return;
    reset(s);
    if (s->cached) {
        s->in_use = 0;
        return;
    }
    stmt_free(s);
    vg_free(s);
}

static int64_t changes(struct vg__db *db)
{
    return db->changes;
}

static int begin_write(struct vg__db *db, struct vg_err *err)
{
    char sql[96];
    int rc;

    snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%d)",
             WRITE_LOCK_KEY);
    if ((rc = db_exec(db, sql, err)))
        db_exec(db, "ROLLBACK", NULL);
    return rc;
}

/* After a copy wrote explicit ids into table: its identity continues
 * after the largest. */
static int after_copy(struct vg__db *db, const char *table, struct vg_err *err)
{
    char sql[320];

    snprintf(sql, sizeof(sql),
             "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
             " GREATEST((SELECT max(id) FROM %s), 1))",
             table, table);
    return db_exec(db, sql, err);
}

static void db_close(struct vg__db *db)
{
    if (!db)
        return;
    for (unsigned i = 0; i < db->used; i++)
        stmt_free(&db->cache[i]);
    PQfinish(db->c);
    vg_free(db);
}

const struct vg__db_ops vg__pg_ops = {
    .name = "postgresql",
    .pg = 1,
    .id_pk = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    .blob = "BYTEA",
    .exec = db_exec,
    .prepare = db_prepare,
    .bind_int = bind_int,
    .bind_text = bind_text,
    .bind_blob = bind_blob,
    .step = step,
    .col_int = col_int,
    .col_text = col_text,
    .col_blob = col_blob,
    .col_name = col_name,
    .col_type = col_type,
    .ncols = ncols,
    .reset = reset,
    .finalize = finalize,
    .changes = changes,
    .begin_write = begin_write,
    .after_copy = after_copy,
    .close = db_close,
};

int vg__pg_is_url(const char *url)
{
    return !strncmp(url, "postgresql:", 11) || !strncmp(url, "postgres:", 9) ||
           (strchr(url, '=') &&
            (strstr(url, "host=") || strstr(url, "dbname=") ||
             strstr(url, "service=")));
}

int vg__pg_open(const char *url, struct vg__db **out, struct vg_err *err)
{
    /* defaults the URL may override (it is expanded last): a connection
     * attempt and a silent server both end in seconds, not minutes */
    static const char *const keys[] = {
        "connect_timeout",  "keepalives_idle", "keepalives_interval",
        "keepalives_count", "dbname",          NULL};
    const char *const vals[] = {"10", "10", "5", "3", url, NULL};
    struct vg__db *db;
    int rc;

    *out = NULL;
    if (!(db = vg_calloc(1, sizeof(*db))))
        return VG_ENOMEM;
    db->c = PQconnectdbParams(keys, vals, 1);
    if (!db->c) {
        vg_free(db);
        return VG_ENOMEM;
    }
    if (PQstatus(db->c) != CONNECTION_OK) {
        rc = fail_msg(PQerrorMessage(db->c), VG_EIO, err);
        db_close(db);
        return rc;
    }
    if ((rc = quiet(db, err))) {
        db_close(db);
        return rc;
    }
    *out = db;
    return VG_OK;
}
