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
    const char *partner;            /* never NULL; "" = the key's name */
    int64_t rate_per_minute;        /* requests; 0 = no limit */
    int64_t daily_quota;            /* requests a UTC day; 0 = no limit */
};

/* A partner's name: 1..200 bytes, no control characters, no comma (a
 * list of partners is written with commas).  1 if valid. */
int vg_partner_name_valid(const char *name);

/* Keys are stored as SHA-256 (32 bytes) of the secret, never the secret.
 * k gives the name (1..200 bytes), scopes (NULL: ""), partner (NULL or
 * "": the key's name; else vg_partner_name_valid), the rate and the quota
 * (>= 0); its id and times are ignored.  VG_EINVAL for a bad field. */
int vg_store_apikey_add(struct vg_store *st, int64_t actor,
                        const struct vg_apikey *k, const uint8_t hash[32],
                        int64_t *id, struct vg_err *err);
int vg_store_apikey_revoke(struct vg_store *st, int64_t actor, int64_t id,
                           struct vg_err *err); /* VG_ENOENT */
/* The valid key with this hash: VG_OK (*out's strings valid in cb only:
 * copy what you keep), VG_ENOENT if none or revoked.  A key found is
 * remembered for a second: finds within it are answered from memory,
 * without waiting for a write transaction in progress.  A key revoked
 * through this store is refused at once; one revoked by another process
 * (`vigil apikeys revoke` beside `vigil serve`) within a second of that
 * commit, plus the time of the one query that finds it so (meanwhile the
 * other finds of that key are answered from memory, for up to 5 s). */
int vg_store_apikey_find(struct vg_store *st, const uint8_t hash[32],
                         int (*cb)(void *ctx, const struct vg_apikey *k),
                         void *ctx, struct vg_err *err);
int vg_store_apikeys(struct vg_store *st,
                     int (*cb)(void *ctx, const struct vg_apikey *k),
                     void *ctx, struct vg_err *err);

/*
 * Add n requests to a key's count for a UTC day (Unix days), summed over
 * every node, and give the day's total after the addition in *total (may
 * be NULL).  Not audited (a counter).  VG_OK or the store's error.
 */
int vg_store_api_usage_add(struct vg_store *st, int64_t key_id, int64_t day,
                           int64_t n, int64_t *total, struct vg_err *err);

/* ---- the audit log: append-only, each record chained to the last ---- */

/*
 * Record an action (inside its own transaction).  Each record's hash is
 * over the previous record's hash and this record's fields, so changing,
 * removing or reordering any record breaks the chain.  With the store's
 * audit key (vg_store_audit_key) the hash is an HMAC-SHA-256 under the
 * key, over the record's number too, so one without the key cannot
 * rechain; without it, SHA-256.  The first record written with the key
 * marks where the keyed chain starts (kept in audit_keyed); from then on
 * a store opened without the key cannot append (VG_EACCES).  The database
 * refuses UPDATE and DELETE on the log (triggers).
 */
int vg_store_audit_append(struct vg_store *st, int64_t actor,
                          const char *action, const char *object_type,
                          int64_t object_id, const char *detail,
                          struct vg_err *err);

/*
 * Key the audit chain with the 32 bytes of key_file, kept apart from the
 * database (as the sealing key is: created 0600 with random bytes when
 * absent and create is set; refused, VG_EACCES, when the group or others
 * may read it or it is not a regular file).  head_file (NULL: none) is
 * opened O_APPEND (created 0600), and each transaction that appends
 * records adds one line to it once committed: "SEQ MAC TIME\n", the last
 * record's number, its MAC in hex and its time, so the head lives where
 * the database's writer cannot rewrite it.  VG_ENOENT (no key file and
 * create 0), VG_EACCES, VG_EFORMAT (not 32 bytes), VG_EIO.  Call it before
 * sharing the store between threads.
 */
int vg_store_audit_key(struct vg_store *st, const char *key_file, int create,
                       const char *head_file, struct vg_err *err);

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

/*
 * The latest limit records (0: all) with an id below before (0: the
 * last), to cb in order (oldest first).  With next given, *next is the
 * before of the page of older records (the first record's id), or 0 when
 * none is older.
 */
int vg_store_audit(struct vg_store *st, int64_t before, int64_t limit,
                   int (*cb)(void *ctx, const struct vg_audit_record *r),
                   void *ctx, int64_t *next, struct vg_err *err);

#define VG_AUDIT_MAC_LEN 32

/* What a walk of the chain found. */
struct vg_audit_verdict {
    int64_t count;      /* records */
    int64_t keyed_from; /* the first keyed record; 0: none is keyed */
    int64_t unchecked;  /* keyed records whose MAC could not be checked:
                           the store has no key (only their links were) */
    int64_t bad;        /* the first bad record, 0 if none */
    int64_t rotated_at; /* the last key rotation's checkpoint: the records
                           before it checked through its digest; 0: none */
};

/*
 * Walk the chain: links, SHA-256 of the unkeyed records (those before
 * keyed_from), and with the store's key the MAC of each keyed record.
 * VG_OK if nothing is wrong (v->unchecked says what could not be
 * checked); VG_ECORRUPT with v->bad the first record that is wrong (err
 * says how: changed, or made with another key; removed, inserted or
 * reordered).
 */
int vg_store_audit_verify(struct vg_store *st, struct vg_audit_verdict *v,
                          struct vg_err *err);

/*
 * Rotate the audit key: in one write transaction, walk the chain under
 * the store's key (as vg_store_audit_verify), then append, under key, a
 * checkpoint record ("audit.key_rotated", its detail the SHA-256 digest of
 * every record before it) from which the log is keyed with key; the store
 * then holds key.  *at is the checkpoint's number.  VG_EACCES without the
 * current key, VG_ECORRUPT (nothing written) if the chain is broken.  The
 * caller puts key in the key file after (processes holding the old key
 * read the file again before their next append, and are refused until it
 * holds the new key).
 */
int vg_store_audit_rotate(struct vg_store *st, const uint8_t key[32],
                          int64_t *at, struct vg_err *err);

/* The head: the last record's number and MAC, and the MAC under the key
 * of "vigil-audit-head SEQ MAC" (MAC in lower-case hex) when the store
 * has the key (is_signed). */
struct vg_audit_head {
    int64_t seq, at; /* seq 0: the log is empty */
    uint8_t mac[VG_AUDIT_MAC_LEN];
    int is_signed;
    uint8_t sig[VG_AUDIT_MAC_LEN];
};

int vg_store_audit_head(struct vg_store *st, struct vg_audit_head *h,
                        struct vg_err *err);

/*
 * Check a head kept elsewhere: record seq is in the log with that MAC.
 * VG_OK; VG_ECORRUPT (err says: the log was cut before seq, the record is
 * gone, or it differs from the kept head).  Together with
 * vg_store_audit_verify under the key this shows that nothing before seq
 * was changed and nothing up to it cut off.
 */
int vg_store_audit_check_head(struct vg_store *st, int64_t seq,
                              const uint8_t mac[VG_AUDIT_MAC_LEN],
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

/*
 * The sign-in throttle's counts (vigil/throttle.h keeps the policy), in the
 * store so that every `vigil serve` node counts the same failures: slots
 * numbered by the count's keyed hash (direct-mapped, 0..65535), each with
 * that hash (id; 0: empty), the account's epoch, the last failure's time
 * in milliseconds and the failures.
 */
struct vg_throttle_slot {
    int64_t slot, id, epoch, last_ms, failures;
};
/* Read slots[0..n) (each .slot set by the caller; a slot never written
 * reads as empty). */
int vg_store_throttle_read(struct vg_store *st, struct vg_throttle_slot *slots,
                           size_t n, struct vg_err *err);
/*
 * Read slots[0..n), call change(ctx, slots, n), write them back: all in
 * one write transaction, so no other process's change falls in between.
 * change runs with the store held and must not call it.
 */
typedef void vg_throttle_change_fn(void *ctx, struct vg_throttle_slot *slots,
                                   size_t n);
int vg_store_throttle_update(struct vg_store *st,
                             struct vg_throttle_slot *slots, size_t n,
                             vg_throttle_change_fn *change, void *ctx,
                             struct vg_err *err);

/* An audit record as the console lists it. */
struct vg_audit_entry {
    struct vg_audit_record r;
    const char *username; /* the actor's; NULL if none or gone */
};

struct vg_audit_page {
    struct vg_audit_entry *v; /* newest first */
    size_t n;
    int64_t next;  /* before_id of the page of older records; 0: none */
    int64_t prev;  /* after_id of the page of newer records; 0: none */
    int64_t from;  /* records newer than v[0] */
    int64_t total; /* records in all */
    struct vg_store_strings *strings;
};

/* A page of the audit log, newest first: records before before_id (0:
 * the latest), or, with after_id set, the limit records just above it;
 * at most limit; with its neighbours' cursors and counts
 * (vg_audit_page_free). */
int vg_store_audit_recent(struct vg_store *st, int64_t before_id,
                          int64_t after_id, int64_t limit,
                          struct vg_audit_page **out, struct vg_err *err);
void vg_audit_page_free(struct vg_audit_page *p);

#endif
