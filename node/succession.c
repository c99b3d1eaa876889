/*
 * succession.c — succession statements (succession.h).
 */
#include "succession.h"

#include <stdio.h>
#include <string.h>

#include "../schema/mp.h"
#include "signed.h"

static const struct lb_signed_kind succ_kind = {LB_SUCC_TAG, 1, 11, "succession statement"};

static bool region_ok(const char *region, const char *village)
{
	enum lb_region_level l = lb_region_level(region);
	size_t n = strlen(region);

	return (l == LB_REGION_KABUPATEN || l == LB_REGION_KECAMATAN) &&
	       lb_region_level(village) == LB_REGION_DESA && !strncmp(village, region, n) &&
	       village[n] == '.';
}

lb_err lb_succession_sign(const struct lb_key *key, const struct lb_succession *s, uint8_t **out,
                          size_t *len, struct lb_diag *d)
{
	struct lb_mp_buf b;
	size_t at;

	*out = NULL;
	*len = 0;
	if (!region_ok(s->region, s->village))
		return lb_fail(d, LB_EINVAL, "a succession names a kabupaten or kecamatan code and a "
		               "desa code inside it");
	if (!s->n || !s->seq)
		return lb_fail(d, LB_EINVAL, "a succession's n and seq count from 1");
	if (!memcmp(s->old_key, s->new_key, LB_PK_BYTES))
		return lb_fail(d, LB_EINVAL, "a succession's new key must differ from the old one");
	lb_mp_buf_init(&b);
	at = lb_signed_begin(&b, &succ_kind);
	lb_mp_put_bin(&b, s->signer, LB_PK_BYTES);
	lb_mp_put_cstr(&b, s->region);
	lb_mp_put_uint(&b, s->n);
	lb_mp_put_str(&b, s->village, LB_VILLAGE_LEN);
	lb_mp_put_bin(&b, s->old_key, LB_PK_BYTES);
	lb_mp_put_bin(&b, s->new_key, LB_PK_BYTES);
	lb_mp_put_uint(&b, s->seq);
	lb_mp_put_bin(&b, s->hash, LB_HASH_BYTES);
	lb_mp_put_uint(&b, s->time_ms);
	if (lb_signed_end(&b, at, key)) {
		lb_mp_buf_free(&b);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	*out = (uint8_t *)b.sb.data; /* hand the buffer over */
	*len = b.sb.size;
	return LB_OK;
}

lb_err lb_succession_open(struct lb_succession *s, const void *buf, size_t len,
                          const uint8_t *expect, struct lb_diag *d)
{
	struct lb_signed m;
	struct lb_mp_rd *r = &m.rd;
	const uint8_t *p;
	uint32_t n;
	char esc[LB_ESC_BUF];
	lb_err e;

	memset(s, 0, sizeof *s);
	if (len > LB_SUCC_MAX_BYTES)
		return lb_fail(d, LB_EMALFORMED, "succession statement of %zu bytes (at most %d)", len,
		               LB_SUCC_MAX_BYTES);
	if ((e = lb_signed_open(&m, &succ_kind, buf, len, d)))
		return e;
	if ((e = lb_mp_read_binn(r, &p, LB_PK_BYTES, "succession signer", d)))
		return e;
	memcpy(s->signer, p, LB_PK_BYTES);
	if ((e = lb_mp_read_str(r, &p, &n, "succession region", d)))
		return e;
	if (n <= LB_SUCC_REGION_MAX)
		memcpy(s->region, p, n);
	if ((e = lb_mp_read_uint(r, &s->n, "succession n", d)) ||
	    (e = lb_mp_read_str(r, &p, &n, "succession village", d)))
		return e;
	if (n == LB_VILLAGE_LEN)
		memcpy(s->village, p, LB_VILLAGE_LEN);
	if (!region_ok(s->region, s->village))
		return lb_fail(d, LB_EMALFORMED, "succession: village \"%s\" is not a desa code "
		               "inside the signer's region", lb_escape(esc, p, n));
	if (!s->n)
		return lb_fail(d, LB_EMALFORMED, "succession n is 0 (statements count from 1)");
	if ((e = lb_mp_read_binn(r, &p, LB_PK_BYTES, "succession old key", d)))
		return e;
	memcpy(s->old_key, p, LB_PK_BYTES);
	if ((e = lb_mp_read_binn(r, &p, LB_PK_BYTES, "succession new key", d)))
		return e;
	memcpy(s->new_key, p, LB_PK_BYTES);
	if (!memcmp(s->old_key, s->new_key, LB_PK_BYTES))
		return lb_fail(d, LB_EMALFORMED, "succession: the new key is the old key");
	if ((e = lb_mp_read_uint(r, &s->seq, "succession seq", d)))
		return e;
	if (!s->seq)
		return lb_fail(d, LB_EMALFORMED, "succession seq is 0 (a chain starts at 1)");
	if ((e = lb_mp_read_binn(r, &p, LB_HASH_BYTES, "succession hash", d)))
		return e;
	memcpy(s->hash, p, LB_HASH_BYTES);
	if ((e = lb_mp_read_uint(r, &s->time_ms, "succession time", d)))
		return e;
	lb_signed_name(&m, "succession statement %llu", (unsigned long long)s->n);
	return lb_signed_check(&m, s->signer, expect, NULL, d);
}

void lb_succession_who(const struct lb_succession *s, char out[32])
{
	snprintf(out, 32, "%s %s",
	         lb_region_level(s->region) == LB_REGION_KECAMATAN ? "kecamatan" : "kabupaten",
	         s->region);
}
