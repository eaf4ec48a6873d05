/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server over GNU libmicrohttpd 0.9.75 (include/vigil/http.h):
 * daemon set-up with every limit explicit, per-request state, routing,
 * the form decoder and the response helpers.  Static files are in
 * http_static.c.
 * A request goes through libmicrohttpd's callbacks in this order: uri_cb
 * (the raw request target, before any decoding: our per-request state is
 * made here and the request counted as in flight), on_request first call
 * (headers known: path decoding, routing, 404/405, 415 for multipart
 * unless the route accepts it, 413 from Content-Length against the
 * route's cap, the query string; answering here makes
 * libmicrohttpd skip the body and close the connection), further calls
 * with body bytes (appended to a buffer capped at max_body; past it the
 * connection is dropped), a last call (form or multipart decoding, the
 * handler, the answer), and completed_cb (state freed, no longer in flight).
 * Invariants: every response built here carries the security headers
 * (a handler's header of the same name wins); the route table is
 * immutable while the daemon runs; no client address or path is logged.
 * RFCs: 9110 (semantics), 9112 (HTTP/1.1), 6265 (cookies); the form
 * decoder follows the WHATWG URL standard's urlencoded parser, but strict
 * about percent-encoding, NUL and UTF-8.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "vigil/algo.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "web/http_int.h"

#define DEF_LISTEN "127.0.0.1:8080"

static const char *const SEC_HEADERS[][2] = {
    {"Content-Security-Policy",
     "default-src 'self'; img-src 'self' data:; style-src 'self'; "
     "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
     "form-action 'self'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cache-Control", "no-store"},
};

/* Headers libmicrohttpd owns (framing, connection management). */
static const char *const OWNED_HEADERS[] = {
    "Content-Length", "Transfer-Encoding", "Connection", "Date",
    "Keep-Alive",     "Upgrade",           "Trailer",    "TE",
};

struct route {
    char *method;
    char *path; /* exact path, or the prefix without its '*' */
    size_t path_len;
    int prefix;
    vg_http_handler fn;
    void *ctx;
    struct vg_http_upload up; /* up.max_body 0: the server's */
};

struct vg_http_server {
    struct vg_http_opts o;
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    int v6;
    struct route *routes;
    size_t nroutes;
    struct vg__http_static **dirs;
    size_t ndirs;
    struct MHD_Daemon *d;
    int listen_fd;  /* handed back by MHD_quiesce_daemon */
    char where[64]; /* the listen address, for messages */
    atomic_long inflight;
    atomic_int stopping;
};

/* Per-request state, from uri_cb to completed_cb. */
struct call {
    struct vg_http_server *srv;
    char *uri;  /* the raw request target */
    char *path; /* decoded */
    int started;
    const struct route *route;
    struct vg_buf body;
    char client[INET6_ADDRSTRLEN];
    struct vg_http_req req;
};

/* ---- small helpers ---- */

/*
 * Percent-decode s[0..n) into out (room for n bytes), '+' as a space if
 * plus.  -1 on a bad escape or a NUL byte, else the decoded length.
 */
static long pct_decode(const char *s, size_t n, int plus, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n || (hi = vg_hex_value(s[i + 1])) < 0 ||
                (lo = vg_hex_value(s[i + 2])) < 0)
                return -1;
            c = hi << 4 | lo;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        if (c == 0)
            return -1;
        out[o++] = (char)c;
    }
    return (long)o;
}

static int is_tchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return 0;
    return 1;
}

/* Printable ASCII, tab and bytes >= 0x80: no CR, LF or other control. */
static int is_field_value(const char *s)
{
    if (!s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* ---- the form decoder ---- */

int vg_http_form_parse(struct vg_http_form *form, const char *s, size_t len,
                       const struct vg_http_form_limits *lim,
                       struct vg_err *err)
{
    size_t maxf = lim && lim->max_fields ? lim->max_fields : 200;
    size_t maxn = lim && lim->max_name ? lim->max_name : 256;
    size_t maxv = lim && lim->max_value ? lim->max_value : (size_t)64 << 10;
    struct vg_http_field *f = NULL;
    char *mem = NULL, *o;
    size_t nseg = 0, i, j, k = 0;
    int rc = VG_OK;

    form->fields = NULL;
    form->count = 0;
    form->mem_ = NULL;
    if (!s && len)
        return vg_err_set(err, VG_EINVAL, "form: NULL input");
    /* count the pairs first, so the cap holds before anything is allocated */
    for (i = 0; i < len; i = j + 1) {
        const char *amp = memchr(s + i, '&', len - i);
        j = amp ? (size_t)(amp - s) : len;
        nseg += j > i;
    }
    if (nseg > maxf)
        return vg_err_set(err, VG_ETOOBIG, "form: more than %zu fields", maxf);
    if (!nseg)
        return VG_OK;
    /* decoded text never outgrows the input; each pair adds two NULs */
    if (!(f = vg_calloc(nseg, sizeof(*f))) ||
        !(mem = vg_malloc(len + 2 * nseg + 1))) {
        rc = vg_err_set(err, VG_ENOMEM, "form: out of memory");
        goto fail;
    }
    o = mem;
    for (i = 0; i < len; i = j + 1) {
        const char *amp = memchr(s + i, '&', len - i), *eq;
        size_t nlen;
        long dn, dv;

        j = amp ? (size_t)(amp - s) : len;
        if (j == i)
            continue;
        eq = memchr(s + i, '=', j - i);
        nlen = eq ? (size_t)(eq - (s + i)) : j - i;
        if ((dn = pct_decode(s + i, nlen, 1, o)) < 0) {
            rc = vg_err_set(err, VG_EFORMAT, "form: bad percent-encoding");
            goto fail;
        }
        f[k].name = o;
        f[k].name_len = (size_t)dn;
        o[dn] = '\0';
        o += dn + 1;
        dv = 0;
        if (eq && (dv = pct_decode(eq + 1, j - i - nlen - 1, 1, o)) < 0) {
            rc = vg_err_set(err, VG_EFORMAT, "form: bad percent-encoding");
            goto fail;
        }
        f[k].value = o;
        f[k].value_len = (size_t)dv;
        o[dv] = '\0';
        o += dv + 1;
        if (f[k].name_len > maxn || f[k].value_len > maxv) {
            rc = vg_err_set(err, VG_ETOOBIG, "form: field %zu too long", k);
            goto fail;
        }
        if (vg_utf8_count(f[k].name, f[k].name_len) < 0 ||
            vg_utf8_count(f[k].value, f[k].value_len) < 0) {
            rc = vg_err_set(err, VG_EFORMAT, "form: field %zu not UTF-8", k);
            goto fail;
        }
        k++;
    }
    form->fields = f;
    form->count = k;
    form->mem_ = mem;
    return VG_OK;
fail:
    vg_free(f);
    vg_free(mem);
    return rc;
}

void vg_http_form_fini(struct vg_http_form *form)
{
    if (!form)
        return;
    vg_free(form->fields);
    vg_free(form->mem_);
    form->fields = NULL;
    form->mem_ = NULL;
    form->count = 0;
}

const char *vg_http_form_get(const struct vg_http_form *form, const char *name)
{
    size_t i;

    if (!form || !name)
        return NULL;
    for (i = 0; i < form->count; i++)
        if (!strcmp(form->fields[i].name, name))
            return form->fields[i].value;
    return NULL;
}

/* ---- responses ---- */

static void resp_clear_body(struct vg_http_resp *r)
{
    vg_free(r->body);
    r->body = NULL;
    r->len = 0;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

void vg__http_resp_init(struct vg_http_resp *r)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
}

void vg__http_resp_fini(struct vg_http_resp *r)
{
    size_t i;

    resp_clear_body(r);
    for (i = 0; i < r->nh; i++) {
        vg_free(r->h[i].name);
        vg_free(r->h[i].value);
    }
    r->nh = 0;
    r->status = 0;
}

/* Add or replace a header without checking name and value. */
static int resp_set_header(struct vg_http_resp *r, const char *name,
                           const char *value)
{
    char *n = NULL, *v = NULL;
    size_t i;
    int multi = !strcasecmp(name, "Set-Cookie");

    if (!(v = vg_strdup(value)))
        return VG_ENOMEM;
    for (i = 0; i < r->nh && !multi; i++)
        if (!strcasecmp(r->h[i].name, name)) {
            vg_free(r->h[i].value);
            r->h[i].value = v;
            return VG_OK;
        }
    if (r->nh == VG__HTTP_MAX_HEADERS) {
        vg_free(v);
        return VG_ETOOBIG;
    }
    if (!(n = vg_strdup(name))) {
        vg_free(v);
        return VG_ENOMEM;
    }
    r->h[r->nh].name = n;
    r->h[r->nh].value = v;
    r->nh++;
    return VG_OK;
}

const char *vg__http_resp_get_header(const struct vg_http_resp *r,
                                     const char *name)
{
    size_t i;

    for (i = 0; i < r->nh; i++)
        if (!strcasecmp(r->h[i].name, name))
            return r->h[i].value;
    return NULL;
}

int vg_http_resp_take(struct vg_http_resp *resp, int status,
                      const char *content_type, char *body, size_t len)
{
    int rc;

    if (status < 200 || status > 599 || (!body && len) ||
        (content_type && !is_field_value(content_type))) {
        vg_free(body);
        return VG_EINVAL;
    }
    if (content_type &&
        (rc = resp_set_header(resp, "Content-Type", content_type))) {
        vg_free(body);
        return rc;
    }
    resp_clear_body(resp);
    resp->status = status;
    resp->body = body;
    resp->len = len;
    return VG_OK;
}

static int resp_copy(struct vg_http_resp *resp, int status, const char *ctype,
                     const char *body, size_t len)
{
    char *copy = NULL;

    if (!body && len)
        return VG_EINVAL;
    if (len && !(copy = vg_malloc(len)))
        return VG_ENOMEM;
    if (len)
        memcpy(copy, body, len);
    return vg_http_resp_take(resp, status, ctype, copy, len);
}

int vg_http_resp_html(struct vg_http_resp *resp, int status, const char *body,
                      size_t len)
{
    return resp_copy(resp, status, "text/html; charset=utf-8", body, len);
}

int vg_http_resp_json(struct vg_http_resp *resp, int status, const char *body,
                      size_t len)
{
    return resp_copy(resp, status, "application/json", body, len);
}

int vg_http_resp_text(struct vg_http_resp *resp, int status, const char *body,
                      size_t len)
{
    return resp_copy(resp, status, "text/plain; charset=utf-8", body, len);
}

int vg__http_resp_file(struct vg_http_resp *resp, int status, int fd,
                       uint64_t off, uint64_t len)
{
    resp_clear_body(resp);
    resp->status = status;
    resp->fd = fd;
    resp->off = off;
    resp->flen = len;
    return VG_OK;
}

int vg_http_resp_redirect(struct vg_http_resp *resp, int status,
                          const char *location)
{
    int rc;

    if ((status != 301 && status != 302 && status != 303 && status != 307 &&
         status != 308) ||
        !location || !*location || !is_field_value(location))
        return VG_EINVAL;
    if ((rc = resp_set_header(resp, "Location", location)))
        return rc;
    return resp_copy(resp, status, NULL, NULL, 0);
}

int vg_http_resp_header(struct vg_http_resp *resp, const char *name,
                        const char *value)
{
    size_t i;

    if (!is_token(name) || !is_field_value(value))
        return VG_EINVAL;
    for (i = 0; i < sizeof(OWNED_HEADERS) / sizeof(*OWNED_HEADERS); i++)
        if (!strcasecmp(name, OWNED_HEADERS[i]))
            return VG_EINVAL;
    return resp_set_header(resp, name, value);
}

static int is_cookie_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' ||
            c == '\\')
            return 0;
    }
    return 1;
}

int vg_http_resp_cookie(struct vg_http_resp *resp, const char *name,
                        const char *value, const char *path, long max_age,
                        unsigned flags)
{
    struct vg_buf b;
    const char *p;
    int rc = VG_OK;

    if (!is_token(name) || !value || !is_cookie_value(value))
        return VG_EINVAL;
    for (p = path; p && *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f || *p == ';')
            return VG_EINVAL;
    vg_buf_init(&b, 4096);
    if ((rc = vg_buf_printf(&b, "%s=%s", name, value)))
        goto done;
    if (path && (rc = vg_buf_printf(&b, "; Path=%s", path)))
        goto done;
    if (max_age >= 0 && (rc = vg_buf_printf(&b, "; Max-Age=%ld", max_age)))
        goto done;
    if ((flags & VG_HTTP_COOKIE_HTTPONLY) &&
        (rc = vg_buf_puts(&b, "; HttpOnly")))
        goto done;
    if ((flags & VG_HTTP_COOKIE_SECURE) && (rc = vg_buf_puts(&b, "; Secure")))
        goto done;
    if (flags & VG_HTTP_COOKIE_STRICT)
        rc = vg_buf_puts(&b, "; SameSite=Strict");
    else if (flags & VG_HTTP_COOKIE_LAX)
        rc = vg_buf_puts(&b, "; SameSite=Lax");
    if (!rc)
        rc = resp_set_header(resp, "Set-Cookie", b.data);
done:
    vg_buf_fini(&b);
    return rc;
}

/* ---- request accessors ---- */

const char *vg_http_header(const struct vg_http_req *req, const char *name)
{
    return req && name
               ? MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name)
               : NULL;
}

const char *vg_http_cookie(const struct vg_http_req *req, const char *name)
{
    return req && name
               ? MHD_lookup_connection_value(req->conn_, MHD_COOKIE_KIND, name)
               : NULL;
}

const char *vg_http_query(const struct vg_http_req *req, const char *name)
{
    return req ? vg_http_form_get(&req->query, name) : NULL;
}

const char *vg_http_form_value(const struct vg_http_req *req, const char *name)
{
    return req ? vg_http_form_get(&req->form, name) : NULL;
}

/* ---- sending ---- */

static struct MHD_Response *build(struct vg_http_server *srv,
                                  struct vg_http_resp *r)
{
    struct MHD_Response *m = NULL;
    size_t i;
    int ok = 1;

    if (r->fd >= 0) {
        if ((m = MHD_create_response_from_fd_at_offset64(r->flen, r->fd,
                                                         r->off)))
            r->fd = -1; /* libmicrohttpd closes it */
    } else if ((m = MHD_create_response_from_buffer_with_free_callback(
                    r->len, r->body, vg_free))) {
        r->body = NULL;
        r->len = 0;
    }
    if (!m)
        return NULL;
    for (i = 0; i < r->nh && ok; i++)
        ok = MHD_add_response_header(m, r->h[i].name, r->h[i].value) ==
             MHD_YES;
    for (i = 0; i < sizeof(SEC_HEADERS) / sizeof(*SEC_HEADERS) && ok; i++)
        if (!vg__http_resp_get_header(r, SEC_HEADERS[i][0]))
            ok = MHD_add_response_header(m, SEC_HEADERS[i][0],
                                         SEC_HEADERS[i][1]) == MHD_YES;
    if (ok && atomic_load(&srv->stopping))
        ok = MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close") ==
             MHD_YES;
    if (!ok) {
        MHD_destroy_response(m);
        m = NULL;
    }
    return m;
}

/* Queue r (consumed) on conn. */
static enum MHD_Result send_resp(struct call *c, struct MHD_Connection *conn,
                                 struct vg_http_resp *r)
{
    struct MHD_Response *m = build(c->srv, r);
    enum MHD_Result ret = MHD_NO;

    if (m) {
        ret = MHD_queue_response(conn, (unsigned)r->status, m);
        MHD_destroy_response(m);
    }
    vg__http_resp_fini(r);
    return ret;
}

static const char *reason(int status)
{
    switch (status) {
    case 400:
        return "Bad Request\n";
    case 404:
        return "Not Found\n";
    case 405:
        return "Method Not Allowed\n";
    case 413:
        return "Content Too Large\n";
    case 415:
        return "Unsupported Media Type\n";
    default:
        return "Internal Server Error\n";
    }
}

/* A plain-text error answer, with Allow when allow is given. */
static enum MHD_Result send_error(struct call *c, struct MHD_Connection *conn,
                                  int status, const char *allow)
{
    struct vg_http_resp r;
    const char *txt = reason(status);

    vg__http_resp_init(&r);
    if (vg_http_resp_text(&r, status, txt, strlen(txt)) ||
        (allow && resp_set_header(&r, "Allow", allow))) {
        vg__http_resp_fini(&r);
        return MHD_NO;
    }
    return send_resp(c, conn, &r);
}

/* An error answer with its reason line, then the decoder's detail. */
static enum MHD_Result send_detail(struct call *c, struct MHD_Connection *conn,
                                   int status, const char *detail)
{
    struct vg_http_resp r;
    struct vg_buf b;
    enum MHD_Result ret = MHD_NO;

    if (status == 500 || !detail || !*detail)
        return send_error(c, conn, status, NULL);
    vg_buf_init(&b, 1024);
    vg__http_resp_init(&r);
    if (!vg_buf_printf(&b, "%s%s\n", reason(status), detail) &&
        !vg_http_resp_text(&r, status, b.data, b.len))
        ret = send_resp(c, conn, &r);
    else
        vg__http_resp_fini(&r);
    vg_buf_fini(&b);
    return ret;
}

/* ---- routing ---- */

static int route_matches(const struct route *rt, const char *path)
{
    return rt->prefix ? !strncmp(path, rt->path, rt->path_len)
                      : !strcmp(path, rt->path);
}

static int same_pattern(const struct route *a, const struct route *b)
{
    return a->prefix == b->prefix && !strcmp(a->path, b->path);
}

/*
 * The route for method and path.  NULL with *best NULL: no pattern matches
 * (404); NULL with *best set: the pattern matches but not the method (405).
 */
static const struct route *route_find(const struct vg_http_server *srv,
                                      const char *method, const char *path,
                                      const struct route **best)
{
    const struct route *b = NULL, *get = NULL;
    size_t i;

    for (i = 0; i < srv->nroutes; i++) {
        const struct route *rt = &srv->routes[i];
        if (!route_matches(rt, path))
            continue;
        if (!b || (b->prefix && !rt->prefix) ||
            (b->prefix && rt->prefix && rt->path_len > b->path_len))
            b = rt;
    }
    /* the root prefix (any other page) is no resource of its own:
     * another method there is 404, not 405 */
    *best = b && !(b->prefix && b->path_len <= 1) ? b : NULL;
    for (i = 0; b && i < srv->nroutes; i++) {
        const struct route *rt = &srv->routes[i];
        if (!same_pattern(rt, b))
            continue;
        if (!strcmp(rt->method, method))
            return rt;
        if (!strcmp(rt->method, "GET"))
            get = rt;
    }
    return !strcmp(method, "HEAD") ? get : NULL;
}

/* The Allow list of best's pattern into b. */
static int allow_list(const struct vg_http_server *srv,
                      const struct route *best, struct vg_buf *b)
{
    size_t i;
    int rc = VG_OK, get = 0, head = 0;

    for (i = 0; i < srv->nroutes && !rc; i++) {
        const struct route *rt = &srv->routes[i];
        if (!same_pattern(rt, best))
            continue;
        get |= !strcmp(rt->method, "GET");
        head |= !strcmp(rt->method, "HEAD");
        rc = vg_buf_printf(b, "%s%s", b->len ? ", " : "", rt->method);
    }
    if (!rc && get && !head)
        rc = vg_buf_puts(b, ", HEAD");
    return rc;
}

int vg_http_route(struct vg_http_server *srv, const char *method,
                  const char *path_pattern, vg_http_handler handler, void *ctx,
                  struct vg_err *err)
{
    return vg_http_route_upload(srv, method, path_pattern, handler, ctx, NULL,
                                err);
}

int vg_http_route_upload(struct vg_http_server *srv, const char *method,
                         const char *path_pattern, vg_http_handler handler,
                         void *ctx, const struct vg_http_upload *up,
                         struct vg_err *err)
{
    struct route rt = {0}, *grown;
    size_t n, i;
    const char *star;

    if (!srv || !handler || !is_token(method) || !path_pattern ||
        path_pattern[0] != '/')
        return vg_err_set(err, VG_EINVAL, "http: bad route");
    if (srv->d)
        return vg_err_set(err, VG_EBUSY,
                          "http: routes are fixed once started");
    n = strlen(path_pattern);
    star = strchr(path_pattern, '*');
    if (star && (star != path_pattern + n - 1 || n < 2 || star[-1] != '/'))
        return vg_err_set(err, VG_EINVAL, "http: '*' only as a final \"/*\"");
    rt.prefix = star != NULL;
    rt.path_len = rt.prefix ? n - 1 : n;
    rt.fn = handler;
    rt.ctx = ctx;
    if (up)
        rt.up = *up;
    for (i = 0; i < srv->nroutes; i++)
        if (srv->routes[i].prefix == rt.prefix &&
            srv->routes[i].path_len == rt.path_len &&
            !strncmp(srv->routes[i].path, path_pattern, rt.path_len) &&
            !strcmp(srv->routes[i].method, method))
            return vg_err_set(err, VG_EEXIST, "http: %s %s routed twice",
                              method, path_pattern);
    if (!(rt.method = vg_strdup(method)) ||
        !(rt.path = vg_malloc(rt.path_len + 1)) ||
        !(grown = vg_reallocarray(srv->routes, srv->nroutes + 1,
                                  sizeof(*grown)))) {
        vg_free(rt.method);
        vg_free(rt.path);
        return vg_err_set(err, VG_ENOMEM, "http: out of memory");
    }
    memcpy(rt.path, path_pattern, rt.path_len);
    rt.path[rt.path_len] = '\0';
    srv->routes = grown;
    srv->routes[srv->nroutes++] = rt;
    return VG_OK;
}

/* ---- libmicrohttpd callbacks ---- */

static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct vg_http_server *srv = cls;
    struct call *c;

    (void)conn;
    if (!(c = vg_calloc(1, sizeof(*c))))
        return NULL;
    if (!(c->uri = vg_strdup(uri ? uri : ""))) {
        vg_free(c);
        return NULL;
    }
    c->srv = srv;
    vg_buf_init(&c->body, srv->o.max_body);
    atomic_fetch_add(&srv->inflight, 1);
    return c;
}

static void completed_cb(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct vg_http_server *srv = cls;
    struct call *c = *con_cls;

    (void)conn;
    (void)toe;
    if (!c)
        return;
    *con_cls = NULL;
    vg_http_form_fini(&c->req.query);
    vg_http_form_fini(&c->req.form);
    vg_http_multipart_fini(&c->req.parts);
    vg_buf_fini(&c->body);
    vg_free(c->path);
    vg_free(c->uri);
    vg_free(c);
    atomic_fetch_sub(&srv->inflight, 1);
}

/* Does header value v name media type t (ignoring case and parameters)? */
static int media_is(const char *v, const char *t, size_t tlen)
{
    return v && !strncasecmp(v, t, tlen) &&
           (v[tlen] == '\0' || v[tlen] == ';' || v[tlen] == ' ' ||
            v[tlen] == '\t');
}

#define FORM_TYPE "application/x-www-form-urlencoded"
#define MULTIPART_TYPE "multipart/form-data"

/* First call: the headers are in, the body (if any) not yet read. */
static enum MHD_Result begin(struct call *c, struct MHD_Connection *conn,
                             const char *method)
{
    struct vg_http_server *srv = c->srv;
    const struct route *best;
    const char *q = strchr(c->uri, '?'), *v;
    size_t plen = q ? (size_t)(q - c->uri) : strlen(c->uri);
    long dn;
    int rc;

    c->req.method = method;
    c->req.conn_ = conn;
    if (!(c->path = vg_malloc(plen + 1)))
        return MHD_NO;
    /* a path is valid UTF-8 once decoded: handlers put it in pages and JSON */
    if (c->uri[0] != '/' || (dn = pct_decode(c->uri, plen, 0, c->path)) < 0 ||
        vg_utf8_count(c->path, (size_t)dn) < 0)
        return send_error(c, conn, 400, NULL);
    c->path[dn] = '\0';
    c->req.path = c->path;
    if (!(c->route = route_find(srv, method, c->path, &best))) {
        struct vg_buf allow;
        enum MHD_Result ret;
        if (!best)
            return send_error(c, conn, 404, NULL);
        vg_buf_init(&allow, 1024);
        ret = allow_list(srv, best, &allow)
                  ? MHD_NO
                  : send_error(c, conn, 405, allow.data);
        vg_buf_fini(&allow);
        return ret;
    }
    v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_CONTENT_TYPE);
    if (v && !strncasecmp(v, "multipart/", 10) &&
        !(c->route->up.multipart &&
          media_is(v, MULTIPART_TYPE, sizeof(MULTIPART_TYPE) - 1)))
        return send_error(c, conn, 415, NULL);
    /* the body buffer is still empty: it takes the route's cap */
    if (c->route->up.max_body)
        vg_buf_init(&c->body, c->route->up.max_body);
    v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (v) {
        /* libmicrohttpd has checked the syntax; only the size is ours */
        if (strtoull(v, NULL, 10) > c->body.cap)
            return send_error(c, conn, 413, NULL);
    }
    if (q && (rc = vg_http_form_parse(&c->req.query, q + 1, strlen(q + 1),
                                      &srv->o.form, NULL)))
        return send_error(c, conn,
                          rc == VG_ENOMEM    ? 500
                          : rc == VG_ETOOBIG ? 413
                                             : 400,
                          NULL);
    return MHD_YES;
}

/*
 * Decode the whole body by its Content-Type ctype: a form, or multipart
 * on a route that accepts it.  VG_OK, or the decoder's code with the
 * reason in why.
 */
static int decode_body(struct call *c, const char *ctype, struct vg_err *why)
{
    vg_err_clear(why);
    if (!c->route->up.max_body && /* an upload route's body is media */
        media_is(ctype, FORM_TYPE, sizeof(FORM_TYPE) - 1))
        return vg_http_form_parse(&c->req.form, c->body.data, c->body.len,
                                  &c->srv->o.form, why);
    if (c->route->up.multipart &&
        media_is(ctype, MULTIPART_TYPE, sizeof(MULTIPART_TYPE) - 1))
        return vg_http_multipart_parse(&c->req.parts, ctype, c->body.data,
                                       c->body.len, &c->route->up.parts, why);
    return VG_OK;
}

/* Last call: the whole body is in. */
static enum MHD_Result finish(struct call *c, struct MHD_Connection *conn)
{
    struct vg_http_server *srv = c->srv;
    const union MHD_ConnectionInfo *ci;
    struct vg_http_resp r;
    struct vg_err why;
    const char *ctype;
    int rc;

    if (!c->body.data && vg_buf_append(&c->body, "", 0))
        return MHD_NO;
    c->req.body = c->body.data;
    c->req.body_len = c->body.len;
    ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                        MHD_HTTP_HEADER_CONTENT_TYPE);
    if ((rc = decode_body(c, ctype, &why)))
        return send_detail(c, conn,
                           rc == VG_ENOMEM    ? 500
                           : rc == VG_ETOOBIG ? 413
                                              : 400,
                           why.msg);
    ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET,
                  &((const struct sockaddr_in *)(const void *)ci->client_addr)
                       ->sin_addr,
                  c->client, sizeof(c->client));
    else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6,
                  &((const struct sockaddr_in6 *)(const void *)ci->client_addr)
                       ->sin6_addr,
                  c->client, sizeof(c->client));
    c->req.client = c->client;
    vg__http_resp_init(&r);
    rc = c->route->fn(c->route->ctx, &c->req, &r);
    if (rc || !r.status) {
        if (srv->o.log)
            srv->o.log(srv->o.log_ctx,
                       rc ? vg_strerror(rc) : "http: handler set no status");
        vg__http_resp_fini(&r);
        return send_error(c, conn, 500, NULL);
    }
    return send_resp(c, conn, &r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct call *c = *con_cls;

    (void)cls;
    (void)url;
    (void)version;
    if (!c)
        return MHD_NO; /* uri_cb ran out of memory */
    if (!c->started) {
        c->started = 1;
        return begin(c, conn, method);
    }
    if (*upload_size) {
        /* past max_body without a Content-Length: drop the connection */
        if (vg_buf_append(&c->body, upload, *upload_size))
            return MHD_NO;
        *upload_size = 0;
        return MHD_YES;
    }
    return finish(c, conn);
}

static void log_cb(void *cls, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;

static void log_cb(void *cls, const char *fmt, va_list ap)
{
    struct vg_http_server *srv = cls;
    char line[512];
    size_t n;

    if (!srv->o.log)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    srv->o.log(srv->o.log_ctx, line);
}

/* ---- lifecycle ---- */

static int parse_listen(struct vg_http_server *srv, const char *s,
                        struct vg_err *err)
{
    char host[64];
    const char *colon = strrchr(s, ':'), *p;
    size_t hlen;
    unsigned long port = 0;

    if (!colon || !colon[1] || strlen(colon + 1) > 5)
        goto bad;
    for (p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            goto bad;
        port = port * 10 + (unsigned long)(*p - '0');
    }
    hlen = (size_t)(colon - s);
    if (port > 65535 || hlen < 1 || hlen >= sizeof(host))
        goto bad;
    if (s[0] == '[') {
        if (hlen < 3 || s[hlen - 1] != ']')
            goto bad;
        memcpy(host, s + 1, hlen - 2);
        host[hlen - 2] = '\0';
        srv->v6 = 1;
        srv->sa6.sin6_family = AF_INET6;
        srv->sa6.sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &srv->sa6.sin6_addr) != 1)
            goto bad;
    } else {
        memcpy(host, s, hlen);
        host[hlen] = '\0';
        srv->sa4.sin_family = AF_INET;
        srv->sa4.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &srv->sa4.sin_addr) != 1)
            goto bad;
    }
    return VG_OK;
bad:
    return vg_err_set(err, VG_EINVAL,
                      "http: listen address must be IPv4:PORT or "
                      "[IPv6]:PORT, not \"%.100s\"",
                      s);
}

int vg_http_new(const struct vg_http_opts *o, struct vg_http_server **out,
                struct vg_err *err)
{
    struct vg_http_server *srv = NULL;
    int rc;

    *out = NULL;
    if (!(srv = vg_calloc(1, sizeof(*srv))))
        return vg_err_set(err, VG_ENOMEM, "http: out of memory");
    if (o)
        srv->o = *o;
    if ((rc = parse_listen(srv, srv->o.listen ? srv->o.listen : DEF_LISTEN,
                           err)))
        goto fail;
    snprintf(srv->where, sizeof(srv->where), "%s",
             srv->o.listen ? srv->o.listen : DEF_LISTEN);
    srv->o.listen = NULL; /* not kept: the caller's string */
#define DEF(f, v)                                                             \
    if (!srv->o.f)                                                            \
        srv->o.f = (v);
    DEF(threads, 2)
    DEF(max_connections, 512)
    DEF(max_per_ip, 32)
    DEF(conn_memory, (size_t)64 << 10)
    DEF(timeout_s, 15)
    DEF(max_body, (size_t)1 << 20)
    DEF(form.max_fields, 200)
    DEF(form.max_name, 256)
    DEF(form.max_value, (size_t)64 << 10)
    DEF(stop_timeout_ms, 10000)
#undef DEF
    srv->listen_fd = -1;
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->stopping, 0);
    *out = srv;
    return VG_OK;
fail:
    vg_free(srv);
    return rc;
}

int vg_http_start(struct vg_http_server *srv, struct vg_err *err)
{
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC;
    const struct sockaddr *sa =
        srv->v6 ? (const struct sockaddr *)(const void *)&srv->sa6
                : (const struct sockaddr *)(const void *)&srv->sa4;

    if (srv->d)
        return vg_err_set(err, VG_EBUSY, "http: already running");
    if (srv->v6)
        flags |= MHD_USE_IPv6;
    if (srv->o.log)
        flags |= MHD_USE_ERROR_LOG;
    atomic_store(&srv->stopping, 0);
    srv->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, srv->o.threads,
        MHD_OPTION_CONNECTION_LIMIT, srv->o.max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->o.max_per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv->o.conn_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->o.timeout_s,
        MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_URI_LOG_CALLBACK, uri_cb,
        srv, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
        MHD_OPTION_EXTERNAL_LOGGER, log_cb, srv, MHD_OPTION_END);
    if (!srv->d)
        return vg_err_set(err, VG_EIO,
                          "http: cannot listen on %s (address in use?)",
                          srv->where);
    return VG_OK;
}

int vg_http_port(const struct vg_http_server *srv)
{
    const union MHD_DaemonInfo *di;

    if (!srv || !srv->d)
        return 0;
    di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    return di ? (int)di->port : 0;
}

int vg_http_stop(struct vg_http_server *srv)
{
    struct timespec tick = {0, 10 * 1000 * 1000};
    unsigned waited = 0;
    MHD_socket fd;
    int rc = VG_OK;

    if (!srv || !srv->d)
        return VG_OK;
    atomic_store(&srv->stopping, 1);
    fd = MHD_quiesce_daemon(srv->d);
    while (atomic_load(&srv->inflight) > 0 &&
           waited < srv->o.stop_timeout_ms) {
        nanosleep(&tick, NULL);
        waited += 10;
    }
    if (atomic_load(&srv->inflight) > 0)
        rc = VG_EBUSY;
    MHD_stop_daemon(srv->d);
    srv->d = NULL;
    /* only now: a pool thread may still have used it until the stop */
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    return rc;
}

int vg__http_add_static(struct vg_http_server *srv, struct vg__http_static *sd)
{
    struct vg__http_static **grown;

    if (!(grown = vg_reallocarray(srv->dirs, srv->ndirs + 1, sizeof(*grown))))
        return VG_ENOMEM;
    srv->dirs = grown;
    srv->dirs[srv->ndirs++] = sd;
    return VG_OK;
}

void vg__http_drop_static(struct vg_http_server *srv)
{
    if (srv->ndirs)
        vg__http_static_free(srv->dirs[--srv->ndirs]);
}

int vg__http_running(const struct vg_http_server *srv)
{
    return srv->d != NULL;
}

void vg_http_free(struct vg_http_server *srv)
{
    size_t i;

    if (!srv)
        return;
    vg_http_stop(srv);
    for (i = 0; i < srv->nroutes; i++) {
        vg_free(srv->routes[i].method);
        vg_free(srv->routes[i].path);
    }
    vg_free(srv->routes);
    for (i = 0; i < srv->ndirs; i++)
        vg__http_static_free(srv->dirs[i]);
    vg_free(srv->dirs);
    vg_free(srv);
}
