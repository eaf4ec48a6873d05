/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The help-by-country data file (include/vigil/resources.h): validated with
 * jansson, then kept as the parsed JSON (which owns every string the public
 * structs point to) plus arrays of those structs.  Invariant after a
 * successful load: exactly one "*" country; every entry has both names and
 * an http(s) URL; every group has at least one entry.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vigil/alloc.h"
#include "vigil/resources.h"

#define MAX_URL 2048
#define MAX_TEXT 1024
#define MAX_COUNTRIES 300
#define MAX_ENTRIES 32

struct vg_resources {
    json_t *root;
    struct vg_resource_country *c;
    size_t n;
    struct vg_resource *items; /* all entries, groups point into it */
    size_t nitems;
};

void vg_resources_free(struct vg_resources *res)
{
    if (!res)
        return;
    json_decref(res->root);
    vg_free(res->c);
    vg_free(res->items);
    vg_free(res);
}

static int bad(struct vg_err *err, const char *field, const char *why)
{
    return vg_err_set(err, VG_EFORMAT, "%s: %s", field, why);
}

/* Only the keys in allowed[] may appear in obj. */
static int keys_known(const json_t *obj, const char *const *allowed,
                      const char *field, struct vg_err *err)
{
    const char *k;
    json_t *v;

    json_object_foreach ((json_t *)obj, k, v) {
        size_t i;
        for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
            ;
        if (!allowed[i])
            return vg_err_set(err, VG_EFORMAT, "%s: unknown key \"%s\"", field,
                              k);
    }
    return VG_OK;
}

static int text_field(const json_t *obj, const char *key, int required,
                      const char *field, const char **out, struct vg_err *err)
{
    const json_t *v = json_object_get(obj, key);
    char f[256];

    snprintf(f, sizeof(f), "%s.%s", field, key);
    *out = NULL;
    if (!v)
        return required ? bad(err, f, "missing") : VG_OK;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bad(err, f, "must be a non-empty string");
    if (json_string_length(v) > MAX_TEXT ||
        strlen(json_string_value(v)) != json_string_length(v))
        return bad(err, f, "too long or contains NUL");
    *out = json_string_value(v);
    return VG_OK;
}

/* {"en": "...", "fr": "..."} */
static int names(const json_t *obj, const char *key, int required,
                 const char *field, const char **en, const char **fr,
                 struct vg_err *err)
{
    static const char *const allowed[] = {"en", "fr", NULL};
    const json_t *v = json_object_get(obj, key);
    char f[256];
    int rc;

    snprintf(f, sizeof(f), "%s.%s", field, key);
    *en = *fr = NULL;
    if (!v)
        return required ? bad(err, f, "missing") : VG_OK;
    if (!json_is_object(v))
        return bad(err, f, "must be an object {\"en\": ..., \"fr\": ...}");
    if ((rc = keys_known(v, allowed, f, err)) ||
        (rc = text_field(v, "en", 1, f, en, err)) ||
        (rc = text_field(v, "fr", 1, f, fr, err)))
        return rc;
    return VG_OK;
}

static int url_field(const json_t *obj, const char *key, int required,
                     const char *field, const char **out, struct vg_err *err)
{
    const json_t *v = json_object_get(obj, key);
    const char *s;
    char f[256];
    size_t n;

    snprintf(f, sizeof(f), "%s.%s", field, key);
    *out = NULL;
    if (!v)
        return required ? bad(err, f, "missing") : VG_OK;
    if (!json_is_string(v))
        return bad(err, f, "must be a string");
    s = json_string_value(v);
    n = json_string_length(v);
    if (n > MAX_URL)
        return bad(err, f, "longer than 2048 bytes");
    if (strncasecmp(s, "https://", 8) && strncasecmp(s, "http://", 7))
        return bad(err, f, "not an http(s) URL");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return bad(err, f,
                       "contains spaces, controls or non-ASCII "
                       "(percent-encode them)");
    if (!s[strncasecmp(s, "https://", 8) ? 7 : 8])
        return bad(err, f, "has no host");
    *out = s;
    return VG_OK;
}

static int phone_field(const json_t *obj, const char *field, const char **out,
                       struct vg_err *err)
{
    const char *s;
    char f[256];
    int rc, digits = 0;

    if ((rc = text_field(obj, "phone", 0, field, out, err)) || !*out)
        return rc;
    snprintf(f, sizeof(f), "%s.phone", field);
    for (s = *out; *s; s++) {
        if (isdigit((unsigned char)*s))
            digits++;
        else if (!strchr(" +-().", *s))
            return bad(err, f, "may hold only digits, spaces and + - ( ) .");
    }
    if (digits < 3 || s - *out > 40)
        return bad(err, f, "not a phone number");
    return VG_OK;
}

static int parse_entry(const json_t *e, const char *field,
                       struct vg_resource *r, struct vg_err *err)
{
    static const char *const allowed[] = {"name",  "url",         "url_fr",
                                          "phone", "description", NULL};
    int rc;

    if (!json_is_object(e))
        return bad(err, field, "must be an object");
    if ((rc = keys_known(e, allowed, field, err)) ||
        (rc = names(e, "name", 1, field, &r->name_en, &r->name_fr, err)) ||
        (rc = url_field(e, "url", 1, field, &r->url, err)) ||
        (rc = url_field(e, "url_fr", 0, field, &r->url_fr, err)) ||
        (rc = phone_field(e, field, &r->phone, err)) ||
        (rc = names(e, "description", 0, field, &r->desc_en, &r->desc_fr,
                    err)))
        return rc;
    return VG_OK;
}

static int code_ok(const char *k)
{
    return !strcmp(k, "*") || (isupper((unsigned char)k[0]) &&
                               isupper((unsigned char)k[1]) && !k[2]);
}

static const char *const groups[] = {"hotline", "children", "parents"};

static int parse_country(struct vg_resources *res, const char *code,
                         const json_t *cv, struct vg_err *err)
{
    static const char *const allowed[] = {"name", "hotline", "children",
                                          "parents", NULL};
    struct vg_resource_country *c = &res->c[res->n];
    char f[64];
    int rc;

    snprintf(f, sizeof(f), "countries.%s", code);
    if (!code_ok(code))
        return bad(err, f,
                   "not an ISO 3166-1 alpha-2 code in upper case "
                   "or \"*\"");
    if (!json_is_object(cv))
        return bad(err, f, "must be an object");
    memcpy(c->code, code, strlen(code) + 1);
    if ((rc = keys_known(cv, allowed, f, err)) ||
        (rc = names(cv, "name", 1, f, &c->name_en, &c->name_fr, err)))
        return rc;
    for (size_t g = 0; g < 3; g++) {
        struct vg_resource_group *grp = g == 0   ? &c->hotline
                                        : g == 1 ? &c->children
                                                 : &c->parents;
        const json_t *arr = json_object_get(cv, groups[g]);
        char gf[96];

        snprintf(gf, sizeof(gf), "%s.%s", f, groups[g]);
        if (!arr)
            return bad(err, gf, "missing");
        if (!json_is_array(arr) || !json_array_size(arr))
            return bad(err, gf, "must be a non-empty array of entries");
        if (json_array_size(arr) > MAX_ENTRIES)
            return bad(err, gf, "more than 32 entries");
        grp->items = &res->items[res->nitems];
        grp->n = json_array_size(arr);
        for (size_t i = 0; i < grp->n; i++) {
            char ef[128];
            snprintf(ef, sizeof(ef), "%s[%zu]", gf, i);
            if ((rc = parse_entry(json_array_get(arr, i), ef,
                                  &res->items[res->nitems++], err)))
                return rc;
        }
    }
    res->n++;
    return VG_OK;
}

static int validate(struct vg_resources *res, struct vg_err *err)
{
    static const char *const allowed[] = {"note", "countries", NULL};
    const json_t *countries = json_object_get(res->root, "countries");
    const char *code, *note;
    size_t total = 0;
    json_t *cv;
    int rc;

    if (!json_is_object(res->root))
        return bad(err, "(top level)", "must be an object");
    if ((rc = keys_known(res->root, allowed, "(top level)", err)) ||
        (rc = text_field(res->root, "note", 0, "(top level)", &note, err)))
        return rc;
    if (!countries)
        return bad(err, "countries", "missing");
    if (!json_is_object(countries) || !json_object_size(countries))
        return bad(err, "countries", "must be a non-empty object");
    if (json_object_size(countries) > MAX_COUNTRIES)
        return bad(err, "countries", "too many");
    if (!json_object_get(countries, "*"))
        return bad(err, "countries.*",
                   "missing (the international "
                   "fallback)");
    json_object_foreach ((json_t *)countries, code, cv)
        for (size_t g = 0; g < 3; g++) {
            const json_t *a = json_is_object(cv)
                                  ? json_object_get(cv, groups[g])
                                  : NULL;
            total += json_is_array(a) ? json_array_size(a) : 0;
        }
    if (!(res->c = vg_calloc(json_object_size(countries), sizeof(*res->c))) ||
        !(res->items = vg_calloc(total ? total : 1, sizeof(*res->items))))
        return VG_ENOMEM;
    json_object_foreach ((json_t *)countries, code, cv)
        if ((rc = parse_country(res, code, cv, err)))
            return rc;
    return VG_OK;
}

int vg_resources_parse(const char *text, size_t len, struct vg_resources **out,
                       struct vg_err *err)
{
    struct vg_resources *res = NULL;
    json_error_t je;
    int rc;

    *out = NULL;
    if (len > VG_RESOURCES_MAX_FILE)
        return vg_err_set(err, VG_ETOOBIG,
                          "resources file larger than %u "
                          "bytes",
                          VG_RESOURCES_MAX_FILE);
    if (!(res = vg_calloc(1, sizeof(*res))))
        return VG_ENOMEM;
    /* object keys in file order, so pages list countries as written */
    if (!(res->root = json_loadb(
              text, len, JSON_REJECT_DUPLICATES | JSON_PRESERVE_ORDER, &je))) {
        rc = vg_err_set(err, VG_EFORMAT, "line %d, column %d: %s", je.line,
                        je.column, je.text);
        goto fail;
    }
    if ((rc = validate(res, err)))
        goto fail;
    *out = res;
    return VG_OK;
fail:
    vg_resources_free(res);
    return rc;
}

int vg_resources_load(const char *path, struct vg_resources **out,
                      struct vg_err *err)
{
    FILE *f = fopen(path, "rb");
    struct vg_err e2;
    char *text = NULL;
    size_t got;
    int rc;

    *out = NULL;
    if (!f)
        return vg_err_set(err, errno == ENOENT ? VG_ENOENT : VG_EIO, "%s: %s",
                          path, strerror(errno));
    if (!(text = vg_malloc(VG_RESOURCES_MAX_FILE + 1))) {
        fclose(f);
        return VG_ENOMEM;
    }
    got = fread(text, 1, VG_RESOURCES_MAX_FILE + 1, f);
    if (ferror(f))
        rc = vg_err_set(err, VG_EIO, "%s: read error", path);
    else if (got > VG_RESOURCES_MAX_FILE)
        rc = vg_err_set(err, VG_ETOOBIG, "%s: larger than %u bytes", path,
                        VG_RESOURCES_MAX_FILE);
    else if ((vg_err_clear(&e2), rc = vg_resources_parse(text, got, out, &e2)))
        rc = vg_err_set(err, rc, "%s: %s", path,
                        e2.msg[0] ? e2.msg : vg_strerror(rc));
    fclose(f);
    vg_free(text);
    return rc;
}

const struct vg_resource_country *
vg_resources_find(const struct vg_resources *res, const char *code)
{
    const struct vg_resource_country *star = NULL;

    for (size_t i = 0; res && i < res->n; i++) {
        if (code && !strcasecmp(res->c[i].code, code) && strcmp(code, "*"))
            return &res->c[i];
        if (!strcmp(res->c[i].code, "*"))
            star = &res->c[i];
    }
    return star;
}

size_t vg_resources_count(const struct vg_resources *res, size_t i,
                          const struct vg_resource_country **c)
{
    if (!res)
        return 0;
    if (c && i < res->n)
        *c = &res->c[i];
    return res->n;
}

static int set_str(json_t *o, const char *k, const char *v)
{
    return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

static json_t *group_json(const struct vg_resource_group *g, int fr)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < g->n; i++) {
        const struct vg_resource *r = &g->items[i];
        json_t *e = json_object();
        /* appended first, so the array owns it on every path */
        if (json_array_append_new(a, e) ||
            set_str(e, "name", fr ? r->name_fr : r->name_en) ||
            set_str(e, "url", fr && r->url_fr ? r->url_fr : r->url) ||
            set_str(e, "phone", r->phone) ||
            set_str(e, "description", fr ? r->desc_fr : r->desc_en)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *vg_resources_to_json(const struct vg_resource_country *c,
                             const char *lang)
{
    int fr = lang && !strncasecmp(lang, "fr", 2);
    json_t *o = json_object();

    if (!o || !c || set_str(o, "code", c->code) ||
        set_str(o, "name", fr ? c->name_fr : c->name_en) ||
        json_object_set_new(o, "hotline", group_json(&c->hotline, fr)) ||
        json_object_set_new(o, "children", group_json(&c->children, fr)) ||
        json_object_set_new(o, "parents", group_json(&c->parents, fr))) {
        json_decref(o);
        return NULL;
    }
    return o;
}
