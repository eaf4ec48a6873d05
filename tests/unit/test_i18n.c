/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Message catalogues, language negotiation and the help-by-country data
 * (module `web`): the shipped catalogues web/i18n/{en,fr}.txt load and have
 * the same keys and placeholders, fallbacks (language, English, key),
 * catalogue syntax errors with file and line, Accept-Language per RFC 9110
 * (q-values, prefixes, "*", q=0, garbage), the shipped web/resources.json
 * loads with every required country, lookup falls back to "*", and a
 * malformed file gives an error naming the bad field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/i18n.h"
#include "vigil/resources.h"

static void test_shipped_catalogues(void)
{
    struct vg_i18n *i = NULL;
    struct vg_err err;
    const char *tag = NULL;
    static const char *const must[] = {"report.title",
                                       "report.anonymous",
                                       "report.no_images",
                                       "type.csam.name",
                                       "type.luring.name",
                                       "type.prostitution.name",
                                       "type.travel.name",
                                       "type.trafficking.name",
                                       "type.explicit_material.name",
                                       "type.agreement.name",
                                       "type.intimate_images.name",
                                       "confirm.reference",
                                       "resources.title",
                                       "login.title",
                                       "error.url.invalid"};

    vg_err_clear(&err);
    TH_EQ_INT(vg_i18n_load_dir(VIGIL_SOURCE_DIR "/web/i18n", &i, &err), VG_OK);
    if (!i) {
        TH_FAIL_("%s", err.msg);
        return;
    }
    TH_EQ_INT(vg_i18n_langs(i, 0, &tag), 2);
    TH_EQ_STR(tag, "en");
    TH_EQ_INT(vg_i18n_check_parity(i, "en", "fr", &err), VG_OK);
    if (err.msg[0])
        TH_FAIL_("parity: %s", err.msg);
    for (size_t k = 0; k < sizeof(must) / sizeof(*must); k++) {
        TH_CHECK(vg_i18n_has(i, "en", must[k]));
        TH_CHECK(vg_i18n_has(i, "fr", must[k]));
        /* translated, not copied */
        if (strcmp(vg_i18n_get(i, "en", must[k]),
                   vg_i18n_get(i, "fr", must[k])) == 0)
            TH_FAIL_("%s is the same in en and fr", must[k]);
    }
    TH_EQ_STR(vg_i18n_get(i, "fr", "confirm.reference"),
              "Votre numéro de référence est {reference}.");
    TH_EQ_STR(vg_i18n_get(i, "FR", "answer.yes"), "Oui");
    vg_i18n_free(i);
}

static void test_fallback_and_parity(void)
{
    static const char en[] = "\xEF\xBB\xBF# comment\n"
                             "  a.b = One {n} and {m}  \r\n"
                             "\n"
                             "only_en=English\n"
                             "brace = {not a placeholder} {x\n";
    static const char fr[] = "a.b = Un {m} et {n}\n"
                             "brace = {pas un paramètre} {x\n"
                             "only_fr = Français\n";
    struct vg_i18n *i = NULL;
    struct vg_err err;

    TH_EQ_INT(vg_i18n_new(&i), VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "en", en, strlen(en), "en.txt", &err), VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "fr", fr, strlen(fr), "fr.txt", &err), VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "fr", fr, strlen(fr), "fr.txt", &err), VG_EEXIST);
    TH_EQ_STR(vg_i18n_get(i, "en", "a.b"), "One {n} and {m}");
    TH_EQ_STR(vg_i18n_get(i, "fr", "a.b"), "Un {m} et {n}");
    TH_EQ_STR(vg_i18n_get(i, "fr", "only_en"), "English");
    TH_EQ_STR(vg_i18n_get(i, "de", "a.b"), "One {n} and {m}");
    TH_EQ_STR(vg_i18n_get(i, NULL, "a.b"), "One {n} and {m}");
    TH_EQ_STR(vg_i18n_get(i, "fr", "missing.key"), "missing.key");
    TH_EQ_STR(vg_i18n_get(NULL, "fr", "missing.key"), "missing.key");
    TH_EQ_INT(vg_i18n_has(i, "fr", "only_en"), 0);
    TH_EQ_INT(vg_i18n_check_parity(i, "en", "fr", &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "only_en") || strstr(err.msg, "only_fr"));
    TH_EQ_INT(vg_i18n_check_parity(i, "en", "xx", &err), VG_ENOENT);
    vg_i18n_free(i);

    /* same keys, one placeholder renamed */
    TH_EQ_INT(vg_i18n_new(&i), VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "en", "k = {count} reports\n", 20, NULL, NULL),
              VG_OK);
    TH_EQ_INT(vg_i18n_add(i, "fr", "k = {nombre} signalements\n", 25, NULL,
                          NULL),
              VG_OK);
    /* a NUL byte inside a text is refused */
    TH_EQ_INT(vg_i18n_add(i, "de", "k = a\0b\n", 8, NULL, NULL), VG_EFORMAT);
    TH_EQ_INT(vg_i18n_check_parity(i, "en", "fr", &err), VG_EFORMAT);
    TH_CHECK(strstr(err.msg, "{count}") && strstr(err.msg, "'k'"));
    vg_i18n_free(i);
}

static void test_catalogue_errors(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"a = 1\nb 2\n", "x.txt:2: expected '=' after key 'b'"},
        {"a = 1\n\n= 2\n", "x.txt:3: expected 'key = text'"},
        {"a = 1\nb = 2\na = 3\n",
         "x.txt:3: key 'a' already defined on line 1"},
        {"a = \xC3\x28\n", "x.txt:1: text is not valid UTF-8"},
        {"k\xC3\xA9y = x\n", "x.txt:1: expected '=' after key 'k'"},
    };
    struct vg_err err;

    for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
        struct vg_i18n *i = NULL;
        vg_i18n_new(&i);
        vg_err_clear(&err);
        TH_EQ_INT(vg_i18n_add(i, "en", cases[k].text, strlen(cases[k].text),
                              "x.txt", &err),
                  VG_EFORMAT);
        TH_EQ_STR(err.msg, cases[k].want);
        TH_EQ_INT(vg_i18n_langs(i, 0, NULL), 0);
        vg_i18n_free(i);
    }
    {
        struct vg_i18n *i = NULL;
        vg_i18n_new(&i);
        TH_EQ_INT(vg_i18n_add(i, "e n", "", 0, NULL, &err), VG_EINVAL);
        vg_i18n_free(i);
    }
    TH_EQ_INT(vg_i18n_load_dir("/nonexistent/vigil", &(struct vg_i18n *){0},
                               &err),
              VG_ENOENT);
}

static void test_negotiate(void)
{
    static const char *const sup[] = {"en", "fr"};
    static const struct {
        const char *header, *want;
    } cases[] = {
        {"fr-CA,fr;q=0.9,en;q=0.8", "fr"},
        {"en-US,en;q=0.9,fr;q=0.8", "en"},
        {"fr", "fr"},
        {"FR-ca", "fr"},
        {"de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", "fr"},
        {"de, en;q=0.2, fr;q=0.3", "fr"},
        {"de", "en"},
        {"*", "en"},
        {"de, *;q=0.5", "en"},
        {"fr;q=0, *", "en"},          /* fr explicitly refused */
        {"en;q=0, fr;q=0", "en"},     /* nothing acceptable: default */
        {"fr-CA, fr;q=0", "en"},      /* exact q=0 wins over the prefix */
        {"en;q=0.5, fr;q=0.5", "en"}, /* tie: the earlier range */
        {"fr;q=0.5, en;q=0.5", "fr"},
        {"fr ; q=0.7 , en ; q=0.6", "fr"},
        {"en;q=0.001,fr;q=0.002", "fr"},
        {"en;q=1.0,fr;q=1.001", "en"},  /* bad q: fr range ignored */
        {"en;q=0.5,fr;q=0.5000", "en"}, /* four decimals: ignored */
        {"fr;q=2", "en"},
        {"f r, fr_CA, 12", "en"},
        {"", "en"},
        {";;;,,,=q", "en"},
        {"\xff\xfe garbage", "en"},
        {"x-klingon;q=1, fr;q=0.1", "fr"},
        {"french", "en"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const char *got = vg_i18n_negotiate(cases[i].header, sup, 2);
        if (!got || strcmp(got, cases[i].want))
            TH_FAIL_("\"%s\" -> %s, want %s", cases[i].header,
                     got ? got : "(null)", cases[i].want);
    }
    TH_EQ_STR(vg_i18n_negotiate(NULL, sup, 2), "en");
    TH_CHECK(vg_i18n_negotiate("fr", sup, 0) == NULL);
    /* a very long header is cut, not read past */
    {
        size_t n = 100000;
        char *h = malloc(n + 1);
        for (size_t k = 0; k < n; k++)
            h[k] = "de,"[k % 3];
        h[n] = '\0';
        TH_EQ_STR(vg_i18n_negotiate(h, sup, 2), "en");
        free(h);
    }
}

static const char *group_first(const struct vg_resource_group *g)
{
    return g->n ? g->items[0].name_en : "";
}

static void test_shipped_resources(void)
{
    struct vg_resources *r = NULL;
    struct vg_err err;
    const struct vg_resource_country *c;
    static const char *const need[] = {"CA", "US", "GB", "AU", "NZ", "*"};
    json_t *j;

    vg_err_clear(&err);
    TH_EQ_INT(vg_resources_load(VIGIL_SOURCE_DIR "/web/resources.json", &r,
                                &err),
              VG_OK);
    if (!r) {
        TH_FAIL_("%s", err.msg);
        return;
    }
    for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
        c = vg_resources_find(r, need[i]);
        TH_CHECK(c && !strcmp(c->code, need[i]));
        TH_CHECK(c && c->hotline.n && c->children.n && c->parents.n);
    }
    c = vg_resources_find(r, "ca");
    TH_EQ_STR(c->code, "CA");
    TH_CHECK(strstr(group_first(&c->hotline), "Cybertip.ca"));
    TH_EQ_STR(c->hotline.items[0].url_fr, "https://www.cyberaide.ca/");
    TH_CHECK(strstr(group_first(&vg_resources_find(r, "US")->hotline),
                    "CyberTipline"));
    TH_CHECK(strstr(group_first(&vg_resources_find(r, "GB")->hotline),
                    "Internet Watch Foundation"));
    /* unknown, empty and absent codes: the international entry */
    TH_EQ_STR(vg_resources_find(r, "FR")->code, "*");
    TH_EQ_STR(vg_resources_find(r, "")->code, "*");
    TH_EQ_STR(vg_resources_find(r, NULL)->code, "*");
    TH_CHECK(
        strstr(group_first(&vg_resources_find(r, "ZZ")->hotline), "INHOPE"));
    TH_EQ_INT(vg_resources_count(r, 0, NULL), 6);
    /* template data, in French */
    j = vg_resources_to_json(vg_resources_find(r, "CA"), "fr");
    TH_CHECK(j != NULL);
    TH_EQ_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(j, "children"), 0), "name")),
              "Jeunesse, J'écoute");
    TH_EQ_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(j, "hotline"), 0), "url")),
              "https://www.cyberaide.ca/");
    json_decref(j);
    vg_resources_free(r);
}

#define ENTRY                                                                 \
    "{\"name\": {\"en\": \"A\", \"fr\": \"B\"}, \"url\": \"https://a.example/\"}"
#define COUNTRY(h)                                                            \
    "{\"name\": {\"en\": \"X\", \"fr\": \"Y\"}, \"hotline\": [" h "],"        \
    " \"children\": [" ENTRY "], \"parents\": [" ENTRY "]}"

static void test_resources_errors(void)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"countries\": {\"CA\": " COUNTRY(ENTRY) "}}",
         "countries.*: missing (the international fallback)"},
        {"{\"countries\": {\"*\": " COUNTRY(
             "{\"name\": {\"en\": \"A\", \"fr\": \"B\"}, "
             "\"url\": \"javascript:alert(1)\"}") "}}",
         "countries.*.hotline[0].url: not an http(s) URL"},
        {"{\"countries\": {\"*\": " COUNTRY(ENTRY) ", \"CA\": " COUNTRY(
             ENTRY
             ", {\"name\": {\"en\": \"A\"}, \"url\": \"https://a/\"}") "}}",
         "countries.CA.hotline[1].name.fr: missing"},
        {"{\"countries\": {\"*\": " COUNTRY(
             "{\"name\": {\"en\": \"A\", \"fr\": \"B\"}, "
             "\"url\": \"https://a/\", \"phnoe\": \"1\"}") "}}",
         "countries.*.hotline[0]: unknown key \"phnoe\""},
        {"{\"countries\": {\"*\": " COUNTRY(
             "{\"name\": {\"en\": \"A\", \"fr\": \"B\"}, "
             "\"url\": \"https://a/\", \"phone\": \"call <b>\"}") "}}",
         "countries.*.hotline[0].phone: may hold only digits, spaces and + - ( ) ."},
        {"{\"countries\": {\"*\": " COUNTRY("") "}}",
         "countries.*.hotline: must be a non-empty array of entries"},
        {"{\"countries\": {\"*\": " COUNTRY(ENTRY) ", \"ca\": " COUNTRY(
             ENTRY) "}}",
         "countries.ca: not an ISO 3166-1 alpha-2 code in upper case or \"*\""},
        {"{\"countries\": {\"*\": " COUNTRY(
             "{\"name\": {\"en\": \"A\", \"fr\": \"B\"}, "
             "\"url\": \"https://a b/\"}") "}}",
         "countries.*.hotline[0].url: contains spaces, controls or non-ASCII "
         "(percent-encode them)"},
        {"{\"countries\": {\"*\": {\"name\": {\"en\": \"X\", \"fr\": \"Y\"}, "
         "\"hotline\": [" ENTRY "], \"children\": [" ENTRY "]}}}",
         "countries.*.parents: missing"},
        {"{\"note\": 5, \"countries\": {}}",
         "(top level).note: must be a non-empty string"},
        {"{\"countries\": []}", "countries: must be a non-empty object"},
        {"{\"contries\": {}}", "(top level): unknown key \"contries\""},
        {"[]", "(top level): must be an object"},
        {"{\"countries\": {\"*\": 1, \"*\": 2}}",
         "line 1, column 26: duplicate object key near '\"*\"'"},
        {"{\"countries\": ",
         "line 1, column 14: unexpected token near end of file"},
    };
    struct vg_err err;

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct vg_resources *r = NULL;
        vg_err_clear(&err);
        TH_EQ_INT(vg_resources_parse(cases[i].json, strlen(cases[i].json), &r,
                                     &err),
                  VG_EFORMAT);
        TH_CHECK(r == NULL);
        if (strcmp(err.msg, cases[i].want))
            TH_FAIL_("case %zu: \"%s\", want \"%s\"", i, err.msg,
                     cases[i].want);
    }
    {
        const char *ok = "{\"countries\": {\"*\": " COUNTRY(ENTRY) "}}";
        struct vg_resources *r = NULL;
        TH_EQ_INT(vg_resources_parse(ok, strlen(ok), &r, &err), VG_OK);
        TH_EQ_INT(vg_resources_count(r, 0, NULL), 1);
        vg_resources_free(r);
    }
    TH_EQ_INT(vg_resources_load("/nonexistent/resources.json",
                                &(struct vg_resources *){0}, &err),
              VG_ENOENT);
}

static void test_alloc_failures(void)
{
    int ok = 0;

    for (long n = 0; n < 1000 && !ok; n++) {
        struct vg_i18n *i = NULL;
        struct vg_resources *r = NULL;
        int rc;
        vg_alloc_fail_after(n);
        rc = vg_i18n_load_dir(VIGIL_SOURCE_DIR "/web/i18n", &i, NULL);
        if (!rc)
            rc = vg_resources_load(VIGIL_SOURCE_DIR "/web/resources.json", &r,
                                   NULL);
        vg_alloc_fail_after(-1);
        if (rc != VG_OK && rc != VG_ENOMEM)
            TH_FAIL_("fail_after(%ld): %s", n, vg_strerror(rc));
        ok = rc == VG_OK;
        vg_i18n_free(i);
        vg_resources_free(r);
    }
    TH_CHECK(ok);
}

int main(void)
{
    TH_RUN(test_shipped_catalogues);
    TH_RUN(test_fallback_and_parity);
    TH_RUN(test_catalogue_errors);
    TH_RUN(test_negotiate);
    TH_RUN(test_shipped_resources);
    TH_RUN(test_resources_errors);
    TH_RUN(test_alloc_failures);
    return th_done();
}
