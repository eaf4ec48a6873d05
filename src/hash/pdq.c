/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PDQ hashing, bit-exact with docs/PDQ-SPEC.md (sections 2-10).
 *
 * Two implementations of the same arithmetic:
 *   - vg_pdq_hash_luma: the whole-image form, written to read like the spec
 *     (used for float luma input and as the oracle in tests);
 *   - the stream: rows arrive from the decoder and flow through luma, the
 *     four blur passes and decimation without ever holding the image.
 *     Row passes run VG_PDQ_LANES rows at a time in the per-ISA kernels;
 *     column passes keep one running sum per column and a ring of the last
 *     w + 1 rows (the subtrahends).  The second row pass and the second
 *     column pass only keep the 64 sample columns.
 * Invariant: both forms perform, for every output, the spec's binary32
 * operation sequence, so they agree bit for bit.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/algo.h"
#include "vigil/pdq.h"
#include "pdq_int.h"

/* ---------------------------------------------------------------- kernels */

static const struct vg__pdq_kernels *kernels;

static int cpu_has(const char *feature)
{
#if defined(VG_HAVE_X86_KERNELS) && defined(__GNUC__)
    __builtin_cpu_init();
    if (!strcmp(feature, "sse2"))
        return __builtin_cpu_supports("sse2");
    if (!strcmp(feature, "avx2"))
        return __builtin_cpu_supports("avx2");
    if (!strcmp(feature, "avx512"))
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512dq");
#endif
    (void)feature;
    return 0;
}

static const struct vg__pdq_kernels *kernels_by_name(const char *name)
{
    if (!strcmp(name, "scalar"))
        return &vg__pdq_kernels_scalar;
#if defined(VG_HAVE_X86_KERNELS)
    if (!strcmp(name, "sse2") && cpu_has("sse2"))
        return &vg__pdq_kernels_sse2;
    if (!strcmp(name, "avx2") && cpu_has("avx2"))
        return &vg__pdq_kernels_avx2;
    if (!strcmp(name, "avx512") && cpu_has("avx512"))
        return &vg__pdq_kernels_avx512;
#endif
    return NULL;
}

static pthread_once_t kernels_once = PTHREAD_ONCE_INIT;

static void kernels_pick(void)
{
    static const char *const best[] = {"avx512", "avx2", "sse2", "scalar"};
    const struct vg__pdq_kernels *k = NULL;
    /* VIGIL_PDQ_IMPL lets tests and benchmarks pin a kernel set. */
    const char *env = getenv("VIGIL_PDQ_IMPL");

    if (env && *env)
        k = kernels_by_name(env);
    for (size_t i = 0; !k && i < sizeof(best) / sizeof(best[0]); i++)
        k = kernels_by_name(best[i]);
    kernels = k;
}

const struct vg__pdq_kernels *vg__pdq_kernels(void)
{
    pthread_once(&kernels_once, kernels_pick);
    return kernels;
}

int vg_pdq_set_impl(const char *name)
{
    const struct vg__pdq_kernels *k = name ? kernels_by_name(name) : NULL;

    if (!k)
        return VG_EINVAL;
    pthread_once(&kernels_once, kernels_pick);
    kernels = k;
    return VG_OK;
}

const char *vg_pdq_impl(void)
{
    return vg__pdq_kernels()->name;
}

/* ------------------------------------------------- spec 6-10: 64x64 on */

unsigned vg__pdq_window(unsigned side)
{
    return (side + 127) / 128;
}

/* Sample positions trunc((i + 0.5) * side / 64) in double (spec 6). */
void vg__pdq_sample_points(unsigned side, unsigned idx[64])
{
    for (unsigned i = 0; i < 64; i++)
        idx[i] = (unsigned)(((double)i + 0.5) * (double)side / 64.0);
}

static int quality_of(float a[64][64])
{
    long g = 0;

    for (int i = 0; i < 63; i++)
        for (int j = 0; j < 64; j++) {
            int d = (int)(((a[i][j] - a[i + 1][j]) * 100.0f) / 255.0f);
            g += d < 0 ? -d : d;
        }
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 63; j++) {
            int d = (int)(((a[i][j] - a[i][j + 1]) * 100.0f) / 255.0f);
            g += d < 0 ? -d : d;
        }
    g /= 90;
    return g > 100 ? 100 : (int)g;
}

static float dct_at(unsigned u, unsigned k)
{
    float f;
    uint32_t bits = vg__pdq_dct_bits[u][k];

    memcpy(&f, &bits, sizeof(f));
    return f;
}

/* B = D A D^T (spec 8), sequential float dot products, k ascending. */
static void dct16(float a[64][64], float b[16][16])
{
    float t[16][64];

    for (unsigned u = 0; u < 16; u++) {
        for (unsigned j = 0; j < 64; j++)
            t[u][j] = 0.0f;
        for (unsigned k = 0; k < 64; k++) {
            float d = dct_at(u, k);
            for (unsigned j = 0; j < 64; j++)
                t[u][j] += d * a[k][j];
        }
    }
    for (unsigned u = 0; u < 16; u++)
        for (unsigned v = 0; v < 16; v++) {
            float s = 0.0f;
            for (unsigned k = 0; k < 64; k++)
                s += t[u][k] * dct_at(v, k);
            b[u][v] = s;
        }
}

static int cmp_float(const void *pa, const void *pb)
{
    float a = *(const float *)pa, b = *(const float *)pb;

    return (a > b) - (a < b);
}

/* Threshold at the lower median (index 127 of 256 sorted), spec 9. */
static void threshold(float b[16][16], struct vg_pdq_hash *h)
{
    float v[256];

    memcpy(v, b, sizeof(v));
    qsort(v, 256, sizeof(float), cmp_float);
    float m = v[127];
    memset(h, 0, sizeof(*h));
    for (unsigned u = 0; u < 16; u++)
        for (unsigned c = 0; c < 16; c++)
            if (b[u][c] > m)
                h->w[u] |= (uint16_t)(1u << c);
}

/* The coefficient matrix of one dihedral variant (spec 10). */
static void dihedral(float b[16][16], enum vg_pdq_dihedral d, float o[16][16])
{
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 16; c++) {
            float x;
            switch (d) {
            case VG_PDQ_ROT90:
                x = (r & 1) ? b[c][r] : -b[c][r];
                break;
            case VG_PDQ_ROT180:
                x = ((r + c) & 1) ? -b[r][c] : b[r][c];
                break;
            case VG_PDQ_ROT270:
                x = (c & 1) ? b[c][r] : -b[c][r];
                break;
            case VG_PDQ_FLIPX:
                x = (r & 1) ? b[r][c] : -b[r][c];
                break;
            case VG_PDQ_FLIPY:
                x = (c & 1) ? b[r][c] : -b[r][c];
                break;
            case VG_PDQ_FLIPPLUS1:
                x = b[c][r];
                break;
            case VG_PDQ_FLIPMINUS1:
                x = ((r + c) & 1) ? -b[c][r] : b[c][r];
                break;
            default:
                x = b[r][c];
                break;
            }
            o[r][c] = x;
        }
}

/*
 * From the decimated 64x64 matrices to the result.  plain is the matrix of
 * the single-hash path, blurred the one of the dihedral path; they differ
 * only for 64x64 images (spec 5: the single-hash path skips the blur).
 */
void vg__pdq_finish64(float plain[64][64], float blurred[64][64],
                      unsigned flags, struct vg_pdq_result *out)
{
    float b[16][16], o[16][16];

    memset(out, 0, sizeof(*out));
    out->quality = quality_of(plain);
    dct16(plain, b);
    threshold(b, &out->hash);
    if (!(flags & VG_PDQ_DIHEDRAL))
        return;
    if (blurred != plain)
        dct16(blurred, b);
    for (int d = 0; d < VG_PDQ_NDIHEDRAL; d++) {
        dihedral(b, (enum vg_pdq_dihedral)d, o);
        threshold(o, &out->dihedral[d]);
    }
}

/* ------------------------------------------- whole-image form (oracle) */

/* One 1-D pass exactly as spec 5 (x and y with a stride). */
void vg__pdq_box1d(const float *x, float *y, unsigned n, size_t stride,
                   unsigned w)
{
    unsigned h = (w + 2) / 2, back = w - h, cnt = 0;
    float s = 0.0f;

    for (unsigned k = 0; k + 1 < h; k++) {
        s += x[k * stride];
        cnt++;
    }
    for (unsigned i = 0; i <= back; i++) {
        s += x[(i + h - 1) * stride];
        cnt++;
        y[i * stride] = s / (float)cnt;
    }
    for (unsigned i = back + 1; i + h <= n; i++) {
        s += x[(i + h - 1) * stride];
        s -= x[(i - back - 1) * stride];
        y[i * stride] = s / (float)cnt;
    }
    for (unsigned i = n - h + 1; i < n; i++) {
        s -= x[(i - back - 1) * stride];
        cnt--;
        y[i * stride] = s / (float)cnt;
    }
}

static void decimate(const float *p, unsigned width, unsigned height,
                     float a[64][64])
{
    unsigned ri[64], cj[64];

    vg__pdq_sample_points(height, ri);
    vg__pdq_sample_points(width, cj);
    for (unsigned i = 0; i < 64; i++)
        for (unsigned j = 0; j < 64; j++)
            a[i][j] = p[(size_t)ri[i] * width + cj[j]];
}

/* Blur (4 passes) a copy of luma and decimate it into a. */
static int blur_decimate(const float *luma, unsigned width, unsigned height,
                         float a[64][64])
{
    size_t n = (size_t)width * height;
    float *p = vg_mallocarray(n, sizeof(float));
    float *q = vg_mallocarray(n, sizeof(float));
    unsigned wx = vg__pdq_window(width), wy = vg__pdq_window(height);

    if (!p || !q) {
        vg_free(p);
        vg_free(q);
        return VG_ENOMEM;
    }
    memcpy(p, luma, n * sizeof(float));
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned r = 0; r < height; r++)
            vg__pdq_box1d(p + (size_t)r * width, q + (size_t)r * width, width,
                          1, wx);
        for (unsigned c = 0; c < width; c++)
            vg__pdq_box1d(q + c, p + c, height, width, wy);
    }
    decimate(p, width, height, a);
    vg_free(p);
    vg_free(q);
    return VG_OK;
}

int vg_pdq_hash_luma(const float *luma, unsigned width, unsigned height,
                     unsigned flags, struct vg_pdq_result *out)
{
    float blurred[64][64], plain[64][64];
    int rc;

    if (!luma || !out || (flags & VG_PDQ_PRESCALE_512))
        return VG_EINVAL;
    if (width < 5 || height < 5) {
        memset(out, 0, sizeof(*out));
        return VG_OK;
    }
    if ((rc = blur_decimate(luma, width, height, blurred)))
        return rc;
    if (width == 64 && height == 64) {
        memcpy(plain, luma, sizeof(plain));
        vg__pdq_finish64(plain, blurred, flags, out);
    } else {
        vg__pdq_finish64(blurred, blurred, flags, out);
    }
    return VG_OK;
}

/* ------------------------------------------------------ hex, distance */

void vg_pdq_to_hex(const struct vg_pdq_hash *h, char out[65])
{
    static const char digits[] = "0123456789abcdef";

    for (int word = 15, o = 0; word >= 0; word--)
        for (int shift = 12; shift >= 0; shift -= 4)
            out[o++] = digits[(h->w[word] >> shift) & 0xf];
    out[64] = '\0';
}

int vg_pdq_from_hex(const char *hex, size_t len, struct vg_pdq_hash *out)
{
    uint8_t bytes[32];
    int rc = vg_hex_decode(hex, len, bytes, sizeof(bytes));

    if (!rc)
        vg_pdq_from_bytes(bytes, out);
    return rc;
}

int vg_pdq_distance(const struct vg_pdq_hash *a, const struct vg_pdq_hash *b)
{
    int d = 0;

    for (int i = 0; i < 16; i++)
        d += __builtin_popcount((unsigned)(a->w[i] ^ b->w[i]));
    return d;
}

const char *vg_pdq_dihedral_name(enum vg_pdq_dihedral d)
{
    static const char *const names[VG_PDQ_NDIHEDRAL] = {
        "orig",  "rot90", "rot180",    "rot270",
        "flipx", "flipy", "flipplus1", "flipminus1"};

    return (unsigned)d < VG_PDQ_NDIHEDRAL ? names[d] : "unknown";
}
