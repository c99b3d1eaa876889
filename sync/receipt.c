/*
 * receipt.c — the aggregator's signed receipt (see receipt.h).
 */
#include "receipt.h"

#include <stdlib.h>
#include <string.h>

#include "../schema/mp.h"

#define RECEIPT_TAG "lumbung-receipt"

lb_err lb_receipt_sign(const struct lb_key *key, const struct lb_receipt *rc, uint8_t **out,
                       size_t *len, struct lb_diag *d)
{
	struct lb_mp_buf b;
	uint8_t sig[LB_SIG_BYTES] = {0};

	lb_mp_buf_init(&b);
	lb_mp_put_raw(&b, sig, sizeof sig);
	lb_mp_put_array(&b, 7);
	lb_mp_put_cstr(&b, RECEIPT_TAG);
	lb_mp_put_uint(&b, 1);
	lb_mp_put_bin(&b, rc->origin, LB_PK_BYTES);
	lb_mp_put_uint(&b, rc->seq);
	lb_mp_put_bin(&b, rc->hash, LB_HASH_BYTES);
	lb_mp_put_bin(&b, rc->root, LB_HASH_BYTES);
	lb_mp_put_uint(&b, rc->received_ms);
	if (b.oom) {
		lb_mp_buf_free(&b);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	lb_sign(sig, b.sb.data + LB_SIG_BYTES, b.sb.size - LB_SIG_BYTES, key);
	memcpy(b.sb.data, sig, sizeof sig);
	*out = (uint8_t *)b.sb.data; /* hand the buffer over */
	*len = b.sb.size;
	return LB_OK;
}

lb_err lb_receipt_open(struct lb_receipt *rc, const void *buf, size_t len,
                       const uint8_t agg_pk[LB_PK_BYTES], struct lb_diag *d)
{
	const uint8_t *p = buf, *s;
	struct lb_mp_rd r;
	uint32_t n;
	uint64_t ver;
	lb_err e;

	memset(rc, 0, sizeof *rc);
	if (len < LB_SIG_BYTES + 1)
		return lb_fail(d, LB_EMALFORMED, "receipt too short");
	lb_mp_rd_init(&r, p + LB_SIG_BYTES, len - LB_SIG_BYTES);
	if ((e = lb_mp_read_array(&r, 7, "receipt", d)) ||
	    (e = lb_mp_read_str(&r, &s, &n, "receipt tag", d)))
		return e;
	if (n != strlen(RECEIPT_TAG) || memcmp(s, RECEIPT_TAG, n))
		return lb_fail(d, LB_EMALFORMED, "not a lumbung receipt");
	if ((e = lb_mp_read_uint(&r, &ver, "receipt version", d)))
		return e;
	if (ver != 1)
		return lb_fail(d, LB_EMALFORMED, "receipt version %llu unknown", (unsigned long long)ver);
	if ((e = lb_mp_read_binn(&r, &s, LB_PK_BYTES, "receipt origin", d)))
		return e;
	memcpy(rc->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(&r, &rc->seq, "receipt seq", d)) ||
	    (e = lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "receipt hash", d)))
		return e;
	memcpy(rc->hash, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "receipt tree_root", d)))
		return e;
	memcpy(rc->root, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_uint(&r, &rc->received_ms, "receipt time", d)))
		return e;
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "receipt: trailing bytes");
	if (!lb_sig_ok(p, p + LB_SIG_BYTES, len - LB_SIG_BYTES, agg_pk))
		return lb_fail(d, LB_ESIG, "receipt is not signed by this aggregator's key");
	return LB_OK;
}
