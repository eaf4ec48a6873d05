/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): flood quarantine's side (vigil/flood.h).  How
 * often each list entry matched, per hour (hours since the epoch, computed
 * in C) and summed over every node that serves lookups; and the entries
 * quarantined because they matched far above their own baseline, with why,
 * until an analyst releases them.  A quarantine disables its entry through
 * the list change log (vigil/store_lists.h), so every node's matcher drops
 * it at its next sync, and writes an audit record in the same transaction.
 * Thread safe as the store is.
 */
#ifndef VIGIL_STORE_FLOOD_H
#define VIGIL_STORE_FLOOD_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

/* One node's new counts for an entry in an hour, added to the stored. */
struct vg_flood_count {
    int64_t entry_id, hour;
    int64_t matches; /* lookups that returned the entry */
    int64_t media;   /* of them, distinct media new to this node this hour */
};

/*
 * Add n counts to the stored ones (a row per entry and hour, created or
 * summed: INSERT ... ON CONFLICT DO UPDATE), in one transaction.  Counts
 * of an entry that no longer exists are kept all the same (they age out).
 * VG_OK or the store's error (nothing added).
 */
int vg_store_flood_add(struct vg_store *st, const struct vg_flood_count *c,
                       size_t n, struct vg_err *err);
/* Forget the counts of hours before hour.  *removed (may be NULL). */
int vg_store_flood_prune(struct vg_store *st, int64_t hour, int64_t *removed,
                         struct vg_err *err);

/* An entry whose count this hour may be a flood. */
struct vg_flood_suspect {
    int64_t entry_id, list_id;
    int64_t matches, media; /* this hour, every node's */
    int64_t baseline;       /* media in the baseline's hours, summed */
};

/*
 * The enabled entries of enabled lists with counts in hour of at least
 * min_media media (or more than max_media), with their media summed over
 * hours [hour - baseline_hours, hour).  An entry quarantined
 * now, or released at or after held_since (Unix seconds), is left out (an
 * analyst's release holds). cb gets each (VG_OK goes on); the store is
 * held meanwhile.
 */
int vg_store_flood_suspects(struct vg_store *st, int64_t hour,
                            int64_t baseline_hours, int64_t min_media,
                            int64_t max_media, int64_t held_since,
                            int (*cb)(void *ctx,
                                      const struct vg_flood_suspect *s),
                            void *ctx, struct vg_err *err);

/* Why an entry was quarantined. */
enum vg_flood_reason {
    VG_FLOOD_RATE = 0, /* media over ratio x its baseline's hourly mean */
    VG_FLOOD_MEDIA     /* more distinct media in an hour than allowed */
};

/* "rate" or "media" ("" for another value). */
const char *vg_flood_reason_name(enum vg_flood_reason r);

/* A quarantine, as recorded and listed. */
struct vg_flood_quarantine {
    int64_t id, entry_id, list_id;
    const char *list;  /* the list's name (NULL if it is gone) */
    enum vg_algo algo; /* the entry's */
    const char *value; /* the entry's value in lowercase hex */
    int64_t at;        /* Unix seconds */
    enum vg_flood_reason reason;
    int64_t hour, matches, media; /* the counts that decided it */
    int64_t baseline;             /* as in vg_flood_suspect */
    int64_t baseline_hours;       /* how many hours that sums */
    int64_t released_at;          /* 0: still quarantined */
    int64_t released_by;          /* the actor who released (0: operator) */
};

/*
 * Quarantine q->entry_id (of list q->list_id) for q's reason and counts
 * (q->id, list, algo, value and released_* are ignored): in one write
 * transaction, if the entry is enabled and has no quarantine in force,
 * record the quarantine, disable the entry (with its list change row) and
 * write the audit record "entry.quarantine" as actor 0 with the reason
 * and counts in its detail.  Only one of several nodes doing so at once
 * does it: *done (may be NULL) is 1 for that one, 0 when the entry was
 * disabled or quarantined already, or is gone.  *id (may be NULL) gets
 * the quarantine's id when done.  VG_OK or the store's error.
 */
int vg_store_flood_quarantine(struct vg_store *st,
                              const struct vg_flood_quarantine *q, int *done,
                              int64_t *id, struct vg_err *err);

/*
 * Release the quarantine in force on entry_id at time at (Unix seconds):
 * the record says who and when, the entry is enabled again (with its list
 * change row), and the audit record "entry.release" is actor's, in one
 * transaction.  VG_ENOENT if the entry has no quarantine in force.
 */
int vg_store_flood_release(struct vg_store *st, int64_t actor,
                           int64_t entry_id, int64_t at, struct vg_err *err);

struct vg_flood_quarantines {
    struct vg_flood_quarantine *v; /* newest first */
    size_t n;
    struct vg_store_strings *strings;
};
/* The quarantines in force (all: the released ones too), newest first, at
 * most limit (0: all) (vg_flood_quarantines_free). */
int vg_store_flood_quarantines(struct vg_store *st, int all, int64_t limit,
                               struct vg_flood_quarantines **out,
                               struct vg_err *err);
void vg_flood_quarantines_free(struct vg_flood_quarantines *q);

#endif
