/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CLI's small helpers that `vigil hash` needs too: they live apart from
 * the dispatcher (cli.c) so the front binary (cli_front.c), which links
 * only what hashing needs, can have them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

void vg_cli_errorf(const char *fmt, ...)
{
    va_list ap;

    fputs("vigil: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void vg_cli_bad_option(const char *cmd, char **argv)
{
    if (optopt && optopt < 256)
        vg_cli_errorf("%s: unknown option '-%c' or missing value", cmd,
                      optopt);
    else
        vg_cli_errorf("%s: unknown option '%s' or missing value", cmd,
                      argv[optind - 1]);
}

int vg_cli_parse_size(const char *s, int si, unsigned long long *out)
{
    char *end;
    unsigned long long v, mul = 1, base = si ? 1000 : 1024;

    if (!s || !*s || *s == '-')
        return -1;
    v = strtoull(s, &end, 10);
    if (end == s)
        return -1;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mul = base;
        end++;
        break;
    case 'm':
    case 'M':
        mul = base * base;
        end++;
        break;
    case 'g':
    case 'G':
        mul = base * base * base;
        end++;
        break;
    default:
        return -1;
    }
    if (*end || v == 0 || v > ~0ull / mul)
        return -1;
    *out = v * mul;
    return 0;
}
