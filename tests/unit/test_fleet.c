/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fleet's store API (vigil/store_fleet.h), through the public store
 * only (so it runs on every backend): nodes beat, are listed and go, a
 * node silent for a day is forgotten at another's first beat; a job's
 * lease is taken by one holder at a time, renewed by it, taken over once
 * expired, released with the next run due later, and every run recorded
 * with its holder, start and end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/store.h"
#include "vigil/store_fleet.h"

static char dir[] = "/tmp/vigil-test-fleet-XXXXXX";

static struct vg_store *open_store(const char *name)
{
    char path[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};

    if (th_db_url(path, sizeof(path), dir, name))
        return NULL;
    if (vg_store_open(path, NULL, &st, &err))
        fprintf(stderr, "  open: %s\n", err.msg);
    return st;
}

static void test_nodes(void)
{
    struct vg_store *st = open_store("nodes.db");
    struct vg_nodes *ns = NULL;
    struct vg_err err = {0};
    struct vg_node a = {"host:1:aa", "host", 1,    "serve,scheduler", "0.4.0",
                        1000,        1000,   5000, "no index"};
    struct vg_node b = a, old = a, bad = a;

    TH_CHECK(st != NULL);
    if (!st)
        return;
    old.id = "gone:9:zz";
    old.started_ms = old.heartbeat_ms = 1;
    TH_EQ_INT(vg_store_node_beat(st, &old, &err), VG_OK);
    /* a's first beat, a day after old's last, forgets old */
    a.started_ms = a.heartbeat_ms = 1 + 86400 * (int64_t)1000 + 1;
    TH_EQ_INT(vg_store_node_beat(st, &a, &err), VG_OK);
    b.id = "host:2:bb";
    b.roles = "crawl";
    b.started_ms = b.heartbeat_ms = a.heartbeat_ms + 10;
    TH_EQ_INT(vg_store_node_beat(st, &b, &err), VG_OK);
    a.heartbeat_ms += 5000;
    a.status = "index 3 entries";
    TH_EQ_INT(vg_store_node_beat(st, &a, &err), VG_OK);
    TH_EQ_INT(vg_store_nodes(st, &ns, &err), VG_OK);
    TH_EQ_INT((int)ns->n, 2);
    if (ns->n == 2) {
        TH_EQ_STR(ns->v[0].id, "host:1:aa");
        TH_EQ_STR(ns->v[0].status, "index 3 entries");
        TH_CHECK(ns->v[0].heartbeat_ms == a.heartbeat_ms);
        TH_CHECK(ns->v[0].started_ms == a.started_ms);
        TH_CHECK(ns->v[0].beat_ms == 5000);
        TH_EQ_STR(ns->v[1].roles, "crawl");
        TH_CHECK(ns->v[1].pid == 1);
    }
    vg_nodes_free(ns);
    bad.id = "a\nb";
    TH_EQ_INT(vg_store_node_beat(st, &bad, &err), VG_EINVAL);
    bad.id = "";
    TH_EQ_INT(vg_store_node_beat(st, &bad, &err), VG_EINVAL);
    TH_EQ_INT(vg_store_node_gone(st, "host:1:aa", &err), VG_OK);
    TH_EQ_INT(vg_store_node_gone(st, "nobody", &err), VG_OK);
    TH_EQ_INT(vg_store_nodes(st, &ns, &err), VG_OK);
    TH_EQ_INT((int)ns->n, 1);
    vg_nodes_free(ns);
    vg_store_close(st);
}

static void test_leases(void)
{
    struct vg_store *st = open_store("leases.db");
    struct vg_job_leases *ls = NULL;
    struct vg_err err = {0};
    int64_t run = 0, run2 = 0;
    int taken = -1, held = -1;

    TH_CHECK(st != NULL);
    if (!st)
        return;
    /* free: a takes it, its run recorded */
    TH_EQ_INT(vg_store_job_take(st, "job", "a", 1000, 4000, &taken, &run,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 1);
    TH_CHECK(run > 0);
    /* held: b cannot, a renews */
    TH_EQ_INT(vg_store_job_take(st, "job", "b", 2000, 5000, &taken, &run2,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 0);
    TH_CHECK(run2 == 0);
    TH_EQ_INT(vg_store_job_take(st, "job", "a", 3000, 6000, &taken, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 1);
    TH_EQ_INT(vg_store_job_take(st, "job", "b", 5999, 9000, &taken, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 0);
    /* a dies: once expired, b takes over */
    TH_EQ_INT(vg_store_job_take(st, "job", "b", 6001, 9001, &taken, &run2,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 1);
    TH_CHECK(run2 > run);
    /* a's late release changes nothing of b's lease */
    TH_EQ_INT(vg_store_job_release(st, "job", "a", run, 6500, 20000, "ok",
                                   &held, &err),
              VG_OK);
    TH_EQ_INT(held, 0);
    TH_EQ_INT(vg_store_job_leases(st, &ls, &err), VG_OK);
    TH_EQ_INT((int)ls->n, 1);
    if (ls->n == 1) {
        TH_EQ_STR(ls->v[0].holder, "b");
        TH_CHECK(ls->v[0].until_ms == 9001);
    }
    vg_job_leases_free(ls);
    /* b ends: free from 17000 on, to everyone, b too */
    TH_EQ_INT(vg_store_job_release(st, "job", "b", run2, 7000, 17000, "ok",
                                   &held, &err),
              VG_OK);
    TH_EQ_INT(held, 1);
    TH_EQ_INT(vg_store_job_take(st, "job", "b", 8000, 11000, &taken, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 0);
    TH_EQ_INT(vg_store_job_take(st, "job", "a", 16999, 20000, &taken, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 0);
    TH_EQ_INT(vg_store_job_take(st, "job", "a", 17001, 20001, &taken, &run,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 1);
    /* another job has a lease of its own */
    TH_EQ_INT(vg_store_job_take(st, "other", "b", 17002, 20002, &taken, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(taken, 1);
    TH_EQ_INT(vg_store_job_take(st, "job", "", 1, 2, &taken, NULL, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_store_job_leases(st, &ls, &err), VG_OK);
    TH_EQ_INT((int)ls->n, 2);
    if (ls->n == 2) {
        TH_EQ_STR(ls->v[0].name, "job");
        TH_EQ_STR(ls->v[0].holder, "a");
        TH_EQ_STR(ls->v[1].name, "other");
    }
    vg_job_leases_free(ls);
    vg_store_close(st);
}

/* The runs as recorded, newest first: "holder start end outcome". */
static void test_runs(void)
{
    struct vg_store *st = open_store("leases.db");
    struct vg_job_runs *r = NULL;
    struct vg_err err = {0};
    char got[512] = "";

    TH_CHECK(st != NULL);
    if (!st)
        return;
    TH_EQ_INT(vg_store_job_runs(st, 10, &r, &err), VG_OK);
    for (size_t i = 0; r && i < r->n; i++) {
        size_t n = strlen(got);
        snprintf(got + n, sizeof(got) - n, "%s %s %lld %lld %s;", r->v[i].name,
                 r->v[i].holder, (long long)r->v[i].started_ms,
                 (long long)r->v[i].ended_ms,
                 r->v[i].outcome ? r->v[i].outcome : "-");
    }
    TH_EQ_STR(got, "job a 17001 0 -;job b 6001 7000 ok;job a 1000 6500 ok;");
    vg_job_runs_free(r);
    TH_EQ_INT(vg_store_job_runs(st, 1, &r, &err), VG_OK);
    TH_EQ_INT((int)r->n, 1);
    vg_job_runs_free(r);
    vg_store_close(st);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_nodes);
    TH_RUN(test_leases);
    TH_RUN(test_runs);
    {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
    return th_done();
}
