/*
 * key.c — key generation, key files and signatures (all crypto: libsodium).
 */
#define _POSIX_C_SOURCE 200809L
#include "key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define SEC_TAG "lumbung-secret-key-v1 ed25519 "
#define PUB_TAG "lumbung-public-key-v1 ed25519 "

/* Write all of buf to a new file; O_EXCL so an existing key is never
 * overwritten.  fsync so a power cut cannot leave an empty key file. */
static lb_err write_new(const char *path, const char *buf, size_t len, mode_t mode,
                        struct lb_diag *d)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t off = 0;

	if (fd < 0)
		return lb_fail(d, errno == EEXIST ? LB_EEXIST : LB_EIO, "%s: %s", path,
		               strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return LB_OK;
fail:
	lb_fail(d, errno == ENOSPC ? LB_EFULL : LB_EIO, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return d ? d->code : LB_EIO;
}

lb_err lb_key_write(const char *sec_path, const char *pub_path, const struct lb_key *k,
                    struct lb_diag *d)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	char line[sizeof SEC_TAG - 1 + 2 * crypto_sign_SEEDBYTES + 2]; /* tag, hex, \n, NUL */
	lb_err e;

	crypto_sign_ed25519_sk_to_seed(seed, k->sk);
	memcpy(line, SEC_TAG, sizeof SEC_TAG - 1);
	sodium_bin2hex(line + sizeof SEC_TAG - 1, 2 * sizeof seed + 1, seed, sizeof seed);
	line[sizeof line - 2] = '\n';
	line[sizeof line - 1] = '\0';
	e = write_new(sec_path, line, sizeof line - 1, 0600, d);
	sodium_memzero(line, sizeof line);
	sodium_memzero(seed, sizeof seed);
	if (e)
		return e;

	memcpy(line, PUB_TAG, sizeof PUB_TAG - 1);
	sodium_bin2hex(line + sizeof PUB_TAG - 1, 2 * LB_PK_BYTES + 1, k->pk, LB_PK_BYTES);
	line[sizeof line - 2] = '\n';
	line[sizeof line - 1] = '\0';
	if ((e = write_new(pub_path, line, sizeof line - 1, 0644, d))) {
		unlink(sec_path);
		return e;
	}
	return LB_OK;
}

lb_err lb_key_write_public(const char *pub_path, const uint8_t pk[LB_PK_BYTES], struct lb_diag *d)
{
	char line[sizeof PUB_TAG - 1 + 2 * LB_PK_BYTES + 2];

	memcpy(line, PUB_TAG, sizeof PUB_TAG - 1);
	sodium_bin2hex(line + sizeof PUB_TAG - 1, 2 * LB_PK_BYTES + 1, pk, LB_PK_BYTES);
	line[sizeof line - 2] = '\n';
	line[sizeof line - 1] = '\0';
	return write_new(pub_path, line, sizeof line - 1, 0644, d);
}

lb_err lb_key_generate(const char *sec_path, const char *pub_path, uint8_t pk[LB_PK_BYTES],
                       struct lb_diag *d)
{
	struct lb_key k;
	lb_err e;

	crypto_sign_keypair(k.pk, k.sk);
	e = lb_key_write(sec_path, pub_path, &k, d);
	memcpy(pk, k.pk, LB_PK_BYTES);
	lb_key_wipe(&k);
	return e;
}

static lb_err mode_ok(const char *path, mode_t mode, struct lb_diag *d)
{
	if (!(mode & 077))
		return LB_OK;
	return lb_fail(d, LB_EPERM,
	               "%s: secret key is accessible by group or others (mode %03o); "
	               "fix with: chmod 600 %s",
	               path, (unsigned)(mode & 0777), path);
}

lb_err lb_key_check_mode(const char *sec_path, struct lb_diag *d)
{
	struct stat st;

	if (stat(sec_path, &st) != 0)
		return lb_fail(d, errno == ENOENT ? LB_ENOTFOUND : LB_EKEY, "%s: %s", sec_path,
		               strerror(errno));
	return mode_ok(sec_path, st.st_mode, d);
}

/* Read one "<tag><64 hex>\n" line into out[32]. */
static lb_err read_keyline(const char *path, const char *tag, uint8_t out[32], int check_mode,
                           struct lb_diag *d)
{
	char buf[160];
	size_t taglen = strlen(tag), got = 0;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	lb_err e = LB_OK;

	if (fd < 0)
		return lb_fail(d, LB_EKEY, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		e = lb_fail(d, LB_EKEY, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (check_mode && (e = mode_ok(path, st.st_mode, d)))
		goto out;
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		e = lb_fail(d, LB_EKEY, "%s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	if ((size_t)n != taglen + 65 || strncmp(buf, tag, taglen) != 0 || buf[n - 1] != '\n' ||
	    sodium_hex2bin(out, 32, buf + taglen, 64, NULL, &got, NULL) != 0 || got != 32) {
		e = check_mode ? lb_fail(d, LB_EKEY, "%s: not a lumbung secret key file", path)
		               : lb_fail(d, LB_EKEY, "%s: not a lumbung public key file", path);
	}
out:
	sodium_memzero(buf, sizeof buf);
	close(fd);
	return e;
}

lb_err lb_key_load(const char *sec_path, struct lb_key *k, struct lb_diag *d)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	lb_err e = read_keyline(sec_path, SEC_TAG, seed, 1, d);

	if (e == LB_OK)
		crypto_sign_seed_keypair(k->pk, k->sk, seed);
	sodium_memzero(seed, sizeof seed);
	return e;
}

lb_err lb_key_load_public(const char *pub_path, uint8_t pk[LB_PK_BYTES], struct lb_diag *d)
{
	return read_keyline(pub_path, PUB_TAG, pk, 0, d);
}

void lb_key_wipe(struct lb_key *k)
{
	sodium_memzero(k->sk, sizeof k->sk);
}

void lb_sign(uint8_t sig[LB_SIG_BYTES], const void *m, size_t n, const struct lb_key *k)
{
	crypto_sign_detached(sig, NULL, m, n, k->sk);
}

bool lb_sig_ok(const uint8_t sig[LB_SIG_BYTES], const void *m, size_t n,
               const uint8_t pk[LB_PK_BYTES])
{
	return crypto_sign_verify_detached(sig, m, n, pk) == 0;
}
