/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Encryption at rest for what must be kept but never read by anyone who
 * only has the database (module `web`): reporters' contact details, and
 * later the thumbnails awaiting review.  XSalsa20-Poly1305 (libsodium
 * secretbox) with a random nonce per message, under one 32-byte key kept
 * in a file apart from the database, readable by its owner only.
 * Sealed form: nonce (24 bytes) then the box (message + 16-byte tag).
 * Thread safety: a sealer is read-only after vg_seal_open, shareable.
 */
#ifndef VIGIL_SEAL_H
#define VIGIL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/error.h"

struct vg_sealer;

/*
 * Load the key at path; with create, make a new random key there if the
 * file does not exist (mode 0600).  A key file that others may read or
 * that is not 32 bytes is refused (VG_EACCES, VG_EFORMAT); no file
 * without create is VG_ENOENT.
 */
int vg_seal_open(const char *path, int create, struct vg_sealer **out,
                 struct vg_err *err);
void vg_seal_free(struct vg_sealer *s);

/*
 * A key of n bytes (16 to 64) for purpose (8 characters, e.g. "throttle"),
 * derived from the sealing key (BLAKE2b, libsodium's crypto_kdf): every
 * process that reads the same key file derives the same, and it tells
 * nothing of the sealing key.
 */
int vg_seal_derive(const struct vg_sealer *s, const char purpose[8],
                   unsigned char *out, size_t n);

/* Seal n bytes into *out (vg_free it), *outn bytes. */
int vg_seal(const struct vg_sealer *s, const void *plain, size_t n,
            uint8_t **out, size_t *outn);

/*
 * Open a sealed message into *out (NUL-terminated, vg_free it), *outn
 * bytes.  VG_ECORRUPT if it was changed or sealed under another key.
 */
int vg_unseal(const struct vg_sealer *s, const uint8_t *sealed, size_t n,
              char **out, size_t *outn, struct vg_err *err);

#endif
