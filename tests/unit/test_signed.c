/*
 * test_signed.c — unit tests for node/signed.h, the one signer and opener
 * of signed messages (signature || [tag, version, fields...]).
 *
 * The messages are written here byte by byte and signed with libsodium
 * directly, so the known answers do not come from the code under test.
 * The kind under test is a made-up one, [ "lumbung-test", 3, uint, str ]:
 * nothing in the module may depend on heads or receipts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/signed.h"

static const struct lb_signed_kind kind = {"lumbung-test", 3, 4, "test message"};

/* The good message: [ "lumbung-test", 3, 7, "x" ]. */
static const uint8_t good[] = {0x94, 0xac, 'l', 'u', 'm', 'b', 'u', 'n', 'g', '-',
                               't',  'e',  's', 't', 0x03, 0x07, 0xa1, 'x'};

struct msg {
	uint8_t b[LB_SIG_BYTES + 256];
	size_t n;
};

static void fixed_key(struct lb_key *k, uint8_t seedbyte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	memset(seed, seedbyte, sizeof seed);
	assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

/* signature (libsodium, not lb_sign) || m */
static struct msg sign_raw(const void *m, size_t n, const struct lb_key *k)
{
	struct msg s;
	assert_true(n <= sizeof s.b - LB_SIG_BYTES);
	memcpy(s.b + LB_SIG_BYTES, m, n);
	assert_int_equal(crypto_sign_detached(s.b, NULL, m, n, k->sk), 0);
	s.n = LB_SIG_BYTES + n;
	return s;
}

/* Open s and read the two fields; returns the first error. */
static lb_err open_read(const struct msg *s, struct lb_signed *m, struct lb_diag *d)
{
	const uint8_t *str;
	uint32_t len;
	uint64_t u;
	lb_err e;

	if ((e = lb_signed_open(m, &kind, s->b, s->n, d)) ||
	    (e = lb_mp_read_uint(&m->rd, &u, "number", d)) ||
	    (e = lb_mp_read_str(&m->rd, &str, &len, "letter", d)))
		return e;
	assert_int_equal(u, 7);
	assert_int_equal(len, 1);
	assert_int_equal(str[0], 'x');
	return LB_OK;
}

static void expect_msg(const struct lb_diag *d, const char *want)
{
	if (!strstr(d->msg, want))
		fail_msg("the message \"%s\" does not say \"%s\"", d->msg, want);
}

/* ---- signing --------------------------------------------------------------- */

static void sign_writes_signature_then_the_message(void **state)
{
	struct lb_key k;
	struct lb_mp_buf b;
	size_t at;
	(void)state;
	fixed_key(&k, 1);
	lb_mp_buf_init(&b);
	lb_mp_put_raw(&b, "before", 6); /* appends after what is there */
	at = lb_signed_begin(&b, &kind);
	assert_int_equal(at, 6);
	lb_mp_put_uint(&b, 7);
	lb_mp_put_cstr(&b, "x");
	assert_int_equal(lb_signed_end(&b, at, &k), LB_OK);
	assert_int_equal(b.sb.size, 6 + LB_SIG_BYTES + sizeof good);
	assert_memory_equal(b.sb.data, "before", 6);
	assert_memory_equal(b.sb.data + 6 + LB_SIG_BYTES, good, sizeof good);
	assert_int_equal(crypto_sign_verify_detached((const uint8_t *)b.sb.data + 6, good,
	                                             sizeof good, k.pk),
	                 0);
	lb_mp_buf_free(&b);
}

static void sign_reports_a_buffer_out_of_memory(void **state)
{
	struct lb_key k;
	struct lb_mp_buf b;
	size_t at;
	(void)state;
	fixed_key(&k, 1);
	lb_mp_buf_init(&b);
	at = lb_signed_begin(&b, &kind);
	lb_mp_put_uint(&b, 7);
	b.oom = true; /* as a failed write leaves it */
	assert_int_equal(lb_signed_end(&b, at, &k), LB_ENOMEM);
	lb_mp_buf_free(&b);
}

/* ---- opening --------------------------------------------------------------- */

static void open_gives_the_fields_and_the_signed_bytes(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 2);
	s = sign_raw(good, sizeof good, &k);
	if (open_read(&s, &m, &d))
		fail_msg("open: %s", d.msg);
	assert_ptr_equal(m.sig, s.b);
	assert_ptr_equal(m.msg, s.b + LB_SIG_BYTES);
	assert_int_equal(m.msg_len, sizeof good);
	assert_int_equal(lb_mp_rd_left(&m.rd), 0);
	assert_int_equal(lb_signed_check(&m, k.pk, NULL, NULL, &d), LB_OK);
	assert_int_equal(lb_signed_check(&m, k.pk, k.pk, NULL, &d), LB_OK);
	assert_int_equal(lb_signed_check(&m, k.pk, NULL, "the test key", NULL), LB_OK);
}

static void open_refuses_a_wrong_tag(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	struct lb_diag d = {0};
	/* same length, validly signed: "lumbung-head" */
	uint8_t other[sizeof good];
	static const uint8_t odd[] = {0x94, 0xa3, 'a', '"', 0x01, 0x03, 0x07, 0xa1, 'x'};
	(void)state;
	fixed_key(&k, 3);
	memcpy(other, good, sizeof good);
	memcpy(other + 2, "lumbung-head", 12);
	s = sign_raw(other, sizeof other, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	assert_int_equal(d.code, LB_EMALFORMED);
	expect_msg(&d, "test message: the tag is \"lumbung-head\", expected \"lumbung-test\"");
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, NULL), LB_EMALFORMED);
	/* a tag's bytes are the peer's: escaped */
	s = sign_raw(odd, sizeof odd, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	assert_null(strchr(d.msg, '\x01'));
	expect_msg(&d, "the tag is \"a\\\"\\x01\"");
	/* a tag that is no string */
	other[1] = 0x07;
	s = sign_raw(other, sizeof other, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: tag: expected a canonical string");
}

static void open_refuses_a_wrong_version(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	struct lb_diag d = {0};
	uint8_t v[sizeof good];
	(void)state;
	fixed_key(&k, 4);
	memcpy(v, good, sizeof good);
	v[14] = 0x02;
	s = sign_raw(v, sizeof v, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: version 2, expected 3");
	v[14] = 0xa1; /* a string where the version goes */
	s = sign_raw(v, sizeof v, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: version: expected a canonical unsigned integer");
}

static void open_refuses_a_wrong_count(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	struct lb_diag d = {0};
	uint8_t v[sizeof good + 1];
	(void)state;
	fixed_key(&k, 5);
	/* five elements: one more field */
	memcpy(v, good, sizeof good);
	v[0] = 0x95;
	v[sizeof good] = 0xc0;
	s = sign_raw(v, sizeof v, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: an array of 5 elements, expected 4");
	/* three: one field less */
	v[0] = 0x93;
	s = sign_raw(v, sizeof good - 2, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: an array of 3 elements, expected 4");
	/* one: not even a version */
	v[0] = 0x91;
	s = sign_raw(v, 14, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: an array of 1 elements, expected 4");
	/* no array at all */
	v[0] = 0x84; /* a map */
	s = sign_raw(v, sizeof good, &k);
	assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: expected an array of 4 elements");
	/* an array header not in its smallest form */
	{
		uint8_t w[sizeof good + 2] = {0xdc, 0x00, 0x04};
		memcpy(w + 3, good + 1, sizeof good - 1);
		s = sign_raw(w, sizeof w, &k);
		assert_int_equal(lb_signed_open(&m, &kind, s.b, s.n, &d), LB_EMALFORMED);
		expect_msg(&d, "test message: expected an array of 4 elements");
	}
}

static void open_refuses_a_short_buffer(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	(void)state;
	fixed_key(&k, 6);
	s = sign_raw(good, sizeof good, &k);
	/* no room for a signature and one byte of message */
	for (size_t n = 0; n <= LB_SIG_BYTES; n++) {
		struct lb_diag d = {0};
		char want[64];
		assert_int_equal(lb_signed_open(&m, &kind, s.b, n, &d), LB_EMALFORMED);
		snprintf(want, sizeof want, "test message: %zu bytes is too short", n);
		expect_msg(&d, want);
	}
	/* every cut inside the message: refused at the open or at a field */
	for (size_t n = LB_SIG_BYTES + 1; n < s.n; n++) {
		struct msg t = s;
		struct lb_diag d = {0};
		t.n = n;
		if (open_read(&t, &m, &d) != LB_EMALFORMED)
			fail_msg("a message cut to %zu bytes was read", n - LB_SIG_BYTES);
		assert_true(d.msg[0] != '\0');
	}
}

static void check_refuses_trailing_bytes(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	struct lb_diag d = {0};
	uint8_t v[sizeof good + 2];
	(void)state;
	fixed_key(&k, 7);
	memcpy(v, good, sizeof good);
	v[sizeof good] = 0xc0;
	v[sizeof good + 1] = 0xc0;
	s = sign_raw(v, sizeof v, &k); /* signed with them: only the shape is wrong */
	assert_int_equal(open_read(&s, &m, &d), LB_OK);
	assert_int_equal(lb_signed_check(&m, k.pk, NULL, NULL, &d), LB_EMALFORMED);
	expect_msg(&d, "test message: 2 trailing bytes after its 4 fields");
	/* before the key and the signature */
	{
		static const uint8_t nobody[LB_PK_BYTES];
		assert_int_equal(lb_signed_check(&m, k.pk, nobody, NULL, &d), LB_EMALFORMED);
	}
}

static void check_refuses_any_flipped_bit_of_the_signature(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	(void)state;
	fixed_key(&k, 8);
	s = sign_raw(good, sizeof good, &k);
	for (size_t bit = 0; bit < 8 * LB_SIG_BYTES; bit++) {
		struct msg t = s;
		struct lb_diag d = {0};
		t.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(open_read(&t, &m, &d), LB_OK); /* the shape is intact */
		if (lb_signed_check(&m, k.pk, NULL, NULL, &d) != LB_ESIG)
			fail_msg("signature bit %zu flipped: accepted", bit);
		expect_msg(&d, "test message: signature does not verify");
		assert_int_equal(lb_signed_check(&m, k.pk, k.pk, NULL, NULL), LB_ESIG);
	}
}

static void check_refuses_any_flipped_bit_of_the_message(void **state)
{
	struct lb_key k;
	struct msg s;
	struct lb_signed m;
	size_t checked = 0;
	(void)state;
	fixed_key(&k, 9);
	s = sign_raw(good, sizeof good, &k);
	for (size_t bit = 8 * LB_SIG_BYTES; bit < 8 * s.n; bit++) {
		struct msg t = s;
		struct lb_diag d = {0};
		lb_err e;
		t.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		/* open, take the two fields whatever they became, check */
		if (!(e = lb_signed_open(&m, &kind, t.b, t.n, &d)) &&
		    !(e = lb_mp_skip(&m.rd, true, &d)) && !(e = lb_mp_skip(&m.rd, true, &d))) {
			checked++;
			e = lb_signed_check(&m, k.pk, NULL, NULL, &d);
			if (e != LB_ESIG && e != LB_EMALFORMED)
				fail_msg("message bit %zu flipped: check gave %d", bit, e);
			if (e == LB_ESIG)
				expect_msg(&d, "test message: signature does not verify");
		} else if (e != LB_EMALFORMED)
			fail_msg("message bit %zu flipped: open gave %d", bit, e);
		assert_true(d.msg[0] != '\0');
	}
	/* the flips that keep the shape (at least the bits of 7 and "x")
	 * reached the signature */
	assert_true(checked >= 8);
}

static void check_reports_a_wrong_key_before_the_signature(void **state)
{
	struct lb_key k, other;
	struct msg s;
	struct lb_signed m;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 10);
	fixed_key(&other, 11);
	s = sign_raw(good, sizeof good, &k);
	assert_int_equal(open_read(&s, &m, &d), LB_OK);
	/* a message naming another key than the expected one: the key's fault */
	assert_int_equal(lb_signed_check(&m, k.pk, other.pk, NULL, &d), LB_ESIG);
	expect_msg(&d, "test message is signed by a different key");
	/* the named key is expected, but did not sign: the signature's fault */
	assert_int_equal(lb_signed_check(&m, other.pk, other.pk, NULL, &d), LB_ESIG);
	expect_msg(&d, "test message: signature does not verify");
	/* a known key that did not sign, said in the caller's words */
	assert_int_equal(lb_signed_check(&m, other.pk, NULL, "the other key", &d), LB_ESIG);
	expect_msg(&d, "test message is not signed by the other key");
	/* the caller's name for the message */
	lb_signed_name(&m, "test message number %d", 7);
	assert_int_equal(lb_signed_check(&m, k.pk, other.pk, NULL, &d), LB_ESIG);
	expect_msg(&d, "test message number 7 is signed by a different key");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sign_writes_signature_then_the_message),
		cmocka_unit_test(sign_reports_a_buffer_out_of_memory),
		cmocka_unit_test(open_gives_the_fields_and_the_signed_bytes),
		cmocka_unit_test(open_refuses_a_wrong_tag),
		cmocka_unit_test(open_refuses_a_wrong_version),
		cmocka_unit_test(open_refuses_a_wrong_count),
		cmocka_unit_test(open_refuses_a_short_buffer),
		cmocka_unit_test(check_refuses_trailing_bytes),
		cmocka_unit_test(check_refuses_any_flipped_bit_of_the_signature),
		cmocka_unit_test(check_refuses_any_flipped_bit_of_the_message),
		cmocka_unit_test(check_reports_a_wrong_key_before_the_signature),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
