/*
 * forge_receipt.c — re-sign an aggregator's receipt with one field changed,
 * for the lying-aggregator test (tests/tools/liar.py, tests/cli/liar.sh).
 *
 *   forge-receipt AGG_DIR MODE < receipt > forged
 *
 * Reads a receipt signed by the aggregator in AGG_DIR, changes what MODE
 * says and signs it again with that aggregator's real key (AGG_DIR/agg.key)
 * through the aggregator's own signer (lb_receipt_sign):
 *   origin  another village key      seq   the seq before (or after 1)
 *   hash    another entry hash       root  another Merkle root
 *   key     unchanged, but signed by a fresh stranger key
 * Exit 0 with the forged receipt on stdout; 2 for bad usage or input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../../node/key.h"
#include "../../agg/agg.h"

int main(int argc, char **argv)
{
	static uint8_t in[1 << 16];
	char path[4096];
	struct lb_key k;
	struct lb_receipt rc;
	struct lb_diag d = {0};
	uint8_t *out;
	size_t len, n;

	if (argc != 3) {
		fprintf(stderr, "usage: forge-receipt AGG_DIR origin|seq|hash|root|key < in > out\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/agg.key", argv[1]);
	if (sodium_init() < 0 || lb_key_load(path, &k, &d)) {
		fprintf(stderr, "forge-receipt: %s\n", d.msg);
		return 2;
	}
	n = fread(in, 1, sizeof in, stdin);
	if (lb_receipt_open(&rc, in, n, k.pk, &d)) {
		fprintf(stderr, "forge-receipt: %s\n", d.msg);
		return 2;
	}
	if (!strcmp(argv[2], "origin"))
		rc.origin[0] ^= 1;
	else if (!strcmp(argv[2], "seq"))
		rc.seq = rc.seq > 1 ? rc.seq - 1 : 2;
	else if (!strcmp(argv[2], "hash"))
		rc.hash[0] ^= 1;
	else if (!strcmp(argv[2], "root"))
		rc.root[0] ^= 1;
	else if (!strcmp(argv[2], "key"))
		crypto_sign_keypair(k.pk, k.sk);
	else {
		fprintf(stderr, "forge-receipt: unknown mode %s\n", argv[2]);
		return 2;
	}
	if (lb_receipt_sign(&k, &rc, &out, &len, &d)) {
		fprintf(stderr, "forge-receipt: %s\n", d.msg);
		return 2;
	}
	lb_key_wipe(&k);
	fwrite(out, 1, len, stdout);
	free(out);
	return fflush(stdout) ? 2 : 0;
}
