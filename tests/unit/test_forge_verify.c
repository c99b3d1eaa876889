/*
 * test_forge_verify.c — `lumbung verify` (lb_node_verify, node/verify.c)
 * against lies signed with the village's real key.
 *
 * Each case takes a real node (three puts, each with its signed head),
 * forges a tail with one field chosen (forge.h), writes it into the
 * node's LMDB behind its back, and requires verify to fail naming the
 * problem.  The control case writes a forged tail with every field right
 * and requires verify to pass: so each failure below comes from the one
 * field changed, not from the forging.  Every check of node/verify.c has
 * a case here (tests/mutations.txt lists which).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agg_fixture.h"
#include "forge.h"

/* verify the node: want (LB_OK or the code), the reason contains why,
 * and the report names bad_seq. */
static void expect(struct forge_world *x, lb_err want, const char *why, uint64_t bad_seq)
{
	struct lb_node *n;
	struct lb_verify_report r;
	struct lb_diag d = {0};
	struct lb_node_opts o = {.read_only = true};
	lb_err e;

	if (lb_node_open(&n, x->node, &o, &d))
		fail_msg("opening the node: %s", d.msg);
	e = lb_node_verify(n, &r, &d);
	lb_node_close(n);
	if (e != want)
		fail_msg("verify gave %s (%s), wanted %s", lb_errname(e), e ? d.msg : "ok",
		         lb_errname(want));
	if (want == LB_OK)
		return;
	if (!strstr(d.msg, why))
		fail_msg("verify's reason \"%s\" does not say \"%s\"", d.msg, why);
	if (bad_seq)
		assert_int_equal(r.bad_seq, bad_seq);
}

/* Append entry 4 (a put of A4) with hook, sign its head with hhook,
 * write seq 4 into the node. */
static void tail(struct forge_world *x, forge_entry_hook eh, void *ectx, forge_head_hook hh,
                 void *hctx, const struct lb_key *k)
{
	size_t s = forge_add(x->f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(4), eh, ectx);
	assert_int_equal(s, 4);
	forge_head(x->f, s, hh, hctx, k);
	forge_node_write(x->f, x->node, s);
}

static void flip_root(void *c, struct lb_head *h) { (void)c; h->root[0] ^= 1; }
static void flip_hash(void *c, struct lb_head *h) { (void)c; h->hash[7] ^= 1; }
static void next_seq(void *c, struct lb_head *h) { (void)c; h->seq++; }
static void other_village(void *c, struct lb_head *h)
{
	(void)c;
	memcpy(h->village, "33.24.01.2002", sizeof h->village);
}
static void stranger_origin(void *c, struct lb_head *h)
{
	memcpy(h->origin, ((struct lb_key *)c)->pk, LB_PK_BYTES);
}
static void ts_same(void *c, struct lb_entry *e) { e->ts = *(uint64_t *)c; }
static void ts_back(void *c, struct lb_entry *e) { e->ts = *(uint64_t *)c - 1; }
static void seq_field(void *c, struct lb_entry *e) { (void)c; e->seq = 5; }
static void prev_zero(void *c, struct lb_entry *e) { (void)c; memset(e->prev, 0, LB_HASH_BYTES); }

static void control_a_forged_tail_signed_right_verifies(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	expect(x, LB_OK, NULL, 0);
	/* and a deletion, a second forged step */
	forge_add(x->f, LB_OP_DEL, "aspirasi", "A1", NULL, NULL, NULL);
	forge_head(x->f, 5, NULL, NULL, NULL);
	forge_node_write(x->f, x->node, 5);
	expect(x, LB_OK, NULL, 0);
}

static void head_with_a_wrong_merkle_root(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, flip_root, NULL, NULL);
	expect(x, LB_ECORRUPT, "Merkle root in the signed head does not match the entries", 4);
}

static void head_naming_another_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, next_seq, NULL, NULL);
	expect(x, LB_ECORRUPT, "a signed head for seq 5 where the entries end at seq 4", 4);
}

static void head_naming_another_village(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, other_village, NULL, NULL);
	expect(x, LB_ECORRUPT,
	       "signed head names another village (33.24.01.2002) than the history's 33.24.01.2001", 4);
}

static void head_with_another_hash(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, flip_hash, NULL, NULL);
	expect(x, LB_ECORRUPT, "entry hash does not match its signed head", 4);
}

static void head_signed_by_a_stranger(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, &x->stranger);
	expect(x, LB_ESIG, "signature does not verify", 4);
}

static void head_of_a_stranger_naming_itself(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, stranger_origin, &x->stranger, &x->stranger);
	expect(x, LB_ESIG, "signed by a different key", 4);
}

static void repeated_time(void **state)
{
	struct forge_world *x = *state;
	uint64_t t = x->f->ts[3];
	tail(x, ts_same, &t, NULL, NULL, NULL);
	expect(x, LB_ECORRUPT, "timestamp is not after the previous entry's", 4);
}

static void falling_time(void **state)
{
	struct forge_world *x = *state;
	uint64_t t = x->f->ts[3];
	tail(x, ts_back, &t, NULL, NULL, NULL);
	expect(x, LB_ECORRUPT, "timestamp is not after the previous entry's", 4);
}

static void entry_carrying_another_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, seq_field, NULL, NULL, NULL, NULL);
	expect(x, LB_ECORRUPT, "entry carries a different seq than its position", 4);
}

static void entry_chaining_to_nothing(void **state)
{
	struct forge_world *x = *state;
	tail(x, prev_zero, NULL, NULL, NULL, NULL);
	/* entry 4 still matches its (forged) head, so verify blames seq 3 */
	expect(x, LB_ECORRUPT, "entry was altered", 3);
}

static void entry_breaking_the_schema(void **state)
{
	struct forge_world *x = *state;
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4",
	          "{\"tanggal\":\"2026-02-30\",\"pengusul\":\"W\",\"usulan\":\"u\","
	          "\"status\":\"diusulkan\"}", NULL, NULL);
	forge_head(x->f, 4, NULL, NULL, NULL);
	forge_node_write(x->f, x->node, 4);
	expect(x, LB_ESCHEMA, "seq 4: aspirasi A4", 4);
}

static void entry_that_does_not_decode(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_node_seq(x->node, "log", 4, "\x98\xc0", 2);
	expect(x, LB_ECORRUPT, "seq 4: entry: msgpack", 4);
}

static void stored_merkle_frontier_is_wrong(void **state)
{
	struct forge_world *x = *state;
	uint8_t menc[LB_MERKLE_ENC_MAX];
	struct lb_merkle m;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	m = x->f->m[4]; /* 4 leaves: one perfect subtree at level 2 */
	m.level[2][0] ^= 1;
	forge_node_raw(x->node, "meta", "merkle", 6, menc, lb_merkle_encode(&m, menc));
	expect(x, LB_ECORRUPT, "the stored Merkle frontier does not match the log", 4);
}

static void tip_names_a_later_seq(void **state)
{
	struct forge_world *x = *state;
	uint8_t tip[LB_TIP_LEN], menc[LB_MERKLE_ENC_MAX];
	struct lb_merkle m;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	m = x->f->m[4];
	lb_merkle_append(&m, x->f->hash[4]); /* a frontier of 5 leaves, as the tip says */
	lb_be64_put(tip, 5);
	memcpy(tip + 8, x->f->hash[4], LB_HASH_BYTES);
	lb_be64_put(tip + 8 + LB_HASH_BYTES, x->f->ts[4]);
	{
		struct forge_put p[] = {{"meta", "tip", 3, tip, sizeof tip},
		                        {"meta", "merkle", 6, menc, lb_merkle_encode(&m, menc)}};
		forge_node_puts(x->node, p, 2);
	}
	expect(x, LB_ECORRUPT, "entry is missing (the log ends at seq 4", 5);
}

static void tip_names_another_hash(void **state)
{
	struct forge_world *x = *state;
	uint8_t tip[LB_TIP_LEN];
	tail(x, NULL, NULL, NULL, NULL, NULL);
	lb_be64_put(tip, 4);
	memcpy(tip + 8, x->f->hash[3], LB_HASH_BYTES);
	lb_be64_put(tip + 8 + LB_HASH_BYTES, x->f->ts[4]);
	forge_node_raw(x->node, "meta", "tip", 3, tip, sizeof tip);
	expect(x, LB_ECORRUPT, "the node's tip (meta) does not match the end of the log", 4);
}

static void entry_appended_without_a_head(void **state)
{
	struct forge_world *x = *state;
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(4), NULL, NULL);
	forge_node_write(x->f, x->node, 4);
	expect(x, LB_ECORRUPT, "entry is not covered by a signed head", 4);
}

static void no_head_at_all(void **state)
{
	struct forge_world *x = *state;
	for (size_t s = 1; s <= 3; s++)
		forge_unhead(x->f, s);
	forge_node_write(x->f, x->node, 1);
	expect(x, LB_ECORRUPT, "no signed head covers the log", 3);
}

static void head_that_covers_nothing_past_the_end(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_node_seq(x->node, "heads", 5, x->f->head[4].sb.data, x->f->head[4].sb.size);
	expect(x, LB_ECORRUPT, "signed head points past the end of the log", 5);
}

static void head_that_covers_nothing_before_the_start(void **state)
{
	struct forge_world *x = *state;
	forge_node_seq(x->node, "heads", 0, x->f->head[1].sb.data, x->f->head[1].sb.size);
	expect(x, LB_ECORRUPT, "signed head without a matching log entry", 0);
}

static void log_skipping_an_entry(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A5", FORGE_ASP(5), NULL, NULL);
	forge_head(x->f, 5, NULL, NULL, NULL);
	forge_node_write(x->f, x->node, 5);
	expect(x, LB_OK, NULL, 0);
	forge_node_seq(x->node, "log", 4, NULL, 0);
	forge_node_seq(x->node, "heads", 4, NULL, 0);
	expect(x, LB_ECORRUPT, "entry is missing (the log skips it)", 4);
}

static void records_row_missing(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_node_raw(x->node, "records", "aspirasi\0A4", 11, NULL, 0);
	expect(x, LB_ECORRUPT, "current state does not reflect this entry", 4);
}

static void records_row_with_the_wrong_operation(void **state)
{
	struct forge_world *x = *state;
	uint8_t row[LB_REC_VAL_LEN];
	tail(x, NULL, NULL, NULL, NULL, NULL);
	lb_be64_put(row, 4);
	row[8] = LB_REC_DELETED;
	forge_node_raw(x->node, "records", "aspirasi\0A4", 11, row, sizeof row);
	expect(x, LB_ECORRUPT, "current state does not match the log", 0);
}

static void records_row_malformed(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	/* a row no entry names, so only the backward pass meets it */
	forge_node_raw(x->node, "records", "aspirasi\0Z9", 11, "\0\0\0\0\0\0\0\4", 8);
	expect(x, LB_ECORRUPT, "records row aspirasi is malformed", 0);
}

static void live_count_is_wrong(void **state)
{
	struct forge_world *x = *state;
	uint8_t live[8];
	tail(x, NULL, NULL, NULL, NULL, NULL);
	lb_be64_put(live, 3);
	forge_node_raw(x->node, "meta", "live", 4, live, 8);
	expect(x, LB_ECORRUPT, "live record count in meta is 3 but the records hold 4", 0);
}

static void tip_names_another_time(void **state)
{
	struct forge_world *x = *state;
	uint8_t tip[LB_TIP_LEN];
	tail(x, NULL, NULL, NULL, NULL, NULL);
	lb_be64_put(tip, 4);
	memcpy(tip + 8, x->f->hash[4], LB_HASH_BYTES);
	lb_be64_put(tip + 8 + LB_HASH_BYTES, x->f->ts[4] + 1);
	forge_node_raw(x->node, "meta", "tip", 3, tip, sizeof tip);
	expect(x, LB_ECORRUPT, "the node's tip (meta) does not match the end of the log", 4);
}

static void records_row_pointing_at_an_older_entry(void **state)
{
	struct forge_world *x = *state;
	uint8_t row[LB_REC_VAL_LEN];
	tail(x, NULL, NULL, NULL, NULL, NULL);
	/* A4 was put again at 5; its row still names the put at 4 */
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(5), NULL, NULL);
	forge_head(x->f, 5, NULL, NULL, NULL);
	forge_node_write(x->f, x->node, 5);
	expect(x, LB_OK, NULL, 0);
	lb_be64_put(row, 4);
	row[8] = LB_REC_LIVE;
	forge_node_raw(x->node, "records", "aspirasi\0A4", 11, row, sizeof row);
	expect(x, LB_ECORRUPT, "seq 5: current state does not reflect this entry", 5);
}

static void records_row_naming_another_record(void **state)
{
	struct forge_world *x = *state;
	uint8_t row[LB_REC_VAL_LEN], live[8];
	tail(x, NULL, NULL, NULL, NULL, NULL);
	/* a row for Z9, which no entry names, pointing at the put of A4 (and
	 * the live count to match, so only the row is wrong) */
	lb_be64_put(row, 4);
	row[8] = LB_REC_LIVE;
	lb_be64_put(live, 5);
	{
		struct forge_put p[] = {{"records", "aspirasi\0Z9", 11, row, sizeof row},
		                        {"meta", "live", 4, live, 8}};
		forge_node_puts(x->node, p, 2);
	}
	expect(x, LB_ECORRUPT, "record aspirasi Z9: current state does not match the log", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, forge_world_setup, forge_world_teardown)
		T(control_a_forged_tail_signed_right_verifies),
		T(head_with_a_wrong_merkle_root),
		T(head_naming_another_seq),
		T(head_naming_another_village),
		T(head_with_another_hash),
		T(head_signed_by_a_stranger),
		T(head_of_a_stranger_naming_itself),
		T(repeated_time),
		T(falling_time),
		T(entry_carrying_another_seq),
		T(entry_chaining_to_nothing),
		T(entry_breaking_the_schema),
		T(entry_that_does_not_decode),
		T(stored_merkle_frontier_is_wrong),
		T(tip_names_a_later_seq),
		T(tip_names_another_hash),
		T(entry_appended_without_a_head),
		T(no_head_at_all),
		T(head_that_covers_nothing_past_the_end),
		T(head_that_covers_nothing_before_the_start),
		T(log_skipping_an_entry),
		T(records_row_missing),
		T(records_row_with_the_wrong_operation),
		T(records_row_malformed),
		T(live_count_is_wrong),
		T(tip_names_another_time),
		T(records_row_pointing_at_an_older_entry),
		T(records_row_naming_another_record),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
