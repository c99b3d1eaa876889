/*
 * fuzz_proof.c — a proof file as `lumbung-audit check-proof` reads it
 * (lb_proof_check, tools/audit/proof.c), unpinned and pinned to the key the
 * proof names; then the parts a fuzzer cannot reach through a forged
 * signature: the entry an inclusion proof carries, and the RFC 9162 path
 * checks with the sizes and roots the (unverified) heads give.  Seeds: real
 * inclusion and consistency proofs.
 */
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../tools/audit/proof.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_proof_verdict v;
	struct lb_proof p;
	struct lb_head h, old;

	lb_fuzz_init();
	lb_proof_check(&v, data, size, NULL, NULL);
	if (v.kind)
		lb_proof_check(&v, data, size, v.head.origin, NULL);
	if (lb_proof_decode(&p, data, size, NULL) != LB_OK)
		return 0;
	/* lb_head_open fills h as far as it decodes, before the signature */
	lb_head_open(&h, p.head, p.head_len, NULL, NULL);
	if (p.kind == LB_PROOF_INCLUSION) {
		struct lb_entry e;
		uint8_t hash[LB_HASH_BYTES];
		if (lb_entry_decode(&e, p.entry, p.entry_len, NULL) == LB_OK)
			lb_entry_check_schema(&e, NULL, NULL);
		else
			e.seq = 0;
		lb_hash(hash, p.entry, p.entry_len);
		lb_proof_verify_inclusion(h.root, e.seq - 1, h.seq, hash,
		                          (const uint8_t(*)[LB_HASH_BYTES])p.path, p.path_len, NULL);
	} else {
		lb_head_open(&old, p.old, p.old_len, NULL, NULL);
		lb_proof_verify_consistency(old.seq, old.root, h.seq, h.root,
		                            (const uint8_t(*)[LB_HASH_BYTES])p.path, p.path_len, NULL);
	}
	return 0;
}
