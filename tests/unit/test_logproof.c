/*
 * test_logproof.c — who may read a village's log for a restore
 * (agg/logauth.h, sync/logproof.h): challenges (made here, forged,
 * expired), the proof's signature (built here by hand with libsodium over
 * the documented message, not with our own message builder), and the key
 * rules (enrolled for the village, active); lb_agg_export_village's
 * refusals.
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

#include "../../agg/agg.h"
#include "../../agg/logauth.h"
#include "../../node/archive.h"
#include "../../sync/logproof.h"

#define V1 "33.24.01.2001"
#define V2 "33.24.01.2002"
#define NOW 1796000000000ull /* 2026-11-30, ms */

struct fx {
	char dir[64];
	struct lb_agg *a;
	uint8_t agg_pk[LB_PK_BYTES];
	struct lb_key k1, k2, stranger;
};

static void keypair(struct lb_key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/lb-test-logproof.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/agg");
	assert_int_equal(lb_agg_init(f->dir, "33.24", f->agg_pk, NULL), LB_OK);
	assert_int_equal(lb_agg_open(&f->a, f->dir, NULL), LB_OK);
	keypair(&f->k1);
	keypair(&f->k2);
	keypair(&f->stranger);
	assert_int_equal(lb_agg_enroll(f->a, V1, f->k1.pk, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(f->a, V2, f->k2.pk, NULL), LB_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	lb_agg_close(f->a);
	f->dir[strlen(f->dir) - 4] = '\0';
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The header text for challenge c, signed by hand: Ed25519 by k over
 * "lumbung-log-request\n" || agg || village || c (docs/FORMAT.md). */
static void by_hand(char out[LB_PROOF_TEXT_MAX], const struct lb_key *k, const uint8_t *agg,
                    const char *village, const uint8_t *c, size_t clen)
{
	uint8_t m[256], sig[64];
	size_t n = 0;

	memcpy(m, "lumbung-log-request\n", 20), n += 20;
	memcpy(m + n, agg, 32), n += 32;
	memcpy(m + n, village, 13), n += 13;
	memcpy(m + n, c, clen), n += clen;
	crypto_sign_detached(sig, NULL, m, n, k->sk);
	sodium_bin2hex(out, 65, k->pk, 32);
	out[64] = '.';
	sodium_bin2hex(out + 65, 2 * clen + 1, c, clen);
	out[65 + 2 * clen] = '.';
	sodium_bin2hex(out + 66 + 2 * clen, 129, sig, 64);
}

static lb_err check(struct fx *f, const char *village, const char *text, uint64_t now,
                    struct lb_diag *d)
{
	return lb_agg_log_proof_check(f->a, village, text, now, NULL, d);
}

static void test_good_proof(void **state)
{
	struct fx *f = *state;
	uint8_t c[LB_CHALLENGE_BYTES], origin[LB_PK_BYTES];
	char text[LB_PROOF_TEXT_MAX], mine[LB_PROOF_TEXT_MAX];

	lb_agg_challenge_make(c, NOW);
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(lb_agg_log_proof_check(f->a, V1, text, NOW + 1000, origin, NULL), LB_OK);
	assert_memory_equal(origin, f->k1.pk, LB_PK_BYTES);
	/* the client's builder makes the very same text (Ed25519 is deterministic) */
	assert_int_equal(lb_proof_make(&f->k1, f->agg_pk, V1, c, sizeof c, mine, NULL), LB_OK);
	assert_string_equal(mine, text);
	/* good until the end of its life */
	assert_int_equal(check(f, V1, text, NOW + LB_CHALLENGE_TTL_MS, NULL), LB_OK);
}

static void test_expired_or_future_challenge(void **state)
{
	struct fx *f = *state;
	uint8_t c[LB_CHALLENGE_BYTES];
	char text[LB_PROOF_TEXT_MAX];
	struct lb_diag d = {0};

	lb_agg_challenge_make(c, NOW);
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW + LB_CHALLENGE_TTL_MS + 1, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "expired"));
	lb_agg_challenge_make(c, NOW + LB_CHALLENGE_SKEW_MS + 1);
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
}

static void test_forged_challenge(void **state)
{
	struct fx *f = *state;
	uint8_t c[LB_CHALLENGE_BYTES];
	char text[LB_PROOF_TEXT_MAX];
	struct lb_diag d = {0};

	/* made up by the client: time now, random rest */
	randombytes_buf(c, sizeof c);
	for (int i = 0; i < 8; i++)
		c[i] = (uint8_t)(NOW >> (56 - 8 * i));
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "not one of this aggregator's"));
	/* a real one with its time moved forward (to live longer) */
	lb_agg_challenge_make(c, NOW);
	c[7] ^= 0x01;
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "not one of this aggregator's"));
	/* shorter than ours */
	lb_agg_challenge_make(c, NOW);
	by_hand(text, &f->k1, f->agg_pk, V1, c, 24);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
}

static void test_bad_signature(void **state)
{
	struct fx *f = *state;
	uint8_t c[LB_CHALLENGE_BYTES], other[LB_PK_BYTES];
	char text[LB_PROOF_TEXT_MAX];
	struct lb_diag d = {0};

	lb_agg_challenge_make(c, NOW);
	/* signed for another village */
	by_hand(text, &f->k1, f->agg_pk, V2, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "signature does not verify"));
	/* signed for another aggregator */
	randombytes_buf(other, sizeof other);
	by_hand(text, &f->k1, other, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	/* one bit of the signature flipped */
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	text[strlen(text) - 1] = text[strlen(text) - 1] == '0' ? '1' : '0';
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	/* another key claiming the village's: the signature is by the claimed key */
	by_hand(text, &f->stranger, f->agg_pk, V1, c, sizeof c);
	sodium_bin2hex(text, 65, f->k1.pk, 32);
	text[64] = '.';
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
}

static void test_key_rules(void **state)
{
	struct fx *f = *state;
	uint8_t c[LB_CHALLENGE_BYTES];
	char text[LB_PROOF_TEXT_MAX];
	struct lb_diag d = {0};

	lb_agg_challenge_make(c, NOW);
	by_hand(text, &f->stranger, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "not enrolled"));
	/* village 2's key, properly signed for village 1 */
	by_hand(text, &f->k2, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "enrolled for village " V2));
	/* revoked */
	assert_int_equal(lb_agg_revoke(f->a, f->k1.pk, NULL), LB_OK);
	by_hand(text, &f->k1, f->agg_pk, V1, c, sizeof c);
	assert_int_equal(check(f, V1, text, NOW, &d), LB_EFORBIDDEN);
	assert_non_null(strstr(d.msg, "revoked"));
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"", "abc", "..", "00.00.00",
		"zz00000000000000000000000000000000000000000000000000000000000000.00.00",
		"0000000000000000000000000000000000000000000000000000000000000000.0.00",
		"0000000000000000000000000000000000000000000000000000000000000000.00.00",
		"0000000000000000000000000000000000000000000000000000000000000000.00.00.00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(check(f, V1, bad[i], NOW, NULL), LB_EMALFORMED);
}

static void test_export_village_refusals(void **state)
{
	struct fx *f = *state;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct lb_diag d = {0};

	assert_int_equal(lb_agg_export_village(f->a, "33.24.01.2009", 1, out, &d), LB_ENOTFOUND);
	assert_int_equal(lb_agg_export_village(f->a, "33.24.01", 1, out, &d), LB_EINVAL);
	/* nothing held: a log from 1 is empty and fine, from 2 is past it */
	assert_int_equal(lb_agg_export_village(f->a, V1, 2, out, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "up to seq 0"));
	fclose(out);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_proof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_or_future_challenge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_challenge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_village_refusals, setup, teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
