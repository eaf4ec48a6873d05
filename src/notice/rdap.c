/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RDAP client (vigil/rdap.h): the parser of IP network answers (RFC
 * 9083 5.4 with jCard contacts, RFC 7095), the query over libcurl (RFC
 * 7480, RFC 9082 3.1.1) and the cache in front of it (the store's
 * rdap_cache).
 *
 * The parser walks entities breadth first (shallowest abuse contacts
 * first), at most VG_RDAP_ENTITIES_MAX of them and VG_RDAP_DEPTH_MAX deep,
 * reads only the values it understands with the types it expects, and
 * keeps at most VG_PROVIDER_EMAILS_MAX e-mails, each checked by
 * vg_provider_email_valid.  Text fields are capped at VG_RDAP_TEXT_MAX
 * bytes and control characters become spaces.  A network's range comes
 * from startAddress/endAddress (both valid, one family, in order); its
 * CIDRs from cidr0_cidrs, else from the range itself.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/ipnet.h"
#include "vigil/netaddr.h"
#include "vigil/rdap.h"
#include "vigil/store_providers.h"

#define DAY (24 * 3600)

static const char *const status_names[] = {"ok", "no-contact", "not-found",
                                           "error"};

const char *vg_rdap_status_name(enum vg_rdap_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "error";
}

int vg_rdap_status_parse(const char *s, enum vg_rdap_status *out)
{
    for (unsigned i = 0; s && i < 4; i++)
        if (!strcmp(s, status_names[i])) {
            *out = (enum vg_rdap_status)i;
            return VG_OK;
        }
    return VG_EINVAL;
}

void vg_rdap_result_free(struct vg_rdap_result *r)
{
    if (!r)
        return;
    vg_free(r->handle);
    vg_free(r->name);
    vg_free(r->org);
    vg_free(r->country);
    vg_free(r->start);
    vg_free(r->end);
    for (size_t i = 0; i < r->ncidrs; i++)
        vg_free(r->cidrs[i]);
    for (size_t i = 0; i < r->nemails; i++)
        vg_free(r->emails[i]);
    vg_free(r->cidrs);
    vg_free(r->emails);
    vg_free(r->asns);
    vg_free(r->server);
    vg_free(r->error);
    vg_free(r);
}

/* ---- small helpers ---- */

/* A copy of s cut to VG_RDAP_TEXT_MAX bytes at a character boundary,
 * control characters as spaces; NULL for NULL (or out of memory: *nomem). */
static char *clean(const char *s, int *nomem)
{
    size_t n;
    char *c;

    if (!s)
        return NULL;
    n = strlen(s);
    if (n > VG_RDAP_TEXT_MAX) {
        n = VG_RDAP_TEXT_MAX;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    if (!(c = vg_malloc(n + 1))) {
        *nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        c[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    c[n] = '\0';
    return c;
}

/* Append a copy of s to (*v)[*n] (capacity grows by doubling). */
static int push_str(char ***v, size_t *n, const char *s)
{
    char **g, *c;

    if (!(*n & (*n + 1))) {
        if (!(g = vg_reallocarray(*v, 2 * *n + 2, sizeof(*g))))
            return VG_ENOMEM;
        *v = g;
    }
    if (!(c = vg_strdup(s)))
        return VG_ENOMEM;
    (*v)[(*n)++] = c;
    return VG_OK;
}

static int set_str(char **dst, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int set_str(char **dst, const char *fmt, ...)
{
    char tmp[1024], *c;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (!(c = vg_strdup(tmp)))
        return VG_ENOMEM;
    vg_free(*dst);
    *dst = c;
    return VG_OK;
}

/* ---- the parser ---- */

struct parse {
    struct vg_rdap_result *r;
    int nomem;
    int abuse_entities; /* entities with the abuse role */
    int abuse_vcards;   /* ... of them with a readable vCard */
    int bad_emails;     /* e-mail values refused */
    char first_bad[80];
};

/* The value of a jCard property: [name, params, type, value, ...]. */
static const char *prop_text(json_t *prop, const char *name)
{
    const char *n = json_string_value(json_array_get(prop, 0));

    if (!n || strcasecmp(n, name))
        return NULL;
    return json_string_value(json_array_get(prop, 3));
}

/* The properties of a vCard ["vcard", [props...]]; NULL if malformed. */
static json_t *vcard_props(json_t *entity)
{
    json_t *v = json_object_get(entity, "vcardArray");
    const char *tag = json_string_value(json_array_get(v, 0));
    json_t *props = json_array_get(v, 1);

    if (!tag || strcasecmp(tag, "vcard") || !json_is_array(props))
        return NULL;
    return props;
}

static int has_role(json_t *entity, const char *role)
{
    json_t *roles = json_object_get(entity, "roles"), *r;
    size_t i;

    json_array_foreach (roles, i, r) {
        const char *s = json_string_value(r);
        if (s && !strcasecmp(s, role))
            return 1;
    }
    return 0;
}

static void add_email(struct parse *ps, const char *raw)
{
    struct vg_rdap_result *r = ps->r;
    char e[VG_EMAIL_MAX + 1];
    size_t n;

    while (*raw == ' ' || *raw == '\t')
        raw++;
    if (!strncasecmp(raw, "mailto:", 7))
        raw += 7;
    n = strlen(raw);
    while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
        n--;
    if (n < sizeof(e)) {
        memcpy(e, raw, n);
        e[n] = '\0';
    }
    if (n >= sizeof(e) || !vg_provider_email_valid(e)) {
        if (!ps->bad_emails++) {
            size_t k = 0;
            for (; k < sizeof(ps->first_bad) - 1 && raw[k]; k++)
                ps->first_bad[k] = (unsigned char)raw[k] < 0x20 ? '?' : raw[k];
            ps->first_bad[k] = '\0';
        }
        return;
    }
    for (size_t i = 0; i < r->nemails; i++)
        if (!strcasecmp(r->emails[i], e))
            return;
    if (r->nemails < VG_PROVIDER_EMAILS_MAX &&
        push_str(&r->emails, &r->nemails, e))
        ps->nomem = 1;
}

static void read_entity(struct parse *ps, json_t *entity)
{
    json_t *props = vcard_props(entity), *p;
    size_t i;

    if (has_role(entity, "abuse")) {
        ps->abuse_entities++;
        if (props)
            ps->abuse_vcards++;
        json_array_foreach (props, i, p) {
            const char *e = prop_text(p, "email");
            if (e)
                add_email(ps, e);
        }
    }
    if (!ps->r->org && has_role(entity, "registrant")) {
        json_array_foreach (props, i, p) {
            const char *fn = prop_text(p, "fn");
            if (fn && *fn) {
                ps->r->org = clean(fn, &ps->nomem);
                break;
            }
        }
    }
}

/* Breadth first over the entities of the network, at most
 * VG_RDAP_ENTITIES_MAX of them, VG_RDAP_DEPTH_MAX deep. */
static void walk_entities(struct parse *ps, json_t *root)
{
    json_t *queue[VG_RDAP_ENTITIES_MAX];
    int depth[VG_RDAP_ENTITIES_MAX];
    size_t head = 0, tail = 0;
    json_t *e;
    size_t i;

    json_array_foreach (json_object_get(root, "entities"), i, e) {
        if (tail == VG_RDAP_ENTITIES_MAX)
            break;
        if (json_is_object(e)) {
            queue[tail] = e;
            depth[tail++] = 1;
        }
    }
    while (head < tail) {
        json_t *cur = queue[head];
        int d = depth[head++];
        read_entity(ps, cur);
        if (d >= VG_RDAP_DEPTH_MAX)
            continue;
        json_array_foreach (json_object_get(cur, "entities"), i, e) {
            if (tail == VG_RDAP_ENTITIES_MAX)
                break;
            if (json_is_object(e)) {
                queue[tail] = e;
                depth[tail++] = d + 1;
            }
        }
    }
}

/* The range start..end as CIDRs (at most VG_RDAP_CIDRS_MAX; none if it
 * takes more). */
static void range_cidrs(struct parse *ps, const struct vg_ipnet *a,
                        const struct vg_ipnet *b)
{
    struct vg_rdap_result *r = ps->r;
    size_t len = vg_ipnet_len(a);
    unsigned max = a->family == 4 ? 32 : 128;
    uint8_t cur[16], first[16], last[16];

    memcpy(cur, a->addr, 16);
    for (;;) {
        struct vg_ipnet n;
        char text[VG_IPNET_STRLEN];
        int carry = 1;
        memset(&n, 0, sizeof(n));
        n.family = a->family;
        memcpy(n.addr, cur, 16);
        /* the largest block aligned at cur that ends by b */
        for (n.prefix = 0; n.prefix <= max; n.prefix++) {
            vg_ipnet_first(&n, first);
            vg_ipnet_last(&n, last);
            if (!memcmp(first, cur, len) && memcmp(last, b->addr, len) <= 0)
                break;
        }
        if (r->ncidrs == VG_RDAP_CIDRS_MAX) { /* too fragmented: none */
            for (size_t i = 0; i < r->ncidrs; i++)
                vg_free(r->cidrs[i]);
            r->ncidrs = 0;
            return;
        }
        vg_ipnet_format(&n, 0, text, sizeof(text));
        if (push_str(&r->cidrs, &r->ncidrs, text)) {
            ps->nomem = 1;
            return;
        }
        if (!memcmp(last, b->addr, len))
            return;
        memcpy(cur, last, 16);
        for (size_t i = len; i-- > 0 && carry;) {
            cur[i]++;
            carry = cur[i] == 0;
        }
        if (carry)
            return;
    }
}

static void read_range(struct parse *ps, json_t *root)
{
    struct vg_rdap_result *r = ps->r;
    struct vg_ipnet a, b;
    char text[VG_IPNET_STRLEN];
    json_t *c;
    size_t i;

    if (!vg_ipnet_parse(json_string_value(
                            json_object_get(root, "startAddress")),
                        VG_IPNET_ADDRESS, &a) &&
        !vg_ipnet_parse(json_string_value(json_object_get(root, "endAddress")),
                        VG_IPNET_ADDRESS, &b) &&
        a.family == b.family &&
        memcmp(a.addr, b.addr, vg_ipnet_len(&a)) <= 0) {
        vg_ipnet_format(&a, 1, text, sizeof(text));
        r->start = vg_strdup(text);
        vg_ipnet_format(&b, 1, text, sizeof(text));
        r->end = vg_strdup(text);
        if (!r->start || !r->end)
            ps->nomem = 1;
    }
    json_array_foreach (json_object_get(root, "cidr0_cidrs"), i, c) {
        json_t *len = json_object_get(c, "length");
        const char *pfx = json_string_value(json_object_get(c, "v4prefix"));
        char spec[VG_IPNET_STRLEN + 8];
        struct vg_ipnet n;
        if (!pfx)
            pfx = json_string_value(json_object_get(c, "v6prefix"));
        if (!pfx || !json_is_integer(len) || json_integer_value(len) < 0 ||
            json_integer_value(len) > 128 || strlen(pfx) > 45)
            continue;
        snprintf(spec, sizeof(spec), "%s/%d", pfx,
                 (int)json_integer_value(len));
        if (vg_ipnet_parse(spec, 0, &n) || r->ncidrs == VG_RDAP_CIDRS_MAX)
            continue;
        vg_ipnet_format(&n, 0, text, sizeof(text));
        if (push_str(&r->cidrs, &r->ncidrs, text))
            ps->nomem = 1;
    }
    if (!r->ncidrs && r->start && r->end)
        range_cidrs(ps, &a, &b);
}

static void read_asns(struct parse *ps, json_t *root)
{
    struct vg_rdap_result *r = ps->r;
    json_t *v = json_object_get(root, "arin_originas0_originautnums"), *x;
    size_t i;

    if (!json_is_array(v) || !json_array_size(v))
        return;
    if (!(r->asns = vg_calloc(VG_RDAP_ASNS_MAX, sizeof(*r->asns)))) {
        ps->nomem = 1;
        return;
    }
    json_array_foreach (v, i, x) {
        json_int_t n = json_integer_value(x);
        int dup = 0;
        if (!json_is_integer(x) || n < 1 || n > 4294967295LL ||
            r->nasns == VG_RDAP_ASNS_MAX)
            continue;
        for (size_t k = 0; k < r->nasns; k++)
            dup |= r->asns[k] == (uint32_t)n;
        if (!dup)
            r->asns[r->nasns++] = (uint32_t)n;
    }
}

/* Why a network has no usable abuse contact. */
static int no_contact_reason(struct parse *ps)
{
    if (!ps->abuse_entities)
        return set_str(&ps->r->error,
                       "no abuse contact: no entity has the abuse role");
    if (!ps->abuse_vcards)
        return set_str(&ps->r->error,
                       "no abuse contact: the abuse entity has no readable "
                       "vCard (vcardArray)");
    if (ps->bad_emails)
        return set_str(&ps->r->error,
                       "no abuse contact: no valid e-mail address in the "
                       "abuse vCard (refused: '%s')",
                       ps->first_bad);
    return set_str(&ps->r->error,
                   "no abuse contact: the abuse vCard has no e-mail");
}

int vg_rdap_parse(const char *json, size_t len, struct vg_rdap_result **out,
                  struct vg_err *err)
{
    struct parse ps;
    json_error_t jerr;
    json_t *root;
    const char *cls;
    int rc = VG_OK;

    *out = NULL;
    memset(&ps, 0, sizeof(ps));
    if (!(root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)))
        return vg_err_set(err, VG_EFORMAT, "the answer is not JSON: %s",
                          jerr.text);
    if (!json_is_object(root)) {
        rc = vg_err_set(err, VG_EFORMAT, "the answer is not a JSON object");
        goto out;
    }
    if (json_object_get(root, "errorCode")) {
        const char *title = json_string_value(json_object_get(root, "title"));
        char t[81];
        snprintf(t, sizeof(t), "%s", title ? title : "");
        for (char *c = t; *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = ' ';
        rc = vg_err_set(err, VG_EFORMAT, "the server answered error %lld%s%s",
                        (long long)json_integer_value(
                            json_object_get(root, "errorCode")),
                        *t ? ": " : "", t);
        goto out;
    }
    cls = json_string_value(json_object_get(root, "objectClassName"));
    if (cls ? strcasecmp(cls, "ip network")
            : !json_object_get(root, "startAddress")) {
        char c[41];
        snprintf(c, sizeof(c), "%s", cls ? cls : "none");
        for (char *p = c; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
        rc = vg_err_set(err, VG_EFORMAT,
                        "the answer is not an IP network (object class %s)",
                        c);
        goto out;
    }
    if (!(ps.r = vg_calloc(1, sizeof(*ps.r)))) {
        rc = VG_ENOMEM;
        goto out;
    }
    ps.r->max_age = -1;
    ps.r->handle = clean(json_string_value(json_object_get(root, "handle")),
                         &ps.nomem);
    ps.r->name = clean(json_string_value(json_object_get(root, "name")),
                       &ps.nomem);
    ps.r->country = clean(json_string_value(json_object_get(root, "country")),
                          &ps.nomem);
    read_range(&ps, root);
    read_asns(&ps, root);
    walk_entities(&ps, root);
    ps.r->status = ps.r->nemails ? VG_RDAP_OK : VG_RDAP_NO_CONTACT;
    if (!ps.nomem && ps.r->status == VG_RDAP_NO_CONTACT &&
        no_contact_reason(&ps))
        ps.nomem = 1;
    if (ps.nomem) {
        rc = VG_ENOMEM;
        goto out;
    }
    *out = ps.r;
    ps.r = NULL;
out:
    vg_rdap_result_free(ps.r);
    json_decref(root);
    return rc;
}

/* ---- the query ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct xfer {
    struct vg_buf body;
    int64_t max_age; /* of the last response, -1 if none */
    int loopback_only;
    int refused; /* a connection to a refused address */
    int too_large;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;

    if (vg_buf_append(&x->body, p, size * n)) {
        x->too_large = 1;
        return 0;
    }
    return size * n;
}

/* Cache-Control of each response (a redirect's too: the last one's
   stays): max-age=N, or 0 for no-store and no-cache. */
static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;
    char line[512], *save = NULL;

    if (len >= 5 && !strncmp(p, "HTTP/", 5))
        x->max_age = -1;
    if (len < 14 || len >= sizeof(line) ||
        strncasecmp(p, "cache-control:", 14))
        return len;
    memcpy(line, p, len);
    line[len] = '\0';
    for (char *t = strtok_r(line + 14, ", \t\r\n", &save); t;
         t = strtok_r(NULL, ", \t\r\n", &save)) {
        if (!strcasecmp(t, "no-store") || !strcasecmp(t, "no-cache")) {
            x->max_age = 0;
            break;
        }
        if (!strncasecmp(t, "max-age=", 8) && t[8] >= '0' && t[8] <= '9') {
            long long v = strtoll(t + 8, NULL, 10);
            x->max_age = v > VG_RDAP_TTL_MAX ? VG_RDAP_TTL_MAX : v;
        }
    }
    return len;
}

static int is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        return ((const uint8_t *)&s->sin_addr)[0] == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        return IN6_IS_ADDR_LOOPBACK(&s->sin6_addr);
    }
    return 0;
}

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
    struct xfer *x = arg;
    int ok = x->loopback_only ? is_loopback(&a->addr)
                              : vg_netaddr_is_public(&a->addr);

    (void)purpose;
    if (!ok) {
        x->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static int64_t ttl_of(const struct vg_rdap_opts *o,
                      const struct vg_rdap_result *r)
{
    if (r->max_age >= 0 && r->status != VG_RDAP_ERROR)
        return r->max_age;
    switch (r->status) {
    case VG_RDAP_OK:
        return o->ttl_ok > 0 ? o->ttl_ok : 7 * DAY;
    case VG_RDAP_NO_CONTACT:
        return o->ttl_no_contact > 0 ? o->ttl_no_contact : DAY;
    case VG_RDAP_NOT_FOUND:
        return o->ttl_not_found > 0 ? o->ttl_not_found : DAY;
    default:
        return o->ttl_error > 0 ? o->ttl_error : 15 * 60;
    }
}

/* A result that only says what went wrong. */
static int failed(struct vg_rdap_result **r, enum vg_rdap_status status,
                  const char *server, const char *why)
{
    if (!*r) {
        if (!(*r = vg_calloc(1, sizeof(**r))))
            return VG_ENOMEM;
        (*r)->max_age = -1;
    }
    (*r)->status = status;
    if (set_str(&(*r)->error, "%s", why) ||
        (server && !(*r)->server && !((*r)->server = vg_strdup(server))))
        return VG_ENOMEM;
    return VG_OK;
}

/* Why the transfer failed into why (n bytes), "" if it did not. */
static void why_failed(const struct vg_rdap_opts *o, const struct xfer *x,
                       CURLcode cc, const char *final, const char *errbuf,
                       size_t cap, long timeout, char *why, size_t n)
{
    if (x->refused)
        snprintf(why, n, "refused: %s is not a public address's RDAP service",
                 final);
    else if (x->too_large || cc == CURLE_FILESIZE_EXCEEDED)
        snprintf(why, n, "the answer is over %zu bytes", cap);
    else if (cc == CURLE_OPERATION_TIMEDOUT)
        snprintf(why, n, "no answer within %ld ms", timeout);
    else if (cc == CURLE_TOO_MANY_REDIRECTS)
        snprintf(why, n, "more than %u redirects",
                 o->max_redirects ? o->max_redirects : 3);
    else if (cc == CURLE_UNSUPPORTED_PROTOCOL)
        snprintf(why, n, "refused: not https (%s)",
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else if (cc != CURLE_OK)
        snprintf(why, n, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
    else
        why[0] = '\0';
}

/* Run the transfer of url; *r gets the outcome (VG_OK) or VG_ENOMEM.
   Never through the environment's proxy (CURLOPT_PROXY ""): the address
   check would see only the proxy. */
static int transfer(const struct vg_rdap_opts *o, const char *url,
                    struct vg_rdap_result **r)
{
    char errbuf[CURL_ERROR_SIZE] = "", why[CURL_ERROR_SIZE + 128], ua[128];
    size_t cap = o->max_bytes ? o->max_bytes : 1u << 20;
    long timeout = o->timeout_ms > 0 ? o->timeout_ms : 15000;
    const char *protocols = o->allow_http_loopback ? "http,https" : "https";
    struct curl_slist *hdrs = NULL;
    struct xfer x;
    char *final = NULL;
    long status = 0;
    CURLcode cc;
    CURL *h;
    int rc = VG_OK;

    memset(&x, 0, sizeof(x));
    x.max_age = -1;
    vg_buf_init(&x.body, cap);
    x.loopback_only = o->allow_http_loopback;
    snprintf(ua, sizeof(ua), "%s",
             o->user_agent ? o->user_agent
                           : "vigil/" VIGIL_VERSION " (RDAP client)");
    if (!(h = curl_easy_init()) ||
        !(hdrs = curl_slist_append(NULL, "Accept: application/rdap+json, "
                                         "application/json;q=0.9"))) {
        rc = VG_ENOMEM;
        goto out;
    }
    if (curl_easy_setopt(h, CURLOPT_URL, url) ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) ||
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols) ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) ||
        curl_easy_setopt(h, CURLOPT_MAXREDIRS,
                         (long)(o->max_redirects ? o->max_redirects : 3)) ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                   : 5000L) ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout) ||
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap) ||
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, ua) ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &x) ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &x) ||
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) ||
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &x) ||
        curl_easy_setopt(h, CURLOPT_PROXY, "")) {
        rc = VG_ENOMEM;
        goto out;
    }
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &final);
    if (!final)
        final = (char *)url;
    why_failed(o, &x, cc, final, errbuf, cap, timeout, why, sizeof(why));
    if (why[0]) {
        rc = failed(r, VG_RDAP_ERROR, final, why);
        goto out;
    }
    if (status == 404) {
        rc = failed(r, VG_RDAP_NOT_FOUND, final,
                    "not found: no registry holds this address (404)");
    } else if (status != 200) {
        snprintf(why, sizeof(why), "the server answered HTTP %ld", status);
        rc = failed(r, VG_RDAP_ERROR, final, why);
    } else {
        struct vg_err perr = {0};
        rc = vg_rdap_parse(x.body.data ? x.body.data : "", x.body.len, r,
                           &perr);
        if (rc == VG_EFORMAT)
            rc = failed(r, VG_RDAP_ERROR, final, perr.msg);
        else if (!rc && !((*r)->server = vg_strdup(final)))
            rc = VG_ENOMEM;
    }
    if (!rc && *r) {
        (*r)->http_status = status;
        (*r)->max_age = x.max_age;
    }
out:
    curl_slist_free_all(hdrs);
    if (h)
        curl_easy_cleanup(h);
    vg_buf_fini(&x.body);
    return rc;
}

int vg_rdap_fetch(const struct vg_rdap_opts *o, const char *ip, int64_t now,
                  struct vg_rdap_result **out, struct vg_err *err)
{
    struct vg_rdap_result *r = NULL;
    char addr[VG_IPNET_STRLEN], why[VG_IPNET_STRLEN + 64];
    const char *base = NULL;
    struct vg_buf url;
    struct vg_ipnet a;
    int rc;

    *out = NULL;
    if (vg_ipnet_parse(ip, VG_IPNET_ADDRESS, &a))
        return vg_err_set(err, VG_EINVAL, "%.64s is not an IP address",
                          ip ? ip : "");
    vg_ipnet_unmap(&a);
    vg_ipnet_format(&a, 1, addr, sizeof(addr));
    /* private and special addresses belong to no one a notice could
       reach; registries answer for them with IANA's reservations */
    if (!o->allow_http_loopback && !vg_netaddr_text_is_public(addr))
        snprintf(why, sizeof(why),
                 "%s is not a public address: no registry holds it", addr);
    else if (!(base = vg_rdap_bootstrap_find(o->bootstrap, addr)))
        snprintf(why, sizeof(why), "no RDAP service for %s in the bootstrap",
                 addr);
    else
        why[0] = '\0';
    if (why[0]) {
        if ((rc = failed(&r, VG_RDAP_ERROR, NULL, why)))
            goto fail;
        r->fetched_at = now;
        r->expires_at = now; /* nothing was asked: not cached */
        *out = r;
        return VG_OK;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return vg_err_set(err, VG_EINTERNAL, "libcurl: %s",
                          curl_easy_strerror(curl_init_rc));
    vg_buf_init(&url, 4096);
    if (vg_buf_printf(&url, "%sip/%s", base, addr)) {
        vg_buf_fini(&url);
        return VG_ENOMEM;
    }
    rc = transfer(o, url.data, &r);
    vg_buf_fini(&url);
    if (rc)
        goto fail;
    r->fetched_at = now;
    r->expires_at = now + ttl_of(o, r);
    *out = r;
    return VG_OK;
fail:
    vg_rdap_result_free(r);
    return rc;
}

/* ---- the cache ---- */

static int split_into(char ***v, size_t *n, const char *s, const char *sep,
                      size_t max)
{
    char item[VG_EMAIL_MAX + 1];

    while (s && *s && *n < max) {
        size_t k = strcspn(s, sep);
        if (k && k < sizeof(item)) {
            memcpy(item, s, k);
            item[k] = '\0';
            if (push_str(v, n, item))
                return VG_ENOMEM;
        }
        s += k;
        s += strspn(s, sep);
    }
    return VG_OK;
}

static int from_cache(void *ctx, const struct vg_rdap_cached *c)
{
    struct vg_rdap_result **out = ctx, *r = vg_calloc(1, sizeof(*r));
    enum vg_rdap_status st = VG_RDAP_ERROR;
    int nomem = 0;

    if (!r)
        return VG_ENOMEM;
    vg_rdap_status_parse(c->status, &st);
    r->status = st;
    r->max_age = -1;
    r->cached = 1;
    r->fetched_at = c->fetched_at;
    r->expires_at = c->expires_at;
    r->handle = clean(c->handle, &nomem);
    r->name = clean(c->name, &nomem);
    r->org = clean(c->org, &nomem);
    r->country = clean(c->country, &nomem);
    r->server = c->server ? vg_strdup(c->server) : NULL;
    r->error = c->error ? vg_strdup(c->error) : NULL;
    nomem |= (c->server && !r->server) || (c->error && !r->error);
    if (st == VG_RDAP_OK || st == VG_RDAP_NO_CONTACT) {
        r->start = vg_strdup(c->first);
        r->end = vg_strdup(c->last);
        nomem |= !r->start || !r->end;
    }
    if (!nomem &&
        (split_into(&r->emails, &r->nemails, c->emails, ",",
                    VG_PROVIDER_EMAILS_MAX) ||
         split_into(&r->cidrs, &r->ncidrs, c->cidrs, " ", VG_RDAP_CIDRS_MAX)))
        nomem = 1;
    if (!nomem && c->asns && *c->asns &&
        !(r->asns = vg_calloc(VG_RDAP_ASNS_MAX, sizeof(*r->asns))))
        nomem = 1;
    for (const char *s = c->asns;
         !nomem && s && *s && r->nasns < VG_RDAP_ASNS_MAX;) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s)
            break;
        if (v >= 1 && v <= 4294967295ULL)
            r->asns[r->nasns++] = (uint32_t)v;
        s = end + strspn(end, " ");
    }
    if (nomem) {
        vg_rdap_result_free(r);
        return VG_ENOMEM;
    }
    *out = r;
    return VG_OK;
}

/* Join v with sep into b. */
static int join(struct vg_buf *b, char *const *v, size_t n, const char *sep)
{
    for (size_t i = 0; i < n; i++)
        if ((i && vg_buf_puts(b, sep)) || vg_buf_puts(b, v[i]))
            return VG_ENOMEM;
    return vg_buf_puts(b, "");
}

/* The range of r's network holding addr into first, last (text):
   startAddress..endAddress, else the cidr0 CIDR holding it; 0 if none. */
static int covering(const struct vg_rdap_result *r, const char *addr,
                    char *first, char *last)
{
    struct vg_ipnet a, s, e, n;
    uint8_t f[16], l[16];

    if ((r->status != VG_RDAP_OK && r->status != VG_RDAP_NO_CONTACT) ||
        vg_ipnet_parse(addr, VG_IPNET_ADDRESS, &a))
        return 0;
    if (r->start && r->end &&
        !vg_ipnet_parse(r->start, VG_IPNET_ADDRESS, &s) &&
        !vg_ipnet_parse(r->end, VG_IPNET_ADDRESS, &e) &&
        a.family == s.family && a.family == e.family &&
        memcmp(s.addr, a.addr, 16) <= 0 && memcmp(a.addr, e.addr, 16) <= 0) {
        snprintf(first, VG_IPNET_STRLEN, "%s", r->start);
        snprintf(last, VG_IPNET_STRLEN, "%s", r->end);
        return 1;
    }
    for (size_t i = 0; i < r->ncidrs; i++) {
        if (vg_ipnet_parse(r->cidrs[i], 0, &n) || !vg_ipnet_contains(&n, &a))
            continue;
        vg_ipnet_first(&n, f);
        vg_ipnet_last(&n, l);
        memcpy(n.addr, f, 16);
        n.prefix = n.family == 4 ? 32 : 128;
        vg_ipnet_format(&n, 1, first, VG_IPNET_STRLEN);
        memcpy(n.addr, l, 16);
        vg_ipnet_format(&n, 1, last, VG_IPNET_STRLEN);
        return 1;
    }
    return 0;
}

static void to_cache(struct vg_store *st, const struct vg_rdap_result *r,
                     const char *addr)
{
    struct vg_rdap_cached c;
    struct vg_buf emails, cidrs, asns;
    char first[VG_IPNET_STRLEN], last[VG_IPNET_STRLEN];
    /* the network's range if it holds the address asked, else the
       address alone */
    int whole = covering(r, addr, first, last);

    memset(&c, 0, sizeof(c));
    vg_buf_init(&emails, 0);
    vg_buf_init(&cidrs, 0);
    vg_buf_init(&asns, 0);
    c.first = whole ? first : addr;
    c.last = whole ? last : addr;
    c.status = vg_rdap_status_name(r->status);
    c.handle = r->handle;
    c.name = r->name;
    c.org = r->org;
    c.country = r->country;
    c.server = r->server;
    c.error = r->error;
    c.fetched_at = r->fetched_at;
    c.expires_at = r->expires_at;
    for (size_t i = 0; i < r->nasns; i++)
        vg_buf_printf(&asns, "%s%lu", i ? " " : "", (unsigned long)r->asns[i]);
    if (!join(&emails, r->emails, r->nemails, ",") &&
        !join(&cidrs, r->cidrs, r->ncidrs, " ") && !vg_buf_puts(&asns, "")) {
        c.emails = emails.data;
        c.cidrs = cidrs.data;
        c.asns = asns.data;
        vg_store_rdap_put(st, &c, NULL);
    }
    vg_buf_fini(&emails);
    vg_buf_fini(&cidrs);
    vg_buf_fini(&asns);
}

int vg_rdap_lookup(struct vg_store *st, const struct vg_rdap_opts *o,
                   const char *ip, int64_t now, struct vg_rdap_result **out,
                   struct vg_err *err)
{
    struct vg_rdap_result *r = NULL;
    char addr[VG_IPNET_STRLEN];
    struct vg_ipnet a;
    int rc;

    *out = NULL;
    if (vg_ipnet_parse(ip, VG_IPNET_ADDRESS, &a))
        return vg_err_set(err, VG_EINVAL, "%.64s is not an IP address",
                          ip ? ip : "");
    vg_ipnet_unmap(&a);
    vg_ipnet_format(&a, 1, addr, sizeof(addr));
    rc = vg_store_rdap_get(st, addr, now, from_cache, &r, err);
    if (rc == VG_OK) {
        *out = r;
        return VG_OK;
    }
    if (rc != VG_ENOENT)
        return rc;
    if ((rc = vg_rdap_fetch(o, addr, now, &r, err)))
        return rc;
    if (r->expires_at > now)
        to_cache(st, r, addr);
    *out = r;
    return VG_OK;
}
