/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error codes and error detail shared by every Vigil module.
 *
 * Functions that can fail return VG_OK (0) or a negative VG_E* code from the
 * one X-macro table below, which also generates vg_strerror().  Human detail
 * goes into an optional struct vg_err the caller owns (NULL is allowed
 * everywhere).  Thread safety: all functions here are thread-safe.
 */
#ifndef VIGIL_ERROR_H
#define VIGIL_ERROR_H

#include <stddef.h>

#define VG_ERRNO_MAP(XX)                                                      \
    XX(ENOMEM, "out of memory")                                               \
    XX(EINVAL, "invalid argument")                                            \
    XX(EIO, "input/output error")                                             \
    XX(ENOENT, "no such file or directory")                                   \
    XX(EACCES, "permission denied")                                           \
    XX(EISDIR, "is a directory")                                              \
    XX(ETOOBIG, "input exceeds the configured limit")                         \
    XX(EFORMAT, "unsupported format")                                         \
    XX(ECORRUPT, "corrupt data")                                              \
    XX(EUSAGE, "usage error")                                                 \
    XX(EEXIST, "already exists")                                              \
    XX(EVERSION, "unsupported version")                                       \
    XX(EBUSY, "resource busy")                                                \
    XX(EINTERNAL, "internal error")

enum vg_errno {
    VG_OK = 0,
#define XX(code, _) VG_##code,
    VG__ERRNO_FIRST = -1000,
    VG_ERRNO_MAP(XX)
#undef XX
        VG__ERRNO_END
};

/* Human-readable detail for the last failure; msg is always NUL-terminated. */
struct vg_err {
    int code;
    char msg[512];
};

/* Static text for a VG_* code (never NULL; "unknown error" for others). */
const char *vg_strerror(int code);

/*
 * Record code and a printf-style message in err (which may be NULL) and
 * return code, so callers can write `return vg_err_set(err, VG_EIO, ...)`.
 */
int vg_err_set(struct vg_err *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Reset err (may be NULL) to "no error". */
void vg_err_clear(struct vg_err *err);

#endif
