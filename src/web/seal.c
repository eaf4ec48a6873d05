/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest (vigil/seal.h) over libsodium's secretbox.  The keys
 * live in libsodium's guarded memory (locked, not swapped, wiped); a ring
 * loaded again replaces the old one whole, under the sealer's lock.
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "vigil/alloc.h"
#include "vigil/keyfile.h"
#include "vigil/seal.h"

#define KEY_LEN crypto_secretbox_KEYBYTES
#define NONCE_LEN crypto_secretbox_NONCEBYTES
#define TAG_LEN crypto_secretbox_MACBYTES
#define ID_LEN VG_SEAL_ID_LEN
#define RING_MAX VG_SEAL_RING_MAX
#define RING_BYTES (RING_MAX * KEY_LEN)
#define WHAT "the sealing key"

struct ring {
    unsigned char *keys; /* sodium_malloc'd, RING_BYTES */
    uint8_t ids[RING_MAX][ID_LEN];
    size_t n;
};

struct vg_sealer {
    pthread_mutex_t lock;
    char *path;
    struct ring ring;
    struct stat seen;   /* the file as loaded */
    int64_t checked_ms; /* when it was last looked at */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ring_fini(struct ring *r)
{
    sodium_free(r->keys); /* wipes them */
    r->keys = NULL;
    r->n = 0;
}

/* Key i's id: BLAKE2b keyed by the key, of a constant. */
static void key_id(const unsigned char *key, uint8_t id[ID_LEN])
{
    static const char what[] = "vigil sealing key id";
    unsigned char h[crypto_generichash_BYTES_MIN];

    crypto_generichash(h, sizeof(h), (const unsigned char *)what,
                       sizeof(what) - 1, key, KEY_LEN);
    memcpy(id, h, ID_LEN);
}

static int ring_read(const char *path, int create, struct ring *r,
                     struct stat *sb, struct vg_err *err)
{
    int rc;

    memset(r, 0, sizeof(*r));
    if (!(r->keys = sodium_malloc(RING_BYTES)))
        return VG_ENOMEM;
    if ((rc = vg_keyfile_read_ring(path, create, WHAT, r->keys, KEY_LEN,
                                   RING_MAX, &r->n, err)) ||
        (sb && stat(path, sb))) {
        ring_fini(r);
        return rc ? rc : vg_err_set(err, VG_EIO, "%s: cannot stat it", path);
    }
    for (size_t i = 0; i < r->n; i++)
        key_id(r->keys + i * KEY_LEN, r->ids[i]);
    sodium_mprotect_readonly(r->keys);
    return VG_OK;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
           a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The ring again if its file changed, at most once a second (lock held). */
static void refresh(struct vg_sealer *s)
{
    struct stat sb;
    struct ring r;
    int64_t now = now_ms();

    if (now - s->checked_ms < 1000)
        return;
    s->checked_ms = now;
    if (stat(s->path, &sb) || same_file(&sb, &s->seen) ||
        ring_read(s->path, 0, &r, &sb, NULL))
        return;
    ring_fini(&s->ring);
    s->ring = r;
    s->seen = sb;
}

int vg_seal_open(const char *path, int create, struct vg_sealer **out,
                 struct vg_err *err)
{
    struct vg_sealer *s = NULL;
    int rc;

    *out = NULL;
    if (sodium_init() < 0)
        return vg_err_set(err, VG_EINTERNAL, "libsodium did not start");
    if (!(s = vg_calloc(1, sizeof(*s))))
        return VG_ENOMEM;
    if (!(s->path = vg_malloc(strlen(path) + 1))) {
        vg_free(s);
        return VG_ENOMEM;
    }
    memcpy(s->path, path, strlen(path) + 1);
    if ((rc = ring_read(path, create, &s->ring, &s->seen, err))) {
        vg_free(s->path);
        vg_free(s);
        return rc;
    }
    s->checked_ms = now_ms();
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return VG_OK;
}

void vg_seal_free(struct vg_sealer *s)
{
    if (!s)
        return;
    ring_fini(&s->ring);
    pthread_mutex_destroy(&s->lock);
    vg_free(s->path);
    vg_free(s);
}

int vg_seal_derive(struct vg_sealer *s, const char purpose[8],
                   unsigned char *out, size_t n)
{
    int rc;

    if (n < crypto_kdf_BYTES_MIN || n > crypto_kdf_BYTES_MAX)
        return VG_EINVAL;
    pthread_mutex_lock(&s->lock);
    rc = crypto_kdf_derive_from_key(out, n, 1, purpose, s->ring.keys)
             ? VG_EINTERNAL
             : VG_OK;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int vg_seal(struct vg_sealer *s, const void *plain, size_t n, uint8_t **out,
            size_t *outn)
{
    uint8_t *b;

    *out = NULL;
    *outn = 0;
    if (n > SIZE_MAX - ID_LEN - NONCE_LEN - TAG_LEN ||
        !(b = vg_malloc(ID_LEN + NONCE_LEN + TAG_LEN + n)))
        return VG_ENOMEM;
    randombytes_buf(b + ID_LEN, NONCE_LEN);
    pthread_mutex_lock(&s->lock);
    refresh(s);
    memcpy(b, s->ring.ids[0], ID_LEN);
    crypto_secretbox_easy(b + ID_LEN + NONCE_LEN, plain, n, b + ID_LEN,
                          s->ring.keys);
    pthread_mutex_unlock(&s->lock);
    *out = b;
    *outn = ID_LEN + NONCE_LEN + TAG_LEN + n;
    return VG_OK;
}

/* Open the nonce-then-box at p (n bytes) under key into plain. */
static int open_box(const unsigned char *key, const uint8_t *p, size_t n,
                    char *plain)
{
    return n >= NONCE_LEN + TAG_LEN &&
                   !crypto_secretbox_open_easy((unsigned char *)plain,
                                               p + NONCE_LEN, n - NONCE_LEN, p,
                                               key)
               ? 0
               : -1;
}

/* Open sealed with the ring (lock held): the length of the plain text
 * written to plain, or -1. */
static long open_ring(const struct ring *r, const uint8_t *sealed, size_t n,
                      char *plain)
{
    size_t i;

    if (n >= ID_LEN + NONCE_LEN + TAG_LEN)
        for (i = 0; i < r->n; i++)
            if (!memcmp(sealed, r->ids[i], ID_LEN) &&
                !open_box(r->keys + i * KEY_LEN, sealed + ID_LEN, n - ID_LEN,
                          plain))
                return (long)(n - ID_LEN - NONCE_LEN - TAG_LEN);
    for (i = 0; i < r->n; i++) /* sealed before key ids */
        if (!open_box(r->keys + i * KEY_LEN, sealed, n, plain))
            return (long)(n - NONCE_LEN - TAG_LEN);
    return -1;
}

int vg_unseal(struct vg_sealer *s, const uint8_t *sealed, size_t n, char **out,
              size_t *outn, struct vg_err *err)
{
    char *p;
    long len;

    *out = NULL;
    *outn = 0;
    if (n < NONCE_LEN + TAG_LEN)
        return vg_err_set(err, VG_ECORRUPT, "sealed data too short");
    if (!(p = vg_malloc(n - NONCE_LEN - TAG_LEN + 1)))
        return VG_ENOMEM;
    pthread_mutex_lock(&s->lock);
    refresh(s);
    len = open_ring(&s->ring, sealed, n, p);
    pthread_mutex_unlock(&s->lock);
    if (len < 0) {
        vg_free(p);
        return vg_err_set(err, VG_ECORRUPT,
                          "sealed data changed or sealed under a key not in"
                          " the key file");
    }
    p[len] = 0;
    *out = p;
    *outn = (size_t)len;
    return VG_OK;
}

size_t vg_seal_ids(struct vg_sealer *s,
                   uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN])
{
    size_t n;

    pthread_mutex_lock(&s->lock);
    refresh(s);
    n = s->ring.n;
    memcpy(ids, s->ring.ids, sizeof(s->ring.ids));
    pthread_mutex_unlock(&s->lock);
    return n;
}

int vg_seal_rotate(const char *path, struct vg_err *err)
{
    unsigned char *buf;
    size_t n = 0;
    int rc;

    if (sodium_init() < 0)
        return vg_err_set(err, VG_EINTERNAL, "libsodium did not start");
    if (!(buf = sodium_malloc(RING_BYTES + KEY_LEN)))
        return VG_ENOMEM;
    if (!(rc = vg_keyfile_read_ring(path, 0, WHAT, buf + KEY_LEN, KEY_LEN,
                                    RING_MAX, &n, err))) {
        if (n >= RING_MAX)
            rc = vg_err_set(err, VG_ETOOBIG,
                            "%s holds %d keys: retire the old ones first",
                            path, RING_MAX);
        else if (!(rc = vg_keyfile_random(buf, KEY_LEN, err)))
            rc = vg_keyfile_write(path, buf, (n + 1) * KEY_LEN, err);
    }
    sodium_free(buf);
    return rc;
}

int vg_seal_retire(const char *path, const uint8_t current[VG_SEAL_ID_LEN],
                   struct vg_err *err)
{
    struct ring r;
    int rc;

    if (sodium_init() < 0)
        return vg_err_set(err, VG_EINTERNAL, "libsodium did not start");
    if ((rc = ring_read(path, 0, &r, NULL, err)))
        return rc;
    if (memcmp(r.ids[0], current, ID_LEN))
        rc = vg_err_set(err, VG_EBUSY,
                        "%s: the current key changed meanwhile; look again",
                        path);
    else if (r.n > 1)
        rc = vg_keyfile_write(path, r.keys, KEY_LEN, err);
    ring_fini(&r);
    return rc;
}
