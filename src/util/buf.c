/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capped growable buffers and JSON string escaping (include/vigil/buf.h).
 * UTF-8 validation follows RFC 3629 (no overlongs, no surrogates, at most
 * U+10FFFF).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"

void vg_buf_init(struct vg_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = b->alloc = 0;
    b->cap = cap ? cap : (size_t)64 << 20;
}

void vg_buf_fini(struct vg_buf *b)
{
    vg_free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void vg_buf_reset(struct vg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int reserve(struct vg_buf *b, size_t extra)
{
    size_t need, n;
    char *d;

    if (extra > b->cap || b->len > b->cap - extra)
        return VG_ETOOBIG;
    need = b->len + extra + 1;
    if (need <= b->alloc)
        return VG_OK;
    n = b->alloc ? b->alloc : 64;
    while (n < need)
        n = n > SIZE_MAX / 2 ? need : n * 2;
    if (!(d = vg_realloc(b->data, n)))
        return VG_ENOMEM;
    b->data = d;
    b->alloc = n;
    return VG_OK;
}

int vg_buf_append(struct vg_buf *b, const void *data, size_t len)
{
    int rc = reserve(b, len);

    if (rc)
        return rc;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return VG_OK;
}

int vg_buf_puts(struct vg_buf *b, const char *s)
{
    return vg_buf_append(b, s, strlen(s));
}

int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return VG_EINVAL;
    if ((rc = reserve(b, (size_t)n)))
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return VG_OK;
}

size_t vg_utf8_len(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

long vg_utf8_count(const char *s, size_t n)
{
    long count = 0;

    for (size_t i = 0, k; i < n; i += k, count++)
        if (!(k = vg_utf8_len((const unsigned char *)s + i, n - i)))
            return -1;
    return count;
}

size_t vg_utf8_cut(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 4), i = 0, k;

    while (i < n) {
        k = vg_utf8_len((const unsigned char *)s + i, n - i);
        k = k ? k : 1;
        if (i + k > max)
            break;
        i += k;
    }
    return i;
}

int vg_buf_json_str(struct vg_buf *b, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    int rc = vg_buf_append(b, "\"", 1);

    for (size_t i = 0; !rc && i < len;) {
        unsigned char c = s[i];
        size_t n;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = vg_buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            rc = vg_buf_printf(b, "\\u%04x", c);
            i++;
        } else if ((n = vg_utf8_len(s + i, len - i)) == 0) {
            rc = vg_buf_printf(b, "\\udc%02x", c);
            i++;
        } else {
            rc = vg_buf_append(b, s + i, n);
            i += n;
        }
    }
    return rc ? rc : vg_buf_append(b, "\"", 1);
}
