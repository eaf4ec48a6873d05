/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the runtime module: what its threads share (clock.c), the
 * deadline of a timed wait and a log line built from a format.
 */
#ifndef VIGIL_RUNTIME_INT_H
#define VIGIL_RUNTIME_INT_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME ms from now, as pthread_cond_timedwait wants it. */
struct timespec vg__rt_after(int64_t ms);

/* CLOCK_REALTIME in Unix milliseconds. */
int64_t vg__rt_now_ms(void);

/* Format one line (at most 767 bytes) and hand it to log (NULL: none). */
void vg__rt_say(void (*log)(void *ctx, const char *line), void *ctx,
                const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
