/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CSV list reader (RFC 4180) for vg_listfile_read: a header row naming
 * the columns, then one record per row.  Fields are separated by commas;
 * a field starting with '"' is quoted, "" inside it is one quote, and it may
 * span lines: the line break (LF, or CR LF as it was in the file) becomes
 * part of the field, so the writer's quoted newlines read back exactly.
 * A quote inside an unquoted field, or anything but a comma or the end of
 * the line after a closing quote, is an error.  A record, all its lines
 * together, is capped at opts.max_line bytes like a line.
 * Rows must have as many fields as the header.  The hash, algorithm and
 * quality cells are trimmed of spaces and tabs; category, id and metadata
 * are taken verbatim (empty means absent).  Syntax errors are reported on
 * the physical line where they occur, content errors on the record's first
 * line.
 */
#include <string.h>
#include <strings.h>

#include "lists/listfile_int.h"
#include "vigil/alloc.h"

enum { FSTART, UNQUOTED, QUOTED, QUOTE_IN_QUOTED };

int vg__listfile_csv_init(struct vg__listfile_reader *rd)
{
    struct vg__listfile_csv *c = &rd->csv;

    c->col_hash = c->col_algo = c->col_cat = c->col_id = c->col_meta =
        c->col_quality = -1;
    c->fcap = rd->opts.max_line + 4;
    if (!(c->fbuf = vg_malloc(c->fcap)))
        return VG_ENOMEM;
    return VG_OK;
}

void vg__listfile_csv_fini(struct vg__listfile_reader *rd)
{
    vg_free(rd->csv.fbuf);
    vg_free(rd->csv.fstart);
    vg_free(rd->csv.fcol);
    rd->csv.fbuf = NULL;
    rd->csv.fstart = rd->csv.fcol = NULL;
}

void vg__listfile_csv_abort(struct vg__listfile_reader *rd)
{
    rd->csv.pending = 0;
}

int vg__listfile_csv_probe(const char *s, size_t n)
{
    size_t i = 0;

    while (i <= n) {
        size_t j = i, off;
        const char *f = s + i;
        size_t fn;
        while (j < n && s[j] != ',')
            j++;
        fn = j - i;
        vg__listfile_trim(&f, &fn, &off);
        if (fn >= 2 && f[0] == '"' && f[fn - 1] == '"')
            f++, fn -= 2;
        if ((fn == 4 && !strncasecmp(f, "hash", 4)) ||
            (fn == 5 && !strncasecmp(f, "value", 5)))
            return 1;
        i = j + 1;
    }
    return 0;
}

static int add_field(struct vg__listfile_reader *rd, size_t col)
{
    struct vg__listfile_csv *c = &rd->csv;

    if (c->nf == c->nfalloc) {
        size_t n = c->nfalloc ? 2 * c->nfalloc : 16;
        size_t *a = vg_realloc(c->fstart, n * sizeof(*a)), *b;
        if (!a)
            return VG_ENOMEM;
        c->fstart = a;
        if (!(b = vg_realloc(c->fcol, n * sizeof(*b))))
            return VG_ENOMEM;
        c->fcol = b;
        c->nfalloc = n;
    }
    c->fstart[c->nf] = c->flen;
    c->fcol[c->nf] = col;
    c->nf++;
    return VG_OK;
}

/* The cell of column idx (-1: absent) trimmed or verbatim, NUL-terminated
 * in place. */
static const char *cell(struct vg__listfile_reader *rd, int idx, int trimmed,
                        size_t *len, size_t *col)
{
    struct vg__listfile_csv *c = &rd->csv;
    const char *s;
    size_t n, off = 0;

    *len = 0;
    *col = 1;
    if (idx < 0)
        return NULL;
    s = c->fbuf + c->fstart[idx];
    n = strlen(s);
    if (trimmed)
        vg__listfile_trim(&s, &n, &off);
    ((char *)s)[n] = '\0';
    *len = n;
    *col = c->fcol[idx] + off;
    return s;
}

static int header(struct vg__listfile_reader *rd)
{
    static const struct {
        const char *name;
        size_t slot;
    } names[] = {
        {"hash", 0},        {"value", 0},    {"algorithm", 1},
        {"algo", 1},        {"category", 2}, {"id", 3},
        {"external_id", 3}, {"metadata", 4}, {"quality", 5},
    };
    struct vg__listfile_csv *c = &rd->csv;
    int *slots[6] = {&c->col_hash, &c->col_algo, &c->col_cat,
                     &c->col_id,   &c->col_meta, &c->col_quality};
    char ex[48];

    for (size_t i = 0; i < c->nf; i++) {
        size_t n, col;
        const char *s = cell(rd, (int)i, 1, &n, &col);
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (strlen(names[k].name) != n || strncasecmp(s, names[k].name, n))
                continue;
            if (*slots[names[k].slot] >= 0) {
                vg__listfile_excerpt(ex, s, n);
                return vg_err_set(rd->err, VG_EFORMAT,
                                  "line %lu: the CSV header names column "
                                  "\"%s\" twice",
                                  c->start_line, ex);
            }
            *slots[names[k].slot] = (int)i;
        }
    }
    if (c->col_hash < 0)
        return vg_err_set(rd->err, VG_EFORMAT,
                          "line %lu: the CSV header has no hash or value "
                          "column",
                          c->start_line);
    c->ncols = c->nf;
    c->have_header = 1;
    return VG_OK;
}

static int row(struct vg__listfile_reader *rd)
{
    struct vg__listfile_csv *c = &rd->csv;
    const char *hash, *algo, *q, *cat, *id, *meta;
    size_t hn, hcol, an, acol, qn, qcol, n, col;
    int a = -1, quality = -1;
    enum vg_algo ga;
    char ex[48];

    if (c->nf != c->ncols)
        return vg__listfile_bad(rd,
                                "expected %zu fields as in the header, "
                                "found %zu",
                                c->ncols, c->nf);
    hash = cell(rd, c->col_hash, 1, &hn, &hcol);
    algo = cell(rd, c->col_algo, 1, &an, &acol);
    q = cell(rd, c->col_quality, 1, &qn, &qcol);
    cat = cell(rd, c->col_cat, 0, &n, &col);
    id = cell(rd, c->col_id, 0, &n, &col);
    meta = cell(rd, c->col_meta, 0, &n, &col);
    if (algo && an) {
        if (vg_algo_from_name(algo, an, &ga)) {
            vg__listfile_excerpt(ex, algo, an);
            return vg__listfile_bad(rd, "unknown algorithm \"%s\"", ex);
        }
        a = (int)ga;
    }
    if (q && qn && (quality = vg__listfile_quality(q, qn)) < 0) {
        vg__listfile_excerpt(ex, q, qn);
        return vg__listfile_bad(rd,
                                "quality \"%s\" is not a number from 0 to 100",
                                ex);
    }
    return vg__listfile_add(rd, hash, hn, hcol, NULL, a, quality, cat, id,
                            meta);
}

/* A whole record is in the field buffer. */
static int record(struct vg__listfile_reader *rd)
{
    struct vg__listfile_csv *c = &rd->csv;
    unsigned long line = rd->lineno;
    int rc;

    c->pending = 0;
    if (!c->have_header)
        return header(rd);
    rd->nrec = 0;
    /* records carry the line they start on */
    rd->lineno = c->start_line;
    rc = row(rd);
    rd->lineno = line;
    if (rc == VG__LF_BAD)
        rc = vg__listfile_report(rd, c->start_line);
    else if (rc == VG_OK)
        rc = vg__listfile_emit(rd);
    rd->nrec = 0;
    return rc;
}

static int syntax(struct vg__listfile_reader *rd, const char *what, size_t i)
{
    struct vg__listfile_csv *c = &rd->csv;

    c->pending = 0;
    vg__listfile_bad(rd, "%s at column %zu", what, i + 1);
    if (!c->have_header)
        return vg_err_set(rd->err, VG_EFORMAT, "line %lu: CSV header: %s",
                          rd->lineno, rd->msg);
    return vg__listfile_report(rd, rd->lineno);
}

static void put(struct vg__listfile_csv *c, char ch)
{
    c->fbuf[c->flen++] = ch;
}

/*
 * Run the RFC 4180 state machine over one physical line.  Returns VG_OK or
 * VG_ENOMEM; *what is set (and the scan stopped at *at) on a syntax error.
 * Invariant: flen <= reclen + 1 <= max_line + 1 < fcap, since quotes and
 * commas are not copied and each field's NUL stands for its comma.
 */
static int scan(struct vg__listfile_reader *rd, const char *s, size_t n,
                const char **what, size_t *at)
{
    struct vg__listfile_csv *c = &rd->csv;
    int rc;

    *what = NULL;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        *at = i;
        switch (c->state) {
        case FSTART:
            if (ch == '"') {
                c->fcol[c->nf - 1] = i + 2;
                c->state = QUOTED;
                break;
            }
            c->fcol[c->nf - 1] = i + 1;
            c->state = UNQUOTED;
            /* fall through */
        case UNQUOTED:
            if (ch == '"') {
                *what = "quote inside an unquoted field";
                return VG_OK;
            }
            if (ch != ',') {
                put(c, ch);
                break;
            }
            put(c, '\0');
            if ((rc = add_field(rd, i + 2)))
                return rc;
            c->state = FSTART;
            break;
        case QUOTED:
            if (ch == '"')
                c->state = QUOTE_IN_QUOTED;
            else
                put(c, ch);
            break;
        default: /* QUOTE_IN_QUOTED */
            if (ch == '"') {
                put(c, '"');
                c->state = QUOTED;
            } else if (ch == ',') {
                put(c, '\0');
                if ((rc = add_field(rd, i + 2)))
                    return rc;
                c->state = FSTART;
            } else {
                *what = "character after a closing quote";
                return VG_OK;
            }
            break;
        }
    }
    return VG_OK;
}

int vg__listfile_csv_feed(struct vg__listfile_reader *rd, const char *s,
                          size_t n)
{
    struct vg__listfile_csv *c = &rd->csv;
    const char *what;
    size_t at = 0;
    int rc;

    if (!c->pending) {
        c->start_line = rd->lineno;
        c->state = FSTART;
        c->flen = c->nf = c->reclen = 0;
        if ((rc = add_field(rd, 1)))
            return rc;
    } else {
        c->reclen += c->prev_cr ? 2 : 1;
        if (n > rd->opts.max_line || c->reclen + n > rd->opts.max_line) {
            c->pending = 0;
            vg__listfile_bad(rd,
                             "record longer than %zu bytes (unterminated "
                             "quoted field?)",
                             rd->opts.max_line);
            if (!c->have_header)
                return vg_err_set(rd->err, VG_EFORMAT,
                                  "line %lu: CSV header: %s", c->start_line,
                                  rd->msg);
            return vg__listfile_report(rd, c->start_line);
        }
        if (c->prev_cr)
            put(c, '\r');
        put(c, '\n');
    }
    c->reclen += n;
    if ((rc = scan(rd, s, n, &what, &at)))
        return rc;
    if (what)
        return syntax(rd, what, at);
    if (c->state == QUOTED) {
        c->pending = 1;
        c->prev_cr = rd->had_cr;
        return VG_OK;
    }
    put(c, '\0');
    return record(rd);
}

int vg__listfile_csv_finish(struct vg__listfile_reader *rd)
{
    struct vg__listfile_csv *c = &rd->csv;

    if (!c->pending)
        return VG_OK;
    c->pending = 0;
    vg__listfile_bad(rd, "unterminated quoted field");
    if (!c->have_header)
        return vg_err_set(rd->err, VG_EFORMAT, "line %lu: CSV header: %s",
                          c->start_line, rd->msg);
    return vg__listfile_report(rd, c->start_line);
}
