/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: everything Vigil keeps, behind one interface with two backends
 * by design: SQLite (the embedded default, WAL mode, a file path) and
 * PostgreSQL (a postgresql:// URL; a later issue).  Nothing here exposes a
 * backend's types.  Opening applies the versioned schema migrations that
 * are missing, each in its own transaction, and refuses a database whose
 * schema is newer than this program.
 *
 * This surface holds the hash lists (what HMA calls banks) and their
 * entries; the schema already has the tables of the whole of DESIGN.md.
 *
 * Strings handed to callbacks are borrowed for the duration of the call.
 * Thread safety: one store may be used from several threads; calls are
 * serialised inside (an import holds the store until commit or abort),
 * but for vg_store_apikey_find's answers from memory.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "vigil/algo.h"
#include "vigil/error.h"

struct vg_store;

struct vg_store_opts {
    /* Migrate only up to this schema version (0 = the latest).  For tests
     * and tools that must create an older database on purpose. */
    int schema_version;
};

/*
 * The database used when no --db is given: $VIGIL_DB if set, else
 * $XDG_DATA_HOME/vigil/vigil.db, else $HOME/.local/share/vigil/vigil.db.
 * Returns a string the caller must vg_free, or NULL (out of memory, or
 * neither HOME nor XDG_DATA_HOME set).
 */
char *vg_store_default_url(void);

/*
 * Open (creating if needed) the store at url: a file path or sqlite:PATH
 * for SQLite (its directory is created), postgresql://... (not yet
 * supported: VG_EFORMAT).  opts may be NULL.  Returns VG_OK, VG_EIO (cannot
 * open or not a database), VG_EVERSION (schema newer than this program),
 * VG_EFORMAT, VG_ENOMEM; err says which file and why.
 */
int vg_store_open(const char *url, const struct vg_store_opts *opts,
                  struct vg_store **out, struct vg_err *err);
void vg_store_close(struct vg_store *st);

/* The schema version the store is at, and the latest this program knows. */
int vg_store_schema_version(struct vg_store *st, int *out, struct vg_err *err);
int vg_store_schema_latest(void);

/* ---- hash lists ---- */

enum vg_list_kind {
    VG_LIST_BLOCK = 0, /* known material: a match is reported */
    VG_LIST_ALLOW      /* known false positives: a match suppresses others */
};

#define VG_LIST_NAME_MAX 64
#define VG_LIST_TEXT_MAX 256

struct vg_list {
    int64_t id;
    char name[VG_LIST_NAME_MAX + 1];     /* [A-Za-z0-9._-], 1..64 */
    char source[VG_LIST_TEXT_MAX + 1];   /* e.g. "NCMEC", "analysts" */
    char category[VG_LIST_NAME_MAX + 1]; /* default for entries */
    int pdq_distance;                    /* 0..256, default 31 */
    enum vg_list_kind kind;
    int enabled;
    int64_t created_at;                  /* Unix seconds, UTC */
    /* filled by reads: */
    int64_t entries, entries_enabled;
    int64_t imports;                     /* how many imports so far */
    int64_t last_import_at;              /* 0 if none */
};

/* A valid list name?  (1..64 of [A-Za-z0-9._-], not starting with '-') */
int vg_list_name_valid(const char *name);

/*
 * Create a list from l (id, created_at and counts are ignored); *id gets the
 * new id.  VG_EEXIST if the name is taken, VG_EINVAL for a bad name,
 * category or distance.
 */
int vg_store_list_create(struct vg_store *st, const struct vg_list *l,
                         int64_t *id, struct vg_err *err);
/* By name; VG_ENOENT if there is none. */
int vg_store_list_get(struct vg_store *st, const char *name,
                      struct vg_list *out, struct vg_err *err);
/* Every list in name order; cb returns VG_OK to go on. */
int vg_store_lists(struct vg_store *st,
                   int (*cb)(void *ctx, const struct vg_list *l), void *ctx,
                   struct vg_err *err);
int vg_store_list_set_enabled(struct vg_store *st, int64_t list_id,
                              int enabled, struct vg_err *err);
/* Delete a list with its entries and import history. */
int vg_store_list_delete(struct vg_store *st, int64_t list_id,
                         struct vg_err *err);

/* One import's provenance, as recorded and as `lists show` prints it. */
struct vg_list_import {
    int64_t id, list_id;
    int64_t imported_at;   /* Unix seconds, UTC */
    const char *source_file;
    const char *format;
    const char *file_sha256; /* hex of the file's bytes */
    int64_t lines, added, already_present;
};

int vg_store_list_imports(struct vg_store *st, int64_t list_id,
                          int (*cb)(void *ctx, const struct vg_list_import *i),
                          void *ctx, struct vg_err *err);

/* ---- entries ---- */

struct vg_list_entry {
    int64_t id, list_id;
    enum vg_algo algo;
    uint8_t value[VG_ALGO_MAXSIZE]; /* vg_algo_size(algo) bytes, canonical */
    const char *category;           /* NULL = the list's */
    const char *external_id;        /* NULL if none */
    const char *metadata;           /* NULL if none */
    int quality;                    /* -1 if unknown */
    int enabled;
};

/*
 * An import: begin, add entries, then commit or abort.  Nothing is visible
 * to other readers and nothing survives a crash until commit returns VG_OK
 * (one transaction).  An entry whose (algorithm, value) the list already
 * has is counted as already present and left as it is.  Entries are
 * copied (written in batches).  Between begin and commit/abort the import
 * holds the store: the caller must make no other store call meanwhile.
 */
struct vg_store_import;

int vg_store_import_begin(struct vg_store *st, int64_t list_id,
                          const char *source_file, const char *format,
                          const char *file_sha256,
                          struct vg_store_import **out, struct vg_err *err);
/* e->id, e->list_id and e->enabled are ignored (new entries are enabled). */
int vg_store_import_add(struct vg_store_import *im,
                        const struct vg_list_entry *e, struct vg_err *err);
/* Commit; *added and *present (may be NULL) get the counts.  Frees im. */
int vg_store_import_commit(struct vg_store_import *im, int64_t lines,
                           int64_t *added, int64_t *present,
                           struct vg_err *err);
/* Roll back and free im (NULL is a no-op). */
void vg_store_import_abort(struct vg_store_import *im);

enum {
    VG_ENTRIES_ENABLED_ONLY = 1 << 0, /* skip disabled entries */
    VG_ENTRIES_ACTIVE_LISTS = 1 << 1, /* all lists: only enabled lists */
    VG_ENTRIES_HASH_ONLY = 1 << 2     /* no category, ids, metadata, quality */
};

/*
 * Every entry of list_id (0 = of every list) in id order.  cb returns
 * VG_OK to go on; any other code stops the walk and is returned.
 */
int vg_store_entries(struct vg_store *st, int64_t list_id, unsigned flags,
                     int (*cb)(void *ctx, const struct vg_list_entry *e),
                     void *ctx, struct vg_err *err);
/* How many entries the walk above would give (to size an index). */
int vg_store_entries_count(struct vg_store *st, int64_t list_id,
                           unsigned flags, int64_t *out, struct vg_err *err);
/* One entry by id; VG_ENOENT if none. */
int vg_store_entry_get(struct vg_store *st, int64_t id,
                       int (*cb)(void *ctx, const struct vg_list_entry *e),
                       void *ctx, struct vg_err *err);
/* Entries of a list with this algorithm and value (0 or 1 of them). */
int vg_store_entry_find(struct vg_store *st, int64_t list_id,
                        enum vg_algo algo, const uint8_t *value, int64_t *id,
                        struct vg_err *err);
/* Quarantine (or release) one entry; VG_ENOENT if no such entry. */
int vg_store_entry_set_enabled(struct vg_store *st, int64_t id, int enabled,
                               struct vg_err *err);

/* ---- crawls and their frontier ---- */

/*
 * A crawl's frontier is durable: URLs wait in the store (queued), are
 * leased in batches, and end done or failed, so a crawl killed at any
 * point resumes with vg_store_crawl_reopen (leased URLs go back to the
 * queue) and loses nothing, and fetches nothing twice that was finished.
 * What a fetch found (the URLs it links to, the image's sighting and
 * detections) is committed in the same transaction that finishes it
 * (vg_store_crawl_commit), so nothing is recorded twice either.  Each URL
 * is stored once (canonical text) however many crawls hold it; the
 * (crawl, URL) key is the crawl's seen-set, on disk.  Leases come highest
 * priority first (lowest number: reported URLs get 0), then shallowest,
 * then round-robin over hosts (host_seq), then oldest.
 */
int vg_store_crawl_new(struct vg_store *st, const char *params_json,
                       int64_t *id, struct vg_err *err);
/* After a restart: leased URLs of the crawl are queued again. */
int vg_store_crawl_reopen(struct vg_store *st, int64_t crawl_id,
                          int64_t *requeued, struct vg_err *err);
/* The crawl ended: status "finished" or "stopped" (resumable). */
int vg_store_crawl_end(struct vg_store *st, int64_t crawl_id,
                       const char *status, struct vg_err *err);

enum vg_frontier_kind { VG_FRONTIER_PAGE = 0, VG_FRONTIER_MEDIA };

struct vg_frontier_url {
    const char *url;      /* canonical (vigil/url.h) */
    const char *host;
    int priority;         /* 0 first */
    int depth;
    int64_t parent_url_id; /* 0 if none */
    enum vg_frontier_kind kind;
    int offsite;          /* links followed off the seed's site to here */
    int64_t host_seq;     /* the n-th URL of its host in the crawl: leases
                             take the hosts' first URLs, then their second,
                             ... so one busy host does not fill the window */
};

/*
 * Add n URLs in one transaction; ones the crawl already holds are left as
 * they are.  *added (may be NULL) gets how many were new.
 */
int vg_store_frontier_add(struct vg_store *st, int64_t crawl_id,
                          const struct vg_frontier_url *v, size_t n,
                          size_t *added, struct vg_err *err);

struct vg_frontier_lease {
    int64_t url_id;
    const char *url, *host;
    int priority, depth;
    int64_t parent_url_id; /* 0 if none */
    enum vg_frontier_kind kind;
    int offsite;
};

/*
 * Lease up to max queued URLs (of every kind, or only media) whose
 * not-before time is at most now (Unix seconds), in priority order, and
 * pass each to cb after the lease is committed.  *n (may be NULL) gets the
 * count.
 */
int vg_store_frontier_lease(struct vg_store *st, int64_t crawl_id, size_t max,
                            int only_media, int64_t now,
                            int (*cb)(void *ctx,
                                      const struct vg_frontier_lease *l),
                            void *ctx, size_t *n, struct vg_err *err);

/* Every URL a crawl holds, in no particular order (to rebuild caches). */
int vg_store_frontier_each(struct vg_store *st, int64_t crawl_id,
                           int (*cb)(void *ctx, const char *url,
                                     const char *host,
                                     enum vg_frontier_kind kind),
                           void *ctx, struct vg_err *err);

/* ---- what a crawl found ---- */

/* A leased URL is finished. */
struct vg_frontier_done {
    int64_t url_id;
    int ok;              /* done (1) or failed (0) */
    long http_status;    /* 0 without an answer */
    const char *error;   /* why it failed (or a note), NULL if none */
};

/* A match of a sighting's media against a list entry. */
struct vg_detection_rec {
    int64_t entry_id;
    const char *algo;    /* "pdq", "md5", "sha1", "sha256" */
    int distance;
    const char *variant; /* dihedral variant name, NULL for digests */
};

/*
 * An image seen at a URL (on a page), with its hashes (never its bytes)
 * and the evidence of the fetch.
 */
struct vg_sighting_rec {
    int64_t url_id, page_url_id;    /* page 0 if none */
    int64_t seen_at;                /* Unix seconds, UTC */
    long http_status;
    const char *server_ip;          /* NULL if unknown */
    const char *headers_json;       /* selected response headers */
    const uint8_t *sha256, *md5, *sha1;
    const uint8_t *pdq;             /* 32 bytes, NULL if not hashed */
    int pdq_quality;
    const char *format;
    unsigned width, height;
    int64_t bytes;
    const struct vg_detection_rec *detections;
    size_t ndetections;
    /* a sealed review thumbnail (issue 5), or NULL: with one, media the
       store did not have under review yet awaits review (vg_store_review_*
       below); media pending or reviewed keep what they have */
    const uint8_t *thumbnail;
    size_t thumbnail_len;
};

struct vg_crawl_batch {
    const struct vg_frontier_done *done;
    size_t ndone;
    const struct vg_frontier_url *add;      /* URLs the fetches found */
    size_t nadd;
    const struct vg_sighting_rec *sightings;
    size_t nsightings;
};

/*
 * One transaction: the found URLs added, the sightings (media rows shared
 * by SHA-256) and their detections recorded, the done URLs finished.  A
 * done URL that is not leased is VG_ENOENT (nothing is written).
 * *added (may be NULL) gets how many URLs were new.
 */
int vg_store_crawl_commit(struct vg_store *st, int64_t crawl_id,
                          const struct vg_crawl_batch *b, size_t *added,
                          struct vg_err *err);

struct vg_frontier_counts {
    int64_t queued, leased, done, failed;
    int64_t pages, media; /* of all four, by kind */
};
int vg_store_frontier_counts(struct vg_store *st, int64_t crawl_id,
                             struct vg_frontier_counts *out,
                             struct vg_err *err);

struct vg_crawl_info {
    int64_t id;
    int64_t started_at, finished_at; /* finished 0 while not ended */
    const char *status;              /* running, stopped, finished */
    const char *params;              /* JSON, as given to crawl_new */
    int64_t sightings, detections;
    struct vg_frontier_counts urls;
};

/*
 * Crawls, newest first (id 0: all; else that one, VG_ENOENT if none).
 * cb must not call the store.
 */
int vg_store_crawls(struct vg_store *st, int64_t id,
                    int (*cb)(void *ctx, const struct vg_crawl_info *c),
                    void *ctx, struct vg_err *err);

/* A detection with everything a hotline needs to act on it. */
struct vg_detection_info {
    int64_t id, crawl_id;
    const char *url, *page_url;     /* page NULL if none */
    int64_t fetched_at;             /* Unix seconds, UTC */
    long http_status;
    const char *server_ip, *headers_json;
    const uint8_t *sha256, *md5;    /* 32 and 16 bytes */
    const uint8_t *pdq;             /* 32 bytes, or NULL */
    int pdq_quality;
    const char *format;
    unsigned width, height;
    int64_t entry_id, list_id;      /* 0 if since deleted */
    const char *list, *category, *external_id, *metadata;
    const char *algo, *variant;
    int distance;
    const char *status;
};

/* Detections, oldest first, of one crawl (crawl_id 0: all). */
int vg_store_detections(struct vg_store *st, int64_t crawl_id,
                        int (*cb)(void *ctx,
                                  const struct vg_detection_info *d),
                        void *ctx, struct vg_err *err);

/* ---- reports from the public and partners ---- */

#define VG_REFERENCE_LEN 14 /* "XXXX-XXXX-XXXX" */

/* A report as stored (validated by the caller: vigil/report.h). */
struct vg_report_rec {
    const char *channel;        /* "web", "api", "partner" */
    const char *language;       /* "en", "fr" */
    const char *incident_type;  /* one of the eight (vigil/report.h) */
    const char *incident_at;    /* as the reporter gave it, or NULL */
    const char *description;
    const char *details_json;   /* the other answers, a JSON object */
    const uint8_t *contact;     /* sealed contact details, or NULL */
    size_t contact_len;
    int named_child;            /* names a child victim or a suspect */
    int64_t api_key_id;         /* 0 for the public form */
    const char *idempotency_key; /* with api_key_id: a retry is not stored
                                    twice; NULL if none */
    const struct vg_frontier_url *urls; /* canonical url and host only */
    size_t nurls;
};

struct vg_report_ack {
    char reference[VG_REFERENCE_LEN + 1]; /* what the reporter can quote */
    int64_t id;
    int duplicate; /* the idempotency key was seen: the first report's */
};

/*
 * Store n reports in one transaction (group commit: the caller batches
 * concurrent submissions), each with a fresh random reference; their URLs
 * become seeds of the standing "reports" crawl at the highest priority.
 * When this returns VG_OK the reports are on disk.
 */
int vg_store_reports_add(struct vg_store *st, const struct vg_report_rec *v,
                         size_t n, struct vg_report_ack *acks,
                         struct vg_err *err);

/* The standing crawl reported URLs go to (created on first use). */
int vg_store_reports_crawl(struct vg_store *st, int64_t *crawl_id,
                           struct vg_err *err);

/* ---- people: analyst and admin accounts ---- */

enum vg_role { VG_ROLE_ANALYST = 0, VG_ROLE_ADMIN };

#define VG_USERNAME_MAX 64
#define VG_PASSWORD_HASH_MAX 128

struct vg_user {
    int64_t id;
    char username[VG_USERNAME_MAX + 1];
    enum vg_role role;
    int disabled;
    int failed_logins;
    int64_t locked_until; /* Unix seconds; 0 if not locked */
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
int vg_store_user_set_password(struct vg_store *st, int64_t actor,
                               const char *username, const char *hash,
                               struct vg_err *err);
/* Disabling also ends the user's sessions. */
int vg_store_user_set_disabled(struct vg_store *st, int64_t actor,
                               const char *username, int disabled,
                               struct vg_err *err);
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

/* ---- the analyst console: sessions, sign-in, the report queue ---- */

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
 * A failed sign-in of user_id at now: one more failure; at max_failures
 * in a row the account is locked until now + lock_s (audited as
 * "login.locked") and the count starts again.  *locked_until is the lock's
 * end (0: not locked).
 */
int vg_store_login_failed(struct vg_store *st, int64_t user_id, int64_t now,
                          int max_failures, int64_t lock_s,
                          int64_t *locked_until, struct vg_err *err);

/* Which reports the queue shows; NULL or "" fields: any. */
struct vg_queue_filter {
    const char *status; /* "new", "in_review", "closed" */
    const char *incident_type;
    int64_t limit, offset; /* limit 0: 100 */
};

/*
 * The queue as JSON: {"total": n, "reports": [{id, reference, received_at,
 * channel, language, incident_type, named_child, status, urls}]}, the
 * highest priority first (a named child victim or suspect), then arrival
 * order.
 */
int vg_store_report_queue(struct vg_store *st, const struct vg_queue_filter *f,
                          json_t **out, struct vg_err *err);

/*
 * Open report id for an analyst (actor): the first time, its first
 * incident is made from the report's own type and the report goes to
 * "in_review"; every opening is audited ("report.view").  *out is the
 * report as JSON with "urls" (each with its latest crawl's state,
 * http_status and error), "incidents" and
 * "media" (seen at the reported addresses or on the reported pages, with
 * their review state and the lists they matched);
 * *contact the sealed contact details (vg_malloc'd; NULL if none).
 * VG_ENOENT if there is no such report.
 */
int vg_store_report_open(struct vg_store *st, int64_t actor, int64_t id,
                         json_t **out, uint8_t **contact, size_t *ncontact,
                         struct vg_err *err);

/* Split a report: a new incident of incident_type (audited). */
int vg_store_incident_add(struct vg_store *st, int64_t actor,
                          int64_t report_id, const char *incident_type,
                          int64_t *id, struct vg_err *err);
/*
 * Re-classify an incident of report_id and record its outcome ("police",
 * "child_welfare", "partner_hotline", "no_action", or NULL: none yet) and
 * notes (audited).  The report is "closed" once every incident has an
 * outcome, "in_review" otherwise.  VG_ENOENT if the incident is not the
 * report's.
 */
int vg_store_incident_update(struct vg_store *st, int64_t actor,
                             int64_t report_id, int64_t incident_id,
                             const char *incident_type, const char *outcome,
                             const char *notes, struct vg_err *err);

/* The audit log newest first: records before before_id (0: the latest),
 * at most limit, as JSON [{id, at, user_id, username, action,
 * object_type, object_id, detail}]. */
int vg_store_audit_recent(struct vg_store *st, int64_t before_id,
                          int64_t limit, json_t **out, struct vg_err *err);

/* A page of a list's entries after after_id, in id order, as JSON
 * [{id, algo, value (hex), category, external_id, metadata, quality,
 * enabled}]. */
int vg_store_entries_page(struct vg_store *st, int64_t list_id,
                          int64_t after_id, int64_t limit, json_t **out,
                          struct vg_err *err);

/* Disable (quarantine) or enable an entry of list_id, audited as
 * actor's.  VG_ENOENT if the list has no such entry. */
int vg_store_entry_enable(struct vg_store *st, int64_t actor, int64_t list_id,
                          int64_t entry_id, int enabled, struct vg_err *err);

/* ---- media review (issue 5) ---- */

/*
 * Media a crawl found that matched no list wait for analysts, with a sealed
 * thumbnail (vg_sighting_rec.thumbnail; vigil/thumb.h, vigil/seal.h),
 * oldest first.  Each analyst classifies an item, and may change their
 * vote (one vote per analyst and item).  When `required` analysts agree
 * on one classification, in the transaction of that vote: for csam and
 * harmful-abusive the media's SHA-256, MD5, SHA-1 and PDQ (when it has one
 * of quality >= VG_REVIEW_PDQ_MIN_QUALITY) join the hotline's own block
 * list VG_REVIEW_LIST (created on first use; entries' category = the
 * classification, metadata = the media and the analysts), then the item
 * leaves the queue for good and its thumbnail is deleted, and each of its
 * sightings becomes a detection of the verified SHA-256 entry (so notice
 * and takedown need not wait for another crawl).  not-actionable
 * does the same without list entries.  Every vote and every decision is an
 * audit record (vg_store_audit), in the same transaction.
 *
 * Callbacks are called with the store held: they must not call the store.
 * Strings handed to callbacks are borrowed for the call.
 */

enum vg_review_class {
    VG_REVIEW_CSAM = 0,      /* "csam" */
    VG_REVIEW_HARMFUL,       /* "harmful-abusive" */
    VG_REVIEW_NOT_ACTIONABLE /* "not-actionable" */
};

/* The class's name; parse: VG_OK or VG_EINVAL. */
const char *vg_review_class_name(enum vg_review_class c);
int vg_review_class_parse(const char *s, enum vg_review_class *out);

#define VG_REVIEW_LIST "verified"         /* the hotline's own list */
#define VG_REVIEW_LIST_SOURCE "analysts"
#define VG_REVIEW_AGREE_DEFAULT 2         /* analysts who must agree */
#define VG_REVIEW_AGREE_MAX 100
#define VG_REVIEW_PDQ_MIN_QUALITY 50      /* below: no PDQ entry */
#define VG_REVIEW_REPORTS_MAX 16          /* reports listed per item */
#define VG_REVIEW_SIGHTINGS_MAX 100       /* newest, in vg_review_media */
#define VG_REVIEW_DETECTIONS_MAX 100

/* A report whose URL led the crawl to the media (its page's parent chain
 * in the crawl's frontier, or the media's own URL, is a reported URL). */
struct vg_review_report {
    int64_t id;
    char reference[VG_REFERENCE_LEN + 1];
};

struct vg_review_item {
    int64_t media_id;
    char sha256[65];                /* hex */
    const char *format;             /* "jpeg", ...; NULL if unknown */
    unsigned width, height;
    int64_t bytes;
    int64_t first_seen_at;          /* Unix seconds, UTC */
    int64_t queued_at;              /* when it joined the queue */
    int64_t sightings;              /* every sighting */
    int64_t votes;                  /* analysts who voted so far */
    const char *my_vote;            /* the viewer's class, NULL if none */
    /* the latest sighting */
    const char *url, *page_url;     /* page NULL if none */
    int64_t crawl_id, seen_at;      /* crawl 0 if unknown */
    const struct vg_review_report *reports; /* up to VG_REVIEW_REPORTS_MAX */
    size_t nreports;
};

enum {
    VG_REVIEW_QUEUE_UNVOTED = 1 << 0 /* only items the viewer did not vote */
};

/*
 * The queue (media pending review), oldest first: up to limit items
 * (0: all) after skipping offset, to cb; *total (may be NULL) gets how
 * many items the queue holds (with the flags' filter).  viewer (a user
 * id, 0: none) fills my_vote.
 */
int vg_store_review_queue(struct vg_store *st, int64_t viewer, unsigned flags,
                          int64_t limit, int64_t offset,
                          int (*cb)(void *ctx,
                                    const struct vg_review_item *it),
                          void *ctx, int64_t *total, struct vg_err *err);

struct vg_review_sighting {
    int64_t id, crawl_id;           /* crawl 0 if unknown */
    char *url, *page_url;           /* page NULL if none */
    int64_t seen_at;
    long http_status;
    char *server_ip;                /* NULL if unknown */
};

struct vg_review_detection {
    int64_t id, entry_id, list_id;  /* entry, list 0 if since deleted */
    char *list, *category;          /* NULL if since deleted */
    char *algo, *variant;           /* variant NULL for digests */
    int distance;
    int64_t detected_at;
};

struct vg_review_vote {
    int64_t user_id;
    char *username;                 /* NULL if the account is gone */
    char *classification;
    int64_t decided_at;
};

/* One media item, all of it the caller's (vg_review_media_free). */
struct vg_review_media {
    int64_t id;
    char sha256[65], md5[33], sha1[41]; /* hex */
    char pdq[65];                   /* hex; "" if not hashed */
    int pdq_quality;                /* -1 if not hashed */
    char *format;                   /* NULL if unknown */
    unsigned width, height;
    int64_t bytes, first_seen_at;
    char *review;                   /* NULL (never queued), pending, done */
    char *classification;           /* the decision once done, else NULL */
    int64_t queued_at, reviewed_at; /* 0 if not */
    struct vg_review_sighting *sightings; /* newest first */
    size_t nsightings;
    int64_t sightings_total;
    struct vg_review_detection *detections; /* oldest first */
    size_t ndetections;
    struct vg_review_vote *votes;   /* oldest first */
    size_t nvotes;
    struct vg_review_report *reports;
    size_t nreports;
    uint8_t *thumbnail;             /* sealed; NULL if none (not pending) */
    size_t thumbnail_len;
};

/* One media item by id (VG_ENOENT if none), read in one snapshot. */
int vg_store_review_media(struct vg_store *st, int64_t media_id,
                          struct vg_review_media **out, struct vg_err *err);
void vg_review_media_free(struct vg_review_media *m);

/*
 * The same as JSON objects for templates (json_decref *out): the queue as
 * {"total": n, "items": [{media_id, sha256, format, width, height, bytes,
 * first_seen_at, queued_at, sightings, votes, my_vote, url, page_url,
 * crawl_id, seen_at, reports: [{id, reference}]}]}, and one item with the
 * fields of struct vg_review_media (pdq and pdq_quality null when not
 * hashed; sightings, detections, votes, reports as arrays of objects) but
 * has_thumbnail (true/false) instead of the thumbnail's bytes.
 */
int vg_store_review_queue_json(struct vg_store *st, int64_t viewer,
                               unsigned flags, int64_t limit, int64_t offset,
                               json_t **out, struct vg_err *err);
int vg_store_review_media_json(struct vg_store *st, int64_t media_id,
                               json_t **out, struct vg_err *err);

/* Only the sealed thumbnail (vg_free it); VG_ENOENT if none. */
int vg_store_review_thumbnail(struct vg_store *st, int64_t media_id,
                              uint8_t **out, size_t *n, struct vg_err *err);

enum vg_review_outcome {
    VG_REVIEW_RECORDED = 0, /* the vote is in; no agreement yet */
    VG_REVIEW_VERIFIED,     /* agreed, actionable: on the verified list */
    VG_REVIEW_DISMISSED     /* agreed not-actionable */
};

struct vg_review_result {
    enum vg_review_outcome outcome;
    int agree;             /* votes for this classification, this one in */
    int votes;             /* votes in all */
    int changed;           /* the analyst had voted otherwise before */
    int64_t list_id;       /* verified: the list */
    int64_t entries_added; /* verified: new entries (others were there) */
};

/*
 * user_id's vote on media_id (replacing their earlier one), then the
 * decision if `required` (1..VG_REVIEW_AGREE_MAX) votes agree, all in one
 * transaction with its audit records.  VG_ENOENT: no such media or it
 * never awaited review, or no such user; VG_EEXIST: already decided;
 * VG_EACCES: the account is disabled; VG_EINVAL: bad required, or the
 * list VG_REVIEW_LIST exists and is not a block list.  out may be NULL.
 */
int vg_store_review_add(struct vg_store *st, int64_t media_id,
                        int64_t user_id, enum vg_review_class c,
                        int required, struct vg_review_result *out,
                        struct vg_err *err);

/*
 * For the crawler, before it makes a thumbnail: *out 1 when media with
 * this SHA-256 would join the queue (the store does not have it, or has it
 * but never queued), 0 when it is pending or decided.
 */
int vg_store_review_wanted(struct vg_store *st, const uint8_t sha256[32],
                           int *out, struct vg_err *err);

/* ---- notice and takedown (vigil/notice.h) ---- */

/* A detection that calls for a case: its URL has no open case, and no
 * case was opened there since it was detected. */
struct vg_case_candidate {
    int64_t detection_id, url_id, media_id, entry_id;
    const char *url, *server_ip; /* ip NULL if unknown */
    const char *category;        /* the entry's, else its list's */
    int64_t detected_at;
};

/*
 * The candidates among detections of enabled entries of enabled block
 * lists whose category is one of actionable ("csam,harmful-abusive"), one
 * per URL (its first detection), oldest first.
 */
int vg_store_case_candidates(struct vg_store *st, const char *actionable,
                             int (*cb)(void *ctx,
                                       const struct vg_case_candidate *c),
                             void *ctx, struct vg_err *err);

/*
 * Open a case for c with provider_id (0: none known yet), first re-check at
 * next_check_at.  An earlier case of the same media (or list entry) at
 * another URL makes it a re-upload of the first such case (*reupload 1).
 * VG_EEXIST if the URL has an open case already.
 */
int vg_store_case_open(struct vg_store *st, const struct vg_case_candidate *c,
                       int64_t provider_id, int64_t now, int64_t next_check_at,
                       int64_t *case_id, int *reupload, struct vg_err *err);

/*
 * Providers with open cases due a notice at now (never notified, or last
 * notified renotify_s ago or more), as JSON: [{provider_id, name,
 * abuse_emails, language, one_notice_per_url, cases: [{id, url,
 * detected_at, sha256, category, reupload_of, notices_sent}]}].
 */
int vg_store_notices_due(struct vg_store *st, int64_t now, int64_t renotify_s,
                         json_t **out, struct vg_err *err);

/* A notice to store before it is sent (the intent). */
struct vg_notice_rec {
    int64_t provider_id;
    const int64_t *case_ids;
    size_t ncases;
    const char *message_id, *recipients, *language, *subject, *body;
};

/*
 * Store r as the provider's next cycle, pending, due at now, and mark its
 * cases notified at now (a case reaching escalate_after notices is
 * escalated), in one transaction.  *id the notice; *escalated how many
 * cases this escalated.  VG_EEXIST: that Message-ID is stored already.
 */
int vg_store_notice_create(struct vg_store *st, const struct vg_notice_rec *r,
                           int64_t now, int escalate_after, int64_t *id,
                           int64_t *escalated, struct vg_err *err);

/* Pending notices due at now: [{id, provider_id, cycle, message_id,
 * recipients, language, subject, body, attempts}], oldest first. */
int vg_store_notices_pending(struct vg_store *st, int64_t now, json_t **out,
                             struct vg_err *err);

/*
 * An attempt's outcome: state "sent" (sent_at = now), "pending" (again at
 * next_attempt_at) or "failed"; result is the relay's words.
 */
int vg_store_notice_attempt(struct vg_store *st, int64_t id, const char *state,
                            int64_t now, int64_t next_attempt_at,
                            const char *result, struct vg_err *err);

/* A sending that did not happen because our side is misconfigured:
 * the result is kept, not the attempt; the notice stays due. */
int vg_store_notice_hold(struct vg_store *st, int64_t id, const char *why,
                         struct vg_err *err);

/* The latest notices, newest first: [{id, provider, cycle, message_id,
 * recipients, state, attempts, created_at, sent_at, next_attempt_at,
 * result}]. */
int vg_store_notices(struct vg_store *st, int64_t limit, json_t **out,
                     struct vg_err *err);

/* Open cases due a re-check at now: [{case_id, url, sha256, pdq, checks,
 * first_notice_at}] (pdq null when the media has none), at most limit. */
int vg_store_rechecks_due(struct vg_store *st, int64_t now, int64_t limit,
                          json_t **out, struct vg_err *err);

/*
 * Record a re-check of case_id at now: result "removed" (the case is
 * closed, removed_at = now, removal = reason), "up" or "error" (next check
 * at next_check_at).
 */
int vg_store_recheck_record(struct vg_store *st, int64_t case_id, int64_t now,
                            long http_status, const char *result,
                            const char *reason, int64_t next_check_at,
                            struct vg_err *err);

/*
 * Cases as JSON, newest first: [{id, url, provider, status, opened_at,
 * first_notice_at, removed_at, removal, notices_sent, escalated,
 * reupload_of, category, checks}]; status "" or NULL for all.
 */
int vg_store_cases(struct vg_store *st, const char *status, int64_t limit,
                   json_t **out, struct vg_err *err);

/* One case with its notices and re-checks; VG_ENOENT if none. */
int vg_store_case_get(struct vg_store *st, int64_t id, json_t **out,
                      struct vg_err *err);

/*
 * Per provider ("" for cases with none): [{provider_id, provider, notified,
 * removed, up, notices, failed_notices, reuploads, escalated, ttr: [seconds
 * from first notice to removal, ascending]}].
 */
int vg_store_notice_report(struct vg_store *st, json_t **out,
                           struct vg_err *err);

/* ---- hosting providers and their abuse contacts (issue 6) ---- */

/*
 * The registry notices are addressed from.  A provider is found for a URL
 * by its domains (a domain covers its subdomains; of the registered
 * suffixes of a host the longest wins), by its networks (the most specific
 * CIDR holding the server's address) or by its AS numbers (the origin AS
 * an RDAP answer names).  Each domain, CIDR and AS number belongs to one
 * provider.  A provider an RDAP answer suggested (source rdap) stays
 * unconfirmed until an admin confirms it or an import names it.  Every
 * change is audited ("provider.add", "provider.update", "provider.delete",
 * "provider.confirm") in its transaction; actor as for accounts.
 */

enum vg_provider_source { VG_PROVIDER_MANUAL = 0, VG_PROVIDER_RDAP };

#define VG_PROVIDER_NAME_MAX 200   /* bytes */
#define VG_PROVIDER_NOTES_MAX 4000 /* bytes */
#define VG_PROVIDER_EMAILS_MAX 16
#define VG_PROVIDER_ITEMS_MAX 4096 /* domains, and networks, per provider */
#define VG_EMAIL_MAX 254
#define VG_DOMAIN_MAX 253

/* A provider, all of it the caller's (vg_provider_free) when a read gives
 * it; writes only read it. */
struct vg_provider {
    int64_t id;
    char *name;        /* 1..VG_PROVIDER_NAME_MAX bytes of UTF-8, no
                          control characters, no outer spaces; unique */
    char **emails;     /* abuse contacts (addr-spec, dot-atom local part;
                          stored ',' between: what a notice's To takes) */
    size_t nemails;
    char language[3];  /* of the notices: "en" or "fr" */
    char **domains;    /* lowercase ASCII (IDN in punycode), no final dot */
    size_t ndomains;
    char **networks;   /* CIDRs and AS numbers: "192.0.2.0/24",
                          "2001:db8::/32", "AS64500" (canonical on read) */
    size_t nnetworks;
    int one_notice_per_url; /* no batching: one notice per URL */
    char *notes;       /* NULL or "" if none */
    enum vg_provider_source source;
    int confirmed;
    int64_t created_at, updated_at; /* Unix seconds; set by the store */
};

void vg_provider_free(struct vg_provider *p);

/* An abuse address the registry takes (local@domain, dot-atom local
 * part, at most VG_EMAIL_MAX bytes): 1 or 0. */
int vg_provider_email_valid(const char *s);
/* A registrable domain as stored (lowercase letters, digits, '-', '_',
 * labels of 1..63 joined by '.', at most VG_DOMAIN_MAX): 1 or 0. */
int vg_provider_domain_valid(const char *s);
/*
 * A network as the registry writes it into buf (n >= 64): a CIDR in
 * canonical form (host bits must be zero; a bare address is a /32 or
 * /128) or "AS" and a number 1..4294967295 ("as64500" too).  VG_OK or
 * VG_EINVAL (err says why).
 */
int vg_provider_network_canonical(const char *s, char *buf, size_t n,
                                  struct vg_err *err);
/* Everything a write checks (VG_OK, or VG_EINVAL naming the field). */
int vg_provider_check(const struct vg_provider *p, struct vg_err *err);

/*
 * Add p (id, created_at, updated_at ignored; source and confirmed as
 * given).  VG_EINVAL (a bad field), VG_EEXIST (the name, or a domain,
 * CIDR or AS number another provider has: err names it).
 */
int vg_store_provider_add(struct vg_store *st, int64_t actor,
                          const struct vg_provider *p, int64_t *id,
                          struct vg_err *err);
/* Replace provider id's fields, domains and networks with p's. */
int vg_store_provider_update(struct vg_store *st, int64_t actor, int64_t id,
                             const struct vg_provider *p, struct vg_err *err);
/* VG_ENOENT; VG_EBUSY if cases or notices refer to it. */
int vg_store_provider_delete(struct vg_store *st, int64_t actor, int64_t id,
                             struct vg_err *err);
/* An admin vouches for a suggested provider (VG_ENOENT). */
int vg_store_provider_confirm(struct vg_store *st, int64_t actor, int64_t id,
                              struct vg_err *err);
/*
 * Add or update (by name) n providers in one transaction: all or nothing.
 * A provider that would not change is left alone.  Domains and networks
 * may move between providers of the batch.  res (may be NULL) gets the
 * counts, and on failure bad: the index of the provider refused (n: none
 * in particular), err saying why.
 */
struct vg_providers_put_result {
    size_t added, updated, unchanged;
    size_t bad;
};
int vg_store_providers_put(struct vg_store *st, int64_t actor,
                           const struct vg_provider *v, size_t n,
                           struct vg_providers_put_result *res,
                           struct vg_err *err);

/* One provider by id, or by name; VG_ENOENT if none. */
int vg_store_provider_get(struct vg_store *st, int64_t id,
                          struct vg_provider **out, struct vg_err *err);
int vg_store_provider_by_name(struct vg_store *st, const char *name,
                              struct vg_provider **out, struct vg_err *err);

enum {
    VG_PROVIDERS_CONFIRMED = 1 << 0, /* only confirmed providers */
    VG_PROVIDERS_SUGGESTED = 1 << 1  /* only suggested (unconfirmed) */
};

/* Every provider by name (flags 0: all); read first, so cb may call the
 * store; p is valid during the call. */
int vg_store_providers(struct vg_store *st, unsigned flags,
                       int (*cb)(void *ctx, const struct vg_provider *p),
                       void *ctx, struct vg_err *err);

/*
 * The provider of a host by domain: its longest registered suffix at a
 * label boundary ("a.b.example.co.uk" finds "b.example.co.uk" before
 * "example.co.uk").  host: a DNS name, any case, final dot allowed.  The
 * suffix that matched goes to matched (n bytes; may be NULL).  VG_ENOENT
 * if none.
 */
int vg_store_provider_by_domain(struct vg_store *st, const char *host,
                                struct vg_provider **out, char *matched,
                                size_t n, struct vg_err *err);
/* The provider whose most specific CIDR holds ip (IPv4 or IPv6 text;
 * IPv4-mapped IPv6 as IPv4); the CIDR to matched.  VG_ENOENT, VG_EINVAL. */
int vg_store_provider_by_ip(struct vg_store *st, const char *ip,
                            struct vg_provider **out, char *matched, size_t n,
                            struct vg_err *err);
/* The provider of an AS number; VG_ENOENT if none. */
int vg_store_provider_by_asn(struct vg_store *st, uint32_t asn,
                             struct vg_provider **out, struct vg_err *err);

/*
 * RDAP answers (vigil/rdap.h), cached by the address range they cover: a
 * network's answer for the whole network, a failure or "not found" for
 * the one address asked.  An answer names the most specific network
 * registered, so a smaller network reassigned inside a cached one is only
 * seen once the entry expires.
 */
struct vg_rdap_cached {
    const char *first, *last; /* the range (addresses of one family) */
    const char *status;       /* "ok", "no-contact", "not-found", "error" */
    const char *handle, *name, *org, *country; /* NULL if none */
    const char *emails;       /* abuse e-mails, ',' between; "" if none */
    const char *cidrs;        /* the network's CIDRs, ' ' between */
    const char *asns;         /* origin AS numbers, ' ' between */
    const char *server;       /* the URL that answered; NULL if none */
    const char *error;        /* why not ok; NULL if ok */
    int64_t fetched_at, expires_at; /* Unix seconds */
};

/* Store c, replacing the entry for the same range; expired entries go.
 * VG_EINVAL for a bad range. */
int vg_store_rdap_put(struct vg_store *st, const struct vg_rdap_cached *c,
                      struct vg_err *err);
/* The live (expires_at > now) entry holding ip, the most specific first,
 * to cb (strings valid in cb; cb must not call the store).  VG_ENOENT. */
int vg_store_rdap_get(struct vg_store *st, const char *ip, int64_t now,
                      int (*cb)(void *ctx, const struct vg_rdap_cached *c),
                      void *ctx, struct vg_err *err);

#endif
