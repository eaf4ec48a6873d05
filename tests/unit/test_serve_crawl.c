/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s crawler (vigil/runtime.h) against a real nginx on
 * 127.0.0.1 (tests/fixtures/nginx_site.sh): a report's URL leads to a page
 * with two benign photos, one of them on a block list; once crawled, the
 * unknown one awaits review with a thumbnail that unseals to a JPEG of
 * longest side 160, the known one is a detection and not in the queue.  A
 * report made while the crawler runs is picked up; a reload restarts the
 * crawl with the lists loaded again; a stop leaves the crawl resumable,
 * and a second start resumes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/imagehash.h"
#include "vigil/seal.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_lists.h"
#include "vigil/store_reports.h"
#include "vigil/store_review.h"
#include "vigil/thumb.h"
#include "vigil/runtime.h"

#define PHOTOS VIGIL_TESTDATA "/photos/"

static char dir[] = "/tmp/vigil-test-serve-crawl-XXXXXX";
static char ngdir[256], www[300];
static int port;

/* The site: two pages, three photos (a.jpg is known). */
static int make_site(void)
{
    char cmd[1024];

    snprintf(www, sizeof(www), "%s/www", dir);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/www && cp " PHOTOS
             "0029.jpg %s/www/a.jpg && cp " PHOTOS
             "0015.jpg %s/www/b.jpg && cp " PHOTOS
             "0031.jpg %s/www/c.jpg && chmod -R a+rX %s",
             dir, dir, dir, dir, dir);
    if (th_run(cmd))
        return -1;
    return th_write_file(www, "index.html",
                         "<!doctype html><title>one</title>"
                         "<p><img src=\"a.jpg\"> <img src=\"/b.jpg\"></p>") ||
           th_write_file(www, "two.html",
                         "<!doctype html><title>two</title>"
                         "<img src=\"c.jpg\"><img src=\"a.jpg\">");
}

static int start_nginx(void)
{
    snprintf(ngdir, sizeof(ngdir), "%s/ng", dir);
    return (port = th_nginx_start(www, ngdir)) > 0 ? 0 : -1;
}

static int sha256_of(const char *name, uint8_t out[32])
{
    struct vg_imagehash h;
    char path[512];

    snprintf(path, sizeof(path), "%s/www/%s", dir, name);
    if (vg_imagehash_file(path, NULL, &h, NULL))
        return -1;
    memcpy(out, h.digests.sha256, 32);
    return 0;
}

/* A block list "known" with a.jpg's SHA-256. */
static int known_list(struct vg_store *st)
{
    struct vg_list l;
    struct vg_list_entry e;
    struct vg_store_import *im = NULL;
    int64_t id = 0;

    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "known");
    snprintf(l.category, sizeof(l.category), "test");
    l.pdq_distance = 31;
    l.enabled = 1;
    memset(&e, 0, sizeof(e));
    e.algo = VG_ALGO_SHA256;
    e.quality = -1;
    if (sha256_of("a.jpg", e.value) ||
        vg_store_list_create(st, 0, &l, &id, NULL) ||
        vg_store_import_begin(st, 0, id, "known", "lines", NULL, &im, NULL))
        return -1;
    if (vg_store_import_add(im, &e, NULL)) {
        vg_store_import_abort(im);
        return -1;
    }
    return vg_store_import_commit(im, 1, NULL, NULL, NULL);
}

static int report(struct vg_store *st, const char *path)
{
    char url[256];
    struct vg_frontier_url u = {url, "127.0.0.1",      0, 0,
                                0,   VG_FRONTIER_PAGE, 0, 0};
    struct vg_report_rec r = {"web", "en", "csam", NULL, "", NULL, NULL,
                              0,     0,    0,      NULL, &u, 1};
    struct vg_report_ack ack;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", port, path);
    return vg_store_reports_add(st, &r, 1, &ack, NULL);
}

struct seen {
    int n;
    int64_t ids[8];
    char sha[8][65];
    size_t nreports[8];
};

static int log_item(void *ctx, const struct vg_review_item *it)
{
    struct seen *s = ctx;

    if (s->n < 8) {
        s->ids[s->n] = it->media_id;
        memcpy(s->sha[s->n], it->sha256, 65);
        s->nreports[s->n] = it->nreports;
    }
    s->n++;
    return VG_OK;
}

static struct seen queue(struct vg_store *st)
{
    struct seen s;

    memset(&s, 0, sizeof(s));
    if (vg_store_review_queue(st, 0, 0, 0, 0, log_item, &s, NULL, NULL))
        s.n = -1;
    return s;
}

/* Wait (at most 60 s) until the queue holds n and nothing is queued. */
static int wait_for(struct vg_store *st, int64_t crawl, int n)
{
    for (int i = 0; i < 600; i++) {
        struct vg_frontier_counts fc;
        struct timespec pause = {0, 100000000};
        if (queue(st).n >= n &&
            !vg_store_frontier_counts(st, crawl, &fc, NULL) && !fc.queued &&
            !fc.leased)
            return 0;
        nanosleep(&pause, NULL);
    }
    return -1;
}

static int count_det(void *ctx, const struct vg_detection_info *d)
{
    (void)d;
    (*(int *)ctx)++;
    return VG_OK;
}

static int crawl_status(void *ctx, const struct vg_crawl_info *c)
{
    snprintf(ctx, 64, "%s", c->status);
    return VG_OK;
}

static void say(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "  [crawler] %s\n", msg);
}

/* The thumbnail of media id unseals to a JPEG with longest side 160. */
static void check_thumb(struct vg_store *st, struct vg_sealer *sealer,
                        int64_t id)
{
    uint8_t *sealed = NULL, *again = NULL;
    size_t n = 0, plain_n = 0, an = 0;
    char *plain = NULL;
    struct vg_err err = {0};
    unsigned w = 0, h = 0;

    TH_EQ_INT(vg_store_review_thumbnail(st, id, &sealed, &n, &err), VG_OK);
    TH_CHECK(n > 100);
    /* sealed: not a JPEG as stored */
    TH_CHECK(n < 2 || sealed[0] != 0xff || sealed[1] != 0xd8);
    TH_EQ_INT(vg_unseal(sealer, sealed, n, &plain, &plain_n, &err), VG_OK);
    TH_CHECK(plain_n > 2 && (uint8_t)plain[0] == 0xff &&
             (uint8_t)plain[1] == 0xd8);
    /* it decodes (a thumbnail of it is itself: already small) */
    TH_EQ_INT(vg_thumb_mem((const uint8_t *)plain, plain_n, NULL, &again, &an,
                           &w, &h, &err),
              VG_OK);
    TH_EQ_INT(w > h ? w : h, 160);
    vg_free(again);
    vg_free(plain);
    vg_free(sealed);
}

static void test_serve_crawl(void)
{
    char path[512];
    struct vg_store *st = NULL;
    struct vg_sealer *sealer = NULL;
    struct vg_runtime_crawl *c = NULL;
    struct vg_runtime_index *ix = NULL;
    struct vg_runtime_index_status is;
    struct vg_runtime_crawl_status status;
    struct vg_runtime_crawl_opts o;
    struct vg_frontier_counts fc;
    struct vg_err err = {0};
    uint8_t sha_b[32], sha_c[32];
    char hex_b[65], hex_c[65];
    struct seen s;
    int64_t crawl = 0;
    int dets = 0, wanted = -1;

    TH_EQ_INT(make_site(), 0);
    if (start_nginx()) {
        TH_CHECK(!"nginx started");
        return;
    }
    snprintf(path, sizeof(path), "%s/vigil.db", dir);
    TH_EQ_INT(vg_store_open(path, NULL, &st, &err), VG_OK);
    snprintf(path, sizeof(path), "%s/seal.key", dir);
    TH_EQ_INT(vg_seal_open(path, 1, &sealer, &err), VG_OK);
    TH_EQ_INT(known_list(st), VG_OK);
    TH_EQ_INT(sha256_of("b.jpg", sha_b), 0);
    TH_EQ_INT(sha256_of("c.jpg", sha_c), 0);
    vg_hex_encode(sha_b, 32, hex_b);
    vg_hex_encode(sha_c, 32, hex_c);
    TH_EQ_INT(report(st, "index.html"), VG_OK);
    TH_EQ_INT(vg_store_reports_crawl(st, &crawl, &err), VG_OK);

    /* no sealer or no index, no crawler */
    TH_EQ_INT(vg_runtime_index_start(st, NULL, &ix, &err), VG_OK);
    TH_EQ_INT(vg_runtime_crawl_start(st, NULL, ix, NULL, &c, &err), VG_EINVAL);
    TH_EQ_INT(vg_runtime_crawl_start(st, sealer, NULL, NULL, &c, &err),
              VG_EINVAL);
    vg_runtime_crawl_opts_default(&o);
    o.crawl.allow_private = 1;
    o.crawl.delay_ms = 0;
    o.log = say;
    TH_EQ_INT(vg_runtime_crawl_start(st, sealer, ix, &o, &c, &err), VG_OK);
    if (!c)
        goto out;
    TH_EQ_INT(wait_for(st, crawl, 1), 0);
    s = queue(st);
    TH_EQ_INT(s.n, 1);
    TH_EQ_STR(s.sha[0], hex_b);  /* b.jpg: unknown, awaits review */
    TH_EQ_INT(s.nreports[0], 1); /* led there by the report */
    check_thumb(st, sealer, s.ids[0]);
    /* a.jpg: a detection, not in the queue */
    TH_EQ_INT(vg_store_detections(st, crawl, count_det, &dets, &err), VG_OK);
    TH_EQ_INT(dets, 1);
    {
        uint8_t sha_a[32];
        TH_EQ_INT(sha256_of("a.jpg", sha_a), 0);
        TH_EQ_INT(vg_store_review_wanted(st, sha_a, &wanted, &err), VG_OK);
        TH_EQ_INT(wanted, 1); /* known to the store, never queued */
    }

    /* a report while it runs: picked up without a restart */
    TH_EQ_INT(report(st, "two.html"), VG_OK);
    TH_EQ_INT(wait_for(st, crawl, 2), 0);
    s = queue(st);
    TH_EQ_INT(s.n, 2);
    TH_EQ_STR(s.sha[1], hex_c);
    if (s.n == 2)
        check_thumb(st, sealer, s.ids[1]);
    /* a.jpg's URL was crawled already: not fetched again in this crawl */
    dets = 0;
    TH_EQ_INT(vg_store_detections(st, crawl, count_det, &dets, &err), VG_OK);
    TH_EQ_INT(dets, 1);

    /* the lists changed: applied in place, the crawl goes on (one run) */
    vg_runtime_index_wake(ix);
    vg_runtime_crawl_status(c, &status);
    TH_EQ_INT(status.runs, 1);
    TH_EQ_INT(status.crawl_id, crawl);
    TH_EQ_INT(status.last_rc, VG_OK);
    vg_runtime_index_status(ix, &is);
    TH_EQ_INT(is.loaded, 1);
    TH_CHECK(is.lists.entries > 0);
    TH_CHECK(is.lists.synced_at_ms > 0);

    /* stop: resumable, nothing leased */
    vg_runtime_crawl_stop(c);
    c = NULL;
    TH_EQ_INT(vg_store_frontier_counts(st, crawl, &fc, &err), VG_OK);
    TH_EQ_INT(fc.leased, 0);
    TH_EQ_INT(fc.failed, 0);
    TH_EQ_INT(fc.done, 5); /* two pages, three images */
    TH_EQ_INT(vg_store_crawls(st, crawl, crawl_status, path, &err), VG_OK);
    TH_EQ_STR(path, "stopped");
    /* start again: it resumes (nothing to do), stops cleanly */
    TH_EQ_INT(vg_runtime_crawl_start(st, sealer, ix, &o, &c, &err), VG_OK);
    vg_runtime_crawl_stop(c);
    c = NULL;
    TH_EQ_INT(queue(st).n, 2);
out:
    vg_runtime_crawl_stop(c);
    vg_runtime_index_stop(ix);
    vg_seal_free(sealer);
    vg_store_close(st);
    th_nginx_stop(ngdir);
}

int main(void)
{
    char cmd[512];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    chmod(dir, 0755); /* nginx's workers read the site */
    TH_RUN(test_serve_crawl);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    th_run(cmd);
    return th_done();
}
