/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes through the streaming HTML link
 * scanner (include/vigil/htmlscan.h), whole and in chunks.  Byte 0 picks
 * the limits: bits 0-1 max_attr_value (default, 1, 16, 64), bit 2
 * max_attrs 3 (else the default), bit 3 max_links 5 (else the default),
 * bit 4 chunk sizes 1-256 (else 1-16).  Bytes 1-8 are the chunk sizes,
 * used in turn; the document is the rest.
 * Invariants checked (abort on violation): the links (kind, tag, attribute,
 * URL bytes), links_seen and the truncated flag are identical for the
 * whole buffer, the chunked feed and (for small inputs) byte by byte;
 * every URL is non-empty, NUL-terminated at len, without NUL inside, not
 * starting or ending with HTML whitespace, at most max_attr_value bytes;
 * links_seen <= max_links.  Never a crash, leak or undefined behaviour
 * (run under ASan+UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/htmlscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 9

struct out {
    char *buf;
    size_t len, alloc;
    size_t max_value;
};

static void put(struct out *o, const void *p, size_t n)
{
    if (o->len + n > o->alloc) {
        size_t na = o->alloc ? o->alloc : 256;
        while (na < o->len + n)
            na *= 2;
        if (!(o->buf = realloc(o->buf, na)))
            abort();
        o->alloc = na;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static int on_link(void *ctx, const struct vg_html_link *l)
{
    struct out *o = ctx;
    unsigned char k = (unsigned char)l->kind;

    if (l->kind > VG_HTML_BASE || !l->url || !l->tag || !l->attr ||
        l->len == 0 || l->len > o->max_value || l->url[l->len] != '\0' ||
        memchr(l->url, '\0', l->len) || is_ws(l->url[0]) ||
        is_ws(l->url[l->len - 1]) || !*l->attr)
        abort();
    put(o, &k, 1);
    put(o, l->tag, strlen(l->tag) + 1);
    put(o, l->attr, strlen(l->attr) + 1);
    put(o, &l->len, sizeof(l->len));
    put(o, l->url, l->len);
    return VG_OK;
}

/* Scan doc with chunk sizes from sizes[] (NULL: whole; 1 byte if step). */
static void run(const struct vg_html_limits *lim, const uint8_t *doc, size_t n,
                const uint8_t *sizes, unsigned mul, struct out *o,
                size_t *seen, int *trunc)
{
    struct vg_html_scanner *s = NULL;
    size_t i = 0, k = 0;
    int rc = VG_OK;

    o->max_value = lim->max_attr_value ? lim->max_attr_value : 8192;
    if (vg_html_scanner_new(lim, on_link, o, &s) != VG_OK)
        abort();
    while (rc == VG_OK && i < n) {
        size_t c = n - i;
        if (sizes)
            c = (size_t)(sizes[k++ % 8] % mul) + 1;
        if (c > n - i)
            c = n - i;
        rc = vg_html_scan(s, (const char *)doc + i, c);
        i += c;
    }
    if (rc == VG_OK)
        rc = vg_html_finish(s);
    if (rc != VG_OK)
        abort();
    *seen = vg_html_links_seen(s, trunc);
    if (*seen > (lim->max_links ? lim->max_links : 100000))
        abort();
    vg_html_scanner_free(s);
}

static void same(const struct out *a, size_t sa, int ta, const struct out *b,
                 size_t sb, int tb)
{
    if (a->len != b->len || (a->len && memcmp(a->buf, b->buf, a->len)) ||
        sa != sb || ta != tb)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t values[4] = {0, 1, 16, 64};
    static const uint8_t ones[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    struct vg_html_limits lim;
    struct out whole = {NULL, 0, 0, 0}, part = {NULL, 0, 0, 0};
    size_t sw, sp;
    int tw, tp;
    unsigned mul;

    if (size < HDR)
        return 0;
    lim.max_attr_value = values[data[0] & 3];
    lim.max_attrs = data[0] & 4 ? 3 : 0;
    lim.max_links = data[0] & 8 ? 5 : 0;
    mul = data[0] & 16 ? 256 : 16;
    run(&lim, data + HDR, size - HDR, NULL, 1, &whole, &sw, &tw);
    run(&lim, data + HDR, size - HDR, data + 1, mul, &part, &sp, &tp);
    same(&whole, sw, tw, &part, sp, tp);
    if (size - HDR <= 4096) {
        part.len = 0;
        run(&lim, data + HDR, size - HDR, ones, 1, &part, &sp, &tp);
        same(&whole, sw, tw, &part, sp, tp);
    }
    free(whole.buf);
    free(part.buf);
    return 0;
}
