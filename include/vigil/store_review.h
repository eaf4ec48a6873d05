/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): media review: the queue of unknown media, votes
 * and consensus.  Results and callbacks follow store.h.
 */
#ifndef VIGIL_STORE_REVIEW_H
#define VIGIL_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"

/* ---- media review ---- */

/*
 * Media a crawl found that matched no list wait for analysts, with a sealed
 * thumbnail (vg_sighting_rec.thumbnail; vigil/thumb.h, vigil/seal.h),
 * oldest first.  Each analyst classifies an item, and may change their
 * vote (one vote per analyst and item).  When `required` analysts agree
 * on one classification, in the transaction of that vote: for csam and
 * harmful-abusive the media's SHA-256, MD5, SHA-1 and PDQ (when it has one
 * of quality >= VG_REVIEW_PDQ_MIN_QUALITY) join the hotline's own block
 * list VG_REVIEW_LIST (created on first use; entries' category = the
 * classification, metadata = the media and the analysts), then the item
 * leaves the queue for good and its thumbnail is deleted, and each of its
 * sightings becomes a detection of the verified SHA-256 entry (so notice
 * and takedown need not wait for another crawl).  not-actionable
 * does the same without list entries.  Every vote and every decision is an
 * audit record (vg_store_audit), in the same transaction.
 *
 * Callbacks follow store.h: called with the store held, they must not
 * call it; strings handed to them are borrowed for the call.
 */

enum vg_review_class {
    VG_REVIEW_CSAM = 0,      /* "csam" */
    VG_REVIEW_HARMFUL,       /* "harmful-abusive" */
    VG_REVIEW_NOT_ACTIONABLE /* "not-actionable" */
};

/* The class's name (its VG_VOCAB_REVIEW_CLASS row's code, vigil/vocab.h;
 * NULL if c is no class); parse: VG_OK or VG_EINVAL. */
const char *vg_review_class_name(enum vg_review_class c);
int vg_review_class_parse(const char *s, enum vg_review_class *out);

#define VG_REVIEW_LIST "verified" /* the hotline's own list */
#define VG_REVIEW_LIST_SOURCE "analysts"
#define VG_REVIEW_AGREE_DEFAULT 2 /* analysts who must agree */
#define VG_REVIEW_AGREE_MAX 100
#define VG_REVIEW_PDQ_MIN_QUALITY 50 /* below: no PDQ entry */
#define VG_REVIEW_REPORTS_MAX 16     /* reports listed per item */
#define VG_REVIEW_SIGHTINGS_MAX 100  /* a page of them, in vg_review_media */
#define VG_REVIEW_DETECTIONS_MAX 100 /* likewise */

/* A report whose URL led the crawl to the media (its page's parent chain
 * in the crawl's frontier, or the media's own URL, is a reported URL). */
struct vg_review_report {
    int64_t id;
    char reference[VG_REFERENCE_LEN + 1];
};

struct vg_review_item {
    int64_t media_id;
    char sha256[65];    /* hex */
    const char *format; /* "jpeg", ...; NULL if unknown */
    unsigned width, height;
    int64_t bytes;
    int64_t first_seen_at; /* Unix seconds, UTC */
    int64_t queued_at;     /* when it joined the queue */
    int64_t sightings;     /* every sighting */
    int64_t votes;         /* analysts who voted so far */
    const char *my_vote;   /* the viewer's class, NULL if none */
    /* the latest sighting */
    const char *url, *page_url;             /* page NULL if none */
    int64_t crawl_id, seen_at;              /* crawl 0 if unknown */
    const struct vg_review_report *reports; /* up to VG_REVIEW_REPORTS_MAX */
    size_t nreports;
};

enum {
    VG_REVIEW_QUEUE_UNVOTED = 1 << 0 /* only items the viewer did not vote */
};

/*
 * The queue (media pending review), oldest first: up to limit items
 * (0: all) after skipping offset, to cb; *total (may be NULL) gets how
 * many items the queue holds (with the flags' filter).  viewer (a user
 * id, 0: none) fills my_vote.
 */
int vg_store_review_queue(struct vg_store *st, int64_t viewer, unsigned flags,
                          int64_t limit, int64_t offset,
                          int (*cb)(void *ctx,
                                    const struct vg_review_item *it),
                          void *ctx, int64_t *total, struct vg_err *err);

struct vg_review_sighting {
    int64_t id, crawl_id; /* crawl 0 if unknown */
    char *url, *page_url; /* page NULL if none */
    int64_t seen_at;
    long http_status;
    char *server_ip; /* NULL if unknown */
};

struct vg_review_detection {
    int64_t id, entry_id, list_id; /* entry, list 0 if since deleted */
    char *list, *category;         /* NULL if since deleted */
    char *algo, *variant;          /* variant NULL for digests */
    int distance;
    int64_t detected_at;
};

struct vg_review_vote {
    int64_t user_id;
    char *username; /* NULL if the account is gone */
    char *classification;
    int64_t decided_at;
};

/* One media item, all of it the caller's (vg_review_media_free). */
struct vg_review_media {
    int64_t id;
    char sha256[65], md5[33], sha1[41]; /* hex */
    char pdq[65];                       /* hex; "" if not hashed */
    int pdq_quality;                    /* -1 if not hashed */
    char *format;                       /* NULL if unknown */
    unsigned width, height;
    int64_t bytes, first_seen_at;
    char *review;                   /* NULL (never queued), pending, done */
    char *classification;           /* the decision once done, else NULL */
    int64_t queued_at, reviewed_at; /* 0 if not */
    struct vg_review_sighting *sightings; /* newest first */
    size_t nsightings;
    int64_t sightings_total;
    struct vg_review_detection *detections; /* oldest first */
    size_t ndetections;
    int64_t detections_total;
    struct vg_review_vote *votes; /* oldest first */
    size_t nvotes;
    struct vg_review_report *reports;
    size_t nreports;
    uint8_t *thumbnail; /* sealed; NULL if none (not pending) */
    size_t thumbnail_len;
};

/* One media item by id (VG_ENOENT if none), read in one snapshot, with
 * the first page of its sightings and of its detections. */
int vg_store_review_media(struct vg_store *st, int64_t media_id,
                          struct vg_review_media **out, struct vg_err *err);
/* The same with page spage (from 1) of its sightings, newest first, and
 * page dpage of its detections, oldest first (VG_REVIEW_SIGHTINGS_MAX,
 * VG_REVIEW_DETECTIONS_MAX a page; a page past the last is empty). */
int vg_store_review_media_page(struct vg_store *st, int64_t media_id,
                               int64_t spage, int64_t dpage,
                               struct vg_review_media **out,
                               struct vg_err *err);
void vg_review_media_free(struct vg_review_media *m);

/* Only the sealed thumbnail (vg_free it); VG_ENOENT if none. */
int vg_store_review_thumbnail(struct vg_store *st, int64_t media_id,
                              uint8_t **out, size_t *n, struct vg_err *err);

enum vg_review_outcome {
    VG_REVIEW_RECORDED = 0, /* the vote is in; no agreement yet */
    VG_REVIEW_VERIFIED,     /* agreed, actionable: on the verified list */
    VG_REVIEW_DISMISSED     /* agreed not-actionable */
};

struct vg_review_result {
    enum vg_review_outcome outcome;
    int agree;             /* votes for this classification, this one in */
    int votes;             /* votes in all */
    int changed;           /* the analyst had voted otherwise before */
    int64_t list_id;       /* verified: the list */
    int64_t entries_added; /* verified: new entries (others were there) */
};

/*
 * user_id's vote on media_id (replacing their earlier one), then the
 * decision if `required` (1..VG_REVIEW_AGREE_MAX) votes agree, all in one
 * transaction with its audit records.  VG_ENOENT: no such media or it
 * never awaited review, or no such user; VG_EEXIST: already decided;
 * VG_EACCES: the account is disabled; VG_EINVAL: bad required, or the
 * list VG_REVIEW_LIST exists and is not a block list.  out may be NULL.
 */
int vg_store_review_add(struct vg_store *st, int64_t media_id, int64_t user_id,
                        enum vg_review_class c, int required,
                        struct vg_review_result *out, struct vg_err *err);

/*
 * For the crawler, before it makes a thumbnail: *out 1 when media with
 * this SHA-256 would join the queue (the store does not have it, or has it
 * but never queued), 0 when it is pending or decided.
 */
int vg_store_review_wanted(struct vg_store *st, const uint8_t sha256[32],
                           int *out, struct vg_err *err);

#endif
