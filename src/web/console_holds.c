/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legal holds at the console (vigil/store_retention.h): a report's page
 * says whether the report is under a hold, since when and why, and gives
 * an admin a form to put it under one (with the reason) or release it;
 * both are POSTs behind the console's door (session, CSRF, same origin)
 * and audited by the store in the admin's name.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vigil/store_retention.h"
#include "vigil/buf.h"
#include "web/web_int.h"

#define REASON_MAX 500 /* characters */

int vg__console_hold_view(struct vg_server *s, json_t *r,
                          const struct vg_session *me, int64_t id)
{
    struct vg_holds *h = NULL;
    json_t *hold = NULL;
    int rc;

    if ((rc = vg_store_holds(s->o.store, 0, &h, NULL)))
        return rc;
    for (size_t i = 0; i < h->n && !hold; i++)
        if (!strcmp(h->v[i].object_type, "report") && h->v[i].object_id == id)
            hold = json_pack("{s:s, s:I, s:I}", "reason", h->v[i].reason,
                             "set_at", (json_int_t)h->v[i].set_at, "report_id",
                             (json_int_t)id);
    vg_holds_free(h);
    if (hold)
        vg__json_when(hold, "set_at", "since");
    if ((hold && json_object_set_new(r, "hold", hold)) ||
        json_object_set_new(r, "can_hold",
                            json_boolean(me->role == VG_ROLE_ADMIN)))
        return VG_ENOMEM;
    return VG_OK;
}

int vg__console_report_hold(struct vg_server *s, const struct vg_http_req *req,
                            struct vg_http_resp *resp,
                            const struct vg_session *me, int64_t id, int add)
{
    const char *reason = vg_http_form_value(req, "reason");
    char loc[80];
    long n = reason ? vg_utf8_count(reason, strlen(reason)) : 0;
    int rc;

    if (me->role != VG_ROLE_ADMIN)
        return vg__page_error(s, req, resp, 403, "console.forbidden");
    if (n < 0 || n > REASON_MAX || (add && n == 0))
        return vg__page_error(s, req, resp, 422, "console.bad_request");
    rc = add ? vg_store_hold_add(s->o.store, me->user_id, "report", id, reason,
                                 (int64_t)time(NULL), NULL, NULL)
             : vg_store_hold_release(s->o.store, me->user_id, "report", id,
                                     reason ? reason : "", (int64_t)time(NULL),
                                     NULL);
    /* already held, or already released: the page shows how it stands */
    if (rc == VG_ENOENT && add)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc && rc != VG_EEXIST && rc != VG_ENOENT)
        return rc;
    snprintf(loc, sizeof(loc), "/console/reports/%lld#legal-hold",
             (long long)id);
    return vg_http_resp_redirect(resp, 303, loc);
}
