/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Review thumbnails (vigil/thumb.h).  Downscaling is a box filter fed row
 * by row: source column x falls in thumbnail column floor(x * tw / w), row
 * y in floor(y * th / h), and each thumbnail pixel is the rounded mean of
 * its sources (64-bit sums: no overflow whatever the pixel limit).  The
 * thumbnail is never larger than the source.  Encoding goes through
 * libjpeg-turbo's libjpeg API (already linked for decoding) into a capped
 * buffer; its errors longjmp back into encode().
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/thumb.h"

#define OUT_CAP ((size_t)4 << 20) /* a 1024-pixel JPEG is far below this */
#define CHUNK 4096

struct vg_thumb {
    unsigned max_side, flags;
    int quality;
    int begun;
    unsigned w, h, ch; /* the source as pushed */
    unsigned tw, th;   /* the thumbnail */
    unsigned rows_seen;
    uint64_t *sum; /* tw * th * ch */
    uint32_t *cnt; /* tw * th */
};

int vg_thumb_new(const struct vg_thumb_opts *opts, struct vg_thumb **out)
{
    struct vg_thumb *t;
    unsigned side = opts && opts->max_side ? opts->max_side : VG_THUMB_SIDE;
    int q = opts && opts->quality ? opts->quality : VG_THUMB_QUALITY;

    *out = NULL;
    if (side > VG_THUMB_MAX_SIDE || q < 1 || q > 100)
        return VG_EINVAL;
    if (!(t = vg_calloc(1, sizeof(*t))))
        return VG_ENOMEM;
    t->max_side = side;
    t->quality = q;
    t->flags = opts ? opts->flags : 0;
    *out = t;
    return VG_OK;
}

void vg_thumb_free(struct vg_thumb *t)
{
    if (!t)
        return;
    vg_free(t->sum);
    vg_free(t->cnt);
    vg_free(t);
}

static int sink_begin(void *ctx, const struct vg_media_info *info)
{
    struct vg_thumb *t = ctx;
    unsigned w = info->out_width, h = info->out_height;
    unsigned longest = w > h ? w : h;
    size_t cells;

    if (t->begun || !w || !h || (info->channels != 1 && info->channels != 3))
        return VG_EINVAL;
    t->begun = 1;
    t->w = w;
    t->h = h;
    t->ch = info->channels;
    if (longest <= t->max_side) {
        t->tw = w;
        t->th = h;
    } else {
        /* rounded; at most the source's size, at least one pixel */
        t->tw = (unsigned)(((uint64_t)w * t->max_side + longest / 2) /
                           longest);
        t->th = (unsigned)(((uint64_t)h * t->max_side + longest / 2) /
                           longest);
        if (!t->tw)
            t->tw = 1;
        if (!t->th)
            t->th = 1;
    }
    cells = (size_t)t->tw * t->th;
    if (!(t->sum = vg_calloc(cells * t->ch, sizeof(*t->sum))) ||
        !(t->cnt = vg_calloc(cells, sizeof(*t->cnt))))
        return VG_ENOMEM;
    return VG_OK;
}

static int sink_rows(void *ctx, const uint8_t *rows, size_t stride,
                     unsigned nrows)
{
    struct vg_thumb *t = ctx;

    if (!t->begun || nrows > t->h - t->rows_seen)
        return VG_EINVAL;
    for (unsigned r = 0; r < nrows; r++, t->rows_seen++) {
        const uint8_t *p = rows + (size_t)r * stride;
        unsigned ty = (unsigned)((uint64_t)t->rows_seen * t->th / t->h);
        uint64_t *sum = t->sum + (size_t)ty * t->tw * t->ch;
        uint32_t *cnt = t->cnt + (size_t)ty * t->tw;
        unsigned tx = 0;
        /* the first x of column tx + 1: ceil((tx + 1) * w / tw) */
        uint64_t next = t->tw > 1 ? ((uint64_t)t->w + t->tw - 1) / t->tw
                                  : UINT64_MAX;

        for (unsigned x = 0; x < t->w; x++, p += t->ch) {
            while (x >= next) {
                tx++;
                next = tx + 1 < t->tw
                           ? ((uint64_t)(tx + 1) * t->w + t->tw - 1) / t->tw
                           : UINT64_MAX;
            }
            for (unsigned c = 0; c < t->ch; c++)
                sum[(size_t)tx * t->ch + c] += p[c];
            cnt[tx]++;
        }
    }
    return VG_OK;
}

void vg_thumb_sink(struct vg_thumb *t, struct vg_media_sink *sink)
{
    sink->begin = sink_begin;
    sink->rows = sink_rows;
    sink->ctx = t;
}

/* One box pass of radius r along rows (dx 1) or columns, in place. */
static void box_pass(uint8_t *px, unsigned w, unsigned h, unsigned ch,
                     unsigned r, int along_rows, uint8_t *line)
{
    unsigned n = along_rows ? w : h, lines = along_rows ? h : w;
    size_t step = along_rows ? ch : (size_t)w * ch;

    for (unsigned l = 0; l < lines; l++)
        for (unsigned c = 0; c < ch; c++) {
            uint8_t *base =
                px + (along_rows ? (size_t)l * w * ch : (size_t)l * ch) + c;
            for (unsigned i = 0; i < n; i++)
                line[i] = base[i * step];
            for (unsigned i = 0; i < n; i++) {
                unsigned lo = i > r ? i - r : 0;
                unsigned hi = i + r < n ? i + r : n - 1;
                unsigned s = 0;
                for (unsigned k = lo; k <= hi; k++)
                    s += line[k];
                base[i * step] = (uint8_t)((s + (hi - lo + 1) / 2) /
                                           (hi - lo + 1));
            }
        }
}

/* The thumbnail's pixels (out_ch channels), greyed and blurred if asked. */
static uint8_t *pixels(const struct vg_thumb *t, unsigned *out_ch)
{
    size_t cells = (size_t)t->tw * t->th;
    unsigned oc = t->ch == 3 && !(t->flags & VG_THUMB_GREY) ? 3 : 1;
    uint8_t *px = vg_mallocarray(cells, oc), *line = NULL;

    if (!px)
        return NULL;
    for (size_t i = 0; i < cells; i++) {
        uint32_t n = t->cnt[i] ? t->cnt[i] : 1;
        uint8_t v[3];
        for (unsigned c = 0; c < t->ch; c++)
            v[c] = (uint8_t)((t->sum[i * t->ch + c] + n / 2) / n);
        if (oc == 3)
            memcpy(px + i * 3, v, 3);
        else if (t->ch == 3) /* ITU-R BT.601 luma, as JPEG's own */
            px[i] =
                (uint8_t)((299u * v[0] + 587u * v[1] + 114u * v[2] + 500u) /
                          1000u);
        else
            px[i] = v[0];
    }
    if (t->flags & VG_THUMB_BLUR) {
        unsigned longest = t->tw > t->th ? t->tw : t->th;
        unsigned r = longest / 20 > 2 ? longest / 20 : 2;
        if (!(line = vg_malloc(longest))) {
            vg_free(px);
            return NULL;
        }
        for (int pass = 0; pass < 3; pass++) {
            box_pass(px, t->tw, t->th, oc, r, 1, line);
            box_pass(px, t->tw, t->th, oc, r, 0, line);
        }
        vg_free(line);
    }
    *out_ch = oc;
    return px;
}

/* ---- JPEG encoding into a vg_buf ---- */

struct enc {
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    struct jpeg_destination_mgr dest;
    JOCTET chunk[CHUNK];
    struct vg_buf out;
    int overflow;
};

static void enc_error_exit(j_common_ptr cinfo)
{
    struct enc *e = (struct enc *)cinfo->client_data;

    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jb, 1);
}

static void enc_output(j_common_ptr cinfo)
{
    (void)cinfo; /* never print */
}

static void dest_init(j_compress_ptr cinfo)
{
    struct enc *e = (struct enc *)cinfo->client_data;

    e->dest.next_output_byte = e->chunk;
    e->dest.free_in_buffer = CHUNK;
}

static boolean dest_empty(j_compress_ptr cinfo)
{
    struct enc *e = (struct enc *)cinfo->client_data;

    if (vg_buf_append(&e->out, e->chunk, CHUNK)) {
        e->overflow = 1;
        snprintf(e->msg, sizeof(e->msg), "thumbnail over %zu bytes", OUT_CAP);
        longjmp(e->jb, 1);
    }
    e->dest.next_output_byte = e->chunk;
    e->dest.free_in_buffer = CHUNK;
    return TRUE;
}

static void dest_term(j_compress_ptr cinfo)
{
    struct enc *e = (struct enc *)cinfo->client_data;

    if (vg_buf_append(&e->out, e->chunk, CHUNK - e->dest.free_in_buffer))
        e->overflow = 1;
}

/* Compress px (w x h, ch channels) into e->out; VG_OK or VG_EINTERNAL. */
static int encode(struct enc *e, const uint8_t *px, unsigned w, unsigned h,
                  unsigned ch, int quality)
{
    e->cinfo.err = jpeg_std_error(&e->jerr);
    e->jerr.error_exit = enc_error_exit;
    e->jerr.output_message = enc_output;
    if (setjmp(e->jb)) {
        jpeg_destroy_compress(&e->cinfo);
        return e->overflow ? VG_ETOOBIG : VG_EINTERNAL;
    }
    e->cinfo.client_data = e; /* kept by jpeg_create_compress */
    jpeg_create_compress(&e->cinfo);
    e->dest.init_destination = dest_init;
    e->dest.empty_output_buffer = dest_empty;
    e->dest.term_destination = dest_term;
    e->cinfo.dest = &e->dest;
    e->cinfo.image_width = w;
    e->cinfo.image_height = h;
    e->cinfo.input_components = (int)ch;
    e->cinfo.in_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&e->cinfo);
    jpeg_set_quality(&e->cinfo, quality, TRUE);
    e->cinfo.optimize_coding = TRUE;
    jpeg_start_compress(&e->cinfo, TRUE);
    while (e->cinfo.next_scanline < h) {
        JSAMPROW row = (JSAMPROW)(px +
                                  (size_t)e->cinfo.next_scanline * w * ch);
        jpeg_write_scanlines(&e->cinfo, &row, 1);
    }
    jpeg_finish_compress(&e->cinfo);
    jpeg_destroy_compress(&e->cinfo);
    if (e->overflow) {
        snprintf(e->msg, sizeof(e->msg), "thumbnail over %zu bytes", OUT_CAP);
        return VG_ETOOBIG;
    }
    return VG_OK;
}

int vg_thumb_finish(struct vg_thumb *t, uint8_t **jpeg, size_t *n, unsigned *w,
                    unsigned *h, struct vg_err *err)
{
    struct enc *e = NULL;
    uint8_t *px = NULL;
    unsigned ch = 0;
    int rc;

    *jpeg = NULL;
    *n = 0;
    if (!t->begun || t->rows_seen != t->h)
        return vg_err_set(err, VG_EINVAL, "thumbnail: %u of %u rows received",
                          t->rows_seen, t->h);
    if (!(px = pixels(t, &ch)) || !(e = vg_calloc(1, sizeof(*e)))) {
        vg_free(px);
        return vg_err_set(err, VG_ENOMEM, "out of memory");
    }
    vg_buf_init(&e->out, OUT_CAP);
    if ((rc = encode(e, px, t->tw, t->th, ch, t->quality))) {
        rc = vg_err_set(err, rc, "thumbnail: JPEG encoder: %s", e->msg);
        vg_buf_fini(&e->out);
    } else {
        /* the buffer's own allocation, handed over (vg_free it) */
        *jpeg = (uint8_t *)e->out.data;
        *n = e->out.len;
        if (w)
            *w = t->tw;
        if (h)
            *h = t->th;
    }
    vg_free(e);
    vg_free(px);
    return rc;
}

int vg_thumb_mem(const uint8_t *data, size_t len,
                 const struct vg_thumb_opts *opts, uint8_t **jpeg, size_t *n,
                 unsigned *w, unsigned *h, struct vg_err *err)
{
    struct vg_thumb *t = NULL;
    struct vg_media_sink sink;
    struct vg_media_opts mo;
    struct vg_media_info info;
    int rc;

    *jpeg = NULL;
    *n = 0;
    if ((rc = vg_thumb_new(opts, &t)))
        return vg_err_set(err, rc,
                          rc == VG_EINVAL ? "bad thumbnail options"
                                          : "out of memory");
    memset(&mo, 0, sizeof(mo));
    if (opts)
        mo.limits = opts->limits;
    mo.scale_min_side = t->max_side; /* JPEG: decode no larger than needed */
    vg_thumb_sink(t, &sink);
    if (!(rc = vg_media_decode(data, len, &mo, &sink, &info, err)))
        rc = vg_thumb_finish(t, jpeg, n, w, h, err);
    vg_thumb_free(t);
    return rc;
}
