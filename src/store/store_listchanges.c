/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The list change log (vigil/store_lists.h): a row for each change to
 * what matches, written inside the change's transaction, and read by the
 * matching nodes after the last sequence number they applied.
 *
 * Rows must be numbered in commit order, or a node that read seq 11
 * would never see a seq 10 committed after it.  SQLite has one writer at
 * a time, so ids are in commit order as they are.  PostgreSQL hands out
 * identity values when asked, not at commit: there, the row is written
 * under a transaction-level advisory lock held until commit, and it is
 * the transaction's last statement (so the lock is held briefly); every
 * writer of the log takes it, so their commits, and so their ids, come
 * one after the other.
 */
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/store_lists.h"

/* the advisory lock's key on PostgreSQL: "vgLC" */
#define LOG_LOCK_SQL "SELECT pg_advisory_xact_lock(1986479171)"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vg__store_list_change(struct vg_store *st, const char *kind,
                          int64_t list_id, int64_t entry_id, int64_t import_id,
                          int64_t first_id, int64_t last_id,
                          struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if (st->schema < VG__SCHEMA_LIST_CHANGES)
        return VG_OK;
    if (VG__PG(st) && (rc = vg__store_exec(st, LOG_LOCK_SQL, err)))
        return rc;
    if ((rc = vg__store_query(st, &s, err,
                              "INSERT INTO list_changes (at_ms, list_id,"
                              " entry_id, kind, import_id, first_id, last_id)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)",
                              "iiitiii", now_ms(), list_id, entry_id, kind,
                              import_id, first_id, last_id)))
        return rc;
    /* the ids a kind does not use are NULL */
    if ((!entry_id && (rc = st->ops->bind_text(s, 3, NULL))) ||
        (!import_id && ((rc = st->ops->bind_text(s, 5, NULL)) ||
                        (rc = st->ops->bind_text(s, 6, NULL)) ||
                        (rc = st->ops->bind_text(s, 7, NULL))))) {
        st->ops->finalize(s);
        return vg_err_set(err, rc, "cannot bind a list change");
    }
    return vg__store_run(st, s, err);
}

int vg_store_list_changes_head(struct vg_store *st, int64_t *seq,
                               struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT COALESCE(MAX(id), 0) FROM"
                               " list_changes",
                               "")))
        rc = vg__store_scalar(st, s, seq, err);
    UNLOCK(st);
    return rc;
}

static enum vg_list_change_kind kind_of(const char *k)
{
    return k && !strcmp(k, "import")  ? VG_LIST_CHANGE_IMPORT
           : k && !strcmp(k, "entry") ? VG_LIST_CHANGE_ENTRY
                                      : VG_LIST_CHANGE_LIST;
}

int vg_store_list_changes(struct vg_store *st, int64_t after_seq,
                          int64_t limit,
                          int (*cb)(void *ctx, const struct vg_list_change *c),
                          void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_list_change c;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT id, at_ms, kind, list_id, entry_id,"
                         " import_id, first_id, last_id FROM list_changes"
                         " WHERE id > ? ORDER BY id LIMIT ?",
                         "ii", after_seq, limit);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        c.seq = st->ops->col_int(s, 0);
        c.at_ms = st->ops->col_int(s, 1);
        c.kind = kind_of(st->ops->col_text(s, 2));
        c.list_id = st->ops->col_int(s, 3);
        c.entry_id = st->ops->col_int(s, 4);
        c.import_id = st->ops->col_int(s, 5);
        c.first_id = st->ops->col_int(s, 6);
        c.last_id = st->ops->col_int(s, 7);
        rc = cb(ctx, &c);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}
