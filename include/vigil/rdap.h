/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RDAP, the registries' WHOIS over HTTPS (module `notice`): who holds an
 * IP address and where its abuse reports go.  RFC 7480 (HTTP use), RFC
 * 9082 (queries: <base>ip/<address>), RFC 9083 (JSON answers), RFC 9224
 * (bootstrap: which registry serves which addresses), RFC 7095 (jCard,
 * the contacts' vCards), and two extensions the registries use: cidr0
 * (the network's CIDRs) and ARIN's originas0 (its origin AS numbers).
 *
 * The abuse contacts are the "email" properties of every entity with the
 * role "abuse", at any depth (ARIN nests the abuse contact inside the
 * registrant organisation; RIPE puts it at the top), the shallowest
 * first.  Answers are hostile input: every field may be missing, of the
 * wrong type or absurd; the parser never trusts one, caps what it keeps,
 * and keeps only e-mail addresses that vg_provider_email_valid accepts
 * (no line breaks can reach an e-mail header).
 *
 * Thread safety: a bootstrap is read-only once loaded and may be shared;
 * the functions are reentrant.
 */
#ifndef VIGIL_RDAP_H
#define VIGIL_RDAP_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"
#include "vigil/store.h"
#include "vigil/store_providers.h"

/* ---- the bootstrap: which RDAP service answers for an address ---- */

struct vg_rdap_bootstrap;

int vg_rdap_bootstrap_new(struct vg_rdap_bootstrap **out);
void vg_rdap_bootstrap_free(struct vg_rdap_bootstrap *b);
/*
 * Add the services of an RFC 9224 file (IANA's ipv4.json or ipv6.json:
 * {"version": "1.0", "publication": "2026-11-03T18:00:01Z",
 *  "services": [[["192.0.2.0/24", ...], ["https://rdap.example/"]], ...]};
 * at most 4 MiB) or of the same JSON in memory.  The file is checked
 * whole first: "version" must be "1.0", "publication" (if present) an
 * RFC 3339 date, and every service two arrays, prefixes that are all
 * CIDRs and at least one http(s) URL; a file failing any of that adds
 * nothing.  Per service the first https URL is kept (an http URL only if
 * there is none).  VG_OK; VG_EIO (cannot read), VG_EFORMAT (not such a
 * file: err says why), VG_ETOOBIG, VG_ENOMEM.
 */
int vg_rdap_bootstrap_load(struct vg_rdap_bootstrap *b, const char *path,
                           struct vg_err *err);
int vg_rdap_bootstrap_parse(struct vg_rdap_bootstrap *b, const char *json,
                            size_t len, struct vg_err *err);
/* A file as vg_rdap_bootstrap_load, or a directory's ipv4.json and
 * ipv6.json (IANA's names, both required). */
int vg_rdap_bootstrap_load_path(struct vg_rdap_bootstrap *b, const char *path,
                                struct vg_err *err);

/* A bootstrap file's size cap. */
#define VG_RDAP_BOOTSTRAP_MAX_BYTES (4u << 20)

/* Where operators install IANA's files (vigil providers rdap-bootstrap). */
#define VG_RDAP_BOOTSTRAP_DIR "/var/lib/vigil/rdap"

/*
 * The bootstrap lookups use: paths (files or directories; NULL or empty:
 * VG_RDAP_BOOTSTRAP_DIR if it holds ipv4.json), else, when there is none
 * or one is refused, the fallback files (the hand-written ones shipped in
 * data/, for tests and first runs).  warning (n bytes) says why the
 * fallback is used, "" if it is not.  VG_OK; the fallback's own errors;
 * VG_ENOMEM.
 */
int vg_rdap_bootstrap_open(const char *const *paths,
                           const char *const *fallback,
                           struct vg_rdap_bootstrap **out, char *warning,
                           size_t n, struct vg_err *err);
/* The files loaded with their publication dates, ", " between:
 * "/var/lib/vigil/rdap/ipv4.json (published 2026-11-03T18:00:01Z), ...";
 * "" for JSON parsed from memory. */
const char *vg_rdap_bootstrap_source(const struct vg_rdap_bootstrap *b);
/* 1 when vg_rdap_bootstrap_open fell back to the shipped files. */
int vg_rdap_bootstrap_is_fallback(const struct vg_rdap_bootstrap *b);
/* How many prefixes it maps. */
size_t vg_rdap_bootstrap_count(const struct vg_rdap_bootstrap *b);
/* The base URL (ending in '/') for ip, from the longest prefix holding
 * it; NULL if none.  Borrowed until vg_rdap_bootstrap_free. */
const char *vg_rdap_bootstrap_find(const struct vg_rdap_bootstrap *b,
                                   const char *ip);

/* ---- answers ---- */

enum vg_rdap_status {
    VG_RDAP_OK = 0,     /* a network with abuse e-mails */
    VG_RDAP_NO_CONTACT, /* a network, but no usable abuse e-mail */
    VG_RDAP_NOT_FOUND,  /* 404: the registry holds no such address */
    VG_RDAP_ERROR       /* no service, no answer, or a bad answer */
};

/* "ok", "no-contact", "not-found", "error"; parse: VG_OK or VG_EINVAL. */
const char *vg_rdap_status_name(enum vg_rdap_status s);
int vg_rdap_status_parse(const char *s, enum vg_rdap_status *out);

#define VG_RDAP_TEXT_MAX 255 /* bytes kept of a name, handle, org */
#define VG_RDAP_CIDRS_MAX 32
#define VG_RDAP_ASNS_MAX 32
#define VG_RDAP_ENTITIES_MAX 256         /* entities looked at, all depths */
#define VG_RDAP_DEPTH_MAX 8              /* entity nesting followed */
#define VG_RDAP_TTL_MAX (30 * 24 * 3600) /* a max-age longer is cut */

/* An answer, all of it the caller's (vg_rdap_result_free). */
struct vg_rdap_result {
    enum vg_rdap_status status;
    char *handle, *name, *org, *country; /* NULL if absent */
    char *start, *end; /* the network's first and last address
                            (canonical text); NULL if absent or bad */
    char **cidrs;      /* cidr0_cidrs, else the range as CIDRs */
    size_t ncidrs;
    char **emails; /* abuse contacts, valid, no duplicates */
    size_t nemails;
    uint32_t *asns; /* origin AS numbers (ARIN) */
    size_t nasns;
    char *server;     /* the URL that answered (after redirects) */
    char *error;      /* why, unless status is ok; NULL if ok */
    long http_status; /* 0 without an answer (and from the cache) */
    int64_t max_age;  /* the answer's Cache-Control max-age (seconds;
                         0 for no-store or no-cache), -1 if none */
    int cached;       /* from the store's cache */
    int64_t fetched_at, expires_at; /* Unix seconds */
};

void vg_rdap_result_free(struct vg_rdap_result *r);

/*
 * Parse an answer to an IP query (RFC 9083 5.4, the "ip network" class).
 * VG_OK with *out's status VG_RDAP_OK or VG_RDAP_NO_CONTACT (its error
 * says what was missing: no abuse entity, no vCard, no valid e-mail);
 * VG_EFORMAT when it is not JSON, not an object, an RDAP error object or
 * another class (err says which); VG_ENOMEM.
 */
int vg_rdap_parse(const char *json, size_t len, struct vg_rdap_result **out,
                  struct vg_err *err);

/* ---- asking ---- */

struct vg_rdap_opts {
    const struct vg_rdap_bootstrap *bootstrap; /* required */
    const char *user_agent;  /* NULL: "vigil/VERSION (RDAP client)" */
    long timeout_ms;         /* the whole query; 0 = 15 s */
    long connect_timeout_ms; /* 0 = 5 s */
    size_t max_bytes;        /* answer cap, decompressed; 0 = 1 MiB */
    unsigned max_redirects;  /* 0 = 3 (ARIN sends other RIRs' on) */
    int allow_http_loopback; /* tests: http allowed, connections go
                                  only to 127.0.0.0/8 and ::1, and
                                  addresses that are not public (the
                                  documentation ranges) may be asked */
    /* how long answers are cached (seconds) when the answer has no
       Cache-Control max-age; 0 = the default.  A max-age is honoured
       (0 or no-store: not cached), at most VG_RDAP_TTL_MAX */
    int64_t ttl_ok;         /* 7 days, for the network */
    int64_t ttl_no_contact; /* 1 day, for the network */
    int64_t ttl_not_found;  /* 1 day, for the address */
    int64_t ttl_error;      /* 15 minutes, for the address (a failure's
                               max-age is not used) */
};

/*
 * Ask the RDAP service of ip (an IPv4 or IPv6 address; IPv4-mapped IPv6
 * as IPv4) for its network: GET <base>ip/<address> with Accept:
 * application/rdap+json, https only (also after redirects, at most
 * max_redirects), to public addresses only.  An address that is not
 * public (vigil/netaddr.h) is not asked about: registries answer for
 * private ranges with IANA's reservation.  Every outcome is a result:
 * VG_OK with its status (an unreachable, slow, oversized or broken
 * service is VG_RDAP_ERROR with error saying so); VG_EINVAL if ip is not
 * an address, VG_ENOMEM.  expires_at is set from the ttls.
 */
int vg_rdap_fetch(const struct vg_rdap_opts *o, const char *ip, int64_t now,
                  struct vg_rdap_result **out, struct vg_err *err);

/*
 * The same through the store's cache: a live cached answer covering ip
 * (cached = 1), else vg_rdap_fetch and the answer cached until its
 * expires_at: for its network when the answer is a network holding ip
 * (startAddress..endAddress, else the cidr0 CIDR holding ip), so one query
 * serves every address in it; else for ip alone.  A missing bootstrap
 * service and an answer not to be cached (max-age 0) are not stored.  A
 * failure to write the cache does not fail the lookup.
 */
int vg_rdap_lookup(struct vg_store *st, const struct vg_rdap_opts *o,
                   const char *ip, int64_t now, struct vg_rdap_result **out,
                   struct vg_err *err);

#endif
