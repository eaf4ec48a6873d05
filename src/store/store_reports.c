/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports (vigil/store_reports.h): stored in batches, each in one
 * transaction, so a server can acknowledge many concurrent submissions
 * with one disk flush; each gets a random reference; partner retries with
 * the same idempotency key get the first report's reference back; reported
 * URLs become seeds, at the highest priority, of one standing crawl.  Then the
 * analysts' side: the queue, a report opened with its URLs, incidents and
 * the media seen on its pages, and incidents split and classified, every
 * change audited in its own transaction.
 */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_crawl.h"
#include "vigil/store_reports.h"

#define STANDING "{\"standing\":\"reports\"}"

/* XXXX-XXXX-XXXX in Crockford's base 32 (no I, L, O, U): 60 random bits. */
static int new_reference(char out[VG_REFERENCE_LEN + 1])
{
    static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    uint8_t r[12];

    if (RAND_bytes(r, sizeof(r)) != 1)
        return VG_EINTERNAL;
    for (int i = 0, k = 0; i < VG_REFERENCE_LEN; i++)
        out[i] = (i == 4 || i == 9) ? '-' : digits[r[k++] & 31];
    out[VG_REFERENCE_LEN] = 0;
    return VG_OK;
}

/* The standing crawl's id, creating it (store locked, in a transaction). */
static int standing_crawl(struct vg_store *st, int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              "SELECT id FROM crawls WHERE params = ?"
                              " ORDER BY id LIMIT 1",
                              "t", STANDING)) ||
        (rc = vg__store_scalar(st, s, id, err)) != VG_ENOENT)
        return rc;
    if ((rc = vg__store_query(st, &s, err,
                              "INSERT INTO crawls (started_at, params) VALUES"
                              " (?, ?) RETURNING id",
                              "it", (int64_t)time(NULL), STANDING)))
        return rc;
    return vg__store_scalar(st, s, id, err);
}

int vg_store_reports_crawl(struct vg_store *st, int64_t *crawl_id,
                           struct vg_err *err)
{
    int rc;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = standing_crawl(st, crawl_id, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

/* A partner's earlier report with this key, if any (0: none). */
static int earlier(struct vg_store *st, const struct vg_report_rec *r,
                   struct vg_report_ack *ack, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if (!r->api_key_id || !r->idempotency_key)
        return VG_OK;
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT id, reference FROM reports WHERE"
                              " api_key_id = ? AND idempotency_key = ?",
                              "it", r->api_key_id, r->idempotency_key)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        const char *ref = st->ops->col_text(s, 1);
        ack->id = st->ops->col_int(s, 0);
        snprintf(ack->reference, sizeof(ack->reference), "%s", ref ? ref : "");
        ack->duplicate = 1;
    }
    st->ops->finalize(s);
    return rc < 0 ? rc : VG_OK;
}

static int insert_one(struct vg_store *st, const struct vg_report_rec *r,
                      int64_t crawl, int64_t now, struct vg_report_ack *ack,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    memset(ack, 0, sizeof(*ack));
    if ((rc = earlier(st, r, ack, err)) || ack->duplicate)
        return rc;
    /* a fresh reference; on the rare clash, another */
    for (int tries = 0; !ack->id; tries++) {
        if (tries == 8)
            return vg_err_set(err, VG_EINTERNAL, "no free reference");
        if ((rc = new_reference(ack->reference)))
            return vg_err_set(err, rc, "no random bytes for a reference");
        if ((rc = vg__store_query(
                 st, &s, err,
                 "INSERT INTO reports (reference, received_at, channel,"
                 " language, incident_type, incident_at, description, details,"
                 " reporter_contact, named_child, priority, api_key_id,"
                 " idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                 " ?, ?) ON CONFLICT (reference) DO NOTHING RETURNING id",
                 "titttttt", ack->reference, now, r->channel,
                 r->language ? r->language : "en", r->incident_type,
                 r->incident_at, r->description ? r->description : "",
                 r->details_json ? r->details_json : "{}")))
            return rc;
        /* the rest bound one by one: NULLs where absent */
        rc = r->contact ? st->ops->bind_blob(s, 9, r->contact, r->contact_len)
                        : st->ops->bind_text(s, 9, NULL);
        if (!rc)
            rc = st->ops->bind_int(s, 10, r->named_child != 0);
        if (!rc)
            rc = st->ops->bind_int(s, 11, r->named_child ? 0 : 1);
        if (!rc)
            rc = r->api_key_id ? st->ops->bind_int(s, 12, r->api_key_id)
                               : st->ops->bind_text(s, 12, NULL);
        if (!rc)
            rc = st->ops->bind_text(s, 13, r->idempotency_key);
        if (rc) {
            st->ops->finalize(s);
            return vg_err_set(err, rc, "cannot bind a report field");
        }
        if ((rc = vg__store_scalar(st, s, &ack->id, err)) == VG_ENOENT)
            rc = VG_OK; /* the reference was taken: try another */
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < r->nurls && !rc; i++) {
        const struct vg_frontier_url *u = &r->urls[i];
        int64_t url = 0;
        if ((rc = vg__store_query(st, &s, err,
                                  "INSERT INTO urls (url, host, first_seen_at)"
                                  " VALUES (?, ?, ?) ON CONFLICT (url) DO"
                                  " NOTHING",
                                  "tti", u->url, u->host, now)) ||
            (rc = vg__store_run(st, s, err)) ||
            (rc = vg__store_query(st, &s, err,
                                  "SELECT id FROM urls WHERE url = ?", "t",
                                  u->url)) ||
            (rc = vg__store_scalar(st, s, &url, err)) ||
            (rc = vg__store_query(st, &s, err,
                                  "INSERT INTO report_urls (report_id, url_id)"
                                  " VALUES (?, ?) ON CONFLICT DO NOTHING",
                                  "ii", ack->id, url)) ||
            (rc = vg__store_run(st, s, err)))
            break;
        /* a seed of the standing crawl, first in line; if the crawl had it
           already, it is moved to the front (and crawled again if done) */
        if (!(rc = vg__store_query(
                  st, &s, err,
                  "INSERT INTO frontier (crawl_id, url_id, host, priority,"
                  " depth) VALUES (?, ?, ?, 0, 0) ON CONFLICT (crawl_id,"
                  " url_id) DO UPDATE SET priority = 0, depth = 0, state ="
                  " CASE WHEN frontier.state = 'leased' THEN frontier.state"
                  " ELSE 'queued' END",
                  "iit", crawl, url, u->host)))
            rc = vg__store_run(st, s, err);
    }
    return rc;
}

int vg_store_reports_add(struct vg_store *st, const struct vg_report_rec *v,
                         size_t n, struct vg_report_ack *acks,
                         struct vg_err *err)
{
    int64_t now = (int64_t)time(NULL), crawl = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err))) {
        UNLOCK(st);
        return rc;
    }
    rc = standing_crawl(st, &crawl, err);
    for (size_t i = 0; i < n && !rc; i++)
        rc = insert_one(st, &v[i], crawl, now, &acks[i], err);
    rc = vg__store_end(st, rc, err);
    UNLOCK(st);
    return rc;
}

/* ---- the analysts' report queue and incidents ---- */

/* Run a statement made by vg__store_query (if rc is still VG_OK). */
#define RUN(q)                                                                \
    do {                                                                      \
        if (!rc && !(rc = (q)))                                               \
            rc = vg__store_run(st, s, err);                                   \
    } while (0)

/* Text column i into out (size n), "" for NULL. */
static void col_copy(struct vg_store *st, struct vg__stmt *s, int i, char *out,
                     size_t n)
{
    const char *t = st->ops->col_text(s, i);

    snprintf(out, n, "%s", t ? t : "");
}

/* One report row of queue_page. */
static void queue_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                      struct vg_store_strings **pool, int *oom)
{
    struct vg_queue_report *r = elem;

    r->id = st->ops->col_int(s, 0);
    col_copy(st, s, 1, r->reference, sizeof(r->reference));
    r->received_at = st->ops->col_int(s, 2);
    r->channel = VG__TEXT(3);
    r->language = VG__TEXT(4);
    r->incident_type = VG__TEXT(5);
    r->named_child = st->ops->col_int(s, 6) != 0;
    r->status = VG__TEXT(7);
    r->urls = st->ops->col_int(s, 8);
}

/* The page of the queue into q (store locked). */
static int queue_page(struct vg_store *st, const struct vg_queue_filter *f,
                      struct vg_report_queue *q, struct vg_err *err)
{
    static const char where[] = " FROM reports r WHERE (? = '' OR r.status"
                                " = ?) AND (? = '' OR r.incident_type = ?)";
    const char *status = f->status ? f->status : "";
    const char *type = f->incident_type ? f->incident_type : "";
    struct vg__stmt *s = NULL;
    char sql[1024];
    int rc;

    snprintf(sql, sizeof(sql), "SELECT COUNT(*)%s", where);
    if (!(rc = vg__store_query(st, &s, err, sql, "tttt", status, status, type,
                               type)))
        rc = vg__store_scalar(st, s, &q->total, err);
    s = NULL; /* finalized by the scalar */
    snprintf(sql, sizeof(sql),
             "SELECT r.id, r.reference, r.received_at, r.channel,"
             " r.language, r.incident_type, r.named_child, r.status,"
             " (SELECT COUNT(*) FROM report_urls ru WHERE ru.report_id ="
             " r.id)%s ORDER BY r.priority, r.received_at, r.id"
             " LIMIT ? OFFSET ?",
             where);
    if (!rc)
        rc = vg__store_query(st, &s, err, sql, "ttttii", status, status, type,
                             type, f->limit > 0 ? f->limit : 100,
                             f->offset > 0 ? f->offset : 0);
    if (!rc)
        rc = vg__store_collect(st, s, &q->v, &q->n, sizeof(*q->v), queue_row,
                               &q->strings, err);
    return rc;
}

int vg_store_report_queue(struct vg_store *st, const struct vg_queue_filter *f,
                          struct vg_report_queue **out, struct vg_err *err)
{
    struct vg_report_queue *q = vg_calloc(1, sizeof(*q));
    int rc;

    *out = NULL;
    if (!q)
        return VG_ENOMEM;
    LOCK(st);
    rc = queue_page(st, f, q, err);
    UNLOCK(st);
    if (rc) {
        vg_report_queue_free(q);
        return rc;
    }
    *out = q;
    return VG_OK;
}

void vg_report_queue_free(struct vg_report_queue *q)
{
    if (!q)
        return;
    vg__store_strings_free(q->strings);
    vg_free(q->v);
    vg_free(q);
}

/* One URL row of report_urls. */
static void url_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                    struct vg_store_strings **pool, int *oom)
{
    struct vg_report_url *u = elem;

    u->id = st->ops->col_int(s, 0);
    u->url = VG__TEXT(1);
    u->host = VG__TEXT(2);
    u->state = VG__TEXT(3);
    u->http_status = st->ops->col_int(s, 4);
    u->error = VG__TEXT(5);
}

/* The report's URLs with their latest crawl's outcome (store locked). */
static int report_urls(struct vg_store *st, struct vg_report_detail *r,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    rc = vg__store_query(st, &s, err,
                         "SELECT u.id, u.url, u.host, f.state, f.http_status,"
                         " f.error FROM report_urls ru JOIN urls u ON u.id ="
                         " ru.url_id LEFT JOIN frontier f ON f.url_id = u.id"
                         " AND f.crawl_id = (SELECT max(crawl_id) FROM"
                         " frontier WHERE url_id = u.id) WHERE ru.report_id"
                         " = ? ORDER BY u.id",
                         "i", r->id);
    if (!rc)
        rc = vg__store_collect(st, s, &r->urls, &r->nurls, sizeof(*r->urls),
                               url_row, &r->strings, err);
    return rc;
}

/* One incident row of report_incidents. */
static void incident_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                         struct vg_store_strings **pool, int *oom)
{
    struct vg_incident *x = elem;

    x->id = st->ops->col_int(s, 0);
    x->incident_type = VG__TEXT(1);
    x->outcome = VG__TEXT(2);
    x->notes = VG__TEXT(3);
    x->updated_at = st->ops->col_int(s, 4);
}

/* The report's incidents (store locked). */
static int report_incidents(struct vg_store *st, struct vg_report_detail *r,
                            struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    rc = vg__store_query(st, &s, err,
                         "SELECT id, incident_type, outcome, notes,"
                         " updated_at FROM incidents WHERE report_id = ?"
                         " ORDER BY id",
                         "i", r->id);
    if (!rc)
        rc = vg__store_collect(st, s, &r->incidents, &r->nincidents,
                               sizeof(*r->incidents), incident_row,
                               &r->strings, err);
    return rc;
}

/* One media row of report_media. */
static void media_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                      struct vg_store_strings **pool, int *oom)
{
    struct vg_report_media *m = elem;

    m->media_id = st->ops->col_int(s, 0);
    m->url = VG__TEXT(1);
    m->format = VG__TEXT(2);
    m->width = st->ops->col_int(s, 3);
    m->height = st->ops->col_int(s, 4);
    m->review = VG__TEXT(5);
    m->classification = VG__TEXT(6);
    m->lists = VG__TEXT(7);
}

/* Media seen at the reported addresses or on the reported pages (store
 * locked). */
#define REPORT_MEDIA_FROM                                                     \
    " FROM detections d JOIN hash_lists l ON l.id = d.list_id WHERE"          \
    " d.media_id = m.id) FROM sightings s JOIN media m ON m.id = s.media_id"  \
    " JOIN urls u ON u.id = s.url_id WHERE s.page_url_id IN (SELECT url_id"   \
    " FROM report_urls WHERE report_id = ?) OR s.url_id IN (SELECT url_id"    \
    " FROM report_urls WHERE report_id = ?) GROUP BY m.id ORDER BY m.id"      \
    " LIMIT ? OFFSET ?"
static int report_media(struct vg_store *st, struct vg_report_detail *r,
                        int64_t page, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if ((rc = vg__store_query(
             st, &s, err,
             "SELECT COUNT(DISTINCT s.media_id) FROM sightings s WHERE"
             " s.page_url_id IN (SELECT url_id FROM report_urls WHERE"
             " report_id = ?) OR s.url_id IN (SELECT url_id FROM report_urls"
             " WHERE report_id = ?)",
             "ii", r->id, r->id)) ||
        (rc = vg__store_scalar(st, s, &r->media_total, err)))
        return rc;
    /* SQLITE-ONLY: group_concat(DISTINCT x); PostgreSQL: string_agg.
     * (The other columns beside min() depend on m.id, the key grouped by:
     * portable.) */
    rc = vg__store_query(
        st, &s, err,
        VG__PG(st) ? "SELECT m.id, min(u.url), m.format,"
                     " m.width, m.height, m.review,"
                     " m.classification, (SELECT"
                     " string_agg(DISTINCT l.name, ',')" REPORT_MEDIA_FROM
                   : "SELECT m.id, min(u.url), m.format,"
                     " m.width, m.height, m.review,"
                     " m.classification, (SELECT"
                     " group_concat(DISTINCT l.name)" REPORT_MEDIA_FROM,
        "iiii", r->id, r->id, (int64_t)VG_REPORT_MEDIA_PAGE,
        (page - 1) * VG_REPORT_MEDIA_PAGE);
    if (!rc)
        rc = vg__store_collect(st, s, &r->media, &r->nmedia, sizeof(*r->media),
                               media_row, &r->strings, err);
    return rc;
}

/* The reports row of report_row into its detail. */
static void detail_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                       struct vg_store_strings **pool, int *oom)
{
    struct vg_report_detail *r = elem;
    size_t n = 0;
    const uint8_t *b = st->ops->col_blob(s, 12, &n);

    col_copy(st, s, 1, r->reference, sizeof(r->reference));
    r->received_at = st->ops->col_int(s, 2);
    r->channel = VG__TEXT(3);
    r->language = VG__TEXT(4);
    r->incident_type = VG__TEXT(5);
    r->incident_at = VG__TEXT(6);
    r->description = VG__TEXT(7);
    r->details = VG__TEXT(8);
    r->named_child = st->ops->col_int(s, 9) != 0;
    r->status = VG__TEXT(10);
    r->api_key_id = st->ops->col_int(s, 11);
    if (b && n && !(r->contact = vg_malloc(n)))
        *oom = 1;
    else if (b && n) {
        memcpy(r->contact, b, n);
        r->contact_len = n;
    }
}

/* The report's own row, with its sealed contact (store locked). */
static int report_row(struct vg_store *st, struct vg_report_detail *r,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    rc = vg__store_query(st, &s, err,
                         "SELECT id, reference, received_at, channel,"
                         " language, incident_type, incident_at, description,"
                         " details, named_child, status, api_key_id,"
                         " reporter_contact FROM reports WHERE id = ?",
                         "i", r->id);
    if (!rc && (rc = vg__store_one(st, s, r, detail_row, &r->strings, err)) ==
                   VG_ENOENT)
        vg_err_set(err, rc, "no report %lld", (long long)r->id);
    return rc;
}

int vg_store_report_get(struct vg_store *st, int64_t id,
                        struct vg_report_detail **out, struct vg_err *err)
{
    return vg_store_report_get_page(st, id, 1, out, err);
}

int vg_store_report_get_page(struct vg_store *st, int64_t id, int64_t page,
                             struct vg_report_detail **out, struct vg_err *err)
{
    struct vg_report_detail *r = vg_calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return VG_ENOMEM;
    r->id = id;
    LOCK(st);
    if (!(rc = report_row(st, r, err)) && !(rc = report_urls(st, r, err)) &&
        !(rc = report_incidents(st, r, err)))
        rc = report_media(st, r, page, err);
    UNLOCK(st);
    if (rc) {
        vg_report_detail_free(r);
        return rc;
    }
    *out = r;
    return VG_OK;
}

int vg_store_report_open(struct vg_store *st, int64_t actor, int64_t id,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), changed = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT COUNT(*) FROM reports WHERE id = ?",
                               "i", id)) &&
        !(rc = vg__store_scalar(st, s, &changed, err)) && !changed)
        rc = vg_err_set(err, VG_ENOENT, "no report %lld", (long long)id);
    changed = 0;
    /* the first opening: one incident, the report's own type */
    RUN(vg__store_query(st, &s, err,
                        "INSERT INTO incidents (report_id, incident_type,"
                        " updated_at) SELECT id, incident_type, ? FROM"
                        " reports WHERE id = ? AND NOT EXISTS (SELECT 1 FROM"
                        " incidents WHERE report_id = ?)",
                        "iii", now, id, id));
    if (!rc)
        changed += st->ops->changes(st->db);
    RUN(vg__store_query(st, &s, err,
                        "UPDATE reports SET status = 'in_review' WHERE id = ?"
                        " AND status = 'new'",
                        "i", id));
    if (!rc)
        changed += st->ops->changes(st->db);
    if (!rc && changed)
        rc = vg__store_audit(st, actor, "report.open", "report", id, "", err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

void vg_report_detail_free(struct vg_report_detail *r)
{
    if (!r)
        return;
    vg_free(r->contact);
    vg__store_strings_free(r->strings);
    vg_free(r->urls);
    vg_free(r->incidents);
    vg_free(r->media);
    vg_free(r);
}

/* The report's status from its incidents' outcomes (store locked, in a
 * transaction). */
static int report_status(struct vg_store *st, int64_t report_id,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    RUN(vg__store_query(st, &s, err,
                        "UPDATE reports SET status = CASE WHEN EXISTS"
                        " (SELECT 1 FROM incidents WHERE report_id = ? AND"
                        " outcome IS NULL) THEN 'in_review' ELSE 'closed'"
                        " END WHERE id = ?",
                        "ii", report_id, report_id));
    return rc;
}

int vg_store_incident_add(struct vg_store *st, int64_t actor,
                          int64_t report_id, const char *incident_type,
                          int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t got = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO incidents (report_id,"
                               " incident_type, updated_at) SELECT id, ?, ?"
                               " FROM reports WHERE id = ? RETURNING id",
                               "tii", incident_type, (int64_t)time(NULL),
                               report_id)) &&
        (rc = vg__store_scalar(st, s, &got, err)) == VG_ENOENT)
        vg_err_set(err, rc, "no report %lld", (long long)report_id);
    if (!rc)
        rc = report_status(st, report_id, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "incident.add", "incident", got,
                             incident_type, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc && id)
        *id = got;
    return rc;
}

int vg_store_incident_update(struct vg_store *st, int64_t actor,
                             int64_t report_id, int64_t incident_id,
                             const char *incident_type, const char *outcome,
                             const char *notes, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char detail[160];
    int rc;

    snprintf(detail, sizeof(detail), "%s, outcome %s", incident_type,
             outcome ? outcome : "none");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    RUN(vg__store_query(st, &s, err,
                        "UPDATE incidents SET incident_type = ?, outcome = ?,"
                        " notes = ?, updated_at = ? WHERE id = ? AND"
                        " report_id = ?",
                        "tttiii", incident_type, outcome, notes ? notes : "",
                        (int64_t)time(NULL), incident_id, report_id));
    if (!rc && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no incident %lld in report %lld",
                        (long long)incident_id, (long long)report_id);
    if (!rc)
        rc = report_status(st, report_id, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "incident.update", "incident",
                             incident_id, detail, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}
