/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest: a sealed message opens with its key only, any
 * change to it is detected, the key file is made 0600 and a key file
 * others can read is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "th.h"
#include "vigil/alloc.h"
#include "vigil/seal.h"

static char dir[] = "/tmp/vigil-test-seal-XXXXXX";

static int contains(const uint8_t *h, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(h + i, needle, k))
            return 1;
    return 0;
}

static void test_seal(void)
{
    char k1[256], k2[256], *plain = NULL;
    struct vg_sealer *a = NULL, *b = NULL;
    struct vg_err err = {0};
    const char msg[] = "{\"email\":\"alex@example.org\"}";
    uint8_t *box = NULL, *box2 = NULL;
    size_t n = 0, n2 = 0, pn = 0;
    struct stat sb;

    snprintf(k1, sizeof(k1), "%s/a.key", dir);
    snprintf(k2, sizeof(k2), "%s/b.key", dir);
    TH_EQ_INT(vg_seal_open(k1, 0, &a, &err), VG_ENOENT);
    TH_EQ_INT(vg_seal_open(k1, 1, &a, &err), VG_OK);
    TH_EQ_INT(stat(k1, &sb), 0);
    TH_EQ_INT(sb.st_mode & 0777, 0600);
    TH_EQ_INT(sb.st_size, 32);
    TH_EQ_INT(vg_seal_open(k2, 1, &b, &err), VG_OK);
    TH_EQ_INT(vg_seal(a, msg, strlen(msg), &box, &n), VG_OK);
    TH_EQ_INT(n, strlen(msg) + 48);      /* key id, nonce, tag */
    TH_CHECK(!contains(box, n, "alex")); /* not in the clear */
    TH_EQ_INT(vg_unseal(a, box, n, &plain, &pn, &err), VG_OK);
    TH_EQ_INT(pn, strlen(msg));
    TH_EQ_STR(plain, msg);
    vg_free(plain);
    /* a fresh nonce each time */
    TH_EQ_INT(vg_seal(a, msg, strlen(msg), &box2, &n2), VG_OK);
    TH_CHECK(memcmp(box, box2, n) != 0);
    /* another key, a flipped bit, a cut: refused */
    TH_EQ_INT(vg_unseal(b, box, n, &plain, &pn, &err), VG_ECORRUPT);
    box[30] ^= 1;
    TH_EQ_INT(vg_unseal(a, box, n, &plain, &pn, &err), VG_ECORRUPT);
    TH_EQ_INT(vg_unseal(a, box2, 20, &plain, &pn, &err), VG_ECORRUPT);
    vg_free(box);
    vg_free(box2);
    vg_seal_free(a);
    vg_seal_free(b);
    /* the same key file again: the same key */
    TH_EQ_INT(vg_seal_open(k1, 1, &a, &err), VG_OK);
    vg_seal_free(a);
    /* others may read it: refused */
    TH_EQ_INT(chmod(k1, 0644), 0);
    TH_EQ_INT(vg_seal_open(k1, 0, &a, &err), VG_EACCES);
    TH_CHECK(strstr(err.msg, "chmod 600") != NULL);
}

int main(void)
{
    char cmd[300];
    int status;

    if (!mkdtemp(dir))
        return 1;
    TH_RUN(test_seal);
    status = th_done();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) ? 1 : status;
}
