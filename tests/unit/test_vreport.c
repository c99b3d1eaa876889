/*
 * test_vreport.c — unit tests for agg/vreport.h: a village's report from
 * its own log, from an archive of it and from an aggregator that holds it,
 * at its tip and at an earlier signed head; where it was computed (seq,
 * hash, key, village, name); a seq that ends no signed head, a seq past
 * the tip, an unknown village and a file that is no archive refused; and
 * no temporary directory left behind.  Figures are known: the residents
 * written here, counted by hand.
 */
#include <dirent.h>
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
#include <jansson.h>

#include "../../agg/vreport.h"
#include "../../node/archive.h"
#include "../../node/remote.h"
#include "../../sync/push.h"
#include "agg_fixture.h"

#define V "33.24.01.2001"

struct fx {
	char dir[64], node[96], agg[96], lla[96], tmp[96];
	uint8_t origin[LB_PK_BYTES];
	uint8_t hash3[LB_HASH_BYTES];
};

/* A resident: NIK 3324010105900001 + i, born 1990-05-01 (female: day + 40). */
static void resident(struct lb_node *n, int i, bool female)
{
	char nik[17], js[512];
	snprintf(nik, sizeof nik, "332401%02d0590%04d", female ? 41 : 1, i);
	snprintf(js, sizeof js,
	         "{\"nik\":\"%s\",\"no_kk\":\"3324010101900001\",\"nama\":\"Warga %d\","
	         "\"tanggal_lahir\":\"1990-05-01\",\"jenis_kelamin\":\"%s\",\"status\":\"hidup\"}",
	         nik, i, female ? "P" : "L");
	write_one(n, LB_OP_PUT, "penduduk", nik, js);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct lb_node *n;
	struct lb_agg *a;
	struct lb_mp_buf cs;
	uint8_t pk[LB_PK_BYTES];
	FILE *out;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-vreport.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->node, sizeof f->node, "%s/node", f->dir);
	snprintf(f->agg, sizeof f->agg, "%s/agg", f->dir);
	snprintf(f->lla, sizeof f->lla, "%s/v.lla", f->dir);
	snprintf(f->tmp, sizeof f->tmp, "%s/tmp", f->dir);
	assert_int_equal(mkdir(f->tmp, 0700), 0);
	setenv("TMPDIR", f->tmp, 1);

	/* seq 1..3: three residents (2 L, 1 P), one head each; seq 4..5: two
	 * more women in one write (one head, at 5) */
	assert_int_equal(lb_node_init(f->node, V, "Desa Uji", f->origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&n, f->node, NULL, NULL), LB_OK);
	resident(n, 1, false);
	resident(n, 2, false);
	resident(n, 3, true);
	{
		const char *js[2] = {
		    "{\"nik\":\"3324014105900004\",\"no_kk\":\"3324010101900001\",\"nama\":\"A\","
		    "\"tanggal_lahir\":\"1990-05-01\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}",
		    "{\"nik\":\"3324014105900005\",\"no_kk\":\"3324010101900001\",\"nama\":\"B\","
		    "\"tanggal_lahir\":\"1990-05-01\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}"};
		struct lb_mp_buf b[2];
		struct lb_change c[2];
		for (int i = 0; i < 2; i++) {
			json_t *j = json_loads(js[i], 0, NULL);
			lb_mp_buf_init(&b[i]);
			assert_int_equal(lb_body_from_json(&b[i], j, NULL), LB_OK);
			json_decref(j);
			c[i] = (struct lb_change){.op = LB_OP_PUT, .type = "penduduk",
			                          .id = i ? "3324014105900005" : "3324014105900004",
			                          .id_len = 16, .body = (const uint8_t *)b[i].sb.data,
			                          .body_len = b[i].sb.size};
		}
		assert_int_equal(lb_node_write(n, c, 2, 0, NULL, NULL), LB_OK);
		lb_mp_buf_free(&b[0]);
		lb_mp_buf_free(&b[1]);
	}
	assert_int_equal(lb_node_entry_hash(n, 3, f->hash3, NULL), LB_OK);

	/* the village's archive */
	assert_non_null(out = fopen(f->lla, "wb"));
	assert_int_equal(lb_node_export_log(n, out, NULL), LB_OK);
	assert_int_equal(fclose(out), 0);

	/* a kabupaten that holds the log, and the name the village sent */
	assert_int_equal(lb_agg_init(f->agg, "33.24", pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&a, f->agg, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(a, V, f->origin, NULL), LB_OK);
	assert_int_equal(lb_agg_learn_name(a, f->origin, "Desa Uji", NULL, NULL), LB_OK);
	/* in two change sets, 1..3 and 4..5: it keeps the heads at 3 and 5 */
	lb_mp_buf_init(&cs);
	for (uint64_t from = 1, to = 3; from <= 5; from = to + 1, to = 5) {
		struct lb_agg_result r = {0};
		node_changeset(n, V, from, to, &cs);
		assert_int_equal(lb_agg_ingest(a, cs.sb.data, cs.sb.size, &r, NULL), LB_OK);
		free(r.receipt);
	}
	lb_mp_buf_free(&cs);
	lb_agg_close(a);
	lb_node_close(n);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void tmp_is_empty(const struct fx *f)
{
	DIR *dh = opendir(f->tmp);
	struct dirent *de;
	int n = 0;
	assert_non_null(dh);
	while ((de = readdir(dh)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dh);
	assert_int_equal(n, 0);
}

static const struct lb_report_opts ringkasan = {
    .name = "ringkasan", .per_y = 2026, .per_m = 6, .per_d = 30, .format = LB_REPORT_JSON};

/* Run one of the three into a string (malloc'd), asserting want. */
enum from { NODE, ARCHIVE, AGG };
static char *run(struct fx *f, enum from w, uint64_t seq, struct lb_vreport_at *at, lb_err want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct lb_diag d = {0};
	lb_err e = LB_OK;

	assert_non_null(m);
	if (w == NODE) {
		struct lb_node *n;
		struct lb_node_opts o = {.read_only = true};
		struct lb_src s;
		assert_int_equal(lb_node_open(&n, f->node, &o, NULL), LB_OK);
		lb_src_node(&s, n);
		e = lb_vreport_run_node(&s, f->node, &ringkasan, seq, m, at, &d);
		lb_node_close(n);
	} else if (w == ARCHIVE)
		e = lb_vreport_run_archive(f->lla, &ringkasan, seq, m, at, &d);
	else
		e = lb_vreport_run_agg(f->agg, V, &ringkasan, seq, m, at, &d);
	fclose(m);
	if (e != want)
		fail_msg("wanted %s, got %s: %s", lb_errname(want), lb_errname(e), d.msg);
	tmp_is_empty(f);
	return buf;
}

/* penduduk L, P of the village's row */
static void counts(const char *js, json_int_t l, json_int_t p, const char *name)
{
	json_t *j = json_loads(js, 0, NULL), *v;
	assert_non_null(j);
	v = json_array_get(json_object_get(j, "villages"), 0);
	assert_string_equal(json_string_value(json_object_get(v, "village")), V);
	assert_string_equal(json_string_value(json_object_get(v, "name")), name);
	assert_int_equal(json_integer_value(json_object_get(v, "penduduk_l")), l);
	assert_int_equal(json_integer_value(json_object_get(v, "penduduk_p")), p);
	json_decref(j);
}

static void test_node_tip_and_earlier(void **state)
{
	struct fx *f = *state;
	struct lb_vreport_at at;
	char *js = run(f, NODE, 0, &at, LB_OK);
	counts(js, 2, 3, "Desa Uji");
	assert_int_equal(at.seq, 5);
	assert_string_equal(at.village, V);
	assert_string_equal(at.name, "Desa Uji");
	assert_memory_equal(at.origin, f->origin, LB_PK_BYTES);
	free(js);
	js = run(f, NODE, 3, &at, LB_OK);
	counts(js, 2, 1, "Desa Uji");
	assert_int_equal(at.seq, 3);
	assert_memory_equal(at.hash, f->hash3, LB_HASH_BYTES);
	free(js);
}

static void test_seq_refused(void **state)
{
	struct fx *f = *state;
	free(run(f, NODE, 4, NULL, LB_EINVAL));    /* inside the write 4..5: no head */
	free(run(f, NODE, 6, NULL, LB_EINVAL));    /* past the tip */
	free(run(f, ARCHIVE, 4, NULL, LB_EINVAL));
	free(run(f, AGG, 4, NULL, LB_EINVAL));
	free(run(f, AGG, 2, NULL, LB_EINVAL)); /* it keeps the heads that ended change sets */
}

static void test_archive(void **state)
{
	struct fx *f = *state;
	struct lb_vreport_at at;
	char *js = run(f, ARCHIVE, 0, &at, LB_OK);
	counts(js, 2, 3, V); /* an archive does not carry the village's name */
	assert_int_equal(at.seq, 5);
	free(js);
	js = run(f, ARCHIVE, 3, &at, LB_OK);
	counts(js, 2, 1, V);
	assert_memory_equal(at.hash, f->hash3, LB_HASH_BYTES);
	assert_memory_equal(at.origin, f->origin, LB_PK_BYTES);
	free(js);
}

/* an aggregator's replica gives what the village's archive gives: the
 * signed log alone, without the name the office's directory holds */
static void test_agg_equals_archive(void **state)
{
	struct fx *f = *state;
	struct lb_vreport_at a1, a2;
	for (uint64_t seq = 0; seq <= 5; seq += seq == 0 ? 3 : 2) { /* 0 (the tip), 3, 5 */
		char *x = run(f, ARCHIVE, seq, &a1, LB_OK), *y = run(f, AGG, seq, &a2, LB_OK);
		assert_string_equal(x, y);
		assert_int_equal(a1.seq, a2.seq);
		assert_memory_equal(a1.hash, a2.hash, LB_HASH_BYTES);
		assert_string_equal(a2.name, "");
		free(x);
		free(y);
	}
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	char path[128];
	FILE *g;

	assert_int_equal(lb_vreport_run_agg(f->agg, "33.24.01.2002", &ringkasan, 0, stdout, NULL, &d),
	                 LB_ENOTFOUND);
	assert_int_equal(lb_vreport_run_agg(f->agg, "33.24", &ringkasan, 0, stdout, NULL, &d),
	                 LB_EINVAL);
	snprintf(path, sizeof path, "%s/none.lla", f->dir);
	assert_int_equal(lb_vreport_run_archive(path, &ringkasan, 0, stdout, NULL, &d), LB_EIO);
	snprintf(path, sizeof path, "%s/junk.lla", f->dir);
	assert_non_null(g = fopen(path, "wb"));
	fputs("not an archive at all", g);
	fclose(g);
	assert_int_equal(lb_vreport_run_archive(path, &ringkasan, 0, stdout, NULL, &d),
	                 LB_EMALFORMED);
	tmp_is_empty(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_node_tip_and_earlier),
	    cmocka_unit_test(test_seq_refused),
	    cmocka_unit_test(test_archive),
	    cmocka_unit_test(test_agg_equals_archive),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
