/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The runtime of `vigil serve` (module `runtime`): what runs beside the
 * HTTP server (vigil/server.h) and how the parts are wired and stopped.
 * The command line parses options and calls vg_runtime_serve_start, then
 * waits; src/web stays HTTP, pages and the API.
 *
 * The parts:
 *  - the crawler thread: the standing crawl of reported URLs
 *    (vg_store_reports_crawl) in the crawler's continuous mode, so a URL a
 *    report brings is fetched while the server runs (about once a second
 *    when idle it looks for new seeds), with review thumbnails on: images
 *    that match no list wait for analysts with a thumbnail sealed by the
 *    server's sealer.  Polite by default (vg_crawl_opts_default: robots.txt
 *    obeyed, 1 s between requests to a host, 2 at once, pages on the
 *    reported site only, depth 5), one hashing thread.  A crawl error (a
 *    busy database, say) is logged and the crawl started again after
 *    retry_ms.  Stopping is clean: what was fetched is committed, what was
 *    leased goes back to the queue, the crawl is "stopped" and the next
 *    start resumes it.  It matches with the node's index and starts once
 *    that is loaded.
 *  - the index: the node's matcher (vigil/lists.h), loaded by a thread of
 *    its own while the server already answers (/readyz and the
 *    hash-check API say 503 until it is loaded), then kept current by the
 *    list sync: a list change made by any process on the store (an
 *    import, an entry or a list disabled) is applied in place within
 *    sync_ms, or at once when the server says analysts verified media.
 *    The crawler and the hash-check API share it.
 *  - flood quarantine (vigil/flood.h): the entries the API's lookups
 *    return are counted, and one matching far above its baseline is
 *    disabled on every node.
 *  - the notice thread: a notice cycle (vigil/notice.h) at start and then
 *    every interval, until stopped; a stop waits for the cycle under way,
 *    so a notice is never cut between being stored and being marked sent.
 *  - the notice mail: the SMTP transport of notices (vigil/smtp.h, its
 *    outcomes mapped to what the cycle does next) and who hosts a URL (the
 *    provider registry, then RDAP), shared with `vigil notices run-once`.
 *  - the node: this process's row in the fleet's table
 *    (vigil/store_fleet.h), registered at start, beating from a thread of
 *    its own, removed at a clean stop; the notice cycles run under a lease
 *    in its name, so nodes sharing a store run one cycle at a time
 *    (docs/FLEET.md).
 *  - the retention job: once a day, under the fleet's lease "retention"
 *    (one node at a time), what the policy says is past its time is
 *    deleted in batches (vigil/store_retention.h).
 *  - serve: signals blocked in every thread and taken by one sigwait, the
 *    sealing key's file next to the database, the index, flood
 *    quarantine, the server, the crawler, the node, the notice cycles and
 *    the retention job started in that order; stopped: the server, the
 *    notice cycles, the retention job (after its batch under way), the
 *    node, the crawler, flood quarantine, the index.
 *
 * Thread safety: each part's start, stop, reload and status from one
 * thread at a time; the store and the sealer outlive the parts.
 */
#ifndef VIGIL_RUNTIME_H
#define VIGIL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/crawler.h"
#include "vigil/error.h"
#include "vigil/lists.h"
#include "vigil/notice.h"
#include "vigil/seal.h"
#include "vigil/server.h"
#include "vigil/smtp.h"
#include "vigil/store.h"
#include "vigil/store_retention.h"

/* ---- the node's match index ---- */

struct vg_runtime_index_opts {
    int min_quality;  /* PDQ queries below it are not looked up (50) */
    int64_t retry_ms; /* after a failed load, try again after this (5000) */
    int64_t sync_ms;  /* list changes looked for this often (200) */
    /* failed loads and list changes applied, one line each without
       newline (may be NULL); called from the index's threads */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};

/* The defaults above. */
void vg_runtime_index_opts_default(struct vg_runtime_index_opts *o);

struct vg_runtime_index;

/* Start loading the index of st's lists (o NULL: defaults).  VG_OK or
 * VG_ENOMEM. */
int vg_runtime_index_start(struct vg_store *st,
                           const struct vg_runtime_index_opts *o,
                           struct vg_runtime_index **out, struct vg_err *err);
/* The matcher, or NULL while it loads; once there it stays (kept current)
 * until vg_runtime_index_stop.  Any thread. */
struct vg_matcher *vg_runtime_index_matcher(struct vg_runtime_index *ix);
/* The same, waiting up to ms for the load (less when stopped). */
struct vg_matcher *vg_runtime_index_wait(struct vg_runtime_index *ix,
                                         int64_t ms);
/* Apply the list changes now rather than at the next sync. */
void vg_runtime_index_wake(struct vg_runtime_index *ix);

struct vg_runtime_index_status {
    int loaded;                     /* the matcher is loaded (else 0s) */
    struct vg_matcher_status lists; /* its entries, sync, lag */
};

void vg_runtime_index_status(struct vg_runtime_index *ix,
                             struct vg_runtime_index_status *out);
/* Stop the load or the sync, free the matcher.  NULL: no-op.  Whatever
 * uses the matcher is stopped first. */
void vg_runtime_index_stop(struct vg_runtime_index *ix);

/* ---- the crawler thread ---- */

struct vg_runtime_crawl_opts {
    /* the crawler's options; review_thumbs, seal and seal_ctx are set by
       vg_runtime_crawl_start, continuous too; allow_private for tests */
    struct vg_crawl_opts crawl;
    int64_t retry_ms; /* after a crawl error, wait this long (5000) */
    /* errors, one line each without newline (may be NULL); called from
       the crawler's thread */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
};

/* The defaults above. */
void vg_runtime_crawl_opts_default(struct vg_runtime_crawl_opts *o);

struct vg_runtime_crawl;

/*
 * Find (or create) the standing crawl and start its thread, which waits
 * for the index's matcher, then crawls with it.  o may be NULL
 * (defaults); index outlives the crawler.  Errors: the store's, VG_EINVAL
 * without a sealer or an index, VG_ENOMEM.
 */
int vg_runtime_crawl_start(struct vg_store *st, struct vg_sealer *sealer,
                           struct vg_runtime_index *index,
                           const struct vg_runtime_crawl_opts *o,
                           struct vg_runtime_crawl **out, struct vg_err *err);

/* Stop the thread (within about a second), commit, free.  NULL: no-op. */
void vg_runtime_crawl_stop(struct vg_runtime_crawl *c);

struct vg_runtime_crawl_status {
    int64_t crawl_id;
    int runs;                    /* crawl runs started (restarts + 1) */
    struct vg_crawl_stats stats; /* of the current run, about each second */
    int last_rc;                 /* the last run's error, VG_OK if none */
    char last_error[512];
};

void vg_runtime_crawl_status(struct vg_runtime_crawl *c,
                             struct vg_runtime_crawl_status *out);

/* ---- the node: this process's row in the fleet (vigil/store_fleet.h) ---- */

struct vg_runtime_node_opts {
    const char *name;  /* the node's id; NULL: "host:pid:random" */
    const char *roles; /* "serve,crawl,scheduler", "crawl" */
    int64_t beat_ms;   /* between heartbeats; 0 or less: 5000 */
    /* the status line of each beat, written into buf (may be NULL);
       called from the node's thread */
    void (*status)(void *ctx, char *buf, size_t cap);
    void *status_ctx;
};

struct vg_runtime_node;

/*
 * Register the node (its first heartbeat, now) and beat every beat_ms
 * from a thread of its own until stopped.  A beat that fails is retried
 * at the next.  o's strings and ctx must outlive *out.  VG_EINVAL (a name
 * the store refuses), VG_ENOMEM, the store's error.
 */
int vg_runtime_node_start(struct vg_store *st,
                          const struct vg_runtime_node_opts *o,
                          struct vg_runtime_node **out, struct vg_err *err);
/* The node's id, valid until stopped. */
const char *vg_runtime_node_id(const struct vg_runtime_node *n);
/* Stop beating and forget the node's row (a clean stop), free.  NULL:
 * no-op. */
void vg_runtime_node_stop(struct vg_runtime_node *n);

/* ---- the notice thread ---- */

struct vg_runtime_notices;

/*
 * Run cycles with o (copied; what it points to must outlive the thread)
 * every interval_s (0 or less: 300), the first as soon as the fleet's is
 * due.  Each cycle runs under the lease of the job "notices"
 * (vigil/store_fleet.h) taken for holder (the node's id, outliving the
 * thread) for lease_ms (0 or less: 30000), renewed every third of it
 * while the cycle runs and released at its end with the next cycle due
 * interval_s later: with several nodes on one store, one at a time runs
 * a cycle, once an interval.  A node that cannot take the lease tries
 * again after the smaller of interval_s and lease_ms.  A holder that dies
 * leaves the lease to expire; the next node to take it finishes the work
 * (vigil/notice.h: a stored notice goes out with its Message-ID).
 * VG_ENOMEM, VG_EIO (no thread).
 */
int vg_runtime_notices_start(struct vg_store *st,
                             const struct vg_notice_opts *o,
                             int64_t interval_s, const char *holder,
                             int64_t lease_ms,
                             struct vg_runtime_notices **out);
/* Stop after the cycle under way, free.  NULL: no-op. */
void vg_runtime_notices_stop(struct vg_runtime_notices *n);

/* ---- the notice mail: SMTP transport and who hosts a URL ---- */

struct vg_runtime_mail_cfg {
    const char *relay;          /* smtp://host:port or smtps://; required */
    const char *from;           /* the sender's address; required */
    const char *starttls;       /* "none", "try", "required" (NULL: this) */
    const char *user;           /* relay authentication, or NULL */
    const char *password;       /* the same (copied, wiped at free) */
    const char *cafile;         /* CA certificates for the relay, or NULL */
    const char *rdap_bootstrap; /* an RDAP bootstrap file or directory
                                   (IANA's ipv4.json, ipv6.json), or NULL:
                                   the one installed in /var/lib/vigil/rdap,
                                   else the shipped ones in data_dir */
    const char *data_dir;       /* the data/ directory */
    int allow_private;          /* RDAP may reach loopback (tests only) */
};

/* What a notice cycle does after an SMTP attempt with this outcome: sent;
 * rejected for good (a permanent failure); held (the local side failed:
 * the configuration, not the notice); else try again. */
enum vg_notice_sent vg_runtime_notice_outcome(enum vg_smtp_outcome o);

/* Split "a@x, b@y; c@z" (modified in place) into addresses: at most
 * VG_SMTP_MAX_RCPT, borrowed from list.  Returns how many. */
size_t vg_runtime_split_rcpt(char *list, struct vg_mail_addr *to);

struct vg_runtime_mail;

/*
 * The transport and the lookup for the cycles of o: sets o->send,
 * o->send_ctx, o->lookup, o->lookup_ctx and (when NULL) o->domain, the
 * --smtp-from domain, for Message-IDs; o's clock is the transport's.  o
 * and st must outlive *out.  VG_EINVAL (no relay, a bad sender or TLS
 * mode: err says which), VG_ENOMEM, or the lookup's error.
 */
int vg_runtime_mail_new(const struct vg_runtime_mail_cfg *cfg,
                        struct vg_store *st, struct vg_notice_opts *o,
                        struct vg_runtime_mail **out, struct vg_err *err);
/* Wipe the password, free.  NULL: no-op. */
void vg_runtime_mail_free(struct vg_runtime_mail *m);

/* ---- serve ---- */

/*
 * The file of the key that seals contact details, when none is given: the
 * database's path and ".key" (db NULL: the default database,
 * vg_store_default_url).  VG_OK, VG_EINVAL (not a file path: a URL, or no
 * default), VG_ETOOBIG (cap too small), VG_ENOMEM.
 */
int vg_runtime_key_file(const char *db, char *buf, size_t cap);
/* The same with another suffix (".audit-key": the audit chain's key). */
int vg_runtime_file_beside(const char *db, const char *suffix, char *buf,
                           size_t cap);

/* ---- the retention job ---- */

struct vg_runtime_retention;

/*
 * Start the retention job on st (vigil/store_retention.h): a run under
 * policy p whenever this node can take the fleet's lease "retention" for
 * holder (lease_ms, 0: 30000, renewed between batches), the next due
 * interval_s (0: a day) after a run's end.  p is copied.  VG_OK,
 * VG_ENOMEM or VG_EIO (no thread).
 */
int vg_runtime_retention_start(struct vg_store *st,
                               const struct vg_retention_policy *p,
                               int64_t interval_s, const char *holder,
                               int64_t lease_ms,
                               struct vg_runtime_retention **out);
/* Stop after the batch under way, and free.  NULL: no-op. */
void vg_runtime_retention_stop(struct vg_runtime_retention *r);

struct vg_runtime_serve_opts {
    struct vg_server_opts server; /* store, listen, key_file, ... */
    int crawl;                    /* crawl reported URLs while serving */
    int allow_private;            /* let that crawl reach private addresses
                                     (tests on 127.0.0.1 only) */
    const char *proxy;            /* that crawl's proxy (vigil/fetch.h);
                                     NULL: none.  The notices' re-checks
                                     take theirs from notices->fetch */
    size_t crawl_inflight_bytes;  /* that crawl's max_inflight_bytes
                                     (vigil/crawler.h); 0: its default */
    /* notice cycles every notice_interval_s (0: 300); NULL: none */
    const struct vg_notice_opts *notices;
    int64_t notice_interval_s;
    /* the retention job's policy, a run every retention_interval_s (0: a
       day); NULL: none */
    const struct vg_retention_policy *retention;
    int64_t retention_interval_s;
    /* this node in the fleet: node.roles is set from what runs; the
       notice cycles' lease lasts lease_ms (0: 30000) */
    struct vg_runtime_node_opts node;
    int64_t lease_ms;
    /* the crawler's errors, one line each (may be NULL: stderr) */
    void (*log)(void *ctx, const char *msg);
    void *log_ctx;
    /* the background reseal after a sealing key's rotation: a pass every
       reseal_interval_s (0: 60; negative: none) */
    int64_t reseal_interval_s;
};

/*
 * The background reseal (vigil/keys.h): a thread that, every interval_s
 * (0: 60), seals again under the current key what older keys of sealer's
 * ring sealed, 100 rows per transaction, when the ring holds more than one
 * key; its counts go to stderr.  Stop waits for the batch under way.
 */
struct vg_runtime_reseal;
int vg_runtime_reseal_start(struct vg_store *st, struct vg_sealer *sealer,
                            int64_t interval_s,
                            struct vg_runtime_reseal **out);
void vg_runtime_reseal_stop(struct vg_runtime_reseal *r);

struct vg_runtime;

/*
 * Block SIGINT and SIGTERM in this thread and every thread it starts (call
 * it before starting any), then make and start the server, the crawler
 * and the notice cycles.  o and what it points to must outlive *out.
 */
int vg_runtime_serve_start(const struct vg_runtime_serve_opts *o,
                           struct vg_runtime **out, struct vg_err *err);
/* The port the server listens on. */
int vg_runtime_port(const struct vg_runtime *rt);
/* The API's port (its own listener's, else the same). */
int vg_runtime_api_port(const struct vg_runtime *rt);

/* Wait for SIGINT or SIGTERM; returns which. */
int vg_runtime_wait(struct vg_runtime *rt);
/*
 * Stop: no new requests, those in flight finished, the crawl committed,
 * the notice cycle under way finished, every report submitted stored;
 * then free.  NULL: no-op.
 */
void vg_runtime_serve_stop(struct vg_runtime *rt);

#endif
