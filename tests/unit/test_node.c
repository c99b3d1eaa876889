/*
 * test_node.c — the node store through its API: writes, reads, deletes,
 * all-or-nothing transactions, skip-unchanged, map growth and verify.
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

#include "../../node/body.h"
#include "../../node/node.h"
#include "../../schema/schema.h"

struct fx {
	char dir[64];
	struct lb_node *n;
	struct lb_mp_buf body;
};

static int rm_rf(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static int setup_small(void **state, size_t map_size)
{
	struct fx *f = calloc(1, sizeof *f);
	struct lb_node_opts o = {.map_size = map_size};
	uint8_t origin[LB_PK_BYTES];
	char node[80];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-node.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(node, sizeof node, "%s/n", f->dir);
	assert_int_equal(lb_node_init(node, "33.24.01.2001", "Desa Uji", origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, node, &o, NULL), LB_OK);
	lb_mp_buf_init(&f->body);
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_small(state, 0); }
static int setup_tiny_map(void **state) { return setup_small(state, 64 * 1024); }

static int teardown(void **state)
{
	struct fx *f = *state;
	lb_node_close(f->n);
	lb_mp_buf_free(&f->body);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* A canonical body from a JSON text; valid until the next call. */
static struct lb_change put(struct fx *f, const char *type, const char *id, const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	assert_non_null(j);
	lb_mp_buf_reset(&f->body);
	assert_int_equal(lb_body_from_json(&f->body, j, NULL), LB_OK);
	json_decref(j);
	return (struct lb_change){.op = LB_OP_PUT, .type = type, .id = id, .id_len = strlen(id),
	                          .body = (const uint8_t *)f->body.sb.data,
	                          .body_len = f->body.sb.size};
}

static void assert_verifies(struct fx *f)
{
	struct lb_diag d = {0};
	struct lb_verify_report r;
	lb_err e = lb_node_verify(f->n, &r, &d);
	if (e)
		fail_msg("verify failed: %s", d.msg);
}

static void put_then_get_returns_the_same_bytes(void **state)
{
	struct fx *f = *state;
	struct lb_change c = put(f, "penduduk", "3324014501900001",
	                         "{\"nik\":\"3324014501900001\",\"no_kk\":\"3324010101900001\",\"nama\":\"Siti\",\"tanggal_lahir\":\"1990-01-05\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\",\"rt\":\"001\"}");
	struct lb_commit cm;
	uint8_t *b;
	size_t len;
	uint64_t seq;

	assert_int_equal(lb_node_write(f->n, &c, 1, 0, &cm, NULL), LB_OK);
	assert_int_equal(cm.first_seq, 1);
	assert_int_equal(cm.last_seq, 1);
	assert_int_equal(lb_node_get(f->n, "penduduk", "3324014501900001", 16, &b, &len, &seq, NULL),
	                 LB_OK);
	assert_int_equal(seq, 1);
	assert_int_equal(len, c.body_len);
	assert_memory_equal(b, c.body, len);
	free(b);
	assert_verifies(f);
}

static void delete_hides_the_record_and_keeps_history(void **state)
{
	struct fx *f = *state;
	struct lb_change c = put(f, "penduduk", "3324014501900001",
	                         "{\"nik\":\"3324014501900001\",\"no_kk\":\"3324010101900001\",\"nama\":\"Siti\",\"tanggal_lahir\":\"1990-01-05\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}");
	struct lb_change del = {.op = LB_OP_DEL, .type = "keluarga", .id = "3324010101900001",
	                        .id_len = 16};
	struct lb_node_info info;
	struct lb_diag d = {0};
	uint8_t *b;
	size_t len;

	/* the head first: a keluarga's kepala_keluarga must be a live resident */
	assert_int_equal(lb_node_write(f->n, &c, 1, 0, NULL, NULL), LB_OK);
	c = put(f, "keluarga", "3324010101900001",
	        "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"3324014501900001\",\"desil\":3}");
	assert_int_equal(lb_node_write(f->n, &c, 1, 0, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_write(f->n, &del, 1, 0, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_get(f->n, "keluarga", "3324010101900001", 16, &b, &len, NULL, &d), LB_ENOTFOUND);
	assert_non_null(strstr(d.msg, "deleted"));
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(info.seq, 3);
	assert_int_equal(info.records, 1);
	/* deleting again is refused, and writes nothing */
	assert_int_equal(lb_node_write(f->n, &del, 1, 0, NULL, &d), LB_ENOTFOUND);
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(info.seq, 3);
	assert_verifies(f);
}

static void a_bad_op_writes_nothing_of_its_transaction(void **state)
{
	struct fx *f = *state;
	struct lb_change ops[3];
	struct lb_commit cm;
	struct lb_node_info info;
	struct lb_diag d = {0};
	static const uint8_t unsorted[] = {0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x02};

	ops[0] = put(f, "aspirasi", "A", "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu jalan\",\"status\":\"diusulkan\"}");
	ops[1] = ops[0];
	ops[1].id = "B";
	ops[2] = ops[0];
	ops[2].id = "C";
	ops[2].body = unsorted;
	ops[2].body_len = sizeof unsorted;
	assert_int_equal(lb_node_write(f->n, ops, 3, 0, &cm, &d), LB_EMALFORMED);
	assert_int_equal(cm.failed_op, 2);
	assert_non_null(strstr(d.msg, "aspirasi C"));
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(info.seq, 0);

	/* a del of a missing record in the middle: same */
	ops[1] = (struct lb_change){.op = LB_OP_DEL, .type = "aspirasi", .id = "zz", .id_len = 2};
	assert_int_equal(lb_node_write(f->n, ops, 2, 0, &cm, &d), LB_ENOTFOUND);
	assert_int_equal(cm.failed_op, 1);
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(info.seq, 0);
}

static void skip_unchanged_writes_no_entry_for_an_identical_put(void **state)
{
	struct fx *f = *state;
	struct lb_change c = put(f, "program", "PRG-1",
	                         "{\"kode\":\"PRG-1\",\"nama\":\"Posyandu\",\"bidang\":\"kesehatan\",\"anggaran\":5000000,\"tahun\":2026}");
	struct lb_commit cm;

	assert_int_equal(lb_node_write(f->n, &c, 1, LB_WRITE_SKIP_UNCHANGED, &cm, NULL), LB_OK);
	assert_int_equal(cm.written, 1);
	assert_int_equal(lb_node_write(f->n, &c, 1, LB_WRITE_SKIP_UNCHANGED, &cm, NULL), LB_OK);
	assert_int_equal(cm.written, 0);
	assert_int_equal(cm.unchanged, 1);
	c = put(f, "program", "PRG-1",
	        "{\"kode\":\"PRG-1\",\"nama\":\"Posyandu\",\"bidang\":\"kesehatan\",\"anggaran\":6000000,\"tahun\":2026}");
	assert_int_equal(lb_node_write(f->n, &c, 1, LB_WRITE_SKIP_UNCHANGED, &cm, NULL), LB_OK);
	assert_int_equal(cm.written, 1);
	assert_int_equal(cm.last_seq, 2);
	assert_verifies(f);
}

static void same_key_twice_in_one_transaction_keeps_the_last(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf b2;
	struct lb_change ops[2];
	uint8_t *b;
	size_t len;
	uint64_t seq;

	ops[0] = put(f, "aspirasi", "ASP-1", "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu jalan\",\"status\":\"diusulkan\"}");
	lb_mp_buf_init(&b2);
	lb_mp_put_raw(&b2, f->body.sb.data, f->body.sb.size);
	ops[0].body = (const uint8_t *)b2.sb.data;
	ops[1] = put(f, "aspirasi", "ASP-1",
	             "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu jalan\",\"status\":\"ditampung\"}");
	assert_int_equal(lb_node_write(f->n, ops, 2, 0, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_get(f->n, "aspirasi", "ASP-1", 5, &b, &len, &seq, NULL), LB_OK);
	assert_int_equal(seq, 2);
	assert_memory_equal(b, ops[1].body, len);
	free(b);
	lb_mp_buf_free(&b2);
	assert_verifies(f);
}

static int count_cb(void *ctx, const char *id, size_t len)
{
	(void)id;
	(void)len;
	++*(int *)ctx;
	return 0;
}

/* The map starts at 64 KiB; 5,000 records need several doublings. */
static void a_full_map_grows_instead_of_failing(void **state)
{
	struct fx *f = *state;
	enum { N = 5000, BATCH = 500 };
	struct lb_change *ops = calloc(BATCH, sizeof *ops);
	char (*ids)[16] = calloc(BATCH, sizeof *ids);
	struct lb_node_info info;
	struct lb_diag d = {0};
	int live = 0;

	put(f, "aspirasi", "x",
	    "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Kelompok Tani\",\"usulan\":\"Nama yang cukup panjang untuk mengisi halaman\",\"status\":\"diusulkan\"}");
	for (int t = 0; t < N / BATCH; t++) {
		for (int i = 0; i < BATCH; i++) {
			snprintf(ids[i], sizeof ids[i], "P%06d", t * BATCH + i);
			ops[i] = (struct lb_change){.op = LB_OP_PUT, .type = "aspirasi", .id = ids[i],
			                            .id_len = strlen(ids[i]),
			                            .body = (const uint8_t *)f->body.sb.data,
			                            .body_len = f->body.sb.size};
		}
		if (lb_node_write(f->n, ops, BATCH, 0, NULL, &d) != LB_OK)
			fail_msg("write %d failed: %s", t, d.msg);
	}
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(info.seq, N);
	assert_int_equal(lb_node_ls(f->n, "aspirasi", count_cb, &live, NULL), LB_OK);
	assert_int_equal(live, N);
	assert_verifies(f);
	{
		/* the data really outgrew the initial 64 KiB map */
		char path[96];
		FILE *fp;
		snprintf(path, sizeof path, "%s/n/data.mdb", f->dir);
		assert_non_null(fp = fopen(path, "rb"));
		fseek(fp, 0, SEEK_END);
		assert_true(ftell(fp) > 4 * 64 * 1024);
		fclose(fp);
	}
	free(ops);
	free(ids);
}

static void a_read_only_node_refuses_writes(void **state)
{
	struct fx *f = *state;
	struct lb_node_opts o = {.read_only = true};
	struct lb_node *ro;
	char node[80];
	struct lb_change c = put(f, "aspirasi", "A", "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu jalan\",\"status\":\"diusulkan\"}");

	lb_node_close(f->n);
	snprintf(node, sizeof node, "%s/n", f->dir);
	assert_int_equal(lb_node_open(&ro, node, &o, NULL), LB_OK);
	assert_int_equal(lb_node_write(ro, &c, 1, 0, NULL, NULL), LB_EINVAL);
	f->n = ro;
}

static void init_refuses_bad_codes_and_existing_nodes(void **state)
{
	struct fx *f = *state;
	uint8_t origin[LB_PK_BYTES];
	char node[80];
	struct lb_diag d = {0};

	snprintf(node, sizeof node, "%s/other", f->dir);
	assert_int_equal(lb_node_init(node, "33.24.01", NULL, origin, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "desa code"));
	snprintf(node, sizeof node, "%s/n", f->dir);
	assert_int_equal(lb_node_init(node, "33.24.01.2001", NULL, origin, &d), LB_EEXIST);
}

static void open_of_a_missing_node_says_how_to_create_one(void **state)
{
	struct fx *f = *state;
	struct lb_node *n;
	struct lb_diag d = {0};
	char node[80];

	snprintf(node, sizeof node, "%s/nothing", f->dir);
	assert_int_equal(lb_node_open(&n, node, NULL, &d), LB_ENOTFOUND);
	assert_null(n);
	assert_non_null(strstr(d.msg, "lumbung init"));
}

static void a_schema_violation_writes_nothing_and_names_the_field(void **state)
{
	struct fx *f = *state;
	struct lb_change ops[2];
	struct lb_mp_buf b2;
	struct lb_commit cm;
	struct lb_node_info info;
	struct lb_diag d = {0};

	ops[0] = put(f, "aspirasi", "ASP-1",
	             "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu\",\"status\":\"diusulkan\"}");
	lb_mp_buf_init(&b2);
	lb_mp_put_raw(&b2, f->body.sb.data, f->body.sb.size);
	ops[0].body = (const uint8_t *)b2.sb.data;
	ops[1] = put(f, "aspirasi", "ASP-2",
	             "{\"tanggal\":\"2026-02-30\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu\",\"status\":\"diusulkan\"}");
	assert_int_equal(lb_node_write(f->n, ops, 2, 0, &cm, &d), LB_ESCHEMA);
	assert_int_equal(cm.failed_op, 1);
	assert_non_null(strstr(d.msg, "aspirasi ASP-2: tanggal \"2026-02-30\" is not a date"));
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	assert_int_equal(info.seq, 0);
	lb_mp_buf_free(&b2);
}

/* A beneficiary may name a programme written earlier in the same
 * transaction; one naming a programme that does not exist is refused. */
static void a_reference_resolves_inside_the_transaction(void **state)
{
	struct fx *f = *state;
	struct lb_change ops[2];
	struct lb_mp_buf b2;
	struct lb_diag d = {0};
	static const char *pnr = "{\"program\":\"PRG-9\",\"nik\":\"3324014501900001\","
	                         "\"tanggal\":\"2026-03-01\",\"bentuk\":\"uang\",\"status\":\"diusulkan\"}";

	ops[0] = put(f, "penerima", "PNR-1", pnr);
	assert_int_equal(lb_node_write(f->n, ops, 1, 0, NULL, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "no such program record"));

	ops[0] = put(f, "program", "PRG-9",
	             "{\"kode\":\"PRG-9\",\"nama\":\"Beasiswa\",\"bidang\":\"pendidikan\",\"anggaran\":1000000,\"tahun\":2026}");
	lb_mp_buf_init(&b2);
	lb_mp_put_raw(&b2, f->body.sb.data, f->body.sb.size);
	ops[0].body = (const uint8_t *)b2.sb.data;
	ops[1] = put(f, "penerima", "PNR-1", pnr);
	if (lb_node_write(f->n, ops, 2, 0, NULL, &d) != LB_OK)
		fail_msg("programme and beneficiary in one transaction refused: %s", d.msg);
	lb_mp_buf_free(&b2);

	/* the programme is deleted with its beneficiary (a del alone is
	 * refused while PNR-1 refers to it: test_consistency.c); a new
	 * beneficiary of it is refused.  (A beneficiary of a programme deleted
	 * in older history can still be updated: test_consistency.c.) */
	ops[0] = (struct lb_change){.op = LB_OP_DEL, .type = "program", .id = "PRG-9", .id_len = 5};
	assert_int_equal(lb_node_write(f->n, ops, 1, LB_WRITE_CASCADE, NULL, NULL), LB_OK);
	ops[0] = put(f, "penerima", "PNR-2", pnr);
	assert_int_equal(lb_node_write(f->n, ops, 1, 0, NULL, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "no such program record"));
	assert_verifies(f);
}

static int schema_cb(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                     const uint8_t *raw, size_t raw_len)
{
	(void)hash;
	(void)raw;
	(void)raw_len;
	*(uint32_t *)ctx = e->schema;
	return 0;
}

static void entries_record_the_schema_version_they_were_checked_under(void **state)
{
	struct fx *f = *state;
	struct lb_change c = put(f, "aspirasi", "A",
	                         "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Pak RT\",\"usulan\":\"Jalan\",\"status\":\"diusulkan\"}");
	uint32_t v = 0;

	assert_int_equal(lb_node_write(f->n, &c, 1, 0, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_log(f->n, 1, schema_cb, &v, NULL), LB_OK);
	assert_int_equal(v, lb_schema_latest());
	assert_true(v >= 1);
}

/* A long transaction gets a signed head every LB_HEAD_EVERY entries, so a
 * big import can be sent upstream in pieces that each end at a head. */
static void a_long_transaction_is_signed_every_head_every_entries(void **state)
{
	struct fx *f = *state;
	enum { N = 2 * LB_HEAD_EVERY + 5 };
	struct lb_change *ops = calloc(N, sizeof *ops);
	char (*ids)[16] = calloc(N, sizeof *ids);
	struct lb_verify_report r;
	uint8_t *h;
	size_t hl;

	put(f, "aspirasi", "x",
	    "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Pak RT\",\"usulan\":\"Jalan\",\"status\":\"diusulkan\"}");
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "A%06d", i);
		ops[i] = (struct lb_change){.op = LB_OP_PUT, .type = "aspirasi", .id = ids[i],
		                            .id_len = strlen(ids[i]),
		                            .body = (const uint8_t *)f->body.sb.data,
		                            .body_len = f->body.sb.size};
	}
	assert_int_equal(lb_node_write(f->n, ops, N, 0, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_verify(f->n, &r, NULL), LB_OK);
	assert_int_equal(r.heads, 3);
	assert_int_equal(lb_node_head(f->n, LB_HEAD_EVERY, &h, &hl, NULL), LB_OK);
	free(h);
	assert_int_equal(lb_node_head(f->n, 2 * LB_HEAD_EVERY, &h, &hl, NULL), LB_OK);
	free(h);
	assert_int_equal(lb_node_head(f->n, N, &h, &hl, NULL), LB_OK);
	free(h);
	assert_int_equal(lb_node_head(f->n, N - 1, &h, &hl, NULL), LB_ENOTFOUND);
	free(ops);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_then_get_returns_the_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(delete_hides_the_record_and_keeps_history, setup, teardown),
		cmocka_unit_test_setup_teardown(a_bad_op_writes_nothing_of_its_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(skip_unchanged_writes_no_entry_for_an_identical_put, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(same_key_twice_in_one_transaction_keeps_the_last, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_full_map_grows_instead_of_failing, setup_tiny_map,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_read_only_node_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(init_refuses_bad_codes_and_existing_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(open_of_a_missing_node_says_how_to_create_one, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_schema_violation_writes_nothing_and_names_the_field,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_reference_resolves_inside_the_transaction, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(entries_record_the_schema_version_they_were_checked_under,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(a_long_transaction_is_signed_every_head_every_entries,
		                                setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
