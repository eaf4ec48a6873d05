/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vocabularies (module `vocab`, below the store: the tables depend on
 * nothing, so the store, the domain layer and the front ends all read
 * them): every closed set of codes that Vigil stores, sends, checks or
 * shows (incident types, where an incident
 * happened, incident outcomes, report statuses, review classes, roles) is
 * one table here, and only here.  The report form, the API's checks, the
 * console's filters and choices, the store's review rules and the command
 * line all read these tables, so adding an incident type, an outcome or a
 * review class is one row in src/vocab/vocab.c plus its catalogue strings in
 * web/i18n/en.txt and fr.txt (tests/unit/test_core.c checks both exist for
 * every row).
 *
 * A row is a code (the text stored in the database and sent in forms and
 * JSON) and flags that carry the rules tied to it.  Its catalogue strings
 * are found by the vocabulary's key patterns ("type.%s.name" and
 * "type.%s.desc" for incident types), so a template writes
 * {{t type.{code}.name}}.  Rows are in display order; an enum that names
 * rows (enum vg_review_class, enum vg_role) is the row's index, and a new
 * row needs no enum value unless code refers to it by name.
 *
 * Hash lists' categories are open text (partners use their own, such as
 * "sexual-exploitation"); the hotline's own categories are the review
 * classes, whose VG_VOCAB_DEFAULT row is the category of a new list and the
 * category that gets removal notices when none is configured.
 *
 * The tables are constant data: every function here is pure and thread
 * safe, and this file depends on nothing else in Vigil, so the store may use
 * it too.
 */
#ifndef VIGIL_VOCAB_H
#define VIGIL_VOCAB_H

#include <stddef.h>

#include "vigil/error.h"

enum vg_vocab_kind {
    VG_VOCAB_INCIDENT_TYPE = 0, /* "csam", "luring", ...: type.%s.name/desc */
    VG_VOCAB_TECHNOLOGY,        /* "website", "p2p", ...: tech.%s */
    VG_VOCAB_OUTCOME,           /* "police", ...: outcome.%s */
    VG_VOCAB_REPORT_STATUS,     /* "new", "in_review", "closed": status.%s */
    VG_VOCAB_REVIEW_CLASS,      /* "csam", ...: review.class.%s */
    VG_VOCAB_ROLE,              /* "analyst", "admin": admin.role.%s */
    VG_VOCAB_KINDS
};

/* Flags of a row: the rules that go with a code. */
enum {
    VG_VOCAB_DEFAULT = 1u << 0,      /* preselected / the default */
    VG_VOCAB_ASK_LURING = 1u << 1,   /* incident type: ask luring_meet and
                                        luring_images */
    VG_VOCAB_ASK_INTIMATE = 1u << 2, /* incident type: ask intimate_self and
                                        intimate_threatened */
    VG_VOCAB_NEEDS_URLS = 1u << 3,   /* technology: URLs, not a detail */
    VG_VOCAB_ACTIONABLE = 1u << 4,   /* review class: its hashes join the
                                        verified list (else dismissed) */
    VG_VOCAB_ADMIN = 1u << 5         /* role: may use the admin pages */
};

#define VG_VOCAB_MAX_KEYS 2 /* catalogue key patterns per vocabulary */

struct vg_vocab_row {
    const char *code;
    unsigned flags;
};

struct vg_vocab {
    const char *name; /* "incident_type", ...: for messages and tests */
    /* printf patterns of the row's catalogue keys, with one %s for the
     * code; NULL past the last */
    const char *keys[VG_VOCAB_MAX_KEYS];
    const struct vg_vocab_row *rows;
    size_t n;
};

/* The vocabulary of kind k (VG_VOCAB_KINDS or more: NULL).  Static data. */
const struct vg_vocab *vg_vocab_get(enum vg_vocab_kind k);

/* Rows of kind k; a row by index (NULL past the end). */
size_t vg_vocab_count(enum vg_vocab_kind k);
const struct vg_vocab_row *vg_vocab_row(enum vg_vocab_kind k, size_t i);

/* The index of code in kind k, or -1 (NULL, "", unknown: -1; codes are
 * case-sensitive). */
int vg_vocab_find(enum vg_vocab_kind k, const char *code);

/* Is code a row of kind k?  Its flags (0 if not a row). */
int vg_vocab_has(enum vg_vocab_kind k, const char *code);
unsigned vg_vocab_flags(enum vg_vocab_kind k, const char *code);

/* The code of row i (NULL past the end). */
const char *vg_vocab_code(enum vg_vocab_kind k, size_t i);

/* The first row of kind k with all of flags set, or NULL. */
const struct vg_vocab_row *vg_vocab_first(enum vg_vocab_kind k,
                                          unsigned flags);

/* The code of the first VG_VOCAB_DEFAULT row of kind k, or NULL. */
const char *vg_vocab_default(enum vg_vocab_kind k);

/*
 * Catalogue key number `which` (0 or 1) of row i into buf (cap bytes):
 * VG_OK, VG_ENOENT (no such row or pattern) or VG_ETOOBIG (too long).
 */
int vg_vocab_key(enum vg_vocab_kind k, size_t i, int which, char *buf,
                 size_t cap);

#endif
