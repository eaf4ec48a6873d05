/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Backups of the store (vigil/store.h), for `vigil db backup`, `restore`
 * and `verify`: an SQLite database copied page by page while it is in
 * use, one consistent snapshot; PostgreSQL's own tools (pg_dump,
 * pg_restore) run with the connection's parameters in their environment,
 * never on their command line; a snapshot whose rows can be counted while
 * pg_dump writes the same one; and the database's own integrity checks.
 * The sealing key and the audit key are never part of a backup.
 */
#ifndef VIGIL_STORE_BACKUP_H
#define VIGIL_STORE_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

/* 1 when url names a PostgreSQL database (as vg_store_open reads it), 0
 * for an SQLite one. */
int vg_store_url_is_pg(const char *url);

/* An SQLite URL's file: url without its "sqlite:". */
const char *vg_store_url_path(const char *url);

/*
 * Copy the SQLite database src (a path or sqlite:PATH) into dst, a file
 * that must not exist (made 0600; VG_EEXIST), with SQLite's online backup
 * API: `pages` pages per step, all inside one read transaction on src, so
 * the copy is the database as it was when the backup began, and writers
 * of other processes go on meanwhile (WAL mode: a reader does not block
 * them).  The copy is one file (journal_mode DELETE), not yet synced.  On
 * failure dst is removed.  VG_OK, VG_ENOENT (no src), VG_EINVAL (src is
 * PostgreSQL), or the database's error.
 */
int vg_store_backup_sqlite(const char *src, const char *dst, int pages,
                           struct vg_err *err);

/*
 * SQLite: is the database at path free of other processes?  VG_OK (also
 * when there is no file), VG_EBUSY when another connection holds it open
 * (`vigil serve`, a crawl), or the database's error.  The check takes an
 * exclusive lock and lets it go: a process may open the file after it.
 */
int vg_store_sqlite_unused(const char *path, struct vg_err *err);

/* One problem found by vg_store_integrity: a line as the database said it. */
typedef void vg_store_problem_fn(void *ctx, const char *what);

/*
 * The database's own checks.  SQLite: PRAGMA integrity_check (quick_check
 * when quick) and PRAGMA foreign_key_check, each problem passed to fn,
 * *problems counted.  PostgreSQL has no such check of its files from a
 * client (page checksums are verified as pages are read: count each
 * table's rows, vg_store_rows): nothing is checked, *problems 0.  VG_OK
 * (problems or not) or the error that stopped the check.
 */
int vg_store_integrity(struct vg_store *st, int quick, vg_store_problem_fn *fn,
                       void *ctx, int64_t *problems, struct vg_err *err);

/*
 * PostgreSQL: begin a read-only REPEATABLE READ transaction on st and
 * export its snapshot, its name into name (cap bytes), for `pg_dump
 * --snapshot=NAME`: the store's reads until vg_store_snapshot_end see the
 * same rows as the dump.  VG_EINVAL on SQLite.
 */
int vg_store_snapshot_begin(struct vg_store *st, char *name, size_t cap,
                            struct vg_err *err);
void vg_store_snapshot_end(struct vg_store *st);

/*
 * Run a PostgreSQL client program (argv[0], found on PATH: pg_dump,
 * pg_restore) for the database url: each parameter of url (host, port,
 * user, password, dbname, sslmode, ...) goes into the program's
 * environment as its PG* variable, so the password is on no command line
 * and never printed.  The program's output goes to this process's
 * stdout and stderr.  VG_OK when it exits 0; VG_EINVAL (url is not a
 * PostgreSQL URL, or does not parse), VG_EIO (it failed: err says how),
 * VG_ENOENT (no such program).
 */
int vg_store_pg_tool(const char *url, char *const argv[], struct vg_err *err);

/* url's database name (PostgreSQL), copied into buf (cap bytes): VG_OK,
 * or VG_EINVAL when url names none. */
int vg_store_pg_dbname(const char *url, char *buf, size_t cap,
                       struct vg_err *err);

#endif
