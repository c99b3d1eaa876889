/*
 * fuzz_adopt.c — a copy of a village's log as `lumbung restore` and
 * `lumbung repair` take it from an aggregator or a stick (lb_node_adopt,
 * node/adopt.c): the archive reader, the chain, every head's signature,
 * the schema, successions, and the write transaction that makes the node
 * equal the copy.  Each input is adopted twice, into nodes of the fixed
 * village key (fuzz.h) made afresh: an empty one (a restore) and one that
 * holds three entries of its own (a repair: kept entries, a fork, a tail).
 * Whatever the outcome, both nodes must then verify (lb_node_verify): a
 * refused copy leaves nothing, an adopted one a whole node; anything else
 * aborts.
 * Seeds (gencorpus.c): archives of the fixed key's node, whole and from
 * seq 4, with a fork against the three entries, cut and flipped copies.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../node/adopt.h"
#include "../../node/node.h"
#include "fuzz.h"

#define VILLAGE "33.24.01.2001"

static char dir[64];

static void rm_dir(const char *d)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		abort();
}

static void cleanup(void)
{
	rm_dir(dir);
}

static void put_asp(struct lb_node *n, const char *id)
{
	/* {"pengusul":"Warga","status":"diusulkan","tanggal":"2026-01-01","usulan":"lampu"} */
	static const uint8_t body[] = "\x84\xa8pengusul\xa5Warga\xa6status\xa9"
	                              "diusulkan\xa7tanggal\xaa"
	                              "2026-01-01\xa6usulan\xa5lampu";
	struct lb_change c = {LB_OP_PUT, "aspirasi", id, strlen(id), body, sizeof body - 1};
	if (lb_node_write(n, &c, 1, 0, NULL, NULL))
		abort();
}

/* A node of the fixed key in dir/name, holding `own` entries of its own. */
static struct lb_node *fresh(const char *name, int own)
{
	char path[96], id[16];
	struct lb_key k;
	uint8_t origin[LB_PK_BYTES];
	struct lb_node *n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	rm_dir(path);
	lb_fuzz_village_key(&k);
	if (lb_node_init_key(path, VILLAGE, NULL, &k, origin, NULL) ||
	    lb_node_open(&n, path, NULL, NULL))
		abort();
	lb_key_wipe(&k);
	for (int i = 1; i <= own; i++) {
		snprintf(id, sizeof id, "ASP-%d", i);
		put_asp(n, id);
	}
	return n;
}

static void adopt_into(struct lb_node *n, const uint8_t *data, size_t size)
{
	struct lb_adopt_report r;
	struct lb_verify_report v;
	struct lb_key agg;
	FILE *f = lb_fuzz_file(data, size);

	if (!f)
		return;
	lb_fuzz_village_key(&agg); /* successions of this key are trusted */
	(void)lb_node_adopt(n, f, agg.pk, &r, NULL);
	fclose(f);
	if (lb_node_verify(n, &v, NULL) != LB_OK)
		abort(); /* adopted or refused, the node must be whole */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_node *n;

	lb_fuzz_init();
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/lb-fuzz-adopt.XXXXXX", lb_fuzz_tmp());
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
	}
	n = fresh("empty", 0);
	adopt_into(n, data, size);
	lb_node_close(n);
	n = fresh("own", 3);
	adopt_into(n, data, size);
	lb_node_close(n);
	return 0;
}
