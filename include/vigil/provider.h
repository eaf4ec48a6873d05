/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who hosts it (module `notice`): the provider a removal notice for a URL
 * goes to, and the registry's exchange format.
 *
 * A URL's provider is looked for in this order, and the first found wins:
 *  1. domain:  a provider registered for the host or a parent domain (the
 *              longest registered suffix: a site host's own customers
 *              before the host itself);
 *  2. network: a provider whose CIDR holds the server's address (the one
 *              the crawler connected to when the caller has it, else the
 *              host's addresses from DNS), the most specific CIDR first;
 *  3. asn:     RDAP named the network's origin AS and a provider is
 *              registered for that AS;
 *  4. rdap:    the abuse contacts of the RDAP answer for the address, a
 *              suggestion; it can be saved as an unconfirmed provider
 *              (source rdap) for an admin to confirm, and is then found
 *              by network next time;
 *  5. none:    with the reason (no address, no RDAP service, no abuse
 *              contact in the answer, ...).
 * Notices name exact URLs; a provider is only where they are sent.
 *
 * Thread safety: reentrant; the store serialises its own calls.
 */
#ifndef VIGIL_PROVIDER_H
#define VIGIL_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/ipnet.h"
#include "vigil/rdap.h"
#include "vigil/store.h"
#include "vigil/store_providers.h"

/* ---- finding the provider of a URL ---- */

enum vg_provider_method {
    VG_FOUND_NONE = 0,
    VG_FOUND_DOMAIN,
    VG_FOUND_NETWORK,
    VG_FOUND_ASN,
    VG_FOUND_RDAP
};

/* "none", "domain", "network", "asn", "rdap". */
const char *vg_provider_method_name(enum vg_provider_method m);

#define VG_RESOLVE_MAX 8 /* addresses of a host looked at */

/*
 * A resolver: host's addresses as text into ips (at most max), *n how
 * many.  VG_OK (n >= 1), VG_ENOENT (no such host, no address) or another
 * code, with err saying why.
 */
typedef int (*vg_resolve_fn)(void *ctx, const char *host,
                             char (*ips)[VG_IPNET_STRLEN], size_t max,
                             size_t *n, struct vg_err *err);

/* The system's resolver (getaddrinfo, IPv4 and IPv6); ctx unused. */
int vg_resolve_system(void *ctx, const char *host,
                      char (*ips)[VG_IPNET_STRLEN], size_t max, size_t *n,
                      struct vg_err *err);

struct vg_provider_lookup_opts {
    const struct vg_rdap_opts *rdap; /* NULL: no RDAP (steps 3 and 4) */
    vg_resolve_fn resolve;           /* NULL: vg_resolve_system */
    void *resolve_ctx;
    int save_suggestion; /* keep an RDAP contact as a suggested
                                        provider (audited as actor 0) */
    int64_t now;         /* 0: the clock (RDAP cache) */
};

/* What was found, all of it the caller's (vg_provider_match_free). */
struct vg_provider_match {
    enum vg_provider_method method;
    char host[VG_DOMAIN_MAX + 1];    /* the URL's host */
    char ip[VG_IPNET_STRLEN];        /* the address used; "" if none */
    char matched[VG_DOMAIN_MAX + 1]; /* the domain, CIDR or "AS64500" that
                                       matched; for rdap the network (its
                                       CIDRs or range); "" if none */
    /* the registered provider (domain, network, asn; with rdap the saved
       suggestion, if saved); NULL otherwise */
    struct vg_provider *provider;
    /* the RDAP answer, when RDAP was asked (also with none) */
    struct vg_rdap_result *rdap;
    /* where a notice goes: the provider's abuse e-mails, or the RDAP
       answer's (borrowed from those); none if nemails is 0 */
    char *const *emails;
    size_t nemails;
    char reason[512]; /* with none, or no e-mail: why */
};

void vg_provider_match_free(struct vg_provider_match *m);

/*
 * Find the provider of url (an absolute http(s) URL).  ip: the address
 * the content was fetched from (a sighting's server_ip), or NULL to
 * resolve the host.  o may be NULL (no RDAP, system resolver).  VG_OK
 * with *out (method none included: not an error); VG_EINVAL for a bad
 * url or ip; store errors; VG_ENOMEM.
 */
int vg_provider_lookup(struct vg_store *st, const char *url, const char *ip,
                       const struct vg_provider_lookup_opts *o,
                       struct vg_provider_match **out, struct vg_err *err);

/* ---- for the notice engine (vigil/notice.h: vg_notice_opts.lookup) ---- */

struct vg_provider_lookup;

enum {
    /* a suggested (unconfirmed) provider is not used: the case waits for
       an admin to confirm it (suggestions are still saved) */
    VG_PROVIDER_LOOKUP_CONFIRMED_ONLY = 1 << 0
};

/*
 * A lookup bound to st, with RDAP through bootstrap (taken: freed with
 * the lookup, also on failure; NULL: no RDAP; see vg_rdap_bootstrap_open)
 * and rdap's options (NULL: the defaults; its bootstrap is ignored).
 * RDAP contacts are saved as suggested providers, so that cases can name
 * them.  VG_OK or VG_ENOMEM.
 */
int vg_provider_lookup_new(struct vg_store *st,
                           struct vg_rdap_bootstrap *bootstrap,
                           const struct vg_rdap_opts *rdap, unsigned flags,
                           struct vg_provider_lookup **out);
void vg_provider_lookup_free(struct vg_provider_lookup *l);

/*
 * vg_notice_opts.lookup: ctx is a struct vg_provider_lookup.  *provider_id
 * is the provider found with an abuse e-mail to write to, or 0 (nobody:
 * the case waits; an unusable URL too).  Fails only for the store's
 * errors and VG_ENOMEM.
 */
int vg_provider_lookup_id(void *ctx, const char *url, const char *server_ip,
                          int64_t *provider_id, struct vg_err *err);

/* ---- the registry as CSV ---- */

/*
 * The exchange format of `vigil providers import|export` (RFC 4180 CSV,
 * UTF-8, a header row, then one provider per record):
 *   name                the provider (unique; updates the one of that
 *                       name on import)
 *   abuse_emails        ';' between addresses
 *   language            en or fr (empty: en)
 *   domains             ' ' between; a domain covers its subdomains
 *                       ("*.example.com" is example.com); IDN allowed
 *   networks            ' ' between: CIDRs, addresses, AS numbers (AS64500)
 *   one_notice_per_url  0 or 1 (empty: 0)
 *   notes               free text (line breaks in a quoted field)
 * Columns may come in any order; only name is required.  Commas and
 * semicolons are taken as separators in the list columns too.
 */
#define VG_PROVIDER_CSV_HEADER                                                \
    "name,abuse_emails,language,domains,networks,one_notice_per_url,notes"
#define VG_PROVIDER_CSV_RECORD_MAX (256u << 10) /* bytes of one record */

/*
 * Parse a providers CSV from memory.  cb gets each good record with its
 * first line's number, as a provider it owns (vg_provider_free it);
 * errcb each bad record's line and a message ("abuse e-mail 'x' is not an
 * address").  A callback's non-VG_OK return stops the parse with it.
 * A bad header is an error on line 1 and ends the parse.  Returns VG_OK
 * (whatever errcb was told), VG_ENOMEM, or the callbacks' code.
 */
int vg_provider_csv_parse(
    const char *data, size_t len,
    int (*cb)(void *ctx, unsigned long line, struct vg_provider *p),
    int (*errcb)(void *ctx, unsigned long line, const char *msg), void *ctx);

/*
 * The names, domains and networks that v[0..n) give more than once (an
 * import must give each once): cb(ctx, later, first, what, key) for each
 * repeat, with the indexes of the provider that repeats it and of the
 * first that gave it, what is "provider", "domain" or "network" and key
 * the name, domain or network.  Repeats come grouped by what and key.
 * VG_OK, VG_ENOMEM, or cb's non-VG_OK code (which stops the walk).
 */
int vg_provider_find_twice(const struct vg_provider *v, size_t n,
                           int (*cb)(void *ctx, size_t later, size_t first,
                                     const char *what, const char *key),
                           void *ctx);

/* The header line, and one provider as a record, each ending in "\n";
 * fields are quoted when they need it.  VG_OK or VG_ENOMEM/VG_ETOOBIG. */
int vg_provider_csv_header(struct vg_buf *out);
int vg_provider_csv_row(struct vg_buf *out, const struct vg_provider *p);

/*
 * A domain as people write it, as the registry keeps it: lowercase, IDN
 * in punycode, final dot and a leading "*." dropped.  VG_OK, or VG_EINVAL
 * (err says why: not a domain, an IP address).  out: n >= 254 bytes.
 */
int vg_provider_domain_normalise(const char *in, char *out, size_t n,
                                 struct vg_err *err);

#endif
