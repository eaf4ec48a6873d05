/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawler (module `crawl`): from seeds in a crawl's durable frontier
 * (vigil/store.h), fetch pages, follow their links within bounds, fetch
 * every image they show, hash it, match it against the lists, and record
 * each sighting and detection with its evidence.  One thread runs the
 * event loop (frontier leases, robots.txt, per-host politeness, the
 * fetcher, link extraction); hashing and matching run on worker threads,
 * so neither stalls the other.  vg_crawl_run runs a crawl to its end (the
 * `vigil crawl` command) or, with opts.continuous, until stopped, picking
 * up seeds added meanwhile (the server).
 *
 * Bounds and traps: depth (pages only: the images of a page at the last
 * depth are still fetched), links off the seed's site (by registrable
 * domain, public suffix list), pages per host, URLs per near-identical
 * pattern per host (digit runs, long tokens and query values folded:
 * calendars, session ids), URL length (VG_URL_MAX), pages in all.
 * robots.txt (RFC 9309) is fetched per origin, cached for at most 24 hours
 * (opts.robots_ttl_ms) and obeyed unless opts.ignore_robots.  A 429 or 503 answer puts the URL back
 * (three tries) and backs its host off.  Every fetch failure is recorded
 * on its URL and the crawl goes on.
 *
 * Identical bytes (same SHA-256) seen again in a run are not hashed again,
 * nor given a second review thumbnail.
 * A crawl killed at any point resumes with another vg_crawl_run: leased
 * URLs are queued again, finished ones are not fetched again, and a
 * sighting is committed with the finishing of its URL, so none is
 * recorded twice.  One process runs a given crawl at a time, or several
 * crawl workers (opts.worker) and no other.
 */
#ifndef VIGIL_CRAWLER_H
#define VIGIL_CRAWLER_H

#include <signal.h>
#include <stdint.h>

#include "vigil/lists.h"
#include "vigil/store.h"
#include "vigil/store_review.h"

struct vg_crawl_opts {
    const char *user_agent; /* names the operator; robots token "vigil" */
    int max_depth;          /* link hops from a seed to a page */
    int follow_offsite;     /* pages this many links off the seed's site */
    int64_t max_pages;      /* pages fetched in this run; 0 = no limit */
    int64_t max_host_pages; /* pages queued per host; 0 = no limit */
    int64_t max_pattern;    /* URLs per pattern per host; 0 = no limit */
    unsigned per_host;      /* transfers in flight per host */
    int64_t delay_ms;       /* between request starts to a host; 0 = none */
    unsigned max_in_flight; /* transfers in flight in all */
    unsigned threads;       /* hashing threads; 0 = one per core */
    unsigned hash_flags;    /* VG_IMAGEHASH_FAST ... (dihedral is implied) */
    int allow_private;      /* connect to private addresses (tests) */
    /* NULL, or the private "IP:PORT"s that may be connected to (fetch.h) */
    const char *allow_addrs;
    const char *proxy; /* NULL: none; see vigil/fetch.h */
    int ignore_robots;
    int64_t robots_ttl_ms; /* robots.txt kept this long; 0 = 24 h (most) */
    int continuous;        /* wait for new seeds instead of ending */
    size_t max_page_bytes, max_media_bytes; /* 0 = the fetcher's */
    /* decoded bodies held at once, being fetched or waiting to be hashed
       (vigil/fetch.h); 0 = 256 MiB */
    size_t max_inflight_bytes;
    long total_timeout_ms; /* 0 = the fetcher's */
    /*
     * Review thumbnails: an image that matched no list entry
     * (block or allow), whose bytes the store does not already hold under
     * review (vg_store_review_wanted), gets a JPEG thumbnail
     * (vigil/thumb.h) sealed by seal, committed with its sighting: the
     * media then awaits review.  seal (required with review_thumbs) runs
     * on the hashing threads: it must be thread-safe; *out is the
     * caller's to vg_free.  The crawler never stores a thumbnail unsealed.
     */
    int review_thumbs;
    int (*seal)(void *ctx, const uint8_t *plain, size_t n, uint8_t **out,
                size_t *outn);
    void *seal_ctx;
    /*
     * A crawl worker (docs/FLEET-CRAWL.md): NULL for the crawl's one
     * process, else a name no other worker of the crawl has.  A worker
     * shares the crawl with others: its leases last lease_s seconds (0:
     * 30), renewed while it works them, and expired ones of others are
     * taken; per_host and delay_ms hold across the workers (the store's
     * host rows), robots.txt answers are shared; it ends when the crawl
     * has nothing queued and nothing leased.
     */
    const char *worker;
    unsigned lease_s;
};

/* Defaults suitable for the public web (see vigil crawl --help). */
void vg_crawl_opts_default(struct vg_crawl_opts *o);

struct vg_crawl_stats {
    int64_t pages, pages_failed;     /* fetched (any answer), not fetched */
    int64_t media, media_failed;     /* image URLs fetched, not fetched */
    int64_t media_hashed, media_dup; /* hashed, skipped as seen bytes */
    int64_t not_media;               /* media URLs whose bytes were not */
    int64_t detections;              /* sightings with a list match */
    int64_t thumbnails;              /* review thumbnails made */
    int64_t urls_added;              /* new URLs queued */
    int64_t robots_denied, trapped;  /* skipped: robots.txt, trap caps */
    int64_t bytes;                   /* bodies received (decoded) */
    int64_t queued;                  /* left in the frontier at the end */
    int64_t lost; /* a worker's: fetched under a lease that had expired
                     (not recorded: another worker fetches it again) */
    double seconds;
    int finished; /* the frontier ran out */
};

/*
 * Add seeds (canonicalised; priority 0 = reported, first) at depth 0.
 * VG_EINVAL names a URL that is not an absolute http(s) URL.
 */
int vg_crawl_seed(struct vg_store *st, int64_t crawl_id, const char *url,
                  int priority, struct vg_err *err);

/*
 * Run crawl_id of st; m (may be NULL: hash only) matches the images.
 * Stops early when *stop becomes non-zero (leased URLs stay resumable).
 * progress (may be NULL) is called about once a second.  The crawl's
 * status becomes "finished" when its frontier ran out, else "stopped".
 */
int vg_crawl_run(struct vg_store *st, struct vg_matcher *m, int64_t crawl_id,
                 const struct vg_crawl_opts *o,
                 const volatile sig_atomic_t *stop,
                 void (*progress)(void *ctx, const struct vg_crawl_stats *s),
                 void *progress_ctx, struct vg_crawl_stats *stats,
                 struct vg_err *err);

/*
 * The near-identical pattern of a canonical URL's path and query: digit
 * runs become '#', long or hex-like segments '*', query values '*'.
 * Writes at most n bytes (NUL included).
 */
void vg_crawl_url_pattern(const char *url, char *out, size_t n);

#endif
