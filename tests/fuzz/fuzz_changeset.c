/*
 * fuzz_changeset.c — a change set as an aggregator receives it (sync/wire.c,
 * sync/agg.c): decode, rebuild every stored entry along the chain and check
 * its schema, open the signed head, then the whole ingest into a real
 * aggregator (in a temporary directory, lb_fuzz_tmp, removed at exit) for region 33.24,
 * in which the origin a change set names is enrolled for the village it
 * names, so ingest gets past enrolment to the signature, chain and schema.
 *
 * Fuzzed bytes cannot carry a valid signature, so ingest mostly stops
 * there; the decode/rebuild/schema steps above are therefore also run
 * directly.  When an input does get stored (a seed resent, a fork), the
 * store is made afresh so that every input meets the same state.
 * Seeds: real change sets cut from a real node's log.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../sync/agg.h"
#include "../../sync/wire.h"
#include "fuzz.h"

#define REGION "33.24"

static char dir[64];
static struct lb_agg *agg;

static void rm_store(void)
{
	char cmd[128];
	lb_agg_close(agg);
	agg = NULL;
	snprintf(cmd, sizeof cmd, "rm -rf '%s/agg'", dir);
	if (system(cmd) != 0)
		abort();
}

static void fresh_store(void)
{
	char path[96];
	uint8_t pk[LB_PK_BYTES];

	rm_store();
	snprintf(path, sizeof path, "%s/agg", dir);
	if (lb_agg_init(path, REGION, pk, NULL) || lb_agg_open(&agg, path, NULL))
		abort();
}

static void cleanup(void)
{
	rm_store();
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_changeset cs;
	struct lb_agg_result r;
	lb_err e;

	lb_fuzz_init();
	if (!agg) {
		snprintf(dir, sizeof dir, "%s/lb-fuzz-cs.XXXXXX", lb_fuzz_tmp());
		if (!mkdtemp(dir))
			abort();
		fresh_store();
		atexit(cleanup);
	}

	if (lb_wire_decode(&cs, data, size, NULL) == LB_OK) {
		struct lb_mp_buf out;
		struct lb_entry en;
		struct lb_head h;
		struct lb_refs refs = {lb_fuzz_exists, NULL};
		uint8_t prev[LB_HASH_BYTES] = {0}, hash[LB_HASH_BYTES];

		lb_mp_buf_init(&out);
		for (size_t i = 0; i < cs.n; i++) {
			if (lb_wire_rebuild(&cs, i, prev, &out, &en, hash, NULL) != LB_OK)
				break;
			lb_entry_check_schema(&en, &refs, NULL);
			memcpy(prev, hash, sizeof prev);
		}
		lb_mp_buf_free(&out);
		lb_head_open(&h, cs.head, cs.head_len, cs.origin, NULL);
		if (lb_region_contains(REGION, cs.village))
			lb_agg_enroll(agg, cs.village, cs.origin, NULL);
		lb_changeset_free(&cs);
	}

	memset(&r, 0, sizeof r);
	e = lb_agg_ingest(agg, data, size, &r, NULL);
	if (e == LB_OK)
		free(r.receipt);
	if ((e == LB_OK && r.accepted) || e == LB_EFORK)
		fresh_store();
	return 0;
}
