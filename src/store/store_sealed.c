/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sealed blobs for the sealing key's rotation (vigil/store_sealed.h).
 * substr on a byte string is the same in SQLite and PostgreSQL (bytea).
 * A replacement compares the whole old blob (WHERE col = old), so a row
 * read, opened and sealed again is written only if nothing changed it in
 * between; a batch is one write transaction, so a kill leaves each row
 * under its old key or its new one, never lost.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_sealed.h"

static const struct {
    const char *name, *table, *col;
} kinds[VG_SEALED_KINDS] = {
    {"contacts", "reports", "reporter_contact"},
    {"thumbnails", "media", "thumbnail"},
};

const char *vg_sealed_kind_name(enum vg_sealed_kind k)
{
    return (unsigned)k < VG_SEALED_KINDS ? kinds[k].name : "";
}

int vg_store_sealed_count(struct vg_store *st, enum vg_sealed_kind k,
                          const uint8_t *id, size_t idn, int64_t *with,
                          int64_t *total, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char sql[256];
    int rc;

    *with = *total = 0;
    if ((unsigned)k >= VG_SEALED_KINDS)
        return VG_EINVAL;
    LOCK(st);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s IS NOT NULL",
             kinds[k].table, kinds[k].col);
    if (!(rc = vg__store_query(st, &s, err, sql, "")))
        rc = vg__store_scalar(st, s, total, err);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM %s WHERE %s IS NOT NULL"
             " AND substr(%s, 1, %d) = ?",
             kinds[k].table, kinds[k].col, kinds[k].col, (int)idn);
    if (!rc && id && !(rc = vg__store_query(st, &s, err, sql, "b", id, idn)))
        rc = vg__store_scalar(st, s, with, err);
    UNLOCK(st);
    return rc;
}

void vg_sealed_blobs_free(struct vg_sealed_blob *b, size_t n)
{
    if (!b)
        return;
    for (size_t i = 0; i < n; i++) {
        vg_free(b[i].old);
        vg_free(b[i].fresh);
    }
    vg_free(b);
}

/* Rows of s into *out (lock held). */
static int read_rows(struct vg_store *st, struct vg__stmt *s, size_t limit,
                     struct vg_sealed_blob *b, size_t *n, struct vg_err *err)
{
    const uint8_t *p;
    size_t len;
    int rc;

    while (*n < limit && (rc = st->ops->step(s, err)) == VG__ROW) {
        p = st->ops->col_blob(s, 1, &len);
        b[*n].id = st->ops->col_int(s, 0);
        if (!(b[*n].old = vg_malloc(len ? len : 1)))
            return VG_ENOMEM;
        memcpy(b[*n].old, p, len);
        b[*n].oldn = len;
        (*n)++;
    }
    return rc < 0 ? rc : VG_OK;
}

int vg_store_sealed_batch(struct vg_store *st, enum vg_sealed_kind k,
                          int64_t after, const uint8_t *id, size_t idn,
                          size_t limit, struct vg_sealed_blob **out, size_t *n,
                          struct vg_err *err)
{
    struct vg_sealed_blob *b;
    struct vg__stmt *s = NULL;
    char sql[320];
    int rc;

    *out = NULL;
    *n = 0;
    if ((unsigned)k >= VG_SEALED_KINDS || !limit || !id)
        return VG_EINVAL;
    if (!(b = vg_calloc(limit, sizeof(*b))))
        return VG_ENOMEM;
    snprintf(sql, sizeof(sql),
             "SELECT id, %s FROM %s WHERE id > ? AND %s IS NOT NULL"
             " AND substr(%s, 1, %d) <> ? ORDER BY id LIMIT ?",
             kinds[k].col, kinds[k].table, kinds[k].col, kinds[k].col,
             (int)idn);
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err, sql, "ibi", after, id, idn,
                               (int64_t)limit))) {
        rc = read_rows(st, s, limit, b, n, err);
        st->ops->finalize(s);
    }
    UNLOCK(st);
    if (rc || !*n) {
        vg_sealed_blobs_free(b, *n);
        *n = 0;
        return rc;
    }
    *out = b;
    return VG_OK;
}

int vg_store_sealed_replace(struct vg_store *st, enum vg_sealed_kind k,
                            const struct vg_sealed_blob *b, size_t n,
                            int64_t *replaced, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char sql[256];
    int64_t done = 0;
    int rc;

    *replaced = 0;
    if ((unsigned)k >= VG_SEALED_KINDS)
        return VG_EINVAL;
    snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE id = ? AND %s = ?",
             kinds[k].table, kinds[k].col, kinds[k].col);
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    for (size_t i = 0; !rc && i < n; i++) {
        if (!b[i].fresh)
            continue;
        if (!(rc = vg__store_query(st, &s, err, sql, "bib", b[i].fresh,
                                   b[i].freshn, b[i].id, b[i].old,
                                   b[i].oldn)) &&
            !(rc = vg__store_run(st, s, err)))
            done += st->ops->changes(st->db);
    }
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc)
        *replaced = done;
    return rc;
}
