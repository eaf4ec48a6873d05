/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Page helpers of the web module (web_int.h): the visitor's language,
 * rendering a template as a page, error pages, random tokens.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/store_reports.h"
#include "web/web_int.h"

#define LANG_COOKIE_AGE (365L * 86400)

int64_t vg__now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vg__wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The loaded language called tag, or NULL. */
static const char *known_lang(struct vg_server *s, const char *tag)
{
    const char *t;

    for (size_t i = 0, n = vg_i18n_langs(s->i18n, 0, NULL); tag && i < n; i++)
        if (vg_i18n_langs(s->i18n, i, &t) && !strcmp(t, tag))
            return t;
    return NULL;
}

const char *vg__page_lang(struct vg_server *s, const struct vg_http_req *req,
                          struct vg_http_resp *resp)
{
    const char *supported[VG_I18N_MAX_LANGS], *lang;
    size_t n = vg_i18n_langs(s->i18n, 0, NULL), i;

    if ((lang = known_lang(s, vg_http_query(req, "lang")))) {
        vg_http_resp_cookie(resp, "lang", lang, "/", LANG_COOKIE_AGE,
                            VG_HTTP_COOKIE_HTTPONLY | VG_HTTP_COOKIE_LAX);
        return lang;
    }
    if ((lang = known_lang(s, vg_http_cookie(req, "lang"))))
        return lang;
    /* English first: it is what negotiation falls back to */
    supported[0] = "en";
    for (i = 0; i < n && i + 1 < VG_I18N_MAX_LANGS; i++)
        vg_i18n_langs(s->i18n, i, &supported[i + 1]);
    return vg_i18n_negotiate(vg_http_header(req, "Accept-Language"), supported,
                             i + 1);
}

/* Append s percent-encoded for a query string. */
static int put_query_value(struct vg_buf *b, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = VG_OK;

    for (; *v && !rc; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c)) {
            rc = vg_buf_append(b, v, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = vg_buf_append(b, e, 3);
        }
    }
    return rc;
}

/* The link to this page in the other language. */
static int language_switch(struct vg_server *s, const struct vg_http_req *req,
                           const char *lang, json_t *data)
{
    const char *other = strcmp(lang, "fr") ? "fr" : "en", *sep = "?";
    struct vg_buf b;
    char key[32];
    int rc;

    if (!known_lang(s, other))
        return VG_OK;
    vg_buf_init(&b, 8192);
    /* "//host" would be another site's address: the home page instead */
    rc = vg_buf_puts(&b, req->path[1] == '/' || req->path[1] == '\\'
                             ? "/"
                             : req->path);
    for (size_t i = 0; !rc && i < req->query.count; i++) {
        const struct vg_http_field *f = &req->query.fields[i];
        if (!strcmp(f->name, "lang"))
            continue;
        if (!(rc = vg_buf_puts(&b, sep)) &&
            !(rc = put_query_value(&b, f->name)) &&
            !(rc = vg_buf_puts(&b, "=")))
            rc = put_query_value(&b, f->value);
        sep = "&";
    }
    if (!rc)
        rc = vg_buf_printf(&b, "%slang=%s", sep, other);
    if (rc == VG_ETOOBIG) { /* a path over 8 KiB: this page, query aside */
        vg_buf_fini(&b);
        vg_buf_init(&b, 64);
        rc = vg_buf_printf(&b, "?lang=%s", other);
    }
    snprintf(key, sizeof(key), "site.lang.%s", other);
    if (!rc &&
        json_object_set_new(data, "switch",
                            json_pack("{s:s, s:s, s:s}", "href", b.data,
                                      "hreflang", other, "label",
                                      vg_i18n_get(s->i18n, other, key))))
        rc = VG_ENOMEM;
    vg_buf_fini(&b);
    return rc;
}

int vg__page(struct vg_server *s, const struct vg_http_req *req,
             struct vg_http_resp *resp, int status, const char *name,
             json_t *data, const char *lang)
{
    const struct vg_tpl *tpl = vg_tpl_lib_get(s->tpl, name);
    struct vg_tpl_env env = {s->tpl, s->i18n, lang, 0};
    struct vg_err err = {0};
    struct vg_buf out;
    int rc;

    if (!data)
        return VG_ENOMEM;
    if (!tpl) {
        json_decref(data);
        return VG_ENOENT;
    }
    if (json_object_set_new(data, "lang", json_string(lang)) ||
        json_object_set_new(data, "path", json_string(req->path)) ||
        json_object_set_new(data, "quick_exit",
                            json_string(s->o.quick_exit_url)) ||
        (rc = language_switch(s, req, lang, data))) {
        json_decref(data);
        return VG_ENOMEM;
    }
    vg_buf_init(&out, VG_TPL_OUT_MAX);
    rc = vg_tpl_render(tpl, &env, data, &out, &err);
    json_decref(data);
    if (rc) {
        vg_buf_fini(&out);
        return rc;
    }
    /* the buffer's bytes become the response's */
    return vg_http_resp_take(resp, status, "text/html; charset=utf-8",
                             out.data, out.len);
}

int vg__page_error(struct vg_server *s, const struct vg_http_req *req,
                   struct vg_http_resp *resp, int status, const char *key)
{
    const char *lang = vg__page_lang(s, req, resp);

    return vg__page(s, req, resp, status, "error",
                    json_pack("{s:s, s:i, s:b}", "message", key, "status",
                              status, "console",
                              !strncmp(req->path, "/console", 8)),
                    lang);
}

/* Does the request come from our own pages?  A browser sends Origin with
 * every POST; when it does, it must name the host the request was sent
 * to ("null", which a browser sends when a referrer policy hides the
 * origin, only with its own word that the fetch is same-origin). */
int vg__same_origin(const struct vg_http_req *req)
{
    const char *origin = vg_http_header(req, "Origin");
    const char *host = vg_http_header(req, "Host");
    const char *site = vg_http_header(req, "Sec-Fetch-Site");
    const char *p;

    if (!origin)
        return 1;
    if (!strcmp(origin, "null"))
        return site && !strcmp(site, "same-origin");
    if (!host || !(p = strstr(origin, "://")))
        return 0;
    return !strcmp(p + 3, host);
}

const char *vg__client(const struct vg_server *s,
                       const struct vg_http_req *req)
{
    const char *real = vg_http_header(req, "X-Real-IP");

    if (!s->o.trust_proxy || !real || !*real)
        return req->client;
    if (s->o.trusted_proxy
            ? !strcmp(req->client, s->o.trusted_proxy)
            : !strncmp(req->client, "127.", 4) || !strcmp(req->client, "::1"))
        return real;
    return req->client;
}

int vg__report_submit(struct vg_server *s, struct vg_report *r,
                      struct vg_report_ack *ack)
{
    uint8_t *sealed = NULL;
    size_t nsealed = 0;
    int rc;

    if (r->contact_json) {
        if ((rc = vg_seal(s->sealer, r->contact_json, strlen(r->contact_json),
                          &sealed, &nsealed)))
            return rc;
        r->rec.contact = sealed;
        r->rec.contact_len = nsealed;
    }
    rc = vg_intake_submit(s->intake, &r->rec, ack, NULL) ? VG_EIO : VG_OK;
    r->rec.contact = NULL;
    vg_free(sealed);
    return rc;
}

int64_t vg__path_id(const char **p)
{
    int64_t v = 0;

    if (**p < '1' || **p > '9')
        return 0;
    while (**p >= '0' && **p <= '9' && v < INT64_MAX / 10)
        v = v * 10 + (*(*p)++ - '0');
    return v;
}

void vg__json_when(json_t *o, const char *from, const char *to)
{
    json_int_t t = json_integer_value(json_object_get(o, from));
    char text[VG_UTC_TEXT_LEN];

    if (!t)
        return;
    vg_utc_text(t, text);
    json_object_set_new(o, to, json_string(text));
}

void vg__json_when_each(json_t *array, const char *from, const char *to)
{
    json_t *o;
    size_t i;

    json_array_foreach (array, i, o) {
        vg__json_when(o, from, to);
    }
}

int vg__token_eq(const char *a, const char *b)
{
    size_t n = strlen(a);

    return n && n == strlen(b) && !sodium_memcmp(a, b, n);
}

void vg__token_hex(char *out, size_t n)
{
    unsigned char r[64];

    if (n > sizeof(r))
        n = sizeof(r);
    randombytes_buf(r, n);
    vg_hex_encode(r, n, out);
    sodium_memzero(r, sizeof(r));
}
