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
 * multipart/form-data (RFC 7578) is refused with 415, except on routes
 * registered with vg_http_route_upload that accept it: the body is then
 * parsed in memory by our own strict parser (vg_http_multipart_parse) and
 * the handler gets the parts, borrowed from the body; nothing is written
 * to disk.
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

/* ---- multipart/form-data (RFC 7578 over RFC 2046 5.1.1) ---- */

/* Caps for the multipart parser; a zero field takes its default. */
struct vg_http_multipart_limits {
    size_t max_parts;  /* parts in one body; 0 = 8 */
    size_t max_header; /* bytes of one part's header block, its blank
                        * line included; 0 = 1 KiB */
};

/* One part.  Strings are NUL-terminated and contain no NUL; data is
 * borrowed from the body that was parsed. */
struct vg_http_part {
    const char *name;          /* Content-Disposition's name (UTF-8) */
    const char *filename;      /* its filename (UTF-8), or NULL if none */
    const char *content_type;  /* the part's Content-Type as sent (ASCII),
                                * or NULL: text/plain (RFC 7578 4.4) */
    const unsigned char *data; /* the part's bytes, any bytes */
    size_t len;
};

/* Caller's storage: vg_http_multipart_parse fills it, _fini frees. */
struct vg_http_multipart {
    struct vg_http_part *parts; /* in body order */
    size_t count;
    char *mem_; /* private: the decoded header strings */
};

/*
 * Parse body[0..len) sent with the Content-Type header value content_type
 * ("multipart/form-data; boundary=X", any case, the boundary a token or
 * quoted-string of 1..70 RFC 2046 bchars).  The body: an optional preamble
 * ending in CRLF, then parts each opened by "--X", optional spaces or tabs
 * and CRLF, header lines ending in CRLF (no folding, no bare CR or LF), a
 * blank line, and bytes up to the next CRLF "--X"; "--X--" ends it and
 * anything after is an epilogue, ignored.  Each part needs exactly one
 * "Content-Disposition: form-data" with a name parameter (filename
 * optional; filename* and other parameters ignored) and may have one
 * Content-Type; other headers are ignored.  Returns VG_OK; VG_EFORMAT for a
 * malformed body or header (err says why: no boundary, truncated, ...);
 * VG_ETOOBIG over a cap of lim (NULL: defaults); VG_ENOMEM.  On failure mp
 * is empty and needs no fini, but fini is always safe after parse.  The
 * parts' data point into body: keep it while mp is used.  Thread-safe.
 */
int vg_http_multipart_parse(struct vg_http_multipart *mp,
                            const char *content_type, const void *body,
                            size_t len,
                            const struct vg_http_multipart_limits *lim,
                            struct vg_err *err);
void vg_http_multipart_fini(struct vg_http_multipart *mp);
/* The first part called name, or NULL (borrowed from mp). */
const struct vg_http_part *
vg_http_multipart_get(const struct vg_http_multipart *mp, const char *name);

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
    /* the parts when the route accepts multipart (vg_http_route_upload)
     * and the body is multipart/form-data, else empty */
    struct vg_http_multipart parts;
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

/* What a route that takes uploads accepts (vg_http_route_upload). */
struct vg_http_upload {
    size_t max_body; /* this route's body cap; 0 = opts.max_body */
    int multipart;   /* 1: multipart/form-data is parsed into req->parts
                      * (a malformed body gets 400 with the reason, a cap
                      * 413); 0: refused with 415 as on other routes */
    struct vg_http_multipart_limits parts;
};

/*
 * vg_http_route with the body cap and multipart acceptance of up (NULL:
 * the same as vg_http_route).  The cap applies to every body on this
 * route, multipart or not (413 from Content-Length before reading, a
 * chunked body past it dropped).  A route with a cap of its own takes
 * uploads: its body is never decoded as a form (req->form stays empty),
 * whatever its Content-Type.  Same return codes as vg_http_route.
 */
int vg_http_route_upload(struct vg_http_server *srv, const char *method,
                         const char *path_pattern, vg_http_handler handler,
                         void *ctx, const struct vg_http_upload *up,
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
