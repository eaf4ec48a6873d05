/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notice and takedown in the store (vigil/store.h, vigil/notice.h): cases
 * opened from detections, notices stored as an intent before they are
 * sent, their attempts, re-checks, and the figures per provider.  (One
 * row per group with min() takes the other columns from the min row: an
 * SQLite guarantee the PostgreSQL backend will spell with DISTINCT ON.)
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_notices.h"

#define RUN(q)                                                                \
    do {                                                                      \
        if (!rc && !(rc = (q)))                                               \
            rc = vg__store_run(st, s, err);                                   \
    } while (0)

/*
 * Append each row of rows (taken), or only its field when field is not
 * NULL, to the array key of the object of by whose "provider_id" is the
 * row's (one pass, through a map from id to object).  VG_OK or VG_ENOMEM.
 */
static int group_by_provider(json_t *by, const char *key, json_t *rows,
                             const char *field)
{
    json_t *map = json_object(), *o, *r;
    char id[24];
    size_t i;
    int rc = map ? VG_OK : VG_ENOMEM;

    json_array_foreach(by, i, o) {
        snprintf(id, sizeof(id), "%lld",
                 (long long)json_integer_value(json_object_get(o,
                                                               "provider_id")));
        if (rc || json_object_set_new(o, key, json_array()) ||
            json_object_set(map, id, o))
            rc = VG_ENOMEM;
    }
    json_array_foreach(rows, i, r) {
        snprintf(id, sizeof(id), "%lld",
                 (long long)json_integer_value(json_object_get(r,
                                                               "provider_id")));
        if (rc || !(o = json_object_get(map, id)))
            continue;
        if (json_array_append(json_object_get(o, key),
                              field ? json_object_get(r, field) : r))
            rc = VG_ENOMEM;
    }
    json_decref(map);
    json_decref(rows);
    return rc;
}

int vg_store_case_candidates(struct vg_store *st, const char *actionable,
                             int (*cb)(void *ctx,
                                       const struct vg_case_candidate *c),
                             void *ctx, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    rc = vg__store_query(
        st, &s, err,
        "SELECT min(d.id), g.url_id, d.media_id, d.entry_id, u.url,"
        " g.server_ip, coalesce(e.category, l.category), d.detected_at FROM"
        " detections d JOIN sightings g ON g.id = d.sighting_id JOIN urls u"
        " ON u.id = g.url_id JOIN list_entries e ON e.id = d.entry_id JOIN"
        " hash_lists l ON l.id = d.list_id WHERE l.kind = 'block' AND"
        " l.enabled = 1 AND e.enabled = 1 AND instr(',' || ?1 || ',', ','"
        " || coalesce(e.category, l.category) || ',') > 0 AND NOT EXISTS"
        " (SELECT 1 FROM cases c WHERE c.url_id = g.url_id AND (c.status ="
        " 'open' OR c.opened_at >= d.detected_at)) GROUP BY g.url_id"
        " ORDER BY min(d.id)",
        "t", actionable);
    while (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        struct vg_case_candidate c = {
            .detection_id = st->ops->col_int(s, 0),
            .url_id = st->ops->col_int(s, 1),
            .media_id = st->ops->col_int(s, 2),
            .entry_id = st->ops->col_int(s, 3),
            .url = st->ops->col_text(s, 4),
            .server_ip = st->ops->col_text(s, 5),
            .category = st->ops->col_text(s, 6),
            .detected_at = st->ops->col_int(s, 7),
        };
        rc = cb(ctx, &c);
    }
    if (rc == VG__DONE)
        rc = VG_OK;
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

int vg_store_case_open(struct vg_store *st, const struct vg_case_candidate *c,
                       int64_t provider_id, int64_t now, int64_t next_check_at,
                       int64_t *case_id, int *reupload, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t first = 0, id = 0;
    int rc;

    *reupload = 0;
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    /* the first case of the same media, or of the same list entry (an
     * altered copy is other media matching the same entry) */
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT min(c.id) FROM cases c WHERE"
                               " c.url_id <> ?1 AND (c.media_id = ?2 OR"
                               " EXISTS (SELECT 1 FROM detections d WHERE"
                               " d.id = c.first_detection_id AND d.entry_id"
                               " = ?3))",
                               "iii", c->url_id, c->media_id, c->entry_id)))
        rc = vg__store_scalar(st, s, &first, err);
    if (rc == VG_ENOENT)
        rc = VG_OK;
    if (!rc && !(rc = vg__store_query(
                     st, &s, err,
                     "INSERT INTO cases (url_id, provider_id,"
                     " first_detection_id, reupload_of, opened_at, status,"
                     " media_id, category, detected_at, next_check_at)"
                     " VALUES (?, NULLIF(?, 0), ?, NULLIF(?, 0), ?, 'open',"
                     " NULLIF(?, 0), ?, ?, ?)"
                     " RETURNING id",
                     "iiiiiitii", c->url_id, provider_id, c->detection_id,
                     first, now, c->media_id, c->category, c->detected_at,
                     next_check_at)))
        rc = vg__store_scalar(st, s, &id, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc) {
        *case_id = id;
        *reupload = first > 0;
    }
    return rc;
}

int vg_store_notices_due(struct vg_store *st, int64_t now, int64_t renotify_s,
                         json_t **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    json_t *provs = NULL, *cases = NULL;
    int rc;

    *out = NULL;
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT p.id AS provider_id, p.name,"
                               " p.abuse_emails, p.language,"
                               " p.one_notice_per_url FROM providers p WHERE"
                               " EXISTS (SELECT 1 FROM cases c WHERE"
                               " c.provider_id = p.id AND c.status = 'open'"
                               " AND (c.last_notice_at IS NULL OR"
                               " c.last_notice_at + ?2 <= ?1)) ORDER BY p.id",
                               "ii", now, renotify_s)))
        rc = vg__store_json(st, s, 0, &provs, err);
    if (!rc &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT c.id, c.provider_id, u.url,"
                               " c.detected_at, m.sha256, c.category,"
                               " c.reupload_of, c.notices_sent FROM cases c"
                               " JOIN urls u ON u.id = c.url_id LEFT JOIN"
                               " media m ON m.id = c.media_id WHERE c.status"
                               " = 'open' AND c.provider_id IS NOT NULL AND"
                               " (c.last_notice_at IS NULL OR"
                               " c.last_notice_at + ?2 <= ?1) ORDER BY c.id",
                               "ii", now, renotify_s)))
        rc = vg__store_json(st, s, 0, &cases, err);
    UNLOCK(st);
    /* each provider's cases under it */
    if (!rc)
        rc = group_by_provider(provs, "cases", cases, NULL);
    else
        json_decref(cases);
    if (rc) {
        json_decref(provs);
        return rc;
    }
    *out = provs;
    return VG_OK;
}

int vg_store_notice_create(struct vg_store *st, const struct vg_notice_rec *r,
                           int64_t now, int escalate_after, int64_t *id,
                           int64_t *escalated, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t cycle = 0, nid = 0, esc = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT coalesce(max(cycle), 0) + 1 FROM"
                               " notices WHERE provider_id = ?",
                               "i", r->provider_id)))
        rc = vg__store_scalar(st, s, &cycle, err);
    if (!rc && !(rc = vg__store_query(
                     st, &s, err,
                     "INSERT INTO notices (provider_id, cycle, message_id,"
                     " language, created_at, state, next_attempt_at,"
                     " recipients, subject, body) VALUES (?, ?, ?, ?, ?,"
                     " 'pending', ?, ?, ?, ?) RETURNING id",
                     "iittiittt", r->provider_id, cycle, r->message_id,
                     r->language, now, now, r->recipients, r->subject,
                     r->body)))
        rc = vg__store_scalar(st, s, &nid, err);
    for (size_t i = 0; !rc && i < r->ncases; i++) {
        RUN(vg__store_query(st, &s, err,
                            "INSERT INTO notice_cases (notice_id, case_id)"
                            " VALUES (?, ?)",
                            "ii", nid, r->case_ids[i]));
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET last_notice_at = ?1,"
                            " first_notice_at = coalesce(first_notice_at,"
                            " ?1), notices_sent = notices_sent + 1"
                            " WHERE id = ?2",
                            "ii", now, r->case_ids[i]));
        if (!rc && !(rc = vg__store_query(st, &s, err,
                                          "UPDATE cases SET escalated = 1"
                                          " WHERE id = ? AND escalated = 0"
                                          " AND notices_sent >= ?",
                                          "ii", r->case_ids[i],
                                          (int64_t)escalate_after)) &&
            !(rc = vg__store_run(st, s, err)))
            esc += st->ops->changes(st->db);
    }
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc) {
        *id = nid;
        *escalated = esc;
    }
    return rc;
}

int vg_store_notices_pending(struct vg_store *st, int64_t now, json_t **out,
                             struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id, provider_id, cycle, message_id,"
                               " recipients, language, subject, body,"
                               " attempts FROM notices WHERE state ="
                               " 'pending' AND next_attempt_at <= ? ORDER BY"
                               " id",
                               "i", now)))
        rc = vg__store_json(st, s, 0, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_notice_attempt(struct vg_store *st, int64_t id, const char *state,
                            int64_t now, int64_t next_attempt_at,
                            const char *result, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    LOCK(st);
    RUN(vg__store_query(st, &s, err,
                        "UPDATE notices SET state = ?1, attempts = attempts"
                        " + 1, sent_at = CASE WHEN ?1 = 'sent' THEN ?2 ELSE"
                        " sent_at END, next_attempt_at = ?3, result = ?4"
                        " WHERE id = ?5",
                        "tiiti", state, now, next_attempt_at, result, id));
    UNLOCK(st);
    return rc;
}

int vg_store_notice_hold(struct vg_store *st, int64_t id, const char *why,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    LOCK(st);
    RUN(vg__store_query(st, &s, err,
                        "UPDATE notices SET result = ? WHERE id = ?", "ti",
                        why, id));
    UNLOCK(st);
    return rc;
}

int vg_store_notices(struct vg_store *st, int64_t limit, json_t **out,
                     struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT n.id, p.name AS provider, n.cycle,"
                               " n.message_id, n.recipients, n.state,"
                               " n.attempts, n.created_at, n.sent_at,"
                               " n.next_attempt_at, n.result FROM notices n"
                               " JOIN providers p ON p.id = n.provider_id"
                               " ORDER BY n.id DESC LIMIT ?",
                               "i", limit)))
        rc = vg__store_json(st, s, 0, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_rechecks_due(struct vg_store *st, int64_t now, int64_t limit,
                          json_t **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT c.id AS case_id, u.url, m.sha256,"
                               " (SELECT value FROM media_hashes WHERE"
                               " media_id = m.id AND algo = 'pdq') AS pdq,"
                               " c.checks, c.first_notice_at FROM"
                               " cases c JOIN urls u ON u.id = c.url_id LEFT"
                               " JOIN media m ON m.id = c.media_id WHERE"
                               " c.status = 'open' AND c.next_check_at <= ?"
                               " ORDER BY c.next_check_at, c.id LIMIT ?",
                               "ii", now, limit)))
        rc = vg__store_json(st, s, 0, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_recheck_record(struct vg_store *st, int64_t case_id, int64_t now,
                            long http_status, const char *result,
                            const char *reason, int64_t next_check_at,
                            struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int removed = !strcmp(result, "removed");
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    RUN(vg__store_query(st, &s, err,
                        "INSERT INTO rechecks (case_id, checked_at,"
                        " http_status, result) VALUES (?, ?, ?, ?)",
                        "iiit", case_id, now, (int64_t)http_status,
                        reason && *reason ? reason : result));
    if (removed)
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET status = 'removed', removed_at"
                            " = ?, removal = ?, checks = checks + 1,"
                            " next_check_at = NULL WHERE id = ?",
                            "iti", now, reason, case_id));
    else
        RUN(vg__store_query(st, &s, err,
                            "UPDATE cases SET checks = checks + 1,"
                            " next_check_at = ? WHERE id = ?",
                            "ii", next_check_at, case_id));
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_cases(struct vg_store *st, const char *status, int64_t limit,
                   json_t **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT c.id, u.url, p.name AS provider,"
                               " c.status, c.opened_at, c.first_notice_at,"
                               " c.removed_at, c.removal, c.notices_sent,"
                               " c.escalated, c.reupload_of, c.category,"
                               " c.checks FROM cases c JOIN urls u ON u.id ="
                               " c.url_id LEFT JOIN providers p ON p.id ="
                               " c.provider_id WHERE (?1 = '' OR c.status ="
                               " ?1) ORDER BY c.id DESC LIMIT ?2",
                               "ti", status ? status : "",
                               limit > 0 ? limit : 1000)))
        rc = vg__store_json(st, s, 0, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_case_get(struct vg_store *st, int64_t id, json_t **out,
                      struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    json_t *c = NULL, *v = NULL;
    int rc;

    *out = NULL;
    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT c.id, u.url, p.name AS provider,"
                               " p.abuse_emails, c.status, c.opened_at,"
                               " c.first_notice_at, c.removed_at, c.removal,"
                               " c.notices_sent, c.escalated, c.reupload_of,"
                               " c.category, c.checks, c.detected_at,"
                               " m.sha256 FROM cases c JOIN urls u ON u.id ="
                               " c.url_id LEFT JOIN providers p ON p.id ="
                               " c.provider_id LEFT JOIN media m ON m.id ="
                               " c.media_id WHERE c.id = ?",
                               "i", id)) &&
        (rc = vg__store_json(st, s, 1, &c, err)) == VG_ENOENT)
        vg_err_set(err, rc, "no case %lld", (long long)id);
    if (!rc &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT n.id, n.cycle, n.message_id,"
                               " n.recipients, n.state, n.created_at,"
                               " n.sent_at, n.attempts, n.result FROM"
                               " notices n JOIN notice_cases nc ON"
                               " nc.notice_id = n.id WHERE nc.case_id = ?"
                               " ORDER BY n.id",
                               "i", id)) &&
        !(rc = vg__store_json(st, s, 0, &v, err)) &&
        json_object_set_new(c, "notices", v))
        rc = VG_ENOMEM;
    if (!rc &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT checked_at, http_status, result FROM"
                               " rechecks WHERE case_id = ? ORDER BY id",
                               "i", id)) &&
        !(rc = vg__store_json(st, s, 0, &v, err)) &&
        json_object_set_new(c, "rechecks", v))
        rc = VG_ENOMEM;
    UNLOCK(st);
    if (rc) {
        json_decref(c);
        return rc;
    }
    *out = c;
    return VG_OK;
}

int vg_store_notice_report(struct vg_store *st, json_t **out,
                           struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    json_t *rows = NULL, *ttr = NULL;
    int rc;

    *out = NULL;
    LOCK(st);
    if (!(rc = vg__store_query(
              st, &s, err,
              "SELECT coalesce(c.provider_id, 0) AS provider_id,"
              " coalesce(p.name, '') AS provider,"
              " sum(c.first_notice_at IS NOT NULL) AS notified,"
              " sum(c.status = 'removed') AS removed,"
              " sum(c.status = 'open') AS up,"
              " (SELECT count(*) FROM notices n WHERE n.provider_id ="
              " c.provider_id AND n.state = 'sent') AS notices,"
              " (SELECT count(*) FROM notices n WHERE n.provider_id ="
              " c.provider_id AND n.state = 'failed') AS failed_notices,"
              " sum(c.reupload_of IS NOT NULL) AS reuploads,"
              " sum(c.escalated) AS escalated FROM cases c LEFT JOIN"
              " providers p ON p.id = c.provider_id GROUP BY"
              " coalesce(c.provider_id, 0) ORDER BY provider",
              "")))
        rc = vg__store_json(st, s, 0, &rows, err);
    if (!rc && !(rc = vg__store_query(
                     st, &s, err,
                     "SELECT coalesce(provider_id, 0) AS provider_id,"
                     " removed_at - first_notice_at AS ttr FROM cases WHERE"
                     " status = 'removed' AND first_notice_at IS NOT NULL"
                     " ORDER BY ttr",
                     "")))
        rc = vg__store_json(st, s, 0, &ttr, err);
    UNLOCK(st);
    /* each provider's times to removal, ascending, under it */
    if (!rc)
        rc = group_by_provider(rows, "ttr", ttr, "ttr");
    else
        json_decref(ttr);
    if (rc) {
        json_decref(rows);
        return rc;
    }
    *out = rows;
    return VG_OK;
}
