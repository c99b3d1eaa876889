/*
 * test_tree.c — enrolment through the tree (agg/tree.h): a kecamatan
 * aggregator's statements applied at the kabupaten, every forgery refused
 * (a signer that is no aggregator here, a revoked one, a village outside
 * its kecamatan, a replayed old n, a gap, a statement re-signed by another
 * key, a batch of two signers or of statements that do not follow each
 * other, a revocation of another kecamatan's key), conflicts refused while n
 * moves on; lb_agg_send_statements against a real server in this process;
 * the route and lag recorded at ingest.
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
#include <sodium.h>

#include "../../agg/agg.h"
#include "../../agg/http.h"
#include "../../agg/tree.h"
#include "../../node/hlc.h"
#include "../../node/key.h"
#include "../../node/node.h"
#include "../../schema/schema.h"
#include "../../sync/push.h"
#include "../../sync/statement.h"
#include "agg_fixture.h"

struct fx {
	char dir[64], kab_dir[96], kec_dir[96], kec2_dir[96], node[96];
	struct lb_agg *kab, *kec, *kec2;
	uint8_t kab_pk[32], kec_pk[32], kec2_pk[32];
	struct lb_key kec_key, other_key;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char path[128];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-tree.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->kab_dir, sizeof f->kab_dir, "%s/kab", f->dir);
	snprintf(f->kec_dir, sizeof f->kec_dir, "%s/kec", f->dir);
	snprintf(f->kec2_dir, sizeof f->kec2_dir, "%s/kec2", f->dir);
	snprintf(f->node, sizeof f->node, "%s/desa", f->dir);
	assert_int_equal(lb_agg_init(f->kab_dir, "33.24", f->kab_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_init(f->kec_dir, "33.24.01", f->kec_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_init(f->kec2_dir, "33.24.02", f->kec2_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->kab, f->kab_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->kec, f->kec_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->kec2, f->kec2_dir, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.24.01", f->kec_pk, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/agg.key", f->kec_dir);
	assert_int_equal(lb_key_load(path, &f->kec_key, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/agg.key", f->kec2_dir);
	assert_int_equal(lb_key_load(path, &f->other_key, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_agg_close(f->kab);
	lb_agg_close(f->kec);
	lb_agg_close(f->kec2);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A batch body {statements: [...], v: 1} of raw statements. */
struct body {
	struct lb_mp_buf items, out;
	uint32_t n;
};

static void body_init(struct body *b)
{
	memset(b, 0, sizeof *b);
	lb_mp_buf_init(&b->items);
	lb_mp_buf_init(&b->out);
}

static void body_add(struct body *b, const uint8_t *s, size_t len)
{
	lb_mp_put_bin(&b->items, s, len);
	b->n++;
}

static int body_cb(void *ctx, uint64_t n, const uint8_t *s, size_t len)
{
	(void)n;
	body_add(ctx, s, len);
	return 0;
}

static void body_end(struct body *b)
{
	lb_mp_buf_reset(&b->out);
	lb_mp_put_map(&b->out, 2);
	lb_mp_put_cstr(&b->out, "statements");
	lb_mp_put_array(&b->out, b->n);
	lb_mp_put_raw(&b->out, b->items.sb.data, b->items.sb.size);
	lb_mp_put_cstr(&b->out, "v");
	lb_mp_put_uint(&b->out, 1);
}

static void body_free(struct body *b)
{
	lb_mp_buf_free(&b->items);
	lb_mp_buf_free(&b->out);
}

/* The statements of a from n = from, as a body. */
static void own(struct lb_agg *a, uint64_t from, struct body *b)
{
	body_init(b);
	assert_int_equal(lb_agg_statements(a, from, 1000, body_cb, b, NULL, NULL), LB_OK);
	body_end(b);
}

/* A statement signed by key naming signer. */
static void forge(struct body *b, const struct lb_key *key, const uint8_t signer[32], uint64_t n,
                  enum lb_stmt_action act, const char *village, const uint8_t origin[32])
{
	struct lb_statement st = {.n = n, .action = act, .time_ms = lb_hlc_wall_ms()};
	uint8_t *s;
	size_t len;

	memcpy(st.signer, signer, 32);
	memcpy(st.village, village, 14);
	memcpy(st.origin, origin, 32);
	assert_int_equal(lb_statement_sign(key, &st, &s, &len, NULL), LB_OK);
	body_add(b, s, len);
	free(s);
}

static lb_err apply(struct fx *f, struct body *b, const uint8_t *expect,
                    struct lb_agg_stmt_result *r, struct lb_diag *d)
{
	memset(d, 0, sizeof *d);
	return lb_agg_apply_statements(f->kab, expect, b->out.sb.data, b->out.sb.size, r, d);
}

/* Is origin enrolled (active) at a for village? */
static bool active(struct lb_agg *a, const uint8_t origin[32], const char *village)
{
	struct lb_agg_origin o;
	if (lb_agg_origin(a, origin, &o, NULL))
		return false;
	return !o.revoked && !strcmp(o.village, village);
}

static bool enrolled(struct lb_agg *a, const uint8_t origin[32])
{
	struct lb_agg_origin o;
	return lb_agg_origin(a, origin, &o, NULL) == LB_OK;
}

static uint64_t applied(struct fx *f)
{
	struct lb_agg_aggregator o;
	assert_int_equal(lb_agg_aggregator(f->kab, f->kec_pk, &o, NULL), LB_OK);
	return o.applied;
}

static void kecamatan_enrolments_travel_up_once(void **state)
{
	struct fx *f = *state;
	uint8_t v1[32], v2[32];
	struct lb_agg_stmt_result r;
	struct lb_agg_route rt;
	struct lb_diag d;
	struct body b;
	uint64_t last;

	randombytes_buf(v1, 32);
	randombytes_buf(v2, 32);
	assert_int_equal(lb_agg_enroll(f->kec, "33.24.01.2001", v1, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->kec, "33.24.01.2002", v2, NULL), LB_OK);
	/* enrolling the active key again changes nothing: no statement */
	assert_int_equal(lb_agg_enroll(f->kec, "33.24.01.2002", v2, NULL), LB_OK);
	assert_int_equal(lb_agg_statements(f->kec, 1, 0, NULL, NULL, &last, NULL), LB_OK);
	assert_int_equal(last, 2);
	assert_false(enrolled(f->kab, v1));
	own(f->kec, 1, &b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_OK);
	assert_int_equal(r.seq, 2);
	assert_int_equal(r.applied, 2);
	assert_int_equal(r.nrefused, 0);
	assert_true(active(f->kab, v1, "33.24.01.2001"));
	assert_true(active(f->kab, v2, "33.24.01.2002"));
	assert_int_equal(lb_agg_route(f->kab, v1, &rt, NULL), LB_OK);
	assert_true(rt.by_agg);
	assert_memory_equal(rt.by_key, f->kec_pk, 32);
	/* the kabupaten signed statements of its own for what changed */
	assert_int_equal(lb_agg_statements(f->kab, 1, 0, NULL, NULL, &last, NULL), LB_OK);
	assert_int_equal(last, 2);
	free(r.refused);
	/* replayed: old n are ignored */
	assert_int_equal(apply(f, &b, NULL, &r, &d), LB_OK);
	assert_int_equal(r.seq, 2);
	assert_int_equal(r.old, 2);
	assert_int_equal(r.applied, 0);
	free(r.refused);
	body_free(&b);
	/* a revocation travels the same way */
	assert_int_equal(lb_agg_revoke(f->kec, v1, NULL), LB_OK);
	own(f->kec, 3, &b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_OK);
	assert_int_equal(r.seq, 3);
	assert_false(active(f->kab, v1, "33.24.01.2001"));
	assert_true(enrolled(f->kab, v1));
	free(r.refused);
	body_free(&b);
	/* an office enrolment at the kabupaten is the office's */
	assert_int_equal(lb_agg_enroll(f->kab, "33.24.01.2001", v1, NULL), LB_OK);
	assert_int_equal(lb_agg_route(f->kab, v1, &rt, NULL), LB_OK);
	assert_false(rt.by_agg);
}

static void forged_statements_change_nothing(void **state)
{
	struct fx *f = *state;
	uint8_t v[32], k3[32];
	struct lb_agg_stmt_result r;
	struct lb_diag d;
	struct body b;

	randombytes_buf(v, 32);
	randombytes_buf(k3, 32);

	/* signed by an aggregator that is not enrolled here */
	assert_int_equal(lb_agg_enroll(f->kec2, "33.24.02.2001", v, NULL), LB_OK);
	own(f->kec2, 1, &b);
	assert_int_equal(apply(f, &b, NULL, &r, &d), LB_EUNKNOWN_ORIGIN);
	assert_non_null(strstr(d.msg, "enroll-aggregator"));
	assert_false(enrolled(f->kab, v));
	free(r.refused);
	body_free(&b);

	/* the kecamatan's key named, another key's signature */
	body_init(&b);
	forge(&b, &f->other_key, f->kec_pk, 1, LB_STMT_ENROL, "33.24.01.2003", v);
	body_end(&b);
	assert_int_equal(apply(f, &b, NULL, &r, &d), LB_ESIG);
	assert_false(enrolled(f->kab, v));
	assert_int_equal(applied(f), 0);
	free(r.refused);
	body_free(&b);

	/* a valid statement of another signer than the header named */
	body_init(&b);
	forge(&b, &f->other_key, f->other_key.pk, 1, LB_STMT_ENROL, "33.24.01.2003", v);
	body_end(&b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_ESIG);
	assert_false(enrolled(f->kab, v));
	free(r.refused);
	body_free(&b);

	/* one batch, two signers: the kecamatan's statement 1, then one signed
	 * by another key naming itself — not applied under the kecamatan's
	 * enrolment */
	{
		uint8_t w[32];
		randombytes_buf(w, 32);
		body_init(&b);
		forge(&b, &f->kec_key, f->kec_pk, 1, LB_STMT_ENROL, "33.24.01.2003", v);
		forge(&b, &f->other_key, f->other_key.pk, 2, LB_STMT_ENROL, "33.24.01.2004", w);
		body_end(&b);
		assert_int_equal(apply(f, &b, NULL, &r, &d), LB_ESIG);
		assert_false(enrolled(f->kab, v));
		assert_false(enrolled(f->kab, w));
		assert_int_equal(applied(f), 0);
		free(r.refused);
		body_free(&b);
	}

	/* a batch whose statements do not follow each other (1, then 3) */
	body_init(&b);
	forge(&b, &f->kec_key, f->kec_pk, 1, LB_STMT_ENROL, "33.24.01.2003", v);
	forge(&b, &f->kec_key, f->kec_pk, 3, LB_STMT_ENROL, "33.24.01.2004", k3);
	body_end(&b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "consecutive"));
	assert_false(enrolled(f->kab, v));
	assert_int_equal(applied(f), 0);
	free(r.refused);
	body_free(&b);

	/* a gap: statement 2 before 1 */
	body_init(&b);
	forge(&b, &f->kec_key, f->kec_pk, 2, LB_STMT_ENROL, "33.24.01.2003", v);
	body_end(&b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_EGAP);
	assert_int_equal(r.seq, 0);
	assert_false(enrolled(f->kab, v));
	free(r.refused);
	body_free(&b);

	/* a village outside the kecamatan (signed with its real key): refused,
	 * n moves on, and the next statement is applied */
	body_init(&b);
	forge(&b, &f->kec_key, f->kec_pk, 1, LB_STMT_ENROL, "33.24.02.2001", v);
	/* a revocation of a key the office enrolled for another kecamatan's
	 * village, named as one of ours */
	assert_int_equal(lb_agg_enroll(f->kab, "33.24.02.2002", k3, NULL), LB_OK);
	forge(&b, &f->kec_key, f->kec_pk, 2, LB_STMT_REVOKE, "33.24.01.2002", k3);
	forge(&b, &f->kec_key, f->kec_pk, 3, LB_STMT_ENROL, "33.24.01.2003", v);
	body_end(&b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_OK);
	assert_int_equal(r.seq, 3);
	assert_int_equal(r.applied, 1);
	assert_int_equal(r.nrefused, 2);
	assert_int_equal(r.refused[0].n, 1);
	assert_int_equal(r.refused[0].code, LB_EWRONG_VILLAGE);
	assert_non_null(strstr(r.refused[0].message, "outside kecamatan 33.24.01"));
	assert_int_equal(r.refused[1].n, 2);
	assert_int_equal(r.refused[1].code, LB_EWRONG_VILLAGE);
	assert_true(active(f->kab, k3, "33.24.02.2002"));
	assert_true(active(f->kab, v, "33.24.01.2003"));
	free(r.refused);
	body_free(&b);

	/* a conflict (the village has another active key) is refused, n moves on */
	{
		uint8_t w[32];
		randombytes_buf(w, 32);
		body_init(&b);
		forge(&b, &f->kec_key, f->kec_pk, 4, LB_STMT_ENROL, "33.24.01.2003", w);
		body_end(&b);
		assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_OK);
		assert_int_equal(r.seq, 4);
		assert_int_equal(r.nrefused, 1);
		assert_int_equal(r.refused[0].code, LB_EEXIST);
		assert_false(enrolled(f->kab, w));
		free(r.refused);
		body_free(&b);
	}

	/* a revoked aggregator's statements are refused */
	assert_int_equal(lb_agg_revoke_aggregator(f->kab, f->kec_pk, NULL), LB_OK);
	body_init(&b);
	forge(&b, &f->kec_key, f->kec_pk, 5, LB_STMT_REVOKE, "33.24.01.2003", v);
	body_end(&b);
	assert_int_equal(apply(f, &b, f->kec_pk, &r, &d), LB_EUNKNOWN_ORIGIN);
	assert_non_null(strstr(d.msg, "revoked"));
	assert_true(active(f->kab, v, "33.24.01.2003"));
	assert_int_equal(applied(f), 4);
	free(r.refused);
	body_free(&b);

	/* garbage bodies */
	{
		static const uint8_t junk[] = {0x82, 0xa1, 'v', 0x01};
		assert_int_equal(lb_agg_apply_statements(f->kab, NULL, junk, sizeof junk, &r, &d),
		                 LB_EMALFORMED);
		free(r.refused);
	}
}

static void aggregator_enrolment_rules(void **state)
{
	struct fx *f = *state;
	uint8_t k[32];
	struct lb_diag d = {0};

	randombytes_buf(k, 32);
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.25.01", k, &d), LB_EINVAL);
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.24", k, &d), LB_EINVAL);
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.24.01.2001", k, &d), LB_EINVAL);
	/* one active aggregator per kecamatan; a key for one kecamatan */
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.24.01", k, &d), LB_EEXIST);
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.24.02", f->kec_pk, &d), LB_EEXIST);
	/* a kecamatan aggregator enrols none */
	assert_int_equal(lb_agg_enroll_aggregator(f->kec, "33.24.01", k, &d), LB_EINVAL);
	assert_int_equal(lb_agg_revoke_aggregator(f->kab, k, &d), LB_EUNKNOWN_ORIGIN);
}

/* send_statements over a real server in this process */
static void statements_are_sent_over_http(void **state)
{
	struct fx *f = *state;
	struct lb_agg_server *srv;
	struct lb_pusher *p, *p2;
	char url[64];
	uint8_t v1[32], v2[32];
	uint64_t sent = 99;
	struct lb_diag d = {0};

	randombytes_buf(v1, 32);
	randombytes_buf(v2, 32);
	assert_int_equal(lb_agg_serve(&srv, f->kab, "127.0.0.1", 0, 2, NULL, NULL), LB_OK);
	snprintf(url, sizeof url, "http://127.0.0.1:%u", lb_agg_server_port(srv));
	assert_int_equal(lb_pusher_new(&p, &(struct lb_push_opts){.url = url}, NULL), LB_OK);
	/* nothing enrolled at the kecamatan: nothing asked, nothing sent */
	assert_int_equal(lb_agg_send_statements(f->kec, p, &sent, &d), LB_OK);
	assert_int_equal(sent, 0);
	assert_int_equal(lb_agg_enroll(f->kec, "33.24.01.2001", v1, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->kec, "33.24.01.2002", v2, NULL), LB_OK);
	assert_int_equal(lb_agg_send_statements(f->kec, p, &sent, &d), LB_OK);
	assert_int_equal(sent, 2);
	assert_true(active(f->kab, v2, "33.24.01.2002"));
	assert_int_equal(lb_agg_send_statements(f->kec, p, &sent, &d), LB_OK);
	assert_int_equal(sent, 0);
	assert_int_equal(lb_agg_revoke(f->kec, v2, NULL), LB_OK);
	assert_int_equal(lb_agg_send_statements(f->kec, p, &sent, &d), LB_OK);
	assert_int_equal(sent, 1);
	assert_false(active(f->kab, v2, "33.24.01.2002"));
	assert_int_equal(applied(f), 3);
	/* an aggregator not enrolled at the kabupaten is told so */
	assert_int_equal(lb_agg_enroll(f->kec2, "33.24.02.2001", v1, NULL), LB_OK);
	assert_int_equal(lb_pusher_new(&p2, &(struct lb_push_opts){.url = url}, NULL), LB_OK);
	assert_int_equal(lb_agg_send_statements(f->kec2, p2, &sent, &d), LB_EUNKNOWN_ORIGIN);
	assert_non_null(strstr(d.msg, "enroll-aggregator"));
	lb_pusher_free(p2);
	lb_pusher_free(p);
	lb_agg_server_stop(srv);
}

static void put_one(struct lb_node *n, int i)
{
	char js[200], id[16];
	snprintf(js, sizeof js, "{\"tanggal\":\"2026-01-%02d\",\"pengusul\":\"Warga %d\","
	         "\"usulan\":\"lampu\",\"status\":\"diusulkan\"}", i % 28 + 1, i);
	snprintf(id, sizeof id, "ASP-%03d", i);
	write_one(n, LB_OP_PUT, "aspirasi", id, js);
}

static void the_route_and_lag_are_recorded_at_ingest(void **state)
{
	struct fx *f = *state;
	struct lb_node *n;
	uint8_t origin[32], stranger[32];
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_agg_route rt;
	uint64_t before;

	randombytes_buf(stranger, 32);
	assert_int_equal(lb_node_init(f->node, "33.24.01.2001", NULL, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&n, f->node, NULL, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->kab, "33.24.01.2001", origin, NULL), LB_OK);
	lb_mp_buf_init(&cs);
	put_one(n, 1);
	before = lb_hlc_wall_ms();
	node_changeset(n, "33.24.01.2001", 1, 1, &cs);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_false(rt.known);
	/* relayed by the kecamatan enrolled for the village */
	assert_int_equal(lb_agg_ingest_via(f->kab, cs.sb.data, cs.sb.size, f->kec_pk, &r, NULL),
	                 LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_true(rt.known);
	assert_true(rt.via);
	assert_memory_equal(rt.via_key, f->kec_pk, 32);
	assert_true(rt.received_ms >= before);
	assert_true(rt.head_ms <= rt.received_ms);
	assert_true(rt.received_ms - rt.head_ms < 60000);
	/* the same again brings nothing new: the route stays */
	assert_int_equal(lb_agg_ingest_via(f->kab, cs.sb.data, cs.sb.size, stranger, &r, NULL),
	                 LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_true(rt.via);
	/* a key that is no aggregator here: shown as direct */
	put_one(n, 2);
	node_changeset(n, "33.24.01.2001", 2, 2, &cs);
	assert_int_equal(lb_agg_ingest_via(f->kab, cs.sb.data, cs.sb.size, stranger, &r, NULL),
	                 LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_true(rt.known);
	assert_false(rt.via);
	/* an aggregator of another kecamatan: direct too */
	assert_int_equal(lb_agg_enroll_aggregator(f->kab, "33.24.02", f->kec2_pk, NULL), LB_OK);
	put_one(n, 3);
	node_changeset(n, "33.24.01.2001", 3, 3, &cs);
	assert_int_equal(lb_agg_ingest_via(f->kab, cs.sb.data, cs.sb.size, f->kec2_pk, &r, NULL),
	                 LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_false(rt.via);
	/* plain ingest (a USB stick): direct */
	put_one(n, 4);
	node_changeset(n, "33.24.01.2001", 4, 4, &cs);
	assert_int_equal(lb_agg_ingest_via(f->kab, cs.sb.data, cs.sb.size, f->kec_pk, &r, NULL),
	                 LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_true(rt.via);
	put_one(n, 5);
	node_changeset(n, "33.24.01.2001", 5, 5, &cs);
	assert_int_equal(lb_agg_ingest(f->kab, cs.sb.data, cs.sb.size, &r, NULL), LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_false(rt.via);
	/* the village's own kecamatan, once revoked here: direct */
	assert_int_equal(lb_agg_revoke_aggregator(f->kab, f->kec_pk, NULL), LB_OK);
	put_one(n, 6);
	node_changeset(n, "33.24.01.2001", 6, 6, &cs);
	assert_int_equal(lb_agg_ingest_via(f->kab, cs.sb.data, cs.sb.size, f->kec_pk, &r, NULL),
	                 LB_OK);
	free(r.receipt);
	assert_int_equal(lb_agg_route(f->kab, origin, &rt, NULL), LB_OK);
	assert_true(rt.known);
	assert_false(rt.via);
	lb_mp_buf_free(&cs);
	lb_node_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kecamatan_enrolments_travel_up_once, setup, teardown),
		cmocka_unit_test_setup_teardown(forged_statements_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(aggregator_enrolment_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(statements_are_sent_over_http, setup, teardown),
		cmocka_unit_test_setup_teardown(the_route_and_lag_are_recorded_at_ingest, setup,
		                                teardown),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
