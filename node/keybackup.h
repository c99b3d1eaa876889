/*
 * keybackup.h — the village key on paper: a passphrase-protected backup of
 * a node's secret key as printable text (docs/FORMAT.md, "Key backup").
 *
 * The 32-byte Ed25519 seed and the village code are sealed with
 * crypto_secretbox under a key derived from the passphrase with
 * crypto_pwhash (Argon2id 1.3, a random salt; its limits are written in the
 * text so a backup opens with the limits it was made with).  The text is
 * thirteen short lines, each ending in a 4-hex-digit checksum over its line
 * number and content, the last one a checksum over the whole text, so that a
 * character mistyped when copying the page back is named by its line; any
 * change that gets past the checksums still fails the secretbox MAC.  A
 * backup never opens to a different key than the one it was made from.
 *
 * Limits: real backups use Argon2id OPSLIMIT_MODERATE / MEMLIMIT_MODERATE
 * (256 MiB, about a second).  With the environment variable
 * LUMBUNG_KEYBACKUP_FAST=1 lb_keybackup_make uses the INTERACTIVE limits
 * (64 MiB) instead: for tests only, never for a backup put in the safe.
 * Opening reads the limits from the text (it accepts INTERACTIVE up to
 * SENSITIVE, nothing outside).
 *
 * Secrets (seed, derived key, plaintext) are wiped with sodium_memzero.
 */
#ifndef LB_KEYBACKUP_H
#define LB_KEYBACKUP_H

#include <stddef.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "key.h"

#define LB_KEYBACKUP_PASS_MIN 8     /* characters (UTF-8 code points) to make one */
#define LB_KEYBACKUP_PASS_MAX 1024  /* bytes */
#define LB_KEYBACKUP_TEXT_MAX 2048  /* bytes: anything longer is not a backup */

/* Make the backup text of key k for village (a desa code) under the
 * passphrase pass[0..passlen).  *text gets a malloc'd NUL-terminated text
 * (the caller frees it; it holds no secret in the clear).
 * Errors: LB_EINVAL (not a desa code; passphrase shorter than
 * LB_KEYBACKUP_PASS_MIN characters or longer than LB_KEYBACKUP_PASS_MAX
 * bytes), LB_ENOMEM (also when Argon2id cannot get its memory). */
lb_err lb_keybackup_make(const struct lb_key *k, const char *village, const char *pass,
                         size_t passlen, char **text, struct lb_diag *d);

/* Open a backup text[0..len) with pass[0..passlen): k gets the key pair
 * (crypto_sign_seed_keypair of the seed; the caller wipes it with
 * lb_key_wipe) and village the village code.  Lines may end in "\n" or
 * "\r\n"; the last line's line break may be missing; nothing else is
 * tolerated.  Errors:
 *   LB_EMALFORMED  not a backup, or a line fails its checksum or layout:
 *                  the message names the line ("line 7 (nonce): ...");
 *   LB_EKEY        wrong passphrase (the secretbox MAC fails);
 *   LB_ECORRUPT    the origin or village lines differ from the key and
 *                  village sealed inside (a text put together from two);
 *   LB_ETOOBIG     longer than LB_KEYBACKUP_TEXT_MAX;
 *   LB_EINVAL      empty passphrase;
 *   LB_ENOMEM.
 * On error k and village are left zeroed. */
lb_err lb_keybackup_open(const char *text, size_t len, const char *pass, size_t passlen,
                         struct lb_key *k, char village[LB_VILLAGE_LEN + 1], struct lb_diag *d);

#endif
