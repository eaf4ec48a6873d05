/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes through format sniffing, every decoder
 * and the PDQ hasher (vg_imagehash_mem), in all modes.  The first byte picks
 * the flags; limits are small so that a claimed huge image is refused from
 * its header rather than exhausting the fuzzer's memory.
 * Invariants checked: success implies sane dimensions and quality; never a
 * crash, leak or undefined behaviour (run under ASan+UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "vigil/imagehash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_imagehash_opts opts = {0, {4u * 1000 * 1000, 1u << 20}};
    struct vg_imagehash h;
    struct vg_err err;

    if (size < 1)
        return 0;
    opts.flags = data[0] & (VG_IMAGEHASH_DIHEDRAL | VG_IMAGEHASH_PRESCALE_512 |
                            VG_IMAGEHASH_FAST);
    if ((opts.flags & VG_IMAGEHASH_FAST) &&
        (opts.flags & VG_IMAGEHASH_PRESCALE_512))
        opts.flags &= ~(unsigned)VG_IMAGEHASH_FAST;
    /* the rest is the file: a valid image from the corpus keeps its magic
     * when the mutator leaves byte 0 alone */
    if (vg_imagehash_mem(data + 1, size - 1, &opts, &h, &err) == VG_OK) {
        if (h.width == 0 || h.height == 0 || h.pdq.quality < 0 ||
            h.pdq.quality > 100 ||
            (uint64_t)h.width * h.height > opts.limits.max_pixels)
            abort();
    }
    return 0;
}
