/*
 * test_merkle.c — unit tests for node/merkle.h: the incremental RFC 9162
 * Merkle tree over entry hashes.
 *
 * The reference here is the recursive definition of RFC 9162 §2.1.1,
 * written out independently with libsodium's crypto_generichash
 * (BLAKE2b-256): if the incremental frontier and the definition ever
 * disagree, auditors' inclusion and consistency proofs would fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/merkle.h"

#define H 32
#define MAXN 4097

static uint8_t (*leaves)[H]; /* leaves[i] = the i-th "entry hash" */

/* ---- the reference: RFC 9162 §2.1.1, recursively ------------------------- */

static void ref_leaf(uint8_t out[H], const uint8_t d[H])
{
	uint8_t buf[1 + H];
	buf[0] = 0x00;
	memcpy(buf + 1, d, H);
	crypto_generichash(out, H, buf, sizeof buf, NULL, 0);
}

static void ref_node(uint8_t out[H], const uint8_t l[H], const uint8_t r[H])
{
	uint8_t buf[1 + 2 * H];
	buf[0] = 0x01;
	memcpy(buf + 1, l, H);
	memcpy(buf + 1 + H, r, H);
	crypto_generichash(out, H, buf, sizeof buf, NULL, 0);
}

/* MTH(D[n]) for D = d[0..n) */
static void ref_mth(uint8_t out[H], uint8_t (*d)[H], size_t n)
{
	uint8_t l[H], r[H];
	size_t k = 1;

	if (n == 0) {
		crypto_generichash(out, H, NULL, 0, NULL, 0);
		return;
	}
	if (n == 1) {
		ref_leaf(out, d[0]);
		return;
	}
	while (k * 2 < n) /* the largest power of two smaller than n */
		k *= 2;
	ref_mth(l, d, k);
	ref_mth(r, d + k, n - k);
	ref_node(out, l, r);
}

static int setup(void **state)
{
	(void)state;
	leaves = malloc(MAXN * sizeof *leaves);
	if (!leaves)
		return -1;
	for (uint32_t i = 0; i < MAXN; i++) {
		uint8_t be[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		                 (uint8_t)i};
		crypto_generichash(leaves[i], H, be, sizeof be, NULL, 0);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(leaves);
	return 0;
}

static const char *hex(const uint8_t *b, size_t n)
{
	static char out[2 * 64 + 1];
	sodium_bin2hex(out, sizeof out, b, n);
	return out;
}

static void assert_root_matches_reference(const struct lb_merkle *m, size_t n)
{
	uint8_t got[H], want[H];
	lb_merkle_root(m, got);
	ref_mth(want, leaves, n);
	if (memcmp(got, want, H) != 0)
		fail_msg("n = %zu: root %s differs from the RFC 9162 definition", n, hex(got, H));
}

/* ---- tests --------------------------------------------------------------- */

static void leaf_and_node_hash_with_rfc9162_domain_prefixes(void **state)
{
	uint8_t got[H], want[H];
	(void)state;
	lb_merkle_leaf(got, leaves[0]);
	ref_leaf(want, leaves[0]);
	assert_memory_equal(got, want, H);
	lb_merkle_node(got, leaves[1], leaves[2]);
	ref_node(want, leaves[1], leaves[2]);
	assert_memory_equal(got, want, H);
	/* the prefixes matter: a leaf is not H(d) and node(l, r) != node(r, l) */
	crypto_generichash(want, H, leaves[0], H, NULL, 0);
	lb_merkle_leaf(got, leaves[0]);
	assert_memory_not_equal(got, want, H);
	lb_merkle_node(want, leaves[2], leaves[1]);
	lb_merkle_node(got, leaves[1], leaves[2]);
	assert_memory_not_equal(got, want, H);
}

static void empty_tree_root_is_blake2b_of_the_empty_string(void **state)
{
	struct lb_merkle m;
	uint8_t root[H];
	(void)state;
	lb_merkle_init(&m);
	assert_true(m.size == 0);
	lb_merkle_root(&m, root);
	assert_string_equal(hex(root, H),
	                    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
}

static void root_matches_the_recursive_definition_for_every_n_to_300(void **state)
{
	struct lb_merkle m;
	(void)state;
	lb_merkle_init(&m);
	assert_root_matches_reference(&m, 0);
	for (size_t n = 1; n <= 300; n++) {
		lb_merkle_append(&m, leaves[n - 1]);
		assert_true(m.size == n);
		assert_root_matches_reference(&m, n);
	}
}

static void root_matches_the_recursive_definition_for_large_n(void **state)
{
	static const size_t check[] = {511, 512, 513, 1000, 1023, 1024, 1025, 2047, 4095, 4096, 4097};
	struct lb_merkle m;
	size_t next = 0;
	(void)state;
	lb_merkle_init(&m);
	for (size_t n = 1; n <= MAXN; n++) {
		lb_merkle_append(&m, leaves[n - 1]);
		if (next < sizeof check / sizeof check[0] && n == check[next]) {
			assert_root_matches_reference(&m, n);
			next++;
		}
	}
	assert_int_equal(next, sizeof check / sizeof check[0]);
}

static void root_depends_on_leaf_order_and_content(void **state)
{
	struct lb_merkle a, b;
	uint8_t ra[H], rb[H];
	(void)state;
	lb_merkle_init(&a);
	lb_merkle_init(&b);
	lb_merkle_append(&a, leaves[0]);
	lb_merkle_append(&a, leaves[1]);
	lb_merkle_append(&b, leaves[1]);
	lb_merkle_append(&b, leaves[0]);
	lb_merkle_root(&a, ra);
	lb_merkle_root(&b, rb);
	assert_memory_not_equal(ra, rb, H);
	/* a tree of one leaf is not the leaf hash itself */
	lb_merkle_init(&a);
	lb_merkle_append(&a, leaves[7]);
	lb_merkle_root(&a, ra);
	assert_memory_not_equal(ra, leaves[7], H);
}

static void root_does_not_change_the_tree(void **state)
{
	struct lb_merkle m, copy;
	uint8_t r1[H], r2[H];
	(void)state;
	lb_merkle_init(&m);
	for (int i = 0; i < 13; i++)
		lb_merkle_append(&m, leaves[i]);
	memcpy(&copy, &m, sizeof m);
	lb_merkle_root(&m, r1);
	lb_merkle_root(&m, r2);
	assert_memory_equal(r1, r2, H);
	assert_memory_equal(&copy, &m, sizeof m);
}

static void encode_writes_size_then_subtree_roots_highest_first(void **state)
{
	/* size 5 = 0b101: the root of leaves 0..3, then the leaf hash of 4 */
	struct lb_merkle m;
	uint8_t out[LB_MERKLE_ENC_MAX], want[H];
	(void)state;
	lb_merkle_init(&m);
	for (int i = 0; i < 5; i++)
		lb_merkle_append(&m, leaves[i]);
	assert_int_equal(lb_merkle_encode(&m, out), 8 + 2 * H);
	assert_memory_equal(out, "\0\0\0\0\0\0\0\x05", 8);
	ref_mth(want, leaves, 4);
	assert_memory_equal(out + 8, want, H);
	ref_leaf(want, leaves[4]);
	assert_memory_equal(out + 8 + H, want, H);
}

static void encode_of_an_empty_tree_is_eight_zero_bytes(void **state)
{
	struct lb_merkle m, back;
	uint8_t out[LB_MERKLE_ENC_MAX];
	(void)state;
	lb_merkle_init(&m);
	assert_int_equal(lb_merkle_encode(&m, out), 8);
	assert_memory_equal(out, "\0\0\0\0\0\0\0\0", 8);
	assert_int_equal(lb_merkle_decode(&back, out, 8), LB_OK);
	assert_true(back.size == 0);
}

static void encode_decode_round_trip_continues_the_same_tree(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 7, 8, 9, 255, 256, 300, 1000};
	(void)state;
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		struct lb_merkle m, back;
		uint8_t enc[LB_MERKLE_ENC_MAX];
		size_t n = sizes[s], len;

		lb_merkle_init(&m);
		for (size_t i = 0; i < n; i++)
			lb_merkle_append(&m, leaves[i]);
		len = lb_merkle_encode(&m, enc);
		assert_int_equal(len, 8 + (size_t)__builtin_popcountll(n) * H);
		memset(&back, 0xa5, sizeof back);
		assert_int_equal(lb_merkle_decode(&back, enc, len), LB_OK);
		assert_true(back.size == n);
		assert_root_matches_reference(&back, n);
		/* the decoded frontier keeps growing into the right tree */
		for (size_t i = n; i < n + 40; i++)
			lb_merkle_append(&back, leaves[i]);
		assert_root_matches_reference(&back, n + 40);
	}
}

static void decode_refuses_lengths_that_do_not_match_the_size(void **state)
{
	struct lb_merkle m, back;
	uint8_t enc[LB_MERKLE_ENC_MAX + 1];
	size_t len;
	(void)state;
	lb_merkle_init(&m);
	for (int i = 0; i < 7; i++) /* three subtrees */
		lb_merkle_append(&m, leaves[i]);
	len = lb_merkle_encode(&m, enc);
	assert_int_equal(len, 8 + 3 * H);
	assert_int_equal(lb_merkle_decode(&back, enc, len), LB_OK);
	assert_int_equal(lb_merkle_decode(&back, enc, len - 1), LB_ECORRUPT);
	assert_int_equal(lb_merkle_decode(&back, enc, len + 1), LB_ECORRUPT);
	assert_int_equal(lb_merkle_decode(&back, enc, len - H), LB_ECORRUPT);
	assert_int_equal(lb_merkle_decode(&back, enc, len + H), LB_ECORRUPT);
	assert_int_equal(lb_merkle_decode(&back, enc, 8), LB_ECORRUPT);
	for (size_t l = 0; l < 8; l++)
		assert_int_equal(lb_merkle_decode(&back, enc, l), LB_ECORRUPT);
	/* the size says 8 (one subtree) but three follow */
	enc[7] = 8;
	assert_int_equal(lb_merkle_decode(&back, enc, len), LB_ECORRUPT);
	assert_int_equal(lb_merkle_decode(&back, enc, 8 + H), LB_OK);
	assert_true(back.size == 8);
}

static void decode_accepts_the_largest_frontier(void **state)
{
	/* size 2^64 - 1: every level present, LB_MERKLE_ENC_MAX bytes */
	uint8_t *enc = malloc(LB_MERKLE_ENC_MAX);
	struct lb_merkle m;
	uint8_t out[LB_MERKLE_ENC_MAX];
	(void)state;
	assert_non_null(enc);
	memset(enc, 0xff, 8);
	for (int i = 0; i < LB_MERKLE_LEVELS; i++)
		memcpy(enc + 8 + (size_t)i * H, leaves[i], H);
	assert_int_equal(lb_merkle_decode(&m, enc, LB_MERKLE_ENC_MAX), LB_OK);
	assert_true(m.size == UINT64_MAX);
	assert_memory_equal(m.level[LB_MERKLE_LEVELS - 1], leaves[0], H);
	assert_memory_equal(m.level[0], leaves[LB_MERKLE_LEVELS - 1], H);
	assert_int_equal(lb_merkle_encode(&m, out), LB_MERKLE_ENC_MAX);
	assert_memory_equal(out, enc, LB_MERKLE_ENC_MAX);
	assert_int_equal(lb_merkle_decode(&m, enc, LB_MERKLE_ENC_MAX - 1), LB_ECORRUPT);
	free(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaf_and_node_hash_with_rfc9162_domain_prefixes),
		cmocka_unit_test(empty_tree_root_is_blake2b_of_the_empty_string),
		cmocka_unit_test(root_matches_the_recursive_definition_for_every_n_to_300),
		cmocka_unit_test(root_matches_the_recursive_definition_for_large_n),
		cmocka_unit_test(root_depends_on_leaf_order_and_content),
		cmocka_unit_test(root_does_not_change_the_tree),
		cmocka_unit_test(encode_writes_size_then_subtree_roots_highest_first),
		cmocka_unit_test(encode_of_an_empty_tree_is_eight_zero_bytes),
		cmocka_unit_test(encode_decode_round_trip_continues_the_same_tree),
		cmocka_unit_test(decode_refuses_lengths_that_do_not_match_the_size),
		cmocka_unit_test(decode_accepts_the_largest_frontier),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
