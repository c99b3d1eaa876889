/*
 * test_catalogue.c — the village's catalogue copies (node/catalogue.h):
 * a kabupaten's catalogue log taken whole and as a tail; a penerima of a
 * catalogue programme accepted, a village program redefining one refused;
 * and refusals that keep the last good copy: another key, an older copy
 * after a newer one, a gap, a fork; a refused first copy leaves nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/adopt.h"
#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/catalogue.h"
#include "../../node/node.h"
#include "../../schema/schema.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"
#define KAB "33.24"

struct fx {
	char dir[64];
	char v_dir[96], k_dir[96], k2_dir[96];
	struct lb_node *v, *k; /* the village, the kabupaten's catalogue */
	struct lb_key key;     /* the kabupaten's key */
};

static const char *prog_js(int i, char *js, size_t n)
{
	snprintf(js, n, "{\"kode\":\"KAB-%d\",\"nama\":\"Program %d\",\"bidang\":\"sosial\","
	         "\"anggaran\":1000000,\"tahun\":2026}", i, i);
	return js;
}

static void put_prog(struct lb_node *n, int i)
{
	char js[256], id[16];

	snprintf(id, sizeof id, "KAB-%d", i);
	write_one(n, LB_OP_PUT, "program", id, prog_js(i, js, sizeof js));
}

/* A write that must fail: its error, the message in d. */
static lb_err try_put(struct lb_node *n, const char *type, const char *id, const char *js,
                      struct lb_diag *d)
{
	struct lb_mp_buf b;
	struct lb_change c = {.op = LB_OP_PUT, .type = type, .id = id, .id_len = strlen(id)};
	json_t *j = json_loads(js, 0, NULL);
	lb_err e;

	assert_non_null(j);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	json_decref(j);
	c.body = (const uint8_t *)b.sb.data;
	c.body_len = b.sb.size;
	e = lb_node_write(n, &c, 1, 0, NULL, d);
	lb_mp_buf_free(&b);
	return e;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t origin[LB_PK_BYTES];
	char path[160];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-catalogue.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->v_dir, sizeof f->v_dir, "%s/v", f->dir);
	snprintf(f->k_dir, sizeof f->k_dir, "%s/k", f->dir);
	snprintf(f->k2_dir, sizeof f->k2_dir, "%s/k2", f->dir);
	assert_int_equal(lb_node_init(f->v_dir, VILLAGE, NULL, origin, NULL), LB_OK);
	assert_int_equal(lb_node_init_key(f->k_dir, KAB, NULL, NULL, origin, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/node.key", f->k_dir);
	assert_int_equal(lb_key_load(path, &f->key, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->v, f->v_dir, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->k, f->k_dir, NULL, NULL), LB_OK);
	put_prog(f->k, 1);
	put_prog(f->k, 2);
	write_one(f->k, LB_OP_PUT, "wilayah", "33.24.01",
	          "{\"kode\":\"33.24.01\",\"nama\":\"Kecamatan Satu\",\"tingkat\":\"kecamatan\"}");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_node_close(f->v);
	lb_node_close(f->k);
	lb_key_wipe(&f->key);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static FILE *export_from(struct lb_node *n, uint64_t from)
{
	FILE *f = tmpfile();
	struct lb_diag d = {0};

	assert_non_null(f);
	if ((from > 1 ? lb_node_export_log_from(n, from, f, &d) : lb_node_export_log(n, f, &d)))
		fail_msg("export: %s", d.msg);
	rewind(f);
	return f;
}

static lb_err adopt(struct fx *f, const uint8_t *key, FILE *x, struct lb_diag *d)
{
	struct lb_adopt_report r;
	lb_err e = lb_catalogue_adopt(f->v_dir, KAB, key, x, &r, NULL, d);
	fclose(x);
	return e;
}

static uint64_t held(struct fx *f)
{
	struct lb_catalogue_info ci;
	assert_int_equal(lb_catalogue_info(f->v_dir, KAB, &ci, NULL), LB_OK);
	assert_memory_equal(ci.key, f->key.pk, LB_PK_BYTES);
	return ci.seq;
}

static int count_cb(void *ctx, const struct lb_catalogue_info *ci)
{
	(void)ci;
	++*(int *)ctx;
	return 0;
}

static void none_held(void **state)
{
	struct fx *f = *state;
	char region[LB_CATALOGUE_REGION_MAX + 1];
	struct lb_catalogue_info ci;
	size_t count = 9;
	int calls = 0;
	char js[256];

	assert_int_equal(lb_catalogue_list(f->v_dir, count_cb, &calls, &count, NULL), LB_OK);
	assert_int_equal(count, 0);
	assert_int_equal(calls, 0);
	assert_int_equal(lb_catalogue_info(f->v_dir, KAB, &ci, NULL), LB_ENOTFOUND);
	assert_int_equal(lb_catalogue_find(f->v_dir, "program", "KAB-1", 5, region, NULL),
	                 LB_ENOTFOUND);
	/* with no catalogue, the village may define KAB-1 itself */
	write_one(f->v, LB_OP_PUT, "program", "KAB-1", prog_js(1, js, sizeof js));
}

static void take_whole_then_tail(void **state)
{
	struct fx *f = *state;
	char region[LB_CATALOGUE_REGION_MAX + 1];
	struct lb_adopt_report r;
	struct lb_node_info ki;
	bool made = false;
	size_t count;
	int calls = 0;
	FILE *x = export_from(f->k, 1);

	assert_int_equal(lb_catalogue_adopt(f->v_dir, KAB, f->key.pk, x, &r, &made, NULL), LB_OK);
	fclose(x);
	assert_true(made);
	assert_int_equal(r.added, 3);
	assert_int_equal(held(f), 3);
	assert_int_equal(lb_catalogue_list(f->v_dir, count_cb, &calls, &count, NULL), LB_OK);
	assert_int_equal(count, 1);
	assert_int_equal(calls, 1);
	assert_int_equal(lb_catalogue_find(f->v_dir, "program", "KAB-2", 5, region, NULL), LB_OK);
	assert_string_equal(region, KAB);
	assert_int_equal(lb_catalogue_find(f->v_dir, "wilayah", "33.24.01", 8, region, NULL), LB_OK);
	assert_int_equal(lb_catalogue_find(f->v_dir, "program", "KAB-3", 5, region, NULL),
	                 LB_ENOTFOUND);

	/* the same copy again: nothing new, still good */
	x = export_from(f->k, 1);
	assert_int_equal(lb_catalogue_adopt(f->v_dir, KAB, f->key.pk, x, &r, &made, NULL), LB_OK);
	fclose(x);
	assert_false(made);
	assert_int_equal(r.added, 0);

	put_prog(f->k, 3);
	assert_int_equal(lb_node_info(f->k, &ki, NULL), LB_OK);
	assert_int_equal(adopt(f, f->key.pk, export_from(f->k, 4), NULL), LB_OK);
	assert_int_equal(held(f), ki.seq);
	assert_int_equal(lb_catalogue_find(f->v_dir, "program", "KAB-3", 5, region, NULL), LB_OK);
}

static void writes_use_the_catalogue(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	char js[256];
	const char *pen = "{\"program\":\"KAB-1\",\"nik\":\"3324014501900001\","
	                  "\"tanggal\":\"2026-02-01\",\"bentuk\":\"uang\",\"status\":\"diusulkan\"}";
	const char *pen2 = "{\"program\":\"KAB-1\",\"nik\":\"3324014501900002\","
	                   "\"tanggal\":\"2026-02-01\",\"bentuk\":\"uang\",\"status\":\"diusulkan\"}";
	const char *pen_x = "{\"program\":\"KAB-9\",\"nik\":\"3324014501900001\","
	                    "\"tanggal\":\"2026-02-01\",\"bentuk\":\"uang\",\"status\":\"diusulkan\"}";

	/* before the catalogue: a penerima of KAB-1 names no programme */
	assert_int_equal(try_put(f->v, "penerima", "P-1", pen, &d), LB_ESCHEMA);
	assert_int_equal(adopt(f, f->key.pk, export_from(f->k, 1), NULL), LB_OK);
	write_one(f->v, LB_OP_PUT, "penerima", "P-1", pen);
	write_one(f->v, LB_OP_PUT, "penerima", "P-2", pen2); /* one NIK once per programme */
	assert_int_equal(try_put(f->v, "penerima", "P-3", pen_x, &d), LB_ESCHEMA);
	memset(&d, 0, sizeof d);
	assert_int_equal(try_put(f->v, "program", "KAB-1", prog_js(1, js, sizeof js), &d),
	                 LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "program KAB-1"));
	assert_non_null(strstr(d.msg, "belongs to the catalogue of 33.24"));
	/* a reference to it resolves (the catalogue's), but the village holds none */
	assert_true(lb_node_exists(f->v, "program", "KAB-1", 5));
	/* a programme of its own with another code is the village's business */
	snprintf(js, sizeof js, "{\"kode\":\"DESA-1\",\"nama\":\"Posyandu\",\"bidang\":\"kesehatan\","
	         "\"anggaran\":500000,\"tahun\":2026}");
	write_one(f->v, LB_OP_PUT, "program", "DESA-1", js);
	/* a catalogue's records are not the village's: lb_node_get says so */
	assert_int_equal(lb_node_get(f->v, "program", "KAB-1", 5, &(uint8_t *){NULL},
	                             &(size_t){0}, NULL, NULL), LB_ENOTFOUND);
}

static void another_key_refused(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	uint8_t other[LB_PK_BYTES];
	int calls = 0;
	size_t count;

	randombytes_buf(other, sizeof other);
	/* a first copy under a key that did not sign it: refused, nothing left */
	assert_int_equal(adopt(f, other, export_from(f->k, 1), &d), LB_ESIG);
	assert_int_equal(lb_catalogue_list(f->v_dir, count_cb, &calls, &count, NULL), LB_OK);
	assert_int_equal(count, 0);
	/* held under the right key: a copy for another key is refused, kept */
	assert_int_equal(adopt(f, f->key.pk, export_from(f->k, 1), NULL), LB_OK);
	put_prog(f->k, 4);
	memset(&d, 0, sizeof d);
	assert_int_equal(adopt(f, other, export_from(f->k, 1), &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "held under key"));
	assert_int_equal(held(f), 3);
}

static void rollback_gap_fork_refused(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	uint8_t origin[LB_PK_BYTES];
	struct lb_node *k2;
	FILE *old = export_from(f->k, 1);

	put_prog(f->k, 5);
	put_prog(f->k, 6);
	assert_int_equal(adopt(f, f->key.pk, export_from(f->k, 1), NULL), LB_OK);
	assert_int_equal(held(f), 5);
	/* an older copy replayed after the newer one */
	assert_int_equal(adopt(f, f->key.pk, old, &d), LB_EREFUSED);
	assert_non_null(strstr(d.msg, "rollback"));
	assert_int_equal(held(f), 5);
	/* a gap: a tail from 7 when 5 is held */
	put_prog(f->k, 7);
	put_prog(f->k, 8);
	assert_int_equal(adopt(f, f->key.pk, export_from(f->k, 7), NULL), LB_EGAP);
	assert_int_equal(held(f), 5);
	/* a fork: the same key, another history */
	assert_int_equal(lb_node_init_key(f->k2_dir, KAB, NULL, &f->key, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&k2, f->k2_dir, NULL, NULL), LB_OK);
	for (int i = 11; i <= 16; i++)
		put_prog(k2, i);
	assert_int_equal(adopt(f, f->key.pk, export_from(k2, 1), NULL), LB_EFORK);
	lb_node_close(k2);
	assert_int_equal(held(f), 5);
	/* and the good tail still goes on from what is held */
	assert_int_equal(adopt(f, f->key.pk, export_from(f->k, 6), NULL), LB_OK);
	assert_int_equal(held(f), 7);
}

static void a_village_log_is_no_catalogue(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	size_t count;

	write_one(f->v, LB_OP_PUT, "aspirasi", "ASP-1",
	          "{\"tanggal\":\"2026-01-01\",\"pengusul\":\"Warga\",\"usulan\":\"jalan\","
	          "\"status\":\"diusulkan\"}");
	assert_int_not_equal(adopt(f, f->key.pk, export_from(f->v, 1), &d), LB_OK);
	assert_int_equal(lb_catalogue_list(f->v_dir, NULL, NULL, &count, NULL), LB_OK);
	assert_int_equal(count, 0);
	assert_int_equal(lb_catalogue_adopt(f->v_dir, "33.24.01.2001", f->key.pk, stdin, NULL, NULL,
	                                    &d), LB_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(none_held, setup, teardown),
		cmocka_unit_test_setup_teardown(take_whole_then_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_use_the_catalogue, setup, teardown),
		cmocka_unit_test_setup_teardown(another_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_gap_fork_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_village_log_is_no_catalogue, setup, teardown),
	};
	if (lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
