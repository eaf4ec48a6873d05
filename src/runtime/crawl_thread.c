/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s crawler thread (vigil/runtime.h).  The thread waits for
 * the node's index (its matcher, kept current by the list sync), then
 * loops on vg_crawl_run over the standing crawl of reported URLs; the crawl loop watches one flag (non-zero: return, leaving
 * everything resumable), set under the mutex by stop.  Between runs the
 * thread waits on a condition variable, so a stop during the back-off
 * after an error is immediate.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/lists.h"
#include "vigil/store_reports.h"
#include "runtime/runtime_int.h"
#include "vigil/runtime.h"

struct vg_runtime_crawl {
    struct vg_store *st;
    struct vg_sealer *sealer;
    struct vg_runtime_index *index;
    struct vg_runtime_crawl_opts o;
    int64_t crawl_id;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    volatile sig_atomic_t flag; /* the crawl loop's stop flag */
    struct vg_matcher *m;       /* the index's, once loaded (this thread's) */
    /* under mu: */
    int stopping, runs, last_rc;
    struct vg_crawl_stats stats;
    char last_error[512];
};

void vg_runtime_crawl_opts_default(struct vg_runtime_crawl_opts *o)
{
    memset(o, 0, sizeof(*o));
    vg_crawl_opts_default(&o->crawl);
    o->crawl.threads = 1; /* the server's HTTP threads need the cores */
    o->retry_ms = 5000;
}

static int seal_thumb(void *ctx, const uint8_t *plain, size_t n, uint8_t **out,
                      size_t *outn)
{
    return vg_seal(ctx, plain, n, out, outn);
}

static void progress(void *ctx, const struct vg_crawl_stats *s)
{
    struct vg_runtime_crawl *c = ctx;

    pthread_mutex_lock(&c->mu);
    c->stats = *s;
    pthread_mutex_unlock(&c->mu);
}

/* Wait ms or until stopped (mu held). */
static void pause_locked(struct vg_runtime_crawl *c, int64_t ms)
{
    struct timespec until = vg__rt_after(ms);

    while (!c->stopping &&
           pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT)
        ;
}

/* Wait for the index's matcher; 0 once there, -1 when stopped first. */
static int wait_index(struct vg_runtime_crawl *c)
{
    for (;;) {
        int stopping;

        c->m = vg_runtime_index_wait(c->index, 200);
        pthread_mutex_lock(&c->mu);
        stopping = c->stopping;
        pthread_mutex_unlock(&c->mu);
        if (stopping)
            return -1;
        if (c->m)
            return 0;
    }
}

static void *run(void *arg)
{
    struct vg_runtime_crawl *c = arg;
    struct vg_crawl_opts co = c->o.crawl;

    co.continuous = 1;
    co.review_thumbs = 1;
    co.seal = seal_thumb;
    co.seal_ctx = c->sealer;
    if (wait_index(c))
        return NULL;
    for (;;) {
        struct vg_crawl_stats stats;
        struct vg_err err = {0};
        int rc;

        pthread_mutex_lock(&c->mu);
        c->runs++;
        pthread_mutex_unlock(&c->mu);
        rc = vg_crawl_run(c->st, c->m, c->crawl_id, &co, &c->flag, progress, c,
                          &stats, &err);
        pthread_mutex_lock(&c->mu);
        c->stats = stats;
        c->last_rc = rc;
        snprintf(c->last_error, sizeof(c->last_error), "%s",
                 rc ? (err.msg[0] ? err.msg : vg_strerror(rc)) : "");
        if (rc && !c->stopping) {
            vg__rt_say(c->o.log, c->o.log_ctx,
                       "crawl of reported URLs: %s; again in %lld ms",
                       c->last_error, (long long)c->o.retry_ms);
            pause_locked(c, c->o.retry_ms);
        } else if (!rc && !c->stopping) {
            pause_locked(c, 1000); /* ended by itself: do not spin */
        }
        if (c->stopping) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        pthread_mutex_unlock(&c->mu);
    }
    return NULL;
}

int vg_runtime_crawl_start(struct vg_store *st, struct vg_sealer *sealer,
                           struct vg_runtime_index *index,
                           const struct vg_runtime_crawl_opts *o,
                           struct vg_runtime_crawl **out, struct vg_err *err)
{
    struct vg_runtime_crawl *c = NULL;
    int rc;

    *out = NULL;
    if (!sealer || !index)
        return vg_err_set(err, VG_EINVAL,
                          "the crawler needs the sealing key for review"
                          " thumbnails and the node's index");
    if (!(c = vg_calloc(1, sizeof(*c))))
        return VG_ENOMEM;
    c->st = st;
    c->sealer = sealer;
    c->index = index;
    if (o)
        c->o = *o;
    else
        vg_runtime_crawl_opts_default(&c->o);
    if (c->o.retry_ms <= 0)
        c->o.retry_ms = 5000;
    if ((rc = vg_store_reports_crawl(st, &c->crawl_id, err))) {
        vg_free(c);
        return rc;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, run, c)) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        vg_free(c);
        return vg_err_set(err, VG_ENOMEM, "cannot start the crawler thread");
    }
    *out = c;
    return VG_OK;
}

void vg_runtime_crawl_stop(struct vg_runtime_crawl *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    c->flag = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    vg_free(c);
}

void vg_runtime_crawl_status(struct vg_runtime_crawl *c,
                             struct vg_runtime_crawl_status *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&c->mu);
    out->crawl_id = c->crawl_id;
    out->runs = c->runs;
    out->stats = c->stats;
    out->last_rc = c->last_rc;
    memcpy(out->last_error, c->last_error, sizeof(out->last_error));
    pthread_mutex_unlock(&c->mu);
}
