/*
 * test_agg_dir.c — the aggregator's village directory (agg/directory.c):
 * a learnt name is kept only where none is held, the office's name wins,
 * names are checked, codes must be inside the region, a read-only handle
 * reads but never writes, and the listing is in code order.
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
#include <sodium.h>

#include "../../agg/agg.h"
#include "../../schema/schema.h"

struct fx {
	char dir[64];
	struct lb_agg *a;
	uint8_t k1[LB_PK_BYTES], k2[LB_PK_BYTES];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t pk[LB_PK_BYTES];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-aggdir.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/agg");
	assert_int_equal(lb_agg_init(f->dir, "33.24", pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->a, f->dir, NULL), LB_OK);
	randombytes_buf(f->k1, sizeof f->k1);
	randombytes_buf(f->k2, sizeof f->k2);
	assert_int_equal(lb_agg_enroll(f->a, "33.24.01.2001", f->k1, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->a, "33.24.02.2002", f->k2, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_agg_close(f->a);
	f->dir[strlen(f->dir) - 4] = '\0';
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void village_name_is(struct lb_agg *a, const char *v, const char *want,
                            enum lb_agg_name_src src)
{
	char got[LB_AGG_NAME_MAX + 1];
	enum lb_agg_name_src s;

	assert_int_equal(lb_agg_village_name(a, v, got, &s, NULL), LB_OK);
	assert_string_equal(got, want);
	assert_int_equal(s, src);
}

static void test_learnt_then_office_wins(void **state)
{
	struct fx *f = *state;
	bool stored;

	village_name_is(f->a, "33.24.01.2001", "", LB_AGG_NAME_NONE);
	assert_int_equal(lb_agg_learn_name(f->a, f->k1, "Desa Sukamaju", &stored, NULL), LB_OK);
	assert_true(stored);
	village_name_is(f->a, "33.24.01.2001", "Desa Sukamaju", LB_AGG_NAME_LEARNT);
	/* a second learnt name does not replace the first */
	assert_int_equal(lb_agg_learn_name(f->a, f->k1, "Other", &stored, NULL), LB_OK);
	assert_false(stored);
	village_name_is(f->a, "33.24.01.2001", "Desa Sukamaju", LB_AGG_NAME_LEARNT);
	/* the office's name replaces it, and no learnt name replaces the office's */
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", "Sukamaju Lor", NULL), LB_OK);
	village_name_is(f->a, "33.24.01.2001", "Sukamaju Lor", LB_AGG_NAME_OFFICE);
	assert_int_equal(lb_agg_learn_name(f->a, f->k1, "Desa Sukamaju", &stored, NULL), LB_OK);
	assert_false(stored);
	village_name_is(f->a, "33.24.01.2001", "Sukamaju Lor", LB_AGG_NAME_OFFICE);
	/* the other village is untouched */
	village_name_is(f->a, "33.24.02.2002", "", LB_AGG_NAME_NONE);
}

static void test_checks(void **state)
{
	struct fx *f = *state;
	uint8_t stranger[LB_PK_BYTES] = {1};
	char big[LB_AGG_NAME_MAX + 2];
	struct lb_diag d = {0};
	bool stored = true;

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", big, NULL), LB_ETOOBIG);
	big[LB_AGG_NAME_MAX] = '\0';
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", big, NULL), LB_OK);
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", "", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", "a\nb", &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "a\\x0ab")); /* escaped in the message */
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", "\xc3(", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", "a\x7f", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_set_name(f->a, "33.25.01.2001", "X", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_set_name(f->a, "33.25.01", "X", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_set_name(f->a, "33.24", "X", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.201", "X", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_learn_name(f->a, stranger, "X", &stored, NULL), LB_EUNKNOWN_ORIGIN);
	assert_false(stored);
	assert_int_equal(lb_agg_revoke(f->a, f->k2, NULL), LB_OK);
	assert_int_equal(lb_agg_learn_name(f->a, f->k2, "X", NULL, NULL), LB_EUNKNOWN_ORIGIN);
	village_name_is(f->a, "33.24.02.2002", "", LB_AGG_NAME_NONE);
	/* UTF-8 is fine */
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01", "Kaliwungu \xc3\x91", NULL), LB_OK);
}

struct list {
	char buf[512];
};

static int collect(void *ctx, const char *code, const char *name, enum lb_agg_name_src src)
{
	struct list *l = ctx;
	size_t n = strlen(l->buf);
	snprintf(l->buf + n, sizeof l->buf - n, "%s=%s/%d;", code, name, (int)src);
	return 0;
}

static void test_kecamatan_listing_read_only(void **state)
{
	struct fx *f = *state;
	char got[LB_AGG_NAME_MAX + 1];
	struct list l = {""};
	struct lb_agg *ro;

	assert_int_equal(lb_agg_set_name(f->a, "33.24.02", "Kaliwungu Selatan", NULL), LB_OK);
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01", "Kaliwungu", NULL), LB_OK);
	assert_int_equal(lb_agg_learn_name(f->a, f->k2, "Desa Dua", NULL, NULL), LB_OK);
	assert_int_equal(lb_agg_set_name(f->a, "33.24.01.2001", "Desa Satu", NULL), LB_OK);
	assert_int_equal(lb_agg_region_name(f->a, "33.24.01", got, NULL), LB_OK);
	assert_string_equal(got, "Kaliwungu");
	assert_int_equal(lb_agg_region_name(f->a, "33.24.03", got, NULL), LB_OK);
	assert_string_equal(got, "");
	assert_int_equal(lb_agg_region_name(f->a, "33.24.01.2001", got, NULL), LB_EINVAL);
	assert_int_equal(lb_agg_village_name(f->a, "33.24.01", got, NULL, NULL), LB_EINVAL);
	/* LMDB: one handle per environment per process */
	lb_agg_close(f->a);
	assert_int_equal(lb_agg_open_ro(&ro, f->dir, NULL), LB_OK);
	assert_int_equal(lb_agg_names(ro, collect, &l, NULL), LB_OK);
	assert_string_equal(l.buf, "33.24.01=Kaliwungu/1;33.24.01.2001=Desa Satu/1;"
	                           "33.24.02=Kaliwungu Selatan/1;33.24.02.2002=Desa Dua/2;");
	village_name_is(ro, "33.24.02.2002", "Desa Dua", LB_AGG_NAME_LEARNT);
	assert_int_equal(lb_agg_set_name(ro, "33.24.01", "X", NULL), LB_EINVAL);
	assert_int_equal(lb_agg_learn_name(ro, f->k1, "X", NULL, NULL), LB_EINVAL);
	lb_agg_close(ro);
	assert_int_equal(lb_agg_open(&f->a, f->dir, NULL), LB_OK);
	assert_int_equal(lb_agg_region_name(f->a, "33.24.01", got, NULL), LB_OK);
	assert_string_equal(got, "Kaliwungu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learnt_then_office_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kecamatan_listing_read_only, setup, teardown),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
