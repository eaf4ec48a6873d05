/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Re-checks at scale (vigil/notice.h, src/notice/recheck.c) against nginx
 * on 127.0.0.1 under host names *.localhost: a cycle re-checks every case
 * due, far more than the 500 a cycle once did; a reminder's whole batch is
 * re-checked first, so it names only the URLs still up; no more than N
 * requests per host are in flight and starts to one host keep their delay
 * (nginx's log timings); a cycle's budget leaves the rest due; validators
 * make the next check a 304; a HEAD-refusing host gets GETs; bytes equal,
 * re-encoded (PDQ-near) and replaced.  The cases are written straight into
 * the store, all of one crawled photo.
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
#include "vigil/notice.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_notices.h"

#define PHOTOS VIGIL_TESTDATA "/photos/"
#define HOUR 3600

/* Locations: /<test>/up/.. the photo, /<test>/slow/.. the photo at 40
 * KB/s, /<test>/nohead/.. the photo but 405 to a HEAD, /<test>/reenc/.. a
 * smaller, re-encoded copy, /<test>/other/.. another photo; anything else
 * 404. */
#define SERVER                                                                \
    "location ~ ^/[a-z0-9]+/up/ { try_files /known.jpg =404; }"               \
    " location ~ ^/[a-z0-9]+/slow/ { limit_rate 40k;"                         \
    " try_files /known.jpg =404; }"                                           \
    " location ~ ^/[a-z0-9]+/nohead/ { if ($request_method = HEAD) {"         \
    " return 405; } try_files /known.jpg =404; }"                             \
    " location ~ ^/[a-z0-9]+/reenc/ { try_files /reenc.jpg =404; }"           \
    " location ~ ^/[a-z0-9]+/other/ { try_files /other.jpg =404; }"

static char dir[] = "/tmp/vigil-test-recheck-XXXXXX";
static char ngdir[256], www[300], db[300];
static int port;
static int64_t now_s;

static int start_nginx(void)
{
    char cmd[2048];

    snprintf(www, sizeof(www), "%s/www", dir);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s && cp " PHOTOS "0029.jpg %s/known.jpg && cp " PHOTOS
             "0015.jpg %s/other.jpg && convert " PHOTOS
             "0029.jpg -resize 80%% -quality 60 %s/reenc.jpg && chmod -R"
             " a+rX %s",
             www, www, www, www, dir);
    if (th_run(cmd) ||
        th_write_file(www, "page.html", "<img src=\"known.jpg\">"))
        return -1;
    setenv("NGINX_SITE_SERVER", SERVER, 1);
    snprintf(ngdir, sizeof(ngdir), "%s/ng", dir);
    return (port = th_nginx_start(www, ngdir)) > 0 ? 0 : -1;
}

/* Crawl the page: the photo's media row (id 1) with its hashes. */
static int crawl(struct vg_store *st)
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
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/page.html", port);
    if ((rc = vg_store_crawl_new(st, NULL, &id, NULL)) ||
        (rc = vg_crawl_seed(st, id, url, 0, NULL)) ||
        (rc = vg_matcher_load(st, 50, &m, NULL)))
        return rc;
    rc = vg_crawl_run(st, m, id, &o, &stop, NULL, NULL, &stats, NULL);
    vg_matcher_free(m);
    return rc;
}

static int64_t count(const char *q)
{
    return th_db_int(db, q);
}

/*
 * n cases of the photo for test t, case i at
 * http://h<i % hosts>.localhost:<port>/<t>/<kind>/<i>.jpg, kind "gone" for
 * every gone-th (0: none) and kind otherwise; provider (0: none), notified
 * (notices_sent 1, last at now - 25 h) or not, due at due.
 */
static int cases(const char *t, int n, int hosts, const char *kind, int gone,
                 int provider, int notified, int64_t due)
{
    size_t cap = (size_t)n * 128 + 512, len;
    char *q = malloc(cap), last[24];
    int rc;

    snprintf(last, sizeof(last), "%lld", (long long)(now_s - 25 * HOUR));
    if (!q)
        return -1;
    len = (size_t)snprintf(q, cap,
                           "INSERT INTO urls (url, host, first_seen_at)"
                           " VALUES ");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(q + len, cap - len,
                                "%s('http://h%d.localhost:%d/%s/%s/%d.jpg',"
                                " 'h%d.localhost', 0)",
                                i ? "," : "", i % hosts, port, t,
                                gone && i % gone == 0 ? "gone" : kind, i,
                                i % hosts);
    rc = th_db_exec(db, q) != n;
    snprintf(q, cap,
             "INSERT INTO cases (url_id, provider_id, opened_at, status,"
             " media_id, category, detected_at, next_check_at,"
             " notices_sent, last_notice_at, first_notice_at) SELECT id,"
             " %s, %lld, 'open', 1, 'csam', %lld, %lld, %d, %s, %s FROM"
             " urls WHERE url LIKE 'http://h%%.localhost:%%/%s/%%'",
             provider ? "1" : "NULL", (long long)(now_s - 48 * HOUR),
             (long long)(now_s - 48 * HOUR), (long long)due, notified ? 1 : 0,
             notified ? last : "NULL", notified ? last : "NULL", t);
    rc = rc || th_db_exec(db, q) != n;
    free(q);
    return rc ? -1 : 0;
}

static int64_t clock_now(void *ctx)
{
    (void)ctx;
    return now_s;
}

struct mailbox {
    int n;
    char *body;
};

static enum vg_notice_sent sender(void *ctx, const struct vg_notice_mail *m,
                                  char *why, size_t n)
{
    struct mailbox *b = ctx;

    if (!b->n++)
        b->body = vg_strdup(m->body);
    snprintf(why, n, "250 2.0.0 queued");
    return VG_NOTICE_SENT;
}

static void opts(struct vg_notice_opts *o, struct mailbox *box)
{
    memset(o, 0, sizeof(*o));
    o->hotline = "Test Hotline";
    o->templates_dir = VIGIL_SOURCE_DIR "/web/notices";
    o->contact = "notices@hotline.example";
    o->clock.now = clock_now;
    o->send = sender;
    o->send_ctx = box;
    o->fetch.user_agent = "vigil-test";
    o->fetch.allow_private = 1;
    o->recheck_delay_ms = -1;
}

/* ---- nginx's log ---- */

struct hit {
    double start, end; /* seconds */
    int status, host, n;
    long bytes;
};

/* The requests under /<t>/ (nginx flushes its log every second), host
 * i % hosts for the file <i>.jpg; their number, -1 on error. */
static int hits(const char *t, int hosts, struct hit *v, int max)
{
    char path[512], uri[512], pre[64];
    double msec, rt;
    int status, n = 0;
    long bytes;
    FILE *f;

    sleep(2);
    snprintf(path, sizeof(path), "%s/access.log", ngdir);
    snprintf(pre, sizeof(pre), "/%s/", t);
    if (!(f = fopen(path, "r")))
        return -1;
    while (n < max && fscanf(f, "%lf %d %511s %ld %lf", &msec, &status, uri,
                             &bytes, &rt) == 5) {
        const char *slash = strrchr(uri, '/');
        if (strncmp(uri, pre, strlen(pre)) || !slash)
            continue;
        v[n].start = msec - rt;
        v[n].end = msec;
        v[n].status = status;
        v[n].bytes = bytes;
        v[n].n = atoi(slash + 1);
        v[n].host = v[n].n % hosts;
        n++;
    }
    fclose(f);
    return n;
}

/* The most requests of host (-1: any) in flight at once, each interval
 * shrunk by 5 ms at both ends (nginx's times are to the millisecond). */
static int overlap(const struct hit *v, int n, int host)
{
    int most = 0;

    for (int i = 0; i < n; i++) {
        double at = v[i].start + 0.005;
        int k = 0;
        if (host >= 0 && v[i].host != host)
            continue;
        for (int j = 0; j < n; j++)
            k += (host < 0 || v[j].host == host) && v[j].start + 0.005 <= at &&
                 at < v[j].end - 0.005;
        if (k > most)
            most = k;
    }
    return most;
}

/* ---- the tests ---- */

static struct vg_store *st;

/* 1,200 cases due on 3 hosts, 100 of them gone: one cycle re-checks all. */
static void test_no_cap(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    char q[256];

    opts(&o, &box);
    TH_EQ_INT(cases("nocap", 1200, 3, "up", 12, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 1200);
    TH_EQ_INT(s.removed, 100);
    TH_EQ_INT(s.still_up, 1100);
    TH_EQ_INT(s.rechecks_left, 0);
    TH_CHECK(s.recheck_lag_max_s >= 1);
    snprintf(q, sizeof(q),
             "SELECT COUNT(*) FROM cases WHERE status = 'open' AND"
             " next_check_at <= %lld",
             (long long)now_s);
    TH_EQ_INT(count(q), 0);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE removal = 'HTTP 404'"),
              100);
    /* up: the next check an hour later with the validators seen */
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases WHERE status = 'open' AND"
                    " etag IS NOT NULL AND last_modified IS NOT NULL"),
              1100);
}

/* A reminder for 700 URLs (more than the old cap), 100 gone since the
 * last notice and not due by schedule: it names only the 600 up. */
static void test_reminder_batch(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    size_t up = 0, gone = 0;

    opts(&o, &box);
    TH_CHECK(th_db_exec(db, "INSERT INTO providers (name, abuse_emails,"
                            " language, created_at) VALUES ('Host P',"
                            " 'abuse@p.example', 'en', 0)") == 1);
    TH_EQ_INT(cases("remind", 700, 4, "up", 7, 1, 1, now_s + 10 * HOUR), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 700);
    TH_EQ_INT(s.removed, 100);
    TH_EQ_INT(s.notices_sent, 1);
    TH_EQ_INT(box.n, 1);
    for (const char *p = box.body; p && (p = strstr(p, "/remind/")); p++) {
        up += !strncmp(p, "/remind/up/", 11);
        gone += !strncmp(p, "/remind/gone/", 13);
    }
    TH_EQ_INT(up, 600);
    TH_EQ_INT(gone, 0);
    vg_free(box.body);
}

/* 16 slow GETs on 2 hosts, 2 per host: never more, and both hosts at once */
static void test_per_host(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    struct hit v[64];
    int n;

    opts(&o, &box);
    o.recheck_per_host = 2;
    TH_EQ_INT(cases("slow", 16, 2, "slow", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 16);
    TH_EQ_INT(s.still_up, 16);
    n = hits("slow", 2, v, 64);
    TH_EQ_INT(n, 32); /* a HEAD and a GET each */
    TH_EQ_INT(overlap(v, n, 0), 2);
    TH_EQ_INT(overlap(v, n, 1), 2);
    TH_CHECK(overlap(v, n, -1) >= 3);
}

/* 4 cases on one host 300 ms apart: 8 starts, none closer */
static void test_delay(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    struct hit v[16];
    double gap = 1e9;
    int n;

    opts(&o, &box);
    o.recheck_delay_ms = 300;
    TH_EQ_INT(cases("delay", 4, 1, "up", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 4);
    n = hits("delay", 1, v, 16);
    TH_EQ_INT(n, 8);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j && v[j].start >= v[i].start &&
                v[j].start - v[i].start < gap)
                gap = v[j].start - v[i].start;
    TH_CHECK(gap >= 0.25);
}

/* A budget of 1 s for 30 slow re-checks on one host: the rest stay due and
 * are said so. */
static void test_budget(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    char q[256];

    opts(&o, &box);
    o.recheck_per_host = 1;
    o.recheck_budget_s = 1;
    TH_EQ_INT(cases("budget", 30, 1, "slow", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_CHECK(s.rechecks >= 1 && s.rechecks < 30);
    TH_EQ_INT(s.rechecks + s.rechecks_left, 30);
    snprintf(q, sizeof(q),
             "SELECT COUNT(*) FROM cases WHERE status = 'open' AND"
             " next_check_at <= %lld",
             (long long)now_s);
    TH_EQ_INT(count(q), s.rechecks_left);
    TH_CHECK(th_db_exec(db, "UPDATE cases SET next_check_at = next_check_at"
                            " + 86400 WHERE status = 'open'") >= 0);
}

/* Validators: the first check downloads (a HEAD, then a GET) and keeps
 * nginx's ETag and Last-Modified; the next asks with them and gets 304
 * (If-None-Match, or If-Modified-Since alone); a changed file is fetched. */
static void test_conditional(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    struct hit v[32];
    int n, heads = 0, gets = 0, not_modified = 0;

    opts(&o, &box);
    TH_EQ_INT(cases("cond", 2, 1, "up", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 2);
    TH_EQ_INT(s.not_modified, 0);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases c JOIN urls u ON u.id ="
                    " c.url_id WHERE u.url LIKE '%/cond/%' AND c.etag LIKE"
                    " '\"%' AND c.last_modified LIKE '%GMT'"),
              2);
    /* one case keeps only its Last-Modified */
    TH_CHECK(th_db_exec(db, "UPDATE cases SET etag = NULL WHERE url_id ="
                            " (SELECT id FROM urls WHERE url LIKE"
                            " '%/cond/up/0.jpg')") == 1);
    TH_CHECK(th_db_exec(db, "UPDATE cases SET next_check_at = 0 WHERE"
                            " url_id IN (SELECT id FROM urls WHERE url LIKE"
                            " '%/cond/%')") == 2);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 2);
    TH_EQ_INT(s.not_modified, 2);
    TH_EQ_INT(s.still_up, 2);
    TH_EQ_INT(count("SELECT COUNT(*) FROM rechecks r JOIN cases c ON c.id ="
                    " r.case_id JOIN urls u ON u.id = c.url_id WHERE u.url"
                    " LIKE '%/cond/%' AND r.http_status = 304 AND r.result"
                    " LIKE 'HTTP 304%'"),
              2);
    /* a validator that no longer matches: the whole file, compared */
    TH_CHECK(th_db_exec(db, "UPDATE cases SET etag = '\"stale\"',"
                            " last_modified = NULL, next_check_at = 0 WHERE"
                            " url_id IN (SELECT id FROM urls WHERE url LIKE"
                            " '%/cond/up/1.jpg')") == 1);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 1);
    TH_EQ_INT(s.not_modified, 0);
    TH_EQ_INT(s.still_up, 1);
    n = hits("cond", 1, v, 32);
    for (int i = 0; i < n; i++) {
        heads += v[i].status == 200 && v[i].bytes == 0;
        gets += v[i].status == 200 && v[i].bytes > 0;
        not_modified += v[i].status == 304 && v[i].bytes == 0;
    }
    TH_EQ_INT(heads, 2);        /* the first check only */
    TH_EQ_INT(gets, 3);         /* the first check, the stale ETag */
    TH_EQ_INT(not_modified, 2); /* If-None-Match, If-Modified-Since */
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases c JOIN urls u ON u.id ="
                    " c.url_id WHERE u.url LIKE '%/cond/up/1.jpg' AND c.etag"
                    " LIKE '\"%' AND c.etag <> '\"stale\"'"),
              1);
}

/* A host answering 405 to a HEAD: one HEAD, then GETs only; and a HEAD's
 * 404 removes without a download. */
static void test_head_refused(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};
    struct hit v[32];
    int n, refused = 0, gets = 0, gone_get = 0;

    opts(&o, &box);
    o.recheck_per_host = 1;
    TH_EQ_INT(cases("nohead", 3, 1, "nohead", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(cases("headgone", 2, 1, "gone", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 5);
    TH_EQ_INT(s.still_up, 3);
    TH_EQ_INT(s.removed, 2);
    n = hits("nohead", 1, v, 32);
    for (int i = 0; i < n; i++) {
        refused += v[i].status == 405;
        gets += v[i].status == 200 && v[i].bytes > 0;
    }
    TH_EQ_INT(refused, 1);
    TH_EQ_INT(gets, 3);
    TH_EQ_INT(n, 4);
    n = hits("headgone", 1, v, 32);
    for (int i = 0; i < n; i++)
        gone_get += v[i].status != 404;
    TH_EQ_INT(n, 2); /* a HEAD each, nothing more */
    TH_EQ_INT(gone_get, 0);
}

/* The same bytes (SHA-256), a re-encoded copy (PDQ-near) and another
 * picture at the URL. */
static void test_content(void)
{
    struct vg_notice_opts o;
    struct vg_notice_stats s;
    struct mailbox box = {0};
    struct vg_err err = {0};

    opts(&o, &box);
    TH_EQ_INT(cases("same", 1, 1, "up", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(cases("reenc", 1, 1, "reenc", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(cases("other", 1, 1, "other", 0, 0, 0, now_s - 1), 0);
    TH_EQ_INT(vg_notice_run_once(st, &o, &s, &err), VG_OK);
    TH_EQ_INT(s.rechecks, 3);
    TH_EQ_INT(s.still_up, 2);
    TH_EQ_INT(s.removed, 1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases c JOIN urls u ON u.id ="
                    " c.url_id WHERE u.url LIKE '%/other/%' AND c.status ="
                    " 'removed' AND c.removal LIKE '%no longer matches'"),
              1);
    TH_EQ_INT(count("SELECT COUNT(*) FROM cases c JOIN urls u ON u.id ="
                    " c.url_id WHERE (u.url LIKE '%/same/%' OR u.url LIKE"
                    " '%/reenc/%') AND c.status = 'open'"),
              2);
}

int main(void)
{
    struct vg_err err = {0};

    if (!th_testdata(PHOTOS "0029.jpg"))
        return 1;
    TH_CHECK(mkdtemp(dir) != NULL);
    if (start_nginx()) {
        fprintf(stderr, "nginx did not start\n");
        return 1;
    }
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "vigil.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_EQ_INT(crawl(st), VG_OK);
    TH_EQ_INT(count("SELECT COUNT(*) FROM media"), 1);
    now_s = (int64_t)time(NULL) + 60;
    TH_RUN(test_no_cap);
    TH_RUN(test_reminder_batch);
    TH_RUN(test_per_host);
    TH_RUN(test_delay);
    TH_RUN(test_budget);
    TH_RUN(test_conditional);
    TH_RUN(test_head_refused);
    TH_RUN(test_content);
    vg_store_close(st);
    th_nginx_stop(ngdir);
    {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        th_run(cmd);
    }
    return th_done();
}
