/*
 * adopt.h — make a node's log equal a verified copy of it: the aggregator's
 * replica of this village (restore after the PC died, repair after an old
 * backup was written to) or an archive carried on a stick.
 *
 * The copy is a log archive (node/archive.h, docs/FORMAT.md §9) of this
 * node's village, whole (from seq 1) or a tail (header "from": k).  Every
 * byte is checked before anything is written, against the village's keys
 * and nothing else: the chain rules (node/chain.h), every head's signature
 * by the chain's key, the Merkle roots, the schema of every entry, and any
 * succession (kind 7) — which must be signed by trusted_agg — switching
 * the chain to its new key.  The chain must end signed by this node's own
 * key (so a log of another village, or of an old key the office has not
 * yet succeeded, is refused).  Receipt frames are counted, not kept: the
 * caller checks them against the aggregator it trusts (sync/source.h
 * lb_src_keep_receipt) and keeps them.
 *
 * Then, in one LMDB write transaction (all or nothing):
 *   - entries of ours equal to the copy's are kept;
 *   - from the first seq where ours differs (a fork: an old backup that was
 *     written to), our entries and heads up to our tip are moved to the
 *     evidence (lb_node_forked) and the copy's entries and heads replace
 *     them;
 *   - entries of the copy past our tip are appended with their heads;
 *   - successions are kept (meta "succ/" || seq), the records, the tip and
 *     the Merkle frontier are rebuilt from the log.
 * A copy that ends before our tip and agrees with us changes nothing (we
 * are ahead: push).  A tail must start at most one past our tip, and the
 * entry before it must be ours (else LB_EGAP: fetch from further back).
 */
#ifndef LB_ADOPT_H
#define LB_ADOPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"
#include "key.h"
#include "node.h"

struct lb_adopt_report {
	uint64_t from;          /* the copy's first seq */
	uint64_t last;          /* the copy's last entry (0: it held none) */
	uint64_t last_ts;       /* that entry's time (HLC) */
	uint64_t tip;           /* our tip afterwards */
	uint64_t kept;          /* of the copy's entries, how many we already held */
	uint64_t added;         /* entries taken from the copy */
	uint64_t fork_seq;      /* the first seq where ours differed (0: none) */
	uint64_t forked;        /* our entries moved to evidence */
	uint32_t round;         /* the evidence's round (lb_node_forked), 0: none */
	uint64_t successions;   /* successions taken */
	uint64_t receipts;      /* receipt frames seen (not kept) */
	bool ahead;             /* we hold entries past the copy's end, agreeing with it */
};

/* Adopt the archive read from f (at its start) into n, as the file
 * comment says.  trusted_agg: the one aggregator key whose successions are
 * accepted (NULL: a copy holding a succession is refused, naming its
 * signer).  n must be open for writing.
 * Errors, with nothing written: LB_EMALFORMED (not an archive, bad frames,
 * cut short: no trailer), LB_EWRONG_VILLAGE (another village's log),
 * LB_ESIG (a head not signed by the chain's key, a forged or untrusted
 * succession, a chain ending under another key than ours — the message
 * says which), LB_ECORRUPT (the chain rules: an altered entry, a wrong
 * root...), LB_ESCHEMA, LB_EGAP (a tail that does not reach our log);
 * LB_EFULL, LB_EIO, LB_ESTORE, LB_ENOMEM from the machine.  r is filled
 * on success (and as far as known on error). */
lb_err lb_node_adopt(struct lb_node *n, FILE *f, const uint8_t *trusted_agg,
                     struct lb_adopt_report *r, struct lb_diag *d);

/* lb_node_adopt with flags (lb_node_adopt is flags 0).  For a replica of
 * another party's log (a catalogue, node.h lb_node_init_replica), which has
 * no evidence round and must never go back:
 *   LB_ADOPT_NO_FORK      a copy that differs from what we hold (an entry
 *                         of ours it replaces, or a tail not following our
 *                         entry before it): LB_EFORK, nothing written;
 *   LB_ADOPT_NO_ROLLBACK  a copy that ends before our tip: LB_EREFUSED
 *                         "rollback: the copy ends at seq N, we hold M",
 *                         nothing written.
 * n may be a replica opened with opts.replica (no secret key); the copy's
 * chain must end under the replica's key (its node.pub). */
#define LB_ADOPT_NO_FORK 1u
#define LB_ADOPT_NO_ROLLBACK 2u
lb_err lb_node_adopt_ex(struct lb_node *n, FILE *f, const uint8_t *trusted_agg, unsigned flags,
                        struct lb_adopt_report *r, struct lb_diag *d);

/* The evidence of fork rounds: db "forked", key round (u32 BE) || kind
 * (1: 'e' entry, 'h' head) || seq (u64 BE) -> stored bytes.  cb gets every
 * item of round (0: every round) in key order; bytes borrowed for the call;
 * cb returns non-zero to stop.  LB_ESTORE. */
typedef int (*lb_forked_cb)(void *ctx, uint32_t round, bool head, uint64_t seq,
                            const uint8_t *raw, size_t len);
lb_err lb_node_forked(struct lb_node *n, uint32_t round, lb_forked_cb cb, void *ctx,
                      struct lb_diag *d);

/* The successions this node's chain crossed, in seq order (meta "succ/"
 * || seq (u64 BE) -> stored statement); cb returns non-zero to stop.
 * LB_ESTORE. */
typedef int (*lb_succ_cb)(void *ctx, uint64_t seq, const uint8_t *stmt, size_t len);
lb_err lb_node_successions(struct lb_node *n, lb_succ_cb cb, void *ctx, struct lb_diag *d);

#endif
