/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notice and takedown (vigil/notice.h) over a simulated week: a real
 * crawl of nginx on 127.0.0.1 detects a known photo; hourly cycles on an
 * injected clock open its case, send a notice (in the provider's
 * language, listing the URL, time, SHA-256 and classification, never the
 * media), re-check on the schedule, re-notify every 24 hours with a
 * reminder, retry a refused send with the same Message-ID after the
 * backoff, escalate after N notices, and close the case once the file is
 * gone (404), with the time to removal in the provider's figures.  Copies
 * found after the removal are re-uploads of the first case (the second
 * also hosted with the first copy; tests/unit/test_reupload.c has the
 * rest); disabled entries and
 * categories that are not actionable never get a notice.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
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

static char dir[] = "/tmp/vigil-test-notice-XXXXXX";
static char ngdir[256], www[300], db[300];
static int port;

/* The site (a page with three photos) and nginx serving it. */
static int start_nginx(void)
{
    char cmd[1024];

    snprintf(www, sizeof(www), "%s/www", dir);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/www && cp " PHOTOS
             "0029.jpg %s/www/known.jpg && cp " PHOTOS
             "0015.jpg %s/www/off.jpg && cp " PHOTOS
             "0031.jpg %s/www/mild.jpg && chmod -R a+rX %s",
             dir, dir, dir, dir, dir);
    if (th_run(cmd) ||
        th_write_file(www, "page.html",
                      "<!doctype html><title>p</title>"
                      "<img src=\"known.jpg\"><img src=\"off.jpg\">"
                      "<img src=\"mild.jpg\">"))
        return -1;
    snprintf(ngdir, sizeof(ngdir), "%s/ng", dir);
    return (port = th_nginx_start(www, ngdir)) > 0 ? 0 : -1;
}

/* A list with the SHA-256 of one file, its entries enabled or not. */
static int list_of(struct vg_store *st, const char *name, const char *category,
                   const char *file, int enabled)
{
    struct vg_store_import *im = NULL;
    struct vg_list_entry e;
    struct vg_imagehash h;
    struct vg_list l;
    char path[512];
    int64_t id = 0, entry = 0;

    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "%s", name);
    snprintf(l.category, sizeof(l.category), "%s", category);
    l.pdq_distance = 31;
    l.enabled = 1;
    memset(&e, 0, sizeof(e));
    e.algo = VG_ALGO_SHA256;
    e.quality = -1;
    snprintf(path, sizeof(path), "%s/www/%s", dir, file);
    if (vg_imagehash_file(path, NULL, &h, NULL))
        return -1;
    memcpy(e.value, h.digests.sha256, 32);
    if (vg_store_list_create(st, 0, &l, &id, NULL) ||
        vg_store_import_begin(st, 0, id, name, "lines", NULL, &im, NULL))
        return -1;
    if (vg_store_import_add(im, &e, NULL)) {
        vg_store_import_abort(im);
        return -1;
    }
    if (vg_store_import_commit(im, 1, NULL, NULL, NULL) ||
        vg_store_entry_find(st, id, VG_ALGO_SHA256, e.value, &entry, NULL))
        return -1;
    return enabled ? 0 : vg_store_entry_enable(st, 0, id, entry, 0, NULL);
}

static int crawl(struct vg_store *st, const char *path)
{
    static volatile sig_atomic_t stop = 0;
    struct vg_crawl_stats stats;
    struct vg_crawl_opts o;
    struct vg_matcher *m = NULL;
    char url[256];
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
    return rc;
}

static int sql(const char *q)
{
    return th_db_exec(db, q) < 0;
}

static int64_t count(const char *q)
{
    return th_db_int(db, q);
}

/* ---- the injected world ---- */

static int64_t now_s;
static int64_t clock_now(void *ctx)
{
    (void)ctx;
    return now_s;
}

static int lookup(void *ctx, const char *url, const char *ip, int64_t *id,
                  struct vg_err *err)
{
    (void)ctx;
    (void)ip;
    (void)err;
    *id = strstr(url, "127.0.0.1") ? 1 : 0;
    return VG_OK;
}

struct mailbox {
    int n, refuse_next, hold_next;
    char ids[16][160], subjects[16][256], to[16][128];
    char *bodies[16];
    int64_t at[16];
};

static enum vg_notice_sent sender(void *ctx, const struct vg_notice_mail *m,
                                  char *why, size_t n)
{
    struct mailbox *b = ctx;

    if (b->hold_next) {
        b->hold_next = 0;
        snprintf(why, n, "TLS: the relay's certificate is not trusted");
        return VG_NOTICE_HELD;
    }
    if (b->refuse_next) {
        b->refuse_next = 0;
        snprintf(why, n, "451 4.3.0 try again later");
        return VG_NOTICE_RETRY;
    }
    if (b->n < 16) {
        snprintf(b->ids[b->n], sizeof(b->ids[0]), "%s", m->message_id);
        snprintf(b->subjects[b->n], sizeof(b->subjects[0]), "%s", m->subject);
        snprintf(b->to[b->n], sizeof(b->to[0]), "%s", m->to);
        b->bodies[b->n] = vg_strdup(m->body);
        b->at[b->n] = now_s;
    }
    b->n++;
    snprintf(why, n, "250 2.0.0 queued");
    return VG_NOTICE_SENT;
}

/* A go_on that ends the cycle at once. */
static int stop_now(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Every result of the store under allocations failing one after the
 * other: an error and no result, or the whole result (no leak, no crash). */
static void results_oom(struct vg_store *st)
{
    for (long k = 0; k < 60; k++) {
        struct vg_case_list *l = NULL;
        struct vg_case_detail *c = NULL;
        struct vg_notice_list *n = NULL;
        struct vg_notice_figures *f = NULL;
        int rl, rc, rn, rf;
        vg_alloc_fail_after(k);
        rl = vg_store_cases(st, NULL, 0, 0, 0, 1, &l, NULL);
        vg_alloc_fail_after(k);
        rc = vg_store_case_get(st, 1, &c, NULL);
        vg_alloc_fail_after(k);
        rn = vg_store_notices(st, 0, 10, &n, NULL);
        vg_alloc_fail_after(k);
        rf = vg_notice_figures(st, &f, NULL);
        vg_alloc_fail_after(-1);
        TH_CHECK(rl == VG_OK ? l && l->n == 1 : rl == VG_ENOMEM && !l);
        TH_CHECK(rc == VG_OK ? c && c->nnotices >= 1 : rc == VG_ENOMEM && !c);
        TH_CHECK(rn == VG_OK ? n != NULL : rn == VG_ENOMEM && !n);
        TH_CHECK(rf == VG_OK ? f && f->n == 1 : rf == VG_ENOMEM && !f);
        vg_case_list_free(l);
        vg_case_detail_free(c);
        vg_notice_list_free(n);
        vg_notice_figures_free(f);
    }
}

static void test_week(void)
{
    struct vg_store *st = NULL;
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box;
    struct vg_err err = {0};
    char path[512], known_sha[65] = "", url[256];
    struct vg_notice_report *rep = NULL;
    struct vg_notice_figures *figs = NULL;
    const struct vg_provider_figures *p;
    int64_t t0, removed_at;
    int rc = VG_OK;

    memset(&box, 0, sizeof(box));
    TH_CHECK(mkdtemp(dir) != NULL);
    TH_CHECK(start_nginx() == 0);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "vigil.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(list_of(st, "known", "csam", "known.jpg", 1), 0);
    TH_EQ_INT(list_of(st, "quarantined", "csam", "off.jpg", 0), 0);
    TH_EQ_INT(list_of(st, "mild", "test", "mild.jpg", 1), 0);
    TH_EQ_INT(sql("INSERT INTO providers (name, abuse_emails, language,"
                  " created_at) VALUES ('Hébergeur A',"
                  " 'abuse@host-a.example', 'fr', 0)"),
              0);
    TH_EQ_INT(crawl(st, "page.html"), VG_OK);
    /* known and mild: a disabled entry matches nothing */
    TH_EQ_INT(count("SELECT COUNT(*) FROM detections"), 2);
    {
        struct vg_imagehash h;
        snprintf(path, sizeof(path), "%s/www/known.jpg", dir);
        TH_EQ_INT(vg_imagehash_file(path, NULL, &h, NULL), VG_OK);
        vg_hex_encode(h.digests.sha256, 32, known_sha);
    }

    memset(&o, 0, sizeof(o));
    o.hotline = "Test Hotline";
    o.domain = "hotline.example";
    o.templates_dir = VIGIL_SOURCE_DIR "/web/notices";
    o.legal_basis = "Criminal Code s. 163.1";
    o.contact = "notices@hotline.example";
    o.escalate_after = 3;
    o.clock.now = clock_now;
    o.lookup = lookup;
    o.send = sender;
    o.send_ctx = &box;
    o.fetch.user_agent = "vigil-test";
    o.fetch.allow_private = 1;
    t0 = now_s = (int64_t)time(NULL) + 60;

    /* the first cycle: one case, one notice, in French */
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.cases_opened, 1);
    TH_EQ_INT(s.notices_sent, 1);
    TH_EQ_INT(box.n, 1);
    TH_EQ_STR(box.to[0], "abuse@host-a.example");
    TH_CHECK(strstr(box.subjects[0], "Avis de retrait") != NULL);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/known.jpg", port);
    TH_CHECK(box.bodies[0] && strstr(box.bodies[0], url) != NULL);
    TH_CHECK(strstr(box.bodies[0], known_sha) != NULL);
    TH_CHECK(strstr(box.bodies[0], "matériel d'abus pédosexuel") != NULL);
    TH_CHECK(strstr(box.bodies[0], "Criminal Code s. 163.1") != NULL);
    TH_CHECK(strstr(box.bodies[0], "off.jpg") == NULL);  /* disabled */
    TH_CHECK(strstr(box.bodies[0], "mild.jpg") == NULL); /* not actionable */
    TH_CHECK(strstr(box.bodies[0], "rappel numéro") == NULL);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases"), 1);
    /* the same moment again: nothing new (a cycle is never sent twice) */
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(box.n, 1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM notices"), 1);

    /* hourly for a week; the file goes at t0 + 60 h; the third notice's
     * first send is refused (451) and retried a minute later */
    for (int h = 1; h <= 7 * 24 && !rc; h++) {
        now_s = t0 + (int64_t)h * HOUR;
        if (h == 48)
            box.refuse_next = 1;
        if (h == 24)
            box.hold_next = 1;
        if (h == 60) {
            snprintf(path, sizeof(path), "%s/www/known.jpg", dir);
            TH_EQ_INT(unlink(path), 0);
        }
        if (h == 72) { /* a scheduler that lost its lease stops before
                          the reminder's re-checks: no notice is written */
            o.go_on = stop_now;
            TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
            o.go_on = NULL;
            TH_EQ_INT(s.notices_created, 0);
            TH_EQ_INT(s.notices_sent, 0);
            TH_EQ_INT(s.rechecks, 0);
            TH_EQ_INT(count("SELECT COUNT(*) FROM notices WHERE cycle = 4"),
                      0);
        }
        rc = vg_notice_run_once(st, &o, &s, &err);
        if (h == 24) { /* our relay is misconfigured: not an attempt */
            TH_EQ_INT(s.notices_held, 1);
            TH_EQ_INT(count("SELECT attempts FROM notices WHERE cycle = 2"),
                      0);
        }
        if (h == 48) { /* the retry, after the backoff */
            TH_EQ_INT(s.notices_retried, 1);
            now_s += 61;
            rc = vg_notice_run_once(st, &o, &s, &err);
            TH_EQ_INT(s.notices_sent, 1);
        }
    }
    TH_EQ_INT(rc, VG_OK);
    /* notices at t0, t0 + 24 h and t0 + 48 h (sent at +48 h 1 min); the
     * reminder of t0 + 72 h is not sent: its batch is re-checked first,
     * and the file is gone */
    TH_EQ_INT(box.n, 3);
    TH_EQ_INT(box.at[1] - t0, 25 * HOUR); /* held at 24 h */
    TH_EQ_INT(box.at[2] - t0, 48 * HOUR + 61);
    TH_CHECK(strstr(box.bodies[1], "rappel numéro 2") != NULL);
    TH_CHECK(strcmp(box.ids[0], box.ids[1]) != 0);
    TH_EQ_INT(count("SELECT COUNT(*) FROM notices WHERE state = 'sent'"), 3);
    /* the refused one went out on its second attempt, same Message-ID */
    TH_EQ_INT(count("SELECT attempts FROM notices WHERE cycle = 3"), 2);
    TH_EQ_INT(count("SELECT COUNT(DISTINCT message_id) FROM notices"), 3);
    TH_EQ_INT(count("SELECT attempts FROM notices WHERE cycle = 2"), 1);
    TH_EQ_INT(count("SELECT escalated FROM cases"), 1);
    /* removed at the reminder's re-check of t0 + 72 h */
    removed_at = count("SELECT removed_at FROM cases");
    TH_EQ_INT(removed_at - t0, 72 * HOUR);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE status = 'removed' AND"
                    " removal = 'HTTP 404'"),
              1);
    /* re-checks at +1 h and +7 h (schedule), +24 h and +48 h (before the
     * reminders, which moves the schedule), then the one that saw 404;
     * all ask with the validators nginx gave the crawl: nothing is
     * downloaded again while the file is unchanged */
    TH_EQ_INT(count("SELECT COUNT(*) FROM rechecks"), 5);
    TH_EQ_INT(count("SELECT COUNT(*) FROM rechecks WHERE result LIKE"
                    " 'HTTP 200'"),
              0);
    TH_EQ_INT(count("SELECT COUNT(*) FROM rechecks WHERE result LIKE"
                    " 'HTTP 304%'"),
              4);

    /* the figures */
    TH_EQ_INT(vg_store_notice_report(st, &rep, &err), VG_OK);
    TH_EQ_INT(rep->n, 1);
    p = &rep->v[0];
    TH_EQ_STR(p->provider, "Hébergeur A");
    TH_EQ_INT(p->notified, 1);
    TH_EQ_INT(p->removed, 1);
    TH_EQ_INT(p->up, 0);
    TH_EQ_INT(p->notices, 3);
    TH_EQ_INT(p->nttr ? p->ttr[0] : 0, removed_at - t0);
    vg_notice_report_free(rep);
    TH_EQ_INT(vg_notice_figures(st, &figs, &err), VG_OK);
    TH_EQ_INT(figs->v[0].median_s, 72 * HOUR);
    TH_EQ_INT(figs->v[0].p90_s, 72 * HOUR);
    TH_CHECK(figs->v[0].removed_24h_share == 0.0);
    vg_notice_figures_free(figs);
    results_oom(st);

    /* the same photo at two new addresses, found a day after the
     * removal: re-uploads of the first case (the second also hosted with
     * the first copy), and, as this provider now asks, one notice per URL
     */
    snprintf(path, sizeof(path),
             "cp " PHOTOS "0029.jpg %s/www/again.jpg && cp " PHOTOS
             "0029.jpg %s/www/again2.jpg && chmod a+r %s/www/again*.jpg",
             dir, dir, dir);
    TH_EQ_INT(th_run(path), 0);
    TH_EQ_INT(th_write_file(www, "two.html",
                            "<img src=\"again.jpg\">"
                            "<img src=\"again2.jpg\">"),
              0);
    TH_EQ_INT(sql("UPDATE providers SET one_notice_per_url = 1"), 0);
    TH_EQ_INT(crawl(st, "two.html"), VG_OK);
    snprintf(path, sizeof(path),
             "UPDATE detections SET detected_at = %lld WHERE id > (SELECT"
             " first_detection_id FROM cases WHERE id = 1)",
             (long long)(removed_at + 24 * HOUR));
    TH_EQ_INT(sql(path), 0);
    t0 = now_s = (int64_t)time(NULL) + 8 * 24 * HOUR;
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.cases_opened, 2);
    TH_EQ_INT(s.reuploads, 2);
    TH_EQ_INT(s.also_hosted, 1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE reupload_of = 1 AND"
                    " reappeared_after = 86400"),
              2);
    TH_EQ_INT(count("SELECT also_hosted_with FROM cases WHERE id = 3"), 2);
    TH_EQ_INT(box.n, 5);
    TH_CHECK(strstr(box.bodies[3], "again") != NULL &&
             strstr(box.bodies[4], "again") != NULL &&
             !strstr(strstr(box.bodies[3], "again") + 6, "again.jpg") &&
             strcmp(box.ids[3], box.ids[4]) != 0);
    /* then one is replaced by other bytes (gone), the other re-encoded
     * (still the same picture: a PDQ match) */
    snprintf(path, sizeof(path),
             "cp " PHOTOS "0015.jpg %s/www/again.jpg && convert " PHOTOS
             "0029.jpg -resize 80%% -quality 60 %s/www/again2.jpg && chmod"
             " a+r %s/www/again*.jpg",
             dir, dir, dir);
    TH_EQ_INT(th_run(path), 0);
    now_s = t0 + HOUR;
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 2);
    TH_EQ_INT(s.removed, 1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases c JOIN urls u ON u.id ="
                    " c.url_id WHERE u.url LIKE '%/again.jpg' AND c.status ="
                    " 'removed' AND c.removal LIKE '%no longer matches'"),
              1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases c JOIN urls u ON u.id ="
                    " c.url_id WHERE u.url LIKE '%/again2.jpg' AND c.status"
                    " = 'open'"),
              1);

    for (int i = 0; i < box.n && i < 16; i++)
        vg_free(box.bodies[i]);
    vg_store_close(st);
    th_nginx_stop(ngdir);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    th_run(path);
}

static void test_templates(void)
{
    struct vg_store *st = NULL;
    struct vg_notice_opts o;
    struct vg_err err = {0};
    char tdir[] = "/tmp/vigil-test-notice-tpl-XXXXXX", path[600];

    /* a template with an unknown placeholder is refused with its name */
    TH_CHECK(mkdtemp(tdir) != NULL);
    TH_EQ_INT(th_write_file(tdir, "en.txt",
                            "--- subject\nHi {provdier}\n--- body\nx\n"
                            "--- url\n{url}\n--- reminder\n{n}\n"
                            "--- categories\n"),
              0);
    TH_EQ_INT(th_db_url(path, sizeof(path), tdir, "v.db"), 0);
    TH_EQ_INT(vg_store_open(path, NULL, &st, &err), VG_OK);
    memset(&o, 0, sizeof(o));
    o.templates_dir = tdir;
    TH_EQ_INT(vg_notice_run_once(st, &o, NULL, &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "{provdier}") != NULL);
    vg_store_close(st);
    snprintf(path, sizeof(path), "rm -rf %s", tdir);
    th_run(path);
}

int main(void)
{
    if (!th_testdata(PHOTOS "0029.jpg"))
        return 1;
    TH_RUN(test_templates);
    TH_RUN(test_week);
    return th_done();
}
