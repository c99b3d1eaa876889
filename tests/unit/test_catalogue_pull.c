/*
 * test_catalogue_pull.c — the village takes catalogues from an aggregator
 * (sync/catalogue_pull.h) served here by a small libmicrohttpd stand-in
 * that answers GET /v1/catalogues with a list the test sets and GET
 * /v1/catalogues/{region}/log?from=K with the tail of a real signed
 * catalogue log.  Taken: a catalogue under a trusted key, then its tail
 * from the seq held + 1.  Refused, the last good copy kept: a key not
 * trusted, a second catalogue of the region under another trusted key, an
 * offered seq below the one held (not even fetched), a tail that forks.
 * An aggregator without catalogues (404) is an error of the list only; a
 * village's log offered as a catalogue is refused.
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
#include <microhttpd.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/catalogue.h"
#include "../../node/node.h"
#include "../../schema/schema.h"
#include "../../sync/catalogue_pull.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"
#define KAB "33.24"

struct fx {
	char dir[64];
	char v_dir[96], k_dir[96], k2_dir[96];
	struct lb_node *k;     /* the kabupaten's catalogue, served */
	struct lb_key key;
	struct MHD_Daemon *mhd;
	char url[64];
	char index[1024];      /* the /v1/catalogues answer; "" answers 404 */
	int log_gets;          /* log requests seen */
	uint64_t last_from;
};

static void put_prog(struct lb_node *n, int i)
{
	char js[256], id[16];

	snprintf(id, sizeof id, "KAB-%d", i);
	snprintf(js, sizeof js, "{\"kode\":\"%s\",\"nama\":\"Program %d\",\"bidang\":\"sosial\","
	         "\"anggaran\":1000000,\"tahun\":2026}", id, i);
	write_one(n, LB_OP_PUT, "program", id, js);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **con_cls)
{
	struct fx *f = cls;
	struct MHD_Response *r;
	char *buf = NULL;
	size_t len = 0;
	unsigned status = 200;
	enum MHD_Result ret;

	(void)method, (void)version, (void)upload, (void)upload_len, (void)con_cls;
	if (!strcmp(url, "/v1/catalogues") && f->index[0]) {
		buf = strdup(f->index);
		len = strlen(buf);
	} else if (!strcmp(url, "/v1/catalogues/" KAB "/log")) {
		const char *from = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "from");
		FILE *m = open_memstream(&buf, &len);
		f->log_gets++;
		f->last_from = from ? strtoull(from, NULL, 10) : 1;
		if (f->last_from > 1)
			lb_node_export_log_from(f->k, f->last_from, m, NULL);
		else
			lb_node_export_log(f->k, m, NULL);
		fclose(m);
	} else {
		buf = strdup("{\"error\":\"not_found\",\"message\":\"no such thing\"}");
		len = strlen(buf);
		status = 404;
	}
	r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t origin[LB_PK_BYTES];
	const union MHD_DaemonInfo *di;
	char path[160];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-catpull.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->v_dir, sizeof f->v_dir, "%s/v", f->dir);
	snprintf(f->k_dir, sizeof f->k_dir, "%s/k", f->dir);
	snprintf(f->k2_dir, sizeof f->k2_dir, "%s/k2", f->dir);
	assert_int_equal(lb_node_init(f->v_dir, VILLAGE, NULL, origin, NULL), LB_OK);
	assert_int_equal(lb_node_init_key(f->k_dir, KAB, NULL, NULL, origin, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/node.key", f->k_dir);
	assert_int_equal(lb_key_load(path, &f->key, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->k, f->k_dir, NULL, NULL), LB_OK);
	put_prog(f->k, 1);
	put_prog(f->k, 2);
	f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, f,
	                          MHD_OPTION_END);
	assert_non_null(f->mhd);
	di = MHD_get_daemon_info(f->mhd, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", (unsigned)di->port);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	MHD_stop_daemon(f->mhd);
	lb_node_close(f->k);
	lb_key_wipe(&f->key);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The list offers KAB under key at seq (and, when key2, a second entry). */
static void offer(struct fx *f, const uint8_t *key, uint64_t seq)
{
	char hex[2 * LB_PK_BYTES + 1];

	lb_hex(hex, key, LB_PK_BYTES);
	snprintf(f->index, sizeof f->index,
	         "{\"catalogues\":[{\"region\":\"" KAB "\",\"key\":\"%s\",\"seq\":%llu}]}", hex,
	         (unsigned long long)seq);
}

struct seen {
	int calls;
	lb_err e;
	uint64_t held, seq, added;
	char why[LB_DIAG_MAX];
};

static void on_pulled(void *ctx, const struct lb_catalogue_pulled *p)
{
	struct seen *s = ctx;

	s->calls++;
	s->e = p->e;
	s->held = p->held;
	s->seq = p->seq;
	s->added = p->added;
	snprintf(s->why, sizeof s->why, "%s", p->e ? p->why->msg : "");
}

static struct seen pull(struct fx *f, const uint8_t (*keys)[LB_PK_BYTES], size_t nkeys)
{
	struct seen s = {0};
	struct lb_diag d = {0};

	if (lb_catalogue_pull(f->v_dir, f->url, NULL, keys, nkeys, on_pulled, &s, &d))
		fail_msg("pull: %s", d.msg);
	return s;
}

static uint64_t held(struct fx *f)
{
	struct lb_catalogue_info ci;
	if (lb_catalogue_info(f->v_dir, KAB, &ci, NULL) == LB_ENOTFOUND)
		return 0;
	return ci.seq;
}

static void take_then_tail(void **state)
{
	struct fx *f = *state;
	const uint8_t(*keys)[LB_PK_BYTES] = (const uint8_t(*)[LB_PK_BYTES])f->key.pk;
	struct seen s;

	offer(f, f->key.pk, 2);
	s = pull(f, keys, 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.e, LB_OK);
	assert_int_equal(s.added, 2);
	assert_int_equal(f->last_from, 1);
	assert_int_equal(held(f), 2);
	/* nothing new: not fetched */
	s = pull(f, keys, 1);
	assert_int_equal(s.e, LB_OK);
	assert_int_equal(f->log_gets, 1);
	put_prog(f->k, 3);
	put_prog(f->k, 4);
	offer(f, f->key.pk, 4);
	s = pull(f, keys, 1);
	assert_int_equal(s.e, LB_OK);
	assert_int_equal(f->last_from, 3);
	assert_int_equal(s.held, 2);
	assert_int_equal(s.seq, 4);
	assert_int_equal(held(f), 4);
}

static void untrusted_key_refused(void **state)
{
	struct fx *f = *state;
	uint8_t other[1][LB_PK_BYTES];
	struct seen s;

	randombytes_buf(other[0], LB_PK_BYTES);
	offer(f, f->key.pk, 2);
	s = pull(f, (const uint8_t(*)[LB_PK_BYTES])other, 1);
	assert_int_equal(s.e, LB_ESIG);
	assert_non_null(strstr(s.why, "neither the aggregator's own key nor an upstream key"));
	assert_int_equal(f->log_gets, 0);
	assert_int_equal(held(f), 0);
	/* none trusted at all: the same */
	s = pull(f, NULL, 0);
	assert_int_equal(s.e, LB_ESIG);
}

static void another_key_for_a_held_region(void **state)
{
	struct fx *f = *state;
	uint8_t keys[2][LB_PK_BYTES];
	struct seen s;

	memcpy(keys[0], f->key.pk, LB_PK_BYTES);
	randombytes_buf(keys[1], LB_PK_BYTES);
	offer(f, f->key.pk, 2);
	assert_int_equal(pull(f, (const uint8_t(*)[LB_PK_BYTES])keys, 2).e, LB_OK);
	offer(f, keys[1], 9); /* a trusted key, but not the one the copy was taken under */
	s = pull(f, (const uint8_t(*)[LB_PK_BYTES])keys, 2);
	assert_int_equal(s.e, LB_ESIG);
	assert_int_equal(s.held, 2);
	assert_non_null(strstr(s.why, "the one held is signed by"));
	assert_int_equal(held(f), 2);
}

static void rollback_not_fetched(void **state)
{
	struct fx *f = *state;
	const uint8_t(*keys)[LB_PK_BYTES] = (const uint8_t(*)[LB_PK_BYTES])f->key.pk;
	struct seen s;

	offer(f, f->key.pk, 2);
	assert_int_equal(pull(f, keys, 1).e, LB_OK);
	offer(f, f->key.pk, 1);
	s = pull(f, keys, 1);
	assert_int_equal(s.e, LB_EREFUSED);
	assert_non_null(strstr(s.why, "rollback: the aggregator's copy ends at seq 1, we hold 2"));
	assert_int_equal(f->log_gets, 1);
	assert_int_equal(held(f), 2);
}

static void forked_tail_refused(void **state)
{
	struct fx *f = *state;
	const uint8_t(*keys)[LB_PK_BYTES] = (const uint8_t(*)[LB_PK_BYTES])f->key.pk;
	uint8_t origin[LB_PK_BYTES];
	struct lb_node *k2;
	struct seen s;

	offer(f, f->key.pk, 2);
	assert_int_equal(pull(f, keys, 1).e, LB_OK);
	/* the aggregator now serves another history under the same key */
	assert_int_equal(lb_node_init_key(f->k2_dir, KAB, NULL, &f->key, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&k2, f->k2_dir, NULL, NULL), LB_OK);
	for (int i = 11; i <= 14; i++)
		put_prog(k2, i);
	lb_node_close(f->k);
	f->k = k2;
	offer(f, f->key.pk, 4);
	s = pull(f, keys, 1);
	assert_int_equal(s.e, LB_EFORK);
	assert_int_equal(s.held, 2);
	assert_int_equal(held(f), 2);
}

static void no_catalogues_there(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};

	f->index[0] = '\0';
	assert_int_equal(lb_catalogue_pull(f->v_dir, f->url, NULL, NULL, 0, NULL, NULL, &d),
	                 LB_ENOTFOUND);
	snprintf(f->index, sizeof f->index, "{\"catalogues\":[{\"region\":\"xx\","
	         "\"key\":\"00\",\"seq\":1}]}");
	assert_int_equal(lb_catalogue_pull(f->v_dir, f->url, NULL, NULL, 0, NULL, NULL, &d),
	                 LB_EREFUSED);
}

static void a_village_log_offered(void **state)
{
	struct fx *f = *state;
	const uint8_t(*keys)[LB_PK_BYTES] = (const uint8_t(*)[LB_PK_BYTES])f->key.pk;
	char hex[2 * LB_PK_BYTES + 1];
	struct seen s;

	lb_hex(hex, f->key.pk, LB_PK_BYTES);
	snprintf(f->index, sizeof f->index, "{\"catalogues\":[{\"region\":\"33.24.01.2001\","
	         "\"key\":\"%s\",\"seq\":2}]}", hex);
	s = pull(f, keys, 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.e, LB_EINVAL);
	assert_non_null(strstr(s.why, "not a kabupaten or kecamatan code"));
	assert_int_equal(f->log_gets, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(take_then_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(untrusted_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(another_key_for_a_held_region, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_not_fetched, setup, teardown),
		cmocka_unit_test_setup_teardown(forked_tail_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(no_catalogues_there, setup, teardown),
		cmocka_unit_test_setup_teardown(a_village_log_offered, setup, teardown),
	};
	if (lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
