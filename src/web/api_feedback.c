/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Partners' feedback on matches (vigil/server.h): POST /v1/feedback
 * (Shield's spelling, errors {"detail"}) and POST /m/feedback (HMA's,
 * errors {"message"}), each a JSON object naming the entry a match gave
 * ("entry_id", or HMA's "bank_content_id"), the "verdict"
 * ("false_positive" or "confirmed"; HMA's "true_positive" is read as
 * confirmed), and optionally the hashes of the partner's media
 * ("sha256_hex", "pdq": hex) and a "note".  It waits for analysts at
 * /console/feedback; the media itself is never sent or kept.
 */
#include <string.h>

#include "vigil/algo.h"
#include "vigil/store_lists.h"
#include "web/api_int.h"

#define NOTE_MAX 1000

struct entry_list {
    int64_t list_id;
};

static int entry_cb(void *ctx, const struct vg_list_entry *e)
{
    ((struct entry_list *)ctx)->list_id = e->list_id;
    return VG_OK;
}

/* Is hex NULL or n hex digits? */
static int hex_ok(const char *hex, size_t n)
{
    uint8_t b[32];

    return !hex || (strlen(hex) == n && !vg_hex_decode(hex, n, b, n / 2));
}

/* May the caller see entry id (its list shared with it)?  0 if so, else
 * the answer made (404). */
static int entry_visible(struct vg_server *s, const struct vg__api_caller *who,
                         int64_t id, struct vg_http_resp *resp,
                         enum vg__api_style style, int *rc)
{
    struct entry_list el = {0};
    struct vg_list l;
    int e = id > 0 ? vg_store_entry_get(s->o.store, id, entry_cb, &el, NULL)
                   : VG_ENOENT;

    if (!e)
        e = vg_store_list_by_id(s->o.store, el.list_id, &l, NULL);
    if (e && e != VG_ENOENT) {
        *rc = e;
        return -1;
    }
    if (e || !vg__api_list_visible(s, who, l.name, NULL)) {
        *rc = vg__api_error(resp, style, 404, "no such match");
        return -1;
    }
    return 0;
}

static int feedback(struct vg_server *s, const struct vg_http_req *req,
                    struct vg_http_resp *resp, enum vg__api_style style)
{
    struct vg__api_caller who;
    struct vg_feedback f = {0};
    json_t *j, *id;
    int64_t fid = 0;
    int rc;

    if (vg__api_enter(s, req, resp, style, VG__SCOPE_LOOKUP, &who, &rc))
        return rc;
    if (!(j = vg__api_object(req, resp, style, 0, &rc)))
        return rc;
    id = json_object_get(j, "entry_id");
    if (!id)
        id = json_object_get(j, "bank_content_id");
    f.key_id = who.key_id;
    f.partner = who.partner;
    f.entry_id = json_is_integer(id) ? json_integer_value(id) : 0;
    f.verdict = json_string_value(json_object_get(j, "verdict"));
    if (f.verdict && !strcmp(f.verdict, "true_positive"))
        f.verdict = "confirmed";
    f.sha256 = json_string_value(json_object_get(j, "sha256_hex"));
    f.pdq = json_string_value(json_object_get(j, "pdq"));
    f.note = json_string_value(json_object_get(j, "note"));
    if (!f.verdict ||
        (strcmp(f.verdict, "false_positive") &&
         strcmp(f.verdict, "confirmed")) ||
        !hex_ok(f.sha256, 64) || !hex_ok(f.pdq, 64) ||
        (f.note && strlen(f.note) > NOTE_MAX))
        rc = vg__api_error(resp, style, 422,
                           "send entry_id (or bank_content_id), verdict"
                           " (false_positive or confirmed), and optionally"
                           " sha256_hex and pdq (64 hex digits each) and a"
                           " note (up to 1000 bytes)");
    else if (!entry_visible(s, &who, f.entry_id, resp, style, &rc) &&
             !(rc = vg_store_feedback_add(s->o.store, -who.key_id, &f, &fid,
                                          NULL))) {
        rc = vg__api_json(resp, 201,
                          json_pack("{s:I, s:s}", "id", (json_int_t)fid,
                                    "status", "awaiting review"));
    }
    json_decref(j);
    return rc;
}

static int post_shield(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    return feedback(ctx, req, resp, VG__API_DETAIL);
}

static int post_hma(void *ctx, const struct vg_http_req *req,
                    struct vg_http_resp *resp)
{
    return feedback(ctx, req, resp, VG__API_MESSAGE);
}

int vg__feedback_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    if ((rc = vg_http_route(s->api_http, "POST", "/v1/feedback", post_shield,
                            s, err)))
        return rc;
    return vg_http_route(s->api_http, "POST", "/m/feedback", post_hma, s, err);
}
