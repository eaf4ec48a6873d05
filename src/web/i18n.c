/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message catalogues and Accept-Language negotiation (include/vigil/i18n.h).
 * A catalogue keeps one copy of its file with keys and texts NUL-terminated
 * in place, and an array of entries sorted by key for binary search.
 * Negotiation follows RFC 9110 12.5.4 (weights, 12.4.2) and RFC 4647 basic
 * filtering.  Invariants: every entry's key is unique within its catalogue;
 * every text is valid UTF-8; catalogues are sorted by language tag.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/i18n.h"

struct entry {
    const char *key, *text;
    unsigned line;
};

struct catalogue {
    char lang[VG_I18N_MAX_LANG + 1];
    char *blob;
    struct entry *ents;
    size_t n;
};

struct vg_i18n {
    struct catalogue cats[VG_I18N_MAX_LANGS];
    size_t ncats;
};

int vg_i18n_new(struct vg_i18n **out)
{
    *out = vg_calloc(1, sizeof(**out));
    return *out ? VG_OK : VG_ENOMEM;
}

void vg_i18n_free(struct vg_i18n *i18n)
{
    if (!i18n)
        return;
    for (size_t i = 0; i < i18n->ncats; i++) {
        vg_free(i18n->cats[i].blob);
        vg_free(i18n->cats[i].ents);
    }
    vg_free(i18n);
}

static int key_char(int c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '-';
}

static int lang_ok(const char *lang)
{
    size_t n = strlen(lang);

    if (n == 0 || n > VG_I18N_MAX_LANG || !isalpha((unsigned char)lang[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)lang[i]) && lang[i] != '-')
            return 0;
    return 1;
}

/* The catalogue of lang (compared case-insensitively), or NULL. */
static const struct catalogue *find_cat(const struct vg_i18n *i18n,
                                        const char *lang)
{
    if (!i18n || !lang)
        return NULL;
    for (size_t i = 0; i < i18n->ncats; i++)
        if (!strcasecmp(i18n->cats[i].lang, lang))
            return &i18n->cats[i];
    return NULL;
}

static int ent_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->key,
                  ((const struct entry *)b)->key);
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Split the blob into entries in place; line-numbered errors. */
static int parse_lines(struct catalogue *c, size_t len, const char *src,
                       struct vg_err *err)
{
    char *p = c->blob, *end = c->blob + len;
    size_t cap = 0;
    unsigned line = 0;

    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
        char *k, *ke, *t, *te;

        line++;
        *eol = '\0';
        k = p;
        p = eol + 1;
        while (k < eol && is_blank((unsigned char)*k))
            k++;
        if (k == eol || *k == '#')
            continue;
        for (ke = k; ke < eol && key_char((unsigned char)*ke); ke++)
            ;
        if (ke == k)
            return vg_err_set(err, VG_EFORMAT, "%s:%u: expected 'key = text'",
                              src, line);
        if ((size_t)(ke - k) > VG_I18N_MAX_KEY)
            return vg_err_set(err, VG_EFORMAT,
                              "%s:%u: key longer than %d "
                              "bytes",
                              src, line, VG_I18N_MAX_KEY);
        t = ke;
        while (t < eol && is_blank((unsigned char)*t))
            t++;
        if (t == eol || *t != '=')
            return vg_err_set(err, VG_EFORMAT,
                              "%s:%u: expected '=' after "
                              "key '%.*s'",
                              src, line, (int)(ke - k), k);
        t++;
        while (t < eol && is_blank((unsigned char)*t))
            t++;
        te = eol;
        while (te > t && is_blank((unsigned char)te[-1]))
            te--;
        if ((size_t)(te - t) > VG_I18N_MAX_TEXT)
            return vg_err_set(err, VG_EFORMAT,
                              "%s:%u: text longer than %d "
                              "bytes",
                              src, line, VG_I18N_MAX_TEXT);
        if (vg_utf8_count(t, (size_t)(te - t)) < 0 ||
            memchr(t, '\0', (size_t)(te - t)))
            return vg_err_set(err, VG_EFORMAT,
                              "%s:%u: text is not valid "
                              "UTF-8",
                              src, line);
        *ke = '\0';
        *te = '\0';
        if (c->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct entry *e = vg_reallocarray(c->ents, ncap, sizeof(*e));
            if (!e)
                return VG_ENOMEM;
            c->ents = e;
            cap = ncap;
        }
        c->ents[c->n].key = k;
        c->ents[c->n].text = t;
        c->ents[c->n].line = line;
        c->n++;
    }
    if (c->n)
        qsort(c->ents, c->n, sizeof(*c->ents), ent_cmp);
    for (size_t i = 1; i < c->n; i++)
        if (!strcmp(c->ents[i - 1].key, c->ents[i].key)) {
            unsigned a = c->ents[i - 1].line, b = c->ents[i].line;
            return vg_err_set(err, VG_EFORMAT,
                              "%s:%u: key '%s' already "
                              "defined on line %u",
                              src, a > b ? a : b, c->ents[i].key,
                              a > b ? b : a);
        }
    return VG_OK;
}

int vg_i18n_add(struct vg_i18n *i18n, const char *lang, const char *text,
                size_t len, const char *source, struct vg_err *err)
{
    struct catalogue c;
    size_t pos = 0;
    int rc;

    memset(&c, 0, sizeof(c));
    if (!source)
        source = lang ? lang : "(catalogue)";
    if (!lang || !lang_ok(lang))
        return vg_err_set(err, VG_EINVAL, "%s: bad language tag", source);
    if (len > VG_I18N_MAX_FILE)
        return vg_err_set(err, VG_ETOOBIG,
                          "%s: catalogue larger than %u "
                          "bytes",
                          source, VG_I18N_MAX_FILE);
    if (i18n->ncats == VG_I18N_MAX_LANGS)
        return vg_err_set(err, VG_ETOOBIG, "%s: more than %d languages",
                          source, VG_I18N_MAX_LANGS);
    for (size_t i = 0; lang[i]; i++)
        c.lang[i] = (char)tolower((unsigned char)lang[i]);
    while (pos < i18n->ncats && strcmp(i18n->cats[pos].lang, c.lang) < 0)
        pos++;
    if (pos < i18n->ncats && !strcmp(i18n->cats[pos].lang, c.lang))
        return vg_err_set(err, VG_EEXIST, "%s: language '%s' already loaded",
                          source, c.lang);
    if (!(c.blob = vg_malloc(len + 1)))
        return VG_ENOMEM;
    if (len)
        memcpy(c.blob, text, len);
    c.blob[len] = '\0';
    if ((rc = parse_lines(&c, len, source, err)))
        goto fail;
    memmove(&i18n->cats[pos + 1], &i18n->cats[pos],
            (i18n->ncats - pos) * sizeof(c));
    i18n->cats[pos] = c;
    i18n->ncats++;
    return VG_OK;
fail:
    vg_free(c.blob);
    vg_free(c.ents);
    return rc;
}

static int read_file(const char *path, char **out, size_t *n,
                     struct vg_err *err)
{
    FILE *f = fopen(path, "rb");
    char *d = NULL;
    size_t got;
    int rc = VG_OK;

    *out = NULL;
    if (!f)
        return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s",
                          path, strerror(errno));
    if (!(d = vg_malloc(VG_I18N_MAX_FILE + 1))) {
        rc = VG_ENOMEM;
        goto done;
    }
    got = fread(d, 1, VG_I18N_MAX_FILE + 1, f);
    if (ferror(f))
        rc = vg_err_set(err, VG_EIO, "%s: read error", path);
    else if (got > VG_I18N_MAX_FILE)
        rc = vg_err_set(err, VG_ETOOBIG, "%s: catalogue larger than %u bytes",
                        path, VG_I18N_MAX_FILE);
done:
    fclose(f);
    if (rc) {
        vg_free(d);
        return rc;
    }
    *out = d;
    *n = got;
    return VG_OK;
}

int vg_i18n_load_dir(const char *dir, struct vg_i18n **out, struct vg_err *err)
{
    struct vg_i18n *s = NULL;
    DIR *d = NULL;
    struct dirent *de;
    char *text = NULL, path[4096];
    size_t len = 0;
    int rc;

    *out = NULL;
    if ((rc = vg_i18n_new(&s)))
        return rc;
    if (!(d = opendir(dir))) {
        rc = vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s",
                        dir, strerror(errno));
        goto fail;
    }
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        char lang[VG_I18N_MAX_LANG + 1];

        if (nl < 5 || nl - 4 > VG_I18N_MAX_LANG ||
            strcmp(de->d_name + nl - 4, ".txt"))
            continue;
        memcpy(lang, de->d_name, nl - 4);
        lang[nl - 4] = '\0';
        if (!lang_ok(lang))
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
            sizeof(path)) {
            rc = vg_err_set(err, VG_EINVAL, "%s: path too long", dir);
            goto fail;
        }
        if ((rc = read_file(path, &text, &len, err)) ||
            (rc = vg_i18n_add(s, lang, text, len, path, err)))
            goto fail;
        vg_free(text);
        text = NULL;
    }
    if (!find_cat(s, "en")) {
        rc = vg_err_set(err, VG_ENOENT, "%s: no en.txt catalogue", dir);
        goto fail;
    }
    closedir(d);
    *out = s;
    return VG_OK;
fail:
    vg_free(text);
    if (d)
        closedir(d);
    vg_i18n_free(s);
    return rc;
}

static const char *cat_get(const struct catalogue *c, const char *key)
{
    size_t lo = 0, hi = c ? c->n : 0;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(key, c->ents[mid].key);
        if (!cmp)
            return c->ents[mid].text;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const char *vg_i18n_get(const struct vg_i18n *i18n, const char *lang,
                        const char *key)
{
    const char *t = cat_get(find_cat(i18n, lang ? lang : "en"), key);

    if (!t)
        t = cat_get(find_cat(i18n, "en"), key);
    return t ? t : key;
}

int vg_i18n_has(const struct vg_i18n *i18n, const char *lang, const char *key)
{
    return cat_get(find_cat(i18n, lang ? lang : "en"), key) != NULL;
}

size_t vg_i18n_langs(const struct vg_i18n *i18n, size_t i, const char **tag)
{
    if (!i18n)
        return 0;
    if (tag && i < i18n->ncats)
        *tag = i18n->cats[i].lang;
    return i18n->ncats;
}

/*
 * The next {name} placeholder of s at or after *pos: its name in
 * [*nm, *nm + *nlen), *pos moved past it.  0 when there is none.
 */
static int next_placeholder(const char *s, size_t *pos, const char **nm,
                            size_t *nlen)
{
    const char *p = s + *pos;

    while ((p = strchr(p, '{'))) {
        const char *q = p + 1;
        while (isalnum((unsigned char)*q) || *q == '_' || *q == '.')
            q++;
        if (*q == '}' && q > p + 1) {
            *nm = p + 1;
            *nlen = (size_t)(q - p - 1);
            *pos = (size_t)(q + 1 - s);
            return 1;
        }
        p++;
    }
    return 0;
}

static int has_placeholder(const char *s, const char *nm, size_t nlen)
{
    const char *n2;
    size_t pos = 0, l2;

    while (next_placeholder(s, &pos, &n2, &l2))
        if (l2 == nlen && !memcmp(n2, nm, nlen))
            return 1;
    return 0;
}

/* Every key and placeholder of x is in y. */
static int covers(const struct catalogue *x, const struct catalogue *y,
                  struct vg_err *err)
{
    for (size_t i = 0; i < x->n; i++) {
        const char *ty = cat_get(y, x->ents[i].key), *nm;
        size_t pos = 0, nlen;

        if (!ty)
            return vg_err_set(err, VG_EFORMAT,
                              "key '%s' is in %s but not in "
                              "%s",
                              x->ents[i].key, x->lang, y->lang);
        while (next_placeholder(x->ents[i].text, &pos, &nm, &nlen))
            if (!has_placeholder(ty, nm, nlen))
                return vg_err_set(err, VG_EFORMAT,
                                  "key '%s': placeholder "
                                  "{%.*s} is in %s but not in %s",
                                  x->ents[i].key, (int)nlen, nm, x->lang,
                                  y->lang);
    }
    return VG_OK;
}

int vg_i18n_check_parity(const struct vg_i18n *i18n, const char *a,
                         const char *b, struct vg_err *err)
{
    const struct catalogue *ca = find_cat(i18n, a), *cb = find_cat(i18n, b);
    int rc;

    if (!ca || !cb)
        return vg_err_set(err, VG_ENOENT, "language '%s' is not loaded",
                          ca ? b : a);
    if ((rc = covers(ca, cb, err)))
        return rc;
    return covers(cb, ca, err);
}

/* ---- Accept-Language (RFC 9110 12.5.4) ---- */

#define AL_MAX_LEN 4096
#define AL_MAX_RANGES 64

struct range {
    const char *tag; /* "*" or language-range; not NUL-terminated */
    size_t len;
    int q; /* weight in thousandths */
};

static int ows(int c)
{
    return c == ' ' || c == '\t';
}

/* weight = "q=" ( "0" [ "." 0*3DIGIT ] / "1" [ "." 0*3("0") ] ) */
static int parse_q(const char *p, const char *e, int *q)
{
    int v = 0, digits = 0;

    if (e - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
        return 0;
    p += 2;
    if (*p != '0' && *p != '1')
        return 0;
    v = (*p++ - '0') * 1000;
    if (p < e && *p == '.') {
        int scale = 100;
        for (p++; p < e && isdigit((unsigned char)*p); p++, digits++) {
            if (digits == 3)
                return 0;
            v += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (p != e || v > 1000)
        return 0;
    *q = v;
    return 1;
}

/* language-range = (1*8ALPHA *("-" 1*8alphanum)) / "*" (RFC 4647 2.1) */
static int range_ok(const char *p, size_t n)
{
    size_t run = 0, i;

    if (n == 1 && *p == '*')
        return 1;
    for (i = 0; i < n; i++) {
        if (p[i] == '-') {
            if (!run || i + 1 == n)
                return 0;
            run = 0;
        } else if (isalpha((unsigned char)p[i]) ||
                   (isdigit((unsigned char)p[i]) && memchr(p, '-', i))) {
            if (++run > 8)
                return 0;
        } else {
            return 0;
        }
    }
    return n > 0;
}

static size_t parse_ranges(const char *h, struct range *r)
{
    size_t n = 0, hl = strnlen(h, AL_MAX_LEN);
    const char *p = h, *end = h + hl;

    while (p < end && n < AL_MAX_RANGES) {
        const char *e = memchr(p, ',', (size_t)(end - p)), *te, *semi;
        int q = 1000, ok = 1;

        if (!e)
            e = end;
        while (p < e && ows((unsigned char)*p))
            p++;
        semi = e > p ? memchr(p, ';', (size_t)(e - p)) : NULL;
        te = semi ? semi : e;
        while (te > p && ows((unsigned char)te[-1]))
            te--;
        if (semi) {
            const char *qp = semi + 1, *qe = e;
            while (qp < qe && ows((unsigned char)*qp))
                qp++;
            while (qe > qp && ows((unsigned char)qe[-1]))
                qe--;
            ok = parse_q(qp, qe, &q);
        }
        if (ok && range_ok(p, (size_t)(te - p))) {
            r[n].tag = p;
            r[n].len = (size_t)(te - p);
            r[n].q = q;
            n++;
        }
        p = e + 1;
    }
    return n;
}

/* a equals b, or is b followed by '-' and more (case-insensitive). */
static int prefix_match(const char *a, size_t al, const char *b, size_t bl)
{
    return al >= bl && !strncasecmp(a, b, bl) && (al == bl || a[bl] == '-');
}

/* The weight supported tag s gets from the ranges; -1 when none names it. */
static int weight_for(const char *s, const struct range *r, size_t n,
                      size_t *first)
{
    size_t sl = strlen(s);
    int best = -1, exact = -1, star = -1;
    size_t pos = (size_t)-1, star_pos = (size_t)-1, exact_pos = (size_t)-1;

    for (size_t i = 0; i < n; i++) {
        if (r[i].len == 1 && r[i].tag[0] == '*') {
            if (star < 0) {
                star = r[i].q;
                star_pos = i;
            }
        } else if (r[i].len == sl && !strncasecmp(r[i].tag, s, sl)) {
            if (exact < 0) {
                exact = r[i].q;
                exact_pos = i;
            }
        } else if (prefix_match(r[i].tag, r[i].len, s, sl) ||
                   prefix_match(s, sl, r[i].tag, r[i].len)) {
            if (r[i].q > best) {
                best = r[i].q;
                pos = i;
            }
        }
    }
    if (exact >= 0) {
        /* an exact q=0 refuses the language whatever the related ranges */
        if (exact == 0 || exact >= best) {
            best = exact;
            pos = exact_pos;
        }
    } else if (best < 0 && star >= 0) {
        best = star;
        pos = star_pos;
    }
    *first = pos;
    return best;
}

const char *vg_i18n_negotiate(const char *accept_language,
                              const char *const supported[], size_t n)
{
    struct range r[AL_MAX_RANGES];
    size_t nr, best_i = 0, best_pos = (size_t)-1;
    int best_q = 0;

    if (!n)
        return NULL;
    if (!accept_language)
        return supported[0];
    nr = parse_ranges(accept_language, r);
    for (size_t i = 0; i < n; i++) {
        size_t pos;
        int q = weight_for(supported[i], r, nr, &pos);
        if (q > best_q || (q == best_q && q > 0 && pos < best_pos)) {
            best_q = q;
            best_i = i;
            best_pos = pos;
        }
    }
    return best_q > 0 ? supported[best_i] : supported[0];
}
