/*
 * remote.h — what a node remembers for syncing: its aggregators (remotes)
 * and the signed receipts they returned, plus the read helpers the push
 * client needs to cut the log into change sets.
 *
 * Both live in the node's meta database, in their own key spaces, so they
 * share the node's transactions and backups:
 *
 *   "remote/" NAME                      -> key (32) || URL        (key all
 *                                          zeros: not known yet)
 *   "receipt/" agg key (32) || seq (8)  -> signed receipt bytes, as the
 *                                          aggregator returned them
 *
 * They are not part of the signed log: a remote is local configuration and
 * a receipt is the aggregator's statement, checked before it is kept.
 */
#ifndef LB_REMOTE_H
#define LB_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"

#define LB_REMOTE_NAME_MAX 32
#define LB_REMOTE_URL_MAX 512

struct lb_remote {
	char name[LB_REMOTE_NAME_MAX + 1];
	char url[LB_REMOTE_URL_MAX + 1];
	bool has_key;                /* key is the aggregator's public key */
	uint8_t key[LB_PK_BYTES];
};

/* Is r a valid remote (the rules of lb_remote_set below)?  The one check,
 * also for an aggregator's upstreams (agg/forward.h).  LB_EINVAL naming
 * what is wrong. */
lb_err lb_remote_check(const struct lb_remote *r, struct lb_diag *d);

/* Add or replace remote r->name.  The name is 1..32 of [A-Za-z0-9._-]; the
 * URL must start with http:// or https://.  LB_EINVAL naming what is
 * wrong; LB_ESTORE/LB_EFULL. */
lb_err lb_remote_set(struct lb_node *n, const struct lb_remote *r, struct lb_diag *d);

/* Fill r with remote `name`.  LB_ENOTFOUND when there is none. */
lb_err lb_remote_get(struct lb_node *n, const char *name, struct lb_remote *r, struct lb_diag *d);

/* Forget remote `name` (its receipts stay).  LB_ENOTFOUND when absent. */
lb_err lb_remote_del(struct lb_node *n, const char *name, struct lb_diag *d);

/* Call cb for every remote in name order; r is borrowed for the call.
 * cb returns non-zero to stop.  *count (may be NULL) gets how many were seen. */
typedef int (*lb_remote_cb)(void *ctx, const struct lb_remote *r);
lb_err lb_remote_list(struct lb_node *n, lb_remote_cb cb, void *ctx, size_t *count,
                      struct lb_diag *d);

/* Keep a receipt the aggregator with key agg_pk returned for seq (the caller
 * has checked it).  Storing the same one again is harmless. */
lb_err lb_node_receipt_put(struct lb_node *n, const uint8_t agg_pk[LB_PK_BYTES], uint64_t seq,
                           const void *receipt, size_t len, struct lb_diag *d);

/* The highest seq this node holds a receipt for from agg_pk (0: none);
 * *count (may be NULL) how many receipts it holds from that aggregator. */
lb_err lb_node_receipt_last(struct lb_node *n, const uint8_t agg_pk[LB_PK_BYTES], uint64_t *seq,
                            uint64_t *count, struct lb_diag *d);

/* Cut the log for sending: the largest seq `to` >= from that ends a signed
 * head and whose entries from..to take at most max_bytes (their stored
 * sizes); if even the first head after `from` is further, `to` is that
 * head (a change set must end at a head), and *over is set.  *bytes gets
 * the stored size of from..to.  LB_ENOTFOUND when from is past the tip. */
lb_err lb_node_span(struct lb_node *n, uint64_t from, size_t max_bytes, uint64_t *to,
                    size_t *bytes, bool *over, struct lb_diag *d);

/* The hash of entry seq (seq >= 1).  LB_ENOTFOUND past the tip. */
lb_err lb_node_entry_hash(struct lb_node *n, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                          struct lb_diag *d);

#endif
