/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The streaming PDQ hasher (include/vigil/pdq.h): rows go in top to bottom
 * and flow through luma (spec 4), the blur (spec 5: rows, columns, rows,
 * columns) and decimation (spec 6) without the image ever being held.
 *
 *   pixels --luma--> lblk (lanes rows) --row pass 1--> ring2 --column
 *   pass 2--> pblk (lanes rows) --row pass 3, 64 sample columns only-->
 *   ring4 --column pass 4--> the 64 sample rows of A (64x64)
 *
 * Row passes run `lanes` rows side by side in the ISA kernels (lanes = 1
 * with the plain 1-D filter for images under 64 rows, which keeps memory
 * within ~6 bytes per pixel whatever the aspect ratio).  A column pass keeps
 * one running sum per column and a ring of recent rows for the subtraction.
 * Invariant: every value follows the spec's exact binary32 sequence, so the
 * result equals vg_pdq_hash_luma bit for bit.
 */
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/pdq.h"
#include "pdq_int.h"

/* The streaming form of one spec-5 column pass over n columns. */
struct colbox {
    unsigned n, w, h, height; /* columns, window, spec's h, rows in all */
    unsigned r;               /* rows added so far */
    unsigned slots;           /* ring capacity in rows */
    float *ring;              /* slots * n */
    float *s;                 /* running sums, n */
};

struct vg_pdq_stream {
    const struct vg__pdq_kernels *k;
    unsigned w0, h0, channels, flags;
    unsigned width, height; /* of the image hashed (after any pre-resize) */
    unsigned wx, wy, lanes;
    unsigned rows_in;     /* source rows received */
    unsigned rows_hashed; /* rows fed to luma */
    int tiny;             /* a side below 5: nothing to compute */

    unsigned *xmap;  /* pre-resize: source column of each column */
    uint8_t *prow;   /* pre-resize: one resampled row */
    unsigned next_y; /* pre-resize: next output row */

    float *lblk; /* lanes luma rows */
    unsigned nl;
    float *scratch;   /* kernel scratch, 2 * LANES * width */
    float *dummy;     /* output row for unused lanes */
    struct colbox c2; /* column pass 2, width columns */
    float *pblk;      /* lanes rows out of pass 2 */
    unsigned np;
    unsigned cj[64], ri[64];
    float *sel;       /* lanes * 64 outputs of row pass 3 */
    struct colbox c4; /* column pass 4, 64 columns */
    float out4[64];
    unsigned next_i; /* next row of a to fill */
    float a[64][64];
    float (*plain)[64]; /* raw luma of a 64x64 image (spec 5) */
};

static int colbox_init(struct colbox *cb, unsigned n, unsigned w,
                       unsigned height, unsigned ahead)
{
    cb->n = n;
    cb->w = w;
    cb->h = (w + 2) / 2;
    cb->height = height;
    cb->r = 0;
    /* rows r - w .. r must stay, plus `ahead` rows written in advance */
    cb->slots = w + 1 + ahead;
    if (cb->slots > height)
        cb->slots = height;
    cb->ring = vg_mallocarray((size_t)cb->slots * n, sizeof(float));
    cb->s = vg_calloc(n, sizeof(float));
    return cb->ring && cb->s ? VG_OK : VG_ENOMEM;
}

static void colbox_fini(struct colbox *cb)
{
    vg_free(cb->ring);
    vg_free(cb->s);
}

/* The ring slot of row r + ahead (to be written before colbox_push). */
static float *colbox_slot(const struct colbox *cb, unsigned ahead)
{
    return cb->ring + (size_t)((cb->r + ahead) % cb->slots) * cb->n;
}

/*
 * Take the row in colbox_slot(cb, 0).  Returns the index of the output row
 * written to out, or -1 when the window is still filling (spec phase 1).
 */
static long colbox_push(const struct vg__pdq_kernels *k, struct colbox *cb,
                        float *out)
{
    unsigned r = cb->r++;
    const float *add = cb->ring + (size_t)(r % cb->slots) * cb->n;

    if (r + 1 < cb->h) {
        k->colstep(cb->s, add, NULL, NULL, 1.0f, cb->n);
        return -1;
    }
    if (r < cb->w) {
        k->colstep(cb->s, add, NULL, out, (float)(r + 1), cb->n);
    } else {
        const float *sub = cb->ring +
                           (size_t)((r - cb->w) % cb->slots) * cb->n;
        k->colstep(cb->s, add, sub, out, (float)cb->w, cb->n);
    }
    return (long)(r + 1 - cb->h);
}

/*
 * After the last row: the spec's phase 4, one output row per call.
 * Returns its index, or -1 when all rows are out.
 */
static long colbox_tail(const struct vg__pdq_kernels *k, struct colbox *cb,
                        float *out)
{
    unsigned i = cb->r + 1 - cb->h; /* next output row */
    unsigned back = cb->w - cb->h;

    if (i >= cb->height)
        return -1;
    cb->r++;
    /* count: w, minus one per tail row so far (i - (height - h + 1) + 1) */
    unsigned cnt = cb->w - (i - (cb->height - cb->h));
    const float *sub = cb->ring + (size_t)((i - back - 1) % cb->slots) * cb->n;
    k->colstep(cb->s, NULL, sub, out, (float)cnt, cb->n);
    return (long)i;
}

static void take_row(struct vg_pdq_stream *s, unsigned i, const float *row)
{
    while (s->next_i < 64 && s->ri[s->next_i] == i) {
        memcpy(s->a[s->next_i], row, sizeof(s->a[0]));
        s->next_i++;
    }
}

/* Row pass 3 (sample columns only) on pblk, then column pass 4. */
static void flush_p(struct vg_pdq_stream *s)
{
    const float *in[VG_PDQ_LANES];
    unsigned w = s->width;

    if (!s->np)
        return;
    if (s->lanes == 1) {
        float *row = s->scratch;
        vg__pdq_box1d(s->pblk, row, w, 1, s->wx);
        for (unsigned j = 0; j < 64; j++)
            s->sel[j] = row[s->cj[j]];
    } else {
        for (unsigned l = 0; l < VG_PDQ_LANES; l++)
            in[l] = s->pblk + (size_t)(l < s->np ? l : 0) * w;
        s->k->rowbox_sel(in, w, s->wx, s->cj, 64, s->sel, s->scratch);
    }
    for (unsigned l = 0; l < s->np; l++) {
        memcpy(colbox_slot(&s->c4, 0), s->sel + (size_t)l * 64,
               64 * sizeof(float));
        long i = colbox_push(s->k, &s->c4, s->out4);
        if (i >= 0)
            take_row(s, (unsigned)i, s->out4);
    }
    s->np = 0;
}

/* A row out of column pass 2 is in pblk[np]; pass it on when lanes full. */
static void pblk_added(struct vg_pdq_stream *s)
{
    if (++s->np == s->lanes)
        flush_p(s);
}

/* Row pass 1 on lblk into ring2, then column pass 2. */
static void flush_l(struct vg_pdq_stream *s)
{
    const float *in[VG_PDQ_LANES];
    float *out[VG_PDQ_LANES];
    unsigned w = s->width;

    if (!s->nl)
        return;
    if (s->lanes == 1) {
        vg__pdq_box1d(s->lblk, colbox_slot(&s->c2, 0), w, 1, s->wx);
    } else {
        for (unsigned l = 0; l < VG_PDQ_LANES; l++) {
            in[l] = s->lblk + (size_t)(l < s->nl ? l : 0) * w;
            out[l] = l < s->nl ? colbox_slot(&s->c2, l) : s->dummy;
        }
        s->k->rowbox(in, out, w, s->wx, s->scratch);
    }
    for (unsigned l = 0; l < s->nl; l++) {
        if (colbox_push(s->k, &s->c2, s->pblk + (size_t)s->np * w) >= 0)
            pblk_added(s);
    }
    s->nl = 0;
}

/* One row of the image to hash (after any pre-resize). */
static void hash_row(struct vg_pdq_stream *s, const uint8_t *px)
{
    float *dst = s->lblk + (size_t)s->nl * s->width;

    s->k->luma(px, s->channels, dst, s->width);
    if (s->plain)
        memcpy(s->plain[s->rows_hashed], dst, 64 * sizeof(float));
    s->rows_hashed++;
    if (++s->nl == s->lanes)
        flush_l(s);
}

void vg_pdq_stream_free(struct vg_pdq_stream *s)
{
    if (!s)
        return;
    vg_free(s->xmap);
    vg_free(s->prow);
    vg_free(s->lblk);
    vg_free_aligned(s->scratch);
    vg_free(s->dummy);
    colbox_fini(&s->c2);
    vg_free(s->pblk);
    vg_free(s->sel);
    colbox_fini(&s->c4);
    vg_free(s->plain);
    vg_free(s);
}

static int stream_alloc(struct vg_pdq_stream *s)
{
    size_t w = s->width;
    int rc;

    s->lanes = s->height >= 64 ? VG_PDQ_LANES : 1;
    s->lblk = vg_mallocarray(s->lanes * w, sizeof(float));
    s->pblk = vg_mallocarray(s->lanes * w, sizeof(float));
    s->sel = vg_mallocarray((size_t)s->lanes * 64, sizeof(float));
    s->scratch = vg_malloc_aligned((s->lanes == 1 ? 1 : 2 * VG_PDQ_LANES) * w *
                                   sizeof(float));
    s->dummy = vg_mallocarray(w, sizeof(float));
    if (!s->lblk || !s->pblk || !s->sel || !s->scratch || !s->dummy)
        return VG_ENOMEM;
    if ((rc = colbox_init(&s->c2, s->width, s->wy, s->height, s->lanes)))
        return rc;
    if ((rc = colbox_init(&s->c4, 64, s->wy, s->height, 0)))
        return rc;
    if (s->width == 64 && s->height == 64 &&
        !(s->plain = vg_calloc(64, sizeof(*s->plain))))
        return VG_ENOMEM;
    if (s->flags & VG_PDQ_PRESCALE_512 && (s->w0 > 512 || s->h0 > 512)) {
        if (!(s->xmap = vg_calloc(512, sizeof(unsigned))) ||
            !(s->prow = vg_calloc(512, s->channels)))
            return VG_ENOMEM;
        for (unsigned x = 0; x < 512; x++)
            s->xmap[x] = (unsigned)(((uint64_t)x * s->w0) >> 9);
    }
    return VG_OK;
}

int vg_pdq_stream_new(unsigned width, unsigned height, unsigned channels,
                      unsigned flags, struct vg_pdq_stream **out)
{
    struct vg_pdq_stream *s;
    int rc;

    *out = NULL;
    if (!width || !height || (channels != 1 && channels != 3) ||
        (flags & ~(unsigned)(VG_PDQ_DIHEDRAL | VG_PDQ_PRESCALE_512)))
        return VG_EINVAL;
    if (!(s = vg_calloc(1, sizeof(*s))))
        return VG_ENOMEM;
    s->k = vg__pdq_kernels();
    s->w0 = s->width = width;
    s->h0 = s->height = height;
    s->channels = channels;
    s->flags = flags;
    if ((flags & VG_PDQ_PRESCALE_512) && (width > 512 || height > 512))
        s->width = s->height = 512;
    s->tiny = s->width < 5 || s->height < 5;
    if (!s->tiny) {
        s->wx = vg__pdq_window(s->width);
        s->wy = vg__pdq_window(s->height);
        vg__pdq_sample_points(s->width, s->cj);
        vg__pdq_sample_points(s->height, s->ri);
        if ((rc = stream_alloc(s))) {
            vg_pdq_stream_free(s);
            return rc;
        }
    }
    *out = s;
    return VG_OK;
}

/* Pre-resize (spec 2): source row r becomes every output y mapped to it. */
static void prescale_row(struct vg_pdq_stream *s, unsigned r,
                         const uint8_t *px)
{
    unsigned ch = s->channels;

    while (s->next_y < 512 &&
           (unsigned)(((uint64_t)s->next_y * s->h0) >> 9) == r) {
        for (unsigned x = 0; x < 512; x++)
            memcpy(s->prow + (size_t)x * ch, px + (size_t)s->xmap[x] * ch, ch);
        hash_row(s, s->prow);
        s->next_y++;
    }
}

int vg_pdq_stream_push(struct vg_pdq_stream *s, const uint8_t *rows,
                       size_t stride, unsigned nrows)
{
    if (!s || (nrows && !rows) || nrows > s->h0 - s->rows_in)
        return VG_EINVAL;
    for (unsigned i = 0; i < nrows; i++, s->rows_in++) {
        const uint8_t *px = rows + i * stride;
        if (s->tiny)
            continue;
        if (s->xmap)
            prescale_row(s, s->rows_in, px);
        else
            hash_row(s, px);
    }
    return VG_OK;
}

int vg_pdq_stream_finish(struct vg_pdq_stream *s, struct vg_pdq_result *out)
{
    long i;

    if (!s || !out || s->rows_in != s->h0)
        return VG_EINVAL;
    if (s->tiny) {
        memset(out, 0, sizeof(*out));
        return VG_OK;
    }
    flush_l(s);
    while ((i = colbox_tail(s->k, &s->c2,
                            s->pblk + (size_t)s->np * s->width)) >= 0)
        pblk_added(s);
    flush_p(s);
    while ((i = colbox_tail(s->k, &s->c4, s->out4)) >= 0)
        take_row(s, (unsigned)i, s->out4);
    if (s->next_i != 64 || s->rows_hashed != s->height)
        return VG_EINTERNAL;
    vg__pdq_finish64(s->plain ? s->plain : s->a, s->a, s->flags, out);
    return VG_OK;
}
