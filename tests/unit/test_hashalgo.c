/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hash algorithm registry (vigil/hashalgo.h) and what reads it: names,
 * aliases, the guess by hex length and its ambiguity, the distances; the
 * pipeline's values agreeing with the typed hashes; the index's lookup by
 * kind agreeing with its PDQ and digest lookups.
 */
#include <string.h>

#include "th.h"
#include "vigil/hashalgo.h"
#include "vigil/imagehash.h"
#include "vigil/index.h"

static void test_registry(void)
{
    enum vg_algo a, c[VG_ALGO_MAX];
    static const uint8_t x[9] = {0xff, 0, 0, 0, 0, 0, 0, 0, 0x01}, y[9] = {0};

    TH_EQ_INT(vg_hashalgo_count(), VG_ALGO_COUNT); /* no test algorithms */
    TH_EQ_STR(vg_algo_name(VG_ALGO_PDQ), "pdq");
    TH_EQ_STR(vg_algo_name(VG_ALGO_SHA256), "sha256");
    TH_CHECK(vg_algo_name(VG_ALGO_COUNT) == NULL);
    TH_CHECK(vg_hashalgo_get(VG_ALGO_COUNT) == NULL);
    TH_EQ_INT(vg_algo_size(VG_ALGO_SHA1), 20);
    TH_EQ_INT(vg_hashalgo_find("SHA-256", 7, &a), VG_OK);
    TH_EQ_INT(a, VG_ALGO_SHA256);
    TH_EQ_INT(vg_hashalgo_find("Md5", 3, &a), VG_OK);
    TH_EQ_INT(a, VG_ALGO_MD5);
    TH_EQ_INT(vg_hashalgo_find("sha", 3, &a), VG_EINVAL);
    TH_EQ_INT(vg_hashalgo_find(NULL, 0, &a), VG_EINVAL);
    /* 64 hex digits: PDQ or SHA-256, in registry order */
    TH_EQ_INT(vg_hashalgo_guess(64, c, VG_ALGO_MAX), 2);
    TH_EQ_INT(c[0], VG_ALGO_PDQ);
    TH_EQ_INT(c[1], VG_ALGO_SHA256);
    TH_EQ_INT(vg_hashalgo_guess(64, c, 1), 2); /* counted, one written */
    TH_EQ_INT(vg_hashalgo_guess(32, c, VG_ALGO_MAX), 1);
    TH_EQ_INT(c[0], VG_ALGO_MD5);
    TH_EQ_INT(vg_hashalgo_guess(40, c, VG_ALGO_MAX), 1);
    TH_EQ_INT(c[0], VG_ALGO_SHA1);
    TH_EQ_INT(vg_hashalgo_guess(33, c, VG_ALGO_MAX), 0);
    TH_EQ_INT(vg_hashalgo_hamming(x, y, 9), 9);
    TH_EQ_INT(vg_hashalgo_hamming(x, x, 9), 0);
    TH_EQ_INT(vg_hashalgo_equal(x, y, 9), 1);
    TH_EQ_INT(vg_hashalgo_equal(x, x, 9), 0);
    for (unsigned i = 0; i < vg_hashalgo_count(); i++) {
        const struct vg_hashalgo *h = vg_hashalgo_get((enum vg_algo)i);
        TH_CHECK(!h->hash_bytes != !h->frame); /* exactly one hasher */
        TH_CHECK(h->size >= 1 && h->size <= VG_ALGO_MAXSIZE);
        TH_CHECK(h->distance && h->title);
    }
}

static void test_pipeline_values(void)
{
    struct vg_imagehash h;
    struct vg_err err = {0};
    uint8_t pdq[32];
    int q = -2;
    const uint8_t *v;

    TH_EQ_INT(vg_imagehash_file(VIGIL_SOURCE_DIR "/samples/seeding.jpg", NULL,
                                &h, &err),
              VG_OK);
    TH_EQ_INT(h.nvalues, 4);
    vg_pdq_to_bytes(&h.pdq.hash, pdq);
    TH_CHECK((v = vg_imagehash_value(&h, VG_ALGO_PDQ, &q)) != NULL);
    TH_CHECK(v && !memcmp(v, pdq, 32));
    TH_EQ_INT(q, h.pdq.quality);
    for (unsigned i = 0; i < h.nvalues; i++) {
        const struct vg_imagehash_value *x = &h.values[i];
        const uint8_t *typed = vg_imagehash_value(&h, x->algo, NULL);
        TH_CHECK(!memcmp(h.valbuf + x->off, typed, x->len));
    }
    /* undecodable bytes: the digests only */
    TH_EQ_INT(vg_imagehash_bytes((const uint8_t *)"abc", 3, &h, &err), VG_OK);
    TH_EQ_INT(h.nvalues, 3);
    TH_CHECK(vg_imagehash_value(&h, VG_ALGO_PDQ, NULL) == NULL);
    TH_EQ_INT(h.digests.md5[0], 0x90); /* md5("abc") = 900150983cd2... */
}

/* VG_IMAGEHASH_NO_DIGESTS: the same PDQ, no digest computed or listed. */
static void test_no_digests(void)
{
    static const uint8_t zero[32] = {0};
    const struct vg_imagehash_opts nd = {VG_IMAGEHASH_NO_DIGESTS, {0, 0}};
    struct vg_imagehash all, h;
    struct vg_err err = {0};

    TH_EQ_INT(vg_imagehash_file(VIGIL_SOURCE_DIR "/samples/seeding.jpg", NULL,
                                &all, &err),
              VG_OK);
    TH_EQ_INT(vg_imagehash_file(VIGIL_SOURCE_DIR "/samples/seeding.jpg", &nd,
                                &h, &err),
              VG_OK);
    TH_CHECK(!memcmp(&h.pdq, &all.pdq, sizeof(h.pdq)));
    TH_EQ_INT(h.nvalues, 1); /* PDQ only */
    TH_EQ_INT(h.values[0].algo, VG_ALGO_PDQ);
    TH_CHECK(!memcmp(h.digests.sha256, zero, 32));
    TH_CHECK(!memcmp(h.digests.md5, zero, 16));
    TH_EQ_INT(vg_imagehash_mem((const uint8_t *)"abc", 3, &nd, &h, &err),
              VG_EFORMAT);
}

static void test_index_by_kind(void)
{
    struct vg_index *ix = NULL;
    struct vg_index_match m[4];
    struct vg_pdq_hash q;
    uint8_t p[32] = {0}, near[32], md5[16] = {1, 2, 3};
    size_t n = 0;

    for (int i = 0; i < 32; i++)
        p[i] = (uint8_t)(i * 37 + 11);
    memcpy(near, p, 32);
    near[5] ^= 0x0f; /* distance 4 */
    TH_EQ_INT(vg_index_new(&ix), VG_OK);
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_PDQ, p, 0, 1), VG_OK);
    TH_EQ_INT(vg_index_add(ix, VG_ALGO_MD5, md5, 0, 2), VG_OK);
    TH_EQ_INT(vg_index_build(ix), VG_OK);
    TH_EQ_INT(vg_index_lookup(ix, VG_ALGO_PDQ, near, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(m[0].id, 1);
    TH_EQ_INT(m[0].distance, 4);
    vg_pdq_from_bytes(near, &q);
    TH_EQ_INT(vg_index_lookup_pdq(ix, &q, 1, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(vg_index_lookup(ix, VG_ALGO_MD5, md5, m, 4, &n), VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(m[0].id, 2);
    TH_EQ_INT(vg_index_lookup_digest(ix, VG_ALGO_PDQ, p, m, 4, &n), VG_EINVAL);
    TH_EQ_INT(vg_index_lookup(ix, VG_ALGO_COUNT, md5, m, 4, &n), VG_EINVAL);
    vg_index_free(ix);
}

int main(void)
{
    TH_RUN(test_registry);
    TH_RUN(test_pipeline_values);
    TH_RUN(test_no_digests);
    TH_RUN(test_index_by_kind);
    return th_done();
}
