/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest (vigil/seal.h) over libsodium's secretbox.  The key
 * lives in libsodium's guarded memory (locked, not swapped, wiped).
 */
#include <sodium.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/keyfile.h"
#include "vigil/seal.h"

#define KEY_LEN crypto_secretbox_KEYBYTES
#define NONCE_LEN crypto_secretbox_NONCEBYTES
#define TAG_LEN crypto_secretbox_MACBYTES

struct vg_sealer {
    unsigned char *key; /* sodium_malloc'd */
};

int vg_seal_open(const char *path, int create, struct vg_sealer **out,
                 struct vg_err *err)
{
    struct vg_sealer *s = NULL;
    int rc;

    *out = NULL;
    if (sodium_init() < 0)
        return vg_err_set(err, VG_EINTERNAL, "libsodium did not start");
    if (!(s = vg_calloc(1, sizeof(*s))) ||
        !(s->key = sodium_malloc(KEY_LEN))) {
        vg_seal_free(s);
        return VG_ENOMEM;
    }
    if ((rc = vg_keyfile_read(path, create, "the sealing key", s->key, KEY_LEN,
                              err))) {
        vg_seal_free(s);
        return rc;
    }
    sodium_mprotect_readonly(s->key);
    *out = s;
    return VG_OK;
}

void vg_seal_free(struct vg_sealer *s)
{
    if (!s)
        return;
    sodium_free(s->key); /* wipes it */
    vg_free(s);
}

int vg_seal_derive(const struct vg_sealer *s, const char purpose[8],
                   unsigned char *out, size_t n)
{
    if (n < crypto_kdf_BYTES_MIN || n > crypto_kdf_BYTES_MAX)
        return VG_EINVAL;
    return crypto_kdf_derive_from_key(out, n, 1, purpose, s->key)
               ? VG_EINTERNAL
               : VG_OK;
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
