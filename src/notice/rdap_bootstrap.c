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
 *
 * Files are checked before any of their services is used: the size cap,
 * JSON, "version" "1.0", a "publication" date if there is one, and every
 * service an array of two arrays, prefixes that are all CIDRs and at
 * least one http(s) URL.  A file failing any of that is refused whole
 * (vg_rdap_bootstrap_open then falls back to the shipped files, saying
 * why), since a half-read file would send queries to the wrong registry.
 */
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/ipnet.h"
#include "vigil/rdap.h"

#define BOOTSTRAP_MAX_BYTES VG_RDAP_BOOTSTRAP_MAX_BYTES
#define BOOTSTRAP_MAX_ENTRIES 100000
#define URL_MAX 1024
#define SOURCE_MAX 2048
#define PUBLICATION_MAX 40

struct entry {
    struct vg_ipnet net;
    size_t url; /* index into urls */
};

struct vg_rdap_bootstrap {
    struct entry *entries;
    size_t n, alloc;
    char **urls;
    size_t nurls, urls_alloc;
    char publication[PUBLICATION_MAX]; /* of the last file parsed */
    char source[SOURCE_MAX];           /* the files loaded, with dates */
    int fallback;                      /* the shipped files are in use */
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

/* "version" "1.0" and, if present, "publication" as an RFC 3339 date
   (kept in b); VG_OK or VG_EFORMAT said. */
static int check_header(struct vg_rdap_bootstrap *b, json_t *root,
                        struct vg_err *err)
{
    const char *v = json_string_value(json_object_get(root, "version"));
    json_t *pub = json_object_get(root, "publication");
    const char *p = json_string_value(pub);
    size_t n = p ? strlen(p) : 0;

    if (!v)
        return vg_err_set(err, VG_EFORMAT,
                          "no \"version\" (RFC 9224 files say \"1.0\")");
    if (strcmp(v, "1.0"))
        return vg_err_set(err, VG_EFORMAT,
                          "version \"%.16s\", not \"1.0\" (RFC 9224)", v);
    b->publication[0] = '\0';
    if (!pub)
        return VG_OK;
    if (!p || n < 10 || n >= PUBLICATION_MAX || strspn(p, "0123456789") != 4 ||
        p[4] != '-' || p[7] != '-' || strspn(p, "0123456789-:.TZ+") != n)
        return vg_err_set(err, VG_EFORMAT,
                          "\"publication\" is not an RFC 3339 date");
    memcpy(b->publication, p, n + 1);
    return VG_OK;
}

/* Service i: [[prefixes...], [urls...]], every prefix a CIDR, an http(s)
   URL; VG_OK or VG_EFORMAT said. */
static int check_service(json_t *svc, size_t i, struct vg_err *err)
{
    json_t *prefixes = json_array_get(svc, 0), *p;
    size_t j;

    if (!json_is_array(svc) || json_array_size(svc) != 2 ||
        !json_is_array(prefixes) || !json_is_array(json_array_get(svc, 1)))
        return vg_err_set(err, VG_EFORMAT,
                          "service %zu is not [[prefixes], [URLs]]", i + 1);
    if (!json_array_size(prefixes))
        return vg_err_set(err, VG_EFORMAT, "service %zu has no prefix", i + 1);
    json_array_foreach (prefixes, j, p) {
        struct vg_ipnet net;
        const char *t = json_string_value(p);
        if (!t || vg_ipnet_parse(t, VG_IPNET_MASK, &net))
            return vg_err_set(err, VG_EFORMAT,
                              "service %zu: \"%.64s\" is not an IP prefix",
                              i + 1, t ? t : "(not a string)");
    }
    if (!pick_url(json_array_get(svc, 1)))
        return vg_err_set(err, VG_EFORMAT, "service %zu has no http(s) URL",
                          i + 1);
    return VG_OK;
}

static int check_file(struct vg_rdap_bootstrap *b, json_t *root,
                      struct vg_err *err)
{
    json_t *services = json_object_get(root, "services"), *svc;
    size_t i;
    int rc;

    if (!json_is_object(root) || !json_is_array(services))
        return vg_err_set(err, VG_EFORMAT,
                          "not an RDAP bootstrap file: no \"services\" "
                          "array (RFC 9224)");
    if ((rc = check_header(b, root, err)))
        return rc;
    if (!json_array_size(services))
        return vg_err_set(err, VG_EFORMAT, "no services");
    json_array_foreach (services, i, svc)
        if ((rc = check_service(svc, i, err)))
            return rc;
    return VG_OK;
}

int vg_rdap_bootstrap_parse(struct vg_rdap_bootstrap *b, const char *json,
                            size_t len, struct vg_err *err)
{
    json_error_t jerr;
    json_t *root, *svc;
    size_t i;
    int rc = VG_OK;

    if (len > BOOTSTRAP_MAX_BYTES)
        return vg_err_set(err, VG_ETOOBIG, "bootstrap over %u bytes",
                          BOOTSTRAP_MAX_BYTES);
    if (!(root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)))
        return vg_err_set(err, VG_EFORMAT, "not JSON: %s (line %d)", jerr.text,
                          jerr.line);
    if ((rc = check_file(b, root, err))) {
        json_decref(root);
        return rc;
    }
    json_array_foreach (json_object_get(root, "services"), i, svc) {
        json_t *p;
        size_t j, idx = 0;
        if ((rc = add_url(b, pick_url(json_array_get(svc, 1)), &idx)))
            break;
        json_array_foreach (json_array_get(svc, 0), j, p) {
            struct vg_ipnet net;
            vg_ipnet_parse(json_string_value(p), VG_IPNET_MASK, &net);
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
    if (!rc) {
        size_t k = strlen(b->source);
        snprintf(b->source + k, sizeof(b->source) - k, "%s%s (%s%s)",
                 k ? ", " : "", path,
                 b->publication[0] ? "published " : "no publication date",
                 b->publication);
    }
    return rc;
}

int vg_rdap_bootstrap_load_path(struct vg_rdap_bootstrap *b, const char *path,
                                struct vg_err *err)
{
    static const char *const names[] = {"ipv4.json", "ipv6.json"};
    char file[4096];
    struct stat sb;
    int rc;

    if (stat(path, &sb) || !S_ISDIR(sb.st_mode))
        return vg_rdap_bootstrap_load(b, path, err);
    for (size_t i = 0; i < 2; i++) {
        if ((size_t)snprintf(file, sizeof(file), "%s/%s", path, names[i]) >=
            sizeof(file))
            return vg_err_set(err, VG_EINVAL, "%.64s...: path too long", path);
        if ((rc = vg_rdap_bootstrap_load(b, file, err)))
            return rc;
    }
    return VG_OK;
}

const char *vg_rdap_bootstrap_source(const struct vg_rdap_bootstrap *b)
{
    return b ? b->source : "";
}

int vg_rdap_bootstrap_is_fallback(const struct vg_rdap_bootstrap *b)
{
    return b && b->fallback;
}

/* A new bootstrap from every path; NULL and err said if one fails. */
static int load_all(const char *const *paths, struct vg_rdap_bootstrap **out,
                    struct vg_err *err)
{
    int rc = vg_rdap_bootstrap_new(out);

    for (const char *const *p = paths; !rc && *p; p++)
        rc = vg_rdap_bootstrap_load_path(*out, *p, err);
    if (rc) {
        vg_rdap_bootstrap_free(*out);
        *out = NULL;
    }
    return rc;
}

int vg_rdap_bootstrap_open(const char *const *paths,
                           const char *const *fallback,
                           struct vg_rdap_bootstrap **out, char *warning,
                           size_t n, struct vg_err *err)
{
    const char *installed[] = {VG_RDAP_BOOTSTRAP_DIR, NULL};
    struct vg_err why = {0};
    struct stat sb;
    int rc = VG_OK;

    *out = NULL;
    if (n)
        warning[0] = '\0';
    if (!paths || !*paths) {
        paths = installed;
        if (stat(VG_RDAP_BOOTSTRAP_DIR "/ipv4.json", &sb)) {
            snprintf(warning, n,
                     "not installed in %s (vigil providers "
                     "rdap-bootstrap --from DIR installs one)",
                     VG_RDAP_BOOTSTRAP_DIR);
            paths = NULL;
        }
    }
    if (paths && (rc = load_all(paths, out, &why)) != VG_ENOMEM && rc)
        snprintf(warning, n, "refused: %s", why.msg);
    if (*out)
        return VG_OK;
    if (paths && rc == VG_ENOMEM)
        return VG_ENOMEM;
    if ((rc = load_all(fallback, out, err)))
        return rc;
    (*out)->fallback = 1;
    return VG_OK;
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
