/*
 * test_wire.c — change sets: a real node's entries encoded for the wire,
 * decoded, and rebuilt byte for byte; hostile and malformed inputs refused.
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
#include "../../node/node.h"
#include "../../sync/wire.h"

#define N 25

struct fx {
	char dir[64];
	struct lb_node *n;
	uint8_t *stored[N]; /* stored entry bytes, seq 1..N */
	size_t slen[N];
	uint8_t hash[N][LB_HASH_BYTES];
	uint8_t *head; /* stored head for seq N */
	size_t head_len;
	uint8_t origin[LB_PK_BYTES];
	struct lb_mp_buf cs; /* the encoded change set */
};

static int collect(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                   const uint8_t *raw, size_t raw_len)
{
	struct fx *f = ctx;
	size_t i = e->seq - 1;
	f->stored[i] = malloc(raw_len);
	memcpy(f->stored[i], raw, raw_len);
	f->slen[i] = raw_len;
	memcpy(f->hash[i], hash, LB_HASH_BYTES);
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char node[80];
	struct lb_mp_buf b;

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-wire.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(node, sizeof node, "%s/n", f->dir);
	assert_int_equal(lb_node_init(node, "33.24.01.2001", NULL, f->origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&f->n, node, NULL, NULL), LB_OK);
	lb_mp_buf_init(&b);
	for (int i = 1; i <= N; i++) {
		char js[256], id[16];
		json_t *j;
		struct lb_change c;
		snprintf(js, sizeof js,
		         "{\"tanggal\":\"2026-01-%02d\",\"pengusul\":\"Warga %d\",\"usulan\":\"Usulan "
		         "nomor %d\",\"status\":\"diusulkan\"}",
		         i % 28 + 1, i, i);
		snprintf(id, sizeof id, "ASP-%03d", i);
		j = json_loads(js, 0, NULL);
		lb_mp_buf_reset(&b);
		assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
		json_decref(j);
		c = (struct lb_change){.op = i == N ? LB_OP_DEL : LB_OP_PUT,
		                       .type = "aspirasi",
		                       .id = i == N ? "ASP-001" : id,
		                       .id_len = strlen(i == N ? "ASP-001" : id),
		                       .body = (const uint8_t *)b.sb.data,
		                       .body_len = b.sb.size};
		assert_int_equal(lb_node_write(f->n, &c, 1, 0, NULL, NULL), LB_OK);
	}
	lb_mp_buf_free(&b);
	assert_int_equal(lb_node_log(f->n, 1, collect, f, NULL), LB_OK);
	assert_int_equal(lb_node_head(f->n, N, &f->head, &f->head_len, NULL), LB_OK);

	lb_mp_buf_init(&f->cs);
	assert_int_equal(lb_wire_begin(&f->cs, N, NULL), LB_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(lb_wire_add_entry(&f->cs, f->stored[i], f->slen[i], NULL), LB_OK);
	assert_int_equal(lb_wire_end(&f->cs, "33.24.01.2001", f->origin, f->head, f->head_len, NULL),
	                 LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	lb_node_close(f->n);
	for (int i = 0; i < N; i++)
		free(f->stored[i]);
	free(f->head);
	lb_mp_buf_free(&f->cs);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void rebuilt_entries_are_the_stored_bytes_and_chain_to_the_signed_head(void **state)
{
	struct fx *f = *state;
	struct lb_changeset cs;
	struct lb_mp_buf out;
	struct lb_entry e;
	struct lb_head h;
	uint8_t prev[LB_HASH_BYTES] = {0}, hash[LB_HASH_BYTES];
	struct lb_diag d = {0};

	if (lb_wire_decode(&cs, f->cs.sb.data, f->cs.sb.size, &d))
		fail_msg("decode: %s", d.msg);
	assert_int_equal(cs.n, N);
	assert_int_equal(cs.first_seq, 1);
	assert_string_equal(cs.village, "33.24.01.2001");
	assert_memory_equal(cs.origin, f->origin, LB_PK_BYTES);
	lb_mp_buf_init(&out);
	for (size_t i = 0; i < cs.n; i++) {
		if (lb_wire_rebuild(&cs, i, prev, &out, &e, hash, &d))
			fail_msg("rebuild %zu: %s", i, d.msg);
		assert_int_equal(out.sb.size, f->slen[i]);
		assert_memory_equal(out.sb.data, f->stored[i], f->slen[i]);
		assert_memory_equal(hash, f->hash[i], LB_HASH_BYTES);
		memcpy(prev, hash, LB_HASH_BYTES);
	}
	assert_int_equal(lb_head_open(&h, cs.head, cs.head_len, f->origin, NULL), LB_OK);
	assert_memory_equal(h.hash, prev, LB_HASH_BYTES);
	assert_int_equal(h.seq, N);
	lb_mp_buf_free(&out);
	lb_changeset_free(&cs);
}

static void the_wire_form_is_smaller_than_the_stored_entries(void **state)
{
	struct fx *f = *state;
	size_t stored = 0;
	for (int i = 0; i < N; i++)
		stored += f->slen[i];
	/* 34 bytes of prev stay home per entry; the head, origin, village and
	 * five keys add under 128 bytes per change set */
	assert_true(f->cs.sb.size < stored - N * 34 + f->head_len + 128);
}

static void a_wrong_prev_gives_a_hash_the_head_does_not_sign(void **state)
{
	struct fx *f = *state;
	struct lb_changeset cs;
	struct lb_mp_buf out;
	struct lb_entry e;
	uint8_t prev[LB_HASH_BYTES] = {1}, hash[LB_HASH_BYTES];

	assert_int_equal(lb_wire_decode(&cs, f->cs.sb.data, f->cs.sb.size, NULL), LB_OK);
	lb_mp_buf_init(&out);
	assert_int_equal(lb_wire_rebuild(&cs, 0, prev, &out, &e, hash, NULL), LB_OK);
	assert_memory_not_equal(hash, f->hash[0], LB_HASH_BYTES);
	lb_mp_buf_free(&out);
	lb_changeset_free(&cs);
}

static void every_truncation_is_refused(void **state)
{
	struct fx *f = *state;
	struct lb_changeset cs;
	for (size_t len = 0; len < f->cs.sb.size; len++) {
		struct lb_diag d = {0};
		lb_err e = lb_wire_decode(&cs, f->cs.sb.data, len, &d);
		if (e == LB_OK)
			fail_msg("a change set cut to %zu of %zu bytes was accepted", len, f->cs.sb.size);
		assert_true(d.msg[0] != '\0');
	}
}

static void every_flipped_byte_is_refused_or_changes_what_is_signed(void **state)
{
	struct fx *f = *state;
	uint8_t *copy = malloc(f->cs.sb.size);
	struct lb_mp_buf out;

	lb_mp_buf_init(&out);
	for (size_t at = 0; at < f->cs.sb.size; at++) {
		struct lb_changeset cs;
		struct lb_head h;
		uint8_t prev[LB_HASH_BYTES] = {0}, hash[LB_HASH_BYTES];
		bool ok = true;

		memcpy(copy, f->cs.sb.data, f->cs.sb.size);
		copy[at] ^= 0x01;
		if (lb_wire_decode(&cs, copy, f->cs.sb.size, NULL) != LB_OK)
			continue; /* refused outright */
		for (size_t i = 0; i < cs.n && ok; i++) {
			struct lb_entry e;
			ok = lb_wire_rebuild(&cs, i, prev, &out, &e, hash, NULL) == LB_OK;
			memcpy(prev, hash, LB_HASH_BYTES);
		}
		/* what decodes must fail the receiver's checks: signature, the
		 * chain against the signed hash, or the identity */
		if (ok && lb_head_open(&h, cs.head, cs.head_len, f->origin, NULL) == LB_OK &&
		    !memcmp(h.hash, prev, LB_HASH_BYTES) && !strcmp(cs.village, h.village) &&
		    !memcmp(cs.origin, f->origin, LB_PK_BYTES) && h.seq == cs.first_seq + cs.n - 1)
			fail_msg("flipping byte %zu of %zu went unnoticed", at, f->cs.sb.size);
		lb_changeset_free(&cs);
	}
	lb_mp_buf_free(&out);
	free(copy);
}

static void hostile_counts_are_refused_before_allocating(void **state)
{
	/* map(5), "entries", array32 of 4 billion, then nothing */
	static const uint8_t huge[] = {0x85, 0xa7, 'e', 'n', 't', 'r', 'i', 'e', 's',
	                               0xdd, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t deep[] = {0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91,
	                               0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0xc0};
	struct lb_changeset cs;
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_wire_decode(&cs, huge, sizeof huge, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "declares"));
	assert_int_equal(lb_wire_decode(&cs, deep, sizeof deep, &d), LB_EMALFORMED);
	assert_int_equal(lb_wire_decode(&cs, "", 0, &d), LB_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			rebuilt_entries_are_the_stored_bytes_and_chain_to_the_signed_head, setup, teardown),
		cmocka_unit_test_setup_teardown(the_wire_form_is_smaller_than_the_stored_entries, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(a_wrong_prev_gives_a_hash_the_head_does_not_sign, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(every_truncation_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(every_flipped_byte_is_refused_or_changes_what_is_signed,
		                                setup, teardown),
		cmocka_unit_test(hostile_counts_are_refused_before_allocating),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
