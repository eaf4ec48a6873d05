/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Options from a --config FILE of "name = value" lines (cli/cli.h), for
 * `serve` and `notices`.  In a file of its own so that fuzz/fuzz_config.c
 * can build it without the dispatcher's main().
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"

#define CONFIG_MAX_OPTIONS 64
#define CONFIG_LINE_MAX 4096

static int is_flag(const char *const *flags, const char *k)
{
    for (; flags && *flags; flags++)
        if (!strcmp(*flags, k))
            return 1;
    return 0;
}

/* An option's name: letters, digits, '-' and '_', not starting with '-'. */
static int name_ok(const char *k)
{
    if (!*k || *k == '-')
        return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_')
            return 0;
    return 1;
}

static void free_args(char **args, int n)
{
    for (int i = 0; i < n; i++)
        vg_free(args[i]);
    vg_free(args);
}

/* Trim the spaces around s (modified in place); returns the start. */
static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]);)
        *--e = '\0';
    return s;
}

/*
 * One config line into args[*n...]: nothing for a comment or a blank
 * line, "--name" for a flag set to yes, "--name" "value" otherwise.
 * VG_EXIT_OK, or VG_EXIT_FAIL (said; out of memory: VG_ENOMEM, unsaid).
 */
static int config_line(const char *cmd, const char *where,
                       const char *const *flags, char *line, char **args,
                       int *n)
{
    char *k = line, *v, *e;

    if ((e = strchr(k, '#')))
        *e = '\0';
    if (!*(k = trim(k)))
        return VG_EXIT_OK;
    if (!(v = strchr(k, '='))) {
        vg_cli_errorf("%s: %s: expected \"name = value\"", cmd, where);
        return VG_EXIT_FAIL;
    }
    *v++ = '\0';
    k = trim(k);
    v = trim(v);
    if (!name_ok(k)) {
        /* "" would give "--", which ends the options */
        vg_cli_errorf("%s: %s: expected \"name = value\" with a name of"
                      " letters, digits, '-' and '_'",
                      cmd, where);
        return VG_EXIT_FAIL;
    }
    if (*n + 2 > 1 + 2 * CONFIG_MAX_OPTIONS || !strcmp(k, "config")) {
        vg_cli_errorf("%s: %s: %s", cmd, where,
                      strcmp(k, "config") ? "too many options"
                                          : "config cannot nest");
        return VG_EXIT_FAIL;
    }
    /* a flag takes no value: "yes" turns it on, "no" leaves it off */
    if (is_flag(flags, k) && strcmp(v, "yes")) {
        if (!strcmp(v, "no"))
            return VG_EXIT_OK;
        vg_cli_errorf("%s: %s: %s is yes or no", cmd, where, k);
        return VG_EXIT_FAIL;
    }
    if (!(args[*n] = vg_malloc(strlen(k) + 3)))
        return VG_ENOMEM;
    sprintf(args[(*n)++], "--%s", k);
    if (!is_flag(flags, k) && !(args[(*n)++] = vg_strdup(v)))
        return VG_ENOMEM;
    return VG_EXIT_OK;
}

int vg_cli_config_args(const char *cmd, const char *path,
                       const char *const *flags, int argc, char **argv,
                       char ***out, int *outc, int *owned)
{
    char line[CONFIG_LINE_MAX], where[4200], **args;
    FILE *f = fopen(path, "r");
    int n = 1, lineno = 0, rc = VG_EXIT_OK;

    if (!f) {
        vg_cli_errorf("%s: cannot open %s", cmd, path);
        return VG_EXIT_FAIL;
    }
    if (!(args = vg_calloc((size_t)argc + 2 * CONFIG_MAX_OPTIONS + 1,
                           sizeof(*args))) ||
        !(args[0] = vg_strdup(argv[0])))
        rc = VG_ENOMEM;
    while (!rc && fgets(line, sizeof(line), f)) {
        snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            vg_cli_errorf("%s: %s: line too long", cmd, where);
            rc = VG_EXIT_FAIL;
        } else {
            rc = config_line(cmd, where, flags, line, args, &n);
        }
    }
    fclose(f);
    if (rc) {
        if (rc == VG_ENOMEM)
            vg_cli_errorf("%s: out of memory", cmd);
        if (args)
            free_args(args, n);
        return VG_EXIT_FAIL;
    }
    *owned = n;
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    *out = args;
    *outc = n;
    return VG_EXIT_OK;
}

int vg_cli_config_first(const char *cmd, const char *const *flags, int argc,
                        char **argv, char ***args, int *nargs, int *owned)
{
    const char *config = NULL;

    *args = argv;
    *nargs = argc;
    *owned = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            config = argv[i] + 9;
    return config ? vg_cli_config_args(cmd, config, flags, argc, argv, args,
                                       nargs, owned)
                  : VG_EXIT_OK;
}

void vg_cli_config_free(char **args, char **argv, int owned)
{
    if (args != argv)
        free_args(args, owned);
}
