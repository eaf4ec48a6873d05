/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Group commit: reports submitted from many threads at once are all
 * stored, each with its own reference, in fewer transactions than
 * reports; a bad report fails alone; freeing drains what was submitted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "th.h"
#include "th_db.h"
#include "vigil/intake.h"
#include "vigil/store_reports.h"

#define THREADS 8
#define EACH 250

static char dir[] = "/tmp/vigil-test-intake-XXXXXX";
static struct vg_intake *intake;
static char refs[THREADS * EACH][VG_REFERENCE_LEN + 1];
static int failures;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void *submitter(void *arg)
{
    int t = (int)(intptr_t)arg;

    for (int i = 0; i < EACH; i++) {
        char desc[64];
        struct vg_report_rec r = {0};
        struct vg_report_ack ack;
        struct vg_err err = {0};

        snprintf(desc, sizeof(desc), "report %d of thread %d", i, t);
        r.channel = "web";
        r.language = "en";
        r.incident_type = "csam";
        r.description = desc;
        /* one bad report (a channel the schema refuses) in thread 3 */
        if (t == 3 && i == 100)
            r.channel = "bogus";
        if (vg_intake_submit(intake, &r, &ack, &err)) {
            pthread_mutex_lock(&mu);
            failures++;
            pthread_mutex_unlock(&mu);
            continue;
        }
        memcpy(refs[t * EACH + i], ack.reference, sizeof(refs[0]));
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void test_group_commit(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_intake_stats s;
    pthread_t th[THREADS];
    struct timespec t0, t1;
    int distinct = 1, empty = 0;
    double secs;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "intake.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(vg_intake_new(st, 0, &intake), VG_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, submitter, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    vg_intake_stats(intake, &s);
    vg_intake_free(intake);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# %d durable reports from %d threads in %.2f s (%.0f/s), %llu"
           " transactions\n",
           THREADS * EACH, THREADS, secs, THREADS * EACH / secs, s.batches);
    TH_EQ_INT(failures, 1);
    TH_EQ_INT(s.reports, THREADS * EACH);
    TH_CHECK(s.batches < s.reports); /* grouped */
    qsort(refs, THREADS * EACH, sizeof(refs[0]), cmp);
    for (int i = 0; i < THREADS * EACH; i++) {
        if (!refs[i][0])
            empty++;
        else if (i && !strcmp(refs[i], refs[i - 1]))
            distinct = 0;
    }
    TH_EQ_INT(empty, 1); /* the bad one */
    TH_CHECK(distinct);
    vg_store_close(st);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir))
        return 1;
    TH_RUN(test_group_commit);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) ? 1 : status;
}
