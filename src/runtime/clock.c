/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime's threads' timed waits and log lines (runtime_int.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "runtime/runtime_int.h"

struct timespec vg__rt_after(int64_t ms)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return until;
}

int64_t vg__rt_now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void vg__rt_say(void (*log)(void *ctx, const char *line), void *ctx,
                const char *fmt, ...)
{
    char line[768];
    va_list ap;

    if (!log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log(ctx, line);
}
