/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s notice scheduler (vigil/runtime.h): one thread runs a notice
 * cycle (vigil/notice.h) at start and then every interval, until stopped.
 * A stop waits for the cycle under way: a notice is never cut between
 * being stored and being marked sent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/runtime.h"

struct vg_runtime_notices {
    struct vg_store *st;
    struct vg_notice_opts o;
    int64_t interval_s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

static void *loop(void *arg)
{
    struct vg_runtime_notices *n = arg;

    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        struct vg_notice_stats s;
        struct vg_err err = {0};
        struct timespec until;
        int rc;

        pthread_mutex_unlock(&n->lock);
        rc = vg_notice_run_once(n->st, &n->o, &s, &err);
        if (rc)
            fprintf(stderr, "vigil: notices: %s\n",
                    err.msg[0] ? err.msg : "the cycle failed");
        else if (s.cases_opened || s.notices_created || s.notices_sent ||
                 s.notices_failed || s.removed)
            fprintf(stderr,
                    "vigil: notices: %lld cases opened, %lld notices sent"
                    " (%lld to retry, %lld failed), %lld re-checks, %lld"
                    " removed\n",
                    (long long)s.cases_opened, (long long)s.notices_sent,
                    (long long)s.notices_retried, (long long)s.notices_failed,
                    (long long)s.rechecks, (long long)s.removed);
        pthread_mutex_lock(&n->lock);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += n->interval_s;
        while (!n->stop &&
               pthread_cond_timedwait(&n->wake, &n->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

int vg_runtime_notices_start(struct vg_store *st,
                             const struct vg_notice_opts *o,
                             int64_t interval_s,
                             struct vg_runtime_notices **out)
{
    struct vg_runtime_notices *n = vg_calloc(1, sizeof(*n));

    *out = NULL;
    if (!n)
        return VG_ENOMEM;
    n->st = st;
    n->o = *o;
    n->interval_s = interval_s > 0 ? interval_s : 300;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    if (pthread_create(&n->thread, NULL, loop, n)) {
        pthread_mutex_destroy(&n->lock);
        pthread_cond_destroy(&n->wake);
        vg_free(n);
        return VG_EIO;
    }
    *out = n;
    return VG_OK;
}

void vg_runtime_notices_stop(struct vg_runtime_notices *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->stop = 1;
    pthread_cond_signal(&n->wake);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->wake);
    vg_free(n);
}
