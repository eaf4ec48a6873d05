/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sign-in throttling (vigil/throttle.h).  One direct-mapped table of 2^16
 * slots holds the three kinds of count (per account and source, per
 * source, per account), each slot one keyed hash with its failures, the
 * time of the last one and the account's epoch.  A key that finds its slot
 * held by another, by another epoch or by a count old enough to forget
 * starts from nothing: the table only ever forgets, so a collision can
 * make a wait shorter, never make one.
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/ratelimit.h"
#include "vigil/throttle.h"

#define SLOT_BITS 16
#define ACCOUNT_MAX 256 /* bytes of a typed name that count */

enum kind { PAIR = 1, SOURCE, ACCOUNT };

struct slot {
    uint64_t id; /* keyed hash of the kind and its key; 0: empty */
    int64_t epoch;
    int64_t last; /* the last failure */
    uint32_t failures;
};

struct vg_throttle {
    pthread_mutex_t mu;
    unsigned char key[crypto_shorthash_KEYBYTES];
    unsigned v6_bits;
    struct slot *s;
};

int vg_throttle_new(struct vg_throttle **out)
{
    struct vg_throttle *t;

    *out = NULL;
    if (sodium_init() < 0)
        return VG_EINTERNAL;
    if (!(t = vg_calloc(1, sizeof(*t))) ||
        !(t->s = vg_calloc((size_t)1 << SLOT_BITS, sizeof(*t->s)))) {
        vg_free(t);
        return VG_ENOMEM;
    }
    pthread_mutex_init(&t->mu, NULL);
    crypto_shorthash_keygen(t->key);
    t->v6_bits = 64;
    *out = t;
    return VG_OK;
}

void vg_throttle_free(struct vg_throttle *t)
{
    if (!t)
        return;
    sodium_memzero(t->key, sizeof(t->key));
    pthread_mutex_destroy(&t->mu);
    vg_free(t->s);
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

/* The live count of id (kind k, epoch) or NULL.  Under the lock. */
static struct slot *find(struct vg_throttle *t, enum kind k, uint64_t id,
                         int64_t epoch, int64_t now)
{
    struct slot *s = &t->s[id >> (64 - SLOT_BITS)];

    if (s->id != id || s->epoch != epoch ||
        now >=
            s->last + backoff(s->failures, free_of(k)) + VG_THROTTLE_FORGET_MS)
        return NULL;
    return s;
}

/* One more failure of id at now.  Under the lock. */
static void count(struct vg_throttle *t, enum kind k, uint64_t id,
                  int64_t epoch, int64_t now)
{
    struct slot *s = find(t, k, id, epoch, now);

    if (!s) {
        s = &t->s[id >> (64 - SLOT_BITS)];
        s->id = id;
        s->epoch = epoch;
        s->failures = 0;
    }
    if (s->failures < UINT32_MAX)
        s->failures++;
    s->last = now;
}

/* The wait left of a count of kind k (0 if none). */
static int64_t wait_of(const struct slot *s, enum kind k, int64_t now)
{
    int64_t until;

    if (!s)
        return 0;
    until = s->last + backoff(s->failures, free_of(k));
    return until > now ? until - now : 0;
}

int64_t vg_throttle_check(struct vg_throttle *t, const char *account,
                          int64_t epoch, const char *source, int64_t now,
                          unsigned *delay_ms)
{
    uint64_t pair = key_of(t, PAIR, account, source);
    uint64_t src = key_of(t, SOURCE, account, source);
    uint64_t acct = key_of(t, ACCOUNT, account, source);
    const struct slot *a;
    int64_t wait, w;

    pthread_mutex_lock(&t->mu);
    wait = wait_of(find(t, PAIR, pair, epoch, now), PAIR, now);
    if ((w = wait_of(find(t, SOURCE, src, 0, now), SOURCE, now)) > wait)
        wait = w;
    a = find(t, ACCOUNT, acct, epoch, now);
    *delay_ms = 0;
    if (a && a->failures >= VG_THROTTLE_ACCOUNT_FREE) {
        uint64_t d = (uint64_t)(a->failures - VG_THROTTLE_ACCOUNT_FREE + 1) *
                     VG_THROTTLE_STEP_MS;
        *delay_ms = d < VG_THROTTLE_DELAY_MAX_MS ? (unsigned)d
                                                 : VG_THROTTLE_DELAY_MAX_MS;
    }
    pthread_mutex_unlock(&t->mu);
    return wait;
}

void vg_throttle_failed(struct vg_throttle *t, const char *account,
                        int64_t epoch, const char *source, int64_t now,
                        int refused)
{
    uint64_t pair = key_of(t, PAIR, account, source);
    uint64_t src = key_of(t, SOURCE, account, source);
    uint64_t acct = key_of(t, ACCOUNT, account, source);

    pthread_mutex_lock(&t->mu);
    if (!refused)
        count(t, PAIR, pair, epoch, now);
    count(t, SOURCE, src, 0, now);
    count(t, ACCOUNT, acct, epoch, now);
    pthread_mutex_unlock(&t->mu);
}

void vg_throttle_succeeded(struct vg_throttle *t, const char *account,
                           int64_t epoch, const char *source)
{
    uint64_t pair = key_of(t, PAIR, account, source);
    struct slot *s;

    pthread_mutex_lock(&t->mu);
    s = &t->s[pair >> (64 - SLOT_BITS)];
    if (s->id == pair && s->epoch == epoch)
        memset(s, 0, sizeof(*s));
    pthread_mutex_unlock(&t->mu);
}

unsigned vg_throttle_failures(struct vg_throttle *t, const char *account,
                              int64_t epoch, int64_t now)
{
    uint64_t acct = key_of(t, ACCOUNT, account, NULL);
    const struct slot *s;
    unsigned n;

    pthread_mutex_lock(&t->mu);
    s = find(t, ACCOUNT, acct, epoch, now);
    n = s ? s->failures : 0;
    pthread_mutex_unlock(&t->mu);
    return n;
}
