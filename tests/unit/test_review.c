/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Media review in the store (vigil/store_review.h): a sighting with a
 * thumbnail queues its media once (never again once decided, never a
 * second thumbnail), the queue (order, paging, counts, the viewer's vote,
 * the reports that led there through the frontier), one item with its
 * evidence, votes and decisions: agreement of 2 and of 3 analysts, a vote
 * changed (never counted twice), not-actionable dismissing without list
 * entries, the verified list created on first use, thumbnails deleted,
 * errors leaving nothing behind, analysts voting at once, and the audit
 * chain intact after all of it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "th.h"
#include "th_db.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_lists.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "vigil/store_review.h"
#include "vigil/view.h"

/* The chain's walk, as count and first bad record. */
static int audit_verify(struct vg_store *st, int64_t *count, int64_t *bad,
                        struct vg_err *err)
{
    struct vg_audit_verdict v;
    int rc = vg_store_audit_verify(st, &v, err);

    *count = v.count;
    *bad = v.bad;
    return rc;
}

static char dir[] = "/tmp/vigil-test-review-XXXXXX";

static int count_rows(const char *db, const char *sql)
{
    return (int)th_db_int(db, sql);
}

static int64_t leased_id;

static int take_lease(void *ctx, const struct vg_frontier_lease *l)
{
    (void)ctx;
    leased_id = l->url_id;
    return VG_OK;
}

/* Queue one URL in the crawl and lease it; its id (0 on failure). */
static int64_t lease_one(struct vg_store *st, int64_t crawl, const char *url,
                         int64_t parent, enum vg_frontier_kind kind)
{
    struct vg_frontier_url u = {url,    "a.example", 0, parent ? 1 : 0,
                                parent, kind,        0, 0};
    size_t n = 0;

    leased_id = 0;
    if (vg_store_frontier_add(st, crawl, &u, 1, NULL, NULL) ||
        vg_store_frontier_lease(st, crawl, 1, 0, time(NULL), take_lease, NULL,
                                &n, NULL) ||
        n != 1)
        return 0;
    return leased_id;
}

/* Hashes of test media i: distinct bytes per i. */
struct hashes {
    uint8_t sha256[32], md5[16], sha1[20], pdq[32];
};

static struct hashes hashes_of(int i)
{
    struct hashes h;

    memset(&h, 0, sizeof(h));
    h.sha256[0] = h.md5[0] = h.sha1[0] = h.pdq[0] = (uint8_t)i;
    h.sha256[31] = 0xa5;
    h.pdq[5] = 0x3c;
    return h;
}

/*
 * A sighting of media i at url (on page page_id, 0: none), committed with
 * its URL's end; thumb (may be NULL) is its sealed thumbnail.
 */
static int sight(struct vg_store *st, int64_t crawl, int i, const char *url,
                 int64_t page_id, const char *thumb, int pdq_quality,
                 const struct vg_detection_rec *det, size_t ndet)
{
    struct hashes h = hashes_of(i);
    int64_t id = lease_one(st, crawl, url, page_id, VG_FRONTIER_MEDIA);
    struct vg_sighting_rec s = {
        .url_id = id,
        .page_url_id = page_id,
        .seen_at = (int64_t)time(NULL),
        .http_status = 200,
        .server_ip = "192.0.2.7",
        .headers_json = "{}",
        .sha256 = h.sha256,
        .md5 = h.md5,
        .sha1 = h.sha1,
        .pdq = pdq_quality >= 0 ? h.pdq : NULL,
        .pdq_quality = pdq_quality,
        .format = "jpeg",
        .width = 640,
        .height = 480,
        .bytes = 1000 + i,
        .detections = det,
        .ndetections = ndet,
        .thumbnail = (const uint8_t *)thumb,
        .thumbnail_len = thumb ? strlen(thumb) : 0,
    };
    struct vg_frontier_done d = {id, 1, 200, NULL};
    struct vg_crawl_batch b = {&d, 1, NULL, 0, &s, 1};

    if (!id)
        return VG_EINTERNAL;
    return vg_store_crawl_commit(st, crawl, &b, NULL, NULL);
}

static int64_t media_of(const char *db, int i)
{
    char sql[256], hex[65];
    struct hashes h = hashes_of(i);

    vg_hex_encode(h.sha256, 32, hex);
    snprintf(sql, sizeof(sql),
             th_db_pg(db) ? "SELECT id FROM media WHERE sha256 = '\\x%s'"
                          : "SELECT id FROM media WHERE hex(sha256) ="
                            " upper('%s')",
             hex);
    return count_rows(db, sql);
}

static int64_t add_user(struct vg_store *st, const char *name)
{
    int64_t id = 0;

    if (vg_store_user_add(st, 0, name, "$argon2id$test", VG_ROLE_ANALYST, &id,
                          NULL))
        return 0;
    return id;
}

struct queue_log {
    int n;
    int64_t ids[16];
    int64_t sightings[16], votes[16];
    char my_vote[16][32];
    char url[16][128], page[16][128];
    char refs[16][VG_REFERENCE_LEN + 1];
    size_t nreports[16];
    char sha[16][65];
};

static int log_item(void *ctx, const struct vg_review_item *it)
{
    struct queue_log *q = ctx;
    int k = q->n++;

    if (k >= 16)
        return VG_OK;
    q->ids[k] = it->media_id;
    q->sightings[k] = it->sightings;
    q->votes[k] = it->votes;
    snprintf(q->my_vote[k], 32, "%s", it->my_vote ? it->my_vote : "");
    snprintf(q->url[k], 128, "%s", it->url);
    snprintf(q->page[k], 128, "%s", it->page_url ? it->page_url : "");
    q->nreports[k] = it->nreports;
    snprintf(q->refs[k], sizeof(q->refs[k]), "%s",
             it->nreports ? it->reports[0].reference : "");
    memcpy(q->sha[k], it->sha256, 65);
    return VG_OK;
}

static struct queue_log queue(struct vg_store *st, int64_t viewer,
                              unsigned flags, int64_t limit, int64_t offset,
                              int64_t *total)
{
    struct queue_log q;
    struct vg_err err = {0};

    memset(&q, 0, sizeof(q));
    if (vg_store_review_queue(st, viewer, flags, limit, offset, log_item, &q,
                              total, &err)) {
        fprintf(stderr, "  queue: %s\n", err.msg);
        q.n = -1;
    }
    return q;
}

static int wanted(struct vg_store *st, int i)
{
    struct hashes h = hashes_of(i);
    int w = -1;

    if (vg_store_review_wanted(st, h.sha256, &w, NULL))
        return -1;
    return w;
}

/* ---- the queue ---- */

static void test_queue(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    const struct vg_frontier_url rurl = {"http://a.example/reported",
                                         "a.example",
                                         0,
                                         0,
                                         0,
                                         VG_FRONTIER_PAGE,
                                         0,
                                         0};
    struct vg_report_rec rep = {"web", "en", "csam", NULL, "",    NULL, NULL,
                                0,     0,    0,      NULL, &rurl, 1};
    struct vg_report_ack ack;
    struct queue_log q;
    int64_t crawl = 0, rcrawl = 0, page = 0, total = 0, u1 = 0;
    uint8_t *thumb = NULL;
    size_t tn = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "queue.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    TH_CHECK((u1 = add_user(st, "ana")) > 0);
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    /* never seen: wanted */
    TH_EQ_INT(wanted(st, 1), 1);
    /* 1: a thumbnail, 2: none (as if it matched a list), 3: a thumbnail */
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/1.jpg", 0, "thumb-1", 90,
                    NULL, 0),
              VG_OK);
    TH_EQ_INT(sight(st, crawl, 2, "http://a.example/2.jpg", 0, NULL, 90, NULL,
                    0),
              VG_OK);
    TH_EQ_INT(sight(st, crawl, 3, "http://a.example/3.jpg", 0, "thumb-3", 90,
                    NULL, 0),
              VG_OK);
    TH_EQ_INT(wanted(st, 1), 0); /* pending */
    TH_EQ_INT(wanted(st, 2), 1); /* known, never queued */
    /* 1 again elsewhere, with another thumbnail: the first one stays */
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/1-copy.jpg", 0,
                    "thumb-1-again", 90, NULL, 0),
              VG_OK);
    TH_EQ_INT(vg_store_review_thumbnail(st, media_of(db, 1), &thumb, &tn,
                                        &err),
              VG_OK);
    TH_EQ_INT(tn, 7);
    TH_CHECK(thumb && !memcmp(thumb, "thumb-1", 7));
    vg_free(thumb);
    TH_EQ_INT(vg_store_review_thumbnail(st, media_of(db, 2), &thumb, &tn,
                                        &err),
              VG_ENOENT);
    /* 4 through a report: the reported page, then an image on it */
    TH_EQ_INT(vg_store_reports_add(st, &rep, 1, &ack, &err), VG_OK);
    TH_EQ_INT(vg_store_reports_crawl(st, &rcrawl, &err), VG_OK);
    {
        struct vg_frontier_url img = {
            "http://a.example/4.jpg", "a.example", 0, 1, 0,
            VG_FRONTIER_MEDIA,        0,           0};
        struct vg_frontier_done d;
        struct vg_crawl_batch b = {&d, 1, &img, 1, NULL, 0};
        size_t n = 0;
        TH_EQ_INT(vg_store_frontier_lease(st, rcrawl, 1, 0, time(NULL),
                                          take_lease, NULL, &n, &err),
                  VG_OK);
        TH_EQ_INT(n, 1);
        page = leased_id;
        d = (struct vg_frontier_done){page, 1, 200, NULL};
        img.parent_url_id = page;
        TH_EQ_INT(vg_store_crawl_commit(st, rcrawl, &b, NULL, &err), VG_OK);
    }
    {
        /* the image, leased in the reports crawl, seen on the page */
        struct hashes h = hashes_of(4);
        size_t n = 0;
        struct vg_sighting_rec s = {.page_url_id = page,
                                    .seen_at = (int64_t)time(NULL),
                                    .http_status = 200,
                                    .sha256 = h.sha256,
                                    .md5 = h.md5,
                                    .sha1 = h.sha1,
                                    .format = "png",
                                    .width = 10,
                                    .height = 10,
                                    .bytes = 99,
                                    .thumbnail = (const uint8_t *)"thumb-4",
                                    .thumbnail_len = 7};
        struct vg_frontier_done d;
        struct vg_crawl_batch b = {&d, 1, NULL, 0, &s, 1};
        TH_EQ_INT(vg_store_frontier_lease(st, rcrawl, 1, 0, time(NULL),
                                          take_lease, NULL, &n, &err),
                  VG_OK);
        TH_EQ_INT(n, 1);
        s.url_id = leased_id;
        d = (struct vg_frontier_done){leased_id, 1, 200, NULL};
        TH_EQ_INT(vg_store_crawl_commit(st, rcrawl, &b, NULL, &err), VG_OK);
    }
    /* oldest first: 1, 3, 4 */
    q = queue(st, u1, 0, 0, 0, &total);
    TH_EQ_INT(q.n, 3);
    TH_EQ_INT(total, 3);
    TH_EQ_INT(q.ids[0], media_of(db, 1));
    TH_EQ_INT(q.ids[1], media_of(db, 3));
    TH_EQ_INT(q.ids[2], media_of(db, 4));
    TH_EQ_INT(q.sightings[0], 2);
    TH_EQ_INT(q.sightings[1], 1);
    TH_EQ_STR(q.url[0], "http://a.example/1-copy.jpg"); /* the latest */
    TH_EQ_INT(q.nreports[0], 0);
    TH_EQ_INT(q.nreports[2], 1);
    TH_EQ_STR(q.refs[2], ack.reference);
    TH_EQ_STR(q.page[2], "http://a.example/reported");
    TH_EQ_INT(strlen(q.sha[0]), 64);
    TH_CHECK(!strncmp(q.sha[0], "01000000", 8));
    /* paging */
    q = queue(st, u1, 0, 2, 0, &total);
    TH_EQ_INT(q.n, 2);
    TH_EQ_INT(total, 3);
    q = queue(st, u1, 0, 2, 2, NULL);
    TH_EQ_INT(q.n, 1);
    TH_EQ_INT(q.ids[0], media_of(db, 4));
    /* the viewer's vote, and the items they have not voted on */
    TH_EQ_INT(vg_store_review_add(st, media_of(db, 3), u1, VG_REVIEW_HARMFUL,
                                  2, NULL, &err),
              VG_OK);
    q = queue(st, u1, 0, 0, 0, &total);
    TH_EQ_STR(q.my_vote[1], "harmful-abusive");
    TH_EQ_STR(q.my_vote[0], "");
    TH_EQ_INT(q.votes[1], 1);
    q = queue(st, u1, VG_REVIEW_QUEUE_UNVOTED, 0, 0, &total);
    TH_EQ_INT(q.n, 2);
    TH_EQ_INT(total, 2);
    TH_EQ_INT(q.ids[1], media_of(db, 4));
    /* another viewer sees no vote of theirs */
    q = queue(st, 0, VG_REVIEW_QUEUE_UNVOTED, 0, 0, &total);
    TH_EQ_INT(total, 3);
    /* as JSON, for the console's templates */
    {
        json_t *j = NULL, *items, *last;
        TH_EQ_INT(vg_view_review_queue(st, u1, 0, 10, 0, &j, &err), VG_OK);
        items = json_object_get(j, "items");
        TH_EQ_INT(json_integer_value(json_object_get(j, "total")), 3);
        TH_EQ_INT(json_array_size(items), 3);
        last = json_array_get(items, 2);
        TH_EQ_INT(json_integer_value(json_object_get(last, "media_id")),
                  media_of(db, 4));
        TH_EQ_STR(json_string_value(json_object_get(
                      json_array_get(json_object_get(last, "reports"), 0),
                      "reference")),
                  ack.reference);
        TH_CHECK(json_is_null(json_object_get(last, "my_vote")));
        TH_EQ_STR(json_string_value(
                      json_object_get(json_array_get(items, 1), "my_vote")),
                  "harmful-abusive");
        json_decref(j);
    }
    vg_store_close(st);
}

/* ---- one item ---- */

static void test_media_item(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_list l;
    struct vg_store_import *im = NULL;
    struct vg_list_entry e;
    struct vg_review_media *m = NULL;
    struct hashes h = hashes_of(5);
    int64_t crawl = 0, list = 0, entry = 0, page = 0, u1, u2;
    char hex[65];

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "item.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    u1 = add_user(st, "ana");
    u2 = add_user(st, "bob");
    /* a list entry for a (near) detection */
    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "partner");
    snprintf(l.category, sizeof(l.category), "csam");
    l.pdq_distance = 31;
    l.enabled = 1;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &list, &err), VG_OK);
    memset(&e, 0, sizeof(e));
    e.algo = VG_ALGO_PDQ;
    e.value[0] = 0x77;
    e.quality = 80;
    TH_EQ_INT(vg_store_import_begin(st, 0, list, "t", "lines", NULL, &im,
                                    &err),
              VG_OK);
    TH_EQ_INT(vg_store_import_add(im, &e, &err), VG_OK);
    TH_EQ_INT(vg_store_import_commit(im, 1, NULL, NULL, &err), VG_OK);
    entry = count_rows(db, "SELECT id FROM list_entries");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    page = lease_one(st, crawl, "http://a.example/page", 0, VG_FRONTIER_PAGE);
    {
        struct vg_frontier_done d = {page, 1, 200, NULL};
        struct vg_crawl_batch b = {&d, 1, NULL, 0, NULL, 0};
        TH_EQ_INT(vg_store_crawl_commit(st, crawl, &b, NULL, &err), VG_OK);
    }
    TH_EQ_INT(sight(st, crawl, 5, "http://a.example/5.jpg", page, "sealed-5",
                    88, NULL, 0),
              VG_OK);
    {
        struct vg_detection_rec det = {entry, "pdq", 12, "rotate90"};
        TH_EQ_INT(sight(st, crawl, 5, "http://a.example/5b.jpg", 0, NULL, 88,
                        &det, 1),
                  VG_OK);
    }
    TH_EQ_INT(vg_store_review_add(st, media_of(db, 5), u2, VG_REVIEW_CSAM, 3,
                                  NULL, &err),
              VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media_of(db, 5), u1,
                                  VG_REVIEW_NOT_ACTIONABLE, 3, NULL, &err),
              VG_OK);
    TH_EQ_INT(vg_store_review_media(st, media_of(db, 5), &m, &err), VG_OK);
    TH_CHECK(m != NULL);
    if (m) {
        vg_hex_encode(h.sha256, 32, hex);
        TH_EQ_STR(m->sha256, hex);
        vg_hex_encode(h.md5, 16, hex);
        TH_EQ_STR(m->md5, hex);
        vg_hex_encode(h.sha1, 20, hex);
        TH_EQ_STR(m->sha1, hex);
        vg_hex_encode(h.pdq, 32, hex);
        TH_EQ_STR(m->pdq, hex);
        TH_EQ_INT(m->pdq_quality, 88);
        TH_EQ_STR(m->format, "jpeg");
        TH_EQ_INT(m->width, 640);
        TH_EQ_INT(m->height, 480);
        TH_EQ_INT(m->bytes, 1005);
        TH_EQ_STR(m->review, "pending");
        TH_CHECK(m->classification == NULL);
        TH_CHECK(m->queued_at > 0);
        TH_EQ_INT(m->reviewed_at, 0);
        TH_EQ_INT(m->sightings_total, 2);
        TH_EQ_INT(m->nsightings, 2);
        if (m->nsightings == 2) { /* newest first */
            TH_EQ_STR(m->sightings[0].url, "http://a.example/5b.jpg");
            TH_CHECK(m->sightings[0].page_url == NULL);
            TH_EQ_STR(m->sightings[1].url, "http://a.example/5.jpg");
            TH_EQ_STR(m->sightings[1].page_url, "http://a.example/page");
            TH_EQ_INT(m->sightings[1].http_status, 200);
            TH_EQ_STR(m->sightings[1].server_ip, "192.0.2.7");
            TH_EQ_INT(m->sightings[1].crawl_id, crawl);
        }
        TH_EQ_INT(m->ndetections, 1);
        if (m->ndetections) {
            TH_EQ_STR(m->detections[0].list, "partner");
            TH_EQ_STR(m->detections[0].category, "csam");
            TH_EQ_STR(m->detections[0].algo, "pdq");
            TH_EQ_STR(m->detections[0].variant, "rotate90");
            TH_EQ_INT(m->detections[0].distance, 12);
            TH_EQ_INT(m->detections[0].entry_id, entry);
        }
        TH_EQ_INT(m->nvotes, 2);
        if (m->nvotes == 2) {
            TH_EQ_STR(m->votes[0].username, "bob");
            TH_EQ_STR(m->votes[0].classification, "csam");
            TH_EQ_STR(m->votes[1].username, "ana");
            TH_EQ_STR(m->votes[1].classification, "not-actionable");
            TH_CHECK(m->votes[1].decided_at > 0);
        }
        TH_EQ_INT(m->thumbnail_len, 8);
        TH_CHECK(m->thumbnail && !memcmp(m->thumbnail, "sealed-5", 8));
    }
    vg_review_media_free(m);
    vg_review_media_free(NULL);
    TH_EQ_INT(vg_store_review_media(st, 999, &m, &err), VG_ENOENT);
    TH_CHECK(m == NULL);
    {
        struct vg_review_media *rm = NULL;
        json_t *j = NULL;
        TH_EQ_INT(vg_store_review_media(st, media_of(db, 5), &rm, &err),
                  VG_OK);
        TH_CHECK((j = vg_view_review_media(rm)) != NULL);
        vg_review_media_free(rm);
        TH_CHECK(json_is_true(json_object_get(j, "has_thumbnail")));
        TH_CHECK(json_object_get(j, "thumbnail") == NULL);
        TH_EQ_INT(json_integer_value(json_object_get(j, "pdq_quality")), 88);
        TH_EQ_INT(json_array_size(json_object_get(j, "sightings")), 2);
        TH_EQ_INT(json_array_size(json_object_get(j, "votes")), 2);
        TH_EQ_STR(json_string_value(json_object_get(
                      json_array_get(json_object_get(j, "detections"), 0),
                      "list")),
                  "partner");
        TH_EQ_STR(json_string_value(json_object_get(j, "review")), "pending");
        TH_CHECK(json_is_null(json_object_get(j, "classification")));
        json_decref(j);
        TH_EQ_INT(vg_store_review_media(st, 999, &rm, &err), VG_ENOENT);
    }
    /* allocations failing one after the other: an error or the item */
    for (long k = 0; k < 200; k++) {
        int rc;
        m = NULL;
        vg_alloc_fail_after(k);
        rc = vg_store_review_media(st, media_of(db, 5), &m, &err);
        vg_alloc_fail_after(-1);
        TH_CHECK(rc == VG_OK || rc == VG_ENOMEM);
        TH_CHECK(rc == VG_OK ? m != NULL : m == NULL);
        vg_review_media_free(m);
        if (rc == VG_OK)
            break;
    }
    vg_store_close(st);
}

/* ---- votes and decisions ---- */

struct list_entries {
    int n, sha256, md5, sha1, pdq;
    char category[32], metadata[256];
};

static int log_entry(void *ctx, const struct vg_list_entry *e)
{
    struct list_entries *le = ctx;

    le->n++;
    le->sha256 += e->algo == VG_ALGO_SHA256;
    le->md5 += e->algo == VG_ALGO_MD5;
    le->sha1 += e->algo == VG_ALGO_SHA1;
    le->pdq += e->algo == VG_ALGO_PDQ;
    snprintf(le->category, sizeof(le->category), "%s",
             e->category ? e->category : "");
    snprintf(le->metadata, sizeof(le->metadata), "%s",
             e->metadata ? e->metadata : "");
    return VG_OK;
}

static struct list_entries entries_of(struct vg_store *st, int64_t list)
{
    struct list_entries le;

    memset(&le, 0, sizeof(le));
    if (vg_store_entries(st, list, 0, log_entry, &le, NULL))
        le.n = -1;
    return le;
}

static void test_agree_two(void)
{
    char db[256], meta[128];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_review_result r;
    struct vg_list vl;
    struct list_entries le;
    int64_t crawl = 0, media, u1, u2, u3, total = 0, count = 0, bad = 0;
    uint8_t *thumb = NULL;
    size_t tn = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "two.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    u1 = add_user(st, "ana");
    u2 = add_user(st, "bob");
    u3 = add_user(st, "cy");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/1.jpg", 0, "t1", 90, NULL,
                    0),
              VG_OK);
    media = media_of(db, 1);
    /* no list yet */
    TH_EQ_INT(vg_store_list_get(st, VG_REVIEW_LIST, &vl, &err), VG_ENOENT);
    TH_EQ_INT(vg_store_review_add(st, media, u1, VG_REVIEW_CSAM, 2, &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_RECORDED);
    TH_EQ_INT(r.agree, 1);
    TH_EQ_INT(r.votes, 1);
    /* the same analyst again: a vote is not counted twice */
    TH_EQ_INT(vg_store_review_add(st, media, u1, VG_REVIEW_CSAM, 2, &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_RECORDED);
    TH_EQ_INT(r.agree, 1);
    TH_EQ_INT(r.changed, 0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM reviews"), 1);
    TH_EQ_INT(vg_store_review_add(st, media, u2, VG_REVIEW_CSAM, 2, &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_VERIFIED);
    TH_EQ_INT(r.agree, 2);
    TH_EQ_INT(r.entries_added, 4); /* SHA-256, MD5, SHA-1, PDQ */
    /* the list, created on first use: a block list of the analysts' */
    TH_EQ_INT(vg_store_list_get(st, VG_REVIEW_LIST, &vl, &err), VG_OK);
    TH_EQ_INT(vl.id, r.list_id);
    TH_EQ_STR(vl.source, "analysts");
    TH_EQ_INT(vl.kind, VG_LIST_BLOCK);
    TH_EQ_INT(vl.enabled, 1);
    le = entries_of(st, vl.id);
    TH_EQ_INT(le.n, 4);
    TH_EQ_INT(le.sha256 + le.md5 + le.sha1 + le.pdq, 4);
    TH_EQ_INT(le.pdq, 1);
    TH_EQ_STR(le.category, "csam");
    snprintf(meta, sizeof(meta),
             "{\"media\":%lld,\"classification\":\"csam\",\"analysts\":"
             "[%lld,%lld]}",
             (long long)media, (long long)u1, (long long)u2);
    TH_EQ_STR(le.metadata, meta);
    /* out of the queue, thumbnail deleted, decision kept */
    queue(st, 0, 0, 0, 0, &total);
    TH_EQ_INT(total, 0);
    TH_EQ_INT(vg_store_review_thumbnail(st, media, &thumb, &tn, &err),
              VG_ENOENT);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE thumbnail IS"
                             " NOT NULL"),
              0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE review ="
                             " 'done' AND classification = 'csam' AND"
                             " reviewed_at > 0"),
              1);
    /* decided: a late vote is refused and changes nothing */
    TH_EQ_INT(vg_store_review_add(st, media, u3, VG_REVIEW_NOT_ACTIONABLE, 2,
                                  &r, &err),
              VG_EEXIST);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM reviews"), 2);
    /* seen again with a thumbnail: never back in the queue */
    TH_EQ_INT(wanted(st, 1), 0);
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/again.jpg", 0, "t1-again",
                    90, NULL, 0),
              VG_OK);
    queue(st, 0, 0, 0, 0, &total);
    TH_EQ_INT(total, 0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE thumbnail IS"
                             " NOT NULL"),
              0);
    /* a second verified media: the list is reused, hashes already there
       are not added twice (same PDQ as media 1: 3 new entries) */
    TH_EQ_INT(sight(st, crawl, 2, "http://a.example/2.jpg", 0, "t2", 90, NULL,
                    0),
              VG_OK);
    {
        /* media 2's PDQ made equal to media 1's */
        char sql[320];
        snprintf(sql, sizeof(sql),
                 "UPDATE media_hashes SET value = (SELECT value FROM"
                 " media_hashes WHERE media_id = %lld AND algo = 'pdq')"
                 " WHERE media_id = %lld AND algo = 'pdq'",
                 (long long)media, (long long)media_of(db, 2));
        TH_EQ_INT(th_db_exec(db, sql), 1);
    }
    TH_EQ_INT(vg_store_review_add(st, media_of(db, 2), u3, VG_REVIEW_HARMFUL,
                                  2, &r, &err),
              VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media_of(db, 2), u1, VG_REVIEW_HARMFUL,
                                  2, &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_VERIFIED);
    TH_EQ_INT(r.list_id, vl.id);
    TH_EQ_INT(r.entries_added, 3);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM hash_lists"), 1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_entries WHERE"
                             " category = 'harmful-abusive'"),
              3);
    /* the audit log: 5 votes (one a repeat), 2 decisions, chain intact */
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE action ="
                             " 'review.vote' AND object_type = 'media'"),
              5);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE action ="
                             " 'review.verify'"),
              2);
    TH_EQ_INT(audit_verify(st, &count, &bad, &err), VG_OK);
    TH_EQ_INT(count, 3 + 5 + 2); /* 3 users added, 5 votes, 2 decisions */
    vg_store_close(st);
}

static void test_agree_three_and_change(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_review_result r;
    int64_t crawl = 0, media, a, b, c, count = 0, bad = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "three.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    a = add_user(st, "a");
    b = add_user(st, "b");
    c = add_user(st, "c");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    /* a featureless image: no PDQ entry for it */
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/1.jpg", 0, "t", 10, NULL,
                    0),
              VG_OK);
    media = media_of(db, 1);
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_CSAM, 3, &r, &err),
              VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media, b, VG_REVIEW_HARMFUL, 3, &r,
                                  &err),
              VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media, c, VG_REVIEW_CSAM, 3, &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_RECORDED);
    TH_EQ_INT(r.agree, 2);
    TH_EQ_INT(r.votes, 3);
    /* a votes again the same: still 2 */
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_CSAM, 3, &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_RECORDED);
    TH_EQ_INT(r.agree, 2);
    /* a changes to harmful: csam 1, harmful 2, no agreement */
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_HARMFUL, 3, &r,
                                  &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_RECORDED);
    TH_EQ_INT(r.agree, 2);
    TH_EQ_INT(r.votes, 3);
    TH_EQ_INT(r.changed, 1);
    /* c changes too: three agree on harmful-abusive */
    TH_EQ_INT(vg_store_review_add(st, media, c, VG_REVIEW_HARMFUL, 3, &r,
                                  &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_VERIFIED);
    TH_EQ_INT(r.agree, 3);
    TH_EQ_INT(r.votes, 3);
    TH_EQ_INT(r.entries_added, 3); /* no PDQ of quality 10 */
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_entries WHERE algo ="
                             " 'pdq'"),
              0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE"
                             " classification = 'harmful-abusive'"),
              1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE detail"
                             " LIKE '%was csam%'"),
              2);
    TH_EQ_INT(audit_verify(st, &count, &bad, &err), VG_OK);
    vg_store_close(st);
}

static void test_dismiss(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_review_result r;
    struct vg_list vl;
    int64_t crawl = 0, media, a, b, count = 0, bad = 0, total = -1;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "dismiss.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    a = add_user(st, "a");
    b = add_user(st, "b");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/1.jpg", 0, "t", 90, NULL,
                    0),
              VG_OK);
    media = media_of(db, 1);
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_NOT_ACTIONABLE, 2,
                                  &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_RECORDED);
    TH_EQ_INT(vg_store_review_add(st, media, b, VG_REVIEW_NOT_ACTIONABLE, 2,
                                  &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_DISMISSED);
    TH_EQ_INT(r.entries_added, 0);
    TH_EQ_INT(r.list_id, 0);
    /* no list, no entry; out of the queue; thumbnail gone */
    TH_EQ_INT(vg_store_list_get(st, VG_REVIEW_LIST, &vl, &err), VG_ENOENT);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_entries"), 0);
    queue(st, 0, 0, 0, 0, &total);
    TH_EQ_INT(total, 0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE thumbnail IS"
                             " NULL AND review = 'done' AND classification ="
                             " 'not-actionable'"),
              1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM audit_log WHERE action ="
                             " 'review.dismiss'"),
              1);
    TH_EQ_INT(audit_verify(st, &count, &bad, &err), VG_OK);
    TH_EQ_INT(count, 2 + 2 + 1);
    vg_store_close(st);
}

static void test_errors(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_review_result r;
    struct vg_list l;
    enum vg_review_class c;
    int64_t crawl = 0, media, a, b, list = 0;

    TH_EQ_STR(vg_review_class_name(VG_REVIEW_CSAM), "csam");
    TH_EQ_STR(vg_review_class_name(VG_REVIEW_HARMFUL), "harmful-abusive");
    TH_EQ_STR(vg_review_class_name(VG_REVIEW_NOT_ACTIONABLE),
              "not-actionable");
    TH_EQ_INT(vg_review_class_parse("harmful-abusive", &c), VG_OK);
    TH_EQ_INT(c, VG_REVIEW_HARMFUL);
    TH_EQ_INT(vg_review_class_parse("CSAM", &c), VG_EINVAL);
    TH_EQ_INT(vg_review_class_parse(NULL, &c), VG_EINVAL);

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "errors.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    a = add_user(st, "a");
    b = add_user(st, "b");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    TH_EQ_INT(sight(st, crawl, 1, "http://a.example/1.jpg", 0, "t", 90, NULL,
                    0),
              VG_OK);
    TH_EQ_INT(sight(st, crawl, 2, "http://a.example/2.jpg", 0, NULL, 90, NULL,
                    0),
              VG_OK);
    media = media_of(db, 1);
    TH_EQ_INT(vg_store_review_add(st, 12345, a, VG_REVIEW_CSAM, 2, &r, &err),
              VG_ENOENT);
    /* media that never awaited review */
    TH_EQ_INT(vg_store_review_add(st, media_of(db, 2), a, VG_REVIEW_CSAM, 2,
                                  &r, &err),
              VG_ENOENT);
    TH_EQ_INT(vg_store_review_add(st, media, 999, VG_REVIEW_CSAM, 2, &r, &err),
              VG_ENOENT);
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_CSAM, 0, &r, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_CSAM,
                                  VG_REVIEW_AGREE_MAX + 1, &r, &err),
              VG_EINVAL);
    TH_EQ_INT(vg_store_review_add(st, media, a, (enum vg_review_class)7, 2, &r,
                                  &err),
              VG_EINVAL);
    TH_EQ_INT(vg_store_user_set_disabled(st, 0, "b", 1, &err), VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media, b, VG_REVIEW_CSAM, 2, &r, &err),
              VG_EACCES);
    TH_EQ_INT(vg_store_user_set_disabled(st, 0, "b", 0, &err), VG_OK);
    /* a "verified" allow list: decisions must not go there; the deciding
       vote fails whole (not recorded), the item stays pending */
    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), VG_REVIEW_LIST);
    snprintf(l.category, sizeof(l.category), "ok");
    l.kind = VG_LIST_ALLOW;
    l.enabled = 1;
    TH_EQ_INT(vg_store_list_create(st, 0, &l, &list, &err), VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_CSAM, 2, &r, &err),
              VG_OK);
    TH_EQ_INT(vg_store_review_add(st, media, b, VG_REVIEW_CSAM, 2, &r, &err),
              VG_EINVAL);
    TH_CHECK(strstr(err.msg, "not a block list") != NULL);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM reviews"), 1);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_entries"), 0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE review ="
                             " 'pending' AND thumbnail IS NOT NULL"),
              1);
    /* dismissing needs no list: that still works */
    TH_EQ_INT(vg_store_review_add(st, media, a, VG_REVIEW_NOT_ACTIONABLE, 1,
                                  &r, &err),
              VG_OK);
    TH_EQ_INT(r.outcome, VG_REVIEW_DISMISSED);
    vg_store_close(st);
}

/* ---- analysts voting at once ---- */

#define RACE_MEDIA 12

struct racer {
    struct vg_store *st;
    int64_t user;
    int64_t media[RACE_MEDIA];
    int verified, recorded, failed;
};

static void *race(void *arg)
{
    struct racer *r = arg;

    for (int i = 0; i < RACE_MEDIA; i++) {
        struct vg_review_result res;
        int rc = vg_store_review_add(r->st, r->media[i], r->user,
                                     VG_REVIEW_CSAM, 2, &res, NULL);
        if (rc == VG_OK && res.outcome == VG_REVIEW_VERIFIED)
            r->verified++;
        else if (rc == VG_OK)
            r->recorded++;
        else
            r->failed++;
    }
    return NULL;
}

static void test_concurrent(void)
{
    char db[256];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct racer ra, rb;
    pthread_t ta, tb;
    int64_t crawl = 0, total = -1, count = 0, bad = 0;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "race.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    memset(&ra, 0, sizeof(ra));
    memset(&rb, 0, sizeof(rb));
    ra.st = rb.st = st;
    ra.user = add_user(st, "a");
    rb.user = add_user(st, "b");
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    for (int i = 0; i < RACE_MEDIA; i++) {
        char url[64];
        snprintf(url, sizeof(url), "http://a.example/%d.jpg", i);
        TH_EQ_INT(sight(st, crawl, 10 + i, url, 0, "t", 90, NULL, 0), VG_OK);
        ra.media[i] = media_of(db, 10 + i);
        rb.media[RACE_MEDIA - 1 - i] = ra.media[i]; /* opposite orders */
    }
    pthread_create(&ta, NULL, race, &ra);
    pthread_create(&tb, NULL, race, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    /* each item decided exactly once, by whoever voted second */
    TH_EQ_INT(ra.failed + rb.failed, 0);
    TH_EQ_INT(ra.verified + rb.verified, RACE_MEDIA);
    TH_EQ_INT(ra.recorded + rb.recorded, RACE_MEDIA);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM list_entries"),
              4 * RACE_MEDIA);
    queue(st, 0, 0, 0, 0, &total);
    TH_EQ_INT(total, 0);
    TH_EQ_INT(audit_verify(st, &count, &bad, &err), VG_OK);
    TH_EQ_INT(count, 2 + 3 * RACE_MEDIA);
    vg_store_close(st);
}

/* A store at schema 3 with media gets the review columns, media unqueued. */
static void test_migration(void)
{
    char db[256];
    struct vg_store_opts o = {3};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    int64_t crawl = 0, total = -1;

    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "v3.db"), 0);
    TH_EQ_INT(vg_store_open(db, &o, &st, &err), VG_OK);
    vg_store_close(st);
    TH_EQ_INT(th_db_exec(db, th_db_pg(db)
                                 ? "INSERT INTO media (sha256, md5, sha1,"
                                   " first_seen_at) VALUES ('\\x01',"
                                   " '\\x02', '\\x03', 1)"
                                 : "INSERT INTO media (sha256, md5, sha1,"
                                   " first_seen_at) VALUES (x'01', x'02',"
                                   " x'03', 1)"),
              1);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    queue(st, 0, 0, 0, 0, &total);
    TH_EQ_INT(total, 0);
    TH_EQ_INT(count_rows(db, "SELECT COUNT(*) FROM media WHERE review IS"
                             " NULL"),
              1);
    TH_EQ_INT(vg_store_crawl_new(st, NULL, &crawl, &err), VG_OK);
    vg_store_close(st);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TH_RUN(test_queue);
    TH_RUN(test_media_item);
    TH_RUN(test_agree_two);
    TH_RUN(test_agree_three_and_change);
    TH_RUN(test_dismiss);
    TH_RUN(test_errors);
    TH_RUN(test_concurrent);
    TH_RUN(test_migration);
    {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", dir);
    }
    return th_done();
}
