/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Importing a list file, all or nothing (vigil/lists.h).  The file is read
 * whole into a compact array (56 bytes a hash plus its strings) while its
 * SHA-256 is computed from the same bytes; then sorted by (algorithm,
 * value), which finds duplicates and gives the store's unique index its
 * keys in order; then, only if no line was bad, written in one store
 * transaction.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/lists.h"
#include "vigil/store_lists.h"

#define ARENA_CAP (UINT64_C(1) << 32) /* string offsets are 32-bit */

/* Values up to INLINE bytes sit in the record, longer ones in the arena
 * (value keeps their first INLINE bytes, which sort most of them). */
#define INLINE 32

struct rec {
    uint8_t value[INLINE];
    uint32_t big; /* arena offset of a longer value; 0 = none */
    uint8_t algo;
    int16_t quality;
    uint32_t line;
    uint32_t category, external_id, metadata; /* arena offsets; 0 = none */
};

struct batch {
    struct rec *r;
    size_t n, cap;
    struct vg_buf arena;
    unsigned long bad;
    unsigned long last_line; /* of the last hash read */
    int (*on_error)(void *ctx, unsigned long line, const char *msg);
    void *ctx;
};

/* ---- reading through a SHA-256 ---- */

struct tee {
    FILE *f;
    EVP_MD_CTX *md;
};

static ssize_t tee_read(void *cookie, char *buf, size_t size)
{
    struct tee *t = cookie;
    size_t n = fread(buf, 1, size, t->f);

    if (n == 0 && ferror(t->f))
        return -1;
    if (n && !EVP_DigestUpdate(t->md, buf, n))
        return -1;
    return (ssize_t)n;
}

/* ---- collecting ---- */

static int str_add(struct batch *b, const char *s, uint32_t *off)
{
    size_t at = b->arena.len;

    *off = 0;
    if (!s)
        return VG_OK;
    if (at + strlen(s) + 1 >= ARENA_CAP)
        return VG_ETOOBIG;
    if (vg_buf_append(&b->arena, s, strlen(s) + 1))
        return b->arena.len + strlen(s) + 1 > b->arena.cap ? VG_ETOOBIG
                                                           : VG_ENOMEM;
    *off = (uint32_t)at;
    return VG_OK;
}

/* A longer value into the arena (never at offset 0: str_add's rule). */
static int bytes_add(struct batch *b, const uint8_t *v, size_t n,
                     uint32_t *off)
{
    size_t at = b->arena.len;

    if (at + n >= ARENA_CAP)
        return VG_ETOOBIG;
    if (vg_buf_append(&b->arena, v, n))
        return VG_ENOMEM;
    *off = (uint32_t)at;
    return VG_OK;
}

static const uint8_t *rec_value(const struct batch *b, const struct rec *r)
{
    return r->big ? (const uint8_t *)b->arena.data + r->big : r->value;
}

static int on_record(void *ctx, const struct vg_listfile_record *r)
{
    struct batch *b = ctx;
    struct rec *x;
    size_t n;
    int rc;

    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        void *p = vg_realloc(b->r, cap * sizeof(*b->r));
        if (!p)
            return VG_ENOMEM;
        b->r = p;
        b->cap = cap;
    }
    if (r->line > UINT32_MAX)
        return VG_ETOOBIG;
    x = &b->r[b->n];
    memset(x, 0, sizeof(*x));
    n = vg_algo_size(r->algo);
    memcpy(x->value, r->value, n < INLINE ? n : INLINE);
    if (n > INLINE && (rc = bytes_add(b, r->value, n, &x->big)))
        return rc;
    x->algo = (uint8_t)r->algo;
    x->quality = (int16_t)r->quality;
    x->line = (uint32_t)r->line;
    b->last_line = r->line;
    if ((rc = str_add(b, r->category, &x->category)) ||
        (rc = str_add(b, r->external_id, &x->external_id)) ||
        (rc = str_add(b, r->metadata, &x->metadata)))
        return rc;
    b->n++;
    return VG_OK;
}

static int on_bad(void *ctx, unsigned long line, const char *msg)
{
    struct batch *b = ctx;

    b->bad++;
    return b->on_error ? b->on_error(b->ctx, line, msg) : VG_OK;
}

static int rec_cmp(const void *a, const void *b, void *ctx)
{
    const struct rec *x = a, *y = b;
    int c;

    if (x->algo != y->algo)
        return x->algo - y->algo;
    if ((c = memcmp(x->value, y->value, sizeof(x->value))))
        return c;
    if (x->big && (c = memcmp(rec_value(ctx, x), rec_value(ctx, y),
                              vg_algo_size((enum vg_algo)x->algo))))
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort; report each repeat of a hash on its own line. */
static int find_duplicates(struct batch *b)
{
    char msg[96];
    int rc;

    if (b->n)
        qsort_r(b->r, b->n, sizeof(*b->r), rec_cmp, b);
    for (size_t i = 1, first = 0; i < b->n; i++) {
        if (b->r[i].algo != b->r[first].algo ||
            memcmp(rec_value(b, &b->r[i]), rec_value(b, &b->r[first]),
                   vg_algo_size((enum vg_algo)b->r[i].algo))) {
            first = i;
            continue;
        }
        snprintf(msg, sizeof(msg), "duplicate %s hash (first on line %lu)",
                 vg_algo_name((enum vg_algo)b->r[i].algo),
                 (unsigned long)b->r[first].line);
        if ((rc = on_bad(b, b->r[i].line, msg)))
            return rc;
    }
    return VG_OK;
}

static const char *arena_str(const struct batch *b, uint32_t off)
{
    return off ? b->arena.data + off : NULL;
}

static int write_batch(struct vg_store *st, int64_t actor,
                       const struct vg_list *l, const char *path,
                       const char *format, const char *sha256, struct batch *b,
                       struct vg_lists_import_result *res, struct vg_err *err)
{
    struct vg_store_import *im = NULL;
    int rc;

    if ((rc = vg_store_import_begin(st, actor, l->id, path, format, sha256,
                                    &im, err)))
        return rc;
    for (size_t i = 0; i < b->n; i++) {
        struct vg_list_entry e;

        /* field by field: the value buffer is large and mostly unused */
        e.id = e.list_id = 0;
        e.enabled = e.has_details = 0;
        e.algo = (enum vg_algo)b->r[i].algo;
        memcpy(e.value, rec_value(b, &b->r[i]), vg_algo_size(e.algo));
        e.quality = b->r[i].quality;
        e.category = arena_str(b, b->r[i].category);
        e.external_id = arena_str(b, b->r[i].external_id);
        e.metadata = arena_str(b, b->r[i].metadata);
        if ((rc = vg_store_import_add(im, &e, err))) {
            vg_store_import_abort(im);
            return rc;
        }
    }
    return vg_store_import_commit(im, res->lines, &res->added, &res->present,
                                  err);
}

int vg_lists_import(struct vg_store *st, int64_t actor, const char *list,
                    const char *path, const struct vg_listfile_opts *opts,
                    int (*on_error)(void *ctx, unsigned long line,
                                    const char *msg),
                    void *ctx, struct vg_lists_import_result *res,
                    struct vg_err *err)
{
    static const cookie_io_functions_t io = {.read = tee_read};
    struct batch b;
    struct tee t = {NULL, NULL};
    struct vg_list l;
    FILE *f = NULL;
    uint8_t md[32];
    unsigned mdlen = 0;
    char sha[65];
    int rc, is_stdin = !strcmp(path, "-");

    memset(res, 0, sizeof(*res));
    memset(&b, 0, sizeof(b));
    vg_buf_init(&b.arena, (size_t)ARENA_CAP);
    b.on_error = on_error;
    b.ctx = ctx;
    if ((rc = vg_store_list_get(st, list, &l, err)))
        goto out;
    if (!(t.f = is_stdin ? stdin : fopen(path, "rb"))) {
        rc = vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s",
                        path, strerror(errno));
        goto out;
    }
    if (!(t.md = EVP_MD_CTX_new()) ||
        !EVP_DigestInit_ex(t.md, EVP_sha256(), NULL) ||
        !(f = fopencookie(&t, "r", io))) {
        rc = VG_ENOMEM;
        goto out;
    }
    /* offset 0 means "no string": start the arena with one byte */
    if ((rc = vg_buf_append(&b.arena, "", 1)))
        goto out;
    rc = vg_listfile_read(f, opts, on_record, on_bad, &b, &res->format, err);
    if (rc == VG_ETOOBIG)
        vg_err_set(err, rc, "%s: more than 4 GiB of text fields", path);
    if (rc)
        goto out;
    if (ferror(f) || !EVP_DigestFinal_ex(t.md, md, &mdlen)) {
        rc = vg_err_set(err, VG_EIO, "%s: read error", path);
        goto out;
    }
    vg_hex_encode(md, 32, sha);
    res->records = (int64_t)b.n;
    res->lines = (int64_t)b.last_line;
    if ((rc = find_duplicates(&b)))
        goto out;
    res->bad = b.bad;
    if (b.bad) {
        rc = vg_err_set(err, VG_EFORMAT,
                        "%s: %lu bad line%s; nothing imported", path, b.bad,
                        b.bad == 1 ? "" : "s");
        goto out;
    }
    rc = write_batch(st, actor, &l, is_stdin ? "(standard input)" : path,
                     vg_listfile_format_name(res->format), sha, &b, res, err);
out:
    res->bad = b.bad;
    if (f)
        fclose(f);
    if (t.f && !is_stdin)
        fclose(t.f);
    EVP_MD_CTX_free(t.md);
    vg_free(b.r);
    vg_buf_fini(&b.arena);
    return rc;
}
