/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the HTML scanner (src/crawl/htmlscan*.c): the tokenizer
 * states, the scanner structure, the tags and attributes it knows, and the
 * functions shared between htmlscan.c (the tokenizer and the public API),
 * htmlscan_value.c (attribute values and character references) and
 * htmlscan_links.c (turning a complete start tag into links).  The design,
 * the spec followed and the simplifications are described in htmlscan.c.
 */
#ifndef VIGIL_CRAWL_HTMLSCAN_INT_H
#define VIGIL_CRAWL_HTMLSCAN_INT_H

#include <stdint.h>
#include <string.h>

#include "crawl/html_entities.h"
#include "vigil/htmlscan.h"

#define DEF_MAX_VALUE ((size_t)8192)
#define DEF_MAX_ATTRS 256u
#define DEF_MAX_LINKS ((size_t)100000)
#define NAME_CAP 16 /* longer attribute names match nothing */
#define TAG_CAP 64  /* tag names in reports are cut at TAG_CAP - 1 bytes */
#define REF_CAP (VG__HTML_ENTITY_MAXLEN + 4)

enum state {
    S_DATA,
    S_TAG_OPEN,
    S_END_TAG_OPEN,
    S_TAG_NAME,
    S_BEFORE_ATTR_NAME,
    S_ATTR_NAME,
    S_AFTER_ATTR_NAME,
    S_BEFORE_ATTR_VALUE,
    S_AV_DQ,
    S_AV_SQ,
    S_AV_UQ,
    S_AFTER_AV_Q,
    S_SELF_CLOSING,
    S_MD_OPEN,
    S_COMMENT_START,
    S_COMMENT_START_DASH,
    S_COMMENT,
    S_COMMENT_END_DASH,
    S_COMMENT_END,
    S_COMMENT_END_BANG,
    S_BOGUS_COMMENT, /* also DOCTYPE and CDATA outside foreign content */
    S_RAW,           /* RAWTEXT, RCDATA, script data */
    S_RAW_LT,
    S_RAW_END_OPEN,
    S_RAW_END_NAME,
    S_PLAINTEXT,
    S_CR_START, /* character reference in an attribute value */
    S_CR_NAMED,
    S_CR_NUMERIC,
    S_CR_HEX_START,
    S_CR_HEX,
    S_CR_DEC
};

/* The attributes the scanner keeps (bit i of a tag's mask is slot i). */
enum slot {
    A_HREF,
    A_SRC,
    A_SRCSET,
    A_POSTER,
    A_CONTENT,
    A_PROPERTY,
    A_NAME,
    A_REL,
    A_STYLE,
    A_COUNT
};

enum tag_id {
    T_OTHER,
    T_A,
    T_AREA,
    T_BASE,
    T_FRAME,
    T_IFRAME,
    T_IMG,
    T_LINK,
    T_META,
    T_PICTURE,
    T_SOURCE,
    T_VIDEO,
    T_SCRIPT,
    T_STYLE,
    T_XMP,
    T_NOEMBED,
    T_NOFRAMES,
    T_TEXTAREA,
    T_TITLE,
    T_PLAINTEXT,
    T_COUNT
};

#define BIT(a) (1u << (a))

struct vg__html_tag_info {
    const char *name;
    unsigned mask; /* attributes to keep besides style */
};

extern const struct vg__html_tag_info vg__html_tags[T_COUNT];
extern const char *const vg__html_slot_names[A_COUNT];

struct value {
    char *buf;
    size_t len, alloc;
    unsigned char present, dropped;
};

struct vg_html_scanner {
    size_t max_value, max_links;
    unsigned max_attrs;
    vg_html_link_cb cb;
    void *ctx;
    int err; /* sticky: a callback's code or VG_ENOMEM */
    size_t seen;
    int truncated;
    int base_done;
    size_t picture_depth;

    enum state st, cr_ret;
    /* the current tag */
    char tname[TAG_CAP];
    size_t tlen;
    int is_end;
    enum tag_id tid;
    unsigned keep; /* slot mask for this tag */
    size_t nattrs;
    char aname[NAME_CAP];
    size_t alen;
    int cur; /* slot receiving the value, or -1 */
    struct value v[A_COUNT];
    /* raw text: the name that ends it, and how much of it matched */
    enum tag_id raw_tag;
    size_t raw_pos;
    /* markup declaration open: bytes matched so far */
    char md[8];
    size_t md_len;
    /* character reference: raw bytes after '&', and a numeric value */
    char ref[REF_CAP];
    size_t ref_len;
    uint32_t num;
};

/* ---- small helpers ---- */

static inline int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static inline int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline int is_alnum(unsigned char c)
{
    return is_alpha(c) || is_digit(c);
}

static inline unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static inline int ci_equal(const char *a, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    if (n != m)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)a[i]) != (unsigned char)lit[i])
            return 0;
    return 1;
}

/* Append n bytes to the current attribute's value (dropped past the cap). */
int vg__html_val_append(struct vg_html_scanner *s, const char *p, size_t n);
/*
 * One byte c in a character reference state (S_CR_*); *consumed is set to
 * 0 when c must be reconsumed in the attribute value state s->cr_ret.
 */
int vg__html_ref_step(struct vg_html_scanner *s, unsigned char c,
                      int *consumed);
/* A complete tag: report its links and pick the next tokenizer state. */
int vg__html_tag_done(struct vg_html_scanner *s);

#endif
