/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Notice texts (notice_int.h): the operator's templates, one plain-text
 * file per language (web/notices/<lang>.txt), in sections:
 *
 *   --- subject        one line
 *   --- body           the letter; {urls} is where the list goes
 *   --- url            one item of the list
 *   --- reminder       said when some URLs were notified before ({n})
 *   --- categories     "code = words" lines
 *
 * Placeholders: {hotline} {provider} {count} {reference} {urls}
 * {legal_basis} {contact} {reminder} in the body and subject; {url}
 * {detected} {sha256} {category} in an item; {n} in the reminder.  An
 * unknown placeholder is an error when the template is loaded.  Notices are
 * text/plain: nothing is escaped, and the values (canonical URLs, hex,
 * UTC times, the operator's own texts) cannot break the message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notice/notice_int.h"
#include "vigil/alloc.h"

#define TEMPLATE_MAX (64u << 10)

static const char *const section_names[VG__NT_NSECTIONS] = {"subject", "body",
                                                            "url", "reminder",
                                                            "categories"};

static const char *const allowed[VG__NT_NSECTIONS] = {
    " hotline provider count reference urls legal_basis contact reminder ",
    " hotline provider count reference urls legal_basis contact reminder ",
    " url detected sha256 category ", " n ", ""};

void vg__notice_text_free(struct vg__notice_text *t)
{
    if (!t)
        return;
    vg_free(t->mem);
    memset(t, 0, sizeof(*t));
}

/* Check the placeholders of section i. */
static int check_placeholders(const char *path, int i, const char *text,
                              struct vg_err *err)
{
    for (const char *p = strchr(text, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        char name[40];
        if (!e || e - p - 1 <= 0 || e - p - 1 >= (long)sizeof(name) - 2)
            continue;
        snprintf(name, sizeof(name), " %.*s ", (int)(e - p - 1), p + 1);
        if (!strstr(allowed[i], name))
            return vg_err_set(err, VG_EFORMAT,
                              "%s: section %s: unknown placeholder {%.*s}",
                              path, section_names[i], (int)(e - p - 1), p + 1);
    }
    return VG_OK;
}

int vg__notice_text_load(const char *path, struct vg__notice_text *t,
                         struct vg_err *err)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    char *p;
    int cur = -1;

    memset(t, 0, sizeof(*t));
    if (!f)
        return vg_err_set(err, VG_ENOENT, "cannot open %s", path);
    if (!(t->mem = vg_malloc(TEMPLATE_MAX + 1))) {
        fclose(f);
        return VG_ENOMEM;
    }
    n = fread(t->mem, 1, TEMPLATE_MAX + 1, f);
    fclose(f);
    if (n > TEMPLATE_MAX) {
        vg__notice_text_free(t);
        return vg_err_set(err, VG_ETOOBIG, "%s: more than %u bytes", path,
                          TEMPLATE_MAX);
    }
    t->mem[n] = '\0';
    /* split at "--- name" lines; each section ends before the next */
    for (p = t->mem; p && *p;) {
        char *nl = strchr(p, '\n');
        if (!strncmp(p, "--- ", 4)) {
            char *name = p + 4, *end = nl ? nl : p + strlen(p);
            while (end > name && (end[-1] == '\r' || end[-1] == ' '))
                end--;
            *end = '\0';
            cur = -1;
            for (int i = 0; i < VG__NT_NSECTIONS; i++)
                if (!strcmp(name, section_names[i]))
                    cur = i;
            if (cur < 0) {
                int rc = vg_err_set(err, VG_EFORMAT,
                                    "%s: unknown section \"%s\"", path, name);
                vg__notice_text_free(t);
                return rc;
            }
            if (p > t->mem)
                p[-1] = '\0'; /* ends the section before */
            t->section[cur] = nl ? nl + 1 : end;
        }
        p = nl ? nl + 1 : NULL;
    }
    for (int i = 0; i < VG__NT_NSECTIONS; i++) {
        int rc;
        if (!t->section[i]) {
            rc = vg_err_set(err, VG_EFORMAT, "%s: no \"--- %s\" section", path,
                            section_names[i]);
            vg__notice_text_free(t);
            return rc;
        }
        /* trailing blank lines are the file's layout, not the text's */
        for (char *e = t->section[i] + strlen(t->section[i]);
             e > t->section[i] && (e[-1] == '\n' || e[-1] == '\r');)
            *--e = '\0';
        if ((rc = check_placeholders(path, i, t->section[i], err))) {
            vg__notice_text_free(t);
            return rc;
        }
    }
    if (strchr(t->section[VG__NT_SUBJECT], '\n')) {
        vg__notice_text_free(t);
        return vg_err_set(err, VG_EFORMAT, "%s: the subject is one line",
                          path);
    }
    return VG_OK;
}

const char *vg__notice_category(const struct vg__notice_text *t,
                                const char *code, char *buf, size_t n)
{
    const char *p = t->section[VG__NT_CATEGORIES];
    size_t len = strlen(code);

    while (p && *p) {
        const char *nl = strchr(p, '\n'), *eq;
        while (*p == ' ')
            p++;
        if (!strncmp(p, code, len) && (eq = strchr(p, '=')) &&
            (!nl || eq < nl)) {
            const char *q = p + len;
            while (*q == ' ')
                q++;
            if (q == eq) {
                eq++;
                while (*eq == ' ')
                    eq++;
                snprintf(buf, n, "%.*s",
                         (int)((nl ? nl : eq + strlen(eq)) - eq), eq);
                return buf;
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    return code;
}

int vg__notice_fill(struct vg_buf *b, const char *text,
                    const char *const *names, const char *const *values,
                    size_t n)
{
    int rc = VG_OK;

    while (*text && !rc) {
        const char *open = strchr(text, '{'), *close;
        size_t i = n;
        if (!open)
            return vg_buf_puts(b, text);
        if ((close = strchr(open, '}')))
            for (i = 0; i < n; i++)
                if (strlen(names[i]) == (size_t)(close - open - 1) &&
                    !strncmp(open + 1, names[i], strlen(names[i])))
                    break;
        if (!(rc = vg_buf_append(b, text, (size_t)(open - text)))) {
            if (i < n) {
                rc = vg_buf_puts(b, values[i] ? values[i] : "");
                text = close + 1;
            } else {
                rc = vg_buf_append(b, open, 1);
                text = open + 1;
            }
        }
    }
    return rc;
}
