/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ahash8, an algorithm for tests only: the average hash of the frame's
 * luma reduced to 8x8 blocks (bit set where a block is brighter than the
 * mean of the blocks; byte k is block row k, its high bit column 0), 64
 * bits compared by Hamming distance, matched by a scan within 6 bits.
 * It exists to prove that a new algorithm is its own file plus one line
 * of src/hash/registry.c: built only with VIGIL_TEST_ALGOS.
 */
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/hashalgo.h"

struct ahash {
    unsigned width, height, channels, y;
    uint64_t sum[64], count[64];
};

static int begin(const struct vg_frame_info *fi, unsigned flags, void **state)
{
    struct ahash *a;

    (void)flags;
    *state = NULL;
    if (!fi->width || !fi->height || (fi->channels != 1 && fi->channels != 3))
        return VG_EINVAL;
    if (!(a = vg_calloc(1, sizeof(*a))))
        return VG_ENOMEM;
    a->width = fi->width;
    a->height = fi->height;
    a->channels = fi->channels;
    *state = a;
    return VG_OK;
}

static int rows(void *state, const uint8_t *r, size_t stride, unsigned n)
{
    struct ahash *a = state;

    if (n > a->height - a->y)
        return VG_EINVAL;
    for (unsigned k = 0; k < n; k++, a->y++) {
        const uint8_t *p = r + k * stride;
        unsigned by = (unsigned)((uint64_t)a->y * 8 / a->height);
        for (unsigned x = 0; x < a->width; x++, p += a->channels) {
            unsigned bx = (unsigned)((uint64_t)x * 8 / a->width);
            unsigned luma = a->channels == 1
                                ? p[0]
                                : (299u * p[0] + 587u * p[1] + 114u * p[2]) /
                                      1000u;
            a->sum[by * 8 + bx] += luma;
            a->count[by * 8 + bx]++;
        }
    }
    return VG_OK;
}

static int finish(void *state, uint8_t *value, int *quality, void *detail)
{
    struct ahash *a = state;
    double mean[64], all = 0;

    (void)detail;
    if (a->y != a->height)
        return VG_EINVAL;
    for (int i = 0; i < 64; i++) {
        mean[i] = a->count[i] ? (double)a->sum[i] / (double)a->count[i] : 0;
        all += mean[i] / 64;
    }
    memset(value, 0, 8);
    for (int i = 0; i < 64; i++)
        if (mean[i] > all)
            value[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    *quality = -1;
    return VG_OK;
}

static void release(void *state)
{
    vg_free(state);
}

static const struct vg_frame_hasher frame = {begin, rows, finish, release};

const struct vg_hashalgo vg__algo_ahash8 = {.name = "ahash8",
                                            .title = "aHash 8x8",
                                            .size = 8,
                                            .kind = VG_HASHALGO_SCAN,
                                            .threshold = 6,
                                            .max_distance = 64,
                                            .distance = vg_hashalgo_hamming,
                                            .frame = &frame};
