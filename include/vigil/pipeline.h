/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline's hashing engine: worker threads run the jobs a submitter
 * hands in, and hand them back either in submission order (`vigil hash`
 * prints in input order) or as each finishes (the crawler's event loop
 * takes whatever is ready).  A window bounds the jobs in flight, so memory
 * stays flat however many there are.  What a job does (hashing with
 * vigil/imagehash.h, matching, a thumbnail) is the submitter's run
 * callback; the engine only schedules.
 *
 * Thread safety: one submitting thread calls submit, take and pending; run
 * and ready are called on the engine's threads, many at once.
 */
#ifndef VIGIL_PIPELINE_H
#define VIGIL_PIPELINE_H

#include <stddef.h>

#include "vigil/error.h"

/* Embedded in the submitter's job; the engine owns it in flight. */
struct vg_engine_job {
    struct vg_engine_job *next;       /* queued, or finished (unordered) */
    struct vg_engine_job *next_order; /* in flight, in order (ordered) */
    int done;
};

struct vg_engine_opts {
    unsigned threads; /* workers, at least 1 */
    unsigned window;  /* most jobs in flight (submit waits); 0 = no bound */
    int ordered;      /* take hands back in submission order */
    /* the work, on a worker thread, without the engine's lock */
    void (*run)(void *ctx, struct vg_engine_job *job);
    /* a job finished (on its worker, after run); may be NULL */
    void (*ready)(void *ctx);
    void *ctx;
};

struct vg_engine;

/* Start the workers.  VG_OK, VG_EINVAL (no run), VG_ENOMEM. */
int vg_engine_new(const struct vg_engine_opts *o, struct vg_engine **out);

/*
 * Queue job (the engine owns it until take hands it back).  With a window,
 * waits while it is full, until a take makes room: a submitter that also
 * takes (the usual case) takes first when vg_engine_pending says the
 * window is full, or it would wait forever.
 */
void vg_engine_submit(struct vg_engine *e, struct vg_engine_job *job);

/*
 * The next finished job (ordered: the oldest submitted, once it is done),
 * or NULL when none is finished and wait is 0, or none is in flight.
 */
struct vg_engine_job *vg_engine_take(struct vg_engine *e, int wait);

/* Jobs submitted and not yet taken back. */
size_t vg_engine_pending(const struct vg_engine *e);

/*
 * Stop the workers (a job running finishes first) and free the engine;
 * drop(ctx, job) is called for every job not taken back (queued or
 * finished), which the caller frees.
 */
void vg_engine_free(struct vg_engine *e,
                    void (*drop)(void *ctx, struct vg_engine_job *job));

#endif
