/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports (vigil/store.h): stored in batches, each in one transaction, so
 * a server can acknowledge many concurrent submissions with one disk
 * flush; each gets a random reference; partner retries with the same
 * idempotency key get the first report's reference back; reported URLs
 * become seeds, at the highest priority, of one standing crawl.
 */
#include <openssl/rand.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
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
                  " CASE WHEN state = 'leased' THEN state ELSE 'queued' END",
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
