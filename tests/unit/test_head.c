/*
 * test_head.c — unit tests for node/head.h (signed heads) and node/key.h
 * (Ed25519 key files and signatures).
 *
 * Key files are made in a private mkdtemp directory that the group
 * teardown removes.  The head message bytes are checked against an
 * encoding written out here from head.h, and signatures with libsodium
 * directly, so neither side checks itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dirent.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/head.h"
#include "../../node/key.h"

static char dir[64];

static const char *path(const char *name)
{
	static char p[4][PATH_MAX];
	static int i;
	int n;
	i = (i + 1) % 4;
	n = snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
	assert_true(n > 0 && (size_t)n < sizeof p[i]);
	return p[i];
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/lumbung-test-head-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	(void)state;
	if (d) {
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				unlink(path(de->d_name));
		closedir(d);
	}
	return rmdir(dir);
}

static void write_file(const char *p, const char *content, mode_t mode)
{
	int fd;
	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static size_t read_file(const char *p, char *buf, size_t cap)
{
	int fd = open(p, O_RDONLY);
	ssize_t n;
	assert_true(fd >= 0);
	n = read(fd, buf, cap - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return (size_t)n;
}

static mode_t file_mode(const char *p)
{
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

/* A key from a fixed seed (deterministic, no files). */
static void fixed_key(struct lb_key *k, uint8_t seedbyte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	memset(seed, seedbyte, sizeof seed);
	assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

static struct lb_head sample_head(const struct lb_key *k)
{
	struct lb_head h;
	memset(&h, 0, sizeof h);
	memcpy(h.village, "33.24.01.2001", LB_VILLAGE_LEN + 1);
	memcpy(h.origin, k->pk, LB_PK_BYTES);
	h.seq = 1234;
	memset(h.hash, 0xaa, sizeof h.hash);
	memset(h.root, 0xbb, sizeof h.root);
	h.ts = (1700000000123ULL << 16) | 7;
	return h;
}

static void assert_heads_equal(const struct lb_head *a, const struct lb_head *b)
{
	assert_string_equal(a->village, b->village);
	assert_memory_equal(a->origin, b->origin, LB_PK_BYTES);
	assert_true(a->seq == b->seq);
	assert_memory_equal(a->hash, b->hash, LB_HASH_BYTES);
	assert_memory_equal(a->root, b->root, LB_HASH_BYTES);
	assert_true(a->ts == b->ts);
}

/* ---- key files ----------------------------------------------------------- */

static void generate_writes_secret_0600_and_public_readable(void **state)
{
	uint8_t pk[LB_PK_BYTES], pk2[LB_PK_BYTES];
	struct lb_diag d = {0};
	mode_t old = umask(0); /* even with no umask the secret stays private */
	(void)state;
	assert_int_equal(lb_key_generate(path("gen.sec"), path("gen.pub"), pk, &d), LB_OK);
	umask(old);
	assert_int_equal(file_mode(path("gen.sec")), 0600);
	assert_true((file_mode(path("gen.pub")) & 0444) == 0444);
	assert_int_equal(lb_key_load_public(path("gen.pub"), pk2, &d), LB_OK);
	assert_memory_equal(pk, pk2, LB_PK_BYTES);
}

static void generated_key_files_have_the_documented_one_line_format(void **state)
{
	uint8_t pk[LB_PK_BYTES], seed[32], pk_from_seed[LB_PK_BYTES], sk[LB_SK_BYTES];
	char buf[256], hex[2 * LB_PK_BYTES + 1];
	size_t n;
	(void)state;
	assert_int_equal(lb_key_generate(path("fmt.sec"), path("fmt.pub"), pk, NULL), LB_OK);
	n = read_file(path("fmt.sec"), buf, sizeof buf);
	assert_int_equal(n, strlen("lumbung-secret-key-v1 ed25519 ") + 64 + 1);
	assert_int_equal(strncmp(buf, "lumbung-secret-key-v1 ed25519 ", 30), 0);
	assert_int_equal(buf[n - 1], '\n');
	/* the file holds the seed: it must give back the same public key */
	assert_int_equal(sodium_hex2bin(seed, 32, buf + 30, 64, NULL, NULL, NULL), 0);
	crypto_sign_seed_keypair(pk_from_seed, sk, seed);
	assert_memory_equal(pk_from_seed, pk, LB_PK_BYTES);
	n = read_file(path("fmt.pub"), buf, sizeof buf);
	sodium_bin2hex(hex, sizeof hex, pk, LB_PK_BYTES);
	assert_int_equal(n, 30 + 64 + 1);
	assert_int_equal(strncmp(buf, "lumbung-public-key-v1 ed25519 ", 30), 0);
	assert_memory_equal(buf + 30, hex, 64);
	assert_int_equal(buf[n - 1], '\n');
}

static void generate_makes_a_different_key_each_time(void **state)
{
	uint8_t a[LB_PK_BYTES], b[LB_PK_BYTES];
	(void)state;
	assert_int_equal(lb_key_generate(path("r1.sec"), path("r1.pub"), a, NULL), LB_OK);
	assert_int_equal(lb_key_generate(path("r2.sec"), path("r2.pub"), b, NULL), LB_OK);
	assert_memory_not_equal(a, b, LB_PK_BYTES);
}

static void generate_refuses_to_overwrite_a_secret_key(void **state)
{
	uint8_t pk[LB_PK_BYTES], pk2[LB_PK_BYTES];
	char before[256], after[256];
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_key_generate(path("ow.sec"), path("ow.pub"), pk, NULL), LB_OK);
	read_file(path("ow.sec"), before, sizeof before);
	assert_int_equal(lb_key_generate(path("ow.sec"), path("ow2.pub"), pk2, &d), LB_EEXIST);
	assert_int_equal(d.code, LB_EEXIST);
	assert_non_null(strstr(d.msg, "ow.sec"));
	read_file(path("ow.sec"), after, sizeof after);
	assert_string_equal(before, after);
	assert_int_equal(access(path("ow2.pub"), F_OK), -1);
}

static void generate_leaves_no_secret_when_the_public_file_exists(void **state)
{
	uint8_t pk[LB_PK_BYTES];
	char buf[64];
	(void)state;
	write_file(path("taken.pub"), "someone else's\n", 0644);
	assert_int_equal(lb_key_generate(path("orphan.sec"), path("taken.pub"), pk, NULL),
	                 LB_EEXIST);
	assert_int_equal(access(path("orphan.sec"), F_OK), -1);
	read_file(path("taken.pub"), buf, sizeof buf);
	assert_string_equal(buf, "someone else's\n");
}

static void generate_in_a_missing_directory_is_an_io_error(void **state)
{
	uint8_t pk[LB_PK_BYTES];
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_key_generate(path("no/such.sec"), path("no/such.pub"), pk, &d), LB_EIO);
	assert_true(d.msg[0] != '\0');
}

static void load_gives_the_generated_key_which_signs_verifiably(void **state)
{
	uint8_t pk[LB_PK_BYTES], sig[LB_SIG_BYTES];
	struct lb_key k;
	struct lb_diag d = {0};
	static const char msg[] = "penerima PKH 2026, desa 33.24.01.2001";
	(void)state;
	assert_int_equal(lb_key_generate(path("use.sec"), path("use.pub"), pk, NULL), LB_OK);
	memset(&k, 0, sizeof k);
	assert_int_equal(lb_key_load(path("use.sec"), &k, &d), LB_OK);
	assert_memory_equal(k.pk, pk, LB_PK_BYTES);
	lb_sign(sig, msg, sizeof msg - 1, &k);
	assert_true(lb_sig_ok(sig, msg, sizeof msg - 1, pk));
	/* cross-check with libsodium directly */
	assert_int_equal(crypto_sign_verify_detached(sig, (const uint8_t *)msg, sizeof msg - 1, pk),
	                 0);
	lb_key_wipe(&k);
	for (size_t i = 0; i < LB_SK_BYTES; i++)
		assert_int_equal(k.sk[i], 0);
}

static void load_refuses_a_secret_key_readable_by_others(void **state)
{
	static const mode_t bad[] = {0644, 0640, 0604, 0660, 0610, 0601, 0700 | 0004, 0620};
	uint8_t pk[LB_PK_BYTES];
	struct lb_key k;
	(void)state;
	assert_int_equal(lb_key_generate(path("perm.sec"), path("perm.pub"), pk, NULL), LB_OK);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lb_diag d = {0};
		assert_int_equal(chmod(path("perm.sec"), bad[i]), 0);
		if (lb_key_load(path("perm.sec"), &k, &d) != LB_EPERM)
			fail_msg("mode %03o was not refused with LB_EPERM", (unsigned)bad[i]);
		assert_int_equal(d.code, LB_EPERM);
		assert_non_null(strstr(d.msg, "chmod 600"));
		assert_non_null(strstr(d.msg, "perm.sec"));
	}
	/* owner-only modes are fine */
	assert_int_equal(chmod(path("perm.sec"), 0400), 0);
	assert_int_equal(lb_key_load(path("perm.sec"), &k, NULL), LB_OK);
	assert_int_equal(chmod(path("perm.sec"), 0600), 0);
	assert_int_equal(lb_key_load(path("perm.sec"), &k, NULL), LB_OK);
	assert_memory_equal(k.pk, pk, LB_PK_BYTES);
	lb_key_wipe(&k);
}

static void load_refuses_missing_and_malformed_key_files(void **state)
{
	static const char hex64[] =
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
	char good[128], line[256];
	static const char *bad[] = {
		"",
		"\n",
		"lumbung-secret-key-v1 ed25519 \n",
		"lumbung-secret-key-v2 ed25519 %s\n",
		"lumbung-public-key-v1 ed25519 %s\n",
		"lumbung-secret-key-v1 ed448 %s\n",
		"lumbung-secret-key-v1 ed25519 %s",      /* no newline */
		"lumbung-secret-key-v1 ed25519 %s\n\n",  /* trailing data */
		"lumbung-secret-key-v1 ed25519 %sff\n",  /* 66 digits */
		" lumbung-secret-key-v1 ed25519 %s\n",
		"lumbung-secret-key-v1  ed25519 %s\n",
	};
	struct lb_key k;
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_key_load(path("missing.sec"), &k, &d), LB_EKEY);
	assert_non_null(strstr(d.msg, "missing.sec"));
	snprintf(good, sizeof good, "lumbung-secret-key-v1 ed25519 %s\n", hex64);
	write_file(path("m.sec"), good, 0600);
	assert_int_equal(lb_key_load(path("m.sec"), &k, NULL), LB_OK); /* guards the helper */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(line, sizeof line, bad[i], hex64);
		write_file(path("m.sec"), line, 0600);
		if (lb_key_load(path("m.sec"), &k, &d) != LB_EKEY)
			fail_msg("malformed key file %zu was not refused with LB_EKEY", i);
	}
	/* 63 digits and one non-hex digit */
	snprintf(line, sizeof line, "lumbung-secret-key-v1 ed25519 %.63s\n", hex64);
	write_file(path("m.sec"), line, 0600);
	assert_int_equal(lb_key_load(path("m.sec"), &k, NULL), LB_EKEY);
	snprintf(line, sizeof line, "lumbung-secret-key-v1 ed25519 %.63sg\n", hex64);
	write_file(path("m.sec"), line, 0600);
	assert_int_equal(lb_key_load(path("m.sec"), &k, &d), LB_EKEY);
	assert_non_null(strstr(d.msg, "not a lumbung secret key"));
	/* a long file is refused, not read past its buffer */
	memset(line, 'a', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	write_file(path("m.sec"), line, 0600);
	assert_int_equal(lb_key_load(path("m.sec"), &k, NULL), LB_EKEY);
}

static void load_public_refuses_missing_and_malformed_files(void **state)
{
	uint8_t pk[LB_PK_BYTES];
	uint8_t gpk[LB_PK_BYTES];
	struct lb_diag d = {0};
	(void)state;
	assert_int_equal(lb_key_load_public(path("nope.pub"), pk, &d), LB_EKEY);
	assert_int_equal(lb_key_generate(path("lp.sec"), path("lp.pub"), gpk, NULL), LB_OK);
	/* a secret key file is not a public key file */
	assert_int_equal(lb_key_load_public(path("lp.sec"), pk, &d), LB_EKEY);
	assert_non_null(strstr(d.msg, "public"));
	write_file(path("bad.pub"), "lumbung-public-key-v1 ed25519 zz\n", 0644);
	assert_int_equal(lb_key_load_public(path("bad.pub"), pk, NULL), LB_EKEY);
	/* a public key file may be world-readable */
	assert_int_equal(chmod(path("lp.pub"), 0644), 0);
	assert_int_equal(lb_key_load_public(path("lp.pub"), pk, NULL), LB_OK);
	assert_memory_equal(pk, gpk, LB_PK_BYTES);
}

static void sig_ok_refuses_changed_message_key_or_signature(void **state)
{
	struct lb_key a, b;
	uint8_t sig[LB_SIG_BYTES];
	char msg[] = "kegiatan posyandu";
	(void)state;
	fixed_key(&a, 1);
	fixed_key(&b, 2);
	lb_sign(sig, msg, strlen(msg), &a);
	assert_true(lb_sig_ok(sig, msg, strlen(msg), a.pk));
	assert_false(lb_sig_ok(sig, msg, strlen(msg), b.pk));
	assert_false(lb_sig_ok(sig, msg, strlen(msg) - 1, a.pk));
	msg[0] ^= 1;
	assert_false(lb_sig_ok(sig, msg, strlen(msg), a.pk));
	msg[0] ^= 1;
	for (int bit = 0; bit < 8 * LB_SIG_BYTES; bit++) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (lb_sig_ok(sig, msg, strlen(msg), a.pk))
			fail_msg("signature with bit %d flipped verified", bit);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_true(lb_sig_ok(sig, msg, strlen(msg), a.pk));
}

/* ---- signed heads ---------------------------------------------------------- */

/* The head message as head.h documents it, written independently. */
static size_t expected_message(uint8_t *out, const struct lb_head *h)
{
	size_t n = 0;
	out[n++] = 0x98;
	out[n++] = 0xac;
	memcpy(out + n, "lumbung-head", 12);
	n += 12;
	out[n++] = 0x01;
	out[n++] = 0xad;
	memcpy(out + n, h->village, 13);
	n += 13;
	out[n++] = 0xc4;
	out[n++] = 32;
	memcpy(out + n, h->origin, 32);
	n += 32;
	out[n++] = 0xcd; /* seq 1234 = 0x04d2 */
	out[n++] = 0x04;
	out[n++] = 0xd2;
	out[n++] = 0xc4;
	out[n++] = 32;
	memcpy(out + n, h->hash, 32);
	n += 32;
	out[n++] = 0xc4;
	out[n++] = 32;
	memcpy(out + n, h->root, 32);
	n += 32;
	out[n++] = 0xcf;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)(h->ts >> (8 * i));
	return n;
}

static void sign_stores_signature_then_the_documented_message(void **state)
{
	struct lb_key k;
	struct lb_head h;
	struct lb_mp_buf b;
	uint8_t want[256];
	size_t wn;
	(void)state;
	fixed_key(&k, 9);
	h = sample_head(&k);
	wn = expected_message(want, &h);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	assert_int_equal(b.sb.size, LB_SIG_BYTES + wn);
	assert_memory_equal(b.sb.data + LB_SIG_BYTES, want, wn);
	assert_int_equal(crypto_sign_verify_detached((const uint8_t *)b.sb.data, want, wn, k.pk), 0);
	lb_mp_buf_free(&b);
}

static void sign_then_open_gives_back_the_head(void **state)
{
	struct lb_key k;
	struct lb_head h, got;
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 3);
	h = sample_head(&k);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	if (lb_head_open(&got, b.sb.data, b.sb.size, NULL, &d) != LB_OK)
		fail_msg("open failed: %s", d.msg);
	assert_heads_equal(&got, &h);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, NULL), LB_OK);
	assert_heads_equal(&got, &h);
	lb_mp_buf_free(&b);
}

static void sign_appends_after_existing_buffer_contents(void **state)
{
	struct lb_key k;
	struct lb_head h, got;
	struct lb_mp_buf b;
	(void)state;
	fixed_key(&k, 4);
	h = sample_head(&k);
	h.seq = 0;
	h.ts = UINT64_MAX;
	lb_mp_buf_init(&b);
	lb_mp_put_raw(&b, "prefix", 6);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	assert_memory_equal(b.sb.data, "prefix", 6);
	assert_int_equal(lb_head_open(&got, b.sb.data + 6, b.sb.size - 6, NULL, NULL), LB_OK);
	assert_heads_equal(&got, &h);
	lb_mp_buf_free(&b);
}

static void open_fails_on_any_single_flipped_bit(void **state)
{
	struct lb_key k;
	struct lb_head h, got;
	struct lb_mp_buf b;
	uint8_t *copy;
	(void)state;
	fixed_key(&k, 5);
	h = sample_head(&k);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	copy = malloc(b.sb.size);
	assert_non_null(copy);
	for (size_t bit = 0; bit < 8 * b.sb.size; bit++) {
		struct lb_diag d = {0};
		lb_err e1, e2;
		memcpy(copy, b.sb.data, b.sb.size);
		copy[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		e1 = lb_head_open(&got, copy, b.sb.size, NULL, &d);
		e2 = lb_head_open(&got, copy, b.sb.size, NULL, NULL);
		if (e1 != LB_ESIG && e1 != LB_EMALFORMED)
			fail_msg("bit %zu (byte %zu) flipped: open gave %d", bit, bit / 8, e1);
		if (e2 != e1)
			fail_msg("bit %zu flipped: %d with a diag, %d without", bit, e1, e2);
		assert_true(d.msg[0] != '\0');
	}
	free(copy);
	lb_mp_buf_free(&b);
}

static void open_fails_on_every_truncation_and_on_trailing_bytes(void **state)
{
	struct lb_key k;
	struct lb_head h, got;
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 6);
	h = sample_head(&k);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	for (size_t n = 0; n < b.sb.size; n++) {
		uint8_t *p = malloc(n ? n : 1);
		lb_err e;
		assert_non_null(p);
		memcpy(p, b.sb.data, n);
		e = lb_head_open(&got, p, n, NULL, NULL);
		if (e != LB_EMALFORMED && e != LB_ESIG)
			fail_msg("a %zu-byte prefix opened with %d", n, e);
		free(p);
	}
	lb_mp_put_nil(&b);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, NULL, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "trailing"));
	lb_mp_buf_free(&b);
}

static void open_with_the_wrong_expected_origin_is_a_signature_error(void **state)
{
	struct lb_key k, other;
	struct lb_head h, got;
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 7);
	fixed_key(&other, 8);
	h = sample_head(&k);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, other.pk, &d), LB_ESIG);
	assert_int_equal(d.code, LB_ESIG);
	assert_non_null(strstr(d.msg, "different key"));
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, other.pk, NULL), LB_ESIG);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, NULL), LB_OK);
	lb_mp_buf_free(&b);
}

static void open_refuses_a_head_naming_an_origin_that_did_not_sign(void **state)
{
	/* signed by k, but the origin field names another key */
	struct lb_key k, other;
	struct lb_head h, got;
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 10);
	fixed_key(&other, 11);
	h = sample_head(&k);
	memcpy(h.origin, other.pk, LB_PK_BYTES);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_head_sign(&b, &h, &k), LB_OK);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, NULL, &d), LB_ESIG);
	assert_non_null(strstr(d.msg, "does not verify"));
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, other.pk, NULL), LB_ESIG);
	lb_mp_buf_free(&b);
}

/* A correctly signed message with a chosen tag, version and village. */
static void sign_custom(struct lb_mp_buf *b, const struct lb_key *k, const char *tag,
                        uint64_t version, const char *village, int fields)
{
	uint8_t sig[LB_SIG_BYTES], zero[32] = {0};
	struct lb_mp_buf m;
	lb_mp_buf_init(&m);
	lb_mp_put_array(&m, (uint32_t)fields);
	lb_mp_put_cstr(&m, tag);
	lb_mp_put_uint(&m, version);
	lb_mp_put_cstr(&m, village);
	lb_mp_put_bin(&m, k->pk, LB_PK_BYTES);
	lb_mp_put_uint(&m, 1);
	lb_mp_put_bin(&m, zero, 32);
	lb_mp_put_bin(&m, zero, 32);
	lb_mp_put_uint(&m, 1);
	for (int i = 8; i < fields; i++)
		lb_mp_put_nil(&m);
	lb_sign(sig, m.sb.data, m.sb.size, k);
	lb_mp_buf_reset(b);
	lb_mp_put_raw(b, sig, sizeof sig);
	lb_mp_put_raw(b, m.sb.data, m.sb.size);
	lb_mp_buf_free(&m);
}

static void open_refuses_validly_signed_messages_that_are_not_heads(void **state)
{
	struct lb_key k;
	struct lb_head got;
	struct lb_mp_buf b;
	struct lb_diag d = {0};
	(void)state;
	fixed_key(&k, 12);
	lb_mp_buf_init(&b);
	sign_custom(&b, &k, LB_HEAD_TAG, 1, "33.24.01.2001", 8); /* guards the helper */
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, &d), LB_OK);
	sign_custom(&b, &k, "lumbung-receipt", 1, "33.24.01.2001", 8);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "tag"));
	sign_custom(&b, &k, LB_HEAD_TAG, 2, "33.24.01.2001", 8);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "version"));
	sign_custom(&b, &k, LB_HEAD_TAG, 1, "33", 8); /* a provinsi owns no log */
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, NULL), LB_EMALFORMED);
	sign_custom(&b, &k, LB_HEAD_TAG, 1, "33.24", 8); /* a kabupaten's catalogue */
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, NULL), LB_OK);
	sign_custom(&b, &k, LB_HEAD_TAG, 1, "33.24.01.200x", 8);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, &d), LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "desa"));
	sign_custom(&b, &k, LB_HEAD_TAG, 1, "33.24.01.2001", 9);
	assert_int_equal(lb_head_open(&got, b.sb.data, b.sb.size, k.pk, NULL), LB_EMALFORMED);
	lb_mp_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(generate_writes_secret_0600_and_public_readable),
		cmocka_unit_test(generated_key_files_have_the_documented_one_line_format),
		cmocka_unit_test(generate_makes_a_different_key_each_time),
		cmocka_unit_test(generate_refuses_to_overwrite_a_secret_key),
		cmocka_unit_test(generate_leaves_no_secret_when_the_public_file_exists),
		cmocka_unit_test(generate_in_a_missing_directory_is_an_io_error),
		cmocka_unit_test(load_gives_the_generated_key_which_signs_verifiably),
		cmocka_unit_test(load_refuses_a_secret_key_readable_by_others),
		cmocka_unit_test(load_refuses_missing_and_malformed_key_files),
		cmocka_unit_test(load_public_refuses_missing_and_malformed_files),
		cmocka_unit_test(sig_ok_refuses_changed_message_key_or_signature),
		cmocka_unit_test(sign_stores_signature_then_the_documented_message),
		cmocka_unit_test(sign_then_open_gives_back_the_head),
		cmocka_unit_test(sign_appends_after_existing_buffer_contents),
		cmocka_unit_test(open_fails_on_any_single_flipped_bit),
		cmocka_unit_test(open_fails_on_every_truncation_and_on_trailing_bytes),
		cmocka_unit_test(open_with_the_wrong_expected_origin_is_a_signature_error),
		cmocka_unit_test(open_refuses_a_head_naming_an_origin_that_did_not_sign),
		cmocka_unit_test(open_refuses_validly_signed_messages_that_are_not_heads),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
