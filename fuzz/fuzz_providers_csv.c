/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the providers CSV (vg_provider_csv_parse,
 * src/notice/provider_csv.c).  Invariants checked (abort on violation):
 * the parse returns VG_OK; line numbers only grow and stay within the
 * input's lines; every error message is non-empty; every provider passes
 * vg_provider_check, and written back as a record (vg_provider_csv_row
 * after the header) reads back as exactly one provider, with no error,
 * that writes the same record (the export round-trips).  Never a crash,
 * leak or undefined behaviour (run under ASan+UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/provider.h"
#include "vigil/store_providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct state {
    unsigned long last, lines;
    int n, nerr;
    struct vg_buf first; /* the first provider written back */
};

static int on_provider(void *ctx, unsigned long line, struct vg_provider *p)
{
    struct state *s = ctx;

    if (line < s->last || line > s->lines || vg_provider_check(p, NULL))
        abort();
    s->last = line;
    if (!s->n++ && (vg_provider_csv_header(&s->first) ||
                    vg_provider_csv_row(&s->first, p)))
        abort();
    vg_provider_free(p);
    return VG_OK;
}

static int on_error(void *ctx, unsigned long line, const char *msg)
{
    struct state *s = ctx;

    if (line < s->last || line > s->lines || !msg || !*msg)
        abort();
    s->last = line;
    s->nerr++;
    return VG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct state s, back;

    memset(&s, 0, sizeof(s));
    memset(&back, 0, sizeof(back));
    s.lines = 1;
    for (size_t i = 0; i < size; i++)
        s.lines += data[i] == '\n';
    vg_buf_init(&s.first, 0);
    vg_buf_init(&back.first, 0);
    if (vg_provider_csv_parse((const char *)data, size, on_provider, on_error,
                              &s) != VG_OK)
        abort();
    if (s.n) {
        back.lines = 1;
        for (size_t i = 0; i < s.first.len; i++)
            back.lines += s.first.data[i] == '\n';
        if (vg_provider_csv_parse(s.first.data, s.first.len, on_provider,
                                  on_error, &back) != VG_OK ||
            back.n != 1 || back.nerr || strcmp(back.first.data, s.first.data))
            abort();
    }
    vg_buf_fini(&s.first);
    vg_buf_fini(&back.first);
    return 0;
}
