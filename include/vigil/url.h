/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URLs for the crawler (module `crawl`): resolving a link found in a page
 * against its document's URL (RFC 3986 section 5, with the WHATWG
 * leniencies browsers apply to what authors write) and canonicalising the
 * result, so one resource is one string and is fetched once.
 *
 * Canonical form: scheme http or https (others are refused), lowercase;
 * host lowercase, internationalised names in punycode (IDNA 2008 via
 * libidn2), IPv4 numbers normalised (127.1 -> 127.0.0.1); the port only if
 * not the scheme's default; userinfo dropped; path with dot segments
 * removed and never empty; percent-encoding normalised in path and query
 * (escapes of unreserved characters decoded, other escapes in uppercase
 * hex, spaces, controls, non-ASCII and characters URLs may not hold
 * escaped); an empty query and the fragment dropped.  At most VG_URL_MAX
 * bytes.  Thread safety: all functions are reentrant.
 */
#ifndef VIGIL_URL_H
#define VIGIL_URL_H

#include <stddef.h>

#include "vigil/error.h"

#define VG_URL_MAX 2048

/* An RFC 3986 unreserved character (ALPHA DIGIT - . _ ~)? */
int vg_url_unreserved(int c);

/*
 * Resolve ref (len bytes as found in a page: surrounding whitespace and
 * embedded tabs and newlines are ignored, '\' counts as '/') against base
 * (an absolute URL; NULL when ref must be absolute) and canonicalise.
 * An empty ref or a fragment-only ref gives the base itself.  *out is the
 * caller's to vg_free.  Returns VG_OK; VG_EFORMAT for a scheme other than
 * http or https (mailto:, javascript:, data:, ftp: ...); VG_EINVAL for a
 * malformed URL or host; VG_ETOOBIG over VG_URL_MAX; VG_ENOMEM.
 */
int vg_url_resolve(const char *base, const char *ref, size_t len, char **out,
                   struct vg_err *err);

/* Canonicalise an absolute URL (vg_url_resolve without a base). */
int vg_url_canonical(const char *url, char **out, struct vg_err *err);

/*
 * The host of a canonical URL (without brackets for IPv6) into buf (n
 * bytes).  VG_OK, VG_EINVAL (no host), VG_ETOOBIG (buf too small).
 */
int vg_url_host(const char *url, char *buf, size_t n);

#endif
