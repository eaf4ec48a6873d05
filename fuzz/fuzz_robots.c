/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: robots.txt (src/crawl/robots.c).  Byte 0: bits 0-3 the
 * product token length, bits 4-5 the HTTP status (200, 200, 404, 503), bit
 * 6 the differential mode; byte 1: the path length (mod 64); then the
 * product token and the path (NULs become 'a'), then the robots.txt body.
 * Invariants checked (abort on violation): parse returns VG_OK, or
 * VG_EINVAL exactly when the product token is empty; vg_robots_allowed
 * returns 0 or 1, and 1 for "/robots.txt"; 404 allows and 503 disallows
 * every other path; a crawl-delay is negative or in [0, 86400].
 * Differential mode: the body (up to 200 octets, one line) becomes the only
 * rule "Disallow: <body>" of a '*' group and the answer for the path must
 * equal a slow reference (normal form per RFC 9309 2.2.2, then glob
 * matching by dynamic programming).  Never a crash, leak or undefined
 * behaviour (run under ASan+UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/robots.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reference normal form, written independently of robots.c. */
static size_t ref_norm(const char *s, size_t n, int pat, char *o)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i], keep;
        if (c == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 &&
            hexv(s[i + 2]) >= 0) {
            c = hexv(s[i + 1]) * 16 + hexv(s[i + 2]);
            i += 2;
            keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || strchr("-._~", c) != NULL;
            if (c == 0)
                keep = 0;
        } else if (c == '*') {
            keep = pat;
        } else if (c == '$') {
            keep = pat && i + 1 == n;
        } else {
            keep = c > 32 && c < 127 && c != '%';
        }
        if (keep) {
            o[k++] = (char)c;
        } else {
            k += (size_t)sprintf(o + k, "%%%02X", (unsigned)c);
        }
    }
    o[k] = '\0';
    return k;
}

/* Glob match of p (with '*', final '$') against s by dynamic programming. */
static int ref_match(const char *p, size_t pn, const char *s, size_t sn)
{
    static unsigned char dp[700][260];
    int anchored = pn > 0 && p[pn - 1] == '$';

    if (anchored)
        pn--;
    /* dp[i][j]: p[0..i) matches s[0..j) exactly */
    memset(dp[0], 0, sizeof(dp[0]));
    dp[0][0] = 1;
    for (size_t i = 1; i <= pn; i++)
        for (size_t j = 0; j <= sn; j++) {
            if (p[i - 1] == '*')
                dp[i][j] = dp[i - 1][j] || (j > 0 && dp[i][j - 1]);
            else
                dp[i][j] = j > 0 && dp[i - 1][j - 1] && p[i - 1] == s[j - 1];
        }
    if (anchored)
        return dp[pn][sn];
    for (size_t j = 0; j <= sn; j++)
        if (dp[pn][j])
            return 1;
    return 0;
}

static void differential(const char *path, const char *rule, size_t n)
{
    char body[300], np[260], ns[700];
    struct vg_robots *r = NULL;
    size_t b, pn, sn;
    int want, got;

    while (n > 0 && (*rule == ' ' || *rule == '\t'))
        rule++, n--;
    while (n > 0 && (rule[n - 1] == ' ' || rule[n - 1] == '\t'))
        n--;
    if (n == 0 || n > 200 || memchr(rule, '\n', n) || memchr(rule, '\r', n) ||
        memchr(rule, '#', n) || memchr(rule, '\v', n) || memchr(rule, '\f', n))
        return;
    b = (size_t)snprintf(body, sizeof(body), "User-agent: *\nDisallow: ");
    memcpy(body + b, rule, n);
    b += n;
    if (vg_robots_parse(body, b, "vigil", &r) != VG_OK)
        return;
    pn = ref_norm(rule, n, 1, ns);
    sn = ref_norm(*path ? path : "/", strlen(*path ? path : "/"), 0, np);
    want = !strcmp(np, "/robots.txt") || !ref_match(ns, pn, np, sn);
    got = vg_robots_allowed(r, path);
    if (got != want) {
        fprintf(stderr, "rule \"%s\" path \"%s\": got %d want %d\n", ns, np,
                got, want);
        abort();
    }
    vg_robots_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int statuses[] = {200, 200, 404, 503};
    char product[16], path[64];
    size_t tl, pl;
    struct vg_robots *r = NULL;
    const char *body;
    int status, rc;

    if (size < 2)
        return 0;
    tl = data[0] & 15;
    status = statuses[(data[0] >> 4) & 3];
    pl = data[1] % 64;
    data += 2;
    size -= 2;
    if (tl + pl > size)
        return 0;
    for (size_t i = 0; i < tl; i++)
        product[i] = data[i] ? (char)data[i] : 'a';
    product[tl] = '\0';
    for (size_t i = 0; i < pl; i++)
        path[i] = data[tl + i] ? (char)data[tl + i] : 'a';
    path[pl] = '\0';
    body = (const char *)data + tl + pl;
    size -= tl + pl;
    if ((data[-2] & 0x40) && pl > 0) {
        differential(path, body, size);
        return 0;
    }
    rc = vg_robots_from_fetch(status, body, size, product, &r);
    if (rc == VG_EINVAL) {
        /* only an empty token (before any '/', ' ', tab, ';') */
        size_t t = strcspn(product, "/ \t\v\f;");
        if (t != 0)
            abort();
        return 0;
    }
    if (rc != VG_OK || !r)
        abort();
    {
        const char *paths[] = {
            path, "/", "/robots.txt", "/a/b.gif", "/%7Efoo?x=%e3%83%84", ""};
        for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
            int ok = vg_robots_allowed(r, paths[i]);
            if (ok != 0 && ok != 1)
                abort();
            if (!strcmp(paths[i], "/robots.txt") && !ok)
                abort();
            if (status == 404 && !ok)
                abort();
            if (status == 503 && ok && strcmp(paths[i], "/robots.txt"))
                abort();
        }
    }
    {
        double d = vg_robots_crawl_delay(r);
        if (!(d < 0 || (d >= 0 && d <= 86400)))
            abort();
    }
    vg_robots_free(r);
    return 0;
}
