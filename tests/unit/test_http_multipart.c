/* SPDX-License-Identifier: Apache-2.0 */
/*
 * multipart/form-data (RFC 7578): the parser on its own
 * (vg_http_multipart_parse: well-formed bodies, curl's exact shape, a
 * preamble and an epilogue, two files, binary bytes with CRLF and "--"
 * inside, a missing or bad boundary, truncation, a huge part header, too
 * many parts, folded and bare-LF headers, allocation failures) and through
 * the server with a libcurl client sending curl -F's mime bodies: a route
 * registered with vg_http_route_upload gets the parts, a malformed body
 * 400 with its reason, a body over the route's cap 413, and a route that
 * did not opt in still 415.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/http.h"

#define CT "multipart/form-data; boundary=XyZ"

static int parse(struct vg_http_multipart *mp, const char *ct,
                 const char *body, size_t len, size_t max_parts,
                 size_t max_header, struct vg_err *err)
{
    struct vg_http_multipart_limits lim = {max_parts, max_header};

    return vg_http_multipart_parse(mp, ct, body, len, &lim, err);
}

static int part_is(const struct vg_http_part *p, const char *data, size_t len)
{
    return p && p->len == len && !memcmp(p->data, data, len);
}

static void test_well_formed(void)
{
    static const char body[] =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"note\"\r\n"
        "\r\n"
        "hello\r\n"
        "--XyZ\r\n"
        "content-disposition: FORM-DATA; name=metadata\r\n"
        "Content-Type: application/json\r\n"
        "X-Other: ignored\r\n"
        "\r\n"
        "{\"a\": 1}\r\n"
        "--XyZ--\r\n";
    struct vg_http_multipart mp;
    struct vg_err err;

    TH_EQ_INT(parse(&mp, CT, body, sizeof(body) - 1, 0, 0, &err), VG_OK);
    TH_EQ_INT(mp.count, 2);
    TH_EQ_STR(mp.parts[0].name, "note");
    TH_CHECK(!mp.parts[0].filename && !mp.parts[0].content_type);
    TH_CHECK(part_is(&mp.parts[0], "hello", 5));
    TH_EQ_STR(mp.parts[1].name, "metadata");
    TH_EQ_STR(mp.parts[1].content_type, "application/json");
    TH_CHECK(part_is(vg_http_multipart_get(&mp, "metadata"), "{\"a\": 1}", 8));
    TH_CHECK(!vg_http_multipart_get(&mp, "photo"));
    vg_http_multipart_fini(&mp);
    vg_http_multipart_fini(&mp); /* safe twice */
}

/* What curl 7.88 sends for curl -F photo=@a.jpg -F note=hi (its boundary
 * is 24 dashes and 22 random characters, quoted by nobody). */
static void test_curl_shape(void)
{
    static const char ct[] =
        "multipart/form-data; "
        "boundary=------------------------d74496d66958873e";
    static const char body[] =
        "--------------------------d74496d66958873e\r\n"
        "Content-Disposition: form-data; name=\"photo\"; "
        "filename=\"a.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n"
        "\r\n"
        "\xff\xd8\xff\xe0JFIF\r\n"
        "--------------------------d74496d66958873e\r\n"
        "Content-Disposition: form-data; name=\"note\"\r\n"
        "\r\n"
        "hi\r\n"
        "--------------------------d74496d66958873e--\r\n";
    struct vg_http_multipart mp;
    const struct vg_http_part *p;

    TH_EQ_INT(parse(&mp, ct, body, sizeof(body) - 1, 0, 0, NULL), VG_OK);
    TH_EQ_INT(mp.count, 2);
    p = vg_http_multipart_get(&mp, "photo");
    TH_CHECK(p != NULL);
    if (p) {
        TH_EQ_STR(p->filename, "a.jpg");
        TH_EQ_STR(p->content_type, "image/jpeg");
        TH_CHECK(part_is(p, "\xff\xd8\xff\xe0JFIF", 8));
    }
    TH_CHECK(part_is(vg_http_multipart_get(&mp, "note"), "hi", 2));
    vg_http_multipart_fini(&mp);
}

/* A quoted boundary with a space, a preamble, padding after a boundary,
 * an epilogue, escapes and UTF-8 in the filename, an empty part. */
static void test_rfc_corners(void)
{
    static const char ct[] =
        "Multipart/Form-Data ; charset=utf-8; BOUNDARY=\"a b'()+_,-./:=?\"";
    static const char body[] =
        "This is a preamble.\r\n"
        "--a b'()+_,-./:=? \t\r\n"
        "Content-Disposition: form-data; filename=\"r\\\"\xc3\xa9.png\"; "
        "name=\"video\"; filename*=utf-8''x\r\n"
        "\r\n"
        "\r\n"
        "--a b'()+_,-./:=?\r\n"
        "Content-Disposition: form-data; name=\"\"\r\n"
        "\r\n"
        "\r\n"
        "--a b'()+_,-./:=?--epilogue, ignored\r\n--a b";
    struct vg_http_multipart mp;
    struct vg_err err;

    TH_EQ_INT(parse(&mp, ct, body, sizeof(body) - 1, 0, 0, &err), VG_OK);
    TH_EQ_INT(mp.count, 2);
    if (mp.count == 2) {
        TH_EQ_STR(mp.parts[0].name, "video");
        TH_EQ_STR(mp.parts[0].filename, "r\"\xc3\xa9.png");
        TH_EQ_INT(mp.parts[0].len, 0);
        TH_EQ_STR(mp.parts[1].name, "");
        TH_EQ_INT(mp.parts[1].len, 0);
    }
    vg_http_multipart_fini(&mp);
}

static void test_two_files_binary(void)
{
    /* the bytes hold CRLF, "--", the boundary without its CRLF, and the
     * delimiter cut one byte short */
    static const char a[] = "\r\n--\r\n\0\x01--XyZ\r\n-XyZ\r\n--Xy\r\n";
    static const char b[] = "\x00\xff\r\r\n\n--";
    char body[512];
    size_t n = 0;
    struct vg_http_multipart mp;

#define PUT(s) (memcpy(body + n, s, sizeof(s) - 1), n += sizeof(s) - 1)
    PUT("--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; "
        "filename=\"a.bin\"\r\n\r\n");
    PUT(a);
    PUT("\r\n--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; "
        "filename=\"b.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    PUT(b);
    PUT("\r\n--XyZ--");
#undef PUT
    TH_EQ_INT(parse(&mp, CT, body, n, 0, 0, NULL), VG_OK);
    TH_EQ_INT(mp.count, 2);
    if (mp.count == 2) {
        TH_EQ_STR(mp.parts[0].filename, "a.bin");
        TH_CHECK(part_is(&mp.parts[0], a, sizeof(a) - 1));
        TH_EQ_STR(mp.parts[1].filename, "b.bin");
        TH_EQ_STR(mp.parts[1].content_type, "application/octet-stream");
        TH_CHECK(part_is(&mp.parts[1], b, sizeof(b) - 1));
    }
    vg_http_multipart_fini(&mp);
}

/* rc and a reason containing why for body under content type ct */
static void bad(const char *ct, const char *body, size_t max_parts,
                size_t max_header, int rc, const char *why)
{
    struct vg_http_multipart mp;
    struct vg_err err;
    int got;

    vg_err_clear(&err);
    got = parse(&mp, ct, body, strlen(body), max_parts, max_header, &err);
    TH_EQ_INT(got, rc);
    TH_CHECK(!mp.count && !mp.parts && !mp.mem_);
    if (!strstr(err.msg, why))
        TH_FAIL_("\"%s\" does not say \"%s\"", err.msg, why);
}

#define CD "Content-Disposition: form-data; name=\"x\"\r\n"

static void test_malformed(void)
{
    static const char ok[] = "--XyZ\r\n" CD "\r\nv\r\n--XyZ--";

    bad("multipart/form-data", ok, 0, 0, VG_EFORMAT, "no boundary");
    bad("multipart/form-data; charset=x", ok, 0, 0, VG_EFORMAT, "no boundary");
    bad("multipart/form-data; boundary=", ok, 0, 0, VG_EFORMAT,
        "bad Content-Type parameters");
    bad("multipart/form-data; boundary=\"\"", ok, 0, 0, VG_EFORMAT,
        "bad boundary");
    bad("multipart/form-data; boundary=\"a \"", ok, 0, 0, VG_EFORMAT,
        "bad boundary");
    bad("multipart/form-data; boundary=a; boundary=b", ok, 0, 0, VG_EFORMAT,
        "two boundary");
    bad("multipart/form-data; boundary="
        "01234567890123456789012345678901234567890123456789012345678901234567"
        "89X",
        ok, 0, 0, VG_EFORMAT, "longer than 70");
    bad("multipart/mixed; boundary=XyZ", ok, 0, 0, VG_EFORMAT,
        "not multipart/form-data");
    bad(NULL, ok, 0, 0, VG_EFORMAT, "not multipart/form-data");
    bad(CT, "", 0, 0, VG_EFORMAT, "no boundary line");
    bad(CT, "--XyZ--", 0, 0, VG_EFORMAT, "no parts");
    bad(CT, "--XyZ\r\n" CD "\r\nvalue", 0, 0, VG_EFORMAT, "truncated");
    bad(CT, "--XyZ\r\n" CD "\r\nvalue\r\n--XyZ", 0, 0, VG_EFORMAT,
        "truncated");
    bad(CT, "--XyZ\r\n" CD, 0, 0, VG_EFORMAT, "truncated part header");
    bad(CT, "--XyZ\r\nContent-Disposition: form-data; na", 0, 0, VG_EFORMAT,
        "truncated part header");
    bad(CT, "--XyZ", 0, 0, VG_EFORMAT, "truncated");
    bad(CT, "--XyZ junk\r\n" CD "\r\nv\r\n--XyZ--", 0, 0, VG_EFORMAT,
        "bad boundary line");
    bad(CT, "--XyZ\r\n" CD "\r\nv\r\n--XyZa\r\n", 0, 0, VG_EFORMAT,
        "bad boundary line");
    bad(CT, "--XyZ\r\nContent-Disposition: form-data; name=\"x\"\n\r\n\r\n", 0,
        0, VG_EFORMAT, "bare CR or LF");
    bad(CT, "--XyZ\r\n" CD " ; filename=a\r\n\r\nv\r\n--XyZ--", 0, 0,
        VG_EFORMAT, "folded");
    bad(CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", 0, 0,
        VG_EFORMAT, "without Content-Disposition");
    bad(CT, "--XyZ\r\nContent-Disposition: attachment; name=x\r\n\r\n", 0, 0,
        VG_EFORMAT, "not form-data");
    bad(CT, "--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\n", 0,
        0, VG_EFORMAT, "without name");
    bad(CT, "--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n",
        0, 0, VG_EFORMAT, "repeated");
    bad(CT, "--XyZ\r\n" CD CD "\r\nv\r\n--XyZ--", 0, 0, VG_EFORMAT,
        "two Content-Disposition");
    bad(CT, "--XyZ\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\n",
        0, 0, VG_EFORMAT, "not UTF-8");
    bad(CT, "--XyZ\r\nContent-Disposition: form-data; name=\"a\x01\"\r\n\r\n",
        0, 0, VG_EFORMAT, "control character");
    bad(CT, "--XyZ\r\nBad Name: x\r\n\r\n", 0, 0, VG_EFORMAT,
        "bad part header line");
}

static void test_caps(void)
{
    char body[4096];
    int n;

    /* a header block of 2,000 bytes against a cap of 1 KiB */
    n = snprintf(body, sizeof(body),
                 "--XyZ\r\n" CD "X-Pad: %2000d\r\n\r\nv"
                 "\r\n--XyZ--",
                 1);
    TH_CHECK(n > 2000);
    bad(CT, body, 0, 0, VG_ETOOBIG, "part header over 1024 bytes");
    /* the same under a cap of 4 KiB */
    {
        struct vg_http_multipart mp;
        TH_EQ_INT(parse(&mp, CT, body, (size_t)n, 0, 4096, NULL), VG_OK);
        TH_EQ_INT(mp.count, 1);
        vg_http_multipart_fini(&mp);
    }
    /* a header line of exactly the cap still needs its CRLF inside it */
    bad(CT, "--XyZ\r\n" CD "\r\nv\r\n--XyZ--", 0, 20, VG_ETOOBIG,
        "part header over 20 bytes");
    /* three parts against a cap of two */
    bad(CT,
        "--XyZ\r\n" CD "\r\n1\r\n--XyZ\r\n" CD "\r\n2\r\n--XyZ\r\n" CD
        "\r\n3\r\n--XyZ--",
        2, 0, VG_ETOOBIG, "more than 2 parts");
}

static void test_nomem(void)
{
    static const char body[] = "--XyZ\r\n" CD "\r\n1\r\n--XyZ\r\n" CD
                               "\r\n2\r\n--XyZ\r\n" CD "\r\n3\r\n--XyZ\r\n" CD
                               "\r\n4\r\n--XyZ\r\n" CD "\r\n5\r\n--XyZ--";
    struct vg_http_multipart mp;
    int rc = VG_ENOMEM;
    long n;

    for (n = 0; n < 20 && rc == VG_ENOMEM; n++) {
        vg_alloc_fail_after(n);
        rc = parse(&mp, CT, body, sizeof(body) - 1, 0, 0, NULL);
        vg_alloc_fail_after(-1);
        if (rc == VG_ENOMEM)
            TH_CHECK(!mp.parts && !mp.mem_);
    }
    TH_EQ_INT(rc, VG_OK);
    TH_EQ_INT(mp.count, 5);
    vg_http_multipart_fini(&mp);
}

/* ---- through the server, with libcurl's mime (curl -F) ---- */

static int port;

static int h_parts(void *ctx, const struct vg_http_req *rq,
                   struct vg_http_resp *resp)
{
    char out[512];
    size_t i, n = 0;

    (void)ctx;
    n += (size_t)snprintf(out, sizeof(out), "%zu body=%zu", rq->parts.count,
                          rq->body_len);
    for (i = 0; i < rq->parts.count && n < sizeof(out); i++) {
        const struct vg_http_part *p = &rq->parts.parts[i];
        n += (size_t)snprintf(out + n, sizeof(out) - n, " %s:%s:%s:%zu",
                              p->name, p->filename ? p->filename : "-",
                              p->content_type ? p->content_type : "-", p->len);
    }
    return vg_http_resp_text(resp, 200, out, strlen(out));
}

struct reply {
    long status;
    char body[1024];
    size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t k = sz * n;

    if (k > sizeof(r->body) - 1 - r->len)
        k = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, p, k);
    r->len += k;
    r->body[r->len] = '\0';
    return sz * n;
}

/* POST to path either mime (curl -F) or raw body with content type ct */
static void post(const char *path, curl_mime *mime, const char *ct,
                 const char *raw, size_t rlen, struct reply *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char url[256], h[256];

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    if (mime) {
        curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
    } else {
        snprintf(h, sizeof(h), "Content-Type: %s", ct);
        hl = curl_slist_append(hl, h);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, raw);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rlen);
    }
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
}

static curl_mime *photo_form(CURL *c, size_t photo_len)
{
    curl_mime *m = curl_mime_init(c);
    curl_mimepart *p = curl_mime_addpart(m);
    char *bytes = malloc(photo_len);
    size_t i;

    for (i = 0; i < photo_len; i++)
        bytes[i] = (char)(i % 7 ? i * 31 : '\r');
    curl_mime_name(p, "photo");
    curl_mime_data(p, bytes, photo_len);
    curl_mime_filename(p, "cat.jpg");
    curl_mime_type(p, "image/jpeg");
    p = curl_mime_addpart(m);
    curl_mime_name(p, "metadata");
    curl_mime_data(p, "{\"k\":1}", CURL_ZERO_TERMINATED);
    free(bytes);
    return m;
}

static void test_server(void)
{
    struct vg_http_opts o = {.listen = "127.0.0.1:0", .max_body = 4096};
    struct vg_http_upload up = {.max_body = 64 << 10, .multipart = 1};
    struct vg_http_upload raw = {.max_body = 64 << 10};
    struct vg_http_server *srv = NULL;
    struct reply r;
    CURL *c = curl_easy_init();
    curl_mime *m;
    static const char trunc[] = "--XyZ\r\n" CD "\r\nvalue";

    TH_EQ_INT(vg_http_new(&o, &srv, NULL), VG_OK);
    TH_EQ_INT(vg_http_route_upload(srv, "POST", "/up", h_parts, NULL, &up,
                                   NULL),
              VG_OK);
    TH_EQ_INT(vg_http_route_upload(srv, "POST", "/raw", h_parts, NULL, &raw,
                                   NULL),
              VG_OK);
    TH_EQ_INT(vg_http_route(srv, "POST", "/plain", h_parts, NULL, NULL),
              VG_OK);
    TH_EQ_INT(vg_http_start(srv, NULL), VG_OK);
    port = vg_http_port(srv);

    /* curl -F photo=@cat.jpg;type=image/jpeg -F metadata='{"k":1}' */
    m = photo_form(c, 30000);
    post("/up", m, NULL, NULL, 0, &r);
    TH_EQ_INT(r.status, 200);
    if (!strstr(r.body, "2 body=") ||
        !strstr(r.body, " photo:cat.jpg:image/jpeg:30000 metadata:-:-:7"))
        TH_FAIL_("parts: %s", r.body);
    /* the same to a route that did not opt in: 415, and 413 over the cap
     * of a route that takes raw uploads only */
    post("/plain", m, NULL, NULL, 0, &r);
    TH_EQ_INT(r.status, 415);
    post("/raw", m, NULL, NULL, 0, &r);
    TH_EQ_INT(r.status, 415);
    curl_mime_free(m);
    /* a raw body past the server's 4 KiB cap but within the route's */
    {
        static char big[20000];
        memset(big, 'x', sizeof(big));
        post("/raw", NULL, "image/jpeg", big, sizeof(big), &r);
        TH_EQ_INT(r.status, 200);
        TH_CHECK(strstr(r.body, "0 body=20000") != NULL);
        post("/plain", NULL, "image/jpeg", big, sizeof(big), &r);
        TH_EQ_INT(r.status, 413);
    }
    /* over the upload route's 64 KiB */
    m = photo_form(c, 70000);
    post("/up", m, NULL, NULL, 0, &r);
    TH_EQ_INT(r.status, 413);
    curl_mime_free(m);
    /* malformed: 400 with the reason; another multipart type: 415 */
    post("/up", NULL, CT, trunc, sizeof(trunc) - 1, &r);
    TH_EQ_INT(r.status, 400);
    TH_CHECK(strstr(r.body, "multipart: truncated body") != NULL);
    post("/up", NULL, "multipart/form-data", trunc, sizeof(trunc) - 1, &r);
    TH_EQ_INT(r.status, 400);
    TH_CHECK(strstr(r.body, "no boundary") != NULL);
    post("/up", NULL, "multipart/mixed; boundary=XyZ", trunc,
         sizeof(trunc) - 1, &r);
    TH_EQ_INT(r.status, 415);
    /* nine parts against the default cap of eight: 413 */
    {
        char body[2048];
        size_t n = 0;
        int i;
        for (i = 0; i < 9; i++)
            n += (size_t)snprintf(body + n, sizeof(body) - n,
                                  "--XyZ\r\n" CD "\r\n%d\r\n", i);
        n += (size_t)snprintf(body + n, sizeof(body) - n, "--XyZ--");
        post("/up", NULL, CT, body, n, &r);
        TH_EQ_INT(r.status, 413);
        TH_CHECK(strstr(r.body, "more than 8 parts") != NULL);
    }
    curl_easy_cleanup(c);
    vg_http_free(srv);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    TH_RUN(test_well_formed);
    TH_RUN(test_curl_shape);
    TH_RUN(test_rfc_corners);
    TH_RUN(test_two_files_binary);
    TH_RUN(test_malformed);
    TH_RUN(test_caps);
    TH_RUN(test_nomem);
    TH_RUN(test_server);
    curl_global_cleanup();
    return th_done();
}
