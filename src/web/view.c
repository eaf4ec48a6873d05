/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the view models (vigil/view.h) share: arrays of rows, and the store's
 * "0 if none" as JSON null.
 */
#include "vigil/view.h"

json_t *vg_view_array(const void *v, size_t n, size_t size,
                      json_t *(*one)(const void *row))
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, one((const char *)v + i * size))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

json_t *vg_view_int_or_null(int64_t v)
{
    return v ? json_integer(v) : json_null();
}

int vg_view_merge(json_t *o, json_t *add)
{
    int ok = o && add && !json_object_update(o, add);

    json_decref(add);
    return ok;
}
