/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crawl workers' store (vigil/store_crawl.h, docs/FLEET-CRAWL.md), through
 * the public API only (so it runs on any backend): a worker's leases are
 * its own until they expire, then another's with the next epoch; the
 * first holder's late commit is counted lost and records nothing (its
 * sighting not stored), the second's records it once; live leases of
 * others are neither taken nor released; renewal; a host's transfers in
 * flight and next start across owners (per_host, delay, expiry, back-off);
 * robots.txt claimed by one worker, waited for by the others, then shared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"

static char dir[] = "/tmp/vigil-test-fleet-XXXXXX";

struct leases {
    int64_t ids[8], epochs[8];
    size_t n;
};

static int take(void *ctx, const struct vg_frontier_lease *l)
{
    struct leases *g = ctx;

    if (g->n < 8) {
        g->ids[g->n] = l->url_id;
        g->epochs[g->n++] = l->epoch;
    }
    return VG_OK;
}

static int sightings_of(void *ctx, const struct vg_crawl_info *c)
{
    *(int64_t *)ctx = c->sightings;
    return VG_OK;
}

static struct vg_store *open_db(const char *name)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, name), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    return st;
}

/* owner finishes lease i of g with an image sighting: *lost gets whether
 * its lease had been lost */
static int finish_as(struct vg_store *st, int64_t crawl, const char *owner,
                     const struct leases *g, size_t i, size_t *lost)
{
    static const uint8_t sha[32] = {7}, md5[16] = {8}, sha1[20] = {9};
    struct vg_frontier_done d = {g->ids[i], 1, 200, NULL};
    struct vg_sighting_rec s = {.url_id = g->ids[i],
                                .seen_at = 1764400000,
                                .http_status = 200,
                                .sha256 = sha,
                                .md5 = md5,
                                .sha1 = sha1,
                                .format = "jpeg",
                                .width = 1,
                                .height = 1,
                                .bytes = 10};
    struct vg_crawl_batch b = {&d, 1, NULL, 0, &s, 1};
    struct vg_crawl_holder h = {owner, &g->epochs[i], 0};
    struct vg_err err = {0};
    int rc = vg_store_crawl_commit_as(st, crawl, &b, &h, NULL, &err);

    *lost = h.lost;
    return rc;
}

static void test_leases(void)
{
    struct vg_store *st = open_db("leases.db");
    struct vg_err err = {0};
    struct vg_frontier_counts c;
    struct leases a = {0}, b = {0};
    int64_t crawl = 0, now = (int64_t)time(NULL), k = 0, sightings = 0;
    size_t n = 0, lost = 9;
    const struct vg_frontier_url v[] = {
        {"https://a.example/1.jpg", "a.example", 0, 0, 0, VG_FRONTIER_MEDIA, 0,
         1},
        {"https://a.example/2.jpg", "a.example", 0, 0, 0, VG_FRONTIER_MEDIA, 0,
         2},
        {"https://a.example/3.jpg", "a.example", 0, 0, 0, VG_FRONTIER_MEDIA, 0,
         3},
    };

    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_add(st, crawl, v, 3, NULL, &err), VG_OK);
    TH_EQ_INT(vg_store_frontier_lease_as(st, crawl, NULL, now + 60, 1, 0, now,
                                         take, &a, &n, &err),
              VG_EINVAL);
    /* A leases one until a time already past (a worker killed -9) */
    TH_EQ_INT(vg_store_frontier_lease_as(st, crawl, "A", now - 1, 1, 0, now,
                                         take, &a, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(a.epochs[0], 1);
    /* B's lease queues A's expired one again and takes it: epoch 2 */
    TH_EQ_INT(vg_store_frontier_lease_as(st, crawl, "B", now + 60, 1, 0, now,
                                         take, &b, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(b.ids[0], a.ids[0]);
    TH_EQ_INT(b.epochs[0], 2);
    /* A finishes late: lost, nothing recorded; B's finish records it */
    TH_EQ_INT(finish_as(st, crawl, "A", &a, 0, &lost), VG_OK);
    TH_EQ_INT(lost, 1);
    TH_EQ_INT(vg_store_crawls(st, crawl, sightings_of, &sightings, &err),
              VG_OK);
    TH_EQ_INT(sightings, 0);
    TH_EQ_INT(finish_as(st, crawl, "B", &b, 0, &lost), VG_OK);
    TH_EQ_INT(lost, 0);
    TH_EQ_INT(finish_as(st, crawl, "B", &b, 0, &lost), VG_OK);
    TH_EQ_INT(lost, 1); /* done already: not twice */
    TH_EQ_INT(vg_store_crawls(st, crawl, sightings_of, &sightings, &err),
              VG_OK);
    TH_EQ_INT(sightings, 1);
    /* B's live lease is left alone by A's lease and release */
    b.n = a.n = 0;
    TH_EQ_INT(vg_store_frontier_lease_as(st, crawl, "B", now + 60, 1, 0, now,
                                         take, &b, &n, &err),
              VG_OK);
    TH_EQ_INT(vg_store_frontier_lease_as(st, crawl, "A", now + 60, 5, 0, now,
                                         take, &a, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 1);
    TH_CHECK(a.ids[0] != b.ids[0]);
    TH_EQ_INT(vg_store_frontier_renew(st, crawl, "B", now + 120, &k, &err),
              VG_OK);
    TH_EQ_INT(k, 1);
    TH_EQ_INT(vg_store_frontier_release(st, crawl, "A", &k, &err), VG_OK);
    TH_EQ_INT(k, 1);
    TH_EQ_INT(vg_store_frontier_counts(st, crawl, &c, &err), VG_OK);
    TH_EQ_INT(c.queued, 1);
    TH_EQ_INT(c.leased, 1);
    TH_EQ_INT(c.done, 1);
    /* renewed to now + 120: not expired at now + 100 */
    TH_EQ_INT(vg_store_frontier_lease_as(st, crawl, "A", now + 160, 5, 0,
                                         now + 100, take, &a, &n, &err),
              VG_OK);
    TH_EQ_INT(n, 1);
    TH_EQ_INT(vg_store_frontier_counts(st, crawl, &c, &err), VG_OK);
    TH_EQ_INT(c.leased, 2);
    vg_store_close(st);
}

static void test_hosts(void)
{
    struct vg_store *st = open_db("hosts.db");
    struct vg_err err = {0};
    int64_t crawl = 0, wait = -1, t = 1764400000000LL, s = t / 1000;
    struct vg_host_start h = {"A", "a.example", 1, 2, 300, t, s + 30};

    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 0);
    /* another worker, 100 ms later: the delay */
    h = (struct vg_host_start){"B", "a.example", 1, 2, 300, t + 100, s + 30};
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 200);
    h.now_ms = t + 300;
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 0);
    /* two in flight: full, whatever the time */
    h = (struct vg_host_start){"C", "a.example", 1, 2, 300, t + 900, s + 30};
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_CHECK(wait > 0);
    /* another host is another matter */
    h.host = "b.example";
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 0);
    /* A's ends with a back-off to t + 5 s */
    TH_EQ_INT(vg_store_host_end(st, crawl, "A", 1, "a.example", t + 5000,
                                &err),
              VG_OK);
    h = (struct vg_host_start){"C", "a.example", 2, 2, 300, t + 1000, s + 30};
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 4000);
    h.now_ms = t + 5000;
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 0);
    /* B's and C's in flight until s + 30: after that they do not count */
    h = (struct vg_host_start){"D", "a.example", 1, 2, 300, t + 31000, s + 60};
    TH_EQ_INT(vg_store_host_start(st, crawl, &h, &wait, &err), VG_OK);
    TH_EQ_INT(wait, 0);
    vg_store_close(st);
}

struct robots_got {
    char body[64];
    long status;
};

static int got_robots(void *ctx, const struct vg_robots_rec *r)
{
    struct robots_got *g = ctx;

    snprintf(g->body, sizeof(g->body), "%.*s", (int)r->len,
             (const char *)r->body);
    g->status = r->status;
    return VG_OK;
}

static void test_robots(void)
{
    struct vg_store *st = open_db("robots.db");
    struct vg_err err = {0};
    struct robots_got g = {"", 0};
    enum vg_robots_claim out = VG_ROBOTS_HAVE;
    int64_t crawl = 0, now = 1764400000;
    const char *o = "http://a.example";
    const char *txt = "User-agent: *\nDisallow: /x\n";
    struct vg_robots_rec r = {now, 200, (const uint8_t *)txt, strlen(txt),
                              NULL};

    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(vg_store_robots_claim(st, crawl, o, "A", now, now - 86400,
                                    now + 30, got_robots, &g, &out, &err),
              VG_OK);
    TH_EQ_INT(out, VG_ROBOTS_FETCH);
    TH_EQ_INT(vg_store_robots_claim(st, crawl, o, "B", now, now - 86400,
                                    now + 30, got_robots, &g, &out, &err),
              VG_OK);
    TH_EQ_INT(out, VG_ROBOTS_WAIT);
    TH_EQ_INT(vg_store_robots_put(st, crawl, o, &r, &err), VG_OK);
    TH_EQ_INT(vg_store_robots_claim(st, crawl, o, "B", now + 1, now - 86400,
                                    now + 30, got_robots, &g, &out, &err),
              VG_OK);
    TH_EQ_INT(out, VG_ROBOTS_HAVE);
    TH_EQ_STR(g.body, txt);
    TH_EQ_INT(g.status, 200);
    /* a day later it is stale: B fetches it again */
    TH_EQ_INT(vg_store_robots_claim(st, crawl, o, "B", now + 86401, now + 1,
                                    now + 86431, got_robots, &g, &out, &err),
              VG_OK);
    TH_EQ_INT(out, VG_ROBOTS_FETCH);
    /* a claim whose worker died passes to another after its time */
    TH_EQ_INT(vg_store_robots_claim(st, crawl, o, "C", now + 86432, now + 1,
                                    now + 86462, got_robots, &g, &out, &err),
              VG_OK);
    TH_EQ_INT(out, VG_ROBOTS_FETCH);
    vg_store_close(st);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_leases);
    TH_RUN(test_hosts);
    TH_RUN(test_robots);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        status = 1;
    return status;
}
