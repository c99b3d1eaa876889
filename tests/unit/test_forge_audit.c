/*
 * test_forge_audit.c — `lumbung-audit verify` (lb_audit_verify,
 * tools/audit/verify.c) against archives whose heads, entries, receipts
 * and fork evidence are signed with the real keys (forge.h) but lie in
 * one field.  The control archive, every field right, verifies (with and
 * without worker threads): so each failure comes from the field changed.
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

#include "../../tools/audit/audit.h"
#include "agg_fixture.h"
#include "forge.h"

/* Archive f as o says, verify it (threads, key: the expected signer or
 * NULL): want, why, and the report's bad seq (0: not checked). */
static void expect_t(struct forge_world *x, const struct forge_arch *o, unsigned threads,
                     const uint8_t *key, lb_err want, const char *why, uint64_t bad_seq)
{
	FILE *t = tmpfile();
	struct lb_audit_opts ao = {.key = key, .threads = threads};
	struct lb_audit_report r;
	struct lb_diag d = {0};
	lb_err e;

	assert_non_null(t);
	forge_archive(x->f, t, o);
	rewind(t);
	e = lb_audit_verify(t, &ao, &r, &d);
	fclose(t);
	if (e != want)
		fail_msg("audit verify gave %s (%s), wanted %s", lb_errname(e), e ? d.msg : "ok",
		         lb_errname(want));
	if (want == LB_OK)
		return;
	if (why && !strstr(d.msg, why))
		fail_msg("the reason \"%s\" does not say \"%s\"", d.msg, why);
	if (bad_seq)
		assert_int_equal(r.bad_seq, bad_seq);
}

static void expect(struct forge_world *x, const struct forge_arch *o, lb_err want, const char *why,
                   uint64_t bad_seq)
{
	expect_t(x, o, 0, NULL, want, why, bad_seq);
}

/* Entry 4 with eh, its head with hh (signed by k or the village). */
static void tail(struct forge_world *x, forge_entry_hook eh, void *ectx, forge_head_hook hh,
                 void *hctx, const struct lb_key *k)
{
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(4), eh, ectx);
	forge_head(x->f, 4, hh, hctx, k);
}

/* An archive with a receipt for seq 4 made by rh, signed by k (NULL: the
 * aggregator), framed with the aggregator's key. */
static void with_receipt(struct forge_world *x, forge_receipt_hook rh, void *ctx,
                         const struct lb_key *k, size_t seq, lb_err want, const char *why)
{
	size_t len;
	struct forge_rframe rf;
	struct forge_arch o = {.rf = &rf, .nr = 1};

	forge_receipt(x->f, k ? k : &x->agg_key, seq, rh, ctx, &x->r, &len);
	rf = (struct forge_rframe){4, x->agg_key.pk, x->r, len};
	expect(x, &o, want, why, 0);
}

static void flip_root(void *c, struct lb_head *h) { (void)c; h->root[0] ^= 1; }
static void flip_hash(void *c, struct lb_head *h) { (void)c; h->hash[7] ^= 1; }
static void next_seq(void *c, struct lb_head *h) { (void)c; h->seq++; }
static void prev_seq(void *c, struct lb_head *h) { (void)c; h->seq--; }
static void later_ts(void *c, struct lb_head *h) { (void)c; h->ts++; }
static void other_village(void *c, struct lb_head *h)
{
	(void)c;
	memcpy(h->village, "33.24.01.2002", sizeof h->village);
}
static void ts_same(void *c, struct lb_entry *e) { e->ts = *(uint64_t *)c; }
static void ts_back(void *c, struct lb_entry *e) { e->ts = *(uint64_t *)c - 1; }
static void seq_field(void *c, struct lb_entry *e) { (void)c; e->seq = 5; }
static void prev_zero(void *c, struct lb_entry *e) { (void)c; memset(e->prev, 0, LB_HASH_BYTES); }
static void r_origin(void *c, struct lb_receipt *rc)
{
	memcpy(rc->origin, ((struct lb_key *)c)->pk, LB_PK_BYTES);
}
static void r_hash(void *c, struct lb_receipt *rc) { (void)c; rc->hash[0] ^= 1; }
static void r_root(void *c, struct lb_receipt *rc) { (void)c; rc->root[0] ^= 1; }

static void control_a_forged_archive_signed_right_verifies(void **state)
{
	struct forge_world *x = *state;
	size_t len;
	struct forge_rframe rf;
	struct forge_arch o = {.rf = &rf, .nr = 1};

	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_receipt(x->f, &x->agg_key, 4, NULL, NULL, &x->r, &len);
	rf = (struct forge_rframe){4, x->agg_key.pk, x->r, len};
	expect_t(x, &o, 0, x->f->origin, LB_OK, NULL, 0);
	expect_t(x, &o, 2, x->f->origin, LB_OK, NULL, 0);
}

static void archive_of_another_key_than_expected(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	expect_t(x, NULL, 0, x->stranger.pk, LB_ESIG, "not of the expected key", 0);
}

static void head_with_a_wrong_merkle_root(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, flip_root, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "Merkle root in the signed head does not match", 4);
}

static void head_naming_another_village(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, other_village, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "signed head names another village (33.24.01.2002)", 4);
}

static void head_with_another_hash(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, flip_hash, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "entry hash does not match its signed head", 4);
}

static void head_with_another_time(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, later_ts, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "signed head's time is not the time of the entry", 4);
}

static void head_naming_a_later_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, next_seq, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "entry is missing (a signed head for seq 5", 5);
}

static void head_naming_an_earlier_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, prev_seq, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "signed head out of place", 3);
}

static void head_signed_by_a_stranger(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, &x->stranger);
	expect(x, NULL, LB_ESIG, "signature does not verify", 4);
}

static void head_at_seq_zero(void **state)
{
	struct forge_world *x = *state;
	struct lb_mp_buf h0;

	/* a head for seq 0 signed by the village, right after entry 1 ... */
	forge_head(x->f, 1, NULL, NULL, NULL);
	lb_mp_buf_init(&h0);
	{
		struct lb_head h;
		assert_int_equal(lb_head_open(&h, x->f->head[1].sb.data, x->f->head[1].sb.size, NULL,
		                              NULL),
		                 LB_OK);
		h.seq = 0;
		assert_int_equal(lb_head_sign(&h0, &h, &x->f->key), LB_OK);
	}
	/* ... in the place of entry 1's own head */
	lb_mp_buf_free(&x->f->head[1]);
	x->f->head[1] = h0;
	expect(x, NULL, LB_ECORRUPT, "signed head out of place", 0);
}

/* A head for seq 0 as the archive's first frame: no entry before it. */
static void head_at_seq_zero_before_any_entry(void **state)
{
	struct forge_world *x = *state;
	struct lb_mp_buf h0;
	struct lb_lla_writer w;
	struct lb_lla_header hd = {.source = "node"};
	struct lb_audit_report r;
	struct lb_diag d = {0};
	struct lb_head h = {.seq = 0, .ts = x->f->ts[1]};
	FILE *t = tmpfile();

	assert_non_null(t);
	memcpy(h.village, x->f->village, sizeof h.village);
	memcpy(h.origin, x->f->origin, LB_PK_BYTES);
	lb_merkle_root(&x->f->m[0], h.root);
	lb_mp_buf_init(&h0);
	assert_int_equal(lb_head_sign(&h0, &h, &x->f->key), LB_OK);
	memcpy(hd.village, x->f->village, sizeof hd.village);
	memcpy(hd.origin, x->f->origin, LB_PK_BYTES);
	lb_lla_writer_init(&w, t);
	assert_int_equal(lb_lla_write_header(&w, &hd, NULL), LB_OK);
	assert_int_equal(lb_lla_write_head(&w, h0.sb.data, h0.sb.size, NULL), LB_OK);
	assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	lb_lla_writer_free(&w);
	lb_mp_buf_free(&h0);
	rewind(t);
	assert_int_equal(lb_audit_verify(t, NULL, &r, &d), LB_ECORRUPT);
	fclose(t);
	if (!strstr(d.msg, "seq 0: signed head out of place"))
		fail_msg("the reason \"%s\" does not say it is out of place", d.msg);
}

static void more_head(void *ctx, struct lb_lla_writer *w, size_t seq)
{
	struct forge *f = ctx;
	if (seq == 4)
		assert_int_equal(lb_lla_write_head(w, f->head[4].sb.data, f->head[4].sb.size, NULL),
		                 LB_OK);
}

static void a_second_head_for_the_same_seq(void **state)
{
	struct forge_world *x = *state;
	struct forge_arch o = {.more = more_head, .ctx = x->f};
	tail(x, NULL, NULL, NULL, NULL, NULL);
	expect(x, &o, LB_ECORRUPT, "a second signed head for the same seq", 4);
}

static void entry_appended_without_a_head(void **state)
{
	struct forge_world *x = *state;
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(4), NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "entry is not covered by a signed head", 4);
}

static void repeated_time(void **state)
{
	struct forge_world *x = *state;
	uint64_t t = x->f->ts[3];
	tail(x, ts_same, &t, NULL, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "timestamp is not after the previous entry's", 4);
}

static void falling_time(void **state)
{
	struct forge_world *x = *state;
	uint64_t t = x->f->ts[3];
	tail(x, ts_back, &t, NULL, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "timestamp is not after the previous entry's", 4);
}

static void entry_carrying_another_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, seq_field, NULL, NULL, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "entry says it is seq 5 but chains right after seq 3", 4);
}

static void archive_skipping_an_entry(void **state)
{
	struct forge_world *x = *state;
	struct forge_arch o = {.skip = 4};
	tail(x, NULL, NULL, NULL, NULL, NULL);
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A5", FORGE_ASP(5), NULL, NULL);
	forge_head(x->f, 5, NULL, NULL, NULL);
	expect(x, &o, LB_ECORRUPT, "entry is missing or out of order", 4);
}

static void entry_chaining_to_nothing(void **state)
{
	struct forge_world *x = *state;
	tail(x, prev_zero, NULL, NULL, NULL, NULL);
	expect(x, NULL, LB_ECORRUPT, "entry was altered", 3);
}

static void entry_breaking_the_schema(void **state)
{
	struct forge_world *x = *state;
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A4",
	          "{\"tanggal\":\"2026-02-30\",\"pengusul\":\"W\",\"usulan\":\"u\","
	          "\"status\":\"diusulkan\"}", NULL, NULL);
	forge_head(x->f, 4, NULL, NULL, NULL);
	expect(x, NULL, LB_ESCHEMA, "seq 4: aspirasi A4", 4);
}

static void receipt_for_another_origin(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	with_receipt(x, r_origin, &x->stranger, NULL, 4, LB_ECORRUPT, "is for another village key");
}

static void receipt_for_another_seq(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	with_receipt(x, NULL, NULL, NULL, 3, LB_ECORRUPT, "out of place");
}

static void receipt_for_another_hash(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	with_receipt(x, r_hash, NULL, NULL, 4, LB_ECORRUPT, "acknowledged another hash");
}

static void receipt_for_another_root(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	with_receipt(x, r_root, NULL, NULL, 4, LB_ECORRUPT, "acknowledged another Merkle root");
}

static void receipt_signed_by_another_aggregator(void **state)
{
	struct forge_world *x = *state;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	with_receipt(x, NULL, NULL, &x->stranger, 4, LB_ESIG, "not signed by this aggregator's key");
}

static void receipt_before_any_head(void **state)
{
	struct forge_world *x = *state;
	size_t len;
	struct forge_rframe rf;
	struct forge_arch o = {.rf = &rf, .nr = 1};

	for (size_t s = 1; s <= 3; s++)
		forge_unhead(x->f, s);
	forge_receipt(x->f, &x->agg_key, 1, NULL, NULL, &x->r, &len);
	rf = (struct forge_rframe){1, x->agg_key.pk, x->r, len};
	expect(x, &o, LB_ECORRUPT, "out of place", 0);
}

/* Receipts of seq 4 signed by the aggregator and by a stranger (r[0],
 * r[1], malloc'd), framed each with its own key: frame i is the receipt
 * under the smaller key when pick[i] is 0, the larger when 1. */
static void receipt_frames(struct forge_world *x, const int pick[2], uint8_t *r[2],
                           struct forge_rframe rf[2])
{
	const struct lb_key *k[2] = {&x->agg_key, &x->stranger};
	size_t len[2];
	int lo = memcmp(k[0]->pk, k[1]->pk, LB_PK_BYTES) < 0 ? 0 : 1;

	for (int i = 0; i < 2; i++)
		forge_receipt(x->f, k[i], 4, NULL, NULL, &r[i], &len[i]);
	for (int i = 0; i < 2; i++) {
		int w = pick[i] ^ lo;
		rf[i] = (struct forge_rframe){4, k[w]->pk, r[w], len[w]};
	}
}

/* An archive with entry 4 and the receipts receipt_frames(pick) gives, its
 * header's source `source` (NULL: node): want, why. */
static void two_receipts(struct forge_world *x, int pick0, int pick1, const char *source,
                        lb_err want, const char *why)
{
	uint8_t *r[2];
	struct forge_rframe rf[2];
	struct forge_arch o = {.rf = rf, .nr = 2, .source = source};

	tail(x, NULL, NULL, NULL, NULL, NULL);
	receipt_frames(x, (const int[2]){pick0, pick1}, r, rf);
	expect(x, &o, want, why, 0);
	free(r[0]);
	free(r[1]);
}

static void receipts_of_one_seq_in_key_order(void **state)
{
	two_receipts(*state, 0, 1, NULL, LB_OK, NULL);
}

static void receipts_of_one_seq_in_reverse_key_order(void **state)
{
	two_receipts(*state, 1, 0, NULL, LB_ECORRUPT, "out of order (the receipts of a seq are");
}

static void a_receipt_twice(void **state)
{
	two_receipts(*state, 0, 0, NULL, LB_ECORRUPT, "a second receipt of aggregator");
}

static void two_receipts_in_an_aggregators_archive(void **state)
{
	two_receipts(*state, 0, 1, "aggregator", LB_ECORRUPT,
	             "a second receipt in an aggregator's archive");
}

static void an_aggregators_receipt_before_its_last_head(void **state)
{
	struct forge_world *x = *state;
	size_t len;
	struct forge_rframe rf;
	struct forge_arch o = {.rf = &rf, .nr = 1, .source = "aggregator"};

	forge_receipt(x->f, &x->agg_key, 3, NULL, NULL, &x->r, &len);
	rf = (struct forge_rframe){3, x->agg_key.pk, x->r, len};
	expect(x, &o, LB_OK, NULL, 0); /* after the last head: the exporter's own */
	tail(x, NULL, NULL, NULL, NULL, NULL);
	expect(x, &o, LB_ECORRUPT, "an entry after the receipt of an aggregator's archive", 4);
}

/* Receipts count as pinned only under a key given in opts.agg_keys. */
static void receipts_under_unpinned_keys_verify_but_are_not_pinned(void **state)
{
	struct forge_world *x = *state;
	uint8_t *r[2];
	struct forge_rframe rf[2];
	struct forge_arch o = {.rf = rf, .nr = 2};
	const struct lb_key *k[2] = {&x->agg_key, &x->stranger};
	struct lb_audit_opts ao = {0};
	struct lb_audit_report rep;
	FILE *t;

	tail(x, NULL, NULL, NULL, NULL, NULL);
	receipt_frames(x, (const int[2]){0, 1}, r, rf);
	for (size_t n = 0; n <= 2; n++) {
		const uint8_t(*keys)[LB_PK_BYTES] = n == 2 ? NULL : &k[n]->pk;
		assert_non_null(t = tmpfile());
		forge_archive(x->f, t, &o);
		rewind(t);
		ao.agg_keys = keys;
		ao.n_agg_keys = keys ? 1 : 0;
		assert_int_equal(lb_audit_verify(t, &ao, &rep, NULL), LB_OK);
		fclose(t);
		assert_int_equal(rep.receipts, 2);
		assert_int_equal(rep.receipts_pinned, keys ? 1 : 0);
	}
	assert_true(lb_audit_pinned(&ao, x->agg_key.pk) == false);
	free(r[0]);
	free(r[1]);
}

/* Fork evidence: two heads of the village, written after entry 4. */
struct forkx {
	struct lb_mp_buf a, b;
};

static void more_fork(void *ctx, struct lb_lla_writer *w, size_t seq)
{
	struct forkx *k = ctx;
	if (seq == 4)
		assert_int_equal(lb_lla_write_fork(w, k->a.sb.data, k->a.sb.size, k->b.sb.data,
		                                   k->b.sb.size, NULL),
		                 LB_OK);
}

/* Heads ours (entry 4) and theirs (a rival entry 4, changed by hh), as
 * fork evidence after entry 4: want, why. */
static void forked_with(struct forge_world *x,
                        void (*more)(void *, struct lb_lla_writer *, size_t), forge_head_hook hh,
                        bool same, const struct lb_key *ours_k, const struct lb_key *theirs_k,
                        lb_err want, const char *why)
{
	struct forkx k;
	struct forge_arch o = {.more = more, .ctx = &k};
	struct forge *f = x->f;

	tail(x, NULL, NULL, NULL, NULL, ours_k);
	lb_mp_buf_init(&k.a);
	lb_mp_buf_init(&k.b);
	lb_mp_put_raw(&k.a, f->head[4].sb.data, f->head[4].sb.size);
	if (!same) {
		f->n = 3; /* the rival entry 4, then the real one back */
		forge_add(f, LB_OP_PUT, "aspirasi", "A9", FORGE_ASP(9), NULL, NULL);
	}
	forge_head(f, 4, hh, NULL, theirs_k);
	lb_mp_put_raw(&k.b, f->head[4].sb.data, f->head[4].sb.size);
	f->n = 3;
	tail(x, NULL, NULL, NULL, NULL, NULL);
	expect(x, &o, want, why, 0);
	if (want == LB_OK) {
		FILE *t = tmpfile();
		struct lb_audit_report r;
		forge_archive(f, t, &o);
		rewind(t);
		assert_int_equal(lb_audit_verify(t, NULL, &r, NULL), LB_OK);
		fclose(t);
		assert_int_equal(r.forks, 1);
		assert_int_equal(r.fork_seq, 4);
	}
	lb_mp_buf_free(&k.a);
	lb_mp_buf_free(&k.b);
}

static void forked_by(struct forge_world *x, forge_head_hook hh, bool same,
                      const struct lb_key *ours_k, const struct lb_key *theirs_k, lb_err want,
                      const char *why)
{
	forked_with(x, more_fork, hh, same, ours_k, theirs_k, want, why);
}

static void forked(struct forge_world *x, forge_head_hook hh, bool same, lb_err want,
                   const char *why)
{
	forked_by(x, hh, same, NULL, NULL, want, why);
}

static void more_fork_twice(void *ctx, struct lb_lla_writer *w, size_t seq)
{
	more_fork(ctx, w, seq);
	more_fork(ctx, w, seq);
}

static void more_fork_early(void *ctx, struct lb_lla_writer *w, size_t seq)
{
	if (seq == 3)
		more_fork(ctx, w, 4);
}

static void fork_evidence_twice_for_one_seq(void **state)
{
	forked_with(*state, more_fork_twice, NULL, false, NULL, NULL, LB_ECORRUPT,
	            "fork evidence out of order: at seq 4");
}

static void a_log_frame_after_fork_evidence(void **state)
{
	forked_with(*state, more_fork_early, NULL, false, NULL, NULL, LB_ECORRUPT,
	            "a log frame after fork evidence");
}

static void fork_control_two_signed_histories(void **state)
{
	forked(*state, NULL, false, LB_OK, NULL);
}

static void fork_of_heads_for_different_seqs(void **state)
{
	forked(*state, next_seq, false, LB_ECORRUPT, "heads are for seq 4 and 5");
}

static void fork_of_a_head_for_another_village(void **state)
{
	forked(*state, other_village, false, LB_ECORRUPT, "a head names another village");
}

static void fork_of_the_same_hash(void **state)
{
	forked(*state, flip_root, true, LB_ECORRUPT, "both heads sign the same hash");
}

/* Fork evidence proves something only when the village signed both heads:
 * one signed by another key is refused, whichever of the two it is. */
static void fork_of_a_rival_head_signed_by_a_stranger(void **state)
{
	struct forge_world *x = *state;
	forked_by(x, NULL, false, NULL, &x->stranger, LB_ESIG,
	          "fork evidence: second head: signed head for seq 4: signature does not verify");
}

static void fork_of_a_held_head_signed_by_a_stranger(void **state)
{
	struct forge_world *x = *state;

	/* the archive's own head for 4 is the village's; the evidence's first
	 * head is a stranger's signature over the same fields */
	forked_by(x, NULL, false, &x->stranger, NULL, LB_ESIG,
	            "fork evidence: first head: signed head for seq 4: signature does not verify");
}

/* Fork evidence with entries (docs/FORMAT.md §9): a fork frame (two heads)
 * then the entries of each history from the first differing seq, branch 0
 * (held) then 1 (rival).  Built from: the real entry 4 and its head; a
 * rival entry 4' with its head (and one with a wrong hash); an entry 5x
 * after the real 4 with its head. */
struct fev {
	struct lb_mp_buf e3, e4, e4r, e5x; /* entries */
	struct lb_mp_buf h4, h4r, h4x, h5x;     /* heads (h4x: 4' with a wrong hash) */
	const struct lb_mp_buf *ours, *theirs;  /* the fork frame (ours NULL: none) */
	struct {
		unsigned br;
		const struct lb_mp_buf *e;
	} it[4];
	size_t n;
};

static void copy_buf(struct lb_mp_buf *to, const struct lb_mp_buf *from)
{
	lb_mp_buf_init(to);
	lb_mp_put_raw(to, from->sb.data, from->sb.size);
}

static void fev_init(struct forge_world *x, struct fev *v)
{
	struct forge *f = x->f;

	memset(v, 0, sizeof *v);
	copy_buf(&v->e3, &f->ent[3]);
	f->n = 3; /* the rival history: 4' */
	forge_add(f, LB_OP_PUT, "aspirasi", "A9", FORGE_ASP(9), NULL, NULL);
	forge_head(f, 4, NULL, NULL, NULL);
	copy_buf(&v->e4r, &f->ent[4]);
	copy_buf(&v->h4r, &f->head[4]);
	forge_head(f, 4, flip_hash, NULL, NULL);
	copy_buf(&v->h4x, &f->head[4]);
	f->n = 3; /* the real 4, then 5x after it */
	tail(x, NULL, NULL, NULL, NULL, NULL);
	copy_buf(&v->e4, &f->ent[4]);
	copy_buf(&v->h4, &f->head[4]);
	forge_add(f, LB_OP_PUT, "aspirasi", "A8", FORGE_ASP(8), NULL, NULL);
	forge_head(f, 5, NULL, NULL, NULL);
	copy_buf(&v->e5x, &f->ent[5]);
	copy_buf(&v->h5x, &f->head[5]);
	f->n = 4; /* the archive: the real 1..4 */
	v->ours = &v->h4;
	v->theirs = &v->h4r;
}

static void fev_free(struct fev *v)
{
	struct lb_mp_buf *b[] = {&v->e3, &v->e4, &v->e4r, &v->e5x,
	                         &v->h4, &v->h4r, &v->h4x, &v->h5x};
	for (size_t i = 0; i < sizeof b / sizeof *b; i++)
		lb_mp_buf_free(b[i]);
}

static void fev_add(struct fev *v, unsigned br, const struct lb_mp_buf *e)
{
	assert_true(v->n < 4);
	v->it[v->n].br = br;
	v->it[v->n++].e = e;
}

static void more_fev(void *ctx, struct lb_lla_writer *w, size_t seq)
{
	struct fev *v = ctx;
	if (seq != 4)
		return;
	if (v->ours)
		assert_int_equal(lb_lla_write_fork(w, v->ours->sb.data, v->ours->sb.size,
		                                   v->theirs->sb.data, v->theirs->sb.size, NULL),
		                 LB_OK);
	for (size_t i = 0; i < v->n; i++)
		assert_int_equal(lb_lla_write_fork_entry(w, v->it[i].br, v->it[i].e->sb.data,
		                                         v->it[i].e->sb.size, NULL),
		                 LB_OK);
}

/* Archive the real 1..4 with the evidence v after entry 4: want, why. */
static void fev_expect(struct forge_world *x, struct fev *v, lb_err want, const char *why)
{
	struct forge_arch o = {.more = more_fev, .ctx = v};
	expect(x, &o, want, why, 0);
	if (want == LB_OK) {
		FILE *t = tmpfile();
		struct lb_audit_report r;
		forge_archive(x->f, t, &o);
		rewind(t);
		assert_int_equal(lb_audit_verify(t, NULL, &r, NULL), LB_OK);
		fclose(t);
		assert_int_equal(r.forks, 1);
		assert_int_equal(r.fork_seq, 4);
	}
	fev_free(v);
}

static void fork_control_two_histories_with_their_entries(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	fev_add(&v, 0, &v.e4);
	fev_add(&v, 1, &v.e4r);
	fev_expect(x, &v, LB_OK, NULL);
}

static void fork_of_one_history_only(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	fev_add(&v, 0, &v.e4);
	fev_expect(x, &v, LB_ECORRUPT, "fork evidence: entries of one history only (from seq 4)");
}

static void fork_of_histories_starting_at_different_seqs(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	fev_add(&v, 0, &v.e4);
	fev_add(&v, 1, &v.e3); /* the common entry 3, then 4' */
	fev_add(&v, 1, &v.e4r);
	fev_expect(x, &v, LB_ECORRUPT, "the two histories do not start from the same entry");
}

static void fork_of_histories_with_the_same_first_entry(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	v.theirs = &v.h5x; /* the real 4 and then 5x: no fork at 4 */
	fev_add(&v, 0, &v.e4);
	fev_add(&v, 1, &v.e4);
	fev_add(&v, 1, &v.e5x);
	fev_expect(x, &v, LB_ECORRUPT, "both histories have the same entry at seq 4 (no fork there)");
}

static void fork_of_a_held_entry_after_the_rivals(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	fev_add(&v, 0, &v.e4);
	fev_add(&v, 1, &v.e4r);
	fev_add(&v, 0, &v.e4);
	fev_expect(x, &v, LB_ECORRUPT, "an entry of the held history (seq 4) after the rival's");
}

static void fork_entry_outside_fork_evidence(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	v.ours = NULL;
	fev_add(&v, 0, &v.e4);
	fev_expect(x, &v, LB_ECORRUPT, "a fork entry outside fork evidence");
}

static void fork_of_a_rival_history_repeating_an_entry(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	fev_add(&v, 0, &v.e4);
	fev_add(&v, 1, &v.e4r);
	fev_add(&v, 1, &v.e4r);
	fev_expect(x, &v, LB_ECORRUPT,
	           "fork evidence (rival history): seq 5: entry is missing or out of order");
}

static void fork_of_a_rival_head_not_covering_its_entries(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	fev_init(x, &v);
	v.theirs = &v.h4x;
	fev_add(&v, 0, &v.e4);
	fev_add(&v, 1, &v.e4r);
	fev_expect(x, &v, LB_ECORRUPT,
	           "fork evidence (rival history): seq 4: entry hash does not match its signed head");
}

static void seq_zero(void *c, struct lb_entry *e) { (void)c; e->seq = 0; }

static void fork_of_an_entry_of_seq_zero(void **state)
{
	struct forge_world *x = *state;
	struct fev v;
	struct lb_mp_buf e0;

	fev_init(x, &v);
	forge_add(x->f, LB_OP_PUT, "aspirasi", "A7", FORGE_ASP(7), seq_zero, NULL);
	copy_buf(&e0, &x->f->ent[5]);
	x->f->n = 4;
	fev_add(&v, 0, &e0);
	fev_add(&v, 1, &v.e4r);
	fev_expect(x, &v, LB_ECORRUPT, "fork evidence: an entry of seq 0");
	lb_mp_buf_free(&e0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, forge_world_setup, forge_world_teardown)
		T(control_a_forged_archive_signed_right_verifies),
		T(archive_of_another_key_than_expected),
		T(head_with_a_wrong_merkle_root),
		T(head_naming_another_village),
		T(head_with_another_hash),
		T(head_with_another_time),
		T(head_naming_a_later_seq),
		T(head_naming_an_earlier_seq),
		T(head_signed_by_a_stranger),
		T(head_at_seq_zero),
		T(head_at_seq_zero_before_any_entry),
		T(a_second_head_for_the_same_seq),
		T(entry_appended_without_a_head),
		T(repeated_time),
		T(falling_time),
		T(entry_carrying_another_seq),
		T(archive_skipping_an_entry),
		T(entry_chaining_to_nothing),
		T(entry_breaking_the_schema),
		T(receipt_for_another_origin),
		T(receipt_for_another_seq),
		T(receipt_for_another_hash),
		T(receipt_for_another_root),
		T(receipt_signed_by_another_aggregator),
		T(receipt_before_any_head),
		T(receipts_of_one_seq_in_key_order),
		T(receipts_of_one_seq_in_reverse_key_order),
		T(a_receipt_twice),
		T(two_receipts_in_an_aggregators_archive),
		T(an_aggregators_receipt_before_its_last_head),
		T(receipts_under_unpinned_keys_verify_but_are_not_pinned),
		T(fork_evidence_twice_for_one_seq),
		T(a_log_frame_after_fork_evidence),
		T(fork_control_two_signed_histories),
		T(fork_of_heads_for_different_seqs),
		T(fork_of_a_head_for_another_village),
		T(fork_of_the_same_hash),
		T(fork_of_a_rival_head_signed_by_a_stranger),
		T(fork_of_a_held_head_signed_by_a_stranger),
		T(fork_control_two_histories_with_their_entries),
		T(fork_of_one_history_only),
		T(fork_of_histories_starting_at_different_seqs),
		T(fork_of_histories_with_the_same_first_entry),
		T(fork_of_a_held_entry_after_the_rivals),
		T(fork_entry_outside_fork_evidence),
		T(fork_of_a_rival_history_repeating_an_entry),
		T(fork_of_a_rival_head_not_covering_its_entries),
		T(fork_of_an_entry_of_seq_zero),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
