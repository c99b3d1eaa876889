/*
 * fuzz_receipt.c — an aggregator's receipt as a village receives it
 * (lb_receipt_open, sync/receipt.c).  The key is a fixed one, so signatures
 * fail; the decoder runs before the signature check.  Seeds: receipts
 * a real aggregator signed.
 */
#include "../../agg/agg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[LB_PK_BYTES] = {1};
	struct lb_receipt rc;

	lb_fuzz_init();
	lb_receipt_open(&rc, data, size, key, NULL);
	return 0;
}
