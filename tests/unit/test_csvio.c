/*
 * test_csvio.c — CSV export and import are exact inverses (the formula
 * guard and its removal), and a NUL byte in a cell is refused naming its
 * row and column instead of cutting the cell short.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_leading_character_comes_back_unchanged),
		cmocka_unit_test(guarded_and_excel_cells_are_read),
		cmocka_unit_test(a_nul_byte_is_refused_naming_row_and_column),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
