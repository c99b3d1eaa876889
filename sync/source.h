/*
 * source.h — a signed log to send upward: a village node's own log, or an
 * aggregator's verified replica of a village's log (a kecamatan relaying
 * to its kabupaten, agg/relay.c).  The one change-set builder
 * (lb_changeset_build) and the one push client (lb_push_run) read either
 * through this table, so what a relay sends is byte for byte what the
 * village signed and cut by the same rules.
 *
 * Every function returns an lb_err and fills d on error; the bytes handed
 * to callbacks are borrowed for the call.
 */
#ifndef LB_SOURCE_H
#define LB_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../node/node.h"

struct lb_src_info {
	char village[LB_VILLAGE_LEN + 1];
	char name[LB_NODE_NAME_MAX + 1]; /* the village's name, "" when unknown */
	uint8_t origin[LB_PK_BYTES];     /* the village's key */
	uint64_t seq;                    /* last entry held (the tip), 0: none */
};

struct lb_src_ops {
	/* Who the log belongs to and its tip. */
	lb_err (*info)(void *ctx, struct lb_src_info *i, struct lb_diag *d);
	/* As lb_node_span: the largest `to` >= from ending a signed head held
	 * by this source within max_bytes of stored entries (or the first
	 * head after from, *over set).  LB_ENOTFOUND when from is past the tip. */
	lb_err (*span)(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
	               bool *over, struct lb_diag *d);
	/* Stored entries from..to in order, to cb (non-zero from cb stops). */
	lb_err (*entries)(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
	                  struct lb_diag *d);
	/* The stored signed head ending at seq, malloc'd (the caller frees).
	 * LB_ENOTFOUND when no head held ends at seq. */
	lb_err (*head)(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d);
	/* The hash of entry seq.  LB_ENOTFOUND past the tip. */
	lb_err (*entry_hash)(void *ctx, uint64_t seq, uint8_t hash[LB_HASH_BYTES], struct lb_diag *d);
	/* The highest seq a receipt from agg is kept for (0: none). */
	lb_err (*receipt_last)(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t *seq,
	                       struct lb_diag *d);
	/* Keep a receipt from agg for seq, already checked (lb_src_keep_receipt). */
	lb_err (*receipt_put)(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t seq,
	                      const void *receipt, size_t len, struct lb_diag *d);
};

struct lb_src {
	const struct lb_src_ops *ops;
	void *ctx;
};

/* The source for a village node's own log (n borrowed; it must outlive s). */
void lb_src_node(struct lb_src *s, struct lb_node *n);

/* Check a receipt that the aggregator with key agg_key signed for seq of
 * s's log, then keep it (ops->receipt_put).  Everything it says must hold:
 * the signature verifies against agg_key, and it names s's origin, seq,
 * the hash of entry seq and the Merkle root of s's own signed head at seq.
 * Errors: LB_ESIG (a bad signature, or a receipt naming another origin,
 * seq, hash or root: the message says which), LB_EREFUSED (not a receipt,
 * or seq ends no signed head held by s), source errors (LB_ENOTFOUND past
 * the tip).  Nothing is kept on any error. */
lb_err lb_src_keep_receipt(const struct lb_src *s, const uint8_t agg_key[LB_PK_BYTES],
                           uint64_t seq, const void *receipt, size_t len, struct lb_diag *d);

/* The receipt frames of a log archive (node/archive.h) read from f (from
 * its start) that agg_key signed: each checked and kept as
 * lb_src_keep_receipt does.  *kept counts those kept, *refused those that
 * did not check (the first one's reason in why, which may be NULL): an
 * archive's log is proven on its own, so a bad receipt is not an error of
 * the whole.  Errors: the archive reader's (LB_EMALFORMED, LB_EIO), the
 * source's. */
#include <stdio.h>
lb_err lb_src_keep_archive_receipts(const struct lb_src *s, FILE *f,
                                    const uint8_t agg_key[LB_PK_BYTES], uint64_t *kept,
                                    uint64_t *refused, struct lb_diag *why, struct lb_diag *d);

#endif
