/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry of hash algorithms (vigil/hashalgo.h): one line per
 * algorithm in ALGOS below, in id order.  An algorithm's row lives in its
 * own file (algo_pdq.c, algo_digests.c, ...) as a const struct vg_hashalgo
 * named vg__algo_NAME; naming it here is all it takes for `vigil hash`,
 * list files, the store, the index, the matcher and the crawler to carry
 * it.  Algorithms for tests only are registered under VIGIL_TEST_ALGOS
 * (a CMake option) so that a test build proves exactly that.
 */
#include <string.h>
#include <strings.h>

#include "vigil/hashalgo.h"

#ifdef VIGIL_TEST_ALGOS
#define TEST_ALGOS(X) X(ahash8)
#else
#define TEST_ALGOS(X)
#endif

/* The built-ins first, in the order of enum vg_algo. */
#define ALGOS(X) X(pdq) X(md5) X(sha1) X(sha256) TEST_ALGOS(X)

#define DECLARE(n) extern const struct vg_hashalgo vg__algo_##n;
ALGOS(DECLARE)
#undef DECLARE

#define ROW(n) &vg__algo_##n,
static const struct vg_hashalgo *const algos[] = {ALGOS(ROW)};
#undef ROW

#define NALGOS (sizeof(algos) / sizeof(algos[0]))
_Static_assert(NALGOS <= VG_ALGO_MAX, "raise VG_ALGO_MAX");

unsigned vg_hashalgo_count(void)
{
    return (unsigned)NALGOS;
}

const struct vg_hashalgo *vg_hashalgo_get(enum vg_algo a)
{
    return (unsigned)a < NALGOS ? algos[a] : NULL;
}

static int same(const char *name, size_t len, const char *s)
{
    return s && strlen(s) == len && !strncasecmp(name, s, len);
}

int vg_hashalgo_find(const char *name, size_t len, enum vg_algo *out)
{
    if (!name)
        return VG_EINVAL;
    for (unsigned i = 0; i < NALGOS; i++)
        if (same(name, len, algos[i]->name)) {
            *out = (enum vg_algo)i;
            return VG_OK;
        }
    for (unsigned i = 0; i < NALGOS; i++)
        if (same(name, len, algos[i]->alias)) {
            *out = (enum vg_algo)i;
            return VG_OK;
        }
    return VG_EINVAL;
}

size_t vg_hashalgo_guess(size_t hexlen, enum vg_algo *out, size_t max)
{
    size_t n = 0;

    for (unsigned i = 0; i < NALGOS; i++)
        if (2 * algos[i]->size == hexlen) {
            if (n < max)
                out[n] = (enum vg_algo)i;
            n++;
        }
    return n;
}

int vg_hashalgo_hamming(const uint8_t *a, const uint8_t *b, size_t n)
{
    int d = 0;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d += __builtin_popcountll(x ^ y);
    }
    for (; i < n; i++)
        d += __builtin_popcount((unsigned)(a[i] ^ b[i]));
    return d;
}

int vg_hashalgo_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    return memcmp(a, b, n) != 0;
}
