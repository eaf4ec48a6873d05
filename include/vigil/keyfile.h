/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret key files kept apart from the database (the sealing key, the
 * audit key): a regular file of exactly the key's length, readable by its
 * owner only, made from the kernel's random bytes when asked to.
 */
#ifndef VIGIL_KEYFILE_H
#define VIGIL_KEYFILE_H

#include <stddef.h>

#include "vigil/error.h"

/*
 * Read the n-byte key of file path into key.  With create, a missing file
 * is made first (0600, n random bytes, synced; one made meanwhile by
 * another process is used).  what names the key in messages ("the audit
 * key").  VG_ENOENT when it is missing (and not created), VG_EACCES when
 * it is not a regular file or others may read it (the message says
 * chmod 600), VG_EFORMAT for another length, VG_EIO otherwise.  key is
 * wiped on failure.
 */
int vg_keyfile_read(const char *path, int create, const char *what,
                    unsigned char *key, size_t n, struct vg_err *err);

#endif
