/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One SMTP submission through libcurl (include/vigil/smtp.h), its outcome
 * and the retry schedule.  RFC 5321 for the conversation and the meaning
 * of reply codes, RFC 3207 for STARTTLS, RFC 4954 for AUTH.
 *
 * libcurl runs the conversation; what it does not tell (which reply each
 * recipient got, which step failed and the server's words) is read from
 * its debug callback, which sees every command sent (CURLINFO_HEADER_OUT)
 * and every reply line received (CURLINFO_HEADER_IN), in order and after
 * TLS.  libcurl sends one command at a time (no PIPELINING), so a reply
 * answers the last command.  Only the verb of a command is looked at: AUTH
 * lines carry credentials and are never copied.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "notice/smtp_int.h"
#include "vigil/alloc.h"
#include "vigil/smtp.h"

/* Renamed in 8.2.0 (the old name had three Ls); both are option 290. */
#if LIBCURL_VERSION_NUM >= 0x080200
#define VG_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLOWFAILS
#else
#define VG_CURLOPT_RCPT_ALLOWFAILS CURLOPT_MAIL_RCPT_ALLLOWFAILS
#endif

#define CONNECT_TIMEOUT_MS 10000L
#define TIMEOUT_MS 60000L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void vg_smtp_config_init(struct vg_smtp_config *c)
{
    memset(c, 0, sizeof(*c));
    c->starttls = VG_SMTP_TLS_REQUIRED;
    c->connect_timeout_ms = CONNECT_TIMEOUT_MS;
    c->timeout_ms = TIMEOUT_MS;
    c->max_message = VG_SMTP_MAX_MESSAGE_DEFAULT;
}

const char *vg_smtp_outcome_name(enum vg_smtp_outcome o)
{
    switch (o) {
    case VG_SMTP_SENT:
        return "sent";
    case VG_SMTP_TEMPFAIL:
        return "temporary";
    case VG_SMTP_PERMFAIL:
        return "permanent";
    case VG_SMTP_LOCALFAIL:
        return "local";
    }
    return "unknown";
}

const char *vg_smtp_stage_name(enum vg_smtp_stage s)
{
    static const char *const names[] = {"connect",  "greeting", "ehlo",
                                        "starttls", "auth",     "mail",
                                        "rcpt",     "data",     "message",
                                        "quit"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s]
                                                          : "unknown";
}

const char *vg_smtp_rcpt_state_name(enum vg_smtp_rcpt_state s)
{
    switch (s) {
    case VG_SMTP_RCPT_UNTRIED:
        return "untried";
    case VG_SMTP_RCPT_ACCEPTED:
        return "accepted";
    case VG_SMTP_RCPT_TEMPFAIL:
        return "temporary";
    case VG_SMTP_RCPT_PERMFAIL:
        return "permanent";
    }
    return "unknown";
}

enum vg_smtp_outcome vg__smtp_classify(int curl_code, enum vg_smtp_stage stage,
                                       int code)
{
    if (curl_code == CURLE_OK)
        return VG_SMTP_SENT;
    if (code >= 400 && code < 500)
        return VG_SMTP_TEMPFAIL;
    if (code >= 500 && code < 600) {
        switch (stage) {
        case VG_SMTP_STAGE_RCPT:
        case VG_SMTP_STAGE_DATA:
        case VG_SMTP_STAGE_MESSAGE:
            return VG_SMTP_PERMFAIL;
        case VG_SMTP_STAGE_MAIL:
            return code == 552 ? VG_SMTP_PERMFAIL : VG_SMTP_LOCALFAIL;
        default:
            return VG_SMTP_LOCALFAIL;
        }
    }
    switch (curl_code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_USE_SSL_FAILED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
        return VG_SMTP_LOCALFAIL;
    default:
        return VG_SMTP_TEMPFAIL;
    }
}

/* ---- following the conversation ---- */

static int verb(const char *d, size_t n, const char *v)
{
    size_t k = strlen(v);

    return n >= k && !strncasecmp(d, v, k);
}

static void on_command(struct vg__smtp_conv *c, const char *d, size_t n)
{
    /* SASL continuations are base64 lines; the next real verb is MAIL */
    if (c->stage == VG_SMTP_STAGE_AUTH && !verb(d, n, "MAIL FROM:") &&
        !verb(d, n, "QUIT"))
        return;
    if (verb(d, n, "EHLO ") || verb(d, n, "HELO "))
        c->stage = VG_SMTP_STAGE_EHLO;
    else if (verb(d, n, "STARTTLS"))
        c->stage = VG_SMTP_STAGE_STARTTLS;
    else if (verb(d, n, "AUTH "))
        c->stage = VG_SMTP_STAGE_AUTH;
    else if (verb(d, n, "MAIL FROM:"))
        c->stage = VG_SMTP_STAGE_MAIL;
    else if (verb(d, n, "RCPT TO:")) {
        c->stage = VG_SMTP_STAGE_RCPT;
        c->rcpt_sent++;
    } else if (verb(d, n, "DATA"))
        c->stage = VG_SMTP_STAGE_DATA;
    else if (verb(d, n, "QUIT"))
        c->quitting = 1;
}

static enum vg_smtp_rcpt_state rcpt_state(int code)
{
    if (code >= 200 && code < 300)
        return VG_SMTP_RCPT_ACCEPTED;
    return code >= 400 && code < 500 ? VG_SMTP_RCPT_TEMPFAIL
                                     : VG_SMTP_RCPT_PERMFAIL;
}

/* A complete reply: the one the result reports, a recipient's, ... */
static void on_reply(struct vg__smtp_conv *c, int code)
{
    struct vg_smtp_result *res = c->res;

    if (c->quitting)
        return;
    if (c->stage == VG_SMTP_STAGE_CONNECT)
        c->stage = VG_SMTP_STAGE_GREETING;
    res->code = code;
    memcpy(res->reply, c->reply, c->replylen + 1);
    if (c->stage == VG_SMTP_STAGE_RCPT && c->rcpt_sent &&
        c->rcpt_sent <= res->nrcpt) {
        struct vg_smtp_rcpt *r = &res->rcpt[c->rcpt_sent - 1];

        r->state = rcpt_state(code);
        r->code = code;
        memcpy(r->reply, c->reply, c->replylen + 1);
    }
    if (c->stage == VG_SMTP_STAGE_DATA && code == 354)
        c->stage = VG_SMTP_STAGE_MESSAGE;
}

/* One reply line (without its line break): "NNN-text" or "NNN text". */
static void on_reply_line(struct vg__smtp_conv *c)
{
    const char *l = c->line;
    int code, last;

    if (c->linelen < 3 || l[0] < '1' || l[0] > '5' || l[1] < '0' ||
        l[1] > '9' || l[2] < '0' || l[2] > '9')
        return; /* not a reply line: ignored */
    code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    last = c->linelen == 3 || l[3] != '-';
    /* cut at VG_SMTP_REPLY_MAX - 1 bytes, as smtp.h says */
    for (size_t i = 0; i < c->linelen; i++) {
        if (i == 0 && c->replylen && c->replylen + 1 < sizeof(c->reply))
            c->reply[c->replylen++] = ' ';
        if (c->replylen + 1 >= sizeof(c->reply))
            break;
        c->reply[c->replylen++] = l[i];
    }
    c->reply[c->replylen] = '\0';
    if (last) {
        on_reply(c, code);
        c->replylen = 0;
        c->reply[0] = '\0';
    }
}

static void on_reply_bytes(struct vg__smtp_conv *c, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)d[i];

        if (ch == '\n') {
            c->line[c->linelen] = '\0';
            on_reply_line(c);
            c->linelen = 0;
        } else if (ch != '\r' && c->linelen + 1 < sizeof(c->line)) {
            /* the server's words: printable ASCII only */
            c->line[c->linelen++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
    }
}

void vg__smtp_conv_feed(struct vg__smtp_conv *c, int out, const char *d,
                        size_t n)
{
    if (out)
        on_command(c, d, n);
    else
        on_reply_bytes(c, d, n);
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t size,
                    void *ud)
{
    (void)h;
    if (type == CURLINFO_HEADER_OUT || type == CURLINFO_HEADER_IN)
        vg__smtp_conv_feed(ud, type == CURLINFO_HEADER_OUT, data, size);
    return 0;
}

/* ---- the upload ---- */

struct upload {
    const char *data;
    size_t len, off;
};

static size_t on_read(char *buf, size_t size, size_t nitems, void *ud)
{
    struct upload *u = ud;
    size_t n = size * nitems;

    if (n > u->len - u->off)
        n = u->len - u->off;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

/* ---- sending ---- */

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

static int check_config(const struct vg_smtp_config *cfg, int *tls,
                        struct vg_err *err)
{
    if (!cfg->url || has_control(cfg->url) || strchr(cfg->url, ' '))
        return vg_err_set(err, VG_EINVAL, "relay URL missing or malformed");
    if (!strncasecmp(cfg->url, "smtps://", 8))
        *tls = 1;
    else if (!strncasecmp(cfg->url, "smtp://", 7))
        *tls = cfg->starttls == VG_SMTP_TLS_REQUIRED;
    else
        return vg_err_set(err, VG_EINVAL,
                          "relay URL: smtp:// or smtps:// only");
    if ((unsigned)cfg->starttls > VG_SMTP_TLS_NONE)
        return vg_err_set(err, VG_EINVAL, "unknown STARTTLS mode");
    if (cfg->password && !cfg->username)
        return vg_err_set(err, VG_EINVAL, "a password without a user name");
    if (cfg->username && (!*cfg->username || has_control(cfg->username) ||
                          (cfg->password && has_control(cfg->password))))
        return vg_err_set(err, VG_EINVAL, "malformed user name or password");
    if (cfg->username && !*tls)
        return vg_err_set(err, VG_EINVAL,
                          "credentials are only sent over TLS: use smtps:// "
                          "or STARTTLS required");
    if (cfg->envelope_from && !vg_mail_addr_valid(cfg->envelope_from))
        return vg_err_set(err, VG_EINVAL,
                          "envelope sender: not a valid "
                          "address");
    if (cfg->connect_timeout_ms < 0 || cfg->timeout_ms < 0)
        return vg_err_set(err, VG_EINVAL, "negative timeout");
    return VG_OK;
}

static int setup(CURL *h, const struct vg_smtp_config *cfg, const char *from,
                 struct curl_slist *rcpt, struct upload *up,
                 struct vg__smtp_conv *c, char *errbuf)
{
    static const long usessl[] = {CURLUSESSL_ALL, CURLUSESSL_TRY,
                                  CURLUSESSL_NONE};
    long cto = cfg->connect_timeout_ms ? cfg->connect_timeout_ms
                                       : CONNECT_TIMEOUT_MS;
    long to = cfg->timeout_ms ? cfg->timeout_ms : TIMEOUT_MS;

    if (curl_easy_setopt(h, CURLOPT_URL, cfg->url) ||
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") ||
        /* straight to the relay: never the environment's ALL_PROXY */
        curl_easy_setopt(h, CURLOPT_PROXY, "") ||
        curl_easy_setopt(h, CURLOPT_USE_SSL, usessl[cfg->starttls]) ||
        curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) ||
        curl_easy_setopt(h, CURLOPT_MAIL_FROM, from) ||
        curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) ||
        curl_easy_setopt(h, VG_CURLOPT_RCPT_ALLOWFAILS, 1L) ||
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) ||
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read) ||
        curl_easy_setopt(h, CURLOPT_READDATA, up) ||
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->len) ||
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cto) ||
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, to) ||
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) ||
        curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug) ||
        curl_easy_setopt(h, CURLOPT_DEBUGDATA, c) ||
        curl_easy_setopt(h, CURLOPT_VERBOSE, 1L))
        return VG_EINTERNAL;
    if (cfg->cafile && curl_easy_setopt(h, CURLOPT_CAINFO, cfg->cafile))
        return VG_EINTERNAL;
    if (cfg->insecure && (curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) ||
                          curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L)))
        return VG_EINTERNAL;
    if (cfg->username &&
        (curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username) ||
         curl_easy_setopt(h, CURLOPT_PASSWORD,
                          cfg->password ? cfg->password : "")))
        return VG_EINTERNAL;
    return VG_OK;
}

/* The outcome, and each recipient's state as the caller acts on it. */
static void conclude(struct vg_smtp_result *res, CURLcode cc,
                     const char *errbuf)
{
    int any_temp = 0;

    res->curl_code = (int)cc;
    if (cc != CURLE_OK)
        snprintf(res->detail, sizeof(res->detail), "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
    res->outcome = vg__smtp_classify((int)cc, res->stage, res->code);
    for (size_t i = 0; i < res->nrcpt; i++)
        any_temp |= res->rcpt[i].state == VG_SMTP_RCPT_TEMPFAIL;
    /* every recipient refused: temporary if any may accept it later */
    if (res->outcome == VG_SMTP_PERMFAIL && res->stage == VG_SMTP_STAGE_RCPT &&
        any_temp)
        res->outcome = VG_SMTP_TEMPFAIL;
    if (res->outcome == VG_SMTP_SENT)
        return;
    /* accepted at RCPT, but the message did not go: it failed for them */
    for (size_t i = 0; i < res->nrcpt; i++) {
        struct vg_smtp_rcpt *r = &res->rcpt[i];

        if (r->state != VG_SMTP_RCPT_ACCEPTED)
            continue;
        r->state = res->outcome == VG_SMTP_PERMFAIL ? VG_SMTP_RCPT_PERMFAIL
                                                    : VG_SMTP_RCPT_TEMPFAIL;
        /* the reply that failed it, or libcurl's reason (a timeout) */
        if (res->code >= 400) {
            r->code = res->code;
            memcpy(r->reply, res->reply, sizeof(r->reply));
        } else {
            r->code = 0;
            snprintf(r->reply, sizeof(r->reply), "%s", res->detail);
        }
    }
}

int vg_smtp_send(const struct vg_smtp_config *cfg, const struct vg_mail *m,
                 struct vg_smtp_result *res, struct vg_err *err)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *rcpt = NULL, *next;
    struct upload up = {0};
    struct vg__smtp_conv *c = NULL;
    char *msg = NULL;
    CURL *h = NULL;
    CURLcode cc;
    int rc, tls = 0;

    memset(res, 0, sizeof(*res));
    res->outcome = VG_SMTP_LOCALFAIL;
    if (!cfg || !m)
        return vg_err_set(err, VG_EINVAL, "no configuration or message");
    if ((rc = check_config(cfg, &tls, err)))
        return rc;
    res->outcome = VG_SMTP_PERMFAIL;
    if ((rc = vg_mail_build(
             m, cfg->clock ? cfg->clock(cfg->clock_ctx) : (int64_t)time(NULL),
             cfg->max_message, &msg, &up.len, err))) {
        if (rc == VG_ENOMEM)
            res->outcome = VG_SMTP_TEMPFAIL;
        return rc;
    }
    res->nrcpt = m->nto;
    up.data = msg;
    res->outcome = VG_SMTP_TEMPFAIL;
    rc = VG_ENOMEM;
    if (!(c = vg_calloc(1, sizeof(*c))))
        goto out;
    c->res = res;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc) {
        rc = vg_err_set(err, VG_EINTERNAL, "libcurl did not initialise");
        goto out;
    }
    if (!(h = curl_easy_init()))
        goto out;
    for (size_t i = 0; i < m->nto; i++) {
        if (!(next = curl_slist_append(rcpt, m->to[i].addr)))
            goto out;
        rcpt = next;
    }
    errbuf[0] = '\0';
    if ((rc = setup(h, cfg,
                    cfg->envelope_from ? cfg->envelope_from : m->from.addr,
                    rcpt, &up, c, errbuf))) {
        vg_err_set(err, rc, "libcurl refused an SMTP option");
        goto out;
    }
    cc = curl_easy_perform(h);
    res->stage = c->stage;
    if (!res->code) {
        /* the transcript saw no reply: take libcurl's word for the last */
        long code = 0;

        if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
            code >= 100 && code < 600)
            res->code = (int)code;
    }
    conclude(res, cc, errbuf);
    if (res->outcome == VG_SMTP_SENT) {
        rc = VG_OK;
    } else {
        rc = vg_err_set(err, VG_EIO, "%s failure (%s): %s",
                        vg_smtp_outcome_name(res->outcome),
                        vg_smtp_stage_name(res->stage),
                        res->code >= 400 ? res->reply : res->detail);
    }
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(rcpt);
    vg_free(c);
    vg_free(msg);
    return rc;
}

/* ---- retries ---- */

static const uint32_t default_delays[] = {60, 300, 1800, 7200, 21600};
#define DEFAULT_MAX_ATTEMPTS 20

void vg_smtp_backoff_init(struct vg_smtp_backoff *b)
{
    memset(b, 0, sizeof(*b));
    b->max_attempts = DEFAULT_MAX_ATTEMPTS;
}

static uint32_t sodium_random(void *ctx)
{
    (void)ctx;
    return randombytes_random();
}

int64_t vg_smtp_backoff_delay(const struct vg_smtp_backoff *b,
                              unsigned attempts)
{
    const uint32_t *t = default_delays;
    size_t n = sizeof(default_delays) / sizeof(default_delays[0]);
    unsigned max = DEFAULT_MAX_ATTEMPTS;
    int64_t d;

    if (b && b->delays && b->ndelays) {
        t = b->delays;
        n = b->ndelays;
    }
    if (b && b->max_attempts)
        max = b->max_attempts;
    if (attempts < 1)
        attempts = 1;
    if (attempts >= max)
        return -1;
    d = t[(attempts < n ? attempts : n) - 1];
    if (b && b->jitter_pct) {
        uint32_t (*rnd)(void *) = b->random ? b->random : sodium_random;
        unsigned pct = b->jitter_pct > 100 ? 100 : b->jitter_pct;
        uint64_t span = (uint64_t)d * pct / 100, r;

        if (!b->random && sodium_init() < 0)
            return d; /* no randomness: no jitter */
        /* uniform in [d - span, d + span] */
        r = ((uint64_t)rnd(b->random_ctx) * (2 * span + 1)) >> 32;
        d = d - (int64_t)span + (int64_t)r;
    }
    return d < 1 ? 1 : d;
}
