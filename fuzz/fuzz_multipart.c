/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the multipart/form-data parser (vg_http_multipart_parse).
 * The input's first line is the Content-Type's parameters (after
 * "multipart/form-data; "), the rest the body; each is parsed with the
 * default caps and with small ones.  On success: between 1 and max_parts
 * parts; every part's data lies inside the body and is followed there by
 * the delimiter's CRLF "--"; the name is present, the name and filename
 * NUL-terminated, NUL-free and valid UTF-8; the content type printable
 * ASCII; and vg_http_multipart_get finds the first part of each name.  On
 * failure: the result is empty and the code EFORMAT, ETOOBIG or ENOMEM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_utf8(const char *s)
{
    if (!s || vg_utf8_count(s, strlen(s)) < 0)
        abort();
}

static void check_part(const struct vg_http_part *p, const char *body,
                       size_t len)
{
    const char *d = (const char *)p->data, *c;

    check_utf8(p->name);
    if (p->filename)
        check_utf8(p->filename);
    for (c = p->content_type; c && *c; c++)
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f || (*c & 0x80))
            abort();
    if (d < body || (size_t)(d - body) > len || len - (size_t)(d - body) < 4 ||
        len - (size_t)(d - body) - 4 < p->len ||
        memcmp(d + p->len, "\r\n--", 4))
        abort();
}

static void one(const char *ct, const char *body, size_t len,
                const struct vg_http_multipart_limits *lim)
{
    struct vg_http_multipart mp;
    size_t maxp = lim->max_parts ? lim->max_parts : 8, i, j;
    int rc;

    rc = vg_http_multipart_parse(&mp, ct, body, len, lim, NULL);
    if (rc != VG_OK) {
        if (mp.count || mp.parts || mp.mem_ ||
            (rc != VG_EFORMAT && rc != VG_ETOOBIG && rc != VG_ENOMEM))
            abort();
        return;
    }
    if (!mp.count || mp.count > maxp)
        abort();
    for (i = 0; i < mp.count; i++) {
        check_part(&mp.parts[i], body, len);
        for (j = 0; j < i && strcmp(mp.parts[j].name, mp.parts[i].name); j++)
            ;
        if (vg_http_multipart_get(&mp, mp.parts[i].name) != &mp.parts[j])
            abort();
    }
    vg_http_multipart_fini(&mp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_http_multipart_limits defaults = {0, 0};
    struct vg_http_multipart_limits small = {2, 48};
    const uint8_t *nl = memchr(data, '\n', size);
    size_t plen = nl ? (size_t)(nl - data) : size;
    struct vg_buf ct;

    vg_buf_init(&ct, 0);
    if (memchr(data, '\0', plen) ||
        vg_buf_puts(&ct, "multipart/form-data; ") ||
        vg_buf_append(&ct, data, plen))
        goto done;
    /* the body in a heap block of its own size, for the sanitizers */
    {
        size_t blen = nl ? size - plen - 1 : 0;
        char *body = malloc(blen ? blen : 1);
        if (!body)
            goto done;
        if (blen)
            memcpy(body, nl + 1, blen);
        one(ct.data, body, blen, &defaults);
        one(ct.data, body, blen, &small);
        free(body);
    }
done:
    vg_buf_fini(&ct);
    return 0;
}
