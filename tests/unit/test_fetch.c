/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fetcher against tests/fixtures/hostile_server.py on 127.0.0.1, all
 * transfers in flight together: a good page, redirect chains at and over
 * the limit, a redirect loop, redirects to file:, ftp: and gopher:, a lying
 * Content-Length, an endless body, a gzip bomb, a 1-byte-a-second drip, a
 * server that never answers, a reset mid-headers, a 404; and the SSRF
 * guard refusing 127.0.0.1 when private addresses are not allowed; and
 * the byte budget shared by all bodies.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "vigil/fetch.h"

struct expect {
    const char *path;
    enum vg_fetch_kind kind;
    enum vg_fetch_error error;
    long status; /* -1: any */
    int seen;
};

static struct expect cases[] = {
    {"/ok.html", VG_FETCH_PAGE, VG_FETCH_OK, 200, 0},
    {"/missing", VG_FETCH_PAGE, VG_FETCH_OK, 404, 0},
    {"/chain/5", VG_FETCH_PAGE, VG_FETCH_OK, 200, 0},
    {"/chain/6", VG_FETCH_PAGE, VG_FETCH_REDIRECTS, -1, 0},
    {"/loop", VG_FETCH_PAGE, VG_FETCH_REDIRECTS, -1, 0},
    {"/to-file", VG_FETCH_PAGE, VG_FETCH_SCHEME, -1, 0},
    {"/to-ftp", VG_FETCH_PAGE, VG_FETCH_SCHEME, -1, 0},
    {"/to-gopher", VG_FETCH_PAGE, VG_FETCH_SCHEME, -1, 0},
    {"/huge-length", VG_FETCH_MEDIA, VG_FETCH_TOO_LARGE, -1, 0},
    {"/endless", VG_FETCH_PAGE, VG_FETCH_TOO_LARGE, -1, 0},
    {"/gzip-bomb", VG_FETCH_PAGE, VG_FETCH_TOO_LARGE, -1, 0},
    {"/br", VG_FETCH_PAGE, VG_FETCH_OTHER, -1, 0},
    {"/drip", VG_FETCH_PAGE, VG_FETCH_TIMEOUT, -1, 0},
    {"/stall", VG_FETCH_PAGE, VG_FETCH_TIMEOUT, -1, 0},
    {"/reset", VG_FETCH_PAGE, VG_FETCH_CONNECT, -1, 0},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

static pid_t server_pid;
static int port;

static int start_server(void)
{
    int fds[2];
    char line[64] = "";
    FILE *f;

    if (pipe(fds))
        return -1;
    if ((server_pid = fork()) == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execlp("python3", "python3",
               VIGIL_SOURCE_DIR "/tests/fixtures/hostile_server.py",
               (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if (!(f = fdopen(fds[0], "r")) || !fgets(line, sizeof(line), f) ||
        sscanf(line, "PORT %d", &port) != 1)
        return -1;
    return 0; /* the pipe stays open: the server may still print */
}

static int on_done(void *arg, const struct vg_fetch_result *r)
{
    struct expect *e = r->ctx;

    (void)arg;
    e->seen++;
    if (r->error != e->error)
        TH_FAIL_("%s: error %d (%s), want %d", e->path, r->error,
                 r->error_text ? r->error_text : "-", e->error);
    if (e->status >= 0 && r->status != e->status)
        TH_FAIL_("%s: status %ld, want %ld", e->path, r->status, e->status);
    if (!strcmp(e->path, "/br"))
        TH_CHECK(r->error_text &&
                 strstr(r->error_text, "Content-Encoding other than gzip"));
    if (!strcmp(e->path, "/ok.html")) {
        TH_CHECK(strstr(r->body, "<title>ok</title>") != NULL);
        TH_EQ_STR(r->content_type, "text/html");
        TH_EQ_STR(r->server_ip, "127.0.0.1");
    }
    if (!strcmp(e->path, "/chain/5"))
        TH_CHECK(r->final_url && strstr(r->final_url, "/chain/0") != NULL);
    if (e->error == VG_FETCH_TOO_LARGE)
        TH_CHECK(r->len <= (e->kind == VG_FETCH_MEDIA ? 1u << 20 : 2u << 20));
    return VG_OK;
}

static void test_hostile(void)
{
    struct vg_fetch_opts o = {0};
    struct vg_fetcher *f = NULL;
    char url[128];
    time_t t0 = time(NULL);

    o.user_agent = "vigil-test (+https://example.org/vigil; tests)";
    o.allow_private = 1;
    o.connect_timeout_ms = 2000;
    o.total_timeout_ms = 8000;
    o.low_speed_bytes = 100;
    o.low_speed_seconds = 2;
    o.max_page_bytes = 2u << 20;
    o.max_media_bytes = 1u << 20;
    TH_EQ_INT(vg_fetcher_new(&o, &f), VG_OK);
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port,
                 cases[i].path);
        TH_EQ_INT(vg_fetcher_submit(f, url, cases[i].kind, &cases[i]), VG_OK);
    }
    while (vg_fetcher_pending(f) && time(NULL) - t0 < 30)
        TH_EQ_INT(vg_fetcher_run(f, 200, on_done, NULL), VG_OK);
    for (size_t i = 0; i < NCASES; i++)
        if (cases[i].seen != 1)
            TH_FAIL_("%s answered %d times", cases[i].path, cases[i].seen);
    /* everything in flight together: bounded by the slowest limit */
    TH_CHECK(time(NULL) - t0 <= 12);
    vg_fetcher_free(f);
}

static int expect_private(void *arg, const struct vg_fetch_result *r)
{
    int *n = arg;

    (*n)++;
    TH_EQ_INT(r->error, VG_FETCH_PRIVATE);
    TH_CHECK(r->status == 0);
    return VG_OK;
}

static void test_private_refused(void)
{
    struct vg_fetch_opts o = {0};
    struct vg_fetcher *f = NULL;
    char url[128];
    int n = 0;

    o.user_agent = "vigil-test";
    TH_EQ_INT(vg_fetcher_new(&o, &f), VG_OK);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok.html", port);
    TH_EQ_INT(vg_fetcher_submit(f, url, VG_FETCH_PAGE, NULL), VG_OK);
    snprintf(url, sizeof(url), "http://localhost:%d/ok.html", port);
    TH_EQ_INT(vg_fetcher_submit(f, url, VG_FETCH_PAGE, NULL), VG_OK);
    while (vg_fetcher_pending(f))
        TH_EQ_INT(vg_fetcher_run(f, 200, expect_private, &n), VG_OK);
    TH_EQ_INT(n, 2);
    vg_fetcher_free(f);
    o.user_agent = NULL;
    TH_EQ_INT(vg_fetcher_new(&o, &f), VG_EINVAL);
}

static int budget_done(void *arg, const struct vg_fetch_result *r)
{
    int *n = arg;

    (*n)++;
    if (strstr(r->url, "/ok.html")) {
        TH_EQ_INT(r->error, VG_FETCH_OK);
        TH_CHECK(strstr(r->body, "<title>ok</title>") != NULL);
        return VG_OK;
    }
    TH_EQ_INT(r->error, VG_FETCH_TOO_LARGE);
    TH_CHECK(r->error_text && strstr(r->error_text, "budget") != NULL);
    TH_CHECK(r->len <= 1u << 20);
    return VG_OK;
}

/* A 1 MiB budget: bytes held elsewhere keep transfers from starting; then
 * bombs and endless bodies at once all end as too large (none waits for
 * ever on another), and a page among them is fetched whole. */
static void test_budget(void)
{
    struct vg_fetch_opts o = {0};
    struct vg_fetcher *f = NULL;
    char url[128];
    int n = 0;
    time_t t0 = time(NULL);

    o.user_agent = "vigil-test";
    o.allow_private = 1;
    o.max_inflight_bytes = 1u << 20;
    TH_EQ_INT(vg_fetcher_new(&o, &f), VG_OK);
    vg_fetcher_hold(f, 1u << 20); /* as the crawler's hashing queue does */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok.html", port);
    TH_EQ_INT(vg_fetcher_submit(f, url, VG_FETCH_PAGE, NULL), VG_OK);
    for (int i = 0; i < 5; i++)
        TH_EQ_INT(vg_fetcher_run(f, 20, budget_done, &n), VG_OK);
    TH_EQ_INT(n, 0);
    vg_fetcher_release(f, 1u << 20);
    for (int i = 0; i < 6; i++) {
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port,
                 i % 2 ? "/gzip-bomb" : "/endless");
        TH_EQ_INT(vg_fetcher_submit(f, url, VG_FETCH_PAGE, NULL), VG_OK);
    }
    while (vg_fetcher_pending(f) && time(NULL) - t0 < 30)
        TH_EQ_INT(vg_fetcher_run(f, 100, budget_done, &n), VG_OK);
    TH_EQ_INT(n, 7);
    vg_fetcher_free(f);
}

static void test_free_in_flight(void)
{
    struct vg_fetch_opts o = {0};
    struct vg_fetcher *f = NULL;
    char url[128];

    o.user_agent = "vigil-test";
    o.allow_private = 1;
    TH_EQ_INT(vg_fetcher_new(&o, &f), VG_OK);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/stall", port);
    for (int i = 0; i < 40; i++) /* some start, some wait */
        TH_EQ_INT(vg_fetcher_submit(f, url, VG_FETCH_PAGE, NULL), VG_OK);
    TH_EQ_INT(vg_fetcher_run(f, 50, on_done, NULL), VG_OK);
    TH_EQ_INT(vg_fetcher_pending(f), 40);
    vg_fetcher_free(f); /* no leak, no wait */
}

int main(void)
{
    int status;

    if (start_server()) {
        fprintf(stderr, "cannot start the hostile server fixture\n");
        return 1;
    }
    TH_RUN(test_hostile);
    TH_RUN(test_private_refused);
    TH_RUN(test_budget);
    TH_RUN(test_free_in_flight);
    status = th_done();
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
    return status;
}
