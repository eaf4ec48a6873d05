/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vocabularies and the domain layer (modules `vocab` and `core`):
 * every row of every vocabulary has its catalogue strings in English and
 * French, lookups by code, flags and defaults, catalogue keys, and no list
 * of the codes left anywhere else in src/ or web/templates/ (the tables
 * are the only one); list changes each leave one audit record with their
 * actor, the operator named, and a refused change none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "th_db.h"
#include "vigil/core_audit.h"
#include "vigil/core_lists.h"
#include "vigil/vocab.h"
#include "vigil/i18n.h"
#include "vigil/store_people.h"

/* The chain's walk, as count and first bad record. */
static int audit_verify(struct vg_store *st, int64_t *count, int64_t *bad,
                        struct vg_err *err)
{
    struct vg_audit_verdict v;
    int rc = vg_store_audit_verify(st, &v, err);

    *count = v.count;
    *bad = v.bad;
    return rc;
}

static void test_catalogue_strings(void)
{
    struct vg_i18n *i = NULL;
    struct vg_err err;
    static const char *const langs[] = {"en", "fr"};
    char key[128];

    vg_err_clear(&err);
    TH_EQ_INT(vg_i18n_load_dir(VIGIL_SOURCE_DIR "/web/i18n", &i, &err), VG_OK);
    if (!i) {
        TH_FAIL_("%s", err.msg);
        return;
    }
    for (int k = 0; k < VG_VOCAB_KINDS; k++) {
        const struct vg_vocab *v = vg_vocab_get((enum vg_vocab_kind)k);
        TH_CHECK(v && v->n > 0 && v->keys[0]);
        for (size_t r = 0; v && r < v->n; r++)
            for (int w = 0; w < VG_VOCAB_MAX_KEYS && v->keys[w]; w++) {
                TH_EQ_INT(vg_vocab_key((enum vg_vocab_kind)k, r, w, key,
                                       sizeof(key)),
                          VG_OK);
                for (size_t l = 0; l < 2; l++)
                    if (!vg_i18n_has(i, langs[l], key))
                        TH_FAIL_("%s: no %s string for %s", v->name, langs[l],
                                 key);
            }
    }
    vg_i18n_free(i);
}

static void test_lookup(void)
{
    char key[16];

    TH_EQ_INT(vg_vocab_count(VG_VOCAB_INCIDENT_TYPE), 8);
    TH_EQ_INT(vg_vocab_find(VG_VOCAB_INCIDENT_TYPE, "luring"), 1);
    TH_EQ_INT(vg_vocab_find(VG_VOCAB_INCIDENT_TYPE, "LURING"), -1);
    TH_EQ_INT(vg_vocab_find(VG_VOCAB_INCIDENT_TYPE, ""), -1);
    TH_EQ_INT(vg_vocab_find(VG_VOCAB_INCIDENT_TYPE, NULL), -1);
    TH_CHECK(vg_vocab_has(VG_VOCAB_OUTCOME, "police"));
    TH_CHECK(!vg_vocab_has(VG_VOCAB_OUTCOME, "csam"));
    TH_CHECK(vg_vocab_flags(VG_VOCAB_INCIDENT_TYPE, "luring") &
             VG_VOCAB_ASK_LURING);
    TH_CHECK(vg_vocab_flags(VG_VOCAB_TECHNOLOGY, "website") &
             VG_VOCAB_NEEDS_URLS);
    TH_EQ_INT(vg_vocab_flags(VG_VOCAB_TECHNOLOGY, "nowhere"), 0);
    TH_CHECK(!(vg_vocab_flags(VG_VOCAB_REVIEW_CLASS, "not-actionable") &
               VG_VOCAB_ACTIONABLE));
    TH_EQ_STR(vg_vocab_default(VG_VOCAB_REVIEW_CLASS), "csam");
    TH_EQ_STR(vg_vocab_default(VG_VOCAB_TECHNOLOGY), "website");
    TH_EQ_STR(vg_vocab_default(VG_VOCAB_ROLE), "analyst");
    TH_CHECK(!vg_vocab_default(VG_VOCAB_OUTCOME));
    TH_CHECK(!vg_vocab_code(VG_VOCAB_OUTCOME, 99));
    TH_CHECK(!vg_vocab_get(VG_VOCAB_KINDS));
    TH_EQ_INT(vg_vocab_key(VG_VOCAB_OUTCOME, 0, 0, key, sizeof(key)), VG_OK);
    TH_EQ_STR(key, "outcome.police");
    TH_EQ_INT(vg_vocab_key(VG_VOCAB_OUTCOME, 0, 1, key, sizeof(key)),
              VG_ENOENT);
    TH_EQ_INT(vg_vocab_key(VG_VOCAB_OUTCOME, 1, 0, key, 8), VG_ETOOBIG);
}

/* Lines of `grep` output for a code quoted as a C string in src/ (but the
 * tables) or as a form value in the templates; codes that are also plain
 * words elsewhere ("email", "other", "new", "admin"; "luring", the key of
 * a report's luring answers in its details) are left out: they would match
 * JSON keys and fetch errors. */
static void test_no_other_list(void)
{
    static const char *const common[] = {"email", "other", "new", "admin",
                                         "luring"};
    char cmd[1024], line[512];

    for (int k = 0; k < VG_VOCAB_KINDS; k++)
        for (size_t r = 0; r < vg_vocab_count((enum vg_vocab_kind)k); r++) {
            const char *c = vg_vocab_code((enum vg_vocab_kind)k, r);
            int skip = 0;
            FILE *p;
            for (size_t j = 0; j < sizeof(common) / sizeof(*common); j++)
                skip |= !strcmp(c, common[j]);
            if (skip)
                continue;
            snprintf(cmd, sizeof(cmd),
                     "cd '%s' && { grep -rnF --include='*.c' '\"%s\"' src;"
                     " grep -rnF 'value=\"%s\"' web/templates; } |"
                     " grep -v '^src/vocab/vocab.c:'",
                     VIGIL_SOURCE_DIR, c, c);
            if (!(p = popen(cmd, "r"))) {
                TH_FAIL_("cannot run grep");
                return;
            }
            while (fgets(line, sizeof(line), p))
                TH_FAIL_("a list of codes outside the tables: %s", line);
            pclose(p);
        }
}

struct audit_seen {
    char lines[16][256];
    int n;
};

static int audit_cb(void *ctx, const struct vg_audit_record *r)
{
    struct audit_seen *a = ctx;

    if (a->n < 16)
        snprintf(a->lines[a->n++], sizeof(a->lines[0]), "%lld %s %s#%lld %s",
                 (long long)r->actor, r->action, r->object_type,
                 (long long)r->object_id, r->detail ? r->detail : "");
    return VG_OK;
}

static void test_list_changes_audited(void)
{
    char dir[] = "/tmp/vg_core_XXXXXX", db[128], who[VG_OPERATOR_MAX + 1],
         want[256], cmd[160];
    struct vg_store *st = NULL;
    struct vg_err err = {0};
    struct vg_list l, got;
    struct audit_seen seen = {{{0}}, 0};
    int64_t id = 0;

    TH_CHECK(mkdtemp(dir) != NULL);
    TH_EQ_INT(th_db_url(db, sizeof(db), dir, "v.db"), 0);
    TH_EQ_INT(vg_store_open(db, NULL, &st, &err), VG_OK);
    if (!st)
        return;
    TH_EQ_INT(vg_core_operator_name(who, sizeof(who)), VG_OK);
    TH_CHECK(!strncmp(who, "cli:", 4) && who[4]);
    TH_EQ_INT(vg_core_operator_name(who, 4), VG_ETOOBIG);
    vg_store_set_operator(st, "cli:tester");
    memset(&l, 0, sizeof(l));
    strcpy(l.name, "known");
    l.pdq_distance = 31;
    l.enabled = 1;
    TH_EQ_INT(vg_core_list_create(st, VG_ACTOR_OPERATOR, &l, &id, &err),
              VG_OK);
    TH_EQ_INT(vg_store_list_get(st, "known", &got, &err), VG_OK);
    TH_EQ_STR(got.category, "csam"); /* the default class */
    TH_EQ_INT(vg_core_list_create(st, 7, &l, &id, &err), VG_EEXIST);
    TH_EQ_INT(vg_core_list_set_enabled(st, 7, "known", 0, &got, &err), VG_OK);
    TH_EQ_INT(vg_core_list_set_enabled(st, 7, "nosuch", 0, NULL, &err),
              VG_ENOENT);
    TH_EQ_INT(vg_core_entry_set_enabled(st, 7, id, 12345, 0, &err), VG_ENOENT);
    TH_EQ_INT(vg_core_list_delete(st, 0, "known", 0, &got, &err), VG_OK);
    TH_EQ_INT(vg_store_audit(st, 0, 0, audit_cb, &seen, NULL, &err), VG_OK);
    TH_EQ_INT(seen.n, 3);
    snprintf(want, sizeof(want),
             "0 list.create list#%lld [cli:tester] known, block list, "
             "category csam",
             (long long)id);
    TH_EQ_STR(seen.lines[0], want);
    snprintf(want, sizeof(want), "7 list.disable list#%lld known",
             (long long)id);
    TH_EQ_STR(seen.lines[1], want);
    snprintf(want, sizeof(want), "0 list.delete list#%lld [cli:tester] known",
             (long long)id);
    TH_EQ_STR(seen.lines[2], want);
    TH_EQ_INT(audit_verify(st, &id, &id, &err), VG_OK);
    vg_store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    th_run(cmd);
}

int main(void)
{
    TH_RUN(test_catalogue_strings);
    TH_RUN(test_lookup);
    TH_RUN(test_no_other_list);
    TH_RUN(test_list_changes_audited);
    return th_done();
}
