/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `vigil` front binary.  `vigil hash` (people run it per file from
 * scripts and `find -exec`) and `--version` run here; this binary links
 * only what hashing needs (the image decoders, libcrypto for --json's
 * digests), so it starts in about a millisecond.  Every other command
 * replaces this process (execv, same pid) with `vigil-core`, found next to
 * this binary, which links curl, SQLite, libmicrohttpd, libsodium, libpsl
 * and the rest: loading and relocating those ~40 shared libraries was most
 * of the start-up time of every `vigil hash`.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* The path of vigil-core: this binary's folder + "/vigil-core". */
static int core_path(char *out, size_t n)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;

    if (len <= 0)
        return -1;
    self[len] = '\0';
    if (!(slash = strrchr(self, '/')))
        return -1;
    *slash = '\0';
    return snprintf(out, n, "%s/vigil-core", self) < (int)n ? 0 : -1;
}

int main(int argc, char **argv)
{
    char core[PATH_MAX];

    if (argc >= 2 && !strcmp(argv[1], "hash"))
        return vg_cli_hash(argc - 1, argv + 1);
    if (argc >= 2 &&
        (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("vigil %s\n", VIGIL_VERSION);
        return VG_EXIT_OK;
    }
    if (core_path(core, sizeof(core))) {
        vg_cli_errorf("cannot find vigil-core next to this binary");
        return VG_EXIT_FAIL;
    }
    execv(core, argv);
    vg_cli_errorf("cannot run %s: %s", core, strerror(errno));
    return VG_EXIT_FAIL;
}
