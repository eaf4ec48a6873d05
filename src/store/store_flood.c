/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flood quarantine's store (vigil/store_flood.h): hourly counts per entry
 * summed over nodes by upserts, the suspects' query, and quarantines made
 * and released each in one write transaction with the entry's change of
 * state, its list change row and its audit record.  The write transaction
 * excludes other writers (on PostgreSQL the fleet's lock), so of several
 * nodes that quarantine an entry at once the first does and the others
 * find it done; the partial unique index flood_quarantines_active keeps
 * one quarantine in force per entry whatever the code does.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_flood.h"

const char *vg_flood_reason_name(enum vg_flood_reason r)
{
    return r == VG_FLOOD_RATE ? "rate" : r == VG_FLOOD_MEDIA ? "media" : "";
}

int vg_store_flood_add(struct vg_store *st, const struct vg_flood_count *c,
                       size_t n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if (!n)
        return VG_OK;
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    for (size_t i = 0; !rc && i < n; i++)
        if (!(rc = vg__store_query(
                  st, &s, err,
                  "INSERT INTO flood_counts (entry_id, hour, matches, media)"
                  " VALUES (?, ?, ?, ?) ON CONFLICT (entry_id, hour) DO UPDATE"
                  " SET matches = flood_counts.matches + excluded.matches,"
                  " media = flood_counts.media + excluded.media",
                  "iiii", c[i].entry_id, c[i].hour, c[i].matches, c[i].media)))
            rc = vg__store_run(st, s, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_flood_prune(struct vg_store *st, int64_t hour, int64_t *removed,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM flood_counts WHERE hour < ?", "i",
                               hour)))
        rc = vg__store_run(st, s, err);
    if (!rc && removed)
        *removed = st->ops->changes(st->db);
    UNLOCK(st);
    return rc;
}

int vg_store_flood_suspects(struct vg_store *st, int64_t hour,
                            int64_t baseline_hours, int64_t min_media,
                            int64_t max_media, int64_t held_since,
                            int (*cb)(void *ctx,
                                      const struct vg_flood_suspect *s),
                            void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT c.entry_id, e.list_id, c.matches, c.media,"
        " (SELECT coalesce(sum(p.media), 0) FROM flood_counts p"
        "  WHERE p.entry_id = c.entry_id AND p.hour >= ? AND p.hour < ?)"
        " FROM flood_counts c JOIN list_entries e ON e.id = c.entry_id"
        " WHERE c.hour = ? AND e.enabled = 1"
        " AND (c.media >= ? OR c.media > ?)"
        " AND NOT EXISTS (SELECT 1 FROM flood_quarantines q"
        "  WHERE q.entry_id = c.entry_id"
        "  AND (q.released_at IS NULL OR q.released_at >= ?))"
        " ORDER BY c.entry_id",
        "iiiiii", hour - baseline_hours, hour, hour, min_media, max_media,
        held_since);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_flood_suspect f = {
            .entry_id = st->ops->col_int(s, 0),
            .list_id = st->ops->col_int(s, 1),
            .matches = st->ops->col_int(s, 2),
            .media = st->ops->col_int(s, 3),
            .baseline = st->ops->col_int(s, 4),
        };
        rc = cb(ctx, &f);
    }
    if (s)
        st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/* Inside the write transaction: is the entry enabled with no quarantine
 * in force?  *ok 1 or 0. */
static int can_quarantine(struct vg_store *st, int64_t entry_id, int *ok,
                          struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t n = 0;
    int rc;

    *ok = 0;
    if ((rc = vg__store_query(
             st, &s, err,
             "SELECT count(*) FROM list_entries e WHERE e.id = ?"
             " AND e.enabled = 1 AND NOT EXISTS (SELECT 1 FROM"
             " flood_quarantines q WHERE q.entry_id = e.id"
             " AND q.released_at IS NULL)",
             "i", entry_id)) ||
        (rc = vg__store_scalar(st, s, &n, err)))
        return rc;
    *ok = n > 0;
    return VG_OK;
}

static int quarantine_audit(struct vg_store *st,
                            const struct vg_flood_quarantine *q, int64_t id,
                            struct vg_err *err)
{
    char detail[256];

    snprintf(detail, sizeof(detail),
             "flood quarantine %" PRId64 " of list %" PRId64 ": %s, %" PRId64
             " matches and %" PRId64 " media in hour %" PRId64 ", %" PRId64
             " matches in the %" PRId64 " hours before",
             id, q->list_id, vg_flood_reason_name(q->reason), q->matches,
             q->media, q->hour, q->baseline, q->baseline_hours);
    return vg__store_audit(st, 0, "entry.quarantine", "entry", q->entry_id,
                           detail, err);
}

int vg_store_flood_quarantine(struct vg_store *st,
                              const struct vg_flood_quarantine *q, int *done,
                              int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t qid = 0;
    int rc, ok = 0;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    rc = can_quarantine(st, q->entry_id, &ok, err);
    if (!rc && ok &&
        !(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO flood_quarantines (entry_id, list_id, at, reason,"
              " hour, matches, media, baseline, baseline_hours)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
              "iiitiiiii", q->entry_id, q->list_id, q->at,
              vg_flood_reason_name(q->reason), q->hour, q->matches, q->media,
              q->baseline, q->baseline_hours)))
        rc = vg__store_scalar(st, s, &qid, err);
    if (!rc && ok &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE list_entries SET enabled = 0"
                               " WHERE id = ?",
                               "i", q->entry_id)))
        rc = vg__store_run(st, s, err);
    if (!rc && ok)
        rc = quarantine_audit(st, q, qid, err);
    if (!rc && ok)
        rc = vg__store_list_change(st, "entry", q->list_id, q->entry_id, 0, 0,
                                   0, err);
    rc = vg__store_end(st, rc, err);
    if (!rc && done)
        *done = ok;
    if (!rc && ok && id)
        *id = qid;
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_flood_release(struct vg_store *st, int64_t actor,
                           int64_t entry_id, int64_t at, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t qid = 0, list_id = 0;
    char detail[64];
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id, list_id FROM flood_quarantines"
                               " WHERE entry_id = ? AND released_at IS NULL",
                               "i", entry_id))) {
        if ((rc = st->ops->step(s, err)) == VG__ROW) {
            qid = st->ops->col_int(s, 0);
            list_id = st->ops->col_int(s, 1);
            rc = VG_OK;
        } else if (rc == VG__DONE) {
            rc = vg_err_set(err, VG_ENOENT,
                            "entry %" PRId64 " is not quarantined", entry_id);
        }
        st->ops->finalize(s);
    }
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "UPDATE flood_quarantines SET"
                                      " released_at = ?, released_by = ?"
                                      " WHERE id = ?",
                                      "iii", at, actor, qid)))
        rc = vg__store_run(st, s, err);
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "UPDATE list_entries SET enabled = 1"
                                      " WHERE id = ?",
                                      "i", entry_id)))
        rc = vg__store_run(st, s, err);
    snprintf(detail, sizeof(detail), "flood quarantine %" PRId64 " released",
             qid);
    if (!rc)
        rc = vg__store_audit(st, actor, "entry.release", "entry", entry_id,
                             detail, err);
    if (!rc)
        rc = vg__store_list_change(st, "entry", list_id, entry_id, 0, 0, 0,
                                   err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

static void quarantine_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                           struct vg_store_strings **pool, int *oom)
{
    struct vg_flood_quarantine *q = elem;
    const char *algo = st->ops->col_text(s, 4);
    const char *reason = st->ops->col_text(s, 7);

    q->id = st->ops->col_int(s, 0);
    q->entry_id = st->ops->col_int(s, 1);
    q->list_id = st->ops->col_int(s, 2);
    q->list = VG__TEXT(3);
    if (!algo || vg_algo_from_name(algo, strlen(algo), &q->algo))
        q->algo = VG_ALGO_PDQ;
    q->value = VG__HEX(5);
    q->at = st->ops->col_int(s, 6);
    q->reason = reason && !strcmp(reason, "media") ? VG_FLOOD_MEDIA
                                                   : VG_FLOOD_RATE;
    q->hour = st->ops->col_int(s, 8);
    q->matches = st->ops->col_int(s, 9);
    q->media = st->ops->col_int(s, 10);
    q->baseline = st->ops->col_int(s, 11);
    q->baseline_hours = st->ops->col_int(s, 12);
    q->released_at = st->ops->col_int(s, 13);
    q->released_by = st->ops->col_int(s, 14);
}

int vg_store_flood_quarantines(struct vg_store *st, int all, int64_t limit,
                               struct vg_flood_quarantines **out,
                               struct vg_err *err)
{
    struct vg_flood_quarantines *l = vg_calloc(1, sizeof(*l));
    int rc;

    *out = NULL;
    if (!l)
        return VG_ENOMEM;
    rc = vg__store_list(
        st, &l->v, &l->n, sizeof(*l->v), quarantine_row, &l->strings, err,
        "SELECT q.id, q.entry_id, q.list_id, h.name, e.algo, e.value, q.at,"
        " q.reason, q.hour, q.matches, q.media, q.baseline,"
        " q.baseline_hours, q.released_at, q.released_by"
        " FROM flood_quarantines q JOIN list_entries e ON e.id = q.entry_id"
        " LEFT JOIN hash_lists h ON h.id = q.list_id"
        " WHERE ? = 1 OR q.released_at IS NULL"
        " ORDER BY q.id DESC LIMIT ?",
        "ii", (int64_t)(all != 0), limit > 0 ? limit : INT64_MAX);
    if (rc) {
        vg_flood_quarantines_free(l);
        return rc;
    }
    *out = l;
    return VG_OK;
}

void vg_flood_quarantines_free(struct vg_flood_quarantines *q)
{
    if (!q)
        return;
    vg__store_strings_free(q->strings);
    vg_free(q->v);
    vg_free(q);
}
