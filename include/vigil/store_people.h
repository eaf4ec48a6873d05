/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): people: analyst and admin accounts, sessions
 * and sign-in, partner API keys, and the audit log.  Results and callbacks
 * follow store.h (a result is the caller's, freed with its _free; a
 * callback is called with the store held and must not call it).
 */
#ifndef VIGIL_STORE_PEOPLE_H
#define VIGIL_STORE_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

/* ---- people: analyst and admin accounts ---- */

enum vg_role { VG_ROLE_ANALYST = 0, VG_ROLE_ADMIN };

#define VG_USERNAME_MAX 64
#define VG_PASSWORD_HASH_MAX 128

struct vg_user {
    int64_t id;
    char username[VG_USERNAME_MAX + 1];
    enum vg_role role;
    int disabled;
    int64_t unlocks; /* times an admin cleared its failed sign-ins */
    int64_t created_at;
    char password_hash[VG_PASSWORD_HASH_MAX + 1]; /* Argon2id, encoded */
};

/* "analyst", "admin"; vg_role_parse: VG_OK or VG_EINVAL. */
const char *vg_role_name(enum vg_role r);
int vg_role_parse(const char *s, enum vg_role *out);

/*
 * Accounts change only with an audit record, in the same transaction.
 * actor is the user who acts (0: the command line, i.e. the operator).
 * Usernames: 1 to 64 of [a-z0-9._-] (VG_EINVAL otherwise).
 */
int vg_store_user_add(struct vg_store *st, int64_t actor, const char *username,
                      const char *password_hash, enum vg_role role,
                      int64_t *id, struct vg_err *err); /* VG_EEXIST */
int vg_store_user_get(struct vg_store *st, const char *username,
                      struct vg_user *out, struct vg_err *err); /* VG_ENOENT */
/* A new password also ends all of the user's sessions (same transaction). */
int vg_store_user_set_password(struct vg_store *st, int64_t actor,
                               const char *username, const char *hash,
                               struct vg_err *err);
/* Disabling also ends the user's sessions. */
int vg_store_user_set_disabled(struct vg_store *st, int64_t actor,
                               const char *username, int disabled,
                               struct vg_err *err);
/*
 * Clear the account's failed sign-ins: its count of unlocks goes up by
 * one, which tells `vigil serve` (this process or another on the same
 * store) to forget the failures it counted for the account, from every
 * address.  Audited as "user.unlock".  VG_ENOENT if no such user.
 */
int vg_store_user_unlock(struct vg_store *st, int64_t actor,
                         const char *username, struct vg_err *err);
/* All accounts, by name (password hashes left empty). */
int vg_store_users(struct vg_store *st,
                   int (*cb)(void *ctx, const struct vg_user *u), void *ctx,
                   struct vg_err *err);

/* ---- API keys of partner hotlines and platforms ---- */

struct vg_apikey {
    int64_t id;
    const char *name, *scopes;
    int64_t created_at, revoked_at; /* revoked 0 while valid */
};

/* Keys are stored as SHA-256 (32 bytes) of the secret, never the secret. */
int vg_store_apikey_add(struct vg_store *st, int64_t actor, const char *name,
                        const char *scopes, const uint8_t hash[32],
                        int64_t *id, struct vg_err *err);
int vg_store_apikey_revoke(struct vg_store *st, int64_t actor, int64_t id,
                           struct vg_err *err); /* VG_ENOENT */
/* The valid key with this hash: VG_OK (*out's strings valid in cb only:
 * copy what you keep), VG_ENOENT if none or revoked.  A key found is
 * remembered for a second: finds within it are answered from memory,
 * without waiting for a write transaction in progress.  A key revoked
 * through this store is refused at once; one revoked by another process
 * (`vigil apikeys revoke` beside `vigil serve`) within a second of that
 * commit. */
int vg_store_apikey_find(struct vg_store *st, const uint8_t hash[32],
                         int (*cb)(void *ctx, const struct vg_apikey *k),
                         void *ctx, struct vg_err *err);
int vg_store_apikeys(struct vg_store *st,
                     int (*cb)(void *ctx, const struct vg_apikey *k),
                     void *ctx, struct vg_err *err);

/* ---- the audit log: append-only, each record chained to the last ---- */

/*
 * Record an action (inside its own transaction).  Each record's hash is
 * SHA-256 over the previous record's hash and this record's fields, so
 * changing, removing or reordering any record breaks the chain.
 */
int vg_store_audit_append(struct vg_store *st, int64_t actor,
                          const char *action, const char *object_type,
                          int64_t object_id, const char *detail,
                          struct vg_err *err);

/*
 * Name the local operator, the actor 0 of this store's changes from now on
 * ("cli:alice": vigil/core_audit.h).  Records with actor 0 then carry the
 * name at the start of their detail, "[cli:alice] ...", under the chain's
 * hash like the rest.  NULL or "" forgets it; longer than VG_OPERATOR_MAX
 * bytes is cut.  Call it before sharing the store between threads.
 */
#define VG_OPERATOR_MAX 64
void vg_store_set_operator(struct vg_store *st, const char *name);

struct vg_audit_record {
    int64_t id, at, actor; /* actor 0: the command line */
    const char *action, *object_type, *detail;
    int64_t object_id;
};

/* Records in order (oldest first); limit 0: all. */
int vg_store_audit(struct vg_store *st, int64_t limit,
                   int (*cb)(void *ctx, const struct vg_audit_record *r),
                   void *ctx, struct vg_err *err);

/*
 * Walk the chain: VG_OK with *count records if intact; VG_ECORRUPT with
 * *bad the first record whose hash does not follow (err says how).
 */
int vg_store_audit_verify(struct vg_store *st, int64_t *count, int64_t *bad,
                          struct vg_err *err);

/* ---- sessions and sign-in ---- */

struct vg_session {
    int64_t user_id;
    char username[VG_USERNAME_MAX + 1];
    enum vg_role role;
    char csrf[65];      /* the session's CSRF token (hex) */
    int64_t expires_at; /* Unix seconds */
};

/*
 * A new session for user_id, known by the SHA-256 of its token (the
 * token itself is only in the browser's cookie), with its CSRF token;
 * sessions past their expiry are deleted on the way.  Audited as
 * "login".
 */
int vg_store_session_new(struct vg_store *st, int64_t user_id,
                         const uint8_t token_hash[32], const char *csrf,
                         int64_t now, int64_t expires_at, struct vg_err *err);
/* The live session (not expired, user not disabled); VG_ENOENT if none. */
int vg_store_session_get(struct vg_store *st, const uint8_t token_hash[32],
                         int64_t now, struct vg_session *out,
                         struct vg_err *err);
/* End it (sign out; audited as "logout").  No session: VG_OK. */
int vg_store_session_end(struct vg_store *st, const uint8_t token_hash[32],
                         struct vg_err *err);

/* An audit record as the console lists it. */
struct vg_audit_entry {
    struct vg_audit_record r;
    const char *username; /* the actor's; NULL if none or gone */
};

struct vg_audit_page {
    struct vg_audit_entry *v; /* newest first */
    size_t n;
    struct vg_store_strings *strings;
};

/* The audit log newest first: records before before_id (0: the latest),
 * at most limit (vg_audit_page_free). */
int vg_store_audit_recent(struct vg_store *st, int64_t before_id,
                          int64_t limit, struct vg_audit_page **out,
                          struct vg_err *err);
void vg_audit_page_free(struct vg_audit_page *p);

#endif
