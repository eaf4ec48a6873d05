/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of src/notice/smtp_mail.c and smtp.c without an SMTP server:
 * the exact bytes of a notice (headers, RFC 2047 subject and display name,
 * quoted-printable body, CRLF), header injection and bad addresses
 * refused, Message-IDs, the size cap, line breaks, allocation failure,
 * the quoted-printable and RFC 2047 encoders round-tripped with random
 * input through this file's own decoders, the outcome classification, the
 * configuration checks, a relay that is not there, and the retry table.
 * The conversation with a real server is tests/integration/test_smtp.sh.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "notice/smtp_int.h"
#include "th.h"
#include "vigil/alloc.h"
#include "vigil/buf.h"
#include "vigil/smtp.h"

static const struct vg_mail_addr to2[2] = {{NULL, "abuse@host.example"},
                                           {"\xc3\x89quipe abus",
                                            "noc@host.example"}};
static const struct vg_mail_addr reply_to = {NULL, "analysts@hotline.example"};

/* The notice of the exact-bytes test; tests change copies of it. */
static struct vg_mail notice(void)
{
    struct vg_mail m;

    memset(&m, 0, sizeof(m));
    m.from.name = "Vigil Hotline";
    m.from.addr = "notices@hotline.example";
    m.to = to2;
    m.nto = 2;
    m.reply_to = &reply_to;
    m.subject = "Avis de retrait : contenu signal\xc3\xa9 (r\xc3\xa9"
                "f. 7K3D-9QF2)";
    m.body = "Bonjour,\n\nLe contenu \xc3\xa0 l'adresse "
             "https://host.example/gallery/photo.jpg?id=42&size=large a "
             "\xc3\xa9t\xc3\xa9 signal\xc3\xa9 et doit \xc3\xaatre "
             "retir\xc3\xa9.\nfin de ligne \n.\n";
    m.message_id = "<notice-1.7k3d@hotline.example>";
    m.date = 1751371200; /* 2025-07-01 12:00:00 UTC, a Tuesday */
    return m;
}

/* Build m; the message (vg_free it) or NULL with *rc set. */
static char *build(const struct vg_mail *m, size_t cap, int *rc,
                   struct vg_err *err)
{
    char *out = NULL;
    size_t n = 0;

    *rc = vg_mail_build(m, 0, cap, &out, &n, err);
    if (*rc == VG_OK && (!out || strlen(out) != n))
        TH_FAIL_("length %zu does not match the text", n);
    return out;
}

static void test_exact_bytes(void)
{
    struct vg_mail m = notice();
    int rc;
    char *out = build(&m, 0, &rc, NULL);

    TH_EQ_INT(rc, VG_OK);
    TH_EQ_STR(out,
              "Date: Tue, 01 Jul 2025 12:00:00 +0000\r\n"
              "From: Vigil Hotline <notices@hotline.example>\r\n"
              "To: abuse@host.example, =?UTF-8?B?w4lxdWlwZSBhYnVz?= "
              "<noc@host.example>\r\n"
              "Reply-To: analysts@hotline.example\r\n"
              /* 39 bytes fill the first line (76 wide) to the last
                 whole character; the rest on a folded line */
              "Subject: =?UTF-8?B?QXZpcyBkZSByZXRyYWl0IDogY29udGVudSBzaWdu"
              "YWzDqSAocsOp?=\r\n"
              " =?UTF-8?B?Zi4gN0szRC05UUYyKQ==?=\r\n"
              "Message-ID: <notice-1.7k3d@hotline.example>\r\n"
              "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=utf-8\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n"
              "Auto-Submitted: auto-generated\r\n"
              "\r\n"
              "Bonjour,\r\n"
              "\r\n"
              /* 75 characters and a soft break: 76 */
              "Le contenu =C3=A0 l'adresse https://host.example/gallery/"
              "photo.jpg?id=3D42&=\r\n"
              "size=3Dlarge a =C3=A9t=C3=A9 signal=C3=A9 et doit =C3=AAtre "
              "retir=C3=A9.\r\n"
              "fin de ligne=20\r\n" /* a space at a line's end */
              ".\r\n");             /* libcurl dot-stuffs, not us */
    vg_free(out);

    /* the date from the clock when the message has none; In-Reply-To */
    m.date = 0;
    m.in_reply_to = "<notice-0@hotline.example>";
    m.reply_to = NULL;
    m.to = &to2[1];
    m.nto = 1;
    m.from.name = "O'Neil \"Ops\" Team";
    m.subject = "Re: removal";
    out = NULL;
    {
        size_t n;

        TH_EQ_INT(vg_mail_build(&m, 86400 * 365, 0, &out, &n, NULL), VG_OK);
    }
    TH_CHECK(out && strstr(out, "Date: Fri, 01 Jan 1971 00:00:00 +0000\r\n"));
    TH_CHECK(out && strstr(out, "From: \"O'Neil \\\"Ops\\\" Team\" "
                                "<notices@hotline.example>\r\n"));
    TH_CHECK(out && strstr(out, "\r\nTo: =?UTF-8?B?w4lxdWlwZSBhYnVz?= "
                                "<noc@host.example>\r\nSubject: Re: "
                                "removal\r\n"));
    TH_CHECK(out && strstr(out, "In-Reply-To: <notice-0@hotline.example>\r\n"
                                "References: <notice-0@hotline.example>\r\n"));
    TH_CHECK(out && !strstr(out, "\r\nReply-To:"));
    vg_free(out);
}

static void test_plain_subject_folding(void)
{
    struct vg_mail m = notice();
    int rc;
    char *out;

    /* printable ASCII stays readable: folded before a space */
    m.subject = "Removal notice for https://host.example/a/very/long/path "
                "reported to the hotline on 2025-07-01 (reference "
                "7K3D-9QF2-M1XA)";
    out = build(&m, 0, &rc, NULL);
    TH_EQ_INT(rc, VG_OK);
    TH_CHECK(out && strstr(out, "Subject: Removal notice for "
                                "https://host.example/a/very/long/path "
                                "reported\r\n"
                                " to the hotline on 2025-07-01 (reference "
                                "7K3D-9QF2-M1XA)\r\n"));
    vg_free(out);
    /* "=?" would read as an encoded-word: encoded instead */
    m.subject = "x =?utf-8?q?y?=";
    out = build(&m, 0, &rc, NULL);
    TH_CHECK(out && strstr(out, "Subject: =?UTF-8?B?eCA9P3V0Zi04P3E/eT89?="
                                "\r\n"));
    vg_free(out);
    /* a display name with "=?" is quoted, not taken for an encoded-word */
    m.from.name = "=?utf-8?q?x?=";
    m.subject = "";
    out = build(&m, 0, &rc, NULL);
    TH_CHECK(out && strstr(out, "From: \"=?utf-8?q?x?=\" "
                                "<notices@hotline.example>\r\n"));
    TH_CHECK(out && strstr(out, "\r\nSubject:\r\n"));
    vg_free(out);
}

static void test_header_injection(void)
{
    static const char *const bad_text[] = {
        "Removal\r\nBcc: victim@example.org",
        "Removal\nBcc: x@y.z",
        "Removal\rBcc: x@y.z",
        "tab\there",
        "bell\a",
        "del\x7f",
        "bad utf-8 \xc3\x28",
        "overlong \xc0\xaf",
        "surrogate \xed\xa0\x80"};
    struct vg_mail m;
    struct vg_mail_addr a;
    struct vg_err err;
    char *out;
    int rc;

    for (size_t i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
        m = notice();
        m.subject = bad_text[i];
        memset(&err, 0, sizeof(err));
        out = build(&m, 0, &rc, &err);
        TH_EQ_INT(rc, VG_EINVAL);
        TH_CHECK(out == NULL);
        TH_CHECK(!strncmp(err.msg, "Subject: ", 9));
        m = notice();
        m.from.name = bad_text[i];
        out = build(&m, 0, &rc, &err);
        TH_EQ_INT(rc, VG_EINVAL);
        TH_CHECK(!strncmp(err.msg, "From: ", 6));
        vg_free(out);
    }
    m = notice();
    m.subject = "a\r\nBcc: x@y.z";
    build(&m, 0, &rc, &err);
    TH_EQ_STR(err.msg, "Subject: line break refused (header injection)");
    /* addresses, Message-IDs: a line break is not an address */
    m = notice();
    a.name = NULL;
    a.addr = "abuse@host.example\r\nBcc: x@y.z";
    m.to = &a;
    m.nto = 1;
    build(&m, 0, &rc, &err);
    TH_EQ_INT(rc, VG_EINVAL);
    TH_EQ_STR(err.msg, "To: not a valid address");
    m = notice();
    m.reply_to = &a;
    build(&m, 0, &rc, &err);
    TH_EQ_INT(rc, VG_EINVAL);
    m = notice();
    m.message_id = "<a@b>\r\nBcc: x@y.z";
    build(&m, 0, &rc, &err);
    TH_EQ_INT(rc, VG_EINVAL);
    m = notice();
    m.in_reply_to = "<a@b>\nX: y";
    build(&m, 0, &rc, &err);
    TH_EQ_INT(rc, VG_EINVAL);
    /* missing pieces */
    m = notice();
    m.nto = 0;
    build(&m, 0, &rc, NULL);
    TH_EQ_INT(rc, VG_EINVAL);
    m.nto = VG_SMTP_MAX_RCPT + 1;
    build(&m, 0, &rc, NULL);
    TH_EQ_INT(rc, VG_EINVAL);
    m = notice();
    m.subject = NULL;
    build(&m, 0, &rc, NULL);
    TH_EQ_INT(rc, VG_EINVAL);
    m = notice();
    m.body = "\xff";
    build(&m, 0, &rc, &err);
    TH_EQ_INT(rc, VG_EINVAL);
    TH_EQ_STR(err.msg, "body: not valid UTF-8");
    m = notice();
    m.date = -1;
    build(&m, 0, &rc, NULL);
    TH_EQ_INT(rc, VG_EINVAL);
}

static void test_addresses(void)
{
    static const char *const good[] = {"a@b",
                                       "abuse@host.example",
                                       "first.last+tag@sub.example.org",
                                       "o'neil@x-y.example",
                                       "abuse@xn--bcher-kva.example",
                                       "!#$%&'*+-/=?^_`{|}~@example.org",
                                       "a@0.example"};
    static const char *const bad[] = {"",
                                      "a",
                                      "@b",
                                      "a@",
                                      "a..b@c",
                                      ".a@c",
                                      "a.@c",
                                      "a@-b.c",
                                      "a@b-.c",
                                      "a@b..c",
                                      "a@b.",
                                      "a@.b",
                                      "a b@c",
                                      "a@b c",
                                      "<a@b>",
                                      "a@b@c",
                                      "\xc3\xa9@b.c",
                                      "a@b\xc3\xa9.c",
                                      "a@[127.0.0.1]",
                                      "\"q\"@b.c",
                                      "a@b_c.d",
                                      "a,b@c",
                                      "a;b@c",
                                      "a@b\r\n",
                                      "a\n@b",
                                      "a(b)@c"};
    char local[80], domain[300];

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (!vg_mail_addr_valid(good[i]))
            TH_FAIL_("refused: %s", good[i]);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (vg_mail_addr_valid(bad[i]))
            TH_FAIL_("accepted: %s", bad[i]);
    TH_EQ_INT(vg_mail_addr_valid(NULL), 0);
    /* limits: local part 64, label 63, path 254 */
    memset(local, 'l', 64);
    strcpy(local + 64, "@x.example");
    TH_EQ_INT(vg_mail_addr_valid(local), 1);
    memset(local, 'l', 65);
    strcpy(local + 65, "@x.example");
    TH_EQ_INT(vg_mail_addr_valid(local), 0);
    strcpy(domain, "a@");
    memset(domain + 2, 'd', 63);
    strcpy(domain + 65, ".example");
    TH_EQ_INT(vg_mail_addr_valid(domain), 1);
    memset(domain + 2, 'd', 64);
    strcpy(domain + 66, ".example");
    TH_EQ_INT(vg_mail_addr_valid(domain), 0);
    strcpy(domain, "a@");
    for (int i = 0; i < 25; i++)
        strcat(domain, "abcdefghi."); /* 2 + 250 */
    strcat(domain, "abc");            /* 255 bytes */
    TH_EQ_INT(vg_mail_addr_valid(domain), 0);
    domain[254] = '\0'; /* 254 */
    TH_EQ_INT(vg_mail_addr_valid(domain), 1);
}

static void test_message_ids(void)
{
    char a[VG_MAIL_MSGID_MAX + 1], b[VG_MAIL_MSGID_MAX + 1], small[10];

    TH_EQ_INT(vg_mail_msgid_valid("<a@b>"), 1);
    TH_EQ_INT(vg_mail_msgid_valid("<notice-1.7k3d@hotline.example>"), 1);
    TH_EQ_INT(vg_mail_msgid_valid("a@b"), 0);
    TH_EQ_INT(vg_mail_msgid_valid("<a@b"), 0);
    TH_EQ_INT(vg_mail_msgid_valid("<@b>"), 0);
    TH_EQ_INT(vg_mail_msgid_valid("<a@>"), 0);
    TH_EQ_INT(vg_mail_msgid_valid("<a b@c>"), 0);
    TH_EQ_INT(vg_mail_msgid_valid("<a@b@c>"), 0);
    TH_EQ_INT(vg_mail_msgid_valid("<a@[1.2.3.4]>"), 0);
    TH_EQ_INT(vg_mail_msgid_valid(NULL), 0);
    TH_EQ_INT(vg_mail_message_id("hotline.example", a, sizeof(a)), VG_OK);
    TH_EQ_INT(vg_mail_message_id("hotline.example", b, sizeof(b)), VG_OK);
    TH_EQ_INT(strlen(a), 1 + 32 + 1 + 15 + 1);
    TH_CHECK(vg_mail_msgid_valid(a));
    TH_CHECK(strcmp(a, b) != 0);
    TH_CHECK(strspn(a + 1, "0123456789abcdef") == 32);
    TH_EQ_INT(vg_mail_message_id("bad domain", a, sizeof(a)), VG_EINVAL);
    TH_EQ_INT(vg_mail_message_id("x.example", small, sizeof(small)),
              VG_EINVAL);
    TH_EQ_STR(small, "");
}

static void test_size_cap(void)
{
    struct vg_mail m = notice();
    struct vg_err err;
    char *body = malloc(5001), *out;
    size_t n;
    int rc;

    memset(body, 'x', 5000);
    body[5000] = '\0';
    m.body = body;
    out = build(&m, 0, &rc, NULL);
    TH_EQ_INT(rc, VG_OK);
    n = out ? strlen(out) : 0;
    vg_free(out);
    out = build(&m, n, &rc, NULL); /* exactly at the cap */
    TH_EQ_INT(rc, VG_OK);
    vg_free(out);
    out = build(&m, n - 1, &rc, &err);
    TH_EQ_INT(rc, VG_ETOOBIG);
    TH_CHECK(out == NULL);
    TH_CHECK(strstr(err.msg, "over") != NULL);
    /* the cap counts encoded bytes: 2000 'é' are 4000 bytes, 12000 sent */
    for (int i = 0; i < 2000; i++)
        memcpy(body + 2 * i, "\xc3\xa9", 2);
    body[4000] = '\0';
    out = build(&m, 8000, &rc, NULL);
    TH_EQ_INT(rc, VG_ETOOBIG);
    free(body);
}

static void test_line_breaks(void)
{
    struct vg_mail m = notice();
    const char *p;
    char *out;
    int rc;

    m.body = "a\rb\nc\r\nd\n\r\ne";
    out = build(&m, 0, &rc, NULL);
    p = out ? strstr(out, "\r\n\r\n") : NULL;
    TH_EQ_STR(p ? p + 4 : NULL, "a\r\nb\r\nc\r\nd\r\n\r\ne\r\n");
    vg_free(out);
    m.body = "";
    out = build(&m, 0, &rc, NULL);
    TH_CHECK(out && strlen(out) > 4 &&
             !strcmp(out + strlen(out) - 4, "\r\n\r\n"));
    vg_free(out);
}

static void test_alloc_failure(void)
{
    struct vg_mail m = notice();
    int ok = 0;

    for (long n = 0; n < 200 && !ok; n++) {
        char *out = NULL;
        size_t len;
        int rc;

        vg_alloc_fail_after(n);
        rc = vg_mail_build(&m, 0, 0, &out, &len, NULL);
        vg_alloc_fail_after(-1);
        if (rc == VG_OK)
            ok = 1;
        else
            TH_EQ_INT(rc, VG_ENOMEM);
        vg_free(out);
    }
    TH_CHECK(ok);
}

/* ---- decoders for the round trips ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Check qp (RFC 2045 6.7 as written, strictly) and decode it into out.
 * Returns 0 if well-formed.
 */
static int qp_decode(const char *qp, size_t n, struct vg_buf *out)
{
    size_t i = 0;

    while (i < n) {
        const char *eol = strstr(qp + i, "\r\n");
        size_t len, j;

        if (!eol)
            return -1; /* every line ends with CRLF */
        len = (size_t)(eol - (qp + i));
        if (len > VG__SMTP_LINE_MAX)
            return -2;
        if (len && (qp[i + len - 1] == ' ' || qp[i + len - 1] == '\t'))
            return -3; /* whitespace at a line's end */
        for (j = i; j < i + len; j++) {
            char c = qp[j];

            if (c == '=') {
                if (j + 1 == i + len)
                    break; /* soft line break */
                if (j + 2 >= i + len || hexval(qp[j + 1]) < 0 ||
                    hexval(qp[j + 2]) < 0)
                    return -4;
                char v = (char)(hexval(qp[j + 1]) * 16 + hexval(qp[j + 2]));
                vg_buf_append(out, &v, 1);
                j += 2;
            } else if ((c >= 33 && c <= 126) || c == ' ' || c == '\t') {
                vg_buf_append(out, &c, 1);
            } else {
                return -5; /* a raw CR, LF or other byte */
            }
        }
        if (j == i + len)
            vg_buf_append(out, "\r\n", 2);
        i += len + 2;
    }
    return 0;
}

/* What the body should decode to: breaks as CRLF, a last one added. */
static void normalize(const char *s, size_t n, struct vg_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' || s[i] == '\n') {
            vg_buf_append(out, "\r\n", 2);
            if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
        } else {
            vg_buf_append(out, s + i, 1);
        }
    }
    if (n && s[n - 1] != '\r' && s[n - 1] != '\n')
        vg_buf_append(out, "\r\n", 2);
}

static int b64val(char c)
{
    const char *t =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(t, c) : NULL;

    return p ? (int)(p - t) : -1;
}

/* One "=?UTF-8?B?...?=" word (len chars) decoded onto out; 0 if valid. */
static int ew_decode(const char *w, size_t len, struct vg_buf *out)
{
    size_t start = out->len;
    unsigned v = 0;
    int bits = 0;

    if (len > 75 || len < 12 || strncmp(w, "=?UTF-8?B?", 10) ||
        strncmp(w + len - 2, "?=", 2) || (len - 12) % 4)
        return -1;
    for (size_t i = 10; i < len - 2; i++) {
        int d = w[i] == '=' ? 0 : b64val(w[i]);

        if (d < 0)
            return -2;
        if (w[i] == '=')
            continue;
        v = (v << 6) | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            char c = (char)((v >> (bits - 8)) & 0xff);

            vg_buf_append(out, &c, 1);
            bits -= 8;
        }
    }
    /* whole characters in every word (RFC 2047 section 5) */
    return vg_utf8_count(out->data + start, out->len - start) < 0 ? -3 : 0;
}

/*
 * Check the "Subject:" field h (lines, CRLF, width) and decode its value
 * into out: unfolded plain text, or the encoded-words' text.
 */
static int header_decode(const char *h, int plain, struct vg_buf *out)
{
    struct vg_buf u;
    size_t n = strlen(h), i = 0, line = 0;
    int rc = 0;

    if (n < 10 || strncmp(h, "Subject:", 8) || strcmp(h + n - 2, "\r\n"))
        return -1;
    vg_buf_init(&u, 0);
    vg_buf_append(&u, "", 0);
    while (i < n) {
        const char *eol = strstr(h + i, "\r\n");
        size_t len = (size_t)(eol - (h + i));

        if (line && h[i] != ' ')
            rc = -2; /* a continuation starts with a space */
        if (memchr(h + i, '\r', len) || memchr(h + i, '\n', len))
            rc = -3;
        if (len > VG__SMTP_LINE_MAX) {
            /* only a plain word too long to fold may overflow */
            const char *p = h + i + (line ? 0 : 8);

            while (*p == ' ')
                p++;
            if (!plain || memchr(p, ' ', (size_t)(eol - p)))
                rc = -4;
        }
        vg_buf_append(&u, h + i, len);
        i += len + 2;
        line++;
    }
    if (plain) {
        const char *v = u.data + 8;

        if (*v == ' ')
            v++;
        vg_buf_puts(out, v);
    } else {
        const char *p = u.data + 8;

        while (!rc && *p) {
            const char *q;

            if (*p++ != ' ') {
                rc = -5;
                break;
            }
            q = strchr(p, ' ');
            if (!q)
                q = p + strlen(p);
            if (ew_decode(p, (size_t)(q - p), out))
                rc = -6;
            p = q;
        }
    }
    vg_buf_fini(&u);
    return rc;
}

/* ---- random input ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

/* Random UTF-8 text; with breaks, line breaks and controls appear. */
static void random_text(struct vg_buf *b, size_t max, int breaks)
{
    static const char *const pieces[] = {"a",
                                         "Z",
                                         "0",
                                         "=",
                                         ".",
                                         "?",
                                         "_",
                                         "~",
                                         " ",
                                         " ",
                                         "  ",
                                         "=?",
                                         "?=",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xe6\x97\xa5",
                                         "\xf0\x9f\x98\x80",
                                         "\xc2\xa0",
                                         "From ",
                                         "-- "};
    static const char *const controls[] = {"\r",   "\n",   "\r\n", "\t",
                                           "\x01", "\x7f", "\n.\n"};
    size_t n = rnd() % (max + 1);

    vg_buf_reset(b);
    vg_buf_append(b, "", 0);
    while (b->len < n) {
        uint32_t r = rnd();

        if (breaks && r % 9 == 0)
            vg_buf_puts(b, controls[r / 9 % 7]);
        else if (r % 5 == 0) /* long runs: lines to cut */
            for (uint32_t k = r / 5 % 90; k; k--)
                vg_buf_puts(b, r & 64 ? "x" : "\xc3\xa9");
        else
            vg_buf_puts(b, pieces[r / 5 % 20]);
    }
}

static void test_qp_roundtrip(void)
{
    struct vg_buf in, enc, dec, want;

    vg_buf_init(&in, 0);
    vg_buf_init(&enc, 0);
    vg_buf_init(&dec, 0);
    vg_buf_init(&want, 0);
    for (int iter = 0; iter < 3000; iter++) {
        int rc;

        random_text(&in, 600, 1);
        vg_buf_reset(&enc);
        vg_buf_reset(&dec);
        vg_buf_reset(&want);
        TH_EQ_INT(vg__smtp_qp_encode(&enc, in.data, in.len), VG_OK);
        vg_buf_append(&enc, "", 0);
        vg_buf_append(&dec, "", 0);
        normalize(in.data, in.len, &want);
        vg_buf_append(&want, "", 0);
        rc = qp_decode(enc.data, enc.len, &dec);
        if (rc || dec.len != want.len ||
            memcmp(dec.data, want.data, dec.len)) {
            TH_FAIL_("iteration %d: rc %d, %zu bytes in, %zu out", iter, rc,
                     in.len, dec.len);
            break;
        }
    }
    vg_buf_fini(&in);
    vg_buf_fini(&enc);
    vg_buf_fini(&dec);
    vg_buf_fini(&want);
}

static void test_qp_edges(void)
{
    struct vg_buf b;
    char line[200];

    vg_buf_init(&b, 0);
    /* exactly 76 characters: no soft break; 77: one */
    memset(line, 'x', 76);
    line[76] = '\0';
    vg__smtp_qp_encode(&b, line, 76);
    TH_EQ_INT(b.len, 78);
    line[76] = 'x';
    vg_buf_reset(&b);
    vg__smtp_qp_encode(&b, line, 77);
    TH_CHECK(b.data && !memcmp(b.data + 75, "=\r\nxx\r\n", 7));
    /* an escape is never cut by a soft break */
    memset(line, 'x', 74);
    memcpy(line + 74, "\xc3\xa9", 2);
    vg_buf_reset(&b);
    vg__smtp_qp_encode(&b, line, 76);
    TH_CHECK(b.data && !memcmp(b.data + 74, "=\r\n=C3=A9\r\n", 11));
    /* '=' and a trailing tab */
    vg_buf_reset(&b);
    vg__smtp_qp_encode(&b, "a=b\t", 4);
    TH_EQ_STR(b.data, "a=3Db=09\r\n");
    vg_buf_fini(&b);
}

static void test_header_roundtrip(void)
{
    struct vg_buf in, enc, dec;

    vg_buf_init(&in, 0);
    vg_buf_init(&enc, 0);
    vg_buf_init(&dec, 0);
    for (int iter = 0; iter < 3000; iter++) {
        int plain, rc;

        random_text(&in, 300, 0);
        vg_buf_reset(&enc);
        vg_buf_reset(&dec);
        plain = !strstr(in.data, "=?");
        for (size_t i = 0; i < in.len; i++)
            if ((unsigned char)in.data[i] >= 0x7f)
                plain = 0;
        TH_EQ_INT(vg__smtp_header_text(&enc, "Subject", in.data, NULL), VG_OK);
        vg_buf_append(&dec, "", 0);
        rc = header_decode(enc.data, plain, &dec);
        if (rc || strcmp(dec.data, in.data)) {
            TH_FAIL_("iteration %d: rc %d:\n%s", iter, rc, enc.data);
            break;
        }
    }
    vg_buf_fini(&in);
    vg_buf_fini(&enc);
    vg_buf_fini(&dec);
}

/* ---- sending without a server ---- */

static void test_classify(void)
{
    static const struct {
        int curl;
        enum vg_smtp_stage stage;
        int code;
        enum vg_smtp_outcome want;
    } cases[] = {
        {CURLE_OK, VG_SMTP_STAGE_MESSAGE, 250, VG_SMTP_SENT},
        {CURLE_COULDNT_CONNECT, VG_SMTP_STAGE_CONNECT, 0, VG_SMTP_TEMPFAIL},
        {CURLE_OPERATION_TIMEDOUT, VG_SMTP_STAGE_MESSAGE, 354,
         VG_SMTP_TEMPFAIL},
        {CURLE_GOT_NOTHING, VG_SMTP_STAGE_GREETING, 0, VG_SMTP_TEMPFAIL},
        {CURLE_WEIRD_SERVER_REPLY, VG_SMTP_STAGE_GREETING, 421,
         VG_SMTP_TEMPFAIL},
        {CURLE_WEIRD_SERVER_REPLY, VG_SMTP_STAGE_GREETING, 554,
         VG_SMTP_LOCALFAIL},
        {CURLE_SEND_ERROR, VG_SMTP_STAGE_RCPT, 550, VG_SMTP_PERMFAIL},
        {CURLE_SEND_ERROR, VG_SMTP_STAGE_RCPT, 451, VG_SMTP_TEMPFAIL},
        {CURLE_SEND_ERROR, VG_SMTP_STAGE_MAIL, 553, VG_SMTP_LOCALFAIL},
        {CURLE_SEND_ERROR, VG_SMTP_STAGE_MAIL, 530, VG_SMTP_LOCALFAIL},
        {CURLE_SEND_ERROR, VG_SMTP_STAGE_MAIL, 552, VG_SMTP_PERMFAIL},
        {CURLE_SEND_ERROR, VG_SMTP_STAGE_DATA, 554, VG_SMTP_PERMFAIL},
        {CURLE_WEIRD_SERVER_REPLY, VG_SMTP_STAGE_MESSAGE, 554,
         VG_SMTP_PERMFAIL},
        {CURLE_WEIRD_SERVER_REPLY, VG_SMTP_STAGE_MESSAGE, 451,
         VG_SMTP_TEMPFAIL},
        {CURLE_LOGIN_DENIED, VG_SMTP_STAGE_AUTH, 535, VG_SMTP_LOCALFAIL},
        {CURLE_LOGIN_DENIED, VG_SMTP_STAGE_EHLO, 250, VG_SMTP_LOCALFAIL},
        {CURLE_USE_SSL_FAILED, VG_SMTP_STAGE_EHLO, 250, VG_SMTP_LOCALFAIL},
        {CURLE_PEER_FAILED_VERIFICATION, VG_SMTP_STAGE_STARTTLS, 220,
         VG_SMTP_LOCALFAIL},
        {CURLE_SSL_CONNECT_ERROR, VG_SMTP_STAGE_CONNECT, 0, VG_SMTP_TEMPFAIL},
        {CURLE_RECV_ERROR, VG_SMTP_STAGE_MESSAGE, 354, VG_SMTP_TEMPFAIL},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum vg_smtp_outcome o =
            vg__smtp_classify(cases[i].curl, cases[i].stage, cases[i].code);

        if (o != cases[i].want)
            TH_FAIL_("case %zu: %s, want %s", i, vg_smtp_outcome_name(o),
                     vg_smtp_outcome_name(cases[i].want));
    }
    TH_EQ_STR(vg_smtp_stage_name(VG_SMTP_STAGE_MESSAGE), "message");
    TH_EQ_STR(vg_smtp_stage_name((enum vg_smtp_stage)99), "unknown");
    TH_EQ_STR(vg_smtp_rcpt_state_name(VG_SMTP_RCPT_PERMFAIL), "permanent");
}

static int64_t fixed_clock(void *ctx)
{
    return *(int64_t *)ctx;
}

static void test_config_refused(void)
{
    struct vg_smtp_config c;
    struct vg_smtp_result res;
    struct vg_mail m = notice();
    struct vg_err err;

    vg_smtp_config_init(&c);
    TH_EQ_INT(c.starttls, VG_SMTP_TLS_REQUIRED);
    TH_EQ_INT(c.timeout_ms, 60000);
    c.url = "http://relay.example";
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL);
    TH_EQ_INT(res.outcome, VG_SMTP_LOCALFAIL);
    c.url = "smtp://relay.example\r\nx";
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL);
    /* a password never goes where TLS is not certain */
    c.url = "smtp://relay.example:587";
    c.username = "vigil";
    c.password = "secret";
    c.starttls = VG_SMTP_TLS_TRY;
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL);
    TH_CHECK(strstr(err.msg, "only sent over TLS") != NULL);
    c.starttls = VG_SMTP_TLS_NONE;
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL);
    c.username = NULL;
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL); /* no user */
    c.password = NULL;
    c.envelope_from = "bounces@@hotline.example";
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL);
    c.envelope_from = NULL;
    /* a message that cannot be built is a permanent failure */
    m.subject = "x\ny";
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EINVAL);
    TH_EQ_INT(res.outcome, VG_SMTP_PERMFAIL);
    m = notice();
    c.max_message = 100;
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_ETOOBIG);
    TH_EQ_INT(res.outcome, VG_SMTP_PERMFAIL);
}

static void test_relay_down(void)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    struct vg_smtp_config c;
    struct vg_smtp_result res;
    struct vg_mail m = notice();
    struct vg_err err = {0};
    char url[64];
    int64_t now = 1751371200;
    int s = socket(AF_INET, SOCK_STREAM, 0);

    /* a port that was just free and is closed again */
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    TH_CHECK(s >= 0 && !bind(s, (struct sockaddr *)&sa, sizeof(sa)) &&
             !getsockname(s, (struct sockaddr *)&sa, &sl));
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
    close(s);
    vg_smtp_config_init(&c);
    c.url = url;
    c.starttls = VG_SMTP_TLS_NONE;
    c.connect_timeout_ms = 2000;
    c.clock = fixed_clock;
    c.clock_ctx = &now;
    m.date = 0;
    TH_EQ_INT(vg_smtp_send(&c, &m, &res, &err), VG_EIO);
    TH_EQ_INT(res.outcome, VG_SMTP_TEMPFAIL);
    TH_EQ_INT(res.stage, VG_SMTP_STAGE_CONNECT);
    TH_EQ_INT(res.code, 0);
    TH_EQ_INT(res.curl_code, CURLE_COULDNT_CONNECT);
    TH_CHECK(res.detail[0] != '\0');
    TH_EQ_INT(res.nrcpt, 2);
    TH_EQ_INT(res.rcpt[0].state, VG_SMTP_RCPT_UNTRIED);
    TH_EQ_INT(res.rcpt[1].state, VG_SMTP_RCPT_UNTRIED);
    TH_CHECK(!strncmp(err.msg, "temporary failure (connect): ", 29));
}

/* ---- retries ---- */

static uint32_t fixed_random(void *ctx)
{
    return *(uint32_t *)ctx;
}

static void test_backoff(void)
{
    static const int64_t want[] = {60,    300,   1800,  7200,  21600,
                                   21600, 21600, 21600, 21600, 21600,
                                   21600, 21600, 21600, 21600, 21600,
                                   21600, 21600, 21600, 21600, -1};
    static const uint32_t table[] = {10, 20};
    struct vg_smtp_backoff b;
    int64_t total = 0;
    uint32_t r;

    vg_smtp_backoff_init(&b);
    TH_EQ_INT(b.max_attempts, 20);
    for (unsigned a = 1; a <= 20; a++) {
        TH_EQ_INT(vg_smtp_backoff_delay(&b, a), want[a - 1]);
        if (want[a - 1] > 0)
            total += want[a - 1];
    }
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 21), -1);
    TH_EQ_INT(vg_smtp_backoff_delay(NULL, 1), 60); /* the defaults */
    TH_EQ_INT(total, 333360); /* 3.9 days: RFC 5321 4.5.4.1 */
    b.delays = table;
    b.ndelays = 2;
    b.max_attempts = 4;
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 1), 10);
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 2), 20);
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 3), 20);
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 4), -1);
    /* jitter: +-10% of 60 s, from the injected randomness */
    vg_smtp_backoff_init(&b);
    b.jitter_pct = 10;
    b.random = fixed_random;
    b.random_ctx = &r;
    r = 0;
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 1), 54);
    r = 0xffffffffu;
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 1), 66);
    r = 0x80000000u;
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 1), 60);
    r = 0;
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 5), 19440);
    b.jitter_pct = 100; /* never below a second */
    TH_EQ_INT(vg_smtp_backoff_delay(&b, 1), 1);
    /* the default randomness stays in range */
    vg_smtp_backoff_init(&b);
    b.jitter_pct = 20;
    for (int i = 0; i < 100; i++) {
        int64_t d = vg_smtp_backoff_delay(&b, 2);

        if (d < 240 || d > 360)
            TH_FAIL_("jittered delay %lld", (long long)d);
    }
}

int main(void)
{
    TH_RUN(test_exact_bytes);
    TH_RUN(test_plain_subject_folding);
    TH_RUN(test_header_injection);
    TH_RUN(test_addresses);
    TH_RUN(test_message_ids);
    TH_RUN(test_size_cap);
    TH_RUN(test_line_breaks);
    TH_RUN(test_alloc_failure);
    TH_RUN(test_qp_edges);
    TH_RUN(test_qp_roundtrip);
    TH_RUN(test_header_roundtrip);
    TH_RUN(test_classify);
    TH_RUN(test_config_refused);
    TH_RUN(test_relay_down);
    TH_RUN(test_backoff);
    return th_done();
}
