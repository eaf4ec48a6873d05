/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes to hashes (include/vigil/imagehash.h): read the file once into a
 * capped buffer, run every byte hasher of the registry over it, then
 * decode (src/media) straight into every frame hasher (PDQ streams:
 * decoded rows are never stored whole).
 * Invariant: a failure never yields a hash; the caller sees an error code.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/alloc.h"
#include "vigil/hashalgo.h"
#include "vigil/imagehash.h"

/* The frame hashers of one decode, each with its state. */
struct frame_sink {
    unsigned flags; /* VG_FRAME_* */
    unsigned n;
    struct {
        enum vg_algo algo;
        const struct vg_frame_hasher *fh;
        void *state;
    } h[VG_ALGO_MAX];
};

static int sink_begin(void *ctx, const struct vg_media_info *info)
{
    struct frame_sink *fs = ctx;
    struct vg_frame_info fi = {info->out_width, info->out_height,
                               info->channels};
    int rc = VG_OK;

    for (unsigned i = 0; i < fs->n && !rc; i++)
        rc = fs->h[i].fh->begin(&fi, fs->flags, &fs->h[i].state);
    return rc;
}

static int sink_rows(void *ctx, const uint8_t *rows, size_t stride,
                     unsigned nrows)
{
    struct frame_sink *fs = ctx;
    int rc = VG_OK;

    for (unsigned i = 0; i < fs->n && !rc; i++)
        rc = fs->h[i].fh->rows(fs->h[i].state, rows, stride, nrows);
    return rc;
}

static void sink_init(struct frame_sink *fs, unsigned flags)
{
    memset(fs, 0, sizeof(*fs));
    if (flags & VG_IMAGEHASH_DIHEDRAL)
        fs->flags |= VG_FRAME_DIHEDRAL;
    if (flags & VG_IMAGEHASH_PRESCALE_512)
        fs->flags |= VG_FRAME_PRESCALE_512;
    for (unsigned a = 0; a < vg_hashalgo_count(); a++) {
        const struct vg_hashalgo *ha = vg_hashalgo_get((enum vg_algo)a);
        if (ha->frame) {
            fs->h[fs->n].algo = (enum vg_algo)a;
            fs->h[fs->n++].fh = ha->frame;
        }
    }
}

static void sink_fini(struct frame_sink *fs)
{
    for (unsigned i = 0; i < fs->n; i++)
        if (fs->h[i].state)
            fs->h[i].fh->free(fs->h[i].state);
}

/* Room for algorithm a's value in out, appended in registry order. */
static uint8_t *value_slot(struct vg_imagehash *out, enum vg_algo a,
                           int quality)
{
    size_t size = vg_algo_size(a);
    size_t off = out->nvalues ? out->values[out->nvalues - 1].off +
                                    out->values[out->nvalues - 1].len
                              : 0;

    if (out->nvalues >= VG_ALGO_MAX || off + size > VG_IMAGEHASH_VALBYTES)
        return NULL;
    out->values[out->nvalues++] = (struct vg_imagehash_value){
        (uint16_t)a, (uint16_t)off, (uint16_t)size, (int16_t)quality};
    return out->valbuf + off;
}

/* Every frame hasher's value, in registry order, after the digests. */
static int finish_frames(struct frame_sink *fs, struct vg_imagehash *out,
                         struct vg_err *err)
{
    for (unsigned i = 0; i < fs->n; i++) {
        uint8_t v[VG_IMAGEHASH_VALBYTES], *slot;
        int q = -1, rc;

        if (!fs->h[i].state)
            return vg_err_set(err, VG_EINTERNAL, "decoder produced no image");
        rc = fs->h[i].fh->finish(fs->h[i].state, v, &q,
                                 fs->h[i].algo == VG_ALGO_PDQ ? &out->pdq
                                                              : NULL);
        if (rc)
            return vg_err_set(err, rc, "incomplete image: %s",
                              vg_strerror(rc));
        if (!(slot = value_slot(out, fs->h[i].algo, q)))
            return vg_err_set(err, VG_EINTERNAL, "too many hash values");
        memcpy(slot, v, vg_algo_size(fs->h[i].algo));
    }
    return VG_OK;
}

static void media_opts(const struct vg_imagehash_opts *opts,
                       struct vg_media_opts *mo)
{
    memset(mo, 0, sizeof(*mo));
    if (!opts)
        return;
    mo->limits = opts->limits;
    if (opts->flags & VG_IMAGEHASH_FAST) {
        /* 448, not 512: a 5 MP photo (2592x1944) decodes at 1/4, not 1/2
           (half the time), within the error budget (bench/RESULTS.md) */
        mo->scale_min_side = 448;
        mo->grey_from_decoder = 1;
    }
}

/* Hash the pixels of data; the digests are done already. */
static int hash_pixels(const uint8_t *data, size_t len,
                       const struct vg_imagehash_opts *opts,
                       struct vg_imagehash *out, struct vg_err *err)
{
    struct frame_sink fs;
    struct vg_media_sink sink = {sink_begin, sink_rows, &fs};
    struct vg_media_opts mo;
    struct vg_media_info info;
    int rc;

    sink_init(&fs, opts ? opts->flags : 0);
    media_opts(opts, &mo);
    memset(&info, 0, sizeof(info));
    rc = vg_media_decode(data, len, &mo, &sink, &info, err);
    out->format = info.format;
    out->width = info.width;
    out->height = info.height;
    if (rc || (rc = finish_frames(&fs, out, err)))
        goto done;
    snprintf(out->warning, sizeof(out->warning), "%s", info.warning);
    out->incomplete = info.incomplete;
    if (info.out_width < 5 || info.out_height < 5)
        snprintf(out->warning, sizeof(out->warning),
                 "image smaller than 5x5: PDQ undefined (all-zero hash)");
done:
    sink_fini(&fs);
    return rc;
}

/* Every byte hasher of the registry over data, into out. */
static int hash_bytes(const uint8_t *data, size_t len,
                      struct vg_imagehash *out, struct vg_err *err)
{
    for (unsigned a = 0; a < vg_hashalgo_count(); a++) {
        const struct vg_hashalgo *ha = vg_hashalgo_get((enum vg_algo)a);
        uint8_t *slot;
        int rc;

        if (!ha->hash_bytes)
            continue;
        if (!(slot = value_slot(out, (enum vg_algo)a, -1)))
            return vg_err_set(err, VG_EINTERNAL, "too many hash values");
        if ((rc = ha->hash_bytes(data, len, slot)))
            return vg_err_set(err, rc, "digest: %s", vg_strerror(rc));
    }
    /* the typed copies */
    for (unsigned i = 0; i < out->nvalues; i++) {
        const struct vg_imagehash_value *v = &out->values[i];
        uint8_t *typed = v->algo == VG_ALGO_MD5      ? out->digests.md5
                         : v->algo == VG_ALGO_SHA1   ? out->digests.sha1
                         : v->algo == VG_ALGO_SHA256 ? out->digests.sha256
                                                     : NULL;
        if (typed)
            memcpy(typed, out->valbuf + v->off, v->len);
    }
    return VG_OK;
}

/* The digests unless opts asks for none. */
static int wanted_digests(const uint8_t *data, size_t len,
                          const struct vg_imagehash_opts *opts,
                          struct vg_imagehash *out, struct vg_err *err)
{
    if (opts && (opts->flags & VG_IMAGEHASH_NO_DIGESTS))
        return VG_OK;
    return hash_bytes(data, len, out, err);
}

const uint8_t *vg_imagehash_value(const struct vg_imagehash *h, enum vg_algo a,
                                  int *quality)
{
    /* the digests are always there, in their typed form too (which code
       that fills a struct by hand sets) */
    const uint8_t *typed = a == VG_ALGO_MD5      ? h->digests.md5
                           : a == VG_ALGO_SHA1   ? h->digests.sha1
                           : a == VG_ALGO_SHA256 ? h->digests.sha256
                                                 : NULL;

    if (typed) {
        if (quality)
            *quality = -1;
        return typed;
    }
    for (unsigned i = 0; i < h->nvalues; i++)
        if (h->values[i].algo == (unsigned)a) {
            if (quality)
                *quality = h->values[i].quality;
            return h->valbuf + h->values[i].off;
        }
    return NULL;
}

int vg_imagehash_bytes(const uint8_t *data, size_t len,
                       struct vg_imagehash *out, struct vg_err *err)
{
    memset(out, 0, sizeof(*out));
    return hash_bytes(data, len, out, err);
}

int vg_imagehash_mem(const uint8_t *data, size_t len,
                     const struct vg_imagehash_opts *opts,
                     struct vg_imagehash *out, struct vg_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (!(rc = wanted_digests(data, len, opts, out, err)))
        rc = hash_pixels(data, len, opts, out, err);
    return rc;
}

static uint64_t max_bytes(const struct vg_imagehash_opts *opts)
{
    return opts && opts->limits.max_bytes ? opts->limits.max_bytes
                                          : VG_MEDIA_DEFAULT_MAX_BYTES;
}

int vg_imagehash_stream(FILE *f, const struct vg_imagehash_opts *opts,
                        struct vg_imagehash *out, struct vg_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    uint64_t limit = max_bytes(opts);
    struct stat st;
    int rc;

    memset(out, 0, sizeof(*out));
    /* A regular file's size is known: refuse before reading a byte. */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uint64_t)st.st_size > limit) {
            rc = vg_err_set(err, VG_ETOOBIG,
                            "file is %lld bytes, over the limit of %llu",
                            (long long)st.st_size, (unsigned long long)limit);
            goto done;
        }
        cap = (size_t)st.st_size + 1;
    }
    if (cap < 65536)
        cap = 65536;
    if (!(buf = vg_malloc(cap))) {
        rc = vg_err_set(err, VG_ENOMEM, "out of memory reading the file");
        goto done;
    }
    for (;;) {
        if (len == cap) {
            size_t ncap = cap * 2;
            uint8_t *nb;
            if (ncap > limit + 1)
                ncap = (size_t)limit + 1;
            if (ncap <= cap || !(nb = vg_realloc(buf, ncap))) {
                rc = vg_err_set(err, VG_ENOMEM, "out of memory reading");
                goto done;
            }
            buf = nb;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0) {
            if (ferror(f)) {
                rc = vg_err_set(err, VG_EIO, "read error: %s",
                                strerror(errno));
                goto done;
            }
            break;
        }
        len += n;
        if (len > limit) {
            rc = vg_err_set(err, VG_ETOOBIG,
                            "input is over the limit of %llu bytes",
                            (unsigned long long)limit);
            goto done;
        }
    }
    if (!(rc = wanted_digests(buf, len, opts, out, err)))
        rc = hash_pixels(buf, len, opts, out, err);
done:
    vg_free(buf);
    return rc;
}

int vg_imagehash_file(const char *path, const struct vg_imagehash_opts *opts,
                      struct vg_imagehash *out, struct vg_err *err)
{
    struct stat st;
    FILE *f;
    int rc, fd;

    memset(out, 0, sizeof(*out));
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        rc = e == ENOENT ? VG_ENOENT : e == EACCES ? VG_EACCES : VG_EIO;
        return vg_err_set(err, rc, "%s", strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return vg_err_set(err, VG_EIO, "%s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return vg_err_set(err, S_ISDIR(st.st_mode) ? VG_EISDIR : VG_EINVAL,
                          "not a regular file");
    }
    if (!(f = fdopen(fd, "rb"))) {
        close(fd);
        return vg_err_set(err, VG_ENOMEM, "fdopen failed");
    }
    rc = vg_imagehash_stream(f, opts, out, err);
    fclose(f);
    return rc;
}
