/*
 * logproof.h — proof of a village key for reading the village's log from
 * an aggregator (GET /v1/villages/{code}/log, docs/FORMAT.md): the
 * aggregator hands out a challenge (GET /v1/challenge), the village signs
 *
 *   "lumbung-log-request\n" || aggregator key (32) || village code (13)
 *   || challenge bytes
 *
 * with its key, and sends the X-Lumbung-Proof header
 * "<origin hex 64>.<challenge hex>.<signature hex 128>".  Binding the
 * aggregator's key and the village keeps a proof from being used anywhere
 * else; the challenge (the aggregator's, short-lived) keeps it from being
 * replayed later.  Here, in the wire layer, so that the village client and
 * the aggregator share the one message.
 */
#ifndef LB_LOGPROOF_H
#define LB_LOGPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "../node/key.h"
#include "../schema/err.h"

#define LB_PROOF_HEADER "X-Lumbung-Proof"
#define LB_PROOF_CONTEXT "lumbung-log-request\n"
#define LB_CHALLENGE_MAX 64 /* bytes of a challenge accepted in a proof */
/* the header's text: 64 + 1 + 2 * LB_CHALLENGE_MAX + 1 + 128 and NUL */
#define LB_PROOF_TEXT_MAX (64 + 1 + 2 * LB_CHALLENGE_MAX + 1 + 128 + 1)

/* A proof read from its header text. */
struct lb_proof {
	uint8_t origin[LB_PK_BYTES];
	uint8_t challenge[LB_CHALLENGE_MAX];
	size_t challenge_len;
	uint8_t sig[LB_SIG_BYTES];
};

/* Sign the request of village from aggregator agg_pk with challenge ch
 * (len 1..LB_CHALLENGE_MAX bytes) by key k, as header text into out.
 * LB_EINVAL for a bad village code or challenge length. */
lb_err lb_proof_make(const struct lb_key *k, const uint8_t agg_pk[LB_PK_BYTES],
                     const char *village, const uint8_t *ch, size_t len,
                     char out[LB_PROOF_TEXT_MAX], struct lb_diag *d);

/* Read header text into p (no signature check).  LB_EMALFORMED naming the
 * part that is wrong. */
lb_err lb_proof_parse(const char *text, struct lb_proof *p, struct lb_diag *d);

/* Does p's signature verify by p->origin over the request of village from
 * agg_pk?  LB_ESIG when not (the challenge itself is the aggregator's to
 * check). */
lb_err lb_proof_verify(const struct lb_proof *p, const uint8_t agg_pk[LB_PK_BYTES],
                       const char *village, struct lb_diag *d);

#endif
