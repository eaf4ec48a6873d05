/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Partners' feedback on matches (vigil/store_lists.h): added through the
 * hash-check API as the key's, resolved by an analyst, both audited in
 * their transaction; a false positive resolved by disabling its entry
 * disables it in the same transaction (with the list change every node
 * applies).
 */
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/store_lists.h"

#define FEEDBACK_COLUMNS                                                      \
    "SELECT f.id, f.at, f.key_id, f.partner, f.entry_id, l.name,"             \
    " f.verdict, f.sha256, f.pdq, f.note, COALESCE(f.resolved_at, 0),"        \
    " COALESCE(f.resolved_by, 0), f.resolution, e.list_id FROM"               \
    " partner_feedback f JOIN list_entries e ON e.id = f.entry_id JOIN"       \
    " hash_lists l ON l.id = e.list_id "

int vg_store_feedback_add(struct vg_store *st, int64_t actor,
                          const struct vg_feedback *f, int64_t *id,
                          struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t got = 0;
    int rc;

    if (strcmp(f->verdict, "false_positive") &&
        strcmp(f->verdict, "confirmed"))
        return vg_err_set(err, VG_EINVAL,
                          "a verdict is false_positive or confirmed");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO partner_feedback (at, key_id, partner, entry_id,"
              " verdict, sha256, pdq, note) SELECT ?, ?, ?, id, ?, ?, ?, ?"
              " FROM list_entries WHERE id = ? RETURNING id",
              "iittttti", (int64_t)time(NULL), f->key_id, f->partner,
              f->verdict, f->sha256, f->pdq, f->note, f->entry_id)) &&
        (rc = vg__store_scalar(st, s, &got, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no entry %lld",
                        (long long)f->entry_id);
    if (!rc)
        rc = vg__store_audit(st, actor, "feedback.add", "entry", f->entry_id,
                             f->verdict, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc && id)
        *id = got;
    return rc;
}

static int each_feedback(struct vg_store *st, struct vg__stmt *s,
                         int (*cb)(void *ctx, const struct vg_feedback *f),
                         void *ctx, struct vg_err *err)
{
    int rc;

    while ((rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_feedback f = {
            st->ops->col_int(s, 0),   st->ops->col_int(s, 1),
            st->ops->col_int(s, 2),   st->ops->col_text(s, 3),
            st->ops->col_int(s, 4),   st->ops->col_text(s, 5),
            st->ops->col_text(s, 6),  st->ops->col_text(s, 7),
            st->ops->col_text(s, 8),  st->ops->col_text(s, 9),
            st->ops->col_int(s, 10),  st->ops->col_int(s, 11),
            st->ops->col_text(s, 12), st->ops->col_int(s, 13)};
        if ((rc = cb(ctx, &f)))
            break;
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

int vg_store_feedback(struct vg_store *st, int open_only, int64_t offset,
                      int64_t limit,
                      int (*cb)(void *ctx, const struct vg_feedback *f),
                      void *ctx, int64_t *total, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               FEEDBACK_COLUMNS
                               "WHERE ? = 0 OR f.resolved_at IS NULL"
                               " ORDER BY f.id DESC LIMIT ? OFFSET ?",
                               "iii", (int64_t)(open_only != 0), limit,
                               offset)))
        rc = each_feedback(st, s, cb, ctx, err);
    if (!rc && total &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT count(*) FROM partner_feedback f JOIN"
                               " list_entries e ON e.id = f.entry_id JOIN"
                               " hash_lists l ON l.id = e.list_id WHERE"
                               " ? = 0 OR f.resolved_at IS NULL",
                               "i", (int64_t)(open_only != 0))))
        rc = vg__store_scalar(st, s, total, err);
    UNLOCK(st);
    return rc;
}

/* The entry and list of feedback id, if still open (store held). */
static int open_feedback(struct vg_store *st, int64_t id, int64_t *entry,
                         int64_t *list, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              "SELECT f.entry_id, e.list_id FROM"
                              " partner_feedback f JOIN list_entries e ON"
                              " e.id = f.entry_id WHERE f.id = ? AND"
                              " f.resolved_at IS NULL",
                              "i", id)))
        return rc;
    rc = st->ops->step(s, err);
    if (rc == VG__ROW) {
        *entry = st->ops->col_int(s, 0);
        *list = st->ops->col_int(s, 1);
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no open feedback %lld",
                        (long long)id);
    }
    st->ops->finalize(s);
    return rc;
}

int vg_store_feedback_resolve(struct vg_store *st, int64_t actor, int64_t id,
                              int disable, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t entry = 0, list = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = open_feedback(st, id, &entry, &list, err)) &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE partner_feedback SET resolved_at = ?,"
                               " resolved_by = ?, resolution = ? WHERE id = ?",
                               "iiti", (int64_t)time(NULL), actor,
                               disable ? "entry_disabled" : "kept", id)))
        rc = vg__store_run(st, s, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "feedback.resolve", "entry", entry,
                             disable ? "entry_disabled" : "kept", err);
    if (!rc && disable &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE list_entries SET enabled = 0 WHERE"
                               " id = ?",
                               "i", entry)) &&
        !(rc = vg__store_run(st, s, err)) &&
        !(rc = vg__store_audit(st, actor, "entry.disable", "entry", entry,
                               "partner feedback", err)))
        rc = vg__store_list_change(st, "entry", list, entry, 0, 0, 0, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}
