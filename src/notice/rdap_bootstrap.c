/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RDAP bootstrap for IP addresses (vigil/rdap.h; RFC 9224 section 5):
 * IANA publishes which registry's RDAP service answers for which
 * prefixes, as {"services": [[[prefixes...], [urls...]], ...]}.  Entries
 * are kept as parsed networks with an index into the base URLs; a lookup
 * scans them for the longest prefix holding the address (a few hundred
 * entries: a scan is cheaper than a trie to get right).  Base URLs are
 * kept with their final '/', added when missing (RFC 9224 requires it,
 * files written by hand forget it).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/ipnet.h"
#include "vigil/rdap.h"

#define BOOTSTRAP_MAX_BYTES (4u << 20)
#define BOOTSTRAP_MAX_ENTRIES 100000
#define URL_MAX 1024

struct entry {
    struct vg_ipnet net;
    size_t url; /* index into urls */
};

struct vg_rdap_bootstrap {
    struct entry *entries;
    size_t n, alloc;
    char **urls;
    size_t nurls, urls_alloc;
};

int vg_rdap_bootstrap_new(struct vg_rdap_bootstrap **out)
{
    *out = vg_calloc(1, sizeof(**out));
    return *out ? VG_OK : VG_ENOMEM;
}

void vg_rdap_bootstrap_free(struct vg_rdap_bootstrap *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nurls; i++)
        vg_free(b->urls[i]);
    vg_free(b->urls);
    vg_free(b->entries);
    vg_free(b);
}

size_t vg_rdap_bootstrap_count(const struct vg_rdap_bootstrap *b)
{
    return b ? b->n : 0;
}

/* The service's base URL: the first https one, else the first http. */
static const char *pick_url(json_t *urls)
{
    const char *http = NULL;
    size_t i;
    json_t *u;

    json_array_foreach (urls, i, u) {
        const char *s = json_string_value(u);
        if (!s || strlen(s) > URL_MAX - 2 || strpbrk(s, " \t\r\n"))
            continue;
        if (!strncasecmp(s, "https://", 8) && s[8])
            return s;
        if (!http && !strncasecmp(s, "http://", 7) && s[7])
            http = s;
    }
    return http;
}

static int add_url(struct vg_rdap_bootstrap *b, const char *s, size_t *idx)
{
    size_t n = strlen(s);
    char *c;

    for (size_t i = 0; i < b->nurls; i++)
        if (!strncmp(b->urls[i], s, n) &&
            (!strcmp(b->urls[i] + n, "/") || !b->urls[i][n])) {
            *idx = i;
            return VG_OK;
        }
    if (b->nurls == b->urls_alloc) {
        size_t a = b->urls_alloc ? 2 * b->urls_alloc : 8;
        char **g = vg_reallocarray(b->urls, a, sizeof(*g));
        if (!g)
            return VG_ENOMEM;
        b->urls = g;
        b->urls_alloc = a;
    }
    if (!(c = vg_malloc(n + 2)))
        return VG_ENOMEM;
    memcpy(c, s, n + 1);
    if (!n || c[n - 1] != '/')
        memcpy(c + n, "/", 2);
    *idx = b->nurls;
    b->urls[b->nurls++] = c;
    return VG_OK;
}

static int add_entry(struct vg_rdap_bootstrap *b, const struct vg_ipnet *net,
                     size_t url)
{
    if (b->n >= BOOTSTRAP_MAX_ENTRIES)
        return VG_ETOOBIG;
    if (b->n == b->alloc) {
        size_t a = b->alloc ? 2 * b->alloc : 64;
        struct entry *g = vg_reallocarray(b->entries, a, sizeof(*g));
        if (!g)
            return VG_ENOMEM;
        b->entries = g;
        b->alloc = a;
    }
    b->entries[b->n].net = *net;
    b->entries[b->n].url = url;
    b->n++;
    return VG_OK;
}

int vg_rdap_bootstrap_parse(struct vg_rdap_bootstrap *b, const char *json,
                            size_t len, struct vg_err *err)
{
    json_error_t jerr;
    json_t *root, *services, *svc;
    size_t i;
    int rc = VG_OK;

    if (len > BOOTSTRAP_MAX_BYTES)
        return vg_err_set(err, VG_ETOOBIG, "bootstrap over %u bytes",
                          BOOTSTRAP_MAX_BYTES);
    if (!(root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)))
        return vg_err_set(err, VG_EFORMAT, "not JSON: %s (line %d)", jerr.text,
                          jerr.line);
    services = json_object_get(root, "services");
    if (!json_is_object(root) || !json_is_array(services)) {
        json_decref(root);
        return vg_err_set(err, VG_EFORMAT,
                          "not an RDAP bootstrap file: no \"services\" "
                          "array (RFC 9224)");
    }
    json_array_foreach (services, i, svc) {
        json_t *prefixes = json_array_get(svc, 0), *p;
        const char *url = pick_url(json_array_get(svc, 1));
        size_t j, idx = 0;
        if (!json_is_array(prefixes) || !url)
            continue;
        if ((rc = add_url(b, url, &idx)))
            break;
        json_array_foreach (prefixes, j, p) {
            struct vg_ipnet net;
            if (vg_ipnet_parse(json_string_value(p), VG_IPNET_MASK, &net))
                continue;
            if ((rc = add_entry(b, &net, idx)))
                break;
        }
        if (rc)
            break;
    }
    json_decref(root);
    if (rc == VG_ETOOBIG)
        return vg_err_set(err, rc, "bootstrap over %d prefixes",
                          BOOTSTRAP_MAX_ENTRIES);
    return rc;
}

int vg_rdap_bootstrap_load(struct vg_rdap_bootstrap *b, const char *path,
                           struct vg_err *err)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t n = 0;
    int rc = VG_OK;

    if (!f)
        return vg_err_set(err, VG_EIO, "%s: cannot open", path);
    if (!(data = vg_malloc(BOOTSTRAP_MAX_BYTES + 1))) {
        fclose(f);
        return VG_ENOMEM;
    }
    n = fread(data, 1, BOOTSTRAP_MAX_BYTES + 1, f);
    if (ferror(f))
        rc = vg_err_set(err, VG_EIO, "%s: cannot read", path);
    else if (n > BOOTSTRAP_MAX_BYTES)
        rc = vg_err_set(err, VG_ETOOBIG, "%s: over %u bytes", path,
                        BOOTSTRAP_MAX_BYTES);
    fclose(f);
    if (!rc && (rc = vg_rdap_bootstrap_parse(b, data, n, err)) &&
        rc != VG_ENOMEM && err) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        vg_err_set(err, rc, "%s: %s", path, msg);
    }
    vg_free(data);
    return rc;
}

const char *vg_rdap_bootstrap_find(const struct vg_rdap_bootstrap *b,
                                   const char *ip)
{
    const struct entry *best = NULL;
    struct vg_ipnet a;

    if (!b || vg_ipnet_parse(ip, VG_IPNET_ADDRESS, &a))
        return NULL;
    vg_ipnet_unmap(&a);
    for (size_t i = 0; i < b->n; i++) {
        const struct entry *e = &b->entries[i];
        if ((!best || e->net.prefix > best->net.prefix) &&
            vg_ipnet_contains(&e->net, &a))
            best = e;
    }
    return best ? b->urls[best->url] : NULL;
}
