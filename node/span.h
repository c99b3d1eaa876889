/*
 * span.h — the one rule a signed log is cut by for sending: a change set
 * ends at a signed head and holds at most max bytes of stored entries, or,
 * when even the first head after its start is further, runs to that head
 * (a change set must end at a head) and is marked over.  The village's log
 * (lb_node_span, remote.h) and an aggregator's replica (agg/replica.c) walk
 * their own stores and feed each entry here, so both cut alike.
 */
#ifndef LB_SPAN_H
#define LB_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lb_span {
	size_t max;    /* the bound, in stored entry bytes */
	size_t sum;    /* stored bytes of the entries fed so far */
	uint64_t to;   /* the cut: last seq of the change set, 0 while none */
	size_t bytes;  /* stored bytes from the start up to `to` */
	bool over;     /* `to` is the first head and lies past max */
};

/* Start a cut bounded by max bytes.  Cannot fail. */
void lb_span_init(struct lb_span *s, size_t max);

/* Feed the next entry (in seq order from the start): its seq, its stored
 * size, and whether a signed head held by the log ends at it.  Returns
 * false when the cut is final and the walk should stop (this entry is then
 * not part of it unless it is `to`).  Cannot fail. */
bool lb_span_add(struct lb_span *s, uint64_t seq, size_t size, bool head);

#endif
