/*
 * test_body.c — unit tests for node/body.h: record bodies between JSON and
 * canonical msgpack maps.
 *
 * Expected bytes were written from the msgpack specification and the
 * canonical rules in mp.h (keys sorted bytewise, smallest integer forms,
 * no floats), not produced by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/body.h"

/* ---- helpers ----------------------------------------------------------- */

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
	if (!j)
		fail_msg("test JSON does not parse: %s (%s)", err.text, text);
	return j;
}

static const char *hex(const void *b, size_t n)
{
	static char out[8192];
	assert_true(2 * n + 1 <= sizeof out);
	sodium_bin2hex(out, sizeof out, b, n);
	return out;
}

/* from_json(text) must succeed and give exactly want_hex, which must pass
 * the canonical body check and convert back to an equal JSON value. */
static void expect_encoding(const char *text, const char *want_hex)
{
	json_t *in = parse(text), *back;
	struct lb_mp_buf b;
	struct lb_diag d = {0};

	lb_mp_buf_init(&b);
	if (lb_body_from_json(&b, in, &d) != LB_OK)
		fail_msg("%s: %s", text, d.msg);
	if (strcmp(hex(b.sb.data, b.sb.size), want_hex) != 0)
		fail_msg("%s encoded to %s, want %s", text, hex(b.sb.data, b.sb.size), want_hex);
	if (lb_mp_check_body(b.sb.data, b.sb.size, &d) != LB_OK)
		fail_msg("%s: encoding fails the canonical check: %s", text, d.msg);
	back = lb_body_to_json(b.sb.data, b.sb.size, &d);
	if (!back)
		fail_msg("%s: to_json failed: %s", text, d.msg);
	if (!json_equal(in, back))
		fail_msg("%s did not round-trip", text);
	json_decref(back);
	json_decref(in);
	lb_mp_buf_free(&b);
}

static lb_err from_json_err(const json_t *j, struct lb_diag *d)
{
	struct lb_mp_buf b;
	lb_err e;
	lb_mp_buf_init(&b);
	e = lb_body_from_json(&b, j, d);
	lb_mp_buf_free(&b);
	return e;
}

static json_t *to_json_hex(const char *h, struct lb_diag *d)
{
	uint8_t buf[512];
	size_t n = 0;
	assert_int_equal(sodium_hex2bin(buf, sizeof buf, h, strlen(h), " ", &n, NULL), 0);
	return lb_body_to_json(buf, n, d);
}

/* {"a": {"a": ... {}}} with `levels` objects in all. */
static json_t *nested_objects(int levels, json_t *innermost)
{
	json_t *j = innermost ? innermost : json_object();
	for (int i = 1; i < levels; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "a", j);
		j = o;
	}
	return j;
}

/* ---- JSON -> msgpack ----------------------------------------------------- */

static void from_json_sorts_keys_bytewise_whatever_the_input_order(void **state)
{
	(void)state;
	/* "B" (0x42) < "a" < "ab" < "b" */
	expect_encoding("{\"b\":1,\"a\":2,\"ab\":3,\"B\":4}", "84a14204a16102a2616203a16201");
	expect_encoding("{\"B\":4,\"ab\":3,\"a\":2,\"b\":1}", "84a14204a16102a2616203a16201");
	expect_encoding("{\"ab\":3,\"b\":1,\"B\":4,\"a\":2}", "84a14204a16102a2616203a16201");
	/* multi-byte UTF-8 sorts after ASCII: "e" < "z" < "\u00e9" */
	expect_encoding("{\"\xc3\xa9\":1,\"z\":2,\"e\":3}", "83a16503a17a02a2c3a901");
}

static void from_json_writes_integers_in_smallest_form(void **state)
{
	(void)state;
	expect_encoding("{\"a\":0,\"b\":127,\"c\":128,\"d\":255,\"e\":256,\"f\":65536,"
	                "\"g\":4294967296,\"h\":9223372036854775807}",
	                "88a16100a1627fa163cc80a164ccffa165cd0100a166ce00010000"
	                "a167cf0000000100000000a168cf7fffffffffffffff");
}

static void from_json_writes_negative_integers_in_smallest_form(void **state)
{
	(void)state;
	expect_encoding("{\"a\":-1,\"b\":-32,\"c\":-33,\"d\":-128,\"e\":-129,\"f\":-32769,"
	                "\"g\":-2147483649,\"h\":-9223372036854775808}",
	                "88a161ffa162e0a163d0dfa164d080a165d1ff7fa166d2ffff7fff"
	                "a167d3ffffffff7fffffffa168d38000000000000000");
}

static void from_json_refuses_reals_naming_the_number(void **state)
{
	/* no record field is a fraction, and a float has no single canonical
	 * encoding (FORMAT.md §1): 1.0 is a JSON real, refused like 1.5 */
	static const char *const docs[] = {"{\"x\":1.5}", "{\"a\":1,\"y\":1.0}",
	                                   "{\"z\":[-0.25]}", "{\"w\":1e300}", "{\"v\":-0.0}"};
	static const char *const shown[] = {"1.5", "1", "-0.25", "1e+300", "-0"};
	(void)state;
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		json_t *in = parse(docs[i]);
		struct lb_mp_buf b;
		struct lb_diag d = {0};
		char want[64];

		lb_mp_buf_init(&b);
		assert_int_equal(lb_body_from_json(&b, in, &d), LB_EINVAL);
		snprintf(want, sizeof want, "the number %s has a fraction", shown[i]);
		if (!strstr(d.msg, want))
			fail_msg("%s: \"%s\" does not say \"%s\"", docs[i], d.msg, want);
		lb_mp_buf_free(&b);
		json_decref(in);
	}
}

static void from_json_encodes_nested_objects_and_arrays_canonically(void **state)
{
	(void)state;
	expect_encoding("{\"z\":{\"b\":[1,{\"d\":null,\"c\":true}],\"a\":false},\"s\":\"teks\","
	                "\"\":[]}",
	                "83a090a173a474656b73a17a82a161c2a162920182a163c3a164c0");
}

static void from_json_encodes_empty_objects(void **state)
{
	(void)state;
	expect_encoding("{}", "80");
	expect_encoding("{\"a\":{},\"b\":[{}]}", "82a16180a1629180");
}

static void from_json_uses_str8_and_map16_where_needed(void **state)
{
	char text[256], want[512];
	int n;
	(void)state;
	/* a 40-byte string value needs str8 */
	expect_encoding("{\"k\":\"0123456789012345678901234567890123456789\"}",
	                "81a16bd928"
	                "30313233343536373839303132333435363738393031323334353637383930313233343536373839");
	/* 16 keys need map16 */
	n = snprintf(text, sizeof text, "{");
	for (int i = 15; i >= 0; i--)
		n += snprintf(text + n, sizeof text - (size_t)n, "\"%c\":%d%s", 'a' + i, i,
		              i ? "," : "}");
	n = snprintf(want, sizeof want, "de0010");
	for (int i = 0; i < 16; i++)
		n += snprintf(want + n, sizeof want - (size_t)n, "a1%02x%02x", 'a' + i, i);
	expect_encoding(text, want);
}

static void from_json_appends_to_the_output_buffer(void **state)
{
	json_t *j = parse("{\"a\":1}");
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	lb_mp_put_nil(&b);
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	assert_string_equal(hex(b.sb.data, b.sb.size), "c081a16101");
	lb_mp_buf_free(&b);
	json_decref(j);
}

static void from_json_refuses_non_objects(void **state)
{
	static const char *bad[] = {"[]", "[{\"a\":1}]", "\"teks\"", "42", "1.5", "null", "true"};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = parse(bad[i]);
		struct lb_diag d = {0};
		if (from_json_err(j, &d) != LB_EINVAL)
			fail_msg("body %s was accepted", bad[i]);
		assert_non_null(strstr(d.msg, "object"));
		json_decref(j);
	}
	assert_int_equal(from_json_err(NULL, NULL), LB_EINVAL);
}

static void from_json_accepts_16_levels_and_refuses_17(void **state)
{
	json_t *j;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	(void)state;
	/* 16 nested objects: accepted, and the checker agrees */
	j = nested_objects(LB_MP_MAX_DEPTH, NULL);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_body_from_json(&b, j, &d), LB_OK);
	assert_int_equal(lb_mp_check_body(b.sb.data, b.sb.size, NULL), LB_OK);
	lb_mp_buf_free(&b);
	json_decref(j);
	/* 17: refused */
	j = nested_objects(LB_MP_MAX_DEPTH + 1, NULL);
	assert_int_equal(from_json_err(j, &d), LB_ETOOBIG);
	assert_int_equal(d.code, LB_ETOOBIG);
	assert_non_null(strstr(d.msg, "16"));
	json_decref(j);
	/* arrays count too: an object holding 16 nested arrays is 17 levels */
	j = json_array();
	for (int i = 1; i < LB_MP_MAX_DEPTH; i++) {
		json_t *a = json_array();
		json_array_append_new(a, j);
		j = a;
	}
	{
		json_t *o = json_object();
		json_object_set_new(o, "a", j);
		assert_int_equal(from_json_err(o, NULL), LB_ETOOBIG);
		/* one array fewer fits */
		json_object_set(o, "a", json_array_get(j, 0));
		assert_int_equal(from_json_err(o, NULL), LB_OK);
		json_decref(o);
	}
	/* a scalar below 16 objects is a 17th level */
	j = nested_objects(LB_MP_MAX_DEPTH, json_pack("{s:i}", "x", 1));
	assert_int_equal(from_json_err(j, NULL), LB_ETOOBIG);
	json_decref(j);
}

static void from_json_refuses_hostile_deep_nesting(void **state)
{
	json_t *j = nested_objects(10000, NULL);
	(void)state;
	assert_int_equal(from_json_err(j, NULL), LB_ETOOBIG);
	json_decref(j);
}

static void from_json_refuses_strings_with_nul_or_invalid_utf8(void **state)
{
	json_t *o = json_object();
	struct lb_diag d = {0};
	(void)state;
	json_object_set_new(o, "a", json_stringn("x\0y", 3));
	assert_int_equal(from_json_err(o, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "UTF-8"));
	json_object_set_new(o, "a", json_stringn_nocheck("\xc0\xaf", 2));
	assert_int_equal(from_json_err(o, NULL), LB_EINVAL);
	json_object_set_new(o, "a", json_pack("[s]", "ok"));
	json_array_append_new(json_object_get(o, "a"), json_stringn_nocheck("\xed\xa0\x80", 3));
	assert_int_equal(from_json_err(o, NULL), LB_EINVAL);
	json_decref(o);
	/* an invalid key */
	o = json_object();
	json_object_set_new_nocheck(o, "\xff", json_true());
	assert_int_equal(from_json_err(o, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "UTF-8"));
	json_decref(o);
}

static void from_json_limits_field_names_to_255_bytes(void **state)
{
	char name[LB_FIELD_NAME_MAX + 2];
	json_t *o = json_object();
	struct lb_diag d = {0};
	(void)state;
	memset(name, 'n', sizeof name - 1);
	name[LB_FIELD_NAME_MAX] = '\0';
	json_object_set_new(o, name, json_integer(1));
	assert_int_equal(from_json_err(o, NULL), LB_OK);
	json_decref(o);
	o = json_object();
	memset(name, 'n', sizeof name - 1);
	name[LB_FIELD_NAME_MAX + 1] = '\0';
	json_object_set_new(o, name, json_integer(1));
	assert_int_equal(from_json_err(o, &d), LB_ETOOBIG);
	assert_non_null(strstr(d.msg, "255"));
	json_decref(o);
}

/* ---- msgpack -> JSON ----------------------------------------------------- */

static void round_trip_gives_back_equal_json(void **state)
{
	static const char *docs[] = {
		"{}",
		"{\"nik\":\"3324010101900001\",\"nama\":\"Sri Rahayu\",\"rt\":2,\"rw\":5}",
		("{\"program\":{\"bidang\":\"kesehatan\",\"anggaran\":150000000,"
		 "\"target\":[25,50,150]},\"aktif\":true,\"catatan\":null}"),
		"{\"peserta\":[{\"id\":1},{\"id\":-2},[],[[]],\"\xea\xa6\x8f\"],\"x\":0}",
		"{\"min\":-9223372036854775808,\"max\":9223372036854775807}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		json_t *in = parse(docs[i]), *back;
		struct lb_mp_buf b;
		struct lb_diag d = {0};
		lb_mp_buf_init(&b);
		assert_int_equal(lb_body_from_json(&b, in, &d), LB_OK);
		assert_int_equal(lb_mp_check_body(b.sb.data, b.sb.size, &d), LB_OK);
		back = lb_body_to_json(b.sb.data, b.sb.size, &d);
		assert_non_null(back);
		if (!json_equal(in, back))
			fail_msg("document %zu did not round-trip", i);
		json_decref(back);
		json_decref(in);
		lb_mp_buf_free(&b);
	}
}

static void to_json_renders_bin_as_hex_and_huge_uints_as_reals(void **state)
{
	json_t *j;
	(void)state;
	j = to_json_hex("82 a162 c403 00abff a175 cfffffffffffffffff", NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "b")), "00abff");
	assert_true(json_is_real(json_object_get(j, "u")));
	assert_true(json_real_value(json_object_get(j, "u")) == 18446744073709551615.0);
	json_decref(j);
}

static void to_json_refuses_trailing_truncated_and_bad_keys(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_null(to_json_hex("80 00", &d));
	assert_int_equal(d.code, LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "trailing"));
	assert_null(to_json_hex("82 a161 01", &d));
	assert_int_equal(d.code, LB_EMALFORMED);
	assert_null(to_json_hex("81 01 01", &d)); /* integer key */
	assert_int_equal(d.code, LB_EMALFORMED);
	assert_null(to_json_hex("81 a3610062 01", &d)); /* NUL in key */
	assert_null(to_json_hex("dd ffffffff", &d));
	assert_int_equal(d.code, LB_EMALFORMED);
	assert_null(to_json_hex("", &d));
}

static void to_json_refuses_nesting_deeper_than_16(void **state)
{
	uint8_t b[LB_MP_MAX_DEPTH + 1];
	struct lb_diag d = {0};
	json_t *j;
	(void)state;
	memset(b, 0x91, sizeof b);
	b[LB_MP_MAX_DEPTH - 1] = 0x90;
	j = lb_body_to_json(b, LB_MP_MAX_DEPTH, &d);
	assert_non_null(j);
	json_decref(j);
	b[LB_MP_MAX_DEPTH - 1] = 0x91;
	b[LB_MP_MAX_DEPTH] = 0x90;
	assert_null(lb_body_to_json(b, sizeof b, &d));
	assert_int_equal(d.code, LB_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(from_json_sorts_keys_bytewise_whatever_the_input_order),
		cmocka_unit_test(from_json_writes_integers_in_smallest_form),
		cmocka_unit_test(from_json_writes_negative_integers_in_smallest_form),
		cmocka_unit_test(from_json_refuses_reals_naming_the_number),
		cmocka_unit_test(from_json_encodes_nested_objects_and_arrays_canonically),
		cmocka_unit_test(from_json_encodes_empty_objects),
		cmocka_unit_test(from_json_uses_str8_and_map16_where_needed),
		cmocka_unit_test(from_json_appends_to_the_output_buffer),
		cmocka_unit_test(from_json_refuses_non_objects),
		cmocka_unit_test(from_json_accepts_16_levels_and_refuses_17),
		cmocka_unit_test(from_json_refuses_hostile_deep_nesting),
		cmocka_unit_test(from_json_refuses_strings_with_nul_or_invalid_utf8),
		cmocka_unit_test(from_json_limits_field_names_to_255_bytes),
		cmocka_unit_test(round_trip_gives_back_equal_json),
		cmocka_unit_test(to_json_renders_bin_as_hex_and_huge_uints_as_reals),
		cmocka_unit_test(to_json_refuses_trailing_truncated_and_bad_keys),
		cmocka_unit_test(to_json_refuses_nesting_deeper_than_16),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
