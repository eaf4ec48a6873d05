/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The partner intake API of `vigil serve` (vigil/server.h):
 * POST /api/v1/reports with an API key, the rules of vigil/report.h,
 * idempotency keys, errors as {"detail": ...}.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/auth.h"
#include "vigil/buf.h"
#include "vigil/report.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "web/api_int.h"
#include "web/web_int.h"

#define MAX_ERRORS 32
#define IDEMPOTENCY_MAX 200

static const char *str(const json_t *o, const char *name)
{
    const json_t *v = json_object_get(o, name);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Fields the API knows (anything else is refused: partners' typos show). */
static const char *const known[] = {"incident_type",
                                    "incident_at",
                                    "technology",
                                    "urls",
                                    "detail",
                                    "description",
                                    "language",
                                    "luring_meet",
                                    "luring_images",
                                    "intimate_self",
                                    "intimate_threatened",
                                    "named_child",
                                    "contact"};

static int unknown_field(const json_t *o, const char **which)
{
    const char *k;
    json_t *v;

    json_object_foreach ((json_t *)o, k, v) {
        size_t i = 0;
        while (i < sizeof(known) / sizeof(*known) && strcmp(k, known[i]))
            i++;
        if (i == sizeof(known) / sizeof(*known)) {
            *which = k;
            return 1;
        }
    }
    return 0;
}

/* 422 with every broken rule, in English. */
static int rule_errors(struct vg_server *s, struct vg_http_resp *resp,
                       const struct vg_report_error *e, size_t n)
{
    json_t *j = json_pack("{s:s, s:[]}", "detail",
                          "the report breaks the rules listed in errors",
                          "errors");
    json_t *list = json_object_get(j, "errors");

    for (size_t i = 0; i < n && list; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s}", "field", e[i].field,
                                        "code", e[i].key, "message",
                                        vg_i18n_get(s->i18n, "en", e[i].key)));
    return vg__api_json(resp, 422, j);
}

const char *vg__api_report_input(const json_t *j, struct vg_report_input *in,
                                 const char **urls)
{
    const char *bad = NULL;
    const json_t *v, *contact;

    memset(in, 0, sizeof(*in));
    if (unknown_field(j, &bad))
        return bad;
    in->incident_type = str(j, "incident_type");
    in->incident_at = str(j, "incident_at");
    in->technology = str(j, "technology");
    in->detail = str(j, "detail");
    in->description = str(j, "description");
    in->language = str(j, "language");
    in->luring_meet = str(j, "luring_meet");
    in->luring_images = str(j, "luring_images");
    in->intimate_self = str(j, "intimate_self");
    in->intimate_threatened = str(j, "intimate_threatened");
    v = json_object_get(j, "named_child");
    in->named_child = json_is_true(v) ? "yes" : v ? "no" : NULL;
    if ((v = json_object_get(j, "urls")) && json_is_array(v)) {
        size_t i, n = json_array_size(v);
        for (i = 0; i < n && i <= VG_REPORT_MAX_URLS; i++) {
            const char *u = json_string_value(json_array_get(v, i));
            urls[i] = u ? u : "not a string";
        }
        in->urls = urls;
        in->nurls = n > VG_REPORT_MAX_URLS ? VG_REPORT_MAX_URLS + 1 : n;
    }
    if ((contact = json_object_get(j, "contact")) && json_is_object(contact)) {
        in->contact_name = str(contact, "name");
        in->contact_email = str(contact, "email");
        in->contact_phone = str(contact, "phone");
    }
    return NULL;
}

static int post_report(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *idem = vg_http_header(req, "Idempotency-Key"), *bad = NULL;
    const char *urls[VG_REPORT_MAX_URLS + 1];
    struct vg_report_error errs[MAX_ERRORS];
    struct vg_report_input in = {0};
    struct vg_report r = {0};
    struct vg_report_ack ack;
    json_t *j = NULL;
    size_t nerr = 0;
    struct vg__api_caller who;
    char body[96];
    unsigned wait;
    int rc;

    if (s->limit && (wait = vg_ratelimit_take(s->limit, vg__client(s, req),
                                              vg__now_ms()))) {
        snprintf(body, sizeof(body), "%u", wait);
        if ((rc = vg_http_resp_header(resp, "Retry-After", body)))
            return rc;
        return vg__api_error(resp, VG__API_DETAIL, 429,
                             "too many reports from this address; try"
                             " again after Retry-After seconds");
    }
    if (vg__api_enter(s, req, resp, VG__API_DETAIL, VG__SCOPE_REPORTS, &who,
                      &rc))
        return rc;
    if (idem && (!*idem || strlen(idem) > IDEMPOTENCY_MAX))
        return vg__api_error(resp, VG__API_DETAIL, 400,
                             "Idempotency-Key has 1 to 200 bytes");
    if (!(j = vg__api_object(req, resp, VG__API_DETAIL, 1, &rc)))
        return rc;
    if ((bad = vg__api_report_input(j, &in, urls))) {
        snprintf(body, sizeof(body), "unknown field \"%.*s\"",
                 (int)vg_utf8_cut(bad, 40), bad);
        rc = vg__api_error(resp, VG__API_DETAIL, 422, body);
        goto out;
    }
    if ((rc = vg_report_check(&in, &r, errs, MAX_ERRORS, &nerr))) {
        rc = rc == VG_EINVAL ? rule_errors(s, resp, errs, nerr) : rc;
        goto out;
    }
    r.rec.channel = "api";
    r.rec.api_key_id = who.key_id;
    r.rec.idempotency_key = idem;
    if ((rc = vg__report_submit(s, &r, &ack))) {
        if (rc == VG_EIO)
            rc = vg__api_error(resp, VG__API_DETAIL, 503,
                               "the report could not be stored: nothing"
                               " was recorded; try again");
        goto out;
    }
    snprintf(body, sizeof(body), "{\"reference\":\"%s\",\"id\":%lld}",
             ack.reference, (long long)ack.id);
    rc = vg_http_resp_json(resp, ack.duplicate ? 200 : 201, body,
                           strlen(body));
out:
    vg_report_fini(&r);
    json_decref(j);
    return rc;
}

int vg__api_routes(struct vg_server *s, struct vg_err *err)
{
    return vg_http_route(s->api_http, "POST", "/api/v1/reports", post_report,
                         s, err);
}
