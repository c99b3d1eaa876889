/*
 * merkle.c — incremental RFC 9162 Merkle tree (see merkle.h).
 */
#include "merkle.h"

#include <string.h>

#include <sodium.h>

void lb_merkle_leaf(uint8_t out[LB_HASH_BYTES], const uint8_t d[LB_HASH_BYTES])
{
	static const uint8_t zero = 0x00;
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, LB_HASH_BYTES);
	crypto_generichash_update(&st, &zero, 1);
	crypto_generichash_update(&st, d, LB_HASH_BYTES);
	crypto_generichash_final(&st, out, LB_HASH_BYTES);
}

void lb_merkle_node(uint8_t out[LB_HASH_BYTES], const uint8_t l[LB_HASH_BYTES],
                    const uint8_t r[LB_HASH_BYTES])
{
	uint8_t buf[1 + 2 * LB_HASH_BYTES];

	buf[0] = 0x01;
	memcpy(buf + 1, l, LB_HASH_BYTES);
	memcpy(buf + 1 + LB_HASH_BYTES, r, LB_HASH_BYTES);
	crypto_generichash(out, LB_HASH_BYTES, buf, sizeof buf, NULL, 0);
}

void lb_merkle_init(struct lb_merkle *m)
{
	memset(m, 0, sizeof *m);
}

void lb_merkle_append(struct lb_merkle *m, const uint8_t entry_hash[LB_HASH_BYTES])
{
	uint8_t h[LB_HASH_BYTES];
	int i = 0;

	lb_merkle_leaf(h, entry_hash);
	/* Carry like binary addition: equal-sized perfect subtrees merge. */
	while (m->size & (1ULL << i)) {
		lb_merkle_node(h, m->level[i], h);
		i++;
	}
	memcpy(m->level[i], h, LB_HASH_BYTES);
	m->size++;
}

void lb_merkle_root(const struct lb_merkle *m, uint8_t out[LB_HASH_BYTES])
{
	uint8_t acc[LB_HASH_BYTES];
	int have = 0;

	if (m->size == 0) {
		crypto_generichash(out, LB_HASH_BYTES, NULL, 0, NULL, 0);
		return;
	}
	for (int i = 0; i < LB_MERKLE_LEVELS; i++) {
		if (!(m->size & (1ULL << i)))
			continue;
		if (!have) {
			memcpy(acc, m->level[i], LB_HASH_BYTES);
			have = 1;
		} else
			lb_merkle_node(acc, m->level[i], acc);
	}
	memcpy(out, acc, LB_HASH_BYTES);
}

size_t lb_merkle_encode(const struct lb_merkle *m, uint8_t *out)
{
	size_t n = 8;

	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(m->size >> (56 - 8 * i));
	for (int i = LB_MERKLE_LEVELS - 1; i >= 0; i--)
		if (m->size & (1ULL << i)) {
			memcpy(out + n, m->level[i], LB_HASH_BYTES);
			n += LB_HASH_BYTES;
		}
	return n;
}

lb_err lb_merkle_decode(struct lb_merkle *m, const uint8_t *buf, size_t len)
{
	size_t n = 8;

	lb_merkle_init(m);
	if (len < 8)
		return LB_ECORRUPT;
	for (int i = 0; i < 8; i++)
		m->size = (m->size << 8) | buf[i];
	if (len != 8 + (size_t)__builtin_popcountll(m->size) * LB_HASH_BYTES)
		return LB_ECORRUPT;
	for (int i = LB_MERKLE_LEVELS - 1; i >= 0; i--)
		if (m->size & (1ULL << i)) {
			memcpy(m->level[i], buf + n, LB_HASH_BYTES);
			n += LB_HASH_BYTES;
		}
	return LB_OK;
}
