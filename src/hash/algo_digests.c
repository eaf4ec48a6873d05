/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact digests as registry rows (vigil/hashalgo.h): MD5, SHA-1 and
 * SHA-256 of a file's bytes (OpenSSL libcrypto), matched by equality in
 * an exact set.
 */
#include <openssl/evp.h>

#include "vigil/hashalgo.h"

static int digest(const EVP_MD *md, size_t size, const uint8_t *data,
                  size_t len, uint8_t *out)
{
    unsigned n = 0;

    if (EVP_Digest(data, len, out, &n, md, NULL) != 1 || n != size)
        return VG_EINTERNAL;
    return VG_OK;
}

static int md5(const uint8_t *data, size_t len, uint8_t *out)
{
    return digest(EVP_md5(), 16, data, len, out);
}

static int sha1(const uint8_t *data, size_t len, uint8_t *out)
{
    return digest(EVP_sha1(), 20, data, len, out);
}

static int sha256(const uint8_t *data, size_t len, uint8_t *out)
{
    return digest(EVP_sha256(), 32, data, len, out);
}

const struct vg_hashalgo vg__algo_md5 = {.name = "md5",
                                         .title = "MD5",
                                         .size = 16,
                                         .kind = VG_HASHALGO_EXACT,
                                         .max_distance = 1,
                                         .distance = vg_hashalgo_equal,
                                         .hash_bytes = md5};

const struct vg_hashalgo vg__algo_sha1 = {.name = "sha1",
                                          .alias = "sha-1",
                                          .title = "SHA-1",
                                          .size = 20,
                                          .kind = VG_HASHALGO_EXACT,
                                          .max_distance = 1,
                                          .distance = vg_hashalgo_equal,
                                          .hash_bytes = sha1};

const struct vg_hashalgo vg__algo_sha256 = {.name = "sha256",
                                            .alias = "sha-256",
                                            .title = "SHA-256",
                                            .size = 32,
                                            .kind = VG_HASHALGO_EXACT,
                                            .max_distance = 1,
                                            .distance = vg_hashalgo_equal,
                                            .hash_bytes = sha256};
