/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Times as text in UTC (vigil/utc.h).
 */
#include <time.h>

#include "vigil/error.h"
#include "vigil/utc.h"

int vg_utc_format(int64_t t, const char *fmt, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;

    size_t len = 0;

    if (!n)
        return VG_EINVAL;
        /* fmt is checked at every call (the format attribute in utc.h) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    if (gmtime_r(&tt, &tm))
        len = strftime(buf, n, fmt, &tm);
#pragma GCC diagnostic pop
    if (!len) {
        buf[0] = '\0';
        return VG_EINVAL;
    }
    return VG_OK;
}

void vg_utc_text(int64_t t, char out[VG_UTC_TEXT_LEN])
{
    vg_utc_format(t, "%Y-%m-%d %H:%M UTC", out, VG_UTC_TEXT_LEN);
}
