/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash list files: reading the formats hotlines exchange and writing them
 * back (module `lists`).  Reading is streaming and validating: every good
 * line becomes a record, every bad line an error with its line number; the
 * caller decides what to do with them (vigil lists import applies a file
 * only when it has no errors).  Duplicates are the caller's concern.
 *
 * Formats (VG_LISTFILE_AUTO detects them from the first non-blank line):
 *  - lines:   one hex value per line; the algorithm from the length (32 MD5,
 *             40 SHA-1; 64 needs opts.algo = PDQ or SHA-256).  Blank lines
 *             and lines starting with '#' are skipped.
 *  - csv:     RFC 4180 CSV with a header naming the columns (any order, any
 *             case): hash (or value), algorithm (or algo), category, id (or
 *             external_id), metadata, quality.  Only hash is required; other
 *             columns are ignored.
 *  - hashcsv: `vigil hash` output: hash,quality,path with no header; the
 *             path becomes the metadata.
 *  - jsonl:   one JSON object per line, either `vigil hash --json` output
 *             (keys pdq, quality, md5, sha1, sha256, path: one record per
 *             hash present, path as metadata) or the generic form with the
 *             csv column names as keys (what export writes).
 *
 * Every line is capped (opts.max_line); text must be UTF-8.
 * Thread safety: a reader belongs to one thread.
 */
#ifndef VIGIL_LISTFILE_H
#define VIGIL_LISTFILE_H

#include <stdint.h>
#include <stdio.h>

#include "vigil/algo.h"
#include "vigil/error.h"

enum vg_listfile_format {
    VG_LISTFILE_AUTO = 0,
    VG_LISTFILE_LINES,
    VG_LISTFILE_CSV,
    VG_LISTFILE_HASHCSV,
    VG_LISTFILE_JSONL
};

/* "auto", "lines", "csv", "hashcsv", "jsonl"; parse returns VG_EINVAL. */
const char *vg_listfile_format_name(enum vg_listfile_format f);
int vg_listfile_format_from_name(const char *name,
                                 enum vg_listfile_format *out);

struct vg_listfile_opts {
    enum vg_listfile_format format; /* AUTO = detect */
    int algo;        /* -1, or a vg_algo: resolves 64-hex lines (PDQ or
                           SHA-256); with jsonl/csv, keep only this algo */
    int min_quality; /* a PDQ with a known quality below it is an error */
    size_t max_line; /* bytes per line; 0 = 65536 */
};

struct vg_listfile_record {
    enum vg_algo algo;
    uint8_t value[VG_ALGO_MAXSIZE]; /* vg_algo_size(algo) bytes, canonical */
    int quality;                    /* PDQ quality from the file, or -1 */
    const char *category;           /* NULL when absent or empty */
    const char *external_id;        /* NULL when absent or empty */
    const char *metadata;           /* NULL when absent or empty */
    unsigned long line;             /* 1-based */
};

/*
 * Called for each good record; the strings are valid only during the call.
 * Return VG_OK to go on, anything else stops the read with that code.
 */
typedef int (*vg_listfile_record_cb)(void *ctx,
                                     const struct vg_listfile_record *r);
/*
 * Called for each bad line with its number and a message such as
 * "expected 64 hex digits, found 63".  Return VG_OK to go on.
 */
typedef int (*vg_listfile_error_cb)(void *ctx, unsigned long line,
                                    const char *msg);

/*
 * Read f to the end.  *detected (may be NULL) gets the format used.
 * Returns VG_OK when the file was read (bad lines went to on_error), the
 * code a callback returned, VG_EFORMAT when no format could be detected or
 * the CSV header has no hash column (err says why), VG_EIO, VG_ENOMEM.
 */
int vg_listfile_read(FILE *f, const struct vg_listfile_opts *opts,
                     vg_listfile_record_cb on_record,
                     vg_listfile_error_cb on_error, void *ctx,
                     enum vg_listfile_format *detected, struct vg_err *err);

/*
 * Writing: vg_listfile_write_header once (csv: the header line; others:
 * nothing), then vg_listfile_write_record per record.  lines writes the hex
 * only; hashcsv writes hash,quality,metadata (quality 0 when unknown) and
 * only PDQ records (others are skipped); csv and jsonl write every field and
 * read back to the same records.  Returns VG_OK, VG_EINVAL (auto format),
 * VG_EIO.
 */
int vg_listfile_write_header(FILE *f, enum vg_listfile_format fmt);
int vg_listfile_write_record(FILE *f, enum vg_listfile_format fmt,
                             const struct vg_listfile_record *r);

#endif
