/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash lists as the front ends change them (vigil/core_lists.h): the rules
 * above the store's, which audits each change in its transaction.
 */
#include <string.h>

#include "vigil/core_lists.h"
#include "vigil/vocab.h"

int vg_core_list_create(struct vg_store *st, int64_t actor,
                        const struct vg_list *l, int64_t *id,
                        struct vg_err *err)
{
    struct vg_list with = *l;

    if (!with.category[0])
        strcpy(with.category, vg_vocab_default(VG_VOCAB_REVIEW_CLASS));
    return vg_store_list_create(st, actor, &with, id, err);
}

int vg_core_list_set_enabled(struct vg_store *st, int64_t actor,
                             const char *name, int enabled,
                             struct vg_list *out, struct vg_err *err)
{
    struct vg_list l;
    int rc;

    if (!(rc = vg_store_list_get(st, name, &l, err)) &&
        !(rc = vg_store_list_set_enabled(st, actor, l.id, enabled, err)) &&
        out)
        *out = l;
    return rc;
}

int vg_core_list_delete(struct vg_store *st, int64_t actor, const char *name,
                        int confirm, struct vg_list *out, struct vg_err *err)
{
    struct vg_list l;
    int rc;

    if ((rc = vg_store_list_get(st, name, &l, err)))
        return rc;
    if (l.entries && !confirm)
        return vg_err_set(err, VG_EUSAGE,
                          "list %s has %lld entries; deleting it deletes them",
                          l.name, (long long)l.entries);
    if (!(rc = vg_store_list_delete(st, actor, l.id, err)) && out)
        *out = l;
    return rc;
}

int vg_core_entry_set_enabled(struct vg_store *st, int64_t actor,
                              int64_t list_id, int64_t entry_id, int enabled,
                              struct vg_err *err)
{
    return vg_store_entry_enable(st, actor, list_id, entry_id, enabled, err);
}
