/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sign-in throttling (vigil/throttle.h).  The counts are rows of the
 * store's direct-mapped table of 2^16 slots (vg_store_throttle_*), so
 * every serving node sees the same: the three kinds of count (per account
 * and source, per source, per account), each slot one keyed hash with its
 * failures, the time of the last one and the account's epoch.  A key that
 * finds its slot held by another, by another epoch or by a count old
 * enough to forget starts from nothing: the table only ever forgets, so a
 * collision can make a wait shorter, never make one.  A failure is counted
 * in one write transaction (read, count, write back), so two nodes
 * counting at once both count.
 */
#include <sodium.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/ratelimit.h"
#include "vigil/store_people.h"
#include "vigil/throttle.h"

#define SLOT_BITS 16
#define ACCOUNT_MAX 256 /* bytes of a typed name that count */

enum kind { PAIR = 1, SOURCE, ACCOUNT };

struct vg_throttle {
    struct vg_store *st;
    unsigned char key[crypto_shorthash_KEYBYTES];
    unsigned v6_bits;
};

int vg_throttle_new(struct vg_store *st,
                    const unsigned char key[VG_THROTTLE_KEY_LEN],
                    struct vg_throttle **out)
{
    struct vg_throttle *t;

    *out = NULL;
    if (sodium_init() < 0)
        return VG_EINTERNAL;
    if (!(t = vg_calloc(1, sizeof(*t))))
        return VG_ENOMEM;
    t->st = st;
    memcpy(t->key, key, sizeof(t->key));
    t->v6_bits = 64;
    *out = t;
    return VG_OK;
}

void vg_throttle_free(struct vg_throttle *t)
{
    if (!t)
        return;
    sodium_memzero(t->key, sizeof(t->key));
    vg_free(t);
}

int vg_throttle_ipv6_prefix(struct vg_throttle *t, unsigned bits)
{
    if (bits < 1 || bits > 128)
        return VG_EINVAL;
    t->v6_bits = bits;
    return VG_OK;
}

/* The keyed hash of a count of kind k (never 0). */
static uint64_t key_of(const struct vg_throttle *t, enum kind k,
                       const char *account, const char *source)
{
    unsigned char buf[3 + ACCOUNT_MAX + 18 + VG_CLIENT_TEXT_MAX];
    unsigned char h[crypto_shorthash_BYTES];
    size_t n = 3, a = 0;
    uint64_t id;

    buf[0] = (unsigned char)k;
    if (k != SOURCE && account) {
        a = strnlen(account, ACCOUNT_MAX);
        memcpy(buf + 3, account, a);
        n += a;
    }
    buf[1] = (unsigned char)(a >> 8); /* the length: no name runs into */
    buf[2] = (unsigned char)a;        /* the source after it */
    if (k != ACCOUNT)
        n += vg_client_bytes(source ? source : "", t->v6_bits, buf + n);
    crypto_shorthash(h, buf, n, t->key);
    memcpy(&id, h, sizeof(id));
    return id | 1;
}

/* How long failures of a kind that waits after free of them make wait. */
static int64_t backoff(uint32_t failures, uint32_t free)
{
    int64_t ms = VG_THROTTLE_BASE_MS;

    if (failures < free)
        return 0;
    for (uint32_t i = free; i < failures && ms < VG_THROTTLE_MAX_MS; i++)
        ms *= 2;
    return ms < VG_THROTTLE_MAX_MS ? ms : VG_THROTTLE_MAX_MS;
}

static uint32_t free_of(enum kind k)
{
    return k == PAIR     ? VG_THROTTLE_PAIR_FREE
           : k == SOURCE ? VG_THROTTLE_SOURCE_FREE
                         : UINT32_MAX; /* an account never waits */
}

/* The slot of a count's id. */
static void slot_of(struct vg_throttle_slot *s, uint64_t id)
{
    memset(s, 0, sizeof(*s));
    s->slot = (int64_t)(id >> (64 - SLOT_BITS));
}

/* Is s the live count of id (kind k, epoch) at now? */
static int live(const struct vg_throttle_slot *s, enum kind k, uint64_t id,
                int64_t epoch, int64_t now)
{
    return s->id == (int64_t)id && s->epoch == epoch &&
           now < s->last_ms + backoff((uint32_t)s->failures, free_of(k)) +
                     VG_THROTTLE_FORGET_MS;
}

/* The wait left of a live count of kind k (0 if none). */
static int64_t wait_of(const struct vg_throttle_slot *s, int is_live,
                       enum kind k, int64_t now)
{
    int64_t until;

    if (!is_live)
        return 0;
    until = s->last_ms + backoff((uint32_t)s->failures, free_of(k));
    return until > now ? until - now : 0;
}

/* The three counts of an attempt: their kinds, ids, epochs and slots. */
struct attempt {
    enum kind k[3];
    uint64_t id[3];
    int64_t epoch[3];
    int64_t now;
    int refused;
    struct vg_throttle_slot s[3];
};

static void attempt_of(struct vg_throttle *t, struct attempt *a,
                       const char *account, int64_t epoch, const char *source,
                       int64_t now)
{
    static const enum kind kinds[3] = {PAIR, SOURCE, ACCOUNT};

    memset(a, 0, sizeof(*a));
    a->now = now;
    for (int i = 0; i < 3; i++) {
        a->k[i] = kinds[i];
        a->id[i] = key_of(t, kinds[i], account, source);
        a->epoch[i] = kinds[i] == SOURCE ? 0 : epoch;
        slot_of(&a->s[i], a->id[i]);
    }
}

/* Is count i of a live in its slot? */
static int live_in(const struct attempt *a, int i)
{
    return live(&a->s[i], a->k[i], a->id[i], a->epoch[i], a->now);
}

/* One more failure of each count of the attempt ctx, in its slots a->s
 * (but the pair's if refused).  Counts sharing a slot: the later starts
 * from what the earlier left there, as counting one after another would. */
static void count(void *ctx, struct vg_throttle_slot *slots, size_t n)
{
    struct attempt *a = ctx;

    (void)n;
    for (int i = 0; i < 3; i++) {
        struct vg_throttle_slot *s = &slots[i];
        for (int j = 0; j < i; j++)
            if (slots[j].slot == s->slot)
                *s = slots[j];
        if (a->k[i] == PAIR && a->refused)
            continue;
        if (!live_in(a, i)) {
            s->id = (int64_t)a->id[i];
            s->epoch = a->epoch[i];
            s->failures = 0;
        }
        if (s->failures < UINT32_MAX)
            s->failures++;
        s->last_ms = a->now;
    }
}

/* A success: the pair's count, if its slot holds it, is cleared. */
static void clear_pair(void *ctx, struct vg_throttle_slot *slots, size_t n)
{
    const struct attempt *a = ctx;
    int64_t slot = slots[0].slot;

    (void)n;
    if (slots[0].id == (int64_t)a->id[0] && slots[0].epoch == a->epoch[0]) {
        memset(&slots[0], 0, sizeof(slots[0]));
        slots[0].slot = slot;
    }
}

int64_t vg_throttle_check(struct vg_throttle *t, const char *account,
                          int64_t epoch, const char *source, int64_t now,
                          unsigned *delay_ms)
{
    struct attempt a;
    const struct vg_throttle_slot *acct = &a.s[2];
    int64_t wait = 0, w;

    *delay_ms = 0;
    attempt_of(t, &a, account, epoch, source, now);
    if (vg_store_throttle_read(t->st, a.s, 3, NULL))
        return 0; /* the sign-in itself needs the store: it fails */
    for (int i = 0; i < 2; i++)
        if ((w = wait_of(&a.s[i], live_in(&a, i), a.k[i], now)) > wait)
            wait = w;
    if (live_in(&a, 2) && acct->failures >= VG_THROTTLE_ACCOUNT_FREE) {
        uint64_t d = (uint64_t)(acct->failures - VG_THROTTLE_ACCOUNT_FREE +
                                1) *
                     VG_THROTTLE_STEP_MS;
        *delay_ms = d < VG_THROTTLE_DELAY_MAX_MS ? (unsigned)d
                                                 : VG_THROTTLE_DELAY_MAX_MS;
    }
    return wait;
}

void vg_throttle_failed(struct vg_throttle *t, const char *account,
                        int64_t epoch, const char *source, int64_t now,
                        int refused)
{
    struct attempt a;

    attempt_of(t, &a, account, epoch, source, now);
    a.refused = refused;
    vg_store_throttle_update(t->st, a.s, 3, count, &a, NULL);
}

void vg_throttle_succeeded(struct vg_throttle *t, const char *account,
                           int64_t epoch, const char *source)
{
    struct attempt a;

    attempt_of(t, &a, account, epoch, source, 0);
    vg_store_throttle_update(t->st, a.s, 1, clear_pair, &a, NULL);
}

unsigned vg_throttle_failures(struct vg_throttle *t, const char *account,
                              int64_t epoch, int64_t now)
{
    struct attempt a;

    attempt_of(t, &a, account, epoch, "", now);
    if (vg_store_throttle_read(t->st, &a.s[2], 1, NULL) || !live_in(&a, 2))
        return 0;
    return (unsigned)a.s[2].failures;
}
