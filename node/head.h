/*
 * head.h — signed heads: one Ed25519 signature per write transaction.
 *
 * A head commits to the whole log up to seq: the hash of entry seq (which
 * chains to every earlier entry through prev) and the RFC 9162 Merkle root
 * over all entry hashes 1..seq (for inclusion/consistency proofs).  The
 * signed message is the canonical msgpack array
 *
 *   [ "lumbung-head", 1, village, origin, seq, hash, tree_root, ts ]
 *
 * (the tag and version make a head signature useless as any other kind of
 * signature).  The stored form, also sent on the wire, is
 *
 *   signature (64 bytes) || head message bytes
 *
 * so the exact signed bytes travel; nobody re-serialises before verifying.
 * The shape (signature, tag, version) is signed and opened by signed.h.
 */
#ifndef LB_HEAD_H
#define LB_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "key.h"
#include "merkle.h"
#include "../schema/mp.h"

#define LB_HEAD_TAG "lumbung-head"
#define LB_HEAD_VERSION 1

struct lb_head {
	char village[LB_VILLAGE_LEN + 1]; /* the log's owner code (lb_log_owner_ok) */
	uint8_t origin[LB_PK_BYTES];
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	uint8_t root[LB_HASH_BYTES];
	uint64_t ts;
};

/* Append the stored form (signature || message) of h, signed with k, to
 * out.  h->origin should be k->pk.  LB_ENOMEM if out cannot grow. */
lb_err lb_head_sign(struct lb_mp_buf *out, const struct lb_head *h, const struct lb_key *k);

/* Decode a stored head and verify its signature against the origin key it
 * names.  If expect_origin is not NULL, the origin must equal it first
 * (LB_ESIG "signed by a different key", checked before the signature, as
 * signify checks a fingerprint).  LB_EMALFORMED for a bad encoding, LB_ESIG
 * for a bad signature. */
lb_err lb_head_open(struct lb_head *h, const void *buf, size_t len,
                    const uint8_t *expect_origin, struct lb_diag *d);

#endif
