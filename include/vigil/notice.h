/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notice and takedown (module `notice`): from detections to removed
 * content.  One cycle (vg_notice_run_once) does, in order:
 *
 *  1. Cases.  Every detection of an enabled entry of an enabled block
 *     list whose category is actionable (opts.actionable) at a URL with no
 *     open case opens one, with the URL's hosting provider (opts.lookup).
 *     The same material (SHA-256, or the same list entry) under an
 *     earlier case makes the new case *also hosted* (the earlier one was
 *     still up when this one appeared: mirrors found together) or
 *     *re-uploaded* (it came back after the earlier one was removed), or
 *     both (vigil/store_notices.h, struct vg_case_links).
 *  2. Notices.  Each provider with open cases that were never notified, or
 *     last notified opts.renotify_s ago or more, gets one notice listing
 *     all of them (or one per URL for providers that ask for it).  The
 *     notice is stored first, with its Message-ID, recipients and text (the
 *     intent), in the transaction that marks its cases notified; then it is
 *     sent, and marked sent, or retried later with backoff, or failed.  A
 *     crash between the two sends the same notice again, with the same
 *     Message-ID, at the next cycle: a cycle is never skipped nor sent as
 *     two different notices.  After opts.escalate_after notices a case is
 *     escalated (police referral, upstream provider: an admin's call).
 *     Before a reminder is written, every case it would name is
 *     re-checked (step 3's way, whatever its schedule), so a reminder never
 *     names a URL already gone; a cycle stopped meanwhile (go_on) writes
 *     no notice.
 *  3. Re-checks.  Each open case is fetched again on a schedule
 *     (opts.recheck_s, the last interval repeating) through the crawler's
 *     fetcher and its limits, politely per host, many in flight, with
 *     conditional requests and HEADs (src/notice/recheck.c): removed when
 *     the URL answers 404 or 410, its host no longer resolves, or the
 *     bytes no longer match (neither the SHA-256 nor a PDQ within
 *     VG_NOTICE_PDQ_DISTANCE); still up otherwise (304: the same bytes).
 *     Every case due is re-checked, page after page, with no cap but
 *     opts.recheck_budget_s: what is left stays due for the next cycle.
 *     Every check is recorded.
 *
 * Time comes from opts.clock, so tests run a week of cycles in seconds.
 * The provider lookup and the mail transport are the caller's (the CLI and
 * `vigil serve` use the registry with RDAP and SMTP; tests can use fakes).
 * Notices never carry media: URLs, times, SHA-256 and classifications.
 */
#ifndef VIGIL_NOTICE_H
#define VIGIL_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"
#include "vigil/fetch.h"
#include "vigil/store.h"
#include "vigil/store_notices.h"

#define VG_NOTICE_PDQ_DISTANCE 31
#define VG_NOTICE_MAX_RECHECKS 8 /* intervals in a schedule */

/* A source of Unix seconds; a NULL now means the system clock. */
struct vg_clock {
    int64_t (*now)(void *ctx);
    void *ctx;
};

int64_t vg_clock_now(const struct vg_clock *c);

/* One notice as the transport sees it. */
struct vg_notice_mail {
    const char *message_id; /* "<...@domain>", stable across retries */
    const char *to;         /* addresses, comma-separated */
    const char *language;   /* "en", "fr" */
    const char *subject, *body;
};

enum vg_notice_sent {
    VG_NOTICE_SENT = 0, /* accepted by the relay */
    VG_NOTICE_RETRY,    /* a temporary failure: try again later */
    VG_NOTICE_REJECTED, /* a permanent failure: do not retry */
    VG_NOTICE_HELD      /* our side is misconfigured (TLS, login): not an
                            attempt; sending stops until the next cycle */
};

struct vg_notice_opts {
    const char *hotline;       /* the hotline's name, in every notice */
    const char *domain;        /* of Message-IDs; NULL: "vigil.invalid" */
    const char *templates_dir; /* <lang>.txt notice templates (web/notices) */
    const char *legal_basis;   /* the operator's text; NULL: none */
    const char *contact;       /* how to respond: an address or URL */
    const char *actionable;    /* categories, comma-separated; NULL: "csam" */
    int64_t renotify_s;        /* 0: 86400 */
    int64_t recheck_s[VG_NOTICE_MAX_RECHECKS]; /* 0-ended; all 0: 1 h,
                                                  6 h, 24 h */
    int escalate_after;                        /* notices; 0: 5 */
    int max_attempts; /* sending attempts of one notice, retried
                                  after vigil/smtp.h's backoff; 0: its 20
                                  (about 4 days) */
    struct vg_clock clock;
    /* The provider of url (seen at server_ip, may be NULL): *provider_id,
     * 0 when nobody is known (the case waits for an admin). */
    int (*lookup)(void *ctx, const char *url, const char *server_ip,
                  int64_t *provider_id, struct vg_err *err);
    void *lookup_ctx;
    /* Send one notice; why gets the relay's words. */
    enum vg_notice_sent (*send)(void *ctx, const struct vg_notice_mail *m,
                                char *why, size_t whylen);
    void *send_ctx;
    struct vg_fetch_opts fetch; /* for re-checks (user_agent required;
                                   max_in_flight: all hosts together) */
    unsigned recheck_per_host;  /* re-checks in flight per host; 0: 4 */
    int64_t recheck_delay_ms;   /* between starts to one host; 0: 100,
                                   -1: none */
    int64_t recheck_budget_s;   /* a cycle's scheduled re-checks stop
                                   after this long; 0: 240 s */
    /* Asked before each notice is sent and between re-checks (NULL:
     * always go on): 0 ends the cycle there, VG_OK, its notices stored
     * and left pending for the next, the re-checks under way recorded (a
     * scheduler that lost its lease). */
    int (*go_on)(void *ctx);
    void *go_on_ctx;
};

struct vg_notice_stats {
    int64_t cases_opened, also_hosted, reuploads, unassigned;
    int64_t notices_created, notices_sent, notices_retried, notices_failed;
    int64_t notices_held;
    int64_t rechecks, removed, still_up, escalated;
    int64_t not_modified;      /* re-checks answered 304 */
    int64_t rechecks_left;     /* due, left for the next cycle (budget) */
    int64_t recheck_lag_max_s; /* the latest re-check behind its time */
};

/* One cycle, as above.  VG_OK, or the first store or template error (the
 * cycle stops there; what was done is kept and the next cycle goes on). */
int vg_notice_run_once(struct vg_store *st, const struct vg_notice_opts *o,
                       struct vg_notice_stats *stats, struct vg_err *err);

/* The figures of one provider: the store's counts and what they mean. */
struct vg_notice_figure {
    const struct vg_provider_figures *f; /* owned by the figures */
    int64_t median_s, p90_s;   /* first notice to removal, nearest rank; -1
                                  when nothing was removed yet */
    double removed_24h_share;  /* of the URLs notified, the share removed
                                  within 24 hours of the first notice */
    int64_t reappear_median_s; /* re-uploads: removal to reappearance,
                                  nearest rank; -1 when none */
};

struct vg_notice_figures {
    struct vg_notice_figure *v; /* vg_store_notice_report's order */
    size_t n;
    struct vg_notice_report *report_; /* private: owns the rows */
};

/* The figures per provider (vg_notice_figures_free; NULL is a no-op). */
int vg_notice_figures(struct vg_store *st, struct vg_notice_figures **out,
                      struct vg_err *err);
void vg_notice_figures_free(struct vg_notice_figures *f);

#endif
