/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `vigil notices test-smtp` (dispatched by cli_notices.c): send one test
 * message through the SMTP relay the hotline's notices will use, and say what happened, so an operator
 * can check the relay URL, TLS, the CA file, the credentials and that the
 * recipients are accepted before any real notice depends on them.
 * The password is read from a file (never the command line, where other
 * users of the machine could see it).
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/smtp.h"

#define BODY_MAX (256 * 1024)
#define PASSWORD_MAX 1024

static const char default_body[] =
    "This is a test message from Vigil, sent by an operator of the hotline\n"
    "with `vigil notices test-smtp` to check the configuration of the mail\n"
    "relay that removal notices are sent through.\n"
    "\n"
    "It is not a removal notice: no action is needed.\n";

static void test_smtp_usage(FILE *f)
{
    fprintf(
        f,
        "Usage: vigil notices test-smtp --relay URL --from ADDR --to ADDR...\n"
        "           [--starttls required|try|none] [--cafile FILE]\n"
        "           [--user NAME --password-file FILE] [--from-name TEXT]\n"
        "           [--subject TEXT] [--body-file FILE] [--message-id ID]\n"
        "           [--timeout S] [--connect-timeout S] [--json]\n"
        "\n"
        "Send a test message through the SMTP relay that notices go\n"
        "through, to check its configuration: connection, TLS and its\n"
        "certificate, authentication, and that each recipient is\n"
        "accepted.  Prints the outcome (sent, temporary: try again\n"
        "later, permanent: do not retry, local: fix the configuration),\n"
        "the relay's reply and each recipient's.\n"
        "\n"
        "  --relay URL          smtp://host:port or smtps://host:port; a\n"
        "                       path is the name given in EHLO\n"
        "                       (smtp://relay:587/hotline.example)\n"
        "  --from ADDR          the sender (and envelope sender)\n"
        "  --to ADDR            a recipient (repeat for more, up to %d)\n"
        "  --starttls MODE      smtp:// only: required (default), try, none\n"
        "  --cafile FILE        CA certificates (PEM) to verify the relay\n"
        "  --user NAME          authenticate (only over TLS) as NAME with\n"
        "  --password-file F    the password on the first line of F\n"
        "  --timeout S          for the whole conversation (default 60)\n"
        "  --connect-timeout S  to connect (default 10)\n"
        "  --message-id ID      <left@right> (default: a new one)\n"
        "  --json               one JSON object\n"
        "\n"
        "Exit status: 0 when every recipient took the message, 1 when\n"
        "not, 2 for a usage error.\n",
        VG_SMTP_MAX_RCPT);
}

int vg_cli_read_password(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    size_t len;
    int ok;

    if (!f) {
        vg_cli_errorf("notices: %s: %s", path, strerror(errno));
        return -1;
    }
    ok = fgets(buf, (int)n, f) != NULL;
    fclose(f);
    len = ok ? strlen(buf) : 0;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        buf[--len] = '\0';
    if (!len || len >= n - 1) {
        vg_cli_errorf("notices: %s: no password on its first line (or over "
                      "%d bytes)",
                      path, PASSWORD_MAX - 2);
        return -1;
    }
    return 0;
}

/* The whole file at path, NUL-terminated (vg_free it), or NULL. */
static char *read_body(const char *path)
{
    struct vg_buf b;
    char chunk[4096];
    FILE *f = fopen(path, "rb");
    size_t k;
    int rc = VG_OK;

    if (!f) {
        vg_cli_errorf("notices: %s: %s", path, strerror(errno));
        return NULL;
    }
    vg_buf_init(&b, BODY_MAX);
    rc = vg_buf_append(&b, "", 0);
    while (!rc && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = vg_buf_append(&b, chunk, k);
    if (!rc && (ferror(f) || memchr(b.data, '\0', b.len)))
        rc = VG_EFORMAT;
    fclose(f);
    if (rc) {
        vg_cli_errorf("notices: %s: %s", path,
                      rc == VG_EFORMAT ? "unreadable or not text"
                                       : vg_strerror(rc));
        vg_buf_fini(&b);
        return NULL;
    }
    return b.data;
}

static int parse_seconds(const char *opt, const char *s, long *ms)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !(v > 0) || v > 86400) {
        vg_cli_errorf("notices: %s takes seconds (0 to 86400), not '%s'", opt,
                      s);
        return -1;
    }
    *ms = (long)(v * 1000);
    return *ms > 0 ? 0 : -1;
}

static void print_json(const struct vg_smtp_result *res, const char *msgid,
                       const struct vg_mail *m)
{
    FILE *f = stdout;

    fputc('{', f);
    vg_cli_json_field(f, "outcome", vg_smtp_outcome_name(res->outcome), ",");
    vg_cli_json_field(f, "stage", vg_smtp_stage_name(res->stage), ",");
    fprintf(f, "\"code\":%d,", res->code);
    vg_cli_json_field(f, "reply", res->reply, ",");
    vg_cli_json_field(f, "detail", res->detail, ",");
    vg_cli_json_field(f, "message_id", msgid, ",\"recipients\":[");
    for (size_t i = 0; i < res->nrcpt; i++) {
        const struct vg_smtp_rcpt *r = &res->rcpt[i];

        fputs(i ? ",{" : "{", f);
        vg_cli_json_field(f, "address", m->to[i].addr, ",");
        vg_cli_json_field(f, "state", vg_smtp_rcpt_state_name(r->state), ",");
        fprintf(f, "\"code\":%d,", r->code);
        vg_cli_json_field(f, "reply", r->reply, "}");
    }
    fputs("]}\n", f);
}

static void print_text(const struct vg_smtp_result *res, const char *msgid,
                       const struct vg_mail *m)
{
    static const char *const hint[] = {"", " (try again later)",
                                       " (do not retry)",
                                       " (check the relay configuration)"};
    const char *text = res->code >= 400 || !res->detail[0] ? res->reply
                                                           : res->detail;

    if (res->outcome == VG_SMTP_SENT)
        printf("sent: %s\n", res->reply);
    else
        printf("%s failure at %s%s: %s\n", vg_smtp_outcome_name(res->outcome),
               vg_smtp_stage_name(res->stage), hint[res->outcome], text);
    printf("message-id: %s\n", msgid);
    for (size_t i = 0; i < res->nrcpt; i++)
        printf("recipient %s: %s%s%s\n", m->to[i].addr,
               vg_smtp_rcpt_state_name(res->rcpt[i].state),
               res->rcpt[i].reply[0] ? ": " : "", res->rcpt[i].reply);
}

/* Send the test message; the exit status. */
static int send_test(const struct vg_smtp_config *cfg, struct vg_mail *m,
                     const char *id, const char *body_file, int json)
{
    char msgid[VG_MAIL_MSGID_MAX + 1];
    struct vg_smtp_result res;
    struct vg_err err = {0};
    char *body = NULL;
    int rc, status = VG_EXIT_FAIL;

    m->message_id = id;
    if (!id) {
        if (vg_mail_message_id(strchr(m->from.addr, '@') + 1, msgid,
                               sizeof(msgid))) {
            vg_cli_errorf("notices: cannot make a Message-ID");
            return VG_EXIT_FAIL;
        }
        m->message_id = msgid;
    }
    m->body = default_body;
    if (body_file && !(m->body = body = read_body(body_file)))
        return VG_EXIT_FAIL;
    rc = vg_smtp_send(cfg, m, &res, &err);
    if (rc != VG_OK && rc != VG_EIO) {
        /* refused before connecting: the options are wrong */
        vg_cli_errorf("notices: %s", err.msg[0] ? err.msg : vg_strerror(rc));
        status = rc == VG_ENOMEM ? VG_EXIT_FAIL : VG_EXIT_USAGE;
        goto out;
    }
    if (json)
        print_json(&res, m->message_id, m);
    else
        print_text(&res, m->message_id, m);
    status = res.outcome == VG_SMTP_SENT ? VG_EXIT_OK : VG_EXIT_FAIL;
    for (size_t i = 0; i < res.nrcpt; i++)
        if (res.rcpt[i].state != VG_SMTP_RCPT_ACCEPTED)
            status = VG_EXIT_FAIL;
out:
    vg_free(body);
    return status;
}

static const struct option test_smtp_longopts[] = {
    {"relay", required_argument, NULL, 'r'},
    {"from", required_argument, NULL, 'f'},
    {"from-name", required_argument, NULL, 'n'},
    {"to", required_argument, NULL, 't'},
    {"starttls", required_argument, NULL, 's'},
    {"cafile", required_argument, NULL, 'c'},
    {"user", required_argument, NULL, 'u'},
    {"password-file", required_argument, NULL, 'p'},
    {"subject", required_argument, NULL, 'S'},
    {"body-file", required_argument, NULL, 'b'},
    {"message-id", required_argument, NULL, 'm'},
    {"timeout", required_argument, NULL, 'T'},
    {"connect-timeout", required_argument, NULL, 'C'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

struct test_smtp_args {
    struct vg_smtp_config cfg;
    struct vg_mail m;
    struct vg_mail_addr to[VG_SMTP_MAX_RCPT];
    const char *password_file, *body_file, *id;
    int json;
};

/* --starttls MODE; -1 (said) if it is none of the three. */
static int starttls_mode(const char *v, enum vg_smtp_tls *out)
{
    if (!strcmp(v, "required"))
        *out = VG_SMTP_TLS_REQUIRED;
    else if (!strcmp(v, "try"))
        *out = VG_SMTP_TLS_TRY;
    else if (!strcmp(v, "none"))
        *out = VG_SMTP_TLS_NONE;
    else {
        vg_cli_errorf("notices: --starttls is required, try or none");
        return -1;
    }
    return 0;
}

/* One option: 1 taken, 0 --help (said), -1 a usage error (said). */
static int test_smtp_option(struct test_smtp_args *a, int c, char **argv)
{
    switch (c) {
    case 'r':
        a->cfg.url = optarg;
        return 1;
    case 'f':
        a->m.from.addr = optarg;
        return 1;
    case 'n':
        a->m.from.name = optarg;
        return 1;
    case 't':
        if (a->m.nto == VG_SMTP_MAX_RCPT) {
            vg_cli_errorf("notices: at most %d recipients", VG_SMTP_MAX_RCPT);
            return -1;
        }
        a->to[a->m.nto++] = (struct vg_mail_addr){NULL, optarg};
        return 1;
    case 's':
        return starttls_mode(optarg, &a->cfg.starttls) ? -1 : 1;
    case 'c':
        a->cfg.cafile = optarg;
        return 1;
    case 'u':
        a->cfg.username = optarg;
        return 1;
    case 'p':
        a->password_file = optarg;
        return 1;
    case 'S':
        a->m.subject = optarg;
        return 1;
    case 'b':
        a->body_file = optarg;
        return 1;
    case 'm':
        a->id = optarg;
        return 1;
    case 'T':
        return parse_seconds("--timeout", optarg, &a->cfg.timeout_ms) ? -1 : 1;
    case 'C':
        return parse_seconds("--connect-timeout", optarg,
                             &a->cfg.connect_timeout_ms)
                   ? -1
                   : 1;
    case 'j':
        a->json = 1;
        return 1;
    case 'h':
        test_smtp_usage(stdout);
        return 0;
    default:
        vg_cli_bad_option("notices", argv);
        test_smtp_usage(stderr);
        return -1;
    }
}

/* The rules between the options: 0, or -1 (said). */
static int test_smtp_check(const struct test_smtp_args *a, int argc)
{
    if (optind < argc || !a->cfg.url || !a->m.from.addr || !a->m.nto) {
        vg_cli_errorf("notices: test-smtp needs --relay, --from and --to");
        return -1;
    }
    if (!vg_mail_addr_valid(a->m.from.addr)) {
        vg_cli_errorf("notices: --from: not a valid address");
        return -1;
    }
    if (!!a->cfg.username != !!a->password_file) {
        vg_cli_errorf("notices: --user and --password-file go together");
        return -1;
    }
    return 0;
}

int vg_cli_notices_test_smtp(int argc, char **argv)
{
    struct test_smtp_args a;
    char password[PASSWORD_MAX];
    int c, r = 1, status = VG_EXIT_FAIL;

    memset(&a, 0, sizeof(a));
    memset(password, 0, sizeof(password));
    vg_smtp_config_init(&a.cfg);
    a.m.from.name = "Vigil";
    a.m.subject = "Vigil test notice";
    a.m.to = a.to;
    optind = 1;
    opterr = 0;
    while (r == 1 &&
           (c = getopt_long(argc, argv, "h", test_smtp_longopts, NULL)) != -1)
        r = test_smtp_option(&a, c, argv);
    if (r <= 0)
        return r ? VG_EXIT_USAGE : VG_EXIT_OK;
    if (test_smtp_check(&a, argc))
        return VG_EXIT_USAGE;
    if (a.password_file) {
        if (vg_cli_read_password(a.password_file, password, sizeof(password)))
            goto out;
        a.cfg.password = password;
    }
    status = send_test(&a.cfg, &a.m, a.id, a.body_file, a.json);
out:
    sodium_memzero(password, sizeof(password));
    return status;
}
