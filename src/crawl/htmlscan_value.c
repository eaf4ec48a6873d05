/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attribute values for the HTML scanner: the capped value buffers and the
 * character reference states (WHATWG HTML 13.2.5.72 to 13.2.5.80) as they
 * apply inside attribute values: named references by longest prefix over
 * the full table (html_entities.h, binary search on the sorted names), the
 * rule that a legacy name without ';' before '=' or an alphanumeric stays
 * literal, and numeric references with the spec's replacements (0, past
 * U+10FFFF and surrogates become U+FFFD, 0x80-0x9F are windows-1252).
 * Output is UTF-8.  Invariants: a value never holds more than max_value
 * bytes (the buffer at most max_value + 1, for the NUL a report adds), and
 * a reference buffers at most REF_CAP bytes, each looked at once.
 */
#include "crawl/htmlscan_int.h"
#include "vigil/algo.h"
#include "vigil/alloc.h"

static const uint32_t c1_remap[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E,
                                      0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
                                      0x0160, 0x2039, 0x0152, 0x008D, 0x017D,
                                      0x008F, 0x0090, 0x2018, 0x2019, 0x201C,
                                      0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
                                      0x2122, 0x0161, 0x203A, 0x0153, 0x009D,
                                      0x017E, 0x0178};

static size_t utf8_put(char out[4], uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* ---- attribute values ---- */

/*
 * Append to the current slot's value.  Past max_value the value is dropped:
 * its bytes are freed for reuse but nothing more is stored.
 */
int vg__html_val_append(struct vg_html_scanner *s, const char *p, size_t n)
{
    struct value *v;

    if (s->cur < 0 || n == 0)
        return VG_OK;
    v = &s->v[s->cur];
    if (v->dropped)
        return VG_OK;
    if (n > s->max_value - v->len) {
        v->dropped = 1;
        v->len = 0;
        return VG_OK;
    }
    if (v->len + n + 1 > v->alloc) {
        size_t na = v->alloc ? v->alloc : 64;
        char *nb;
        while (na < v->len + n + 1)
            na *= 2;
        if (na > s->max_value + 1)
            na = s->max_value + 1;
        if (!(nb = vg_realloc(v->buf, na)))
            return VG_ENOMEM;
        v->buf = nb;
        v->alloc = na;
    }
    memcpy(v->buf + v->len, p, n);
    v->len += n;
    return VG_OK;
}

static int val_cp(struct vg_html_scanner *s, uint32_t cp)
{
    char u[4];

    return vg__html_val_append(s, u, utf8_put(u, cp));
}
/* ---- character references in attribute values ---- */

/* First entry not below key[0..n) (bytewise); entries are sorted. */
static size_t ent_lower_bound(const char *key, size_t n)
{
    size_t lo = 0, hi = VG__HTML_ENTITY_COUNT;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(vg__html_entities[mid].name, key, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int ent_is_prefix(const char *key, size_t n)
{
    size_t i = ent_lower_bound(key, n);

    return i < VG__HTML_ENTITY_COUNT &&
           !strncmp(vg__html_entities[i].name, key, n);
}

static const struct vg__html_entity *ent_exact(const char *key, size_t n)
{
    size_t i = ent_lower_bound(key, n);

    if (i < VG__HTML_ENTITY_COUNT &&
        !strncmp(vg__html_entities[i].name, key, n) &&
        vg__html_entities[i].name[n] == '\0')
        return &vg__html_entities[i];
    return NULL;
}

/* Flush '&' and the reference's raw bytes as literal text. */
static int ref_literal(struct vg_html_scanner *s)
{
    int rc = vg__html_val_append(s, "&", 1);

    return rc ? rc : vg__html_val_append(s, s->ref, s->ref_len);
}

/* The named reference in s->ref ended; next is the byte after it (-1: EOF). */
static int ref_named_done(struct vg_html_scanner *s, int next)
{
    const struct vg__html_entity *e = NULL;
    size_t k;
    int rc, after;

    for (k = s->ref_len; k > 0; k--)
        if ((e = ent_exact(s->ref, k)))
            break;
    if (!e)
        return ref_literal(s);
    after = k < s->ref_len ? (unsigned char)s->ref[k] : next;
    /* legacy reference without ';' before '=' or alnum: not decoded */
    if (s->ref[k - 1] != ';' && after >= 0 &&
        (after == '=' || is_alnum((unsigned char)after)))
        return ref_literal(s);
    rc = val_cp(s, e->cp[0]);
    if (!rc && e->cp[1])
        rc = val_cp(s, e->cp[1]);
    if (!rc)
        rc = vg__html_val_append(s, s->ref + k, s->ref_len - k);
    return rc;
}

static int ref_numeric_done(struct vg_html_scanner *s)
{
    uint32_t cp = s->num;

    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    else if (cp >= 0x80 && cp <= 0x9F)
        cp = c1_remap[cp - 0x80];
    return val_cp(s, cp);
}

/*
 * One byte in a character reference state.  Sets *consumed to 0 when the
 * byte must be reconsumed in the attribute value state.
 */
int vg__html_ref_step(struct vg_html_scanner *s, unsigned char c,
                      int *consumed)
{
    int h;

    *consumed = 1;
    switch (s->st) {
    case S_CR_START:
        if (is_alnum(c)) {
            s->st = S_CR_NAMED;
            *consumed = 0;
            return VG_OK;
        }
        if (c == '#') {
            s->ref[s->ref_len++] = '#';
            s->st = S_CR_NUMERIC;
            return VG_OK;
        }
        break;
    case S_CR_NAMED:
        if (s->ref_len < REF_CAP && (is_alnum(c) || c == ';')) {
            s->ref[s->ref_len] = (char)c;
            if (ent_is_prefix(s->ref, s->ref_len + 1)) {
                s->ref_len++;
                return VG_OK;
            }
        }
        s->st = s->cr_ret;
        *consumed = 0;
        return ref_named_done(s, c);
    case S_CR_NUMERIC:
        s->num = 0;
        if (c == 'x' || c == 'X') {
            s->ref[s->ref_len++] = (char)c;
            s->st = S_CR_HEX_START;
            return VG_OK;
        }
        if (is_digit(c)) {
            s->st = S_CR_DEC;
            *consumed = 0;
            return VG_OK;
        }
        break;
    case S_CR_HEX_START:
        if (vg_hex_value(c) >= 0) {
            s->st = S_CR_HEX;
            *consumed = 0;
            return VG_OK;
        }
        break;
    case S_CR_HEX:
    case S_CR_DEC:
        h = s->st == S_CR_HEX ? vg_hex_value(c) : (is_digit(c) ? c - '0' : -1);
        if (h >= 0) {
            /* saturate past U+10FFFF: the value is then U+FFFD anyway */
            s->num = s->num > 0x10FFFF
                         ? s->num
                         : s->num * (s->st == S_CR_HEX ? 16u : 10u) +
                               (unsigned)h;
            return VG_OK;
        }
        *consumed = c == ';';
        s->st = s->cr_ret;
        return ref_numeric_done(s);
    default:
        break;
    }
    /* not a reference: the bytes so far are text; reconsume c */
    s->st = s->cr_ret;
    *consumed = 0;
    return ref_literal(s);
}
