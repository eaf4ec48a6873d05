/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): hash lists (what HMA calls banks), their
 * imports and entries.  Callbacks follow store.h: called with the store
 * held, they must not call it; what they are handed is borrowed for the
 * call.
 */
#ifndef VIGIL_STORE_LISTS_H
#define VIGIL_STORE_LISTS_H

#include <stdint.h>

#include "vigil/store.h"

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
    int64_t created_at; /* Unix seconds, UTC */
    /* filled by reads: */
    int64_t entries, entries_enabled;
    int64_t imports;        /* how many imports so far */
    int64_t last_import_at; /* 0 if none */
};

/* A valid list name?  (1..64 of [A-Za-z0-9._-], not starting with '-') */
int vg_list_name_valid(const char *name);

/*
 * Every change below is made with its audit record ("list.create",
 * "list.enable", "list.disable", "list.delete", "list.import",
 * "entry.enable", "entry.disable"), in the change's transaction; actor is
 * the user who acts, 0 the local operator (vigil/core_audit.h).  The
 * front ends call them through vigil/core_lists.h.
 */

/*
 * Create a list from l (id, created_at and counts are ignored); *id gets the
 * new id.  VG_EEXIST if the name is taken, VG_EINVAL for a bad name,
 * category or distance.
 */
int vg_store_list_create(struct vg_store *st, int64_t actor,
                         const struct vg_list *l, int64_t *id,
                         struct vg_err *err);
/* By name; VG_ENOENT if there is none. */
int vg_store_list_get(struct vg_store *st, const char *name,
                      struct vg_list *out, struct vg_err *err);
/* Every list in name order; cb returns VG_OK to go on. */
int vg_store_lists(struct vg_store *st,
                   int (*cb)(void *ctx, const struct vg_list *l), void *ctx,
                   struct vg_err *err);
/* Enable or disable a list; VG_ENOENT if there is none. */
int vg_store_list_set_enabled(struct vg_store *st, int64_t actor,
                              int64_t list_id, int enabled,
                              struct vg_err *err);
/* Delete a list with its entries and import history; VG_ENOENT. */
int vg_store_list_delete(struct vg_store *st, int64_t actor, int64_t list_id,
                         struct vg_err *err);

/* One import's provenance, as recorded and as `lists show` prints it. */
struct vg_list_import {
    int64_t id, list_id;
    int64_t imported_at; /* Unix seconds, UTC */
    const char *source_file;
    const char *format;
    const char *file_sha256; /* hex of the file's bytes */
    int64_t lines, added, already_present;
};

int vg_store_list_imports(struct vg_store *st, int64_t list_id,
                          int (*cb)(void *ctx, const struct vg_list_import *i),
                          void *ctx, struct vg_err *err);

/* ---- sharing with partners (the hash-check API) ---- */

/*
 * A list is matched through the hash-check API only by the partners it is
 * shared with (an API key's partner, vigil/store_people.h; "*" = every
 * partner), and they see its entries' metadata and external ids only when
 * the share says so.  A list shared with nobody is the hotline's own: no
 * partner learns it exists.
 */
struct vg_list_share {
    int64_t list_id;
    const char *partner; /* "*": every partner */
    int metadata;        /* the partner sees metadata and external ids */
    const char *list;    /* the list's name (filled by reads) */
};

/* Share list_id with partner (again: updates metadata).  Audited
 * ("list.share").  VG_ENOENT (no such list), VG_EINVAL (bad name). */
int vg_store_list_share(struct vg_store *st, int64_t actor, int64_t list_id,
                        const char *partner, int metadata, struct vg_err *err);
/* Audited ("list.unshare").  VG_ENOENT when it was not shared with him. */
int vg_store_list_unshare(struct vg_store *st, int64_t actor, int64_t list_id,
                          const char *partner, struct vg_err *err);
/* The shares of list_id (0: of every list), by list then partner; the
 * strings are valid in cb only. */
int vg_store_list_shares(struct vg_store *st, int64_t list_id,
                         int (*cb)(void *ctx, const struct vg_list_share *sh),
                         void *ctx, struct vg_err *err);

/* ---- partners' feedback on matches (the hash-check API) ---- */

/*
 * A partner marks a match a false positive or confirms it; it waits for an
 * analyst with the hashes of the partner's media (never the media), who
 * keeps the entry or disables it.
 */
struct vg_feedback {
    int64_t id, at, key_id; /* at: Unix seconds */
    const char *partner;
    int64_t entry_id;
    const char *list;       /* the entry's list (filled by reads) */
    const char *verdict;    /* "false_positive" or "confirmed" */
    const char *sha256;     /* hex of the partner's media, NULL if not given */
    const char *pdq;        /* hex, NULL if not given */
    const char *note;       /* NULL if none */
    int64_t resolved_at;    /* 0 while open */
    int64_t resolved_by;    /* the analyst */
    const char *resolution; /* "entry_disabled" or "kept", NULL while open */
    int64_t list_id;        /* filled by reads */
};

/* Add f (id, at, list and resolution ignored), audited as actor's (the
 * key: vigil/core_audit.h).  VG_ENOENT (no such entry), VG_EINVAL. */
int vg_store_feedback_add(struct vg_store *st, int64_t actor,
                          const struct vg_feedback *f, int64_t *id,
                          struct vg_err *err);
/* The newest feedback first (only the open ones when open_only), at most
 * limit after the first offset, to cb; with total given, how many there
 * are in all. */
int vg_store_feedback(struct vg_store *st, int open_only, int64_t offset,
                      int64_t limit,
                      int (*cb)(void *ctx, const struct vg_feedback *f),
                      void *ctx, int64_t *total, struct vg_err *err);
/* Resolve open feedback id as actor (an analyst): keep the entry, or
 * disable it (disable != 0) in the same transaction.  Audited.  VG_ENOENT
 * when there is no open feedback id. */
int vg_store_feedback_resolve(struct vg_store *st, int64_t actor, int64_t id,
                              int disable, struct vg_err *err);

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
    int has_details; /* reads: category, external id or metadata set (said
                        by hash-only reads too, which leave them NULL) */
};

/*
 * An import: begin, add entries, then commit or abort.  Nothing is visible
 * to other readers and nothing survives a crash until commit returns VG_OK
 * (one transaction).  An entry whose (algorithm, value) the list already
 * has is counted as already present and left as it is.  Entries are
 * copied (written in batches).  Between begin and commit/abort the import
 * holds the store: the caller must make no other store call meanwhile.
 * The commit writes one audit record for the whole import (the file, its
 * format and the counts), as actor's.
 */
struct vg_store_import;

int vg_store_import_begin(struct vg_store *st, int64_t actor, int64_t list_id,
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

/* A page of a list's entries, in id order, at most limit, to cb (as
 * vg_store_entries): those after after_id, or, with before_id set, the
 * last limit before it. */
int vg_store_entries_page(struct vg_store *st, int64_t list_id,
                          int64_t after_id, int64_t before_id, int64_t limit,
                          int (*cb)(void *ctx, const struct vg_list_entry *e),
                          void *ctx, struct vg_err *err);
/* How many of a list's entries come before entry id, into *n. */
int vg_store_entries_below(struct vg_store *st, int64_t list_id, int64_t id,
                           int64_t *n, struct vg_err *err);

/* Disable (quarantine) or enable an entry of list_id (the only way to),
 * audited as actor's.  VG_ENOENT if the list has no such entry. */
int vg_store_entry_enable(struct vg_store *st, int64_t actor, int64_t list_id,
                          int64_t entry_id, int enabled, struct vg_err *err);

/* ---- the change log ---- */

/*
 * Every change to what matches writes a row of the change log in its own
 * transaction: a list created, enabled, disabled or deleted (kind LIST:
 * read the list again), an entry added, enabled or disabled (ENTRY: read
 * the entry again), an import (IMPORT: one row for the whole import, its
 * new entries being those of import_id with ids first_id..last_id).
 * Sequence numbers grow in commit order, so a node that applied every
 * change up to seq asks for those after it (vg_store_list_changes).
 */
enum vg_list_change_kind {
    VG_LIST_CHANGE_LIST = 0,
    VG_LIST_CHANGE_ENTRY,
    VG_LIST_CHANGE_IMPORT
};

struct vg_list_change {
    int64_t seq;
    int64_t at_ms; /* when it was written, Unix milliseconds */
    enum vg_list_change_kind kind;
    int64_t list_id;
    int64_t entry_id;                     /* ENTRY */
    int64_t import_id, first_id, last_id; /* IMPORT */
};

/* The last change's seq (0 if none) into *seq. */
int vg_store_list_changes_head(struct vg_store *st, int64_t *seq,
                               struct vg_err *err);
/* The changes after seq, in order, at most limit, to cb (VG_OK goes on). */
int vg_store_list_changes(struct vg_store *st, int64_t after_seq,
                          int64_t limit,
                          int (*cb)(void *ctx, const struct vg_list_change *c),
                          void *ctx, struct vg_err *err);
/* A list by id without its counts (entries, imports: 0), cheap at any
 * size; VG_ENOENT if there is none. */
int vg_store_list_by_id(struct vg_store *st, int64_t id, struct vg_list *out,
                        struct vg_err *err);
/* The entries an IMPORT change names, hash only (as VG_ENTRIES_HASH_ONLY),
 * in id order, to cb. */
int vg_store_import_entries(struct vg_store *st,
                            const struct vg_list_change *c,
                            int (*cb)(void *ctx,
                                      const struct vg_list_entry *e),
                            void *ctx, struct vg_err *err);

#endif
