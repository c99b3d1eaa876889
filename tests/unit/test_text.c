/*
 * test_text.c — unit tests for schema/text.h: UTF-8 validity, record type
 * names, record ids and Kemendagri region codes.
 *
 * The UTF-8 cases follow RFC 3629 and Unicode §3.9 Table 3-7 edge by edge:
 * the first and last well-formed sequence of each length, and the byte just
 * outside every range (overlongs, surrogates, code points above U+10FFFF,
 * truncated sequences, stray continuation bytes and NUL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../schema/text.h"

/* Byte strings with explicit lengths: they may contain NUL. */
#define U8(lit) (lit), (sizeof(lit) - 1)

/* ---- lb_utf8_valid ----------------------------------------------------- */

static void utf8_accepts_ascii_and_empty(void **state)
{
	(void)state;
	assert_true(lb_utf8_valid("", 0));
	assert_true(lb_utf8_valid(U8("penduduk 33.24.01.2001 ~")));
	assert_true(lb_utf8_valid(U8("\x01\x1f\x7f"))); /* controls are valid UTF-8 */
}

static void utf8_accepts_boundaries_of_every_sequence_length(void **state)
{
	(void)state;
	assert_true(lb_utf8_valid(U8("\xc2\x80")));         /* U+0080   */
	assert_true(lb_utf8_valid(U8("\xdf\xbf")));         /* U+07FF   */
	assert_true(lb_utf8_valid(U8("\xe0\xa0\x80")));     /* U+0800   */
	assert_true(lb_utf8_valid(U8("\xed\x9f\xbf")));     /* U+D7FF   */
	assert_true(lb_utf8_valid(U8("\xee\x80\x80")));     /* U+E000   */
	assert_true(lb_utf8_valid(U8("\xef\xbf\xbf")));     /* U+FFFF   */
	assert_true(lb_utf8_valid(U8("\xf0\x90\x80\x80"))); /* U+10000  */
	assert_true(lb_utf8_valid(U8("\xf4\x8f\xbf\xbf"))); /* U+10FFFF */
	/* Real text: "Kesejahteraan" in Javanese script, an emoji, Indonesian. */
	assert_true(lb_utf8_valid(U8("\xea\xa6\x8f\xea\xa6\xba \xf0\x9f\x8c\xbe Sejahtera")));
}

static void utf8_refuses_nul_anywhere(void **state)
{
	(void)state;
	assert_false(lb_utf8_valid(U8("\0")));
	assert_false(lb_utf8_valid(U8("abc\0")));
	assert_false(lb_utf8_valid(U8("\0abc")));
	assert_false(lb_utf8_valid(U8("ab\0cd")));
	/* Only the given length counts: a NUL just past it is not looked at. */
	assert_true(lb_utf8_valid("ab\0cd", 2));
}

static void utf8_refuses_overlong_forms(void **state)
{
	(void)state;
	assert_false(lb_utf8_valid(U8("\xc0\x80")));             /* NUL, 2 bytes   */
	assert_false(lb_utf8_valid(U8("\xc0\xaf")));             /* '/', 2 bytes   */
	assert_false(lb_utf8_valid(U8("\xc1\xbf")));             /* U+007F         */
	assert_false(lb_utf8_valid(U8("\xe0\x80\x80")));         /* NUL, 3 bytes   */
	assert_false(lb_utf8_valid(U8("\xe0\x9f\xbf")));         /* U+07FF, 3 bytes */
	assert_false(lb_utf8_valid(U8("\xf0\x80\x80\x80")));     /* NUL, 4 bytes   */
	assert_false(lb_utf8_valid(U8("\xf0\x8f\xbf\xbf")));     /* U+FFFF, 4 bytes */
	assert_false(lb_utf8_valid(U8("\xf8\x88\x80\x80\x80"))); /* 5-byte form   */
	assert_false(lb_utf8_valid(U8("\xfc\x84\x80\x80\x80\x80")));
}

static void utf8_refuses_surrogates(void **state)
{
	(void)state;
	assert_false(lb_utf8_valid(U8("\xed\xa0\x80")));             /* U+D800 */
	assert_false(lb_utf8_valid(U8("\xed\xad\xbf")));             /* U+DB7F */
	assert_false(lb_utf8_valid(U8("\xed\xb0\x80")));             /* U+DC00 */
	assert_false(lb_utf8_valid(U8("\xed\xbf\xbf")));             /* U+DFFF */
	assert_false(lb_utf8_valid(U8("\xed\xa0\xbd\xed\xb8\x80"))); /* CESU pair */
}

static void utf8_refuses_code_points_above_10ffff(void **state)
{
	(void)state;
	assert_false(lb_utf8_valid(U8("\xf4\x90\x80\x80"))); /* U+110000 */
	assert_false(lb_utf8_valid(U8("\xf4\xbf\xbf\xbf")));
	assert_false(lb_utf8_valid(U8("\xf5\x80\x80\x80")));
	assert_false(lb_utf8_valid(U8("\xf7\xbf\xbf\xbf")));
	assert_false(lb_utf8_valid(U8("\xfe")));
	assert_false(lb_utf8_valid(U8("\xff")));
}

static void utf8_refuses_truncated_sequences(void **state)
{
	(void)state;
	assert_false(lb_utf8_valid(U8("\xc3")));
	assert_false(lb_utf8_valid(U8("a\xc3")));
	assert_false(lb_utf8_valid(U8("\xe2\x82")));
	assert_false(lb_utf8_valid(U8("\xe2")));
	assert_false(lb_utf8_valid(U8("\xf0\x9f\x8c")));
	assert_false(lb_utf8_valid(U8("\xf0\x9f")));
	assert_false(lb_utf8_valid(U8("\xf0")));
	/* A sequence cut short by the length even though the bytes go on. */
	assert_false(lb_utf8_valid("\xe2\x82\xac", 2));
	assert_true(lb_utf8_valid("\xe2\x82\xac", 3)); /* the euro sign */
	/* A lead byte followed by a non-continuation byte. */
	assert_false(lb_utf8_valid(U8("\xc3" "a")));
	assert_false(lb_utf8_valid(U8("\xe2\x82" "a")));
	assert_false(lb_utf8_valid(U8("\xf0\x9f\x8c" "a")));
	assert_false(lb_utf8_valid(U8("\xe2\xc2\xac")));
}

static void utf8_refuses_stray_continuation_bytes(void **state)
{
	(void)state;
	assert_false(lb_utf8_valid(U8("\x80")));
	assert_false(lb_utf8_valid(U8("\xbf")));
	assert_false(lb_utf8_valid(U8("a\x80z")));
	assert_false(lb_utf8_valid(U8("\xc3\xa9\xa9"))); /* one continuation too many */
}

/* ---- lb_type_check ----------------------------------------------------- */

static void type_check_accepts_lowercase_and_underscore(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_type_check("penduduk", &d), LB_OK);
	assert_int_equal(lb_type_check("_", &d), LB_OK);
	assert_int_equal(lb_type_check("a", &d), LB_OK);
	assert_int_equal(lb_type_check("pemberdayaan_keluarga", NULL), LB_OK);
	/* exactly LB_TYPE_MAX characters */
	assert_int_equal(lb_type_check("abcdefghijklmnopqrstuvwxyz_abcde", &d), LB_OK);
	assert_int_equal(strlen("abcdefghijklmnopqrstuvwxyz_abcde"), LB_TYPE_MAX);
}

static void type_check_refuses_empty_and_null(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_type_check("", &d), LB_EINVAL);
	assert_int_equal(d.code, LB_EINVAL);
	assert_non_null(strstr(d.msg, "empty"));
	assert_int_equal(lb_type_check(NULL, &d), LB_EINVAL);
	assert_int_equal(lb_type_check("", NULL), LB_EINVAL);
}

static void type_check_refuses_names_longer_than_32(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_type_check("abcdefghijklmnopqrstuvwxyz_abcdef", &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "32"));
}

static void type_check_refuses_characters_outside_a_z_underscore(void **state)
{
	static const char *bad[] = {
		"Penduduk", "pendudukA", "penduduk1", "pen-duduk", "pen duduk", "pen.duduk",
		"pen/duduk", "\xc3\xa9tat", "pen\tduduk", "`", "{",  "@",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lb_diag d = {0};
		if (lb_type_check(bad[i], &d) != LB_EINVAL)
			fail_msg("type \"%s\" was accepted", bad[i]);
		assert_int_equal(d.code, LB_EINVAL);
		assert_true(d.msg[0] != '\0');
	}
}

/* ---- lb_id_check ------------------------------------------------------- */

static void id_check_accepts_utf8_ids_up_to_128_bytes(void **state)
{
	char id[LB_ID_MAX];
	(void)state;
	assert_int_equal(lb_id_check(U8("3324010101900001"), NULL), LB_OK);
	assert_int_equal(lb_id_check(U8("a"), NULL), LB_OK);
	assert_int_equal(lb_id_check(U8("Pak Slamet / RT 02"), NULL), LB_OK);
	assert_int_equal(lb_id_check(U8("\xea\xa6\x8f-\xf0\x9f\x8c\xbe"), NULL), LB_OK);
	memset(id, 'x', sizeof id);
	assert_int_equal(lb_id_check(id, LB_ID_MAX, NULL), LB_OK);
}

static void id_check_refuses_empty_id(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_id_check("", 0, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "empty"));
}

static void id_check_refuses_129_bytes_with_etoobig(void **state)
{
	char id[LB_ID_MAX + 1];
	struct lb_diag d = {0};
	(void)state;
	memset(id, 'x', sizeof id);
	assert_int_equal(lb_id_check(id, sizeof id, &d), LB_ETOOBIG);
	assert_int_equal(d.code, LB_ETOOBIG);
	assert_non_null(strstr(d.msg, "129"));
}

static void id_check_refuses_invalid_utf8(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_id_check(U8("id\xc0\xaf"), &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "UTF-8"));
	assert_int_equal(lb_id_check(U8("id\xed\xa0\x80"), NULL), LB_EINVAL);
	assert_int_equal(lb_id_check(U8("id\xe2\x82"), NULL), LB_EINVAL);
	assert_int_equal(lb_id_check(U8("id\0x"), NULL), LB_EINVAL);
}

static void id_check_refuses_control_characters(void **state)
{
	static const char *bad[] = {"a\nb", "a\rb", "a\tb", "\x1b[31m", "a\x7f", "\x01"};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lb_diag d = {0};
		if (lb_id_check(bad[i], strlen(bad[i]), &d) != LB_EINVAL)
			fail_msg("id %zu with a C0 control character was accepted", i);
		assert_non_null(strstr(d.msg, "control"));
	}
}

static void id_check_refuses_c1_control_characters(void **state)
{
	/* U+0080..U+009F are control characters too (Unicode category Cc);
	 * U+0085 is NEL, a line break, and U+009B is CSI, which terminals
	 * read as an escape sequence introducer. */
	(void)state;
	assert_int_equal(lb_id_check(U8("a\xc2\x85" "b"), NULL), LB_EINVAL);
	assert_int_equal(lb_id_check(U8("\xc2\x9b" "31m"), NULL), LB_EINVAL);
	assert_int_equal(lb_id_check(U8("\xc2\x80"), NULL), LB_EINVAL);
	assert_int_equal(lb_id_check(U8("\xc2\x9f"), NULL), LB_EINVAL);
	/* The neighbours are ordinary characters. */
	assert_int_equal(lb_id_check(U8("\xc2\xa0"), NULL), LB_OK); /* NBSP */
	assert_int_equal(lb_id_check(U8("\xc3\x85"), NULL), LB_OK); /* Å */
}

/* ---- lb_region_level --------------------------------------------------- */

static void region_level_recognises_the_four_forms(void **state)
{
	(void)state;
	assert_int_equal(lb_region_level("33"), LB_REGION_PROVINSI);
	assert_int_equal(lb_region_level("33.24"), LB_REGION_KABUPATEN);
	assert_int_equal(lb_region_level("33.24.01"), LB_REGION_KECAMATAN);
	assert_int_equal(lb_region_level("33.24.01.2001"), LB_REGION_DESA);
	assert_int_equal(lb_region_level("00.00.00.0000"), LB_REGION_DESA);
	assert_int_equal(lb_region_level("99.99.99.9999"), LB_REGION_DESA);
}

static void region_level_refuses_malformed_codes(void **state)
{
	static const char *bad[] = {
		"",          "3",           "333",           "3a",             "33.",
		"33.2",      "33.245",      "33-24",         "33.24.",         "33.24.0",
		"33.24.011", "33.24.01.",   "33.24.01.200",  "33.24.01.20011", "33.24.01.200a",
		"33.24.01-2001", "33.24.01.2001.", "33,24",  " 33",            "33 ",
		"33.24.01.2001\n", "+3.24",   "33..24",       "33.24..01",      "a3.24.01.2001",
		"33.2x.01.2001", "33.24.x1.2001", "33.24.01.2x01", "33.24.01 2001", "3324012001",
	};
	(void)state;
	assert_int_equal(lb_region_level(NULL), LB_REGION_INVALID);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (lb_region_level(bad[i]) != LB_REGION_INVALID)
			fail_msg("\"%s\" was given level %d", bad[i], lb_region_level(bad[i]));
}

/* ---- lb_region_contains ------------------------------------------------ */

static void region_contains_villages_under_each_level(void **state)
{
	(void)state;
	assert_true(lb_region_contains("33", "33.24.01.2001"));
	assert_true(lb_region_contains("33.24", "33.24.01.2001"));
	assert_true(lb_region_contains("33.24.01", "33.24.01.2001"));
	/* A desa-level region serves exactly that desa. */
	assert_true(lb_region_contains("33.24.01.2001", "33.24.01.2001"));
}

static void region_contains_refuses_villages_elsewhere(void **state)
{
	(void)state;
	assert_false(lb_region_contains("34", "33.24.01.2001"));
	assert_false(lb_region_contains("33.25", "33.24.01.2001"));
	assert_false(lb_region_contains("33.24.02", "33.24.01.2001"));
	assert_false(lb_region_contains("33.24.01.2002", "33.24.01.2001"));
	/* Same digits, different level boundary. */
	assert_false(lb_region_contains("32", "33.24.01.2001"));
	assert_false(lb_region_contains("33.24.01", "33.24.10.2001"));
}

static void region_contains_refuses_invalid_arguments(void **state)
{
	(void)state;
	/* a bare string prefix that is not a region code */
	assert_false(lb_region_contains("3", "33.24.01.2001"));
	assert_false(lb_region_contains("33.2", "33.24.01.2001"));
	assert_false(lb_region_contains("33.24.01.", "33.24.01.2001"));
	assert_false(lb_region_contains("", "33.24.01.2001"));
	assert_false(lb_region_contains(NULL, "33.24.01.2001"));
	/* the second argument must be a desa code */
	assert_false(lb_region_contains("33", "33.24.01"));
	assert_false(lb_region_contains("33", "33.24"));
	assert_false(lb_region_contains("33", "33"));
	assert_false(lb_region_contains("33", "33.24.01.2001x"));
	assert_false(lb_region_contains("33", NULL));
}

static void escape_keeps_printable_ascii_and_hexes_every_other_byte(void **state)
{
	char out[LB_ESC_BUF], big[100];
	(void)state;
	assert_string_equal(lb_escape(out, "Siti Rahayu 001", 15), "Siti Rahayu 001");
	assert_string_equal(lb_escape(out, "", 0), "");
	/* line breaks, NUL, ESC, DEL and each byte of a non-ASCII character */
	assert_string_equal(lb_escape(out, "a\nb\r\0\x1b[\x7f", 8), "a\\x0ab\\x0d\\x00\\x1b[\\x7f");
	assert_string_equal(lb_escape(out, "D\xc3\xa9sa", 5), "D\\xc3\\xa9sa");
	/* the quote and the backslash get a backslash, so a quoted value cannot end early */
	assert_string_equal(lb_escape(out, "x\"y\\z", 5), "x\\\"y\\\\z");
	/* at most LB_ESC_SHOW bytes, then "..." */
	memset(big, 'k', sizeof big);
	assert_int_equal(strlen(lb_escape(out, big, sizeof big)), 40 + 3);
	assert_string_equal(out + 40, "...");
	memset(big, '\n', sizeof big);
	assert_int_equal(strlen(lb_escape(out, big, sizeof big)), 4 * 40 + 3);
	assert_true(strlen(out) < LB_ESC_BUF);
	assert_int_equal(strlen(lb_escape(out, big, 40)), 4 * 40);
	/* a longer text into a buffer: what fits, then "..." */
	{
		char small[16];
		assert_string_equal(lb_escape_buf(small, sizeof small, "ok\n", 3), "ok\\x0a");
		assert_string_equal(lb_escape_buf(small, sizeof small, "abcdefghijklmnopqrstuvwxyz", 26),
		                    "abcdefghijkl...");
		assert_string_equal(lb_escape_buf(small, sizeof small, "abcdefghij\r\n", 12),
		                    "abcdefghij...");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_accepts_ascii_and_empty),
		cmocka_unit_test(escape_keeps_printable_ascii_and_hexes_every_other_byte),
		cmocka_unit_test(utf8_accepts_boundaries_of_every_sequence_length),
		cmocka_unit_test(utf8_refuses_nul_anywhere),
		cmocka_unit_test(utf8_refuses_overlong_forms),
		cmocka_unit_test(utf8_refuses_surrogates),
		cmocka_unit_test(utf8_refuses_code_points_above_10ffff),
		cmocka_unit_test(utf8_refuses_truncated_sequences),
		cmocka_unit_test(utf8_refuses_stray_continuation_bytes),
		cmocka_unit_test(type_check_accepts_lowercase_and_underscore),
		cmocka_unit_test(type_check_refuses_empty_and_null),
		cmocka_unit_test(type_check_refuses_names_longer_than_32),
		cmocka_unit_test(type_check_refuses_characters_outside_a_z_underscore),
		cmocka_unit_test(id_check_accepts_utf8_ids_up_to_128_bytes),
		cmocka_unit_test(id_check_refuses_empty_id),
		cmocka_unit_test(id_check_refuses_129_bytes_with_etoobig),
		cmocka_unit_test(id_check_refuses_invalid_utf8),
		cmocka_unit_test(id_check_refuses_control_characters),
		cmocka_unit_test(id_check_refuses_c1_control_characters),
		cmocka_unit_test(region_level_recognises_the_four_forms),
		cmocka_unit_test(region_level_refuses_malformed_codes),
		cmocka_unit_test(region_contains_villages_under_each_level),
		cmocka_unit_test(region_contains_refuses_villages_elsewhere),
		cmocka_unit_test(region_contains_refuses_invalid_arguments),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
