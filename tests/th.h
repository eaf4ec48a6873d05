/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-house test harness: typed assertions that record failures and go
 * on, TH_RUN to run a test function, and th_done() which prints the closing
 * line "N passed, N failed" and returns the exit status; a few fixtures
 * (shell commands, files, nginx).  Header-only.
 */
#ifndef VIGIL_TH_H
#define VIGIL_TH_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int th_passed, th_failed, th_cur_failed;

/* Run a shell command: 0, or its status (said on stderr). */
static inline int th_run(const char *cmd)
{
    int rc = system(cmd);

    if (rc)
        fprintf(stderr, "  `%s` failed (%d)\n", cmd, rc);
    return rc;
}

/* Write text into dir/name: 0 or -1. */
static inline int th_write_file(const char *dir, const char *name,
                                const char *text)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!(f = fopen(path, "w")))
        return -1;
    fputs(text, f);
    return fclose(f);
}

#ifdef VIGIL_SOURCE_DIR
/* nginx on 127.0.0.1 serving root, its files in statedir
 * (tests/fixtures/nginx_site.sh): its port, or -1 (said). */
static inline int th_nginx_start(const char *root, const char *statedir)
{
    char cmd[1024], line[256];
    int port = -1;
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "bash " VIGIL_SOURCE_DIR
             "/tests/fixtures/nginx_site.sh start %s %s",
             root, statedir);
    if (!(p = popen(cmd, "r")))
        return -1;
    while (fgets(line, sizeof(line), p))
        if (sscanf(line, "PORT %d", &port) == 1)
            break;
    if (pclose(p) || port <= 0) {
        fprintf(stderr, "  nginx did not start\n");
        return -1;
    }
    return port;
}

static inline void th_nginx_stop(const char *statedir)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "bash " VIGIL_SOURCE_DIR "/tests/fixtures/nginx_site.sh stop %s",
             statedir);
    th_run(cmd);
}
#endif

/* A whole file in memory (free() it), *n its size; NULL if unreadable. */
static inline uint8_t *th_slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d = NULL;
    long sz;

    *n = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (d = malloc((size_t)sz + 1)) &&
        fread(d, 1, (size_t)sz, f) == (size_t)sz) {
        *n = (size_t)sz;
    } else {
        free(d);
        d = NULL;
    }
    fclose(f);
    return d;
}

#define TH_FAIL_(...)                                                         \
    do {                                                                      \
        fprintf(stderr, "  FAIL %s:%d: ", __FILE__, __LINE__);                \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        th_cur_failed++;                                                      \
    } while (0)

#define TH_CHECK(cond)                                                        \
    do {                                                                      \
        if (!(cond))                                                          \
            TH_FAIL_("%s", #cond);                                            \
    } while (0)

#define TH_EQ_INT(a, b)                                                       \
    do {                                                                      \
        long long th_a_ = (long long)(a), th_b_ = (long long)(b);             \
        if (th_a_ != th_b_)                                                   \
            TH_FAIL_("%s == %s: %lld != %lld", #a, #b, th_a_, th_b_);         \
    } while (0)

#define TH_EQ_STR(a, b)                                                       \
    do {                                                                      \
        const char *th_a_ = (a), *th_b_ = (b);                                \
        if (!th_a_ || !th_b_ || strcmp(th_a_, th_b_))                         \
            TH_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b,                    \
                     th_a_ ? th_a_ : "(null)", th_b_ ? th_b_ : "(null)");     \
    } while (0)

#define TH_RUN(fn)                                                            \
    do {                                                                      \
        th_cur_failed = 0;                                                    \
        fn();                                                                 \
        if (th_cur_failed) {                                                  \
            th_failed++;                                                      \
            fprintf(stderr, "not ok - %s\n", #fn);                            \
        } else {                                                              \
            th_passed++;                                                      \
            fprintf(stderr, "ok - %s\n", #fn);                                \
        }                                                                     \
    } while (0)

/* Whether a test-data file is there; if not, says how to get it.  Tests
 * that cannot run without it return 1 from main on 0. */
static inline int th_testdata(const char *path)
{
    if (access(path, R_OK) == 0)
        return 1;
    fprintf(stderr, "missing test data %s: run scripts/fetch-testdata\n",
            path);
    return 0;
}

static inline int th_done(void)
{
    printf("%d passed, %d failed\n", th_passed, th_failed);
    return th_failed ? 1 : 0;
}

#endif
