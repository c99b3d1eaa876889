/*
 * test_envelope.c — the transport envelope (sync/envelope.h): plain,
 * compressed and sealed forms open to the same bytes; a sealed body opens
 * only with the aggregator it was sealed to, and every single-byte change
 * of it is refused; corrupt, truncated and trailing zstd streams are
 * refused; a zstd bomb (a few KB inflating to 256 MiB) is refused as too
 * large after producing at most the limit.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cmocka.h>
#include <sodium.h>
#include <zstd.h>

#include "../../sync/envelope.h"

/* Something like a change set: repetitive text with names and NIKs. */
static void sample(struct lb_mp_buf *b)
{
	char line[128];
	lb_mp_buf_init(b);
	for (int i = 0; i < 400; i++) {
		int n = snprintf(line, sizeof line, "{nik:33240120019%05d,nama:Warga Nomor %d,desa:Sukamaju}",
		                 i, i);
		lb_mp_put_raw(b, line, (size_t)n);
	}
}

static void key(struct lb_key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

static void opens_to(const struct lb_mp_buf *wrapped, const struct lb_key *k,
                     const struct lb_mp_buf *plain)
{
	const uint8_t *p;
	size_t n;
	uint8_t *owned;
	struct lb_diag d = {0};

	if (lb_env_open(wrapped->sb.data, wrapped->sb.size, k, 1u << 20, &p, &n, &owned, &d))
		fail_msg("open: %s", d.msg);
	assert_int_equal(n, plain->sb.size);
	assert_memory_equal(p, plain->sb.data, n);
	free(owned);
}

static void three_forms_open_to_the_same_bytes(void **state)
{
	struct lb_mp_buf plain, w;
	struct lb_key k;
	(void)state;
	key(&k);
	sample(&plain);
	lb_mp_buf_init(&w);

	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, false, NULL, &w, NULL), LB_OK);
	assert_int_equal(lb_env_form(w.sb.data, w.sb.size), LB_ENV_PLAIN);
	opens_to(&w, NULL, &plain);

	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, true, NULL, &w, NULL), LB_OK);
	assert_int_equal(lb_env_form(w.sb.data, w.sb.size), LB_ENV_ZSTD);
	assert_true(w.sb.size * 4 < plain.sb.size); /* it does compress */
	opens_to(&w, NULL, &plain);

	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, true, k.pk, &w, NULL), LB_OK);
	assert_int_equal(lb_env_form(w.sb.data, w.sb.size), LB_ENV_SEALED);
	assert_null(memmem(w.sb.data, w.sb.size, "Warga", 5));
	assert_null(memmem(w.sb.data, w.sb.size, "nik", 3));
	opens_to(&w, &k, &plain);

	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, false, k.pk, &w, NULL), LB_OK);
	assert_int_equal(lb_env_form(w.sb.data, w.sb.size), LB_ENV_SEALED);
	assert_null(memmem(w.sb.data, w.sb.size, "Warga", 5));
	opens_to(&w, &k, &plain);
	lb_mp_buf_free(&plain);
	lb_mp_buf_free(&w);
}

static lb_err try_open(const void *b, size_t n, const struct lb_key *k, size_t max,
                       struct lb_diag *d)
{
	const uint8_t *p;
	size_t pn;
	uint8_t *owned = NULL;
	lb_err e = lb_env_open(b, n, k, max, &p, &pn, &owned, d);
	if (e)
		assert_null(owned);
	free(owned);
	return e;
}

static void sealed_opens_only_with_its_aggregator(void **state)
{
	struct lb_mp_buf plain, w;
	struct lb_key k, other;
	struct lb_diag d = {0};
	(void)state;
	key(&k);
	key(&other);
	sample(&plain);
	lb_mp_buf_init(&w);
	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, true, k.pk, &w, NULL), LB_OK);
	assert_int_equal(try_open(w.sb.data, w.sb.size, &other, 1u << 20, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "another aggregator"));
	assert_int_equal(try_open(w.sb.data, w.sb.size, NULL, 1u << 20, &d), LB_EINVAL);
	lb_mp_buf_free(&plain);
	lb_mp_buf_free(&w);
}

static void every_changed_byte_of_a_sealed_body_is_refused(void **state)
{
	struct lb_mp_buf plain, w;
	struct lb_key k;
	uint8_t *b;
	(void)state;
	key(&k);
	lb_mp_buf_init(&plain);
	lb_mp_put_raw(&plain, "\x85\xa7" "entries\x90", 10); /* small: every offset is tried */
	lb_mp_buf_init(&w);
	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, true, k.pk, &w, NULL), LB_OK);
	b = malloc(w.sb.size);
	for (size_t i = 0; i < w.sb.size; i++) {
		for (int bit = 0; bit < 8; bit += 7) {
			memcpy(b, w.sb.data, w.sb.size);
			b[i] ^= (uint8_t)(1u << bit);
			lb_err e = try_open(b, w.sb.size, &k, 1u << 20, NULL);
			if (e == LB_OK) /* a changed magic reads as plain: the change-set decoder refuses it */
				assert_true(i < LB_ENV_SEAL_MAGIC_LEN);
			else
				assert_true(e == LB_ESIG || e == LB_EMALFORMED);
		}
	}
	/* every truncation too */
	for (size_t n = LB_ENV_SEAL_MAGIC_LEN; n < w.sb.size; n++)
		assert_true(try_open(w.sb.data, n, &k, 1u << 20, NULL) != LB_OK);
	free(b);
	lb_mp_buf_free(&plain);
	lb_mp_buf_free(&w);
}

static void corrupt_truncated_and_trailing_zstd_refused(void **state)
{
	struct lb_mp_buf plain, w;
	struct lb_diag d = {0};
	uint8_t *b;
	(void)state;
	sample(&plain);
	lb_mp_buf_init(&w);
	assert_int_equal(lb_env_wrap(plain.sb.data, plain.sb.size, true, NULL, &w, NULL), LB_OK);
	for (size_t n = 4; n < w.sb.size; n++)
		assert_int_equal(try_open(w.sb.data, n, NULL, 1u << 20, NULL), LB_EMALFORMED);
	b = malloc(w.sb.size + 3);
	memcpy(b, w.sb.data, w.sb.size);
	memcpy(b + w.sb.size, "xyz", 3);
	assert_int_equal(try_open(b, w.sb.size + 3, NULL, 1u << 20, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "follow"));
	memcpy(b, w.sb.data, w.sb.size);
	b[w.sb.size / 2] ^= 0xff;
	assert_true(try_open(b, w.sb.size, NULL, 1u << 20, NULL) != LB_OK);
	/* a plain body over the limit */
	assert_int_equal(try_open(plain.sb.data, plain.sb.size, NULL, 100, NULL), LB_ETOOBIG);
	free(b);
	lb_mp_buf_free(&plain);
	lb_mp_buf_free(&w);
}

/* 256 MiB of zeros in one zstd frame: a few KB on the wire. */
static size_t bomb(uint8_t **out)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = 1 << 20, chunk = 1 << 20;
	uint8_t *o = malloc(cap), *zeros = calloc(1, chunk);
	ZSTD_outBuffer ob = {o, cap, 0};
	for (int i = 0; i < 256; i++) {
		ZSTD_inBuffer ib = {zeros, chunk, 0};
		ZSTD_EndDirective end = i == 255 ? ZSTD_e_end : ZSTD_e_continue;
		size_t r;
		do
			r = ZSTD_compressStream2(c, &ob, &ib, end);
		while (!ZSTD_isError(r) && (ib.pos < ib.size || (end == ZSTD_e_end && r)));
		assert_false(ZSTD_isError(r));
	}
	ZSTD_freeCCtx(c);
	free(zeros);
	*out = o;
	return ob.pos;
}

static void a_zstd_bomb_is_refused_with_bounded_memory(void **state)
{
	uint8_t *b;
	size_t n = bomb(&b);
	struct rusage before, after;
	struct lb_diag d = {0};
	struct lb_key k;
	struct lb_mp_buf w;
	(void)state;
	assert_true(n < 64 * 1024);
	getrusage(RUSAGE_SELF, &before);
	assert_int_equal(try_open(b, n, NULL, 8u << 20, &d), LB_ETOOBIG);
	assert_non_null(strstr(d.msg, "inflates past"));
	getrusage(RUSAGE_SELF, &after);
	/* at most the 8 MiB limit (and zstd's window) was ever held, not 256 MiB */
	assert_true(after.ru_maxrss - before.ru_maxrss < 64 * 1024);
	/* sealed, the same */
	key(&k);
	lb_mp_buf_init(&w);
	assert_int_equal(lb_env_wrap(b, n, false, k.pk, &w, NULL), LB_OK);
	assert_int_equal(try_open(w.sb.data, w.sb.size, &k, 8u << 20, NULL), LB_ETOOBIG);
	lb_mp_buf_free(&w);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(three_forms_open_to_the_same_bytes),
		cmocka_unit_test(sealed_opens_only_with_its_aggregator),
		cmocka_unit_test(every_changed_byte_of_a_sealed_body_is_refused),
		cmocka_unit_test(corrupt_truncated_and_trailing_zstd_refused),
		cmocka_unit_test(a_zstd_bomb_is_refused_with_bounded_memory),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
