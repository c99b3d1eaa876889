/*
 * merkle.h — RFC 9162 (Certificate Transparency v2) Merkle tree hashing over
 * the entry hashes of a log, with BLAKE2b-256 as the hash function.
 *
 *   leaf(d)    = H(0x00 || d)          d = the 32-byte entry hash
 *   node(l, r) = H(0x01 || l || r)
 *   MTH({})    = H("")                 (empty input)
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
 *
 * struct lb_merkle keeps the tree incrementally as its "frontier": for each
 * set bit i of size, the root of the perfect subtree of 2^i leaves that bit
 * stands for.  Appending is O(log n) hashes worst case (amortised two), and
 * the root of the whole tree is the right fold of the frontier — exactly
 * MTH's split rule, because the perfect subtrees are the MTH splits.
 */
#ifndef LB_MERKLE_H
#define LB_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"

#define LB_HASH_BYTES 32
#define LB_MERKLE_LEVELS 64

struct lb_merkle {
	uint64_t size;
	uint8_t level[LB_MERKLE_LEVELS][LB_HASH_BYTES]; /* valid where bit i of size set */
};

/* leaf and node hashes as above.  Cannot fail. */
void lb_merkle_leaf(uint8_t out[LB_HASH_BYTES], const uint8_t entry_hash[LB_HASH_BYTES]);
void lb_merkle_node(uint8_t out[LB_HASH_BYTES], const uint8_t l[LB_HASH_BYTES],
                    const uint8_t r[LB_HASH_BYTES]);

/* An empty tree.  Cannot fail. */
void lb_merkle_init(struct lb_merkle *m);

/* Add the next entry hash.  Cannot fail. */
void lb_merkle_append(struct lb_merkle *m, const uint8_t entry_hash[LB_HASH_BYTES]);

/* The root over all entries appended so far.  Cannot fail. */
void lb_merkle_root(const struct lb_merkle *m, uint8_t out[LB_HASH_BYTES]);

/* Serialise the frontier: 8-byte big-endian size, then the level hashes for
 * the set bits of size from the highest level down.  out must hold
 * LB_MERKLE_ENC_MAX bytes; returns the length written.  Cannot fail. */
#define LB_MERKLE_ENC_MAX (8 + LB_MERKLE_LEVELS * LB_HASH_BYTES)
size_t lb_merkle_encode(const struct lb_merkle *m, uint8_t *out);

/* Inverse of lb_merkle_encode.  LB_ECORRUPT when the length does not match
 * the size's bit count; m is then unspecified. */
lb_err lb_merkle_decode(struct lb_merkle *m, const uint8_t *buf, size_t len);

#endif
