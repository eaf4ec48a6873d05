/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding a URL's provider (vigil/provider.h): domain, then network, then
 * RDAP (origin AS, then the answer's abuse contacts).  The host comes from
 * the URL's canonical form (vigil/url.h: lowercase, IDN in punycode); the
 * addresses from the caller (the address the crawler connected to is the
 * evidence) or the resolver, at most VG_RESOLVE_MAX of them, every one
 * tried for a network match, the first asked of RDAP.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/provider.h"
#include "vigil/store_providers.h"
#include "vigil/url.h"
#include "vigil/utc.h"

const char *vg_provider_method_name(enum vg_provider_method m)
{
    static const char *const names[] = {"none", "domain", "network", "asn",
                                        "rdap"};

    return (unsigned)m < sizeof(names) / sizeof(*names) ? names[m] : "none";
}

int vg_resolve_system(void *ctx, const char *host,
                      char (*ips)[VG_IPNET_STRLEN], size_t max, size_t *n,
                      struct vg_err *err)
{
    struct addrinfo hints, *res = NULL;
    int g;

    (void)ctx;
    *n = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((g = getaddrinfo(host, NULL, &hints, &res)))
        return vg_err_set(err, g == EAI_NONAME ? VG_ENOENT : VG_EIO,
                          "cannot resolve %s: %s", host, gai_strerror(g));
    for (struct addrinfo *a = res; a && *n < max; a = a->ai_next) {
        char text[VG_IPNET_STRLEN];
        struct vg_ipnet ip;
        int dup = 0;
        if (getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof(text), NULL, 0,
                        NI_NUMERICHOST) ||
            vg_ipnet_parse(text, VG_IPNET_ADDRESS, &ip))
            continue; /* a zone index ("fe80::1%eth0"): not for us */
        vg_ipnet_unmap(&ip);
        vg_ipnet_format(&ip, 1, text, sizeof(text));
        for (size_t i = 0; i < *n && !dup; i++)
            dup = !strcmp(ips[i], text);
        if (!dup)
            memcpy(ips[(*n)++], text, sizeof(text));
    }
    freeaddrinfo(res);
    if (!*n)
        return vg_err_set(err, VG_ENOENT, "cannot resolve %s: no address",
                          host);
    return VG_OK;
}

void vg_provider_match_free(struct vg_provider_match *m)
{
    if (!m)
        return;
    vg_provider_free(m->provider);
    vg_rdap_result_free(m->rdap);
    vg_free(m);
}

static void use_provider(struct vg_provider_match *m,
                         enum vg_provider_method how, struct vg_provider *p)
{
    m->method = how;
    m->provider = p;
    m->emails = p->emails;
    m->nemails = p->nemails;
    if (!p->nemails)
        snprintf(m->reason, sizeof(m->reason),
                 "provider %.200s has no abuse e-mail", p->name);
}

/* The network an RDAP answer names, for messages. */
static void rdap_network(const struct vg_rdap_result *r, char *buf, size_t n)
{
    if (r->ncidrs)
        snprintf(buf, n, "%s%s", r->cidrs[0], r->ncidrs > 1 ? " ..." : "");
    else if (r->start && r->end)
        snprintf(buf, n, "%s - %s", r->start, r->end);
    else
        snprintf(buf, n, "%s", r->handle ? r->handle : "");
}

/* Add what is not there yet of v to the list (*list, *n). */
static int merge(char ***list, size_t *n, char *const *v, size_t nv,
                 size_t max)
{
    for (size_t i = 0; i < nv && *n < max; i++) {
        int dup = 0;
        char **g, *c;
        for (size_t k = 0; k < *n && !dup; k++)
            dup = !strcmp((*list)[k], v[i]);
        if (dup)
            continue;
        if (!(g = vg_reallocarray(*list, *n + 1, sizeof(*g))) ||
            !(c = vg_strdup(v[i]))) {
            if (g)
                *list = g;
            return VG_ENOMEM;
        }
        *list = g;
        (*list)[(*n)++] = c;
    }
    return VG_OK;
}

/*
 * Keep an RDAP contact as a suggested provider named after the holder,
 * "<org> (RDAP)": a new one, or the earlier suggestion of that name with
 * this network and these e-mails added.  A confirmed provider of that
 * name is left alone (nothing saved).  Failures are not the lookup's:
 * the suggestion is then only returned.
 */
static void save_suggestion(struct vg_store *st, struct vg_provider_match *m)
{
    const struct vg_rdap_result *r = m->rdap;
    const char *holder = r->org ? r->org : r->name ? r->name : r->handle;
    struct vg_provider *old = NULL, *p = NULL;
    char name[VG_PROVIDER_NAME_MAX + 1], notes[512], day[16];
    int64_t id = 0;
    size_t k;

    if (!holder || !r->ncidrs)
        return;
    /* the holder's name may be long: cut it at a character boundary */
    while (*holder == ' ')
        holder++;
    snprintf(name, sizeof(name) - 7, "%s", holder);
    for (size_t i = 0, len = strlen(name); i < len; i += k)
        if (!(k = vg_utf8_len((const unsigned char *)name + i, len - i))) {
            name[i] = '\0';
            break;
        }
    k = strlen(name);
    while (k && name[k - 1] == ' ')
        k--;
    if (!k)
        return;
    snprintf(name + k, sizeof(name) - k, " (RDAP)");
    if (vg_utc_format(r->fetched_at, "%Y-%m-%d", day, sizeof(day)))
        snprintf(day, sizeof(day), "?");
    snprintf(notes, sizeof(notes),
             "Suggested by RDAP (%.200s, network %.100s) on %s: check and "
             "confirm.",
             r->server ? r->server : "?", r->handle ? r->handle : "?", day);
    if (vg_store_provider_by_name(st, name, &old, NULL) == VG_OK) {
        if (old->confirmed) {
            vg_provider_free(old);
            return;
        }
        p = old;
        id = old->id;
    } else if (!(p = vg_calloc(1, sizeof(*p))) ||
               !(p->name = vg_strdup(name))) {
        vg_provider_free(p);
        return;
    }
    vg_free(p->notes);
    p->notes = vg_strdup(notes);
    snprintf(p->language, sizeof(p->language), "%s",
             p->language[0] ? p->language : "en");
    p->source = VG_PROVIDER_RDAP;
    p->confirmed = 0;
    if (!p->notes ||
        merge(&p->emails, &p->nemails, r->emails, r->nemails,
              VG_PROVIDER_EMAILS_MAX) ||
        merge(&p->networks, &p->nnetworks, r->cidrs, r->ncidrs,
              VG_PROVIDER_ITEMS_MAX) ||
        (id ? vg_store_provider_update(st, 0, id, p, NULL)
            : vg_store_provider_add(st, 0, p, &id, NULL))) {
        vg_provider_free(p);
        return;
    }
    vg_provider_free(p);
    if (vg_store_provider_get(st, id, &m->provider, NULL))
        m->provider = NULL;
}

/* Steps 3 and 4 for address ip. */
static int by_rdap(struct vg_store *st,
                   const struct vg_provider_lookup_opts *o, const char *ip,
                   int64_t now, struct vg_provider_match *m,
                   struct vg_err *err)
{
    struct vg_rdap_result *r = NULL;
    struct vg_provider *p = NULL;
    char net[VG_DOMAIN_MAX + 1];
    int rc;

    if ((rc = vg_rdap_lookup(st, o->rdap, ip, now, &r, err)))
        return rc;
    m->rdap = r;
    snprintf(m->ip, sizeof(m->ip), "%s", ip);
    rdap_network(r, net, sizeof(net));
    for (size_t i = 0; i < r->nasns; i++) {
        if ((rc = vg_store_provider_by_asn(st, r->asns[i], &p, NULL)) ==
            VG_OK) {
            snprintf(m->matched, sizeof(m->matched), "AS%lu",
                     (unsigned long)r->asns[i]);
            use_provider(m, VG_FOUND_ASN, p);
            return VG_OK;
        }
        if (rc != VG_ENOENT)
            return vg_err_set(err, rc, "provider by AS: %s", vg_strerror(rc));
    }
    snprintf(m->matched, sizeof(m->matched), "%s", net);
    if (r->status != VG_RDAP_OK) {
        m->method = VG_FOUND_NONE;
        snprintf(m->reason, sizeof(m->reason), "RDAP for %s: %s%s%s%s", ip,
                 r->error ? r->error : vg_rdap_status_name(r->status),
                 *net ? " (network " : "", net, *net ? ")" : "");
        return VG_OK;
    }
    m->method = VG_FOUND_RDAP;
    m->emails = r->emails;
    m->nemails = r->nemails;
    if (o->save_suggestion)
        save_suggestion(st, m);
    return VG_OK;
}

static int lookup(struct vg_store *st, const char *url, const char *ip,
                  const struct vg_provider_lookup_opts *o,
                  struct vg_provider_match *m, struct vg_err *err)
{
    char ips[VG_RESOLVE_MAX][VG_IPNET_STRLEN], why[sizeof(m->reason)] = "";
    vg_resolve_fn resolve = o->resolve ? o->resolve : vg_resolve_system;
    struct vg_provider *p = NULL;
    struct vg_ipnet a;
    char *canon = NULL;
    size_t nips = 0;
    int rc, literal;

    if ((rc = vg_url_canonical(url, &canon, err)))
        return rc;
    rc = vg_url_host(canon, m->host, sizeof(m->host));
    vg_free(canon);
    if (rc)
        return vg_err_set(err, VG_EINVAL, "no host in %.200s", url);
    literal = vg_ipnet_parse(m->host, VG_IPNET_ADDRESS, &a) == VG_OK;
    /* 1. domain */
    if (!literal) {
        rc = vg_store_provider_by_domain(st, m->host, &p, m->matched,
                                         sizeof(m->matched), err);
        if (!rc) {
            use_provider(m, VG_FOUND_DOMAIN, p);
            return VG_OK;
        }
        if (rc != VG_ENOENT)
            return rc;
    }
    /* the addresses */
    if (ip && *ip) {
        if (vg_ipnet_parse(ip, VG_IPNET_ADDRESS, &a))
            return vg_err_set(err, VG_EINVAL, "%.64s is not an IP address",
                              ip);
    }
    if ((ip && *ip) || literal) {
        vg_ipnet_unmap(&a);
        vg_ipnet_format(&a, 1, ips[0], sizeof(ips[0]));
        nips = 1;
    } else {
        struct vg_err rerr = {0};
        if (resolve(o->resolve_ctx, m->host, ips, VG_RESOLVE_MAX, &nips,
                    &rerr) ||
            !nips) {
            m->method = VG_FOUND_NONE;
            snprintf(m->reason, sizeof(m->reason),
                     "no provider registered for %.253s, and %.200s", m->host,
                     rerr.msg[0] ? rerr.msg : "it has no address");
            return VG_OK;
        }
        if (nips > VG_RESOLVE_MAX)
            nips = VG_RESOLVE_MAX;
    }
    memcpy(m->ip, ips[0], sizeof(m->ip));
    /* 2. network */
    for (size_t i = 0; i < nips; i++) {
        rc = vg_store_provider_by_ip(st, ips[i], &p, m->matched,
                                     sizeof(m->matched), err);
        if (!rc) {
            memcpy(m->ip, ips[i], sizeof(m->ip));
            use_provider(m, VG_FOUND_NETWORK, p);
            return VG_OK;
        }
        if (rc == VG_EINVAL) /* a resolver's odd answer: next */
            continue;
        if (rc != VG_ENOENT)
            return rc;
    }
    m->matched[0] = '\0';
    /* 3 and 4. RDAP */
    if (o->rdap)
        return by_rdap(st, o, ips[0], o->now ? o->now : (int64_t)time(NULL), m,
                       err);
    snprintf(why, sizeof(why),
             "no provider registered for %s or %s, and RDAP is off", m->host,
             ips[0]);
    m->method = VG_FOUND_NONE;
    memcpy(m->reason, why, sizeof(m->reason));
    return VG_OK;
}

int vg_provider_lookup(struct vg_store *st, const char *url, const char *ip,
                       const struct vg_provider_lookup_opts *o,
                       struct vg_provider_match **out, struct vg_err *err)
{
    static const struct vg_provider_lookup_opts none = {0};
    struct vg_provider_match *m;
    int rc;

    *out = NULL;
    if (!url)
        return vg_err_set(err, VG_EINVAL, "no URL");
    if (!(m = vg_calloc(1, sizeof(*m))))
        return VG_ENOMEM;
    if ((rc = lookup(st, url, ip, o ? o : &none, m, err))) {
        vg_provider_match_free(m);
        return rc;
    }
    *out = m;
    return VG_OK;
}

/* ---- for the notice engine ---- */

struct vg_provider_lookup {
    struct vg_store *st;
    struct vg_rdap_bootstrap *bootstrap;
    struct vg_rdap_opts rdap;
    struct vg_provider_lookup_opts opts;
    unsigned flags;
};

void vg_provider_lookup_free(struct vg_provider_lookup *l)
{
    if (!l)
        return;
    vg_rdap_bootstrap_free(l->bootstrap);
    vg_free(l);
}

int vg_provider_lookup_new(struct vg_store *st,
                           struct vg_rdap_bootstrap *bootstrap,
                           const struct vg_rdap_opts *rdap, unsigned flags,
                           struct vg_provider_lookup **out)
{
    struct vg_provider_lookup *l = vg_calloc(1, sizeof(*l));

    *out = NULL;
    if (!l) {
        vg_rdap_bootstrap_free(bootstrap);
        return VG_ENOMEM;
    }
    l->st = st;
    l->flags = flags;
    l->opts.save_suggestion = 1;
    if (rdap)
        l->rdap = *rdap;
    if (bootstrap) {
        l->bootstrap = bootstrap;
        l->rdap.bootstrap = bootstrap;
        l->opts.rdap = &l->rdap;
    }
    *out = l;
    return VG_OK;
}

int vg_provider_lookup_id(void *ctx, const char *url, const char *server_ip,
                          int64_t *provider_id, struct vg_err *err)
{
    struct vg_provider_lookup *l = ctx;
    struct vg_provider_match *m = NULL;
    int rc = vg_provider_lookup(l->st, url, server_ip, &l->opts, &m, err);

    *provider_id = 0;
    if (rc == VG_EINVAL && server_ip) /* a bad address: DNS then */
        rc = vg_provider_lookup(l->st, url, NULL, &l->opts, &m, err);
    if (rc == VG_EINVAL || rc == VG_EFORMAT || rc == VG_ETOOBIG)
        return VG_OK; /* not a URL anyone hosts: the case waits */
    if (rc)
        return rc;
    if (m->provider && m->provider->nemails &&
        (m->provider->confirmed ||
         !(l->flags & VG_PROVIDER_LOOKUP_CONFIRMED_ONLY)))
        *provider_id = m->provider->id;
    vg_provider_match_free(m);
    return VG_OK;
}
