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
static int url_id(struct vg_store *st, const struct vg_frontier_url *u,
                  int64_t now, int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              "INSERT INTO urls (url, host, first_seen_at)"
                              " VALUES (?, ?, ?) ON CONFLICT (url) DO NOTHING",
                              "tti", u->url, u->host, now)) ||
        (rc = vg__store_run(st, s, err)) ||
        (rc = vg__store_query(st, &s, err, "SELECT id FROM urls WHERE url = ?",
                              "t", u->url)))
        return rc;
    if ((rc = vg__store_scalar(st, s, id, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_EINTERNAL, "URL not stored");
    return rc;
}

/* the parent is bound as NULL (no parent) or as an id */
/* the parent is bound as NULL (no parent) or as an id */
#define FRONTIER_INSERT                                                       \
    "INSERT INTO frontier (crawl_id, url_id, host, priority, depth,"          \
    " parent_url_id, kind, offsite, host_seq) VALUES (?, ?, ?, ?, ?, ?,"      \
    " ?, ?, ?) ON CONFLICT (crawl_id, url_id) DO NOTHING"

/* Add n URLs inside the caller's transaction. */
static int add_urls(struct vg_store *st, int64_t crawl_id,
                    const struct vg_frontier_url *v, size_t n, size_t *added,
                    struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t now = (int64_t)time(NULL), id = 0;
    size_t count = 0;
    int rc = VG_OK;

    for (size_t i = 0; i < n && !rc; i++) {
        const struct vg_frontier_url *u = &v[i];
        if ((rc = url_id(st, u, now, &id, err)) ||
            (rc =
                 u->parent_url_id
                     ? vg__store_query(st, &s, err, FRONTIER_INSERT,
                                       "iitiiitii", crawl_id, id, u->host,
                                       (int64_t)u->priority, (int64_t)u->depth,
                                       u->parent_url_id, kind_name(u->kind),
                                       (int64_t)u->offsite, u->host_seq)
                     : vg__store_query(st, &s, err, FRONTIER_INSERT,
                                       "iitiittii", crawl_id, id, u->host,
                                       (int64_t)u->priority, (int64_t)u->depth,
                                       (const char *)NULL, kind_name(u->kind),
                                       (int64_t)u->offsite, u->host_seq)) ||
            (rc = vg__store_run(st, s, err)))
            break;
        count += (size_t)st->ops->changes(st->db);
    }
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
    int64_t url_id, parent;
    size_t url, host; /* offsets in the text buffer */
    int priority, depth, offsite;
    enum vg_frontier_kind kind;
};

/* In the frontier_lease index's order: 'media' sorts before 'page', and a
 * page's media have its depth (the crawler's), so they come before deeper
 * pages. */
int vg_store_frontier_lease(struct vg_store *st, int64_t crawl_id, size_t max,
                            int only_media, int64_t now,
                            int (*cb)(void *ctx,
                                      const struct vg_frontier_lease *l),
                            void *ctx, size_t *n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    struct leased *v = NULL;
    struct vg_buf text;
    size_t k = 0;
    int rc;

    if (n)
        *n = 0;
    if (!max)
        return VG_OK;
    if (!(v = vg_mallocarray(max, sizeof(*v))))
        return VG_ENOMEM;
    vg_buf_init(&text, 0);
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    /* SQLITE-ONLY: a SELECT then an UPDATE per row, safe because the write
     * transaction excludes every other writer (and the mutex this
     * process's threads); PostgreSQL: one UPDATE ... SET state = 'leased'
     * WHERE (crawl_id, url_id) IN (SELECT ... FOR UPDATE SKIP LOCKED)
     * RETURNING ..., so workers on other hosts lease disjoint rows */
    rc = vg__store_query(st, &s, err,
                         "SELECT f.url_id, u.url, f.host, f.priority, f.depth,"
                         " f.parent_url_id, f.kind, f.offsite"
                         " FROM frontier f JOIN urls u ON u.id = f.url_id"
                         " WHERE f.crawl_id = ? AND f.state = 'queued' AND"
                         " f.not_before <= ? AND (? = 0 OR f.kind = 'media')"
                         " ORDER BY f.priority, f.depth, f.kind, f.host_seq,"
                         " f.url_id LIMIT ?",
                         "iiii", crawl_id, now, (int64_t)only_media,
                         (int64_t)max);
    while (!rc && k < max && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *u = st->ops->col_text(s, 1), *h = st->ops->col_text(s, 2);
        const char *kind = st->ops->col_text(s, 6);
        v[k] = (struct leased){st->ops->col_int(s, 0),
                               st->ops->col_int(s, 5),
                               text.len,
                               0,
                               (int)st->ops->col_int(s, 3),
                               (int)st->ops->col_int(s, 4),
                               (int)st->ops->col_int(s, 7),
                               kind && !strcmp(kind, "media")
                                   ? VG_FRONTIER_MEDIA
                                   : VG_FRONTIER_PAGE};
        if ((rc = vg_buf_append(&text, u ? u : "", strlen(u ? u : "") + 1)))
            break;
        v[k].host = text.len;
        rc = vg_buf_append(&text, h ? h : "", strlen(h ? h : "") + 1);
        k++;
    }
    if (rc == VG__DONE || rc == VG__ROW)
        rc = VG_OK;
    st->ops->finalize(s);
    for (size_t i = 0; i < k && !rc; i++)
        if (!(rc =
                  vg__store_query(st, &s, err,
                                  "UPDATE frontier SET state = 'leased',"
                                  " attempts = attempts + 1 WHERE crawl_id = ?"
                                  " AND url_id = ?",
                                  "ii", crawl_id, v[i].url_id)))
            rc = vg__store_run(st, s, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    for (size_t i = 0; i < k && !rc; i++) {
        struct vg_frontier_lease l = {
            v[i].url_id,   text.data + v[i].url, text.data + v[i].host,
            v[i].priority, v[i].depth,           v[i].parent,
            v[i].kind,     v[i].offsite};
        vg__store_callback_begin(); /* store.h: callbacks do not call it */
        rc = cb(ctx, &l);
        vg__store_callback_end();
    }
    if (n && !rc)
        *n = k;
    vg_buf_fini(&text);
    vg_free(v);
    return rc;
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

static int finish_url(struct vg_store *st, int64_t crawl_id,
                      const struct vg_frontier_done *d, int64_t now,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    if ((rc = vg__store_query(
             st, &s, err,
             "UPDATE frontier SET state = ?, lease_owner = NULL, lease_until"
             " = NULL, http_status = ?, error = ?, finished_at = ? WHERE"
             " crawl_id = ? AND url_id = ? AND state = 'leased'",
             "titiii", d->ok ? "done" : "failed", (int64_t)d->http_status,
             d->error, now, crawl_id, d->url_id)) ||
        (rc = vg__store_run(st, s, err)))
        return rc;
    if (st->ops->changes(st->db) == 0)
        return vg_err_set(err, VG_ENOENT,
                          "URL %lld is not leased in crawl %lld",
                          (long long)d->url_id, (long long)crawl_id);
    return VG_OK;
}

int vg_store_crawl_commit(struct vg_store *st, int64_t crawl_id,
                          const struct vg_crawl_batch *b, size_t *added,
                          struct vg_err *err)
{
    int64_t now = (int64_t)time(NULL);
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err))) {
        UNLOCK(st);
        return rc;
    }
    rc = add_urls(st, crawl_id, b->add, b->nadd, added, err);
    for (size_t i = 0; i < b->nsightings && !rc; i++)
        rc = vg__store_sighting(st, crawl_id, &b->sightings[i], err);
    for (size_t i = 0; i < b->ndone && !rc; i++)
        rc = finish_url(st, crawl_id, &b->done[i], now, err);
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
