/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HMA-shaped routes (HMA 1.x's OpenMediaMatch, docs/API.md): lookups
 * (/m/lookup by signal, by URL), hashing (/h/hash?url=), the banks (/c/...)
 * and the index's status (/m/index/status, /status).  A bank is a Vigil
 * list a partner may see (shared with it); the banks a partner makes
 * through the API are its own ("api:PARTNER" as their source) and only
 * those it may change.  Bank names follow HMA's UPPER_WITH_UNDERSCORE
 * rule here.  Errors are {"message": ...}.  Changes are audited with the
 * key as the actor (-key id: vigil/core_audit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/core_lists.h"
#include "vigil/digest.h"
#include "vigil/hashalgo.h"
#include "vigil/index.h"
#include "vigil/store_lists.h"
#include "web/api_int.h"

#define MSG VG__API_MESSAGE
#define HITS_MAX 64
#define PAGE_MAX 1000

/* ---- banks ---- */

/* HMA's rule for bank names: [A-Z_][A-Z0-9_]*, here up to 64. */
static int bank_name_valid(const char *n)
{
    size_t len = strlen(n);

    if (!len || len > VG_LIST_NAME_MAX || (n[0] >= '0' && n[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((n[i] >= 'A' && n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
              n[i] == '_'))
            return 0;
    return 1;
}

/* Is the list the caller's own (made through the API by its partner)? */
static int owned(const struct vg__api_caller *who, const struct vg_list *l)
{
    return !strncmp(l->source, "api:", 4) &&
           !strcmp(l->source + 4, who->partner);
}

/*
 * The bank named name as the caller may see it: 0 with *l, or the answer
 * made (400 a bad name, 404 no such bank: also for a list not shared with
 * the caller, so it cannot tell the two apart; 403 a change to a bank not
 * its own, when own is set).
 */
static int bank_get(struct vg_server *s, const struct vg__api_caller *who,
                    const char *name, int own, struct vg_list *l,
                    struct vg_http_resp *resp, int *rc)
{
    char msg[160];
    int e;

    if (!bank_name_valid(name)) {
        *rc = vg__api_error(resp, MSG, 400,
                            "a bank's name is UPPER_WITH_UNDERSCORE: A-Z,"
                            " 0-9 and _, not starting with a digit, up to 64");
        return -1;
    }
    e = vg_store_list_get(s->o.store, name, l, NULL);
    if (e && e != VG_ENOENT) {
        *rc = e;
        return -1;
    }
    if (e || (!owned(who, l) && !vg__api_list_visible(s, who, name, NULL))) {
        snprintf(msg, sizeof(msg), "no bank named %s", name);
        *rc = vg__api_error(resp, MSG, 404, msg);
        return -1;
    }
    if (own && !owned(who, l)) {
        snprintf(msg, sizeof(msg),
                 "bank %s belongs to the hotline: this key may read it, not"
                 " change it",
                 name);
        *rc = vg__api_error(resp, MSG, 403, msg);
        return -1;
    }
    return 0;
}

static json_t *bank_json(const struct vg__api_caller *who,
                         const struct vg_list *l)
{
    return json_pack("{s:s, s:f, s:I, s:b}", "name", l->name,
                     "matching_enabled_ratio", l->enabled ? 1.0 : 0.0,
                     "entries", (json_int_t)l->entries_enabled, "owned",
                     owned(who, l));
}

struct banks_ctx {
    const struct vg__api_caller *who;
    json_t *a;
};

/* Every list with a bank's name (the store held: no other store call). */
static int bank_row(void *ctx, const struct vg_list *l)
{
    struct banks_ctx *b = ctx;

    if (!bank_name_valid(l->name))
        return VG_OK;
    return json_array_append_new(b->a, bank_json(b->who, l)) ? VG_ENOMEM
                                                             : VG_OK;
}

static int get_banks(void *ctx, const struct vg_http_req *req,
                     struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_caller who;
    struct banks_ctx b = {&who, NULL};
    int rc;

    if (vg__api_enter(s, req, resp, MSG, VG__SCOPE_CURATE, &who, &rc))
        return rc;
    if (!(b.a = json_array()))
        return VG_ENOMEM;
    if ((rc = vg_store_lists(s->o.store, bank_row, &b, NULL))) {
        json_decref(b.a);
        return rc;
    }
    /* then only the caller's own and those shared with it */
    for (size_t i = json_array_size(b.a); i-- > 0;) {
        const json_t *x = json_array_get(b.a, i);
        if (!json_is_true(json_object_get(x, "owned")) &&
            !vg__api_list_visible(
                s, &who, json_string_value(json_object_get(x, "name")), NULL))
            json_array_remove(b.a, i);
    }
    return vg__api_json(resp, 200, b.a);
}

/* "enabled" or "enabled_ratio" of j: 1, 0, or -1 when neither is said. */
static int enabled_of(const json_t *j)
{
    const json_t *e = json_object_get(j, "enabled");
    const json_t *r = json_object_get(j, "enabled_ratio");

    if (json_is_boolean(e))
        return json_is_true(e);
    if (json_is_number(r))
        return json_number_value(r) > 0;
    return -1;
}

static int post_banks(void *ctx, const struct vg_http_req *req,
                      struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_caller who;
    struct vg_list l = {0};
    const char *name;
    json_t *j;
    int64_t id;
    int rc;

    if (vg__api_enter(s, req, resp, MSG, VG__SCOPE_CURATE, &who, &rc) ||
        !(j = vg__api_object(req, resp, MSG, 0, &rc)))
        return rc;
    name = json_string_value(json_object_get(j, "name"));
    if (!name || !bank_name_valid(name)) {
        rc = vg__api_error(resp, MSG, 400,
                           "a bank's name is UPPER_WITH_UNDERSCORE: A-Z, 0-9"
                           " and _, not starting with a digit, up to 64");
        goto out;
    }
    snprintf(l.name, sizeof(l.name), "%s", name);
    snprintf(l.source, sizeof(l.source), "api:%s", who.partner);
    l.enabled = enabled_of(j) != 0;
    l.pdq_distance = VG_INDEX_DEFAULT_RADIUS;
    l.kind = VG_LIST_BLOCK;
    rc = vg_core_list_create(s->o.store, -who.key_id, &l, &id, NULL);
    if (rc == VG_EEXIST) {
        rc = vg__api_error(resp, MSG, 403, "a bank of that name exists");
    } else if (!rc &&
               !(rc = vg_store_list_share(s->o.store, -who.key_id, id,
                                          who.partner, 1, NULL)) &&
               !(rc = vg_store_list_get(s->o.store, name, &l, NULL))) {
        rc = vg__api_json(resp, 201, bank_json(&who, &l));
    }
out:
    json_decref(j);
    return rc;
}

/* ---- /c/bank/NAME[/signal | /content[/ID]] ---- */

/* The parts of a bank path: name (cap 80) and what follows. */
struct bank_path {
    char name[80];
    const char *rest; /* "", "/signal", "/content", "/content/ID" */
    int64_t content;  /* ID, else 0 */
};

static int bank_path(const char *path, struct bank_path *bp)
{
    const char *p = path + strlen("/c/bank/");
    size_t n = strcspn(p, "/");

    memset(bp, 0, sizeof(*bp));
    if (!n || n >= sizeof(bp->name))
        return -1;
    memcpy(bp->name, p, n);
    bp->rest = p + n;
    if (!strncmp(bp->rest, "/content/", 9)) {
        const char *q = bp->rest + 9;
        if (!(bp->content = vg__path_id(&q)) || *q)
            return -1;
    } else if (*bp->rest && strcmp(bp->rest, "/signal") &&
               strcmp(bp->rest, "/content")) {
        return -1;
    }
    return 0;
}

/* An entry as HMA's bank content. */
struct content_ctx {
    const struct vg_list *l;
    int signals, metadata; /* show them */
    json_t *out;
};

static int content_row(void *ctx, const struct vg_list_entry *e)
{
    struct content_ctx *c = ctx;
    char hex[2 * VG_ALGO_MAXSIZE + 1];
    json_t *j, *meta = NULL;

    if (e->list_id != c->l->id)
        return VG_OK; /* another bank's: not found here */
    if (e->metadata && c->metadata)
        meta = json_loads(e->metadata, 0, NULL);
    j = json_pack("{s:I, s:s, s:i, s:n, s:o?}", "id", (json_int_t)e->id,
                  "bank", c->l->name, "disable_until_ts", e->enabled ? 1 : 0,
                  "original_media_uri", "metadata", meta);
    if (j && c->signals) {
        vg_hex_encode(e->value, vg_algo_size(e->algo), hex);
        json_object_set_new(j, "signals",
                            json_pack("{s:s}", vg_algo_name(e->algo), hex));
    }
    if (!j)
        return VG_ENOMEM;
    if (json_is_array(c->out))
        return json_array_append_new(c->out, j) ? VG_ENOMEM : VG_OK;
    c->out = j;
    return VG_OK;
}

/* May the caller see the metadata of l's entries?  Its own bank's, and
 * those of a list shared with it with metadata. */
static int metadata_visible(struct vg_server *s,
                            const struct vg__api_caller *who,
                            const struct vg_list *l)
{
    int m = 0;

    return owned(who, l) || (vg__api_list_visible(s, who, l->name, &m) && m);
}

static int get_content(struct vg_server *s, const struct vg_http_req *req,
                       struct vg_http_resp *resp, const struct vg_list *l,
                       int64_t id, int metadata)
{
    const char *sig = vg_http_query(req, "include_signals");
    struct content_ctx c = {l, sig && !strcmp(sig, "true"), metadata, NULL};
    int rc = vg_store_entry_get(s->o.store, id, content_row, &c, NULL);

    if (rc == VG_ENOENT || (!rc && !c.out)) {
        json_decref(c.out);
        return vg__api_error(resp, MSG, 404, "no such content in this bank");
    }
    if (rc) {
        json_decref(c.out);
        return rc;
    }
    return vg__api_json(resp, 200, c.out);
}

/* The answer of a content page: {items, next}, and when another page
 * follows, next the after= of it and a Link header to it (RFC 8288). */
static int content_page(struct vg_http_resp *resp, const struct vg_list *l,
                        json_t *items, long long limit)
{
    json_int_t next = 0;
    char link[256];

    if (json_array_size(items) > (size_t)limit) { /* the one row more */
        json_array_remove(items, (size_t)limit);
        next = json_integer_value(
            json_object_get(json_array_get(items, (size_t)limit - 1), "id"));
        snprintf(link, sizeof(link),
                 "</c/bank/%s/content?after=%lld&limit=%lld>; rel=\"next\"",
                 l->name, (long long)next, limit);
        if (vg_http_resp_header(resp, "Link", link)) {
            json_decref(items);
            return VG_ENOMEM;
        }
    }
    return vg__api_json(resp, 200,
                        json_pack("{s:o, s:o}", "items", items, "next",
                                  next ? json_integer(next) : json_null()));
}

/* GET /c/bank/NAME/content?after=ID&limit=N: a page of the bank's
 * content, "next" the after= of the next page (null at the end). */
static int list_content(struct vg_server *s, const struct vg_http_req *req,
                        struct vg_http_resp *resp, const struct vg_list *l,
                        int metadata)
{
    const char *a = vg_http_query(req, "after"),
               *n = vg_http_query(req, "limit");
    struct content_ctx c = {l, 1, metadata, json_array()};
    long long after = a ? atoll(a) : 0, limit = n ? atoll(n) : 100;
    int rc;

    if (after < 0 || limit < 1 || limit > PAGE_MAX) {
        json_decref(c.out);
        return vg__api_error(resp, MSG, 400,
                             "after is an id (0 or more), limit 1 to 1000");
    }
    /* one more than the page: whether another follows */
    if ((rc = vg_store_entries_page(s->o.store, l->id, after, 0, limit + 1,
                                    content_row, &c, NULL))) {
        json_decref(c.out);
        return rc;
    }
    return content_page(resp, l, c.out, limit);
}

/* Add the value to the caller's bank l (an import of one entry, audited
 * as the key's) and give its id; an entry already there keeps its id. */
static int add_entry(struct vg_server *s, const struct vg__api_caller *who,
                     const struct vg_list *l, enum vg_algo algo,
                     const uint8_t *value, const char *external_id,
                     const char *metadata, int64_t *id)
{
    struct vg_list_entry e = {0};
    struct vg_store_import *im = NULL;
    char source[64];
    int rc;

    e.algo = algo;
    memcpy(e.value, value, vg_algo_size(algo));
    e.external_id = external_id;
    e.metadata = metadata;
    e.quality = -1;
    snprintf(source, sizeof(source), "api key %lld", (long long)who->key_id);
    if ((rc = vg_store_import_begin(s->o.store, -who->key_id, l->id, source,
                                    "api", NULL, &im, NULL)))
        return rc;
    if ((rc = vg_store_import_add(im, &e, NULL))) {
        vg_store_import_abort(im);
        return rc;
    }
    if ((rc = vg_store_import_commit(im, 1, NULL, NULL, NULL)) ||
        (rc = vg_store_entry_find(s->o.store, l->id, algo, value, id, NULL)))
        return rc;
    if (s->o.lists_changed) /* this node matches it at once */
        s->o.lists_changed(s->o.lists_changed_ctx);
    return VG_OK;
}

/* An HMA signal type: Vigil's algorithm names, and "video_md5" (HMA's
 * MD5 of a video file's bytes) as md5.  0, or -1 if unknown. */
static int signal_algo(const char *name, enum vg_algo *out)
{
    if (!strcmp(name, "video_md5")) {
        *out = VG_ALGO_MD5;
        return 0;
    }
    return vg_algo_from_name(name, strlen(name), out) ? -1 : 0;
}

/* Parse hex as a value of algo into value: 0, or -1. */
static int signal_value(enum vg_algo algo, const char *hex, uint8_t *value)
{
    return hex && strlen(hex) == 2 * vg_algo_size(algo) &&
                   !vg_hex_decode(hex, strlen(hex), value, vg_algo_size(algo))
               ? 0
               : -1;
}

/* {"id": N, "signals": {"ALGO": "hex"}}, HMA's answer to an addition. */
static int added(struct vg_http_resp *resp, int64_t id, enum vg_algo algo,
                 const uint8_t *value)
{
    char hex[2 * VG_ALGO_MAXSIZE + 1];

    vg_hex_encode(value, vg_algo_size(algo), hex);
    return vg__api_json(resp, 200,
                        json_pack("{s:I, s:{s:s}}", "id", (json_int_t)id,
                                  "signals", vg_algo_name(algo), hex));
}

/* POST /c/bank/NAME/signal {"pdq": "<hex>"} (or another algorithm). */
static int post_signal(struct vg_server *s, const struct vg_http_req *req,
                       struct vg_http_resp *resp,
                       const struct vg__api_caller *who,
                       const struct vg_list *l)
{
    uint8_t value[VG_ALGO_MAXSIZE];
    void *it;
    json_t *j;
    enum vg_algo algo = VG_ALGO_PDQ;
    int64_t id = 0;
    int rc;

    if (!(j = vg__api_object(req, resp, MSG, 0, &rc)))
        return rc;
    it = json_object_iter(j);
    if (json_object_size(j) != 1 ||
        signal_algo(json_object_iter_key(it), &algo) ||
        signal_value(algo, json_string_value(json_object_iter_value(it)),
                     value)) {
        json_decref(j);
        return vg__api_error(resp, MSG, 400,
                             "send one signal: {\"pdq\": \"<64 hex digits>\"}"
                             " (or md5, sha1, sha256)");
    }
    json_decref(j);
    if ((rc = add_entry(s, who, l, algo, value, NULL, NULL, &id)))
        return rc;
    return added(resp, id, algo, value);
}

/*
 * The media of a request: the document at ?url= (fetched as the crawler
 * fetches), or the body.  0 with *data, *len (*owned to vg_free, or NULL
 * when borrowed from req), or the answer made.
 */
static int media_of(struct vg_server *s, const struct vg_http_req *req,
                    struct vg_http_resp *resp, const uint8_t **data,
                    size_t *len, uint8_t **owned_, int *rc)
{
    const char *url = vg_http_query(req, "url");
    struct vg__api_fetched f;

    *owned_ = NULL;
    if (url) {
        if (vg__api_fetch(s, url, &f, resp, MSG, rc))
            return -1;
        *data = *owned_ = f.body;
        *len = f.len;
        return 0;
    }
    if (req->parts.count) { /* HMA's clients: curl -F photo=@FILE */
        const struct vg_http_part *p = vg_http_multipart_get(&req->parts,
                                                             "photo");
        if (!p)
            p = vg_http_multipart_get(&req->parts, "video");
        if (!p) {
            *rc = vg__api_error(resp, MSG, 400,
                                "send the file in a form field named photo"
                                " (or video)");
            return -1;
        }
        *data = (const uint8_t *)p->data;
        *len = p->len;
    } else {
        *data = (const uint8_t *)req->body;
        *len = req->body_len;
    }
    if (!*len) {
        *rc = vg__api_error(resp, MSG, 400,
                            "send the media: ?url=, a form field photo, or"
                            " the file as the body");
        return -1;
    }
    return 0;
}

/* A text field of the request: the form part (copied, NUL-terminated:
 * free it) or the query's, else NULL. */
static char *field(const struct vg_http_req *req, const char *name)
{
    const struct vg_http_part *p = vg_http_multipart_get(&req->parts, name);
    const char *q = vg_http_query(req, name);
    char *out;

    if (!p)
        return q ? vg_strdup(q) : NULL;
    if ((out = vg_malloc(p->len + 1))) {
        memcpy(out, p->data, p->len);
        out[p->len] = 0;
    }
    return out;
}

/* The entry's metadata: HMA's metadata (JSON) and note, from form fields
 * or the query, as one JSON object's text; NULL if neither. */
static char *content_metadata(const struct vg_http_req *req)
{
    char *m = field(req, "metadata"), *note = field(req, "note"), *out;
    json_t *j = json_object(), *meta = m ? json_loads(m, 0, NULL) : NULL;

    if (meta)
        json_object_set_new(j, "metadata", meta);
    if (note)
        json_object_set_new(j, "note", json_string(note));
    out = j && json_object_size(j) ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    vg_free(m);
    vg_free(note);
    return out;
}

/* POST /c/bank/NAME/content: the media hashed, its PDQ added. */
static int post_content(struct vg_server *s, const struct vg_http_req *req,
                        struct vg_http_resp *resp,
                        const struct vg__api_caller *who,
                        const struct vg_list *l)
{
    uint8_t value[32], *owned_ = NULL;
    const uint8_t *data;
    struct vg_imagehash h;
    char *meta = NULL;
    int64_t id = 0;
    size_t len;
    int rc;

    if (media_of(s, req, resp, &data, &len, &owned_, &rc))
        return rc;
    if (!vg__api_hash(data, len, &h, resp, MSG, &rc)) {
        vg_pdq_to_bytes(&h.pdq.hash, value);
        meta = content_metadata(req);
        if (!(rc = add_entry(s, who, l, VG_ALGO_PDQ, value, NULL, meta, &id)))
            rc = added(resp, id, VG_ALGO_PDQ, value);
    }
    free(meta);
    vg_free(owned_);
    return rc;
}

/* PUT /c/bank/NAME/content/ID {"disable_until_ts": 0 | 1 | TIME}, HMA's
 * magic values: 0 disables the content, 1 enables it, a time past enables
 * it and a time to come disables it (until enabled again: Vigil does not
 * re-enable by itself). */
static int put_content(struct vg_server *s, const struct vg_http_req *req,
                       struct vg_http_resp *resp,
                       const struct vg__api_caller *who,
                       const struct vg_list *l, int64_t id)
{
    json_t *j, *v;
    int rc, on;

    if (!(j = vg__api_object(req, resp, MSG, 0, &rc)))
        return rc;
    v = json_object_get(j, "disable_until_ts");
    on = json_is_integer(v) &&
         (json_integer_value(v) == 1 ||
          (json_integer_value(v) > 1 &&
           json_integer_value(v) <= (json_int_t)time(NULL)));
    rc = json_is_integer(v) && json_integer_value(v) >= 0;
    json_decref(j);
    if (!rc)
        return vg__api_error(resp, MSG, 400,
                             "send {\"disable_until_ts\": 0, 1 or a Unix"
                             " time}");
    rc = vg_core_entry_set_enabled(s->o.store, -who->key_id, l->id, id, on,
                                   NULL);
    if (rc == VG_ENOENT)
        return vg__api_error(resp, MSG, 404, "no such content in this bank");
    if (rc)
        return rc;
    if (s->o.lists_changed)
        s->o.lists_changed(s->o.lists_changed_ctx);
    return get_content(s, req, resp, l, id, 1); /* its own bank */
}

/* DELETE /c/bank/NAME/content/ID: the entry stops matching at once
 * (disabled, audited: Vigil keeps what was on a list for its history). */
static int delete_content(struct vg_server *s, struct vg_http_resp *resp,
                          const struct vg__api_caller *who,
                          const struct vg_list *l, int64_t id)
{
    int rc = vg_core_entry_set_enabled(s->o.store, -who->key_id, l->id, id, 0,
                                       NULL);

    if (rc == VG_ENOENT)
        return vg__api_error(resp, MSG, 404, "no such content in this bank");
    if (rc)
        return rc;
    if (s->o.lists_changed)
        s->o.lists_changed(s->o.lists_changed_ctx);
    return vg__api_json(resp, 200, json_pack("{s:i}", "deleted", 1));
}

/* PUT /c/bank/NAME {"enabled": bool} or {"enabled_ratio": R}. */
static int put_bank(struct vg_server *s, const struct vg_http_req *req,
                    struct vg_http_resp *resp,
                    const struct vg__api_caller *who, struct vg_list *l)
{
    const char *name;
    json_t *j;
    int rc, on;

    if (!(j = vg__api_object(req, resp, MSG, 0, &rc)))
        return rc;
    on = enabled_of(j);
    name = json_string_value(json_object_get(j, "name"));
    if (json_object_get(j, "name") && (!name || strcmp(name, l->name))) {
        json_decref(j);
        return vg__api_error(resp, MSG, 400, "a bank cannot be renamed");
    }
    json_decref(j);
    if (on >= 0 && on != l->enabled &&
        (rc = vg_core_list_set_enabled(s->o.store, -who->key_id, l->name, on,
                                       NULL, NULL)))
        return rc;
    if ((rc = vg_store_list_get(s->o.store, l->name, l, NULL)))
        return rc;
    return vg__api_json(resp, 200, bank_json(who, l));
}

static int bank_route(struct vg_server *s, const struct vg_http_req *req,
                      struct vg_http_resp *resp,
                      const struct vg__api_caller *who,
                      const struct bank_path *bp)
{
    int get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
    struct vg_list l;
    int rc;

    if (bank_get(s, who, bp->name, !get, &l, resp, &rc))
        return rc;
    if (bp->content && !strcmp(req->method, "DELETE"))
        return delete_content(s, resp, who, &l, bp->content);
    if (bp->content)
        return get ? get_content(s, req, resp, &l, bp->content,
                                 metadata_visible(s, who, &l))
               : !strcmp(req->method, "PUT")
                   ? put_content(s, req, resp, who, &l, bp->content)
                   : vg__api_error(resp, MSG, 405, "GET, PUT or DELETE");
    if (!strcmp(bp->rest, "/content"))
        return get ? list_content(s, req, resp, &l,
                                  metadata_visible(s, who, &l))
               : !strcmp(req->method, "POST")
                   ? post_content(s, req, resp, who, &l)
                   : vg__api_error(resp, MSG, 405, "GET or POST");
    if (!strcmp(bp->rest, "/signal"))
        return !strcmp(req->method, "POST")
                   ? post_signal(s, req, resp, who, &l)
                   : vg__api_error(resp, MSG, 405, "POST");
    if (get)
        return vg__api_json(resp, 200, bank_json(who, &l));
    if (!strcmp(req->method, "PUT"))
        return put_bank(s, req, resp, who, &l);
    if (!strcmp(req->method, "DELETE")) {
        if ((rc = vg_core_list_delete(s->o.store, -who->key_id, l.name, 1,
                                      NULL, NULL)))
            return rc;
        if (s->o.lists_changed)
            s->o.lists_changed(s->o.lists_changed_ctx);
        return vg__api_json(resp, 200, json_pack("{s:s}", "deleted", l.name));
    }
    return vg__api_error(resp, MSG, 405, "GET, PUT or DELETE");
}

static int bank_handler(void *ctx, const struct vg_http_req *req,
                        struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_caller who;
    struct bank_path bp;
    int rc;

    if (vg__api_enter(s, req, resp, MSG, VG__SCOPE_CURATE, &who, &rc))
        return rc;
    if (bank_path(req->path, &bp))
        return vg__api_error(resp, MSG, 404,
                             "no such route: /c/bank/NAME, /signal,"
                             " /content, /content/ID");
    return bank_route(s, req, resp, &who, &bp);
}

/* ---- lookups ---- */

/* The bank filter of ?banks=A,B: 0 (*filter NULL when none), or the
 * answer made (400 naming a bank the caller cannot see). */
static int banks_filter(struct vg_server *s, const struct vg_http_req *req,
                        const struct vg__api_caller *who, const char **filter,
                        struct vg_http_resp *resp, int *rc)
{
    const char *b = vg_http_query(req, "banks");
    char name[80], msg[160];

    *filter = b && *b ? b : NULL;
    for (const char *p = *filter; p && *p;) {
        size_t n = strcspn(p, ",");
        snprintf(name, sizeof(name), "%.*s", (int)(n < 79 ? n : 79), p);
        if (!vg__api_list_visible(s, who, name, NULL)) {
            snprintf(msg, sizeof(msg), "no bank named %s", name);
            *rc = vg__api_error(resp, MSG, 400, msg);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

static int in_filter(const char *filter, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = filter; p && *p;) {
        size_t w = strcspn(p, ",");
        if (w == n && !strncmp(p, name, n))
            return 1;
        p += w + (p[w] == ',');
    }
    return !filter;
}

/* HMA's {"BANK": [{"bank_content_id", "distance" (a string)}]} for the
 * hits of one algorithm (all when algo < 0), with the metadata the share
 * allows. */
static json_t *by_bank(const struct vg__api_hit *hits, size_t n, int algo,
                       const char *filter)
{
    json_t *o = json_object();
    char d[16];

    for (size_t i = 0; o && i < n; i++) {
        const struct vg_match *m = hits[i].m;
        json_t *a, *x;
        if ((algo >= 0 && (int)m->algo != algo) || !in_filter(filter, m->list))
            continue;
        if (!(a = json_object_get(o, m->list)))
            json_object_set_new(o, m->list, a = json_array());
        snprintf(d, sizeof(d), "%d", m->distance);
        x = json_pack("{s:I, s:s, s:s}", "bank_content_id",
                      (json_int_t)m->entry, "distance", d, "classification",
                      vg__api_class(m));
        if (x && hits[i].metadata) {
            json_object_set_new(x, "external_id",
                                m->external_id ? json_string(m->external_id)
                                               : json_null());
            json_object_set_new(x, "metadata",
                                m->metadata ? json_string(m->metadata)
                                            : json_null());
        }
        json_array_append_new(a, x);
    }
    return o;
}

/* GET /m/lookup?signal_type=T&signal=V[&banks=A,B]. */
static int lookup_signal(struct vg_server *s, const struct vg_http_req *req,
                         struct vg_http_resp *resp,
                         const struct vg__api_caller *who,
                         struct vg_matcher *m, const char *filter)
{
    const char *type = vg_http_query(req, "signal_type");
    struct vg__api_hit hits[HITS_MAX];
    uint8_t value[VG_ALGO_MAXSIZE];
    struct vg_match_result r;
    enum vg_algo algo;
    size_t n;
    int rc;

    if (!type || signal_algo(type, &algo))
        return vg__api_error(resp, MSG, 400,
                             "signal_type is pdq, md5, video_md5, sha1 or"
                             " sha256");
    if (signal_value(algo, vg_http_query(req, "signal"), value))
        return vg__api_error(resp, MSG, 400,
                             "signal is the hash in hex (64 digits for pdq)");
    if ((rc = vg_matcher_lookup_value(m, algo, value, &r, NULL)))
        return rc;
    vg__api_note_hash(s, &r, value, vg_algo_size(algo));
    n = vg__api_visible(s, who, &r, hits, HITS_MAX);
    rc = vg__api_json(resp, 200, by_bank(hits, n, -1, filter));
    vg_match_result_fini(&r);
    return rc;
}

/* The answer for media: {"pdq": {BANK: [...]}, "md5": ...} and, with
 * ?include_hashes=true, "hashes" (the query's own). */
static int lookup_media(struct vg_server *s, const struct vg_http_req *req,
                        struct vg_http_resp *resp,
                        const struct vg__api_caller *who, struct vg_matcher *m,
                        const char *filter)
{
    const char *inc = vg_http_query(req, "include_hashes");
    struct vg__api_hit hits[HITS_MAX];
    uint8_t *owned_ = NULL;
    const uint8_t *data;
    struct vg_match_result r;
    struct vg_imagehash h;
    size_t len, n;
    json_t *j;
    int rc;

    if (media_of(s, req, resp, &data, &len, &owned_, &rc) ||
        vg__api_hash(data, len, &h, resp, MSG, &rc)) {
        vg_free(owned_);
        return rc;
    }
    vg_free(owned_);
    if ((rc = vg_matcher_lookup(m, &h, &r, NULL)))
        return rc;
    vg__api_note(s, &r, h.digests.sha256);
    n = vg__api_visible(s, who, &r, hits, HITS_MAX);
    j = json_object();
    for (unsigned a = 0; j && a < vg_algo_count(); a++)
        if (vg_imagehash_value(&h, (enum vg_algo)a, NULL))
            json_object_set_new(j, vg_algo_name((enum vg_algo)a),
                                by_bank(hits, n, (int)a, filter));
    if (j && inc && !strcmp(inc, "true"))
        json_object_set_new(j, "hashes", vg__api_query_hashes(&h));
    vg_match_result_fini(&r);
    return vg__api_json(resp, 200, j);
}

static int lookup(void *ctx, const struct vg_http_req *req,
                  struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_caller who;
    struct vg_matcher *m;
    const char *filter;
    int rc;

    if (vg__api_enter(s, req, resp, MSG, VG__SCOPE_LOOKUP, &who, &rc) ||
        !(m = vg__api_matcher(s, resp, MSG, &rc)) ||
        banks_filter(s, req, &who, &filter, resp, &rc))
        return rc;
    if (!strcmp(req->method, "GET") && !vg_http_query(req, "url"))
        return lookup_signal(s, req, resp, &who, m, filter);
    return lookup_media(s, req, resp, &who, m, filter);
}

/* GET /h/hash?url=, POST /h/hash: the media's hashes. */
static int hash(void *ctx, const struct vg_http_req *req,
                struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg__api_caller who;
    uint8_t *owned_ = NULL;
    const uint8_t *data;
    struct vg_imagehash h;
    json_t *j;
    size_t len;
    int rc;

    if (vg__api_enter(s, req, resp, MSG, VG__SCOPE_HASH, &who, &rc) ||
        media_of(s, req, resp, &data, &len, &owned_, &rc) ||
        vg__api_hash(data, len, &h, resp, MSG, &rc)) {
        vg_free(owned_);
        return rc;
    }
    vg_free(owned_);
    j = vg__api_query_hashes(&h);
    json_object_del(j, "pdq_quality");
    return vg__api_json(resp, 200, j);
}

/* ---- status ---- */

static int index_status(void *ctx, const struct vg_http_req *req,
                        struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;
    struct vg_matcher_status st;
    struct vg__api_caller who;
    struct vg_matcher *m;
    int rc;

    if (vg__api_enter(s, req, resp, MSG, VG__SCOPE_LOOKUP, &who, &rc) ||
        !(m = vg__api_matcher(s, resp, MSG, &rc)))
        return rc;
    vg_matcher_status(m, &st);
    return vg__api_json(resp, 200,
                        json_pack("{s:{s:b, s:I, s:I}}", "pdq", "present", 1,
                                  "built_to",
                                  (json_int_t)(st.synced_at_ms / 1000), "size",
                                  (json_int_t)st.entries));
}

/* GET /status: HMA's liveness, 503 until the index is loaded. */
static int status(void *ctx, const struct vg_http_req *req,
                  struct vg_http_resp *resp)
{
    struct vg_server *s = ctx;

    (void)req;
    if (!s->o.matcher || !s->o.matcher(s->o.matcher_ctx))
        return vg_http_resp_text(resp, 503, "INDEX-NOT-READY", 15);
    return vg_http_resp_text(resp, 200, "I-AM-ALIVE", 10);
}

int vg__hma_routes(struct vg_server *s, struct vg_err *err)
{
    static const char *const methods[] = {"GET", "PUT", "DELETE"};
    struct vg_http_upload up = {s->o.api_max_upload, 1, {0}};
    int rc = VG_OK;

    for (unsigned i = 0; i < 3 && !rc; i++)
        rc = vg_http_route(s->api_http, methods[i], "/c/bank/*", bank_handler,
                           s, err);
    if (rc || /* content uploads */
        (rc = vg_http_route_upload(s->api_http, "POST", "/c/bank/*",
                                   bank_handler, s, &up, err)) ||
        (rc = vg_http_route(s->api_http, "GET", "/c/banks", get_banks, s,
                            err)) ||
        (rc = vg_http_route(s->api_http, "POST", "/c/banks", post_banks, s,
                            err)) ||
        (rc = vg_http_route(s->api_http, "GET", "/m/lookup", lookup, s,
                            err)) ||
        (rc = vg_http_route_upload(s->api_http, "POST", "/m/lookup", lookup, s,
                                   &up, err)) ||
        (rc = vg_http_route(s->api_http, "GET", "/h/hash", hash, s, err)) ||
        (rc = vg_http_route_upload(s->api_http, "POST", "/h/hash", hash, s,
                                   &up, err)) ||
        (rc = vg_http_route(s->api_http, "GET", "/m/index/status",
                            index_status, s, err)) ||
        (rc = vg_http_route(s->api_http, "GET", "/status", status, s, err)))
        return rc;
    return VG_OK;
}
