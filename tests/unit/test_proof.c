/*
 * test_proof.c — unit tests for tools/audit/proof.h: RFC 9162 inclusion
 * and consistency proofs, their file format, and making them from a log
 * archive.
 *
 * The reference is RFC 9162's recursive definitions (MTH §2.1.1, PATH
 * §2.1.3.1, SUBPROOF §2.1.4.1) written out here over an array of leaves,
 * so the planner + streaming builder (which never holds the tree) and the
 * RFC's iterative verifiers are both checked against the definitions,
 * never against each other alone.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../tools/audit/proof.h"

#define H LB_HASH_BYTES
#define MAXN 70

static uint8_t leaves[MAXN + 2][H]; /* leaves[i] = the "entry hash" of leaf i */
static uint8_t roots[MAXN + 2][H];  /* roots[n] = MTH(D[0:n]) by the reference */

/* ---- the reference: RFC 9162 §2.1, recursively --------------------------- */

static uint64_t ref_k(uint64_t n) /* the largest power of two smaller than n */
{
	uint64_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_mth(uint8_t out[H], uint8_t (*d)[H], uint64_t n)
{
	uint8_t l[H], r[H], buf[1 + 2 * H];

	if (n == 0) {
		crypto_generichash(out, H, NULL, 0, NULL, 0);
		return;
	}
	if (n == 1) {
		buf[0] = 0x00;
		memcpy(buf + 1, d[0], H);
		crypto_generichash(out, H, buf, 1 + H, NULL, 0);
		return;
	}
	ref_mth(l, d, ref_k(n));
	ref_mth(r, d + ref_k(n), n - ref_k(n));
	buf[0] = 0x01;
	memcpy(buf + 1, l, H);
	memcpy(buf + 1 + H, r, H);
	crypto_generichash(out, H, buf, sizeof buf, NULL, 0);
}

/* PATH(m, D[n]) appended to path[*np] */
static void ref_path(uint8_t (*path)[H], size_t *np, uint64_t m, uint8_t (*d)[H], uint64_t n)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = ref_k(n);
	if (m < k) {
		ref_path(path, np, m, d, k);
		ref_mth(path[(*np)++], d + k, n - k);
	} else {
		ref_path(path, np, m - k, d + k, n - k);
		ref_mth(path[(*np)++], d, k);
	}
}

/* SUBPROOF(m, D[n], b) appended to path[*np] */
static void ref_subproof(uint8_t (*path)[H], size_t *np, uint64_t m, uint8_t (*d)[H], uint64_t n,
                         bool b)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(path[(*np)++], d, n);
		return;
	}
	k = ref_k(n);
	if (m <= k) {
		ref_subproof(path, np, m, d, k, b);
		ref_mth(path[(*np)++], d + k, n - k);
	} else {
		ref_subproof(path, np, m - k, d + k, n - k, false);
		ref_mth(path[(*np)++], d, k);
	}
}

static int setup(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < MAXN + 2; i++) {
		uint8_t be[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		                 (uint8_t)i};
		crypto_generichash(leaves[i], H, be, sizeof be, NULL, 0);
	}
	for (uint32_t n = 0; n < MAXN + 2; n++)
		ref_mth(roots[n], leaves, n);
	return 0;
}

/* The path the planner and builder make, fed every leaf of a tree of n. */
static size_t built_path(uint8_t (*out)[H], const struct lb_proof_plan *p, uint64_t n)
{
	struct lb_proof_builder *b = malloc(sizeof *b);

	assert_non_null(b);
	lb_proof_builder_init(b, p);
	for (uint64_t i = 0; i < n; i++)
		lb_proof_builder_add(b, leaves[i]);
	assert_true(lb_proof_builder_done(b));
	memcpy(out, b->path, p->n * H);
	free(b);
	return p->n;
}

/* ---- inclusion ---------------------------------------------------------- */

static void inclusion_paths_equal_rfc_path_and_verify_for_sizes_1_to_70(void **state)
{
	uint8_t want[LB_PROOF_PATH_MAX][H], got[LB_PROOF_PATH_MAX][H];
	struct lb_proof_plan p;
	struct lb_diag d;
	(void)state;

	for (uint64_t n = 1; n <= MAXN; n++)
		for (uint64_t m = 0; m < n; m++) {
			size_t wn = 0, gn;
			ref_path(want, &wn, m, leaves, n);
			assert_int_equal(lb_proof_plan_inclusion(&p, m, n, NULL), LB_OK);
			gn = built_path(got, &p, n);
			if (gn != wn || memcmp(got, want, wn * H) != 0)
				fail_msg("PATH(%llu, D[%llu]): %zu hashes built, %zu by the RFC, "
				         "or they "
				         "differ",
				         (unsigned long long)m, (unsigned long long)n, gn, wn);
			if (lb_proof_verify_inclusion(roots[n], m, n, leaves[m],
			                              (const uint8_t(*)[H])got, gn, &d))
				fail_msg("PATH(%llu, D[%llu]) does not verify: %s",
				         (unsigned long long)m, (unsigned long long)n, d.msg);
		}
}

static void inclusion_fails_for_any_flipped_bit_of_path_leaf_or_root(void **state)
{
	uint8_t path[LB_PROOF_PATH_MAX][H], leaf[H], root[H];
	struct lb_proof_plan p;
	(void)state;

	for (uint64_t n = 1; n <= MAXN; n++)
		for (uint64_t m = 0; m < n; m++) {
			size_t pn;
			assert_int_equal(lb_proof_plan_inclusion(&p, m, n, NULL), LB_OK);
			pn = built_path(path, &p, n);
			for (size_t i = 0; i < pn; i++)
				for (int bit = 0; bit < 8 * H; bit++) {
					path[i][bit / 8] ^= (uint8_t)(1 << (bit % 8));
					if (lb_proof_verify_inclusion(roots[n], m, n, leaves[m],
					                              (const uint8_t(*)[H])path, pn,
					                              NULL) != LB_ESIG)
						fail_msg("PATH(%llu, D[%llu]) element %zu bit %d "
						         "flipped still "
						         "verifies",
						         (unsigned long long)m,
						         (unsigned long long)n, i, bit);
					path[i][bit / 8] ^= (uint8_t)(1 << (bit % 8));
				}
			for (int bit = 0; bit < 8 * H; bit += 7) {
				memcpy(leaf, leaves[m], H);
				memcpy(root, roots[n], H);
				leaf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				root[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				assert_int_equal(lb_proof_verify_inclusion(roots[n], m, n, leaf,
				                                           (const uint8_t(*)[H])
				                                                   path,
				                                           pn, NULL),
				                 LB_ESIG);
				assert_int_equal(lb_proof_verify_inclusion(root, m, n, leaves[m],
				                                           (const uint8_t(*)[H])
				                                                   path,
				                                           pn, NULL),
				                 LB_ESIG);
			}
		}
}

static void inclusion_fails_at_another_index_or_tree_size(void **state)
{
	uint8_t path[LB_PROOF_PATH_MAX][H];
	struct lb_proof_plan p;
	(void)state;

	for (uint64_t n = 1; n <= MAXN; n++)
		for (uint64_t m = 0; m < n; m++) {
			size_t pn;
			assert_int_equal(lb_proof_plan_inclusion(&p, m, n, NULL), LB_OK);
			pn = built_path(path, &p, n);
			/* the same leaf claimed at another index of the same tree */
			for (uint64_t m2 = 0; m2 <= n + 1; m2++)
				if (m2 != m && lb_proof_verify_inclusion(roots[n], m2, n, leaves[m],
				                                         (const uint8_t(*)[H])path,
				                                         pn, NULL) == LB_OK)
					fail_msg("PATH(%llu, D[%llu]) verifies as index %llu",
					         (unsigned long long)m, (unsigned long long)n,
					         (unsigned long long)m2);
			/* ... or in a tree of another size, against that tree's root */
			for (uint64_t n2 = 1; n2 <= MAXN + 1; n2++)
				if (n2 != n &&
				    lb_proof_verify_inclusion(roots[n2], m, n2, leaves[m],
				                              (const uint8_t(*)[H])path, pn,
				                              NULL) == LB_OK)
					fail_msg("PATH(%llu, D[%llu]) verifies for tree size %llu",
					         (unsigned long long)m, (unsigned long long)n,
					         (unsigned long long)n2);
		}
}

static void inclusion_path_of_wrong_length_is_malformed(void **state)
{
	uint8_t path[LB_PROOF_PATH_MAX][H];
	struct lb_proof_plan p;
	struct lb_diag d;
	size_t pn;
	(void)state;

	assert_int_equal(lb_proof_plan_inclusion(&p, 5, 13, NULL), LB_OK);
	pn = built_path(path, &p, 13);
	assert_int_equal(pn, 4);
	memcpy(path[pn], path[0], H);
	assert_int_equal(lb_proof_verify_inclusion(roots[13], 5, 13, leaves[5],
	                                           (const uint8_t(*)[H])path, pn + 1, &d),
	                 LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "more than"));
	assert_int_equal(lb_proof_verify_inclusion(roots[13], 5, 13, leaves[5],
	                                           (const uint8_t(*)[H])path, pn - 1, &d),
	                 LB_EMALFORMED);
	assert_non_null(strstr(d.msg, "fewer than"));
	assert_int_equal(lb_proof_verify_inclusion(roots[13], 13, 13, leaves[5],
	                                           (const uint8_t(*)[H])path, pn, &d),
	                 LB_EMALFORMED);
	assert_int_equal(lb_proof_plan_inclusion(&p, 13, 13, &d), LB_EINVAL);
}

/* ---- consistency -------------------------------------------------------- */

static void consistency_paths_equal_rfc_subproof_and_verify_for_sizes_1_to_70(void **state)
{
	uint8_t want[LB_PROOF_PATH_MAX][H], got[LB_PROOF_PATH_MAX][H];
	struct lb_proof_plan p;
	struct lb_diag d;
	(void)state;

	for (uint64_t n = 1; n <= MAXN; n++)
		for (uint64_t m = 1; m <= n; m++) {
			size_t wn = 0, gn;
			ref_subproof(want, &wn, m, leaves, n, true);
			assert_int_equal(lb_proof_plan_consistency(&p, m, n, NULL), LB_OK);
			gn = built_path(got, &p, n);
			if (gn != wn || memcmp(got, want, wn * H) != 0)
				fail_msg("PROOF(%llu, D[%llu]): %zu hashes built, %zu by the RFC, "
				         "or they "
				         "differ",
				         (unsigned long long)m, (unsigned long long)n, gn, wn);
			if (lb_proof_verify_consistency(m, roots[m], n, roots[n],
			                                (const uint8_t(*)[H])got, gn, &d))
				fail_msg("PROOF(%llu, D[%llu]) does not verify: %s",
				         (unsigned long long)m, (unsigned long long)n, d.msg);
		}
}

static void consistency_fails_for_any_flipped_bit_or_other_sizes(void **state)
{
	uint8_t path[LB_PROOF_PATH_MAX][H], root[H];
	struct lb_proof_plan p;
	(void)state;

	for (uint64_t n = 1; n <= MAXN; n++)
		for (uint64_t m = 1; m <= n; m++) {
			size_t pn;
			assert_int_equal(lb_proof_plan_consistency(&p, m, n, NULL), LB_OK);
			pn = built_path(path, &p, n);
			for (size_t i = 0; i < pn; i++)
				for (int bit = 0; bit < 8 * H; bit++) {
					path[i][bit / 8] ^= (uint8_t)(1 << (bit % 8));
					if (lb_proof_verify_consistency(m, roots[m], n, roots[n],
					                                (const uint8_t(*)[H])path,
					                                pn, NULL) != LB_ESIG)
						fail_msg("PROOF(%llu, D[%llu]) element %zu bit %d "
						         "flipped still "
						         "verifies",
						         (unsigned long long)m,
						         (unsigned long long)n, i, bit);
					path[i][bit / 8] ^= (uint8_t)(1 << (bit % 8));
				}
			for (int bit = 0; bit < 8 * H; bit += 5) {
				memcpy(root, roots[m], H);
				root[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				assert_int_not_equal(lb_proof_verify_consistency(m, root, n,
				                                                 roots[n],
				                                                 (const uint8_t(*)
				                                                          [H])path,
				                                                 pn, NULL),
				                     LB_OK);
				memcpy(root, roots[n], H);
				root[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				assert_int_not_equal(lb_proof_verify_consistency(m, roots[m], n,
				                                                 root,
				                                                 (const uint8_t(*)
				                                                          [H])path,
				                                                 pn, NULL),
				                     LB_OK);
			}
			/* other sizes, each with its true root */
			for (uint64_t m2 = 0; m2 <= MAXN + 1; m2++)
				if (m2 != m &&
				    lb_proof_verify_consistency(m2, roots[m2], n, roots[n],
				                                (const uint8_t(*)[H])path, pn,
				                                NULL) == LB_OK)
					fail_msg("PROOF(%llu, D[%llu]) verifies from size %llu",
					         (unsigned long long)m, (unsigned long long)n,
					         (unsigned long long)m2);
			for (uint64_t n2 = 1; n2 <= MAXN + 1; n2++)
				if (n2 != n &&
				    lb_proof_verify_consistency(m, roots[m], n2, roots[n2],
				                                (const uint8_t(*)[H])path, pn,
				                                NULL) == LB_OK)
					fail_msg("PROOF(%llu, D[%llu]) verifies to size %llu",
					         (unsigned long long)m, (unsigned long long)n,
					         (unsigned long long)n2);
		}
}

static void consistency_edge_cases(void **state)
{
	uint8_t path[LB_PROOF_PATH_MAX][H];
	struct lb_diag d;
	(void)state;

	/* a tree is consistent with itself through the empty path only */
	assert_int_equal(lb_proof_verify_consistency(7, roots[7], 7, roots[7], NULL, 0, &d), LB_OK);
	assert_int_equal(lb_proof_verify_consistency(7, roots[7], 7, roots[8], NULL, 0, &d),
	                 LB_ESIG);
	assert_non_null(strstr(d.msg, "same tree size 7"));
	memcpy(path[0], roots[7], H);
	assert_int_equal(lb_proof_verify_consistency(7, roots[7], 7, roots[7],
	                                             (const uint8_t(*)[H])path, 1, &d),
	                 LB_EMALFORMED);
	/* RFC 9162 §2.1.4.2 step 1: an empty path between different sizes */
	assert_int_equal(lb_proof_verify_consistency(4, roots[4], 8, roots[8], NULL, 0, &d),
	                 LB_EMALFORMED);
	assert_int_equal(lb_proof_verify_consistency(0, roots[0], 8, roots[8],
	                                             (const uint8_t(*)[H])path, 1, &d),
	                 LB_EMALFORMED);
	assert_int_equal(lb_proof_verify_consistency(9, roots[9], 8, roots[8],
	                                             (const uint8_t(*)[H])path, 1, &d),
	                 LB_EMALFORMED);
}

/* ---- planning at sizes no test can build -------------------------------- */

/* The ranges are disjoint and, with the proven leaf (inclusion) or the old
 * tree's own subtrees (consistency), cover the tree exactly. */
static void check_disjoint(const struct lb_proof_plan *p, uint64_t size, uint64_t *covered)
{
	*covered = 0;
	for (size_t i = 0; i < p->n; i++) {
		assert_true(p->range[i].lo < p->range[i].hi);
		assert_true(p->range[i].hi <= size);
		for (size_t j = 0; j < i; j++)
			assert_true(p->range[i].hi <= p->range[j].lo ||
			            p->range[j].hi <= p->range[i].lo);
		*covered += p->range[i].hi - p->range[i].lo;
	}
}

static void plans_stay_within_bounds_up_to_2_to_the_64(void **state)
{
	static const uint64_t sizes[] = {1,
	                                 2,
	                                 3,
	                                 1ULL << 32,
	                                 (1ULL << 32) + 1,
	                                 10000000,
	                                 (1ULL << 63) - 1,
	                                 1ULL << 63,
	                                 (1ULL << 63) + 1,
	                                 UINT64_MAX - 1,
	                                 UINT64_MAX};
	struct lb_proof_plan p;
	uint64_t covered;
	(void)state;

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint64_t n = sizes[i];
		uint64_t idx[] = {0, n / 2, n / 3, n - 1};
		uint64_t old[] = {1, n / 2 ? n / 2 : 1, n / 3 ? n / 3 : 1, n > 1 ? n - 1 : 1, n};
		for (size_t j = 0; j < 4; j++) {
			assert_int_equal(lb_proof_plan_inclusion(&p, idx[j], n, NULL), LB_OK);
			assert_true(p.n <= 64);
			check_disjoint(&p, n, &covered);
			assert_true(covered == n - 1);
		}
		for (size_t j = 0; j < 5; j++) {
			assert_int_equal(lb_proof_plan_consistency(&p, old[j], n, NULL), LB_OK);
			assert_true(p.n <= LB_PROOF_PATH_MAX);
			check_disjoint(&p, n, &covered);
		}
	}
	assert_int_equal(lb_proof_plan_consistency(&p, 0, 5, NULL), LB_EINVAL);
	assert_int_equal(lb_proof_plan_consistency(&p, 6, 5, NULL), LB_EINVAL);
}

/* ---- the proof file ----------------------------------------------------- */

static const uint8_t fake_entry[] = {1, 2, 3}, fake_head[] = {4, 5}, fake_old[] = {6};

static void encode_fake(struct lb_mp_buf *b, enum lb_proof_kind kind, size_t plen)
{
	struct lb_proof *p = calloc(1, sizeof *p);

	assert_non_null(p);
	p->kind = kind;
	p->entry = fake_entry;
	p->entry_len = sizeof fake_entry;
	p->head = fake_head;
	p->head_len = sizeof fake_head;
	p->old = fake_old;
	p->old_len = sizeof fake_old;
	p->path_len = plen;
	for (size_t i = 0; i < plen; i++)
		memcpy(p->path[i], leaves[i], H);
	lb_mp_buf_reset(b);
	assert_int_equal(lb_proof_encode(b, p), LB_OK);
	free(p);
}

static void proof_file_has_the_documented_bytes(void **state)
{
	/* docs/PROOFS.md: the worked example of the framing (fake contents) */
	static const uint8_t want[] = {0x85, 0xa5, 'e', 'n',  't', 'r',  'y',  0xc4, 3,
	                               1,    2,    3,   0xa4, 'h', 'e',  'a',  'd',  0xc4,
	                               2,    4,    5,   0xa4, 'k', 'i',  'n',  'd',  0xa9,
	                               'i',  'n',  'c', 'l',  'u', 's',  'i',  'o',  'n',
	                               0xa4, 'p',  'a', 't',  'h', 0x91, 0xc4, 0x20};
	static const uint8_t tail[] = {0xa1, 'v', 0x01};
	static const uint8_t want_c[] = {0x85, 0xa4, 'k',  'i',  'n',  'd', 0xab, 'c', 'o',
	                                 'n',  's',  'i',  's',  't',  'e', 'n',  'c', 'y',
	                                 0xa3, 'n',  'e',  'w',  0xc4, 2,   4,    5,   0xa3,
	                                 'o',  'l',  'd',  0xc4, 1,    6,   0xa4, 'p', 'a',
	                                 't',  'h',  0x90, 0xa1, 'v',  0x01};
	struct lb_mp_buf b;
	(void)state;

	lb_mp_buf_init(&b);
	encode_fake(&b, LB_PROOF_INCLUSION, 1);
	assert_int_equal(b.sb.size, sizeof want + H + sizeof tail);
	assert_memory_equal(b.sb.data, want, sizeof want);
	assert_memory_equal(b.sb.data + sizeof want, leaves[0], H);
	assert_memory_equal(b.sb.data + sizeof want + H, tail, sizeof tail);
	encode_fake(&b, LB_PROOF_CONSISTENCY, 0);
	assert_int_equal(b.sb.size, sizeof want_c);
	assert_memory_equal(b.sb.data, want_c, sizeof want_c);
	lb_mp_buf_free(&b);
}

static void proof_file_round_trips_and_refuses_every_cut(void **state)
{
	struct lb_mp_buf b;
	struct lb_proof *p = malloc(sizeof *p);
	(void)state;

	assert_non_null(p);
	lb_mp_buf_init(&b);
	for (int kind = LB_PROOF_INCLUSION; kind <= LB_PROOF_CONSISTENCY; kind++) {
		encode_fake(&b, (enum lb_proof_kind)kind, 7);
		assert_int_equal(lb_proof_decode(p, b.sb.data, b.sb.size, NULL), LB_OK);
		assert_int_equal(p->kind, kind);
		assert_int_equal(p->path_len, 7);
		assert_memory_equal(p->path[6], leaves[6], H);
		assert_int_equal(p->head_len, sizeof fake_head);
		assert_memory_equal(p->head, fake_head, sizeof fake_head);
		if (kind == LB_PROOF_INCLUSION)
			assert_memory_equal(p->entry, fake_entry, sizeof fake_entry);
		else
			assert_memory_equal(p->old, fake_old, sizeof fake_old);
		for (size_t cut = 0; cut < b.sb.size; cut++)
			if (lb_proof_decode(p, b.sb.data, cut, NULL) != LB_EMALFORMED)
				fail_msg("a proof cut to %zu of %zu bytes decodes", cut, b.sb.size);
		lb_mp_put_nil(&b);
		assert_int_equal(lb_proof_decode(p, b.sb.data, b.sb.size, NULL), LB_EMALFORMED);
	}
	lb_mp_buf_free(&b);
	free(p);
}

/* decode_fails "what" bytes... — a hand-made map that is not a proof */
static void refused(const char *what, struct lb_mp_buf *b)
{
	struct lb_proof p;
	struct lb_diag d = {0};
	lb_err e = lb_proof_decode(&p, b->sb.data, b->sb.size, &d);

	if (e != LB_EMALFORMED)
		fail_msg("%s: decode gave %s, wanted malformed", what, lb_errname(e));
	lb_mp_buf_reset(b);
}

static void put_path(struct lb_mp_buf *b, uint32_t n, size_t hlen)
{
	lb_mp_put_cstr(b, "path");
	lb_mp_put_array(b, n);
	for (uint32_t i = 0; i < n; i++)
		lb_mp_put_bin(b, leaves[0], hlen);
}

static void proof_file_refuses_anything_but_the_canonical_form(void **state)
{
	struct lb_mp_buf b;
	(void)state;

	lb_mp_buf_init(&b);
	/* keys out of order */
	lb_mp_put_map(&b, 5);
	lb_mp_put_cstr(&b, "head");
	lb_mp_put_bin(&b, fake_head, 2);
	lb_mp_put_cstr(&b, "entry");
	lb_mp_put_bin(&b, fake_entry, 3);
	lb_mp_put_cstr(&b, "kind");
	lb_mp_put_cstr(&b, "inclusion");
	put_path(&b, 1, H);
	lb_mp_put_cstr(&b, "v");
	lb_mp_put_uint(&b, 1);
	refused("keys out of order", &b);
	/* a key repeated instead of another */
	lb_mp_put_map(&b, 5);
	lb_mp_put_cstr(&b, "entry");
	lb_mp_put_bin(&b, fake_entry, 3);
	lb_mp_put_cstr(&b, "entry");
	lb_mp_put_bin(&b, fake_entry, 3);
	lb_mp_put_cstr(&b, "kind");
	lb_mp_put_cstr(&b, "inclusion");
	put_path(&b, 1, H);
	lb_mp_put_cstr(&b, "v");
	lb_mp_put_uint(&b, 1);
	refused("repeated key", &b);
	/* consistency keys under kind inclusion */
	lb_mp_put_map(&b, 5);
	lb_mp_put_cstr(&b, "kind");
	lb_mp_put_cstr(&b, "inclusion");
	lb_mp_put_cstr(&b, "new");
	lb_mp_put_bin(&b, fake_head, 2);
	lb_mp_put_cstr(&b, "old");
	lb_mp_put_bin(&b, fake_old, 1);
	put_path(&b, 1, H);
	lb_mp_put_cstr(&b, "v");
	lb_mp_put_uint(&b, 1);
	refused("keys of the other kind", &b);
	/* version 2, unknown kind, short hash, unknown key, too long a path */
	for (int c = 0; c < 5; c++) {
		static const char *const what[] = {"version 2", "kind exclusion", "a 31-byte hash",
		                                   "unknown key", "66 hashes"};
		lb_mp_put_map(&b, 5);
		lb_mp_put_cstr(&b, c == 3 ? "extra" : "kind");
		lb_mp_put_cstr(&b, c == 1 ? "exclusion" : "consistency");
		lb_mp_put_cstr(&b, "new");
		lb_mp_put_bin(&b, fake_head, 2);
		lb_mp_put_cstr(&b, "old");
		lb_mp_put_bin(&b, fake_old, 1);
		put_path(&b, c == 4 ? LB_PROOF_PATH_MAX + 1 : 2, c == 2 ? H - 1 : H);
		lb_mp_put_cstr(&b, "v");
		lb_mp_put_uint(&b, c == 0 ? 2 : 1);
		refused(what[c], &b);
	}
	/* a non-canonical bin8 header for the 3 entry bytes is fine (it is the
	 * smallest); a bin16 header for them is not */
	{
		static const uint8_t nc[] = {0x85, 0xa5, 'e', 'n', 't', 'r', 'y',
		                             0xc5, 0,    3,   1,   2,   3};
		lb_mp_put_raw(&b, nc, sizeof nc);
		lb_mp_put_cstr(&b, "head");
		lb_mp_put_bin(&b, fake_head, 2);
		lb_mp_put_cstr(&b, "kind");
		lb_mp_put_cstr(&b, "inclusion");
		put_path(&b, 1, H);
		lb_mp_put_cstr(&b, "v");
		lb_mp_put_uint(&b, 1);
		refused("a bin16 header for 3 bytes", &b);
	}
	lb_mp_buf_free(&b);
}

/* ---- from an archive to a checked proof ----------------------------------- */

#define VILLAGE "33.24.01.2001"
#define NENTRIES 100

static struct lb_key key, other_key;
static uint8_t *entry_bytes[NENTRIES + 1];
static size_t entry_len[NENTRIES + 1];
static uint8_t *head_bytes[NENTRIES + 1]; /* NULL where no head was signed */
static size_t head_len[NENTRIES + 1];
static char lla_path[64];

static void make_key(struct lb_key *k, uint8_t seedbyte)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	memset(seed, seedbyte, sizeof seed);
	assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

static uint8_t *dup_buf(const struct lb_mp_buf *b, size_t *len)
{
	uint8_t *p = malloc(b->sb.size);
	assert_non_null(p);
	memcpy(p, b->sb.data, b->sb.size);
	*len = b->sb.size;
	return p;
}

/* Heads after seq 1, 2, 5, 12, then every 11th, and the last: the shape of
 * single puts and batches of several sizes. */
static bool has_head(uint64_t s)
{
	return s == 1 || s == 2 || s == 5 || s == 12 || s % 11 == 1 || s == NENTRIES;
}

static int archive_setup(void **state)
{
	struct lb_mp_buf b, body;
	struct lb_merkle m;
	struct lb_lla_writer w;
	struct lb_lla_header hdr = {.village = VILLAGE, .source = "node"};
	uint8_t prev[H] = {0}, hash[H];
	char id[16];
	FILE *f;
	int fd;
	(void)state;

	make_key(&key, 7);
	make_key(&other_key, 8);
	memcpy(hdr.origin, key.pk, LB_PK_BYTES);
	snprintf(lla_path, sizeof lla_path, "/tmp/lumbung-test-proof-XXXXXX");
	if ((fd = mkstemp(lla_path)) < 0 || !(f = fdopen(fd, "wb")))
		return -1;
	lb_mp_buf_init(&b);
	lb_mp_buf_init(&body);
	lb_merkle_init(&m);
	lb_lla_writer_init(&w, f);
	if (lb_lla_write_header(&w, &hdr, NULL))
		return -1;
	for (uint64_t s = 1; s <= NENTRIES; s++) {
		struct lb_entry e = {.seq = s,
		                     .ts = s << 16,
		                     .op = s % 9 ? LB_OP_PUT : LB_OP_DEL,
		                     .type = "warga",
		                     .type_len = 5,
		                     .schema = 0};
		snprintf(id, sizeof id, "w%03llu", (unsigned long long)s % 40);
		e.id = id;
		e.id_len = strlen(id);
		lb_mp_buf_reset(&body);
		lb_mp_put_map(&body, 1);
		lb_mp_put_cstr(&body, "n");
		lb_mp_put_uint(&body, s);
		if (e.op == LB_OP_PUT) {
			e.body = (const uint8_t *)body.sb.data;
			e.body_len = body.sb.size;
		}
		memcpy(e.prev, prev, H);
		lb_mp_buf_reset(&b);
		if (lb_entry_encode(&b, &e))
			return -1;
		entry_bytes[s] = dup_buf(&b, &entry_len[s]);
		lb_hash(hash, entry_bytes[s], entry_len[s]);
		memcpy(prev, hash, H);
		lb_merkle_append(&m, hash);
		if (lb_lla_write_entry(&w, entry_bytes[s], entry_len[s], NULL))
			return -1;
		if (has_head(s)) {
			struct lb_head h = {.village = VILLAGE, .seq = s, .ts = s << 16};
			memcpy(h.origin, key.pk, LB_PK_BYTES);
			memcpy(h.hash, hash, H);
			lb_merkle_root(&m, h.root);
			lb_mp_buf_reset(&b);
			if (lb_head_sign(&b, &h, &key))
				return -1;
			head_bytes[s] = dup_buf(&b, &head_len[s]);
			if (lb_lla_write_head(&w, head_bytes[s], head_len[s], NULL))
				return -1;
		}
	}
	if (lb_lla_write_trailer(&w, NULL))
		return -1;
	lb_lla_writer_free(&w);
	lb_mp_buf_free(&b);
	lb_mp_buf_free(&body);
	return fclose(f) == 0 ? 0 : -1;
}

static int archive_teardown(void **state)
{
	(void)state;
	for (int s = 0; s <= NENTRIES; s++) {
		free(entry_bytes[s]);
		free(head_bytes[s]);
	}
	unlink(lla_path);
	return 0;
}

static lb_err prove_incl(struct lb_mp_buf *out, uint64_t seq, uint64_t head, struct lb_diag *d)
{
	FILE *f = fopen(lla_path, "rb");
	lb_err e;

	assert_non_null(f);
	lb_mp_buf_reset(out);
	e = lb_proof_inclusion_make(out, f, seq, head, d);
	fclose(f);
	return e;
}

static lb_err prove_cons(struct lb_mp_buf *out, uint64_t from, uint64_t to, struct lb_diag *d)
{
	FILE *f = fopen(lla_path, "rb");
	lb_err e;

	assert_non_null(f);
	lb_mp_buf_reset(out);
	e = lb_proof_consistency_make(out, f, from, to, d);
	fclose(f);
	return e;
}

static void every_entry_is_proven_in_every_head_that_covers_it(void **state)
{
	struct lb_mp_buf out;
	struct lb_proof_verdict v;
	struct lb_proof p;
	struct lb_diag d = {0};
	(void)state;

	lb_mp_buf_init(&out);
	for (uint64_t h = 1; h <= NENTRIES; h++) {
		if (!head_bytes[h])
			continue;
		for (uint64_t s = 1; s <= h; s++) {
			if (prove_incl(&out, s, h, &d))
				fail_msg("prove seq %llu in head %llu: %s", (unsigned long long)s,
				         (unsigned long long)h, d.msg);
			assert_int_equal(lb_proof_decode(&p, out.sb.data, out.sb.size, NULL),
			                 LB_OK);
			assert_int_equal(p.entry_len, entry_len[s]);
			assert_memory_equal(p.entry, entry_bytes[s], entry_len[s]);
			assert_int_equal(p.head_len, head_len[h]);
			assert_memory_equal(p.head, head_bytes[h], head_len[h]);
			if (lb_proof_check(&v, out.sb.data, out.sb.size, key.pk, &d))
				fail_msg("check seq %llu in head %llu: %s", (unsigned long long)s,
				         (unsigned long long)h, d.msg);
			assert_true(v.pinned);
			assert_int_equal(v.kind, LB_PROOF_INCLUSION);
			assert_int_equal(v.seq, s);
			assert_int_equal(v.head.seq, h);
			assert_string_equal(v.type, "warga");
			assert_string_equal(v.head.village, VILLAGE);
		}
	}
	/* the default head is the last one */
	assert_int_equal(prove_incl(&out, 3, 0, &d), LB_OK);
	assert_int_equal(lb_proof_check(&v, out.sb.data, out.sb.size, NULL, &d), LB_OK);
	assert_false(v.pinned);
	assert_int_equal(v.head.seq, NENTRIES);
	lb_mp_buf_free(&out);
}

static void every_pair_of_heads_is_proven_consistent(void **state)
{
	struct lb_mp_buf out;
	struct lb_proof_verdict v;
	struct lb_diag d = {0};
	(void)state;

	lb_mp_buf_init(&out);
	for (uint64_t a = 1; a <= NENTRIES; a++)
		for (uint64_t b = a; b <= NENTRIES; b++) {
			if (!head_bytes[a] || !head_bytes[b])
				continue;
			if (prove_cons(&out, a, b, &d))
				fail_msg("prove %llu..%llu: %s", (unsigned long long)a,
				         (unsigned long long)b, d.msg);
			if (lb_proof_check(&v, out.sb.data, out.sb.size, key.pk, &d))
				fail_msg("check %llu..%llu: %s", (unsigned long long)a,
				         (unsigned long long)b, d.msg);
			assert_int_equal(v.kind, LB_PROOF_CONSISTENCY);
			assert_int_equal(v.old.seq, a);
			assert_int_equal(v.head.seq, b);
		}
	assert_int_equal(prove_cons(&out, 12, 0, &d), LB_OK);
	assert_int_equal(lb_proof_check(&v, out.sb.data, out.sb.size, key.pk, &d), LB_OK);
	assert_int_equal(v.head.seq, NENTRIES);
	lb_mp_buf_free(&out);
}

static void a_changed_bit_anywhere_in_a_proof_fails_the_check(void **state)
{
	struct lb_mp_buf out;
	struct lb_proof_verdict v;
	struct lb_diag d;
	uint8_t *buf;
	size_t len;
	(void)state;

	lb_mp_buf_init(&out);
	for (int kind = 0; kind < 2; kind++) {
		assert_int_equal(kind ? prove_cons(&out, 5, 67, &d) : prove_incl(&out, 23, 45, &d),
		                 LB_OK);
		buf = (uint8_t *)out.sb.data;
		len = out.sb.size;
		for (size_t i = 0; i < len; i++)
			for (int bit = 0; bit < 8; bit++) {
				lb_err e;
				buf[i] ^= (uint8_t)(1 << bit);
				e = lb_proof_check(&v, buf, len, NULL, &d);
				if (e != LB_ESIG && e != LB_EMALFORMED)
					fail_msg("%s proof, byte %zu bit %d changed: %s",
					         kind ? "consistency" : "inclusion", i, bit,
					         e ? lb_errname(e) : "still verifies");
				buf[i] ^= (uint8_t)(1 << bit);
			}
		assert_int_equal(lb_proof_check(&v, buf, len, other_key.pk, &d), LB_ESIG);
		assert_non_null(strstr(d.msg, "different key"));
	}
	lb_mp_buf_free(&out);
}

static void proofs_refuse_seqs_that_are_not_heads_or_beyond_them(void **state)
{
	struct lb_mp_buf out;
	struct lb_diag d;
	int fds[2];
	FILE *f;
	(void)state;

	lb_mp_buf_init(&out);
	assert_int_equal(prove_incl(&out, 46, 45, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "beyond"));
	assert_int_equal(prove_incl(&out, NENTRIES + 1, 0, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "beyond the signed head at seq 100"));
	assert_int_equal(prove_incl(&out, 3, 40, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "seq 40 is not a signed head"));
	assert_non_null(strstr(d.msg, "seq 34 and seq 45"));
	assert_int_equal(prove_incl(&out, 0, 0, &d), LB_EINVAL);
	assert_int_equal(prove_cons(&out, 3, 0, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "old seq 3 is not a signed head"));
	assert_int_equal(prove_cons(&out, 2, 101, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "new seq 101 is not a signed head"));
	assert_non_null(strstr(d.msg, "the last head is at seq 100"));
	assert_int_equal(prove_cons(&out, 12, 5, &d), LB_EINVAL);

	/* a pipe cannot be read twice */
	assert_int_equal(pipe(fds), 0);
	close(fds[1]);
	f = fdopen(fds[0], "rb");
	assert_non_null(f);
	assert_int_equal(lb_proof_inclusion_make(&out, f, 1, 0, &d), LB_EINVAL);
	assert_non_null(strstr(d.msg, "not seekable"));
	fclose(f);
	lb_mp_buf_free(&out);
}

static void an_archive_whose_entries_do_not_match_its_head_proves_nothing(void **state)
{
	struct lb_mp_buf out;
	struct lb_diag d;
	FILE *f = tmpfile();
	struct lb_lla_writer w;
	struct lb_lla_header hdr = {.village = VILLAGE, .source = "node"};
	(void)state;

	/* entries 1..12 but entry 7 swapped for entry 8: out of order */
	assert_non_null(f);
	memcpy(hdr.origin, key.pk, LB_PK_BYTES);
	lb_lla_writer_init(&w, f);
	assert_int_equal(lb_lla_write_header(&w, &hdr, NULL), LB_OK);
	for (int s = 1; s <= 12; s++) {
		int t = s == 7 ? 8 : s == 8 ? 7 : s;
		assert_int_equal(lb_lla_write_entry(&w, entry_bytes[t], entry_len[t], NULL), LB_OK);
		if (head_bytes[s])
			assert_int_equal(lb_lla_write_head(&w, head_bytes[s], head_len[s], NULL),
			                 LB_OK);
	}
	assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	lb_lla_writer_free(&w);
	lb_mp_buf_init(&out);
	rewind(f);
	assert_int_equal(lb_proof_inclusion_make(&out, f, 2, 5, &d), LB_OK);
	rewind(f);
	assert_int_equal(lb_proof_inclusion_make(&out, f, 2, 12, &d), LB_ECORRUPT);
	assert_non_null(strstr(d.msg, "entry seq 8 where seq 7 belongs"));
	fclose(f);

	/* a validly signed head at 12 whose root is not the entries' root */
	{
		struct lb_head h = {.village = VILLAGE, .seq = 12, .ts = 12 << 16};
		struct lb_mp_buf hb;
		memcpy(h.origin, key.pk, LB_PK_BYTES);
		lb_hash(h.hash, entry_bytes[12], entry_len[12]);
		lb_mp_buf_init(&hb);
		assert_int_equal(lb_head_sign(&hb, &h, &key), LB_OK);
		f = tmpfile();
		assert_non_null(f);
		lb_lla_writer_init(&w, f);
		assert_int_equal(lb_lla_write_header(&w, &hdr, NULL), LB_OK);
		for (int s = 1; s <= 12; s++) {
			assert_int_equal(lb_lla_write_entry(&w, entry_bytes[s], entry_len[s], NULL),
			                 LB_OK);
			if (s == 5)
				assert_int_equal(lb_lla_write_head(&w, head_bytes[5], head_len[5],
				                                   NULL),
				                 LB_OK);
		}
		assert_int_equal(lb_lla_write_head(&w, hb.sb.data, hb.sb.size, NULL), LB_OK);
		lb_lla_writer_free(&w);
		lb_mp_buf_free(&hb);
	}
	rewind(f);
	assert_int_equal(lb_proof_inclusion_make(&out, f, 3, 0, &d), LB_ECORRUPT);
	assert_non_null(strstr(d.msg, "entries 1..12 do not hash to the root"));
	rewind(f);
	assert_int_equal(lb_proof_consistency_make(&out, f, 5, 12, &d), LB_ECORRUPT);
	rewind(f);
	assert_int_equal(lb_proof_consistency_make(&out, f, 5, 5, &d), LB_OK);
	fclose(f);
	lb_mp_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(inclusion_paths_equal_rfc_path_and_verify_for_sizes_1_to_70),
	        cmocka_unit_test(inclusion_fails_for_any_flipped_bit_of_path_leaf_or_root),
	        cmocka_unit_test(inclusion_fails_at_another_index_or_tree_size),
	        cmocka_unit_test(inclusion_path_of_wrong_length_is_malformed),
	        cmocka_unit_test(consistency_paths_equal_rfc_subproof_and_verify_for_sizes_1_to_70),
	        cmocka_unit_test(consistency_fails_for_any_flipped_bit_or_other_sizes),
	        cmocka_unit_test(consistency_edge_cases),
	        cmocka_unit_test(plans_stay_within_bounds_up_to_2_to_the_64),
	        cmocka_unit_test(proof_file_has_the_documented_bytes),
	        cmocka_unit_test(proof_file_round_trips_and_refuses_every_cut),
	        cmocka_unit_test(proof_file_refuses_anything_but_the_canonical_form),
	        cmocka_unit_test_setup_teardown(every_entry_is_proven_in_every_head_that_covers_it,
	                                        archive_setup, archive_teardown),
	        cmocka_unit_test_setup_teardown(every_pair_of_heads_is_proven_consistent,
	                                        archive_setup, archive_teardown),
	        cmocka_unit_test_setup_teardown(a_changed_bit_anywhere_in_a_proof_fails_the_check,
	                                        archive_setup, archive_teardown),
	        cmocka_unit_test_setup_teardown(
	                proofs_refuse_seqs_that_are_not_heads_or_beyond_them, archive_setup,
	                archive_teardown),
	        cmocka_unit_test_setup_teardown(
	                an_archive_whose_entries_do_not_match_its_head_proves_nothing,
	                archive_setup, archive_teardown),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
