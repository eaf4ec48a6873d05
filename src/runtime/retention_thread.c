/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s retention job (vigil/runtime.h): one thread asks every
 * five minutes (or every interval, if shorter), the first time that long
 * after the start, for the fleet's lease of the job "retention"
 * (vigil/store_fleet.h), which is free once a run is due; holding it, it
 * runs vg_store_retention_run, renewing the lease between batches every
 * third of its time, and gives it back due an interval later (a day by
 * default).  So nodes sharing a store run one retention at a time, once a
 * day, and a node killed mid-run leaves a lease that expires for another
 * to take, which deletes the rest (each batch is its own transaction).  A
 * run whose lease was lost stops before its next batch; a stop waits for
 * the batch under way.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "runtime/runtime_int.h"
#include "vigil/alloc.h"
#include "vigil/core_audit.h"
#include "vigil/runtime.h"
#include "vigil/store_fleet.h"

#define JOB "retention"
#define CHECK_MS (5 * 60 * 1000LL) /* asks for the lease this often */

struct vg_runtime_retention {
    struct vg_store *st;
    struct vg_retention_policy p;
    const char *holder;
    int64_t interval_ms, lease_ms;
    int64_t renewed_ms; /* the lease last taken or renewed */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

static int stopping(struct vg_runtime_retention *r)
{
    int stop;

    pthread_mutex_lock(&r->lock);
    stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

/* The run's go_on: not stopping, and the lease still ours (renewed every
 * third of it). */
static int go_on(void *ctx)
{
    struct vg_runtime_retention *r = ctx;
    struct vg_err err = {0};
    int64_t at = vg__rt_now_ms();
    int taken = 0;

    if (stopping(r))
        return 0;
    if (at - r->renewed_ms < r->lease_ms / 3)
        return 1;
    if (vg_store_job_take(r->st, JOB, r->holder, at, at + r->lease_ms, &taken,
                          NULL, &err) ||
        !taken) {
        fprintf(stderr, "vigil: retention: the run's lease was lost: it"
                        " stops before its next batch\n");
        return 0;
    }
    r->renewed_ms = at;
    return 1;
}

static void say(const struct vg_retention_counts *c)
{
    fprintf(stderr, "vigil: retention:");
    for (int k = 0; k < VG_RET_KINDS; k++)
        fprintf(stderr, " %s %lld%s", vg_retention_kind_name(k),
                (long long)c->done[k], k + 1 < VG_RET_KINDS ? "," : "");
    fprintf(stderr, " deleted%s\n",
            c->stopped ? " (stopped before the end)" : "");
}

/* One run if the lease can be taken. */
static void run_once(struct vg_runtime_retention *r)
{
    struct vg_retention_counts c;
    struct vg_err err = {0};
    int64_t at = vg__rt_now_ms(), run = 0;
    int rc, taken = 0;

    if ((rc = vg_store_job_take(r->st, JOB, r->holder, at, at + r->lease_ms,
                                &taken, &run, &err)) ||
        !taken) {
        if (rc)
            fprintf(stderr, "vigil: retention: the run's lease: %s\n",
                    err.msg[0] ? err.msg : vg_strerror(rc));
        return;
    }
    r->renewed_ms = at;
    if ((rc = vg_store_retention_run(r->st, &r->p, at / 1000,
                                     VG_ACTOR_OPERATOR, go_on, r, &c, &err)))
        fprintf(stderr, "vigil: retention: %s\n",
                err.msg[0] ? err.msg : vg_strerror(rc));
    else
        say(&c);
    at = vg__rt_now_ms();
    /* stopped or failed: due again at the next check, not in a day */
    vg_store_job_release(r->st, JOB, r->holder, run, at,
                         rc || c.stopped ? at : at + r->interval_ms,
                         rc          ? (err.msg[0] ? err.msg : vg_strerror(rc))
                         : c.stopped ? "stopped"
                                     : "ok",
                         NULL, &err);
}

/* The first check a while after the start (a start is busy, and a
 * restarting node should not run retention each time), then every check. */
static void *loop(void *arg)
{
    struct vg_runtime_retention *r = arg;
    int64_t check = r->interval_ms < CHECK_MS ? r->interval_ms : CHECK_MS;

    pthread_mutex_lock(&r->lock);
    for (;;) {
        struct timespec until = vg__rt_after(check);
        while (!r->stop &&
               pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT)
            ;
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->lock);
        run_once(r);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

int vg_runtime_retention_start(struct vg_store *st,
                               const struct vg_retention_policy *p,
                               int64_t interval_s, const char *holder,
                               int64_t lease_ms,
                               struct vg_runtime_retention **out)
{
    struct vg_runtime_retention *r = vg_calloc(1, sizeof(*r));

    *out = NULL;
    if (!r)
        return VG_ENOMEM;
    r->st = st;
    r->p = *p;
    r->holder = holder;
    r->interval_ms = (interval_s > 0 ? interval_s : 86400) * 1000;
    r->lease_ms = lease_ms > 0 ? lease_ms : 30000;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, loop, r)) {
        pthread_mutex_destroy(&r->lock);
        pthread_cond_destroy(&r->wake);
        vg_free(r);
        return VG_EIO;
    }
    *out = r;
    return VG_OK;
}

void vg_runtime_retention_stop(struct vg_runtime_retention *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    vg_free(r);
}
