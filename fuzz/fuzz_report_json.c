/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the partner API's report body (POST /api/v1/reports)
 * as the API reads it (JSON object, vg__api_report_input in
 * src/web/api.c) and the report rules (vg_report_check, src/core/report.c)
 * with room for every error and for only two.  Invariants checked (abort
 * on violation): a refused report has at least one error and each names a
 * field of the report and a message key that both catalogues (web/i18n
 * en and fr) have; an accepted one stays within the documented limits
 * (vigil/report.h: vocabulary codes, UTF-8 lengths, 1..20 distinct http(s)
 * URLs for a website, the answers each type asks, "en" or "fr"); and what
 * the rules render back (the canonical URLs, the details and contact JSON,
 * the record) is accepted again and renders the same.  Never a crash, leak
 * or undefined behaviour (ASan+UBSan).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/i18n.h"
#include "vigil/report.h"
#include "vigil/vocab.h"
#include "web/web_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vg_i18n *i18n;

static const char *const fields[] = {
    "language",      "incident_type", "incident_at",         "technology",
    "urls",          "detail",        "description",         "luring_meet",
    "luring_images", "intimate_self", "intimate_threatened", "named_child",
    "contact_name",  "contact_email", "contact_phone"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (vg_i18n_load_dir(VIGIL_SOURCE_DIR "/web/i18n", &i18n, NULL))
        abort();
    return 0;
}

static void check_errors(const struct vg_report_error *e, size_t n)
{
    if (!n)
        abort();
    for (size_t i = 0; i < n; i++) {
        size_t f = 0;
        while (f < sizeof(fields) / sizeof(*fields) &&
               strcmp(fields[f], e[i].field))
            f++;
        if (f == sizeof(fields) / sizeof(*fields) || !e[i].key ||
            strncmp(e[i].key, "error.", 6) ||
            !vg_i18n_has(i18n, "en", e[i].key) ||
            !vg_i18n_has(i18n, "fr", e[i].key))
            abort();
    }
}

/* s: absent, or valid UTF-8 of 1..max characters */
static void within(const char *s, long max, int required)
{
    long n;

    if (!s || !*s) {
        if (required)
            abort();
        return;
    }
    n = vg_utf8_count(s, strlen(s));
    if (n < 1 || n > max)
        abort();
}

static void check_urls(const struct vg_report *r, unsigned tech)
{
    if (!(tech & VG_VOCAB_NEEDS_URLS)) {
        if (r->rec.nurls)
            abort();
        return;
    }
    if (r->rec.nurls < 1 || r->rec.nurls > VG_REPORT_MAX_URLS)
        abort();
    for (size_t i = 0; i < r->rec.nurls; i++) {
        const char *u = r->rec.urls[i].url;
        if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
            abort();
        if (!r->rec.urls[i].host || !*r->rec.urls[i].host)
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(u, r->rec.urls[j].url))
                abort();
    }
}

static int answer(const char *s)
{
    return s &&
           (!strcmp(s, "yes") || !strcmp(s, "no") || !strcmp(s, "unsure"));
}

static void check_accepted(const struct vg_report_input *in,
                           const struct vg_report *r)
{
    unsigned type = vg_vocab_flags(VG_VOCAB_INCIDENT_TYPE, in->incident_type);
    unsigned tech = vg_vocab_flags(VG_VOCAB_TECHNOLOGY, in->technology);

    if (!vg_vocab_has(VG_VOCAB_INCIDENT_TYPE, r->rec.incident_type) ||
        !vg_vocab_has(VG_VOCAB_TECHNOLOGY, in->technology))
        abort();
    if (strcmp(r->rec.language, "en") && strcmp(r->rec.language, "fr"))
        abort();
    within(r->rec.description, VG_REPORT_MAX_DESCRIPTION, 1);
    within(r->rec.incident_at, 100, 0);
    within(in->contact_name, 200, 0);
    within(in->detail, VG_REPORT_MAX_FIELD, !(tech & VG_VOCAB_NEEDS_URLS));
    if ((type & VG_VOCAB_ASK_LURING) &&
        (!answer(in->luring_meet) || !answer(in->luring_images)))
        abort();
    if ((type & VG_VOCAB_ASK_INTIMATE) &&
        (!answer(in->intimate_self) || !answer(in->intimate_threatened)))
        abort();
    if ((in->contact_email && strlen(in->contact_email) > 254) ||
        (in->contact_phone && strlen(in->contact_phone) > 40))
        abort();
    check_urls(r, tech);
}

static const char *get(const json_t *o, const char *a, const char *b)
{
    const json_t *v = json_object_get(o, a);

    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

/* The input the accepted report r renders back to (borrowing from r). */
static void render(const struct vg_report *r, const json_t *d, const json_t *c,
                   const char **urls, struct vg_report_input *in)
{
    memset(in, 0, sizeof(*in));
    in->language = r->rec.language;
    in->incident_type = r->rec.incident_type;
    in->incident_at = r->rec.incident_at;
    in->description = r->rec.description;
    in->named_child = r->rec.named_child ? "yes" : NULL;
    in->technology = get(d, "technology", NULL);
    in->detail = get(d, "detail", NULL);
    in->luring_meet = get(d, "luring", "meet");
    in->luring_images = get(d, "luring", "images");
    in->intimate_self = get(d, "intimate", "self");
    in->intimate_threatened = get(d, "intimate", "threatened");
    in->contact_name = get(c, "name", NULL);
    in->contact_email = get(c, "email", NULL);
    in->contact_phone = get(c, "phone", NULL);
    for (size_t i = 0; i < r->rec.nurls; i++)
        urls[i] = r->rec.urls[i].url;
    in->urls = urls;
    in->nurls = r->rec.nurls;
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static void round_trip(const struct vg_report *r)
{
    json_t *d = json_loads(r->details_json, 0, NULL), *c = NULL;
    const char *urls[VG_REPORT_MAX_URLS];
    struct vg_report_error errs[32];
    struct vg_report_input in;
    struct vg_report r2;
    size_t nerr;
    int rc;

    if (r->contact_json)
        c = json_loads(r->contact_json, 0, NULL);
    if (!json_is_object(d) || (r->contact_json && !json_is_object(c)))
        abort();
    render(r, d, c, urls, &in);
    if ((rc = vg_report_check(&in, &r2, errs, 32, &nerr)) == VG_ENOMEM)
        goto out;
    if (rc || r2.rec.nurls != r->rec.nurls ||
        !same_str(r2.details_json, r->details_json) ||
        !same_str(r2.contact_json, r->contact_json) ||
        !same_str(r2.rec.language, r->rec.language) ||
        r2.rec.named_child != r->rec.named_child)
        abort();
    for (size_t i = 0; i < r->rec.nurls; i++)
        if (strcmp(r2.rec.urls[i].url, r->rec.urls[i].url) ||
            strcmp(r2.rec.urls[i].host, r->rec.urls[i].host))
            abort();
    vg_report_fini(&r2);
out:
    json_decref(c);
    json_decref(d);
}

static void one(const struct vg_report_input *in, size_t maxerr)
{
    struct vg_report_error errs[32];
    struct vg_report r;
    size_t nerr = 99;
    int rc = vg_report_check(in, &r, errs, maxerr, &nerr);

    if (rc == VG_EINVAL) {
        if (nerr > maxerr)
            abort();
        check_errors(errs, nerr);
    } else if (rc == VG_OK) {
        check_accepted(in, &r);
        round_trip(&r);
        vg_report_fini(&r);
    } else if (rc != VG_ENOMEM) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *urls[VG_REPORT_MAX_URLS + 1];
    struct vg_report_input in;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                           NULL);

    if (json_is_object(j) && !vg__api_report_input(j, &in, urls)) {
        one(&in, 32);
        one(&in, 2);
    }
    json_decref(j);
    return 0;
}
