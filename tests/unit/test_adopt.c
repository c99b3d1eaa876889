/*
 * test_adopt.c — a node made equal to a verified copy of its log
 * (node/adopt.h): a restore into an empty node with the same key, a tail
 * appended, a forked tail replaced with our entries kept as evidence, a
 * node ahead of the copy left alone; and refusals that leave the node as
 * it was: an altered entry, a cut copy, another village's log, a chain
 * signed by another key, a tail that does not reach our log.
 * Logs owned by a region (a catalogue) and their replicas: a replica
 * follows its owner's log whole and by tails, is never written directly,
 * and with LB_ADOPT_NO_FORK|LB_ADOPT_NO_ROLLBACK refuses a forked, a
 * rolled-back or a foreign copy, keeping what it had.
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

#include "../../node/adopt.h"
#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/node.h"
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
	         "{\"tanggal\":\"2026-01-%02d\",\"pengusul\":\"Warga %d\",\"usulan\":\"%s\","
	         "\"status\":\"diusulkan\"}", i % 28 + 1, i, usulan);
	snprintf(id, sizeof id, "ASP-%04d", i);
	write_one(n, LB_OP_PUT, "aspirasi", id, js);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t origin[LB_PK_BYTES];
	char path[160];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-adopt.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->a_dir, sizeof f->a_dir, "%s/a", f->dir);
	snprintf(f->b_dir, sizeof f->b_dir, "%s/b", f->dir);
	assert_int_equal(lb_node_init(f->a_dir, VILLAGE, NULL, origin, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/node.key", f->a_dir);
	assert_int_equal(lb_key_load(path, &f->key, NULL), LB_OK);
	assert_int_equal(lb_node_init_key(f->b_dir, VILLAGE, NULL, &f->key, origin, NULL), LB_OK);
	assert_memory_equal(origin, f->key.pk, LB_PK_BYTES);
	assert_int_equal(lb_node_open(&f->a, f->a_dir, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->b, f->b_dir, NULL, NULL), LB_OK);
	for (int i = 1; i <= 3; i++)
		put_asp(f->a, i, "lampu jalan");
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

static FILE *export(struct lb_node *n)
{
	FILE *f = tmpfile();
	struct lb_diag d = {0};

	assert_non_null(f);
	if (lb_node_export_log(n, f, &d))
		fail_msg("export: %s", d.msg);
	rewind(f);
	return f;
}

static void same_log(struct lb_node *x, struct lb_node *y)
{
	struct lb_node_info i, j;
	struct lb_verify_report r;
	struct lb_diag d = {0};

	assert_int_equal(lb_node_info(x, &i, NULL), LB_OK);
	assert_int_equal(lb_node_info(y, &j, NULL), LB_OK);
	assert_int_equal(i.seq, j.seq);
	assert_memory_equal(i.hash, j.hash, LB_HASH_BYTES);
	assert_memory_equal(i.root, j.root, LB_HASH_BYTES);
	assert_int_equal(i.records, j.records);
	if (lb_node_verify(y, &r, &d))
		fail_msg("verify after adopt: %s", d.msg);
}

static void restore_whole(void **state)
{
	struct fx *f = *state;
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	FILE *x = export(f->a);

	if (lb_node_adopt(f->b, x, NULL, &r, &d))
		fail_msg("adopt: %s", d.msg);
	assert_int_equal(r.added, 3);
	assert_int_equal(r.kept, 0);
	assert_int_equal(r.fork_seq, 0);
	assert_int_equal(r.tip, 3);
	same_log(f->a, f->b);
	/* it keeps working: a write continues the chain */
	put_asp(f->b, 4, "jembatan");
	fclose(x);
}

/* Bytes of an export with one byte of the copy changed at off. */
static FILE *altered(struct lb_node *n, long off_from_end)
{
	FILE *x = export(n), *y = tmpfile();
	int c;
	long len, i = 0;

	fseek(x, 0, SEEK_END);
	len = ftell(x);
	rewind(x);
	while ((c = fgetc(x)) != EOF) {
		if (i++ == len - off_from_end)
			c ^= 0x01;
		fputc(c, y);
	}
	fclose(x);
	rewind(y);
	return y;
}

static void assert_empty(struct lb_node *n)
{
	struct lb_node_info i;
	assert_int_equal(lb_node_info(n, &i, NULL), LB_OK);
	assert_int_equal(i.seq, 0);
	assert_int_equal(i.records, 0);
}

static void refuse_altered_entry(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	/* the trailer frame is about 40 bytes; the head before it ~ 200; an
	 * entry's body sits before that */
	FILE *x = altered(f->a, 300);

	assert_int_not_equal(lb_node_adopt(f->b, x, NULL, NULL, &d), LB_OK);
	assert_empty(f->b);
	fclose(x);
}

static void refuse_cut(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	FILE *x = export(f->a), *y = tmpfile();
	long len;
	int c;

	fseek(x, 0, SEEK_END);
	len = ftell(x);
	rewind(x);
	for (long i = 0; i < len - 30 && (c = fgetc(x)) != EOF; i++)
		fputc(c, y);
	rewind(y);
	assert_int_equal(lb_node_adopt(f->b, y, NULL, NULL, &d), LB_EMALFORMED);
	assert_empty(f->b);
	fclose(x);
	fclose(y);
}

static void refuse_other_village(void **state)
{
	struct fx *f = *state;
	struct lb_node *c;
	char dir[128];
	uint8_t o[LB_PK_BYTES];
	struct lb_diag d = {0};
	FILE *x;

	snprintf(dir, sizeof dir, "%s/c", f->dir);
	assert_int_equal(lb_node_init(dir, "33.24.01.2002", NULL, o, NULL), LB_OK);
	assert_int_equal(lb_node_open(&c, dir, NULL, NULL), LB_OK);
	put_asp(c, 1, "sumur");
	x = export(c);
	assert_int_equal(lb_node_adopt(f->b, x, NULL, NULL, &d), LB_EWRONG_VILLAGE);
	assert_non_null(strstr(d.msg, "33.24.01.2002"));
	assert_empty(f->b);
	fclose(x);
	lb_node_close(c);
}

static void refuse_other_key(void **state)
{
	struct fx *f = *state;
	struct lb_node *c;
	char dir[128];
	uint8_t o[LB_PK_BYTES];
	struct lb_diag d = {0};
	FILE *x = export(f->a);

	snprintf(dir, sizeof dir, "%s/c", f->dir);
	assert_int_equal(lb_node_init(dir, VILLAGE, NULL, o, NULL), LB_OK);
	assert_int_equal(lb_node_open(&c, dir, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_adopt(c, x, NULL, NULL, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "succession"));
	assert_empty(c);
	fclose(x);
	lb_node_close(c);
}

static void fork_replaced_and_kept(void **state)
{
	struct fx *f = *state;
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	FILE *x1 = export(f->a), *x2;

	assert_int_equal(lb_node_adopt(f->b, x1, NULL, NULL, &d), LB_OK);
	put_asp(f->a, 4, "jalan desa");      /* the aggregator's branch */
	put_asp(f->a, 5, "posyandu");
	put_asp(f->b, 9, "old backup write"); /* the old backup written to */
	x2 = export(f->a);
	if (lb_node_adopt(f->b, x2, NULL, &r, &d))
		fail_msg("adopt fork: %s", d.msg);
	assert_int_equal(r.fork_seq, 4);
	assert_int_equal(r.forked, 1);
	assert_int_equal(r.round, 1);
	assert_int_equal(r.kept, 3);
	assert_int_equal(r.added, 2);
	same_log(f->a, f->b);
	assert_false(lb_node_exists(f->b, "aspirasi", "ASP-0009", 8));
	fclose(x1);
	fclose(x2);
}

static int count_cb(void *ctx, uint32_t round, bool head, uint64_t seq, const uint8_t *raw,
                    size_t len)
{
	int *c = ctx;
	(void)round, (void)raw, (void)len;
	if (!head && seq == 4)
		c[0]++;
	if (head)
		c[1]++;
	return 0;
}

static void fork_evidence_readable(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	FILE *x1 = export(f->a), *x2;
	int c[2] = {0, 0};

	assert_int_equal(lb_node_adopt(f->b, x1, NULL, NULL, &d), LB_OK);
	put_asp(f->a, 4, "jalan desa");
	put_asp(f->b, 9, "old backup write");
	x2 = export(f->a);
	assert_int_equal(lb_node_adopt(f->b, x2, NULL, NULL, &d), LB_OK);
	assert_int_equal(lb_node_forked(f->b, 0, count_cb, c, &d), LB_OK);
	assert_int_equal(c[0], 1); /* our entry 4 */
	assert_int_equal(c[1], 1); /* and its head */
	fclose(x1);
	fclose(x2);
}

static void ahead_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	FILE *x1 = export(f->a);

	assert_int_equal(lb_node_adopt(f->b, x1, NULL, NULL, &d), LB_OK);
	put_asp(f->b, 7, "ahead");
	rewind(x1);
	assert_int_equal(lb_node_adopt(f->b, x1, NULL, &r, &d), LB_OK);
	assert_true(r.ahead);
	assert_int_equal(r.tip, 4);
	assert_true(lb_node_exists(f->b, "aspirasi", "ASP-0007", 8));
	fclose(x1);
}

struct tail_ctx {
	struct lb_node *n;
	struct lb_lla_writer *w;
};

static int tail_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct tail_ctx *t = ctx;
	(void)seq;
	assert_int_equal(lb_lla_write_entry(t->w, raw, len, NULL), LB_OK);
	return 0;
}

/* An archive of a's entries from..tip with header "from"; a broken one
 * without its trailer, or without the head of the last entry. */
enum { WHOLE = 0, NO_TRAILER = 1, NO_LAST_HEAD = 2 };
static FILE *tail_as(struct lb_node *n, uint64_t from, int broken);
static FILE *tail(struct lb_node *n, uint64_t from)
{
	return tail_as(n, from, WHOLE);
}

static FILE *tail_as(struct lb_node *n, uint64_t from, int broken)
{
	FILE *x = tmpfile();
	struct lb_lla_writer w;
	struct lb_lla_header h = {.source = "aggregator", .from = from};
	struct tail_ctx t = {n, &w};
	struct lb_node_info i;

	assert_int_equal(lb_node_info(n, &i, NULL), LB_OK);
	memcpy(h.village, i.village, sizeof h.village);
	memcpy(h.origin, i.origin, LB_PK_BYTES);
	lb_lla_writer_init(&w, x);
	assert_int_equal(lb_lla_write_header(&w, &h, NULL), LB_OK);
	for (uint64_t seq = from; seq <= i.seq; seq++) { /* one read txn at a time */
		uint8_t *hd;
		size_t hl;
		assert_int_equal(lb_node_log_raw(n, seq, seq, tail_entry, &t, NULL), LB_OK);
		if (lb_node_head(n, seq, &hd, &hl, NULL) == LB_OK) {
			if (!(broken == NO_LAST_HEAD && seq == i.seq))
				assert_int_equal(lb_lla_write_head(&w, hd, hl, NULL), LB_OK);
			free(hd);
		}
	}
	if (broken != NO_TRAILER)
		assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	else
		fflush(x);
	lb_lla_writer_free(&w);
	rewind(x);
	return x;
}

static void tail_appended_or_gap(void **state)
{
	struct fx *f = *state;
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	FILE *x1 = export(f->a), *t;

	assert_int_equal(lb_node_adopt(f->b, x1, NULL, NULL, &d), LB_OK);
	put_asp(f->a, 4, "jalan");
	put_asp(f->a, 5, "pos");
	put_asp(f->a, 6, "balai");
	t = tail(f->a, 5);
	assert_int_equal(lb_node_adopt(f->b, t, NULL, &r, &d), LB_EGAP); /* we hold only 1..3 */
	fclose(t);
	t = tail(f->a, 4);
	if (lb_node_adopt(f->b, t, NULL, &r, &d))
		fail_msg("adopt tail: %s", d.msg);
	assert_int_equal(r.from, 4);
	assert_int_equal(r.added, 3);
	same_log(f->a, f->b);
	fclose(t);
	fclose(x1);
}

/* Cut at a frame's edge (the trailer missing) or ending in entries no
 * head covers: refused, nothing written. */
static void refuse_no_trailer_or_unsigned_end(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	FILE *x = tail_as(f->a, 1, NO_TRAILER);

	assert_int_equal(lb_node_adopt(f->b, x, NULL, NULL, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "cut short"));
	assert_empty(f->b);
	fclose(x);
	x = tail_as(f->a, 1, NO_LAST_HEAD);
	assert_int_equal(lb_node_adopt(f->b, x, NULL, NULL, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "not covered by a signed head"));
	assert_empty(f->b);
	fclose(x);
}

/* ---- logs owned by a region, replicas, adopt flags, export tails ---- */

#define REGION "33.24"
#define STRICT (LB_ADOPT_NO_FORK | LB_ADOPT_NO_ROLLBACK)

struct cat {
	char dir[64];
	char own[96], rep[96];
	struct lb_node *o, *r;   /* the owner's catalogue, a replica of it */
	struct lb_key key;       /* the owner's key */
};

static int cat_setup(void **state)
{
	struct cat *c = calloc(1, sizeof *c);
	struct lb_node_opts ro = {.replica = true};
	uint8_t origin[LB_PK_BYTES];
	char path[160];

	snprintf(c->dir, sizeof c->dir, "/tmp/lb-test-cat.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->own, sizeof c->own, "%s/own", c->dir);
	snprintf(c->rep, sizeof c->rep, "%s/rep", c->dir);
	assert_int_equal(lb_node_init_key(c->own, REGION, "Kabupaten", NULL, origin, NULL), LB_OK);
	snprintf(path, sizeof path, "%s/node.key", c->own);
	assert_int_equal(lb_key_load(path, &c->key, NULL), LB_OK);
	assert_int_equal(lb_node_init_replica(c->rep, REGION, c->key.pk, NULL), LB_OK);
	assert_int_equal(lb_node_open(&c->o, c->own, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_open(&c->r, c->rep, &ro, NULL), LB_OK);
	for (int i = 1; i <= 3; i++)
		put_asp(c->o, i, "program");
	*state = c;
	return 0;
}

static int cat_teardown(void **state)
{
	struct cat *c = *state;
	char cmd[128];

	lb_node_close(c->o);
	lb_node_close(c->r);
	lb_key_wipe(&c->key);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", c->dir);
	assert_int_equal(system(cmd), 0);
	free(c);
	return 0;
}

static FILE *export_from(struct lb_node *n, uint64_t from)
{
	FILE *f = tmpfile();
	struct lb_diag d = {0};

	assert_non_null(f);
	if (lb_node_export_log_from(n, from, f, &d))
		fail_msg("export from %llu: %s", (unsigned long long)from, d.msg);
	rewind(f);
	return f;
}

static uint64_t tip_of(struct lb_node *n)
{
	struct lb_node_info i;
	assert_int_equal(lb_node_info(n, &i, NULL), LB_OK);
	return i.seq;
}

static void owner_codes(void **state)
{
	char dir[128];
	uint8_t o[LB_PK_BYTES];
	struct lb_node *n;
	struct lb_node_info i;
	struct cat *c = *state;

	assert_true(lb_log_owner_ok("33.24"));
	assert_true(lb_log_owner_ok("33.24.01"));
	assert_true(lb_log_owner_ok("33.24.01.2001"));
	assert_false(lb_log_owner_ok("33"));
	assert_false(lb_log_owner_ok("33.24.1"));
	assert_false(lb_log_owner_ok(""));
	assert_false(lb_log_owner_ok(NULL));
	/* lumbung init stays desa-only; a kecamatan's catalogue node is fine */
	snprintf(dir, sizeof dir, "%s/k1", c->dir);
	assert_int_equal(lb_node_init(dir, "33.24", NULL, o, NULL), LB_EINVAL);
	snprintf(dir, sizeof dir, "%s/k2", c->dir);
	assert_int_equal(lb_node_init_key(dir, "33", NULL, NULL, o, NULL), LB_EINVAL);
	snprintf(dir, sizeof dir, "%s/k3", c->dir);
	assert_int_equal(lb_node_init_key(dir, "33.24.01", NULL, NULL, o, NULL), LB_OK);
	assert_int_equal(lb_node_open(&n, dir, NULL, NULL), LB_OK);
	assert_int_equal(lb_node_info(n, &i, NULL), LB_OK);
	assert_string_equal(i.village, "33.24.01");
	lb_node_close(n);
	/* the owner's log verifies, heads and archive name the region */
	assert_int_equal(lb_node_info(c->o, &i, NULL), LB_OK);
	assert_string_equal(i.village, REGION);
	{
		struct lb_verify_report r;
		struct lb_diag d = {0};
		if (lb_node_verify(c->o, &r, &d))
			fail_msg("verify: %s", d.msg);
		assert_int_equal(r.heads, 3);
	}
}

static void replica_follows_owner(void **state)
{
	struct cat *c = *state;
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	FILE *x = export_from(c->o, 1), *t;
	char path[160];

	snprintf(path, sizeof path, "%s/node.key", c->rep);
	assert_int_not_equal(access(path, F_OK), 0); /* no secret key */
	if (lb_node_adopt_ex(c->r, x, NULL, STRICT, &r, &d))
		fail_msg("replica adopt: %s", d.msg);
	assert_int_equal(r.added, 3);
	same_log(c->o, c->r);
	/* never written directly */
	{
		struct lb_mp_buf b;
		struct lb_change ch = {.op = LB_OP_DEL, .type = "aspirasi", .id = "ASP-0001",
		                       .id_len = 8};
		lb_mp_buf_init(&b);
		assert_int_equal(lb_node_write(c->r, &ch, 1, 0, NULL, &d), LB_EINVAL);
		assert_non_null(strstr(d.msg, "replica"));
		lb_mp_buf_free(&b);
	}
	/* a tail from held+1 */
	put_asp(c->o, 4, "baru");
	put_asp(c->o, 5, "baru lagi");
	t = export_from(c->o, 4);
	if (lb_node_adopt_ex(c->r, t, NULL, STRICT, &r, &d))
		fail_msg("replica adopt tail: %s", d.msg);
	assert_int_equal(r.from, 4);
	assert_int_equal(r.added, 2);
	same_log(c->o, c->r);
	fclose(t);
	/* an empty tail (from tip+1) changes nothing */
	t = export_from(c->o, 6);
	assert_int_equal(lb_node_adopt_ex(c->r, t, NULL, STRICT, &r, &d), LB_OK);
	assert_int_equal(tip_of(c->r), 5);
	fclose(t);
	/* past tip+1: no such tail */
	t = tmpfile();
	assert_int_equal(lb_node_export_log_from(c->o, 7, t, &d), LB_EINVAL);
	fclose(t);
	fclose(x);
}

static void replica_refuses_rollback(void **state)
{
	struct cat *c = *state;
	struct lb_diag d = {0};
	FILE *old = export_from(c->o, 1), *now;

	put_asp(c->o, 4, "baru");
	now = export_from(c->o, 1);
	assert_int_equal(lb_node_adopt_ex(c->r, now, NULL, STRICT, NULL, &d), LB_OK);
	assert_int_equal(lb_node_adopt_ex(c->r, old, NULL, STRICT, NULL, &d), LB_EREFUSED);
	assert_non_null(strstr(d.msg, "rollback: the copy ends at seq 3, we hold 4"));
	assert_int_equal(tip_of(c->r), 4);
	same_log(c->o, c->r);
	/* without the flag an older copy is just "ahead" (a village's case) */
	rewind(old);
	assert_int_equal(lb_node_adopt_ex(c->r, old, NULL, LB_ADOPT_NO_FORK, NULL, &d), LB_OK);
	assert_int_equal(tip_of(c->r), 4);
	fclose(old);
	fclose(now);
}

static void replica_refuses_fork(void **state)
{
	struct cat *c = *state;
	struct lb_diag d = {0};
	struct lb_node *twin;
	uint8_t o[LB_PK_BYTES];
	char dir[128];
	FILE *x = export_from(c->o, 1), *y, *t;

	assert_int_equal(lb_node_adopt_ex(c->r, x, NULL, STRICT, NULL, &d), LB_OK);
	/* the same key signs another history from seq 3 on */
	snprintf(dir, sizeof dir, "%s/twin", c->dir);
	assert_int_equal(lb_node_init_key(dir, REGION, NULL, &c->key, o, NULL), LB_OK);
	assert_int_equal(lb_node_open(&twin, dir, NULL, NULL), LB_OK);
	rewind(x);
	assert_int_equal(lb_node_adopt(twin, x, NULL, NULL, &d), LB_OK);
	put_asp(twin, 7, "lain");
	put_asp(twin, 8, "lain lagi");
	put_asp(c->o, 4, "asli");
	t = export_from(c->o, 4);
	assert_int_equal(lb_node_adopt_ex(c->r, t, NULL, STRICT, NULL, &d), LB_OK);
	fclose(t);
	/* whole: the twin's entry 4 differs from ours */
	y = export_from(twin, 1);
	assert_int_equal(lb_node_adopt_ex(c->r, y, NULL, STRICT, NULL, &d), LB_EFORK);
	assert_non_null(strstr(d.msg, "forked"));
	assert_int_equal(tip_of(c->r), 4);
	same_log(c->o, c->r);
	/* a tail of the twin from held+1 does not follow our entry 4 */
	t = export_from(twin, 5);
	assert_int_equal(lb_node_adopt_ex(c->r, t, NULL, STRICT, NULL, &d), LB_EFORK);
	assert_int_equal(tip_of(c->r), 4);
	same_log(c->o, c->r);
	fclose(t);
	fclose(x);
	fclose(y);
	lb_node_close(twin);
}

static void replica_refuses_foreign(void **state)
{
	struct cat *c = *state;
	struct lb_diag d = {0};
	struct lb_node *other;
	uint8_t o[LB_PK_BYTES];
	char dir[128];
	FILE *x;

	/* the same region under another key */
	snprintf(dir, sizeof dir, "%s/other", c->dir);
	assert_int_equal(lb_node_init_key(dir, REGION, NULL, NULL, o, NULL), LB_OK);
	assert_int_equal(lb_node_open(&other, dir, NULL, NULL), LB_OK);
	put_asp(other, 1, "palsu");
	x = export_from(other, 1);
	assert_int_equal(lb_node_adopt_ex(c->r, x, NULL, STRICT, NULL, &d), LB_ESIG);
	assert_int_equal(tip_of(c->r), 0);
	fclose(x);
	lb_node_close(other);
	/* another region's catalogue */
	snprintf(dir, sizeof dir, "%s/other2", c->dir);
	assert_int_equal(lb_node_init_key(dir, "33.25", NULL, &c->key, o, NULL), LB_OK);
	assert_int_equal(lb_node_open(&other, dir, NULL, NULL), LB_OK);
	put_asp(other, 1, "tetangga");
	x = export_from(other, 1);
	assert_int_equal(lb_node_adopt_ex(c->r, x, NULL, STRICT, NULL, &d), LB_EWRONG_VILLAGE);
	assert_int_equal(tip_of(c->r), 0);
	fclose(x);
	lb_node_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(restore_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(refuse_altered_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(refuse_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(refuse_other_village, setup, teardown),
		cmocka_unit_test_setup_teardown(refuse_other_key, setup, teardown),
		cmocka_unit_test_setup_teardown(fork_replaced_and_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(fork_evidence_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(ahead_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(tail_appended_or_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(refuse_no_trailer_or_unsigned_end, setup, teardown),
		cmocka_unit_test_setup_teardown(owner_codes, cat_setup, cat_teardown),
		cmocka_unit_test_setup_teardown(replica_follows_owner, cat_setup, cat_teardown),
		cmocka_unit_test_setup_teardown(replica_refuses_rollback, cat_setup, cat_teardown),
		cmocka_unit_test_setup_teardown(replica_refuses_fork, cat_setup, cat_teardown),
		cmocka_unit_test_setup_teardown(replica_refuses_foreign, cat_setup, cat_teardown),
	};
	if (sodium_init() < 0)
		return 1;
	lb_schema_builtin_init(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
