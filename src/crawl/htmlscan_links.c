/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The links of a complete start tag for the HTML scanner (the list in
 * include/vigil/htmlscan.h): which tag reports which attribute, srcset
 * candidates ("parse a srcset attribute", simplified to the URLs), og:image
 * meta, rel~=image_src links, url() in style attributes, and the first
 * base.  Then the raw-text elements switch the tokenizer.  URLs are
 * reported trimmed of HTML whitespace, never empty, at most max_links per
 * document; they point into the value buffers, NUL-terminated for the
 * duration of the callback.
 */
#include "crawl/htmlscan_int.h"

const char *const vg__html_slot_names[A_COUNT] = {"href",    "src",
                                                  "srcset",  "poster",
                                                  "content", "property",
                                                  "name",    "rel",
                                                  "style"};

const struct vg__html_tag_info vg__html_tags[T_COUNT] = {
    [T_OTHER] = {"", 0},
    [T_A] = {"a", BIT(A_HREF)},
    [T_AREA] = {"area", BIT(A_HREF)},
    [T_BASE] = {"base", BIT(A_HREF)},
    [T_FRAME] = {"frame", BIT(A_SRC)},
    [T_IFRAME] = {"iframe", BIT(A_SRC)},
    [T_IMG] = {"img", BIT(A_SRC) | BIT(A_SRCSET)},
    [T_LINK] = {"link", BIT(A_HREF) | BIT(A_REL)},
    [T_META] = {"meta", BIT(A_CONTENT) | BIT(A_PROPERTY) | BIT(A_NAME)},
    [T_PICTURE] = {"picture", 0},
    [T_SOURCE] = {"source", BIT(A_SRC) | BIT(A_SRCSET)},
    [T_VIDEO] = {"video", BIT(A_POSTER)},
    [T_SCRIPT] = {"script", 0},
    [T_STYLE] = {"style", 0},
    [T_XMP] = {"xmp", 0},
    [T_NOEMBED] = {"noembed", 0},
    [T_NOFRAMES] = {"noframes", 0},
    [T_TEXTAREA] = {"textarea", 0},
    [T_TITLE] = {"title", 0},
    [T_PLAINTEXT] = {"plaintext", 0},
};

/* ---- links ---- */

static int report(struct vg_html_scanner *s, enum vg_html_link_kind kind,
                  char *url, size_t len, enum slot a)
{
    struct vg_html_link l;
    char saved;
    int rc;

    while (len && is_ws((unsigned char)url[0]))
        url++, len--;
    while (len && is_ws((unsigned char)url[len - 1]))
        len--;
    if (!len)
        return VG_OK;
    if (s->seen >= s->max_links) {
        s->truncated = 1;
        return VG_OK;
    }
    s->seen++;
    l.kind = kind;
    l.url = url;
    l.len = len;
    l.tag = s->tname;
    l.attr = vg__html_slot_names[a];
    /* url points into a value buffer, which always has room for the NUL */
    saved = url[len];
    url[len] = '\0';
    rc = s->cb(s->ctx, &l);
    url[len] = saved;
    return rc;
}

static int report_slot(struct vg_html_scanner *s, enum vg_html_link_kind kind,
                       enum slot a)
{
    struct value *v = &s->v[a];

    if (!v->present || v->dropped || !v->len)
        return VG_OK;
    return report(s, kind, v->buf, v->len, a);
}

/* "Parse a srcset attribute", simplified: candidate URLs only. */
static int report_srcset(struct vg_html_scanner *s, enum slot a)
{
    struct value *v = &s->v[a];
    char *p = v->buf;
    size_t n = v->len, i = 0;
    int rc = VG_OK;

    if (!v->present || v->dropped)
        return VG_OK;
    while (!rc && i < n) {
        size_t start, end;
        int paren = 0;
        while (i < n && (is_ws((unsigned char)p[i]) || p[i] == ','))
            i++;
        start = i;
        while (i < n && !is_ws((unsigned char)p[i]))
            i++;
        end = i;
        if (end > start && p[end - 1] == ',') {
            while (end > start && p[end - 1] == ',')
                end--;
        } else {
            /* descriptors, up to a comma outside parentheses */
            for (; i < n; i++) {
                if (p[i] == '(')
                    paren = 1;
                else if (p[i] == ')')
                    paren = 0;
                else if (p[i] == ',' && !paren)
                    break;
            }
        }
        if (end > start)
            rc = report(s, VG_HTML_MEDIA, p + start, end - start, a);
    }
    return rc;
}

/* url( ... ) in a style attribute; CSS escapes and comments ignored. */
static int report_style(struct vg_html_scanner *s)
{
    struct value *v = &s->v[A_STYLE];
    char *p = v->buf;
    size_t n = v->len, i = 0;
    int rc = VG_OK;

    if (!v->present || v->dropped)
        return VG_OK;
    while (!rc && n >= 4 && i <= n - 4) {
        size_t start, end;
        if (!ci_equal(p + i, 3, "url") || p[i + 3] != '(') {
            i++;
            continue;
        }
        i += 4;
        while (i < n && is_ws((unsigned char)p[i]))
            i++;
        if (i < n && (p[i] == '"' || p[i] == '\'')) {
            char q = p[i++];
            start = i;
            while (i < n && p[i] != q)
                i++;
            end = i;
        } else {
            start = i;
            while (i < n && p[i] != ')')
                i++;
            end = i;
        }
        rc = report(s, VG_HTML_MEDIA, p + start, end - start, A_STYLE);
    }
    return rc;
}

static int og_image(const struct value *v)
{
    const char *p = v->buf;
    size_t n = v->len;

    if (!v->present || v->dropped)
        return 0;
    while (n && is_ws((unsigned char)p[0]))
        p++, n--;
    while (n && is_ws((unsigned char)p[n - 1]))
        n--;
    return ci_equal(p, n, "og:image") || ci_equal(p, n, "og:image:url") ||
           ci_equal(p, n, "og:image:secure_url");
}

static int rel_image_src(const struct value *v)
{
    size_t i = 0, n = v->len;

    if (!v->present || v->dropped)
        return 0;
    while (i < n) {
        size_t start;
        while (i < n && is_ws((unsigned char)v->buf[i]))
            i++;
        start = i;
        while (i < n && !is_ws((unsigned char)v->buf[i]))
            i++;
        if (i > start && ci_equal(v->buf + start, i - start, "image_src"))
            return 1;
    }
    return 0;
}

/* A complete start tag: report its links, then pick the next state. */
int vg__html_tag_done(struct vg_html_scanner *s)
{
    int rc = VG_OK;

    if (s->is_end) {
        if (s->tid == T_PICTURE && s->picture_depth)
            s->picture_depth--;
        s->st = S_DATA;
        return VG_OK;
    }
    switch (s->tid) {
    case T_A:
    case T_AREA:
        rc = report_slot(s, VG_HTML_PAGE, A_HREF);
        break;
    case T_FRAME:
    case T_IFRAME:
        rc = report_slot(s, VG_HTML_PAGE, A_SRC);
        break;
    case T_BASE:
        if (!s->base_done && s->v[A_HREF].present) {
            s->base_done = 1;
            rc = report_slot(s, VG_HTML_BASE, A_HREF);
        }
        break;
    case T_IMG:
        if (!(rc = report_slot(s, VG_HTML_MEDIA, A_SRC)))
            rc = report_srcset(s, A_SRCSET);
        break;
    case T_SOURCE:
        rc = report_slot(s, VG_HTML_MEDIA, A_SRC);
        if (!rc && s->picture_depth)
            rc = report_srcset(s, A_SRCSET);
        break;
    case T_VIDEO:
        rc = report_slot(s, VG_HTML_MEDIA, A_POSTER);
        break;
    case T_META:
        if (og_image(&s->v[A_PROPERTY]) || og_image(&s->v[A_NAME]))
            rc = report_slot(s, VG_HTML_MEDIA, A_CONTENT);
        break;
    case T_LINK:
        if (rel_image_src(&s->v[A_REL]))
            rc = report_slot(s, VG_HTML_MEDIA, A_HREF);
        break;
    case T_PICTURE:
        if (s->picture_depth < SIZE_MAX)
            s->picture_depth++;
        break;
    default:
        break;
    }
    if (!rc)
        rc = report_style(s);
    switch (s->tid) {
    case T_SCRIPT:
    case T_STYLE:
    case T_XMP:
    case T_IFRAME:
    case T_NOEMBED:
    case T_NOFRAMES:
    case T_TEXTAREA:
    case T_TITLE:
        s->raw_tag = s->tid;
        s->st = S_RAW;
        break;
    case T_PLAINTEXT:
        s->st = S_PLAINTEXT;
        break;
    default:
        s->st = S_DATA;
        break;
    }
    return rc;
}
