/*
 * test_moves.c — agg/moves.h: real village nodes push to a real
 * aggregator; a resident marked pindah to another village of the region
 * becomes an offer to it (pointing at the very entry the village signed),
 * withdrawn when the village takes it back, taken when the destination's
 * resident names it; a move out of the region, to the village itself or
 * made by a version 1 entry makes none.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>
#include <sodium.h>

#include "../../agg/agg.h"
#include "../../agg/moves.h"
#include "../../agg/store_int.h"
#include "../../node/entry.h"
#include "../../node/node.h"
#include "../../schema/schema.h"
#include "agg_fixture.h"

#define A "33.24.01.2001"
#define B "33.24.02.2002"
#define C "33.24.02.2003"
#define NIK "3324014101900001" /* a woman born 01-01-1990, as the record says */

struct village {
	const char *code;
	char dir[96];
	struct lb_node *n;
	uint8_t origin[LB_PK_BYTES];
	uint64_t pushed;
};

struct fx {
	char dir[64], agg_dir[96];
	struct lb_agg *a;
	struct village v[3]; /* A, B, C */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t pk[LB_PK_BYTES];
	const char *codes[3] = {A, B, C};
	char base[64];

	assert_int_equal(lb_schema_builtin_init(NULL), LB_OK);
	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-moves.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memcpy(base, f->dir, sizeof base); /* not f itself: snprintf may not read what it writes */
	snprintf(f->agg_dir, sizeof f->agg_dir, "%s/kab", f->dir);
	assert_int_equal(lb_agg_init(f->agg_dir, "33.24", pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->a, f->agg_dir, NULL), LB_OK);
	for (int i = 0; i < 3; i++) {
		struct village *v = &f->v[i];
		v->code = codes[i];
		snprintf(v->dir, sizeof v->dir, "%s/desa%d", base, i);
		assert_int_equal(lb_node_init(v->dir, v->code, NULL, v->origin, NULL), LB_OK);
		assert_int_equal(lb_node_open(&v->n, v->dir, NULL, NULL), LB_OK);
		assert_int_equal(lb_agg_enroll(f->a, v->code, v->origin, NULL), LB_OK);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	for (int i = 0; i < 3; i++)
		lb_node_close(f->v[i].n);
	lb_agg_close(f->a);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* What the village has written since its last push goes to the aggregator. */
static void push(struct fx *f, struct village *v)
{
	struct lb_mp_buf cs;
	struct lb_agg_result r;
	struct lb_node_info info;
	struct lb_diag d = {0};

	lb_mp_buf_init(&cs);
	assert_int_equal(lb_node_info(v->n, &info, NULL), LB_OK);
	assert_true(info.seq > v->pushed);
	node_changeset(v->n, v->code, v->pushed + 1, info.seq, &cs);
	if (lb_agg_ingest(f->a, cs.sb.data, cs.sb.size, &r, &d))
		fail_msg("ingest of %s: %s", v->code, d.msg);
	free(r.receipt);
	v->pushed = info.seq;
	lb_mp_buf_free(&cs);
}

/* A resident of the village, with extra fields (",\"k\":v" or ""). */
static void resident(struct village *v, const char *nik, const char *status, const char *extra)
{
	char js[512];

	snprintf(js, sizeof js,
	         "{\"nik\":\"%s\",\"no_kk\":\"3324010101900099\",\"nama\":\"Siti Aminah\","
	         "\"tanggal_lahir\":\"1990-01-01\",\"jenis_kelamin\":\"P\",\"status\":\"%s\"%s}",
	         nik, status, extra);
	write_one(v->n, LB_OP_PUT, "penduduk", nik, js);
}

/* The node's tip and the hash and stored bytes of its entry there: what the
 * offer must point at, read from the village, not the aggregator. */
struct tip {
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	uint8_t raw[4096];
	size_t len;
};

static int tip_cb(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                  const uint8_t *raw, size_t len)
{
	struct tip *t = ctx;
	assert_true(len <= sizeof t->raw);
	t->seq = e->seq;
	memcpy(t->hash, hash, LB_HASH_BYTES);
	memcpy(t->raw, raw, len);
	t->len = len;
	return 0;
}

static void node_tip(struct village *v, struct tip *t)
{
	memset(t, 0, sizeof *t);
	assert_int_equal(lb_node_log(v->n, 1, tip_cb, t, NULL), LB_OK);
}

/* The offers held (open_only or all), up to 8. */
struct list {
	size_t n;
	struct lb_agg_move m[8];
	uint8_t entry[8][4096];
	size_t len[8];
};

static int list_cb(void *ctx, const struct lb_agg_move *m, const uint8_t *entry, size_t len)
{
	struct list *l = ctx;
	assert_true(l->n < 8);
	l->m[l->n] = *m;
	assert_non_null(entry);
	assert_true(len <= sizeof l->entry[0]);
	memcpy(l->entry[l->n], entry, len);
	l->len[l->n++] = len;
	return 0;
}

static struct list offers(struct fx *f, const char *to, bool open_only)
{
	struct list l = {0};
	struct lb_diag d = {0};
	if (lb_agg_moves(f->a, to, open_only, list_cb, &l, &d))
		fail_msg("listing the moves: %s", d.msg);
	return l;
}

static void a_move_is_offered_once_and_taken(void **state)
{
	struct fx *f = *state;
	struct village *a = &f->v[0], *b = &f->v[1];
	struct tip t;
	struct list l;
	char extra[256], hx[2 * LB_HASH_BYTES + 1];

	resident(a, NIK, "hidup", "");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);

	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" B "\",\"tanggal_pindah\":\"2026-03-02\"");
	node_tip(a, &t);
	push(f, a);
	l = offers(f, B, true);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.m[0].to, B);
	assert_string_equal(l.m[0].nik, NIK);
	assert_string_equal(l.m[0].from, A);
	assert_memory_equal(l.m[0].origin, a->origin, LB_PK_BYTES);
	assert_int_equal(l.m[0].seq, t.seq);
	assert_memory_equal(l.m[0].hash, t.hash, LB_HASH_BYTES);
	assert_int_equal(l.len[0], t.len);
	assert_memory_equal(l.entry[0], t.raw, t.len);
	assert_int_equal(l.m[0].state, LB_MOVE_OPEN);
	/* offered to B only */
	assert_int_equal(offers(f, A, false).n, 0);
	assert_int_equal(offers(f, C, false).n, 0);

	/* a resend changes nothing; a correction of the departure keeps the offer */
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" B "\",\"tanggal_pindah\":\"2026-03-03\"");
	push(f, a);
	l = offers(f, NULL, false);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.m[0].seq, t.seq);

	/* B's resident naming another seq, or another hash, does not take it */
	lb_hex(hx, t.hash, LB_HASH_BYTES);
	snprintf(extra, sizeof extra, ",\"datang_dari\":\"" A "\",\"datang_seq\":%llu",
	         (unsigned long long)t.seq + 1);
	resident(b, NIK, "hidup", extra);
	push(f, b);
	assert_int_equal(offers(f, B, true).n, 1);
	hx[0] = hx[0] == '0' ? '1' : '0';
	snprintf(extra, sizeof extra,
	         ",\"datang_dari\":\"" A "\",\"datang_seq\":%llu,\"datang_hash\":\"%s\"",
	         (unsigned long long)t.seq, hx);
	resident(b, NIK, "hidup", extra);
	push(f, b);
	assert_int_equal(offers(f, B, true).n, 1);
	/* ... nor does one naming another village */
	snprintf(extra, sizeof extra, ",\"datang_dari\":\"" C "\",\"datang_seq\":%llu",
	         (unsigned long long)t.seq);
	resident(b, NIK, "hidup", extra);
	push(f, b);
	assert_int_equal(offers(f, B, true).n, 1);

	/* the right reference takes it: no longer open, kept as taken */
	lb_hex(hx, t.hash, LB_HASH_BYTES);
	snprintf(extra, sizeof extra,
	         ",\"datang_dari\":\"" A "\",\"datang_seq\":%llu,\"datang_hash\":\"%s\"",
	         (unsigned long long)t.seq, hx);
	resident(b, NIK, "hidup", extra);
	push(f, b);
	assert_int_equal(offers(f, B, true).n, 0);
	l = offers(f, B, false);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.m[0].state, LB_MOVE_TAKEN);
	assert_int_equal(l.m[0].seq, t.seq);

	/* A deleting its old record afterwards leaves the taken offer alone */
	write_one(a->n, LB_OP_DEL, "penduduk", NIK, NULL);
	push(f, a);
	l = offers(f, B, false);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.m[0].state, LB_MOVE_TAKEN);
}

static void a_move_taken_back_is_withdrawn(void **state)
{
	struct fx *f = *state;
	struct village *a = &f->v[0];
	struct list l;

	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" B "\"");
	push(f, a);
	assert_int_equal(offers(f, B, true).n, 1);
	/* back to hidup: withdrawn */
	resident(a, NIK, "hidup", "");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);

	/* to B, then to C instead: offered to C only */
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" B "\"");
	push(f, a);
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" C "\"");
	push(f, a);
	l = offers(f, NULL, false);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.m[0].to, C);

	/* deleted: withdrawn */
	write_one(a->n, LB_OP_DEL, "penduduk", NIK, NULL);
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);

	/* pindah to B and back inside one change set: nothing offered */
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" B "\"");
	resident(a, NIK, "hidup", "");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);

	/* a record that is not pindah (any more) naming pindah_ke offers nothing */
	resident(a, NIK, "meninggal", ",\"pindah_ke\":\"" B "\"");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);
}

static void a_move_out_of_the_region_is_no_offer(void **state)
{
	struct fx *f = *state;
	struct village *a = &f->v[0];

	resident(a, NIK, "pindah", ",\"pindah_ke\":\"35.01.01.2001\"");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);
	/* to itself, to a kecamatan of the region: none either */
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" A "\"");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"33.24.02\"");
	push(f, a);
	assert_int_equal(offers(f, NULL, false).n, 0);
	/* a village of the region that is not enrolled is still offered to */
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"33.24.09.2009\"");
	push(f, a);
	assert_int_equal(offers(f, "33.24.09.2009", true).n, 1);
}

static void a_resident_arriving_before_the_departure_takes_it_at_once(void **state)
{
	struct fx *f = *state;
	struct village *a = &f->v[0], *b = &f->v[1];
	struct tip t;
	char extra[256];
	struct list l;

	/* a relay may deliver B's push before A's */
	resident(a, NIK, "pindah", ",\"pindah_ke\":\"" B "\"");
	node_tip(a, &t);
	snprintf(extra, sizeof extra, ",\"datang_dari\":\"" A "\",\"datang_seq\":%llu",
	         (unsigned long long)t.seq);
	resident(b, NIK, "hidup", extra);
	push(f, b);
	push(f, a);
	assert_int_equal(offers(f, B, true).n, 0);
	l = offers(f, B, false);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.m[0].state, LB_MOVE_TAKEN);
}

/* A version 1 entry never makes an offer, whatever its body says: fed to
 * the hook directly (a v1 entry naming pindah_ke would not pass ingest's
 * schema check). */
static void a_version_1_entry_never_makes_one(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf body, ent;
	struct lb_entry e = {.seq = 1, .ts = 1, .op = LB_OP_PUT, .type = "penduduk", .type_len = 8,
	                     .id = NIK, .id_len = 16};
	json_t *j = json_loads("{\"nik\":\"" NIK "\",\"status\":\"pindah\",\"pindah_ke\":\"" B "\"}",
	                       0, NULL);
	uint8_t origin[LB_PK_BYTES] = {7}, rk[RKEY_LEN];
	uint8_t vk[LB_VILLAGE_LEN + 10 + 16];
	MDB_val vkey = {sizeof vk, vk}, ref = {RKEY_LEN, rk}, val;
	MDB_txn *txn;

	lb_mp_buf_init(&body);
	lb_mp_buf_init(&ent);
	assert_int_equal(lb_body_from_json(&body, j, NULL), LB_OK);
	json_decref(j);
	e.body = (const uint8_t *)body.sb.data;
	e.body_len = body.sb.size;
	memcpy(vk, A "\0penduduk\0" NIK, sizeof vk);
	for (uint32_t schema = 1; schema <= 2; schema++) {
		e.schema = schema;
		e.seq = schema;
		lb_mp_buf_reset(&ent);
		assert_int_equal(lb_entry_encode(&ent, &e), LB_OK);
		agg_rkey(rk, origin, e.seq);
		val = (MDB_val){ent.sb.size, ent.sb.data};
		assert_int_equal(agg_txn_begin(f->a, 0, &txn), 0);
		assert_int_equal(mdb_put(txn, f->a->replica, &ref, &val, 0), 0);
		assert_int_equal(agg_moves_change(f->a, txn, &vkey, &ref), 0);
		assert_int_equal(agg_txn_commit(f->a, txn), 0);
		/* version 1: none; the same body under version 2: one */
		assert_int_equal(offers(f, B, true).n, schema == 1 ? 0 : 1);
	}
	lb_mp_buf_free(&body);
	lb_mp_buf_free(&ent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_move_is_offered_once_and_taken, setup, teardown),
		cmocka_unit_test_setup_teardown(a_move_taken_back_is_withdrawn, setup, teardown),
		cmocka_unit_test_setup_teardown(a_move_out_of_the_region_is_no_offer, setup, teardown),
		cmocka_unit_test_setup_teardown(a_resident_arriving_before_the_departure_takes_it_at_once,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_version_1_entry_never_makes_one, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
