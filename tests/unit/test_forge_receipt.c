/*
 * test_forge_receipt.c — the village's receipt check (lb_push_keep_receipt,
 * sync/push.c), which push runs on every acceptance: receipts signed with
 * the real aggregator key (forge.h) but naming another origin, seq, hash
 * or Merkle root are refused and not kept; the true one is kept.
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

#include "../../node/remote.h"
#include "../../sync/push.h"
#include "agg_fixture.h"
#include "forge.h"

/* The node keeps n receipts from the aggregator, the last for seq last. */
static void kept(struct forge_world *x, uint64_t n, uint64_t last)
{
	uint64_t seq = 99, count = 99;
	assert_int_equal(lb_node_receipt_last(x->n, x->agg_key.pk, &seq, &count, NULL), LB_OK);
	assert_int_equal(count, n);
	assert_int_equal(seq, last);
}

/* Offer a receipt for seq 3 made by hook (signed with k): want, why. */
static void offer(struct forge_world *x, forge_receipt_hook hook, void *ctx, const struct lb_key *k,
                  lb_err want, const char *why)
{
	uint8_t *r;
	size_t len;
	struct lb_diag d = {0};
	lb_err e;

	forge_receipt(x->f, k, 3, hook, ctx, &r, &len);
	e = lb_push_keep_receipt(x->n, x->agg_key.pk, 3, r, len, &d);
	free(r);
	if (e != want)
		fail_msg("got %s (%s), wanted %s", lb_errname(e), e ? d.msg : "ok", lb_errname(want));
	if (why && !strstr(d.msg, why))
		fail_msg("the reason \"%s\" does not say \"%s\"", d.msg, why);
}

static void other_origin(void *c, struct lb_receipt *rc)
{
	memcpy(rc->origin, ((struct lb_key *)c)->pk, LB_PK_BYTES);
}
static void other_seq(void *c, struct lb_receipt *rc) { (void)c; rc->seq = 2; }
static void other_hash(void *c, struct lb_receipt *rc) { (void)c; rc->hash[0] ^= 1; }
static void other_root(void *c, struct lb_receipt *rc) { (void)c; rc->root[31] ^= 1; }

static void the_true_receipt_is_kept(void **state)
{
	struct forge_world *x = *state;
	offer(x, NULL, NULL, &x->agg_key, LB_OK, NULL);
	kept(x, 1, 3);
}

static void a_receipt_for_another_origin_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	offer(x, other_origin, &x->stranger, &x->agg_key, LB_ESIG, "names another village key");
	kept(x, 0, 0);
}

static void a_receipt_for_another_seq_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	offer(x, other_seq, NULL, &x->agg_key, LB_ESIG, "the receipt for seq 3 names seq 2");
	kept(x, 0, 0);
}

static void a_receipt_for_another_hash_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	offer(x, other_hash, NULL, &x->agg_key, LB_ESIG, "names another entry hash");
	kept(x, 0, 0);
}

/* issue 05 defect 6: this one was kept, and the node's archive then
 * failed the audit */
static void a_receipt_for_another_root_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	offer(x, other_root, NULL, &x->agg_key, LB_ESIG, "names another Merkle root");
	kept(x, 0, 0);
}

static void a_receipt_signed_by_another_key_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	offer(x, NULL, NULL, &x->stranger, LB_ESIG, "not signed by this aggregator's key");
	kept(x, 0, 0);
}

static void a_receipt_past_the_tip_or_not_a_receipt_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	uint8_t *r;
	size_t len;

	forge_receipt(x->f, &x->agg_key, 3, NULL, NULL, &r, &len);
	assert_int_equal(lb_push_keep_receipt(x->n, x->agg_key.pk, 4, r, len, NULL), LB_ESIG);
	r[len - 1] ^= 0xff; /* the time, a signed byte */
	assert_int_equal(lb_push_keep_receipt(x->n, x->agg_key.pk, 3, r, len, NULL), LB_ESIG);
	assert_int_equal(lb_push_keep_receipt(x->n, x->agg_key.pk, 3, r, 10, NULL), LB_EREFUSED);
	free(r);
	kept(x, 0, 0);
}

/* Entries 4 and 5 written in one transaction carry one signed head, at
 * 5: a receipt for 4 (its true hash and root) acknowledges a state the
 * village never signed, so it is not kept. */
static void a_receipt_for_a_seq_without_a_head_is_not_kept(void **state)
{
	struct forge_world *x = *state;
	struct lb_change ops[2] = {{.op = LB_OP_DEL, .type = "aspirasi", .id = "A1", .id_len = 2},
	                           {.op = LB_OP_DEL, .type = "aspirasi", .id = "A2", .id_len = 2}};
	struct lb_diag d = {0};
	uint8_t *r;
	size_t len;
	lb_err e;

	assert_int_equal(lb_node_write(x->n, ops, 2, 0, NULL, NULL), LB_OK);
	lb_node_close(x->n);
	forge_free(x->f);
	x->f = forge_from_node(x->node);
	assert_int_equal(lb_node_open(&x->n, x->node, NULL, NULL), LB_OK);
	assert_int_equal(x->f->n, 5);
	assert_int_equal(x->f->head[4].sb.size, 0);
	forge_receipt(x->f, &x->agg_key, 4, NULL, NULL, &r, &len);
	e = lb_push_keep_receipt(x->n, x->agg_key.pk, 4, r, len, &d);
	free(r);
	assert_int_equal(e, LB_EREFUSED);
	assert_non_null(strstr(d.msg, "a receipt for seq 4, which ends no signed head"));
	kept(x, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, forge_world_setup_open, forge_world_teardown)
		T(the_true_receipt_is_kept),
		T(a_receipt_for_another_origin_is_not_kept),
		T(a_receipt_for_another_seq_is_not_kept),
		T(a_receipt_for_another_hash_is_not_kept),
		T(a_receipt_for_another_root_is_not_kept),
		T(a_receipt_signed_by_another_key_is_not_kept),
		T(a_receipt_past_the_tip_or_not_a_receipt_is_not_kept),
		T(a_receipt_for_a_seq_without_a_head_is_not_kept),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
