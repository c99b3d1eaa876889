/*
 * fuzz_envelope.c — a change set's transport envelope as the aggregator
 * opens it (lb_env_open, sync/envelope.c): plain, zstd (bounded inflation)
 * or sealed to a fixed aggregator key, then the change-set decoder on what
 * comes out.  Seeds: a change set plain, compressed, and sealed to the
 * fixed key (made by the test's key seed), cut and flipped copies.
 */
#include <stdlib.h>

#include <sodium.h>

#include "../../sync/envelope.h"
#include "../../sync/wire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_key key;
	static int ready;
	const uint8_t *p;
	size_t n;
	uint8_t *owned;
	struct lb_changeset cs;

	lb_fuzz_init();
	if (!ready) {
		static const uint8_t seed[crypto_sign_SEEDBYTES] = {7};
		crypto_sign_seed_keypair(key.pk, key.sk, seed);
		ready = 1;
	}
	if (lb_env_open(data, size, &key, 1u << 20, &p, &n, &owned, NULL))
		return 0;
	if (!lb_wire_decode(&cs, p, n, NULL))
		lb_changeset_free(&cs);
	free(owned);
	return 0;
}
