/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawler's in-memory tables (crawl_int.h): fingerprint counters for
 * the trap caps, the seen-set cache, and URL patterns.  All are bounded:
 * memory stays flat however long the crawl (the store holds the truth).
 */
#include <string.h>

#include "crawl_int.h"
#include "vigil/alloc.h"

uint64_t vg__fnv64(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* fingerprints are never 0 (0 marks an empty slot) */
static uint64_t nonzero(uint64_t k)
{
    return k ? k : 1;
}

void vg__counts_init(struct vg__counts *c, size_t max_slots)
{
    memset(c, 0, sizeof(*c));
    c->max_slots = max_slots;
}

void vg__counts_fini(struct vg__counts *c)
{
    vg_free(c->keys);
    vg_free(c->vals);
    memset(c, 0, sizeof(*c));
}

/* key's slot: its own, or the empty one where it would go */
static size_t find(const uint64_t *keys, size_t slots, uint64_t key)
{
    size_t i = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 20) & (slots - 1);

    while (keys[i] && keys[i] != key)
        i = (i + 1) & (slots - 1);
    return i;
}

static int grow(struct vg__counts *c)
{
    size_t slots = c->slots ? c->slots * 2 : 1024;
    uint64_t *keys = vg_calloc(slots, sizeof(*keys));
    uint32_t *vals = vg_calloc(slots, sizeof(*vals));

    if (!keys || !vals) {
        vg_free(keys);
        vg_free(vals);
        return VG_ENOMEM;
    }
    for (size_t i = 0; i < c->slots; i++)
        if (c->keys[i]) {
            size_t j = find(keys, slots, c->keys[i]);
            keys[j] = c->keys[i];
            vals[j] = c->vals[i];
        }
    vg_free(c->keys);
    vg_free(c->vals);
    c->keys = keys;
    c->vals = vals;
    c->slots = slots;
    return VG_OK;
}

uint32_t vg__counts_add(struct vg__counts *c, uint64_t key)
{
    size_t i;

    key = nonzero(key);
    if (c->used + 1 > c->slots / 2 &&
        (c->slots * 2 > c->max_slots || grow(c) != VG_OK)) {
        /* at its size limit: filled up to 3/4, then only known keys count */
        if (!c->slots)
            return 0;
        i = find(c->keys, c->slots, key);
        if (!c->keys[i] && c->used + 1 > c->slots / 4 * 3)
            return 0;
    } else {
        i = find(c->keys, c->slots, key);
    }
    if (!c->keys[i]) {
        c->keys[i] = key;
        c->vals[i] = 0;
        c->used++;
    }
    return c->vals[i] == UINT32_MAX ? UINT32_MAX : ++c->vals[i];
}

int vg__seen_init(struct vg__seen *s, unsigned bits)
{
    s->mask = ((size_t)1 << bits) - 1;
    s->slot = vg_calloc(s->mask + 1, sizeof(*s->slot));
    return s->slot ? VG_OK : VG_ENOMEM;
}

void vg__seen_fini(struct vg__seen *s)
{
    vg_free(s->slot);
    s->slot = NULL;
}

int vg__seen_test_set(struct vg__seen *s, const char *url)
{
    uint64_t k = nonzero(vg__fnv64(VG__FNV_SEED, url, strlen(url)));
    uint64_t *p = &s->slot[(k * 0x9e3779b97f4a7c15ULL >> 17) & s->mask];

    if (*p == k)
        return 1;
    *p = k;
    return 0;
}

/* A path segment that is an id rather than a name: long, or hex-like. */
static int token_like(const char *p, size_t n)
{
    size_t digits = 0;

    if (n > 32)
        return 1;
    if (n < 16)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (!((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                   c == '-' || c == '_'))
            return 0;
    }
    return digits > 0;
}

void vg_crawl_url_pattern(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://"), *seg;
    size_t k = 0;
    int in_query = 0, in_value = 0;

    if (!n)
        return;
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        p = "/";
#define PUT(c)                                                                \
    do {                                                                      \
        if (k + 1 < n)                                                        \
            out[k++] = (c);                                                   \
    } while (0)
    while (*p) {
        if (in_value) {
            /* a query value: '*' up to the next parameter */
            PUT('*');
            while (*p && *p != '&' && *p != ';')
                p++;
            in_value = 0;
            continue;
        }
        if (!in_query && *p != '/' && *p != '?') {
            /* a path segment */
            seg = p;
            while (*p && *p != '/' && *p != '?')
                p++;
            if (token_like(seg, (size_t)(p - seg))) {
                PUT('*');
                continue;
            }
            for (const char *q = seg; q < p; q++) {
                if (*q >= '0' && *q <= '9') {
                    PUT('#');
                    while (q + 1 < p && q[1] >= '0' && q[1] <= '9')
                        q++;
                } else {
                    PUT(*q);
                }
            }
            continue;
        }
        if (*p == '?')
            in_query = 1;
        else if (in_query && *p == '=')
            in_value = 1;
        PUT(*p);
        p++;
    }
#undef PUT
    out[k] = 0;
}
