/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hash lists as JSON (vigil/view.h): one entry of a list, for the console's
 * list page.
 */
#include "vigil/digest.h"
#include "vigil/view.h"

json_t *vg_view_entry(const struct vg_list_entry *e)
{
    char hex[2 * VG_ALGO_MAXSIZE + 1];

    vg_hex_encode(e->value, vg_algo_size(e->algo), hex);
    return json_pack("{s:I, s:s, s:s, s:s?, s:s?, s:s?, s:o, s:I}", "id",
                     (json_int_t)e->id, "algo", vg_algo_name(e->algo), "value",
                     hex, "category", e->category, "external_id",
                     e->external_id, "metadata", e->metadata, "quality",
                     e->quality >= 0 ? json_integer(e->quality) : json_null(),
                     "enabled", (json_int_t)e->enabled);
}
