/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP addresses and networks (vigil/ipnet.h).  Text is parsed by
 * inet_pton (IPv4: four decimal octets only, so "127.1" and octal forms
 * are refused; IPv6: RFC 4291 2.2) and written by inet_ntop (RFC 5952
 * form on glibc).  Invariant: after a successful parse the bytes of addr
 * past vg_ipnet_len() are zero.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "vigil/ipnet.h"

size_t vg_ipnet_len(const struct vg_ipnet *n)
{
    return n->family == 4 ? 4 : 16;
}

/* Clear (or test, when check) the bits after prefix. */
static int host_bits(uint8_t *a, size_t len, unsigned prefix, int check)
{
    for (size_t i = 0; i < len; i++) {
        unsigned lo = (unsigned)i * 8;
        uint8_t keep;
        if (prefix >= lo + 8)
            continue;
        keep = prefix <= lo ? 0 : (uint8_t)(0xff00u >> (prefix - lo));
        if (check && (a[i] & (uint8_t)~keep))
            return 1;
        a[i] &= keep;
    }
    return 0;
}

int vg_ipnet_parse(const char *s, unsigned flags, struct vg_ipnet *out)
{
    char text[64];
    const char *slash;
    struct vg_ipnet n;
    size_t alen;
    unsigned max;

    if (!s)
        return VG_EINVAL;
    memset(&n, 0, sizeof(n));
    slash = strchr(s, '/');
    alen = slash ? (size_t)(slash - s) : strlen(s);
    if (!alen || alen >= sizeof(text) || (slash && (flags & VG_IPNET_ADDRESS)))
        return VG_EINVAL;
    memcpy(text, s, alen);
    text[alen] = '\0';
    if (inet_pton(AF_INET, text, n.addr) == 1)
        n.family = 4;
    else if (inet_pton(AF_INET6, text, n.addr) == 1)
        n.family = 6;
    else
        return VG_EINVAL;
    max = n.family == 4 ? 32 : 128;
    n.prefix = max;
    if (slash) {
        const char *p = slash + 1;
        unsigned v = 0;
        /* 1..3 decimal digits, no sign, no leading zero but "0" itself */
        if (!*p || strlen(p) > 3 || (p[0] == '0' && p[1]))
            return VG_EINVAL;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return VG_EINVAL;
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > max)
            return VG_EINVAL;
        n.prefix = v;
    }
    if (host_bits(n.addr, vg_ipnet_len(&n), n.prefix,
                  !(flags & VG_IPNET_MASK)))
        return VG_EINVAL;
    *out = n;
    return VG_OK;
}

void vg_ipnet_unmap(struct vg_ipnet *n)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};

    if (n->family != 6 || n->prefix != 128 || memcmp(n->addr, mapped, 12))
        return;
    memmove(n->addr, n->addr + 12, 4);
    memset(n->addr + 4, 0, 12);
    n->family = 4;
    n->prefix = 32;
}

void vg_ipnet_first(const struct vg_ipnet *n, uint8_t out[16])
{
    memset(out, 0, 16);
    memcpy(out, n->addr, vg_ipnet_len(n));
    host_bits(out, vg_ipnet_len(n), n->prefix, 0);
}

void vg_ipnet_last(const struct vg_ipnet *n, uint8_t out[16])
{
    size_t len = vg_ipnet_len(n);

    vg_ipnet_first(n, out);
    for (size_t i = 0; i < len; i++) {
        unsigned lo = (unsigned)i * 8;
        if (n->prefix >= lo + 8)
            continue;
        out[i] |= n->prefix <= lo ? 0xff
                                  : (uint8_t)(0xffu >> (n->prefix - lo));
    }
}

int vg_ipnet_contains(const struct vg_ipnet *net, const struct vg_ipnet *x)
{
    uint8_t a[16], b[16];

    if (net->family != x->family || x->prefix < net->prefix)
        return 0;
    vg_ipnet_first(net, a);
    memset(b, 0, sizeof(b));
    memcpy(b, x->addr, vg_ipnet_len(x));
    host_bits(b, vg_ipnet_len(x), net->prefix, 0);
    return memcmp(a, b, vg_ipnet_len(net)) == 0;
}

void vg_ipnet_format(const struct vg_ipnet *n, int bare, char *buf,
                     size_t size)
{
    char text[64];
    unsigned max = n->family == 4 ? 32 : 128;

    if (!inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->addr, text,
                   sizeof(text)))
        snprintf(text, sizeof(text), "?");
    if (bare && n->prefix == max)
        snprintf(buf, size, "%s", text);
    else
        snprintf(buf, size, "%s/%u", text, n->prefix);
}
