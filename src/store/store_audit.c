/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log (vigil/store_people.h): append-only, hash-chained.  A record's
 * hash is SHA-256 of the previous record's hash (none for the first) and
 * of this record's fields, each in a fixed encoding: integers as 8 bytes
 * big-endian, texts as their bytes and a NUL (NULL as a lone 0xFF).  The
 * chain is appended to in a write transaction, so two writers cannot fork
 * it, and verified by recomputing it from the start.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/store_people.h"

#define HASH_LEN 32

static void put_int(EVP_MD_CTX *m, int64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    EVP_DigestUpdate(m, b, sizeof(b));
}

static void put_text(EVP_MD_CTX *m, const char *s)
{
    static const uint8_t null_mark = 0xff;

    if (s)
        EVP_DigestUpdate(m, s, strlen(s) + 1);
    else
        EVP_DigestUpdate(m, &null_mark, 1);
}

/* The hash of a record, chained to prev (NULL for the first). */
static int record_hash(const uint8_t *prev, const struct vg_audit_record *r,
                       uint8_t out[HASH_LEN])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned n = 0;
    int ok;

    if (!m)
        return VG_ENOMEM;
    ok = EVP_DigestInit_ex(m, EVP_sha256(), NULL);
    if (ok && prev)
        EVP_DigestUpdate(m, prev, HASH_LEN);
    if (ok) {
        put_int(m, r->at);
        put_int(m, r->actor);
        put_text(m, r->action);
        put_text(m, r->object_type);
        put_int(m, r->object_id);
        put_text(m, r->detail);
        ok = EVP_DigestFinal_ex(m, out, &n) && n == HASH_LEN;
    }
    EVP_MD_CTX_free(m);
    return ok ? VG_OK : VG_EINTERNAL;
}

void vg_store_set_operator(struct vg_store *st, const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n > VG_OPERATOR_MAX)
        n = VG_OPERATOR_MAX;
    memcpy(st->operator_name, name ? name : "", n);
    st->operator_name[n] = '\0';
}

/* Chain record r to the last one and insert it. */
static int append(struct vg_store *st, const struct vg_audit_record *r,
                  struct vg_err *err)
{
    uint8_t prev[HASH_LEN], hash[HASH_LEN];
    struct vg__stmt *s = NULL;
    int have_prev = 0, rc;

    if ((rc = vg__store_query(st, &s, err,
                              "SELECT hash FROM audit_log ORDER BY id DESC"
                              " LIMIT 1",
                              "")))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        size_t n = 0;
        const uint8_t *h = st->ops->col_blob(s, 0, &n);
        if (h && n == HASH_LEN) {
            memcpy(prev, h, HASH_LEN);
            have_prev = 1;
        }
        rc = VG_OK;
    }
    st->ops->finalize(s);
    if (rc < 0)
        return rc;
    if ((rc = record_hash(have_prev ? prev : NULL, r, hash)))
        return vg_err_set(err, rc, "cannot hash the audit record");
    /* the first record's prev_hash is NULL */
    rc = vg__store_query(
        st, &s, err,
        "INSERT INTO audit_log (at, user_id, action, object_type, object_id,"
        " detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "iittitbb", r->at, r->actor, r->action, r->object_type, r->object_id,
        r->detail, have_prev ? prev : NULL, (size_t)HASH_LEN, hash,
        (size_t)HASH_LEN);
    return rc ? rc : vg__store_run(st, s, err);
}

int vg__store_audit(struct vg_store *st, int64_t actor, const char *action,
                    const char *object_type, int64_t object_id,
                    const char *detail, struct vg_err *err)
{
    struct vg_audit_record r = {0,           (int64_t)time(NULL),
                                actor,       action,
                                object_type, detail ? detail : "",
                                object_id};
    struct vg_buf named;
    int rc = VG_OK;

    if (st->schema < VG__SCHEMA_AUDIT)
        return VG_OK;
    /* the operator's name goes into the detail, so it is under the hash
     * with the rest of the record */
    vg_buf_init(&named, 0);
    if (!actor && st->operator_name[0]) {
        if ((rc = vg_buf_printf(&named, "[%s]%s%s", st->operator_name,
                                *r.detail ? " " : "", r.detail)))
            rc = vg_err_set(err, rc, "out of memory");
        r.detail = named.data;
    }
    if (!rc)
        rc = append(st, &r, err);
    vg_buf_fini(&named);
    return rc;
}

int vg_store_audit_append(struct vg_store *st, int64_t actor,
                          const char *action, const char *object_type,
                          int64_t object_id, const char *detail,
                          struct vg_err *err)
{
    int rc;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = vg__store_audit(st, actor, action, object_type, object_id, detail,
                             err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

#define AUDIT_SELECT                                                          \
    "SELECT id, at, COALESCE(user_id, 0), action, object_type,"               \
    " COALESCE(object_id, 0), detail, prev_hash, hash FROM audit_log"

static struct vg_audit_record row(struct vg_store *st, struct vg__stmt *s)
{
    return (struct vg_audit_record){st->ops->col_int(s, 0),
                                    st->ops->col_int(s, 1),
                                    st->ops->col_int(s, 2),
                                    st->ops->col_text(s, 3),
                                    st->ops->col_text(s, 4),
                                    st->ops->col_text(s, 6),
                                    st->ops->col_int(s, 5)};
}

int vg_store_audit(struct vg_store *st, int64_t limit,
                   int (*cb)(void *ctx, const struct vg_audit_record *r),
                   void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT * FROM (" AUDIT_SELECT " ORDER BY id DESC"
                         " LIMIT ?) ORDER BY id",
                         "i", limit > 0 ? limit : INT64_MAX);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_audit_record r = row(st, s);
        rc = cb(ctx, &r);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

int vg_store_audit_verify(struct vg_store *st, int64_t *count, int64_t *bad,
                          struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    uint8_t prev[HASH_LEN], want[HASH_LEN];
    int64_t n = 0;
    int have_prev = 0, rc;

    *count = 0;
    *bad = 0;
    LOCK(st);
    rc = vg__store_query(st, &s, err, AUDIT_SELECT " ORDER BY id", "");
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_audit_record r = row(st, s);
        size_t np = 0, nh = 0;
        const uint8_t *p = st->ops->col_blob(s, 7, &np);
        const uint8_t *h = st->ops->col_blob(s, 8, &nh);

        rc = VG_OK;
        if ((have_prev &&
             (!p || np != HASH_LEN || memcmp(p, prev, HASH_LEN))) ||
            (!have_prev && p)) {
            *bad = r.id;
            rc = vg_err_set(err, VG_ECORRUPT,
                            "audit record %lld does not follow record %lld"
                            " (a record was removed, inserted or reordered)",
                            (long long)r.id, (long long)(n ? r.id - 1 : 0));
            break;
        }
        if ((rc = record_hash(have_prev ? prev : NULL, &r, want)))
            break;
        if (!h || nh != HASH_LEN || memcmp(h, want, HASH_LEN)) {
            *bad = r.id;
            rc = vg_err_set(err, VG_ECORRUPT,
                            "audit record %lld was changed (its hash does not"
                            " match its contents)",
                            (long long)r.id);
            break;
        }
        memcpy(prev, h, HASH_LEN);
        have_prev = 1;
        n++;
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    if (!rc)
        *count = n;
    return rc;
}

/* One audit_log row of vg_store_audit_recent into an entry. */
static void audit_row(struct vg_store *st, struct vg__stmt *s, void *elem,
                      struct vg_store_strings **pool, int *oom)
{
    struct vg_audit_entry *e = elem;

    e->r.id = st->ops->col_int(s, 0);
    e->r.at = st->ops->col_int(s, 1);
    e->r.actor = st->ops->col_int(s, 2);
    e->username = VG__TEXT(3);
    e->r.action = VG__TEXT(4);
    e->r.object_type = VG__TEXT(5);
    e->r.object_id = st->ops->col_int(s, 6);
    e->r.detail = VG__TEXT(7);
}

int vg_store_audit_recent(struct vg_store *st, int64_t before_id,
                          int64_t limit, struct vg_audit_page **out,
                          struct vg_err *err)
{
    struct vg_audit_page *p = vg_calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (!p)
        return VG_ENOMEM;
    rc = vg__store_list(st, &p->v, &p->n, sizeof(*p->v), audit_row,
                        &p->strings, err,
                        "SELECT a.id, a.at, a.user_id, u.username,"
                        " a.action, a.object_type, a.object_id,"
                        " a.detail FROM audit_log a LEFT JOIN users u"
                        " ON u.id = a.user_id WHERE (? = 0 OR a.id <"
                        " ?) ORDER BY a.id DESC LIMIT ?",
                        "iii", before_id, before_id, limit);
    if (rc) {
        vg_audit_page_free(p);
        return rc;
    }
    *out = p;
    return VG_OK;
}

void vg_audit_page_free(struct vg_audit_page *p)
{
    if (!p)
        return;
    vg__store_strings_free(p->strings);
    vg_free(p->v);
    vg_free(p);
}
