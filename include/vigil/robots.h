/* SPDX-License-Identifier: Apache-2.0 */
/*
 * robots.txt (RFC 9309) for the crawler (module `crawl`): parse a file for
 * one product token and answer whether a path may be fetched.
 *
 * Rules: the groups whose user-agent lines match the product token
 * (case-insensitive; the token is the name before any '/' or space, e.g.
 * "vigil") are merged; if none matches, the '*' groups are merged; if
 * neither exists everything is allowed.  The longest matching rule wins
 * (length in octets of the pattern as written, after percent-encoding
 * normalisation); on a tie between allow and disallow, allow wins; '*'
 * matches any sequence and '$' at the end anchors; "/robots.txt" is always
 * allowed.  Crawl-delay (not in RFC 9309, widely used) is read from the
 * same groups.  Only the first 512 KiB of a file are parsed (the RFC asks
 * for at least 500 KiB); lines are capped; invalid lines are skipped.
 *
 * What an HTTP outcome means (RFC 9309 section 2.3.1):
 * vg_robots_from_fetch takes the status of the (redirect-followed) fetch:
 * 2xx parses the body, 4xx allows everything, 5xx and 0 (network error,
 * timeout, DNS failure) disallow everything.  Caching (up to 24 h) is the
 * caller's.
 * Thread safety: a parsed struct vg_robots is read-only, shareable.
 */
#ifndef VIGIL_ROBOTS_H
#define VIGIL_ROBOTS_H

#include <stddef.h>

#include "vigil/error.h"

#define VG_ROBOTS_MAX_BYTES (512 * 1024)

struct vg_robots;

/*
 * Parse body (len bytes, any content; NULs and invalid UTF-8 are tolerated)
 * for the product token.  VG_OK or VG_ENOMEM, VG_EINVAL (empty token).
 */
int vg_robots_parse(const char *body, size_t len, const char *product,
                    struct vg_robots **out);

/* From a fetch outcome, as above (body may be NULL unless 2xx). */
int vg_robots_from_fetch(int http_status, const char *body, size_t len,
                         const char *product, struct vg_robots **out);

/*
 * 1 if the URL path (with its query, starting with '/'; percent-encoding as
 * received) may be fetched, 0 if not.
 */
int vg_robots_allowed(const struct vg_robots *r, const char *path_query);

/* Crawl-delay in seconds for our groups, or a negative value if none. */
double vg_robots_crawl_delay(const struct vg_robots *r);

void vg_robots_free(struct vg_robots *r);

#endif
