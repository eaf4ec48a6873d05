/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a re-upload is (vigil/store_notices.h, struct vg_case_links), on an
 * injected clock: three mirrors of one photo found together are one case
 * and two cases *also hosted* with it, not re-uploads; once all three are
 * removed, the photo found again a week later at another provider is one
 * *re-upload*, with the week from the removal to its reappearance; found
 * again a day after that at the first provider's own address, it is a
 * re-upload there too (and also hosted with the copy still up).  The
 * figures per provider count both and give the median delay.  And the
 * migration reclassifies cases linked under the old meaning.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/crawler.h"
#include "vigil/imagehash.h"
#include "vigil/lists.h"
#include "vigil/notice.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_lists.h"
#include "vigil/store_notices.h"

#define PHOTOS VIGIL_TESTDATA "/photos/"
#define HOUR 3600
#define DAY (24 * HOUR)

static char dir[] = "/tmp/vigil-test-reupload-XXXXXX";
static char ngdir[256], www[300], db[300];
static int port;

/* The site: a page of three mirrors of one photo, and a page elsewhere. */
static int start_nginx(void)
{
    char cmd[1024];

    snprintf(www, sizeof(www), "%s/www", dir);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/www/elsewhere && for f in m1 m2 m3; do cp " PHOTOS
             "0029.jpg %s/www/$f.jpg; done && chmod -R a+rX %s",
             dir, dir, dir);
    if (th_run(cmd) ||
        th_write_file(www, "mirrors.html",
                      "<img src=\"m1.jpg\"><img src=\"m2.jpg\">"
                      "<img src=\"m3.jpg\">") ||
        th_write_file(www, "other.html", "<img src=\"elsewhere/x.jpg\">"))
        return -1;
    snprintf(ngdir, sizeof(ngdir), "%s/ng", dir);
    return (port = th_nginx_start(www, ngdir)) > 0 ? 0 : -1;
}

/* A csam block list with the SHA-256 of the photo. */
static int list_of_photo(struct vg_store *st)
{
    struct vg_store_import *im = NULL;
    struct vg_list_entry e;
    struct vg_imagehash h;
    struct vg_list l;
    int64_t id = 0;

    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "known");
    snprintf(l.category, sizeof(l.category), "csam");
    l.pdq_distance = 31;
    l.enabled = 1;
    memset(&e, 0, sizeof(e));
    e.algo = VG_ALGO_SHA256;
    e.quality = -1;
    if (vg_imagehash_file(PHOTOS "0029.jpg", NULL, &h, NULL))
        return -1;
    memcpy(e.value, h.digests.sha256, 32);
    if (vg_store_list_create(st, 0, &l, &id, NULL) ||
        vg_store_import_begin(st, 0, id, "known", "lines", NULL, &im, NULL))
        return -1;
    if (vg_store_import_add(im, &e, NULL)) {
        vg_store_import_abort(im);
        return -1;
    }
    return vg_store_import_commit(im, 1, NULL, NULL, NULL) ? -1 : 0;
}

/* Crawl path, then date its new detections (those no case names yet) at
 * when: the crawler's clock is the real one. */
static int crawl_at(struct vg_store *st, const char *path, int64_t when)
{
    static volatile sig_atomic_t stop = 0;
    struct vg_crawl_stats stats;
    struct vg_crawl_opts o;
    struct vg_matcher *m = NULL;
    char url[256], q[256];
    int64_t id = 0;
    int rc;

    vg_crawl_opts_default(&o);
    o.user_agent = "vigil-test";
    o.allow_private = 1;
    o.delay_ms = 0;
    o.threads = 1;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", port, path);
    if ((rc = vg_store_crawl_new(st, NULL, &id, NULL)) ||
        (rc = vg_crawl_seed(st, id, url, 0, NULL)) ||
        (rc = vg_matcher_load(st, 50, &m, NULL)))
        return rc;
    rc = vg_crawl_run(st, m, id, &o, &stop, NULL, NULL, &stats, NULL);
    vg_matcher_free(m);
    snprintf(q, sizeof(q),
             "UPDATE detections SET detected_at = %lld WHERE id NOT IN"
             " (SELECT first_detection_id FROM cases WHERE"
             " first_detection_id IS NOT NULL)",
             (long long)when);
    return rc ? rc : th_db_exec(db, q) < 0;
}

static int64_t count(const char *q)
{
    return th_db_int(db, q);
}

static int64_t now_s;
static int64_t clock_now(void *ctx)
{
    (void)ctx;
    return now_s;
}

/* Provider 2 hosts /elsewhere/, provider 1 the rest. */
static int lookup(void *ctx, const char *url, const char *ip, int64_t *id,
                  struct vg_err *err)
{
    (void)ctx;
    (void)ip;
    (void)err;
    *id = strstr(url, "/elsewhere/") ? 2 : 1;
    return VG_OK;
}

static enum vg_notice_sent sender(void *ctx, const struct vg_notice_mail *m,
                                  char *why, size_t n)
{
    (void)ctx;
    (void)m;
    snprintf(why, n, "250 2.0.0 queued");
    return VG_NOTICE_SENT;
}

static void notice_opts(struct vg_notice_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->hotline = "Test Hotline";
    o->domain = "hotline.example";
    o->templates_dir = VIGIL_SOURCE_DIR "/web/notices";
    o->contact = "notices@hotline.example";
    o->clock.now = clock_now;
    o->lookup = lookup;
    o->send = sender;
    o->fetch.user_agent = "vigil-test";
    o->fetch.allow_private = 1;
}

/* The figures: provider A (id 1) and B (id 2), by name. */
static void check_figures(struct vg_store *st)
{
    struct vg_notice_figures *f = NULL;
    struct vg_err err = {0};

    TH_EQ_INT(vg_notice_figures(st, &f, &err), VG_OK);
    TH_EQ_INT(f->n, 2);
    if (f->n != 2) {
        vg_notice_figures_free(f);
        return;
    }
    TH_EQ_STR(f->v[0].f->provider, "Provider A");
    TH_EQ_INT(f->v[0].f->also_hosted, 3); /* cases 2, 3 and 5 */
    TH_EQ_INT(f->v[0].f->reuploads, 1);   /* case 5 */
    TH_EQ_INT(f->v[0].f->nreappear, 1);
    TH_EQ_INT(f->v[0].reappear_median_s, 8 * DAY);
    TH_EQ_STR(f->v[1].f->provider, "Provider B");
    TH_EQ_INT(f->v[1].f->also_hosted, 0);
    TH_EQ_INT(f->v[1].f->reuploads, 1); /* case 4 */
    TH_EQ_INT(f->v[1].reappear_median_s, 7 * DAY);
    vg_notice_figures_free(f);
}

static void test_mirrors_then_reupload(void)
{
    struct vg_store *st = NULL;
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct vg_case_detail *c = NULL;
    struct vg_err err = {0};
    char cmd[1200];
    int64_t t0, removed;

    TH_CHECK(mkdtemp(dir) != NULL);
    TH_CHECK(start_nginx() == 0);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "vigil.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(list_of_photo(st), 0);
    TH_EQ_INT(th_db_exec(db, "INSERT INTO providers (name, abuse_emails,"
                             " created_at) VALUES ('Provider A',"
                             " 'abuse@a.example', 0), ('Provider B',"
                             " 'abuse@b.example', 0)"),
              2);
    notice_opts(&o);
    t0 = (int64_t)time(NULL) + 60;

    /* three mirrors found together: one case, two also hosted with it */
    TH_EQ_INT(crawl_at(st, "mirrors.html", t0), 0);
    now_s = t0 + 60;
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.cases_opened, 3);
    TH_EQ_INT(s.also_hosted, 2);
    TH_EQ_INT(s.reuploads, 0);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE also_hosted_with = 1"),
              2);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE reupload_of IS NOT NULL"
                    " OR reappeared_after IS NOT NULL"),
              0);

    /* all three removed, seen at the first re-check an hour later */
    snprintf(cmd, sizeof(cmd), "rm %s/m1.jpg %s/m2.jpg %s/m3.jpg", www, www,
             www);
    TH_EQ_INT(th_run(cmd), 0);
    removed = now_s = t0 + 60 + HOUR;
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.removed, 3);

    /* a week later at another provider: one re-upload, the week apart */
    snprintf(cmd, sizeof(cmd),
             "cp " PHOTOS "0029.jpg %s/elsewhere/x.jpg && chmod a+r"
             " %s/elsewhere/x.jpg",
             www, www);
    TH_EQ_INT(th_run(cmd), 0);
    TH_EQ_INT(crawl_at(st, "other.html", removed + 7 * DAY), 0);
    now_s = removed + 7 * DAY + 60;
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.cases_opened, 1);
    TH_EQ_INT(s.reuploads, 1);
    TH_EQ_INT(s.also_hosted, 0);
    TH_EQ_INT(count("SELECT provider_id FROM cases WHERE id = 4"), 2);
    TH_EQ_INT(count("SELECT reupload_of FROM cases WHERE id = 4"), 3);
    TH_EQ_INT(count("SELECT reappeared_after FROM cases WHERE id = 4"),
              7 * DAY);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE id = 4 AND"
                    " also_hosted_with IS NULL"),
              1);

    /* a day later back at the first provider's own address: a re-upload
     * there too, and also hosted with the copy elsewhere, still up */
    snprintf(cmd, sizeof(cmd),
             "cp " PHOTOS "0029.jpg %s/m1.jpg && chmod a+r %s/m1.jpg", www,
             www);
    TH_EQ_INT(th_run(cmd), 0);
    TH_EQ_INT(crawl_at(st, "mirrors.html", removed + 8 * DAY), 0);
    now_s = removed + 8 * DAY + 60;
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.cases_opened, 1);
    TH_EQ_INT(s.reuploads, 1);
    TH_EQ_INT(s.also_hosted, 1);
    TH_EQ_INT(vg_store_case_get(st, 5, &c, &err), VG_OK);
    if (c) {
        TH_CHECK(strstr(c->c.url, "/m1.jpg") != NULL);
        TH_EQ_STR(c->c.provider, "Provider A");
        TH_EQ_INT(c->c.links.also_hosted_with, 4);
        TH_EQ_INT(c->c.links.reupload_of, 3);
        TH_EQ_INT(c->c.links.reappeared_after, 8 * DAY);
    }
    vg_case_detail_free(c);
    TH_EQ_INT(vg_store_case_get(st, 1, &c, &err), VG_OK);
    if (c) { /* the first case is neither */
        TH_EQ_INT(c->c.links.also_hosted_with, 0);
        TH_EQ_INT(c->c.links.reupload_of, 0);
        TH_EQ_INT(c->c.links.reappeared_after, -1);
    }
    vg_case_detail_free(c);
    check_figures(st);
    vg_store_close(st);
}

/* the migration that tells also hosted and re-uploaded apart */
#define SCHEMA_CASE_LINKS 21

/* Cases linked under the old meaning (any earlier case of the media at
 * another URL), in a store one migration behind, told apart once it is
 * opened: the mirror found with the first is also hosted, the copy found
 * after both were removed a re-upload of the latest removal. */
static void test_migration(void)
{
    struct vg_store_opts so = {SCHEMA_CASE_LINKS - 1};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    char q[1400], old[300];
    const int64_t t = 1700000000;

    snprintf(q, sizeof(q),
             "for f in m2 m3; do cp " PHOTOS "0029.jpg %s/$f.jpg; done &&"
             " chmod a+r %s/m*.jpg",
             www, www);
    TH_EQ_INT(th_run(q), 0);
    TH_EQ_INT(th_db_url(old, sizeof(old), dir, "old.db"), 0);
    snprintf(db, sizeof(db), "%s", old);
    TH_EQ_INT(vg_store_open(db, &so, &st, &err), VG_OK);
    TH_EQ_INT(list_of_photo(st), 0);
    TH_EQ_INT(crawl_at(st, "mirrors.html", t), 0);
    vg_store_close(st);
    TH_EQ_INT(count("SELECT COUNT(*) FROM detections"), 3);
    /* cases 1 and 2 found together, both removed at t + 2 h; case 3
     * found a week after; 2 and 3 re-uploads of 1 the old way */
    snprintf(q, sizeof(q),
             "INSERT INTO cases (url_id, first_detection_id, media_id,"
             " reupload_of, opened_at, detected_at, status, removed_at)"
             " SELECT g.url_id, d.id, d.media_id, CASE WHEN u.url LIKE"
             " '%%/m1.jpg' THEN NULL ELSE 1 END, %lld, CASE WHEN u.url LIKE"
             " '%%/m3.jpg' THEN %lld ELSE %lld END, CASE WHEN u.url LIKE"
             " '%%/m3.jpg' THEN 'open' ELSE 'removed' END, CASE WHEN u.url"
             " LIKE '%%/m3.jpg' THEN NULL ELSE %lld END FROM detections d"
             " JOIN sightings g ON g.id = d.sighting_id JOIN urls u ON u.id"
             " = g.url_id ORDER BY u.url",
             (long long)t, (long long)(t + 7 * DAY), (long long)t,
             (long long)(t + 2 * HOUR));
    TH_EQ_INT(th_db_exec(db, q), 3);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE reupload_of = 1"), 2);

    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(count("SELECT also_hosted_with FROM cases WHERE id = 2"), 1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE id = 2 AND reupload_of"
                    " IS NULL AND reappeared_after IS NULL"),
              1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE id = 3 AND"
                    " also_hosted_with IS NULL"),
              1);
    TH_EQ_INT(count("SELECT reupload_of FROM cases WHERE id = 3"), 2);
    TH_EQ_INT(count("SELECT reappeared_after FROM cases WHERE id = 3"),
              7 * DAY - 2 * HOUR);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE id = 1 AND"
                    " also_hosted_with IS NULL AND reupload_of IS NULL"),
              1);
}

int main(void)
{
    if (!th_testdata(PHOTOS "0029.jpg"))
        return 1;
    TH_RUN(test_mirrors_then_reupload);
    TH_RUN(test_migration);
    th_nginx_stop(ngdir);
    snprintf(www, sizeof(www), "rm -rf %s", dir);
    th_run(www);
    return th_done();
}
