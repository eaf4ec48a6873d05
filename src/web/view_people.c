/* SPDX-License-Identifier: Apache-2.0 */
/*
 * People as JSON (vigil/view.h): the audit log's latest records for the
 * console's audit page.
 */
#include "vigil/view.h"

static json_t *audit_row(const void *row)
{
    const struct vg_audit_entry *e = row;

    return json_pack("{s:I, s:I, s:I, s:s?, s:s?, s:s?, s:I, s:s?}", "id",
                     (json_int_t)e->r.id, "at", (json_int_t)e->r.at, "user_id",
                     (json_int_t)e->r.actor, "username", e->username, "action",
                     e->r.action, "object_type", e->r.object_type, "object_id",
                     (json_int_t)e->r.object_id, "detail", e->r.detail);
}

json_t *vg_view_audit(const struct vg_audit_page *p)
{
    return vg_view_array(p->v, p->n, sizeof(*p->v), audit_row);
}
