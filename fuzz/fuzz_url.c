/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for URL resolution and canonicalisation: the input up to its
 * first newline is the base, the rest the reference.  Whatever comes out
 * must be within VG_URL_MAX, start with http:// or https://, and be a fixed
 * point of vg_url_canonical (canonicalising twice changes nothing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    char *base = NULL, *out = NULL, *again = NULL;
    size_t blen = nl ? (size_t)(nl - data) : 0;

    if (!(base = malloc(blen + 1)))
        return 0;
    memcpy(base, data, blen);
    base[blen] = '\0';
    if (nl) {
        data = nl + 1;
        size -= blen + 1;
    }
    if (vg_url_resolve(nl && blen ? base : NULL, (const char *)data, size,
                       &out, NULL) == VG_OK) {
        if (strlen(out) > VG_URL_MAX ||
            (strncmp(out, "http://", 7) && strncmp(out, "https://", 8)))
            abort();
        if (vg_url_canonical(out, &again, NULL) != VG_OK || strcmp(out, again))
            abort();
    }
    vg_free(out);
    vg_free(again);
    free(base);
    return 0;
}
