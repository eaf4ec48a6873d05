/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's paging links (web_int.h, docs/LISTINGS.md): one page of
 * a listing says which rows it shows of how many ("Showing 51–100 of
 * 1,368", page.showing) and links the pages on either side by their
 * keyset cursors, as web/templates/pager.html draws it.  Nothing is cut
 * without a word: a page that is not the last always has its next link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_int.h"

/* base + "?" or "&" + key=v, or null for v 0. */
static json_t *link(const char *base, const char *key, int64_t v)
{
    char url[512];

    if (!v)
        return json_null();
    snprintf(url, sizeof(url), "%s%c%s=%lld", base,
             strchr(base, '?') ? '&' : '?', key, (long long)v);
    return json_string(url);
}

json_t *vg__pager(const char *id, const char *base, int up, int64_t from,
                  size_t n, int64_t total, int64_t next, int64_t prev)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "id", id, "first",
                     (json_int_t)(n ? from + 1 : 0), "last",
                     (json_int_t)(from + (int64_t)n), "total",
                     (json_int_t)total, "next",
                     link(base, up ? "after" : "before", next), "prev",
                     link(base, up ? "before" : "after", prev));
}

json_t *vg__pager_pages(const char *id, const char *base, const char *param,
                        int64_t page, int64_t per, size_t n, int64_t total)
{
    int64_t from = (page - 1) * per;

    return json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "id", id, "first",
                     (json_int_t)(n ? from + 1 : 0), "last",
                     (json_int_t)(from + (int64_t)n), "total",
                     (json_int_t)total, "next",
                     link(base, param,
                          from + (int64_t)n < total ? page + 1 : 0),
                     "prev", link(base, param, page > 1 ? page - 1 : 0));
}

int64_t vg__page_number(const struct vg_http_req *req, const char *param)
{
    const char *s = vg_http_query(req, param);
    long long v = s ? strtoll(s, NULL, 10) : 1;

    return v >= 1 && v <= 1000000000 ? v : 1;
}
