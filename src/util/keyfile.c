/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secret key files (vigil/keyfile.h).  A file is replaced whole: the new
 * content goes to PATH.new (O_EXCL, 0600), is synced, renamed over PATH
 * and the folder synced, so a kill at any point leaves PATH as it was or
 * as it became, never missing nor half written.
 */
#include "vigil/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* n bytes wiped where the compiler cannot drop it. */
static void wipe(unsigned char *p, size_t n)
{
    volatile unsigned char *v = p;

    while (n--)
        *v++ = 0;
}

static int create_key(const char *path, size_t n, struct vg_err *err)
{
    unsigned char key[64];
    int fd;
    ssize_t w;

    if (n > sizeof(key))
        return vg_err_set(err, VG_EINVAL, "a key of at most 64 bytes");
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return errno == EEXIST
                   ? VG_OK /* made meanwhile: use it */
                   : vg_err_set(err, VG_EIO, "%s: %s", path, strerror(errno));
    if (getrandom(key, n, 0) != (ssize_t)n) {
        close(fd);
        unlink(path);
        return vg_err_set(err, VG_EINTERNAL, "no random bytes for the key");
    }
    w = write(fd, key, n);
    wipe(key, n);
    if (w != (ssize_t)n || fsync(fd) || close(fd)) {
        unlink(path);
        return vg_err_set(err, VG_EIO, "%s: cannot write the key", path);
    }
    return VG_OK;
}

int vg_keyfile_read(const char *path, int create, const char *what,
                    unsigned char *key, size_t n, struct vg_err *err)
{
    size_t count = 0;

    return vg_keyfile_read_ring(path, create, what, key, n, 1, &count, err);
}

int vg_keyfile_read_ring(const char *path, int create, const char *what,
                         unsigned char *keys, size_t n, size_t max,
                         size_t *count, struct vg_err *err)
{
    struct stat sb;
    int fd, rc = VG_OK;

    *count = 0;
    if (create && (rc = create_key(path, n, err)))
        return rc;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EACCES,
                          "%s: %s", path, strerror(errno));
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
        (sb.st_mode & (S_IRWXG | S_IRWXO)))
        rc = vg_err_set(err, VG_EACCES,
                        "%s: %s file must be a regular file readable by its"
                        " owner only (chmod 600)",
                        path, what);
    else if (sb.st_size < (off_t)n || sb.st_size > (off_t)(n * max) ||
             sb.st_size % (off_t)n)
        rc = max == 1
                 ? vg_err_set(err, VG_EFORMAT, "%s: %s file holds %zu bytes",
                              path, what, n)
                 : vg_err_set(err, VG_EFORMAT,
                              "%s: %s file holds 1 to %zu keys of %zu"
                              " bytes",
                              path, what, max, n);
    else if (read(fd, keys, (size_t)sb.st_size) != (ssize_t)sb.st_size)
        rc = vg_err_set(err, VG_EIO, "%s: cannot read the key", path);
    close(fd);
    if (rc)
        wipe(keys, n * max);
    else
        *count = (size_t)sb.st_size / n;
    return rc;
}

/* Make the folder of path durable (the rename in it). */
static int sync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd, rc;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if ((size_t)(slash - path) >= sizeof(dir))
        return -1;
    else
        snprintf(dir, sizeof(dir), "%.*s",
                 slash == path ? 1 : (int)(slash - path), path);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int vg_keyfile_write(const char *path, const unsigned char *keys, size_t len,
                     struct vg_err *err)
{
    char tmp[4096];
    int fd;
    ssize_t w;

    if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
        return vg_err_set(err, VG_ETOOBIG, "%s: path too long", path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                   0600)) < 0)
        return errno == EEXIST
                   ? vg_err_set(err, VG_EEXIST,
                                "%s exists: another change of the key file is"
                                " under way, or one was interrupted (remove"
                                " %s if none runs)",
                                tmp, tmp)
                   : vg_err_set(err, VG_EIO, "%s: %s", tmp, strerror(errno));
    w = write(fd, keys, len);
    if (w != (ssize_t)len || fsync(fd) || close(fd)) {
        unlink(tmp);
        return vg_err_set(err, VG_EIO, "%s: cannot write the key", tmp);
    }
    if (rename(tmp, path)) {
        unlink(tmp);
        return vg_err_set(err, VG_EIO, "%s: %s", path, strerror(errno));
    }
    if (sync_dir(path))
        return vg_err_set(err, VG_EIO, "%s: cannot sync its folder", path);
    return VG_OK;
}

int vg_keyfile_rename(const char *from, const char *to, struct vg_err *err)
{
    if (rename(from, to))
        return vg_err_set(err, VG_EIO, "%s: %s", to, strerror(errno));
    if (sync_dir(to))
        return vg_err_set(err, VG_EIO, "%s: cannot sync its folder", to);
    return VG_OK;
}

int vg_keyfile_random(unsigned char *key, size_t n, struct vg_err *err)
{
    if (getrandom(key, n, 0) != (ssize_t)n)
        return vg_err_set(err, VG_EINTERNAL, "no random bytes for the key");
    return VG_OK;
}
