/*
 * agg.h — the aggregator's store: enrolment of village keys, one verified
 * replica log per origin, the consolidated view, fork evidence, receipts.
 *
 * LMDB layout (one environment per aggregator directory):
 *
 *   meta      name                -> region, key, format
 *   enroll    origin (32)         -> village code (13) || revoked (1)
 *   origins   origin (32)         -> seq (8) || hash (32) || last seen ms (8)
 *                                    || forks (8) || Merkle frontier
 *   replica   origin || seq (8)   -> stored entry, byte for byte the village's
 *   heads     origin || seq (8)   -> stored signed head
 *   view      village NUL type NUL id -> origin (32) || seq (8)   (live records)
 *   forks     origin || seq (8)   -> our head || their head (evidence)
 *
 * Ingest (lb_agg_ingest) checks, before anything is stored: the change set
 * decodes (bounded); the origin is enrolled, not revoked, and speaks for
 * the village it names; the head is signed by that origin; the entries
 * continue what we hold (no gap); entries we already hold are identical
 * (else: fork, evidence kept); the rebuilt chain ends at the signed hash
 * and the Merkle root matches; every new entry satisfies the schema.  Then
 * replica, view, head and state change in one LMDB transaction, and the
 * aggregator signs a receipt.  Resending what is already held is success.
 *
 * One struct lb_agg per process; calls may come from several threads
 * (the HTTP server's pool): LMDB serialises the write transactions.
 */
#ifndef LB_AGG_H
#define LB_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../node/head.h"
#include "../node/key.h"
#include "../schema/err.h"

struct lb_agg;

/* Create an aggregator for a kabupaten (PP.KK) or kecamatan (PP.KK.CC)
 * region in dir: key pair and store.  pk receives the public key. */
lb_err lb_agg_init(const char *dir, const char *region, uint8_t pk[LB_PK_BYTES],
                   struct lb_diag *d);

/* Open; loads the key (refused if readable by others).  Close with
 * lb_agg_close. */
lb_err lb_agg_open(struct lb_agg **out, const char *dir, struct lb_diag *d);
void lb_agg_close(struct lb_agg *a);

/* Enrol origin as the key of village (inside the region; a key speaks for
 * one village).  Re-enrolling a revoked key restores it.  LB_EINVAL for a
 * village outside the region, LB_EEXIST when the key is enrolled for
 * another village. */
lb_err lb_agg_enroll(struct lb_agg *a, const char *village, const uint8_t origin[LB_PK_BYTES],
                     struct lb_diag *d);
lb_err lb_agg_revoke(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_diag *d);

struct lb_agg_origin {
	uint8_t origin[LB_PK_BYTES];
	char village[LB_VILLAGE_LEN + 1];
	bool revoked;
	uint64_t seq;                /* last accepted, 0 for none */
	uint8_t hash[LB_HASH_BYTES];
	uint64_t last_seen_ms;
	uint64_t forks;
};

/* State of one origin.  LB_EUNKNOWN_ORIGIN when not enrolled. */
lb_err lb_agg_origin(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_agg_origin *o,
                     struct lb_diag *d);

/* Every enrolled origin, in key order. */
typedef int (*lb_agg_origin_cb)(void *ctx, const struct lb_agg_origin *o);
lb_err lb_agg_origins(struct lb_agg *a, lb_agg_origin_cb cb, void *ctx, struct lb_diag *d);

struct lb_agg_result {
	uint64_t seq;                /* our head for the origin after the call */
	uint8_t hash[LB_HASH_BYTES];
	uint64_t accepted;           /* new entries stored */
	uint8_t *receipt;            /* malloc'd signed receipt (free it), or NULL */
	size_t receipt_len;
};

/* Verify and store one change set (see the file comment).  On success r
 * holds the new head and a receipt.  Errors: LB_EMALFORMED, LB_ETOOBIG,
 * LB_EUNKNOWN_ORIGIN, LB_EWRONG_VILLAGE, LB_ESIG, LB_EGAP (r->seq/hash
 * say where we stand), LB_EFORK (evidence stored), LB_ESCHEMA; nothing is
 * stored on any of them except fork evidence. */
lb_err lb_agg_ingest(struct lb_agg *a, const void *body, size_t len, struct lb_agg_result *r,
                     struct lb_diag *d);

/* A receipt is the aggregator's signature over the canonical array
 *   [ "lumbung-receipt", 1, origin, seq, hash, tree_root, received_at_ms ]
 * stored as signature (64) || message, like a head.  lb_receipt_open
 * checks it against the aggregator key agg_pk. */
struct lb_receipt {
	uint8_t origin[LB_PK_BYTES];
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	uint8_t root[LB_HASH_BYTES];
	uint64_t received_ms;
};
lb_err lb_receipt_open(struct lb_receipt *rc, const void *buf, size_t len,
                       const uint8_t agg_pk[LB_PK_BYTES], struct lb_diag *d);

#endif
