/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Streaming HTML link and media scanner (include/vigil/htmlscan.h): a byte
 * state machine following the WHATWG HTML tokenizer (HTML Living Standard,
 * section 13.2.5 "Tokenization" and 13.2.5.72ff "Character reference"
 * states), without a tree.  Bytes may arrive in any chunking: every piece
 * of state (including a half-read character reference or markup
 * declaration) lives in the scanner, so the output never depends on where
 * the chunks split.  This file holds the tokenizer and the public API;
 * attribute values and character references are in htmlscan_value.c, the
 * links of a complete tag in htmlscan_links.c.
 * Invariants: time is linear in the input (each byte is looked at a bounded
 * number of times: at most VG__HTML_ENTITY_MAXLEN + 1 for a character
 * reference, which is then never re-scanned as one) and memory is bounded by
 * the limits: only the nine attributes the scanner uses (href, src, srcset,
 * poster, content, property, name, rel, style) are stored, each at most
 * max_attr_value bytes, and only for tags that use them.
 * Deliberate simplifications, all on the side of reporting a link rather
 * than losing one (or of dropping only what a browser drops too):
 *  - script data's escape states (`<!--` ... `<script>` ... `-->`) are not
 *    followed: script, like style, xmp, iframe, noembed and noframes
 *    (RAWTEXT) and textarea and title (RCDATA) ends at the first
 *    `</name` followed by whitespace, '/' or '>' (ASCII case-insensitive);
 *  - noscript is parsed as markup (scripting disabled), so its fallback
 *    images are found;
 *  - the tree builder is not modelled: foreign content (svg, math) gets no
 *    CDATA sections (they are bogus comments) and raw-text switching does
 *    not depend on the insertion mode; `picture > source[srcset]` means a
 *    source start tag while more picture start tags than end tags were seen;
 *  - the comment less-than-sign states only raise parse errors and end the
 *    comment exactly where the comment state would, so they are merged
 *    into it; a DOCTYPE always ends at the first '>', so it is skipped as a
 *    bogus comment;
 *  - max_attrs counts attributes as written, duplicates included;
 *  - a value longer than max_attr_value is dropped whole (for srcset and
 *    style: all of its URLs) but still counts as present, so a later
 *    duplicate attribute does not replace it;
 *  - CSS: url( ... ) is found anywhere in a style attribute (ASCII
 *    case-insensitive), with optional whitespace and ' or " quotes; CSS
 *    escapes and comments are not interpreted;
 *  - og:image meta: property or name are whitespace-trimmed before the
 *    ASCII case-insensitive comparison;
 *  - the first base start tag with an href attribute (even an empty or
 *    dropped one, as for the spec's frozen base URL) ends base reporting;
 *  - the tag name in a report is cut at TAG_CAP - 1 bytes; attribute names
 *    longer than NAME_CAP bytes match nothing (no kept name is that long).
 * End of file inside a tag drops the tag (spec: eof-in-tag; browsers do
 * the same), so vg_html_finish reports nothing new and just ends cleanly
 * (the header's "report what an unterminated tag still holds" is thus
 * always nothing); bytes fed after it are ignored.
 */
#include <stdint.h>
#include <string.h>

#include "crawl/htmlscan_int.h"
#include "vigil/alloc.h"

/* ---- tag and attribute bookkeeping ---- */

static void tag_start(struct vg_html_scanner *s, int is_end)
{
    s->tlen = 0;
    s->is_end = is_end;
    s->nattrs = 0;
    s->cur = -1;
    for (int i = 0; i < A_COUNT; i++) {
        s->v[i].len = 0;
        s->v[i].present = s->v[i].dropped = 0;
    }
}

static void tag_name_done(struct vg_html_scanner *s)
{
    s->tid = T_OTHER;
    s->tname[s->tlen < TAG_CAP - 1 ? s->tlen : TAG_CAP - 1] = '\0';
    if (s->tlen < NAME_CAP)
        for (int t = 1; t < T_COUNT; t++)
            if (strlen(vg__html_tags[t].name) == s->tlen &&
                !memcmp(vg__html_tags[t].name, s->tname, s->tlen)) {
                s->tid = (enum tag_id)t;
                break;
            }
    s->keep = s->is_end ? 0 : vg__html_tags[s->tid].mask | BIT(A_STYLE);
}

/* Append to a name of capacity cap; the length keeps counting past it. */
static void name_push(char *buf, size_t cap, size_t *len, unsigned char c)
{
    if (c == 0) {
        /* U+FFFD, which no kept name contains */
        name_push(buf, cap, len, 0xef);
        name_push(buf, cap, len, 0xbf);
        name_push(buf, cap, len, 0xbd);
        return;
    }
    if (*len < cap)
        buf[*len] = (char)lower(c);
    if (*len < SIZE_MAX)
        (*len)++;
}

static void attr_start(struct vg_html_scanner *s)
{
    s->alen = 0;
    s->cur = -1;
    if (s->nattrs < SIZE_MAX)
        s->nattrs++;
}

/* The name is complete: keep the value if it is a first, wanted one. */
static void attr_name_done(struct vg_html_scanner *s)
{
    s->cur = -1;
    if (s->nattrs > s->max_attrs || s->alen >= NAME_CAP)
        return;
    for (int a = 0; a < A_COUNT; a++)
        if ((s->keep & BIT(a)) && strlen(vg__html_slot_names[a]) == s->alen &&
            !memcmp(vg__html_slot_names[a], s->aname, s->alen)) {
            if (!s->v[a].present) {
                s->v[a].present = 1;
                s->cur = a;
            }
            return;
        }
}

/* ---- markup declaration open ---- */

static void md_step(struct vg_html_scanner *s, unsigned char c, int *consumed)
{
    static const char *const opts[3] = {"--", "doctype", "[CDATA["};
    int any = 0;

    *consumed = 1;
    if (s->md_len < sizeof(s->md))
        s->md[s->md_len] = (char)c;
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(opts[k]), i;
        if (s->md_len >= n)
            continue;
        for (i = 0; i <= s->md_len; i++) {
            unsigned char m = (unsigned char)s->md[i];
            if ((k == 1 ? lower(m) : m) != (unsigned char)opts[k][i])
                break;
        }
        if (i <= s->md_len)
            continue;
        any = 1;
        if (s->md_len + 1 == n) {
            s->st = k == 0 ? S_COMMENT_START : S_BOGUS_COMMENT;
            return;
        }
    }
    if (any) {
        s->md_len++;
        return;
    }
    /* no match: a bogus comment; the bytes before c hold no '>' */
    s->st = S_BOGUS_COMMENT;
    *consumed = 0;
}

/* ---- raw text ---- */

static void raw_step(struct vg_html_scanner *s, unsigned char c, int *consumed)
{
    const char *name = vg__html_tags[s->raw_tag].name;

    *consumed = 1;
    switch (s->st) {
    case S_RAW_LT:
        if (c == '/') {
            s->st = S_RAW_END_OPEN;
            s->raw_pos = 0;
            return;
        }
        break;
    case S_RAW_END_OPEN:
    case S_RAW_END_NAME:
        if (name[s->raw_pos] && lower(c) == (unsigned char)name[s->raw_pos]) {
            s->raw_pos++;
            s->st = S_RAW_END_NAME;
            return;
        }
        if (s->st == S_RAW_END_NAME && !name[s->raw_pos] &&
            (is_ws(c) || c == '/' || c == '>')) {
            tag_start(s, 1);
            s->tid = s->raw_tag;
            s->keep = 0;
            s->st = is_ws(c)   ? S_BEFORE_ATTR_NAME
                    : c == '/' ? S_SELF_CLOSING
                               : S_DATA;
            return;
        }
        break;
    default:
        break;
    }
    s->st = S_RAW;
    *consumed = 0;
}

/* ---- the tokenizer ---- */

/* Run of plain bytes in a quoted value: not quote, '&' or NUL. */
static size_t plain_run(const char *p, size_t n, char q)
{
    size_t i = 0;

    while (i < n && p[i] != q && p[i] != '&' && p[i] != '\0')
        i++;
    return i;
}

static int value_byte(struct vg_html_scanner *s, unsigned char c)
{
    if (c == 0)
        return vg__html_val_append(s, "\xef\xbf\xbd", 3);
    if (c == '&' && s->cur >= 0) {
        s->cr_ret = s->st;
        s->ref_len = 0;
        s->st = S_CR_START;
        return VG_OK;
    }
    return vg__html_val_append(s, (const char *)&c, 1);
}

static int step(struct vg_html_scanner *s, const char *p, size_t n,
                size_t *adv)
{
    unsigned char c = (unsigned char)p[0];
    int consumed = 1, rc = VG_OK;
    const char *hit;

    switch (s->st) {
    case S_DATA:
        hit = memchr(p, '<', n);
        if (!hit) {
            *adv = n;
            return VG_OK;
        }
        *adv = (size_t)(hit - p) + 1;
        s->st = S_TAG_OPEN;
        return VG_OK;
    case S_TAG_OPEN:
        if (c == '!') {
            s->st = S_MD_OPEN;
            s->md_len = 0;
        } else if (c == '/') {
            s->st = S_END_TAG_OPEN;
        } else if (is_alpha(c)) {
            tag_start(s, 0);
            s->st = S_TAG_NAME;
            consumed = 0;
        } else {
            /* '?' starts a bogus comment; anything else is text */
            s->st = c == '?' ? S_BOGUS_COMMENT : S_DATA;
            consumed = 0;
        }
        break;
    case S_END_TAG_OPEN:
        if (is_alpha(c)) {
            tag_start(s, 1);
            s->st = S_TAG_NAME;
            consumed = 0;
        } else if (c == '>') {
            s->st = S_DATA;
        } else {
            s->st = S_BOGUS_COMMENT;
            consumed = 0;
        }
        break;
    case S_TAG_NAME:
        if (is_ws(c) || c == '/' || c == '>') {
            tag_name_done(s);
            if (c == '>')
                rc = vg__html_tag_done(s);
            else
                s->st = c == '/' ? S_SELF_CLOSING : S_BEFORE_ATTR_NAME;
        } else {
            name_push(s->tname, TAG_CAP - 1, &s->tlen, c);
        }
        break;
    case S_BEFORE_ATTR_NAME:
        if (is_ws(c))
            break;
        if (c == '/' || c == '>') {
            s->st = S_AFTER_ATTR_NAME;
            consumed = 0;
        } else {
            attr_start(s);
            s->st = S_ATTR_NAME;
            if (c == '=')
                name_push(s->aname, NAME_CAP, &s->alen, c);
            else
                consumed = 0;
        }
        break;
    case S_ATTR_NAME:
        if (is_ws(c) || c == '/' || c == '>') {
            attr_name_done(s);
            s->st = S_AFTER_ATTR_NAME;
            consumed = 0;
        } else if (c == '=') {
            attr_name_done(s);
            s->st = S_BEFORE_ATTR_VALUE;
        } else {
            name_push(s->aname, NAME_CAP, &s->alen, c);
        }
        break;
    case S_AFTER_ATTR_NAME:
        if (is_ws(c))
            break;
        if (c == '/') {
            s->st = S_SELF_CLOSING;
        } else if (c == '=') {
            s->st = S_BEFORE_ATTR_VALUE;
        } else if (c == '>') {
            rc = vg__html_tag_done(s);
        } else {
            attr_start(s);
            s->st = S_ATTR_NAME;
            consumed = 0;
        }
        break;
    case S_BEFORE_ATTR_VALUE:
        if (is_ws(c))
            break;
        if (c == '"') {
            s->st = S_AV_DQ;
        } else if (c == '\'') {
            s->st = S_AV_SQ;
        } else if (c == '>') {
            rc = vg__html_tag_done(s);
        } else {
            s->st = S_AV_UQ;
            consumed = 0;
        }
        break;
    case S_AV_DQ:
    case S_AV_SQ: {
        char q = s->st == S_AV_DQ ? '"' : '\'';
        size_t run = plain_run(p, n, q);
        if (run) {
            *adv = run;
            return vg__html_val_append(s, p, run);
        }
        if (c == (unsigned char)q)
            s->st = S_AFTER_AV_Q;
        else
            rc = value_byte(s, c);
        break;
    }
    case S_AV_UQ:
        if (is_ws(c))
            s->st = S_BEFORE_ATTR_NAME;
        else if (c == '>')
            rc = vg__html_tag_done(s);
        else
            rc = value_byte(s, c);
        break;
    case S_AFTER_AV_Q:
        if (is_ws(c)) {
            s->st = S_BEFORE_ATTR_NAME;
        } else if (c == '/') {
            s->st = S_SELF_CLOSING;
        } else if (c == '>') {
            rc = vg__html_tag_done(s);
        } else {
            s->st = S_BEFORE_ATTR_NAME;
            consumed = 0;
        }
        break;
    case S_SELF_CLOSING:
        if (c == '>') {
            rc = vg__html_tag_done(s);
        } else {
            s->st = S_BEFORE_ATTR_NAME;
            consumed = 0;
        }
        break;
    case S_MD_OPEN:
        md_step(s, c, &consumed);
        break;
    case S_COMMENT_START:
        if (c == '-') {
            s->st = S_COMMENT_START_DASH;
        } else if (c == '>') {
            s->st = S_DATA; /* <!--> */
        } else {
            s->st = S_COMMENT;
            consumed = 0;
        }
        break;
    case S_COMMENT_START_DASH:
        if (c == '-') {
            s->st = S_COMMENT_END;
        } else if (c == '>') {
            s->st = S_DATA; /* <!---> */
        } else {
            s->st = S_COMMENT;
            consumed = 0;
        }
        break;
    case S_COMMENT:
        hit = memchr(p, '-', n);
        if (!hit) {
            *adv = n;
            return VG_OK;
        }
        *adv = (size_t)(hit - p) + 1;
        s->st = S_COMMENT_END_DASH;
        return VG_OK;
    case S_COMMENT_END_DASH:
        s->st = c == '-' ? S_COMMENT_END : S_COMMENT;
        consumed = c == '-';
        break;
    case S_COMMENT_END:
        if (c == '>') {
            s->st = S_DATA;
        } else if (c == '!') {
            s->st = S_COMMENT_END_BANG;
        } else if (c != '-') {
            s->st = S_COMMENT;
            consumed = 0;
        }
        break;
    case S_COMMENT_END_BANG:
        if (c == '-') {
            s->st = S_COMMENT_END_DASH;
        } else if (c == '>') {
            s->st = S_DATA; /* --!> */
        } else {
            s->st = S_COMMENT;
            consumed = 0;
        }
        break;
    case S_BOGUS_COMMENT:
        hit = memchr(p, '>', n);
        if (!hit) {
            *adv = n;
            return VG_OK;
        }
        *adv = (size_t)(hit - p) + 1;
        s->st = S_DATA;
        return VG_OK;
    case S_RAW:
        hit = memchr(p, '<', n);
        if (!hit) {
            *adv = n;
            return VG_OK;
        }
        *adv = (size_t)(hit - p) + 1;
        s->st = S_RAW_LT;
        return VG_OK;
    case S_RAW_LT:
    case S_RAW_END_OPEN:
    case S_RAW_END_NAME:
        raw_step(s, c, &consumed);
        break;
    case S_PLAINTEXT:
        *adv = n;
        return VG_OK;
    case S_CR_START:
    case S_CR_NAMED:
    case S_CR_NUMERIC:
    case S_CR_HEX_START:
    case S_CR_HEX:
    case S_CR_DEC:
        rc = vg__html_ref_step(s, c, &consumed);
        break;
    }
    *adv = (size_t)consumed;
    return rc;
}

/* ---- public API ---- */

int vg_html_scanner_new(const struct vg_html_limits *lim, vg_html_link_cb cb,
                        void *ctx, struct vg_html_scanner **out)
{
    struct vg_html_scanner *s;

    *out = NULL;
    if (!(s = vg_calloc(1, sizeof(*s))))
        return VG_ENOMEM;
    s->max_value = lim && lim->max_attr_value ? lim->max_attr_value
                                              : DEF_MAX_VALUE;
    if (s->max_value > SIZE_MAX / 4)
        s->max_value = SIZE_MAX / 4;
    s->max_attrs = lim && lim->max_attrs ? lim->max_attrs : DEF_MAX_ATTRS;
    s->max_links = lim && lim->max_links ? lim->max_links : DEF_MAX_LINKS;
    s->cb = cb;
    s->ctx = ctx;
    s->st = S_DATA;
    s->cur = -1;
    *out = s;
    return VG_OK;
}

int vg_html_scan(struct vg_html_scanner *s, const char *data, size_t len)
{
    size_t i = 0;

    while (!s->err && i < len) {
        size_t adv = 0;
        s->err = step(s, data + i, len - i, &adv);
        i += adv;
    }
    return s->err;
}

int vg_html_finish(struct vg_html_scanner *s)
{
    /*
     * EOF in a tag, attribute or character reference drops the tag (spec
     * 13.2.5: "eof-in-tag"); in comments and text there is nothing pending.
     */
    if (!s->err)
        s->st = S_PLAINTEXT;
    return s->err;
}

size_t vg_html_links_seen(const struct vg_html_scanner *s, int *truncated)
{
    if (truncated)
        *truncated = s->truncated;
    return s->seen;
}

void vg_html_scanner_free(struct vg_html_scanner *s)
{
    if (!s)
        return;
    for (int i = 0; i < A_COUNT; i++)
        vg_free(s->v[i].buf);
    vg_free(s);
}
