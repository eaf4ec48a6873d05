/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flood quarantine (module `lists`): a list entry that matches far above
 * its own baseline is taken out of matching automatically, on every node,
 * until an analyst releases it.  A bad entry (a PDQ hash of a blank image,
 * a digest of a common file) would otherwise flag everything that
 * resembles it; nothing but the flooding entry is suppressed.
 *
 * Each node that answers lookups notes every entry a lookup returned
 * (vg_flood_note: in memory, a lock per shard of entries).  A thread
 * flushes the node's counts into the store every flush interval (per
 * entry per hour: matches, and media this node had not seen match the
 * entry this hour; summed over nodes by the store) and runs the detector
 * every detector interval over the entries counted this hour.  An entry is
 * quarantined when this hour's distinct media (every node's, summed) are
 * more than max_media_per_hour, or when this hour's distinct media are at
 * least min_media and more than ratio x its mean hourly distinct media
 * over the baseline's hours before this one (7 days: an entry that has
 * always matched often is not a flood).  Only distinct media count: one
 * known file uploaded again and again is what the lists are for, not a
 * flood; a bad entry (a blank image's hash) matches many different
 * files.  A quarantine disables the entry through
 * the store's list change log, so every node's matcher drops it at its
 * next sync (vg_matcher_sync, 200 ms), with the reason, the counts and an
 * audit record (vigil/store_flood.h); of several nodes that find the same
 * flood one quarantines.  A release (vg_flood_release) enables the entry
 * again and holds the detector off it for release_hold_s.
 *
 * Distinct media are counted by a key per media (the SHA-256 of an upload,
 * or of the query's hash for a lookup by hash), kept per entry and hour by
 * each node only up to max_media_per_hour + 1 keys; nodes count their own,
 * so one media looked up on two nodes counts twice (the sum is at most
 * the number of nodes times the true count).
 */
#ifndef VIGIL_FLOOD_H
#define VIGIL_FLOOD_H

#include <stdint.h>

#include "vigil/store.h"
#include "vigil/store_flood.h"

struct vg_flood_opts {
    double ratio;               /* x the baseline's hourly mean: 100 */
    int64_t min_media;          /* distinct media a rate flood needs: 50 */
    int64_t min_flush_media;    /* an entry's counts reach the store once
                                   this node saw it match this many
                                   distinct media in the hour: 4 (fewer
                                   are dropped at the hour's end, so a
                                   quieter entry's baseline reads 0) */
    int64_t max_media_per_hour; /* distinct media in an hour: 1000 */
    int64_t baseline_hours;     /* the baseline's hours: 168 (7 days) */
    int64_t flush_ms;           /* counts into the store: 5000 */
    int64_t detect_ms;          /* the detector runs: 10000 */
    int64_t release_hold_s;     /* a release holds the detector off the
                                   entry for: 86400 */
    int64_t max_tracked;        /* entries a node counts at once (those
                                   past it are not counted): 262144 */
    int64_t at;                 /* a fixed clock, Unix seconds (tests); 0:
                                   the real one */
    /* a line for each quarantine and each failure of the thread (said
       once per cause); may be NULL; called from the thread (and from
       vg_flood_stop) */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
};

/* The defaults above. */
void vg_flood_opts_default(struct vg_flood_opts *o);

struct vg_flood;

/*
 * Start flood quarantine on st (shared with the node's other threads: the
 * store is thread safe) with opts (NULL: the defaults; a count or interval
 * <= 0 takes its default).  st must outlive vg_flood_stop.  VG_OK, VG_ENOMEM (no
 * thread), VG_EINVAL (a ratio that is not a positive number).
 */
int vg_flood_start(struct vg_store *st, const struct vg_flood_opts *opts,
                   struct vg_flood **out);
/* Flush the counts noted (a last time), stop the thread, free.  NULL:
 * no-op. */
void vg_flood_stop(struct vg_flood *f);

/*
 * Note that a lookup returned entry_id for the media whose key is
 * media_key (32 bytes: the SHA-256 of the upload, or of the query's hash,
 * e.g. vg_hashalgo_get(VG_ALGO_SHA256)->hash_bytes over its canonical
 * bytes).  Call it once per entry per lookup.  Thread safe, from any number of
 * threads at once; cheap (a lock per shard of entries, no store call); it
 * never fails (an entry past max_tracked is not counted).  f NULL: no-op.
 */
void vg_flood_note(struct vg_flood *f, int64_t entry_id,
                   const uint8_t media_key[32]);

/* Flush and detect now, on the caller's thread (as the thread does on its
 * timer).  *quarantined (may be NULL) gets how many entries this call
 * quarantined.  VG_OK or the store's error. */
int vg_flood_tick(struct vg_flood *f, int *quarantined, struct vg_err *err);

/* Release entry_id's quarantine as actor (a user id, 0 the operator): it
 * matches again on every node at their next sync, and the detector leaves
 * it alone for the release hold.  VG_ENOENT if it is not quarantined. */
int vg_flood_release(struct vg_store *st, int64_t actor, int64_t entry_id,
                     struct vg_err *err);

/*
 * The quarantines in force (all: released ones too), newest first, at
 * most limit (0: all), as a JSON array for the console and `--json`
 * (caller frees with vg_free): each {"id", "list", "list_id", "entry",
 * "algo", "value" (hex), "reason" ("rate" or "media"), "at" (ISO 8601
 * UTC), "hour" (its start, ISO 8601), "matches", "media",
 * "baseline_mean" (matches an hour over the baseline), "baseline_hours",
 * "released_at" and "released_by" (null while in force)}.
 */
int vg_flood_quarantines_json(struct vg_store *st, int all, int64_t limit,
                              char **out, struct vg_err *err);

#endif
