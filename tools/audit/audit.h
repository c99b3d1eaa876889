/*
 * audit.h — checking a village's history without trusting anyone: the
 * streaming verifier of log archives (.lla, node/archive.h) and the
 * history of one record, read from the same archive.
 *
 * What lb_audit_verify checks, frame by frame, in one pass:
 *
 *   header    first frame; a desa code (or the kabupaten/kecamatan
 *             code of an aggregator's catalogue); a whole log (a tail, "from" > 1,
 *             is refused: an auditor needs every entry from seq 1); the
 *             signer is the origin it names (the chain's first key)
 *   entries   each decodes canonically; seq is the previous one + 1 from
 *             1 (continuity); prev is the hash of the entry before
 *             (BLAKE2b-256 recomputed over the exact bytes); timestamps
 *             strictly increase; the body satisfies the schema version the
 *             entry names (lb_schema_validate without references: whether
 *             a referenced record was live needs the replayed state, which
 *             a streaming auditor does not keep)
 *   heads     each right after the entry it covers; signed by the chain's
 *             key at that point (the signer, or a succession's new key);
 *             for the header's village; its hash, Merkle root (RFC 9162,
 *             rebuilt from every entry hash so far) and ts equal what the
 *             entries give; the last entry is covered by a head
 *   receipts  right after the head of the seq they acknowledge, in
 *             strictly rising byte order of their aggregator key (so no
 *             duplicate); signed by the aggregator key they carry
 *             (lb_receipt_open: libsodium's rules, docs/FORMAT.md §0); for
 *             the chain's key (at a succession's seq: the old or the new
 *             one), that seq, its hash and Merkle root.  Whether that key
 *             is trusted is opts.agg_keys' (pinned or unverified).  An
 *             aggregator's archive carries at most one, after its last
 *             head (the exporter's own, FORMAT.md §17)
 *   successions (kind 7, node/succession.h) after the head of the seq they
 *             name (and its receipts), before the next entry, one per seq;
 *             the statement's signature verifies (by one of
 *             opts.agg_keys when given); lb_chain_succeed: this village, the chain's current
 *             key as the old key, the last entry's seq and hash; heads
 *             after it must be signed by its new key.  The signer is
 *             reported (r->succ) for the reader to judge
 *   the key   when opts.key is given, it must be the header's origin or a
 *             key the chain reached through a succession (else LB_ESIG at
 *             frame 1, once the rest verified)
 *   forks     both heads signed by one key of the chain (the signer or a
 *             succession's new key met before), for the header's village;
 *             either of the same seq with different hashes, or with the
 *             entries that follow the fork frame: both histories from the
 *             same point (the prev of their first entries, of one seq),
 *             their first entries differ, and each chains by the rules of
 *             node/chain.h to its signed head (hash, time).  That proves the
 *             village signed two histories at that seq.  Two signed heads of
 *             different seqs without entries prove nothing (the shorter
 *             history may be a prefix of the longer one): such evidence fails.
 *             Evidence comes in strictly rising order of that seq (one per
 *             seq), after the log's frames if there are any (no entry,
 *             head, receipt or succession after a fork frame)
 *   trailer   present (else the file was cut short), last, and its counts
 *             equal what was read
 *
 * A failure stops the pass and names the first bad seq (r->bad_seq) and the
 * frame (r->bad_frame, counted from 1 = the header).  When a prev link breaks
 * between seq k-1 and k the verifier looks one frame ahead, as node/verify.c
 * does: if entry k still chains to what follows, k is intact and k-1 was
 * altered.
 *
 * Memory is bounded whatever the archive's size: frames are checked in
 * batches of at most LB_AUDIT_BATCH_FRAMES frames / LB_AUDIT_BATCH_BYTES
 * bytes, with at most 2 * threads + 2 batches in flight.  With threads > 0
 * the per-frame work that does not depend on order (decoding, entry and
 * Merkle leaf hashes, schema validation, signature checks) runs on worker
 * threads, and the calling thread applies the ordered checks (chain, seq,
 * time, Merkle tree, counts) in file order, so the result, bad seq and
 * message are the same for every thread count.
 *
 * Thread safety: lb_audit_verify starts and joins its own threads and
 * keeps no global state; lb_schema_builtin_init and sodium_init must have
 * been called first (from main).
 */
#ifndef LB_AUDIT_H
#define LB_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "../../node/archive.h"
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../node/succession.h"
#include "../../schema/err.h"
#include "../../sync/receipt.h"

#define LB_AUDIT_BATCH_FRAMES 4096
#define LB_AUDIT_BATCH_BYTES (2u << 20)
#define LB_AUDIT_THREADS_MAX 16
#define LB_AUDIT_SUCC_SHOW 8 /* successions kept in the report (all are counted) */

/* Called in file order once a frame passed its own checks (the entry
 * decodes, chains to the one before, has its schema; the head or receipt
 * verifies).  A later frame can still show it was altered (an entry whose
 * hash the next prev does not match), and the verification then fails:
 * act on what the hooks saw only once lb_audit_verify returned LB_OK.
 * Pointers are borrowed for the call.  Returning an error stops the
 * verification with that error (message in d). */
struct lb_audit_hooks {
	lb_err (*entry)(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
	                struct lb_diag *d);
	lb_err (*head)(void *ctx, const struct lb_head *h, struct lb_diag *d);
	/* pinned: agg_key is one of opts.agg_keys (the receipt is proof) */
	lb_err (*receipt)(void *ctx, const uint8_t agg_key[LB_PK_BYTES],
	                  const struct lb_receipt *rc, bool pinned, struct lb_diag *d);
	/* k: the first seq at which the two histories differ (the heads' seq
	 * for evidence without entries) */
	lb_err (*fork)(void *ctx, const struct lb_head *ours, const struct lb_head *theirs,
	               uint64_t k, struct lb_diag *d);
	void *ctx;
};

struct lb_audit_opts {
	const uint8_t *key; /* the village's key (LB_PK_BYTES): the header's origin or one a
	                     * succession leads to; NULL: the header's origin */
	/* The aggregator keys the reader trusts (--agg-key), n_agg_keys of them.
	 * A receipt under one of them is proof that aggregator held the log
	 * (counted in r->receipts_pinned); a receipt under another key still
	 * has its signature and what it acknowledges checked, but proves only
	 * that someone holding that key signed it: it is reported unverified.
	 * Successions must be signed by one of them (none given: any signer,
	 * named in r). */
	const uint8_t (*agg_keys)[LB_PK_BYTES];
	size_t n_agg_keys;
	unsigned threads;   /* worker threads (0: all work in the calling thread) */
	struct lb_audit_hooks hooks;
};

/* What was read and checked; valid after lb_audit_verify returns, also on
 * error (then it describes everything before the failure). */
struct lb_audit_report {
	bool have_header;
	struct lb_lla_header header;
	bool key_given;                 /* the signer was pinned by opts.key */
	uint8_t signer[LB_PK_BYTES];    /* valid when have_header */
	uint64_t frames;                /* frames read, the header and trailer included */
	uint64_t entries, heads, receipts, forks;
	uint64_t receipts_pinned;       /* receipts under a key of opts.agg_keys */
	uint64_t last_seq;              /* seq of the last entry, 0 for none */
	uint8_t last_hash[LB_HASH_BYTES];
	uint8_t root[LB_HASH_BYTES];    /* Merkle root over entries 1..last_seq */
	uint64_t first_ts, last_ts;     /* of the first and last entry */
	uint64_t last_head_seq;         /* 0 for none */
	uint32_t schema_min, schema_max; /* schema versions the entries name (0: no entries) */
	bool trailer;                   /* the trailer was read and matched */
	uint64_t fork_seq;              /* seq of the first proven fork (forks > 0) */
	uint64_t bad_seq;               /* first bad seq, 0 if the failure is not an entry's */
	uint64_t bad_frame;             /* frame of the failure (from 1), 0 if none */
	uint64_t fork_entries;          /* entries of fork evidence (kind 6 frames) */
	uint64_t successions;           /* successions crossed (kind 7 frames) */
	struct lb_succession succ[LB_AUDIT_SUCC_SHOW]; /* the first ones crossed */
	uint8_t last_key[LB_PK_BYTES];  /* the chain's key at the end (= signer without
	                                 * successions) */
};

/* Is k one of o->agg_keys (a receipt under it is pinned)?  o may be NULL. */
bool lb_audit_pinned(const struct lb_audit_opts *o, const uint8_t k[LB_PK_BYTES]);

/* Verify the archive read from in (from its first byte; need not be
 * seekable: a pipe is fine).  LB_OK when every check above holds.  Errors:
 * LB_ECORRUPT (chain, seq, time, Merkle root, counts, order, a cut file),
 * LB_ESIG (a signature, or a head signed by another key than the signer),
 * LB_EMALFORMED / LB_ETOOBIG (bytes that do not decode), LB_ESCHEMA (an
 * entry breaking its schema), LB_EIO, LB_ENOMEM, or a hook's error; the
 * message in d names the seq ("seq N: ...") or the frame ("frame N: ...").
 * o may be NULL (no key, no threads, no hooks); r may be NULL. */
lb_err lb_audit_verify(FILE *in, const struct lb_audit_opts *o, struct lb_audit_report *r,
                       struct lb_diag *d);

/* ---- history of one record ---------------------------------------------- */

/* One entry for the record.  changes is a JSON object field -> {"old": v,
 * "new": v}, "old"/"new" absent when the field was absent; for a put after
 * nothing or a del every field appears.  Owned by the history. */
struct lb_audit_change {
	uint64_t seq, ts;
	enum lb_op op;
	uint32_t schema;
	uint8_t hash[LB_HASH_BYTES];
	json_t *changes;
	bool covered;                   /* head_* valid (always, once verified) */
	uint64_t head_seq;              /* the first signed head at or after seq */
	uint8_t head_hash[LB_HASH_BYTES]; /* the entry hash that head signs */
};

struct lb_audit_history {
	size_t n, cap;
	struct lb_audit_change *c;      /* in seq order */
	size_t pending;                 /* c[pending..n) wait for a covering head */
	uint8_t *body;                  /* the record's body after c[n-1] (NULL: absent) */
	size_t body_len;
};

/* Every change of record (type, id) in the archive read from in, while
 * verifying the whole archive exactly as lb_audit_verify does (the history
 * is only as good as the archive, so on any verification error h is
 * emptied and that error is returned).  Memory: the archive is streamed;
 * what is kept is this record's changes.  o->hooks must be empty (the
 * history uses them).  Free h with lb_audit_history_free, also on error.
 * Errors: those of lb_audit_verify, LB_EINVAL for a hook in o, LB_ENOMEM. */
lb_err lb_audit_history(FILE *in, const char *type, const char *id, size_t id_len,
                        const struct lb_audit_opts *o, struct lb_audit_history *h,
                        struct lb_audit_report *r, struct lb_diag *d);
void lb_audit_history_free(struct lb_audit_history *h);

/* The JSON object of fields that differ between two canonical bodies
 * (either may be NULL: absent), field -> {"old": v, "new": v} with the
 * sides that exist, keys in bytewise order.  A new reference in *out;
 * LB_EMALFORMED when a body is not a map, LB_ENOMEM. */
lb_err lb_audit_body_diff(json_t **out, const uint8_t *old_body, size_t old_len,
                          const uint8_t *new_body, size_t new_len, struct lb_diag *d);

#endif
