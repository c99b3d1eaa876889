/*
 * envelope.h — how a change set travels (docs/DESIGN.md "The envelope"):
 * the signed bytes never change; transport wraps them.  A change set is
 * compressed (zstd) and then, when the sender knows the receiving
 * aggregator's key, sealed to it (libsodium), for HTTP bodies, USB files,
 * bundle frames and a kecamatan's forwarding alike.  The receiver opens
 * whatever it gets, bounded, and then checks the change set as always; the
 * stored bytes, receipts, replicas and archives are those of the plain
 * change set.
 *
 * Three forms, told apart by their first bytes (docs/FORMAT.md):
 *   plain       the change set itself (a msgpack map, wire.h)
 *   compressed  one zstd frame (magic 28 b5 2f fd) of a plain change set
 *   sealed      "LBS1" || crypto_box_seal to the aggregator's X25519 key
 *               of a plain or compressed change set
 * The aggregator's X25519 key is derived from its Ed25519 key
 * (crypto_sign_ed25519_pk_to_curve25519 / _sk_to_curve25519), so the key a
 * village already pins is all it needs.
 */
#ifndef LB_ENVELOPE_H
#define LB_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../node/key.h"
#include "../schema/err.h"
#include "../schema/mp.h"

#define LB_ENV_SEAL_MAGIC "LBS1"
#define LB_ENV_SEAL_MAGIC_LEN 4

enum lb_env_form { LB_ENV_PLAIN, LB_ENV_ZSTD, LB_ENV_SEALED };

/* The form of buf[0..len) by its first bytes (anything that is neither
 * zstd nor sealed is taken as plain and left to the change-set decoder). */
enum lb_env_form lb_env_form(const void *buf, size_t len);

/* Wrap the plain change set in[0..len) into out (reset first): compressed
 * when compress, then sealed to seal_to (an aggregator's Ed25519 public
 * key) when not NULL.  LB_ENOMEM; LB_EINVAL for a key that has no X25519
 * form. */
lb_err lb_env_wrap(const void *in, size_t len, bool compress, const uint8_t *seal_to,
                   struct lb_mp_buf *out, struct lb_diag *d);

/* Open buf[0..len) down to the plain change set, at most max bytes of it:
 * *plain points either into buf (a plain body: nothing allocated, *owned
 * NULL) or into a malloc'd buffer returned in *owned (caller frees).
 * sealed needs key (the aggregator's own key pair; NULL: refused).
 * Errors, nothing allocated on any: LB_ETOOBIG (it would inflate past max;
 * at most max bytes are ever produced), LB_EMALFORMED (a corrupt or
 * truncated zstd stream, a sealed body too short), LB_ESIG (a sealed body
 * that does not open with key: altered, or sealed to another aggregator),
 * LB_ENOMEM. */
lb_err lb_env_open(const void *buf, size_t len, const struct lb_key *key, size_t max,
                   const uint8_t **plain, size_t *plain_len, uint8_t **owned,
                   struct lb_diag *d);

#endif
