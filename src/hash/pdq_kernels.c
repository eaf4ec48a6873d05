/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PDQ luma and blur kernels (PDQ-SPEC sections 4 and 5).  This file is
 * compiled once per instruction set (VG_KERNEL_SUFFIX = scalar, sse2, avx2,
 * avx512) from the same portable C: the loops over VG_PDQ_LANES independent
 * rows, or over independent columns, are what the compiler vectorises.
 * Invariant: every lane performs exactly the spec's binary32 sequence
 * (running sum: add first, then subtract, then a true division), built with
 * -ffp-contract=off, so every variant gives bit-identical results.
 */
#include <pthread.h>
#include <string.h>

#include "pdq_int.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define KSYM(name) CAT(name##_, VG_KERNEL_SUFFIX)
#define STR_(x) #x
#define CAT_STR(x) STR_(x)

#define L VG_PDQ_LANES

#if defined(__AVX2__) && !defined(VG_KERNEL_PLAIN)
#include <immintrin.h>
#define USE_AVX2 1
#endif

/* The three products of spec 4 for every byte value, each rounded to
 * binary32 exactly as the inline expression would be. */
struct luma_tables {
    float r[256], g[256], b[256];
};

static struct luma_tables luma_t;
static pthread_once_t luma_once = PTHREAD_ONCE_INIT;

static void luma_init(void)
{
    for (int v = 0; v < 256; v++) {
        luma_t.r[v] = 0.299f * (float)v;
        luma_t.g[v] = 0.587f * (float)v;
        luma_t.b[v] = 0.114f * (float)v;
    }
}

static const struct luma_tables *tables(void)
{
    pthread_once(&luma_once, luma_init);
    return &luma_t;
}

static void KSYM(luma)(const uint8_t *restrict px, unsigned channels,
                       float *restrict out, unsigned n)
{
    unsigned i = 0;

    if (channels == 1) {
        for (; i < n; i++)
            out[i] = (float)px[i];
        return;
    }
#ifdef USE_AVX2
    {
        /* f32(0.299), f32(0.587), f32(0.114): spec 4 */
        const __m256 cr = _mm256_set1_ps(0.299f), cg = _mm256_set1_ps(0.587f),
                     cb = _mm256_set1_ps(0.114f);
        const __m256i mr = _mm256_setr_epi8(0, -1, -1, -1, 3, -1, -1, -1, 6,
                                            -1, -1, -1, 9, -1, -1, -1, 0, -1,
                                            -1, -1, 3, -1, -1, -1, 6, -1, -1,
                                            -1, 9, -1, -1, -1);
        const __m256i mg = _mm256_add_epi8(mr, _mm256_set1_epi32(1));
        const __m256i mb = _mm256_add_epi8(mr, _mm256_set1_epi32(2));
        /* 8 pixels from two 16-byte loads at byte 0 and byte 12; the last
         * load reaches 4 bytes past the 8 pixels: keep 2 pixels in hand */
        for (; i + 10 <= n; i += 8) {
            const uint8_t *p = px + 3 * (size_t)i;
            __m256i v =
                _mm256_setr_m128i(_mm_loadu_si128((const __m128i *)p),
                                  _mm_loadu_si128((const __m128i *)(p + 12)));
            __m256 r = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mr));
            __m256 g = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mg));
            __m256 b = _mm256_cvtepi32_ps(_mm256_shuffle_epi8(v, mb));
            __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(cr, r),
                                                   _mm256_mul_ps(cg, g)),
                                     _mm256_mul_ps(cb, b));
            _mm256_storeu_ps(out + i, y);
        }
    }
#endif
    const struct luma_tables *t = tables();
    for (; i < n; i++)
        out[i] = (t->r[px[3 * i]] + t->g[px[3 * i + 1]]) + t->b[px[3 * i + 2]];
}

#ifdef USE_AVX2
/* Transpose the 8x8 block whose rows are r[0..7] (8 floats each). */
static inline void tr8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]),
           t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]),
           t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]),
           t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]),
           t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44),
           u1 = _mm256_shuffle_ps(t0, t2, 0xee);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44),
           u3 = _mm256_shuffle_ps(t1, t3, 0xee);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44),
           u5 = _mm256_shuffle_ps(t4, t6, 0xee);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44),
           u7 = _mm256_shuffle_ps(t5, t7, 0xee);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}
#endif

/* t[c * L + l] = in[l][c] for c in [0, n): rows to lane-interleaved. */
static void transpose_in(const float *const *in, float *restrict t, unsigned n)
{
    unsigned c0 = 0;

#ifdef USE_AVX2
    for (; c0 + 8 <= n; c0 += 8)
        for (unsigned l0 = 0; l0 < L; l0 += 8) {
            __m256 r[8];
            for (unsigned k = 0; k < 8; k++)
                r[k] = _mm256_loadu_ps(in[l0 + k] + c0);
            tr8(r);
            for (unsigned k = 0; k < 8; k++)
                _mm256_storeu_ps(t + (size_t)(c0 + k) * L + l0, r[k]);
        }
#else
    for (; c0 + 8 <= n; c0 += 8)
        for (unsigned l = 0; l < L; l++) {
            const float *restrict src = in[l] + c0;
            for (unsigned c = 0; c < 8; c++)
                t[(c0 + c) * L + l] = src[c];
        }
#endif
    for (; c0 < n; c0++)
        for (unsigned l = 0; l < L; l++)
            t[c0 * L + l] = in[l][c0];
}

/* out[l][c] = t[c * L + l]. */
static void transpose_out(const float *restrict t, float *const *out,
                          unsigned n)
{
    unsigned c0 = 0;

#ifdef USE_AVX2
    for (; c0 + 8 <= n; c0 += 8)
        for (unsigned l0 = 0; l0 < L; l0 += 8) {
            __m256 r[8];
            for (unsigned k = 0; k < 8; k++)
                r[k] = _mm256_loadu_ps(t + (size_t)(c0 + k) * L + l0);
            tr8(r);
            for (unsigned k = 0; k < 8; k++)
                _mm256_storeu_ps(out[l0 + k] + c0, r[k]);
        }
#else
    for (; c0 + 8 <= n; c0 += 8)
        for (unsigned l = 0; l < L; l++) {
            float *restrict dst = out[l] + c0;
            for (unsigned c = 0; c < 8; c++)
                dst[c] = t[(c0 + c) * L + l];
        }
#endif
    for (; c0 < n; c0++)
        for (unsigned l = 0; l < L; l++)
            out[l][c0] = t[c0 * L + l];
}

/*
 * The spec 5 running sum over L interleaved lines of length n, window w.
 * When cols is NULL every output is written to y[i * L + l]; otherwise only
 * outputs at cols[] (ascending) are written to y[l * ncols + j].
 */
static inline void chain(const float *restrict x, float *restrict y,
                         unsigned n, unsigned w, const unsigned *cols,
                         unsigned ncols)
{
    const unsigned h = (w + 2) / 2, back = w - h;
    float s[L];
    unsigned cnt = 0, j = 0;

#define EMIT(i, count)                                                        \
    do {                                                                      \
        float d_ = (float)(count);                                            \
        if (!cols) {                                                          \
            for (unsigned l = 0; l < L; l++)                                  \
                y[(size_t)(i)*L + l] = s[l] / d_;                             \
        } else {                                                              \
            for (; j < ncols && cols[j] == (i); j++)                          \
                for (unsigned l = 0; l < L; l++)                              \
                    y[(size_t)l * ncols + j] = s[l] / d_;                     \
        }                                                                     \
    } while (0)

    for (unsigned l = 0; l < L; l++)
        s[l] = 0.0f;
    for (unsigned k = 0; k + 1 < h; k++) {
        for (unsigned l = 0; l < L; l++)
            s[l] += x[(size_t)k * L + l];
        cnt++;
    }
    for (unsigned i = 0; i <= back; i++) {
        const float *a = x + (size_t)(i + h - 1) * L;
        for (unsigned l = 0; l < L; l++)
            s[l] += a[l];
        cnt++;
        EMIT(i, cnt);
    }
    if (!cols) {
        const float d = (float)w;
        for (unsigned i = back + 1; i + h <= n; i++) {
            const float *a = x + (size_t)(i + h - 1) * L;
            const float *b = x + (size_t)(i - back - 1) * L;
            float *o = y + (size_t)i * L;
            for (unsigned l = 0; l < L; l++) {
                s[l] += a[l];
                s[l] -= b[l];
                o[l] = s[l] / d;
            }
        }
    } else {
        for (unsigned i = back + 1; i + h <= n; i++) {
            const float *a = x + (size_t)(i + h - 1) * L;
            const float *b = x + (size_t)(i - back - 1) * L;
            for (unsigned l = 0; l < L; l++) {
                s[l] += a[l];
                s[l] -= b[l];
            }
            if (j < ncols && cols[j] == i)
                EMIT(i, w);
        }
    }
    for (unsigned i = n - h + 1; i < n; i++) {
        const float *b = x + (size_t)(i - back - 1) * L;
        for (unsigned l = 0; l < L; l++)
            s[l] -= b[l];
        cnt--;
        EMIT(i, cnt);
    }
#undef EMIT
}

static void KSYM(rowbox)(const float *const *in, float *const *out, unsigned n,
                         unsigned w, float *scratch)
{
    float *t = scratch, *u = scratch + (size_t)L * n;

    transpose_in(in, t, n);
    chain(t, u, n, w, NULL, 0);
    transpose_out(u, out, n);
}

static void KSYM(rowbox_sel)(const float *const *in, unsigned n, unsigned w,
                             const unsigned *cols, unsigned ncols, float *out,
                             float *scratch)
{
    transpose_in(in, scratch, n);
    chain(scratch, out, n, w, cols, ncols);
}

static void KSYM(colstep)(float *restrict s, const float *restrict add,
                          const float *restrict sub, float *restrict out,
                          float count, unsigned n)
{
    if (add && sub) {
        for (unsigned i = 0; i < n; i++) {
            s[i] += add[i];
            s[i] -= sub[i];
        }
    } else if (add) {
        for (unsigned i = 0; i < n; i++)
            s[i] += add[i];
    } else if (sub) {
        for (unsigned i = 0; i < n; i++)
            s[i] -= sub[i];
    }
    if (out)
        for (unsigned i = 0; i < n; i++)
            out[i] = s[i] / count;
}

const struct vg__pdq_kernels CAT(vg__pdq_kernels_, VG_KERNEL_SUFFIX) = {
    .name = CAT_STR(VG_KERNEL_SUFFIX),
    .luma = KSYM(luma),
    .rowbox = KSYM(rowbox),
    .rowbox_sel = KSYM(rowbox_sel),
    .colstep = KSYM(colstep),
};
