/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the template compiler and renderer: the input is a
 * template, compiled and, when it compiles, rendered with fixed data (nested
 * objects, arrays, hostile strings, an html-safe value), a small catalogue
 * and a partial that includes itself.  Rendering must stay within the output
 * cap, and markup planted in the data must never appear unescaped (the
 * URL checks depend on the HTML context, which only the unit tests know).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/i18n.h"
#include "vigil/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *fdata;
static struct vg_i18n *fi18n;
static struct vg_tpl_lib *flib;

static void setup(void)
{
    static const char cat[] = "greet = Hello {name}!\nk.a = <A {x}>\n"
                              "link = {u}\n";
    static const char part[] = "{{#l}}[{{> self}}]{{/l}}<b>{{name}}</b>";

    fdata = json_loads(
        "{\"name\": \"<script>alert(1)</script>\", \"x\": \"\\\"'`&\","
        " \"u\": \"javascript:alert(1)\", \"ok\": \"https://example.org/\","
        " \"l\": [{\"name\": \"n1\", \"l\": [{\"name\": \"n2\"}]}, 1, \"s\"],"
        " \"o\": {\"p\": {\"q\": \"deep\"}}, \"t\": true, \"f\": false,"
        " \"n\": 42, \"r\": 0.5, \"e\": \"\", \"z\": null}",
        0, NULL);
    vg_tpl_set_html_safe(fdata, "safe", "<em>safe</em>");
    vg_i18n_new(&fi18n);
    vg_i18n_add(fi18n, "en", cat, sizeof(cat) - 1, "en", NULL);
    vg_tpl_lib_new(&flib);
    vg_tpl_lib_add(flib, "self", part, sizeof(part) - 1, NULL);
}

static int contains(const uint8_t *d, size_t n, const char *s)
{
    size_t sl = strlen(s);

    for (size_t i = 0; i + sl <= n; i++)
        if (!memcmp(d + i, s, sl))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_tpl_env env = {0};
    struct vg_tpl *t = NULL;
    struct vg_buf b;

    if (!fdata)
        setup();
    if (vg_tpl_compile((const char *)data, size, &t, NULL) != VG_OK)
        return 0;
    env.lib = flib;
    env.i18n = fi18n;
    env.lang = "en";
    env.max_out = 1 << 16;
    vg_buf_init(&b, 0);
    if (vg_tpl_render(t, &env, fdata, &b, NULL) == VG_OK) {
        if (b.len > size + (1 << 16))
            abort();
        /* the template may spell "<script>" itself, but not through data */
        if (!contains(data, size, "<script>") && b.data &&
            strstr(b.data, "<script>alert(1)</script>"))
            abort();
    }
    vg_buf_fini(&b);
    vg_tpl_free(t);
    return 0;
}
