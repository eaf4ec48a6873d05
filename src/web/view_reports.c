/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reports as JSON (vigil/view.h): the analysts' queue and a report opened
 * with its URLs, incidents and media, for the console's queue and report
 * pages.  The sealed contact details are not part of the view: the page
 * handler opens them (src/web/console.c).
 */
#include "vigil/view.h"

#define INT(v) ((json_int_t)(v))
#define OR_NULL(v) vg_view_int_or_null(v)

static json_t *queue_row(const void *row)
{
    const struct vg_queue_report *r = row;

    return json_pack("{s:I, s:s, s:I, s:s?, s:s?, s:s?, s:I, s:s?, s:I}", "id",
                     INT(r->id), "reference", r->reference, "received_at",
                     INT(r->received_at), "channel", r->channel, "language",
                     r->language, "incident_type", r->incident_type,
                     "named_child", INT(r->named_child), "status", r->status,
                     "urls", INT(r->urls));
}

json_t *vg_view_report_queue(const struct vg_report_queue *q)
{
    return json_pack("{s:I, s:o}", "total", INT(q->total), "reports",
                     vg_view_array(q->v, q->n, sizeof(*q->v), queue_row));
}

static json_t *report_url(const void *row)
{
    const struct vg_report_url *u = row;

    return json_pack("{s:I, s:s?, s:s?, s:s?, s:o, s:s?}", "id", INT(u->id),
                     "url", u->url, "host", u->host, "state", u->state,
                     "http_status", OR_NULL(u->http_status), "error",
                     u->error);
}

static json_t *incident(const void *row)
{
    const struct vg_incident *x = row;

    return json_pack("{s:I, s:s?, s:s?, s:s?, s:I}", "id", INT(x->id),
                     "incident_type", x->incident_type, "outcome", x->outcome,
                     "notes", x->notes, "updated_at", INT(x->updated_at));
}

static json_t *media(const void *row)
{
    const struct vg_report_media *m = row;

    return json_pack("{s:I, s:s?, s:s?, s:o, s:o, s:s?, s:s?, s:s?}",
                     "media_id", INT(m->media_id), "url", m->url, "format",
                     m->format, "width", OR_NULL(m->width), "height",
                     OR_NULL(m->height), "review", m->review, "classification",
                     m->classification, "lists", m->lists);
}

json_t *vg_view_report(const struct vg_report_detail *r)
{
    json_t *o = json_pack(
        "{s:I, s:s, s:I, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:s?,"
        " s:o}",
        "id", INT(r->id), "reference", r->reference, "received_at",
        INT(r->received_at), "channel", r->channel, "language", r->language,
        "incident_type", r->incident_type, "incident_at", r->incident_at,
        "description", r->description, "details", r->details, "named_child",
        INT(r->named_child), "status", r->status, "api_key_id",
        OR_NULL(r->api_key_id));
    json_t *urls = vg_view_array(r->urls, r->nurls, sizeof(*r->urls),
                                 report_url);
    json_t *incidents = vg_view_array(r->incidents, r->nincidents,
                                      sizeof(*r->incidents), incident);
    json_t *found = vg_view_array(r->media, r->nmedia, sizeof(*r->media),
                                  media);

    if (!vg_view_merge(o,
                       json_pack("{s:o, s:o, s:o, s:I}", "urls", urls,
                                 "incidents", incidents, "media", found,
                                 "media_total", (json_int_t)r->media_total))) {
        json_decref(o);
        o = NULL;
    }
    return o;
}
