/*
 * test_schema.c — unit tests for schema/schema.h: every value rule of the
 * built-in schema with a passing and a failing case (edges included), the
 * record-level rules (unknown type or field, required, null, lists, id =
 * id field, references), the wording of the refusals, the schema-file
 * parser's errors, lb_schema_compatible and lb_field_parse_text.
 *
 * Records are written as JSON (node/body.h turns them into the msgpack map
 * the node would store): a valid base record per type, with one field
 * replaced or removed per case.  Bodies JSON cannot express (invalid UTF-8,
 * integers above INT64_MAX, non-string keys) are built with the msgpack
 * writer.  For the compatibility rules the built-in v1 is rendered back to
 * schema-file text, edited and parsed again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "../../node/body.h"
#include "../../schema/schema.h"
#include "../../schema/text.h"

static const struct lb_schema *S; /* built-in version 1 */

/* ---- fixtures --------------------------------------------------------- */

/* One valid record of every type (penerima's program PRG-1 exists). */
static const struct base {
	const char *type, *id, *json;
} bases[] = {
	{"penduduk", "3324014501900001",
	 "{\"nik\":\"3324014501900001\",\"no_kk\":\"3324010101900001\",\"nama\":\"Siti Aminah\","
	 "\"tanggal_lahir\":\"1990-01-05\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}"},
	{"keluarga", "3324010101900001",
	 "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"3324014501900001\"}"},
	{"program", "PRG-1",
	 "{\"kode\":\"PRG-1\",\"nama\":\"Posyandu Balita\",\"bidang\":\"kesehatan\","
	 "\"anggaran\":5000000,\"tahun\":2026}"},
	{"penerima", "PNR-1",
	 "{\"program\":\"PRG-1\",\"nik\":\"3324014501900001\",\"tanggal\":\"2026-03-01\","
	 "\"bentuk\":\"uang\",\"status\":\"diusulkan\"}"},
	{"kegiatan", "KGT-1", "{\"nama\":\"Penimbangan balita\",\"tanggal_mulai\":\"2026-03-02\"}"},
	{"laporan", "LAP-1",
	 "{\"periode\":\"2026-Q1\",\"bidang\":\"kesehatan\",\"ringkasan\":\"Posyandu berjalan\"}"},
	{"aspirasi", "ASP-1",
	 "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Ibu Sri\",\"usulan\":\"Lampu jalan\","
	 "\"status\":\"diusulkan\"}"},
};

static const struct base *base_of(const char *type)
{
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
		if (!strcmp(bases[i].type, type))
			return &bases[i];
	fail_msg("no base record for type %s", type);
	return NULL;
}

/* The reference lookup the tests hand to the validator: program PRG-1
 * exists, nothing else does.  Counts calls and keeps the last question. */
static struct refctx {
	int calls;
	char type[40];
	char id[140];
} rc;

static bool exists_cb(void *ctx, const char *type, const char *id, size_t id_len)
{
	struct refctx *c = ctx;
	c->calls++;
	snprintf(c->type, sizeof c->type, "%s", type);
	snprintf(c->id, sizeof c->id, "%.*s", (int)id_len, id);
	return !strcmp(type, "program") && id_len == 5 && !memcmp(id, "PRG-1", 5);
}

static const struct lb_refs refs = {.exists = exists_cb, .ctx = &rc};

/* Body of the base record of type with field set to v (stolen; NULL:
 * field removed), as msgpack in out. */
static void body_with(struct lb_mp_buf *out, const char *type, const char *field, json_t *v)
{
	json_t *j = json_loads(base_of(type)->json, 0, NULL);
	assert_non_null(j);
	if (field) {
		if (v)
			assert_int_equal(json_object_set_new(j, field, v), 0);
		else
			json_object_del(j, field);
	}
	lb_mp_buf_reset(out);
	assert_int_equal(lb_body_from_json(out, j, NULL), LB_OK);
	json_decref(j);
}

/* Validate the base record of type (id: NULL for the base id) with field
 * set to v (stolen) or removed (v NULL). */
static lb_err with(const char *type, const char *id, const char *field, json_t *v,
                   const struct lb_refs *r, struct lb_diag *d)
{
	struct lb_mp_buf b;
	lb_err e;

	lb_mp_buf_init(&b);
	body_with(&b, type, field, v);
	if (!id)
		id = base_of(type)->id;
	memset(d, 0, sizeof *d);
	e = lb_schema_validate(S, type, id, strlen(id), (const uint8_t *)b.sb.data, b.sb.size, r, d);
	lb_mp_buf_free(&b);
	return e;
}

/* Validate the base record of type with field replaced by the msgpack
 * value raw[0..n), written as it is (bytes JSON cannot carry). */
static lb_err raw_with(const char *type, const char *field, const void *raw, size_t n,
                       struct lb_diag *d)
{
	struct lb_mp_buf a, b;
	const char *id = base_of(type)->id;
	lb_err e;

	lb_mp_buf_init(&a);
	lb_mp_buf_init(&b);
	body_with(&a, type, field, NULL);
	assert_true(((uint8_t)a.sb.data[0] & 0xf0) == 0x80); /* a fixmap */
	lb_mp_put_map(&b, ((uint8_t)a.sb.data[0] & 0x0f) + 1u);
	lb_mp_put_raw(&b, a.sb.data + 1, a.sb.size - 1);
	lb_mp_put_cstr(&b, field);
	lb_mp_put_raw(&b, raw, n);
	memset(d, 0, sizeof *d);
	e = lb_schema_validate(S, type, id, strlen(id), (const uint8_t *)b.sb.data, b.sb.size, &refs,
	                       d);
	lb_mp_buf_free(&a);
	lb_mp_buf_free(&b);
	return e;
}

/* raw_with of the msgpack string s[0..n). */
static lb_err raw_str_with(const char *type, const char *field, const char *s, size_t n,
                           struct lb_diag *d)
{
	struct lb_mp_buf v;
	lb_err e;

	lb_mp_buf_init(&v);
	lb_mp_put_str(&v, s, n);
	e = raw_with(type, field, v.sb.data, v.sb.size, d);
	lb_mp_buf_free(&v);
	return e;
}

/* A float64 (cb + 8 bytes, big-endian) as field: never canonical (entries
 * holding one do not decode), and the schema refuses it too. */
static void refuse_float(int line, const char *type, const char *field, double x, const char *want)
{
	uint8_t raw[9] = {0xcb};
	uint64_t bits;
	struct lb_diag d;
	lb_err e;

	memcpy(&bits, &x, sizeof bits);
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
	if ((e = raw_with(type, field, raw, sizeof raw, &d)) != LB_ESCHEMA || !strstr(d.msg, want))
		fail_msg("line %d: %s.%s = %g gave %d (%s), want LB_ESCHEMA \"%s\"", line, type, field, x,
		         e, d.msg, want);
}

/* What a value looks like in a failure message (static buffer). */
static const char *show(json_t *v)
{
	static char s[120];
	char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	snprintf(s, sizeof s, "%.100s", t ? t : "(removed)");
	free(t);
	return s;
}

static void accept_(int line, const char *type, const char *field, json_t *v)
{
	struct lb_diag d;
	char what[120];
	lb_err e;

	snprintf(what, sizeof what, "%s", show(v));
	if ((e = with(type, NULL, field, v, &refs, &d)) != LB_OK)
		fail_msg("line %d: %s.%s = %s refused (%d): %s", line, type, field ? field : "-", what, e,
		         d.msg);
}

static void refuse_(int line, const char *type, const char *field, json_t *v, const char *want)
{
	struct lb_diag d;
	char what[120];
	lb_err e;

	snprintf(what, sizeof what, "%s", show(v));
	e = with(type, NULL, field, v, &refs, &d);
	if (e != LB_ESCHEMA)
		fail_msg("line %d: %s.%s = %s gave %d, want LB_ESCHEMA (%s)", line, type, field, what, e,
		         d.msg);
	if (!strstr(d.msg, want))
		fail_msg("line %d: %s.%s = %s: message \"%s\" lacks \"%s\"", line, type, field, what,
		         d.msg, want);
}

/* ACCEPT/REFUSE: the base record of TYPE with FIELD set to a value. */
#define ACCEPT(type, field, v) accept_(__LINE__, (type), (field), (v))
#define REFUSE(type, field, v, want) refuse_(__LINE__, (type), (field), (v), (want))
#define STR(s) json_string(s)
#define INT(n) json_integer(n)
#define JSN(text) json_loads((text), JSON_DECODE_ANY, NULL)

/* n copies of unit (malloc'd). */
static char *rep(const char *unit, size_t n)
{
	size_t u = strlen(unit);
	char *s = malloc(u * n + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[u * n] = '\0';
	return s;
}

/* STR of n copies of unit. */
static json_t *reps(const char *unit, size_t n)
{
	char *s = rep(unit, n);
	json_t *j = json_string(s);
	free(s);
	assert_non_null(j);
	return j;
}

/* ---- the built-in schema ---------------------------------------------- */

static void builtin_schema_loads(void **state)
{
	static const char *types[] = {"penduduk", "keluarga", "program", "penerima",
	                              "kegiatan", "laporan",  "aspirasi"};
	(void)state;
	assert_int_equal(lb_schema_builtin_init(NULL), LB_OK);
	assert_true(lb_schema_latest() >= 1);
	assert_non_null(lb_schema_get(1));
	assert_non_null(lb_schema_get(lb_schema_latest()));
	assert_null(lb_schema_get(0));
	assert_null(lb_schema_get(lb_schema_latest() + 1));
	assert_int_equal(lb_schema_get(1)->version, 1);
	assert_int_equal(S->ntypes, 7);
	for (size_t i = 0; i < 7; i++)
		assert_non_null(lb_schema_type(S, types[i]));
	assert_null(lb_schema_type(S, "dokumen"));
	assert_string_equal(lb_schema_type(S, "penduduk")->id_field, "nik");
	assert_string_equal(lb_schema_type(S, "keluarga")->id_field, "no_kk");
	assert_string_equal(lb_schema_type(S, "program")->id_field, "kode");
	assert_null(lb_schema_type(S, "penerima")->id_field);
	assert_non_null(lb_type_field(lb_schema_type(S, "penduduk"), "nama", 4));
	assert_null(lb_type_field(lb_schema_type(S, "penduduk"), "nam", 3));
	/* every base record of these tests is valid */
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
		accept_(__LINE__, bases[i].type, NULL, NULL);
}

static void every_builtin_version_is_compatible_with_the_one_before(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	for (uint32_t v = 1; v <= lb_schema_latest(); v++) {
		assert_non_null(lb_schema_get(v));
		assert_int_equal(lb_schema_get(v)->version, v);
		if (v > 1 && !lb_schema_compatible(lb_schema_get(v - 1), lb_schema_get(v), &d))
			fail_msg("built-in schema %u is not compatible with %u: %s", v, v - 1, d.msg);
	}
	/* and a version is compatible with itself */
	assert_true(lb_schema_compatible(S, S, &d));
}

/* ---- string and text ---------------------------------------------------- */

static void string_max_counts_characters_not_bytes(void **state)
{
	(void)state;
	/* penduduk.nama is string(100) */
	ACCEPT("penduduk", "nama", reps("a", 100));
	REFUSE("penduduk", "nama", reps("a", 101), "nama is longer than 100 characters");
	ACCEPT("penduduk", "nama", reps("\xc3\xa9", 100));         /* é: 200 bytes */
	REFUSE("penduduk", "nama", reps("\xc3\xa9", 101), "nama is longer than 100 characters");
	ACCEPT("penduduk", "nama", reps("\xe6\x97\xa5", 100));     /* 日: 300 bytes */
	ACCEPT("penduduk", "nama", reps("\xf0\x9f\x8c\xbe", 100)); /* 🌾: 400 bytes */
	REFUSE("penduduk", "nama", reps("\xf0\x9f\x8c\xbe", 101), "longer than 100 characters");
	/* text(2000) the same way */
	ACCEPT("aspirasi", "usulan", reps("\xea\xa6\x8f", 2000));
	REFUSE("aspirasi", "usulan", reps("\xea\xa6\x8f", 2001), "usulan is longer than 2000 characters");
	ACCEPT("aspirasi", "usulan", reps("x", 2000));
	REFUSE("aspirasi", "usulan", reps("x", 2001), "usulan is longer than 2000 characters");
	/* program.kode string(32), the id field */
	{
		struct lb_diag d;
		char *k32 = rep("K", 32), *k33 = rep("K", 33);
		assert_int_equal(with("program", k32, "kode", STR(k32), &refs, &d), LB_OK);
		assert_int_equal(with("program", k33, "kode", STR(k33), &refs, &d), LB_ESCHEMA);
		assert_non_null(strstr(d.msg, "kode is longer than 32 characters"));
		free(k32);
		free(k33);
	}
}

static void string_refuses_control_characters_text_allows_line_breaks(void **state)
{
	(void)state;
	ACCEPT("penduduk", "nama", STR("Siti Aminah binti H. Abdul-Rahman, S.Pd."));
	REFUSE("penduduk", "nama", STR("Siti\nAminah"),
	       "nama contains a control character (line breaks are not allowed here)");
	REFUSE("penduduk", "nama", STR("Siti\r"), "nama contains a control character");
	REFUSE("penduduk", "nama", STR("Siti\tAminah"), "nama contains a control character");
	REFUSE("penduduk", "nama", STR("Siti\x7f"), "nama contains a control character");
	REFUSE("penduduk", "nama", STR("\x1b[31mSiti"), "nama contains a control character");
	REFUSE("aspirasi", "pengusul", STR("Ibu\x01Sri"), "pengusul contains a control character");
	/* text: newlines, CR and tabs are fine, other controls are not */
	ACCEPT("aspirasi", "usulan", STR("Lampu jalan\ndi RT 003\r\n\tdan RT 004"));
	ACCEPT("kegiatan", "keterangan", STR("baris 1\nbaris 2"));
	REFUSE("aspirasi", "usulan", STR("Lampu\x01jalan"), "usulan contains a control character");
	REFUSE("aspirasi", "usulan", STR("Lampu\x1bjalan"), "usulan contains a control character");
	REFUSE("aspirasi", "usulan", STR("Lampu\x7f"), "usulan contains a control character");
	{
		/* U+0000 inside a value (JSON "\u0000"; body.c refuses it before this) */
		struct lb_diag d;
		assert_int_equal(raw_str_with("aspirasi", "usulan", "ab\0cd", 5, &d), LB_ESCHEMA);
		assert_non_null(strstr(d.msg, "usulan is not valid UTF-8"));
	}
}

/* Known bug (reported, not fixed here): string and text refuse C0 controls
 * and DEL but let the C1 controls U+0080..U+009F through (U+0085 NEL is a
 * line break), while record ids (lb_id_check) refuse them.  Skips while the
 * bug is there; passes once it is fixed. */
static void string_refuses_c1_control_characters(void **state)
{
	static const char *c1[] = {"a\xc2\x85" "b", "a\xc2\x80" "b", "a\xc2\x9b" "b", "a\xc2\x9f" "b"};
	struct lb_diag d;
	(void)state;

	assert_int_equal(lb_id_check("a\xc2\x85" "b", 4, NULL), LB_EINVAL); /* ids: refused */
	ACCEPT("penduduk", "nama", STR("a\xc2\xa0" "b")); /* U+00A0, first after C1: fine */
	for (size_t i = 0; i < sizeof c1 / sizeof c1[0]; i++)
		if (with("penduduk", NULL, "nama", STR(c1[i]), &refs, &d) == LB_OK)
			fail_msg("nama with U+%04X is accepted",
			         ((unsigned)(uint8_t)c1[i][1] & 0x1f) << 6 |
			                 ((unsigned)(uint8_t)c1[i][2] & 0x3f));
		else
			assert_non_null(strstr(d.msg, "nama contains a control character"));
}

static void required_string_may_not_be_empty(void **state)
{
	(void)state;
	REFUSE("penduduk", "nama", STR(""), "nama is required and may not be empty");
	REFUSE("aspirasi", "usulan", STR(""), "usulan is required and may not be empty");
	ACCEPT("penduduk", "nama", STR("A"));
	/* an optional string may be empty */
	ACCEPT("penduduk", "tempat_lahir", STR(""));
	/* an empty value of another kind fails that kind's rule */
	REFUSE("penduduk", "tanggal_lahir", STR(""), "tanggal_lahir \"\" is not a date");
	REFUSE("penduduk", "jenis_kelamin", STR(""), "jenis_kelamin \"\" is not one of L, P");
}

static void string_values_must_be_valid_utf8(void **state)
{
	struct lb_diag d;
	(void)state;

	assert_int_equal(raw_str_with("aspirasi", "usulan", "a\xff" "b", 3, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "usulan is not valid UTF-8"));
	assert_int_equal(raw_str_with("penduduk", "nama", "\xc3", 1, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "nama is not valid UTF-8"));
	assert_int_equal(raw_str_with("penduduk", "nama", "\xed\xa0\x80", 3, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "nama is not valid UTF-8"));
	/* the same path takes a valid string */
	assert_int_equal(raw_str_with("penduduk", "nama", "Ñoño", 6, &d), LB_OK);
}

/* ---- numbers ------------------------------------------------------------ */

static void integer_min_max_edges(void **state)
{
	(void)state;
	/* keluarga.desil integer(1..10) */
	REFUSE("keluarga", "desil", INT(0), "desil 0 is outside 1..10");
	ACCEPT("keluarga", "desil", INT(1));
	ACCEPT("keluarga", "desil", INT(10));
	REFUSE("keluarga", "desil", INT(11), "desil 11 is outside 1..10");
	REFUSE("keluarga", "desil", INT(-1), "desil -1 is outside 1..10");
	REFUSE("keluarga", "desil", INT(INT64_MIN), "desil");
	REFUSE("keluarga", "desil", INT(INT64_MAX), "desil");
	/* program.tahun integer(2000..2100) */
	REFUSE("program", "tahun", INT(1999), "tahun 1999 is outside 2000..2100");
	ACCEPT("program", "tahun", INT(2000));
	ACCEPT("program", "tahun", INT(2100));
	REFUSE("program", "tahun", INT(2101), "tahun 2101 is outside 2000..2100");
	/* program.target_penerima integer(0..1000000) */
	ACCEPT("program", "target_penerima", INT(0));
	ACCEPT("program", "target_penerima", INT(1000000));
	REFUSE("program", "target_penerima", INT(1000001), "target_penerima 1000001 is outside 0..1000000");
	/* a number, not a string, a float or a boolean */
	REFUSE("keluarga", "desil", STR("3"), "desil must be a number (integer 1..10)");
	refuse_float(__LINE__, "keluarga", "desil", 2.5, "desil must be a number (integer 1..10)");
	refuse_float(__LINE__, "keluarga", "desil", 3.0, "desil must be a number");
	REFUSE("keluarga", "desil", json_true(), "desil must be a number");
}

static void integer_above_int64_is_refused(void **state)
{
	struct lb_mp_buf a, b;
	struct lb_diag d = {0};
	(void)state;

	lb_mp_buf_init(&a);
	lb_mp_buf_init(&b);
	body_with(&a, "keluarga", NULL, NULL);
	assert_int_equal((uint8_t)a.sb.data[0], 0x82);
	lb_mp_put_map(&b, 3);
	lb_mp_put_raw(&b, a.sb.data + 1, a.sb.size - 1);
	lb_mp_put_cstr(&b, "penghasilan_bulanan");
	lb_mp_put_uint(&b, UINT64_MAX);
	assert_int_equal(lb_schema_validate(S, "keluarga", bases[1].id, 16,
	                                    (const uint8_t *)b.sb.data, b.sb.size, &refs, &d),
	                 LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "penghasilan_bulanan 18446744073709551615 is outside"));
	lb_mp_buf_free(&a);
	lb_mp_buf_free(&b);
}

static void rupiah_is_0_to_10e15(void **state)
{
	(void)state;
	REFUSE("keluarga", "penghasilan_bulanan", INT(-1),
	       "penghasilan_bulanan -1 is outside 0..1000000000000000");
	ACCEPT("keluarga", "penghasilan_bulanan", INT(0));
	ACCEPT("keluarga", "penghasilan_bulanan", INT(1500000));
	ACCEPT("program", "anggaran", INT(1000000000000000LL));
	REFUSE("program", "anggaran", INT(1000000000000001LL),
	       "anggaran 1000000000000001 is outside 0..1000000000000000");
	REFUSE("program", "anggaran", INT(-5000000), "anggaran -5000000 is outside");
	REFUSE("program", "anggaran", STR("Rp 5.000.000"),
	       "anggaran must be a number (rupiah (whole number, 0 or more))");
	refuse_float(__LINE__, "program", "anggaran", 5000000.5, "anggaran must be a number");
}

/* ---- dates and periods ------------------------------------------------- */

static void date_is_a_real_calendar_date_1900_2100(void **state)
{
	static const char *good[] = {"2024-02-29", "2000-02-29", "1900-01-01", "2100-12-31",
	                             "2026-01-31", "2026-04-30", "2026-12-31", "1990-01-05"};
	static const char *bad[] = {"2023-02-29", "1900-02-29", "2100-02-29", "2026-02-30",
	                            "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
	                            "2026-01-32", "1899-12-31", "2101-01-01", "2026-1-01",
	                            "2026-01-1",  "26-01-01",   "2026/01/01", "2026-01-01T00:00",
	                            "2026-0a-01", " 2026-01-01", "20260101",  "+026-01-01"};
	char want[80];
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ACCEPT("penduduk", "tanggal_lahir", STR(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want, "tanggal_lahir \"%s\" is not a date", bad[i]);
		REFUSE("penduduk", "tanggal_lahir", STR(bad[i]), want);
	}
	/* the example of schema.h, word for word */
	REFUSE("penduduk", "tanggal_lahir", STR("1990-02-30"), "tanggal_lahir \"1990-02-30\" is not a date");
	REFUSE("aspirasi", "tanggal", STR("2026-02-30"), "tanggal \"2026-02-30\" is not a date (YYYY-MM-DD");
	REFUSE("penduduk", "tanggal_lahir", INT(19900105), "tanggal_lahir must be a string (date YYYY-MM-DD)");
	/* a long bad value is shown shortened, not refused for its length */
	REFUSE("kegiatan", "tanggal_mulai", reps("9", 500), "tanggal_mulai \"9999999999");
}

static void period_is_a_month_or_a_quarter(void **state)
{
	static const char *good[] = {"2026-01", "2026-12", "2026-Q1", "2026-Q4", "1900-01", "2100-Q4"};
	static const char *bad[] = {"2026-Q5", "2026-Q0", "2026-13", "2026-00", "2026-q1",
	                            "2026-1",  "2026-Q12", "26-01",  "1899-12", "2101-01", "2026Q1",
	                            "2026",    "2026-01-01", "2026/01", "2026-QQ", ""};
	char want[80];
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ACCEPT("laporan", "periode", STR(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want, "periode \"%s\" is not a period", bad[i]);
		REFUSE("laporan", "periode", STR(bad[i]), want);
	}
	REFUSE("laporan", "periode", INT(202601), "periode must be a string");
}

/* ---- enum, boolean, digits --------------------------------------------- */

static void enum_is_one_of_its_values(void **state)
{
	(void)state;
	ACCEPT("penduduk", "jenis_kelamin", STR("L"));
	ACCEPT("penduduk", "jenis_kelamin", STR("P"));
	REFUSE("penduduk", "jenis_kelamin", STR("X"), "jenis_kelamin \"X\" is not one of L, P");
	REFUSE("penduduk", "jenis_kelamin", STR("l"), "jenis_kelamin \"l\" is not one of L, P");
	REFUSE("penduduk", "jenis_kelamin", STR("LP"), "jenis_kelamin \"LP\" is not one of L, P");
	REFUSE("penduduk", "jenis_kelamin", STR("L "), "jenis_kelamin");
	ACCEPT("penduduk", "agama", STR("kepercayaan"));
	ACCEPT("penduduk", "agama", STR("islam"));
	REFUSE("penduduk", "agama", STR("Islam"), "agama \"Islam\" is not one of islam, kristen");
	ACCEPT("program", "sumber_dana", STR("dana_desa"));
	ACCEPT("program", "sumber_dana", STR("lainnya"));
	REFUSE("program", "sumber_dana", STR("dana"), "sumber_dana \"dana\" is not one of");
	REFUSE("penduduk", "jenis_kelamin", INT(1), "jenis_kelamin must be a string (one of L, P)");
}

static void boolean_is_true_or_false(void **state)
{
	(void)state;
	ACCEPT("penduduk", "disabilitas", json_true());
	ACCEPT("penduduk", "disabilitas", json_false());
	REFUSE("penduduk", "disabilitas", STR("true"), "disabilitas must be true or false");
	REFUSE("penduduk", "disabilitas", STR("ya"), "disabilitas must be true or false");
	REFUSE("penduduk", "disabilitas", INT(1), "disabilitas must be true or false");
	REFUSE("penduduk", "disabilitas", INT(0), "disabilitas must be true or false");
}

static void digits_is_exactly_n_decimal_digits(void **state)
{
	(void)state;
	ACCEPT("penduduk", "rt", STR("001"));
	ACCEPT("penduduk", "rw", STR("999"));
	ACCEPT("penduduk", "rt", STR("000"));
	REFUSE("penduduk", "rt", STR("01"), "rt \"01\" is not exactly 3 digits");
	REFUSE("penduduk", "rt", STR("0001"), "rt \"0001\" is not exactly 3 digits");
	REFUSE("penduduk", "rt", STR("1a1"), "rt \"1a1\" is not exactly 3 digits");
	REFUSE("penduduk", "rt", STR("-01"), "rt \"-01\" is not exactly 3 digits");
	REFUSE("penduduk", "rt", STR(" 01"), "rt");
	REFUSE("penduduk", "rt", STR("\xd9\xa1\xd9\xa2\xd9\xa3"), "rt"); /* Arabic-Indic digits */
	REFUSE("penduduk", "rt", INT(1), "rt must be a string (exactly 3 digits)");
	ACCEPT("penduduk", "no_kk", STR("3324010101900002"));
	REFUSE("penduduk", "no_kk", STR("332401010190000"), "no_kk \"332401010190000\" is not exactly 16 digits");
	REFUSE("penduduk", "no_kk", STR("33240101019000021"), "is not exactly 16 digits");
	REFUSE("penduduk", "no_kk", STR("33240101019000a2"), "no_kk \"33240101019000a2\" is not exactly 16 digits");
	REFUSE("penduduk", "no_kk", STR("3324.0101.9000.02"), "no_kk");
}

/* ---- NIK ---------------------------------------------------------------- */

static void nik_has_region_birth_date_and_serial(void **state)
{
	/* keluarga.kepala_keluarga is a nik that is not the id */
	static const char *good[] = {
		"3324010101900001", /* man born 01-01-1990                     */
		"3324014101900001", /* woman born 01-01-1990 (day 01 + 40)     */
		"3324014501900001", /* woman, day 45                           */
		"3324017112990001", /* woman born 31-12-1999 (day 71)          */
		"3324013112990001", /* man born 31-12-1999                     */
		"1101010101009999", /* Aceh (11), serial 9999                  */
		"9471010101000001", /* Papua (94)                              */
		"3399990101000001", /* kab 99, kec 99                          */
		"3324012902000001", /* 29 February (two-digit year: allowed)   */
	};
	static const struct {
		const char *nik, *why;
	} bad[] = {
		{"1024010101900001", "does not start with a region code (PPKKCC)"}, /* province 10 */
		{"9524010101900001", "does not start with a region code"},          /* province 95 */
		{"0024010101900001", "does not start with a region code"},          /* province 00 */
		{"3300010101900001", "does not start with a region code"},          /* kab 00      */
		{"3324000101900001", "does not start with a region code"},          /* kec 00      */
		{"3324013201900001", "does not hold a birth date (DDMMYY, +40 on the day for women)"},
		{"3324010001900001", "does not hold a birth date"}, /* day 00            */
		{"3324014001900001", "does not hold a birth date"}, /* day 40 (= 00 + 40) */
		{"3324017201900001", "does not hold a birth date"}, /* day 72 (= 32 + 40) */
		{"3324019901900001", "does not hold a birth date"}, /* day 99            */
		{"3324010113900001", "does not hold a birth date"}, /* month 13          */
		{"3324010100900001", "does not hold a birth date"}, /* month 00          */
		{"3324013102900001", "does not hold a birth date"}, /* 31 February       */
		{"3324017104900001", "does not hold a birth date"}, /* a woman, 31 April */
		{"3324010101900000", "has serial number 0000"},
		{"332401010190001", "is not 16 digits"},   /* 15 digits */
		{"33240101019000011", "is not 16 digits"}, /* 17 digits */
		{"33240101019000a1", "is not 16 digits"},
		{"", "is not 16 digits"},
	};
	char want[120];
	(void)state;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ACCEPT("keluarga", "kepala_keluarga", STR(good[i]));
	/* every woman's day 41..71 */
	for (int day = 41; day <= 71; day++) {
		char nik[32];
		snprintf(nik, sizeof nik, "332401%02d01900001", day);
		ACCEPT("keluarga", "kepala_keluarga", STR(nik));
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(want, sizeof want, "kepala_keluarga \"%s\" %s", bad[i].nik, bad[i].why);
		REFUSE("keluarga", "kepala_keluarga", STR(bad[i].nik), want);
	}
	REFUSE("keluarga", "kepala_keluarga", INT(3324010101900001LL),
	       "kepala_keluarga must be a string (NIK");
	/* penerima.nik the same */
	ACCEPT("penerima", "nik", STR("3324017112990001"));
	REFUSE("penerima", "nik", STR("3324017212990001"), "nik \"3324017212990001\" does not hold a birth date");
}

/* ---- references ---------------------------------------------------------- */

static void ref_names_a_live_record(void **state)
{
	struct lb_diag d;
	const struct lb_refs no_cb = {.exists = NULL, .ctx = &rc};
	(void)state;

	memset(&rc, 0, sizeof rc);
	assert_int_equal(with("penerima", NULL, "program", STR("PRG-1"), &refs, &d), LB_OK);
	assert_int_equal(rc.calls, 1);
	assert_string_equal(rc.type, "program");
	assert_string_equal(rc.id, "PRG-1");

	assert_int_equal(with("penerima", NULL, "program", STR("PRG-404"), &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "program \"PRG-404\": no such program record"));
	assert_int_equal(rc.calls, 2);
	assert_string_equal(rc.id, "PRG-404");

	/* kegiatan.program is optional, but checked when given */
	assert_int_equal(with("kegiatan", NULL, "program", STR("PRG-404"), &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "no such program record"));
	assert_int_equal(with("kegiatan", NULL, "program", STR("PRG-1"), &refs, &d), LB_OK);
	assert_int_equal(with("kegiatan", NULL, NULL, NULL, &refs, &d), LB_OK);

	/* NULL refs (re-validating history) and refs without a callback skip the check */
	rc.calls = 0;
	assert_int_equal(with("penerima", NULL, "program", STR("PRG-404"), NULL, &d), LB_OK);
	assert_int_equal(with("penerima", NULL, "program", STR("PRG-404"), &no_cb, &d), LB_OK);
	assert_int_equal(rc.calls, 0);

	/* but the value must still look like a record id */
	assert_int_equal(with("penerima", NULL, "program", STR(""), NULL, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "program \"\" is not a valid record id"));
	assert_int_equal(with("penerima", NULL, "program", STR("PRG\n1"), NULL, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "is not a valid record id"));
	assert_int_equal(with("penerima", NULL, "program", reps("P", 129), NULL, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "is not a valid record id"));
	assert_int_equal(with("penerima", NULL, "program", INT(1), NULL, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "program must be a string (id of a program record)"));
	assert_int_equal(rc.calls, 0);
}

/* ---- record-level rules -------------------------------------------------- */

static void unknown_type_is_refused_and_the_known_ones_named(void **state)
{
	struct lb_diag d = {0};
	static const uint8_t empty_map[] = {0x80};
	(void)state;

	assert_int_equal(lb_schema_validate(S, "dokumen", "x", 1, empty_map, 1, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "unknown record type \"dokumen\""));
	assert_non_null(strstr(d.msg, "penduduk, keluarga, program, penerima, kegiatan, laporan, aspirasi"));
	assert_int_equal(lb_schema_validate(S, "Penduduk", "x", 1, empty_map, 1, &refs, &d), LB_ESCHEMA);
	assert_int_equal(lb_schema_validate(S, "", "x", 1, empty_map, 1, &refs, &d), LB_ESCHEMA);
}

static void unknown_field_is_refused(void **state)
{
	(void)state;
	REFUSE("penduduk", "umur", INT(34), "field \"umur\" is not part of penduduk (schema 1)");
	REFUSE("aspirasi", "catatan", STR("x"), "field \"catatan\" is not part of aspirasi");
	/* field names are exact: no case folding, no trimming */
	REFUSE("penduduk", "Nama", STR("Siti"), "field \"Nama\" is not part of penduduk");
	REFUSE("penduduk", "nama ", STR("Siti"), "field \"nama \" is not part of penduduk");
	/* a field of another type is unknown here */
	REFUSE("aspirasi", "desil", INT(3), "field \"desil\" is not part of aspirasi");
}

static void required_fields_must_be_present(void **state)
{
	(void)state;
	REFUSE("penduduk", "tanggal_lahir", NULL, "tanggal_lahir is required");
	REFUSE("penduduk", "jenis_kelamin", NULL, "jenis_kelamin is required");
	REFUSE("penduduk", "no_kk", NULL, "no_kk is required");
	REFUSE("program", "anggaran", NULL, "anggaran is required");
	REFUSE("penerima", "program", NULL, "program is required");
	REFUSE("laporan", "periode", NULL, "periode is required");
	REFUSE("aspirasi", "status", NULL, "status is required");
	/* (the id field is required too) */
	REFUSE("penduduk", "nik", NULL, "nik is required");
	/* optional ones may be left out */
	ACCEPT("kegiatan", "program", NULL);
	ACCEPT("penduduk", "agama", STR("islam"));
	{
		struct lb_diag d = {0};
		static const uint8_t empty_map[] = {0x80};
		assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, empty_map, 1, &refs, &d),
		                 LB_ESCHEMA);
		assert_non_null(strstr(d.msg, "is required"));
	}
}

static void null_and_list_values_are_refused(void **state)
{
	(void)state;
	REFUSE("penduduk", "agama", json_null(), "agama is null; leave the field out instead");
	REFUSE("penduduk", "nama", json_null(), "nama is null");
	REFUSE("keluarga", "desil", json_null(), "desil is null");
	REFUSE("penduduk", "agama", JSN("[\"islam\"]"), "agama must be a single value, not a list or object");
	REFUSE("penduduk", "agama", JSN("[]"), "agama must be a single value");
	REFUSE("penduduk", "nama", JSN("{\"depan\":\"Siti\"}"), "nama must be a single value, not a list or object");
	REFUSE("penduduk", "nama", JSN("{}"), "nama must be a single value");
	REFUSE("keluarga", "desil", JSN("[3]"), "desil must be a single value");
}

static void the_id_must_equal_the_id_field(void **state)
{
	struct lb_diag d;
	(void)state;

	assert_int_equal(with("penduduk", "3324014501900001", NULL, NULL, &refs, &d), LB_OK);
	assert_int_equal(with("penduduk", "3324014501900002", NULL, NULL, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "the record id must equal its nik (\"3324014501900001\")"));
	assert_int_equal(with("penduduk", "332401450190000", NULL, NULL, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "must equal its nik"));
	assert_int_equal(with("penduduk", "33240145019000011", NULL, NULL, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "must equal its nik"));
	assert_int_equal(with("keluarga", "KK-1", NULL, NULL, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "the record id must equal its no_kk"));
	assert_int_equal(with("program", "prg-1", NULL, NULL, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "the record id must equal its kode (\"PRG-1\")"));
	assert_int_equal(with("program", "PRG-2", "kode", STR("PRG-2"), &refs, &d), LB_OK);
	/* types without an id field take any id */
	assert_int_equal(with("aspirasi", "anything at all", NULL, NULL, &refs, &d), LB_OK);
	assert_int_equal(with("penerima", "3324014501900001", NULL, NULL, &refs, &d), LB_OK);
}

static void a_body_that_is_not_a_readable_map_is_malformed(void **state)
{
	struct lb_diag d = {0};
	struct lb_mp_buf a, b;
	static const uint8_t array[] = {0x91, 0x01};
	static const uint8_t str[] = {0xa1, 'x'};
	static const uint8_t truncated[] = {0x81, 0xa4, 'n', 'a', 'm', 'a'};
	(void)state;

	assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, array, sizeof array, &refs, &d),
	                 LB_EMALFORMED);
	assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, str, sizeof str, &refs, &d),
	                 LB_EMALFORMED);
	assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, NULL, 0, &refs, &d), LB_EMALFORMED);
	assert_int_equal(lb_schema_validate(S, "penduduk", "A", 1, truncated, sizeof truncated, &refs,
	                                    &d),
	                 LB_EMALFORMED);

	lb_mp_buf_init(&a);
	lb_mp_buf_init(&b);
	body_with(&a, "aspirasi", NULL, NULL);
	/* trailing bytes after the map */
	lb_mp_put_raw(&b, a.sb.data, a.sb.size);
	lb_mp_put_uint(&b, 1);
	assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, (const uint8_t *)b.sb.data,
	                                    b.sb.size, &refs, &d),
	                 LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "trailing bytes"));
	/* a key that is not a string */
	lb_mp_buf_reset(&b);
	lb_mp_put_map(&b, 5);
	lb_mp_put_raw(&b, a.sb.data + 1, a.sb.size - 1);
	lb_mp_put_uint(&b, 7);
	lb_mp_put_cstr(&b, "x");
	assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, (const uint8_t *)b.sb.data,
	                                    b.sb.size, &refs, &d),
	                 LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "not a string"));
	/* a map that declares more pairs than it holds */
	lb_mp_buf_reset(&b);
	lb_mp_put_map(&b, 5);
	lb_mp_put_raw(&b, a.sb.data + 1, a.sb.size - 1);
	assert_int_equal(lb_schema_validate(S, "aspirasi", "A", 1, (const uint8_t *)b.sb.data,
	                                    b.sb.size, &refs, &d),
	                 LB_EMALFORMED);
	lb_mp_buf_free(&a);
	lb_mp_buf_free(&b);
}

/* ---- the schema-file parser ------------------------------------------- */

#define MINI "schema 1\ntype a\n  f string(5)\n"

static void parse_ok(const char *text, struct lb_schema **out)
{
	struct lb_diag d = {0};
	lb_err e = lb_schema_parse(out, text, strlen(text), &d);
	if (e != LB_OK)
		fail_msg("parse refused (%d): %s\n--- text:\n%s", e, d.msg, text);
}

static void parse_err_(int line, const char *text, const char *want1, const char *want2)
{
	struct lb_diag d = {0};
	struct lb_schema *s = (struct lb_schema *)1;
	lb_err e = lb_schema_parse(&s, text, strlen(text), &d);
	if (e != LB_EMALFORMED)
		fail_msg("line %d: parse gave %d, want LB_EMALFORMED (%s)\n--- text:\n%s", line, e,
		         d.msg, text);
	assert_null(s);
	assert_int_equal(d.code, LB_EMALFORMED);
	if (!strstr(d.msg, want1) || (want2 && !strstr(d.msg, want2)))
		fail_msg("line %d: message \"%s\" lacks \"%s\"%s%s", line, d.msg, want1,
		         want2 ? " or " : "", want2 ? want2 : "");
}
#define PARSE_ERR(text, w1, w2) parse_err_(__LINE__, (text), (w1), (w2))

static void parser_accepts_a_small_file(void **state)
{
	struct lb_schema *s;
	const struct lb_type *t;
	const struct lb_field *f;
	(void)state;

	parse_ok("# a comment first\n\nschema 7   # trailing comment\n"
	         "type kk id=no\n"
	         "  no      digits(4)  required\n"
	         "\tnama    string(10)\n"
	         "  jml     integer(-5..5)\n"
	         "  jenis   enum(a,b_c,d1)   required # comment\n"
	         "\n"
	         "type x\n"
	         "  k boolean\n"
	         "  r ref(kk)\n"
	         "  p period\n"
	         "  t text(3)", /* no newline at the end */
	         &s);
	assert_int_equal(s->version, 7);
	assert_int_equal(s->ntypes, 2);
	t = lb_schema_type(s, "kk");
	assert_non_null(t);
	assert_string_equal(t->id_field, "no");
	assert_int_equal(t->nfields, 4);
	f = lb_type_field(t, "no", 2);
	assert_int_equal(f->kind, LB_K_DIGITS);
	assert_true(f->required);
	assert_int_equal(f->max, 4);
	f = lb_type_field(t, "nama", 4);
	assert_int_equal(f->kind, LB_K_STRING);
	assert_false(f->required);
	assert_int_equal(f->max, 10);
	f = lb_type_field(t, "jml", 3);
	assert_int_equal(f->kind, LB_K_INTEGER);
	assert_int_equal(f->min, -5);
	assert_int_equal(f->max, 5);
	f = lb_type_field(t, "jenis", 5);
	assert_int_equal(f->kind, LB_K_ENUM);
	assert_true(f->required);
	assert_int_equal(f->nvalues, 3);
	assert_string_equal(f->values[1], "b_c");
	t = lb_schema_type(s, "x");
	assert_null(t->id_field);
	assert_int_equal(t->nfields, 4);
	assert_int_equal(lb_type_field(t, "r", 1)->kind, LB_K_REF);
	assert_string_equal(lb_type_field(t, "r", 1)->ref, "kk");
	assert_int_equal(lb_type_field(t, "t", 1)->kind, LB_K_TEXT);
	assert_int_equal(lb_type_field(t, "t", 1)->max, 3);
	lb_schema_free(s);
	lb_schema_free(NULL);
}

static void parser_errors_name_the_line(void **state)
{
	(void)state;
	/* the first line must be "schema N" */
	PARSE_ERR("type a\n  f string(5)\n", "schema line 1", "\"schema N\"");
	PARSE_ERR("# comment\n\ntype a\n  f string(5)\n", "schema line 3", "\"schema N\"");
	PARSE_ERR("schema\ntype a\n  f string(5)\n", "schema line 1", "\"schema N\"");
	PARSE_ERR("schema 0\ntype a\n  f string(5)\n", "schema line 1", "\"schema N\"");
	PARSE_ERR("schema x\ntype a\n  f string(5)\n", "schema line 1", "\"schema N\"");
	PARSE_ERR("schema 4294967296\ntype a\n  f string(5)\n", "schema line 1", "\"schema N\"");
	PARSE_ERR("", "empty", NULL);
	PARSE_ERR("# only a comment\n\n", "empty", NULL);
	/* kinds */
	PARSE_ERR("schema 1\n\ntype a\n  f strang(5)\n", "schema line 4", "unknown kind \"strang(5)\"");
	PARSE_ERR("schema 1\ntype a\n  f float\n", "schema line 3", "unknown kind \"float\"");
	PARSE_ERR("schema 1\ntype a\n  f string\n", "schema line 3", "string needs an argument");
	PARSE_ERR("schema 1\ntype a\n  f date(10)\n", "schema line 3", "date takes no argument");
	PARSE_ERR("schema 1\ntype a\n  f string(0)\n", "schema line 3", "positive size");
	PARSE_ERR("schema 1\ntype a\n  f string(x)\n", "schema line 3", "positive size");
	PARSE_ERR("schema 1\ntype a\n  f digits(-3)\n", "schema line 3", "positive size");
	PARSE_ERR("schema 1\ntype a\n  f string(5\n", "schema line 3", "closing parenthesis");
	PARSE_ERR("schema 1\ntype a\n  f integer(5..1)\n", "schema line 3", "MIN..MAX");
	PARSE_ERR("schema 1\ntype a\n  f integer(5)\n", "schema line 3", "MIN..MAX");
	PARSE_ERR("schema 1\ntype a\n  f integer(..5)\n", "schema line 3", "MIN..MAX");
	PARSE_ERR("schema 1\ntype a\n  f enum(a,,b)\n", "schema line 3", "empty value");
	PARSE_ERR("schema 1\ntype a\n  f enum(a,)\n", "schema line 3", "empty value");
	PARSE_ERR("schema 1\ntype a\n  f enum()\n", "schema line 3", "empty value");
	PARSE_ERR("schema 1\ntype a\n  f ref(B)\n", "schema line 3", "ref needs a type name");
	/* field lines */
	PARSE_ERR("schema 1\ntype a\n  f string(5)\n  g date\n  f date\n", "schema line 5",
	          "field f defined twice");
	PARSE_ERR("schema 1\ntype a\n  f string(5) optional\n", "schema line 3", "FIELD KIND [required]");
	PARSE_ERR("schema 1\ntype a\n  f\n", "schema line 3", "FIELD KIND [required]");
	PARSE_ERR("schema 1\ntype a\n  f string(5) required x\n", "schema line 3", "FIELD KIND");
	PARSE_ERR("schema 1\ntype a\n  Nama string(5)\n", "schema line 3", "bad field name \"Nama\"");
	PARSE_ERR("schema 1\ntype a\n  1f string(5)\n", "schema line 3", "bad field name");
	PARSE_ERR("schema 1\n  f string(5)\ntype a\n  g date\n", "schema line 2",
	          "a field line before any \"type\" line");
	/* type lines */
	PARSE_ERR("schema 1\ntype a\n  f date\ntype a\n  g date\n", "schema line 4", "type a defined twice");
	PARSE_ERR("schema 1\ntype A\n  f date\n", "schema line 2", "bad type name");
	PARSE_ERR("schema 1\ntipe a\n  f date\n", "schema line 2", "type NAME [id=FIELD]");
	PARSE_ERR("schema 1\ntype\n  f date\n", "schema line 2", "type NAME [id=FIELD]");
	PARSE_ERR("schema 1\ntype a key=f\n  f string(5) required\n", "schema line 2", "id=FIELD");
	PARSE_ERR("schema 1\ntype a id=\n  f string(5) required\n", "schema line 2", "id=FIELD");
	PARSE_ERR("schema 1\ntype a id=f extra\n  f string(5) required\n", "schema line 2",
	          "type NAME [id=FIELD]");
	/* whole-file checks (no single line to blame: they name the type) */
	PARSE_ERR("schema 1\n", "no types defined", NULL);
	PARSE_ERR("schema 1\ntype a\ntype b\n  f date\n", "type a has no fields", NULL);
	PARSE_ERR("schema 1\ntype a id=g\n  f string(5) required\n", "type a: id=g must name a required",
	          NULL);
	PARSE_ERR("schema 1\ntype a id=f\n  f string(5)\n", "type a: id=f must name a required", NULL);
	PARSE_ERR("schema 1\ntype a id=f\n  f date required\n", "type a: id=f must name a required string, digits or nik field", NULL);
	PARSE_ERR("schema 1\ntype a\n  f ref(b)\n", "type a: field f refers to unknown type b", NULL);
	PARSE_ERR("schema 3\ntype a\n  f ref(b)\n", "schema 3", NULL);
	/* a good file next to these parses */
	{
		struct lb_schema *s;
		parse_ok(MINI, &s);
		lb_schema_free(s);
	}
}

/* ---- compatibility --------------------------------------------------------- */

/* v1 rendered back to schema-file text (malloc'd). */
static char *render(const struct lb_schema *s)
{
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
#define ADD(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__), assert_true(n < cap))
	assert_non_null(out);
	ADD("schema %u\n", s->version);
	for (size_t i = 0; i < s->ntypes; i++) {
		const struct lb_type *t = &s->types[i];
		ADD("\ntype %s", t->name);
		if (t->id_field)
			ADD(" id=%s", t->id_field);
		ADD("\n");
		for (size_t k = 0; k < t->nfields; k++) {
			const struct lb_field *f = &t->fields[k];
			ADD("  %s ", f->name);
			switch (f->kind) {
			case LB_K_STRING: ADD("string(%lld)", (long long)f->max); break;
			case LB_K_TEXT: ADD("text(%lld)", (long long)f->max); break;
			case LB_K_INTEGER: ADD("integer(%lld..%lld)", (long long)f->min, (long long)f->max); break;
			case LB_K_RUPIAH: ADD("rupiah"); break;
			case LB_K_DATE: ADD("date"); break;
			case LB_K_PERIOD: ADD("period"); break;
			case LB_K_BOOLEAN: ADD("boolean"); break;
			case LB_K_DIGITS: ADD("digits(%lld)", (long long)f->max); break;
			case LB_K_NIK: ADD("nik"); break;
			case LB_K_REF: ADD("ref(%s)", f->ref); break;
			case LB_K_REGION: ADD("region"); break;
			case LB_K_HEX: ADD("hex(%lld)", (long long)f->max); break;
			case LB_K_ENUM:
				ADD("enum(");
				for (size_t v = 0; v < f->nvalues; v++)
					ADD("%s%s", v ? "," : "", f->values[v]);
				ADD(")");
				break;
			}
			ADD("%s\n", f->required ? " required" : "");
		}
	}
#undef ADD
	return out;
}

/* text with the one occurrence of from replaced by to (malloc'd). */
static char *edit(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t fl = strlen(from), tl = strlen(to), n = strlen(text);
	char *out;

	if (!at || strstr(at + 1, from))
		fail_msg("\"%s\" is not in the rendered schema exactly once", from);
	out = malloc(n - fl + tl + 1);
	assert_non_null(out);
	memcpy(out, text, (size_t)(at - text));
	memcpy(out + (at - text), to, tl);
	memcpy(out + (at - text) + tl, at + fl, n - (size_t)(at - text) - fl + 1);
	return out;
}

/* Is v1 with from replaced by to (and the version bumped) compatible? */
static bool compatible_(int line, const char *from, const char *to, const char *want,
                        bool want_ok)
{
	char *v1 = render(S), *v2a = edit(v1, "schema 1\n", "schema 2\n"), *v2 = edit(v2a, from, to);
	struct lb_schema *s2;
	struct lb_diag d = {0};
	bool ok;

	parse_ok(v2, &s2);
	assert_int_equal(s2->version, 2);
	ok = lb_schema_compatible(S, s2, &d);
	if (ok != want_ok)
		fail_msg("line %d: \"%s\" -> \"%s\": compatible is %d (%s)", line, from, to, ok, d.msg);
	if (want && !strstr(d.msg, want))
		fail_msg("line %d: \"%s\" -> \"%s\": message \"%s\" lacks \"%s\"", line, from, to, d.msg,
		         want);
	lb_schema_free(s2);
	free(v1);
	free(v2a);
	free(v2);
	return ok;
}
#define COMPATIBLE(from, to) compatible_(__LINE__, (from), (to), NULL, true)
#define INCOMPATIBLE(from, to, want) compatible_(__LINE__, (from), (to), (want), false)

static void v1_renders_and_parses_back_to_itself(void **state)
{
	char *t1 = render(S), *t2;
	struct lb_schema *s;
	struct lb_diag d = {0};
	(void)state;

	parse_ok(t1, &s);
	t2 = render(s);
	assert_string_equal(t1, t2);
	assert_true(lb_schema_compatible(S, s, &d));
	assert_true(lb_schema_compatible(s, S, &d));
	lb_schema_free(s);
	free(t1);
	free(t2);
}

static void compatible_changes(void **state)
{
	(void)state;
	/* a new optional field */
	COMPATIBLE("type aspirasi\n", "type aspirasi\n  catatan text(500)\n");
	/* a new enum value */
	COMPATIBLE("jenis_kelamin enum(L,P)", "jenis_kelamin enum(L,P,X)");
	/* both at once, in one version */
	{
		char *v1 = render(S), *a = edit(v1, "schema 1\n", "schema 2\n"),
		     *b = edit(a, "type aspirasi\n", "type aspirasi\n  catatan text(500)\n"),
		     *c = edit(b, "jenis_kelamin enum(L,P)", "jenis_kelamin enum(L,P,X)");
		struct lb_schema *s2;
		struct lb_diag d = {0};
		parse_ok(c, &s2);
		if (!lb_schema_compatible(S, s2, &d))
			fail_msg("optional field + enum value: %s", d.msg);
		/* and back: v2 -> v1 removes both */
		assert_false(lb_schema_compatible(s2, S, &d));
		lb_schema_free(s2);
		free(v1);
		free(a);
		free(b);
		free(c);
	}
	/* a new type */
	COMPATIBLE("type aspirasi\n", "type dokumen\n  isi text(100) required\n\ntype aspirasi\n");
	/* wider ranges and longer strings */
	COMPATIBLE("desil integer(1..10)", "desil integer(0..11)");
	COMPATIBLE("nama string(100)", "nama string(101)");
	COMPATIBLE("usulan text(2000) required", "usulan text(4000) required");
	/* a required field made optional */
	COMPATIBLE("pengusul string(150) required", "pengusul string(150)");
	/* fields in another order */
	COMPATIBLE("  rt digits(3)\n  rw digits(3)\n  disabilitas boolean\n",
	           "  disabilitas boolean\n  rw digits(3)\n  rt digits(3)\n");
}

static void incompatible_changes(void **state)
{
	(void)state;
	INCOMPATIBLE("type aspirasi\n", "type aspirasi\n  catatan text(500) required\n",
	             "aspirasi.catatan: a new field must be optional");
	INCOMPATIBLE("jenis_kelamin enum(L,P)", "jenis_kelamin enum(L)",
	             "penduduk.jenis_kelamin: enum value P was removed");
	INCOMPATIBLE("jenis_kelamin enum(L,P)", "jenis_kelamin enum(L,W)", "enum value P was removed");
	INCOMPATIBLE("desil integer(1..10)", "desil integer(1..9)", "keluarga.desil");
	INCOMPATIBLE("desil integer(1..10)", "desil integer(2..10)", "keluarga.desil");
	INCOMPATIBLE("nama string(100)", "nama string(99)", "penduduk.nama");
	INCOMPATIBLE("usulan text(2000)", "usulan text(1999)", "aspirasi.usulan");
	INCOMPATIBLE("no_kk digits(16) required\n  nama", "no_kk digits(17) required\n  nama",
	             "penduduk.no_kk");
	INCOMPATIBLE("no_kk digits(16) required\n  nama", "no_kk digits(15) required\n  nama",
	             "penduduk.no_kk");
	/* a kind changed, even to a looser one */
	INCOMPATIBLE("tanggal_lahir date", "tanggal_lahir string(10)", "penduduk.tanggal_lahir");
	INCOMPATIBLE("desil integer(1..10)", "desil rupiah", "keluarga.desil");
	INCOMPATIBLE("pengusul string(150)", "pengusul text(150)", "aspirasi.pengusul");
	/* an optional field made required */
	INCOMPATIBLE("tempat_lahir string(60)", "tempat_lahir string(60) required",
	             "penduduk.tempat_lahir");
	/* a ref retargeted */
	INCOMPATIBLE("  program ref(program) required\n  nik",
	             "  program ref(keluarga) required\n  nik", "penerima.program");
	/* removed field, removed type, changed id field */
	INCOMPATIBLE("  forum enum(musyawarah_dusun,musyawarah_desa,musrenbangdes,rembug_warga,reses_bpd)\n",
	             "", "aspirasi.forum was removed");
	INCOMPATIBLE("type program id=kode", "type program", "type program: id field changed");
	INCOMPATIBLE("type keluarga id=no_kk", "type keluarga id=kepala_keluarga",
	             "type keluarga: id field changed");
	{
		/* v1 without aspirasi */
		char *v1 = render(S), *at = strstr(v1, "\ntype aspirasi\n");
		struct lb_schema *s2;
		struct lb_diag d = {0};
		assert_non_null(at);
		*at = '\0';
		parse_ok(v1, &s2);
		assert_false(lb_schema_compatible(S, s2, &d));
		assert_non_null(strstr(d.msg, "type aspirasi was removed"));
		lb_schema_free(s2);
		free(v1);
	}
}

/* ---- lb_field_parse_text ---------------------------------------------------- */

static const struct lb_field *field(const char *type, const char *name)
{
	const struct lb_field *f = lb_type_field(lb_schema_type(S, type), name, strlen(name));
	assert_non_null(f);
	return f;
}

static void parse_text_integer_(int line, const char *type, const char *name, const char *s,
                                int64_t want)
{
	bool is_num = false, is_bool = true, b;
	int64_t v = -12345;
	struct lb_diag d = {0};
	lb_err e = lb_field_parse_text(field(type, name), s, &is_num, &v, &is_bool, &b, &d);
	if (e || !is_num || is_bool || v != want)
		fail_msg("line %d: %s \"%s\": err %d is_num %d is_bool %d value %lld, want %lld (%s)",
		         line, name, s, e, is_num, is_bool, (long long)v, (long long)want, d.msg);
}
#define TEXT_INT(type, name, s, want) parse_text_integer_(__LINE__, (type), (name), (s), (want))

static void parse_text_refused_(int line, const char *type, const char *name, const char *s,
                                const char *want)
{
	bool is_num, is_bool, b;
	int64_t v;
	struct lb_diag d = {0};
	lb_err e = lb_field_parse_text(field(type, name), s, &is_num, &v, &is_bool, &b, &d);
	if (e != LB_ESCHEMA || !strstr(d.msg, want))
		fail_msg("line %d: %s \"%s\": err %d, message \"%s\", want LB_ESCHEMA and \"%s\"", line,
		         name, s, e, d.msg, want);
}
#define TEXT_REFUSED(type, name, s, want) parse_text_refused_(__LINE__, (type), (name), (s), (want))

static void parse_text_bool_(int line, const char *s, bool want)
{
	bool is_num = true, is_bool = false, b = !want;
	int64_t v;
	struct lb_diag d = {0};
	lb_err e = lb_field_parse_text(field("penduduk", "disabilitas"), s, &is_num, &v, &is_bool, &b, &d);
	if (e || is_num || !is_bool || b != want)
		fail_msg("line %d: disabilitas \"%s\": err %d is_num %d is_bool %d value %d, want %d (%s)",
		         line, s, e, is_num, is_bool, b, want, d.msg);
}
#define TEXT_BOOL(s, want) parse_text_bool_(__LINE__, (s), (want))

static void parse_text_numbers(void **state)
{
	(void)state;
	TEXT_INT("keluarga", "penghasilan_bulanan", "1.500.000", 1500000);
	TEXT_INT("keluarga", "penghasilan_bulanan", "1,500,000", 1500000);
	TEXT_INT("keluarga", "penghasilan_bulanan", "1 500 000", 1500000);
	TEXT_INT("keluarga", "penghasilan_bulanan", "1500000", 1500000);
	TEXT_INT("program", "anggaran", "15.000.000", 15000000);
	TEXT_INT("program", "anggaran", "1.000.000.000.000.000", 1000000000000000LL);
	TEXT_INT("keluarga", "penghasilan_bulanan", "0", 0);
	TEXT_INT("keluarga", "desil", "3", 3);
	TEXT_INT("keluarga", "desil", "10", 10);
	TEXT_INT("keluarga", "desil", "007", 7);
	/* out-of-range numbers parse; the range is the validator's business */
	TEXT_INT("keluarga", "desil", "11", 11);
	TEXT_INT("keluarga", "desil", "-5", -5);
	TEXT_INT("keluarga", "penghasilan_bulanan", "-1.000", -1000);
	TEXT_INT("program", "tahun", "2026", 2026);
	/* garbage */
	TEXT_REFUSED("keluarga", "desil", "abc", "desil \"abc\" is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "", "desil \"\" is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "3x", "desil \"3x\" is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "x3", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "1-2", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "--1", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "-", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "...", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "+3", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "0x10", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "1e3", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "Rp 5.000.000", "anggaran \"Rp 5.000.000\" is not a whole number");
	TEXT_REFUSED("program", "anggaran", "5 juta", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "123456789012345678901234567890", "is not a whole number");
	/* separators only as consistent groups of three; decimals are refused,
	 * not guessed at (the decimal mark differs between locales) */
	TEXT_INT("program", "anggaran", "1.000", 1000);
	TEXT_INT("program", "anggaran", "999.999", 999999);
	TEXT_REFUSED("program", "anggaran", "1.500.000,50", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "1.500.000,00", "no decimals");
	TEXT_REFUSED("program", "anggaran", "1,500,000.00", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "1,5", "is not a whole number");
	TEXT_REFUSED("keluarga", "desil", "2.5", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "1.500,000", "is not a whole number");  /* mixed */
	TEXT_REFUSED("program", "anggaran", "1 500.000", "is not a whole number");  /* mixed */
	TEXT_REFUSED("program", "anggaran", "15.00.000", "is not a whole number");  /* lakh style */
	TEXT_REFUSED("program", "anggaran", "1.0000", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "1000.000", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", ".500", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "500.", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", " 500", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "500 ", "is not a whole number");
	TEXT_REFUSED("program", "anggaran", "1..000", "is not a whole number");
}

/* Known bug (reported, not fixed here): a number too big for int64 is
 * clamped by strtoll to INT64_MAX/MIN instead of being refused, so the
 * refusal that follows quotes a number the user never typed.  Skips while
 * the bug is there; passes once it is fixed. */
static void parse_text_refuses_numbers_beyond_int64(void **state)
{
	static const char *big[] = {"9223372036854775808", "99999999999999999999",
	                            "-9223372036854775809", "-99999999999999999999"};
	bool is_num, is_bool, b;
	int64_t v;
	struct lb_diag d = {0};
	(void)state;

	TEXT_INT("program", "anggaran", "9223372036854775807", INT64_MAX);
	TEXT_INT("keluarga", "desil", "-9223372036854775808", INT64_MIN);
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		if (lb_field_parse_text(field("program", "anggaran"), big[i], &is_num, &v, &is_bool, &b,
		                        &d) == LB_OK)
			fail_msg("\"%s\" parses as %lld instead of being refused", big[i], (long long)v);
}

static void parse_text_booleans(void **state)
{
	static const char *yes[] = {"true", "TRUE", "True", "ya", "Ya", "YA", "1", "y", "Y", "yes"};
	static const char *no[] = {"false", "FALSE", "tidak", "Tidak", "TIDAK", "0", "n", "N", "no"};
	(void)state;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		TEXT_BOOL(yes[i], true);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		TEXT_BOOL(no[i], false);
	TEXT_REFUSED("penduduk", "disabilitas", "maybe", "disabilitas \"maybe\" is not true/false (or ya/tidak)");
	TEXT_REFUSED("penduduk", "disabilitas", "", "is not true/false");
	TEXT_REFUSED("penduduk", "disabilitas", "2", "is not true/false");
	TEXT_REFUSED("penduduk", "disabilitas", "yaa", "is not true/false");
	TEXT_REFUSED("penduduk", "disabilitas", " ya", "is not true/false");
	/* "t" and "f" are refused: "t" could mean true (PostgreSQL) or tidak */
	TEXT_REFUSED("penduduk", "disabilitas", "t", "is not true/false");
	TEXT_REFUSED("penduduk", "disabilitas", "f", "is not true/false");
	TEXT_BOOL("YES", true);
	TEXT_BOOL("No", false);
}

static void parse_text_other_kinds_stay_strings(void **state)
{
	static const struct {
		const char *type, *name, *s;
	} cases[] = {
		{"penduduk", "nama", "1.500.000"}, {"penduduk", "nama", "true"},
		{"penduduk", "rt", "001"},         {"penduduk", "tanggal_lahir", "garbage"},
		{"penduduk", "nik", "123"},        {"penerima", "program", "PRG-1"},
		{"laporan", "periode", "2026-Q1"}, {"penduduk", "jenis_kelamin", "L"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool is_num = true, is_bool = true, b;
		int64_t v;
		struct lb_diag d = {0};
		assert_int_equal(lb_field_parse_text(field(cases[i].type, cases[i].name), cases[i].s,
		                                     &is_num, &v, &is_bool, &b, &d),
		                 LB_OK);
		assert_false(is_num);
		assert_false(is_bool);
	}
}

static void describe_says_the_rule(void **state)
{
	static const struct {
		const char *type, *name, *want;
	} cases[] = {
		{"keluarga", "desil", "integer 1..10"},
		{"penduduk", "jenis_kelamin", "one of L, P"},
		{"penduduk", "tanggal_lahir", "date YYYY-MM-DD"},
		{"penduduk", "nama", "at most 100 characters"},
		{"penduduk", "rt", "exactly 3 digits"},
		{"penerima", "program", "id of a program record"},
		{"laporan", "periode", "YYYY-MM or YYYY-Qn"},
		{"penduduk", "disabilitas", "true or false"},
	};
	char out[256], small[8];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lb_field_describe(field(cases[i].type, cases[i].name), out, sizeof out);
		if (!strstr(out, cases[i].want))
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].name, out, cases[i].want);
	}
	/* truncates rather than overflowing */
	lb_field_describe(field("penduduk", "pendidikan"), small, sizeof small);
	assert_true(strlen(small) < sizeof small);
	lb_field_describe(field("penduduk", "pendidikan"), out, 20);
	assert_true(strlen(out) < 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_schema_loads),
		cmocka_unit_test(every_builtin_version_is_compatible_with_the_one_before),
		cmocka_unit_test(string_max_counts_characters_not_bytes),
		cmocka_unit_test(string_refuses_control_characters_text_allows_line_breaks),
		cmocka_unit_test(string_refuses_c1_control_characters),
		cmocka_unit_test(required_string_may_not_be_empty),
		cmocka_unit_test(string_values_must_be_valid_utf8),
		cmocka_unit_test(integer_min_max_edges),
		cmocka_unit_test(integer_above_int64_is_refused),
		cmocka_unit_test(rupiah_is_0_to_10e15),
		cmocka_unit_test(date_is_a_real_calendar_date_1900_2100),
		cmocka_unit_test(period_is_a_month_or_a_quarter),
		cmocka_unit_test(enum_is_one_of_its_values),
		cmocka_unit_test(boolean_is_true_or_false),
		cmocka_unit_test(digits_is_exactly_n_decimal_digits),
		cmocka_unit_test(nik_has_region_birth_date_and_serial),
		cmocka_unit_test(ref_names_a_live_record),
		cmocka_unit_test(unknown_type_is_refused_and_the_known_ones_named),
		cmocka_unit_test(unknown_field_is_refused),
		cmocka_unit_test(required_fields_must_be_present),
		cmocka_unit_test(null_and_list_values_are_refused),
		cmocka_unit_test(the_id_must_equal_the_id_field),
		cmocka_unit_test(a_body_that_is_not_a_readable_map_is_malformed),
		cmocka_unit_test(parser_accepts_a_small_file),
		cmocka_unit_test(parser_errors_name_the_line),
		cmocka_unit_test(v1_renders_and_parses_back_to_itself),
		cmocka_unit_test(compatible_changes),
		cmocka_unit_test(incompatible_changes),
		cmocka_unit_test(parse_text_numbers),
		cmocka_unit_test(parse_text_refuses_numbers_beyond_int64),
		cmocka_unit_test(parse_text_booleans),
		cmocka_unit_test(parse_text_other_kinds_stay_strings),
		cmocka_unit_test(describe_says_the_rule),
	};
	struct lb_diag d = {0};

	if (sodium_init() < 0)
		return 1;
	if (lb_schema_builtin_init(&d) != LB_OK) {
		fprintf(stderr, "built-in schema: %s\n", d.msg);
		return 1;
	}
	S = lb_schema_get(1);
	if (!S)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
