/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error table (include/vigil/error.h) and the detail buffer helpers.
 * Invariant: vg_err.msg is always NUL-terminated.
 */
#include <stdarg.h>
#include <stdio.h>

#include "vigil/error.h"

const char *vg_strerror(int code)
{
    switch (code) {
    case VG_OK:
        return "success";
#define XX(c, text)                                                           \
    case VG_##c:                                                              \
        return text;
        VG_ERRNO_MAP(XX)
#undef XX
    default:
        return "unknown error";
    }
}

int vg_err_set(struct vg_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void vg_err_clear(struct vg_err *err)
{
    if (!err)
        return;
    err->code = VG_OK;
    err->msg[0] = '\0';
}
