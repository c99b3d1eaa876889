/*
 * test_agg.c — the aggregator store: a real village node's log goes in as
 * change sets and comes out verified, exactly once; every refusal has its
 * code and leaves the store as it was; a rewritten history is a fork with
 * evidence kept.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <lmdb.h>
#include <sodium.h>

#include "../../node/body.h"
#include "../../node/head.h"
#include "../../node/archive.h"
#include "../../node/key.h"
#include "../../node/node.h"
#include "../../agg/agg.h"
#include "../../agg/http.h"
#include "../../sync/wire.h"
#include "../../tools/audit/audit.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"

struct fx {
	char dir[64];
	char node[96], agg_dir[96];
	struct lb_node *n;
	struct lb_agg *a;
	uint8_t origin[LB_PK_BYTES], agg_pk[LB_PK_BYTES];
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

/* Change set of seq from..to of node n (to must end a transaction). */
#define changeset node_changeset

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-agg.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->node, sizeof f->node, "%s/desa", f->dir);
	snprintf(f->agg_dir, sizeof f->agg_dir, "%s/kab", f->dir);
	assert_int_equal(lb_node_init(f->node, VILLAGE, NULL, f->origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	for (int i = 1; i <= 10; i++)
		put_asp(f->n, i, "lampu jalan");
	assert_int_equal(lb_agg_init(f->agg_dir, "33.24", f->agg_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->a, f->agg_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->a, VILLAGE, f->origin, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	lb_node_close(f->n);
	lb_agg_close(f->a);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint64_t agg_seq(struct fx *f)
{
	struct lb_agg_origin o;
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	return o.seq;
}

static lb_err ingest(struct fx *f, struct lb_mp_buf *cs, struct lb_agg_result *r,
                     struct lb_diag *d)
{
	lb_err e;
	memset(d, 0, sizeof *d);
	e = lb_agg_ingest(f->a, cs->sb.data, cs->sb.size, r, d);
	return e;
}

static void a_village_log_arrives_once_with_a_valid_receipt(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_receipt rc;
	struct lb_node_info info;
	struct lb_diag d;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 4, &cs);
	if (ingest(f, &cs, &r, &d))
		fail_msg("ingest 1..4: %s", d.msg);
	assert_int_equal(r.accepted, 4);
	assert_int_equal(r.seq, 4);
	assert_int_equal(lb_receipt_open(&rc, r.receipt, r.receipt_len, f->agg_pk, NULL), LB_OK);
	assert_int_equal(rc.seq, 4);
	free(r.receipt);

	changeset(f->n, VILLAGE, 5, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	assert_int_equal(r.accepted, 6);
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_memory_equal(r.hash, info.hash, LB_HASH_BYTES);
	assert_int_equal(lb_receipt_open(&rc, r.receipt, r.receipt_len, f->agg_pk, NULL), LB_OK);
	assert_memory_equal(rc.root, info.root, LB_HASH_BYTES);
	/* a receipt checked against another key fails */
	assert_int_equal(lb_receipt_open(&rc, r.receipt, r.receipt_len, f->origin, NULL), LB_ESIG);
	free(r.receipt);

	/* resending (all of it, or an overlapping part) is a success and adds nothing */
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	assert_int_equal(r.accepted, 0);
	assert_int_equal(r.seq, 10);
	free(r.receipt);
	changeset(f->n, VILLAGE, 5, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	assert_int_equal(r.accepted, 0);
	free(r.receipt);
	assert_int_equal(agg_seq(f), 10);
	lb_mp_buf_free(&cs);
}

static void a_gap_says_where_the_aggregator_stands(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_diag d;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 3, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	changeset(f->n, VILLAGE, 6, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EGAP);
	assert_int_equal(r.seq, 3);
	assert_non_null(strstr(d.msg, "send from seq 4"));
	assert_int_equal(agg_seq(f), 3);
	lb_mp_buf_free(&cs);
}

static void unknown_revoked_and_misplaced_keys_are_refused(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_diag d;
	uint8_t other[LB_PK_BYTES];
	char n2[128];
	struct lb_node *m;

	lb_mp_buf_init(&cs);
	/* a village the aggregator never enrolled */
	snprintf(n2, sizeof n2, "%s/other", f->dir);
	assert_int_equal(lb_node_init(n2, "33.24.01.2002", NULL, other, NULL), LB_OK);
	assert_int_equal(lb_node_open(&m, n2, NULL, NULL), LB_OK);
	put_asp(m, 1, "x");
	changeset(m, "33.24.01.2002", 1, 1, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EUNKNOWN_ORIGIN);
	/* enrolled for another village than it claims */
	assert_int_equal(lb_agg_enroll(f->a, "33.24.01.2003", other, NULL), LB_OK);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EWRONG_VILLAGE);
	assert_non_null(strstr(d.msg, "enrolled for 33.24.01.2003"));
	/* a key speaks for one village */
	assert_int_equal(lb_agg_enroll(f->a, "33.24.01.2002", other, &d), LB_EEXIST);
	/* outside the region */
	assert_int_equal(lb_agg_enroll(f->a, "34.01.01.2001", other, &d), LB_EINVAL);
	lb_node_close(m);

	/* revoked */
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(lb_agg_revoke(f->a, f->origin, NULL), LB_OK);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EUNKNOWN_ORIGIN);
	assert_non_null(strstr(d.msg, "revoked"));
	assert_int_equal(agg_seq(f), 0);
	lb_mp_buf_free(&cs);
}

static void forged_and_garbled_change_sets_change_nothing(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_diag d;
	size_t at;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	/* flip every byte in turn: nothing may be accepted */
	for (at = 0; at < cs.sb.size; at++) {
		cs.sb.data[at] ^= 0x20;
		lb_err e = ingest(f, &cs, &r, &d);
		cs.sb.data[at] ^= 0x20;
		if (e == LB_OK) {
			free(r.receipt);
			fail_msg("a change set with byte %zu flipped was accepted", at);
		}
	}
	assert_int_equal(agg_seq(f), 0);
	/* truncations */
	for (size_t len = 0; len < cs.sb.size; len += 7) {
		memset(&d, 0, sizeof d);
		assert_int_not_equal(lb_agg_ingest(f->a, cs.sb.data, len, &r, &d), LB_OK);
	}
	assert_int_equal(agg_seq(f), 0);
	/* and the intact one still goes in */
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	lb_mp_buf_free(&cs);
}

static void a_rewritten_history_is_a_fork_with_evidence(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_agg_origin o;
	struct lb_diag d;
	char copy[160], cmd[400];
	struct lb_node *twin;

	/* the village restores an old backup of its node (same key) and
	 * writes something else under seqs the aggregator already has */
	snprintf(copy, sizeof copy, "%s/backup", f->dir);
	lb_node_close(f->n);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", f->node, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	for (int i = 11; i <= 12; i++)
		put_asp(f->n, i, "jalan desa");
	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 12, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);

	assert_int_equal(lb_node_open(&twin, copy, NULL, NULL), LB_OK);
	for (int i = 11; i <= 12; i++)
		put_asp(twin, i, "sesuatu yang lain");
	changeset(twin, VILLAGE, 11, 12, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EFORK);
	assert_non_null(strstr(d.msg, "seq 11"));
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.forks, 1);
	assert_int_equal(o.seq, 12);
	/* the honest history keeps arriving after a fork */
	put_asp(f->n, 13, "lanjut");
	changeset(f->n, VILLAGE, 13, 13, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	assert_int_equal(r.seq, 13);
	free(r.receipt);
	lb_node_close(twin);
	lb_mp_buf_free(&cs);
}

static void put_program(struct lb_node *n, int i)
{
	char js[256], id[16];
	snprintf(id, sizeof id, "PRG-%02d", i);
	snprintf(js, sizeof js,
	         "{\"kode\":\"%s\",\"nama\":\"Program %d\",\"bidang\":\"kesehatan\","
	         "\"anggaran\":1000000,\"tahun\":2026}",
	         id, i);
	write_one(n, LB_OP_PUT, "program", id, js);
}

/* What lb_agg_counts reported, in call order. */
struct counted {
	int n, stop_after;
	char village[8][LB_VILLAGE_LEN + 1];
	char type[8][LB_TYPE_MAX + 1];
	uint64_t count[8];
};

static int count_cb(void *ctx, const char *village, const char *type, uint64_t count)
{
	struct counted *c = ctx;
	assert_true(c->n < 8);
	snprintf(c->village[c->n], sizeof c->village[0], "%s", village);
	snprintf(c->type[c->n], sizeof c->type[0], "%s", type);
	c->count[c->n++] = count;
	return c->stop_after && c->n >= c->stop_after;
}

static struct counted counts(struct fx *f, const char *village)
{
	struct counted c = {0};
	struct lb_diag d = {0};
	if (lb_agg_counts(f->a, village, count_cb, &c, &d))
		fail_msg("lb_agg_counts: %s", d.msg);
	return c;
}

static void assert_counted(const struct counted *c, int i, const char *village, const char *type,
                           uint64_t n)
{
	assert_true(i < c->n);
	assert_string_equal(c->village[i], village);
	assert_string_equal(c->type[i], type);
	if (c->count[i] != n)
		fail_msg("%s %s: counted %llu, expected %llu", village, type,
		         (unsigned long long)c->count[i], (unsigned long long)n);
}

static void ingest_all(struct fx *f, struct lb_node *n, const char *village)
{
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_node_info info;
	struct lb_diag d;

	lb_mp_buf_init(&cs);
	assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
	changeset(n, village, 1, info.seq, &cs);
	if (ingest(f, &cs, &r, &d))
		fail_msg("ingest 1..%llu: %s", (unsigned long long)info.seq, d.msg);
	free(r.receipt);
	lb_mp_buf_free(&cs);
}

/* lb_agg_walk_log_from: the entries from a seq, as stored (the mirror's reader). */
struct walked {
	uint64_t seqs[32];
	uint8_t hash[32][LB_HASH_BYTES];
	size_t n, stop_after;
};

static lb_err walked_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                           struct lb_diag *d)
{
	struct walked *w = ctx;
	(void)d;
	if (w->stop_after && w->n == w->stop_after)
		return LB_EIO; /* a reader's own error ends the walk */
	assert_true(w->n < 32);
	w->seqs[w->n] = seq;
	lb_hash(w->hash[w->n++], raw, len);
	return LB_OK;
}

static lb_err walked_head(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                          struct lb_diag *d)
{
	(void)ctx, (void)seq, (void)raw, (void)len, (void)d;
	return LB_OK;
}

static void a_replica_is_walked_from_any_seq(void **state)
{
	struct fx *f = *state;
	struct walked all = {0}, from5 = {0}, past = {0}, stopped = {.stop_after = 2};
	struct lb_agg_walk wk = {NULL, walked_entry, walked_head, &all};
	struct lb_agg_origin o;

	for (int i = 1; i <= 3; i++)
		put_program(f->n, i);
	ingest_all(f, f->n, VILLAGE); /* seq 1..13 */
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.seq, 13);
	assert_int_equal(lb_agg_walk_log_from(f->a, f->origin, 0, &wk, NULL), LB_OK);
	assert_int_equal(all.n, 13);
	for (size_t i = 0; i < all.n; i++)
		assert_int_equal(all.seqs[i], i + 1);
	/* the last entry walked is the one the origin's state names */
	assert_memory_equal(all.hash[12], o.hash, LB_HASH_BYTES);
	wk.ctx = &from5;
	assert_int_equal(lb_agg_walk_log_from(f->a, f->origin, 5, &wk, NULL), LB_OK);
	assert_int_equal(from5.n, 9);
	for (size_t i = 0; i < from5.n; i++) {
		assert_int_equal(from5.seqs[i], i + 5);
		assert_memory_equal(from5.hash[i], all.hash[i + 4], LB_HASH_BYTES);
	}
	wk.ctx = &past;
	assert_int_equal(lb_agg_walk_log_from(f->a, f->origin, 14, &wk, NULL), LB_OK);
	assert_int_equal(past.n, 0);
	wk.ctx = &stopped;
	assert_int_equal(lb_agg_walk_log_from(f->a, f->origin, 3, &wk, NULL), LB_EIO);
	assert_int_equal(stopped.n, 2);
	assert_int_equal(stopped.seqs[1], 4);
}

static void counts_per_type_follow_puts_and_deletes(void **state)
{
	struct fx *f = *state;
	struct lb_agg_origin o;
	struct lb_diag d;
	struct counted c;
	uint8_t other[LB_PK_BYTES];
	char n2[128];
	struct lb_node *m;

	/* nothing ingested yet: no groups at all, nothing held */
	c = counts(f, NULL);
	assert_int_equal(c.n, 0);
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.entries, 0);

	for (int i = 1; i <= 3; i++)
		put_program(f->n, i);
	ingest_all(f, f->n, VILLAGE); /* seq 1..13: 10 aspirasi, 3 program */
	c = counts(f, NULL);
	assert_int_equal(c.n, 2);
	assert_counted(&c, 0, VILLAGE, "aspirasi", 10);
	assert_counted(&c, 1, VILLAGE, "program", 3);
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.seq, 13);
	assert_int_equal(o.entries, 13);

	/* a delete takes its record out of the count; an update does not add one */
	write_one(f->n, LB_OP_DEL, "aspirasi", "ASP-003", NULL);
	write_one(f->n, LB_OP_DEL, "aspirasi", "ASP-007", NULL);
	put_asp(f->n, 5, "jembatan");
	write_one(f->n, LB_OP_DEL, "program", "PRG-01", NULL);
	ingest_all(f, f->n, VILLAGE);
	c = counts(f, NULL);
	assert_int_equal(c.n, 2);
	assert_counted(&c, 0, VILLAGE, "aspirasi", 8);
	assert_counted(&c, 1, VILLAGE, "program", 2);
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.entries, 17);
	assert_int_equal(o.entries, o.seq);

	/* a second village: its own groups, after the first in byte order */
	snprintf(n2, sizeof n2, "%s/other", f->dir);
	assert_int_equal(lb_node_init(n2, "33.24.01.2002", NULL, other, NULL), LB_OK);
	assert_int_equal(lb_node_open(&m, n2, NULL, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->a, "33.24.01.2002", other, NULL), LB_OK);
	put_asp(m, 1, "air bersih");
	put_program(m, 1); /* same id as a program of the first village: counted apart */
	ingest_all(f, m, "33.24.01.2002");
	c = counts(f, NULL);
	assert_int_equal(c.n, 4);
	assert_counted(&c, 0, VILLAGE, "aspirasi", 8);
	assert_counted(&c, 1, VILLAGE, "program", 2);
	assert_counted(&c, 2, "33.24.01.2002", "aspirasi", 1);
	assert_counted(&c, 3, "33.24.01.2002", "program", 1);

	/* one village only */
	c = counts(f, "33.24.01.2002");
	assert_int_equal(c.n, 2);
	assert_counted(&c, 0, "33.24.01.2002", "aspirasi", 1);
	c = counts(f, VILLAGE);
	assert_int_equal(c.n, 2);
	assert_counted(&c, 1, VILLAGE, "program", 2);
	c = counts(f, "33.24.01.2009"); /* enrolled or not, no records: no groups */
	assert_int_equal(c.n, 0);

	/* the callback stops the walk, which is no error */
	c = (struct counted){.stop_after = 3};
	assert_int_equal(lb_agg_counts(f->a, NULL, count_cb, &c, NULL), LB_OK);
	assert_int_equal(c.n, 3);

	memset(&d, 0, sizeof d);
	c = (struct counted){0};
	assert_int_equal(lb_agg_counts(f->a, "33.24.01", count_cb, &c, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "not a desa code"));
	assert_int_equal(c.n, 0);
	lb_node_close(m);
}

/* Anyone who holds a village's signed head can send it with garbage
 * entries; differing entries are a fork only when they chain to the
 * signed head, so garbage never counts as one. */
static void a_garbled_resend_is_refused_but_is_no_fork(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_agg_origin o;
	struct lb_diag d;
	size_t at;
	int sig = 0;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	for (at = 0; at < cs.sb.size; at++) {
		lb_err e;
		cs.sb.data[at] ^= 0x01;
		e = ingest(f, &cs, &r, &d);
		cs.sb.data[at] ^= 0x01;
		if (e == LB_OK)
			free(r.receipt);
		if (e == LB_EFORK)
			fail_msg("byte %zu flipped: a fork was declared (%s)", at, d.msg);
		sig += e == LB_ESIG;
	}
	assert_true(sig > 0);
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.forks, 0);
	assert_int_equal(o.seq, 10);
	lb_mp_buf_free(&cs);
}

/* ---- over HTTP: a real libmicrohttpd server on loopback, real libcurl ---- */

struct http_reply {
	long status;
	uint8_t body[65536];
	size_t len;
};

static size_t collect_body(char *p, size_t sz, size_t n, void *ud)
{
	struct http_reply *r = ud;
	size_t k = sz * n;
	if (r->len + k > sizeof r->body)
		return 0;
	memcpy(r->body + r->len, p, k);
	r->len += k;
	return k;
}

static void http(uint16_t port, const char *path, const void *body, size_t len,
                 struct http_reply *r)
{
	CURL *c = curl_easy_init();
	char url[256];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/x-msgpack");

	memset(r, 0, sizeof *r);
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

/* The string value of key in a msgpack map reply, copied into out. */
static bool reply_str(const struct http_reply *r, const char *key, char *out, size_t n)
{
	struct lb_mp_rd rd;
	struct lb_mp_obj o, k, v;
	lb_mp_rd_init(&rd, r->body, r->len);
	if (lb_mp_next(&rd, &o, NULL) || o.kind != LB_MP_MAP)
		return false;
	for (uint32_t i = 0; i < o.len; i++) {
		if (lb_mp_next(&rd, &k, NULL) || lb_mp_next(&rd, &v, NULL))
			return false;
		if (k.len == strlen(key) && !memcmp(k.s, key, k.len) && v.kind == LB_MP_STR &&
		    v.len < n) {
			memcpy(out, v.s, v.len);
			out[v.len] = 0;
			return true;
		}
	}
	return false;
}

static void the_http_api_ingests_and_answers_with_stable_codes(void **state)
{
	struct fx *f = *state;
	struct lb_agg_server *srv;
	struct lb_mp_buf cs;
	struct http_reply r;
	char hex[65], path[128], code[64];
	uint16_t port;

	assert_int_equal(lb_agg_serve(&srv, f->a, "127.0.0.1", 0, 2, NULL, NULL), LB_OK);
	port = lb_agg_server_port(srv);
	assert_true(port > 0);
	lb_hex(hex, f->origin, LB_PK_BYTES);
	snprintf(path, sizeof path, "/v1/origins/%s", hex);

	http(port, path, NULL, 0, &r);
	assert_int_equal(r.status, 200);

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 4, &cs);
	http(port, "/v1/changesets", cs.sb.data, cs.sb.size, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(agg_seq(f), 4);

	changeset(f->n, VILLAGE, 6, 10, &cs);
	http(port, "/v1/changesets", cs.sb.data, cs.sb.size, &r);
	assert_int_equal(r.status, 409);
	assert_true(reply_str(&r, "code", code, sizeof code));
	assert_string_equal(code, "gap");

	http(port, "/v1/changesets", "\x85garbage", 8, &r);
	assert_int_equal(r.status, 400);
	assert_true(reply_str(&r, "code", code, sizeof code));
	assert_string_equal(code, "malformed");

	cs.sb.data[cs.sb.size - 20] ^= 1; /* inside the village code */
	http(port, "/v1/changesets", cs.sb.data, cs.sb.size, &r);
	assert_true(r.status == 400 || r.status == 403 || r.status == 409);

	http(port, "/v1/origins/00", NULL, 0, &r);
	assert_int_equal(r.status, 400);
	memset(hex, 'a', 64);
	snprintf(path, sizeof path, "/v1/origins/%s", hex);
	http(port, path, NULL, 0, &r);
	assert_int_equal(r.status, 403);
	assert_true(reply_str(&r, "code", code, sizeof code));
	assert_string_equal(code, "unknown_origin");
	assert_int_equal(agg_seq(f), 4);

	lb_agg_server_stop(srv);
	lb_mp_buf_free(&cs);
}

struct chain {
	struct lb_merkle m;
	uint8_t hash[LB_HASH_BYTES];
	uint64_t seq, ts;
};

static int chain_entry(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                       const uint8_t *raw, size_t raw_len)
{
	struct chain *c = ctx;
	(void)raw;
	(void)raw_len;
	lb_merkle_append(&c->m, hash);
	memcpy(c->hash, hash, LB_HASH_BYTES);
	c->seq = e->seq;
	c->ts = e->ts;
	return 0;
}

/* A village that signs a record its own node would have refused (an
 * altered binary, an old version with a bug): the change set is validly
 * signed and chained, and still nothing of it is stored. */
static void a_signed_entry_that_breaks_the_schema_is_refused(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs, body, ent, head;
	struct lb_agg_result r;
	struct lb_diag d;
	struct chain c;
	struct lb_key k;
	struct lb_head h = {.village = VILLAGE};
	char keypath[128];
	json_t *j;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);

	/* entry 11: an aspirasi whose status is not one of the enum values */
	lb_merkle_init(&c.m);
	assert_int_equal(lb_node_log(f->n, 1, chain_entry, &c, NULL), LB_OK);
	assert_int_equal(c.seq, 10);
	lb_mp_buf_init(&body);
	j = json_loads("{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Warga\",\"usulan\":\"Sumur\","
	               "\"status\":\"disetujui-kades\"}",
	               0, NULL);
	assert_int_equal(lb_body_from_json(&body, j, NULL), LB_OK);
	json_decref(j);
	struct lb_entry e = {.seq = 11, .ts = c.ts + 1, .op = LB_OP_PUT, .type = "aspirasi",
	                     .type_len = 8, .id = "ASP-BAD", .id_len = 7,
	                     .body = (const uint8_t *)body.sb.data, .body_len = body.sb.size,
	                     .schema = 1};
	memcpy(e.prev, c.hash, LB_HASH_BYTES);
	lb_mp_buf_init(&ent);
	assert_int_equal(lb_entry_encode(&ent, &e), LB_OK);

	/* signed by the village's real key, over the real chain and tree */
	lb_hash(h.hash, ent.sb.data, ent.sb.size);
	lb_merkle_append(&c.m, h.hash);
	lb_merkle_root(&c.m, h.root);
	memcpy(h.origin, f->origin, LB_PK_BYTES);
	h.seq = 11;
	h.ts = e.ts;
	snprintf(keypath, sizeof keypath, "%s/node.key", f->node);
	assert_int_equal(lb_key_load(keypath, &k, NULL), LB_OK);
	lb_mp_buf_init(&head);
	assert_int_equal(lb_head_sign(&head, &h, &k), LB_OK);
	lb_key_wipe(&k);

	lb_mp_buf_reset(&cs);
	assert_int_equal(lb_wire_begin(&cs, 1, NULL), LB_OK);
	assert_int_equal(lb_wire_add_entry(&cs, (const uint8_t *)ent.sb.data, ent.sb.size, NULL), LB_OK);
	assert_int_equal(lb_wire_end(&cs, VILLAGE, f->origin, (const uint8_t *)head.sb.data,
	                             head.sb.size, NULL),
	                 LB_OK);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "status"));
	assert_non_null(strstr(d.msg, "seq 11"));
	assert_int_equal(agg_seq(f), 10);

	lb_mp_buf_free(&cs);
	lb_mp_buf_free(&body);
	lb_mp_buf_free(&ent);
	lb_mp_buf_free(&head);
}


/* lb_node_log callback: the node's stored entries, each followed by its
 * signed head, into an archive. */
struct lla_build {
	struct lb_node *n;
	struct lb_lla_writer *w;
};

static int lla_entry(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                     const uint8_t *raw, size_t raw_len)
{
	struct lla_build *b = ctx;
	uint8_t *head;
	size_t hlen;
	(void)hash;
	assert_int_equal(lb_lla_write_entry(b->w, raw, raw_len, NULL), LB_OK);
	if (lb_node_head(b->n, e->seq, &head, &hlen, NULL) == LB_OK) {
		assert_int_equal(lb_lla_write_head(b->w, head, hlen, NULL), LB_OK);
		free(head);
	}
	return 0;
}

/* Entries 11.. after the node's 10, each at the time of the one before
 * plus dts[i] (ms, in the HLC's wall part), and a head over the last at
 * its time plus head_dts: signed with the village's real key over the real
 * chain and tree.  Written as a change set (cs) and as the whole history
 * in a log archive (lla, rewound). */
static void forge_times(struct fx *f, const int dts[], size_t n, int head_dts,
                        struct lb_mp_buf *cs, FILE *lla)
{
	struct lb_mp_buf body, ents[4], head;
	struct lb_lla_writer w;
	struct lb_lla_header hd = {.village = VILLAGE, .source = "node"};
	struct lla_build lb = {f->n, &w};
	struct chain c;
	struct lb_key k;
	struct lb_head h = {.village = VILLAGE};
	char keypath[128];
	json_t *j;

	assert_true(n <= 4);
	lb_merkle_init(&c.m);
	assert_int_equal(lb_node_log(f->n, 1, chain_entry, &c, NULL), LB_OK);
	assert_int_equal(c.seq, 10);
	lb_mp_buf_init(&body);
	j = json_loads("{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Warga\",\"usulan\":\"Sumur\","
	               "\"status\":\"diusulkan\"}",
	               0, NULL);
	assert_int_equal(lb_body_from_json(&body, j, NULL), LB_OK);
	json_decref(j);
	for (size_t i = 0; i < n; i++) {
		char id[16];
		struct lb_entry e = {.seq = 11 + i, .op = LB_OP_PUT, .type = "aspirasi", .type_len = 8,
		                     .id = id, .body = (const uint8_t *)body.sb.data,
		                     .body_len = body.sb.size, .schema = 1};
		snprintf(id, sizeof id, "ASP-T%zu", i);
		e.id_len = strlen(id);
		e.ts = (uint64_t)((int64_t)c.ts + (int64_t)dts[i] * 65536);
		memcpy(e.prev, c.hash, LB_HASH_BYTES);
		lb_mp_buf_init(&ents[i]);
		assert_int_equal(lb_entry_encode(&ents[i], &e), LB_OK);
		lb_hash(c.hash, ents[i].sb.data, ents[i].sb.size);
		lb_merkle_append(&c.m, c.hash);
		c.seq = e.seq;
		c.ts = e.ts;
	}
	memcpy(h.hash, c.hash, LB_HASH_BYTES);
	lb_merkle_root(&c.m, h.root);
	memcpy(h.origin, f->origin, LB_PK_BYTES);
	h.seq = c.seq;
	h.ts = (uint64_t)((int64_t)c.ts + (int64_t)head_dts * 65536);
	snprintf(keypath, sizeof keypath, "%s/node.key", f->node);
	assert_int_equal(lb_key_load(keypath, &k, NULL), LB_OK);
	lb_mp_buf_init(&head);
	assert_int_equal(lb_head_sign(&head, &h, &k), LB_OK);
	lb_key_wipe(&k);

	lb_mp_buf_reset(cs);
	assert_int_equal(lb_wire_begin(cs, n, NULL), LB_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(
		        lb_wire_add_entry(cs, (const uint8_t *)ents[i].sb.data, ents[i].sb.size, NULL),
		        LB_OK);
	assert_int_equal(lb_wire_end(cs, VILLAGE, f->origin, (const uint8_t *)head.sb.data,
	                             head.sb.size, NULL),
	                 LB_OK);

	lb_lla_writer_init(&w, lla);
	memcpy(hd.origin, f->origin, LB_PK_BYTES);
	assert_int_equal(lb_lla_write_header(&w, &hd, NULL), LB_OK);
	assert_int_equal(lb_node_log(f->n, 1, lla_entry, &lb, NULL), LB_OK);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(lb_lla_write_entry(&w, ents[i].sb.data, ents[i].sb.size, NULL), LB_OK);
		lb_mp_buf_free(&ents[i]);
	}
	assert_int_equal(lb_lla_write_head(&w, head.sb.data, head.sb.size, NULL), LB_OK);
	assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	lb_lla_writer_free(&w);
	rewind(lla);
	lb_mp_buf_free(&body);
	lb_mp_buf_free(&head);
}

/* The aggregator accepts exactly what the auditor accepts: a history
 * signed with the village's real key whose times repeat or fall, or whose
 * head carries another time than its entry, is refused at ingest (422,
 * nothing stored) and by lumbung-audit verify alike; the same history with
 * rising times passes both. */
static void times_that_do_not_rise_are_refused_like_the_auditor_does(void **state)
{
	struct fx *f = *state;
	static const struct {
		int dts[2], head_dts;
		const char *why;
		uint64_t bad_seq;
	} cases[] = {
		{{1, 0}, 0, "timestamp is not after", 12},   /* a repeated time */
		{{1, -1}, 0, "timestamp is not after", 12},  /* a falling time */
		{{0, 1}, 0, "timestamp is not after", 11},   /* the first repeats entry 10's */
		{{1, 1}, -1, "time of the entry it covers", 12}, /* the head's time is not its entry's */
		{{1, 1}, 1, "time of the entry it covers", 12},
		{{1, 1}, 0, NULL, 0},                         /* control: both accept */
	};
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_diag d;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lb_audit_report rep;
		struct lb_diag ad = {0};
		struct lb_agg_origin o;
		FILE *lla = tmpfile();
		lb_err ie, ae;

		assert_non_null(lla);
		forge_times(f, cases[i].dts, 2, cases[i].head_dts, &cs, lla);
		ie = ingest(f, &cs, &r, &d);
		ae = lb_audit_verify(lla, NULL, &rep, &ad);
		fclose(lla);
		if (!cases[i].why) {
			assert_int_equal(ie, LB_OK);
			free(r.receipt);
			assert_int_equal(ae, LB_OK);
			assert_int_equal(agg_seq(f), 12);
			continue;
		}
		print_message("case %zu: ingest: %s; audit: %s\n", i, d.msg, ad.msg);
		assert_int_equal(ie, LB_ESCHEMA);
		assert_non_null(strstr(d.msg, cases[i].why));
		assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
		assert_int_equal(o.seq, 10);
		assert_int_equal(o.entries, 10);
		assert_int_equal(ae, LB_ECORRUPT);
		assert_non_null(strstr(ad.msg, cases[i].why));
		assert_int_equal(rep.bad_seq, cases[i].bad_seq);
	}
	lb_mp_buf_free(&cs);
}

/* A change set that is refused for what a peer wrote inside it: the
 * detail (which the HTTP server answers and logs) carries the peer's bytes
 * escaped, so a map key with a line break cannot forge an "accepted" line. */
static void peer_bytes_in_a_refusal_are_escaped(void **state)
{
	static const char forged[] = "a\nlumbung-agg: accepted 99 entries";
	struct fx *f = *state;
	struct lb_mp_buf cs, ent;
	struct lb_agg_result r;
	struct lb_diag d;
	struct chain c;
	uint8_t body[96];
	size_t n = 0, kl = sizeof forged - 1;

	body[n++] = 0x82;
	body[n++] = 0xa1;
	body[n++] = 'z';
	body[n++] = 0x01;
	body[n++] = 0xd9; /* str8: 32..255 bytes */
	body[n++] = (uint8_t)kl;
	memcpy(body + n, forged, kl);
	n += kl;
	body[n++] = 0x02;
	lb_merkle_init(&c.m);
	assert_int_equal(lb_node_log(f->n, 1, chain_entry, &c, NULL), LB_OK);
	struct lb_entry e = {.seq = 11, .ts = c.ts + 1, .op = LB_OP_PUT, .type = "aspirasi",
	                     .type_len = 8, .id = "ASP-X", .id_len = 5, .body = body,
	                     .body_len = n, .schema = 1};
	memcpy(e.prev, c.hash, LB_HASH_BYTES);
	lb_mp_buf_init(&ent);
	assert_int_equal(lb_entry_encode(&ent, &e), LB_OK);
	lb_mp_buf_init(&cs);
	assert_int_equal(lb_wire_begin(&cs, 1, NULL), LB_OK);
	assert_int_equal(lb_wire_add_entry(&cs, (const uint8_t *)ent.sb.data, ent.sb.size, NULL),
	                 LB_OK);
	assert_int_equal(lb_wire_end(&cs, VILLAGE, f->origin, (const uint8_t *)"\x11", 1, NULL),
	                 LB_OK);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EMALFORMED);
	print_message("%s\n", d.msg);
	assert_non_null(strstr(d.msg, "sorted"));
	assert_null(strchr(d.msg, '\n'));
	assert_non_null(strstr(d.msg, "a\\x0alumbung-agg: accepted"));
	assert_int_equal(agg_seq(f), 0);
	lb_mp_buf_free(&cs);
	lb_mp_buf_free(&ent);
}

/* ---- map growth under concurrent ingest (issue 05, defect 1) ------------- */

#define MANY 8        /* villages ingesting at once */
#define MANY_SETS 4  /* change sets per village */
#define MANY_PER 30   /* entries per change set (one node transaction each) */

struct many_village {
	char code[24];
	uint8_t origin[LB_PK_BYTES], hash[LB_HASH_BYTES];
	struct { uint8_t *p; size_t len; } cs[MANY_SETS];
};

struct many_run {
	struct lb_agg *a;
	struct many_village *v;
	volatile int stop;
	char err[1024]; /* the first failure of any thread */
	pthread_mutex_t lock;
};

struct many_arg {
	struct many_run *run;
	int i;
};

static void many_fail(struct many_run *run, const char *fmt, const char *a, const char *b)
{
	pthread_mutex_lock(&run->lock);
	if (!run->err[0])
		snprintf(run->err, sizeof run->err, fmt, a, b);
	pthread_mutex_unlock(&run->lock);
}

/*
 * LMDB resizes its map by munmap, then mmap of the larger size; a thread
 * that touches the environment in between (without the lock resizes wait
 * for) reads unmapped memory.  Left to the scheduler such a race crashes
 * only now and then, so while slow_env is set this process pauses after
 * every munmap (LMDB's included: the executable's definition comes first)
 * and before every mdb_env_info, which makes a thread that asks the
 * environment for its size meet another thread's resize half done
 * whenever the code allows it.
 */
static volatile int slow_env;

int munmap(void *addr, size_t len)
{
	static int (*real)(void *, size_t);
	int rc;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "munmap");
	rc = real(addr, len);
	if (slow_env)
		usleep(2000);
	return rc;
}

int mdb_env_info(MDB_env *env, MDB_envinfo *stat)
{
	static int (*real)(MDB_env *, MDB_envinfo *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "mdb_env_info");
	if (slow_env)
		usleep(1000);
	return real(env, stat);
}

/* One village: its change sets in order, as its push would send them. */
static void *many_ingest(void *p)
{
	struct many_arg *g = p;
	struct many_village *v = &g->run->v[g->i];

	for (int k = 0; k < MANY_SETS; k++) {
		struct lb_agg_result r;
		struct lb_diag d = {0};
		if (lb_agg_ingest(g->run->a, v->cs[k].p, v->cs[k].len, &r, &d)) {
			many_fail(g->run, "village %s: ingest refused: %s", v->code, d.msg);
			return NULL;
		}
		free(r.receipt);
	}
	return NULL;
}

static int many_count(void *ctx, const char *village, const char *type, uint64_t count)
{
	(void)ctx, (void)village, (void)type, (void)count;
	return 0;
}

static int many_origin(void *ctx, const struct lb_agg_origin *o)
{
	(void)ctx, (void)o;
	return 0;
}

/* The GET /v1/origins and status paths, all the time. */
static void *many_read(void *p)
{
	struct many_run *run = p;
	while (!run->stop) {
		for (int i = 0; i < MANY && !run->stop; i++) {
			struct lb_agg_origin o;
			struct lb_diag d = {0};
			if (lb_agg_origin(run->a, run->v[i].origin, &o, &d) ||
			    lb_agg_origins(run->a, many_origin, NULL, &d) ||
			    lb_agg_counts(run->a, NULL, many_count, NULL, &d))
				many_fail(run, "reading while %s ingests: %s", run->v[i].code, d.msg);
		}
	}
	return NULL;
}

static void put_batch(struct lb_node *n, int from, int count)
{
	struct lb_change c[MANY_PER];
	struct lb_mp_buf b[MANY_PER];
	char id[MANY_PER][16];
	struct lb_diag d = {0};

	assert_true(count <= MANY_PER);
	for (int i = 0; i < count; i++) {
		char js[256];
		json_t *j;
		snprintf(js, sizeof js,
		         "{\"tanggal\":\"2026-01-%02d\",\"pengusul\":\"Warga nomor %d\",\"usulan\":"
		         "\"perbaikan saluran irigasi dan jalan usaha tani nomor %d\",\"status\":"
		         "\"diusulkan\"}",
		         (from + i) % 28 + 1, from + i, from + i);
		snprintf(id[i], sizeof id[i], "ASP-%05d", from + i);
		lb_mp_buf_init(&b[i]);
		assert_non_null(j = json_loads(js, 0, NULL));
		assert_int_equal(lb_body_from_json(&b[i], j, NULL), LB_OK);
		json_decref(j);
		c[i] = (struct lb_change){.op = LB_OP_PUT, .type = "aspirasi", .id = id[i],
		                          .id_len = strlen(id[i]), .body = (const uint8_t *)b[i].sb.data,
		                          .body_len = b[i].sb.size};
	}
	if (lb_node_write(n, c, (size_t)count, 0, NULL, &d))
		fail_msg("writing %d records: %s", count, d.msg);
	for (int i = 0; i < count; i++)
		lb_mp_buf_free(&b[i]);
}

/* Eight villages ingest at once into an aggregator whose map starts at
 * 64 KiB, while readers ask for origins, status and counts: the map
 * doubles many times under their feet.  Five rounds, each on a fresh
 * store; every village's replica must be complete and the process alive
 * (a resize that unmaps the file under another thread's feet crashes). */
static void eight_villages_ingest_at_once_into_a_growing_map(void **state)
{
	struct fx *f = *state;
	struct many_village v[MANY];
	struct lb_mp_buf cs;

	lb_mp_buf_init(&cs);
	for (int i = 0; i < MANY; i++) {
		char dir[160];
		struct lb_node *n;
		struct lb_node_info info;

		snprintf(v[i].code, sizeof v[i].code, "33.24.01.%04d", 2101 + i);
		snprintf(dir, sizeof dir, "%s/many%d", f->dir, i);
		assert_int_equal(lb_node_init(dir, v[i].code, NULL, v[i].origin, NULL), LB_OK);
		assert_int_equal(lb_node_open(&n, dir, NULL, NULL), LB_OK);
		for (int k = 0; k < MANY_SETS; k++) {
			put_batch(n, k * MANY_PER + 1, MANY_PER);
			changeset(n, v[i].code, (uint64_t)k * MANY_PER + 1, (uint64_t)(k + 1) * MANY_PER,
			          &cs);
			assert_non_null(v[i].cs[k].p = malloc(cs.sb.size));
			memcpy(v[i].cs[k].p, cs.sb.data, cs.sb.size);
			v[i].cs[k].len = cs.sb.size;
		}
		assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
		assert_int_equal(info.seq, MANY_SETS * MANY_PER);
		memcpy(v[i].hash, info.hash, LB_HASH_BYTES);
		lb_node_close(n);
	}
	lb_mp_buf_free(&cs);

	for (int round = 1; round <= 5; round++) {
		struct many_run run = {.v = v};
		struct many_arg args[MANY];
		pthread_t th[MANY], rd[2];
		char dir[160];
		uint8_t pk[LB_PK_BYTES];

		pthread_mutex_init(&run.lock, NULL);
		snprintf(dir, sizeof dir, "%s/small%d", f->dir, round);
		assert_int_equal(lb_agg_init(dir, "33.24", pk, NULL), LB_OK);
		setenv("LUMBUNG_AGG_MAP_SIZE", "65536", 1);
		assert_int_equal(lb_agg_open(&run.a, dir, NULL), LB_OK);
		unsetenv("LUMBUNG_AGG_MAP_SIZE");
		for (int i = 0; i < MANY; i++)
			assert_int_equal(lb_agg_enroll(run.a, v[i].code, v[i].origin, NULL), LB_OK);
		for (int i = 0; i < 2; i++)
			assert_int_equal(pthread_create(&rd[i], NULL, many_read, &run), 0);
		slow_env = 1;
		for (int i = 0; i < MANY; i++) {
			args[i] = (struct many_arg){&run, i};
			assert_int_equal(pthread_create(&th[i], NULL, many_ingest, &args[i]), 0);
		}
		for (int i = 0; i < MANY; i++)
			pthread_join(th[i], NULL);
		run.stop = 1;
		for (int i = 0; i < 2; i++)
			pthread_join(rd[i], NULL);
		slow_env = 0;
		if (run.err[0])
			fail_msg("round %d: %s", round, run.err);
		for (int i = 0; i < MANY; i++) {
			struct lb_agg_origin o;
			struct counted c = {0};
			assert_int_equal(lb_agg_origin(run.a, v[i].origin, &o, NULL), LB_OK);
			if (o.seq != MANY_SETS * MANY_PER || o.entries != o.seq ||
			    memcmp(o.hash, v[i].hash, LB_HASH_BYTES))
				fail_msg("round %d: village %s held at seq %llu with %llu entries", round,
				         v[i].code, (unsigned long long)o.seq, (unsigned long long)o.entries);
			assert_int_equal(lb_agg_counts(run.a, v[i].code, count_cb, &c, NULL), LB_OK);
			assert_int_equal(c.n, 1);
			assert_counted(&c, 0, v[i].code, "aspirasi", MANY_SETS * MANY_PER);
		}
		lb_agg_close(run.a);
		pthread_mutex_destroy(&run.lock);
	}
	for (int i = 0; i < MANY; i++)
		for (int k = 0; k < MANY_SETS; k++)
			free(v[i].cs[k].p);
}


/* ---- replays and resends (issue 05, defects 5 and 13) -------------------- */

/* The village's own head for seq 10, re-signed with another tree root:
 * the change set 1..10 chains to the signed hash, only the root lies. */
static void a_resend_with_a_lying_root_gets_no_receipt_for_it(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs, head;
	struct lb_agg_result r;
	struct lb_receipt rc;
	struct lb_node_info info;
	struct lb_head h = {.village = VILLAGE, .seq = 10};
	struct lb_diag d;
	struct lb_key k;
	struct chain c;
	char keypath[128];
	lb_err e;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);

	/* the tree root computed here from the node's entries, not by the
	 * aggregator; an honest resend's receipt carries it */
	lb_merkle_init(&c.m);
	assert_int_equal(lb_node_log(f->n, 1, chain_entry, &c, NULL), LB_OK);
	lb_merkle_root(&c.m, h.root);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	assert_int_equal(lb_receipt_open(&rc, r.receipt, r.receipt_len, f->agg_pk, NULL), LB_OK);
	assert_memory_equal(rc.root, h.root, LB_HASH_BYTES);
	free(r.receipt);

	/* the same entries under a head whose root is garbage */
	memcpy(h.hash, info.hash, LB_HASH_BYTES);
	memcpy(h.origin, f->origin, LB_PK_BYTES);
	h.ts = c.ts;
	memset(h.root, 0x5a, LB_HASH_BYTES);
	snprintf(keypath, sizeof keypath, "%s/node.key", f->node);
	assert_int_equal(lb_key_load(keypath, &k, NULL), LB_OK);
	lb_mp_buf_init(&head);
	assert_int_equal(lb_head_sign(&head, &h, &k), LB_OK);
	lb_key_wipe(&k);
	lb_mp_buf_reset(&cs);
	assert_int_equal(lb_wire_begin(&cs, 10, NULL), LB_OK);
	{
		struct cs_build b = {&cs, 10, LB_OK};
		assert_int_equal(lb_node_log(f->n, 1, add_entry, &b, NULL), LB_OK);
	}
	assert_int_equal(lb_wire_end(&cs, VILLAGE, f->origin, (const uint8_t *)head.sb.data,
	                             head.sb.size, NULL),
	                 LB_OK);
	e = ingest(f, &cs, &r, &d);
	if (e == LB_OK) {
		assert_int_equal(lb_receipt_open(&rc, r.receipt, r.receipt_len, f->agg_pk, NULL), LB_OK);
		free(r.receipt);
		fail_msg("a resend whose head names a wrong tree root was accepted (receipt root "
		         "%s the offered one)",
		         memcmp(rc.root, h.root, LB_HASH_BYTES) ? "is not" : "is");
	}
	assert_int_equal(e, LB_ESIG);
	assert_non_null(strstr(d.msg, "Merkle root"));
	assert_int_equal(agg_seq(f), 10);
	lb_mp_buf_free(&cs);
	lb_mp_buf_free(&head);
}

static uint64_t last_seen_ms(struct fx *f)
{
	struct lb_agg_origin o;
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	return o.last_seen_ms;
}

/* Anyone who captured a change set can send it again, any number of
 * times: that is no sign of life of the village, and one fork is one. */
static void replays_move_neither_last_seen_nor_the_fork_count(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs, early;
	struct lb_agg_result r;
	struct lb_agg_origin o;
	struct lb_diag d;
	uint64_t seen;
	char copy[160], cmd[400];
	struct lb_node *twin;
	FILE *ev;
	size_t count = 9;

	lb_mp_buf_init(&cs);
	lb_mp_buf_init(&early);
	changeset(f->n, VILLAGE, 1, 4, &early);
	assert_int_equal(ingest(f, &early, &r, &d), LB_OK);
	free(r.receipt);
	changeset(f->n, VILLAGE, 5, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	seen = last_seen_ms(f);
	assert_true(seen > 0);
	usleep(20000); /* so that any later stamp differs */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ingest(f, &early, &r, &d), LB_OK); /* an old one */
		assert_int_equal(r.accepted, 0);
		free(r.receipt);
		assert_int_equal(ingest(f, &cs, &r, &d), LB_OK); /* the newest one */
		free(r.receipt);
	}
	assert_int_equal(last_seen_ms(f), seen);
	put_asp(f->n, 11, "baru");
	changeset(f->n, VILLAGE, 11, 11, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	assert_true(last_seen_ms(f) > seen); /* new entries do move it */
	seen = last_seen_ms(f);

	/* a fork, then the same fork change set twice more */
	snprintf(copy, sizeof copy, "%s/backup", f->dir);
	lb_node_close(f->n);
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", f->node, copy);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	put_asp(f->n, 12, "jalan desa");
	changeset(f->n, VILLAGE, 12, 12, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);
	seen = last_seen_ms(f);
	usleep(20000);
	assert_int_equal(lb_node_open(&twin, copy, NULL, NULL), LB_OK);
	put_asp(twin, 12, "sesuatu yang lain");
	changeset(twin, VILLAGE, 12, 12, &cs);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ingest(f, &cs, &r, &d), LB_EFORK);
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_int_equal(o.forks, 1);
	assert_int_equal(o.last_seen_ms, seen);
	assert_non_null(ev = tmpfile());
	assert_int_equal(lb_agg_export_forks(f->a, f->origin, ev, &count, &d), LB_OK);
	assert_int_equal(count, 1);
	fclose(ev);
	lb_node_close(twin);
	lb_mp_buf_free(&cs);
	lb_mp_buf_free(&early);
}


/* ---- one active key per village (issue 05, defect 14) -------------------- */

static void a_village_has_one_active_key_at_a_time(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_agg_origin o;
	struct lb_diag d = {0};
	struct counted c;
	uint8_t second[LB_PK_BYTES];
	char dir[128], hx[2 * LB_PK_BYTES + 1], hx2[2 * LB_PK_BYTES + 1];
	struct lb_node *m;

	lb_mp_buf_init(&cs);
	changeset(f->n, VILLAGE, 1, 10, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_OK);
	free(r.receipt);

	/* the village's new laptop: a new key for the same village */
	snprintf(dir, sizeof dir, "%s/laptop", f->dir);
	assert_int_equal(lb_node_init(dir, VILLAGE, NULL, second, NULL), LB_OK);
	assert_int_equal(lb_node_open(&m, dir, NULL, NULL), LB_OK);
	for (int i = 101; i <= 103; i++)
		put_asp(m, i, "sumur bor");
	lb_hex(hx, f->origin, LB_PK_BYTES);
	lb_hex(hx2, second, LB_PK_BYTES);
	memset(&d, 0, sizeof d);
	assert_int_equal(lb_agg_enroll(f->a, VILLAGE, second, &d), LB_EEXIST);
	if (!strstr(d.msg, hx) || !strstr(d.msg, "revoke") || !strstr(d.msg, "succession"))
		fail_msg("the refusal does not name the active key and the way out: %s", d.msg);
	assert_int_equal(lb_agg_origin(f->a, second, &o, NULL), LB_EUNKNOWN_ORIGIN);
	/* enrolling the active key again changes nothing and is fine */
	assert_int_equal(lb_agg_enroll(f->a, VILLAGE, f->origin, NULL), LB_OK);

	/* revoke the old key, then the new one may be enrolled */
	assert_int_equal(lb_agg_revoke(f->a, f->origin, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->a, VILLAGE, second, NULL), LB_OK);
	/* and the old one cannot come back beside it */
	memset(&d, 0, sizeof d);
	assert_int_equal(lb_agg_enroll(f->a, VILLAGE, f->origin, &d), LB_EEXIST);
	assert_non_null(strstr(d.msg, hx2));

	/* the new key continues the village's records; the old key's
	 * replica stays as it was, and it can no longer change anything */
	ingest_all(f, m, VILLAGE);
	c = counts(f, VILLAGE);
	assert_int_equal(c.n, 1);
	assert_counted(&c, 0, VILLAGE, "aspirasi", 13);
	put_asp(f->n, 11, "dari kunci lama");
	changeset(f->n, VILLAGE, 11, 11, &cs);
	assert_int_equal(ingest(f, &cs, &r, &d), LB_EUNKNOWN_ORIGIN);
	assert_int_equal(lb_agg_origin(f->a, f->origin, &o, NULL), LB_OK);
	assert_true(o.revoked);
	assert_int_equal(o.seq, 10);
	assert_int_equal(o.entries, 10);
	lb_node_close(m);
	lb_mp_buf_free(&cs);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_village_log_arrives_once_with_a_valid_receipt, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_gap_says_where_the_aggregator_stands, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_revoked_and_misplaced_keys_are_refused, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(forged_and_garbled_change_sets_change_nothing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_rewritten_history_is_a_fork_with_evidence, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(the_http_api_ingests_and_answers_with_stable_codes, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(counts_per_type_follow_puts_and_deletes, setup, teardown),
		cmocka_unit_test_setup_teardown(a_replica_is_walked_from_any_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(a_signed_entry_that_breaks_the_schema_is_refused, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_garbled_resend_is_refused_but_is_no_fork, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(times_that_do_not_rise_are_refused_like_the_auditor_does,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(peer_bytes_in_a_refusal_are_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(eight_villages_ingest_at_once_into_a_growing_map, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_resend_with_a_lying_root_gets_no_receipt_for_it, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(replays_move_neither_last_seen_nor_the_fork_count, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_village_has_one_active_key_at_a_time, setup, teardown),
	};
	int rc;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
