/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Keeping a matcher current (vigil/lists.h): the store's change log read
 * after the last change applied, each change applied to the index in
 * place, and the thread that does so on a timer.
 *
 * A change is applied by reading again what it names, so applying one
 * twice, or one whose effect the load already saw (the load reads the
 * log's head first, then the lists and entries: a change committed in
 * between is in both), gives the same matcher.  An entry is enabled or
 * disabled where the index has it and added where it has not; an import's
 * entries are added, those at or below the largest id loaded only if the
 * index lacks them.  A list deleted keeps its group, disabled, and its
 * entries, which can then match nothing (ids are never reused).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "matcher_int.h"
#include "vigil/alloc.h"
#include "vigil/store_lists.h"

#define BATCH 256 /* changes read at a time */

int64_t vg__matcher_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- applying one change ---- */

static int set_group(struct vg_matcher *m, int g, const struct vg_list *l,
                     int deleted)
{
    pthread_rwlock_wrlock(&m->lock);
    m->lists[g]->l = *l;
    m->lists[g]->deleted = deleted;
    pthread_rwlock_unlock(&m->lock);
    return vg_index_group_set(m->ix, (uint32_t)g, l->pdq_distance,
                              l->enabled && !deleted);
}

/* A list as the store has it now: updated, added, or gone. */
static int apply_list(struct vg_matcher *m, int64_t list_id,
                      struct vg_err *err)
{
    int g = vg__matcher_group(m, list_id), rc;
    struct vg_list l;

    rc = vg_store_list_by_id(m->st, list_id, &l, err);
    if (rc == VG_ENOENT && g >= 0)
        l = m->lists[g]->l;
    if (rc == VG_ENOENT)
        return g < 0 ? VG_OK : set_group(m, g, &l, 1);
    if (rc)
        return rc;
    if (g < 0) {
        pthread_rwlock_wrlock(&m->lock);
        rc = vg__matcher_add_list(m, &l);
        pthread_rwlock_unlock(&m->lock);
        if (rc)
            return rc;
        g = (int)m->nlists - 1;
    }
    return set_group(m, g, &l, 0);
}

/* An entry the index may hold already: enabled as the store says, or
 * added. */
static int entry_upsert(struct vg_matcher *m, const struct vg_list_entry *e)
{
    int rc = vg_index_set_enabled(m->ix, e->id, e->enabled);

    return rc == VG_ENOENT ? vg__matcher_add_entry(m, e) : rc;
}

static int copy_entry(void *ctx, const struct vg_list_entry *e)
{
    struct vg_list_entry *out = ctx;

    *out = *e;
    out->category = out->external_id = out->metadata = NULL;
    return VG_OK;
}

static int apply_entry(struct vg_matcher *m, const struct vg_list_change *c,
                       struct vg_err *err)
{
    struct vg_list_entry e;
    int rc = vg_store_entry_get(m->st, c->entry_id, copy_entry, &e, err);

    if (rc == VG_ENOENT) /* its list was deleted since */
        return VG_OK;
    if (rc)
        return rc;
    if (vg__matcher_group(m, e.list_id) < 0 &&
        (rc = apply_list(m, e.list_id, err)))
        return rc;
    return entry_upsert(m, &e);
}

/* Called with the store held: only the index is touched. */
static int import_entry(void *ctx, const struct vg_list_entry *e)
{
    struct vg_matcher *m = ctx;

    return e->id <= m->max_loaded ? entry_upsert(m, e)
                                  : vg__matcher_add_entry(m, e);
}

static int apply_import(struct vg_matcher *m, const struct vg_list_change *c,
                        struct vg_err *err)
{
    int rc;

    if (vg__matcher_group(m, c->list_id) < 0 &&
        (rc = apply_list(m, c->list_id, err)))
        return rc;
    /* one fold of the tail at the end, not one every 1024 entries */
    if (c->last_id >= c->first_id &&
        (rc = vg_index_reserve(m->ix, (size_t)(c->last_id - c->first_id + 1))))
        return rc;
    if ((rc = vg_store_import_entries(m->st, c, import_entry, m, err)))
        return rc;
    return vg_index_settle(m->ix);
}

/* ---- the sync ---- */

struct batch {
    struct vg_list_change v[BATCH];
    size_t n;
};

static int collect(void *ctx, const struct vg_list_change *c)
{
    struct batch *b = ctx;

    b->v[b->n++] = *c;
    return VG_OK;
}

static int apply(struct vg_matcher *m, const struct vg_list_change *c,
                 struct vg_err *err)
{
    switch (c->kind) {
    case VG_LIST_CHANGE_ENTRY:
        return apply_entry(m, c, err);
    case VG_LIST_CHANGE_IMPORT:
        return apply_import(m, c, err);
    default:
        return apply_list(m, c->list_id, err);
    }
}

int vg_matcher_sync(struct vg_matcher *m, size_t *applied, struct vg_err *err)
{
    struct batch *b = vg_malloc(sizeof(*b));
    size_t done = 0;
    int rc = VG_OK;

    if (applied)
        *applied = 0;
    if (!b)
        return VG_ENOMEM;
    do {
        b->n = 0;
        rc = vg_store_list_changes(m->st, m->seq, BATCH, collect, b, err);
        for (size_t i = 0; !rc && i < b->n; i++) {
            if ((rc = apply(m, &b->v[i], err)))
                break;
            __atomic_store_n(&m->seq, b->v[i].seq, __ATOMIC_RELAXED);
            __atomic_store_n(&m->lag_ms, vg__matcher_now_ms() - b->v[i].at_ms,
                             __ATOMIC_RELAXED);
            __atomic_add_fetch(&m->changes, 1, __ATOMIC_RELAXED);
            done++;
        }
    } while (!rc && b->n == BATCH);
    vg_free(b);
    if (!rc)
        __atomic_store_n(&m->synced_ms, vg__matcher_now_ms(),
                         __ATOMIC_RELAXED);
    if (applied)
        *applied = done;
    return rc;
}

void vg_matcher_status(const struct vg_matcher *m,
                       struct vg_matcher_status *out)
{
    out->entries = vg_matcher_size(m);
    out->seq = __atomic_load_n(&m->seq, __ATOMIC_RELAXED);
    out->changes = __atomic_load_n(&m->changes, __ATOMIC_RELAXED);
    out->synced_at_ms = __atomic_load_n(&m->synced_ms, __ATOMIC_RELAXED);
    out->lag_ms = __atomic_load_n(&m->lag_ms, __ATOMIC_RELAXED);
}

/* ---- the thread ---- */

struct vg_listsync {
    struct vg_matcher *m;
    int64_t interval_ms;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* on CLOCK_MONOTONIC */
    int stopping, woken; /* under mu */
    char last_error[sizeof(((struct vg_err *)0)->msg)];
};

static void say(struct vg_listsync *ls, size_t n, int rc,
                const struct vg_err *err)
{
    struct vg_matcher_status s;
    char line[sizeof(ls->last_error) + 128];

    if (!ls->log)
        return;
    if (rc) {
        const char *why = err->msg[0] ? err->msg : vg_strerror(rc);
        if (!strcmp(why, ls->last_error))
            return; /* said already: once per cause, not every tick */
        snprintf(ls->last_error, sizeof(ls->last_error), "%s", why);
        snprintf(line, sizeof(line),
                 "lists: cannot apply the list changes (%s); trying again",
                 why);
    } else if (n) {
        ls->last_error[0] = '\0';
        vg_matcher_status(ls->m, &s);
        snprintf(line, sizeof(line),
                 "lists: %zu change%s applied, up to %lld, the last %lld ms"
                 " after its commit (%zu entries)",
                 n, n == 1 ? "" : "s", (long long)s.seq, (long long)s.lag_ms,
                 s.entries);
    } else {
        return;
    }
    ls->log(ls->log_ctx, line);
}

static void wait_tick(struct vg_listsync *ls)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ls->interval_ms / 1000);
    until.tv_nsec += (long)(ls->interval_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!ls->stopping && !ls->woken &&
           pthread_cond_timedwait(&ls->cv, &ls->mu, &until) != ETIMEDOUT)
        ;
}

static void *run(void *arg)
{
    struct vg_listsync *ls = arg;

    pthread_mutex_lock(&ls->mu);
    while (!ls->stopping) {
        struct vg_err err = {0};
        size_t n = 0;
        int rc;

        ls->woken = 0;
        pthread_mutex_unlock(&ls->mu);
        rc = vg_matcher_sync(ls->m, &n, &err);
        say(ls, n, rc, &err);
        pthread_mutex_lock(&ls->mu);
        /* NOTIFY-HOOK: on PostgreSQL a connection that LISTENs on
         * vigil_lists calls vg_listsync_wake, ending this wait early */
        wait_tick(ls);
    }
    pthread_mutex_unlock(&ls->mu);
    return NULL;
}

int vg_listsync_start(struct vg_matcher *m, int64_t interval_ms,
                      void (*log)(void *ctx, const char *line), void *log_ctx,
                      struct vg_listsync **out)
{
    struct vg_listsync *ls;
    pthread_condattr_t ca;
    sigset_t all, old;
    int rc;

    *out = NULL;
    if (!(ls = vg_calloc(1, sizeof(*ls))))
        return VG_ENOMEM;
    ls->m = m;
    ls->interval_ms = interval_ms > 0 ? interval_ms : 200;
    ls->log = log;
    ls->log_ctx = log_ctx;
    pthread_mutex_init(&ls->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ls->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* signals are the starting threads' business: the thread blocks all */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&ls->thread, NULL, run, ls);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        pthread_cond_destroy(&ls->cv);
        pthread_mutex_destroy(&ls->mu);
        vg_free(ls);
        return VG_ENOMEM;
    }
    *out = ls;
    return VG_OK;
}

void vg_listsync_wake(struct vg_listsync *ls)
{
    pthread_mutex_lock(&ls->mu);
    ls->woken = 1;
    pthread_cond_broadcast(&ls->cv);
    pthread_mutex_unlock(&ls->mu);
}

void vg_listsync_stop(struct vg_listsync *ls)
{
    if (!ls)
        return;
    pthread_mutex_lock(&ls->mu);
    ls->stopping = 1;
    pthread_cond_broadcast(&ls->cv);
    pthread_mutex_unlock(&ls->mu);
    pthread_join(ls->thread, NULL);
    pthread_cond_destroy(&ls->cv);
    pthread_mutex_destroy(&ls->mu);
    vg_free(ls);
}
