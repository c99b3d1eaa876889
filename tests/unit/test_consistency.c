/*
 * test_consistency.c — the rules between fields and records the node
 * applies to new writes (node/consistency.h): NIK against sex and birth
 * date, no birth date in the future, a keluarga's head a live resident,
 * one NIK once per programme, no del of a record live records refer to
 * (or --cascade), the index behind them caught up and rebuilt from the
 * log, and verify's dangling references.
 *
 * Known answers are worked out by hand from the NIK layout (digits 7-12
 * DDMMYY, 40 added to the day for women), never with the code under test.
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

#include "../../node/body.h"
#include "../../node/consistency.h"
#include "../../node/node.h"
#include "../../schema/schema.h"
#include "forge.h"

struct fx {
	char dir[64];
	char node[80];
	struct lb_node *n;
	struct lb_mp_buf body;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t origin[LB_PK_BYTES];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-cons.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->node, sizeof f->node, "%s/n", f->dir);
	assert_int_equal(lb_node_init(f->node, "33.24.01.2001", "Desa Uji", origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, f->node, NULL, NULL), LB_OK);
	lb_mp_buf_init(&f->body);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_node_close(f->n);
	lb_mp_buf_free(&f->body);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Write one put (body from JSON); returns the write's code, message in d. */
static lb_err put_f(struct fx *f, unsigned flags, struct lb_diag *d, const char *type,
                    const char *id, const char *fmt, ...)
{
	char json[1024];
	va_list ap;
	json_t *j;
	struct lb_change c;

	va_start(ap, fmt);
	vsnprintf(json, sizeof json, fmt, ap);
	va_end(ap);
	j = json_loads(json, 0, NULL);
	assert_non_null(j);
	lb_mp_buf_reset(&f->body);
	assert_int_equal(lb_body_from_json(&f->body, j, NULL), LB_OK);
	json_decref(j);
	c = (struct lb_change){.op = LB_OP_PUT, .type = type, .id = id, .id_len = strlen(id),
	                       .body = (const uint8_t *)f->body.sb.data, .body_len = f->body.sb.size};
	if (d)
		memset(d, 0, sizeof *d);
	return lb_node_write(f->n, &c, 1, flags, NULL, d);
}

static lb_err del_f(struct fx *f, unsigned flags, struct lb_commit *cm, struct lb_diag *d,
                    const char *type, const char *id)
{
	struct lb_change c = {.op = LB_OP_DEL, .type = type, .id = id, .id_len = strlen(id)};
	if (d)
		memset(d, 0, sizeof *d);
	return lb_node_write(f->n, &c, 1, flags, cm, d);
}

static uint64_t seq_of(struct fx *f)
{
	struct lb_node_info info;
	assert_int_equal(lb_node_info(f->n, &info, NULL), LB_OK);
	return info.seq;
}

static bool live(struct fx *f, const char *type, const char *id)
{
	uint8_t *b;
	size_t len;
	if (lb_node_get(f->n, type, id, strlen(id), &b, &len, NULL, NULL))
		return false;
	free(b);
	return true;
}

#define ok(e) assert_int_equal((e), LB_OK)
#define has(d, s)                                                                        \
	do {                                                                             \
		if (!strstr((d).msg, (s)))                                               \
			fail_msg("\"%s\" not in: %s", (s), (d).msg);                     \
	} while (0)

/* A resident with nik, birth date and sex. */
static lb_err resident(struct fx *f, struct lb_diag *d, const char *nik, const char *tgl,
                       const char *jk, const char *status)
{
	return put_f(f, 0, d, "penduduk", nik,
	             "{\"nik\":\"%s\",\"no_kk\":\"3324010101150001\",\"nama\":\"Warga\","
	             "\"tanggal_lahir\":\"%s\",\"jenis_kelamin\":\"%s\",\"status\":\"%s\"}",
	             nik, tgl, jk, status);
}

static lb_err programme(struct fx *f, const char *kode)
{
	return put_f(f, 0, NULL, "program", kode,
	             "{\"kode\":\"%s\",\"nama\":\"BLT\",\"bidang\":\"sosial\",\"anggaran\":1000,"
	             "\"tahun\":2026}",
	             kode);
}

static lb_err beneficiary(struct fx *f, struct lb_diag *d, const char *id, const char *prog,
                          const char *nik)
{
	return put_f(f, 0, d, "penerima", id,
	             "{\"program\":\"%s\",\"nik\":\"%s\",\"tanggal\":\"2026-03-01\","
	             "\"bentuk\":\"uang\",\"status\":\"diusulkan\"}",
	             prog, nik);
}

/* ---- rule 1 and 2 without a node -------------------------------------------- */

static void nik_against_sex_and_birth_date(void **state)
{
	struct lb_diag d = {0};
	(void)state;

	/* 3324 01 | 41 01 90 | 0001: a woman (41 = 1 + 40) born 01-01-1990 */
	ok(lb_cons_nik_agrees("3324014101900001", 16, "1990-01-01", 10, "P", 1, &d));
	/* 3324 01 | 12 05 87: a man born 12-05-1987 */
	ok(lb_cons_nik_agrees("3324011205870001", 16, "1987-05-12", 10, "L", 1, &d));
	/* the century is not in the NIK: 2087 agrees as well as 1987 */
	ok(lb_cons_nik_agrees("3324011205870001", 16, "1887-05-12", 10, "L", 1, &d));

	assert_int_equal(lb_cons_nik_agrees("3324014101900001", 16, "1990-01-01", 10, "L", 1, &d),
	                 LB_ESCHEMA);
	has(d, "woman");
	has(d, "jenis_kelamin is L");
	assert_int_equal(lb_cons_nik_agrees("3324011205870001", 16, "1987-05-12", 10, "P", 1, &d),
	                 LB_ESCHEMA);
	has(d, "man's");
	assert_int_equal(lb_cons_nik_agrees("3324011205870001", 16, "1987-12-05", 10, "L", 1, &d),
	                 LB_ESCHEMA);
	has(d, "12-05-87");
	has(d, "tanggal_lahir is 1987-12-05");
	assert_int_equal(lb_cons_nik_agrees("3324011205870001", 16, "1988-05-12", 10, "L", 1, &d),
	                 LB_ESCHEMA);
	/* both problems in one message */
	assert_int_equal(lb_cons_nik_agrees("3324015205870001", 16, "1987-05-13", 10, "L", 1, &d),
	                 LB_ESCHEMA);
	has(d, "woman");
	has(d, "; ");
	has(d, "tanggal_lahir is 1987-05-13");
}

static void a_birth_date_after_today_is_refused(void **state)
{
	struct lb_diag d = {0};
	char today[11];
	(void)state;

	ok(lb_cons_not_future("tanggal_lahir", "2026-11-30", 10, "2026-11-30", &d));
	ok(lb_cons_not_future("tanggal_lahir", "1999-12-31", 10, "2026-11-30", &d));
	assert_int_equal(lb_cons_not_future("tanggal_lahir", "2026-12-01", 10, "2026-11-30", &d),
	                 LB_ESCHEMA);
	has(d, "tanggal_lahir 2026-12-01 is in the future (today is 2026-11-30)");
	lb_cons_today(today);
	assert_int_equal(strlen(today), 10);
	assert_true(strcmp(today, "2026-01-01") > 0 && strcmp(today, "2100-01-01") < 0);
}

/* ---- rules on writes ---------------------------------------------------------- */

static void the_node_refuses_a_resident_whose_nik_disagrees(void **state)
{
	struct fx *f = *state;
	struct lb_diag d;

	assert_int_equal(resident(f, &d, "3324014101900001", "1990-01-01", "L", "hidup"), LB_ESCHEMA);
	has(d, "penduduk 3324014101900001: nik 3324014101900001 is a woman's");
	assert_int_equal(resident(f, &d, "3324014101900001", "1990-01-02", "P", "hidup"), LB_ESCHEMA);
	has(d, "01-01-90");
	assert_int_equal(resident(f, &d, "3324014101990001", "2099-01-01", "P", "hidup"), LB_ESCHEMA);
	has(d, "in the future");
	assert_int_equal(seq_of(f), 0);
	ok(resident(f, &d, "3324014101900001", "1990-01-01", "P", "hidup"));
	assert_int_equal(seq_of(f), 1);
}

static void a_family_head_must_be_a_live_resident(void **state)
{
	struct fx *f = *state;
	struct lb_diag d;
	const char *kk = "{\"no_kk\":\"3324010101150001\",\"kepala_keluarga\":\"%s\"}";

	assert_int_equal(put_f(f, 0, &d, "keluarga", "3324010101150001", kk, "3324011205870001"),
	                 LB_ESCHEMA);
	has(d, "kepala_keluarga 3324011205870001 is not a resident");
	/* dead */
	ok(resident(f, &d, "3324011205870001", "1987-05-12", "L", "meninggal"));
	assert_int_equal(put_f(f, 0, &d, "keluarga", "3324010101150001", kk, "3324011205870001"),
	                 LB_ESCHEMA);
	has(d, "status meninggal");
	/* deleted */
	ok(resident(f, &d, "3324011205870002", "1987-05-12", "L", "hidup"));
	ok(del_f(f, 0, NULL, &d, "penduduk", "3324011205870002"));
	assert_int_equal(put_f(f, 0, &d, "keluarga", "3324010101150001", kk, "3324011205870002"),
	                 LB_ESCHEMA);
	has(d, "was deleted");
	/* alive and here */
	ok(resident(f, &d, "3324011205870001", "1987-05-12", "L", "hidup"));
	ok(put_f(f, 0, &d, "keluarga", "3324010101150001", kk, "3324011205870001"));
}

static void a_head_written_in_the_same_transaction_counts(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf b1, b2;
	struct lb_change ops[2];
	struct lb_diag d = {0};
	json_t *j;

	lb_mp_buf_init(&b1);
	lb_mp_buf_init(&b2);
	j = json_loads("{\"nik\":\"3324011205870001\",\"no_kk\":\"3324010101150001\",\"nama\":\"A\","
	               "\"tanggal_lahir\":\"1987-05-12\",\"jenis_kelamin\":\"L\",\"status\":\"hidup\"}",
	               0, NULL);
	ok(lb_body_from_json(&b1, j, NULL));
	json_decref(j);
	j = json_loads("{\"no_kk\":\"3324010101150001\",\"kepala_keluarga\":\"3324011205870001\"}", 0,
	               NULL);
	ok(lb_body_from_json(&b2, j, NULL));
	json_decref(j);
	ops[0] = (struct lb_change){LB_OP_PUT, "penduduk", "3324011205870001", 16,
	                            (const uint8_t *)b1.sb.data, b1.sb.size};
	ops[1] = (struct lb_change){LB_OP_PUT, "keluarga", "3324010101150001", 16,
	                            (const uint8_t *)b2.sb.data, b2.sb.size};
	if (lb_node_write(f->n, ops, 2, 0, NULL, &d))
		fail_msg("head and family card in one transaction: %s", d.msg);
	lb_mp_buf_free(&b1);
	lb_mp_buf_free(&b2);
}

static void one_nik_once_per_programme(void **state)
{
	struct fx *f = *state;
	struct lb_diag d;

	ok(programme(f, "P1"));
	ok(programme(f, "P2"));
	ok(beneficiary(f, &d, "A1", "P1", "3324011205870001"));
	assert_int_equal(beneficiary(f, &d, "A2", "P1", "3324011205870001"), LB_ESCHEMA);
	has(d, "penerima A2: nik 3324011205870001 is already a beneficiary of programme P1 "
	       "(penerima A1)");
	/* another programme, another NIK, the same record again: fine */
	ok(beneficiary(f, &d, "A2", "P2", "3324011205870001"));
	ok(beneficiary(f, &d, "A3", "P1", "3324011205870002"));
	ok(beneficiary(f, &d, "A1", "P1", "3324011205870001"));
	/* A2 moved to P1 collides with A1 */
	assert_int_equal(beneficiary(f, &d, "A2", "P1", "3324011205870001"), LB_ESCHEMA);
	has(d, "(penerima A1)");
	/* A1 deleted (or moved away): the NIK is free again in P1 */
	ok(del_f(f, 0, NULL, &d, "penerima", "A1"));
	ok(beneficiary(f, &d, "A2", "P1", "3324011205870001"));
	ok(beneficiary(f, &d, "A4", "P2", "3324011205870001"));
}

static void the_second_row_of_a_batch_is_refused_too(void **state)
{
	struct fx *f = *state;
	struct lb_mp_buf b;
	struct lb_change ops[2];
	struct lb_commit cm;
	struct lb_diag d = {0};
	json_t *j;

	ok(programme(f, "P1"));
	lb_mp_buf_init(&b);
	j = json_loads("{\"program\":\"P1\",\"nik\":\"3324011205870001\",\"tanggal\":\"2026-03-01\","
	               "\"bentuk\":\"uang\",\"status\":\"diusulkan\"}",
	               0, NULL);
	ok(lb_body_from_json(&b, j, NULL));
	json_decref(j);
	ops[0] = (struct lb_change){LB_OP_PUT, "penerima", "B1", 2, (const uint8_t *)b.sb.data,
	                            b.sb.size};
	ops[1] = ops[0];
	ops[1].id = "B2";
	assert_int_equal(lb_node_write(f->n, ops, 2, 0, &cm, &d), LB_ESCHEMA);
	assert_int_equal(cm.failed_op, 1);
	has(d, "(penerima B1)");
	assert_int_equal(seq_of(f), 1);
	lb_mp_buf_free(&b);
}

static void a_referenced_record_is_not_deleted_but_cascades(void **state)
{
	struct fx *f = *state;
	struct lb_commit cm;
	struct lb_diag d;
	char id[16], nik[17];
	uint64_t s0;

	ok(programme(f, "P1"));
	ok(beneficiary(f, &d, "A1", "P1", "3324011205870001"));
	ok(put_f(f, 0, &d, "kegiatan", "K1",
	         "{\"program\":\"P1\",\"nama\":\"Sosialisasi\",\"tanggal_mulai\":\"2026-02-01\"}"));
	s0 = seq_of(f);
	assert_int_equal(del_f(f, 0, NULL, &d, "program", "P1"), LB_ESCHEMA);
	has(d, "program P1: 2 live record(s) refer to it: ");
	has(d, "penerima A1 (program)");
	has(d, "kegiatan K1 (program)");
	has(d, "--cascade");
	assert_int_equal(seq_of(f), s0);

	/* a resident heading a keluarga */
	ok(resident(f, &d, "3324011205870001", "1987-05-12", "L", "hidup"));
	ok(put_f(f, 0, &d, "keluarga", "3324010101150001",
	         "{\"no_kk\":\"3324010101150001\",\"kepala_keluarga\":\"3324011205870001\"}"));
	assert_int_equal(del_f(f, 0, NULL, &d, "penduduk", "3324011205870001"), LB_ESCHEMA);
	has(d, "keluarga 3324010101150001 (kepala_keluarga)");

	/* a beneficiary that no longer names it does not hold it */
	ok(programme(f, "P2"));
	ok(beneficiary(f, &d, "A1", "P2", "3324011205870001"));
	assert_int_equal(del_f(f, 0, NULL, &d, "program", "P1"), LB_ESCHEMA);
	has(d, "program P1: 1 live record(s) refer to it: kegiatan K1 (program)");

	/* more than ten: ten named, then how many more */
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "M%02d", i);
		snprintf(nik, sizeof nik, "33240112058700%02u", (unsigned)(i + 10) % 100);
		ok(beneficiary(f, &d, id, "P2", nik));
	}
	assert_int_equal(del_f(f, 0, NULL, &d, "program", "P2"), LB_ESCHEMA);
	has(d, "13 live records refer to it: ");
	has(d, " and 3 more");

	/* --cascade: all of them in one transaction, the programme last */
	s0 = seq_of(f);
	ok(del_f(f, LB_WRITE_CASCADE, &cm, &d, "program", "P2"));
	assert_int_equal(cm.written, 14);
	assert_int_equal(cm.cascaded, 13);
	assert_int_equal(cm.first_seq, s0 + 1);
	assert_int_equal(cm.last_seq, s0 + 14);
	assert_false(live(f, "program", "P2"));
	assert_false(live(f, "penerima", "A1"));
	assert_false(live(f, "penerima", "M11"));
	assert_true(live(f, "kegiatan", "K1"));
	ok(del_f(f, LB_WRITE_CASCADE, &cm, &d, "penduduk", "3324011205870001"));
	assert_int_equal(cm.cascaded, 1);
	assert_false(live(f, "keluarga", "3324010101150001"));
	/* the verify of the whole history still holds */
	{
		struct lb_verify_report r;
		if (lb_node_verify(f->n, &r, &d))
			fail_msg("verify: %s", d.msg);
	}
}

/* An import's first pass asks before writing: the same answers, nothing
 * written. */
static void a_put_can_be_checked_without_writing(void **state)
{
	struct fx *f = *state;
	struct lb_diag d = {0};
	json_t *j;

	ok(programme(f, "P1"));
	ok(beneficiary(f, &d, "A1", "P1", "3324011205870001"));
	ok(resident(f, &d, "3324011205870001", "1987-05-12", "L", "meninggal"));
#define CHECK(type, id, json)                                                            \
	(j = json_loads(json, 0, NULL), lb_mp_buf_reset(&f->body),                       \
	 lb_body_from_json(&f->body, j, NULL), json_decref(j),                           \
	 memset(&d, 0, sizeof d),                                                        \
	 lb_node_check_put(f->n, type, id, strlen(id), (const uint8_t *)f->body.sb.data,  \
	                   f->body.sb.size, &d))
	assert_int_equal(CHECK("penduduk", "3324014101900001",
	                       "{\"nik\":\"3324014101900001\",\"no_kk\":\"3324010101150001\","
	                       "\"nama\":\"A\",\"tanggal_lahir\":\"1990-01-01\","
	                       "\"jenis_kelamin\":\"L\",\"status\":\"hidup\"}"),
	                 LB_ESCHEMA);
	has(d, "woman's");
	assert_int_equal(CHECK("keluarga", "3324010101150001",
	                       "{\"no_kk\":\"3324010101150001\","
	                       "\"kepala_keluarga\":\"3324011205870001\"}"),
	                 LB_ESCHEMA);
	has(d, "status meninggal");
	assert_int_equal(CHECK("penerima", "A2",
	                       "{\"program\":\"P1\",\"nik\":\"3324011205870001\","
	                       "\"tanggal\":\"2026-03-01\",\"bentuk\":\"uang\","
	                       "\"status\":\"diusulkan\"}"),
	                 LB_ESCHEMA);
	has(d, "(penerima A1)");
	ok(CHECK("penerima", "A1",
	         "{\"program\":\"P1\",\"nik\":\"3324011205870001\",\"tanggal\":\"2026-03-01\","
	         "\"bentuk\":\"uang\",\"status\":\"disalurkan\"}"));
#undef CHECK
	assert_int_equal(seq_of(f), 3);
}

/* ---- the index behind the node's back ----------------------------------------- */

/* Entries appended by someone who does not keep the index (an older
 * lumbung, an adoption): the next write reads them first. */
static void the_index_catches_up_with_entries_it_did_not_write(void **state)
{
	struct fx *f = *state;
	struct forge *g;
	struct lb_diag d;

	ok(programme(f, "P1"));
	lb_node_close(f->n);
	f->n = NULL;
	g = forge_from_node(f->node);
	forge_add(g, LB_OP_PUT, "penerima", "OLD",
	          "{\"program\":\"P1\",\"nik\":\"3324011205870001\",\"tanggal\":\"2026-03-01\","
	          "\"bentuk\":\"uang\",\"status\":\"diusulkan\"}",
	          NULL, NULL);
	forge_head(g, g->n, NULL, NULL, NULL);
	forge_node_write(g, f->node, g->n);
	forge_free(g);
	ok(lb_node_open(&f->n, f->node, NULL, NULL));
	assert_int_equal(beneficiary(f, &d, "NEW", "P1", "3324011205870001"), LB_ESCHEMA);
	has(d, "(penerima OLD)");
	assert_int_equal(del_f(f, 0, NULL, &d, "program", "P1"), LB_ESCHEMA);
	has(d, "penerima OLD (program)");
}

/* A history replaced from some seq on (a restore, a repair's adoption):
 * the entry the index last read is another one, so it is rebuilt. */
static void the_index_is_rebuilt_when_the_history_was_replaced(void **state)
{
	struct fx *f = *state;
	struct forge *g;
	struct lb_diag d;

	ok(programme(f, "P1"));
	ok(beneficiary(f, &d, "A1", "P1", "3324011205870001")); /* seq 2, indexed */
	lb_node_close(f->n);
	f->n = NULL;
	g = forge_from_node(f->node);
	g->n = 1; /* drop seq 2; a different seq 2 */
	forge_add(g, LB_OP_PUT, "penerima", "A1",
	          "{\"program\":\"P1\",\"nik\":\"3324011205870009\",\"tanggal\":\"2026-03-01\","
	          "\"bentuk\":\"uang\",\"status\":\"diusulkan\"}",
	          NULL, NULL);
	forge_head(g, 2, NULL, NULL, NULL);
	forge_node_write(g, f->node, 2);
	forge_free(g);
	ok(lb_node_open(&f->n, f->node, NULL, NULL));
	/* the NIK the index had is free, the one now in the log is not */
	ok(beneficiary(f, &d, "A2", "P1", "3324011205870001"));
	assert_int_equal(beneficiary(f, &d, "A3", "P1", "3324011205870009"), LB_ESCHEMA);
	has(d, "(penerima A1)");
}

/* ---- verify: references that point at nothing --------------------------------- */

struct seen {
	int n;
	char line[4][200];
};

static int seen_cb(void *ctx, const struct lb_dangling *x)
{
	struct seen *s = ctx;
	if (s->n < 4)
		snprintf(s->line[s->n], sizeof s->line[0], "%s %s %s -> %s %s %s", x->type, x->id,
		         x->field, x->target_type, x->target_id, x->deleted ? "deleted" : "absent");
	s->n++;
	return 0;
}

/* The lumbung binary next to this test's directory (build/tests/..). */
static void lumbung_path(char *out, size_t n)
{
	char self[512];
	ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
	char *slash;

	assert_true(l > 0);
	self[l] = 0;
	assert_non_null(slash = strrchr(self, '/'));
	*slash = 0;
	snprintf(out, n, "%s/../lumbung", self);
}

static void verify_lists_dangling_references(void **state)
{
	struct fx *f = *state;
	struct forge *g;
	struct seen s = {0};
	struct lb_diag d;
	uint64_t count;
	char bin[600], cmd[800], out[2048];
	FILE *p;
	size_t got;
	int st;

	ok(programme(f, "P1"));
	ok(beneficiary(f, &d, "A1", "P1", "3324011205870001"));
	ok(resident(f, &d, "3324011205870001", "1987-05-12", "L", "hidup"));
	ok(put_f(f, 0, &d, "keluarga", "3324010101150001",
	         "{\"no_kk\":\"3324010101150001\",\"kepala_keluarga\":\"3324011205870001\"}"));
	ok(lb_node_dangling(f->n, seen_cb, &s, &count, &d));
	assert_int_equal(count, 0);
	assert_int_equal(s.n, 0);

	/* older history: the programme and the head deleted while referred to */
	lb_node_close(f->n);
	f->n = NULL;
	g = forge_from_node(f->node);
	forge_add(g, LB_OP_DEL, "program", "P1", NULL, NULL, NULL);
	forge_add(g, LB_OP_DEL, "penduduk", "3324011205870001", NULL, NULL, NULL);
	forge_head(g, g->n, NULL, NULL, NULL);
	forge_node_write(g, f->node, g->n - 1);
	forge_free(g);

	/* the CLI: verify fails, --json lists them */
	lumbung_path(bin, sizeof bin);
	snprintf(cmd, sizeof cmd, "'%s' verify -d '%s' --json 2>/dev/null", bin, f->node);
	assert_non_null(p = popen(cmd, "r"));
	got = fread(out, 1, sizeof out - 1, p);
	out[got] = 0;
	st = pclose(p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), lb_exit_status(LB_ESCHEMA));
	if (!strstr(out, "\"ok\":false") ||
	    !strstr(out, "{\"type\":\"keluarga\",\"id\":\"3324010101150001\",\"field\":"
	                 "\"kepala_keluarga\",\"target_type\":\"penduduk\",\"target_id\":"
	                 "\"3324011205870001\",\"target\":\"deleted\"}") ||
	    !strstr(out, "{\"type\":\"penerima\",\"id\":\"A1\",\"field\":\"program\",\"target_type\":"
	                 "\"program\",\"target_id\":\"P1\",\"target\":\"deleted\"}") ||
	    !strstr(out, "\"error\":\"schema\""))
		fail_msg("verify --json: %s", out);
	snprintf(cmd, sizeof cmd, "'%s' verify -d '%s' 2>&1 >/dev/null", bin, f->node);
	assert_non_null(p = popen(cmd, "r"));
	got = fread(out, 1, sizeof out - 1, p);
	out[got] = 0;
	pclose(p);
	if (!strstr(out, "2 reference(s) of live records point at nothing") ||
	    !strstr(out, "  penerima A1: program -> program P1, which was deleted"))
		fail_msg("verify: %s", out);

	ok(lb_node_open(&f->n, f->node, NULL, NULL));
	ok(lb_node_dangling(f->n, seen_cb, &s, &count, &d));
	assert_int_equal(count, 2);
	assert_string_equal(s.line[0], "keluarga 3324010101150001 kepala_keluarga -> penduduk "
	                               "3324011205870001 deleted");
	assert_string_equal(s.line[1], "penerima A1 program -> program P1 deleted");

	/* a reference it already had is not judged again: the beneficiary of
	 * the programme deleted in older history can still be updated */
	if (put_f(f, 0, &d, "penerima", "A1",
	          "{\"program\":\"P1\",\"nik\":\"3324011205870001\",\"tanggal\":\"2026-03-01\","
	          "\"bentuk\":\"uang\",\"status\":\"dibatalkan\"}"))
		fail_msg("updating a beneficiary of a deleted programme refused: %s", d.msg);
	/* deleting the records that point at nothing clears verify */
	ok(del_f(f, 0, NULL, &d, "penerima", "A1"));
	ok(del_f(f, 0, NULL, &d, "keluarga", "3324010101150001"));
	ok(lb_node_dangling(f->n, NULL, NULL, &count, &d));
	assert_int_equal(count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nik_against_sex_and_birth_date),
		cmocka_unit_test(a_birth_date_after_today_is_refused),
		cmocka_unit_test_setup_teardown(the_node_refuses_a_resident_whose_nik_disagrees, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_family_head_must_be_a_live_resident, setup, teardown),
		cmocka_unit_test_setup_teardown(a_head_written_in_the_same_transaction_counts, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(one_nik_once_per_programme, setup, teardown),
		cmocka_unit_test_setup_teardown(the_second_row_of_a_batch_is_refused_too, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_referenced_record_is_not_deleted_but_cascades, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_put_can_be_checked_without_writing, setup, teardown),
		cmocka_unit_test_setup_teardown(the_index_catches_up_with_entries_it_did_not_write,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(the_index_is_rebuilt_when_the_history_was_replaced,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(verify_lists_dangling_references, setup, teardown),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
