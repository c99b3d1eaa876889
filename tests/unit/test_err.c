/*
 * test_err.c — unit tests for schema/err.h: the error vocabulary, its
 * stable names and exit statuses, and the diag helpers.
 *
 * Names and exit statuses are part of the wire and CLI contract, so they are
 * checked against a literal table here: renumbering or renaming a code must
 * make this test fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../schema/err.h"

static const struct {
	lb_err code;
	int number;
	const char *name;
} known[] = {
	{LB_OK, 0, "ok"},
	{LB_EINVAL, 1, "invalid"},
	{LB_ENOMEM, 2, "nomem"},
	{LB_EIO, 3, "io"},
	{LB_ENOTFOUND, 4, "not_found"},
	{LB_EEXIST, 5, "exists"},
	{LB_ECORRUPT, 6, "corrupt"},
	{LB_EMALFORMED, 7, "malformed"},
	{LB_ESCHEMA, 8, "schema"},
	{LB_EKEY, 9, "key"},
	{LB_EPERM, 10, "key_perm"},
	{LB_ESIG, 11, "bad_signature"},
	{LB_ETOOBIG, 12, "too_large"},
	{LB_ESTORE, 13, "store"},
	{LB_EFULL, 14, "disk_full"},
	{LB_EBUSY, 15, "busy"},
	{LB_EUNKNOWN_ORIGIN, 16, "unknown_origin"},
	{LB_EWRONG_VILLAGE, 17, "wrong_village"},
	{LB_EGAP, 18, "gap"},
	{LB_EFORK, 19, "fork"},
	{LB_ENET, 20, "network"},
	{LB_EREFUSED, 21, "refused"},
	{LB_EAUTH, 22, "unauthorized"},
	{LB_EFORBIDDEN, 23, "forbidden"},
};
#define NKNOWN (sizeof known / sizeof known[0])

static void codes_keep_their_stable_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKNOWN; i++)
		assert_int_equal((int)known[i].code, known[i].number);
	/* Every code is listed above: a new code must be added to this test. */
	assert_int_equal((int)LB__ECOUNT, (int)NKNOWN);
}

static void errname_gives_the_stable_wire_name_of_every_code(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKNOWN; i++)
		assert_string_equal(lb_errname(known[i].code), known[i].name);
}

static void errnames_are_unique_lowercase_identifiers(void **state)
{
	(void)state;
	for (int a = 0; a < LB__ECOUNT; a++) {
		const char *n = lb_errname((lb_err)a);
		assert_true(n[0] != '\0');
		for (const char *p = n; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
				fail_msg("name \"%s\" of code %d has character '%c'", n, a, *p);
		for (int b = a + 1; b < LB__ECOUNT; b++)
			if (strcmp(n, lb_errname((lb_err)b)) == 0)
				fail_msg("codes %d and %d share the name \"%s\"", a, b, n);
	}
}

static void strerror_gives_a_distinct_description_for_every_code(void **state)
{
	(void)state;
	assert_string_equal(lb_strerror(LB_OK), "success");
	assert_string_equal(lb_strerror(LB_ENOTFOUND), "not found");
	assert_string_equal(lb_strerror(LB_ESIG), "bad signature");
	for (int a = 0; a < LB__ECOUNT; a++) {
		const char *t = lb_strerror((lb_err)a);
		assert_non_null(t);
		assert_true(strlen(t) > 2);
		assert_string_not_equal(t, "unknown error");
		for (int b = a + 1; b < LB__ECOUNT; b++)
			if (strcmp(t, lb_strerror((lb_err)b)) == 0)
				fail_msg("codes %d and %d share the text \"%s\"", a, b, t);
	}
}

static void unknown_codes_get_unknown_name_and_text(void **state)
{
	(void)state;
	assert_string_equal(lb_strerror(LB__ECOUNT), "unknown error");
	assert_string_equal(lb_errname(LB__ECOUNT), "unknown");
	assert_string_equal(lb_strerror((lb_err)1000), "unknown error");
	assert_string_equal(lb_errname((lb_err)1000), "unknown");
	assert_string_equal(lb_strerror((lb_err)-1), "unknown error");
	assert_string_equal(lb_errname((lb_err)-1), "unknown");
}

static void exit_status_is_0_for_ok_1_for_not_found_else_2_plus_code(void **state)
{
	(void)state;
	assert_int_equal(lb_exit_status(LB_OK), 0);
	assert_int_equal(lb_exit_status(LB_ENOTFOUND), 1);
	assert_int_equal(lb_exit_status(LB_EINVAL), 3);
	assert_int_equal(lb_exit_status(LB_ESIG), 13);
	assert_int_equal(lb_exit_status(LB_EREFUSED), 23);
	for (int e = 0; e < LB__ECOUNT; e++) {
		int want = e == LB_OK ? 0 : e == LB_ENOTFOUND ? 1 : 2 + e;
		assert_int_equal(lb_exit_status((lb_err)e), want);
		/* an exit status must fit in the 8 bits a shell sees */
		assert_in_range(lb_exit_status((lb_err)e), 0, 125);
	}
}

static void fail_records_code_and_formatted_message(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_fail(&d, LB_ESCHEMA, "field %s: %d is out of range", "desil", 11),
	                 LB_ESCHEMA);
	assert_int_equal(d.code, LB_ESCHEMA);
	assert_string_equal(d.msg, "field desil: 11 is out of range");
}

static void fail_with_null_diag_still_returns_the_code(void **state)
{
	(void)state;
	assert_int_equal(lb_fail(NULL, LB_EFORK, "seq %d", 42), LB_EFORK);
	assert_int_equal(lb_fail(NULL, LB_OK, "nothing"), LB_OK);
}

static void fail_overwrites_an_earlier_message(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	lb_fail(&d, LB_EIO, "a first, rather longer message");
	lb_fail(&d, LB_EGAP, "second");
	assert_int_equal(d.code, LB_EGAP);
	assert_string_equal(d.msg, "second");
}

static void fail_truncates_a_message_longer_than_the_buffer(void **state)
{
	struct lb_diag d;
	char big[3 * LB_DIAG_MAX];
	(void)state;
	memset(&d, 0x55, sizeof d); /* no help from a zeroed buffer */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(lb_fail(&d, LB_ETOOBIG, "%s", big), LB_ETOOBIG);
	assert_int_equal(strlen(d.msg), LB_DIAG_MAX - 1);
	assert_int_equal(d.msg[LB_DIAG_MAX - 1], '\0');
	assert_memory_equal(d.msg, big, LB_DIAG_MAX - 1);
}

static void diag_prefix_puts_prefix_colon_space_before_message(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	lb_fail(&d, LB_ESCHEMA, "field nik: must be 16 digits");
	lb_diag_prefix(&d, "line %d", 12);
	assert_string_equal(d.msg, "line 12: field nik: must be 16 digits");
	assert_int_equal(d.code, LB_ESCHEMA);
	/* prefixes stack, outermost last */
	lb_diag_prefix(&d, "%s", "import.csv");
	assert_string_equal(d.msg, "import.csv: line 12: field nik: must be 16 digits");
}

static void diag_prefix_on_empty_message_uses_strerror(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	d.code = LB_EMALFORMED;
	lb_diag_prefix(&d, "entry seq");
	assert_int_equal(d.code, LB_EMALFORMED);
	assert_string_equal(d.msg, "entry seq: malformed input");
}

static void diag_prefix_with_null_diag_is_a_noop(void **state)
{
	(void)state;
	lb_diag_prefix(NULL, "line %d", 3); /* must not crash */
}

static void diag_prefix_truncates_a_long_message_and_keeps_the_prefix(void **state)
{
	struct lb_diag d = {0};
	char big[LB_DIAG_MAX], want[2 * LB_DIAG_MAX];
	(void)state;
	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	lb_fail(&d, LB_EGAP, "%s", big); /* a full buffer: 511 characters */
	assert_int_equal(strlen(d.msg), LB_DIAG_MAX - 1);
	lb_diag_prefix(&d, "seq %d", 7);
	snprintf(want, sizeof want, "seq 7: %s", big);
	want[LB_DIAG_MAX - 1] = '\0'; /* what fits */
	assert_int_equal(strlen(d.msg), LB_DIAG_MAX - 1);
	assert_string_equal(d.msg, want);
	assert_int_equal(d.code, LB_EGAP);
}

static void diag_prefix_longer_than_the_buffer_is_truncated_safely(void **state)
{
	struct lb_diag d = {0};
	char pre[2 * LB_DIAG_MAX];
	(void)state;
	memset(pre, 'p', sizeof pre - 1);
	pre[sizeof pre - 1] = '\0';
	lb_fail(&d, LB_EIO, "disk gone");
	lb_diag_prefix(&d, "%s", pre);
	assert_int_equal(d.code, LB_EIO);
	assert_int_equal(strlen(d.msg), LB_DIAG_MAX - 1);
	assert_int_equal(strspn(d.msg, "p"), LB_DIAG_MAX - 1);
}

static void diag_prefix_at_every_prefix_length_fills_the_buffer_exactly(void **state)
{
	/* For every prefix length the result is the first LB_DIAG_MAX - 1
	 * characters of "<prefix>: <message>" (or all of it when shorter). */
	char pre[LB_DIAG_MAX + 8], full[3 * LB_DIAG_MAX];
	(void)state;
	for (size_t n = 0; n < sizeof pre; n++) {
		struct lb_diag d = {0};
		size_t want;
		memset(pre, 'p', n);
		pre[n] = '\0';
		lb_fail(&d, LB_EIO, "%s", "the original message, which is kept after the prefix");
		snprintf(full, sizeof full, "%s: %s", pre, d.msg);
		lb_diag_prefix(&d, "%s", pre);
		want = strlen(full) < LB_DIAG_MAX - 1 ? strlen(full) : LB_DIAG_MAX - 1;
		if (strlen(d.msg) != want && !(n >= LB_DIAG_MAX - 2 && strlen(d.msg) == LB_DIAG_MAX - 2))
			fail_msg("prefix of %zu chars: message is %zu chars, want %zu", n,
			         strlen(d.msg), want);
		assert_memory_equal(d.msg, full, strlen(d.msg));
	}
}

static void diag_msg_falls_back_to_strerror(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_string_equal(lb_diag_msg(NULL, LB_ESIG), "bad signature");
	assert_string_equal(lb_diag_msg(&d, LB_EFORK), lb_strerror(LB_EFORK));
	lb_fail(&d, LB_EFORK, "seq 9 differs");
	assert_string_equal(lb_diag_msg(&d, LB_EFORK), "seq 9 differs");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codes_keep_their_stable_numbers),
		cmocka_unit_test(errname_gives_the_stable_wire_name_of_every_code),
		cmocka_unit_test(errnames_are_unique_lowercase_identifiers),
		cmocka_unit_test(strerror_gives_a_distinct_description_for_every_code),
		cmocka_unit_test(unknown_codes_get_unknown_name_and_text),
		cmocka_unit_test(exit_status_is_0_for_ok_1_for_not_found_else_2_plus_code),
		cmocka_unit_test(fail_records_code_and_formatted_message),
		cmocka_unit_test(fail_with_null_diag_still_returns_the_code),
		cmocka_unit_test(fail_overwrites_an_earlier_message),
		cmocka_unit_test(fail_truncates_a_message_longer_than_the_buffer),
		cmocka_unit_test(diag_prefix_puts_prefix_colon_space_before_message),
		cmocka_unit_test(diag_prefix_on_empty_message_uses_strerror),
		cmocka_unit_test(diag_prefix_with_null_diag_is_a_noop),
		cmocka_unit_test(diag_prefix_truncates_a_long_message_and_keeps_the_prefix),
		cmocka_unit_test(diag_prefix_longer_than_the_buffer_is_truncated_safely),
		cmocka_unit_test(diag_prefix_at_every_prefix_length_fills_the_buffer_exactly),
		cmocka_unit_test(diag_msg_falls_back_to_strerror),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
