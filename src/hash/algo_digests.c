/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The exact digests as registry rows (vigil/hashalgo.h): MD5, SHA-1 and
 * SHA-256 of a file's bytes (OpenSSL libcrypto), matched by equality in
 * an exact set.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "vigil/hashalgo.h"

/*
 * libcrypto is opened on the first digest (pthread_once: any thread may be
 * first), not linked: `vigil hash` without --json prints no digest, and
 * loading libcrypto (4.5 MB, ~125 page faults) was a third of its start-up.
 * In vigil-core, which links libcrypto anyway, dlopen finds it loaded.
 */
static struct {
    const EVP_MD *(*md5)(void);
    const EVP_MD *(*sha1)(void);
    const EVP_MD *(*sha256)(void);
    int (*digest)(const void *, size_t, unsigned char *, unsigned int *,
                  const EVP_MD *, ENGINE *);
    int ok;
} crypto;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

/* *fn = the symbol name of h (function pointers cannot be assigned from
   void * in ISO C, but their bytes can); 1 if found. */
static int sym(void *h, const char *name, void *fn, size_t size)
{
    void *p = dlsym(h, name);

    if (!p || size != sizeof(p))
        return 0;
    memcpy(fn, &p, size);
    return 1;
}

static void crypto_load(void)
{
    void *h = dlopen(VG_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);

    if (!h)
        return;
    crypto.ok = sym(h, "EVP_md5", &crypto.md5, sizeof(crypto.md5)) &&
                sym(h, "EVP_sha1", &crypto.sha1, sizeof(crypto.sha1)) &&
                sym(h, "EVP_sha256", &crypto.sha256, sizeof(crypto.sha256)) &&
                sym(h, "EVP_Digest", &crypto.digest, sizeof(crypto.digest));
}

static int digest(int which, size_t size, const uint8_t *data, size_t len,
                  uint8_t *out)
{
    const EVP_MD *md;
    unsigned n = 0;

    pthread_once(&crypto_once, crypto_load);
    if (!crypto.ok)
        return VG_EINTERNAL;
    md = which == 0   ? crypto.md5()
         : which == 1 ? crypto.sha1()
                      : crypto.sha256();
    if (crypto.digest(data, len, out, &n, md, NULL) != 1 || n != size)
        return VG_EINTERNAL;
    return VG_OK;
}

static int md5(const uint8_t *data, size_t len, uint8_t *out)
{
    return digest(0, 16, data, len, out);
}

static int sha1(const uint8_t *data, size_t len, uint8_t *out)
{
    return digest(1, 20, data, len, out);
}

static int sha256(const uint8_t *data, size_t len, uint8_t *out)
{
    return digest(2, 32, data, len, out);
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
