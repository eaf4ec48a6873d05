/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest for what must be kept but never read by anyone who
 * only has the database (module `web`): reporters' contact details and the
 * thumbnails awaiting review.  XSalsa20-Poly1305 (libsodium secretbox)
 * with a random nonce per message, under 32-byte keys kept in a file
 * apart from the database, readable by its owner only.
 *
 * The key file is a ring (vigil/keyfile.h): 1 to VG_SEAL_RING_MAX keys,
 * the first the current one, which seals; the others are previous keys
 * kept to open what they sealed until it is sealed again (vigil/keys.h).
 * A key's id is 8 bytes derived from it (a keyed BLAKE2b of a constant),
 * which tell nothing of the key.
 *
 * Sealed form: the sealing key's id (8 bytes), the nonce (24 bytes), then
 * the box (message + 16-byte tag).  Data sealed before key ids has no id
 * (nonce then box) and is opened by trying each key; a prefix that is not
 * a key's id is read as such old data.
 *
 * The sealer looks at its key file again at most once a second, when it
 * seals or opens: a ring changed by `vigil keys rotate` (its size, inode
 * or time) is loaded, so a running server seals with the new key within a
 * second.  A ring that cannot be read then is ignored (the keys held
 * stay).
 *
 * Thread safety: a sealer is shareable; its calls take its own lock.
 */
#ifndef VIGIL_SEAL_H
#define VIGIL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

#define VG_SEAL_ID_LEN 8
#define VG_SEAL_RING_MAX 8
#define VG_SEAL_KEY_LEN 32

struct vg_sealer;

/*
 * Load the key ring at path; with create, make a new random key there if
 * the file does not exist (mode 0600).  A key file that others may read or
 * that is not 1 to VG_SEAL_RING_MAX keys of 32 bytes is refused
 * (VG_EACCES, VG_EFORMAT); no file without create is VG_ENOENT.
 */
int vg_seal_open(const char *path, int create, struct vg_sealer **out,
                 struct vg_err *err);
void vg_seal_free(struct vg_sealer *s);

/*
 * A key of n bytes (16 to 64) for purpose (8 characters, e.g. "throttle"),
 * derived from the current key as loaded (BLAKE2b, libsodium's
 * crypto_kdf): every process that reads the same key file derives the
 * same, and it tells nothing of the sealing key.
 */
int vg_seal_derive(struct vg_sealer *s, const char purpose[8],
                   unsigned char *out, size_t n);

/* Seal n bytes under the current key into *out (vg_free it), *outn bytes. */
int vg_seal(struct vg_sealer *s, const void *plain, size_t n, uint8_t **out,
            size_t *outn);

/*
 * Open a sealed message into *out (NUL-terminated, vg_free it), *outn
 * bytes, with the key its id names or, for old data, any key of the ring.
 * VG_ECORRUPT if it was changed or sealed under a key not in the ring.
 */
int vg_unseal(struct vg_sealer *s, const uint8_t *sealed, size_t n, char **out,
              size_t *outn, struct vg_err *err);

/*
 * The ids of the ring's keys, the current one first, into ids (room for
 * VG_SEAL_RING_MAX); returns how many (at least 1).
 */
size_t vg_seal_ids(struct vg_sealer *s,
                   uint8_t ids[VG_SEAL_RING_MAX][VG_SEAL_ID_LEN]);

/*
 * Put a new random key at the front of the ring in file path (the others
 * kept behind it), written atomically (vg_keyfile_write).  VG_ETOOBIG
 * when the ring holds VG_SEAL_RING_MAX keys already (retire first), the
 * errors of the ring's reading and writing otherwise.  A process that
 * already holds a sealer on path loads the new ring within a second.
 */
int vg_seal_rotate(const char *path, struct vg_err *err);

/*
 * Keep only the current key of the ring in file path, if the ring's
 * current key still has the id current (what the caller checked the data
 * against); VG_EBUSY if it changed meanwhile.  Check first that no data
 * needs the others (vigil/keys.h does).
 */
int vg_seal_retire(const char *path, const uint8_t current[VG_SEAL_ID_LEN],
                   struct vg_err *err);

#endif
