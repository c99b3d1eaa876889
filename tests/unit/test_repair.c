/*
 * test_repair.c — re-applying a fork round after an adopt (node/repair.h):
 * changes re-applied in order after the adopted tip, a put that already
 * holds skipped, a delete of a record the other branch deleted listed as a
 * conflict and not applied; an interrupted repair resumed from its marker
 * writes nothing twice; the round exports as fork evidence (kinds 4, 6).
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
#include <jansson.h>
#include <sodium.h>

#include "../../node/adopt.h"
#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/node.h"
#include "../../node/repair.h"
#include "../../schema/schema.h"
#include "agg_fixture.h"

#define VILLAGE "33.24.01.2001"

struct fx {
	char dir[64];
	char a_dir[96], b_dir[96];
	struct lb_node *a, *b;
	struct lb_key key; /* A's key, shared by B */
};

static void put_asp(struct lb_node *n, int i, const char *usulan)
{
	char js[256], id[16];

	snprintf(js, sizeof js,
	         "{\"tanggal\":\"2026-01-05\",\"pengusul\":\"Warga\",\"usulan\":\"%s\","
	         "\"status\":\"diusulkan\"}", usulan);
	snprintf(id, sizeof id, "ASP-%04d", i);
	write_one(n, LB_OP_PUT, "aspirasi", id, js);
}

static void del_asp(struct lb_node *n, int i)
{
	char id[16];
	snprintf(id, sizeof id, "ASP-%04d", i);
	write_one(n, LB_OP_DEL, "aspirasi", id, NULL);
}

static FILE *export(struct lb_node *n)
{
	struct lb_diag d = {0};
	FILE *f = tmpfile();

	assert_non_null(f);
	if (lb_node_export_log(n, f, &d))
		fail_msg("export: %s", d.msg);
	rewind(f);
	return f;
}

static uint64_t tip(struct lb_node *n)
{
	struct lb_node_info info;
	assert_int_equal(lb_node_info(n, &info, NULL), LB_OK);
	return info.seq;
}

/* a: 1..3, then (the aggregator's branch) put 4, del 2.  b: adopted 1..3,
 * then (the old backup written to) seq 4..8: put 10, put 1 (an edit),
 * del 3, del 2, put 10 again.  Then b adopts a: fork at 4, round 1. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	uint8_t origin[LB_PK_BYTES];
	char path[160];
	FILE *x;

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-repair.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->a_dir, sizeof f->a_dir, "%s/a", f->dir);
	snprintf(f->b_dir, sizeof f->b_dir, "%s/b", f->dir);
	assert_int_equal(lb_node_init(f->a_dir, VILLAGE, NULL, origin, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/node.key", f->a_dir);
	assert_int_equal(lb_key_load(path, &f->key, NULL), LB_OK);
	assert_int_equal(lb_node_init_key(f->b_dir, VILLAGE, NULL, &f->key, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->a, f->a_dir, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->b, f->b_dir, NULL, NULL), LB_OK);
	for (int i = 1; i <= 3; i++)
		put_asp(f->a, i, "lampu jalan");
	x = export(f->a);
	assert_int_equal(lb_node_adopt(f->b, x, NULL, NULL, &d), LB_OK);
	fclose(x);
	put_asp(f->a, 4, "jalan desa");
	del_asp(f->a, 2);
	put_asp(f->b, 10, "baru");
	put_asp(f->b, 1, "diubah");
	del_asp(f->b, 3);
	del_asp(f->b, 2);
	put_asp(f->b, 10, "baru lagi");
	x = export(f->a);
	if (lb_node_adopt(f->b, x, NULL, &r, &d))
		fail_msg("adopt: %s", d.msg);
	fclose(x);
	assert_int_equal(r.fork_seq, 4);
	assert_int_equal(r.forked, 5);
	assert_int_equal(r.round, 1);
	assert_int_equal(tip(f->b), 5);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_node_close(f->a);
	lb_node_close(f->b);
	lb_key_wipe(&f->key);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

struct seen {
	int n;
	uint64_t seq;
	lb_err code;
	char id[16];
};

static void on_conflict(void *ctx, const struct lb_repair_conflict *c)
{
	struct seen *s = ctx;
	s->n++;
	s->seq = c->seq;
	s->code = c->code;
	snprintf(s->id, sizeof s->id, "%.*s", (int)c->id_len, c->id);
}

static void usulan_is(struct lb_node *n, const char *id, const char *want)
{
	uint8_t *body;
	size_t len;
	json_t *j;

	assert_int_equal(lb_node_get(n, "aspirasi", id, strlen(id), &body, &len, NULL, NULL),
	                 LB_OK);
	assert_non_null(j = lb_body_to_json(body, len, NULL));
	assert_string_equal(json_string_value(json_object_get(j, "usulan")), want);
	json_decref(j);
	free(body);
}

static void reapplied_in_order(void **state)
{
	struct fx *f = *state;
	struct lb_repair_report r;
	struct lb_repair_state st;
	struct seen s = {0};
	struct lb_diag d = {0};
	bool pending;

	assert_int_equal(lb_repair_apply(f->b, NULL, NULL, &r, &d), LB_ENOTFOUND);
	assert_int_equal(lb_repair_begin(f->b, 1, &d), LB_OK);
	assert_int_equal(lb_repair_pending(f->b, &pending, &st, &d), LB_OK);
	assert_true(pending);
	assert_int_equal(st.round, 1);
	assert_int_equal(st.base, 5);
	if (lb_repair_apply(f->b, on_conflict, &s, &r, &d))
		fail_msg("apply: %s", d.msg);
	assert_int_equal(r.fork_seq, 4);
	assert_int_equal(r.evidence, 5);
	assert_int_equal(r.applied, 4);
	assert_int_equal(r.unchanged, 0);
	assert_int_equal(r.conflicts, 1);
	assert_int_equal(r.first_seq, 6);
	assert_int_equal(r.last_seq, 9);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq, 7);
	assert_int_equal(s.code, LB_ENOTFOUND);
	assert_string_equal(s.id, "ASP-0002");
	assert_int_equal(tip(f->b), 9);
	usulan_is(f->b, "ASP-0010", "baru lagi");
	usulan_is(f->b, "ASP-0001", "diubah");
	usulan_is(f->b, "ASP-0004", "jalan desa");
	assert_false(lb_node_exists(f->b, "aspirasi", "ASP-0003", 8));
	assert_false(lb_node_exists(f->b, "aspirasi", "ASP-0002", 8));
	assert_int_equal(lb_repair_pending(f->b, &pending, &st, &d), LB_OK);
	assert_false(pending);
	{
		struct lb_verify_report vr;
		assert_int_equal(lb_node_verify(f->b, &vr, &d), LB_OK);
	}
}

/* Interrupted after the entry for evidence seq 6 (del 3) was written but
 * before the marker moved past it: resuming writes nothing twice and does
 * not call our own delete a conflict. */
static void resumed_writes_nothing_twice(void **state)
{
	struct fx *f = *state;
	struct lb_repair_report r;
	struct seen s = {0};
	struct lb_diag d = {0};
	struct lb_repair_state st = {.round = 1, .base = 5, .next = 6};

	assert_int_equal(lb_repair_begin(f->b, 1, &d), LB_OK);
	assert_int_equal(lb_repair_apply(f->b, NULL, NULL, &r, &d), LB_OK);
	assert_int_equal(lb_repair_mark(f->b, &st, &d), LB_OK);
	if (lb_repair_apply(f->b, on_conflict, &s, &r, &d))
		fail_msg("resume: %s", d.msg);
	assert_int_equal(r.applied, 0);
	assert_int_equal(r.unchanged, 2);
	assert_int_equal(r.conflicts, 1); /* the delete of 2: the other branch's, still */
	assert_string_equal(s.id, "ASP-0002");
	assert_int_equal(tip(f->b), 9);
}

struct frames {
	int fork, branch[2];
};

static void evidence_exported(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	struct frames c = {0};
	size_t rounds;
	FILE *x = tmpfile();
	lb_err e;

	assert_int_equal(lb_repair_export(f->a, 0, x, &rounds, &d), LB_ENOTFOUND);
	rewind(x);
	if (lb_repair_export(f->b, 1, x, &rounds, &d))
		fail_msg("export: %s", d.msg);
	assert_int_equal(rounds, 1);
	assert_int_equal(lb_repair_export(f->b, 2, x, &rounds, &d), LB_ENOTFOUND);
	rewind(x);
	assert_int_equal(lb_lla_reader_open(&rd, x, &d), LB_OK);
	while ((e = lb_lla_next(&rd, &fr, &d)) == LB_OK) {
		if (fr.kind == LB_LLA_FORK)
			c.fork++;
		if (fr.kind == LB_LLA_FORK_ENTRY) {
			struct lb_entry en;
			assert_int_equal(lb_entry_decode(&en, fr.a, fr.alen, &d), LB_OK);
			assert_int_equal(en.seq, 4 + (uint64_t)c.branch[fr.branch]);
			c.branch[fr.branch]++;
		}
		if (fr.kind == LB_LLA_TRAILER)
			assert_int_equal(fr.trailer.forks, 1);
	}
	assert_int_equal(e, LB_ENOTFOUND);
	lb_lla_reader_close(&rd);
	assert_int_equal(c.fork, 1);
	assert_int_equal(c.branch[0], 1); /* the held history: seq 4, its head */
	assert_int_equal(c.branch[1], 5); /* ours: 4..8 */
	fclose(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reapplied_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(resumed_writes_nothing_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(evidence_exported, setup, teardown),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
