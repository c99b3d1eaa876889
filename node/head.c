/*
 * head.c — encoding, signing and verifying signed heads.
 */
#include "head.h"

#include <string.h>

#include "signed.h"

static const struct lb_signed_kind head_kind = {LB_HEAD_TAG, LB_HEAD_VERSION, 8, "signed head"};

lb_err lb_head_sign(struct lb_mp_buf *out, const struct lb_head *h, const struct lb_key *k)
{
	size_t at = lb_signed_begin(out, &head_kind);

	lb_mp_put_cstr(out, h->village);
	lb_mp_put_bin(out, h->origin, LB_PK_BYTES);
	lb_mp_put_uint(out, h->seq);
	lb_mp_put_bin(out, h->hash, LB_HASH_BYTES);
	lb_mp_put_bin(out, h->root, LB_HASH_BYTES);
	lb_mp_put_uint(out, h->ts);
	return lb_signed_end(out, at, k);
}

lb_err lb_head_open(struct lb_head *h, const void *buf, size_t len,
                    const uint8_t *expect_origin, struct lb_diag *d)
{
	struct lb_signed m;
	struct lb_mp_rd *r = &m.rd;
	const uint8_t *s;
	uint32_t n;
	lb_err e;

	memset(h, 0, sizeof *h);
	if ((e = lb_signed_open(&m, &head_kind, buf, len, d)))
		return e;
	if ((e = lb_mp_read_str(r, &s, &n, "signed head village", d)))
		return e;
	if (n > LB_VILLAGE_LEN)
		return lb_fail(d, LB_EMALFORMED, "signed head: village code has wrong length");
	memcpy(h->village, s, n);
	h->village[n] = '\0';
	if (!lb_log_owner_ok(h->village)) {
		char esc[LB_ESC_BUF];
		return lb_fail(d, LB_EMALFORMED, "signed head: \"%s\" is not a desa, kecamatan or "
		               "kabupaten code",
		               lb_escape(esc, h->village, n));
	}
	if ((e = lb_mp_read_binn(r, &s, LB_PK_BYTES, "signed head origin", d)))
		return e;
	memcpy(h->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(r, &h->seq, "signed head seq", d)) ||
	    (e = lb_mp_read_binn(r, &s, LB_HASH_BYTES, "signed head hash", d)))
		return e;
	memcpy(h->hash, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_binn(r, &s, LB_HASH_BYTES, "signed head tree_root", d)))
		return e;
	memcpy(h->root, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_uint(r, &h->ts, "signed head ts", d)))
		return e;
	lb_signed_name(&m, "signed head for seq %llu", (unsigned long long)h->seq);
	/* the key the head names, after the one the caller expects */
	return lb_signed_check(&m, h->origin, expect_origin, NULL, d);
}
