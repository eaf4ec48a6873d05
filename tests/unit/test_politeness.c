/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-host politeness on a simulated clock: the delay holds per host
 * across any number of connections (the wget2 mistake), hosts are
 * independent, the in-flight limit, Crawl-delay only lengthens the delay,
 * and 429/503 back-off with Retry-After in seconds, as a date, doubled
 * without it, capped, and cleared by a success.
 */
#include <stdio.h>
#include <time.h>

#include "th.h"
#include "vigil/politeness.h"

#define T0 INT64_C(1764400000000) /* 2025-11-29, in milliseconds */

static void test_delay_per_host(void)
{
    struct vg_polite_opts o = {8, 1000};
    struct vg_polite *p = NULL;
    int64_t now = T0, starts[20];
    int n = 0;

    TH_EQ_INT(vg_polite_new(&o, &p), VG_OK);
    /* a scheduler with 8 connections free asks as often as it can */
    while (n < 20) {
        int64_t w = vg_polite_wait(p, "a.example", now);
        TH_CHECK(w >= 0);
        if (w == 0) {
            TH_EQ_INT(vg_polite_start(p, "a.example", now), VG_OK);
            starts[n++] = now;
            TH_EQ_INT(vg_polite_end(p, "a.example", now + 10, 200, NULL),
                      VG_OK);
        }
        now += w ? w : 1;
    }
    for (int i = 1; i < n; i++)
        if (starts[i] - starts[i - 1] < 1000)
            TH_FAIL_("starts %d and %d only %lld ms apart", i - 1, i,
                     (long long)(starts[i] - starts[i - 1]));
    /* another host is not held up by the first */
    TH_EQ_INT(vg_polite_wait(p, "b.example", now), 0);
    vg_polite_free(p);
}

static void test_in_flight_limit(void)
{
    struct vg_polite_opts o = {2, -1}; /* no delay: only the limit */
    struct vg_polite *p = NULL;

    TH_EQ_INT(vg_polite_new(&o, &p), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "h", T0), 0);
    TH_EQ_INT(vg_polite_start(p, "h", T0), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "h", T0), 0);
    TH_EQ_INT(vg_polite_start(p, "h", T0), VG_OK);
    TH_CHECK(vg_polite_wait(p, "h", T0) > 0);
    TH_EQ_INT(vg_polite_end(p, "h", T0 + 5, 200, NULL), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "h", T0 + 5), 0);
    vg_polite_free(p);
}

static void test_crawl_delay(void)
{
    struct vg_polite_opts o = {2, 1000};
    struct vg_polite *p = NULL;

    TH_EQ_INT(vg_polite_new(&o, &p), VG_OK);
    TH_EQ_INT(vg_polite_crawl_delay(p, "slow", 5.5), VG_OK);
    TH_EQ_INT(vg_polite_crawl_delay(p, "fast", 0.1), VG_OK); /* never less */
    TH_EQ_INT(vg_polite_start(p, "slow", T0), VG_OK);
    TH_EQ_INT(vg_polite_start(p, "fast", T0), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "slow", T0), 5500);
    TH_EQ_INT(vg_polite_wait(p, "fast", T0), 1000);
    vg_polite_free(p);
}

static void test_backoff(void)
{
    struct vg_polite_opts o = {2, -1};
    struct vg_polite *p = NULL;
    char date[64];
    time_t t = (time_t)(T0 / 1000) + 120;
    struct tm tm;

    TH_EQ_INT(vg_polite_new(&o, &p), VG_OK);
    TH_EQ_INT(vg_polite_end(p, "h", T0, 429, "7"), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "h", T0), 7000);
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    TH_EQ_INT(vg_polite_end(p, "h", T0, 503, date), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "h", T0), 120000);
    /* without Retry-After: 30 s, then doubled, capped at an hour */
    TH_EQ_INT(vg_polite_end(p, "g", T0, 503, NULL), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "g", T0), 30000);
    TH_EQ_INT(vg_polite_end(p, "g", T0, 503, "soon"), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "g", T0), 60000);
    TH_EQ_INT(vg_polite_end(p, "g", T0, 429, "99999999"), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "g", T0), 3600000);
    /* a success clears the back-off for the next time */
    TH_EQ_INT(vg_polite_end(p, "g", T0 + 3600000, 200, NULL), VG_OK);
    TH_EQ_INT(vg_polite_end(p, "g", T0 + 3600000, 503, NULL), VG_OK);
    TH_EQ_INT(vg_polite_wait(p, "g", T0 + 3600000), 30000);
    vg_polite_free(p);
}

static void test_many_hosts(void)
{
    struct vg_polite *p = NULL;
    char host[32];

    TH_EQ_INT(vg_polite_new(NULL, &p), VG_OK);
    for (int i = 0; i < 20000; i++) {
        snprintf(host, sizeof(host), "h%d.example", i);
        TH_EQ_INT(vg_polite_start(p, host, T0), VG_OK);
    }
    for (int i = 0; i < 20000; i += 997) {
        snprintf(host, sizeof(host), "h%d.example", i);
        TH_EQ_INT(vg_polite_wait(p, host, T0), 1000);
    }
    vg_polite_free(p);
}

int main(void)
{
    TH_RUN(test_delay_per_host);
    TH_RUN(test_in_flight_limit);
    TH_RUN(test_crawl_delay);
    TH_RUN(test_backoff);
    TH_RUN(test_many_hosts);
    return th_done();
}
