/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The analyst console's side of the store (vigil/store.h): sessions,
 * failed sign-ins and lockout, the report queue, a report's incidents and
 * the media seen on its pages, the audit log and list entries by page.
 * Every change an analyst makes is audited in the same transaction.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"

/* Run a statement made by vg__store_query (if rc is still VG_OK). */
#define RUN(q)                                                                \
    do {                                                                      \
        if (!rc && !(rc = (q)))                                               \
            rc = vg__store_run(st, s, err);                                   \
    } while (0)

int vg_store_session_new(struct vg_store *st, int64_t user_id,
                         const uint8_t token_hash[32], const char *csrf,
                         int64_t now, int64_t expires_at, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = st->ops->begin_write(st->db, err))) {
        RUN(vg__store_query(st, &s, err,
                            "DELETE FROM sessions WHERE expires_at <= ?", "i",
                            now));
        RUN(vg__store_query(st, &s, err,
                            "UPDATE users SET failed_logins = 0 WHERE id = ?",
                            "i", user_id));
        RUN(vg__store_query(st, &s, err,
                            "INSERT INTO sessions (token_hash, user_id, csrf,"
                            " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                            "bitii", token_hash, (size_t)32, user_id, csrf,
                            now, expires_at));
        if (!rc)
            rc = vg__store_audit(st, user_id, "login", "user", user_id, "",
                                 err);
        rc = vg__store_end(st, rc, err);
    }
    UNLOCK(st);
    return rc;
}

int vg_store_session_get(struct vg_store *st, const uint8_t token_hash[32],
                         int64_t now, struct vg_session *out,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    LOCK(st);
    rc = vg__store_query(st, &s, err,
                         "SELECT u.id, u.username, u.role, s.csrf,"
                         " s.expires_at FROM sessions s JOIN users u"
                         " ON u.id = s.user_id WHERE s.token_hash = ?"
                         " AND s.expires_at > ? AND u.disabled = 0",
                         "bi", token_hash, (size_t)32, now);
    if (!rc && (rc = st->ops->step(s, err)) == VG__ROW) {
        const char *name = st->ops->col_text(s, 1);
        const char *role = st->ops->col_text(s, 2);
        const char *csrf = st->ops->col_text(s, 3);
        out->user_id = st->ops->col_int(s, 0);
        snprintf(out->username, sizeof(out->username), "%s", name ? name : "");
        vg_role_parse(role ? role : "", &out->role);
        snprintf(out->csrf, sizeof(out->csrf), "%s", csrf ? csrf : "");
        out->expires_at = st->ops->col_int(s, 4);
        rc = VG_OK;
    } else if (rc == VG__DONE) {
        rc = VG_ENOENT;
    }
    st->ops->finalize(s);
    UNLOCK(st);
    return rc;
}

int vg_store_session_end(struct vg_store *st, const uint8_t token_hash[32],
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t user = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "DELETE FROM sessions WHERE token_hash = ?"
                               " RETURNING user_id",
                               "b", token_hash, (size_t)32)))
        rc = vg__store_scalar(st, s, &user, err);
    if (!rc)
        rc = vg__store_audit(st, user, "logout", "user", user, "", err);
    else if (rc == VG_ENOENT)
        rc = VG_OK;
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_login_failed(struct vg_store *st, int64_t user_id, int64_t now,
                          int max_failures, int64_t lock_s,
                          int64_t *locked_until, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t failures = 0;
    char detail[64];
    int rc;

    *locked_until = 0;
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "UPDATE users SET failed_logins ="
                               " failed_logins + 1 WHERE id = ?"
                               " RETURNING failed_logins",
                               "i", user_id)))
        rc = vg__store_scalar(st, s, &failures, err);
    if (!rc && failures >= max_failures) {
        *locked_until = now + lock_s;
        RUN(vg__store_query(st, &s, err,
                            "UPDATE users SET failed_logins = 0,"
                            " locked_until = ? WHERE id = ?",
                            "ii", *locked_until, user_id));
        snprintf(detail, sizeof(detail), "%lld failed sign-ins, locked %llds",
                 (long long)failures, (long long)lock_s);
        if (!rc)
            rc = vg__store_audit(st, 0, "login.locked", "user", user_id,
                                 detail, err);
    }
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_report_queue(struct vg_store *st, const struct vg_queue_filter *f,
                          json_t **out, struct vg_err *err)
{
    static const char where[] = " FROM reports r WHERE (?1 = '' OR r.status"
                                " = ?1) AND (?2 = '' OR r.incident_type = ?2)";
    const char *status = f->status ? f->status : "";
    const char *type = f->incident_type ? f->incident_type : "";
    struct vg__stmt *s = NULL;
    json_t *rows = NULL;
    int64_t total = 0;
    char sql[1024];
    int rc;

    *out = NULL;
    LOCK(st);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*)%s", where);
    if (!(rc = vg__store_query(st, &s, err, sql, "tt", status, type)))
        rc = vg__store_scalar(st, s, &total, err);
    snprintf(sql, sizeof(sql),
             "SELECT r.id, r.reference, r.received_at, r.channel,"
             " r.language, r.incident_type, r.named_child, r.status,"
             " (SELECT COUNT(*) FROM report_urls ru WHERE ru.report_id ="
             " r.id) AS urls%s ORDER BY r.priority, r.received_at, r.id"
             " LIMIT ?3 OFFSET ?4",
             where);
    if (!rc && !(rc = vg__store_query(st, &s, err, sql, "ttii", status, type,
                                      f->limit > 0 ? f->limit : 100,
                                      f->offset > 0 ? f->offset : 0)))
        rc = vg__store_json(st, s, 0, &rows, err);
    UNLOCK(st);
    if (!rc && !(*out = json_pack("{s:I, s:o}", "total", (json_int_t)total,
                                  "reports", rows)))
        rc = VG_ENOMEM;
    return rc;
}

/* The report's URLs and incidents into obj (store locked). */
static int report_parts(struct vg_store *st, int64_t id, json_t *obj,
                        struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    json_t *v = NULL;
    int rc;

    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT u.id, u.url, u.host, f.state,"
                               " f.http_status, f.error FROM report_urls ru"
                               " JOIN urls u ON u.id = ru.url_id LEFT JOIN"
                               " frontier f ON f.url_id = u.id AND"
                               " f.crawl_id = (SELECT max(crawl_id) FROM"
                               " frontier WHERE url_id = u.id) WHERE"
                               " ru.report_id = ? ORDER BY u.id",
                               "i", id)) &&
        !(rc = vg__store_json(st, s, 0, &v, err)) &&
        json_object_set_new(obj, "urls", v))
        rc = VG_ENOMEM;
    if (!rc &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT id, incident_type, outcome, notes,"
                               " updated_at FROM incidents WHERE report_id"
                               " = ? ORDER BY id",
                               "i", id)) &&
        !(rc = vg__store_json(st, s, 0, &v, err)) &&
        json_object_set_new(obj, "incidents", v))
        rc = VG_ENOMEM;
    /* media seen at the reported addresses or on the reported pages */
    if (!rc &&
        !(rc = vg__store_query(st, &s, err,
                               "SELECT m.id AS media_id, min(u.url) AS url,"
                               " m.format, m.width, m.height, m.review,"
                               " m.classification, (SELECT group_concat("
                               "DISTINCT l.name) FROM detections d JOIN"
                               " hash_lists l ON l.id = d.list_id WHERE"
                               " d.media_id = m.id) AS lists FROM sightings"
                               " s JOIN media m ON m.id = s.media_id JOIN"
                               " urls u ON u.id = s.url_id WHERE"
                               " s.page_url_id IN (SELECT url_id FROM"
                               " report_urls WHERE report_id = ?1) OR"
                               " s.url_id IN (SELECT url_id FROM report_urls"
                               " WHERE report_id = ?1) GROUP BY m.id ORDER"
                               " BY m.id LIMIT 200",
                               "i", id)) &&
        !(rc = vg__store_json(st, s, 0, &v, err)) &&
        json_object_set_new(obj, "media", v))
        rc = VG_ENOMEM;
    return rc;
}

int vg_store_report_open(struct vg_store *st, int64_t actor, int64_t id,
                         json_t **out, uint8_t **contact, size_t *ncontact,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    json_t *r = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc;

    *out = NULL;
    *contact = NULL;
    *ncontact = 0;
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    /* the first opening: one incident, the report's own type */
    RUN(vg__store_query(st, &s, err,
                        "INSERT INTO incidents (report_id, incident_type,"
                        " updated_at) SELECT id, incident_type, ? FROM"
                        " reports WHERE id = ? AND NOT EXISTS (SELECT 1 FROM"
                        " incidents WHERE report_id = ?)",
                        "iii", now, id, id));
    RUN(vg__store_query(st, &s, err,
                        "UPDATE reports SET status = 'in_review' WHERE id = ?"
                        " AND status = 'new'",
                        "i", id));
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "SELECT id, reference, received_at,"
                                      " channel, language, incident_type,"
                                      " incident_at, description, details,"
                                      " named_child, status, api_key_id FROM"
                                      " reports WHERE id = ?",
                                      "i", id)) &&
        (rc = vg__store_json(st, s, 1, &r, err)) == VG_ENOENT)
        vg_err_set(err, VG_ENOENT, "no report %lld", (long long)id);
    if (!rc)
        rc = report_parts(st, id, r, err);
    if (!rc && !(rc = vg__store_query(st, &s, err,
                                      "SELECT reporter_contact FROM reports"
                                      " WHERE id = ?",
                                      "i", id))) {
        if ((rc = st->ops->step(s, err)) == VG__ROW) {
            size_t n = 0;
            const uint8_t *b = st->ops->col_blob(s, 0, &n);
            rc = VG_OK;
            if (b && n && !(*contact = vg_malloc(n)))
                rc = VG_ENOMEM;
            else if (b && n) {
                memcpy(*contact, b, n);
                *ncontact = n;
            }
        } else if (rc == VG__DONE) {
            rc = VG_OK;
        }
        st->ops->finalize(s);
    }
    if (!rc)
        rc = vg__store_audit(st, actor, "report.view", "report", id, "", err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (rc) {
        json_decref(r);
        vg_free(*contact);
        *contact = NULL;
        *ncontact = 0;
        return rc;
    }
    *out = r;
    return VG_OK;
}

/* The report's status from its incidents' outcomes (store locked, in a
 * transaction). */
static int report_status(struct vg_store *st, int64_t report_id,
                         struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc = VG_OK;

    RUN(vg__store_query(st, &s, err,
                        "UPDATE reports SET status = CASE WHEN EXISTS"
                        " (SELECT 1 FROM incidents WHERE report_id = ?1 AND"
                        " outcome IS NULL) THEN 'in_review' ELSE 'closed'"
                        " END WHERE id = ?1",
                        "i", report_id));
    return rc;
}

int vg_store_incident_add(struct vg_store *st, int64_t actor,
                          int64_t report_id, const char *incident_type,
                          int64_t *id, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int64_t got = 0;
    int rc;

    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    if (!(rc = vg__store_query(st, &s, err,
                               "INSERT INTO incidents (report_id,"
                               " incident_type, updated_at) SELECT id, ?, ?"
                               " FROM reports WHERE id = ? RETURNING id",
                               "tii", incident_type, (int64_t)time(NULL),
                               report_id)) &&
        (rc = vg__store_scalar(st, s, &got, err)) == VG_ENOENT)
        vg_err_set(err, rc, "no report %lld", (long long)report_id);
    if (!rc)
        rc = report_status(st, report_id, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "incident.add", "incident", got,
                             incident_type, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    if (!rc && id)
        *id = got;
    return rc;
}

int vg_store_incident_update(struct vg_store *st, int64_t actor,
                             int64_t report_id, int64_t incident_id,
                             const char *incident_type, const char *outcome,
                             const char *notes, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    char detail[160];
    int rc;

    snprintf(detail, sizeof(detail), "%s, outcome %s", incident_type,
             outcome ? outcome : "none");
    LOCK(st);
    if ((rc = st->ops->begin_write(st->db, err)))
        goto unlock;
    RUN(vg__store_query(st, &s, err,
                        "UPDATE incidents SET incident_type = ?, outcome = ?,"
                        " notes = ?, updated_at = ? WHERE id = ? AND"
                        " report_id = ?",
                        "tttiii", incident_type, outcome, notes ? notes : "",
                        (int64_t)time(NULL), incident_id, report_id));
    if (!rc && st->ops->changes(st->db) == 0)
        rc = vg_err_set(err, VG_ENOENT, "no incident %lld in report %lld",
                        (long long)incident_id, (long long)report_id);
    if (!rc)
        rc = report_status(st, report_id, err);
    if (!rc)
        rc = vg__store_audit(st, actor, "incident.update", "incident",
                             incident_id, detail, err);
    rc = vg__store_end(st, rc, err);
unlock:
    UNLOCK(st);
    return rc;
}

int vg_store_audit_recent(struct vg_store *st, int64_t before_id,
                          int64_t limit, json_t **out, struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT a.id, a.at, a.user_id, u.username,"
                               " a.action, a.object_type, a.object_id,"
                               " a.detail FROM audit_log a LEFT JOIN users u"
                               " ON u.id = a.user_id WHERE (?1 = 0 OR a.id <"
                               " ?1) ORDER BY a.id DESC LIMIT ?2",
                               "ii", before_id, limit)))
        rc = vg__store_json(st, s, 0, out, err);
    UNLOCK(st);
    return rc;
}

int vg_store_entries_page(struct vg_store *st, int64_t list_id,
                          int64_t after_id, int64_t limit, json_t **out,
                          struct vg_err *err)
{
    struct vg__stmt *s = NULL;
    int rc;

    LOCK(st);
    if (!(rc = vg__store_query(st, &s, err,
                               "SELECT id, algo, value, category,"
                               " external_id, metadata, quality, enabled"
                               " FROM list_entries WHERE list_id = ? AND id"
                               " > ? ORDER BY id LIMIT ?",
                               "iii", list_id, after_id, limit)))
        rc = vg__store_json(st, s, 0, out, err);
    UNLOCK(st);
    return rc;
}
