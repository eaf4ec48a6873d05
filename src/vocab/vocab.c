/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vocabularies' tables (vigil/vocab.h).  A new code is a row here
 * and its strings in web/i18n/en.txt and fr.txt; nothing else lists codes.
 * The incident types are those of the Canadian tip-line (docs/DOMAIN.md).
 */
#include <string.h>

#include "vigil/vocab.h"

#define ROWS(a) a, sizeof(a) / sizeof(a[0])

static const struct vg_vocab_row incident_types[] = {
    {"csam", 0},         {"luring", VG_VOCAB_ASK_LURING},
    {"prostitution", 0}, {"travel", 0},
    {"trafficking", 0},  {"explicit_material", 0},
    {"agreement", 0},    {"intimate_images", VG_VOCAB_ASK_INTIMATE},
};

static const struct vg_vocab_row technologies[] = {
    {"website", VG_VOCAB_DEFAULT | VG_VOCAB_NEEDS_URLS},
    {"p2p", 0},
    {"magnet", 0},
    {"newsgroup", 0},
    {"email", 0},
    {"chat", 0},
    {"gaming", 0},
    {"other", 0},
};

static const struct vg_vocab_row outcomes[] = {
    {"police", 0},
    {"child_welfare", 0},
    {"partner_hotline", 0},
    {"no_action", 0},
};

/* The store derives a report's status from its incidents (new: none yet;
 * in_review: one without an outcome; closed): these codes are the SQL's. */
static const struct vg_vocab_row report_statuses[] = {
    {"new", 0},
    {"in_review", 0},
    {"closed", 0},
};

/* In enum vg_review_class order. */
static const struct vg_vocab_row review_classes[] = {
    {"csam", VG_VOCAB_DEFAULT | VG_VOCAB_ACTIONABLE},
    {"harmful-abusive", VG_VOCAB_ACTIONABLE},
    {"not-actionable", 0},
};

/* In enum vg_role order. */
static const struct vg_vocab_row roles[] = {
    {"analyst", VG_VOCAB_DEFAULT},
    {"admin", VG_VOCAB_ADMIN},
};

static const struct vg_vocab vocabs[VG_VOCAB_KINDS] = {
    [VG_VOCAB_INCIDENT_TYPE] = {"incident_type",
                                {"type.%s.name", "type.%s.desc"},
                                ROWS(incident_types)},
    [VG_VOCAB_TECHNOLOGY] = {"technology",
                             {"tech.%s", NULL},
                             ROWS(technologies)},
    [VG_VOCAB_OUTCOME] = {"outcome", {"outcome.%s", NULL}, ROWS(outcomes)},
    [VG_VOCAB_REPORT_STATUS] = {"status",
                                {"status.%s", NULL},
                                ROWS(report_statuses)},
    [VG_VOCAB_REVIEW_CLASS] = {"review_class",
                               {"review.class.%s", NULL},
                               ROWS(review_classes)},
    [VG_VOCAB_ROLE] = {"role", {"admin.role.%s", NULL}, ROWS(roles)},
};

const struct vg_vocab *vg_vocab_get(enum vg_vocab_kind k)
{
    return (unsigned)k < VG_VOCAB_KINDS ? &vocabs[k] : NULL;
}

size_t vg_vocab_count(enum vg_vocab_kind k)
{
    const struct vg_vocab *v = vg_vocab_get(k);

    return v ? v->n : 0;
}

const struct vg_vocab_row *vg_vocab_row(enum vg_vocab_kind k, size_t i)
{
    const struct vg_vocab *v = vg_vocab_get(k);

    return v && i < v->n ? &v->rows[i] : NULL;
}

int vg_vocab_find(enum vg_vocab_kind k, const char *code)
{
    const struct vg_vocab *v = vg_vocab_get(k);

    for (size_t i = 0; v && code && i < v->n; i++)
        if (!strcmp(code, v->rows[i].code))
            return (int)i;
    return -1;
}

int vg_vocab_has(enum vg_vocab_kind k, const char *code)
{
    return vg_vocab_find(k, code) >= 0;
}

unsigned vg_vocab_flags(enum vg_vocab_kind k, const char *code)
{
    int i = vg_vocab_find(k, code);

    return i < 0 ? 0 : vocabs[k].rows[i].flags;
}

const char *vg_vocab_code(enum vg_vocab_kind k, size_t i)
{
    const struct vg_vocab_row *r = vg_vocab_row(k, i);

    return r ? r->code : NULL;
}

const struct vg_vocab_row *vg_vocab_first(enum vg_vocab_kind k, unsigned flags)
{
    const struct vg_vocab *v = vg_vocab_get(k);

    for (size_t i = 0; v && i < v->n; i++)
        if ((v->rows[i].flags & flags) == flags)
            return &v->rows[i];
    return NULL;
}

const char *vg_vocab_default(enum vg_vocab_kind k)
{
    const struct vg_vocab_row *r = vg_vocab_first(k, VG_VOCAB_DEFAULT);

    return r ? r->code : NULL;
}

int vg_vocab_key(enum vg_vocab_kind k, size_t i, int which, char *buf,
                 size_t cap)
{
    const struct vg_vocab *v = vg_vocab_get(k);
    const char *pat, *at;
    size_t pre, code, post;

    if (!v || i >= v->n || which < 0 || which >= VG_VOCAB_MAX_KEYS ||
        !(pat = v->keys[which]) || !(at = strstr(pat, "%s")))
        return VG_ENOENT;
    /* the pattern's text around its one %s, spliced by hand: a format
     * that is not a literal is not handed to printf */
    pre = (size_t)(at - pat);
    code = strlen(v->rows[i].code);
    post = strlen(at + 2);
    if (pre + code + post >= cap)
        return VG_ETOOBIG;
    memcpy(buf, pat, pre);
    memcpy(buf + pre, v->rows[i].code, code);
    memcpy(buf + pre + code, at + 2, post + 1);
    return VG_OK;
}
