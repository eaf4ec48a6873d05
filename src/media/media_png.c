/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PNG decoding with libspng, matching what libpng-based readers (pngtopnm,
 * ImageMagick) produce for PDQ-SPEC section 1: grey and grey+alpha give one
 * channel, RGB/RGBA/palette three; alpha and tRNS are ignored (not
 * composited); 1/2/4-bit grey is scaled to 0..255 (1-bit: 0/255); 16-bit
 * samples keep their high byte (v >> 8); no gamma; palette indices past the
 * PLTE read as black, as libpng does.  CRCs of critical chunks are checked.
 * The file is fed to spng as a stream from memory so that a truncated IDAT
 * still yields the rows before the cut; then (and after any other error
 * once at least one row is out) the missing rows are mid-grey and
 * info->warning says how many rows were decoded.  Non-interlaced images are
 * decoded one row at a time; Adam7 images into one buffer (bounded by the
 * pixel limit) which is pre-filled with mid-grey.  spng allocates through
 * vg_malloc (wrapped to tell a failed allocation from corrupt data) and its
 * ancillary-chunk memory is capped.
 */
#include <string.h>

#include <spng.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

/* Ancillary chunks (text, ICC, EXIF; decompressed size for zTXt/iCCP). */
#define PNG_MAX_CHUNK (16u * 1024 * 1024)
#define PNG_MAX_CHUNK_CACHE (64u * 1024 * 1024)

/*
 * spng (and zlib under it) turn an allocation failure deep inside inflate
 * into "IDAT stream error"; these wrappers note the failure so that it is
 * reported as VG_ENOMEM, not as corrupt data.  Per thread, reset per image.
 */
static _Thread_local int png_oom;

static void *png_malloc(size_t n)
{
    void *p = vg_malloc(n);

    png_oom |= !p;
    return p;
}

static void *png_realloc(void *q, size_t n)
{
    void *p = vg_realloc(q, n);

    png_oom |= !p;
    return p;
}

static void *png_calloc(size_t count, size_t size)
{
    void *p = vg_calloc(count, size);

    png_oom |= !p;
    return p;
}

struct png_src {
    const uint8_t *data;
    size_t len, off;
};

struct png_job {
    spng_ctx *sp;
    struct png_src src;
    int fmt;          /* spng output format */
    size_t raw_row;   /* bytes per row in fmt */
    unsigned src_bpp; /* bytes per pixel in fmt */
    unsigned sample;  /* bytes per sample in fmt (2: big-endian 16-bit) */
    uint8_t *raw;     /* one row, or the whole image if interlaced */
    struct vg__media_rows out;
};

static int png_read(spng_ctx *sp, void *user, void *dst, size_t n)
{
    struct png_src *s = user;

    (void)sp;
    if (n > s->len - s->off)
        return SPNG_IO_EOF;
    memcpy(dst, s->data + s->off, n);
    s->off += n;
    return 0;
}

static int spng_code(int ret)
{
    switch (ret) {
    case SPNG_EMEM:
    case SPNG_EZLIB_INIT: /* inflateInit fails for want of memory */
        return VG_ENOMEM;
    case SPNG_EUSER_WIDTH:
    case SPNG_EUSER_HEIGHT:
    case SPNG_ECHUNK_LIMITS:
        return VG_ETOOBIG;
    default:
        return VG_ECORRUPT;
    }
}

static int spng_fail(struct vg__media_ctx *ctx, int ret, const char *when)
{
    if (png_oom || ret == SPNG_EMEM)
        return vg_err_set(ctx->err, VG_ENOMEM, "PNG: out of memory");
    if (ret == SPNG_IO_EOF || ret == SPNG_EOF)
        return vg_err_set(ctx->err, VG_ECORRUPT, "PNG: truncated %s", when);
    return vg_err_set(ctx->err, spng_code(ret), "PNG: %s (%s)",
                      spng_strerror(ret), when);
}

/* Choose the spng format that needs the least work to reach 8-bit G/RGB. */
static int choose_format(struct vg__media_ctx *ctx, struct png_job *job,
                         const struct spng_ihdr *ih)
{
    unsigned sb = ih->bit_depth == 16 ? 2 : 1;

    job->sample = 1;
    switch (ih->color_type) {
    case SPNG_COLOR_TYPE_GRAYSCALE:
        ctx->info->channels = 1;
        if (ih->bit_depth <= 8) {
            job->fmt = SPNG_FMT_G8; /* unpacks and scales 1/2/4-bit */
            job->src_bpp = 1;
        } else {
            job->fmt = SPNG_FMT_RAW;
            job->sample = sb;
            job->src_bpp = sb;
        }
        return VG_OK;
    case SPNG_COLOR_TYPE_GRAYSCALE_ALPHA:
        ctx->info->channels = 1;
        job->fmt = SPNG_FMT_RAW;
        job->sample = sb;
        job->src_bpp = 2 * sb;
        return VG_OK;
    case SPNG_COLOR_TYPE_TRUECOLOR:
    case SPNG_COLOR_TYPE_TRUECOLOR_ALPHA:
        ctx->info->channels = 3;
        job->fmt = SPNG_FMT_RAW;
        job->sample = sb;
        job->src_bpp = (ih->color_type == SPNG_COLOR_TYPE_TRUECOLOR ? 3 : 4) *
                       sb;
        return VG_OK;
    case SPNG_COLOR_TYPE_INDEXED:
        /* palette expansion without tRNS; out-of-range indices: black */
        ctx->info->channels = 3;
        job->fmt = SPNG_FMT_RGB8;
        job->src_bpp = 3;
        return VG_OK;
    default:
        return vg_err_set(ctx->err, VG_ECORRUPT, "PNG: colour type %u",
                          (unsigned)ih->color_type);
    }
}

/* One row in job->fmt to 8-bit output: first byte of each wanted sample
 * (the high byte of big-endian 16-bit samples); alpha is skipped. */
static void convert_row(const struct png_job *job, const uint8_t *src,
                        uint8_t *dst, unsigned width, unsigned channels)
{
    unsigned x, c;
    size_t s = job->sample;

    if (job->src_bpp == channels) {
        memcpy(dst, src, (size_t)width * channels);
        return;
    }
    for (x = 0; x < width; x++, src += job->src_bpp)
        for (c = 0; c < channels; c++)
            *dst++ = src[c * s];
}

/* Non-interlaced: decode, convert and push row by row. */
static int decode_rows(struct vg__media_ctx *ctx, struct png_job *job)
{
    const struct vg_media_info *in = ctx->info;
    unsigned y;
    int ret, rc;

    for (y = 0, ret = 0; y < in->height && !ret;) {
        ret = spng_decode_row(job->sp, job->raw, job->raw_row);
        if (ret && ret != SPNG_EOI)
            break;
        convert_row(job, job->raw, vg__media_rows_next(&job->out), in->width,
                    in->channels);
        if ((rc = vg__media_rows_commit(ctx, &job->out)))
            return rc;
        y++;
    }
    if (y < in->height) {
        /* stopped early: rows y.. are missing */
        if (y == 0 || png_oom || ret == SPNG_EMEM)
            return spng_fail(ctx, ret, "before the first row");
        if (ret == SPNG_IO_EOF || ret == SPNG_EOF)
            vg__media_incomplete(ctx, "truncated PNG: %u of %u rows decoded",
                                 y, in->height);
        else
            vg__media_incomplete(ctx,
                                 "corrupt PNG (%s): %u of %u rows decoded",
                                 spng_strerror(ret), y, in->height);
        if ((rc = vg__media_rows_fill(ctx, &job->out, in->height - y)))
            return rc;
    }
    return vg__media_rows_flush(ctx, &job->out);
}

/* Adam7: decode every pass into the whole (mid-grey) image, then push. */
static int decode_interlaced(struct vg__media_ctx *ctx, struct png_job *job)
{
    const struct vg_media_info *in = ctx->info;
    struct spng_row_info ri;
    unsigned y, nrows = 0;
    int ret, rc;

    memset(job->raw, VG__MEDIA_FILL, job->raw_row * in->height);
    memset(&ri, 0, sizeof(ri));
    do {
        if ((ret = spng_get_row_info(job->sp, &ri)))
            break;
        if (ri.row_num >= in->height) {
            ret = SPNG_EINTERNAL;
            break;
        }
        ret = spng_decode_row(job->sp, job->raw + ri.row_num * job->raw_row,
                              job->raw_row);
        if (!ret || ret == SPNG_EOI)
            nrows++;
    } while (!ret);
    if (ret != SPNG_EOI) {
        if (nrows == 0 || png_oom || ret == SPNG_EMEM)
            return spng_fail(ctx, ret, "before the first row");
        vg__media_incomplete(
            ctx, "%s PNG: interlaced, stopped in pass %d of 7",
            ret == SPNG_IO_EOF || ret == SPNG_EOF ? "truncated" : "corrupt",
            ri.pass + 1);
    }
    for (y = 0; y < in->height; y++) {
        convert_row(job, job->raw + y * job->raw_row,
                    vg__media_rows_next(&job->out), in->width, in->channels);
        if ((rc = vg__media_rows_commit(ctx, &job->out)))
            return rc;
    }
    return vg__media_rows_flush(ctx, &job->out);
}

static int png_run(struct vg__media_ctx *ctx, struct png_job *job)
{
    struct spng_alloc alloc = {png_malloc, png_realloc, png_calloc, vg_free};
    struct vg_media_info *info = ctx->info;
    struct spng_ihdr ih;
    uint64_t side = ctx->max_pixels < INT32_MAX ? ctx->max_pixels : INT32_MAX;
    size_t size;
    int ret, rc;

    png_oom = 0;
    if (!(job->sp = spng_ctx_new2(&alloc, 0)))
        return vg_err_set(ctx->err, VG_ENOMEM, "PNG: out of memory");
    job->src.data = ctx->data;
    job->src.len = ctx->len;
    if ((ret = spng_set_png_stream(job->sp, png_read, &job->src)) ||
        (ret = spng_set_image_limits(job->sp, (uint32_t)side,
                                     (uint32_t)side)) ||
        (ret = spng_set_chunk_limits(job->sp, PNG_MAX_CHUNK,
                                     PNG_MAX_CHUNK_CACHE)))
        return spng_fail(ctx, ret, "setup");
    if ((ret = spng_get_ihdr(job->sp, &ih)))
        return spng_fail(ctx, ret, "header");
    info->width = ih.width;
    info->height = ih.height;
    if ((rc = vg__media_check_dims(ctx, "PNG", ih.width, ih.height)) ||
        (rc = choose_format(ctx, job, &ih)))
        return rc;
    if ((ret = spng_decoded_image_size(job->sp, job->fmt, &size)))
        return spng_fail(ctx, ret, "image size");
    job->raw_row = size / ih.height;
    if (job->raw_row < (size_t)job->src_bpp * ih.width)
        return vg_err_set(ctx->err, VG_EINTERNAL, "PNG: row size %zu",
                          job->raw_row);
    /* reads the chunks up to the first IDAT */
    if ((ret = spng_decode_image(job->sp, NULL, 0, job->fmt,
                                 SPNG_DECODE_PROGRESSIVE)))
        return spng_fail(ctx, ret, "before the image data");

    info->out_width = info->width;
    info->out_height = info->height;
    if (!(job->raw = ih.interlace_method
                         ? vg_mallocarray(ih.height, job->raw_row)
                         : vg_malloc(job->raw_row)))
        return vg_err_set(ctx->err, VG_ENOMEM, "PNG: out of memory");
    if ((rc = vg__media_rows_init(ctx, &job->out)) ||
        (rc = vg__media_begin(ctx)))
        return rc;
    return ih.interlace_method ? decode_interlaced(ctx, job)
                               : decode_rows(ctx, job);
}

int vg__media_png(struct vg__media_ctx *ctx)
{
    struct png_job job;
    int rc;

    memset(&job, 0, sizeof(job));
    rc = png_run(ctx, &job);
    vg__media_rows_fini(&job.out);
    vg_free(job.raw);
    spng_ctx_free(job.sp);
    return rc;
}
