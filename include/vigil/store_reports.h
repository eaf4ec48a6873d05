/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): reports from the public and partners, the
 * analysts' report queue and incidents. Strings handed to callbacks are
 * borrowed for the duration of the call.
 */
#ifndef VIGIL_STORE_REPORTS_H
#define VIGIL_STORE_REPORTS_H

#include <jansson.h>
#include <stdint.h>

#include "vigil/store.h"
#include "vigil/store_people.h"

/* ---- reports from the public and partners ---- */

#define VG_REFERENCE_LEN 14 /* "XXXX-XXXX-XXXX" */

/* A report as stored (validated by the caller: vigil/report.h). */
struct vg_report_rec {
    const char *channel;        /* "web", "api", "partner" */
    const char *language;       /* "en", "fr" */
    const char *incident_type;  /* one of the eight (vigil/report.h) */
    const char *incident_at;    /* as the reporter gave it, or NULL */
    const char *description;
    const char *details_json;   /* the other answers, a JSON object */
    const uint8_t *contact;     /* sealed contact details, or NULL */
    size_t contact_len;
    int named_child;            /* names a child victim or a suspect */
    int64_t api_key_id;         /* 0 for the public form */
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

struct vg_queue_filter {
    const char *status; /* "new", "in_review", "closed" */
    const char *incident_type;
    int64_t limit, offset; /* limit 0: 100 */
};

/*
 * The queue as JSON: {"total": n, "reports": [{id, reference, received_at,
 * channel, language, incident_type, named_child, status, urls}]}, the
 * highest priority first (a named child victim or suspect), then arrival
 * order.
 */
int vg_store_report_queue(struct vg_store *st, const struct vg_queue_filter *f,
                          json_t **out, struct vg_err *err);

/*
 * Open report id for an analyst (actor): the first time, its first
 * incident is made from the report's own type and the report goes to
 * "in_review"; every opening is audited ("report.view").  *out is the
 * report as JSON with "urls" (each with its latest crawl's state,
 * http_status and error), "incidents" and
 * "media" (seen at the reported addresses or on the reported pages, with
 * their review state and the lists they matched);
 * *contact the sealed contact details (vg_malloc'd; NULL if none).
 * VG_ENOENT if there is no such report.
 */
int vg_store_report_open(struct vg_store *st, int64_t actor, int64_t id,
                         json_t **out, uint8_t **contact, size_t *ncontact,
                         struct vg_err *err);

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
