/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact digests of file bytes as the pipeline gives them (struct
 * vg_digests: MD5, SHA-1 and SHA-256, computed by the registry's rows,
 * vigil/hashalgo.h), and their hex text.
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

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void vg_hex_encode(const uint8_t *bytes, size_t n, char *out);

#endif
