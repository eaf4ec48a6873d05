/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The scan kind of the registry (vigil/hashalgo.h): every entry of an
 * algorithm's set compared with the query by the algorithm's own distance.
 * Linear in the entries, so it suits small lists and new algorithms until
 * they earn an index of their own; it is exact by construction (nothing
 * missed, nothing extra).
 */
#include "index_int.h"

int vg__scan_search(const struct vg__digest_set *s,
                    const struct vg_hashalgo *ha, const uint8_t *value,
                    int radius, struct vg__hits *out)
{
    int rc = VG_OK;

    for (size_t i = 0; i < s->n && !rc; i++) {
        int d = ha->distance(s->val + i * s->size, value, s->size);
        if (d <= radius)
            rc = vg__hits_push(out, i, d, 0);
    }
    return rc;
}
