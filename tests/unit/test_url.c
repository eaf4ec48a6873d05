/* SPDX-License-Identifier: Apache-2.0 */
/*
 * URL resolution and canonicalisation: every example of RFC 3986 section
 * 5.4 (fragments dropped, as Vigil's canonical form does), then the
 * canonical form (case, ports, IDN, IPv4, percent-encoding, dot segments
 * made by decoding, userinfo, what authors write), refused schemes,
 * limits, idempotence, and the host of a URL.
 */
#include <stdlib.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/url.h"

#define BASE "http://a/b/c/d;p?q"

static void resolves(const char *base, const char *ref, const char *want)
{
    char *got = NULL, *again = NULL;
    struct vg_err err = {0};
    int rc = vg_url_resolve(base, ref, strlen(ref), &got, &err);

    if (rc != VG_OK) {
        TH_FAIL_("\"%s\": %s (%s)", ref, vg_strerror(rc), err.msg);
        return;
    }
    if (strcmp(got, want))
        TH_FAIL_("\"%s\" -> \"%s\", want \"%s\"", ref, got, want);
    /* canonical is a fixed point */
    if (vg_url_canonical(got, &again, NULL) != VG_OK || strcmp(again, got))
        TH_FAIL_("\"%s\" is not canonical: \"%s\"", got, again ? again : "?");
    vg_free(got);
    vg_free(again);
}

static void refused(const char *base, const char *ref, int want_rc)
{
    char *got = NULL;
    struct vg_err err = {0};
    int rc = vg_url_resolve(base, ref, strlen(ref), &got, &err);

    if (rc != want_rc)
        TH_FAIL_("\"%.60s\": %s, want %s (%s)", ref, vg_strerror(rc),
                 vg_strerror(want_rc), got ? got : err.msg);
    TH_CHECK(got == NULL);
    vg_free(got);
}

static void test_rfc3986_normal(void)
{
    refused(BASE, "g:h", VG_EFORMAT); /* not http(s): never fetched */
    resolves(BASE, "g", "http://a/b/c/g");
    resolves(BASE, "./g", "http://a/b/c/g");
    resolves(BASE, "g/", "http://a/b/c/g/");
    resolves(BASE, "/g", "http://a/g");
    resolves(BASE, "//g", "http://g/");
    resolves(BASE, "?y", "http://a/b/c/d;p?y");
    resolves(BASE, "g?y", "http://a/b/c/g?y");
    resolves(BASE, "#s", "http://a/b/c/d;p?q");
    resolves(BASE, "g#s", "http://a/b/c/g");
    resolves(BASE, "g?y#s", "http://a/b/c/g?y");
    resolves(BASE, ";x", "http://a/b/c/;x");
    resolves(BASE, "g;x", "http://a/b/c/g;x");
    resolves(BASE, "g;x?y#s", "http://a/b/c/g;x?y");
    resolves(BASE, "", "http://a/b/c/d;p?q");
    resolves(BASE, ".", "http://a/b/c/");
    resolves(BASE, "./", "http://a/b/c/");
    resolves(BASE, "..", "http://a/b/");
    resolves(BASE, "../", "http://a/b/");
    resolves(BASE, "../g", "http://a/b/g");
    resolves(BASE, "../..", "http://a/");
    resolves(BASE, "../../", "http://a/");
    resolves(BASE, "../../g", "http://a/g");
}

static void test_rfc3986_abnormal(void)
{
    resolves(BASE, "../../../g", "http://a/g");
    resolves(BASE, "../../../../g", "http://a/g");
    resolves(BASE, "/./g", "http://a/g");
    resolves(BASE, "/../g", "http://a/g");
    resolves(BASE, "g.", "http://a/b/c/g.");
    resolves(BASE, ".g", "http://a/b/c/.g");
    resolves(BASE, "g..", "http://a/b/c/g..");
    resolves(BASE, "..g", "http://a/b/c/..g");
    resolves(BASE, "./../g", "http://a/b/g");
    resolves(BASE, "./g/.", "http://a/b/c/g/");
    resolves(BASE, "g/./h", "http://a/b/c/g/h");
    resolves(BASE, "g/../h", "http://a/b/c/h");
    resolves(BASE, "g;x=1/./y", "http://a/b/c/g;x=1/y");
    resolves(BASE, "g;x=1/../y", "http://a/b/c/y");
    resolves(BASE, "g?y/./x", "http://a/b/c/g?y/./x");
    resolves(BASE, "g?y/../x", "http://a/b/c/g?y/../x");
    resolves(BASE, "g#s/./x", "http://a/b/c/g");
    resolves(BASE, "g#s/../x", "http://a/b/c/g");
    /* "http:g": strict parsers keep it, old ones resolve it; either way
     * it is not a URL we can fetch as written */
    refused(BASE, "http:g", VG_EINVAL);
}

static void test_canonical_form(void)
{
    resolves(NULL, "HTTP://Example.COM:80/a", "http://example.com/a");
    resolves(NULL, "https://example.com:443", "https://example.com/");
    resolves(NULL, "http://example.com:8080", "http://example.com:8080/");
    resolves(NULL,
             "https://B\xc3\xbc"
             "cher.Example/x",
             "https://xn--bcher-kva.example/x");
    resolves(NULL, "http://127.1/", "http://127.0.0.1/");
    resolves(NULL, "http://0x7f.0.0.1/", "http://127.0.0.1/");
    resolves(NULL, "http://[::1]:8080/x", "http://[::1]:8080/x");
    resolves(NULL, "http://user:pw@host/x", "http://host/x");
    resolves(NULL, "http://a/?", "http://a/");
    resolves(NULL, "http://a/b#frag", "http://a/b");
    /* percent-encoding: unreserved decoded, hex uppercased, bad % escaped */
    resolves(NULL, "http://a/%7euser/%41%2f?q=%3a%zz%",
             "http://a/~user/A%2F?q=%3A%25zz%25");
    /* decoding %2E makes dot segments, which are then removed */
    resolves(NULL, "http://a/b/%2e%2E/c/%2e/d", "http://a/c/d");
    /* what authors write */
    resolves(BASE, " \n g\th\r\n", "http://a/b/c/gh");
    resolves(BASE, "  g x  ", "http://a/b/c/g%20x");
    resolves(BASE, "\xc3\xa9t\xc3\xa9.jpg", "http://a/b/c/%C3%A9t%C3%A9.jpg");
    resolves(BASE, "\\x\\y?a\\b", "http://a/x/y?a%5Cb");
    resolves(BASE, "img.jpg?a=1&b=2", "http://a/b/c/img.jpg?a=1&b=2");
    resolves(BASE, "<x>\"{|}^`", "http://a/b/c/%3Cx%3E%22%7B%7C%7D%5E%60");
    resolves("https://s.example/p/q.html", "//cdn.example/i.png",
             "https://cdn.example/i.png");
}

static void test_refused(void)
{
    char big[VG_URL_MAX + 64];

    refused(BASE, "javascript:alert(1)", VG_EFORMAT);
    refused(BASE, "mailto:x@y", VG_EFORMAT);
    refused(BASE, "data:image/png;base64,AAAA", VG_EFORMAT);
    refused(BASE, "ftp://x/y", VG_EFORMAT);
    refused(BASE, "file:///etc/passwd", VG_EFORMAT);
    refused(NULL, "", VG_EINVAL);
    refused(NULL, "relative/only", VG_EINVAL);
    refused(NULL, "http://", VG_EINVAL);
    refused(NULL, "http://exa mple.com/", VG_EINVAL);
    refused(NULL, "http://a:99999/", VG_EINVAL);
    memcpy(big, "http://a/", 9);
    memset(big + 9, 'x', sizeof(big) - 10);
    big[sizeof(big) - 1] = '\0';
    refused(NULL, big, VG_ETOOBIG);
    /* a long path of escapes grows past the cap only when encoded */
    memset(big + 9, ' ', (VG_URL_MAX - 9) / 2);
    big[9 + (VG_URL_MAX - 9) / 2] = 'x';
    big[10 + (VG_URL_MAX - 9) / 2] = '\0';
    refused(NULL, big, VG_ETOOBIG);
}

static void test_host(void)
{
    char h[64];

    TH_EQ_INT(vg_url_host("http://example.com:8080/x", h, sizeof(h)), VG_OK);
    TH_EQ_STR(h, "example.com");
    TH_EQ_INT(vg_url_host("http://[::1]:8080/x", h, sizeof(h)), VG_OK);
    TH_EQ_STR(h, "::1");
    TH_EQ_INT(vg_url_host("https://a.b/", h, sizeof(h)), VG_OK);
    TH_EQ_STR(h, "a.b");
    TH_EQ_INT(vg_url_host("https://a.b/", h, 3), VG_ETOOBIG);
    TH_EQ_INT(vg_url_host("nothing", h, sizeof(h)), VG_EINVAL);
}

static void test_alloc_failures(void)
{
    int ok = 1;

    for (long k = 0; k < 30; k++) {
        char *out = NULL;
        int rc;

        vg_alloc_fail_after(k);
        rc = vg_url_resolve(BASE, "../x?y", 6, &out, NULL);
        vg_alloc_fail_after(-1);
        if (rc != VG_OK && rc != VG_ENOMEM)
            ok = 0;
        if (rc == VG_OK && strcmp(out, "http://a/b/x?y"))
            ok = 0;
        vg_free(out);
    }
    TH_CHECK(ok);
}

int main(void)
{
    TH_RUN(test_rfc3986_normal);
    TH_RUN(test_rfc3986_abnormal);
    TH_RUN(test_canonical_form);
    TH_RUN(test_refused);
    TH_RUN(test_host);
    TH_RUN(test_alloc_failures);
    return th_done();
}
