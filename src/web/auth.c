/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Passwords (vigil/auth.h) over libsodium's Argon2id.
 */
#include <sodium.h>
#include <string.h>

#include "vigil/auth.h"
#include "vigil/buf.h"
#include "vigil/store_people.h"

#define OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEMLIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

int vg_auth_init(void)
{
    return sodium_init() >= 0 ? VG_OK : VG_EINTERNAL;
}

int vg_auth_password_check(const char *pw, struct vg_err *err)
{
    size_t n = strlen(pw);
    long chars;

    if (n > VG_PASSWORD_MAX)
        return vg_err_set(err, VG_EINVAL, "a password has at most %d bytes",
                          VG_PASSWORD_MAX);
    if ((chars = vg_utf8_count(pw, n)) < 0)
        return vg_err_set(err, VG_EINVAL, "the password is not valid UTF-8");
    if (chars < VG_PASSWORD_MIN)
        return vg_err_set(err, VG_EINVAL,
                          "a password has at least %d characters (a few words"
                          " make a good one)",
                          VG_PASSWORD_MIN);
    return VG_OK;
}

int vg_auth_hash_password(const char *pw, char *out, struct vg_err *err)
{
    char h[crypto_pwhash_STRBYTES];
    int rc;

    if ((rc = vg_auth_init()))
        return vg_err_set(err, rc, "libsodium did not start");
    if ((rc = vg_auth_password_check(pw, err)))
        return rc;
    if (crypto_pwhash_str(h, pw, strlen(pw), OPSLIMIT, MEMLIMIT) != 0)
        return vg_err_set(err, VG_ENOMEM,
                          "cannot hash the password (Argon2id needs 64 MiB)");
    if (strlen(h) > VG_PASSWORD_HASH_MAX)
        return vg_err_set(err, VG_EINTERNAL, "password hash too long");
    memcpy(out, h, strlen(h) + 1);
    sodium_memzero(h, sizeof(h));
    return VG_OK;
}

int vg_auth_verify_password(const char *hash, const char *pw)
{
    if (vg_auth_init() || strlen(pw) > VG_PASSWORD_MAX ||
        strncmp(hash, crypto_pwhash_STRPREFIX,
                strlen(crypto_pwhash_STRPREFIX)))
        return 0;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

int vg_auth_needs_rehash(const char *hash)
{
    return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}

int vg_auth_apikey_new(char key[VG_APIKEY_LEN + 1], unsigned char hash[32])
{
    unsigned char r[32];

    if (vg_auth_init())
        return VG_EINTERNAL;
    randombytes_buf(r, sizeof(r));
    memcpy(key, "vgk_", 4);
    sodium_bin2hex(key + 4, VG_APIKEY_LEN - 4 + 1, r, sizeof(r));
    sodium_memzero(r, sizeof(r));
    return vg_auth_apikey_hash(key, hash);
}

int vg_auth_apikey_hash(const char *key, unsigned char hash[32])
{
    size_t n = strlen(key);

    if (n != VG_APIKEY_LEN || strncmp(key, "vgk_", 4))
        return VG_EINVAL;
    for (size_t i = 4; i < n; i++)
        if (!((key[i] >= '0' && key[i] <= '9') ||
              (key[i] >= 'a' && key[i] <= 'f')))
            return VG_EINVAL;
    if (vg_auth_init())
        return VG_EINTERNAL;
    crypto_hash_sha256(hash, (const unsigned char *)key, n);
    return VG_OK;
}

const char vg_auth_dummy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$HRfxAB5RRzIzEC6YwXr+WQ$"
    "8B9HdSqEirLvpjL/NX5QzLaa+zZQFaCmiEiVVDwJioA";
