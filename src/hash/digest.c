/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MD5, SHA-1 and SHA-256 of a byte stream in one pass (OpenSSL EVP,
 * include/vigil/digest.h).  Invariant: the three contexts always cover the
 * same bytes.
 */
#include <openssl/evp.h>

#include "vigil/alloc.h"
#include "vigil/digest.h"

struct vg_digest_ctx {
    EVP_MD_CTX *md5, *sha1, *sha256;
};

void vg_digest_free(struct vg_digest_ctx *c)
{
    if (!c)
        return;
    EVP_MD_CTX_free(c->md5);
    EVP_MD_CTX_free(c->sha1);
    EVP_MD_CTX_free(c->sha256);
    vg_free(c);
}

int vg_digest_reset(struct vg_digest_ctx *c)
{
    if (EVP_DigestInit_ex(c->md5, EVP_md5(), NULL) != 1 ||
        EVP_DigestInit_ex(c->sha1, EVP_sha1(), NULL) != 1 ||
        EVP_DigestInit_ex(c->sha256, EVP_sha256(), NULL) != 1)
        return VG_EINTERNAL;
    return VG_OK;
}

int vg_digest_new(struct vg_digest_ctx **out)
{
    struct vg_digest_ctx *c = vg_calloc(1, sizeof(*c));
    int rc = VG_ENOMEM;

    *out = NULL;
    if (!c)
        return VG_ENOMEM;
    c->md5 = EVP_MD_CTX_new();
    c->sha1 = EVP_MD_CTX_new();
    c->sha256 = EVP_MD_CTX_new();
    if (!c->md5 || !c->sha1 || !c->sha256)
        goto fail;
    if ((rc = vg_digest_reset(c)))
        goto fail;
    *out = c;
    return VG_OK;
fail:
    vg_digest_free(c);
    return rc;
}

int vg_digest_update(struct vg_digest_ctx *c, const void *data, size_t len)
{
    if (EVP_DigestUpdate(c->md5, data, len) != 1 ||
        EVP_DigestUpdate(c->sha1, data, len) != 1 ||
        EVP_DigestUpdate(c->sha256, data, len) != 1)
        return VG_EINTERNAL;
    return VG_OK;
}

int vg_digest_final(struct vg_digest_ctx *c, struct vg_digests *out)
{
    unsigned n = 0;

    if (EVP_DigestFinal_ex(c->md5, out->md5, &n) != 1 || n != 16 ||
        EVP_DigestFinal_ex(c->sha1, out->sha1, &n) != 1 || n != 20 ||
        EVP_DigestFinal_ex(c->sha256, out->sha256, &n) != 1 || n != 32)
        return VG_EINTERNAL;
    return VG_OK;
}

void vg_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}
