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

/*
 * A key ring: a file of 1 to max keys of n bytes one after the other (a
 * file of one key is a ring of one), read into keys (room for max), their
 * number in *count.  Made (one key) and checked as vg_keyfile_read does;
 * another length is VG_EFORMAT.  keys is wiped on failure.
 */
int vg_keyfile_read_ring(const char *path, int create, const char *what,
                         unsigned char *keys, size_t n, size_t max,
                         size_t *count, struct vg_err *err);

/*
 * Replace path's content with the len bytes of keys, atomically: written
 * to path + ".new" (created with O_EXCL, mode 0600), synced, renamed over
 * path, the folder synced.  VG_EEXIST when path.new exists (another
 * writer, or one killed: the message says to remove it), VG_EIO otherwise.
 * Not for two writers at once: the O_EXCL file turns the second away.
 */
int vg_keyfile_write(const char *path, const unsigned char *keys, size_t len,
                     struct vg_err *err);

/* Put key file from in place of to (rename, then the folder synced). */
int vg_keyfile_rename(const char *from, const char *to, struct vg_err *err);

/* n random bytes from the kernel; VG_EINTERNAL if there are none. */
int vg_keyfile_random(unsigned char *key, size_t n, struct vg_err *err);

#endif
