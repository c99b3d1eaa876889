/*
 * test_forge_ingest.c — the aggregator's ingest (lb_agg_ingest, agg/ingest.c)
 * against change sets signed with the enrolled village's real key (forge.h)
 * but lying in one field: the Merkle root, the hash, the village, the seq,
 * the time, the schema, the history.  Each must be refused with nothing
 * stored; the control (every field right) is accepted with a true receipt.
 */
#define _GNU_SOURCE /* memmem */
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

static uint64_t held(struct forge_world *x)
{
	struct lb_agg_origin o;
	assert_int_equal(lb_agg_origin(x->a, x->f->origin, &o, NULL), LB_OK);
	return o.seq;
}

/* Ingest x->cs: want (a code, or LB_OK), the reason says why; on a
 * refusal the aggregator still holds `before`. */
static void ingest(struct forge_world *x, lb_err want, const char *why)
{
	struct lb_agg_result r;
	struct lb_diag d = {0};
	uint64_t before = held(x);
	lb_err e = lb_agg_ingest(x->a, x->cs.sb.data, x->cs.sb.size, &r, &d);

	free(r.receipt);
	if (e != want)
		fail_msg("ingest gave %s (%s), wanted %s", lb_errname(e), e ? d.msg : "ok",
		         lb_errname(want));
	if (want != LB_OK) {
		if (why && !strstr(d.msg, why))
			fail_msg("ingest's reason \"%s\" does not say \"%s\"", d.msg, why);
		assert_int_equal(held(x), before);
	}
}

/* Entry 4 (with eh), its head (with hh, signed by k or the village),
 * and the change set 1..4 of it in x->cs. */
static void tail(struct forge_world *x, forge_entry_hook eh, void *ectx, forge_head_hook hh,
                 void *hctx, const struct lb_key *k)
{
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(4), eh, ectx);
	forge_head(x->f, 4, hh, hctx, k);
	forge_changeset(x->f, 1, 4, NULL, NULL, &x->cs);
}

static void flip_root(void *c, struct lb_head *h) { (void)c; h->root[0] ^= 1; }
static void flip_hash(void *c, struct lb_head *h) { (void)c; h->hash[7] ^= 1; }
static void prev_seq(void *c, struct lb_head *h) { (void)c; h->seq--; }
static void other_village(void *c, struct lb_head *h)
{
	(void)c;
	memcpy(h->village, "33.24.01.2002", sizeof h->village);
}
static void ts_same(void *c, struct lb_entry *e) { e->ts = *(uint64_t *)c; }
static void ts_back(void *c, struct lb_entry *e) { e->ts = *(uint64_t *)c - 1; }
static void seq_field(void *c, struct lb_entry *e) { (void)c; e->seq = 5; }

static void control_a_forged_change_set_signed_right_is_accepted(void **state)
{
	struct forge_world *x = *state;
	struct lb_agg_result r;
	struct lb_receipt rc;
	uint8_t root[LB_HASH_BYTES];

	tail(x, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(lb_agg_ingest(x->a, x->cs.sb.data, x->cs.sb.size, &r, NULL), LB_OK);
	assert_int_equal(r.accepted, 4);
	assert_int_equal(lb_receipt_open(&rc, r.receipt, r.receipt_len, x->agg_key.pk, NULL), LB_OK);
	free(r.receipt);
	lb_merkle_root(&x->f->m[4], root);
	assert_int_equal(rc.seq, 4);
	assert_memory_equal(rc.hash, x->f->hash[4], LB_HASH_BYTES);
	assert_memory_equal(rc.root, root, LB_HASH_BYTES);
	assert_int_equal(held(x), 4);
}

static void head_with_a_wrong_merkle_root(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, flip_root, NULL, NULL);
	ingest(x, LB_ESIG, "Merkle root in the signed head does not match the entries");
}

static void head_with_another_hash(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, flip_hash, NULL, NULL);
	ingest(x, LB_ESIG, "do not chain to the signed head's hash");
}

static void head_naming_another_village(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, other_village, NULL, NULL);
	ingest(x, LB_ESIG, "signed head names another village (33.24.01.2002)");
}

static void head_naming_an_earlier_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, prev_seq, NULL, NULL);
	ingest(x, LB_ESIG, "a signed head for seq 3 where the entries end at seq 4");
}

static void head_signed_by_a_stranger(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, &x->stranger);
	ingest(x, LB_ESIG, "signature does not verify");
}

static void change_set_of_a_key_not_enrolled(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_changeset(x->f, 1, 4, NULL, x->stranger.pk, &x->cs);
	{
		struct lb_diag d = {0};
		struct lb_agg_result r;
		assert_int_equal(lb_agg_ingest(x->a, x->cs.sb.data, x->cs.sb.size, &r, &d),
		                 LB_EUNKNOWN_ORIGIN);
		assert_non_null(strstr(d.msg, "is not enrolled"));
	}
	assert_int_equal(held(x), 0);
}

static void change_set_of_a_revoked_key(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(lb_agg_revoke(x->a, x->f->origin, NULL), LB_OK);
	ingest(x, LB_EUNKNOWN_ORIGIN, "was revoked");
}

static void change_set_speaking_for_another_village(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, other_village, NULL, NULL);
	forge_changeset(x->f, 1, 4, "33.24.01.2002", NULL, &x->cs);
	ingest(x, LB_EWRONG_VILLAGE, "is enrolled for 33.24.01.2001, not 33.24.01.2002");
}

static void change_set_leaving_a_gap(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_changeset(x->f, 3, 4, NULL, NULL, &x->cs);
	ingest(x, LB_EGAP, "send from seq 1");
}

static void entry_carrying_another_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, seq_field, NULL, NULL, NULL, NULL);
	ingest(x, LB_EMALFORMED, "entry 3 has seq 5, expected 4");
}

static void entry_breaking_the_schema(void **state)
{
	struct forge_world *x = *state;
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4",
	          "{\"tanggal\":\"2026-02-30\",\"pengusul\":\"W\",\"usulan\":\"u\","
	          "\"status\":\"diusulkan\"}", NULL, NULL);
	forge_head(x->f, 4, NULL, NULL, NULL);
	forge_changeset(x->f, 1, 4, NULL, NULL, &x->cs);
	ingest(x, LB_ESCHEMA, "seq 4: aspirasi A4");
}

static void a_second_signed_history_is_a_fork(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	ingest(x, LB_OK, NULL);
	/* the village signs another entry 4 */
	x->f->n = 3;
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A9", FORGE_ASP(9), NULL, NULL);
	forge_head(x->f, 4, NULL, NULL, NULL);
	forge_changeset(x->f, 4, 4, NULL, NULL, &x->cs);
	ingest(x, LB_EFORK, "seq 4 differs");
}

/* A resend of what is held (the village lost its receipt): acknowledged,
 * nothing stored again, the aggregator stays where it was. */
static void a_resend_of_a_held_prefix_changes_nothing(void **state)
{
	struct forge_world *x = *state;
	struct lb_agg_result r;

	tail(x, NULL, NULL, NULL, NULL, NULL);
	ingest(x, LB_OK, NULL);
	forge_changeset(x->f, 1, 2, NULL, NULL, &x->cs);
	assert_int_equal(lb_agg_ingest(x->a, x->cs.sb.data, x->cs.sb.size, &r, NULL), LB_OK);
	free(r.receipt);
	assert_int_equal(r.accepted, 0);
	assert_int_equal(r.seq, 4);
	assert_int_equal(held(x), 4);
}

/* Held up to 3, sent 1..4 whose head lies about the root: the frontier
 * held at 3 must be taken up when the chain passes it. */
static void head_with_a_wrong_merkle_root_after_a_held_prefix(void **state)
{
	struct forge_world *x = *state;

	forge_changeset(x->f, 1, 3, NULL, NULL, &x->cs);
	ingest(x, LB_OK, NULL);
	tail(x, NULL, NULL, flip_root, NULL, NULL);
	ingest(x, LB_ESIG, "Merkle root in the signed head does not match the entries");
}

/* The framing is not signed, so only the check of canonical form refuses
 * a change set whose version number is written in a longer form. */
static void change_set_not_in_canonical_form(void **state)
{
	struct forge_world *x = *state;
	struct lb_mp_buf b;
	const char *p;
	size_t at;

	tail(x, NULL, NULL, NULL, NULL, NULL);
	p = memmem(x->cs.sb.data, x->cs.sb.size, "\xa1v\x01", 3);
	assert_non_null(p);
	at = (size_t)(p - x->cs.sb.data) + 2;
	lb_mp_buf_init(&b);
	lb_mp_put_raw(&b, x->cs.sb.data, at);
	lb_mp_put_raw(&b, "\xcc\x01", 2); /* uint8 1 instead of fixint 1 */
	lb_mp_put_raw(&b, x->cs.sb.data + at + 1, x->cs.sb.size - at - 1);
	lb_mp_buf_reset(&x->cs);
	lb_mp_put_raw(&x->cs, b.sb.data, b.sb.size);
	lb_mp_buf_free(&b);
	ingest(x, LB_EMALFORMED, "change set: msgpack: value not in canonical (smallest) form");
}

/* More entries than a change set may hold (each a bare array of 7 with
 * seq 1: the count is refused before any entry is looked at). */
static void change_set_of_too_many_entries(void **state)
{
	struct forge_world *x = *state;
	uint8_t hdr[5] = {0xdd, (LB_WIRE_MAX_ENTRIES + 1) >> 24, ((LB_WIRE_MAX_ENTRIES + 1) >> 16) & 255,
	                  ((LB_WIRE_MAX_ENTRIES + 1) >> 8) & 255, (LB_WIRE_MAX_ENTRIES + 1) & 255};

	lb_mp_buf_reset(&x->cs);
	lb_mp_put_map(&x->cs, 5);
	lb_mp_put_cstr(&x->cs, "entries");
	lb_mp_put_raw(&x->cs, hdr, sizeof hdr);
	for (size_t i = 0; i <= LB_WIRE_MAX_ENTRIES; i++)
		lb_mp_put_raw(&x->cs, "\x97\x01\xc0\xc0\xc0\xc0\xc0\xc0", 8);
	lb_mp_put_cstr(&x->cs, "head");
	lb_mp_put_bin(&x->cs, x->f->head[3].sb.data, x->f->head[3].sb.size);
	lb_mp_put_cstr(&x->cs, "origin");
	lb_mp_put_bin(&x->cs, x->f->origin, LB_PK_BYTES);
	lb_mp_put_cstr(&x->cs, "v");
	lb_mp_put_uint(&x->cs, LB_WIRE_VERSION);
	lb_mp_put_cstr(&x->cs, "village");
	lb_mp_put_cstr(&x->cs, FORGE_VILLAGE);
	assert_false(x->cs.oom);
	ingest(x, LB_ETOOBIG, "entries (allowed 1..200000)");
}

/* More bytes than a change set may have. */
static void change_set_over_the_size_limit(void **state)
{
	struct forge_world *x = *state;
	struct lb_agg_result r;
	struct lb_diag d = {0};
	uint8_t *big = calloc(1, (size_t)LB_WIRE_MAX_BYTES + 1);

	assert_non_null(big);
	assert_int_equal(lb_agg_ingest(x->a, big, (size_t)LB_WIRE_MAX_BYTES + 1, &r, &d), LB_ETOOBIG);
	free(big);
	assert_non_null(strstr(d.msg, "exceeds"));
	assert_int_equal(held(x), 0);
}

/* The shared chain check (node/chain.h) refuses a time that does not rise
 * as a schema error: the entries are signed, only their times are wrong. */
static void repeated_time(void **state)
{
	struct forge_world *x = *state;
	uint64_t t = x->f->ts[3];
	tail(x, ts_same, &t, NULL, NULL, NULL);
	ingest(x, LB_ESCHEMA, "seq 4: timestamp is not after the previous entry's");
}

static void falling_time(void **state)
{
	struct forge_world *x = *state;
	uint64_t t = x->f->ts[3];
	tail(x, ts_back, &t, NULL, NULL, NULL);
	ingest(x, LB_ESCHEMA, "seq 4: timestamp is not after the previous entry's");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, forge_world_setup, forge_world_teardown)
		T(control_a_forged_change_set_signed_right_is_accepted),
		T(head_with_a_wrong_merkle_root),
		T(head_with_another_hash),
		T(head_naming_another_village),
		T(head_naming_an_earlier_seq),
		T(head_signed_by_a_stranger),
		T(change_set_of_a_key_not_enrolled),
		T(change_set_of_a_revoked_key),
		T(change_set_speaking_for_another_village),
		T(change_set_leaving_a_gap),
		T(entry_carrying_another_seq),
		T(entry_breaking_the_schema),
		T(a_second_signed_history_is_a_fork),
		T(repeated_time),
		T(falling_time),
		T(a_resend_of_a_held_prefix_changes_nothing),
		T(head_with_a_wrong_merkle_root_after_a_held_prefix),
		T(change_set_not_in_canonical_form),
		T(change_set_of_too_many_entries),
		T(change_set_over_the_size_limit),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
