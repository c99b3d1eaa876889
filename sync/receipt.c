/*
 * receipt.c — the aggregator's signed receipt (see receipt.h).
 */
#include "receipt.h"

#include <stdlib.h>
#include <string.h>

#include "../node/signed.h"
#include "../schema/mp.h"

static const struct lb_signed_kind receipt_kind = {"lumbung-receipt", 1, 7, "receipt"};

lb_err lb_receipt_sign(const struct lb_key *key, const struct lb_receipt *rc, uint8_t **out,
                       size_t *len, struct lb_diag *d)
{
	struct lb_mp_buf b;
	size_t at;

	lb_mp_buf_init(&b);
	at = lb_signed_begin(&b, &receipt_kind);
	lb_mp_put_bin(&b, rc->origin, LB_PK_BYTES);
	lb_mp_put_uint(&b, rc->seq);
	lb_mp_put_bin(&b, rc->hash, LB_HASH_BYTES);
	lb_mp_put_bin(&b, rc->root, LB_HASH_BYTES);
	lb_mp_put_uint(&b, rc->received_ms);
	if (lb_signed_end(&b, at, key)) {
		lb_mp_buf_free(&b);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	*out = (uint8_t *)b.sb.data; /* hand the buffer over */
	*len = b.sb.size;
	return LB_OK;
}

lb_err lb_receipt_open(struct lb_receipt *rc, const void *buf, size_t len,
                       const uint8_t agg_pk[LB_PK_BYTES], struct lb_diag *d)
{
	struct lb_signed m;
	struct lb_mp_rd *r = &m.rd;
	const uint8_t *s;
	lb_err e;

	memset(rc, 0, sizeof *rc);
	if ((e = lb_signed_open(&m, &receipt_kind, buf, len, d)))
		return e;
	if ((e = lb_mp_read_binn(r, &s, LB_PK_BYTES, "receipt origin", d)))
		return e;
	memcpy(rc->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(r, &rc->seq, "receipt seq", d)) ||
	    (e = lb_mp_read_binn(r, &s, LB_HASH_BYTES, "receipt hash", d)))
		return e;
	memcpy(rc->hash, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_binn(r, &s, LB_HASH_BYTES, "receipt tree_root", d)))
		return e;
	memcpy(rc->root, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_uint(r, &rc->received_ms, "receipt time", d)))
		return e;
	/* checked against the key the village remembers, not one it names */
	return lb_signed_check(&m, agg_pk, NULL, "this aggregator's key", d);
}
