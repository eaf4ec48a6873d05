/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: SMTP replies as vg_smtp_send follows them in libcurl's
 * transcript (vg__smtp_conv_feed, src/notice/smtp.c).  The input is a
 * transcript, one chunk a line: "> CMD" a command the client sent, "~..."
 * server bytes without their line break (the next line goes on with
 * them), any other line server bytes with their line break.  The first
 * byte sets how many recipients the message has (1..VG_SMTP_MAX_RCPT).
 * Invariants checked (abort on violation): the result's code and reply
 * agree with a small model here (a reply line is three digits 1xx-5xx,
 * the last line of a reply has no '-' after them, lines are joined by a
 * space, carriage returns dropped, other bytes outside printable ASCII
 * shown as '?', cut at VG_SMTP_REPLY_MAX - 1 as smtp.h says; replies after
 * QUIT do not count); every reply stored is NUL-terminated printable ASCII
 * starting with a reply code (its first line's; the code is the last
 * line's); a recipient's entry is filled only for a RCPT command sent, its
 * state agrees with its code, the others stay untried.  Never a crash or
 * undefined behaviour (ASan+UBSan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notice/smtp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct model {
    int quitting, code;
    size_t rcpt_cmds;
    char line[VG_SMTP_REPLY_MAX], cur[VG_SMTP_REPLY_MAX];
    char reply[VG_SMTP_REPLY_MAX];
    size_t linelen, curlen;
};

static void model_line(struct model *m)
{
    const char *l = m->line;
    size_t n = m->linelen;

    if (n < 3 || l[0] < '1' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
        l[2] < '0' || l[2] > '9')
        return;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 && m->curlen && m->curlen < VG_SMTP_REPLY_MAX - 1)
            m->cur[m->curlen++] = ' ';
        if (m->curlen < VG_SMTP_REPLY_MAX - 1)
            m->cur[m->curlen++] = l[i];
    }
    m->cur[m->curlen] = '\0';
    if (n == 3 || l[3] != '-') {
        if (!m->quitting) {
            m->code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
            memcpy(m->reply, m->cur, m->curlen + 1);
        }
        m->curlen = 0;
        m->cur[0] = '\0';
    }
}

static void model_bytes(struct model *m, const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '\n') {
            model_line(m);
            m->linelen = 0;
        } else if (c != '\r' && m->linelen < VG_SMTP_REPLY_MAX - 1) {
            m->line[m->linelen++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
    }
}

static void model_command(struct model *m, const char *d, size_t n)
{
    if (n >= 4 && !strncasecmp(d, "QUIT", 4))
        m->quitting = 1;
    else if (n >= 8 && !strncasecmp(d, "RCPT TO:", 8))
        m->rcpt_cmds++;
}

/* A stored reply: printable ASCII, NUL-terminated, starting with code. */
static void check_reply(const char *r, int code)
{
    size_t n = strnlen(r, VG_SMTP_REPLY_MAX);

    if (n == VG_SMTP_REPLY_MAX)
        abort();
    for (size_t i = 0; i < n; i++)
        if (r[i] < 0x20 || r[i] > 0x7e)
            abort();
    if (!code) {
        if (n)
            abort();
        return;
    }
    /* the code is the last line's; a hostile server may start a reply
     * with another one (RFC 5321 4.2.1 says all lines share it) */
    if (code < 100 || code > 599 || n < 3 || r[0] < '1' || r[0] > '5' ||
        r[1] < '0' || r[1] > '9' || r[2] < '0' || r[2] > '9')
        abort();
}

static void check_rcpt(const struct vg_smtp_result *res, size_t cmds)
{
    for (size_t i = 0; i < VG_SMTP_MAX_RCPT; i++) {
        const struct vg_smtp_rcpt *r = &res->rcpt[i];
        enum vg_smtp_rcpt_state want = VG_SMTP_RCPT_UNTRIED;

        check_reply(r->reply, r->code);
        if (!r->code) {
            if (r->state != VG_SMTP_RCPT_UNTRIED)
                abort();
            continue;
        }
        if (i >= res->nrcpt || i >= cmds)
            abort();
        if (r->code >= 200 && r->code < 300)
            want = VG_SMTP_RCPT_ACCEPTED;
        else if (r->code >= 400 && r->code < 500)
            want = VG_SMTP_RCPT_TEMPFAIL;
        else
            want = VG_SMTP_RCPT_PERMFAIL;
        if (r->state != want)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_smtp_result res;
    static struct vg__smtp_conv c;
    static struct model m;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;

    if (size < 1)
        return 0;
    memset(&res, 0, sizeof(res));
    memset(&c, 0, sizeof(c));
    memset(&m, 0, sizeof(m));
    res.nrcpt = 1 + data[0] % VG_SMTP_MAX_RCPT;
    c.res = &res;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl + 1 : end;

        if (*p == '>') {
            const char *cmd = p + 1 + (p + 1 < e && p[1] == ' ');
            vg__smtp_conv_feed(&c, 1, cmd, (size_t)(e - cmd));
            model_command(&m, cmd, (size_t)(e - cmd));
        } else {
            const char *d = p + (*p == '~');
            size_t n = (size_t)((*p == '~' && nl ? nl : e) - d);
            vg__smtp_conv_feed(&c, 0, d, n);
            model_bytes(&m, d, n);
        }
        p = e;
    }
    if (res.code != m.code || strcmp(res.reply, m.reply))
        abort();
    check_reply(res.reply, res.code);
    check_rcpt(&res, m.rcpt_cmds);
    if ((int)c.stage < VG_SMTP_STAGE_CONNECT ||
        (int)c.stage > VG_SMTP_STAGE_QUIT)
        abort();
    return 0;
}
