/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): crawls, their frontier, and what a crawl found:
 * media, sightings, detections. Strings handed to callbacks are borrowed for
 * the duration of the call.
 */
#ifndef VIGIL_STORE_CRAWL_H
#define VIGIL_STORE_CRAWL_H

#include <stdint.h>

#include "vigil/algo.h"
#include "vigil/store.h"

/* ---- crawls and their frontier ---- */

/*
 * A crawl's frontier is durable: URLs wait in the store (queued), are
 * leased in batches, and end done or failed, so a crawl killed at any
 * point resumes with vg_store_crawl_reopen (leased URLs go back to the
 * queue) and loses nothing, and fetches nothing twice that was finished.
 * That is for a crawl's one process; crawl workers (several processes on
 * one crawl, below) lease with an owner and a time instead, and take only
 * the leases that expired.
 * What a fetch found (the URLs it links to, the image's sighting and
 * detections) is committed in the same transaction that finishes it
 * (vg_store_crawl_commit), so nothing is recorded twice either.  Each URL
 * is stored once (canonical text) however many crawls hold it; the
 * (crawl, URL) key is the crawl's seen-set, on disk.  Leases come highest
 * priority first (lowest number: reported URLs get 0), then shallowest,
 * then media before pages, then round-robin over hosts (host_seq), then
 * oldest.  The crawler gives a page's media the page's depth, so they come
 * before every deeper page.
 */
int vg_store_crawl_new(struct vg_store *st, const char *params_json,
                       int64_t *id, struct vg_err *err);
/* After a restart: leased URLs of the crawl are queued again. */
int vg_store_crawl_reopen(struct vg_store *st, int64_t crawl_id,
                          int64_t *requeued, struct vg_err *err);
/* The crawl ended: status "finished" or "stopped" (resumable). */
int vg_store_crawl_end(struct vg_store *st, int64_t crawl_id,
                       const char *status, struct vg_err *err);

enum vg_frontier_kind { VG_FRONTIER_PAGE = 0, VG_FRONTIER_MEDIA };

struct vg_frontier_url {
    const char *url; /* canonical (vigil/url.h) */
    const char *host;
    int priority; /* 0 first */
    int depth;    /* a page's link hops from a seed; media: their page's */
    int64_t parent_url_id; /* 0 if none */
    enum vg_frontier_kind kind;
    int offsite;      /* links followed off the seed's site to here */
    int64_t host_seq; /* the n-th URL of its host in the crawl: leases
                             take the hosts' first URLs, then their second,
                             ... so one busy host does not fill the window */
};

/*
 * Add n URLs in one transaction; ones the crawl already holds are left as
 * they are.  *added (may be NULL) gets how many were new.
 */
int vg_store_frontier_add(struct vg_store *st, int64_t crawl_id,
                          const struct vg_frontier_url *v, size_t n,
                          size_t *added, struct vg_err *err);

struct vg_frontier_lease {
    int64_t url_id;
    const char *url, *host;
    int priority, depth;
    int64_t parent_url_id; /* 0 if none */
    enum vg_frontier_kind kind;
    int offsite;
    int64_t epoch; /* the URL's lease count: this lease's number */
};

/*
 * Lease up to max queued URLs (of every kind, or only media) whose
 * not-before time is at most now (Unix seconds), in priority order, and
 * pass each to cb after the lease is committed.  *n (may be NULL) gets the
 * count.
 */
int vg_store_frontier_lease(struct vg_store *st, int64_t crawl_id, size_t max,
                            int only_media, int64_t now,
                            int (*cb)(void *ctx,
                                      const struct vg_frontier_lease *l),
                            void *ctx, size_t *n, struct vg_err *err);

/*
 * The same for a crawl worker (docs/FLEET-CRAWL.md): leases of other
 * workers that expired (lease_until before now) are queued again first,
 * then the leases taken are the owner's until lease_until (Unix seconds),
 * which vg_store_frontier_renew moves on.
 */
int vg_store_frontier_lease_as(struct vg_store *st, int64_t crawl_id,
                               const char *owner, int64_t lease_until,
                               size_t max, int only_media, int64_t now,
                               int (*cb)(void *ctx,
                                         const struct vg_frontier_lease *l),
                               void *ctx, size_t *n, struct vg_err *err);

/* Every URL a crawl holds, in no particular order (to rebuild caches). */
int vg_store_frontier_each(struct vg_store *st, int64_t crawl_id,
                           int (*cb)(void *ctx, const char *url,
                                     const char *host,
                                     enum vg_frontier_kind kind),
                           void *ctx, struct vg_err *err);

/* ---- crawl workers: leases, hosts and robots.txt shared ---- */

/* The owner's leases (and transfers in flight) last until until (Unix
 * seconds); *n (may be NULL) gets how many leases it still holds. */
int vg_store_frontier_renew(struct vg_store *st, int64_t crawl_id,
                            const char *owner, int64_t until, int64_t *n,
                            struct vg_err *err);
/* A worker stops: its leases are queued again, its transfers forgotten. */
int vg_store_frontier_release(struct vg_store *st, int64_t crawl_id,
                              const char *owner, int64_t *requeued,
                              struct vg_err *err);

/*
 * Politeness across a crawl's workers: may transfer seq of owner start to
 * host at now_ms (milliseconds since the epoch; 0: the store's clock when
 * it holds the write lock, so that the wait for it does not shorten the
 * delay)?  Yes when the host's
 * next start time has come and fewer than per_host transfers of the crawl
 * are in flight to it (ones whose until_at passed do not count): then the
 * transfer is recorded (until until_at, Unix seconds), the next start
 * becomes now_ms + delay_ms and *wait_ms 0.  Else *wait_ms gets how long
 * to wait before asking again (at least 1).
 */
struct vg_host_start {
    const char *owner, *host;
    int64_t seq;
    unsigned per_host;
    int64_t delay_ms, now_ms, until_at;
};
int vg_store_host_start(struct vg_store *st, int64_t crawl_id,
                        const struct vg_host_start *h, int64_t *wait_ms,
                        struct vg_err *err);
/* Transfer seq of owner ended; the host's next start is not before
 * not_before_ms (a back-off; 0: none). */
int vg_store_host_end(struct vg_store *st, int64_t crawl_id, const char *owner,
                      int64_t seq, const char *host, int64_t not_before_ms,
                      struct vg_err *err);

/* An origin's robots.txt as fetched for a crawl. */
struct vg_robots_rec {
    int64_t fetched_at; /* Unix seconds */
    long status;        /* 0: unreachable */
    const uint8_t *body;
    size_t len;
    const char *error; /* why unreachable, or NULL */
};
enum vg_robots_claim {
    VG_ROBOTS_HAVE,  /* a fresh answer: passed to cb */
    VG_ROBOTS_WAIT,  /* another worker is fetching it: ask again soon */
    VG_ROBOTS_FETCH, /* claimed (until claim_until): fetch it and put it */
};
/*
 * The crawl's answer for origin ("scheme://host[:port]") if fetched at or
 * after fresh_from, else a claim on fetching it, unless another worker's
 * claim has not passed (now: Unix seconds).  cb must not call the store.
 */
int vg_store_robots_claim(struct vg_store *st, int64_t crawl_id,
                          const char *origin, const char *owner, int64_t now,
                          int64_t fresh_from, int64_t claim_until,
                          int (*cb)(void *ctx, const struct vg_robots_rec *r),
                          void *ctx, enum vg_robots_claim *out,
                          struct vg_err *err);
int vg_store_robots_put(struct vg_store *st, int64_t crawl_id,
                        const char *origin, const struct vg_robots_rec *r,
                        struct vg_err *err);

/* ---- what a crawl found ---- */

/* The SHA-1 and SHA-256 of a media item a crawl found with list entry
 * entry_id's hash (the first such item), in one query: VG_OK, VG_ENOENT
 * if none. */
int vg_store_entry_media(struct vg_store *st, int64_t entry_id,
                         uint8_t sha1[20], uint8_t sha256[32],
                         struct vg_err *err);

/* A leased URL is finished. */
struct vg_frontier_done {
    int64_t url_id;
    int ok;            /* done (1) or failed (0) */
    long http_status;  /* 0 without an answer */
    const char *error; /* why it failed (or a note), NULL if none */
};

/* A match of a sighting's media against a list entry. */
struct vg_detection_rec {
    int64_t entry_id;
    const char *algo; /* a registered name (vigil/hashalgo.h) */
    int distance;
    const char *variant; /* dihedral variant name, NULL for digests */
};

/*
 * An image seen at a URL (on a page), with its hashes (never its bytes)
 * and the evidence of the fetch.
 */
struct vg_sighting_rec {
    int64_t url_id, page_url_id; /* page 0 if none */
    int64_t seen_at;             /* Unix seconds, UTC */
    long http_status;
    const char *server_ip;    /* NULL if unknown */
    const char *headers_json; /* selected response headers */
    const uint8_t *sha256, *md5, *sha1;
    const uint8_t *pdq; /* 32 bytes, NULL if not hashed */
    int pdq_quality;
    const char *format;
    unsigned width, height;
    int64_t bytes;
    const struct vg_detection_rec *detections;
    size_t ndetections;
    /* a sealed review thumbnail, or NULL: with one, media the
       store did not have under review yet awaits review (vg_store_review_*
       below); media pending or reviewed keep what they have */
    const uint8_t *thumbnail;
    size_t thumbnail_len;
    /* the values of the registry's other algorithms (the built-ins are
       the fields above), or NULL */
    const struct vg_hashval *hashes;
    size_t nhashes;
};

struct vg_crawl_batch {
    const struct vg_frontier_done *done;
    size_t ndone;
    const struct vg_frontier_url *add; /* URLs the fetches found */
    size_t nadd;
    const struct vg_sighting_rec *sightings;
    size_t nsightings;
};

/*
 * One transaction: the found URLs added, the sightings (media rows shared
 * by SHA-256) and their detections recorded, the done URLs finished.  A
 * done URL that is not leased is VG_ENOENT (nothing is written).
 * *added (may be NULL) gets how many URLs were new.
 */
int vg_store_crawl_commit(struct vg_store *st, int64_t crawl_id,
                          const struct vg_crawl_batch *b, size_t *added,
                          struct vg_err *err);

/*
 * A crawl worker's commit: done URL i is finished only if owner still
 * holds its lease of epochs[i] (vg_frontier_lease); one whose lease
 * expired (and may have gone to another worker) is skipped with its
 * sightings and counted in lost, so what a URL found is recorded once, by
 * whoever finishes it.
 */
struct vg_crawl_holder {
    const char *owner;
    const int64_t *epochs; /* one per done URL */
    size_t lost;           /* out */
};
int vg_store_crawl_commit_as(struct vg_store *st, int64_t crawl_id,
                             const struct vg_crawl_batch *b,
                             struct vg_crawl_holder *h, size_t *added,
                             struct vg_err *err);

struct vg_frontier_counts {
    int64_t queued, leased, done, failed;
    int64_t pages, media; /* of all four, by kind */
};
int vg_store_frontier_counts(struct vg_store *st, int64_t crawl_id,
                             struct vg_frontier_counts *out,
                             struct vg_err *err);

struct vg_crawl_info {
    int64_t id;
    int64_t started_at, finished_at; /* finished 0 while not ended */
    const char *status;              /* running, stopped, finished */
    const char *params;              /* JSON, as given to crawl_new */
    int64_t sightings, detections;
    struct vg_frontier_counts urls;
};

/*
 * Crawls, newest first (id 0: all; else that one, VG_ENOENT if none).
 * cb must not call the store.
 */
int vg_store_crawls(struct vg_store *st, int64_t id,
                    int (*cb)(void *ctx, const struct vg_crawl_info *c),
                    void *ctx, struct vg_err *err);

/* A detection with everything a hotline needs to act on it. */
struct vg_detection_info {
    int64_t id, crawl_id;
    const char *url, *page_url; /* page NULL if none */
    int64_t fetched_at;         /* Unix seconds, UTC */
    long http_status;
    const char *server_ip, *headers_json;
    const uint8_t *sha256, *md5; /* 32 and 16 bytes */
    const uint8_t *pdq;          /* 32 bytes, or NULL */
    int pdq_quality;
    const char *format;
    unsigned width, height;
    int64_t entry_id, list_id; /* 0 if since deleted */
    const char *list, *category, *external_id, *metadata;
    const char *algo, *variant;
    int distance;
    const char *status;
};

/* Detections, oldest first, of one crawl (crawl_id 0: all). */
int vg_store_detections(struct vg_store *st, int64_t crawl_id,
                        int (*cb)(void *ctx,
                                  const struct vg_detection_info *d),
                        void *ctx, struct vg_err *err);

#endif
