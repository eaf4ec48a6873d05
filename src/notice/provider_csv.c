/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The providers CSV (vigil/provider.h): RFC 4180 records (fields between
 * commas; a field in double quotes may hold commas, line breaks and ""
 * for a quote; records end at LF or CR LF), a header naming the columns,
 * then one provider per record, every field checked, lists normalised
 * (domains through vigil/url.h, networks canonical) so that what export
 * writes reads back the same.  Invariants: a record is at most
 * VG_PROVIDER_CSV_RECORD_MAX bytes and VG_PROVIDER_CSV_FIELDS fields; a
 * syntax error skips the rest of its line (an unterminated quote: of the
 * input) and the parse goes on with the next record; every message names
 * the line the record starts on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/provider.h"
#include "vigil/store_providers.h"
#include "vigil/url.h"

#define CSV_FIELDS 32

enum col {
    COL_NAME,
    COL_EMAILS,
    COL_LANGUAGE,
    COL_DOMAINS,
    COL_NETWORKS,
    COL_ONE,
    COL_NOTES,
    NCOLS
};

static const char *const col_names[NCOLS] = {"name",     "abuse_emails",
                                             "language", "domains",
                                             "networks", "one_notice_per_url",
                                             "notes"};

struct reader {
    const char *p, *end;
    unsigned long line;  /* the physical line p is on */
    unsigned long first; /* the line the current record starts on */
    char *buf;           /* the record's fields, each NUL-terminated */
    size_t len;
    size_t field[CSV_FIELDS];
    size_t nf;
    char msg[512];
};

static int put(struct reader *rd, char c)
{
    if (rd->len >= VG_PROVIDER_CSV_RECORD_MAX)
        return -1;
    rd->buf[rd->len++] = c;
    return 0;
}

static int fail(struct reader *rd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int fail(struct reader *rd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rd->msg, sizeof(rd->msg), fmt, ap);
    va_end(ap);
    return VG_EFORMAT;
}

/* Past the end of the current physical line. */
static void skip_line(struct reader *rd)
{
    const char *nl = memchr(rd->p, '\n', (size_t)(rd->end - rd->p));

    rd->p = nl ? nl + 1 : rd->end;
    if (nl)
        rd->line++;
}

/* At a record's end: LF, CR LF or the end of the input? (consumed) */
static int at_eol(struct reader *rd)
{
    if (rd->p == rd->end)
        return 1;
    if (*rd->p == '\n' ||
        (*rd->p == '\r' && rd->p + 1 < rd->end && rd->p[1] == '\n')) {
        rd->p += *rd->p == '\r' ? 2 : 1;
        rd->line++;
        return 1;
    }
    return 0;
}

/*
 * The next record into rd: VG_OK, VG_ENOENT at the end of the input, or
 * VG_EFORMAT (rd->msg says why; the rest of the line is skipped).
 */
static int next_record(struct reader *rd)
{
    rd->len = rd->nf = 0;
    rd->first = rd->line;
    if (rd->p == rd->end)
        return VG_ENOENT;
    for (;;) {
        if (rd->nf == CSV_FIELDS) {
            skip_line(rd);
            return fail(rd, "more than %d fields", CSV_FIELDS);
        }
        rd->field[rd->nf++] = rd->len;
        if (rd->p < rd->end && *rd->p == '"') {
            unsigned long opened = rd->line;
            rd->p++;
            for (;;) {
                if (rd->p == rd->end)
                    return fail(rd,
                                "a quoted field opened on line %lu is "
                                "never closed",
                                opened);
                if (*rd->p == '"') {
                    if (rd->p + 1 < rd->end && rd->p[1] == '"') {
                        rd->p += 2;
                        if (put(rd, '"'))
                            goto too_long;
                        continue;
                    }
                    rd->p++;
                    break;
                }
                if (*rd->p == '\n')
                    rd->line++;
                if (put(rd, *rd->p++))
                    goto too_long;
            }
            if (rd->p < rd->end && *rd->p != ',' && *rd->p != '\n' &&
                !(*rd->p == '\r' && rd->p + 1 < rd->end && rd->p[1] == '\n')) {
                skip_line(rd);
                return fail(rd,
                            "text after the closing quote of field %zu "
                            "(a quote inside a field is written \"\")",
                            rd->nf);
            }
        } else {
            while (
                rd->p < rd->end && *rd->p != ',' && *rd->p != '\n' &&
                !(*rd->p == '\r' && rd->p + 1 < rd->end && rd->p[1] == '\n')) {
                if (*rd->p == '"') {
                    skip_line(rd);
                    return fail(rd,
                                "a quote inside unquoted field %zu "
                                "(quote the whole field)",
                                rd->nf);
                }
                if (put(rd, *rd->p++))
                    goto too_long;
            }
        }
        if (put(rd, '\0'))
            goto too_long;
        if (at_eol(rd))
            return VG_OK;
        rd->p++; /* the comma */
    }
too_long:
    skip_line(rd);
    return fail(rd, "a record over %u bytes", VG_PROVIDER_CSV_RECORD_MAX);
}

static const char *field(const struct reader *rd, size_t i)
{
    return rd->buf + rd->field[i];
}

/* s without spaces and tabs around, in place. */
static char *trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* ---- domains ---- */

int vg_provider_domain_normalise(const char *in, char *out, size_t n,
                                 struct vg_err *err)
{
    char url[VG_DOMAIN_MAX * 4 + 16], *canon = NULL, host[VG_DOMAIN_MAX + 2];
    struct vg_ipnet ip;
    size_t len;
    int rc;

    if (!in || !*in)
        return vg_err_set(err, VG_EINVAL, "an empty domain");
    for (const char *c = in; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f ||
            strchr("/\\@:?#[]%<>\"'`{}|^,;=+&$!()~", *c))
            return vg_err_set(err, VG_EINVAL,
                              "'%.80s' is not a domain name (a name such as "
                              "example.com, without scheme or path)",
                              in);
    if (!strncmp(in, "*.", 2))
        in += 2;
    len = strlen(in);
    if (len && in[len - 1] == '.')
        len--;
    if (!len || len > VG_DOMAIN_MAX * 3)
        return vg_err_set(err, VG_EINVAL, "'%.80s' is not a domain name", in);
    snprintf(url, sizeof(url), "http://%.*s/", (int)len, in);
    rc = vg_url_canonical(url, &canon, NULL);
    if (rc == VG_ENOMEM)
        return rc;
    if (rc || vg_url_host(canon, host, sizeof(host))) {
        vg_free(canon);
        return vg_err_set(err, VG_EINVAL, "'%.80s' is not a domain name", in);
    }
    vg_free(canon);
    if (vg_ipnet_parse(host, VG_IPNET_ADDRESS, &ip) == VG_OK)
        return vg_err_set(err, VG_EINVAL,
                          "%.80s is an address: put it in networks", in);
    if (!vg_provider_domain_valid(host) || strlen(host) >= n)
        return vg_err_set(err, VG_EINVAL, "'%.80s' is not a domain name", in);
    memcpy(out, host, strlen(host) + 1);
    return VG_OK;
}

/* ---- a record to a provider ---- */

static int push(char ***v, size_t *n, const char *s)
{
    char **g, *c;

    if (!(g = vg_reallocarray(*v, *n + 1, sizeof(*g))))
        return VG_ENOMEM;
    *v = g;
    if (!(c = vg_strdup(s)))
        return VG_ENOMEM;
    (*v)[(*n)++] = c;
    return VG_OK;
}

/* The next item of a list field (separated by spaces, tabs, ',' or ';'),
 * NUL-terminated in place; NULL at the end. */
static char *next_item(char **s)
{
    char *start = *s + strspn(*s, " \t,;"), *stop;

    if (!*start)
        return NULL;
    stop = start + strcspn(start, " \t,;");
    *s = *stop ? stop + 1 : stop;
    *stop = '\0';
    return start;
}

static int has_item(char *const *v, size_t n, const char *s, int nocase)
{
    for (size_t i = 0; i < n; i++)
        if (nocase ? !strcasecmp(v[i], s) : !strcmp(v[i], s))
            return 1;
    return 0;
}

/* Fill p from the record; VG_EFORMAT with rd->msg, or VG_ENOMEM. */
static int to_provider(struct reader *rd, const int *map,
                       struct vg_provider *p)
{
    char *f[NCOLS] = {NULL}, *item;
    struct vg_err err = {0};
    int rc;

    for (size_t i = 0; i < rd->nf; i++)
        if (map[i] >= 0)
            f[map[i]] = rd->buf + rd->field[i];
    for (size_t i = 0; i < rd->nf; i++)
        if (vg_utf8_count(field(rd, i), strlen(field(rd, i))) < 0)
            return fail(rd, "field %zu is not UTF-8", i + 1);
    if (!*(f[COL_NAME] = trim(f[COL_NAME])))
        return fail(rd, "no name");
    if (!(p->name = vg_strdup(f[COL_NAME])))
        return VG_ENOMEM;
    snprintf(p->language, sizeof(p->language), "en");
    if (f[COL_LANGUAGE] && *(f[COL_LANGUAGE] = trim(f[COL_LANGUAGE]))) {
        if (strcasecmp(f[COL_LANGUAGE], "en") &&
            strcasecmp(f[COL_LANGUAGE], "fr"))
            return fail(rd, "language is en or fr, not '%.20s'",
                        f[COL_LANGUAGE]);
        p->language[0] = (char)(f[COL_LANGUAGE][0] | 0x20);
        p->language[1] = (char)(f[COL_LANGUAGE][1] | 0x20);
    }
    if (f[COL_ONE] && *(f[COL_ONE] = trim(f[COL_ONE]))) {
        if (strcmp(f[COL_ONE], "0") && strcmp(f[COL_ONE], "1"))
            return fail(rd, "one_notice_per_url is 0 or 1, not '%.20s'",
                        f[COL_ONE]);
        p->one_notice_per_url = f[COL_ONE][0] == '1';
    }
    for (char *s = f[COL_EMAILS]; s && (item = next_item(&s));) {
        if (!vg_provider_email_valid(item))
            return fail(rd, "abuse e-mail '%.80s' is not an address", item);
        if (has_item(p->emails, p->nemails, item, 1))
            continue;
        if (p->nemails == VG_PROVIDER_EMAILS_MAX)
            return fail(rd, "more than %d abuse e-mails",
                        VG_PROVIDER_EMAILS_MAX);
        if (push(&p->emails, &p->nemails, item))
            return VG_ENOMEM;
    }
    for (char *s = f[COL_DOMAINS]; s && (item = next_item(&s));) {
        char d[VG_DOMAIN_MAX + 2];
        if ((rc = vg_provider_domain_normalise(item, d, sizeof(d), &err)))
            return rc == VG_ENOMEM ? rc : fail(rd, "%s", err.msg);
        if (has_item(p->domains, p->ndomains, d, 0))
            continue;
        if (p->ndomains == VG_PROVIDER_ITEMS_MAX)
            return fail(rd, "more than %d domains", VG_PROVIDER_ITEMS_MAX);
        if (push(&p->domains, &p->ndomains, d))
            return VG_ENOMEM;
    }
    for (char *s = f[COL_NETWORKS]; s && (item = next_item(&s));) {
        char net[64];
        if (vg_provider_network_canonical(item, net, sizeof(net), &err))
            return fail(rd, "%s", err.msg);
        if (has_item(p->networks, p->nnetworks, net, 0))
            continue;
        if (p->nnetworks == VG_PROVIDER_ITEMS_MAX)
            return fail(rd, "more than %d networks", VG_PROVIDER_ITEMS_MAX);
        if (push(&p->networks, &p->nnetworks, net))
            return VG_ENOMEM;
    }
    if (!(p->notes = vg_strdup(f[COL_NOTES] ? f[COL_NOTES] : "")))
        return VG_ENOMEM;
    p->confirmed = 1;
    p->source = VG_PROVIDER_MANUAL;
    if ((rc = vg_provider_check(p, &err)))
        return rc == VG_ENOMEM ? rc : fail(rd, "%s", err.msg);
    return VG_OK;
}

/* The header: map[i] is the column of field i.  VG_EFORMAT if bad. */
static int read_header(struct reader *rd, int *map)
{
    int seen[NCOLS] = {0};

    for (size_t i = 0; i < rd->nf; i++) {
        char *name = trim(rd->buf + rd->field[i]);
        map[i] = -1;
        for (int c = 0; c < NCOLS; c++)
            if (!strcasecmp(name, col_names[c]))
                map[i] = c;
        if (map[i] < 0)
            return fail(
                rd,
                "unknown column '%.40s' (the columns: " VG_PROVIDER_CSV_HEADER
                ")",
                name);
        if (seen[map[i]]++)
            return fail(rd, "column %s is given twice", col_names[map[i]]);
    }
    if (!seen[COL_NAME])
        return fail(rd, "no name column (the header is " VG_PROVIDER_CSV_HEADER
                        ")");
    return VG_OK;
}

int vg_provider_csv_parse(
    const char *data, size_t len,
    int (*cb)(void *ctx, unsigned long line, struct vg_provider *p),
    int (*errcb)(void *ctx, unsigned long line, const char *msg), void *ctx)
{
    struct reader rd;
    int map[CSV_FIELDS], header = 0, rc = VG_OK;

    memset(&rd, 0, sizeof(rd));
    rd.p = data;
    rd.end = data + len;
    rd.line = 1;
    if (len >= 3 && !memcmp(data, "\xef\xbb\xbf", 3)) /* a BOM (Excel) */
        rd.p += 3;
    if (!(rd.buf = vg_malloc(VG_PROVIDER_CSV_RECORD_MAX + 1)))
        return VG_ENOMEM;
    while (!rc) {
        struct vg_provider *p = NULL;
        rc = next_record(&rd);
        if (rc == VG_ENOENT) {
            rc = header ? VG_OK : errcb(ctx, rd.first, "no header");
            break;
        }
        if (!rc && rd.nf == 1 && !*trim(rd.buf))
            continue; /* a blank line */
        if (!rc && !header) {
            if ((rc = read_header(&rd, map))) {
                rc = errcb(ctx, rd.first, rd.msg);
                break; /* nothing can be read without the columns */
            }
            header = (int)rd.nf;
            continue;
        }
        if (!rc && rd.nf != (size_t)header)
            rc = fail(&rd, "%zu fields where the header has %d", rd.nf,
                      header);
        if (!rc && !(p = vg_calloc(1, sizeof(*p))))
            rc = VG_ENOMEM;
        if (!rc)
            rc = to_provider(&rd, map, p);
        if (rc == VG_EFORMAT) {
            vg_provider_free(p);
            rc = errcb(ctx, rd.first, rd.msg);
            continue;
        }
        if (rc) {
            vg_provider_free(p);
            break;
        }
        rc = cb(ctx, rd.first, p); /* p is cb's */
    }
    vg_free(rd.buf);
    return rc;
}

/* ---- writing ---- */

static int put_field(struct vg_buf *b, const char *s, int last)
{
    size_t n = strlen(s);
    int quote = n && (strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[0] == '\t' ||
                      s[n - 1] == ' ' || s[n - 1] == '\t');
    int rc = VG_OK;

    if (quote) {
        rc = vg_buf_puts(b, "\"");
        for (const char *c = s; !rc && *c; c++)
            rc = *c == '"' ? vg_buf_puts(b, "\"\"") : vg_buf_append(b, c, 1);
        if (!rc)
            rc = vg_buf_puts(b, "\"");
    } else {
        rc = vg_buf_puts(b, s);
    }
    return rc ? rc : vg_buf_puts(b, last ? "\n" : ",");
}

static int put_list(struct vg_buf *b, char *const *v, size_t n,
                    const char *sep)
{
    struct vg_buf t;
    int rc = VG_OK;

    vg_buf_init(&t, 0);
    for (size_t i = 0; !rc && i < n; i++)
        if (!(rc = i ? vg_buf_puts(&t, sep) : VG_OK))
            rc = vg_buf_puts(&t, v[i]);
    if (!rc)
        rc = put_field(b, t.data ? t.data : "", 0);
    vg_buf_fini(&t);
    return rc;
}

int vg_provider_csv_header(struct vg_buf *out)
{
    return vg_buf_puts(out, VG_PROVIDER_CSV_HEADER "\n");
}

int vg_provider_csv_row(struct vg_buf *out, const struct vg_provider *p)
{
    int rc;

    if ((rc = put_field(out, p->name ? p->name : "", 0)) ||
        (rc = put_list(out, p->emails, p->nemails, ";")) ||
        (rc = put_field(out, p->language, 0)) ||
        (rc = put_list(out, p->domains, p->ndomains, " ")) ||
        (rc = put_list(out, p->networks, p->nnetworks, " ")) ||
        (rc = put_field(out, p->one_notice_per_url ? "1" : "0", 0)))
        return rc;
    return put_field(out, p->notes ? p->notes : "", 1);
}

/* ---- repeats within an import ---- */

struct item {
    const char *key; /* a name, domain or network */
    const char *what;
    size_t at; /* the provider's index */
};

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c = strcmp(x->what, y->what);

    if (!c)
        c = strcmp(x->key, y->key);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

int vg_provider_find_twice(const struct vg_provider *v, size_t n,
                           int (*cb)(void *ctx, size_t later, size_t first,
                                     const char *what, const char *key),
                           void *ctx)
{
    struct item *t;
    size_t k = 0, total = 0, first = 0;
    int rc = VG_OK;

    for (size_t i = 0; i < n; i++)
        total += 1 + v[i].ndomains + v[i].nnetworks;
    if (!(t = vg_calloc(total + 1, sizeof(*t))))
        return VG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        t[k++] = (struct item){v[i].name, "provider", i};
        for (size_t d = 0; d < v[i].ndomains; d++)
            t[k++] = (struct item){v[i].domains[d], "domain", i};
        for (size_t w = 0; w < v[i].nnetworks; w++)
            t[k++] = (struct item){v[i].networks[w], "network", i};
    }
    qsort(t, k, sizeof(*t), cmp_item);
    /* each repeat names the one just before it, as a reader checks */
    for (size_t i = 1; !rc && i < k; i++) {
        if (strcmp(t[i].what, t[i - 1].what) || strcmp(t[i].key, t[i - 1].key))
            continue;
        first = t[i - 1].at;
        rc = cb(ctx, t[i].at, first, t[i].what, t[i].key);
    }
    vg_free(t);
    return rc;
}
