/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h) as a whole, for `vigil db`: its tables and
 * their rows, migrating on request, and copying a whole store into an
 * empty one (SQLite to PostgreSQL and back), rows moved as they are.
 */
#ifndef VIGIL_STORE_DB_H
#define VIGIL_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"

/*
 * Open the store at url (vg_store_open) without migrating it: it stays at
 * its version, even one newer than this program (then only this header's
 * functions are meant for it).  A missing SQLite file is made when
 * create (at version 0: no table), else VG_ENOENT.
 */
int vg_store_open_as_is(const char *url, int create, struct vg_store **out,
                        struct vg_err *err);

/* "sqlite" (or "postgresql"): the backend the store runs on. */
const char *vg_store_backend(const struct vg_store *st);

/* Migration v's description (1 to vg_store_schema_latest(); else NULL). */
const char *vg_store_schema_desc(int v);

/*
 * Apply the migrations up to target (0: the latest) that are missing, each
 * in its own transaction, as opening does; for a store opened as it is.  *from is the version found, *to the one
 * reached (a store already at or past target is left as it is).  VG_OK,
 * VG_EINVAL (no such target), VG_EVERSION (the store is newer than this
 * program), or the database's error.
 */
int vg_store_migrate(struct vg_store *st, int target, int *from, int *to,
                     struct vg_err *err);

/* The tables this program knows, i from 0 (NULL after the last), in
 * dependency order: each after the tables its foreign keys name. */
const char *vg_store_table(int i);

/* How many rows table (one of vg_store_table's) holds: VG_OK, VG_ENOENT
 * when the store's schema is older than the table, VG_EINVAL for a name
 * not in the list. */
int vg_store_rows(struct vg_store *st, const char *table, int64_t *out,
                  struct vg_err *err);

/* One table of a copy: its rows in the source, rows written, and rows in
 * the copy once committed. */
struct vg_store_copied {
    const char *table;
    int64_t source, written, copy;
};

/*
 * Copy every row of every table of from (held still meanwhile: writers
 * wait) into to, in one transaction on to, tables in dependency order
 * and rows with their ids.  to must hold no row (VG_EEXIST, err names a
 * table that has some); it is migrated first to from's version when
 * older, and refused when newer (VG_EVERSION; also when from's is newer
 * than this program).  Open both as they are.  out (n entries, at
 * least one per vg_store_table) gets each table's counts, *nout how many;
 * counts that differ are VG_ECORRUPT (err names the first; counted
 * before the commit, nothing is kept then, and again after it).  The audit
 * chain is copied as it is: verify it on to under from's audit key.
 */
int vg_store_copy(struct vg_store *from, struct vg_store *to,
                  struct vg_store_copied *out, size_t n, size_t *nout,
                  struct vg_err *err);

#endif
