/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's hash lists (every analyst sees them; an admin can disable
 * an entry) and its admin pages: users, partner API keys and the audit
 * log.  Every change is audited by the store, as the signed-in user's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/auth.h"
#include "vigil/core_lists.h"
#include "vigil/digest.h"
#include "vigil/vocab.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"
#include "vigil/view.h"
#include "web/web_int.h"

#define ENTRIES_PAGE 100
#define AUDIT_PAGE 100

/* Enter as role; on refusal the handler returns with the answer set. */
#define ENTER(role)                                                           \
    do {                                                                      \
        rc = vg__console_enter(s, req, resp, (role), &me);                    \
        if (rc)                                                               \
            return rc == VG_EACCES ? VG_OK : rc;                              \
    } while (0)

/* ---- hash lists ---- */

static int list_row(void *ctx, const struct vg_list *l)
{
    char when[24] = "";

    if (l->last_import_at)
        vg_utc_text(l->last_import_at, when);
    return json_array_append_new(
               ctx,
               json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:b, s:I, s:I,"
                         " s:I, s:s}",
                         "id", (json_int_t)l->id, "name", l->name, "source",
                         l->source, "category", l->category, "kind",
                         l->kind == VG_LIST_ALLOW ? "allow" : "block",
                         "pdq_distance", l->pdq_distance, "enabled",
                         l->enabled, "entries", (json_int_t)l->entries,
                         "entries_enabled", (json_int_t)l->entries_enabled,
                         "imports", (json_int_t)l->imports, "last_import",
                         when))
               ? VG_ENOMEM
               : VG_OK;
}

static int import_row(void *ctx, const struct vg_list_import *i)
{
    char when[24];

    vg_utc_text(i->imported_at, when);
    return json_array_append_new(
               ctx,
               json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "at", when,
                         "file", i->source_file ? i->source_file : "",
                         "format", i->format ? i->format : "", "sha256",
                         i->file_sha256 ? i->file_sha256 : "", "lines",
                         (json_int_t)i->lines, "added", (json_int_t)i->added,
                         "present", (json_int_t)i->already_present))
               ? VG_ENOMEM
               : VG_OK;
}

static int get_lists(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    json_t *lists = json_array();
    int rc;

    if (!lists)
        return VG_ENOMEM;
    if ((rc = vg__console_enter(s, req, resp, VG_ROLE_ANALYST, &me)) ||
        (rc = vg_store_lists(s->o.store, list_row, lists, NULL))) {
        json_decref(lists);
        return rc == VG_EACCES ? VG_OK : rc;
    }
    return vg__console_page(s, req, resp, 200, "lists",
                            json_pack("{s:o}", "lists", lists), &me);
}

/* The list with this id (as JSON), or NULL. */
struct find_list {
    int64_t id;
    json_t *found;
};

static int list_by_id(void *ctx, const struct vg_list *l)
{
    struct find_list *f = ctx;
    json_t *one;

    if (l->id != f->id)
        return VG_OK;
    if (!(one = json_array()) || list_row(one, l)) {
        json_decref(one);
        return VG_ENOMEM;
    }
    f->found = json_incref(json_array_get(one, 0));
    json_decref(one);
    return VG_OK;
}

/* An entry of the page, as the template shows it (no store call here). */
static int entry_row(void *ctx, const struct vg_list_entry *e)
{
    return json_array_append_new(ctx, vg_view_entry(e)) ? VG_ENOMEM : VG_OK;
}

/* Entry i's id in a page of entries. */
static int64_t entry_id(const json_t *entries, size_t i)
{
    return json_integer_value(
        json_object_get(json_array_get(entries, i), "id"));
}

/* The entries of list id (total of them) on the page the query names
 * (after=ID or before=ID) into entries, and its paging into *pages. */
static int list_entries(struct vg_server *s, const struct vg_http_req *req,
                        int64_t id, int64_t total, json_t *entries,
                        json_t **pages)
{
    const char *after_s = vg_http_query(req, "after"),
               *before_s = vg_http_query(req, "before");
    int64_t after = after_s ? strtoll(after_s, NULL, 10) : 0,
            before = before_s && !after_s ? strtoll(before_s, NULL, 10) : 0,
            from = 0, next = 0, prev = 0;
    size_t n;
    int more, rc;
    char base[48];

    after = after < 0 ? 0 : after;
    before = before < 0 ? 0 : before;
    /* one more than the page: whether another follows that way */
    if ((rc = vg_store_entries_page(s->o.store, id, after, before,
                                    ENTRIES_PAGE + 1, entry_row, entries,
                                    NULL)))
        return rc;
    if ((more = json_array_size(entries) > ENTRIES_PAGE))
        json_array_remove(entries, before ? 0 : ENTRIES_PAGE);
    if ((n = json_array_size(entries))) {
        next = before || more ? entry_id(entries, n - 1) : 0;
        prev = after || (before && more) ? entry_id(entries, 0) : 0;
        if ((rc = vg_store_entries_below(s->o.store, id, entry_id(entries, 0),
                                         &from, NULL)))
            return rc;
    }
    snprintf(base, sizeof(base), "/console/lists/%lld", (long long)id);
    *pages = total ? vg__pager("entries", base, 1, from, n, total, next, prev)
                   : json_null();
    return *pages ? VG_OK : VG_ENOMEM;
}

static int show_list(struct vg_server *s, const struct vg_http_req *req,
                     struct vg_http_resp *resp, const struct vg_session *me,
                     int64_t id)
{
    struct find_list f = {id, NULL};
    json_t *imports = json_array(), *entries = json_array(), *e, *pages = NULL;
    size_t i;
    int rc;

    if (!imports || !entries) {
        json_decref(imports);
        json_decref(entries);
        return VG_ENOMEM;
    }
    if ((rc = vg_store_lists(s->o.store, list_by_id, &f, NULL)) || !f.found ||
        (rc = vg_store_list_imports(s->o.store, id, import_row, imports,
                                    NULL)) ||
        (rc = list_entries(s, req, id,
                           json_integer_value(
                               json_object_get(f.found, "entries")),
                           entries, &pages))) {
        json_decref(entries);
        json_decref(imports);
        json_decref(f.found);
        if (!rc)
            return vg__page_error(s, req, resp, 404, "page.not_found");
        return rc;
    }
    json_array_foreach (entries, i, e) {
        json_object_set_new(e, "list_id", json_integer(id));
    }
    /* the count, which the page's entries replace */
    if (json_object_set(f.found, "entries_total",
                        json_object_get(f.found, "entries")) ||
        json_object_set_new(f.found, "imports", imports) ||
        json_object_set_new(f.found, "entries", entries) ||
        json_object_set_new(f.found, "admin",
                            json_boolean(me->role == VG_ROLE_ADMIN)) ||
        json_object_set_new(f.found, "pages", pages)) {
        json_decref(f.found);
        return VG_ENOMEM;
    }
    return vg__console_page(s, req, resp, 200, "list", f.found, me);
}

/* GET /console/lists/ID; POST /console/lists/ID/entries/EID (admin). */
static int lists_path(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/lists/");
    const char *enabled;
    struct vg_session me;
    int64_t list = vg__path_id(&p), entry = 0;
    char loc[96];
    int rc;

    if (!strcmp(req->method, "GET")) {
        ENTER(VG_ROLE_ANALYST);
        if (!list || *p)
            return vg__page_error(s, req, resp, 404, "page.not_found");
        return show_list(s, req, resp, &me, list);
    }
    ENTER(VG_ROLE_ADMIN);
    if (!list || strncmp(p, "/entries/", 9))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    p += 9;
    if (!(entry = vg__path_id(&p)) || *p)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    enabled = vg_http_form_value(req, "enabled");
    if (!enabled || (strcmp(enabled, "0") && strcmp(enabled, "1")))
        return vg__page_error(s, req, resp, 422, "console.bad_request");
    rc = vg_core_entry_set_enabled(s->o.store, me.user_id, list, entry,
                                   *enabled == '1', NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    snprintf(loc, sizeof(loc), "/console/lists/%lld?after=%lld#entry-%lld",
             (long long)list, (long long)(entry - 1), (long long)entry);
    return vg_http_resp_redirect(resp, 303, loc);
}

/* ---- users ---- */

/* A user's row, with its count of unlocks for add_failures. */
static int user_row(void *ctx, const struct vg_user *u)
{
    json_t *users = ctx;
    char when[24];

    vg_utc_text(u->created_at, when);
    return json_array_append_new(
               users,
               json_pack("{s:I, s:s, s:s, s:b, s:I, s:s}", "id",
                         (json_int_t)u->id, "username", u->username, "role",
                         vg_role_name(u->role), "disabled", u->disabled,
                         "unlocks", (json_int_t)u->unlocks, "created", when))
               ? VG_ENOMEM
               : VG_OK;
}

/* Each row's failed sign-ins the throttle counts lately, in place of its
 * unlocks (the throttle reads the store: not from inside its callback). */
static int add_failures(struct vg_server *s, json_t *users)
{
    int64_t now = vg__wall_ms();
    size_t i;
    json_t *u;

    json_array_foreach (users, i, u) {
        unsigned n = vg_throttle_failures(
            s->throttle, json_string_value(json_object_get(u, "username")),
            json_integer_value(json_object_get(u, "unlocks")), now);
        if (json_object_set_new(u, "failures", json_integer(n)) ||
            json_object_del(u, "unlocks"))
            return VG_ENOMEM;
    }
    return VG_OK;
}

static int users_page(struct vg_server *s, const struct vg_http_req *req,
                      struct vg_http_resp *resp, const struct vg_session *me,
                      int status, const char *error)
{
    json_t *users = json_array(), *roles = json_array();
    int rc = VG_ENOMEM;

    for (size_t i = 0; roles && i < vg_vocab_count(VG_VOCAB_ROLE); i++)
        if (json_array_append_new(roles,
                                  json_pack("{s:s}", "code",
                                            vg_vocab_code(VG_VOCAB_ROLE, i))))
            goto fail;
    if (!users || !roles ||
        (rc = vg_store_users(s->o.store, user_row, users, NULL)) ||
        (rc = add_failures(s, users)))
        goto fail;
    return vg__console_page(s, req, resp, status, "users",
                            json_pack("{s:o, s:o, s:s?}", "users", users,
                                      "roles", roles, "error", error),
                            me);
fail:
    json_decref(users);
    json_decref(roles);
    return rc;
}

static int get_users(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    int rc;

    ENTER(VG_ROLE_ADMIN);
    return users_page(s, req, resp, &me, 200, NULL);
}

/* POST /console/admin/users: a new account. */
static int post_users(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *name = vg_http_form_value(req, "username");
    const char *pw = vg_http_form_value(req, "password");
    const char *role_s = vg_http_form_value(req, "role");
    char hash[VG_PASSWORD_HASH_MAX + 1];
    struct vg_err err = {0};
    struct vg_session me;
    enum vg_role role;
    int rc;

    ENTER(VG_ROLE_ADMIN);
    if (!name || !pw || !role_s || vg_role_parse(role_s, &role))
        return users_page(s, req, resp, &me, 422, "console.bad_request");
    if (vg_auth_password_check(pw, &err))
        return users_page(s, req, resp, &me, 422, "admin.password_weak");
    if ((rc = vg_auth_hash_password(pw, hash, &err)))
        return rc;
    rc = vg_store_user_add(s->o.store, me.user_id, name, hash, role, NULL,
                           &err);
    if (rc == VG_EEXIST)
        return users_page(s, req, resp, &me, 409, "admin.user_exists");
    if (rc == VG_EINVAL)
        return users_page(s, req, resp, &me, 422, "admin.username_invalid");
    if (rc)
        return rc;
    return vg_http_resp_redirect(resp, 303, "/console/admin/users");
}

/* POST /console/admin/users/NAME/disable|enable|unlock (unlock: clear
 * its failed sign-ins, vigil/throttle.h) */
static int post_user(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/admin/users/");
    const char *slash = strrchr(p, '/');
    char name[VG_USERNAME_MAX + 1];
    struct vg_session me;
    int rc, disable;

    ENTER(VG_ROLE_ADMIN);
    if (!slash || slash == p || (size_t)(slash - p) > VG_USERNAME_MAX ||
        (strcmp(slash, "/disable") && strcmp(slash, "/enable") &&
         strcmp(slash, "/unlock")))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    snprintf(name, sizeof(name), "%.*s", (int)(slash - p), p);
    disable = !strcmp(slash, "/disable");
    if (disable && !strcmp(name, me.username))
        return users_page(s, req, resp, &me, 422, "admin.not_yourself");
    if (!strcmp(slash, "/unlock"))
        rc = vg_store_user_unlock(s->o.store, me.user_id, name, NULL);
    else
        rc = vg_store_user_set_disabled(s->o.store, me.user_id, name, disable,
                                        NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    return vg_http_resp_redirect(resp, 303, "/console/admin/users");
}

/* ---- API keys ---- */

static int key_row(void *ctx, const struct vg_apikey *k)
{
    char when[24], revoked[24] = "";

    vg_utc_text(k->created_at, when);
    if (k->revoked_at)
        vg_utc_text(k->revoked_at, revoked);
    return json_array_append_new(ctx, json_pack("{s:I, s:s, s:s, s:s}", "id",
                                                (json_int_t)k->id, "name",
                                                k->name, "created", when,
                                                "revoked", revoked))
               ? VG_ENOMEM
               : VG_OK;
}

/* The keys page; new_key is shown once (or NULL). */
static int keys_page(struct vg_server *s, const struct vg_http_req *req,
                     struct vg_http_resp *resp, const struct vg_session *me,
                     int status, const char *new_key, const char *error)
{
    json_t *keys = json_array();
    int rc;

    if (!keys)
        return VG_ENOMEM;
    if ((rc = vg_store_apikeys(s->o.store, key_row, keys, NULL))) {
        json_decref(keys);
        return rc;
    }
    return vg__console_page(s, req, resp, status, "keys",
                            json_pack("{s:o, s:s?, s:s?}", "keys", keys,
                                      "new_key", new_key, "error", error),
                            me);
}

static int get_keys(void *ctx, const struct vg_http_req *req,
                    struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_session me;
    int rc;

    ENTER(VG_ROLE_ADMIN);
    return keys_page(s, req, resp, &me, 200, NULL, NULL);
}

static int post_keys(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *name = vg_http_form_value(req, "name");
    char key[VG_APIKEY_LEN + 1];
    unsigned char hash[32];
    struct vg_session me;
    long n;
    int rc;

    ENTER(VG_ROLE_ADMIN);
    if (!name || (n = vg_utf8_count(name, strlen(name))) < 1 || n > 200)
        return keys_page(s, req, resp, &me, 422, NULL, "admin.key_name");
    if ((rc = vg_auth_apikey_new(key, hash)) ||
        (rc = vg_store_apikey_add(
             s->o.store, me.user_id,
             &(struct vg_apikey){.name = name,
                                 .scopes = VG_API_SCOPES_DEFAULT},
             hash, NULL, NULL)))
        return rc;
    /* shown this once: only its hash is kept */
    return keys_page(s, req, resp, &me, 201, key, NULL);
}

/* POST /console/admin/keys/ID/revoke */
static int post_key(void *ctx, const struct vg_http_req *req,
                    struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *p = req->path + strlen("/console/admin/keys/");
    struct vg_session me;
    int64_t id = vg__path_id(&p);
    int rc;

    ENTER(VG_ROLE_ADMIN);
    if (!id || strcmp(p, "/revoke"))
        return vg__page_error(s, req, resp, 404, "page.not_found");
    rc = vg_store_apikey_revoke(s->o.store, me.user_id, id, NULL);
    if (rc == VG_ENOENT)
        return vg__page_error(s, req, resp, 404, "page.not_found");
    if (rc)
        return rc;
    return vg_http_resp_redirect(resp, 303, "/console/admin/keys");
}

/* ---- the audit log ---- */

/* The head of the log, signed, for an operator to keep: {seq, mac, sig}
 * (sig absent without the key), or NULL when the log is empty. */
static json_t *audit_head(struct vg_server *s)
{
    struct vg_audit_head h;
    char mac[2 * VG_AUDIT_MAC_LEN + 1], sig[2 * VG_AUDIT_MAC_LEN + 1];

    if (vg_store_audit_head(s->o.store, &h, NULL) || !h.seq)
        return NULL;
    vg_hex_encode(h.mac, VG_AUDIT_MAC_LEN, mac);
    vg_hex_encode(h.sig, VG_AUDIT_MAC_LEN, sig);
    return json_pack("{s:I, s:s, s:s?}", "seq", (json_int_t)h.seq, "mac", mac,
                     "sig", h.is_signed ? sig : NULL);
}

static int get_audit(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    const char *before_s = vg_http_query(req, "before"),
               *after_s = vg_http_query(req, "after");
    int64_t before = before_s ? strtoll(before_s, NULL, 10) : 0,
            after = after_s && !before_s ? strtoll(after_s, NULL, 10) : 0;
    struct vg_audit_verdict v;
    struct vg_err verr = {0};
    struct vg_session me;
    struct vg_audit_page *page = NULL;
    json_t *recs = NULL, *pages;
    int rc, intact;

    ENTER(VG_ROLE_ADMIN);
    intact = !vg_store_audit_verify(s->o.store, &v, &verr);
    if ((rc = vg_store_audit_recent(s->o.store, before < 0 ? 0 : before,
                                    after < 0 ? 0 : after, AUDIT_PAGE, &page,
                                    NULL)))
        return rc;
    recs = vg_view_audit(page);
    pages = page->total
                ? vg__pager("audit", "/console/admin/audit", 0, page->from,
                            page->n, page->total, page->next, page->prev)
                : json_null();
    vg_audit_page_free(page);
    if (!recs) {
        json_decref(pages);
        return VG_ENOMEM;
    }
    vg__json_when_each(recs, "at", "when");
    return vg__console_page(
        s, req, resp, 200, "audit",
        json_pack("{s:o, s:b, s:b, s:I, s:I, s:s, s:o?, s:o}", "records", recs,
                  "intact", intact, "unchecked", v.unchecked > 0, "count",
                  (json_int_t)v.count, "bad", (json_int_t)v.bad, "why",
                  verr.msg, "head", audit_head(s), "pages", pages),
        &me);
}

int vg__admin_routes(struct vg_server *s, struct vg_err *err)
{
    static const struct {
        const char *method, *path;
        vg_http_handler h;
    } routes[] = {
        {"GET", "/console/lists", get_lists},
        {"GET", "/console/lists/*", lists_path},
        {"POST", "/console/lists/*", lists_path},
        {"GET", "/console/admin/users", get_users},
        {"POST", "/console/admin/users", post_users},
        {"POST", "/console/admin/users/*", post_user},
        {"GET", "/console/admin/keys", get_keys},
        {"POST", "/console/admin/keys", post_keys},
        {"POST", "/console/admin/keys/*", post_key},
        {"GET", "/console/admin/audit", get_audit},
    };
    int rc = VG_OK;

    for (size_t i = 0; !rc && i < sizeof(routes) / sizeof(*routes); i++)
        rc = vg_http_route(s->http, routes[i].method, routes[i].path,
                           routes[i].h, s, err);
    return rc;
}
