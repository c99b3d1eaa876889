/*
 * forward.h — a kecamatan aggregator relaying its villages' signed logs to
 * its kabupaten (docs/DESIGN.md "Tiers"): the upstreams it forwards to, one
 * forwarding pass, and a forwarding thread for `serve --forward`.
 *
 * An upstream is remembered like a village's remote (node/remote.h: name,
 * URL, key, checked by lb_remote_check) in the store's meta database:
 *
 *   "upstream/" NAME                          -> key (32) || URL
 *   "upfork/" upstream key (32) || origin (32) || seq (8)
 *                                             -> BLAKE2b of the fork evidence
 *                                                delivered to that upstream
 *
 * A pass, for every upstream: first the enrolment statements it lacks
 * (lb_agg_send_statements, agg/tree.c), then for every village held whose
 * replica is ahead of the newest receipt that upstream gave for it,
 * lb_push_run over the replica source (relay.h): the village's own entries
 * and heads, byte for byte, cut by the one change-set builder; the
 * upstream's receipts are checked and kept in `uprcpt`.  Then each proven
 * fork held for the village and not yet delivered there goes up as the
 * rival change set (the rival's entries from the first differing seq and
 * its signed head, built by lb_changeset_build over the evidence): the
 * upstream proves the fork itself (its 409 fork answer = delivered).
 */
#ifndef LB_AGG_FORWARD_H
#define LB_AGG_FORWARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../node/remote.h"
#include "../sync/push.h"
#include "agg.h"

/* Remember upstream r (r->name, r->url and its key, which is required):
 * added or replaced.  LB_EINVAL naming what is wrong (as a remote's), or
 * for an upstream whose key is this aggregator's own; LB_ESTORE. */
lb_err lb_agg_upstream_set(struct lb_agg *a, const struct lb_remote *r, struct lb_diag *d);

/* Forget upstream `name` (the receipts it gave stay).  LB_ENOTFOUND. */
lb_err lb_agg_upstream_del(struct lb_agg *a, const char *name, struct lb_diag *d);

/* Every upstream in name order; r borrowed for the call; cb returns
 * non-zero to stop and must not call other lb_agg functions.  *count (may
 * be NULL) gets how many.  LB_ESTORE. */
typedef int (*lb_agg_upstream_cb)(void *ctx, const struct lb_remote *r);
lb_err lb_agg_upstreams(struct lb_agg *a, lb_agg_upstream_cb cb, void *ctx, size_t *count,
                        struct lb_diag *d);

/* What one pass did. */
struct lb_agg_fwd_stats {
	unsigned upstreams; /* configured */
	unsigned reached;   /* of those, answered */
	uint64_t villages;  /* villages that had something to send */
	uint64_t entries;   /* entries sent and acknowledged */
	uint64_t accepted;  /* of those, new to the upstream */
	uint64_t receipts;  /* upstream receipts checked and kept */
	uint64_t refused;   /* villages refused (or failed) at an upstream */
	uint64_t forks;     /* fork evidence delivered */
	uint64_t statements;/* enrolment statements sent */
	uint64_t catalogues;         /* upstream catalogues that took entries (catalogue.h) */
	uint64_t catalogue_entries;  /* entries they took */
	uint64_t catalogues_refused; /* refused: the last good one kept */
	uint64_t catalogue_up;       /* entries of our own catalogue sent up */
};

/* One village's outcome at one upstream (for the CLI's lines): e is LB_OK
 * or the error, msg its words (escaped), st what moved.  fork: this line is
 * about fork evidence at seq st->seq. */
struct lb_agg_fwd_event {
	const char *upstream;        /* its name */
	const char *village;         /* desa code */
	const uint8_t *origin;
	bool fork;
	lb_err e;
	const char *msg;
	const struct lb_push_stats *st;
};
typedef void (*lb_agg_fwd_cb)(void *ctx, const struct lb_agg_fwd_event *ev);

struct lb_agg_fwd_opts {
	lb_agg_fwd_cb on_village; /* or NULL */
	void *ctx;
	long stall_s;             /* 0: push.h's default */
	size_t max_bytes;         /* largest change set; 0: push.h's default */
	FILE *log;                /* one line per request (push.h), or NULL */
	const atomic_int *stop;   /* or NULL: non-zero ends a pass between villages */
};

struct lb_agg_fwd;

/* A forwarder for a (borrowed; it must outlive f).  Its pushers (one per
 * upstream, adaptive size carried between passes) are made at the first
 * pass and follow changes to the upstreams.  LB_ENOMEM; LB_EINVAL on a
 * read-only handle. */
lb_err lb_agg_fwd_new(struct lb_agg_fwd **out, struct lb_agg *a, const struct lb_agg_fwd_opts *o,
                      struct lb_diag *d);
void lb_agg_fwd_free(struct lb_agg_fwd *f);

/* One pass over every upstream (see the file comment).  A village refused
 * at an upstream is reported (on_village) and counted, and the others go
 * on.  Errors: LB_ENOTFOUND (no upstream configured), LB_ENET (an upstream
 * could not be reached or the link broke: that upstream's pass ended
 * there; the others were still served; worth retrying), store errors. */
lb_err lb_agg_forward(struct lb_agg_fwd *f, struct lb_agg_fwd_stats *st, struct lb_diag *d);

/* The forwarding thread of `serve --forward`: a pass every `every`
 * seconds (change sets of at most max_bytes, 0: the default), and at once
 * after lb_agg_forwarder_kick; while
 * an upstream cannot be reached, passes back off (lb_push_backoff).  It
 * blocks SIGINT and SIGTERM (the main thread takes them).  Lines go to log
 * (escaped).  LB_ENOMEM, and lb_agg_fwd_new's errors. */
struct lb_agg_forwarder;
lb_err lb_agg_forwarder_start(struct lb_agg_forwarder **out, struct lb_agg *a, long every,
                              size_t max_bytes, FILE *log, struct lb_diag *d);
/* New entries arrived: run a pass soon.  Safe from any thread; NULL ok. */
void lb_agg_forwarder_kick(void *forwarder);
/* Stop (a pass in flight ends at its next request), join, free. */
void lb_agg_forwarder_stop(struct lb_agg_forwarder *f);

#endif
