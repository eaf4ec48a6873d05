/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Static files for the HTTP layer (vg_http_static in include/vigil/http.h):
 * conditional requests with ETag / Last-Modified (RFC 9110 8.8, 13.1) and
 * single byte ranges (RFC 9110 14).  Safety: the directory is opened once;
 * a request path is walked one component at a time with openat and
 * O_NOFOLLOW from that descriptor, and components that are empty or start
 * with '.' are refused, so no request reaches outside the directory
 * (neither by ".." nor by a symbolic link) or a hidden file, whatever the
 * directory's own path does later.  Only regular files with a known
 * extension are served; everything refused is a plain 404.  The file is
 * sent by libmicrohttpd from its descriptor (sendfile where it can).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vigil/alloc.h"
#include "vigil/utc.h"
#include "web/http_int.h"

#define REL_MAX 1024 /* bytes of a path below the prefix */

struct vg__http_static {
    int dirfd;
    size_t prefix_len;
};

static const char *const TYPES[][2] = {
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"svg", "image/svg+xml"},
    {"ico", "image/x-icon"},
    {"webm", "video/webm"},
    {"mp4", "video/mp4"},
    {"txt", "text/plain; charset=utf-8"},
    {"woff2", "font/woff2"},
};

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    size_t i;

    if (!dot || strchr(dot, '/'))
        return NULL;
    for (i = 0; i < sizeof(TYPES) / sizeof(*TYPES); i++)
        if (!strcasecmp(dot + 1, TYPES[i][0]))
            return TYPES[i][1];
    return NULL;
}

/* Open rel below dirfd without leaving it; -1 if refused or absent. */
static int open_below(int dirfd, const char *rel)
{
    char buf[REL_MAX + 1];
    char *seg, *slash;
    size_t n = strlen(rel);
    int cur = dirfd, fd = -1;

    if (!n || n > REL_MAX)
        return -1;
    memcpy(buf, rel, n + 1);
    for (seg = buf;; seg = slash + 1) {
        slash = strchr(seg, '/');
        if (slash)
            *slash = '\0';
        if (!*seg || *seg == '.' || strchr(seg, '\\'))
            break;
        if (!slash) {
            /* O_NONBLOCK: opening a FIFO must not hang a pool thread */
            fd = openat(cur, seg,
                        O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
            break;
        }
        fd = openat(cur, seg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cur != dirfd)
            close(cur);
        cur = fd;
        fd = -1;
        if (cur < 0)
            break;
    }
    if (cur >= 0 && cur != dirfd)
        close(cur);
    return fd;
}

/* Digits at *p, saturating; -1 if there are none. */
static int digits(const char **p, uint64_t *v)
{
    const char *s = *p;

    *v = 0;
    if (*s < '0' || *s > '9')
        return -1;
    for (; *s >= '0' && *s <= '9'; s++)
        *v = *v > (UINT64_MAX - 9) / 10 ? UINT64_MAX
                                        : *v * 10 + (uint64_t)(*s - '0');
    *p = s;
    return 0;
}

int vg__http_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b)
{
    const char *p = h + 6;
    uint64_t x, y;

    if (strncasecmp(h, "bytes=", 6) || strchr(p, ','))
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '-') {
        p++;
        if (digits(&p, &x))
            return 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            return 0;
        if (!x || !size)
            return -1;
        *a = x >= size ? 0 : size - x;
        *b = size - 1;
        return 1;
    }
    if (digits(&p, &x) || *p++ != '-')
        return 0;
    y = UINT64_MAX;
    if (*p >= '0' && *p <= '9' && digits(&p, &y))
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p || y < x)
        return 0;
    if (x >= size)
        return -1;
    *a = x;
    *b = y >= size ? size - 1 : y;
    return 1;
}

/* Does the If-None-Match list h name etag (weak comparison)? */
static int etag_listed(const char *h, const char *etag)
{
    size_t n = strlen(etag);

    while (*h) {
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (*h == '*')
            return 1;
        if (!strncmp(h, "W/", 2))
            h += 2;
        if (!strncmp(h, etag, n) &&
            (!h[n] || h[n] == ',' || h[n] == ' ' || h[n] == '\t'))
            return 1;
        while (*h && *h != ',')
            h++;
    }
    return 0;
}

static int not_found(struct vg_http_resp *resp)
{
    return vg_http_resp_text(resp, 404, "Not Found\n", 10);
}

/* The validators and range of an open file: the answer to req. */
static int answer_file(const struct vg_http_req *req,
                       struct vg_http_resp *resp, int fd,
                       const struct stat *st, const char *ctype)
{
    char etag[64], lastmod[64], crange[96];
    const char *inm = vg_http_header(req, "If-None-Match");
    const char *ims = vg_http_header(req, "If-Modified-Since");
    const char *range = vg_http_header(req, "Range");
    const char *ifr = vg_http_header(req, "If-Range");
    uint64_t size = (uint64_t)st->st_size, a = 0, b = 0;
    int rc, r = 0;

    snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "-%lx\"", size,
             (uint64_t)st->st_ino,
             (long)st->st_mtim.tv_sec * 1000L +
                 st->st_mtim.tv_nsec / 1000000L);
    vg_utc_format(st->st_mtime, "%a, %d %b %Y %H:%M:%S GMT", lastmod,
                  sizeof(lastmod));
    if ((rc = vg_http_resp_header(resp, "ETag", etag)) ||
        (lastmod[0] &&
         (rc = vg_http_resp_header(resp, "Last-Modified", lastmod))) ||
        (rc = vg_http_resp_header(resp, "Cache-Control", "no-cache")) ||
        (rc = vg_http_resp_header(resp, "Accept-Ranges", "bytes")))
        goto fail;
    if (inm ? etag_listed(inm, etag)
            : ims && lastmod[0] && !strcmp(ims, lastmod)) {
        close(fd);
        return vg_http_resp_take(resp, 304, NULL, NULL, 0);
    }
    if (range && (!ifr || !strcmp(ifr, etag) || !strcmp(ifr, lastmod)))
        r = vg__http_range(range, size, &a, &b);
    if (r < 0) {
        close(fd);
        snprintf(crange, sizeof(crange), "bytes */%" PRIu64, size);
        if ((rc = vg_http_resp_header(resp, "Content-Range", crange)))
            return rc;
        return vg_http_resp_text(resp, 416, "Range Not Satisfiable\n", 22);
    }
    if ((rc = vg_http_resp_header(resp, "Content-Type", ctype)))
        goto fail;
    if (r > 0) {
        snprintf(crange, sizeof(crange),
                 "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, a, b, size);
        if ((rc = vg_http_resp_header(resp, "Content-Range", crange)))
            goto fail;
        return vg__http_resp_file(resp, 206, fd, a, b - a + 1);
    }
    if (!size) {
        close(fd);
        return vg_http_resp_take(resp, 200, NULL, NULL, 0);
    }
    return vg__http_resp_file(resp, 200, fd, 0, size);
fail:
    close(fd);
    return rc;
}

static int static_handle(void *ctx, const struct vg_http_req *req,
                         struct vg_http_resp *resp)
{
    const struct vg__http_static *sd = ctx;
    const char *rel = req->path + sd->prefix_len;
    const char *ctype = type_of(rel);
    struct stat st;
    int fd;

    if (!ctype || (fd = open_below(sd->dirfd, rel)) < 0)
        return not_found(resp);
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return not_found(resp);
    }
    return answer_file(req, resp, fd, &st, ctype);
}

void vg__http_static_free(struct vg__http_static *sd)
{
    if (!sd)
        return;
    if (sd->dirfd >= 0)
        close(sd->dirfd);
    vg_free(sd);
}

int vg_http_static(struct vg_http_server *srv, const char *prefix,
                   const char *directory, struct vg_err *err)
{
    struct vg__http_static *sd = NULL;
    char *pattern = NULL;
    size_t n;
    int rc;

    if (!srv || !prefix || !directory || prefix[0] != '/' ||
        !(n = strlen(prefix)) || prefix[n - 1] != '/' || strchr(prefix, '*'))
        return vg_err_set(err, VG_EINVAL,
                          "http: a static prefix starts and ends with '/'");
    if (vg__http_running(srv))
        return vg_err_set(err, VG_EBUSY,
                          "http: routes are fixed once started");
    if (!(sd = vg_calloc(1, sizeof(*sd))) || !(pattern = vg_malloc(n + 2))) {
        rc = vg_err_set(err, VG_ENOMEM, "http: out of memory");
        goto fail;
    }
    sd->prefix_len = n;
    if ((sd->dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
        0) {
        rc = vg_err_set(
            err, errno == ENOENT || errno == ENOTDIR ? VG_ENOENT : VG_EACCES,
            "http: cannot open %s: %s", directory, strerror(errno));
        goto fail;
    }
    memcpy(pattern, prefix, n);
    memcpy(pattern + n, "*", 2);
    if ((rc = vg__http_add_static(srv, sd))) {
        rc = vg_err_set(err, rc, "http: out of memory");
        goto fail;
    }
    /* srv owns sd now; a failed route gives it back */
    if ((rc = vg_http_route(srv, "GET", pattern, static_handle, sd, err))) {
        vg__http_drop_static(srv);
        sd = NULL;
    }
    vg_free(pattern);
    return rc;
fail:
    vg_free(pattern);
    vg__http_static_free(sd);
    return rc;
}
