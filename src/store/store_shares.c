/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which partners may match each list through the hash-check API, and
 * whether they see its entries' metadata (vigil/store_lists.h): one row
 * per list and partner in list_shares, partner "*" for every partner;
 * sharing and unsharing are audited in their transaction.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"

int vg_store_list_share(struct vg_store *st, int64_t actor, int64_t list_id,
                        const char *partner, int metadata, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char detail[256];
    int rc;

    if (strcmp(partner, "*") && !vg_partner_name_valid(partner))
        return vg_err_set(err, VG_EINVAL,
                          "a partner's name has 1 to 200 bytes and no"
                          " control characters or commas");
    snprintf(detail, sizeof(detail), "%s%s", partner,
             metadata ? " with metadata" : "");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO list_shares (list_id, partner,"
                               " metadata) SELECT id, ?, ? FROM hash_lists"
                               " WHERE id = ? ON CONFLICT (list_id, partner)"
                               " DO UPDATE SET metadata = excluded.metadata",
                               "tii", partner, (int64_t)(metadata != 0),
                               list_id)) &&
        !(rc = vg__store_run(st, s, err)) && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no list %lld", (long long)list_id);
    if (!rc)
        rc = vg__store_audit(st, actor, "list.share", "hash_list", list_id,
                             detail, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_list_unshare(struct vg_store *st, int64_t actor, int64_t list_id,
                          const char *partner, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM list_shares WHERE list_id = ? AND"
                               " partner = ?",
                               "it", list_id, partner)) &&
        !(rc = vg__store_run(st, s, err)) && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "the list is not shared with \"%s\"",
                        partner);
    if (!rc)
        rc = vg__store_audit(st, actor, "list.unshare", "hash_list", list_id,
                             partner, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_list_shares(struct vg_store *st, int64_t list_id,
                         int (*cb)(void *ctx, const struct vg_list_share *sh),
                         void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT s.list_id, s.partner, s.metadata, l.name"
                         " FROM list_shares s JOIN hash_lists l ON l.id ="
                         " s.list_id WHERE ? = 0 OR s.list_id = ? ORDER BY"
                         " s.list_id, s.partner",
                         "ii", list_id, list_id);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_list_share sh = {st->ops->col_int(s, 0),
                                   st->ops->col_text(s, 1),
                                   st->ops->col_int(s, 2) != 0,
                                   st->ops->col_text(s, 3)};
        rc = cb(ctx, &sh);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}
