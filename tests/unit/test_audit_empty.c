/*
 * test_audit_empty.c — archives without a single entry, head or receipt:
 * what `lumbung-agg export-forks` writes for an origin without forks, and
 * what a node that never wrote exports.  Only a header and a trailer, so the
 * verifier's batches hold frames but no payload bytes.
 *
 * Found by tests/fuzz/fuzz_lla: the verifier computed `buf + offset` on the
 * batch buffer it had never allocated (NULL + 0, undefined behaviour that
 * clang's UBSan stops on).  Build this test with clang and UBSan to see
 * the failure (gcc's UBSan does not check a zero offset on NULL):
 *   make BUILD=build-clang CC=clang OPT=-O1 \
 *     SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" \
 *     build-clang/tests/test_audit_empty
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
#include <sodium.h>

#include "../../node/archive.h"
#include "../../schema/schema.h"
#include "../../tools/audit/audit.h"

/* Header and trailer only, as the library's writer makes them. */
static void write_empty(const char *source, char **buf, size_t *len)
{
	struct lb_lla_writer w;
	struct lb_lla_header hd = {0};
	struct lb_diag d = {0};
	FILE *f = open_memstream(buf, len);

	assert_non_null(f);
	strcpy(hd.village, "33.24.01.2001");
	strcpy(hd.source, source);
	randombytes_buf(hd.origin, sizeof hd.origin);
	lb_lla_writer_init(&w, f);
	assert_int_equal(lb_lla_write_header(&w, &hd, &d), LB_OK);
	assert_int_equal(lb_lla_write_trailer(&w, &d), LB_OK);
	lb_lla_writer_free(&w);
	assert_int_equal(fclose(f), 0);
}

static void verify_empty(const char *source, unsigned threads)
{
	char *buf = NULL;
	size_t len = 0;
	struct lb_audit_opts o = {.threads = threads};
	struct lb_audit_report r;
	struct lb_diag d = {0};
	FILE *f;
	lb_err e;

	write_empty(source, &buf, &len);
	assert_non_null(f = fmemopen(buf, len, "rb"));
	e = lb_audit_verify(f, &o, &r, &d);
	if (e)
		fail_msg("verify (%u threads): %s", threads, d.msg);
	assert_true(r.trailer);
	assert_int_equal(r.frames, 2);
	assert_int_equal(r.entries + r.heads + r.receipts + r.forks, 0);
	fclose(f);
	free(buf);
}

static void empty_node_archive_verifies(void **state)
{
	(void)state;
	verify_empty("node", 0);
	verify_empty("node", 2);
}

static void empty_fork_export_verifies(void **state)
{
	(void)state;
	verify_empty("aggregator", 0);
	verify_empty("aggregator", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_node_archive_verifies),
		cmocka_unit_test(empty_fork_export_verifies),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
