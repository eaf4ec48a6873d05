/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which addresses the crawler may connect to (module `crawl`): a report must
 * never make Vigil reach the hotline's own network (SSRF).  The crawler
 * checks the resolved address at connect time, after every redirect.
 *
 * Not public (refused unless the operator allows private addresses):
 * IPv4 0/8, 10/8, 100.64/10 (CGNAT), 127/8, 169.254/16, 172.16/12,
 * 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
 * 198.51.100/24, 203.0.113/24, 224/4 (multicast), 240/4 and the broadcast
 * address; IPv6 ::, ::1, 64:ff9b:1::/48, 100::/64, 2001::/23 (IETF
 * protocol assignments), 2001:db8::/32, fc00::/7, fe80::/10, fec0::/10,
 * ff00::/8; and IPv6 forms that carry an IPv4 address (::ffff:0:0/96,
 * ::/96 compatible, 64:ff9b::/96 NAT64, 2002::/16 6to4) are judged by that
 * IPv4 address.  (IANA special-purpose registries, RFC 6890 and updates.)
 * Thread safety: pure functions.
 */
#ifndef VIGIL_NETADDR_H
#define VIGIL_NETADDR_H

#include <sys/socket.h>

/* 1 if the address (AF_INET or AF_INET6) is public, 0 if not or unknown. */
int vg_netaddr_is_public(const struct sockaddr *sa);

/* The same for a numeric address in text ("10.0.0.1", "::1"); 0 if it is
 * not one. */
int vg_netaddr_text_is_public(const char *ip);

#endif
