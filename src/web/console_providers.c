/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's provider registry (admin): hosting providers with their
 * abuse addresses, notice language, domains and networks; add, edit,
 * confirm one that RDAP suggested, delete.  The store checks and audits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/store_people.h"
#include "vigil/store_providers.h"
#include "web/web_int.h"

#define LIST_MAX 256 /* addresses, domains or networks in one field */

/* A list as "a, b, c" for a form field. */
static json_t *joined(char *const *v, size_t n)
{
    struct vg_buf b;
    json_t *s;

    vg_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++)
        if ((i && vg_buf_puts(&b, " ")) || vg_buf_puts(&b, v[i]))
            break;
    s = json_string(b.data ? b.data : "");
    vg_buf_fini(&b);
    return s;
}

static json_t *provider_json(const struct vg_provider *p)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:s, s:b, s:b}", "id",
                          (json_int_t)p->id, "name", p->name, "language",
                          p->language, "one_notice_per_url",
                          p->one_notice_per_url, "notes",
                          p->notes ? p->notes : "", "confirmed", p->confirmed,
                          "fr", !strcmp(p->language, "fr"));

    if (o &&
        (json_object_set_new(o, "emails", joined(p->emails, p->nemails)) ||
         json_object_set_new(o, "domains", joined(p->domains, p->ndomains)) ||
         json_object_set_new(o, "networks",
                             joined(p->networks, p->nnetworks)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int row(void *ctx, const struct vg_provider *p)
{
    json_t *o = provider_json(p);

    return !o || json_array_append_new(ctx, o) ? VG_ENOMEM : VG_OK;
}

/* The registry page; form (may be NULL) refills the add form after an
 * error (detail: the store's words). */
static int page(struct vg_server *s, const struct vg_http_req *req,
                struct vg_http_resp *resp, const struct vg_session *me,
                int status, const char *error, const char *detail)
{
    static const char *const fields[] = {"name", "emails", "domains",
                                         "networks", "notes"};
    const char *lang = vg_http_form_value(req, "language");
    const char *one = vg_http_form_value(req, "one_notice_per_url");
    json_t *all = json_array(), *v = json_object();
    int rc;

    /* what the admin typed, for the form again */
    for (size_t i = 0; v && i < sizeof(fields) / sizeof(*fields); i++) {
        const char *x = vg_http_form_value(req, fields[i]);
        json_object_set_new(v, fields[i], json_string(x ? x : ""));
    }
    if (!all || !v ||
        json_object_set_new(v, "fr",
                            json_boolean(lang && !strcmp(lang, "fr"))) ||
        json_object_set_new(v, "one_notice_per_url",
                            json_boolean(one && !strcmp(one, "1")))) {
        json_decref(all);
        json_decref(v);
        return VG_ENOMEM;
    }
    if ((rc = vg_store_providers(s->o.store, 0, row, all, NULL))) {
        json_decref(all);
        json_decref(v);
        return rc;
    }
    return vg__console_page(s, req, resp, status, "providers",
                            json_pack("{s:o, s:s?, s:s?, s:o}", "providers",
                                      all, "error", error, "detail", detail,
                                      "v", v),
                            me);
}

/* Split a field at commas, semicolons and blanks into v (pointing into
 * buf, which is modified). */
static size_t split(char *buf, char **v)
{
    size_t n = 0;
    char *save = NULL;

    for (char *t = strtok_r(buf, ",; \t\r\n", &save); t && n < LIST_MAX;
         t = strtok_r(NULL, ",; \t\r\n", &save))
        v[n++] = t;
    return n;
}

/* Add (id 0) or update a provider from the form. */
static int save(struct vg_server *s, const struct vg_http_req *req,
                struct vg_http_resp *resp, const struct vg_session *me,
                int64_t id)
{
    static char *const none[1] = {NULL};
    char *emails[LIST_MAX], *domains[LIST_MAX], *networks[LIST_MAX];
    char *e = vg_strdup(vg_http_form_value(req, "emails")
                            ? vg_http_form_value(req, "emails")
                            : "");
    char *d = vg_strdup(vg_http_form_value(req, "domains")
                            ? vg_http_form_value(req, "domains")
                            : "");
    char *n = vg_strdup(vg_http_form_value(req, "networks")
                            ? vg_http_form_value(req, "networks")
                            : "");
    const char *lang = vg_http_form_value(req, "language");
    const char *one = vg_http_form_value(req, "one_notice_per_url");
    struct vg_provider p = {0};
    struct vg_err err = {0};
    int rc;

    if (!e || !d || !n) {
        rc = VG_ENOMEM;
        goto out;
    }
    p.name = (char *)(vg_http_form_value(req, "name")
                          ? vg_http_form_value(req, "name")
                          : "");
    p.emails = emails;
    p.nemails = split(e, emails);
    p.domains = domains;
    p.ndomains = split(d, domains);
    p.networks = networks;
    p.nnetworks = split(n, networks);
    if (!p.ndomains)
        p.domains = (char **)none;
    if (!p.nnetworks)
        p.networks = (char **)none;
    snprintf(p.language, sizeof(p.language), "%s",
             lang && !strcmp(lang, "fr") ? "fr" : "en");
    p.one_notice_per_url = one && !strcmp(one, "1");
    p.notes = (char *)vg_http_form_value(req, "notes");
    p.source = VG_PROVIDER_MANUAL;
    p.confirmed = 1;
    if ((rc = vg_provider_check(&p, &err)) == VG_OK)
        rc = id ? vg_store_provider_update(s->o.store, me->user_id, id, &p,
                                           &err)
                : vg_store_provider_add(s->o.store, me->user_id, &p, NULL,
                                        &err);
    if (rc == VG_EINVAL || rc == VG_EEXIST || rc == VG_EFORMAT) {
        rc = page(s, req, resp, me, 422, "providers.invalid", err.msg);
        goto out;
    }
    if (rc == VG_ENOENT) {
        rc = vg__page_error(s, req, resp, 404, "page.not_found");
        goto out;
    }
    if (!rc)
        rc = vg_http_resp_redirect(resp, 303, "/console/admin/providers");
out:
    vg_free(e);
    vg_free(d);
    vg_free(n);
    return rc;
}

static int get_providers(void *ctx, const struct vg_http_req *req,
                         struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ADMIN, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    return page(s, req, resp, &me, 200, NULL, NULL);
}

static int post_providers(void *ctx, const struct vg_http_req *req,
                          struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ADMIN, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    return save(s, req, resp, &me, 0);
}

/* GET /console/admin/providers/ID (edit form); POST .../ID (save),
 * .../ID/confirm, .../ID/delete */
static int provider_path(void *ctx, const struct vg_http_req *req,
                         struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/admin/providers/");
    struct vg_provider *prov = NULL;
    struct vg_err err = {0};
    struct vg_session me;
    int64_t id = 0;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ADMIN, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (!(id = vg__path_id(&p)))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (!strcmp(req->method, "GET") && !*p) {
        json_t *o;
        if ((rc = vg_store_provider_get(s->o.store, id, &prov, NULL)))
            return rc == VG_ENOENT
                       ? vg__page_error(s, req, resp, 404, "page.not_found")
                       : rc;
        o = provider_json(prov);
        vg_provider_free(prov);
        return vg__console_page(s, req, resp, 200, "provider",
                                json_pack("{s:o*}", "v", o), &me);
    }
    if (strcmp(req->method, "POST"))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (!*p)
        return save(s, req, resp, &me, id);
    if (!strcmp(p, "/confirm"))
        rc = vg_store_provider_confirm(s->o.store, me.user_id, id, &err);
    else if (!strcmp(p, "/delete"))
        rc = vg_store_provider_delete(s->o.store, me.user_id, id, &err);
    else
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc == VG_EBUSY)
        return page(s, req, resp, &me, 409, "providers.in_use", NULL);
    if (rc)
        return rc;
    return vg_http_resp_redirect(resp, 303, "/console/admin/providers");
}

int vg__providers_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    if ((rc = vg_http_route(s->http, "GET", "/console/admin/providers",
                            get_providers, s, err)) ||
        (rc = vg_http_route(s->http, "POST", "/console/admin/providers",
                            post_providers, s, err)) ||
        (rc = vg_http_route(s->http, "GET", "/console/admin/providers/*",
                            provider_path, s, err)))
        return rc;
    return vg_http_route(s->http, "POST", "/console/admin/providers/*",
                         provider_path, s, err);
}
