/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): retention and deletion.  A policy says, per
 * kind of data, how many days a row is kept after the moment that starts
 * its clock (a report's closing, a case's removal, a sighting...); a run
 * deletes what is past its time in batches, each batch its own write
 * transaction so intake waits for one batch at most, and writes one audit
 * record with the counts.  A legal hold set by an admin on a report or a
 * case keeps it, and what belongs to it, out of every run until released.
 * A reporter's request to have their contact details removed is
 * vg_store_report_erase.  Times are Unix seconds given by the caller (the
 * injectable clock of the tests, `vigil retention run --now`).  The audit
 * log is never deleted (docs/OPERATIONS.md, section 8, says why).  Thread
 * safe as the store is.
 */
#ifndef VIGIL_STORE_RETENTION_H
#define VIGIL_STORE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

/* The kinds of data a policy covers, in the order a run deletes them. */
enum vg_retention_kind {
    VG_RET_CONTACT,    /* reporters' sealed contact details, after the
                          report is closed */
    VG_RET_REPORTS,    /* closed reports: text, incidents, URLs named */
    VG_RET_CASES,      /* removed cases, their notices, re-checks and
                          the detections they were opened for */
    VG_RET_DETECTIONS, /* detections, after they were made */
    VG_RET_SIGHTINGS,  /* sightings with no detection left, after seen */
    VG_RET_THUMBNAILS, /* review thumbnails still waiting, after queued */
    VG_RET_SESSIONS,   /* console sessions, after they expired */
    VG_RET_KINDS
};

#define VG_RETENTION_DAYS_MAX 36500 /* a hundred years */
#define VG_RETENTION_BATCH 500

struct vg_retention_policy {
    int64_t days[VG_RET_KINDS]; /* kept this many days; -1: for ever */
    int64_t batch;              /* rows per transaction (1..100000) */
};

/* The defaults (docs/OPERATIONS.md, section 8, gives each one's reason). */
void vg_retention_policy_default(struct vg_retention_policy *p);
/* A kind's name as options and records spell it ("contact", "reports",
 * "cases", "detections", "sightings", "thumbnails", "sessions"); NULL for
 * a kind out of range.  Its clock's start, for people ("after the report
 * is closed"). */
const char *vg_retention_kind_name(int kind);
const char *vg_retention_kind_clock(int kind);

struct vg_retention_counts {
    int64_t done[VG_RET_KINDS]; /* deleted (a run), or due (dry run) */
    int64_t held[VG_RET_KINDS]; /* due, but kept under a legal hold */
    int stopped;                /* go_on said stop before the end */
};

/*
 * What is due at now under p, and what of it is held: nothing changes.
 */
int vg_store_retention_due(struct vg_store *st,
                           const struct vg_retention_policy *p, int64_t now,
                           struct vg_retention_counts *out,
                           struct vg_err *err);
/*
 * Delete what is due at now under p, kind by kind, p->batch rows per write
 * transaction; go_on(ctx) (NULL: always go on) is asked before each batch
 * and a 0 ends the run there (out->stopped).  Then one audit record
 * "retention.run" by actor (0: the operator or `vigil serve`) with the
 * counts deleted and held, in its own transaction.  A run stopped midway,
 * or killed, leaves whole batches: the next run deletes the rest.
 */
int vg_store_retention_run(struct vg_store *st,
                           const struct vg_retention_policy *p, int64_t now,
                           int64_t actor, int (*go_on)(void *ctx), void *ctx,
                           struct vg_retention_counts *out,
                           struct vg_err *err);

/* ---- legal holds ---- */

/* What a hold is on: "report" or "case". */
struct vg_hold {
    int64_t id;
    const char *object_type; /* "report" or "case" */
    int64_t object_id;
    const char *reference; /* the report's reference; NULL for a case */
    const char *reason;
    int64_t set_at, set_by;           /* actor */
    int64_t released_at, released_by; /* 0: in force */
};
struct vg_holds {
    struct vg_hold *v; /* by id */
    size_t n;
    struct vg_store_strings *strings;
};

/*
 * Put object_type object_id under a legal hold for reason (not empty) at
 * now by actor (audited "hold.add").  VG_ENOENT: no such report or case;
 * VG_EEXIST: already held; VG_EINVAL: an unknown type or empty reason.
 */
int vg_store_hold_add(struct vg_store *st, int64_t actor,
                      const char *object_type, int64_t object_id,
                      const char *reason, int64_t now, int64_t *hold_id,
                      struct vg_err *err);
/* Release the hold in force on it at now (audited "hold.release", with
 * reason, which may be empty).  VG_ENOENT: none in force. */
int vg_store_hold_release(struct vg_store *st, int64_t actor,
                          const char *object_type, int64_t object_id,
                          const char *reason, int64_t now, struct vg_err *err);
/* The holds in force, or all of them with their history when all. */
int vg_store_holds(struct vg_store *st, int all, struct vg_holds **out,
                   struct vg_err *err);
void vg_holds_free(struct vg_holds *h);
/* *held: 1 when object_type object_id is under a hold in force. */
int vg_store_held(struct vg_store *st, const char *object_type,
                  int64_t object_id, int *held, struct vg_err *err);

/* ---- reporters' requests ---- */

/* The report whose reference is ref.  VG_ENOENT if none. */
int vg_store_report_find(struct vg_store *st, const char *ref, int64_t *id,
                         struct vg_err *err);
/*
 * A reporter asked for their contact details to be removed: clear report
 * id's sealed contact column, audited "report.erase" by actor with reason.
 * *had: 1 when there were details to clear (an erase of none is audited
 * all the same).  VG_ENOENT: no such report; VG_EBUSY: the report is
 * under a legal hold (release it first: the law that made the hold says
 * whether the request may be granted).
 */
int vg_store_report_erase(struct vg_store *st, int64_t actor, int64_t id,
                          const char *reason, int *had, struct vg_err *err);

#endif
