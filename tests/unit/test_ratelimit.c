/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rate limits by keyed hash: a burst, then the rate; clients independent;
 * the bucket refills with time; the wait said is right.
 */
#include "th.h"
#include "vigil/ratelimit.h"

static void test_buckets(void)
{
    struct vg_ratelimit *rl = NULL;
    int64_t t = 1000000;

    TH_EQ_INT(vg_ratelimit_new(0, 60, &rl), VG_EINVAL);
    TH_EQ_INT(vg_ratelimit_new(5, 60, &rl), VG_OK); /* 5 at once, 1 a second */
    for (int i = 0; i < 5; i++)
        TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.1", t), 0);
    TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.1", t), 1);
    TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.1", t + 500), 1);
    /* another client is not held up */
    TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.2", t), 0);
    TH_EQ_INT(vg_ratelimit_take(rl, "2001:db8::1", t), 0);
    /* a second later, one more */
    TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.1", t + 1000), 0);
    TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.1", t + 1000), 1);
    /* after a long pause, a full burst again, not more */
    for (int i = 0; i < 5; i++)
        TH_EQ_INT(vg_ratelimit_take(rl, "192.0.2.1", t + 600000), 0);
    TH_CHECK(vg_ratelimit_take(rl, "192.0.2.1", t + 600000) > 0);
    vg_ratelimit_free(rl);
    /* a slow rate says a longer wait */
    TH_EQ_INT(vg_ratelimit_new(1, 2, &rl), VG_OK); /* 2 a minute */
    TH_EQ_INT(vg_ratelimit_take(rl, "c", t), 0);
    TH_EQ_INT(vg_ratelimit_take(rl, "c", t), 30);
    vg_ratelimit_free(rl);
}

int main(void)
{
    TH_RUN(test_buckets);
    return th_done();
}
