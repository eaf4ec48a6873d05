/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Shield-shaped hash-check routes (vigil/server.h), as C3P's
 * arachnid_shield_sdk calls them: POST /v1/media/ (the raw bytes of one
 * image), POST /v1/url/ ({"url"}: fetched with the crawler's fetcher) and
 * POST /v1/pdq/ ({"hashes": [base64 of 32 bytes, ...]}, up to 1,000).
 * Media is hashed in memory and dropped with the request: nothing of it
 * is written anywhere.  Errors are {"detail": ...}.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/fetch.h"
#include "vigil/hashalgo.h"
#include "vigil/imagehash.h"
#include "vigil/store_crawl.h"
#include "web/api_int.h"

#define PDQ_BATCH_MAX 1000
#define HITS_MAX 64 /* matches shown per image or hash */
#define DETAIL VG__API_DETAIL

/* RFC 4648 base32 of 20 bytes: 32 characters, no padding. */
static void base32_20(const uint8_t in[20], char out[33])
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned bits = 0, acc = 0, o = 0;

    for (unsigned i = 0; i < 20; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = abc[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    out[o] = 0;
}

json_t *vg__api_hit_json(const struct vg__api_hit *h)
{
    const struct vg_match *m = h->m;
    json_t *j = json_pack("{s:s, s:I, s:s, s:i, s:s}", "list", m->list,
                          "entry_id", (json_int_t)m->entry, "algo",
                          vg_algo_name(m->algo), "distance", m->distance,
                          "classification", vg__api_class(m));

    if (j && m->variant >= 0)
        json_object_set_new(j, "variant",
                            json_string(vg_pdq_dihedral_name(
                                (enum vg_pdq_dihedral)m->variant)));
    if (j && h->metadata) {
        json_object_set_new(j, "external_id",
                            m->external_id ? json_string(m->external_id)
                                           : json_null());
        json_object_set_new(j, "metadata",
                            m->metadata ? json_string(m->metadata)
                                        : json_null());
    }
    return j;
}

json_t *vg__api_query_hashes(const struct vg_imagehash *h)
{
    char hex[65], md5[33], sha1[41];
    json_t *j;

    vg_hex_encode(h->digests.sha256, 32, hex);
    vg_hex_encode(h->digests.md5, 16, md5);
    vg_hex_encode(h->digests.sha1, 20, sha1);
    j = json_pack("{s:s, s:s, s:s}", "md5", md5, "sha1", sha1, "sha256", hex);
    if (j && vg_imagehash_value(h, VG_ALGO_PDQ, NULL)) {
        vg_pdq_to_hex(&h->pdq.hash, hex);
        json_object_set_new(j, "pdq", json_string(hex));
        json_object_set_new(j, "pdq_quality", json_integer(h->pdq.quality));
    }
    return j;
}

/* Shield's near_match_details item for a near match: the digests of the
 * media the crawler found with the entry's hash, when it found one (else
 * null: a list holds hashes, not files). */
static json_t *near_detail(struct vg_store *st, const struct vg_match *m)
{
    uint8_t sha1[20], sha256[32];
    char b32[33], hex[65];
    json_t *j;
    int known = !vg_store_entry_media(st, m->entry, sha1, sha256, NULL);

    if (known) {
        base32_20(sha1, b32);
        vg_hex_encode(sha256, 32, hex);
    }
    j = json_pack("{s:s, s:n}", "classification", vg__api_class(m),
                  "timestamp");
    if (j) {
        json_object_set_new(j, "sha1_base32",
                            known ? json_string(b32) : json_null());
        json_object_set_new(j, "sha256_hex",
                            known ? json_string(hex) : json_null());
    }
    return j;
}

/* Shield's answer for an image's hashes h and its visible matches. */
static json_t *media_answer(struct vg_store *st, const struct vg_imagehash *h,
                            size_t size, const struct vg__api_hit *hits,
                            size_t n)
{
    const char *cls = "no-known-match", *type = NULL;
    json_t *near = json_array(), *all = json_array(), *j;
    char sha1[33], sha256[65];

    for (size_t i = 0; i < n; i++) {
        const struct vg_match *m = hits[i].m;
        int exact = vg_hashalgo_get(m->algo)->kind == VG_HASHALGO_EXACT;
        if (vg__api_csam(m) || !strcmp(cls, "no-known-match"))
            cls = vg__api_class(m);
        if (exact)
            type = "exact";
        else if (!type)
            type = "near";
        if (!exact)
            json_array_append_new(near, near_detail(st, m));
        json_array_append_new(all, vg__api_hit_json(&hits[i]));
    }
    base32_20(h->digests.sha1, sha1);
    vg_hex_encode(h->digests.sha256, 32, sha256);
    j = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:o, s:o, s:o}", "size_bytes",
                  (json_int_t)size, "sha1_base32", sha1, "sha256_hex", sha256,
                  "classification", cls, "match_type", type,
                  "near_match_details", near, "matches", all, "hashes",
                  vg__api_query_hashes(h));
    return j;
}

int vg__api_hash(const uint8_t *data, size_t len, struct vg_imagehash *h,
                 struct vg_http_resp *resp, enum vg__api_style style, int *rc)
{
    struct vg_imagehash_opts o = {VG_IMAGEHASH_DIHEDRAL, {0, 0}};
    struct vg_err err = {0};
    char msg[sizeof(err.msg) + 64];
    int e;

    if (!len) {
        *rc = vg__api_error(resp, style, 400,
                            "send the media's bytes as the body");
        return -1;
    }
    o.limits.max_bytes = len;
    if (!(e = vg_imagehash_mem(data, len, &o, h, &err)) && !h->incomplete)
        return 0;
    if (!e) { /* part of the image is missing: its hash would be a guess */
        e = VG_EINVAL;
        snprintf(err.msg, sizeof(err.msg), "%s", h->warning);
    }
    if (e == VG_ENOMEM) {
        *rc = e;
        return -1;
    }
    snprintf(msg, sizeof(msg), "the media could not be hashed: %s",
             err.msg[0] ? err.msg : vg_strerror(e));
    *rc = vg__api_error(resp, style, 422, msg);
    return -1;
}

/* Shield's answer for media[0..len): 0 with *out, or the answer made. */
static int check_media(struct vg_server *s, const struct vg__api_caller *who,
                       struct vg_matcher *m, const uint8_t *data, size_t len,
                       json_t **out, struct vg_http_resp *resp, int *rc)
{
    struct vg__api_hit hits[HITS_MAX];
    struct vg_match_result r;
    struct vg_imagehash h;
    size_t n;

    *out = NULL;
    if (vg__api_hash(data, len, &h, resp, DETAIL, rc))
        return -1;
    if ((*rc = vg_matcher_lookup(m, &h, &r, NULL)))
        return -1;
    vg__api_note(s, &r, h.digests.sha256);
    n = vg__api_visible(s, who, &r, hits, HITS_MAX);
    *out = media_answer(s->o.store, &h, len, hits, n);
    vg_match_result_fini(&r);
    if (!*out)
        *rc = VG_ENOMEM;
    return *out ? 0 : -1;
}

static int post_media(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_caller who;
    struct vg_matcher *m;
    json_t *j;
    int rc;

    if (vg__api_enter(s, req, resp, DETAIL, VG__SCOPE_LOOKUP, &who, &rc) ||
        !(m = vg__api_matcher(s, resp, DETAIL, &rc)) ||
        check_media(s, &who, m, (const uint8_t *)req->body, req->body_len, &j,
                    resp, &rc))
        return rc;
    return vg__api_json(resp, 200, j);
}

/* ---- POST /v1/url/ ---- */

static int fetch_done(void *arg, const struct vg_fetch_result *r)
{
    struct vg__api_fetched *f = arg;

    f->status = r->status;
    f->error = r->error;
    snprintf(f->why, sizeof(f->why), "%s",
             r->error_text ? r->error_text : vg_fetch_error_name(r->error));
    if (!r->error && r->status >= 200 && r->status < 300 &&
        (f->body = vg_malloc(r->len ? r->len : 1))) {
        memcpy(f->body, r->body, r->len);
        f->len = r->len;
    }
    return VG_OK;
}

/* Why a fetch gave nothing, for a 422. */
static void fetch_why(const struct vg__api_fetched *f, char *msg, size_t cap)
{
    if (f->error == VG_FETCH_OK)
        snprintf(msg, cap, "the URL answered HTTP %ld", f->status);
    else if (f->error == VG_FETCH_PRIVATE)
        snprintf(msg, cap,
                 "the URL's address is not public: refused, as the crawler"
                 " refuses it");
    else
        snprintf(msg, cap, "the URL could not be fetched (%s): %s",
                 vg_fetch_error_name((enum vg_fetch_error)f->error), f->why);
}

int vg__api_fetch(struct vg_server *s, const char *url,
                  struct vg__api_fetched *f, struct vg_http_resp *resp,
                  enum vg__api_style style, int *rc)
{
    struct vg_fetch_opts fo = {0};
    struct vg_fetcher *fx = NULL;
    char msg[400];

    memset(f, 0, sizeof(*f));
    fo.user_agent = "Vigil/" VIGIL_VERSION " (hash-check API)";
    fo.max_in_flight = 1;
    fo.total_timeout_ms = 30000;
    fo.max_media_bytes = s->o.api_max_upload;
    fo.allow_private = s->o.fetch_allow_private;
    fo.proxy = s->o.fetch_proxy;
    if ((*rc = vg_fetcher_new(&fo, &fx)) ||
        (*rc = vg_fetcher_submit(fx, url, VG_FETCH_MEDIA, NULL))) {
        vg_fetcher_free(fx);
        return -1;
    }
    while (vg_fetcher_pending(fx) &&
           !(*rc = vg_fetcher_run(fx, 1000, fetch_done, f)))
        ;
    vg_fetcher_free(fx);
    if (*rc)
        return -1;
    if (f->body)
        return 0;
    fetch_why(f, msg, sizeof(msg));
    *rc = vg__api_error(resp, style, 422, msg);
    return -1;
}

static int post_url(void *ctx, const struct vg_http_req *req,
                    struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_fetched f = {0};
    struct vg__api_caller who;
    struct vg_matcher *m;
    const char *url;
    json_t *j, *ans = NULL;
    int rc;

    if (vg__api_enter(s, req, resp, DETAIL, VG__SCOPE_LOOKUP, &who, &rc) ||
        !(m = vg__api_matcher(s, resp, DETAIL, &rc)) ||
        !(j = vg__api_object(req, resp, DETAIL, 1, &rc)))
        return rc;
    url = json_string_value(json_object_get(j, "url"));
    if (!url || json_object_size(j) != 1)
        rc = vg__api_error(resp, DETAIL, 422,
                           "send {\"url\": \"http(s)://...\"} and nothing"
                           " else");
    else if (!vg__api_fetch(s, url, &f, resp, DETAIL, &rc) &&
             !check_media(s, &who, m, f.body, f.len, &ans, resp, &rc)) {
        json_object_set_new(ans, "url", json_string(url));
        rc = vg__api_json(resp, 200, ans);
    }
    vg_free(f.body);
    json_decref(j);
    return rc;
}

/* ---- POST /v1/pdq/ ---- */

/* The hashes of {"hashes": [...]}: 0, or the answer made (422). */
static int pdq_hashes(const json_t *j, struct vg_pdq_hash **out, size_t *n,
                      struct vg_http_resp *resp, int *rc)
{
    const json_t *a = json_object_get(j, "hashes");
    char msg[160];
    size_t i;

    *out = NULL;
    if (!json_is_array(a) || json_object_size(j) != 1 ||
        !(*n = json_array_size(a))) {
        *rc = vg__api_error(resp, DETAIL, 422,
                            "send {\"hashes\": [\"<base64 of the 32 bytes"
                            " of a PDQ hash>\", ...]}");
        return -1;
    }
    if (*n > PDQ_BATCH_MAX) {
        snprintf(msg, sizeof(msg), "at most %d hashes a request, not %zu",
                 PDQ_BATCH_MAX, *n);
        *rc = vg__api_error(resp, DETAIL, 422, msg);
        return -1;
    }
    if (!(*out = vg_mallocarray(*n, sizeof(**out)))) {
        *rc = VG_ENOMEM;
        return -1;
    }
    for (i = 0; i < *n; i++) {
        const char *b = json_string_value(json_array_get(a, i));
        uint8_t raw[32];
        size_t got = 0;
        if (!b ||
            sodium_base642bin(raw, sizeof(raw), b, strlen(b), NULL, &got, NULL,
                              sodium_base64_VARIANT_ORIGINAL) ||
            got != 32) {
            snprintf(msg, sizeof(msg),
                     "hashes[%zu] is not the base64 of 32 bytes", i);
            *rc = vg__api_error(resp, DETAIL, 422, msg);
            vg_free(*out);
            *out = NULL;
            return -1;
        }
        vg_pdq_from_bytes(raw, &(*out)[i]);
    }
    return 0;
}

/* One hash's answer: null, or its class and closest distance. */
static json_t *pdq_answer(const struct vg__api_hit *hits, size_t n)
{
    const char *cls = NULL;
    json_t *all = json_array();
    int best = 257;

    if (!n) {
        json_decref(all);
        return json_null();
    }
    for (size_t i = 0; i < n; i++) {
        if (!cls || vg__api_csam(hits[i].m))
            cls = vg__api_class(hits[i].m);
        if (hits[i].m->distance < best)
            best = hits[i].m->distance;
        json_array_append_new(all, vg__api_hit_json(&hits[i]));
    }
    return json_pack("{s:s, s:s, s:i, s:o}", "classification", cls,
                     "match_type", "near", "distance", best, "matches", all);
}

static int post_pdq(void *ctx, const struct vg_http_req *req,
                    struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_match_result *r = NULL;
    struct vg__api_hit hits[HITS_MAX];
    struct vg_pdq_hash *q = NULL;
    struct vg__api_caller who;
    struct vg_matcher *m;
    json_t *j, *scanned = NULL;
    size_t n = 0;
    int rc;

    if (vg__api_enter(s, req, resp, DETAIL, VG__SCOPE_LOOKUP, &who, &rc) ||
        !(m = vg__api_matcher(s, resp, DETAIL, &rc)) ||
        !(j = vg__api_object(req, resp, DETAIL, 1, &rc)))
        return rc;
    if (pdq_hashes(j, &q, &n, resp, &rc))
        goto out;
    if (!(r = vg_mallocarray(n, sizeof(*r))) || !(scanned = json_object())) {
        rc = VG_ENOMEM;
        goto out;
    }
    if ((rc = vg_matcher_lookup_pdqs(m, q, n, r, NULL)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        size_t k = vg__api_visible(s, &who, &r[i], hits, HITS_MAX);
        uint8_t raw[32];
        vg_pdq_to_bytes(&q[i], raw);
        vg__api_note_hash(s, &r[i], raw, sizeof(raw));
        json_object_set_new(
            scanned,
            json_string_value(json_array_get(json_object_get(j, "hashes"), i)),
            pdq_answer(hits, k));
        vg_match_result_fini(&r[i]);
    }
    rc = vg__api_json(resp, 200,
                      json_pack("{s:O}", "scanned_hashes", scanned));
out:
    json_decref(scanned);
    vg_free(r);
    vg_free(q);
    json_decref(j);
    return rc;
}

int vg__shield_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    struct vg_http_upload up = {s->o.api_max_upload, 0, {0}};

    if ((rc = vg_http_route_upload(s->api_http, "POST", "/v1/media/",
                                   post_media, s, &up, err)) ||
        (rc = vg_http_route(s->api_http, "POST", "/v1/url/", post_url, s,
                            err)) ||
        (rc = vg_http_route(s->api_http, "POST", "/v1/pdq/", post_pdq, s,
                            err)))
        return rc;
    return VG_OK;
}
