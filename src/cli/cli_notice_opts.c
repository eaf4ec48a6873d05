/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The options of notice cycles (cli.h), shared by `vigil notices run-once`
 * and `vigil serve`: what the notices say, how they are sent (SMTP), who
 * hosts what (the provider registry, then RDAP), and the schedule.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/runtime.h"

#define PASSWORD_MAX 1024

enum {
    O_HOTLINE = 1000,
    O_DOMAIN,
    O_TEMPLATES,
    O_LEGAL,
    O_CONTACT,
    O_ACTIONABLE,
    O_RENOTIFY,
    O_RECHECK,
    O_ESCALATE,
    O_ATTEMPTS,
    O_RELAY,
    O_FROM,
    O_STARTTLS,
    O_USER,
    O_PASSWORD_FILE,
    O_CAFILE,
    O_RDAP,
    O_PRIVATE,
    O_AT,
    O_INTERVAL
};

static const struct option opts[] = {
    {"hotline", required_argument, NULL, O_HOTLINE},
    {"notice-domain", required_argument, NULL, O_DOMAIN},
    {"notice-templates", required_argument, NULL, O_TEMPLATES},
    {"legal-basis", required_argument, NULL, O_LEGAL},
    {"notice-contact", required_argument, NULL, O_CONTACT},
    {"actionable", required_argument, NULL, O_ACTIONABLE},
    {"renotify", required_argument, NULL, O_RENOTIFY},
    {"recheck", required_argument, NULL, O_RECHECK},
    {"escalate-after", required_argument, NULL, O_ESCALATE},
    {"max-attempts", required_argument, NULL, O_ATTEMPTS},
    {"smtp-relay", required_argument, NULL, O_RELAY},
    {"smtp-from", required_argument, NULL, O_FROM},
    {"smtp-starttls", required_argument, NULL, O_STARTTLS},
    {"smtp-user", required_argument, NULL, O_USER},
    {"smtp-password-file", required_argument, NULL, O_PASSWORD_FILE},
    {"smtp-cafile", required_argument, NULL, O_CAFILE},
    {"rdap-bootstrap", required_argument, NULL, O_RDAP},
    {"notice-allow-private", no_argument, NULL, O_PRIVATE},
    {"at", required_argument, NULL, O_AT},
    {"notice-interval", required_argument, NULL, O_INTERVAL},
};

const char *const vg_cli_notice_flags[] = {"notice-allow-private", NULL};

const char vg_cli_notice_help[] =
    "Notice options (also in a --config file as \"name = value\"):\n"
    "  --hotline NAME          the hotline's name, in every notice\n"
    "  --notice-contact ADDR   how providers answer (an address or URL)\n"
    "  --legal-basis TEXT      the law the notice rests on\n"
    "  --notice-templates DIR  en.txt, fr.txt (default: web/notices)\n"
    "  --notice-domain D       of Message-IDs (default: the --smtp-from domain)\n"
    "  --actionable LIST       categories that get notices (default csam)\n"
    "  --renotify S            seconds between reminders (default 86400)\n"
    "  --recheck LIST          seconds before each re-check, the last repeating\n"
    "                          (default 3600,21600,86400)\n"
    "  --escalate-after N      notices before a case is escalated (default 5)\n"
    "  --max-attempts N        sending attempts of one notice (default 20)\n"
    "  --smtp-relay URL        smtp://host:port or smtps://host:port\n"
    "  --smtp-from ADDR        the sender (required to send)\n"
    "  --smtp-starttls MODE    none, try or required (default required)\n"
    "  --smtp-user U, --smtp-password-file F   relay authentication\n"
    "  --smtp-cafile F         CA certificates for the relay\n"
    "  --rdap-bootstrap PATH   RDAP bootstrap (IANA's ipv4.json, or the\n"
    "                          directory of ipv4.json and ipv6.json; default\n"
    "                          /var/lib/vigil/rdap) for hosts no provider in\n"
    "                          the registry covers\n"
    "  --at TIME               run as if the time were TIME (Unix seconds;\n"
    "                          for replays and tests)\n"
    "  --notice-interval S     (serve) seconds between cycles (default 300)\n"
    "  --notice-allow-private  re-checks and RDAP may reach private\n"
    "                          addresses (tests only)\n";

void vg_cli_notices_init(struct vg_cli_notices *n, const char *cmd)
{
    memset(n, 0, sizeof(*n));
    n->cmd = cmd;
    n->o.templates_dir = vg_cli_notices_dir();
    n->o.fetch.user_agent = "Vigil-notices/" VIGIL_VERSION
                            " (re-check of a removal notice)";
    n->starttls = "required";
}

size_t vg_cli_notices_longopts(struct option *out, size_t room)
{
    size_t n = sizeof(opts) / sizeof(*opts);

    if (n > room)
        n = room;
    memcpy(out, opts, n * sizeof(*opts));
    return n;
}

/* Options that only keep their text: where each goes. */
static const struct {
    int code;
    size_t off;
} text_opts[] = {
    {O_HOTLINE, offsetof(struct vg_cli_notices, o.hotline)},
    {O_DOMAIN, offsetof(struct vg_cli_notices, o.domain)},
    {O_TEMPLATES, offsetof(struct vg_cli_notices, o.templates_dir)},
    {O_LEGAL, offsetof(struct vg_cli_notices, o.legal_basis)},
    {O_CONTACT, offsetof(struct vg_cli_notices, o.contact)},
    {O_ACTIONABLE, offsetof(struct vg_cli_notices, o.actionable)},
    {O_RELAY, offsetof(struct vg_cli_notices, relay)},
    {O_FROM, offsetof(struct vg_cli_notices, from)},
    {O_USER, offsetof(struct vg_cli_notices, user)},
    {O_PASSWORD_FILE, offsetof(struct vg_cli_notices, password_file)},
    {O_CAFILE, offsetof(struct vg_cli_notices, cafile)},
    {O_RDAP, offsetof(struct vg_cli_notices, rdap_bootstrap)},
};

/* --recheck: comma-separated intervals of at least 60 s. */
static int parse_recheck(struct vg_cli_notices *n, const char *v)
{
    const char *p = v;
    size_t k = 0;

    memset(n->o.recheck_s, 0, sizeof(n->o.recheck_s));
    while (*p) {
        char *end;
        long long s = strtoll(p, &end, 10);
        if (end == p || s < 60 || s > 365LL * 86400 ||
            k + 1 >= VG_NOTICE_MAX_RECHECKS || (*end && *end != ',')) {
            vg_cli_errorf("--recheck wants up to %d intervals of 60 s or"
                          " more, comma-separated",
                          VG_NOTICE_MAX_RECHECKS - 1);
            return -1;
        }
        n->o.recheck_s[k++] = s;
        p = *end ? end + 1 : end;
    }
    return 1;
}

/* An option with a number in a range into *to (int or int64_t). */
static int number(struct vg_cli_notices *n, const char *name, const char *v,
                  long long lo, long long hi, int64_t *to64, int *to)
{
    long long x;

    if (vg_cli_parse_range(n->cmd, name, v, lo, hi, &x))
        return -1;
    if (to64)
        *to64 = x;
    else
        *to = (int)x;
    return 1;
}

int vg_cli_notices_option(struct vg_cli_notices *n, int c, const char *v)
{
    for (size_t i = 0; i < sizeof(text_opts) / sizeof(*text_opts); i++)
        if (text_opts[i].code == c) {
            *(const char **)((char *)n + text_opts[i].off) = v;
            return 1;
        }
    switch (c) {
    case O_RENOTIFY:
        return number(n, "--renotify", v, 60, 365LL * 86400, &n->o.renotify_s,
                      NULL);
    case O_RECHECK:
        return parse_recheck(n, v);
    case O_ESCALATE:
        return number(n, "--escalate-after", v, 1, 1000, NULL,
                      &n->o.escalate_after);
    case O_ATTEMPTS:
        return number(n, "--max-attempts", v, 1, 100, NULL,
                      &n->o.max_attempts);
    case O_STARTTLS:
        if (strcmp(v, "none") && strcmp(v, "try") && strcmp(v, "required")) {
            vg_cli_errorf("--smtp-starttls is none, try or required");
            return -1;
        }
        n->starttls = v;
        return 1;
    case O_PRIVATE:
        n->allow_private = 1;
        return 1;
    case O_AT:
        return number(n, "--at", v, 1, 253402300799LL, &n->at, NULL);
    case O_INTERVAL:
        return number(n, "--notice-interval", v, 10, 86400, &n->interval_s,
                      NULL);
    default:
        return 0;
    }
}

static int64_t fixed_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

int vg_cli_notices_ready(struct vg_cli_notices *n, struct vg_store *st)
{
    struct vg_runtime_mail_cfg cfg = {0};
    struct vg_err err = {0};
    char *password = NULL;
    int rc = -1;

    if (n->at) {
        n->o.clock.now = fixed_clock;
        n->o.clock.ctx = &n->at;
    }
    n->o.fetch.allow_private = n->allow_private;
    if (n->password_file &&
        (!(password = vg_malloc(PASSWORD_MAX)) ||
         vg_cli_read_password(n->password_file, password, PASSWORD_MAX)))
        goto out;
    cfg.relay = n->relay;
    cfg.from = n->from;
    cfg.starttls = n->starttls;
    cfg.user = n->user;
    cfg.password = password;
    cfg.cafile = n->cafile;
    cfg.rdap_bootstrap = n->rdap_bootstrap;
    cfg.data_dir = vg_cli_data_dir();
    cfg.allow_private = n->allow_private;
    if (vg_runtime_mail_new(&cfg, st, &n->o, &n->mail, &err))
        vg_cli_errorf("notices: %s", err.msg[0] ? err.msg : "out of memory");
    else
        rc = 0;
out:
    if (password) {
        sodium_memzero(password, PASSWORD_MAX);
        vg_free(password);
    }
    return rc;
}

void vg_cli_notices_fini(struct vg_cli_notices *n)
{
    vg_runtime_mail_free(n->mail);
    n->mail = NULL;
}
