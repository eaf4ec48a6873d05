/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil providers`: the registry of hosting providers notices go to
 * (import, export, ls, show, confirm, rm) and `lookup`, which says how a
 * URL's provider is found (domain, network, AS, RDAP or none).  Imports
 * are all or nothing: every bad record is reported with its line, then
 * nothing is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/provider.h"
#include "vigil/rdap.h"
#include "vigil/store_providers.h"
#include "vigil/url.h"

#define MAX_ERRORS_SHOWN 50
#define IMPORT_MAX_BYTES (64u << 20)
#define MAX_BOOTSTRAPS 4

static void usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil providers ACTION [OPTIONS] ...\n"
        "\n"
        "Actions:\n"
        "  import FILE [--dry-run]   add or update (by name) the providers of\n"
        "                            a CSV file ('-': stdin), all or nothing\n"
        "  export [-o FILE]          the confirmed providers as CSV\n"
        "  ls [--suggested]          every provider (or only suggested ones)\n"
        "  show NAME                 one provider with its domains and networks\n"
        "  confirm NAME              vouch for a provider RDAP suggested\n"
        "  rm NAME                   delete a provider (not one with notices)\n"
        "  lookup URL [--ip IP] [--json] [--save] [--no-rdap]\n"
        "         [--rdap-bootstrap FILE|DIR]... [--rdap-timeout MS]\n"
        "                            how URL's provider is found: by domain,\n"
        "                            network, AS, RDAP, or not at all (exit 1)\n"
        "  rdap-bootstrap [--from DIR] [--dir DIR]\n"
        "                            the RDAP bootstrap lookups use (exit 1:\n"
        "                            the shipped fallback); --from installs\n"
        "                            IANA's ipv4.json and ipv6.json of DIR\n"
        "                            into --dir (" VG_RDAP_BOOTSTRAP_DIR ")\n"
        "\n"
        "CSV columns (header first, any order; only name is required):\n"
        "  " VG_PROVIDER_CSV_HEADER "\n"
        "  abuse_emails ';' between; domains and networks ' ' between\n"
        "  (networks: CIDRs and AS numbers such as AS64500); language en|fr;\n"
        "  one_notice_per_url 0|1.\n"
        "\n"
        "lookup: --ip is the address the content was fetched from (else the\n"
        "host is resolved); --save keeps an RDAP contact as a suggested\n"
        "provider; --rdap-bootstrap (IANA's ipv4.json, ipv6.json, or their\n"
        "directory; default: " VG_RDAP_BOOTSTRAP_DIR ", else the shipped\n"
        "fallback in data/) may be given more than once;\n"
        "--rdap-http-loopback (tests) lets RDAP use http, to 127.0.0.1 only.\n"
        "\n"
        "Every action takes --db URL (default: $VIGIL_DB or\n"
        "~/.local/share/vigil/vigil.db).\n");
}

enum {
    OPT_DB = 256,
    OPT_DRY,
    OPT_SUGGESTED,
    OPT_IP,
    OPT_JSON,
    OPT_SAVE,
    OPT_NO_RDAP,
    OPT_BOOTSTRAP,
    OPT_TIMEOUT,
    OPT_LOOPBACK
};

struct args {
    const char *action, *db, *out, *ip;
    const char *bootstrap[MAX_BOOTSTRAPS + 1]; /* NULL-terminated */
    int nbootstrap;
    int dry, suggested, json, save, no_rdap, loopback;
    long timeout_ms;
    char **pos;
    int npos;
};

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"suggested", no_argument, NULL, OPT_SUGGESTED},
        {"ip", required_argument, NULL, OPT_IP},
        {"json", no_argument, NULL, OPT_JSON},
        {"save", no_argument, NULL, OPT_SAVE},
        {"no-rdap", no_argument, NULL, OPT_NO_RDAP},
        {"rdap-bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"rdap-timeout", required_argument, NULL, OPT_TIMEOUT},
        {"rdap-http-loopback", no_argument, NULL, OPT_LOOPBACK},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    char *end;
    int c;

    memset(a, 0, sizeof(*a));
    a->action = argv[1];
    optind = 2;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB:
            a->db = optarg;
            break;
        case OPT_DRY:
            a->dry = 1;
            break;
        case OPT_SUGGESTED:
            a->suggested = 1;
            break;
        case OPT_IP:
            a->ip = optarg;
            break;
        case OPT_JSON:
            a->json = 1;
            break;
        case OPT_SAVE:
            a->save = 1;
            break;
        case OPT_NO_RDAP:
            a->no_rdap = 1;
            break;
        case OPT_LOOPBACK:
            a->loopback = 1;
            break;
        case OPT_BOOTSTRAP:
            if (a->nbootstrap == MAX_BOOTSTRAPS) {
                vg_cli_errorf("providers: at most %d --rdap-bootstrap files",
                              MAX_BOOTSTRAPS);
                return -1;
            }
            a->bootstrap[a->nbootstrap++] = optarg;
            break;
        case OPT_TIMEOUT:
            a->timeout_ms = strtol(optarg, &end, 10);
            if (!*optarg || *end || a->timeout_ms < 1 ||
                a->timeout_ms > 600000) {
                vg_cli_errorf("providers: --rdap-timeout wants 1 to 600000 "
                              "ms, not '%s'",
                              optarg);
                return -1;
            }
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            vg_cli_bad_option("providers", argv);
            return -1;
        }
    }
    a->pos = argv + optind;
    a->npos = argc - optind;
    return 0;
}

/* ---- import ---- */

struct import {
    const char *file;
    struct vg_provider *v;
    unsigned long *lines;
    size_t n, alloc;
    unsigned long shown, bad;
};

static void bad_line(struct import *im, unsigned long line, const char *msg)
{
    if (im->shown++ < MAX_ERRORS_SHOWN)
        vg_cli_errorf("providers import: %s:%lu: %s", im->file, line, msg);
    im->bad++;
}

static int on_error(void *ctx, unsigned long line, const char *msg)
{
    bad_line(ctx, line, msg);
    return VG_OK;
}

static int on_provider(void *ctx, unsigned long line, struct vg_provider *p)
{
    struct import *im = ctx;

    if (im->n == im->alloc) {
        size_t a = im->alloc ? 2 * im->alloc : 64;
        struct vg_provider *v = vg_reallocarray(im->v, a, sizeof(*v));
        unsigned long *l = vg_reallocarray(im->lines, a, sizeof(*l));
        if (v)
            im->v = v;
        if (l)
            im->lines = l;
        if (!v || !l) {
            vg_provider_free(p);
            return VG_ENOMEM;
        }
        im->alloc = a;
    }
    im->v[im->n] = *p;
    im->lines[im->n++] = line;
    memset(p, 0, sizeof(*p));
    vg_provider_free(p); /* the empty shell: its content is in im->v */
    return VG_OK;
}

static void import_fini(struct import *im)
{
    for (size_t i = 0; i < im->n; i++) {
        struct vg_provider *p = vg_malloc(sizeof(*p));
        if (p) {
            *p = im->v[i];
            vg_provider_free(p);
        }
    }
    vg_free(im->v);
    vg_free(im->lines);
}

/* A name, domain or network given twice in the file: a bad line. */
static int twice(void *ctx, size_t later, size_t first, const char *what,
                 const char *key)
{
    struct import *im = ctx;
    char msg[512];

    snprintf(msg, sizeof(msg), "%s %s is also on line %lu", what, key,
             im->lines[first]);
    bad_line(im, im->lines[later], msg);
    return VG_OK;
}

static int read_all(const char *path, char **out, size_t *n,
                    struct vg_err *err)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    struct vg_buf b;
    char chunk[65536];
    size_t got;
    int rc = VG_OK;

    *out = NULL;
    *n = 0;
    if (!f)
        return vg_err_set(err, VG_EIO, "%s: cannot open", path);
    vg_buf_init(&b, IMPORT_MAX_BYTES);
    while (!rc && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = vg_buf_append(&b, chunk, got);
    if (!rc && ferror(f))
        rc = VG_EIO;
    if (f != stdin)
        fclose(f);
    if (rc) {
        vg_buf_fini(&b);
        return vg_err_set(err, rc, "%s: %s", path,
                          rc == VG_ETOOBIG ? "over 64 MiB" : "cannot read");
    }
    *out = b.data;
    *n = b.len;
    return VG_OK;
}

static int import(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct import im;
    struct vg_providers_put_result res;
    char *data = NULL;
    size_t len = 0;
    int rc;

    memset(&im, 0, sizeof(im));
    im.file = a->pos[0];
    if ((rc = read_all(im.file, &data, &len, err)))
        return rc;
    rc = vg_provider_csv_parse(data ? data : "", len, on_provider, on_error,
                               &im);
    vg_free(data);
    if (!rc)
        rc = vg_provider_find_twice(im.v, im.n, twice, &im);
    if (rc)
        goto out;
    if (im.bad) {
        if (im.bad > MAX_ERRORS_SHOWN)
            vg_cli_errorf("providers import: %s: ... and %lu more", im.file,
                          im.bad - MAX_ERRORS_SHOWN);
        rc = vg_err_set(err, VG_EFORMAT,
                        "%s: %lu bad record%s: nothing imported", im.file,
                        im.bad, im.bad == 1 ? "" : "s");
        goto out;
    }
    if (a->dry) {
        printf("%s: %zu providers, all valid (dry run: nothing written)\n",
               im.file, im.n);
        goto out;
    }
    rc = vg_store_providers_put(st, 0, im.v, im.n, &res, err);
    if (rc && res.bad < im.n) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        rc = vg_err_set(err, rc, "%s:%lu: %s: nothing imported", im.file,
                        im.lines[res.bad], msg);
    }
    if (!rc)
        printf("imported %s: %zu providers, %zu added, %zu updated, %zu "
               "unchanged\n",
               im.file, im.n, res.added, res.updated, res.unchanged);
out:
    import_fini(&im);
    return rc;
}

/* ---- export, ls, show ---- */

static int export_cb(void *ctx, const struct vg_provider *p)
{
    struct vg_buf b;
    int rc;

    vg_buf_init(&b, 0);
    if (!(rc = vg_provider_csv_row(&b, p)) &&
        fwrite(b.data, 1, b.len, ctx) != b.len)
        rc = VG_EIO;
    vg_buf_fini(&b);
    return rc;
}

static int count_cb(void *ctx, const struct vg_provider *p)
{
    (void)p;
    ++*(size_t *)ctx;
    return VG_OK;
}

static int export(struct vg_store *st, struct args *a, struct vg_err *err)
{
    FILE *f = a->out ? fopen(a->out, "wb") : stdout;
    struct vg_buf b;
    size_t suggested = 0;
    int rc;

    if (!f)
        return vg_err_set(err, VG_EIO, "%s: cannot create", a->out);
    vg_buf_init(&b, 0);
    rc = vg_provider_csv_header(&b);
    if (!rc && fwrite(b.data, 1, b.len, f) != b.len)
        rc = VG_EIO;
    vg_buf_fini(&b);
    if (!rc)
        rc = vg_store_providers(st, VG_PROVIDERS_CONFIRMED, export_cb, f, err);
    if (!rc)
        rc = vg_store_providers(st, VG_PROVIDERS_SUGGESTED, count_cb,
                                &suggested, err);
    if (f == stdout) {
        if (fflush(stdout) && !rc)
            rc = vg_err_set(err, VG_EIO, "cannot write the export");
    } else if (fclose(f) && !rc) {
        rc = vg_err_set(err, VG_EIO, "%s: cannot write", a->out);
    }
    if (!rc && suggested)
        fprintf(stderr,
                "vigil: providers export: %zu suggested provider%s left out "
                "(vigil providers confirm NAME)\n",
                suggested, suggested == 1 ? "" : "s");
    return rc;
}

static int ls_cb(void *ctx, const struct vg_provider *p)
{
    (void)ctx;
    printf("%-32s %-9s %-2s %-32s %4zu %4zu\n", p->name,
           p->confirmed ? "confirmed" : "suggested", p->language,
           p->nemails ? p->emails[0] : "-", p->ndomains, p->nnetworks);
    return VG_OK;
}

static void print_list(const char *label, char *const *v, size_t n,
                       const char *sep)
{
    printf("%-10s", label);
    for (size_t i = 0; i < n; i++)
        printf("%s%s", i ? sep : "", v[i]);
    printf("%s\n", n ? "" : "-");
}

static int show(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct vg_provider *p = NULL;
    char created[32], updated[32];
    int rc = vg_store_provider_by_name(st, a->pos[0], &p, err);

    if (rc)
        return rc;
    vg_cli_utc(p->created_at, created, sizeof(created));
    vg_cli_utc(p->updated_at, updated, sizeof(updated));
    printf("provider  %s (id %lld)\n", p->name, (long long)p->id);
    printf("status    %s (%s)\n", p->confirmed ? "confirmed" : "suggested",
           p->source == VG_PROVIDER_RDAP ? "from RDAP" : "entered");
    print_list("abuse", p->emails, p->nemails, ", ");
    printf("language  %s\nbatching  %s\n", p->language,
           p->one_notice_per_url ? "one notice per URL"
                                 : "one notice per cycle");
    print_list("domains", p->domains, p->ndomains, " ");
    print_list("networks", p->networks, p->nnetworks, " ");
    printf("created   %s\nupdated   %s\n", created, updated);
    if (p->notes && *p->notes)
        printf("notes     %s\n", p->notes);
    vg_provider_free(p);
    return VG_OK;
}

static int by_name(struct vg_store *st, const char *name, int64_t *id,
                   struct vg_err *err)
{
    struct vg_provider *p = NULL;
    int rc = vg_store_provider_by_name(st, name, &p, err);

    if (!rc)
        *id = p->id;
    vg_provider_free(p);
    return rc;
}

/* ---- lookup ---- */

static void print_json(const char *url, const struct vg_provider_match *m,
                       const struct vg_rdap_bootstrap *b)
{
    const struct vg_rdap_result *r = m->rdap;

    putchar('{');
    vg_cli_json_field(stdout, "url", url, ",");
    vg_cli_json_field(stdout, "host", m->host, ",");
    vg_cli_json_field(stdout, "ip", m->ip[0] ? m->ip : NULL, ",");
    vg_cli_json_field(stdout, "method", vg_provider_method_name(m->method),
                      ",");
    vg_cli_json_field(stdout, "matched", m->matched[0] ? m->matched : NULL,
                      ",");
    vg_cli_json_field(stdout, "provider",
                      m->provider ? m->provider->name : NULL, ",");
    printf("\"confirmed\":%s,",
           m->provider ? (m->provider->confirmed ? "true" : "false") : "null");
    vg_cli_json_list(stdout, "abuse_emails", m->emails, m->nemails, ",");
    if (r) {
        printf("\"rdap\":{");
        vg_cli_json_field(stdout, "status", vg_rdap_status_name(r->status),
                          ",");
        vg_cli_json_field(stdout, "handle", r->handle, ",");
        vg_cli_json_field(stdout, "name", r->name, ",");
        vg_cli_json_field(stdout, "org", r->org, ",");
        vg_cli_json_field(stdout, "server", r->server, ",");
        vg_cli_json_list(stdout, "cidrs", r->cidrs, r->ncidrs, ",");
        printf("\"cached\":%s,", r->cached ? "true" : "false");
        vg_cli_json_field(stdout, "bootstrap", vg_rdap_bootstrap_source(b),
                          ",");
        vg_cli_json_field(stdout, "error", r->error, "");
        printf("},");
    }
    vg_cli_json_field(stdout, "reason", m->reason[0] ? m->reason : NULL, "");
    printf("}\n");
}

static void print_text(const char *url, const struct vg_provider_match *m,
                       const struct vg_rdap_bootstrap *b)
{
    const struct vg_rdap_result *r = m->rdap;

    printf("url       %s\nhost      %s\naddress   %s\n", url, m->host,
           m->ip[0] ? m->ip : "-");
    printf("found     %s%s%s\n", vg_provider_method_name(m->method),
           m->method != VG_FOUND_NONE && m->matched[0] ? " " : "",
           m->method != VG_FOUND_NONE ? m->matched : "");
    if (m->provider)
        printf("provider  %s (%s)\n", m->provider->name,
               m->provider->confirmed ? "confirmed" : "suggested");
    if (r) {
        printf("rdap      %s", vg_rdap_status_name(r->status));
        if (r->handle || m->matched[0])
            printf(", network %s%s%s%s", r->handle ? r->handle : "",
                   r->handle && m->matched[0] ? " (" : "", m->matched,
                   r->handle && m->matched[0] ? ")" : "");
        printf("%s%s%s\n", r->org ? ", " : "", r->org ? r->org : "",
               r->cached ? " (cached)" : "");
        if (r->server)
            printf("server    %s\n", r->server);
        printf("bootstrap %s%s\n",
               vg_rdap_bootstrap_is_fallback(b) ? "the shipped fallback " : "",
               vg_rdap_bootstrap_source(b));
    }
    print_list("abuse", m->emails, m->nemails, ", ");
    if (m->reason[0])
        printf("reason    %s\n", m->reason);
}

static int lookup(struct vg_store *st, struct args *a, struct vg_err *err)
{
    struct vg_provider_lookup_opts o;
    struct vg_rdap_bootstrap *b = NULL;
    struct vg_provider_match *m = NULL;
    struct vg_rdap_opts ro;
    char url[VG_URL_MAX + 16];
    int rc;

    memset(&o, 0, sizeof(o));
    memset(&ro, 0, sizeof(ro));
    /* a bare host is taken as its http:// URL */
    if ((size_t)snprintf(url, sizeof(url), "%s%s",
                         strstr(a->pos[0], "://") ? "" : "http://",
                         a->pos[0]) >= sizeof(url))
        return vg_err_set(err, VG_ETOOBIG, "the URL is over %d bytes",
                          VG_URL_MAX);
    if (!a->no_rdap) {
        if ((rc = vg_cli_rdap_open(a->nbootstrap ? a->bootstrap : NULL, &b,
                                   err)))
            return rc;
        ro.bootstrap = b;
        ro.timeout_ms = a->timeout_ms;
        ro.allow_http_loopback = a->loopback;
        o.rdap = &ro;
    }
    o.save_suggestion = a->save;
    if ((rc = vg_provider_lookup(st, url, a->ip, &o, &m, err)))
        goto out;
    if (a->json)
        print_json(url, m, b);
    else
        print_text(url, m, b);
    rc = m->nemails ? VG_OK : 1; /* found no one to write to */
out:
    vg_provider_match_free(m);
    vg_rdap_bootstrap_free(b);
    return rc;
}

/* ---- the command ---- */

int vg_cli_providers(int argc, char **argv)
{
    static const struct vg_cli_action actions[] = {
        {"import", 1, "FILE"},    {"export", 0, "no argument"},
        {"ls", 0, "no argument"}, {"show", 1, "NAME"},
        {"confirm", 1, "NAME"},   {"rm", 1, "NAME"},
        {"lookup", 1, "URL"},     {"rdap-bootstrap", 0, "no argument"}};
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct args a;
    int64_t id = 0;
    int rc, k;

    if ((k = vg_cli_action("providers", argc, argv, actions,
                           sizeof(actions) / sizeof(actions[0]), usage, &rc)) <
        0)
        return rc;
    if (k == 7) /* rdap-bootstrap: its own options, no store */
        return vg_cli_providers_rdap(argc, argv);
    if ((rc = parse(argc, argv, &a)))
        return rc > 0 ? VG_EXIT_OK : VG_EXIT_USAGE;
    if (a.npos != actions[k].nargs) {
        vg_cli_errorf("providers %s: expected %s", a.action, actions[k].args);
        return VG_EXIT_USAGE;
    }
    if (vg_cli_open_store("providers", a.db, &st))
        return VG_EXIT_FAIL;
    switch (k) {
    case 0:
        rc = import(st, &a, &err);
        break;
    case 1:
        rc = export(st, &a, &err);
        break;
    case 2:
        printf("%-32s %-9s %-2s %-32s %4s %4s\n", "NAME", "STATUS", "LANG",
               "ABUSE", "DOMS", "NETS");
        rc = vg_store_providers(st, a.suggested ? VG_PROVIDERS_SUGGESTED : 0,
                                ls_cb, NULL, &err);
        break;
    case 3:
        rc = show(st, &a, &err);
        break;
    case 4:
        if (!(rc = by_name(st, a.pos[0], &id, &err)) &&
            !(rc = vg_store_provider_confirm(st, 0, id, &err)))
            printf("provider %s confirmed\n", a.pos[0]);
        break;
    case 5:
        if (!(rc = by_name(st, a.pos[0], &id, &err)) &&
            !(rc = vg_store_provider_delete(st, 0, id, &err)))
            printf("deleted provider %s\n", a.pos[0]);
        break;
    default:
        rc = lookup(st, &a, &err);
        break;
    }
    vg_store_close(st);
    if (rc == 1) /* lookup: no abuse contact (already printed) */
        return VG_EXIT_FAIL;
    if (rc) {
        vg_cli_errorf("providers %s: %s", a.action,
                      err.msg[0] ? err.msg : vg_strerror(rc));
        return VG_EXIT_FAIL;
    }
    return VG_EXIT_OK;
}
