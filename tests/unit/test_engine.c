/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pipeline's hashing engine (vigil/pipeline.h): jobs of random length
 * come back in submission order when ordered, every one exactly once when
 * not; the window bounds the jobs in flight; freeing the engine with jobs
 * not taken hands each to drop once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "th.h"
#include "vigil/pipeline.h"

struct job {
    struct vg_engine_job ej;
    int n, ran;
};

static atomic_int running, most, readies;

static void run(void *ctx, struct vg_engine_job *ej)
{
    struct job *j = (struct job *)ej;
    struct timespec ts = {0, (long)(j->n * 7919 % 200) * 1000};
    int now = atomic_fetch_add(&running, 1) + 1, m = atomic_load(&most);

    (void)ctx;
    while (now > m && !atomic_compare_exchange_weak(&most, &m, now))
        ;
    nanosleep(&ts, NULL);
    j->ran++;
    atomic_fetch_sub(&running, 1);
}

static void ready(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&readies, 1);
}

static void test_ordered(void)
{
    enum { N = 500, WINDOW = 8 };
    struct vg_engine_opts o = {4, WINDOW, 1, run, ready, NULL};
    struct vg_engine *e = NULL;
    struct job *jobs = calloc(N, sizeof(*jobs));
    int next = 0, bad = 0;

    atomic_store(&most, 0);
    atomic_store(&readies, 0);
    TH_EQ_INT(vg_engine_new(&o, &e), VG_OK);
    for (int i = 0; i < N; i++) {
        struct job *j;
        if (vg_engine_pending(e) >= WINDOW) {
            j = (struct job *)vg_engine_take(e, 1);
            bad += !j || j->n != next++ || j->ran != 1;
        }
        jobs[i].n = i;
        vg_engine_submit(e, &jobs[i].ej);
        TH_CHECK(vg_engine_pending(e) <= WINDOW);
    }
    for (struct job *j; (j = (struct job *)vg_engine_take(e, 1));)
        bad += j->n != next++ || j->ran != 1;
    TH_EQ_INT(bad, 0);
    TH_EQ_INT(next, N);
    TH_CHECK(atomic_load(&most) <= 4);
    TH_CHECK(vg_engine_take(e, 1) == NULL); /* nothing in flight */
    vg_engine_free(e, NULL);
    /* ready runs after its job can be taken, so count once the workers
     * are joined */
    TH_EQ_INT(atomic_load(&readies), N);
    free(jobs);
}

static void test_unordered(void)
{
    enum { N = 300 };
    struct vg_engine_opts o = {3, 0, 0, run, NULL, NULL};
    struct vg_engine *e = NULL;
    struct job *jobs = calloc(N, sizeof(*jobs));
    char *seen = calloc(N, 1);
    int got = 0;

    TH_EQ_INT(vg_engine_new(&o, &e), VG_OK);
    for (int i = 0; i < N; i++) {
        jobs[i].n = i;
        vg_engine_submit(e, &jobs[i].ej);
    }
    TH_EQ_INT(vg_engine_pending(e), N);
    while (got < N) {
        struct job *j = (struct job *)vg_engine_take(e, 1);
        if (!j || seen[j->n]++)
            break;
        got++;
    }
    TH_EQ_INT(got, N);
    TH_EQ_INT(vg_engine_pending(e), 0);
    vg_engine_free(e, NULL);
    free(jobs);
    free(seen);
}

static int dropped;

static void drop(void *ctx, struct vg_engine_job *ej)
{
    (void)ctx;
    ((struct job *)ej)->ran += 100;
    dropped++;
}

static void test_free_drops(void)
{
    enum { N = 200 };
    struct vg_engine_opts o = {2, 0, 0, run, NULL, NULL};
    struct vg_engine *e = NULL;
    struct job *jobs = calloc(N, sizeof(*jobs));
    int taken = 0, bad = 0;

    TH_EQ_INT(vg_engine_new(&o, &e), VG_OK);
    for (int i = 0; i < N; i++) {
        jobs[i].n = i;
        vg_engine_submit(e, &jobs[i].ej);
    }
    while (taken < 10 && vg_engine_take(e, 1))
        taken++;
    dropped = 0;
    vg_engine_free(e, drop);
    TH_EQ_INT(dropped, N - taken);
    for (int i = 0; i < N; i++) /* taken: ran once; dropped: +100 */
        bad += jobs[i].ran != 1 && jobs[i].ran != 100 && jobs[i].ran != 101;
    TH_EQ_INT(bad, 0);
    free(jobs);
}

int main(void)
{
    TH_RUN(test_ordered);
    TH_RUN(test_unordered);
    TH_RUN(test_free_drops);
    return th_done();
}
