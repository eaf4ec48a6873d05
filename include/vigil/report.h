/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A report from the public or a partner (module `core`): what the report
 * form and `POST /api/v1/reports` accept, checked by one set of rules so
 * both give the same answers.  Errors name the field and a message key of
 * the i18n catalogues (web/i18n: "error.required", "error.url.invalid",
 * ...), so the form can show each next to its field in the reporter's
 * language.
 *
 * The incident types and the technologies (where it happened) are the
 * tables of vigil/vocab.h, with the rules their rows' flags carry: a
 * technology that needs URLs (a website) takes at least one (http or
 * https, canonicalised; up to VG_REPORT_MAX_URLS), the others a detail (a
 * magnet link, a newsgroup, an address, a game...).  A type that asks about
 * luring answers two more questions (plans to meet? images exchanged?), one
 * that asks about intimate images two (are you the person? are you
 * threatened?).
 * Contact details are optional: reports can be anonymous.
 */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <stddef.h>

#include "vigil/error.h"
#include "vigil/store.h"
#include "vigil/store_crawl.h"
#include "vigil/store_reports.h"

#define VG_REPORT_MAX_URLS 20
#define VG_REPORT_MAX_DESCRIPTION 10000 /* characters */
#define VG_REPORT_MAX_FIELD 500         /* characters, other text fields */

/* As submitted; NULL or "" is absent. */
struct vg_report_input {
    const char *language;      /* "en" or "fr" (else "en") */
    const char *incident_type; /* a VG_VOCAB_INCIDENT_TYPE code */
    const char *incident_at;   /* when, as the reporter says it */
    const char *technology;    /* a VG_VOCAB_TECHNOLOGY code */
    const char *const *urls;   /* website: the URLs */
    size_t nurls;
    const char *detail; /* other technologies: where */
    const char *description;
    const char *luring_meet, *luring_images; /* "yes", "no", "unsure" */
    const char *intimate_self, *intimate_threatened; /* the same */
    const char *named_child; /* "yes": names a child victim or a suspect */
    const char *contact_name, *contact_email, *contact_phone;
};

struct vg_report_error {
    const char *field; /* the input's name: "incident_type", "urls", ... */
    const char *key;   /* message key: "error.required", ... */
};

/* A checked report, ready for the store (free with vg_report_fini). */
struct vg_report {
    struct vg_report_rec rec; /* rec.urls points into urls */
    struct vg_frontier_url *urls;
    char *details_json; /* technology, detail, the answers */
    char *contact_json; /* the contact details, NULL if none:
                                      the caller seals it into rec.contact */
};

/*
 * Check in; on success fill *out (channel, api key and idempotency key are
 * the caller's to set) and return VG_OK.  Otherwise VG_EINVAL with up to
 * maxerr errors in errs (*nerr of them; more may exist), or VG_ENOMEM.
 */
int vg_report_check(const struct vg_report_input *in, struct vg_report *out,
                    struct vg_report_error *errs, size_t maxerr, size_t *nerr);
void vg_report_fini(struct vg_report *r);

#endif
