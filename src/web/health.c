/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /healthz and /readyz (vigil/server.h), for load balancers and
 * orchestrators.  /healthz answers from the HTTP thread alone: the process
 * is alive and serving.  /readyz asks the store its schema version (one
 * read: the store answers, and its migrations are this program's) and the
 * runtime whether the match index is loaded; the answer is made of fixed
 * words and numbers only, never an error's text (which could name a path
 * or a host), and needs no sign-in.  Neither route is rate-limited (the
 * limits count reports and sign-ins).
 */
#include <stdio.h>
#include <time.h>

#include "web/web_int.h"

static int get_healthz(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    (void)ctx, (void)req;
    return vg_http_resp_text(resp, 200, "ok\n", 3);
}

static int not_ready(struct vg_http_resp *resp, const char *reason)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "{\"ready\":false,\"reason\":\"%s\"}",
                     reason);

    return vg_http_resp_json(resp, 503, body, (size_t)n);
}

static int get_readyz(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_server_readiness r = {-1, 0, 0};
    char body[256], index[160] = "null";
    int v = 0, n;

    (void)req;
    if (vg_store_schema_version(s->o.store, &v, NULL))
        return not_ready(resp, "the store does not answer");
    if (v != vg_store_schema_latest())
        return not_ready(resp, v < vg_store_schema_latest()
                                   ? "the store's schema is older than"
                                     " this program's"
                                   : "the store's schema is newer than"
                                     " this program's");
    if (s->o.readiness)
        s->o.readiness(s->o.readiness_ctx, &r);
    if (!r.index)
        return not_ready(resp, "the match index is not loaded yet");
    if (r.index > 0)
        snprintf(index, sizeof(index),
                 "{\"entries\":%lld,\"lists_synced_at\":%lld,"
                 "\"lists_age_s\":%lld}",
                 (long long)r.index_entries, (long long)r.lists_synced_at,
                 (long long)(time(NULL) - r.lists_synced_at));
    n = snprintf(body, sizeof(body),
                 "{\"ready\":true,\"schema\":%d,\"index\":%s}", v, index);
    return vg_http_resp_json(resp, 200, body, (size_t)n);
}

int vg__health_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    if ((rc = vg_http_route(s->http, "GET", "/healthz", get_healthz, s,
                            err)) ||
        (rc = vg_http_route(s->http, "GET", "/readyz", get_readyz, s, err)))
        return rc;
    if (s->api_http == s->http) /* the API's own listener answers them too */
        return VG_OK;
    if ((rc = vg_http_route(s->api_http, "GET", "/healthz", get_healthz, s,
                            err)))
        return rc;
    return vg_http_route(s->api_http, "GET", "/readyz", get_readyz, s, err);
}
