/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crawl workers (vigil/store_crawl.h, docs/FLEET-CRAWL.md): several
 * processes on one crawl share, through the store, their leases (renewed
 * while worked, queued again when they expire), each host's politeness
 * (the next request start, the transfers in flight) and robots.txt
 * answers.  Every decision is taken inside a write transaction, which
 * excludes the other writers (SQLite: BEGIN IMMEDIATE); on PostgreSQL the
 * host's and the origin's rows are also locked (FOR UPDATE) for it.
 */
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/store_crawl.h"

#define FULL_POLL_MS 50 /* ask again this soon when a host is at its limit */

int vg_store_frontier_renew(struct vg_store *st, int64_t crawl_id,
                            const char *owner, int64_t until, int64_t *n,
                            struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t held = 0;
    int rc;

    LOCK(st);
    if ((rc = vg__store_begin_crawl(st, err)))
        goto out;
    if (!(rc = vg__store_query(st, &s, err,
                               "UPDATE frontier SET lease_until = ? WHERE"
                               " crawl_id = ? AND state = 'leased' AND"
                               " lease_owner = ?",
                               "iit", until, crawl_id, owner)) &&
        !(rc = vg__store_run(st, s, err))) {
        held = st->ops->changes(st->db);
        if (!(rc = vg__store_query(st, &s, err,
                                   "UPDATE crawl_fetches SET until_at = ?"
                                   " WHERE crawl_id = ? AND owner = ?",
                                   "iit", until, crawl_id, owner)))
            rc = vg__store_run(st, s, err);
    }
    rc = vg__store_end(st, rc, err);
    if (!rc && n)
        *n = held;
out:
    UNLOCK(st);
    return rc;
}

int vg_store_frontier_release(struct vg_store *st, int64_t crawl_id,
                              const char *owner, int64_t *requeued,
                              struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t k = 0;
    int rc;

    LOCK(st);
    if ((rc = vg__store_begin_crawl(st, err)))
        goto out;
    if (!(rc = vg__store_query(st, &s, err,
                               "UPDATE frontier SET state = 'queued',"
                               " lease_owner = NULL, lease_until = NULL WHERE"
                               " crawl_id = ? AND state = 'leased' AND"
                               " lease_owner = ?",
                               "it", crawl_id, owner)) &&
        !(rc = vg__store_run(st, s, err))) {
        k = st->ops->changes(st->db);
        if (!(rc = vg__store_query(st, &s, err,
                                   "DELETE FROM crawl_fetches WHERE"
                                   " crawl_id = ? AND owner = ?",
                                   "it", crawl_id, owner)))
            rc = vg__store_run(st, s, err);
    }
    rc = vg__store_end(st, rc, err);
    if (!rc && requeued)
        *requeued = k;
out:
    UNLOCK(st);
    return rc;
}

/* ---- hosts ---- */

/*
 * *wait_ms: how long before h may start (0: now), from the host's next
 * start and its live transfers.  lock: inside the write transaction, where
 * PostgreSQL also locks the host's row.
 */
static int host_wait(struct vg_store *st, int64_t crawl_id,
                     const struct vg_host_start *h, int lock, int64_t *wait_ms,
                     struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t next = 0, live = 0;
    int rc =
        vg__store_query(st, &s, err,
                        lock && VG__PG(st)
                            ? "SELECT next_start_ms FROM crawl_hosts WHERE"
                              " crawl_id = ? AND host = ? FOR UPDATE"
                            : "SELECT next_start_ms FROM crawl_hosts WHERE"
                              " crawl_id = ? AND host = ?",
                        "it", crawl_id, h->host);

    if (rc ||
        ((rc = vg__store_scalar(st, s, &next, err)) && rc != VG_ENOENT) ||
        (rc = vg__store_query(st, &s, err,
                              "SELECT COUNT(*) FROM crawl_fetches WHERE"
                              " crawl_id = ? AND host = ? AND until_at >= ?",
                              "iti", crawl_id, h->host, h->now_ms / 1000)) ||
        (rc = vg__store_scalar(st, s, &live, err)))
        return rc;
    *wait_ms = next > h->now_ms ? next - h->now_ms
               : live >= (int64_t)(h->per_host ? h->per_host : 1)
                   ? FULL_POLL_MS
                   : 0;
    return VG_OK;
}

/* The transfer recorded and the host's next start moved (transaction). */
static int host_take(struct vg_store *st, int64_t crawl_id,
                     const struct vg_host_start *h, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              "DELETE FROM crawl_fetches WHERE crawl_id = ?"
                              " AND host = ? AND until_at < ?",
                              "iti", crawl_id, h->host, h->now_ms / 1000)) ||
        (rc = vg__store_run(st, s, err)) ||
        (rc = vg__store_query(st, &s, err,
                              "INSERT INTO crawl_fetches (crawl_id, owner,"
                              " seq, host, until_at) VALUES (?, ?, ?, ?, ?)",
                              "ititi", crawl_id, h->owner, h->seq, h->host,
                              h->until_at)) ||
        (rc = vg__store_run(st, s, err)) ||
        (rc = vg__store_query(st, &s, err,
                              "UPDATE crawl_hosts SET next_start_ms = ?"
                              " WHERE crawl_id = ? AND host = ?",
                              "iit", h->now_ms + h->delay_ms, crawl_id,
                              h->host)))
        return rc;
    return vg__store_run(st, s, err);
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vg_store_host_start(struct vg_store *st, int64_t crawl_id,
                        const struct vg_host_start *hs, int64_t *wait_ms,
                        struct vg_err *err)
{
    struct vg_host_start h1 = *hs, *h = &h1;
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    /* a look first, without the write lock: most answers are "wait" */
    if (!hs->now_ms)
        h->now_ms = wall_ms();
    if ((rc = host_wait(st, crawl_id, h, 0, wait_ms, err)) || *wait_ms ||
        (rc = vg__store_begin_crawl(st, err)))
        goto out;
    /* the time the transfer starts: after the wait for the write lock */
    if (!hs->now_ms)
        h->now_ms = wall_ms();
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO crawl_hosts (crawl_id, host)"
                               " VALUES (?, ?) ON CONFLICT (crawl_id, host)"
                               " DO NOTHING",
                               "it", crawl_id, h->host)) &&
        !(rc = vg__store_run(st, s, err)) &&
        !(rc = host_wait(st, crawl_id, h, 1, wait_ms, err)) && !*wait_ms)
        rc = host_take(st, crawl_id, h, err);
    rc = vg__store_end(st, rc, err);
out:
    UNLOCK(st);
    return rc;
}

int vg_store_host_end(struct vg_store *st, int64_t crawl_id, const char *owner,
                      int64_t seq, const char *host, int64_t not_before_ms,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if ((rc = vg__store_begin_crawl(st, err)))
        goto out;
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM crawl_fetches WHERE crawl_id = ?"
                               " AND owner = ? AND seq = ?",
                               "iti", crawl_id, owner, seq)) &&
        !(rc = vg__store_run(st, s, err)) && not_before_ms > 0 &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE crawl_hosts SET next_start_ms = ?"
                               " WHERE crawl_id = ? AND host = ? AND"
                               " next_start_ms < ?",
                               "iiti", not_before_ms, crawl_id, host,
                               not_before_ms)))
        rc = vg__store_run(st, s, err);
    rc = vg__store_end(st, rc, err);
out:
    UNLOCK(st);
    return rc;
}

/* ---- robots.txt ---- */

struct robots_ask {
    const char *owner;
    int64_t now, fresh_from, claim_until;
    int (*cb)(void *ctx, const struct vg_robots_rec *r);
    void *ctx;
    enum vg_robots_claim out;
};

/* Read the origin's row (locked on PostgreSQL) and decide (transaction). */
static int robots_decide(struct vg_store *st, int64_t crawl_id,
                         const char *origin, struct robots_ask *a,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(
        st, &s, err,
        VG__PG(st) ? "SELECT fetched_at, status, body, error, claim_owner,"
                     " claim_until FROM crawl_robots WHERE crawl_id = ? AND"
                     " origin = ? FOR UPDATE"
                   : "SELECT fetched_at, status, body, error, claim_owner,"
                     " claim_until FROM crawl_robots WHERE crawl_id = ? AND"
                     " origin = ?",
        "it", crawl_id, origin);

    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        int64_t fetched = st->ops->col_int(s, 0);
        const char *claim = st->ops->col_text(s, 4);
        struct vg_robots_rec r = {fetched, (long)st->ops->col_int(s, 1), NULL,
                                  0, st->ops->col_text(s, 3)};
        rc = VG_OK;
        if (fetched > 0 && fetched >= a->fresh_from) {
            r.body = st->ops->col_blob(s, 2, &r.len);
            a->out = VG_ROBOTS_HAVE;
            rc = a->cb(a->ctx, &r);
        } else if (claim && strcmp(claim, a->owner) &&
                   st->ops->col_int(s, 5) >= a->now) {
            a->out = VG_ROBOTS_WAIT;
        } else {
            a->out = VG_ROBOTS_FETCH;
        }
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_EINTERNAL, "no robots.txt row");
    }
    st->ops->finalize(s);
    if (rc || a->out != VG_ROBOTS_FETCH)
        return rc;
    if (!(rc = vg__store_query(st, &s, err,
                               "UPDATE crawl_robots SET claim_owner = ?,"
                               " claim_until = ? WHERE crawl_id = ? AND"
                               " origin = ?",
                               "tiit", a->owner, a->claim_until, crawl_id,
                               origin)))
        rc = vg__store_run(st, s, err);
    return rc;
}

int vg_store_robots_claim(struct vg_store *st, int64_t crawl_id,
                          const char *origin, const char *owner, int64_t now,
                          int64_t fresh_from, int64_t claim_until,
                          int (*cb)(void *ctx, const struct vg_robots_rec *r),
                          void *ctx, enum vg_robots_claim *out,
                          struct vg_err *err)
{
    struct robots_ask a = {owner, now, fresh_from,    claim_until,
                           cb,    ctx, VG_ROBOTS_WAIT};
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if ((rc = vg__store_begin_crawl(st, err)))
        goto out;
    /* the row first, so that the claim is an UPDATE of a row held */
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO crawl_robots (crawl_id, origin)"
                               " VALUES (?, ?) ON CONFLICT (crawl_id, origin)"
                               " DO NOTHING",
                               "it", crawl_id, origin)) &&
        !(rc = vg__store_run(st, s, err)))
        rc = robots_decide(st, crawl_id, origin, &a, err);
    rc = vg__store_end(st, rc, err);
    if (!rc)
        *out = a.out;
out:
    UNLOCK(st);
    return rc;
}

int vg_store_robots_put(struct vg_store *st, int64_t crawl_id,
                        const char *origin, const struct vg_robots_rec *r,
                        struct vg_err *err)
{
    static const uint8_t none[1];
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "INSERT INTO crawl_robots (crawl_id, origin, fetched_at, status, body,"
        " error) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (crawl_id, origin) DO"
        " UPDATE SET fetched_at = excluded.fetched_at, status ="
        " excluded.status, body = excluded.body, error = excluded.error,"
        " claim_owner = NULL, claim_until = 0",
        "itiibt", crawl_id, origin, r->fetched_at, (int64_t)r->status,
        r->body ? r->body : none, r->len, r->error);
    if (!rc)
        rc = vg__store_run(st, s, err);
    UNLOCK(st);
    return rc;
}
