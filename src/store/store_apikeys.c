/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API keys (vigil/store.h): only the SHA-256 of a key is stored (a key is
 * 256 random bits, so a fast hash is enough: nothing to brute-force);
 * adding and revoking are audited in the same transaction.
 */
#include <string.h>
#include <time.h>

#include "store_int.h"

int vg_store_apikey_add(struct vg_store *st, int64_t actor, const char *name,
                        const char *scopes, const uint8_t hash[32],
                        int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t got = 0;
    int rc;

    if (!name || !*name || strlen(name) > 200)
        return vg_err_set(err, VG_EINVAL, "a key's name has 1 to 200 bytes");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO api_keys (name, key_hash, scopes,"
                               " created_at) VALUES (?, ?, ?, ?) RETURNING id",
                               "tbti", name, hash, (size_t)32,
                               scopes ? scopes : "", (int64_t)time(NULL))))
        rc = vg__store_scalar(st, s, &got, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "apikey.add", "api_key", got, name,
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
        struct vg_apikey k = {st->ops->col_int(s, 0), st->ops->col_text(s, 1),
                              st->ops->col_text(s, 2), st->ops->col_int(s, 3),
                              st->ops->col_int(s, 4)};
        if (!k.scopes)
            k.scopes = "";
        (*rows)++;
        if ((rc = cb(ctx, &k)))
            break;
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

int vg_store_apikey_find(struct vg_store *st, const uint8_t hash[32],
                         int (*cb)(void *ctx, const struct vg_apikey *k),
                         void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rows = 0, rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id, name, scopes, created_at, 0 FROM"
                               " api_keys WHERE key_hash = ? AND revoked_at IS"
                               " NULL",
                               "b", hash, (size_t)32)))
        rc = each(st, s, cb, ctx, &rows, err);
    UNLOCK(st);
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
                               " COALESCE(revoked_at, 0) FROM api_keys ORDER"
                               " BY id",
                               "")))
        rc = each(st, s, cb, ctx, &rows, err);
    UNLOCK(st);
    return rc;
}
