/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil serve`'s runtime (vigil/runtime.h): the server, the crawler
 * thread, the node's heartbeat, the notice thread, the retention job and
 * the background reseal, started in that order, and the signals that end
 * them.  The stop takes the server first (no new requests), then the
 * notice cycle under way and the retention batch under way (under the
 * node's name), the node, the crawler, the reseal batch under way, and
 * frees the server last.  SIGINT and
 * SIGTERM are blocked before any thread starts, so every thread inherits
 * the mask and only the one sigwait in vg_runtime_wait takes them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/runtime.h"
#include "vigil/utc.h"

struct vg_runtime {
    struct vg_runtime_serve_opts o;
    struct vg_server_opts so;
    struct vg_server *srv;
    struct vg_runtime_node *node;
    struct vg_runtime_index *index;
    struct vg_flood *flood;
    char roles[64];
    struct vg_runtime_crawl *crawl;         /* NULL when off */
    struct vg_runtime_notices *notices;     /* NULL when off */
    struct vg_runtime_retention *retention; /* NULL when off */
    struct vg_runtime_reseal *reseal;       /* NULL when off */
    sigset_t sigs;
    int started; /* the server took requests */
};

int vg_runtime_key_file(const char *db, char *buf, size_t cap)
{
    return vg_runtime_file_beside(db, ".key", buf, cap);
}

int vg_runtime_file_beside(const char *db, const char *suffix, char *buf,
                           size_t cap)
{
    char *url = db ? NULL : vg_store_default_url();
    const char *path = db ? db : url;
    int n, rc = VG_OK;

    if (!path)
        return db ? VG_EINVAL : VG_ENOMEM;
    if (strstr(path, "://")) {
        rc = VG_EINVAL;
    } else {
        if (!strncmp(path, "sqlite:", 7))
            path += 7;
        n = snprintf(buf, cap, "%s%s", path, suffix);
        if (n < 0 || (size_t)n >= cap)
            rc = VG_ETOOBIG;
    }
    vg_free(url);
    return rc;
}

static void crawl_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "vigil: crawl: %s\n", msg);
}

/* The server's hook: analysts put entries on a list. */
static void lists_changed(void *ctx)
{
    struct vg_runtime *rt = ctx;

    vg_runtime_index_wake(rt->index);
}

/* The server's matcher: the node's index, NULL while it loads. */
static struct vg_matcher *matcher(void *ctx)
{
    struct vg_runtime *rt = ctx;

    return vg_runtime_index_matcher(rt->index);
}

/* The server's /readyz. */
static void readiness(void *ctx, struct vg_server_readiness *out)
{
    struct vg_runtime *rt = ctx;
    struct vg_runtime_index_status is;

    memset(out, 0, sizeof(*out));
    vg_runtime_index_status(rt->index, &is);
    out->index = is.loaded;
    out->index_entries = (int64_t)is.lists.entries;
    out->lists_synced_at = is.lists.synced_at_ms / 1000;
}

/* The heartbeat's status line. */
static void node_status(void *ctx, char *buf, size_t cap)
{
    struct vg_server_readiness r;
    char at[32];

    readiness(ctx, &r);
    if (r.index != 1 ||
        vg_utc_format(r.lists_synced_at, "%Y-%m-%dT%H:%M:%SZ", at, sizeof(at)))
        snprintf(buf, cap, "no index");
    else
        snprintf(buf, cap, "index %lld entries, lists synced %s",
                 (long long)r.index_entries, at);
}

static int start_node(struct vg_runtime *rt, struct vg_err *err)
{
    struct vg_runtime_node_opts no = rt->o.node;

    snprintf(rt->roles, sizeof(rt->roles), "serve%s%s",
             rt->o.crawl ? ",crawl" : "", rt->o.notices ? ",scheduler" : "");
    no.roles = rt->roles;
    no.status = node_status;
    no.status_ctx = rt;
    return vg_runtime_node_start(rt->so.store, &no, &rt->node, err);
}

static void index_log(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "vigil: %s\n", msg);
}

static int start_index(struct vg_runtime *rt, struct vg_err *err)
{
    struct vg_runtime_index_opts io;

    vg_runtime_index_opts_default(&io);
    io.log = rt->o.log ? rt->o.log : index_log;
    io.log_ctx = rt->o.log_ctx;
    return vg_runtime_index_start(rt->so.store, &io, &rt->index, err);
}

/* Flood quarantine of the entries the API's lookups return. */
static int start_flood(struct vg_runtime *rt, struct vg_err *err)
{
    struct vg_flood_opts fo;
    int rc;

    vg_flood_opts_default(&fo);
    fo.log = rt->o.log ? rt->o.log : index_log;
    fo.log_ctx = rt->o.log_ctx;
    if ((rc = vg_flood_start(rt->so.store, &fo, &rt->flood)))
        return vg_err_set(err, rc, "cannot start flood quarantine");
    rt->so.flood = rt->flood;
    return VG_OK;
}

static int start_crawl(struct vg_runtime *rt, struct vg_err *err)
{
    struct vg_runtime_crawl_opts co;

    vg_runtime_crawl_opts_default(&co);
    co.crawl.allow_private = rt->o.allow_private;
    co.crawl.proxy = rt->o.proxy;
    if (rt->o.crawl_inflight_bytes)
        co.crawl.max_inflight_bytes = rt->o.crawl_inflight_bytes;
    co.log = rt->o.log ? rt->o.log : crawl_log;
    co.log_ctx = rt->o.log_ctx;
    return vg_runtime_crawl_start(rt->so.store, vg_server_sealer(rt->srv),
                                  rt->index, &co, &rt->crawl, err);
}

int vg_runtime_serve_start(const struct vg_runtime_serve_opts *o,
                           struct vg_runtime **out, struct vg_err *err)
{
    struct vg_runtime *rt;
    int rc;

    *out = NULL;
    if (!(rt = vg_calloc(1, sizeof(*rt))))
        return VG_ENOMEM;
    rt->o = *o;
    rt->so = o->server;
    rt->so.lists_changed = lists_changed;
    rt->so.lists_changed_ctx = rt;
    rt->so.matcher = matcher;
    rt->so.matcher_ctx = rt;
    rt->so.fetch_allow_private = o->allow_private;
    rt->so.fetch_proxy = o->proxy;
    rt->so.readiness = readiness;
    rt->so.readiness_ctx = rt;
    sigemptyset(&rt->sigs);
    sigaddset(&rt->sigs, SIGINT);
    sigaddset(&rt->sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &rt->sigs, NULL);
    /* the node after the crawl, so its status reads a crawl that is
     * there; its id names the notice cycles' holder */
    if ((rc = start_index(rt, err)) || (rc = start_flood(rt, err)) ||
        (rc = vg_server_new(&rt->so, &rt->srv, err)) ||
        (o->crawl && (rc = start_crawl(rt, err))) ||
        (rc = start_node(rt, err)))
        goto fail;
    if (o->notices &&
        (rc = vg_runtime_notices_start(rt->so.store, o->notices,
                                       o->notice_interval_s,
                                       vg_runtime_node_id(rt->node),
                                       o->lease_ms, &rt->notices))) {
        vg_err_set(err, rc, "cannot start the notice scheduler");
        goto fail;
    }
    if (o->retention &&
        (rc = vg_runtime_retention_start(rt->so.store, o->retention,
                                         o->retention_interval_s,
                                         vg_runtime_node_id(rt->node),
                                         o->lease_ms, &rt->retention))) {
        vg_err_set(err, rc, "cannot start the retention job");
        goto fail;
    }
    if (o->reseal_interval_s >= 0 &&
        (rc = vg_runtime_reseal_start(rt->so.store, vg_server_sealer(rt->srv),
                                      o->reseal_interval_s, &rt->reseal))) {
        vg_err_set(err, rc, "cannot start the background reseal");
        goto fail;
    }
    if ((rc = vg_server_start(rt->srv, err)))
        goto fail;
    rt->started = 1;
    *out = rt;
    return VG_OK;
fail:
    vg_runtime_serve_stop(rt);
    return rc;
}

int vg_runtime_port(const struct vg_runtime *rt)
{
    return vg_server_port(rt->srv);
}

int vg_runtime_api_port(const struct vg_runtime *rt)
{
    return vg_server_api_port(rt->srv);
}

int vg_runtime_wait(struct vg_runtime *rt)
{
    int sig = 0;

    sigwait(&rt->sigs, &sig);
    return sig;
}

void vg_runtime_serve_stop(struct vg_runtime *rt)
{
    if (!rt)
        return;
    if (rt->started)
        vg_server_stop(rt->srv); /* no new requests; those in flight end */
    vg_runtime_notices_stop(rt->notices);     /* after the cycle under way */
    vg_runtime_retention_stop(rt->retention); /* after its batch */
    vg_runtime_node_stop(rt->node);           /* its row goes */
    vg_runtime_crawl_stop(rt->crawl);   /* what it fetched is committed */
    vg_runtime_reseal_stop(rt->reseal); /* after the batch under way */
    vg_server_free(rt->srv);            /* stores what was submitted */
    vg_flood_stop(rt->flood);           /* its last counts flushed */
    vg_runtime_index_stop(rt->index);   /* nothing uses it now */
    vg_free(rt);
}
