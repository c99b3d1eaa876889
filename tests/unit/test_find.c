/*
 * test_find.c — `lumbung find` terms: = compares the value as put reads it,
 * ~ finds text inside a field ignoring case, FIELD= finds records without
 * the field, several terms all hold, `id` names the record id; bad terms
 * and unknown types and fields are refused naming them.  Every record is a
 * hand-written JSON body; which ones match is written out by hand.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../node/body.h"
#include "../../node/find.h"
#include "../../schema/mp.h"
#include "../../schema/schema.h"

static const struct {
	const char *id;
	const char *json;
} people[] = {
	{"3324011203800001", "{\"nik\":\"3324011203800001\",\"no_kk\":\"3324010101150001\","
	                     "\"nama\":\"Budi Santoso\",\"tanggal_lahir\":\"1980-03-12\","
	                     "\"jenis_kelamin\":\"L\",\"agama\":\"islam\",\"dusun\":\"Krajan\","
	                     "\"rt\":\"001\",\"status\":\"hidup\",\"disabilitas\":false}"},
	{"3324015507850002", "{\"nik\":\"3324015507850002\",\"no_kk\":\"3324010101150001\","
	                     "\"nama\":\"Siti Aminah Sari\",\"tanggal_lahir\":\"1985-07-15\","
	                     "\"jenis_kelamin\":\"P\",\"agama\":\"islam\",\"dusun\":\"Krajan\","
	                     "\"rt\":\"002\",\"status\":\"hidup\"}"},
	{"3324012512750004", "{\"nik\":\"3324012512750004\",\"no_kk\":\"3324010202160002\","
	                     "\"nama\":\"Yohanes SARIMAN\",\"tanggal_lahir\":\"1975-12-25\","
	                     "\"jenis_kelamin\":\"L\",\"agama\":\"katolik\",\"dusun\":\"Sidomulyo\","
	                     "\"rt\":\"001\",\"status\":\"hidup\",\"disabilitas\":true}"},
	{"3324011708880006", "{\"nik\":\"3324011708880006\",\"no_kk\":\"3324010303170003\","
	                     "\"nama\":\"I Wayan Sudarma\",\"tanggal_lahir\":\"1988-08-17\","
	                     "\"jenis_kelamin\":\"L\",\"status\":\"pindah\"}"},
};
#define NPEOPLE (sizeof people / sizeof people[0])

static struct lb_mp_buf bodies[NPEOPLE];

static int setup(void **state)
{
	(void)state;
	if (lb_schema_builtin_init(NULL))
		return -1;
	for (size_t i = 0; i < NPEOPLE; i++) {
		json_t *j = json_loads(people[i].json, 0, NULL);
		lb_mp_buf_init(&bodies[i]);
		if (!j || lb_body_from_json(&bodies[i], j, NULL))
			return -1;
		json_decref(j);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NPEOPLE; i++)
		lb_mp_buf_free(&bodies[i]);
	return 0;
}

/* Which people match: a string of 0/1, one per person. */
static void matches(const char *type, const char *want, int nterms, ...)
{
	char *terms[8], got[NPEOPLE + 1];
	struct lb_find *q;
	struct lb_diag d = {0};
	va_list ap;

	va_start(ap, nterms);
	for (int i = 0; i < nterms; i++)
		terms[i] = va_arg(ap, char *);
	va_end(ap);
	if (lb_find_new(&q, type, terms, (size_t)nterms, &d))
		fail_msg("%s", d.msg);
	for (size_t i = 0; i < NPEOPLE; i++)
		got[i] = lb_find_match(q, people[i].id, strlen(people[i].id),
		                       (const uint8_t *)bodies[i].sb.data, bodies[i].sb.size)
		                 ? '1'
		                 : '0';
	got[NPEOPLE] = '\0';
	lb_find_free(q);
	assert_string_equal(got, want);
}

static void test_equal(void **state)
{
	(void)state;
	matches("penduduk", "1111", 0);
	matches("penduduk", "1100", 1, "no_kk=3324010101150001");
	matches("penduduk", "1010", 1, "rt=001");
	matches("penduduk", "0010", 1, "agama=katolik");
	matches("penduduk", "0000", 1, "nama=budi santoso"); /* = is exact for text */
	matches("penduduk", "1000", 1, "nama=Budi Santoso");
	matches("penduduk", "0010", 1, "disabilitas=true");
	matches("penduduk", "1000", 1, "disabilitas=false");
	matches("penduduk", "1000", 1, "id=3324011203800001");
	matches("penduduk", "0001", 1, "status=pindah");
}

static void test_contains(void **state)
{
	(void)state;
	matches("penduduk", "0110", 1, "nama~sari");
	matches("penduduk", "0110", 1, "nama~SARI");
	matches("penduduk", "1100", 1, "dusun~kraj");
	matches("penduduk", "1111", 1, "nama~");
	matches("penduduk", "0010", 1, "disabilitas~tru");
	matches("penduduk", "0010", 1, "id~0004");
	matches("penduduk", "0000", 1, "agama~zz");
}

static void test_and_and_absent(void **state)
{
	(void)state;
	matches("penduduk", "0100", 2, "nama~sari", "dusun=Krajan");
	matches("penduduk", "1000", 3, "rt=001", "dusun~krajan", "jenis_kelamin=L");
	matches("penduduk", "0001", 1, "dusun=");
	matches("penduduk", "0101", 1, "disabilitas=");
	matches("penduduk", "0000", 2, "dusun=", "dusun=Krajan");
}

static void test_refusals(void **state)
{
	struct lb_find *q;
	struct lb_diag d = {0};
	char *t1[] = {"nama"};
	char *t2[] = {"hobi=main bola"};
	char *t3[] = {"nama~x"};
	(void)state;

	assert_int_equal(lb_find_new(&q, "penduduk", t1, 1, &d), LB_EINVAL);
	assert_null(q);
	assert_non_null(strstr(d.msg, "\"nama\" is not a search term"));
	assert_int_equal(lb_find_new(&q, "penduduk", t2, 1, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "\"hobi\" is not a field of penduduk"));
	assert_int_equal(lb_find_new(&q, "warga", t3, 1, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "unknown record type \"warga\""));
	assert_non_null(strstr(d.msg, "penduduk, keluarga, program"));
}

/* A type whose id is not a field: id= matches the record id. */
static void test_id_of_penerima(void **state)
{
	struct lb_find *q;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	char *terms[] = {"id~2026", "program=PKH", "nik=3324011203800001"};
	json_t *j = json_loads("{\"program\":\"PKH\",\"nik\":\"3324011203800001\","
	                       "\"tanggal\":\"2026-03-01\",\"bentuk\":\"uang\",\"status\":\"disalurkan\"}",
	                       0, NULL);
	(void)state;

	lb_mp_buf_init(&b);
	assert_int_equal(lb_body_from_json(&b, j, &d), LB_OK);
	json_decref(j);
	assert_int_equal(lb_find_new(&q, "penerima", terms, 3, &d), LB_OK);
	assert_true(lb_find_match(q, "pkh-2026-1", 10, (const uint8_t *)b.sb.data, b.sb.size));
	assert_false(lb_find_match(q, "pkh-2025-1", 10, (const uint8_t *)b.sb.data, b.sb.size));
	/* a body that is not a map matches nothing */
	assert_false(lb_find_match(q, "pkh-2026-1", 10, (const uint8_t *)"\x01", 1));
	lb_find_free(q);
	lb_mp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_and_and_absent),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_id_of_penerima),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
