/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hex text of digests (include/vigil/digest.h).  The digests themselves are
 * registry rows (src/hash/algo_digests.c).
 */
#include "vigil/digest.h"

void vg_hex_encode(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}
