/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the --config FILE of `vigil serve` and `vigil notices`
 * (vg_cli_config_args, src/cli/cli_config.c), the input being the file
 * (written to a memfd and read through /proc/self/fd), with serve's flags.
 * Invariants checked (abort on violation): a failure says why (one
 * "serve: FILE:LINE: ..." message) and a success says nothing; on success
 * args[0] is argv[0], then options "--name" with a name of letters,
 * digits, '-' and '_' not starting with '-' (never "--" alone, which would
 * turn the command line's options into operands, and never "config"), a
 * flag without a value, any other name with a value without surrounding
 * space, at most 64 of them, then the command line's own arguments (so
 * they win); and the options written back as "name = value" lines read
 * back to the same arguments.  Never a crash, leak or undefined behaviour
 * (ASan+UBSan).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const flags[] = {"trust-proxy", "no-crawl", NULL};
static int said; /* messages since the last call */
static int fd = -1;
static char path[64];

/* The CLI's error printer, here counting and checking its messages. */
void vg_cli_errorf(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (strncmp(msg, "serve: ", 7) || !strchr(msg + 7, ':'))
        abort();
    said++;
}

static int is_flag(const char *k)
{
    for (const char *const *f = flags; *f; f++)
        if (!strcmp(*f, k))
            return 1;
    return 0;
}

static int name_ok(const char *k)
{
    if (!*k || *k == '-' || !strcmp(k, "config"))
        return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '-' && *k != '_')
            return 0;
    return 1;
}

static int load(const char *text, size_t n, char **argv, int argc,
                char ***args, int *nargs, int *owned)
{
    int rc;

    if (ftruncate(fd, 0) || (n && pwrite(fd, text, n, 0) != (ssize_t)n))
        abort();
    said = 0;
    rc = vg_cli_config_args("serve", path, flags, argc, argv, args, nargs,
                            owned);
    if (rc != VG_EXIT_OK && rc != VG_EXIT_FAIL)
        abort();
    if ((rc == VG_EXIT_OK) != (said == 0))
        abort();
    return rc;
}

/* Check the options; write them back as a config file into b. */
static void check(char **args, int nargs, int owned, char **argv, int argc,
                  struct vg_buf *b)
{
    int i = 1;

    if (strcmp(args[0], argv[0]) || owned > 1 + 2 * 64 ||
        nargs != owned + argc - 1)
        abort();
    while (i < owned) {
        const char *k = args[i++], *v;
        if (strncmp(k, "--", 2) || !name_ok(k + 2))
            abort();
        if (is_flag(k + 2)) {
            v = "yes";
        } else {
            if (i >= owned)
                abort();
            v = args[i++];
            if (isspace((unsigned char)*v) || strchr(v, '#') ||
                strchr(v, '\n') ||
                (*v && isspace((unsigned char)v[strlen(v) - 1])))
                abort();
        }
        if (vg_buf_printf(b, "%s = %s\n", k + 2, v))
            abort();
    }
    for (int j = 1; j < argc; j++)
        if (args[owned + j - 1] != argv[j])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char a0[] = "vigil", a1[] = "--listen", a2[] = "127.0.0.1:0";
    char *argv[] = {a0, a1, a2, NULL};
    char **args, **again;
    int nargs, owned, n2, o2;
    struct vg_buf b;

    if (fd < 0) {
        if ((fd = memfd_create("config", 0)) < 0)
            abort();
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    }
    if (load((const char *)data, size, argv, 3, &args, &nargs, &owned))
        return 0;
    vg_buf_init(&b, 0);
    check(args, nargs, owned, argv, 3, &b);
    if (load(b.data ? b.data : "", b.len, argv, 3, &again, &n2, &o2) ||
        n2 != nargs || o2 != owned)
        abort();
    for (int i = 0; i < nargs; i++)
        if (strcmp(args[i], again[i]))
            abort();
    vg_cli_config_free(again, argv, o2);
    vg_cli_config_free(args, argv, owned);
    vg_buf_fini(&b);
    return 0;
}
