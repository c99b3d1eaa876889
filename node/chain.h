/*
 * chain.h — the rules a signed history obeys, written once.
 *
 * The node's `lumbung verify`, the aggregator's ingest and `lumbung-audit
 * verify` all feed a history through one struct lb_chain, so an aggregator
 * accepts exactly what an auditor accepts.  Per entry (docs/FORMAT.md §2):
 * its seq is the next one, its prev is the hash of the entry before (32
 * zero bytes for seq 1), its time is strictly after the entry before's.
 * Per signed head (§4): it covers the last entry taken (seq), names the
 * chain's village and origin, signs that entry's hash and time and the
 * RFC 9162 root over entries 1..seq.  Decoding, signatures (lb_head_open)
 * and schemas (lb_entry_check_schema) are checked by the caller before an
 * entry or head is given here; what lies around them (archive frame order,
 * LMDB keys, a change set's framing) is the caller's.
 */
#ifndef LB_CHAIN_H
#define LB_CHAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "../schema/err.h"
#include "entry.h"
#include "head.h"
#include "merkle.h"

/* Which rule the last refused call broke (callers that can say more, e.g.
 * which of two entries was altered, look at it; the message is already in
 * the diag). */
enum lb_chain_fault {
	LB_CHAIN_OK = 0,
	LB_CHAIN_SEQ,          /* the entry is not seq + 1 */
	LB_CHAIN_PREV,         /* its prev is not the hash of entry seq */
	LB_CHAIN_TS,           /* its time is not after entry seq's */
	LB_CHAIN_HEAD_SEQ,     /* the head does not cover the last entry taken */
	LB_CHAIN_HEAD_VILLAGE, /* it names another village */
	LB_CHAIN_HEAD_ORIGIN,  /* it names another origin key */
	LB_CHAIN_HEAD_HASH,    /* it signs another hash */
	LB_CHAIN_HEAD_ROOT,    /* it signs another Merkle root */
	LB_CHAIN_HEAD_TS,      /* it signs another time than its entry's */
	LB_CHAIN_SUCCESSION,   /* a succession that does not fit the chain */
};

struct lb_chain {
	char village[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES];
	uint64_t seq;                /* the last entry taken (0: none) */
	uint64_t ts;                 /* its time (0: none) */
	uint8_t hash[LB_HASH_BYTES]; /* its hash (zeros: none) */
	struct lb_merkle m;          /* over entries 1..seq, when tree */
	bool tree;                   /* m is known: heads' roots are checked */
	enum lb_chain_fault fault;   /* set by every call */
};

/* An empty history of village (a desa code) and origin. */
void lb_chain_init(struct lb_chain *c, const char *village, const uint8_t origin[LB_PK_BYTES]);

/* Continue after entry seq (hash, ts) already checked, with the Merkle
 * frontier over 1..seq (NULL: unknown, so heads' roots are not checked
 * until the caller sets c->m and c->tree). */
void lb_chain_resume(struct lb_chain *c, uint64_t seq, const uint8_t hash[LB_HASH_BYTES],
                     uint64_t ts, const struct lb_merkle *m);

/* Take entry e whose stored bytes hash to hash (leaf: its RFC 9162 leaf
 * hash if already computed, else NULL).  LB_ECORRUPT with "seq N: why"
 * and c->fault when a rule breaks; the chain is then unchanged. */
lb_err lb_chain_entry(struct lb_chain *c, const struct lb_entry *e,
                      const uint8_t hash[LB_HASH_BYTES], const uint8_t *leaf, struct lb_diag *d);

/* Cross a succession (node/succession.h, opened and its signer judged by
 * the caller): from now on heads must name s->new_key.  It must be for
 * this chain's village and current origin, and name the last entry taken
 * (seq and hash) — a succession vouches for exactly the history it names.
 * LB_ECORRUPT "seq N: ..." otherwise (c->fault LB_CHAIN_SUCCESSION), the
 * chain unchanged. */
struct lb_succession;
lb_err lb_chain_succeed(struct lb_chain *c, const struct lb_succession *s, struct lb_diag *d);

/* Check an opened signed head against the entries taken.  LB_ECORRUPT
 * with "seq N: why" and c->fault when a rule breaks. */
lb_err lb_chain_head(struct lb_chain *c, const struct lb_head *h, struct lb_diag *d);

#endif
