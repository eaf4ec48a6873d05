/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact digests of file bytes: MD5, SHA-1 and SHA-256 together, updated in
 * one pass as the bytes are read (OpenSSL libcrypto EVP).
 * Thread safety: one context per thread.
 */
#ifndef VIGIL_DIGEST_H
#define VIGIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

struct vg_digests {
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
};

struct vg_digest_ctx;

int vg_digest_new(struct vg_digest_ctx **out);
int vg_digest_update(struct vg_digest_ctx *c, const void *data, size_t len);
/* Finish into *out; the context may be reused after vg_digest_reset. */
int vg_digest_final(struct vg_digest_ctx *c, struct vg_digests *out);
int vg_digest_reset(struct vg_digest_ctx *c);
void vg_digest_free(struct vg_digest_ctx *c);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void vg_hex_encode(const uint8_t *bytes, size_t n, char *out);

#endif
