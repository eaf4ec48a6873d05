/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API keys (vigil/store_people.h): only the SHA-256 of a key is stored (a
 * key is 256 random bits, so a fast hash is enough: nothing to
 * brute-force); adding and revoking are audited in the same transaction.
 * A key found in the database is remembered for KEY_FRESH_MS, counted
 * from before the query: finds within that time are answered from memory
 * under the store's keys_lock, without waiting for the store's lock
 * (which a writer holds for a whole transaction, disk flush included).
 * Invariant: no remembered key was revoked through this store (revoking
 * forgets them all, under the store's lock, after the commit; a find
 * remembers under that same lock); one revoked by another process is
 * refused at most KEY_FRESH_MS after its commit, plus the time the query
 * that finds it revoked takes (while one thread asks, the others are
 * answered from memory, for up to KEY_STALE_MS).  Unknown keys are not
 * remembered, so a key added elsewhere works at once.
 */
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/store_people.h"

#define KEY_FRESH_MS 1000
#define KEY_STALE_MS 5000

static int64_t monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct vg__key_seen *seen_slot(struct vg_store *st,
                                      const uint8_t hash[32])
{
    return &st->keys[hash[0] % VG__KEYS_SEEN]; /* the hash is uniform */
}

/* Copy the remembered key with this hash into *out if still fresh, or if
 * another thread is asking the store about it now (for at most
 * KEY_STALE_MS more): one query per key at a time, the others answered
 * meanwhile, so a slow transaction holding the store delays one request,
 * not all.  Otherwise this caller is the one to ask (0). */
static int seen_get(struct vg_store *st, const uint8_t hash[32],
                    struct vg__key_seen *out)
{
    struct vg__key_seen *k = seen_slot(st, hash);
    int64_t now = monotonic_ms();
    int found;

    pthread_mutex_lock(&st->keys_lock);
    found = k->until_ms && !memcmp(k->hash, hash, 32) &&
            (now < k->until_ms ||
             (k->asking && now < k->until_ms + KEY_STALE_MS));
    if (found)
        *out = *k;
    else if (k->until_ms && !memcmp(k->hash, hash, 32))
        k->asking = 1;
    pthread_mutex_unlock(&st->keys_lock);
    return found;
}

/* The query about a remembered key ended without putting it back (not
 * found, revoked, or the store failed): forget it. */
static void seen_drop(struct vg_store *st, const uint8_t hash[32])
{
    struct vg__key_seen *k = seen_slot(st, hash);

    pthread_mutex_lock(&st->keys_lock);
    if (!memcmp(k->hash, hash, 32)) {
        k->until_ms = 0;
        k->asking = 0;
    }
    pthread_mutex_unlock(&st->keys_lock);
}

/* Remember k, found by a query begun at t0 (store locked). */
static void seen_put(struct vg_store *st, const uint8_t hash[32],
                     const struct vg_apikey *k, int64_t t0)
{
    struct vg__key_seen *e = seen_slot(st, hash);

    if (!k->name || strlen(k->name) >= sizeof(e->name) ||
        strlen(k->scopes) >= sizeof(e->scopes) ||
        strlen(k->partner) >= sizeof(e->partner))
        return; /* not kept: asked for again next time */
    pthread_mutex_lock(&st->keys_lock);
    memcpy(e->hash, hash, 32);
    e->id = k->id;
    e->created_at = k->created_at;
    e->rate_per_minute = k->rate_per_minute;
    e->daily_quota = k->daily_quota;
    memcpy(e->name, k->name, strlen(k->name) + 1);
    memcpy(e->scopes, k->scopes, strlen(k->scopes) + 1);
    memcpy(e->partner, k->partner, strlen(k->partner) + 1);
    e->until_ms = t0 + KEY_FRESH_MS;
    e->asking = 0;
    pthread_mutex_unlock(&st->keys_lock);
}

/* Forget every remembered key (store locked). */
static void seen_clear(struct vg_store *st)
{
    pthread_mutex_lock(&st->keys_lock);
    for (int i = 0; i < VG__KEYS_SEEN; i++)
        st->keys[i].until_ms = 0;
    pthread_mutex_unlock(&st->keys_lock);
}

int vg_partner_name_valid(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > 200)
        return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == ',')
            return 0;
    return 1;
}

int vg_store_apikey_add(struct vg_store *st, int64_t actor,
                        const struct vg_apikey *k, const uint8_t hash[32],
                        int64_t *id, struct vg_err *err)
{
    const char *partner = k->partner ? k->partner : "";
    struct vg__stmt *s = NULL;
    int64_t got = 0;
    int rc;

    if (!k->name || !*k->name || strlen(k->name) > 200)
        return vg_err_set(err, VG_EINVAL, "a key's name has 1 to 200 bytes");
    if (*partner && !vg_partner_name_valid(partner))
        return vg_err_set(err, VG_EINVAL,
                          "a partner's name has 1 to 200 bytes and no"
                          " control characters or commas");
    if (k->rate_per_minute < 0 || k->daily_quota < 0)
        return vg_err_set(err, VG_EINVAL,
                          "a rate or quota is 0 (no limit) or more");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO api_keys (name, key_hash, scopes, created_at,"
              " partner, rate_per_minute, daily_quota) VALUES (?, ?, ?, ?, ?,"
              " ?, ?) RETURNING id",
              "tbtitii", k->name, hash, (size_t)32, k->scopes ? k->scopes : "",
              (int64_t)time(NULL), partner, k->rate_per_minute,
              k->daily_quota)))
        rc = vg__store_scalar(st, s, &got, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "apikey.add", "api_key", got, k->name,
                             err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc && id)
        *id = got;
    return rc;
}

int vg_store_apikey_revoke(struct vg_store *st, int64_t actor, int64_t id,
                           struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "UPDATE api_keys SET revoked_at = ? WHERE id ="
                               " ? AND revoked_at IS NULL",
                               "ii", (int64_t)time(NULL), id)) &&
        !(rc = vg__store_run(st, s, err)) && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no valid API key %lld",
                        (long long)id);
    if (!rc)
        rc = vg__store_audit(st, actor, "apikey.revoke", "api_key", id, NULL,
                             err);
    rc = vg__store_end(st, rc, err);
    if (!rc)
        seen_clear(st);
unlock:
    UNLOCK(st);
    return rc;
}

static int each(struct vg_store *st, struct vg__stmt *s,
                int (*cb)(void *ctx, const struct vg_apikey *k), void *ctx,
                int *rows, struct vg_err *err)
{
    int rc;

    while ((rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_apikey k = {st->ops->col_int(s, 0),  st->ops->col_text(s, 1),
                              st->ops->col_text(s, 2), st->ops->col_int(s, 3),
                              st->ops->col_int(s, 4),  st->ops->col_text(s, 5),
                              st->ops->col_int(s, 6),  st->ops->col_int(s, 7)};
        if (!k.scopes)
            k.scopes = "";
        if (!k.partner || !*k.partner)
            k.partner = k.name;
        (*rows)++;
        if ((rc = cb(ctx, &k)))
            break;
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

struct remember {
    struct vg_store *st;
    const uint8_t *hash;
    int64_t t0;
    int (*cb)(void *ctx, const struct vg_apikey *k);
    void *ctx;
};

static int remember_cb(void *ctx, const struct vg_apikey *k)
{
    struct remember *r = ctx;

    seen_put(r->st, r->hash, k, r->t0);
    return r->cb(r->ctx, k);
}

int vg_store_apikey_find(struct vg_store *st, const uint8_t hash[32],
                         int (*cb)(void *ctx, const struct vg_apikey *k),
                         void *ctx, struct vg_err *err)
{
    struct remember r = {st, hash, 0, cb, ctx};
    struct vg__key_seen k;
    struct vg__stmt *s = NULL;
    int rows = 0, rc;

    if (seen_get(st, hash, &k)) {
        struct vg_apikey a = {
            k.id, k.name,    k.scopes,          k.created_at,
            0,    k.partner, k.rate_per_minute, k.daily_quota};
        vg__store_callback_begin(); /* store.h: callbacks do not call it */
        rc = cb(ctx, &a);
        vg__store_callback_end();
        return rc;
    }
    LOCK(st);
    r.t0 = monotonic_ms(); /* before the query: a revocation committed
                              after it is seen within KEY_FRESH_MS */
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id, name, scopes, created_at, 0,"
                               " partner, rate_per_minute, daily_quota FROM"
                               " api_keys WHERE key_hash = ? AND revoked_at IS"
                               " NULL",
                               "b", hash, (size_t)32)))
        rc = each(st, s, remember_cb, &r, &rows, err);
    UNLOCK(st);
    if (rc || !rows)
        seen_drop(st, hash);
    if (!rc && !rows)
        rc = VG_ENOENT; /* no message: callers answer 401 without detail */
    return rc;
}

int vg_store_apikeys(struct vg_store *st,
                     int (*cb)(void *ctx, const struct vg_apikey *k),
                     void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rows = 0, rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id, name, scopes, created_at,"
                               " COALESCE(revoked_at, 0), partner,"
                               " rate_per_minute, daily_quota FROM api_keys"
                               " ORDER BY id",
                               "")))
        rc = each(st, s, cb, ctx, &rows, err);
    UNLOCK(st);
    return rc;
}

int vg_store_api_usage_add(struct vg_store *st, int64_t key_id, int64_t day,
                           int64_t n, int64_t *total, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t got = 0;
    int rc;

    LOCK(st);
    if ((rc = vg__store_begin_crawl(st, err)))
        goto unlock;
    if (!(rc = vg__store_query(
              st, &s, err,
              "INSERT INTO api_usage (key_id, day, requests) VALUES (?, ?, ?)"
              " ON CONFLICT (key_id, day) DO UPDATE SET requests ="
              " api_usage.requests + excluded.requests RETURNING requests",
              "iii", key_id, day, n)))
        rc = vg__store_scalar(st, s, &got, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc && total)
        *total = got;
    return rc;
}
