/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notice and takedown as JSON (vigil/view.h): cases, a case with its notices
 * and re-checks, the latest notices and the figures per provider, for the
 * console's notices page and `vigil notices ... --json`.
 */
#include "vigil/view.h"

#define INT(v) ((json_int_t)(v))
#define OR_NULL(v) vg_view_int_or_null(v)

/* A re-upload's delay, or null when the case is none. */
static json_t *reappeared(const struct vg_case_links *l)
{
    return l->reappeared_after >= 0 ? json_integer(l->reappeared_after)
                                    : json_null();
}

static json_t *case_info(const struct vg_case_info *c)
{
    return json_pack("{s:I, s:s?, s:s?, s:s?, s:I, s:o, s:o, s:s?, s:I, s:I,"
                     " s:o, s:o, s:o, s:s?, s:I}",
                     "id", INT(c->id), "url", c->url, "provider", c->provider,
                     "status", c->status, "opened_at", INT(c->opened_at),
                     "first_notice_at", OR_NULL(c->first_notice_at),
                     "removed_at", OR_NULL(c->removed_at), "removal",
                     c->removal, "notices_sent", INT(c->notices_sent),
                     "escalated", INT(c->escalated), "also_hosted_with",
                     OR_NULL(c->links.also_hosted_with), "reupload_of",
                     OR_NULL(c->links.reupload_of), "reappeared_after",
                     reappeared(&c->links), "category", c->category, "checks",
                     INT(c->checks));
}

static json_t *case_row(const void *row)
{
    return case_info(row);
}

json_t *vg_view_cases(const struct vg_case_list *l)
{
    return vg_view_array(l->v, l->n, sizeof(*l->v), case_row);
}

/* A notice as a case lists it. */
static json_t *case_notice(const void *row)
{
    const struct vg_notice_info *n = row;

    return json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:I, s:o, s:I, s:s?}", "id",
                     INT(n->id), "cycle", INT(n->cycle), "message_id",
                     n->message_id, "recipients", n->recipients, "state",
                     n->state, "created_at", INT(n->created_at), "sent_at",
                     OR_NULL(n->sent_at), "attempts", INT(n->attempts),
                     "result", n->result);
}

static json_t *recheck(const void *row)
{
    const struct vg_recheck_info *k = row;

    return json_pack("{s:I, s:I, s:s?}", "checked_at", INT(k->checked_at),
                     "http_status", INT(k->http_status), "result", k->result);
}

json_t *vg_view_case(const struct vg_case_detail *c)
{
    json_t *o = case_info(&c->c);
    json_t *notices = vg_view_array(c->notices, c->nnotices,
                                    sizeof(*c->notices), case_notice);
    json_t *rechecks = vg_view_array(c->rechecks, c->nrechecks,
                                     sizeof(*c->rechecks), recheck);

    if (!vg_view_merge(o,
                       json_pack("{s:s?, s:I, s:s?, s:o, s:o}", "abuse_emails",
                                 c->abuse_emails, "detected_at",
                                 INT(c->detected_at), "sha256", c->sha256,
                                 "notices", notices, "rechecks", rechecks))) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

static json_t *notice(const void *row)
{
    const struct vg_notice_info *n = row;

    return json_pack("{s:I, s:s?, s:I, s:s?, s:s?, s:s?, s:I, s:I, s:o, s:o,"
                     " s:s?}",
                     "id", INT(n->id), "provider", n->provider, "cycle",
                     INT(n->cycle), "message_id", n->message_id, "recipients",
                     n->recipients, "state", n->state, "attempts",
                     INT(n->attempts), "created_at", INT(n->created_at),
                     "sent_at", OR_NULL(n->sent_at), "next_attempt_at",
                     OR_NULL(n->next_attempt_at), "result", n->result);
}

json_t *vg_view_notices(const struct vg_notice_list *l)
{
    return vg_view_array(l->v, l->n, sizeof(*l->v), notice);
}

/* n seconds as a JSON array; NULL if out of memory. */
static json_t *seconds(const int64_t *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(v[i]))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

static json_t *figure(const void *row)
{
    const struct vg_notice_figure *x = row;
    const struct vg_provider_figures *f = x->f;

    return json_pack(
        "{s:I, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I,"
        " s:f, s:o, s:I}",
        "provider_id", INT(f->provider_id), "provider", f->provider,
        "notified", INT(f->notified), "removed", INT(f->removed), "up",
        INT(f->up), "notices", INT(f->notices), "failed_notices",
        INT(f->failed_notices), "also_hosted", INT(f->also_hosted),
        "reuploads", INT(f->reuploads), "escalated", INT(f->escalated), "ttr",
        seconds(f->ttr, f->nttr), "median_s", INT(x->median_s), "p90_s",
        INT(x->p90_s), "removed_24h_share", x->removed_24h_share,
        "reappeared_after", seconds(f->reappear, f->nreappear),
        "reappear_median_s", INT(x->reappear_median_s));
}

json_t *vg_view_figures(const struct vg_notice_figures *f)
{
    return vg_view_array(f->v, f->n, sizeof(*f->v), figure);
}
