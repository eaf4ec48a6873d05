/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The crawl frontier at scale in the SQLite store (vigil/store.h, "crawls
 * and their frontier"): add N realistic URLs (~5,000 hosts, depth 1..5,
 * about 10% media) to one crawl in batches of 2,000 per
 * vg_store_frontier_add, with 10% re-added duplicates that must count as
 * not added, printing every 1M the elapsed time, URLs/s, RSS and the size
 * of the database (+WAL); then the crawler's steady state at that size:
 * 50 rounds of a 256-URL lease followed by one vg_store_crawl_commit that
 * finishes them all and adds 2 found URLs per leased URL (median and max
 * of each, in ms).  The database is deleted (with its -wal and -shm) before
 * the run and left behind after it.
 *   bench_frontier [--quick] [DB [N]]
 *   DB default /tmp/bench-frontier.db; N default 10000000 (200000 with
 *   --quick).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vigil/store.h"
#include "vigil/store_crawl.h"

#define BATCH 2000
#define HOSTS 5000
#define ROUNDS 50
#define LEASE 256
#define FOUND 2 /* URLs found per leased URL */
#define URL_MAX 96

/* One URL of the synthetic crawl: its text and host in caller buffers. */
struct gen {
    char url[URL_MAX], host[32];
};

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A 32-bit mix (lowbias32) so hosts, depths and kinds look unordered. */
static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* URL number i, always the same text for the same i. */
static struct vg_frontier_url make_url(uint32_t i, struct gen *g)
{
    uint32_t h = mix(i), host = h % HOSTS, dir = (h >> 13) % 1000;
    int media = (mix(i ^ 0x9e3779b9U) % 10) == 0;

    snprintf(g->host, sizeof(g->host), "host%04" PRIu32 ".example", host);
    snprintf(g->url, sizeof(g->url),
             media ? "https://%s/d%03" PRIu32 "/img%07" PRIu32
                     ".jpg?id=%" PRIu32
                   : "https://%s/d%03" PRIu32 "/page%07" PRIu32
                     ".html?id=%" PRIu32,
             g->host, dir, i, h);
    return (struct vg_frontier_url){
        g->url, g->host,
        1,      1 + (int)(h >> 27) % 5,
        0,      media ? VG_FRONTIER_MEDIA : VG_FRONTIER_PAGE,
        0,      i / HOSTS};
}

/* A line of /proc/self/status in kB ("VmRSS", "VmHWM"), -1 if absent. */
static long proc_kb(const char *key)
{
    char line[256];
    size_t n = strlen(key);
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, key, n) && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

static long long file_size(const char *path, const char *suffix)
{
    char p[4096];
    struct stat sb;

    snprintf(p, sizeof(p), "%s%s", path, suffix);
    return stat(p, &sb) ? 0 : (long long)sb.st_size;
}

static long long db_size(const char *path)
{
    return file_size(path, "") + file_size(path, "-wal");
}

static void progress(const char *db, uint64_t n, double t0)
{
    double dt = now() - t0;

    printf("%10" PRIu64 " URLs  %8.1f s  %8.0f URLs/s  RSS %6.1f MB"
           "  db+wal %8.1f MB (wal %.1f MB)\n",
           n, dt, (double)n / dt, (double)proc_kb("VmRSS") / 1024.0,
           (double)db_size(db) / 1048576.0,
           (double)file_size(db, "-wal") / 1048576.0);
    fflush(stdout);
}

/* Add URLs 0..n-1 with 10% duplicates mixed in; the seconds it took. */
static int add_all(struct vg_store *st, int64_t crawl, const char *db,
                   uint64_t n, double *secs)
{
    static struct gen g[BATCH];
    static struct vg_frontier_url v[BATCH];
    struct vg_err err = {0};
    uint64_t next = 0, dups = 0, rnd = 88172645463325252ULL;
    double t0 = now();
    int rc = 0;

    while (next < n && !rc) {
        size_t k = 0, fresh = 0, added = 0;

        for (; k < BATCH && next < n; k++) {
            rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
            /* one entry in 11 re-adds a URL already sent: 10% of n */
            if (next > 0 && rnd % 11 == 0) {
                v[k] = make_url((uint32_t)(rnd >> 20) % (uint32_t)next, &g[k]);
                dups++;
            } else {
                v[k] = make_url((uint32_t)next++, &g[k]);
                fresh++;
                if (next % 1000000 == 0)
                    progress(db, next, t0);
            }
        }
        if ((rc = vg_store_frontier_add(st, crawl, v, k, &added, &err)))
            fprintf(stderr, "bench_frontier: add: %s\n", err.msg);
        else if (added != fresh) {
            fprintf(stderr, "bench_frontier: %zu added, %zu expected\n", added,
                    fresh);
            rc = -1;
        }
    }
    *secs = now() - t0;
    if (!rc && n % 1000000)
        progress(db, n, t0);
    printf("%" PRIu64 " duplicates re-added, none counted\n", dups);
    return rc;
}

struct round {
    int64_t ids[LEASE];
    size_t n;
};

static int on_lease(void *ctx, const struct vg_frontier_lease *l)
{
    struct round *r = ctx;

    if (r->n < LEASE)
        r->ids[r->n++] = l->url_id;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

struct times {
    double lease_med, lease_max, commit_med, commit_max;
};

static void report(const char *what, double *ms, size_t n, double *med,
                   double *max)
{
    qsort(ms, n, sizeof(*ms), cmp_double);
    *med = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
    *max = ms[n - 1];
    printf("%-7s median %8.2f ms  max %8.2f ms  (%zu rounds)\n", what, *med,
           *max, n);
}

/* One round: lease, then finish all in one commit that adds found URLs. */
static int one_round(struct vg_store *st, int64_t crawl, uint32_t *next,
                     double *lease_ms, double *commit_ms)
{
    static struct gen g[LEASE * FOUND];
    static struct vg_frontier_url add[LEASE * FOUND];
    static struct vg_frontier_done done[LEASE];
    struct round r = {{0}, 0};
    struct vg_crawl_batch b = {0};
    struct vg_err err = {0};
    size_t n = 0, added = 0;
    double t;
    int rc;

    t = now();
    if ((rc = vg_store_frontier_lease(st, crawl, LEASE, 0, (int64_t)time(NULL),
                                      on_lease, &r, &n, &err))) {
        fprintf(stderr, "bench_frontier: lease: %s\n", err.msg);
        return rc;
    }
    *lease_ms = (now() - t) * 1e3;
    for (size_t i = 0; i < r.n; i++) {
        done[i] = (struct vg_frontier_done){r.ids[i], 1, 200, NULL};
        for (size_t j = 0; j < FOUND; j++) {
            struct vg_frontier_url *u = &add[i * FOUND + j];

            *u = make_url((*next)++, &g[i * FOUND + j]);
            u->parent_url_id = r.ids[i];
        }
    }
    b = (struct vg_crawl_batch){done, r.n, add, r.n * FOUND, NULL, 0};
    t = now();
    if ((rc = vg_store_crawl_commit(st, crawl, &b, &added, &err)))
        fprintf(stderr, "bench_frontier: commit: %s\n", err.msg);
    *commit_ms = (now() - t) * 1e3;
    if (!rc && (n != LEASE || added != r.n * FOUND)) {
        fprintf(stderr, "bench_frontier: leased %zu, added %zu\n", n, added);
        rc = -1;
    }
    return rc;
}

static int steady_state(struct vg_store *st, int64_t crawl, uint64_t n,
                        struct times *tm)
{
    double lease_ms[ROUNDS], commit_ms[ROUNDS];
    uint32_t next = (uint32_t)n;
    int rc = 0;

    for (size_t i = 0; i < ROUNDS && !rc; i++)
        rc = one_round(st, crawl, &next, &lease_ms[i], &commit_ms[i]);
    if (rc)
        return rc;
    printf("steady state: lease %d, commit %d done + %d found\n", LEASE, LEASE,
           LEASE * FOUND);
    report("lease", lease_ms, ROUNDS, &tm->lease_med, &tm->lease_max);
    report("commit", commit_ms, ROUNDS, &tm->commit_med, &tm->commit_max);
    return 0;
}

static void remove_db(const char *path)
{
    static const char *suffix[] = {"", "-wal", "-shm"};
    char p[4096];

    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}

int main(int argc, char **argv)
{
    const char *db = "/tmp/bench-frontier.db";
    uint64_t n = 10000000;
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_frontier_counts c;
    struct times tm = {0, 0, 0, 0};
    int64_t crawl = 0;
    double add_secs = 0, t;
    int a = 1, rc;

    if (a < argc && !strcmp(argv[a], "--quick"))
        n = 200000, a++;
    if (a < argc)
        db = argv[a++];
    if (a < argc)
        n = strtoull(argv[a++], NULL, 10);
    if (a < argc || n == 0 || n > 4000000000ULL || db[0] == '-') {
        fprintf(stderr, "usage: bench_frontier [--quick] [DB [N]]\n");
        return 2;
    }
    remove_db(db);
    if ((rc = vg_store_open(db, NULL, &st, &err)) ||
        (rc = vg_store_crawl_new(st, "{\"bench\":\"frontier\"}", &crawl,
                                 &err))) {
        fprintf(stderr, "bench_frontier: %s\n", err.msg);
        vg_store_close(st);
        return 1;
    }
    printf("%s: %" PRIu64 " URLs over %d hosts, batches of %d\n", db, n, HOSTS,
           BATCH);
    if ((rc = add_all(st, crawl, db, n, &add_secs)) ||
        (rc = steady_state(st, crawl, n, &tm)))
        goto done;
    t = now();
    if ((rc = vg_store_frontier_counts(st, crawl, &c, &err))) {
        fprintf(stderr, "bench_frontier: counts: %s\n", err.msg);
        goto done;
    }
    printf("counts  %.2f ms: queued %" PRId64 " leased %" PRId64
           " done %" PRId64 " failed %" PRId64 " (pages %" PRId64
           ", media %" PRId64 ")\n",
           (now() - t) * 1e3, c.queued, c.leased, c.done, c.failed, c.pages,
           c.media);
    printf("summary: N %" PRIu64 "  add %.1f s  %.0f URLs/s  %.1f bytes/URL"
           "  db+wal %.1f MB  peak RSS %.1f MB\n",
           n, add_secs, (double)n / add_secs, (double)db_size(db) / (double)n,
           (double)db_size(db) / 1048576.0, (double)proc_kb("VmHWM") / 1024.0);
    printf("summary: lease %d median %.2f ms max %.2f ms; commit median"
           " %.2f ms max %.2f ms\n",
           LEASE, tm.lease_med, tm.lease_max, tm.commit_med, tm.commit_max);
done:
    vg_store_close(st);
    return rc ? 1 : 0;
}
