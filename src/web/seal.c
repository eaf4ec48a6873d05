/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest (vigil/seal.h) over libsodium's secretbox.  The key
 * lives in libsodium's guarded memory (locked, not swapped, wiped).
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/alloc.h"
#include "vigil/seal.h"

#define KEY_LEN crypto_secretbox_KEYBYTES
#define NONCE_LEN crypto_secretbox_NONCEBYTES
#define TAG_LEN crypto_secretbox_MACBYTES

struct vg_sealer {
    unsigned char *key; /* sodium_malloc'd */
};

static int create_key(const char *path, struct vg_err *err)
{
    unsigned char key[KEY_LEN];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ssize_t w;

    if (fd < 0)
        return errno == EEXIST
                   ? VG_OK /* made meanwhile: use it */
                   : vg_err_set(err, VG_EIO, "%s: %s", path, strerror(errno));
    randombytes_buf(key, sizeof(key));
    w = write(fd, key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    if (w != (ssize_t)sizeof(key) || fsync(fd) || close(fd)) {
        unlink(path);
        return vg_err_set(err, VG_EIO, "%s: cannot write the key", path);
    }
    return VG_OK;
}

int vg_seal_open(const char *path, int create, struct vg_sealer **out,
                 struct vg_err *err)
{
    struct vg_sealer *s = NULL;
    struct stat sb;
    int fd = -1, rc;
    ssize_t r;

    *out = NULL;
    if (sodium_init() < 0)
        return vg_err_set(err, VG_EINTERNAL, "libsodium did not start");
    if (create && (rc = create_key(path, err)))
        return rc;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EACCES,
                          "%s: %s", path, strerror(errno));
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
        (sb.st_mode & (S_IRWXG | S_IRWXO))) {
        rc = vg_err_set(err, VG_EACCES,
                        "%s: the key file must be a regular file readable"
                        " by its owner only (chmod 600)",
                        path);
        goto fail;
    }
    if (sb.st_size != KEY_LEN) {
        rc = vg_err_set(err, VG_EFORMAT, "%s: a key file holds %d bytes", path,
                        KEY_LEN);
        goto fail;
    }
    if (!(s = vg_calloc(1, sizeof(*s))) ||
        !(s->key = sodium_malloc(KEY_LEN))) {
        rc = VG_ENOMEM;
        goto fail;
    }
    if ((r = read(fd, s->key, KEY_LEN)) != KEY_LEN) {
        rc = vg_err_set(err, VG_EIO, "%s: cannot read the key", path);
        goto fail;
    }
    sodium_mprotect_readonly(s->key);
    close(fd);
    *out = s;
    return VG_OK;
fail:
    if (fd >= 0)
        close(fd);
    vg_seal_free(s);
    return rc;
}

void vg_seal_free(struct vg_sealer *s)
{
    if (!s)
        return;
    sodium_free(s->key); /* wipes it */
    vg_free(s);
}

int vg_seal(const struct vg_sealer *s, const void *plain, size_t n,
            uint8_t **out, size_t *outn)
{
    uint8_t *b;

    *out = NULL;
    *outn = 0;
    if (n > SIZE_MAX - NONCE_LEN - TAG_LEN ||
        !(b = vg_malloc(NONCE_LEN + TAG_LEN + n)))
        return VG_ENOMEM;
    randombytes_buf(b, NONCE_LEN);
    crypto_secretbox_easy(b + NONCE_LEN, plain, n, b, s->key);
    *out = b;
    *outn = NONCE_LEN + TAG_LEN + n;
    return VG_OK;
}

int vg_unseal(const struct vg_sealer *s, const uint8_t *sealed, size_t n,
              char **out, size_t *outn, struct vg_err *err)
{
    char *p;

    *out = NULL;
    *outn = 0;
    if (n < NONCE_LEN + TAG_LEN)
        return vg_err_set(err, VG_ECORRUPT, "sealed data too short");
    if (!(p = vg_malloc(n - NONCE_LEN - TAG_LEN + 1)))
        return VG_ENOMEM;
    if (crypto_secretbox_open_easy((unsigned char *)p, sealed + NONCE_LEN,
                                   n - NONCE_LEN, sealed, s->key)) {
        vg_free(p);
        return vg_err_set(err, VG_ECORRUPT,
                          "sealed data changed or sealed under another key");
    }
    p[n - NONCE_LEN - TAG_LEN] = 0;
    *out = p;
    *outn = n - NONCE_LEN - TAG_LEN;
    return VG_OK;
}
