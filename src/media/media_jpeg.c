/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JPEG decoding with libjpeg-turbo's libjpeg API, set up exactly as djpeg's
 * defaults (integer "islow" IDCT, fancy upsampling) so pixels are identical
 * to the reference pixel source of PDQ-SPEC section 1.  Grey JPEGs give one
 * channel, YCbCr/RGB three; CMYK and YCCK are treated as Adobe-inverted (as
 * Photoshop writes them, and as ImageMagick and djpeg read them) and
 * converted with R = round(C*K/255), G = round(M*K/255), B = round(Y*K/255).
 * Rows are read in small batches; the only pixel memory is one batch, plus
 * libjpeg's whole-image coefficient buffer for progressive (multi-scan)
 * files, which is computed from the header and held to 8 bytes per allowed
 * pixel before libjpeg allocates it (libjpeg-turbo 2.1's memory manager
 * ignores max_memory_to_use; it is set anyway for 3.x, which honours it).
 * Errors longjmp out of libjpeg into jpeg_run();
 * warnings (truncated or corrupt data) do not stop decoding but set
 * info->warning, as djpeg warns and still writes its output.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "media/media_int.h"
#include "vigil/alloc.h"

/* Progressive files with more scans than this are pathological (a legit one
 * has about 10); each scan re-reads the whole coefficient buffer. */
#define JPEG_MAX_SCANS 500
/* Corrupt data can make libjpeg warn once per restart interval or so; past
 * this many the file is garbage and decoding it only burns time. */
#define JPEG_MAX_WARNINGS 10000
/* Coefficient memory per pixel allowed for the limit: 4 components at full
 * resolution, 2 bytes per coefficient; plus room for MCU padding of small
 * images and for tables. */
#define JPEG_MEM_PER_PIXEL 8u
#define JPEG_MEM_EXTRA (16u * 1024 * 1024)
#define JPEG_BATCH_BYTES (256u * 1024)
#define JPEG_BATCH_MAX 64u

struct jpeg_errmgr {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
    int code; /* msg_code of the fatal error */
    char warn[JMSG_LENGTH_MAX];
    int warn_code; /* msg_code of the first warning, -1 if none */
    long nwarn;
    int too_many_scans;
    int too_many_warnings;
};

struct jpeg_job {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_errmgr jerr;
    struct jpeg_progress_mgr prog;
    int created;
    int cmyk;
    int rows_done;  /* every row reached the sink; later errors are benign */
    int late_error; /* such a later error happened (message in jerr.msg) */
    uint8_t *buf;
    JSAMPROW *rowp;
    uint8_t *pruned; /* fast mode: the stream without unused scans */
    size_t pruned_len;
};

static void jerr_exit(j_common_ptr cinfo)
{
    struct jpeg_errmgr *m = (struct jpeg_errmgr *)cinfo->err;

    m->code = m->pub.msg_code;
    (*m->pub.format_message)(cinfo, m->msg);
    longjmp(m->jb, 1);
}

static void jerr_emit(j_common_ptr cinfo, int level)
{
    struct jpeg_errmgr *m = (struct jpeg_errmgr *)cinfo->err;

    if (level >= 0) /* trace messages */
        return;
    if (m->nwarn++ == 0) {
        m->warn_code = m->pub.msg_code;
        (*m->pub.format_message)(cinfo, m->warn);
    }
    m->pub.num_warnings++;
    if (m->nwarn > JPEG_MAX_WARNINGS) {
        m->too_many_warnings = 1;
        (*m->pub.error_exit)(cinfo);
    }
}

static void jerr_output(j_common_ptr cinfo)
{
    (void)cinfo; /* never print: messages go to vg_err / info->warning */
}

static void jpeg_progress(j_common_ptr cinfo)
{
    struct jpeg_errmgr *m = (struct jpeg_errmgr *)cinfo->err;

    if (cinfo->is_decompressor &&
        ((j_decompress_ptr)cinfo)->input_scan_number > JPEG_MAX_SCANS) {
        m->too_many_scans = 1;
        m->pub.msg_code = JERR_NOT_COMPILED; /* jpeg_run reports the cause */
        (*m->pub.error_exit)(cinfo);
    }
}

/* The error code for a fatal libjpeg message. */
static int jerr_code(int msg_code)
{
    switch (msg_code) {
    case JERR_OUT_OF_MEMORY:
        return VG_ENOMEM;
    case JERR_NO_BACKING_STORE: /* max_memory_to_use exceeded */
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
        return VG_ETOOBIG;
    case JERR_BAD_PRECISION:   /* 12-bit or 16-bit samples */
    case JERR_SOF_UNSUPPORTED: /* lossless, hierarchical */
    case JERR_NOT_COMPILED:
    case JERR_CONVERSION_NOTIMPL:
        return VG_EFORMAT;
    default:
        return VG_ECORRUPT;
    }
}

/* Bytes of the whole-image coefficient buffer libjpeg will allocate in
 * jpeg_start_decompress (as jdcoefct.c sizes it), 0 for single-scan files. */
static uint64_t coef_bytes(j_decompress_ptr ci)
{
    const jpeg_component_info *cp;
    uint64_t total = 0, w, h;
    int c;

    if (!ci->progressive_mode && ci->comps_in_scan >= ci->num_components)
        return 0;
    for (c = 0; c < ci->num_components; c++) {
        cp = &ci->comp_info[c];
        w = ((uint64_t)cp->width_in_blocks + (unsigned)cp->h_samp_factor - 1) /
            (unsigned)cp->h_samp_factor * (unsigned)cp->h_samp_factor;
        h = ((uint64_t)cp->height_in_blocks + (unsigned)cp->v_samp_factor -
             1) /
            (unsigned)cp->v_samp_factor * (unsigned)cp->v_samp_factor;
        total += w * h * sizeof(JBLOCK);
    }
    return total;
}

/* Pick out_color_space and the channel count from the stored colour space. */
static int choose_colour(struct vg__media_ctx *ctx, struct jpeg_job *job)
{
    j_decompress_ptr ci = &job->cinfo;

    switch (ci->jpeg_color_space) {
    case JCS_GRAYSCALE:
        ci->out_color_space = JCS_GRAYSCALE;
        ctx->info->channels = 1;
        return VG_OK;
    case JCS_YCbCr:
    case JCS_RGB:
        if (ctx->grey_from_decoder) {
            ci->out_color_space = JCS_GRAYSCALE;
            ctx->info->channels = 1;
        } else {
            ci->out_color_space = JCS_RGB;
            ctx->info->channels = 3;
        }
        return VG_OK;
    case JCS_CMYK:
    case JCS_YCCK:
        ci->out_color_space = JCS_CMYK;
        ctx->info->channels = 3;
        job->cmyk = 1;
        return VG_OK;
    default:
        return vg_err_set(ctx->err, VG_EFORMAT,
                          "JPEG colour space %d with %d components not "
                          "supported",
                          (int)ci->jpeg_color_space, ci->num_components);
    }
}

/* Largest DCT reduction (1/8, 1/4, 1/2) keeping both sides >= min_side. */
static void choose_scale(j_decompress_ptr ci, unsigned min_side)
{
    static const unsigned denoms[] = {8, 4, 2};
    size_t i;

    if (!min_side)
        return;
    for (i = 0; i < sizeof(denoms) / sizeof(denoms[0]); i++) {
        ci->scale_num = 1;
        ci->scale_denom = denoms[i];
        jpeg_calc_output_dimensions(ci);
        if (ci->output_width >= min_side && ci->output_height >= min_side)
            return;
    }
    ci->scale_num = 1;
    ci->scale_denom = 1;
}

/* Inverted (Adobe) CMYK to RGB, in place: 4 bytes in, 3 bytes out. */
static void cmyk_to_rgb(uint8_t *row, unsigned width)
{
    unsigned x, k;
    const uint8_t *s = row;
    uint8_t *d = row;

    for (x = 0; x < width; x++, s += 4, d += 3) {
        k = s[3];
        /* round(c*k/255); exact in integers, ties cannot occur */
        d[0] = (uint8_t)((s[0] * k + 127) / 255);
        d[1] = (uint8_t)((s[1] * k + 127) / 255);
        d[2] = (uint8_t)((s[2] * k + 127) / 255);
    }
}

static int read_rows(struct vg__media_ctx *ctx, struct jpeg_job *job)
{
    j_decompress_ptr ci = &job->cinfo;
    size_t stride = (size_t)ci->output_width * (size_t)ci->output_components;
    size_t cap = JPEG_BATCH_BYTES / stride;
    unsigned i, n, got;
    int rc;

    if (cap > JPEG_BATCH_MAX)
        cap = JPEG_BATCH_MAX;
    if (cap < (size_t)ci->rec_outbuf_height)
        cap = (size_t)ci->rec_outbuf_height;
    if (cap < 1)
        cap = 1;
    if (!(job->buf = vg_mallocarray(cap, stride)) ||
        !(job->rowp = vg_mallocarray(cap, sizeof(*job->rowp))))
        return vg_err_set(ctx->err, VG_ENOMEM, "JPEG: out of memory");
    for (i = 0; i < cap; i++)
        job->rowp[i] = job->buf + i * stride;

    while (ci->output_scanline < ci->output_height) {
        n = 0;
        while (n < cap && ci->output_scanline < ci->output_height) {
            got = jpeg_read_scanlines(ci, job->rowp + n,
                                      (JDIMENSION)(cap - n));
            if (!got) /* cannot happen with a memory source */
                return vg_err_set(ctx->err, VG_EINTERNAL,
                                  "JPEG: decoder suspended");
            n += got;
        }
        if (job->cmyk)
            for (i = 0; i < n; i++)
                cmyk_to_rgb(job->rowp[i], ci->output_width);
        if ((rc = vg__media_push(ctx, job->buf, stride, n)))
            return rc;
    }
    return VG_OK;
}

/*
 * Fast mode, progressive JPEG: switch the decoder to a copy without the
 * scans this reduced decode does not need (jpeg_prune.c).  Returns 1 when
 * the decode must restart on job->pruned.
 */
static int prune(struct vg__media_ctx *ctx, struct jpeg_job *job)
{
    j_decompress_ptr ci = &job->cinfo;
    /* last zig-zag index the reduced IDCT reads: 1x1, 2x2, 4x4, 8x8 */
    unsigned maxzz = ci->scale_denom >= 8   ? 0
                     : ci->scale_denom >= 4 ? 4
                     : ci->scale_denom >= 2 ? 24
                                            : 63;
    unsigned needed = ci->out_color_space == JCS_GRAYSCALE
                          ? 1u
                          : (1u << ci->num_components) - 1;
    size_t n = 0;

    if (maxzz == 63 && needed != 1)
        return 0;
    if (vg__media_jpeg_prune(ctx->data, ctx->len, needed, maxzz, &job->pruned,
                             &n) != VG_OK)
        return 0;
    jpeg_destroy_decompress(ci);
    job->created = 0;
    job->cmyk = 0;
    job->pruned_len = n;
    return 1;
}

static int jpeg_run(struct vg__media_ctx *ctx, struct jpeg_job *job)
{
    j_decompress_ptr ci = &job->cinfo;
    struct vg_media_info *info = ctx->info;
    uint64_t cap, coef;
    int rc;

    if (setjmp(job->jerr.jb)) {
        if (job->jerr.too_many_scans)
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "JPEG: more than %d scans", JPEG_MAX_SCANS);
        if (job->jerr.too_many_warnings)
            return vg_err_set(ctx->err, VG_ECORRUPT,
                              "JPEG: more than %d warnings (first: %s)",
                              JPEG_MAX_WARNINGS, job->jerr.warn);
        if (job->rows_done) {
            job->late_error = 1;
            return VG_OK;
        }
        return vg_err_set(ctx->err, jerr_code(job->jerr.code), "JPEG: %s",
                          job->jerr.msg);
    }
    job->created = 1; /* destroy is safe even if create fails midway */
    jpeg_create_decompress(ci);
    if (job->pruned)
        jpeg_mem_src(ci, job->pruned, (unsigned long)job->pruned_len);
    else
        jpeg_mem_src(ci, ctx->data, (unsigned long)ctx->len);
    job->prog.progress_monitor = jpeg_progress;
    ci->progress = &job->prog;
    jpeg_read_header(ci, TRUE);

    info->width = ci->image_width;
    info->height = ci->image_height;
    if ((rc = vg__media_check_dims(ctx, "JPEG", ci->image_width,
                                   ci->image_height)))
        return rc;
    if ((rc = choose_colour(ctx, job)))
        return rc;
    cap = ctx->max_pixels >
                  (uint64_t)(LONG_MAX - JPEG_MEM_EXTRA) / JPEG_MEM_PER_PIXEL
              ? LONG_MAX
              : ctx->max_pixels * JPEG_MEM_PER_PIXEL + JPEG_MEM_EXTRA;
    if ((coef = coef_bytes(ci)) > cap)
        return vg_err_set(ctx->err, VG_ETOOBIG,
                          "JPEG: %llu bytes of coefficients exceed the limit",
                          (unsigned long long)coef);
    ci->mem->max_memory_to_use = (long)cap;
    /* djpeg's defaults, spelled out: the reference pixels depend on them */
    ci->dct_method = JDCT_ISLOW;
    ci->do_fancy_upsampling = TRUE;
    ci->do_block_smoothing = TRUE;
    ci->quantize_colors = FALSE;
    choose_scale(ci, ctx->scale_min_side);
    if (ctx->scale_min_side && ci->progressive_mode && !job->pruned &&
        prune(ctx, job))
        return jpeg_run(ctx, job); /* again, on the pruned stream */

    jpeg_start_decompress(ci);
    if (ci->output_components != (job->cmyk ? 4 : (int)info->channels))
        return vg_err_set(ctx->err, VG_EINTERNAL,
                          "JPEG: unexpected %d output components",
                          ci->output_components);
    info->out_width = ci->output_width;
    info->out_height = ci->output_height;
    if ((rc = vg__media_begin(ctx)) || (rc = read_rows(ctx, job)))
        return rc;
    job->rows_done = 1;
    jpeg_finish_decompress(ci);
    return VG_OK;
}

int vg__media_jpeg(struct vg__media_ctx *ctx)
{
    struct jpeg_job *job;
    int rc;

    /* on the heap: jmp_buf and the libjpeg structs are large */
    if (!(job = vg_calloc(1, sizeof(*job))))
        return vg_err_set(ctx->err, VG_ENOMEM, "JPEG: out of memory");
    job->cinfo.err = jpeg_std_error(&job->jerr.pub);
    job->jerr.pub.error_exit = jerr_exit;
    job->jerr.pub.emit_message = jerr_emit;
    job->jerr.pub.output_message = jerr_output;
    job->jerr.warn_code = -1;

    rc = jpeg_run(ctx, job);
    if (job->jerr.nwarn) {
        if (job->jerr.warn_code == JWRN_JPEG_EOF)
            vg__media_incomplete(ctx, "truncated JPEG: %s", job->jerr.warn);
        else
            vg__media_warn(ctx, "JPEG: %s%s", job->jerr.warn,
                           job->jerr.nwarn > 1 ? " (and more warnings)" : "");
    }
    if (job->late_error)
        vg__media_warn(ctx, "JPEG: error after the image data: %s",
                       job->jerr.msg);
    if (job->created)
        jpeg_destroy_decompress(&job->cinfo);
    vg_free(job->rowp);
    vg_free(job->buf);
    vg_free(job->pruned);
    vg_free(job);
    return rc;
}
