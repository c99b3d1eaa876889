/*
 * test_api.c — the read API's pieces that need no server: tokens (the
 * stored hash is BLAKE2b-256 of the token text, computed here from a
 * known answer; lookup by hash; a flipped byte, a wrong length, a revoked
 * token refused; names unique; roles checked), the access log (order,
 * escaping, --since), route matching (parameters, dot segments, empty and
 * long parts, 405 against 404, the village paths left to http.c) and the
 * date check.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
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
#include "../../agg/api.h"
#include "../../agg/token.h"
#include "../../schema/schema.h"

struct fx {
	char dir[64];
	struct lb_agg *a;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t pk[LB_PK_BYTES];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-api.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/agg");
	assert_int_equal(lb_agg_init(f->dir, "33.24", pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->a, f->dir, NULL), LB_OK);
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

/* BLAKE2b-256 of "lbt_" and 64 zeros, from Python's hashlib.blake2b
 * (digest_size=32): crypto_generichash unkeyed, 32 bytes. */
static void test_hash_known_answer(void **state)
{
	static const char want[] = "82e712891bcbeb433cdc267fc8d53f0fd341ccfed7055b2d059f0161f3063062";
	char tok[LB_TOKEN_LEN + 1], hex[65];
	uint8_t h[LB_TOKEN_HASH_BYTES];

	(void)state;
	memcpy(tok, "lbt_", 4);
	memset(tok + 4, '0', 64);
	tok[LB_TOKEN_LEN] = '\0';
	lb_token_hash(h, tok, LB_TOKEN_LEN);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	assert_string_equal(hex, want);
}

static void test_token_lifecycle(void **state)
{
	struct fx *f = *state;
	char t1[LB_TOKEN_LEN + 1], t2[LB_TOKEN_LEN + 1], bad[LB_TOKEN_LEN + 1];
	struct lb_token_info who;
	struct lb_diag d = {0};

	assert_int_equal(lb_agg_token_add(f->a, "Bu Sari", "kabupaten", t1, &d), LB_OK);
	assert_int_equal(lb_agg_token_add(f->a, "Camat", "kecamatan:33.24.01", t2, &d), LB_OK);
	assert_int_equal(strlen(t1), LB_TOKEN_LEN);
	assert_memory_equal(t1, "lbt_", 4);
	assert_string_not_equal(t1, t2);
	for (int i = 4; i < LB_TOKEN_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", t1[i]));

	assert_int_equal(lb_agg_token_check(f->a, t1, LB_TOKEN_LEN, &who, &d), LB_OK);
	assert_string_equal(who.name, "Bu Sari");
	assert_int_equal(who.role, LB_ROLE_KABUPATEN);
	assert_false(who.revoked);
	assert_int_equal(lb_agg_token_check(f->a, t2, LB_TOKEN_LEN, &who, &d), LB_OK);
	assert_string_equal(who.name, "Camat");
	assert_int_equal(who.role, LB_ROLE_KECAMATAN);
	assert_string_equal(who.kecamatan, "33.24.01");

	/* one character changed, a short token, no prefix: unknown */
	memcpy(bad, t1, sizeof bad);
	bad[LB_TOKEN_LEN - 1] = bad[LB_TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
	assert_int_equal(lb_agg_token_check(f->a, bad, LB_TOKEN_LEN, &who, &d), LB_EAUTH);
	assert_int_equal(lb_agg_token_check(f->a, t1, LB_TOKEN_LEN - 1, &who, &d), LB_EAUTH);
	memcpy(bad, t1, sizeof bad);
	bad[0] = 'x';
	assert_int_equal(lb_agg_token_check(f->a, bad, LB_TOKEN_LEN, &who, &d), LB_EAUTH);
	/* the message never repeats the token */
	assert_null(strstr(d.msg, t1 + 4));

	/* names are unique; roles are checked */
	assert_int_equal(lb_agg_token_add(f->a, "Bu Sari", "auditor", bad, &d), LB_EEXIST);
	assert_int_equal(lb_agg_token_add(f->a, "x", "bupati", bad, &d), LB_EINVAL);
	assert_int_equal(lb_agg_token_add(f->a, "x", "kecamatan:33.24", bad, &d), LB_EINVAL);
	assert_int_equal(lb_agg_token_add(f->a, "x", "kecamatan:35.01.01", bad, &d), LB_EINVAL);
	assert_int_equal(lb_agg_token_add(f->a, "", "auditor", bad, &d), LB_EINVAL);

	/* revoked: refused, still listed */
	assert_int_equal(lb_agg_token_revoke(f->a, "Bu Sari", &d), LB_OK);
	assert_int_equal(lb_agg_token_check(f->a, t1, LB_TOKEN_LEN, &who, &d), LB_EAUTH);
	assert_non_null(strstr(d.msg, "revoked"));
	assert_int_equal(lb_agg_token_check(f->a, t2, LB_TOKEN_LEN, &who, &d), LB_OK);
	assert_int_equal(lb_agg_token_revoke(f->a, "nobody", &d), LB_ENOTFOUND);

	/* by id: the first 8 bytes of the hash, in hex */
	{
		uint8_t h[LB_TOKEN_HASH_BYTES];
		char id[17];
		lb_token_hash(h, t2, LB_TOKEN_LEN);
		sodium_bin2hex(id, sizeof id, h, 8);
		assert_int_equal(lb_agg_token_revoke_id(f->a, "00000000000000zz", &d), LB_EINVAL);
		assert_int_equal(lb_agg_token_revoke_id(f->a, "0123", &d), LB_EINVAL);
		id[15] = id[15] == '0' ? '1' : '0';
		assert_int_equal(lb_agg_token_revoke_id(f->a, id, &d), LB_ENOTFOUND);
		sodium_bin2hex(id, sizeof id, h, 8);
		assert_int_equal(lb_agg_token_check(f->a, t2, LB_TOKEN_LEN, &who, &d), LB_OK);
		assert_int_equal(lb_agg_token_revoke_id(f->a, id, &d), LB_OK);
		assert_int_equal(lb_agg_token_check(f->a, t2, LB_TOKEN_LEN, &who, &d), LB_EAUTH);
	}
}

static void test_role_parse(void **state)
{
	struct lb_token_info t;
	char s[LB_ROLE_MAX];

	(void)state;
	assert_int_equal(lb_role_parse("auditor", "33.24", &t, NULL), LB_OK);
	assert_int_equal(t.role, LB_ROLE_AUDITOR);
	assert_int_equal(lb_role_parse("kecamatan:33.24.07", "33.24", &t, NULL), LB_OK);
	lb_role_str(&t, s);
	assert_string_equal(s, "kecamatan:33.24.07");
	assert_int_equal(lb_role_parse("kecamatan:33.24.07", "33.24.01", &t, NULL), LB_EINVAL);
	assert_int_equal(lb_role_parse("kecamatan:33.24.07.2001", "33.24", &t, NULL), LB_EINVAL);
	assert_int_equal(lb_role_parse("Kabupaten", "33.24", &t, NULL), LB_EINVAL);
	assert_int_equal(lb_role_parse(NULL, "33.24", &t, NULL), LB_EINVAL);
}

struct seen {
	int n;
	char path[4][256];
	char name[4][64];
};

static int collect(void *ctx, uint64_t ms, const char *name, const char *method, const char *path)
{
	struct seen *s = ctx;
	(void)ms;
	assert_string_equal(method, "GET");
	if (s->n < 4) {
		snprintf(s->path[s->n], sizeof s->path[0], "%s", path);
		snprintf(s->name[s->n], sizeof s->name[0], "%s", name);
	}
	s->n++;
	return 0;
}

static void test_access_log(void **state)
{
	struct fx *f = *state;
	struct seen s = {0};

	assert_int_equal(lb_agg_access_add(f->a, "Bu Sari", "GET", "/v1/records/penduduk", NULL),
	                 LB_OK);
	assert_int_equal(lb_agg_access_add(f->a, "Camat", "GET", "/v1/x\n\x1b[31m", NULL), LB_OK);
	assert_int_equal(lb_agg_access_add(f->a, "Bu Sari", "GET", "/v1/export/penduduk.csv", NULL),
	                 LB_OK);
	assert_int_equal(lb_agg_access_ls(f->a, 0, collect, &s, NULL), LB_OK);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.path[0], "/v1/records/penduduk");
	assert_string_equal(s.name[1], "Camat");
	assert_string_equal(s.path[1], "/v1/x\\x0a\\x1b[31m"); /* escaped when stored */
	assert_string_equal(s.path[2], "/v1/export/penduduk.csv");
	s.n = 0;
	assert_int_equal(lb_agg_access_ls(f->a, (uint64_t)4102444800000, collect, &s, NULL), LB_OK);
	assert_int_equal(s.n, 0); /* nothing from 2100 on */
}

struct writer {
	struct lb_agg *a;
	int id;
	lb_err e;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	char path[64];
	for (int i = 0; i < 50 && !w->e; i++) {
		snprintf(path, sizeof path, "/v1/t%d/%d", w->id, i);
		w->e = lb_agg_access_add(w->a, "w", "GET", path, NULL);
	}
	return NULL;
}

struct tally {
	int n;
	unsigned char seen[16][50];
};

static int count_each(void *ctx, uint64_t ms, const char *name, const char *method,
                      const char *path)
{
	struct tally *t = ctx;
	int id, i;
	(void)ms, (void)name, (void)method;
	assert_int_equal(sscanf(path, "/v1/t%d/%d", &id, &i), 2);
	assert_true(id >= 0 && id < 16 && i >= 0 && i < 50);
	t->seen[id][i]++;
	t->n++;
	return 0;
}

/* 16 threads x 50 entries at once (group commit): every entry stored once. */
static void test_access_log_concurrent(void **state)
{
	struct fx *f = *state;
	struct writer w[16];
	pthread_t th[16];
	struct tally t = {0};

	for (int i = 0; i < 16; i++) {
		w[i] = (struct writer){f->a, i, LB_OK};
		assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].e, LB_OK);
	}
	assert_int_equal(lb_agg_access_ls(f->a, 0, count_each, &t, NULL), LB_OK);
	assert_int_equal(t.n, 16 * 50);
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 50; j++)
			assert_int_equal(t.seen[i][j], 1);
}

static void test_routes(void **state)
{
	char p[LB_API_PARAMS][LB_API_PARAM_MAX], longp[400];
	const char *allow;
	int i;

	(void)state;
	i = lb_api_match("GET", "/v1/health", p, &allow);
	assert_true(i >= 0);
	assert_string_equal(lb_api_route_pattern(i), "/v1/health");
	i = lb_api_match("GET", "/v1/records/penduduk", p, &allow);
	assert_string_equal(lb_api_route_pattern(i), "/v1/records/{type}");
	assert_string_equal(p[0], "penduduk");
	i = lb_api_match("GET", "/v1/records/penduduk/3324010310450001", p, &allow);
	assert_string_equal(lb_api_route_pattern(i), "/v1/records/{type}/{id}");
	assert_string_equal(p[0], "penduduk");
	assert_string_equal(p[1], "3324010310450001");
	i = lb_api_match("GET", "/v1/reports/ringkasan", p, &allow);
	assert_string_equal(lb_api_route_pattern(i), "/v1/reports/{name}");
	assert_string_equal(p[0], "ringkasan");

	assert_int_equal(lb_api_match("GET", "/v1/records/../..", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "/v1/records/penduduk/..", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "/v1/records/.", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "/v1/records//x", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "/v1/villages/", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "/v1/villagesx", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "v1/villages", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "", p, &allow), LB_API_NO_PATH);
	assert_int_equal(lb_api_match("GET", "/v1/records/a/b/c", p, &allow), LB_API_NO_PATH);
	memset(longp, 'a', sizeof longp);
	memcpy(longp, "/v1/records/", 12);
	longp[12 + LB_API_PARAM_MAX] = '\0'; /* a part of LB_API_PARAM_MAX bytes */
	assert_int_equal(lb_api_match("GET", longp, p, &allow), LB_API_NO_PATH);
	longp[12 + LB_API_PARAM_MAX - 1] = '\0'; /* one byte less fits */
	assert_true(lb_api_match("GET", longp, p, &allow) >= 0);

	assert_int_equal(lb_api_match("POST", "/v1/villages", p, &allow), LB_API_NO_METHOD);
	assert_string_equal(allow, "GET");
	assert_int_equal(lb_api_match("DELETE", "/v1/records/penduduk/1", p, &allow),
	                 LB_API_NO_METHOD);

	assert_false(lb_api_owns("/v1/changesets"));
	assert_false(lb_api_owns("/v1/origins/abcd"));
	assert_false(lb_api_owns("/v1/origins"));
	assert_true(lb_api_owns("/v1/originsx"));
	assert_true(lb_api_owns("/v1/villages"));
	assert_true(lb_api_owns("/"));
}

static void test_dates(void **state)
{
	int y, m, d;
	(void)state;
	assert_true(lb_api_parse_date("2024-02-29", &y, &m, &d));
	assert_int_equal(y * 10000 + m * 100 + d, 20240229);
	assert_false(lb_api_parse_date("2023-02-29", &y, &m, &d));
	assert_false(lb_api_parse_date("2100-02-29", &y, &m, &d));
	assert_false(lb_api_parse_date("2024-2-29", &y, &m, &d));
	assert_false(lb_api_parse_date("2024-02-29x", &y, &m, &d));
	assert_false(lb_api_parse_date("2024-04-31", &y, &m, &d));
	assert_false(lb_api_parse_date("2024-0a-01", &y, &m, &d));
	assert_false(lb_api_parse_date("+024-01-01", &y, &m, &d));
	assert_false(lb_api_parse_date(NULL, &y, &m, &d));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_known_answer),
		cmocka_unit_test_setup_teardown(test_token_lifecycle, setup, teardown),
		cmocka_unit_test(test_role_parse),
		cmocka_unit_test_setup_teardown(test_access_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_log_concurrent, setup, teardown),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_dates),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
