/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exact sets of one algorithm's values (MD5, SHA-1, SHA-256, or any
 * registered with the exact or scan kind): the entries in arrays, and an
 * open-addressing table (linear probing, load at most 1/2) of their
 * positions keyed by a seeded mix of the value's first 8 bytes, so a list
 * crafted with colliding prefixes cannot predict the slots.  Equal values
 * (the same digest in two lists) are separate entries and all found.
 */
#include <string.h>

#include "index_int.h"
#include "vigil/alloc.h"

#define EMPTY UINT32_MAX

void vg__digest_init(struct vg__digest_set *s, size_t size, uint64_t seed)
{
    memset(s, 0, sizeof(*s));
    s->size = size;
    s->seed = seed;
    s->sorted = 1;
}

void vg__digest_fini(struct vg__digest_set *s)
{
    if (!s)
        return;
    vg_free(s->val);
    vg_free(s->id);
    vg_free(s->group);
    vg_free(s->disabled);
    vg_free(s->slot);
    memset(s, 0, sizeof(*s));
}

static size_t slot_of(const struct vg__digest_set *s, const uint8_t *value)
{
    uint64_t x = 0;

    memcpy(&x, value, s->size < sizeof(x) ? s->size : sizeof(x));
    x ^= s->seed; /* splitmix64's finaliser */
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (size_t)x & (s->nslot - 1);
}

static void slot_insert(uint32_t *slot, size_t nslot, size_t h, uint32_t pos)
{
    while (slot[h] != EMPTY)
        h = (h + 1) & (nslot - 1);
    slot[h] = pos;
}

static int rehash(struct vg__digest_set *s, size_t nslot)
{
    uint32_t *slot = vg_mallocarray(nslot, sizeof(*slot));

    if (!slot)
        return VG_ENOMEM;
    memset(slot, 0xff, nslot * sizeof(*slot));
    vg_free(s->slot);
    s->bytes += (nslot - s->nslot) * sizeof(*slot);
    s->slot = slot;
    s->nslot = nslot;
    for (size_t i = 0; i < s->n; i++)
        slot_insert(slot, nslot, slot_of(s, s->val + i * s->size),
                    (uint32_t)i);
    return VG_OK;
}

static int grow(struct vg__digest_set *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    void *p;

    if (cap >= EMPTY)
        return VG_ETOOBIG;
    if (!(p = vg_realloc(s->val, cap * s->size)))
        return VG_ENOMEM;
    s->val = p;
    if (!(p = vg_realloc(s->id, cap * sizeof(*s->id))))
        return VG_ENOMEM;
    s->id = p;
    if (!(p = vg_realloc(s->group, cap * sizeof(*s->group))))
        return VG_ENOMEM;
    s->group = p;
    if (!(p = vg_realloc(s->disabled, cap)))
        return VG_ENOMEM;
    s->disabled = p;
    s->bytes += (cap - s->cap) *
                (s->size + sizeof(*s->id) + sizeof(*s->group) + 1);
    s->cap = cap;
    return VG_OK;
}

int vg__digest_add(struct vg__digest_set *s, const uint8_t *value,
                   uint16_t group, int64_t id)
{
    int rc;

    if (s->n == s->cap && (rc = grow(s)))
        return rc;
    if (2 * (s->n + 1) > s->nslot &&
        (rc = rehash(s, s->nslot ? s->nslot * 2 : 512)))
        return rc;
    memcpy(s->val + s->n * s->size, value, s->size);
    s->id[s->n] = id;
    s->group[s->n] = group;
    s->disabled[s->n] = 0;
    if (s->n && id <= s->id[s->n - 1])
        s->sorted = 0;
    slot_insert(s->slot, s->nslot, slot_of(s, value), (uint32_t)s->n);
    s->n++;
    return VG_OK;
}

int vg__digest_set_enabled(struct vg__digest_set *s, int64_t id, int enabled)
{
    size_t lo = 0, hi = s->n;
    int found = 0;

    if (s->sorted) {
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->id[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        hi = lo < s->n && s->id[lo] == id ? lo + 1 : lo;
    } else {
        lo = 0;
        hi = s->n;
    }
    for (size_t i = lo; i < hi; i++)
        if (s->id[i] == id) {
            s->disabled[i] = !enabled;
            found = 1;
        }
    return found ? VG_OK : VG_ENOENT;
}

int vg__digest_search(const struct vg__digest_set *s, const uint8_t *value,
                      struct vg__hits *out)
{
    if (!s->n)
        return VG_OK;
    for (size_t h = slot_of(s, value); s->slot[h] != EMPTY;
         h = (h + 1) & (s->nslot - 1)) {
        uint32_t pos = s->slot[h];
        if (!memcmp(s->val + (size_t)pos * s->size, value, s->size)) {
            int rc = vg__hits_push(out, pos, 0, 0);
            if (rc)
                return rc;
        }
    }
    return VG_OK;
}

void vg__digest_ref(const struct vg__digest_set *s, size_t pos,
                    struct vg__entry_ref *out)
{
    out->id = s->id[pos];
    out->group = s->group[pos];
    out->disabled = s->disabled[pos];
}
