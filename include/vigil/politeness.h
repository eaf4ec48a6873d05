/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-host politeness for the crawler (module `crawl`): how many transfers
 * a host may have in flight, and the minimum time between the starts of
 * two requests to it, enforced per host across all connections (not per
 * connection or thread: wget2 1.99 applies its delay per thread and so hits
 * a host N times faster than asked).  A host's delay is the larger of the
 * configured one and its robots.txt Crawl-delay; a 429 or 503 answer backs
 * the host off for its Retry-After (seconds or an HTTP date) or, without
 * one, for twice its last back-off (from 30 s, at most 1 h); a success
 * clears the back-off.  Time is the caller's (milliseconds), so tests and
 * schedulers can simulate it.
 * Thread safety: one thread uses a table.
 */
#ifndef VIGIL_POLITENESS_H
#define VIGIL_POLITENESS_H

#include <stdint.h>

#include "vigil/error.h"

struct vg_polite_opts {
    unsigned max_per_host; /* in flight per host; 0 = 2 */
    int64_t delay_ms; /* between starts to one host; 0 = 1000 (-1: none) */
};

struct vg_polite;

int vg_polite_new(const struct vg_polite_opts *o, struct vg_polite **out);
void vg_polite_free(struct vg_polite *p);

/*
 * When may a request to host start?  Returns 0 if now, else the number of
 * milliseconds to wait (at least 1), or a negative VG_E* code.
 */
int64_t vg_polite_wait(struct vg_polite *p, const char *host, int64_t now_ms);
/* A request to host starts now (after vg_polite_wait said 0). */
int vg_polite_start(struct vg_polite *p, const char *host, int64_t now_ms);
/*
 * It ended with this HTTP status (0 without an answer); retry_after is the
 * Retry-After header or NULL.
 */
int vg_polite_end(struct vg_polite *p, const char *host, int64_t now_ms,
                  long status, const char *retry_after);
/* The host's robots.txt Crawl-delay in seconds (negative: none). */
int vg_polite_crawl_delay(struct vg_polite *p, const char *host,
                          double seconds);

#endif
