/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the streaming HTML link scanner (src/crawl/htmlscan.c):
 * every reported element and attribute kind, what raw-text elements and
 * comments hide, attribute syntax, character references (WHATWG 13.2.5.72ff),
 * srcset, og:image, rel=image_src, style url(), base, NUL bytes, the caps,
 * invariance under any chunking (whole, byte by byte, random chunks), a
 * junk document worked out against the tokenizer, and pathological inputs
 * that must scan in linear time (timed).
 * Each scan's links are rendered as lines "K tag attr url" (K is P, M or B)
 * and compared as text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/htmlscan.h"

struct sink {
    struct vg_buf out;
    size_t max_len; /* longest url */
    int stop_after; /* return VG_EBUSY after this many links (0: never) */
    int n;
};

static int on_link(void *ctx, const struct vg_html_link *l)
{
    struct sink *k = ctx;
    static const char kinds[] = "PMB";

    if (l->len > k->max_len)
        k->max_len = l->len;
    if (strlen(l->url) != l->len)
        vg_buf_puts(&k->out, "(embedded NUL)");
    vg_buf_printf(&k->out, "%c %s %s %s\n", kinds[l->kind], l->tag, l->attr,
                  l->url);
    k->n++;
    if (k->stop_after && k->n >= k->stop_after)
        return VG_EBUSY;
    return VG_OK;
}

static unsigned long long rng = 88172645463325252ull;

static unsigned long long rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/*
 * Scan len bytes in chunks: chunk 0 = whole, 1 = byte by byte, else random
 * chunk sizes up to `chunk`.  Returns the rendered links (static buffer).
 */
static const char *scan_n(const char *html, size_t len,
                          const struct vg_html_limits *lim, size_t chunk,
                          int *trunc, size_t *seen)
{
    static struct vg_buf res;
    struct sink k;
    struct vg_html_scanner *s = NULL;
    size_t i = 0;
    int rc = VG_OK;

    memset(&k, 0, sizeof(k));
    vg_buf_init(&k.out, 0);
    vg_buf_puts(&k.out, "");
    vg_buf_fini(&res);
    vg_buf_init(&res, 0);
    if (vg_html_scanner_new(lim, on_link, &k, &s)) {
        vg_buf_fini(&k.out);
        return NULL;
    }
    while (!rc && i < len) {
        size_t n = len - i;
        if (chunk == 1)
            n = 1;
        else if (chunk > 1)
            n = 1 + (size_t)(rnd() % chunk);
        if (n > len - i)
            n = len - i;
        rc = vg_html_scan(s, html + i, n);
        i += n;
    }
    if (!rc)
        rc = vg_html_finish(s);
    if (rc)
        vg_buf_printf(&k.out, "rc=%d\n", rc);
    *seen = vg_html_links_seen(s, trunc);
    vg_html_scanner_free(s);
    vg_buf_append(&res, k.out.data, k.out.len);
    vg_buf_fini(&k.out);
    return res.data;
}

/* Whole, byte by byte and in random chunks must all agree. */
static const char *scan_lim(const char *html, size_t len,
                            const struct vg_html_limits *lim)
{
    static char *whole;
    const char *r;
    int t0, t1;
    size_t s0, s1;

    free(whole);
    r = scan_n(html, len, lim, 0, &t0, &s0);
    whole = r ? strdup(r) : NULL;
    if (!whole)
        return NULL;
    r = scan_n(html, len, lim, 1, &t1, &s1);
    if (!r || strcmp(r, whole) || t0 != t1 || s0 != s1)
        TH_FAIL_("byte-by-byte differs for %.60s: [%s] vs [%s]", html, whole,
                 r ? r : "(null)");
    for (int round = 0; round < 4; round++) {
        r = scan_n(html, len, lim, 2 + round * 5, &t1, &s1);
        if (!r || strcmp(r, whole) || t0 != t1 || s0 != s1)
            TH_FAIL_("random chunks differ for %.60s: [%s] vs [%s]", html,
                     whole, r ? r : "(null)");
    }
    return whole;
}

static const char *scan(const char *html)
{
    return scan_lim(html, strlen(html), NULL);
}

static const char *scan_l(const char *html, const struct vg_html_limits *lim)
{
    return scan_lim(html, strlen(html), lim);
}

static void test_kinds(void)
{
    TH_EQ_STR(scan("<a href=/a>x</a><area href='/ar'><iframe src=/if>"
                   "</iframe><frame src=/fr>"),
              "P a href /a\nP area href /ar\nP iframe src /if\n"
              "P frame src /fr\n");
    TH_EQ_STR(scan("<img src=i.png srcset='s1.png 1x, s2.png 2x'>"
                   "<video poster=p.jpg><source src=v.mp4></video>"
                   "<picture><source srcset=ps.webp><img src=pi.jpg>"
                   "</picture><source srcset=no.webp>"),
              "M img src i.png\nM img srcset s1.png\nM img srcset s2.png\n"
              "M video poster p.jpg\nM source src v.mp4\n"
              "M source srcset ps.webp\nM img src pi.jpg\n");
    TH_EQ_STR(scan("<meta property=og:image content=og.jpg>"
                   "<link rel=image_src href=is.jpg>"
                   "<div style='background:url(bg.png)'></div>"
                   "<base href=/b/>"),
              "M meta content og.jpg\nM link href is.jpg\n"
              "M div style bg.png\nB base href /b/\n");
    /* attributes a tag does not use are not links */
    TH_EQ_STR(scan("<img href=x><a src=y><div href=z><video src=w>"
                   "<link href=css.css rel=stylesheet><meta content=x>"),
              "");
    /* end tags carry no links */
    TH_EQ_STR(scan("</a href=x></img src=y style='url(z)'>"), "");
    /* empty or whitespace-only URLs are skipped, others trimmed */
    TH_EQ_STR(scan("<a href=''><a href=' \t\n '><a href='\f x \r'>"
                   "<img src>"),
              "P a href x\n");
}

static void test_hidden(void)
{
    TH_EQ_STR(scan("<!-- <a href=c1> --><script><a href=s1></script>"
                   "<style><img src=st1></style>"
                   "<textarea><a href=ta1></textarea>"
                   "<title><a href=ti1></title><xmp><a href=x1></xmp>"
                   "<noembed><a href=ne1></noembed>"
                   "<noframes><a href=nf1></noframes><a href=ok>"),
              "P a href ok\n");
    /* iframe's own src counts; its content is raw text */
    TH_EQ_STR(scan("<iframe src=f.html><a href=in></iframe><a href=out>"),
              "P iframe src f.html\nP a href out\n");
    /* end tag needs whitespace, '/' or '>' after the name */
    TH_EQ_STR(scan("<script></scriptx><a href=1></script ><a href=2>"),
              "P a href 2\n");
    TH_EQ_STR(scan("<SCRIPT>x</ScRiPt/><a href=3>"), "P a href 3\n");
    TH_EQ_STR(scan("<style>a</style foo='>'><a href=4>"), "P a href 4\n");
    TH_EQ_STR(scan("<title>a</tit</title\t><a href=5>"), "P a href 5\n");
    /* script escape states are simplified: the first </script ends it */
    TH_EQ_STR(scan("<script><!--<script></script><a href=6>"), "P a href 6\n");
    /* plaintext never ends */
    TH_EQ_STR(scan("<a href=7><plaintext></plaintext><a href=8>"),
              "P a href 7\n");
    /* noscript is markup (scripting disabled) */
    TH_EQ_STR(scan("<noscript><img src=ns.png></noscript>"),
              "M img src ns.png\n");
}

static void test_comments(void)
{
    TH_EQ_STR(scan("<!--><a href=1>"), "P a href 1\n");
    TH_EQ_STR(scan("<!---><a href=2>"), "P a href 2\n");
    TH_EQ_STR(scan("<!-- x --!><a href=3>"), "P a href 3\n");
    TH_EQ_STR(scan("<!-- x --!x <a href=no> --><a href=4>"), "P a href 4\n");
    TH_EQ_STR(scan("<!-- - -- ---><a href=5>"), "P a href 5\n");
    TH_EQ_STR(scan("<!-- <!-- nested --> <a href=6> -->"), "P a href 6\n");
    TH_EQ_STR(scan("<!DOCTYPE html PUBLIC \"a\"><a href=7>"), "P a href 7\n");
    TH_EQ_STR(scan("<!doctype \"<a href=no>\"><a href=8>"), "P a href 8\n");
    TH_EQ_STR(scan("<![CDATA[<a href=no>]]><a href=9>"), "P a href 9\n");
    TH_EQ_STR(scan("<?php <a href=no> ?><a href=10>"), "P a href 10\n");
    TH_EQ_STR(scan("<?xml x?><a href=11></ x <a href=no><a href=12>"),
              "P a href 11\nP a href 12\n");
    TH_EQ_STR(scan("<!x <a href=no>'><a href=13></>"), "P a href 13\n");
    TH_EQ_STR(scan("<!- <a href=no><a href=14>"), "P a href 14\n");
    /* an unterminated comment hides the rest */
    TH_EQ_STR(scan("<a href=15><!-- <a href=no>"), "P a href 15\n");
}

static void test_attr_syntax(void)
{
    TH_EQ_STR(scan("<A HREF=Up><IMG SRC='Q'><Img Src=\"D\">"),
              "P a href Up\nM img src Q\nM img src D\n");
    TH_EQ_STR(scan("<a href = \"x y\" ><a href='a\"b'><a href=\"a'b\">"),
              "P a href x y\nP a href a\"b\nP a href a'b\n");
    TH_EQ_STR(scan("<a href=a\"b'c=d`e<f>"), "P a href a\"b'c=d`e<f\n");
    /* first duplicate wins, even when it has no value */
    TH_EQ_STR(scan("<a href=1 href=2><a href HREF=3><a x=1 href=4>"),
              "P a href 1\nP a href 4\n");
    /* '=' first is a name; after value missing '>' ends the tag */
    TH_EQ_STR(scan("<a =x href=1><a href=>x<a href=2>"),
              "P a href 1\nP a href 2\n");
    /* self-closing, slashes between attributes */
    TH_EQ_STR(scan("<img/src=a.png/><img src=b.png /><a/href=c/>"),
              "M img src a.png/\nM img src b.png\nP a href c/\n");
    TH_EQ_STR(scan("<a\nhref\n=\nx\n>"), "P a href x\n");
    /* tag names run to whitespace, '/' or '>' */
    TH_EQ_STR(scan("<a<b href=1><a<a href=2>"), "");
}

static void test_charrefs(void)
{
    TH_EQ_STR(scan("<a href='/?a=1&amp;b=2'>"), "P a href /?a=1&b=2\n");
    TH_EQ_STR(scan("<a href=&#x2F;x&#47;y&#X2f;>"), "P a href /x/y/\n");
    /* legacy name without ';' before '=' or alnum: not decoded */
    TH_EQ_STR(scan("<a href='?x&copy=1'>"), "P a href ?x&copy=1\n");
    TH_EQ_STR(scan("<a href='?x&copyx'>"), "P a href ?x&copyx\n");
    TH_EQ_STR(scan("<a href='?x&copy;=1'>"), "P a href ?x\xc2\xa9=1\n");
    TH_EQ_STR(scan("<a href='?x&copy.'>"), "P a href ?x\xc2\xa9.\n");
    TH_EQ_STR(scan("<a href='&amp'>"), "P a href &\n");
    TH_EQ_STR(scan("<a href=&amp>"), "P a href &\n");
    /* longest match; names that are not legacy need ';' */
    TH_EQ_STR(scan("<a href='&notin;&notit;&noti'>"),
              "P a href \xe2\x88\x89&notit;&noti\n");
    TH_EQ_STR(scan("<a href='&not;it &not-x'>"),
              "P a href \xc2\xacit \xc2\xac-x\n");
    TH_EQ_STR(scan("<a href='&NotANamedRef; &;&&#;&#x;&#xg'>"),
              "P a href &NotANamedRef; &;&&#;&#x;&#xg\n");
    TH_EQ_STR(scan("<a href='&CounterClockwiseContourIntegral;'>"),
              "P a href \xe2\x88\xb3\n");
    /* two code points */
    TH_EQ_STR(scan("<a href='&NotEqualTilde;'>"),
              "P a href \xe2\x89\x82\xcc\xb8\n");
    /* numeric edge cases */
    TH_EQ_STR(scan("<a href='&#0;&#x110000;&#xD800;&#99999999999999;'>"),
              "P a href \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\n");
    TH_EQ_STR(scan("<a href='&#x80;&#150;&#x81;&#x9F'>"),
              "P a href \xe2\x82\xac\xe2\x80\x93\xc2\x81\xc5\xb8\n");
    TH_EQ_STR(scan("<a href='&#65&#x42x&#x1F600;'>"),
              "P a href ABx\xf0\x9f\x98\x80\n");
    TH_EQ_STR(scan("<a href='&#0000000000000000065;'>"), "P a href A\n");
    /* text outside attributes is not decoded (and not needed) */
    TH_EQ_STR(scan("&lt;a href=x&gt;<a href=&quot;q&quot;>"),
              "P a href \"q\"\n");
    /* a reference that runs into the quote or '>' */
    TH_EQ_STR(scan("<a href=\"&amp\"><a href=&#47>"),
              "P a href &\nP a href /\n");
}

static void test_srcset(void)
{
    TH_EQ_STR(scan("<img srcset='a.png 1x,b.png 2x , c.png'>"),
              "M img srcset a.png\nM img srcset b.png\nM img srcset c.png\n");
    /* a URL is a run of non-whitespace: commas inside it stay */
    TH_EQ_STR(scan("<img srcset='a.png,b.png, ,,c.png,'>"),
              "M img srcset a.png,b.png\nM img srcset c.png\n");
    TH_EQ_STR(scan("<img srcset=' x.png 100w (foo, bar) , y.png 1.5x'>"),
              "M img srcset x.png\nM img srcset y.png\n");
    TH_EQ_STR(scan("<img srcset='data:image/png;base64,AAA= 1x'>"),
              "M img srcset data:image/png;base64,AAA=\n");
    TH_EQ_STR(scan("<img srcset='&#x61;.png 1x, b&amp;c.png'>"),
              "M img srcset a.png\nM img srcset b&c.png\n");
    TH_EQ_STR(scan("<img srcset=',,,  '>"), "");
}

static void test_og_image(void)
{
    TH_EQ_STR(scan("<meta content=before.jpg property=og:image>"
                   "<meta name=OG:IMAGE:URL content=u.jpg>"
                   "<meta property='og:image:secure_url' content=s.jpg>"
                   "<meta property=og:title content=no.jpg>"
                   "<meta property=og:image:width content=100>"
                   "<meta property=' og:image ' content=trim.jpg>"),
              "M meta content before.jpg\nM meta content u.jpg\n"
              "M meta content s.jpg\nM meta content trim.jpg\n");
}

static void test_link_rel(void)
{
    TH_EQ_STR(scan("<link rel=\"icon image_src\" href=i.png>"
                   "<link href=j.png rel='IMAGE_SRC'>"
                   "<link rel=icon href=no.png>"
                   "<link rel='image_srcx' href=no2.png>"),
              "M link href i.png\nM link href j.png\n");
}

static void test_style(void)
{
    TH_EQ_STR(scan("<div style=\"background:url('a.png'); "
                   "x:URL( &quot;b.png&quot; ); y:url(c.png) ; z:url( d e )\">"
                   "<span style='url()url(\"\")'><p style=\"url(f.png\">"),
              "M div style a.png\nM div style b.png\nM div style c.png\n"
              "M div style d e\nM p style f.png\n");
    TH_EQ_STR(scan("<img src=i.png style='background:url(j.png)'>"),
              "M img src i.png\nM img style j.png\n");
}

static void test_base(void)
{
    TH_EQ_STR(scan("<base target=_top><base href=/one/><base href=/two/>"
                   "<a href=x>"),
              "B base href /one/\nP a href x\n");
}

static void test_nul(void)
{
    static const char doc[] = "<a\0 href=1><a hr\0ef=2><a href='x\0y'>"
                              "<a href=u\0v>\0<img src=\0>"
                              "<a\0b href=3><a href=4>";
    TH_EQ_STR(scan_lim(doc, sizeof(doc) - 1, NULL),
              "P a href x\xef\xbf\xbdy\nP a href u\xef\xbf\xbdv\n"
              "M img src \xef\xbf\xbd\nP a href 4\n");
    static const char c2[] = "<!--\0--><script>\0</script\0></script>"
                             "<a href=5>";
    TH_EQ_STR(scan_lim(c2, sizeof(c2) - 1, NULL), "P a href 5\n");
}

/*
 * The junk document, token by token (WHATWG 13.2.5):
 *  <a href=1>      start tag a, href "1": reported.
 *  <div<a href=2>  tag name state appends '<' and 'a': the tag is "div<a"
 *                  with href "2", not an a element: nothing.
 *  < a href=3>     tag open state sees ' ' (not alpha, '!', '/', '?'):
 *                  '<' is text, and so is the rest: nothing.
 *  <a href="4"x href=5 href=6>
 *                  after "4" comes 'x' (missing-whitespace-between-
 *                  attributes): reconsumed in before attribute name, a new
 *                  attribute "x"; href=5 and href=6 are duplicates and
 *                  dropped: "4".
 *  <!--<a href=7>--> a comment: nothing.
 *  <a href=8/>     '/' is part of the unquoted value: "8/".
 */
static void test_junk(void)
{
    TH_EQ_STR(scan("<a href=1><div<a href=2>< a href=3>"
                   "<a href=\"4\"x href=5 href=6><!--<a href=7>-->"
                   "<a href=8/>"),
              "P a href 1\nP a href 4\nP a href 8/\n");
    /* EOF in a tag drops the tag */
    TH_EQ_STR(scan("<a href=1><a href=2"), "P a href 1\n");
    TH_EQ_STR(scan("<a href='3'"), "");
    TH_EQ_STR(scan("<a href='&amp"), "");
    TH_EQ_STR(scan("<a href=x><"), "P a href x\n");
}

static void test_caps(void)
{
    struct vg_html_limits lim = {8, 2, 3};
    int t;
    size_t seen;
    const char *r;

    /* max_attr_value: 8 bytes is kept, 9 is dropped (and still wins) */
    TH_EQ_STR(scan_l("<a href=12345678><a href=123456789 href=x>"
                     "<img srcset='a, bbbbbbbbbbbbb'>",
                     &lim),
              "P a href 12345678\n");
    /* the cap counts decoded bytes */
    lim.max_attr_value = 3;
    TH_EQ_STR(scan_l("<a href='&copy;&amp;'><a href='&copy;&copy;'>", &lim),
              "P a href \xc2\xa9&\n");
    /* max_attrs: the third attribute is ignored */
    lim.max_attr_value = 0;
    TH_EQ_STR(scan_l("<a x=1 href=y><a x=1 y=2 href=z><a x y z>", &lim),
              "P a href y\n");
    /* max_links */
    r = scan_n("<a href=1><a href=2><a href=3><a href=4><a href=5>", 50, &lim,
               0, &t, &seen);
    TH_EQ_STR(r, "P a href 1\nP a href 2\nP a href 3\n");
    TH_EQ_INT(t, 1);
    TH_EQ_INT(seen, 3);
    r = scan_n("<a href=1><a href=2><a href=3>", 30, &lim, 0, &t, &seen);
    TH_EQ_INT(t, 0);
    TH_EQ_INT(seen, 3);
    (void)r;
    /* reported lengths never exceed the cap */
    {
        struct vg_html_limits l2 = {5, 0, 0};
        struct sink k;
        struct vg_html_scanner *s = NULL;
        static const char d[] = "<img srcset='abcde 1x, abcdef 2x'>"
                                "<div style='url(abcde)'><a href=' abcde '>";
        memset(&k, 0, sizeof(k));
        vg_buf_init(&k.out, 0);
        TH_EQ_INT(vg_html_scanner_new(&l2, on_link, &k, &s), VG_OK);
        TH_EQ_INT(vg_html_scan(s, d, sizeof(d) - 1), VG_OK);
        TH_EQ_INT(vg_html_finish(s), VG_OK);
        TH_CHECK(k.max_len <= 5);
        TH_EQ_INT(k.n, 0);
        vg_html_scanner_free(s);
        vg_buf_fini(&k.out);
    }
}

static void test_callback_stop(void)
{
    struct sink k;
    struct vg_html_scanner *s = NULL;
    static const char d[] = "<a href=1><a href=2><a href=3>";

    memset(&k, 0, sizeof(k));
    vg_buf_init(&k.out, 0);
    k.stop_after = 2;
    TH_EQ_INT(vg_html_scanner_new(NULL, on_link, &k, &s), VG_OK);
    TH_EQ_INT(vg_html_scan(s, d, sizeof(d) - 1), VG_EBUSY);
    TH_EQ_INT(vg_html_scan(s, d, sizeof(d) - 1), VG_EBUSY);
    TH_EQ_INT(vg_html_finish(s), VG_EBUSY);
    TH_EQ_INT(k.n, 2);
    TH_EQ_INT(vg_html_links_seen(s, NULL), 2);
    vg_html_scanner_free(s);
    vg_html_scanner_free(NULL);
    vg_buf_fini(&k.out);
}

static void test_alloc_failure(void)
{
    static const char d[] = "<a href=1><img srcset='a 1x, b 2x'"
                            " style='url(c)'><a href=2>";
    int ok = 0;

    for (long n = 0; n < 20 && !ok; n++) {
        struct sink k;
        struct vg_html_scanner *s = NULL;
        int rc;
        memset(&k, 0, sizeof(k));
        vg_buf_init(&k.out, 0);
        vg_alloc_fail_after(n);
        rc = vg_html_scanner_new(NULL, on_link, &k, &s);
        if (!rc) {
            rc = vg_html_scan(s, d, sizeof(d) - 1);
            if (!rc)
                rc = vg_html_finish(s);
        }
        vg_alloc_fail_after(-1);
        TH_CHECK(rc == VG_OK || rc == VG_ENOMEM);
        if (rc == VG_ENOMEM && s)
            TH_EQ_INT(vg_html_scan(s, "x", 1), VG_ENOMEM);
        ok = rc == VG_OK;
        if (ok)
            TH_EQ_INT(k.n, 5);
        vg_html_scanner_free(s);
        vg_buf_fini(&k.out);
    }
    TH_CHECK(ok);
}

/* A mixed document: every chunking gives the same links. */
static void test_chunking(void)
{
    static const char doc[] =
        "<!DOCTYPE html><html><head><title>&lt;a href=t&gt;</title>"
        "<base href='https://ex.test/d/'><meta content='/og.jpg' "
        "PROPERTY='og:image'><link rel='shortcut icon image_src' "
        "href=/i.png><style>a{background:url(x.png)}</style>"
        "<script>if(a<b)document.write('<a href=s>')</script></head>"
        "<body><!-- c <a href=c> --!><a href='/p?a=1&amp;b=2&copy=3'>x</a>"
        "<img src=\"/img&#x2F;1.jpg\" srcset=\"/a.jpg 1x, /b.jpg 2x,"
        "/c.jpg 3x\" style='background-image: url( \"/bg.png\" )'>"
        "<picture><source srcset='/s.webp 100w, /t.webp 200w'></picture>"
        "<video poster=/v.jpg><source src=/v.mp4 type=video/mp4></video>"
        "<textarea><img src=no></textarea><iframe src=/f></iframe>"
        "<![CDATA[ x ]]><?pi x?><a href=&#x6A;&#x61;&#118;a>end</a>"
        "<a href='&NotEqualTilde;&amp&ampx&#128;&#0;'>";
    const char *r = scan_lim(doc, sizeof(doc) - 1, NULL);

    TH_EQ_STR(r, "B base href https://ex.test/d/\nM meta content /og.jpg\n"
                 "M link href /i.png\nP a href /p?a=1&b=2&copy=3\n"
                 "M img src /img/1.jpg\nM img srcset /a.jpg\n"
                 "M img srcset /b.jpg\nM img srcset /c.jpg\n"
                 "M img style /bg.png\nM source srcset /s.webp\n"
                 "M source srcset /t.webp\nM video poster /v.jpg\n"
                 "M source src /v.mp4\nP iframe src /f\nP a href java\n"
                 "P a href \xe2\x89\x82\xcc\xb8&&ampx\xe2\x82\xac"
                 "\xef\xbf\xbd\n");
    /* many random chunkings of the same document */
    for (int i = 0; i < 50; i++) {
        int t;
        size_t seen;
        const char *q = scan_n(doc, sizeof(doc) - 1, NULL,
                               1 + (size_t)(rnd() % 40), &t, &seen);
        if (!q || !r || strcmp(q, r)) {
            TH_FAIL_("chunking %d differs", i);
            break;
        }
    }
}

/* ---- pathological inputs: linear time, links after the junk found ---- */

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Scan junk then a link, in 64 KiB chunks; return seconds, check link. */
static double timed(const char *what, const char *junk, size_t len,
                    const char *tail, const char *want)
{
    struct sink k;
    struct vg_html_scanner *s = NULL;
    double t0 = now(), dt;
    size_t i;
    int rc = VG_OK;

    memset(&k, 0, sizeof(k));
    vg_buf_init(&k.out, 0);
    vg_buf_puts(&k.out, "");
    if (vg_html_scanner_new(NULL, on_link, &k, &s)) {
        TH_FAIL_("%s: no scanner", what);
        return 0;
    }
    for (i = 0; !rc && i < len; i += 65536)
        rc = vg_html_scan(s, junk + i, len - i < 65536 ? len - i : 65536);
    if (!rc)
        rc = vg_html_scan(s, tail, strlen(tail));
    if (!rc)
        rc = vg_html_finish(s);
    dt = now() - t0;
    TH_EQ_INT(rc, VG_OK);
    if (!k.out.data || !strstr(k.out.data, want))
        TH_FAIL_("%s: %s not found after the junk", what, want);
    fprintf(stderr, "  %-28s %5.1f MB %7.3f s\n", what, (double)len / 1e6, dt);
    TH_CHECK(dt < 2.0 * ((double)len / 1e6 + 1.0));
    vg_html_scanner_free(s);
    vg_buf_fini(&k.out);
    return dt;
}

static char *repeat(const char *unit, size_t times, size_t *len)
{
    size_t u = strlen(unit);
    char *p = vg_malloc(u * times + 1);

    if (!p)
        return NULL;
    for (size_t i = 0; i < times; i++)
        memcpy(p + i * u, unit, u);
    p[u * times] = '\0';
    *len = u * times;
    return p;
}

static void test_pathological(void)
{
    size_t len;
    char *p;

    /* one tag with 50,000 attributes, links among them */
    if ((p = repeat(" href=x", 50000, &len))) {
        char *doc = vg_malloc(len + 64);
        if (doc) {
            size_t n;
            memcpy(doc, "<a", 2);
            memcpy(doc + 2, p, len);
            n = 2 + len;
            memcpy(doc + n, " style='url(z)'>", 16);
            n += 16;
            timed("50,000 attributes", doc, n, "<a href=after>",
                  "P a href x\nP a href after\n");
            vg_free(doc);
        }
        vg_free(p);
    }
    if ((p = repeat("<div>", 1000000, &len))) {
        timed("1,000,000 nested divs", p, len, "<a href=after>",
              "P a href after");
        vg_free(p);
    }
    if ((p = repeat("<", 4000000, &len))) {
        timed("4 MB of '<'", p, len, "<a href=after>", "P a href after");
        vg_free(p);
    }
    if ((p = repeat("&", 4000000, &len))) {
        char *doc = vg_malloc(len + 32);
        if (doc) {
            memcpy(doc, "<a href='", 9);
            memcpy(doc + 9, p, len);
            memcpy(doc + 9 + len, "'>", 2);
            /* a 4 MB value is dropped; the next link is found */
            timed("4 MB of '&' in a value", doc, len + 11, "<a href=after>",
                  "P a href after");
            memcpy(doc, p, len);
            timed("4 MB of '&' in text", doc, len, "<a href=after>",
                  "P a href after");
            vg_free(doc);
        }
        vg_free(p);
    }
    if ((p = repeat("&amp&#x41&lt", 300000, &len))) {
        char *doc = vg_malloc(len + 32);
        if (doc) {
            memcpy(doc, "<a href='", 9);
            memcpy(doc + 9, p, len);
            memcpy(doc + 9 + len, "'>", 2);
            timed("3.6 MB of references", doc, len + 11, "<a href=after>",
                  "P a href after");
            vg_free(doc);
        }
        vg_free(p);
    }
    if ((p = repeat("<!-- - -- x", 400000, &len))) {
        timed("unterminated comment", p, len, "--><a href=after>",
              "P a href after");
        vg_free(p);
    }
    if ((p = vg_calloc(1, 4000000))) {
        timed("4 MB of NUL", p, 4000000, "<a href=after>", "P a href after");
        memcpy(p, "<a href='", 9);
        p[4000000 - 2] = '\'';
        p[4000000 - 1] = '>';
        timed("4 MB of NUL in a value", p, 4000000, "<a href=after>",
              "P a href after");
        vg_free(p);
    }
    if ((p = repeat("<a x=\"", 500000, &len))) {
        timed("unterminated values", p, len, "\"><a href=after>",
              "P a href after");
        vg_free(p);
    }
    if ((p = repeat("<script></scrip", 300000, &len))) {
        timed("near-miss end tags", p, len, "</script><a href=after>",
              "P a href after");
        vg_free(p);
    }
}

int main(void)
{
    TH_RUN(test_kinds);
    TH_RUN(test_hidden);
    TH_RUN(test_comments);
    TH_RUN(test_attr_syntax);
    TH_RUN(test_charrefs);
    TH_RUN(test_srcset);
    TH_RUN(test_og_image);
    TH_RUN(test_link_rel);
    TH_RUN(test_style);
    TH_RUN(test_base);
    TH_RUN(test_nul);
    TH_RUN(test_junk);
    TH_RUN(test_caps);
    TH_RUN(test_callback_stop);
    TH_RUN(test_alloc_failure);
    TH_RUN(test_chunking);
    TH_RUN(test_pathological);
    return th_done();
}
