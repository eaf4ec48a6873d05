/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token buckets by keyed hash (vigil/ratelimit.h).  A direct-mapped table
 * of 2^16 slots: a slot holds one client's 64-bit keyed hash and bucket;
 * another client landing there takes it over (the first then starts with a
 * full bucket: bounded memory, a rare leniency, never a false refusal of
 * someone who has not exceeded the rate).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/ratelimit.h"

#define SLOTS (1u << 16)

struct bucket {
    uint64_t id; /* keyed hash of the client; 0: empty */
    double tokens;
    int64_t at_ms; /* when tokens was last brought up to date */
};

struct vg_ratelimit {
    pthread_mutex_t mu;
    unsigned char key[crypto_shorthash_KEYBYTES];
    double burst, per_ms;
    unsigned v6_bits; /* an IPv6 client is its first v6_bits bits */
    struct bucket *b;
};

int vg_ratelimit_new(unsigned burst, unsigned per_minute,
                     struct vg_ratelimit **out)
{
    struct vg_ratelimit *rl;

    *out = NULL;
    if (!burst || !per_minute)
        return VG_EINVAL;
    if (sodium_init() < 0)
        return VG_EINTERNAL;
    if (!(rl = vg_calloc(1, sizeof(*rl))) ||
        !(rl->b = vg_calloc(SLOTS, sizeof(*rl->b)))) {
        vg_free(rl);
        return VG_ENOMEM;
    }
    pthread_mutex_init(&rl->mu, NULL);
    crypto_shorthash_keygen(rl->key);
    rl->burst = burst;
    rl->per_ms = per_minute / 60000.0;
    rl->v6_bits = 64;
    *out = rl;
    return VG_OK;
}

void vg_ratelimit_free(struct vg_ratelimit *rl)
{
    if (!rl)
        return;
    sodium_memzero(rl->key, sizeof(rl->key));
    pthread_mutex_destroy(&rl->mu);
    vg_free(rl->b);
    vg_free(rl);
}

int vg_ratelimit_ipv6_prefix(struct vg_ratelimit *rl, unsigned bits)
{
    if (bits < 1 || bits > 128)
        return VG_EINVAL;
    rl->v6_bits = bits;
    return VG_OK;
}

size_t vg_client_bytes(const char *client, unsigned v6_bits,
                       unsigned char *out)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};
    unsigned char a[16];
    size_t n;

    if (inet_pton(AF_INET6, client, a) == 1 && memcmp(a, mapped, 12)) {
        unsigned whole = v6_bits / 8, rest = v6_bits % 8;

        if (whole < 16) {
            a[whole] &= (unsigned char)(0xff00u >> rest);
            memset(a + whole + 1, 0, 15 - whole);
        }
        out[0] = 6;
        memcpy(out + 1, a, 16);
        out[17] = (unsigned char)v6_bits;
        return 18;
    }
    n = strnlen(client, VG_CLIENT_TEXT_MAX);
    out[0] = 4;
    memcpy(out + 1, client, n);
    return n + 1;
}

/* The keyed hash of client (vg_client_bytes). */
static void client_hash(const struct vg_ratelimit *rl, const char *client,
                        unsigned char h[crypto_shorthash_BYTES])
{
    unsigned char b[18 + VG_CLIENT_TEXT_MAX];

    crypto_shorthash(h, b, vg_client_bytes(client, rl->v6_bits, b), rl->key);
}

unsigned vg_ratelimit_take(struct vg_ratelimit *rl, const char *client,
                           int64_t now_ms)
{
    unsigned char h[crypto_shorthash_BYTES];
    struct bucket *b;
    uint64_t id;
    unsigned wait = 0;

    client_hash(rl, client, h);
    memcpy(&id, h, sizeof(id));
    id |= 1; /* never 0 */
    pthread_mutex_lock(&rl->mu);
    b = &rl->b[id >> 48];
    if (b->id != id) {
        b->id = id;
        b->tokens = rl->burst;
        b->at_ms = now_ms;
    }
    if (now_ms > b->at_ms) {
        b->tokens += (double)(now_ms - b->at_ms) * rl->per_ms;
        if (b->tokens > rl->burst)
            b->tokens = rl->burst;
        b->at_ms = now_ms;
    }
    if (b->tokens >= 1)
        b->tokens -= 1;
    else {
        double ms = (1 - b->tokens) / rl->per_ms; /* until a whole token */
        wait = (unsigned)((ms + 999) / 1000);
        if (!wait)
            wait = 1;
    }
    pthread_mutex_unlock(&rl->mu);
    return wait;
}
