/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the API files of the web module: the door every API route
 * goes through (api_auth.c: the key, its scope, its rate and daily quota),
 * what a partner may see of a match (api_policy.c: the lists shared with
 * it), and the answers shared by the Shield-shaped routes (api_shield.c)
 * and the HMA-shaped ones (api_hma.c).
 */
#ifndef VIGIL_WEB_API_INT_H
#define VIGIL_WEB_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "vigil/imagehash.h"
#include "vigil/lists.h"
#include "web/web_int.h"

/* How a route spells its errors: Shield's and Vigil's {"detail": ...} or
 * HMA's {"message": ...}. */
enum vg__api_style { VG__API_DETAIL, VG__API_MESSAGE };

/* The state of the API beside the server: per-key rates and daily counts
 * in memory, the sharing policy read from the store once a second. */
#define VG__API_SLOTS 4096 /* keys tracked at once (direct-mapped by id) */

struct vg__api_rate { /* a key's token bucket */
    int64_t key_id, last_ms;
    double tokens;
};

struct vg__api_quota { /* a key's requests today */
    int64_t key_id, day;
    int64_t total;   /* the fleet's count at the last flush, -1: unknown */
    int64_t pending; /* this node's since */
    int64_t flushed_ms;
    int flushing;
};

struct vg__api_share { /* a list shared with a partner */
    char *list, *partner;
    int metadata;
};

struct vg__api {
    struct vg_store *st;
    pthread_mutex_t mu; /* rate and quota */
    struct vg__api_rate rate[VG__API_SLOTS];
    struct vg__api_quota quota[VG__API_SLOTS];
    pthread_rwlock_t policy_lock;
    struct vg__api_share *shares;
    size_t nshares;
    int64_t policy_ms; /* when read; 0: never */
    pthread_mutex_t policy_reload;
};

int vg__api_new(struct vg_store *st, struct vg__api **out);
void vg__api_free(struct vg__api *a);

/* Who calls, once the door let him in. */
struct vg__api_caller {
    int64_t key_id;
    char partner[201];
    unsigned scopes; /* VG__SCOPE_* */
};

enum {
    VG__SCOPE_REPORTS = 1u << 0,
    VG__SCOPE_LOOKUP = 1u << 1,
    VG__SCOPE_HASH = 1u << 2,
    VG__SCOPE_CURATE = 1u << 3
};

/* {"detail": text} or {"message": text} with status. */
int vg__api_error(struct vg_http_resp *resp, enum vg__api_style style,
                  int status, const char *text);
/* The body as a JSON object (the caller's: json_decref), or NULL with the
 * answer made: 415 when json_only and the Content-Type is not
 * application/json, 400 when the body is not a JSON object. */
json_t *vg__api_object(const struct vg_http_req *req,
                       struct vg_http_resp *resp, enum vg__api_style style,
                       int json_only, int *rc);
/* j (taken) as the JSON body with status; VG_ENOMEM when j is NULL. */
int vg__api_json(struct vg_http_resp *resp, int status, json_t *j);

/*
 * The door: the API key (Authorization: Bearer KEY, or Basic with the key
 * as the password, as C3P's Shield SDK sends it; the user name is not
 * checked), the scope the route needs (VG__SCOPE_*), the key's rate per
 * minute and its daily quota.  0 if the request may go on (*who filled);
 * else the answer is made: 401 (no valid key), 403 (the scope, named),
 * 429 with Retry-After (rate or quota), 503 (the store cannot say), and
 * *rc is what the handler returns.
 */
int vg__api_enter(struct vg_server *s, const struct vg_http_req *req,
                  struct vg_http_resp *resp, enum vg__api_style style,
                  unsigned scope, struct vg__api_caller *who, int *rc);

/* ---- what a partner may see (api_policy.c) ---- */

/* A match the caller may see: of a list shared with its partner. */
struct vg__api_hit {
    const struct vg_match *m;
    int metadata; /* it may see the entry's metadata and external id */
};

/*
 * The matches of r the caller may see, into out (at most cap), in r's
 * order; returns how many.  A list not shared with the caller's partner
 * (nor with "*") is invisible: its matches are left out and nothing says
 * they were there.  An allow list's match (a known false positive)
 * suppresses the rest whether or not the allow list is shared, as the
 * matcher does.
 */
size_t vg__api_visible(struct vg_server *s, const struct vg__api_caller *who,
                       const struct vg_match_result *r,
                       struct vg__api_hit *out, size_t cap);

/* Note every entry r returned (block and allow) for flood quarantine,
 * for the media whose key is key (32 bytes: vigil/flood.h). */
void vg__api_note(struct vg_server *s, const struct vg_match_result *r,
                  const uint8_t key[32]);
/* The same for a lookup by hash: the key is the SHA-256 of the queried
 * value (n bytes, canonical), computed only when something matched. */
void vg__api_note_hash(struct vg_server *s, const struct vg_match_result *r,
                       const uint8_t *value, size_t n);

/* May the caller see the list named name?  1 if shared with it. */
int vg__api_list_visible(struct vg_server *s, const struct vg__api_caller *who,
                         const char *name, int *metadata);

/* Shield's class of a match: "csam" for the csam category (the review
 * class's code, vigil/store_review.h), else "harmful-abusive-material";
 * vg__api_csam: 1 for the first. */
const char *vg__api_class(const struct vg_match *m);
int vg__api_csam(const struct vg_match *m);

/* The node's matcher, or NULL (then the answer is made: 503). */
struct vg_matcher *vg__api_matcher(struct vg_server *s,
                                   struct vg_http_resp *resp,
                                   enum vg__api_style style, int *rc);

/* ---- shared by the Shield and HMA routes (api_shield.c) ---- */

/* A match as JSON: list, entry_id, algo, distance, variant (PDQ),
 * classification, and with h->metadata external_id and metadata. */
json_t *vg__api_hit_json(const struct vg__api_hit *h);
/* The query's own hashes: md5, sha1, sha256, pdq and pdq_quality. */
json_t *vg__api_query_hashes(const struct vg_imagehash *h);

/* Hash data[0..len) in memory (PDQ with its dihedral variants, the
 * digests): 0, or the answer is made (400 empty, 422 not an image Vigil
 * hashes, or a truncated or corrupt one, with the decoder's reason) and
 * *rc is the handler's. */
int vg__api_hash(const uint8_t *data, size_t len, struct vg_imagehash *h,
                 struct vg_http_resp *resp, enum vg__api_style style, int *rc);

/* What vg__api_fetch got: the body of a 2xx answer. */
struct vg__api_fetched {
    uint8_t *body;
    size_t len;
    long status;
    int error; /* enum vg_fetch_error */
    char why[200];
};

/* Fetch url with the crawler's fetcher (public addresses only, the
 * upload cap, 30 s): 0 with f->body (free with vg_free), or the answer
 * is made (422 with the reason: not public, HTTP status, timeout...). */
int vg__api_fetch(struct vg_server *s, const char *url,
                  struct vg__api_fetched *f, struct vg_http_resp *resp,
                  enum vg__api_style style, int *rc);

/* Routes: api_shield.c, api_hma.c, api_feedback.c. */
int vg__shield_routes(struct vg_server *s, struct vg_err *err);
int vg__hma_routes(struct vg_server *s, struct vg_err *err);
int vg__feedback_routes(struct vg_server *s,
                        struct vg_err *err); /* api_feedback.c */

#endif
