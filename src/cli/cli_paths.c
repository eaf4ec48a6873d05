/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where vigil-core finds web/ (templates, static files, notice texts) and
 * data/ (the RDAP bootstrap files) when no option names them.  A binary of
 * the build tree uses the source tree's; an installed one the folder
 * installed beside it, found from its own place (VIGIL_CORE_TO_SHARE, the
 * path from the core's folder to the share folder: /usr/lib/vigil/vigil-core
 * uses /usr/share/vigil), so an install under any prefix works without
 * --web.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static char web_dir[PATH_MAX], data_dir[PATH_MAX], notices_dir[PATH_MAX];
static char rdap[2][PATH_MAX]; /* data/rdap-bootstrap-ipv{4,6}.json */
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* This binary's folder into dir (PATH_MAX bytes); 0, or -1 when unknown. */
static int exe_dir(char *dir)
{
    ssize_t len = readlink("/proc/self/exe", dir, PATH_MAX - 1);
    char *slash;

    if (len <= 0)
        return -1;
    dir[len] = '\0';
    if (!(slash = strrchr(dir, '/')))
        return -1;
    *slash = '\0';
    return 0;
}

/* Whether dir is the build tree's folder of binaries (VIGIL_BUILD_DIR). */
static int in_build_tree(const char *dir)
{
    char build[PATH_MAX];

    return realpath(VIGIL_BUILD_DIR, build) && !strcmp(build, dir);
}

/* a + b into out (PATH_MAX bytes); "" when too long (then no default). */
static void join(char *out, const char *a, const char *b)
{
    if (snprintf(out, PATH_MAX, "%s%s", a, b) >= PATH_MAX)
        out[0] = '\0';
}

static void resolve(void)
{
    char dir[PATH_MAX];

    if (exe_dir(dir) || in_build_tree(dir)) {
        join(web_dir, VIGIL_WEB_DIR, "");
        join(data_dir, VIGIL_DATA_DIR, "");
    } else {
        join(web_dir, dir, "/" VIGIL_CORE_TO_SHARE "/web");
        join(data_dir, dir, "/" VIGIL_CORE_TO_SHARE "/data");
    }
    join(notices_dir, web_dir, "/notices");
    join(rdap[0], data_dir, "/rdap-bootstrap-ipv4.json");
    join(rdap[1], data_dir, "/rdap-bootstrap-ipv6.json");
}

const char *vg_cli_web_dir(void)
{
    pthread_once(&once, resolve);
    return web_dir;
}

const char *vg_cli_notices_dir(void)
{
    pthread_once(&once, resolve);
    return notices_dir;
}

const char *vg_cli_data_dir(void)
{
    pthread_once(&once, resolve);
    return data_dir;
}

const char *vg_cli_rdap_bootstrap(int ipv6)
{
    pthread_once(&once, resolve);
    return rdap[ipv6 != 0];
}
