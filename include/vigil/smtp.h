/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sending notices by e-mail (module `notice`): a message built from struct
 * vg_mail, one SMTP submission of it through libcurl to the hotline's
 * relay, the outcome classified for retrying, and the retry schedule.
 *
 * The message (RFC 5322, RFC 2045, RFC 2047): CRLF line ends; Date (UTC),
 * From, To, Reply-To, Subject, Message-ID, In-Reply-To and References,
 * MIME-Version: 1.0, Content-Type: text/plain; charset=utf-8,
 * Content-Transfer-Encoding: quoted-printable (lines of at most 76
 * characters), Auto-Submitted: auto-generated.  Non-ASCII text in the
 * Subject and in display names becomes RFC 2047 encoded-words ("B"
 * encoding, whole characters per word, lines of at most 76 characters).
 * Every field is checked before anything is written: CR, LF and other
 * control characters in a header field, invalid UTF-8, malformed
 * addresses and Message-IDs are refused (VG_EINVAL), so no input can add
 * a header.  Addresses are ASCII addr-specs (dot-atom local part, host
 * name of letters, digits and hyphens): an internationalised domain must
 * be given in its A-label (xn--) form; SMTPUTF8 is not used.
 *
 * Sending: one connection per message, MAIL FROM, one RCPT TO per
 * recipient, DATA; libcurl does the dot-stuffing.  Recipients the relay
 * refuses do not stop the others (CURLOPT_MAIL_RCPT_ALLOWFAILS, libcurl
 * >= 7.69; Debian 12 has 7.88); each recipient's reply is reported.  A
 * password is only ever sent over TLS: smtps://, or STARTTLS required.
 *
 * Delivery is at least once: if the connection is lost after the message
 * was sent but before the relay's answer, the outcome is a temporary
 * failure and a retry sends it again.  That is why the caller gives the
 * Message-ID (stored with its intent before the first attempt, reused by
 * every retry): duplicates are recognisable.
 * Thread safety: every function may be called from any thread; a
 * vg_smtp_send call uses its own connection.
 */
#ifndef VIGIL_SMTP_H
#define VIGIL_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

#define VG_SMTP_MAX_RCPT 16                       /* recipients per message */
#define VG_SMTP_MAX_MESSAGE_DEFAULT (1024 * 1024) /* bytes, as sent */
#define VG_MAIL_ADDR_MAX 254                      /* RFC 5321 path limit */
#define VG_MAIL_MSGID_MAX 250                     /* with the angle brackets */

/* ---- the message ---- */

/* A mailbox: optional display name (UTF-8) and an addr-spec. */
struct vg_mail_addr {
    const char *name; /* NULL or "" for none */
    const char *addr; /* "local@domain" */
};

struct vg_mail {
    struct vg_mail_addr from;
    const struct vg_mail_addr *to; /* nto recipients, 1..VG_SMTP_MAX_RCPT */
    size_t nto;
    const struct vg_mail_addr *reply_to; /* NULL: none */
    const char *subject;                 /* UTF-8, one line */
    const char *body;                    /* UTF-8 text; LF, CRLF or CR */
    const char *message_id;              /* "<left@right>", see below */
    const char *in_reply_to; /* NULL, or the Message-ID of an earlier notice
                                (In-Reply-To and References) */
    int64_t date;            /* Unix seconds; 0: the sender's clock */
};

/* 1 if addr is an addr-spec this module sends to (see above), else 0. */
int vg_mail_addr_valid(const char *addr);

/*
 * 1 if id is a Message-ID this module accepts: "<" dot-atom-text "@"
 * dot-atom-text ">", at most VG_MAIL_MSGID_MAX bytes; else 0.
 */
int vg_mail_msgid_valid(const char *id);

/*
 * A new Message-ID "<32 random hex digits@domain>" into buf (n bytes, at
 * least VG_MAIL_MSGID_MAX + 1 is always enough).  The domain should be the
 * hotline's own (e.g. the From address's).  VG_OK, VG_EINVAL (bad domain,
 * buf too small), VG_EINTERNAL (no randomness).
 */
int vg_mail_message_id(const char *domain, char *buf, size_t n);

/*
 * Build the message as sent: *out (NUL-terminated, the caller's to
 * vg_free) and *len.  The Date is m->date, or now when that is 0.  A body
 * that does not end with a line break gets one.  Returns VG_OK,
 * VG_EINVAL (a field refused; err says which and why), VG_ETOOBIG (over
 * cap bytes; 0 means VG_SMTP_MAX_MESSAGE_DEFAULT) or VG_ENOMEM.
 */
int vg_mail_build(const struct vg_mail *m, int64_t now, size_t cap, char **out,
                  size_t *len, struct vg_err *err);

/* ---- the relay ---- */

enum vg_smtp_tls {
    VG_SMTP_TLS_REQUIRED = 0, /* STARTTLS or fail (CURLUSESSL_ALL) */
    VG_SMTP_TLS_TRY,          /* STARTTLS when offered (CURLUSESSL_TRY) */
    VG_SMTP_TLS_NONE          /* never (CURLUSESSL_NONE) */
};

struct vg_smtp_config {
    /*
     * smtp://host[:port][/ehlo-name] or smtps://host[:port][/ehlo-name]
     * (TLS from the first byte, whatever starttls says).  The path is the
     * name given in EHLO (libcurl's convention; without one it says
     * "localhost", which some relays refuse).
     */
    const char *url;
    enum vg_smtp_tls starttls; /* smtp:// only; default REQUIRED */
    const char *username;      /* NULL: no AUTH */
    const char *password;      /* only over TLS (smtps:// or REQUIRED) */
    const char *cafile;        /* PEM CA bundle; NULL: the system's */
    int insecure;              /* 1: do not verify the relay's certificate
                                  (never in production) */
    long connect_timeout_ms;   /* default 10 s; libcurl counts the
                                  greeting, EHLO, STARTTLS and AUTH in it */
    long timeout_ms;           /* the whole conversation; default 60 s */
    const char *envelope_from; /* MAIL FROM; NULL: the From address */
    size_t max_message;        /* bytes; default VG_SMTP_MAX_MESSAGE_DEFAULT */
    int64_t (*clock)(void *ctx); /* Unix seconds for Date; NULL: time() */
    void *clock_ctx;
};

/* Defaults as above; url and the rest NULL. */
void vg_smtp_config_init(struct vg_smtp_config *c);

/* ---- one attempt and its outcome ---- */

enum vg_smtp_outcome {
    VG_SMTP_SENT = 0, /* the relay took the message for at least one
                         recipient (see each recipient's state) */
    VG_SMTP_TEMPFAIL, /* try again later: no connection, timeout, 4xx */
    VG_SMTP_PERMFAIL, /* do not retry this message: 5xx for its recipients
                         or its content, or a message that cannot be built */
    VG_SMTP_LOCALFAIL /* our side is wrong: TLS not offered or not trusted,
                         AUTH refused, envelope sender refused, bad URL.
                         Retry once the operator fixed the configuration;
                         not the message's fault, so not its attempt */
};

/* The step of the conversation a reply answered. */
enum vg_smtp_stage {
    VG_SMTP_STAGE_CONNECT = 0, /* TCP and (smtps://) TLS */
    VG_SMTP_STAGE_GREETING,
    VG_SMTP_STAGE_EHLO,
    VG_SMTP_STAGE_STARTTLS,
    VG_SMTP_STAGE_AUTH,
    VG_SMTP_STAGE_MAIL,
    VG_SMTP_STAGE_RCPT,
    VG_SMTP_STAGE_DATA,    /* the DATA command */
    VG_SMTP_STAGE_MESSAGE, /* the reply after the message itself */
    VG_SMTP_STAGE_QUIT
};

enum vg_smtp_rcpt_state {
    VG_SMTP_RCPT_UNTRIED = 0, /* the conversation ended before its RCPT */
    VG_SMTP_RCPT_ACCEPTED,    /* the message was taken for it */
    VG_SMTP_RCPT_TEMPFAIL,    /* 4xx, or the message failed temporarily */
    VG_SMTP_RCPT_PERMFAIL     /* 5xx, or the message was refused */
};

#define VG_SMTP_REPLY_MAX 512

struct vg_smtp_rcpt {
    enum vg_smtp_rcpt_state state;
    int code;                      /* its SMTP reply code, 0 if none */
    char reply[VG_SMTP_REPLY_MAX]; /* that reply, lines joined by " " */
};

/*
 * Replies are the server's words: printable ASCII only (anything else is
 * shown as '?'), cut at VG_SMTP_REPLY_MAX - 1 bytes.
 */
struct vg_smtp_result {
    enum vg_smtp_outcome outcome;
    enum vg_smtp_stage stage;      /* where the conversation ended */
    int code;                      /* the last reply before QUIT, 0 if none */
    char reply[VG_SMTP_REPLY_MAX]; /* e.g. "550 5.1.1 mailbox unavailable";
                                      on success the relay's queue reply */
    int curl_code;                 /* CURLcode */
    char detail[256];              /* libcurl's error text, "" on success */
    size_t nrcpt;                  /* = the message's nto */
    struct vg_smtp_rcpt rcpt[VG_SMTP_MAX_RCPT]; /* in the order of m->to */
};

/*
 * Send m to its To recipients through the relay of cfg, once.  Fills *res
 * in every case (a message that cannot be built is VG_SMTP_PERMFAIL, a
 * configuration that cannot work VG_SMTP_LOCALFAIL).  Returns VG_OK when
 * res->outcome is VG_SMTP_SENT; otherwise VG_EIO (the attempt failed, see
 * res), VG_EINVAL (cfg or m refused before connecting; err says why),
 * VG_ETOOBIG (over cfg->max_message) or VG_ENOMEM.  err also gets a
 * one-line summary of a failed attempt.
 */
int vg_smtp_send(const struct vg_smtp_config *cfg, const struct vg_mail *m,
                 struct vg_smtp_result *res, struct vg_err *err);

/* "sent", "temporary", "permanent", "local"; never NULL. */
const char *vg_smtp_outcome_name(enum vg_smtp_outcome o);
/* "connect", "greeting", "ehlo", ... "message", "quit"; never NULL. */
const char *vg_smtp_stage_name(enum vg_smtp_stage s);
/* "untried", "accepted", "temporary", "permanent"; never NULL. */
const char *vg_smtp_rcpt_state_name(enum vg_smtp_rcpt_state s);

/* ---- when to try again ---- */

/*
 * Temporary failures are retried after growing delays: 1 min, 5 min,
 * 30 min, 2 h, then every 6 h; after max_attempts attempts the message is
 * given up (RFC 5321 section 4.5.4.1 asks senders to keep trying for 4-5
 * days: the default 20 attempts span 3.9 days).  Jitter spreads retries
 * of many notices that failed together: each delay is scaled by a factor
 * drawn uniformly from [1 - jitter_pct/100, 1 + jitter_pct/100].
 */
struct vg_smtp_backoff {
    const uint32_t *delays; /* seconds after attempt 1, 2, ...; the last
                               repeats; NULL: the table above */
    size_t ndelays;
    unsigned max_attempts;         /* default 20 */
    unsigned jitter_pct;           /* 0..100; default 0 (none) */
    uint32_t (*random)(void *ctx); /* uniform 32 bits; NULL: libsodium */
    void *random_ctx;
};

void vg_smtp_backoff_init(struct vg_smtp_backoff *b);

/*
 * Seconds to wait after the attempts-th failed attempt (attempts >= 1)
 * before the next one (at least 1), or -1 when attempts has reached
 * max_attempts: give up.
 */
int64_t vg_smtp_backoff_delay(const struct vg_smtp_backoff *b,
                              unsigned attempts);

#endif
