/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawler's fetcher (module `crawl`): many HTTP(S) transfers in flight
 * on one libcurl multi handle, each with the limits a hostile web calls
 * for, and the answer a hotline needs as evidence.
 *
 * Every transfer: http and https only, also after redirects (file:, ftp:,
 * gopher: ... refused); at most max_redirects redirects; connect timeout,
 * total timeout and a low-speed limit (slow drip, stalled servers); the
 * body capped per kind, counted after decompression (gzip, deflate,
 * brotli, zstd), so neither a lying Content-Length nor a compression bomb
 * gets past the cap; and, unless allow_private is set, a connection only to
 * public addresses (vigil/netaddr.h), checked on the address actually
 * connected to, after DNS and after every redirect (allow_addrs excepts
 * exactly the address and port pairs it lists, for tests).
 *
 * Proxies: the environment's proxy variables (http_proxy, HTTPS_PROXY,
 * ALL_PROXY, NO_PROXY...) are ignored, always: through a proxy the
 * public-address check would see only the proxy.  A proxy is used only when
 * given in opts->proxy, and then that check cannot see where a request
 * goes: every connection is to the proxy (allowed whatever its address),
 * so the proxy must do the filtering (refuse private, loopback and
 * link-local destinations, its own network included).  What the fetcher
 * still does then, unless allow_private is set: it refuses a URL whose
 * host is an IP address literal that is not public (vigil/netaddr.h), the
 * submitted URL and every redirect's target, before the proxy is asked for
 * it (a redirect's response is cut off at its Location header).  It does
 * not resolve host names itself: the proxy resolves them, and its answer
 * could differ from ours anyway (DNS rebinding), so a name that resolves
 * to a private address is the proxy's to refuse.
 *
 * Memory: the decoded bodies of all transfers, and the bytes the caller
 * says it holds on (vg_fetcher_hold), share one budget, max_inflight_bytes.
 * A transfer whose next bytes do not fit waits (paused) until bytes are
 * freed, and none starts while the budget is spent; no body may be larger
 * than the budget (VG_FETCH_TOO_LARGE).  So that transfers holding parts
 * of bodies never all wait on each other, when nothing else would free
 * bytes the one waiting longest goes first and the youngest transfers
 * holding bytes are stopped and started again later, from the beginning
 * (invisible to the caller but in the time taken).  A transfer's total
 * timeout counts while it waits.  What libcurl keeps for a paused
 * transfer (the rest of one small read, decoded: about 1 MiB at most for
 * gzip) is reserved in the budget while the body may be encoded.
 *
 * Politeness (per-host delays, robots.txt) is the scheduler's: the fetcher
 * fetches what it is given.  Thread safety: one thread drives a fetcher.
 */
#ifndef VIGIL_FETCH_H
#define VIGIL_FETCH_H

#include <stddef.h>

#include "vigil/error.h"

enum vg_fetch_kind {
    VG_FETCH_PAGE = 0, /* HTML: capped at max_page_bytes */
    VG_FETCH_MEDIA     /* images, video: capped at max_media_bytes */
};

struct vg_fetch_opts {
    const char *user_agent;    /* required: names the operator */
    unsigned max_in_flight;    /* 0 = 32 */
    unsigned max_redirects;    /* 0 = 5 */
    long connect_timeout_ms;   /* 0 = 10 s */
    long total_timeout_ms;     /* 0 = 60 s */
    long low_speed_bytes;      /* abort below this many bytes a second ... */
    long low_speed_seconds;    /* ... for this long; 0 = 1000 B/s, 15 s */
    size_t max_page_bytes;     /* 0 = 8 MiB (after decompression) */
    size_t max_media_bytes;    /* 0 = 64 MiB (after decompression) */
    size_t max_inflight_bytes; /* 0 = 256 MiB: all bodies held at once */
    int allow_private;         /* connect to private addresses (tests) */
    const char *allow_addrs;   /* NULL, or "IP:PORT,[IPv6]:PORT...": exactly
                                  these private addresses may be connected
                                  to (tests, labs; copied; not through a
                                  proxy) */
    const char *proxy;         /* NULL: none (the environment's ignored);
                                else libcurl's proxy URL, e.g.
                                "http://proxy.example:3128" (copied) */
};

/* Why a fetch failed (VG_FETCH_OK: an HTTP answer, whatever its status). */
enum vg_fetch_error {
    VG_FETCH_OK = 0,
    VG_FETCH_TOO_LARGE, /* the cap, after decompression */
    VG_FETCH_TIMEOUT,   /* connect, total or low-speed limit */
    VG_FETCH_REDIRECTS, /* more than max_redirects */
    VG_FETCH_SCHEME,    /* not http/https, at first or after a redirect */
    VG_FETCH_PRIVATE,   /* the address is not public */
    VG_FETCH_DNS,       /* the host does not resolve */
    VG_FETCH_CONNECT,   /* refused, reset, TLS failure, bad answer */
    VG_FETCH_OTHER
};

/* "too-large", "timeout", "redirects", "scheme", "private", "dns",
 * "connect", "other" ("ok" for VG_FETCH_OK). */
const char *vg_fetch_error_name(enum vg_fetch_error e);

struct vg_fetch_result {
    const char *url;       /* as submitted */
    const char *final_url; /* after redirects (NULL if none reached) */
    enum vg_fetch_kind kind;
    enum vg_fetch_error error;
    const char *error_text;   /* curl's words, or ours */
    long status;              /* HTTP status, 0 without an answer */
    const char *content_type; /* NULL if none */
    const char *server_ip;    /* the address connected to (with a proxy:
                                 the proxy's), or NULL */
    const char *headers;      /* evidence: selected headers of the final
                                  response, "name: value\n" each, names
                                  lowercase (content-type, server, date,
                                  last-modified, etag, ...); never NULL */
    const char *retry_after;  /* the Retry-After header, or NULL */
    const char *body;         /* decoded body (body[len] == 0) */
    size_t len;
    double seconds; /* the whole transfer */
    void *ctx;      /* the submitter's */
};

struct vg_fetcher;

/* VG_OK, VG_EINVAL (no user agent), VG_ENOMEM. */
int vg_fetcher_new(const struct vg_fetch_opts *opts, struct vg_fetcher **out);
void vg_fetcher_free(struct vg_fetcher *f);

/* Queue a URL (copied).  VG_OK or VG_ENOMEM. */
int vg_fetcher_submit(struct vg_fetcher *f, const char *url,
                      enum vg_fetch_kind kind, void *ctx);

/*
 * How to ask (re-checks, vigil/notice.h): a HEAD instead of a GET (no
 * body), and validators of a copy already seen, sent as If-None-Match and
 * If-Modified-Since (a 304 then says it is unchanged).  NULL or "": not
 * sent; a value with a CR or LF is refused (VG_EINVAL).
 */
struct vg_fetch_req {
    int head;
    const char *if_none_match;     /* an ETag as the server gave it */
    const char *if_modified_since; /* a Last-Modified as given */
};

/* vg_fetcher_submit, asking as req says (copied). */
int vg_fetcher_submit_req(struct vg_fetcher *f, const char *url,
                          enum vg_fetch_kind kind,
                          const struct vg_fetch_req *req, void *ctx);

/*
 * Bytes of bodies the caller keeps after their transfers (e.g. queued for
 * hashing) count against max_inflight_bytes from hold until release.
 */
void vg_fetcher_hold(struct vg_fetcher *f, size_t n);
void vg_fetcher_release(struct vg_fetcher *f, size_t n);

/* Transfers queued or in flight. */
size_t vg_fetcher_pending(const struct vg_fetcher *f);

/*
 * Wake a vg_fetcher_run that waits (from any thread: e.g. a worker that
 * has finished something the loop should look at).
 */
void vg_fetcher_wakeup(struct vg_fetcher *f);

/*
 * Drive transfers for up to wait_ms milliseconds (or until one finishes or
 * a wakeup; with nothing in flight it just waits),
 * calling done for each finished transfer (the result is valid during the
 * call).  Returns VG_OK, or the first non-VG_OK code done returned.
 */
int vg_fetcher_run(struct vg_fetcher *f, long wait_ms,
                   int (*done)(void *arg, const struct vg_fetch_result *r),
                   void *arg);

#endif
