/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): reports from the public and partners, the
 * analysts' report queue and incidents. Strings handed to callbacks are
 * borrowed for the duration of the call.
 */
#ifndef VIGIL_STORE_REPORTS_H
#define VIGIL_STORE_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/store.h"
#include "vigil/store_people.h"

/* ---- reports from the public and partners ---- */

#define VG_REFERENCE_LEN 14 /* "XXXX-XXXX-XXXX" */

/* A report as stored (validated by the caller: vigil/report.h). */
struct vg_report_rec {
    const char *channel;       /* "web", "api", "partner" */
    const char *language;      /* "en", "fr" */
    const char *incident_type; /* one of the eight (vigil/report.h) */
    const char *incident_at;   /* as the reporter gave it, or NULL */
    const char *description;
    const char *details_json; /* the other answers, a JSON object */
    const uint8_t *contact;   /* sealed contact details, or NULL */
    size_t contact_len;
    int named_child;             /* names a child victim or a suspect */
    int64_t api_key_id;          /* 0 for the public form */
    const char *idempotency_key; /* with api_key_id: a retry is not stored
                                    twice; NULL if none */
    const struct vg_frontier_url *urls; /* canonical url and host only */
    size_t nurls;
};

struct vg_report_ack {
    char reference[VG_REFERENCE_LEN + 1]; /* what the reporter can quote */
    int64_t id;
    int duplicate; /* the idempotency key was seen: the first report's */
};

/*
 * Store n reports in one transaction (group commit: the caller batches
 * concurrent submissions), each with a fresh random reference; their URLs
 * become seeds of the standing "reports" crawl at the highest priority.
 * When this returns VG_OK the reports are on disk.
 */
int vg_store_reports_add(struct vg_store *st, const struct vg_report_rec *v,
                         size_t n, struct vg_report_ack *acks,
                         struct vg_err *err);

/* The standing crawl reported URLs go to (created on first use). */
int vg_store_reports_crawl(struct vg_store *st, int64_t *crawl_id,
                           struct vg_err *err);

/* ---- the analysts' report queue and incidents ---- */

/* Which reports the queue shows; NULL or "" fields: any. */
struct vg_queue_filter {
    const char *status; /* "new", "in_review", "closed" */
    const char *incident_type;
    int64_t limit, offset; /* limit 0: 100 */
};

/* A report as the queue lists it. */
struct vg_queue_report {
    int64_t id;
    char reference[VG_REFERENCE_LEN + 1];
    int64_t received_at;
    const char *channel, *language, *incident_type;
    int named_child;
    const char *status;
    int64_t urls; /* how many URLs it names */
};

struct vg_report_queue {
    int64_t total;             /* reports matching the filter */
    struct vg_queue_report *v; /* this page */
    size_t n;
    struct vg_store_strings *strings;
};

/*
 * A page of the queue, the highest priority first (a named child victim
 * or suspect), then arrival order (vg_report_queue_free).
 */
int vg_store_report_queue(struct vg_store *st, const struct vg_queue_filter *f,
                          struct vg_report_queue **out, struct vg_err *err);
void vg_report_queue_free(struct vg_report_queue *q);

/* A reported URL with its latest crawl's outcome. */
struct vg_report_url {
    int64_t id;
    const char *url, *host;
    const char *state;   /* the frontier's; NULL if never queued */
    int64_t http_status; /* 0 if none */
    const char *error;   /* NULL if none */
};

struct vg_incident {
    int64_t id;
    const char *incident_type;
    const char *outcome; /* NULL: none yet */
    const char *notes;
    int64_t updated_at;
};

/* Media seen at a reported address or on a reported page. */
struct vg_report_media {
    int64_t media_id;
    const char *url;            /* the first address it was seen at */
    const char *format;         /* NULL if unknown */
    int64_t width, height;      /* 0 if unknown */
    const char *review;         /* NULL (never queued), pending, done */
    const char *classification; /* NULL until decided */
    const char *lists;          /* matched lists, comma-separated; NULL */
};

/* A report opened by an analyst, with its parts. */
struct vg_report_detail {
    int64_t id;
    char reference[VG_REFERENCE_LEN + 1];
    int64_t received_at;
    const char *channel, *language, *incident_type;
    const char *incident_at; /* as the reporter gave it; NULL if not */
    const char *description;
    const char *details; /* the other answers, a JSON object */
    int named_child;
    const char *status;
    int64_t api_key_id;         /* 0 for the public form */
    struct vg_report_url *urls; /* by id */
    size_t nurls;
    struct vg_incident *incidents; /* by id */
    size_t nincidents;
    struct vg_report_media *media; /* by media id, one page of them */
    size_t nmedia;
    int64_t media_total; /* media seen at the report's addresses */
    uint8_t *contact;    /* sealed contact details; NULL if none */
    size_t contact_len;
    struct vg_store_strings *strings;
};

/*
 * Report id as it stands, for an analyst to read: nothing changes and
 * nothing is audited, since a prefetch or a link preview may ask for it.
 * *out is the caller's (vg_report_detail_free).  VG_ENOENT if there is no
 * such report.
 */
int vg_store_report_get(struct vg_store *st, int64_t id,
                        struct vg_report_detail **out, struct vg_err *err);
/* The same with page page (from 1) of its media, VG_REPORT_MEDIA_PAGE a
 * page by media id (vg_store_report_get gives the first). */
#define VG_REPORT_MEDIA_PAGE 200
int vg_store_report_get_page(struct vg_store *st, int64_t id, int64_t page,
                             struct vg_report_detail **out,
                             struct vg_err *err);
/*
 * Take report id into review (actor): the first time, its first incident
 * is made from the report's own type and a "new" report goes to
 * "in_review", audited ("report.open"); after that, nothing changes.
 * VG_ENOENT if there is no such report.
 */
int vg_store_report_open(struct vg_store *st, int64_t actor, int64_t id,
                         struct vg_err *err);
void vg_report_detail_free(struct vg_report_detail *r);

/* Split a report: a new incident of incident_type (audited). */
int vg_store_incident_add(struct vg_store *st, int64_t actor,
                          int64_t report_id, const char *incident_type,
                          int64_t *id, struct vg_err *err);
/*
 * Re-classify an incident of report_id and record its outcome ("police",
 * "child_welfare", "partner_hotline", "no_action", or NULL: none yet) and
 * notes (audited).  The report is "closed" once every incident has an
 * outcome, "in_review" otherwise.  VG_ENOENT if the incident is not the
 * report's.
 */
int vg_store_incident_update(struct vg_store *st, int64_t actor,
                             int64_t report_id, int64_t incident_id,
                             const char *incident_type, const char *outcome,
                             const char *notes, struct vg_err *err);

#endif
