/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times as text, in UTC (module `util`): the one place Vigil turns Unix
 * seconds into words.  Thread-safe.
 */
#ifndef VIGIL_UTC_H
#define VIGIL_UTC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Unix seconds t in UTC as strftime's fmt into buf (n bytes).  VG_OK, or
 * VG_EINVAL with buf "" when t is out of range or buf is too small.
 */
int vg_utc_format(int64_t t, const char *fmt, char *buf, size_t n)
#if defined(__GNUC__)
    __attribute__((format(strftime, 2, 0)))
#endif
    ;

/* "2026-11-29 14:03 UTC", how the console and notices show a time. */
#define VG_UTC_TEXT_LEN 24
void vg_utc_text(int64_t t, char out[VG_UTC_TEXT_LEN]);

#endif
