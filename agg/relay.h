/*
 * relay.h — an aggregator as a storing relay (a kecamatan below its
 * kabupaten, docs/DESIGN.md "Tiers"): its verified replica of a village's
 * log read as a log source, so the one change-set builder and push client
 * (sync/) forward byte for byte what the village signed; and the receipts
 * its upstream aggregators signed for those logs, kept to hand down to the
 * villages.
 *
 * LMDB (agg.h's environment): `uprcpt`  upstream key (32) || origin (32)
 * -> seq (8 BE) || the upstream's signed receipt, the newest one kept (a
 * receipt for a lower seq never replaces a higher one).
 */
#ifndef LB_AGG_RELAY_H
#define LB_AGG_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "../sync/source.h"
#include "agg.h"

struct lb_agg_src;

/* A log source over a's replica of origin (see sync/source.h): info from
 * the origin's state (village, name from the directory, tip), spans end
 * only at heads the replica holds, entries and heads as stored.  Its
 * receipt_put keeps an upstream's receipt in `uprcpt` (after
 * lb_src_keep_receipt checked it).  Each call reads its own transaction,
 * so a pass sees ingest's new entries.  *out is freed with
 * lb_agg_src_free; s borrows a, which must outlive it.  Errors:
 * LB_EUNKNOWN_ORIGIN (origin not enrolled), LB_ENOMEM, LB_ESTORE. */
lb_err lb_agg_replica_src(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES],
                          struct lb_agg_src **out, struct lb_diag *d);
void lb_agg_src_get(struct lb_agg_src *s, struct lb_src *out);
void lb_agg_src_free(struct lb_agg_src *s);

/* The newest receipt upstream gave for origin: *seq and a malloc'd copy
 * in *receipt (caller frees).  LB_ENOTFOUND when none is held; LB_ESTORE. */
lb_err lb_agg_up_receipt(struct lb_agg *a, const uint8_t upstream[LB_PK_BYTES],
                         const uint8_t origin[LB_PK_BYTES], uint64_t *seq, uint8_t **receipt,
                         size_t *len, struct lb_diag *d);

/* Every upstream's newest receipt for origin, in upstream key order, from
 * one read transaction; bytes borrowed for the call; cb returns non-zero
 * to stop and must not call other lb_agg functions.  LB_ESTORE. */
typedef int (*lb_agg_up_cb)(void *ctx, const uint8_t upstream[LB_PK_BYTES], uint64_t seq,
                            const uint8_t *receipt, size_t len);
lb_err lb_agg_up_receipts(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], lb_agg_up_cb cb,
                          void *ctx, struct lb_diag *d);

/* A receipt upstream signed (e.g. carried back on a USB stick): opened
 * with upstream's key, checked against a's replica of the origin it names
 * (lb_src_keep_receipt: seq, entry hash, Merkle root of a held head), then
 * kept.  Errors: LB_ESIG / LB_EREFUSED as lb_src_keep_receipt,
 * LB_EMALFORMED (not a receipt), LB_EUNKNOWN_ORIGIN (a village a does not
 * hold), LB_ENOTFOUND (a seq past what a holds), LB_ESTORE. */
lb_err lb_agg_keep_up_receipt(struct lb_agg *a, const uint8_t upstream[LB_PK_BYTES],
                              const void *receipt, size_t len, struct lb_diag *d);

#endif
