/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Media review (vigil/store_review.h): the queue of media awaiting
 * analysts, one item with its evidence, and votes.  A vote, the decision
 * it may bring (entries on the verified list, the item out of the queue,
 * its thumbnail deleted) and their audit records are one write
 * transaction, so two analysts voting at once are serialised and a
 * decision is made exactly once.  Which reports led to a media is derived,
 * not stored: the media's URL, its page, and the page's parents in the
 * crawl's frontier, matched against reported URLs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/vocab.h"
#include "vigil/digest.h"
#include "vigil/store_review.h"

/* A media's value of one algorithm (media_hashes), as a column. */
#define MEDIA_HASH(algo)                                                          \
    "(SELECT value FROM media_hashes WHERE media_id = media.id AND algo = '" algo \
    "')"
#define MEDIA_PDQ_QUALITY                                                     \
    "(SELECT quality FROM media_hashes WHERE media_id = media.id AND"         \
    " algo = 'pdq')"

/* The classes are the rows of the VG_VOCAB_REVIEW_CLASS table, in enum
 * order; whether a class's hashes join the verified list is its
 * VG_VOCAB_ACTIONABLE flag. */
const char *vg_review_class_name(enum vg_review_class c)
{
    return vg_vocab_code(VG_VOCAB_REVIEW_CLASS, (size_t)c);
}

int vg_review_class_parse(const char *s, enum vg_review_class *out)
{
    int i = vg_vocab_find(VG_VOCAB_REVIEW_CLASS, s);

    if (i < 0)
        return VG_EINVAL;
    *out = (enum vg_review_class)i;
    return VG_OK;
}

static int actionable(enum vg_review_class c)
{
    const struct vg_vocab_row *r = vg_vocab_row(VG_VOCAB_REVIEW_CLASS,
                                                (size_t)c);

    return r && (r->flags & VG_VOCAB_ACTIONABLE);
}

/* hex of a blob column of n bytes into out (2n+1), "" if not that size */
static void col_hex(struct vg_store *st, struct vg__stmt *s, int i, size_t n,
                    char *out)
{
    size_t got = 0;
    const uint8_t *b = st->ops->col_blob(s, i, &got);

    if (b && got == n)
        vg_hex_encode(b, n, out);
    else
        out[0] = 0;
}

/*
 * The reports whose URLs led to media_id, up to max, into out (store
 * locked).  The chain: each sighting's URL and page, then the parents of
 * those in the sighting's crawl (UNION ends cycles).
 */
static int media_reports(struct vg_store *st, int64_t media_id,
                         struct vg_review_report *out, size_t max, size_t *n,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    size_t k = 0;
    int rc;

    rc = vg__store_query(
        st, &s, err,
        "WITH RECURSIVE chain(crawl_id, url_id) AS ("
        " SELECT crawl_id, url_id FROM sightings WHERE media_id = ?"
        "  AND crawl_id IS NOT NULL"
        " UNION SELECT crawl_id, page_url_id FROM sightings WHERE media_id = ?"
        "  AND crawl_id IS NOT NULL AND page_url_id IS NOT NULL"
        " UNION SELECT c.crawl_id, f.parent_url_id FROM chain c"
        "  JOIN frontier f ON f.crawl_id = c.crawl_id AND f.url_id = c.url_id"
        "  WHERE f.parent_url_id IS NOT NULL)"
        " SELECT DISTINCT r.id, r.reference FROM chain"
        " JOIN report_urls ru ON ru.url_id = chain.url_id"
        " JOIN reports r ON r.id = ru.report_id ORDER BY r.id LIMIT ?",
        "iii", media_id, media_id, (int64_t)max);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *ref = st->ops->col_text(s, 1);
        out[k].id = st->ops->col_int(s, 0);
        snprintf(out[k].reference, sizeof(out[k].reference), "%s",
                 ref ? ref : "");
        k++;
        rc = VG_OK;
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    *n = k;
    return rc;
}

/* ---- the queue ---- */

#define QUEUE_WHERE                                                           \
    " WHERE m.review = 'pending' AND (? = 0 OR NOT EXISTS (SELECT 1 FROM"     \
    " reviews v WHERE v.media_id = m.id AND v.user_id = ?))"

int vg_store_review_queue(struct vg_store *st, int64_t viewer, unsigned flags,
                          int64_t limit, int64_t offset,
                          int (*cb)(void *ctx,
                                    const struct vg_review_item *it),
                          void *ctx, int64_t *total, struct vg_err *err)
{
    struct vg_review_report reports[VG_REVIEW_REPORTS_MAX];
    struct vg__stmt *s = NULL;
    int64_t unvoted = (flags & VG_REVIEW_QUEUE_UNVOTED) && viewer ? 1 : 0;
    int rc;

    LOCK(st);
    /* one snapshot for the count and the page */
    if ((rc = vg__store_exec(st, "BEGIN", err)))
        goto unlock;
    if (total &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT COUNT(*) FROM media m" QUEUE_WHERE,
                               "ii", unvoted, viewer)))
        rc = vg__store_scalar(st, s, total, err);
    if (rc)
        goto end;
    rc = vg__store_query(
        st, &s, err,
        "SELECT m.id, m.sha256, m.format, m.width, m.height, m.bytes,"
        " m.first_seen_at, m.review_queued_at,"
        " (SELECT COUNT(*) FROM sightings g WHERE g.media_id = m.id),"
        " (SELECT COUNT(*) FROM reviews v WHERE v.media_id = m.id),"
        " (SELECT v.classification FROM reviews v WHERE v.media_id = m.id"
        "  AND v.user_id = ?),"
        " u.url, p.url, g.crawl_id, g.seen_at"
        " FROM media m"
        " LEFT JOIN sightings g ON g.id = (SELECT MAX(id) FROM sightings"
        "  WHERE media_id = m.id)"
        " LEFT JOIN urls u ON u.id = g.url_id"
        " LEFT JOIN urls p ON p.id = g.page_url_id" QUEUE_WHERE
        " ORDER BY m.review_queued_at, m.id LIMIT ? OFFSET ?",
        "iiiii", viewer, unvoted, viewer, limit > 0 ? limit : INT64_MAX,
        offset > 0 ? offset : 0);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_review_item it = {
            .media_id = st->ops->col_int(s, 0),
            .format = st->ops->col_text(s, 2),
            .width = (unsigned)st->ops->col_int(s, 3),
            .height = (unsigned)st->ops->col_int(s, 4),
            .bytes = st->ops->col_int(s, 5),
            .first_seen_at = st->ops->col_int(s, 6),
            .queued_at = st->ops->col_int(s, 7),
            .sightings = st->ops->col_int(s, 8),
            .votes = st->ops->col_int(s, 9),
            .my_vote = st->ops->col_text(s, 10),
            .url = st->ops->col_text(s, 11),
            .page_url = st->ops->col_text(s, 12),
            .crawl_id = st->ops->col_int(s, 13),
            .seen_at = st->ops->col_int(s, 14),
            .reports = reports,
        };
        col_hex(st, s, 1, 32, it.sha256);
        if (!it.url)
            it.url = "";
        if (!(rc = media_reports(st, it.media_id, reports,
                                 VG_REVIEW_REPORTS_MAX, &it.nreports, err)))
            rc = cb(ctx, &it);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
end:
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

/* ---- one item ---- */

/* A copy of a text column (NULL stays NULL); *oom set on failure. */
static char *dup_col(struct vg_store *st, struct vg__stmt *s, int i, int *oom)
{
    const char *t = st->ops->col_text(s, i);
    char *d = t ? vg_strdup(t) : NULL;

    if (t && !d)
        *oom = 1;
    return d;
}

void vg_review_media_free(struct vg_review_media *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nsightings; i++) {
        vg_free(m->sightings[i].url);
        vg_free(m->sightings[i].page_url);
        vg_free(m->sightings[i].server_ip);
    }
    for (size_t i = 0; i < m->ndetections; i++) {
        vg_free(m->detections[i].list);
        vg_free(m->detections[i].category);
        vg_free(m->detections[i].algo);
        vg_free(m->detections[i].variant);
    }
    for (size_t i = 0; i < m->nvotes; i++) {
        vg_free(m->votes[i].username);
        vg_free(m->votes[i].classification);
    }
    vg_free(m->sightings);
    vg_free(m->detections);
    vg_free(m->votes);
    vg_free(m->reports);
    vg_free(m->format);
    vg_free(m->review);
    vg_free(m->classification);
    vg_free(m->thumbnail);
    vg_free(m);
}

static int media_row(struct vg_store *st, int64_t id,
                     struct vg_review_media *m, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc, oom = 0;

    if ((rc = vg__store_query(
             st, &s, err,
             "SELECT id, sha256, " MEDIA_HASH("md5") ", " MEDIA_HASH("sha1") ", " MEDIA_HASH(
                 "pdq") ", " MEDIA_PDQ_QUALITY ","
                        " format, width, height, bytes, first_seen_at,"
                        " review, classification, review_queued_at,"
                        " reviewed_at, thumbnail, (SELECT COUNT(*) FROM"
                        " sightings WHERE media_id = media.id),"
                        " (SELECT COUNT(*) FROM detections WHERE"
                        " media_id = media.id) FROM media WHERE id = ?",
             "i", id)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        size_t n = 0;
        const uint8_t *thumb = st->ops->col_blob(s, 15, &n);

        m->id = st->ops->col_int(s, 0);
        col_hex(st, s, 1, 32, m->sha256);
        col_hex(st, s, 2, 16, m->md5);
        col_hex(st, s, 3, 20, m->sha1);
        col_hex(st, s, 4, 32, m->pdq);
        m->pdq_quality = m->pdq[0] ? (int)st->ops->col_int(s, 5) : -1;
        m->format = dup_col(st, s, 6, &oom);
        m->width = (unsigned)st->ops->col_int(s, 7);
        m->height = (unsigned)st->ops->col_int(s, 8);
        m->bytes = st->ops->col_int(s, 9);
        m->first_seen_at = st->ops->col_int(s, 10);
        m->review = dup_col(st, s, 11, &oom);
        m->classification = dup_col(st, s, 12, &oom);
        m->queued_at = st->ops->col_int(s, 13);
        m->reviewed_at = st->ops->col_int(s, 14);
        m->sightings_total = st->ops->col_int(s, 16);
        m->detections_total = st->ops->col_int(s, 17);
        if (thumb && n) {
            if ((m->thumbnail = vg_malloc(n))) {
                memcpy(m->thumbnail, thumb, n);
                m->thumbnail_len = n;
            } else {
                oom = 1;
            }
        }
        rc = oom ? VG_ENOMEM : VG_OK;
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no media %lld", (long long)id);
    }
    st->ops->finalize(s);
    return rc;
}

static int media_sightings(struct vg_store *st, struct vg_review_media *m,
                           int64_t from, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc, oom = 0;

    if (!(m->sightings = vg_calloc(VG_REVIEW_SIGHTINGS_MAX,
                                   sizeof(*m->sightings))))
        return VG_ENOMEM;
    rc = vg__store_query(st, &s, err,
                         "SELECT g.id, COALESCE(g.crawl_id, 0), u.url, p.url,"
                         " g.seen_at, g.http_status, g.server_ip"
                         " FROM sightings g JOIN urls u ON u.id = g.url_id"
                         " LEFT JOIN urls p ON p.id = g.page_url_id"
                         " WHERE g.media_id = ? ORDER BY g.id DESC"
                         " LIMIT ? OFFSET ?",
                         "iii", m->id, (int64_t)VG_REVIEW_SIGHTINGS_MAX, from);
    while (!rc && !oom && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_review_sighting *g = &m->sightings[m->nsightings++];
        g->id = st->ops->col_int(s, 0);
        g->crawl_id = st->ops->col_int(s, 1);
        g->url = dup_col(st, s, 2, &oom);
        g->page_url = dup_col(st, s, 3, &oom);
        g->seen_at = st->ops->col_int(s, 4);
        g->http_status = (long)st->ops->col_int(s, 5);
        g->server_ip = dup_col(st, s, 6, &oom);
        rc = VG_OK;
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    return oom ? VG_ENOMEM : rc;
}

static int media_detections(struct vg_store *st, struct vg_review_media *m,
                            int64_t from, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc, oom = 0;

    if (!(m->detections = vg_calloc(VG_REVIEW_DETECTIONS_MAX,
                                    sizeof(*m->detections))))
        return VG_ENOMEM;
    rc = vg__store_query(
        st, &s, err,
        "SELECT d.id, COALESCE(d.entry_id, 0), COALESCE(d.list_id, 0),"
        " l.name, COALESCE(e.category, l.category), d.algo, d.variant,"
        " d.distance, d.detected_at FROM detections d"
        " LEFT JOIN list_entries e ON e.id = d.entry_id"
        " LEFT JOIN hash_lists l ON l.id = d.list_id"
        " WHERE d.media_id = ? ORDER BY d.id LIMIT ? OFFSET ?",
        "iii", m->id, (int64_t)VG_REVIEW_DETECTIONS_MAX, from);
    while (!rc && !oom && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_review_detection *d = &m->detections[m->ndetections++];
        d->id = st->ops->col_int(s, 0);
        d->entry_id = st->ops->col_int(s, 1);
        d->list_id = st->ops->col_int(s, 2);
        d->list = dup_col(st, s, 3, &oom);
        d->category = dup_col(st, s, 4, &oom);
        d->algo = dup_col(st, s, 5, &oom);
        d->variant = dup_col(st, s, 6, &oom);
        d->distance = (int)st->ops->col_int(s, 7);
        d->detected_at = st->ops->col_int(s, 8);
        rc = VG_OK;
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    return oom ? VG_ENOMEM : rc;
}

static int media_votes(struct vg_store *st, struct vg_review_media *m,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    size_t cap = 0;
    int rc, oom = 0;

    rc = vg__store_query(st, &s, err,
                         "SELECT v.user_id, u.username, v.classification,"
                         " v.decided_at FROM reviews v LEFT JOIN users u ON"
                         " u.id = v.user_id WHERE v.media_id = ?"
                         " ORDER BY v.decided_at, v.id",
                         "i", m->id);
    while (!rc && !oom && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_review_vote *v;
        rc = VG_OK;
        if (m->nvotes == cap) {
            size_t nc = cap ? cap * 2 : 8;
            void *p = vg_reallocarray(m->votes, nc, sizeof(*m->votes));
            if (!p) {
                oom = 1;
                break;
            }
            m->votes = p;
            cap = nc;
        }
        v = &m->votes[m->nvotes++];
        v->user_id = st->ops->col_int(s, 0);
        v->username = dup_col(st, s, 1, &oom);
        v->classification = dup_col(st, s, 2, &oom);
        v->decided_at = st->ops->col_int(s, 3);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    return oom ? VG_ENOMEM : rc;
}

int vg_store_review_media(struct vg_store *st, int64_t media_id,
                          struct vg_review_media **out, struct vg_err *err)
{
    return vg_store_review_media_page(st, media_id, 1, 1, out, err);
}

int vg_store_review_media_page(struct vg_store *st, int64_t media_id,
                               int64_t spage, int64_t dpage,
                               struct vg_review_media **out,
                               struct vg_err *err)
{
    struct vg_review_media *m = vg_calloc(1, sizeof(*m));
    int rc;

    *out = NULL;
    if (!m || !(m->reports = vg_calloc(VG_REVIEW_REPORTS_MAX,
                                       sizeof(*m->reports)))) {
        vg_free(m);
        return VG_ENOMEM;
    }
    LOCK(st);
    if (!(rc = vg__store_exec(st, "BEGIN", err))) {
        if (!(rc = media_row(st, media_id, m, err)) &&
            !(rc = media_sightings(
                  st, m, (spage - 1) * VG_REVIEW_SIGHTINGS_MAX, err)) &&
            !(rc = media_detections(
                  st, m, (dpage - 1) * VG_REVIEW_DETECTIONS_MAX, err)) &&
            !(rc = media_votes(st, m, err)))
            rc = media_reports(st, media_id, m->reports, VG_REVIEW_REPORTS_MAX,
                               &m->nreports, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    if (rc) {
        vg_review_media_free(m);
        return rc;
    }
    *out = m;
    return VG_OK;
}

int vg_store_review_thumbnail(struct vg_store *st, int64_t media_id,
                              uint8_t **out, size_t *n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT thumbnail FROM media WHERE id = ? AND"
                         " thumbnail IS NOT NULL",
                         "i", media_id);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        size_t len = 0;
        const uint8_t *b = st->ops->col_blob(s, 0, &len);
        if (!b || !len)
            rc = vg_err_set(err, VG_ENOENT, "media %lld has no thumbnail",
                            (long long)media_id);
        else if (!(*out = vg_malloc(len)))
            rc = VG_ENOMEM;
        else {
            memcpy(*out, b, len);
            *n = len;
            rc = VG_OK;
        }
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "media %lld has no thumbnail",
                        (long long)media_id);
    }
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

int vg_store_review_wanted(struct vg_store *st, const uint8_t sha256[32],
                           int *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *out = 0;
    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT review FROM media WHERE sha256 = ?", "b",
                         sha256, (size_t)32);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        *out = st->ops->col_text(s, 0) == NULL;
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        *out = 1;
        rc = VG_OK;
    }
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

/* ---- votes and decisions ---- */

/* What a vote acts on (store locked, in the transaction). */
struct target {
    int64_t id;
    uint8_t sha256[32], md5[16], sha1[20], pdq[32];
    int has_pdq, pdq_quality;
};

static int check_user(struct vg_store *st, int64_t user_id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t disabled = 0;
    int rc;

    if ((rc = vg__store_query(st, &s, err,
                              "SELECT disabled FROM users WHERE id = ?", "i",
                              user_id)))
        return rc;
    if ((rc = vg__store_scalar(st, s, &disabled, err)) == VG_ENOENT)
        return vg_err_set(err, VG_ENOENT, "no user %lld", (long long)user_id);
    if (!rc && disabled)
        rc = vg_err_set(err, VG_EACCES, "user %lld is disabled",
                        (long long)user_id);
    return rc;
}

static void copy_blob(struct vg_store *st, struct vg__stmt *s, int i,
                      uint8_t *dst, size_t n, int *ok)
{
    size_t got = 0;
    const uint8_t *b = st->ops->col_blob(s, i, &got);

    *ok = b && got == n;
    if (*ok)
        memcpy(dst, b, n);
}

static int load_target(struct vg_store *st, int64_t media_id, struct target *t,
                       struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc, ok1 = 0, ok2 = 0, ok3 = 0;

    memset(t, 0, sizeof(*t));
    if ((rc = vg__store_query(
             st, &s, err,
             "SELECT review, sha256, " MEDIA_HASH("md5") ", " MEDIA_HASH(
                 "sha1") ", " MEDIA_HASH("pdq") ", " MEDIA_PDQ_QUALITY
                                                " FROM media WHERE"
                                                " id = ?",
             "i", media_id)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        const char *review = st->ops->col_text(s, 0);
        t->id = media_id;
        copy_blob(st, s, 1, t->sha256, 32, &ok1);
        copy_blob(st, s, 2, t->md5, 16, &ok2);
        copy_blob(st, s, 3, t->sha1, 20, &ok3);
        copy_blob(st, s, 4, t->pdq, 32, &t->has_pdq);
        t->pdq_quality = (int)st->ops->col_int(s, 5);
        if (!review)
            rc = vg_err_set(err, VG_ENOENT,
                            "media %lld is not awaiting review",
                            (long long)media_id);
        else if (strcmp(review, "pending"))
            rc = vg_err_set(err, VG_EEXIST, "media %lld was already decided",
                            (long long)media_id);
        else if (!ok1 || !ok2 || !ok3)
            rc = vg_err_set(err, VG_ECORRUPT, "media %lld has bad hashes",
                            (long long)media_id);
        else
            rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = vg_err_set(err, VG_ENOENT, "no media %lld", (long long)media_id);
    }
    st->ops->finalize(s);
    return rc;
}

/* count of votes on media (of class c, or of any when c is NULL) */
static int count_votes(struct vg_store *st, int64_t media_id, const char *c,
                       int *out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t n = 0;
    int rc = c ? vg__store_query(st, &s, err,
                                 "SELECT COUNT(*) FROM reviews WHERE"
                                 " media_id = ? AND classification = ?",
                                 "it", media_id, c)
               : vg__store_query(st, &s, err,
                                 "SELECT COUNT(*) FROM reviews WHERE"
                                 " media_id = ?",
                                 "i", media_id);

    if (!rc && !(rc = vg__store_scalar(st, s, &n, err)))
        *out = (int)n;
    return rc;
}

/* The verified list's id, creating it; it must be a block list. */
static int verified_list(struct vg_store *st, int64_t *id, int *created,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    *created = 0;
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT id, kind FROM hash_lists WHERE name = ?",
                              "t", VG_REVIEW_LIST)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        const char *kind = st->ops->col_text(s, 1);
        *id = st->ops->col_int(s, 0);
        rc = kind && !strcmp(kind, "block")
                 ? VG_OK
                 : vg_err_set(err, VG_EINVAL,
                              "the list %s is not a block list: analysts'"
                              " decisions cannot go there",
                              VG_REVIEW_LIST);
        st->ops->finalize(s);
        return rc;
    }
    st->ops->finalize(s);
    if (rc != VG__DONE)
        return rc;
    if ((rc = vg__store_query(st, &s, err,
                              "INSERT INTO hash_lists (name, source, category,"
                              " pdq_distance, kind, enabled, created_at)"
                              " VALUES (?, ?, ?, 31, 'block', 1, ?)"
                              " RETURNING id",
                              "ttti", VG_REVIEW_LIST, VG_REVIEW_LIST_SOURCE,
                              vg_vocab_default(VG_VOCAB_REVIEW_CLASS),
                              (int64_t)time(NULL))))
        return rc;
    if ((rc = vg__store_scalar(st, s, id, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_EINTERNAL, "the list was not created");
    if (!rc)
        rc = vg__store_list_change(st, "list", *id, 0, 0, 0, 0, err);
    *created = !rc;
    return rc;
}

/* {"media":N,"classification":"...","analysts":[ids]} (vg_buf) */
static int entry_metadata(struct vg_store *st, const struct target *t,
                          const char *c, struct vg_buf *b, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc, first = 1;

    if ((rc = vg_buf_printf(b,
                            "{\"media\":%lld,\"classification\":\"%s\","
                            "\"analysts\":[",
                            (long long)t->id, c)) ||
        (rc = vg__store_query(st, &s, err,
                              "SELECT user_id FROM reviews WHERE media_id = ?"
                              " AND classification = ? ORDER BY user_id",
                              "it", t->id, c)))
        return rc;
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        rc = vg_buf_printf(b, "%s%lld", first ? "" : ",",
                           (long long)st->ops->col_int(s, 0));
        first = 0;
    }
    st->ops->finalize(s);
    if (rc == VG__DONE)
        rc = vg_buf_puts(b, "]}");
    return rc;
}

/* The media's hashes on the verified list; *added gets the new ones. */
static int add_entries(struct vg_store *st, const struct target *t,
                       const char *c, int64_t list, int64_t *added,
                       struct vg_err *err)
{
    static const char sql[] =
        "INSERT INTO list_entries (list_id, algo, value, category,"
        " external_id, metadata, quality, enabled, import_id, added_at)"
        " VALUES (?, ?, ?, ?, NULL, ?, ?, 1, NULL, ?)"
        " ON CONFLICT (list_id, algo, value) DO NOTHING RETURNING id";
    const struct {
        const char *algo;
        const uint8_t *v;
        size_t n;
        int64_t quality;
    } h[] = {{"sha256", t->sha256, 32, -1},
             {"md5", t->md5, 16, -1},
             {"sha1", t->sha1, 20, -1},
             {"pdq", t->pdq, 32, t->pdq_quality}};
    /* the PDQ last: left out when absent or featureless */
    size_t nh = t->has_pdq && t->pdq_quality >= VG_REVIEW_PDQ_MIN_QUALITY ? 4
                                                                          : 3;
    int64_t now = (int64_t)time(NULL), n = 0, id = 0;
    struct vg__stmt *s = NULL;
    struct vg_buf meta;
    int rc;

    vg_buf_init(&meta, 4096);
    rc = entry_metadata(st, t, c, &meta, err);
    for (size_t i = 0; i < nh && !rc; i++) {
        if ((rc = vg__store_query(st, &s, err, sql, "itbttii", list, h[i].algo,
                                  h[i].v, h[i].n, c, meta.data, h[i].quality,
                                  now)))
            break;
        /* quality NULL for digests, as imports store it */
        if (h[i].quality < 0 && (rc = st->ops->bind_text(s, 6, NULL))) {
            st->ops->finalize(s);
            break;
        }
        /* a row: the entry is new, and the matching nodes learn of it */
        if ((rc = vg__store_scalar(st, s, &id, err)) == VG_ENOENT)
            rc = VG_OK;
        else if (!rc && !(rc = vg__store_list_change(st, "entry", list, id, 0,
                                                     0, 0, err)))
            n++;
    }
    vg_buf_fini(&meta);
    if (!rc)
        *added = n;
    return rc;
}

/* The decision: entries (actionable), out of the queue, thumbnail gone. */
static int decide(struct vg_store *st, int64_t actor, const struct target *t,
                  enum vg_review_class c, struct vg_review_result *r,
                  struct vg_err *err)
{
    const char *name = vg_review_class_name(c);
    struct vg__stmt *s = NULL;
    char detail[256];
    int created = 0, rc = VG_OK;

    if (actionable(c) &&
        (!(rc = verified_list(st, &r->list_id, &created, err))))
        rc = add_entries(st, t, name, r->list_id, &r->entries_added, err);
    /* where it was seen, it is now a detection of the verified entry: the
     * notice engine opens its cases without waiting for another crawl */
    if (!rc && actionable(c) &&
        !(rc = vg__store_query(st, &s, err,
                               "INSERT INTO detections (sighting_id,"
                               " media_id, entry_id, list_id, algo,"
                               " distance, detected_at) SELECT g.id,"
                               " g.media_id, e.id, e.list_id, 'sha256', 0,"
                               " ? FROM sightings g JOIN list_entries e ON"
                               " e.list_id = ? AND e.algo = 'sha256' AND"
                               " e.value = ? WHERE g.media_id = ?"
                               " ON CONFLICT (sighting_id, entry_id) DO"
                               " NOTHING",
                               "iibi", (int64_t)time(NULL), r->list_id,
                               t->sha256, (size_t)32, t->id)))
        rc = vg__store_run(st, s, err);
    if (!rc &&
        !(rc = vg__store_query(st, &s, err,
                               "UPDATE media SET review = 'done',"
                               " classification = ?, reviewed_at = ?,"
                               " thumbnail = NULL WHERE id = ?",
                               "tii", name, (int64_t)time(NULL), t->id)))
        rc = vg__store_run(st, s, err);
    if (rc)
        return rc;
    if (!actionable(c)) {
        r->outcome = VG_REVIEW_DISMISSED;
        snprintf(detail, sizeof(detail),
                 "%s by %d analysts; thumbnail deleted", name, r->agree);
    } else {
        r->outcome = VG_REVIEW_VERIFIED;
        snprintf(detail, sizeof(detail),
                 "%s by %d analysts; %lld entries added to list %s (%lld)%s;"
                 " thumbnail deleted",
                 name, r->agree, (long long)r->entries_added, VG_REVIEW_LIST,
                 (long long)r->list_id, created ? ", created" : "");
    }
    return vg__store_audit(st, actor,
                           !actionable(c) ? "review.dismiss" : "review.verify",
                           "media", t->id, detail, err);
}

/* The analyst's earlier vote into prev ("" if none). */
static int earlier_vote(struct vg_store *st, int64_t media_id, int64_t user_id,
                        char *prev, size_t n, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    prev[0] = 0;
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT classification FROM reviews WHERE"
                              " media_id = ? AND user_id = ?",
                              "ii", media_id, user_id)))
        return rc;
    if ((rc = st->ops->step(s, err)) == VG__ROW) {
        const char *c = st->ops->col_text(s, 0);
        snprintf(prev, n, "%s", c ? c : "");
        rc = VG_OK;
    }
    st->ops->finalize(s);
    return rc == VG__DONE ? VG_OK : rc;
}

static int vote(struct vg_store *st, int64_t media_id, int64_t user_id,
                enum vg_review_class c, int required,
                struct vg_review_result *r, struct vg_err *err)
{
    const char *name = vg_review_class_name(c);
    struct vg__stmt *s = NULL;
    struct target t;
    char prev[64], detail[256];
    int rc;

    if ((rc = check_user(st, user_id, err)) ||
        (rc = load_target(st, media_id, &t, err)) ||
        (rc = earlier_vote(st, media_id, user_id, prev, sizeof(prev), err)))
        return rc;
    if ((rc = vg__store_query(st, &s, err,
                              "INSERT INTO reviews (media_id, user_id,"
                              " classification, decided_at) VALUES (?, ?, ?,"
                              " ?) ON CONFLICT (media_id, user_id) DO UPDATE"
                              " SET classification = excluded.classification,"
                              " decided_at = excluded.decided_at",
                              "iiti", media_id, user_id, name,
                              (int64_t)time(NULL))) ||
        (rc = vg__store_run(st, s, err)) ||
        (rc = count_votes(st, media_id, name, &r->agree, err)) ||
        (rc = count_votes(st, media_id, NULL, &r->votes, err)))
        return rc;
    r->changed = prev[0] && strcmp(prev, name);
    snprintf(detail, sizeof(detail), "%s (%d of %d needed)%s%s", name,
             r->agree, required,
             r->changed ? "; was "
             : prev[0]  ? "; again"
                        : "",
             r->changed ? prev : "");
    if ((rc = vg__store_audit(st, user_id, "review.vote", "media", media_id,
                              detail, err)))
        return rc;
    return r->agree >= required ? decide(st, user_id, &t, c, r, err) : VG_OK;
}

int vg_store_review_add(struct vg_store *st, int64_t media_id, int64_t user_id,
                        enum vg_review_class c, int required,
                        struct vg_review_result *out, struct vg_err *err)
{
    struct vg_review_result r;
    int rc;

    memset(&r, 0, sizeof(r));
    if (required < 1 || required > VG_REVIEW_AGREE_MAX)
        return vg_err_set(err, VG_EINVAL,
                          "analysts who must agree: 1 to %d, not %d",
                          VG_REVIEW_AGREE_MAX, required);
    if (!vg_vocab_row(VG_VOCAB_REVIEW_CLASS, (size_t)c))
        return vg_err_set(err, VG_EINVAL, "no such classification");
    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        rc = vote(st, media_id, user_id, c, required, &r, err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    if (!rc && out)
        *out = r;
    return rc;
}

/* ---- the same as JSON, for the console's templates ---- */
