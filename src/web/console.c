/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The analyst console (`/console`): signing in and out, sessions and CSRF
 * tokens, the report queue, and a report's page where an analyst splits it
 * into incidents, re-classifies them and records outcomes.
 *
 * Sign-in: an unknown name, a wrong password and an attempt the throttle
 * holds back (vigil/throttle.h) get the same 401 page after the same work
 * (one Argon2id verification, against a dummy hash for an unknown name, and
 * the account's throttle delay): neither the answer nor its time tells
 * which, so names cannot be listed and no account can be locked.
 *
 * Sessions: a 256-bit random token in an HttpOnly, SameSite=Strict cookie
 * (Secure behind a TLS proxy that says X-Forwarded-Proto: https), stored
 * only as its SHA-256; 8 hours; a new token at every sign-in (so a token
 * planted before it is worthless).  Every POST carries the session's CSRF
 * token; the sign-in form its own, double-submitted in a cookie.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/auth.h"
#include "vigil/buf.h"
#include "vigil/vocab.h"
#include "vigil/report.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "vigil/view.h"
#include "web/web_int.h"

#define SESSION_COOKIE "vg_session"
#define LOGIN_COOKIE "vg_login"
#define SESSION_S (8 * 3600)
#define NOTES_MAX 10000 /* characters */

static unsigned cookie_flags(const struct vg_http_req *req)
{
    const char *proto = vg_http_header(req, "X-Forwarded-Proto");

    return VG_HTTP_COOKIE_HTTPONLY | VG_HTTP_COOKIE_STRICT |
           (proto && !strcmp(proto, "https") ? VG_HTTP_COOKIE_SECURE : 0);
}

/* The SHA-256 of a session token as sent; VG_EINVAL if not shaped as one. */
static int token_hash(const char *token, uint8_t hash[32])
{
    if (!token || strlen(token) != 64 ||
        strspn(token, "0123456789abcdef") != 64)
        return VG_EINVAL;
    crypto_hash_sha256(hash, (const unsigned char *)token, 64);
    return VG_OK;
}

int vg__console_enter(struct vg_server *s, const struct vg_http_req *req,
                      struct vg_http_resp *resp, enum vg_role role,
                      struct vg_session *me)
{
    uint8_t hash[32];
    int rc;

    if (token_hash(vg_http_cookie(req, SESSION_COOKIE), hash) ||
        vg_store_session_get(s->o.store, hash, (int64_t)time(NULL), me,
                             NULL)) {
        rc = vg_http_resp_redirect(resp, 303, "/console/login");
        return rc ? rc : VG_EACCES;
    }
    if (!strcmp(req->method, "POST") &&
        (!vg__same_origin(req) ||
         !vg__token_eq(vg_http_form_value(req, "csrf")
                           ? vg_http_form_value(req, "csrf")
                           : "",
                       me->csrf))) {
        rc = vg__page_error(s, req, resp, 403, "error.form.expired");
        return rc ? rc : VG_EACCES;
    }
    if (role == VG_ROLE_ADMIN && me->role != VG_ROLE_ADMIN) {
        rc = vg__page_error(s, req, resp, 403, "console.forbidden");
        return rc ? rc : VG_EACCES;
    }
    return VG_OK;
}

int vg__console_page(struct vg_server *s, const struct vg_http_req *req,
                     struct vg_http_resp *resp, int status, const char *name,
                     json_t *data, const struct vg_session *me)
{
    const char *lang = vg__page_lang(s, req, resp);

    if (data && json_object_set_new(data, "me",
                                    json_pack("{s:s, s:b, s:s}", "username",
                                              me->username, "admin",
                                              me->role == VG_ROLE_ADMIN,
                                              "csrf", me->csrf))) {
        json_decref(data);
        return VG_ENOMEM;
    }
    return vg__page(s, req, resp, status, name, data, lang);
}

/* ---- signing in and out ---- */

/* The sign-in form, with a fresh double-submit token; error is a message
 * key or NULL. */
static int login_form(struct vg_server *s, const struct vg_http_req *req,
                      struct vg_http_resp *resp, int status, const char *error)
{
    const char *lang = vg__page_lang(s, req, resp);
    const char *user = vg_http_form_value(req, "username");
    char token[65];
    int rc;

    vg__token_hex(token, 32);
    if ((rc = vg_http_resp_cookie(resp, LOGIN_COOKIE, token, "/console/login",
                                  3600, cookie_flags(req))))
        return rc;
    return vg__page(s, req, resp, status, "login",
                    json_pack("{s:s, s:s?, s:s}", "csrf", token, "error",
                              error, "username", user ? user : ""),
                    lang);
}

static int get_login(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    uint8_t hash[32];

    if (!token_hash(vg_http_cookie(req, SESSION_COOKIE), hash) &&
        !vg_store_session_get(s->o.store, hash, (int64_t)time(NULL), &me,
                              NULL))
        return vg_http_resp_redirect(resp, 303, "/console");
    return login_form(s, req, resp, 200, NULL);
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/*
 * Is this sign-in an enabled account's with its password, and not held
 * back by the throttle?  1 with *u filled, else 0 with the failure
 * counted.  Every way costs one Argon2id verification and the account's
 * throttle delay.
 */
static int sign_in_ok(struct vg_server *s, const struct vg_http_req *req,
                      const char *name, const char *pw, struct vg_user *u)
{
    const char *src = vg__client(s, req), *acct = name ? name : "";
    int64_t now = vg__wall_ms(), epoch = 0, wait;
    unsigned delay;
    int known = 0, right;

    if (name && pw && !vg_store_user_get(s->o.store, name, u, NULL)) {
        epoch = u->unlocks;
        known = !u->disabled;
    }
    wait = vg_throttle_check(s->throttle, acct, epoch, src, now, &delay);
    right = vg_auth_verify_password(known ? u->password_hash
                                          : vg_auth_dummy_hash,
                                    pw ? pw : "");
    if (delay)
        pause_ms(delay);
    if (known && right && !wait) {
        vg_throttle_succeeded(s->throttle, acct, epoch, src);
        return 1;
    }
    vg_throttle_failed(s->throttle, acct, epoch, src, now, wait > 0);
    return 0;
}

static int post_login(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *name = vg_http_form_value(req, "username");
    const char *pw = vg_http_form_value(req, "password");
    const char *csrf = vg_http_form_value(req, "csrf");
    const char *cookie = vg_http_cookie(req, LOGIN_COOKIE);
    int64_t now = (int64_t)time(NULL);
    char token[65], csrf_new[65];
    struct vg_user u;
    uint8_t hash[32];
    int rc;

    if (vg_ratelimit_take(s->logins, vg__client(s, req), vg__now_ms()))
        return login_form(s, req, resp, 429, "error.rate_limited");
    if (!vg__same_origin(req) || !csrf || !cookie ||
        !vg__token_eq(csrf, cookie))
        return login_form(s, req, resp, 403, "error.form.expired");
    if (!sign_in_ok(s, req, name, pw, &u))
        return login_form(s, req, resp, 401, "login.failed");
    vg__token_hex(token, 32);
    vg__token_hex(csrf_new, 32);
    token_hash(token, hash);
    if ((rc = vg_store_session_new(s->o.store, u.id, hash, csrf_new, now,
                                   now + SESSION_S, NULL)) ||
        (rc = vg_http_resp_cookie(resp, SESSION_COOKIE, token, "/console",
                                  SESSION_S, cookie_flags(req))) ||
        (rc = vg_http_resp_cookie(resp, LOGIN_COOKIE, "", "/console/login", 0,
                                  cookie_flags(req))))
        return rc;
    sodium_memzero(token, sizeof(token));
    return vg_http_resp_redirect(resp, 303, "/console");
}

static int post_logout(void *ctx, const struct vg_http_req *req,
                       struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    uint8_t hash[32];
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    token_hash(vg_http_cookie(req, SESSION_COOKIE), hash);
    if ((rc = vg_store_session_end(s->o.store, hash, NULL)) ||
        (rc = vg_http_resp_cookie(resp, SESSION_COOKIE, "", "/console", 0,
                                  cookie_flags(req))))
        return rc;
    return vg_http_resp_redirect(resp, 303, "/console/login");
}

/* ---- the queue ---- */

/* Options for a <select> of a vocabulary's codes, the chosen one marked. */
static json_t *options(enum vg_vocab_kind k, const char *chosen)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < vg_vocab_count(k); i++) {
        const char *c = vg_vocab_code(k, i);
        json_array_append_new(a, json_pack("{s:s, s:b}", "code", c, "selected",
                                           chosen && !strcmp(chosen, c)));
    }
    return a;
}

#define QUEUE_PAGE 50

/* The queue's paging, its links keeping the filters (vocabulary codes:
 * nothing to escape). */
static json_t *queue_pager(const struct vg_queue_filter *f, long page,
                           const json_t *q)
{
    char base[160];
    int64_t total = json_integer_value(json_object_get(q, "total"));

    snprintf(base, sizeof(base), "/console%s%s%s%s%s",
             f->status || f->incident_type ? "?" : "",
             f->status ? "status=" : "", f->status ? f->status : "",
             f->status && f->incident_type ? "&type="
             : f->incident_type            ? "type="
                                           : "",
             f->incident_type ? f->incident_type : "");
    if (!total) /* the table says so */
        return json_null();
    return vg__pager_pages("queue", base, "page", page, QUEUE_PAGE,
                           json_array_size(json_object_get(q, "reports")),
                           total);
}

static int get_queue(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_queue_filter f = {0};
    const char *page_s = vg_http_query(req, "page");
    struct vg_session me;
    struct vg_report_queue *rq = NULL;
    json_t *q = NULL;
    long page = page_s ? strtol(page_s, NULL, 10) : 1;
    int rc;

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    f.status = vg_http_query(req, "status");
    f.incident_type = vg_http_query(req, "type");
    if (!vg_vocab_has(VG_VOCAB_REPORT_STATUS, f.status))
        f.status = NULL;
    if (!vg_vocab_has(VG_VOCAB_INCIDENT_TYPE, f.incident_type))
        f.incident_type = NULL;
    if (page < 1 || page > 1000000)
        page = 1;
    f.limit = QUEUE_PAGE;
    f.offset = (page - 1) * QUEUE_PAGE;
    if ((rc = vg_store_report_queue(s->o.store, &f, &rq, NULL)))
        return rc;
    q = vg_view_report_queue(rq);
    vg_report_queue_free(rq);
    if (!q)
        return VG_ENOMEM;
    vg__json_when_each(json_object_get(q, "reports"), "received_at",
                       "received");
    if (json_object_set_new(q, "statuses",
                            options(VG_VOCAB_REPORT_STATUS, f.status)) ||
        json_object_set_new(
            q, "types", options(VG_VOCAB_INCIDENT_TYPE, f.incident_type)) ||
        json_object_set_new(q, "page", json_integer(page)) ||
        json_object_set_new(q, "pages", queue_pager(&f, page, q))) {
        json_decref(q);
        return VG_ENOMEM;
    }
    return vg__console_page(s, req, resp, 200, "queue", q, &me);
}

/* ---- a report ---- */

/* What a path under /console/reports/ID asks for. */
enum report_action {
    REPORT_VIEW,
    REPORT_INCIDENTS,
    REPORT_OPEN,
    REPORT_CONTACT,
    REPORT_HOLD,
    REPORT_RELEASE
};

/* "/console/reports/12[/incidents[/34]|/open|/contact|/hold|/release]"
 * into its numbers
 * (0 if absent) and action.  VG_EINVAL when the path is none of those. */
static int report_path(const char *path, int64_t *report,
                       enum report_action *action, int64_t *incident)
{
    const char *p = path + strlen("/console/reports/");
    char *end;

    *action = REPORT_VIEW;
    *incident = 0;
    *report = strtoll(p, &end, 10);
    if (end == p || *report <= 0 || *p == '0' || *p == '+' || *p == '-')
        return VG_EINVAL;
    if (!*end)
        return VG_OK;
    if (!strcmp(end, "/open") || !strcmp(end, "/contact") ||
        !strcmp(end, "/hold") || !strcmp(end, "/release")) {
        *action = end[1] == 'o'   ? REPORT_OPEN
                  : end[1] == 'c' ? REPORT_CONTACT
                  : end[1] == 'h' ? REPORT_HOLD
                                  : REPORT_RELEASE;
        return VG_OK;
    }
    if (strncmp(end, "/incidents", 10))
        return VG_EINVAL;
    *action = REPORT_INCIDENTS;
    p = end + 10;
    if (!*p)
        return VG_OK;
    if (*p != '/' || p[1] < '1' || p[1] > '9')
        return VG_EINVAL;
    *incident = strtoll(p + 1, &end, 10);
    return *end || *incident <= 0 ? VG_EINVAL : VG_OK;
}

/* The report's sealed contact details, opened, as an object (or none). */
static int add_contact(struct vg_server *s, json_t *r, const uint8_t *sealed,
                       size_t n)
{
    char *plain = NULL;
    size_t len = 0;
    json_t *c;

    if (!sealed)
        return VG_OK;
    if (vg_unseal(s->sealer, sealed, n, &plain, &len, NULL))
        return json_object_set_new(r, "contact_unreadable", json_true())
                   ? VG_ENOMEM
                   : VG_OK;
    c = json_loadb(plain, len, 0, NULL);
    sodium_memzero(plain, len);
    vg_free(plain);
    return json_object_set_new(r, "contact", c) ? VG_ENOMEM : VG_OK;
}

/*
 * The report's page.  A GET changes nothing; the reporter's contact details
 * are opened only for contact (a POST, audited as "report.contact").
 */
static int show_report(struct vg_server *s, const struct vg_http_req *req,
                       struct vg_http_resp *resp, const struct vg_session *me,
                       int64_t id, int contact)
{
    struct vg_report_detail *d = NULL;
    int64_t mpage = vg__page_number(req, "mpage");
    char base[64];
    size_t i;
    json_t *r = NULL, *inc, *details;
    int rc;

    snprintf(base, sizeof(base), "/console/reports/%lld", (long long)id);
    rc = vg_store_report_get_page(s->o.store, id, mpage, &d, NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (!rc && contact && d->contact)
        rc = vg_store_audit_append(s->o.store, me->user_id, "report.contact",
                                   "report", id, "", NULL);
    if (rc) {
        vg_report_detail_free(d);
        return rc;
    }
    if (!(r = vg_view_report(d)) ||
        json_object_set_new(r, "has_contact", json_boolean(d->contact)) ||
        json_object_set_new(r, "media_page",
                            d->media_total
                                ? vg__pager_pages("report-media", base,
                                                  "mpage", mpage,
                                                  VG_REPORT_MEDIA_PAGE,
                                                  d->nmedia, d->media_total)
                                : json_null()) ||
        json_object_set_new(r, "is_new",
                            json_boolean(!strcmp(d->status, "new"))))
        rc = VG_ENOMEM;
    else if (contact)
        rc = add_contact(s, r, d->contact, d->contact_len);
    vg_report_detail_free(d);
    if (!rc)
        rc = vg__console_hold_view(s, r, me, id);
    vg__json_when(r, "received_at", "received");
    details = json_loads(json_string_value(json_object_get(r, "details"))
                             ? json_string_value(json_object_get(r, "details"))
                             : "{}",
                         0, NULL);
    if (rc || json_object_set_new(r, "d", details ? details : json_object()) ||
        json_object_set_new(r, "types",
                            options(VG_VOCAB_INCIDENT_TYPE, NULL))) {
        json_decref(r);
        return VG_ENOMEM;
    }
    json_array_foreach (json_object_get(r, "incidents"), i, inc) {
        const char *t = json_string_value(
            json_object_get(inc, "incident_type"));
        const char *o = json_string_value(json_object_get(inc, "outcome"));
        vg__json_when(inc, "updated_at", "updated");
        json_object_set_new(inc, "types", options(VG_VOCAB_INCIDENT_TYPE, t));
        json_object_set_new(inc, "outcomes", options(VG_VOCAB_OUTCOME, o));
        json_object_set_new(inc, "report_id", json_integer(id));
    }
    return vg__console_page(s, req, resp, 200, "console_report", r, me);
}

static int post_incident(struct vg_server *s, const struct vg_http_req *req,
                         struct vg_http_resp *resp,
                         const struct vg_session *me, int64_t report,
                         int64_t incident)
{
    const char *type = vg_http_form_value(req, "incident_type");
    const char *outcome = vg_http_form_value(req, "outcome");
    const char *notes = vg_http_form_value(req, "notes");
    char loc[96];
    long n;
    int rc;

    if (!vg_vocab_has(VG_VOCAB_INCIDENT_TYPE, type) ||
        (outcome && *outcome && !vg_vocab_has(VG_VOCAB_OUTCOME, outcome)) ||
        (notes &&
         ((n = vg_utf8_count(notes, strlen(notes))) < 0 || n > NOTES_MAX)))
        return vg__page_error(s, req, resp, 422, "console.bad_request");
    rc = incident
             ? vg_store_incident_update(s->o.store, me->user_id, report,
                                        incident, type,
                                        outcome && *outcome ? outcome : NULL,
                                        notes, NULL)
             : vg_store_incident_add(s->o.store, me->user_id, report, type,
                                     &incident, NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    snprintf(loc, sizeof(loc), "/console/reports/%lld#incident-%lld",
             (long long)report, (long long)incident);
    return vg_http_resp_redirect(resp, 303, loc);
}

/* Take the report into review, then back to its page. */
static int post_open(struct vg_server *s, const struct vg_http_req *req,
                     struct vg_http_resp *resp, const struct vg_session *me,
                     int64_t report)
{
    char loc[64];
    int rc = vg_store_report_open(s->o.store, me->user_id, report, NULL);

    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    snprintf(loc, sizeof(loc), "/console/reports/%lld", (long long)report);
    return vg_http_resp_redirect(resp, 303, loc);
}

static int reports(void *ctx, const struct vg_http_req *req,
                   struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    enum report_action action;
    int64_t report, incident;
    int rc, post = !strcmp(req->method, "POST");

    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)))
        return rc == VG_EACCES ? VG_OK : rc;
    if (report_path(req->path, &report, &action, &incident) ||
        (action != REPORT_VIEW) != post)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    switch (action) {
    case REPORT_INCIDENTS:
        return post_incident(s, req, resp, &me, report, incident);
    case REPORT_OPEN:
        return post_open(s, req, resp, &me, report);
    case REPORT_HOLD:
    case REPORT_RELEASE:
        return vg__console_report_hold(s, req, resp, &me, report,
                                       action == REPORT_HOLD);
    default:
        return show_report(s, req, resp, &me, report,
                           action == REPORT_CONTACT);
    }
}

int vg__console_routes(struct vg_server *s, struct vg_err *err)
{
    int rc;

    if ((rc = vg_http_route(s->http, "GET", "/console/login", get_login, s,
                            err)) ||
        (rc = vg_http_route(s->http, "POST", "/console/login", post_login, s,
                            err)) ||
        (rc = vg_http_route(s->http, "POST", "/console/logout", post_logout, s,
                            err)) ||
        (rc = vg_http_route(s->http, "GET", "/console", get_queue, s, err)) ||
        (rc = vg_http_route(s->http, "GET", "/console/reports/*", reports, s,
                            err)))
        return rc;
    return vg_http_route(s->http, "POST", "/console/reports/*", reports, s,
                         err);
}
