/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil` entry point and subcommand dispatcher.  Every subcommand plugs in
 * through the table below; `vigil --help` lists them from it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/core_audit.h"
#include "vigil/store_people.h"
#include "vigil/utc.h"

struct command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

static const struct command commands[] = {
    {"hash", "hash image files: PDQ, MD5, SHA-1, SHA-256", vg_cli_hash},
    {"lists", "manage hash lists: create, import, export, enable, ...",
     vg_cli_lists},
    {"match", "hash files and look them up in the hash lists", vg_cli_match},
    {"crawl", "crawl sites for known images; crawl status", vg_cli_crawl},
    {"detections", "what crawls found, with the evidence", vg_cli_detections},
    {"serve", "the server: tip-line, partner API, analyst console, notices",
     vg_cli_serve},
    {"notices", "notice and takedown: run-once, ls, show, report, test-smtp",
     vg_cli_notices},
    {"users", "console accounts: add, passwd, disable, enable, ls",
     vg_cli_users},
    {"apikeys", "partners' API keys: add, revoke, ls", vg_cli_apikeys},
    {"audit", "the audit log of analyst and admin actions: verify, ls",
     vg_cli_audit},
    {"providers", "hosting providers notices go to: import, export, lookup",
     vg_cli_providers},
};

int vg_cli_proxy_check(const char *cmd, const char *url)
{
    static const char *const schemes[] = {"http://",   "https://",
                                          "socks4://", "socks4a://",
                                          "socks5://", "socks5h://"};

    for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
        size_t n = strlen(schemes[i]);
        if (!strncmp(url, schemes[i], n) && url[n] && url[n] != '/')
            return 0;
    }
    vg_cli_errorf("%s: --proxy wants a URL such as http://proxy:3128 "
                  "(http, https, socks4, socks4a, socks5, socks5h), not '%s'",
                  cmd, url);
    return -1;
}

int vg_cli_open_store(const char *cmd, const char *db, struct vg_store **out)
{
    struct vg_err err = {0};
    char *url = db ? NULL : vg_store_default_url();
    char who[VG_OPERATOR_MAX + 1];
    int rc;

    if (!db && !url) {
        vg_cli_errorf("%s: no --db given and no default (set VIGIL_DB or "
                      "HOME)",
                      cmd);
        return VG_EINVAL;
    }
    rc = vg_store_open(db ? db : url, NULL, out, &err);
    if (rc)
        vg_cli_errorf("%s: %s", cmd, err.msg[0] ? err.msg : vg_strerror(rc));
    else if (!vg_core_operator_name(who, sizeof(who)))
        vg_store_set_operator(*out, who); /* names actor 0's records */
    vg_free(url);
    return rc;
}

void vg_cli_utc(int64_t t, char *buf, size_t n)
{
    if (!t || vg_utc_format(t, "%Y-%m-%dT%H:%M:%SZ", buf, n))
        snprintf(buf, n, "-");
}

int vg_cli_action(const char *cmd, int argc, char **argv,
                  const struct vg_cli_action *actions, size_t n,
                  void (*usage)(FILE *f), int *status)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        *status = argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (!strcmp(argv[1], actions[i].name))
            return (int)i;
    vg_cli_errorf("%s: unknown action '%s'", cmd, argv[1]);
    usage(stderr);
    *status = VG_EXIT_USAGE;
    return -1;
}

int vg_cli_parse_range(const char *cmd, const char *opt, const char *s,
                       long long lo, long long hi, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        vg_cli_errorf("%s: %s wants a number from %lld to %lld, not '%s'", cmd,
                      opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(
        f, "Usage: vigil [--help] [--version] COMMAND [ARGS...]\n"
           "\n"
           "Vigil: crawl, hash, match and take down known child sexual abuse\n"
           "material for hotlines and their partners.\n"
           "\n"
           "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'vigil COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VG_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *sub[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
                if (!strcmp(commands[i].name, argv[2]))
                    return commands[i].run(2, sub);
        }
        usage(stdout);
        return VG_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("vigil %s\n", VIGIL_VERSION);
        return VG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, argv[1]))
            return commands[i].run(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        vg_cli_errorf("unknown option '%s'", argv[1]);
    else
        vg_cli_errorf("unknown command '%s'", argv[1]);
    usage(stderr);
    return VG_EXIT_USAGE;
}

/* ---- options from a config file ---- */

#define CONFIG_MAX_OPTIONS 32
#define CONFIG_LINE_MAX 4096

static int is_flag(const char *const *flags, const char *k)
{
    for (; flags && *flags; flags++)
        if (!strcmp(*flags, k))
            return 1;
    return 0;
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
