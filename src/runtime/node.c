/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This process as a node of the fleet (vigil/runtime.h,
 * vigil/store_fleet.h): registered at start, a heartbeat from a thread of
 * its own every beat_ms (the status line asked of the caller each time),
 * its row removed at a clean stop.  A node killed leaves its row, which
 * `vigil fleet status` shows stale once three beats are missed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "runtime/runtime_int.h"
#include "vigil/alloc.h"
#include "vigil/runtime.h"
#include "vigil/store_fleet.h"

struct vg_runtime_node {
    struct vg_store *st;
    struct vg_runtime_node_opts o;
    char id[VG_NODE_ID_MAX + 1], host[256];
    int64_t started_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int stop;
};

static int beat(struct vg_runtime_node *n, int64_t at, struct vg_err *err)
{
    char status[VG_NODE_STATUS_MAX + 1] = "";
    struct vg_node row = {n->id,      n->host,       getpid(),
                          n->o.roles, VIGIL_VERSION, n->started_ms,
                          at,         n->o.beat_ms,  status};

    if (n->o.status)
        n->o.status(n->o.status_ctx, status, sizeof(status));
    return vg_store_node_beat(n->st, &row, err);
}

static void *loop(void *arg)
{
    struct vg_runtime_node *n = arg;
    int failing = 0;

    pthread_mutex_lock(&n->lock);
    while (!n->stop) {
        struct timespec until = vg__rt_after(n->o.beat_ms);
        struct vg_err err = {0};
        int rc;

        while (!n->stop &&
               pthread_cond_timedwait(&n->wake, &n->lock, &until) != ETIMEDOUT)
            ;
        if (n->stop)
            break;
        pthread_mutex_unlock(&n->lock);
        rc = beat(n, vg__rt_now_ms(), &err);
        if (rc && !failing) /* said once, not at every beat */
            fprintf(stderr, "vigil: node %s: heartbeat: %s\n", n->id,
                    err.msg[0] ? err.msg : vg_strerror(rc));
        failing = rc != VG_OK;
        pthread_mutex_lock(&n->lock);
    }
    pthread_mutex_unlock(&n->lock);
    return NULL;
}

/* "host:pid:random", the random part so a pid reused after a restart
 * (in a container, always 1) is another node. */
static void default_id(struct vg_runtime_node *n)
{
    uint32_t r = 0;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint32_t)vg__rt_now_ms();
    snprintf(n->id, sizeof(n->id), "%.150s:%ld:%08x", n->host, (long)getpid(),
             (unsigned)r);
}

int vg_runtime_node_start(struct vg_store *st,
                          const struct vg_runtime_node_opts *o,
                          struct vg_runtime_node **out, struct vg_err *err)
{
    struct vg_runtime_node *n = vg_calloc(1, sizeof(*n));
    int rc;

    *out = NULL;
    if (!n)
        return VG_ENOMEM;
    n->st = st;
    n->o = *o;
    if (n->o.beat_ms <= 0)
        n->o.beat_ms = 5000;
    if (!n->o.roles)
        n->o.roles = "";
    if (gethostname(n->host, sizeof(n->host) - 1))
        snprintf(n->host, sizeof(n->host), "unknown");
    if (!o->name)
        default_id(n);
    else if (strlen(o->name) > VG_NODE_ID_MAX || !*o->name) {
        vg_free(n);
        return vg_err_set(err, VG_EINVAL, "a node name is 1 to %d bytes",
                          VG_NODE_ID_MAX);
    } else
        snprintf(n->id, sizeof(n->id), "%s", o->name);
    n->started_ms = vg__rt_now_ms();
    if ((rc = beat(n, n->started_ms, err))) {
        vg_free(n);
        return rc;
    }
    pthread_mutex_init(&n->lock, NULL);
    pthread_cond_init(&n->wake, NULL);
    if (pthread_create(&n->thread, NULL, loop, n)) {
        pthread_mutex_destroy(&n->lock);
        pthread_cond_destroy(&n->wake);
        vg_store_node_gone(st, n->id, NULL);
        vg_free(n);
        return vg_err_set(err, VG_EIO, "cannot start the heartbeat thread");
    }
    *out = n;
    return VG_OK;
}

const char *vg_runtime_node_id(const struct vg_runtime_node *n)
{
    return n->id;
}

void vg_runtime_node_stop(struct vg_runtime_node *n)
{
    if (!n)
        return;
    pthread_mutex_lock(&n->lock);
    n->stop = 1;
    pthread_cond_signal(&n->wake);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    vg_store_node_gone(n->st, n->id, NULL);
    pthread_mutex_destroy(&n->lock);
    pthread_cond_destroy(&n->wake);
    vg_free(n);
}
