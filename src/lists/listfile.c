/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash list files (include/vigil/listfile.h): the streaming line reader,
 * format detection, the lines and hashcsv parsers, value validation shared
 * by every format, and the writers.  CSV is in listfile_csv.c, JSON Lines
 * in listfile_json.c.
 * Input is read in 64 KiB fread chunks and split at LF; a line (without its
 * LF and an optional CR before it) holds at most opts.max_line bytes, a
 * longer one is reported and skipped without being buffered, so memory is
 * O(max_line) whatever the file.  Every line must be UTF-8 (RFC 3629: no
 * overlongs, surrogates or code points past U+10FFFF) without NUL bytes; a
 * UTF-8 byte order mark is skipped at the start of line 1 and is text
 * anywhere else (so a hash line starting with one is a non-hex error).
 * Columns in messages count bytes, 1-based.
 * Blank lines are skipped in every format, and lines starting with '#'
 * everywhere except CSV rows after the header.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lists/listfile_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/store_lists.h"

#define CHUNK ((size_t)64 << 10)
#define DEFAULT_MAX_LINE ((size_t)65536)
#define MAX_MAX_LINE ((size_t)16 << 20)

static const char *const format_names[] = {
    [VG_LISTFILE_AUTO] = "auto",   [VG_LISTFILE_LINES] = "lines",
    [VG_LISTFILE_CSV] = "csv",     [VG_LISTFILE_HASHCSV] = "hashcsv",
    [VG_LISTFILE_JSONL] = "jsonl",
};

const char *vg_listfile_format_name(enum vg_listfile_format f)
{
    return (unsigned)f <= VG_LISTFILE_JSONL ? format_names[f] : NULL;
}

int vg_listfile_format_from_name(const char *name,
                                 enum vg_listfile_format *out)
{
    if (!name)
        return VG_EINVAL;
    for (unsigned i = 0; i <= VG_LISTFILE_JSONL; i++)
        if (!strcmp(name, format_names[i])) {
            *out = (enum vg_listfile_format)i;
            return VG_OK;
        }
    return VG_EINVAL;
}

/* ---- messages ---- */

int vg__listfile_bad(struct vg__listfile_reader *rd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rd->msg, sizeof(rd->msg), fmt, ap);
    va_end(ap);
    return VG__LF_BAD;
}

void vg__listfile_excerpt(char out[48], const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0, i = 0;

    while (i < n) {
        size_t k = vg_utf8_len(u + i, n - i);
        if (k == 0)
            k = 1;
        if (o + k > 40) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (k == 1 && (u[i] < 0x20 || u[i] >= 0x7f))
            out[o++] = '?';
        else
            memcpy(out + o, s + i, k), o += k;
        i += k;
    }
    out[o] = '\0';
}

/* How a bad character looks in a message: 'g', 'é' (U+00E9) or U+0009. */
static void show_char(char out[24], const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t k = vg_utf8_len(u, n);

    if (k > 1) {
        uint32_t cp = u[0] & (0x7f >> k);
        for (size_t i = 1; i < k; i++)
            cp = cp << 6 | (u[i] & 0x3f);
        snprintf(out, 24, "'%.*s' (U+%04X)", (int)k, s, (unsigned)cp);
    } else if (u[0] > 0x20 && u[0] < 0x7f) {
        snprintf(out, 24, "'%c'", u[0]);
    } else {
        snprintf(out, 24, "U+%04X", u[0]);
    }
}

int vg__listfile_report(struct vg__listfile_reader *rd, unsigned long line)
{
    return rd->on_error ? rd->on_error(rd->ctx, line, rd->msg) : VG_OK;
}

int vg__listfile_emit(struct vg__listfile_reader *rd)
{
    int rc = VG_OK;

    for (int i = 0; !rc && i < rd->nrec; i++)
        if (rd->on_record)
            rc = rd->on_record(rd->ctx, &rd->rec[i]);
    rd->nrec = 0;
    return rc;
}

/* ---- values ---- */

/* Hex digit value + 1, 0 for other bytes: a table, because the digits of
 * real hashes are random and branches on them mispredict half the time. */
static const uint8_t hexv[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int is_hex(unsigned char c)
{
    return hexv[c] != 0;
}

int vg__listfile_quality(const char *s, size_t n)
{
    int q = 0;

    if (n < 1 || n > 3)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        q = q * 10 + (s[i] - '0');
    }
    return q <= 100 ? q : -1;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/*
 * The algorithm n hex digits name when no algorithm is given (the
 * registry's guess by length), or -1 with the reason in rd->msg: no
 * algorithm has that length, or several do (64: PDQ or SHA-256).
 */
static int guess(struct vg__listfile_reader *rd, size_t n)
{
    enum vg_algo c[VG_ALGO_MAX];
    size_t k = vg_hashalgo_guess(n, c, VG_ALGO_MAX), lens[VG_ALGO_MAX];
    size_t nl = 0;
    char want[128];
    int at = 0;

    if (k == 1)
        return (int)c[0];
    if (k > 1) {
        vg__listfile_bad(rd,
                         "%zu hex digits could be %s or %s: pass --algo "
                         "%s or --algo %s",
                         n, vg_hashalgo_get(c[0])->title,
                         vg_hashalgo_get(c[1])->title, vg_algo_name(c[0]),
                         vg_algo_name(c[1]));
        return -1;
    }
    /* the lengths there are, ascending and once each */
    for (unsigned a = 0; a < vg_algo_count(); a++) {
        size_t len = 2 * vg_algo_size((enum vg_algo)a), i = nl;
        while (i > 0 && lens[i - 1] > len)
            i--;
        if (i > 0 && lens[i - 1] == len)
            continue;
        memmove(lens + i + 1, lens + i, (nl - i) * sizeof(*lens));
        lens[i] = len;
        nl++;
    }
    want[0] = 0;
    for (size_t i = 0; i < nl && at >= 0 && (size_t)at < sizeof(want); i++)
        at += snprintf(want + at, sizeof(want) - (size_t)at, "%s%zu",
                       !i            ? ""
                       : i + 1 == nl ? " or "
                                     : ", ",
                       lens[i]);
    vg__listfile_bad(rd, "expected %s hex digits, found %zu", want, n);
    return -1;
}

int vg__listfile_add(struct vg__listfile_reader *rd, const char *hex, size_t n,
                     size_t col, const char *key, int algo_given, int quality,
                     const char *category, const char *id,
                     const char *metadata)
{
    const unsigned char *u = (const unsigned char *)hex;
    struct vg_listfile_record *r;
    unsigned all = 1;
    char ch[24];
    int a;

    if (n == 0)
        return key && !col ? vg__listfile_bad(rd, "\"%s\" is empty", key)
                           : vg__listfile_bad(rd, "the hash is empty");
    for (size_t i = 0; i < n; i++)
        all &= hexv[u[i]] != 0;
    for (size_t i = 0; !all && i < n; i++)
        if (!is_hex(u[i])) {
            show_char(ch, hex + i, n - i);
            if (col)
                return vg__listfile_bad(rd,
                                        "non-hex character %s at column %zu",
                                        ch, col + i);
            return vg__listfile_bad(rd, "non-hex character %s in \"%s\"", ch,
                                    key);
        }
    a = algo_given >= 0 ? algo_given : rd->opts.algo;
    if (a >= 0) {
        size_t need = 2 * vg_algo_size((enum vg_algo)a);
        if (n != need)
            return vg__listfile_bad(rd,
                                    "algorithm %s needs %zu hex digits, "
                                    "found %zu",
                                    vg_algo_name((enum vg_algo)a), need, n);
    } else if ((a = guess(rd, n)) < 0) {
        return VG__LF_BAD;
    }
    if (algo_given >= 0 && rd->opts.algo >= 0 && algo_given != rd->opts.algo)
        return VG_OK; /* filtered out */
    if (a == VG_ALGO_PDQ && quality >= 0 && quality < rd->opts.min_quality)
        return vg__listfile_bad(rd, "PDQ quality %d is below the minimum %d",
                                quality, rd->opts.min_quality);
    r = &rd->rec[rd->nrec++];
    r->algo = (enum vg_algo)a;
    for (size_t i = 0; i < n / 2; i++)
        r->value[i] = (uint8_t)((hexv[u[2 * i]] - 1) << 4 |
                                (hexv[u[2 * i + 1]] - 1));
    r->quality = quality;
    r->category = nonempty(category);
    r->external_id = nonempty(id);
    r->metadata = nonempty(metadata);
    r->line = rd->lineno;
    return VG_OK;
}

/* ---- the line reader ---- */

static int fill(struct vg__listfile_reader *rd)
{
    rd->in_pos = rd->in_len = 0;
    if (rd->eof)
        return VG_OK;
    rd->in_len = fread(rd->in, 1, CHUNK, rd->f);
    if (rd->in_len < CHUNK) {
        if (ferror(rd->f))
            return VG_EIO;
        if (feof(rd->f))
            rd->eof = 1;
    }
    return VG_OK;
}

/*
 * Index of the first byte of s[0..n) that is NUL or not valid UTF-8, or n.
 * Eight ASCII bytes at a time: most lists are plain hex.
 */
static size_t utf8_check(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;

    while (i < n) {
        uint64_t w;
        size_t k;
        if (n - i >= 8) {
            memcpy(&w, s + i, 8);
            if (!(w & highs) && !((w - ones) & ~w & highs)) {
                i += 8;
                continue;
            }
        }
        if (s[i] == 0)
            return i;
        if (!(k = vg_utf8_len(s + i, n - i)))
            return i;
        i += k;
    }
    return n;
}

enum { LN_OK, LN_EOF, LN_BAD };

/* The next physical line into rd->text; *kind says OK, EOF or BAD (then
 * rd->msg holds the error for rd->lineno).  Returns VG_OK or VG_EIO. */
static int next_line(struct vg__listfile_reader *rd, int *kind)
{
    size_t len = 0, cap = rd->opts.max_line + 1, bad;
    int over = 0, any = 0, rc;

    for (;;) {
        const char *s, *nl;
        size_t avail, take;
        if (rd->in_pos == rd->in_len) {
            if ((rc = fill(rd)))
                return rc;
            if (rd->in_len == 0)
                break;
        }
        s = rd->in + rd->in_pos;
        avail = rd->in_len - rd->in_pos;
        nl = memchr(s, '\n', avail);
        take = nl ? (size_t)(nl - s) : avail;
        any = 1;
        if (!over && take > cap - len)
            over = 1;
        else if (!over)
            memcpy(rd->line + len, s, take), len += take;
        rd->in_pos += take + (nl != NULL);
        if (nl)
            break;
    }
    if (!any) {
        *kind = LN_EOF;
        return VG_OK;
    }
    rd->lineno++;
    rd->had_cr = 0;
    if (!over && len && rd->line[len - 1] == '\r')
        len--, rd->had_cr = 1;
    rd->line[len] = '\0';
    rd->text = rd->line;
    rd->text_len = len;
    *kind = LN_BAD;
    if (over || len > rd->opts.max_line) {
        vg__listfile_bad(rd, "line longer than %zu bytes", rd->opts.max_line);
        return VG_OK;
    }
    /* Elsewhere U+FEFF is text: it may be inside a quoted CSV field. */
    if (rd->lineno == 1 && len >= 3 && !memcmp(rd->line, "\xef\xbb\xbf", 3)) {
        rd->text += 3;
        rd->text_len -= 3;
    }
    bad = utf8_check((const unsigned char *)rd->text, rd->text_len);
    if (bad < rd->text_len) {
        if (rd->text[bad] == '\0')
            vg__listfile_bad(rd, "NUL byte at column %zu", bad + 1);
        else
            vg__listfile_bad(rd, "not valid UTF-8 at column %zu", bad + 1);
        return VG_OK;
    }
    *kind = LN_OK;
    return VG_OK;
}

/* ---- lines and hashcsv ---- */

/* Trim spaces and tabs; *off (may be NULL) gets the number dropped at the
 * front. */
void vg__listfile_trim(const char **s, size_t *n, size_t *off)
{
    size_t a = 0, b = *n;

    while (a < b && ((*s)[a] == ' ' || (*s)[a] == '\t'))
        a++;
    while (b > a && ((*s)[b - 1] == ' ' || (*s)[b - 1] == '\t'))
        b--;
    *s += a;
    *n = b - a;
    if (off)
        *off = a;
}

static int parse_lines(struct vg__listfile_reader *rd, const char *s, size_t n)
{
    size_t off;

    vg__listfile_trim(&s, &n, &off);
    return vg__listfile_add(rd, s, n, off + 1, NULL, -1, -1, NULL, NULL, NULL);
}

static size_t hex_run(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && is_hex((unsigned char)s[i]))
        i++;
    return i;
}

/* hash,quality,path: everything after the second comma is the path. */
static int parse_hashcsv(struct vg__listfile_reader *rd, char *s, size_t n)
{
    char *c1 = memchr(s, ',', n), *c2, ex[48];
    size_t qn;
    int q;

    if (!c1 || !(c2 = memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - s))))
        return vg__listfile_bad(rd, "expected hash,quality,path");
    qn = (size_t)(c2 - c1 - 1);
    if (qn == 64 && hex_run(c1 + 1, qn) == 64)
        return vg__listfile_bad(rd, "several hashes on one line (vigil hash "
                                    "--dihedral output?): expected "
                                    "hash,quality,path");
    if ((q = vg__listfile_quality(c1 + 1, qn)) < 0) {
        vg__listfile_excerpt(ex, c1 + 1, qn);
        return vg__listfile_bad(rd,
                                "quality \"%s\" is not a number from 0 to 100",
                                ex);
    }
    *c1 = '\0';
    return vg__listfile_add(rd, s, (size_t)(c1 - s), 1, NULL, VG_ALGO_PDQ, q,
                            NULL, NULL, c2 + 1);
}

/* ---- detection ---- */

static int detect(struct vg__listfile_reader *rd, const char *s, size_t n,
                  enum vg_listfile_format *out)
{
    const char *t = s;
    size_t tn = n, h;

    vg__listfile_trim(&t, &tn, NULL);
    if (hex_run(t, tn) == tn) {
        *out = VG_LISTFILE_LINES;
        return VG_OK;
    }
    h = hex_run(s, n);
    if (h == 64 && n > 65 && s[64] == ',') {
        size_t d = hex_run(s + 65, n - 65);
        if ((d >= 1 && d <= 3 && 65 + d < n && s[65 + d] == ',') ||
            (d == 64 && 129 < n && s[129] == ',')) {
            *out = VG_LISTFILE_HASHCSV;
            return VG_OK;
        }
    }
    if (tn && t[0] == '{') {
        *out = VG_LISTFILE_JSONL;
        return VG_OK;
    }
    if (vg__listfile_csv_probe(s, n)) {
        *out = VG_LISTFILE_CSV;
        return VG_OK;
    }
    /* A lone token is taken as a mistyped hash so that its line gets a
     * precise error rather than the whole file a vague one. */
    if (!memchr(t, ',', tn) && !memchr(t, '"', tn) && !memchr(t, ' ', tn) &&
        !memchr(t, '\t', tn)) {
        *out = VG_LISTFILE_LINES;
        return VG_OK;
    }
    return vg_err_set(rd->err, VG_EFORMAT,
                      "line %lu: cannot tell the list format: expected hex "
                      "hashes, vigil hash output (hash,quality,path), JSON "
                      "objects or a CSV header with a hash or value column",
                      rd->lineno);
}

/* ---- the read loop ---- */

static int is_skipped(const struct vg__listfile_reader *rd, const char *s,
                      size_t n)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    if (i == n)
        return 1;
    return s[i] == '#' &&
           !(rd->format == VG_LISTFILE_CSV && rd->csv.have_header);
}

static int one_line(struct vg__listfile_reader *rd, char *s, size_t n)
{
    int rc;

    rd->nrec = 0;
    if (rd->format == VG_LISTFILE_LINES)
        rc = parse_lines(rd, s, n);
    else if (rd->format == VG_LISTFILE_HASHCSV)
        rc = parse_hashcsv(rd, s, n);
    else
        rc = vg__listfile_json_line(rd, s, n);
    if (rc == VG__LF_BAD)
        rc = vg__listfile_report(rd, rd->lineno);
    else if (rc == VG_OK)
        rc = vg__listfile_emit(rd);
    if (rd->json) {
        json_decref(rd->json);
        rd->json = NULL;
    }
    rd->nrec = 0;
    return rc;
}

static int read_loop(struct vg__listfile_reader *rd,
                     enum vg_listfile_format *detected)
{
    int rc = VG_OK, kind;

    for (;;) {
        char *s;
        size_t n;
        if ((rc = next_line(rd, &kind)))
            return rc;
        if (kind == LN_EOF)
            break;
        if (kind == LN_BAD) {
            if (rd->format == VG_LISTFILE_CSV)
                vg__listfile_csv_abort(rd);
            if ((rc = vg__listfile_report(rd, rd->lineno)))
                return rc;
            continue;
        }
        /* text points into rd->line, which is ours to modify */
        s = rd->line + (rd->text - rd->line);
        n = rd->text_len;
        if (rd->format == VG_LISTFILE_CSV && rd->csv.pending) {
            if ((rc = vg__listfile_csv_feed(rd, s, n)))
                return rc;
            continue;
        }
        if (is_skipped(rd, s, n))
            continue;
        if (rd->format == VG_LISTFILE_AUTO) {
            if ((rc = detect(rd, s, n, &rd->format)))
                return rc;
            if (detected)
                *detected = rd->format;
        }
        if (rd->format == VG_LISTFILE_CSV)
            rc = vg__listfile_csv_feed(rd, s, n);
        else
            rc = one_line(rd, s, n);
        if (rc)
            return rc;
    }
    if (rd->format == VG_LISTFILE_CSV)
        rc = vg__listfile_csv_finish(rd);
    return rc;
}

int vg_listfile_read(FILE *f, const struct vg_listfile_opts *opts,
                     vg_listfile_record_cb on_record,
                     vg_listfile_error_cb on_error, void *ctx,
                     enum vg_listfile_format *detected, struct vg_err *err)
{
    static const struct vg_listfile_opts defaults = {VG_LISTFILE_AUTO, -1, 0,
                                                     0};
    struct vg__listfile_reader *rd = NULL;
    int rc;

    if (detected)
        *detected = VG_LISTFILE_AUTO;
    if (!opts)
        opts = &defaults;
    if (!f || (unsigned)opts->format > VG_LISTFILE_JSONL || opts->algo < -1 ||
        opts->algo >= (int)vg_algo_count() || opts->max_line > MAX_MAX_LINE)
        return vg_err_set(err, VG_EINVAL, "bad list file options");
    if (!(rd = vg_calloc(1, sizeof(*rd))))
        return vg_err_set(err, VG_ENOMEM, "out of memory");
    rd->f = f;
    rd->opts = *opts;
    if (!rd->opts.max_line)
        rd->opts.max_line = DEFAULT_MAX_LINE;
    rd->on_record = on_record;
    rd->on_error = on_error;
    rd->ctx = ctx;
    rd->err = err;
    rd->format = opts->format;
    if (detected)
        *detected = rd->format;
    rc = VG_ENOMEM;
    /* + 2: a CR that may precede the LF, and the NUL */
    if (!(rd->in = vg_malloc(CHUNK)) ||
        !(rd->line = vg_malloc(rd->opts.max_line + 2)) ||
        vg__listfile_csv_init(rd))
        goto fail;
    rc = read_loop(rd, detected);
    if (rc == VG_EIO)
        vg_err_set(err, rc, "read error after line %lu", rd->lineno);
fail:
    if (rc == VG_ENOMEM)
        vg_err_set(err, rc, "out of memory");
    if (rd->json)
        json_decref(rd->json);
    vg__listfile_csv_fini(rd);
    vg_free(rd->line);
    vg_free(rd->in);
    vg_free(rd);
    return rc;
}

/* ---- writers ---- */

/* Valid UTF-8 without control characters that the format cannot carry. */
static int writable(const char *s, int allow_newlines)
{
    size_t n;

    if (!s)
        return 1;
    n = strlen(s);
    if (utf8_check((const unsigned char *)s, n) != n)
        return 0;
    return allow_newlines || !strpbrk(s, "\r\n");
}

static void put_csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    putc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            putc('"', f);
        putc(*s, f);
    }
    putc('"', f);
}

static void put_json_str(FILE *f, const char *key, const char *s)
{
    if (!s)
        return;
    fprintf(f, ",\"%s\":\"", key);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            putc('\\', f), putc(c, f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            putc(c, f);
    }
    putc('"', f);
}

int vg_listfile_write_header(FILE *f, enum vg_listfile_format fmt)
{
    if (!f || fmt == VG_LISTFILE_AUTO || (unsigned)fmt > VG_LISTFILE_JSONL)
        return VG_EINVAL;
    if (fmt == VG_LISTFILE_CSV)
        fputs("hash,algorithm,category,id,metadata,quality\n", f);
    return ferror(f) ? VG_EIO : VG_OK;
}

int vg_listfile_write_record(FILE *f, enum vg_listfile_format fmt,
                             const struct vg_listfile_record *r)
{
    char hex[2 * VG_ALGO_MAXSIZE + 1];
    const char *name;

    if (!f || !r || fmt == VG_LISTFILE_AUTO ||
        (unsigned)fmt > VG_LISTFILE_JSONL || !(name = vg_algo_name(r->algo)) ||
        r->quality < -1 || r->quality > 100)
        return VG_EINVAL;
    if (fmt == VG_LISTFILE_HASHCSV && r->algo != VG_ALGO_PDQ)
        return VG_OK;
    if (!writable(r->metadata, fmt != VG_LISTFILE_HASHCSV) ||
        !writable(r->category, 1) || !writable(r->external_id, 1))
        return VG_EINVAL;
    vg_hex_encode(r->value, vg_algo_size(r->algo), hex);
    switch (fmt) {
    case VG_LISTFILE_LINES:
        fprintf(f, "%s\n", hex);
        break;
    case VG_LISTFILE_HASHCSV:
        fprintf(f, "%s,%d,%s\n", hex, r->quality < 0 ? 0 : r->quality,
                r->metadata ? r->metadata : "");
        break;
    case VG_LISTFILE_CSV:
        fprintf(f, "%s,%s,", hex, name);
        put_csv_field(f, r->category);
        putc(',', f);
        put_csv_field(f, r->external_id);
        putc(',', f);
        put_csv_field(f, r->metadata);
        if (r->quality >= 0)
            fprintf(f, ",%d\n", r->quality);
        else
            fputs(",\n", f);
        break;
    default:
        fprintf(f, "{\"hash\":\"%s\",\"algorithm\":\"%s\"", hex, name);
        put_json_str(f, "category", r->category);
        put_json_str(f, "id", r->external_id);
        put_json_str(f, "metadata", r->metadata);
        if (r->quality >= 0)
            fprintf(f, ",\"quality\":%d", r->quality);
        fputs("}\n", f);
        break;
    }
    return ferror(f) ? VG_EIO : VG_OK;
}
