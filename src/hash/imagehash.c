/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes to hashes (include/vigil/imagehash.h): read the file once into a
 * capped buffer while digesting it, then decode (src/media) straight into
 * the streaming PDQ hasher: decoded rows are never stored whole.
 * Invariant: a failure never yields a hash; the caller sees an error code.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vigil/alloc.h"
#include "vigil/imagehash.h"

struct pdq_sink {
    unsigned flags;
    struct vg_pdq_stream *stream;
};

static int sink_begin(void *ctx, const struct vg_media_info *info)
{
    struct pdq_sink *ps = ctx;
    unsigned f = 0;

    if (ps->flags & VG_IMAGEHASH_DIHEDRAL)
        f |= VG_PDQ_DIHEDRAL;
    if (ps->flags & VG_IMAGEHASH_PRESCALE_512)
        f |= VG_PDQ_PRESCALE_512;
    return vg_pdq_stream_new(info->out_width, info->out_height,
                             info->channels, f, &ps->stream);
}

static int sink_rows(void *ctx, const uint8_t *rows, size_t stride,
                     unsigned nrows)
{
    struct pdq_sink *ps = ctx;

    return vg_pdq_stream_push(ps->stream, rows, stride, nrows);
}

static void media_opts(const struct vg_imagehash_opts *opts,
                       struct vg_media_opts *mo)
{
    memset(mo, 0, sizeof(*mo));
    if (!opts)
        return;
    mo->limits = opts->limits;
    if (opts->flags & VG_IMAGEHASH_FAST) {
        mo->scale_min_side = 512;
        mo->grey_from_decoder = 1;
    }
}

/* Hash the pixels of data; digests are the caller's. */
static int hash_pixels(const uint8_t *data, size_t len,
                       const struct vg_imagehash_opts *opts,
                       struct vg_imagehash *out, struct vg_err *err)
{
    struct pdq_sink ps = {opts ? opts->flags : 0, NULL};
    struct vg_media_sink sink = {sink_begin, sink_rows, &ps};
    struct vg_media_opts mo;
    struct vg_media_info info;
    int rc;

    media_opts(opts, &mo);
    memset(&info, 0, sizeof(info));
    rc = vg_media_decode(data, len, &mo, &sink, &info, err);
    out->format = info.format;
    out->width = info.width;
    out->height = info.height;
    if (rc)
        goto done;
    if (!ps.stream) {
        rc = vg_err_set(err, VG_EINTERNAL, "decoder produced no image");
        goto done;
    }
    if ((rc = vg_pdq_stream_finish(ps.stream, &out->pdq))) {
        vg_err_set(err, rc, "incomplete image: %s", vg_strerror(rc));
        goto done;
    }
    snprintf(out->warning, sizeof(out->warning), "%s", info.warning);
    if (info.out_width < 5 || info.out_height < 5)
        snprintf(out->warning, sizeof(out->warning),
                 "image smaller than 5x5: PDQ undefined (all-zero hash)");
done:
    vg_pdq_stream_free(ps.stream);
    return rc;
}

int vg_imagehash_mem(const uint8_t *data, size_t len,
                     const struct vg_imagehash_opts *opts,
                     struct vg_imagehash *out, struct vg_err *err)
{
    struct vg_digest_ctx *dc = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = vg_digest_new(&dc)) || (rc = vg_digest_update(dc, data, len)) ||
        (rc = vg_digest_final(dc, &out->digests))) {
        vg_err_set(err, rc, "digest: %s", vg_strerror(rc));
        goto done;
    }
    rc = hash_pixels(data, len, opts, out, err);
done:
    vg_digest_free(dc);
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
    struct vg_digest_ctx *dc = NULL;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    uint64_t limit = max_bytes(opts);
    struct stat st;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = vg_digest_new(&dc)))
        return vg_err_set(err, rc, "digest: %s", vg_strerror(rc));
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
        if ((rc = vg_digest_update(dc, buf + len, n)))
            goto done;
        len += n;
        if (len > limit) {
            rc = vg_err_set(err, VG_ETOOBIG,
                            "input is over the limit of %llu bytes",
                            (unsigned long long)limit);
            goto done;
        }
    }
    if ((rc = vg_digest_final(dc, &out->digests)))
        goto done;
    rc = hash_pixels(buf, len, opts, out, err);
done:
    vg_free(buf);
    vg_digest_free(dc);
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
