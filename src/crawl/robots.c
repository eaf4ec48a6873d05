/* SPDX-License-Identifier: Apache-2.0 */
/*
 * robots.txt parsing and matching (include/vigil/robots.h), following
 * RFC 9309 (Robots Exclusion Protocol).
 * The body is split into lines at CR, LF or CRLF without copying; a UTF-8
 * BOM at the start is skipped; '#' starts a comment; a line is "key: value"
 * with optional spaces or tabs around both (lines without ':' are ignored).
 * Keys are case-insensitive: user-agent (also "useragent", "user agent"),
 * allow, disallow (also "dissallow", "dissalow", "disalow"), crawl-delay
 * (also "crawldelay", "crawl delay"); sitemap and unknown keys are ignored
 * and neither start nor end a group.  User-agent lines in a row make one
 * group; allow, disallow and crawl-delay lines belong to the open group and
 * the next user-agent line after them opens a new one; records before the
 * first user-agent line are ignored.  A group is ours when one of its
 * user-agent values, up to the first '/', space, tab or ';', equals the
 * product token (cut the same way) ignoring ASCII case, and a '*' group
 * when a value is "*".  Only the rules of the selected groups are kept,
 * rewritten to one normal form (below) and sorted longest first, allow
 * before disallow on equal length, so the first match decides.
 * Normal form, for patterns and paths alike (RFC 9309 2.2.2): %XX of an
 * unreserved character (ALPHA DIGIT - . _ ~) is decoded, any other %XX is
 * upper-cased, a '%' without two hex digits becomes %25, octets outside
 * printable US-ASCII (controls, space, 0x7F-0xFF) become %XX; in a path
 * '*' and '$' become %2A and %24 (RFC 9309 2.2.3: those are how a pattern
 * names them literally); in a pattern '*' is the wildcard, a '$' that ends
 * the pattern is the end anchor and any other '$' becomes %24.  The rule
 * length compared is that of the normal form.
 * Matching splits a pattern at its '*'s and finds each piece at the
 * leftmost place after the previous one (Knuth-Morris-Pratt), which is
 * exact for patterns whose only operator is '*' and linear in pattern plus
 * path per rule: no backtracking.
 * Caps: VG_ROBOTS_MAX_BYTES of input (a line cut by that limit is dropped
 * rather than read truncated), RULE_MAX octets per rule in normal form
 * (longer rules are skipped), MAX_RULES rules per kept set (later ones are
 * skipped), crawl-delay clamped to DELAY_MAX seconds, paths up to
 * PATH_MAX_LEN octets, well above VG_URL_MAX (longer ones are answered "not
 * allowed"), so one answer costs at most MAX_RULES linear scans of the
 * path.  Lines are not buffered, so they need no cap of their own.  Empty
 * allow and disallow values are ignored (RFC 9309 2.2.2).
 * HTTP outcomes (RFC 9309 2.3.1): 2xx parses; 4xx allows everything; 3xx,
 * which only reaches us when the fetcher gave up after its five redirects,
 * is "unavailable" (2.3.1.2) and also allows everything; 5xx, 0 and any
 * other value disallow everything.  "/robots.txt" is allowed in every case.
 * A parsed struct is immutable, so it can be shared between threads.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/algo.h"
#include "vigil/alloc.h"
#include "vigil/robots.h"
#include "vigil/url.h"

#define RULE_MAX ((size_t)2048)
#define MAX_RULES ((size_t)10000)
#define PATH_MAX_LEN ((size_t)16 << 10)
#define DELAY_MAX 86400.0

enum { MODE_RULES, MODE_ALLOW_ALL, MODE_DISALLOW_ALL };

struct rule {
    char *pat;  /* normal form, NUL-terminated */
    size_t len; /* strlen(pat) */
    int allow;
};

/* Rules of one kind of group (ours or '*') while parsing. */
struct ruleset {
    struct rule *v;
    size_t n, cap;
    double delay; /* first valid crawl-delay, or -1 */
    int seen;     /* at least one group of this kind exists */
};

struct vg_robots {
    int mode;
    struct rule *rules;
    size_t n;
    double delay;
};

/* ---- normal form ---- */

/*
 * Write the normal form of s[0..n) to out (room for cap octets, no NUL
 * written).  is_pat selects pattern rules for '*' and '$'.  Returns the
 * length, or (size_t)-1 when it would exceed cap.
 */
static size_t normalise(const char *s, size_t n, int is_pat, char *out,
                        size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int lit;

        if (c == '%' && i + 2 < n &&
            vg_hex_value((unsigned char)s[i + 1]) >= 0 &&
            vg_hex_value((unsigned char)s[i + 2]) >= 0) {
            c = (unsigned char)(vg_hex_value((unsigned char)s[i + 1]) * 16 +
                                vg_hex_value((unsigned char)s[i + 2]));
            i += 2;
            lit = vg_url_unreserved(c);
        } else if (c == '*' || c == '$') {
            lit = is_pat && (c == '*' || i + 1 == n);
        } else {
            lit = c > 0x20 && c < 0x7f && c != '%';
        }
        if (o + (lit ? 1 : 3) > cap)
            return (size_t)-1;
        if (lit) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    return o;
}

/* ---- matching ---- */

/*
 * Leftmost occurrence of seg[0..m) (1 <= m <= RULE_MAX) in t[from..n);
 * returns the index just past it, or (size_t)-1.
 */
static size_t find_after(const char *t, size_t n, size_t from, const char *seg,
                         size_t m)
{
    unsigned short fail[RULE_MAX];
    size_t k = 0;

    if (n - from < m)
        return (size_t)-1;
    fail[0] = 0;
    for (size_t i = 1; i < m; i++) {
        while (k > 0 && seg[i] != seg[k])
            k = fail[k - 1];
        if (seg[i] == seg[k])
            k++;
        fail[i] = (unsigned short)k;
    }
    k = 0;
    for (size_t i = from; i < n; i++) {
        while (k > 0 && t[i] != seg[k])
            k = fail[k - 1];
        if (t[i] == seg[k])
            k++;
        if (k == m)
            return i + 1;
    }
    return (size_t)-1;
}

/* Does normal-form pattern p[0..pn) match normal-form path s[0..sn)? */
static int match(const char *p, size_t pn, const char *s, size_t sn)
{
    int anchored = pn > 0 && p[pn - 1] == '$';
    const char *star;
    size_t pos, i;

    if (anchored)
        pn--;
    star = memchr(p, '*', pn);
    if (!star)
        return anchored ? sn == pn && !memcmp(s, p, pn)
                        : sn >= pn && !memcmp(s, p, pn);
    /* the piece before the first '*' is a prefix */
    pos = (size_t)(star - p);
    if (sn < pos || memcmp(s, p, pos))
        return 0;
    i = pos + 1;
    for (;;) {
        const char *next = memchr(p + i, '*', pn - i);
        size_t m = (next ? (size_t)(next - p) : pn) - i;

        if (!next && anchored)
            /* the last piece must end the path, after what matched so far */
            return sn - pos >= m && !memcmp(s + sn - m, p + i, m);
        if (m > 0 && (pos = find_after(s, sn, pos, p + i, m)) == (size_t)-1)
            return 0;
        if (!next)
            return 1;
        i += m + 1;
    }
}

/* ---- parsing ---- */

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static int eq_ci(const char *a, size_t n, const char *b)
{
    size_t i;

    for (i = 0; i < n && b[i]; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return i == n && !b[i];
}

static int key_in(const char *k, size_t n, const char *const *names)
{
    for (; *names; names++)
        if (eq_ci(k, n, *names))
            return 1;
    return 0;
}

/* Length of the product token at s: up to '/', space, tab or ';'. */
static size_t token_len(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && s[i] != '/' && s[i] != ';' && !is_ws(s[i]))
        i++;
    return i;
}

/*
 * Crawl-delay value: digits with an optional fraction, nothing else.
 * Returns the value clamped to DELAY_MAX, or -1 if invalid.
 */
static double parse_delay(const char *s, size_t n)
{
    double v = 0, scale = 1;
    size_t i = 0, digits = 0;

    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        if (v <= DELAY_MAX)
            v = v * 10 + (s[i] - '0');
    if (i < n && s[i] == '.')
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
            if (scale > 1e-9)
                v += (s[i] - '0') * (scale /= 10);
    if (i != n || digits == 0)
        return -1;
    return v > DELAY_MAX ? DELAY_MAX : v;
}

static int add_rule(struct ruleset *rs, const char *pat, size_t len, int allow)
{
    char *copy;

    if (rs->n == MAX_RULES)
        return VG_OK; /* capped: later rules are ignored */
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        struct rule *v;

        if (cap > MAX_RULES)
            cap = MAX_RULES;
        if (!(v = vg_realloc(rs->v, cap * sizeof(*v))))
            return VG_ENOMEM;
        rs->v = v;
        rs->cap = cap;
    }
    if (!(copy = vg_malloc(len + 1)))
        return VG_ENOMEM;
    memcpy(copy, pat, len);
    copy[len] = '\0';
    rs->v[rs->n].pat = copy;
    rs->v[rs->n].len = len;
    rs->v[rs->n].allow = allow;
    rs->n++;
    return VG_OK;
}

static void ruleset_fini(struct ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        vg_free(rs->v[i].pat);
    vg_free(rs->v);
    rs->v = NULL;
    rs->n = rs->cap = 0;
}

/* Parser state across lines. */
struct parser {
    const char *tok; /* our product token */
    size_t tok_len;
    int in_agents; /* the last group record was a user-agent line */
    int in_group;  /* a user-agent line has been seen */
    int cur_ours, cur_star;
    struct ruleset ours, star;
};

enum { KEY_NONE, KEY_AGENT, KEY_ALLOW, KEY_DISALLOW, KEY_DELAY };

static int classify(const char *k, size_t n)
{
    static const char *const agent[] = {"user-agent", "useragent",
                                        "user agent", NULL};
    static const char *const allow[] = {"allow", NULL};
    static const char *const disallow[] = {"disallow", "dissallow", "dissalow",
                                           "disalow", NULL};
    static const char *const delay[] = {"crawl-delay", "crawldelay",
                                        "crawl delay", NULL};

    if (key_in(k, n, agent))
        return KEY_AGENT;
    if (key_in(k, n, allow))
        return KEY_ALLOW;
    if (key_in(k, n, disallow))
        return KEY_DISALLOW;
    if (key_in(k, n, delay))
        return KEY_DELAY;
    return KEY_NONE;
}

static void on_agent(struct parser *ps, const char *v, size_t n)
{
    size_t t = token_len(v, n);

    if (!ps->in_agents) {
        ps->cur_ours = ps->cur_star = 0;
        ps->in_agents = ps->in_group = 1;
    }
    if (t == 1 && v[0] == '*') {
        ps->cur_star = 1;
        ps->star.seen = 1;
    } else if (t == ps->tok_len && t > 0) {
        size_t i;
        for (i = 0; i < t; i++) {
            char a = v[i], b = ps->tok[i];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                break;
        }
        if (i == t) {
            ps->cur_ours = 1;
            ps->ours.seen = 1;
        }
    }
}

static int on_rule(struct parser *ps, int key, const char *v, size_t n)
{
    char pat[RULE_MAX];
    size_t len;
    int rc = VG_OK;

    ps->in_agents = 0;
    if (!ps->in_group || (!ps->cur_ours && !ps->cur_star))
        return VG_OK;
    if (key == KEY_DELAY) {
        double d = parse_delay(v, n);
        if (d >= 0 && ps->cur_ours && ps->ours.delay < 0)
            ps->ours.delay = d;
        if (d >= 0 && ps->cur_star && ps->star.delay < 0)
            ps->star.delay = d;
        return VG_OK;
    }
    if (n == 0)
        return VG_OK; /* empty allow/disallow: no rule */
    if ((len = normalise(v, n, 1, pat, sizeof(pat))) == (size_t)-1)
        return VG_OK; /* over RULE_MAX: skipped */
    if (ps->cur_ours)
        rc = add_rule(&ps->ours, pat, len, key == KEY_ALLOW);
    if (!rc && ps->cur_star)
        rc = add_rule(&ps->star, pat, len, key == KEY_ALLOW);
    return rc;
}

static int on_line(struct parser *ps, const char *s, size_t n)
{
    const char *hash = memchr(s, '#', n), *colon;
    size_t kn, vn;
    int key;

    if (hash)
        n = (size_t)(hash - s);
    while (n > 0 && is_ws(*s))
        s++, n--;
    while (n > 0 && is_ws(s[n - 1]))
        n--;
    if (!(colon = memchr(s, ':', n)))
        return VG_OK;
    kn = (size_t)(colon - s);
    while (kn > 0 && is_ws(s[kn - 1]))
        kn--;
    key = classify(s, kn);
    if (key == KEY_NONE)
        return VG_OK;
    colon++;
    vn = n - (size_t)(colon - s);
    while (vn > 0 && is_ws(*colon))
        colon++, vn--;
    if (key == KEY_AGENT) {
        on_agent(ps, colon, vn);
        return VG_OK;
    }
    return on_rule(ps, key, colon, vn);
}

static int cmp_rule(const void *a, const void *b)
{
    const struct rule *x = a, *y = b;

    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return y->allow - x->allow;
}

/* Length of body to parse: the cap, less a line the cap cut in two. */
static size_t parse_len(const char *body, size_t len)
{
    size_t n = VG_ROBOTS_MAX_BYTES;

    if (len <= n)
        return len;
    if (body[n] == '\n' || body[n] == '\r')
        return n;
    while (n > 0 && body[n - 1] != '\n' && body[n - 1] != '\r')
        n--;
    return n;
}

static int new_mode(int mode, struct vg_robots **out)
{
    struct vg_robots *r = vg_calloc(1, sizeof(*r));

    if (!r)
        return VG_ENOMEM;
    r->mode = mode;
    r->delay = -1;
    *out = r;
    return VG_OK;
}

int vg_robots_parse(const char *body, size_t len, const char *product,
                    struct vg_robots **out)
{
    struct parser ps;
    struct vg_robots *r = NULL;
    struct ruleset *keep;
    size_t i = 0, end;
    int rc;

    if (!out)
        return VG_EINVAL;
    *out = NULL;
    if (!product || !(body || len == 0))
        return VG_EINVAL;
    memset(&ps, 0, sizeof(ps));
    ps.tok = product;
    ps.tok_len = token_len(product, strlen(product));
    ps.ours.delay = ps.star.delay = -1;
    if (ps.tok_len == 0)
        return VG_EINVAL;
    end = body ? parse_len(body, len) : 0;
    if (end >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < end) {
        size_t j = i;
        while (j < end && body[j] != '\n' && body[j] != '\r')
            j++;
        if ((rc = on_line(&ps, body + i, j - i)))
            goto fail;
        if (j < end && body[j] == '\r' && j + 1 < end && body[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    if ((rc = new_mode(MODE_RULES, &r)))
        goto fail;
    keep = ps.ours.seen ? &ps.ours : ps.star.seen ? &ps.star : NULL;
    if (keep) {
        r->rules = keep->v;
        r->n = keep->n;
        r->delay = keep->delay;
        keep->v = NULL;
        keep->n = 0;
        if (r->n > 1)
            qsort(r->rules, r->n, sizeof(*r->rules), cmp_rule);
    }
    ruleset_fini(&ps.ours);
    ruleset_fini(&ps.star);
    *out = r;
    return VG_OK;
fail:
    ruleset_fini(&ps.ours);
    ruleset_fini(&ps.star);
    return rc;
}

int vg_robots_from_fetch(int http_status, const char *body, size_t len,
                         const char *product, struct vg_robots **out)
{
    if (!out)
        return VG_EINVAL;
    *out = NULL;
    if (!product || token_len(product, strlen(product)) == 0)
        return VG_EINVAL;
    if (http_status >= 200 && http_status <= 299)
        return vg_robots_parse(body, body ? len : 0, product, out);
    if (http_status >= 300 && http_status <= 499)
        return new_mode(MODE_ALLOW_ALL, out);
    return new_mode(MODE_DISALLOW_ALL, out);
}

int vg_robots_allowed(const struct vg_robots *r, const char *path_query)
{
    char *s = NULL;
    size_t raw, sn;
    int ok = 0;

    if (!r || !path_query)
        return 0;
    if (!strcmp(path_query, "/robots.txt"))
        return 1;
    if (r->mode == MODE_ALLOW_ALL || (r->mode == MODE_RULES && r->n == 0))
        return 1;
    if (r->mode == MODE_DISALLOW_ALL)
        return 0;
    if (!*path_query)
        path_query = "/";
    if ((raw = strlen(path_query)) > PATH_MAX_LEN)
        return 0; /* unreasonable path: not fetched */
    if (!(s = vg_malloc(raw * 3 + 1)))
        return 0; /* cannot decide: do not fetch */
    sn = normalise(path_query, raw, 0, s, raw * 3);
    s[sn] = '\0';
    ok = 1;
    if (strcmp(s, "/robots.txt")) {
        for (size_t i = 0; i < r->n; i++)
            if (match(r->rules[i].pat, r->rules[i].len, s, sn)) {
                ok = r->rules[i].allow;
                break;
            }
    }
    vg_free(s);
    return ok;
}

double vg_robots_crawl_delay(const struct vg_robots *r)
{
    return r ? r->delay : -1;
}

void vg_robots_free(struct vg_robots *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        vg_free(r->rules[i].pat);
    vg_free(r->rules);
    vg_free(r);
}
