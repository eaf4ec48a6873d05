/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash lists as the front ends change them (module `core`): the command
 * line's `vigil lists` and the console's list pages call these, not the
 * store, so both apply the same rules and every change is audited with its
 * actor (vigil/core_audit.h: a users row id, or 0 for the local operator).
 *
 * The rules kept here: a new list without a category gets the default one
 * (the VG_VOCAB_DEFAULT review class of vigil/vocab.h); lists are
 * named by their names; a list that still has entries is deleted only when
 * the caller confirms it; an entry is enabled or quarantined only as an
 * entry of the list named.  The store writes the audit record in the
 * change's transaction (vigil/store_lists.h).  Imports go through
 * vg_lists_import (vigil/lists.h), which takes the actor the same way.
 *
 * Thread safety: as the store's.
 */
#ifndef VIGIL_CORE_LISTS_H
#define VIGIL_CORE_LISTS_H

#include <stdint.h>

#include "vigil/store.h"
#include "vigil/store_lists.h"

/*
 * Create the list l (an empty category: the default one); *id gets its id.
 * VG_EEXIST, VG_EINVAL (name, category, distance), or the store's error.
 */
int vg_core_list_create(struct vg_store *st, int64_t actor,
                        const struct vg_list *l, int64_t *id,
                        struct vg_err *err);

/* Enable or disable the list named; *out (may be NULL) gets it as it was
 * found.  VG_ENOENT if there is none. */
int vg_core_list_set_enabled(struct vg_store *st, int64_t actor,
                             const char *name, int enabled,
                             struct vg_list *out, struct vg_err *err);

/*
 * Delete the list named with its entries and history.  A list with
 * entries needs confirm != 0, else VG_EUSAGE (err says how many entries).
 * *out (may be NULL) gets the list as it was.  VG_ENOENT if none.
 */
int vg_core_list_delete(struct vg_store *st, int64_t actor, const char *name,
                        int confirm, struct vg_list *out, struct vg_err *err);

/* Quarantine (enabled 0) or release entry_id of list_id.  VG_ENOENT if the
 * list has no such entry. */
int vg_core_entry_set_enabled(struct vg_store *st, int64_t actor,
                              int64_t list_id, int64_t entry_id, int enabled,
                              struct vg_err *err);

#endif
