/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): notice and takedown: cases, notices, re-checks
 * and their figures (vigil/notice.h). Strings handed to callbacks are
 * borrowed for the duration of the call.
 */
#ifndef VIGIL_STORE_NOTICES_H
#define VIGIL_STORE_NOTICES_H

#include <jansson.h>
#include <stdint.h>

#include "vigil/store.h"

/* ---- notice and takedown (vigil/notice.h) ---- */

/* A detection that calls for a case: its URL has no open case, and no
 * case was opened there since it was detected. */
struct vg_case_candidate {
    int64_t detection_id, url_id, media_id, entry_id;
    const char *url, *server_ip; /* ip NULL if unknown */
    const char *category;        /* the entry's, else its list's */
    int64_t detected_at;
};

/*
 * The candidates among detections of enabled entries of enabled block
 * lists whose category is one of actionable ("csam,harmful-abusive"), one
 * per URL (its first detection), oldest first.
 */
int vg_store_case_candidates(struct vg_store *st, const char *actionable,
                             int (*cb)(void *ctx,
                                       const struct vg_case_candidate *c),
                             void *ctx, struct vg_err *err);

/*
 * Open a case for c with provider_id (0: none known yet), first re-check at
 * next_check_at.  An earlier case of the same media (or list entry) at
 * another URL makes it a re-upload of the first such case (*reupload 1).
 * VG_EEXIST if the URL has an open case already.
 */
int vg_store_case_open(struct vg_store *st, const struct vg_case_candidate *c,
                       int64_t provider_id, int64_t now, int64_t next_check_at,
                       int64_t *case_id, int *reupload, struct vg_err *err);

/*
 * Providers with open cases due a notice at now (never notified, or last
 * notified renotify_s ago or more), as JSON: [{provider_id, name,
 * abuse_emails, language, one_notice_per_url, cases: [{id, url,
 * detected_at, sha256, category, reupload_of, notices_sent}]}].
 */
int vg_store_notices_due(struct vg_store *st, int64_t now, int64_t renotify_s,
                         json_t **out, struct vg_err *err);

/* A notice to store before it is sent (the intent). */
struct vg_notice_rec {
    int64_t provider_id;
    const int64_t *case_ids;
    size_t ncases;
    const char *message_id, *recipients, *language, *subject, *body;
};

/*
 * Store r as the provider's next cycle, pending, due at now, and mark its
 * cases notified at now (a case reaching escalate_after notices is
 * escalated), in one transaction.  *id the notice; *escalated how many
 * cases this escalated.  VG_EEXIST: that Message-ID is stored already.
 */
int vg_store_notice_create(struct vg_store *st, const struct vg_notice_rec *r,
                           int64_t now, int escalate_after, int64_t *id,
                           int64_t *escalated, struct vg_err *err);

/* Pending notices due at now: [{id, provider_id, cycle, message_id,
 * recipients, language, subject, body, attempts}], oldest first. */
int vg_store_notices_pending(struct vg_store *st, int64_t now, json_t **out,
                             struct vg_err *err);

/*
 * An attempt's outcome: state "sent" (sent_at = now), "pending" (again at
 * next_attempt_at) or "failed"; result is the relay's words.
 */
int vg_store_notice_attempt(struct vg_store *st, int64_t id, const char *state,
                            int64_t now, int64_t next_attempt_at,
                            const char *result, struct vg_err *err);

/* A sending that did not happen because our side is misconfigured:
 * the result is kept, not the attempt; the notice stays due. */
int vg_store_notice_hold(struct vg_store *st, int64_t id, const char *why,
                         struct vg_err *err);

/* The latest notices, newest first: [{id, provider, cycle, message_id,
 * recipients, state, attempts, created_at, sent_at, next_attempt_at,
 * result}]. */
int vg_store_notices(struct vg_store *st, int64_t limit, json_t **out,
                     struct vg_err *err);

/* Open cases due a re-check at now: [{case_id, url, sha256, pdq, checks,
 * first_notice_at}] (pdq null when the media has none), at most limit. */
int vg_store_rechecks_due(struct vg_store *st, int64_t now, int64_t limit,
                          json_t **out, struct vg_err *err);

/*
 * Record a re-check of case_id at now: result "removed" (the case is
 * closed, removed_at = now, removal = reason), "up" or "error" (next check
 * at next_check_at).
 */
int vg_store_recheck_record(struct vg_store *st, int64_t case_id, int64_t now,
                            long http_status, const char *result,
                            const char *reason, int64_t next_check_at,
                            struct vg_err *err);

/*
 * Cases as JSON, newest first: [{id, url, provider, status, opened_at,
 * first_notice_at, removed_at, removal, notices_sent, escalated,
 * reupload_of, category, checks}]; status "" or NULL for all.
 */
int vg_store_cases(struct vg_store *st, const char *status, int64_t limit,
                   json_t **out, struct vg_err *err);

/* One case with its notices and re-checks; VG_ENOENT if none. */
int vg_store_case_get(struct vg_store *st, int64_t id, json_t **out,
                      struct vg_err *err);

/*
 * Per provider ("" for cases with none): [{provider_id, provider, notified,
 * removed, up, notices, failed_notices, reuploads, escalated, ttr: [seconds
 * from first notice to removal, ascending]}].
 */
int vg_store_notice_report(struct vg_store *st, json_t **out,
                           struct vg_err *err);

#endif
