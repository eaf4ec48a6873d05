/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil check`: a browser-free client of a hash-check server (Vigil's own
 * or any server of the Shield shape).  By default the media never leaves
 * the machine: each file is hashed here (PDQ, as `vigil hash` does,
 * directories walked the same way) and only the PDQ hashes are sent, as
 * POST {server}/v1/pdq/ {"hashes": [base64 of the 32 bytes, ...]} in
 * batches of up to 1,000, answered by {"scanned_hashes": {hash: {...} |
 * null}}.  With --upload each file's bytes go to POST {server}/v1/media/
 * with its Content-Type instead.  The key goes as HTTP Basic with an empty
 * user and the key as password (what C3P's Shield SDK sends).
 * Output: one line per file in input order, PATH TAB CLASSIFICATION TAB
 * MATCH_TYPE, or with --json one object per line.  Exit status as grep's:
 * 0 no file matched, 1 some matched, 2 on errors.
 * Limits: every request has --timeout (connect and total), no redirects,
 * http and https only, answers over 8 MiB and files over 64 MiB refused;
 * a 429 is retried once after its Retry-After when that is at most 60 s.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vigil/algo.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/media.h"
#include "vigil/walk.h"

#define CHECK_NONE 0
#define CHECK_FOUND 1
#define CHECK_ERROR 2

#define BATCH 1000
#define KEY_MAX 512
#define ANSWER_MAX ((size_t)8 << 20)
#define UPLOAD_MAX ((size_t)64 << 20)
#define RETRY_CAP 60

/* One file of a batch, printed in input order once its answer is in. */
struct item {
    char *path;
    char *error;  /* could not be hashed: said instead of an answer */
    char b64[45]; /* base64 of the PDQ's 32 bytes */
    char pdq[65];
};

struct check {
    char *pdq_url, *media_url;
    char key[KEY_MAX + 1];
    int json, upload;
    long timeout_s;
    CURL *h;
    struct vg_buf answer;
    long status, retry_after;
    struct item items[BATCH];
    size_t n;
    int any_match, any_error;
};

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil check --server URL --key-file FILE [OPTIONS] PATH...\n"
        "\n"
        "Check image files against a hash-check server (vigil serve's, or\n"
        "one of the Shield shape). PATH is a file or a directory (walked\n"
        "recursively; files that are not images are skipped). By default the\n"
        "media never leaves this machine: each file is hashed here (PDQ) and\n"
        "only the hashes are sent (POST URL/v1/pdq/, up to 1,000 a request).\n"
        "\n"
        "Output, one line per file in input order:\n"
        "PATH<TAB>CLASSIFICATION<TAB>MATCH_TYPE, 'no-known-match' and '-'\n"
        "when nothing matched.\n"
        "\n"
        "Options:\n"
        "  --server URL      the server's base URL (http:// or https://)\n"
        "  --key-file FILE   the API key, on the file's first line; the file\n"
        "                    must be readable by its owner only (chmod 600)\n"
        "  --upload          send each file's bytes (POST URL/v1/media/)\n"
        "                    instead of its hash\n"
        "  --json            one JSON object per file: path, classification,\n"
        "                    match_type, pdq (without --upload) and the\n"
        "                    server's answer\n"
        "  --timeout S       each request's limit in seconds (default 30)\n"
        "  -h, --help        show this help\n"
        "\n"
        "A 429 answer is retried once after its Retry-After (at most 60 s).\n"
        "\n"
        "Exit status: 0 if no file matched, 1 if any matched, 2 on errors\n"
        "(a file that could not be checked, a refused key, a timeout).\n");
}

/* ---- the key ---- */

/* The first line of the key file, refused when group or others may use
 * the file.  0, or -1 after saying why. */
static int read_key(const char *path, char *key, size_t cap)
{
    struct stat sb;
    ssize_t got;
    size_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0) {
        vg_cli_errorf("check: %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
        (sb.st_mode & (S_IRWXG | S_IRWXO))) {
        close(fd);
        vg_cli_errorf("check: the key file %s must be a regular file "
                      "readable by its owner only (chmod 600)",
                      path);
        return -1;
    }
    got = read(fd, key, cap - 1);
    close(fd);
    if (got < 0) {
        vg_cli_errorf("check: %s: %s", path, strerror(errno));
        return -1;
    }
    key[got] = '\0';
    n = strcspn(key, "\r\n");
    key[n] = '\0';
    while (n && (key[n - 1] == ' ' || key[n - 1] == '\t'))
        key[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x21 || key[i] > 0x7e)
            n = 0;
    if (!n) {
        vg_cli_errorf("check: %s: no key on its first line (printable "
                      "ASCII, no spaces)",
                      path);
        return -1;
    }
    return 0;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct check *c = ud;

    return vg_buf_append(&c->answer, p, sz * n) ? 0 : sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct check *c = ud;
    size_t len = sz * n;
    static const char name[] = "retry-after:";

    if (len > sizeof(name) && !strncasecmp(p, name, sizeof(name) - 1)) {
        char v[32];
        size_t k = len - (sizeof(name) - 1), i = 0;
        long s = 0;
        if (k >= sizeof(v))
            k = sizeof(v) - 1;
        memcpy(v, p + sizeof(name) - 1, k);
        v[k] = '\0';
        while (v[i] == ' ' || v[i] == '\t')
            i++;
        /* delta-seconds; an HTTP-date counts as "a second" */
        for (; v[i] >= '0' && v[i] <= '9' && s < 100000; i++)
            s = s * 10 + (v[i] - '0');
        c->retry_after = s > 0 ? s : 1;
    }
    return len;
}

/* The base URL checked and turned into the two endpoints.  0 or -1. */
static int set_urls(struct check *c, const char *server)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    size_t n = strlen(server);
    int ok = 0;

    if (u && !curl_url_set(u, CURLUPART_URL, server, 0) &&
        !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
        !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
        (!strcmp(scheme, "http") || !strcmp(scheme, "https")) &&
        !strchr(server, '?') && !strchr(server, '#'))
        ok = 1;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (!ok) {
        vg_cli_errorf("check: --server wants an http:// or https:// URL "
                      "such as https://hashcheck.example.org, not '%s'",
                      server);
        return -1;
    }
    while (n && server[n - 1] == '/')
        n--;
    if (!(c->pdq_url = vg_malloc(n + 16)) ||
        !(c->media_url = vg_malloc(n + 16)))
        return -1;
    snprintf(c->pdq_url, n + 16, "%.*s/v1/pdq/", (int)n, server);
    snprintf(c->media_url, n + 16, "%.*s/v1/media/", (int)n, server);
    return 0;
}

static int setup_curl(struct check *c)
{
    CURL *h = curl_easy_init();

    c->h = h;
    if (!h || curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") ||
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout_s) ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s) ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) ||
        curl_easy_setopt(h, CURLOPT_USERNAME, "") ||
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->key) ||
        curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil-check") ||
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
        curl_easy_setopt(h, CURLOPT_WRITEDATA, c) ||
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
        curl_easy_setopt(h, CURLOPT_HEADERDATA, c) ||
        curl_easy_setopt(h, CURLOPT_POST, 1L)) {
        vg_cli_errorf("check: cannot set up libcurl");
        return -1;
    }
    return 0;
}

/* The answer's "detail" (Shield) or "message" (HMA), cut and printable,
 * into out (n bytes); "" when there is none. */
static void answer_detail(const struct check *c, char *out, size_t n)
{
    json_t *j = json_loadb(c->answer.data ? c->answer.data : "", c->answer.len,
                           0, NULL);
    const char *s = json_string_value(json_object_get(j, "detail"));
    size_t i;

    if (!s)
        s = json_string_value(json_object_get(j, "message"));
    snprintf(out, n, "%s", s ? s : "");
    for (i = 0; out[i]; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            out[i] = '?';
    json_decref(j);
}

/* One request, answered by any status; VG_OK or -1 (said) for no answer. */
static int perform(struct check *c, const char *url,
                   struct curl_slist *headers, const void *body, size_t len)
{
    CURLcode cc;

    vg_buf_reset(&c->answer);
    c->status = 0;
    c->retry_after = 0;
    curl_easy_setopt(c->h, CURLOPT_URL, url);
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if ((cc = curl_easy_perform(c->h)) == CURLE_OK) {
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
        return 0;
    }
    if (cc == CURLE_OPERATION_TIMEDOUT)
        vg_cli_errorf("check: %s: no answer within %ld s (--timeout)", url,
                      c->timeout_s);
    else if (cc == CURLE_WRITE_ERROR)
        vg_cli_errorf("check: %s: answer larger than %zu bytes", url,
                      ANSWER_MAX);
    else
        vg_cli_errorf("check: %s: %s", url, curl_easy_strerror(cc));
    return -1;
}

/*
 * POST body with headers and the key to url: its status in c->status and
 * its body in c->answer.  -1 (said) when the request could not be made or
 * the server refused the key (401, 403) or went on asking to slow down
 * (429 twice, or a Retry-After over 60 s): nothing more can be checked.
 */
static int post(struct check *c, const char *url, struct curl_slist *headers,
                const void *body, size_t len)
{
    char detail[256];

    if (perform(c, url, headers, body, len))
        return -1;
    if (c->status == 429 && c->retry_after <= RETRY_CAP) {
        /* no Retry-After: a second, not a hammering retry */
        struct timespec ts = {c->retry_after ? c->retry_after : 1, 0};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
        if (perform(c, url, headers, body, len))
            return -1;
    }
    if (c->status != 401 && c->status != 403 && c->status != 429)
        return 0;
    answer_detail(c, detail, sizeof(detail));
    if (c->status == 429)
        vg_cli_errorf("check: %s: 429, too many requests: retry after %ld s%s"
                      "%s",
                      url, c->retry_after, *detail ? ": " : "", detail);
    else
        vg_cli_errorf("check: %s: %ld, the server refused the key%s%s%s", url,
                      c->status,
                      c->status == 401 ? " (unknown or revoked?)"
                                       : " (not allowed this call)",
                      *detail ? ": " : "", detail);
    return -1;
}

/* ---- output ---- */

/* A classification or match type as the server gave it: letters, digits,
 * '-' and '_' only, so that a line stays a line. */
static int plain_word(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

static void print_error(struct check *c, const char *path, const char *why)
{
    c->any_error = 1;
    if (c->json) {
        printf("{\"path\":");
        vg_cli_json_str(stdout, path);
        printf(",\"error\":");
        vg_cli_json_str(stdout, why);
        printf("}\n");
    }
    fflush(stdout);
    vg_cli_errorf("check: %s: %s", path, why);
}

/*
 * One file's answer: a match object (classification, match_type) or null
 * (no-known-match).  Printed; VG_OK, or VG_EFORMAT for an answer of the
 * wrong shape (said as the file's error).
 */
static int print_answer(struct check *c, const char *path, const char *pdq,
                        json_t *a)
{
    const char *cls = "no-known-match", *mt = NULL;
    json_t *m = a ? json_object_get(a, "match_type") : NULL;

    if (a && !json_is_object(a))
        goto bad;
    if (a && !(cls = json_string_value(json_object_get(a, "classification"))))
        goto bad;
    if (m && !json_is_null(m) && !(mt = json_string_value(m)))
        goto bad;
    if (!plain_word(cls) || (mt && !plain_word(mt)))
        goto bad;
    if (strcmp(cls, "no-known-match"))
        c->any_match = 1;
    if (!c->json) {
        printf("%s\t%s\t%s\n", path, cls, mt ? mt : "-");
        return VG_OK;
    }
    printf("{\"path\":");
    vg_cli_json_str(stdout, path);
    printf(",\"classification\":\"%s\",\"match_type\":", cls);
    vg_cli_json_str(stdout, mt);
    if (pdq)
        printf(",\"pdq\":\"%s\"", pdq);
    printf(",\"answer\":");
    if (json_dumpf(a ? a : json_null(), stdout,
                   JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS))
        return VG_EIO;
    printf("}\n");
    return VG_OK;
bad:
    print_error(c, path, "the server's answer has the wrong shape");
    return VG_EFORMAT;
}

/* ---- hashes only ---- */

/* The batch's request body: {"hashes": [...]} (each hash once). */
static char *batch_body(const struct check *c)
{
    json_t *hashes = json_array(), *o = json_object();
    char *s = NULL;

    for (size_t i = 0; i < c->n; i++)
        if (!c->items[i].error)
            json_array_append_new(hashes, json_string(c->items[i].b64));
    if (!json_object_set_new(o, "hashes", hashes))
        s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* The batch's answers, printed in input order.  VG_OK or -1 (said). */
static int print_batch(struct check *c, json_t *scanned)
{
    for (size_t i = 0; i < c->n; i++) {
        struct item *it = &c->items[i];
        json_t *a;
        if (it->error) {
            print_error(c, it->path, it->error);
            continue;
        }
        /* a hash the server left out has no answer: an error, not "none" */
        if (!(a = json_object_get(scanned, it->b64))) {
            print_error(c, it->path, "the server did not answer its hash");
            continue;
        }
        if (print_answer(c, it->path, it->pdq, json_is_null(a) ? NULL : a) ==
            VG_EIO)
            return -1;
    }
    return 0;
}

/* Send the batch and print it.  0, or -1 (said): stop. */
static int flush_batch(struct check *c)
{
    struct curl_slist *hl = curl_slist_append(
        curl_slist_append(NULL, "Content-Type: application/json"),
        "Accept: application/json");
    char *body = NULL, detail[256];
    json_t *j = NULL, *scanned;
    int rc = -1, any = 0, printed = 0;

    for (size_t i = 0; i < c->n; i++)
        any |= !c->items[i].error;
    if (!any) {
        printed = 1;
        rc = print_batch(c, NULL);
        goto out;
    }
    if (!hl || !(body = batch_body(c)) ||
        post(c, c->pdq_url, hl, body, strlen(body)))
        goto out;
    if (c->status != 200) {
        answer_detail(c, detail, sizeof(detail));
        vg_cli_errorf("check: %s: the server answered %ld%s%s", c->pdq_url,
                      c->status, *detail ? ": " : "", detail);
        goto out;
    }
    j = json_loadb(c->answer.data, c->answer.len, 0, NULL);
    if (!json_is_object(scanned = json_object_get(j, "scanned_hashes"))) {
        vg_cli_errorf("check: %s: the answer has no \"scanned_hashes\" "
                      "object",
                      c->pdq_url);
        goto out;
    }
    printed = 1;
    rc = print_batch(c, scanned);
out:
    json_decref(j);
    free(body);
    curl_slist_free_all(hl);
    for (size_t i = 0; i < c->n; i++) {
        /* the run stops: files that failed here are still said */
        if (rc && !printed && c->items[i].error)
            print_error(c, c->items[i].path, c->items[i].error);
        vg_free(c->items[i].path);
        vg_free(c->items[i].error);
    }
    c->n = 0;
    if (rc)
        c->any_error = 1;
    return rc;
}

/* Hash path into the batch (or its error). */
static int add_hashed(struct check *c, const char *path,
                      const struct vg_imagehash_opts *opts)
{
    struct item *it = &c->items[c->n];
    struct vg_imagehash h;
    struct vg_err err = {0};
    uint8_t bytes[32];
    int rc;

    memset(it, 0, sizeof(*it));
    if (!(it->path = vg_strdup(path)))
        return VG_ENOMEM;
    c->n++;
    if ((rc = vg_imagehash_file(path, opts, &h, &err))) {
        char why[600];
        snprintf(why, sizeof(why), "%s%s%s", vg_strerror(rc),
                 err.msg[0] ? ": " : "", err.msg);
        return (it->error = vg_strdup(why)) ? VG_OK : VG_ENOMEM;
    }
    vg_pdq_to_hex(&h.pdq.hash, it->pdq);
    vg_pdq_to_bytes(&h.pdq.hash, bytes);
    sodium_bin2base64(it->b64, sizeof(it->b64), bytes, sizeof(bytes),
                      sodium_base64_VARIANT_ORIGINAL);
    return VG_OK;
}

/* ---- uploads ---- */

static const char *content_type(enum vg_media_format f)
{
    switch (f) {
    case VG_MEDIA_JPEG:
        return "image/jpeg";
    case VG_MEDIA_PNG:
        return "image/png";
    case VG_MEDIA_GIF:
        return "image/gif";
    case VG_MEDIA_WEBP:
        return "image/webp";
    case VG_MEDIA_BMP:
        return "image/bmp";
    default:
        return NULL;
    }
}

/* The whole file, at most UPLOAD_MAX bytes.  VG_OK or a code, why said. */
static int slurp(const char *path, struct vg_buf *b, char *why, size_t n)
{
    char chunk[65536];
    size_t got;
    FILE *f = fopen(path, "rb");
    int rc = VG_OK;

    if (!f) {
        snprintf(why, n, "%s", strerror(errno));
        return VG_EIO;
    }
    while (!rc && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = vg_buf_append(b, chunk, got);
    if (!rc && ferror(f))
        rc = VG_EIO;
    fclose(f);
    if (rc)
        snprintf(why, n, "%s",
                 rc == VG_ETOOBIG ? "larger than 64 MiB: not sent"
                                  : vg_strerror(rc));
    return rc;
}

/* Upload one file and print its answer.  0, or -1 (said): stop. */
static int upload_one(struct check *c, const char *path)
{
    struct vg_buf b;
    struct curl_slist *hl = NULL;
    char why[300], h[64];
    const char *ct;
    json_t *j = NULL;
    int rc = 0;

    vg_buf_init(&b, UPLOAD_MAX);
    if (slurp(path, &b, why, sizeof(why))) {
        print_error(c, path, why);
        goto out;
    }
    if (!(ct = content_type(vg_media_sniff((const uint8_t *)b.data, b.len)))) {
        print_error(c, path,
                    "not an image this client knows (JPEG, PNG, "
                    "GIF, WebP, BMP): not sent");
        goto out;
    }
    snprintf(h, sizeof(h), "Content-Type: %s", ct);
    /* no "Expect: 100-continue" round trip before a large body */
    hl = curl_slist_append(curl_slist_append(curl_slist_append(NULL, h),
                                             "Accept: application/json"),
                           "Expect:");
    if (!hl || post(c, c->media_url, hl, b.data, b.len)) {
        rc = -1;
        goto out;
    }
    if (c->status == 200) {
        if (!(j = json_loadb(c->answer.data, c->answer.len, 0, NULL)))
            print_error(c, path, "the server's answer is not JSON");
        else if (print_answer(c, path, NULL, j) == VG_EIO)
            rc = -1;
    } else if (c->status == 400 || c->status == 413 || c->status == 415 ||
               c->status == 422) {
        answer_detail(c, why, sizeof(why));
        snprintf(h, sizeof(h), "the server answered %ld", c->status);
        if (!*why)
            snprintf(why, sizeof(why), "%s", h);
        print_error(c, path, why);
    } else {
        answer_detail(c, why, sizeof(why));
        vg_cli_errorf("check: %s: the server answered %ld%s%s", c->media_url,
                      c->status, *why ? ": " : "", why);
        rc = -1;
    }
out:
    json_decref(j);
    curl_slist_free_all(hl);
    vg_buf_fini(&b);
    return rc;
}

/* ---- the walk ---- */

/* Check every path; 0, or -1 when the run had to stop (said). */
static int run(struct check *c, char **paths, int npaths,
               const struct vg_imagehash_opts *opts)
{
    struct vg_walk *walk = NULL;
    struct vg_walk_entry e;
    int rc = 0, wrc;

    if (vg_walk_new(paths, npaths, &walk)) {
        vg_cli_errorf("check: out of memory");
        return -1;
    }
    while (!rc && !(wrc = vg_walk_next(walk, &e))) {
        if (e.error) {
            if (!c->upload && c->n) /* keep the output in input order */
                rc = flush_batch(c);
            print_error(c, e.path,
                        e.error_msg && *e.error_msg ? e.error_msg
                                                    : vg_strerror(e.error));
        } else if (e.from_dir && !vg_cli_looks_like_image(e.path)) {
            continue;
        } else if (c->upload) {
            rc = upload_one(c, e.path);
        } else if (add_hashed(c, e.path, opts)) {
            vg_cli_errorf("check: out of memory");
            rc = -1;
        } else if (c->n == BATCH) {
            rc = flush_batch(c);
        }
    }
    if (!rc && wrc != VG_ENOENT) {
        vg_cli_errorf("check: %s", vg_strerror(wrc));
        rc = -1;
    }
    if (!rc && c->n)
        rc = flush_batch(c);
    vg_walk_free(walk);
    return rc;
}

enum { OPT_SERVER = 256, OPT_KEYFILE, OPT_UPLOAD, OPT_JSON, OPT_TIMEOUT };

/* The options into c; the index of the first path, or -1 (status set). */
static int parse_args(struct check *c, int argc, char **argv,
                      const char **server, const char **keyfile, int *status)
{
    static const struct option longopts[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"key-file", required_argument, NULL, OPT_KEYFILE},
        {"upload", no_argument, NULL, OPT_UPLOAD},
        {"json", no_argument, NULL, OPT_JSON},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long long v;
    int o;

    *status = CHECK_ERROR;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (o) {
        case OPT_SERVER:
            *server = optarg;
            break;
        case OPT_KEYFILE:
            *keyfile = optarg;
            break;
        case OPT_UPLOAD:
            c->upload = 1;
            break;
        case OPT_JSON:
            c->json = 1;
            break;
        case OPT_TIMEOUT:
            if (vg_cli_parse_range("check", "--timeout", optarg, 1, 3600, &v))
                return -1;
            c->timeout_s = (long)v;
            break;
        case 'h':
            usage(stdout);
            *status = CHECK_NONE;
            return -1;
        default:
            vg_cli_bad_option("check", argv);
            return -1;
        }
    }
    if (!*server || !*keyfile || optind >= argc) {
        vg_cli_errorf("check: %s", !*server    ? "--server URL is required"
                                   : !*keyfile ? "--key-file FILE is required"
                                               : "no PATH to check");
        usage(stderr);
        return -1;
    }
    for (int i = optind; i < argc; i++)
        if (!strcmp(argv[i], "-")) {
            vg_cli_errorf("check: '-' (standard input) is not supported: "
                          "name the files");
            return -1;
        }
    return optind;
}

int vg_cli_check(int argc, char **argv)
{
    struct vg_imagehash_opts opts = {0};
    const char *server = NULL, *keyfile = NULL;
    struct check *c = vg_calloc(1, sizeof(*c));
    int first, status = CHECK_ERROR;

    if (!c) {
        vg_cli_errorf("check: out of memory");
        return CHECK_ERROR;
    }
    c->timeout_s = 30;
    vg_buf_init(&c->answer, ANSWER_MAX);
    if ((first = parse_args(c, argc, argv, &server, &keyfile, &status)) < 0)
        goto out;
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
        vg_cli_errorf("check: cannot initialise libcurl");
        goto out;
    }
    if (set_urls(c, server) || read_key(keyfile, c->key, sizeof(c->key)) ||
        setup_curl(c) || run(c, argv + first, argc - first, &opts)) {
        c->any_error = 1;
    }
    if (fflush(stdout)) {
        vg_cli_errorf("check: writing the output failed");
        c->any_error = 1;
    }
    status = c->any_error   ? CHECK_ERROR
             : c->any_match ? CHECK_FOUND
                            : CHECK_NONE;
    curl_easy_cleanup(c->h);
    curl_global_cleanup();
out:
    sodium_memzero(c->key, sizeof(c->key));
    vg_free(c->pdq_url);
    vg_free(c->media_url);
    vg_buf_fini(&c->answer);
    vg_free(c);
    return status;
}
