/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The store (vigil/store.h): notice and takedown: cases, notices, re-checks
 * and their figures (vigil/notice.h). Strings handed to callbacks are
 * borrowed for the duration of the call.
 */
#ifndef VIGIL_STORE_NOTICES_H
#define VIGIL_STORE_NOTICES_H

#include <stddef.h>
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
 * How a case relates to the earlier cases of the same material (the same
 * media, or the same list entry as an earlier case's first detection),
 * as of its first detection (when it appeared):
 *  - also hosted: an earlier case at another URL was open then, or closed
 *    after (mirrors, galleries, CDNs found together): the first such;
 *  - re-uploaded: an earlier case, at any URL, had been closed as removed
 *    before (the material came back, at the same provider or another):
 *    the latest such removal, and the seconds from it to the appearance.
 * A case can be both, or neither.  The links go when retention deletes
 * the earlier case; a re-upload's delay stays, and so do the figures.
 */
struct vg_case_links {
    int64_t also_hosted_with; /* case id; 0 if none */
    int64_t reupload_of;      /* case id; 0 if none */
    int64_t reappeared_after; /* seconds from that removal; -1: not a
                                 re-upload */
};

/*
 * Open a case for c with provider_id (0: none known yet), first re-check at
 * next_check_at, linked to the earlier cases of its material (*links).
 * VG_EEXIST if the URL has an open case already.
 */
int vg_store_case_open(struct vg_store *st, const struct vg_case_candidate *c,
                       int64_t provider_id, int64_t now, int64_t next_check_at,
                       int64_t *case_id, struct vg_case_links *links,
                       struct vg_err *err);

/* A case due a notice, under its provider. */
struct vg_due_case {
    int64_t id;
    const char *url;
    int64_t detected_at;
    const char *sha256; /* hex; NULL if the media is not known */
    const char *category;
    int64_t reupload_of;  /* the removed case it came back after; 0 if none */
    int64_t notices_sent; /* so far: 0 for a first notice */
};

/* A provider with open cases due a notice, and those cases by id. */
struct vg_due_provider {
    int64_t provider_id;
    const char *name, *abuse_emails, *language;
    int one_notice_per_url;
    const struct vg_due_case *cases;
    size_t ncases;
};

struct vg_notices_due {
    struct vg_due_provider *v; /* by provider id */
    size_t n;
    struct vg_store_strings *strings;
    struct vg_due_case *cases_; /* private: every provider's cases */
};

/*
 * Providers with open cases due a notice at now (never notified, or last
 * notified renotify_s ago or more), each with those cases.  *out is the
 * caller's (vg_notices_due_free).
 */
int vg_store_notices_due(struct vg_store *st, int64_t now, int64_t renotify_s,
                         struct vg_notices_due **out, struct vg_err *err);
void vg_notices_due_free(struct vg_notices_due *d);

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

/* A stored notice waiting to be sent. */
struct vg_notice_pending {
    int64_t id, provider_id, cycle;
    const char *message_id, *recipients, *language, *subject, *body;
    int64_t attempts; /* made so far */
};

struct vg_notices_pending {
    struct vg_notice_pending *v; /* oldest first */
    size_t n;
    struct vg_store_strings *strings;
};

/* Pending notices due at now (vg_notices_pending_free). */
int vg_store_notices_pending(struct vg_store *st, int64_t now,
                             struct vg_notices_pending **out,
                             struct vg_err *err);
void vg_notices_pending_free(struct vg_notices_pending *p);

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

/* A notice as the console lists it (and, in a case, as `notices show`). */
struct vg_notice_info {
    int64_t id;
    const char *provider; /* its name; NULL in vg_case_detail */
    int64_t cycle;
    const char *message_id, *recipients, *state; /* pending, sent, failed */
    int64_t attempts, created_at;
    int64_t sent_at;         /* 0 if not sent */
    int64_t next_attempt_at; /* 0 if none; not in vg_case_detail */
    const char *result;      /* the relay's words; NULL if none yet */
};

struct vg_notice_list {
    struct vg_notice_info *v;
    size_t n;
    int64_t total; /* notices in all */
    struct vg_store_strings *strings;
};

/* A page of the notices, newest first: at most limit after the first
 * offset, and their total (vg_notice_list_free). */
int vg_store_notices(struct vg_store *st, int64_t offset, int64_t limit,
                     struct vg_notice_list **out, struct vg_err *err);
void vg_notice_list_free(struct vg_notice_list *l);

/* An open case due a re-check. */
struct vg_recheck_due {
    int64_t case_id;
    const char *url;
    const char *sha256;               /* hex; NULL if the media is not known */
    char pdq[65];                     /* hex; "" when the media has none */
    int64_t checks;                   /* made so far */
    int64_t first_notice_at;          /* 0 if none */
    int64_t next_check_at;            /* when it was due */
    const char *etag, *last_modified; /* of the copy last seen up; NULL if
                                         none */
    const char *detected_headers;     /* the response headers of the case's
                                     first detection as a JSON object
                                     (sightings.headers); NULL if none */
};

struct vg_rechecks_due {
    struct vg_recheck_due *v; /* by due time, then case */
    size_t n;
    struct vg_store_strings *strings;
};

/* Open cases due a re-check at now, at most limit (vg_rechecks_due_free). */
int vg_store_rechecks_due(struct vg_store *st, int64_t now, int64_t limit,
                          struct vg_rechecks_due **out, struct vg_err *err);
void vg_rechecks_due_free(struct vg_rechecks_due *r);

/* How many open cases are due a re-check at now. */
int vg_store_rechecks_due_count(struct vg_store *st, int64_t now, int64_t *n,
                                struct vg_err *err);

/*
 * The open cases a reminder is due for at now (vg_store_notices_due's
 * cases already notified, whatever their re-check schedule), to re-check
 * before the reminder is written; by provider, then case.
 */
int vg_store_rechecks_reminders(struct vg_store *st, int64_t now,
                                int64_t renotify_s,
                                struct vg_rechecks_due **out,
                                struct vg_err *err);

/* What a re-check saw (vg_store_recheck_many). */
struct vg_recheck_seen {
    long http_status;   /* 0 without an answer */
    const char *result; /* "removed", "up" or "error" */
    const char *reason;
    int validators; /* 1: keep etag and last_modified (NULL: none) as
                           the copy's; 0: leave the stored ones */
    const char *etag, *last_modified;
};

/* One re-check of case_id at checked_at: result "removed" (the case is
 * closed, removed_at = checked_at, removal = reason), "up" or "error"
 * (next check at next_check_at). */
struct vg_recheck_rec {
    int64_t case_id, checked_at, next_check_at;
    struct vg_recheck_seen seen;
};

/* Record n re-checks in one transaction (all or none). */
int vg_store_recheck_many(struct vg_store *st, const struct vg_recheck_rec *v,
                          size_t n, struct vg_err *err);

/* A case as listed. */
struct vg_case_info {
    int64_t id;
    const char *url;
    const char *provider; /* its name; NULL if none known */
    const char *status;   /* "open", "removed" */
    int64_t opened_at;
    int64_t first_notice_at; /* 0 if none */
    int64_t removed_at;      /* 0 if not removed */
    const char *removal;     /* why it counts as removed; NULL if not */
    int64_t notices_sent;
    int escalated;
    struct vg_case_links links;
    const char *category;
    int64_t checks;
};

struct vg_case_list {
    struct vg_case_info *v; /* newest first */
    size_t n;
    int64_t next;  /* before for the next (older) page; 0: none */
    int64_t prev;  /* after for the previous (newer) page; 0: none */
    int64_t total; /* when counted: the cases with the status */
    int64_t from;  /* when counted: how many newer ones precede v[0] */
    struct vg_store_strings *strings;
};

/*
 * A page of cases, newest first, status "" or NULL for all.  Keyset
 * pages, so a case opened meanwhile shifts none: those with an id below
 * before (0: from the newest), or, with after set, the limit cases just
 * above after (the page before one that starts at after); at most limit
 * (0: all).  l->next and l->prev are the before and after of the pages
 * on either side (0 when there is none); with count set, l->total and
 * l->from are counted too (two more queries).  vg_case_list_free frees
 * *out.
 */
int vg_store_cases(struct vg_store *st, const char *status, int64_t before,
                   int64_t after, int64_t limit, int count,
                   struct vg_case_list **out, struct vg_err *err);
void vg_case_list_free(struct vg_case_list *l);

struct vg_recheck_info {
    int64_t checked_at;
    int64_t http_status; /* 0 if the fetch got no answer */
    const char *result;
};

/* One case with its notices and re-checks. */
struct vg_case_detail {
    struct vg_case_info c;
    const char *abuse_emails; /* the provider's; NULL if none known */
    int64_t detected_at;
    const char *sha256;             /* hex; NULL if the media is not known */
    struct vg_notice_info *notices; /* oldest first */
    size_t nnotices;
    struct vg_recheck_info *rechecks; /* oldest first */
    size_t nrechecks;
    struct vg_store_strings *strings;
};

/* One case (vg_case_detail_free); VG_ENOENT if none. */
int vg_store_case_get(struct vg_store *st, int64_t id,
                      struct vg_case_detail **out, struct vg_err *err);
void vg_case_detail_free(struct vg_case_detail *c);

/* The figures of one provider ("" and 0 for the cases with none). */
struct vg_provider_figures {
    int64_t provider_id;
    const char *provider;
    int64_t notified, removed, up;   /* cases */
    int64_t notices, failed_notices; /* sent, failed for good */
    int64_t also_hosted, reuploads;  /* cases (vg_case_links) */
    int64_t escalated;               /* cases */
    const int64_t *ttr; /* seconds from first notice to removal, ascending */
    size_t nttr;
    /* each re-upload's seconds from the removal to the reappearance,
     * ascending (nreappear == reuploads) */
    const int64_t *reappear;
    size_t nreappear;
};

struct vg_notice_report {
    struct vg_provider_figures *v; /* by provider name */
    size_t n;
    struct vg_store_strings *strings;
    int64_t *ttr_, *reappear_; /* private: every provider's times */
};

/* The figures per provider, a case counted under its own provider (a
 * re-upload where it came back) (vg_notice_report_free). */
int vg_store_notice_report(struct vg_store *st, struct vg_notice_report **out,
                           struct vg_err *err);
void vg_notice_report_free(struct vg_notice_report *r);

#endif
