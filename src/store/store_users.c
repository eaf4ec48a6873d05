/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Analyst and admin accounts (vigil/store_people.h).  The store keeps the
 * password hash the caller made (Argon2id, vigil/auth.h), never a
 * password; every change is audited in its own transaction.  Sessions of
 * the console (known by their token's SHA-256).  The sign-in throttle's
 * counts (vigil/throttle.h keeps the policy) are rows here, shared by every
 * serving node; an admin's unlock is a count the throttle compares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/vocab.h"
#include "vigil/store_people.h"

/* Roles are the rows of the VG_VOCAB_ROLE table, in enum order. */
const char *vg_role_name(enum vg_role r)
{
    const char *name = vg_vocab_code(VG_VOCAB_ROLE, (size_t)r);

    return name ? name : vg_vocab_default(VG_VOCAB_ROLE);
}

int vg_role_parse(const char *s, enum vg_role *out)
{
    int i = vg_vocab_find(VG_VOCAB_ROLE, s);

    if (i < 0)
        return VG_EINVAL;
    *out = (enum vg_role)i;
    return VG_OK;
}

static int valid_username(const char *u, struct vg_err *err)
{
    size_t n = strlen(u);

    for (size_t i = 0; i < n; i++)
        if (!((u[i] >= 'a' && u[i] <= 'z') || (u[i] >= '0' && u[i] <= '9') ||
              u[i] == '.' || u[i] == '_' || u[i] == '-'))
            return vg_err_set(err, VG_EINVAL,
                              "user names are lowercase letters, digits, '.',"
                              " '_' and '-' (not '%c')",
                              u[i]);
    if (!n || n > VG_USERNAME_MAX)
        return vg_err_set(err, VG_EINVAL, "a user name has 1 to %d characters",
                          VG_USERNAME_MAX);
    return VG_OK;
}

/* The id of a user (store locked). */
static int user_id(struct vg_store *st, const char *username, int64_t *id,
                   struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(st, &s, err,
                             "SELECT id FROM users WHERE username = ?", "t",
                             username);

    if (!rc && (rc = vg__store_scalar(st, s, id, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_ENOENT, "no user %s", username);
    return rc;
}

/*
 * Run an INSERT ... RETURNING id and its audit record in one write
 * transaction; *rowid is the new row's id on success.
 */
static int audited(struct vg_store *st, struct vg__stmt *s, int64_t actor,
                   const char *action, const char *username,
                   const char *detail, int64_t *rowid, struct vg_err *err)
{
    int64_t id = 0;
    int rc;

    if ((rc = st->ops->begin_write(st->db, err))) {
        st->ops->finalize(s);
        return rc;
    }
    rc = vg__store_scalar(st, s, &id, err);
    if (rc == VG_EEXIST)
        rc = vg_err_set(err, VG_EEXIST, "a user named %s exists", username);
    if (!rc)
        rc = vg__store_audit(st, actor, action, "user", id, detail, err);
    rc = vg__store_end(st, rc, err);
    if (!rc)
        *rowid = id;
    return rc;
}

int vg_store_user_add(struct vg_store *st, int64_t actor, const char *username,
                      const char *password_hash, enum vg_role role,
                      int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char detail[128];
    int64_t got = 0;
    int rc;

    if ((rc = valid_username(username, err)))
        return rc;
    snprintf(detail, sizeof(detail), "%s, role %s", username,
             vg_role_name(role));
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO users (username, password_hash,"
                               " role, created_at) VALUES (?, ?, ?, ?)"
                               " RETURNING id",
                               "ttti", username, password_hash,
                               vg_role_name(role), (int64_t)time(NULL))))
        rc = audited(st, s, actor, "user.add", username, detail, &got, err);
    UNLOCK(st);
    if (!rc && id)
        *id = got;
    return rc;
}

int vg_store_user_get(struct vg_store *st, const char *username,
                      struct vg_user *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT id, username, role, disabled, unlocks,"
                         " created_at, password_hash FROM users"
                         " WHERE username = ?",
                         "t", username);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *name = st->ops->col_text(s, 1);
        const char *role = st->ops->col_text(s, 2);
        const char *hash = st->ops->col_text(s, 6);
        out->id = st->ops->col_int(s, 0);
        snprintf(out->username, sizeof(out->username), "%s", name ? name : "");
        vg_role_parse(role ? role : "", &out->role);
        out->disabled = (int)st->ops->col_int(s, 3);
        out->unlocks = st->ops->col_int(s, 4);
        out->created_at = st->ops->col_int(s, 5);
        snprintf(out->password_hash, sizeof(out->password_hash), "%s",
                 hash ? hash : "");
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no user %s", username);
    }
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/*
 * One change to the account username, audited as action in the same
 * transaction: the UPDATE sql binding types and the values after err (its
 * last parameter the user name); with end_sessions, the account's sessions
 * end in it too.  VG_ENOENT (said) when there is no such user.
 */
static int user_change(struct vg_store *st, int64_t actor,
                       const char *username, int end_sessions,
                       const char *action, struct vg_err *err, const char *sql,
                       const char *types, ...)
{
    struct vg__stmt *s = NULL;
    int64_t id = 0;
    va_list ap;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    va_start(ap, types);
    if (!(rc = user_id(st, username, &id, err)) &&
        !(rc = vg__store_vquery(st, &s, err, sql, types, ap)))
        rc = vg__store_run(st, s, err);
    va_end(ap);
    if (!rc && end_sessions &&
        !(rc = vg__store_query(
              st, &s, err, "DELETE FROM sessions WHERE user_id = ?", "i", id)))
        rc = vg__store_run(st, s, err);
    if (!rc)
        rc = vg__store_audit(st, actor, action, "user", id, username, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_user_set_password(struct vg_store *st, int64_t actor,
                               const char *username, const char *hash,
                               struct vg_err *err)
{
    /* whoever signed in with the old password is signed out, in the same
     * transaction: a session cannot outlive the password it was made with */
    return user_change(st, actor, username, 1, "user.password", err,
                       "UPDATE users SET password_hash = ? WHERE username = ?",
                       "tt", hash, username);
}

int vg_store_user_set_disabled(struct vg_store *st, int64_t actor,
                               const char *username, int disabled,
                               struct vg_err *err)
{
    /* a disabled user's sessions end with it, in the same transaction */
    return user_change(st, actor, username, disabled != 0,
                       disabled ? "user.disable" : "user.enable", err,
                       "UPDATE users SET disabled = ? WHERE username = ?",
                       "it", (int64_t)(disabled != 0), username);
}

int vg_store_user_unlock(struct vg_store *st, int64_t actor,
                         const char *username, struct vg_err *err)
{
    return user_change(st, actor, username, 0, "user.unlock", err,
                       "UPDATE users SET unlocks = unlocks + 1"
                       " WHERE username = ?",
                       "t", username);
}

int vg_store_users(struct vg_store *st,
                   int (*cb)(void *ctx, const struct vg_user *u), void *ctx,
                   struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT id, username, role, disabled, unlocks,"
                         " created_at FROM users ORDER BY username",
                         "");
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_user u;
        const char *name = st->ops->col_text(s, 1);
        const char *role = st->ops->col_text(s, 2);
        memset(&u, 0, sizeof(u));
        u.id = st->ops->col_int(s, 0);
        snprintf(u.username, sizeof(u.username), "%s", name ? name : "");
        vg_role_parse(role ? role : "", &u.role);
        u.disabled = (int)st->ops->col_int(s, 3);
        u.unlocks = st->ops->col_int(s, 4);
        u.created_at = st->ops->col_int(s, 5);
        rc = cb(ctx, &u);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/* ---- sessions ---- */

/* Run a statement made by vg__store_query (if rc is still VG_OK). */
#define RUN(q)                                                                \
    do {                                                                      \
        if (!rc && !(rc = (q)))                                               \
            rc = vg__store_run(st, s, err);                                   \
    } while (0)

int vg_store_session_new(struct vg_store *st, int64_t user_id,
                         const uint8_t token_hash[32], const char *csrf,
                         int64_t now, int64_t expires_at, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        RUN(vg__store_query(st, &s, err,
                            "DELETE FROM sessions WHERE expires_at <= ?", "i",
                            now));
        RUN(vg__store_query(st, &s, err,
                            "INSERT INTO sessions (token_hash, user_id, csrf,"
                            " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                            "bitii", token_hash, (size_t)32, user_id, csrf,
                            now, expires_at));
        if (!rc)
            rc = vg__store_audit(st, user_id, "login", "user", user_id, "",
                                 err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

int vg_store_session_get(struct vg_store *st, const uint8_t token_hash[32],
                         int64_t now, struct vg_session *out,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT u.id, u.username, u.role, s.csrf,"
                         " s.expires_at FROM sessions s JOIN users u"
                         " ON u.id = s.user_id WHERE s.token_hash = ?"
                         " AND s.expires_at > ? AND u.disabled = 0",
                         "bi", token_hash, (size_t)32, now);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *name = st->ops->col_text(s, 1);
        const char *role = st->ops->col_text(s, 2);
        const char *csrf = st->ops->col_text(s, 3);
        out->user_id = st->ops->col_int(s, 0);
        snprintf(out->username, sizeof(out->username), "%s", name ? name : "");
        vg_role_parse(role ? role : "", &out->role);
        snprintf(out->csrf, sizeof(out->csrf), "%s", csrf ? csrf : "");
        out->expires_at = st->ops->col_int(s, 4);
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = VG_ENOENT;
    }
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

int vg_store_session_end(struct vg_store *st, const uint8_t token_hash[32],
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t user = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM sessions WHERE token_hash = ?"
                               " RETURNING user_id",
                               "b", token_hash, (size_t)32)))
        rc = vg__store_scalar(st, s, &user, err);
    if (!rc)
        rc = vg__store_audit(st, user, "logout", "user", user, "", err);
    else if (rc == VG_ENOENT)
        rc = VG_OK;
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

/* Read the slots (under the store). */
static int throttle_read(struct vg_store *st, struct vg_throttle_slot *slots,
                         size_t n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    for (size_t i = 0; i < n && !rc; i++) {
        struct vg_throttle_slot *t = &slots[i];
        t->id = t->epoch = t->last_ms = t->failures = 0;
        if ((rc = vg__store_query(st, &s, err,
                                  "SELECT id, epoch, last_ms, failures FROM"
                                  " signin_throttle WHERE slot = ?",
                                  "i", t->slot)))
            break;
        if ((rc = st->ops->step(s, err)) == VG__ROW) {
            t->id = st->ops->col_int(s, 0);
            t->epoch = st->ops->col_int(s, 1);
            t->last_ms = st->ops->col_int(s, 2);
            t->failures = st->ops->col_int(s, 3);
        }
        st->ops->finalize(s);
        rc = rc < 0 ? rc : VG_OK;
    }
    return rc;
}

int vg_store_throttle_read(struct vg_store *st, struct vg_throttle_slot *slots,
                           size_t n, struct vg_err *err)
{
    int rc;

    LOCK(st);
    rc = throttle_read(st, slots, n, err);
    UNLOCK(st);
    return rc;
}

int vg_store_throttle_update(struct vg_store *st,
                             struct vg_throttle_slot *slots, size_t n,
                             vg_throttle_change_fn *change, void *ctx,
                             struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        if (!(rc = throttle_read(st, slots, n, err)))
            change(ctx, slots, n);
        for (size_t i = 0; i < n && !rc; i++)
            RUN(vg__store_query(
                st, &s, err,
                "INSERT INTO signin_throttle (slot, id, epoch, last_ms,"
                " failures) VALUES (?, ?, ?, ?, ?) ON CONFLICT (slot) DO"
                " UPDATE SET id = excluded.id, epoch = excluded.epoch,"
                " last_ms = excluded.last_ms, failures = excluded.failures",
                "iiiii", slots[i].slot, slots[i].id, slots[i].epoch,
                slots[i].last_ms, slots[i].failures));
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}
