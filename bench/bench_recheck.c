/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The re-check side of notice cycles (vigil/notice.h) on a store that
 * bench/recheck_bench.sh filled with open cases: cycles back to back, on
 * the real clock, until no case is due at a cycle's start or --seconds
 * have passed, each printing its re-checks, their rate, the 304s, what its
 * budget left due, and the largest lag behind schedule; then the totals.
 *   bench_recheck DB TEMPLATES [--seconds S] [--per-host N] [--delay MS]
 *                 [--in-flight N] [--budget S]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/notice.h"
#include "vigil/store.h"

static double mono(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    struct vg_notice_opts o;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    double seconds = 3600, t0, total_s;
    int64_t total = 0, lag = 0, left = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: bench_recheck DB TEMPLATES [--seconds S]"
                        " [--per-host N] [--delay MS] [--in-flight N]"
                        " [--budget S]\n");
        return 2;
    }
    memset(&o, 0, sizeof(o));
    o.templates_dir = argv[2];
    o.hotline = "Bench Hotline";
    o.fetch.user_agent = "vigil-bench (re-checks)";
    o.fetch.allow_private = 1;
    o.fetch.max_in_flight = 64;
    for (int i = 3; i + 1 < argc; i += 2) {
        long long v = atoll(argv[i + 1]);
        if (!strcmp(argv[i], "--seconds"))
            seconds = (double)v;
        else if (!strcmp(argv[i], "--per-host"))
            o.recheck_per_host = (unsigned)v;
        else if (!strcmp(argv[i], "--delay"))
            o.recheck_delay_ms = v;
        else if (!strcmp(argv[i], "--in-flight"))
            o.fetch.max_in_flight = (unsigned)v;
        else if (!strcmp(argv[i], "--budget"))
            o.recheck_budget_s = v;
    }
    if (vg_store_open(argv[1], NULL, &st, &err)) {
        fprintf(stderr, "bench_recheck: %s\n", err.msg);
        return 1;
    }
    t0 = mono();
    for (int cycle = 1; mono() - t0 < seconds; cycle++) {
        struct vg_notice_stats s;
        double c0 = mono(), dt;
        if (vg_notice_run_once(st, &o, &s, &err)) {
            fprintf(stderr, "bench_recheck: %s\n", err.msg);
            vg_store_close(st);
            return 1;
        }
        dt = mono() - c0;
        printf("cycle %d: %lld re-checks in %.1f s (%.0f/s), %lld removed,"
               " %lld answered 304, %lld left due, max lag %lld s\n",
               cycle, (long long)s.rechecks, dt,
               dt > 0 ? (double)s.rechecks / dt : 0.0, (long long)s.removed,
               (long long)s.not_modified, (long long)s.rechecks_left,
               (long long)s.recheck_lag_max_s);
        fflush(stdout);
        total += s.rechecks;
        left = s.rechecks_left;
        if (s.recheck_lag_max_s > lag)
            lag = s.recheck_lag_max_s;
        if (!s.rechecks)
            break;
    }
    total_s = mono() - t0;
    printf("total: %lld re-checks in %.1f s: %.0f re-checks/s, max lag %lld"
           " s, %lld left due\n",
           (long long)total, total_s,
           total_s > 0 ? (double)total / total_s : 0, (long long)lag,
           (long long)left);
    vg_store_close(st);
    return 0;
}
