/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rate limits by keyed hash: a burst, then the rate; clients independent;
 * the bucket refills with time; the wait said is right; IPv6 clients go
 * by their network (a /64 unless set), IPv4 and IPv4-mapped by address.
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

/* Two takes drain a burst of 2: the third is refused. */
static int shares(struct vg_ratelimit *rl, const char *a, const char *b,
                  int64_t t)
{
    vg_ratelimit_take(rl, a, t);
    vg_ratelimit_take(rl, a, t);
    return vg_ratelimit_take(rl, b, t) > 0;
}

static void test_ipv6_prefix(void)
{
    struct vg_ratelimit *rl = NULL;
    int64_t t = 1000000;

    TH_EQ_INT(vg_ratelimit_new(2, 1, &rl), VG_OK);
    /* one /64: rotating the interface part buys nothing */
    TH_CHECK(shares(rl, "2001:db8:1:2::1", "2001:db8:1:2:ffff:ab:cd:ef", t));
    /* another /64 has its own budget */
    TH_CHECK(!shares(rl, "2001:db8:a:1::1", "2001:db8:a:2::1", t));
    /* IPv4 and IPv4-mapped addresses stay per address */
    TH_CHECK(!shares(rl, "192.0.2.1", "192.0.2.2", t));
    TH_CHECK(!shares(rl, "::ffff:192.0.2.3", "::ffff:192.0.2.4", t));
    /* the prefix is an option: /48 joins, /128 separates */
    TH_EQ_INT(vg_ratelimit_ipv6_prefix(rl, 0), VG_EINVAL);
    TH_EQ_INT(vg_ratelimit_ipv6_prefix(rl, 129), VG_EINVAL);
    TH_EQ_INT(vg_ratelimit_ipv6_prefix(rl, 48), VG_OK);
    TH_CHECK(shares(rl, "2001:db8:b:1::1", "2001:db8:b:2::1", t));
    TH_CHECK(!shares(rl, "2001:db8:c::1", "2001:db8:d::1", t));
    TH_EQ_INT(vg_ratelimit_ipv6_prefix(rl, 128), VG_OK);
    TH_CHECK(!shares(rl, "2001:db8:e::1", "2001:db8:e::2", t));
    /* a prefix that is not whole bytes: /60 */
    TH_EQ_INT(vg_ratelimit_ipv6_prefix(rl, 60), VG_OK);
    TH_CHECK(shares(rl, "2001:db8:f:10::1", "2001:db8:f:1f::1", t));
    TH_CHECK(!shares(rl, "2001:db8:f:20::1", "2001:db8:f:30::1", t));
    vg_ratelimit_free(rl);
}

int main(void)
{
    TH_RUN(test_buckets);
    TH_RUN(test_ipv6_prefix);
    return th_done();
}
