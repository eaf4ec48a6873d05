/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash lists, their imports and their entries in the store
 * (vigil/store_lists.h), written once over the backend primitives of
 * store_int.h.  Every public function holds the store's mutex; an import
 * holds it from begin to commit or abort, and runs in one write
 * transaction, so a killed import leaves the list exactly as it was.
 *
 * Test hook: VIGIL_TEST_KILL_AFTER_ROWS=N makes an import kill its own
 * process with SIGKILL after N rows, mid-transaction (tests/integration).
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/store_lists.h"

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

int vg_list_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > VG_LIST_NAME_MAX || name[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!name_char(name[i]))
            return 0;
    return 1;
}

static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

/* ---- lists ---- */

static int category_valid(const char *c)
{
    return vg_list_name_valid(c);
}

int vg_store_list_create(struct vg_store *st, int64_t actor,
                         const struct vg_list *l, int64_t *id,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char detail[2 * VG_LIST_NAME_MAX + 64];
    int64_t new_id = 0;
    int rc;

    if (!vg_list_name_valid(l->name))
        return vg_err_set(err, VG_EINVAL,
                          "list name \"%s\": use 1 to %d letters, digits, "
                          "'.', '_' or '-'",
                          l->name, VG_LIST_NAME_MAX);
    if (!category_valid(l->category))
        return vg_err_set(err, VG_EINVAL,
                          "category \"%s\": use 1 to %d letters, digits, "
                          "'.', '_' or '-'",
                          l->category, VG_LIST_NAME_MAX);
    if (l->pdq_distance < 0 || l->pdq_distance > 256)
        return vg_err_set(err, VG_EINVAL, "PDQ distance %d is not in 0..256",
                          l->pdq_distance);
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    rc = vg__store_query(
        st, &s, err,
        "INSERT INTO hash_lists (name, source, category, pdq_distance,"
        " kind, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "RETURNING id",
        "tttitii", l->name, l->source, l->category, (int64_t)l->pdq_distance,
        l->kind == VG_LIST_ALLOW ? "allow" : "block", (int64_t) !!l->enabled,
        (int64_t)time(NULL));
    if (!rc) {
        rc = st->ops->step(s, err);
        if (rc == VG__ROW) {
            new_id = st->ops->col_int(s, 0);
            rc = VG_OK;
        } else if (rc == VG_EEXIST) {
            rc = vg_err_set(err, VG_EEXIST, "a list named \"%s\" exists",
                            l->name);
        } else if (rc == VG__DONE) {
            rc = vg_err_set(err, VG_EINTERNAL, "no id for the new list");
        }
        st->ops->finalize(s);
    }
    snprintf(detail, sizeof(detail), "%s, %s list, category %s", l->name,
             l->kind == VG_LIST_ALLOW ? "allow" : "block", l->category);
    if (!rc)
        rc = vg__store_audit(st, actor, "list.create", "list", new_id, detail,
                             err);
    if (!rc)
        rc = vg__store_list_change(st, "list", new_id, 0, 0, 0, 0, err);
    if (!(rc = vg__store_end(st, rc, err)))
        *id = new_id;
unlock:
    UNLOCK(st);
    return rc;
}

#define LIST_COLUMNS                                                          \
    "SELECT l.id, l.name, l.source, l.category, l.pdq_distance, l.kind,"      \
    " l.enabled, l.created_at,"                                               \
    " (SELECT COUNT(*) FROM list_entries e WHERE e.list_id = l.id),"          \
    " (SELECT COUNT(*) FROM list_entries e WHERE e.list_id = l.id) -"         \
    " (SELECT COUNT(*) FROM list_entries e WHERE e.list_id = l.id"            \
    "  AND e.enabled = 0),"                                                   \
    " (SELECT COUNT(*) FROM list_imports i WHERE i.list_id = l.id),"          \
    " (SELECT COALESCE(MAX(imported_at), 0) FROM list_imports i"              \
    "  WHERE i.list_id = l.id) FROM hash_lists l "

/* The list's own columns (the first 8 of LIST_COLUMNS); counts 0. */
static void row_list_head(struct vg_store *st, struct vg__stmt *s,
                          struct vg_list *l)
{
    const char *kind;

    memset(l, 0, sizeof(*l));
    l->id = st->ops->col_int(s, 0);
    copy_text(l->name, sizeof(l->name), st->ops->col_text(s, 1));
    copy_text(l->source, sizeof(l->source), st->ops->col_text(s, 2));
    copy_text(l->category, sizeof(l->category), st->ops->col_text(s, 3));
    l->pdq_distance = (int)st->ops->col_int(s, 4);
    kind = st->ops->col_text(s, 5);
    l->kind = kind && !strcmp(kind, "allow") ? VG_LIST_ALLOW : VG_LIST_BLOCK;
    l->enabled = st->ops->col_int(s, 6) != 0;
    l->created_at = st->ops->col_int(s, 7);
}

static void row_list(struct vg_store *st, struct vg__stmt *s,
                     struct vg_list *l)
{
    row_list_head(st, s, l);
    l->entries = st->ops->col_int(s, 8);
    l->entries_enabled = st->ops->col_int(s, 9);
    l->imports = st->ops->col_int(s, 10);
    l->last_import_at = st->ops->col_int(s, 11);
}

int vg_store_list_get(struct vg_store *st, const char *name,
                      struct vg_list *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err, LIST_COLUMNS "WHERE l.name = ?", "t",
                         name);
    if (!rc) {
        rc = st->ops->step(s, err);
        if (rc == VG__ROW) {
            row_list(st, s, out);
            rc = VG_OK;
        } else if (rc == VG__DONE) {
            rc = vg_err_set(err, VG_ENOENT, "no list named \"%s\"", name);
        }
        st->ops->finalize(s);
    }
    UNLOCK(st);
    return rc;
}

int vg_store_lists(struct vg_store *st,
                   int (*cb)(void *ctx, const struct vg_list *l), void *ctx,
                   struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_list l;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err, LIST_COLUMNS "ORDER BY l.name", "");
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        row_list(st, s, &l);
        rc = cb(ctx, &l);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

static int update_one(struct vg_store *st, struct vg__stmt *s,
                      const char *what, int64_t id, struct vg_err *err)
{
    int rc = vg__store_run(st, s, err);

    if (!rc && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no %s with id %lld", what,
                        (long long)id);
    return rc;
}

/* Run s (one change to list_id) and audit it, in one transaction. */
static int list_change(struct vg_store *st, int64_t actor, const char *action,
                       int64_t list_id, const char *sql, int64_t value,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char detail[VG_LIST_NAME_MAX + 1] = "";
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    /* the name, for the record: a deleted list's is gone afterwards */
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT name FROM hash_lists WHERE id = ?", "i",
                               list_id))) {
        if ((rc = st->ops->step(s, err)) == VG__ROW)
            copy_text(detail, sizeof(detail), st->ops->col_text(s, 0));
        rc = rc < 0 ? rc : VG_OK;
        st->ops->finalize(s);
    }
    if (!rc)
        rc = value < 0
                 ? vg__store_query(st, &s, err, sql, "i", list_id)
                 : vg__store_query(st, &s, err, sql, "ii", value, list_id);
    if (!rc)
        rc = update_one(st, s, "list", list_id, err);
    if (!rc)
        rc = vg__store_audit(st, actor, action, "list", list_id, detail, err);
    if (!rc)
        rc = vg__store_list_change(st, "list", list_id, 0, 0, 0, 0, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_list_set_enabled(struct vg_store *st, int64_t actor,
                              int64_t list_id, int enabled, struct vg_err *err)
{
    return list_change(st, actor, enabled ? "list.enable" : "list.disable",
                       list_id,
                       "UPDATE hash_lists SET enabled = ? WHERE id = ?",
                       !!enabled, err);
}

int vg_store_list_delete(struct vg_store *st, int64_t actor, int64_t list_id,
                         struct vg_err *err)
{
    return list_change(st, actor, "list.delete", list_id,
                       "DELETE FROM hash_lists WHERE id = ?", -1, err);
}

int vg_store_list_imports(struct vg_store *st, int64_t list_id,
                          int (*cb)(void *ctx, const struct vg_list_import *i),
                          void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_list_import im;
    int rc;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT id, list_id, imported_at, source_file, format,"
        " file_sha256, lines, added, already_present FROM list_imports"
        " WHERE list_id = ? ORDER BY id",
        "i", list_id);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        im.id = st->ops->col_int(s, 0);
        im.list_id = st->ops->col_int(s, 1);
        im.imported_at = st->ops->col_int(s, 2);
        im.source_file = st->ops->col_text(s, 3);
        im.format = st->ops->col_text(s, 4);
        im.file_sha256 = st->ops->col_text(s, 5);
        im.lines = st->ops->col_int(s, 6);
        im.added = st->ops->col_int(s, 7);
        im.already_present = st->ops->col_int(s, 8);
        rc = cb(ctx, &im);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/* ---- imports ---- */

/*
 * Rows go in BATCH at a time through one multi-row INSERT: a statement
 * step per row costs more than the row itself (cursors opened, checks set
 * up), and 9 * BATCH parameters stay under every backend's limit.
 */
#define BATCH 128
#define COLS 9

struct row {
    enum vg_algo algo;
    uint8_t value[VG_ALGO_MAXSIZE];
    int quality;
    size_t category, external_id, metadata; /* offsets + 1 into strs; 0 NULL */
};

struct vg_store_import {
    struct vg_store *st;
    struct vg__stmt *full; /* the BATCH-row statement */
    struct row rows[BATCH];
    unsigned n;
    struct vg_buf strs;
    int64_t id, list_id, now, added, present, rows_done, kill_after;
    int64_t max_before; /* the largest entry id before the import */
    int64_t actor;
    char what[200]; /* "FILE (FORMAT)", for the audit record */
};

static int insert_sql(unsigned nrows, char **out)
{
    struct vg_buf b;
    int rc;

    vg_buf_init(&b, 0);
    rc = vg_buf_puts(&b, "INSERT INTO list_entries (list_id, algo, value,"
                         " category, external_id, metadata, quality, enabled,"
                         " import_id, added_at) VALUES ");
    for (unsigned i = 0; !rc && i < nrows; i++)
        rc = vg_buf_puts(&b, i ? ",(?,?,?,?,?,?,?,1,?,?)"
                               : "(?,?,?,?,?,?,?,1,?,?)");
    if (!rc)
        rc = vg_buf_puts(&b, " ON CONFLICT (list_id, algo, value) DO NOTHING");
    if (!rc)
        rc = vg_buf_append(&b, "", 1);
    if (rc) {
        vg_buf_fini(&b);
        return rc;
    }
    *out = b.data;
    return VG_OK;
}

static int prepare_insert(struct vg_store *st, unsigned nrows,
                          struct vg__stmt **out, struct vg_err *err)
{
    char *sql = NULL;
    int rc = insert_sql(nrows, &sql);

    if (!rc)
        rc = st->ops->prepare(st->db, sql, out, err);
    vg_free(sql);
    return rc;
}

static const char *row_str(const struct vg_store_import *im, size_t off)
{
    return off ? im->strs.data + off - 1 : NULL;
}

static int flush(struct vg_store_import *im, struct vg_err *err)
{
    const struct vg__db_ops *ops = im->st->ops;
    struct vg__stmt *s = im->full, *part = NULL;
    int rc = VG_OK, k = 1;
    int64_t added;

    if (!im->n)
        return VG_OK;
    if (im->n < BATCH && (rc = prepare_insert(im->st, im->n, &part, err)))
        return rc;
    if (part)
        s = part;
    for (unsigned i = 0; !rc && i < im->n; i++, k += COLS) {
        const struct row *r = &im->rows[i];
        if ((rc = ops->bind_int(s, k, im->list_id)) ||
            (rc = ops->bind_text(s, k + 1, vg_algo_name(r->algo))) ||
            (rc = ops->bind_blob(s, k + 2, r->value, vg_algo_size(r->algo))) ||
            (rc = ops->bind_text(s, k + 3, row_str(im, r->category))) ||
            (rc = ops->bind_text(s, k + 4, row_str(im, r->external_id))) ||
            (rc = ops->bind_text(s, k + 5, row_str(im, r->metadata))) ||
            (rc = r->quality >= 0 ? ops->bind_int(s, k + 6, r->quality)
                                  : ops->bind_text(s, k + 6, NULL)) ||
            (rc = ops->bind_int(s, k + 7, im->id)) ||
            (rc = ops->bind_int(s, k + 8, im->now)))
            rc = vg_err_set(err, rc, "cannot bind an entry");
    }
    if (!rc && (rc = ops->step(s, err)) == VG__DONE)
        rc = VG_OK;
    ops->reset(s);
    if (!rc) {
        added = ops->changes(im->st->db);
        im->added += added;
        im->present += im->n - added;
        im->rows_done += im->n;
    }
    ops->finalize(part);
    im->n = 0;
    vg_buf_reset(&im->strs);
    if (!rc && im->kill_after && im->rows_done >= im->kill_after)
        raise(SIGKILL);
    return rc;
}

/* The largest entry id (0 if none): an import's new entries are those
 * of its import id between the values before and after it. */
static int max_entry_id(struct vg_store *st, int64_t *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(st, &s, err,
                             "SELECT COALESCE(MAX(id), 0) FROM list_entries",
                             "");

    return rc ? rc : vg__store_scalar(st, s, out, err);
}

int vg_store_import_begin(struct vg_store *st, int64_t actor, int64_t list_id,
                          const char *source_file, const char *format,
                          const char *file_sha256,
                          struct vg_store_import **out, struct vg_err *err)
{
    struct vg_store_import *im;
    struct vg__stmt *s = NULL;
    const char *kill = getenv("VIGIL_TEST_KILL_AFTER_ROWS");
    int rc;

    *out = NULL;
    if (!(im = vg_calloc(1, sizeof(*im))))
        return VG_ENOMEM;
    im->st = st;
    im->list_id = list_id;
    im->actor = actor;
    snprintf(im->what, sizeof(im->what), "%s (%s)",
             source_file ? source_file : "-", format ? format : "-");
    im->now = (int64_t)time(NULL);
    im->kill_after = kill ? atoll(kill) : 0;
    vg_buf_init(&im->strs, 0);
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err))) {
        UNLOCK(st);
        vg_buf_fini(&im->strs);
        vg_free(im);
        return rc;
    }
    rc = vg__store_query(
        st, &s, err,
        "INSERT INTO list_imports (list_id, imported_at, source_file,"
        " format, file_sha256) VALUES (?, ?, ?, ?, ?) RETURNING id",
        "iittt", list_id, im->now, source_file, format, file_sha256);
    if (!rc && ((rc = vg__store_scalar(st, s, &im->id, err)) == VG_ENOENT ||
                rc == VG_EEXIST)) /* the foreign key refused it */
        rc = vg_err_set(err, VG_ENOENT, "no list with id %lld",
                        (long long)list_id);
    if (!rc)
        rc = max_entry_id(st, &im->max_before, err);
    if (!rc)
        rc = prepare_insert(st, BATCH, &im->full, err);
    if (rc) {
        vg_store_import_abort(im);
        return rc;
    }
    *out = im;
    return VG_OK;
}

static int keep_str(struct vg_store_import *im, const char *s, size_t *off)
{
    *off = 0;
    if (!s)
        return VG_OK;
    *off = im->strs.len + 1;
    return vg_buf_append(&im->strs, s, strlen(s) + 1);
}

int vg_store_import_add(struct vg_store_import *im,
                        const struct vg_list_entry *e, struct vg_err *err)
{
    struct row *r = &im->rows[im->n];
    int rc;

    if (!vg_algo_name(e->algo))
        return vg_err_set(err, VG_EINVAL, "unknown algorithm");
    r->algo = e->algo;
    memcpy(r->value, e->value, vg_algo_size(e->algo));
    r->quality = e->quality;
    if ((rc = keep_str(im, e->category, &r->category)) ||
        (rc = keep_str(im, e->external_id, &r->external_id)) ||
        (rc = keep_str(im, e->metadata, &r->metadata)))
        return vg_err_set(err, rc, "entry text too large");
    if (++im->n == BATCH)
        return flush(im, err);
    return VG_OK;
}

int vg_store_import_commit(struct vg_store_import *im, int64_t lines,
                           int64_t *added, int64_t *present,
                           struct vg_err *err)
{
    struct vg_store *st = im->st;
    struct vg__stmt *s = NULL;
    char detail[320];
    int64_t last = 0;
    int rc = flush(im, err);

    if (!rc)
        rc = vg__store_query(st, &s, err,
                             "UPDATE list_imports SET lines = ?, added = ?,"
                             " already_present = ? WHERE id = ?",
                             "iiii", lines, im->added, im->present, im->id);
    if (!rc)
        rc = vg__store_run(st, s, err);
    snprintf(detail, sizeof(detail),
             "%s: %lld lines, %lld added, %lld already present", im->what,
             (long long)lines, (long long)im->added, (long long)im->present);
    if (!rc)
        rc = vg__store_audit(st, im->actor, "list.import", "list", im->list_id,
                             detail, err);
    if (!rc && im->added && !(rc = max_entry_id(st, &last, err)))
        rc = vg__store_list_change(st, "import", im->list_id, 0, im->id,
                                   im->max_before + 1, last, err);
    if (!rc)
        rc = vg__store_exec(st, "COMMIT", err);
    if (rc) {
        vg_store_import_abort(im);
        return rc;
    }
    vg__store_audit_committed(st);
    if (added)
        *added = im->added;
    if (present)
        *present = im->present;
    st->ops->finalize(im->full);
    vg_buf_fini(&im->strs);
    UNLOCK(st);
    vg_free(im);
    return VG_OK;
}

void vg_store_import_abort(struct vg_store_import *im)
{
    if (!im)
        return;
    im->st->ops->finalize(im->full);
    vg__store_exec(im->st, "ROLLBACK", NULL);
    vg__store_audit_rolled_back(im->st);
    UNLOCK(im->st);
    vg_buf_fini(&im->strs);
    vg_free(im);
}

/* ---- entries ---- */

#define ENTRY_HAS_DETAILS                                                     \
    " CASE WHEN e.category IS NULL AND e.external_id IS NULL AND"             \
    " e.metadata IS NULL THEN 0 ELSE 1 END"
#define ENTRY_COLUMNS                                                         \
    "SELECT e.id, e.list_id, e.algo, e.value, e.category, e.external_id,"     \
    " e.metadata, e.quality, e.enabled," ENTRY_HAS_DETAILS                    \
    " FROM list_entries e "
#define ENTRY_HASH_COLUMNS                                                    \
    "SELECT e.id, e.list_id, e.algo, e.value, NULL, NULL, NULL, NULL,"        \
    " e.enabled," ENTRY_HAS_DETAILS " FROM list_entries e "

/* A row to an entry; VG_ECORRUPT if the algorithm or value is not sane. */
static int row_entry(struct vg_store *st, struct vg__stmt *s,
                     struct vg_list_entry *e, struct vg_err *err)
{
    const char *algo = st->ops->col_text(s, 2);
    const uint8_t *v;
    size_t n;

    /* field by field: the value buffer is large and mostly unused */
    e->id = st->ops->col_int(s, 0);
    e->list_id = st->ops->col_int(s, 1);
    v = st->ops->col_blob(s, 3, &n);
    if (!algo || vg_algo_from_name(algo, strlen(algo), &e->algo) ||
        n != vg_algo_size(e->algo) || !v)
        return vg_err_set(err, VG_ECORRUPT,
                          "entry %lld: bad algorithm or value",
                          (long long)e->id);
    memcpy(e->value, v, n);
    e->category = st->ops->col_text(s, 4);
    e->external_id = st->ops->col_text(s, 5);
    e->metadata = st->ops->col_text(s, 6);
    e->quality = st->ops->col_text(s, 7) ? (int)st->ops->col_int(s, 7) : -1;
    e->enabled = st->ops->col_int(s, 8) != 0;
    e->has_details = st->ops->col_int(s, 9) != 0;
    return VG_OK;
}

static const char *entries_where(int64_t list_id, unsigned flags)
{
    static const char *const w[8] = {
        "WHERE ? = 0 ",
        "WHERE ? = 0 AND e.enabled = 1 ",
        "WHERE ? = 0 AND e.list_id IN (SELECT id FROM hash_lists"
        " WHERE enabled = 1) ",
        "WHERE ? = 0 AND e.enabled = 1 AND e.list_id IN (SELECT id FROM"
        " hash_lists WHERE enabled = 1) ",
        "WHERE e.list_id = ? ",
        "WHERE e.list_id = ? AND e.enabled = 1 ",
        "WHERE e.list_id = ? ",
        "WHERE e.list_id = ? AND e.enabled = 1 ",
    };
    return w[(list_id ? 4 : 0) | (flags & 3)];
}

/* Each row of s (ENTRY_COLUMNS or ENTRY_HASH_COLUMNS) to cb, then s
 * finalized; the store is held. */
static int each_entry(struct vg_store *st, struct vg__stmt *s,
                      int (*cb)(void *ctx, const struct vg_list_entry *e),
                      void *ctx, struct vg_err *err)
{
    struct vg_list_entry e;
    int rc;

    while ((rc = st->ops->step(s, err)) == VG__ROW)
        if ((rc = row_entry(st, s, &e, err)) || (rc = cb(ctx, &e)))
            break;
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

int vg_store_entries(struct vg_store *st, int64_t list_id, unsigned flags,
                     int (*cb)(void *ctx, const struct vg_list_entry *e),
                     void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char sql[512];
    int rc;

    snprintf(sql, sizeof(sql), "%s%sORDER BY e.id",
             flags & VG_ENTRIES_HASH_ONLY ? ENTRY_HASH_COLUMNS : ENTRY_COLUMNS,
             entries_where(list_id, flags));
    LOCK(st);
    rc = vg__store_query(st, &s, err, sql, "i", list_id);
    if (!rc)
        rc = each_entry(st, s, cb, ctx, err);
    UNLOCK(st);
    return rc;
}

int vg_store_entries_count(struct vg_store *st, int64_t list_id,
                           unsigned flags, int64_t *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char sql[512];
    int rc;

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM list_entries e %s",
             entries_where(list_id, flags));
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err, sql, "i", list_id)))
        rc = vg__store_scalar(st, s, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_entry_get(struct vg_store *st, int64_t id,
                       int (*cb)(void *ctx, const struct vg_list_entry *e),
                       void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_list_entry e;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err, ENTRY_COLUMNS "WHERE e.id = ?", "i", id);
    if (!rc) {
        rc = st->ops->step(s, err);
        if (rc == VG__ROW) {
            if (!(rc = row_entry(st, s, &e, err)))
                rc = cb(ctx, &e);
        } else if (rc == VG__DONE) {
            rc = vg_err_set(err, VG_ENOENT, "no entry with id %lld",
                            (long long)id);
        }
        st->ops->finalize(s);
    }
    UNLOCK(st);
    return rc;
}

int vg_store_entry_find(struct vg_store *st, int64_t list_id,
                        enum vg_algo algo, const uint8_t *value, int64_t *id,
                        struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT id FROM list_entries WHERE list_id = ? AND algo = ?"
        " AND value = ?",
        "itb", list_id, vg_algo_name(algo), (const void *)value,
        vg_algo_size(algo));
    if (!rc && (rc = vg__store_scalar(st, s, id, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no such entry in the list");
    UNLOCK(st);
    return rc;
}

int vg_store_entry_enable(struct vg_store *st, int64_t actor, int64_t list_id,
                          int64_t entry_id, int enabled, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(
              st, &s, err,
              "UPDATE list_entries SET enabled = ? WHERE id = ?"
              " AND list_id = ?",
              "iii", (int64_t)(enabled != 0), entry_id, list_id)))
        rc = vg__store_run(st, s, err);
    if (!rc && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no entry %lld in list %lld",
                        (long long)entry_id, (long long)list_id);
    if (!rc)
        rc = vg__store_audit(st, actor,
                             enabled ? "entry.enable" : "entry.disable",
                             "entry", entry_id, "", err);
    if (!rc)
        rc = vg__store_list_change(st, "entry", list_id, entry_id, 0, 0, 0,
                                   err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_entries_page(struct vg_store *st, int64_t list_id,
                          int64_t after_id, int64_t before_id, int64_t limit,
                          int (*cb)(void *ctx, const struct vg_list_entry *e),
                          void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (before_id)
        rc = vg__store_query(st, &s, err,
                             "SELECT * FROM (" ENTRY_COLUMNS "WHERE e.list_id"
                             " = ? AND e.id < ? ORDER BY e.id DESC LIMIT ?)"
                             " AS below ORDER BY 1",
                             "iii", list_id, before_id, limit);
    else
        rc = vg__store_query(st, &s, err,
                             ENTRY_COLUMNS "WHERE e.list_id = ? AND e.id > ?"
                                           " ORDER BY e.id LIMIT ?",
                             "iii", list_id, after_id, limit);
    if (!rc)
        rc = each_entry(st, s, cb, ctx, err);
    UNLOCK(st);
    return rc;
}

int vg_store_entries_below(struct vg_store *st, int64_t list_id, int64_t id,
                           int64_t *n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT count(*) FROM list_entries WHERE"
                               " list_id = ? AND id < ?",
                               "ii", list_id, id)))
        rc = vg__store_scalar(st, s, n, err);
    UNLOCK(st);
    return rc;
}

int vg_store_import_entries(struct vg_store *st,
                            const struct vg_list_change *c,
                            int (*cb)(void *ctx,
                                      const struct vg_list_entry *e),
                            void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    /* by the primary key's range; other imports' entries in it (on a
     * database that numbers concurrent transactions' rows in turn) are
     * not this one's */
    rc = vg__store_query(st, &s, err,
                         ENTRY_HASH_COLUMNS "WHERE e.id >= ? AND e.id <= ?"
                                            " AND e.import_id = ?"
                                            " ORDER BY e.id",
                         "iii", c->first_id, c->last_id, c->import_id);
    if (!rc)
        rc = each_entry(st, s, cb, ctx, err);
    UNLOCK(st);
    return rc;
}

int vg_store_list_by_id(struct vg_store *st, int64_t id, struct vg_list *out,
                        struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT id, name, source, category, pdq_distance,"
                         " kind, enabled, created_at FROM hash_lists"
                         " WHERE id = ?",
                         "i", id);
    if (!rc) {
        rc = st->ops->step(s, err);
        if (rc == VG__ROW) {
            row_list_head(st, s, out);
            rc = VG_OK;
        } else if (rc == VG__DONE) {
            rc = vg_err_set(err, VG_ENOENT, "no list with id %lld",
                            (long long)id);
        }
        st->ops->finalize(s);
    }
    UNLOCK(st);
    return rc;
}
