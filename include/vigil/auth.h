/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Passwords for analyst and admin accounts (module `web`): Argon2id hashes
 * through libsodium (crypto_pwhash_str, its "interactive" cost: 64 MiB and
 * 2 passes, fit for logins on a small server), and the password rule.
 * Thread safety: all functions are thread-safe after vg_auth_init.
 */
#ifndef VIGIL_AUTH_H
#define VIGIL_AUTH_H

#include <stddef.h>

#include "vigil/error.h"
#include "vigil/store.h"
#include "vigil/store_people.h"

#define VG_PASSWORD_MIN 12   /* characters (UTF-8 code points) */
#define VG_PASSWORD_MAX 1024 /* bytes */

/* Start libsodium (idempotent).  VG_OK or VG_EINTERNAL. */
int vg_auth_init(void);

/* Is pw acceptable?  VG_OK, or VG_EINVAL with the reason in err. */
int vg_auth_password_check(const char *pw, struct vg_err *err);

/* The Argon2id hash of pw, encoded, into out (VG_PASSWORD_HASH_MAX + 1). */
int vg_auth_hash_password(const char *pw, char *out, struct vg_err *err);

/* 1 if pw matches the encoded hash, 0 if not (or the hash is malformed). */
int vg_auth_verify_password(const char *hash, const char *pw);

/*
 * An Argon2id hash, at today's cost, of a random password that was thrown
 * away: verifying against it costs what a real check costs, so a sign-in
 * with an unknown name takes as long as one with a known name.
 */
extern const char vg_auth_dummy_hash[];

/* 1 if the hash was made with weaker parameters than today's. */
int vg_auth_needs_rehash(const char *hash);

/* ---- API keys: "vgk_" and 64 hex digits (256 random bits) ---- */

#define VG_APIKEY_LEN 68

/* A new key (shown once, never stored) and its SHA-256 (stored). */
int vg_auth_apikey_new(char key[VG_APIKEY_LEN + 1], unsigned char hash[32]);
/* The SHA-256 of a presented key; VG_EINVAL if it is not shaped as one. */
int vg_auth_apikey_hash(const char *key, unsigned char hash[32]);

#endif
