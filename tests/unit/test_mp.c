/*
 * test_mp.c — unit tests for node/mp.h: the bounded msgpack reader, the
 * canonical-form checker and the canonical writer.
 *
 * Expected bytes are written out by hand from the msgpack specification,
 * never produced by msgpack-c, so a change in the library's packer (or in
 * how we call it) cannot slip through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../schema/mp.h"

/* ---- helpers ----------------------------------------------------------- */

/* Bytes from a hex literal; the caller frees. */
static uint8_t *unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2, got = 0;
	uint8_t *b = malloc(n ? n : 1);
	assert_non_null(b);
	assert_int_equal(sodium_hex2bin(b, n, hex, strlen(hex), " ", &got, NULL), 0);
	*len = got;
	return b;
}

/* Decode the first value of hex; returns the error and the object. */
static lb_err next_hex(const char *hex, struct lb_mp_obj *o, size_t *consumed)
{
	size_t len;
	uint8_t *b = unhex(hex, &len);
	struct lb_mp_rd r;
	struct lb_diag d = {0};
	lb_err e;

	lb_mp_rd_init(&r, b, len);
	e = lb_mp_next(&r, o, &d);
	if (e) {
		assert_int_equal(d.code, e);
		assert_true(d.msg[0] != '\0');
		assert_ptr_equal(r.p, b); /* "on error r is unchanged" */
	}
	if (consumed)
		*consumed = (size_t)(r.p - b);
	o->s = NULL; /* the payload pointed into b */
	free(b);
	return e;
}

#define assert_next_ok(hex, kind_, canon_, used_)                                \
	do {                                                                     \
		size_t used__;                                                   \
		assert_int_equal(next_hex((hex), &o, &used__), LB_OK);           \
		assert_int_equal(o.kind, (kind_));                               \
		if (o.canonical != (canon_))                                     \
			fail_msg("%s: canonical is %d, want %d", (hex), o.canonical, \
			         (canon_));                                      \
		assert_int_equal(used__, (used_));                               \
	} while (0)

#define assert_next_refused(hex)                                                      \
	do {                                                                          \
		if (next_hex((hex), &o, NULL) != LB_EMALFORMED)                       \
			fail_msg("%s was accepted (or gave the wrong error)", (hex)); \
	} while (0)

/* The writer's output as lower-case hex (static buffer). */
static const char *buf_hex(const struct lb_mp_buf *b)
{
	static char out[2 * 70000 + 1];
	assert_true(b->sb.size <= 70000);
	sodium_bin2hex(out, sizeof out, (const unsigned char *)b->sb.data, b->sb.size);
	return out;
}

#define assert_wrote(buf, hex)                                                     \
	do {                                                                       \
		assert_false((buf)->oom);                                          \
		if (strcmp(buf_hex(buf), (hex)) != 0)                              \
			fail_msg("wrote %s, want %s", buf_hex(buf), (hex));        \
	} while (0)

/* A buffer holding a header given in hex followed by `fill` bytes. */
static uint8_t *header_plus(const char *hex, size_t fill, uint8_t byte, size_t *len)
{
	size_t hl;
	uint8_t *h = unhex(hex, &hl);
	uint8_t *b = malloc(hl + fill);
	assert_non_null(b);
	memcpy(b, h, hl);
	memset(b + hl, byte, fill);
	free(h);
	*len = hl + fill;
	return b;
}

static lb_err next_buf(const uint8_t *b, size_t len, struct lb_mp_obj *o)
{
	struct lb_mp_rd r;
	lb_mp_rd_init(&r, b, len);
	return lb_mp_next(&r, o, NULL);
}

static lb_err check_body_hex(const char *hex, struct lb_diag *d)
{
	size_t len;
	uint8_t *b = unhex(hex, &len);
	lb_err e = lb_mp_check_body(b, len, d);
	free(b);
	return e;
}

static lb_err skip_hex(const char *hex, bool canonical, size_t *left)
{
	size_t len;
	uint8_t *b = unhex(hex, &len);
	struct lb_mp_rd r;
	lb_err e;

	lb_mp_rd_init(&r, b, len);
	e = lb_mp_skip(&r, canonical, NULL);
	if (e)
		assert_ptr_equal(r.p, b);
	if (left)
		*left = lb_mp_rd_left(&r);
	free(b);
	return e;
}

/* ---- reader: every type byte --------------------------------------------- */

static void next_decodes_every_type_byte_to_its_kind_or_refuses_ext(void **state)
{
	/* Each type byte followed by zeros decodes (a zero count or length, a
	 * zero value) except the reserved byte 0xc1 and the ext types. */
	uint8_t b[64];
	(void)state;
	for (int c = 0; c <= 0xff; c++) {
		struct lb_mp_obj o;
		enum lb_mp_kind want;
		bool refused = c == 0xc1 || (c >= 0xc7 && c <= 0xc9) || (c >= 0xd4 && c <= 0xd8);
		lb_err e;

		memset(b, 0, sizeof b);
		b[0] = (uint8_t)c;
		/* fixstr/fixarray/fixmap payloads must be present: zeros do it */
		e = next_buf(b, sizeof b, &o);
		if (refused) {
			if (e != LB_EMALFORMED)
				fail_msg("type byte 0x%02x was accepted", c);
			continue;
		}
		if (e != LB_OK)
			fail_msg("type byte 0x%02x was refused", c);
		if (c <= 0x7f)
			want = LB_MP_UINT;
		else if (c <= 0x8f)
			want = LB_MP_MAP;
		else if (c <= 0x9f)
			want = LB_MP_ARRAY;
		else if (c <= 0xbf)
			want = LB_MP_STR;
		else if (c == 0xc0)
			want = LB_MP_NIL;
		else if (c == 0xc2 || c == 0xc3)
			want = LB_MP_BOOL;
		else if (c >= 0xc4 && c <= 0xc6)
			want = LB_MP_BIN;
		else if (c == 0xca || c == 0xcb)
			want = LB_MP_FLOAT;
		else if (c >= 0xcc && c <= 0xcf)
			want = LB_MP_UINT;
		else if (c >= 0xd0 && c <= 0xd3)
			want = LB_MP_UINT; /* a zero payload is the value 0 */
		else if (c >= 0xd9 && c <= 0xdb)
			want = LB_MP_STR;
		else if (c == 0xdc || c == 0xdd)
			want = LB_MP_ARRAY;
		else if (c == 0xde || c == 0xdf)
			want = LB_MP_MAP;
		else
			want = LB_MP_INT; /* 0xe0..0xff negative fixint */
		if (o.kind != want)
			fail_msg("type byte 0x%02x gave kind %d, want %d", c, o.kind, want);
	}
}

static void next_decodes_fixint_nil_and_bool_values(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	assert_next_ok("00", LB_MP_UINT, true, 1);
	assert_int_equal(o.v.u, 0);
	assert_next_ok("7f", LB_MP_UINT, true, 1);
	assert_int_equal(o.v.u, 127);
	assert_next_ok("e0", LB_MP_INT, true, 1);
	assert_int_equal(o.v.i, -32);
	assert_next_ok("ff", LB_MP_INT, true, 1);
	assert_int_equal(o.v.i, -1);
	assert_next_ok("c0", LB_MP_NIL, true, 1);
	assert_next_ok("c2", LB_MP_BOOL, true, 1);
	assert_false(o.v.b);
	assert_next_ok("c3", LB_MP_BOOL, true, 1);
	assert_true(o.v.b);
	/* only the first value is consumed */
	assert_next_ok("0102", LB_MP_UINT, true, 1);
	assert_int_equal(o.v.u, 1);
}

static void next_marks_unsigned_ints_canonical_only_in_smallest_form(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	assert_next_ok("cc05", LB_MP_UINT, false, 2); /* 5 fits a fixint */
	assert_int_equal(o.v.u, 5);
	assert_next_ok("cc7f", LB_MP_UINT, false, 2);
	assert_next_ok("cc80", LB_MP_UINT, true, 2);
	assert_int_equal(o.v.u, 128);
	assert_next_ok("ccff", LB_MP_UINT, true, 2);
	assert_next_ok("cd00ff", LB_MP_UINT, false, 3);
	assert_next_ok("cd0100", LB_MP_UINT, true, 3);
	assert_int_equal(o.v.u, 256);
	assert_next_ok("cdffff", LB_MP_UINT, true, 3);
	assert_int_equal(o.v.u, 65535);
	assert_next_ok("ce0000ffff", LB_MP_UINT, false, 5);
	assert_next_ok("ce00010000", LB_MP_UINT, true, 5);
	assert_int_equal(o.v.u, 65536);
	assert_next_ok("ceffffffff", LB_MP_UINT, true, 5);
	assert_int_equal(o.v.u, 4294967295u);
	assert_next_ok("cf00000000ffffffff", LB_MP_UINT, false, 9);
	assert_next_ok("cf0000000000000000", LB_MP_UINT, false, 9);
	assert_next_ok("cf0000000100000000", LB_MP_UINT, true, 9);
	assert_int_equal(o.v.u, 4294967296ULL);
	assert_next_ok("cfffffffffffffffff", LB_MP_UINT, true, 9);
	assert_true(o.v.u == UINT64_MAX);
}

static void next_marks_signed_ints_canonical_only_in_smallest_form(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	/* non-negative values in signed forms are UINT and never canonical */
	assert_next_ok("d005", LB_MP_UINT, false, 2);
	assert_int_equal(o.v.u, 5);
	assert_next_ok("d17fff", LB_MP_UINT, false, 3);
	assert_int_equal(o.v.u, 32767);
	assert_next_ok("d3000000000000ffff", LB_MP_UINT, false, 9);
	assert_int_equal(o.v.u, 65535);
	/* int8 */
	assert_next_ok("d0e0", LB_MP_INT, false, 2); /* -32 fits a fixint */
	assert_int_equal(o.v.i, -32);
	assert_next_ok("d0df", LB_MP_INT, true, 2);
	assert_int_equal(o.v.i, -33);
	assert_next_ok("d080", LB_MP_INT, true, 2);
	assert_int_equal(o.v.i, -128);
	/* int16 */
	assert_next_ok("d1ff80", LB_MP_INT, false, 3);
	assert_int_equal(o.v.i, -128);
	assert_next_ok("d1ff7f", LB_MP_INT, true, 3);
	assert_int_equal(o.v.i, -129);
	assert_next_ok("d18000", LB_MP_INT, true, 3);
	assert_int_equal(o.v.i, -32768);
	/* int32 */
	assert_next_ok("d2ffff8000", LB_MP_INT, false, 5);
	assert_int_equal(o.v.i, -32768);
	assert_next_ok("d2ffff7fff", LB_MP_INT, true, 5);
	assert_int_equal(o.v.i, -32769);
	assert_next_ok("d280000000", LB_MP_INT, true, 5);
	assert_true(o.v.i == INT32_MIN);
	/* int64 */
	assert_next_ok("d3ffffffff80000000", LB_MP_INT, false, 9);
	assert_true(o.v.i == INT32_MIN);
	assert_next_ok("d3ffffffff7fffffff", LB_MP_INT, true, 9);
	assert_true(o.v.i == (int64_t)INT32_MIN - 1);
	assert_next_ok("d38000000000000000", LB_MP_INT, true, 9);
	assert_true(o.v.i == INT64_MIN);
	assert_next_ok("d3ffffffffffffffff", LB_MP_INT, false, 9);
	assert_int_equal(o.v.i, -1);
}

static void next_decodes_floats_but_never_as_canonical(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	assert_next_ok("ca3fc00000", LB_MP_FLOAT, false, 5);
	assert_true(o.v.f == 1.5);
	assert_next_ok("cabf800000", LB_MP_FLOAT, false, 5);
	assert_true(o.v.f == -1.0);
	/* float64 too (FORMAT §1): -0.0, NaN payloads and 1.0 vs 1 would give
	 * one value several encodings */
	assert_next_ok("cb3ff8000000000000", LB_MP_FLOAT, false, 9);
	assert_true(o.v.f == 1.5);
	assert_next_ok("cbc00921fb54442d18", LB_MP_FLOAT, false, 9);
	assert_true(o.v.f == -3.141592653589793);
	assert_next_ok("cb8000000000000000", LB_MP_FLOAT, false, 9);
}

static void canonical_skip_refuses_a_float_and_says_so(void **state)
{
	static const char *const bodies[] = {
		"81a161cb3ff0000000000000", /* {"a": 1.0} */
		"81a161ca3f800000",         /* {"a": 1.0f} */
		"81a16191cb7ff8000000000001", /* {"a": [NaN with a payload]} */
	};
	struct lb_diag d = {0};
	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		size_t n;
		uint8_t *b = unhex(bodies[i], &n);
		struct lb_mp_rd r;
		assert_int_equal(lb_mp_check_body(b, n, &d), LB_EMALFORMED);
		assert_non_null(strstr(d.msg, "a float"));
		lb_mp_rd_init(&r, b, n); /* a lenient walk steps over it */
		assert_int_equal(lb_mp_skip(&r, false, NULL), LB_OK);
		assert_int_equal(lb_mp_rd_left(&r), 0);
		free(b);
	}
}

static void next_reads_strings_and_marks_oversized_headers(void **state)
{
	struct lb_mp_obj o;
	size_t len;
	uint8_t *b;
	(void)state;
	assert_next_ok("a0", LB_MP_STR, true, 1);
	assert_int_equal(o.len, 0);
	assert_next_ok("a3616263", LB_MP_STR, true, 4);
	assert_int_equal(o.len, 3);
	/* the payload is borrowed from the input */
	b = unhex("a3616263", &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_ptr_equal(o.s, b + 1);
	assert_memory_equal(o.s, "abc", 3);
	free(b);
	/* str8 is canonical only from 32 bytes */
	assert_next_ok("d900", LB_MP_STR, false, 2);
	b = header_plus("d91f", 31, 'x', &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_false(o.canonical);
	free(b);
	b = header_plus("d920", 32, 'x', &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 32);
	free(b);
	/* str16 from 256, str32 from 65536 */
	b = header_plus("da00ff", 255, 'x', &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_false(o.canonical);
	free(b);
	b = header_plus("da0100", 256, 'x', &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 256);
	free(b);
	b = header_plus("db0000ffff", 65535, 'x', &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_false(o.canonical);
	free(b);
	b = header_plus("db00010000", 65536, 'x', &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 65536);
	assert_int_equal(o.kind, LB_MP_STR);
	free(b);
}

static void next_reads_bins_and_marks_oversized_headers(void **state)
{
	struct lb_mp_obj o;
	size_t len;
	uint8_t *b;
	(void)state;
	assert_next_ok("c400", LB_MP_BIN, true, 2);
	assert_int_equal(o.len, 0);
	assert_next_ok("c403010203", LB_MP_BIN, true, 5);
	assert_int_equal(o.len, 3);
	assert_next_ok("c50005aabbccddee", LB_MP_BIN, false, 8);
	assert_int_equal(o.len, 5);
	b = header_plus("c50100", 256, 7, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 256);
	free(b);
	assert_next_ok("c60000000101", LB_MP_BIN, false, 6);
	b = header_plus("c60000ffff", 65535, 7, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_false(o.canonical);
	free(b);
	b = header_plus("c600010000", 65536, 7, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.kind, LB_MP_BIN);
	free(b);
}

static void next_reads_container_headers_and_marks_oversized_ones(void **state)
{
	struct lb_mp_obj o;
	size_t len;
	uint8_t *b;
	(void)state;
	assert_next_ok("90", LB_MP_ARRAY, true, 1);
	assert_int_equal(o.len, 0);
	assert_next_ok("80", LB_MP_MAP, true, 1);
	assert_int_equal(o.len, 0);
	/* only the header is consumed */
	assert_next_ok("93010203", LB_MP_ARRAY, true, 1);
	assert_int_equal(o.len, 3);
	assert_next_ok("82a16101a16202", LB_MP_MAP, true, 1);
	assert_int_equal(o.len, 2);
	assert_next_ok("dc0000", LB_MP_ARRAY, false, 3);
	assert_next_ok("de0000", LB_MP_MAP, false, 3);
	assert_next_ok("dd00000000", LB_MP_ARRAY, false, 5);
	assert_next_ok("df00000000", LB_MP_MAP, false, 5);
	b = header_plus("dc000f", 15, 0, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_false(o.canonical);
	free(b);
	b = header_plus("dc0010", 16, 0, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 16);
	free(b);
	b = header_plus("de0010", 32, 0, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 16);
	free(b);
	b = header_plus("dd0000ffff", 65535, 0, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_false(o.canonical);
	free(b);
	b = header_plus("dd00010000", 65536, 0, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.len, 65536);
	free(b);
	b = header_plus("df00010000", 2 * 65536, 0, &len);
	assert_int_equal(next_buf(b, len, &o), LB_OK);
	assert_true(o.canonical);
	assert_int_equal(o.kind, LB_MP_MAP);
	free(b);
}

static void next_refuses_ext_types_and_the_reserved_byte(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	assert_next_refused("c1");
	assert_next_refused("d40100");                 /* fixext1 */
	assert_next_refused("d5010000");               /* fixext2 */
	assert_next_refused("d6ff00000000");           /* timestamp32 */
	assert_next_refused("d701000000000000000000"); /* fixext8 */
	assert_next_refused("d80100000000000000000000000000000000");
	assert_next_refused("c7000100");
	assert_next_refused("c800000100");
	assert_next_refused("c9000000000100");
}

static void next_refuses_empty_input(void **state)
{
	struct lb_mp_obj o;
	struct lb_mp_rd r;
	struct lb_diag d = {0};
	(void)state;
	lb_mp_rd_init(&r, "", 0);
	assert_int_equal(lb_mp_next(&r, &o, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "end of input"));
}

/* ---- reader: hostile counts and truncation ------------------------------- */

static void next_refuses_array32_of_4_billion_in_5_bytes(void **state)
{
	struct lb_mp_obj o;
	struct lb_diag d = {0};
	struct lb_mp_rd r;
	static const uint8_t hostile[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	uint8_t more[200];
	(void)state;
	lb_mp_rd_init(&r, hostile, sizeof hostile);
	assert_int_equal(lb_mp_next(&r, &o, &d), LB_EMALFORMED);
	assert_ptr_equal(r.p, hostile);
	assert_non_null(strstr(d.msg, "4294967295"));
	/* still refused with a few hundred bytes behind it */
	memset(more, 0, sizeof more);
	memcpy(more, hostile, sizeof hostile);
	assert_int_equal(next_buf(more, sizeof more, &o), LB_EMALFORMED);
	assert_next_refused("dfffffffff");
	assert_next_refused("dcffff");
	assert_next_refused("deffff");
}

static void next_refuses_counts_the_remaining_bytes_cannot_hold(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	/* arrays: one byte per element at least */
	assert_next_refused("9301 02");
	assert_next_ok("93010203", LB_MP_ARRAY, true, 1);
	assert_next_refused("91");
	assert_next_refused("dc000501020304");
	assert_next_ok("dc00050102030405", LB_MP_ARRAY, false, 3);
	assert_next_refused("dd0000000501020304");
	/* maps: two bytes per pair at least */
	assert_next_refused("81");
	assert_next_refused("8101");
	assert_next_ok("810101", LB_MP_MAP, true, 1);
	assert_next_refused("8301020304 05");
	assert_next_refused("de0003 0102030405");
	assert_next_ok("de0003 010203040506", LB_MP_MAP, false, 3);
	assert_next_refused("df00000003 0102030405");
	assert_next_refused("de1000 0102030405060708");
}

static void next_refuses_truncated_strings_and_bins(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	assert_next_refused("a5616263");        /* fixstr 5, 3 bytes */
	assert_next_refused("a1");
	assert_next_refused("d9");              /* no length byte */
	assert_next_refused("d905616263");
	assert_next_refused("da00");            /* half a length */
	assert_next_refused("da0005616263");
	assert_next_refused("db000000");
	assert_next_refused("dbffffffff61");    /* 4 GiB declared */
	assert_next_refused("c4");
	assert_next_refused("c4036162");
	assert_next_refused("c5ff");
	assert_next_refused("c50100" "61");
	assert_next_refused("c6ffffffff00");
}

static void next_refuses_truncated_numbers(void **state)
{
	struct lb_mp_obj o;
	(void)state;
	assert_next_refused("cc");
	assert_next_refused("cd01");
	assert_next_refused("ce000001");
	assert_next_refused("cf00000000000001");
	assert_next_refused("d0");
	assert_next_refused("d1ff");
	assert_next_refused("d2ffffff");
	assert_next_refused("d3ffffffffffffff");
	assert_next_refused("ca3fc000");
	assert_next_refused("cb3ff80000000000");
	assert_next_refused("dc00");
	assert_next_refused("dd000000");
	assert_next_refused("de00");
	assert_next_refused("df000000");
}

/* ---- reader: typed wrappers ---------------------------------------------- */

static void read_uint_returns_canonical_values_and_refuses_others(void **state)
{
	static const uint8_t ok[] = {0xcd, 0x01, 0x00, 0x05};
	static const uint8_t noncanon[] = {0xcc, 0x05};
	static const uint8_t neg[] = {0xff};
	static const uint8_t str[] = {0xa1, 'x'};
	struct lb_mp_rd r;
	struct lb_diag d = {0};
	uint64_t v = 0;
	(void)state;
	lb_mp_rd_init(&r, ok, sizeof ok);
	assert_int_equal(lb_mp_read_uint(&r, &v, "seq", &d), LB_OK);
	assert_int_equal(v, 256);
	assert_int_equal(lb_mp_read_uint(&r, &v, "seq", &d), LB_OK);
	assert_int_equal(v, 5);
	assert_int_equal(lb_mp_rd_left(&r), 0);

	lb_mp_rd_init(&r, noncanon, sizeof noncanon);
	assert_int_equal(lb_mp_read_uint(&r, &v, "entry seq", &d), LB_EMALFORMED);
	assert_ptr_equal(r.p, noncanon);
	assert_non_null(strstr(d.msg, "entry seq"));
	lb_mp_rd_init(&r, neg, sizeof neg);
	assert_int_equal(lb_mp_read_uint(&r, &v, "seq", NULL), LB_EMALFORMED);
	assert_ptr_equal(r.p, neg);
	lb_mp_rd_init(&r, str, sizeof str);
	assert_int_equal(lb_mp_read_uint(&r, &v, "seq", NULL), LB_EMALFORMED);
	assert_ptr_equal(r.p, str);
}

static void read_wrappers_fail_on_truncated_input_with_and_without_diag(void **state)
{
	/* A truncated value must be an error even when the caller passes no
	 * diag: the error code may not depend on whether a message is wanted. */
	static const uint8_t trunc_uint[] = {0xcd, 0x01};
	static const uint8_t trunc_str[] = {0xa5, 'a', 'b'};
	static const uint8_t trunc_bin[] = {0xc4, 0x20, 0x00};
	static const uint8_t trunc_arr[] = {0xdc, 0x00};
	struct lb_mp_rd r;
	struct lb_diag d = {0};
	uint64_t v = 99;
	const uint8_t *s = NULL;
	uint32_t n = 0;
	(void)state;
	for (int with_diag = 0; with_diag < 2; with_diag++) {
		struct lb_diag *dp = with_diag ? &d : NULL;
		lb_mp_rd_init(&r, trunc_uint, sizeof trunc_uint);
		assert_int_equal(lb_mp_read_uint(&r, &v, "entry seq", dp), LB_EMALFORMED);
		assert_ptr_equal(r.p, trunc_uint);
		lb_mp_rd_init(&r, trunc_uint, 0);
		assert_int_equal(lb_mp_read_uint(&r, &v, "entry seq", dp), LB_EMALFORMED);
		lb_mp_rd_init(&r, trunc_str, sizeof trunc_str);
		assert_int_equal(lb_mp_read_str(&r, &s, &n, "entry type", dp), LB_EMALFORMED);
		assert_ptr_equal(r.p, trunc_str);
		lb_mp_rd_init(&r, trunc_bin, sizeof trunc_bin);
		assert_int_equal(lb_mp_read_binn(&r, &s, 32, "entry prev", dp), LB_EMALFORMED);
		assert_ptr_equal(r.p, trunc_bin);
		lb_mp_rd_init(&r, trunc_arr, sizeof trunc_arr);
		assert_int_equal(lb_mp_read_array(&r, 8, "entry", dp), LB_EMALFORMED);
		assert_ptr_equal(r.p, trunc_arr);
	}
	assert_int_equal(d.code, LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "entry"));
}

static void read_str_refuses_non_canonical_and_non_string(void **state)
{
	static const uint8_t ok[] = {0xa3, 'd', 'e', 's'};
	static const uint8_t str8[] = {0xd9, 0x03, 'd', 'e', 's'};
	static const uint8_t bin[] = {0xc4, 0x01, 'x'};
	struct lb_mp_rd r;
	const uint8_t *s = NULL;
	uint32_t n = 0;
	(void)state;
	lb_mp_rd_init(&r, ok, sizeof ok);
	assert_int_equal(lb_mp_read_str(&r, &s, &n, "type", NULL), LB_OK);
	assert_int_equal(n, 3);
	assert_ptr_equal(s, ok + 1);
	assert_int_equal(lb_mp_rd_left(&r), 0);
	lb_mp_rd_init(&r, str8, sizeof str8);
	assert_int_equal(lb_mp_read_str(&r, &s, &n, "type", NULL), LB_EMALFORMED);
	assert_ptr_equal(r.p, str8);
	lb_mp_rd_init(&r, bin, sizeof bin);
	assert_int_equal(lb_mp_read_str(&r, &s, &n, "type", NULL), LB_EMALFORMED);
	assert_ptr_equal(r.p, bin);
}

static void read_binn_requires_the_exact_length(void **state)
{
	uint8_t b[2 + 33];
	struct lb_mp_rd r;
	const uint8_t *s = NULL;
	(void)state;
	memset(b, 0xab, sizeof b);
	b[0] = 0xc4;
	b[1] = 32;
	lb_mp_rd_init(&r, b, 34);
	assert_int_equal(lb_mp_read_binn(&r, &s, 32, "prev", NULL), LB_OK);
	assert_ptr_equal(s, b + 2);
	assert_int_equal(lb_mp_rd_left(&r), 0);
	b[1] = 31;
	lb_mp_rd_init(&r, b, 33);
	assert_int_equal(lb_mp_read_binn(&r, &s, 32, "prev", NULL), LB_EMALFORMED);
	assert_ptr_equal(r.p, b);
	b[1] = 33;
	lb_mp_rd_init(&r, b, 35);
	assert_int_equal(lb_mp_read_binn(&r, &s, 32, "prev", NULL), LB_EMALFORMED);
	/* a str of 32 bytes is not a bin */
	b[0] = 0xd9;
	b[1] = 32;
	lb_mp_rd_init(&r, b, 34);
	assert_int_equal(lb_mp_read_binn(&r, &s, 32, "prev", NULL), LB_EMALFORMED);
}

static void read_array_requires_the_exact_count_in_canonical_form(void **state)
{
	static const uint8_t a2[] = {0x92, 0x01, 0x02};
	static const uint8_t a2long[] = {0xdc, 0x00, 0x02, 0x01, 0x02};
	static const uint8_t m1[] = {0x81, 0xa1, 'a', 0x01};
	struct lb_mp_rd r;
	(void)state;
	lb_mp_rd_init(&r, a2, sizeof a2);
	assert_int_equal(lb_mp_read_array(&r, 2, "pair", NULL), LB_OK);
	assert_int_equal(lb_mp_rd_left(&r), 2);
	lb_mp_rd_init(&r, a2, sizeof a2);
	assert_int_equal(lb_mp_read_array(&r, 3, "pair", NULL), LB_EMALFORMED);
	assert_ptr_equal(r.p, a2);
	lb_mp_rd_init(&r, a2long, sizeof a2long);
	assert_int_equal(lb_mp_read_array(&r, 2, "pair", NULL), LB_EMALFORMED);
	lb_mp_rd_init(&r, m1, sizeof m1);
	assert_int_equal(lb_mp_read_array(&r, 1, "pair", NULL), LB_EMALFORMED);
}

/* ---- skip and depth -------------------------------------------------------- */

/* n nested single-element arrays around an empty array: n + 1 levels. */
static uint8_t *nested_arrays(size_t levels, size_t *len)
{
	uint8_t *b = malloc(levels);
	assert_non_null(b);
	memset(b, 0x91, levels);
	b[levels - 1] = 0x90;
	*len = levels;
	return b;
}

static void skip_accepts_16_nested_arrays_and_refuses_17(void **state)
{
	size_t len;
	uint8_t *b;
	struct lb_mp_rd r;
	struct lb_diag d = {0};
	(void)state;
	b = nested_arrays(LB_MP_MAX_DEPTH, &len);
	lb_mp_rd_init(&r, b, len);
	assert_int_equal(lb_mp_skip(&r, true, &d), LB_OK);
	assert_int_equal(lb_mp_rd_left(&r), 0);
	free(b);

	b = nested_arrays(LB_MP_MAX_DEPTH + 1, &len);
	lb_mp_rd_init(&r, b, len);
	assert_int_equal(lb_mp_skip(&r, true, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "deeper"));
	assert_ptr_equal(r.p, b);
	lb_mp_rd_init(&r, b, len);
	assert_int_equal(lb_mp_skip(&r, false, NULL), LB_EMALFORMED);
	free(b);
}

static void canonical_skip_names_a_nul(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	/* NUL is valid UTF-8, but no lumbung string may hold it (FORMAT §1) */
	assert_int_equal(check_body_hex("81a161a3610062", &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "a string holds NUL"));
	assert_int_equal(check_body_hex("81a2610001", &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "a map key holds NUL"));
}

static void skip_within_gives_inner_values_their_own_16_levels(void **state)
{
	/* [[[ body ]]]: three outer levels around a value of 16 levels */
	size_t len;
	uint8_t *b = nested_arrays(LB_MP_MAX_DEPTH + 3, &len);
	struct lb_mp_rd r;
	(void)state;
	lb_mp_rd_init(&r, b, len);
	assert_int_equal(lb_mp_skip(&r, true, NULL), LB_EMALFORMED);
	assert_int_equal(lb_mp_skip_within(&r, true, 3, NULL), LB_OK);
	assert_int_equal(lb_mp_rd_left(&r), 0);
	free(b);
	b = nested_arrays(LB_MP_MAX_DEPTH + 4, &len);
	lb_mp_rd_init(&r, b, len);
	assert_int_equal(lb_mp_skip_within(&r, true, 3, NULL), LB_EMALFORMED);
	free(b);
}

static void skip_refuses_a_megabyte_of_nesting_at_the_depth_limit(void **state)
{
	/* 1 MB of 0x91: an unbounded recursive walker would overflow the stack. */
	size_t len;
	uint8_t *b = nested_arrays(1u << 20, &len);
	struct lb_mp_rd r;
	(void)state;
	lb_mp_rd_init(&r, b, len);
	assert_int_equal(lb_mp_skip(&r, false, NULL), LB_EMALFORMED);
	free(b);
	b = malloc(1u << 20);
	assert_non_null(b);
	for (size_t i = 0; i < (1u << 20); i += 2) {
		b[i] = 0x81;     /* {"": {"": ... */
		b[i + 1] = 0xa0;
	}
	lb_mp_rd_init(&r, b, 1u << 20);
	assert_int_equal(lb_mp_skip(&r, true, NULL), LB_EMALFORMED);
	assert_int_equal(lb_mp_skip(&r, false, NULL), LB_EMALFORMED);
	free(b);
}

static void skip_consumes_exactly_one_complete_value(void **state)
{
	size_t left;
	(void)state;
	/* [1, "ab", {"k": [nil, true]}, bin(2)] followed by 0x05 */
	assert_int_equal(skip_hex("9401a2616281a16b92c0c3c402aabb05", true, &left), LB_OK);
	assert_int_equal(left, 1);
	assert_int_equal(skip_hex("05", true, &left), LB_OK);
	assert_int_equal(left, 0);
	/* a container whose elements are missing is refused, reader unchanged */
	assert_int_equal(skip_hex("9401a2616281a16b92c0", false, NULL), LB_EMALFORMED);
}

static void skip_checks_canonical_form_only_when_asked(void **state)
{
	(void)state;
	assert_int_equal(skip_hex("91cc05", false, NULL), LB_OK);
	assert_int_equal(skip_hex("91cc05", true, NULL), LB_EMALFORMED);
	assert_int_equal(skip_hex("91ca3fc00000", false, NULL), LB_OK);
	assert_int_equal(skip_hex("91ca3fc00000", true, NULL), LB_EMALFORMED);
	assert_int_equal(skip_hex("dc000101", false, NULL), LB_OK);
	assert_int_equal(skip_hex("dc000101", true, NULL), LB_EMALFORMED);
	/* maps with non-string or unsorted keys are fine when not canonical */
	assert_int_equal(skip_hex("82 01c0 00c0", false, NULL), LB_OK);
	assert_int_equal(skip_hex("82 01c0 00c0", true, NULL), LB_EMALFORMED);
	/* invalid UTF-8 in a string */
	assert_int_equal(skip_hex("91a2c0af", false, NULL), LB_OK);
	assert_int_equal(skip_hex("91a2c0af", true, NULL), LB_EMALFORMED);
}

/* ---- lb_mp_check_body ---------------------------------------------------- */

static void check_body_accepts_canonical_maps(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(check_body_hex("80", &d), LB_OK);
	/* {"a": 1, "b": 2} */
	assert_int_equal(check_body_hex("82a16101a16202", &d), LB_OK);
	/* a shorter key before its extensions: {"a": 1, "ab": 2, "b": 3} */
	assert_int_equal(check_body_hex("83a16101a2616202a16203", &d), LB_OK);
	/* bytewise order: "Z" (0x5a) < "a" (0x61) < "\xc3\xa9" ("é") */
	assert_int_equal(check_body_hex("83a15a01a16102a2c3a903", &d), LB_OK);
	/* the empty key first: {"": nil, "x": [1, -1, true, {"y": "z"}]} */
	assert_int_equal(check_body_hex("82a0c0a17894 01 ff c3 81a179a17a", &d), LB_OK);
}

static void check_body_accepts_map16_only_from_16_pairs(void **state)
{
	char hex[3 * 2 + 17 * 8 + 1];
	size_t at;
	(void)state;
	/* keys "a".."p" (16 pairs) in map16 */
	at = (size_t)snprintf(hex, sizeof hex, "de0010");
	for (int i = 0; i < 16; i++)
		at += (size_t)snprintf(hex + at, sizeof hex - at, "a1%02x00", 'a' + i);
	assert_int_equal(check_body_hex(hex, NULL), LB_OK);
	/* 15 pairs in map16 is not the smallest form */
	at = (size_t)snprintf(hex, sizeof hex, "de000f");
	for (int i = 0; i < 15; i++)
		at += (size_t)snprintf(hex + at, sizeof hex - at, "a1%02x00", 'a' + i);
	assert_int_equal(check_body_hex(hex, NULL), LB_EMALFORMED);
}

static void check_body_refuses_unsorted_keys(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(check_body_hex("82a16201a16102", &d), LB_EMALFORMED); /* b, a */
	assert_non_null(strstr(d.msg, "sorted"));
	assert_int_equal(check_body_hex("82a2616202a16101", NULL), LB_EMALFORMED); /* ab, a */
	assert_int_equal(check_body_hex("82a2c3a901a16102", NULL), LB_EMALFORMED); /* é, a */
	/* in a nested map */
	assert_int_equal(check_body_hex("81a16b82a16201a16102", NULL), LB_EMALFORMED);
	/* in a map inside an array */
	assert_int_equal(check_body_hex("81a16b9182a16201a16102", NULL), LB_EMALFORMED);
}

/* A peer's map key goes into the message escaped: a key that carries a
 * line break cannot write a forged line into the aggregator's log. */
static void check_body_escapes_the_key_it_names(void **state)
{
	static const char forged[] = "a\n2026-11-30T02:00:00Z lumbung-agg: accepted 5 entries";
	uint8_t b[128];
	size_t n = 0, kl = sizeof forged - 1;
	struct lb_diag d = {0};
	(void)state;

	b[n++] = 0x82;
	b[n++] = 0xa1; /* "z": 1 */
	b[n++] = 'z';
	b[n++] = 0x01;
	b[n++] = 0xd9; /* str8: the forged key, which sorts before "z" */
	b[n++] = (uint8_t)kl;
	memcpy(b + n, forged, kl);
	n += kl;
	b[n++] = 0x02;
	assert_int_equal(lb_mp_check_body(b, n, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "sorted"));
	assert_null(strchr(d.msg, '\n'));
	assert_null(strchr(d.msg, '\r'));
	assert_non_null(strstr(d.msg, "\"a\\x0a2026-11-30T02:00:00Z lumbung-agg: acce...\""));
}

static void check_body_refuses_duplicate_keys(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(check_body_hex("82a16101a16102", &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "\"a\""));
	assert_int_equal(check_body_hex("82a0c0a0c0", NULL), LB_EMALFORMED);
}

static void check_body_refuses_non_string_keys(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(check_body_hex("810101", &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "key"));
	assert_int_equal(check_body_hex("81c4016101", NULL), LB_EMALFORMED); /* bin key */
	assert_int_equal(check_body_hex("81c001", NULL), LB_EMALFORMED);     /* nil key */
	assert_int_equal(check_body_hex("819001", NULL), LB_EMALFORMED);     /* array key */
	assert_int_equal(check_body_hex("81d9016101", NULL), LB_EMALFORMED); /* str8 key */
}

static void check_body_refuses_invalid_utf8_strings(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(check_body_hex("81a16ba2c0af", &d), LB_EMALFORMED); /* overlong */
	assert_non_null(strstr(d.msg, "UTF-8"));
	assert_int_equal(check_body_hex("81a16ba3eda080", NULL), LB_EMALFORMED); /* surrogate */
	assert_int_equal(check_body_hex("81a16ba100", NULL), LB_EMALFORMED);     /* NUL */
	assert_int_equal(check_body_hex("81a16b91a1ff", NULL), LB_EMALFORMED);   /* in array */
	assert_int_equal(check_body_hex("81a2c0af01", NULL), LB_EMALFORMED);     /* key */
	assert_int_equal(check_body_hex("81a16ba1e2", NULL), LB_EMALFORMED);     /* truncated */
}

static void check_body_refuses_trailing_bytes(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(check_body_hex("8000", &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "trailing"));
	assert_int_equal(check_body_hex("81a16101c0", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("8080", NULL), LB_EMALFORMED);
}

static void check_body_refuses_non_maps(void **state)
{
	struct lb_diag d = {0};
	static const char *bad[] = {"90", "9101", "01", "c0", "a16b", "c400", "cb3ff8000000000000",
	                            "dc0000", "ff"};
	(void)state;
	assert_int_equal(lb_mp_check_body("", 0, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "not a map"));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (check_body_hex(bad[i], NULL) != LB_EMALFORMED)
			fail_msg("body %s was accepted", bad[i]);
}

static void check_body_refuses_non_canonical_values_inside(void **state)
{
	(void)state;
	assert_int_equal(check_body_hex("81a16bcc05", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("81a16bca3fc00000", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("81a16bd0ff", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("81a16bd9016b", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("81a16bd40100", NULL), LB_EMALFORMED); /* ext */
	assert_int_equal(check_body_hex("de0001a16b01", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("df00000001a16b01", NULL), LB_EMALFORMED);
}

static void check_body_fails_on_truncated_body_with_and_without_diag(void **state)
{
	struct lb_diag d = {0};
	(void)state;
	/* {"a": "xyz"} cut short: the string runs past the end */
	assert_int_equal(check_body_hex("81a161a378", &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "record body"));
	assert_int_equal(check_body_hex("81a161a378", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("82a16101", NULL), LB_EMALFORMED);
	assert_int_equal(check_body_hex("dfffffffff", NULL), LB_EMALFORMED);
}

static void check_body_depth_limit_matches_skip(void **state)
{
	/* {"a": [[...[]...]]}: the map is level 1, so 15 arrays fit. */
	uint8_t b[3 + LB_MP_MAX_DEPTH];
	(void)state;
	b[0] = 0x81;
	b[1] = 0xa1;
	b[2] = 'a';
	memset(b + 3, 0x91, LB_MP_MAX_DEPTH - 1);
	b[3 + LB_MP_MAX_DEPTH - 2] = 0x90;
	assert_int_equal(lb_mp_check_body(b, 3 + LB_MP_MAX_DEPTH - 1, NULL), LB_OK);
	memset(b + 3, 0x91, LB_MP_MAX_DEPTH);
	b[3 + LB_MP_MAX_DEPTH - 1] = 0x90;
	assert_int_equal(lb_mp_check_body(b, 3 + LB_MP_MAX_DEPTH, NULL), LB_EMALFORMED);
}

/* ---- writer -------------------------------------------------------------- */

static void put_uint_writes_the_smallest_form(void **state)
{
	static const struct {
		uint64_t v;
		const char *hex;
	} t[] = {
		{0, "00"},
		{1, "01"},
		{127, "7f"},
		{128, "cc80"},
		{255, "ccff"},
		{256, "cd0100"},
		{65535, "cdffff"},
		{65536, "ce00010000"},
		{4294967295u, "ceffffffff"},
		{4294967296ULL, "cf0000000100000000"},
		{UINT64_MAX, "cfffffffffffffffff"},
	};
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		lb_mp_buf_reset(&b);
		lb_mp_put_uint(&b, t[i].v);
		assert_wrote(&b, t[i].hex);
	}
	lb_mp_buf_free(&b);
}

static void put_int_writes_the_smallest_form_and_unsigned_for_non_negative(void **state)
{
	static const struct {
		int64_t v;
		const char *hex;
	} t[] = {
		{0, "00"},
		{5, "05"},
		{127, "7f"},
		{200, "ccc8"},
		{65535, "cdffff"},
		{INT64_MAX, "cf7fffffffffffffff"},
		{-1, "ff"},
		{-32, "e0"},
		{-33, "d0df"},
		{-128, "d080"},
		{-129, "d1ff7f"},
		{-32768, "d18000"},
		{-32769, "d2ffff7fff"},
		{INT32_MIN, "d280000000"},
		{(int64_t)INT32_MIN - 1, "d3ffffffff7fffffff"},
		{INT64_MIN, "d38000000000000000"},
	};
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		lb_mp_buf_reset(&b);
		lb_mp_put_int(&b, t[i].v);
		assert_wrote(&b, t[i].hex);
	}
	lb_mp_buf_free(&b);
}

static void put_bool_nil_write_fixed_forms(void **state)
{
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	lb_mp_put_bool(&b, true);
	lb_mp_put_bool(&b, false);
	lb_mp_put_nil(&b);
	assert_wrote(&b, "c3c2c0");
	lb_mp_buf_free(&b);
}

static void put_str_and_bin_write_the_smallest_header(void **state)
{
	static const struct {
		size_t len;
		const char *hdr;
	} s[] = {{0, "a0"},    {1, "a1"},      {31, "bf"},     {32, "d920"},
	         {255, "d9ff"}, {256, "da0100"}, {65535, "daffff"}, {65536, "db00010000"}},
	  bin[] = {{0, "c400"},      {1, "c401"},       {255, "c4ff"},
	           {256, "c50100"}, {65535, "c5ffff"}, {65536, "c600010000"}};
	struct lb_mp_buf b;
	char *payload = malloc(65536);
	char hex[16];
	(void)state;
	assert_non_null(payload);
	memset(payload, 'q', 65536);
	lb_mp_buf_init(&b);
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		size_t hl = strlen(s[i].hdr) / 2;
		lb_mp_buf_reset(&b);
		lb_mp_put_str(&b, payload, s[i].len);
		assert_false(b.oom);
		assert_int_equal(b.sb.size, hl + s[i].len);
		sodium_bin2hex(hex, sizeof hex, (const unsigned char *)b.sb.data, hl);
		if (strcmp(hex, s[i].hdr) != 0)
			fail_msg("str of %zu bytes: header %s, want %s", s[i].len, hex, s[i].hdr);
		assert_memory_equal(b.sb.data + hl, payload, s[i].len);
	}
	for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++) {
		size_t hl = strlen(bin[i].hdr) / 2;
		lb_mp_buf_reset(&b);
		lb_mp_put_bin(&b, payload, bin[i].len);
		assert_int_equal(b.sb.size, hl + bin[i].len);
		sodium_bin2hex(hex, sizeof hex, (const unsigned char *)b.sb.data, hl);
		if (strcmp(hex, bin[i].hdr) != 0)
			fail_msg("bin of %zu bytes: header %s, want %s", bin[i].len, hex, bin[i].hdr);
	}
	lb_mp_buf_reset(&b);
	lb_mp_put_cstr(&b, "desa");
	assert_wrote(&b, "a464657361");
	lb_mp_buf_free(&b);
	free(payload);
}

static void put_array_and_map_write_the_smallest_header(void **state)
{
	static const struct {
		uint32_t n;
		const char *arr, *map;
	} t[] = {
		{0, "90", "80"},
		{15, "9f", "8f"},
		{16, "dc0010", "de0010"},
		{65535, "dcffff", "deffff"},
		{65536, "dd00010000", "df00010000"},
		{UINT32_MAX, "ddffffffff", "dfffffffff"},
	};
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		lb_mp_buf_reset(&b);
		lb_mp_put_array(&b, t[i].n);
		assert_wrote(&b, t[i].arr);
		lb_mp_buf_reset(&b);
		lb_mp_put_map(&b, t[i].n);
		assert_wrote(&b, t[i].map);
	}
	lb_mp_buf_free(&b);
}

static void put_raw_appends_verbatim_and_reset_empties_the_buffer(void **state)
{
	struct lb_mp_buf b;
	(void)state;
	lb_mp_buf_init(&b);
	lb_mp_put_array(&b, 2);
	lb_mp_put_raw(&b, "\x81\xa1k\x01", 4);
	lb_mp_put_raw(&b, "", 0);
	lb_mp_put_uint(&b, 7);
	assert_wrote(&b, "9281a16b0107");
	lb_mp_buf_reset(&b);
	assert_int_equal(b.sb.size, 0);
	lb_mp_put_nil(&b);
	assert_wrote(&b, "c0");
	lb_mp_buf_free(&b);
}

static void writer_output_reads_back_as_canonical(void **state)
{
	/* Values written by the writer pass the canonical checker and decode to
	 * what was written: the writer and reader agree on canonical form. */
	static const int64_t ints[] = {0, 1, 127, 128, 255, 256, 65535, 65536, -1, -32, -33,
	                               -128, -129, -32768, -32769, INT32_MIN, INT64_MIN, INT64_MAX};
	struct lb_mp_buf b;
	struct lb_mp_rd r;
	struct lb_mp_obj o;
	(void)state;
	lb_mp_buf_init(&b);
	for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		lb_mp_buf_reset(&b);
		lb_mp_put_int(&b, ints[i]);
		lb_mp_rd_init(&r, b.sb.data, b.sb.size);
		assert_int_equal(lb_mp_next(&r, &o, NULL), LB_OK);
		assert_true(o.canonical);
		if (ints[i] < 0)
			assert_true(o.v.i == ints[i]);
		else
			assert_true(o.v.u == (uint64_t)ints[i]);
		assert_int_equal(lb_mp_rd_left(&r), 0);
	}
	lb_mp_buf_reset(&b);
	lb_mp_put_map(&b, 3);
	lb_mp_put_cstr(&b, "anggaran");
	lb_mp_put_uint(&b, 150000000);
	lb_mp_put_cstr(&b, "bidang");
	lb_mp_put_cstr(&b, "kesehatan");
	lb_mp_put_cstr(&b, "target");
	lb_mp_put_array(&b, 2);
	lb_mp_put_bool(&b, true);
	lb_mp_put_int(&b, -7);
	assert_false(b.oom);
	assert_int_equal(lb_mp_check_body(b.sb.data, b.sb.size, NULL), LB_OK);
	lb_mp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(next_decodes_every_type_byte_to_its_kind_or_refuses_ext),
		cmocka_unit_test(next_decodes_fixint_nil_and_bool_values),
		cmocka_unit_test(next_marks_unsigned_ints_canonical_only_in_smallest_form),
		cmocka_unit_test(next_marks_signed_ints_canonical_only_in_smallest_form),
		cmocka_unit_test(next_decodes_floats_but_never_as_canonical),
		cmocka_unit_test(canonical_skip_refuses_a_float_and_says_so),
		cmocka_unit_test(skip_within_gives_inner_values_their_own_16_levels),
		cmocka_unit_test(canonical_skip_names_a_nul),
		cmocka_unit_test(next_reads_strings_and_marks_oversized_headers),
		cmocka_unit_test(next_reads_bins_and_marks_oversized_headers),
		cmocka_unit_test(next_reads_container_headers_and_marks_oversized_ones),
		cmocka_unit_test(next_refuses_ext_types_and_the_reserved_byte),
		cmocka_unit_test(next_refuses_empty_input),
		cmocka_unit_test(next_refuses_array32_of_4_billion_in_5_bytes),
		cmocka_unit_test(next_refuses_counts_the_remaining_bytes_cannot_hold),
		cmocka_unit_test(next_refuses_truncated_strings_and_bins),
		cmocka_unit_test(next_refuses_truncated_numbers),
		cmocka_unit_test(read_uint_returns_canonical_values_and_refuses_others),
		cmocka_unit_test(read_wrappers_fail_on_truncated_input_with_and_without_diag),
		cmocka_unit_test(read_str_refuses_non_canonical_and_non_string),
		cmocka_unit_test(read_binn_requires_the_exact_length),
		cmocka_unit_test(read_array_requires_the_exact_count_in_canonical_form),
		cmocka_unit_test(skip_accepts_16_nested_arrays_and_refuses_17),
		cmocka_unit_test(skip_refuses_a_megabyte_of_nesting_at_the_depth_limit),
		cmocka_unit_test(skip_consumes_exactly_one_complete_value),
		cmocka_unit_test(skip_checks_canonical_form_only_when_asked),
		cmocka_unit_test(check_body_accepts_canonical_maps),
		cmocka_unit_test(check_body_accepts_map16_only_from_16_pairs),
		cmocka_unit_test(check_body_refuses_unsorted_keys),
		cmocka_unit_test(check_body_escapes_the_key_it_names),
		cmocka_unit_test(check_body_refuses_duplicate_keys),
		cmocka_unit_test(check_body_refuses_non_string_keys),
		cmocka_unit_test(check_body_refuses_invalid_utf8_strings),
		cmocka_unit_test(check_body_refuses_trailing_bytes),
		cmocka_unit_test(check_body_refuses_non_maps),
		cmocka_unit_test(check_body_refuses_non_canonical_values_inside),
		cmocka_unit_test(check_body_fails_on_truncated_body_with_and_without_diag),
		cmocka_unit_test(check_body_depth_limit_matches_skip),
		cmocka_unit_test(put_uint_writes_the_smallest_form),
		cmocka_unit_test(put_int_writes_the_smallest_form_and_unsigned_for_non_negative),
		cmocka_unit_test(put_bool_nil_write_fixed_forms),
		cmocka_unit_test(put_str_and_bin_write_the_smallest_header),
		cmocka_unit_test(put_array_and_map_write_the_smallest_header),
		cmocka_unit_test(put_raw_appends_verbatim_and_reset_empties_the_buffer),
		cmocka_unit_test(writer_output_reads_back_as_canonical),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
