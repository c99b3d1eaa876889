/*
 * test_succession_agg.c — successions at the aggregator (agg/succeed.c,
 * ingest, statements, lb_agg_export_village): a village whose key was
 * lost goes on under a new key from the seq the aggregator holds; the old
 * key is refused past it; a kabupaten applies its kecamatan's succession
 * and starts the new key once the old chain reaches the seq; the village's
 * archive crosses the change with a kind 7 frame.
 *
 * The new key's entries are forged by hand (forge.h) with the new key: the
 * entries keep chaining from the old key's last hash, heads name the new
 * key and the Merkle root covers the whole chain.
 */
#define _GNU_SOURCE
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
#include "../../agg/tree.h"
#include "../../node/succession.h"
#include "../../sync/receipt.h"

static lb_err ingest(struct lb_agg *a, const struct lb_mp_buf *cs, struct lb_agg_result *r,
                     struct lb_diag *d)
{
	lb_err e = lb_agg_ingest(a, cs->sb.data, cs->sb.size, r, d);
	free(r->receipt);
	r->receipt = NULL;
	return e;
}

/* The village's log 1..3 at w->a. */
static void push_old(struct forge_world *w, struct lb_agg *a)
{
	struct lb_agg_result r;
	struct lb_diag d = {0};

	forge_changeset(w->f, 1, 3, NULL, NULL, &w->cs);
	if (ingest(a, &w->cs, &r, &d))
		fail_msg("ingesting 1..3: %s", d.msg);
	assert_int_equal(r.seq, 3);
}

/* A copy of the old log continued with entries under key k from seq 4 on
 * (n of them, one head at the end); the caller frees it. */
static struct forge *continue_under(const struct forge_world *w, const struct lb_key *k, int n)
{
	struct forge *f = forge_from_node(w->node);
	size_t s = 0;

	if (k) {
		f->key = *k;
		memcpy(f->origin, k->pk, LB_PK_BYTES);
	}
	for (int i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof id, "B%d", i + 1);
		s = forge_add(f, LB_OP_PUT, "aspirasi", id, FORGE_ASP(4), NULL, NULL);
	}
	forge_head(f, s, NULL, NULL, NULL);
	return f;
}

static void succeed_then_new_key_continues(void **state)
{
	struct forge_world *w = *state;
	struct lb_succession s;
	struct lb_agg_origin o;
	struct lb_agg_result r;
	struct lb_diag d = {0};
	struct forge *nf, *of;
	const uint8_t *old = w->f->origin, *nk = w->stranger.pk;

	push_old(w, w->a);
	assert_int_equal(lb_agg_succeed(w->a, FORGE_VILLAGE, nk, &s, &d), LB_OK);
	assert_int_equal(s.seq, 3);
	assert_int_equal(s.n, 2); /* statement 1 enrolled the old key */
	assert_memory_equal(s.hash, w->f->hash[3], LB_HASH_BYTES);
	assert_memory_equal(s.old_key, old, LB_PK_BYTES);
	assert_memory_equal(s.signer, w->agg_key.pk, LB_PK_BYTES);
	/* the old key revoked, the new one enrolled and started at 3 */
	assert_int_equal(lb_agg_origin(w->a, old, &o, NULL), LB_OK);
	assert_true(o.revoked);
	assert_int_equal(lb_agg_origin(w->a, nk, &o, NULL), LB_OK);
	assert_false(o.revoked);
	assert_int_equal(o.base, 3);
	assert_int_equal(o.seq, 3);
	assert_int_equal(o.entries, 0);
	assert_memory_equal(o.hash, w->f->hash[3], LB_HASH_BYTES);

	/* the new key's entries from 4 are accepted */
	nf = continue_under(w, &w->stranger, 2);
	forge_changeset(nf, 4, 5, NULL, NULL, &w->cs);
	if (ingest(w->a, &w->cs, &r, &d))
		fail_msg("new key from 4: %s", d.msg);
	assert_int_equal(r.seq, 5);
	assert_int_equal(r.accepted, 2);
	assert_int_equal(lb_agg_origin(w->a, nk, &o, NULL), LB_OK);
	assert_int_equal(o.seq, 5);
	assert_int_equal(o.entries, 2);
	/* a change set of the new key reaching back to seq 3 is refused */
	forge_head(nf, 5, NULL, NULL, NULL);
	forge_changeset(nf, 3, 5, NULL, NULL, &w->cs);
	assert_int_equal(ingest(w->a, &w->cs, &r, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "succession"));
	forge_free(nf);

	/* the old key: what it held is still fine to resend; past 3, refused */
	forge_changeset(w->f, 1, 3, NULL, NULL, &w->cs);
	assert_int_equal(ingest(w->a, &w->cs, &r, &d), LB_OK);
	of = continue_under(w, NULL, 1);
	forge_changeset(of, 4, 4, NULL, NULL, &w->cs);
	assert_int_equal(ingest(w->a, &w->cs, &r, &d), LB_EUNKNOWN_ORIGIN);
	assert_non_null(strstr(d.msg, "key retired at seq 3 by a succession"));
	forge_free(of);

	/* the village's records: both keys' */
	{
		uint8_t *body;
		size_t len;
		assert_int_equal(lb_agg_get(w->a, "aspirasi", FORGE_VILLAGE, "A1", &body, &len, NULL),
		                 LB_OK);
		free(body);
		assert_int_equal(lb_agg_get(w->a, "aspirasi", FORGE_VILLAGE, "B2", &body, &len, NULL),
		                 LB_OK);
		free(body);
	}
	/* the stored succession, both ways */
	assert_int_equal(lb_agg_succession(w->a, old, false, &s, NULL, NULL, NULL), LB_OK);
	assert_memory_equal(s.new_key, nk, LB_PK_BYTES);
	assert_int_equal(lb_agg_succession(w->a, nk, true, &s, NULL, NULL, NULL), LB_OK);
	assert_memory_equal(s.old_key, old, LB_PK_BYTES);
	/* the new key's own replica exports and checks (entries == seq - base) */
	{
		FILE *f = tmpfile();
		assert_int_equal(lb_agg_export_log(w->a, nk, f, &d), LB_OK);
		fclose(f);
	}
}

static void succeed_refusals(void **state)
{
	struct forge_world *w = *state;
	struct lb_key k2, k3;
	struct lb_agg_origin o;
	struct lb_diag d = {0};

	forge_stranger(&k2);
	forge_stranger(&k3);
	/* nothing held yet: N = 0 */
	assert_int_equal(lb_agg_succeed(w->a, FORGE_VILLAGE, k2.pk, NULL, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "nothing to continue"));
	push_old(w, w->a);
	/* a village with no key here */
	assert_int_equal(lb_agg_succeed(w->a, "33.24.01.2002", k2.pk, NULL, &d), LB_ENOTFOUND);
	assert_non_null(strstr(d.msg, "no active key"));
	/* a new key already enrolled (here for another village) */
	assert_int_equal(lb_agg_enroll(w->a, "33.24.01.2002", k3.pk, NULL), LB_OK);
	assert_int_equal(lb_agg_succeed(w->a, FORGE_VILLAGE, k3.pk, NULL, &d), LB_EEXIST);
	assert_non_null(strstr(d.msg, "already enrolled"));
	/* none of that changed anything */
	assert_int_equal(lb_agg_origin(w->a, w->f->origin, &o, NULL), LB_OK);
	assert_false(o.revoked);
	assert_int_equal(lb_agg_origin(w->a, k2.pk, &o, NULL), LB_EUNKNOWN_ORIGIN);
}

/* A kecamatan aggregator (33.24.01) enrolled at the world's kabupaten. */
struct kec {
	char dir[128];
	struct lb_agg *a;
	uint8_t pk[LB_PK_BYTES];
};

static void kec_open(struct forge_world *w, struct kec *k)
{
	snprintf(k->dir, sizeof k->dir, "%s/kec", w->dir);
	assert_int_equal(lb_agg_init(k->dir, "33.24.01", k->pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&k->a, k->dir, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll_aggregator(w->a, "33.24.01", k->pk, NULL), LB_OK);
}

static void apply_batch(struct lb_agg *to, struct lb_agg *from, struct lb_agg_stmt_result *r)
{
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	size_t n;

	lb_mp_buf_init(&b);
	assert_int_equal(lb_agg_statements_batch(from, 1, &b, &n, NULL), LB_OK);
	assert_true(n > 0);
	if (lb_agg_apply_statements(to, NULL, b.sb.data, b.sb.size, r, &d))
		fail_msg("applying: %s", d.msg);
	lb_mp_buf_free(&b);
}

static void upper_tier_starts_new_key_when_old_chain_arrives(void **state)
{
	struct forge_world *w = *state;
	struct kec k;
	struct lb_agg_stmt_result sr;
	struct lb_agg_origin o;
	struct lb_agg_result r;
	struct lb_statement st;
	struct lb_diag d = {0};
	struct forge *nf;
	const uint8_t *nk = w->stranger.pk;

	kec_open(w, &k);
	assert_int_equal(lb_agg_enroll(k.a, FORGE_VILLAGE, w->f->origin, NULL), LB_OK);
	push_old(w, k.a);
	assert_int_equal(lb_agg_succeed(k.a, FORGE_VILLAGE, nk, NULL, &d), LB_OK);
	/* the kecamatan's succession opens as a statement */
	{
		uint8_t *raw;
		size_t len;
		assert_int_equal(lb_agg_succession(k.a, nk, true, NULL, &raw, &len, NULL), LB_OK);
		assert_int_equal(lb_statement_open(&st, raw, len, k.pk, &d), LB_OK);
		assert_int_equal(st.action, LB_STMT_SUCCEED);
		assert_int_equal(st.n, 2);
		assert_int_equal(st.succ.seq, 3);
		assert_memory_equal(st.origin, nk, LB_PK_BYTES);
		free(raw);
	}
	/* the kabupaten (which holds nothing of the old key yet) applies it */
	apply_batch(w->a, k.a, &sr);
	assert_int_equal(sr.nrefused, 0);
	assert_int_equal(sr.seq, 2);
	free(sr.refused);
	assert_int_equal(lb_agg_origin(w->a, w->f->origin, &o, NULL), LB_OK);
	assert_true(o.revoked);
	assert_int_equal(lb_agg_origin(w->a, nk, &o, NULL), LB_OK);
	assert_int_equal(o.base, 3);
	assert_int_equal(o.seq, 0); /* not started: the old chain is not here yet */
	{
		struct lb_agg_route rt;
		assert_int_equal(lb_agg_route(w->a, nk, &rt, NULL), LB_OK);
		assert_true(rt.by_agg);
		assert_memory_equal(rt.by_key, k.pk, LB_PK_BYTES);
	}
	nf = continue_under(w, &w->stranger, 1);
	forge_changeset(nf, 4, 4, NULL, NULL, &w->cs);
	assert_int_equal(ingest(w->a, &w->cs, &r, &d), LB_EGAP);
	assert_non_null(strstr(d.msg, "old key's entries come first"));
	/* the old key, revoked, may still bring 1..3 */
	push_old(w, w->a);
	assert_int_equal(lb_agg_origin(w->a, nk, &o, NULL), LB_OK);
	assert_int_equal(o.seq, 3);
	assert_memory_equal(o.hash, w->f->hash[3], LB_HASH_BYTES);
	forge_changeset(nf, 4, 4, NULL, NULL, &w->cs);
	if (ingest(w->a, &w->cs, &r, &d))
		fail_msg("new key at the kabupaten: %s", d.msg);
	assert_int_equal(r.seq, 4);
	forge_free(nf);
	lb_agg_close(k.a);
}

static void forged_succession_in_a_batch_is_refused(void **state)
{
	struct forge_world *w = *state;
	struct kec k;
	struct lb_succession s = {.n = 1, .seq = 3, .time_ms = 1};
	struct lb_agg_stmt_result sr;
	struct lb_agg_origin o;
	struct lb_mp_buf b;
	struct lb_key stranger2;
	struct lb_diag d = {0};
	uint8_t *raw;
	size_t len;

	kec_open(w, &k);
	push_old(w, w->a);
	forge_stranger(&stranger2);
	memcpy(s.region, "33.24.01", 9);
	memcpy(s.village, FORGE_VILLAGE, sizeof s.village);
	memcpy(s.old_key, w->f->origin, LB_PK_BYTES);
	memcpy(s.new_key, stranger2.pk, LB_PK_BYTES);
	memcpy(s.hash, w->f->hash[3], LB_HASH_BYTES);
	/* signed by a key that is no aggregator enrolled here */
	memcpy(s.signer, w->stranger.pk, LB_PK_BYTES);
	assert_int_equal(lb_succession_sign(&w->stranger, &s, &raw, &len, NULL), LB_OK);
	lb_mp_buf_init(&b);
	lb_mp_put_map(&b, 2);
	lb_mp_put_cstr(&b, "statements");
	lb_mp_put_array(&b, 1);
	lb_mp_put_bin(&b, raw, len);
	lb_mp_put_cstr(&b, "v");
	lb_mp_put_uint(&b, 1);
	assert_int_equal(lb_agg_apply_statements(w->a, NULL, b.sb.data, b.sb.size, &sr, &d),
	                 LB_EUNKNOWN_ORIGIN);
	free(sr.refused);
	free(raw);
	/* naming the enrolled kecamatan as signer, signed by the stranger */
	memcpy(s.signer, k.pk, LB_PK_BYTES);
	assert_int_equal(lb_succession_sign(&w->stranger, &s, &raw, &len, NULL), LB_OK);
	lb_mp_buf_reset(&b);
	lb_mp_put_map(&b, 2);
	lb_mp_put_cstr(&b, "statements");
	lb_mp_put_array(&b, 1);
	lb_mp_put_bin(&b, raw, len);
	lb_mp_put_cstr(&b, "v");
	lb_mp_put_uint(&b, 1);
	assert_int_equal(lb_agg_apply_statements(w->a, NULL, b.sb.data, b.sb.size, &sr, &d),
	                 LB_ESIG);
	free(sr.refused);
	free(raw);
	/* truly the kecamatan's, but for a village outside it: listed as refused */
	{
		struct lb_key kk;
		forge_key(k.dir, "agg.key", &kk);
		memcpy(s.village, "33.24.02.2001", sizeof s.village);
		memcpy(s.region, "33.24", 6);
		assert_int_equal(lb_succession_sign(&kk, &s, &raw, &len, NULL), LB_OK);
		lb_key_wipe(&kk);
	}
	lb_mp_buf_reset(&b);
	lb_mp_put_map(&b, 2);
	lb_mp_put_cstr(&b, "statements");
	lb_mp_put_array(&b, 1);
	lb_mp_put_bin(&b, raw, len);
	lb_mp_put_cstr(&b, "v");
	lb_mp_put_uint(&b, 1);
	assert_int_equal(lb_agg_apply_statements(w->a, NULL, b.sb.data, b.sb.size, &sr, &d), LB_OK);
	assert_int_equal(sr.nrefused, 1);
	assert_int_equal(sr.refused[0].code, LB_EWRONG_VILLAGE);
	free(sr.refused);
	free(raw);
	lb_mp_buf_free(&b);
	/* nothing changed: the old key active, the new one unknown */
	assert_int_equal(lb_agg_origin(w->a, w->f->origin, &o, NULL), LB_OK);
	assert_false(o.revoked);
	assert_int_equal(lb_agg_origin(w->a, stranger2.pk, &o, NULL), LB_EUNKNOWN_ORIGIN);
	lb_agg_close(k.a);
}

static void export_village_crosses_the_succession(void **state)
{
	struct forge_world *w = *state;
	struct lb_agg_result r;
	struct lb_diag d = {0};
	struct forge *nf;
	const uint8_t *nk = w->stranger.pk;

	push_old(w, w->a);
	assert_int_equal(lb_agg_succeed(w->a, FORGE_VILLAGE, nk, NULL, &d), LB_OK);
	nf = continue_under(w, &w->stranger, 2);
	forge_changeset(nf, 4, 5, NULL, NULL, &w->cs);
	assert_int_equal(ingest(w->a, &w->cs, &r, &d), LB_OK);
	for (uint64_t from = 1; from <= 5; from += 3) {
		/* expected frame kinds (E entry, H head, S succession, R receipt,
		 * T trailer): the aggregator keeps the head ending each change set */
		const char *want = from == 1 ? "EEEHSEEHRT" : "SEEHRT";
		char got[32] = "";
		size_t ng = 0;
		struct lb_lla_reader rd;
		struct lb_lla_frame fr;
		FILE *f = tmpfile();
		lb_err e;

		if (lb_agg_export_village(w->a, FORGE_VILLAGE, from, f, &d))
			fail_msg("export from %llu: %s", (unsigned long long)from, d.msg);
		rewind(f);
		assert_int_equal(lb_lla_reader_open(&rd, f, NULL), LB_OK);
		assert_int_equal(lb_lla_next(&rd, &fr, NULL), LB_OK);
		assert_int_equal(fr.kind, LB_LLA_HEADER);
		assert_memory_equal(fr.header.origin, w->f->origin, LB_PK_BYTES); /* the first key */
		assert_int_equal(fr.header.from, from);
		assert_string_equal(fr.header.village, FORGE_VILLAGE);
		while ((e = lb_lla_next(&rd, &fr, &d)) == LB_OK && ng < sizeof got - 1) {
			static const char k[] = "?EHRFTXS";
			got[ng++] = k[fr.kind];
			if (fr.kind == LB_LLA_SUCCESSION) {
				struct lb_succession s;
				assert_int_equal(lb_succession_open(&s, fr.a, fr.alen, w->agg_key.pk, NULL),
				                 LB_OK);
				assert_int_equal(s.seq, 3);
				assert_memory_equal(s.new_key, nk, LB_PK_BYTES);
			}
			if (fr.kind == LB_LLA_ENTRY && ng == 1)
				assert_memory_equal(fr.a, nf->ent[from].sb.data, fr.alen);
			if (fr.kind == LB_LLA_RECEIPT) {
				struct lb_receipt rc;
				assert_memory_equal(fr.a, w->agg_key.pk, LB_PK_BYTES);
				assert_int_equal(lb_receipt_open(&rc, fr.b, fr.blen, w->agg_key.pk, NULL),
				                 LB_OK);
				assert_int_equal(rc.seq, 5);
				assert_memory_equal(rc.origin, nk, LB_PK_BYTES);
				assert_memory_equal(rc.hash, nf->hash[5], LB_HASH_BYTES);
				{
					uint8_t root[LB_HASH_BYTES];
					lb_merkle_root(&nf->m[5], root);
					assert_memory_equal(rc.root, root, LB_HASH_BYTES);
				}
			}
		}
		assert_int_equal(e, LB_ENOTFOUND);
		assert_string_equal(got, want);
		lb_lla_reader_close(&rd);
		fclose(f);
	}
	/* nothing from past what is held; a village with no key */
	{
		FILE *f = tmpfile();
		assert_int_equal(lb_agg_export_village(w->a, FORGE_VILLAGE, 6, f, &d), LB_ENOTFOUND);
		assert_int_equal(lb_agg_export_village(w->a, "33.24.01.2009", 1, f, &d),
		                 LB_ENOTFOUND);
		fclose(f);
	}
	forge_free(nf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(succeed_then_new_key_continues, forge_world_setup,
		                                forge_world_teardown),
		cmocka_unit_test_setup_teardown(succeed_refusals, forge_world_setup,
		                                forge_world_teardown),
		cmocka_unit_test_setup_teardown(upper_tier_starts_new_key_when_old_chain_arrives,
		                                forge_world_setup, forge_world_teardown),
		cmocka_unit_test_setup_teardown(forged_succession_in_a_batch_is_refused,
		                                forge_world_setup, forge_world_teardown),
		cmocka_unit_test_setup_teardown(export_village_crosses_the_succession,
		                                forge_world_setup, forge_world_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
