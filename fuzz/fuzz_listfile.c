/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: arbitrary bytes through vg_listfile_read (fmemopen) in
 * every format and option set, and every record through every writer.  The
 * first byte picks the options: bits 0-2 the format (value mod 5), bits 3-5
 * opts.algo (value mod 5, minus 1), bit 6 min_quality 50, bit 7 a 64-byte
 * line cap (else the default).
 * Invariants checked (abort on violation): records are sane (known
 * algorithm, quality -1..100, strings non-empty, valid line numbers in
 * order); every record written as csv or jsonl reads back as exactly one
 * identical record and no error; lines and hashcsv writers succeed (hashcsv
 * may refuse metadata with a line break); error messages are non-empty.
 * Never a crash, leak or undefined behaviour (run under ASan+UBSan).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/listfile.h"
#include "vigil/store_lists.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
    FILE *sink;
    unsigned long last_line;
};

struct back {
    int nrec, nerr;
    struct vg_listfile_record r;
    int same;
    const struct vg_listfile_record *want;
};

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int back_rec(void *ctx, const struct vg_listfile_record *r)
{
    struct back *b = ctx;
    const struct vg_listfile_record *w = b->want;

    b->nrec++;
    b->same = r->algo == w->algo && r->quality == w->quality &&
              !memcmp(r->value, w->value, vg_algo_size(w->algo)) &&
              same_str(r->category, w->category) &&
              same_str(r->external_id, w->external_id) &&
              same_str(r->metadata, w->metadata);
    return VG_OK;
}

static int back_err(void *ctx, unsigned long line, const char *msg)
{
    struct back *b = ctx;

    (void)line;
    (void)msg;
    b->nerr++;
    return VG_OK;
}

/* Write r as fmt into memory and read it back: one identical record. */
static void round_trip(enum vg_listfile_format fmt,
                       const struct vg_listfile_record *r)
{
    struct vg_listfile_opts o = {VG_LISTFILE_AUTO, -1, 0, (size_t)1 << 20};
    struct back b = {0, 0, {0}, 0, r};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return;
    if (vg_listfile_write_header(f, fmt) ||
        vg_listfile_write_record(f, fmt, r))
        abort();
    fclose(f);
    o.format = fmt;
    f = fmemopen(buf, len, "r");
    if (f) {
        if (vg_listfile_read(f, &o, back_rec, back_err, &b, NULL, NULL) ||
            b.nrec != 1 || b.nerr != 0 || !b.same)
            abort();
        fclose(f);
    }
    free(buf);
}

static int on_rec(void *ctx, const struct vg_listfile_record *r)
{
    struct state *st = ctx;
    int rc;

    if ((unsigned)r->algo >= VG_ALGO_COUNT || r->quality < -1 ||
        r->quality > 100 || (r->category && !*r->category) ||
        (r->external_id && !*r->external_id) ||
        (r->metadata && !*r->metadata) || r->line == 0 ||
        r->line < st->last_line)
        abort();
    st->last_line = r->line;
    if (vg_listfile_write_record(st->sink, VG_LISTFILE_LINES, r))
        abort();
    rc = vg_listfile_write_record(st->sink, VG_LISTFILE_HASHCSV, r);
    if (rc &&
        !(rc == VG_EINVAL && r->metadata && strpbrk(r->metadata, "\r\n")))
        abort();
    round_trip(VG_LISTFILE_CSV, r);
    round_trip(VG_LISTFILE_JSONL, r);
    return VG_OK;
}

static int on_err(void *ctx, unsigned long line, const char *msg)
{
    (void)ctx;
    if (line == 0 || !msg || !*msg)
        abort();
    return VG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_listfile_opts o = {VG_LISTFILE_AUTO, -1, 0, 0};
    struct state st = {NULL, 0};
    enum vg_listfile_format det;
    struct vg_err err;
    FILE *f;

    if (size < 2)
        return 0;
    o.format = (enum vg_listfile_format)((data[0] & 7) % 5);
    o.algo = ((data[0] >> 3) & 7) % 5 - 1;
    o.min_quality = data[0] & 0x40 ? 50 : 0;
    o.max_line = data[0] & 0x80 ? 64 : 0;
    if (!(st.sink = fopen("/dev/null", "w")))
        return 0;
    /* fmemopen only reads through this pointer in mode "r" */
    f = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "r");
    if (f) {
        int rc = vg_listfile_read(f, &o, on_rec, on_err, &st, &det, &err);
        if (rc != VG_OK && rc != VG_EFORMAT && rc != VG_ENOMEM)
            abort();
        if (rc == VG_EFORMAT && !err.msg[0])
            abort();
        fclose(f);
    }
    fclose(st.sink);
    return 0;
}
