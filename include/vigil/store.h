/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store: everything Vigil keeps, behind one interface with two backends:
 * SQLite (the embedded default, WAL mode, a file path) and PostgreSQL (a
 * postgresql:// URL or libpq connection string).  Nothing here exposes
 * a backend's types.  Opening applies the versioned schema migrations that
 * are missing, each in its own transaction, and refuses a database whose
 * schema is newer than this program.
 *
 * This header opens and closes a store; each domain has its own header:
 * store_lists.h (hash lists and entries), store_crawl.h (crawls, frontier,
 * media, sightings, detections), store_reports.h (reports, the queue,
 * incidents), store_people.h (accounts, sessions, API keys, the audit log),
 * store_review.h (media review), store_notices.h (cases, notices,
 * re-checks), store_providers.h (hosting providers, the RDAP cache) and
 * store_retention.h (retention runs, legal holds, erase requests).
 *
 * Thread safety: one store may be used from several threads; calls are
 * serialised inside (an import holds the store until commit or abort),
 * but for vg_store_apikey_find's answers from memory.
 *
 * Callbacks, one rule for all: a callback must not call the store.  It
 * may copy what it needs and return; the caller acts once the walk is over
 * (vg_notice's open_cases collects candidates, then opens cases).  Most
 * functions call back with the store held, a row at a time;
 * vg_store_frontier_lease and vg_store_apikey_find's remembered answers
 * call back after releasing it.  Either way the rule is checked, not only
 * written: a store call made from inside a callback, or by the thread
 * that holds an import between its begin and its commit or abort, does
 * nothing and returns VG_EBUSY (err says why), so a mistake is an error
 * rather than a deadlock or a write inside a half-read walk.  Strings and
 * structs handed to a callback are borrowed for that call.
 *
 * Results: the store hands other modules C structs, never JSON.  A result
 * returned through an out pointer (`struct vg_x **out`) is the caller's,
 * freed with its own `vg_x_free` (NULL is a no-op); its strings live in a
 * pool (struct vg_store_strings) the result owns, so they stay valid until
 * that free and must not be freed one by one.  A NULL string is an SQL
 * NULL ("none"); an integer documented as "0 if none" is 0 for NULL.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/algo.h"
#include "vigil/error.h"

struct vg_store;
struct vg_store_strings; /* the strings of one result, freed with it */

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
 * for SQLite (its directory is created 0700, the file 0600); for PostgreSQL
 * a postgresql:// or postgres:// URL or a libpq "key=value" string (with
 * host=, dbname= or service=), completed by the PG* environment and the
 * password file as libpq does; the database must exist.  opts may be NULL.
 * Returns VG_OK, VG_EIO (cannot open, not a database, server unreachable),
 * VG_EACCES (also: the file, -wal or -shm is open to the group or others;
 * err gives the chmod), VG_EVERSION (schema newer than this program),
 * VG_ENOMEM; err says which file or server and why (never a password).
 */
int vg_store_open(const char *url, const struct vg_store_opts *opts,
                  struct vg_store **out, struct vg_err *err);
void vg_store_close(struct vg_store *st);

/*
 * url with its password masked, for messages: "user:***@" in a URL,
 * "password=***" in a libpq "key=value" string or a URL's query.  Into
 * buf (n bytes, cut short if it does not fit); returns buf.  Every
 * message that names a --db names it through this.
 */
const char *vg_store_url_mask(const char *url, char *buf, size_t n);

/* The schema version the store is at, and the latest this program knows. */
int vg_store_schema_version(struct vg_store *st, int *out, struct vg_err *err);
int vg_store_schema_latest(void);

#endif
