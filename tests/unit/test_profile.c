/*
 * test_profile.c — `--from opensid`: OpenSID's penduduk export
 * (tests/data/opensid-penduduk.csv, made with OpenSID's own column names
 * and codes) read as penduduk and as keluarga; names instead of codes;
 * uncertain and unknown codes refused by name, every one of a row at once;
 * a programme's Peserta sheet; columns that are neither OpenSID's nor ours
 * refused.  Expected values are written out by hand from OpenSID's
 * reference tables (see node/profile.c), not computed.
 */
#define _POSIX_C_SOURCE 200809L
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../node/csvio.h"
#include "../../node/profile.h"
#include "../../schema/schema.h"

static char fixture[4096];

#define MAXROWS 16
#define MAXCOLS 64

/* The rows of a CSV file, copied. */
struct sheet {
	char *cells[MAXROWS][MAXCOLS];
	size_t n[MAXROWS];
	size_t rows;
};

static lb_err keep(void *ctx, char **cells, size_t n, unsigned long row, struct lb_diag *d)
{
	struct sheet *s = ctx;
	(void)row, (void)d;
	assert_true(s->rows < MAXROWS);
	assert_true(n <= MAXCOLS);
	for (size_t i = 0; i < n; i++)
		s->cells[s->rows][i] = strdup(cells[i]);
	s->n[s->rows++] = n;
	return LB_OK;
}

static void sheet_free(struct sheet *s)
{
	for (size_t r = 0; r < s->rows; r++)
		for (size_t i = 0; i < s->n[r]; i++)
			free(s->cells[r][i]);
}

/* "field=value|..." of a row's non-empty cells under the rewritten header */
static void render(char **head, char **cells, size_t n, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!head[i] || !cells[i] || !*cells[i])
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s%s=%s", used ? "|" : "", head[i],
		                         cells[i]);
		assert_true(used < cap);
	}
}

static const char *const penduduk_expected[] = {
	"dusun=KRAJAN|rw=001|rt=002|nama=BUDI SANTOSO|no_kk=3324010101150001|nik=3324011203800001|"
	"jenis_kelamin=L|tempat_lahir=SEMARANG|tanggal_lahir=1980-03-12|agama=islam|pendidikan=slta|"
	"pekerjaan=PETANI/PEKEBUN|status_perkawinan=kawin|status=hidup",
	"dusun=KRAJAN|rw=001|rt=002|nama=SITI AMINAH|no_kk=3324010101150001|nik=3324015507850002|"
	"jenis_kelamin=P|tempat_lahir=KENDAL|tanggal_lahir=1985-07-15|agama=islam|pendidikan=tamat_sd|"
	"pekerjaan=MENGURUS RUMAH TANGGA|status_perkawinan=kawin|disabilitas=false|status=hidup",
	"dusun=KRAJAN|rw=001|rt=002|nama=AHMAD RIZKI|no_kk=3324010101150001|nik=3324010906100003|"
	"jenis_kelamin=L|tempat_lahir=KENDAL|tanggal_lahir=2010-06-09|agama=islam|"
	"pendidikan=belum_tamat_sd|pekerjaan=PELAJAR/MAHASISWA|status_perkawinan=belum_kawin|"
	"disabilitas=true|status=hidup",
	"dusun=SIDOMULYO|rw=002|rt=3|nama=YOHANES PURBA|no_kk=3324010202160002|nik=3324012512750004|"
	"jenis_kelamin=L|tempat_lahir=MEDAN|tanggal_lahir=1975-12-25|agama=katolik|"
	"pendidikan=diploma_iv_s1|pekerjaan=GURU|status_perkawinan=cerai_mati|status=hidup",
	"dusun=SIDOMULYO|rw=002|rt=3|nama=MARIA PURBA|no_kk=3324010202160002|nik=3324014104500005|"
	"jenis_kelamin=P|tempat_lahir=MEDAN|tanggal_lahir=1950-04-01|agama=katolik|"
	"pendidikan=tidak_belum_sekolah|pekerjaan=BELUM/TIDAK BEKERJA|status_perkawinan=cerai_mati|"
	"status=meninggal",
	"nama=I WAYAN SUDARMA|no_kk=3324010303170003|nik=3324011708880006|jenis_kelamin=L|"
	"tempat_lahir=DENPASAR|tanggal_lahir=1988-08-17|agama=hindu|pendidikan=s2|"
	"pekerjaan=WIRASWASTA|status_perkawinan=belum_kawin|status=pindah",
	NULL, /* agama 7: refused */
	NULL, /* pendidikan_kk 12 and status_dasar 4: refused */
	"nama=DEWI LESTARI|no_kk=3324010303170003|nik=3324014202000009|jenis_kelamin=P|"
	"tempat_lahir=SEMARANG|tanggal_lahir=2000-02-02|agama=buddha|pendidikan=diploma_iii|"
	"pekerjaan=PELAJAR/MAHASISWA|status_perkawinan=belum_kawin|status=hidup",
};

static void read_fixture(struct sheet *s)
{
	struct lb_diag d = {0};
	memset(s, 0, sizeof *s);
	lb_err e = lb_csv_read(fixture, 0, keep, s, NULL, &d);
	if (e)
		fail_msg("%s: %s", fixture, d.msg);
	assert_int_equal(s->rows, 10);
}

static void test_penduduk_export(void **state)
{
	struct lb_profile *p;
	struct lb_diag d = {0};
	struct sheet s;
	char got[2048];
	(void)state;

	read_fixture(&s);
	char *head[MAXCOLS], *row[MAXCOLS];
	memcpy(head, s.cells[0], sizeof head);
	assert_int_equal(lb_profile_open(&p, "opensid", "penduduk", &d), LB_OK);
	assert_int_equal(lb_profile_header(p, head, s.n[0], &d), LB_OK);
	for (size_t r = 1; r < s.rows; r++) {
		memset(&d, 0, sizeof d);
		memcpy(row, s.cells[r], sizeof row);
		lb_err e = lb_profile_row(p, row, s.n[r], &d);
		const char *want = penduduk_expected[r - 1];
		if (!want) {
			assert_int_equal(e, LB_ESCHEMA);
			continue;
		}
		if (e)
			fail_msg("row %zu: %s", r + 1, d.msg);
		render(head, row, s.n[r], got, sizeof got);
		assert_string_equal(got, want);
	}
	lb_profile_free(p);
	sheet_free(&s);
}

static void test_every_problem_named(void **state)
{
	struct lb_profile *p;
	struct lb_diag d = {0};
	struct sheet s;
	(void)state;

	read_fixture(&s);
	char *head[MAXCOLS], *row[MAXCOLS];
	memcpy(head, s.cells[0], sizeof head);
	assert_int_equal(lb_profile_open(&p, "opensid", "penduduk", &d), LB_OK);
	assert_int_equal(lb_profile_header(p, head, s.n[0], &d), LB_OK);
	/* row 8 of the file: agama 7 */
	memcpy(row, s.cells[7], sizeof row);
	assert_int_equal(lb_profile_row(p, row, s.n[7], &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "agama_id 7"));
	assert_non_null(strstr(d.msg, "Kepercayaan Terhadap Tuhan YME / Lainnya"));
	/* row 9: two problems in one message */
	memset(&d, 0, sizeof d);
	memcpy(row, s.cells[8], sizeof row);
	assert_int_equal(lb_profile_row(p, row, s.n[8], &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "pendidikan_kk_id 12 is not a code OpenSID uses"));
	assert_non_null(strstr(d.msg, "; status_dasar 4 (\"HILANG\")"));
	lb_profile_free(p);
	sheet_free(&s);
}

static void test_keluarga_from_penduduk_export(void **state)
{
	static const char *const want[] = {
		"alamat=Jl. Melati 3, Krajan|dusun=KRAJAN|rw=001|rt=002|no_kk=3324010101150001|"
		"kepala_keluarga=3324011203800001",
		NULL, NULL,
		"alamat=Dusun Sidomulyo|dusun=SIDOMULYO|rw=002|rt=3|no_kk=3324010202160002|"
		"kepala_keluarga=3324012512750004",
		NULL,
		"no_kk=3324010303170003|kepala_keluarga=3324011708880006",
		NULL, NULL, NULL,
	};
	struct lb_profile *p;
	struct lb_diag d = {0};
	struct sheet s;
	char got[1024];
	(void)state;

	read_fixture(&s);
	char *head[MAXCOLS], *row[MAXCOLS];
	memcpy(head, s.cells[0], sizeof head);
	assert_int_equal(lb_profile_open(&p, "opensid", "keluarga", &d), LB_OK);
	assert_int_equal(lb_profile_header(p, head, s.n[0], &d), LB_OK);
	for (size_t r = 1; r < s.rows; r++) {
		memcpy(row, s.cells[r], sizeof row);
		lb_err e = lb_profile_row(p, row, s.n[r], &d);
		if (!want[r - 1]) {
			assert_int_equal(e, LB_ENOTFOUND); /* a member, not a head: skipped */
			continue;
		}
		assert_int_equal(e, LB_OK);
		render(head, row, s.n[r], got, sizeof got);
		assert_string_equal(got, want[r - 1]);
	}
	lb_profile_free(p);
	sheet_free(&s);
}

/* The export "with names" (ekspor_huruf): the tables' names in the cells. */
static void test_names_instead_of_codes(void **state)
{
	char *head[] = {"nik", "nama", "no_kk", "tanggallahir", "sex", "agama_id",
	                "pendidikan_kk_id", "status_kawin", "status_dasar", "cacat_id", "pekerjaan_id"};
	char *row[] = {"3324011203800001", "BUDI", "3324010101150001", "1980-03-12", "LAKI-LAKI",
	               "KATHOLIK", "AKADEMI/ DIPLOMA III/S. MUDA", "CERAI HIDUP", "MATI",
	               "CACAT NETRA/BUTA", "Tukang Sayur"};
	char got[1024];
	struct lb_profile *p;
	struct lb_diag d = {0};
	(void)state;

	assert_int_equal(lb_profile_open(&p, "opensid", "penduduk", &d), LB_OK);
	assert_int_equal(lb_profile_header(p, head, 11, &d), LB_OK);
	assert_int_equal(lb_profile_row(p, row, 11, &d), LB_OK);
	render(head, row, 11, got, sizeof got);
	assert_string_equal(got, "nik=3324011203800001|nama=BUDI|no_kk=3324010101150001|"
	                         "tanggal_lahir=1980-03-12|jenis_kelamin=L|agama=katolik|"
	                         "pendidikan=diploma_iii|status_perkawinan=cerai_hidup|"
	                         "status=meninggal|disabilitas=true|pekerjaan=Tukang Sayur");
	lb_profile_free(p);
}

static void test_refusals(void **state)
{
	struct lb_profile *p;
	struct lb_diag d = {0};
	(void)state;

	assert_int_equal(lb_profile_open(&p, "siak", "penduduk", &d), LB_EINVAL);
	assert_null(p);
	assert_non_null(strstr(d.msg, "opensid"));
	assert_int_equal(lb_profile_open(&p, "opensid", "laporan", &d), LB_ESCHEMA);
	assert_null(p);

	/* a column the export must have */
	char *h1[] = {"nik", "nama", "no_kk", "tanggallahir", "sex"};
	assert_int_equal(lb_profile_open(&p, "opensid", "penduduk", &d), LB_OK);
	assert_int_equal(lb_profile_header(p, h1, 5, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "\"status_dasar\""));
	/* a column that is neither OpenSID's nor ours */
	char *h2[] = {"nik", "nama", "no_kk", "tanggallahir", "sex", "status_dasar", "hobi"};
	assert_int_equal(lb_profile_header(p, h2, 7, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "column 7 \"hobi\""));
	/* our own field added by hand: read as it is */
	char *h3[] = {"nik", "nama", "no_kk", "tanggallahir", "sex", "status_dasar", "pindah_ke"};
	assert_int_equal(lb_profile_header(p, h3, 7, &d), LB_OK);
	assert_string_equal(h3[6], "pindah_ke");
	assert_string_equal(h3[4], "jenis_kelamin");
	/* a code out of the table */
	char *r3[] = {"3324011203800001", "X", "3324010101150001", "1980-03-12", "3", "1", ""};
	assert_int_equal(lb_profile_row(p, r3, 7, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "sex 3 is not a code OpenSID uses"));
	lb_profile_free(p);
}

static void test_peserta_sheet(void **state)
{
	char *head[] = {"Peserta", "No. Peserta", "NIK", "Nama", "Tempat Lahir", "Tanggal Lahir",
	                "Alamat", "id", "program", "tanggal", "bentuk", "status"};
	char *row[] = {"3324011203800001", "PKH-0042", "3324011203800001", "BUDI SANTOSO", "SEMARANG",
	               "1980-03-12", "Krajan", "pkh-2026-1", "PKH", "2026-03-01", "uang", "disalurkan"};
	char got[1024];
	struct lb_profile *p;
	struct lb_diag d = {0};
	(void)state;

	assert_int_equal(lb_profile_open(&p, "opensid", "penerima", &d), LB_OK);
	assert_int_equal(lb_profile_header(p, head, 12, &d), LB_OK);
	assert_int_equal(lb_profile_row(p, row, 12, &d), LB_OK);
	render(head, row, 12, got, sizeof got);
	assert_string_equal(got, "nik=3324011203800001|id=pkh-2026-1|program=PKH|"
	                         "tanggal=2026-03-01|bentuk=uang|status=disalurkan");
	lb_profile_free(p);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_penduduk_export),
		cmocka_unit_test(test_every_problem_named),
		cmocka_unit_test(test_keluarga_from_penduduk_export),
		cmocka_unit_test(test_names_instead_of_codes),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_peserta_sheet),
	};
	(void)argc;
	/* the fixture: from the source tree, whether run from it or by path */
	snprintf(fixture, sizeof fixture, "tests/data/opensid-penduduk.csv");
	FILE *f = fopen(fixture, "r");
	if (!f) {
		char *self = strdup(argv[0]);
		snprintf(fixture, sizeof fixture, "%s/../../tests/data/opensid-penduduk.csv",
		         dirname(self));
		free(self);
	} else {
		fclose(f);
	}
	if (lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
