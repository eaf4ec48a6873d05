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
#include <string.h>

#include "pdq_int.h"

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define KSYM(name) CAT(name##_, VG_KERNEL_SUFFIX)
#define STR_(x) #x
#define CAT_STR(x) STR_(x)

#define L VG_PDQ_LANES

static void KSYM(luma)(const uint8_t *px, unsigned channels, float *out,
                       unsigned n)
{
    /* f32(0.299), f32(0.587), f32(0.114): spec 4 */
    const float cr = 0.299f, cg = 0.587f, cb = 0.114f;

    if (channels == 1) {
        for (unsigned i = 0; i < n; i++)
            out[i] = (float)px[i];
        return;
    }
    for (unsigned i = 0; i < n; i++) {
        float r = (float)px[3 * i], g = (float)px[3 * i + 1],
              b = (float)px[3 * i + 2];
        out[i] = (cr * r + cg * g) + cb * b;
    }
}

/* t[c * L + l] = in[l][c] for c in [0, n): rows to lane-interleaved. */
static void transpose_in(const float *const *in, float *restrict t,
                         unsigned n)
{
    unsigned c0 = 0;

    for (; c0 + 8 <= n; c0 += 8)
        for (unsigned l = 0; l < L; l++) {
            const float *src = in[l] + c0;
            for (unsigned c = 0; c < 8; c++)
                t[(c0 + c) * L + l] = src[c];
        }
    for (; c0 < n; c0++)
        for (unsigned l = 0; l < L; l++)
            t[c0 * L + l] = in[l][c0];
}

/* out[l][c] = t[c * L + l]. */
static void transpose_out(const float *restrict t, float *const *out,
                          unsigned n)
{
    unsigned c0 = 0;

    for (; c0 + 8 <= n; c0 += 8)
        for (unsigned l = 0; l < L; l++) {
            float *dst = out[l] + c0;
            for (unsigned c = 0; c < 8; c++)
                dst[c] = t[(c0 + c) * L + l];
        }
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

#define EMIT(i, count)                                                   \
    do {                                                                 \
        float d_ = (float)(count);                                       \
        if (!cols) {                                                     \
            for (unsigned l = 0; l < L; l++)                             \
                y[(size_t)(i) * L + l] = s[l] / d_;                      \
        } else {                                                         \
            for (; j < ncols && cols[j] == (i); j++)                     \
                for (unsigned l = 0; l < L; l++)                         \
                    y[(size_t)l * ncols + j] = s[l] / d_;                \
        }                                                                \
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

static void KSYM(rowbox)(const float *const *in, float *const *out,
                         unsigned n, unsigned w, float *scratch)
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
