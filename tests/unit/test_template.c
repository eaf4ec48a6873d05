/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The template engine: escaping in text and attributes, XSS payloads
 * (script tags, attribute break-outs, javascript:/data:/vbscript: URLs with
 * mixed case, tabs, newlines, controls and character references), sections
 * (nested, arrays of objects, booleans, inverted), missing keys, dotted
 * names, html-safe values that JSON cannot forge, translations with
 * placeholders, partials and their depth cap, compile errors with line
 * numbers, context errors, the output and step caps, and a failing
 * allocation at every point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/i18n.h"
#include "vigil/template.h"

/* Render src with data (JSON text) into a static string ("ERR <code>"). */
static const char *render_env(const char *src, const char *json,
                              const struct vg_tpl_env *env)
{
    static char res[8192];
    struct vg_tpl *t = NULL;
    struct vg_buf b;
    struct vg_err err;
    json_t *data = json ? json_loads(json, JSON_ALLOW_NUL, NULL) : NULL;
    int rc;

    vg_buf_init(&b, 0);
    if ((rc = vg_tpl_compile(src, strlen(src), &t, &err)) ||
        (rc = vg_tpl_render(t, env, data, &b, &err)))
        snprintf(res, sizeof(res), "ERR %s: %s", vg_strerror(rc), err.msg);
    else
        snprintf(res, sizeof(res), "%s", b.data ? b.data : "");
    vg_buf_fini(&b);
    vg_tpl_free(t);
    json_decref(data);
    return res;
}

static const char *render(const char *src, const char *json)
{
    return render_env(src, json, NULL);
}

/* The compile error message for src, or "" if it compiles. */
static const char *compile_err(const char *src)
{
    static struct vg_err err;
    struct vg_tpl *t = NULL;

    vg_err_clear(&err);
    if (vg_tpl_compile(src, strlen(src), &t, &err) == VG_OK) {
        vg_tpl_free(t);
        return "";
    }
    return err.msg;
}

static void test_escaping(void)
{
    TH_EQ_STR(render("<p>{{x}}</p>",
                     "{\"x\": \"a & b < c > d \\\" e ' f ` g\"}"),
              "<p>a &amp; b &lt; c &gt; d &quot; e &#39; f &#96; g</p>");
    TH_EQ_STR(render("<p>{{x}}</p>", "{\"x\": \"<script>alert(1)</script>\"}"),
              "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    /* attribute break-out */
    TH_EQ_STR(
        render("<input value=\"{{x}}\">",
               "{\"x\": \"\\\"><img src=x onerror=alert(1)>\"}"),
        "<input value=\"&quot;&gt;&lt;img src=x onerror=alert(1)&gt;\">");
    TH_EQ_STR(render("<input value='{{x}}'>",
                     "{\"x\": \"' autofocus onfocus='alert(1)\"}"),
              "<input value='&#39; autofocus onfocus=&#39;alert(1)'>");
    /* NUL in a value becomes U+FFFD; numbers and booleans print */
    TH_EQ_STR(render("{{x}}|{{n}}|{{r}}|{{b}}",
                     "{\"x\": \"a\\u0000b\", \"n\": -42, "
                     "\"r\": 1.5, \"b\": true}"),
              "a\xEF\xBF\xBD"
              "b|-42|1.5|true");
    /* whitespace inside tags, comments vanish */
    TH_EQ_STR(render("{{ x }}{{! a comment }}", "{\"x\": \"y\"}"), "y");
    /* template text itself passes through untouched (author's markup) */
    TH_EQ_STR(render("<b>&amp;</b>", "{}"), "<b>&amp;</b>");
}

static void test_missing_and_lookup(void)
{
    TH_EQ_STR(render("[{{nope}}][{{a.nope}}][{{a.b.c}}]",
                     "{\"a\": {\"b\": {\"c\": \"deep\"}}}"),
              "[][][deep]");
    TH_EQ_STR(render("[{{report.reference}}]",
                     "{\"report\": {\"reference\": \"VG-2025-000123\"}}"),
              "[VG-2025-000123]");
    /* objects, arrays and null print nothing */
    TH_EQ_STR(render("[{{o}}{{a}}{{z}}]",
                     "{\"o\": {}, \"a\": [1], \"z\": null}"),
              "[]");
    TH_EQ_STR(render("[{{x}}]", NULL), "[]");
    /* a dotted name does not fall back to an outer "b" after "a" matched */
    TH_EQ_STR(render("{{#a}}[{{a.b}}]{{/a}}",
                     "{\"a\": {\"x\": 1}, \"b\": \"outer\"}"),
              "[]");
}

static void test_sections(void)
{
    const char *data =
        "{\"types\": [{\"id\": \"csam\", \"sub\": [1, 2]},"
        "             {\"id\": \"luring\", \"sub\": []}],"
        " \"show\": true, \"hide\": false, \"empty\": \"\", \"title\": \"T\"}";

    TH_EQ_STR(render("{{#types}}({{id}}:{{#sub}}[{{.}}]{{/sub}}"
                     "{{^sub}}none{{/sub}}){{/types}}",
                     data),
              "(csam:[1][2])(luring:none)");
    /* outer names are visible inside a section */
    TH_EQ_STR(render("{{#types}}{{title}}{{id}} {{/types}}", data),
              "Tcsam Tluring ");
    TH_EQ_STR(render("{{#show}}yes{{/show}}{{#hide}}no{{/hide}}"
                     "{{^hide}}inv{{/hide}}{{#empty}}e{{/empty}}"
                     "{{^missing}}m{{/missing}}{{#missing}}M{{/missing}}",
                     data),
              "yesinvm");
    /* numbers: 0 is falsy (a count of nothing, SQLite's false) */
    TH_EQ_STR(render("{{#n}}[{{n}}]{{/n}}{{^z}}zero{{/z}}{{#z}}Z{{/z}}"
                     "{{#r}}r{{/r}}{{^r0}}r0{{/r0}}",
                     "{\"n\": 3, \"z\": 0, \"r\": 0.5, \"r0\": 0.0}"),
              "[3]zerorr0");
    /* an object section pushes the object */
    TH_EQ_STR(render("{{#o}}{{k}}{{/o}}",
                     "{\"o\": {\"k\": \"v\"}, \"k\": \"outer\"}"),
              "v");
    /* a section inside an attribute, the usual <option selected> idiom */
    TH_EQ_STR(
        render("<option value=\"{{id}}\"{{#sel}} selected{{/sel}}>x</option>",
               "{\"id\": \"a\", \"sel\": true}"),
        "<option value=\"a\" selected>x</option>");
    TH_EQ_STR(render("<input {{#req}}required{{/req}} name=\"n\">",
                     "{\"req\": false}"),
              "<input  name=\"n\">");
}

static void test_url_attributes(void)
{
    static const char *const bad[] = {
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "  javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "javascript&#58;alert(1)",
        "javascript&colon;alert(1)",
        "&#106;avascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "DATA:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "VbScRiPt:msgbox(1)",
        ":alert(1)",
        "mailto:x@example.org",
    };
    static const char *const good[] = {
        "https://example.org/a?b=1&c=2",
        "HTTP://example.org/",
        "/resources?country=CA",
        "report/42",
        "?page=2",
        "#top",
        "//cdn.example.org/x.css",
        "",
    };
    char json[512], want[512];

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        json_t *o = json_pack("{ss}", "u", bad[i]);
        char *js = json_dumps(o, 0);
        TH_EQ_INT(vg_tpl_url_ok(bad[i], strlen(bad[i])), 0);
        snprintf(json, sizeof(json), "%s", js);
        TH_EQ_STR(render("<a href=\"{{u}}\">x</a>", json),
                  "<a href=\"#\">x</a>");
        TH_EQ_STR(render("<img src='{{u}}'>", json), "<img src='#'>");
        TH_EQ_STR(render("<form action=\" {{u}}\"></form>", json),
                  "<form action=\" #\"></form>");
        free(js);
        json_decref(o);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        json_t *o = json_pack("{ss}", "u", good[i]);
        char *js = json_dumps(o, 0);
        struct vg_buf b;
        TH_EQ_INT(vg_tpl_url_ok(good[i], strlen(good[i])), 1);
        snprintf(json, sizeof(json), "%s", js);
        vg_buf_init(&b, 0);
        vg_buf_puts(&b, "<a href=\"");
        for (const char *p = good[i]; *p; p++)
            vg_buf_puts(&b, *p == '&' ? "&amp;" : (char[2]){*p, 0});
        vg_buf_puts(&b, "\">x</a>");
        snprintf(want, sizeof(want), "%s", b.data);
        vg_buf_fini(&b);
        TH_EQ_STR(render("<a href=\"{{u}}\">x</a>", json), want);
        free(js);
        json_decref(o);
    }
    /* after a literal that fixes the scheme, the value is a path part */
    TH_EQ_STR(render("<a href=\"/r/{{u}}\">x</a>", "{\"u\": \"a:b\"}"),
              "<a href=\"/r/a:b\">x</a>");
    /* ...but a literal that may not render does not fix it */
    TH_EQ_STR(render("<a href=\"{{#abs}}https://h/{{/abs}}{{u}}\">x</a>",
                     "{\"u\": \"javascript:alert(1)\"}"),
              "<a href=\"#\">x</a>");
    /* two values: the second can still decide the scheme */
    TH_EQ_STR(render("<a href=\"{{a}}{{b}}\">x</a>",
                     "{\"a\": \"javascript\", \"b\": \":alert(1)\"}"),
              "<a href=\"javascript#\">x</a>");
    /* other attributes are not URLs; other tags' href too */
    TH_EQ_STR(render("<a title=\"{{u}}\" HREF=\"{{u}}\">x</a>",
                     "{\"u\": \"javascript:x\"}"),
              "<a title=\"javascript:x\" HREF=\"#\">x</a>");
    TH_EQ_STR(render("<link rel=\"stylesheet\" href=\"{{u}}\">",
                     "{\"u\": \"data:text/css,x\"}"),
              "<link rel=\"stylesheet\" href=\"#\">");
}

static void test_context_errors(void)
{
    TH_CHECK(strstr(compile_err("<a href={{u}}>"), "unquoted"));
    TH_CHECK(strstr(compile_err("<a {{attrs}}>"), "line 1"));
    TH_CHECK(strstr(compile_err("<{{tag}}>"), "tag name"));
    TH_CHECK(strstr(compile_err("<a onclick=\"go('{{x}}')\">"), "onclick"));
    TH_CHECK(strstr(compile_err("<p style=\"color: {{c}}\">"), "style"));
    TH_CHECK(
        strstr(compile_err("<iframe srcdoc=\"{{x}}\"></iframe>"), "srcdoc"));
    TH_CHECK(
        strstr(compile_err("<script>var x = '{{x}}';</script>"), "<script>"));
    TH_CHECK(strstr(compile_err("<STYLE>\n{{x}}</STYLE>"), "line 2"));
    TH_CHECK(strstr(compile_err("<p>\n\n{{{raw}}}</p>"), "line 3"));
    TH_CHECK(strstr(compile_err("<p>{{&raw}}</p>"), "vg_tpl_set_html_safe"));
    TH_CHECK(strstr(compile_err("<a href=\"x\n"), "ends inside a tag"));
    TH_CHECK(strstr(compile_err("<a {{> p}}>"), "partial"));
    TH_CHECK(strstr(compile_err("<script>{{> p}}</script>"), "partial"));
    /* a section must not change the HTML context */
    TH_CHECK(strstr(compile_err("{{#x}}<a href=\"{{/x}}{{u}}\">"),
                    "different HTML context"));
    TH_CHECK(strstr(compile_err("<a hr{{#x}}{{/x}}ef=\"{{u}}\">"),
                    "attribute name"));
    /* after </script> values are fine again */
    TH_EQ_STR(compile_err("<script src=\"/a.js\"></script><p>{{x}}</p>"), "");
    TH_EQ_STR(compile_err("<script>if (a</b) {}</script >{{x}}"), "");
    TH_EQ_STR(compile_err("<!-- <script> -->{{x}}<textarea>{{x}}</textarea>"),
              "");
    TH_EQ_STR(render("<title>{{t}}</title><textarea>{{t}}</textarea>",
                     "{\"t\": \"</textarea><script>\"}"),
              "<title>&lt;/textarea&gt;&lt;script&gt;</title>"
              "<textarea>&lt;/textarea&gt;&lt;script&gt;</textarea>");
}

static void test_compile_errors(void)
{
    const char *m;

    m = compile_err("a\nb\n{{#items}}\n<li>{{name}}</li>\n");
    TH_CHECK(strstr(m, "line 3") && strstr(m, "'items'") &&
             strstr(m, "never closed"));
    m = compile_err("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}");
    TH_CHECK(strstr(m, "line 3") && strstr(m, "line 2"));
    TH_CHECK(strstr(compile_err("x\n{{/a}}"), "line 2"));
    TH_CHECK(strstr(compile_err("x\ny\n{{name"), "line 3"));
    TH_CHECK(strstr(compile_err("{{bad name}}"), "bad name"));
    TH_CHECK(strstr(compile_err("{{a..b}}"), "bad name"));
    TH_CHECK(strstr(compile_err("{{}}"), "bad name"));
    TH_CHECK(strstr(compile_err("{{=<% %>=}}"), "delimiters"));
    TH_CHECK(strstr(compile_err("{{t bad key!}}"), "key"));
    {
        char deep[VG_TPL_MAX_DEPTH * 12 + 64];
        size_t n = 0;
        for (int i = 0; i <= VG_TPL_MAX_DEPTH; i++)
            n += (size_t)sprintf(deep + n, "{{#a}}");
        TH_CHECK(strstr(compile_err(deep), "deeper"));
    }
    {
        size_t n = VG_TPL_MAX_SIZE + 1;
        char *big = malloc(n);
        struct vg_tpl *t = NULL;
        memset(big, 'x', n);
        TH_EQ_INT(vg_tpl_compile(big, n, &t, NULL), VG_ETOOBIG);
        TH_CHECK(t == NULL);
        free(big);
    }
}

static void test_html_safe(void)
{
    json_t *d = json_object();
    struct vg_tpl *t = NULL;
    struct vg_buf b;
    const char *src = "{{body}}|{{plain}}|<p title=\"{{body}}\">";

    TH_EQ_INT(vg_tpl_set_html_safe(d, "body", "<b>bold</b>"), VG_OK);
    json_object_set_new(d, "plain", json_string("<b>bold</b>"));

    TH_EQ_INT(vg_tpl_compile(src, strlen(src), &t, NULL), VG_OK);
    vg_buf_init(&b, 0);
    TH_EQ_INT(vg_tpl_render(t, NULL, d, &b, NULL), VG_OK);
    TH_EQ_STR(b.data,
              "<b>bold</b>|&lt;b&gt;bold&lt;/b&gt;|<p title=\"&lt;b&gt;"
              "bold&lt;/b&gt;\">");
    vg_buf_fini(&b);
    vg_tpl_free(t);
    json_decref(d);
    /* JSON that imitates the wrapper is just an object: prints nothing */
    TH_EQ_STR(render("[{{x}}]", "{\"x\": {\"vg\\u0001html-safe\": {}, "
                                "\"html\": \"<script>\"}}"),
              "[]");
    TH_EQ_INT(vg_tpl_set_html_safe(NULL, "k", "x"), VG_EINVAL);
    d = json_object();
    TH_EQ_INT(vg_tpl_set_html_safe(d, "k", "\xff"), VG_EINVAL);
    json_decref(d);
}

static void test_translations(void)
{
    static const char en[] = "greet = Hello, {name}!\n"
                             "type.csam = Child sexual abuse material\n"
                             "only.en = English only\n"
                             "link = {url}\n";
    static const char fr[] = "greet = Bonjour, {name}!\n"
                             "type.csam = Pornographie juvénile\n"
                             "link = {url}\n";
    struct vg_i18n *i = NULL;
    struct vg_tpl_env env = {0};

    TH_EQ_INT(vg_i18n_new(&i), VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "en", en, strlen(en), "en", NULL), VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "fr", fr, strlen(fr), "fr", NULL), VG_OK);
    env.i18n = i;
    env.lang = "fr";
    TH_EQ_STR(render_env("<h1>{{t greet}}</h1>", "{\"name\": \"<i>Ana</i>\"}",
                         &env),
              "<h1>Bonjour, &lt;i&gt;Ana&lt;/i&gt;!</h1>");
    TH_EQ_STR(render_env("{{t only.en}}|{{t no.such.key}}", "{}", &env),
              "English only|no.such.key");
    /* a key built from the data */
    TH_EQ_STR(
        render_env("{{#types}}<option>{{t type.{id}}}</option>{{/types}}",
                   "{\"types\": [{\"id\": \"csam\"}, {\"id\": \"x<y\"}]}",
                   &env),
        "<option>Pornographie juvénile</option>"
        "<option>type.{id}</option>");
    /* a message in a URL attribute is checked like a value */
    TH_EQ_STR(render_env("<a href=\"{{t link}}\">",
                         "{\"url\": \"javascript:x\"}", &env),
              "<a href=\"#\">");
    TH_EQ_STR(render_env("<input placeholder=\"{{t greet}}\">",
                         "{\"name\": \"\\\"'\"}", &env),
              "<input placeholder=\"Bonjour, &quot;&#39;!\">");
    env.lang = "de"; /* not loaded: English */
    TH_EQ_STR(render_env("{{t greet}}", "{\"name\": \"A\"}", &env),
              "Hello, A!");
    TH_EQ_STR(render_env("{{t greet}}", "{}", NULL), "greet");
    vg_i18n_free(i);
}

static void test_partials(void)
{
    struct vg_tpl_lib *lib = NULL;
    struct vg_tpl_env env = {0};
    struct vg_err err;
    const char *self = "{{#x}}[{{> self}}]{{/x}}";
    char dir[] = "/tmp/vg-tpl-XXXXXX", path[256];
    FILE *f;

    TH_EQ_INT(vg_tpl_lib_new(&lib), VG_OK);
    TH_EQ_INT(vg_tpl_lib_add(lib, "item", "<li>{{name}}</li>", 17, NULL),
              VG_OK);
    TH_EQ_INT(vg_tpl_lib_add(lib, "item", "x", 1, NULL), VG_EEXIST);
    TH_EQ_INT(vg_tpl_lib_add(lib, "self", self, strlen(self), NULL), VG_OK);
    env.lib = lib;
    TH_EQ_STR(render_env("<ul>{{#l}}{{> item}}{{/l}}</ul>",
                         "{\"l\": [{\"name\": \"a\"}, {\"name\": \"<b>\"}]}",
                         &env),
              "<ul><li>a</li><li>&lt;b&gt;</li></ul>");
    TH_CHECK(!strncmp(render_env("{{> nope}}", "{}", &env), "ERR", 3));
    /* endless recursion stops at the partial depth cap */
    TH_CHECK(strstr(render_env("{{> self}}", "{\"x\": true}", &env),
                    "partials nested deeper"));
    TH_CHECK(!strncmp(render_env("{{> item}}", "{}", NULL), "ERR", 3));
    vg_tpl_lib_free(lib);

    /* loading a directory: errors name the file and line */
    TH_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/page.html", dir);
    f = fopen(path, "w");
    fputs("<p>{{t greet}}</p>{{> part}}\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/part.html", dir);
    f = fopen(path, "w");
    fputs("<i>{{x}}</i>", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    f = fopen(path, "w");
    fputs("{{#unclosed}}", f);
    fclose(f);
    TH_EQ_INT(vg_tpl_lib_new(&lib), VG_OK);
    TH_EQ_INT(vg_tpl_lib_load_dir(lib, dir, &err), VG_OK);
    TH_CHECK(vg_tpl_lib_get(lib, "page") && vg_tpl_lib_get(lib, "part"));
    TH_CHECK(!vg_tpl_lib_get(lib, "notes"));
    vg_tpl_lib_free(lib);
    snprintf(path, sizeof(path), "%s/broken.html", dir);
    f = fopen(path, "w");
    fputs("ok\n{{#list}}\n", f);
    fclose(f);
    TH_EQ_INT(vg_tpl_lib_new(&lib), VG_OK);
    TH_EQ_INT(vg_tpl_lib_load_dir(lib, dir, &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "broken.html") && strstr(err.msg, "line 2"));
    vg_tpl_lib_free(lib);
    for (const char *const *n =
             (const char *const[]){"page.html", "part.html", "notes.txt",
                                   "broken.html", NULL};
         *n; n++) {
        snprintf(path, sizeof(path), "%s/%s", dir, *n);
        unlink(path);
    }
    rmdir(dir);
}

static void test_caps(void)
{
    struct vg_tpl *t = NULL;
    struct vg_tpl_env env = {0};
    struct vg_buf b;
    struct vg_err err;
    json_t *d = json_pack("{ss}", "x", "0123456789");

    TH_EQ_INT(vg_tpl_compile("[{{x}}{{x}}{{x}}]", 17, &t, NULL), VG_OK);
    vg_buf_init(&b, 0);
    vg_buf_puts(&b, "kept");
    env.max_out = 31;
    TH_EQ_INT(vg_tpl_render(t, &env, d, &b, &err), VG_ETOOBIG);
    TH_EQ_STR(b.data, "kept"); /* restored */
    env.max_out = 32;
    TH_EQ_INT(vg_tpl_render(t, &env, d, &b, &err), VG_OK);
    TH_EQ_INT(b.len, 4 + 32);
    vg_buf_fini(&b);
    /* the buffer's own cap counts too */
    vg_buf_init(&b, 20);
    TH_EQ_INT(vg_tpl_render(t, NULL, d, &b, &err), VG_ETOOBIG);
    TH_EQ_INT(b.len, 0);
    vg_buf_fini(&b);
    vg_tpl_free(t);
    json_decref(d);

    /* nested loops that print nothing still stop at the step cap */
    {
        char src[512];
        size_t n = 0;
        json_t *arr = json_array();
        for (int i = 0; i < 100; i++)
            json_array_append_new(arr, json_integer(i));
        d = json_pack("{so}", "a", arr);
        for (int i = 0; i < 6; i++)
            n += (size_t)sprintf(src + n, "{{#a}}");
        for (int i = 0; i < 6; i++)
            n += (size_t)sprintf(src + n, "{{/a}}");
        TH_EQ_INT(vg_tpl_compile(src, n, &t, NULL), VG_OK);
        vg_buf_init(&b, 0);
        TH_EQ_INT(vg_tpl_render(t, NULL, d, &b, &err), VG_ETOOBIG);
        TH_CHECK(strstr(err.msg, "steps"));
        vg_buf_fini(&b);
        vg_tpl_free(t);
        json_decref(d);
    }
}

static void test_alloc_failures(void)
{
    const char *src =
        "<ul>{{#l}}<li><a href=\"{{u}}\">{{t k}}</a></li>{{/l}}</ul>"
        "{{^l}}none{{/l}}";
    json_t *d =
        json_loads("{\"l\": [{\"u\": \"/a\"}, {\"u\": \"javascript:\"}],"
                   " \"n\": \"N\"}",
                   0, NULL);
    struct vg_i18n *i = NULL;
    struct vg_tpl_env env = {0};
    int ok = 0;

    vg_i18n_new(&i);
    vg_i18n_add(i, "en", "k = Hi {n}\n", 11, "en", NULL);
    env.i18n = i;
    for (long n = 0; n < 200 && !ok; n++) {
        struct vg_tpl *t = NULL;
        struct vg_buf b;
        int rc;
        vg_buf_init(&b, 0);
        vg_alloc_fail_after(n);
        rc = vg_tpl_compile(src, strlen(src), &t, NULL);
        if (!rc)
            rc = vg_tpl_render(t, &env, d, &b, NULL);
        vg_alloc_fail_after(-1);
        if (rc != VG_OK && rc != VG_ENOMEM)
            TH_FAIL_("fail_after(%ld): rc %d", n, rc);
        if (rc == VG_OK) {
            ok = 1;
            TH_EQ_STR(b.data, "<ul><li><a href=\"/a\">Hi N</a></li>"
                              "<li><a href=\"#\">Hi N</a></li></ul>");
        }
        vg_buf_fini(&b);
        vg_tpl_free(t);
    }
    TH_CHECK(ok);
    vg_i18n_free(i);
    json_decref(d);
}

int main(void)
{
    TH_RUN(test_escaping);
    TH_RUN(test_missing_and_lookup);
    TH_RUN(test_sections);
    TH_RUN(test_url_attributes);
    TH_RUN(test_context_errors);
    TH_RUN(test_compile_errors);
    TH_RUN(test_html_safe);
    TH_RUN(test_translations);
    TH_RUN(test_partials);
    TH_RUN(test_caps);
    TH_RUN(test_alloc_failures);
    return th_done();
}
