/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The encoders behind vg_mail_build (smtp_mail.c), shared with the unit
 * tests, which round-trip them through their own decoders.
 */
#ifndef VIGIL_SMTP_INT_H
#define VIGIL_SMTP_INT_H

#include <stddef.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/smtp.h"

/* The longest line the encoders write, without its CRLF (RFC 2047, 2045). */
#define VG__SMTP_LINE_MAX 76

/*
 * Append s[0..n) (UTF-8, not checked here) as a quoted-printable body
 * (RFC 2045 section 6.7): every line break (CRLF, LF or a lone CR) becomes
 * CRLF, a last line without one gets one; lines are cut with soft breaks
 * so no encoded line is longer than VG__SMTP_LINE_MAX; '=', bytes outside
 * printable ASCII and a space or tab at a line's end are =XX.
 */
int vg__smtp_qp_encode(struct vg_buf *b, const char *s, size_t n);

/*
 * Append the header field "name: value" with its CRLF: value (UTF-8, no
 * control characters) as is when it is printable ASCII without "=?",
 * folded at its spaces; otherwise as RFC 2047 "B" encoded-words of whole
 * characters, one per line where needed.  VG_EINVAL (with err) for
 * control characters or invalid UTF-8 in value.
 */
int vg__smtp_header_text(struct vg_buf *b, const char *name, const char *value,
                         struct vg_err *err);

/*
 * The outcome of an attempt from libcurl's result (a CURLcode), the stage
 * the conversation ended in and the last reply code before QUIT (0 if
 * none): 4xx is temporary; 5xx is permanent for recipients and content,
 * local for the greeting, EHLO, STARTTLS, AUTH and the envelope sender
 * (except 552, too large); without a reply, TLS trust, STARTTLS missing,
 * login and URL errors are local and everything else (connection refused,
 * timeouts, resets) temporary.
 */
enum vg_smtp_outcome vg__smtp_classify(int curl_code, enum vg_smtp_stage stage,
                                       int code);

/*
 * Following the conversation in libcurl's transcript (smtp.c; the fuzzer
 * drives it too): zero it, point res at the result (its nrcpt set), then
 * feed each chunk, a command the client sent (out) or bytes the server
 * sent.  Replies fill res->code and res->reply, a recipient's its
 * res->rcpt[] entry; c->stage is the step they answered.
 */
struct vg__smtp_conv {
    struct vg_smtp_result *res;
    enum vg_smtp_stage stage;
    int quitting;                 /* QUIT sent: replies no longer count */
    size_t rcpt_sent;             /* RCPT commands so far */
    char line[VG_SMTP_REPLY_MAX]; /* the reply line being received */
    size_t linelen;
    char reply[VG_SMTP_REPLY_MAX]; /* the reply so far, lines joined */
    size_t replylen;
};

void vg__smtp_conv_feed(struct vg__smtp_conv *c, int out, const char *d,
                        size_t n);

#endif
