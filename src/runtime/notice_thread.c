/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s notice scheduler (vigil/runtime.h): one thread runs a
 * notice cycle (vigil/notice.h) whenever it can take the fleet's lease of
 * the job "notices" (vigil/store_fleet.h), which is free once the cycle is
 * due; a second thread, the keeper, renews the lease every third of its
 * time while a cycle runs.  The lease is released at the cycle's end with
 * the next cycle due an interval later, so nodes sharing a store run one
 * cycle at a time, once an interval, and a node killed mid-cycle leaves a
 * lease that expires for another to take (docs/FLEET.md).  A cycle whose
 * lease ran out (renewals failed for a whole lease) or was taken stops
 * before its next notice (the cycle's go_on, vigil/notice.h).  A stop waits
 * for the cycle under way: a notice is never cut between being stored and
 * being marked sent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "runtime/runtime_int.h"
#include "vigil/alloc.h"
#include "vigil/runtime.h"
#include "vigil/store_fleet.h"

#define JOB "notices"

struct vg_runtime_notices {
    struct vg_store *st;
    struct vg_notice_opts o;
    const char *holder;
    int64_t interval_ms, lease_ms;
    pthread_t thread, keeper;
    pthread_mutex_t lock;
    pthread_cond_t wake, keep; /* the loop's, the keeper's */
    int stop, running;         /* running: a cycle holds the lease */
    int lost;                  /* the keeper found the lease taken */
    int64_t held_until;        /* the lease's end as last taken */
};

/* Wait on cv for ms or until stopped (lock held). */
static void pause_locked(struct vg_runtime_notices *n, pthread_cond_t *cv,
                         int64_t ms)
{
    struct timespec until = vg__rt_after(ms);

    while (!n->stop &&
           pthread_cond_timedwait(cv, &n->lock, &until) != ETIMEDOUT)
        ;
}

static void say(const struct vg_notice_stats *s)
{
    if (s->cases_opened || s->notices_created || s->notices_sent ||
        s->notices_failed || s->removed || s->rechecks_left)
        fprintf(stderr,
                "vigil: notices: %lld cases opened, %lld notices sent"
                " (%lld to retry, %lld failed), %lld re-checks, %lld"
                " removed, %lld re-checks left due\n",
                (long long)s->cases_opened, (long long)s->notices_sent,
                (long long)s->notices_retried, (long long)s->notices_failed,
                (long long)s->rechecks, (long long)s->removed,
                (long long)s->rechecks_left);
}

/* The cycle's go_on: while the lease is ours, by our clock (renewals
 * that fail let it run out) and by the keeper's last word. */
static int still_held(void *ctx)
{
    struct vg_runtime_notices *n = ctx;
    int held;

    pthread_mutex_lock(&n->lock);
    held = !n->lost && vg__rt_now_ms() < n->held_until;
    pthread_mutex_unlock(&n->lock);
    return held;
}

/* One cycle if the lease can be taken; how long to wait for the next. */
static int64_t cycle(struct vg_runtime_notices *n)
{
    struct vg_notice_stats s;
    struct vg_err err = {0};
    int64_t at = vg__rt_now_ms(), run = 0,
            retry = n->interval_ms < n->lease_ms ? n->interval_ms
                                                 : n->lease_ms;
    int rc, taken = 0, held = 0;

    if ((rc = vg_store_job_take(n->st, JOB, n->holder, at, at + n->lease_ms,
                                &taken, &run, &err)) ||
        !taken) {
        if (rc)
            fprintf(stderr, "vigil: notices: the cycle's lease: %s\n",
                    err.msg[0] ? err.msg : vg_strerror(rc));
        return retry;
    }
    pthread_mutex_lock(&n->lock);
    n->running = 1;
    n->lost = 0;
    n->held_until = at + n->lease_ms;
    pthread_cond_signal(&n->keep);
    pthread_mutex_unlock(&n->lock);
    if ((rc = vg_notice_run_once(n->st, &n->o, &s, &err)))
        fprintf(stderr, "vigil: notices: %s\n",
                err.msg[0] ? err.msg : "the cycle failed");
    else
        say(&s);
    pthread_mutex_lock(&n->lock);
    n->running = 0;
    pthread_mutex_unlock(&n->lock);
    at = vg__rt_now_ms();
    if (vg_store_job_release(n->st, JOB, n->holder, run, at,
                             at + n->interval_ms,
                             rc ? (err.msg[0] ? err.msg : vg_strerror(rc))
                                : "ok",
                             &held, &err) ||
        !held)
        fprintf(stderr, "vigil: notices: the cycle's lease was lost before"
                        " its end\n");
    return n->interval_ms;
}

static void *loop(void *arg)
{
    struct vg_runtime_notices *n = arg;

    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        int64_t wait;

        pthread_mutex_unlock(&n->lock);
        wait = cycle(n);
        pthread_mutex_lock(&n->lock);
        pause_locked(n, &n->wake, wait);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

/* The keeper: while a cycle runs, renew its lease every third of it. */
static void *keeper(void *arg)
{
    struct vg_runtime_notices *n = arg;

    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        struct vg_err err = {0};
        int64_t at;
        int rc, taken = 0;

        if (!n->running) {
            pthread_cond_wait(&n->keep, &n->lock);
            continue;
        }
        pause_locked(n, &n->keep, n->lease_ms / 3);
        if (n->stop || !n->running)
            continue;
        pthread_mutex_unlock(&n->lock);
        at = vg__rt_now_ms();
        rc = vg_store_job_take(n->st, JOB, n->holder, at, at + n->lease_ms,
                               &taken, NULL, &err);
        pthread_mutex_lock(&n->lock);
        if (n->running && (rc || !taken))
            fprintf(stderr, "vigil: notices: the cycle's lease: %s\n",
                    rc ? (err.msg[0] ? err.msg : vg_strerror(rc))
                       : "taken by another node: this cycle stops before"
                         " its next notice");
        if (n->running && !rc && !taken)
            n->lost = 1;
        else if (n->running && !rc)
            n->held_until = at + n->lease_ms;
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

/* Stop the threads started (the loop's too when loop), free. */
static void finish(struct vg_runtime_notices *n, int loop)
{
    pthread_mutex_lock(&n->lock);
    n->stop = 1;
    pthread_cond_broadcast(&n->wake);
    pthread_cond_broadcast(&n->keep);
    pthread_mutex_unlock(&n->lock);
    if (loop)
        pthread_join(n->thread, NULL);
    pthread_join(n->keeper, NULL);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->wake);
    pthread_cond_destroy(&n->keep);
    vg_free(n);
}

int vg_runtime_notices_start(struct vg_store *st,
                             const struct vg_notice_opts *o,
                             int64_t interval_s, const char *holder,
                             int64_t lease_ms, struct vg_runtime_notices **out)
{
    struct vg_runtime_notices *n = vg_calloc(1, sizeof(*n));

    *out = NULL;
    if (!n)
        return VG_ENOMEM;
    n->st = st;
    n->o = *o;
    n->o.go_on = still_held;
    n->o.go_on_ctx = n;
    n->holder = holder;
    n->interval_ms = (interval_s > 0 ? interval_s : 300) * 1000;
    n->lease_ms = lease_ms > 0 ? lease_ms : 30000;
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    pthread_cond_init(&n->keep, NULL);
    if (pthread_create(&n->keeper, NULL, keeper, n)) {
        pthread_mutex_destroy(&n->lock);
        pthread_cond_destroy(&n->wake);
        pthread_cond_destroy(&n->keep);
        vg_free(n);
        return VG_EIO;
    }
    if (pthread_create(&n->thread, NULL, loop, n)) {
        finish(n, 0);
        return VG_EIO;
    }
    *out = n;
    return VG_OK;
}

void vg_runtime_notices_stop(struct vg_runtime_notices *n)
{
    if (n)
        finish(n, 1);
}
