/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store as a whole (vigil/store_db.h): row counts by table, a whole
 * store copied into an empty one, and database URLs with their password
 * masked.  The copy knows no table's columns: it reads `SELECT *` and
 * writes each value by the type the backend gives it (col_name,
 * col_type), so a column added by a migration is copied without a change
 * here; the tables come from store_schema.c's list, in dependency order.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store_int.h"
#include "vigil/buf.h"
#include "vigil/store_db.h"

/* ---- database URLs, their password masked ---- */

/* len bytes of s into buf (n bytes, *at used), as far as they fit. */
static void put(char *buf, size_t n, size_t *at, const char *s, size_t len)
{
    while (len-- && *at + 1 < n)
        buf[(*at)++] = *s++;
}

/* The length of a password value at s: a libpq quoted value to its
 * closing quote, else up to white space or the next query parameter. */
static size_t value_len(const char *s)
{
    size_t i = 0;

    if (*s == '\'') {
        for (i = 1; s[i] && s[i] != '\''; i++)
            if (s[i] == '\\' && s[i + 1])
                i++;
        return s[i] ? i + 1 : i;
    }
    while (s[i] && !isspace((unsigned char)s[i]) && s[i] != '&')
        i++;
    return i;
}

/* At p (of url): "password" [ ] "=" [ ] as a keyword of its own, then
 * the length up to its value; 0 if not that. */
static size_t password_key(const char *url, const char *p)
{
    size_t i = 8;

    if (strncasecmp(p, "password", 8) ||
        (p > url && !isspace((unsigned char)p[-1]) && p[-1] != '?' &&
         p[-1] != '&'))
        return 0;
    while (p[i] == ' ')
        i++;
    if (p[i] != '=')
        return 0;
    for (i++; p[i] == ' ';)
        i++;
    return i;
}

const char *vg_store_url_mask(const char *url, char *buf, size_t n)
{
    const char *p, *at = NULL, *colon = NULL, *sch;
    size_t o = 0, k;

    if (!n)
        return buf;
    url = url ? url : "";
    /* a URL's user:password@ (the last '@' before the path) */
    if ((sch = strstr(url, "://")) && strncmp(url, "sqlite:", 7)) {
        const char *a = sch + 3;
        size_t alen = strcspn(a, "/?#");
        for (size_t i = 0; i < alen; i++)
            if (a[i] == '@')
                at = a + i;
        if (at)
            colon = memchr(a, ':', (size_t)(at - a));
    }
    for (p = url; *p;) {
        if (colon && p == colon + 1) {
            put(buf, n, &o, "***", 3);
            p = at;
        } else if (strncmp(url, "sqlite:", 7) && (k = password_key(url, p))) {
            put(buf, n, &o, p, k);
            put(buf, n, &o, "***", 3);
            p += k + value_len(p + k);
        } else {
            put(buf, n, &o, p++, 1);
        }
    }
    buf[o] = '\0';
    return buf;
}

/* ---- tables and their rows ---- */

/* The list's entry for table: its index, or -1. */
static int table_index(const char *table, int *since, int *has_id)
{
    const char *t;

    for (int i = 0; (t = vg__schema_table(i, since, has_id)); i++)
        if (!strcmp(t, table))
            return i;
    return -1;
}

const char *vg_store_table(int i)
{
    int since, has_id;

    return vg__schema_table(i, &since, &has_id);
}

/* count(*) of a listed table, with the store held. */
static int held_rows(struct vg_store *st, const char *table, int64_t *out,
                     struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char sql[128];
    int rc;

    *out = 0;
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    if ((rc = vg__store_query(st, &s, err, sql, "")))
        return rc;
    rc = vg__store_scalar(st, s, out, err);
    return rc == VG_ENOENT ? VG_OK : rc;
}

int vg_store_rows(struct vg_store *st, const char *table, int64_t *out,
                  struct vg_err *err)
{
    int since, has_id, rc;

    *out = 0;
    if (!table || table_index(table, &since, &has_id) < 0)
        return vg_err_set(err, VG_EINVAL, "no table %s",
                          table ? table : "(none)");
    if (st->schema < since)
        return VG_ENOENT;
    LOCK(st);
    rc = held_rows(st, table, out, err);
    UNLOCK(st);
    return rc;
}

/* VG_OK when no table of st holds a row, else VG_EEXIST naming one. */
static int held_empty(struct vg_store *st, struct vg_err *err)
{
    const char *t;
    int since, has_id, rc;
    int64_t n = 0;

    for (int i = 0; (t = vg__schema_table(i, &since, &has_id)); i++) {
        if (st->schema < since)
            continue;
        if ((rc = held_rows(st, t, &n, err)))
            return rc;
        if (n)
            return vg_err_set(err, VG_EEXIST,
                              "the destination is not empty (%s holds %lld"
                              " rows): copy into a new store",
                              t, (long long)n);
    }
    return VG_OK;
}

/* ---- the copy ---- */

/* "INSERT INTO table (columns of s) VALUES (?, ...)" into b (the ids
 * given are kept: PostgreSQL's identity columns are BY DEFAULT). */
static int insert_sql(struct vg_store *from, struct vg__stmt *s,
                      const char *table, struct vg_buf *b)
{
    int n = from->ops->ncols(s), rc;

    rc = vg_buf_printf(b, "INSERT INTO %s (", table);
    for (int i = 0; i < n && !rc; i++)
        rc = vg_buf_printf(b, "%s%s", i ? ", " : "",
                           from->ops->col_name(s, i));
    if (!rc)
        rc = vg_buf_puts(b, ") VALUES (");
    for (int i = 0; i < n && !rc; i++)
        rc = vg_buf_puts(b, i ? ", ?" : "?");
    return rc ? rc : vg_buf_puts(b, ")");
}

/* Bind the current row of s to ins, value by value. */
static int bind_row(struct vg_store *from, struct vg_store *to,
                    struct vg__stmt *s, struct vg__stmt *ins)
{
    static const uint8_t empty[1];
    int n = from->ops->ncols(s), rc = VG_OK;

    for (int i = 0; i < n && !rc; i++) {
        size_t len = 0;
        const uint8_t *b;
        switch (from->ops->col_type(s, i)) {
        case VG__T_NULL:
            rc = to->ops->bind_text(ins, i + 1, NULL);
            break;
        case VG__T_INT:
            rc = to->ops->bind_int(ins, i + 1, from->ops->col_int(s, i));
            break;
        case VG__T_BLOB: /* an empty blob is not NULL */
            b = from->ops->col_blob(s, i, &len);
            rc = to->ops->bind_blob(ins, i + 1, b ? b : empty, len);
            break;
        default:
            rc = to->ops->bind_text(ins, i + 1, from->ops->col_text(s, i));
        }
    }
    return rc;
}

/* Copy table's rows, in the order of its first column (ids, so a case
 * naming an earlier case comes after it); *written how many. */
static int copy_table(struct vg_store *from, struct vg_store *to,
                      const char *table, int has_id, int64_t *written,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL, *ins = NULL;
    struct vg_buf sql;
    int rc;

    *written = 0;
    vg_buf_init(&sql, 1 << 16);
    if ((rc = vg_buf_printf(&sql, "SELECT * FROM %s ORDER BY 1", table)) ||
        (rc = vg__store_query(from, &s, err, sql.data, "")))
        goto out;
    while ((rc = from->ops->step(s, err)) == VG__ROW) {
        if (!ins) {
            vg_buf_reset(&sql);
            if ((rc = insert_sql(from, s, table, &sql)) ||
                (rc = to->ops->prepare(to->db, sql.data, &ins, err)))
                break;
        }
        if ((rc = bind_row(from, to, s, ins))) {
            rc = vg_err_set(err, rc, "%s: cannot bind a value", table);
            break;
        }
        if ((rc = to->ops->step(ins, err)) != VG__DONE && rc != VG__ROW)
            break;
        to->ops->reset(ins);
        ++*written;
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    if (!rc && has_id && to->ops->after_copy)
        rc = to->ops->after_copy(to->db, table, err);
out:
    if (ins)
        to->ops->finalize(ins);
    if (s)
        from->ops->finalize(s);
    vg_buf_fini(&sql);
    return rc;
}

/* err's message (or rc's) prefixed with "table: "; returns rc. */
static int named(int rc, const char *table, struct vg_err *err)
{
    char msg[sizeof(err->msg)];

    snprintf(msg, sizeof(msg), "%s",
             err && err->msg[0] ? err->msg : vg_strerror(rc));
    return vg_err_set(err, rc, "%s: %s", table, msg);
}

/* VG_ECORRUPT (said) when a table's counts differ. */
static int differs(const struct vg_store_copied *c, struct vg_err *err)
{
    if (c->copy == c->source && c->written == c->source)
        return VG_OK;
    return vg_err_set(err, VG_ECORRUPT,
                      "%s: %lld rows in the source, %lld written, %lld in"
                      " the copy",
                      c->table, (long long)c->source, (long long)c->written,
                      (long long)c->copy);
}

/* Every table in both transactions: the counts into out, the copy's
 * counted before it commits. */
static int copy_tables(struct vg_store *from, struct vg_store *to,
                       struct vg_store_copied *out, size_t n, size_t *nout,
                       struct vg_err *err)
{
    const char *t;
    int since, has_id, rc = VG_OK;

    for (int i = 0; !rc && (t = vg__schema_table(i, &since, &has_id)); i++) {
        struct vg_store_copied *c = &out[*nout];
        if (from->schema < since)
            continue;
        if (*nout >= n)
            return vg_err_set(err, VG_EINVAL, "too many tables for out");
        memset(c, 0, sizeof(*c));
        c->table = t;
        ++*nout;
        if (!(rc = held_rows(from, t, &c->source, err)) &&
            !(rc = copy_table(from, to, t, has_id, &c->written, err)))
            rc = held_rows(to, t, &c->copy, err);
        rc = rc ? named(rc, t, err) : differs(c, err);
    }
    return rc;
}

/* The destination made ready: empty, at from's version. */
static int ready(struct vg_store *from, struct vg_store *to,
                 struct vg_err *err)
{
    int v0 = 0, v1 = 0, rc;

    if (!from->schema)
        return vg_err_set(err, VG_EINVAL, "the source holds no store");
    if (from->schema > vg__schema_count() || to->schema > from->schema)
        return vg_err_set(err, VG_EVERSION,
                          "the source is at schema version %d and the"
                          " destination at %d (this vigil knows up to %d):"
                          " both must be at the same",
                          from->schema, to->schema, vg__schema_count());
    LOCK(to);
    rc = held_empty(to, err);
    UNLOCK(to);
    if (!rc && to->schema < from->schema)
        rc = vg_store_migrate(to, from->schema, &v0, &v1, err);
    if (!rc && to->schema != from->schema)
        rc = vg_err_set(err, VG_EVERSION,
                        "the destination could not be brought to schema"
                        " version %d",
                        from->schema);
    return rc;
}

/* The copy's counts once committed against the source's. */
static int compare(struct vg_store *to, struct vg_store_copied *out, size_t n,
                   struct vg_err *err)
{
    int rc = VG_OK;

    for (size_t i = 0; i < n && !rc; i++)
        if (!(rc = vg_store_rows(to, out[i].table, &out[i].copy, err)))
            rc = differs(&out[i], err);
    return rc;
}

int vg_store_copy(struct vg_store *from, struct vg_store *to,
                  struct vg_store_copied *out, size_t n, size_t *nout,
                  struct vg_err *err)
{
    int rc;

    *nout = 0;
    if ((rc = ready(from, to, err)))
        return rc;
    LOCK(from);
    LOCK(to);
    /* the source held still: its counts are those of what is copied */
    if (!(rc = from->ops->begin_write(from->db, err))) {
        if (!(rc = to->ops->begin_write(to->db, err))) {
            if (!(rc = held_empty(to, err)))
                rc = copy_tables(from, to, out, n, nout, err);
            rc = vg__store_end(to, rc, err);
        }
        vg__store_exec(from, "ROLLBACK", NULL);
    }
    UNLOCK(to);
    UNLOCK(from);
    return rc ? rc : compare(to, out, *nout, err);
}
