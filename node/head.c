/*
 * head.c — encoding, signing and verifying signed heads.
 */
#include "head.h"

#include <string.h>

static void encode_msg(struct lb_mp_buf *b, const struct lb_head *h)
{
	lb_mp_put_array(b, 8);
	lb_mp_put_cstr(b, LB_HEAD_TAG);
	lb_mp_put_uint(b, LB_HEAD_VERSION);
	lb_mp_put_cstr(b, h->village);
	lb_mp_put_bin(b, h->origin, LB_PK_BYTES);
	lb_mp_put_uint(b, h->seq);
	lb_mp_put_bin(b, h->hash, LB_HASH_BYTES);
	lb_mp_put_bin(b, h->root, LB_HASH_BYTES);
	lb_mp_put_uint(b, h->ts);
}

lb_err lb_head_sign(struct lb_mp_buf *out, const struct lb_head *h, const struct lb_key *k)
{
	uint8_t sig[LB_SIG_BYTES] = {0};
	size_t at = out->sb.size;

	/* Reserve the signature slot, encode the message after it, then sign
	 * those exact bytes in place. */
	lb_mp_put_raw(out, sig, sizeof sig);
	encode_msg(out, h);
	if (out->oom)
		return LB_ENOMEM;
	lb_sign(sig, out->sb.data + at + LB_SIG_BYTES, out->sb.size - at - LB_SIG_BYTES, k);
	memcpy(out->sb.data + at, sig, sizeof sig);
	return LB_OK;
}

lb_err lb_head_open(struct lb_head *h, const void *buf, size_t len,
                    const uint8_t *expect_origin, struct lb_diag *d)
{
	const uint8_t *p = buf, *s;
	struct lb_mp_rd r;
	uint32_t n;
	uint64_t ver;
	lb_err e;

	memset(h, 0, sizeof *h);
	if (len < LB_SIG_BYTES + 1)
		return lb_fail(d, LB_EMALFORMED, "signed head: %zu bytes is too short", len);
	lb_mp_rd_init(&r, p + LB_SIG_BYTES, len - LB_SIG_BYTES);
	if ((e = lb_mp_read_array(&r, 8, "signed head", d)) ||
	    (e = lb_mp_read_str(&r, &s, &n, "signed head tag", d)))
		return e;
	if (n != strlen(LB_HEAD_TAG) || memcmp(s, LB_HEAD_TAG, n) != 0)
		return lb_fail(d, LB_EMALFORMED, "signed head: wrong tag (not a lumbung head)");
	if ((e = lb_mp_read_uint(&r, &ver, "signed head version", d)))
		return e;
	if (ver != LB_HEAD_VERSION)
		return lb_fail(d, LB_EMALFORMED, "signed head: unsupported version %llu",
		               (unsigned long long)ver);
	if ((e = lb_mp_read_str(&r, &s, &n, "signed head village", d)))
		return e;
	if (n != LB_VILLAGE_LEN)
		return lb_fail(d, LB_EMALFORMED, "signed head: village code has wrong length");
	memcpy(h->village, s, n);
	h->village[n] = '\0';
	if (lb_region_level(h->village) != LB_REGION_DESA) {
		char esc[LB_ESC_BUF];
		return lb_fail(d, LB_EMALFORMED, "signed head: \"%s\" is not a desa code",
		               lb_escape(esc, h->village, n));
	}
	if ((e = lb_mp_read_binn(&r, &s, LB_PK_BYTES, "signed head origin", d)))
		return e;
	memcpy(h->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(&r, &h->seq, "signed head seq", d)) ||
	    (e = lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "signed head hash", d)))
		return e;
	memcpy(h->hash, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "signed head tree_root", d)))
		return e;
	memcpy(h->root, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_uint(&r, &h->ts, "signed head ts", d)))
		return e;
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "signed head: %zu trailing bytes", lb_mp_rd_left(&r));
	if (expect_origin && memcmp(expect_origin, h->origin, LB_PK_BYTES) != 0)
		return lb_fail(d, LB_ESIG, "signed head for seq %llu is signed by a different key",
		               (unsigned long long)h->seq);
	if (!lb_sig_ok(p, p + LB_SIG_BYTES, len - LB_SIG_BYTES, h->origin))
		return lb_fail(d, LB_ESIG, "signed head for seq %llu: signature does not verify",
		               (unsigned long long)h->seq);
	return LB_OK;
}
