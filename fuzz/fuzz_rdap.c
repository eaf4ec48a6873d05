/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: RDAP answers (vg_rdap_parse, src/notice/rdap.c) and,
 * when the first byte is 'B', RFC 9224 bootstrap files
 * (vg_rdap_bootstrap_parse) with a lookup of a few addresses.
 * Invariants checked (abort on violation): an answer parses to VG_OK with
 * a result, or VG_EFORMAT/VG_ENOMEM without one; status is ok exactly when
 * there are e-mails, and then error is NULL, else error says why; every
 * e-mail passes vg_provider_email_valid (so no line break can reach a
 * notice's headers) and they are distinct (case-insensitive), at most
 * VG_PROVIDER_EMAILS_MAX; text fields are at most VG_RDAP_TEXT_MAX bytes
 * of UTF-8 without control characters; start and end are both set or
 * both NULL; CIDRs and AS numbers within their caps, CIDRs canonical.
 * A bootstrap's base URLs end in '/' and start with http(s)://, and a
 * file refused (not "version" "1.0", a bad service) adds nothing.  Never a
 * crash, leak or undefined behaviour (run under ASan+UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vigil/buf.h"
#include "vigil/ipnet.h"
#include "vigil/rdap.h"
#include "vigil/store_providers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s)
{
    size_t n;

    if (!s)
        return;
    n = strlen(s);
    if (n > VG_RDAP_TEXT_MAX || vg_utf8_count(s, n) < 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            abort();
}

static void check_result(const struct vg_rdap_result *r)
{
    char buf[VG_IPNET_STRLEN];
    struct vg_ipnet n;

    if ((r->status == VG_RDAP_OK) != (r->nemails > 0))
        abort();
    if (r->status == VG_RDAP_OK ? r->error != NULL
                                : r->status != VG_RDAP_NO_CONTACT || !r->error)
        abort();
    if (r->nemails > VG_PROVIDER_EMAILS_MAX || r->ncidrs > VG_RDAP_CIDRS_MAX ||
        r->nasns > VG_RDAP_ASNS_MAX || (!r->start != !r->end))
        abort();
    for (size_t i = 0; i < r->nemails; i++) {
        if (!vg_provider_email_valid(r->emails[i]))
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(r->emails[i], r->emails[j]))
                abort();
    }
    for (size_t i = 0; i < r->ncidrs; i++) {
        if (vg_ipnet_parse(r->cidrs[i], 0, &n))
            abort();
        vg_ipnet_format(&n, 0, buf, sizeof(buf));
        if (strcmp(buf, r->cidrs[i]))
            abort();
    }
    for (size_t i = 0; i < r->nasns; i++)
        if (!r->asns[i])
            abort();
    check_text(r->handle);
    check_text(r->name);
    check_text(r->org);
    check_text(r->country);
}

static void bootstrap(const char *s, size_t n)
{
    static const char *const ips[] = {"192.0.2.1", "2001:db8::1", "0.0.0.0",
                                      "::ffff:10.1.2.3", "255.255.255.255"};
    struct vg_rdap_bootstrap *b = NULL;

    if (vg_rdap_bootstrap_new(&b))
        return;
    if (vg_rdap_bootstrap_parse(b, s, n, NULL) && vg_rdap_bootstrap_count(b))
        abort();
    for (size_t i = 0; i < sizeof(ips) / sizeof(*ips); i++) {
        const char *u = vg_rdap_bootstrap_find(b, ips[i]);
        size_t len = u ? strlen(u) : 0;
        if (u &&
            (!len || u[len - 1] != '/' ||
             (strncasecmp(u, "https://", 8) && strncasecmp(u, "http://", 7))))
            abort();
    }
    vg_rdap_bootstrap_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vg_rdap_result *r = NULL;
    int rc;

    if (size && data[0] == 'B') {
        bootstrap((const char *)data + 1, size - 1);
        return 0;
    }
    rc = vg_rdap_parse((const char *)data, size, &r, NULL);
    if (rc == VG_OK) {
        if (!r)
            abort();
        check_result(r);
    } else if ((rc != VG_EFORMAT && rc != VG_ENOMEM) || r) {
        abort();
    }
    vg_rdap_result_free(r);
    return 0;
}
