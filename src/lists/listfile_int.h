/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to src/lists: the state of one vg_listfile_read call, shared by
 * the line reader and the lines/hashcsv parsers (listfile.c), the CSV reader
 * (listfile_csv.c) and the JSON Lines reader (listfile_json.c).
 * Parsers never call the caller's callbacks themselves while a line is half
 * parsed: they fill rd->rec[] (or rd->msg) and the line is then emitted
 * whole (every record) or reported whole (one error), so a line is either
 * good or bad.  Strings in rd->rec[] point into rd->line, the CSV field
 * buffer or rd->json and live until the line has been emitted.
 */
#ifndef VIGIL_LISTFILE_INT_H
#define VIGIL_LISTFILE_INT_H

#include <jansson.h>
#include <stddef.h>

#include "vigil/hashalgo.h"
#include "vigil/listfile.h"

/* Parser results besides VG_OK and negative VG_E* codes. */
#define VG__LF_BAD 1 /* the line is bad; rd->msg says why */

/* Nesting cap for a JSON line (objects and arrays). */
#define VG__LF_JSON_DEPTH 32

struct vg__listfile_csv {
    int have_header;
    size_t ncols;
    int col_hash, col_algo, col_cat, col_id, col_meta, col_quality;
    int state, pending, prev_cr;
    unsigned long start_line;
    size_t reclen; /* bytes of the record so far, capped */
    char *fbuf;    /* field contents, each NUL-terminated */
    size_t flen, fcap;
    size_t *fstart, *fcol; /* per field: offset in fbuf, 1-based column */
    size_t nf, nfalloc;
};

struct vg__listfile_reader {
    FILE *f;
    struct vg_listfile_opts opts;
    vg_listfile_record_cb on_record;
    vg_listfile_error_cb on_error;
    void *ctx;
    struct vg_err *err;
    enum vg_listfile_format format;

    char *in; /* fread chunk */
    size_t in_pos, in_len;
    int eof;

    char *line;       /* current physical line, NUL-terminated */
    const char *text; /* line without a leading BOM */
    size_t text_len;
    unsigned long lineno;
    int had_cr; /* the line ended in CR LF (or CR at end of file) */

    struct vg_listfile_record rec[VG_ALGO_MAX];
    int nrec;
    json_t *json;   /* the parsed JSON line, until it is emitted */
    char idbuf[24]; /* a numeric JSON "id" as text */
    char msg[320];
    struct vg__listfile_csv csv;
};

/* Format rd->msg and return VG__LF_BAD. */
int vg__listfile_bad(struct vg__listfile_reader *rd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * Validate hex[0..n) as one value and append a record to rd->rec.
 * algo_given is the algorithm the file names (-1: from opts.algo or the
 * length).  col is the 1-based column of hex[0] in the line, or 0 with key
 * naming the JSON key it came from.  Records of another algorithm than a
 * given opts.algo are dropped when the file names the algorithm.  Empty
 * strings become NULL.  Returns VG_OK or VG__LF_BAD.
 */
int vg__listfile_add(struct vg__listfile_reader *rd, const char *hex, size_t n,
                     size_t col, const char *key, int algo_given, int quality,
                     const char *category, const char *id,
                     const char *metadata);

/* "abc" style excerpt of s[0..n) for messages: at most 40 bytes, UTF-8
 * safe, control characters as '?'. */
void vg__listfile_excerpt(char out[48], const char *s, size_t n);

/* Parse a decimal quality 0..100 (no sign, 1..3 digits); -1 if invalid. */
int vg__listfile_quality(const char *s, size_t n);

/* Emit rd->rec[0..nrec) / report rd->msg for line; callback codes pass
 * through. */
int vg__listfile_emit(struct vg__listfile_reader *rd);
int vg__listfile_report(struct vg__listfile_reader *rd, unsigned long line);

/* CSV (listfile_csv.c).  feed takes each physical line once the header
 * search has started (blank and # lines only skipped while no record is
 * pending); abort drops a pending record after a bad physical line; finish
 * reports a record left open at the end of the file. */
int vg__listfile_csv_init(struct vg__listfile_reader *rd);
void vg__listfile_csv_fini(struct vg__listfile_reader *rd);
int vg__listfile_csv_feed(struct vg__listfile_reader *rd, const char *s,
                          size_t n);
void vg__listfile_csv_abort(struct vg__listfile_reader *rd);
int vg__listfile_csv_finish(struct vg__listfile_reader *rd);
/* Does this line look like a CSV header with a hash or value column? */
int vg__listfile_csv_probe(const char *s, size_t n);

/* JSON Lines (listfile_json.c): parse one line into rd->rec / rd->json.
 * Returns VG_OK, VG__LF_BAD or VG_ENOMEM. */
int vg__listfile_json_line(struct vg__listfile_reader *rd, const char *s,
                           size_t n);

/* Trim spaces and tabs; *off (may be NULL) gets the number dropped at the
 * front. */
void vg__listfile_trim(const char **s, size_t *n, size_t *off);

#endif
