/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit chain's key and its head file (vigil/store_people.h).  The key
 * is a file of 32 random bytes kept apart from the database, made and
 * checked as the sealing key's file is (src/web/seal.c): created 0600 with
 * O_EXCL, refused when the group or others may read it.  The head file
 * is opened O_APPEND; a line is written once the transaction that made
 * the records has committed, so it never names a record that was rolled
 * back.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"
#include "vigil/alloc.h"
#include "vigil/digest.h"
#include "vigil/keyfile.h"

#define KEY_LEN 32

int vg_store_audit_key(struct vg_store *st, const char *key_file, int create,
                       const char *head_file, struct vg_err *err)
{
    int rc, fd = -1;

    if (!key_file)
        return vg_err_set(err, VG_EINVAL, "no audit key file given");
    if ((rc = vg_keyfile_read(key_file, create, "the audit key", st->audit_key,
                              KEY_LEN, err)))
        return rc;
    if (head_file &&
        (fd = open(head_file,
                   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                   0600)) < 0) {
        OPENSSL_cleanse(st->audit_key, KEY_LEN);
        return vg_err_set(err, VG_EIO, "%s: %s", head_file, strerror(errno));
    }
    LOCK(st);
    vg_free(st->audit_key_file);
    if ((st->audit_key_file = vg_malloc(strlen(key_file) + 1)))
        memcpy(st->audit_key_file, key_file, strlen(key_file) + 1);
    st->audit_epoch = -1;
    st->audit_keyed = 1;
    if (st->audit_head_fd >= 0)
        close(st->audit_head_fd);
    st->audit_head_fd = fd;
    UNLOCK(st);
    return VG_OK;
}

int vg__store_audit_hmac(const struct vg_store *st, const void *p, size_t n,
                         uint8_t out[32])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_end()};
    size_t got = 0;
    int ok = c && EVP_MAC_init(c, st->audit_key, KEY_LEN, params) &&
             EVP_MAC_update(c, p, n) && EVP_MAC_final(c, out, &got, 32) &&
             got == 32;

    EVP_MAC_CTX_free(c);
    EVP_MAC_free(mac);
    return ok ? VG_OK : VG_EINTERNAL;
}

void vg__store_audit_committed(struct vg_store *st)
{
    char line[128];
    int n;

    if (!st->pending_id)
        return;
    if (st->audit_head_fd >= 0) {
        char mac[2 * 32 + 1];
        vg_hex_encode(st->pending_mac, 32, mac);
        n = snprintf(line, sizeof(line), "%lld %s %lld\n",
                     (long long)st->pending_id, mac,
                     (long long)st->pending_at);
        /* one write of a short line: whole, even beside another writer;
           a failure leaves the head file behind, which verify would show
           as an older head, never as a false one */
        if (write(st->audit_head_fd, line, (size_t)n) != n) {
            /* nothing more to do here: the records are committed */
        }
    }
    st->pending_id = 0;
}

void vg__store_audit_rolled_back(struct vg_store *st)
{
    st->pending_id = 0;
}

int vg__store_audit_reload(struct vg_store *st)
{
    uint8_t key[KEY_LEN];
    int rc;

    if (!st->audit_key_file)
        return VG_ENOENT;
    if (!(rc = vg_keyfile_read(st->audit_key_file, 0, "the audit key", key,
                               KEY_LEN, NULL)))
        memcpy(st->audit_key, key, KEY_LEN);
    OPENSSL_cleanse(key, KEY_LEN);
    return rc;
}

void vg__store_audit_close(struct vg_store *st)
{
    vg_free(st->audit_key_file);
    st->audit_key_file = NULL;
    if (st->audit_head_fd >= 0)
        close(st->audit_head_fd);
    st->audit_head_fd = -1;
    OPENSSL_cleanse(st->audit_key, KEY_LEN);
    st->audit_keyed = 0;
}
