/*
 * logauth.c — challenges and the village's proof of its key (logauth.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "logauth.h"

#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "../node/entry.h"
#include "../sync/logproof.h"
#include "store_int.h"

#define STAMP 8
#define NONCE 16
#define TAG 16

static uint8_t mac_key[crypto_auth_KEYBYTES];
static pthread_once_t mac_once = PTHREAD_ONCE_INIT;

static void mac_init(void)
{
	randombytes_buf(mac_key, sizeof mac_key);
}

static void tag_of(uint8_t tag[TAG], const uint8_t *c)
{
	uint8_t full[crypto_auth_BYTES];

	pthread_once(&mac_once, mac_init);
	crypto_auth(full, c, STAMP + NONCE, mac_key);
	memcpy(tag, full, TAG);
}

void lb_agg_challenge_make(uint8_t out[LB_CHALLENGE_BYTES], uint64_t now_ms)
{
	agg_be64_put(out, now_ms);
	randombytes_buf(out + STAMP, NONCE);
	tag_of(out + STAMP + NONCE, out);
}

lb_err lb_agg_challenge_check(const uint8_t *c, size_t len, uint64_t now_ms, struct lb_diag *d)
{
	uint8_t tag[TAG];
	uint64_t t;

	if (len != LB_CHALLENGE_BYTES)
		return lb_fail(d, LB_EFORBIDDEN, "the challenge is not one of this aggregator's "
		               "(ask GET /v1/challenge for a new one)");
	tag_of(tag, c);
	if (sodium_memcmp(tag, c + STAMP + NONCE, TAG))
		return lb_fail(d, LB_EFORBIDDEN, "the challenge is not one of this aggregator's "
		               "(forged, altered or from before a restart: ask GET /v1/challenge for a "
		               "new one)");
	t = agg_be64_get(c);
	if (t > now_ms + LB_CHALLENGE_SKEW_MS || now_ms - t > LB_CHALLENGE_TTL_MS)
		return lb_fail(d, LB_EFORBIDDEN, "the challenge has expired (it is good for %u s): ask "
		               "GET /v1/challenge for a new one", LB_CHALLENGE_TTL_MS / 1000);
	return LB_OK;
}

void lb_agg_public_key(struct lb_agg *a, uint8_t pk[LB_PK_BYTES])
{
	memcpy(pk, a->key.pk, LB_PK_BYTES);
}

lb_err lb_agg_log_proof_check(struct lb_agg *a, const char *village, const char *proof,
                              uint64_t now_ms, uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	struct lb_proof p;
	struct lb_agg_origin o;
	char hex[2 * LB_PK_BYTES + 1];
	lb_err e;

	if ((e = lb_proof_parse(proof, &p, d)))
		return e;
	if (origin)
		memcpy(origin, p.origin, LB_PK_BYTES);
	if ((e = lb_agg_challenge_check(p.challenge, p.challenge_len, now_ms, d)))
		return e;
	if (lb_proof_verify(&p, a->key.pk, village, d))
		return lb_fail(d, LB_EFORBIDDEN, "the proof's signature does not verify (it must sign "
		               "this aggregator's key, village %s and the challenge)", village);
	lb_hex(hex, p.origin, LB_PK_BYTES);
	if ((e = lb_agg_origin(a, p.origin, &o, d))) {
		if (e != LB_EUNKNOWN_ORIGIN)
			return e;
		return lb_fail(d, LB_EFORBIDDEN, "key %s is not enrolled here", hex);
	}
	if (strcmp(o.village, village))
		return lb_fail(d, LB_EFORBIDDEN, "key %s is enrolled for village %s, not %s", hex,
		               o.village, village);
	if (o.revoked)
		return lb_fail(d, LB_EFORBIDDEN, "key %s of village %s is revoked", hex, village);
	return LB_OK;
}
