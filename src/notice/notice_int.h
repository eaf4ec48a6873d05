/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the notice module: notice templates (notice_text.c).
 */
#ifndef VIGIL_NOTICE_INT_H
#define VIGIL_NOTICE_INT_H

#include <stddef.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/notice.h"
#include "vigil/store_notices.h"

enum {
    VG__NT_SUBJECT = 0,
    VG__NT_BODY,
    VG__NT_URL,
    VG__NT_REMINDER,
    VG__NT_CATEGORIES,
    VG__NT_NSECTIONS
};

struct vg__notice_text {
    char *mem;                       /* the file, cut into sections */
    char *section[VG__NT_NSECTIONS]; /* into mem, NUL-terminated */
};

/* Load and check a template file (VG_ENOENT, VG_EFORMAT naming the file
 * and section, VG_ETOOBIG, VG_ENOMEM). */
int vg__notice_text_load(const char *path, struct vg__notice_text *t,
                         struct vg_err *err);
void vg__notice_text_free(struct vg__notice_text *t);

/* The words for a category code (into buf), or the code itself. */
const char *vg__notice_category(const struct vg__notice_text *t,
                                const char *code, char *buf, size_t n);

/* Append text to b with {names[i]} replaced by values[i] (NULL: ""). */
int vg__notice_fill(struct vg_buf *b, const char *text,
                    const char *const *names, const char *const *values,
                    size_t n);

/* ---- re-checks (recheck.c) ---- */

/* The re-check interval after the n-th check (n from 0: the first). */
int64_t vg__notice_recheck_after(const struct vg_notice_opts *o, int64_t n);

/* A monotonic clock in milliseconds (the re-checks' deadlines). */
int64_t vg__notice_ms(void);

/*
 * Re-check every case of due, politely, each recorded as soon as it is
 * known, until all are done, or deadline_ms (vg__notice_ms; 0: none) has
 * passed or o->go_on says stop: *done how many were recorded (those asked
 * already are waited for).  VG_OK, or the first fetcher or store error.
 */
int vg__notice_recheck(struct vg_store *st, const struct vg_notice_opts *o,
                       const struct vg_rechecks_due *due, int64_t deadline_ms,
                       struct vg_notice_stats *stats, size_t *done,
                       struct vg_err *err);

#endif
