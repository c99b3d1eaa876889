/*
 * test_conf.c — unit tests for node/conf.h (key = value settings files)
 * and the human times of schema/i18n.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../node/conf.h"
#include "../../schema/i18n.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/lb-conf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/test.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(void)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_get(void **state)
{
	struct lb_diag d = {0};
	char v[64];
	(void)state;
	write_file("# settings\n\n  bahasa =  id  \nother=x y\nbahasa = en\n");
	assert_int_equal(lb_conf_get(path, "bahasa", v, sizeof v, &d), LB_OK);
	assert_string_equal(v, "en"); /* a later line wins */
	assert_int_equal(lb_conf_get(path, "other", v, sizeof v, &d), LB_OK);
	assert_string_equal(v, "x y");
	assert_int_equal(lb_conf_get(path, "missing", v, sizeof v, &d), LB_ENOTFOUND);
	assert_int_equal(lb_conf_get(path, "other", v, 3, &d), LB_ETOOBIG);
	unlink(path);
	assert_int_equal(lb_conf_get(path, "bahasa", v, sizeof v, &d), LB_ENOTFOUND);
}

static void test_malformed_names_line(void **state)
{
	struct lb_diag d = {0};
	char v[64];
	(void)state;
	write_file("bahasa = id\n\nthis line has no equals sign\n");
	assert_int_equal(lb_conf_get(path, "bahasa", v, sizeof v, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "line 3"));
	write_file("Bahasa Indonesia = id\n");
	assert_int_equal(lb_conf_get(path, "bahasa", v, sizeof v, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "line 1"));
	assert_non_null(strstr(d.msg, "not a setting name"));
}

static void test_set_keeps_other_lines(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	write_file("# my office\nother = 1\nbahasa = en\n# end\nbahasa = id\n");
	assert_int_equal(lb_conf_set(path, "bahasa", "id", &d), LB_OK);
	assert_string_equal(read_file(), "# my office\nother = 1\nbahasa = id\n# end\n");
	assert_int_equal(lb_conf_set(path, "bahasa", NULL, &d), LB_OK);
	assert_string_equal(read_file(), "# my office\nother = 1\n# end\n");
	assert_int_equal(lb_conf_set(path, "new", "v", &d), LB_OK);
	assert_string_equal(read_file(), "# my office\nother = 1\n# end\nnew = v\n");
	assert_int_equal(lb_conf_set(path, "new", "two\nlines", &d), LB_EINVAL);
	assert_int_equal(lb_conf_set(path, "Bad Key", "v", &d), LB_EINVAL);
	unlink(path);
	assert_int_equal(lb_conf_set(path, "bahasa", "en", &d), LB_OK);
	assert_string_equal(read_file(), "bahasa = en\n");
}

static void test_set_refuses_malformed_file(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	write_file("garbage\n");
	assert_int_equal(lb_conf_set(path, "bahasa", "id", &d), LB_EMALFORMED);
	assert_string_equal(read_file(), "garbage\n"); /* left alone */
}

static void test_human_time(void **state)
{
	char buf[48];
	(void)state;
	setenv("TZ", "Asia/Jakarta", 1);
	tzset();
	/* 2026-11-28 02:12:00 UTC = 09:12 WIB */
	assert_int_equal(lb_i18n_set("en"), 0);
	assert_string_equal(lb_human_time(1795831920000LL, buf, sizeof buf), "28 Nov 2026 09:12 WIB");
	setenv("TZ", "Asia/Makassar", 1);
	tzset();
	/* 2026-08-05 06:03 UTC = 14:03 WITA */
	assert_int_equal(lb_i18n_set("id"), 0);
	assert_string_equal(lb_human_time(1785909780000LL, buf, sizeof buf), "5 Agu 2026 14:03 WITA");
	setenv("TZ", "Asia/Jayapura", 1);
	tzset();
	assert_string_equal(lb_human_time(1795831920000LL, buf, sizeof buf), "28 Nov 2026 11:12 WIT");
	assert_int_equal(lb_i18n_set("fr"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_names_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_keeps_other_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_refuses_malformed_file, setup, teardown),
		cmocka_unit_test(test_human_time),
	};
	unsetenv("LUMBUNG_BAHASA");
	lb_i18n_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
