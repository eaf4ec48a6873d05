/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the application/x-www-form-urlencoded decoder
 * (vg_http_form_parse), with the default caps and with small ones.  On
 * success every field must respect the caps, be NUL-terminated with its
 * stated length, hold no NUL and be valid UTF-8; and encoding the fields
 * again and decoding that must give the same fields back.  On failure the
 * form must be empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t n, size_t cap)
{
    size_t i = 0, k;

    if (n > cap || s[n] != '\0' || memchr(s, '\0', n))
        abort();
    while (i < n) {
        if (!(k = vg_utf8_len((const unsigned char *)s + i, n - i)))
            abort();
        i += k;
    }
}

static int encode(struct vg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char e[3];
    int rc = VG_OK;

    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_') {
            rc = vg_buf_append(b, s + i, 1);
        } else if (c == ' ') {
            rc = vg_buf_append(b, "+", 1);
        } else {
            e[0] = '%';
            e[1] = hex[c >> 4];
            e[2] = hex[c & 15];
            rc = vg_buf_append(b, e, 3);
        }
    }
    return rc;
}

static void one(const uint8_t *data, size_t size,
                const struct vg_http_form_limits *lim)
{
    struct vg_http_form f, g;
    struct vg_buf b;
    size_t maxf = lim->max_fields ? lim->max_fields : 200;
    size_t maxn = lim->max_name ? lim->max_name : 256;
    size_t maxv = lim->max_value ? lim->max_value : (size_t)64 << 10;
    int rc;

    rc = vg_http_form_parse(&f, (const char *)data, size, lim, NULL);
    if (rc != VG_OK) {
        if (f.count || f.fields ||
            (rc != VG_EFORMAT && rc != VG_ETOOBIG && rc != VG_ENOMEM))
            abort();
        return;
    }
    if (f.count > maxf)
        abort();
    vg_buf_init(&b, 0);
    for (size_t i = 0; i < f.count; i++) {
        check_text(f.fields[i].name, f.fields[i].name_len, maxn);
        check_text(f.fields[i].value, f.fields[i].value_len, maxv);
        if ((i && vg_buf_append(&b, "&", 1)) ||
            encode(&b, f.fields[i].name, f.fields[i].name_len) ||
            vg_buf_append(&b, "=", 1) ||
            encode(&b, f.fields[i].value, f.fields[i].value_len))
            abort();
    }
    /* an empty name encodes as "=v" which decodes back the same way, but
     * a pair that was "" cannot occur: empty pairs are skipped */
    if (vg_http_form_parse(&g, b.data ? b.data : "", b.len, lim, NULL) ||
        g.count != f.count)
        abort();
    for (size_t i = 0; i < f.count; i++)
        if (g.fields[i].name_len != f.fields[i].name_len ||
            g.fields[i].value_len != f.fields[i].value_len ||
            memcmp(g.fields[i].name, f.fields[i].name, f.fields[i].name_len) ||
            memcmp(g.fields[i].value, f.fields[i].value,
                   f.fields[i].value_len))
            abort();
    vg_http_form_fini(&g);
    vg_buf_fini(&b);
    vg_http_form_fini(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_http_form_limits defaults = {0, 0, 0};
    struct vg_http_form_limits small = {4, 8, 16};

    one(data, size, &defaults);
    one(data, size, &small);
    return 0;
}
