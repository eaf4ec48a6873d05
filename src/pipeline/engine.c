/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hashing engine (vigil/pipeline.h): a FIFO of queued jobs the workers
 * take in turn, and for handing back either the list of every job in
 * flight in submission order (ordered: only its head may leave, once
 * done) or a list of finished ones (unordered).  One mutex guards it all;
 * one condition wakes workers (queued work, stop) and the submitter
 * (a job done, room in the window).
 */
#include <pthread.h>

#include "vigil/alloc.h"
#include "vigil/pipeline.h"

struct vg_engine {
    struct vg_engine_opts o;
    pthread_mutex_t mu;
    pthread_cond_t work;                      /* queued jobs, or stopping */
    pthread_cond_t moved;                     /* a job done */
    struct vg_engine_job *in, *in_tail;       /* queued */
    struct vg_engine_job *order, *order_tail; /* in flight (ordered) */
    struct vg_engine_job *out;                /* finished (unordered) */
    size_t pending;
    int stopping;
    unsigned nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    struct vg_engine *e = arg;

    pthread_mutex_lock(&e->mu);
    for (;;) {
        struct vg_engine_job *j;

        while (!e->in && !e->stopping)
            pthread_cond_wait(&e->work, &e->mu);
        if (e->stopping)
            break;
        j = e->in;
        if (!(e->in = j->next))
            e->in_tail = NULL;
        pthread_mutex_unlock(&e->mu);
        e->o.run(e->o.ctx, j);
        pthread_mutex_lock(&e->mu);
        j->done = 1;
        if (!e->o.ordered) {
            j->next = e->out;
            e->out = j;
        }
        pthread_cond_broadcast(&e->moved);
        if (e->o.ready) {
            pthread_mutex_unlock(&e->mu);
            e->o.ready(e->o.ctx);
            pthread_mutex_lock(&e->mu);
        }
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

int vg_engine_new(const struct vg_engine_opts *o, struct vg_engine **out)
{
    struct vg_engine *e;
    unsigned n = o->threads ? o->threads : 1;

    *out = NULL;
    if (!o->run)
        return VG_EINVAL;
    if (!(e = vg_calloc(1, sizeof(*e))))
        return VG_ENOMEM;
    e->o = *o;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->work, NULL);
    pthread_cond_init(&e->moved, NULL);
    if (!(e->threads = vg_calloc(n, sizeof(*e->threads)))) {
        vg_engine_free(e, NULL);
        return VG_ENOMEM;
    }
    for (; e->nthreads < n; e->nthreads++)
        if (pthread_create(&e->threads[e->nthreads], NULL, worker, e))
            break;
    if (!e->nthreads) {
        vg_engine_free(e, NULL);
        return VG_ENOMEM;
    }
    *out = e;
    return VG_OK;
}

void vg_engine_submit(struct vg_engine *e, struct vg_engine_job *job)
{
    job->next = job->next_order = NULL;
    job->done = 0;
    pthread_mutex_lock(&e->mu);
    while (e->o.window && e->pending >= e->o.window)
        pthread_cond_wait(&e->moved, &e->mu);
    if (e->in_tail)
        e->in_tail->next = job;
    else
        e->in = job;
    e->in_tail = job;
    if (e->o.ordered) {
        if (e->order_tail)
            e->order_tail->next_order = job;
        else
            e->order = job;
        e->order_tail = job;
    }
    e->pending++;
    pthread_cond_signal(&e->work);
    pthread_mutex_unlock(&e->mu);
}

/* The job take may hand back now, unlinked, or NULL.  Under the lock. */
static struct vg_engine_job *take_locked(struct vg_engine *e)
{
    struct vg_engine_job *j;

    if (e->o.ordered) {
        if (!(j = e->order) || !j->done)
            return NULL;
        if (!(e->order = j->next_order))
            e->order_tail = NULL;
    } else {
        if (!(j = e->out))
            return NULL;
        e->out = j->next;
    }
    e->pending--;
    pthread_cond_broadcast(&e->moved); /* room in the window */
    return j;
}

struct vg_engine_job *vg_engine_take(struct vg_engine *e, int wait)
{
    struct vg_engine_job *j;

    pthread_mutex_lock(&e->mu);
    while (!(j = take_locked(e)) && wait && e->pending)
        pthread_cond_wait(&e->moved, &e->mu);
    pthread_mutex_unlock(&e->mu);
    return j;
}

size_t vg_engine_pending(const struct vg_engine *e)
{
    return e->pending; /* only the submitting thread changes it */
}

void vg_engine_free(struct vg_engine *e,
                    void (*drop)(void *ctx, struct vg_engine_job *job))
{
    struct vg_engine_job *j, *n;

    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stopping = 1;
    pthread_cond_broadcast(&e->work);
    pthread_mutex_unlock(&e->mu);
    for (unsigned i = 0; i < e->nthreads; i++)
        pthread_join(e->threads[i], NULL);
    if (drop) {
        /* every job not taken: in flight in order, or queued and done */
        if (e->o.ordered) {
            for (j = e->order; j; j = n) {
                n = j->next_order;
                drop(e->o.ctx, j);
            }
        } else {
            for (j = e->in; j; j = n) {
                n = j->next;
                drop(e->o.ctx, j);
            }
            for (j = e->out; j; j = n) {
                n = j->next;
                drop(e->o.ctx, j);
            }
        }
    }
    vg_free(e->threads);
    pthread_cond_destroy(&e->work);
    pthread_cond_destroy(&e->moved);
    pthread_mutex_destroy(&e->mu);
    vg_free(e);
}
