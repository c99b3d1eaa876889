/*
 * test_keybackup.c — unit tests for node/keybackup.h, the village key on
 * paper.
 *
 * The known answers do not come from the code under test: the layout, the
 * line checksums and the encryption are checked against docs/FORMAT.md
 * ("Key backup") with libsodium called directly here (BLAKE2b, Argon2id,
 * secretbox), and the forged texts below are made the same way.
 * LUMBUNG_KEYBACKUP_FAST=1 keeps Argon2id at its interactive limits.
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
#include <sodium.h>

#include "../../node/keybackup.h"

#define VILLAGE "33.24.01.2001"
#define PASS "kunci lumbung desa"
#define NL 13

static struct lb_key key;

static int setup(void **state)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	(void)state;
	if (sodium_init() < 0)
		return -1;
	setenv("LUMBUNG_KEYBACKUP_FAST", "1", 1);
	for (size_t i = 0; i < sizeof seed; i++)
		seed[i] = (uint8_t)(7 * i + 1);
	return crypto_sign_seed_keypair(key.pk, key.sk, seed);
}

static char *make(void)
{
	struct lb_diag d = {0};
	char *t = NULL;
	lb_err e = lb_keybackup_make(&key, VILLAGE, PASS, strlen(PASS), &t, &d);
	if (e)
		print_error("make: %s\n", d.msg);
	assert_int_equal(e, LB_OK);
	assert_non_null(t);
	return t;
}

static lb_err open_text(const char *t, size_t n, const char *pass, struct lb_key *k,
                        char v[LB_VILLAGE_LEN + 1], struct lb_diag *d)
{
	return lb_keybackup_open(t, n, pass, strlen(pass), k, v, d);
}

/* The text's lines, without their line breaks. */
struct lines {
	char l[NL][160];
};

static void split(const char *t, struct lines *L)
{
	const char *p = t;
	for (int i = 0; i < NL; i++) {
		const char *q = strchr(p, '\n');
		assert_non_null(q);
		assert_true((size_t)(q - p) < sizeof L->l[i]);
		memcpy(L->l[i], p, (size_t)(q - p));
		L->l[i][q - p] = '\0';
		p = q + 1;
	}
	assert_int_equal(*p, '\0');
}

/* docs/FORMAT.md: a line's checksum is the first 2 bytes of BLAKE2b-128
 * over its number (one byte) and its content, as 4 lowercase hex digits. */
static void line_sum(char out[5], int no, const char *c, size_t n)
{
	uint8_t h[16], *m = malloc(n + 1);
	assert_non_null(m);
	m[0] = (uint8_t)no;
	memcpy(m + 1, c, n);
	assert_int_equal(crypto_generichash(h, 16, m, n + 1, NULL, 0), 0);
	free(m);
	snprintf(out, 5, "%02x%02x", h[0], h[1]);
}

/* Give every line a checksum again and the check line the whole text's
 * (BLAKE2b-128 over lines 1..12, each with "\n"; first 4 bytes) — what a
 * forger who knows the format can do.  Each line's content is what comes
 * before its last 6 characters. */
static char *resum(struct lines *L)
{
	char *t = calloc(1, NL * 170), s[5];
	uint8_t h[16];
	size_t o = 0;

	assert_non_null(t);
	for (int i = 0; i < NL; i++) {
		size_t n = strlen(L->l[i]) - 6;
		if (i == NL - 1) {
			assert_int_equal(crypto_generichash(h, 16, (uint8_t *)t, o, NULL, 0), 0);
			snprintf(L->l[i], sizeof L->l[i], "check    %02x%02x %02x%02x  ", h[0], h[1], h[2],
			         h[3]);
			n = strlen(L->l[i]) - 2;
		}
		line_sum(s, i + 1, L->l[i], n);
		snprintf(L->l[i] + n, sizeof L->l[i] - n, "  %s", s);
		o += (size_t)sprintf(t + o, "%s\n", L->l[i]);
	}
	return t;
}

/* The hex groups after the 9-character label of a line, without spaces
 * and without its checksum. */
static size_t groups(const char *line, uint8_t *out, size_t cap)
{
	size_t n = strlen(line) - 6, got = 0;
	assert_int_equal(sodium_hex2bin(out, cap, line + 9, n - 9, " ", &got, NULL), 0);
	return got;
}

static void round_trip(void **state)
{
	char *t = make(), v[LB_VILLAGE_LEN + 1];
	struct lb_key k;
	struct lb_diag d = {0};
	struct lines L;

	(void)state;
	assert_int_equal(open_text(t, strlen(t), PASS, &k, v, &d), LB_OK);
	assert_memory_equal(k.pk, key.pk, LB_PK_BYTES);
	assert_memory_equal(k.sk, key.sk, LB_SK_BYTES);
	assert_string_equal(v, VILLAGE);

	/* one page: 13 short lines, each ending in its checksum */
	split(t, &L);
	for (int i = 0; i < NL; i++) {
		char s[5];
		size_t n = strlen(L.l[i]);
		assert_true(n <= 80);
		line_sum(s, i + 1, L.l[i], n - 6);
		assert_memory_equal(L.l[i] + n - 6, "  ", 2);
		assert_string_equal(L.l[i] + n - 4, s);
	}
	assert_int_equal(strncmp(L.l[1], "village  " VILLAGE "  ", 24), 0);
	free(t);
}

/* Open the text with libsodium alone, as docs/FORMAT.md describes it. */
static void the_text_opens_as_documented(void **state)
{
	char *t = make();
	struct lines L;
	uint8_t pk[32], salt[16], nonce[24], box[64], plain[48], k[32], sk[64], pk2[32];
	unsigned long long ops;
	size_t mem;

	(void)state;
	split(t, &L);
	assert_int_equal(strncmp(L.l[1], "village  33.24.01.2001", 22), 0);
	assert_int_equal(groups(L.l[2], pk, 16), 16);
	assert_int_equal(groups(L.l[3], pk + 16, 16), 16);
	assert_memory_equal(pk, key.pk, 32);
	assert_int_equal(sscanf(L.l[4], "kdf      argon2id13 ops %llu mem %zu", &ops, &mem), 2);
	assert_int_equal(ops, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	assert_int_equal(mem, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	assert_int_equal(groups(L.l[5], salt, 16), 16);
	assert_int_equal(groups(L.l[6], nonce, 16), 16);
	assert_int_equal(groups(L.l[7], nonce + 16, 8), 8);
	for (int i = 0; i < 4; i++)
		assert_int_equal(groups(L.l[8 + i], box + 16 * i, 16), 16);
	assert_int_equal(crypto_pwhash(k, 32, PASS, strlen(PASS), salt, ops, mem,
	                               crypto_pwhash_ALG_ARGON2ID13),
	                 0);
	assert_int_equal(crypto_secretbox_open_easy(plain, box, 64, nonce, k), 0);
	assert_memory_equal(plain + 32, VILLAGE "\0\0\0", 16);
	assert_int_equal(crypto_sign_seed_keypair(pk2, sk, plain), 0);
	assert_memory_equal(pk2, key.pk, 32);
	free(t);
}

static void wrong_passphrase(void **state)
{
	char *t = make(), v[LB_VILLAGE_LEN + 1];
	struct lb_key k;
	struct lb_diag d = {0};
	static const uint8_t zero[LB_SK_BYTES];

	(void)state;
	assert_int_equal(open_text(t, strlen(t), "kunci lumbung desA", &k, v, &d), LB_EKEY);
	assert_non_null(strstr(d.msg, "wrong passphrase"));
	assert_memory_equal(k.sk, zero, LB_SK_BYTES);
	assert_int_equal(open_text(t, strlen(t), "", &k, v, &d), LB_EINVAL);
	free(t);
}

static void short_passphrase_is_refused(void **state)
{
	struct lb_diag d = {0};
	char *t = NULL;

	(void)state;
	assert_int_equal(lb_keybackup_make(&key, VILLAGE, "1234567", 7, &t, &d), LB_EINVAL);
	assert_null(t);
	/* seven characters of two bytes each are still seven */
	assert_int_equal(lb_keybackup_make(&key, VILLAGE, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	                                                  "\xc3\xa9\xc3\xa9",
	                                   14, &t, &d),
	                 LB_EINVAL);
	assert_int_equal(lb_keybackup_make(&key, "33.24.01", "12345678", 8, &t, &d), LB_EINVAL);
	assert_int_equal(lb_keybackup_make(&key, VILLAGE, "12345678", 8, &t, &d), LB_OK);
	free(t);
}

/* Every byte of the text replaced by each of several printable characters
 * (a space among them): never the key, and a mistyped character on a line
 * is named by that line. */
static void every_single_character_change_is_detected(void **state)
{
	static const char subs[] = " 0189afAF.xz-|";
	char *t = make(), *m, v[LB_VILLAGE_LEN + 1];
	size_t n = strlen(t), tries = 0, named = 0;
	struct lb_key k;
	struct lb_diag d;
	int line = 1;

	(void)state;
	m = malloc(n + 1);
	assert_non_null(m);
	for (size_t i = 0; i < n; i++) {
		char want[24];
		snprintf(want, sizeof want, "line %d ", line);
		for (const char *c = subs; *c; c++) {
			lb_err e;
			if (*c == t[i])
				continue;
			memcpy(m, t, n + 1);
			m[i] = *c;
			memset(&d, 0, sizeof d);
			e = open_text(m, n, PASS, &k, v, &d);
			if (e == LB_OK)
				fail_msg("byte %zu changed to '%c' still opens: %s", i, *c, m);
			assert_true(e == LB_EMALFORMED || e == LB_EKEY || e == LB_ECORRUPT);
			tries++;
			/* a line break replaced joins two lines: the count is wrong */
			if (t[i] != '\n' && strstr(d.msg, want))
				named++;
		}
		if (t[i] == '\n')
			line++;
	}
	/* each line checksum is 16 bits: a change may, rarely, get past it and
	 * be caught by the whole text's checksum or the MAC instead */
	assert_true(named * 100 >= (tries - 13 * (sizeof subs - 1)) * 99);
	free(m);
	free(t);
}

static void truncated_text_is_refused(void **state)
{
	char *t = make(), v[LB_VILLAGE_LEN + 1];
	size_t n = strlen(t);
	struct lb_key k;
	struct lb_diag d;

	(void)state;
	for (size_t cut = 0; cut + 1 < n; cut++) {
		memset(&d, 0, sizeof d);
		lb_err e = open_text(t, cut, PASS, &k, v, &d);
		if (e != LB_EMALFORMED)
			fail_msg("cut to %zu bytes: %d %s", cut, e, d.msg);
	}
	/* only the last line break may be missing */
	assert_int_equal(open_text(t, n - 1, PASS, &k, v, &d), LB_OK);
	free(t);
}

static void extra_lines_are_refused(void **state)
{
	char *t = make(), *m, v[LB_VILLAGE_LEN + 1];
	size_t n = strlen(t);
	struct lb_key k;
	struct lb_diag d = {0};

	(void)state;
	m = calloc(1, n + 16);
	assert_non_null(m);
	memcpy(m, t, n);
	memcpy(m + n, "\n", 1);
	assert_int_equal(open_text(m, n + 1, PASS, &k, v, &d), LB_EMALFORMED);
	memcpy(m + n, "x\n", 2);
	assert_int_equal(open_text(m, n + 2, PASS, &k, v, &d), LB_EMALFORMED);
	free(m);
	free(t);
}

static void crlf_line_breaks_are_fine(void **state)
{
	char *t = make(), *m, v[LB_VILLAGE_LEN + 1];
	size_t n = strlen(t), o = 0;
	struct lb_key k;
	struct lb_diag d = {0};

	(void)state;
	m = malloc(2 * n);
	assert_non_null(m);
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\n')
			m[o++] = '\r';
		m[o++] = t[i];
	}
	assert_int_equal(open_text(m, o, PASS, &k, v, &d), LB_OK);
	assert_memory_equal(k.pk, key.pk, LB_PK_BYTES);
	/* a stray \r inside a line is not a line break */
	memcpy(m, t, n);
	m[9] = '\r';
	assert_int_equal(open_text(m, n, PASS, &k, v, &d), LB_EMALFORMED);
	free(m);
	free(t);
}

/* A text put together from two: origin lines of another key, every
 * checksum made right.  The key inside is not that origin: refused. */
static void origin_of_another_key_is_refused(void **state)
{
	char *t = make(), *f, v[LB_VILLAGE_LEN + 1], hex[65];
	struct lb_key k, other;
	struct lb_diag d = {0};
	struct lines L;

	(void)state;
	crypto_sign_keypair(other.pk, other.sk);
	split(t, &L);
	for (int h = 0; h < 2; h++) {
		size_t o = (size_t)sprintf(L.l[2 + h], "origin   ");
		for (int g = 0; g < 8; g++) {
			sodium_bin2hex(hex, sizeof hex, other.pk + 16 * h + 2 * g, 2);
			o += (size_t)sprintf(L.l[2 + h] + o, g ? " %s" : "%s", hex);
		}
		strcpy(L.l[2 + h] + o, "  xxxx");
	}
	f = resum(&L);
	assert_int_equal(open_text(f, strlen(f), PASS, &k, v, &d), LB_ECORRUPT);
	assert_non_null(strstr(d.msg, "origin"));
	free(f);

	/* the control: resum of the untouched lines opens */
	split(t, &L);
	f = resum(&L);
	assert_string_equal(f, t);
	free(f);
	free(t);
}

static void village_of_another_desa_is_refused(void **state)
{
	char *t = make(), *f, v[LB_VILLAGE_LEN + 1];
	struct lb_key k;
	struct lb_diag d = {0};
	struct lines L;

	(void)state;
	split(t, &L);
	strcpy(L.l[1], "village  33.24.01.2002  xxxx");
	f = resum(&L);
	assert_int_equal(open_text(f, strlen(f), PASS, &k, v, &d), LB_ECORRUPT);
	assert_non_null(strstr(d.msg, "village"));
	free(f);
	free(t);
}

/* Argon2id limits beyond what lumbung uses (a text made to exhaust
 * memory) are refused before any hashing, naming the kdf line. */
static void huge_limits_are_refused(void **state)
{
	char *t = make(), *f, v[LB_VILLAGE_LEN + 1];
	struct lb_key k;
	struct lb_diag d = {0};
	struct lines L;

	(void)state;
	split(t, &L);
	strcpy(L.l[4], "kdf      argon2id13 ops 5 mem 67108864  xxxx");
	f = resum(&L);
	assert_int_equal(open_text(f, strlen(f), PASS, &k, v, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "line 5 (kdf)"));
	free(f);
	split(t, &L);
	strcpy(L.l[4], "kdf      argon2id13 ops 2 mem 68719476736  xxxx");
	f = resum(&L);
	assert_int_equal(open_text(f, strlen(f), PASS, &k, v, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "line 5 (kdf)"));
	free(f);
	/* a leading zero reads as the same number but is not the layout */
	split(t, &L);
	strcpy(L.l[4], "kdf      argon2id13 ops 02 mem 67108864  xxxx");
	f = resum(&L);
	assert_int_equal(open_text(f, strlen(f), PASS, &k, v, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "line 5 (kdf)"));
	free(f);
	free(t);
}

/* A change made with its line's checksum put right but not the whole
 * text's: the check line catches it (before any Argon2id). */
static void whole_text_checksum_is_checked(void **state)
{
	char *t = make(), *m, v[LB_VILLAGE_LEN + 1], s[5];
	struct lb_key k;
	struct lb_diag d = {0};
	struct lines L;
	size_t o = 0;

	(void)state;
	split(t, &L);
	L.l[5][9] = L.l[5][9] == '0' ? '1' : '0';
	line_sum(s, 6, L.l[5], strlen(L.l[5]) - 6);
	memcpy(L.l[5] + strlen(L.l[5]) - 4, s, 4);
	m = calloc(1, strlen(t) + 1);
	assert_non_null(m);
	for (int i = 0; i < NL; i++)
		o += (size_t)sprintf(m + o, "%s\n", L.l[i]);
	assert_int_equal(open_text(m, o, PASS, &k, v, &d), LB_EMALFORMED);
	if (!strstr(d.msg, "line 13, check"))
		fail_msg("%s", d.msg);
	free(m);
	free(t);
}

static void not_a_backup(void **state)
{
	static const char keyfile[] = "lumbung-secret-key-v1 ed25519 "
	                              "0000000000000000000000000000000000000000000000000000000000000000\n";
	char v[LB_VILLAGE_LEN + 1];
	struct lb_key k;
	struct lb_diag d = {0};

	(void)state;
	assert_int_equal(open_text(keyfile, sizeof keyfile - 1, PASS, &k, v, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "line 1 (title)"));
	assert_int_equal(open_text("", 0, PASS, &k, v, &d), LB_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(the_text_opens_as_documented),
		cmocka_unit_test(wrong_passphrase),
		cmocka_unit_test(short_passphrase_is_refused),
		cmocka_unit_test(every_single_character_change_is_detected),
		cmocka_unit_test(truncated_text_is_refused),
		cmocka_unit_test(extra_lines_are_refused),
		cmocka_unit_test(crlf_line_breaks_are_fine),
		cmocka_unit_test(origin_of_another_key_is_refused),
		cmocka_unit_test(village_of_another_desa_is_refused),
		cmocka_unit_test(huge_limits_are_refused),
		cmocka_unit_test(whole_text_checksum_is_checked),
		cmocka_unit_test(not_a_backup),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
