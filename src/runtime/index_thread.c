/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node's match index (vigil/runtime.h): a thread loads the matcher
 * from the store (again after retry_ms while it cannot), then hands it to
 * the list sync (vigil/lists.h: list changes applied in place every
 * sync_ms and when woken) and ends.  The matcher, once published under
 * mu, stays until stop, so readers take the pointer without a lock of
 * their own beyond that read.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "runtime/runtime_int.h"
#include "vigil/runtime.h"

struct vg_runtime_index {
    struct vg_store *st;
    struct vg_runtime_index_opts o;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu: */
    struct vg_matcher *m;     /* NULL until loaded */
    struct vg_listsync *sync; /* keeps m current */
    int stopping;
};

void vg_runtime_index_opts_default(struct vg_runtime_index_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->min_quality = 50;
    o->retry_ms = 5000;
    o->sync_ms = 200;
}

static void sync_log(void *ctx, const char *line)
{
    struct vg_runtime_index *ix = ctx;

    vg__rt_say(ix->o.log, ix->o.log_ctx, "%s", line);
}

/* Wait ms, or until stopped or (loaded set) until the matcher is
 * loaded (mu held). */
static void pause_locked(struct vg_runtime_index *ix, int64_t ms, int loaded)
{
    struct timespec until = vg__rt_after(ms);

    while (!ix->stopping && !(loaded && ix->m) &&
           pthread_cond_timedwait(&ix->cv, &ix->mu, &until) != ETIMEDOUT)
        ;
}

static void *load(void *arg)
{
    struct vg_runtime_index *ix = arg;

    for (;;) {
        struct vg_matcher *m = NULL;
        struct vg_listsync *sync = NULL;
        struct vg_err err = {0};
        int rc = vg_matcher_load(ix->st, ix->o.min_quality, &m, &err);

        if (!rc &&
            (rc = vg_listsync_start(m, ix->o.sync_ms, sync_log, ix, &sync)))
            vg_matcher_free(m);
        pthread_mutex_lock(&ix->mu);
        if (!rc) {
            ix->m = m;
            ix->sync = sync;
            pthread_cond_broadcast(&ix->cv);
        } else if (!ix->stopping) {
            vg__rt_say(ix->o.log, ix->o.log_ctx,
                       "lists: cannot be loaded (%s); again in %lld ms",
                       err.msg[0] ? err.msg : vg_strerror(rc),
                       (long long)ix->o.retry_ms);
            pause_locked(ix, ix->o.retry_ms, 0);
        }
        rc = !rc || ix->stopping;
        pthread_mutex_unlock(&ix->mu);
        if (rc)
            return NULL;
    }
}

int vg_runtime_index_start(struct vg_store *st,
                           const struct vg_runtime_index_opts *o,
                           struct vg_runtime_index **out, struct vg_err *err)
{
    struct vg_runtime_index *ix;

    *out = NULL;
    if (!(ix = vg_calloc(1, sizeof(*ix))))
        return VG_ENOMEM;
    ix->st = st;
    if (o)
        ix->o = *o;
    else
        vg_runtime_index_opts_default(&ix->o);
    if (ix->o.retry_ms <= 0)
        ix->o.retry_ms = 5000;
    pthread_mutex_init(&ix->mu, NULL);
    pthread_cond_init(&ix->cv, NULL);
    if (pthread_create(&ix->thread, NULL, load, ix)) {
        pthread_cond_destroy(&ix->cv);
        pthread_mutex_destroy(&ix->mu);
        vg_free(ix);
        return vg_err_set(err, VG_ENOMEM, "cannot start the index thread");
    }
    *out = ix;
    return VG_OK;
}

struct vg_matcher *vg_runtime_index_matcher(struct vg_runtime_index *ix)
{
    struct vg_matcher *m;

    pthread_mutex_lock(&ix->mu);
    m = ix->m;
    pthread_mutex_unlock(&ix->mu);
    return m;
}

struct vg_matcher *vg_runtime_index_wait(struct vg_runtime_index *ix,
                                         int64_t ms)
{
    struct vg_matcher *m;

    pthread_mutex_lock(&ix->mu);
    pause_locked(ix, ms, 1);
    m = ix->m;
    pthread_mutex_unlock(&ix->mu);
    return m;
}

void vg_runtime_index_wake(struct vg_runtime_index *ix)
{
    pthread_mutex_lock(&ix->mu);
    if (ix->sync)
        vg_listsync_wake(ix->sync);
    pthread_mutex_unlock(&ix->mu);
}

void vg_runtime_index_status(struct vg_runtime_index *ix,
                             struct vg_runtime_index_status *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&ix->mu);
    out->loaded = ix->m != NULL;
    if (ix->m)
        vg_matcher_status(ix->m, &out->lists);
    pthread_mutex_unlock(&ix->mu);
}

void vg_runtime_index_stop(struct vg_runtime_index *ix)
{
    if (!ix)
        return;
    pthread_mutex_lock(&ix->mu);
    ix->stopping = 1;
    pthread_cond_broadcast(&ix->cv);
    pthread_mutex_unlock(&ix->mu);
    pthread_join(ix->thread, NULL);
    vg_listsync_stop(ix->sync);
    vg_matcher_free(ix->m);
    pthread_cond_destroy(&ix->cv);
    pthread_mutex_destroy(&ix->mu);
    vg_free(ix);
}
