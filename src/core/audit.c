/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local operator's name (vigil/core_audit.h), from the password
 * database with the reentrant lookup, so any thread may ask.
 */
#include <pwd.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "vigil/core_audit.h"

int vg_core_operator_name(char *buf, size_t cap)
{
    struct passwd pw, *found = NULL;
    char scratch[1024];
    uid_t uid = geteuid();
    int n;

    if (!getpwuid_r(uid, &pw, scratch, sizeof(scratch), &found) && found &&
        found->pw_name && *found->pw_name)
        n = snprintf(buf, cap, "cli:%s", found->pw_name);
    else
        n = snprintf(buf, cap, "cli:uid%lu", (unsigned long)uid);
    return n < 0 || (size_t)n >= cap ? VG_ETOOBIG : VG_OK;
}
