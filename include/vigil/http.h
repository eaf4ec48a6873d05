/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP layer of the web module: a small server over GNU libmicrohttpd
 * (epoll, internal thread pool) with every limit set explicitly, exact and
 * prefix routing with 404 and 405 (RFC 9110 15.5.5, with Allow), bodies
 * read whole up to a cap (413 from the Content-Length alone, before any of
 * it is read; a chunked body that grows past the cap has its connection
 * closed), our own application/x-www-form-urlencoded decoder (WHATWG URL
 * "urlencoded parsing", with caps and strict percent-encoding), security
 * headers on every response this layer builds (the few errors
 * libmicrohttpd answers itself, such as 431 or a malformed request's 400,
 * come without them), and static files with ETag, Last-Modified and
 * single byte ranges (RFC 9110 14, 13.1).
 * multipart/form-data is refused with 415: nothing here accepts uploads.
 * Client addresses are handed to handlers in memory (for rate limiting)
 * and are never logged or stored by this layer.
 * Thread safety: routes are registered before vg_http_start, from one
 * thread; handlers then run concurrently on the pool's threads, so their
 * ctx must be thread-safe.  start, stop and free are called from one
 * (non-handler) thread.
 */
#ifndef VIGIL_HTTP_H
#define VIGIL_HTTP_H

#include <stddef.h>

#include "vigil/error.h"

/* ---- application/x-www-form-urlencoded ---- */

/* Caps for the decoder; a zero field takes its default. */
struct vg_http_form_limits {
    size_t max_fields; /* name=value pairs; 0 = 200 */
    size_t max_name;   /* decoded bytes of a name; 0 = 256 */
    size_t max_value;  /* decoded bytes of a value; 0 = 64 KiB */
};

/* One decoded pair; name and value are NUL-terminated, valid UTF-8 and
 * contain no NUL (so *_len == strlen). */
struct vg_http_field {
    const char *name, *value;
    size_t name_len, value_len;
};

/* Caller's storage: vg_http_form_parse fills it, vg_http_form_fini frees. */
struct vg_http_form {
    struct vg_http_field *fields; /* in input order */
    size_t count;
    char *mem_; /* private: the decoded bytes */
};

/*
 * Decode s[0..len) ("a=1&b=x+y%21"): '&' separates pairs (empty ones are
 * skipped), the first '=' splits name from value (none: empty value), '+'
 * is a space and %XX a byte.  Returns VG_OK, VG_EFORMAT for a '%' not
 * followed by two hex digits, an encoded NUL or invalid UTF-8 after
 * decoding, VG_ETOOBIG when a cap in lim (NULL: defaults) is exceeded, or
 * VG_ENOMEM.  On failure form is empty (count 0) and needs no fini, but
 * fini is always safe after parse.  Thread-safe.
 */
int vg_http_form_parse(struct vg_http_form *form, const char *s, size_t len,
                       const struct vg_http_form_limits *lim,
                       struct vg_err *err);
void vg_http_form_fini(struct vg_http_form *form);
/* The value of the first field called name, or NULL (borrowed from form). */
const char *vg_http_form_get(const struct vg_http_form *form,
                             const char *name);

/* ---- the server ---- */

struct vg_http_opts {
    /* "ADDR:PORT" with an IPv4 literal or a [bracketed] IPv6 literal;
     * NULL = "127.0.0.1:8080"; port 0 picks a free port (vg_http_port). */
    const char *listen;
    unsigned threads;         /* thread pool size; 0 = 2 */
    unsigned max_connections; /* 0 = 512 */
    unsigned max_per_ip;      /* connections per client address; 0 = 32 */
    /* Memory per connection, 0 = 64 KiB.  The request line and headers
     * must fit in it, so it is also the cap on header bytes: more gets a
     * 4xx from libmicrohttpd (431 for headers) and the connection closed. */
    size_t conn_memory;
    unsigned timeout_s;              /* idle connection timeout; 0 = 15 */
    size_t max_body;                 /* request body bytes; 0 = 1 MiB */
    struct vg_http_form_limits form; /* for bodies and query strings */
    unsigned stop_timeout_ms; /* vg_http_stop's grace period; 0 = 10000 */
    /* libmicrohttpd's own messages, one line each (NULL: dropped).  Called
     * from any thread.  This layer logs no client address or path, but
     * cannot vouch for every libmicrohttpd message. */
    void (*log)(void *log_ctx, const char *msg);
    void *log_ctx;
};

/* What a handler sees; everything is borrowed for the handler's call. */
struct vg_http_req {
    const char *method; /* "GET", "POST", ... as sent */
    const char *path;   /* percent-decoded, no query; no NUL inside */
    const char *body;   /* the whole body, NUL-terminated ("" if none) */
    size_t body_len;    /* at most opts.max_body */
    /* the peer's address as text ("127.0.0.1", "::1"); for rate limiting
     * in memory only: never log or store it */
    const char *client;
    struct vg_http_form query; /* the decoded query string */
    /* the decoded body when its Content-Type is
     * application/x-www-form-urlencoded, else empty */
    struct vg_http_form form;
    void *conn_; /* private */
};

struct vg_http_resp; /* opaque: filled through vg_http_resp_* */
struct vg_http_server;

/*
 * A handler answers req by calling one of the vg_http_resp_* body helpers
 * (and any number of _header / _cookie).  It returns VG_OK, or an error
 * code, in which case whatever it set is dropped and the client gets a 500
 * (so does a handler that returns VG_OK without setting a status).
 */
typedef int (*vg_http_handler)(void *ctx, const struct vg_http_req *req,
                               struct vg_http_resp *resp);

/*
 * Check o (NULL: all defaults) and make a server, not yet listening.
 * Returns VG_OK, VG_EINVAL (bad listen address) or VG_ENOMEM.
 */
int vg_http_new(const struct vg_http_opts *o, struct vg_http_server **out,
                struct vg_err *err);
/* Stops the server if running (vg_http_stop), then frees it.  NULL: no-op. */
void vg_http_free(struct vg_http_server *srv);

/*
 * Route method (exact, case-sensitive: "GET", "POST", ...) on path_pattern
 * to handler: an exact path ("/report") or a prefix: a pattern ending in
 * "/" followed by '*' matches that directory and everything under it
 * ("/static/" + '*' matches "/static/" and "/static/a/b.css").  An exact
 * route beats a prefix and a longer prefix beats a shorter one.  HEAD is
 * answered by the GET handler when the path has no HEAD route (the body is
 * not sent).  A path with routes but none for the method gets 405 and
 * Allow; any other path 404.  Only before vg_http_start (else VG_EBUSY).
 * Returns VG_OK, VG_EINVAL, VG_EEXIST (method and pattern already
 * routed), VG_EBUSY or VG_ENOMEM.
 */
int vg_http_route(struct vg_http_server *srv, const char *method,
                  const char *path_pattern, vg_http_handler handler, void *ctx,
                  struct vg_err *err);

/*
 * Let the route of method and path_pattern (as given to vg_http_route)
 * take bodies of up to max_body bytes instead of opts.max_body (larger
 * for uploads, smaller for a route that takes none); 413 beyond, as for
 * the server's cap.  Such a route gets its body raw, whatever its
 * Content-Type (req->form stays empty).  Only before vg_http_start.  VG_OK, VG_ENOENT (no
 * such route), VG_EBUSY.
 */
int vg_http_route_max_body(struct vg_http_server *srv, const char *method,
                           const char *path_pattern, size_t max_body,
                           struct vg_err *err);

/*
 * Serve the regular files under directory at prefix ("/static/": must
 * start and end with '/') for GET and HEAD.  The directory is opened now;
 * each request is walked one component at a time with openat(O_NOFOLLOW),
 * so "..", ".", empty and dot-file components, and every symbolic link,
 * are refused (404), as are files without a known extension (css js json
 * png jpg jpeg gif webp svg ico webm mp4 txt woff2).  Answers carry
 * Content-Type, ETag, Last-Modified, Accept-Ranges and "Cache-Control:
 * no-cache"; If-None-Match / If-Modified-Since give 304; one range
 * ("bytes=a-b", "a-", "-n") gives 206 with Content-Range, an unsatisfiable
 * one 416, several ranges or a stale If-Range the whole file (200).
 * Returns VG_OK, VG_EINVAL, VG_ENOENT (no such directory), VG_EACCES
 * (cannot open it), VG_EEXIST, VG_EBUSY or VG_ENOMEM.
 */
int vg_http_static(struct vg_http_server *srv, const char *prefix,
                   const char *directory, struct vg_err *err);

/* Start listening and serving.  VG_OK, VG_EBUSY (running), VG_EIO. */
int vg_http_start(struct vg_http_server *srv, struct vg_err *err);
/* The port listened on (the one picked for port 0), or 0 if not running. */
int vg_http_port(const struct vg_http_server *srv);
/*
 * Graceful stop: stop accepting connections, let requests already begun
 * finish (answers then carry "Connection: close") for up to
 * opts.stop_timeout_ms, then close everything.  Returns VG_OK, or
 * VG_EBUSY if the grace period ran out with requests still in flight
 * (they were cut off).  Stopping a stopped server is VG_OK.  The server
 * can be started again.  Never call it from a handler.
 */
int vg_http_stop(struct vg_http_server *srv);

/* ---- request accessors (borrowed for the handler's call; NULL: none) ---- */

/* A request header, by case-insensitive name (the first if repeated). */
const char *vg_http_header(const struct vg_http_req *req, const char *name);
/* A cookie sent by the client, by name. */
const char *vg_http_cookie(const struct vg_http_req *req, const char *name);
/* Shorthands for vg_http_form_get on req->query and req->form. */
const char *vg_http_query(const struct vg_http_req *req, const char *name);
const char *vg_http_form_value(const struct vg_http_req *req,
                               const char *name);

/* ---- responses ---- */

/*
 * Set status (200..599) and a copy of body[0..len) with Content-Type
 * text/html, application/json or text/plain, all "; charset=utf-8" (JSON
 * without, RFC 8259 11).  A later call replaces the body.  VG_OK,
 * VG_EINVAL, VG_ENOMEM.
 */
int vg_http_resp_html(struct vg_http_resp *resp, int status, const char *body,
                      size_t len);
int vg_http_resp_json(struct vg_http_resp *resp, int status, const char *body,
                      size_t len);
int vg_http_resp_text(struct vg_http_resp *resp, int status, const char *body,
                      size_t len);
/*
 * The same with any content type, taking ownership of body (vg_malloc'd,
 * may be NULL when len is 0) even on failure: for large rendered pages.
 */
int vg_http_resp_take(struct vg_http_resp *resp, int status,
                      const char *content_type, char *body, size_t len);
/* A redirect (301, 302, 303, 307 or 308) to location, no body. */
int vg_http_resp_redirect(struct vg_http_resp *resp, int status,
                          const char *location);
/*
 * Add a header.  name must be an RFC 9110 token, value printable (no CR,
 * LF or other control but tab): else VG_EINVAL.  Framing and connection
 * headers (Content-Length, Transfer-Encoding, Connection, Date, ...) are
 * refused (VG_EINVAL); libmicrohttpd owns them.  A header of the same name
 * replaces an earlier one, except Set-Cookie; a handler's header also
 * replaces the default security header of that name (for example its own
 * Content-Security-Policy or Cache-Control).  At most 32 headers
 * (VG_ETOOBIG).
 */
int vg_http_resp_header(struct vg_http_resp *resp, const char *name,
                        const char *value);

#define VG_HTTP_COOKIE_HTTPONLY 1u
#define VG_HTTP_COOKIE_SECURE 2u
#define VG_HTTP_COOKIE_STRICT 4u /* SameSite=Strict */
#define VG_HTTP_COOKIE_LAX 8u    /* SameSite=Lax (if not STRICT) */

/*
 * Set-Cookie (RFC 6265 4.1): name a token, value cookie-octets (no space,
 * quote, comma, semicolon, backslash or control), path (NULL: none) of
 * printable characters without ';'; max_age in seconds (negative: a
 * session cookie; 0 deletes it); flags VG_HTTP_COOKIE_*.  VG_OK,
 * VG_EINVAL, VG_ETOOBIG, VG_ENOMEM.
 */
int vg_http_resp_cookie(struct vg_http_resp *resp, const char *name,
                        const char *value, const char *path, long max_age,
                        unsigned flags);

#endif
