/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The door of the API routes (api_int.h): the key from Authorization
 * (Bearer, or Basic with the key as the password), its scope, its rate (a
 * token bucket per key, in this node's memory: a minute's worth at once,
 * refilled evenly) and its daily quota (counted in this node's memory and
 * added to the store's count for the UTC day at most every
 * QUOTA_FLUSH_MS or QUOTA_FLUSH_N requests, so the nodes of a fleet share
 * one count, which they may overrun together by what they have not
 * flushed yet).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/auth.h"
#include "vigil/store_people.h"
#include "web/api_int.h"

#define QUOTA_FLUSH_MS 1000
#define QUOTA_FLUSH_N 64

int vg__api_new(struct vg_store *st, struct vg__api **out)
{
    struct vg__api *a = vg_calloc(1, sizeof(*a));

    if (!(*out = a))
        return VG_ENOMEM;
    a->st = st;
    pthread_mutex_init(&a->mu, NULL);
    pthread_rwlock_init(&a->policy_lock, NULL);
    pthread_mutex_init(&a->policy_reload, NULL);
    return VG_OK;
}

void vg__api_free(struct vg__api *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->nshares; i++) {
        vg_free(a->shares[i].list);
        vg_free(a->shares[i].partner);
    }
    vg_free(a->shares);
    pthread_mutex_destroy(&a->policy_reload);
    pthread_rwlock_destroy(&a->policy_lock);
    pthread_mutex_destroy(&a->mu);
    vg_free(a);
}

int vg__api_json(struct vg_http_resp *resp, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc;

    json_decref(j);
    if (!s)
        return VG_ENOMEM;
    rc = vg_http_resp_json(resp, status, s, strlen(s));
    free(s);
    return rc;
}

int vg__api_error(struct vg_http_resp *resp, enum vg__api_style style,
                  int status, const char *text)
{
    return vg__api_json(
        resp, status,
        json_pack("{s:s}", style == VG__API_MESSAGE ? "message" : "detail",
                  text));
}

json_t *vg__api_object(const struct vg_http_req *req,
                       struct vg_http_resp *resp, enum vg__api_style style,
                       int json_only, int *rc)
{
    const char *ctype = vg_http_header(req, "Content-Type");
    json_error_t jerr;
    json_t *j;

    if (json_only && (!ctype || strncmp(ctype, "application/json", 16))) {
        *rc = vg__api_error(resp, style, 415, "send application/json");
        return NULL;
    }
    if (!(j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
                         &jerr)) ||
        !json_is_object(j)) {
        json_decref(j);
        *rc = vg__api_error(resp, style, 400, "the body is not a JSON object");
        return NULL;
    }
    return j;
}

static const char *const scope_names[] = {"reports", "lookup", "hash",
                                          "curate"};

/* The VG__SCOPE_* bits of a list of words (spaces or commas); an empty
 * list is the default (reports). */
static unsigned scopes_of(const char *list)
{
    unsigned bits = 0;

    for (const char *p = list + strspn(list, " ,"); *p;) {
        size_t w = strcspn(p, " ,");
        for (unsigned i = 0; i < sizeof(scope_names) / sizeof(*scope_names);
             i++)
            if (strlen(scope_names[i]) == w && !strncmp(p, scope_names[i], w))
                bits |= 1u << i;
        p += w;
        p += strspn(p, " ,");
    }
    return list[strspn(list, " ,")] ? bits : VG__SCOPE_REPORTS;
}

static const char *scope_name(unsigned scope)
{
    for (unsigned i = 0; i < sizeof(scope_names) / sizeof(*scope_names); i++)
        if (scope == 1u << i)
            return scope_names[i];
    return "?";
}

/* The key's secret from Authorization into key (cap bytes): 0, or -1. */
static int key_of(const struct vg_http_req *req, char *key, size_t cap)
{
    const char *h = vg_http_header(req, "Authorization");
    unsigned char raw[512];
    size_t n = 0;
    const char *colon;

    if (h && !strncmp(h, "Bearer ", 7)) {
        if (strlen(h + 7) >= cap)
            return -1;
        strcpy(key, h + 7);
        return 0;
    }
    if (!h || strncmp(h, "Basic ", 6) ||
        sodium_base642bin(raw, sizeof(raw) - 1, h + 6, strlen(h + 6), NULL, &n,
                          NULL, sodium_base64_VARIANT_ORIGINAL))
        return -1;
    raw[n] = 0;
    if (!(colon = memchr(raw, ':', n)))
        return -1;
    /* the password; a client that puts the key in the user name and
     * leaves the password empty is understood too */
    if (colon[1]) {
        colon++;
    } else {
        raw[colon - (const char *)raw] = 0;
        colon = (const char *)raw;
    }
    if (strlen(colon) >= cap)
        return -1;
    strcpy(key, colon);
    return 0;
}

struct found {
    struct vg__api_caller *who;
    int64_t rate, quota;
};

static int key_found(void *ctx, const struct vg_apikey *k)
{
    struct found *f = ctx;

    f->who->key_id = k->id;
    f->who->scopes = scopes_of(k->scopes ? k->scopes : "");
    snprintf(f->who->partner, sizeof(f->who->partner), "%s", k->partner);
    f->rate = k->rate_per_minute;
    f->quota = k->daily_quota;
    return VG_OK;
}

/* Seconds until the key may make a request at its rate, 0 if now (a token
 * taken). */
static unsigned rate_take(struct vg__api *a, int64_t key, int64_t per_minute,
                          int64_t now_ms)
{
    struct vg__api_rate *r = &a->rate[(uint64_t)key % VG__API_SLOTS];
    double per_ms = (double)per_minute / 60000.0;
    unsigned wait = 0;

    pthread_mutex_lock(&a->mu);
    if (r->key_id != key) { /* a key not seen lately starts full */
        r->key_id = key;
        r->tokens = (double)per_minute;
        r->last_ms = now_ms;
    }
    r->tokens += (double)(now_ms - r->last_ms) * per_ms;
    if (r->tokens > (double)per_minute)
        r->tokens = (double)per_minute;
    r->last_ms = now_ms;
    if (r->tokens >= 1.0)
        r->tokens -= 1.0;
    else
        wait = (unsigned)((1.0 - r->tokens) / per_ms / 1000.0) + 1;
    pthread_mutex_unlock(&a->mu);
    return wait;
}

/* Count a request against the key's daily quota: 0 if within it, 1 if
 * over, -1 when the store cannot say. */
static int quota_take(struct vg__api *a, int64_t key, int64_t quota,
                      int64_t now_ms)
{
    struct vg__api_quota *q = &a->quota[(uint64_t)key % VG__API_SLOTS];
    int64_t day = now_ms / 86400000, n = 0, total = 0;
    int over, flush, failed;

    pthread_mutex_lock(&a->mu);
    if (q->key_id != key || q->day != day) {
        memset(q, 0, sizeof(*q));
        q->key_id = key;
        q->day = day;
        q->total = -1;
    }
    if (q->total >= 0 && q->total + q->pending >= quota) {
        pthread_mutex_unlock(&a->mu);
        return 1;
    }
    q->pending++;
    flush = !q->flushing && (q->total < 0 || q->pending >= QUOTA_FLUSH_N ||
                             now_ms - q->flushed_ms >= QUOTA_FLUSH_MS);
    if (flush) {
        q->flushing = 1;
        n = q->pending;
        q->pending = 0;
    }
    pthread_mutex_unlock(&a->mu);
    if (!flush)
        return 0;
    failed = vg_store_api_usage_add(a->st, key, day, n, &total, NULL);
    pthread_mutex_lock(&a->mu);
    over = 0;
    if (q->key_id == key && q->day == day) {
        q->flushing = 0;
        q->flushed_ms = now_ms;
        if (failed)
            q->pending += n; /* counted again at the next flush */
        else
            q->total = total;
        /* this request is in the count: over when the count passed it */
        over = q->total < 0 ? -1 : q->total + q->pending > quota;
    }
    pthread_mutex_unlock(&a->mu);
    return over;
}

static int retry_after(struct vg_http_resp *resp, enum vg__api_style style,
                       unsigned s, const char *text)
{
    char v[24];
    int rc;

    snprintf(v, sizeof(v), "%u", s ? s : 1);
    if ((rc = vg_http_resp_header(resp, "Retry-After", v)))
        return rc;
    return vg__api_error(resp, style, 429, text);
}

/* The key's limits: 0 if the request may go on, else the answer made. */
static int limits(struct vg_server *s, struct vg_http_resp *resp,
                  enum vg__api_style style, const struct found *f, int *rc)
{
    int64_t now = vg__wall_ms();
    unsigned wait;
    int over;

    if (f->rate &&
        (wait = rate_take(s->api, f->who->key_id, f->rate, vg__now_ms()))) {
        *rc = retry_after(resp, style, wait,
                          "this API key is over its rate: try again after"
                          " Retry-After seconds");
        return -1;
    }
    if (!f->quota ||
        !(over = quota_take(s->api, f->who->key_id, f->quota, now)))
        return 0;
    if (over < 0) {
        *rc = vg__api_error(resp, style, 503,
                            "the quota cannot be checked now: try again"
                            " shortly");
        return -1;
    }
    *rc = retry_after(resp, style,
                      (unsigned)((86400000 - now % 86400000) / 1000),
                      "this API key has used its daily quota: it renews at"
                      " 00:00 UTC");
    return -1;
}

int vg__api_enter(struct vg_server *s, const struct vg_http_req *req,
                  struct vg_http_resp *resp, enum vg__api_style style,
                  unsigned scope, struct vg__api_caller *who, int *rc)
{
    struct found f = {NULL, 0, 0};
    unsigned char hash[32];
    char key[256], msg[128];
    int found = VG_ENOENT;

    memset(who, 0, sizeof(*who));
    f.who = who;
    if (!key_of(req, key, sizeof(key)) && !vg_auth_apikey_hash(key, hash))
        found = vg_store_apikey_find(s->o.store, hash, key_found, &f, NULL);
    sodium_memzero(key, sizeof(key));
    if (found && found != VG_ENOENT) { /* the store did not answer */
        *rc = vg__api_error(resp, style, 503,
                            "the key cannot be checked now: try again"
                            " shortly");
        return -1;
    }
    if (found || !who->key_id) {
        if (!(*rc = vg_http_resp_header(resp, "WWW-Authenticate",
                                        "Basic realm=\"vigil\"")))
            *rc = vg__api_error(resp, style, 401,
                                "a valid API key is required (Authorization:"
                                " Bearer KEY, or Basic with the key as the"
                                " password)");
        return -1;
    }
    if (!(who->scopes & scope)) {
        snprintf(msg, sizeof(msg),
                 "this API key lacks the scope \"%s\" this request needs",
                 scope_name(scope));
        *rc = vg__api_error(resp, style, 403, msg);
        return -1;
    }
    return limits(s, resp, style, &f, rc);
}
