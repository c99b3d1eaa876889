/*
 * logproof.c — the signed log request (logproof.h).
 */
#include "logproof.h"

#include <string.h>

#include "../node/entry.h"
#include "../schema/text.h"

#define CTX_LEN (sizeof LB_PROOF_CONTEXT - 1)
#define MSG_MAX (CTX_LEN + LB_PK_BYTES + LB_VILLAGE_LEN + LB_CHALLENGE_MAX)

/* The signed message into m; its length. */
static size_t message(uint8_t m[MSG_MAX], const uint8_t agg_pk[LB_PK_BYTES], const char *village,
                      const uint8_t *ch, size_t len)
{
	memcpy(m, LB_PROOF_CONTEXT, CTX_LEN);
	memcpy(m + CTX_LEN, agg_pk, LB_PK_BYTES);
	memcpy(m + CTX_LEN + LB_PK_BYTES, village, LB_VILLAGE_LEN);
	memcpy(m + CTX_LEN + LB_PK_BYTES + LB_VILLAGE_LEN, ch, len);
	return CTX_LEN + LB_PK_BYTES + LB_VILLAGE_LEN + len;
}

static bool desa(const char *village)
{
	return village && strlen(village) == LB_VILLAGE_LEN &&
	       lb_region_level(village) == LB_REGION_DESA;
}

lb_err lb_proof_make(const struct lb_key *k, const uint8_t agg_pk[LB_PK_BYTES],
                     const char *village, const uint8_t *ch, size_t len,
                     char out[LB_PROOF_TEXT_MAX], struct lb_diag *d)
{
	uint8_t m[MSG_MAX], sig[LB_SIG_BYTES];
	size_t n;

	if (!desa(village))
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	if (len == 0 || len > LB_CHALLENGE_MAX)
		return lb_fail(d, LB_EINVAL, "a challenge is 1 to %d bytes", LB_CHALLENGE_MAX);
	n = message(m, agg_pk, village, ch, len);
	lb_sign(sig, m, n, k);
	lb_hex(out, k->pk, LB_PK_BYTES);
	out[2 * LB_PK_BYTES] = '.';
	lb_hex(out + 2 * LB_PK_BYTES + 1, ch, len);
	out[2 * LB_PK_BYTES + 1 + 2 * len] = '.';
	lb_hex(out + 2 * LB_PK_BYTES + 2 + 2 * len, sig, LB_SIG_BYTES);
	return LB_OK;
}

lb_err lb_proof_parse(const char *text, struct lb_proof *p, struct lb_diag *d)
{
	const char *d1, *d2;
	char hex[2 * LB_CHALLENGE_MAX + 1];
	size_t clen;

	memset(p, 0, sizeof *p);
	if (!text || strlen(text) >= LB_PROOF_TEXT_MAX || !(d1 = strchr(text, '.')) ||
	    !(d2 = strchr(d1 + 1, '.')) || strchr(d2 + 1, '.'))
		return lb_fail(d, LB_EMALFORMED, LB_PROOF_HEADER " must be ORIGIN.CHALLENGE.SIGNATURE "
		               "in hex");
	memcpy(hex, text, d1 - text < 2 * LB_PK_BYTES ? (size_t)(d1 - text) : 2 * LB_PK_BYTES);
	hex[2 * LB_PK_BYTES] = '\0';
	if (d1 - text != 2 * LB_PK_BYTES || lb_unhex(p->origin, LB_PK_BYTES, hex))
		return lb_fail(d, LB_EMALFORMED, LB_PROOF_HEADER ": the origin is not 64 hex digits");
	clen = (size_t)(d2 - d1 - 1);
	if (clen == 0 || clen % 2 || clen > 2 * LB_CHALLENGE_MAX)
		return lb_fail(d, LB_EMALFORMED, LB_PROOF_HEADER ": the challenge is not 1 to %d bytes "
		               "in hex", LB_CHALLENGE_MAX);
	memcpy(hex, d1 + 1, clen);
	hex[clen] = '\0';
	if (lb_unhex(p->challenge, clen / 2, hex))
		return lb_fail(d, LB_EMALFORMED, LB_PROOF_HEADER ": the challenge is not hex");
	p->challenge_len = clen / 2;
	if (strlen(d2 + 1) != 2 * LB_SIG_BYTES || lb_unhex(p->sig, LB_SIG_BYTES, d2 + 1))
		return lb_fail(d, LB_EMALFORMED, LB_PROOF_HEADER ": the signature is not 128 hex digits");
	return LB_OK;
}

lb_err lb_proof_verify(const struct lb_proof *p, const uint8_t agg_pk[LB_PK_BYTES],
                       const char *village, struct lb_diag *d)
{
	uint8_t m[MSG_MAX];
	size_t n;

	if (!desa(village))
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	if (p->challenge_len == 0 || p->challenge_len > LB_CHALLENGE_MAX)
		return lb_fail(d, LB_EMALFORMED, "a challenge is 1 to %d bytes", LB_CHALLENGE_MAX);
	n = message(m, agg_pk, village, p->challenge, p->challenge_len);
	if (!lb_sig_ok(p->sig, m, n, p->origin))
		return lb_fail(d, LB_ESIG, "the proof's signature does not verify by its key for this "
		               "aggregator and village");
	return LB_OK;
}
