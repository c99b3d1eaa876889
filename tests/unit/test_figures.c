/*
 * test_figures.c — unit tests for agg/figures.h: the delta logic that
 * keeps the report counters ("take the old record's contribution off, add
 * the new one's").  A batch without a transaction starts from zeros, so
 * these tests need no LMDB store; the black-box test tests/cli/figures.sh
 * checks the same figures end to end against independent answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <lmdb.h>

#include "../../agg/figures.h"
#include "../../node/body.h"

#define V1 "33.24.01.2001"
#define V2 "33.24.02.2001"
#define NIK "3324014105900001"

/* counter idx of key (zero when absent) */
static int64_t fig(struct lb_fig_batch *b, char tag, const char *village, const void *rest,
                   size_t rlen, size_t idx)
{
	uint8_t k[LB_FIG_KEY_MAX];
	size_t n = 0;
	const int64_t *v = lb_fig_peek(b, k, lb_fig_key(k, tag, village, rest, rlen), &n);
	assert_non_null(v);
	return idx < n ? v[idx] : 0;
}

static int64_t cslot(struct lb_fig_batch *b, const char *village, size_t slot)
{
	return fig(b, 'C', village, NULL, 0, slot);
}

/* Apply a record given as JSON, times sign. */
static void rec(struct lb_fig_batch *b, const char *village, const char *type, const char *json,
                int sign)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	struct lb_mp_buf buf;
	assert_non_null(o);
	lb_mp_buf_init(&buf);
	assert_int_equal(lb_body_from_json(&buf, o, NULL), LB_OK);
	assert_int_equal(lb_fig_record(b, village, type, strlen(type), (const uint8_t *)buf.sb.data,
	                               buf.sb.size, sign),
	                 0);
	lb_mp_buf_free(&buf);
	json_decref(o);
}

static const char *resident(const char *sex, const char *born, const char *status)
{
	static char s[512];
	snprintf(s, sizeof s,
	         "{\"nik\":\"" NIK "\",\"no_kk\":\"3324010101900001\",\"nama\":\"Siti\","
	         "\"tanggal_lahir\":\"%s\",\"jenis_kelamin\":\"%s\",\"agama\":\"islam\","
	         "\"status_perkawinan\":\"kawin\",\"pekerjaan\":\"petani\",\"disabilitas\":false,"
	         "\"status\":\"%s\"}",
	         born, sex, status);
	return s;
}

#define NIK2 "3324014105900002"
static const char *resident2(void)
{
	return "{\"nik\":\"" NIK2 "\",\"no_kk\":\"3324010101900001\",\"nama\":\"Sri\","
	       "\"tanggal_lahir\":\"1990-05-01\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}";
}

static struct lb_fig_batch *fresh(void)
{
	struct lb_fig_batch *b = lb_fig_batch_new(NULL, 0, 0);
	assert_non_null(b);
	return b;
}

static void a_live_resident_counts_in_every_dimension(void **state)
{
	struct lb_fig_batch *b = fresh();
	uint8_t dec[2] = {0, 199}, year[2] = {0x07, 0xc6}; /* 1990 */
	(void)state;
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), +1);
	assert_int_equal(cslot(b, V1, LB_FS_TYPE + 0), 1);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 0), 1);     /* hidup, L */
	assert_int_equal(cslot(b, V1, LB_FS_AGAMA + 0), 1);      /* islam, L */
	assert_int_equal(cslot(b, V1, LB_FS_KAWIN + 2 * 1), 1);  /* kawin, L */
	assert_int_equal(cslot(b, V1, LB_FS_DIS + 2 * 1), 1);    /* tidak, L */
	assert_int_equal(cslot(b, V1, LB_FS_PENDIDIKAN + 2 * (LB_FIG_PENDIDIKAN_N - 1)), 1);
	assert_int_equal(fig(b, 'O', V1, "petani", 6, 0), 1);
	/* born April 1990, L and married: combo 1, month 3 of the decade's year 0 */
	assert_int_equal(fig(b, 'B', V1, dec, 2, 1 * LB_FIG_DECADE_MONTHS + 3), 1);
	assert_int_equal(fig(b, 'D', V1, year, 2, 1 * LB_FIG_YEAR_DAYS + 3 * 31 + 28), 1);
	assert_int_equal(fig(b, 'G', NULL, NIK, 10, 0), 900001 * LB_FIG_VILLAGE_MOD + 3324012001LL);
	assert_int_equal(fig(b, 'H', NULL, NIK, 16, 0), 0);
	lb_fig_batch_free(b);
}

static void removing_the_record_again_leaves_every_figure_zero(void **state)
{
	struct lb_fig_batch *b = fresh();
	uint8_t dec[2] = {0, 199};
	(void)state;
	rec(b, V1, "penduduk", resident("P", "1990-04-29", "hidup"), +1);
	rec(b, V1, "penduduk", resident("P", "1990-04-29", "hidup"), -1);
	for (size_t i = 0; i < LB_FIG_NSLOT; i++)
		assert_int_equal(cslot(b, V1, i), 0);
	assert_int_equal(fig(b, 'O', V1, "petani", 6, 1), 0);
	assert_int_equal(fig(b, 'B', V1, dec, 2, 3 * LB_FIG_DECADE_MONTHS + 3), 0);
	assert_int_equal(fig(b, 'G', NULL, NIK, 10, 0), 0);
	lb_fig_batch_free(b);
}

static void a_move_or_death_leaves_only_the_status_count(void **state)
{
	struct lb_fig_batch *b = fresh();
	(void)state;
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), +1);
	/* the update: old off, new on */
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), -1);
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "pindah"), +1);
	assert_int_equal(cslot(b, V1, LB_FS_TYPE + 0), 1);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 0), 0);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 2), 1); /* pindah, L */
	assert_int_equal(cslot(b, V1, LB_FS_AGAMA + 0), 0);
	assert_int_equal(fig(b, 'O', V1, "petani", 6, 0), 0);
	assert_int_equal(fig(b, 'G', NULL, NIK, 10, 0), 0);
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "pindah"), -1);
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "meninggal"), +1);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 2), 0);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 4), 1);
	lb_fig_batch_free(b);
}

static void a_change_of_sex_or_birth_date_moves_the_counts(void **state)
{
	struct lb_fig_batch *b = fresh();
	uint8_t d1[2] = {0x07, 0xc6}, d2[2] = {0x07, 0xd1}; /* 1990, 2001 */
	uint8_t dec2[2] = {0, 200};
	(void)state;
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), +1);
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), -1);
	rec(b, V1, "penduduk", resident("P", "2001-05-11", "hidup"), +1);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 0), 0);
	assert_int_equal(cslot(b, V1, LB_FS_STATUS + 1), 1);
	assert_int_equal(fig(b, 'D', V1, d1, 2, 1 * LB_FIG_YEAR_DAYS + 3 * 31 + 28), 0);
	assert_int_equal(fig(b, 'D', V1, d2, 2, 3 * LB_FIG_YEAR_DAYS + 4 * 31 + 10), 1); /* P, married */
	assert_int_equal(fig(b, 'B', V2 /* not there */, dec2, 2, 3 * LB_FIG_DECADE_MONTHS + 16), 0);
	assert_int_equal(fig(b, 'B', V1, dec2, 2, 3 * LB_FIG_DECADE_MONTHS + 12 + 4), 1);
	lb_fig_batch_free(b);
}

static void one_nik_live_in_two_villages_is_flagged(void **state)
{
	struct lb_fig_batch *b = fresh();
	char code[LB_VILLAGE_LEN + 1];
	(void)state;
	rec(b, V2, "penduduk", resident("L", "1990-04-29", "hidup"), +1);
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), +1);
	assert_int_equal(fig(b, 'H', NULL, NIK, 16, 0), 1);
	/* the bucket is sorted: V1 first */
	lb_fig_village_str(fig(b, 'G', NULL, NIK, 10, 0) % LB_FIG_VILLAGE_MOD, code);
	assert_string_equal(code, V1);
	lb_fig_village_str(fig(b, 'G', NULL, NIK, 10, 1) % LB_FIG_VILLAGE_MOD, code);
	assert_string_equal(code, V2);
	/* another NIK of the same bucket does not count for this one */
	rec(b, V1, "penduduk", resident2(), +1);
	assert_int_equal(fig(b, 'H', NULL, NIK2, 16, 0), 0);
	/* the move recorded in V1: no longer double */
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "hidup"), -1);
	rec(b, V1, "penduduk", resident("L", "1990-04-29", "pindah"), +1);
	assert_int_equal(fig(b, 'H', NULL, NIK, 16, 0), 0);
	assert_int_equal(fig(b, 'G', NULL, NIK, 10, 0), 900001 * LB_FIG_VILLAGE_MOD + 3324022001LL);
	assert_int_equal(fig(b, 'G', NULL, NIK, 10, 1), 900002 * LB_FIG_VILLAGE_MOD + 3324012001LL);
	assert_int_equal(fig(b, 'G', NULL, NIK, 10, 2), 0);
	lb_fig_batch_free(b);
}

static const char *benefit(const char *prog, const char *nik, const char *kk, int nilai)
{
	static char s[512];
	snprintf(s, sizeof s,
	         "{\"program\":\"%s\",\"nik\":\"%s\",\"no_kk\":\"%s\",\"tanggal\":\"2026-01-05\","
	         "\"bentuk\":\"uang\",\"nilai\":%d,\"status\":\"disalurkan\"}",
	         prog, nik, kk, nilai);
	return s;
}

static void beneficiaries_count_niks_households_and_duplicates(void **state)
{
	struct lb_fig_batch *b = fresh();
	const char *kk = "3324010101900001", *n2 = "3324014105900002";
	char pn[64];
	(void)state;
	rec(b, V1, "penerima", benefit("P-1", NIK, kk, 100000), +1);
	rec(b, V1, "penerima", benefit("P-1", n2, kk, 50000), +1);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_RECORDS), 2);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_NIKS), 2);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_KK), 1);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_NILAI), 150000);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_DISALUR), 2);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_DUP), 0);
	/* the same NIK a second time in P-1 */
	rec(b, V1, "penerima", benefit("P-1", NIK, kk, 100000), +1);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_NIKS), 2);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_DUP), 1);
	memcpy(pn, "P-1\0" NIK, 20);
	assert_int_equal(fig(b, 'X', V1, pn, 20, 0), 1);
	assert_int_equal(fig(b, 'n', V1, pn, 20, 0), 2);
	rec(b, V1, "penerima", benefit("P-1", NIK, kk, 100000), -1);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_DUP), 0);
	assert_int_equal(fig(b, 'X', V1, pn, 20, 0), 0);
	/* and in a second programme */
	assert_int_equal(cslot(b, V1, LB_FS_MULTI), 0);
	rec(b, V1, "penerima", benefit("P-2", NIK, kk, 0), +1);
	assert_int_equal(fig(b, 'r', V1, NIK, 16, 0), 2);
	assert_int_equal(fig(b, 'M', V1, NIK, 16, 0), 1);
	assert_int_equal(cslot(b, V1, LB_FS_MULTI), 1);
	/* the programme changed back: P-2 off, P-1 on */
	rec(b, V1, "penerima", benefit("P-2", NIK, kk, 0), -1);
	rec(b, V1, "penerima", benefit("P-1", NIK, kk, 0), +1);
	assert_int_equal(fig(b, 'M', V1, NIK, 16, 0), 0);
	assert_int_equal(cslot(b, V1, LB_FS_MULTI), 0);
	assert_int_equal(fig(b, 'P', V1, "P-2", 3, LB_FP_RECORDS), 0);
	assert_int_equal(fig(b, 'P', V1, "P-1", 3, LB_FP_DUP), 1);
	lb_fig_batch_free(b);
}

static void aspirations_other_types_and_bad_bodies(void **state)
{
	struct lb_fig_batch *b = fresh();
	uint8_t notmap[1] = {0x01};
	(void)state;
	rec(b, V1, "aspirasi",
	    "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"W\",\"usulan\":\"U\",\"status\":\"ditolak\"}",
	    +1);
	rec(b, V1, "keluarga", "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"" NIK "\"}",
	    +1);
	rec(b, V1, "unknown_type", "{\"x\":1}", +1);
	assert_int_equal(cslot(b, V1, LB_FS_TYPE + 6), 1);
	assert_int_equal(cslot(b, V1, LB_FS_ASP + 4), 1);
	assert_int_equal(cslot(b, V1, LB_FS_TYPE + 1), 1);
	assert_int_equal(lb_fig_record(b, V1, "penduduk", 8, notmap, 1, +1), MDB_CORRUPTED);
	lb_fig_batch_free(b);
}

static void village_numbers_round_trip(void **state)
{
	char out[LB_VILLAGE_LEN + 1];
	(void)state;
	assert_int_equal(lb_fig_village_num("33.24.01.2001"), 3324012001LL);
	assert_int_equal(lb_fig_village_num("33.24.01"), -1);
	lb_fig_village_str(1101012001LL, out);
	assert_string_equal(out, "11.01.01.2001");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_live_resident_counts_in_every_dimension),
		cmocka_unit_test(removing_the_record_again_leaves_every_figure_zero),
		cmocka_unit_test(a_move_or_death_leaves_only_the_status_count),
		cmocka_unit_test(a_change_of_sex_or_birth_date_moves_the_counts),
		cmocka_unit_test(one_nik_live_in_two_villages_is_flagged),
		cmocka_unit_test(beneficiaries_count_niks_households_and_duplicates),
		cmocka_unit_test(aspirations_other_types_and_bad_bodies),
		cmocka_unit_test(village_numbers_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
