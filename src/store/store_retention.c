/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Retention and deletion (vigil/store_retention.h).  Each kind of data is
 * a row of the table below: the rows that are due (their clock started at
 * or before the cutoff, now less the policy's days), what keeps one under
 * a legal hold, and the statements that delete one by its id, run for
 * each id of a batch picked in the batch's own write transaction.  The
 * rules that keep the rest consistent:
 *  - a case is deleted with the detections at its URL made up to its
 *    opening (its evidence): left behind, they would open the case again
 *    at the next notice cycle;
 *  - a detection that is some case's first, or at the URL of an open
 *    case, stays; a sighting goes only once no detection names it;
 *  - a hold on a report keeps the report, its contact details, and the
 *    cases, detections and sightings at the URLs it names; a hold on a
 *    case keeps the case and the detections and sightings at its URL.
 * The audit log is not touched: its records are kept for the life of the
 * store (the chain verifies from its first record).
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_retention.h"

#define DAY 86400

/* a hold in force on a report or case whose id is the column col */
#define HELD(type, col)                                                       \
    "EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND"     \
    " h.object_type = '" type "' AND h.object_id = " col ")"
/* a held report names the URL whose id is the column url */
#define REPORT_AT(url)                                                        \
    "EXISTS (SELECT 1 FROM legal_holds h JOIN report_urls hu ON"              \
    " hu.report_id = h.object_id WHERE h.released_at IS NULL AND"             \
    " h.object_type = 'report' AND hu.url_id = " url ")"
/* a held case is at the URL whose id is the column url */
#define CASE_AT(url)                                                          \
    "EXISTS (SELECT 1 FROM legal_holds h JOIN cases hc ON hc.id ="            \
    " h.object_id WHERE h.released_at IS NULL AND h.object_type = 'case'"     \
    " AND hc.url_id = " url ")"
#define FOUND_HELD                                                            \
    CASE_AT("g.url_id")                                                       \
    " OR " REPORT_AT("g.url_id") " OR " REPORT_AT("g.page_url_id")
/* a closed report's closing: its last incident's outcome */
#define CLOSED_AT                                                             \
    "(SELECT max(i.updated_at) FROM incidents i WHERE i.report_id = r.id)"

#define MAX_STEPS 8

static const struct kind {
    const char *name, *clock;
    const char *key;  /* the id column of the rows */
    const char *from; /* FROM ... WHERE due (one ?: the cutoff) */
    const char *held; /* the condition of a held row; NULL: never held */
    const char *steps[MAX_STEPS]; /* each ? is the row's id */
    const char *after;            /* once a batch, no parameter; NULL: none */
} kinds[VG_RET_KINDS] = {
    {"contact",
     "after the report is closed",
     "r.id",
     "FROM reports r WHERE r.reporter_contact IS NOT NULL AND r.status ="
     " 'closed' AND " CLOSED_AT " <= ?",
     HELD("report", "r.id"),
     {"UPDATE reports SET reporter_contact = NULL WHERE id = ?", NULL},
     NULL},
    {"reports",
     "after the report is closed",
     "r.id",
     "FROM reports r WHERE r.status = 'closed' AND " CLOSED_AT " <= ?",
     HELD("report", "r.id"),
     {"DELETE FROM incidents WHERE report_id = ?",
      "DELETE FROM report_urls WHERE report_id = ?",
      "DELETE FROM reports WHERE id = ?", NULL},
     NULL},
    {"cases",
     "after the case is closed (the content removed)",
     "c.id",
     "FROM cases c WHERE c.status <> 'open' AND coalesce(c.removed_at,"
     " c.last_notice_at, c.opened_at) <= ?",
     HELD("case", "c.id") " OR " REPORT_AT("c.url_id"),
     {"UPDATE cases SET reupload_of = NULL WHERE reupload_of = ?",
      "UPDATE cases SET also_hosted_with = NULL WHERE also_hosted_with = ?",
      "DELETE FROM rechecks WHERE case_id = ?",
      "DELETE FROM notice_cases WHERE case_id = ?",
      "UPDATE cases SET first_detection_id = NULL WHERE id = ?",
      "DELETE FROM detections WHERE id IN (SELECT d.id FROM detections d"
      " JOIN sightings g ON g.id = d.sighting_id JOIN cases c ON c.url_id ="
      " g.url_id WHERE c.id = ? AND d.detected_at <= c.opened_at) AND id"
      " NOT IN (SELECT first_detection_id FROM cases WHERE"
      " first_detection_id IS NOT NULL)",
      "DELETE FROM cases WHERE id = ?", NULL},
     /* a notice about no case any more (one being sent is left alone) */
     "DELETE FROM notices WHERE state <> 'pending' AND NOT EXISTS (SELECT 1"
     " FROM notice_cases nc WHERE nc.notice_id = notices.id)"},
    {"detections",
     "after the detection",
     "d.id",
     "FROM detections d JOIN sightings g ON g.id = d.sighting_id WHERE"
     " d.detected_at <= ? AND d.id NOT IN (SELECT first_detection_id FROM"
     " cases WHERE first_detection_id IS NOT NULL) AND NOT EXISTS (SELECT 1"
     " FROM cases c WHERE c.url_id = g.url_id AND c.status = 'open')",
     FOUND_HELD,
     {"DELETE FROM detections WHERE id = ?", NULL},
     NULL},
    {"sightings",
     "after the sighting, once no detection names it",
     "g.id",
     "FROM sightings g WHERE g.seen_at <= ? AND NOT EXISTS (SELECT 1 FROM"
     " detections d WHERE d.sighting_id = g.id)",
     FOUND_HELD,
     {"DELETE FROM sightings WHERE id = ?", NULL},
     NULL},
    {"thumbnails",
     "after the media joined the review queue",
     "m.id",
     "FROM media m WHERE m.thumbnail IS NOT NULL AND"
     " coalesce(m.review_queued_at, m.first_seen_at) <= ?",
     NULL,
     /* an image still waiting leaves the queue (seen again, it comes back
        with a new thumbnail); a decision stays */
     {"UPDATE media SET thumbnail = NULL, review = CASE WHEN review ="
      " 'pending' THEN NULL ELSE review END, review_queued_at = CASE WHEN"
      " review = 'pending' THEN NULL ELSE review_queued_at END WHERE id = ?",
      NULL},
     NULL},
    {"sessions",
     "after the session expired",
     "s.token_hash",
     "FROM sessions s WHERE s.expires_at <= ?",
     NULL,
     {NULL}, /* by the batch: sessions have no id */
     NULL},
};

void vg_retention_policy_default(struct vg_retention_policy *p)
{
    static const int64_t days[VG_RET_KINDS] = {365, 730, 730, 365, 365, 90, 0};

    memcpy(p->days, days, sizeof(days));
    p->batch = VG_RETENTION_BATCH;
}

const char *vg_retention_kind_name(int kind)
{
    return kind >= 0 && kind < VG_RET_KINDS ? kinds[kind].name : NULL;
}

const char *vg_retention_kind_clock(int kind)
{
    return kind >= 0 && kind < VG_RET_KINDS ? kinds[kind].clock : NULL;
}

static int64_t cutoff(const struct vg_retention_policy *p, int k, int64_t now)
{
    return now - p->days[k] * DAY;
}

/* Kind k's counts at the cutoff (store held). */
static int count_kind(struct vg_store *st, int k, int64_t cut, int64_t *due,
                      int64_t *held, struct vg_err *err)
{
    const struct kind *d = &kinds[k];
    struct vg__stmt *s = NULL;
    char sql[2048];
    int rc;

    snprintf(sql, sizeof(sql),
             "SELECT count(*), coalesce(sum(CASE WHEN %s THEN 1 ELSE 0"
             " END), 0) %s",
             d->held ? d->held : "1 = 0", d->from);
    if ((rc = vg__store_query(st, &s, err, sql, "i", cut)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        *held = st->ops->col_int(s, 1);
        *due = st->ops->col_int(s, 0) - *held;
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = VG_OK;
    }
    st->ops->finalize(s);
    return rc;
}

int vg_store_retention_due(struct vg_store *st,
                           const struct vg_retention_policy *p, int64_t now,
                           struct vg_retention_counts *out, struct vg_err *err)
{
    int rc = VG_OK;

    memset(out, 0, sizeof(*out));
    LOCK(st);
    for (int k = 0; k < VG_RET_KINDS && !rc; k++)
        if (p->days[k] >= 0)
            rc = count_kind(st, k, cutoff(p, k, now), &out->done[k],
                            &out->held[k], err);
    UNLOCK(st);
    return rc;
}

/* Run sql with id bound to each of its parameters (store held). */
static int step_id(struct vg_store *st, const char *sql, int64_t id,
                   struct vg_err *err)
{
    static const char fmt[] = "iiii";
    struct vg__stmt *s = NULL;
    int n = 0, rc;

    for (const char *c = sql; *c; c++)
        n += *c == '?';
    if (n < 1 || n > 4)
        return vg_err_set(err, VG_EINTERNAL, "a step of %d parameters", n);
    if ((rc = vg__store_query(st, &s, err, sql, fmt + 4 - n, id, id, id, id)))
        return rc;
    return vg__store_run(st, s, err);
}

/* The ids after `after` of the next batch of kind k, in order (store
 * held, in the transaction): each batch goes on from the last, so rows
 * kept (held, or still needed) are read once a run, not once a batch. */
static int pick(struct vg_store *st, const struct kind *d, int64_t cut,
                int64_t after, int64_t batch, int64_t *ids, int64_t *n,
                struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char sql[2048];
    int rc;

    *n = 0;
    snprintf(sql, sizeof(sql),
             "SELECT %s %s AND %s > ?%s%s%s ORDER BY %s LIMIT ?", d->key,
             d->from, d->key, d->held ? " AND NOT (" : "",
             d->held ? d->held : "", d->held ? ")" : "", d->key);
    if ((rc = vg__store_query(st, &s, err, sql, "iii", cut, after, batch)))
        return rc;
    while ((rc = st->ops->step(s, err)) == VG__ROW && *n < batch)
        ids[(*n)++] = st->ops->col_int(s, 0);
    st->ops->finalize(s);
    return rc == VG__DONE || rc == VG__ROW ? VG_OK : rc;
}

/* One batch of kind k after *after (moved to its last id): *n rows
 * deleted, 0 when none was due. */
static int batch_kind(struct vg_store *st, int k, int64_t cut, int64_t *after,
                      int64_t batch, int64_t *ids, int64_t *n,
                      struct vg_err *err)
{
    const struct kind *d = &kinds[k];
    struct vg__stmt *s = NULL;
    int rc;

    *n = 0;
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err))) {
        UNLOCK(st);
        return rc;
    }
    if (!d->steps[0]) { /* sessions: by their key, in one statement */
        if (!(rc = vg__store_query(st, &s, err,
                                   "DELETE FROM sessions WHERE token_hash IN"
                                   " (SELECT token_hash FROM sessions WHERE"
                                   " expires_at <= ? ORDER BY token_hash"
                                   " LIMIT ?)",
                                   "ii", cut, batch)) &&
            !(rc = vg__store_run(st, s, err)))
            *n = st->ops->changes(st->db);
    } else {
        if (!(rc = pick(st, d, cut, *after, batch, ids, n, err)) && *n)
            *after = ids[*n - 1];
        for (int64_t i = 0; !rc && i < *n; i++)
            for (int j = 0; !rc && d->steps[j]; j++)
                rc = step_id(st, d->steps[j], ids[i], err);
        if (!rc && *n && d->after)
            rc = vg__store_exec(st, d->after, err);
    }
    rc = vg__store_end(st, rc, err);
    UNLOCK(st);
    if (rc)
        *n = 0;
    return rc;
}

/* Kind k to its end (or until go_on says stop), counted in out. */
static int run_kind(struct vg_store *st, const struct vg_retention_policy *p,
                    int k, int64_t now, int64_t *ids, int (*go_on)(void *),
                    void *ctx, struct vg_retention_counts *out,
                    struct vg_err *err)
{
    int64_t n = 0, after = 0, cut = cutoff(p, k, now);
    int rc;

    do {
        if (go_on && !go_on(ctx)) {
            out->stopped = 1;
            return VG_OK;
        }
        if ((rc = batch_kind(st, k, cut, &after, p->batch, ids, &n, err)))
            return vg_err_set(err, rc, "retention of %s: %s", kinds[k].name,
                              err && err->msg[0] ? err->msg : vg_strerror(rc));
        out->done[k] += n;
    } while (n == p->batch);
    return VG_OK;
}

/* The run's audit record: what went, what was held, the run's clock. */
static int record_run(struct vg_store *st, int64_t actor, int64_t now,
                      const struct vg_retention_counts *c, struct vg_err *err)
{
    char detail[1024];
    size_t n = 0;

    n += (size_t)snprintf(detail + n, sizeof(detail) - n, "deleted");
    for (int k = 0; k < VG_RET_KINDS; k++)
        n += (size_t)snprintf(detail + n, sizeof(detail) - n, " %s=%lld",
                              kinds[k].name, (long long)c->done[k]);
    n += (size_t)snprintf(detail + n, sizeof(detail) - n, "; held");
    for (int k = 0; k < VG_RET_KINDS; k++)
        n += (size_t)snprintf(detail + n, sizeof(detail) - n, " %s=%lld",
                              kinds[k].name, (long long)c->held[k]);
    snprintf(detail + n, sizeof(detail) - n, "; as of %lld%s", (long long)now,
             c->stopped ? "; stopped before the end" : "");
    return vg_store_audit_append(st, actor, "retention.run", NULL, 0, detail,
                                 err);
}

int vg_store_retention_run(struct vg_store *st,
                           const struct vg_retention_policy *p, int64_t now,
                           int64_t actor, int (*go_on)(void *ctx), void *ctx,
                           struct vg_retention_counts *out, struct vg_err *err)
{
    struct vg_retention_counts due;
    int64_t *ids;
    int rc;

    memset(out, 0, sizeof(*out));
    if (p->batch < 1 || p->batch > 100000)
        return vg_err_set(err, VG_EINVAL, "a batch of 1 to 100000 rows");
    if ((rc = vg_store_retention_due(st, p, now, &due, err)))
        return rc;
    memcpy(out->held, due.held, sizeof(due.held));
    if (!(ids = vg_malloc((size_t)p->batch * sizeof(*ids))))
        return VG_ENOMEM;
    for (int k = 0; k < VG_RET_KINDS && !rc && !out->stopped; k++)
        if (p->days[k] >= 0)
            rc = run_kind(st, p, k, now, ids, go_on, ctx, out, err);
    vg_free(ids);
    /* what went before a failure is recorded all the same */
    if (!rc)
        rc = record_run(st, actor, now, out, err);
    else
        record_run(st, actor, now, out, NULL);
    return rc;
}
