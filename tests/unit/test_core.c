/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The domain layer (module `core`): every row of every vocabulary has its
 * catalogue strings in English and French, lookups by code, flags and
 * defaults, catalogue keys, and no list of the codes left anywhere else in
 * src/ or web/templates/ (the tables are the only one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "vigil/core_vocab.h"
#include "vigil/i18n.h"

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
                        TH_FAIL_("%s: no %s string for %s", v->name,
                                 langs[l], key);
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
                     " grep -v '^src/core/vocab.c:'",
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

int main(void)
{
    TH_RUN(test_catalogue_strings);
    TH_RUN(test_lookup);
    TH_RUN(test_no_other_list);
    return th_done();
}
