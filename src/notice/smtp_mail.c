/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building a notice as an Internet message (include/vigil/smtp.h):
 * RFC 5322 (fields, addr-spec, msg-id, folding), RFC 2045 section 6.7
 * (quoted-printable body), RFC 2047 (encoded-words in the Subject and in
 * display names).  Invariants: every field is checked before a byte is
 * written, so nothing from the caller can end a header line; every line
 * ends with CRLF; the encoders write lines of at most VG__SMTP_LINE_MAX
 * characters (a plain ASCII subject word longer than a line is the one
 * exception, still far below RFC 5322's 998).
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "notice/smtp_int.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/smtp.h"
#include "vigil/utc.h"

#define SUBJECT_MAX 900 /* bytes: a folded Subject stays readable */
#define NAME_MAX_BYTES 256
#define LOCAL_MAX 64
#define DOMAIN_MAX 253
#define LABEL_MAX 63
#define EW_OVERHEAD 12 /* "=?UTF-8?B?" "?=" */
#define EW_MAX 75      /* RFC 2047 section 2 */

/* ---- syntax (RFC 5322 section 3.2.3, RFC 5321 section 4.5.3.1) ---- */

static int is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* dot-atom-text: atoms of atext joined by single dots. */
static int dot_atom_valid(const char *s, size_t n)
{
    int prev_dot = 1;

    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (prev_dot)
                return 0;
            prev_dot = 1;
        } else if (is_atext((unsigned char)s[i])) {
            prev_dot = 0;
        } else {
            return 0;
        }
    }
    return !prev_dot;
}

/* A host name: labels of letters, digits and inner hyphens. */
static int domain_valid(const char *s, size_t n)
{
    size_t label = 0;

    if (!n || n > DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)s[i] : '.';

        if (c == '.') {
            if (!label || label > LABEL_MAX || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c >= '0' && c <= '9') || (c == '-' && label)) {
            label++;
        } else {
            return 0;
        }
    }
    return 1;
}

int vg_mail_addr_valid(const char *addr)
{
    const char *at;
    size_t n;

    if (!addr || (n = strlen(addr)) > VG_MAIL_ADDR_MAX ||
        !(at = strchr(addr, '@')))
        return 0;
    return (size_t)(at - addr) <= LOCAL_MAX &&
           dot_atom_valid(addr, (size_t)(at - addr)) &&
           domain_valid(at + 1, n - (size_t)(at - addr) - 1);
}

int vg_mail_msgid_valid(const char *id)
{
    const char *at;
    size_t n;

    if (!id || (n = strlen(id)) < 5 || n > VG_MAIL_MSGID_MAX || id[0] != '<' ||
        id[n - 1] != '>' || !(at = strchr(id, '@')))
        return 0;
    return dot_atom_valid(id + 1, (size_t)(at - id) - 1) &&
           dot_atom_valid(at + 1, (size_t)(id + n - 1 - at) - 1);
}

int vg_mail_message_id(const char *domain, char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    char left[2 * sizeof(r) + 1];
    int k;

    if (!domain || !domain_valid(domain, strlen(domain)) || !buf)
        return VG_EINVAL;
    if (sodium_init() < 0)
        return VG_EINTERNAL;
    randombytes_buf(r, sizeof(r));
    for (size_t i = 0; i < sizeof(r); i++) {
        left[2 * i] = hex[r[i] >> 4];
        left[2 * i + 1] = hex[r[i] & 15];
    }
    left[sizeof(left) - 1] = '\0';
    k = snprintf(buf, n, "<%s@%s>", left, domain);
    if (k < 0 || (size_t)k >= n || (size_t)k > VG_MAIL_MSGID_MAX) {
        if (n)
            buf[0] = '\0';
        return VG_EINVAL;
    }
    return VG_OK;
}

/*
 * Text for a header field: at most max bytes of valid UTF-8 with no
 * control characters.  A line break is named as what it would be.
 */
static int check_text(const char *field, const char *s, size_t max,
                      struct vg_err *err)
{
    size_t n = strlen(s), k;

    if (n > max)
        return vg_err_set(err, VG_EINVAL, "%s: longer than %zu bytes", field,
                          max);
    for (size_t i = 0; i < n; i += k) {
        unsigned char c = (unsigned char)s[i];

        k = 1;
        if (c == '\r' || c == '\n')
            return vg_err_set(err, VG_EINVAL,
                              "%s: line break refused (header injection)",
                              field);
        if (c < 0x20 || c == 0x7f)
            return vg_err_set(err, VG_EINVAL,
                              "%s: control character 0x%02x refused", field,
                              c);
        if (c >= 0x80 &&
            !(k = vg_utf8_len((const unsigned char *)s + i, n - i)))
            return vg_err_set(err, VG_EINVAL, "%s: not valid UTF-8", field);
    }
    return VG_OK;
}

static int check_mailbox(const char *field, const struct vg_mail_addr *a,
                         struct vg_err *err)
{
    int rc;

    if (!a->addr || !vg_mail_addr_valid(a->addr)) {
        /* the address is not echoed: it may hold a line break */
        return vg_err_set(err, VG_EINVAL, "%s: not a valid address", field);
    }
    if (a->name && (rc = check_text(field, a->name, NAME_MAX_BYTES, err)))
        return rc;
    return VG_OK;
}

static int check_mail(const struct vg_mail *m, struct vg_err *err)
{
    size_t n;
    int rc;

    if ((rc = check_mailbox("From", &m->from, err)))
        return rc;
    if (!m->to || !m->nto || m->nto > VG_SMTP_MAX_RCPT)
        return vg_err_set(err, VG_EINVAL, "To: 1 to %d recipients",
                          VG_SMTP_MAX_RCPT);
    for (size_t i = 0; i < m->nto; i++)
        if ((rc = check_mailbox("To", &m->to[i], err)))
            return rc;
    if (m->reply_to && (rc = check_mailbox("Reply-To", m->reply_to, err)))
        return rc;
    if (!m->subject)
        return vg_err_set(err, VG_EINVAL, "Subject: missing");
    if ((rc = check_text("Subject", m->subject, SUBJECT_MAX, err)))
        return rc;
    if (!vg_mail_msgid_valid(m->message_id))
        return vg_err_set(err, VG_EINVAL, "Message-ID: not <left@right>");
    if (m->in_reply_to && !vg_mail_msgid_valid(m->in_reply_to))
        return vg_err_set(err, VG_EINVAL, "In-Reply-To: not <left@right>");
    if (m->date < 0)
        return vg_err_set(err, VG_EINVAL, "Date: before 1970");
    if (!m->body)
        return vg_err_set(err, VG_EINVAL, "body: missing");
    n = strlen(m->body);
    if (vg_utf8_count(m->body, n) < 0)
        return vg_err_set(err, VG_EINVAL, "body: not valid UTF-8");
    return VG_OK;
}

/* ---- header fields, folded (RFC 5322 section 2.2.3) ---- */

struct hw {
    struct vg_buf *b;
    size_t col; /* characters on the current line */
    int words;  /* tokens on it after the field name */
    int rc;
};

static void hw_put(struct hw *w, const char *s, size_t n)
{
    if (!w->rc)
        w->rc = vg_buf_append(w->b, s, n);
    w->col += n;
}

static void hw_start(struct hw *w, struct vg_buf *b, const char *name)
{
    w->b = b;
    w->col = 0;
    w->words = 0;
    w->rc = VG_OK;
    hw_put(w, name, strlen(name));
    hw_put(w, ":", 1);
}

static int hw_end(struct hw *w)
{
    hw_put(w, "\r\n", 2);
    return w->rc;
}

/* A token after a space, on the next line if it does not fit on this. */
static void hw_token(struct hw *w, const char *s, size_t n)
{
    if (w->words && w->col + 1 + n > VG__SMTP_LINE_MAX) {
        hw_put(w, "\r\n", 2);
        w->col = 0;
        w->words = 0;
    }
    hw_put(w, " ", 1);
    hw_put(w, s, n);
    w->words++;
}

static size_t base64(const unsigned char *s, size_t n, char *out)
{
    static const char t[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    return o;
}

/*
 * s[0..n) (valid UTF-8) as "B" encoded-words of whole characters, each as
 * long as the line allows (RFC 2047 sections 2 and 5).
 */
static void hw_encoded(struct hw *w, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        char word[EW_MAX + 1];
        size_t room, raw, take = 0, k = 1, len;

        /* fold first if not even one 4-byte character fits here */
        if (w->words && w->col + 1 + EW_OVERHEAD + 8 > VG__SMTP_LINE_MAX) {
            hw_put(w, "\r\n", 2);
            w->col = 0;
            w->words = 0;
        }
        room = w->col + 1 < VG__SMTP_LINE_MAX ? VG__SMTP_LINE_MAX - w->col - 1
                                              : EW_OVERHEAD + 8;
        if (room > EW_MAX)
            room = EW_MAX;
        if (room < EW_OVERHEAD + 8)
            room = EW_OVERHEAD + 8;
        raw = (room - EW_OVERHEAD) / 4 * 3;
        while (i + take < n) {
            k = vg_utf8_len((const unsigned char *)s + i + take, n - i - take);
            if (!k)
                k = 1;
            if (take + k > raw)
                break;
            take += k;
        }
        if (!take)
            take = k; /* cannot happen: raw >= 6 */
        memcpy(word, "=?UTF-8?B?", 10);
        len = 10 + base64((const unsigned char *)s + i, take, word + 10);
        memcpy(word + len, "?=", 2);
        hw_token(w, word, len + 2);
        i += take;
    }
}

static int plain_ascii(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return !strstr(s, "=?");
}

/*
 * Unstructured text as written, folded before a run of spaces: unfolding
 * (removing the CRLFs) gives the text back exactly.
 */
static void hw_plain(struct hw *w, const char *s)
{
    size_t n = strlen(s), i = 0;

    if (n)
        hw_put(w, " ", 1);
    while (i < n) {
        size_t j = i;

        while (j < n && s[j] == ' ')
            j++;
        while (j < n && s[j] != ' ')
            j++;
        if (w->words && s[i] == ' ' && w->col + (j - i) > VG__SMTP_LINE_MAX) {
            hw_put(w, "\r\n", 2);
            w->col = 0;
        }
        hw_put(w, s + i, j - i);
        w->words++;
        i = j;
    }
}

int vg__smtp_header_text(struct vg_buf *b, const char *name, const char *value,
                         struct vg_err *err)
{
    struct hw w;
    int rc;

    if ((rc = check_text(name, value, SUBJECT_MAX, err)))
        return rc;
    hw_start(&w, b, name);
    if (plain_ascii(value))
        hw_plain(&w, value);
    else
        hw_encoded(&w, value, strlen(value));
    return hw_end(&w);
}

/* A display name as words of atext, a quoted-string or encoded-words. */
static void hw_phrase(struct hw *w, const char *name)
{
    size_t n = strlen(name);
    int ascii = 1, atoms = plain_ascii(name);

    for (size_t i = 0; i < n; i++) {
        ascii &= name[i] >= 0x20 && name[i] <= 0x7e;
        atoms &= name[i] == ' ' || is_atext((unsigned char)name[i]);
    }
    if (atoms) {
        for (size_t i = 0; i < n;) {
            size_t j = i;

            while (j < n && name[j] != ' ')
                j++;
            if (j > i)
                hw_token(w, name + i, j - i);
            i = j + 1;
        }
    } else if (ascii) {
        char q[2 * NAME_MAX_BYTES + 3];
        size_t o = 0;

        q[o++] = '"';
        for (size_t i = 0; i < n; i++) {
            if (name[i] == '"' || name[i] == '\\')
                q[o++] = '\\';
            q[o++] = name[i];
        }
        q[o++] = '"';
        hw_token(w, q, o);
    } else {
        hw_encoded(w, name, n);
    }
}

/* "name <addr>" or "addr", then trail (a comma between recipients). */
static void hw_mailbox(struct hw *w, const struct vg_mail_addr *a,
                       const char *trail)
{
    char tok[VG_MAIL_ADDR_MAX + 4];
    const char *p = a->name;
    int k;

    while (p && *p == ' ')
        p++;
    if (p && *p) {
        hw_phrase(w, a->name);
        k = snprintf(tok, sizeof(tok), "<%s>%s", a->addr, trail);
    } else {
        k = snprintf(tok, sizeof(tok), "%s%s", a->addr, trail);
    }
    if (k > 0 && (size_t)k < sizeof(tok))
        hw_token(w, tok, (size_t)k);
    else if (!w->rc)
        w->rc = VG_EINTERNAL;
}

/* ---- the body (RFC 2045 section 6.7) ---- */

static int qp_line(struct vg_buf *b, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char out[VG__SMTP_LINE_MAX + 8];
    size_t o = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        int last = i + 1 == n;
        char tok[3];
        size_t t = 0;

        if ((c >= 33 && c <= 126 && c != '=') ||
            ((c == ' ' || c == '\t') && !last)) {
            tok[t++] = (char)c;
        } else {
            tok[t++] = '=';
            tok[t++] = hex[c >> 4];
            tok[t++] = hex[c & 15];
        }
        /* room for the soft break's '=' unless this ends the line */
        if (o + t > (last ? VG__SMTP_LINE_MAX : VG__SMTP_LINE_MAX - 1)) {
            out[o++] = '=';
            out[o++] = '\r';
            out[o++] = '\n';
            if ((rc = vg_buf_append(b, out, o)))
                return rc;
            o = 0;
        }
        memcpy(out + o, tok, t);
        o += t;
    }
    out[o++] = '\r';
    out[o++] = '\n';
    return vg_buf_append(b, out, o);
}

int vg__smtp_qp_encode(struct vg_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    int rc;

    while (i < n) {
        size_t j = i;

        while (j < n && s[j] != '\r' && s[j] != '\n')
            j++;
        if ((rc = qp_line(b, (const unsigned char *)s + i, j - i)))
            return rc;
        if (j < n && s[j] == '\r' && j + 1 < n && s[j + 1] == '\n')
            j++;
        i = j + 1;
    }
    return VG_OK;
}

/* ---- the message ---- */

static int put_date(struct vg_buf *b, int64_t t)
{
    char date[64];

    /* RFC 5322 wants a four-digit year; the C locale's day and month
       names are its English ones */
    if (t < 0 || t > 253402300799LL ||
        vg_utc_format(t, "%a, %d %b %Y %H:%M:%S +0000", date, sizeof(date)))
        return VG_EINVAL;
    return vg_buf_printf(b, "Date: %s\r\n", date);
}

static int put_headers(struct vg_buf *b, const struct vg_mail *m, int64_t date,
                       struct vg_err *err)
{
    struct hw w;
    int rc;

    if ((rc = put_date(b, date)))
        return rc == VG_EINVAL ? vg_err_set(err, rc, "Date: out of range")
                               : rc;
    hw_start(&w, b, "From");
    hw_mailbox(&w, &m->from, "");
    if ((rc = hw_end(&w)))
        return rc;
    hw_start(&w, b, "To");
    for (size_t i = 0; i < m->nto; i++)
        hw_mailbox(&w, &m->to[i], i + 1 < m->nto ? "," : "");
    if ((rc = hw_end(&w)))
        return rc;
    if (m->reply_to) {
        hw_start(&w, b, "Reply-To");
        hw_mailbox(&w, m->reply_to, "");
        if ((rc = hw_end(&w)))
            return rc;
    }
    if ((rc = vg__smtp_header_text(b, "Subject", m->subject, err)) ||
        (rc = vg_buf_printf(b, "Message-ID: %s\r\n", m->message_id)))
        return rc;
    if (m->in_reply_to &&
        (rc = vg_buf_printf(b, "In-Reply-To: %s\r\nReferences: %s\r\n",
                            m->in_reply_to, m->in_reply_to)))
        return rc;
    return vg_buf_puts(b, "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n"
                          "Content-Transfer-Encoding: quoted-printable\r\n"
                          "Auto-Submitted: auto-generated\r\n"
                          "\r\n");
}

int vg_mail_build(const struct vg_mail *m, int64_t now, size_t cap, char **out,
                  size_t *len, struct vg_err *err)
{
    struct vg_buf b;
    int rc;

    *out = NULL;
    *len = 0;
    if (!m)
        return vg_err_set(err, VG_EINVAL, "no message");
    if ((rc = check_mail(m, err)))
        return rc;
    if (!cap)
        cap = VG_SMTP_MAX_MESSAGE_DEFAULT;
    vg_buf_init(&b, cap);
    if ((rc = put_headers(&b, m, m->date ? m->date : now, err)) ||
        (rc = vg__smtp_qp_encode(&b, m->body, strlen(m->body))))
        goto fail;
    if (!b.data && (rc = vg_buf_append(&b, "", 0)))
        goto fail;
    *out = b.data;
    *len = b.len;
    return VG_OK;
fail:
    vg_buf_fini(&b);
    if (rc == VG_ETOOBIG)
        vg_err_set(err, rc, "the message is over %zu bytes", cap);
    return rc;
}
