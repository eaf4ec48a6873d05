/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resolution and canonicalisation of URLs (vigil/url.h).  libcurl's URL
 * API parses, validates and resolves (RFC 3986 section 5.2, including its
 * remove_dot_segments); libidn2 converts internationalised host names.
 * What is ours: the WHATWG clean-up of what authors write (whitespace,
 * tabs and newlines, backslashes), the two reference forms curl resolves
 * differently from RFC 3986 (the empty and the fragment-only reference give
 * the base), percent-encoding normalisation (RFC 3986 section 6.2.2.2),
 * followed by a second remove_dot_segments because decoding %2E can make
 * new dot segments, and the canonical assembly.
 */
#include <curl/curl.h>
#include <idn2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vigil/algo.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/url.h"

int vg_url_unreserved(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* Bytes a path or query may hold as they are (RFC 3986 pchar, '/', '?'). */
static int keep_as_is(unsigned char c)
{
    return vg_url_unreserved(c) || strchr("!$&'()*+,;=:@/?", c) != NULL;
}

/* Append s (n bytes) with percent-encoding normalised. */
static int append_normalised(struct vg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = VG_OK;

    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        int hi, lo;

        if (c == '%' && i + 2 < n &&
            (hi = vg_hex_value((unsigned char)s[i + 1])) >= 0 &&
            (lo = vg_hex_value((unsigned char)s[i + 2])) >= 0) {
            unsigned char d = (unsigned char)(hi << 4 | lo);
            if (vg_url_unreserved(d)) {
                rc = vg_buf_append(b, &d, 1);
            } else {
                char e[3] = {'%', hex[hi], hex[lo]};
                rc = vg_buf_append(b, e, 3);
            }
            i += 2;
        } else if (keep_as_is(c)) {
            rc = vg_buf_append(b, &c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = vg_buf_append(b, e, 3);
        }
    }
    return rc;
}

/* RFC 3986 5.2.4 on a NUL-terminated path, in place. */
static void remove_dot_segments(char *path)
{
    char *in = path, *out = path;

    while (*in) {
        if (!strncmp(in, "../", 3)) {
            in += 3;
        } else if (!strncmp(in, "./", 2)) {
            in += 2;
        } else if (!strncmp(in, "/./", 3)) {
            in += 2;
        } else if (!strcmp(in, "/.")) {
            in[1] = '\0';
        } else if (!strncmp(in, "/../", 4) || !strcmp(in, "/..")) {
            in += 3;
            if (!*in)
                *--in = '/';
            else
                in[0] = '/';
            while (out > path && *--out != '/')
                ;
        } else if (!strcmp(in, ".") || !strcmp(in, "..")) {
            *in = '\0';
        } else {
            do
                *out++ = *in++;
            while (*in && *in != '/');
        }
    }
    *out = '\0';
}

/* The reference as a browser reads it: trimmed, no tabs or newlines,
 * backslashes as slashes before the query.  NULL when out of memory. */
static char *clean_ref(const char *ref, size_t len)
{
    char *s;
    size_t a = 0, b = len, n = 0;
    int in_query = 0;

    while (a < b && (unsigned char)ref[a] <= ' ')
        a++;
    while (b > a && (unsigned char)ref[b - 1] <= ' ')
        b--;
    if (!(s = vg_malloc(b - a + 1)))
        return NULL;
    for (size_t i = a; i < b; i++) {
        char c = ref[i];
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '?' || c == '#')
            in_query = 1;
        s[n++] = c == '\\' && !in_query ? '/' : c;
    }
    s[n] = '\0';
    return s;
}

static int lower_host(const char *host, char **out, struct vg_err *err)
{
    char *ascii = NULL;
    int rc;

    for (const char *p = host; *p; p++)
        if ((unsigned char)*p >= 0x80) {
            rc = idn2_to_ascii_8z(host, &ascii,
                                  IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
            if (rc != IDN2_OK)
                return vg_err_set(err, VG_EINVAL, "host \"%.100s\": %s", host,
                                  idn2_strerror(rc));
            break;
        }
    if (!(*out = vg_strdup(ascii ? ascii : host))) {
        idn2_free(ascii);
        return VG_ENOMEM;
    }
    idn2_free(ascii);
    for (char *p = *out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    /* what is left must be a DNS name or an IP literal */
    if (strspn(*out, (*out)[0] == '['
                         ? "[]0123456789abcdef:."
                         : "abcdefghijklmnopqrstuvwxyz0123456789.-_") !=
        strlen(*out)) {
        rc = vg_err_set(err, VG_EINVAL, "host \"%.100s\" is not a host name",
                        *out);
        vg_free(*out);
        *out = NULL;
        return rc;
    }
    return VG_OK;
}

/* Length of the scheme the reference starts with (RFC 3986 3.1), or 0. */
static size_t scheme_len(const char *r)
{
    size_t n = 0;

    if (!((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z')))
        return 0;
    while ((r[n] >= 'a' && r[n] <= 'z') || (r[n] >= 'A' && r[n] <= 'Z') ||
           (r[n] >= '0' && r[n] <= '9') || r[n] == '+' || r[n] == '-' ||
           r[n] == '.')
        n++;
    return r[n] == ':' ? n : 0;
}

/* A reference with a scheme other than http or https. */
static int other_scheme(const char *r)
{
    size_t n = scheme_len(r);

    return n && !((n == 4 && !strncasecmp(r, "http", 4)) ||
                  (n == 5 && !strncasecmp(r, "https", 5)));
}

/* Does the reference name a host that decoding or IDNA may turn into text
 * curl would read differently (a '%' or a non-ASCII byte in it)?  curl
 * takes the host behind any number of slashes, after "http:" or, without
 * a scheme, after "//". */
static int host_needs_recheck(const char *r)
{
    size_t n = scheme_len(r);

    if (n)
        r += n + 1;
    else if (strncmp(r, "//", 2))
        return 0;
    r += strspn(r, "/");
    for (n = strcspn(r, "/?#"); n--; r++)
        if (*r == '%' || (unsigned char)*r >= 0x80)
            return 1;
    return 0;
}

static int curl_err(CURLUcode uc, struct vg_err *err)
{
    if (uc == CURLUE_OUT_OF_MEMORY)
        return VG_ENOMEM;
    if (uc == CURLUE_UNSUPPORTED_SCHEME)
        return vg_err_set(err, VG_EFORMAT, "not an http or https URL");
    return vg_err_set(err, VG_EINVAL, "malformed URL: %s",
                      curl_url_strerror(uc));
}

/* Assemble the canonical form of what h holds. */
static int assemble(CURLU *h, char **out, struct vg_err *err)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
         *query = NULL, *lhost = NULL;
    struct vg_buf b, p;
    CURLUcode uc;
    int rc;

    vg_buf_init(&b, 2 * VG_URL_MAX + 64);
    vg_buf_init(&p, 2 * VG_URL_MAX + 64);
    if ((uc = curl_url_get(h, CURLUPART_SCHEME, &scheme, 0)) ||
        (uc = curl_url_get(h, CURLUPART_HOST, &host, 0)) ||
        (uc = curl_url_get(h, CURLUPART_PATH, &path, 0))) {
        rc = curl_err(uc, err);
        goto out;
    }
    if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
        rc = vg_err_set(err, VG_EFORMAT, "not an http or https URL (%.20s:)",
                        scheme);
        goto out;
    }
    uc = curl_url_get(h, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
    if (uc && uc != CURLUE_NO_PORT) {
        rc = curl_err(uc, err);
        goto out;
    }
    uc = curl_url_get(h, CURLUPART_QUERY, &query, 0);
    if (uc && uc != CURLUE_NO_QUERY) {
        rc = curl_err(uc, err);
        goto out;
    }
    if ((rc = lower_host(host, &lhost, err)))
        goto out;
    /* the path, normalised, then its dot segments once more */
    if ((rc = append_normalised(&p, path, strlen(path))) ||
        (rc = vg_buf_append(&p, "", 1)))
        goto out;
    remove_dot_segments(p.data);
    if ((rc = vg_buf_printf(&b, "%s://%s", scheme, lhost)) ||
        (port && (rc = vg_buf_printf(&b, ":%s", port))) ||
        (rc = vg_buf_puts(&b, p.data[0] == '/' ? "" : "/")) ||
        (rc = vg_buf_puts(&b, p.data)))
        goto out;
    if (query && *query &&
        ((rc = vg_buf_puts(&b, "?")) ||
         (rc = append_normalised(&b, query, strlen(query)))))
        goto out;
    if (b.len > VG_URL_MAX) {
        rc = vg_err_set(err, VG_ETOOBIG, "URL longer than %d bytes",
                        VG_URL_MAX);
        goto out;
    }
    if ((rc = vg_buf_append(&b, "", 1)))
        goto out;
    *out = b.data;
    b.data = NULL;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    vg_free(lhost);
    vg_buf_fini(&b);
    vg_buf_fini(&p);
    return rc;
}

int vg_url_resolve(const char *base, const char *ref, size_t len, char **out,
                   struct vg_err *err)
{
    CURLU *h = NULL;
    CURLUcode uc;
    char *r = NULL;
    int rc;

    *out = NULL;
    if (len > 4 * VG_URL_MAX)
        return vg_err_set(err, VG_ETOOBIG, "URL longer than %d bytes",
                          VG_URL_MAX);
    if (!(r = clean_ref(ref, len)) || !(h = curl_url())) {
        rc = VG_ENOMEM;
        goto out;
    }
    if (base && (uc = curl_url_set(h, CURLUPART_URL, base, 0))) {
        rc = curl_err(uc, err);
        goto out;
    }
    if (!base && !*r) {
        rc = vg_err_set(err, VG_EINVAL, "empty URL");
        goto out;
    }
    if (other_scheme(r)) {
        rc = vg_err_set(err, VG_EFORMAT, "not an http or https URL");
        goto out;
    }
    /* RFC 3986: an empty or fragment-only reference is the base itself */
    if (*r && *r != '#' &&
        (uc = curl_url_set(h, CURLUPART_URL, r, CURLU_ALLOW_SPACE))) {
        rc = curl_err(uc, err);
        goto out;
    }
    rc = assemble(h, out, err);
    /* Escapes and IDNA can turn a host into text curl would have read
     * differently (http://%37/ is host "7", which parsed afresh is
     * 0.0.0.7): then parse the result again until it no longer changes.
     * Only then: this runs for every link of every page. */
    for (int round = 0;
         !rc && (host_needs_recheck(r) || (base && host_needs_recheck(base)));
         round++) {
        char *again = NULL;
        if ((uc = curl_url_set(h, CURLUPART_URL, *out, 0))) {
            rc = curl_err(uc, err);
        } else if (!(rc = assemble(h, &again, err)) && !strcmp(again, *out)) {
            vg_free(again);
            break;
        } else if (!rc && round == 2) {
            rc = vg_err_set(err, VG_EINVAL, "URL has no stable form");
        }
        if (!rc) {
            vg_free(*out);
            *out = again;
        } else {
            vg_free(again);
        }
    }
    if (rc) {
        vg_free(*out);
        *out = NULL;
    }
out:
    curl_url_cleanup(h);
    vg_free(r);
    return rc;
}

int vg_url_canonical(const char *url, char **out, struct vg_err *err)
{
    return vg_url_resolve(NULL, url, strlen(url), out, err);
}

int vg_url_host(const char *url, char *buf, size_t n)
{
    const char *p = strstr(url, "://"), *e;
    size_t len;

    if (!p)
        return VG_EINVAL;
    p += 3;
    if (*p == '[') {
        e = strchr(++p, ']');
    } else {
        e = p + strcspn(p, ":/?#");
    }
    if (!e || e == p)
        return VG_EINVAL;
    len = (size_t)(e - p);
    if (len >= n)
        return VG_ETOOBIG;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return VG_OK;
}
