/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to the web module: the server's parts, shared by the partner
 * API (api.c), the public pages (pages.c) and the analyst console
 * (console*.c), and the page helpers of page.c.
 */
#ifndef VIGIL_WEB_INT_H
#define VIGIL_WEB_INT_H

#include <jansson.h>
#include <stdint.h>

#include "vigil/http.h"
#include "vigil/i18n.h"
#include "vigil/intake.h"
#include "vigil/notice.h"
#include "vigil/ratelimit.h"
#include "vigil/report.h"
#include "vigil/resources.h"
#include "vigil/seal.h"
#include "vigil/server.h"
#include "vigil/store.h"
#include "vigil/store_people.h"
#include "vigil/store_reports.h"
#include "vigil/template.h"
#include "vigil/throttle.h"
#include "vigil/utc.h"

struct vg_server {
    struct vg_server_opts o;
    struct vg_http_server *http;
    /* the API's routes: http, or a listener of their own (api_listen) */
    struct vg_http_server *api_http;
    struct vg_intake *intake;
    struct vg_sealer *sealer;
    struct vg_i18n *i18n;
    struct vg_tpl_lib *tpl;
    struct vg_resources *resources;
    struct vg_ratelimit *limit;   /* reports per address; NULL: none */
    struct vg_ratelimit *logins;  /* sign-in attempts per address */
    struct vg_throttle *throttle; /* failed sign-ins (console.c) */
    struct vg__api *api;          /* the API's keys and policy (api_int.h) */
};

/* Milliseconds: of the monotonic clock (for what this process keeps in
 * memory), and of the wall clock (for what the store keeps, which every
 * node must read alike: the sign-in throttle). */
int64_t vg__now_ms(void);
int64_t vg__wall_ms(void);

/* api.c, pages.c, console.c, console_admin.c: their routes. */
int vg__api_routes(struct vg_server *s, struct vg_err *err);
int vg__pages_routes(struct vg_server *s, struct vg_err *err);
int vg__console_routes(struct vg_server *s, struct vg_err *err);
int vg__admin_routes(struct vg_server *s, struct vg_err *err);
int vg__media_routes(struct vg_server *s, struct vg_err *err);
int vg__notices_routes(struct vg_server *s, struct vg_err *err);
int vg__providers_routes(struct vg_server *s, struct vg_err *err);
int vg__feedback_console_routes(struct vg_server *s, struct vg_err *err);
/* health.c: /healthz and /readyz */
int vg__health_routes(struct vg_server *s, struct vg_err *err);

/*
 * The report in a partner's JSON object j (api.c; fuzz/fuzz_report_json.c
 * drives it): *in filled with strings borrowed from j, the URLs in
 * urls[0..VG_REPORT_MAX_URLS] (an array longer than VG_REPORT_MAX_URLS
 * gives one more, for vg_report_check to refuse).  NULL, or the name of
 * the first field the API does not know (then *in is empty).
 */
const char *vg__api_report_input(const json_t *j, struct vg_report_input *in,
                                 const char **urls);

/*
 * The page's language: ?lang= (then remembered in a cookie), else the
 * "lang" cookie, else Accept-Language; one of the loaded catalogues.
 */
const char *vg__page_lang(struct vg_server *s, const struct vg_http_req *req,
                          struct vg_http_resp *resp);

/*
 * Render template name with data (taken, even on failure) as an HTML page
 * with status.  Adds to data: "lang", "switch" (the link to the other
 * language, keeping the query's other parameters) and "path".
 */
int vg__page(struct vg_server *s, const struct vg_http_req *req,
             struct vg_http_resp *resp, int status, const char *name,
             json_t *data, const char *lang);

/* A short page with a title and a message key, for 403, 404 and such. */
int vg__page_error(struct vg_server *s, const struct vg_http_req *req,
                   struct vg_http_resp *resp, int status, const char *key);

/*
 * The console's door, for every /console page but sign-in: VG_OK with
 * *me when the request carries a live session (and, for a POST, its CSRF
 * token and no foreign Origin) of a user with at least role; otherwise
 * the answer is already in resp (303 to sign-in, or 403) and the result is
 * VG_EACCES, which the handler returns as VG_OK.
 */
int vg__console_enter(struct vg_server *s, const struct vg_http_req *req,
                      struct vg_http_resp *resp, enum vg_role role,
                      struct vg_session *me);

/* A console page: vg__page with "me" ({username, admin, csrf}) added. */
int vg__console_page(struct vg_server *s, const struct vg_http_req *req,
                     struct vg_http_resp *resp, int status, const char *name,
                     json_t *data, const struct vg_session *me);

/* Does the request come from our own pages (no Origin, or Origin naming
 * the Host; "null" only with Sec-Fetch-Site: same-origin)?  The console's
 * POSTs and the public report form refuse the others. */
int vg__same_origin(const struct vg_http_req *req);

/*
 * The client's address, for rate limits and the sign-in throttle: the
 * peer's, or, with opts.trust_proxy and a peer on the loopback (the proxy
 * on this machine; with opts.trusted_proxy, a peer at that address only),
 * the X-Real-IP header the proxy set.
 */
const char *vg__client(const struct vg_server *s,
                       const struct vg_http_req *req);

/*
 * Seal r's contact details (if any) into its record and store it through
 * the group-committed intake: VG_OK once it is on disk (*ack says its
 * reference), VG_ENOMEM, or VG_EIO when it could not be stored.
 */
int vg__report_submit(struct vg_server *s, struct vg_report *r,
                      struct vg_report_ack *ack);

/* A positive decimal id at *p, advancing *p past it; 0 if none. */
int64_t vg__path_id(const char **p);

/* The Unix seconds in o[from] as vg_utc_text in o[to] (nothing when 0 or
 * absent); _each does it for every object of an array. */
void vg__json_when(json_t *o, const char *from, const char *to);
void vg__json_when_each(json_t *array, const char *from, const char *to);

/*
 * pager.c: a page's paging for web/templates/pager.html: {id (the
 * table's id, naming the links), first, last (1-based rows shown; 0 and 0
 * when none), total, next, prev (URLs, null for a cursor of 0)}; from is
 * how many rows precede the page's first.  Keyset cursors: in a listing
 * newest first, next is base with before=next and prev with after=prev;
 * in one in ascending order (up), next is after=next, prev before=prev.
 */
json_t *vg__pager(const char *id, const char *base, int up, int64_t from,
                  size_t n, int64_t total, int64_t next, int64_t prev);
/* The same for pages by number (page 1 and up, per rows each, n of them
 * on this one): next and prev are base with param=page+1 and page-1. */
json_t *vg__pager_pages(const char *id, const char *base, const char *param,
                        int64_t page, int64_t per, size_t n, int64_t total);
/* The page number in the query's param: 1 when absent or not one. */
int64_t vg__page_number(const struct vg_http_req *req, const char *param);

/* console_holds.c: report id's legal hold in r ("hold": reason, since;
 * none when not held) and whether me may change it ("can_hold"); and an
 * admin's POST that puts it under a hold (add, with the form's reason) or
 * releases it, then back to the page.  VG_OK, VG_ENOMEM or the store's
 * error. */
int vg__console_hold_view(struct vg_server *s, json_t *r,
                          const struct vg_session *me, int64_t id);
int vg__console_report_hold(struct vg_server *s, const struct vg_http_req *req,
                            struct vg_http_resp *resp,
                            const struct vg_session *me, int64_t id, int add);

/* Constant-time comparison of two NUL-terminated tokens; 1 if equal. */
int vg__token_eq(const char *a, const char *b);

/* n random bytes as 2n hex digits into out (2n + 1 bytes). */
void vg__token_hex(char *out, size_t n);

#endif
