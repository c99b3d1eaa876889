/*
 * envelope.c — compress, seal, open (envelope.h).
 *
 * Compression is one zstd frame (libzstd, level 3: the change sets of a
 * village are small and repetitive, and a 2G link, not the CPU, is the
 * limit).  Opening streams the frame through ZSTD_decompressStream into a
 * buffer that grows only as output appears and never past max, with the
 * window limited, so a small body that claims or inflates to gigabytes
 * costs at most max bytes and is refused as too large.
 *
 * Sealing is libsodium's crypto_box_seal (an ephemeral X25519 key pair per
 * message, XSalsa20-Poly1305): anyone holding the aggregator's public key
 * can seal, only the aggregator can open, and any change to the sealed
 * bytes fails the MAC.  The aggregator's X25519 keys are its Ed25519 keys
 * converted (crypto_sign_ed25519_*_to_curve25519), so no second key has to
 * be published, pinned or backed up.
 */
#include "envelope.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "wire.h"

#define ZSTD_LEVEL 3
#define ZSTD_WINDOW_LOG_MAX 27 /* 128 MiB: above any change set's window */

static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

enum lb_env_form lb_env_form(const void *buf, size_t len)
{
	if (len >= LB_ENV_SEAL_MAGIC_LEN && !memcmp(buf, LB_ENV_SEAL_MAGIC, LB_ENV_SEAL_MAGIC_LEN))
		return LB_ENV_SEALED;
	if (len >= sizeof zstd_magic && !memcmp(buf, zstd_magic, sizeof zstd_magic))
		return LB_ENV_ZSTD;
	return LB_ENV_PLAIN;
}

static lb_err compress_into(const void *in, size_t len, struct lb_mp_buf *out, struct lb_diag *d)
{
	size_t cap = ZSTD_compressBound(len), n;
	ZSTD_CCtx *c = ZSTD_createCCtx();
	uint8_t *tmp;

	if (!c || !(tmp = malloc(cap ? cap : 1))) {
		ZSTD_freeCCtx(c);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	/* a content checksum, so a damaged stick reads as damaged (the
	 * signatures inside are what make it trustworthy) */
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, ZSTD_LEVEL);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(c, tmp, cap, in, len);
	ZSTD_freeCCtx(c);
	if (ZSTD_isError(n)) {
		free(tmp);
		return lb_fail(d, LB_ENOMEM, "compressing: %s", ZSTD_getErrorName(n));
	}
	lb_mp_put_raw(out, tmp, n);
	free(tmp);
	return out->oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
}

lb_err lb_env_wrap(const void *in, size_t len, bool compress, const uint8_t *seal_to,
                   struct lb_mp_buf *out, struct lb_diag *d)
{
	struct lb_mp_buf inner;
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], *sealed;
	const void *msg = in;
	size_t mlen = len;
	lb_err e = LB_OK;

	lb_mp_buf_reset(out);
	if (!seal_to) {
		if (compress)
			return compress_into(in, len, out, d);
		lb_mp_put_raw(out, in, len);
		return out->oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
	}
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, seal_to))
		return lb_fail(d, LB_EINVAL, "the aggregator key cannot be used to seal (not a valid "
		                             "Ed25519 public key)");
	lb_mp_buf_init(&inner);
	if (compress) {
		if ((e = compress_into(in, len, &inner, d))) {
			lb_mp_buf_free(&inner);
			return e;
		}
		msg = inner.sb.data;
		mlen = inner.sb.size;
	}
	if (!(sealed = malloc(mlen + crypto_box_SEALBYTES))) {
		lb_mp_buf_free(&inner);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if (crypto_box_seal(sealed, msg, mlen, xpk))
		e = lb_fail(d, LB_EINVAL, "sealing failed");
	else {
		lb_mp_put_raw(out, LB_ENV_SEAL_MAGIC, LB_ENV_SEAL_MAGIC_LEN);
		lb_mp_put_raw(out, sealed, mlen + crypto_box_SEALBYTES);
		if (out->oom)
			e = lb_fail(d, LB_ENOMEM, "out of memory");
	}
	sodium_memzero(sealed, mlen + crypto_box_SEALBYTES);
	free(sealed);
	lb_mp_buf_free(&inner);
	return e;
}

/* Inflate one zstd frame of buf into a malloc'd buffer of at most max
 * bytes: the buffer grows only as output appears, doubling up to max + 1
 * (one byte more than allowed, to see that the output goes past max). */
static lb_err inflate(const uint8_t *buf, size_t len, size_t max, uint8_t **out, size_t *olen,
                      struct lb_diag *d)
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	ZSTD_inBuffer in = {buf, len, 0};
	size_t have = 0, used = 0, ret;
	uint8_t *o = NULL, *no;
	lb_err e = LB_OK;

	*out = NULL;
	*olen = 0;
	if (!z)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
	for (;;) {
		ZSTD_outBuffer ob;
		if (used == have) { /* full: grow, up to max + 1 */
			size_t want = have ? 2 * have : (len < (16u << 10) ? (64u << 10) : 4 * len);
			if (want > max + 1)
				want = max + 1;
			if (want <= have) {
				e = lb_fail(d, LB_ETOOBIG,
				            "the compressed change set inflates past %zu bytes, the most a "
				            "change set may hold",
				            max);
				goto out;
			}
			if (!(no = realloc(o, want))) {
				e = lb_fail(d, LB_ENOMEM, "out of memory");
				goto out;
			}
			o = no;
			have = want;
		}
		ob = (ZSTD_outBuffer){o, have, used};
		ret = ZSTD_decompressStream(z, &ob, &in);
		used = ob.pos;
		if (ZSTD_isError(ret)) {
			e = lb_fail(d, LB_EMALFORMED, "the compressed change set is corrupt (%s)",
			            ZSTD_getErrorName(ret));
			goto out;
		}
		if (used > max) {
			e = lb_fail(d, LB_ETOOBIG,
			            "the compressed change set inflates past %zu bytes, the most a change "
			            "set may hold",
			            max);
			goto out;
		}
		if (ret == 0) { /* the frame ended */
			if (in.pos != in.size)
				e = lb_fail(d, LB_EMALFORMED,
				            "%zu bytes follow the compressed change set", in.size - in.pos);
			break;
		}
		if (in.pos == in.size && used < have) { /* wants input, and there is none */
			e = lb_fail(d, LB_EMALFORMED, "the compressed change set is truncated");
			break;
		}
	}
out:
	ZSTD_freeDCtx(z);
	if (e) {
		free(o);
		return e;
	}
	*out = o;
	*olen = used;
	return LB_OK;
}

lb_err lb_env_open(const void *buf, size_t len, const struct lb_key *key, size_t max,
                   const uint8_t **plain, size_t *plain_len, uint8_t **owned,
                   struct lb_diag *d)
{
	const uint8_t *b = buf;
	uint8_t xpk[crypto_box_PUBLICKEYBYTES], xsk[crypto_box_SECRETKEYBYTES], *opened = NULL;
	size_t olen;
	lb_err e;

	*plain = NULL;
	*plain_len = 0;
	*owned = NULL;
	switch (lb_env_form(buf, len)) {
	case LB_ENV_PLAIN:
		if (len > max)
			return lb_fail(d, LB_ETOOBIG, "the change set is larger than %zu bytes", max);
		*plain = b;
		*plain_len = len;
		return LB_OK;
	case LB_ENV_ZSTD:
		if ((e = inflate(b, len, max, owned, plain_len, d)))
			return e;
		*plain = *owned;
		return LB_OK;
	case LB_ENV_SEALED:
		break;
	}
	if (!key)
		return lb_fail(d, LB_EINVAL, "a sealed change set, and no aggregator key to open it");
	if (len < LB_ENV_SEAL_MAGIC_LEN + crypto_box_SEALBYTES)
		return lb_fail(d, LB_EMALFORMED, "the sealed change set is truncated (%zu bytes)", len);
	olen = len - LB_ENV_SEAL_MAGIC_LEN - crypto_box_SEALBYTES;
	if (olen > max + (max >> 3) + 4096) /* room for a compressed body's overhead */
		return lb_fail(d, LB_ETOOBIG, "the sealed change set is larger than a change set may be");
	if (crypto_sign_ed25519_pk_to_curve25519(xpk, key->pk) ||
	    crypto_sign_ed25519_sk_to_curve25519(xsk, key->sk))
		return lb_fail(d, LB_EINVAL, "this aggregator's key has no X25519 form");
	if (!(opened = malloc(olen ? olen : 1))) {
		sodium_memzero(xsk, sizeof xsk);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if (crypto_box_seal_open(opened, b + LB_ENV_SEAL_MAGIC_LEN, len - LB_ENV_SEAL_MAGIC_LEN, xpk,
	                         xsk)) {
		sodium_memzero(xsk, sizeof xsk);
		free(opened);
		return lb_fail(d, LB_ESIG, "the sealed change set does not open with this aggregator's "
		                           "key: sealed to another aggregator, or altered on the way");
	}
	sodium_memzero(xsk, sizeof xsk);
	/* inside: a compressed or a plain change set (never sealed twice) */
	if (lb_env_form(opened, olen) == LB_ENV_ZSTD) {
		e = inflate(opened, olen, max, owned, plain_len, d);
		sodium_memzero(opened, olen);
		free(opened);
		if (e)
			return e;
		*plain = *owned;
		return LB_OK;
	}
	if (lb_env_form(opened, olen) == LB_ENV_SEALED || olen > max) {
		free(opened);
		return olen > max ? lb_fail(d, LB_ETOOBIG, "the change set is larger than %zu bytes", max)
		                  : lb_fail(d, LB_EMALFORMED, "a change set sealed twice");
	}
	*owned = opened;
	*plain = opened;
	*plain_len = olen;
	return LB_OK;
}
