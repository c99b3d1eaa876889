/*
 * push.h — the village side of sync: send this node's log to an aggregator
 * over HTTP (libcurl), DESIGN §5.
 *
 * One pass (lb_push_run) asks the aggregator where it stands
 * (GET /v1/origins/{origin}), checks that what it holds is a prefix of our
 * log, then POSTs change sets (wire.h) of consecutive entries, each ending
 * at a signed head and bounded in bytes, until the aggregator holds our tip.
 * Every reply is checked: the aggregator's new seq and hash must be ours,
 * and its signed receipt must verify against its key (when the key is
 * known) before the receipt is kept in the node (remote.h).
 *
 * Each change set travels in the best form the aggregator advertises (the
 * `accept` field of its position answer, envelope.h): compressed when it
 * accepts "zstd", and sealed to its key when the key is known and it
 * accepts "sealed"; plain to an aggregator that advertises nothing.  The
 * options no_compress and no_seal turn either off.
 *
 * The change-set size adapts: it halves after a failed request (down to
 * LB_PUSH_MIN_BYTES) and doubles after a success (up to the configured
 * maximum), so a flaky link gets small requests that can get through and
 * a good one gets large requests that are cheap per entry.  The size lives
 * in the pusher and so carries over between passes of `lumbung sync`.  It
 * bounds the bytes on the wire: a compressed change set is cut at up to
 * LB_PUSH_CUT_FACTOR times the bound of stored bytes, and cut again at
 * half its stored size while its wrapped body is over the bound (a single
 * signed head larger than the bound still goes alone).
 *
 * A stalled link is abandoned, not waited on: libcurl's connect timeout and
 * its low-speed limit (fewer than stall_bytes/s for stall_s seconds) end
 * the request with LB_ENET.
 */
#ifndef LB_PUSH_H
#define LB_PUSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../node/node.h"
#include "../schema/mp.h"
#include "source.h"

#define LB_PUSH_MIN_BYTES (8u << 10)
#define LB_PUSH_DEFAULT_BYTES (256u << 10) /* about 30 s on a 64 kbit/s 2G link */
#define LB_PUSH_MAX_BYTES (16u << 20)
#define LB_PUSH_CUT_FACTOR 4 /* compressed: stored bytes cut per wire byte of bound */

struct lb_push_opts {
	const char *url;            /* base URL of the aggregator, e.g. http://10.0.0.5:8080 */
	const char *cacert;         /* PEM trusted for an https url instead of the system's
	                               CAs (the remote's pinned CA, node/remote.h), or
	                               NULL / "": the system's */
	const uint8_t *agg_key;     /* its public key (32 bytes) or NULL: receipts unchecked */
	size_t start_bytes;         /* first change-set bound; 0: LB_PUSH_DEFAULT_BYTES */
	size_t max_bytes;           /* largest bound; 0: LB_PUSH_MAX_BYTES */
	long connect_timeout_s;     /* 0: 15 */
	long stall_s;               /* 0: 30; abandon below stall_bytes/s for this long */
	long stall_bytes;           /* 0: 64 */
	FILE *log;                  /* one line per request, or NULL */
	const uint8_t *relay_key;   /* a relaying aggregator's own key (32 bytes), named
	                               in LB_WIRE_RELAY_HEADER so the receiver can show
	                               the route; NULL for a village pushing its own log */
	/* Receipts of the aggregators above this one (a kabupaten above a
	 * kecamatan), handed down in its position answer (the optional `up`
	 * field of GET /v1/origins/{o}, docs/FORMAT.md).  Called once for each,
	 * after that answer was found consistent with our log; key and receipt
	 * are borrowed for the call.  Whether to trust the key and keep the
	 * receipt is the caller's policy (lb_src_keep_receipt checks it); a
	 * non-zero return ends the pass with that error.  NULL: ignored. */
	lb_err (*on_upstream)(void *ctx, const uint8_t key[LB_PK_BYTES], uint64_t seq,
	                      const uint8_t *receipt, size_t len, struct lb_diag *d);
	void *upstream_ctx;
	/* How far a pass is, for a progress display: called once the
	 * aggregator's position is known and after every change set it
	 * accepted, with done = entries it now holds beyond where it stood at
	 * the start of the pass and total = our tip minus that (the tip as last
	 * read: entries written during the pass raise it).  NULL: not called. */
	void (*on_progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	bool no_compress;           /* send plain change sets even when zstd is accepted */
	bool no_seal;               /* do not seal even when the key is known (debugging) */
};

#define LB_PUSH_ACCEPT_MAX 16 /* items of `accept` read from one answer */

#define LB_PUSH_UP_MAX 16 /* upstream receipts read from one answer */

struct lb_push_stats {
	bool reached;         /* the aggregator answered where it stands */
	uint64_t remote_seq;  /* where the aggregator stood before */
	uint64_t seq;         /* where it stands now */
	uint64_t entries;     /* entries sent and acknowledged */
	uint64_t accepted;    /* of those, new to the aggregator (others had
	                         reached it already, e.g. from another pusher) */
	uint64_t changesets;  /* change sets sent */
	uint64_t wire_bytes;  /* request bodies sent, as on the wire (compressed/sealed) */
	uint64_t plain_bytes; /* the same change sets' plain size */
	bool compressed;      /* the change sets went compressed */
	bool sealed;          /* and sealed to the aggregator's key */
	uint64_t receipts;    /* receipts checked and kept */
};

struct lb_pusher;

/* Make a pusher for o (copied; url and agg_key too).  LB_ENOMEM,
 * LB_EINVAL for a bad URL. */
lb_err lb_pusher_new(struct lb_pusher **out, const struct lb_push_opts *o, struct lb_diag *d);
void lb_pusher_free(struct lb_pusher *p);

/* The change-set bound the next request will use. */
size_t lb_pusher_bytes(const struct lb_pusher *p);

/* Push until the aggregator holds the tip of log s, a node's own
 * (lb_src_node) or a replica relayed (LB_OK; st says what moved).
 * Errors: LB_ENET (unreachable, cut or stalled; worth retrying),
 * LB_EUNKNOWN_ORIGIN / LB_EWRONG_VILLAGE / LB_ESIG / LB_ESCHEMA /
 * LB_EMALFORMED / LB_ETOOBIG (the aggregator refused; its reason in d),
 * LB_EFORK (the aggregator holds a different history than ours),
 * LB_EREFUSED (an answer we cannot use, e.g. a receipt that does not
 * verify, a malformed answer (also a malformed `up` field: more than
 * LB_PUSH_UP_MAX items, an item without key bin32, seq uint and receipt
 * bin; an `accept` that is not an array of at most LB_PUSH_ACCEPT_MAX
 * strings), or a server error), node errors, on_upstream's errors.  Entries accepted before an
 * error stay accepted; st counts them. */
lb_err lb_push_run(struct lb_pusher *p, const struct lb_src *s, struct lb_push_stats *st,
                   struct lb_diag *d);

/* One other request to the same aggregator on the pusher's connection:
 * GET path when body is NULL, else POST body (msgpack).  *status gets the
 * HTTP status and *reply the answer's bytes, borrowed from p until its next
 * request (at most 1 MiB).  LB_ENET when the exchange did not complete,
 * LB_EREFUSED for a reply too large. */
lb_err lb_pusher_call(struct lb_pusher *p, const char *path, const void *body, size_t len,
                      long *status, const uint8_t **reply, size_t *reply_len, struct lb_diag *d);

/* Name origin in the pusher's POST headers (LB_WIRE_ORIGIN_HEADER, and
 * the relay's key when it has one) for lb_pusher_call: lb_push_run does
 * this itself; a relay sending other change sets of a village (fork
 * evidence) calls it first.  LB_ENOMEM. */
lb_err lb_pusher_origin(struct lb_pusher *p, const uint8_t origin[LB_PK_BYTES], struct lb_diag *d);

/* An aggregator's refusal ({code, message}, any status) as our error with
 * its words, prefixed by what we were doing: the stable code's error
 * (LB_EREFUSED for a 5xx or no code).  Use on a reply of lb_pusher_call
 * whose status is not a success. */
lb_err lb_push_refusal(long status, const uint8_t *reply, size_t len, const char *what,
                       struct lb_diag *d);

/* Encode into out (reset first) the change set of s's entries from `from`
 * up to the last signed head within max_bytes (at least one head's worth,
 * see lb_node_span); *to gets its last seq and last_hash that entry's hash
 * (may be NULL).  LB_ENOTFOUND when from is past the tip.  The one
 * change-set builder: push sends its bytes, `lumbung changeset` writes them
 * to a file for a USB stick, and a kecamatan builds its relayed change sets
 * and bundles with it from a replica. */
lb_err lb_changeset_build(const struct lb_src *s, uint64_t from, size_t max_bytes,
                          struct lb_mp_buf *out, uint64_t *to, uint8_t *last_hash,
                          struct lb_diag *d);

/* lb_src_keep_receipt for node n's own log (lb_src_node).  Check a
 * receipt that the aggregator with key agg_key returned for seq, then keep
 * it in n (lb_node_receipt_put).  Everything it says must hold:
 * the signature verifies against agg_key, and it names this node's origin,
 * seq, the hash of this node's entry seq and the Merkle root of this node's
 * own signed head at seq.  Errors: LB_ESIG (a bad signature, or a receipt
 * naming another origin, seq, hash or root: the message says which),
 * LB_EREFUSED (not a receipt, or seq ends no signed head of n), node
 * errors (LB_ENOTFOUND when seq is past the tip).  Nothing is kept on any
 * error.  push calls it for every acceptance. */
lb_err lb_push_keep_receipt(struct lb_node *n, const uint8_t agg_key[LB_PK_BYTES], uint64_t seq,
                            const void *receipt, size_t len, struct lb_diag *d);

/* The libcurl options every request of ours gets, on the easy handle curl
 * (a CURL *): no signals, errors into errbuf (CURL_ERROR_SIZE bytes), the
 * connect timeout and the stall limit (0 takes the defaults of struct
 * lb_push_opts), our user agent, http and https only, and for https the
 * certificates trusted: cacert (PEM text, copied; the remote's pinned CA)
 * or, when NULL or "", the system's.  The pusher and the other requests
 * (httpc.h) use it.  Cannot fail. */
void lb_push_curl_setup(void *curl, char *errbuf, long connect_timeout_s, long stall_s,
                        long stall_bytes, const char *cacert);

/* A request to base that libcurl could not complete (cc, a CURLcode; its
 * words in errbuf) as our error: a certificate the client does not trust,
 * or a TLS handshake that failed, is LB_EREFUSED, said in our words with
 * what to do (pin the CA with --cacert), curl's detail after them;
 * anything else LB_ENET with curl's words (an http:// URL that got no
 * answer at all also says to try https://).  Returns the code. */
lb_err lb_push_curl_fail(int cc, const char *errbuf, const char *base, int base_len,
                         struct lb_diag *d);

/* True for errors where trying again later may succeed. */
bool lb_push_retryable(lb_err e);

/* The wait in seconds before trying again after a failed pass: exponential
 * backoff from 2 s up to 15 min with full jitter (a village's retries must
 * not arrive in lockstep with its neighbours'), reset when the failed pass
 * still made progress.  *failures counts the failed passes in a row (the
 * caller sets it to 0 after a pass that succeeds); it is updated.  The one
 * backoff: `lumbung sync` and a relaying aggregator's forwarding use it. */
long lb_push_backoff(unsigned *failures, bool progress);

#endif
