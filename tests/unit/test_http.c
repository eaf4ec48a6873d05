/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer against a real libcurl client on 127.0.0.1 (port 0):
 * routing (200, 404, 405 with Allow, prefix and exact, HEAD), the security
 * headers on every kind of answer, the form decoder on its own (with
 * allocation failures) and through the server (+, %XX, bad escapes, NUL,
 * a path not UTF-8 once decoded,
 * field count and length caps), the body cap (413 before reading, and a
 * chunked body cut off), a header past the memory limit, multipart (415),
 * a JSON body reaching the handler byte for byte, cookies with their
 * attributes, CR/LF injection refused, static files (types, ETag/304,
 * ranges 206/416, traversal by "..", "%2e%2e" and a symbolic link, dot
 * files), and a graceful stop with a slow request in flight.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/http.h"

#define CSP                                                                   \
    "default-src 'self'; img-src 'self' data:; style-src 'self'; "            \
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; "            \
    "form-action 'self'"

/* ---- a small libcurl client ---- */

struct reply {
    CURLcode rc;
    long status;
    char hdr[32768];
    size_t hlen;
    char *body;
    size_t blen;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    char *b = realloc(r->body, r->blen + sz * n + 1);

    if (!b)
        return 0;
    memcpy(b + r->blen, p, sz * n);
    r->body = b;
    r->blen += sz * n;
    r->body[r->blen] = '\0';
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = sz * n;

    /* only the last response's headers (after a 100 Continue) */
    if (k > 5 && !strncmp(p, "HTTP/", 5))
        r->hlen = 0;
    if (r->hlen + k < sizeof(r->hdr)) {
        memcpy(r->hdr + r->hlen, p, k);
        r->hlen += k;
        r->hdr[r->hlen] = '\0';
    }
    return k;
}

/* The value of response header name (first one), copied into out. */
static const char *hdr(const struct reply *r, const char *name, char *out,
                       size_t outsz)
{
    const char *p = r->hdr;
    size_t n = strlen(name);

    while ((p = strchr(p, '\n'))) {
        p++;
        if (!strncasecmp(p, name, n) && p[n] == ':') {
            const char *v = p + n + 1, *e;
            size_t len;
            while (*v == ' ')
                v++;
            e = strpbrk(v, "\r\n");
            len = e ? (size_t)(e - v) : strlen(v);
            if (len >= outsz)
                len = outsz - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return out;
        }
    }
    return NULL;
}

static int port;

/* method NULL = GET; headers NULL-terminated or NULL. */
static void req(const char *method, const char *path, const char *body,
                size_t blen, const char *const *headers, struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char url[8192];

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    if (method && !strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (method)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    for (; headers && *headers; headers++)
        hl = curl_slist_append(hl, *headers);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (!r->body)
        r->body = calloc(1, 1);
}

static void reply_free(struct reply *r)
{
    free(r->body);
    r->body = NULL;
}

static void get(const char *path, struct reply *r)
{
    req(NULL, path, NULL, 0, NULL, r);
}

/* Every security header, and Cache-Control as expected. */
static void check_security(const struct reply *r, const char *cache)
{
    char v[1024];

    TH_EQ_STR(hdr(r, "Content-Security-Policy", v, sizeof(v)), CSP);
    TH_EQ_STR(hdr(r, "X-Content-Type-Options", v, sizeof(v)), "nosniff");
    TH_EQ_STR(hdr(r, "Referrer-Policy", v, sizeof(v)), "same-origin");
    TH_EQ_STR(hdr(r, "X-Frame-Options", v, sizeof(v)), "DENY");
    TH_EQ_STR(hdr(r, "Cross-Origin-Opener-Policy", v, sizeof(v)),
              "same-origin");
    TH_EQ_STR(hdr(r, "Cache-Control", v, sizeof(v)), cache);
}

/* ---- handlers ---- */

static atomic_int calls;

static int h_hello(void *ctx, const struct vg_http_req *rq,
                   struct vg_http_resp *resp)
{
    (void)ctx;
    (void)rq;
    atomic_fetch_add(&calls, 1);
    return vg_http_resp_html(resp, 200, "<p>hello</p>", 12);
}

/* Echo the query and form fields as "name=[value]" lines. */
static int h_echo(void *ctx, const struct vg_http_req *rq,
                  struct vg_http_resp *resp)
{
    char out[4096];
    size_t i, n = 0;

    (void)ctx;
    atomic_fetch_add(&calls, 1);
    out[0] = '\0';
    for (i = 0; i < rq->query.count && n < sizeof(out); i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "q:%s=[%s]\n",
                              rq->query.fields[i].name,
                              rq->query.fields[i].value);
    for (i = 0; i < rq->form.count && n < sizeof(out); i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "f:%s=[%s]\n",
                              rq->form.fields[i].name,
                              rq->form.fields[i].value);
    return vg_http_resp_text(resp, 200, out, strlen(out));
}

/* Echo the raw body back as JSON content. */
static int h_json(void *ctx, const struct vg_http_req *rq,
                  struct vg_http_resp *resp)
{
    (void)ctx;
    atomic_fetch_add(&calls, 1);
    if (strcmp(rq->method, "POST") || rq->body[rq->body_len] != '\0')
        return VG_EINTERNAL;
    return vg_http_resp_json(resp, 201, rq->body, rq->body_len);
}

static int h_cookie(void *ctx, const struct vg_http_req *rq,
                    struct vg_http_resp *resp)
{
    const char *sid = vg_http_cookie(rq, "sid");
    int rc;

    (void)ctx;
    if ((rc = vg_http_resp_cookie(resp, "sid", "abc123", "/", 3600,
                                  VG_HTTP_COOKIE_HTTPONLY |
                                      VG_HTTP_COOKIE_SECURE |
                                      VG_HTTP_COOKIE_STRICT)) ||
        (rc = vg_http_resp_cookie(resp, "lang", "fr", NULL, -1, 0)))
        return rc;
    return vg_http_resp_text(resp, 200, sid ? sid : "-",
                             sid ? strlen(sid) : 1);
}

/* Try to smuggle CR/LF into headers; report what each call returned. */
static int h_inject(void *ctx, const struct vg_http_req *rq,
                    struct vg_http_resp *resp)
{
    char out[256];
    int a, b, c, d, e, f, g;

    (void)ctx;
    (void)rq;
    a = vg_http_resp_header(resp, "X-Test", "a\r\nSet-Cookie: evil=1");
    b = vg_http_resp_header(resp, "X-Test\r\nSet-Cookie", "evil=1");
    c = vg_http_resp_header(resp, "X-Test", "b\nX-Evil: 1");
    d = vg_http_resp_cookie(resp, "c", "x;evil=1", "/", -1, 0);
    e = vg_http_resp_cookie(resp, "c", "x", "/\r\nX-Evil: 1", -1, 0);
    f = vg_http_resp_header(resp, "Content-Length", "0");
    g = vg_http_resp_header(resp, "X-Fine", "ok");
    snprintf(out, sizeof(out), "%d %d %d %d %d %d %d", a == VG_EINVAL,
             b == VG_EINVAL, c == VG_EINVAL, d == VG_EINVAL, e == VG_EINVAL,
             f == VG_EINVAL, g == VG_OK);
    if (vg_http_resp_redirect(resp, 303, "/x\r\nX-Evil: 1") != VG_EINVAL)
        strcat(out, " redirect-accepted");
    return vg_http_resp_text(resp, 200, out, strlen(out));
}

static int h_redirect(void *ctx, const struct vg_http_req *rq,
                      struct vg_http_resp *resp)
{
    (void)ctx;
    (void)rq;
    return vg_http_resp_redirect(resp, 303, "/hello");
}

static int h_own_cache(void *ctx, const struct vg_http_req *rq,
                       struct vg_http_resp *resp)
{
    int rc;

    (void)ctx;
    (void)rq;
    if ((rc = vg_http_resp_header(resp, "Cache-Control", "max-age=60")))
        return rc;
    return vg_http_resp_text(resp, 200, "x", 1);
}

static int h_whoami(void *ctx, const struct vg_http_req *rq,
                    struct vg_http_resp *resp)
{
    const char *ua = vg_http_header(rq, "x-probe");
    char out[256];

    (void)ctx;
    snprintf(out, sizeof(out), "%s %s %s", rq->client, rq->path,
             ua ? ua : "-");
    return vg_http_resp_text(resp, 200, out, strlen(out));
}

static int h_fail(void *ctx, const struct vg_http_req *rq,
                  struct vg_http_resp *resp)
{
    (void)ctx;
    (void)rq;
    vg_http_resp_text(resp, 200, "partial", 7);
    return VG_EIO;
}

static int h_tag(void *ctx, const struct vg_http_req *rq,
                 struct vg_http_resp *resp)
{
    (void)rq;
    return vg_http_resp_text(resp, 200, ctx, strlen(ctx));
}

static atomic_int slow_entered;
static int slow_ms = 800;

static int h_slow(void *ctx, const struct vg_http_req *rq,
                  struct vg_http_resp *resp)
{
    struct timespec ts = {slow_ms / 1000, (long)(slow_ms % 1000) * 1000000L};

    (void)ctx;
    (void)rq;
    atomic_store(&slow_entered, 1);
    nanosleep(&ts, NULL);
    return vg_http_resp_text(resp, 200, "slow done", 9);
}

/* ---- the shared server ---- */

static struct vg_http_server *srv;
static char tmpdir[] = "/tmp/vg-http-XXXXXX";
static char wwwdir[64];

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(data, 1, n, f) != n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

/* www/ holds the static files; its parent a "secret" reachable only by
 * escaping it. */
static void make_tree(void)
{
    char p[256];
    unsigned char clip[1000];

    if (!mkdtemp(tmpdir))
        exit(2);
    snprintf(wwwdir, sizeof(wwwdir), "%s/www", tmpdir);
    mkdir(wwwdir, 0755);
    snprintf(p, sizeof(p), "%s/sub", wwwdir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/CMakeLists.txt", tmpdir);
    write_file(p, "secret outside\n", 15);
    snprintf(p, sizeof(p), "%s/site.css", wwwdir);
    write_file(p, "body{color:#123}\n", 17);
    for (size_t i = 0; i < sizeof(clip); i++)
        clip[i] = (unsigned char)(i * 7 + 3);
    snprintf(p, sizeof(p), "%s/clip.mp4", wwwdir);
    write_file(p, clip, sizeof(clip));
    snprintf(p, sizeof(p), "%s/sub/note.txt", wwwdir);
    write_file(p, "note\n", 5);
    snprintf(p, sizeof(p), "%s/.hidden.txt", wwwdir);
    write_file(p, "hidden\n", 7);
    snprintf(p, sizeof(p), "%s/empty.txt", wwwdir);
    write_file(p, "", 0);
    snprintf(p, sizeof(p), "%s/README", wwwdir);
    write_file(p, "no extension\n", 13);
    snprintf(p, sizeof(p), "%s/link.txt", wwwdir);
    if (symlink("../CMakeLists.txt", p))
        exit(2);
    snprintf(p, sizeof(p), "%s/sublink", wwwdir);
    if (symlink("..", p))
        exit(2);
}

static void rm_tree(void)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd))
        fprintf(stderr, "cannot remove %s\n", tmpdir);
}

static int start_shared(void)
{
    struct vg_http_opts o = {0};
    struct vg_err err = {0};
    int ok;

    o.listen = "127.0.0.1:0";
    o.max_body = 4096;
    o.conn_memory = 16 << 10;
    o.form.max_fields = 10;
    o.form.max_value = 100;
    o.form.max_name = 20;
    ok = vg_http_new(&o, &srv, &err) == VG_OK &&
         !vg_http_route(srv, "GET", "/hello", h_hello, NULL, &err) &&
         !vg_http_route(srv, "POST", "/form", h_echo, NULL, &err) &&
         !vg_http_route(srv, "GET", "/q", h_echo, NULL, &err) &&
         !vg_http_route(srv, "POST", "/api", h_json, NULL, &err) &&
         !vg_http_route(srv, "PUT", "/api", h_json, NULL, &err) &&
         !vg_http_route(srv, "GET", "/cookie", h_cookie, NULL, &err) &&
         !vg_http_route(srv, "GET", "/inject", h_inject, NULL, &err) &&
         !vg_http_route(srv, "GET", "/go", h_redirect, NULL, &err) &&
         !vg_http_route(srv, "GET", "/cached", h_own_cache, NULL, &err) &&
         !vg_http_route(srv, "GET", "/fail", h_fail, NULL, &err) &&
         !vg_http_route(srv, "GET", "/who/*", h_whoami, NULL, &err) &&
         !vg_http_route(srv, "GET", "/p/*", h_tag, "prefix", &err) &&
         !vg_http_route(srv, "GET", "/p/deep/*", h_tag, "deep", &err) &&
         !vg_http_route(srv, "POST", "/p/x", h_tag, "exact", &err) &&
         !vg_http_static(srv, "/static/", wwwdir, &err) &&
         !vg_http_start(srv, &err);
    if (!ok) {
        fprintf(stderr, "server: %s\n", err.msg);
        return -1;
    }
    port = vg_http_port(srv);
    return port > 0 ? 0 : -1;
}

/* ---- tests ---- */

static void test_form_decoder(void)
{
    struct vg_http_form f;
    struct vg_http_form_limits lim = {3, 8, 16};
    static const char *const bad[] = {"a=%zz", "a=%4",  "a=%",     "%g0=1",
                                      "a=%00", "a=%C3", "a=%ff%fe"};

    TH_EQ_INT(vg_http_form_parse(&f, "a=1&b=x+y%21&&c=%C3%A9&d&=e&a=2", 31,
                                 NULL, NULL),
              VG_OK);
    TH_EQ_INT(f.count, 6);
    if (f.count == 6) {
        TH_EQ_STR(f.fields[0].value, "1");
        TH_EQ_STR(f.fields[1].value, "x y!");
        TH_EQ_STR(f.fields[2].value, "\xc3\xa9");
        TH_EQ_INT(f.fields[2].value_len, 2);
        TH_EQ_STR(f.fields[3].name, "d");
        TH_EQ_STR(f.fields[3].value, "");
        TH_EQ_STR(f.fields[4].name, "");
        TH_EQ_STR(f.fields[4].value, "e");
    }
    TH_EQ_STR(vg_http_form_get(&f, "a"), "1");
    TH_CHECK(vg_http_form_get(&f, "zz") == NULL);
    vg_http_form_fini(&f);
    /* a '=' in the value stays, the length bound is respected */
    TH_EQ_INT(vg_http_form_parse(&f, "k=a=b&z=9", 5, NULL, NULL), VG_OK);
    TH_EQ_INT(f.count, 1);
    TH_EQ_STR(vg_http_form_get(&f, "k"), "a=b");
    vg_http_form_fini(&f);
    TH_EQ_INT(vg_http_form_parse(&f, "", 0, NULL, NULL), VG_OK);
    TH_EQ_INT(f.count, 0);
    vg_http_form_fini(&f);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        TH_EQ_INT(vg_http_form_parse(&f, bad[i], strlen(bad[i]), NULL, NULL),
                  VG_EFORMAT);
        TH_EQ_INT(f.count, 0);
    }
    /* caps: fields, name length, value length (decoded bytes) */
    TH_EQ_INT(vg_http_form_parse(&f, "a&b&c", 5, &lim, NULL), VG_OK);
    vg_http_form_fini(&f);
    TH_EQ_INT(vg_http_form_parse(&f, "a&b&c&d", 7, &lim, NULL), VG_ETOOBIG);
    TH_EQ_INT(vg_http_form_parse(&f, "abcdefgh=1", 10, &lim, NULL), VG_OK);
    vg_http_form_fini(&f);
    TH_EQ_INT(vg_http_form_parse(&f, "abcdefghi=1", 11, &lim, NULL),
              VG_ETOOBIG);
    TH_EQ_INT(vg_http_form_parse(&f,
                                 "v=%41%41%41%41%41%41%41%41%41%41%41"
                                 "%41%41%41%41%41",
                                 50, &lim, NULL),
              VG_OK);
    vg_http_form_fini(&f);
    TH_EQ_INT(vg_http_form_parse(&f, "v=AAAAAAAAAAAAAAAAA", 19, &lim, NULL),
              VG_ETOOBIG);
}

static void test_form_decoder_nomem(void)
{
    const char *in = "a=1&b=2&c=%41";
    struct vg_http_form f;
    int rc = VG_ENOMEM;

    for (long n = 0; n < 10 && rc == VG_ENOMEM; n++) {
        vg_alloc_fail_after(n);
        rc = vg_http_form_parse(&f, in, strlen(in), NULL, NULL);
        vg_alloc_fail_after(-1);
        if (rc == VG_ENOMEM)
            TH_EQ_INT(f.count, 0);
    }
    TH_EQ_INT(rc, VG_OK);
    TH_EQ_INT(f.count, 3);
    vg_http_form_fini(&f);
}

static void test_lifecycle_errors(void)
{
    struct vg_http_server *s = NULL;
    struct vg_http_opts o = {0};
    struct vg_err err = {0};
    static const char *const bad[] = {"localhost:80",    "127.0.0.1",
                                      "127.0.0.1:65536", "[::1:80",
                                      "1.2.3:8",         ":8080",
                                      "127.0.0.1:8x"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        o.listen = bad[i];
        TH_EQ_INT(vg_http_new(&o, &s, &err), VG_EINVAL);
        TH_CHECK(s == NULL);
    }
    o.listen = "[::1]:0";
    TH_EQ_INT(vg_http_new(&o, &s, &err), VG_OK);
    TH_EQ_INT(vg_http_route(s, "GET", "/a*", h_hello, NULL, &err), VG_EINVAL);
    TH_EQ_INT(vg_http_route(s, "GET", "a", h_hello, NULL, &err), VG_EINVAL);
    TH_EQ_INT(vg_http_route(s, "G T", "/a", h_hello, NULL, &err), VG_EINVAL);
    TH_EQ_INT(vg_http_route(s, "GET", "/a", h_hello, NULL, &err), VG_OK);
    TH_EQ_INT(vg_http_route(s, "GET", "/a", h_hello, NULL, &err), VG_EEXIST);
    TH_EQ_INT(vg_http_static(s, "/s", "/tmp", &err), VG_EINVAL);
    TH_EQ_INT(vg_http_static(s, "/s/", "/nonexistent-vigil-dir", &err),
              VG_ENOENT);
    TH_EQ_INT(vg_http_port(s), 0);
    /* IPv6 loopback may be missing in a container: then the start checks
     * run on IPv4 loopback, saying so */
    if (vg_http_start(s, &err) != VG_OK) {
        fprintf(stderr,
                "  [::1] does not start here (%s): start checks on"
                " 127.0.0.1\n",
                err.msg);
        vg_http_free(s);
        o.listen = "127.0.0.1:0";
        TH_EQ_INT(vg_http_new(&o, &s, &err), VG_OK);
        TH_EQ_INT(vg_http_route(s, "GET", "/a", h_hello, NULL, &err), VG_OK);
        TH_EQ_INT(vg_http_start(s, &err), VG_OK);
    }
    TH_CHECK(vg_http_port(s) > 0);
    TH_EQ_INT(vg_http_start(s, &err), VG_EBUSY);
    TH_EQ_INT(vg_http_route(s, "GET", "/b", h_hello, NULL, &err), VG_EBUSY);
    TH_EQ_INT(vg_http_stop(s), VG_OK);
    TH_EQ_INT(vg_http_port(s), 0);
    vg_http_free(s);
    vg_http_free(NULL);
}

static void test_routing(void)
{
    struct reply r;
    char v[256];

    TH_CHECK(port > 0);
    get("/hello", &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(r.body, "<p>hello</p>");
    TH_EQ_STR(hdr(&r, "Content-Type", v, sizeof(v)),
              "text/html; charset=utf-8");
    check_security(&r, "no-store");
    reply_free(&r);

    get("/nope", &r);
    TH_EQ_INT(r.status, 404);
    check_security(&r, "no-store");
    reply_free(&r);
    get("/hello/", &r); /* exact means exact */
    TH_EQ_INT(r.status, 404);
    reply_free(&r);

    req("DELETE", "/hello", NULL, 0, NULL, &r);
    TH_EQ_INT(r.status, 405);
    TH_EQ_STR(hdr(&r, "Allow", v, sizeof(v)), "GET, HEAD");
    check_security(&r, "no-store");
    reply_free(&r);
    get("/api", &r);
    TH_EQ_INT(r.status, 405);
    TH_EQ_STR(hdr(&r, "Allow", v, sizeof(v)), "POST, PUT");
    reply_free(&r);

    req("HEAD", "/hello", NULL, 0, NULL, &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_INT(r.blen, 0);
    TH_EQ_STR(hdr(&r, "Content-Length", v, sizeof(v)), "12");
    reply_free(&r);

    /* prefixes: longest wins, an exact route beats them */
    get("/p/a/b", &r);
    TH_EQ_STR(r.body, "prefix");
    reply_free(&r);
    get("/p/", &r);
    TH_EQ_STR(r.body, "prefix");
    reply_free(&r);
    get("/p", &r);
    TH_EQ_INT(r.status, 404);
    reply_free(&r);
    get("/p/deep/x", &r);
    TH_EQ_STR(r.body, "deep");
    reply_free(&r);
    req("POST", "/p/x", "", 0, NULL, &r);
    TH_EQ_STR(r.body, "exact");
    reply_free(&r);
    get("/p/x", &r);
    TH_EQ_INT(r.status, 405);
    reply_free(&r);

    /* the handler sees the decoded path, the client address, headers */
    {
        const char *h[] = {"X-Probe: yes", NULL};
        req(NULL, "/who/a%20b", NULL, 0, h, &r);
        TH_EQ_STR(r.body, "127.0.0.1 /who/a b yes");
        reply_free(&r);
    }
    get("/who/a%00b", &r);
    TH_EQ_INT(r.status, 400);
    reply_free(&r);
    /* a path that decodes to invalid UTF-8: 400, not the handler */
    get("/who/a%FFb", &r);
    TH_EQ_INT(r.status, 400);
    reply_free(&r);
    get("/who/%C3%A9", &r);
    TH_EQ_STR(r.body, "127.0.0.1 /who/\xc3\xa9 -");
    reply_free(&r);
    get("/who/a%zzb", &r);
    TH_EQ_INT(r.status, 400);
    check_security(&r, "no-store");
    reply_free(&r);

    /* a failing handler: 500, nothing of what it set */
    get("/fail", &r);
    TH_EQ_INT(r.status, 500);
    TH_CHECK(!strstr(r.body, "partial"));
    reply_free(&r);

    get("/go", &r);
    TH_EQ_INT(r.status, 303);
    TH_EQ_STR(hdr(&r, "Location", v, sizeof(v)), "/hello");
    reply_free(&r);

    get("/cached", &r);
    check_security(&r, "max-age=60");
    reply_free(&r);
}

static void test_forms(void)
{
    const char *form[] = {
        "Content-Type: application/x-www-form-urlencoded; charset=UTF-8",
        NULL};
    const char *body;
    struct reply r;
    char big[512];

    body =
        "name=Jo+Doe&url=https%3A%2F%2Fex.example%2F%3Fa%3D1&t=%C3%A9t%C3%A9";
    req("POST", "/form?lang=fr&x=a+b", body, strlen(body), form, &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(r.body, "q:lang=[fr]\nq:x=[a b]\nf:name=[Jo Doe]\n"
                      "f:url=[https://ex.example/?a=1]\n"
                      "f:t=[\xc3\xa9t\xc3\xa9]\n");
    reply_free(&r);

    body = "name=%zz";
    req("POST", "/form", body, strlen(body), form, &r);
    TH_EQ_INT(r.status, 400);
    check_security(&r, "no-store");
    reply_free(&r);
    body = "name=a%00b";
    req("POST", "/form", body, strlen(body), form, &r);
    TH_EQ_INT(r.status, 400);
    reply_free(&r);
    get("/q?a=%4", &r);
    TH_EQ_INT(r.status, 400);
    reply_free(&r);

    /* caps of the shared server: 10 fields, names 20, values 100 bytes */
    body = "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&k=11";
    req("POST", "/form", body, strlen(body), form, &r);
    TH_EQ_INT(r.status, 413);
    reply_free(&r);
    memcpy(big, "v=", 2);
    memset(big + 2, 'x', 101);
    big[103] = '\0';
    req("POST", "/form", big, strlen(big), form, &r);
    TH_EQ_INT(r.status, 413);
    reply_free(&r);
    big[102] = '\0'; /* 100 bytes: fine */
    req("POST", "/form", big, strlen(big), form, &r);
    TH_EQ_INT(r.status, 200);
    reply_free(&r);

    /* not a form: the body is not decoded */
    body = "a=1";
    {
        const char *plain[] = {"Content-Type: text/plain", NULL};
        req("POST", "/form", body, strlen(body), plain, &r);
        TH_EQ_INT(r.status, 200);
        TH_EQ_STR(r.body, "");
        reply_free(&r);
    }
}

static void test_bodies(void)
{
    const char *json[] = {"Content-Type: application/json", NULL};
    const char *multi[] = {"Content-Type: multipart/form-data; boundary=xx",
                           NULL};
    const char *chunked[] = {"Transfer-Encoding: chunked",
                             "Content-Type: application/json", NULL};
    static const char doc[] = "{\"url\":\"https://a.example/\\u00e9\","
                              "\"n\":[1,2,3],\"nul\":\"\0x\"}";
    char *big = malloc(8192);
    struct reply r;
    int before;

    req("POST", "/api", doc, sizeof(doc) - 1, json, &r);
    TH_EQ_INT(r.status, 201);
    TH_EQ_INT(r.blen, sizeof(doc) - 1);
    TH_CHECK(r.blen == sizeof(doc) - 1 && !memcmp(r.body, doc, r.blen));
    reply_free(&r);

    /* over the cap with a Content-Length: 413, the handler never runs */
    memset(big, 'a', 8192);
    before = atomic_load(&calls);
    req("POST", "/api", big, 8192, json, &r);
    TH_EQ_INT(r.status, 413);
    check_security(&r, "no-store");
    TH_EQ_INT(atomic_load(&calls), before);
    reply_free(&r);
    /* exactly the cap is fine */
    req("POST", "/api", big, 4096, json, &r);
    TH_EQ_INT(r.status, 201);
    TH_EQ_INT(r.blen, 4096);
    reply_free(&r);
    /* chunked, no length: cut off once past the cap, handler never runs */
    req("PUT", "/api", big, 8192, chunked, &r);
    TH_CHECK(r.status != 201);
    TH_EQ_INT(atomic_load(&calls), before + 1);
    reply_free(&r);

    req("POST", "/form", "--xx--", 6, multi, &r);
    TH_EQ_INT(r.status, 415);
    check_security(&r, "no-store");
    reply_free(&r);
    free(big);
}

static void test_header_too_big(void)
{
    size_t n = 40 << 10; /* more than the 16 KiB per connection */
    char *h = malloc(n + 16);
    const char *hs[] = {h, NULL};
    struct reply r;

    memcpy(h, "X-Big: ", 7);
    memset(h + 7, 'b', n);
    h[7 + n] = '\0';
    req(NULL, "/hello", NULL, 0, hs, &r);
    TH_CHECK(r.status >= 400 && r.status < 500);
    reply_free(&r);
    free(h);
    /* still serving */
    get("/hello", &r);
    TH_EQ_INT(r.status, 200);
    reply_free(&r);
}

static void test_cookies_and_injection(void)
{
    const char *ck[] = {"Cookie: other=1; sid=xyz", NULL};
    struct reply r;
    char v[512];
    const char *p;
    int n = 0;

    req(NULL, "/cookie", NULL, 0, ck, &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(r.body, "xyz");
    TH_EQ_STR(hdr(&r, "Set-Cookie", v, sizeof(v)),
              "sid=abc123; Path=/; Max-Age=3600; HttpOnly; Secure; "
              "SameSite=Strict");
    for (p = r.hdr; (p = strstr(p, "Set-Cookie: ")); p++)
        n++;
    TH_EQ_INT(n, 2);
    TH_CHECK(strstr(r.hdr, "Set-Cookie: lang=fr\r\n") != NULL);
    reply_free(&r);

    get("/inject", &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(r.body, "1 1 1 1 1 1 1");
    TH_CHECK(!strstr(r.hdr, "evil") && !strstr(r.hdr, "X-Evil"));
    TH_EQ_STR(hdr(&r, "X-Fine", v, sizeof(v)), "ok");
    reply_free(&r);
}

static void test_static(void)
{
    struct reply r;
    char v[256], etag[128] = "";
    unsigned char clip[1000];
    const char *h1[] = {"Range: bytes=10-19", NULL};
    const char *h2[] = {"Range: bytes=-100", NULL};
    const char *h3[] = {"Range: bytes=990-", NULL};
    const char *h4[] = {"Range: bytes=1000-2000", NULL};
    const char *h5[] = {"Range: bytes=0-1,5-6", NULL};
    const char *h6[] = {"Range: bytes=5-", "If-Range: \"stale\"", NULL};
    char inm[192];
    const char *h7[] = {inm, NULL};

    for (size_t i = 0; i < sizeof(clip); i++)
        clip[i] = (unsigned char)(i * 7 + 3);
    get("/static/site.css", &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(r.body, "body{color:#123}\n");
    TH_EQ_STR(hdr(&r, "Content-Type", v, sizeof(v)),
              "text/css; charset=utf-8");
    TH_CHECK(hdr(&r, "ETag", etag, sizeof(etag)) != NULL);
    TH_CHECK(hdr(&r, "Last-Modified", v, sizeof(v)) != NULL);
    check_security(&r, "no-cache");
    reply_free(&r);

    snprintf(inm, sizeof(inm), "If-None-Match: W/\"x\", %s", etag);
    req(NULL, "/static/site.css", NULL, 0, h7, &r);
    TH_EQ_INT(r.status, 304);
    TH_EQ_INT(r.blen, 0);
    reply_free(&r);

    get("/static/clip.mp4", &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(hdr(&r, "Content-Type", v, sizeof(v)), "video/mp4");
    TH_EQ_STR(hdr(&r, "Accept-Ranges", v, sizeof(v)), "bytes");
    TH_CHECK(r.blen == 1000 && !memcmp(r.body, clip, 1000));
    reply_free(&r);

    req(NULL, "/static/clip.mp4", NULL, 0, h1, &r);
    TH_EQ_INT(r.status, 206);
    TH_EQ_STR(hdr(&r, "Content-Range", v, sizeof(v)), "bytes 10-19/1000");
    TH_CHECK(r.blen == 10 && !memcmp(r.body, clip + 10, 10));
    check_security(&r, "no-cache");
    reply_free(&r);
    req(NULL, "/static/clip.mp4", NULL, 0, h2, &r);
    TH_EQ_INT(r.status, 206);
    TH_EQ_STR(hdr(&r, "Content-Range", v, sizeof(v)), "bytes 900-999/1000");
    TH_CHECK(r.blen == 100 && !memcmp(r.body, clip + 900, 100));
    reply_free(&r);
    req(NULL, "/static/clip.mp4", NULL, 0, h3, &r);
    TH_EQ_INT(r.status, 206);
    TH_CHECK(r.blen == 10 && !memcmp(r.body, clip + 990, 10));
    reply_free(&r);
    req(NULL, "/static/clip.mp4", NULL, 0, h4, &r);
    TH_EQ_INT(r.status, 416);
    TH_EQ_STR(hdr(&r, "Content-Range", v, sizeof(v)), "bytes */1000");
    reply_free(&r);
    req(NULL, "/static/clip.mp4", NULL, 0, h5, &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_INT(r.blen, 1000);
    reply_free(&r);
    req(NULL, "/static/clip.mp4", NULL, 0, h6, &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_INT(r.blen, 1000);
    reply_free(&r);

    get("/static/sub/note.txt", &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(r.body, "note\n");
    reply_free(&r);
    get("/static/empty.txt", &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_INT(r.blen, 0);
    reply_free(&r);
    req("HEAD", "/static/clip.mp4", NULL, 0, NULL, &r);
    TH_EQ_INT(r.status, 200);
    TH_EQ_STR(hdr(&r, "Content-Length", v, sizeof(v)), "1000");
    reply_free(&r);
}

static void test_static_refused(void)
{
    static const char *const paths[] = {
        "/static/../CMakeLists.txt",
        "/static/%2e%2e/CMakeLists.txt",
        "/static/%2E%2E%2FCMakeLists.txt",
        "/static/sub/../../CMakeLists.txt",
        "/static/sub/..%2f..%2fCMakeLists.txt",
        "/static/link.txt",               /* symlink out of the directory */
        "/static/sublink/CMakeLists.txt", /* through a symlinked dir */
        "/static/.hidden.txt",
        "/static/./site.css",
        "/static//site.css",
        "/static/README", /* no known type */
        "/static/sub",
        "/static/",
        "/static/missing.css",
    };
    struct reply r;

    for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
        get(paths[i], &r);
        if (r.status != 404 && r.status != 400)
            TH_FAIL_("%s: status %ld", paths[i], r.status);
        if (strstr(r.body, "secret") || strstr(r.body, "hidden"))
            TH_FAIL_("%s: leaked \"%s\"", paths[i], r.body);
        reply_free(&r);
    }
    /* the same file is there when asked for properly */
    get("/static/site.css", &r);
    TH_EQ_INT(r.status, 200);
    reply_free(&r);
}

struct slow_arg {
    int port;
    struct reply r;
};

static void *slow_client(void *p)
{
    struct slow_arg *a = p;
    CURL *c = curl_easy_init();
    char url[128];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", a->port);
    memset(&a->r, 0, sizeof(a->r));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a->r);
    a->r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->r.status);
    curl_easy_cleanup(c);
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start a server with only /slow and stop it while a request is in it. */
static int stop_during_slow(unsigned stop_timeout_ms, struct slow_arg *a,
                            int64_t *took)
{
    struct vg_http_opts o = {0};
    struct vg_http_server *s = NULL;
    pthread_t t;
    struct timespec tick = {0, 5 * 1000 * 1000};
    int rc = -1000, i;
    char v[64];

    o.listen = "127.0.0.1:0";
    o.stop_timeout_ms = stop_timeout_ms;
    if (vg_http_new(&o, &s, NULL) ||
        vg_http_route(s, "GET", "/slow", h_slow, NULL, NULL) ||
        vg_http_start(s, NULL))
        goto done;
    a->port = vg_http_port(s);
    atomic_store(&slow_entered, 0);
    if (pthread_create(&t, NULL, slow_client, a))
        goto done;
    for (i = 0; i < 1000 && !atomic_load(&slow_entered); i++)
        nanosleep(&tick, NULL);
    *took = now_ms();
    rc = vg_http_stop(s);
    *took = now_ms() - *took;
    pthread_join(t, NULL);
    TH_CHECK(atomic_load(&slow_entered));
    if (a->r.status == 200)
        TH_EQ_STR(hdr(&a->r, "Connection", v, sizeof(v)), "close");
    {
        /* no longer accepting */
        struct reply r;
        int saved = port;
        port = a->port;
        get("/slow", &r);
        port = saved;
        TH_CHECK(r.rc != CURLE_OK);
        reply_free(&r);
    }
done:
    vg_http_free(s);
    return rc;
}

static void test_graceful_stop(void)
{
    struct slow_arg a;
    int64_t took = 0;

    slow_ms = 800;
    TH_EQ_INT(stop_during_slow(5000, &a, &took), VG_OK);
    TH_EQ_INT(a.r.rc, CURLE_OK);
    TH_EQ_INT(a.r.status, 200);
    TH_EQ_STR(a.r.body, "slow done");
    TH_CHECK(took >= 300 && took < 5000);
    free(a.r.body);

    /* a grace period shorter than the request: stop says so */
    slow_ms = 600;
    TH_EQ_INT(stop_during_slow(100, &a, &took), VG_EBUSY);
    free(a.r.body);
}

/* With one connection per address, a second one is refused while the
 * first is busy, and accepted once it is done. */
static void test_per_ip_limit(void)
{
    struct vg_http_opts o = {0};
    struct vg_http_server *s = NULL;
    struct slow_arg a;
    struct timespec tick = {0, 5 * 1000 * 1000};
    struct reply r;
    pthread_t t;
    int saved = port, i;

    o.listen = "127.0.0.1:0";
    o.max_per_ip = 1;
    slow_ms = 800;
    TH_EQ_INT(vg_http_new(&o, &s, NULL), VG_OK);
    TH_EQ_INT(vg_http_route(s, "GET", "/slow", h_slow, NULL, NULL), VG_OK);
    TH_EQ_INT(vg_http_route(s, "GET", "/hello", h_hello, NULL, NULL), VG_OK);
    TH_EQ_INT(vg_http_start(s, NULL), VG_OK);
    a.port = port = vg_http_port(s);
    atomic_store(&slow_entered, 0);
    if (pthread_create(&t, NULL, slow_client, &a) == 0) {
        for (i = 0; i < 1000 && !atomic_load(&slow_entered); i++)
            nanosleep(&tick, NULL);
        get("/hello", &r);
        TH_CHECK(r.rc != CURLE_OK && r.status != 200);
        reply_free(&r);
        pthread_join(t, NULL);
        TH_EQ_INT(a.r.status, 200);
        free(a.r.body);
        /* the server may take a moment to see the first connection go */
        for (i = 0; i < 50; i++) {
            get("/hello", &r);
            if (r.status == 200)
                break;
            reply_free(&r);
            nanosleep(&tick, NULL);
        }
        TH_EQ_INT(r.status, 200);
        reply_free(&r);
    }
    /* a stopped server starts again */
    TH_EQ_INT(vg_http_stop(s), VG_OK);
    TH_EQ_INT(vg_http_start(s, NULL), VG_OK);
    port = vg_http_port(s);
    get("/hello", &r);
    TH_EQ_INT(r.status, 200);
    reply_free(&r);
    port = saved;
    vg_http_free(s);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    make_tree();
    TH_RUN(test_form_decoder);
    TH_RUN(test_form_decoder_nomem);
    TH_RUN(test_lifecycle_errors);
    if (start_shared()) {
        fprintf(stderr, "cannot start the shared server\n");
        th_failed++;
    } else {
        TH_RUN(test_routing);
        TH_RUN(test_forms);
        TH_RUN(test_bodies);
        TH_RUN(test_header_too_big);
        TH_RUN(test_cookies_and_injection);
        TH_RUN(test_static);
        TH_RUN(test_static_refused);
    }
    vg_http_free(srv);
    TH_RUN(test_per_ip_limit);
    TH_RUN(test_graceful_stop);
    rm_tree();
    curl_global_cleanup();
    return th_done();
}
