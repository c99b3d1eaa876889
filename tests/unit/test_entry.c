/*
 * test_entry.c — unit tests for node/entry.h: the canonical encoding of
 * change entries, their hash, the bounded decoder and the hex helpers.
 *
 * The known-answer bytes and hashes below were written from docs/FORMAT.md
 * by hand (and hashed with an independent BLAKE2b implementation).  They
 * must never change: every stored log and every signature depends on them.
 * If one of these tests fails, the on-disk format has changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/entry.h"
#include "../../schema/text.h"

/* [42, ts, 0, "penduduk", "3324010101900001", {"nama": "Sri", "rt": 2}, 1,
 *  bin32 of 0x11], ts = 1700000000123 ms << 16 | counter 1 */
#define KAT_PUT_HEX                                                        \
	"98"                                                               \
	"2a"                                                               \
	"cf018bcfe5687b0001"                                               \
	"00"                                                               \
	"a870656e647564756b"                                               \
	"b033333234303130313031393030303031"                             \
	"82a46e616d61a3537269a2727402"                                     \
	"01"                                                               \
	"c420"                                                             \
	"1111111111111111111111111111111111111111111111111111111111111111"
#define KAT_PUT_HASH "53490375d2a0b1931d64d1f2eee21fcf4c03bf4b90d99d58ce9be2cda3738c01"

/* [1, 65536, 1, "program", "p-01", nil, 3, bin32 of zeros] */
#define KAT_DEL_HEX                                                        \
	"98"                                                               \
	"01"                                                               \
	"ce00010000"                                                       \
	"01"                                                               \
	"a770726f6772616d"                                                 \
	"a4702d3031"                                                       \
	"c0"                                                               \
	"03"                                                               \
	"c420"                                                             \
	"0000000000000000000000000000000000000000000000000000000000000000"
#define KAT_DEL_HASH "a1bb281d359f56ddb636432232fbfe23d1e658688026003541ddd128464fa56c"

static const uint8_t kat_body[] = {0x82, 0xa4, 'n', 'a', 'm', 'a', 0xa3, 'S',
                                   'r',  'i',  0xa2, 'r', 't', 0x02};

/* ---- helpers ----------------------------------------------------------- */

static uint8_t *from_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n ? n : 1);
	assert_non_null(b);
	assert_int_equal(lb_unhex(b, n, hex), LB_OK);
	*len = n;
	return b;
}

static const char *to_hex(const void *b, size_t n)
{
	static char out[4096];
	assert_true(2 * n + 1 <= sizeof out);
	lb_hex(out, b, n);
	return out;
}

static struct lb_entry kat_put(void)
{
	struct lb_entry e;
	memset(&e, 0, sizeof e);
	e.seq = 42;
	e.ts = (1700000000123ULL << 16) | 1;
	e.op = LB_OP_PUT;
	e.type = "penduduk";
	e.type_len = 8;
	e.id = "3324010101900001";
	e.id_len = 16;
	e.body = kat_body;
	e.body_len = sizeof kat_body;
	e.schema = 1;
	memset(e.prev, 0x11, sizeof e.prev);
	return e;
}

static struct lb_entry kat_del(void)
{
	struct lb_entry e;
	memset(&e, 0, sizeof e);
	e.seq = 1;
	e.ts = 65536;
	e.op = LB_OP_DEL;
	e.type = "program";
	e.type_len = 7;
	e.id = "p-01";
	e.id_len = 4;
	e.schema = 3;
	return e;
}

/*
 * A hand-built entry array for decoder tests: the fields of the put KAT,
 * each of which a test may replace with raw msgpack bytes (hex) to make one
 * thing wrong at a time.
 */
struct shape {
	const char *header, *seq, *ts, *op, *type, *id, *body, *schema, *prev, *extra;
};

static const struct shape good = {
	"98", "2a", "cf018bcfe5687b0001", "00", "a870656e647564756b",
	"b033333234303130313031393030303031", "82a46e616d61a3537269a2727402", "01",
	"c4201111111111111111111111111111111111111111111111111111111111111111", "",
};

static uint8_t *build(const struct shape *s, size_t *len)
{
	char hex[8192];
	int n = snprintf(hex, sizeof hex, "%s%s%s%s%s%s%s%s%s%s", s->header, s->seq, s->ts, s->op,
	                 s->type, s->id, s->body, s->schema, s->prev, s->extra);
	assert_true(n > 0 && (size_t)n < sizeof hex);
	return from_hex(hex, len);
}

/* Decode a shape; expect LB_EMALFORMED with a message naming `field`. */
static void expect_refused(const struct shape *s, const char *field)
{
	size_t len;
	uint8_t *b = build(s, &len);
	struct lb_entry e;
	struct lb_diag d = {0};
	lb_err err = lb_entry_decode(&e, b, len, &d);

	if (err != LB_EMALFORMED)
		fail_msg("decode gave %d (%s), want malformed about %s", err, d.msg, field);
	assert_int_equal(d.code, LB_EMALFORMED);
	if (!strstr(d.msg, field))
		fail_msg("message \"%s\" does not name %s", d.msg, field);
	/* the result may not depend on whether the caller wants a message */
	assert_int_equal(lb_entry_decode(&e, b, len, NULL), LB_EMALFORMED);
	free(b);
}

/* ---- known answers ------------------------------------------------------- */

static void put_entry_encodes_to_known_answer_bytes(void **state)
{
	struct lb_entry e = kat_put();
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	assert_int_equal(lb_entry_encode(&b, &e), LB_OK);
	assert_string_equal(to_hex(b.sb.data, b.sb.size), KAT_PUT_HEX);
	assert_int_equal(b.sb.size, 87);
	lb_mp_buf_free(&b);
}

static void put_entry_hash_is_known_answer_blake2b_256(void **state)
{
	struct lb_entry e = kat_put();
	struct lb_mp_buf b;
	uint8_t h[LB_HASH_BYTES];
	(void)state;
	lb_mp_buf_init(&b);
	assert_int_equal(lb_entry_encode(&b, &e), LB_OK);
	lb_hash(h, b.sb.data, b.sb.size);
	assert_string_equal(to_hex(h, sizeof h), KAT_PUT_HASH);
	lb_mp_buf_free(&b);
}

static void del_entry_encodes_nil_body_to_known_answer_bytes(void **state)
{
	struct lb_entry e = kat_del();
	struct lb_mp_buf b;
	uint8_t h[LB_HASH_BYTES];
	(void)state;
	/* a del never encodes a body, even if one is left in the struct */
	e.body = kat_body;
	e.body_len = sizeof kat_body;
	lb_mp_buf_init(&b);
	assert_int_equal(lb_entry_encode(&b, &e), LB_OK);
	assert_string_equal(to_hex(b.sb.data, b.sb.size), KAT_DEL_HEX);
	lb_hash(h, b.sb.data, b.sb.size);
	assert_string_equal(to_hex(h, sizeof h), KAT_DEL_HASH);
	lb_mp_buf_free(&b);
}

static void hash_of_empty_input_is_blake2b_256_of_nothing(void **state)
{
	uint8_t h[LB_HASH_BYTES];
	(void)state;
	lb_hash(h, "", 0);
	assert_string_equal(to_hex(h, sizeof h),
	                    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

static void encode_appends_to_what_the_buffer_holds(void **state)
{
	struct lb_entry e = kat_del();
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	lb_mp_put_nil(&b);
	assert_int_equal(lb_entry_encode(&b, &e), LB_OK);
	assert_string_equal(to_hex(b.sb.data, b.sb.size), "c0" KAT_DEL_HEX);
	lb_mp_buf_free(&b);
}

/* ---- round trips ----------------------------------------------------------- */

static void assert_entries_equal(const struct lb_entry *a, const struct lb_entry *b)
{
	assert_true(a->seq == b->seq);
	assert_true(a->ts == b->ts);
	assert_int_equal(a->op, b->op);
	assert_int_equal(a->type_len, b->type_len);
	assert_memory_equal(a->type, b->type, a->type_len);
	assert_int_equal(a->id_len, b->id_len);
	assert_memory_equal(a->id, b->id, a->id_len);
	assert_int_equal(a->body_len, b->body_len);
	if (a->op == LB_OP_PUT)
		assert_memory_equal(a->body, b->body, a->body_len);
	assert_int_equal(a->schema, b->schema);
	assert_memory_equal(a->prev, b->prev, LB_HASH_BYTES);
}

static void roundtrip(const struct lb_entry *in)
{
	struct lb_mp_buf b1, b2;
	struct lb_entry out;
	struct lb_diag d = {0};

	lb_mp_buf_init(&b1);
	lb_mp_buf_init(&b2);
	assert_int_equal(lb_entry_encode(&b1, in), LB_OK);
	if (lb_entry_decode(&out, b1.sb.data, b1.sb.size, &d) != LB_OK)
		fail_msg("decode of own encoding failed: %s", d.msg);
	assert_entries_equal(in, &out);
	/* decoded fields borrow from the buffer */
	assert_true((const char *)out.type > b1.sb.data &&
	            (const char *)out.type < b1.sb.data + b1.sb.size);
	/* re-encoding gives the same bytes */
	assert_int_equal(lb_entry_encode(&b2, &out), LB_OK);
	assert_int_equal(b1.sb.size, b2.sb.size);
	assert_memory_equal(b1.sb.data, b2.sb.data, b1.sb.size);
	lb_mp_buf_free(&b1);
	lb_mp_buf_free(&b2);
}

static void put_entry_round_trips_through_decode(void **state)
{
	struct lb_entry e = kat_put();
	(void)state;
	roundtrip(&e);
}

static void del_entry_round_trips_with_no_body(void **state)
{
	struct lb_entry e = kat_del(), out;
	size_t len;
	uint8_t *b = from_hex(KAT_DEL_HEX, &len);
	(void)state;
	roundtrip(&e);
	assert_int_equal(lb_entry_decode(&out, b, len, NULL), LB_OK);
	assert_int_equal(out.op, LB_OP_DEL);
	assert_null(out.body);
	assert_int_equal(out.body_len, 0);
	free(b);
}

static void entry_with_extreme_values_round_trips(void **state)
{
	static char id[LB_ID_MAX];
	static const char type[] = "abcdefghijklmnopqrstuvwxyz_abcde"; /* 32 */
	struct lb_mp_buf body;
	struct lb_entry e;
	(void)state;
	memset(id, 'z', sizeof id);
	lb_mp_buf_init(&body);
	/* a map16 body with 20 keys "k00".."k19" and a nested array */
	lb_mp_put_map(&body, 20);
	for (int i = 0; i < 20; i++) {
		char k[4] = {'k', (char)('0' + i / 10), (char)('0' + i % 10), 0};
		lb_mp_put_cstr(&body, k);
		if (i == 7) {
			lb_mp_put_array(&body, 3);
			lb_mp_put_int(&body, INT64_MIN);
			lb_mp_put_bool(&body, false);
			lb_mp_put_cstr(&body, "\xea\xa6\x8f");
		} else
			lb_mp_put_uint(&body, (uint64_t)i * 1000003u);
	}
	assert_false(body.oom);
	memset(&e, 0, sizeof e);
	e.seq = UINT64_MAX;
	e.ts = UINT64_MAX - 1;
	e.op = LB_OP_PUT;
	e.type = type;
	e.type_len = strlen(type);
	e.id = id;
	e.id_len = sizeof id;
	e.body = (const uint8_t *)body.sb.data;
	e.body_len = body.sb.size;
	e.schema = UINT32_MAX;
	for (int i = 0; i < LB_HASH_BYTES; i++)
		e.prev[i] = (uint8_t)(0xff - i);
	roundtrip(&e);
	/* and the smallest: seq 0 (not a valid log position, but encodable) */
	e.seq = 0;
	e.ts = 0;
	e.schema = 0;
	e.op = LB_OP_DEL;
	e.body = NULL;
	e.body_len = 0;
	roundtrip(&e);
	lb_mp_buf_free(&body);
}

static void known_answer_bytes_decode_to_the_known_fields(void **state)
{
	size_t len;
	uint8_t *b = from_hex(KAT_PUT_HEX, &len);
	struct lb_entry want = kat_put(), got;
	(void)state;
	assert_int_equal(lb_entry_decode(&got, b, len, NULL), LB_OK);
	assert_entries_equal(&want, &got);
	free(b);
}

/* ---- decoding refuses ------------------------------------------------------ */

static void decode_accepts_the_hand_built_reference_shape(void **state)
{
	/* guards the helper: the unmodified shape must decode */
	size_t len;
	uint8_t *b = build(&good, &len);
	struct lb_entry e;
	(void)state;
	assert_int_equal(lb_entry_decode(&e, b, len, NULL), LB_OK);
	free(b);
}

static void decode_refuses_wrong_array_length(void **state)
{
	struct shape s = good;
	(void)state;
	s.header = "97"; /* says 7, carries 8 */
	expect_refused(&s, "entry");
	s.header = "99"; /* says 9, carries 9 */
	s.extra = "00";
	expect_refused(&s, "entry");
	s.header = "dc0008"; /* 8, but not in the smallest form */
	s.extra = "";
	expect_refused(&s, "entry");
	s.header = "88"; /* a map */
	expect_refused(&s, "entry");
}

static void decode_refuses_op_2_and_non_integer_op(void **state)
{
	struct shape s = good;
	struct lb_diag d = {0};
	size_t len;
	uint8_t *b;
	struct lb_entry e;
	(void)state;
	s.op = "02";
	expect_refused(&s, "entry op");
	b = build(&s, &len);
	lb_entry_decode(&e, b, len, &d);
	assert_non_null(strstr(d.msg, "2"));
	free(b);
	s.op = "ff";
	expect_refused(&s, "entry op");
	s.op = "c2";
	expect_refused(&s, "entry op");
	s.op = "cc00";
	expect_refused(&s, "entry op");
}

/* hex of a str8 header and n copies of the byte `hexbyte` into out */
static const char *str8_hex(char *out, size_t cap, size_t n, const char *hexbyte)
{
	int at = snprintf(out, cap, "d9%02zx", n);
	assert_true(at > 0 && (size_t)at + 2 * n < cap);
	for (size_t i = 0; i < n; i++)
		memcpy(out + at + 2 * i, hexbyte, 2);
	out[at + 2 * n] = '\0';
	return out;
}

static void decode_refuses_invalid_type_names(void **state)
{
	static char hex[2 * (2 + 40) + 1];
	struct shape s = good;
	size_t len;
	uint8_t *b;
	struct lb_entry e;
	(void)state;
	s.type = "a850656e647564756b"; /* "Penduduk" */
	expect_refused(&s, "entry type");
	s.type = "a0"; /* empty */
	expect_refused(&s, "entry type");
	s.type = "a3612d62"; /* "a-b" */
	expect_refused(&s, "entry type");
	s.type = "a3610062"; /* NUL inside */
	expect_refused(&s, "entry type");
	/* 33 characters; 32 are fine */
	s.type = str8_hex(hex, sizeof hex, LB_TYPE_MAX + 1, "61");
	expect_refused(&s, "entry type");
	s.type = str8_hex(hex, sizeof hex, LB_TYPE_MAX, "61");
	b = build(&s, &len);
	assert_int_equal(lb_entry_decode(&e, b, len, NULL), LB_OK);
	assert_int_equal(e.type_len, LB_TYPE_MAX);
	free(b);
	s.type = "01"; /* not a string */
	expect_refused(&s, "entry type");
	s.type = "d908" "70656e647564756b"; /* str8 for 8 bytes */
	expect_refused(&s, "entry type");
}

static void decode_refuses_bad_ids(void **state)
{
	static char hex[2 * (2 + 200) + 1];
	struct shape s = good;
	size_t len;
	uint8_t *b;
	struct lb_entry e;
	(void)state;
	/* 129 bytes: too long */
	s.id = str8_hex(hex, sizeof hex, LB_ID_MAX + 1, "78");
	expect_refused(&s, "entry id");
	/* exactly 128 is fine */
	s.id = str8_hex(hex, sizeof hex, LB_ID_MAX, "78");
	b = build(&s, &len);
	assert_int_equal(lb_entry_decode(&e, b, len, NULL), LB_OK);
	assert_int_equal(e.id_len, LB_ID_MAX);
	free(b);
	s.id = "a0"; /* empty */
	expect_refused(&s, "entry id");
	s.id = "a3610a62"; /* "a\nb" */
	expect_refused(&s, "entry id");
	s.id = "a2c0af"; /* overlong '/' */
	expect_refused(&s, "entry id");
	s.id = "c40161"; /* bin, not str */
	expect_refused(&s, "entry id");
}

static void decode_refuses_del_with_a_body(void **state)
{
	struct shape s = good;
	(void)state;
	s.op = "01";
	expect_refused(&s, "entry body"); /* the put body */
	s.body = "80";                     /* even an empty map */
	expect_refused(&s, "entry body");
	s.body = "c2";
	expect_refused(&s, "entry body");
	s.body = "c0"; /* nil is right */
	{
		size_t len;
		uint8_t *b = build(&s, &len);
		struct lb_entry e;
		assert_int_equal(lb_entry_decode(&e, b, len, NULL), LB_OK);
		assert_int_equal(e.op, LB_OP_DEL);
		free(b);
	}
}

static void decode_refuses_put_with_a_non_map_body(void **state)
{
	struct shape s = good;
	(void)state;
	s.body = "c0";
	expect_refused(&s, "entry body");
	s.body = "9101";
	expect_refused(&s, "entry body");
	s.body = "a26b76";
	expect_refused(&s, "entry body");
	s.body = "05";
	expect_refused(&s, "entry body");
}

static void decode_refuses_put_with_a_non_canonical_body(void **state)
{
	struct shape s = good;
	(void)state;
	s.body = "82a2727402a46e616d61a3537269"; /* keys unsorted */
	expect_refused(&s, "entry body");
	s.body = "82a46e616d61a3537269a27274cc02"; /* 2 as uint8 */
	expect_refused(&s, "entry body");
	s.body = "81a16bd40100"; /* ext type */
	expect_refused(&s, "entry body");
	s.body = "de0001a16b01"; /* map16 for one pair */
	expect_refused(&s, "entry body");
	s.body = "81a16ba2c0af"; /* invalid UTF-8 */
	expect_refused(&s, "entry body");
}

static void decode_stored_frames_but_does_not_recheck_the_body(void **state)
{
	/* lb_entry_decode_stored (reads of the node's own store) takes a body
	 * whose keys are out of order, which lb_entry_decode refuses, with the
	 * same length and fields; but still refuses every truncation. */
	struct shape s = good;
	size_t len;
	uint8_t *b, *full;
	struct lb_entry e;
	(void)state;
	s.body = "82a2727402a46e616d61a3537269"; /* keys unsorted */
	b = build(&s, &len);
	assert_int_equal(lb_entry_decode(&e, b, len, NULL), LB_EMALFORMED);
	assert_int_equal(lb_entry_decode_stored(&e, b, len, NULL), LB_OK);
	assert_int_equal(e.body_len, 14);
	assert_memory_equal(e.id, "3324010101900001", 16);
	free(b);
	full = from_hex(KAT_PUT_HEX, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		memcpy(p, full, n);
		if (lb_entry_decode_stored(&e, p, n, NULL) != LB_EMALFORMED)
			fail_msg("a %zu-byte prefix of a %zu-byte entry decoded", n, len);
		free(p);
	}
	assert_int_equal(lb_entry_decode_stored(&e, full, len, NULL), LB_OK);
	free(full);
}

static void decode_refuses_non_canonical_integers(void **state)
{
	struct shape s = good;
	(void)state;
	s.seq = "cc2a"; /* 42 in uint8 */
	expect_refused(&s, "entry seq");
	s.seq = "d02a";
	expect_refused(&s, "entry seq");
	s.seq = "cb4045000000000000"; /* 42.0 */
	expect_refused(&s, "entry seq");
	s.seq = "ff"; /* negative */
	expect_refused(&s, "entry seq");
	s = good;
	s.ts = "cf0000000000000001";
	expect_refused(&s, "entry ts");
	s = good;
	s.schema = "cd0001";
	expect_refused(&s, "entry schema");
}

static void decode_refuses_schema_above_32_bits(void **state)
{
	struct shape s = good;
	(void)state;
	s.schema = "cf0000000100000000";
	expect_refused(&s, "entry schema");
}

static void decode_refuses_prev_that_is_not_32_bytes_of_bin(void **state)
{
	struct shape s = good;
	(void)state;
	s.prev = "c41f11111111111111111111111111111111111111111111111111111111111111";
	expect_refused(&s, "entry prev");
	s.prev = "c421111111111111111111111111111111111111111111111111111111111111111111";
	expect_refused(&s, "entry prev");
	s.prev = "d9201111111111111111111111111111111111111111111111111111111111111111";
	expect_refused(&s, "entry prev");
	s.prev = "c0";
	expect_refused(&s, "entry prev");
	s.prev = "c5002011111111111111111111111111111111111111111111111111111111111111";
	expect_refused(&s, "entry prev");
}

static void decode_refuses_trailing_bytes(void **state)
{
	struct shape s = good;
	(void)state;
	s.extra = "00";
	expect_refused(&s, "trailing");
	s.extra = "c0c0c0";
	expect_refused(&s, "trailing");
}

static void decode_refuses_every_truncation_of_a_valid_entry(void **state)
{
	size_t len;
	uint8_t *full = from_hex(KAT_PUT_HEX, &len);
	(void)state;
	for (size_t n = 0; n < len; n++) {
		/* a fresh copy of exactly n bytes so ASan sees any over-read */
		uint8_t *b = malloc(n ? n : 1);
		struct lb_entry e;
		struct lb_diag d = {0};
		assert_non_null(b);
		memcpy(b, full, n);
		if (lb_entry_decode(&e, b, n, &d) != LB_EMALFORMED)
			fail_msg("a %zu-byte prefix of a %zu-byte entry decoded", n, len);
		if (lb_entry_decode(&e, b, n, NULL) != LB_EMALFORMED)
			fail_msg("a %zu-byte prefix decoded when no diag was passed", n);
		free(b);
	}
	free(full);
}

static void decode_refuses_every_single_byte_change_or_notices_it(void **state)
{
	/* Changing any one byte of a valid entry either makes it undecodable or
	 * decodes to an entry whose re-encoding is exactly the changed bytes:
	 * the decoder never accepts two encodings of the same entry. */
	size_t len;
	uint8_t *b = from_hex(KAT_PUT_HEX, &len);
	struct lb_mp_buf out;
	(void)state;
	lb_mp_buf_init(&out);
	for (size_t i = 0; i < len; i++) {
		uint8_t orig = b[i];
		for (int v = 0; v < 256; v += 7) {
			struct lb_entry e;
			b[i] = (uint8_t)(orig ^ v);
			if (v == 0 || lb_entry_decode(&e, b, len, NULL) != LB_OK)
				continue;
			lb_mp_buf_reset(&out);
			assert_int_equal(lb_entry_encode(&out, &e), LB_OK);
			if (out.sb.size != len || memcmp(out.sb.data, b, len) != 0)
				fail_msg("byte %zu ^ 0x%02x decoded to a different encoding", i, v);
		}
		b[i] = orig;
	}
	lb_mp_buf_free(&out);
	free(b);
}

/* ---- hex ----------------------------------------------------------------- */

static void hex_writes_lowercase_nul_terminated(void **state)
{
	static const uint8_t in[] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff};
	char out[2 * sizeof in + 2];
	(void)state;
	memset(out, 'X', sizeof out);
	lb_hex(out, in, sizeof in);
	assert_string_equal(out, "0001abcdefff");
	assert_int_equal(out[2 * sizeof in + 1], 'X'); /* wrote 2n + 1 bytes only */
	lb_hex(out, in, 0);
	assert_string_equal(out, "");
}

static void unhex_parses_exactly_2n_digits(void **state)
{
	uint8_t out[4] = {0};
	(void)state;
	assert_int_equal(lb_unhex(out, 4, "0001abff"), LB_OK);
	assert_memory_equal(out, "\x00\x01\xab\xff", 4);
	assert_int_equal(lb_unhex(out, 4, "DEADBEEF"), LB_OK);
	assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
	assert_int_equal(lb_unhex(out, 0, ""), LB_OK);
}

static void unhex_refuses_malformed_input(void **state)
{
	uint8_t out[4];
	(void)state;
	assert_int_equal(lb_unhex(out, 4, "0001abf"), LB_EINVAL);   /* short */
	assert_int_equal(lb_unhex(out, 4, "0001abff0"), LB_EINVAL); /* long */
	assert_int_equal(lb_unhex(out, 4, "0001abff00"), LB_EINVAL);
	assert_int_equal(lb_unhex(out, 4, "0001abgf"), LB_EINVAL);  /* non-hex */
	assert_int_equal(lb_unhex(out, 4, "00 1abff"), LB_EINVAL);
	assert_int_equal(lb_unhex(out, 4, "0x01abff"), LB_EINVAL);
	assert_int_equal(lb_unhex(out, 4, ""), LB_EINVAL);
	assert_int_equal(lb_unhex(out, 4, NULL), LB_EINVAL);
	assert_int_equal(lb_unhex(out, 1, "z0"), LB_EINVAL);
}

static void hex_and_unhex_round_trip_every_byte(void **state)
{
	uint8_t in[256], out[256];
	char hex[513];
	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	lb_hex(hex, in, sizeof in);
	assert_int_equal(strlen(hex), 512);
	assert_int_equal(lb_unhex(out, sizeof out, hex), LB_OK);
	assert_memory_equal(in, out, sizeof in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_entry_encodes_to_known_answer_bytes),
		cmocka_unit_test(put_entry_hash_is_known_answer_blake2b_256),
		cmocka_unit_test(del_entry_encodes_nil_body_to_known_answer_bytes),
		cmocka_unit_test(hash_of_empty_input_is_blake2b_256_of_nothing),
		cmocka_unit_test(encode_appends_to_what_the_buffer_holds),
		cmocka_unit_test(put_entry_round_trips_through_decode),
		cmocka_unit_test(del_entry_round_trips_with_no_body),
		cmocka_unit_test(entry_with_extreme_values_round_trips),
		cmocka_unit_test(known_answer_bytes_decode_to_the_known_fields),
		cmocka_unit_test(decode_accepts_the_hand_built_reference_shape),
		cmocka_unit_test(decode_refuses_wrong_array_length),
		cmocka_unit_test(decode_refuses_op_2_and_non_integer_op),
		cmocka_unit_test(decode_refuses_invalid_type_names),
		cmocka_unit_test(decode_refuses_bad_ids),
		cmocka_unit_test(decode_refuses_del_with_a_body),
		cmocka_unit_test(decode_refuses_put_with_a_non_map_body),
		cmocka_unit_test(decode_refuses_put_with_a_non_canonical_body),
		cmocka_unit_test(decode_stored_frames_but_does_not_recheck_the_body),
		cmocka_unit_test(decode_refuses_non_canonical_integers),
		cmocka_unit_test(decode_refuses_schema_above_32_bits),
		cmocka_unit_test(decode_refuses_prev_that_is_not_32_bytes_of_bin),
		cmocka_unit_test(decode_refuses_trailing_bytes),
		cmocka_unit_test(decode_refuses_every_truncation_of_a_valid_entry),
		cmocka_unit_test(decode_refuses_every_single_byte_change_or_notices_it),
		cmocka_unit_test(hex_writes_lowercase_nul_terminated),
		cmocka_unit_test(unhex_parses_exactly_2n_digits),
		cmocka_unit_test(unhex_refuses_malformed_input),
		cmocka_unit_test(hex_and_unhex_round_trip_every_byte),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
