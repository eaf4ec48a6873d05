/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's media review: media the crawler found at reported
 * addresses that matched no list, oldest first, each with its hashes,
 * where it was seen, list matches and the votes so far.  The thumbnail is
 * sent greyscale and blurred (made so on the server: the clear image never
 * reaches the browser until the analyst asks for it, and that is audited).
 * When the configured number of analysts agree, the store puts the hashes
 * on the verified list and deletes the thumbnail; the crawler then reloads
 * its lists so that it matches them.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/vocab.h"
#include "vigil/store_people.h"
#include "vigil/store_review.h"
#include "vigil/thumb.h"
#include "vigil/view.h"
#include "web/web_int.h"

#define QUEUE_PAGE 50

/* The queue's paging (none when it is empty: the table says so), its
 * links keeping the filter. */
static json_t *queue_pager(const json_t *q, long page, const char *mine)
{
    int64_t total = json_integer_value(json_object_get(q, "total"));
    int unvoted = mine && !strcmp(mine, "1");

    if (!total)
        return json_null();
    return vg__pager_pages(
        "media-queue", unvoted ? "/console/media?unvoted=1" : "/console/media",
        "page", page, QUEUE_PAGE, json_array_size(json_object_get(q, "items")),
        total);
}

static int get_queue(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *page_s = vg_http_query(req, "page");
    const char *mine = vg_http_query(req, "unvoted");
    long page = page_s ? strtol(page_s, NULL, 10) : 1;
    struct vg_session me;
    json_t *q = NULL;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (page < 1 || page > 1000000)
        page = 1;
    if ((rc = vg_view_review_queue(
             s->o.store, me.user_id,
             mine && !strcmp(mine, "1") ? VG_REVIEW_QUEUE_UNVOTED : 0,
             QUEUE_PAGE, (page - 1) * QUEUE_PAGE, &q, NULL)))
        return rc;
    vg__json_when_each(json_object_get(q, "items"), "first_seen_at",
                       "first_seen");
    if (json_object_set_new(q, "unvoted",
                            json_boolean(mine && !strcmp(mine, "1"))) ||
        json_object_set_new(q, "reviewers", json_integer(s->o.reviewers)) ||
        json_object_set_new(q, "pages", queue_pager(q, page, mine))) {
        json_decref(q);
        return VG_ENOMEM;
    }
    return vg__console_page(s, req, resp, 200, "media_queue", q, &me);
}

/* The thumbnail, opened, in base64 into *out (audited: the caller asked to
 * reveal it).  VG_ENOENT if the media has none. */
static int clear_thumb(struct vg_server *s, const struct vg_session *me,
                       int64_t id, char **out)
{
    uint8_t *sealed = NULL;
    size_t nsealed = 0, nplain = 0, n;
    char *plain = NULL;
    int rc;

    *out = NULL;
    rc = vg_store_review_thumbnail(s->o.store, id, &sealed, &nsealed, NULL);
    if (rc)
        return rc;
    rc = vg_unseal(s->sealer, sealed, nsealed, &plain, &nplain, NULL);
    vg_free(sealed);
    if (rc)
        return rc;
    rc = vg_store_audit_append(s->o.store, me->user_id, "media.reveal",
                               "media", id, "", NULL);
    n = sodium_base64_ENCODED_LEN(nplain, sodium_base64_VARIANT_ORIGINAL);
    if (!rc && !(*out = vg_malloc(n)))
        rc = VG_ENOMEM;
    if (!rc)
        sodium_bin2base64(*out, n, (const unsigned char *)plain, nplain,
                          sodium_base64_VARIANT_ORIGINAL);
    sodium_memzero(plain, nplain);
    vg_free(plain);
    return rc;
}

/* The pagers of m's sightings (spage) and detections (dpage), each link
 * keeping the other table's page. */
static int add_pagers(json_t *m, int64_t id, int64_t spage, int64_t dpage)
{
    char sbase[96], dbase[96];
    int64_t st = json_integer_value(json_object_get(m, "sightings_total"));
    int64_t dt = json_integer_value(json_object_get(m, "detections_total"));

    snprintf(sbase, sizeof(sbase), "/console/media/%lld?dpage=%lld",
             (long long)id, (long long)dpage);
    snprintf(dbase, sizeof(dbase), "/console/media/%lld?spage=%lld",
             (long long)id, (long long)spage);
    if (dpage <= 1)
        *strchr(sbase, '?') = '\0';
    if (spage <= 1)
        *strchr(dbase, '?') = '\0';
    return json_object_set_new(
               m, "sightings_page",
               st ? vg__pager_pages(
                        "sightings", sbase, "spage", spage,
                        VG_REVIEW_SIGHTINGS_MAX,
                        json_array_size(json_object_get(m, "sightings")), st)
                  : json_null()) ||
           json_object_set_new(
               m, "detections_page",
               dt ? vg__pager_pages(
                        "detections", dbase, "dpage", dpage,
                        VG_REVIEW_DETECTIONS_MAX,
                        json_array_size(json_object_get(m, "detections")), dt)
                  : json_null());
}

/* The media's page; with reveal (a POST), its thumbnail in the clear. */
static int show(struct vg_server *s, const struct vg_http_req *req,
                struct vg_http_resp *resp, const struct vg_session *me,
                int64_t id, int reveal)
{
    const char *result = vg_http_query(req, "result");
    struct vg_review_media *rm = NULL;
    json_t *m = NULL, *x, *opts;
    const char *mine = NULL;
    char *clear = NULL;
    size_t i;
    int rc;

    int64_t spage = vg__page_number(req, "spage");
    int64_t dpage = vg__page_number(req, "dpage");

    rc = vg_store_review_media_page(s->o.store, id, spage, dpage, &rm, NULL);
    if (!rc && reveal)
        rc = clear_thumb(s, me, id, &clear);
    if (rc == VG_ENOENT) {
        vg_review_media_free(rm);
        return vg__page_error(s, req, resp, 404, "page.not_found");
    }
    m = rc ? NULL : vg_view_review_media(rm);
    vg_review_media_free(rm);
    if (m && ((clear &&
               json_object_set_new(m, "clear_thumb", json_string(clear))) ||
              add_pagers(m, id, spage, dpage)))
        json_decref(m), m = NULL;
    if (clear) {
        sodium_memzero(clear, strlen(clear));
        vg_free(clear);
    }
    if (rc)
        return rc;
    if (!m)
        return VG_ENOMEM;
    vg__json_when(m, "first_seen_at", "first_seen");
    vg__json_when(m, "reviewed_at", "reviewed");
    vg__json_when_each(json_object_get(m, "sightings"), "seen_at", "seen");
    vg__json_when_each(json_object_get(m, "votes"), "decided_at", "decided");
    json_array_foreach (json_object_get(m, "votes"), i, x) {
        if (json_integer_value(json_object_get(x, "user_id")) == me->user_id)
            mine = json_string_value(json_object_get(x, "classification"));
    }
    opts = json_array();
    for (i = 0; opts && i < vg_vocab_count(VG_VOCAB_REVIEW_CLASS); i++) {
        const char *c = vg_vocab_code(VG_VOCAB_REVIEW_CLASS, i);
        json_array_append_new(opts,
                              json_pack("{s:s, s:b}", "code", c, "checked",
                                        mine && !strcmp(mine, c)));
    }
    if (json_object_set_new(m, "classes", opts) ||
        json_object_set_new(
            m, "pending",
            json_boolean(
                json_string_value(json_object_get(m, "review")) &&
                !strcmp(json_string_value(json_object_get(m, "review")),
                        "pending"))) ||
        json_object_set_new(m, "reviewers", json_integer(s->o.reviewers)) ||
        (result &&
         (!strcmp(result, "recorded") || !strcmp(result, "verified") ||
          !strcmp(result, "dismissed")) &&
         json_object_set_new(m, "result", json_string(result)))) {
        json_decref(m);
        return VG_ENOMEM;
    }
    return vg__console_page(s, req, resp, 200, "media", m, me);
}

/* The thumbnail as JPEG, greyscale and blurred: a GET never reveals it. */
static int thumb(struct vg_server *s, const struct vg_http_req *req,
                 struct vg_http_resp *resp, int64_t id)
{
    struct vg_thumb_opts o = {.flags = VG_THUMB_GREY | VG_THUMB_BLUR};
    uint8_t *sealed = NULL, *jpeg = NULL;
    size_t nsealed = 0, nplain = 0, njpeg = 0;
    char *plain = NULL;
    unsigned w, h;
    int rc;

    rc = vg_store_review_thumbnail(s->o.store, id, &sealed, &nsealed, NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    rc = vg_unseal(s->sealer, sealed, nsealed, &plain, &nplain, NULL);
    vg_free(sealed);
    if (rc)
        return vg__page_error(s, req, resp, 500, "console.contact_unreadable");
    rc = vg_thumb_mem((const uint8_t *)plain, nplain, &o, &jpeg, &njpeg, &w,
                      &h, NULL);
    if (!rc)
        rc = vg_http_resp_take(resp, 200, "image/jpeg", (char *)jpeg, njpeg);
    sodium_memzero(plain, nplain);
    vg_free(plain);
    return rc;
}

static int vote(struct vg_server *s, const struct vg_http_req *req,
                struct vg_http_resp *resp, const struct vg_session *me,
                int64_t id)
{
    static const char *const results[] = {"recorded", "verified", "dismissed"};
    const char *c = vg_http_form_value(req, "classification");
    struct vg_review_result r;
    enum vg_review_class cls;
    char loc[96];
    int rc;

    if (!c || vg_review_class_parse(c, &cls))
        return vg__page_error(s, req, resp, 422, "console.bad_request");
    rc = vg_store_review_add(s->o.store, id, me->user_id, cls,
                             (int)s->o.reviewers, &r, NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc == VG_EEXIST)
        return vg__page_error(s, req, resp, 409, "review.decided");
    if (rc)
        return rc;
    if (r.outcome == VG_REVIEW_VERIFIED && s->o.lists_changed)
        s->o.lists_changed(s->o.lists_changed_ctx); /* match new entries */
    snprintf(loc, sizeof(loc), "/console/media/%lld?result=%s", (long long)id,
             results[r.outcome]);
    return vg_http_resp_redirect(resp, 303, loc);
}

/* /console/media/ID, /console/media/ID/thumb, POST .../review */
static int media_path(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/media/");
    int post = !strcmp(req->method, "POST");
    struct vg_session me;
    int64_t id = 0;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (!(id = vg__path_id(&p)))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (post && !strcmp(p, "/review"))
        return vote(s, req, resp, &me, id);
    if (post && !strcmp(p, "/reveal"))
        return show(s, req, resp, &me, id, 1);
    if (!post && !*p)
        return show(s, req, resp, &me, id, 0);
    if (!post && !strcmp(p, "/thumb"))
        return thumb(s, req, resp, id);
    return vg__page_error(s, req, resp, 404, "page.not_found");
}

int vg__media_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    if ((rc = vg_http_route(s->http, "GET", "/console/media", get_queue, s,
                            err)) ||
        (rc = vg_http_route(s->http, "GET", "/console/media/*", media_path, s,
                            err)))
        return rc;
    return vg_http_route(s->http, "POST", "/console/media/*", media_path, s,
                         err);
}
