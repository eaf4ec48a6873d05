/* SPDX-License-Identifier: Apache-2.0 */
/*
 * View models: the store's structs (and vg_notice_figures) as the JSON the
 * console's templates render and `vigil ... --json` prints.  One function
 * per shape, used by both, so a page and the CLI cannot drift apart.  Key
 * names are the templates' contract: renaming a struct field changes
 * nothing here, renaming a key breaks a template visibly.  Values the
 * store marks as none (NULL strings, integers documented "0 if none")
 * become JSON null.  Each function returns a new reference, or NULL when
 * out of memory; none of them calls the store unless its contract says so.
 */
#ifndef VIGIL_VIEW_H
#define VIGIL_VIEW_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/notice.h"
#include "vigil/store_lists.h"
#include "vigil/store_notices.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "vigil/store_review.h"

/* view.c: n rows of size bytes from v, each made by one, as an array. */
json_t *vg_view_array(const void *v, size_t n, size_t size,
                      json_t *(*one)(const void *row));
/* Add the keys of add (taken, even on failure) to o: 1, or 0 if either is
 * NULL (out of memory) or the update fails. */
int vg_view_merge(json_t *o, json_t *add);
/* v as an integer, or null when 0 (the store's "none"). */
json_t *vg_view_int_or_null(int64_t v);

/* view_notices.c: cases [{id, url, provider, status, opened_at,
 * first_notice_at, removed_at, removal, notices_sent, escalated,
 * also_hosted_with, reupload_of, reappeared_after (seconds or null),
 * category, checks}]; one case with, besides, abuse_emails,
 * detected_at, sha256, notices [{id, cycle, message_id, recipients, state,
 * created_at, sent_at, attempts, result}] and rechecks [{checked_at,
 * http_status, result}]; the latest notices [{id, provider, cycle,
 * message_id, recipients, state, attempts, created_at, sent_at,
 * next_attempt_at, result}]; the figures [{provider_id, provider,
 * notified, removed, up, notices, failed_notices, also_hosted, reuploads,
 * escalated, ttr: [seconds], median_s, p90_s, removed_24h_share,
 * reappeared_after: [seconds], reappear_median_s}]. */
json_t *vg_view_cases(const struct vg_case_list *l);
json_t *vg_view_case(const struct vg_case_detail *c);
json_t *vg_view_notices(const struct vg_notice_list *l);
json_t *vg_view_figures(const struct vg_notice_figures *f);

/* view_reports.c: the queue {total, reports: [{id, reference,
 * received_at, channel, language, incident_type, named_child, status,
 * urls}]}; an opened report {id, reference, received_at, channel,
 * language, incident_type, incident_at, description, details,
 * named_child, status, api_key_id, urls: [{id, url, host, state,
 * http_status, error}], incidents: [{id, incident_type, outcome, notes,
 * updated_at}], media: [{media_id, url, format, width, height, review,
 * classification, lists}]} (the sealed contact is not in it). */
json_t *vg_view_report_queue(const struct vg_report_queue *q);
json_t *vg_view_report(const struct vg_report_detail *r);

/* view_people.c: audit records [{id, at, user_id, username, action,
 * object_type, object_id, detail}]. */
json_t *vg_view_audit(const struct vg_audit_page *p);

/* view_lists.c: a list entry {id, algo, value (hex), category,
 * external_id, metadata, quality (null if unknown), enabled}. */
json_t *vg_view_entry(const struct vg_list_entry *e);

/*
 * view_review.c: the review queue {total, items: [{media_id, sha256,
 * format, width, height, bytes, first_seen_at, queued_at, sightings,
 * votes, my_vote, url, page_url, crawl_id, seen_at, reports: [{id,
 * reference}]}]}, read from the store (vg_store_review_queue; VG_OK or its
 * error), and one item with the fields of struct vg_review_media (pdq and
 * pdq_quality null when not hashed; sightings, detections, votes, reports
 * as arrays of objects) but has_thumbnail (true/false) instead of the
 * thumbnail's bytes.
 */
int vg_view_review_queue(struct vg_store *st, int64_t viewer, unsigned flags,
                         int64_t limit, int64_t offset, json_t **out,
                         struct vg_err *err);
json_t *vg_view_review_media(const struct vg_review_media *m);

#endif
