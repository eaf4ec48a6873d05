/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Token buckets by keyed hash (vigil/ratelimit.h).  A direct-mapped table
 * of 2^16 slots: a slot holds one client's 64-bit keyed hash and bucket;
 * another client landing there takes it over (the first then starts with a
 * full bucket: bounded memory, a rare leniency, never a false refusal of
 * someone who has not exceeded the rate).
 */
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

unsigned vg_ratelimit_take(struct vg_ratelimit *rl, const char *client,
                           int64_t now_ms)
{
    unsigned char h[crypto_shorthash_BYTES];
    struct bucket *b;
    uint64_t id;
    unsigned wait = 0;

    crypto_shorthash(h, (const unsigned char *)client, strlen(client),
                     rl->key);
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
