/*
 * proof.h — RFC 9162 inclusion and consistency proofs over a village's
 * log, made from a log archive (.lla, node/archive.h) and checked with
 * nothing but the proof file and the signer's public key.
 *
 * Every signed head carries the Merkle root over the entry hashes 1..seq
 * (docs/FORMAT.md §3-4), so with entry seq s as leaf s-1:
 *
 *   inclusion    PATH(s-1, D[n])  (RFC 9162 §2.1.3): entry s is in the
 *                log signed at seq n (s <= n)
 *   consistency  PROOF(m, D[n])   (RFC 9162 §2.1.4): the log signed at
 *                seq n extends the log signed at seq m (m <= n)
 *
 * Every path element is the root MTH(D[lo:hi]) of one subtree, and the
 * subtrees of one proof are disjoint.  So a proof is made in bounded memory
 * whatever the size of the log: plan the ranges (lb_proof_plan_*), then
 * stream the entry hashes once through a builder that keeps one Merkle
 * frontier for the range being filled (lb_proof_builder_*).
 *
 * The proof file (docs/PROOFS.md) is one canonical msgpack map (keys sorted
 * bytewise, smallest headers, docs/FORMAT.md §1):
 *
 *   inclusion    {"entry": bin, "head": bin, "kind": "inclusion",
 *                 "path": [bin32, ...], "v": 1}
 *   consistency  {"kind": "consistency", "new": bin, "old": bin,
 *                 "path": [bin32, ...], "v": 1}
 *
 * "entry" is the stored entry bytes (its seq is the leaf index + 1), "head",
 * "old" and "new" are stored signed heads (signature || message, their seq
 * is the tree size), "path" the RFC 9162 inclusion_path / consistency_path
 * in the RFC's order (the hash nearest the leaf first).  The bytes are the
 * signed bytes: nothing is re-serialised before verifying.
 *
 * Thread safety: no global state; distinct objects may be used from
 * distinct threads.  libsodium must have been initialised (sodium_init).
 */
#ifndef LB_PROOF_H
#define LB_PROOF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../node/archive.h"
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../node/merkle.h"
#include "../../schema/err.h"
#include "../../schema/mp.h"
#include "../../schema/text.h"

#define LB_PROOF_VERSION 1

/* The longest path any tree size below 2^64 needs: one hash per level of
 * the recursion (at most 64), plus the final subtree of a consistency
 * proof. */
#define LB_PROOF_PATH_MAX 65

/* The largest proof file accepted: one entry frame, two heads, a full
 * path and the map around them. */
#define LB_PROOF_MAX (LB_LLA_FRAME_MAX + 8192)

enum lb_proof_kind { LB_PROOF_INCLUSION = 1, LB_PROOF_CONSISTENCY = 2 };

/* ---- planning: which subtrees a path needs --------------------------- */

/* Leaves [lo, hi) counted from 0 (leaf i is entry seq i+1). */
struct lb_proof_range {
	uint64_t lo, hi;
};

/* The subtrees whose roots make up one path, in path order. */
struct lb_proof_plan {
	size_t n;
	struct lb_proof_range range[LB_PROOF_PATH_MAX];
};

/* The ranges of PATH(index, D[size]).  LB_EINVAL (with a message) unless
 * index < size; on error p is unspecified. */
lb_err lb_proof_plan_inclusion(struct lb_proof_plan *p, uint64_t index, uint64_t size,
                               struct lb_diag *d);

/* The ranges of PROOF(old_size, D[new_size]); empty when the sizes are
 * equal.  LB_EINVAL unless 0 < old_size <= new_size; on error p is
 * unspecified. */
lb_err lb_proof_plan_consistency(struct lb_proof_plan *p, uint64_t old_size, uint64_t new_size,
                                 struct lb_diag *d);

/* ---- building: one pass over the entry hashes -------------------------- */

/* Feeds leaves 0, 1, 2, ... in order; each lands in the frontier of the
 * range holding it (leaves in no range are skipped).  Since the ranges are
 * disjoint only one frontier is live at a time: about 5 KiB whatever the
 * tree size, no allocation. */
struct lb_proof_builder {
	struct lb_proof_plan plan;
	uint8_t order[LB_PROOF_PATH_MAX]; /* plan indices sorted by lo */
	size_t next;                      /* order[next] is the range being filled */
	uint64_t leaf;                    /* index of the next leaf */
	struct lb_merkle cur;
	uint8_t path[LB_PROOF_PATH_MAX][LB_HASH_BYTES]; /* path order, valid when done */
};

/* Start building the path of plan p (copied).  Cannot fail. */
void lb_proof_builder_init(struct lb_proof_builder *b, const struct lb_proof_plan *p);

/* Add the entry hash of the next leaf.  Cannot fail; leaves after the
 * last range are ignored. */
void lb_proof_builder_add(struct lb_proof_builder *b, const uint8_t entry_hash[LB_HASH_BYTES]);

/* True when every range is complete, i.e. b->path[0..plan.n) is the path. */
bool lb_proof_builder_done(const struct lb_proof_builder *b);

/* ---- verifying a path (RFC 9162 §2.1.3.2 and §2.1.4.2) ----------------- */

/* Does path[0..n) prove that the entry with hash entry_hash is leaf index of
 * the tree of size leaves whose root is root?  LB_OK if so; LB_EMALFORMED
 * when index >= size or the path has the wrong number of hashes for index
 * and size; LB_ESIG when the path leads to another root. */
lb_err lb_proof_verify_inclusion(const uint8_t root[LB_HASH_BYTES], uint64_t index, uint64_t size,
                                 const uint8_t entry_hash[LB_HASH_BYTES],
                                 const uint8_t (*path)[LB_HASH_BYTES], size_t n, struct lb_diag *d);

/* Does path[0..n) prove that the tree of new_size leaves with root new_root
 * extends the tree of old_size leaves with root old_root?  For equal sizes
 * the path must be empty and the roots equal.  LB_EMALFORMED when
 * old_size is 0 or above new_size, or the path has the wrong number of
 * hashes; LB_ESIG when it leads to other roots. */
lb_err lb_proof_verify_consistency(uint64_t old_size, const uint8_t old_root[LB_HASH_BYTES],
                                   uint64_t new_size, const uint8_t new_root[LB_HASH_BYTES],
                                   const uint8_t (*path)[LB_HASH_BYTES], size_t n,
                                   struct lb_diag *d);

/* ---- the proof file ----------------------------------------------------- */

/* A proof as encoded.  Pointer members are borrowed: from the caller when
 * encoding, from the decoded buffer when decoding. */
struct lb_proof {
	enum lb_proof_kind kind;
	const uint8_t *entry; /* inclusion: stored entry bytes */
	size_t entry_len;
	const uint8_t *head; /* inclusion: the signed head; consistency: the new one */
	size_t head_len;
	const uint8_t *old; /* consistency: the old signed head */
	size_t old_len;
	size_t path_len;
	uint8_t path[LB_PROOF_PATH_MAX][LB_HASH_BYTES];
};

/* Append the canonical encoding of p to out (caller owns out).  Does not
 * check the contents.  LB_EINVAL for an unknown kind or a path longer than
 * LB_PROOF_PATH_MAX, LB_ENOMEM when out cannot grow. */
lb_err lb_proof_encode(struct lb_mp_buf *out, const struct lb_proof *p);

/* Decode buf[0..len) into p, borrowing from buf.  Only the exact canonical
 * form above is accepted (keys, their order, smallest headers, v 1, no
 * trailing bytes); LB_ETOOBIG over LB_PROOF_MAX, LB_EMALFORMED naming what
 * is wrong otherwise.  Checks no hash or signature: see lb_proof_check. */
lb_err lb_proof_decode(struct lb_proof *p, const void *buf, size_t len, struct lb_diag *d);

/* ---- making proofs from a log archive ---------------------------------- */

/* Append to out the inclusion proof of entry seq against the signed head
 * at head_seq (0: the last signed head in the archive), read from lla, an
 * archive opened for reading at its first byte.
 *
 * lla is read twice (once to find the head, once to hash the entries up to
 * it), so it must be seekable: LB_EINVAL "... is not seekable" for a pipe.
 * Memory stays bounded (one frame, one Merkle frontier) whatever the
 * archive's size.  Before returning the proof is checked against the
 * archive: the entries must hash to the head's root.
 *
 * Errors (message in d): LB_EINVAL for seq 0, a seq beyond the head, a
 * head_seq that is not a signed head in the archive or an archive without
 * heads; LB_EMALFORMED / LB_ETOOBIG for a damaged archive or head;
 * LB_ECORRUPT when the archive's entries are out of order, missing, or do
 * not hash to the root its head signs; LB_ESIG when that head's signature
 * does not verify; LB_EIO; LB_ENOMEM.  On error out may hold a partial
 * encoding: reset it before reuse. */
lb_err lb_proof_inclusion_make(struct lb_mp_buf *out, FILE *lla, uint64_t seq, uint64_t head_seq,
                               struct lb_diag *d);

/* Append to out the consistency proof between the signed heads at
 * old_seq and new_seq (0: the last signed head), both of which must be
 * signed heads in the archive (LB_EINVAL naming the nearest heads
 * otherwise, or when old_seq > new_seq).  Reads and errors as
 * lb_proof_inclusion_make; both roots are checked against the entries. */
lb_err lb_proof_consistency_make(struct lb_mp_buf *out, FILE *lla, uint64_t old_seq,
                                 uint64_t new_seq, struct lb_diag *d);

/* ---- checking a proof file ---------------------------------------------- */

/* What a proof proves, filled in by lb_proof_check. */
struct lb_proof_verdict {
	enum lb_proof_kind kind; /* 0 when the proof did not decode */
	bool pinned;             /* the signer was checked against expect_origin */
	struct lb_head head;     /* inclusion: the head; consistency: the new head */
	struct lb_head old;      /* consistency: the old head */
	/* inclusion: the entry */
	uint64_t seq;
	enum lb_op op;
	char type[LB_TYPE_MAX + 1];
	char id[LB_ID_MAX + 1];
	uint8_t entry_hash[LB_HASH_BYTES];
};

/* Check the proof file buf[0..len) with nothing else: decode it, open the
 * signed head(s) (if expect_origin is not NULL the signer must be that key,
 * checked before the signature; otherwise against the key the head names,
 * and v->pinned is false), then
 *   inclusion:   decode the entry, hash it, require 1 <= seq <= head seq
 *                and verify the path from the entry to the head's root;
 *   consistency: require the same signer and village and old seq <= new
 *                seq, and verify the path to both roots.
 * LB_OK when the proof holds.  LB_EMALFORMED / LB_ETOOBIG for a proof
 * that does not decode or does not fit together (seq, village, path
 * length); LB_ESIG for a signature that does not verify, a head by another
 * key, or a path that does not lead to the signed root(s).  v is filled as
 * far as checking got (v->kind is 0 if the proof did not decode). */
lb_err lb_proof_check(struct lb_proof_verdict *v, const void *buf, size_t len,
                      const uint8_t *expect_origin, struct lb_diag *d);

/* ---- the lumbung-audit subcommands (tools/audit/proof_cli.c) ------------- */

/* `lumbung-audit prove FILE.lla --seq N [--head SEQ]` and
 * `lumbung-audit prove FILE.lla --from SIZE1 [--to SIZE2]`: write a proof
 * to stdout.  argv[0] is "prove".  Prints errors to stderr as
 * "lumbung-audit prove: ..." and returns the exit status (lb_exit_status;
 * 2 for a usage error). */
int lb_audit_cmd_prove(int argc, char **argv);

/* `lumbung-audit check-proof PROOF [--key HEX|PUBFILE] [--json]`: check a
 * proof file ("-" reads stdin) and print the verdict to stdout.  argv[0] is
 * "check-proof".  Returns 0 when the proof holds, else the exit status of
 * the failure (LB_ESIG 13, LB_EMALFORMED 9, 2 for a usage error). */
int lb_audit_cmd_check_proof(int argc, char **argv);

#endif
