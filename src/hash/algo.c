/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Names and sizes of hash values (from the registry, vigil/hashalgo.h)
 * and their canonical byte form (vigil/algo.h).
 * The canonical form of a PDQ hash is its hex text decoded byte by byte, so
 * byte 2k is the high byte of word 15-k (spec section 9).
 */
#include <string.h>

#include "vigil/hashalgo.h"

const char *vg_algo_name(enum vg_algo a)
{
    const struct vg_hashalgo *h = vg_hashalgo_get(a);

    return h ? h->name : NULL;
}

size_t vg_algo_size(enum vg_algo a)
{
    const struct vg_hashalgo *h = vg_hashalgo_get(a);

    return h ? h->size : 0;
}

unsigned vg_algo_count(void)
{
    return vg_hashalgo_count();
}

int vg_algo_from_name(const char *name, size_t len, enum vg_algo *out)
{
    return vg_hashalgo_find(name, len, out);
}

int vg_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int vg_hex_decode(const char *hex, size_t len, uint8_t *out, size_t n)
{
    if (!hex || len != 2 * n)
        return VG_EINVAL;
    for (size_t i = 0; i < n; i++) {
        int hi = vg_hex_value((unsigned char)hex[2 * i]),
            lo = vg_hex_value((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return VG_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return VG_OK;
}

void vg_pdq_to_bytes(const struct vg_pdq_hash *h, uint8_t out[32])
{
    for (int k = 0; k < 16; k++) {
        out[2 * k] = (uint8_t)(h->w[15 - k] >> 8);
        out[2 * k + 1] = (uint8_t)(h->w[15 - k] & 0xff);
    }
}

void vg_pdq_from_bytes(const uint8_t in[32], struct vg_pdq_hash *out)
{
    for (int k = 0; k < 16; k++)
        out->w[15 - k] = (uint16_t)(in[2 * k] << 8 | in[2 * k + 1]);
}
