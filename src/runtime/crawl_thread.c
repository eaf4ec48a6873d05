/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s crawler thread (vigil/runtime.h).  The thread loads the
 * matcher (again after retry_ms while it cannot), starts the list sync on
 * it (vigil/lists.h: list changes applied in place, every 200 ms and when
 * woken), then loops on vg_crawl_run over the standing crawl of reported
 * URLs; the crawl loop watches one flag (non-zero: return, leaving
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
#include "vigil/runtime.h"

struct vg_runtime_crawl {
    struct vg_store *st;
    struct vg_sealer *sealer;
    struct vg_runtime_crawl_opts o;
    int64_t crawl_id;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    volatile sig_atomic_t flag; /* the crawl loop's stop flag */
    /* under mu: */
    struct vg_matcher *m;     /* NULL until loaded */
    struct vg_listsync *sync; /* keeps m current */
    int stopping, runs, last_rc;
    struct vg_crawl_stats stats;
    char last_error[512];
};

void vg_runtime_crawl_opts_default(struct vg_runtime_crawl_opts *o)
{
    memset(o, 0, sizeof(*o));
    vg_crawl_opts_default(&o->crawl);
    o->crawl.threads = 1; /* the server's HTTP threads need the cores */
    o->min_quality = 50;
    o->retry_ms = 5000;
    o->sync_ms = 200;
}

static int seal_thumb(void *ctx, const uint8_t *plain, size_t n, uint8_t **out,
                      size_t *outn)
{
    return vg_seal(ctx, plain, n, out, outn);
}

static void say(struct vg_runtime_crawl *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void say(struct vg_runtime_crawl *c, const char *fmt, ...)
{
    char line[768];
    va_list ap;

    if (!c->o.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->o.log(c->o.log_ctx, line);
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
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!c->stopping &&
           pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT)
        ;
}

static void sync_log(void *ctx, const char *line)
{
    say(ctx, "%s", line);
}

/* Load the lists and start their sync, trying again after retry_ms while
 * it fails; 0 once loaded, -1 when stopped first. */
static int load_lists(struct vg_runtime_crawl *c)
{
    for (;;) {
        struct vg_matcher *m = NULL;
        struct vg_listsync *sync = NULL;
        struct vg_err err = {0};
        int rc = vg_matcher_load(c->st, c->o.min_quality, &m, &err);

        if (!rc &&
            (rc = vg_listsync_start(m, c->o.sync_ms, sync_log, c, &sync)))
            vg_matcher_free(m);
        pthread_mutex_lock(&c->mu);
        if (!rc) {
            c->m = m;
            c->sync = sync;
        } else if (!c->stopping) {
            say(c, "crawl: the lists cannot be loaded (%s); again in %lld ms",
                err.msg[0] ? err.msg : vg_strerror(rc),
                (long long)c->o.retry_ms);
            pause_locked(c, c->o.retry_ms);
        }
        rc = rc ? (c->stopping ? -1 : 1) : 0;
        pthread_mutex_unlock(&c->mu);
        if (rc <= 0)
            return rc;
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
    if (load_lists(c))
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
            say(c, "crawl of reported URLs: %s; again in %lld ms",
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
                           const struct vg_runtime_crawl_opts *o,
                           struct vg_runtime_crawl **out, struct vg_err *err)
{
    struct vg_runtime_crawl *c = NULL;
    int rc;

    *out = NULL;
    if (!sealer)
        return vg_err_set(err, VG_EINVAL,
                          "the crawler needs the sealing key for review"
                          " thumbnails");
    if (!(c = vg_calloc(1, sizeof(*c))))
        return VG_ENOMEM;
    c->st = st;
    c->sealer = sealer;
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
    vg_listsync_stop(c->sync);
    vg_matcher_free(c->m);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    vg_free(c);
}

void vg_runtime_crawl_lists_changed(struct vg_runtime_crawl *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->sync)
        vg_listsync_wake(c->sync);
    pthread_mutex_unlock(&c->mu);
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
    out->lists_loaded = c->m != NULL;
    if (c->m) {
        vg_matcher_status(c->m, &out->lists);
        out->index_entries = out->lists.entries;
        out->lists_synced_at = out->lists.synced_at_ms / 1000;
    }
    pthread_mutex_unlock(&c->mu);
}
