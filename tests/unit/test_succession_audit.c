/*
 * test_succession_audit.c — a village chain that crosses a succession
 * (node/succession.h: the aggregator vouches that key NEW continues key
 * OLD's chain after seq 3), checked by `lumbung-audit verify`
 * (lb_audit_verify), by the node's own `lumbung verify` (lb_node_verify)
 * and written by `lumbung export-log` (lb_node_export_log).
 *
 * The chain is built by hand with real keys (forge.h): the village node
 * of the forge world wrote seq 1..3 under OLD; the statement is signed
 * with the aggregator's key by lb_succession_sign; entries 4..5 go through
 * the entry encoder and their heads are signed with NEW.  The control
 * archive verifies (with and without worker threads), so each refusal
 * comes from the one thing changed.
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

#include "../../node/adopt.h"
#include "../../node/succession.h"
#include "../../tools/audit/audit.h"
#include "agg_fixture.h"
#include "forge.h"

#define N 3 /* the old key's last seq */

struct sc {
	struct forge_world *w;
	struct lb_key old, nk;   /* the village's old key (node.key) and the new one */
	uint8_t old_hash[LB_HASH_BYTES];
	uint8_t *stmt;           /* the true statement, signed by the aggregator */
	size_t len;
	uint8_t *rc;             /* the aggregator's receipt for OLD at seq N */
	size_t rclen;
};

typedef void (*succ_hook)(struct sc *c, struct lb_succession *s);

/* The statement "NEW continues OLD after seq N", changed by hook, signed
 * with k (NULL: the aggregator's key).  *out malloc'd. */
static void make_stmt(struct sc *c, succ_hook hook, const struct lb_key *k, uint8_t **out,
                      size_t *len)
{
	struct lb_succession s = {.n = 1, .seq = N, .time_ms = 1767225600000ull};

	memcpy(s.signer, c->w->agg_key.pk, LB_PK_BYTES);
	snprintf(s.region, sizeof s.region, "33.24");
	snprintf(s.village, sizeof s.village, "%s", FORGE_VILLAGE);
	memcpy(s.old_key, c->old.pk, LB_PK_BYTES);
	memcpy(s.new_key, c->nk.pk, LB_PK_BYTES);
	memcpy(s.hash, c->old_hash, LB_HASH_BYTES);
	if (hook)
		hook(c, &s);
	assert_int_equal(lb_succession_sign(k ? k : &c->w->agg_key, &s, out, len, NULL), LB_OK);
}

/* The world's node (seq 1..3 by OLD), then entries 4 and 5 by NEW. */
static int setup(void **state)
{
	struct sc *c = calloc(1, sizeof *c);
	struct forge *f;

	assert_non_null(c);
	c->w = forge_world_new(false);
	f = c->w->f;
	c->old = f->key;
	forge_stranger(&c->nk);
	memcpy(c->old_hash, f->hash[N], LB_HASH_BYTES);
	make_stmt(c, NULL, NULL, &c->stmt, &c->len);
	forge_receipt(f, &c->w->agg_key, N, NULL, NULL, &c->rc, &c->rclen);
	/* from here on the forge signs as NEW */
	f->key = c->nk;
	memcpy(f->origin, c->nk.pk, LB_PK_BYTES);
	forge_add(f, LB_OP_PUT, "aspirasi", "A4", FORGE_ASP(4), NULL, NULL);
	forge_head(f, 4, NULL, NULL, NULL);
	forge_add(f, LB_OP_PUT, "aspirasi", "A5", FORGE_ASP(5), NULL, NULL);
	forge_head(f, 5, NULL, NULL, NULL);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct sc *c = *state;

	free(c->stmt);
	free(c->rc);
	forge_world_free(c->w);
	free(c);
	return 0;
}

/* How an archive deviates from the true one. */
struct arch {
	const uint8_t *stmt;  /* the succession written (NULL: the true one) */
	size_t len;
	size_t at;            /* after the head of this seq (0: N) */
	bool before_head;     /* right after the entry of `at`, before its head */
	bool none;            /* no succession frame at all */
	bool twice;           /* the frame twice */
	bool receipt;         /* the aggregator's receipt for OLD at N after it */
	uint64_t from;        /* header "from" */
	const struct lb_mp_buf *fork[2]; /* fork evidence (two heads) before the trailer */
	const uint8_t *origin; /* header origin (NULL: OLD) */
};

static void write_arch(struct sc *c, const struct arch *a, FILE *out)
{
	struct forge *f = c->w->f;
	struct lb_lla_writer w;
	struct lb_lla_header h = {.source = "node", .from = a->from};
	size_t at = a->at ? a->at : N;
	const uint8_t *st = a->stmt ? a->stmt : c->stmt;
	size_t sl = a->stmt ? a->len : c->len;

	memcpy(h.village, f->village, sizeof h.village);
	memcpy(h.origin, a->origin ? a->origin : c->old.pk, LB_PK_BYTES);
	lb_lla_writer_init(&w, out);
	assert_int_equal(lb_lla_write_header(&w, &h, NULL), LB_OK);
	for (size_t s = 1; s <= f->n; s++) {
		assert_int_equal(lb_lla_write_entry(&w, f->ent[s].sb.data, f->ent[s].sb.size, NULL),
		                 LB_OK);
		if (s == at && a->before_head && !a->none)
			assert_int_equal(lb_lla_write_succession(&w, st, sl, NULL), LB_OK);
		if (f->head[s].sb.size)
			assert_int_equal(lb_lla_write_head(&w, f->head[s].sb.data, f->head[s].sb.size,
			                                   NULL),
			                 LB_OK);
		if (s == at && !a->before_head && !a->none) {
			assert_int_equal(lb_lla_write_succession(&w, st, sl, NULL), LB_OK);
			if (a->twice)
				assert_int_equal(lb_lla_write_succession(&w, st, sl, NULL), LB_OK);
		}
		if (s == N && a->receipt)
			assert_int_equal(lb_lla_write_receipt(&w, c->w->agg_key.pk, c->rc, c->rclen, NULL),
			                 LB_OK);
	}
	if (a->fork[0])
		assert_int_equal(lb_lla_write_fork(&w, a->fork[0]->sb.data, a->fork[0]->sb.size,
		                                   a->fork[1]->sb.data, a->fork[1]->sb.size, NULL),
		                 LB_OK);
	assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	lb_lla_writer_free(&w);
}

/* Verify the archive a describes with o (NULL: none): want, a reason
 * containing why, and the report in *r (when r). */
static void check_o(struct sc *c, const struct arch *a, const struct lb_audit_opts *o, lb_err want,
                    const char *why, struct lb_audit_report *r)
{
	static const struct arch plain;
	struct lb_audit_report tmp;
	struct lb_audit_opts none = {0};
	struct lb_diag d = {0};
	FILE *t = tmpfile();
	lb_err e;

	assert_non_null(t);
	write_arch(c, a ? a : &plain, t);
	rewind(t);
	e = lb_audit_verify(t, o ? o : &none, r ? r : &tmp, &d);
	fclose(t);
	if (e != want)
		fail_msg("audit verify gave %s (%s), wanted %s", lb_errname(e), e ? d.msg : "ok",
		         lb_errname(want));
	if (want != LB_OK && why && !strstr(d.msg, why))
		fail_msg("the reason \"%s\" does not say \"%s\"", d.msg, why);
}

static void check(struct sc *c, const struct arch *a, lb_err want, const char *why)
{
	check_o(c, a, NULL, want, why, NULL);
}

/* ---- the auditor ------------------------------------------------------------ */

static void the_whole_history_passes_and_names_the_succession(void **state)
{
	struct sc *c = *state;
	struct lb_audit_report r;
	char who[32];

	for (unsigned th = 0; th <= 2; th += 2) {
		struct lb_audit_opts o = {.threads = th};
		check_o(c, NULL, &o, LB_OK, NULL, &r);
		assert_int_equal(r.entries, 5);
		assert_int_equal(r.heads, 5);
		assert_int_equal(r.successions, 1);
		assert_int_equal(r.succ[0].seq, N);
		assert_memory_equal(r.succ[0].signer, c->w->agg_key.pk, LB_PK_BYTES);
		assert_memory_equal(r.succ[0].old_key, c->old.pk, LB_PK_BYTES);
		assert_memory_equal(r.succ[0].new_key, c->nk.pk, LB_PK_BYTES);
		assert_memory_equal(r.signer, c->old.pk, LB_PK_BYTES);
		assert_memory_equal(r.last_key, c->nk.pk, LB_PK_BYTES);
		lb_succession_who(&r.succ[0], who);
		assert_string_equal(who, "kabupaten 33.24");
	}
	/* the aggregator's receipt for OLD at seq N may follow the succession */
	check(c, &(struct arch){.receipt = true}, LB_OK, NULL);
}

static void without_the_succession_the_new_heads_are_refused(void **state)
{
	struct sc *c = *state;
	struct lb_audit_report r;

	check_o(c, &(struct arch){.none = true}, NULL, LB_ESIG, "different key", &r);
	assert_int_equal(r.bad_seq, 4);
}

static void a_head_of_the_old_key_after_the_succession_is_refused(void **state)
{
	struct sc *c = *state;

	forge_head(c->w->f, 4, NULL, NULL, &c->old); /* names NEW, signed by OLD */
	check(c, NULL, LB_ESIG, "signature");
	{
		struct forge *f = c->w->f;
		memcpy(f->origin, c->old.pk, LB_PK_BYTES); /* names OLD, signed by OLD */
		forge_head(f, 4, NULL, NULL, &c->old);
		memcpy(f->origin, c->nk.pk, LB_PK_BYTES);
	}
	check(c, NULL, LB_ESIG, "different key");
}

static void set_seq(struct sc *c, struct lb_succession *s)
{
	s->seq = N - 1;
	memcpy(s->hash, c->w->f->hash[N - 1], LB_HASH_BYTES);
}

static void set_hash(struct sc *c, struct lb_succession *s)
{
	(void)c;
	s->hash[0] ^= 1;
}

static void set_old(struct sc *c, struct lb_succession *s)
{
	memcpy(s->old_key, c->w->stranger.pk, LB_PK_BYTES);
}

static void set_village(struct sc *c, struct lb_succession *s)
{
	(void)c;
	snprintf(s->village, sizeof s->village, "33.24.01.2002");
}

static void set_new_stranger(struct sc *c, struct lb_succession *s)
{
	memcpy(s->new_key, c->w->stranger.pk, LB_PK_BYTES);
}

static void a_forged_succession_is_refused(void **state)
{
	struct sc *c = *state;
	uint8_t *st;
	size_t len;

	/* names the aggregator as signer, signed by a stranger */
	make_stmt(c, NULL, &c->w->stranger, &st, &len);
	check(c, &(struct arch){.stmt = st, .len = len}, LB_ESIG, "succession");
	free(st);
	/* one byte of the true statement changed */
	st = malloc(c->len);
	assert_non_null(st);
	memcpy(st, c->stmt, c->len);
	st[c->len - 1] ^= 1;
	check(c, &(struct arch){.stmt = st, .len = c->len}, LB_ESIG, "succession");
	free(st);
	/* well signed, but naming another seq, hash, old key, village */
	make_stmt(c, set_seq, NULL, &st, &len);
	check(c, &(struct arch){.stmt = st, .len = len}, LB_ECORRUPT, "another entry");
	/* ... and put after that entry's head: the old key's head of N is refused */
	check(c, &(struct arch){.stmt = st, .len = len, .at = N - 1}, LB_ESIG, "different key");
	free(st);
	make_stmt(c, set_hash, NULL, &st, &len);
	check(c, &(struct arch){.stmt = st, .len = len}, LB_ECORRUPT, "another entry");
	free(st);
	make_stmt(c, set_old, NULL, &st, &len);
	check(c, &(struct arch){.stmt = st, .len = len}, LB_ECORRUPT, "another key");
	free(st);
	make_stmt(c, set_village, NULL, &st, &len);
	check(c, &(struct arch){.stmt = st, .len = len}, LB_ECORRUPT, "another village");
	free(st);
	/* a true succession to another key than the one signing after it */
	make_stmt(c, set_new_stranger, NULL, &st, &len);
	check(c, &(struct arch){.stmt = st, .len = len}, LB_ESIG, "different key");
	free(st);
}

static void a_succession_out_of_place_is_refused(void **state)
{
	struct sc *c = *state;

	check(c, &(struct arch){.before_head = true}, LB_ECORRUPT, "out of place");
	check(c, &(struct arch){.twice = true}, LB_ECORRUPT, "second succession");
}

static void key_old_reports_and_key_new_is_reached(void **state)
{
	struct sc *c = *state;
	struct lb_audit_report r;
	struct lb_audit_opts o = {.key = c->old.pk};

	check_o(c, NULL, &o, LB_OK, NULL, &r);
	assert_true(r.key_given);
	assert_int_equal(r.successions, 1);
	o.key = c->nk.pk;
	check_o(c, NULL, &o, LB_OK, NULL, &r);
	assert_int_equal(r.successions, 1);
	/* a key the chain never reaches */
	o.key = c->w->stranger.pk;
	check_o(c, NULL, &o, LB_ESIG, "not of the expected key", &r);
	assert_int_equal(r.bad_frame, 1);
	/* NEW is reached only through the succession */
	o.key = c->nk.pk;
	check_o(c, &(struct arch){.none = true}, &o, LB_ESIG, NULL, NULL);
}

static void agg_key_requires_the_signer(void **state)
{
	struct sc *c = *state;
	struct lb_audit_opts o = {.agg_keys = &c->w->agg_key.pk, .n_agg_keys = 1};
	uint8_t two[2][LB_PK_BYTES];

	check_o(c, NULL, &o, LB_OK, NULL, NULL);
	o.agg_keys = &c->w->stranger.pk;
	check_o(c, NULL, &o, LB_ESIG, "--agg-key", NULL);
	/* several keys given: the signer must be one of them, in any place */
	memcpy(two[0], c->w->stranger.pk, LB_PK_BYTES);
	memcpy(two[1], c->w->agg_key.pk, LB_PK_BYTES);
	o.agg_keys = (const uint8_t(*)[LB_PK_BYTES])two;
	o.n_agg_keys = 2;
	check_o(c, NULL, &o, LB_OK, NULL, NULL);
	memcpy(two[1], c->nk.pk, LB_PK_BYTES);
	check_o(c, NULL, &o, LB_ESIG, "signed by another key than those given", NULL);
}

static void a_tail_is_refused_plainly(void **state)
{
	struct sc *c = *state;

	check(c, &(struct arch){.from = 2}, LB_EINVAL, "a tail of a log from seq 2");
}

static void other_hash(void *ctx, struct lb_head *h)
{
	(void)ctx;
	h->hash[0] ^= 1;
}

/* A head for seq (true fields but another hash) naming origin, signed by k. */
static void rival_head(struct sc *c, size_t seq, const uint8_t *origin, const struct lb_key *k,
                       struct lb_mp_buf *out)
{
	struct forge *f = c->w->f;
	struct lb_mp_buf keep;
	uint8_t o[LB_PK_BYTES];

	lb_mp_buf_init(&keep);
	lb_mp_put_raw(&keep, f->head[seq].sb.data, f->head[seq].sb.size);
	memcpy(o, f->origin, LB_PK_BYTES);
	memcpy(f->origin, origin, LB_PK_BYTES);
	forge_head(f, seq, other_hash, NULL, k);
	lb_mp_buf_init(out);
	lb_mp_put_raw(out, f->head[seq].sb.data, f->head[seq].sb.size);
	memcpy(f->origin, o, LB_PK_BYTES);
	lb_mp_buf_reset(&f->head[seq]);
	lb_mp_put_raw(&f->head[seq], keep.sb.data, keep.sb.size);
	lb_mp_buf_free(&keep);
}

static void forks_across_the_succession(void **state)
{
	struct sc *c = *state;
	struct forge *f = c->w->f;
	struct lb_mp_buf held, rival, s1, s2;
	struct lb_audit_report r;

	/* two heads of the new key for seq 5: a fork, proven */
	lb_mp_buf_init(&held);
	lb_mp_put_raw(&held, f->head[5].sb.data, f->head[5].sb.size);
	rival_head(c, 5, c->nk.pk, &c->nk, &rival);
	check_o(c, &(struct arch){.fork = {&held, &rival}}, NULL, LB_OK, NULL, &r);
	assert_int_equal(r.forks, 1);
	lb_mp_buf_free(&rival);
	/* two heads of the old key for seq 2 (before it lost its PC): proven */
	lb_mp_buf_reset(&held);
	lb_mp_put_raw(&held, f->head[2].sb.data, f->head[2].sb.size);
	rival_head(c, 2, c->old.pk, &c->old, &rival);
	check_o(c, &(struct arch){.fork = {&held, &rival}}, NULL, LB_OK, NULL, &r);
	assert_int_equal(r.forks, 1);
	lb_mp_buf_free(&rival);
	/* a stranger's own heads prove nothing about this village */
	rival_head(c, 5, c->w->stranger.pk, &c->w->stranger, &s1);
	rival_head(c, 5, c->w->stranger.pk, &c->w->stranger, &s2);
	check(c, &(struct arch){.fork = {&s1, &s2}}, LB_ESIG, "first head");
	/* a head of the new key against a stranger's own */
	lb_mp_buf_reset(&held);
	lb_mp_put_raw(&held, f->head[5].sb.data, f->head[5].sb.size);
	check(c, &(struct arch){.fork = {&held, &s1}}, LB_ESIG, "second head");
	/* heads of the old and the new key are not one key's two histories */
	rival_head(c, 5, c->old.pk, &c->old, &rival);
	check(c, &(struct arch){.fork = {&held, &rival}}, LB_ESIG, "second head");
	lb_mp_buf_free(&rival);
	lb_mp_buf_free(&s1);
	lb_mp_buf_free(&s2);
	lb_mp_buf_free(&held);
}

/* ---- the node ----------------------------------------------------------------- */

/* Write entries 4..5 (by NEW) behind the node's back, the statement kept
 * for seq N (stmt, NULL: none) and the node's origin NEW. */
static void node_key(struct sc *c, const struct lb_key *k)
{
	char sec[160], pub[160];

	snprintf(sec, sizeof sec, "%s/node.key", c->w->node);
	snprintf(pub, sizeof pub, "%s/node.pub", c->w->node);
	assert_int_equal(unlink(sec), 0);
	assert_int_equal(unlink(pub), 0);
	assert_int_equal(lb_key_write(sec, pub, k, NULL), LB_OK);
}

static void node_crosses(struct sc *c, const uint8_t *stmt, size_t len)
{
	uint8_t k[5 + 8];

	forge_node_write(c->w->f, c->w->node, 4);
	forge_node_raw(c->w->node, "meta", "origin", 6, c->nk.pk, LB_PK_BYTES);
	node_key(c, &c->nk); /* as `lumbung init` made it, before the restore */
	memcpy(k, "succ/", 5);
	lb_be64_put(k + 5, N);
	if (stmt)
		forge_node_raw(c->w->node, "meta", k, sizeof k, stmt, len);
}

static int count_succ(void *ctx, uint64_t seq, const uint8_t *stmt, size_t len)
{
	(void)stmt;
	(void)len;
	assert_int_equal(seq, N);
	++*(int *)ctx;
	return 0;
}

static void node_verify_and_export_cross_the_succession(void **state)
{
	struct sc *c = *state;
	struct lb_node *n;
	struct lb_verify_report vr;
	struct lb_audit_report r;
	struct lb_audit_opts o = {.agg_keys = &c->w->agg_key.pk, .n_agg_keys = 1};
	struct lb_diag d = {0};
	FILE *t = tmpfile();
	int count = 0;

	node_crosses(c, c->stmt, c->len);
	assert_int_equal(lb_node_open(&n, c->w->node, NULL, &d), LB_OK);
	if (lb_node_verify(n, &vr, &d))
		fail_msg("lumbung verify: %s", d.msg);
	assert_int_equal(vr.entries, 5);
	assert_int_equal(vr.heads, 5);
	assert_int_equal(vr.successions, 1);
	assert_int_equal(lb_node_successions(n, count_succ, &count, &d), LB_OK);
	assert_int_equal(count, 1);
	/* export-log: header origin OLD, the statement after the head of N */
	assert_non_null(t);
	assert_int_equal(lb_node_export_log(n, t, &d), LB_OK);
	lb_node_close(n);
	rewind(t);
	if (lb_audit_verify(t, &o, &r, &d))
		fail_msg("the exported archive: %s", d.msg);
	fclose(t);
	assert_memory_equal(r.header.origin, c->old.pk, LB_PK_BYTES);
	assert_int_equal(r.successions, 1);
	assert_memory_equal(r.last_key, c->nk.pk, LB_PK_BYTES);
	assert_int_equal(r.entries, 5);
}

static void node_verify_refuses_a_missing_or_forged_succession(void **state)
{
	struct sc *c = *state;
	struct lb_node *n;
	struct lb_verify_report vr;
	struct lb_diag d = {0};
	uint8_t *st;
	size_t len;

	/* no statement kept: the old key's heads are not the node's */
	node_crosses(c, NULL, 0);
	assert_int_equal(lb_node_open(&n, c->w->node, NULL, &d), LB_OK);
	assert_int_equal(lb_node_verify(n, &vr, &d), LB_ESIG);
	assert_int_equal(vr.bad_seq, 1);
	lb_node_close(n);
	/* a statement naming another hash */
	make_stmt(c, set_hash, NULL, &st, &len);
	node_crosses(c, st, len);
	free(st);
	assert_int_equal(lb_node_open(&n, c->w->node, NULL, &d), LB_OK);
	assert_int_equal(lb_node_verify(n, &vr, &d), LB_ECORRUPT);
	assert_int_equal(vr.bad_seq, N);
	assert_non_null(strstr(d.msg, "another entry"));
	lb_node_close(n);
	/* a forged signature */
	make_stmt(c, NULL, &c->w->stranger, &st, &len);
	node_crosses(c, st, len);
	free(st);
	assert_int_equal(lb_node_open(&n, c->w->node, NULL, &d), LB_OK);
	assert_int_equal(lb_node_verify(n, &vr, &d), LB_ESIG);
	assert_int_equal(vr.bad_seq, N);
	lb_node_close(n);
	/* a true statement, but the node's origin is still OLD */
	node_crosses(c, c->stmt, c->len);
	forge_node_raw(c->w->node, "meta", "origin", 6, c->old.pk, LB_PK_BYTES);
	node_key(c, &c->old);
	assert_int_equal(lb_node_open(&n, c->w->node, NULL, &d), LB_OK);
	assert_int_equal(lb_node_verify(n, &vr, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "not by this node's key"));
	lb_node_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_whole_history_passes_and_names_the_succession,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(without_the_succession_the_new_heads_are_refused, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_head_of_the_old_key_after_the_succession_is_refused,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_forged_succession_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_succession_out_of_place_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(key_old_reports_and_key_new_is_reached, setup, teardown),
		cmocka_unit_test_setup_teardown(agg_key_requires_the_signer, setup, teardown),
		cmocka_unit_test_setup_teardown(a_tail_is_refused_plainly, setup, teardown),
		cmocka_unit_test_setup_teardown(forks_across_the_succession, setup, teardown),
		cmocka_unit_test_setup_teardown(node_verify_and_export_cross_the_succession, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(node_verify_refuses_a_missing_or_forged_succession,
		                                setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
