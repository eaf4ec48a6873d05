/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the lists module: the matcher's state, shared by matcher.c
 * (loading, lookups) and listsync.c (keeping it current).
 */
#ifndef VIGIL_MATCHER_INT_H
#define VIGIL_MATCHER_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/index.h"
#include "vigil/lists.h"

struct mlist {
    struct vg_list l;
    int deleted; /* its group matches nothing; a new list takes a new one */
};

struct vg_matcher {
    struct vg_store *st;
    struct vg_index *ix;
    /* the list table: lookups hold it to read, a sync to change it */
    pthread_rwlock_t lock;
    /* index group = position here; each list allocated once and kept
     * until the matcher is freed, so a match's list name (vg_match.list)
     * stays valid while a sync appends lists after the lookup */
    struct mlist **lists;
    size_t nlists, cap;
    size_t nsorted; /* the first nsorted (those loaded) sorted by id */
    size_t entries; /* atomic */
    /* bit id set: entry id has no category, external id or metadata of
     * its own, so a match needs nothing from the store (held with the
     * list table: grown under its write lock) */
    uint64_t *plain;
    size_t plain_words;
    int min_quality;
    /* written by the one thread that syncs; read atomically */
    int64_t seq;        /* the last change applied */
    int64_t max_loaded; /* the largest entry id loaded or added */
    int64_t synced_ms;  /* when the last sync (or the load) ended */
    int64_t lag_ms;     /* the last change: applied minus written */
    int64_t changes;    /* changes applied since the load */
};

/* The group of a list not deleted, -1 if none. */
int vg__matcher_group(const struct vg_matcher *m, int64_t list_id);
/* Append a list (as the last group): VG_OK, VG_ETOOBIG, VG_ENOMEM.  The
 * caller holds the lock for writing once lookups may run. */
int vg__matcher_add_list(void *m, const struct vg_list *l);
/* Add an entry of a known list to the index (one not known: nothing). */
int vg__matcher_add_entry(struct vg_matcher *m, const struct vg_list_entry *e);
/* CLOCK_REALTIME in Unix milliseconds, as the change log's at_ms. */
int64_t vg__matcher_now_ms(void);

#endif
