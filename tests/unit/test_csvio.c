/*
 * test_csvio.c — CSV export and import are exact inverses (the formula
 * guard and its removal), and a NUL byte in a cell is refused naming its
 * row and column instead of cutting the cell short; a row's problems are
 * all named at once, in field order; Windows-1252 and Latin-1 files are
 * read as UTF-8.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../node/csvio.h"
#include "../../schema/mp.h"
#include "../../schema/schema.h"

static const struct lb_schema *schema(void)
{
	static const struct lb_schema *s;
	if (!s) {
		assert_int_equal(lb_schema_builtin_init(NULL), LB_OK);
		assert_non_null(s = lb_schema_get(lb_schema_latest()));
	}
	return s;
}

/* What a read gives back: the last data row's id and body. */
struct back {
	struct lb_csv_map *map;
	struct lb_mp_buf body;
	char id[256];
	int rows;
};

static lb_err on_row(void *ctx, char **cells, size_t n, unsigned long row, struct lb_diag *d)
{
	struct back *b = ctx;
	const char *id;
	size_t id_len;
	lb_err e;

	(void)row;
	if (!b->map)
		return lb_csv_map_new(&b->map, schema(), "aspirasi", cells, n, d);
	lb_mp_buf_reset(&b->body);
	if ((e = lb_csv_row_record(b->map, cells, n, &id, &id_len, &b->body, d)))
		return e;
	assert_true(id_len < sizeof b->id);
	memcpy(b->id, id, id_len);
	b->id[id_len] = '\0';
	b->rows++;
	return LB_OK;
}

/* Export one aspirasi record {usulan: v} with id, import it again: the same
 * id and the same body bytes must come back. */
static void round_trip(const char *id, const char *v, size_t vlen, char sep)
{
	const struct lb_type *t = lb_schema_type(schema(), "aspirasi");
	struct lb_mp_buf in;
	struct back b = {0};
	struct lb_diag d = {0};
	char path[] = "/tmp/lumbung-csvio.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	lb_mp_buf_init(&in);
	lb_mp_put_map(&in, 1);
	lb_mp_put_cstr(&in, "usulan");
	lb_mp_put_str(&in, v, vlen);
	assert_int_equal(lb_csv_write_header(f, t, sep, &d), LB_OK);
	assert_int_equal(lb_csv_write_record(f, t, sep, false, id, strlen(id),
	                                     (const uint8_t *)in.sb.data, in.sb.size, &d), LB_OK);
	assert_int_equal(fclose(f), 0);
	lb_mp_buf_init(&b.body);
	if (lb_csv_read(path, sep, on_row, &b, NULL, &d))
		fail_msg("value 0x%02x... (%zu bytes) id %s: %s", (unsigned char)v[0], vlen, id, d.msg);
	unlink(path);
	assert_int_equal(b.rows, 1);
	assert_string_equal(b.id, id);
	if (b.body.sb.size != in.sb.size || memcmp(b.body.sb.data, in.sb.data, in.sb.size))
		fail_msg("value starting 0x%02x 0x%02x (%zu bytes) did not come back unchanged",
		         (unsigned char)v[0], vlen > 1 ? (unsigned char)v[1] : 0, vlen);
	lb_csv_map_free(b.map);
	lb_mp_buf_free(&b.body);
	lb_mp_buf_free(&in);
}

static void every_leading_character_comes_back_unchanged(void **state)
{
	(void)state;
	for (int c = 0x01; c <= 0x7f; c++) {
		char v[4];
		v[0] = (char)c; /* c alone, c then text, text then c */
		round_trip("A1", v, 1, ',');
		v[1] = 'x';
		round_trip("A1", v, 2, ',');
		round_trip("A1", v, 2, ';');
		v[0] = 'x';
		v[1] = (char)c;
		round_trip("A1", v, 2, ',');
		v[0] = '\''; /* an apostrophe, then c */
		v[1] = (char)c;
		round_trip("A1", v, 2, ',');
		v[2] = 'x';
		round_trip("A1", v, 3, ',');
		v[1] = '\''; /* two apostrophes */
		v[2] = (char)c;
		round_trip("A1", v, 3, ',');
	}
	/* the id column (aspirasi ids are not a field) is guarded the same way */
	round_trip("'A1", "x", 1, ',');
	round_trip("=A1", "x", 1, ',');
	round_trip("'=A1", "x", 1, ',');
}

/* a text guarded by hand in a spreadsheet, and Excel's ="0123" cells, still
 * read as before */
static void guarded_and_excel_cells_are_read(void **state)
{
	struct back b = {0};
	struct lb_diag d = {0};
	char path[] = "/tmp/lumbung-csvio.XXXXXX";
	int fd = mkstemp(path);
	static const char csv[] = "id,usulan\r\n=\"0042\",'=SUM(A1)\r\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
	close(fd);
	lb_mp_buf_init(&b.body);
	assert_int_equal(lb_csv_read(path, 0, on_row, &b, NULL, &d), LB_OK);
	unlink(path);
	assert_string_equal(b.id, "0042");
	/* {"usulan": "=SUM(A1)"} */
	assert_int_equal(b.body.sb.size, 1 + 7 + 9);
	assert_memory_equal(b.body.sb.data, "\x81\xa6usulan\xa8=SUM(A1)", 17);
	lb_csv_map_free(b.map);
	lb_mp_buf_free(&b.body);
}

static void a_nul_byte_is_refused_naming_row_and_column(void **state)
{
	struct back b = {0};
	struct lb_diag d = {0};
	char path[] = "/tmp/lumbung-csvio.XXXXXX";
	int fd = mkstemp(path);
	static const char csv[] = "id,usulan,pengusul\nA1,ok,x\nA2,\"ab\0cd\",x\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, csv, sizeof csv - 1), (ssize_t)(sizeof csv - 1));
	close(fd);
	lb_mp_buf_init(&b.body);
	assert_int_equal(lb_csv_read(path, 0, on_row, &b, NULL, &d), LB_EMALFORMED);
	unlink(path);
	assert_non_null(strstr(d.msg, "row 3, column 2"));
	assert_non_null(strstr(d.msg, "NUL"));
	lb_csv_map_free(b.map);
	lb_mp_buf_free(&b.body);
}

/* ---- every problem of a row at once; other encodings ------------------------ */

static char *tmpfile_with(const char *bytes, size_t n)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/lumbung-csvio.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, bytes, n), (ssize_t)n);
	close(fd);
	return path;
}

/* One penduduk row read with lb_csv_row_record_all (header first). */
struct all {
	struct lb_csv_map *map;
	struct lb_mp_buf body;
	struct lb_csv_notes notes;
	lb_err e;
	char msg[LB_DIAG_MAX];
	char rewrites[512];
};

static void note_rewrite(void *ctx, const struct lb_field *f, const char *typed,
                         const struct lb_value *v)
{
	struct all *a = ctx;
	size_t n = strlen(a->rewrites);
	snprintf(a->rewrites + n, sizeof a->rewrites - n, "%s:%s>%.*s ", f->name, typed,
	         v->kind == LB_V_STR ? (int)v->len : 1, v->kind == LB_V_STR ? v->str : "#");
}

static lb_err all_row(void *ctx, char **cells, size_t n, unsigned long row, struct lb_diag *d)
{
	struct all *a = ctx;
	const char *id;
	size_t id_len;
	struct lb_diag rd = {0};

	(void)row;
	if (!a->map)
		return lb_csv_map_new(&a->map, schema(), "penduduk", cells, n, d);
	lb_mp_buf_reset(&a->body);
	a->notes.rewritten = note_rewrite;
	a->notes.ctx = a;
	a->e = lb_csv_row_record_all(a->map, cells, n, &id, &id_len, &a->body, &a->notes, &rd);
	snprintf(a->msg, sizeof a->msg, "%s", a->e ? lb_diag_msg(&rd, a->e) : "");
	return LB_OK;
}

static void read_all(struct all *a, const char *csv)
{
	struct lb_diag d = {0};
	char *path = tmpfile_with(csv, strlen(csv));

	memset(a, 0, sizeof *a);
	lb_mp_buf_init(&a->body);
	assert_int_equal(lb_csv_read(path, 0, all_row, a, NULL, &d), LB_OK);
	unlink(path);
}

static void free_all(struct all *a)
{
	lb_csv_map_free(a->map);
	lb_mp_buf_free(&a->body);
}

static bool bad(const struct all *a, const char *field)
{
	const struct lb_type *t = lb_schema_type(schema(), "penduduk");
	size_t fi = (size_t)(lb_type_field(t, field, strlen(field)) - t->fields);
	return a->notes.bad[fi / 64] >> (fi % 64) & 1;
}

static void every_bad_cell_of_a_row_is_named_in_field_order(void **state)
{
	struct all a;
	const char *p1, *p2, *p3, *p4;

	(void)state;
	read_all(&a, "agama,jenis_kelamin,nik,no_kk,nama,tanggal_lahir,status\n"
	             "Yahudi,X,\"3,32401E+15\",3324010101150001,Sari,31/02/1990,hidup\n");
	assert_int_equal(a.e, LB_ESCHEMA);
	/* schema order: nik, tanggal_lahir, jenis_kelamin, agama */
	assert_non_null(p1 = strstr(a.msg, "nik \"3,32401E+15\""));
	assert_non_null(p2 = strstr(a.msg, "; tanggal_lahir \"31/02/1990\""));
	assert_non_null(p3 = strstr(a.msg, "; jenis_kelamin \"X\""));
	assert_non_null(p4 = strstr(a.msg, "; agama \"Yahudi\""));
	assert_true(p1 == a.msg && p1 < p2 && p2 < p3 && p3 < p4);
	assert_int_equal(a.notes.hints, 1u << LB_HINT_SCIENTIFIC);
	assert_true(bad(&a, "nik") && bad(&a, "tanggal_lahir") && bad(&a, "jenis_kelamin") &&
	            bad(&a, "agama"));
	assert_false(bad(&a, "no_kk") || bad(&a, "nama") || bad(&a, "status"));
	/* the readable cells still make a body, in key order, for validation */
	assert_int_equal(a.body.sb.size, 1 + 5 + 5 + 6 + 17 + 7 + 6);
	assert_memory_equal(a.body.sb.data, "\x83\xa4nama\xa4Sari\xa5no_kk\xb0" "3324010101150001"
	                    "\xa6status\xa5hidup", a.body.sb.size);
	assert_string_equal(a.rewrites, ""); /* a refused row reports no rewrites */
	free_all(&a);
}

static void rewrites_are_reported_per_cell(void **state)
{
	struct all a;

	(void)state;
	read_all(&a, "nik;no_kk;nama;tanggal_lahir;jenis_kelamin;agama;rt;status\n"
	             "3324014101950002;3324010101150001;Sari;01/01/1995;P;ISLAM;1;hidup\n");
	assert_int_equal(a.e, LB_OK);
	assert_string_equal(a.rewrites, "agama:ISLAM>islam rt:1>001 tanggal_lahir:01/01/1995>1995-01-01 ");
	free_all(&a);
}

static void a_long_list_of_problems_is_cut_with_an_ellipsis(void **state)
{
	struct all a;
	char csv[2048];
	const char *junk = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

	(void)state;
	snprintf(csv, sizeof csv,
	         "nik,no_kk,nama,tanggal_lahir,jenis_kelamin,agama,status_perkawinan,pendidikan,"
	         "rt,rw,disabilitas,status,pindah_ke,tanggal_pindah\n"
	         "%s,%s,Sari,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
	         junk, junk, junk, junk, junk, junk, junk, junk, junk, junk, junk, junk, junk);
	read_all(&a, csv);
	assert_int_equal(a.e, LB_ESCHEMA);
	assert_true(strlen(a.msg) < LB_DIAG_MAX);
	assert_true(strlen(a.msg) > LB_DIAG_MAX - 100);
	assert_string_equal(a.msg + strlen(a.msg) - 3, "\xE2\x80\xA6");
	free_all(&a);
}

static lb_err last_usulan(void *ctx, char **cells, size_t n, unsigned long row,
                          struct lb_diag *d)
{
	char *out = ctx;
	(void)row, (void)d;
	if (n >= 2)
		snprintf(out, 64, "%s", cells[1]);
	return LB_OK;
}

static void windows_1252_is_read_as_utf8(void **state)
{
	static const char csv[] = "id,usulan\r\nA1,S\xEAtiawan Ra\x92uf \x80 5\r\n";
	char got[64] = "", *path = tmpfile_with(csv, sizeof csv - 1);
	struct lb_diag d = {0};

	(void)state;
	assert_int_equal(lb_csv_read_enc(path, 0, "cp1252", last_usulan, got, NULL, &d), LB_OK);
	assert_string_equal(got, "S\xC3\xAAtiawan Ra\xE2\x80\x99uf \xE2\x82\xAC 5");
	assert_int_equal(lb_csv_read_enc(path, 0, "Latin1", last_usulan, got, NULL, &d), LB_OK);
	assert_string_equal(got, "S\xC3\xAAtiawan Ra\xC2\x92uf \xC2\x80 5");
	assert_int_equal(lb_csv_read_enc(path, 0, "utf-8", last_usulan, got, NULL, &d), LB_OK);
	assert_string_equal(got, "S\xEAtiawan Ra\x92uf \x80 5"); /* as it is */
	assert_int_equal(lb_csv_read_enc(path, 0, "ebcdic", last_usulan, got, NULL, &d), LB_EINVAL);
	assert_false(lb_csv_encoding_known("ebcdic"));
	assert_true(lb_csv_encoding_known("CP1252") && lb_csv_encoding_known("iso-8859-1"));
	unlink(path);
}

static void a_byte_windows_1252_lacks_is_named(void **state)
{
	static const char csv[] = "id,usulan\nA1,ab\x81" "c\n";
	char got[64] = "", *path = tmpfile_with(csv, sizeof csv - 1);
	struct lb_diag d = {0};

	(void)state;
	assert_int_equal(lb_csv_read_enc(path, 0, "cp1252", last_usulan, got, NULL, &d),
	                 LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "byte 16 (0x81) is not cp1252 text"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_leading_character_comes_back_unchanged),
		cmocka_unit_test(guarded_and_excel_cells_are_read),
		cmocka_unit_test(a_nul_byte_is_refused_naming_row_and_column),
		cmocka_unit_test(every_bad_cell_of_a_row_is_named_in_field_order),
		cmocka_unit_test(rewrites_are_reported_per_cell),
		cmocka_unit_test(a_long_list_of_problems_is_cut_with_an_ellipsis),
		cmocka_unit_test(windows_1252_is_read_as_utf8),
		cmocka_unit_test(a_byte_windows_1252_lacks_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
