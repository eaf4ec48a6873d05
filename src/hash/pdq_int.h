/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the PDQ hasher shared by pdq.c, the per-ISA kernels
 * (pdq_kernels.c, compiled once per instruction set) and the DCT table.
 * Every kernel performs, per output, exactly the binary32 operation sequence
 * of PDQ-SPEC sections 4 and 5; SIMD only runs independent lines side by
 * side, so all kernel sets are bit-identical.
 */
#ifndef VIGIL_PDQ_INT_H
#define VIGIL_PDQ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/pdq.h"

/* Rows the row-pass kernels process side by side (one per SIMD lane). */
#define VG_PDQ_LANES 16

extern const uint32_t vg__pdq_dct_bits[16][64];

struct vg__pdq_kernels {
    const char *name;
    /* out[i] = luma of pixel i (spec 4): 3 channels RGB or 1 channel grey */
    void (*luma)(const uint8_t *px, unsigned channels, float *out, unsigned n);
    /*
     * Box-filter VG_PDQ_LANES rows of length n (window w, spec 5) from in[l]
     * to out[l].  scratch holds 2 * VG_PDQ_LANES * n floats.
     */
    void (*rowbox)(const float *const *in, float *const *out, unsigned n,
                   unsigned w, float *scratch);
    /*
     * The same filter, but only the outputs at columns cols[0..ncols)
     * (ascending, repeats allowed) are kept: out[l * ncols + j].
     * scratch holds VG_PDQ_LANES * n floats.
     */
    void (*rowbox_sel)(const float *const *in, unsigned n, unsigned w,
                       const unsigned *cols, unsigned ncols, float *out,
                       float *scratch);
    /*
     * One step of a column pass over n independent columns, in the spec's
     * order: s += add (if add), s -= sub (if sub), out = s / count (if out).
     */
    void (*colstep)(float *s, const float *add, const float *sub, float *out,
                    float count, unsigned n);
};

#define VG__PDQ_KDECL(sfx)                                                    \
    extern const struct vg__pdq_kernels vg__pdq_kernels_##sfx;
VG__PDQ_KDECL(scalar)
VG__PDQ_KDECL(sse2)
VG__PDQ_KDECL(avx2)
VG__PDQ_KDECL(avx512)

/* The kernel set in use (chosen once, see vg_pdq_set_impl). */
const struct vg__pdq_kernels *vg__pdq_kernels(void);

/* Shared by the whole-image form (pdq.c) and the stream (pdq_stream.c). */
unsigned vg__pdq_window(unsigned side);
void vg__pdq_sample_points(unsigned side, unsigned idx[64]);
void vg__pdq_box1d(const float *x, float *y, unsigned n, size_t stride,
                   unsigned w);
void vg__pdq_finish64(float plain[64][64], float blurred[64][64],
                      unsigned flags, struct vg_pdq_result *out);

#endif
