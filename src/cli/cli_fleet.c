/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil fleet status`: the processes sharing one store (vigil/store_fleet.h)
 * as their heartbeats show them (alive when the last beat is within three
 * of the node's intervals, else stale, with its age), the leased jobs with
 * their holder and time left, and the frontier of every crawl not
 * finished.  Read-only: it takes no lease and writes no row.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/store_crawl.h"
#include "vigil/store_fleet.h"

#define RUNS 20 /* the last runs shown by default */

static void fleet_usage(FILE *f)
{
    fprintf(
        f, "Usage: vigil fleet status [--db URL] [--json] [--runs N | --all]\n"
           "\n"
           "The Vigil processes sharing the database (nodes: vigil serve,\n"
           "vigil crawl), each alive while it beats (within three of its\n"
           "heartbeat intervals) or stale, with the age of its last beat,\n"
           "its roles and status; the leased jobs (the notice cycles),\n"
           "held by one node until a time or free and due at one; the\n"
           "URLs of every crawl not finished: queued, leased, done, failed;\n"
           "and the last 20 runs of leased jobs, with their node and times,\n"
           "headed \"recent runs: 20 of N\" (N the runs recorded).\n"
           "\n"
           "  --json    one JSON object: nodes, leases, crawls, runs,\n"
           "            runs_total\n"
           "  --runs N  the last N runs (1-1000000) instead of 20\n"
           "  --all     every run\n"
           "\n"
           "Exit status: 0, 1 when the store cannot be read, 2 for a bad\n"
           "option.\n");
}

static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int alive(const struct vg_node *n, int64_t now)
{
    return now - n->heartbeat_ms <= 3 * n->beat_ms;
}

static int add_crawl(void *ctx, const struct vg_crawl_info *c)
{
    json_t *crawls = ctx;

    if (strcmp(c->status, "finished"))
        json_array_append_new(crawls,
                              json_pack("{sI ss sI sI sI sI}", "id",
                                        (json_int_t)c->id, "status", c->status,
                                        "queued", (json_int_t)c->urls.queued,
                                        "leased", (json_int_t)c->urls.leased,
                                        "done", (json_int_t)c->urls.done,
                                        "failed", (json_int_t)c->urls.failed));
    return VG_OK;
}

static json_t *nodes_json(const struct vg_nodes *ns, int64_t now)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < ns->n; i++) {
        const struct vg_node *n = &ns->v[i];
        json_array_append_new(
            a,
            json_pack("{ss ss sI ss ss sI sI sI ss ss}", "id", n->id,
                      "hostname", n->hostname, "pid", (json_int_t)n->pid,
                      "roles", n->roles, "version", n->version, "started_ms",
                      (json_int_t)n->started_ms, "heartbeat_ms",
                      (json_int_t)n->heartbeat_ms, "age_ms",
                      (json_int_t)(now - n->heartbeat_ms), "state",
                      alive(n, now) ? "alive" : "stale", "status", n->status));
    }
    return a;
}

static json_t *leases_json(const struct vg_job_leases *ls, int64_t now)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < ls->n; i++) {
        const struct vg_job_lease *l = &ls->v[i];
        int64_t left = l->until_ms > now ? l->until_ms - now : 0;
        json_array_append_new(a, json_pack("{ss ss? sI sI}", "name", l->name,
                                           "holder",
                                           *l->holder ? l->holder : NULL,
                                           "until_ms", (json_int_t)l->until_ms,
                                           "left_ms", (json_int_t)left));
    }
    return a;
}

static json_t *runs_json(const struct vg_job_runs *rs)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < rs->n; i++) {
        const struct vg_job_run *r = &rs->v[i];
        json_array_append_new(
            a, json_pack("{sI ss ss sI so ss?}", "id", (json_int_t)r->id,
                         "name", r->name, "holder", r->holder, "started_ms",
                         (json_int_t)r->started_ms, "ended_ms",
                         r->ended_ms ? json_integer(r->ended_ms) : json_null(),
                         "outcome", r->outcome));
    }
    return a;
}

static void print_runs(json_t *runs, json_t *total)
{
    size_t i;
    json_t *v;

    printf("recent runs: %zu of %lld\n", json_array_size(runs),
           (long long)json_integer_value(total));
    json_array_foreach (runs, i, v) {
        json_t *end = json_object_get(v, "ended_ms");
        long long start = (long long)json_integer_value(
            json_object_get(v, "started_ms"));
        if (json_is_integer(end))
            printf("  %s by %s, %.1f s, %s\n",
                   json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "holder")),
                   (double)(json_integer_value(end) - start) / 1000,
                   json_string_value(json_object_get(v, "outcome")));
        else
            printf("  %s by %s, not ended (running, or its node died)\n",
                   json_string_value(json_object_get(v, "name")),
                   json_string_value(json_object_get(v, "holder")));
    }
}

static void print_text(json_t *nodes, json_t *leases, json_t *crawls)
{
    size_t i;
    json_t *v;

    printf("nodes: %zu\n", json_array_size(nodes));
    json_array_foreach (nodes, i, v) {
        printf("  %s  %s, %s, beat %.1f s ago, pid %lld on %s, vigil %s\n"
               "    %s\n",
               json_string_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "state")),
               json_string_value(json_object_get(v, "roles")),
               (double)json_integer_value(json_object_get(v, "age_ms")) / 1000,
               (long long)json_integer_value(json_object_get(v, "pid")),
               json_string_value(json_object_get(v, "hostname")),
               json_string_value(json_object_get(v, "version")),
               json_string_value(json_object_get(v, "status")));
    }
    printf("leases: %zu\n", json_array_size(leases));
    json_array_foreach (leases, i, v) {
        const char *h = json_string_value(json_object_get(v, "holder"));
        double left =
            (double)json_integer_value(json_object_get(v, "left_ms")) / 1000;
        if (h)
            printf("  %s  held by %s, %.1f s left\n",
                   json_string_value(json_object_get(v, "name")), h, left);
        else
            printf("  %s  free, due in %.1f s\n",
                   json_string_value(json_object_get(v, "name")), left);
    }
    printf("crawls not finished: %zu\n", json_array_size(crawls));
    json_array_foreach (crawls, i, v) {
        printf("  crawl %lld: %s, URLs %lld queued, %lld leased, %lld done,"
               " %lld failed\n",
               (long long)json_integer_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "status")),
               (long long)json_integer_value(json_object_get(v, "queued")),
               (long long)json_integer_value(json_object_get(v, "leased")),
               (long long)json_integer_value(json_object_get(v, "done")),
               (long long)json_integer_value(json_object_get(v, "failed")));
    }
}

static int status(const char *db, int json, int64_t nruns)
{
    struct vg_store *st = NULL;
    struct vg_nodes *ns = NULL;
    struct vg_job_leases *ls = NULL;
    struct vg_job_runs *rs = NULL;
    struct vg_err err = {0};
    json_t *crawls = json_array(), *out = NULL;
    int64_t now;
    int rc;

    if (!crawls || vg_cli_open_store_audit("fleet status", db, NULL, NULL, 0,
                                           &st, NULL)) {
        json_decref(crawls);
        return VG_EXIT_FAIL;
    }
    if (!(rc = vg_store_nodes(st, &ns, &err)) &&
        !(rc = vg_store_job_leases(st, &ls, &err)) &&
        !(rc = vg_store_job_runs(st, nruns, &rs, &err)))
        rc = vg_store_crawls(st, 0, add_crawl, crawls, &err);
    now = now_ms();
    if (!rc) {
        out = json_pack("{so so so sI so}", "nodes", nodes_json(ns, now),
                        "leases", leases_json(ls, now), "runs", runs_json(rs),
                        "runs_total", (json_int_t)rs->total, "crawls", crawls);
        crawls = NULL; /* json_pack took it, or failed and freed it */
        if (!out)
            rc = VG_ENOMEM;
    }
    if (rc) {
        vg_cli_errorf("fleet status: %s",
                      err.msg[0] ? err.msg : vg_strerror(rc));
    } else if (json) {
        vg_cli_json_value(stdout, out);
        out = NULL;
    } else {
        print_text(json_object_get(out, "nodes"),
                   json_object_get(out, "leases"),
                   json_object_get(out, "crawls"));
        print_runs(json_object_get(out, "runs"),
                   json_object_get(out, "runs_total"));
    }
    json_decref(out);
    json_decref(crawls);
    vg_nodes_free(ns);
    vg_job_leases_free(ls);
    vg_job_runs_free(rs);
    vg_store_close(st);
    return rc ? VG_EXIT_FAIL : VG_EXIT_OK;
}

int vg_cli_fleet(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'J'},
        {"runs", required_argument, NULL, 'r'},
        {"all", no_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL;
    long long nruns = RUNS;
    int c, json = 0;

    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fleet_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VG_EXIT_USAGE : VG_EXIT_OK;
    }
    if (strcmp(argv[1], "status")) {
        vg_cli_errorf("fleet: unknown action '%s'", argv[1]);
        fleet_usage(stderr);
        return VG_EXIT_USAGE;
    }
    argc--, argv++;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'd') {
            db = optarg;
        } else if (c == 'J') {
            json = 1;
        } else if (c == 'r') {
            if (vg_cli_parse_range("fleet status", "--runs", optarg, 1,
                                   1000000, &nruns))
                return VG_EXIT_USAGE;
        } else if (c == 'a') {
            nruns = INT64_MAX;
        } else if (c == 'h') {
            fleet_usage(stdout);
            return VG_EXIT_OK;
        } else {
            vg_cli_bad_option("fleet status", argv);
            return VG_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        vg_cli_errorf("fleet status: unexpected '%s'", argv[optind]);
        return VG_EXIT_USAGE;
    }
    return status(db, json, (int64_t)nruns);
}
