/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s background reseal (vigil/runtime.h, vigil/keys.h): every
 * interval, when the sealing key file holds more than one key (a rotation
 * not yet retired), a thread seals again what older keys sealed, one batch
 * per write transaction, stopping between batches when the server stops.
 * Nodes sharing a store may all run it: a row is replaced only if it is
 * unchanged since it was read, so two nodes on the same batch write each
 * row once and the other finds it changed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "runtime/runtime_int.h"
#include "vigil/alloc.h"
#include "vigil/keys.h"
#include "vigil/runtime.h"

#define BATCH 100

struct vg_runtime_reseal {
    struct vg_store *st;
    struct vg_sealer *sealer;
    int64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

static int go_on(void *ctx)
{
    struct vg_runtime_reseal *r = ctx;
    int go;

    pthread_mutex_lock(&r->lock);
    go = !r->stop;
    pthread_mutex_unlock(&r->lock);
    return go;
}

/* One pass, if the ring has older keys. */
static void pass(struct vg_runtime_reseal *r)
{
    uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN];
    struct vg_keys_progress p = {0};
    struct vg_err err = {0};

    if (vg_seal_ids(r->sealer, ids) < 2)
        return;
    if (vg_keys_reseal(r->sealer, r->st, BATCH, go_on, r, &p, &err))
        fprintf(stderr, "vigil: keys: reseal: %s\n",
                err.msg[0] ? err.msg : "failed");
    if (p.resealed || p.unreadable)
        fprintf(stderr,
                "vigil: keys: re-sealed %lld rows under the current key"
                " (%lld no key opens)\n",
                (long long)p.resealed, (long long)p.unreadable);
}

static void *loop(void *arg)
{
    struct vg_runtime_reseal *r = arg;
    struct timespec until;

    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        until = vg__rt_after(r->interval_ms);
        while (!r->stop &&
               pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
            ;
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->lock);
        pass(r);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int vg_runtime_reseal_start(struct vg_store *st, struct vg_sealer *sealer,
                            int64_t interval_s, struct vg_runtime_reseal **out)
{
    struct vg_runtime_reseal *r;

    *out = NULL;
    if (!(r = vg_calloc(1, sizeof(*r))))
        return VG_ENOMEM;
    r->st = st;
    r->sealer = sealer;
    r->interval_ms = (interval_s > 0 ? interval_s : 60) * 1000;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, loop, r)) {
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        vg_free(r);
        return VG_EINTERNAL;
    }
    *out = r;
    return VG_OK;
}

void vg_runtime_reseal_stop(struct vg_runtime_reseal *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    vg_free(r);
}
