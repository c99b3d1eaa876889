/*
 * fuzz_rcptfile.c — a receipts file carried back on a USB stick
 * (lb_rcptfile_decode, sync/rcptfile.c), then every receipt in it opened
 * as `lumbung receipt import` does (lb_receipt_open; the key is a fixed
 * one, so signatures fail after decoding).  Seeds: files holding receipts
 * a real aggregator signed, cut and flipped copies.
 */
#include "../../sync/rcptfile.h"
#include "../../sync/receipt.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[LB_PK_BYTES] = {1};
	struct lb_rcptfile f;
	struct lb_receipt rc;

	lb_fuzz_init();
	if (lb_rcptfile_decode(&f, data, size, NULL))
		return 0;
	for (size_t i = 0; i < f.n; i++)
		lb_receipt_open(&rc, f.r[i], f.len[i], key, NULL);
	lb_rcptfile_free(&f);
	return 0;
}
