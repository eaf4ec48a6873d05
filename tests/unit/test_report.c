/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The rules of a report, as the form and the API apply them: what is
 * required for each incident type and technology, URLs canonicalised and
 * deduplicated, every error named by field and message key, anonymous
 * reports accepted, contact details checked and kept apart for sealing.
 */
#include <string.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/i18n.h"
#include "vigil/report.h"

static struct vg_i18n *catalogues;

/* Every error's message key is in both catalogues. */
static void keys_exist(const struct vg_report_error *e, size_t n)
{
    for (size_t i = 0; i < n && catalogues; i++)
        if (!vg_i18n_has(catalogues, "en", e[i].key) ||
            !vg_i18n_has(catalogues, "fr", e[i].key))
            TH_FAIL_("no message %s in web/i18n", e[i].key);
}

static int has_error(const struct vg_report_error *e, size_t n,
                     const char *field, const char *key)
{
    keys_exist(e, n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].field, field) && !strcmp(e[i].key, key))
            return 1;
    return 0;
}

static void test_anonymous_website(void)
{
    const char *urls[] = {"HTTPS://Example.COM:443/a/../b#x",
                          "https://example.com/b", "http://other.example/"};
    struct vg_report_input in = {0};
    struct vg_report r;
    struct vg_report_error e[8];
    size_t n = 99;

    in.language = "fr";
    in.incident_type = "csam";
    in.technology = "website";
    in.urls = urls;
    in.nurls = 3;
    in.description = "Des images d\xc3\xa9j\xc3\xa0 vues.";
    TH_EQ_INT(vg_report_check(&in, &r, e, 8, &n), VG_OK);
    TH_EQ_INT(n, 0);
    TH_EQ_INT(r.rec.nurls, 2); /* the first two are one URL */
    TH_EQ_STR(r.rec.urls[0].url, "https://example.com/b");
    TH_EQ_STR(r.rec.urls[0].host, "example.com");
    TH_EQ_STR(r.rec.urls[1].url, "http://other.example/");
    TH_EQ_STR(r.rec.language, "fr");
    TH_EQ_INT(r.rec.named_child, 0);
    TH_CHECK(r.contact_json == NULL); /* anonymous */
    TH_EQ_STR(r.details_json, "{\"technology\":\"website\"}");
    vg_report_fini(&r);
}

static void test_errors_by_field(void)
{
    const char *urls[] = {"javascript:alert(1)", "ftp://x.example/"};
    struct vg_report_input in = {0};
    struct vg_report r;
    struct vg_report_error e[16];
    size_t n = 0;

    /* nothing at all */
    TH_EQ_INT(vg_report_check(&in, &r, e, 16, &n), VG_EINVAL);
    TH_CHECK(has_error(e, n, "incident_type", "error.type.required"));
    TH_CHECK(has_error(e, n, "technology", "error.where.required"));
    TH_CHECK(has_error(e, n, "description", "error.description.required"));
    /* wrong choices, bad URLs, bad contact details */
    in.incident_type = "something";
    in.technology = "website";
    in.urls = urls;
    in.nurls = 2;
    in.description = "x";
    in.named_child = "maybe";
    in.contact_email = "not an address";
    in.contact_phone = "call me";
    TH_EQ_INT(vg_report_check(&in, &r, e, 16, &n), VG_EINVAL);
    TH_CHECK(has_error(e, n, "incident_type", "error.type.invalid"));
    TH_CHECK(has_error(e, n, "urls", "error.url.invalid"));
    TH_CHECK(has_error(e, n, "named_child", "error.answer.invalid"));
    TH_CHECK(has_error(e, n, "contact_email", "error.email.invalid"));
    TH_CHECK(has_error(e, n, "contact_phone", "error.phone.invalid"));
    /* a website with no URL; invalid UTF-8 */
    in.incident_type = "csam";
    in.nurls = 0;
    in.named_child = NULL;
    in.contact_email = in.contact_phone = NULL;
    in.description = "bad \xff bytes";
    TH_EQ_INT(vg_report_check(&in, &r, e, 16, &n), VG_EINVAL);
    TH_CHECK(has_error(e, n, "urls", "error.url.required"));
    TH_CHECK(has_error(e, n, "description", "error.encoding"));
    /* the error list is capped, the count says so */
    TH_EQ_INT(vg_report_check(&(struct vg_report_input){0}, &r, e, 1, &n),
              VG_EINVAL);
    TH_EQ_INT(n, 1);
}

static void test_luring_and_images(void)
{
    struct vg_report_input in = {0};
    struct vg_report r;
    struct vg_report_error e[8];
    size_t n = 0;

    in.incident_type = "luring";
    in.technology = "gaming";
    in.description = "An adult asked my son to meet.";
    TH_EQ_INT(vg_report_check(&in, &r, e, 8, &n), VG_EINVAL);
    TH_CHECK(has_error(e, n, "detail", "error.required"));
    TH_CHECK(has_error(e, n, "luring_meet", "error.required"));
    TH_CHECK(has_error(e, n, "luring_images", "error.required"));
    in.detail = "a game's chat";
    in.luring_meet = "yes";
    in.luring_images = "unsure";
    in.named_child = "yes";
    in.contact_name = "Alex";
    in.contact_email = "alex@example.org";
    TH_EQ_INT(vg_report_check(&in, &r, e, 8, &n), VG_OK);
    TH_EQ_INT(r.rec.named_child, 1);
    TH_EQ_STR(r.details_json, "{\"technology\":\"gaming\",\"detail\":\"a "
                              "game's chat\",\"luring\":{\"meet\":\"yes\","
                              "\"images\":\"unsure\"}}");
    TH_EQ_STR(r.contact_json,
              "{\"name\":\"Alex\",\"email\":\"alex@example.org\"}");
    vg_report_fini(&r);
    in.incident_type = "intimate_images";
    TH_EQ_INT(vg_report_check(&in, &r, e, 8, &n), VG_EINVAL);
    TH_CHECK(has_error(e, n, "intimate_self", "error.required"));
    TH_CHECK(!has_error(e, n, "luring_meet", "error.required"));
}

static void test_limits(void)
{
    static char big[VG_REPORT_MAX_DESCRIPTION + 2];
    const char *urls[VG_REPORT_MAX_URLS + 1];
    struct vg_report_input in = {0};
    struct vg_report r;
    struct vg_report_error e[8];
    size_t n = 0;

    memset(big, 'a', sizeof(big) - 1);
    for (size_t i = 0; i <= VG_REPORT_MAX_URLS; i++)
        urls[i] = "https://example.com/";
    in.incident_type = "csam";
    in.technology = "website";
    in.urls = urls;
    in.nurls = VG_REPORT_MAX_URLS + 1;
    in.description = big;
    TH_EQ_INT(vg_report_check(&in, &r, e, 8, &n), VG_EINVAL);
    TH_CHECK(has_error(e, n, "urls", "error.url.too_many"));
    TH_CHECK(has_error(e, n, "description", "error.too_long"));
    /* out of memory anywhere: VG_ENOMEM, nothing leaked (ASan checks) */
    in.nurls = 2;
    in.description = "ok";
    in.contact_name = "A";
    for (long k = 0; k < 40; k++) {
        int rc;
        vg_alloc_fail_after(k);
        rc = vg_report_check(&in, &r, e, 8, &n);
        vg_alloc_fail_after(-1);
        TH_CHECK(rc == VG_OK || rc == VG_ENOMEM);
        if (rc == VG_OK)
            vg_report_fini(&r);
    }
}

int main(void)
{
    struct vg_err err = {0};
    int status;

    if (vg_i18n_load_dir(VIGIL_SOURCE_DIR "/web/i18n", &catalogues, &err)) {
        fprintf(stderr, "web/i18n: %s\n", err.msg);
        return 1;
    }
    TH_RUN(test_anonymous_website);
    TH_RUN(test_errors_by_field);
    TH_RUN(test_luring_and_images);
    TH_RUN(test_limits);
    status = th_done();
    vg_i18n_free(catalogues);
    return status;
}
