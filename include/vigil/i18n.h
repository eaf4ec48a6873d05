/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message catalogues and language negotiation (module `web`).
 *
 * A catalogue is a UTF-8 text file `<lang>.txt` (web/i18n/en.txt, fr.txt):
 *
 *   # a comment (a line whose first non-blank character is '#')
 *   form.title = Report child sexual exploitation
 *   confirm.reference = Your reference number is {reference}.
 *
 * Keys are [A-Za-z0-9._-], at most VG_I18N_MAX_KEY bytes, unique within a
 * file; the text is the rest of the line with surrounding blanks removed
 * (at most VG_I18N_MAX_TEXT bytes).  `{name}` ([A-Za-z0-9_.]) is a
 * placeholder the template layer fills (escaped) from the render data; any
 * other brace is literal text.  A leading UTF-8 byte-order mark is ignored.
 * Load errors name the file and line.
 *
 * Lookup falls back from the language to "en", then to the key itself.
 * Language negotiation follows RFC 9110 section 12.5.4 (Accept-Language,
 * q-values) with RFC 4647 matching on the primary subtag.
 *
 * Thread safety: a loaded struct vg_i18n is read-only and may be shared by
 * any number of threads; vg_i18n_add must not run concurrently with lookups.
 */
#ifndef VIGIL_I18N_H
#define VIGIL_I18N_H

#include <stddef.h>

#include "vigil/error.h"

#define VG_I18N_MAX_FILE (1u << 20) /* bytes per catalogue file */
#define VG_I18N_MAX_KEY 128
#define VG_I18N_MAX_TEXT 4096
#define VG_I18N_MAX_LANGS 16
#define VG_I18N_MAX_LANG 16 /* bytes in a language tag */

struct vg_i18n;

/* An empty set of catalogues; the caller's to vg_i18n_free. */
int vg_i18n_new(struct vg_i18n **out);
void vg_i18n_free(struct vg_i18n *i18n);

/*
 * Parse text[0..len) as the catalogue of lang (a tag such as "en", "fr",
 * "fr-CA"; stored lower-case).  source names it in error messages (a file
 * name; may be NULL).  VG_OK; VG_EFORMAT with "source:line: ..." in err;
 * VG_ETOOBIG; VG_EEXIST if lang is already loaded; VG_ENOMEM.
 */
int vg_i18n_add(struct vg_i18n *i18n, const char *lang, const char *text,
                size_t len, const char *source, struct vg_err *err);

/*
 * Load every "<lang>.txt" in dir into a new set.  At least "en.txt" must be
 * there (VG_ENOENT otherwise).  Errors as vg_i18n_add, plus VG_EIO.
 */
int vg_i18n_load_dir(const char *dir, struct vg_i18n **out,
                     struct vg_err *err);

/*
 * The text of key in lang, else in "en", else key itself.  The returned
 * pointer is borrowed from i18n (or is key) and valid while both live.
 * i18n may be NULL (returns key).  lang NULL means "en".
 */
const char *vg_i18n_get(const struct vg_i18n *i18n, const char *lang,
                        const char *key);

/* 1 if lang has its own text for key (no fallback), else 0. */
int vg_i18n_has(const struct vg_i18n *i18n, const char *lang, const char *key);

/* Number of loaded languages; *tag set to the i-th tag (sorted) if i < n. */
size_t vg_i18n_langs(const struct vg_i18n *i18n, size_t i, const char **tag);

/*
 * Check that catalogues a and b have the same keys and, per key, the same
 * set of placeholders.  VG_OK, or VG_EFORMAT naming the first difference
 * ("key 'x' is in en but not in fr", "key 'x': placeholder {n} ...");
 * VG_ENOENT if either language is not loaded.
 */
int vg_i18n_check_parity(const struct vg_i18n *i18n, const char *a,
                         const char *b, struct vg_err *err);

/*
 * The best of supported[0..n) for an Accept-Language header value (may be
 * NULL): the highest q-value wins, ties go to the earlier range in the
 * header; a range matches a supported tag when they are equal or one is a
 * prefix of the other up to a '-' ("fr-CA" matches "fr"), and "*" matches
 * anything not named.  A q of 0 on a range that names a language exactly
 * excludes it.  Nothing acceptable, or a malformed header, gives
 * supported[0].  Returns a pointer from supported (NULL only if n is 0).
 * Only the first 4 KiB and 64 ranges of the header are considered.
 */
const char *vg_i18n_negotiate(const char *accept_language,
                              const char *const supported[], size_t n);

#endif
