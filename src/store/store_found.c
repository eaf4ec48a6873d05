/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What crawls found (vigil/store_crawl.h): media (hashes only, one row per
 * SHA-256, its hashes in media_hashes, one per algorithm), sightings (a media at a URL, on a page, with the fetch's
 * evidence), detections (a sighting's match with a list entry), and the
 * list of detections with their evidence.  A sighting that brings a
 * sealed thumbnail puts media never queued before in the review queue.
 */
#include <string.h>

#include "store_int.h"
#include "vigil/store_crawl.h"

/* One row of media_hashes; the first sighting's value stays. */
static int put_hash(struct vg_store *st, int64_t media, enum vg_algo a,
                    const uint8_t *v, int quality, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    const char *name = vg_algo_name(a);
    int rc;

    if (!name || !v)
        return vg_err_set(err, VG_EINVAL, "unknown hash algorithm");
    rc = quality >= 0
             ? vg__store_query(st, &s, err,
                               "INSERT INTO media_hashes (media_id, algo,"
                               " value, quality) VALUES (?, ?, ?, ?)"
                               " ON CONFLICT (media_id, algo) DO NOTHING",
                               "itbi", media, name, v, vg_algo_size(a),
                               (int64_t)quality)
             : vg__store_query(st, &s, err,
                               "INSERT INTO media_hashes (media_id, algo,"
                               " value) VALUES (?, ?, ?)"
                               " ON CONFLICT (media_id, algo) DO NOTHING",
                               "itb", media, name, v, vg_algo_size(a));
    return rc ? rc : vg__store_run(st, s, err);
}

/* A new media's hashes: the built-ins from their fields, then the rest. */
static int put_hashes(struct vg_store *st, int64_t media,
                      const struct vg_sighting_rec *r, struct vg_err *err)
{
    int rc;

    if ((rc = put_hash(st, media, VG_ALGO_SHA256, r->sha256, -1, err)) ||
        (rc = put_hash(st, media, VG_ALGO_MD5, r->md5, -1, err)) ||
        (rc = put_hash(st, media, VG_ALGO_SHA1, r->sha1, -1, err)) ||
        (r->pdq &&
         (rc = put_hash(st, media, VG_ALGO_PDQ, r->pdq, r->pdq_quality, err))))
        return rc;
    for (size_t i = 0; i < r->nhashes && !rc; i++)
        rc = put_hash(st, media, r->hashes[i].algo, r->hashes[i].value,
                      r->hashes[i].quality, err);
    return rc;
}

static int media_id(struct vg_store *st, const struct vg_sighting_rec *r,
                    int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t added;
    int rc;

    rc = vg__store_query(
        st, &s, err,
        "INSERT INTO media (sha256, format, width, height, bytes,"
        " first_seen_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (sha256) DO NOTHING",
        "btiiii", r->sha256, (size_t)32, r->format, (int64_t)r->width,
        (int64_t)r->height, r->bytes, r->seen_at);
    if (rc || (rc = vg__store_run(st, s, err)))
        return rc;
    added = st->ops->changes(st->db);
    if ((rc = vg__store_query(st, &s, err,
                              "SELECT id FROM media WHERE sha256 = ?", "b",
                              r->sha256, (size_t)32)))
        return rc;
    if ((rc = vg__store_scalar(st, s, id, err)) == VG_ENOENT)
        rc = vg_err_set(err, VG_EINTERNAL, "media not stored");
    if (!rc && added)
        rc = put_hashes(st, *id, r, err);
    return rc;
}

int vg__store_sighting(struct vg_store *st, int64_t crawl_id,
                       const struct vg_sighting_rec *r, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t media = 0, sighting = 0;
    int rc;

    if ((rc = media_id(st, r, &media, err)))
        return rc;
    /* unknown media join the review queue once: pending or decided media
       keep what they have (one thumbnail, one decision) */
    if (r->thumbnail && r->thumbnail_len &&
        ((rc = vg__store_query(st, &s, err,
                               "UPDATE media SET thumbnail = ?, review ="
                               " 'pending', review_queued_at = ? WHERE id = ?"
                               " AND review IS NULL",
                               "bii", r->thumbnail, r->thumbnail_len,
                               r->seen_at, media)) ||
         (rc = vg__store_run(st, s, err))))
        return rc;
    rc = r->page_url_id
             ? vg__store_query(st, &s, err,
                               "INSERT INTO sightings (media_id, url_id,"
                               " page_url_id, seen_at, http_status, server_ip,"
                               " headers, crawl_id) VALUES (?, ?, ?, ?, ?, ?,"
                               " ?, ?) RETURNING id",
                               "iiiiitti", media, r->url_id, r->page_url_id,
                               r->seen_at, (int64_t)r->http_status,
                               r->server_ip, r->headers_json, crawl_id)
             : vg__store_query(st, &s, err,
                               "INSERT INTO sightings (media_id, url_id,"
                               " page_url_id, seen_at, http_status, server_ip,"
                               " headers, crawl_id) VALUES (?, ?, ?, ?, ?, ?,"
                               " ?, ?) RETURNING id",
                               "iitiitti", media, r->url_id,
                               (const char *)NULL, r->seen_at,
                               (int64_t)r->http_status, r->server_ip,
                               r->headers_json, crawl_id);
    if (rc || (rc = vg__store_scalar(st, s, &sighting, err)) == VG_ENOENT)
        return rc ? rc : vg_err_set(err, VG_EINTERNAL, "sighting not stored");
    for (size_t i = 0; i < r->ndetections && !rc; i++) {
        const struct vg_detection_rec *d = &r->detections[i];
        enum vg_algo a;
        if (!d->algo || vg_algo_from_name(d->algo, strlen(d->algo), &a))
            return vg_err_set(err, VG_EINVAL, "unknown hash algorithm");
        if (!(rc = vg__store_query(
                  st, &s, err,
                  "INSERT INTO detections (sighting_id, media_id, entry_id,"
                  " list_id, algo, distance, variant, detected_at) SELECT ?,"
                  " ?, e.id, e.list_id, ?, ?, ?, ? FROM list_entries e WHERE"
                  " e.id = ? ON CONFLICT (sighting_id, entry_id) DO NOTHING",
                  "iititii", sighting, media, d->algo, (int64_t)d->distance,
                  d->variant, r->seen_at, d->entry_id)))
            rc = vg__store_run(st, s, err);
    }
    return rc;
}

static const uint8_t *blob(struct vg_store *st, struct vg__stmt *s, int i,
                           size_t want)
{
    size_t n = 0;
    const uint8_t *b = st->ops->col_blob(s, i, &n);

    return b && n == want ? b : NULL;
}

int vg_store_detections(struct vg_store *st, int64_t crawl_id,
                        int (*cb)(void *ctx,
                                  const struct vg_detection_info *d),
                        void *ctx, struct vg_err *err)
{
    static const uint8_t zero[32];
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT d.id, g.crawl_id, u.url, p.url, g.seen_at, g.http_status,"
        " g.server_ip, g.headers, m.sha256, hm.value, hp.value, hp.quality,"
        " m.format, m.width, m.height, d.entry_id, d.list_id, l.name,"
        " COALESCE(e.category, l.category), e.external_id, d.algo, d.variant,"
        " d.distance, d.status, e.metadata"
        " FROM detections d JOIN sightings g ON g.id = d.sighting_id"
        " JOIN media m ON m.id = d.media_id JOIN urls u ON u.id = g.url_id"
        " LEFT JOIN media_hashes hm ON hm.media_id = m.id AND hm.algo = 'md5'"
        " LEFT JOIN media_hashes hp ON hp.media_id = m.id AND hp.algo = 'pdq'"
        " LEFT JOIN urls p ON p.id = g.page_url_id"
        " LEFT JOIN list_entries e ON e.id = d.entry_id"
        " LEFT JOIN hash_lists l ON l.id = d.list_id"
        " WHERE ? = 0 OR g.crawl_id = ? ORDER BY d.id",
        "ii", crawl_id, crawl_id);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const uint8_t *sha = blob(st, s, 8, 32), *md5 = blob(st, s, 9, 16);
        struct vg_detection_info d = {
            .id = st->ops->col_int(s, 0),
            .crawl_id = st->ops->col_int(s, 1),
            .url = st->ops->col_text(s, 2),
            .page_url = st->ops->col_text(s, 3),
            .fetched_at = st->ops->col_int(s, 4),
            .http_status = (long)st->ops->col_int(s, 5),
            .server_ip = st->ops->col_text(s, 6),
            .headers_json = st->ops->col_text(s, 7),
            .sha256 = sha ? sha : zero,
            .md5 = md5 ? md5 : zero,
            .pdq = blob(st, s, 10, 32),
            .pdq_quality = (int)st->ops->col_int(s, 11),
            .format = st->ops->col_text(s, 12),
            .width = (unsigned)st->ops->col_int(s, 13),
            .height = (unsigned)st->ops->col_int(s, 14),
            .entry_id = st->ops->col_int(s, 15),
            .list_id = st->ops->col_int(s, 16),
            .list = st->ops->col_text(s, 17),
            .category = st->ops->col_text(s, 18),
            .external_id = st->ops->col_text(s, 19),
            .algo = st->ops->col_text(s, 20),
            .variant = st->ops->col_text(s, 21),
            .distance = (int)st->ops->col_int(s, 22),
            .status = st->ops->col_text(s, 23),
            .metadata = st->ops->col_text(s, 24),
        };
        if (!d.url)
            d.url = "";
        rc = cb(ctx, &d);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

int vg_store_entry_media(struct vg_store *st, int64_t entry_id,
                         uint8_t sha1[20], uint8_t sha256[32],
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT s.value, m.sha256 FROM list_entries e JOIN"
                         " media_hashes h ON h.algo = e.algo AND h.value ="
                         " e.value JOIN media m ON m.id = h.media_id JOIN"
                         " media_hashes s ON s.media_id = m.id AND s.algo ="
                         " 'sha1' WHERE e.id = ? ORDER BY m.id LIMIT 1",
                         "i", entry_id);
    if (!rc) {
        const uint8_t *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;
        rc = st->ops->step(s, err);
        if (rc == VG__ROW) {
            a = st->ops->col_blob(s, 0, &na);
            b = st->ops->col_blob(s, 1, &nb);
        }
        if (rc == VG__ROW && na == 20 && nb == 32) {
            memcpy(sha1, a, 20);
            memcpy(sha256, b, 32);
            rc = VG_OK;
        } else if (rc == VG__ROW || rc == VG__DONE) {
            rc = VG_ENOENT;
        }
        st->ops->finalize(s);
    }
    UNLOCK(st);
    return rc;
}
