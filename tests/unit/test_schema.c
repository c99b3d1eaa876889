/*
 * test_schema.c — every schema rule with a passing and a failing case, the
 * schema file parser, compatibility between versions, and text parsing.
 *
 * Bodies are written as JSON here (lb_body_from_json) so each case reads
 * like the record an operator would type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../node/body.h"
#include "../../schema/schema.h"

static const struct lb_schema *S;

/* Validate JSON body text as TYPE ID; returns the code, message in d. */
static lb_err check(const char *type, const char *id, const char *json, const struct lb_refs *refs,
                    struct lb_diag *d)
{
	struct lb_mp_buf b;
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	lb_err e;

	if (!j)
		fail_msg("bad test JSON %s: %s", json, je.text);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	json_decref(j);
	memset(d, 0, sizeof *d);
	e = lb_schema_validate(S, type, id, strlen(id), (const uint8_t *)b.sb.data, b.sb.size, refs, d);
	lb_mp_buf_free(&b);
	return e;
}

#define OK(type, id, json)                                                     \
	do {                                                                   \
		struct lb_diag d_;                                             \
		if (check(type, id, json, NULL, &d_) != LB_OK)                 \
			fail_msg("refused %s %s: %s", type, json, d_.msg);     \
	} while (0)

#define BAD(type, id, json, want)                                                      \
	do {                                                                           \
		struct lb_diag d_;                                                     \
		lb_err e_ = check(type, id, json, NULL, &d_);                          \
		if (e_ != LB_ESCHEMA)                                                  \
			fail_msg("accepted %s %s (code %d)", type, json, e_);          \
		if (!strstr(d_.msg, want))                                             \
			fail_msg("message \"%s\" lacks \"%s\"", d_.msg, want);        \
	} while (0)

/* A valid penduduk with one field replaced: FIELD is the raw JSON text
 * "\"name\":value" or "" to use the base record. */
static char buf[4096];
static const char *pend(const char *extra)
{
	snprintf(buf, sizeof buf,
	         "{\"nik\":\"3324014501900001\",\"no_kk\":\"3324010101900001\",\"nama\":\"Siti\","
	         "\"tanggal_lahir\":\"1990-01-05\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"%s%s}",
	         extra[0] ? "," : "", extra);
	return buf;
}
#define PID "3324014501900001"

static char buf2[4096];
static const char *asp(const char *field_json)
{
	/* aspirasi: the field under test replaces the defaults it names */
	snprintf(buf2, sizeof buf2, "{\"pengusul\":\"Ibu Sri\",\"status\":\"diusulkan\",%s}",
	         field_json);
	return buf2;
}
#define ASP_BASE "\"tanggal\":\"2026-01-05\",\"usulan\":\"Lampu\""

static void builtin_schema_loads_and_knows_the_seven_types(void **state)
{
	static const char *types[] = {"penduduk", "keluarga", "program", "penerima",
	                              "kegiatan", "laporan",  "aspirasi"};
	(void)state;
	assert_true(lb_schema_latest() >= 1);
	assert_non_null(S);
	for (size_t i = 0; i < 7; i++)
		assert_non_null(lb_schema_type(S, types[i]));
	assert_null(lb_schema_get(0));
	assert_null(lb_schema_get(lb_schema_latest() + 1));
}

static void every_builtin_version_keeps_the_previous_ones_valid(void **state)
{
	(void)state;
	for (uint32_t v = 2; v <= lb_schema_latest(); v++) {
		struct lb_diag d = {0};
		if (!lb_schema_compatible(lb_schema_get(v - 1), lb_schema_get(v), &d))
			fail_msg("schema %u breaks %u: %s", v, v - 1, d.msg);
	}
}

static void a_complete_resident_is_valid(void **state)
{
	(void)state;
	OK("penduduk", PID, pend("\"agama\":\"islam\",\"rt\":\"001\",\"disabilitas\":false"));
}

static void string_max_counts_characters_not_bytes(void **state)
{
	char name[256], json[1024];
	(void)state;
	/* 100 x "é" (2 bytes each) is 100 characters: allowed */
	for (int i = 0; i < 100; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[200] = '\0';
	OK("penduduk", PID, pend("\"pekerjaan\":\"\xc3\xa9\xc3\xa9\xc3\xa9\""));
	snprintf(json, sizeof json, "{\"nik\":\"" PID "\",\"no_kk\":\"3324010101900001\",\"nama\":\"%s\","
	         "\"tanggal_lahir\":\"1990-01-05\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}", name);
	OK("penduduk", PID, json);
	name[200] = 'a'; /* 101 characters */
	name[201] = '\0';
	snprintf(json, sizeof json, "{\"nik\":\"" PID "\",\"no_kk\":\"3324010101900001\",\"nama\":\"%s\","
	         "\"tanggal_lahir\":\"1990-01-05\",\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}", name);
	BAD("penduduk", PID, json, "nama is longer than 100 characters");
}

static void string_refuses_line_breaks_text_allows_them(void **state)
{
	(void)state;
	BAD("penduduk", PID, pend("\"dusun\":\"Krajan\\nLor\""), "dusun contains a control character");
	OK("aspirasi", "A1", asp("\"tanggal\":\"2026-01-05\",\"usulan\":\"baris satu\\nbaris dua\""));
	BAD("aspirasi", "A1", asp("\"tanggal\":\"2026-01-05\",\"usulan\":\"bel\\u0007\""),
	    "usulan contains a control character");
}

static void a_required_string_may_not_be_empty(void **state)
{
	(void)state;
	BAD("aspirasi", "A1", "{\"pengusul\":\"\",\"status\":\"diusulkan\"," ASP_BASE "}",
	    "pengusul is required and may not be empty");
	OK("penduduk", PID, pend("\"pekerjaan\":\"\"")); /* optional: empty is allowed */
}

static void integer_range_edges(void **state)
{
	static const char *kel = "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"" PID
	                         "\",\"desil\":%d}";
	char json[256];
	(void)state;
	snprintf(json, sizeof json, kel, 1);
	OK("keluarga", "3324010101900001", json);
	snprintf(json, sizeof json, kel, 10);
	OK("keluarga", "3324010101900001", json);
	snprintf(json, sizeof json, kel, 0);
	BAD("keluarga", "3324010101900001", json, "desil 0 is outside 1..10");
	snprintf(json, sizeof json, kel, 11);
	BAD("keluarga", "3324010101900001", json, "desil 11 is outside 1..10");
	snprintf(json, sizeof json, kel, -3);
	BAD("keluarga", "3324010101900001", json, "desil -3 is outside 1..10");
	BAD("keluarga", "3324010101900001",
	    "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"" PID "\",\"desil\":\"3\"}",
	    "desil must be a number");
	BAD("keluarga", "3324010101900001",
	    "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"" PID "\",\"desil\":3.5}",
	    "desil must be a number");
}

static void rupiah_is_zero_to_ten_to_the_fifteen(void **state)
{
	static const char *prg = "{\"kode\":\"P1\",\"nama\":\"Posyandu\",\"bidang\":\"kesehatan\","
	                         "\"tahun\":2026,\"anggaran\":%s}";
	char json[256];
	(void)state;
	snprintf(json, sizeof json, prg, "0");
	OK("program", "P1", json);
	snprintf(json, sizeof json, prg, "1000000000000000");
	OK("program", "P1", json);
	snprintf(json, sizeof json, prg, "1000000000000001");
	BAD("program", "P1", json, "anggaran 1000000000000001 is outside");
	snprintf(json, sizeof json, prg, "-5");
	BAD("program", "P1", json, "anggaran -5 is outside");
}

static void dates_must_exist_on_the_calendar(void **state)
{
	static const struct {
		const char *d;
		int ok;
	} cases[] = {
		{"2024-02-29", 1}, {"2000-02-29", 1}, {"1900-01-01", 1}, {"2100-12-31", 1},
		{"2023-02-29", 0}, {"1900-02-29", 0}, {"2026-02-30", 0}, {"2026-13-01", 0},
		{"2026-04-31", 0}, {"1899-12-31", 0}, {"2026-1-01", 0},  {"2026-01-1", 0},
		{"26-01-01", 0},   {"2026/01/01", 0}, {"2026-00-10", 0}, {"2026-01-00", 0},
	};
	char extra[128];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(extra, sizeof extra, "\"tanggal\":\"%s\",\"usulan\":\"x\"", cases[i].d);
		if (cases[i].ok)
			OK("aspirasi", "A1", asp(extra));
		else {
			char want[64];
			snprintf(want, sizeof want, "tanggal \"%s\" is not a date", cases[i].d);
			BAD("aspirasi", "A1", asp(extra), want);
		}
	}
}

static void periods_are_months_or_quarters(void **state)
{
	static const char *lap = "{\"periode\":\"%s\",\"bidang\":\"sosial\",\"ringkasan\":\"r\"}";
	static const char *good[] = {"2026-01", "2026-12", "2026-Q1", "2026-Q4"};
	static const char *bad[] = {"2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-1", "26-01", "2026Q1"};
	char json[128];
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(json, sizeof json, lap, good[i]);
		OK("laporan", "L1", json);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(json, sizeof json, lap, bad[i]);
		BAD("laporan", "L1", json, "is not a period");
	}
}

static void enums_take_only_their_values(void **state)
{
	(void)state;
	OK("penduduk", PID, pend("\"agama\":\"khonghucu\""));
	BAD("penduduk", PID, pend("\"agama\":\"Islam\""), "agama \"Islam\" is not one of islam,");
	BAD("penduduk", PID, pend("\"agama\":\"\""), "agama \"\" is not one of");
}

static void booleans_are_true_or_false(void **state)
{
	(void)state;
	OK("penduduk", PID, pend("\"disabilitas\":true"));
	BAD("penduduk", PID, pend("\"disabilitas\":\"ya\""), "disabilitas must be true or false");
	BAD("penduduk", PID, pend("\"disabilitas\":1"), "disabilitas must be true or false");
}

static void digits_have_exactly_their_length(void **state)
{
	(void)state;
	OK("penduduk", PID, pend("\"rt\":\"007\""));
	BAD("penduduk", PID, pend("\"rt\":\"07\""), "rt \"07\" is not exactly 3 digits");
	BAD("penduduk", PID, pend("\"rt\":\"0a7\""), "rt \"0a7\" is not exactly 3 digits");
	BAD("penduduk", PID, pend("\"rt\":7"), "rt must be a string");
}

static void nik_structure(void **state)
{
	static const struct {
		const char *nik;
		const char *why; /* NULL: valid */
	} cases[] = {
		{"3324010101900001", NULL},
		{"1101010101900001", NULL},                 /* province 11 */
		{"9401010101900001", NULL},                 /* province 94 */
		{"3324014101900001", NULL},                 /* a woman born on the 1st */
		{"3324017112900001", NULL},                 /* a woman born on the 31st */
		{"1001010101900001", "region code"},        /* province 10 */
		{"9501010101900001", "region code"},        /* province 95 */
		{"3300010101900001", "region code"},        /* kabupaten 00 */
		{"3324000101900001", "region code"},        /* kecamatan 00 */
		{"3324013201900001", "birth date"},         /* day 32 */
		{"3324017201900001", "birth date"},         /* day 72 (woman's 32) */
		{"3324010113900001", "birth date"},         /* month 13 */
		{"3324010101900000", "serial number 0000"},
		{"332401010190001", "is not 16 digits"},
		{"33240101019000a1", "is not 16 digits"},
	};
	char json[256];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(json, sizeof json,
		         "{\"no_kk\":\"3324010101900001\",\"kepala_keluarga\":\"%s\"}", cases[i].nik);
		if (!cases[i].why)
			OK("keluarga", "3324010101900001", json);
		else
			BAD("keluarga", "3324010101900001", json, cases[i].why);
	}
}

static bool only_prg1(void *ctx, const char *type, const char *id, size_t len)
{
	++*(int *)ctx;
	return !strcmp(type, "program") && len == 5 && !memcmp(id, "PRG-1", 5);
}

static void references_must_name_a_live_record(void **state)
{
	static const char *pnr = "{\"program\":\"%s\",\"nik\":\"" PID "\",\"tanggal\":\"2026-03-01\","
	                         "\"bentuk\":\"uang\",\"status\":\"diusulkan\"}";
	char json[256];
	int calls = 0;
	struct lb_refs refs = {only_prg1, &calls};
	struct lb_diag d;
	(void)state;
	snprintf(json, sizeof json, pnr, "PRG-1");
	assert_int_equal(check("penerima", "X", json, &refs, &d), LB_OK);
	assert_int_equal(calls, 1);
	snprintf(json, sizeof json, pnr, "PRG-2");
	assert_int_equal(check("penerima", "X", json, &refs, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "program \"PRG-2\": no such program record"));
	/* NULL refs: the reference is not looked up (history re-checks) */
	assert_int_equal(check("penerima", "X", json, NULL, &d), LB_OK);
}

static void unknown_types_and_fields_are_refused(void **state)
{
	(void)state;
	BAD("warga", "x", "{\"nama\":\"x\"}", "unknown record type \"warga\"");
	BAD("penduduk", PID, pend("\"umur\":34"), "field \"umur\" is not part of penduduk");
}

static void required_fields_must_be_present(void **state)
{
	(void)state;
	BAD("aspirasi", "A1", "{\"pengusul\":\"x\",\"status\":\"diusulkan\",\"tanggal\":\"2026-01-05\"}",
	    "usulan is required");
}

static void null_and_nested_values_are_refused(void **state)
{
	(void)state;
	BAD("penduduk", PID, pend("\"agama\":null"), "agama is null");
	BAD("penduduk", PID, pend("\"dusun\":[\"a\"]"), "dusun must be a single value");
	BAD("penduduk", PID, pend("\"dusun\":{\"a\":1}"), "dusun must be a single value");
}

static void the_id_must_equal_the_id_field(void **state)
{
	(void)state;
	BAD("penduduk", "3324014501900002", pend(""), "the record id must equal its nik");
}

/* ---- the parser ------------------------------------------------------ */

static void parse_bad(const char *text, const char *want)
{
	struct lb_schema *s = NULL;
	struct lb_diag d = {0};
	lb_err e = lb_schema_parse(&s, text, strlen(text), &d);
	if (e != LB_EMALFORMED)
		fail_msg("parsed a bad schema (code %d): %s", e, text);
	assert_null(s);
	if (!strstr(d.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", d.msg, want);
}

static void the_parser_names_the_line_of_each_mistake(void **state)
{
	(void)state;
	parse_bad("type a\n  x string(3)\n", "schema line 1");
	parse_bad("schema 1\ntype a\n  x strang(3)\n", "schema line 3: unknown kind");
	parse_bad("schema 1\ntype a\n  x string(3)\n  x date\n", "schema line 4: field x defined twice");
	parse_bad("schema 1\ntype a id=y\n  x string(3) required\n", "id=y must name");
	parse_bad("schema 1\ntype a id=x\n  x string(3)\n", "id=x must name"); /* optional */
	parse_bad("schema 1\ntype a\n  x ref(b)\n", "refers to unknown type b");
	parse_bad("schema 1\n  x string(3)\n", "schema line 2: a field line before");
	parse_bad("schema 1\ntype a\n  x integer(5..1)\n", "range");
	parse_bad("schema 1\ntype a\n  x string\n", "needs an argument");
	parse_bad("schema 1\ntype a\n  x date(3)\n", "takes no argument");
	parse_bad("schema 1\ntype a\n  x enum(a,,b)\n", "empty value");
	parse_bad("schema 1\ntype A\n  x date\n", "bad type name");
	parse_bad("schema 1\ntype a\n  x date optional\n", "FIELD KIND [required]");
	parse_bad("schema 1\n", "no types");
}

static struct lb_schema *parse_ok(const char *text)
{
	struct lb_schema *s = NULL;
	struct lb_diag d = {0};
	if (lb_schema_parse(&s, text, strlen(text), &d) != LB_OK)
		fail_msg("did not parse: %s", d.msg);
	return s;
}

static void compatibility_allows_only_additions(void **state)
{
	static const char *v1 = "schema 1\ntype a id=k\n  k string(10) required\n"
	                        "  n integer(1..10)\n  e enum(x,y)\n  t text(50)\n";
	static const struct {
		const char *v2;
		bool ok;
		const char *why;
	} cases[] = {
		{"schema 2\ntype a id=k\n  k string(10) required\n  n integer(1..10)\n  e enum(x,y,z)\n"
		 "  t text(50)\n  baru date\n", true, NULL},
		{"schema 2\ntype a id=k\n  k string(10) required\n  n integer(0..20)\n  e enum(x,y)\n"
		 "  t text(80)\n", true, NULL},
		{"schema 2\ntype a id=k\n  k string(10) required\n  n integer(1..10)\n  e enum(x,y)\n"
		 "  t text(50)\n  baru date required\n", false, "must be optional"},
		{"schema 2\ntype a id=k\n  k string(10) required\n  n integer(1..10)\n  e enum(x)\n"
		 "  t text(50)\n", false, "enum value y was removed"},
		{"schema 2\ntype a id=k\n  k string(10) required\n  n integer(2..10)\n  e enum(x,y)\n"
		 "  t text(50)\n", false, "narrowed"},
		{"schema 2\ntype a id=k\n  k string(10) required\n  n rupiah\n  e enum(x,y)\n"
		 "  t text(50)\n", false, "narrowed"},
		{"schema 2\ntype a id=k\n  k string(10) required\n  n integer(1..10) required\n"
		 "  e enum(x,y)\n  t text(50)\n", false, "narrowed"},
		{"schema 2\ntype a id=k\n  k string(10) required\n  e enum(x,y)\n  t text(50)\n", false,
		 "a.n was removed"},
		{"schema 2\ntype b\n  k string(10) required\n", false, "type a was removed"},
	};
	struct lb_schema *old = parse_ok(v1);
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct lb_schema *nw = parse_ok(cases[i].v2);
		struct lb_diag d = {0};
		bool got = lb_schema_compatible(old, nw, &d);
		if (got != cases[i].ok)
			fail_msg("case %zu: compatible=%d, want %d (%s)", i, got, cases[i].ok, d.msg);
		if (!got && !strstr(d.msg, cases[i].why))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, d.msg, cases[i].why);
		lb_schema_free(nw);
	}
	lb_schema_free(old);
}

/* ---- text values (CSV cells, field=value) ----------------------------- */

static void text_values_are_typed_by_the_field(void **state)
{
	const struct lb_type *kel = lb_schema_type(S, "keluarga");
	const struct lb_type *pen = lb_schema_type(S, "penduduk");
	const struct lb_field *money = lb_type_field(kel, "penghasilan_bulanan", 19);
	const struct lb_field *dis = lb_type_field(pen, "disabilitas", 11);
	const struct lb_field *nama = lb_type_field(pen, "nama", 4);
	bool is_num, is_bool, b;
	int64_t n;
	struct lb_diag d = {0};
	static const char *yes[] = {"true", "ya", "YA", "1", "y"}, *no[] = {"false", "tidak", "0", "n"};
	(void)state;

	assert_int_equal(lb_field_parse_text(money, "1.500.000", &is_num, &n, &is_bool, &b, &d), LB_OK);
	assert_true(is_num);
	assert_int_equal(n, 1500000);
	assert_int_equal(lb_field_parse_text(money, "1,500,000", &is_num, &n, &is_bool, &b, &d), LB_OK);
	assert_int_equal(n, 1500000);
	assert_int_equal(lb_field_parse_text(money, "satu juta", &is_num, &n, &is_bool, &b, &d),
	                 LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "is not a whole number"));
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		assert_int_equal(lb_field_parse_text(dis, yes[i], &is_num, &n, &is_bool, &b, &d), LB_OK);
		assert_true(is_bool && b);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		assert_int_equal(lb_field_parse_text(dis, no[i], &is_num, &n, &is_bool, &b, &d), LB_OK);
		assert_true(is_bool && !b);
	}
	assert_int_equal(lb_field_parse_text(dis, "mungkin", &is_num, &n, &is_bool, &b, &d), LB_ESCHEMA);
	assert_int_equal(lb_field_parse_text(nama, "123", &is_num, &n, &is_bool, &b, &d), LB_OK);
	assert_false(is_num || is_bool); /* a string field stays a string */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_schema_loads_and_knows_the_seven_types),
		cmocka_unit_test(every_builtin_version_keeps_the_previous_ones_valid),
		cmocka_unit_test(a_complete_resident_is_valid),
		cmocka_unit_test(string_max_counts_characters_not_bytes),
		cmocka_unit_test(string_refuses_line_breaks_text_allows_them),
		cmocka_unit_test(a_required_string_may_not_be_empty),
		cmocka_unit_test(integer_range_edges),
		cmocka_unit_test(rupiah_is_zero_to_ten_to_the_fifteen),
		cmocka_unit_test(dates_must_exist_on_the_calendar),
		cmocka_unit_test(periods_are_months_or_quarters),
		cmocka_unit_test(enums_take_only_their_values),
		cmocka_unit_test(booleans_are_true_or_false),
		cmocka_unit_test(digits_have_exactly_their_length),
		cmocka_unit_test(nik_structure),
		cmocka_unit_test(references_must_name_a_live_record),
		cmocka_unit_test(unknown_types_and_fields_are_refused),
		cmocka_unit_test(required_fields_must_be_present),
		cmocka_unit_test(null_and_nested_values_are_refused),
		cmocka_unit_test(the_id_must_equal_the_id_field),
		cmocka_unit_test(the_parser_names_the_line_of_each_mistake),
		cmocka_unit_test(compatibility_allows_only_additions),
		cmocka_unit_test(text_values_are_typed_by_the_field),
	};
	struct lb_diag d = {0};

	if (lb_schema_builtin_init(&d)) {
		fprintf(stderr, "built-in schema: %s\n", d.msg);
		return 1;
	}
	S = lb_schema_get(lb_schema_latest());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
