/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line's one JSON printer (cli.h): every --json output writes
 * its strings, lists and whole values through here, so every command
 * escapes the same way (vg_buf_json_str: valid UTF-8 as is, other bytes as
 * \udcXX, so any file name round-trips) and says null the same way.
 */
#include <jansson.h>
#include <string.h>

#include "cli/cli.h"

void vg_cli_json_str(FILE *f, const char *s)
{
    struct vg_buf b;

    vg_buf_init(&b, 0);
    if (!s || vg_buf_json_str(&b, s, strlen(s)))
        fputs("null", f);
    else
        fwrite(b.data, 1, b.len, f);
    vg_buf_fini(&b);
}

void vg_cli_json_field(FILE *f, const char *key, const char *v,
                       const char *after)
{
    fprintf(f, "\"%s\":", key);
    vg_cli_json_str(f, v);
    fputs(after, f);
}

void vg_cli_json_list(FILE *f, const char *key, char *const *v, size_t n,
                      const char *after)
{
    fprintf(f, "\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        vg_cli_json_str(f, v[i]);
    }
    fprintf(f, "]%s", after);
}

int vg_cli_json_value(FILE *f, json_t *v)
{
    int rc = json_dumpf(v, f, JSON_INDENT(2) | JSON_SORT_KEYS) ? 1 : 0;

    fputc('\n', f);
    json_decref(v);
    return rc;
}
