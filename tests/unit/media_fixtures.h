/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixtures for test_media.c: a protocol-checking sink, the reference
 * command-line decoders through popen, a scratch directory, and writers that
 * generate benign test images in memory (PNG with stored deflate and every
 * filter, BMP, GIF via giflib, JPEG via libjpeg, WebP via libwebp).
 * Included by test_media.c only (static helpers; th.h must come first).
 */
#ifndef VIGIL_TEST_MEDIA_FIXTURES_H
#define VIGIL_TEST_MEDIA_FIXTURES_H

/* ---- small helpers ---- */

struct bytes {
    uint8_t *d;
    size_t n, cap;
};

static void put(struct bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->d = realloc(b->d, cap);
        if (!b->d)
            abort(); /* test code only */
        b->cap = cap;
    }
    if (n)
        memcpy(b->d + b->n, p, n);
    b->n += n;
}

static void put8(struct bytes *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put16le(struct bytes *b, unsigned v)
{
    put8(b, v & 255);
    put8(b, (v >> 8) & 255);
}

static void put32le(struct bytes *b, uint32_t v)
{
    put16le(b, v & 0xffff);
    put16le(b, v >> 16);
}

static void put32be(struct bytes *b, uint32_t v)
{
    put8(b, v >> 24);
    put8(b, (v >> 16) & 255);
    put8(b, (v >> 8) & 255);
    put8(b, v & 255);
}

static void bytes_free(struct bytes *b)
{
    free(b->d);
    memset(b, 0, sizeof(*b));
}

static uint32_t hash3(unsigned x, unsigned y, unsigned c)
{
    uint32_t v = x * 2654435761u ^ (y + 1) * 40503u ^ (c + 7) * 2246822519u;

    v ^= v >> 15;
    v *= 2246822519u;
    v ^= v >> 13;
    return v;
}

/* A deterministic PRNG for the corruption tests. */
static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* ---- a sink that collects the image and checks the protocol ---- */

struct img {
    struct vg_media_info info;
    uint8_t *pix;
    unsigned rows;
    int begins, bad;
    int fail_begin;        /* begin() returns VG_EIO */
    unsigned fail_at_rows; /* rows() returns VG_EIO once this many rows */
};

static int img_begin(void *ctx, const struct vg_media_info *info)
{
    struct img *im = ctx;

    if (im->begins++ || im->rows)
        im->bad = 1;
    im->info = *info;
    if ((info->channels != 1 && info->channels != 3) || !info->out_width ||
        !info->out_height || !info->width || !info->height)
        im->bad = 1;
    if (im->fail_begin)
        return VG_EIO;
    free(im->pix);
    im->pix = malloc((size_t)info->out_width * info->out_height *
                     info->channels);
    return im->pix ? VG_OK : VG_ENOMEM;
}

static int img_rows(void *ctx, const uint8_t *rows, size_t stride,
                    unsigned nrows)
{
    struct img *im = ctx;
    size_t rb = (size_t)im->info.out_width * im->info.channels;
    unsigned i;

    if (!im->begins || !nrows || nrows > im->info.out_height - im->rows ||
        stride < rb) {
        im->bad = 1;
        return VG_EINTERNAL;
    }
    for (i = 0; i < nrows; i++)
        memcpy(im->pix + (size_t)(im->rows + i) * rb, rows + i * stride, rb);
    im->rows += nrows;
    if (im->fail_at_rows && im->rows >= im->fail_at_rows)
        return VG_EIO;
    return VG_OK;
}

static void img_fini(struct img *im)
{
    free(im->pix);
    memset(im, 0, sizeof(*im));
}

/* Decode and check the sink protocol; returns the decoder's code. */
static int decode_opts(const uint8_t *d, size_t n,
                       const struct vg_media_opts *opts, struct img *im,
                       struct vg_err *err)
{
    struct vg_media_sink sink = {img_begin, img_rows, im};
    struct vg_media_info info;
    int fb = im->fail_begin;
    unsigned fr = im->fail_at_rows;
    int rc;

    img_fini(im);
    im->fail_begin = fb;
    im->fail_at_rows = fr;
    vg_err_clear(err);
    rc = vg_media_decode(d, n, opts, &sink, &info, err);
    TH_CHECK(!im->bad);
    TH_CHECK(im->begins <= 1);
    if (rc == VG_OK) {
        TH_EQ_INT(im->begins, 1);
        TH_EQ_INT(im->rows, info.out_height);
        TH_EQ_INT(info.out_width, im->info.out_width);
        TH_EQ_INT(info.channels, im->info.channels);
        TH_EQ_INT(info.width, im->info.width);
        TH_EQ_INT(info.format, im->info.format);
        im->info = info; /* with the warning */
    } else {
        TH_CHECK(err == NULL || err->msg[0] != '\0');
        im->info = info;
    }
    return rc;
}

static int decode(const uint8_t *d, size_t n, struct img *im,
                  struct vg_err *err)
{
    return decode_opts(d, n, NULL, im, err);
}

static int decode_path(const char *path, const struct vg_media_opts *opts,
                       struct img *im, struct vg_err *err)
{
    size_t n;
    uint8_t *d = th_slurp(path, &n);
    int rc;

    if (!d) {
        TH_FAIL_("cannot read %s", path);
        return VG_EIO;
    }
    rc = decode_opts(d, n, opts, im, err);
    free(d);
    return rc;
}

/* ---- reference decoders through popen ---- */

struct pnm {
    unsigned w, h, ch;
    uint8_t *pix;
};

static int have_tool(const char *name)
{
    char cmd[256];

    snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
    if (system(cmd) == 0)
        return 1;
    TH_FAIL_("reference decoder %s not installed (scripts/install-deps)",
             name);
    return 0;
}

static int pnm_num(FILE *f, unsigned *v)
{
    int c;

    for (;;) {
        c = fgetc(f);
        if (c == '#')
            while (c != '\n' && c != EOF)
                c = fgetc(f);
        if (c == EOF)
            return -1;
        if (c >= '0' && c <= '9')
            break;
    }
    *v = 0;
    while (c >= '0' && c <= '9') {
        *v = *v * 10 + (unsigned)(c - '0');
        c = fgetc(f);
    }
    return 0; /* the single whitespace after the number is consumed */
}

/* Run cmd, parse one P4/P5/P6 image from its output, scaled to 8 bits
 * (16-bit samples keep their high byte). */
static int run_pnm(const char *cmd, struct pnm *p)
{
    FILE *f = popen(cmd, "r");
    unsigned maxval = 1, x, y, c, v;
    int kind, ok = 0;
    size_t i;

    memset(p, 0, sizeof(*p));
    if (!f)
        return -1;
    if (fgetc(f) != 'P')
        goto done;
    kind = fgetc(f);
    if ((kind != '4' && kind != '5' && kind != '6') || pnm_num(f, &p->w) ||
        pnm_num(f, &p->h) || (kind != '4' && pnm_num(f, &maxval)) || !p->w ||
        !p->h || !maxval || maxval > 65535)
        goto done;
    p->ch = kind == '6' ? 3 : 1;
    if (!(p->pix = malloc((size_t)p->w * p->h * p->ch)))
        goto done;
    if (kind == '4') {
        for (y = 0; y < p->h; y++)
            for (x = 0; x < p->w; x += 8) {
                int byte = fgetc(f);
                if (byte == EOF)
                    goto done;
                for (c = 0; c < 8 && x + c < p->w; c++)
                    p->pix[(size_t)y * p->w + x + c] = (byte >> (7 - c)) & 1
                                                           ? 0
                                                           : 255;
            }
    } else {
        for (i = 0; i < (size_t)p->w * p->h * p->ch; i++) {
            int hi = fgetc(f), lo = 0;
            if (hi == EOF || (maxval > 255 && (lo = fgetc(f)) == EOF))
                goto done;
            v = maxval > 255
                    ? (unsigned)hi
                    : (unsigned)hi * 255 / maxval; /* exact for 1,3,15,255 */
            (void)lo;
            p->pix[i] = (uint8_t)v;
        }
    }
    ok = 1;
done:
    if (pclose(f) != 0)
        ok = 0;
    if (!ok) {
        free(p->pix);
        p->pix = NULL;
    }
    return ok ? 0 : -1;
}

static void check_pixels(const struct img *im, unsigned w, unsigned h,
                         unsigned ch, const uint8_t *want, const char *what)
{
    size_t i, n = (size_t)w * h * ch, ndiff = 0, first = 0;

    TH_EQ_INT(im->info.out_width, w);
    TH_EQ_INT(im->info.out_height, h);
    TH_EQ_INT(im->info.channels, ch);
    if (im->info.out_width != w || im->info.out_height != h ||
        im->info.channels != ch || !im->pix || !want)
        return;
    for (i = 0; i < n; i++)
        if (im->pix[i] != want[i] && !ndiff++)
            first = i;
    if (ndiff)
        TH_FAIL_("%s: %zu of %zu samples differ, first at %zu (%u != %u)",
                 what, ndiff, n, first, im->pix[first], want[first]);
}

static void check_ref(const struct img *im, const char *cmd)
{
    struct pnm ref;

    if (run_pnm(cmd, &ref)) {
        TH_FAIL_("reference failed: %s", cmd);
        return;
    }
    check_pixels(im, ref.w, ref.h, ref.ch, ref.pix, cmd);
    free(ref.pix);
}

/* ---- a scratch directory for files the reference tools read ---- */

static char tmpdir[64];
static char tmpfiles[64][128];
static int ntmp;

static const char *write_tmp(const char *name, const uint8_t *d, size_t n)
{
    FILE *f;
    char *path;
    int i;

    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigil-media-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            tmpdir[0] = '\0';
            return NULL;
        }
    }
    if (ntmp == 64)
        return NULL;
    path = tmpfiles[ntmp];
    snprintf(path, sizeof(tmpfiles[0]), "%s/%s", tmpdir, name);
    for (i = 0; i < ntmp; i++)
        if (!strcmp(tmpfiles[i], path))
            path = tmpfiles[i];
    if (!(f = fopen(path, "wb")))
        return NULL;
    if (fwrite(d, 1, n, f) != n) {
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (path == tmpfiles[ntmp])
        ntmp++;
    return path;
}

static void cleanup_tmp(void)
{
    int i;

    for (i = 0; i < ntmp; i++)
        unlink(tmpfiles[i]);
    if (tmpdir[0])
        rmdir(tmpdir);
}

/* ---- PNG writer: stored deflate, all five filters, optional Adam7 ---- */

static uint32_t crc_table[256];

static uint32_t png_crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu, k;
    size_t i;
    unsigned j;

    if (!crc_table[1])
        for (k = 0; k < 256; k++) {
            c = k;
            for (j = 0; j < 8; j++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            crc_table[k] = c;
        }
    c = 0xffffffffu;
    for (i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 255] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void png_chunk(struct bytes *b, const char *type, const uint8_t *d,
                      size_t n)
{
    size_t start;

    put32be(b, (uint32_t)n);
    start = b->n;
    put(b, type, 4);
    put(b, d, n);
    put32be(b, png_crc(b->d + start, n + 4));
}

struct png_spec {
    unsigned w, h;
    int ct, depth, interlace;
    unsigned npal;     /* palette entries written (ct 3) */
    int trns;          /* write a tRNS chunk */
    size_t idat_split; /* bytes per IDAT chunk (0: one chunk) */
};

static unsigned png_nch(int ct)
{
    return ct == 0 ? 1 : ct == 2 ? 3 : ct == 3 ? 1 : ct == 4 ? 2 : 4;
}

static unsigned png_sample(const struct png_spec *s, unsigned x, unsigned y,
                           unsigned c)
{
    return hash3(x, y, c) & ((1u << s->depth) - 1);
}

static void png_pal(unsigned i, uint8_t rgb[3])
{
    rgb[0] = (uint8_t)(i * 37 + 5);
    rgb[1] = (uint8_t)(i * 91 + 17);
    rgb[2] = (uint8_t)(255 - i * 53);
}

/* Expected decoder output for a generated PNG. */
static uint8_t *png_expect(const struct png_spec *s, unsigned *ch)
{
    unsigned x, y, c, v, nch = png_nch(s->ct);
    uint8_t *out, *o, rgb[3];

    *ch = s->ct == 0 || s->ct == 4 ? 1 : 3;
    o = out = malloc((size_t)s->w * s->h * *ch);
    for (y = 0; y < s->h; y++)
        for (x = 0; x < s->w; x++) {
            if (s->ct == 3) {
                v = png_sample(s, x, y, 0);
                if (v < s->npal)
                    png_pal(v, rgb);
                else
                    memset(rgb, 0, 3); /* past the palette: black */
                memcpy(o, rgb, 3);
                o += 3;
                continue;
            }
            for (c = 0; c < *ch && c < nch; c++) {
                v = png_sample(s, x, y, c);
                if (s->depth == 16)
                    v >>= 8;
                else if (s->depth < 8)
                    v = v * 255 / ((1u << s->depth) - 1);
                *o++ = (uint8_t)v;
            }
        }
    return out;
}

static unsigned paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

    return (unsigned)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Raw (unfiltered) bytes of the pixels x0, x0+dx, ... of row y. */
static size_t png_pack(const struct png_spec *s, uint8_t *dst, unsigned y,
                       unsigned x0, unsigned dx)
{
    unsigned x, c, v, nch = png_nch(s->ct), bitpos = 0;
    size_t n = 0;

    for (x = x0; x < s->w; x += dx)
        for (c = 0; c < nch; c++) {
            v = png_sample(s, x, y, c);
            if (s->depth == 16) {
                dst[n++] = (uint8_t)(v >> 8);
                dst[n++] = (uint8_t)v;
            } else if (s->depth == 8) {
                dst[n++] = (uint8_t)v;
            } else {
                if (bitpos == 0)
                    dst[n++] = 0;
                dst[n - 1] |= (uint8_t)(v << (8 - s->depth - bitpos));
                bitpos = (bitpos + (unsigned)s->depth) % 8;
            }
        }
    return n;
}

static void png_filter_rows(const struct png_spec *s, struct bytes *raw,
                            unsigned x0, unsigned dx, unsigned y0, unsigned dy,
                            unsigned *rowno)
{
    size_t bpp = (png_nch(s->ct) * (unsigned)s->depth + 7) / 8, n = 0, i;
    uint8_t *cur = calloc(8 * (size_t)s->w + 8, 1);
    uint8_t *prev = calloc(8 * (size_t)s->w + 8, 1), *t;
    unsigned y, ft;
    int a, b, c;

    for (y = y0; y < s->h; y += dy) {
        n = png_pack(s, cur, y, x0, dx);
        if (!n)
            break;
        ft = (*rowno)++ % 5;
        put8(raw, ft);
        for (i = 0; i < n; i++) {
            a = i >= bpp ? cur[i - bpp] : 0;
            b = prev[i];
            c = i >= bpp ? prev[i - bpp] : 0;
            switch (ft) {
            case 0:
                put8(raw, cur[i]);
                break;
            case 1:
                put8(raw, (unsigned)(cur[i] - a) & 255);
                break;
            case 2:
                put8(raw, (unsigned)(cur[i] - b) & 255);
                break;
            case 3:
                put8(raw, (unsigned)(cur[i] - (a + b) / 2) & 255);
                break;
            default:
                put8(raw, (cur[i] - paeth(a, b, c)) & 255);
                break;
            }
        }
        t = prev;
        prev = cur;
        cur = t;
    }
    free(cur);
    free(prev);
}

static void make_png(struct bytes *out, const struct png_spec *s)
{
    static const unsigned ax[7] = {0, 4, 0, 2, 0, 1, 0},
                          ay[7] = {0, 0, 4, 0, 2, 0, 1},
                          adx[7] = {8, 8, 4, 4, 2, 2, 1},
                          ady[7] = {8, 8, 8, 4, 4, 2, 2};
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    struct bytes raw = {0}, z = {0}, hdr = {0};
    uint32_t s1 = 1, s2 = 0;
    unsigned p, rowno = 0, i;
    size_t off, k, step;
    uint8_t rgb[3];

    put(out, sig, 8);
    put32be(&hdr, s->w);
    put32be(&hdr, s->h);
    put8(&hdr, (unsigned)s->depth);
    put8(&hdr, (unsigned)s->ct);
    put8(&hdr, 0);
    put8(&hdr, 0);
    put8(&hdr, (unsigned)s->interlace);
    png_chunk(out, "IHDR", hdr.d, hdr.n);
    hdr.n = 0;
    if (s->ct == 3) {
        for (i = 0; i < s->npal; i++) {
            png_pal(i, rgb);
            put(&hdr, rgb, 3);
        }
        png_chunk(out, "PLTE", hdr.d, hdr.n);
        hdr.n = 0;
    }
    if (s->trns) {
        if (s->ct == 3)
            for (i = 0; i < s->npal; i++)
                put8(&hdr, i * 50);
        else
            for (i = 0; i < (s->ct == 0 ? 1u : 3u); i++)
                put16le(&hdr, 0); /* colour 0 transparent */
        png_chunk(out, "tRNS", hdr.d, hdr.n);
        hdr.n = 0;
    }
    png_chunk(out, "tEXt", (const uint8_t *)"Comment\0generated", 17);
    if (s->interlace)
        for (p = 0; p < 7; p++)
            png_filter_rows(s, &raw, ax[p], adx[p], ay[p], ady[p], &rowno);
    else
        png_filter_rows(s, &raw, 0, 1, 0, 1, &rowno);
    /* zlib stream of stored blocks */
    put8(&z, 0x78);
    put8(&z, 0x01);
    for (off = 0; off < raw.n || off == 0; off += k) {
        k = raw.n - off > 65535 ? 65535 : raw.n - off;
        put8(&z, off + k == raw.n ? 1 : 0);
        put16le(&z, (unsigned)k);
        put16le(&z, (unsigned)~k & 0xffff);
        put(&z, raw.d + off, k);
        if (!raw.n)
            break;
    }
    for (off = 0; off < raw.n; off++) {
        s1 = (s1 + raw.d[off]) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    put32be(&z, s2 << 16 | s1);
    step = s->idat_split ? s->idat_split : z.n;
    for (off = 0; off < z.n; off += step)
        png_chunk(out, "IDAT", z.d + off, z.n - off < step ? z.n - off : step);
    png_chunk(out, "IEND", NULL, 0);
    bytes_free(&raw);
    bytes_free(&z);
    bytes_free(&hdr);
}

/* ---- BMP writer ---- */

struct bmp_spec {
    unsigned hsize; /* 12, 40, 52, 56, 108, 124 */
    int32_t w, h;   /* h < 0: top-down */
    unsigned bpp, comp;
    uint32_t masks[3];
    unsigned npal;     /* palette entries written */
    uint32_t clr_used; /* biClrUsed */
};

static uint32_t bmp_px(const struct bmp_spec *s, unsigned x, unsigned y)
{
    uint32_t v = hash3(x, y, 9);

    return s->bpp <= 8    ? v & ((1u << s->bpp) - 1)
           : s->bpp == 16 ? v & 0xffff
                          : v;
}

static uint8_t widen_ref(uint32_t px, uint32_t mask)
{
    unsigned shift = 0, bits = 0;
    uint32_t v;

    if (!mask)
        return 0;
    while (!((mask >> shift) & 1))
        shift++;
    for (v = mask >> shift; v; v >>= 1)
        bits++;
    v = (px & mask) >> shift;
    switch (bits) {
    case 1:
        return v ? 255 : 0;
    case 4:
        return (uint8_t)(v << 4 | v);
    case 5:
        return (uint8_t)(v << 3 | v >> 2);
    case 6:
        return (uint8_t)(v << 2 | v >> 4);
    case 8:
        return (uint8_t)v;
    case 10:
        return (uint8_t)(v >> 2);
    default:
        TH_FAIL_("widen_ref: %u bits", bits);
        return 0;
    }
}

static uint8_t *bmp_expect(const struct bmp_spec *s)
{
    unsigned w = (unsigned)s->w, h = (unsigned)(s->h < 0 ? -s->h : s->h);
    unsigned x, y;
    uint32_t px, m[3];
    uint8_t *out = malloc((size_t)w * h * 3), *o = out;

    memcpy(m, s->masks, sizeof(m));
    if (s->comp == 0 && s->bpp == 16) {
        m[0] = 0x7c00;
        m[1] = 0x3e0;
        m[2] = 0x1f;
    }
    if (s->comp == 0 && s->bpp == 32) {
        m[0] = 0xff0000;
        m[1] = 0xff00;
        m[2] = 0xff;
    }
    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++, o += 3) {
            px = bmp_px(s, x, y);
            if (s->bpp <= 8) {
                if (px < s->npal)
                    png_pal(px, o);
                else
                    memset(o, 0, 3);
            } else if (s->bpp == 24) {
                o[0] = (uint8_t)(px >> 16);
                o[1] = (uint8_t)(px >> 8);
                o[2] = (uint8_t)px;
            } else {
                o[0] = widen_ref(px, m[0]);
                o[1] = widen_ref(px, m[1]);
                o[2] = widen_ref(px, m[2]);
            }
        }
    return out;
}

static void make_bmp(struct bytes *b, const struct bmp_spec *s)
{
    unsigned w = (unsigned)s->w, h = (unsigned)(s->h < 0 ? -s->h : s->h);
    unsigned x, r, y, i, bitpos;
    size_t start, rowstart, off_pos;
    uint32_t px;
    uint8_t rgb[3], acc;

    put(b, "BM", 2);
    put32le(b, 0); /* file size, patched below */
    put32le(b, 0);
    off_pos = b->n;
    put32le(b, 0); /* pixel offset, patched below */
    start = b->n;
    put32le(b, s->hsize);
    if (s->hsize == 12) {
        put16le(b, w);
        put16le(b, h);
        put16le(b, 1);
        put16le(b, s->bpp);
    } else {
        put32le(b, (uint32_t)s->w);
        put32le(b, (uint32_t)s->h);
        put16le(b, 1);
        put16le(b, s->bpp);
        put32le(b, s->comp);
        put32le(b, 0);
        put32le(b, 2835);
        put32le(b, 2835);
        put32le(b, s->clr_used);
        put32le(b, 0);
        if (s->hsize >= 52 || s->comp == 3)
            for (i = 0; i < 3; i++)
                put32le(b, s->masks[i]);
        if (s->hsize >= 56)
            put32le(b, 0xff000000u);
        while (b->n - start < s->hsize)
            put8(b, 0);
    }
    for (i = 0; i < s->npal; i++) {
        png_pal(i, rgb);
        put8(b, rgb[2]);
        put8(b, rgb[1]);
        put8(b, rgb[0]);
        if (s->hsize != 12)
            put8(b, 0);
    }
    b->d[off_pos] = (uint8_t)b->n;
    b->d[off_pos + 1] = (uint8_t)(b->n >> 8);
    for (r = 0; r < h; r++) {
        y = s->h < 0 ? r : h - 1 - r;
        rowstart = b->n;
        acc = 0;
        bitpos = 0;
        for (x = 0; x < w; x++) {
            px = bmp_px(s, x, y);
            switch (s->bpp) {
            case 1:
            case 4:
            case 8:
                acc |= (uint8_t)(px << (8 - s->bpp - bitpos));
                bitpos += s->bpp;
                if (bitpos == 8) {
                    put8(b, acc);
                    acc = 0;
                    bitpos = 0;
                }
                break;
            case 16:
                put16le(b, px);
                break;
            case 24:
                put8(b, px & 255);
                put8(b, (px >> 8) & 255);
                put8(b, (px >> 16) & 255);
                break;
            default:
                put32le(b, px);
                break;
            }
        }
        if (bitpos)
            put8(b, acc);
        while ((b->n - rowstart) % 4)
            put8(b, 0);
    }
    b->d[2] = (uint8_t)b->n;
    b->d[3] = (uint8_t)(b->n >> 8);
    b->d[4] = (uint8_t)(b->n >> 16);
    b->d[5] = (uint8_t)(b->n >> 24);
}

/* ---- GIF writer (giflib) ---- */

struct gif_frame {
    unsigned left, top, w, h;
    int interlace;
    int local_bits; /* 0: use the global map */
};

static int gif_out(GifFileType *g, const GifByteType *p, int n)
{
    put(g->UserData, p, (size_t)n);
    return n;
}

static ColorMapObject *gif_map(int bits, unsigned salt)
{
    GifColorType cols[256];
    uint8_t rgb[3];
    int i;

    for (i = 0; i < (1 << bits); i++) {
        png_pal((unsigned)i + salt, rgb);
        cols[i].Red = rgb[0];
        cols[i].Green = rgb[1];
        cols[i].Blue = rgb[2];
    }
    return GifMakeMapObject(1 << bits, cols);
}

static unsigned gif_idx(unsigned x, unsigned y, unsigned f, int bits)
{
    return hash3(x, y, 20 + f) & ((1u << bits) - 1);
}

static void make_gif(struct bytes *out, unsigned sw, unsigned sh,
                     int global_bits, const struct gif_frame *fr, int nfr)
{
    static const unsigned start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    GifByteType gce[4] = {1, 10, 0, 1}; /* transparent index 1 */
    ColorMapObject *gm = global_bits ? gif_map(global_bits, 0) : NULL, *lm;
    GifPixelType line[4096];
    GifFileType *g;
    int err = 0, f, bits;
    unsigned x, y, p;

    g = EGifOpen(out, gif_out, &err);
    if (!g)
        abort();
    EGifSetGifVersion(g, true);
    EGifPutScreenDesc(g, (int)sw, (int)sh, 8, 0, gm);
    for (f = 0; f < nfr; f++) {
        bits = fr[f].local_bits ? fr[f].local_bits : global_bits;
        lm = fr[f].local_bits ? gif_map(fr[f].local_bits, 100) : NULL;
        EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, gce);
        EGifPutImageDesc(g, (int)fr[f].left, (int)fr[f].top, (int)fr[f].w,
                         (int)fr[f].h, fr[f].interlace, lm);
        for (p = 0; p < (fr[f].interlace ? 4u : 1u); p++)
            for (y = fr[f].interlace ? start[p] : 0; y < fr[f].h;
                 y += fr[f].interlace ? step[p] : 1) {
                for (x = 0; x < fr[f].w; x++)
                    line[x] = (GifPixelType)gif_idx(x, y, (unsigned)f, bits);
                EGifPutLine(g, line, (int)fr[f].w);
            }
        GifFreeMapObject(lm);
    }
    EGifCloseFile(g, &err);
    GifFreeMapObject(gm);
}

static uint8_t *gif_expect(const struct gif_frame *fr, int global_bits)
{
    int bits = fr->local_bits ? fr->local_bits : global_bits;
    unsigned salt = fr->local_bits ? 100 : 0, x, y;
    uint8_t *out = malloc((size_t)fr->w * fr->h * 3), *o = out;

    for (y = 0; y < fr->h; y++)
        for (x = 0; x < fr->w; x++, o += 3)
            png_pal(gif_idx(x, y, 0, bits) + salt, o);
    return out;
}

/* ---- JPEG writer (libjpeg) ---- */

static uint8_t jpeg_sample(unsigned x, unsigned y, unsigned c)
{
    return (uint8_t)(x * 3 + y * 5 + c * 60 + (hash3(x, y, c) & 31));
}

static void make_jpeg(struct bytes *out, unsigned w, unsigned h, int ncomp,
                      J_COLOR_SPACE stored, int progressive)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    unsigned long size = 0;
    JSAMPROW row;
    unsigned x, k;

    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &size);
    c.image_width = w;
    c.image_height = h;
    c.input_components = ncomp;
    c.in_color_space = ncomp == 1   ? JCS_GRAYSCALE
                       : ncomp == 3 ? JCS_RGB
                                    : JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, stored);
    jpeg_set_quality(&c, 85, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    row = malloc((size_t)w * (unsigned)ncomp);
    while (c.next_scanline < h) {
        for (x = 0; x < w; x++)
            for (k = 0; k < (unsigned)ncomp; k++)
                row[x * (unsigned)ncomp + k] = jpeg_sample(x, c.next_scanline,
                                                           k);
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    put(out, buf, size);
    free(buf);
    free(row);
}

/* ---- WebP writer (libwebp) ---- */

static uint8_t *webp_pixels(unsigned w, unsigned h, unsigned salt, int grey)
{
    uint8_t *p = malloc((size_t)w * h * 3);
    unsigned x, y, c;

    for (y = 0; y < h; y++)
        for (x = 0; x < w; x++)
            for (c = 0; c < 3; c++)
                p[((size_t)y * w + x) * 3 + c] =
                    (uint8_t)hash3(x, y, grey ? salt : salt + c);
    return p;
}

static void make_webp(struct bytes *out, const uint8_t *rgb, unsigned w,
                      unsigned h, int lossless)
{
    uint8_t *enc = NULL;
    size_t n = lossless
                   ? WebPEncodeLosslessRGB(rgb, (int)w, (int)h, (int)w * 3,
                                           &enc)
                   : WebPEncodeRGB(rgb, (int)w, (int)h, (int)w * 3, 80, &enc);
    if (!n)
        abort();
    put(out, enc, n);
    WebPFree(enc);
}

static void put24le(struct bytes *b, unsigned v)
{
    put8(b, v & 255);
    put8(b, (v >> 8) & 255);
    put8(b, (v >> 16) & 255);
}

/* An animated WebP: lossless frames (w[i] x h[i] at x[i], y[i]). */
static void make_anim_webp(struct bytes *out, unsigned cw, unsigned ch,
                           const unsigned *w, const unsigned *h,
                           const unsigned *x, const unsigned *y, int n)
{
    struct bytes body = {0}, f = {0};
    uint8_t *rgb;
    int i;

    put(&body, "WEBP", 4);
    put(&body, "VP8X", 4);
    put32le(&body, 10);
    put8(&body, 0x02); /* animation */
    put24le(&body, 0);
    put24le(&body, cw - 1);
    put24le(&body, ch - 1);
    put(&body, "ANIM", 4);
    put32le(&body, 6);
    put32le(&body, 0xffffffffu);
    put16le(&body, 0);
    for (i = 0; i < n; i++) {
        f.n = 0;
        rgb = webp_pixels(w[i], h[i], 40 + (unsigned)i, 0);
        make_webp(&f, rgb, w[i], h[i], 1);
        free(rgb);
        put(&body, "ANMF", 4);
        put32le(&body, (uint32_t)(16 + f.n - 12));
        put24le(&body, x[i] / 2);
        put24le(&body, y[i] / 2);
        put24le(&body, w[i] - 1);
        put24le(&body, h[i] - 1);
        put24le(&body, 100);
        put8(&body, 0);
        put(&body, f.d + 12, f.n - 12); /* the VP8L chunk */
    }
    put(out, "RIFF", 4);
    put32le(out, (uint32_t)body.n);
    put(out, body.d, body.n);
    bytes_free(&body);
    bytes_free(&f);
}

#endif
