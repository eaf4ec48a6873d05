/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Media review as JSON (vigil/view.h): the queue of media awaiting analysts
 * and one item with its evidence, for the console's media pages.  The
 * thumbnail's bytes never go into a page's data, only whether it exists.
 */
#include "vigil/view.h"

static json_t *reports_json(const struct vg_review_report *r, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_pack("{s:I, s:s}", "id",
                                               (json_int_t)r[i].id,
                                               "reference", r[i].reference))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static int item_json(void *ctx, const struct vg_review_item *it)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s?, s:s, s:s?,"
        " s:I, s:I, s:o}",
        "media_id", (json_int_t)it->media_id, "sha256", it->sha256, "format",
        it->format, "width", (json_int_t)it->width, "height",
        (json_int_t)it->height, "bytes", (json_int_t)it->bytes,
        "first_seen_at", (json_int_t)it->first_seen_at, "queued_at",
        (json_int_t)it->queued_at, "sightings", (json_int_t)it->sightings,
        "votes", (json_int_t)it->votes, "my_vote", it->my_vote, "url", it->url,
        "page_url", it->page_url, "crawl_id", (json_int_t)it->crawl_id,
        "seen_at", (json_int_t)it->seen_at, "reports",
        reports_json(it->reports, it->nreports));

    /* "o" takes the reference, and releases it when packing fails */
    if (!o || json_array_append_new(ctx, o))
        return VG_ENOMEM;
    return VG_OK;
}

int vg_view_review_queue(struct vg_store *st, int64_t viewer, unsigned flags,
                         int64_t limit, int64_t offset, json_t **out,
                         struct vg_err *err)
{
    json_t *items = json_array(), *o = NULL;
    int64_t total = 0;
    int rc;

    *out = NULL;
    if (!items)
        return VG_ENOMEM;
    if ((rc = vg_store_review_queue(st, viewer, flags, limit, offset,
                                    item_json, items, &total, err))) {
        json_decref(items);
        return rc;
    }
    if (!(o = json_pack("{s:I, s:o}", "total", (json_int_t)total, "items",
                        items)))
        return VG_ENOMEM;
    *out = o;
    return VG_OK;
}

static json_t *sightings_json(const struct vg_review_media *m)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < m->nsightings; i++) {
        const struct vg_review_sighting *g = &m->sightings[i];
        if (json_array_append_new(
                a, json_pack("{s:I, s:I, s:s, s:s?, s:I, s:I, s:s?}", "id",
                             (json_int_t)g->id, "crawl_id",
                             (json_int_t)g->crawl_id, "url",
                             g->url ? g->url : "", "page_url", g->page_url,
                             "seen_at", (json_int_t)g->seen_at, "http_status",
                             (json_int_t)g->http_status, "server_ip",
                             g->server_ip))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *detections_json(const struct vg_review_media *m)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < m->ndetections; i++) {
        const struct vg_review_detection *d = &m->detections[i];
        if (json_array_append_new(
                a,
                json_pack("{s:I, s:I, s:I, s:s?, s:s?, s:s?, s:s?, s:I,"
                          " s:I}",
                          "id", (json_int_t)d->id, "entry_id",
                          (json_int_t)d->entry_id, "list_id",
                          (json_int_t)d->list_id, "list", d->list, "category",
                          d->category, "algo", d->algo, "variant", d->variant,
                          "distance", (json_int_t)d->distance, "detected_at",
                          (json_int_t)d->detected_at))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *votes_json(const struct vg_review_media *m)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < m->nvotes; i++) {
        const struct vg_review_vote *v = &m->votes[i];
        if (json_array_append_new(
                a, json_pack("{s:I, s:s?, s:s?, s:I}", "user_id",
                             (json_int_t)v->user_id, "username", v->username,
                             "classification", v->classification, "decided_at",
                             (json_int_t)v->decided_at))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *vg_view_review_media(const struct vg_review_media *m)
{
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:s?, s:o, s:s?, s:I, s:I, s:I, s:I, s:s?,"
        " s:s?, s:I, s:I, s:b, s:I, s:o, s:I, s:o, s:o, s:o}",
        "id", (json_int_t)m->id, "sha256", m->sha256, "md5", m->md5, "sha1",
        m->sha1, "pdq", m->pdq[0] ? m->pdq : NULL, "pdq_quality",
        m->pdq[0] ? json_integer(m->pdq_quality) : json_null(), "format",
        m->format, "width", (json_int_t)m->width, "height",
        (json_int_t)m->height, "bytes", (json_int_t)m->bytes, "first_seen_at",
        (json_int_t)m->first_seen_at, "review", m->review, "classification",
        m->classification, "queued_at", (json_int_t)m->queued_at,
        "reviewed_at", (json_int_t)m->reviewed_at, "has_thumbnail",
        m->thumbnail != NULL, "sightings_total",
        (json_int_t)m->sightings_total, "sightings", sightings_json(m),
        "detections_total", (json_int_t)m->detections_total, "detections",
        detections_json(m), "votes", votes_json(m), "reports",
        reports_json(m->reports, m->nreports));
}
