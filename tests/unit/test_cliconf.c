/*
 * test_cliconf.c — unit tests for node/cliconf.h: which options a usage
 * syntax names (flag or with a value), and the command line a file gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../node/cliconf.c"

static void test_option_kinds(void **state)
{
	const char *serve = "serve -d DIR [--listen ADDR:PORT] [--threads N]\n"
	                    "        [--forward [--every S] [--max-bytes N]]";
	const char *exp = "export TYPE -d DIR [--village CODE | --kecamatan CODE]\n"
	                  "        [--csv | --jsonl | --xlsx FILE] [--sep ,|;] [--excel]";
	(void)state;
	assert_int_equal(lb_cliconf_option(serve, "listen"), 2);
	assert_int_equal(lb_cliconf_option(serve, "threads"), 2);
	assert_int_equal(lb_cliconf_option(serve, "forward"), 1); /* followed by [ */
	assert_int_equal(lb_cliconf_option(serve, "every"), 2);
	assert_int_equal(lb_cliconf_option(serve, "max-bytes"), 2);
	assert_int_equal(lb_cliconf_option(serve, "max"), 0); /* a prefix is not an option */
	assert_int_equal(lb_cliconf_option(serve, "bytes"), 0);
	assert_int_equal(lb_cliconf_option(serve, "listen-x"), 0);
	assert_int_equal(lb_cliconf_option(serve, "d"), 0); /* -d is not --d */
	assert_int_equal(lb_cliconf_option(exp, "village"), 2);
	assert_int_equal(lb_cliconf_option(exp, "csv"), 1);   /* followed by | */
	assert_int_equal(lb_cliconf_option(exp, "jsonl"), 1);
	assert_int_equal(lb_cliconf_option(exp, "excel"), 1); /* followed by ] */
	assert_int_equal(lb_cliconf_option(exp, "sep"), 2);
	assert_int_equal(lb_cliconf_option(exp, "xlsx"), 2);
	assert_int_equal(lb_cliconf_option("log -d DIR [--json]", "json"), 1);
	assert_int_equal(lb_cliconf_option("x --quiet", "quiet"), 1); /* at the end */
	assert_int_equal(lb_cliconf_option("x --a > FILE", "a"), 1);
}

static const char *syntax(const char *cmd, size_t i)
{
	if (!strcmp(cmd, "sync") && i == 0)
		return "sync -d DIR [--to URL|REMOTE] [--every SECONDS] [--quiet]";
	if (!strcmp(cmd, "id") && i == 0)
		return "id -d DIR [--json]";
	return NULL;
}

static void test_apply(void **state)
{
	char dir[64], path[128];
	FILE *f;
	struct lb_cliconf c = {"lumbung", "/nonexistent/lumbung.conf", "LB_TEST_CONFIG", "LB_TEST_DIR",
	                       syntax};
	char *argv0[] = {"lumbung", "sync", "--every", "5", NULL}, **argv = argv0;
	int argc = 4;
	struct lb_diag d = {0};

	(void)state;
	snprintf(dir, sizeof dir, "/tmp/lb-cliconf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/c.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("dir = /srv/desa one\nsync.every = 300\nid.json = yes\nsync.quiet = yes\n"
	      "sync.to =  kab  utara \nsync.quiet = no\n",
	      f);
	fclose(f);
	unsetenv("LB_TEST_DIR");
	setenv("LB_TEST_CONFIG", path, 1);
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_OK);
	/* the file's options right after the command, then the command line */
	assert_int_equal(argc, 8);
	assert_string_equal(argv[0], "lumbung");
	assert_string_equal(argv[1], "sync");
	assert_string_equal(argv[2], "--every");
	assert_string_equal(argv[3], "300");
	assert_string_equal(argv[4], "--to");
	assert_string_equal(argv[5], "kab  utara"); /* one argument, inner blanks kept */
	assert_string_equal(argv[6], "--every");
	assert_string_equal(argv[7], "5");
	assert_null(argv[8]);
	assert_string_equal(getenv("LB_TEST_DIR"), "/srv/desa one");

	/* the variable set before wins over dir */
	setenv("LB_TEST_DIR", "/elsewhere", 1);
	argv = argv0;
	argc = 4;
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_OK);
	assert_string_equal(getenv("LB_TEST_DIR"), "/elsewhere");

	/* an option sync does not take: the file and the line */
	assert_non_null(f = fopen(path, "w"));
	fputs("# x\nsync.every = 1\nsync.json = yes\n", f);
	fclose(f);
	argv = argv0;
	argc = 4;
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "line 3"));
	assert_non_null(strstr(d.msg, path));
	assert_ptr_equal(argv, argv0);
	/* ... which does not concern id */
	{
		char *idv[] = {"lumbung", "id", NULL}, **v = idv;
		int n = 2;
		assert_non_null(f = fopen(path, "w"));
		fputs("sync.json = yes\n", f);
		fclose(f);
		assert_int_equal(lb_cliconf_apply(&c, &n, &v, &d), LB_OK);
		assert_int_equal(n, 2);
	}

	/* none / empty: no file; a named missing file is an error */
	setenv("LB_TEST_CONFIG", "none", 1);
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_OK);
	setenv("LB_TEST_CONFIG", "", 1);
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_OK);
	unlink(path);
	setenv("LB_TEST_CONFIG", path, 1);
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_ENOTFOUND);
	unsetenv("LB_TEST_CONFIG"); /* c.path does not exist: no configuration */
	assert_int_equal(lb_cliconf_apply(&c, &argc, &argv, &d), LB_OK);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_option_kinds),
		cmocka_unit_test(test_apply),
	};
	unsetenv("LUMBUNG_BAHASA");
	lb_i18n_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
