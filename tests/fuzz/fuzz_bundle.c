/*
 * fuzz_bundle.c — a kecamatan's bundle as `lumbung-agg ingest` reads it
 * (sync/bundle.c: magic, length-prefixed frames, trailer), every
 * change-set frame then decoded (lb_wire_decode; what ingest does after
 * that is the `changeset` target's).  Seeds: bundles of real change sets,
 * cut and flipped copies.
 */
#define _POSIX_C_SOURCE 200809L
#include "../../sync/bundle.h"
#include "../../sync/wire.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_bundle_r r;
	struct lb_changeset cs;
	enum lb_bundle_kind kind;
	const uint8_t *frame;
	size_t len;
	FILE *f;

	lb_fuzz_init();
	if (!size || !(f = fmemopen((void *)data, size, "rb")))
		return 0;
	if (!lb_bundle_open(&r, f, NULL)) {
		while (!lb_bundle_next(&r, &kind, &frame, &len, NULL))
			if (kind == LB_BUNDLE_CHANGESET && !lb_wire_decode(&cs, frame, len, NULL))
				lb_changeset_free(&cs);
		lb_bundle_close(&r);
	}
	fclose(f);
	return 0;
}
