/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Retention (vigil/store_retention.h) on either backend, with the clock
 * given: each kind of data disappears on its day and not the second
 * before; a legal hold on a report or a case keeps it (and what is at its
 * URLs) until released; a reporter's erase request clears the contact
 * details, refused under a hold; runs go in batches, stop when asked, and
 * write one audit record each with the counts; the audit chain still
 * verifies after all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "vigil/store_retention.h"

#define DAY 86400LL
#define T0 1700000000LL

static char dir[] = "/tmp/vigil-test-retention-XXXXXX";

static struct vg_store *open_store(const char *name, char *url, size_t n)
{
    char key[512];
    struct vg_store *st = NULL;
    struct vg_err err = {0};

    if (th_db_url(url, n, dir, name))
        return NULL;
    if (vg_store_open(url, NULL, &st, &err)) {
        fprintf(stderr, "  open: %s\n", err.msg);
        return NULL;
    }
    snprintf(key, sizeof(key), "%s/%s.audit-key", dir, name);
    if (vg_store_audit_key(st, key, 1, NULL, &err)) {
        fprintf(stderr, "  audit key: %s\n", err.msg);
        vg_store_close(st);
        return NULL;
    }
    return st;
}

/* sql with every "B'hex'" written as the backend's byte string */
static long long exec(const char *url, const char *sql)
{
    char out[4096];
    size_t n = 0;

    for (const char *p = sql; *p && n + 32 < sizeof(out);) {
        if (!strncmp(p, "B'", 2)) {
            const char *e = strchr(p + 2, '\'');
            n += (size_t)snprintf(out + n, sizeof(out) - n,
                                  th_db_pg(url) ? "decode('%.*s', 'hex')"
                                                : "x'%.*s'",
                                  (int)(e - p - 2), p + 2);
            p = e + 1;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = 0;
    return th_db_exec(url, out);
}

static long long count(const char *url, const char *sql)
{
    return th_db_int(url, sql);
}

/* A report naming url (NULL: none), with contact details. */
static int64_t report(struct vg_store *st, const char *url, char *ref)
{
    static const uint8_t sealed[] = {9, 9, 9};
    struct vg_frontier_url u = {url, "u.example",      0, 0,
                                0,   VG_FRONTIER_PAGE, 0, 0};
    struct vg_report_rec r = {"web",      "en",           "csam",
                              NULL,       "what I saw",   "{}",
                              sealed,     sizeof(sealed), 0,
                              0,          NULL,           url ? &u : NULL,
                              url ? 1 : 0};
    struct vg_report_ack ack;
    struct vg_err err = {0};

    if (vg_store_reports_add(st, &r, 1, &ack, &err))
        return 0;
    if (ref)
        strcpy(ref, ack.reference);
    return ack.id;
}

/* Close report id at t (one incident with an outcome). */
static void close_report(const char *url, int64_t id, long long t)
{
    char sql[512];

    snprintf(sql, sizeof(sql),
             "INSERT INTO incidents (report_id, incident_type, outcome,"
             " updated_at) VALUES (%lld, 'csam', 'police', %lld);"
             "UPDATE reports SET status = 'closed' WHERE id = %lld",
             (long long)id, t, (long long)id);
    if (th_db_pg(url)) { /* one statement per PQexec with parameters off */
        char *semi = strchr(sql, ';');
        *semi = 0;
        TH_CHECK(exec(url, sql) == 1);
        TH_CHECK(exec(url, semi + 1) == 1);
    } else {
        TH_CHECK(exec(url, sql) >= 1);
    }
}

static int run(struct vg_store *st, const struct vg_retention_policy *p,
               long long now, struct vg_retention_counts *c)
{
    struct vg_err err = {0};
    int rc = vg_store_retention_run(st, p, now, 0, NULL, NULL, c, &err);

    if (rc)
        fprintf(stderr, "  run: %s\n", err.msg);
    return rc;
}

static void verify(struct vg_store *st)
{
    struct vg_audit_verdict v;
    struct vg_err err = {0};

    TH_EQ_INT(vg_store_audit_verify(st, &v, &err), VG_OK);
    TH_CHECK(v.count > 0 && v.bad == 0 && v.unchecked == 0);
}

/* Contact details and reports: on their day after closing, not before;
 * held ones kept until released; open ones kept. */
static void test_reports(void)
{
    char url[512], ref_b[VG_REFERENCE_LEN + 1];
    struct vg_store *st = open_store("reports.db", url, sizeof(url));
    struct vg_retention_policy p;
    struct vg_retention_counts c;
    struct vg_err err = {0};
    int64_t a, b, open, hold = 0;
    long long closed = T0 + 10 * DAY;
    char sql[256];

    TH_CHECK(st != NULL);
    if (!st)
        return;
    vg_retention_policy_default(&p);
    a = report(st, NULL, NULL);
    b = report(st, NULL, ref_b);
    open = report(st, NULL, NULL);
    close_report(url, a, closed);
    close_report(url, b, closed);
    TH_EQ_INT(vg_store_hold_add(st, 0, "report", b, "police request 42", T0,
                                &hold, &err),
              VG_OK);
    TH_CHECK(hold > 0);
    /* the second before contact details are due: nothing */
    TH_EQ_INT(run(st, &p, closed + 365 * DAY - 1, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CONTACT] == 0);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM reports WHERE"
                              " reporter_contact IS NOT NULL"),
              3);
    /* on the day: a's go, b's are held, the open report's stay */
    TH_EQ_INT(vg_store_retention_due(st, &p, closed + 365 * DAY, &c, &err),
              VG_OK);
    TH_CHECK(c.done[VG_RET_CONTACT] == 1 && c.held[VG_RET_CONTACT] == 1);
    TH_EQ_INT(run(st, &p, closed + 365 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CONTACT] == 1 && c.held[VG_RET_CONTACT] == 1);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM reports WHERE reporter_contact IS NULL"
             " AND id = %lld",
             (long long)a);
    TH_EQ_INT((int)count(url, sql), 1);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM reports WHERE reporter_contact IS NOT"
             " NULL AND id IN (%lld, %lld)",
             (long long)b, (long long)open);
    TH_EQ_INT((int)count(url, sql), 2);
    /* reports: the second before, then on the day (with their parts) */
    TH_EQ_INT(run(st, &p, closed + 730 * DAY - 1, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_REPORTS] == 0);
    TH_EQ_INT(run(st, &p, closed + 730 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_REPORTS] == 1 && c.held[VG_RET_REPORTS] == 1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM reports"), 2);
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM incidents WHERE report_id = %lld",
             (long long)a);
    TH_EQ_INT((int)count(url, sql), 0);
    /* released, b goes at the next run */
    TH_EQ_INT(vg_store_hold_release(st, 0, "report", b, "case closed",
                                    closed + 731 * DAY, &err),
              VG_OK);
    TH_EQ_INT(run(st, &p, closed + 731 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CONTACT] == 1 && c.done[VG_RET_REPORTS] == 1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM reports"), 1);
    verify(st);
    vg_store_close(st);
}

/* The crawl's findings and cases: media m1 (thumbnail waiting) seen at
 * u1 (a removed case c1, its first detection d1, a notice and a
 * re-check), m2 at u2 (detection d2, no case; a sighting g4 with none)
 * and at u3 (an open case c3, its detection d3).  Report r names u2. */
static void fill_found(const char *url, int64_t u2)
{
    char sql[1024];

    TH_CHECK(exec(url, "INSERT INTO urls (id, url, host, first_seen_at)"
                       " VALUES (101, 'http://u1.example/', 'u1.example', 1),"
                       " (103, 'http://u3.example/', 'u3.example', 1)") == 2);
    TH_CHECK(exec(url, "INSERT INTO media (id, sha256, first_seen_at,"
                       " thumbnail, review, review_queued_at) VALUES"
                       " (1, B'01', 1700000000, B'ffd8', 'pending',"
                       " 1700000000), (2, B'02', 1700000000, NULL, NULL,"
                       " NULL)") == 2);
    snprintf(sql, sizeof(sql),
             "INSERT INTO sightings (id, media_id, url_id, seen_at) VALUES"
             " (1, 1, 101, %lld), (2, 2, %lld, %lld), (3, 2, 103, %lld),"
             " (4, 2, %lld, %lld)",
             T0, (long long)u2, T0, T0, (long long)u2, T0);
    TH_CHECK(exec(url, sql) == 4);
    snprintf(sql, sizeof(sql),
             "INSERT INTO detections (id, sighting_id, media_id, algo,"
             " distance, detected_at) VALUES (1, 1, 1, 'sha256', 0, %lld),"
             " (2, 2, 2, 'sha256', 0, %lld), (3, 3, 2, 'sha256', 0, %lld)",
             T0, T0, T0);
    TH_CHECK(exec(url, sql) == 3);
    snprintf(sql, sizeof(sql),
             "INSERT INTO cases (id, url_id, first_detection_id, opened_at,"
             " removed_at, status) VALUES (1, 101, 1, %lld, %lld,"
             " 'removed'), (3, 103, 3, %lld, NULL, 'open')",
             T0, T0 + 5 * DAY, T0);
    TH_CHECK(exec(url, sql) == 2);
    TH_CHECK(exec(url, "INSERT INTO providers (id, name, created_at) VALUES"
                       " (1, 'p', 1)") == 1);
    TH_CHECK(exec(url, "INSERT INTO notices (id, provider_id, cycle,"
                       " message_id, language, created_at, state) VALUES"
                       " (1, 1, 1, 'm1', 'en', 1700000000, 'sent')") == 1);
    TH_CHECK(exec(url, "INSERT INTO notice_cases (notice_id, case_id)"
                       " VALUES (1, 1)") == 1);
    TH_CHECK(exec(url, "INSERT INTO rechecks (case_id, checked_at, result)"
                       " VALUES (1, 1700000000, 'gone')") == 1);
}

static void test_found(void)
{
    char url[512];
    struct vg_store *st = open_store("found.db", url, sizeof(url));
    struct vg_retention_policy p;
    struct vg_retention_counts c;
    struct vg_err err = {0};
    int64_t r, u2 = 0, hold = 0;
    long long removed = T0 + 5 * DAY;

    TH_CHECK(st != NULL);
    if (!st)
        return;
    vg_retention_policy_default(&p);
    r = report(st, "http://u2.example/", NULL);
    u2 = count(url, "SELECT id FROM urls WHERE url = 'http://u2.example/'");
    TH_CHECK(r > 0 && u2 > 0);
    fill_found(url, u2);
    /* thumbnails: 90 days after queued */
    TH_EQ_INT(run(st, &p, T0 + 90 * DAY - 1, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_THUMBNAILS] == 0);
    TH_EQ_INT(run(st, &p, T0 + 90 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_THUMBNAILS] == 1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM media WHERE thumbnail"
                              " IS NULL AND review IS NULL AND id = 1"),
              1);
    /* a hold on the report naming u2 keeps what was found there */
    TH_EQ_INT(vg_store_hold_add(st, 0, "report", r, "evidence", T0, &hold,
                                &err),
              VG_OK);
    TH_EQ_INT(run(st, &p, T0 + 365 * DAY - 1, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_DETECTIONS] == 0 && c.done[VG_RET_SIGHTINGS] == 0);
    TH_EQ_INT(run(st, &p, T0 + 365 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_DETECTIONS] == 0 && c.held[VG_RET_DETECTIONS] == 1);
    TH_CHECK(c.done[VG_RET_SIGHTINGS] == 0 && c.held[VG_RET_SIGHTINGS] == 1);
    TH_EQ_INT(vg_store_hold_release(st, 0, "report", r, "", T0, &err), VG_OK);
    /* released: d2 goes, then g2 and g4; d1 (a case's first) and d3 (an
       open case's) stay, and their sightings */
    TH_EQ_INT(run(st, &p, T0 + 365 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_DETECTIONS] == 1 && c.done[VG_RET_SIGHTINGS] == 2);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM detections"), 2);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM sightings"), 2);
    /* the removed case: held, then on its day with its parts */
    TH_EQ_INT(vg_store_hold_add(st, 0, "case", 1, "court order", T0, &hold,
                                &err),
              VG_OK);
    TH_EQ_INT(vg_store_hold_add(st, 0, "case", 1, "again", T0, &hold, &err),
              VG_EEXIST);
    TH_EQ_INT(vg_store_hold_add(st, 0, "case", 99, "none", T0, &hold, &err),
              VG_ENOENT);
    TH_EQ_INT(run(st, &p, removed + 730 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CASES] == 0 && c.held[VG_RET_CASES] == 1);
    TH_EQ_INT(vg_store_hold_release(st, 0, "case", 1, "", T0, &err), VG_OK);
    TH_EQ_INT(vg_store_hold_release(st, 0, "case", 1, "", T0, &err),
              VG_ENOENT);
    TH_EQ_INT(run(st, &p, removed + 730 * DAY - 1, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CASES] == 0);
    TH_EQ_INT(run(st, &p, removed + 730 * DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CASES] == 1 && c.done[VG_RET_SIGHTINGS] == 1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM cases"), 1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM notices"), 0);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM notice_cases"), 0);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM rechecks"), 0);
    /* the open case and its evidence stay, whatever the date */
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM detections WHERE id = 3"),
              1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM sightings WHERE id = 3"),
              1);
    verify(st);
    vg_store_close(st);
}

static int calls;
static int stop_at_second(void *ctx)
{
    (void)ctx;
    return ++calls < 2;
}

/* Find the last retention.run record's detail. */
static int last_run(void *ctx, const struct vg_audit_record *r)
{
    if (r->action && !strcmp(r->action, "retention.run"))
        snprintf(ctx, 512, "%s", r->detail ? r->detail : "");
    return VG_OK;
}

/* Sessions in batches: a stopped run leaves whole batches; the records. */
static void test_batches(void)
{
    char url[512], sql[256], detail[512] = "";
    struct vg_store *st = open_store("batches.db", url, sizeof(url));
    struct vg_retention_policy p;
    struct vg_retention_counts c;
    struct vg_err err = {0};

    TH_CHECK(st != NULL);
    if (!st)
        return;
    for (int k = 0; k < VG_RET_KINDS; k++)
        p.days[k] = -1;
    p.days[VG_RET_SESSIONS] = 0;
    p.batch = 3;
    TH_CHECK(exec(url, "INSERT INTO users (id, username, password_hash,"
                       " role, created_at) VALUES (1, 'a', 'x', 'admin',"
                       " 1)") == 1);
    for (int i = 0; i < 8; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO sessions (token_hash, user_id, csrf,"
                 " created_at, expires_at) VALUES (B'0%d', 1, 'c', 1, %lld)",
                 i, i < 7 ? T0 : T0 + DAY);
        TH_CHECK(exec(url, sql) == 1);
    }
    TH_EQ_INT(vg_store_retention_run(st, &p, T0, 0, stop_at_second, NULL, &c,
                                     &err),
              VG_OK);
    TH_CHECK(c.stopped && c.done[VG_RET_SESSIONS] == 3);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM sessions"), 5);
    TH_EQ_INT(vg_store_audit(st, 0, 0, last_run, detail, NULL, &err), VG_OK);
    TH_CHECK(strstr(detail, "sessions=3") && strstr(detail, "stopped"));
    TH_EQ_INT(run(st, &p, T0, &c), VG_OK);
    TH_CHECK(!c.stopped && c.done[VG_RET_SESSIONS] == 4);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM sessions"), 1);
    TH_EQ_INT(vg_store_audit(st, 0, 0, last_run, detail, NULL, &err), VG_OK);
    TH_CHECK(strstr(detail, "deleted contact=0") &&
             strstr(detail, "sessions=4") && !strstr(detail, "stopped"));
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM audit_log WHERE action"
                              " = 'retention.run'"),
              2);
    p.batch = 0;
    TH_EQ_INT(run(st, &p, T0, &c), VG_EINVAL);
    verify(st);
    vg_store_close(st);
}

/* Rows by id across batches: a held one among them is passed over, every
 * other one goes, whatever the batch size. */
static void test_batches_by_id(void)
{
    char url[512];
    struct vg_store *st = open_store("byid.db", url, sizeof(url));
    struct vg_retention_policy p;
    struct vg_retention_counts c;
    struct vg_err err = {0};
    int64_t ids[7];

    TH_CHECK(st != NULL);
    if (!st)
        return;
    for (int k = 0; k < VG_RET_KINDS; k++)
        p.days[k] = -1;
    p.days[VG_RET_CONTACT] = 1;
    p.batch = 2;
    for (int i = 0; i < 7; i++) {
        ids[i] = report(st, NULL, NULL);
        close_report(url, ids[i], T0);
    }
    TH_EQ_INT(vg_store_hold_add(st, 0, "report", ids[1], "kept", T0, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(vg_store_hold_add(st, 0, "report", ids[4], "kept", T0, NULL,
                                &err),
              VG_OK);
    TH_EQ_INT(run(st, &p, T0 + DAY, &c), VG_OK);
    TH_CHECK(c.done[VG_RET_CONTACT] == 5 && c.held[VG_RET_CONTACT] == 2);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM reports WHERE"
                              " reporter_contact IS NOT NULL"),
              2);
    verify(st);
    vg_store_close(st);
}

/* Erase requests: cleared and audited, refused under a hold. */
static void test_erase(void)
{
    char url[512], ref[VG_REFERENCE_LEN + 1];
    struct vg_store *st = open_store("erase.db", url, sizeof(url));
    struct vg_holds *h = NULL;
    struct vg_err err = {0};
    int64_t id, found = 0, hold = 0;
    int had = -1, held = 0;

    TH_CHECK(st != NULL);
    if (!st)
        return;
    id = report(st, NULL, ref);
    TH_EQ_INT(vg_store_report_find(st, ref, &found, &err), VG_OK);
    TH_CHECK(found == id);
    TH_EQ_INT(vg_store_report_find(st, "AAAA-AAAA-AAAA", &found, &err),
              VG_ENOENT);
    TH_EQ_INT(vg_store_hold_add(st, 0, "report", id, "subpoena", T0, &hold,
                                &err),
              VG_OK);
    TH_EQ_INT(vg_store_held(st, "report", id, &held, &err), VG_OK);
    TH_EQ_INT(held, 1);
    TH_EQ_INT(vg_store_report_erase(st, 0, id, "asked by phone", &had, &err),
              VG_EBUSY);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM reports WHERE"
                              " reporter_contact IS NOT NULL"),
              1);
    TH_EQ_INT(vg_store_hold_release(st, 0, "report", id, "lifted", T0, &err),
              VG_OK);
    TH_EQ_INT(vg_store_held(st, "report", id, &held, &err), VG_OK);
    TH_EQ_INT(held, 0);
    TH_EQ_INT(vg_store_report_erase(st, 0, id, "asked by phone", &had, &err),
              VG_OK);
    TH_EQ_INT(had, 1);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM reports WHERE"
                              " reporter_contact IS NOT NULL"),
              0);
    TH_EQ_INT(vg_store_report_erase(st, 0, id, "again", &had, &err), VG_OK);
    TH_EQ_INT(had, 0);
    TH_EQ_INT(vg_store_report_erase(st, 0, id + 100, "x", &had, &err),
              VG_ENOENT);
    TH_EQ_INT((int)count(url, "SELECT count(*) FROM audit_log WHERE action"
                              " = 'report.erase'"),
              2);
    /* the released hold is history */
    TH_EQ_INT(vg_store_holds(st, 0, &h, &err), VG_OK);
    TH_EQ_INT((int)h->n, 0);
    vg_holds_free(h);
    TH_EQ_INT(vg_store_holds(st, 1, &h, &err), VG_OK);
    TH_EQ_INT((int)h->n, 1);
    if (h->n == 1) {
        TH_EQ_STR(h->v[0].reference, ref);
        TH_EQ_STR(h->v[0].reason, "subpoena");
        TH_CHECK(h->v[0].released_at == T0);
    }
    vg_holds_free(h);
    TH_EQ_INT(vg_store_hold_add(st, 0, "user", id, "x", T0, &hold, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_store_hold_add(st, 0, "report", id, "", T0, &hold, &err),
              VG_EINVAL);
    verify(st);
    vg_store_close(st);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_reports);
    TH_RUN(test_found);
    TH_RUN(test_batches);
    TH_RUN(test_batches_by_id);
    TH_RUN(test_erase);
    {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
    return th_done();
}
