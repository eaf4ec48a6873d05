/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group commit of reports (vigil/intake.h).  Submitters queue a waiter on
 * their own stack and sleep on its condition; the committer takes the
 * whole queue (up to max_batch), stores it in one transaction, and wakes
 * each waiter with its result.  While one batch is being written the next
 * gathers, so the batch grows with the load.
 */
#include <pthread.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/intake.h"
#include "vigil/store_reports.h"

struct waiter {
    const struct vg_report_rec *rec;
    struct vg_report_ack *ack;
    struct vg_err *err;
    int rc, done;
    pthread_cond_t cv;
    struct waiter *next;
};

struct vg_intake {
    struct vg_store *st;
    size_t max_batch;
    pthread_mutex_t mu;
    pthread_cond_t work;
    struct waiter *head, *tail;
    int stopping, started;
    pthread_t thread;
    struct vg_intake_stats stats;
    /* the committer's own buffers */
    struct vg_report_rec *recs;
    struct vg_report_ack *acks;
    struct waiter **batch;
};

/* Store a batch; on failure each report alone, so only bad ones fail. */
static void store_batch(struct vg_intake *in, size_t n)
{
    struct vg_err err = {0};
    int rc;

    for (size_t i = 0; i < n; i++)
        in->recs[i] = *in->batch[i]->rec;
    rc = vg_store_reports_add(in->st, in->recs, n, in->acks, &err);
    if (!rc || n == 1) {
        for (size_t i = 0; i < n; i++) {
            struct waiter *w = in->batch[i];
            w->rc = rc;
            if (!rc)
                *w->ack = in->acks[i];
            else if (w->err)
                *w->err = err;
        }
        in->stats.batches++;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct waiter *w = in->batch[i];
        w->rc = vg_store_reports_add(in->st, w->rec, 1, w->ack, w->err);
        in->stats.batches++;
    }
}

static void *committer(void *arg)
{
    struct vg_intake *in = arg;

    pthread_mutex_lock(&in->mu);
    for (;;) {
        size_t n = 0;
        while (!in->head && !in->stopping)
            pthread_cond_wait(&in->work, &in->mu);
        if (!in->head)
            break; /* stopping, and nothing left */
        while (in->head && n < in->max_batch) {
            in->batch[n++] = in->head;
            in->head = in->head->next;
        }
        if (!in->head)
            in->tail = NULL;
        pthread_mutex_unlock(&in->mu);
        store_batch(in, n);
        pthread_mutex_lock(&in->mu);
        in->stats.reports += n;
        for (size_t i = 0; i < n; i++) {
            in->batch[i]->done = 1;
            pthread_cond_signal(&in->batch[i]->cv);
        }
    }
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

int vg_intake_new(struct vg_store *st, size_t max_batch,
                  struct vg_intake **out)
{
    struct vg_intake *in = vg_calloc(1, sizeof(*in));

    *out = NULL;
    if (!in)
        return VG_ENOMEM;
    in->st = st;
    in->max_batch = max_batch ? max_batch : 256;
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->work, NULL);
    if (!(in->recs = vg_calloc(in->max_batch, sizeof(*in->recs))) ||
        !(in->acks = vg_calloc(in->max_batch, sizeof(*in->acks))) ||
        !(in->batch = vg_calloc(in->max_batch, sizeof(*in->batch))) ||
        pthread_create(&in->thread, NULL, committer, in)) {
        vg_intake_free(in);
        return VG_ENOMEM;
    }
    in->started = 1;
    *out = in;
    return VG_OK;
}

int vg_intake_submit(struct vg_intake *in, const struct vg_report_rec *r,
                     struct vg_report_ack *ack, struct vg_err *err)
{
    struct waiter w = {r, ack, err, VG_OK, 0, PTHREAD_COND_INITIALIZER, NULL};

    pthread_mutex_lock(&in->mu);
    if (in->stopping) {
        pthread_mutex_unlock(&in->mu);
        return vg_err_set(err, VG_EBUSY, "the server is stopping");
    }
    /* w lives on this stack until the committer marks it done (below) */
    if (in->tail)
        in->tail->next = &w; // cppcheck-suppress autoVariables
    else
        in->head = &w; // cppcheck-suppress autoVariables
    in->tail = &w;     // cppcheck-suppress autoVariables
    pthread_cond_signal(&in->work);
    while (!w.done)
        pthread_cond_wait(&w.cv, &in->mu);
    pthread_mutex_unlock(&in->mu);
    pthread_cond_destroy(&w.cv);
    return w.rc;
}

void vg_intake_stats(struct vg_intake *in, struct vg_intake_stats *out)
{
    pthread_mutex_lock(&in->mu);
    *out = in->stats;
    pthread_mutex_unlock(&in->mu);
}

void vg_intake_free(struct vg_intake *in)
{
    if (!in)
        return;
    if (in->started) {
        pthread_mutex_lock(&in->mu);
        in->stopping = 1;
        pthread_cond_signal(&in->work);
        pthread_mutex_unlock(&in->mu);
        pthread_join(in->thread, NULL); /* drains the queue first */
    }
    pthread_cond_destroy(&in->work);
    pthread_mutex_destroy(&in->mu);
    vg_free(in->recs);
    vg_free(in->acks);
    vg_free(in->batch);
    vg_free(in);
}
