/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where to get help, by country (module `web`): the operator-editable data
 * file web/resources.json behind the public resources page and the
 * confirmation page.
 *
 *   { "note": "...",
 *     "countries": {
 *       "CA": { "name": {"en": "Canada", "fr": "Canada"},
 *               "hotline":  [ ENTRY, ... ],   reporting abuse material
 *               "children": [ ENTRY, ... ],   help for children and teens
 *               "parents":  [ ENTRY, ... ] }, help for parents
 *       ...,
 *       "*": { ... } } }                       the international fallback
 *
 *   ENTRY = { "name": {"en": "...", "fr": "..."},
 *             "url": "https://...", "url_fr": "https://..." (optional),
 *             "phone": "1-800-..." (optional),
 *             "description": {"en": "...", "fr": "..."} (optional) }
 *
 * Country codes are ISO 3166-1 alpha-2 in upper case, or "*" (required).
 * Each group has at least one entry.  URLs are http(s), printable ASCII, at
 * most 2,048 bytes; texts at most 1,024 bytes.  Unknown keys are errors (a
 * misspelt "phnoe" must not vanish silently).  Every error names the field:
 * "countries.CA.hotline[0].url: not an http(s) URL".
 *
 * Thread safety: a loaded struct vg_resources is read-only.
 */
#ifndef VIGIL_RESOURCES_H
#define VIGIL_RESOURCES_H

#include <stddef.h>

#include <jansson.h>

#include "vigil/error.h"

#define VG_RESOURCES_MAX_FILE (1u << 20)

struct vg_resource {
    const char *name_en, *name_fr;
    const char *url, *url_fr;      /* url_fr NULL when the same */
    const char *phone;             /* NULL when none */
    const char *desc_en, *desc_fr; /* NULL when none */
};

struct vg_resource_group {
    const struct vg_resource *items;
    size_t n;
};

struct vg_resource_country {
    char code[3]; /* "CA", ..., or "*" */
    const char *name_en, *name_fr;
    struct vg_resource_group hotline, children, parents;
};

struct vg_resources;

/*
 * Parse and validate text[0..len) (JSON as above).  VG_OK; VG_EFORMAT with
 * the field in err; VG_ETOOBIG; VG_ENOMEM.  The caller owns *out.
 */
int vg_resources_parse(const char *text, size_t len, struct vg_resources **out,
                       struct vg_err *err);

/* vg_resources_parse on a file (capped at VG_RESOURCES_MAX_FILE); errors
 * are prefixed with the path.  Adds VG_ENOENT and VG_EIO. */
int vg_resources_load(const char *path, struct vg_resources **out,
                      struct vg_err *err);

void vg_resources_free(struct vg_resources *res);

/*
 * The country for an ISO 3166-1 alpha-2 code (any case; may be NULL), or
 * the "*" entry when the code is unknown.  Never NULL for a loaded set.
 * Borrowed for the life of res.
 */
const struct vg_resource_country *
vg_resources_find(const struct vg_resources *res, const char *code);

/* Number of countries (including "*"); *c set to the i-th if i < n, in
 * the file's order. */
size_t vg_resources_count(const struct vg_resources *res, size_t i,
                          const struct vg_resource_country **c);

/*
 * The country as template data in one language ("fr" picks the French
 * names and url_fr where given; anything else English):
 *   {"code", "name", "hotline": [{"name","url","phone","description"}],
 *    "children": [...], "parents": [...]}
 * with absent phones and descriptions left out.  A new reference (the
 * caller's to json_decref), NULL when out of memory.
 */
json_t *vg_resources_to_json(const struct vg_resource_country *c,
                             const char *lang);

#endif
