/*
 * logauth.h — who may read a village's log for a restore
 * (GET /v1/villages/{code}/log, docs/FORMAT.md): the village itself,
 * proving its key by signing a challenge of this aggregator
 * (sync/logproof.h), or an office token (token.h, checked by api.c).
 *
 * A challenge is stateless: time ms (u64 BE) || 16 random bytes || the
 * first 16 bytes of crypto_auth (HMAC-SHA-512-256) over those, under a
 * key made at random once per process.  It is good for
 * LB_CHALLENGE_TTL_MS; a restart of the server voids those handed out.
 */
#ifndef LB_AGG_LOGAUTH_H
#define LB_AGG_LOGAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

#define LB_CHALLENGE_BYTES 40
#define LB_CHALLENGE_TTL_MS 300000u
#define LB_CHALLENGE_SKEW_MS 5000u /* a challenge "from the future" by this much is fine */

/* A new challenge made at now_ms into out.  Cannot fail. */
void lb_agg_challenge_make(uint8_t out[LB_CHALLENGE_BYTES], uint64_t now_ms);

/* Was c (len bytes) made by this process and is it still good at now_ms?
 * LB_EFORBIDDEN naming which: not one of ours (forged, altered, or from
 * before a restart), or expired. */
lb_err lb_agg_challenge_check(const uint8_t *c, size_t len, uint64_t now_ms, struct lb_diag *d);

/* The aggregator's public key into pk.  Cannot fail. */
void lb_agg_public_key(struct lb_agg *a, uint8_t pk[LB_PK_BYTES]);

/* Check the proof header text (X-Lumbung-Proof) for reading village's log
 * at now_ms: well formed (LB_EMALFORMED), the challenge ours and good, the
 * signature by the proof's key over this aggregator's key, the village
 * and the challenge, and that key the village's active enrolled key
 * (LB_EFORBIDDEN naming which check failed).  origin (may be NULL) gets
 * the proof's key.  LB_ESTORE. */
lb_err lb_agg_log_proof_check(struct lb_agg *a, const char *village, const char *proof,
                              uint64_t now_ms, uint8_t origin[LB_PK_BYTES], struct lb_diag *d);

#endif
