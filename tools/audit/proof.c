/*
 * proof.c — RFC 9162 inclusion and consistency proofs (see proof.h).
 *
 * Making a proof never holds the tree.  RFC 9162 defines the paths
 * recursively (PATH, SUBPROOF); unrolling the recursion gives the list of
 * subtrees [lo, hi) whose roots are the path, and because those subtrees
 * are disjoint, one pass over the leaves in order fills them one after the
 * other with a single struct lb_merkle frontier.  The archive is read twice:
 * first to find the signed head(s) and so the tree size, then to hash the
 * entries 1..size.
 *
 * Checking a proof is the RFC's iterative verification (§2.1.3.2,
 * §2.1.4.2), written from the RFC's text rather than from the planning
 * code, so the two halves do not share a mistake.
 */
#include "proof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* ---- planning ------------------------------------------------------------ */

/* The largest power of two smaller than n (n >= 2): MTH's split point. */
static uint64_t split(uint64_t n)
{
	return 1ULL << (63 - __builtin_clzll(n - 1));
}

/* The recursion collects the outermost subtree first, but the path lists
 * the one nearest the leaf first. */
static void reverse(struct lb_proof_plan *p)
{
	for (size_t i = 0; i < p->n / 2; i++) {
		struct lb_proof_range t = p->range[i];
		p->range[i] = p->range[p->n - 1 - i];
		p->range[p->n - 1 - i] = t;
	}
}

static void push(struct lb_proof_plan *p, uint64_t lo, uint64_t hi)
{
	/* Cannot overflow: every step at least halves the width (proof.h). */
	p->range[p->n].lo = lo;
	p->range[p->n].hi = hi;
	p->n++;
}

lb_err lb_proof_plan_inclusion(struct lb_proof_plan *p, uint64_t index, uint64_t size,
                               struct lb_diag *d)
{
	uint64_t lo = 0, hi = size;

	p->n = 0;
	if (index >= size)
		return lb_fail(d, LB_EINVAL, "leaf %llu is not in a tree of %llu leaves",
		               (unsigned long long)index, (unsigned long long)size);
	/* PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])       for m < k
	 *               = PATH(m - k, D[k:n]) : MTH(D[0:k])   for m >= k */
	while (hi - lo > 1) {
		uint64_t k = split(hi - lo);
		if (index - lo < k) {
			push(p, lo + k, hi);
			hi = lo + k;
		} else {
			push(p, lo, lo + k);
			lo += k;
		}
	}
	reverse(p);
	return LB_OK;
}

lb_err lb_proof_plan_consistency(struct lb_proof_plan *p, uint64_t old_size, uint64_t new_size,
                                 struct lb_diag *d)
{
	uint64_t lo = 0, hi = new_size;
	bool b = true;

	p->n = 0;
	if (old_size == 0 || old_size > new_size)
		return lb_fail(d, LB_EINVAL, "no consistency proof from %llu to %llu leaves",
		               (unsigned long long)old_size, (unsigned long long)new_size);
	/* SUBPROOF(m, D[n], b) = {} if m = n and b, {MTH(D[n])} if m = n and !b,
	 *   SUBPROOF(m, D[0:k], b) : MTH(D[k:n])            for m <= k
	 *   SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])    for m > k
	 * Invariant lo < old_size <= hi, so the loop ends with old_size == hi. */
	while (old_size != hi) {
		uint64_t k = split(hi - lo);
		if (old_size - lo <= k) {
			push(p, lo + k, hi);
			hi = lo + k;
		} else {
			push(p, lo, lo + k);
			lo += k;
			b = false;
		}
	}
	if (!b)
		push(p, lo, hi);
	reverse(p);
	return LB_OK;
}

/* ---- building -------------------------------------------------------------- */

void lb_proof_builder_init(struct lb_proof_builder *b, const struct lb_proof_plan *p)
{
	b->plan = *p;
	for (size_t i = 0; i < p->n; i++) {
		size_t j = i;
		while (j > 0 && p->range[b->order[j - 1]].lo > p->range[i].lo) {
			b->order[j] = b->order[j - 1];
			j--;
		}
		b->order[j] = (uint8_t)i;
	}
	b->next = 0;
	b->leaf = 0;
	lb_merkle_init(&b->cur);
}

void lb_proof_builder_add(struct lb_proof_builder *b, const uint8_t entry_hash[LB_HASH_BYTES])
{
	uint64_t i = b->leaf++;
	const struct lb_proof_range *r;

	if (b->next == b->plan.n)
		return;
	r = &b->plan.range[b->order[b->next]];
	if (i < r->lo) /* the proven leaf, or a leaf the path does not need */
		return;
	lb_merkle_append(&b->cur, entry_hash);
	if (i + 1 == r->hi) {
		lb_merkle_root(&b->cur, b->path[b->order[b->next]]);
		lb_merkle_init(&b->cur);
		b->next++;
	}
}

bool lb_proof_builder_done(const struct lb_proof_builder *b)
{
	return b->next == b->plan.n;
}

/* ---- verifying --------------------------------------------------------------- */

static void hex8(char out[17], const uint8_t *h)
{
	lb_hex(out, h, 8);
}

lb_err lb_proof_verify_inclusion(const uint8_t root[LB_HASH_BYTES], uint64_t index, uint64_t size,
                                 const uint8_t entry_hash[LB_HASH_BYTES],
                                 const uint8_t (*path)[LB_HASH_BYTES], size_t n, struct lb_diag *d)
{
	uint8_t r[LB_HASH_BYTES];
	uint64_t fn = index, sn;
	char got[17], want[17];

	if (index >= size)
		return lb_fail(d, LB_EMALFORMED, "leaf %llu is not in a tree of %llu leaves",
		               (unsigned long long)index, (unsigned long long)size);
	sn = size - 1;
	lb_merkle_leaf(r, entry_hash);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return lb_fail(d, LB_EMALFORMED,
			               "the path has %zu hashes, more than leaf %llu of a tree of "
			               "%llu needs",
			               n, (unsigned long long)index, (unsigned long long)size);
		if ((fn & 1) || fn == sn) {
			lb_merkle_node(r, path[i], r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			lb_merkle_node(r, r, path[i]);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return lb_fail(d, LB_EMALFORMED,
		               "the path has %zu hashes, fewer than leaf %llu of a tree of %llu "
		               "needs",
		               n, (unsigned long long)index, (unsigned long long)size);
	if (memcmp(r, root, LB_HASH_BYTES) != 0) {
		hex8(got, r);
		hex8(want, root);
		return lb_fail(d, LB_ESIG,
		               "the path leads to root %s..., not to the signed root %s... of the "
		               "tree of %llu",
		               got, want, (unsigned long long)size);
	}
	return LB_OK;
}

lb_err lb_proof_verify_consistency(uint64_t old_size, const uint8_t old_root[LB_HASH_BYTES],
                                   uint64_t new_size, const uint8_t new_root[LB_HASH_BYTES],
                                   const uint8_t (*path)[LB_HASH_BYTES], size_t n,
                                   struct lb_diag *d)
{
	uint8_t fr[LB_HASH_BYTES], sr[LB_HASH_BYTES];
	uint64_t fn, sn;
	size_t i;
	char got[17], want[17];

	if (old_size == 0 || old_size > new_size)
		return lb_fail(d, LB_EMALFORMED, "no consistency proof from %llu to %llu leaves",
		               (unsigned long long)old_size, (unsigned long long)new_size);
	if (old_size == new_size) {
		/* PROOF(n, D[n]) is empty: the two roots must simply agree. */
		if (n != 0)
			return lb_fail(d, LB_EMALFORMED,
			               "a tree of %llu needs an empty path to itself, not %zu "
			               "hashes",
			               (unsigned long long)new_size, n);
		if (memcmp(old_root, new_root, LB_HASH_BYTES) != 0)
			return lb_fail(d, LB_ESIG,
			               "two different roots are signed for the same tree size %llu",
			               (unsigned long long)new_size);
		return LB_OK;
	}
	if (n == 0)
		return lb_fail(d, LB_EMALFORMED, "the consistency path is empty");
	/* RFC 9162 §2.1.4.2: if first is an exact power of two, first_hash is
	 * prepended to the path; instead of copying, start from it. */
	if ((old_size & (old_size - 1)) == 0) {
		memcpy(fr, old_root, LB_HASH_BYTES);
		i = 0;
	} else {
		memcpy(fr, path[0], LB_HASH_BYTES);
		i = 1;
	}
	memcpy(sr, fr, LB_HASH_BYTES);
	fn = old_size - 1;
	sn = new_size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return lb_fail(d, LB_EMALFORMED,
			               "the path has %zu hashes, more than a proof from %llu to "
			               "%llu needs",
			               n, (unsigned long long)old_size,
			               (unsigned long long)new_size);
		if ((fn & 1) || fn == sn) {
			lb_merkle_node(fr, path[i], fr);
			lb_merkle_node(sr, path[i], sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			lb_merkle_node(sr, sr, path[i]);
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return lb_fail(d, LB_EMALFORMED,
		               "the path has %zu hashes, fewer than a proof from %llu to %llu "
		               "needs",
		               n, (unsigned long long)old_size, (unsigned long long)new_size);
	if (memcmp(fr, old_root, LB_HASH_BYTES) != 0) {
		hex8(got, fr);
		hex8(want, old_root);
		return lb_fail(d, LB_ESIG,
		               "the path leads to old root %s..., not to the root %s... signed at "
		               "seq %llu",
		               got, want, (unsigned long long)old_size);
	}
	if (memcmp(sr, new_root, LB_HASH_BYTES) != 0) {
		hex8(got, sr);
		hex8(want, new_root);
		return lb_fail(d, LB_ESIG,
		               "the path leads to new root %s..., not to the root %s... signed at "
		               "seq %llu",
		               got, want, (unsigned long long)new_size);
	}
	return LB_OK;
}

/* ---- the proof file ------------------------------------------------------------ */

static const char *kind_name(enum lb_proof_kind k)
{
	return k == LB_PROOF_INCLUSION ? "inclusion" : "consistency";
}

static void put_path(struct lb_mp_buf *out, const struct lb_proof *p)
{
	lb_mp_put_cstr(out, "path");
	lb_mp_put_array(out, (uint32_t)p->path_len);
	for (size_t i = 0; i < p->path_len; i++)
		lb_mp_put_bin(out, p->path[i], LB_HASH_BYTES);
}

lb_err lb_proof_encode(struct lb_mp_buf *out, const struct lb_proof *p)
{
	if (p->path_len > LB_PROOF_PATH_MAX)
		return LB_EINVAL;
	/* Keys in bytewise order: the encoding is canonical. */
	lb_mp_put_map(out, 5);
	switch (p->kind) {
	case LB_PROOF_INCLUSION:
		lb_mp_put_cstr(out, "entry");
		lb_mp_put_bin(out, p->entry, p->entry_len);
		lb_mp_put_cstr(out, "head");
		lb_mp_put_bin(out, p->head, p->head_len);
		lb_mp_put_cstr(out, "kind");
		lb_mp_put_cstr(out, kind_name(p->kind));
		put_path(out, p);
		break;
	case LB_PROOF_CONSISTENCY:
		lb_mp_put_cstr(out, "kind");
		lb_mp_put_cstr(out, kind_name(p->kind));
		lb_mp_put_cstr(out, "new");
		lb_mp_put_bin(out, p->head, p->head_len);
		lb_mp_put_cstr(out, "old");
		lb_mp_put_bin(out, p->old, p->old_len);
		put_path(out, p);
		break;
	default:
		return LB_EINVAL;
	}
	lb_mp_put_cstr(out, "v");
	lb_mp_put_uint(out, LB_PROOF_VERSION);
	return out->oom ? LB_ENOMEM : LB_OK;
}

enum { K_ENTRY = 1, K_HEAD = 2, K_KIND = 4, K_NEW = 8, K_OLD = 16, K_PATH = 32, K_V = 64 };

static const struct {
	const char *name;
	int bit;
} proof_keys[] = {
	{"entry", K_ENTRY}, {"head", K_HEAD}, {"kind", K_KIND}, {"new", K_NEW},
	{"old", K_OLD},     {"path", K_PATH}, {"v", K_V},
};

static lb_err read_bin(struct lb_mp_rd *r, const uint8_t **s, size_t *len, const char *what,
                       struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e = lb_mp_next(r, &o, d);

	if (e) {
		lb_diag_prefix(d, "proof %s", what);
		return e;
	}
	if (o.kind != LB_MP_BIN || !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "proof %s: expected canonical binary", what);
	*s = o.s;
	*len = o.len;
	return LB_OK;
}

static lb_err read_path(struct lb_mp_rd *r, struct lb_proof *p, struct lb_diag *d)
{
	struct lb_mp_obj o;
	const uint8_t *h;
	lb_err e;

	if ((e = lb_mp_next(r, &o, d))) {
		lb_diag_prefix(d, "proof path");
		return e;
	}
	if (o.kind != LB_MP_ARRAY || !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "proof path: expected a canonical array");
	if (o.len > LB_PROOF_PATH_MAX)
		return lb_fail(d, LB_EMALFORMED,
		               "proof path: %u hashes, more than any tree needs (%d)", o.len,
		               LB_PROOF_PATH_MAX);
	for (uint32_t i = 0; i < o.len; i++) {
		if ((e = lb_mp_read_binn(r, &h, LB_HASH_BYTES, "proof path hash", d)))
			return e;
		memcpy(p->path[i], h, LB_HASH_BYTES);
	}
	p->path_len = o.len;
	return LB_OK;
}

lb_err lb_proof_decode(struct lb_proof *p, const void *buf, size_t len, struct lb_diag *d)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o;
	const uint8_t *key, *s;
	uint32_t klen, n;
	size_t last = 0;
	uint64_t v;
	int seen = 0, want;
	char esc[LB_ESC_BUF];
	lb_err e;

	memset(p, 0, sizeof *p);
	if (len > LB_PROOF_MAX)
		return lb_fail(d, LB_ETOOBIG, "proof: %zu bytes, more than a proof can hold (%d)",
		               len, LB_PROOF_MAX);
	lb_mp_rd_init(&r, buf, len);
	if ((e = lb_mp_next(&r, &o, d))) {
		lb_diag_prefix(d, "proof");
		return e;
	}
	if (o.kind != LB_MP_MAP || !o.canonical || o.len != 5)
		return lb_fail(d, LB_EMALFORMED,
		               "proof: expected a map of 5 keys (not a lumbung proof)");
	for (uint32_t i = 0; i < o.len; i++) {
		size_t k = 0, nk = sizeof proof_keys / sizeof proof_keys[0];
		int bit;
		if ((e = lb_mp_read_str(&r, &key, &klen, "proof key", d)))
			return e;
		while (k < nk && (strlen(proof_keys[k].name) != klen ||
		                  memcmp(proof_keys[k].name, key, klen) != 0))
			k++;
		if (k == nk)
			return lb_fail(d, LB_EMALFORMED, "proof: unknown key \"%s\"",
			               lb_escape(esc, key, klen));
		/* The table is in bytewise order, so canonical order is rising k. */
		if (i > 0 && k <= last)
			return lb_fail(d, LB_EMALFORMED,
			               "proof: key \"%s\" out of canonical order or repeated",
			               lb_escape(esc, key, klen));
		last = k;
		bit = proof_keys[k].bit;
		seen |= bit;
		switch (bit) {
		case K_ENTRY:
			e = read_bin(&r, &p->entry, &p->entry_len, "entry", d);
			break;
		case K_HEAD:
			e = read_bin(&r, &p->head, &p->head_len, "head", d);
			break;
		case K_NEW:
			e = read_bin(&r, &p->head, &p->head_len, "new head", d);
			break;
		case K_OLD:
			e = read_bin(&r, &p->old, &p->old_len, "old head", d);
			break;
		case K_PATH:
			e = read_path(&r, p, d);
			break;
		case K_V:
			if (!(e = lb_mp_read_uint(&r, &v, "proof v", d)) && v != LB_PROOF_VERSION)
				e = lb_fail(d, LB_EMALFORMED, "proof: unsupported version %llu",
				            (unsigned long long)v);
			break;
		case K_KIND:
			if ((e = lb_mp_read_str(&r, &s, &n, "proof kind", d)))
				break;
			if (n == 9 && memcmp(s, "inclusion", 9) == 0)
				p->kind = LB_PROOF_INCLUSION;
			else if (n == 11 && memcmp(s, "consistency", 11) == 0)
				p->kind = LB_PROOF_CONSISTENCY;
			else
				e = lb_fail(d, LB_EMALFORMED, "proof: unknown kind \"%s\"",
				            lb_escape(esc, s, n));
			break;
		}
		if (e)
			return e;
	}
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "proof: %zu trailing bytes", lb_mp_rd_left(&r));
	if (!(seen & K_KIND))
		return lb_fail(d, LB_EMALFORMED, "proof: no \"kind\"");
	want = p->kind == LB_PROOF_INCLUSION ? K_ENTRY | K_HEAD | K_KIND | K_PATH | K_V
	                                     : K_KIND | K_NEW | K_OLD | K_PATH | K_V;
	if (seen != want)
		return lb_fail(d, LB_EMALFORMED, "proof: the keys do not fit an %s proof",
		               kind_name(p->kind));
	return LB_OK;
}

/* ---- checking ----------------------------------------------------------------- */

static void copy_text(char *out, size_t cap, const char *s, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

static lb_err check_inclusion(struct lb_proof_verdict *v, const struct lb_proof *p,
                              const uint8_t *expect_origin, struct lb_diag *d)
{
	struct lb_entry ent;
	lb_err e;

	if ((e = lb_head_open(&v->head, p->head, p->head_len, expect_origin, d)))
		return e;
	if (v->head.seq == 0)
		return lb_fail(d, LB_EMALFORMED, "the signed head is for seq 0, an empty log");
	if ((e = lb_entry_decode(&ent, p->entry, p->entry_len, d))) {
		lb_diag_prefix(d, "proof entry");
		return e;
	}
	v->seq = ent.seq;
	v->op = ent.op;
	copy_text(v->type, sizeof v->type, ent.type, ent.type_len);
	copy_text(v->id, sizeof v->id, ent.id, ent.id_len);
	lb_hash(v->entry_hash, p->entry, p->entry_len);
	if (ent.seq == 0 || ent.seq > v->head.seq)
		return lb_fail(d, LB_EMALFORMED,
		               "entry seq %llu is not covered by the head, which signs seq 1..%llu",
		               (unsigned long long)ent.seq, (unsigned long long)v->head.seq);
	if (ent.seq == v->head.seq && memcmp(v->entry_hash, v->head.hash, LB_HASH_BYTES) != 0)
		return lb_fail(d, LB_ESIG,
		               "entry seq %llu is not the entry the head signs for that seq",
		               (unsigned long long)ent.seq);
	e = lb_proof_verify_inclusion(v->head.root, ent.seq - 1, v->head.seq, v->entry_hash,
	                              (const uint8_t(*)[LB_HASH_BYTES])p->path, p->path_len, d);
	if (e)
		lb_diag_prefix(d, "inclusion of seq %llu", (unsigned long long)ent.seq);
	return e;
}

static lb_err check_consistency(struct lb_proof_verdict *v, const struct lb_proof *p,
                                const uint8_t *expect_origin, struct lb_diag *d)
{
	lb_err e;

	if ((e = lb_head_open(&v->old, p->old, p->old_len, expect_origin, d))) {
		lb_diag_prefix(d, "old head");
		return e;
	}
	if ((e = lb_head_open(&v->head, p->head, p->head_len, expect_origin, d))) {
		lb_diag_prefix(d, "new head");
		return e;
	}
	if (memcmp(v->old.origin, v->head.origin, LB_PK_BYTES) != 0)
		return lb_fail(d, LB_ESIG, "the old and the new head are signed by different keys");
	if (strcmp(v->old.village, v->head.village) != 0)
		return lb_fail(d, LB_EMALFORMED,
		               "the old head is for village %s, the new one for %s", v->old.village,
		               v->head.village);
	if (v->old.seq == 0)
		return lb_fail(d, LB_EMALFORMED, "the old head is for seq 0, an empty log");
	if (v->old.seq > v->head.seq)
		return lb_fail(d, LB_EMALFORMED,
		               "the old head (seq %llu) is newer than the new one "
		               "(seq %llu)",
		               (unsigned long long)v->old.seq, (unsigned long long)v->head.seq);
	e = lb_proof_verify_consistency(v->old.seq, v->old.root, v->head.seq, v->head.root,
	                                (const uint8_t(*)[LB_HASH_BYTES])p->path, p->path_len, d);
	if (e)
		lb_diag_prefix(d, "consistency of seq %llu with seq %llu",
		               (unsigned long long)v->old.seq, (unsigned long long)v->head.seq);
	return e;
}

lb_err lb_proof_check(struct lb_proof_verdict *v, const void *buf, size_t len,
                      const uint8_t *expect_origin, struct lb_diag *d)
{
	struct lb_proof *p;
	lb_err e;

	memset(v, 0, sizeof *v);
	/* 2 KiB of path: keep it off small thread stacks. */
	if (!(p = malloc(sizeof *p)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_proof_decode(p, buf, len, d)))
		goto out;
	v->kind = p->kind;
	v->pinned = expect_origin != NULL;
	e = p->kind == LB_PROOF_INCLUSION ? check_inclusion(v, p, expect_origin, d)
	                                  : check_consistency(v, p, expect_origin, d);
out:
	free(p);
	return e;
}

/* ---- making proofs from an archive ------------------------------------------------- */

/* A signed head the caller asked for: seq 0 means the last one. */
struct want {
	uint64_t seq;
	uint8_t *bytes; /* a copy of the stored head, NULL until found */
	size_t len, cap;
	uint64_t got;          /* its seq */
	uint64_t below, above; /* the nearest heads around seq, 0 if none */
	struct lb_head head;   /* opened (signature checked) after the scan */
};

static lb_err keep(struct want *w, const uint8_t *b, size_t len, uint64_t seq, struct lb_diag *d)
{
	if (len > w->cap) {
		uint8_t *nb = realloc(w->bytes, len);
		if (!nb)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		w->bytes = nb;
		w->cap = len;
	}
	memcpy(w->bytes, b, len);
	w->len = len;
	w->got = seq;
	return LB_OK;
}

/* The seq of a stored head, without the signature check: the scan passes
 * every head of the archive, and only the chosen ones are worth an Ed25519
 * verification (lb_head_open, later). */
static lb_err head_seq(const uint8_t *b, size_t len, uint64_t *seq, struct lb_diag *d)
{
	struct lb_mp_rd r;
	const uint8_t *s;
	uint32_t n;
	uint64_t ver;
	lb_err e;

	if (len < LB_SIG_BYTES + 1)
		return lb_fail(d, LB_EMALFORMED, "signed head: %zu bytes is too short", len);
	lb_mp_rd_init(&r, b + LB_SIG_BYTES, len - LB_SIG_BYTES);
	if ((e = lb_mp_read_array(&r, 8, "signed head", d)) ||
	    (e = lb_mp_read_str(&r, &s, &n, "signed head tag", d)) ||
	    (e = lb_mp_read_uint(&r, &ver, "signed head version", d)) ||
	    (e = lb_mp_read_str(&r, &s, &n, "signed head village", d)) ||
	    (e = lb_mp_read_binn(&r, &s, LB_PK_BYTES, "signed head origin", d)))
		return e;
	return lb_mp_read_uint(&r, seq, "signed head seq", d);
}

static lb_err not_seekable(struct lb_diag *d)
{
	return lb_fail(d, LB_EINVAL,
	               "the archive is not seekable (a pipe?): a proof reads it twice, so save it "
	               "to a file first");
}

/* Pass 1: find the wanted heads. */
static lb_err scan_heads(FILE *f, struct want *w, size_t nw, uint64_t *nheads, struct lb_diag *d)
{
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	uint64_t seq;
	lb_err e;

	*nheads = 0;
	if ((e = lb_lla_reader_open(&rd, f, d)))
		return e;
	while (!(e = lb_lla_next(&rd, &fr, d))) {
		if (fr.kind != LB_LLA_HEAD)
			continue;
		if ((e = head_seq(fr.a, fr.alen, &seq, d))) {
			lb_diag_prefix(d, "archive frame %llu", (unsigned long long)rd.frame);
			break;
		}
		++*nheads;
		for (size_t i = 0; i < nw && !e; i++) {
			if (w[i].seq == 0 || (w[i].seq == seq && !w[i].bytes))
				e = keep(&w[i], fr.a, fr.alen, seq, d);
			else if (seq < w[i].seq && seq > w[i].below)
				w[i].below = seq;
			else if (seq > w[i].seq && (!w[i].above || seq < w[i].above))
				w[i].above = seq;
		}
		if (e)
			break;
	}
	lb_lla_reader_close(&rd);
	return e == LB_ENOTFOUND ? LB_OK : e;
}

/* Say which head is missing and which ones are near it. */
static lb_err no_head(const struct want *w, const char *what, struct lb_diag *d)
{
	unsigned long long s = w->seq, b = w->below, a = w->above;

	if (b && a)
		return lb_fail(d, LB_EINVAL,
		               "%sseq %llu is not a signed head in the archive (the nearest are "
		               "seq %llu and seq %llu)",
		               what, s, b, a);
	if (b)
		return lb_fail(d, LB_EINVAL,
		               "%sseq %llu is not a signed head in the archive (the last head is "
		               "at "
		               "seq %llu)",
		               what, s, b);
	return lb_fail(d, LB_EINVAL,
	               "%sseq %llu is not a signed head in the archive (the first head is at seq "
	               "%llu)",
	               what, s, a);
}

/* Pass 2: hash the entries 1..upto in one stream into the builder, and
 * keep a copy of entry `capture` (if not 0). */
struct pass2 {
	uint64_t upto;
	uint64_t count; /* entries hashed */
	struct lb_proof_builder b;
	uint64_t capture;
	uint8_t *entry;
	size_t entry_len;
};

static lb_err hash_entries(FILE *f, struct pass2 *p, struct lb_diag *d)
{
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	struct lb_mp_rd r;
	uint8_t h[LB_HASH_BYTES];
	uint64_t seq;
	lb_err e;

	if ((e = lb_lla_reader_open(&rd, f, d)))
		return e;
	while (p->count < p->upto && !(e = lb_lla_next(&rd, &fr, d))) {
		if (fr.kind != LB_LLA_ENTRY)
			continue;
		/* Only the seq is decoded here: the proven entry is decoded in
		 * full by the final check, the others need only their hash. */
		lb_mp_rd_init(&r, fr.a, fr.alen);
		if ((e = lb_mp_read_array(&r, 8, "entry", d)) ||
		    (e = lb_mp_read_uint(&r, &seq, "entry seq", d))) {
			lb_diag_prefix(d, "archive frame %llu", (unsigned long long)rd.frame);
			break;
		}
		if (seq != p->count + 1) {
			e = lb_fail(d, LB_ECORRUPT,
			            "archive frame %llu holds entry seq %llu where seq %llu "
			            "belongs",
			            (unsigned long long)rd.frame, (unsigned long long)seq,
			            (unsigned long long)p->count + 1);
			break;
		}
		if (seq == p->capture) {
			if (!(p->entry = malloc(fr.alen))) {
				e = lb_fail(d, LB_ENOMEM, "out of memory");
				break;
			}
			memcpy(p->entry, fr.a, fr.alen);
			p->entry_len = fr.alen;
		}
		lb_hash(h, fr.a, fr.alen);
		lb_proof_builder_add(&p->b, h);
		p->count++;
	}
	lb_lla_reader_close(&rd);
	if (e == LB_ENOTFOUND)
		e = lb_fail(d, LB_ECORRUPT,
		            "the archive ends after entry %llu, before seq %llu that its head "
		            "signs",
		            (unsigned long long)p->count, (unsigned long long)p->upto);
	if (!e && !lb_proof_builder_done(&p->b)) /* cannot happen once upto is reached */
		e = lb_fail(d, LB_ECORRUPT, "the proof's subtrees were not all filled");
	return e;
}

/* Does the path just built lead to the signed root(s)?  If not, the
 * archive's entries are not the ones its heads sign. */
static lb_err path_ok(const struct pass2 *p2, const struct want *w, size_t nw, uint64_t seq,
                      struct lb_diag *d)
{
	const uint8_t(*path)[LB_HASH_BYTES] = (const uint8_t(*)[LB_HASH_BYTES])p2->b.path;
	uint8_t eh[LB_HASH_BYTES];
	struct lb_diag why = {0};
	lb_err e;

	if (nw == 1) {
		lb_hash(eh, p2->entry, p2->entry_len);
		e = lb_proof_verify_inclusion(w[0].head.root, seq - 1, w[0].got, eh, path,
		                              p2->b.plan.n, &why);
	} else
		e = lb_proof_verify_consistency(w[0].got, w[0].head.root, w[1].got, w[1].head.root,
		                                path, p2->b.plan.n, &why);
	if (e == LB_ESIG && nw == 1)
		return lb_fail(d, LB_ECORRUPT,
		               "the archive's entries 1..%llu do not hash to the root its head "
		               "signs "
		               "for seq %llu",
		               (unsigned long long)w[0].got, (unsigned long long)w[0].got);
	if (e == LB_ESIG)
		return lb_fail(d, LB_ECORRUPT,
		               "the archive's entries do not hash to the roots its heads sign for "
		               "seq %llu and %llu (%s)",
		               (unsigned long long)w[0].got, (unsigned long long)w[1].got, why.msg);
	if (e)
		return lb_fail(d, e, "%s", why.msg);
	return LB_OK;
}

/* The shared body of both makers.  w[0] is the head the proof is against
 * (inclusion) or the old head, w[1] the new head (consistency). */
static lb_err make(struct lb_mp_buf *out, FILE *f, uint64_t seq, struct want *w, size_t nw,
                   struct lb_diag *d)
{
	struct pass2 *p2 = NULL;
	struct lb_proof_plan plan;
	struct lb_proof *pr = NULL;
	struct lb_proof_verdict v;
	const struct want *top = &w[nw - 1];
	uint64_t nheads;
	size_t at = out->sb.size;
	off_t start;
	lb_err e;

	if ((start = ftello(f)) < 0)
		return not_seekable(d);
	if ((e = scan_heads(f, w, nw, &nheads, d)))
		return e;
	if (nheads == 0)
		return lb_fail(d, LB_EINVAL,
		               "the archive holds no signed head: there is no root to "
		               "prove against");
	for (size_t i = 0; i < nw; i++)
		if (!w[i].bytes)
			return no_head(&w[i], nw == 1 ? "" : i == 0 ? "old " : "new ", d);
	if (nw == 2 && w[0].got > w[1].got)
		return lb_fail(d, LB_EINVAL,
		               "the old head (seq %llu) is newer than the new one (seq %llu)",
		               (unsigned long long)w[0].got, (unsigned long long)w[1].got);
	for (size_t i = 0; i < nw; i++)
		if ((e = lb_head_open(&w[i].head, w[i].bytes, w[i].len, NULL, d)))
			return e;
	if (nw == 1) {
		if (seq > w[0].got)
			return lb_fail(d, LB_EINVAL,
			               "entry seq %llu is beyond the signed head at seq %llu%s",
			               (unsigned long long)seq, (unsigned long long)w[0].got,
			               w[0].seq ? "" : " (the last head in the archive)");
		e = lb_proof_plan_inclusion(&plan, seq - 1, w[0].got, d);
	} else
		e = lb_proof_plan_consistency(&plan, w[0].got, w[1].got, d);
	if (e)
		return e;

	if (fseeko(f, start, SEEK_SET) != 0)
		return not_seekable(d);
	clearerr(f);
	if (!(p2 = calloc(1, sizeof *p2)) || !(pr = calloc(1, sizeof *pr))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	p2->upto = top->got;
	p2->capture = nw == 1 ? seq : 0;
	lb_proof_builder_init(&p2->b, &plan);
	if ((e = hash_entries(f, p2, d)) || (e = path_ok(p2, w, nw, seq, d)))
		goto out;

	pr->kind = nw == 1 ? LB_PROOF_INCLUSION : LB_PROOF_CONSISTENCY;
	pr->entry = p2->entry;
	pr->entry_len = p2->entry_len;
	pr->head = top->bytes;
	pr->head_len = top->len;
	if (nw == 2) {
		pr->old = w[0].bytes;
		pr->old_len = w[0].len;
	}
	pr->path_len = plan.n;
	memcpy(pr->path, p2->b.path, plan.n * LB_HASH_BYTES);
	if ((e = lb_proof_encode(out, pr))) {
		e = lb_fail(d, e, "%s", lb_strerror(e));
		goto out;
	}
	/* The proof must prove what it says before anyone is handed it (an
	 * entry that does not decode, say, fails here and not at the auditor). */
	if ((e = lb_proof_check(&v, out->sb.data + at, out->sb.size - at, NULL, d)))
		lb_diag_prefix(d, "the archive does not prove it");
out:
	if (p2)
		free(p2->entry);
	free(p2);
	free(pr);
	return e;
}

lb_err lb_proof_inclusion_make(struct lb_mp_buf *out, FILE *lla, uint64_t seq, uint64_t head_seq,
                               struct lb_diag *d)
{
	struct want w[1] = {{.seq = head_seq}};
	lb_err e;

	if (seq == 0)
		return lb_fail(d, LB_EINVAL, "entries are numbered from seq 1");
	if (head_seq && seq > head_seq)
		return lb_fail(d, LB_EINVAL, "entry seq %llu is beyond the head at seq %llu",
		               (unsigned long long)seq, (unsigned long long)head_seq);
	e = make(out, lla, seq, w, 1, d);
	free(w[0].bytes);
	return e;
}

lb_err lb_proof_consistency_make(struct lb_mp_buf *out, FILE *lla, uint64_t old_seq,
                                 uint64_t new_seq, struct lb_diag *d)
{
	struct want w[2] = {{.seq = old_seq}, {.seq = new_seq}};
	lb_err e;

	if (old_seq == 0)
		return lb_fail(d, LB_EINVAL, "the old head's seq must be 1 or more");
	if (new_seq && old_seq > new_seq)
		return lb_fail(d, LB_EINVAL,
		               "the old head (seq %llu) is newer than the new one "
		               "(seq %llu)",
		               (unsigned long long)old_seq, (unsigned long long)new_seq);
	e = make(out, lla, 0, w, 2, d);
	free(w[0].bytes);
	free(w[1].bytes);
	return e;
}
