/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s server (module `web`): the HTTP layer with Vigil's
 * routes on one store.  So far the partner intake API:
 *
 *   POST /api/v1/reports   Authorization: Bearer <API key>
 *                          Idempotency-Key: <up to 200 bytes> (optional)
 *   a JSON object: incident_type, technology, description, urls (array),
 *   detail, incident_at, language, luring_meet, luring_images,
 *   intimate_self, intimate_threatened, named_child (bool), contact
 *   ({name, email, phone}) -- the rules of vigil/report.h.
 *   201 {"reference": "...", "id": N} once the report is on disk (200 with
 *   the first report's reference for a retried Idempotency-Key); errors
 *   {"detail": "..."} with 400 (not JSON), 401 (no key, unknown or revoked
 *   key), 403 (the key lacks the route's scope, named), 413, 415 (not application/json), 422 (the report breaks a rule:
 *   also "errors": [{"field", "code", "message"}]), 429 (over the rate
 *   limit of the client's address -- for IPv6 its /64 -- with Retry-After).
 *
 * Reports are stored through the group-commit intake; contact details are
 * sealed with the key file's key before they reach the store.  What runs
 * beside the server (the crawler, the notice cycles) is vigil/runtime.h's.
 */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

/*
 * API key scopes (`vigil apikeys add --scopes`, words separated by spaces
 * or commas), the whole vocabulary; every API route needs one:
 *   reports   POST /api/v1/reports
 * A new key gets VG_API_SCOPES_DEFAULT; an empty list (keys made in the
 * console before scopes were checked) counts as that default.  A key
 * without the route's scope ("--scopes none") is refused with 403.
 */
#define VG_API_SCOPE_REPORTS "reports"
#define VG_API_SCOPES_DEFAULT VG_API_SCOPE_REPORTS

#include "vigil/flood.h"
#include "vigil/lists.h"
#include "vigil/seal.h"
#include "vigil/store.h"

/*
 * /healthz answers 200 "ok" while the process serves, without touching the
 * store; /readyz answers 200 with a small JSON object when the store
 * answers, its schema is this program's latest and the match index (if
 * this node has one) is loaded, with the age of the last list load; else
 * 503 with the reason.  Neither needs a sign-in nor counts against a
 * rate limit, and neither says more than that.
 */
struct vg_server_readiness {
    int index;               /* -1: no index on this node; 0: not loaded
                              yet; 1: loaded */
    int64_t index_entries;   /* list entries it holds */
    int64_t lists_synced_at; /* Unix seconds of the last list sync */
};

struct vg_server_opts {
    struct vg_store *store;   /* required; outlives the server */
    const char *listen;       /* "127.0.0.1:8080" (port 0: any free one) */
    const char *web_dir;      /* the web/ directory (catalogues...) */
    const char *key_file;     /* the sealing key (created if missing) */
    unsigned threads;         /* HTTP threads; 0 = 4 */
    unsigned max_per_ip;      /* connections at once from one client
                               address; 0 = 32 (vigil/http.h) */
    unsigned rate_per_minute; /* reports a minute per client address (and
                                 as many at once); 0 = no limit */
    unsigned ipv6_prefix;     /* rate limits key an IPv6 client by its
                                 first bits (1..128); 0 = 64 */
    unsigned reviewers;       /* analysts who must agree on a media item;
                                 0 = 2 */
    /* called on the HTTP thread when analysts put new entries on a list
     * (a verified media item), so a crawl matches them (NULL: none) */
    void (*lists_changed)(void *ctx);
    void *lists_changed_ctx;
    /* the node's match index for the hash-check API, NULL while it loads
       (the API answers 503 meanwhile); called on HTTP threads (NULL: no
       index: the hash-check API answers 503) */
    struct vg_matcher *(*matcher)(void *ctx);
    void *matcher_ctx;
    /* the hash-check API: the largest media upload (0: 32 MiB), and how
       POST /v1/url/ fetches (the crawler's fetcher: public addresses
       only unless allow_private, for tests; proxy NULL: none) */
    size_t api_max_upload;
    /* the API (reports, the hash-check routes) on a listener of its own,
       "ADDR:PORT" (port 0: any free one), and not on listen; NULL: on
       listen with the rest */
    const char *api_listen;
    int fetch_allow_private;
    const char *fetch_proxy;
    /* flood quarantine: every entry an API lookup returns is noted
       (vigil/flood.h); NULL: none */
    struct vg_flood *flood;
    /* what /readyz reports of the parts beside the server, asked on an
     * HTTP thread (NULL: none, no index to wait for) */
    void (*readiness)(void *ctx, struct vg_server_readiness *out);
    void *readiness_ctx;
    /* behind a reverse proxy on this machine: take the client's address
     * from its X-Real-IP header */
    int trust_proxy;
    /* with trust_proxy, the proxy's address: X-Real-IP is believed from
     * that peer only, not from the loopback (a proxy on another machine:
     * docs/FLEET-SERVE.md); NULL: from the loopback */
    const char *trusted_proxy;
    /* where the public pages' quick exit leaves for: an http or https URL
     * (NULL: VG_QUICK_EXIT_DEFAULT) */
    const char *quick_exit_url;
};

#define VG_QUICK_EXIT_DEFAULT "https://www.google.com/"

struct vg_server;

int vg_server_new(const struct vg_server_opts *o, struct vg_server **out,
                  struct vg_err *err);
int vg_server_start(struct vg_server *s, struct vg_err *err);
int vg_server_port(const struct vg_server *s);
/* The API's own listener's port (vg_server_port without api_listen). */
int vg_server_api_port(const struct vg_server *s);
/* The server's sealer (the key file's key), for what runs beside it; valid
 * until vg_server_free. */
struct vg_sealer *vg_server_sealer(struct vg_server *s);
/* Stop taking requests, finish those in flight and their reports. */
int vg_server_stop(struct vg_server *s);
void vg_server_free(struct vg_server *s);

#endif
