/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): the fleet, several Vigil processes on one
 * database.  Each process is a node that beats (its row's heartbeat_ms)
 * every few seconds while it runs; a job that exactly one node may run at
 * a time (a notice cycle) is a leased row, taken by one statement that
 * only succeeds when the lease is free, expired or already the caller's,
 * and each run of a job is recorded with its holder, start and end.
 * Times are milliseconds since the epoch, given by the caller (no clock
 * in SQL: every node's clock is its own, so leases are long against clock
 * skew).  Thread safe as the store is.
 */
#ifndef VIGIL_STORE_FLEET_H
#define VIGIL_STORE_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

#define VG_NODE_ID_MAX 200     /* bytes of a node id */
#define VG_NODE_STATUS_MAX 500 /* bytes of a node's status line */

/* ---- nodes ---- */

struct vg_node {
    const char *id;       /* "host:pid:random" or the operator's name */
    const char *hostname; /* gethostname's */
    int64_t pid;
    const char *roles;   /* comma-separated: "serve,crawl,scheduler" */
    const char *version; /* the program's */
    int64_t started_ms, heartbeat_ms;
    int64_t beat_ms;    /* the node beats this often */
    const char *status; /* one line for people: "index 120 entries, ..." */
};

/*
 * Store node n's row, its heartbeat at n->heartbeat_ms (insert the first
 * time, update the roles, heartbeat and status after).  Ids, statuses and
 * roles longer than the caps above, or with control characters, are
 * VG_EINVAL.  The first beat of a node (started_ms == heartbeat_ms) also
 * forgets nodes silent for a day: their processes ended without a word.
 */
int vg_store_node_beat(struct vg_store *st, const struct vg_node *n,
                       struct vg_err *err);
/* Forget node id (a clean stop).  VG_OK even when there was none. */
int vg_store_node_gone(struct vg_store *st, const char *id,
                       struct vg_err *err);

struct vg_nodes {
    struct vg_node *v; /* by id */
    size_t n;
    struct vg_store_strings *strings;
};
/* Every node's row (vg_nodes_free). */
int vg_store_nodes(struct vg_store *st, struct vg_nodes **out,
                   struct vg_err *err);
void vg_nodes_free(struct vg_nodes *n);

/* ---- leased jobs ---- */

/*
 * Take the job name's lease for holder until until_ms, if it is free (no
 * row), expired (until_ms before now_ms) or holder's already (a renewal).
 * A released lease is free from its next_ms on (vg_store_job_release), so
 * the lease also says when the job is next due.  *taken: 1 or 0.  When
 * taken and run_id is not NULL, a run of name by holder starting at now_ms
 * is recorded and *run_id is its id (pass NULL to renew).
 */
int vg_store_job_take(struct vg_store *st, const char *name,
                      const char *holder, int64_t now_ms, int64_t until_ms,
                      int *taken, int64_t *run_id, struct vg_err *err);
/*
 * Give the lease back: free to every node from next_ms on (holder ""),
 * and run run_id (0: none) ended at now_ms with outcome ("ok", or an
 * error's words).  Runs of name that started thirty days before now_ms
 * are forgotten.  A lease holder no longer holds is left alone (*held 0;
 * held may be NULL), the run recorded all the same.
 */
int vg_store_job_release(struct vg_store *st, const char *name,
                         const char *holder, int64_t run_id, int64_t now_ms,
                         int64_t next_ms, const char *outcome, int *held,
                         struct vg_err *err);

struct vg_job_lease {
    const char *name, *holder; /* holder "": released */
    int64_t until_ms;          /* held, or not due, until then */
};
struct vg_job_leases {
    struct vg_job_lease *v; /* by name */
    size_t n;
    struct vg_store_strings *strings;
};
int vg_store_job_leases(struct vg_store *st, struct vg_job_leases **out,
                        struct vg_err *err);
void vg_job_leases_free(struct vg_job_leases *l);

struct vg_job_run {
    int64_t id;
    const char *name, *holder;
    int64_t started_ms, ended_ms; /* ended 0: running, or its holder died */
    const char *outcome;          /* NULL while not ended */
};
struct vg_job_runs {
    struct vg_job_run *v; /* newest first */
    size_t n;
    int64_t total; /* runs recorded: n of total are in v */
    struct vg_store_strings *strings;
};
/* The last max runs of every job, and how many there are in all
 * (vg_job_runs_free). */
int vg_store_job_runs(struct vg_store *st, int64_t max,
                      struct vg_job_runs **out, struct vg_err *err);
void vg_job_runs_free(struct vg_job_runs *r);

#endif
