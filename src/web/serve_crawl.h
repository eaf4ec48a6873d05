/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the web module: `vigil serve`'s crawler.  One
 * thread runs the standing crawl of reported URLs (vg_store_reports_crawl)
 * in the crawler's continuous mode, so a URL a report brings is fetched
 * while the server runs (the crawler looks for new seeds about once a
 * second when idle), with review thumbnails on: images that match no list
 * wait for analysts with a thumbnail sealed by the server's sealer.
 *
 * Polite by default (vg_crawl_opts_default: robots.txt obeyed, 1 s between
 * requests to a host, 2 at once, pages on the reported site only, depth
 * 5), one hashing thread.  A crawl error (a busy database, say) is logged
 * and the crawl started again after retry_ms.  Stopping is clean: what was
 * fetched is committed, what was leased goes back to the queue, the crawl
 * is "stopped" and the next start resumes it.  The matcher is loaded at
 * start; vg__serve_crawl_reload loads it again (after analysts verified
 * media, or a list import), so the crawl matches the new entries.
 *
 * Thread safety: start, stop, reload and status from any one thread at a
 * time; the store and the sealer must outlive the crawler.
 */
#ifndef VIGIL_WEB_SERVE_CRAWL_H
#define VIGIL_WEB_SERVE_CRAWL_H

#include <stdint.h>

#include "vigil/crawler.h"
#include "vigil/error.h"
#include "vigil/seal.h"
#include "vigil/store.h"
#include "vigil/store_reports.h"

struct vg_serve_crawl_opts {
    /* the crawler's options; review_thumbs, seal and seal_ctx are set by
       vg__serve_crawl_start, continuous too; allow_private for tests */
    struct vg_crawl_opts crawl;
    int min_quality;   /* PDQ queries below it are not looked up (50) */
    int64_t retry_ms;  /* after a crawl error, wait this long (5000) */
    /* errors and reloads, one line each without newline (may be NULL);
       called from the crawler's thread */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};

/* The defaults above. */
void vg__serve_crawl_opts_default(struct vg_serve_crawl_opts *o);

struct vg__serve_crawl;

/*
 * Load the matcher, find (or create) the standing crawl and start its
 * thread.  o may be NULL (defaults).  Errors: the matcher's or the
 * store's, VG_EINVAL without a sealer, VG_ENOMEM.
 */
int vg__serve_crawl_start(struct vg_store *st, struct vg_sealer *sealer,
                          const struct vg_serve_crawl_opts *o,
                          struct vg__serve_crawl **out, struct vg_err *err);

/* Stop the thread (within about a second), commit, free.  NULL: no-op. */
void vg__serve_crawl_stop(struct vg__serve_crawl *c);

/* Load the lists again (the crawl restarts from where it is). */
void vg__serve_crawl_reload(struct vg__serve_crawl *c);

struct vg__serve_crawl_status {
    int64_t crawl_id;
    int runs;                    /* crawl runs started (restarts + 1) */
    struct vg_crawl_stats stats; /* of the current run, about each second */
    int last_rc;                 /* the last run's error, VG_OK if none */
    char last_error[512];
};

void vg__serve_crawl_status(struct vg__serve_crawl *c,
                            struct vg__serve_crawl_status *out);

#endif
