/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PDQ as a registry row (vigil/hashalgo.h): the streaming hasher of pdq.c
 * over the decoded frame, 256 bits compared by Hamming distance, matched
 * through the multi-index with the 8 dihedral variants of the query.
 * The detail of finish is the full struct vg_pdq_result (quality and the
 * dihedral hashes).
 */
#include "vigil/hashalgo.h"
#include "vigil/pdq.h"

static int begin(const struct vg_frame_info *fi, unsigned flags, void **state)
{
    struct vg_pdq_stream *s = NULL;
    unsigned f = 0;
    int rc;

    if (flags & VG_FRAME_DIHEDRAL)
        f |= VG_PDQ_DIHEDRAL;
    if (flags & VG_FRAME_PRESCALE_512)
        f |= VG_PDQ_PRESCALE_512;
    rc = vg_pdq_stream_new(fi->width, fi->height, fi->channels, f, &s);
    *state = s;
    return rc;
}

static int rows(void *state, const uint8_t *r, size_t stride, unsigned n)
{
    return vg_pdq_stream_push(state, r, stride, n);
}

static int finish(void *state, uint8_t *value, int *quality, void *detail)
{
    struct vg_pdq_result res = {0}, *out = detail ? detail : &res;
    int rc;

    if ((rc = vg_pdq_stream_finish(state, out)))
        return rc;
    vg_pdq_to_bytes(&out->hash, value);
    *quality = out->quality;
    return VG_OK;
}

static void release(void *state)
{
    vg_pdq_stream_free(state);
}

static const struct vg_frame_hasher frame = {begin, rows, finish, release};

const struct vg_hashalgo vg__algo_pdq = {.name = "pdq",
                                         .title = "PDQ",
                                         .size = 32,
                                         .kind = VG_HASHALGO_MIH,
                                         .threshold = 31,
                                         .max_distance = 256,
                                         .distance = vg_hashalgo_hamming,
                                         .frame = &frame};
