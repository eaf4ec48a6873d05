/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legal holds and reporters' erase requests (vigil/store_retention.h).
 * A hold is a row of legal_holds, in force while released_at is NULL (at
 * most one in force per report or case: a partial unique index); a
 * released hold stays as history.  Each change is audited in its own
 * transaction.  On PostgreSQL a failed statement ends its transaction,
 * so a hold already in force is looked for before the insert.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_retention.h"

static int type_ok(const char *t)
{
    return t && (!strcmp(t, "report") || !strcmp(t, "case"));
}

/* The hold in force on it, 0 if none (store held). */
static int hold_in_force(struct vg_store *st, const char *type, int64_t id,
                         int64_t *hold, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *hold = 0;
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT id FROM legal_holds WHERE object_type"
                              " = ? AND object_id = ? AND released_at IS"
                              " NULL",
                              "ti", type, id)))
        return rc;
    rc = vg__store_scalar(st, s, hold, err);
    return rc == VG_ENOENT ? VG_OK : rc;
}

/* VG_OK if the report or case exists, VG_ENOENT (said) if not. */
static int exists(struct vg_store *st, const char *type, int64_t id,
                  struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t one = 0;
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              !strcmp(type, "report")
                                  ? "SELECT 1 FROM reports WHERE id = ?"
                                  : "SELECT 1 FROM cases WHERE id = ?",
                              "i", id)))
        return rc;
    rc = vg__store_scalar(st, s, &one, err);
    return rc == VG_ENOENT
               ? vg_err_set(err, rc, "no %s %lld", type, (long long)id)
               : rc;
}

static int add_locked(struct vg_store *st, int64_t actor, const char *type,
                      int64_t id, const char *reason, int64_t now,
                      int64_t *hold_id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t held = 0;
    int rc;

    if ((rc = exists(st, type, id, err)) ||
        (rc = hold_in_force(st, type, id, &held, err)))
        return rc;
    if (held)
        return vg_err_set(err, VG_EEXIST,
                          "%s %lld is already held (hold %lld)", type,
                          (long long)id, (long long)held);
    if ((rc = vg__store_query(st, &s, err,
                              "INSERT INTO legal_holds (object_type,"
                              " object_id, reason, set_at, set_by) VALUES"
                              " (?, ?, ?, ?, ?) RETURNING id",
                              "titii", type, id, reason, now, actor)) ||
        (rc = vg__store_scalar(st, s, hold_id, err)))
        return rc;
    return vg__store_audit(st, actor, "hold.add", type, id, reason, err);
}

int vg_store_hold_add(struct vg_store *st, int64_t actor,
                      const char *object_type, int64_t object_id,
                      const char *reason, int64_t now, int64_t *hold_id,
                      struct vg_err *err)
{
    int64_t id = 0;
    int rc;

    if (!type_ok(object_type))
        return vg_err_set(err, VG_EINVAL, "a hold is on a report or a case");
    if (!reason || !*reason)
        return vg_err_set(err, VG_EINVAL, "a hold needs its reason");
    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = add_locked(st, actor, object_type, object_id, reason, now, &id,
                        err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    if (!rc && hold_id)
        *hold_id = id;
    return rc;
}

static int release_locked(struct vg_store *st, int64_t actor, const char *type,
                          int64_t id, const char *reason, int64_t now,
                          struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t held = 0;
    int rc;

    if ((rc = hold_in_force(st, type, id, &held, err)))
        return rc;
    if (!held)
        return vg_err_set(err, VG_ENOENT, "%s %lld is not held", type,
                          (long long)id);
    if ((rc = vg__store_query(st, &s, err,
                              "UPDATE legal_holds SET released_at = ?,"
                              " released_by = ? WHERE id = ?",
                              "iii", now, actor, held)) ||
        (rc = vg__store_run(st, s, err)))
        return rc;
    return vg__store_audit(st, actor, "hold.release", type, id,
                           reason ? reason : "", err);
}

int vg_store_hold_release(struct vg_store *st, int64_t actor,
                          const char *object_type, int64_t object_id,
                          const char *reason, int64_t now, struct vg_err *err)
{
    int rc;

    if (!type_ok(object_type))
        return vg_err_set(err, VG_EINVAL, "a hold is on a report or a case");
    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = release_locked(st, actor, object_type, object_id, reason, now,
                            err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

static void hold_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                     struct vg_store_strings **pool, int *oom)
{
    struct vg_hold *h = elem;

    h->id = st->ops->col_int(s, 0);
    h->object_type = VG__TEXT(1);
    h->object_id = st->ops->col_int(s, 2);
    h->reference = VG__TEXT(3);
    h->reason = VG__TEXT(4);
    h->set_at = st->ops->col_int(s, 5);
    h->set_by = st->ops->col_int(s, 6);
    h->released_at = st->ops->col_int(s, 7);
    h->released_by = st->ops->col_int(s, 8);
}

int vg_store_holds(struct vg_store *st, int all, struct vg_holds **out,
                   struct vg_err *err)
{
    struct vg_holds *h = vg_calloc(1, sizeof(*h));
    int rc;

    *out = NULL;
    if (!h)
        return VG_ENOMEM;
    rc = vg__store_list(st, &h->v, &h->n, sizeof(*h->v), hold_row, &h->strings,
                        err,
                        "SELECT h.id, h.object_type, h.object_id,"
                        " r.reference, h.reason, h.set_at, h.set_by,"
                        " coalesce(h.released_at, 0), coalesce(h.released_by,"
                        " 0) FROM legal_holds h LEFT JOIN reports r ON"
                        " h.object_type = 'report' AND r.id = h.object_id"
                        " WHERE ? = 1 OR h.released_at IS NULL ORDER BY h.id",
                        "i", (int64_t)(all ? 1 : 0));
    if (rc) {
        vg_holds_free(h);
        return rc;
    }
    *out = h;
    return VG_OK;
}

void vg_holds_free(struct vg_holds *h)
{
    if (!h)
        return;
    vg__store_strings_free(h->strings);
    vg_free(h->v);
    vg_free(h);
}

int vg_store_held(struct vg_store *st, const char *object_type,
                  int64_t object_id, int *held, struct vg_err *err)
{
    int64_t id = 0;
    int rc;

    LOCK(st);
    rc = hold_in_force(st, object_type, object_id, &id, err);
    UNLOCK(st);
    *held = !rc && id;
    return rc;
}

int vg_store_report_find(struct vg_store *st, const char *ref, int64_t *id,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id FROM reports WHERE reference = ?",
                               "t", ref)))
        rc = vg__store_scalar(st, s, id, err);
    UNLOCK(st);
    return rc == VG_ENOENT ? vg_err_set(err, rc, "no report %s", ref) : rc;
}

static int erase_locked(struct vg_store *st, int64_t actor, int64_t id,
                        const char *reason, int *had, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t n = 0, held = 0;
    char detail[1200];
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              "SELECT CASE WHEN reporter_contact IS NULL THEN"
                              " 0 ELSE 1 END FROM reports WHERE id = ?",
                              "i", id)) ||
        (rc = vg__store_scalar(st, s, &n, err)))
        return rc == VG_ENOENT
                   ? vg_err_set(err, rc, "no report %lld", (long long)id)
                   : rc;
    if ((rc = hold_in_force(st, "report", id, &held, err)))
        return rc;
    if (held)
        return vg_err_set(err, VG_EBUSY,
                          "report %lld is under a legal hold (hold %lld):"
                          " release it first",
                          (long long)id, (long long)held);
    if ((rc = vg__store_query(st, &s, err,
                              "UPDATE reports SET reporter_contact = NULL"
                              " WHERE id = ?",
                              "i", id)) ||
        (rc = vg__store_run(st, s, err)))
        return rc;
    *had = n != 0;
    snprintf(detail, sizeof(detail), "%s; %s", reason ? reason : "",
             n ? "contact details cleared" : "no contact details were held");
    return vg__store_audit(st, actor, "report.erase", "report", id, detail,
                           err);
}

int vg_store_report_erase(struct vg_store *st, int64_t actor, int64_t id,
                          const char *reason, int *had, struct vg_err *err)
{
    int rc, h = 0;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = erase_locked(st, actor, id, reason, &h, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    if (had)
        *had = !rc && h;
    return rc;
}
