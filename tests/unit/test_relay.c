/*
 * test_relay.c — a kecamatan aggregator as a relay: its replica read as a
 * log source (agg/replica.c) gives back byte for byte what the village
 * signed, cut only at the heads it holds; and forwarding (agg/forward.c)
 * brings the kabupaten to the village's tip over HTTP, keeps the
 * kabupaten's receipts, goes on past a refused village, fails with
 * LB_ENET on a dead link, and sends fork evidence once.
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
#include <lmdb.h>
#include <sodium.h>

#include "../../agg/agg.h"
#include "../../agg/forward.h"
#include "../../agg/http.h"
#include "../../agg/relay.h"
#include "../../agg/store_int.h"
#include "../../node/node.h"
#include "../../schema/schema.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"
#define VILLAGE2 "33.24.01.2002"

struct fx {
	char dir[64], node[96], kec_dir[96], kab_dir[96];
	struct lb_node *n;
	struct lb_agg *kec, *kab;
	uint8_t origin[LB_PK_BYTES], kec_pk[LB_PK_BYTES], kab_pk[LB_PK_BYTES];
	struct lb_agg_server *srv;
	char url[64];
};

static void put_asp(struct lb_node *n, int i, const char *usulan)
{
	char js[256], id[16];

	snprintf(js, sizeof js,
	         "{\"tanggal\":\"2026-01-%02d\",\"pengusul\":\"Warga %d\",\"usulan\":\"%s\","
	         "\"status\":\"diusulkan\"}",
	         i % 28 + 1, i, usulan);
	snprintf(id, sizeof id, "ASP-%03d", i);
	write_one(n, LB_OP_PUT, "aspirasi", id, js);
}

/* Ingest n's entries from..to (to ends a write) into a, as a village push. */
static void give(struct lb_node *n, struct lb_agg *a, uint64_t from, uint64_t to)
{
	struct lb_mp_buf cs;
	struct lb_node_info info;
	struct lb_agg_result r;
	struct lb_diag d = {0};

	lb_mp_buf_init(&cs);
	assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
	node_changeset(n, info.village, from, to, &cs);
	if (lb_agg_ingest(a, cs.sb.data, cs.sb.size, &r, &d))
		fail_msg("ingest %llu..%llu: %s", (unsigned long long)from, (unsigned long long)to,
		         d.msg);
	free(r.receipt);
	lb_mp_buf_free(&cs);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-relay.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->node, sizeof f->node, "%s/desa", f->dir);
	snprintf(f->kec_dir, sizeof f->kec_dir, "%s/kec", f->dir);
	snprintf(f->kab_dir, sizeof f->kab_dir, "%s/kab", f->dir);
	assert_int_equal(lb_node_init(f->node, VILLAGE, NULL, f->origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	for (int i = 1; i <= 10; i++) /* one write, one signed head, per entry */
		put_asp(f->n, i, "lampu jalan");
	assert_int_equal(lb_agg_init(f->kec_dir, "33.24.01", f->kec_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->kec, f->kec_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->kec, VILLAGE, f->origin, NULL), LB_OK);
	assert_int_equal(lb_agg_init(f->kab_dir, "33.24", f->kab_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->kab, f->kab_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->kab, VILLAGE, f->origin, NULL), LB_OK);
	/* the kecamatan holds heads at 4, 7 and 10 only */
	give(f->n, f->kec, 1, 4);
	give(f->n, f->kec, 5, 7);
	give(f->n, f->kec, 8, 10);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_agg_server_stop(f->srv);
	lb_node_close(f->n);
	lb_agg_close(f->kec);
	lb_agg_close(f->kab);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* ---- the replica as a log source ---- */

static size_t stored_size(struct lb_node *n, uint64_t from, uint64_t to);

static int sum_size(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	(void)seq, (void)raw;
	*(size_t *)ctx += len;
	return 0;
}

static size_t stored_size(struct lb_node *n, uint64_t from, uint64_t to)
{
	size_t sum = 0;
	assert_int_equal(lb_node_log_raw(n, from, to, sum_size, &sum, NULL), LB_OK);
	return sum;
}

static void spans_end_only_at_heads_the_replica_holds(void **state)
{
	struct fx *f = *state;
	struct lb_agg_src *s;
	struct lb_src src;
	struct lb_src_info info;
	struct lb_diag d = {0};
	uint64_t to;
	size_t bytes, b6 = stored_size(f->n, 1, 6);
	bool over;

	assert_int_equal(lb_agg_replica_src(f->kec, f->origin, &s, &d), LB_OK);
	lb_agg_src_get(s, &src);
	assert_int_equal(src.ops->info(src.ctx, &info, &d), LB_OK);
	assert_int_equal(info.seq, 10);
	assert_string_equal(info.village, VILLAGE);
	assert_memory_equal(info.origin, f->origin, LB_PK_BYTES);
	/* everything fits: the last head */
	assert_int_equal(src.ops->span(src.ctx, 1, 1 << 20, &to, &bytes, &over, &d), LB_OK);
	assert_int_equal(to, 10);
	assert_false(over);
	assert_int_equal(bytes, stored_size(f->n, 1, 10));
	/* room for 1..6: the village has a head at 6, the replica does not */
	assert_int_equal(src.ops->span(src.ctx, 1, b6, &to, &bytes, &over, &d), LB_OK);
	assert_int_equal(to, 4);
	assert_false(over);
	assert_int_equal(bytes, stored_size(f->n, 1, 4));
	/* room for less than the first held head: that head, over */
	assert_int_equal(src.ops->span(src.ctx, 1, 10, &to, &bytes, &over, &d), LB_OK);
	assert_int_equal(to, 4);
	assert_true(over);
	/* from inside a span: the next held head */
	assert_int_equal(src.ops->span(src.ctx, 6, 10, &to, &bytes, &over, &d), LB_OK);
	assert_int_equal(to, 7);
	assert_int_equal(src.ops->span(src.ctx, 11, 1 << 20, &to, &bytes, &over, &d), LB_ENOTFOUND);
	lb_agg_src_free(s);
	/* a village the kecamatan does not hold */
	uint8_t other[LB_PK_BYTES] = {1};
	assert_int_equal(lb_agg_replica_src(f->kec, other, &s, &d), LB_EUNKNOWN_ORIGIN);
}

struct raw_list {
	uint8_t *raw[16];
	size_t len[16];
	size_t n;
};

static int keep_raw(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct raw_list *l = ctx;
	(void)seq;
	assert_true(l->n < 16);
	l->raw[l->n] = malloc(len);
	memcpy(l->raw[l->n], raw, len);
	l->len[l->n++] = len;
	return 0;
}

static void entries_and_heads_are_the_villages_bytes(void **state)
{
	struct fx *f = *state;
	struct lb_agg_src *s;
	struct lb_src src;
	struct raw_list mine = {0}, theirs = {0};
	struct lb_diag d = {0};
	uint8_t *h1, *h2, hash[LB_HASH_BYTES], nhash[LB_HASH_BYTES];
	size_t l1, l2;

	assert_int_equal(lb_agg_replica_src(f->kec, f->origin, &s, &d), LB_OK);
	lb_agg_src_get(s, &src);
	assert_int_equal(src.ops->entries(src.ctx, 1, 10, keep_raw, &mine, &d), LB_OK);
	assert_int_equal(lb_node_log_raw(f->n, 1, 10, keep_raw, &theirs, NULL), LB_OK);
	assert_int_equal(mine.n, 10);
	assert_int_equal(theirs.n, 10);
	for (size_t i = 0; i < 10; i++) {
		assert_int_equal(mine.len[i], theirs.len[i]);
		assert_memory_equal(mine.raw[i], theirs.raw[i], mine.len[i]);
		free(mine.raw[i]);
		free(theirs.raw[i]);
	}
	for (uint64_t seq = 4; seq <= 10; seq += 3) {
		assert_int_equal(src.ops->head(src.ctx, seq, &h1, &l1, &d), LB_OK);
		assert_int_equal(lb_node_head(f->n, seq, &h2, &l2, NULL), LB_OK);
		assert_int_equal(l1, l2);
		assert_memory_equal(h1, h2, l1);
		free(h1);
		free(h2);
	}
	assert_int_equal(src.ops->head(src.ctx, 5, &h1, &l1, &d), LB_ENOTFOUND);
	assert_int_equal(src.ops->entry_hash(src.ctx, 9, hash, &d), LB_OK);
	assert_int_equal(lb_node_entry_hash(f->n, 9, nhash, NULL), LB_OK);
	assert_memory_equal(hash, nhash, LB_HASH_BYTES);
	assert_int_equal(src.ops->entry_hash(src.ctx, 11, hash, &d), LB_ENOTFOUND);
	lb_agg_src_free(s);
}

static void a_missing_entry_below_a_head_is_corruption(void **state)
{
	struct fx *f = *state;
	struct lb_agg_src *s;
	struct lb_src src;
	struct lb_diag d = {0};
	uint8_t key[RKEY_LEN];
	MDB_val k = {RKEY_LEN, key};
	MDB_txn *txn;
	uint64_t to;
	size_t bytes;
	bool over;

	/* damage the store behind its back: entry 6 goes */
	agg_rkey(key, f->origin, 6);
	assert_int_equal(agg_txn_begin(f->kec, 0, &txn), 0);
	assert_int_equal(mdb_del(txn, f->kec->replica, &k, NULL), 0);
	assert_int_equal(agg_txn_commit(f->kec, txn), 0);
	assert_int_equal(lb_agg_replica_src(f->kec, f->origin, &s, &d), LB_OK);
	lb_agg_src_get(s, &src);
	assert_int_equal(src.ops->span(src.ctx, 1, 1 << 20, &to, &bytes, &over, &d), LB_ECORRUPT);
	assert_non_null(strstr(d.msg, "entry 6"));
	/* a span ending before the hole is still whole: the walk stops where
	 * the bound is reached, before the hole */
	assert_int_equal(
		src.ops->span(src.ctx, 1, stored_size(f->n, 1, 4) + 1, &to, &bytes, &over, &d), LB_OK);
	assert_int_equal(to, 4);
	lb_agg_src_free(s);
}

/* ---- forwarding ---- */

static void serve_kab(struct fx *f)
{
	struct lb_remote r = {.has_key = true};

	assert_int_equal(lb_agg_serve(&f->srv, f->kab, "127.0.0.1", 0, 2, NULL, NULL), LB_OK);
	snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", lb_agg_server_port(f->srv));
	strcpy(r.name, "kab");
	strcpy(r.url, f->url);
	memcpy(r.key, f->kab_pk, LB_PK_BYTES);
	assert_int_equal(lb_agg_upstream_set(f->kec, &r, NULL), LB_OK);
}

struct events {
	unsigned ok, refused, forks;
	unsigned statements_refused; /* the kabupaten does not know this kecamatan as an aggregator */
	lb_err last;
	char village[16];
};

static void on_event(void *ctx, const struct lb_agg_fwd_event *ev)
{
	struct events *e = ctx;
	if (ev->fork && !ev->e)
		e->forks++;
	else if (ev->e && !strcmp(ev->village, "-"))
		e->statements_refused++;
	else if (ev->e) {
		e->refused++;
		e->last = ev->e;
		snprintf(e->village, sizeof e->village, "%s", ev->village);
	} else
		e->ok++;
}

static void forward_once(struct fx *f, struct events *ev, struct lb_agg_fwd_stats *st,
                         lb_err want)
{
	struct lb_agg_fwd_opts o = {.on_village = on_event, .ctx = ev};
	struct lb_agg_fwd *fw;
	struct lb_diag d = {0};
	lb_err e;

	assert_int_equal(lb_agg_fwd_new(&fw, f->kec, &o, &d), LB_OK);
	e = lb_agg_forward(fw, st, &d);
	if (e != want)
		fail_msg("forward: %s (wanted %s): %s", lb_errname(e), lb_errname(want), d.msg);
	lb_agg_fwd_free(fw);
}

static void forwarding_brings_the_kabupaten_to_the_tip_with_receipts(void **state)
{
	struct fx *f = *state;
	struct lb_agg_fwd_stats st;
	struct events ev = {0};
	struct lb_agg_origin o;
	struct lb_node_info info;
	uint8_t *rc;
	size_t len;
	uint64_t seq;
	struct lb_diag d = {0};
	uint8_t other[LB_PK_BYTES];

	/* a second village the kabupaten does not know: refused, the first goes on */
	char node2[128];
	struct lb_node *n2;
	snprintf(node2, sizeof node2, "%s/desa2", f->dir);
	assert_int_equal(lb_node_init(node2, VILLAGE2, NULL, other, NULL), LB_OK);
	assert_int_equal(lb_node_open(&n2, node2, NULL, NULL), LB_OK);
	put_asp(n2, 1, "sumur");
	assert_int_equal(lb_agg_enroll(f->kec, VILLAGE2, other, NULL), LB_OK);
	give(n2, f->kec, 1, 1);
	lb_node_close(n2);

	serve_kab(f);
	forward_once(f, &ev, &st, LB_OK);
	assert_int_equal(st.upstreams, 1);
	assert_int_equal(st.reached, 1);
	assert_int_equal(st.villages, 2);
	assert_int_equal(st.entries, 10);
	assert_int_equal(st.accepted, 10);
	assert_true(st.receipts >= 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(ev.refused, 1);
	assert_int_equal(ev.statements_refused, 1);
	assert_int_equal(ev.last, LB_EUNKNOWN_ORIGIN);
	assert_string_equal(ev.village, VILLAGE2);
	assert_int_equal(lb_agg_origin(f->kab, f->origin, &o, NULL), LB_OK);
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(o.seq, 10);
	assert_memory_equal(o.hash, info.hash, LB_HASH_BYTES);
	/* the kabupaten's receipt for the tip, kept at the kecamatan */
	assert_int_equal(lb_agg_up_receipt(f->kec, f->kab_pk, f->origin, &seq, &rc, &len, &d), LB_OK);
	assert_int_equal(seq, 10);
	free(rc);
	/* nothing new: no village has anything to send */
	memset(&ev, 0, sizeof ev);
	forward_once(f, &ev, &st, LB_OK);
	assert_int_equal(st.villages, 1); /* only the refused one tries again */
	assert_int_equal(st.entries, 0);
	/* new entries go up in the next pass */
	put_asp(f->n, 11, "lanjut");
	give(f->n, f->kec, 11, 11);
	forward_once(f, &ev, &st, LB_OK);
	assert_int_equal(st.entries, 1);
	assert_int_equal(lb_agg_origin(f->kab, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.seq, 11);
	assert_int_equal(o.entries, 11);
}

static void a_dead_upstream_is_a_network_error(void **state)
{
	struct fx *f = *state;
	struct lb_agg_fwd_stats st;
	struct events ev = {0};
	struct lb_agg_origin o;

	serve_kab(f);
	lb_agg_server_stop(f->srv); /* nobody listens there any more */
	f->srv = NULL;
	forward_once(f, &ev, &st, LB_ENET);
	assert_int_equal(st.reached, 0);
	assert_int_equal(st.entries, 0);
	assert_int_equal(lb_agg_origin(f->kab, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.seq, 0);
}

static void no_upstream_is_said_plainly(void **state)
{
	struct fx *f = *state;
	struct lb_agg_fwd_stats st;
	struct events ev = {0};
	struct lb_remote r = {.has_key = true};
	struct lb_diag d = {0};

	forward_once(f, &ev, &st, LB_ENOTFOUND);
	/* an upstream's key must be another's */
	strcpy(r.name, "self");
	strcpy(r.url, "http://127.0.0.1:1");
	memcpy(r.key, f->kec_pk, LB_PK_BYTES);
	assert_int_equal(lb_agg_upstream_set(f->kec, &r, &d), LB_EINVAL);
	r.has_key = false;
	memset(r.key, 0, LB_PK_BYTES);
	assert_int_equal(lb_agg_upstream_set(f->kec, &r, &d), LB_EINVAL);
	assert_int_equal(lb_agg_upstream_del(f->kec, "self", &d), LB_ENOTFOUND);
}

static void fork_evidence_goes_up_once(void **state)
{
	struct fx *f = *state;
	struct lb_agg_fwd_stats st;
	struct events ev = {0};
	struct lb_agg_origin o;
	struct lb_node *twin;
	char copy[160], cmd[400];
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_diag d = {0};

	/* the village restores an old backup (same key) and writes something
	 * else under seqs the kecamatan holds: a proven fork there */
	lb_node_close(f->n);
	snprintf(copy, sizeof copy, "%s/backup", f->dir);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", f->node, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	for (int i = 11; i <= 12; i++)
		put_asp(f->n, i, "jalan desa");
	give(f->n, f->kec, 11, 12);
	assert_int_equal(lb_node_open(&twin, copy, NULL, NULL), LB_OK);
	for (int i = 11; i <= 12; i++)
		put_asp(twin, i, "sesuatu yang lain");
	lb_mp_buf_init(&cs);
	node_changeset(twin, VILLAGE, 11, 12, &cs);
	assert_int_equal(lb_agg_ingest(f->kec, cs.sb.data, cs.sb.size, &r, &d), LB_EFORK);
	lb_mp_buf_free(&cs);
	lb_node_close(twin);
	assert_int_equal(lb_agg_origin(f->kec, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.forks, 1);

	serve_kab(f);
	forward_once(f, &ev, &st, LB_OK);
	assert_int_equal(st.entries, 12);
	assert_int_equal(st.forks, 1);
	assert_int_equal(ev.forks, 1);
	assert_int_equal(st.refused, 0);
	/* the kabupaten proved the fork itself and kept its evidence */
	assert_int_equal(lb_agg_origin(f->kab, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.forks, 1);
	assert_int_equal(o.seq, 12);
	FILE *ev_out = tmpfile();
	size_t count = 0;
	assert_int_equal(lb_agg_export_forks(f->kab, f->origin, ev_out, &count, &d), LB_OK);
	assert_int_equal(count, 1);
	fclose(ev_out);
	/* sent once */
	memset(&ev, 0, sizeof ev);
	forward_once(f, &ev, &st, LB_OK);
	assert_int_equal(st.forks, 0);
	assert_int_equal(ev.forks, 0);
	assert_int_equal(ev.refused, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(spans_end_only_at_heads_the_replica_holds, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(entries_and_heads_are_the_villages_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(a_missing_entry_below_a_head_is_corruption, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(forwarding_brings_the_kabupaten_to_the_tip_with_receipts,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_dead_upstream_is_a_network_error, setup, teardown),
		cmocka_unit_test_setup_teardown(no_upstream_is_said_plainly, setup, teardown),
		cmocka_unit_test_setup_teardown(fork_evidence_goes_up_once, setup, teardown),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
