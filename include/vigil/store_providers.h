/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): hosting providers, their abuse contacts, and
 * the RDAP cache. Strings handed to callbacks are borrowed for the duration
 * of the call.
 */
#ifndef VIGIL_STORE_PROVIDERS_H
#define VIGIL_STORE_PROVIDERS_H

#include <stdint.h>

#include "vigil/store.h"

/* ---- hosting providers and their abuse contacts ---- */

/*
 * The registry notices are addressed from.  A provider is found for a URL
 * by its domains (a domain covers its subdomains; of the registered
 * suffixes of a host the longest wins), by its networks (the most specific
 * CIDR holding the server's address) or by its AS numbers (the origin AS
 * an RDAP answer names).  Each domain, CIDR and AS number belongs to one
 * provider.  A provider an RDAP answer suggested (source rdap) stays
 * unconfirmed until an admin confirms it or an import names it.  Every
 * change is audited ("provider.add", "provider.update", "provider.delete",
 * "provider.confirm") in its transaction; actor as for accounts.
 */

enum vg_provider_source { VG_PROVIDER_MANUAL = 0, VG_PROVIDER_RDAP };

#define VG_PROVIDER_NAME_MAX 200   /* bytes */
#define VG_PROVIDER_NOTES_MAX 4000 /* bytes */
#define VG_PROVIDER_EMAILS_MAX 16
#define VG_PROVIDER_ITEMS_MAX 4096 /* domains, and networks, per provider */
#define VG_EMAIL_MAX 254
#define VG_DOMAIN_MAX 253

/* A provider, all of it the caller's (vg_provider_free) when a read gives
 * it; writes only read it. */
struct vg_provider {
    int64_t id;
    char *name;    /* 1..VG_PROVIDER_NAME_MAX bytes of UTF-8, no
                          control characters, no outer spaces; unique */
    char **emails; /* abuse contacts (addr-spec, dot-atom local part;
                          stored ',' between: what a notice's To takes) */
    size_t nemails;
    char language[3]; /* of the notices: "en" or "fr" */
    char **domains;   /* lowercase ASCII (IDN in punycode), no final dot */
    size_t ndomains;
    char **networks; /* CIDRs and AS numbers: "192.0.2.0/24",
                          "2001:db8::/32", "AS64500" (canonical on read) */
    size_t nnetworks;
    int one_notice_per_url; /* no batching: one notice per URL */
    char *notes;            /* NULL or "" if none */
    enum vg_provider_source source;
    int confirmed;
    int64_t created_at, updated_at; /* Unix seconds; set by the store */
};

void vg_provider_free(struct vg_provider *p);

/* An abuse address the registry takes (local@domain, dot-atom local
 * part, at most VG_EMAIL_MAX bytes): 1 or 0. */
int vg_provider_email_valid(const char *s);
/* A registrable domain as stored (lowercase letters, digits, '-', '_',
 * labels of 1..63 joined by '.', at most VG_DOMAIN_MAX): 1 or 0. */
int vg_provider_domain_valid(const char *s);
/*
 * A network as the registry writes it into buf (n >= 64): a CIDR in
 * canonical form (host bits must be zero; a bare address is a /32 or
 * /128) or "AS" and a number 1..4294967295 ("as64500" too).  VG_OK or
 * VG_EINVAL (err says why).
 */
int vg_provider_network_canonical(const char *s, char *buf, size_t n,
                                  struct vg_err *err);
/* Everything a write checks (VG_OK, or VG_EINVAL naming the field). */
int vg_provider_check(const struct vg_provider *p, struct vg_err *err);

/*
 * Add p (id, created_at, updated_at ignored; source and confirmed as
 * given).  VG_EINVAL (a bad field), VG_EEXIST (the name, or a domain,
 * CIDR or AS number another provider has: err names it).
 */
int vg_store_provider_add(struct vg_store *st, int64_t actor,
                          const struct vg_provider *p, int64_t *id,
                          struct vg_err *err);
/* Replace provider id's fields, domains and networks with p's. */
int vg_store_provider_update(struct vg_store *st, int64_t actor, int64_t id,
                             const struct vg_provider *p, struct vg_err *err);
/* VG_ENOENT; VG_EBUSY if cases or notices refer to it. */
int vg_store_provider_delete(struct vg_store *st, int64_t actor, int64_t id,
                             struct vg_err *err);
/* An admin vouches for a suggested provider (VG_ENOENT). */
int vg_store_provider_confirm(struct vg_store *st, int64_t actor, int64_t id,
                              struct vg_err *err);
/*
 * Add or update (by name) n providers in one transaction: all or nothing.
 * A provider that would not change is left alone.  Domains and networks
 * may move between providers of the batch.  res (may be NULL) gets the
 * counts, and on failure bad: the index of the provider refused (n: none
 * in particular), err saying why.
 */
struct vg_providers_put_result {
    size_t added, updated, unchanged;
    size_t bad;
};
int vg_store_providers_put(struct vg_store *st, int64_t actor,
                           const struct vg_provider *v, size_t n,
                           struct vg_providers_put_result *res,
                           struct vg_err *err);

/* One provider by id, or by name; VG_ENOENT if none. */
int vg_store_provider_get(struct vg_store *st, int64_t id,
                          struct vg_provider **out, struct vg_err *err);
int vg_store_provider_by_name(struct vg_store *st, const char *name,
                              struct vg_provider **out, struct vg_err *err);

enum {
    VG_PROVIDERS_CONFIRMED = 1 << 0, /* only confirmed providers */
    VG_PROVIDERS_SUGGESTED = 1 << 1  /* only suggested (unconfirmed) */
};

/* Every provider by name (flags 0: all); read first, so cb may call the
 * store; p is valid during the call. */
int vg_store_providers(struct vg_store *st, unsigned flags,
                       int (*cb)(void *ctx, const struct vg_provider *p),
                       void *ctx, struct vg_err *err);

/*
 * The provider of a host by domain: its longest registered suffix at a
 * label boundary ("a.b.example.co.uk" finds "b.example.co.uk" before
 * "example.co.uk").  host: a DNS name, any case, final dot allowed.  The
 * suffix that matched goes to matched (n bytes; may be NULL).  VG_ENOENT
 * if none.
 */
int vg_store_provider_by_domain(struct vg_store *st, const char *host,
                                struct vg_provider **out, char *matched,
                                size_t n, struct vg_err *err);
/* The provider whose most specific CIDR holds ip (IPv4 or IPv6 text;
 * IPv4-mapped IPv6 as IPv4); the CIDR to matched.  VG_ENOENT, VG_EINVAL. */
int vg_store_provider_by_ip(struct vg_store *st, const char *ip,
                            struct vg_provider **out, char *matched, size_t n,
                            struct vg_err *err);
/* The provider of an AS number; VG_ENOENT if none. */
int vg_store_provider_by_asn(struct vg_store *st, uint32_t asn,
                             struct vg_provider **out, struct vg_err *err);

/*
 * RDAP answers (vigil/rdap.h), cached by the address range they cover: a
 * network's answer for the whole network, a failure or "not found" for
 * the one address asked, each until its expires_at (the answer's
 * Cache-Control max-age, else vigil/rdap.h's defaults).  An answer names
 * the most specific network registered, so a smaller network reassigned
 * inside a cached one is only seen once the entry expires (README,
 * "Hosting providers").
 */
struct vg_rdap_cached {
    const char *first, *last; /* the range (addresses of one family) */
    const char *status;       /* "ok", "no-contact", "not-found", "error" */
    const char *handle, *name, *org, *country; /* NULL if none */
    const char *emails; /* abuse e-mails, ',' between; "" if none */
    const char *cidrs;  /* the network's CIDRs, ' ' between */
    const char *asns;   /* origin AS numbers, ' ' between */
    const char *server; /* the URL that answered; NULL if none */
    const char *error;  /* why not ok; NULL if ok */
    int64_t fetched_at, expires_at; /* Unix seconds */
};

/* Store c, replacing the entry for the same range; expired entries go.
 * VG_EINVAL for a bad range. */
int vg_store_rdap_put(struct vg_store *st, const struct vg_rdap_cached *c,
                      struct vg_err *err);
/* The live (expires_at > now) entry holding ip, the most specific first,
 * to cb (strings valid in cb; cb must not call the store).  VG_ENOENT. */
int vg_store_rdap_get(struct vg_store *st, const char *ip, int64_t now,
                      int (*cb)(void *ctx, const struct vg_rdap_cached *c),
                      void *ctx, struct vg_err *err);

#endif
