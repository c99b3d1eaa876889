/*
 * repair.h — close a fork after an old backup was written to.
 *
 * A node restored from an old local backup and written to has signed a
 * history that differs from the one the aggregator holds (sync fails with
 * "histories have forked").  The repair (`lumbung repair`) has three steps:
 *
 *   1. lb_node_adopt (adopt.h) makes the node's log equal the aggregator's
 *      copy; our entries from the fork seq on are moved to the evidence
 *      (db "forked", one round per repair);
 *   2. lb_repair_begin writes the marker meta "repair/pending" for that
 *      round (its own transaction, right after the adopt);
 *   3. lb_repair_apply re-applies the changes of the round's entries as new
 *      entries after the adopted tip, in seq order, one transaction each
 *      (lb_node_write): a put whose body already holds is skipped
 *      (LB_WRITE_SKIP_UNCHANGED), each change is checked against the
 *      schema and the state as it is now, and one that cannot be applied
 *      is a conflict: reported, not written, and the repair goes on.  The
 *      marker records how far it got, so an interrupted repair is resumed
 *      by calling lb_repair_apply again; it is removed after the last
 *      change.
 *
 * Marker value: round (u32 BE) || base (u64 BE: our tip right after the
 * adopt) || next (u64 BE: the seq of the next evidence entry to apply).
 */
#ifndef LB_REPAIR_H
#define LB_REPAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"
#include "entry.h"
#include "node.h"

#define LB_REPAIR_MARKER "repair/pending"

struct lb_repair_state {
	uint32_t round; /* the evidence round being re-applied */
	uint64_t base;  /* the tip right after the adopt */
	uint64_t next;  /* the next evidence seq to re-apply */
};

/* Read the marker: *pending false (and st zeroed) when there is none.
 * LB_ECORRUPT for a marker of the wrong size, LB_ESTORE. */
lb_err lb_repair_pending(struct lb_node *n, bool *pending, struct lb_repair_state *st,
                         struct lb_diag *d);

/* Write the marker for round, base = the node's tip now, next = 0 (from
 * the round's first entry).  n open for writing.  LB_EINVAL (round 0,
 * read-only), LB_EFULL, LB_ESTORE. */
lb_err lb_repair_begin(struct lb_node *n, uint32_t round, struct lb_diag *d);

/* Write the marker as st says (st NULL: remove it), in its own write
 * transaction: lb_repair_begin and lb_repair_apply use it; exposed for
 * tests that stage an interrupted repair.  LB_EINVAL (read-only),
 * LB_EFULL, LB_ESTORE. */
lb_err lb_repair_mark(struct lb_node *n, const struct lb_repair_state *st, struct lb_diag *d);

/* One change of the evidence that could not be applied.  Borrowed for the
 * call.  reason: why (the write's message, e.g. "already deleted"). */
struct lb_repair_conflict {
	uint64_t seq; /* its seq in the evidence */
	enum lb_op op;
	const char *type;
	size_t type_len;
	const char *id;
	size_t id_len;
	lb_err code;  /* LB_ESCHEMA, LB_ENOTFOUND, LB_EMALFORMED... */
	const char *reason;
};
typedef void (*lb_repair_conflict_cb)(void *ctx, const struct lb_repair_conflict *c);

struct lb_repair_report {
	uint32_t round;
	uint64_t fork_seq;  /* the round's first evidence seq */
	uint64_t evidence;  /* entries of ours in the round */
	uint64_t applied;   /* changes written now */
	uint64_t unchanged; /* changes whose result already held */
	uint64_t conflicts;
	uint64_t first_seq, last_seq; /* the entries written (0: none) */
};

/* Re-apply the pending round (see the file comment); conflicts go to cb
 * (may be NULL) and are counted in r.  LB_ENOTFOUND when no repair is
 * pending.  Errors of the machine (LB_EFULL, LB_EIO, LB_ESTORE,
 * LB_ENOMEM) stop it with the marker kept: call again to resume.  r may be
 * NULL. */
lb_err lb_repair_apply(struct lb_node *n, lb_repair_conflict_cb cb, void *ctx,
                       struct lb_repair_report *r, struct lb_diag *d);

/* The evidence of round (0: every round) as a log archive on out
 * (docs/FORMAT.md section 9): header (source "node"), per round one fork
 * frame [4, ours, theirs] — ours: the first head of the node's log (the
 * adopted history) at or after the round's first seq K; theirs: the
 * round's last head (our old history) — then the entries K..ours of the
 * log (branch 0) and K..theirs of the evidence (branch 1), trailer.
 * *count (may be NULL) gets the rounds written.  LB_ENOTFOUND when there
 * is no evidence (of that round); LB_ECORRUPT when a round has no head or
 * the log has no head past K; the writer's errors.  The node may be
 * opened read-only. */
lb_err lb_repair_export(struct lb_node *n, uint32_t round, FILE *out, size_t *count,
                        struct lb_diag *d);

#endif
