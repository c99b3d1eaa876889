/*
 * sign_proof.c — the X-Lumbung-Proof header a village sends to read its
 * own data at an aggregator (sync/logproof.h), for black-box tests that
 * call the HTTP API directly (tests/cli/moves_agg.sh).
 *
 *   sign-proof NODE_DIR AGG_KEY_HEX VILLAGE CHALLENGE_HEX
 *
 * Signs with NODE_DIR/node.key through the village client's own signer
 * (lb_proof_make) and prints the header's value.  VILLAGE may be another
 * village's code than the node's (a proof that must be refused).  Exit 0;
 * 2 for bad usage or input.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../../node/entry.h"
#include "../../node/key.h"
#include "../../sync/logproof.h"

int main(int argc, char **argv)
{
	char path[4096], out[LB_PROOF_TEXT_MAX];
	uint8_t agg[LB_PK_BYTES], ch[LB_CHALLENGE_MAX];
	size_t n;
	struct lb_key k;
	struct lb_diag d = {0};

	if (argc != 5 || sodium_init() < 0) {
		fprintf(stderr, "usage: sign-proof NODE_DIR AGG_KEY_HEX VILLAGE CHALLENGE_HEX\n");
		return 2;
	}
	n = strlen(argv[4]) / 2;
	if (lb_unhex(agg, LB_PK_BYTES, argv[2]) || n == 0 || n > LB_CHALLENGE_MAX ||
	    strlen(argv[4]) != 2 * n || lb_unhex(ch, n, argv[4])) {
		fprintf(stderr, "sign-proof: bad aggregator key or challenge\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/node.key", argv[1]);
	if (lb_key_load(path, &k, &d) || lb_proof_make(&k, agg, argv[3], ch, n, out, &d)) {
		fprintf(stderr, "sign-proof: %s\n", d.msg);
		return 2;
	}
	printf("%s\n", out);
	return 0;
}
