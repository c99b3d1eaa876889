/*
 * test_agg.c — the aggregator store: a real village node's log goes in as
 * change sets and comes out verified, exactly once; every refusal has its
 * code and leaves the store as it was; a rewritten history is a fork with
 * evidence kept.
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
#include <curl/curl.h>
#include <sodium.h>

#include "../../node/body.h"
#include "../../node/head.h"
#include "../../node/archive.h"
#include "../../node/key.h"
#include "../../node/node.h"
#include "../../sync/agg.h"
#include "../../sync/agg_http.h"
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
static void changeset(struct lb_node *n, const char *village, uint64_t from, uint64_t to,
                      struct lb_mp_buf *out)
{
	struct cs_build b = {out, to, LB_OK};
	struct lb_node_info info;
	uint8_t *head;
	size_t hlen;

	lb_mp_buf_reset(out);
	assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
	assert_int_equal(lb_wire_begin(out, to - from + 1, NULL), LB_OK);
	assert_int_equal(lb_node_log(n, from, add_entry, &b, NULL), LB_OK);
	assert_int_equal(b.e, LB_OK);
	assert_int_equal(lb_node_head(n, to, &head, &hlen, NULL), LB_OK);
	assert_int_equal(lb_wire_end(out, village, info.origin, head, hlen, NULL), LB_OK);
	free(head);
}

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
		cmocka_unit_test_setup_teardown(a_signed_entry_that_breaks_the_schema_is_refused, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_garbled_resend_is_refused_but_is_no_fork, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(times_that_do_not_rise_are_refused_like_the_auditor_does,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(peer_bytes_in_a_refusal_are_escaped, setup, teardown),
	};
	int rc;
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
