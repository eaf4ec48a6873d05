/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notice and takedown in the store (vigil/store_notices.h): cases
 * opened from detections, notices stored as an intent before they are
 * sent, their attempts, re-checks, and the figures per provider.  (One
 * row per group with min() takes the other columns from the min row: an
 * SQLite guarantee the PostgreSQL backend will spell with DISTINCT ON;
 * see the SQLITE-ONLY comments and docs/STORE-BACKENDS.md.)
 * Results are built row by row into structs (store.h: "Results").
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/store_notices.h"

/* A copy of text column i of s into the result's pool (due_cases; the
 * row readers use VG__TEXT). */
#define TEXT(i) vg__store_text(st, s, (i), &pool, &oom)

/* The same for a blob column, as hex. */
#define HEX(i) vg__store_hex(st, s, (i), &pool, &oom)

#define RUN(q)                                                                \
    do {                                                                      \
        if (!rc && !(rc = (q)))                                               \
            rc = vg__store_run(st, s, err);                                   \
    } while (0)

int vg_store_case_candidates(struct vg_store *st, const char *actionable,
                             int (*cb)(void *ctx,
                                       const struct vg_case_candidate *c),
                             void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    /* SQLITE-ONLY: instr(), and columns beside min() in a GROUP BY taken
     * from the min row; PostgreSQL: strpos(), and each URL's first
     * detection by DISTINCT ON */
    rc = vg__store_query(
        st, &s, err,
        VG__PG(st)
            ? "SELECT * FROM (SELECT DISTINCT ON (g.url_id) d.id, g.url_id,"
              " d.media_id, d.entry_id, u.url, g.server_ip,"
              " coalesce(e.category, l.category), d.detected_at FROM"
              " detections d JOIN sightings g ON g.id = d.sighting_id JOIN"
              " urls u ON u.id = g.url_id JOIN list_entries e ON e.id ="
              " d.entry_id JOIN hash_lists l ON l.id = d.list_id WHERE"
              " l.kind = 'block' AND l.enabled = 1 AND e.enabled = 1 AND"
              " strpos(',' || ? || ',', ',' || coalesce(e.category,"
              " l.category) || ',') > 0 AND NOT EXISTS (SELECT 1 FROM cases"
              " c WHERE c.url_id = g.url_id AND (c.status = 'open' OR"
              " c.opened_at >= d.detected_at)) ORDER BY g.url_id, d.id) AS"
              " firsts ORDER BY 1"
            : "SELECT min(d.id), g.url_id, d.media_id, d.entry_id, u.url,"
              " g.server_ip, coalesce(e.category, l.category),"
              " d.detected_at FROM detections d JOIN sightings g ON g.id ="
              " d.sighting_id JOIN urls u ON u.id = g.url_id JOIN"
              " list_entries e ON e.id = d.entry_id JOIN hash_lists l ON"
              " l.id = d.list_id WHERE l.kind = 'block' AND l.enabled = 1"
              " AND e.enabled = 1 AND instr(',' || ? || ',', ',' ||"
              " coalesce(e.category, l.category) || ',') > 0 AND NOT EXISTS"
              " (SELECT 1 FROM cases c WHERE c.url_id = g.url_id AND"
              " (c.status = 'open' OR c.opened_at >= d.detected_at)) GROUP"
              " BY g.url_id ORDER BY min(d.id)",
        "t", actionable);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_case_candidate c = {
            .detection_id = st->ops->col_int(s, 0),
            .url_id = st->ops->col_int(s, 1),
            .media_id = st->ops->col_int(s, 2),
            .entry_id = st->ops->col_int(s, 3),
            .url = st->ops->col_text(s, 4),
            .server_ip = st->ops->col_text(s, 5),
            .category = st->ops->col_text(s, 6),
            .detected_at = st->ops->col_int(s, 7),
        };
        rc = cb(ctx, &c);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/* The same material as the case being opened (params: media, entry). */
#define SAME_MATERIAL                                                         \
    " (e.media_id = ? OR EXISTS (SELECT 1 FROM detections d WHERE d.id ="     \
    " e.first_detection_id AND d.entry_id = ?))"

/* The earlier cases c is linked to, into *l (store locked, in the
 * transaction): vigil/store_notices.h, struct vg_case_links. */
static int case_links(struct vg_store *st, const struct vg_case_candidate *c,
                      struct vg_case_links *l, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT min(e.id) FROM cases e WHERE"
                               " e.url_id <> ? AND" SAME_MATERIAL
                               " AND (e.status <> 'removed' OR e.removed_at"
                               " > ?)",
                               "iiii", c->url_id, c->media_id, c->entry_id,
                               c->detected_at)))
        rc = vg__store_scalar(st, s, &l->also_hosted_with, err);
    if (rc == VG_ENOENT)
        rc = VG_OK;
    if (rc ||
        (rc = vg__store_query(
             st, &s, err,
             "SELECT e.id, ? - e.removed_at FROM cases e WHERE" SAME_MATERIAL
             " AND e.status = 'removed' AND"
             " e.removed_at <= ? ORDER BY e.removed_at DESC, e.id"
             " DESC LIMIT 1",
             "iiii", c->detected_at, c->media_id, c->entry_id,
             c->detected_at)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        l->reupload_of = st->ops->col_int(s, 0);
        l->reappeared_after = st->ops->col_int(s, 1);
    }
    st->ops->finalize(s);
    return rc == VG__ROW || rc == VG__DONE ? VG_OK : rc;
}

int vg_store_case_open(struct vg_store *st, const struct vg_case_candidate *c,
                       int64_t provider_id, int64_t now, int64_t next_check_at,
                       int64_t *case_id, struct vg_case_links *links,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct vg_case_links l = {0, 0, -1};
    int64_t id = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    rc = case_links(st, c, &l, err);
    if (!rc &&
        !(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO cases (url_id, provider_id,"
              " first_detection_id, also_hosted_with, reupload_of,"
              " reappeared_after, opened_at, status, media_id, category,"
              " detected_at, next_check_at) VALUES (?, NULLIF(?, 0), ?,"
              " NULLIF(?, 0), NULLIF(?, 0), NULLIF(?, -1), ?, 'open',"
              " NULLIF(?, 0), ?, ?, ?) RETURNING id",
              "iiiiiiiitii", c->url_id, provider_id, c->detection_id,
              l.also_hosted_with, l.reupload_of, l.reappeared_after, now,
              c->media_id, c->category, c->detected_at, next_check_at)))
        rc = vg__store_scalar(st, s, &id, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc) {
        *case_id = id;
        *links = l;
    }
    return rc;
}

/* One provider row of due_providers. */
static void due_provider_row(struct vg_store *st, struct vg__stmt *s,
                             void *elem, struct vg_store_strings **pool,
                             int *oom)
{
    struct vg_due_provider *p = elem;

    p->provider_id = st->ops->col_int(s, 0);
    p->name = VG__TEXT(1);
    p->abuse_emails = VG__TEXT(2);
    p->language = VG__TEXT(3);
    p->one_notice_per_url = st->ops->col_int(s, 4) != 0;
}

/* The providers due a notice into d (store locked). */
static int due_providers(struct vg_store *st, int64_t now, int64_t renotify_s,
                         struct vg_notices_due *d, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    rc = vg__store_query(st, &s, err,
                         "SELECT p.id, p.name, p.abuse_emails, p.language,"
                         " p.one_notice_per_url FROM providers p WHERE"
                         " EXISTS (SELECT 1 FROM cases c WHERE"
                         " c.provider_id = p.id AND c.status = 'open'"
                         " AND (c.last_notice_at IS NULL OR"
                         " c.last_notice_at + ? <= ?)) ORDER BY p.id",
                         "ii", renotify_s, now);
    if (!rc)
        rc = vg__store_collect(st, s, &d->v, &d->n, sizeof(*d->v),
                               due_provider_row, &d->strings, err);
    return rc;
}

/* The cases due a notice into d, each provider's cases together (store
 * locked; providers by id, cases by provider then id). */
static int due_cases(struct vg_store *st, int64_t now, int64_t renotify_s,
                     struct vg_notices_due *d, struct vg_err *err)
{
    struct vg_store_strings *pool = d->strings;
    struct vg__stmt *s = NULL;
    size_t n = 0, cap = 0, k = 0;
    int rc, oom = 0;

    rc = vg__store_query(st, &s, err,
                         "SELECT c.id, c.provider_id, u.url, c.detected_at,"
                         " m.sha256, c.category, c.reupload_of,"
                         " c.notices_sent FROM cases c JOIN urls u ON u.id ="
                         " c.url_id LEFT JOIN media m ON m.id = c.media_id"
                         " WHERE c.status = 'open' AND c.provider_id IS NOT"
                         " NULL AND (c.last_notice_at IS NULL OR"
                         " c.last_notice_at + ? <= ?) ORDER BY"
                         " c.provider_id, c.id",
                         "ii", renotify_s, now);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        int64_t provider = st->ops->col_int(s, 1);
        struct vg_due_case *c;
        while (k < d->n && d->v[k].provider_id < provider)
            k++;
        if (k == d->n || d->v[k].provider_id != provider)
            continue; /* a provider deleted meanwhile cannot happen here */
        if ((rc = vg__store_grow(&d->cases_, &cap, n, sizeof(*c))))
            break;
        c = &d->cases_[n++];
        c->id = st->ops->col_int(s, 0);
        c->url = TEXT(2);
        c->detected_at = st->ops->col_int(s, 3);
        c->sha256 = HEX(4);
        c->category = TEXT(5);
        c->reupload_of = st->ops->col_int(s, 6);
        c->notices_sent = st->ops->col_int(s, 7);
        d->v[k].ncases++;
    }
    st->ops->finalize(s);
    d->strings = pool;
    /* the array is final only now: point each provider at its cases */
    for (size_t i = 0, at = 0; i < d->n; i++) {
        d->v[i].cases = d->v[i].ncases ? d->cases_ + at : NULL;
        at += d->v[i].ncases;
    }
    return oom ? VG_ENOMEM : rc == VG__DONE ? VG_OK : rc;
}

int vg_store_notices_due(struct vg_store *st, int64_t now, int64_t renotify_s,
                         struct vg_notices_due **out, struct vg_err *err)
{
    struct vg_notices_due *d = vg_calloc(1, sizeof(*d));
    int rc;

    *out = NULL;
    if (!d)
        return VG_ENOMEM;
    LOCK(st);
    if (!(rc = due_providers(st, now, renotify_s, d, err)))
        rc = due_cases(st, now, renotify_s, d, err);
    UNLOCK(st);
    if (rc) {
        vg_notices_due_free(d);
        return rc;
    }
    *out = d;
    return VG_OK;
}

void vg_notices_due_free(struct vg_notices_due *d)
{
    if (!d)
        return;
    vg__store_strings_free(d->strings);
    vg_free(d->cases_);
    vg_free(d->v);
    vg_free(d);
}

int vg_store_notice_create(struct vg_store *st, const struct vg_notice_rec *r,
                           int64_t now, int escalate_after, int64_t *id,
                           int64_t *escalated, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t cycle = 0, nid = 0, esc = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT coalesce(max(cycle), 0) + 1 FROM"
                               " notices WHERE provider_id = ?",
                               "i", r->provider_id)))
        rc = vg__store_scalar(st, s, &cycle, err);
    if (!rc &&
        !(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO notices (provider_id, cycle, message_id,"
              " language, created_at, state, next_attempt_at,"
              " recipients, subject, body) VALUES (?, ?, ?, ?, ?,"
              " 'pending', ?, ?, ?, ?) RETURNING id",
              "iittiittt", r->provider_id, cycle, r->message_id, r->language,
              now, now, r->recipients, r->subject, r->body)))
        rc = vg__store_scalar(st, s, &nid, err);
    for (size_t i = 0; !rc && i < r->ncases; i++) {
        RUN(vg__store_query(st, &s, err,
                            "INSERT INTO notice_cases (notice_id, case_id)"
                            " VALUES (?, ?)",
                            "ii", nid, r->case_ids[i]));
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET last_notice_at = ?,"
                            " first_notice_at = coalesce(first_notice_at,"
                            " ?), notices_sent = notices_sent + 1"
                            " WHERE id = ?",
                            "iii", now, now, r->case_ids[i]));
        if (!rc &&
            !(rc = vg__store_query(st, &s, err,
                                   "UPDATE cases SET escalated = 1"
                                   " WHERE id = ? AND escalated = 0"
                                   " AND notices_sent >= ?",
                                   "ii", r->case_ids[i],
                                   (int64_t)escalate_after)) &&
            !(rc = vg__store_run(st, s, err)))
            esc += st->ops->changes(st->db);
    }
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc) {
        *id = nid;
        *escalated = esc;
    }
    return rc;
}

/* One notice row of vg_store_notices_pending. */
static void pending_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                        struct vg_store_strings **pool, int *oom)
{
    struct vg_notice_pending *n = elem;

    n->id = st->ops->col_int(s, 0);
    n->provider_id = st->ops->col_int(s, 1);
    n->cycle = st->ops->col_int(s, 2);
    n->message_id = VG__TEXT(3);
    n->recipients = VG__TEXT(4);
    n->language = VG__TEXT(5);
    n->subject = VG__TEXT(6);
    n->body = VG__TEXT(7);
    n->attempts = st->ops->col_int(s, 8);
}

int vg_store_notices_pending(struct vg_store *st, int64_t now,
                             struct vg_notices_pending **out,
                             struct vg_err *err)
{
    struct vg_notices_pending *p = vg_calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (!p)
        return VG_ENOMEM;
    rc = vg__store_list(st, &p->v, &p->n, sizeof(*p->v), pending_row,
                        &p->strings, err,
                        "SELECT id, provider_id, cycle, message_id,"
                        " recipients, language, subject, body, attempts"
                        " FROM notices WHERE state = 'pending' AND"
                        " next_attempt_at <= ? ORDER BY id",
                        "i", now);
    if (rc) {
        vg_notices_pending_free(p);
        return rc;
    }
    *out = p;
    return VG_OK;
}

void vg_notices_pending_free(struct vg_notices_pending *p)
{
    if (!p)
        return;
    vg__store_strings_free(p->strings);
    vg_free(p->v);
    vg_free(p);
}

int vg_store_notice_attempt(struct vg_store *st, int64_t id, const char *state,
                            int64_t now, int64_t next_attempt_at,
                            const char *result, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    LOCK(st);
    RUN(vg__store_query(st, &s, err,
                        "UPDATE notices SET state = ?, attempts = attempts"
                        " + 1, sent_at = CASE WHEN ? = 'sent' THEN ? ELSE"
                        " sent_at END, next_attempt_at = ?, result = ?"
                        " WHERE id = ?",
                        "ttiiti", state, state, now, next_attempt_at, result,
                        id));
    UNLOCK(st);
    return rc;
}

int vg_store_notice_hold(struct vg_store *st, int64_t id, const char *why,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    LOCK(st);
    RUN(vg__store_query(st, &s, err,
                        "UPDATE notices SET result = ? WHERE id = ?", "ti",
                        why, id));
    UNLOCK(st);
    return rc;
}

/* One notice row of vg_store_notices. */
static void notice_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                       struct vg_store_strings **pool, int *oom)
{
    struct vg_notice_info *n = elem;

    n->id = st->ops->col_int(s, 0);
    n->provider = VG__TEXT(1);
    n->cycle = st->ops->col_int(s, 2);
    n->message_id = VG__TEXT(3);
    n->recipients = VG__TEXT(4);
    n->state = VG__TEXT(5);
    n->attempts = st->ops->col_int(s, 6);
    n->created_at = st->ops->col_int(s, 7);
    n->sent_at = st->ops->col_int(s, 8);
    n->next_attempt_at = st->ops->col_int(s, 9);
    n->result = VG__TEXT(10);
}

int vg_store_notices(struct vg_store *st, int64_t offset, int64_t limit,
                     struct vg_notice_list **out, struct vg_err *err)
{
    struct vg_notice_list *l = vg_calloc(1, sizeof(*l));
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    if (!l)
        return VG_ENOMEM;
    rc = vg__store_list(st, &l->v, &l->n, sizeof(*l->v), notice_row,
                        &l->strings, err,
                        "SELECT n.id, p.name, n.cycle, n.message_id,"
                        " n.recipients, n.state, n.attempts, n.created_at,"
                        " n.sent_at, n.next_attempt_at, n.result FROM"
                        " notices n JOIN providers p ON p.id ="
                        " n.provider_id ORDER BY n.id DESC LIMIT ? OFFSET ?",
                        "ii", limit, offset);
    LOCK(st);
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "SELECT count(*) FROM notices", "")))
        rc = vg__store_scalar(st, s, &l->total, err);
    UNLOCK(st);
    if (rc) {
        vg_notice_list_free(l);
        return rc;
    }
    *out = l;
    return VG_OK;
}

void vg_notice_list_free(struct vg_notice_list *l)
{
    if (!l)
        return;
    vg__store_strings_free(l->strings);
    vg_free(l->v);
    vg_free(l);
}

/* One case row of vg_store_rechecks_due (the columns of RECHECK_COLS). */
static void recheck_due_row(struct vg_store *st, struct vg__stmt *s,
                            void *elem, struct vg_store_strings **pool,
                            int *oom)
{
    struct vg_recheck_due *c = elem;
    size_t n = 0;
    const uint8_t *pdq = st->ops->col_blob(s, 3, &n);

    c->case_id = st->ops->col_int(s, 0);
    c->url = VG__TEXT(1);
    c->sha256 = VG__HEX(2);
    if (pdq && n == 32)
        vg_hex_encode(pdq, 32, c->pdq);
    c->checks = st->ops->col_int(s, 4);
    c->first_notice_at = st->ops->col_int(s, 5);
    c->next_check_at = st->ops->col_int(s, 6);
    c->etag = VG__TEXT(7);
    c->last_modified = VG__TEXT(8);
    c->detected_headers = VG__TEXT(9);
}

#define RECHECK_COLS                                                          \
    "SELECT c.id, u.url, m.sha256, (SELECT value FROM media_hashes WHERE"     \
    " media_id = m.id AND algo = 'pdq'), c.checks, c.first_notice_at,"        \
    " c.next_check_at, c.etag, c.last_modified, (SELECT g.headers FROM"       \
    " detections d JOIN sightings g ON g.id = d.sighting_id WHERE d.id ="     \
    " c.first_detection_id) FROM cases c JOIN urls u ON u.id = c.url_id"      \
    " LEFT JOIN media m ON m.id = c.media_id"

int vg_store_rechecks_due(struct vg_store *st, int64_t now, int64_t limit,
                          struct vg_rechecks_due **out, struct vg_err *err)
{
    struct vg_rechecks_due *r = vg_calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return VG_ENOMEM;
    rc = vg__store_list(st, &r->v, &r->n, sizeof(*r->v), recheck_due_row,
                        &r->strings, err,
                        RECHECK_COLS " WHERE c.status = 'open' AND"
                                     " c.next_check_at <= ? ORDER BY"
                                     " c.next_check_at, c.id LIMIT ?",
                        "ii", now, limit);
    if (rc) {
        vg_rechecks_due_free(r);
        return rc;
    }
    *out = r;
    return VG_OK;
}

int vg_store_rechecks_due_count(struct vg_store *st, int64_t now, int64_t *n,
                                struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *n = 0;
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT COUNT(*) FROM cases WHERE status ="
                               " 'open' AND next_check_at <= ?",
                               "i", now)))
        rc = vg__store_scalar(st, s, n, err);
    UNLOCK(st);
    return rc;
}

int vg_store_rechecks_reminders(struct vg_store *st, int64_t now,
                                int64_t renotify_s,
                                struct vg_rechecks_due **out,
                                struct vg_err *err)
{
    struct vg_rechecks_due *r = vg_calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return VG_ENOMEM;
    rc = vg__store_list(st, &r->v, &r->n, sizeof(*r->v), recheck_due_row,
                        &r->strings, err,
                        RECHECK_COLS " WHERE c.status = 'open' AND"
                                     " c.provider_id IS NOT NULL AND"
                                     " c.last_notice_at + ? <= ? ORDER BY"
                                     " c.provider_id, c.id",
                        "ii", renotify_s, now);
    if (rc) {
        vg_rechecks_due_free(r);
        return rc;
    }
    *out = r;
    return VG_OK;
}

void vg_rechecks_due_free(struct vg_rechecks_due *r)
{
    if (!r)
        return;
    vg__store_strings_free(r->strings);
    vg_free(r->v);
    vg_free(r);
}

/* Record one re-check (store locked, in a write transaction). */
static int recheck_one(struct vg_store *st, const struct vg_recheck_rec *r,
                       struct vg_err *err)
{
    const struct vg_recheck_seen *seen = &r->seen;
    struct vg__stmt *s = NULL;
    const char *reason = seen->reason;
    int rc = VG_OK;

    RUN(vg__store_query(st, &s, err,
                        "INSERT INTO rechecks (case_id, checked_at,"
                        " http_status, result) VALUES (?, ?, ?, ?)",
                        "iiit", r->case_id, r->checked_at,
                        (int64_t)seen->http_status,
                        reason && *reason ? reason : seen->result));
    if (!strcmp(seen->result, "removed"))
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET status = 'removed', removed_at"
                            " = ?, removal = ?, checks = checks + 1,"
                            " next_check_at = NULL WHERE id = ?",
                            "iti", r->checked_at, reason, r->case_id));
    else if (seen->validators)
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET checks = checks + 1,"
                            " next_check_at = ?, etag = NULLIF(?, ''),"
                            " last_modified = NULLIF(?, '') WHERE id = ?",
                            "itti", r->next_check_at,
                            seen->etag ? seen->etag : "",
                            seen->last_modified ? seen->last_modified : "",
                            r->case_id));
    else
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET checks = checks + 1,"
                            " next_check_at = ? WHERE id = ?",
                            "ii", r->next_check_at, r->case_id));
    return rc;
}

int vg_store_recheck_many(struct vg_store *st, const struct vg_recheck_rec *v,
                          size_t n, struct vg_err *err)
{
    int rc;

    if (!n)
        return VG_OK;
    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        for (size_t i = 0; !rc && i < n; i++)
            rc = recheck_one(st, &v[i], err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

/* Columns 0..14 of a case row into c (the query's order below). */
#define CASE_COLS                                                             \
    "c.id, u.url, p.name, c.status, c.opened_at, c.first_notice_at,"          \
    " c.removed_at, c.removal, c.notices_sent, c.escalated, c.reupload_of,"   \
    " c.category, c.checks, c.also_hosted_with,"                              \
    " coalesce(c.reappeared_after, -1)"

static void case_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                     struct vg_store_strings **pool, int *oom)
{
    struct vg_case_info *c = elem;

    c->id = st->ops->col_int(s, 0);
    c->url = VG__TEXT(1);
    c->provider = VG__TEXT(2);
    c->status = VG__TEXT(3);
    c->opened_at = st->ops->col_int(s, 4);
    c->first_notice_at = st->ops->col_int(s, 5);
    c->removed_at = st->ops->col_int(s, 6);
    c->removal = VG__TEXT(7);
    c->notices_sent = st->ops->col_int(s, 8);
    c->escalated = st->ops->col_int(s, 9) != 0;
    c->links.reupload_of = st->ops->col_int(s, 10);
    c->category = VG__TEXT(11);
    c->checks = st->ops->col_int(s, 12);
    c->links.also_hosted_with = st->ops->col_int(s, 13);
    c->links.reappeared_after = st->ops->col_int(s, 14);
}

/* How many cases have status ("" for all) and an id above above, into
 * *n. */
static int cases_count(struct vg_store *st, const char *status, int64_t above,
                       int64_t *n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT count(*) FROM cases WHERE (? = '' OR"
                               " status = ?) AND id > ?",
                               "tti", status, status, above)))
        rc = vg__store_scalar(st, s, n, err);
    UNLOCK(st);
    return rc;
}

#define CASES_FROM                                                            \
    "SELECT " CASE_COLS " FROM cases c JOIN urls u ON u.id = c.url_id LEFT"   \
    " JOIN providers p ON p.id = c.provider_id WHERE (? = '' OR c.status = ?)"

/* Rows newest first after a page read oldest first (the one above after). */
static void cases_reverse(struct vg_case_list *l)
{
    for (size_t i = 0; i < l->n / 2; i++) {
        struct vg_case_info t = l->v[i];
        l->v[i] = l->v[l->n - 1 - i];
        l->v[l->n - 1 - i] = t;
    }
}

/* The page's rows, one more than limit to know whether another follows,
 * and its cursors. */
static int cases_page(struct vg_store *st, const char *status, int64_t before,
                      int64_t after, int64_t limit, struct vg_case_list *l,
                      struct vg_err *err)
{
    int more, rc;

    if (after)
        rc = vg__store_list(st, &l->v, &l->n, sizeof(*l->v), case_row,
                            &l->strings, err,
                            CASES_FROM " AND c.id > ? ORDER BY c.id LIMIT ?",
                            "ttii", status, status, after, limit + 1);
    else
        rc = vg__store_list(st, &l->v, &l->n, sizeof(*l->v), case_row,
                            &l->strings, err,
                            CASES_FROM " AND (? = 0 OR c.id < ?) ORDER BY"
                                       " c.id DESC LIMIT ?",
                            "ttiii", status, status, before, before,
                            limit + 1);
    if (rc || !l->n)
        return rc;
    if ((more = l->n > (size_t)limit))
        l->n = (size_t)limit;
    if (after)
        cases_reverse(l);
    /* the way back: the page one came from (older, or newer) is there */
    l->next = after || more ? l->v[l->n - 1].id : 0;
    l->prev = before || (after && more) ? l->v[0].id : 0;
    return VG_OK;
}

int vg_store_cases(struct vg_store *st, const char *status, int64_t before,
                   int64_t after, int64_t limit, int count,
                   struct vg_case_list **out, struct vg_err *err)
{
    struct vg_case_list *l = vg_calloc(1, sizeof(*l));
    int rc;

    *out = NULL;
    if (!l)
        return VG_ENOMEM;
    status = status ? status : "";
    limit = limit > 0 && limit < INT64_MAX ? limit : INT64_MAX - 1;
    rc = cases_page(st, status, before, after, limit, l, err);
    if (!rc && count)
        rc = cases_count(st, status, 0, &l->total, err);
    if (!rc && count && l->n)
        rc = cases_count(st, status, l->v[0].id, &l->from, err);
    if (rc) {
        vg_case_list_free(l);
        return rc;
    }
    *out = l;
    return VG_OK;
}

void vg_case_list_free(struct vg_case_list *l)
{
    if (!l)
        return;
    vg__store_strings_free(l->strings);
    vg_free(l->v);
    vg_free(l);
}

/* One notice row of case_parts. */
static void case_notice_row(struct vg_store *st, struct vg__stmt *s,
                            void *elem, struct vg_store_strings **pool,
                            int *oom)
{
    struct vg_notice_info *n = elem;

    n->id = st->ops->col_int(s, 0);
    n->cycle = st->ops->col_int(s, 1);
    n->message_id = VG__TEXT(2);
    n->recipients = VG__TEXT(3);
    n->state = VG__TEXT(4);
    n->created_at = st->ops->col_int(s, 5);
    n->sent_at = st->ops->col_int(s, 6);
    n->attempts = st->ops->col_int(s, 7);
    n->result = VG__TEXT(8);
}

/* One re-check row of case_parts. */
static void case_recheck_row(struct vg_store *st, struct vg__stmt *s,
                             void *elem, struct vg_store_strings **pool,
                             int *oom)
{
    struct vg_recheck_info *k = elem;

    k->checked_at = st->ops->col_int(s, 0);
    k->http_status = st->ops->col_int(s, 1);
    k->result = VG__TEXT(2);
}

/* The case's notices and re-checks into c (store locked). */
static int case_parts(struct vg_store *st, struct vg_case_detail *c,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    rc = vg__store_query(st, &s, err,
                         "SELECT n.id, n.cycle, n.message_id, n.recipients,"
                         " n.state, n.created_at, n.sent_at, n.attempts,"
                         " n.result FROM notices n JOIN notice_cases nc ON"
                         " nc.notice_id = n.id WHERE nc.case_id = ? ORDER BY"
                         " n.id",
                         "i", c->c.id);
    if (!rc)
        rc = vg__store_collect(st, s, &c->notices, &c->nnotices,
                               sizeof(*c->notices), case_notice_row,
                               &c->strings, err);
    if (!rc)
        rc = vg__store_query(st, &s, err,
                             "SELECT checked_at, http_status, result FROM"
                             " rechecks WHERE case_id = ? ORDER BY id",
                             "i", c->c.id);
    if (!rc)
        rc = vg__store_collect(st, s, &c->rechecks, &c->nrechecks,
                               sizeof(*c->rechecks), case_recheck_row,
                               &c->strings, err);
    return rc;
}

/* The case row of vg_store_case_get into its detail. */
static void case_detail_row(struct vg_store *st, struct vg__stmt *s,
                            void *elem, struct vg_store_strings **pool,
                            int *oom)
{
    struct vg_case_detail *c = elem;

    case_row(st, s, &c->c, pool, oom);
    c->abuse_emails = VG__TEXT(15);
    c->detected_at = st->ops->col_int(s, 16);
    c->sha256 = VG__HEX(17);
}

int vg_store_case_get(struct vg_store *st, int64_t id,
                      struct vg_case_detail **out, struct vg_err *err)
{
    struct vg_case_detail *c = vg_calloc(1, sizeof(*c));
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    if (!c)
        return VG_ENOMEM;
    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT " CASE_COLS ", p.abuse_emails,"
                         " c.detected_at, m.sha256 FROM cases c JOIN urls u"
                         " ON u.id = c.url_id LEFT JOIN providers p ON p.id"
                         " = c.provider_id LEFT JOIN media m ON m.id ="
                         " c.media_id WHERE c.id = ?",
                         "i", id);
    if (!rc && (rc = vg__store_one(st, s, c, case_detail_row, &c->strings,
                                   err)) == VG_ENOENT)
        vg_err_set(err, rc, "no case %lld", (long long)id);
    if (!rc)
        rc = case_parts(st, c, err);
    UNLOCK(st);
    if (rc) {
        vg_case_detail_free(c);
        return rc;
    }
    *out = c;
    return VG_OK;
}

void vg_case_detail_free(struct vg_case_detail *c)
{
    if (!c)
        return;
    vg__store_strings_free(c->strings);
    vg_free(c->notices);
    vg_free(c->rechecks);
    vg_free(c);
}

/* Each provider's times from the query's rows (provider, seconds), in
 * their order, into *own and the providers' ttr (or, reappear 1, their
 * reappear) (store locked; the providers are in r->v already). */
static int report_times(struct vg_store *st, struct vg_notice_report *r,
                        const char *sql, int64_t **own, int reappear,
                        struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t(*all)[2] = NULL; /* provider, seconds */
    size_t n = 0, cap = 0, at = 0;
    int rc;

    rc = vg__store_query(st, &s, err, sql, "");
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW &&
           !(rc = vg__store_grow(&all, &cap, n, sizeof(*all)))) {
        all[n][0] = st->ops->col_int(s, 0);
        all[n++][1] = st->ops->col_int(s, 1);
    }
    st->ops->finalize(s);
    if (rc == VG__DONE && n && !(*own = vg_calloc(n, sizeof(**own))))
        rc = VG_ENOMEM;
    /* each provider's share, in the order of the query (ascending) */
    for (size_t i = 0; rc == VG__DONE && n && i < r->n; i++) {
        struct vg_provider_figures *f = &r->v[i];
        const int64_t **v = reappear ? &f->reappear : &f->ttr;
        size_t *nv = reappear ? &f->nreappear : &f->nttr;
        *v = *own + at;
        for (size_t k = 0; k < n; k++)
            if (all[k][0] == f->provider_id)
                (*own)[at++] = all[k][1];
        *nv = (size_t)(*own + at - *v);
        if (!*nv)
            *v = NULL;
    }
    vg_free(all);
    return rc == VG__DONE ? VG_OK : rc;
}

/* Each provider's times to removal and re-uploads' delays (store locked). */
static int report_ttr(struct vg_store *st, struct vg_notice_report *r,
                      struct vg_err *err)
{
    int rc = report_times(
        st, r,
        "SELECT coalesce(provider_id, 0), removed_at - first_notice_at AS ttr"
        " FROM cases WHERE status = 'removed' AND first_notice_at IS NOT"
        " NULL ORDER BY ttr",
        &r->ttr_, 0, err);

    if (!rc)
        rc = report_times(
            st, r,
            "SELECT coalesce(provider_id, 0), reappeared_after FROM cases"
            " WHERE reappeared_after IS NOT NULL ORDER BY reappeared_after",
            &r->reappear_, 1, err);
    return rc;
}

/* One provider row of vg_store_notice_report. */
static void figures_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                        struct vg_store_strings **pool, int *oom)
{
    struct vg_provider_figures *f = elem;

    f->provider_id = st->ops->col_int(s, 0);
    f->provider = VG__TEXT(1);
    f->notified = st->ops->col_int(s, 2);
    f->removed = st->ops->col_int(s, 3);
    f->up = st->ops->col_int(s, 4);
    f->notices = st->ops->col_int(s, 5);
    f->failed_notices = st->ops->col_int(s, 6);
    f->also_hosted = st->ops->col_int(s, 7);
    f->reuploads = st->ops->col_int(s, 8);
    f->escalated = st->ops->col_int(s, 9);
}

int vg_store_notice_report(struct vg_store *st, struct vg_notice_report **out,
                           struct vg_err *err)
{
    struct vg_notice_report *r = vg_calloc(1, sizeof(*r));
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    if (!r)
        return VG_ENOMEM;
    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT coalesce(c.provider_id, 0), coalesce(p.name, '') AS provider,"
        " sum(CASE WHEN c.first_notice_at IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.status = 'removed' THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.status = 'open' THEN 1 ELSE 0 END),"
        " (SELECT count(*) FROM notices n WHERE n.provider_id ="
        " c.provider_id AND n.state = 'sent'),"
        " (SELECT count(*) FROM notices n WHERE n.provider_id ="
        " c.provider_id AND n.state = 'failed'),"
        " sum(CASE WHEN c.also_hosted_with IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(CASE WHEN c.reappeared_after IS NOT NULL THEN 1 ELSE 0 END),"
        " sum(c.escalated) FROM cases c LEFT JOIN providers p ON p.id ="
        " c.provider_id GROUP BY c.provider_id, p.name ORDER BY"
        " provider",
        "");
    if (!rc)
        rc = vg__store_collect(st, s, &r->v, &r->n, sizeof(*r->v), figures_row,
                               &r->strings, err);
    if (!rc)
        rc = report_ttr(st, r, err);
    UNLOCK(st);
    if (rc) {
        vg_notice_report_free(r);
        return rc;
    }
    *out = r;
    return VG_OK;
}

void vg_notice_report_free(struct vg_notice_report *r)
{
    if (!r)
        return;
    vg__store_strings_free(r->strings);
    vg_free(r->ttr_);
    vg_free(r->reappear_);
    vg_free(r->v);
    vg_free(r);
}
