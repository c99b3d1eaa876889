/*
 * fuzz_changeset.c — a change set as an aggregator receives it (sync/wire.c,
 * agg/ingest.c): decode, rebuild every stored entry along the chain and check
 * its schema, open the signed head, then the whole ingest into a real
 * aggregator (in a temporary directory, lb_fuzz_tmp, removed at exit) for region 33.24,
 * in which the origin a change set names is enrolled for the village it
 * names, so ingest gets past enrolment to the signature, chain and schema.
 *
 * Fuzzed bytes cannot carry a valid signature, so ingest of them mostly
 * stops there; the decode/rebuild/schema steps above are therefore also run
 * directly, and a change set that decodes and starts at seq 1 is ingested a
 * second time re-signed: its entries re-chained from seq 1 and sent with a
 * head that the target signs with a fixed village key (enrolled for the
 * village named), over the hash and Merkle root they really have, so the
 * aggregator's schema check and store get arbitrary entries.  When an input
 * does get stored (or proves a fork), the store is made afresh so that
 * every input meets the same state.
 * Seeds: real change sets cut from a real node's log.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../node/key.h"
#include "../../node/merkle.h"
#include "../../agg/agg.h"
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

/* Ingest, then start afresh if anything was stored. */
static void ingest(const void *p, size_t len)
{
	struct lb_agg_result r;
	lb_err e;

	memset(&r, 0, sizeof r);
	e = lb_agg_ingest(agg, p, len, &r, NULL);
	if (e == LB_OK)
		free(r.receipt);
	if ((e == LB_OK && r.accepted) || e == LB_EFORK)
		fresh_store();
}

/* cs (from seq 1) again, re-chained and signed with key; see the top. */
static void resigned(const struct lb_changeset *cs, const struct lb_key *key)
{
	struct lb_mp_buf out, stored, head;
	struct lb_merkle m;
	struct lb_head h = {0};
	struct lb_entry en;
	uint8_t prev[LB_HASH_BYTES] = {0}, hash[LB_HASH_BYTES];

	if (cs->first_seq != 1 || !cs->n || !lb_region_contains(REGION, cs->village))
		return;
	if (lb_agg_enroll(agg, cs->village, key->pk, NULL) != LB_OK) {
		fresh_store(); /* the key speaks for another village there */
		if (lb_agg_enroll(agg, cs->village, key->pk, NULL) != LB_OK)
			return;
	}
	lb_mp_buf_init(&out);
	lb_mp_buf_init(&stored);
	lb_mp_buf_init(&head);
	lb_merkle_init(&m);
	if (lb_wire_begin(&out, cs->n, NULL) != LB_OK)
		goto done;
	for (size_t i = 0; i < cs->n; i++) {
		if (lb_wire_rebuild(cs, i, prev, &stored, &en, hash, NULL) != LB_OK ||
		    lb_wire_add_entry(&out, (const uint8_t *)stored.sb.data, stored.sb.size, NULL))
			goto done;
		lb_merkle_append(&m, hash);
		memcpy(prev, hash, sizeof prev);
		h.ts = en.ts;
	}
	memcpy(h.village, cs->village, sizeof h.village);
	memcpy(h.origin, key->pk, LB_PK_BYTES);
	h.seq = cs->n;
	memcpy(h.hash, prev, LB_HASH_BYTES);
	lb_merkle_root(&m, h.root);
	if (lb_head_sign(&head, &h, key) == LB_OK &&
	    lb_wire_end(&out, cs->village, key->pk, (const uint8_t *)head.sb.data, head.sb.size,
	                NULL) == LB_OK)
		ingest(out.sb.data, out.sb.size);
done:
	lb_mp_buf_free(&out);
	lb_mp_buf_free(&stored);
	lb_mp_buf_free(&head);
}

static void cleanup(void)
{
	rm_store();
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_key key;
	struct lb_changeset cs;

	lb_fuzz_init();
	if (!agg) {
		lb_fuzz_village_key(&key);
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
		resigned(&cs, &key);
		if (lb_region_contains(REGION, cs.village))
			lb_agg_enroll(agg, cs.village, cs.origin, NULL);
		lb_changeset_free(&cs);
	}
	ingest(data, size);
	return 0;
}
