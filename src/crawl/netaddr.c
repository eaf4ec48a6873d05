/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public-address test of vigil/netaddr.h: prefix tables for IPv4 and
 * IPv6 taken from the IANA special-purpose address registries, with IPv6
 * forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) judged
 * by the IPv4 address they carry, so ::ffff:127.0.0.1 is loopback too.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "vigil/netaddr.h"

struct prefix4 {
    uint32_t net;
    unsigned len;
};

static const struct prefix4 special4[] = {
    {0x00000000, 8},  {0x0a000000, 8},  {0x64400000, 10}, {0x7f000000, 8},
    {0xa9fe0000, 16}, {0xac100000, 12}, {0xc0000000, 24}, {0xc0000200, 24},
    {0xc0586300, 24}, {0xc0a80000, 16}, {0xc6120000, 15}, {0xc6336400, 24},
    {0xcb007100, 24}, {0xe0000000, 4},  {0xf0000000, 4},
};

static int public4(uint32_t a)
{
    for (size_t i = 0; i < sizeof(special4) / sizeof(special4[0]); i++) {
        uint32_t mask = special4[i].len
                            ? ~UINT32_C(0) << (32 - special4[i].len)
                            : 0;
        if ((a & mask) == special4[i].net)
            return 0;
    }
    return 1; /* 255.255.255.255 is inside 240/4 */
}

struct prefix6 {
    uint8_t net[16];
    unsigned len;
};

static const struct prefix6 special6[] = {
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48}, /* 64:ff9b:1::/48 */
    {{0x01, 0x00}, 64},                         /* 100::/64 discard */
    {{0x20, 0x01, 0x00, 0x00}, 23},             /* 2001::/23 */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},             /* documentation */
    {{0xfc}, 7},                                /* unique local */
    {{0xfe, 0x80}, 10},                         /* link-local */
    {{0xfe, 0xc0}, 10},                         /* site-local (old) */
    {{0xff}, 8},                                /* multicast */
};

static int in_prefix6(const uint8_t *a, const struct prefix6 *p)
{
    unsigned full = p->len / 8, rest = p->len % 8;

    if (memcmp(a, p->net, full))
        return 0;
    return !rest ||
           ((a[full] ^ p->net[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

static uint32_t v4_at(const uint8_t *a, unsigned off)
{
    return (uint32_t)a[off] << 24 | (uint32_t)a[off + 1] << 16 |
           (uint32_t)a[off + 2] << 8 | a[off + 3];
}

static int public6(const uint8_t *a)
{
    static const uint8_t zero[12] = {0};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};
    static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};

    if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
        return public4(v4_at(a, 12));
    if (!memcmp(a, zero, 12)) /* ::, ::1 and IPv4-compatible */
        return public4(v4_at(a, 12)) && v4_at(a, 12) > 1;
    if (a[0] == 0x20 && a[1] == 0x02) /* 6to4 carries its IPv4 in bits 16-47 */
        return public4(v4_at(a, 2));
    for (size_t i = 0; i < sizeof(special6) / sizeof(special6[0]); i++)
        if (in_prefix6(a, &special6[i]))
            return 0;
    return 1;
}

int vg_netaddr_is_public(const struct sockaddr *sa)
{
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in =
            (const struct sockaddr_in *)(const void *)sa;
        return public4(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 =
            (const struct sockaddr_in6 *)(const void *)sa;
        return public6(in6->sin6_addr.s6_addr);
    }
    return 0;
}

int vg_netaddr_text_is_public(const char *ip)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (!ip)
        return 0;
    if (inet_pton(AF_INET, ip, &a4) == 1)
        return public4(ntohl(a4.s_addr));
    if (inet_pton(AF_INET6, ip, &a6) == 1)
        return public6(a6.s6_addr);
    return 0;
}
