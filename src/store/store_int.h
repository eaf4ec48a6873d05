/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the store: the few database primitives every backend provides
 * (prepared statements with `?` parameters, steps, columns, transactions),
 * so the SQL of every store_*.c and the migrations of store_schema.c are
 * written once for SQLite and PostgreSQL (what is not yet is marked
 * SQLITE-ONLY: docs/STORE-BACKENDS.md).  Primitives do not lock; the
 * public functions hold the store's mutex around them (LOCK, UNLOCK), and
 * build their results with the helpers at the end of this file.
 */
#ifndef VIGIL_STORE_INT_H
#define VIGIL_STORE_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_people.h"

struct vg__db;
struct vg__stmt;

/* step results */
#define VG__ROW 1
#define VG__DONE 0

/* a column's value type in the current row (col_type) */
#define VG__T_NULL 0
#define VG__T_INT 1
#define VG__T_TEXT 2
#define VG__T_BLOB 3

struct vg__db_ops {
    const char *name;
    /* 1 on PostgreSQL: where the SQL differs (SQLITE-ONLY places), the
     * store picks the PostgreSQL spelling when VG__PG(st) */
    int pg;
    /* schema dialect: an auto-increment primary key, a byte string */
    const char *id_pk, *blob;
    int (*exec)(struct vg__db *db, const char *sql, struct vg_err *err);
    int (*prepare)(struct vg__db *db, const char *sql, struct vg__stmt **out,
                   struct vg_err *err);
    int (*bind_int)(struct vg__stmt *s, int i, int64_t v);
    int (*bind_text)(struct vg__stmt *s, int i, const char *v); /* NULL ok */
    int (*bind_blob)(struct vg__stmt *s, int i, const void *v,
                     size_t n); /* v NULL: SQL NULL */
    /* VG__ROW, VG__DONE or a VG_E* code (err says why) */
    int (*step)(struct vg__stmt *s, struct vg_err *err);
    int64_t (*col_int)(struct vg__stmt *s, int i);
    const char *(*col_text)(struct vg__stmt *s, int i); /* NULL for NULL */
    const uint8_t *(*col_blob)(struct vg__stmt *s, int i, size_t *n);
    /* how many columns the result has */
    int (*ncols)(struct vg__stmt *s);
    /* column i's name, and its value's VG__T_* type in the current row
     * (for `vigil db copy`, which moves rows without knowing tables) */
    const char *(*col_name)(struct vg__stmt *s, int i);
    int (*col_type)(struct vg__stmt *s, int i);
    int (*reset)(struct vg__stmt *s);
    void (*finalize)(struct vg__stmt *s);
    int64_t (*changes)(struct vg__db *db);
    /* a write transaction that excludes other writers from the start */
    int (*begin_write)(struct vg__db *db, struct vg_err *err);
    /* after a copy wrote table's rows with their ids, inside the copy's
     * transaction: move the table's id generator past the largest id
     * (PostgreSQL's identity columns); NULL when nothing is needed
     * (SQLite's AUTOINCREMENT follows the ids inserted) */
    int (*after_copy)(struct vg__db *db, const char *table,
                      struct vg_err *err);
    void (*close)(struct vg__db *db);
};

/* API keys found lately (store_apikeys.c), by the first byte of the hash */
#define VG__KEYS_SEEN 64
struct vg__key_seen {
    uint8_t hash[32];
    int64_t id, created_at, rate_per_minute, daily_quota;
    int64_t until_ms; /* answered from here before this; 0: empty slot */
    int asking;       /* a thread is asking the store about it */
    char name[201], scopes[256], partner[65];
};

struct vg_store {
    const struct vg__db_ops *ops;
    struct vg__db *db;
    /* recursive, so that a call from inside a callback (or an import) is
     * refused with VG_EBUSY rather than deadlocked: see store.h */
    pthread_mutex_t lock;
    int depth;      /* LOCKs taken by the holding thread */
    int refused_at; /* the depth that swapped ops, 0 if none */
    const struct vg__db_ops *ops_held; /* the real ops while refused */
    /* its own lock, so a find need not wait for a write transaction */
    pthread_mutex_t keys_lock;
    struct vg__key_seen keys[VG__KEYS_SEEN];
    /* the schema version it was opened at (held older only by tests and
     * tools that build an old database on purpose) */
    int schema;
    /* who actor 0 is (vg_store_set_operator), "" if not said */
    char operator_name[VG_OPERATOR_MAX + 1];
    /* the audit chain's key (vg_store_audit_key), the head file's
     * descriptor (-1: none), and the head of the records appended in the
     * open transaction, written to that file once it commits */
    uint8_t audit_key[32];
    int audit_keyed, audit_head_fd;
    /* the key file (read again when another process rotated the key) and
     * the first record the key was checked against (-1: not yet) */
    char *audit_key_file;
    int64_t audit_epoch;
    int64_t pending_id, pending_at; /* pending_id 0: nothing pending */
    uint8_t pending_mac[32];
};

/* store_sqlite.c */
extern const struct vg__db_ops vg__sqlite_ops;
int vg__sqlite_open(const char *path, struct vg__db **out, struct vg_err *err);

/* store_pg.c: is url a PostgreSQL URL or libpq connection string */
extern const struct vg__db_ops vg__pg_ops;
int vg__pg_is_url(const char *url);
int vg__pg_open(const char *url, struct vg__db **out, struct vg_err *err);

/* store_schema.c: statement i of migration v (1-based; NULL after the
 * last) and the migration's description */
int vg__schema_count(void);
const char *vg__schema_sql(int v, int i);
const char *vg__schema_desc(int v);
/*
 * Table i of the schema (0-based; NULL after the last), in dependency
 * order: a table comes after every table its foreign keys name.  *since
 * is the migration that creates it, *has_id 1 when its key is an {ID}
 * column named id.  schema_migrations, the store's own, is not listed.
 */
const char *vg__schema_table(int i, int *since, int *has_id);

/*
 * Take and release the store.  Taken again by the thread that holds it (a
 * callback calling the store, or a call during an import), every backend
 * primitive of the inner call fails with VG_EBUSY until it releases: the
 * rule of store.h, enforced.
 */
void vg__store_lock(struct vg_store *st);
void vg__store_unlock(struct vg_store *st);
/* Around a callback called without the store held (the lease's, a cached
 * key's): store calls it makes are refused all the same. */
void vg__store_callback_begin(void);
void vg__store_callback_end(void);
#define VG__PG(st) ((st)->ops->pg)
#define LOCK(st) vg__store_lock(st)
#define UNLOCK(st) vg__store_unlock(st)

/* Prepare sql and bind its parameters by a format: 'i' int64_t, 't' text
 * (NULL for SQL NULL), 'b' blob (pointer, then size_t length). */
int vg__store_query(struct vg_store *st, struct vg__stmt **out,
                    struct vg_err *err, const char *sql, const char *fmt, ...);
int vg__store_vquery(struct vg_store *st, struct vg__stmt **out,
                     struct vg_err *err, const char *sql, const char *fmt,
                     va_list ap);
/*
 * Step s for its one row and take the first column, then finalize s.
 * VG_OK, VG_ENOENT when there is no row (err untouched: the caller says
 * what was missing), or the step's error.
 */
int vg__store_scalar(struct vg_store *st, struct vg__stmt *s, int64_t *out,
                     struct vg_err *err);
/* Step a statement that returns no rows, then finalize it. */
int vg__store_run(struct vg_store *st, struct vg__stmt *s, struct vg_err *err);

/* store_found.c: record a sighting and its detections (in a transaction). */
int vg__store_sighting(struct vg_store *st, int64_t crawl_id,
                       const struct vg_sighting_rec *r, struct vg_err *err);

/* store_audit.c: append an audit record inside the caller's transaction
 * (none in a store held at a schema older than VG__SCHEMA_AUDIT, the
 * migration that creates the log: an old database built on purpose). */
#define VG__SCHEMA_AUDIT 2
/* the migration that adds audit_keyed and the append-only triggers (its
 * number in store_schema.c: renumbered with it) */
#define VG__SCHEMA_AUDIT_KEYED 10
int vg__store_audit(struct vg_store *st, int64_t actor, const char *action,
                    const char *object_type, int64_t object_id,
                    const char *detail, struct vg_err *err);

/* store_listchanges.c: a row of the list change log (vigil/store_lists.h)
 * inside the caller's write transaction, as late in it as can be (on
 * PostgreSQL the rows are numbered in commit order under a transaction
 * lock taken here and held to the commit); kind "list", "entry" or "import" (then import_id and
 * the entry ids first..last).  Nothing in a store held at a schema older
 * than VG__SCHEMA_LIST_CHANGES (renumbered with its migration). */
#define VG__SCHEMA_LIST_CHANGES 14
int vg__store_list_change(struct vg_store *st, const char *kind,
                          int64_t list_id, int64_t entry_id, int64_t import_id,
                          int64_t first_id, int64_t last_id,
                          struct vg_err *err);

/*
 * Results handed to other modules (store.h: "Results"): their strings are
 * copied into a pool the result owns, and their arrays grow by doubling.
 * vg__store_text copies column i's text into *pool (NULL stays NULL) and
 * sets *oom on failure; vg__store_grow makes room for element n of *v
 * (elements of size bytes, *cap allocated, new ones zeroed).
 */
char *vg__store_text(struct vg_store *st, struct vg__stmt *s, int i,
                     struct vg_store_strings **pool, int *oom);
/* The same for a blob column, as lowercase hex. */
char *vg__store_hex(struct vg_store *st, struct vg__stmt *s, int i,
                    struct vg_store_strings **pool, int *oom);
int vg__store_grow(void *v, size_t *cap, size_t n, size_t size);
void vg__store_strings_free(struct vg_store_strings *pool);

/* Reads the current row of s into elem (zeroed), copying its strings into
 * *pool with VG__TEXT and VG__HEX; sets *oom when a copy fails. */
typedef void vg__store_row_fn(struct vg_store *st, struct vg__stmt *s,
                              void *elem, struct vg_store_strings **pool,
                              int *oom);
/* Column i of s copied into *pool, in a row reader (its st, s, pool, oom). */
#define VG__TEXT(i) vg__store_text(st, s, (i), pool, oom)
#define VG__HEX(i) vg__store_hex(st, s, (i), pool, oom)
/*
 * Step s (from vg__store_query) to its end, each row read by row into a
 * new element of the array *v (elements of size bytes, *n of them, empty
 * at the call), then finalize s.  VG_OK, VG_ENOMEM (the array or a
 * string), or the step's error.  *v and *pool hold what was read either
 * way: the result that owns them frees them.
 */
int vg__store_collect(struct vg_store *st, struct vg__stmt *s, void *v,
                      size_t *n, size_t size, vg__store_row_fn *row,
                      struct vg_store_strings **pool, struct vg_err *err);
/*
 * Step s (from vg__store_query) for its one row, read by row into elem,
 * then finalize s.  VG_OK, VG_ENOENT when there is no row (err untouched:
 * the caller says what was missing), VG_ENOMEM, or the step's error.
 */
/*
 * The whole of a typed list: take the store, run sql with its parameters
 * (vg__store_query's fmt), collect its rows as vg__store_collect does,
 * release the store.  The caller frees the result on failure.
 */
int vg__store_list(struct vg_store *st, void *v, size_t *n, size_t size,
                   vg__store_row_fn *row, struct vg_store_strings **pool,
                   struct vg_err *err, const char *sql, const char *fmt, ...);
int vg__store_one(struct vg_store *st, struct vg__stmt *s, void *elem,
                  vg__store_row_fn *row, struct vg_store_strings **pool,
                  struct vg_err *err);

/*
 * A write transaction for the crawl's own bookkeeping (leases, commits of
 * fetched URLs, hosts' politeness, robots.txt).  On SQLite begin_write.
 * On PostgreSQL without the fleet's write lock, as its rows are locked
 * one by one (leases FOR UPDATE SKIP LOCKED, a finish only by the lease's
 * holder and epoch, a host's and an origin's row FOR UPDATE, inserts ON
 * CONFLICT), so crawl workers write side by side; and without waiting for
 * the commit to reach the disk (synchronous_commit off): a server crash
 * may forget the last fraction of a second of them, never half of one,
 * and their URLs are leased, fetched and committed again, as after a
 * kill.  Two commits that lock the same rows in another order may
 * deadlock: PostgreSQL ends one (VG_EBUSY), which the crawler tries
 * again.  Reports, reviews, notices, lists and the audit log keep
 * begin_write.
 */
int vg__store_begin_crawl(struct vg_store *st, struct vg_err *err);

/* Run sql with no parameters and no rows wanted; VG_OK or an error. */
int vg__store_exec(struct vg_store *st, const char *sql, struct vg_err *err);

/* End the write transaction begun: COMMIT if rc is VG_OK, else ROLLBACK;
 * returns the outcome (rc, or COMMIT's error).  After a COMMIT the audit
 * head is written out (vg__store_audit_committed). */
int vg__store_end(struct vg_store *st, int rc, struct vg_err *err);

/* store_auditkey.c: after a COMMIT, append the head of the audit records
 * it made to the head file (if any); after a ROLLBACK, forget it.  Close:
 * wipe the key, close the file. */
void vg__store_audit_committed(struct vg_store *st);
void vg__store_audit_rolled_back(struct vg_store *st);
void vg__store_audit_close(struct vg_store *st);
/* Read the key file again into the store's key: VG_OK, or its error (the
 * key then unchanged). */
int vg__store_audit_reload(struct vg_store *st);
/* HMAC-SHA-256 of the n bytes at p under the store's key. */
int vg__store_audit_hmac(const struct vg_store *st, const void *p, size_t n,
                         uint8_t out[32]);

#endif
