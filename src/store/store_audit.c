/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit log (vigil/store_people.h): append-only, hash-chained.  A
 * record's hash is over the previous record's hash (none for the first)
 * and this record's fields, each in a fixed encoding: integers as 8 bytes
 * big-endian, texts as their bytes and a NUL (NULL as a lone 0xFF).  A
 * keyed record (from audit_keyed's from_id on, written with the store's
 * key) has HMAC-SHA-256 under the key over "vigil-audit-v2", a NUL, the
 * previous hash, its own number and the fields; an unkeyed one (an older
 * store's, or a store never given a key) SHA-256 over the previous hash
 * and the fields.  The chain is appended to in a write transaction, so
 * two writers cannot fork it, and verified by recomputing it from the
 * start; the triggers of the schema refuse UPDATE and DELETE.
 *
 * The key's rotation (vg_store_audit_rotate) verifies the chain under the
 * old key, then appends under the new key a checkpoint record that states
 * the SHA-256 digest of every record before it (numbers, fields, links,
 * MACs) and starts a new row of audit_keyed: from that record on, MACs are
 * under the new key, and the records before are checked through the
 * digest, so the old key is no longer needed and may be destroyed.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/digest.h"
#include "vigil/store_people.h"

#define HASH_LEN 32

static const char keyed_tag[] = "vigil-audit-v2"; /* with its NUL */

static int put_int(struct vg_buf *b, int64_t v)
{
    uint8_t x[8];

    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    return vg_buf_append(b, x, sizeof(x));
}

static int put_text(struct vg_buf *b, const char *s)
{
    static const uint8_t null_mark = 0xff;

    return s ? vg_buf_append(b, s, strlen(s) + 1)
             : vg_buf_append(b, &null_mark, 1);
}

/*
 * The hash of a record, chained to prev (NULL for the first): keyed_id 0
 * for an unkeyed record (SHA-256), else the record's number (the HMAC
 * under the store's key).
 */
static int record_hash(const struct vg_store *st, const uint8_t *prev,
                       int64_t keyed_id, const struct vg_audit_record *r,
                       uint8_t out[HASH_LEN])
{
    struct vg_buf b;
    unsigned n = 0;
    int rc = VG_OK;

    vg_buf_init(&b, 0);
    if (keyed_id)
        rc = vg_buf_append(&b, keyed_tag, sizeof(keyed_tag));
    if (!rc && prev)
        rc = vg_buf_append(&b, prev, HASH_LEN);
    if (!rc && keyed_id)
        rc = put_int(&b, keyed_id);
    if (rc || (rc = put_int(&b, r->at)) || (rc = put_int(&b, r->actor)) ||
        (rc = put_text(&b, r->action)) ||
        (rc = put_text(&b, r->object_type)) ||
        (rc = put_int(&b, r->object_id)) || (rc = put_text(&b, r->detail))) {
        vg_buf_fini(&b);
        return rc;
    }
    if (keyed_id)
        rc = vg__store_audit_hmac(st, b.data, b.len, out);
    else if (!EVP_Digest(b.data, b.len, out, &n, EVP_sha256(), NULL) ||
             n != HASH_LEN)
        rc = VG_EINTERNAL;
    vg_buf_fini(&b);
    return rc;
}

/*
 * The keyed chain's span: its first keyed record (*from, 0: none, or the
 * store is older) and the first record under the current key (*epoch: the
 * checkpoint of the last key rotation, or *from if the key never changed).
 */
static int keyed_span(struct vg_store *st, int64_t *from, int64_t *epoch,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *from = *epoch = 0;
    if (st->schema < VG__SCHEMA_AUDIT_KEYED)
        return VG_OK;
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT COALESCE(MIN(from_id), 0),"
                              " COALESCE(MAX(from_id), 0) FROM audit_keyed",
                              "")))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        *from = st->ops->col_int(s, 0);
        *epoch = st->ops->col_int(s, 1);
        rc = VG_OK;
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

/* The last record's number and hash (*id 0: the log is empty). */
static int last_record(struct vg_store *st, int64_t *id, int64_t *at,
                       uint8_t hash[HASH_LEN], struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *id = 0;
    *at = 0;
    memset(hash, 0, HASH_LEN);
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT id, at, hash FROM audit_log"
                              " ORDER BY id DESC LIMIT 1",
                              "")))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        size_t n = 0;
        const uint8_t *h = st->ops->col_blob(s, 2, &n);
        *id = st->ops->col_int(s, 0);
        *at = st->ops->col_int(s, 1);
        if (h && n == HASH_LEN)
            memcpy(hash, h, HASH_LEN);
        rc = VG_OK;
    }
    st->ops->finalize(s);
    return rc;
}

void vg_store_set_operator(struct vg_store *st, const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n > VG_OPERATOR_MAX)
        n = VG_OPERATOR_MAX;
    memcpy(st->operator_name, name ? name : "", n);
    st->operator_name[n] = '\0';
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

/* Does record id match its MAC under the store's key?  1, 0, or an error
 * (VG_ENOENT: no such record). */
static int record_keyed_ok(struct vg_store *st, int64_t id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    uint8_t want[HASH_LEN];
    const uint8_t *p, *h;
    size_t np = 0, nh = 0;
    int rc;

    if ((rc = vg__store_query(st, &s, err, AUDIT_SELECT " WHERE id = ?", "i",
                              id)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_audit_record r = row(st, s);
        p = st->ops->col_blob(s, 7, &np);
        h = st->ops->col_blob(s, 8, &nh);
        if ((p && np != HASH_LEN) || !h || nh != HASH_LEN)
            rc = 0;
        else if (!(rc = record_hash(st, p, id, &r, want)))
            rc = !CRYPTO_memcmp(h, want, HASH_LEN);
    } else if (rc == VG__DONE) {
        rc = VG_ENOENT;
    }
    st->ops->finalize(s);
    return rc;
}

/*
 * Before an append: is the store's key the one the log is keyed with from
 * epoch on?  Known once checked (st->audit_epoch); when the epoch moved (a
 * rotation by another process), the key file is read again and the new
 * epoch's first record checked under it.  VG_EACCES if the key does not
 * match: records made with a key the log no longer uses would break it.
 */
static int check_epoch(struct vg_store *st, int64_t epoch, struct vg_err *err)
{
    uint8_t held[HASH_LEN];
    int ok;

    if (!st->audit_keyed || epoch == st->audit_epoch)
        return VG_OK;
    if (epoch && (ok = record_keyed_ok(st, epoch, err)) == 0) {
        memcpy(held, st->audit_key, HASH_LEN);
        if (vg__store_audit_reload(st) ||
            (ok = record_keyed_ok(st, epoch, err)) != 1)
            memcpy(st->audit_key, held, HASH_LEN);
        OPENSSL_cleanse(held, HASH_LEN);
    }
    if (epoch && ok < 0)
        return ok;
    if (epoch && !ok)
        return vg_err_set(err, VG_EACCES,
                          "the audit log is keyed from record %lld with"
                          " another key than this store's (the audit key"
                          " was rotated: give the new key file)",
                          (long long)epoch);
    st->audit_epoch = epoch;
    return VG_OK;
}

/* Chain record r to the last one and insert it (keyed with the store's
 * key; refused without it once the chain is keyed). */
static int append(struct vg_store *st, const struct vg_audit_record *r,
                  struct vg_err *err)
{
    uint8_t prev[HASH_LEN], hash[HASH_LEN];
    struct vg__stmt *s = NULL;
    int64_t last = 0, at = 0, from = 0, epoch = 0, id;
    int keyed, rc;

    if ((rc = last_record(st, &last, &at, prev, err)) ||
        (rc = keyed_span(st, &from, &epoch, err)))
        return rc;
    if (from && !st->audit_keyed)
        return vg_err_set(err, VG_EACCES,
                          "the audit log is keyed from record %lld: this"
                          " store was opened without its audit key",
                          (long long)from);
    if ((rc = check_epoch(st, epoch, err)))
        return rc;
    id = last + 1;
    keyed = st->audit_keyed && st->schema >= VG__SCHEMA_AUDIT_KEYED;
    if ((rc = record_hash(st, last ? prev : NULL, keyed ? id : 0, r, hash)))
        return vg_err_set(err, rc, "cannot hash the audit record");
    /* the first record's prev_hash is NULL; the id is given (the MAC
       covers it), which PostgreSQL's identity (BY DEFAULT) allows */
    rc = vg__store_query(
        st, &s, err,
        "INSERT INTO audit_log (id, at, user_id, action, object_type,"
        " object_id, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "iiittitbb", id, r->at, r->actor, r->action, r->object_type,
        r->object_id, r->detail, last ? prev : NULL, (size_t)HASH_LEN, hash,
        (size_t)HASH_LEN);
    if (!rc)
        rc = vg__store_run(st, s, err);
    if (!rc && keyed && !from &&
        !(rc = vg__store_query(st, &s, err,
                               "INSERT INTO audit_keyed (from_id) VALUES (?)",
                               "i", id)) &&
        !(rc = vg__store_run(st, s, err)))
        st->audit_epoch = id;
    if (!rc && keyed) {
        st->pending_id = id;
        st->pending_at = r->at;
        memcpy(st->pending_mac, hash, HASH_LEN);
    }
    return rc;
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

int vg_store_audit(struct vg_store *st, int64_t before, int64_t limit,
                   int (*cb)(void *ctx, const struct vg_audit_record *r),
                   void *ctx, int64_t *next, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t first = 0, n = 0, older = 0;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT * FROM (" AUDIT_SELECT " WHERE ? = 0 OR"
                         " id < ? ORDER BY id DESC LIMIT ?) AS last ORDER"
                         " BY id",
                         "iii", before, before, limit > 0 ? limit : INT64_MAX);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_audit_record r = row(st, s);
        first = n++ ? first : r.id;
        rc = cb(ctx, &r);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    /* older records than the page's first: the page stopped early */
    if (!rc && next && n && n == limit &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT count(*) FROM audit_log WHERE id < ?",
                               "i", first)))
        rc = vg__store_scalar(st, s, &older, err);
    if (!rc && next)
        *next = older ? first : 0;
    UNLOCK(st);
    return rc;
}

/* A walk of the chain. */
struct walk {
    uint8_t prev[HASH_LEN];
    uint8_t digest[HASH_LEN]; /* of the records walked (digest_add) */
    int64_t n, last, from, epoch;
};

/*
 * The walk's digest moved over record r: SHA-256 of the digest so far and
 * r's number, fields, link and hash, so it fixes every record before,
 * whatever key made their MACs.
 */
static int digest_add(struct walk *w, const struct vg_audit_record *r,
                      const uint8_t *prev, const uint8_t *h)
{
    struct vg_buf b;
    unsigned n = 0;
    int rc;

    vg_buf_init(&b, 0);
    if (!(rc = vg_buf_append(&b, w->digest, HASH_LEN)) &&
        !(rc = put_int(&b, r->id)) && !(rc = put_int(&b, r->at)) &&
        !(rc = put_int(&b, r->actor)) && !(rc = put_text(&b, r->action)) &&
        !(rc = put_text(&b, r->object_type)) &&
        !(rc = put_int(&b, r->object_id)) && !(rc = put_text(&b, r->detail)) &&
        !(rc = vg_buf_append(&b, prev ? prev : w->digest, HASH_LEN)) &&
        !(rc = vg_buf_append(&b, h, HASH_LEN)) &&
        (!EVP_Digest(b.data, b.len, w->digest, &n, EVP_sha256(), NULL) ||
         n != HASH_LEN))
        rc = VG_EINTERNAL;
    vg_buf_fini(&b);
    return rc;
}

#define CHECKPOINT_TAG "sha256 "

/* The checkpoint record r of a key rotation: does the digest it states
 * (after CHECKPOINT_TAG in its detail) match the walk's? */
static int checkpoint_ok(const struct walk *w, const struct vg_audit_record *r)
{
    const char *p = r->detail ? strstr(r->detail, CHECKPOINT_TAG) : NULL;
    uint8_t d[HASH_LEN];

    return r->action && !strcmp(r->action, "audit.key_rotated") && p &&
           strlen(p + strlen(CHECKPOINT_TAG)) >= 2 * HASH_LEN &&
           !vg_hex_decode(p + strlen(CHECKPOINT_TAG), 2 * HASH_LEN, d,
                          HASH_LEN) &&
           !CRYPTO_memcmp(d, w->digest, HASH_LEN);
}

/* Check record r's hash h (its link is checked) against the walk so far. */
static int check_hash(struct vg_store *st, const struct walk *w,
                      const struct vg_audit_record *r, const uint8_t *h,
                      struct vg_audit_verdict *v, struct vg_err *err)
{
    int keyed = w->from && r->id >= w->from, rc;
    uint8_t want[HASH_LEN];

    if (keyed && !st->audit_keyed) {
        v->unchecked++; /* only its link could be checked */
        return VG_OK;
    }
    if (keyed && r->id < w->epoch)
        return VG_OK; /* an older key's: the checkpoint's digest fixes it */
    if (keyed && r->id == w->epoch && w->epoch > w->from &&
        !checkpoint_ok(w, r)) {
        v->bad = r->id;
        return vg_err_set(err, VG_ECORRUPT,
                          "audit record %lld is not the checkpoint of the"
                          " audit key's rotation, or the records before it"
                          " changed since",
                          (long long)r->id);
    }
    if ((rc = record_hash(st, w->n ? w->prev : NULL, keyed ? r->id : 0, r,
                          want)))
        return vg_err_set(err, rc, "cannot hash the audit record");
    if (CRYPTO_memcmp(h, want, HASH_LEN)) {
        v->bad = r->id;
        return vg_err_set(
            err, VG_ECORRUPT,
            keyed ? "audit record %lld does not match its MAC (changed,"
                    " rechained without the key, or made with another"
                    " key)"
                  : "audit record %lld was changed (its hash does not"
                    " match its contents)",
            (long long)r->id);
    }
    return VG_OK;
}

/* Check the record at s against the walk so far, and move on. */
static int check_record(struct vg_store *st, struct vg__stmt *s,
                        struct walk *w, struct vg_audit_verdict *v,
                        struct vg_err *err)
{
    struct vg_audit_record r = row(st, s);
    size_t np = 0, nh = 0;
    const uint8_t *p = st->ops->col_blob(s, 7, &np);
    const uint8_t *h = st->ops->col_blob(s, 8, &nh);
    int rc;

    if ((w->n && (!p || np != HASH_LEN || memcmp(p, w->prev, HASH_LEN))) ||
        (!w->n && p)) {
        v->bad = r.id;
        return vg_err_set(err, VG_ECORRUPT,
                          "audit record %lld does not follow the one before"
                          " (a record was removed, inserted or reordered)",
                          (long long)r.id);
    }
    if (!h || nh != HASH_LEN) {
        v->bad = r.id;
        return vg_err_set(err, VG_ECORRUPT, "audit record %lld has no hash",
                          (long long)r.id);
    }
    if ((rc = check_hash(st, w, &r, h, v, err)) ||
        (rc = digest_add(w, &r, p, h)))
        return rc;
    memcpy(w->prev, h, HASH_LEN);
    w->n++;
    w->last = r.id;
    return VG_OK;
}

/* Walk the whole chain (store held). */
static int walk_all(struct vg_store *st, struct walk *w,
                    struct vg_audit_verdict *v, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    memset(w, 0, sizeof(*w));
    memset(v, 0, sizeof(*v));
    if (!(rc = keyed_span(st, &w->from, &w->epoch, err)))
        rc = vg__store_query(st, &s, err, AUDIT_SELECT " ORDER BY id", "");
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW)
        rc = check_record(st, s, w, v, err);
    if (rc == VG__DONE)
        rc = VG_OK;
    if (s)
        st->ops->finalize(s);
    v->count = w->n;
    v->keyed_from = w->from;
    v->rotated_at = w->epoch > w->from ? w->epoch : 0;
    return rc;
}

int vg_store_audit_verify(struct vg_store *st, struct vg_audit_verdict *v,
                          struct vg_err *err)
{
    struct walk w;
    int rc;

    LOCK(st);
    rc = walk_all(st, &w, v, err);
    UNLOCK(st);
    return rc;
}

/* The checkpoint under the new key (store held, in the write transaction,
 * the chain walked into w under the old key). */
static int checkpoint(struct vg_store *st, const struct walk *w,
                      struct vg_err *err)
{
    char detail[160], hex[2 * HASH_LEN + 1];
    struct vg__stmt *s = NULL;
    int rc;

    vg_hex_encode(w->digest, HASH_LEN, hex);
    snprintf(detail, sizeof(detail), "records 1 to %lld: " CHECKPOINT_TAG "%s",
             (long long)w->last, hex);
    st->audit_epoch = w->epoch; /* the new key, taken as the log's */
    if ((rc = vg__store_audit(st, 0, "audit.key_rotated", "audit_log", w->last,
                              detail, err)))
        return rc;
    /* the first keyed record inserted its own row */
    if (w->from &&
        !(rc = vg__store_query(st, &s, err,
                               "INSERT INTO audit_keyed (from_id) VALUES (?)",
                               "i", w->last + 1)) &&
        !(rc = vg__store_run(st, s, err)))
        st->audit_epoch = w->last + 1;
    return rc;
}

int vg_store_audit_rotate(struct vg_store *st, const uint8_t key[32],
                          int64_t *at, struct vg_err *err)
{
    struct vg_audit_verdict v;
    uint8_t held[HASH_LEN];
    int64_t epoch = st->audit_epoch;
    struct walk w;
    int rc;

    *at = 0;
    LOCK(st);
    if (!st->audit_keyed || st->schema < VG__SCHEMA_AUDIT_KEYED) {
        rc = vg_err_set(err, VG_EACCES,
                        "rotating the audit key needs the"
                        " current key");
        goto unlock;
    }
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    memcpy(held, st->audit_key, HASH_LEN);
    if (!(rc = walk_all(st, &w, &v, err))) {
        memcpy(st->audit_key, key, HASH_LEN);
        rc = checkpoint(st, &w, err);
    }
    if ((rc = vg__store_end(st, rc, err))) {
        memcpy(st->audit_key, held, HASH_LEN);
        st->audit_epoch = epoch;
    } else {
        *at = w.last + 1;
    }
    OPENSSL_cleanse(held, HASH_LEN);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_audit_head(struct vg_store *st, struct vg_audit_head *h,
                        struct vg_err *err)
{
    char mac[2 * HASH_LEN + 1], text[128];
    int rc;

    memset(h, 0, sizeof(*h));
    LOCK(st);
    rc = last_record(st, &h->seq, &h->at, h->mac, err);
    if (!rc && h->seq && st->audit_keyed) {
        vg_hex_encode(h->mac, HASH_LEN, mac);
        snprintf(text, sizeof(text), "vigil-audit-head %lld %s",
                 (long long)h->seq, mac);
        if (!(rc = vg__store_audit_hmac(st, text, strlen(text), h->sig)))
            h->is_signed = 1;
    }
    UNLOCK(st);
    return rc;
}

int vg_store_audit_check_head(struct vg_store *st, int64_t seq,
                              const uint8_t mac[VG_AUDIT_MAC_LEN],
                              struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    uint8_t last_mac[HASH_LEN];
    int64_t last = 0, at = 0;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT hash FROM audit_log WHERE id = ?", "i", seq);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        size_t n = 0;
        const uint8_t *h = st->ops->col_blob(s, 0, &n);
        rc = h && n == HASH_LEN && !CRYPTO_memcmp(h, mac, HASH_LEN)
                 ? VG_OK
                 : vg_err_set(err, VG_ECORRUPT,
                              "audit record %lld differs from the kept head"
                              " (changed or rechained)",
                              (long long)seq);
    } else if (rc == VG__DONE &&
               !(rc = last_record(st, &last, &at, last_mac, err))) {
        rc = seq > last ? vg_err_set(err, VG_ECORRUPT,
                                     "the audit log was cut: the kept head"
                                     " is record %lld, the log ends at"
                                     " record %lld",
                                     (long long)seq, (long long)last)
                        : vg_err_set(err, VG_ECORRUPT,
                                     "audit record %lld of the kept head is"
                                     " gone",
                                     (long long)seq);
    }
    if (s)
        st->ops->finalize(s);
    UNLOCK(st);
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

#define AUDIT_PAGE_FROM                                                       \
    "SELECT a.id, a.at, a.user_id, u.username, a.action, a.object_type,"      \
    " a.object_id, a.detail FROM audit_log a LEFT JOIN users u ON u.id ="     \
    " a.user_id"

/* Records above id into *n (store held). */
static int audit_count(struct vg_store *st, int64_t above, int64_t *n,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = vg__store_query(st, &s, err,
                             "SELECT count(*) FROM audit_log WHERE id > ?",
                             "i", above);

    return rc ? rc : vg__store_scalar(st, s, n, err);
}

/* The page's rows (one more than limit, to know whether another
 * follows), newest first, and its neighbours' cursors. */
static int audit_rows(struct vg_store *st, int64_t before, int64_t after,
                      int64_t limit, struct vg_audit_page *p,
                      struct vg_err *err)
{
    int more, rc;

    if (after)
        rc = vg__store_list(st, &p->v, &p->n, sizeof(*p->v), audit_row,
                            &p->strings, err,
                            AUDIT_PAGE_FROM " WHERE a.id > ? ORDER BY a.id"
                                            " LIMIT ?",
                            "ii", after, limit + 1);
    else
        rc = vg__store_list(st, &p->v, &p->n, sizeof(*p->v), audit_row,
                            &p->strings, err,
                            AUDIT_PAGE_FROM " WHERE (? = 0 OR a.id < ?) ORDER"
                                            " BY a.id DESC LIMIT ?",
                            "iii", before, before, limit + 1);
    if (rc || !p->n)
        return rc;
    if ((more = p->n > (size_t)limit))
        p->n = (size_t)limit;
    for (size_t i = 0; after && i < p->n / 2; i++) { /* newest first */
        struct vg_audit_entry t = p->v[i];
        p->v[i] = p->v[p->n - 1 - i];
        p->v[p->n - 1 - i] = t;
    }
    p->next = after || more ? p->v[p->n - 1].r.id : 0;
    p->prev = before || (after && more) ? p->v[0].r.id : 0;
    return VG_OK;
}

int vg_store_audit_recent(struct vg_store *st, int64_t before_id,
                          int64_t after_id, int64_t limit,
                          struct vg_audit_page **out, struct vg_err *err)
{
    struct vg_audit_page *p = vg_calloc(1, sizeof(*p));
    int rc;

    *out = NULL;
    if (!p)
        return VG_ENOMEM;
    rc = audit_rows(st, before_id, after_id, limit, p, err);
    LOCK(st);
    if (!rc)
        rc = audit_count(st, 0, &p->total, err);
    if (!rc && p->n)
        rc = audit_count(st, p->v[0].r.id, &p->from, err);
    UNLOCK(st);
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
