/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Flood quarantine (vigil/flood.h): the node's counts in memory, the
 * thread that flushes them into the store and runs the detector, and the
 * quarantines' JSON.
 *
 * Counts live in SHARDS shards, each a hash table of records under its own
 * mutex, so lookups on many threads rarely wait for each other.  A record
 * is one entry in one hour (hours since the epoch): the matches and new
 * distinct media not flushed yet, and the set of media keys (their first
 * 8 bytes) the entry matched this hour on this node, at most
 * max_media_per_hour + 1 of them (one more than the sum needs to pass the
 * limit).  A flush takes every record's unflushed counts and frees the
 * records of hours gone; counts the store refused are put back.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/flood.h"
#include "vigil/utc.h"

#define SHARDS 64
#define FIRST_BUCKETS 64

struct rec {
    struct rec *next;
    int64_t entry, hour;
    int64_t matches, media; /* not flushed yet */
    uint32_t nkeys, cap;    /* the set of media keys, open addressing */
    uint64_t *keys;
};

struct shard {
    pthread_mutex_t mu;
    struct rec **b; /* nb buckets (a power of 2), chained */
    size_t nb, n;
};

struct vg_flood {
    struct vg_store *st;
    struct vg_flood_opts o;
    struct shard sh[SHARDS];
    size_t shard_max;        /* records a shard may hold */
    pthread_mutex_t tick_mu; /* one flush or detection at a time */
    int64_t pruned_hour;
    char last_error[512]; /* as vg_err's msg */
    /* the thread */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
};

void vg_flood_opts_default(struct vg_flood_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->ratio = 100;
    o->min_media = 50;
    o->min_flush_media = 4;
    o->max_media_per_hour = 1000;
    o->baseline_hours = 168;
    o->flush_ms = 5000;
    o->detect_ms = 10000;
    o->release_hold_s = 86400;
    o->max_tracked = 262144;
}

static int64_t now_s(const struct vg_flood *f)
{
    return f->o.at > 0 ? f->o.at : (int64_t)time(NULL);
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rec_hash(int64_t entry, int64_t hour)
{
    return mix((uint64_t)entry * 0x9e3779b97f4a7c15u ^ (uint64_t)hour);
}

static struct shard *shard_of(struct vg_flood *f, uint64_t h)
{
    return &f->sh[h % SHARDS];
}

/* ---- the records ---- */

static void rec_free(struct rec *r)
{
    vg_free(r->keys);
    vg_free(r);
}

static int shard_grow(struct shard *s)
{
    size_t nb = s->nb ? s->nb * 2 : FIRST_BUCKETS;
    struct rec **b = vg_calloc(nb, sizeof(*b));

    if (!b)
        return VG_ENOMEM;
    for (size_t i = 0; i < s->nb; i++)
        for (struct rec *r = s->b[i], *next; r; r = next) {
            size_t k = (rec_hash(r->entry, r->hour) / SHARDS) & (nb - 1);
            next = r->next;
            r->next = b[k];
            b[k] = r;
        }
    vg_free(s->b);
    s->b = b;
    s->nb = nb;
    return VG_OK;
}

/* The record of (entry, hour) in its shard s (held), made if missing; NULL
 * when the shard is full or memory is out. */
static struct rec *rec_get(struct vg_flood *f, struct shard *s, int64_t entry,
                           int64_t hour, uint64_t h)
{
    struct rec *r;
    size_t k;

    if (s->nb) {
        for (r = s->b[(h / SHARDS) & (s->nb - 1)]; r; r = r->next)
            if (r->entry == entry && r->hour == hour)
                return r;
    }
    if (s->n >= f->shard_max)
        return NULL;
    if ((s->n >= s->nb * 2 && shard_grow(s)) ||
        !(r = vg_calloc(1, sizeof(*r))))
        return NULL;
    r->entry = entry;
    r->hour = hour;
    k = (h / SHARDS) & (s->nb - 1);
    r->next = s->b[k];
    s->b[k] = r;
    s->n++;
    return r;
}

static int keys_grow(struct rec *r)
{
    uint32_t cap = r->cap ? r->cap * 2 : 8;
    uint64_t *keys = vg_calloc(cap, sizeof(*keys));

    if (!keys)
        return VG_ENOMEM;
    for (uint32_t i = 0; i < r->cap; i++) {
        uint32_t k = (uint32_t)mix(r->keys[i]) & (cap - 1);
        if (!r->keys[i])
            continue;
        while (keys[k])
            k = (k + 1) & (cap - 1);
        keys[k] = r->keys[i];
    }
    vg_free(r->keys);
    r->keys = keys;
    r->cap = cap;
    return VG_OK;
}

/* Add a media key to r's set: 1 if it is new there, else 0 (known, the
 * set full, or memory out). */
static int key_add(const struct vg_flood *f, struct rec *r,
                   const uint8_t media_key[32])
{
    uint64_t key = 0;
    uint32_t k;

    if ((int64_t)r->nkeys > f->o.max_media_per_hour)
        return 0;
    memcpy(&key, media_key, sizeof(key));
    key = key ? key : 0x9e3779b97f4a7c15u; /* 0 marks an empty slot */
    if ((r->nkeys + 1) * 2 > r->cap && keys_grow(r))
        return 0;
    for (k = (uint32_t)mix(key) & (r->cap - 1); r->keys[k];
         k = (k + 1) & (r->cap - 1))
        if (r->keys[k] == key)
            return 0;
    r->keys[k] = key;
    r->nkeys++;
    return 1;
}

void vg_flood_note(struct vg_flood *f, int64_t entry_id,
                   const uint8_t media_key[32])
{
    int64_t hour;
    uint64_t h;
    struct shard *s;
    struct rec *r;

    if (!f)
        return;
    hour = now_s(f) / 3600;
    h = rec_hash(entry_id, hour);
    s = shard_of(f, h);
    pthread_mutex_lock(&s->mu);
    if ((r = rec_get(f, s, entry_id, hour, h))) {
        r->matches++;
        r->media += key_add(f, r, media_key);
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- flushing ---- */

struct counts {
    struct vg_flood_count *v;
    size_t n, cap;
};

static int counts_add(struct counts *c, const struct rec *r)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct vg_flood_count *v = vg_realloc(c->v, cap * sizeof(*v));
        if (!v)
            return VG_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = (struct vg_flood_count){r->entry, r->hour, r->matches,
                                           r->media};
    return VG_OK;
}

/* Take shard s's unflushed counts into c; free the records of hours before
 * hour once taken.  A record of this hour with fewer than min distinct
 * media on this node stays here (no entry seen by so few is a flood, and
 * the store is spared a row for each of the many entries a busy node
 * matches once or twice); one of an hour past with so few is dropped. */
static void shard_take(struct shard *s, struct counts *c, int64_t hour,
                       int64_t min)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nb; i++) {
        struct rec **p = &s->b[i];
        while (*p) {
            struct rec *r = *p;
            int few = (int64_t)r->nkeys < min;
            if (!few && (r->matches || r->media) && !counts_add(c, r))
                r->matches = r->media = 0;
            if (r->hour < hour && (few || (!r->matches && !r->media))) {
                *p = r->next;
                rec_free(r);
                s->n--;
            } else {
                p = &r->next;
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* Counts the store did not take, back where they came from. */
static void put_back(struct vg_flood *f, const struct counts *c)
{
    for (size_t i = 0; i < c->n; i++) {
        uint64_t h = rec_hash(c->v[i].entry_id, c->v[i].hour);
        struct shard *s = shard_of(f, h);
        struct rec *r;

        pthread_mutex_lock(&s->mu);
        if ((r = rec_get(f, s, c->v[i].entry_id, c->v[i].hour, h))) {
            r->matches += c->v[i].matches;
            r->media += c->v[i].media;
        }
        pthread_mutex_unlock(&s->mu);
    }
}

static int flush(struct vg_flood *f, struct vg_err *err)
{
    struct counts c = {0};
    int64_t hour = now_s(f) / 3600;
    int rc;

    for (int i = 0; i < SHARDS; i++)
        shard_take(&f->sh[i], &c, hour, f->o.min_flush_media);
    if ((rc = vg_store_flood_add(f->st, c.v, c.n, err)))
        put_back(f, &c);
    vg_free(c.v);
    return rc;
}

/* ---- detecting ---- */

struct suspects {
    struct vg_flood_suspect *v;
    size_t n, cap;
};

static int suspect_add(void *ctx, const struct vg_flood_suspect *s)
{
    struct suspects *l = ctx;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct vg_flood_suspect *v = vg_realloc(l->v, cap * sizeof(*v));
        if (!v)
            return VG_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *s;
    return VG_OK;
}

/* Is s a flood, and why: 1 with *why set, or 0. */
static int is_flood(const struct vg_flood *f, const struct vg_flood_suspect *s,
                    enum vg_flood_reason *why)
{
    double mean = (double)s->baseline / (double)f->o.baseline_hours;

    if (s->media > f->o.max_media_per_hour) {
        *why = VG_FLOOD_MEDIA;
        return 1;
    }
    if (s->media >= f->o.min_media && (double)s->media > f->o.ratio * mean) {
        *why = VG_FLOOD_RATE;
        return 1;
    }
    return 0;
}

static void say(struct vg_flood *f, const char *line)
{
    if (f->o.log)
        f->o.log(f->o.log_ctx, line);
}

static int quarantine(struct vg_flood *f, const struct vg_flood_suspect *s,
                      enum vg_flood_reason why, int64_t now, int *done,
                      struct vg_err *err)
{
    struct vg_flood_quarantine q = {
        .entry_id = s->entry_id,
        .list_id = s->list_id,
        .at = now,
        .reason = why,
        .hour = now / 3600,
        .matches = s->matches,
        .media = s->media,
        .baseline = s->baseline,
        .baseline_hours = f->o.baseline_hours,
    };
    char line[300];
    int64_t id = 0;
    int rc = vg_store_flood_quarantine(f->st, &q, done, &id, err);

    if (!rc && *done) {
        snprintf(line, sizeof(line),
                 "flood: entry %" PRId64 " of list %" PRId64
                 " quarantined (%s: %" PRId64 " matches, %" PRId64
                 " media this hour; %.2f an hour over the %" PRId64
                 " hours before), quarantine %" PRId64,
                 s->entry_id, s->list_id, vg_flood_reason_name(why),
                 s->matches, s->media,
                 (double)s->baseline / (double)f->o.baseline_hours,
                 f->o.baseline_hours, id);
        say(f, line);
    }
    return rc;
}

static int detect(struct vg_flood *f, int *count, struct vg_err *err)
{
    struct suspects l = {0};
    int64_t now = now_s(f);
    int rc = vg_store_flood_suspects(f->st, now / 3600, f->o.baseline_hours,
                                     f->o.min_media, f->o.max_media_per_hour,
                                     now - f->o.release_hold_s, suspect_add,
                                     &l, err);

    for (size_t i = 0; !rc && i < l.n; i++) {
        enum vg_flood_reason why;
        int done = 0;

        if (is_flood(f, &l.v[i], &why) &&
            !(rc = quarantine(f, &l.v[i], why, now, &done, err)))
            *count += done;
    }
    vg_free(l.v);
    return rc;
}

int vg_flood_tick(struct vg_flood *f, int *quarantined, struct vg_err *err)
{
    int64_t hour = now_s(f) / 3600;
    int rc, n = 0;

    pthread_mutex_lock(&f->tick_mu);
    rc = flush(f, err);
    if (!rc)
        rc = detect(f, &n, err);
    /* once an hour, the counts the baseline no longer needs */
    if (!rc && f->pruned_hour != hour &&
        !(rc = vg_store_flood_prune(f->st, hour - f->o.baseline_hours, NULL,
                                    err)))
        f->pruned_hour = hour;
    pthread_mutex_unlock(&f->tick_mu);
    if (quarantined)
        *quarantined = n;
    return rc;
}

/* ---- the thread ---- */

static void say_error(struct vg_flood *f, int rc, const struct vg_err *err)
{
    const char *why = err->msg[0] ? err->msg : vg_strerror(rc);
    char line[600];

    if (!rc) {
        f->last_error[0] = '\0';
        return;
    }
    if (!strcmp(why, f->last_error))
        return; /* said already: once per cause, not every tick */
    snprintf(f->last_error, sizeof(f->last_error), "%s", why);
    snprintf(line, sizeof(line), "flood: %s; trying again", why);
    say(f, line);
}

static struct timespec mono_after(int64_t ms)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int64_t mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void *run(void *arg)
{
    struct vg_flood *f = arg;
    int64_t next_detect = mono_ms() + f->o.detect_ms;

    pthread_mutex_lock(&f->mu);
    while (!f->stopping) {
        struct timespec until = mono_after(f->o.flush_ms);
        struct vg_err err = {0};
        int rc;

        while (!f->stopping &&
               pthread_cond_timedwait(&f->cv, &f->mu, &until) != ETIMEDOUT)
            ;
        if (f->stopping)
            break;
        pthread_mutex_unlock(&f->mu);
        if (mono_ms() >= next_detect) {
            next_detect = mono_ms() + f->o.detect_ms;
            rc = vg_flood_tick(f, NULL, &err);
        } else {
            pthread_mutex_lock(&f->tick_mu);
            rc = flush(f, &err);
            pthread_mutex_unlock(&f->tick_mu);
        }
        say_error(f, rc, &err);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

static void take_opts(struct vg_flood_opts *o, const struct vg_flood_opts *in)
{
    struct vg_flood_opts d;

    vg_flood_opts_default(&d);
    *o = in ? *in : d;
    o->min_media = o->min_media > 0 ? o->min_media : d.min_media;
    o->min_flush_media = o->min_flush_media > 0 ? o->min_flush_media
                                                : d.min_flush_media;
    o->max_media_per_hour = o->max_media_per_hour > 0 ? o->max_media_per_hour
                                                      : d.max_media_per_hour;
    o->baseline_hours = o->baseline_hours > 0 ? o->baseline_hours
                                              : d.baseline_hours;
    o->flush_ms = o->flush_ms > 0 ? o->flush_ms : d.flush_ms;
    o->detect_ms = o->detect_ms > 0 ? o->detect_ms : d.detect_ms;
    o->release_hold_s = o->release_hold_s > 0 ? o->release_hold_s
                                              : d.release_hold_s;
    o->max_tracked = o->max_tracked > 0 ? o->max_tracked : d.max_tracked;
}

static void flood_free(struct vg_flood *f)
{
    for (int i = 0; i < SHARDS; i++) {
        struct shard *s = &f->sh[i];
        for (size_t k = 0; k < s->nb; k++)
            for (struct rec *r = s->b[k], *next; r; r = next) {
                next = r->next;
                rec_free(r);
            }
        vg_free(s->b);
        pthread_mutex_destroy(&s->mu);
    }
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->tick_mu);
    vg_free(f);
}

int vg_flood_start(struct vg_store *st, const struct vg_flood_opts *opts,
                   struct vg_flood **out)
{
    struct vg_flood *f;
    pthread_condattr_t ca;
    sigset_t all, old;
    int rc;

    *out = NULL;
    if (opts && !(opts->ratio > 0))
        return VG_EINVAL;
    if (!(f = vg_calloc(1, sizeof(*f))))
        return VG_ENOMEM;
    f->st = st;
    take_opts(&f->o, opts);
    f->shard_max = (size_t)(f->o.max_tracked + SHARDS - 1) / SHARDS;
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&f->sh[i].mu, NULL);
    pthread_mutex_init(&f->tick_mu, NULL);
    pthread_mutex_init(&f->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_condattr_destroy(&ca);
    /* signals are the starting threads' business: the thread blocks all */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&f->thread, NULL, run, f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        flood_free(f);
        return VG_ENOMEM;
    }
    *out = f;
    return VG_OK;
}

void vg_flood_stop(struct vg_flood *f)
{
    struct vg_err err = {0};

    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->stopping = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    say_error(f, flush(f, &err), &err);
    flood_free(f);
}

int vg_flood_release(struct vg_store *st, int64_t actor, int64_t entry_id,
                     struct vg_err *err)
{
    return vg_store_flood_release(st, actor, entry_id, (int64_t)time(NULL),
                                  err);
}

/* ---- the quarantines as JSON ---- */

static int json_time(struct vg_buf *b, const char *key, int64_t t)
{
    char when[32];

    if (!t || vg_utc_format(t, "%Y-%m-%dT%H:%M:%SZ", when, sizeof(when)))
        return vg_buf_printf(b, ",\"%s\":null", key);
    return vg_buf_printf(b, ",\"%s\":\"%s\"", key, when);
}

static int json_one(struct vg_buf *b, const struct vg_flood_quarantine *q)
{
    const char *list = q->list ? q->list : "";
    const char *value = q->value ? q->value : "";
    int rc = vg_buf_printf(b, "{\"id\":%" PRId64 ",\"list\":", q->id);

    if (!rc)
        rc = vg_buf_json_str(b, list, strlen(list));
    if (!rc)
        rc = vg_buf_printf(b,
                           ",\"list_id\":%" PRId64 ",\"entry\":%" PRId64
                           ",\"algo\":\"%s\",\"value\":",
                           q->list_id, q->entry_id, vg_algo_name(q->algo));
    if (!rc)
        rc = vg_buf_json_str(b, value, strlen(value));
    if (!rc)
        rc = vg_buf_printf(b, ",\"reason\":\"%s\"",
                           vg_flood_reason_name(q->reason));
    if (!rc)
        rc = json_time(b, "at", q->at);
    if (!rc)
        rc = json_time(b, "hour", q->hour * 3600);
    if (!rc)
        rc = vg_buf_printf(
            b,
            ",\"matches\":%" PRId64 ",\"media\":%" PRId64
            ",\"baseline_mean\":%.3f,\"baseline_hours\":%" PRId64,
            q->matches, q->media,
            q->baseline_hours ? (double)q->baseline / (double)q->baseline_hours
                              : 0.0,
            q->baseline_hours);
    if (!rc)
        rc = json_time(b, "released_at", q->released_at);
    if (!rc && q->released_at)
        rc = vg_buf_printf(b, ",\"released_by\":%" PRId64 "}", q->released_by);
    else if (!rc)
        rc = vg_buf_puts(b, ",\"released_by\":null}");
    return rc;
}

int vg_flood_quarantines_json(struct vg_store *st, int all, int64_t limit,
                              char **out, struct vg_err *err)
{
    struct vg_flood_quarantines *l = NULL;
    struct vg_buf b;
    int rc;

    *out = NULL;
    vg_buf_init(&b, 0);
    rc = vg_store_flood_quarantines(st, all, limit, &l, err);
    if (!rc)
        rc = vg_buf_puts(&b, "[");
    for (size_t i = 0; !rc && l && i < l->n; i++)
        if (!(rc = i ? vg_buf_puts(&b, ",") : VG_OK))
            rc = json_one(&b, &l->v[i]);
    if (!rc)
        rc = vg_buf_puts(&b, "]");
    vg_flood_quarantines_free(l);
    if (rc) {
        vg_buf_fini(&b);
        return rc;
    }
    *out = b.data;
    return VG_OK;
}
