/*
 * fuzz_head.c — a signed head (node/head.c, lb_head_open), as found in
 * change sets, archives and proofs: against the key it names, and against
 * a pinned key.  Seeds: real signed heads.
 */
#include "../../node/head.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[LB_PK_BYTES] = {1};
	struct lb_head h;

	lb_fuzz_init();
	lb_head_open(&h, data, size, NULL, NULL);
	lb_head_open(&h, data, size, key, NULL);
	return 0;
}
