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
 *                                          [ || NUL || CA PEM ]  (pinned
 *                                          for https; rows stored before
 *                                          CAs existed have none)
 *   "receipt/" agg key (32) || seq (8)  -> signed receipt bytes, as the
 *                                          aggregator returned them (a
 *                                          remote's, or an upstream's that
 *                                          the remote handed down)
 *   "upstream/" NAME "/" key (32)       -> state (1): 'p' pinned by the
 *                                          office or confirmed by the
 *                                          operator, 'l' learnt from the
 *                                          remote's answer, not trusted
 *
 * An upstream key belongs to an aggregator above a remote (the kabupaten
 * above a kecamatan): the remote hands its receipts down.  Only a pinned
 * key's receipts are checked and kept.  A node made before upstream keys
 * existed simply has no such rows.
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
#define LB_REMOTE_CA_MAX 8192 /* bytes of a pinned CA's PEM text */

struct lb_remote {
	char name[LB_REMOTE_NAME_MAX + 1];
	char url[LB_REMOTE_URL_MAX + 1];
	bool has_key;                /* key is the aggregator's public key */
	uint8_t key[LB_PK_BYTES];
	char cacert[LB_REMOTE_CA_MAX + 1]; /* PEM certificate(s) trusted for its https URL
	                                      (a private CA, or the server's own
	                                      certificate) instead of the system's;
	                                      "": the system's */
};

/* Read the PEM file path into r->cacert (--cacert FILE).  Errors, each
 * naming the file: LB_EIO (cannot be read), LB_ETOOBIG (over
 * LB_REMOTE_CA_MAX bytes), LB_EINVAL (no "-----BEGIN CERTIFICATE-----" in
 * it, or a NUL byte). */
lb_err lb_remote_read_ca(struct lb_remote *r, const char *path, struct lb_diag *d);

/* A remote's stored value (the row layout above, shared by a node's
 * remotes and an aggregator's upstreams, agg/forward.h): encode into
 * v (LB_REMOTE_VAL_MAX bytes), returning its length; decode v[0..len)
 * into r's url, key, has_key and cacert (r->name untouched), false when it
 * is not a remote's value.  A value without the NUL (stored before CAs
 * existed) has no CA. */
#define LB_REMOTE_VAL_MAX (LB_PK_BYTES + LB_REMOTE_URL_MAX + 1 + LB_REMOTE_CA_MAX)
size_t lb_remote_encode(const struct lb_remote *r, uint8_t *v);
bool lb_remote_decode(struct lb_remote *r, const void *v, size_t len);

/* Is r a valid remote (the rules of lb_remote_set below)?  The one check,
 * also for an aggregator's upstreams (agg/forward.h).  LB_EINVAL naming
 * what is wrong. */
lb_err lb_remote_check(const struct lb_remote *r, struct lb_diag *d);

/* Add or replace remote r->name.  The name is 1..32 of [A-Za-z0-9._-]; the
 * URL must start with http:// or https://.  LB_EINVAL naming what is
 * wrong; LB_ESTORE/LB_EFULL. */
lb_err lb_remote_set(struct lb_node *n, const struct lb_remote *r, struct lb_diag *d);

/* As lb_remote_set, and in the same transaction forget every upstream key
 * the remote had, then pin the nup keys in up (at most
 * LB_REMOTE_UPSTREAM_MAX; none all zeros or equal to r's own key:
 * LB_EINVAL). */
lb_err lb_remote_add(struct lb_node *n, const struct lb_remote *r,
                     const uint8_t (*up)[LB_PK_BYTES], size_t nup, struct lb_diag *d);

/* Fill r with remote `name`.  LB_ENOTFOUND when there is none. */
lb_err lb_remote_get(struct lb_node *n, const char *name, struct lb_remote *r, struct lb_diag *d);

/* Forget remote `name` and its upstream keys (its receipts stay).  LB_ENOTFOUND when absent. */
lb_err lb_remote_del(struct lb_node *n, const char *name, struct lb_diag *d);

/* Call cb for every remote in name order; r is borrowed for the call.
 * cb returns non-zero to stop.  *count (may be NULL) gets how many were seen. */
typedef int (*lb_remote_cb)(void *ctx, const struct lb_remote *r);
lb_err lb_remote_list(struct lb_node *n, lb_remote_cb cb, void *ctx, size_t *count,
                      struct lb_diag *d);

/* ---- upstream keys ---- */

#define LB_REMOTE_UPSTREAM_MAX 8 /* keys remembered per remote */

struct lb_upstream {
	uint8_t key[LB_PK_BYTES];
	bool pinned; /* false: learnt from the remote, not trusted yet */
};

/* Fill up[0..*count) with remote `name`'s upstream keys in key order
 * (*count 0 when it has none, or for a node older than upstream keys).
 * Errors: LB_EINVAL (bad name), LB_ESTORE. */
lb_err lb_remote_upstreams(struct lb_node *n, const char *name,
                           struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX], size_t *count,
                           struct lb_diag *d);

/* Remember `key`, named by remote `name` as its upstream, as learnt (not
 * trusted).  *added (may be NULL) is set when it was not known before; a
 * key already known (learnt or pinned) stays as it is.  Errors:
 * LB_ENOTFOUND (no such remote), LB_EINVAL (an all-zero key, or the
 * remote's own key), LB_ETOOBIG (the remote already has
 * LB_REMOTE_UPSTREAM_MAX keys: nothing learnt), LB_ESTORE/LB_EFULL. */
lb_err lb_remote_learn(struct lb_node *n, const char *name, const uint8_t key[LB_PK_BYTES],
                       bool *added, struct lb_diag *d);

/* The operator confirms a learnt upstream key of remote `name`: from now
 * on its receipts are checked and kept.  Confirming a pinned key is
 * harmless.  LB_ENOTFOUND when the remote has not named that key (pin it
 * with lb_remote_add instead), LB_ESTORE/LB_EFULL. */
lb_err lb_remote_confirm(struct lb_node *n, const char *name, const uint8_t key[LB_PK_BYTES],
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
