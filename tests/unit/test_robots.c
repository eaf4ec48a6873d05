/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/crawl/robots.c (RFC 9309): grouping and merging, the
 * '*' fallback, product token matching, longest match and ties, '*' and
 * '$', percent-encoding normal form, HTTP outcomes, the size cap, line
 * ends, BOM, huge lines, crawl-delay, the RFC 9309 section 5 examples,
 * caps and adversarial patterns, and allocation failure without leaks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/robots.h"

/* Parse s for product; NULL on failure (recorded). */
static struct vg_robots *P(const char *s, const char *product)
{
    struct vg_robots *r = NULL;
    int rc = vg_robots_parse(s, strlen(s), product, &r);

    if (rc != VG_OK || !r) {
        TH_FAIL_("parse failed: %d", rc);
        return NULL;
    }
    return r;
}

/* Is path allowed for product under robots.txt s? */
static int A(const char *s, const char *product, const char *path)
{
    struct vg_robots *r = P(s, product);
    int ok = r ? vg_robots_allowed(r, path) : -1;

    vg_robots_free(r);
    return ok;
}

static void test_groups_merge(void)
{
    const char *s = "User-agent: vigil\n"
                    "Disallow: /a\n"
                    "\n"
                    "User-agent: other\n"
                    "Disallow: /b\n"
                    "\n"
                    "User-agent: VIGIL\n"
                    "Disallow: /c\n";

    TH_EQ_INT(A(s, "vigil", "/a"), 0);
    TH_EQ_INT(A(s, "vigil", "/c"), 0); /* second group merged */
    TH_EQ_INT(A(s, "vigil", "/b"), 1);
    TH_EQ_INT(A(s, "other", "/b"), 0);
    TH_EQ_INT(A(s, "other", "/a"), 1);
    /* several user-agent lines make one group, also across blank lines */
    s = "user-agent: x\nuser-agent: vigil\n\nuser-agent: y\ndisallow: /z\n"
        "user-agent: vigil2\ndisallow: /w\n";
    TH_EQ_INT(A(s, "vigil", "/z"), 0);
    TH_EQ_INT(A(s, "vigil", "/w"), 1);
    TH_EQ_INT(A(s, "y", "/z"), 0);
    /* a user-agent line after rules starts a new group */
    s = "user-agent: vigil\ndisallow: /a\nuser-agent: x\ndisallow: /b\n";
    TH_EQ_INT(A(s, "vigil", "/b"), 1);
    /* sitemap and unknown lines neither start nor end a group */
    s = "user-agent: x\nsitemap: https://e.example/s.xml\nfoo: bar\n"
        "user-agent: vigil\ndisallow: /a\n";
    TH_EQ_INT(A(s, "vigil", "/a"), 0);
    TH_EQ_INT(A(s, "x", "/a"), 0);
}

static void test_star_fallback(void)
{
    const char *s = "User-agent: *\nDisallow: /private\n\n"
                    "User-agent: other\nDisallow: /\n\n"
                    "User-agent: *\nDisallow: /tmp\n";

    TH_EQ_INT(A(s, "vigil", "/private/x"), 0);
    TH_EQ_INT(A(s, "vigil", "/tmp"), 0); /* '*' groups merged too */
    TH_EQ_INT(A(s, "vigil", "/public"), 1);
    TH_EQ_INT(A(s, "other", "/public"), 0);
    /* our own group, even empty, overrides '*' */
    s = "User-agent: *\nDisallow: /\n\nUser-agent: vigil\n";
    TH_EQ_INT(A(s, "vigil", "/x"), 1);
    TH_EQ_INT(A(s, "other", "/x"), 0);
    /* no matching and no '*' group: everything allowed */
    TH_EQ_INT(A("User-agent: other\nDisallow: /\n", "vigil", "/x"), 1);
    TH_EQ_INT(A("", "vigil", "/x"), 1);
    /* a group naming both us and '*' counts for both */
    s = "User-agent: *\nUser-agent: vigil\nDisallow: /q\n";
    TH_EQ_INT(A(s, "vigil", "/q"), 0);
    TH_EQ_INT(A(s, "zz", "/q"), 0);
}

static void test_product_token(void)
{
    const char *s = "User-agent: Vigil/1.0\nDisallow: /a\n"
                    "User-agent: vigilant\nDisallow: /b\n"
                    "User-agent: vigil-news\nDisallow: /c\n";

    TH_EQ_INT(A(s, "vigil", "/a"), 0);
    TH_EQ_INT(A(s, "VIGIL", "/a"), 0);
    TH_EQ_INT(A(s, "vigil", "/b"), 1); /* no prefix matching */
    TH_EQ_INT(A(s, "vigil", "/c"), 1);
    TH_EQ_INT(A(s, "Vigil/2.3 (+https://vigil.example)", "/a"), 0);
    TH_EQ_INT(A(s, "vigil-news", "/c"), 0);
    TH_EQ_INT(A("USER-AGENT:vigil ; extra\nDISALLOW:/x", "vigil", "/x"), 0);
    /* typo keys accepted */
    TH_EQ_INT(A("useragent: vigil\ndissallow: /x\n", "vigil", "/x"), 0);
    TH_EQ_INT(A("user agent: vigil\ndisalow: /x\n", "vigil", "/x"), 0);
    {
        struct vg_robots *r = (struct vg_robots *)1;
        TH_EQ_INT(vg_robots_parse("", 0, "", &r), VG_EINVAL);
        TH_CHECK(r == NULL);
        TH_EQ_INT(vg_robots_parse("", 0, "/1.0", &r), VG_EINVAL);
        TH_EQ_INT(vg_robots_parse("", 0, NULL, &r), VG_EINVAL);
        TH_EQ_INT(vg_robots_from_fetch(404, NULL, 0, "", &r), VG_EINVAL);
    }
}

static void test_longest_match(void)
{
    const char *s = "User-agent: *\n"
                    "Disallow: /shop\n"
                    "Allow: /shop/public\n"
                    "Disallow: /shop/public/secret\n";

    TH_EQ_INT(A(s, "vigil", "/shop"), 0);
    TH_EQ_INT(A(s, "vigil", "/shop/cart"), 0);
    TH_EQ_INT(A(s, "vigil", "/shop/public/x"), 1);
    TH_EQ_INT(A(s, "vigil", "/shop/public/secret/y"), 0);
    TH_EQ_INT(A(s, "vigil", "/other"), 1);
    /* order in the file does not matter */
    s = "User-agent: *\nAllow: /a/b\nDisallow: /a\n";
    TH_EQ_INT(A(s, "vigil", "/a/b/c"), 1);
    TH_EQ_INT(A(s, "vigil", "/a/c"), 0);
    /* a longer wildcard rule beats a shorter literal one */
    s = "User-agent: *\nAllow: /p\nDisallow: /*.php\n";
    TH_EQ_INT(A(s, "vigil", "/page.php"), 0);
    TH_EQ_INT(A(s, "vigil", "/page.html"), 1);
}

static void test_allow_wins_ties(void)
{
    const char *s = "User-agent: *\nDisallow: /page\nAllow: /page\n";

    TH_EQ_INT(A(s, "vigil", "/page"), 1);
    s = "User-agent: *\nAllow: /pa*\nDisallow: /pag\n"; /* both 4 octets */
    TH_EQ_INT(A(s, "vigil", "/page"), 1);
    s = "User-agent: *\nDisallow: /$\nAllow: /*\n"; /* both 2 octets */
    TH_EQ_INT(A(s, "vigil", "/"), 1);
    s = "User-agent: *\nDisallow: /\nAllow: /$\n";
    TH_EQ_INT(A(s, "vigil", "/"), 1);
    TH_EQ_INT(A(s, "vigil", "/x"), 0);
}

static void test_wildcards(void)
{
    const char *s = "User-agent: *\nDisallow: /*.gif$\n";

    TH_EQ_INT(A(s, "vigil", "/a.gif"), 0);
    TH_EQ_INT(A(s, "vigil", "/x/y/a.gif"), 0);
    TH_EQ_INT(A(s, "vigil", "/a.gif?x=1"), 1);
    TH_EQ_INT(A(s, "vigil", "/a.gifs"), 1);
    TH_EQ_INT(A(s, "vigil", "/a.GIF"), 1);
    s = "User-agent: *\nDisallow: /fish*\n";
    TH_EQ_INT(A(s, "vigil", "/fish"), 0);
    TH_EQ_INT(A(s, "vigil", "/fish.html"), 0);
    TH_EQ_INT(A(s, "vigil", "/fishheads/yummy.html"), 0);
    TH_EQ_INT(A(s, "vigil", "/Fish.asp"), 1);
    TH_EQ_INT(A(s, "vigil", "/catfish"), 1);
    s = "User-agent: *\nDisallow: /fish/\n";
    TH_EQ_INT(A(s, "vigil", "/fish/salmon.htm"), 0);
    TH_EQ_INT(A(s, "vigil", "/fish"), 1);
    s = "User-agent: *\nDisallow: /*.php$\nDisallow: /a*b*c\n";
    TH_EQ_INT(A(s, "vigil", "/index.php"), 0);
    TH_EQ_INT(A(s, "vigil", "/index.php?x"), 1);
    TH_EQ_INT(A(s, "vigil", "/filename.php/"), 1);
    TH_EQ_INT(A(s, "vigil", "/aXXbYYc"), 0);
    TH_EQ_INT(A(s, "vigil", "/acb"), 1);
    TH_EQ_INT(A(s, "vigil", "/abbc"), 0);
    /* anchored: the last piece must end the path after the earlier ones */
    s = "User-agent: *\nDisallow: /*ab*ba$\n";
    TH_EQ_INT(A(s, "vigil", "/xaba"), 1); /* "ab" and "ba" would overlap */
    TH_EQ_INT(A(s, "vigil", "/xabba"), 0);
    TH_EQ_INT(A(s, "vigil", "/abxxxba"), 0);
    /* '$' inside a pattern is literal; '$' alone ends the pattern */
    s = "User-agent: *\nDisallow: /a$b\nDisallow: /exact$\n";
    TH_EQ_INT(A(s, "vigil", "/a$b"), 0);
    TH_EQ_INT(A(s, "vigil", "/a%24b"), 0);
    TH_EQ_INT(A(s, "vigil", "/exact"), 0);
    TH_EQ_INT(A(s, "vigil", "/exactly"), 1);
    /* many '*' do not backtrack exponentially */
    s = "User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n";
    TH_EQ_INT(
        A(s, "vigil",
          "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"),
        1);
}

static void test_percent_encoding(void)
{
    const char *s = "User-agent: *\n"
                    "Disallow: /foo/bar/%E3%83%84\n"
                    "Disallow: /a/%62%61%7A\n"
                    "Disallow: /\xE3\x83\x84/utf8\n"
                    "Disallow: /low/%2f\n"
                    "Disallow: /path/file-with-a-%2A.html\n"
                    "Disallow: /path/foo-%24\n";

    TH_EQ_INT(A(s, "vigil", "/foo/bar/%E3%83%84"), 0);
    TH_EQ_INT(A(s, "vigil", "/foo/bar/%e3%83%84"), 0);
    TH_EQ_INT(A(s, "vigil", "/foo/bar/\xE3\x83\x84"), 0);
    TH_EQ_INT(A(s, "vigil", "/a/baz"), 0); /* unreserved decoded */
    TH_EQ_INT(A(s, "vigil", "/a/%62az"), 0);
    TH_EQ_INT(A(s, "vigil", "/%E3%83%84/utf8"), 0); /* non-ASCII pattern */
    TH_EQ_INT(A(s, "vigil", "/low/%2F"), 0);
    TH_EQ_INT(A(s, "vigil", "/low/"), 1); /* %2F is not '/' */
    TH_EQ_INT(A(s, "vigil", "/path/file-with-a-*.html"), 0);
    TH_EQ_INT(A(s, "vigil", "/path/file-with-a-x.html"), 1);
    TH_EQ_INT(A(s, "vigil", "/path/foo-$"), 0);
    /* a stray '%' is %25 on both sides */
    TH_EQ_INT(A("User-agent: *\nDisallow: /p%zz\n", "vigil", "/p%25zz"), 0);
    TH_EQ_INT(A("User-agent: *\nDisallow: /p%zz\n", "vigil", "/p%zz"), 0);
    TH_EQ_INT(A("User-agent: *\nDisallow: /p%\n", "vigil", "/p%"), 0);
    /* the query is part of what is matched */
    TH_EQ_INT(A("User-agent: *\nDisallow: /s?q=\n", "vigil", "/s?q=x"), 0);
    TH_EQ_INT(A("User-agent: *\nDisallow: /s?q=\n", "vigil", "/s"), 1);
}

static void test_empty_disallow(void)
{
    const char *s = "User-agent: *\nDisallow:\n";

    TH_EQ_INT(A(s, "vigil", "/"), 1);
    TH_EQ_INT(A(s, "vigil", "/anything"), 1);
    s = "User-agent: *\nDisallow:   # nothing\nDisallow: /x\n";
    TH_EQ_INT(A(s, "vigil", "/y"), 1);
    TH_EQ_INT(A(s, "vigil", "/x"), 0);
}

static void test_rules_before_agent(void)
{
    const char *s = "Disallow: /early\nAllow: /x\nCrawl-delay: 5\n"
                    "User-agent: *\nDisallow: /late\n";
    struct vg_robots *r = P(s, "vigil");

    TH_EQ_INT(vg_robots_allowed(r, "/early"), 1);
    TH_EQ_INT(vg_robots_allowed(r, "/late"), 0);
    TH_CHECK(vg_robots_crawl_delay(r) < 0);
    vg_robots_free(r);
}

static void test_fetch_outcomes(void)
{
    static const int allow_all[] = {400, 401, 403, 404, 410,
                                    429, 499, 300, 301, 399};
    static const int deny_all[] = {0, 500, 502, 503, 599, 100, 600, -1};
    const char *body = "User-agent: *\nDisallow: /x\n";
    struct vg_robots *r = NULL;

    for (size_t i = 0; i < sizeof(allow_all) / sizeof(*allow_all); i++) {
        TH_EQ_INT(vg_robots_from_fetch(allow_all[i], body, strlen(body),
                                       "vigil", &r),
                  VG_OK);
        TH_EQ_INT(vg_robots_allowed(r, "/x"), 1);
        TH_EQ_INT(vg_robots_allowed(r, "/"), 1);
        vg_robots_free(r);
        r = NULL;
    }
    for (size_t i = 0; i < sizeof(deny_all) / sizeof(*deny_all); i++) {
        TH_EQ_INT(vg_robots_from_fetch(deny_all[i], NULL, 0, "vigil", &r),
                  VG_OK);
        TH_EQ_INT(vg_robots_allowed(r, "/x"), 0);
        TH_EQ_INT(vg_robots_allowed(r, "/"), 0);
        TH_EQ_INT(vg_robots_allowed(r, "/robots.txt"), 1);
        TH_CHECK(vg_robots_crawl_delay(r) < 0);
        vg_robots_free(r);
        r = NULL;
    }
    TH_EQ_INT(vg_robots_from_fetch(200, body, strlen(body), "vigil", &r),
              VG_OK);
    TH_EQ_INT(vg_robots_allowed(r, "/x"), 0);
    TH_EQ_INT(vg_robots_allowed(r, "/y"), 1);
    vg_robots_free(r);
    r = NULL;
    TH_EQ_INT(vg_robots_from_fetch(204, NULL, 0, "vigil", &r), VG_OK);
    TH_EQ_INT(vg_robots_allowed(r, "/x"), 1);
    vg_robots_free(r);
    vg_robots_free(NULL);
    TH_EQ_INT(vg_robots_allowed(NULL, "/"), 0);
}

static void test_size_limit(void)
{
    size_t n = 600 * 1024, o = 0;
    char *s = malloc(n + 1);
    struct vg_robots *r = NULL;
    const char *head = "User-agent: *\nDisallow: /early\n";
    const char *tail = "Disallow: /late\n";

    TH_CHECK(s != NULL);
    if (!s)
        return;
    memcpy(s, head, strlen(head));
    o = strlen(head);
    while (o + 40 < n - strlen(tail)) {
        memcpy(s + o, "# padding padding padding padding pad\n", 38);
        o += 38;
    }
    memset(s + o, ' ', n - strlen(tail) - o);
    memcpy(s + n - strlen(tail), tail, strlen(tail));
    s[n] = '\0';
    TH_EQ_INT(vg_robots_parse(s, n, "vigil", &r), VG_OK);
    TH_EQ_INT(vg_robots_allowed(r, "/early"), 0);
    TH_EQ_INT(vg_robots_allowed(r, "/late"), 1);
    vg_robots_free(r);
    /* a rule cut by the limit is dropped, not read truncated */
    memset(s, '\n', n);
    memcpy(s, head, strlen(head));
    memcpy(s + VG_ROBOTS_MAX_BYTES - 16, "Allow: /early/abcdefghijkl\n", 27);
    TH_EQ_INT(vg_robots_parse(s, n, "vigil", &r), VG_OK);
    TH_EQ_INT(vg_robots_allowed(r, "/early/abc"), 0);
    TH_EQ_INT(vg_robots_allowed(r, "/early/abcdefghijkl"), 0);
    vg_robots_free(r);
    /* ... but a rule ending right at the limit is kept */
    memset(s, '\n', n);
    memcpy(s, head, strlen(head));
    memcpy(s + VG_ROBOTS_MAX_BYTES - 16, "Allow: /early/ab\n", 17);
    TH_EQ_INT(vg_robots_parse(s, n, "vigil", &r), VG_OK);
    TH_EQ_INT(vg_robots_allowed(r, "/early/abc"), 1);
    TH_EQ_INT(vg_robots_allowed(r, "/early/x"), 0);
    vg_robots_free(r);
    free(s);
}

static void test_line_ends(void)
{
    const char *crlf = "User-agent: *\r\nDisallow: /a\r\nDisallow: /b\r\n";
    const char *cr = "User-agent: *\rDisallow: /a\rDisallow: /b";
    const char *mixed = "User-agent: *\r\n\r\rDisallow: /a\n\rDisallow: /b";

    TH_EQ_INT(A(crlf, "vigil", "/a"), 0);
    TH_EQ_INT(A(crlf, "vigil", "/b"), 0);
    TH_EQ_INT(A(crlf, "vigil", "/c"), 1);
    TH_EQ_INT(A(cr, "vigil", "/a"), 0);
    TH_EQ_INT(A(cr, "vigil", "/b"), 0);
    TH_EQ_INT(A(mixed, "vigil", "/a"), 0);
    TH_EQ_INT(A(mixed, "vigil", "/b"), 0);
    /* whitespace and comments */
    TH_EQ_INT(A("  User-agent :\t*  \n\tDisallow\t:\t/t # c\n", "vigil", "/t"),
              0);
    TH_EQ_INT(A("User-agent: * # all\nDisallow: /t # c\n", "vigil", "/t"), 0);
    TH_EQ_INT(A("User-agent: *\n# Disallow: /t\n", "vigil", "/t"), 1);
    TH_EQ_INT(A("User-agent: *\nDisallow /t\n", "vigil", "/t"), 1);
}

static void test_bom(void)
{
    const char *s = "\xEF\xBB\xBFUser-agent: *\nDisallow: /a\n";

    TH_EQ_INT(A(s, "vigil", "/a"), 0);
    TH_EQ_INT(A(s, "vigil", "/b"), 1);
    /* NUL bytes are just octets */
    {
        static const char z[] = "User-agent: *\nDisallow: /a\0b\nDisallow: /c";
        struct vg_robots *r = NULL;
        TH_EQ_INT(vg_robots_parse(z, sizeof(z) - 1, "vigil", &r), VG_OK);
        TH_EQ_INT(vg_robots_allowed(r, "/a%00b"), 0);
        TH_EQ_INT(vg_robots_allowed(r, "/c"), 0);
        TH_EQ_INT(vg_robots_allowed(r, "/a"), 1);
        vg_robots_free(r);
    }
}

static void test_huge_line(void)
{
    size_t n = 200000;
    const char *head = "User-agent: *\nDisallow: /";
    const char *tail = "\nDisallow: /after\nUser-agent: vigil\n";
    char *s = malloc(n + 100);

    TH_CHECK(s != NULL);
    if (!s)
        return;
    strcpy(s, head);
    memset(s + strlen(head), 'x', n);
    strcpy(s + strlen(head) + n, tail);
    /* the over-long rule is skipped; the lines after it still count */
    TH_EQ_INT(A(s, "zz", "/after"), 0);
    TH_EQ_INT(A(s, "zz", "/xxxx"), 1);
    TH_EQ_INT(A(s, "vigil", "/after"), 1);
    /* a rule at the cap (2048 octets) is kept, one octet more is not */
    strcpy(s, "User-agent: *\nDisallow: /");
    memset(s + strlen(s), 'y', 2047);
    s[25 + 2047] = '\0';
    TH_EQ_INT(A(s, "zz", "/yyy"), 1);
    {
        char *p = malloc(2100);
        if (p) {
            p[0] = '/';
            memset(p + 1, 'y', 2047);
            p[2048] = '\0';
            TH_EQ_INT(A(s, "zz", p), 0);
            strcpy(s + 25 + 2047, "y");
            TH_EQ_INT(A(s, "zz", p), 1);
            free(p);
        }
    }
    free(s);
}

static void test_crawl_delay(void)
{
    static const struct {
        const char *v;
        double want;
    } cases[] = {
        {"10", 10},       {"0.5", 0.5},
        {"0", 0},         {" 2.25 ", 2.25},
        {"3.", 3},        {".5", 0.5},
        {"-1", -1},       {"abc", -1},
        {"1e3", -1},      {"", -1},
        {"5s", -1},       {"999999", 86400},
        {"86400", 86400}, {"1 2", -1},
        {"1.2.3", -1},    {"1000000000000000000000000000000000", 86400},
    };
    char buf[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct vg_robots *r;
        double d;

        snprintf(buf, sizeof(buf), "User-agent: *\nCrawl-delay:%s\n",
                 cases[i].v);
        r = P(buf, "vigil");
        d = vg_robots_crawl_delay(r);
        if (cases[i].want < 0
                ? d >= 0
                : (d < cases[i].want - 1e-9 || d > cases[i].want + 1e-9))
            TH_FAIL_("crawl-delay \"%s\": %g, want %g", cases[i].v, d,
                     cases[i].want);
        vg_robots_free(r);
    }
    {
        /* the first valid value of the selected groups */
        const char *s = "User-agent: *\nCrawl-delay: 1\n"
                        "User-agent: vigil\nCrawl-delay: x\nCrawl-delay: 7\n"
                        "Crawl-delay: 9\nUser-agent: vigil\nCrawl-delay: 3\n";
        struct vg_robots *r = P(s, "vigil");
        TH_CHECK(vg_robots_crawl_delay(r) == 7);
        vg_robots_free(r);
        r = P(s, "other");
        TH_CHECK(vg_robots_crawl_delay(r) == 1);
        vg_robots_free(r);
        r = P("User-agent: *\nDisallow: /\n", "vigil");
        TH_CHECK(vg_robots_crawl_delay(r) < 0);
        /* crawl-delay ends the user-agent run like a rule */
        vg_robots_free(r);
        r = P("User-agent: vigil\ncrawl-delay: 2\nUser-agent: x\n"
              "Disallow: /a\n",
              "vigil");
        TH_EQ_INT(vg_robots_allowed(r, "/a"), 1);
        TH_CHECK(vg_robots_crawl_delay(r) == 2);
        vg_robots_free(r);
    }
}

static void test_robots_txt_allowed(void)
{
    const char *s = "User-agent: *\nDisallow: /\n";

    TH_EQ_INT(A(s, "vigil", "/robots.txt"), 1);
    TH_EQ_INT(A(s, "vigil", "/%72obots.txt"), 1); /* same after decoding */
    TH_EQ_INT(A(s, "vigil", "/robots.txt.bak"), 0);
    TH_EQ_INT(A(s, "vigil", "/"), 0);
    TH_EQ_INT(A(s, "vigil", ""), 0); /* empty path is "/" */
}

/* RFC 9309 section 5.1 */
static void test_rfc_simple_example(void)
{
    const char *s = "User-Agent: *\n"
                    "Disallow: *.gif$\n"
                    "Disallow: /example/\n"
                    "Allow: /publications/\n"
                    "\n"
                    "User-Agent: foobot\n"
                    "Disallow:/\n"
                    "Allow:/example/page.html\n"
                    "Allow:/example/allowed.gif\n"
                    "\n"
                    "User-Agent: barbot\n"
                    "User-Agent: bazbot\n"
                    "Disallow: /example/page.html\n"
                    "\n"
                    "User-Agent: quxbot\n"
                    "\n"
                    "EOF\n";

    TH_EQ_INT(A(s, "foobot", "/example/page.html"), 1);
    TH_EQ_INT(A(s, "foobot", "/example/allowed.gif"), 1);
    TH_EQ_INT(A(s, "foobot", "/example/other.html"), 0);
    TH_EQ_INT(A(s, "foobot", "/"), 0);
    TH_EQ_INT(A(s, "foobot", "/publications/"), 0);
    TH_EQ_INT(A(s, "barbot", "/example/page.html"), 0);
    TH_EQ_INT(A(s, "bazbot", "/example/page.html"), 0);
    TH_EQ_INT(A(s, "barbot", "/example/other.html"), 1);
    TH_EQ_INT(A(s, "barbot", "/x.gif"), 1);
    TH_EQ_INT(A(s, "quxbot", "/example/page.html"), 1);
    TH_EQ_INT(A(s, "quxbot", "/x.gif"), 1);
    TH_EQ_INT(A(s, "vigil", "/x.gif"), 0);
    TH_EQ_INT(A(s, "vigil", "/example/"), 0);
    TH_EQ_INT(A(s, "vigil", "/example/x"), 0);
    TH_EQ_INT(A(s, "vigil", "/publications/x"), 1);
    TH_EQ_INT(A(s, "vigil", "/other"), 1);
}

/* RFC 9309 section 5.2 */
static void test_rfc_longest_match_example(void)
{
    const char *s = "User-Agent: foobot\n"
                    "Allow: /example/page/\n"
                    "Disallow: /example/page/disallowed.gif\n";

    TH_EQ_INT(A(s, "foobot", "/example/page/"), 1);
    TH_EQ_INT(A(s, "foobot", "/example/page/x.html"), 1);
    TH_EQ_INT(A(s, "foobot", "/example/page/disallowed.gif"), 0);
    TH_EQ_INT(A(s, "foobot", "/example/"), 1);
}

static void test_rule_cap(void)
{
    size_t n = 12000 * 20 + 64, o;
    char *s = malloc(n);
    struct vg_robots *r = NULL;

    TH_CHECK(s != NULL);
    if (!s)
        return;
    o = (size_t)sprintf(s, "User-agent: *\n");
    for (int i = 0; i < 12000; i++)
        o += (size_t)sprintf(s + o, "Disallow: /%05d\n", i);
    TH_EQ_INT(vg_robots_parse(s, o, "vigil", &r), VG_OK);
    TH_EQ_INT(vg_robots_allowed(r, "/00000"), 0);
    TH_EQ_INT(vg_robots_allowed(r, "/09999"), 0);
    TH_EQ_INT(vg_robots_allowed(r, "/10000"), 1); /* past the cap */
    vg_robots_free(r);
    free(s);
}

/* Adversarial rules stay linear: no backtracking, capped rules and paths. */
static void test_worst_case(void)
{
    size_t n = VG_ROBOTS_MAX_BYTES, o;
    char *s = malloc(n + 1), *path = malloc(20000);
    struct vg_robots *r = NULL;
    clock_t t0 = clock();

    TH_CHECK(s && path);
    if (!s || !path)
        goto out;
    /* 10,000 rules that each scan the whole path and fail at its end */
    o = (size_t)sprintf(s, "User-agent: *\n");
    while (o + 20 < n)
        o += (size_t)sprintf(s + o, "Disallow: /*a*a*b\n");
    TH_EQ_INT(vg_robots_parse(s, o, "vigil", &r), VG_OK);
    path[0] = '/';
    memset(path + 1, 'a', 2047);
    path[2048] = '\0';
    for (int i = 0; i < 10; i++)
        TH_EQ_INT(vg_robots_allowed(r, path), 1);
    vg_robots_free(r);
    r = NULL;
    /* long pieces that almost match everywhere (naive search: quadratic) */
    o = (size_t)sprintf(s, "User-agent: *\n");
    while (o + 2100 < n) {
        o += (size_t)sprintf(s + o, "Disallow: /*");
        memset(s + o, 'a', 2000);
        o += 2000;
        o += (size_t)sprintf(s + o, "b\n");
    }
    TH_EQ_INT(vg_robots_parse(s, o, "vigil", &r), VG_OK);
    memset(path + 1, 'a', 16000);
    path[16001] = '\0';
    TH_EQ_INT(vg_robots_allowed(r, path), 1);
    path[16001] = 'b';
    path[16002] = '\0';
    TH_EQ_INT(vg_robots_allowed(r, path), 0);
    /* paths past the 16 KiB cap are not fetched */
    memset(path + 1, 'c', 17000);
    path[17001] = '\0';
    TH_EQ_INT(vg_robots_allowed(r, path), 0);
    TH_CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 10.0);
out:
    vg_robots_free(r);
    free(s);
    free(path);
}

/* Every allocation failure gives VG_ENOMEM and leaks nothing (ASan). */
static void test_alloc_failure(void)
{
    const char *s = "User-agent: *\nDisallow: /a\nAllow: /b\n"
                    "User-agent: vigil\nDisallow: /c\nDisallow: /d\n";
    int ok = 0;

    for (long n = 0; n < 100 && !ok; n++) {
        struct vg_robots *r = NULL;
        int rc;

        vg_alloc_fail_after(n);
        rc = vg_robots_parse(s, strlen(s), "vigil", &r);
        vg_alloc_fail_after(-1);
        if (rc == VG_OK) {
            TH_EQ_INT(vg_robots_allowed(r, "/c"), 0);
            TH_EQ_INT(vg_robots_allowed(r, "/a"), 1);
            ok = 1;
        } else {
            TH_EQ_INT(rc, VG_ENOMEM);
            TH_CHECK(r == NULL);
        }
        vg_robots_free(r);
    }
    TH_CHECK(ok);
}

int main(void)
{
    TH_RUN(test_groups_merge);
    TH_RUN(test_star_fallback);
    TH_RUN(test_product_token);
    TH_RUN(test_longest_match);
    TH_RUN(test_allow_wins_ties);
    TH_RUN(test_wildcards);
    TH_RUN(test_percent_encoding);
    TH_RUN(test_empty_disallow);
    TH_RUN(test_rules_before_agent);
    TH_RUN(test_fetch_outcomes);
    TH_RUN(test_size_limit);
    TH_RUN(test_line_ends);
    TH_RUN(test_bom);
    TH_RUN(test_huge_line);
    TH_RUN(test_crawl_delay);
    TH_RUN(test_robots_txt_allowed);
    TH_RUN(test_rfc_simple_example);
    TH_RUN(test_rfc_longest_match_example);
    TH_RUN(test_rule_cap);
    TH_RUN(test_worst_case);
    TH_RUN(test_alloc_failure);
    return th_done();
}
