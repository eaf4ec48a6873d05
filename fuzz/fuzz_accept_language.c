/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: Accept-Language negotiation (vg_i18n_negotiate,
 * src/web/i18n.c).  The first byte picks the supported languages (the
 * server's "en", "fr", or a longer list with regional tags); the rest is
 * the header's value.  Invariants checked (abort on violation): the answer
 * is always one of the supported tags (the very pointer); the header in
 * upper case gets the same answer (tags and "q=" are case-insensitive);
 * and with a supported tag put first at q=1 the answer is that tag or one
 * related to it by prefix ("fr" and "fr-CA").  Never a crash or undefined
 * behaviour (ASan+UBSan).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const server[] = {"en", "fr"};
static const char *const reversed[] = {"fr", "en"};
static const char *const regional[] = {"en",    "fr",        "fr-CA",
                                       "de-CH", "pt-BR",     "zh-Hant-TW",
                                       "de",    "sr-Latn-RS"};

static const struct {
    const char *const *tags;
    size_t n;
} sets[] = {{server, 2}, {reversed, 2}, {regional, 8}};

/* The index of the answer in tags, or abort. */
static size_t pick(const char *h, const char *const *tags, size_t n)
{
    const char *r = vg_i18n_negotiate(h, tags, n);

    for (size_t i = 0; i < n; i++)
        if (r == tags[i])
            return i;
    abort();
}

/* a equals b or is b followed by '-' and more (case-insensitive) */
static int prefix(const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);

    return al >= bl && !strncasecmp(a, b, bl) && (al == bl || a[bl] == '-');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *const *tags;
    size_t n, got, first, k;
    char *h, *up;

    if (size < 1)
        return 0;
    tags = sets[data[0] % 3].tags;
    n = sets[data[0] % 3].n;
    k = (size_t)(data[0] >> 2) % n; /* the tag to put first */
    data++;
    size--;
    if (!(h = malloc(size + 1)) || !(up = malloc(size + 32))) {
        free(h);
        return 0;
    }
    memcpy(h, data, size);
    h[size] = '\0';
    got = pick(h, tags, n);
    if (pick(NULL, tags, n) != 0)
        abort();
    for (size_t i = 0; i <= size; i++)
        up[i] = (char)toupper((unsigned char)h[i]);
    if (pick(up, tags, n) != got)
        abort();
    /* "tag, <header>": cut so that the whole stays within the 4 KiB read */
    strcpy(up, tags[k]);
    strcat(up, ", ");
    strncat(up, h, 4000);
    first = pick(up, tags, n);
    if (!prefix(tags[first], tags[k]) && !prefix(tags[k], tags[first]))
        abort();
    free(up);
    free(h);
    return 0;
}
