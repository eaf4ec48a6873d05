/* SPDX-License-Identifier: Apache-2.0 */
/* Secret key files (vigil/keyfile.h). */
#include "vigil/keyfile.h"

#include <errno.h>
#include <fcntl.h>
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
    struct stat sb;
    int fd, rc = VG_OK;

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
    else if (sb.st_size != (off_t)n)
        rc = vg_err_set(err, VG_EFORMAT, "%s: %s file holds %zu bytes", path,
                        what, n);
    else if (read(fd, key, n) != (ssize_t)n)
        rc = vg_err_set(err, VG_EIO, "%s: cannot read the key", path);
    close(fd);
    if (rc)
        wipe(key, n);
    return rc;
}
