/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A strict multipart/form-data parser over a body already in memory
 * (include/vigil/http.h): RFC 7578 over RFC 2046 5.1.1, with header
 * syntax from RFC 9110 5.6 (tokens, quoted-strings) and 5.5 (no folding).
 * It is ours rather than libmicrohttpd's MHD_PostProcessor because the
 * server already holds the whole body under its cap: the parts can then
 * point into that buffer (no copy, no disk, nothing assembled from
 * chunks), and every rule below is one we can state and fuzz
 * (fuzz/fuzz_multipart.c).
 * Invariants: a part's data lies inside the body and never contains the
 * delimiter CRLF "--" boundary; strings handed out are NUL-terminated,
 * hold no NUL, and the name and filename are valid UTF-8; nothing is
 * allocated beyond the parts array and one block of at most
 * min(len, max_parts * max_header) + 3 * max_parts bytes for the strings,
 * sized before parsing and never moved, so the pointers stay valid.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "web/http_int.h"

#define MAX_BOUNDARY 70
#define DEF_PARTS 8
#define DEF_HEADER 1024
#define TYPE "multipart/form-data"

/* The parse in progress. */
struct mp {
    const char *b; /* body */
    size_t len, pos;
    char delim[4 + MAX_BOUNDARY]; /* CRLF "--" boundary */
    size_t dlen;
    size_t max_parts, max_header;
    struct vg_http_part *parts;
    size_t count, alloc;
    char *mem; /* the strings' block */
    size_t mused, mcap;
    struct vg_err *err;
};

static int is_tchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 2046 bcharsnospace and space */
static int is_bchar(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || (c && strchr("'()+_,-./:=? ", c));
}

/* qdtext and the characters a quoted-pair may escape, RFC 9110 5.6.4 */
static int is_qtext(int c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static void skip_ows(const char *s, size_t n, size_t *i)
{
    while (*i < n && (s[*i] == ' ' || s[*i] == '\t'))
        (*i)++;
}

/*
 * Read one "; name=value" parameter of s[0..n) at *i (after the media type
 * or disposition): name into [*na, *na + *nl), value (unquoted) appended to
 * out (up to outcap bytes; NULL: only checked).  0, 1 at the end, -1 on a
 * syntax error.
 */
static int next_param(const char *s, size_t n, size_t *i, size_t *na,
                      size_t *nl, char *out, size_t *olen)
{
    size_t o = 0;

    skip_ows(s, n, i);
    if (*i == n)
        return 1;
    if (s[(*i)++] != ';')
        return -1;
    skip_ows(s, n, i);
    for (*na = *i; *i < n && is_tchar((unsigned char)s[*i]); (*i)++)
        ;
    if (!(*nl = *i - *na) || *i == n || s[(*i)++] != '=' || *i == n)
        return -1;
    if (s[*i] != '"') {
        size_t v = *i;
        for (; *i < n && is_tchar((unsigned char)s[*i]); (*i)++, o++)
            if (out)
                out[o] = s[*i];
        *olen = o;
        return *i > v ? 0 : -1;
    }
    for ((*i)++; *i < n && s[*i] != '"'; (*i)++) {
        if (s[*i] == '\\' && ++(*i) == n)
            return -1;
        if (!is_qtext((unsigned char)s[*i]))
            return -1;
        if (out)
            out[o] = s[*i];
        o++;
    }
    if (*i == n)
        return -1;
    (*i)++;
    *olen = o;
    return 0;
}

/* Does parameter [na, na + nl) of s spell want (any case)? */
static int param_is(const char *s, size_t na, size_t nl, const char *want)
{
    return nl == strlen(want) && !strncasecmp(s + na, want, nl);
}

/* The boundary of content type ct into m->delim, after CRLF "--". */
static int get_boundary(struct mp *m, const char *ct)
{
    size_t n = ct ? strlen(ct) : 0, i = sizeof(TYPE) - 1, na, nl, bl = 0;
    char v[MAX_BOUNDARY + 1];
    int r, found = 0;

    if (!ct || strncasecmp(ct, TYPE, i))
        return vg_err_set(m->err, VG_EFORMAT,
                          "multipart: not multipart/form-data");
    /* the parameters may be long; a value past MAX_BOUNDARY is checked
     * without being copied, then refused */
    for (;;) {
        size_t save = i;
        if ((r = next_param(ct, n, &i, &na, &nl, NULL, &bl)) < 0)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: bad Content-Type parameters");
        if (r)
            break;
        if (!param_is(ct, na, nl, "boundary"))
            continue;
        if (found++)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: two boundary parameters");
        i = save;
        if (bl > MAX_BOUNDARY)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: boundary longer than %d",
                              MAX_BOUNDARY);
        next_param(ct, n, &i, &na, &nl, v, &bl);
        v[bl] = '\0';
    }
    if (!found)
        return vg_err_set(m->err, VG_EFORMAT, "multipart: no boundary");
    for (i = 0; i < bl; i++)
        if (!is_bchar((unsigned char)v[i]))
            break;
    if (!bl || i < bl || v[bl - 1] == ' ')
        return vg_err_set(m->err, VG_EFORMAT, "multipart: bad boundary");
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, v, bl);
    m->dlen = 4 + bl;
    return VG_OK;
}

/* Copy s[0..n) into the strings' block as a C string. */
static const char *keep(struct mp *m, const char *s, size_t n)
{
    char *p = m->mem + m->mused;

    if (m->mcap - m->mused < n + 1)
        return NULL; /* cannot happen: the block is sized for the worst */
    memcpy(p, s, n);
    p[n] = '\0';
    m->mused += n + 1;
    return p;
}

/* Content-Disposition value s[0..n): form-data, its name and filename. */
static int disposition(struct mp *m, struct vg_http_part *p, const char *s,
                       size_t n)
{
    size_t i = 0, na, nl, vl;
    char *o;
    int r;

    while (i < n && is_tchar((unsigned char)s[i]))
        i++;
    if (i != 9 || strncasecmp(s, "form-data", 9))
        return vg_err_set(m->err, VG_EFORMAT,
                          "multipart: Content-Disposition not form-data");
    for (;;) {
        const char **dst;
        o = m->mem + m->mused;
        if ((r = next_param(s, n, &i, &na, &nl, o, &vl)) < 0)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: bad Content-Disposition");
        if (r)
            break;
        dst = param_is(s, na, nl, "name")       ? &p->name
              : param_is(s, na, nl, "filename") ? &p->filename
                                                : NULL;
        if (!dst)
            continue;
        if (*dst)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: repeated Content-Disposition "
                              "parameter");
        if (memchr(o, '\0', vl) || vg_utf8_count(o, vl) < 0)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: part name or filename not UTF-8");
        o[vl] = '\0';
        m->mused += vl + 1;
        *dst = o;
    }
    if (!p->name)
        return vg_err_set(m->err, VG_EFORMAT, "multipart: part without name");
    return VG_OK;
}

/* One header line s[0..n) (no CRLF) of part p. */
static int header_line(struct mp *m, struct vg_http_part *p, const char *s,
                       size_t n)
{
    const char *colon = memchr(s, ':', n);
    size_t nl = colon ? (size_t)(colon - s) : 0, i, vn;
    const char *v;

    for (i = 0; i < nl && is_tchar((unsigned char)s[i]); i++)
        ;
    if (!nl || i < nl)
        return vg_err_set(m->err, VG_EFORMAT,
                          "multipart: bad part header line");
    i = nl + 1;
    skip_ows(s, n, &i);
    v = s + i;
    vn = n - i;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    /* field-value: no control but tab; UTF-8 filenames come as obs-text */
    for (i = 0; i < vn; i++)
        if ((v[i] != '\t' && (unsigned char)v[i] < 0x20) || v[i] == 0x7f)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: control character in part "
                              "header");
    if (nl == 19 && !strncasecmp(s, "Content-Disposition", 19)) {
        if (p->name)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: two Content-Disposition headers");
        return disposition(m, p, v, vn);
    }
    if (nl == 12 && !strncasecmp(s, "Content-Type", 12)) {
        if (p->content_type)
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: two Content-Type headers");
        for (i = 0; i < vn; i++)
            if ((unsigned char)v[i] >= 0x80)
                return vg_err_set(m->err, VG_EFORMAT,
                                  "multipart: part Content-Type not ASCII");
        p->content_type = keep(m, v, vn);
    }
    return VG_OK;
}

/* The header block at m->pos, up to and past its blank line. */
static int headers(struct mp *m, struct vg_http_part *p)
{
    size_t start = m->pos;
    int rc;

    for (;;) {
        size_t room = m->len - m->pos, used = m->pos - start, n;
        const char *s = m->b + m->pos, *cr;

        if (used + 2 > m->max_header)
            return vg_err_set(m->err, VG_ETOOBIG,
                              "multipart: part header over %zu bytes",
                              m->max_header);
        if (room > m->max_header - used)
            room = m->max_header - used;
        if (!(cr = memchr(s, '\r', room)) || (size_t)(cr - s) + 1 >= room)
            return room < m->len - m->pos
                       ? vg_err_set(m->err, VG_ETOOBIG,
                                    "multipart: part header over %zu bytes",
                                    m->max_header)
                       : vg_err_set(m->err, VG_EFORMAT,
                                    "multipart: truncated part header");
        n = (size_t)(cr - s);
        if (cr[1] != '\n' || memchr(s, '\n', n))
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: bare CR or LF in part header");
        m->pos += n + 2;
        if (!n)
            break;
        if (s[0] == ' ' || s[0] == '\t')
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: folded part header");
        if ((rc = header_line(m, p, s, n)))
            return rc;
    }
    if (!p->name)
        return vg_err_set(m->err, VG_EFORMAT,
                          "multipart: part without Content-Disposition");
    return VG_OK;
}

/* After "--boundary" at m->pos: 1 at the close delimiter, 0 before a part. */
static int after_boundary(struct mp *m)
{
    if (m->len - m->pos >= 2 && !memcmp(m->b + m->pos, "--", 2))
        return 1;
    skip_ows(m->b, m->len, &m->pos);
    if (m->len - m->pos < 2 || memcmp(m->b + m->pos, "\r\n", 2))
        return vg_err_set(m->err, VG_EFORMAT,
                          m->pos == m->len ? "multipart: truncated body"
                                           : "multipart: bad boundary line");
    m->pos += 2;
    return 0;
}

static int add_part(struct mp *m)
{
    struct vg_http_part *grown;
    size_t n;

    if (m->count == m->max_parts)
        return vg_err_set(m->err, VG_ETOOBIG, "multipart: more than %zu parts",
                          m->max_parts);
    if (m->count == m->alloc) {
        n = m->alloc ? 2 * m->alloc : 4;
        if (n > m->max_parts)
            n = m->max_parts;
        if (!(grown = vg_reallocarray(m->parts, n, sizeof(*grown))))
            return vg_err_set(m->err, VG_ENOMEM, "multipart: out of memory");
        m->parts = grown;
        m->alloc = n;
    }
    memset(&m->parts[m->count++], 0, sizeof(*m->parts));
    return VG_OK;
}

static const char *find(const char *h, size_t hn, const char *n, size_t nn)
{
    return hn >= nn ? memmem(h, hn, n, nn) : NULL;
}

/* The parts, from the first delimiter to the close delimiter. */
static int parts(struct mp *m)
{
    const char *d;
    int rc;

    /* the first "--boundary" starts the body or follows a preamble's CRLF */
    if (m->len >= m->dlen - 2 && !memcmp(m->b, m->delim + 2, m->dlen - 2))
        m->pos = m->dlen - 2;
    else if ((d = find(m->b, m->len, m->delim, m->dlen)))
        m->pos = (size_t)(d - m->b) + m->dlen;
    else
        return vg_err_set(m->err, VG_EFORMAT, "multipart: no boundary line");
    while (!(rc = after_boundary(m))) {
        struct vg_http_part *p;
        if ((rc = add_part(m)))
            return rc;
        p = &m->parts[m->count - 1];
        if ((rc = headers(m, p)))
            return rc;
        if (!(d = find(m->b + m->pos, m->len - m->pos, m->delim, m->dlen)))
            return vg_err_set(m->err, VG_EFORMAT,
                              "multipart: truncated body (no closing "
                              "boundary)");
        p->data = (const unsigned char *)m->b + m->pos;
        p->len = (size_t)(d - (m->b + m->pos));
        m->pos += p->len + m->dlen;
    }
    if (rc < 0)
        return rc;
    if (!m->count)
        return vg_err_set(m->err, VG_EFORMAT, "multipart: no parts");
    return VG_OK;
}

int vg_http_multipart_parse(struct vg_http_multipart *mp,
                            const char *content_type, const void *body,
                            size_t len,
                            const struct vg_http_multipart_limits *lim,
                            struct vg_err *err)
{
    struct mp m = {0};
    int rc;

    mp->parts = NULL;
    mp->count = 0;
    mp->mem_ = NULL;
    if (!body && len)
        return vg_err_set(err, VG_EINVAL, "multipart: NULL body");
    m.b = body ? body : "";
    m.len = len;
    m.err = err;
    m.max_parts = lim && lim->max_parts ? lim->max_parts : DEF_PARTS;
    m.max_header = lim && lim->max_header ? lim->max_header : DEF_HEADER;
    if ((rc = get_boundary(&m, content_type)))
        return rc;
    /* every string comes out of some part's header block, so all of them
     * fit in the smaller of the body and every block at its cap, plus a
     * NUL for each of a part's three strings */
    m.mcap = m.max_header > SIZE_MAX / m.max_parts
                 ? len
                 : (m.max_parts * m.max_header < len
                        ? m.max_parts * m.max_header
                        : len);
    if (m.max_parts > (SIZE_MAX - m.mcap - 1) / 3)
        return vg_err_set(err, VG_EINVAL, "multipart: max_parts too large");
    m.mcap += 3 * m.max_parts + 1;
    if (!(m.mem = vg_malloc(m.mcap)))
        return vg_err_set(err, VG_ENOMEM, "multipart: out of memory");
    if ((rc = parts(&m))) {
        vg_free(m.parts);
        vg_free(m.mem);
        return rc;
    }
    mp->parts = m.parts;
    mp->count = m.count;
    mp->mem_ = m.mem;
    return VG_OK;
}

void vg_http_multipart_fini(struct vg_http_multipart *mp)
{
    if (!mp)
        return;
    vg_free(mp->parts);
    vg_free(mp->mem_);
    mp->parts = NULL;
    mp->mem_ = NULL;
    mp->count = 0;
}

const struct vg_http_part *
vg_http_multipart_get(const struct vg_http_multipart *mp, const char *name)
{
    size_t i;

    if (!mp || !name)
        return NULL;
    for (i = 0; i < mp->count; i++)
        if (!strcmp(mp->parts[i].name, name))
            return &mp->parts[i];
    return NULL;
}
