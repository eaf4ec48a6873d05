/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paging of the command's listings (cli.h, docs/LISTINGS.md): without
 * --limit a listing prints every row, read from the store a page at a
 * time; with --limit N it prints one page and, when more follow, says so
 * on stderr with the --after CURSOR that continues it (text), or gives
 * that cursor as "next" (--json: {"items": [...], "next": "CURSOR" or
 * null}).  A cursor is the key of the last row shown (keyset paging), so
 * rows added meanwhile never shift a page or repeat one.
 */
#include <stdio.h>

#include "cli/cli.h"

int vg_cli_page_limit(const char *cmd, struct vg_cli_page *p, const char *s)
{
    return vg_cli_parse_range(cmd, "--limit", s, 1, 1000000, &p->limit);
}

int vg_cli_page_after(const char *cmd, struct vg_cli_page *p, const char *s)
{
    return vg_cli_parse_range(cmd, "--after", s, 1, 0x7fffffffffffffffLL,
                              &p->after);
}

void vg_cli_page_more(const char *cmd, size_t shown, long long next)
{
    if (next)
        fprintf(stderr, "vigil: %s: %zu shown, more: --after %lld\n", cmd,
                shown, next);
}

int vg_cli_page_json(json_t *items, long long next)
{
    char cur[24];

    snprintf(cur, sizeof(cur), "%lld", next);
    return vg_cli_json_value(stdout, json_pack("{s:o, s:s?}", "items", items,
                                               "next", next ? cur : NULL));
}
