/*
 * source.c — a village node as a log source (source.h), and the receipt
 * check every source shares.
 */
#include "source.h"

#include "../node/archive.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../node/remote.h"
#include "receipt.h"

static lb_err node_info(void *ctx, struct lb_src_info *i, struct lb_diag *d)
{
	struct lb_node_info ni;
	lb_err e;

	if ((e = lb_node_info(ctx, &ni, d)))
		return e;
	memcpy(i->village, ni.village, sizeof i->village);
	memcpy(i->name, ni.name, sizeof i->name);
	memcpy(i->origin, ni.origin, LB_PK_BYTES);
	i->seq = ni.seq;
	return LB_OK;
}

static lb_err node_span(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
                        bool *over, struct lb_diag *d)
{
	return lb_node_span(ctx, from, max_bytes, to, bytes, over, d);
}

static lb_err node_entries(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
                           struct lb_diag *d)
{
	return lb_node_log_raw(ctx, from, to, cb, cbctx, d);
}

static lb_err node_head(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d)
{
	return lb_node_head(ctx, seq, head, len, d);
}

static lb_err node_entry_hash(void *ctx, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                              struct lb_diag *d)
{
	return lb_node_entry_hash(ctx, seq, hash, d);
}

static lb_err node_receipt_last(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t *seq,
                                struct lb_diag *d)
{
	return lb_node_receipt_last(ctx, agg, seq, NULL, d);
}

static lb_err node_receipt_put(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t seq,
                               const void *receipt, size_t len, struct lb_diag *d)
{
	return lb_node_receipt_put(ctx, agg, seq, receipt, len, d);
}

static const struct lb_src_ops node_ops = {
	.info = node_info,
	.span = node_span,
	.entries = node_entries,
	.head = node_head,
	.entry_hash = node_entry_hash,
	.receipt_last = node_receipt_last,
	.receipt_put = node_receipt_put,
};

void lb_src_node(struct lb_src *s, struct lb_node *n)
{
	s->ops = &node_ops;
	s->ctx = n;
}

lb_err lb_src_keep_receipt(const struct lb_src *s, const uint8_t agg_key[LB_PK_BYTES],
                           uint64_t seq, const void *receipt, size_t len, struct lb_diag *d)
{
	struct lb_src_info info;
	struct lb_receipt rc;
	struct lb_head h;
	uint8_t hash[LB_HASH_BYTES], *head = NULL;
	size_t head_len;
	lb_err e;

	if ((e = lb_receipt_open(&rc, receipt, len, agg_key, d))) {
		lb_diag_prefix(d, "receipt for seq %llu", (unsigned long long)seq);
		return e == LB_ESIG ? e : LB_EREFUSED;
	}
	if ((e = s->ops->info(s->ctx, &info, d)))
		return e;
	if (sodium_memcmp(rc.origin, info.origin, LB_PK_BYTES))
		return lb_fail(d, LB_ESIG,
		               "the receipt for seq %llu names another village key than this log's; "
		               "not kept",
		               (unsigned long long)seq);
	if (rc.seq != seq)
		return lb_fail(d, LB_ESIG, "the receipt for seq %llu names seq %llu; not kept",
		               (unsigned long long)seq, (unsigned long long)rc.seq);
	if ((e = s->ops->entry_hash(s->ctx, seq, hash, d)))
		return e;
	if ((e = s->ops->head(s->ctx, seq, &head, &head_len, d)))
		return e == LB_ENOTFOUND ? lb_fail(d, LB_EREFUSED,
		                                   "a receipt for seq %llu, which ends no signed head "
		                                   "held here; not kept",
		                                   (unsigned long long)seq)
		                         : e;
	/* the head held at seq: the key it names signed it (a head before a
	 * succession is the old key's; the log's own checks put it there) */
	e = lb_head_open(&h, head, head_len, NULL, d);
	free(head);
	if (e)
		return e;
	if (h.seq != seq || sodium_memcmp(h.hash, hash, LB_HASH_BYTES))
		return lb_fail(d, LB_ECORRUPT, "the signed head held for seq %llu does not cover its "
		               "entry", (unsigned long long)seq);
	if (sodium_memcmp(rc.hash, hash, LB_HASH_BYTES))
		return lb_fail(d, LB_ESIG,
		               "the receipt for seq %llu names another entry hash than this log's; "
		               "not kept",
		               (unsigned long long)seq);
	if (sodium_memcmp(rc.root, h.root, LB_HASH_BYTES))
		return lb_fail(d, LB_ESIG,
		               "the receipt for seq %llu names another Merkle root than this log's "
		               "signed head; not kept",
		               (unsigned long long)seq);
	return s->ops->receipt_put(s->ctx, agg_key, seq, receipt, len, d);
}

lb_err lb_src_keep_archive_receipts(const struct lb_src *s, FILE *f,
                                    const uint8_t agg_key[LB_PK_BYTES], uint64_t *kept,
                                    uint64_t *refused, struct lb_diag *why, struct lb_diag *d)
{
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	lb_err e;

	*kept = *refused = 0;
	rewind(f);
	if ((e = lb_lla_reader_open(&rd, f, d))) {
		lb_lla_reader_close(&rd);
		return e;
	}
	while (!(e = lb_lla_next(&rd, &fr, d))) {
		struct lb_receipt rc;
		struct lb_diag d2 = {0};
		lb_err e2;

		if (fr.kind != LB_LLA_RECEIPT || memcmp(fr.a, agg_key, LB_PK_BYTES))
			continue;
		if ((e2 = lb_receipt_open(&rc, fr.b, fr.blen, agg_key, &d2)) ||
		    (e2 = lb_src_keep_receipt(s, agg_key, rc.seq, fr.b, fr.blen, &d2))) {
			if (!*refused && why)
				lb_fail(why, e2, "%s", lb_diag_msg(&d2, e2));
			(*refused)++;
			continue;
		}
		(*kept)++;
	}
	lb_lla_reader_close(&rd);
	return e == LB_ENOTFOUND ? LB_OK : e;
}
