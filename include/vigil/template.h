/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTML templates with escaping by default (module `web`): a small,
 * logic-light, Mustache-like language compiled once and rendered many
 * times from a jansson object.
 *
 *   {{name}}  {{a.b.c}}  {{.}}     a value, HTML-escaped (& < > " ' `)
 *   {{#name}}...{{/name}}          section: once per array element (the
 *                                  element becomes the innermost context),
 *                                  once for an object (pushed) or any other
 *                                  truthy value; skipped when falsy
 *   {{^name}}...{{/name}}          inverted section: only when falsy
 *   {{> partial}}                  another template of the same vg_tpl_lib
 *   {{t key}}                      message `key` of the render's language
 *                                  (vigil/i18n.h), escaped, its {name}
 *                                  placeholders filled from the data
 *                                  (escaped); `key` may itself contain
 *                                  {name} parts, e.g. {{t type.{code}}}
 *   {{! comment}}                  nothing
 *
 * Falsy: missing, null, false, "", [], 0.  Names are looked up from the
 * innermost context outwards (the first dotted part only; the rest descend
 * from there).  A missing value renders as nothing.
 *
 * Raw output: there is none in the language ({{{x}}} and {{&x}} are compile
 * errors).  Only a value the C code made with vg_tpl_set_html_safe() is
 * written unescaped, and only in HTML text (elsewhere it is escaped).  Data
 * parsed from JSON can never forge such a value.
 *
 * The compiler follows the HTML around each tag (a simplified HTML5
 * tokenizer) and refuses, with the line number: values inside a tag name, an
 * attribute name or an unquoted attribute value, inside <script>/<style>, an
 * on* event handler, a style or srcdoc attribute; partials inside a tag; a
 * section whose body ends in a different HTML context from where it began;
 * a template that ends inside a tag.  A value that can decide the scheme of
 * a URL attribute (href, src, action, formaction, ...; that is, nothing
 * before it in the attribute value fixes the scheme with ':', '/', '?' or
 * '#') is written only if it is a relative URL or an http(s) URL; anything
 * else (javascript:, data:, vbscript:, with any case, embedded controls or
 * character references) is written as "#".
 *
 * Caps: VG_TPL_MAX_SIZE bytes of source, VG_TPL_MAX_DEPTH nested sections,
 * VG_TPL_MAX_PARTIALS nested partials, VG_TPL_MAX_STEPS steps per render and
 * the output size (see struct vg_tpl_env).
 *
 * Thread safety: a compiled template and a vg_tpl_lib are read-only after
 * loading and may be rendered from many threads at once.
 */
#ifndef VIGIL_TEMPLATE_H
#define VIGIL_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

#include "vigil/buf.h"
#include "vigil/error.h"

#define VG_TPL_MAX_SIZE (256u << 10) /* bytes of template source */
#define VG_TPL_MAX_DEPTH 32          /* nested sections */
#define VG_TPL_MAX_PARTIALS 8        /* nested partial inclusions */
#define VG_TPL_MAX_NAME 128          /* bytes in a name, key or partial */
#define VG_TPL_MAX_STEPS 2000000L    /* nodes visited per render */
#define VG_TPL_OUT_MAX (4u << 20)    /* default output cap per render */

struct vg_tpl;
struct vg_tpl_lib;
struct vg_i18n;

/*
 * Compile text[0..len) (UTF-8; need not be NUL-terminated; copied).  On
 * success *out is the caller's to vg_tpl_free.  VG_EFORMAT on a syntax or
 * context error, VG_ETOOBIG on a cap, VG_ENOMEM; the message in err names
 * the line ("line 12: section 'items' opened here is never closed").
 */
int vg_tpl_compile(const char *text, size_t len, struct vg_tpl **out,
                   struct vg_err *err);
void vg_tpl_free(struct vg_tpl *tpl);

/* Everything a render needs besides the template and the data. */
struct vg_tpl_env {
    const struct vg_tpl_lib *lib; /* for {{> partial}}; may be NULL */
    const struct vg_i18n *i18n;   /* for {{t key}}; NULL renders the key */
    const char *lang;             /* "en", "fr", ...; NULL means "en" */
    size_t max_out;               /* bytes this render may add; 0 means
                                     VG_TPL_OUT_MAX */
};

/*
 * Append the rendering of tpl with data (an object, or NULL for none) to
 * out.  env may be NULL (no partials, no catalogue, English).  VG_OK;
 * VG_ETOOBIG when the output would pass env->max_out or out's own cap, or
 * the render takes more than VG_TPL_MAX_STEPS steps or VG_TPL_MAX_PARTIALS
 * nested partials; VG_ENOENT for a partial not in env->lib; VG_ENOMEM.  On
 * failure out is restored to its length before the call.  data is not
 * modified.
 */
int vg_tpl_render(const struct vg_tpl *tpl, const struct vg_tpl_env *env,
                  const json_t *data, struct vg_buf *out, struct vg_err *err);

/*
 * Set obj[key] to html, marked as safe HTML that renders unescaped in HTML
 * text.  Only for markup the C code built itself from trusted parts (the
 * caller vouches for it).  VG_OK, VG_EINVAL (obj not an object, html not
 * UTF-8), VG_ENOMEM.
 */
int vg_tpl_set_html_safe(json_t *obj, const char *key, const char *html);

/*
 * Is url acceptable as a link target: relative, or http:// / https://
 * (after the same clean-up a browser does: leading and trailing spaces and
 * C0 controls, and tabs and newlines anywhere, are ignored)?  Character
 * references ('&') or a ':' before the first '/', '?' or '#' make any other
 * URL unacceptable.  Returns 1 or 0.  The test the renderer applies.
 */
int vg_tpl_url_ok(const char *url, size_t len);

/*
 * A named collection of compiled templates, the targets of {{> name}}.
 * vg_tpl_lib_add compiles text under name (VG_EEXIST if already there);
 * vg_tpl_lib_load_dir adds every "<name>.html" file of dir (not
 * recursive; other files are ignored), each capped at VG_TPL_MAX_SIZE, and
 * an error names the file and line.  vg_tpl_lib_get returns a template
 * borrowed for the life of the lib, or NULL.
 */
int vg_tpl_lib_new(struct vg_tpl_lib **out);
int vg_tpl_lib_add(struct vg_tpl_lib *lib, const char *name, const char *text,
                   size_t len, struct vg_err *err);
int vg_tpl_lib_load_dir(struct vg_tpl_lib *lib, const char *dir,
                        struct vg_err *err);
const struct vg_tpl *vg_tpl_lib_get(const struct vg_tpl_lib *lib,
                                    const char *name);
void vg_tpl_lib_free(struct vg_tpl_lib *lib);

#endif
