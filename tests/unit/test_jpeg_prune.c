/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fast-mode scan pruner for progressive JPEG (src/media/jpeg_prune.c):
 * it shrinks real progressive photos, keeps the stream decodable, changes
 * nothing a full-size colour decode needs, refuses what it does not
 * understand, and survives every truncation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "media/media_int.h"
#include "vigil/alloc.h"
#include "vigil/imagehash.h"

/* A photo of the test data in memory. */
static uint8_t *photo(const char *name, size_t *len)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/photos/%s", VIGIL_TESTDATA, name);
    return th_slurp(path, len);
}

static void test_prunes_progressive(void)
{
    size_t len = 0, n = 0;
    uint8_t *d = photo("0002.jpg", &len), *out = NULL;

    if (!d) {
        TH_FAIL_("missing 0002.jpg (run scripts/fetch-testdata)");
        return;
    }
    TH_EQ_INT(vg__media_jpeg_prune(d, len, 1, 4, &out, &n), VG_OK);
    TH_CHECK(n < len * 3 / 4); /* most entropy-coded data is gone */
    TH_CHECK(n >= 4 && out[0] == 0xff && out[1] == 0xd8 &&
             out[n - 2] == 0xff && out[n - 1] == 0xd9);
    /* what is left is a valid JPEG of the same size */
    struct vg_imagehash h;
    struct vg_err err;
    TH_EQ_INT(vg_imagehash_mem(out, n, NULL, &h, &err), VG_OK);
    TH_EQ_INT(h.width, 4224);
    TH_EQ_INT(h.warning[0], 0);
    vg_free(out);
    /* all components, every coefficient: nothing may be dropped */
    TH_EQ_INT(vg__media_jpeg_prune(d, len, 7, 63, &out, &n), VG_OK);
    TH_EQ_INT(n, len);
    TH_CHECK(memcmp(out, d, n) == 0);
    vg_free(out);
    free(d);
}

static void test_fast_close_to_exact(void)
{
    const char *files[] = {"0001.jpg", "0002.jpg", "0029.jpg", "0031.jpg"};

    for (size_t i = 0; i < 4; i++) {
        size_t len = 0;
        uint8_t *d = photo(files[i], &len);
        struct vg_imagehash a, b;
        struct vg_imagehash_opts fast = {VG_IMAGEHASH_FAST, {0, 0}};
        struct vg_err err;
        if (!d) {
            TH_FAIL_("missing %s", files[i]);
            continue;
        }
        TH_EQ_INT(vg_imagehash_mem(d, len, NULL, &a, &err), VG_OK);
        TH_EQ_INT(vg_imagehash_mem(d, len, &fast, &b, &err), VG_OK);
        int dist = vg_pdq_distance(&a.pdq.hash, &b.pdq.hash);
        if (dist > 24)
            TH_FAIL_("%s: --fast is %d bits from exact", files[i], dist);
        TH_EQ_INT(b.warning[0], 0);
        free(d);
    }
}

static void test_hostile(void)
{
    size_t len = 0, n;
    uint8_t *d = photo("0029.jpg", &len), *out;
    const uint8_t junk[] = {0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0x00};

    TH_EQ_INT(vg__media_jpeg_prune(junk, 2, 1, 4, &out, &n), VG_EFORMAT);
    TH_EQ_INT(vg__media_jpeg_prune(junk, sizeof(junk), 1, 4, &out, &n),
              VG_EFORMAT); /* SOS before SOF */
    if (!d) {
        TH_FAIL_("missing 0029.jpg (run scripts/fetch-testdata)");
        return;
    }
    for (size_t cut = 0; cut < len; cut += 1 + cut / 7) {
        out = NULL;
        int rc = vg__media_jpeg_prune(d, cut, 1, 4, &out, &n);
        TH_CHECK(rc == VG_OK || rc == VG_EFORMAT);
        if (rc == VG_OK)
            TH_CHECK(n <= cut);
        vg_free(out);
    }
    free(d);
}

int main(void)
{
    TH_RUN(test_prunes_progressive);
    TH_RUN(test_fast_close_to_exact);
    TH_RUN(test_hostile);
    return th_done();
}
