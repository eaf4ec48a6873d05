/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GIF decoding with giflib's low-level reader (DGifGetRecordType,
 * DGifGetImageDesc, DGifGetLine; never DGifSlurp, which decodes every
 * frame).  Per include/vigil/media.h only the first image is decoded, and
 * the output is that image's own rectangle (its descriptor's size, not the
 * logical screen; the position is ignored), expanded through its local
 * colour map or else the global one to RGB; transparency and disposal are
 * ignored, indices past the map read as black.  The screen and the image
 * size are both checked against the pixel limit before anything is
 * allocated.  Non-interlaced images stream row by row; interlaced ones are
 * de-interlaced in a one-byte-per-pixel index buffer.  If the data stops
 * after at least one row, the missing rows are mid-grey and info->warning
 * says so.
 */
#include <string.h>

#include <gif_lib.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

struct gif_src {
    const uint8_t *data;
    size_t len, off;
};

struct gif_job {
    GifFileType *gif;
    struct gif_src src;
    uint8_t pal[256 * 3];
    uint8_t *idx;  /* one row, or the whole image if interlaced */
    uint8_t *have; /* interlaced: which rows were decoded */
    struct vg__media_rows out;
};

static int gif_read(GifFileType *gif, GifByteType *dst, int n)
{
    struct gif_src *s = gif->UserData;
    size_t k;

    if (n <= 0)
        return 0;
    k = s->len - s->off;
    if ((size_t)n < k)
        k = (size_t)n;
    memcpy(dst, s->data + s->off, k);
    s->off += k;
    return (int)k;
}

static int gif_fail(struct vg__media_ctx *ctx, int code, const char *when)
{
    const char *what = GifErrorString(code);

    if (code == D_GIF_ERR_NOT_ENOUGH_MEM)
        return vg_err_set(ctx->err, VG_ENOMEM, "GIF: out of memory");
    return vg_err_set(ctx->err, VG_ECORRUPT, "GIF: %s (%s)",
                      what ? what : "unknown error", when);
}

/* Skip extension records until the first image descriptor. */
static int find_image(struct vg__media_ctx *ctx, struct gif_job *job)
{
    GifRecordType type;
    GifByteType *ext;
    int code;

    for (;;) {
        if (DGifGetRecordType(job->gif, &type) == GIF_ERROR)
            return gif_fail(ctx, job->gif->Error, "before the first image");
        switch (type) {
        case IMAGE_DESC_RECORD_TYPE:
            if (DGifGetImageDesc(job->gif) == GIF_ERROR)
                return gif_fail(ctx, job->gif->Error, "image descriptor");
            return VG_OK;
        case EXTENSION_RECORD_TYPE:
            if (DGifGetExtension(job->gif, &code, &ext) == GIF_ERROR)
                return gif_fail(ctx, job->gif->Error, "extension");
            while (ext)
                if (DGifGetExtensionNext(job->gif, &ext) == GIF_ERROR)
                    return gif_fail(ctx, job->gif->Error, "extension");
            break;
        case TERMINATE_RECORD_TYPE:
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "GIF: the file contains no image");
        default:
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "GIF: unknown record type");
        }
    }
}

static void expand_row(const struct gif_job *job, const uint8_t *idx,
                       uint8_t *dst, unsigned width)
{
    unsigned x;
    const uint8_t *p;

    for (x = 0; x < width; x++, dst += 3) {
        p = job->pal + 3 * (size_t)idx[x];
        dst[0] = p[0];
        dst[1] = p[1];
        dst[2] = p[2];
    }
}

static int decode_rows(struct vg__media_ctx *ctx, struct gif_job *job)
{
    const struct vg_media_info *in = ctx->info;
    unsigned y;
    int rc;

    for (y = 0; y < in->height; y++) {
        if (DGifGetLine(job->gif, job->idx, (int)in->width) == GIF_ERROR)
            break;
        expand_row(job, job->idx, vg__media_rows_next(&job->out), in->width);
        if ((rc = vg__media_rows_commit(ctx, &job->out)))
            return rc;
    }
    if (y < in->height) {
        if (job->gif->Error == D_GIF_ERR_NOT_ENOUGH_MEM)
            return vg_err_set(ctx->err, VG_ENOMEM, "GIF: out of memory");
        if (y == 0)
            return gif_fail(ctx, job->gif->Error, "first row");
        vg__media_incomplete(ctx, "truncated GIF: %u of %u rows decoded", y,
                             in->height);
        if ((rc = vg__media_rows_fill(ctx, &job->out, in->height - y)))
            return rc;
    }
    return vg__media_rows_flush(ctx, &job->out);
}

static int decode_interlaced(struct vg__media_ctx *ctx, struct gif_job *job)
{
    static const unsigned start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    const struct vg_media_info *in = ctx->info;
    unsigned pass, y, nrows = 0;
    uint8_t *row;
    int rc, ok = 1;

    for (pass = 0; pass < 4 && ok; pass++)
        for (y = start[pass]; y < in->height && ok; y += step[pass]) {
            row = job->idx + (size_t)y * in->width;
            if (DGifGetLine(job->gif, row, (int)in->width) == GIF_ERROR) {
                ok = 0;
            } else {
                job->have[y] = 1;
                nrows++;
            }
        }
    if (!ok) {
        if (job->gif->Error == D_GIF_ERR_NOT_ENOUGH_MEM)
            return vg_err_set(ctx->err, VG_ENOMEM, "GIF: out of memory");
        if (nrows == 0)
            return gif_fail(ctx, job->gif->Error, "first row");
        vg__media_incomplete(
            ctx, "truncated GIF: interlaced, %u of %u rows decoded", nrows,
            in->height);
    }
    for (y = 0; y < in->height; y++) {
        row = vg__media_rows_next(&job->out);
        if (job->have[y])
            expand_row(job, job->idx + (size_t)y * in->width, row, in->width);
        else
            memset(row, VG__MEDIA_FILL, job->out.stride);
        if ((rc = vg__media_rows_commit(ctx, &job->out)))
            return rc;
    }
    return vg__media_rows_flush(ctx, &job->out);
}

static int gif_run(struct vg__media_ctx *ctx, struct gif_job *job)
{
    struct vg_media_info *info = ctx->info;
    const ColorMapObject *map;
    int code = 0, i, rc;

    job->src.data = ctx->data;
    job->src.len = ctx->len;
    if (!(job->gif = DGifOpen(&job->src, gif_read, &code)))
        return gif_fail(ctx, code, "screen descriptor");
    /* the screen is never allocated here, but a huge one is not an image
     * anybody should be asked to decode */
    if ((uint64_t)job->gif->SWidth * (uint64_t)job->gif->SHeight >
        ctx->max_pixels)
        return vg_err_set(ctx->err, VG_ETOOBIG,
                          "GIF: screen of %dx%d pixels exceeds the limit of "
                          "%llu",
                          job->gif->SWidth, job->gif->SHeight,
                          (unsigned long long)ctx->max_pixels);
    if ((rc = find_image(ctx, job)))
        return rc;
    info->width = (unsigned)job->gif->Image.Width;
    info->height = (unsigned)job->gif->Image.Height;
    if (job->gif->Image.Width < 0 || job->gif->Image.Height < 0)
        return vg_err_set(ctx->err, VG_ECORRUPT, "GIF: negative image size");
    if ((rc = vg__media_check_dims(ctx, "GIF", info->width, info->height)))
        return rc;
    map = job->gif->Image.ColorMap ? job->gif->Image.ColorMap
                                   : job->gif->SColorMap;
    if (!map || !map->Colors || map->ColorCount <= 0)
        return vg_err_set(ctx->err, VG_ECORRUPT, "GIF: no colour map");
    memset(job->pal, 0, sizeof(job->pal));
    for (i = 0; i < map->ColorCount && i < 256; i++) {
        job->pal[3 * i] = map->Colors[i].Red;
        job->pal[3 * i + 1] = map->Colors[i].Green;
        job->pal[3 * i + 2] = map->Colors[i].Blue;
    }
    info->channels = 3;
    info->out_width = info->width;
    info->out_height = info->height;
    if (job->gif->Image.Interlace) {
        if (!(job->idx = vg_mallocarray(info->height, info->width)) ||
            !(job->have = vg_calloc(info->height, 1)))
            return vg_err_set(ctx->err, VG_ENOMEM, "GIF: out of memory");
    } else if (!(job->idx = vg_malloc(info->width))) {
        return vg_err_set(ctx->err, VG_ENOMEM, "GIF: out of memory");
    }
    if ((rc = vg__media_rows_init(ctx, &job->out)) ||
        (rc = vg__media_begin(ctx)))
        return rc;
    return job->gif->Image.Interlace ? decode_interlaced(ctx, job)
                                     : decode_rows(ctx, job);
}

int vg__media_gif(struct vg__media_ctx *ctx)
{
    struct gif_job job;
    int rc, code;

    memset(&job, 0, sizeof(job));
    rc = gif_run(ctx, &job);
    if (job.gif)
        DGifCloseFile(job.gif, &code);
    vg__media_rows_fini(&job.out);
    vg_free(job.idx);
    vg_free(job.have);
    return rc;
}
