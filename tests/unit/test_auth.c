/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Passwords: Argon2id hashes that verify the right password and only it,
 * the password rule counted in characters (not bytes), and hashes that are
 * not ours refused rather than trusted.
 */
#include <string.h>

#include "th.h"
#include "vigil/auth.h"
#include "vigil/store_people.h"

static void test_hash_verify(void)
{
    char h[VG_PASSWORD_HASH_MAX + 1], h2[VG_PASSWORD_HASH_MAX + 1];
    struct vg_err err = {0};

    TH_EQ_INT(vg_auth_init(), VG_OK);
    TH_EQ_INT(vg_auth_hash_password("correct horse battery", h, &err), VG_OK);
    TH_CHECK(!strncmp(h, "$argon2id$", 10));
    TH_EQ_INT(vg_auth_verify_password(h, "correct horse battery"), 1);
    TH_EQ_INT(vg_auth_verify_password(h, "correct horse batterY"), 0);
    TH_EQ_INT(vg_auth_verify_password(h, ""), 0);
    TH_EQ_INT(vg_auth_needs_rehash(h), 0);
    /* salted: the same password hashes differently each time */
    TH_EQ_INT(vg_auth_hash_password("correct horse battery", h2, &err), VG_OK);
    TH_CHECK(strcmp(h, h2) != 0);
    /* the stand-in for unknown names: today's cost, matched by nothing */
    TH_EQ_INT(vg_auth_needs_rehash(vg_auth_dummy_hash), 0);
    TH_EQ_INT(vg_auth_verify_password(vg_auth_dummy_hash, ""), 0);
    TH_EQ_INT(vg_auth_verify_password(vg_auth_dummy_hash,
                                      "correct horse battery"),
              0);
    /* not an Argon2id hash: never a match */
    TH_EQ_INT(vg_auth_verify_password("", "x"), 0);
    TH_EQ_INT(vg_auth_verify_password("correct horse battery",
                                      "correct horse battery"),
              0);
    TH_EQ_INT(vg_auth_verify_password("$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA",
                                      "x"),
              0);
}

static void test_rule(void)
{
    char h[VG_PASSWORD_HASH_MAX + 1], big[VG_PASSWORD_MAX + 2];
    struct vg_err err = {0};

    TH_EQ_INT(vg_auth_password_check("eleven char", &err), VG_EINVAL);
    TH_CHECK(strstr(err.msg, "at least 12") != NULL);
    TH_EQ_INT(vg_auth_password_check("twelve chars", &err), VG_OK);
    /* 11 characters in 22 bytes are still too short */
    TH_EQ_INT(vg_auth_password_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                     "\xc3\xa9",
                                     &err),
              VG_EINVAL);
    TH_EQ_INT(vg_auth_password_check("mot de passe \xc3\xa9t\xc3\xa9", &err),
              VG_OK);
    TH_EQ_INT(vg_auth_password_check("bad \xff utf-8 password", &err),
              VG_EINVAL);
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    TH_EQ_INT(vg_auth_password_check(big, &err), VG_EINVAL);
    TH_EQ_INT(vg_auth_hash_password("short", h, &err), VG_EINVAL);
}

static void test_apikeys(void)
{
    char key[VG_APIKEY_LEN + 1], key2[VG_APIKEY_LEN + 1];
    unsigned char h[32], again[32], h2[32];

    TH_EQ_INT(vg_auth_apikey_new(key, h), VG_OK);
    TH_EQ_INT(strlen(key), VG_APIKEY_LEN);
    TH_CHECK(!strncmp(key, "vgk_", 4));
    TH_EQ_INT(vg_auth_apikey_hash(key, again), VG_OK);
    TH_CHECK(!memcmp(h, again, 32));
    TH_EQ_INT(vg_auth_apikey_new(key2, h2), VG_OK);
    TH_CHECK(strcmp(key, key2) != 0 && memcmp(h, h2, 32) != 0);
    /* not shaped as a key: refused before any lookup */
    TH_EQ_INT(vg_auth_apikey_hash("", again), VG_EINVAL);
    TH_EQ_INT(vg_auth_apikey_hash("vgk_xyz", again), VG_EINVAL);
    key[10] = 'G';
    TH_EQ_INT(vg_auth_apikey_hash(key, again), VG_EINVAL);
}

int main(void)
{
    TH_RUN(test_apikeys);
    TH_RUN(test_hash_verify);
    TH_RUN(test_rule);
    return th_done();
}
