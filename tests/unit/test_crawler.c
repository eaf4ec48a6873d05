/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawler's parts that need no network: near-identical URL patterns
 * (the trap cap's key), the bounded counters and seen-set cache, and the
 * hashing pool (identical bytes fetched at once are hashed once, bytes
 * that do not decode still get their digests).  The crawl itself runs end
 * to end in tests/integration/test_crawl.sh.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crawl/crawl_int.h"
#include "th.h"
#include "vigil/alloc.h"

static void pattern_is(const char *url, const char *want)
{
    char out[256];

    vg_crawl_url_pattern(url, out, sizeof(out));
    TH_EQ_STR(out, want);
}

static void test_patterns(void)
{
    pattern_is("https://a.example/", "/");
    pattern_is("https://a.example", "/");
    pattern_is("https://a.example/cal/2024/05/", "/cal/#/#/");
    pattern_is("https://a.example/cal?y=2024&m=5", "/cal?y=*&m=*");
    pattern_is("https://a.example/p/00123.html", "/p/#.html");
    pattern_is("https://a.example/page?sid=8f3a9b2c77d04e1f9a0b",
               "/page?sid=*");
    pattern_is("https://a.example/s/8f3a9b2c77d04e1f9a0b/x", "/s/*/x");
    pattern_is("https://a.example/about-us/team", "/about-us/team");
    /* ever-longer URLs fold to one pattern per extra segment at most */
    pattern_is("http://h:8080/a/a/a", "/a/a/a");
    /* truncated, still terminated */
    {
        char small[6];
        vg_crawl_url_pattern("http://h/abcdefgh", small, sizeof(small));
        TH_EQ_STR(small, "/abcd");
    }
}

static void test_counts(void)
{
    struct vg__counts c;
    int untracked = 0;

    vg__counts_init(&c, 4096);
    TH_EQ_INT(vg__counts_add(&c, 42), 1);
    TH_EQ_INT(vg__counts_add(&c, 42), 2);
    TH_EQ_INT(vg__counts_add(&c, 0), 1); /* 0 is a key like any other */
    for (uint64_t k = 1000; k < 1000 + 10000; k++)
        if (!vg__counts_add(&c, k * 0x9e3779b97f4a7c15ULL))
            untracked++;
    /* bounded: at most 3/4 of 4096 slots in use, the rest let through */
    TH_CHECK(untracked > 0);
    TH_CHECK(c.used <= 4096 / 4 * 3);
    TH_CHECK(c.slots <= 4096);
    /* known keys are still counted when full */
    TH_EQ_INT(vg__counts_add(&c, 42), 3);
    vg__counts_fini(&c);
}

static void test_seen(void)
{
    struct vg__seen s;

    TH_EQ_INT(vg__seen_init(&s, 10), VG_OK);
    TH_EQ_INT(vg__seen_test_set(&s, "http://a/"), 0);
    TH_EQ_INT(vg__seen_test_set(&s, "http://a/"), 1);
    TH_EQ_INT(vg__seen_test_set(&s, "http://a/x"), 0);
    vg__seen_fini(&s);
}

/* ---- the hashing pool ---- */

static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static int wakes;

static void on_wake(void *ctx)
{
    (void)ctx;
    pthread_mutex_lock(&wake_mu);
    wakes++;
    pthread_mutex_unlock(&wake_mu);
}

static struct vg__hash_task *task(const uint8_t *data, size_t len, int id)
{
    struct vg__hash_task *t = vg_calloc(1, sizeof(*t));

    t->data = vg_malloc(len);
    memcpy(t->data, data, len);
    t->len = len;
    t->job = (void *)(intptr_t)id;
    return t;
}

static void test_pool(void)
{
    struct vg__hash_pool *p = NULL;
    struct vg__hash_task *done[8] = {0};
    size_t len = 0, n = 0;
    uint8_t *jpeg = th_slurp(VIGIL_TESTDATA "/photos/0001.jpg", &len);
    const uint8_t junk[] = "\xff\xd8\xff not really a JPEG";
    int hashed = 0, dups = 0, undecodable = 0;
    struct timespec pause = {0, 1000000};

    TH_CHECK(jpeg != NULL);
    if (!jpeg)
        return;
    TH_EQ_INT(vg__hash_pool_new(2, 0, NULL, on_wake, NULL, &p), VG_OK);
    /* the same bytes three times at once, and bytes that do not decode */
    for (int i = 0; i < 3; i++)
        vg__hash_pool_submit(p, task(jpeg, len, i));
    vg__hash_pool_submit(p, task(junk, sizeof(junk) - 1, 3));
    TH_EQ_INT(vg__hash_pool_outstanding(p), 4);
    for (int spins = 0; n < 4 && spins < 20000; spins++) {
        struct vg__hash_task *t = vg__hash_pool_done(p);
        if (t)
            done[n++] = t;
        else
            nanosleep(&pause, NULL);
    }
    TH_EQ_INT(n, 4);
    TH_EQ_INT(vg__hash_pool_outstanding(p), 0);
    for (size_t i = 0; i < n; i++) {
        struct vg__hash_task *t = done[i];
        TH_EQ_INT(t->rc, VG_OK);
        TH_CHECK(t->data == NULL); /* the bytes are freed once hashed */
        if ((intptr_t)t->job == 3) {
            undecodable += t->undecodable;
            TH_CHECK(t->err[0] != 0);
        } else {
            TH_EQ_INT(t->undecodable, 0);
            TH_CHECK(t->h.pdq.quality >= 50);
            dups += t->dup;
            hashed += !t->dup;
            TH_EQ_INT(memcmp(t->h.digests.sha256, done[0]->h.digests.sha256,
                             32) == 0 ||
                          (intptr_t)done[0]->job == 3,
                      1);
        }
    }
    TH_EQ_INT(hashed, 1);
    TH_EQ_INT(dups, 2);
    TH_EQ_INT(undecodable, 1);
    pthread_mutex_lock(&wake_mu);
    TH_EQ_INT(wakes, 4);
    pthread_mutex_unlock(&wake_mu);
    for (size_t i = 0; i < n; i++)
        vg__hash_task_free(done[i]);
    /* freeing with work queued drops it cleanly */
    for (int i = 0; i < 4; i++)
        vg__hash_pool_submit(p, task(jpeg, len, i));
    vg__hash_pool_free(p);
    free(jpeg);
}

/* ---- review thumbnails in the pool ---- */

static int want_thumbs = 1;
static int asked;

static int thumb_wanted(void *ctx, const uint8_t sha256[32])
{
    (void)ctx;
    (void)sha256;
    pthread_mutex_lock(&wake_mu);
    asked++;
    pthread_mutex_unlock(&wake_mu);
    return want_thumbs;
}

/* A stand-in sealer: "SEALED" then the bytes. */
static int fake_seal(void *ctx, const uint8_t *plain, size_t n, uint8_t **out,
                     size_t *outn)
{
    (void)ctx;
    if (!(*out = vg_malloc(n + 6)))
        return VG_ENOMEM;
    memcpy(*out, "SEALED", 6);
    memcpy(*out + 6, plain, n);
    *outn = n + 6;
    return VG_OK;
}

/* Submit tasks, wait for all; done[] gets them. */
static size_t run_tasks(struct vg__hash_pool *p, struct vg__hash_task **v,
                        size_t n, struct vg__hash_task **done)
{
    struct timespec pause = {0, 1000000};
    size_t got = 0;

    for (size_t i = 0; i < n; i++)
        vg__hash_pool_submit(p, v[i]);
    for (int spins = 0; got < n && spins < 20000; spins++) {
        struct vg__hash_task *t = vg__hash_pool_done(p);
        if (t)
            done[got++] = t;
        else
            nanosleep(&pause, NULL);
    }
    return got;
}

static void test_pool_thumbs(void)
{
    struct vg__hash_pool *p = NULL;
    struct vg__hash_task *v[3], *done[3] = {0};
    struct vg__thumb_cfg cfg = {thumb_wanted, NULL, fake_seal, NULL};
    size_t len = 0, n;
    uint8_t *jpeg = th_slurp(VIGIL_TESTDATA "/photos/0015.jpg", &len);
    const uint8_t junk[] = "\xff\xd8\xff not really a JPEG";
    int thumbs = 0;

    TH_CHECK(jpeg != NULL);
    if (!jpeg)
        return;
    TH_EQ_INT(vg__hash_pool_new(2, 0, NULL, on_wake, NULL, &p), VG_OK);
    vg__hash_pool_set_thumbs(p, &cfg);
    /* the same bytes twice and junk: one thumbnail (not for the copy, not
       for bytes that do not decode) */
    v[0] = task(jpeg, len, 0);
    v[1] = task(jpeg, len, 1);
    v[2] = task(junk, sizeof(junk) - 1, 2);
    n = run_tasks(p, v, 3, done);
    TH_EQ_INT(n, 3);
    for (size_t i = 0; i < n; i++) {
        struct vg__hash_task *t = done[i];
        if (t->thumb) {
            thumbs++;
            TH_EQ_INT(t->dup, 0);
            TH_CHECK(t->thumb_len > 106 && !memcmp(t->thumb, "SEALED", 6));
            TH_CHECK(t->thumb[6] == 0xff && t->thumb[7] == 0xd8);
        }
        TH_EQ_INT(t->thumb_failed, 0);
        vg__hash_task_free(t);
    }
    TH_EQ_INT(thumbs, 1);
    TH_EQ_INT(asked, 1);
    /* the store does not want one: none made */
    want_thumbs = 0;
    vg__hash_pool_free(p);
    TH_EQ_INT(vg__hash_pool_new(1, 0, NULL, on_wake, NULL, &p), VG_OK);
    vg__hash_pool_set_thumbs(p, &cfg);
    v[0] = task(jpeg, len, 0);
    TH_EQ_INT(run_tasks(p, v, 1, done), 1);
    TH_CHECK(done[0]->thumb == NULL);
    TH_EQ_INT(asked, 2);
    vg__hash_task_free(done[0]);
    vg__hash_pool_free(p);
    free(jpeg);
}

int main(void)
{
    TH_RUN(test_patterns);
    TH_RUN(test_counts);
    TH_RUN(test_seen);
    TH_RUN(test_pool);
    TH_RUN(test_pool_thumbs);
    return th_done();
}
