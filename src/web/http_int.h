/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals shared by http.c (server, routing, responses) and
 * http_static.c (static files).  The response struct is defined here so
 * that static files can be answered from a file descriptor.
 */
#ifndef VIGIL_WEB_HTTP_INT_H
#define VIGIL_WEB_HTTP_INT_H

#include <stdint.h>

#include "vigil/http.h"

#define VG__HTTP_MAX_HEADERS 32

struct vg_http_resp {
    int status; /* 0 until a body helper ran */
    char *body; /* vg_malloc'd, or NULL */
    size_t len;
    int fd; /* >= 0: the body is flen bytes of this file at off */
    uint64_t off, flen;
    struct {
        char *name, *value;
    } h[VG__HTTP_MAX_HEADERS];
    size_t nh;
};

struct vg__http_static; /* one vg_http_static directory */

void vg__http_resp_init(struct vg_http_resp *r);
void vg__http_resp_fini(struct vg_http_resp *r);
/* A header already set on r (case-insensitive name), or NULL. */
const char *vg__http_resp_get_header(const struct vg_http_resp *r,
                                     const char *name);
/* Answer with len bytes of fd from off (takes ownership of fd). */
int vg__http_resp_file(struct vg_http_resp *resp, int status, int fd,
                       uint64_t off, uint64_t len);
/* Keep sd for vg_http_free (takes ownership on VG_OK). */
int vg__http_add_static(struct vg_http_server *srv,
                        struct vg__http_static *sd);
/* Free the last directory added (its route could not be made). */
void vg__http_drop_static(struct vg_http_server *srv);
int vg__http_running(const struct vg_http_server *srv);
void vg__http_static_free(struct vg__http_static *sd);

/*
 * A Range header against a file of size bytes: 1 with [*a, *b] to send
 * (a <= b < size), -1 unsatisfiable (416), 0 when it is to be ignored
 * (invalid, several ranges: the whole file).  Accepted forms, after
 * "bytes=" (any case) and optional spaces or tabs, with optional spaces or
 * tabs at the end: "first-", "first-last" and "-suffix".
 */
int vg__http_range(const char *h, uint64_t size, uint64_t *a, uint64_t *b);

#endif
