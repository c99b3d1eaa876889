/*
 * test_datang.c — offers of residents moving into a village
 * (node/datang.h): each offer is checked (its entry's hash, seq, a valid
 * penduduk put of that NIK with status pindah and pindah_ke this village),
 * the held offers follow the aggregator's list, terima writes the resident
 * and drops the offer in one transaction, a NIK living here is refused,
 * tolak drops.  Offers are made from real entries of a real village A; the
 * expected hashes come from libsodium directly, not from lb_hash.
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
#include <jansson.h>
#include <sodium.h>

#include "../../node/body.h"
#include "../../node/datang.h"
#include "../../node/node.h"
#include "../../schema/schema.h"

#define CA "33.24.01.2001"
#define CB "33.24.01.2002"
#define X "3324014101900001"
#define Y "3324014101900002"

struct fx {
	char dir[64];
	struct lb_node *a, *b;
	uint8_t *entry[8]; /* A's entries by seq */
	size_t len[8];
};

static void put(struct lb_node *n, const char *nik, const char *json)
{
	struct lb_mp_buf b;
	json_t *j = json_loads(json, 0, NULL);
	struct lb_diag d = {0};

	assert_non_null(j);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	struct lb_change ch = {.op = LB_OP_PUT, .type = "penduduk", .id = nik, .id_len = strlen(nik),
	                       .body = (const uint8_t *)b.sb.data, .body_len = b.sb.size};
	if (lb_node_write(n, &ch, 1, 0, NULL, &d))
		fail_msg("put %s: %s", nik, d.msg);
	lb_mp_buf_free(&b);
	json_decref(j);
}

static int keep_raw(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct fx *f = ctx;
	assert_true(seq < 8);
	f->entry[seq] = malloc(len);
	memcpy(f->entry[seq], raw, len);
	f->len[seq] = len;
	return 0;
}

#define PERSON(nik, extra)                                                                     \
	"{\"nik\":\"" nik "\",\"no_kk\":\"3324010000000001\",\"nama\":\"Budi\","              \
	"\"tanggal_lahir\":\"1990-01-01\",\"jenis_kelamin\":\"P\",\"dusun\":\"Krajan\"," extra "}"

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	uint8_t origin[LB_PK_BYTES];
	char node[80];

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-datang.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(node, sizeof node, "%s/a", f->dir);
	assert_int_equal(lb_node_init(node, CA, NULL, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->a, node, NULL, NULL), LB_OK);
	snprintf(node, sizeof node, "%s/b", f->dir);
	assert_int_equal(lb_node_init(node, CB, NULL, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->b, node, NULL, NULL), LB_OK);
	/* A: 1 X hidup, 2 X moves to B, 3 Y moves elsewhere, 4 Y moves to B */
	put(f->a, X, PERSON(X, "\"status\":\"hidup\""));
	put(f->a, X, PERSON(X, "\"status\":\"pindah\",\"pindah_ke\":\"" CB "\","
	                       "\"tanggal_pindah\":\"2026-05-02\""));
	put(f->a, Y, PERSON(Y, "\"status\":\"pindah\",\"pindah_ke\":\"35.01.01.2001\""));
	put(f->a, Y, PERSON(Y, "\"status\":\"pindah\",\"pindah_ke\":\"" CB "\""));
	assert_int_equal(lb_node_log_raw(f->a, 1, 0, keep_raw, f, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_node_close(f->a);
	lb_node_close(f->b);
	for (int i = 0; i < 8; i++)
		free(f->entry[i]);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The offer of A's entry seq for nik (entry borrowed from f). */
static struct lb_datang_offer offer(struct fx *f, uint64_t seq, const char *nik)
{
	struct lb_datang_offer o = {.seq = seq, .entry = f->entry[seq], .entry_len = f->len[seq]};
	strcpy(o.nik, nik);
	strcpy(o.from, CA);
	crypto_generichash(o.hash, sizeof o.hash, o.entry, o.entry_len, NULL, 0);
	return o;
}

static void check_is(struct lb_datang_offer o, const char *self, lb_err want, const char *text)
{
	struct lb_diag d = {0};
	assert_int_equal(lb_datang_check(&o, self, &d), want);
	if (text && !strstr(d.msg, text))
		fail_msg("\"%s\" not in \"%s\"", text, d.msg);
}

static void each_offer_is_checked(void **state)
{
	struct fx *f = *state;
	struct lb_datang_offer o = offer(f, 2, X);
	uint8_t *copy;

	check_is(o, CB, LB_OK, NULL);
	check_is(offer(f, 4, Y), CB, LB_OK, NULL);
	o.hash[5] ^= 1;
	check_is(o, CB, LB_ECORRUPT, "hash");
	o = offer(f, 2, X);
	o.seq = 3;
	check_is(o, CB, LB_ECORRUPT, "seq");
	check_is(offer(f, 2, Y), CB, LB_ESCHEMA, "not a put of penduduk " Y);
	check_is(offer(f, 1, X), CB, LB_ESCHEMA, "status is not pindah");
	check_is(offer(f, 3, Y), CB, LB_ESCHEMA, "not here");
	check_is(offer(f, 2, X), "33.24.01.2003", LB_ESCHEMA, "not here");
	check_is(offer(f, 2, X), CA, LB_EINVAL, "this village itself");
	o = offer(f, 2, X);
	strcpy(o.from, "33.24.01");
	check_is(o, CB, LB_EINVAL, "desa");
	o = offer(f, 2, X);
	strcpy(o.nik, "33240141019000x1");
	check_is(o, CB, LB_EINVAL, "16 digits");
	/* cut short, with the hash of the short bytes */
	o = offer(f, 2, X);
	o.entry_len -= 3;
	crypto_generichash(o.hash, sizeof o.hash, o.entry, o.entry_len, NULL, 0);
	check_is(o, CB, LB_EMALFORMED, NULL);
	/* a body the schema refuses (a letter in the NIK field value), rehashed */
	copy = malloc(f->len[2]);
	memcpy(copy, f->entry[2], f->len[2]);
	for (size_t i = 0; i + 5 < f->len[2]; i++)
		if (!memcmp(copy + i, "Budi", 4)) {
			copy[i] = '\n'; /* a control character in nama */
			break;
		}
	o = offer(f, 2, X);
	o.entry = copy;
	crypto_generichash(o.hash, sizeof o.hash, o.entry, o.entry_len, NULL, 0);
	check_is(o, CB, LB_ESCHEMA, NULL);
	free(copy);
}

struct seen {
	char nik[4][LB_NIK_DIGITS + 1];
	uint64_t seq[4];
	size_t n;
};

static int seen_cb(void *ctx, const struct lb_datang_offer *o, const struct lb_entry *e)
{
	struct seen *s = ctx;
	assert_true(s->n < 4);
	assert_int_equal(e->seq, o->seq);
	strcpy(s->nik[s->n], o->nik);
	s->seq[s->n++] = o->seq;
	return 0;
}

static struct seen held(struct fx *f)
{
	struct seen s = {0};
	assert_int_equal(lb_datang_list(f->b, seen_cb, &s, NULL), LB_OK);
	return s;
}

static void the_held_offers_follow_the_list(void **state)
{
	struct fx *f = *state;
	struct lb_datang_offer o[4] = {offer(f, 2, X), offer(f, 1, X), offer(f, 4, Y), offer(f, 2, X)};
	struct lb_datang_stats st;
	struct seen s;

	/* the bad one (entry 1: not a move) skipped, X listed twice kept once */
	assert_int_equal(lb_datang_replace(f->b, o, 4, &st, NULL), LB_OK);
	assert_int_equal(st.kept, 2);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.skipped, 2);
	s = held(f);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.nik[0], X);
	assert_int_equal(s.seq[0], 2);
	assert_string_equal(s.nik[1], Y);
	/* again: nothing new */
	assert_int_equal(lb_datang_replace(f->b, o, 4, &st, NULL), LB_OK);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.kept, 2);
	/* Y no longer listed: dropped */
	assert_int_equal(lb_datang_replace(f->b, o, 1, &st, NULL), LB_OK);
	assert_int_equal(st.dropped, 1);
	s = held(f);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.nik[0], X);
	assert_int_equal(lb_datang_replace(f->b, NULL, 0, &st, NULL), LB_OK);
	assert_int_equal(held(f).n, 0);
}

static void terima_writes_the_resident_and_drops_the_offer(void **state)
{
	struct fx *f = *state;
	struct lb_datang_offer o[2] = {offer(f, 2, X), offer(f, 4, Y)};
	struct lb_node_info before, after;
	struct lb_commit c;
	struct lb_diag d = {0};
	char hex[2 * LB_HASH_BYTES + 1];
	json_t *ch = json_pack("{s:s, s:s}", "dusun", "Sukamaju", "rt", "003"), *r;
	uint8_t *body;
	size_t len;

	assert_int_equal(lb_datang_replace(f->b, o, 2, NULL, NULL), LB_OK);
	/* refused before anything is written: a field fixed by the offer,
	 * a change the schema refuses */
	json_t *bad = json_pack("{s:i}", "datang_seq", 9);
	assert_int_equal(lb_datang_accept(f->b, X, bad, NULL, &d), LB_EINVAL);
	json_decref(bad);
	bad = json_pack("{s:s}", "rt", "12345");
	assert_int_equal(lb_node_info(f->b, &before, NULL), LB_OK);
	assert_int_equal(lb_datang_accept(f->b, X, bad, NULL, &d), LB_ESCHEMA);
	json_decref(bad);
	assert_int_equal(lb_node_info(f->b, &after, NULL), LB_OK);
	assert_int_equal(after.seq, before.seq);
	assert_int_equal(held(f).n, 2);

	assert_int_equal(lb_datang_accept(f->b, X, ch, &c, &d), LB_OK);
	assert_int_equal(c.written, 1);
	assert_int_equal(lb_node_get(f->b, "penduduk", X, 16, &body, &len, NULL, NULL), LB_OK);
	r = lb_body_to_json(body, len, NULL);
	free(body);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "hidup");
	assert_null(json_object_get(r, "pindah_ke"));
	assert_null(json_object_get(r, "tanggal_pindah"));
	assert_string_equal(json_string_value(json_object_get(r, "dusun")), "Sukamaju");
	assert_string_equal(json_string_value(json_object_get(r, "rt")), "003");
	assert_string_equal(json_string_value(json_object_get(r, "nama")), "Budi");
	assert_string_equal(json_string_value(json_object_get(r, "datang_dari")), CA);
	assert_int_equal(json_integer_value(json_object_get(r, "datang_seq")), 2);
	sodium_bin2hex(hex, sizeof hex, o[0].hash, LB_HASH_BYTES);
	assert_string_equal(json_string_value(json_object_get(r, "datang_hash")), hex);
	json_decref(r);
	json_decref(ch);
	/* the offer went with it; a second terima finds none */
	assert_int_equal(held(f).n, 1);
	assert_int_equal(lb_datang_accept(f->b, X, NULL, NULL, &d), LB_ENOTFOUND);
	/* the aggregator still lists it (B's entry not pushed yet): not kept again */
	struct lb_datang_stats st;
	assert_int_equal(lb_datang_replace(f->b, o, 2, &st, NULL), LB_OK);
	assert_int_equal(st.kept, 1);
	assert_int_equal(held(f).n, 1);
	assert_int_equal(lb_datang_accept(f->b, X, NULL, NULL, &d), LB_ENOTFOUND);
	assert_int_equal(lb_node_verify(f->b, &(struct lb_verify_report){0}, &d), LB_OK);
}

static void a_nik_living_here_is_refused_and_tolak_drops(void **state)
{
	struct fx *f = *state;
	struct lb_datang_offer o = offer(f, 4, Y);
	struct lb_node_info before, after;
	struct lb_diag d = {0};

	put(f->b, Y, PERSON(Y, "\"status\":\"hidup\""));
	assert_int_equal(lb_datang_replace(f->b, &o, 1, NULL, NULL), LB_OK);
	assert_int_equal(held(f).n, 1);
	assert_int_equal(lb_node_info(f->b, &before, NULL), LB_OK);
	assert_int_equal(lb_datang_accept(f->b, Y, NULL, NULL, &d), LB_EEXIST);
	assert_non_null(strstr(d.msg, "already a resident"));
	assert_int_equal(lb_node_info(f->b, &after, NULL), LB_OK);
	assert_int_equal(after.seq, before.seq);
	assert_int_equal(held(f).n, 1);
	assert_int_equal(lb_datang_drop(f->b, Y, &d), LB_OK);
	assert_int_equal(held(f).n, 0);
	assert_int_equal(lb_datang_drop(f->b, Y, &d), LB_ENOTFOUND);
	assert_int_equal(lb_datang_drop(f->b, "123", &d), LB_EINVAL);
	assert_int_equal(lb_datang_accept(f->b, "123", NULL, NULL, &d), LB_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(each_offer_is_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(the_held_offers_follow_the_list, setup, teardown),
		cmocka_unit_test_setup_teardown(terima_writes_the_resident_and_drops_the_offer, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_nik_living_here_is_refused_and_tolak_drops, setup,
		                                teardown),
	};
	if (sodium_init() < 0 || lb_schema_builtin_init(NULL))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
