/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fetcher (vigil/fetch.h) on libcurl's multi interface: one event loop,
 * up to max_in_flight easy handles, a FIFO of what waits.  The limits are
 * libcurl's own options where they are enforced in full (protocols,
 * redirects, timeouts, low speed) and ours where they are not: libcurl
 * 7.88 checks CURLOPT_MAXFILESIZE only against an announced size and never
 * after decompression, so the write callback counts the decoded bytes and
 * stops the transfer at the cap; and the public-address rule is applied in
 * the open-socket callback, which sees every address libcurl connects to,
 * whatever the URL, DNS answer or redirect said.  libcurl would also obey
 * the environment's proxy variables, and then connect only to the proxy:
 * every handle sets CURLOPT_PROXY, "" (none, the environment ignored) or
 * the proxy given on purpose; with one, the open-socket callback lets the
 * proxy through and the URLs themselves are checked (private_literal).
 *
 * Memory: every decoded byte held (bodies growing, and bytes the caller
 * holds on, vg_fetcher_hold) counts against one budget, and no body may be
 * larger than the budget.  A write that does not fit pauses its transfer
 * (CURL_WRITEFUNC_PAUSE: libcurl keeps the rest of that read, decoded, and
 * reads no more); paused transfers go on, the longest waiting first, when
 * bytes are freed, and no new transfer starts while the budget is spent.
 * Paused transfers holding parts of bodies could wait on each other for
 * ever: when nothing else would free bytes (nothing held by the caller),
 * the longest waiting becomes the lead and the youngest transfers holding
 * bytes are stopped and queued again, from the start, until it fits; while
 * there is a lead, the others wait.  The rest of a read that libcurl keeps
 * is bounded by the read size, chosen small (buf_size), and reserved in
 * the budget (ghost_size) for every transfer until its body turns out not
 * to be encoded.
 */
#define _GNU_SOURCE /* mremap */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/fetch.h"
#include "vigil/netaddr.h"

/*
 * A body in pages of its own (anonymous mmap, grown by mremap): bodies come
 * and go by the megabyte, and in malloc's heap they would leave it
 * fragmented, the memory resident though freed.  data[len] is 0.
 */
struct body {
    char *data; /* NULL until the first byte */
    size_t len, size, cap;
};

static int body_append(struct body *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->size) {
        size_t size = b->size ? b->size : 16384;
        void *m;
        while (size < b->len + n + 1)
            size *= 2;
        m = b->data ? mremap(b->data, b->size, size, MREMAP_MAYMOVE)
                    : mmap(NULL, size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return VG_ENOMEM;
        b->data = m;
        b->size = size;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return VG_OK;
}

static void body_fini(struct body *b)
{
    if (b->data)
        munmap(b->data, b->size);
    b->data = NULL;
    b->len = b->size = 0;
}

#define MAX_HEADER_VALUE 512

struct xfer {
    struct vg_fetcher *f;
    CURL *h;
    char *url;
    enum vg_fetch_kind kind;
    void *ctx;
    int head;                   /* a HEAD (vg_fetch_req) */
    struct curl_slist *request; /* conditional headers, or NULL */
    struct body body;
    struct vg_buf headers; /* the selected headers of the last response */
    int too_large, refused_private, oom;
    int bad_encoding; /* a Content-Encoding other than gzip, deflate */
    size_t held;      /* body bytes counted against the budget */
    size_t ghost;     /* reserved for what libcurl may keep */
    int body_seen;
    int paused;                 /* waiting for budget */
    size_t need;                /* the write that did not fit */
    unsigned long long since;   /* waiting for budget since (0: not) */
    unsigned long long started; /* when started, to find the youngest */
    char errbuf[CURL_ERROR_SIZE];
    struct xfer *next;
};

struct vg_fetcher {
    struct vg_fetch_opts o;
    char *user_agent, *proxy, *allow_addrs;
    CURLM *m;
    struct xfer *head, *tail; /* waiting */
    struct xfer *active;      /* in flight */
    size_t waiting, running;
    size_t bodies, extra;     /* bytes held: bodies, the caller's */
    size_t ghosts;            /* reserved for libcurl's (xfer.ghost) */
    struct xfer *lead;        /* goes first, the others wait; or NULL */
    unsigned long long ticks; /* orders starts and pauses */
    size_t paused;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int vg_fetcher_new(const struct vg_fetch_opts *opts, struct vg_fetcher **out)
{
    struct vg_fetcher *f;

    *out = NULL;
    if (!opts || !opts->user_agent || !*opts->user_agent)
        return VG_EINVAL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return VG_ENOMEM;
    if (!(f = vg_calloc(1, sizeof(*f))))
        return VG_ENOMEM;
    f->o = *opts;
    if (!f->o.max_in_flight)
        f->o.max_in_flight = 32;
    if (!f->o.max_redirects)
        f->o.max_redirects = 5;
    if (!f->o.connect_timeout_ms)
        f->o.connect_timeout_ms = 10000;
    if (!f->o.total_timeout_ms)
        f->o.total_timeout_ms = 60000;
    if (!f->o.low_speed_bytes)
        f->o.low_speed_bytes = 1000;
    if (!f->o.low_speed_seconds)
        f->o.low_speed_seconds = 15;
    if (!f->o.max_page_bytes)
        f->o.max_page_bytes = (size_t)8 << 20;
    if (!f->o.max_media_bytes)
        f->o.max_media_bytes = (size_t)64 << 20;
    if (!f->o.max_inflight_bytes)
        f->o.max_inflight_bytes = (size_t)256 << 20;
    if (!(f->user_agent = vg_strdup(opts->user_agent)) ||
        (opts->proxy && !(f->proxy = vg_strdup(opts->proxy))) ||
        (opts->allow_addrs &&
         !(f->allow_addrs = vg_strdup(opts->allow_addrs))) ||
        !(f->m = curl_multi_init())) {
        vg_fetcher_free(f);
        return VG_ENOMEM;
    }
    f->o.user_agent = f->user_agent;
    f->o.proxy = f->proxy;
    f->o.allow_addrs = f->allow_addrs;
    *out = f;
    return VG_OK;
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->h) {
        curl_multi_remove_handle(x->f->m, x->h);
        curl_easy_cleanup(x->h);
    }
    x->f->bodies -= x->held;
    x->f->ghosts -= x->ghost;
    x->f->paused -= x->paused != 0;
    if (x->f->lead == x)
        x->f->lead = NULL;
    body_fini(&x->body);
    vg_buf_fini(&x->headers);
    curl_slist_free_all(x->request);
    vg_free(x->url);
    vg_free(x);
}

void vg_fetcher_free(struct vg_fetcher *f)
{
    if (!f)
        return;
    while (f->head) {
        struct xfer *x = f->head;
        f->head = x->next;
        xfer_free(x);
    }
    while (f->active) {
        struct xfer *x = f->active;
        f->active = x->next;
        xfer_free(x);
    }
    curl_multi_cleanup(f->m);
    vg_free(f->user_agent);
    vg_free(f->proxy);
    vg_free(f->allow_addrs);
    vg_free(f);
}

/* Add "name: value" to x's request headers unless value is empty. */
static int add_header(struct xfer *x, const char *name, const char *value)
{
    char line[MAX_HEADER_VALUE + 64];
    struct curl_slist *l;

    if (!value || !*value)
        return VG_OK;
    if (strpbrk(value, "\r\n") || strlen(value) > MAX_HEADER_VALUE)
        return VG_EINVAL;
    snprintf(line, sizeof(line), "%s: %s", name, value);
    if (!(l = curl_slist_append(x->request, line)))
        return VG_ENOMEM;
    x->request = l;
    return VG_OK;
}

int vg_fetcher_submit(struct vg_fetcher *f, const char *url,
                      enum vg_fetch_kind kind, void *ctx)
{
    return vg_fetcher_submit_req(f, url, kind, NULL, ctx);
}

int vg_fetcher_submit_req(struct vg_fetcher *f, const char *url,
                          enum vg_fetch_kind kind,
                          const struct vg_fetch_req *req, void *ctx)
{
    struct xfer *x = vg_calloc(1, sizeof(*x));
    int rc;

    if (!x || !(x->url = vg_strdup(url))) {
        vg_free(x);
        return VG_ENOMEM;
    }
    if (req &&
        ((rc = add_header(x, "If-None-Match", req->if_none_match)) ||
         (rc = add_header(x, "If-Modified-Since", req->if_modified_since)))) {
        curl_slist_free_all(x->request);
        vg_free(x->url);
        vg_free(x);
        return rc;
    }
    x->head = req && req->head;
    x->f = f;
    x->kind = kind;
    x->ctx = ctx;
    if (f->tail)
        f->tail->next = x;
    else
        f->head = x;
    f->tail = x;
    f->waiting++;
    return VG_OK;
}

size_t vg_fetcher_pending(const struct vg_fetcher *f)
{
    return f->waiting + f->running;
}

void vg_fetcher_hold(struct vg_fetcher *f, size_t n)
{
    f->extra += n;
}

void vg_fetcher_release(struct vg_fetcher *f, size_t n)
{
    f->extra -= n < f->extra ? n : f->extra;
}

/* Bytes counted against the budget. */
static size_t used(const struct vg_fetcher *f)
{
    return f->bodies + f->ghosts + f->extra;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    struct vg_fetcher *f = x->f;

    n *= size;
    if (!x->body_seen) {
        /* the body's response is not encoded: libcurl keeps little */
        x->body_seen = 1;
        if (!memmem(x->headers.data ? x->headers.data : "", x->headers.len,
                    "content-encoding:", 17)) {
            f->ghosts -= x->ghost;
            x->ghost = 0;
        }
    }
    if (x->too_large || x->oom || x->body.len + n > x->body.cap) {
        x->too_large = !x->oom;
        return 0; /* stops the transfer: CURLE_WRITE_ERROR */
    }
    if (used(f) - x->ghost + n > f->o.max_inflight_bytes) {
        /* wait for room (libcurl keeps the rest of this read) */
        if (!x->since)
            x->since = ++f->ticks;
        x->paused = 1;
        x->need = n;
        f->paused++;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (body_append(&x->body, data, n)) {
        x->oom = 1;
        return 0;
    }
    x->since = 0;
    x->held += n;
    f->bodies += n;
    return n;
}

/*
 * Stop the youngest transfer other than keep that holds bytes, and queue it
 * again at the head, to start from the beginning (0: there is none).
 */
static int evict(struct vg_fetcher *f, struct xfer *keep)
{
    struct xfer *v = NULL;

    for (struct xfer *a = f->active; a; a = a->next)
        if (a != keep && (a->held || a->ghost) &&
            (!v || a->started > v->started))
            v = a;
    if (!v)
        return 0;
    for (struct xfer **p = &f->active; *p; p = &(*p)->next)
        if (*p == v) {
            *p = v->next;
            break;
        }
    f->running--;
    curl_multi_remove_handle(f->m, v->h);
    curl_easy_cleanup(v->h);
    v->h = NULL;
    f->bodies -= v->held;
    f->ghosts -= v->ghost;
    f->paused -= v->paused != 0;
    body_fini(&v->body);
    vg_buf_fini(&v->headers);
    v->held = v->need = v->ghost = 0;
    v->body_seen = 0;
    v->paused = v->too_large = v->refused_private = v->oom = 0;
    v->bad_encoding = 0;
    v->since = 0;
    v->errbuf[0] = 0;
    if (!(v->next = f->head))
        f->tail = v;
    f->head = v;
    f->waiting++;
    return 1;
}

/* The lead if there is one, else the transfer waiting longest, or NULL. */
static struct xfer *next_waiting(struct vg_fetcher *f)
{
    struct xfer *x = NULL;

    if (f->lead)
        return f->lead->paused ? f->lead : NULL;
    for (struct xfer *a = f->active; a; a = a->next)
        if (a->paused && (!x || a->since < x->since))
            x = a;
    return x;
}

/*
 * Paused transfers go on, the longest waiting first, while their writes
 * fit.  When one does not and nothing the caller holds will be freed, it
 * becomes the lead and younger transfers make room for it (evict).  Each
 * delivers what libcurl kept at once, and may pause again.
 */
static void resume(struct vg_fetcher *f)
{
    size_t budget = f->o.max_inflight_bytes;
    struct xfer *x;

    while ((x = next_waiting(f))) {
        /* libcurl hands on what it kept CURL_MAX_WRITE_SIZE at a time */
        size_t need = x->need > CURL_MAX_WRITE_SIZE ? x->need
                                                    : CURL_MAX_WRITE_SIZE;
        if (used(f) - x->ghost + x->need > budget) {
            if (f->extra)
                break; /* hashing frees bytes */
            f->lead = x;
            while (used(f) - x->ghost + need > budget && evict(f, x))
                ;
        }
        x->paused = 0;
        f->paused--;
        curl_easy_pause(x->h, CURLPAUSE_CONT); /* a write error: on_body's */
        if (x->paused)
            break; /* what libcurl kept does not fit yet */
    }
}

/* 1 if resume would let a transfer go on. */
static int resumable(struct vg_fetcher *f)
{
    struct xfer *x = next_waiting(f);

    return x && (!f->extra ||
                 used(f) - x->ghost + x->need <= f->o.max_inflight_bytes);
}

/*
 * The read size: libcurl decodes a whole read even for a paused transfer,
 * up to about 1032 times its size for gzip; with every transfer paused
 * that would be half the budget (16 KiB at most, 1 KiB at least).
 */
static long buf_size(const struct vg_fetch_opts *o)
{
    size_t n = o->max_inflight_bytes / 2 / 1032 / o->max_in_flight;

    return n < 1024 ? 1024 : n > 16384 ? 16384 : (long)n;
}

/*
 * What libcurl may keep for a paused transfer: the rest of a read,
 * decoded.  Reserved in the budget from a transfer's start until its body
 * turns out not to be encoded, else to its end.
 */
static size_t ghost_size(const struct vg_fetch_opts *o)
{
    return (size_t)buf_size(o) * 1032;
}

/* The response headers kept as evidence (and Retry-After, for politeness). */
static const char *const kept_headers[] = {"content-type",
                                           "content-length",
                                           "content-encoding",
                                           "last-modified",
                                           "etag",
                                           "server",
                                           "date",
                                           "location",
                                           "retry-after",
                                           "x-powered-by",
                                           "via",
                                           "cf-ray",
                                           "x-cache",
                                           "x-served-by"};

#define MAX_HEADERS_BYTES 4096

/*
 * 1 if ref (resolved against base, if given) names its host by an IP
 * address literal that is not public.  Host names are not resolved (with a
 * proxy, the proxy resolves them); a URL libcurl cannot parse is libcurl's
 * to refuse.
 */
static int private_literal(const char *base, const char *ref)
{
    CURLU *u = curl_url();
    char *host = NULL, ip[INET6_ADDRSTRLEN + 2];
    unsigned char bin[16];
    size_t n;
    int bad = 0;

    if (!u)
        return 1; /* out of memory: refuse rather than guess */
    if ((!base || !curl_url_set(u, CURLUPART_URL, base, 0)) &&
        !curl_url_set(u, CURLUPART_URL, ref, 0) &&
        !curl_url_get(u, CURLUPART_HOST, &host, 0) && host &&
        (n = strlen(host)) < sizeof(ip)) {
        if (n > 2 && host[0] == '[' && host[n - 1] == ']')
            snprintf(ip, sizeof(ip), "%.*s", (int)(n - 2), host + 1);
        else
            snprintf(ip, sizeof(ip), "%s", host);
        bad = (inet_pton(AF_INET, ip, bin) == 1 ||
               inet_pton(AF_INET6, ip, bin) == 1) &&
              !vg_netaddr_text_is_public(ip);
    }
    curl_free(host);
    curl_url_cleanup(u);
    return bad;
}

/* Through a proxy: a redirect's Location naming a private literal stops
   the transfer before libcurl follows it (0: refused). */
static int location_allowed(struct xfer *x, const char *data, size_t len)
{
    char loc[8192], *base = NULL;
    size_t v = 9, end = len;
    long status = 0;

    if (!x->f->o.proxy || x->f->o.allow_private || len < 9 ||
        strncasecmp(data, "location:", 9))
        return 1;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (status < 300 || status > 399)
        return 1;
    while (v < end && (data[v] == ' ' || data[v] == '\t'))
        v++;
    while (end > v && (data[end - 1] == '\r' || data[end - 1] == '\n' ||
                       data[end - 1] == ' '))
        end--;
    if (end - v >= sizeof(loc))
        return 1; /* libcurl refuses such a URL itself */
    snprintf(loc, sizeof(loc), "%.*s", (int)(end - v), data + v);
    curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &base);
    if (!private_literal(base, loc))
        return 1;
    x->refused_private = 1;
    return 0;
}

/*
 * 1 unless a Content-Encoding header (data, len) names a coding other than
 * gzip and deflate: libcurl would decode brotli or zstd too, whatever was
 * asked for, and one read of those can expand past the budget's reserve.
 */
static int encoding_allowed(const char *data, size_t len)
{
    static const char *const ok[] = {"gzip", "x-gzip", "deflate", "identity"};
    size_t i = 17, j;

    if (len < 17 || strncasecmp(data, "content-encoding:", 17))
        return 1;
    while (i < len) {
        while (i < len && strchr(" \t,\r\n", data[i]))
            i++;
        for (j = i; j < len && !strchr(" \t,\r\n", data[j]);)
            j++;
        if (j > i) {
            size_t k = 0;
            while (k < 4 && (strlen(ok[k]) != j - i ||
                             strncasecmp(ok[k], data + i, j - i)))
                k++;
            if (k == 4)
                return 0;
        }
        i = j;
    }
    return 1;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n, name;
    const char *colon = memchr(data, ':', len);

    if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
        x->headers.len = 0; /* a new response (after a redirect or 100) */
        return len;
    }
    if (!colon)
        return len;
    if (!encoding_allowed(data, len)) {
        x->bad_encoding = 1;
        return 0; /* stops the transfer: CURLE_WRITE_ERROR */
    }
    if (!location_allowed(x, data, len))
        return 0; /* stops the transfer: CURLE_WRITE_ERROR */
    name = (size_t)(colon - data);
    for (size_t i = 0; i < sizeof(kept_headers) / sizeof(*kept_headers); i++) {
        size_t v = name + 1, end = len;
        if (strlen(kept_headers[i]) != name ||
            strncasecmp(kept_headers[i], data, name))
            continue;
        while (v < end && (data[v] == ' ' || data[v] == '\t'))
            v++;
        while (end > v && (data[end - 1] == '\r' || data[end - 1] == '\n' ||
                           data[end - 1] == ' '))
            end--;
        if (end - v > MAX_HEADER_VALUE)
            end = v + MAX_HEADER_VALUE;
        if (x->headers.len + name + (end - v) + 3 > MAX_HEADERS_BYTES)
            break;
        /* lowercase name, ": ", value, "\n"; control bytes dropped */
        for (size_t k = 0; k < name; k++) {
            char c = kept_headers[i][k];
            vg_buf_append(&x->headers, &c, 1);
        }
        vg_buf_append(&x->headers, ": ", 2);
        for (size_t k = v; k < end; k++)
            if ((unsigned char)data[k] >= 0x20 && data[k] != 0x7f)
                vg_buf_append(&x->headers, &data[k], 1);
        vg_buf_append(&x->headers, "\n", 1);
        break;
    }
    return len;
}

/* 1 if sa, as "IP:PORT" or "[IPv6]:PORT", is an item of list (commas). */
static int listed_addr(const char *list, const struct sockaddr *sa)
{
    char ip[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 9];
    const void *bin;
    unsigned port;
    size_t n;

    if (!list || !sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in =
            (const struct sockaddr_in *)(const void *)sa;
        bin = &in->sin_addr;
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 =
            (const struct sockaddr_in6 *)(const void *)sa;
        bin = &in6->sin6_addr;
        port = ntohs(in6->sin6_port);
    } else {
        return 0;
    }
    if (!inet_ntop(sa->sa_family, bin, ip, sizeof(ip)))
        return 0;
    snprintf(text, sizeof(text),
             sa->sa_family == AF_INET ? "%s:%u" : "[%s]:%u", ip, port);
    n = strlen(text);
    for (const char *p = list; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && !memcmp(p, text, n))
            return 1;
        p += len + (comma != NULL);
    }
    return 0;
}

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose,
                                    struct curl_sockaddr *a)
{
    struct xfer *x = arg;

    (void)purpose;
    /* an address allowed on purpose (tests), never through a proxy */
    if (!x->f->o.proxy && listed_addr(x->f->o.allow_addrs, &a->addr))
        return socket(a->family, a->socktype, a->protocol);
    if (x->refused_private || (!x->f->o.allow_private && !x->f->o.proxy &&
                               !vg_netaddr_is_public(&a->addr))) {
        x->refused_private = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(a->family, a->socktype, a->protocol);
}

static int start(struct vg_fetcher *f, struct xfer *x)
{
    const struct vg_fetch_opts *o = &f->o;
    size_t cap = x->kind == VG_FETCH_MEDIA ? o->max_media_bytes
                                           : o->max_page_bytes;
    CURL *h = curl_easy_init();

    if (!h)
        return VG_ENOMEM;
    if (cap > o->max_inflight_bytes)
        cap = o->max_inflight_bytes; /* no body larger than the budget */
    x->h = h;
    x->body.cap = cap;
    vg_buf_init(&x->headers, MAX_HEADERS_BYTES + 1);
    /* through a proxy, a private literal is refused by the open-socket
       callback, on a connection of its own (none reused) */
    x->refused_private = o->proxy && !o->allow_private &&
                         private_literal(NULL, x->url);
    if (curl_easy_setopt(h, CURLOPT_URL, x->url) ||
        curl_easy_setopt(h, CURLOPT_PROXY, o->proxy ? o->proxy : "") ||
        (o->proxy && curl_easy_setopt(h, CURLOPT_NOPROXY, "")) ||
        (x->refused_private &&
         curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L)) ||
        curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)x) ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) ||
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)o->max_redirects) ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         o->connect_timeout_ms) ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->total_timeout_ms) ||
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes) ||
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->low_speed_seconds) ||
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap) ||
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip, deflate") ||
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, buf_size(o)) ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent) ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf) ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, x) ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, x) ||
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket) ||
        curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, x) ||
        (x->head && curl_easy_setopt(h, CURLOPT_NOBODY, 1L)) ||
        (x->request && curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->request)) ||
        curl_multi_add_handle(f->m, h))
        return VG_ENOMEM;
    x->started = ++f->ticks;
    x->ghost = ghost_size(o); /* until its body shows no encoding */
    f->ghosts += x->ghost;
    x->next = f->active;
    f->active = x;
    f->running++;
    return VG_OK;
}

const char *vg_fetch_error_name(enum vg_fetch_error e)
{
    static const char *const names[] = {"ok",        "too-large", "timeout",
                                        "redirects", "scheme",    "private",
                                        "dns",       "connect",   "other"};

    return (unsigned)e < sizeof(names) / sizeof(*names) ? names[e] : "other";
}

static enum vg_fetch_error classify(const struct xfer *x, CURLcode cc)
{
    if (x->refused_private && cc != CURLE_OK)
        return VG_FETCH_PRIVATE;
    if (x->too_large) /* also when seen while resuming, whatever came next */
        return VG_FETCH_TOO_LARGE;
    if (x->oom)
        return VG_FETCH_OTHER;
    switch (cc) {
    case CURLE_OK:
        return VG_FETCH_OK;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        return x->too_large || cc == CURLE_FILESIZE_EXCEEDED
                   ? VG_FETCH_TOO_LARGE
                   : VG_FETCH_OTHER;
    case CURLE_OPERATION_TIMEDOUT:
        return VG_FETCH_TIMEOUT;
    case CURLE_TOO_MANY_REDIRECTS:
        return VG_FETCH_REDIRECTS;
    case CURLE_UNSUPPORTED_PROTOCOL:
        return VG_FETCH_SCHEME;
    case CURLE_COULDNT_RESOLVE_HOST:
        return VG_FETCH_DNS;
    case CURLE_COULDNT_CONNECT:
        return x->refused_private ? VG_FETCH_PRIVATE : VG_FETCH_CONNECT;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
        return VG_FETCH_CONNECT;
    default:
        return x->refused_private ? VG_FETCH_PRIVATE : VG_FETCH_OTHER;
    }
}

/* The value of a kept header (name lowercase), copied into buf, or NULL. */
static const char *header_value(const char *headers, const char *name,
                                char *buf, size_t n)
{
    size_t len = strlen(name);

    for (const char *p = headers; *p;) {
        const char *eol = strchr(p, '\n');
        size_t line = eol ? (size_t)(eol - p) : strlen(p);
        if (line > len + 2 && !memcmp(p, name, len) && p[len] == ':') {
            size_t v = line - len - 2;
            if (v >= n)
                v = n - 1;
            memcpy(buf, p + len + 2, v);
            buf[v] = 0;
            return buf;
        }
        p += line + (eol != NULL);
    }
    return NULL;
}

static int finish(struct vg_fetcher *f, struct xfer *x, CURLcode cc,
                  int (*done)(void *, const struct vg_fetch_result *),
                  void *arg)
{
    struct vg_fetch_result r;
    char retry_after[MAX_HEADER_VALUE + 1];
    char *s = NULL;
    double secs = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    r.url = x->url;
    r.kind = x->kind;
    r.ctx = x->ctx;
    r.error = classify(x, cc);
    r.error_text =
        r.error == VG_FETCH_OK ? NULL
        : r.error == VG_FETCH_TOO_LARGE
            ? (x->body.cap < (x->kind == VG_FETCH_MEDIA ? f->o.max_media_bytes
                                                        : f->o.max_page_bytes)
                   ? "body over the in-flight byte budget (after "
                     "decompression)"
                   : "body over the size limit (after "
                     "decompression)")
        : x->oom                      ? "out of memory"
        : r.error == VG_FETCH_PRIVATE ? "refused: not a public address"
        : x->bad_encoding ? "refused: a Content-Encoding other than gzip and "
                            "deflate (not asked for)"
        : x->errbuf[0]    ? x->errbuf
                          : curl_easy_strerror(cc);
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &r.status);
    if (!curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &s))
        r.final_url = s;
    s = NULL;
    if (!curl_easy_getinfo(x->h, CURLINFO_CONTENT_TYPE, &s))
        r.content_type = s;
    s = NULL;
    if (!curl_easy_getinfo(x->h, CURLINFO_PRIMARY_IP, &s) && s && *s)
        r.server_ip = s;
    if (vg_buf_append(&x->headers, "", 1) == VG_OK) {
        r.headers = x->headers.data;
        r.retry_after = header_value(r.headers, "retry-after", retry_after,
                                     sizeof(retry_after));
    } else {
        r.headers = "";
    }
    curl_easy_getinfo(x->h, CURLINFO_TOTAL_TIME, &secs);
    r.seconds = secs;
    r.body = x->body.data ? x->body.data : "";
    r.len = x->body.len;
    rc = done(arg, &r);
    for (struct xfer **p = &f->active; *p; p = &(*p)->next)
        if (*p == x) {
            *p = x->next;
            break;
        }
    f->running--;
    xfer_free(x);
    return rc;
}

void vg_fetcher_wakeup(struct vg_fetcher *f)
{
    curl_multi_wakeup(f->m);
}

int vg_fetcher_run(struct vg_fetcher *f, long wait_ms,
                   int (*done)(void *arg, const struct vg_fetch_result *r),
                   void *arg)
{
    CURLMsg *msg;
    int still = 0, left = 0, rc = VG_OK;

    resume(f);
    /* with the budget spent or a lead, what waits waits (it would pause) */
    while (f->head && f->running < f->o.max_in_flight && !f->lead &&
           (used(f) + ghost_size(&f->o) <= f->o.max_inflight_bytes ||
            (!f->running && !f->extra))) {
        struct xfer *x = f->head;
        if (!(f->head = x->next))
            f->tail = NULL;
        f->waiting--;
        if ((rc = start(f, x))) {
            xfer_free(x);
            return rc;
        }
    }
    /*
     * Wait only if the first round finished nothing (answers from a fast
     * server often arrive within it); with nothing in flight, poll still
     * waits, for wait_ms or a wakeup.
     */
    if (curl_multi_perform(f->m, &still))
        return VG_EIO;
    if ((size_t)still >= f->running && !resumable(f) &&
        (curl_multi_poll(f->m, NULL, 0, (int)wait_ms, NULL) ||
         curl_multi_perform(f->m, &still)))
        return VG_EIO;
    while (!rc && (msg = curl_multi_info_read(f->m, &left))) {
        struct xfer *x = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        rc = finish(f, x, msg->data.result, done, arg);
    }
    return rc;
}
