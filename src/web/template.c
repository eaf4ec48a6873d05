/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template compiler and renderer (include/vigil/template.h).
 *
 * Compiling splits the source into a flat array of nodes (text, value,
 * section, inverted section, partial, translation); a section node records
 * the index just past its body.  While it does so it runs the literal text
 * through a simplified HTML5 tokenizer (WHATWG HTML 13.2.5: data, tag,
 * attribute, comment, raw text and RCDATA states) so that each value node
 * knows the context its output lands in: HTML text, an escaped-only context
 * (quoted attribute value, comment, RCDATA), or a URL attribute value whose
 * scheme the value could decide.  Everything the escaper cannot make safe
 * is refused at compile time.
 *
 * Invariants: node text and names point into the template's own copy of
 * the source; a section's end index is greater than its own; every section
 * body starts and ends in the same HTML context (up to whether a URL's
 * scheme is already fixed, which merges to "not fixed").  Rendering reads
 * only, so compiled templates are shared between threads freely.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/i18n.h"
#include "vigil/template.h"

enum kind { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL, N_TRANS };

/* Where a value's output lands. */
enum vctx {
    X_HTML, /* HTML text: escaped; html-safe values raw */
    X_ESC,  /* attribute value, comment, RCDATA: always escaped */
    X_URL   /* URL attribute value, scheme undecided: checked and escaped */
};

struct node {
    unsigned char kind, ctx;
    unsigned line;
    size_t off, len; /* text, or name / key / partial, within src */
    size_t end;      /* sections: index of the first node after the body */
};

struct vg_tpl {
    char *src;
    struct node *nodes;
    size_t n, cap;
};

/* ---- the HTML context tracker ---- */

enum hst {
    S_DATA,
    S_LT,     /* after '<' */
    S_ENDLT,  /* after "</" */
    S_MARKUP, /* after "<!" (dashes counts '-') */
    S_TAGNAME,
    S_BEFORE_ATTR, /* between attributes */
    S_ATTRNAME,
    S_AFTER_ATTRNAME,
    S_SPLIT, /* a tag ended an attribute name: ws, '/', '>' only */
    S_BEFORE_VALUE,
    S_VALUE_DQ,
    S_VALUE_SQ,
    S_VALUE_UNQ,
    S_COMMENT, /* dashes counts trailing '-' */
    S_BOGUS,   /* bogus comment, up to '>' */
    S_RAW      /* script/style text, or RCDATA / other raw text */
};

enum attr { A_PLAIN, A_URL, A_JS, A_CSS, A_HTML };
enum raw { R_NONE, R_SCRIPT, R_STYLE, R_ESCTEXT };

#define HNAME 24

struct hstate {
    unsigned char st, attr, raw, fixed, endtag, dashes;
    unsigned char rawmatch; /* chars of "</name" matched in S_RAW */
    unsigned char nlen;     /* bytes in name, HNAME + 1 when too long */
    char name[HNAME + 1];   /* tag or attribute name, lower case */
    char rawname[HNAME + 1];
};

static int hspace(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static void name_add(struct hstate *h, int c)
{
    if (h->nlen < HNAME)
        h->name[h->nlen++] = (char)tolower(c);
    else
        h->nlen = HNAME + 1;
    h->name[h->nlen <= HNAME ? h->nlen : HNAME] = '\0';
}

static void name_start(struct hstate *h, int c)
{
    h->nlen = 0;
    h->name[0] = '\0';
    name_add(h, c);
}

static const char *const url_attrs[] = {
    "href",       "src",        "action",     "formaction", "poster",
    "cite",       "background", "longdesc",   "usemap",     "data",
    "codebase",   "manifest",   "icon",       "srcset",     "ping",
    "lowsrc",     "dynsrc",     "archive",    "profile",    "classid",
    "xlink:href", "xml:base",   "imagesrcset"};

static enum attr attr_kind(const struct hstate *h)
{
    if (!strncmp(h->name, "on", 2))
        return A_JS;
    if (h->nlen > HNAME)
        return A_PLAIN;
    if (!strcmp(h->name, "style"))
        return A_CSS;
    if (!strcmp(h->name, "srcdoc"))
        return A_HTML;
    for (size_t i = 0; i < sizeof(url_attrs) / sizeof(*url_attrs); i++)
        if (!strcmp(h->name, url_attrs[i]))
            return A_URL;
    return A_PLAIN;
}

/* '>' closed a tag: back to text, or into raw text for some elements. */
static void tag_end(struct hstate *h)
{
    static const char *const rawtext[] = {"textarea", "title",   "xmp",
                                          "iframe",   "noembed", "noframes",
                                          "noscript"};

    h->st = S_DATA;
    h->raw = R_NONE;
    if (h->endtag || h->rawname[0] == '\0')
        return;
    if (!strcmp(h->rawname, "script"))
        h->raw = R_SCRIPT;
    else if (!strcmp(h->rawname, "style"))
        h->raw = R_STYLE;
    else if (!strcmp(h->rawname, "plaintext"))
        h->raw = R_ESCTEXT;
    else
        for (size_t i = 0; i < sizeof(rawtext) / sizeof(*rawtext); i++)
            if (!strcmp(h->rawname, rawtext[i]))
                h->raw = R_ESCTEXT;
    if (h->raw != R_NONE) {
        h->st = S_RAW;
        h->rawmatch = 0;
    }
}

/* Feed one byte of literal text.  0, or -1 if the text is not allowed. */
static int hfeed(struct hstate *h, int c)
{
    switch (h->st) {
    case S_DATA:
        if (c == '<')
            h->st = S_LT;
        return 0;
    case S_LT:
        if (isalpha(c)) {
            h->st = S_TAGNAME;
            h->endtag = 0;
            name_start(h, c);
        } else if (c == '/') {
            h->st = S_ENDLT;
        } else if (c == '!') {
            h->st = S_MARKUP;
            h->dashes = 0;
        } else if (c == '?') {
            h->st = S_BOGUS;
        } else {
            h->st = S_DATA;
            return hfeed(h, c);
        }
        return 0;
    case S_ENDLT:
        if (isalpha(c)) {
            h->st = S_TAGNAME;
            h->endtag = 1;
            name_start(h, c);
        } else {
            h->st = c == '>' ? S_DATA : S_BOGUS;
        }
        return 0;
    case S_MARKUP:
        if (c == '-' && h->dashes == 0) {
            h->dashes = 1;
        } else if (c == '-') {
            h->st = S_COMMENT;
            h->dashes = 2; /* "<!-->" and "<!--->" close at once */
        } else {
            h->st = S_BOGUS;
            return hfeed(h, c);
        }
        return 0;
    case S_COMMENT:
        if (c == '-')
            h->dashes = h->dashes < 2 ? h->dashes + 1 : 2;
        else if (c == '>' && h->dashes >= 2)
            h->st = S_DATA;
        else if (c == '!' && h->dashes >= 2)
            h->dashes = 3; /* "--!>" closes too */
        else
            h->dashes = 0;
        if (c == '>' && h->dashes == 3)
            h->st = S_DATA;
        return 0;
    case S_BOGUS:
        if (c == '>')
            h->st = S_DATA;
        return 0;
    case S_TAGNAME:
        if (hspace(c) || c == '/') {
            h->st = S_BEFORE_ATTR;
            memcpy(h->rawname, h->name, sizeof(h->rawname));
            if (h->nlen > HNAME)
                h->rawname[0] = '\0';
        } else if (c == '>') {
            memcpy(h->rawname, h->name, sizeof(h->rawname));
            if (h->nlen > HNAME)
                h->rawname[0] = '\0';
            tag_end(h);
        } else {
            name_add(h, c);
        }
        return 0;
    case S_SPLIT:
        if (!hspace(c) && c != '/' && c != '>')
            return -1;
        h->st = S_BEFORE_ATTR;
        return hfeed(h, c);
    case S_BEFORE_ATTR:
    case S_AFTER_ATTRNAME:
        if (hspace(c) || c == '/')
            return 0;
        if (c == '>') {
            tag_end(h);
        } else if (c == '=' && h->st == S_AFTER_ATTRNAME) {
            h->st = S_BEFORE_VALUE;
        } else {
            h->st = S_ATTRNAME;
            name_start(h, c);
        }
        return 0;
    case S_ATTRNAME:
        if (hspace(c) || c == '/')
            h->st = c == '/' ? S_BEFORE_ATTR : S_AFTER_ATTRNAME;
        else if (c == '=')
            h->st = S_BEFORE_VALUE;
        else if (c == '>')
            tag_end(h);
        else
            name_add(h, c);
        return 0;
    case S_BEFORE_VALUE:
        if (hspace(c))
            return 0;
        h->attr = (unsigned char)attr_kind(h);
        h->fixed = 0;
        if (c == '"')
            h->st = S_VALUE_DQ;
        else if (c == '\'')
            h->st = S_VALUE_SQ;
        else if (c == '>')
            tag_end(h);
        else {
            h->st = S_VALUE_UNQ;
            return hfeed(h, c);
        }
        return 0;
    case S_VALUE_DQ:
    case S_VALUE_SQ:
    case S_VALUE_UNQ:
        if ((h->st == S_VALUE_DQ && c == '"') ||
            (h->st == S_VALUE_SQ && c == '\'')) {
            h->st = S_BEFORE_ATTR;
        } else if (h->st == S_VALUE_UNQ && (hspace(c) || c == '>')) {
            h->st = S_BEFORE_ATTR;
            return hfeed(h, c);
        } else if (c == ':' || c == '/' || c == '?' || c == '#') {
            h->fixed = 1;
        }
        return 0;
    case S_RAW: {
        size_t rl = strlen(h->rawname);
        if (h->rawmatch == rl + 2) {
            if (hspace(c) || c == '/' || c == '>') {
                h->st = S_BEFORE_ATTR;
                h->endtag = 1;
                h->raw = R_NONE;
                return hfeed(h, c);
            }
            h->rawmatch = 0;
        }
        if ((h->rawmatch == 0 && c == '<') || (h->rawmatch == 1 && c == '/') ||
            (h->rawmatch >= 2 && tolower(c) == h->rawname[h->rawmatch - 2]))
            h->rawmatch++;
        else
            h->rawmatch = c == '<' ? 1 : 0;
        return 0;
    }
    }
    return 0;
}

/* States equal for the purpose of joining a section's two paths: only the
 * fields that matter in the state are compared. */
static int hsame(const struct hstate *a, const struct hstate *b)
{
    int st = a->st;

    if (st != b->st || a->raw != b->raw)
        return 0;
    switch (st) {
    case S_MARKUP:
    case S_COMMENT:
        return a->dashes == b->dashes;
    case S_RAW:
        return a->rawmatch == b->rawmatch && !strcmp(a->rawname, b->rawname);
    case S_TAGNAME:
        return a->endtag == b->endtag && a->nlen == b->nlen &&
               !strcmp(a->name, b->name);
    case S_ATTRNAME:
    case S_AFTER_ATTRNAME:
    case S_BEFORE_VALUE:
        if (a->nlen != b->nlen || strcmp(a->name, b->name))
            return 0;
        /* fall through */
    case S_BEFORE_ATTR:
    case S_SPLIT:
        return a->endtag == b->endtag && !strcmp(a->rawname, b->rawname);
    case S_VALUE_DQ:
    case S_VALUE_SQ:
    case S_VALUE_UNQ:
        return a->attr == b->attr && a->endtag == b->endtag &&
               !strcmp(a->rawname, b->rawname);
    default:
        return 1;
    }
}

static int between_attrs(int st)
{
    return st == S_BEFORE_ATTR || st == S_AFTER_ATTRNAME || st == S_SPLIT;
}

/* ---- compiling ---- */

struct cstate {
    struct vg_tpl *t;
    struct vg_err *err;
    struct hstate h;
    const char *src;
    size_t len;
    unsigned line;
};

static int add_node(struct cstate *c, int kind, size_t off, size_t len,
                    unsigned line, int ctx)
{
    struct vg_tpl *t = c->t;

    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 32;
        struct node *nn = vg_reallocarray(t->nodes, ncap, sizeof(*nn));
        if (!nn)
            return VG_ENOMEM;
        t->nodes = nn;
        t->cap = ncap;
    }
    t->nodes[t->n].kind = (unsigned char)kind;
    t->nodes[t->n].ctx = (unsigned char)ctx;
    t->nodes[t->n].line = line;
    t->nodes[t->n].off = off;
    t->nodes[t->n].len = len;
    t->nodes[t->n].end = 0;
    t->n++;
    return VG_OK;
}

/* Literal text [off, off+len): track the HTML and count lines. */
static int add_text(struct cstate *c, size_t off, size_t len)
{
    unsigned start = c->line;

    for (size_t i = 0; i < len; i++) {
        int ch = (unsigned char)c->src[off + i];
        if (hfeed(&c->h, ch))
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: a template tag "
                              "ended the attribute name here; put a space, "
                              "'/' or '>' after it",
                              c->line);
        if (ch == '\n')
            c->line++;
    }
    return len ? add_node(c, N_TEXT, off, len, start, 0) : VG_OK;
}

static const char *hwhere(const struct hstate *h)
{
    switch (h->st) {
    case S_LT:
    case S_ENDLT:
    case S_TAGNAME:
        return "in a tag name";
    case S_MARKUP:
        return "in markup declaration";
    case S_ATTRNAME:
    case S_AFTER_ATTRNAME:
    case S_BEFORE_ATTR:
    case S_SPLIT:
        return "in a tag outside attribute values";
    case S_BEFORE_VALUE:
    case S_VALUE_UNQ:
        return "in an unquoted attribute value (quote it)";
    default:
        return "here";
    }
}

/* The context a value gets here, or -1 with the reason in err. */
static int value_ctx(struct cstate *c, const char *what)
{
    const struct hstate *h = &c->h;

    switch (h->st) {
    case S_DATA:
        return X_HTML;
    case S_COMMENT:
    case S_BOGUS:
        return X_ESC;
    case S_RAW:
        if (h->raw == R_ESCTEXT && h->rawmatch == 0)
            return X_ESC;
        vg_err_set(c->err, VG_EFORMAT,
                   "line %u: %s not allowed inside "
                   "<%s>",
                   c->line, what, h->rawname);
        return -1;
    case S_VALUE_DQ:
    case S_VALUE_SQ:
        if (h->attr == A_JS || h->attr == A_CSS || h->attr == A_HTML) {
            vg_err_set(c->err, VG_EFORMAT,
                       "line %u: %s not allowed in "
                       "attribute '%s'",
                       c->line, what, h->name);
            return -1;
        }
        return h->attr == A_URL && !h->fixed ? X_URL : X_ESC;
    default:
        vg_err_set(c->err, VG_EFORMAT, "line %u: %s not allowed %s", c->line,
                   what, hwhere(h));
        return -1;
    }
}

static int name_ok(const char *p, size_t n, int dots, int braces)
{
    int prev_dot = 1, in_brace = 0;

    if (n == 1 && *p == '.' && dots)
        return 1;
    if (!n || n > VG_TPL_MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)p[i];
        if (braces && ch == '{' && !in_brace) {
            in_brace = 1;
        } else if (braces && ch == '}' && in_brace) {
            in_brace = 0;
        } else if (ch == '.') {
            if (dots && prev_dot && !in_brace)
                return 0;
            prev_dot = 1;
            continue;
        } else if (!isalnum(ch) && ch != '_' && ch != '-') {
            return 0;
        }
        prev_dot = 0;
    }
    return !in_brace && (!dots || !prev_dot);
}

struct open_sec {
    size_t node, off, len;
    unsigned line;
    struct hstate h;
};

static int close_section(struct cstate *c, struct open_sec *s, size_t off,
                         size_t len, unsigned line)
{
    struct hstate *h = &c->h;

    if (s->len != len || memcmp(c->src + s->off, c->src + off, len))
        return vg_err_set(c->err, VG_EFORMAT,
                          "line %u: {{/%.*s}} closes "
                          "section '%.*s' opened on line %u",
                          line, (int)len, c->src + off, (int)s->len,
                          c->src + s->off, s->line);
    if (h->st == S_ATTRNAME)
        h->st = S_SPLIT;
    if (between_attrs(h->st) && between_attrs(s->h.st) &&
        h->endtag == s->h.endtag && !strcmp(h->rawname, s->h.rawname)) {
        if (h->st != s->h.st)
            h->st = S_SPLIT;
    } else if (!hsame(h, &s->h)) {
        return vg_err_set(c->err, VG_EFORMAT,
                          "line %u: section '%.*s' "
                          "(line %u) ends in a different HTML context from "
                          "where it began (%s)",
                          line, (int)len, c->src + off, s->line, hwhere(h));
    } else if (h->fixed != s->h.fixed) {
        h->fixed = 0; /* the body may not render: the scheme is open */
    }
    c->t->nodes[s->node].end = c->t->n;
    return VG_OK;
}

static void trim(const char **p, size_t *n)
{
    while (*n && isspace((unsigned char)**p)) {
        (*p)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*p)[*n - 1]))
        (*n)--;
}

/* One {{...}} tag whose content is [p, p+n) on line `line`. */
static int compile_tag(struct cstate *c, const char *p, size_t n,
                       unsigned line, struct open_sec *stack, size_t *depth)
{
    int sig = n ? (unsigned char)*p : 0, ctx, rc;
    size_t off;

    if (sig == '!')
        return VG_OK;
    if (sig == '{' || sig == '&')
        return vg_err_set(c->err, VG_EFORMAT,
                          "line %u: unescaped output "
                          "({{%c...) is not allowed; the C code must mark a "
                          "value with vg_tpl_set_html_safe",
                          line, sig);
    if (sig == '=')
        return vg_err_set(c->err, VG_EFORMAT,
                          "line %u: changing delimiters "
                          "is not supported",
                          line);
    if (sig == '#' || sig == '^' || sig == '/' || sig == '>') {
        p++;
        n--;
    }
    trim(&p, &n);
    off = (size_t)(p - c->src);
    if (sig == 't' && n > 2 && isspace((unsigned char)p[1])) {
        const char *k = p + 1;
        size_t kn = n - 1;
        trim(&k, &kn);
        if (!name_ok(k, kn, 0, 1))
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: bad message key "
                              "'%.*s'",
                              line, (int)kn, k);
        if ((ctx = value_ctx(c, "a message")) < 0)
            return VG_EFORMAT;
        return add_node(c, N_TRANS, (size_t)(k - c->src), kn, line, ctx);
    }
    if (!name_ok(p, n, sig != '>', 0))
        return vg_err_set(c->err, VG_EFORMAT, "line %u: bad name '%.*s'", line,
                          (int)n, p);
    switch (sig) {
    case '#':
    case '^':
        if (c->h.st == S_ATTRNAME)
            c->h.st = S_SPLIT;
        if (*depth == VG_TPL_MAX_DEPTH)
            return vg_err_set(c->err, VG_ETOOBIG,
                              "line %u: sections nested "
                              "deeper than %d",
                              line, VG_TPL_MAX_DEPTH);
        if (c->h.st == S_LT || c->h.st == S_ENDLT || c->h.st == S_TAGNAME ||
            c->h.st == S_MARKUP || (c->h.st == S_RAW && c->h.rawmatch))
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: section not "
                              "allowed %s",
                              line, hwhere(&c->h));
        stack[*depth].node = c->t->n;
        stack[*depth].off = off;
        stack[*depth].len = n;
        stack[*depth].line = line;
        stack[*depth].h = c->h;
        (*depth)++;
        return add_node(c, sig == '#' ? N_SECTION : N_INVERTED, off, n, line,
                        0);
    case '/':
        if (!*depth)
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: {{/%.*s}} closes "
                              "no open section",
                              line, (int)n, p);
        (*depth)--;
        return close_section(c, &stack[*depth], off, n, line);
    case '>':
        if (c->h.st != S_DATA || c->h.raw != R_NONE)
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: partial '%.*s' "
                              "not allowed %s",
                              line, (int)n, p,
                              c->h.st == S_DATA ? "inside raw text"
                                                : hwhere(&c->h));
        return add_node(c, N_PARTIAL, off, n, line, 0);
    default:
        if ((ctx = value_ctx(c, "a value")) < 0)
            return VG_EFORMAT;
        rc = add_node(c, N_VAR, off, n, line, ctx);
        return rc;
    }
}

/* The first "cc" in p[0..n), or NULL. */
static const char *find2(const char *p, size_t n, char cc)
{
    const char *q;

    while (n >= 2 && (q = memchr(p, cc, n - 1))) {
        if (q[1] == cc)
            return q;
        n -= (size_t)(q + 1 - p);
        p = q + 1;
    }
    return NULL;
}

static int compile_all(struct cstate *c)
{
    struct open_sec stack[VG_TPL_MAX_DEPTH];
    size_t depth = 0, pos = 0;
    int rc;

    while (pos < c->len) {
        const char *o = find2(c->src + pos, c->len - pos, '{'), *e;
        size_t tpos, after;
        unsigned tline;

        if (!o) {
            if ((rc = add_text(c, pos, c->len - pos)))
                return rc;
            break;
        }
        tpos = (size_t)(o - c->src);
        if ((rc = add_text(c, pos, tpos - pos)))
            return rc;
        tline = c->line;
        if (o[2] == '{')
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: unescaped output "
                              "({{{...}}}) is not allowed; the C code must "
                              "mark a value with vg_tpl_set_html_safe",
                              tline);
        if (!(e = find2(o + 2, c->len - tpos - 2, '}')))
            return vg_err_set(c->err, VG_EFORMAT,
                              "line %u: '{{' is never "
                              "closed with '}}'",
                              tline);
        while (e[2] == '}') /* "{{t a.{b}}}": the tag ends at the last }} */
            e++;
        after = (size_t)(e - c->src) + 2;
        for (size_t i = tpos; i < after; i++)
            if (c->src[i] == '\n')
                c->line++;
        if ((rc = compile_tag(c, o + 2, (size_t)(e - o - 2), tline, stack,
                              &depth)))
            return rc;
        pos = after;
    }
    if (depth)
        return vg_err_set(c->err, VG_EFORMAT,
                          "line %u: section '%.*s' opened "
                          "here is never closed",
                          stack[depth - 1].line, (int)stack[depth - 1].len,
                          c->src + stack[depth - 1].off);
    if (c->h.st != S_DATA || c->h.raw != R_NONE)
        return vg_err_set(c->err, VG_EFORMAT,
                          "line %u: the template ends "
                          "inside %s",
                          c->line,
                          c->h.st == S_COMMENT ? "a comment"
                          : c->h.st == S_RAW   ? "raw text (<script>...)"
                                               : "a tag");
    return VG_OK;
}

void vg_tpl_free(struct vg_tpl *tpl)
{
    if (!tpl)
        return;
    vg_free(tpl->src);
    vg_free(tpl->nodes);
    vg_free(tpl);
}

int vg_tpl_compile(const char *text, size_t len, struct vg_tpl **out,
                   struct vg_err *err)
{
    struct vg_tpl *t = NULL;
    struct cstate c;
    int rc;

    *out = NULL;
    if (len > VG_TPL_MAX_SIZE)
        return vg_err_set(err, VG_ETOOBIG, "template larger than %u bytes",
                          VG_TPL_MAX_SIZE);
    if (!(t = vg_calloc(1, sizeof(*t))) || !(t->src = vg_malloc(len + 1))) {
        rc = VG_ENOMEM;
        goto fail;
    }
    if (len)
        memcpy(t->src, text, len);
    t->src[len] = '\0';
    memset(&c, 0, sizeof(c));
    c.t = t;
    c.err = err;
    c.src = t->src;
    c.len = len;
    c.line = 1;
    if ((rc = compile_all(&c)))
        goto fail;
    *out = t;
    return VG_OK;
fail:
    vg_tpl_free(t);
    return rc;
}

/* ---- html-safe values ---- */

/*
 * A safe value is an object {SAFE_KEY: marker, "html": "..."} where marker
 * is one private object of this process: JSON parsed from anywhere cannot
 * hold that pointer, and template names cannot spell SAFE_KEY.
 */
#define SAFE_KEY "vg\001html-safe"

static json_t *safe_marker;
static pthread_once_t safe_once = PTHREAD_ONCE_INIT;

static void safe_init(void)
{
    safe_marker = json_object();
}

static const char *safe_html(const json_t *v, size_t *n)
{
    const json_t *h;

    pthread_once(&safe_once, safe_init);
    if (!safe_marker || !json_is_object(v) ||
        json_object_get(v, SAFE_KEY) != safe_marker ||
        !json_is_string(h = json_object_get(v, "html")))
        return NULL;
    *n = json_string_length(h);
    return json_string_value(h);
}

int vg_tpl_set_html_safe(json_t *obj, const char *key, const char *html)
{
    json_t *w = NULL, *h = NULL;

    pthread_once(&safe_once, safe_init);
    if (!safe_marker)
        return VG_ENOMEM;
    if (!json_is_object(obj) || !key || !html)
        return VG_EINVAL;
    if (!(h = json_string(html)))
        return VG_EINVAL; /* not UTF-8 (or out of memory) */
    if (!(w = json_object()) || json_object_set(w, SAFE_KEY, safe_marker) ||
        json_object_set_new(w, "html", h)) {
        if (!w)
            json_decref(h);
        json_decref(w);
        return VG_ENOMEM;
    }
    return json_object_set_new(obj, key, w) ? VG_ENOMEM : VG_OK;
}

/* ---- URLs ---- */

int vg_tpl_url_ok(const char *u, size_t n)
{
    size_t b = 0, e = n, sl = 0;
    char sch[6];

    while (b < e && (unsigned char)u[b] <= 0x20)
        b++;
    while (e > b && (unsigned char)u[e - 1] <= 0x20)
        e--;
    for (size_t i = b; i < e; i++) {
        char ch = u[i];
        if (ch == '\t' || ch == '\n' || ch == '\r')
            continue; /* the URL parser drops these anywhere */
        if (ch == ':')
            return (sl == 4 && !strncasecmp(sch, "http", 4)) ||
                   (sl == 5 && !strncasecmp(sch, "https", 5));
        if (ch == '/' || ch == '?' || ch == '#')
            return 1;
        if (ch == '&')
            return 0; /* a character reference could spell the scheme */
        if (sl < sizeof(sch))
            sch[sl] = ch;
        sl++;
    }
    return 1;
}

/* ---- rendering ---- */

#define STACK_MAX (VG_TPL_MAX_DEPTH * (VG_TPL_MAX_PARTIALS + 1) + 1)

struct rstate {
    const struct vg_tpl_env *env;
    struct vg_buf *out;
    struct vg_err *err;
    size_t limit; /* out->len may not pass this */
    long steps;
    int partials;
    const json_t *stack[STACK_MAX];
    size_t depth;
};

static int emit(struct rstate *r, const char *p, size_t n)
{
    if (n > r->limit - r->out->len)
        return vg_err_set(r->err, VG_ETOOBIG,
                          "output larger than the cap "
                          "of %zu bytes",
                          r->limit);
    return vg_buf_append(r->out, p, n);
}

static int emit_escaped(struct rstate *r, const char *p, size_t n)
{
    size_t run = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        const char *rep;
        switch (p[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '`':
            rep = "&#96;";
            break;
        case '\0':
            rep = "\xEF\xBF\xBD";
            break; /* U+FFFD */
        default:
            continue;
        }
        if ((rc = emit(r, p + run, i - run)) ||
            (rc = emit(r, rep, strlen(rep))))
            return rc;
        run = i + 1;
    }
    return emit(r, p + run, n - run);
}

/* The text of a scalar: strings as they are, numbers printed. */
static const char *scalar_text(const json_t *v, char *tmp, size_t tn,
                               size_t *n)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        *n = json_string_length(v);
        return json_string_value(v);
    case JSON_INTEGER:
        *n = (size_t)snprintf(tmp, tn, "%" JSON_INTEGER_FORMAT,
                              json_integer_value(v));
        return tmp;
    case JSON_REAL:
        *n = (size_t)snprintf(tmp, tn, "%.15g", json_real_value(v));
        return tmp;
    case JSON_TRUE:
        *n = 4;
        return "true";
    case JSON_FALSE:
        *n = 5;
        return "false";
    default:
        return NULL;
    }
}

static int emit_in_ctx(struct rstate *r, int ctx, const char *p, size_t n)
{
    if (ctx == X_URL && !vg_tpl_url_ok(p, n))
        return emit(r, "#", 1);
    return emit_escaped(r, p, n);
}

static int emit_value(struct rstate *r, const json_t *v, int ctx)
{
    char tmp[64];
    const char *p;
    size_t n = 0;

    if (!v)
        return VG_OK;
    if ((p = safe_html(v, &n)))
        return ctx == X_HTML ? emit(r, p, n) : emit_in_ctx(r, ctx, p, n);
    if (!(p = scalar_text(v, tmp, sizeof(tmp), &n)))
        return VG_OK; /* null, objects and arrays print nothing */
    return emit_in_ctx(r, ctx, p, n);
}

/* Look name[0..n) up through the context stack; NULL when missing. */
static const json_t *lookup(const struct rstate *r, const char *name, size_t n)
{
    const json_t *v = NULL;
    const char *dot;
    size_t first;

    if (!r->depth)
        return NULL;
    if (n == 1 && name[0] == '.')
        return r->stack[r->depth - 1];
    dot = memchr(name, '.', n);
    first = dot ? (size_t)(dot - name) : n;
    for (size_t i = r->depth; i-- > 0;)
        if (json_is_object(r->stack[i]) &&
            (v = json_object_getn(r->stack[i], name, first)))
            break;
    while (v && dot) {
        const char *part = dot + 1;
        size_t rest = n - (size_t)(part - name);
        dot = memchr(part, '.', rest);
        first = dot ? (size_t)(dot - part) : rest;
        v = json_is_object(v) ? json_object_getn(v, part, first) : NULL;
    }
    return v;
}

static int truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    if (json_is_real(v))
        return json_real_value(v) != 0.0;
    return 1;
}

/*
 * Expand {name} placeholders of s from the data into b, unescaped (the
 * whole result is escaped when it is written).  With key_only, a value
 * that is not a plain key part makes the expansion fail (returns 1).
 */
static int expand(struct rstate *r, const char *s, size_t n, struct vg_buf *b,
                  int key_only)
{
    size_t i = 0;
    int rc;

    while (i < n) {
        const char *open = memchr(s + i, '{', n - i), *close, *nm, *vt;
        char tmp[64];
        size_t vn = 0, j;

        if (!open)
            return vg_buf_append(b, s + i, n - i);
        if ((rc = vg_buf_append(b, s + i, (size_t)(open - s) - i)))
            return rc;
        nm = open + 1;
        for (close = nm; close < s + n && (isalnum((unsigned char)*close) ||
                                           *close == '_' || *close == '.');
             close++)
            ;
        if (close == s + n || *close != '}' || close == nm) {
            if ((rc = vg_buf_append(b, "{", 1)))
                return rc;
            i = (size_t)(nm - s);
            continue;
        }
        vt = scalar_text(lookup(r, nm, (size_t)(close - nm))
                             ? lookup(r, nm, (size_t)(close - nm))
                             : json_null(),
                         tmp, sizeof(tmp), &vn);
        if (key_only) {
            if (!vt || !vn)
                return 1;
            for (j = 0; j < vn; j++)
                if (!isalnum((unsigned char)vt[j]) && vt[j] != '_' &&
                    vt[j] != '-' && vt[j] != '.')
                    return 1;
        }
        if (vt && (rc = vg_buf_append(b, vt, vn)))
            return rc;
        i = (size_t)(close + 1 - s);
    }
    return VG_OK;
}

static int render_trans(struct rstate *r, const struct vg_tpl *t,
                        const struct node *nd)
{
    const char *key = t->src + nd->off, *text;
    char kbuf[VG_TPL_MAX_NAME * 2 + 1];
    struct vg_buf kb, tb;
    int rc;

    vg_buf_init(&kb, sizeof(kbuf) - 1);
    vg_buf_init(&tb, r->limit - r->out->len + 1);
    if (memchr(key, '{', nd->len)) {
        rc = expand(r, key, nd->len, &kb, 1);
        if (rc == 1 || rc == VG_ETOOBIG) {
            /* a value that cannot be part of a key: the key as written */
            vg_buf_reset(&kb);
            rc = vg_buf_append(&kb, key, nd->len);
        }
    } else {
        rc = vg_buf_append(&kb, key, nd->len);
    }
    if (rc)
        goto done;
    snprintf(kbuf, sizeof(kbuf), "%s", kb.data ? kb.data : "");
    text = vg_i18n_get(r->env ? r->env->i18n : NULL,
                       r->env && r->env->lang ? r->env->lang : "en", kbuf);
    /* the key itself (no message) is shown as it is, not expanded */
    if ((rc = text == kbuf ? vg_buf_puts(&tb, text)
                           : expand(r, text, strlen(text), &tb, 0)))
        goto done;
    rc = emit_in_ctx(r, nd->ctx, tb.data ? tb.data : "", tb.len);
done:
    if (rc == VG_ETOOBIG)
        rc = vg_err_set(r->err, VG_ETOOBIG,
                        "output larger than the cap of "
                        "%zu bytes",
                        r->limit);
    vg_buf_fini(&kb);
    vg_buf_fini(&tb);
    return rc;
}

static int render_range(struct rstate *r, const struct vg_tpl *t, size_t i,
                        size_t end);

static int render_partial(struct rstate *r, const struct vg_tpl *t,
                          const struct node *nd)
{
    char name[VG_TPL_MAX_NAME + 1];
    const struct vg_tpl *p;
    int rc;

    snprintf(name, sizeof(name), "%.*s", (int)nd->len, t->src + nd->off);
    if (!r->env || !r->env->lib || !(p = vg_tpl_lib_get(r->env->lib, name)))
        return vg_err_set(r->err, VG_ENOENT, "line %u: no partial '%s'",
                          nd->line, name);
    if (r->partials == VG_TPL_MAX_PARTIALS)
        return vg_err_set(r->err, VG_ETOOBIG,
                          "line %u: partials nested "
                          "deeper than %d ('%s')",
                          nd->line, VG_TPL_MAX_PARTIALS, name);
    r->partials++;
    rc = render_range(r, p, 0, p->n);
    r->partials--;
    return rc;
}

static int render_section(struct rstate *r, const struct vg_tpl *t, size_t i)
{
    const struct node *nd = &t->nodes[i];
    const json_t *v = lookup(r, t->src + nd->off, nd->len);
    int rc = VG_OK;

    if (nd->kind == N_INVERTED)
        return truthy(v) ? VG_OK : render_range(r, t, i + 1, nd->end);
    if (!truthy(v))
        return VG_OK;
    if (r->depth == STACK_MAX)
        return vg_err_set(r->err, VG_ETOOBIG,
                          "line %u: contexts nested too "
                          "deep",
                          nd->line);
    if (json_is_array(v)) {
        for (size_t k = 0; k < json_array_size(v) && !rc; k++) {
            r->stack[r->depth++] = json_array_get(v, k);
            rc = render_range(r, t, i + 1, nd->end);
            r->depth--;
        }
        return rc;
    }
    if (json_is_object(v))
        r->stack[r->depth++] = v;
    rc = render_range(r, t, i + 1, nd->end);
    if (json_is_object(v))
        r->depth--;
    return rc;
}

static int render_range(struct rstate *r, const struct vg_tpl *t, size_t i,
                        size_t end)
{
    int rc = VG_OK;

    while (i < end && !rc) {
        const struct node *nd = &t->nodes[i];
        if (++r->steps > VG_TPL_MAX_STEPS)
            return vg_err_set(r->err, VG_ETOOBIG,
                              "render took more than %ld "
                              "steps",
                              VG_TPL_MAX_STEPS);
        switch (nd->kind) {
        case N_TEXT:
            rc = emit(r, t->src + nd->off, nd->len);
            break;
        case N_VAR:
            rc = emit_value(r, lookup(r, t->src + nd->off, nd->len), nd->ctx);
            break;
        case N_TRANS:
            rc = render_trans(r, t, nd);
            break;
        case N_PARTIAL:
            rc = render_partial(r, t, nd);
            break;
        case N_SECTION:
        case N_INVERTED:
            rc = render_section(r, t, i);
            i = nd->end;
            continue;
        }
        i++;
    }
    return rc;
}

int vg_tpl_render(const struct vg_tpl *tpl, const struct vg_tpl_env *env,
                  const json_t *data, struct vg_buf *out, struct vg_err *err)
{
    struct rstate *r;
    size_t start = out->len,
           max = env && env->max_out ? env->max_out : VG_TPL_OUT_MAX;
    int rc;

    if (!(r = vg_calloc(1, sizeof(*r))))
        return VG_ENOMEM;
    r->env = env;
    r->out = out;
    r->err = err;
    r->limit = out->cap - start < max ? out->cap : start + max;
    if (data)
        r->stack[r->depth++] = data;
    rc = render_range(r, tpl, 0, tpl->n);
    if (rc == VG_ENOMEM)
        vg_err_set(err, rc, "out of memory");
    if (rc && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    vg_free(r);
    return rc;
}

/* ---- a library of named templates ---- */

struct lib_ent {
    char *name;
    struct vg_tpl *tpl;
};

struct vg_tpl_lib {
    struct lib_ent *ents;
    size_t n, cap;
};

int vg_tpl_lib_new(struct vg_tpl_lib **out)
{
    *out = vg_calloc(1, sizeof(**out));
    return *out ? VG_OK : VG_ENOMEM;
}

void vg_tpl_lib_free(struct vg_tpl_lib *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->n; i++) {
        vg_free(lib->ents[i].name);
        vg_tpl_free(lib->ents[i].tpl);
    }
    vg_free(lib->ents);
    vg_free(lib);
}

const struct vg_tpl *vg_tpl_lib_get(const struct vg_tpl_lib *lib,
                                    const char *name)
{
    for (size_t i = 0; lib && i < lib->n; i++)
        if (!strcmp(lib->ents[i].name, name))
            return lib->ents[i].tpl;
    return NULL;
}

int vg_tpl_lib_add(struct vg_tpl_lib *lib, const char *name, const char *text,
                   size_t len, struct vg_err *err)
{
    struct vg_tpl *t = NULL;
    char *nm = NULL;
    int rc;

    if (!name_ok(name, strlen(name), 0, 0))
        return vg_err_set(err, VG_EINVAL, "bad template name '%s'", name);
    if (vg_tpl_lib_get(lib, name))
        return vg_err_set(err, VG_EEXIST, "template '%s' already loaded",
                          name);
    if (lib->n == lib->cap) {
        size_t ncap = lib->cap ? lib->cap * 2 : 16;
        struct lib_ent *e = vg_reallocarray(lib->ents, ncap, sizeof(*e));
        if (!e)
            return VG_ENOMEM;
        lib->ents = e;
        lib->cap = ncap;
    }
    if ((rc = vg_tpl_compile(text, len, &t, err)))
        return rc;
    if (!(nm = vg_strdup(name))) {
        vg_tpl_free(t);
        return VG_ENOMEM;
    }
    lib->ents[lib->n].name = nm;
    lib->ents[lib->n].tpl = t;
    lib->n++;
    return VG_OK;
}

static int load_one(struct vg_tpl_lib *lib, const char *dir, const char *file,
                    struct vg_err *err)
{
    char path[4096], name[VG_TPL_MAX_NAME + 1], *text = NULL;
    size_t fl = strlen(file), got = 0;
    struct vg_err e2;
    FILE *f = NULL;
    int rc = VG_OK;

    if (fl - 5 > VG_TPL_MAX_NAME)
        return vg_err_set(err, VG_EINVAL, "%s/%s: name too long", dir, file);
    memcpy(name, file, fl - 5);
    name[fl - 5] = '\0';
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >=
        sizeof(path))
        return vg_err_set(err, VG_EINVAL, "%s: path too long", dir);
    if (!(f = fopen(path, "rb")))
        return vg_err_set(err, VG_EIO, "%s: %s", path, strerror(errno));
    if (!(text = vg_malloc(VG_TPL_MAX_SIZE + 1))) {
        rc = VG_ENOMEM;
        goto done;
    }
    got = fread(text, 1, VG_TPL_MAX_SIZE + 1, f);
    if (ferror(f)) {
        rc = vg_err_set(err, VG_EIO, "%s: read error", path);
        goto done;
    }
    if (got > VG_TPL_MAX_SIZE) {
        rc = vg_err_set(err, VG_ETOOBIG, "%s: template larger than %u bytes",
                        path, VG_TPL_MAX_SIZE);
        goto done;
    }
    vg_err_clear(&e2);
    if ((rc = vg_tpl_lib_add(lib, name, text, got, &e2)))
        rc = vg_err_set(err, rc, "%s: %s", path,
                        e2.msg[0] ? e2.msg : vg_strerror(rc));
done:
    vg_free(text);
    fclose(f);
    return rc;
}

int vg_tpl_lib_load_dir(struct vg_tpl_lib *lib, const char *dir,
                        struct vg_err *err)
{
    struct dirent *de;
    DIR *d;
    int rc = VG_OK;

    if (!(d = opendir(dir)))
        return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s",
                          dir, strerror(errno));
    while (!rc && (de = readdir(d))) {
        size_t fl = strlen(de->d_name);
        if (fl > 5 && de->d_name[0] != '.' &&
            !strcmp(de->d_name + fl - 5, ".html"))
            rc = load_one(lib, dir, de->d_name, err);
    }
    closedir(d);
    return rc;
}
