/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sign-in throttling: an (account, source) pair waits after five failures,
 * the wait doubling to at most 15 minutes; the same account from another
 * source is not held up; a refused attempt does not lengthen the pair's
 * wait; a success and an unlock (a new epoch) clear it; a source failing on
 * many accounts waits across them; an account failing from everywhere is
 * only slowed, by a bounded delay; IPv6 sources go by their /64; counts are
 * forgotten an hour after their wait.  The counts are in the store (on
 * either backend): two throttles on one store, as two serving nodes, count
 * the same failures, under a key both derive alike.
 */
#include <stdio.h>
#include <stdlib.h>

#include "th.h"
#include "th_db.h"
#include "vigil/throttle.h"

#define T0 1000000
#define A "192.0.2.1"
#define B "198.51.100.7"

static char dir[] = "/tmp/vigil-test-throttle-XXXXXX";
static const unsigned char key[VG_THROTTLE_KEY_LEN] = "sixteen byte key";

/* A store of its own, called name (closed by close_store). */
static struct vg_store *open_store(const char *name)
{
    struct vg_store *st = NULL;
    char db[600];

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, name), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, NULL), VG_OK);
    return st;
}

/* n failures of account from src at t. */
static void fail(struct vg_throttle *t, const char *account, int64_t epoch,
                 const char *src, int n, int64_t at)
{
    for (int i = 0; i < n; i++)
        vg_throttle_failed(t, account, epoch, src, at, 0);
}

static int64_t wait_of(struct vg_throttle *t, const char *account,
                       int64_t epoch, const char *src, int64_t at)
{
    unsigned d;

    return vg_throttle_check(t, account, epoch, src, at, &d);
}

static void test_pair_backoff(void)
{
    struct vg_throttle *t = NULL;
    struct vg_store *st;

    st = open_store("pair.db");
    TH_EQ_INT(vg_throttle_new(st, key, &t), VG_OK);
    fail(t, "admin", 0, A, 4, T0);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0), 0); /* four typos are free */
    fail(t, "admin", 0, A, 1, T0);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0), 30000);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0 + 10000), 20000);
    /* the owner, elsewhere, is not held up; nor another account from A */
    TH_EQ_INT(wait_of(t, "admin", 0, B, T0), 0);
    TH_EQ_INT(wait_of(t, "alice", 0, A, T0), 0);
    /* refused attempts do not push the wait further */
    vg_throttle_failed(t, "admin", 0, A, T0 + 10000, 1);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0 + 10000), 20000);
    /* each failure after the wait doubles it, up to 15 minutes */
    fail(t, "admin", 0, A, 1, T0 + 30000);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0 + 30000), 60000);
    fail(t, "admin", 0, A, 10, T0 + 100000);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0 + 100000), 15 * 60000);
    /* an unlock (a new epoch) forgets the pair */
    TH_EQ_INT(wait_of(t, "admin", 1, A, T0 + 100000), 0);
    /* forgotten an hour after the wait ended */
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0 + 100000 + 15 * 60000 - 1), 1);
    TH_EQ_INT(vg_throttle_failures(t, "admin", 0, T0 + 100000), 17);
    TH_EQ_INT(vg_throttle_failures(t, "admin", 1, T0 + 100000), 0);
    TH_EQ_INT(vg_throttle_failures(t, "admin", 0,
                                   T0 + 100000 + 60 * 60000 + 1),
              0);
    fail(t, "admin", 0, A, 1, T0 + 100000 + 75 * 60000 + 1);
    TH_EQ_INT(wait_of(t, "admin", 0, A, T0 + 100000 + 75 * 60000 + 1), 0);
    /* a success clears the pair */
    fail(t, "bob", 0, A, 5, T0);
    TH_CHECK(wait_of(t, "bob", 0, A, T0) > 0);
    vg_throttle_succeeded(t, "bob", 0, A);
    TH_EQ_INT(wait_of(t, "bob", 0, A, T0), 0);
    vg_throttle_free(t);
    vg_store_close(st);
}

static void test_source_and_account(void)
{
    struct vg_throttle *t = NULL;
    struct vg_store *st;
    char name[16];
    unsigned d = 99;

    st = open_store("source.db");
    TH_EQ_INT(vg_throttle_new(st, key, &t), VG_OK);
    /* spraying: one failure on each of 20 accounts from one source */
    for (int i = 0; i < 19; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        fail(t, name, 0, A, 1, T0);
    }
    TH_EQ_INT(wait_of(t, "user99", 0, A, T0), 0);
    fail(t, "user19", 0, A, 1, T0);
    TH_EQ_INT(wait_of(t, "user99", 0, A, T0), 30000);
    TH_EQ_INT(wait_of(t, "user99", 0, B, T0), 0);
    /* an account failing from many sources never waits: it is slowed */
    for (int i = 0; i < 19; i++) {
        snprintf(name, sizeof(name), "10.0.0.%d", i);
        fail(t, "root", 0, name, 1, T0);
    }
    TH_EQ_INT(vg_throttle_check(t, "root", 0, B, T0, &d), 0);
    TH_EQ_INT(d, 0);
    fail(t, "root", 0, "10.0.1.1", 1, T0);
    TH_EQ_INT(vg_throttle_check(t, "root", 0, B, T0, &d), 0);
    TH_EQ_INT(d, 10);
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof(name), "10.1.%d.%d", i / 200, i % 200);
        fail(t, "root", 0, name, 1, T0);
    }
    TH_EQ_INT(vg_throttle_check(t, "root", 0, B, T0, &d), 0);
    TH_EQ_INT(d, 1000); /* bounded */
    TH_EQ_INT(vg_throttle_check(t, "root", 1, B, T0, &d), 0);
    TH_EQ_INT(d, 0); /* until an unlock */
    vg_throttle_free(t);
    vg_store_close(st);
}

static void test_ipv6(void)
{
    struct vg_throttle *t = NULL;
    struct vg_store *st;

    st = open_store("ipv6.db");
    TH_EQ_INT(vg_throttle_new(st, key, &t), VG_OK);
    fail(t, "admin", 0, "2001:db8:1:2::1", 5, T0);
    /* rotating within the /64 gains nothing; another /64 is another source */
    TH_CHECK(wait_of(t, "admin", 0, "2001:db8:1:2:ffff::9", T0) > 0);
    TH_EQ_INT(wait_of(t, "admin", 0, "2001:db8:1:3::1", T0), 0);
    TH_EQ_INT(vg_throttle_ipv6_prefix(t, 0), VG_EINVAL);
    TH_EQ_INT(vg_throttle_ipv6_prefix(t, 128), VG_OK);
    fail(t, "admin", 0, "2001:db8:9::1", 5, T0);
    TH_EQ_INT(wait_of(t, "admin", 0, "2001:db8:9::2", T0), 0);
    /* IPv4 goes by address */
    fail(t, "admin", 0, "203.0.113.1", 5, T0);
    TH_EQ_INT(wait_of(t, "admin", 0, "203.0.113.2", T0), 0);
    vg_throttle_free(t);
    vg_throttle_free(NULL);
    vg_store_close(st);
}

/* Two nodes: failures on either count once each, and add up. */
static void test_two_nodes(void)
{
    struct vg_store *one = open_store("fleet.db"),
                    *two = open_store("fleet.db");
    struct vg_throttle *a = NULL, *b = NULL;

    TH_EQ_INT(vg_throttle_new(one, key, &a), VG_OK);
    TH_EQ_INT(vg_throttle_new(two, key, &b), VG_OK);
    fail(a, "admin", 0, A, 2, T0);
    fail(b, "admin", 0, A, 2, T0);
    TH_EQ_INT(wait_of(a, "admin", 0, A, T0), 0);
    TH_EQ_INT(vg_throttle_failures(b, "admin", 0, T0), 4);
    fail(a, "admin", 0, A, 1, T0); /* the fifth, wherever it lands */
    TH_EQ_INT(wait_of(a, "admin", 0, A, T0), 30000);
    TH_EQ_INT(wait_of(b, "admin", 0, A, T0), 30000);
    /* a success on one clears the pair for both */
    vg_throttle_succeeded(b, "admin", 0, A);
    TH_EQ_INT(wait_of(a, "admin", 0, A, T0), 0);
    TH_EQ_INT(vg_throttle_failures(a, "admin", 0, T0), 5);
    vg_throttle_free(a);
    vg_throttle_free(b);
    vg_store_close(one);
    vg_store_close(two);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir))
        return 1;
    TH_RUN(test_pair_backoff);
    TH_RUN(test_source_and_account);
    TH_RUN(test_ipv6);
    TH_RUN(test_two_nodes);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) ? 1 : status;
}
