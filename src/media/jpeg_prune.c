/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fast mode for progressive JPEG (ITU T.81 G.1): copy the stream without
 * the scans a reduced-size, luma-only decode cannot use, so libjpeg never
 * entropy-decodes them.  Entropy decoding dominates progressive decode time.
 *
 * Rules, per component and coefficient k (zig-zag order):
 *   - scans of components not needed are dropped (interleaved DC scans that
 *     include a needed component are kept whole);
 *   - DC scans (Ss = 0) are kept;
 *   - a first AC pass (Ah = 0) is kept iff Ss <= maxzz, the last coefficient
 *     the reduced IDCT reads (1/8: 0, 1/4: 4, 1/2: 24);
 *   - a refinement pass (Ah > 0) is kept iff every earlier pass over its
 *     band was kept, since it only decodes correctly against that history.
 * So needed coefficients lose at most the low bits of a dropped refinement:
 * the result is approximate, as --fast allows (bench/RESULTS.md measures
 * it).  Every length is checked against the input; anything unexpected
 * makes the caller decode the original bytes instead.
 */
#include <string.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

#define MAX_COMPS 4

struct pruner {
    const uint8_t *d;
    size_t len, pos;
    uint8_t *out;
    size_t olen;
    int ncomp;
    uint8_t ids[MAX_COMPS];
    uint8_t intact[MAX_COMPS][64]; /* every pass over (c, k) was kept */
};

static int comp_index(const struct pruner *p, uint8_t id)
{
    for (int i = 0; i < p->ncomp; i++)
        if (p->ids[i] == id)
            return i;
    return -1;
}

static void copy(struct pruner *p, size_t from, size_t n)
{
    memcpy(p->out + p->olen, p->d + from, n);
    p->olen += n;
}

/* End of the entropy-coded data starting at pos: the next marker. */
static size_t entropy_end(const struct pruner *p, size_t pos)
{
    while (pos + 1 < p->len) {
        if (p->d[pos] == 0xff && p->d[pos + 1] != 0x00 &&
            !(p->d[pos + 1] >= 0xd0 && p->d[pos + 1] <= 0xd7) &&
            p->d[pos + 1] != 0xff)
            return pos;
        pos++;
    }
    return p->len;
}

/* Decide whether the scan whose header is h[0..hlen) is kept. */
static int keep_scan(struct pruner *p, const uint8_t *h, size_t hlen,
                     unsigned needed, unsigned maxzz)
{
    unsigned ns = h[0], ss, se, ah;
    int any_needed = 0;

    if (ns < 1 || ns > MAX_COMPS || hlen < 1 + 2 * ns + 3)
        return -1;
    ss = h[1 + 2 * ns];
    se = h[2 + 2 * ns];
    ah = h[3 + 2 * ns] >> 4;
    if (ss > 63 || se > 63 || se < ss)
        return -1;
    for (unsigned i = 0; i < ns; i++) {
        int c = comp_index(p, h[1 + 2 * i]);
        if (c < 0)
            return -1;
        if (needed & (1u << c))
            any_needed = 1;
    }
    if (!any_needed)
        return 0;
    if (ss == 0)
        return 1;
    if (ns != 1)
        return -1; /* AC scans hold one component (G.1.1.1.1) */
    int c = comp_index(p, h[1]);
    int keep = ah == 0 ? ss <= maxzz : 1;
    for (unsigned k = ss; keep && ah && k <= se; k++)
        keep = p->intact[c][k];
    if (!keep)
        memset(&p->intact[c][ss], 0, se - ss + 1);
    return keep;
}

int vg__media_jpeg_prune(const uint8_t *d, size_t len, unsigned needed,
                         unsigned maxzz, uint8_t **out, size_t *outlen)
{
    struct pruner p;
    int rc = VG_EFORMAT;

    *out = NULL;
    memset(&p, 0, sizeof(p));
    memset(p.intact, 1, sizeof(p.intact));
    p.d = d;
    p.len = len;
    if (len < 4 || d[0] != 0xff || d[1] != 0xd8)
        return VG_EFORMAT;
    if (!(p.out = vg_malloc(len)))
        return VG_ENOMEM;
    copy(&p, 0, 2);
    p.pos = 2;
    while (p.pos + 2 <= len) {
        size_t m = p.pos;
        if (d[m] != 0xff)
            goto done;
        if (d[m + 1] == 0xff) { /* fill byte */
            p.pos++;
            continue;
        }
        if (d[m + 1] == 0xd9) { /* EOI */
            copy(&p, m, 2);
            break;
        }
        if (m + 4 > len)
            goto done;
        size_t seg = ((size_t)d[m + 2] << 8) | d[m + 3];
        if (seg < 2 || m + 2 + seg > len)
            goto done;
        const uint8_t *h = d + m + 4;
        if (d[m + 1] == 0xc2 || d[m + 1] == 0xc1 || d[m + 1] == 0xc0) {
            if (seg < 8 || h[5] < 1 || h[5] > MAX_COMPS ||
                seg < 8 + 3 * (size_t)h[5])
                goto done;
            p.ncomp = h[5];
            for (int i = 0; i < p.ncomp; i++)
                p.ids[i] = h[6 + 3 * i];
        }
        if (d[m + 1] == 0xda) { /* SOS */
            size_t end = entropy_end(&p, m + 2 + seg);
            int keep = p.ncomp ? keep_scan(&p, h, seg - 2, needed, maxzz) : -1;
            if (keep < 0)
                goto done;
            if (keep)
                copy(&p, m, end - m);
            p.pos = end;
            continue;
        }
        copy(&p, m, 2 + seg);
        p.pos = m + 2 + seg;
    }
    rc = VG_OK;
done:
    if (rc) {
        vg_free(p.out);
        return rc;
    }
    *out = p.out;
    *outlen = p.olen;
    return VG_OK;
}
