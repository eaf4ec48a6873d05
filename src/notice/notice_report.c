/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The figures of notice and takedown per provider (vigil/notice.h).
 */
#include <math.h>

#include "vigil/notice.h"
#include "vigil/store_notices.h"

/* The p-th percentile (0..1) of sorted values, nearest rank; -1 if none. */
static json_int_t percentile(const json_t *sorted, double p)
{
    size_t n = json_array_size(sorted), rank;

    if (!n)
        return -1;
    rank = (size_t)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    return json_integer_value(json_array_get(sorted, rank - 1));
}

int vg_notice_figures(struct vg_store *st, json_t **out, struct vg_err *err)
{
    json_t *rows = NULL, *r;
    size_t i;
    int rc = vg_store_notice_report(st, &rows, err);

    if (rc)
        return rc;
    json_array_foreach(rows, i, r) {
        const json_t *ttr = json_object_get(r, "ttr");
        size_t n = json_array_size(ttr), k, day = 0;
        json_int_t notified =
            json_integer_value(json_object_get(r, "notified"));
        for (k = 0; k < n; k++)
            day += json_integer_value(json_array_get(ttr, k)) <= 86400;
        if (json_object_set_new(r, "median_s",
                                json_integer(percentile(ttr, 0.5))) ||
            json_object_set_new(r, "p90_s",
                                json_integer(percentile(ttr, 0.9))) ||
            json_object_set_new(r, "removed_24h_share",
                                json_real(notified ? (double)day /
                                                         (double)notified
                                                   : 0.0))) {
            json_decref(rows);
            return VG_ENOMEM;
        }
    }
    *out = rows;
    return VG_OK;
}
