/*
 * receipt.h — the aggregator's signed receipt: "I hold this origin's
 * entries 1..seq, ending at hash, whose RFC 9162 tree root is tree_root"
 * (docs/FORMAT.md §8).  The aggregator signs it after its commit; the
 * village checks it before keeping it; the auditor checks it in archives.
 * It lives here, in the wire layer, so that the village client and the
 * auditor need nothing of the aggregator's code.
 */
#ifndef LB_RECEIPT_H
#define LB_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "../node/key.h"
#include "../node/merkle.h"
#include "../schema/err.h"

/* A receipt is the aggregator's signature over the canonical array
 *   [ "lumbung-receipt", 1, origin, seq, hash, tree_root, received_at_ms ]
 * stored as signature (64) || message, like a head (both signed and opened
 * by node/signed.h). */
struct lb_receipt {
	uint8_t origin[LB_PK_BYTES];
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	uint8_t root[LB_HASH_BYTES];
	uint64_t received_ms;
};

/* Decode buf[0..len) into *rc and check its signature against the
 * aggregator key agg_pk.  LB_EMALFORMED (not a receipt, version unknown,
 * trailing bytes), LB_ESIG (not signed by agg_pk).  *rc is zeroed first. */
lb_err lb_receipt_open(struct lb_receipt *rc, const void *buf, size_t len,
                       const uint8_t agg_pk[LB_PK_BYTES], struct lb_diag *d);

/* Sign rc with the aggregator key `key` into *out (malloc'd, the caller
 * frees it; *len its length), in the stored form lb_receipt_open reads.
 * The one receipt signer: ingest uses it, and the tests use it to forge
 * receipts with a real key.  LB_ENOMEM. */
lb_err lb_receipt_sign(const struct lb_key *key, const struct lb_receipt *rc, uint8_t **out,
                       size_t *len, struct lb_diag *d);

#endif
