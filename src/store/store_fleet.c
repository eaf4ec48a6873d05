/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The fleet's rows (vigil/store_fleet.h): nodes with their heartbeats,
 * leased jobs and their runs.  A lease is taken by one upsert that writes
 * only when the row is free, expired or the taker's, and says so by
 * returning a row; both backends accept it as written (ON CONFLICT ...
 * DO UPDATE ... WHERE, RETURNING), and it needs no session state, so it
 * holds through a pooler in transaction mode (docs/FLEET.md).  Taking a
 * lease and recording its run, and releasing it and ending the run, are
 * each one write transaction.
 */
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_fleet.h"

#define DAY_MS (86400 * (int64_t)1000)

/* s has at most max bytes and no control characters. */
static int line_ok(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (!s || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

int vg_store_node_beat(struct vg_store *st, const struct vg_node *n,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if (!line_ok(n->id, VG_NODE_ID_MAX) || !*n->id ||
        !line_ok(n->hostname, VG_NODE_ID_MAX) ||
        !line_ok(n->roles, VG_NODE_ID_MAX) ||
        !line_ok(n->version, VG_NODE_ID_MAX) ||
        !line_ok(n->status, VG_NODE_STATUS_MAX))
        return vg_err_set(err, VG_EINVAL,
                          "a node's id, host, roles, version and status are"
                          " lines of at most %d and %d bytes",
                          VG_NODE_ID_MAX, VG_NODE_STATUS_MAX);
    LOCK(st);
    rc = VG_OK;
    if (n->started_ms == n->heartbeat_ms &&
        !(rc = vg__store_query(st, &s, err,
                               "DELETE FROM nodes WHERE heartbeat_ms < ?", "i",
                               n->heartbeat_ms - DAY_MS)))
        rc = vg__store_run(st, s, err);
    if (!rc &&
        !(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO nodes (id, hostname, pid, roles, version,"
              " started_ms, heartbeat_ms, beat_ms, status)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
              " ON CONFLICT (id) DO UPDATE SET roles = excluded.roles,"
              " heartbeat_ms = excluded.heartbeat_ms,"
              " beat_ms = excluded.beat_ms, status = excluded.status",
              "ttittiiit", n->id, n->hostname, n->pid, n->roles, n->version,
              n->started_ms, n->heartbeat_ms, n->beat_ms, n->status)))
        rc = vg__store_run(st, s, err);
    UNLOCK(st);
    return rc;
}

int vg_store_node_gone(struct vg_store *st, const char *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err, "DELETE FROM nodes WHERE id = ?",
                               "t", id)))
        rc = vg__store_run(st, s, err);
    UNLOCK(st);
    return rc;
}

static void node_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                     struct vg_store_strings **pool, int *oom)
{
    struct vg_node *n = elem;

    n->id = VG__TEXT(0);
    n->hostname = VG__TEXT(1);
    n->pid = st->ops->col_int(s, 2);
    n->roles = VG__TEXT(3);
    n->version = VG__TEXT(4);
    n->started_ms = st->ops->col_int(s, 5);
    n->heartbeat_ms = st->ops->col_int(s, 6);
    n->beat_ms = st->ops->col_int(s, 7);
    n->status = VG__TEXT(8);
}

int vg_store_nodes(struct vg_store *st, struct vg_nodes **out,
                   struct vg_err *err)
{
    struct vg_nodes *l = vg_calloc(1, sizeof(*l));
    int rc;

    *out = NULL;
    if (!l)
        return VG_ENOMEM;
    rc = vg__store_list(st, &l->v, &l->n, sizeof(*l->v), node_row, &l->strings,
                        err,
                        "SELECT id, hostname, pid, roles, version, started_ms,"
                        " heartbeat_ms, beat_ms, status FROM nodes"
                        " ORDER BY id",
                        "");
    if (rc) {
        vg_nodes_free(l);
        return rc;
    }
    *out = l;
    return VG_OK;
}

void vg_nodes_free(struct vg_nodes *n)
{
    if (!n)
        return;
    vg__store_strings_free(n->strings);
    vg_free(n->v);
    vg_free(n);
}

int vg_store_job_take(struct vg_store *st, const char *name,
                      const char *holder, int64_t now_ms, int64_t until_ms,
                      int *taken, int64_t *run_id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t v = 0, id = 0;
    int rc, got = 0;

    *taken = 0;
    if (!holder || !*holder)
        return vg_err_set(err, VG_EINVAL, "a lease needs a holder");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    /* no row back: the update's WHERE refused, someone else holds it */
    if (!(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO job_leases (name, holder, until_ms)"
              " VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET"
              " holder = excluded.holder, until_ms = excluded.until_ms"
              " WHERE job_leases.until_ms < ? OR job_leases.holder = ?"
              " RETURNING until_ms",
              "ttiit", name, holder, until_ms, now_ms, holder)))
        rc = vg__store_scalar(st, s, &v, err);
    if (rc == VG_ENOENT) {
        rc = VG_OK;
    } else if (!rc) {
        got = 1;
        if (run_id && !(rc = vg__store_query(st, &s, err,
                                             "INSERT INTO job_runs (name,"
                                             " holder, started_ms)"
                                             " VALUES (?, ?, ?) RETURNING id",
                                             "tti", name, holder, now_ms)))
            rc = vg__store_scalar(st, s, &id, err);
    }
    if (!(rc = vg__store_end(st, rc, err))) {
        *taken = got;
        if (got && run_id)
            *run_id = id;
    }
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_job_release(struct vg_store *st, const char *name,
                         const char *holder, int64_t run_id, int64_t now_ms,
                         int64_t next_ms, const char *outcome, int *held,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t changed = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc =
              vg__store_query(st, &s, err,
                              "UPDATE job_leases SET holder = '', until_ms = ?"
                              " WHERE name = ? AND holder = ?",
                              "itt", next_ms, name, holder)) &&
        !(rc = vg__store_run(st, s, err)))
        changed = st->ops->changes(st->db);
    if (!rc && run_id &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE job_runs SET ended_ms = ?, outcome = ?"
                               " WHERE id = ?",
                               "iti", now_ms, outcome, run_id)))
        rc = vg__store_run(st, s, err);
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "DELETE FROM job_runs WHERE name = ?"
                                      " AND started_ms < ?",
                                      "ti", name, now_ms - 30 * DAY_MS)))
        rc = vg__store_run(st, s, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc && held)
        *held = changed > 0;
    return rc;
}

static void lease_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                      struct vg_store_strings **pool, int *oom)
{
    struct vg_job_lease *l = elem;

    l->name = VG__TEXT(0);
    l->holder = VG__TEXT(1);
    l->until_ms = st->ops->col_int(s, 2);
}

int vg_store_job_leases(struct vg_store *st, struct vg_job_leases **out,
                        struct vg_err *err)
{
    struct vg_job_leases *l = vg_calloc(1, sizeof(*l));
    int rc;

    *out = NULL;
    if (!l)
        return VG_ENOMEM;
    rc = vg__store_list(st, &l->v, &l->n, sizeof(*l->v), lease_row,
                        &l->strings, err,
                        "SELECT name, holder, until_ms FROM job_leases"
                        " ORDER BY name",
                        "");
    if (rc) {
        vg_job_leases_free(l);
        return rc;
    }
    *out = l;
    return VG_OK;
}

void vg_job_leases_free(struct vg_job_leases *l)
{
    if (!l)
        return;
    vg__store_strings_free(l->strings);
    vg_free(l->v);
    vg_free(l);
}

static void run_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                    struct vg_store_strings **pool, int *oom)
{
    struct vg_job_run *r = elem;

    r->id = st->ops->col_int(s, 0);
    r->name = VG__TEXT(1);
    r->holder = VG__TEXT(2);
    r->started_ms = st->ops->col_int(s, 3);
    r->ended_ms = st->ops->col_int(s, 4); /* NULL reads 0 */
    r->outcome = VG__TEXT(5);
}

static int runs_total(struct vg_store *st, int64_t *total, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err, "SELECT COUNT(*) FROM job_runs", "");
    if (!rc)
        rc = vg__store_scalar(st, s, total, err);
    UNLOCK(st);
    return rc;
}

int vg_store_job_runs(struct vg_store *st, int64_t max,
                      struct vg_job_runs **out, struct vg_err *err)
{
    struct vg_job_runs *r = vg_calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    if (!r)
        return VG_ENOMEM;
    rc = vg__store_list(st, &r->v, &r->n, sizeof(*r->v), run_row, &r->strings,
                        err,
                        "SELECT id, name, holder, started_ms, ended_ms,"
                        " outcome FROM job_runs ORDER BY id DESC LIMIT ?",
                        "i", max);
    if (!rc)
        rc = runs_total(st, &r->total, err);
    if (rc) {
        vg_job_runs_free(r);
        return rc;
    }
    *out = r;
    return VG_OK;
}

void vg_job_runs_free(struct vg_job_runs *r)
{
    if (!r)
        return;
    vg__store_strings_free(r->strings);
    vg_free(r->v);
    vg_free(r);
}
