/*
 * test_rstamp.c — unit tests for node/rstamp.h, the report stamp.
 *
 * The expected line and the signed message are written out here from
 * docs/FORMAT.md "Report stamps", and signatures are checked with
 * libsodium directly, so the stamp code never checks itself.  Every field
 * of a genuine stamp, changed, must make it fail; every malformed line must
 * be refused with a message naming what is wrong.
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

#include "../../node/rstamp.h"

static struct lb_key key, other;

/* A stamp with fixed fields: hash bytes 0x11.., digest of "{}\n". */
static void sample(struct lb_rstamp *st)
{
	memset(st, 0, sizeof *st);
	strcpy(st->village, "35.07.12.2005");
	strcpy(st->name, "penduduk");
	strcpy(st->params, "per=2026-11-30");
	st->seq = 447;
	for (int i = 0; i < LB_HASH_BYTES; i++)
		st->hash[i] = (uint8_t)(0x11 * (i % 15 + 1));
	crypto_generichash(st->digest, LB_HASH_BYTES, (const unsigned char *)"{}\n", 3, NULL, 0);
}

static void hex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* The line as the format says, written without rstamp.c. */
static void expected_body(const struct lb_rstamp *st, char *out, size_t n)
{
	char h[65], g[65];
	hex(h, st->hash, 32);
	hex(g, st->digest, 32);
	snprintf(out, n, "LBR1 %s %s %s %llu %s %s", st->village, st->name, st->params,
	         (unsigned long long)st->seq, h, g);
}

static void genuine(char line[LB_RSTAMP_MAX])
{
	struct lb_rstamp st;
	struct lb_diag d = {0};
	sample(&st);
	assert_int_equal(lb_rstamp_sign(&st, &key, &d), LB_OK);
	assert_int_equal(lb_rstamp_format(&st, line, &d), LB_OK);
}

static int setup(void **state)
{
	uint8_t seed[32];
	(void)state;
	if (sodium_init() < 0)
		return -1;
	memset(seed, 7, sizeof seed);
	crypto_sign_seed_keypair(key.pk, key.sk, seed);
	memset(seed, 8, sizeof seed);
	crypto_sign_seed_keypair(other.pk, other.sk, seed);
	return 0;
}

static void test_digest_known_answer(void **state)
{
	/* BLAKE2b-256 of the empty string and of "abc" (RFC 7693 test vectors'
	 * 256-bit variants, as published with the BLAKE2 reference code) */
	static const char *empty = "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8";
	static const char *abc = "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
	uint8_t out[LB_HASH_BYTES];
	char h[65];
	(void)state;
	lb_rstamp_digest(out, "", 0);
	hex(h, out, 32);
	assert_string_equal(h, empty);
	lb_rstamp_digest(out, "abc", 3);
	hex(h, out, 32);
	assert_string_equal(h, abc);
}

static void test_make_is_the_documented_line(void **state)
{
	struct lb_rstamp st;
	struct lb_diag d = {0};
	char line[LB_RSTAMP_MAX], want[LB_RSTAMP_MAX], msg[LB_RSTAMP_MAX + 64], s[129];
	(void)state;
	sample(&st);
	assert_int_equal(lb_rstamp_sign(&st, &key, &d), LB_OK);
	assert_int_equal(lb_rstamp_format(&st, line, &d), LB_OK);
	expected_body(&st, want, sizeof want);
	/* the signature: Ed25519 over the prefix and the line before " SIG" */
	snprintf(msg, sizeof msg, "lumbung-report-stamp 1\n%s", want);
	assert_int_equal(crypto_sign_verify_detached(st.sig, (const unsigned char *)msg, strlen(msg),
	                                             key.pk), 0);
	hex(s, st.sig, 64);
	strcat(want, " ");
	strcat(want, s);
	assert_string_equal(line, want);
	assert_int_equal(strlen(line), 4 + 1 + 13 + 1 + 8 + 1 + 14 + 1 + 3 + 1 + 64 + 1 + 64 + 1 + 128);
	/* and it is printable ASCII, one line */
	for (const char *p = line; *p; p++)
		assert_true(*p >= 0x20 && *p <= 0x7e);
}

static void test_parse_round_trip_and_verify(void **state)
{
	struct lb_rstamp st, want;
	struct lb_diag d = {0};
	char line[LB_RSTAMP_MAX], padded[LB_RSTAMP_MAX + 8];
	(void)state;
	genuine(line);
	sample(&want);
	assert_int_equal(lb_rstamp_parse(&st, line, &d), LB_OK);
	assert_string_equal(st.village, want.village);
	assert_string_equal(st.name, want.name);
	assert_string_equal(st.params, want.params);
	assert_true(st.seq == 447);
	assert_memory_equal(st.hash, want.hash, 32);
	assert_memory_equal(st.digest, want.digest, 32);
	assert_int_equal(lb_rstamp_verify(&st, key.pk, &d), LB_OK);
	/* as a scanner or a file gives it: blanks around, a newline */
	snprintf(padded, sizeof padded, "  %s\r\n", line);
	assert_int_equal(lb_rstamp_parse(&st, padded, &d), LB_OK);
	assert_int_equal(lb_rstamp_verify(&st, key.pk, &d), LB_OK);
	/* another key: refused */
	assert_int_equal(lb_rstamp_verify(&st, other.pk, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "signature"));
}

/* Replace field i (0-based) of line by v; the result must still parse,
 * and must not verify. */
static void forged(const char *line, int field, const char *v)
{
	char out[LB_RSTAMP_MAX + 64], copy[LB_RSTAMP_MAX];
	char *f[8], *save = NULL;
	struct lb_rstamp st;
	struct lb_diag d = {0};
	int i = 0;

	strcpy(copy, line);
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
		f[i++] = t;
	assert_int_equal(i, 8);
	assert_string_not_equal(f[field], v);
	f[field] = (char *)v;
	snprintf(out, sizeof out, "%s %s %s %s %s %s %s %s", f[0], f[1], f[2], f[3], f[4], f[5], f[6],
	         f[7]);
	assert_int_equal(lb_rstamp_parse(&st, out, &d), LB_OK);
	d.msg[0] = 0;
	assert_int_equal(lb_rstamp_verify(&st, key.pk, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "does not verify"));
}

static void test_each_forged_field_refused(void **state)
{
	char line[LB_RSTAMP_MAX], h[65], s[129];
	struct lb_rstamp st;
	(void)state;
	genuine(line);
	sample(&st);
	/* village, name, params, seq */
	forged(line, 1, "35.07.12.2006");
	forged(line, 2, "ringkasan");
	forged(line, 3, "per=2026-11-29");
	forged(line, 3, "-");
	forged(line, 3, "month=2026-11");
	forged(line, 4, "448");
	forged(line, 4, "446");
	/* hash: one bit of it */
	st.hash[31] ^= 1;
	hex(h, st.hash, 32);
	forged(line, 5, h);
	/* digest: the report's figures changed (one byte of the JSON) */
	crypto_generichash(st.digest, LB_HASH_BYTES, (const unsigned char *)"{}\r", 3, NULL, 0);
	hex(h, st.digest, 32);
	forged(line, 6, h);
	/* signature: one bit, and another stamp's */
	{
		struct lb_rstamp p;
		struct lb_diag d = {0};
		assert_int_equal(lb_rstamp_parse(&p, line, &d), LB_OK);
		p.sig[0] ^= 0x80;
		hex(s, p.sig, 64);
		forged(line, 7, s);
		sample(&p);
		p.seq = 448;
		assert_int_equal(lb_rstamp_sign(&p, &key, &d), LB_OK);
		hex(s, p.sig, 64);
		forged(line, 7, s);
	}
}

/* line must be refused as malformed, the message naming `names`. */
static void malformed(const char *line, const char *names)
{
	struct lb_rstamp st;
	struct lb_diag d = {0};
	assert_int_equal(lb_rstamp_parse(&st, line, &d), LB_EMALFORMED);
	if (!strstr(d.msg, names)) {
		print_error("\"%s\": message \"%s\" does not name \"%s\"\n", line, d.msg, names);
		fail();
	}
}

static void test_malformed_lines_named(void **state)
{
	char line[LB_RSTAMP_MAX], b[LB_RSTAMP_MAX * 2];
	const char *sig, *tail;
	(void)state;
	genuine(line);
	sig = strrchr(line, ' ') + 1;
	tail = strstr(line, " 447 "); /* " SEQ HASH DIGEST SIG" */
	assert_non_null(tail);

	malformed("", "empty");
	malformed(" \n", "empty");
	malformed("hello world", "not a report stamp");
	snprintf(b, sizeof b, "LBR2%s", line + 4);
	malformed(b, "LBR2");
	/* field counts */
	snprintf(b, sizeof b, "%.*s", (int)(sig - line - 1), line);
	malformed(b, "7 fields");
	snprintf(b, sizeof b, "%s extra", line);
	malformed(b, "9 fields");
	snprintf(b, sizeof b, "LBR1  35.07.12.2005 penduduk per=2026-11-30%s", tail);
	malformed(b, "9 fields");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk  %s", tail + 1);
	malformed(b, "PARAMS");
	/* each field */
	snprintf(b, sizeof b, "LBR1 35.07.12 penduduk per=2026-11-30%s", tail);
	malformed(b, "VILLAGE");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 Penduduk per=2026-11-30%s", tail);
	malformed(b, "NAME");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk per=2026-02-30%s", tail);
	malformed(b, "PARAMS");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk month=2026-13%s", tail);
	malformed(b, "PARAMS");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk bulan=2026-11%s", tail);
	malformed(b, "PARAMS");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk per=2026-11-30 0%s", tail + 4);
	malformed(b, "SEQ");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk per=2026-11-30 0447%s", tail + 4);
	malformed(b, "SEQ");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk per=2026-11-30 18446744073709551616%s",
	         tail + 4);
	malformed(b, "SEQ");
	snprintf(b, sizeof b, "LBR1 35.07.12.2005 penduduk per=2026-11-30 -1%s", tail + 4);
	malformed(b, "SEQ");
	/* hex: uppercase, short, long */
	strcpy(b, line);
	b[tail - line + 5] = 'A';
	malformed(b, "HASH");
	strcpy(b, line);
	memmove(b + (tail - line) + 5, b + (tail - line) + 6, strlen(b + (tail - line) + 6) + 1);
	malformed(b, "HASH");
	strcpy(b, line);
	b[tail - line + 5 + 65] = 'g';
	malformed(b, "DIGEST");
	snprintf(b, sizeof b, "%s0", line);
	malformed(b, "SIG");
	strcpy(b, line);
	b[strlen(b) - 1] = 0;
	malformed(b, "SIG");
	/* bytes a stamp never holds */
	strcpy(b, line);
	b[10] = '\t';
	malformed(b, "byte 11");
	strcpy(b, line);
	b[20] = (char)0xc3;
	malformed(b, "byte 21");
	memset(b, 'a', LB_RSTAMP_MAX);
	b[LB_RSTAMP_MAX] = 0;
	malformed(b, "longer");
}

static void test_make_refuses_what_cannot_be_written(void **state)
{
	struct lb_rstamp st;
	struct lb_diag d = {0};
	char line[LB_RSTAMP_MAX];
	(void)state;
	sample(&st);
	strcpy(st.village, "35.07");
	assert_int_equal(lb_rstamp_sign(&st, &key, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "village"));
	sample(&st);
	strcpy(st.name, "two words");
	assert_int_equal(lb_rstamp_format(&st, line, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "name"));
	sample(&st);
	strcpy(st.params, "per=2026-1-30");
	assert_int_equal(lb_rstamp_sign(&st, &key, &d), LB_EINVAL);
	sample(&st);
	st.seq = 0;
	assert_int_equal(lb_rstamp_sign(&st, &key, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "seq"));
}

static void test_params(void **state)
{
	struct lb_rstamp st;
	struct lb_diag d = {0};
	int py, pm, pd, my, mm;
	(void)state;
	sample(&st);
	assert_int_equal(lb_rstamp_set_params(&st, 2026, 11, 30, 2026, 10, &d), LB_OK);
	assert_string_equal(st.params, "month=2026-10");
	lb_rstamp_get_params(&st, &py, &pm, &pd, &my, &mm);
	assert_true(py == 0 && pm == 0 && pd == 0 && my == 2026 && mm == 10);
	assert_int_equal(lb_rstamp_set_params(&st, 2024, 2, 29, 0, 0, &d), LB_OK);
	assert_string_equal(st.params, "per=2024-02-29");
	lb_rstamp_get_params(&st, &py, &pm, &pd, &my, &mm);
	assert_true(py == 2024 && pm == 2 && pd == 29 && my == 0 && mm == 0);
	assert_int_equal(lb_rstamp_set_params(&st, 0, 0, 0, 0, 0, &d), LB_OK);
	assert_string_equal(st.params, "-");
	lb_rstamp_get_params(&st, &py, &pm, &pd, &my, &mm);
	assert_true(py == 0 && my == 0);
	assert_int_equal(lb_rstamp_set_params(&st, 2025, 2, 29, 0, 0, &d), LB_EINVAL);
	assert_string_equal(st.params, "-"); /* unchanged */
}

static void test_short_form(void **state)
{
	struct lb_rstamp st;
	struct lb_diag d = {0};
	char s[256], h[65], g[65], sg[129], want[256];
	(void)state;
	sample(&st);
	assert_int_equal(lb_rstamp_sign(&st, &key, &d), LB_OK);
	hex(h, st.hash, 32);
	hex(g, st.digest, 32);
	hex(sg, st.sig, 64);
	snprintf(want, sizeof want,
	         "Desa 35.07.12.2005 \u00b7 penduduk per=2026-11-30 \u00b7 seq 447 \u00b7 hash %.16s "
	         "\u00b7 digest %.16s \u00b7 ttd %.16s", h, g, sg);
	lb_rstamp_short(&st, s, sizeof s);
	assert_string_equal(s, want);
	strcpy(st.params, "-");
	lb_rstamp_short(&st, s, sizeof s);
	assert_non_null(strstr(s, "\u00b7 penduduk \u00b7 seq 447"));
	lb_rstamp_short(&st, s, 10); /* cut, still terminated */
	assert_int_equal(strlen(s), 9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_known_answer),
		cmocka_unit_test(test_make_is_the_documented_line),
		cmocka_unit_test(test_parse_round_trip_and_verify),
		cmocka_unit_test(test_each_forged_field_refused),
		cmocka_unit_test(test_malformed_lines_named),
		cmocka_unit_test(test_make_refuses_what_cannot_be_written),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_short_form),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
