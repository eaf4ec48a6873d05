/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's page of partners' feedback on matches
 * (vigil/store_lists.h): what partners marked a false positive or
 * confirmed, with the hashes of their media, and for the open ones the
 * analyst's choice: keep the entry, or disable it (every node stops
 * matching it at its next list sync).  Beside it, the entries flood
 * quarantine took out of matching (vigil/flood.h), each with a release.
 */
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/flood.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"
#include "web/web_int.h"

#define FEEDBACK_PAGE 50

static int feedback_row(void *ctx, const struct vg_feedback *f)
{
    json_t *x = json_pack(
        "{s:I, s:I, s:s, s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:b, s:s?}",
        "id", (json_int_t)f->id, "at", (json_int_t)f->at, "partner",
        f->partner, "entry_id", (json_int_t)f->entry_id, "list_id",
        (json_int_t)f->list_id, "list", f->list, "verdict", f->verdict,
        "sha256", f->sha256, "pdq", f->pdq, "note", f->note, "open",
        !f->resolved_at, "resolution", f->resolution);

    return !x || json_array_append_new(ctx, x) ? VG_ENOMEM : VG_OK;
}

static int get_feedback(void *ctx, const struct vg_http_req *req,
                        struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    json_t *rows, *quarantines = NULL, *pages;
    char *q = NULL;
    int64_t page = vg__page_number(req, "page"), total = 0;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (!(rows = json_array()))
        return VG_ENOMEM;
    /* the quarantines in force, all of them (an analyst releases each) */
    if ((rc = vg_store_feedback(s->o.store, 0, (page - 1) * FEEDBACK_PAGE,
                                FEEDBACK_PAGE, feedback_row, rows, &total,
                                NULL)) ||
        (rc = vg_flood_quarantines_json(s->o.store, 0, 0, &q, NULL)) ||
        !(quarantines = json_loads(q, 0, NULL))) {
        vg_free(q);
        json_decref(rows);
        return rc ? rc : VG_ENOMEM;
    }
    vg_free(q);
    vg__json_when_each(rows, "at", "when");
    pages = total ? vg__pager_pages("feedback", "/console/feedback", "page",
                                    page, FEEDBACK_PAGE, json_array_size(rows),
                                    total)
                  : json_null();
    return vg__console_page(s, req, resp, 200, "feedback",
                            json_pack("{s:o, s:o, s:o}", "feedback", rows,
                                      "quarantines", quarantines, "pages",
                                      pages),
                            &me);
}

/* POST /console/feedback/ID with action=keep or action=disable. */
static int post_feedback(void *ctx, const struct vg_http_req *req,
                         struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/feedback/");
    const char *action = vg_http_form_value(req, "action");
    struct vg_session me;
    int64_t id = vg__path_id(&p);
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (!id || *p || !action ||
        (strcmp(action, "keep") && strcmp(action, "disable")))
        return vg__page_error(s, req, resp, 400, "console.bad_request");
    rc = vg_store_feedback_resolve(s->o.store, me.user_id, id,
                                   !strcmp(action, "disable"), NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    if (!strcmp(action, "disable") && s->o.lists_changed)
        s->o.lists_changed(s->o.lists_changed_ctx);
    return vg_http_resp_redirect(resp, 303, "/console/feedback");
}

/* POST /console/quarantine/ENTRY: release a flood quarantine. */
static int post_release(void *ctx, const struct vg_http_req *req,
                        struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/quarantine/");
    struct vg_session me;
    int64_t entry = vg__path_id(&p);
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (!entry || *p)
        return vg__page_error(s, req, resp, 400, "console.bad_request");
    rc = vg_flood_release(s->o.store, me.user_id, entry, NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    if (s->o.lists_changed)
        s->o.lists_changed(s->o.lists_changed_ctx);
    return vg_http_resp_redirect(resp, 303, "/console/feedback");
}

int vg__feedback_console_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    if ((rc = vg_http_route(s->http, "GET", "/console/feedback", get_feedback,
                            s, err)))
        return rc;
    rc = vg_http_route(s->http, "POST", "/console/feedback/*", post_feedback,
                       s, err);
    if (rc)
        return rc;
    return vg_http_route(s->http, "POST", "/console/quarantine/*",
                         post_release, s, err);
}
