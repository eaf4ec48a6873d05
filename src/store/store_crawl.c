/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crawls and their durable frontier (vigil/store_crawl.h) over the backend
 * primitives: the urls table holds each canonical URL once, the frontier
 * one row per (crawl, URL) with its kind and state (queued, leased, done,
 * failed).  Adding, leasing and committing run in write transactions, so a
 * crash leaves every URL in exactly one state; a lease is handed to the
 * caller only after it is committed.  Sightings and detections are written
 * here too, inside the commit that finishes their fetch.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/store_crawl.h"

int vg_store_crawl_new(struct vg_store *st, const char *params_json,
                       int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc =
        vg__store_query(st, &s, err,
                        "INSERT INTO crawls (started_at, params) VALUES (?, ?)"
                        " RETURNING id",
                        "it", (int64_t)time(NULL),
                        params_json ? params_json : "{}");
    if (!rc && (rc = vg__store_scalar(st, s, id, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_EINTERNAL, "no id for the new crawl");
    UNLOCK(st);
    return rc;
}

int vg_store_crawl_reopen(struct vg_store *st, int64_t crawl_id,
                          int64_t *requeued, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "UPDATE frontier SET state = 'queued', lease_owner ="
                         " NULL, lease_until = NULL WHERE crawl_id = ? AND"
                         " state = 'leased'",
                         "i", crawl_id);
    if (!rc && !(rc = vg__store_run(st, s, err)) && requeued)
        *requeued = st->ops->changes(st->db);
    UNLOCK(st);
    return rc;
}

int vg_store_crawl_end(struct vg_store *st, int64_t crawl_id,
                       const char *status, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "UPDATE crawls SET status = ?, finished_at = ?"
                         " WHERE id = ?",
                         "tii", status, (int64_t)time(NULL), crawl_id);
    if (!rc && !(rc = vg__store_run(st, s, err)) &&
        st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no crawl %lld", (long long)crawl_id);
    UNLOCK(st);
    return rc;
}

static const char *kind_name(enum vg_frontier_kind k)
{
    return k == VG_FRONTIER_MEDIA ? "media" : "page";
}

/* The id of url, inserting it if new (inside the caller's transaction). */
/*
 * Found URLs go in ADD_ROWS at a time: one multi-row INSERT into urls, one
 * SELECT of their ids, one multi-row INSERT into frontier, where a URL
 * each once would take three statements (three round trips to
 * PostgreSQL).  A chunk that is short is padded with its last row again
 * (ON CONFLICT DO NOTHING makes a repeat a no-op), so the statements are
 * always the same three and stay prepared.  Rows go in URL order, so two
 * crawl workers' commits lock urls' and frontier's rows in one order.
 */
#define ADD_ROWS 64

static int add_cmp(const void *a, const void *b)
{
    const struct vg_frontier_url *x = *(
                                     const struct vg_frontier_url *const *)a,
                                 *y = *(
                                     const struct vg_frontier_url *const *)b;

    return strcmp(x->url, y->url);
}

/* "head(?, ..., ?), (...) ... tail" with ADD_ROWS groups of k marks */
static char *rows_sql(const char *head, int k, const char *tail)
{
    struct vg_buf b;
    int bad;

    vg_buf_init(&b, 1 << 16);
    bad = vg_buf_puts(&b, head);
    for (int r = 0; r < ADD_ROWS && !bad; r++) {
        bad = vg_buf_puts(&b, r ? ", (" : "(");
        for (int i = 0; i < k && !bad; i++)
            bad = vg_buf_puts(&b, i ? ", ?" : "?");
        if (!bad)
            bad = vg_buf_puts(&b, ")");
    }
    if (bad || vg_buf_puts(&b, tail) || vg_buf_append(&b, "", 1)) {
        vg_buf_fini(&b);
        return NULL;
    }
    return b.data;
}

/* Unless bound (a bind's failure) says otherwise, step s, a statement
 * that returns no rows; finalize it either way. */
static int run_rows(struct vg_store *st, struct vg__stmt *s, int bound,
                    int64_t *changed, struct vg_err *err)
{
    int rc = bound ? VG_ENOMEM : st->ops->step(s, err);

    if (changed)
        *changed = st->ops->changes(st->db);
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

/* The ids of the chunk's URLs (u[i]'s in id[i]), after their INSERT. */
static int chunk_ids(struct vg_store *st, const struct vg_frontier_url **u,
                     size_t m, int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char *sql = rows_sql("SELECT id, url FROM urls WHERE url IN (", 1, ")");
    int rc;

    if (!sql)
        return VG_ENOMEM;
    /* one IN list of ADD_ROWS marks: rows_sql's groups are "(?)" */
    for (char *p = sql; *p; p++)
        if (p[0] == '(' && p[1] == '?' && p[2] == ')')
            p[0] = ' ', p[2] = ' ';
    rc = st->ops->prepare(st->db, sql, &s, err);
    vg_free(sql);
    for (int r = 0; !rc && r < ADD_ROWS; r++)
        rc = st->ops->bind_text(s, r + 1,
                                u[(size_t)r < m ? (size_t)r : m - 1]->url);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *url = st->ops->col_text(s, 1);
        rc = VG_OK;
        for (size_t i = 0; url && i < m; i++)
            if (!strcmp(u[i]->url, url))
                id[i] = st->ops->col_int(s, 0);
    }
    st->ops->finalize(s);
    if (rc != VG__DONE && rc)
        return rc;
    for (size_t i = 0; i < m; i++)
        if (!id[i])
            return vg_err_set(err, VG_EINTERNAL, "URL not stored");
    return VG_OK;
}

/* Add the chunk u[0..m) (1 <= m <= ADD_ROWS); *count += the new ones. */
static int add_chunk(struct vg_store *st, int64_t crawl_id,
                     const struct vg_frontier_url **u, size_t m, int64_t now,
                     size_t *count, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t id[ADD_ROWS] = {0}, changed = 0;
    char *sql = rows_sql("INSERT INTO urls (url, host, first_seen_at) VALUES ",
                         3, " ON CONFLICT (url) DO NOTHING");
    int rc;

    int bad = 0;

    if (!sql)
        return VG_ENOMEM;
    rc = st->ops->prepare(st->db, sql, &s, err);
    vg_free(sql);
    if (rc)
        return rc;
    for (int r = 0; !bad && r < ADD_ROWS; r++) {
        const struct vg_frontier_url *x = u[(size_t)r < m ? (size_t)r : m - 1];
        bad = st->ops->bind_text(s, 3 * r + 1, x->url) ||
              st->ops->bind_text(s, 3 * r + 2, x->host) ||
              st->ops->bind_int(s, 3 * r + 3, now);
    }
    if ((rc = run_rows(st, s, bad, NULL, err)) ||
        (rc = chunk_ids(st, u, m, id, err)))
        return rc;
    if (!(sql = rows_sql("INSERT INTO frontier (crawl_id, url_id, host,"
                         " priority, depth, parent_url_id, kind, offsite,"
                         " host_seq) VALUES ",
                         9, " ON CONFLICT (crawl_id, url_id) DO NOTHING")))
        return VG_ENOMEM;
    rc = st->ops->prepare(st->db, sql, &s, err);
    vg_free(sql);
    if (rc)
        return rc;
    for (int r = 0; !bad && r < ADD_ROWS; r++) {
        size_t i = (size_t)r < m ? (size_t)r : m - 1;
        const struct vg_frontier_url *x = u[i];
        int k = 9 * r;
        bad = st->ops->bind_int(s, k + 1, crawl_id) ||
              st->ops->bind_int(s, k + 2, id[i]) ||
              st->ops->bind_text(s, k + 3, x->host) ||
              st->ops->bind_int(s, k + 4, x->priority) ||
              st->ops->bind_int(s, k + 5, x->depth) ||
              (x->parent_url_id ? st->ops->bind_int(s, k + 6, x->parent_url_id)
                                : st->ops->bind_text(s, k + 6, NULL)) ||
              st->ops->bind_text(s, k + 7, kind_name(x->kind)) ||
              st->ops->bind_int(s, k + 8, x->offsite) ||
              st->ops->bind_int(s, k + 9, x->host_seq);
    }
    if ((rc = run_rows(st, s, bad, &changed, err)))
        return rc;
    *count += (size_t)changed;
    return VG_OK;
}

/* Add n URLs inside the caller's transaction. */
static int add_urls(struct vg_store *st, int64_t crawl_id,
                    const struct vg_frontier_url *v, size_t n, size_t *added,
                    struct vg_err *err)
{
    const struct vg_frontier_url **u;
    int64_t now = (int64_t)time(NULL);
    size_t count = 0;
    int rc = VG_OK;

    if (!n) {
        if (added)
            *added = 0;
        return VG_OK;
    }
    if (!(u = vg_mallocarray(n, sizeof(*u))))
        return VG_ENOMEM;
    for (size_t i = 0; i < n; i++)
        u[i] = &v[i];
    qsort(u, n, sizeof(*u), add_cmp);
    for (size_t i = 0; i < n && !rc; i += ADD_ROWS)
        rc = add_chunk(st, crawl_id, u + i,
                       n - i < ADD_ROWS ? n - i : ADD_ROWS, now, &count, err);
    vg_free(u);
    if (!rc && added)
        *added = count;
    return rc;
}

int vg_store_frontier_add(struct vg_store *st, int64_t crawl_id,
                          const struct vg_frontier_url *v, size_t n,
                          size_t *added, struct vg_err *err)
{
    struct vg_crawl_batch b = {.add = v, .nadd = n};

    return vg_store_crawl_commit(st, crawl_id, &b, added, err);
}

struct leased {
    int64_t url_id, parent, epoch;
    size_t url, host; /* offsets in the text buffer */
    int priority, depth, offsite;
    enum vg_frontier_kind kind;
};

/* What a lease asks for, and what it got (v: max rows, k of them). */
struct lease_req {
    int64_t crawl_id, until, now;
    const char *owner; /* NULL: the crawl's one process, no expiry */
    size_t max;
    int only_media;
    struct leased *v;
    size_t k;
    struct vg_buf text;
};

/* Read the leased rows of s (url_id, url, host, priority, depth, parent,
 * kind, offsite, epoch) into r, then finalize s. */
static int read_leased(struct vg_store *st, struct vg__stmt *s,
                       struct lease_req *r, struct vg_err *err)
{
    int rc = VG_OK;

    while (r->k < r->max && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *u = st->ops->col_text(s, 1), *h = st->ops->col_text(s, 2);
        const char *kind = st->ops->col_text(s, 6);
        struct leased *l = &r->v[r->k];

        *l = (struct leased){st->ops->col_int(s, 0),
                             st->ops->col_int(s, 5),
                             st->ops->col_int(s, 8),
                             r->text.len,
                             0,
                             (int)st->ops->col_int(s, 3),
                             (int)st->ops->col_int(s, 4),
                             (int)st->ops->col_int(s, 7),
                             kind && !strcmp(kind, "media")
                                 ? VG_FRONTIER_MEDIA
                                 : VG_FRONTIER_PAGE};
        if ((rc = vg_buf_append(&r->text, u ? u : "", strlen(u ? u : "") + 1)))
            break;
        l->host = r->text.len;
        if ((rc = vg_buf_append(&r->text, h ? h : "", strlen(h ? h : "") + 1)))
            break;
        r->k++;
    }
    if (rc == VG__DONE || rc == VG__ROW)
        rc = VG_OK;
    st->ops->finalize(s);
    return rc;
}

#define LEASE_SET_OWNER ", lease_owner = ?, lease_until = ?"
/* a plain lease on PostgreSQL may take an expired worker's: not its owner */
#define LEASE_NO_OWNER ", lease_owner = NULL, lease_until = NULL"
/* PostgreSQL: pick and lease in one statement, a worker's expired leases
 * with the queued URLs (no requeue_expired first, whose row locks two
 * workers could take in opposite orders); SKIP LOCKED lets workers on
 * several hosts lease disjoint rows at once */
/* the queued rows (by frontier_lease) and the expired leases (by
 * frontier_expiry) each picked by its own index, then the first of both:
 * one OR over the two would make PostgreSQL read the crawl's whole
 * frontier at every lease */
#define LEASE_PG_PICK(state_is)                                               \
    "SELECT crawl_id, url_id, priority, depth, kind, host_seq FROM frontier"  \
    " WHERE crawl_id = ? AND " state_is " AND not_before <= ? AND (? = 0 OR"  \
    " kind = 'media') ORDER BY priority, depth, kind, host_seq, url_id LIMIT" \
    " ? FOR UPDATE SKIP LOCKED"
#define LEASE_PG(set)                                                                                                     \
    "WITH q AS (" LEASE_PG_PICK("state = 'queued'") "), x AS (" LEASE_PG_PICK(                                            \
        "state = 'leased' AND lease_until < ?") "), picked AS"                                                            \
                                                " (SELECT crawl_id, url_id FROM (SELECT * FROM q UNION ALL SELECT * FROM" \
                                                " x) AS qx ORDER BY priority, depth, kind, host_seq, url_id LIMIT ?),"    \
                                                " took AS (UPDATE frontier f SET state ="                                 \
                                                " 'leased', attempts = f.attempts + 1" set                                \
                                                " FROM picked p WHERE"                                                    \
                                                " f.crawl_id = p.crawl_id AND f.url_id = p.url_id RETURNING f.url_id,"    \
                                                " f.host, f.priority, f.depth, f.parent_url_id, f.kind, f.offsite,"       \
                                                " f.attempts, f.host_seq) SELECT t.url_id, u.url, t.host, t.priority,"    \
                                                " t.depth, t.parent_url_id, t.kind, t.offsite, t.attempts FROM took t"    \
                                                " JOIN urls u ON u.id = t.url_id ORDER BY t.priority, t.depth, t.kind,"   \
                                                " t.host_seq, t.url_id"

static int lease_rows_pg(struct vg_store *st, struct lease_req *r,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t media = (int64_t)r->only_media, max = (int64_t)r->max;
    int rc = r->owner
                 ? vg__store_query(st, &s, err, LEASE_PG(LEASE_SET_OWNER),
                                   "iiiiiiiiiiti", r->crawl_id, r->now, media,
                                   max, r->crawl_id, r->now, r->now, media,
                                   max, max, r->owner, r->until)
                 : vg__store_query(st, &s, err, LEASE_PG(LEASE_NO_OWNER),
                                   "iiiiiiiiii", r->crawl_id, r->now, media,
                                   max, r->crawl_id, r->now, r->now, media,
                                   max, max);

    return rc ? rc : read_leased(st, s, r, err);
}

/* SQLITE-ONLY: a SELECT then an UPDATE per row, safe because the write
 * transaction excludes every other writer (and the mutex this process's
 * threads); PostgreSQL: lease_rows_pg */
static int lease_rows_sqlite(struct vg_store *st, struct lease_req *r,
                             struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(
        st, &s, err,
        "SELECT f.url_id, u.url, f.host, f.priority, f.depth, f.parent_url_id,"
        " f.kind, f.offsite, f.attempts + 1 FROM frontier f JOIN urls u ON"
        " u.id = f.url_id WHERE f.crawl_id = ? AND f.state = 'queued' AND"
        " f.not_before <= ? AND (? = 0 OR f.kind = 'media') ORDER BY"
        " f.priority, f.depth, f.kind, f.host_seq, f.url_id LIMIT ?",
        "iiii", r->crawl_id, r->now, (int64_t)r->only_media, (int64_t)r->max);

    if (rc || (rc = read_leased(st, s, r, err)))
        return rc;
    for (size_t i = 0; i < r->k && !rc; i++) {
        rc = r->owner
                 ? vg__store_query(st, &s, err,
                                   "UPDATE frontier SET state = 'leased',"
                                   " attempts = attempts + 1" LEASE_SET_OWNER
                                   " WHERE crawl_id = ? AND url_id = ?",
                                   "tiii", r->owner, r->until, r->crawl_id,
                                   r->v[i].url_id)
                 : vg__store_query(st, &s, err,
                                   "UPDATE frontier SET state = 'leased',"
                                   " attempts = attempts + 1 WHERE crawl_id"
                                   " = ? AND url_id = ?",
                                   "ii", r->crawl_id, r->v[i].url_id);
        if (!rc)
            rc = vg__store_run(st, s, err);
    }
    return rc;
}

/* SQLITE-ONLY (PostgreSQL: in LEASE_PG): a worker's leases that expired
 * go back to the queue (in the lease's transaction). */
static int requeue_expired(struct vg_store *st, int64_t crawl_id, int64_t now,
                           struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(st, &s, err,
                             "UPDATE frontier SET state = 'queued',"
                             " lease_owner = NULL, lease_until = NULL WHERE"
                             " crawl_id = ? AND state = 'leased' AND"
                             " lease_until < ?",
                             "ii", crawl_id, now);

    return rc ? rc : vg__store_run(st, s, err);
}

static int lease(struct vg_store *st, struct lease_req *r,
                 int (*cb)(void *ctx, const struct vg_frontier_lease *l),
                 void *ctx, size_t *n, struct vg_err *err)
{
    int rc;

    if (n)
        *n = 0;
    if (!r->max)
        return VG_OK;
    if (!(r->v = vg_mallocarray(r->max, sizeof(*r->v))))
        return VG_ENOMEM;
    vg_buf_init(&r->text, 0);
    LOCK(st);
    if (!(rc = vg__store_begin_crawl(st, err))) {
        if (VG__PG(st))
            rc = lease_rows_pg(st, r, err);
        else if (!r->owner ||
                 !(rc = requeue_expired(st, r->crawl_id, r->now, err)))
            rc = lease_rows_sqlite(st, r, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    for (size_t i = 0; i < r->k && !rc; i++) {
        const struct leased *v = &r->v[i];
        struct vg_frontier_lease l = {v->url_id,
                                      r->text.data + v->url,
                                      r->text.data + v->host,
                                      v->priority,
                                      v->depth,
                                      v->parent,
                                      v->kind,
                                      v->offsite,
                                      v->epoch};
        vg__store_callback_begin(); /* store.h: callbacks do not call it */
        rc = cb(ctx, &l);
        vg__store_callback_end();
    }
    if (n && !rc)
        *n = r->k;
    vg_buf_fini(&r->text);
    vg_free(r->v);
    return rc;
}

/* In the frontier_lease index's order: 'media' sorts before 'page', and a
 * page's media have its depth (the crawler's), so they come before deeper
 * pages. */
int vg_store_frontier_lease(struct vg_store *st, int64_t crawl_id, size_t max,
                            int only_media, int64_t now,
                            int (*cb)(void *ctx,
                                      const struct vg_frontier_lease *l),
                            void *ctx, size_t *n, struct vg_err *err)
{
    struct lease_req r = {.crawl_id = crawl_id,
                          .now = now,
                          .max = max,
                          .only_media = only_media};

    return lease(st, &r, cb, ctx, n, err);
}

int vg_store_frontier_lease_as(struct vg_store *st, int64_t crawl_id,
                               const char *owner, int64_t lease_until,
                               size_t max, int only_media, int64_t now,
                               int (*cb)(void *ctx,
                                         const struct vg_frontier_lease *l),
                               void *ctx, size_t *n, struct vg_err *err)
{
    struct lease_req r = {.crawl_id = crawl_id,
                          .until = lease_until,
                          .now = now,
                          .owner = owner,
                          .max = max,
                          .only_media = only_media};

    if (!owner)
        return vg_err_set(err, VG_EINVAL, "a lease needs its owner");
    return lease(st, &r, cb, ctx, n, err);
}

int vg_store_frontier_each(struct vg_store *st, int64_t crawl_id,
                           int (*cb)(void *ctx, const char *url,
                                     const char *host,
                                     enum vg_frontier_kind kind),
                           void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc =
        vg__store_query(st, &s, err,
                        "SELECT u.url, f.host, f.kind FROM frontier f"
                        " JOIN urls u ON u.id = f.url_id WHERE f.crawl_id = ?",
                        "i", crawl_id);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *u = st->ops->col_text(s, 0), *h = st->ops->col_text(s, 1);
        const char *kind = st->ops->col_text(s, 2);
        rc = cb(ctx, u ? u : "", h ? h : "",
                kind && !strcmp(kind, "media") ? VG_FRONTIER_MEDIA
                                               : VG_FRONTIER_PAGE);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/* Finish d inside the caller's transaction: *held 0 when a worker's
 * (owner's) lease of that epoch is no longer its own. */
static int finish_url(struct vg_store *st, int64_t crawl_id,
                      const struct vg_frontier_done *d, const char *owner,
                      int64_t epoch, int64_t now, int *held,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

#define FINISH                                                                \
    "UPDATE frontier SET state = ?, lease_owner = NULL, lease_until = NULL,"  \
    " http_status = ?, error = ?, finished_at = ? WHERE crawl_id = ? AND"     \
    " url_id = ? AND state = 'leased'"
    if ((rc = owner ? vg__store_query(st, &s, err,
                                      FINISH " AND lease_owner = ? AND"
                                             " attempts = ?",
                                      "titiiiti", d->ok ? "done" : "failed",
                                      (int64_t)d->http_status, d->error, now,
                                      crawl_id, d->url_id, owner, epoch)
                    : vg__store_query(st, &s, err, FINISH, "titiii",
                                      d->ok ? "done" : "failed",
                                      (int64_t)d->http_status, d->error, now,
                                      crawl_id, d->url_id)) ||
        (rc = vg__store_run(st, s, err)))
        return rc;
#undef FINISH
    *held = st->ops->changes(st->db) != 0;
    if (!*held && !owner)
        return vg_err_set(err, VG_ENOENT,
                          "URL %lld is not leased in crawl %lld",
                          (long long)d->url_id, (long long)crawl_id);
    return VG_OK;
}

/* Was url_id finished under a lease lost (one of lost[0..n))? */
static int was_lost(const int64_t *lost, size_t n, int64_t url_id)
{
    for (size_t i = 0; i < n; i++)
        if (lost[i] == url_id)
            return 1;
    return 0;
}

/* The done URLs finished, then the sightings of those not lost. */
static int commit_found(struct vg_store *st, int64_t crawl_id,
                        const struct vg_crawl_batch *b,
                        struct vg_crawl_holder *h, int64_t now,
                        struct vg_err *err)
{
    int64_t *lost = NULL;
    size_t nlost = 0;
    int rc = VG_OK, held = 1;

    if (h && b->ndone && !(lost = vg_mallocarray(b->ndone, sizeof(*lost))))
        return VG_ENOMEM;
    for (size_t i = 0; i < b->ndone && !rc; i++)
        if (!(rc = finish_url(st, crawl_id, &b->done[i], h ? h->owner : NULL,
                              h ? h->epochs[i] : 0, now, &held, err)) &&
            !held)
            lost[nlost++] = b->done[i].url_id;
    for (size_t i = 0; i < b->nsightings && !rc; i++)
        if (!was_lost(lost, nlost, b->sightings[i].url_id))
            rc = vg__store_sighting(st, crawl_id, &b->sightings[i], err);
    if (!rc && h)
        h->lost = nlost;
    vg_free(lost);
    return rc;
}

int vg_store_crawl_commit(struct vg_store *st, int64_t crawl_id,
                          const struct vg_crawl_batch *b, size_t *added,
                          struct vg_err *err)
{
    return vg_store_crawl_commit_as(st, crawl_id, b, NULL, added, err);
}

int vg_store_crawl_commit_as(struct vg_store *st, int64_t crawl_id,
                             const struct vg_crawl_batch *b,
                             struct vg_crawl_holder *h, size_t *added,
                             struct vg_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int rc;

    LOCK(st);
    if ((rc = vg__store_begin_crawl(st, err))) {
        UNLOCK(st);
        return rc;
    }
    if (!(rc = add_urls(st, crawl_id, b->add, b->nadd, added, err)))
        rc = commit_found(st, crawl_id, b, h, now, err);
    rc = vg__store_end(st, rc, err);
    UNLOCK(st);
    return rc;
}

/* The counts of a crawl's URLs by state and kind (store locked). */
static int count_urls(struct vg_store *st, int64_t crawl_id,
                      struct vg_frontier_counts *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = vg__store_query(st, &s, err,
                         "SELECT state, kind, COUNT(*) FROM frontier WHERE"
                         " crawl_id = ? GROUP BY state, kind",
                         "i", crawl_id);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *state = st->ops->col_text(s, 0);
        const char *kind = st->ops->col_text(s, 1);
        int64_t c = st->ops->col_int(s, 2);

        rc = VG_OK;
        if (!state)
            continue;
        if (kind && !strcmp(kind, "media"))
            out->media += c;
        else
            out->pages += c;
        if (!strcmp(state, "queued"))
            out->queued += c;
        else if (!strcmp(state, "leased"))
            out->leased += c;
        else if (!strcmp(state, "done"))
            out->done += c;
        else if (!strcmp(state, "failed"))
            out->failed += c;
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    return rc;
}

int vg_store_frontier_counts(struct vg_store *st, int64_t crawl_id,
                             struct vg_frontier_counts *out,
                             struct vg_err *err)
{
    int rc;

    LOCK(st);
    rc = count_urls(st, crawl_id, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_crawls(struct vg_store *st, int64_t id,
                    int (*cb)(void *ctx, const struct vg_crawl_info *c),
                    void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc, rows = 0;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT c.id, c.started_at, c.finished_at, c.status, c.params,"
        " (SELECT COUNT(*) FROM sightings g WHERE g.crawl_id = c.id),"
        " (SELECT COUNT(*) FROM detections d JOIN sightings g ON g.id ="
        " d.sighting_id WHERE g.crawl_id = c.id)"
        " FROM crawls c WHERE ? = 0 OR c.id = ? ORDER BY c.id DESC",
        "ii", id, id);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *status = st->ops->col_text(s, 3);
        const char *params = st->ops->col_text(s, 4);
        struct vg_crawl_info c = {
            st->ops->col_int(s, 0), st->ops->col_int(s, 1),
            st->ops->col_int(s, 2), status ? status : "",
            params ? params : "{}", st->ops->col_int(s, 5),
            st->ops->col_int(s, 6), {0, 0, 0, 0, 0, 0}};
        rows++;
        if (!(rc = count_urls(st, c.id, &c.urls, err)))
            rc = cb(ctx, &c);
    }
    if (rc == VG__DONE)
        rc = id && !rows
                 ? vg_err_set(err, VG_ENOENT, "no crawl %lld", (long long)id)
                 : VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}
