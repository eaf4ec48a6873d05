/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the Range header of static files (vg__http_range,
 * src/web/http_static.c).  The input is "SIZE\n" then the header's value
 * (without a line break, the size is 1000 and the whole input is the
 * value).  Invariants checked (abort on violation): the answer agrees with
 * a slow reference parser written here from RFC 9110 14.1.1 (one range,
 * "bytes=" in any case, spaces or tabs around it, numbers past 2^64-1
 * counting as 2^64-1), and a range returned lies within the file
 * (a <= b < size).  Never a crash or undefined behaviour (ASan+UBSan).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* s[0..n) is one or more digits: their value, saturating. */
static int number(const char *s, size_t n, uint64_t *v)
{
    *v = 0;
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d;
        if (!is_digit(s[i]))
            return 0;
        d = (uint64_t)(s[i] - '0');
        if (*v > (UINT64_MAX - d) / 10)
            *v = UINT64_MAX;
        else
            *v = *v * 10 + d;
    }
    return 1;
}

/* The reference: the value split at its one '-', each side checked. */
static int reference(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
    static const char unit[] = "bytes=";
    const char *s, *e, *dash;
    uint64_t x, y;

    for (size_t i = 0; i < 6; i++)
        if (tolower((unsigned char)h[i]) != unit[i])
            return 0;
    s = h + 6;
    e = s + strlen(s);
    while (s < e && is_ows(*s))
        s++;
    while (e > s && is_ows(e[-1]))
        e--;
    dash = memchr(s, '-', (size_t)(e - s));
    if (!dash || memchr(s, ',', (size_t)(e - s)) ||
        memchr(dash + 1, '-', (size_t)(e - dash - 1)))
        return 0;
    if (dash == s) { /* "-suffix" */
        if (!number(dash + 1, (size_t)(e - dash - 1), &x))
            return 0;
        if (x == 0 || size == 0)
            return -1;
        *a = x >= size ? 0 : size - x;
        *b = size - 1;
        return 1;
    }
    if (!number(s, (size_t)(dash - s), &x))
        return 0;
    if (dash + 1 == e)
        y = UINT64_MAX;
    else if (!number(dash + 1, (size_t)(e - dash - 1), &y))
        return 0;
    if (y < x)
        return 0;
    if (x >= size)
        return -1;
    *a = x;
    *b = y < size ? y : size - 1;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    uint64_t fsize = 1000, a = 0, b = 0, ra = 0, rb = 0;
    char *h;
    int r, want;

    if (nl) {
        number((const char *)data, (size_t)(nl - data), &fsize);
        size -= (size_t)(nl + 1 - data);
        data = nl + 1;
    }
    if (!(h = malloc(size + 1)))
        return 0;
    memcpy(h, data, size);
    h[size] = '\0'; /* a NUL inside ends the value for both */
    r = vg__http_range(h, fsize, &a, &b);
    want = reference(h, fsize, &ra, &rb);
    if (r != want || (r == 1 && (a != ra || b != rb)))
        abort();
    if (r == 1 && (a > b || b >= fsize))
        abort();
    free(h);
    return 0;
}
