/*
 * test_statement.c — the enrolment statement's format (sync/statement.h):
 * the bytes are checked against a message built by hand here (msgpack
 * written byte by byte, signed with libsodium directly), and forged
 * statements are refused: bad signature, another key, another tag, wrong version, wrong
 * element count, trailing bytes, fields of the wrong type, an unknown
 * action, a village that is not a desa code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../sync/statement.h"

struct raw {
	uint8_t b[512];
	size_t n;
};

static void put(struct raw *r, const void *p, size_t n)
{
	memcpy(r->b + r->n, p, n);
	r->n += n;
}
static void byte(struct raw *r, uint8_t c) { put(r, &c, 1); }

/* The message, byte by byte (msgpack spec): fixarray, fixstr tag, version,
 * bin8 signer, uint n, fixstr action, fixstr village, bin8 origin, uint64
 * time.  Options make it wrong in one way each. */
struct shape {
	uint8_t count;            /* array elements (8) */
	uint8_t version;          /* 1 */
	const char *action;       /* "enrol" */
	const char *village;      /* "33.24.01.2001" */
	int n_as_str;             /* n as a string "1" */
	int signer_as_str;        /* signer as a str of 32 bytes */
	int village_as_bin;
	size_t trailing;          /* extra bytes inside the signed message */
	const char *tag;          /* NULL: "lumbung-enrol" */
};

static void message(struct raw *m, const struct shape *s, const uint8_t signer[32], uint8_t n,
                    const uint8_t origin[32], uint64_t t)
{
	m->n = 0;
	byte(m, (uint8_t)(0x90 | s->count));
	const char *tag = s->tag ? s->tag : "lumbung-enrol";
	byte(m, (uint8_t)(0xa0 | strlen(tag)));
	put(m, tag, strlen(tag));
	byte(m, s->version);
	byte(m, s->signer_as_str ? 0xd9 : 0xc4);
	byte(m, 32);
	put(m, signer, 32);
	if (s->n_as_str) {
		byte(m, 0xa1);
		byte(m, (uint8_t)('0' + n));
	} else {
		byte(m, n); /* positive fixint */
	}
	byte(m, (uint8_t)(0xa0 | strlen(s->action)));
	put(m, s->action, strlen(s->action));
	if (s->village_as_bin) {
		byte(m, 0xc4);
		byte(m, (uint8_t)strlen(s->village));
	} else {
		byte(m, (uint8_t)(0xa0 | strlen(s->village)));
	}
	put(m, s->village, strlen(s->village));
	byte(m, 0xc4);
	byte(m, 32);
	put(m, origin, 32);
	byte(m, 0xcf);
	for (int i = 7; i >= 0; i--)
		byte(m, (uint8_t)(t >> (8 * i)));
	for (size_t i = 0; i < s->trailing; i++)
		byte(m, 0xc0);
}

/* signature (64) || message, signed by sk */
static void stored(struct raw *out, const struct raw *m, const uint8_t sk[64])
{
	out->n = 64;
	crypto_sign_detached(out->b, NULL, m->b, m->n, sk);
	memcpy(out->b + 64, m->b, m->n);
	out->n += m->n;
}

struct keys {
	uint8_t pk[32], sk[64], pk2[32], sk2[64], origin[32];
};

static void keys(struct keys *k)
{
	crypto_sign_keypair(k->pk, k->sk);
	crypto_sign_keypair(k->pk2, k->sk2);
	randombytes_buf(k->origin, 32);
}

static const struct shape good = {8, 1, "enrol", "33.24.01.2001", 0, 0, 0, 0, NULL};
#define T_MS 1767225600123ull

static void a_statement_is_the_message_built_by_hand(void **state)
{
	struct keys k;
	struct raw m, s;
	struct lb_key key;
	struct lb_statement st = {.n = 7, .action = LB_STMT_ENROL, .time_ms = T_MS}, got;
	uint8_t *out;
	size_t len;
	struct lb_diag d = {0};
	(void)state;

	keys(&k);
	memcpy(key.pk, k.pk, 32);
	memcpy(key.sk, k.sk, 64);
	memcpy(st.signer, k.pk, 32);
	memcpy(st.origin, k.origin, 32);
	memcpy(st.village, "33.24.01.2001", 14);
	message(&m, &good, k.pk, 7, k.origin, T_MS);
	stored(&s, &m, k.sk);
	assert_int_equal(lb_statement_sign(&key, &st, &out, &len, &d), LB_OK);
	/* Ed25519 is deterministic: the same message gives the same bytes */
	assert_int_equal(len, s.n);
	assert_memory_equal(out, s.b, s.n);
	free(out);
	assert_int_equal(lb_statement_open(&got, s.b, s.n, NULL, &d), LB_OK);
	assert_memory_equal(got.signer, k.pk, 32);
	assert_int_equal(got.n, 7);
	assert_int_equal(got.action, LB_STMT_ENROL);
	assert_string_equal(got.village, "33.24.01.2001");
	assert_memory_equal(got.origin, k.origin, 32);
	assert_int_equal(got.time_ms, T_MS);
	assert_int_equal(lb_statement_open(&got, s.b, s.n, k.pk, &d), LB_OK);

	/* revoke */
	struct shape rv = good;
	rv.action = "revoke";
	message(&m, &rv, k.pk, 8, k.origin, T_MS);
	stored(&s, &m, k.sk);
	assert_int_equal(lb_statement_open(&got, s.b, s.n, k.pk, &d), LB_OK);
	assert_int_equal(got.action, LB_STMT_REVOKE);
	assert_int_equal(got.n, 8);
}

static void expect_refused(const struct shape *sh, int resign, lb_err want, const char *words)
{
	struct keys k;
	struct raw m, s;
	struct lb_statement got;
	struct lb_diag d = {0};

	keys(&k);
	message(&m, sh, k.pk, 3, k.origin, T_MS);
	stored(&s, &m, resign ? k.sk2 : k.sk);
	assert_int_equal(lb_statement_open(&got, s.b, s.n, NULL, &d), want);
	if (!strstr(d.msg, words))
		fail_msg("\"%s\" not in \"%s\"", words, d.msg);
}

static void forged_statements_are_refused(void **state)
{
	struct shape s;
	(void)state;

	/* signed by another key than the one it names */
	expect_refused(&good, 1, LB_ESIG, "signature does not verify");
	s = good, s.version = 2;
	expect_refused(&s, 0, LB_EMALFORMED, "version");
	/* another kind of signed message of the same shape: a head's tag, and
	 * the statement's tag one letter off */
	s = good, s.tag = "lumbung-head";
	expect_refused(&s, 0, LB_EMALFORMED, "the tag is \"lumbung-head\"");
	s = good, s.tag = "lumbung-enroL";
	expect_refused(&s, 0, LB_EMALFORMED, "tag");
	s = good, s.count = 9, s.trailing = 1; /* a ninth element */
	expect_refused(&s, 0, LB_EMALFORMED, "");
	s = good, s.trailing = 1;              /* bytes after the eighth */
	expect_refused(&s, 0, LB_EMALFORMED, "trailing");
	s = good, s.n_as_str = 1;
	expect_refused(&s, 0, LB_EMALFORMED, "statement n");
	s = good, s.signer_as_str = 1;
	expect_refused(&s, 0, LB_EMALFORMED, "statement signer");
	s = good, s.village_as_bin = 1;
	expect_refused(&s, 0, LB_EMALFORMED, "statement village");
	s = good, s.action = "grant";
	expect_refused(&s, 0, LB_EMALFORMED, "grant");
	s = good, s.village = "33.24.01";      /* a kecamatan, not a desa */
	expect_refused(&s, 0, LB_EMALFORMED, "not a desa code");
}

static void a_flipped_byte_or_another_signer_is_refused(void **state)
{
	struct keys k;
	struct raw m, s;
	struct lb_statement got;
	struct lb_diag d = {0};
	(void)state;

	keys(&k);
	message(&m, &good, k.pk, 1, k.origin, T_MS);
	stored(&s, &m, k.sk);
	s.b[s.n - 1] ^= 1; /* the time */
	assert_int_equal(lb_statement_open(&got, s.b, s.n, NULL, &d), LB_ESIG);
	s.b[s.n - 1] ^= 1;
	s.b[3] ^= 0x40; /* the signature */
	assert_int_equal(lb_statement_open(&got, s.b, s.n, NULL, &d), LB_ESIG);
	s.b[3] ^= 0x40;
	/* a valid statement of another signer than the one expected */
	assert_int_equal(lb_statement_open(&got, s.b, s.n, k.pk2, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "different key"));
	/* a truncated one, and one too long to be a statement */
	assert_int_equal(lb_statement_open(&got, s.b, s.n - 1, NULL, &d), LB_EMALFORMED);
	assert_int_equal(lb_statement_open(&got, s.b, LB_STMT_MAX_BYTES + 1, NULL, &d),
	                 LB_EMALFORMED);
	/* n 0 is no statement */
	message(&m, &good, k.pk, 0, k.origin, T_MS);
	stored(&s, &m, k.sk);
	assert_int_equal(lb_statement_open(&got, s.b, s.n, NULL, &d), LB_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_statement_is_the_message_built_by_hand),
		cmocka_unit_test(forged_statements_are_refused),
		cmocka_unit_test(a_flipped_byte_or_another_signer_is_refused),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
