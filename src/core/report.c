/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rules of a report (vigil/report.h), shared by the form and the API.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/vocab.h"
#include "vigil/report.h"
#include "vigil/url.h"

static const char *const answers[] = {"yes", "no", "unsure"};

struct checker {
    struct vg_report_error *errs;
    size_t max, n;
};

static void fail(struct checker *k, const char *field, const char *key)
{
    if (k->n < k->max)
        k->errs[k->n] = (struct vg_report_error){field, key};
    k->n++;
}

static int given(const char *s)
{
    return s && *s;
}

/* Characters of valid UTF-8 text, or -1. */
static long chars(const char *s)
{
    return vg_utf8_count(s, strlen(s));
}

/* A text field: valid UTF-8 of at most max characters (required or not). */
static void text(struct checker *k, const char *field, const char *s, long max,
                 int required)
{
    long n;

    if (!given(s)) {
        if (required)
            fail(k, field,
                 !strcmp(field, "description") ? "error.description.required"
                                               : "error.required");
        return;
    }
    if ((n = chars(s)) < 0)
        fail(k, field, "error.encoding");
    else if (n > max)
        fail(k, field, "error.too_long");
}

static int one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (!strcmp(s, set[i]))
            return 1;
    return 0;
}

static void choice(struct checker *k, const char *field, const char *s,
                   const char *const *set, size_t n)
{
    if (!given(s))
        fail(k, field, "error.required");
    else if (!one_of(s, set, n))
        fail(k, field, "error.answer.invalid");
}

/* A code of a vocabulary (vigil/vocab.h). */
static void code(struct checker *k, const char *field, const char *s,
                 enum vg_vocab_kind kind)
{
    int type = kind == VG_VOCAB_INCIDENT_TYPE;

    if (!given(s))
        fail(k, field, type ? "error.type.required" : "error.where.required");
    else if (!vg_vocab_has(kind, s))
        fail(k, field, type ? "error.type.invalid" : "error.answer.invalid");
}

static int email_ok(const char *e)
{
    const char *at = strchr(e, '@');

    if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
        strlen(e) > 254 || at[1] == '.' || e[strlen(e) - 1] == '.')
        return 0;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == '"' ||
            *p == ',' || *p == ';')
            return 0;
    return 1;
}

static int phone_ok(const char *p)
{
    int digits = 0;

    if (strlen(p) > 40)
        return 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr(" +-().", *p))
            return 0;
    }
    return digits >= 5;
}

/* The URLs of a website report, canonical and without repeats. */
static int check_urls(struct checker *k, const struct vg_report_input *in,
                      struct vg_report *out)
{
    size_t n = 0;

    if (!in->nurls) {
        fail(k, "urls", "error.url.required");
        return VG_OK;
    }
    if (in->nurls > VG_REPORT_MAX_URLS) {
        fail(k, "urls", "error.url.too_many");
        return VG_OK;
    }
    if (!(out->urls = vg_calloc(in->nurls, sizeof(*out->urls))))
        return VG_ENOMEM;
    for (size_t i = 0; i < in->nurls; i++) {
        char *canon = NULL, host[256];
        struct vg_err uerr = {0};
        int rc, dup = 0;

        if (!given(in->urls[i]))
            continue;
        rc = vg_url_canonical(in->urls[i], &canon, &uerr);
        if (rc == VG_ENOMEM)
            return rc;
        if (rc || vg_url_host(canon, host, sizeof(host))) {
            vg_free(canon);
            fail(k, "urls", "error.url.invalid");
            continue;
        }
        for (size_t j = 0; j < n && !dup; j++)
            dup = !strcmp(out->urls[j].url, canon);
        if (dup) {
            vg_free(canon);
            continue;
        }
        out->urls[n].url = canon;
        out->rec.nurls = ++n; /* vg_report_fini frees what is counted */
        if (!(out->urls[n - 1].host = vg_strdup(host)))
            return VG_ENOMEM;
    }
    if (!n && !k->n)
        fail(k, "urls", "error.url.required");
    out->rec.urls = out->urls;
    return VG_OK;
}

/* The answers beyond the common fields, as a JSON object. */
static char *details(const struct vg_report_input *in)
{
    unsigned type = vg_vocab_flags(VG_VOCAB_INCIDENT_TYPE, in->incident_type);
    json_t *d = json_object();
    char *s;

    json_object_set_new(d, "technology", json_string(in->technology));
    if (given(in->detail))
        json_object_set_new(d, "detail", json_string(in->detail));
    if (type & VG_VOCAB_ASK_LURING)
        json_object_set_new(d, "luring",
                            json_pack("{s:s, s:s}", "meet", in->luring_meet,
                                      "images", in->luring_images));
    if (type & VG_VOCAB_ASK_INTIMATE)
        json_object_set_new(d, "intimate",
                            json_pack("{s:s, s:s}", "self", in->intimate_self,
                                      "threatened", in->intimate_threatened));
    s = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return s;
}

static char *contact(const struct vg_report_input *in)
{
    json_t *c = json_object();
    char *s;

    if (given(in->contact_name))
        json_object_set_new(c, "name", json_string(in->contact_name));
    if (given(in->contact_email))
        json_object_set_new(c, "email", json_string(in->contact_email));
    if (given(in->contact_phone))
        json_object_set_new(c, "phone", json_string(in->contact_phone));
    s = json_object_size(c) ? json_dumps(c, JSON_COMPACT) : NULL;
    json_decref(c);
    return s;
}

/* json_dumps allocates with malloc: copy into vg_ memory. */
static char *own(char *s)
{
    char *d = s ? vg_strdup(s) : NULL;

    free(s);
    return d;
}

int vg_report_check(const struct vg_report_input *in, struct vg_report *out,
                    struct vg_report_error *errs, size_t maxerr, size_t *nerr)
{
    struct checker k = {errs, maxerr, 0};
    unsigned type = vg_vocab_flags(VG_VOCAB_INCIDENT_TYPE, in->incident_type);
    unsigned tech = vg_vocab_flags(VG_VOCAB_TECHNOLOGY, in->technology);
    int rc = VG_OK;

    memset(out, 0, sizeof(*out));
    *nerr = 0;
    code(&k, "incident_type", in->incident_type, VG_VOCAB_INCIDENT_TYPE);
    code(&k, "technology", in->technology, VG_VOCAB_TECHNOLOGY);
    text(&k, "incident_at", in->incident_at, 100, 0);
    text(&k, "description", in->description, VG_REPORT_MAX_DESCRIPTION, 1);
    if (tech & VG_VOCAB_NEEDS_URLS) {
        rc = check_urls(&k, in, out);
        /* kept with the report: optional, but within the same limit */
        text(&k, "detail", in->detail, VG_REPORT_MAX_FIELD, 0);
    } else if (vg_vocab_has(VG_VOCAB_TECHNOLOGY, in->technology))
        text(&k, "detail", in->detail, VG_REPORT_MAX_FIELD, 1);
    if (type & VG_VOCAB_ASK_LURING) {
        choice(&k, "luring_meet", in->luring_meet, answers, 3);
        choice(&k, "luring_images", in->luring_images, answers, 3);
    }
    if (type & VG_VOCAB_ASK_INTIMATE) {
        choice(&k, "intimate_self", in->intimate_self, answers, 3);
        choice(&k, "intimate_threatened", in->intimate_threatened, answers, 3);
    }
    if (given(in->named_child) && strcmp(in->named_child, "yes") &&
        strcmp(in->named_child, "no"))
        fail(&k, "named_child", "error.answer.invalid");
    text(&k, "contact_name", in->contact_name, 200, 0);
    if (given(in->contact_email) &&
        (chars(in->contact_email) < 0 || !email_ok(in->contact_email)))
        fail(&k, "contact_email", "error.email.invalid");
    if (given(in->contact_phone) && !phone_ok(in->contact_phone))
        fail(&k, "contact_phone", "error.phone.invalid");
    *nerr = k.n < maxerr ? k.n : maxerr;
    if (rc || k.n) {
        vg_report_fini(out);
        return rc ? rc : VG_EINVAL;
    }
    out->rec.language = given(in->language) && !strcmp(in->language, "fr")
                            ? "fr"
                            : "en";
    out->rec.incident_type = in->incident_type;
    out->rec.incident_at = given(in->incident_at) ? in->incident_at : NULL;
    out->rec.description = in->description;
    out->rec.named_child = given(in->named_child) &&
                           !strcmp(in->named_child, "yes");
    if (!(out->details_json = own(details(in)))) {
        vg_report_fini(out);
        return VG_ENOMEM;
    }
    out->rec.details_json = out->details_json;
    {
        char *c = contact(in);
        if (c && !(out->contact_json = own(c))) {
            vg_report_fini(out);
            return VG_ENOMEM;
        }
    }
    return VG_OK;
}

void vg_report_fini(struct vg_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; r->urls && i < r->rec.nurls; i++) {
        vg_free((char *)r->urls[i].url);
        vg_free((char *)r->urls[i].host);
    }
    vg_free(r->urls);
    vg_free(r->details_json);
    vg_free(r->contact_json);
    memset(r, 0, sizeof(*r));
}
