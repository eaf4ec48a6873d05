/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IP addresses and networks (CIDR, RFC 4632; IPv6 text per RFC 4291 2.2
 * and RFC 5952 when written) for the provider registry and RDAP: parse,
 * write in canonical form, the first and last address of a network, and
 * containment.  An address is a network with the full prefix (/32, /128).
 * Addresses are kept in network byte order; an IPv4 address fills the
 * first 4 bytes of addr, and comparing the first vg_ipnet_len() bytes
 * with memcmp orders addresses of one family numerically.
 * Thread safety: pure functions.
 */
#ifndef VIGIL_IPNET_H
#define VIGIL_IPNET_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

/* Enough for any address or network written by vg_ipnet_format. */
#define VG_IPNET_STRLEN 52

struct vg_ipnet {
    int family;       /* 4 or 6 */
    unsigned prefix;  /* 0..32 or 0..128 */
    uint8_t addr[16]; /* network byte order; IPv4 in addr[0..3] */
};

enum {
    VG_IPNET_ADDRESS = 1 << 0, /* an address only: a "/n" is refused */
    VG_IPNET_MASK = 1 << 1     /* clear host bits instead of refusing */
};

/*
 * Parse s: "192.0.2.1", "2001:db8::1", "192.0.2.0/24", "2001:db8::/32"
 * (no zone, no brackets, no spaces; the prefix in decimal).  A bare
 * address is a /32 or /128.  Host bits set after the prefix are an error
 * (VG_EINVAL) unless VG_IPNET_MASK.  Returns VG_OK or VG_EINVAL.
 */
int vg_ipnet_parse(const char *s, unsigned flags, struct vg_ipnet *out);

/* 4 or 16: the bytes of addr that count. */
size_t vg_ipnet_len(const struct vg_ipnet *n);

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d/128) becomes the IPv4
 * address; anything else is left as it is. */
void vg_ipnet_unmap(struct vg_ipnet *n);

/* The network's first and last address (vg_ipnet_len bytes each). */
void vg_ipnet_first(const struct vg_ipnet *n, uint8_t out[16]);
void vg_ipnet_last(const struct vg_ipnet *n, uint8_t out[16]);

/* 1 if net holds every address of x (same family), else 0. */
int vg_ipnet_contains(const struct vg_ipnet *net, const struct vg_ipnet *x);

/*
 * Write n canonically ("192.0.2.0/24", "2001:db8::/32"; an address
 * without "/n" when bare is set and the prefix is full) into buf of
 * size >= VG_IPNET_STRLEN.
 */
void vg_ipnet_format(const struct vg_ipnet *n, int bare, char *buf,
                     size_t size);

#endif
