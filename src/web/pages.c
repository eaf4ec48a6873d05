/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The public pages of `vigil serve`: the home page, the report form and
 * its confirmation, help by country, the awareness videos, and the page
 * for any other path.  All plain HTML forms, English and French; the one
 * script, the quick exit's (web/static/quick-exit.js), only adds to them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/vocab.h"
#include "vigil/report.h"
#include "vigil/store_reports.h"
#include "web/web_int.h"

#define MAX_ERRORS 32

/* The form's fields, in the page's order (for the error summary). */
static const char *const fields[] = {"incident_type", "incident_at",
                                     "technology",    "urls",
                                     "detail",        "description",
                                     "luring_meet",   "luring_images",
                                     "intimate_self", "intimate_threatened",
                                     "contact_name",  "contact_email",
                                     "contact_phone"};
static const char *const answers[] = {"yes", "no", "unsure"};

/* The visitor's country for help: ?country=, else the region of the
 * first Accept-Language range that has one ("fr-CA" gives CA), else "*". */
static const struct vg_resource_country *country(struct vg_server *s,
                                                 const struct vg_http_req *req)
{
    const char *q = vg_http_query(req, "country");
    const char *al = vg_http_header(req, "Accept-Language");
    char code[3] = "";

    if (q && *q)
        return vg_resources_find(s->resources, q);
    for (const char *p = al; p && *p && !*code; p++)
        if (*p == '-' && isalpha((unsigned char)p[1]) &&
            isalpha((unsigned char)p[2]) && (!p[3] || strchr(",;- ", p[3]))) {
            code[0] = (char)toupper((unsigned char)p[1]);
            code[1] = (char)toupper((unsigned char)p[2]);
        }
    return vg_resources_find(s->resources, code);
}

/* The countries for a <select>, with the chosen one marked. */
static json_t *countries(struct vg_server *s,
                         const struct vg_resource_country *chosen,
                         const char *lang)
{
    const struct vg_resource_country *c;
    json_t *a = json_array();

    for (size_t i = 0, n = vg_resources_count(s->resources, 0, NULL);
         a && i < n; i++) {
        vg_resources_count(s->resources, i, &c);
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:b}", "code", c->code, "name",
                         strcmp(lang, "fr") ? c->name_en : c->name_fr,
                         "selected", c == chosen));
    }
    return a;
}

/* Help for the country as page data ("country", "countries"). */
static int add_help(struct vg_server *s, const struct vg_http_req *req,
                    json_t *data, const char *lang)
{
    const struct vg_resource_country *c = country(s, req);

    if (json_object_set_new(data, "country", vg_resources_to_json(c, lang)) ||
        json_object_set_new(data, "countries", countries(s, c, lang)) ||
        json_object_set_new(data, "international",
                            json_boolean(!strcmp(c->code, "*"))))
        return VG_ENOMEM;
    return VG_OK;
}

static int get_home(void *ctx, const struct vg_http_req *req,
                    struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *lang = vg__page_lang(s, req, resp);

    if (strcmp(req->path, "/"))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    return vg__page(s, req, resp, 200, "home", json_object(), lang);
}

/* The form's data: what was entered (v), its choices marked, and any
 * errors (by field, in the visitor's language). */
/* Each field's first problem, in the reporter's language, by field (errs)
 * and in order (summary). */
static void form_errors(struct vg_server *s, const char *lang,
                        const struct vg_report_error *e, size_t nerr,
                        json_t *errs, json_t *summary)
{
    for (size_t i = 0; i < nerr && i < MAX_ERRORS; i++) {
        char text[512], max[16];
        const char *t = vg_i18n_get(s->i18n, lang, e[i].key), *p;
        if (json_object_get(errs, e[i].field))
            continue; /* the first problem of a field is the one shown */
        snprintf(max, sizeof(max), "%d",
                 !strcmp(e[i].key, "error.url.too_many") ? VG_REPORT_MAX_URLS
                 : !strcmp(e[i].field, "description")
                     ? VG_REPORT_MAX_DESCRIPTION
                     : VG_REPORT_MAX_FIELD);
        if ((p = strstr(t, "{max}")))
            snprintf(text, sizeof(text), "%.*s%s%s", (int)(p - t), t, max,
                     p + 5);
        else
            snprintf(text, sizeof(text), "%s", t);
        json_object_set_new(errs, e[i].field, json_string(text));
        json_array_append_new(summary, json_pack("{s:s, s:s}", "field",
                                                 e[i].field, "text", text));
    }
}

static json_t *form_data(struct vg_server *s, const struct vg_http_req *req,
                         const char *lang, const struct vg_report_error *e,
                         size_t nerr)
{
    json_t *d = json_object(), *v = json_object(), *types = json_array(),
           *techs = json_array(), *errs = json_object(),
           *summary = json_array();
    const char *type = vg_http_form_value(req, "incident_type");
    const char *tech = vg_http_form_value(req, "technology");
    const char *named = vg_http_form_value(req, "named_child");

    if (!d || !v || !types || !techs || !errs || !summary)
        goto nomem;
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
        const char *x = vg_http_form_value(req, fields[i]);
        if (x && json_object_set_new(v, fields[i], json_string(x)))
            goto nomem;
    }
    for (size_t i = 0; i < vg_vocab_count(VG_VOCAB_INCIDENT_TYPE); i++) {
        const char *c = vg_vocab_code(VG_VOCAB_INCIDENT_TYPE, i);
        json_array_append_new(types,
                              json_pack("{s:s, s:b}", "code", c, "checked",
                                        type && !strcmp(type, c)));
    }
    for (size_t i = 0; i < vg_vocab_count(VG_VOCAB_TECHNOLOGY); i++) {
        const struct vg_vocab_row *r = vg_vocab_row(VG_VOCAB_TECHNOLOGY, i);
        json_array_append_new(
            techs, json_pack("{s:s, s:b}", "code", r->code, "selected",
                             tech ? !strcmp(tech, r->code)
                                  : !!(r->flags & VG_VOCAB_DEFAULT)));
    }
    /* yes / no / unsure questions, each answer's id and mark */
    for (size_t q = 6; q < 10; q++) {
        const char *got = vg_http_form_value(req, fields[q]);
        json_t *a = json_array();
        for (size_t i = 0; a && i < 3; i++) {
            char id[64];
            snprintf(id, sizeof(id), "%s-%s", fields[q], answers[i]);
            json_array_append_new(a,
                                  json_pack("{s:s, s:s, s:s, s:b}", "name",
                                            fields[q], "value", answers[i],
                                            "id", id, "checked",
                                            got && !strcmp(got, answers[i])));
        }
        if (!a || json_object_set_new(d, fields[q], a))
            goto nomem;
    }
    form_errors(s, lang, e, nerr, errs, summary);
    if (json_object_set_new(d, "v", v) ||
        json_object_set_new(d, "types", types) ||
        json_object_set_new(d, "techs", techs) ||
        json_object_set_new(d, "named_child",
                            json_boolean(named && !strcmp(named, "yes"))) ||
        json_object_set_new(d, "errors", errs) ||
        json_object_set_new(
            d, "count", json_integer((json_int_t)json_array_size(summary))) ||
        json_object_set_new(d, "summary", summary))
        goto nomem_d;
    return d;
nomem:
    json_decref(v);
    json_decref(types);
    json_decref(techs);
    json_decref(errs);
    json_decref(summary);
nomem_d:
    json_decref(d);
    return NULL;
}

static int get_report(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *lang = vg__page_lang(s, req, resp);

    return vg__page(s, req, resp, 200, "report",
                    form_data(s, req, lang, NULL, 0), lang);
}

/* The form again with the errors next to their fields. */
static int form_again(struct vg_server *s, const struct vg_http_req *req,
                      struct vg_http_resp *resp, int status, const char *lang,
                      const struct vg_report_error *e, size_t nerr)
{
    return vg__page(s, req, resp, status, "report",
                    form_data(s, req, lang, e, nerr), lang);
}

static int post_report(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *lang = vg__page_lang(s, req, resp);
    const char *urls[VG_REPORT_MAX_URLS + 1];
    struct vg_report_error errs[MAX_ERRORS];
    struct vg_report_input in = {0};
    struct vg_report r = {0};
    struct vg_report_ack ack;
    char *lines = NULL, *save = NULL, *line, loc[96], wait_s[16];
    size_t nerr = 0;
    unsigned wait;
    int rc;

    /* open to anyone, but not to another site posting in a visitor's name */
    if (!vg__same_origin(req))
        return vg__page_error(s, req, resp, 403, "error.cross_site");
    if (s->limit && (wait = vg_ratelimit_take(s->limit, vg__client(s, req),
                                              vg__now_ms()))) {
        static const struct vg_report_error limited = {"form",
                                                       "error.rate_limited"};
        snprintf(wait_s, sizeof(wait_s), "%u", wait);
        if ((rc = vg_http_resp_header(resp, "Retry-After", wait_s)))
            return rc;
        return form_again(s, req, resp, 429, lang, &limited, 1);
    }
    in.language = lang;
    in.incident_type = vg_http_form_value(req, "incident_type");
    in.incident_at = vg_http_form_value(req, "incident_at");
    in.technology = vg_http_form_value(req, "technology");
    in.detail = vg_http_form_value(req, "detail");
    in.description = vg_http_form_value(req, "description");
    in.luring_meet = vg_http_form_value(req, "luring_meet");
    in.luring_images = vg_http_form_value(req, "luring_images");
    in.intimate_self = vg_http_form_value(req, "intimate_self");
    in.intimate_threatened = vg_http_form_value(req, "intimate_threatened");
    in.named_child = vg_http_form_value(req, "named_child");
    in.contact_name = vg_http_form_value(req, "contact_name");
    in.contact_email = vg_http_form_value(req, "contact_email");
    in.contact_phone = vg_http_form_value(req, "contact_phone");
    /* the URLs: one a line, blank lines ignored */
    if (vg_http_form_value(req, "urls") &&
        !(lines = vg_strdup(vg_http_form_value(req, "urls"))))
        return VG_ENOMEM;
    for (line = lines ? strtok_r(lines, "\r\n", &save) : NULL;
         line && in.nurls <= VG_REPORT_MAX_URLS;
         line = strtok_r(NULL, "\r\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        for (char *e = line + strlen(line);
             e > line && (e[-1] == ' ' || e[-1] == '\t');)
            *--e = '\0';
        if (*line)
            urls[in.nurls++] = line;
    }
    in.urls = urls;
    if ((rc = vg_report_check(&in, &r, errs, MAX_ERRORS, &nerr))) {
        if (rc == VG_EINVAL)
            rc = form_again(s, req, resp, 422, lang, errs, nerr);
        goto out;
    }
    r.rec.channel = "web";
    if ((rc = vg__report_submit(s, &r, &ack))) {
        static const struct vg_report_error down = {"form", "error.server"};
        if (rc == VG_EIO)
            rc = form_again(s, req, resp, 503, lang, &down, 1);
        goto out;
    }
    /* see other: a reload of the confirmation does not send it twice */
    snprintf(loc, sizeof(loc), "/report/received?ref=%s", ack.reference);
    rc = vg_http_resp_redirect(resp, 303, loc);
out:
    vg_free(lines);
    vg_report_fini(&r);
    return rc;
}

/* Is ref shaped as a reference ("XXXX-XXXX-XXXX", Crockford base 32)? */
static int reference_ok(const char *ref)
{
    if (!ref || strlen(ref) != VG_REFERENCE_LEN)
        return 0;
    for (int i = 0; i < VG_REFERENCE_LEN; i++)
        if (i % 5 == 4 ? ref[i] != '-'
                       : !strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", ref[i]))
            return 0;
    return 1;
}

static int get_received(void *ctx, const struct vg_http_req *req,
                        struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *lang = vg__page_lang(s, req, resp);
    const char *ref = vg_http_query(req, "ref");
    const struct vg_resource_country *c = country(s, req);
    json_t *d;

    if (!reference_ok(ref))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    d = json_pack("{s:s, s:s}", "reference", ref, "country_code", c->code);
    return vg__page(s, req, resp, 200, "received", d, lang);
}

/* A page with help for the visitor's country: name is its template. */
static int help_page(struct vg_server *s, const struct vg_http_req *req,
                     struct vg_http_resp *resp, const char *name)
{
    const char *lang = vg__page_lang(s, req, resp);
    json_t *d = json_object();

    if (d && add_help(s, req, d, lang)) {
        json_decref(d);
        return VG_ENOMEM;
    }
    return vg__page(s, req, resp, 200, name, d, lang);
}

static int get_resources(void *ctx, const struct vg_http_req *req,
                         struct vg_http_resp *resp)
{
    return help_page(ctx, req, resp, "resources");
}

static int get_awareness(void *ctx, const struct vg_http_req *req,
                         struct vg_http_resp *resp)
{
    return help_page(ctx, req, resp, "awareness");
}

int vg__pages_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    /* the "/" prefix: any other path gets the page saying so, in the
     * visitor's language (exact paths and longer prefixes win) */
    if ((rc = vg_http_route(s->http, "GET", "/", get_home, s, err)) ||
        (rc = vg_http_route(s->http, "GET", "/*", get_home, s, err)) ||
        (rc = vg_http_route(s->http, "GET", "/report", get_report, s, err)) ||
        (rc = vg_http_route(s->http, "POST", "/report", post_report, s,
                            err)) ||
        (rc = vg_http_route(s->http, "GET", "/report/received", get_received,
                            s, err)) ||
        (rc = vg_http_route(s->http, "GET", "/resources", get_resources, s,
                            err)))
        return rc;
    return vg_http_route(s->http, "GET", "/awareness", get_awareness, s, err);
}
