/*
 * fuzz_keybackup.c — a key backup typed back from paper
 * (lb_keybackup_open, node/keybackup.c) with the passphrase of the seeds.
 * A text that gets past the checksums runs Argon2id with the limits it
 * names (the reader caps them), so the seeds use the test limits.  Seeds:
 * the docs/FORMAT.md example, a cut copy, one with CRLF line breaks.
 */
#include "../../node/keybackup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char pass[] = "kunci lumbung desa";
	char village[LB_VILLAGE_LEN + 1];
	struct lb_key k;

	lb_fuzz_init();
	if (lb_keybackup_open((const char *)data, size, pass, sizeof pass - 1, &k, village, NULL) ==
	    LB_OK)
		lb_key_wipe(&k);
	return 0;
}
