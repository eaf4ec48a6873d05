/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rate limits per client address (module `web`), without keeping the
 * address: each is reduced to a keyed hash (SipHash-2-4 under a random
 * key made at start and never stored), and only that, with a token
 * bucket, is kept in a fixed table in memory.  Forgotten when the process
 * ends or when the slot is needed for another client; a client that
 * comes back after its bucket refilled is indistinguishable from a new one.
 * An IPv6 client is keyed by its network (by default its /64, what one
 * subscriber usually holds, so rotating addresses within it does not buy
 * more requests); IPv4 and IPv4-mapped addresses by the address.
 * Thread safety: vg_ratelimit_take from any thread (the prefix is set
 * before).
 */
#ifndef VIGIL_RATELIMIT_H
#define VIGIL_RATELIMIT_H

#include <stdint.h>

#include "vigil/error.h"

struct vg_ratelimit;

/* burst requests at once, then per_minute a minute (both > 0). */
int vg_ratelimit_new(unsigned burst, unsigned per_minute,
                     struct vg_ratelimit **out);
void vg_ratelimit_free(struct vg_ratelimit *rl);
/* Key IPv6 clients by their first bits (1..128; 128: each address); 64
 * unless set.  VG_EINVAL out of range. */
int vg_ratelimit_ipv6_prefix(struct vg_ratelimit *rl, unsigned bits);

/* The longest text of a client that counts (longer ones are cut). */
#define VG_CLIENT_TEXT_MAX 64
/*
 * What a limit counts a client by, as bytes into out (at least
 * 18 + VG_CLIENT_TEXT_MAX): an IPv6 address (not IPv4-mapped) as its
 * network of v6_bits bits, tagged with the bits; anything else (IPv4) as
 * its text, cut.  Returns the number of bytes.  The sign-in throttle
 * counts by the same.
 */
size_t vg_client_bytes(const char *client, unsigned v6_bits,
                       unsigned char *out);

/*
 * May client make a request at now_ms (milliseconds, any epoch)?  0 if
 * yes (a token is taken), else the seconds until it may (at least 1).
 */
unsigned vg_ratelimit_take(struct vg_ratelimit *rl, const char *client,
                           int64_t now_ms);

#endif
