/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's notice and takedown page: time to removal, copies also
 * hosted and re-uploads per provider (vg_notice_figures) and the latest
 * cases with their state and links.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/notice.h"
#include "vigil/store_notices.h"
#include "vigil/store_people.h"
#include "vigil/view.h"
#include "web/web_int.h"

#define CASES_PAGE 50
#define NOTICES_PAGE 50

/* Seconds as "3 d 4 h" / "5 h 12 min" / "—". */
static void duration(int64_t s, char *out, size_t n)
{
    if (s < 0)
        snprintf(out, n, "—");
    else if (s >= 86400)
        snprintf(out, n, "%lld d %lld h", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    else
        snprintf(out, n, "%lld h %lld min", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
}

/* Where the page's two listings are: the cases' cursor (before or
 * after), the notices' page; each listing's links keep the other's. */
struct where {
    int64_t before, after, npage;
    char cases_base[64], notices_base[64];
};

/* A cursor of the query (an id), 0 for none or not one. */
static int64_t cursor(const struct vg_http_req *req, const char *name)
{
    const char *s = vg_http_query(req, name);
    long long v = s ? strtoll(s, NULL, 10) : 0;

    return v > 0 ? v : 0;
}

static void where_of(const struct vg_http_req *req, struct where *w)
{
    w->before = cursor(req, "before");
    w->after = w->before ? 0 : cursor(req, "after");
    w->npage = vg__page_number(req, "npage");
    snprintf(w->cases_base, sizeof(w->cases_base), "/console/notices%s%lld",
             w->npage > 1 ? "?npage=" : "", (long long)w->npage);
    if (w->npage <= 1)
        w->cases_base[strlen("/console/notices")] = '\0';
    snprintf(w->notices_base, sizeof(w->notices_base),
             "/console/notices%s%lld", w->before ? "?before=" : "?after=",
             (long long)(w->before ? w->before : w->after));
    if (!w->before && !w->after)
        w->notices_base[strlen("/console/notices")] = '\0';
}

/* The page's data from the figures, the cases and the notices. */
static json_t *notices_view(const struct vg_notice_figures *f,
                            const struct vg_case_list *c,
                            const struct vg_notice_list *n,
                            const struct where *w)
{
    json_t *figs = vg_view_figures(f), *cases = vg_view_cases(c);
    json_t *notices = vg_view_notices(n), *x;
    size_t i;

    json_array_foreach (figs, i, x) {
        char med[32], p90[32], share[16], reappear[32];
        duration(f->v[i].median_s, med, sizeof(med));
        duration(f->v[i].p90_s, p90, sizeof(p90));
        duration(f->v[i].reappear_median_s, reappear, sizeof(reappear));
        snprintf(share, sizeof(share), "%.0f %%",
                 100 * f->v[i].removed_24h_share);
        json_object_set_new(x, "median", json_string(med));
        json_object_set_new(x, "p90", json_string(p90));
        json_object_set_new(x, "share", json_string(share));
        json_object_set_new(x, "reappear", json_string(reappear));
    }
    json_array_foreach (cases, i, x) { /* a re-upload's delay in words */
        char after[32];
        if (c->v[i].links.reappeared_after < 0)
            continue;
        duration(c->v[i].links.reappeared_after, after, sizeof(after));
        json_object_set_new(x, "reupload", json_string(after));
    }
    vg__json_when_each(cases, "opened_at", "opened");
    vg__json_when_each(cases, "first_notice_at", "notified");
    vg__json_when_each(cases, "removed_at", "removed");
    vg__json_when_each(notices, "created_at", "created");
    vg__json_when_each(notices, "sent_at", "sent");
    json_array_foreach (notices, i, x) {
        const char *state = n->v[i].state;
        if (state && !strcmp(state, "pending")) /* only then a next one */
            vg__json_when(x, "next_attempt_at", "next");
    }
    return json_pack("{s:o, s:o, s:o, s:o?, s:o?}", "providers", figs, "cases",
                     cases, "notices", notices, "cases_page",
                     c->total ? vg__pager("cases", w->cases_base, 0, c->from,
                                          c->n, c->total, c->next, c->prev)
                              : NULL,
                     "notices_page",
                     n->total ? vg__pager_pages("notices", w->notices_base,
                                                "npage", w->npage,
                                                NOTICES_PAGE, n->n, n->total)
                              : NULL);
}

static int get_notices(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    struct vg_notice_figures *figs = NULL;
    struct vg_case_list *cases = NULL;
    struct vg_notice_list *notices = NULL;
    json_t *data = NULL;
    struct where w;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    where_of(req, &w);
    if (!(rc = vg_notice_figures(s->o.store, &figs, NULL)) &&
        !(rc = vg_store_cases(s->o.store, NULL, w.before, w.after, CASES_PAGE,
                              1, &cases, NULL)) &&
        !(rc = vg_store_notices(s->o.store, (w.npage - 1) * NOTICES_PAGE,
                                NOTICES_PAGE, &notices, NULL)) &&
        !(data = notices_view(figs, cases, notices, &w)))
        rc = VG_ENOMEM;
    vg_notice_figures_free(figs);
    vg_case_list_free(cases);
    vg_notice_list_free(notices);
    if (rc)
        return rc;
    return vg__console_page(s, req, resp, 200, "notices", data, &me);
}

int vg__notices_routes(struct vg_server *s, struct vg_err *err)
{
    return vg_http_route(s->http, "GET", "/console/notices", get_notices, s,
                         err);
}
