/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's notice and takedown page: time to removal per provider
 * (vg_notice_figures) and the latest cases with their state.
 */
#include <stdio.h>
#include <string.h>

#include "vigil/notice.h"
#include "vigil/store_notices.h"
#include "vigil/store_people.h"
#include "web/web_int.h"

#define CASES_SHOWN 200

/* Seconds as "3 d 4 h" / "5 h 12 min" / "—". */
static void duration(json_int_t s, char *out, size_t n)
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

static int get_notices(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    json_t *figs = NULL, *cases = NULL, *notices = NULL, *x;
    size_t i;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if ((rc = vg_notice_figures(s->o.store, &figs, NULL)) ||
        (rc = vg_store_cases(s->o.store, NULL, CASES_SHOWN, &cases, NULL)) ||
        (rc = vg_store_notices(s->o.store, CASES_SHOWN, &notices, NULL))) {
        json_decref(figs);
        json_decref(cases);
        return rc;
    }
    json_array_foreach(figs, i, x) {
        char med[32], p90[32], share[16];
        duration(json_integer_value(json_object_get(x, "median_s")), med,
                 sizeof(med));
        duration(json_integer_value(json_object_get(x, "p90_s")), p90,
                 sizeof(p90));
        snprintf(share, sizeof(share), "%.0f %%",
                 100 * json_real_value(json_object_get(x,
                                                       "removed_24h_share")));
        json_object_set_new(x, "median", json_string(med));
        json_object_set_new(x, "p90", json_string(p90));
        json_object_set_new(x, "share", json_string(share));
    }
    vg__json_when_each(cases, "opened_at", "opened");
    vg__json_when_each(cases, "first_notice_at", "notified");
    vg__json_when_each(cases, "removed_at", "removed");
    vg__json_when_each(notices, "created_at", "created");
    vg__json_when_each(notices, "sent_at", "sent");
    json_array_foreach(notices, i, x) {
        const char *state = json_string_value(json_object_get(x, "state"));
        if (state && !strcmp(state, "pending")) /* only then a next one */
            vg__json_when(x, "next_attempt_at", "next");
    }
    return vg__console_page(s, req, resp, 200, "notices",
                            json_pack("{s:o, s:o, s:o}", "providers", figs,
                                      "cases", cases, "notices", notices),
                            &me);
}

int vg__notices_routes(struct vg_server *s, struct vg_err *err)
{
    return vg_http_route(s->http, "GET", "/console/notices", get_notices, s,
                         err);
}
