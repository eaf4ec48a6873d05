/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sign-in throttling (module `web`), after the OWASP Authentication Cheat
 * Sheet: failed sign-ins slow an attacker down and never lock the owner
 * out.  Three counts of recent failures are kept in the store (a fixed
 * table of vg_store_throttle_*, so that every `vigil serve` node behind a
 * proxy counts the same failures and two nodes do not double an
 * attacker's tries), each under a keyed hash (SipHash-2-4 under a key
 * every node derives alike from the sealing key, vg_seal_derive; the
 * store holds no address or name):
 *
 *  - per account and source address: after VG_THROTTLE_PAIR_FREE failures
 *    the next attempt from that address on that account waits
 *    VG_THROTTLE_BASE_MS, doubling with each further failure, at most
 *    VG_THROTTLE_MAX_MS;
 *  - per source address, across accounts (password spraying): the same
 *    after VG_THROTTLE_SOURCE_FREE failures;
 *  - per account, from any address: never a wait; past
 *    VG_THROTTLE_ACCOUNT_FREE failures every attempt on it is slowed by
 *    VG_THROTTLE_STEP_MS more per failure, at most VG_THROTTLE_DELAY_MAX_MS.
 *
 * So an attacker hammering an account from one address holds up only that
 * address; the owner signs in from another.  An attempt made while it
 * must wait is refused and counts as a failure of the account and of the
 * source, not of the pair (an owner who retries too early does not push
 * their own wait further).  A success clears its pair.  Accounts are the
 * names as typed, whether or not they exist, so nothing here depends on
 * it.  epoch is the account's count of admin unlocks (0 for unknown
 * names): counts made under another epoch are forgotten, which is how an
 * unlock is seen by every node.  A count is forgotten an hour after its
 * wait (if any) ended with no new failure, or when its slot is taken by
 * another key (bounded room: that only ever forgets).
 * IPv6 sources are keyed by their network (a /64 unless set), IPv4 and
 * IPv4-mapped ones by address.  Times are milliseconds of the wall clock
 * (Unix time: every node's clock must agree, as NTP keeps them).  A store
 * that cannot be read holds nothing back and counts nothing (the sign-in
 * needs the store anyway).  Thread safety: every function but
 * _ipv6_prefix from any thread.
 */
#ifndef VIGIL_THROTTLE_H
#define VIGIL_THROTTLE_H

#include <stdint.h>

#include "vigil/error.h"
#include "vigil/store.h"

#define VG_THROTTLE_PAIR_FREE 5
#define VG_THROTTLE_SOURCE_FREE 20
#define VG_THROTTLE_ACCOUNT_FREE 20
#define VG_THROTTLE_BASE_MS 30000
#define VG_THROTTLE_MAX_MS (15 * 60000)
#define VG_THROTTLE_STEP_MS 10
#define VG_THROTTLE_DELAY_MAX_MS 1000
#define VG_THROTTLE_FORGET_MS (60 * 60000)
#define VG_THROTTLE_KEY_LEN 16 /* the keyed hash's key */

struct vg_throttle;

/* Counts in st (kept, not owned) under key.  VG_ENOMEM, VG_EINTERNAL. */
int vg_throttle_new(struct vg_store *st,
                    const unsigned char key[VG_THROTTLE_KEY_LEN],
                    struct vg_throttle **out);
void vg_throttle_free(struct vg_throttle *t);
/* Key IPv6 sources by their first bits (1..128); 64 unless set. */
int vg_throttle_ipv6_prefix(struct vg_throttle *t, unsigned bits);

/*
 * May account (as typed) be tried from source at now?  Returns the
 * milliseconds it must still wait (0: it may be tried); *delay_ms is the
 * slowing every attempt on the account meets now, wait or not.
 */
int64_t vg_throttle_check(struct vg_throttle *t, const char *account,
                          int64_t epoch, const char *source, int64_t now,
                          unsigned *delay_ms);
/* A failed attempt at now; refused: it was refused for a wait. */
void vg_throttle_failed(struct vg_throttle *t, const char *account,
                        int64_t epoch, const char *source, int64_t now,
                        int refused);
/* A successful sign-in: its (account, source) count starts again. */
void vg_throttle_succeeded(struct vg_throttle *t, const char *account,
                           int64_t epoch, const char *source);
/* The account's recent failures from all sources (for the admin). */
unsigned vg_throttle_failures(struct vg_throttle *t, const char *account,
                              int64_t epoch, int64_t now);

#endif
