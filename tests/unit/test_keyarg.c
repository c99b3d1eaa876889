/*
 * test_keyarg.c — a public key on the command line (sync/keyarg.h): 64 hex
 * digits, an agg.pub file as lumbung-agg init writes it, or the directory
 * holding it, all give the same key; anything else is refused with a
 * reason and nothing half-read.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../sync/keyarg.h"

/* bytes 0x00..0x1f, and their hex written out by hand */
#define HEX "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void want_known(const uint8_t k[LB_PK_BYTES])
{
	for (int i = 0; i < LB_PK_BYTES; i++)
		assert_int_equal(k[i], i);
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_keyarg.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[96];
	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text, char *path, size_t n)
{
	FILE *f;
	snprintf(path, n, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void hex_file_and_directory_give_the_same_key(void **state)
{
	uint8_t k[LB_PK_BYTES];
	char path[128];
	struct lb_diag d = {0};

	(void)state;
	assert_int_equal(lb_key_arg(HEX, k, &d), LB_OK);
	want_known(k);
	write_file("agg.pub", "lumbung-public-key-v1 ed25519 " HEX "\n", path, sizeof path);
	memset(k, 0xee, sizeof k);
	assert_int_equal(lb_key_arg(path, k, &d), LB_OK);
	want_known(k);
	memset(k, 0xee, sizeof k);
	assert_int_equal(lb_key_arg(dir, k, &d), LB_OK); /* the aggregator's directory */
	want_known(k);
}

static void other_things_are_refused(void **state)
{
	uint8_t k[LB_PK_BYTES];
	char path[128];
	struct lb_diag d = {0};

	(void)state;
	assert_int_equal(lb_key_arg("", k, &d), LB_EINVAL);
	assert_int_equal(lb_key_arg(NULL, k, &d), LB_EINVAL);
	assert_int_equal(lb_key_arg(HEX "00", k, &d), LB_EINVAL);         /* 66 digits */
	assert_int_equal(lb_key_arg("/nonexistent/agg.pub", k, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "neither 64 hex digits nor"));
	write_file("junk.pub", "not a key\n", path, sizeof path);
	assert_int_equal(lb_key_arg(path, k, &d), LB_EKEY);
	assert_non_null(strstr(d.msg, "not a lumbung public key file"));
	/* a secret key file is not a public one */
	write_file("node.key", "lumbung-secret-key-v1 ed25519 " HEX "\n", path, sizeof path);
	assert_int_equal(lb_key_arg(path, k, &d), LB_EKEY);
	/* a directory without agg.pub */
	snprintf(path, sizeof path, "%s/empty", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(lb_key_arg(path, k, &d), LB_EKEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_file_and_directory_give_the_same_key),
		cmocka_unit_test(other_things_are_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
