/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash lists as a whole (module `lists`): importing a list file into the
 * store all or nothing, and the matcher, which loads every list of a store
 * into an index and answers "does this image match anything we know?".
 *
 * Matching rules.  Each of an image's hashes is looked up by its
 * algorithm's index kind (vigil/hashalgo.h): PDQ with its 8 dihedral
 * variants, within each list's own distance; the digests (MD5, SHA-1,
 * SHA-256) exactly; an algorithm of the scan kind within its threshold.  Only enabled entries of enabled lists match.  A PDQ hash of
 * quality below the matcher's minimum is not looked up (featureless images
 * match unrelated ones).  A match in an allow list (known false positives)
 * suppresses every match of the image in the other lists: the result says
 * it was allowed, by which entries, and what was suppressed.
 */
#ifndef VIGIL_LISTS_H
#define VIGIL_LISTS_H

#include <stdint.h>

#include "vigil/imagehash.h"
#include "vigil/listfile.h"
#include "vigil/store.h"
#include "vigil/store_lists.h"

/* ---- import ---- */

struct vg_lists_import_result {
    enum vg_listfile_format format; /* as detected */
    int64_t lines;                  /* lines read */
    int64_t records;                /* hashes found */
    int64_t added, present;         /* new, and already in the list */
    unsigned long bad;              /* bad lines (nothing imported if > 0) */
};

/*
 * Import the list file at path ("-" = standard input) into the list named
 * list.  Every bad line, and every hash that appears twice in the file, is
 * passed to on_error (may be NULL) with its line number; if there is any,
 * nothing is imported and the result is VG_EFORMAT.  Otherwise all entries
 * are added in one transaction (entries the list already has are counted
 * as present and left alone) with the file's provenance (name, format,
 * SHA-256, counts) and one audit record, as actor's (the user who
 * imports, 0 the local operator: vigil/core_audit.h).  Returns VG_OK,
 * VG_EFORMAT, VG_ENOENT (no such list or
 * file), VG_EIO, VG_ENOMEM, VG_ETOOBIG.
 */
int vg_lists_import(struct vg_store *st, int64_t actor, const char *list,
                    const char *path, const struct vg_listfile_opts *opts,
                    int (*on_error)(void *ctx, unsigned long line,
                                    const char *msg),
                    void *ctx, struct vg_lists_import_result *res,
                    struct vg_err *err);

/* ---- matching ---- */

struct vg_matcher;

struct vg_match {
    const char *list; /* borrowed from the matcher */
    enum vg_list_kind kind;
    int64_t entry;
    char *category;    /* the entry's, else the list's */
    char *external_id; /* NULL if none */
    char *metadata;    /* NULL if none */
    enum vg_algo algo;
    int distance; /* the algorithm's; 0 for digests */
    int variant;  /* enum vg_pdq_dihedral; -1 but for PDQ */
};

struct vg_match_result {
    struct vg_match *matches; /* from block lists (empty when allowed) */
    size_t nmatches;
    struct vg_match *allowed_by; /* allow-list matches */
    size_t nallowed;
    struct vg_match *suppressed; /* block matches an allow match cancelled */
    size_t nsuppressed;
    int pdq_skipped; /* quality below the minimum */
};

/*
 * Load every list and entry of st (disabled ones too, so that enabling
 * needs no reload).  min_quality: PDQ queries below it are not looked up
 * (50 is Meta's advice).  The matcher keeps st for entry details: close
 * the store only after vg_matcher_free.
 */
int vg_matcher_load(struct vg_store *st, int min_quality,
                    struct vg_matcher **out, struct vg_err *err);
void vg_matcher_free(struct vg_matcher *m);

/*
 * Look up an image's hashes (h->pdq.dihedral must be filled: hash with
 * VG_IMAGEHASH_DIHEDRAL).  Fills *out (free with vg_match_result_fini).
 * Thread-safe: many lookups may run at once.
 */
int vg_matcher_lookup(struct vg_matcher *m, const struct vg_imagehash *h,
                      struct vg_match_result *out, struct vg_err *err);
void vg_match_result_fini(struct vg_match_result *r);

/*
 * Look up n bare PDQ hashes at once (an API's batch of hashes): out[i]
 * (n results, each freed with vg_match_result_fini) is what
 * vg_matcher_lookup gives for an image whose only hash is q[i], with no
 * dihedral variants: matches within each list's distance, variant 0,
 * enabled entries of enabled lists only, allow lists suppressing, details
 * filled.  The quality rule does not apply (a bare hash has none), so
 * pdq_skipped is 0.  One index call for all (vg_index_lookup_pdq_batch:
 * one read lock, a second core for 64 hashes or more).  Thread-safe like
 * vg_matcher_lookup.  On an error no result is left to free.
 */
int vg_matcher_lookup_pdqs(struct vg_matcher *m, const struct vg_pdq_hash *q,
                           size_t n, struct vg_match_result *out,
                           struct vg_err *err);

/*
 * Look up one value of any algorithm (vg_algo_size(algo) bytes, canonical)
 * by its kind, alone: for PDQ the hash without variants and without the
 * quality rule; every other rule as vg_matcher_lookup.  VG_EINVAL for an
 * unknown algorithm.  Thread-safe.
 */
int vg_matcher_lookup_value(struct vg_matcher *m, enum vg_algo algo,
                            const uint8_t *value, struct vg_match_result *out,
                            struct vg_err *err);

/* Entries loaded, for reports. */
size_t vg_matcher_size(const struct vg_matcher *m);

/* ---- keeping a matcher current (listsync.c) ---- */

/*
 * Apply the store's list changes after the last one applied (the store's
 * change log, vigil/store_lists.h): a list created, enabled, disabled or
 * deleted, an entry added, enabled or disabled, an import's entries
 * added, each without reloading the rest, so that the matcher answers as
 * one loaded afresh would.  Lookups go on meanwhile (they see each change
 * once it is applied).  One thread at a time may sync a matcher.  *applied
 * (may be NULL) gets the number of changes applied.  VG_OK, or the
 * store's error (the changes applied before it stay applied; the next
 * sync goes on from there), VG_ENOMEM, VG_ETOOBIG (over
 * VG_INDEX_MAXGROUP lists).
 */
int vg_matcher_sync(struct vg_matcher *m, size_t *applied, struct vg_err *err);

struct vg_matcher_status {
    size_t entries;       /* in the index, disabled ones too */
    int64_t seq;          /* the last list change applied (0: none) */
    int64_t changes;      /* changes applied since the load */
    int64_t synced_at_ms; /* when the last sync (or the load) ended, Unix
                             milliseconds */
    int64_t lag_ms;       /* the last change applied: from its commit to
                             its being applied (0: none yet) */
};

/* For a readiness check: a matcher exists only once loaded.  Any thread. */
void vg_matcher_status(const struct vg_matcher *m,
                       struct vg_matcher_status *out);

/*
 * A thread that syncs m every interval_ms (0: 200) and when woken, until
 * stopped.  log (may be NULL) gets one line for each change applied
 * ("lists: ... applied N ms after its commit") and for each failed sync
 * (it goes on at the next tick), from the thread.  m must outlive it.
 * VG_OK, VG_ENOMEM (no thread).
 */
struct vg_listsync;

int vg_listsync_start(struct vg_matcher *m, int64_t interval_ms,
                      void (*log)(void *ctx, const char *line), void *log_ctx,
                      struct vg_listsync **out);
/* Sync now rather than at the next tick (any thread; also where a
 * database's change notification, PostgreSQL's LISTEN vigil_lists, wakes
 * the node). */
void vg_listsync_wake(struct vg_listsync *ls);
/* Stop the thread (after the sync under way), free.  NULL: no-op. */
void vg_listsync_stop(struct vg_listsync *ls);

#endif
