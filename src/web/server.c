/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server of `vigil serve` (vigil/server.h): its parts, loaded from the
 * web directory, and the routes of the API, the public pages and the
 * console.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "vigil/alloc.h"
#include "vigil/auth.h"
#include "web/api_int.h"
#include "web/web_int.h"

#define LOGIN_ATTEMPTS_PER_MINUTE 10

/* dir/name into buf. */
static const char *web_path(char *buf, size_t n, const char *dir,
                            const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
    return buf;
}

/* Both rate limits and the sign-in throttle key IPv6 clients by their
 * first bits. */
static int ipv6_prefix(struct vg_server *s, unsigned bits, struct vg_err *err)
{
    if ((s->limit && vg_ratelimit_ipv6_prefix(s->limit, bits)) ||
        vg_ratelimit_ipv6_prefix(s->logins, bits) ||
        vg_throttle_ipv6_prefix(s->throttle, bits))
        return vg_err_set(err, VG_EINVAL, "the IPv6 prefix is 1 to 128 bits");
    return VG_OK;
}

/* The sign-in throttle, in the store, under a key every node that reads
 * the same sealing key derives alike. */
static int new_throttle(struct vg_server *s)
{
    unsigned char key[VG_THROTTLE_KEY_LEN];
    int rc;

    if (!(rc = vg_seal_derive(s->sealer, "throttle", key, sizeof(key))))
        rc = vg_throttle_new(s->o.store, key, &s->throttle);
    sodium_memzero(key, sizeof(key));
    return rc;
}

/* The quick exit's address: an http or https URL with a host, nothing a
 * page would have to escape (spaces, quotes, angle brackets, controls). */
static int check_quick_exit(struct vg_server *s, struct vg_err *err)
{
    const char *u = s->o.quick_exit_url ? s->o.quick_exit_url
                                        : VG_QUICK_EXIT_DEFAULT;
    const char *host = !strncmp(u, "https://", 8)  ? u + 8
                       : !strncmp(u, "http://", 7) ? u + 7
                                                   : NULL;
    int bad = !host || !*host || *host == '/' || strlen(u) > 2000;

    for (const char *p = u; *p && !bad; p++)
        bad = (unsigned char)*p < 0x21 || (unsigned char)*p == 0x7f ||
              strchr("\"'<>\\`", *p);
    s->o.quick_exit_url = u;
    return bad ? vg_err_set(err, VG_EINVAL,
                            "--quick-exit-url wants an http:// or https://"
                            " URL")
               : VG_OK;
}

/* The API's listener: the server's, or its own at api_listen. */
static int api_listener(struct vg_server *s, const struct vg_http_opts *ho,
                        struct vg_err *err)
{
    struct vg_http_opts ao = *ho;

    if (!s->o.api_listen) {
        s->api_http = s->http;
        return VG_OK;
    }
    ao.listen = s->o.api_listen;
    return vg_http_new(&ao, &s->api_http, err);
}

int vg_server_new(const struct vg_server_opts *o, struct vg_server **out,
                  struct vg_err *err)
{
    struct vg_http_opts ho = {0};
    struct vg_server *s = NULL;
    char path[4096];
    int rc;

    *out = NULL;
    if (!o->store || !o->web_dir || !o->key_file)
        return vg_err_set(err, VG_EINVAL,
                          "a store, web directory and key"
                          " file are required");
    if (vg_auth_init())
        return vg_err_set(err, VG_EINTERNAL, "libsodium did not start");
    if (!(s = vg_calloc(1, sizeof(*s))))
        return VG_ENOMEM;
    s->o = *o;
    if (!s->o.reviewers)
        s->o.reviewers = 2;
    if (!s->o.api_max_upload)
        s->o.api_max_upload = (size_t)32 << 20;
    ho.listen = o->listen;
    ho.threads = o->threads ? o->threads : 4;
    ho.max_per_ip = o->max_per_ip;
    ho.max_body = 256 << 10;
    if ((o->rate_per_minute &&
         (rc = vg_ratelimit_new(o->rate_per_minute, o->rate_per_minute,
                                &s->limit))) ||
        (rc = vg_ratelimit_new(LOGIN_ATTEMPTS_PER_MINUTE,
                               LOGIN_ATTEMPTS_PER_MINUTE, &s->logins)) ||
        (rc = check_quick_exit(s, err)) ||
        (rc = vg_seal_open(o->key_file, 1, &s->sealer, err)) ||
        (rc = new_throttle(s)) ||
        (rc = ipv6_prefix(s, o->ipv6_prefix ? o->ipv6_prefix : 64, err)) ||
        (rc = vg_i18n_load_dir(web_path(path, sizeof(path), o->web_dir,
                                        "i18n"),
                               &s->i18n, err)) ||
        (rc = vg_tpl_lib_new(&s->tpl)) ||
        (rc = vg_tpl_lib_load_dir(
             s->tpl, web_path(path, sizeof(path), o->web_dir, "templates"),
             err)) ||
        (rc = vg_resources_load(web_path(path, sizeof(path), o->web_dir,
                                         "resources.json"),
                                &s->resources, err)) ||
        (rc = vg_intake_new(o->store, 0, &s->intake)) ||
        (rc = vg_http_new(&ho, &s->http, err)) ||
        (rc = api_listener(s, &ho, err)) ||
        (rc = vg_http_static(
             s->http, "/static/",
             web_path(path, sizeof(path), o->web_dir, "static"), err)) ||
        (rc = vg__api_new(o->store, &s->api)) ||
        (rc = vg__api_routes(s, err)) || (rc = vg__shield_routes(s, err)) ||
        (rc = vg__hma_routes(s, err)) || (rc = vg__feedback_routes(s, err)) ||
        (rc = vg__pages_routes(s, err)) || (rc = vg__console_routes(s, err)) ||
        (rc = vg__admin_routes(s, err)) || (rc = vg__media_routes(s, err)) ||
        (rc = vg__notices_routes(s, err)) ||
        (rc = vg__providers_routes(s, err)) ||
        (rc = vg__feedback_console_routes(s, err)) ||
        (rc = vg__health_routes(s, err))) {
        vg_server_free(s);
        return rc;
    }
    *out = s;
    return VG_OK;
}

int vg_server_start(struct vg_server *s, struct vg_err *err)
{
    int rc = vg_http_start(s->http, err);

    if (!rc && s->api_http != s->http &&
        (rc = vg_http_start(s->api_http, err)))
        vg_http_stop(s->http);
    return rc;
}

int vg_server_port(const struct vg_server *s)
{
    return vg_http_port(s->http);
}

int vg_server_api_port(const struct vg_server *s)
{
    return vg_http_port(s->api_http);
}

struct vg_sealer *vg_server_sealer(struct vg_server *s)
{
    return s->sealer;
}

int vg_server_stop(struct vg_server *s)
{
    int rc = s->api_http != s->http ? vg_http_stop(s->api_http) : VG_OK;
    int rc2 = vg_http_stop(s->http);

    return rc ? rc : rc2;
}

void vg_server_free(struct vg_server *s)
{
    if (!s)
        return;
    if (s->api_http != s->http)
        vg_http_free(s->api_http);
    vg_http_free(s->http);     /* no handler runs after this */
    vg_intake_free(s->intake); /* drains what was submitted */
    vg_seal_free(s->sealer);
    vg_resources_free(s->resources);
    vg_tpl_lib_free(s->tpl);
    vg_i18n_free(s->i18n);
    vg_ratelimit_free(s->limit);
    vg_throttle_free(s->throttle);
    vg_ratelimit_free(s->logins);
    vg__api_free(s->api);
    vg_free(s);
}
