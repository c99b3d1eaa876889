/*
 * verify.c — full integrity check of a node (lb_node_verify in node.h).
 *
 * One read transaction gives a consistent snapshot, so verify can run while
 * the operator or a sync daemon writes.  Three passes:
 *
 *  1. the log, in order: every entry decodes canonically, its key equals its
 *     seq, its prev equals the hash of the entry before, timestamps rise;
 *     the Merkle tree is rebuilt; each signed head met on the way is checked
 *     (signature by the node's origin key, village, hash, tree root).
 *     A succession kept in meta (adopt.h) at seq N is crossed right after
 *     the head of N (lb_chain_succeed): heads up to N are signed by its old
 *     key, after it by its new one.  Its signer is not judged here (the
 *     node took it from the aggregator it trusts); the CLI names it.
 *  2. the end: the last entry is covered by a signed head, no head points
 *     past the log, no succession either, the chain ends under the node's
 *     own key, and the tip and Merkle frontier in meta match.
 *  3. state = replay: (a) every entry's key has a records row pointing at
 *     that entry or a later one, and (b) every records row points at an
 *     entry for the same key with the matching operation.  (a) and (b)
 *     together mean each row names the *last* entry for its key, which is
 *     exactly what replaying the log would produce, without holding the
 *     replayed state in memory.
 *
 * When a prev link breaks between seq k-1 and k, either entry k-1 was
 * changed (its hash moved) or entry k was (its prev field moved).  We look
 * one step ahead: if entry k still chains to what follows, k is intact and
 * k-1 is the altered one.  That names the tampered entry for a single
 * change, which is what an operator needs to look at first.
 */
#include "node_int.h"

#include <string.h>

#include "../schema/schema.h"
#include "chain.h"
#include "succession.h"

struct vstate {
	struct lb_node *n;
	MDB_txn *txn;
	struct lb_verify_report *r;
	struct lb_diag *d;
	struct lb_node_info id;
	/* the successions in meta, in seq order (bytes borrowed from txn) */
	struct vsucc {
		uint64_t seq;
		const uint8_t *stmt;
		size_t len;
	} *succ;
	size_t nsucc, capsucc;
	bool succ_nomem;
};

static lb_err bad(struct vstate *s, uint64_t seq, lb_err code, const char *fmt, const char *why)
{
	s->r->bad_seq = seq;
	return lb_fail(s->d, code, fmt, (unsigned long long)seq, why);
}

/* Does entry seq hash to what the next link (entry seq+1's prev, or the
 * signed head at seq) says?  Used only to assign blame after a break. */
static bool chains_forward(struct vstate *s, uint64_t seq, const MDB_val *raw,
                           const uint8_t origin[LB_PK_BYTES])
{
	uint8_t k[8], h[LB_HASH_BYTES];
	MDB_val key = {8, k}, v;
	struct lb_entry e;
	struct lb_head hd;

	lb_hash(h, raw->mv_data, raw->mv_size);
	lb_be64_put(k, seq);
	if (mdb_get(s->txn, s->n->heads, &key, &v) == 0 &&
	    lb_head_open(&hd, v.mv_data, v.mv_size, origin, NULL) == LB_OK)
		return memcmp(hd.hash, h, LB_HASH_BYTES) == 0;
	lb_be64_put(k, seq + 1);
	if (mdb_get(s->txn, s->n->log, &key, &v) == 0 &&
	    lb_entry_decode(&e, v.mv_data, v.mv_size, NULL) == LB_OK)
		return memcmp(e.prev, h, LB_HASH_BYTES) == 0;
	return false;
}

/* Each entry must satisfy the schema version it claims.  References are
 * not re-checked: a programme deleted later does not make its old
 * beneficiaries' entries invalid. */
static lb_err check_schema(struct vstate *s, const struct lb_entry *e)
{
	lb_err err = lb_entry_check_schema(e, NULL, s->d);

	s->r->bad_seq = err ? e->seq : 0;
	return err;
}

static lb_err check_head(struct vstate *s, const MDB_val *hv, uint64_t seq, struct lb_chain *c)
{
	struct lb_head h;
	lb_err e;

	if ((e = lb_head_open(&h, hv->mv_data, hv->mv_size, c->origin, s->d)) ||
	    (e = lb_chain_head(c, &h, s->d))) {
		s->r->bad_seq = seq;
		if (e != LB_ECORRUPT)
			lb_diag_prefix(s->d, "seq %llu", (unsigned long long)seq);
		return e;
	}
	s->r->heads++;
	return LB_OK;
}

static int collect_succ(void *ctx, uint64_t seq, const uint8_t *stmt, size_t len)
{
	struct vstate *s = ctx;

	if (s->nsucc == s->capsucc) {
		size_t nc = s->capsucc ? 2 * s->capsucc : 4;
		struct vsucc *p = realloc(s->succ, nc * sizeof *p);
		if (!p) {
			s->succ_nomem = true;
			return 1;
		}
		s->succ = p;
		s->capsucc = nc;
	}
	s->succ[s->nsucc++] = (struct vsucc){seq, stmt, len};
	return 0;
}

/* Open the succession kept at i (its signer is not judged: see the file
 * comment). */
static lb_err open_succ(struct vstate *s, size_t i, struct lb_succession *st)
{
	lb_err e = lb_succession_open(st, s->succ[i].stmt, s->succ[i].len, NULL, s->d);

	if (e) {
		s->r->bad_seq = s->succ[i].seq;
		lb_diag_prefix(s->d, "seq %llu: the succession kept for this seq",
		               (unsigned long long)s->succ[i].seq);
	}
	return e;
}

/* The chain's first key: the old key of the first succession, else the
 * node's own. */
static lb_err first_origin(struct vstate *s, uint8_t origin[LB_PK_BYTES])
{
	struct lb_succession st;
	lb_err e;

	memcpy(origin, s->id.origin, LB_PK_BYTES);
	if ((e = lb_node_succ_walk(s->n, s->txn, collect_succ, s, s->d)))
		return e;
	if (s->succ_nomem)
		return lb_fail(s->d, LB_ENOMEM, "out of memory");
	if (!s->nsucc)
		return LB_OK;
	if ((e = open_succ(s, 0, &st)))
		return e;
	memcpy(origin, st.old_key, LB_PK_BYTES);
	return LB_OK;
}

/* Cross the succession kept at seq, if any: *next indexes s->succ. */
static lb_err cross(struct vstate *s, struct lb_chain *c, uint64_t seq, bool head, size_t *next)
{
	struct lb_succession st;
	lb_err e;

	if (*next >= s->nsucc || s->succ[*next].seq != seq)
		return LB_OK;
	if (!head)
		return bad(s, seq, LB_ECORRUPT, "seq %llu: %s",
		           "a succession kept for an entry without a signed head (a succession "
		           "follows the old key's last head)");
	if ((e = open_succ(s, *next, &st)))
		return e;
	if ((e = lb_chain_succeed(c, &st, s->d))) {
		s->r->bad_seq = seq;
		return e;
	}
	s->r->successions++;
	++*next;
	return LB_OK;
}

/* Pass 1 and 2. */
static lb_err check_log(struct vstate *s, uint8_t last_hash[LB_HASH_BYTES], uint64_t *last_seq)
{
	MDB_cursor *lc = NULL, *hc = NULL;
	MDB_val k, v, hk, hv;
	struct lb_chain c;
	struct lb_entry e;
	uint8_t hash[LB_HASH_BYTES];
	uint64_t expect = 1, head_seq = 0, tip_seq, tip_ts;
	uint8_t tip_hash[LB_HASH_BYTES];
	struct lb_merkle stored;
	uint8_t origin[LB_PK_BYTES];
	size_t next_succ = 0;
	lb_err err = LB_OK;
	int rc, hrc;

	if ((err = first_origin(s, origin)))
		return err;
	lb_chain_init(&c, s->id.village, origin);
	if ((rc = mdb_cursor_open(s->txn, s->n->log, &lc)) ||
	    (rc = mdb_cursor_open(s->txn, s->n->heads, &hc))) {
		err = lb_mdb_fail(s->d, rc, "reading the log");
		goto out;
	}
	hrc = mdb_cursor_get(hc, &hk, &hv, MDB_FIRST);
	if (hrc == 0)
		head_seq = hk.mv_size == 8 ? lb_be64_get(hk.mv_data) : 0;

	for (rc = mdb_cursor_get(lc, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(lc, &k, &v, MDB_NEXT), expect++) {
		uint64_t seq = k.mv_size == 8 ? lb_be64_get(k.mv_data) : 0;

		if (seq != expect) {
			err = bad(s, expect, LB_ECORRUPT, "seq %llu: %s",
			          "entry is missing (the log skips it)");
			goto out;
		}
		if ((err = lb_entry_decode(&e, v.mv_data, v.mv_size, s->d))) {
			s->r->bad_seq = seq;
			lb_diag_prefix(s->d, "seq %llu", (unsigned long long)seq);
			err = LB_ECORRUPT;
			if (s->d)
				s->d->code = err;
			goto out;
		}
		if (e.seq != seq) {
			err = bad(s, seq, LB_ECORRUPT, "seq %llu: %s",
			          "entry carries a different seq than its position");
			goto out;
		}
		lb_hash(hash, v.mv_data, v.mv_size);
		if ((err = lb_chain_entry(&c, &e, hash, NULL, s->d))) {
			if (c.fault == LB_CHAIN_PREV && seq > 1 && chains_forward(s, seq, &v, c.origin))
				err = bad(s, seq - 1, LB_ECORRUPT, "seq %llu: %s",
				          "entry was altered: its hash no longer matches the prev of the next "
				          "entry");
			else
				s->r->bad_seq = seq;
			goto out;
		}
		if ((err = check_schema(s, &e)))
			goto out;
		if (s->r->entries == 0)
			s->r->first_ts = e.ts;

		while (hrc == 0 && head_seq < seq) { /* a head for a seq the log skipped */
			err = bad(s, head_seq, LB_ECORRUPT, "seq %llu: %s",
			          "signed head without a matching log entry");
			goto out;
		}
		if (hrc == 0 && head_seq == seq) {
			if ((err = check_head(s, &hv, seq, &c)) ||
			    (err = cross(s, &c, seq, true, &next_succ)))
				goto out;
			hrc = mdb_cursor_get(hc, &hk, &hv, MDB_NEXT);
			head_seq = hrc == 0 && hk.mv_size == 8 ? lb_be64_get(hk.mv_data) : 0;
		} else if ((err = cross(s, &c, seq, false, &next_succ)))
			goto out;
		s->r->entries++;
	}
	if (rc != MDB_NOTFOUND) {
		err = lb_mdb_fail(s->d, rc, "reading the log");
		goto out;
	}
	*last_seq = expect - 1;
	memcpy(last_hash, c.hash, LB_HASH_BYTES);
	s->r->last_ts = c.ts;
	lb_merkle_root(&c.m, s->r->root);

	if (hrc == 0) {
		err = bad(s, head_seq, LB_ECORRUPT, "seq %llu: %s",
		          "signed head points past the end of the log");
		goto out;
	}
	if (next_succ < s->nsucc) {
		err = bad(s, s->succ[next_succ].seq, LB_ECORRUPT, "seq %llu: %s",
		          "a succession kept for a seq past the end of the log (or two for one seq)");
		goto out;
	}
	if (memcmp(c.origin, s->id.origin, LB_PK_BYTES) != 0) {
		char got[2 * LB_PK_BYTES + 1], own[2 * LB_PK_BYTES + 1];
		lb_hex(got, c.origin, LB_PK_BYTES);
		lb_hex(own, s->id.origin, LB_PK_BYTES);
		s->r->bad_seq = *last_seq;
		err = lb_fail(s->d, LB_ESIG,
		              "the log is signed by key %.16s... up to its end (seq %llu), not by this "
		              "node's key %.16s... (no succession to it is kept)",
		              got, (unsigned long long)*last_seq, own);
		goto out;
	}
	if (*last_seq && s->r->heads == 0) {
		err = bad(s, *last_seq, LB_ECORRUPT, "seq %llu: %s", "no signed head covers the log");
		goto out;
	}
	if (*last_seq) {
		/* The last entry must itself carry a head: every write signs it. */
		uint8_t kk[8];
		MDB_val key = {8, kk}, hv2;
		lb_be64_put(kk, *last_seq);
		if (mdb_get(s->txn, s->n->heads, &key, &hv2) != 0) {
			err = bad(s, *last_seq, LB_ECORRUPT, "seq %llu: %s",
			          "entry is not covered by a signed head (appended without signing)");
			goto out;
		}
	}
	if ((err = lb_node_read_tip(s->n, s->txn, &tip_seq, tip_hash, &tip_ts, &stored, s->d)))
		goto out;
	if (tip_seq > *last_seq) { /* entries at the end were removed with their head */
		s->r->bad_seq = *last_seq + 1;
		err = lb_fail(s->d, LB_ECORRUPT,
		              "seq %llu: entry is missing (the log ends at seq %llu, the node's tip is "
		              "seq %llu)",
		              (unsigned long long)*last_seq + 1, (unsigned long long)*last_seq,
		              (unsigned long long)tip_seq);
		goto out;
	}
	if (tip_seq != *last_seq || memcmp(tip_hash, c.hash, LB_HASH_BYTES) != 0 ||
	    (*last_seq && tip_ts != c.ts)) {
		err = bad(s, *last_seq, LB_ECORRUPT, "seq %llu: %s",
		          "the node's tip (meta) does not match the end of the log");
		goto out;
	}
	{
		uint8_t r2[LB_HASH_BYTES];
		lb_merkle_root(&stored, r2);
		if (memcmp(r2, s->r->root, LB_HASH_BYTES) != 0)
			err = bad(s, *last_seq, LB_ECORRUPT, "seq %llu: %s",
			          "the stored Merkle frontier does not match the log");
	}
out:
	if (lc)
		mdb_cursor_close(lc);
	if (hc)
		mdb_cursor_close(hc);
	return err;
}

/* Pass 3 (see the file comment). */
static lb_err check_state(struct vstate *s, uint64_t last_seq)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v, lk, lv;
	struct lb_entry e;
	uint8_t rk[LB_RKEY_MAX], kseq[8];
	uint64_t live = 0, stored_live = 0;
	lb_err err = LB_OK;
	int rc;

	/* (a) forward: each entry is reflected by its key's row */
	if ((rc = mdb_cursor_open(s->txn, s->n->log, &cur)))
		return lb_mdb_fail(s->d, rc, "reading the log");
	for (rc = mdb_cursor_get(cur, &lk, &lv, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &lk, &lv, MDB_NEXT)) {
		uint64_t seq = lb_be64_get(lk.mv_data);
		if (lb_entry_decode(&e, lv.mv_data, lv.mv_size, NULL))
			continue; /* pass 1 already reported undecodable entries */
		k = (MDB_val){lb_rkey(rk, e.type, e.type_len, e.id, e.id_len), rk};
		if (mdb_get(s->txn, s->n->records, &k, &v) != 0 || v.mv_size != LB_REC_VAL_LEN ||
		    lb_be64_get(v.mv_data) < seq) {
			err = bad(s, seq, LB_ECORRUPT, "seq %llu: %s",
			          "current state does not reflect this entry (records row missing or older)");
			goto out;
		}
	}
	mdb_cursor_close(cur);
	cur = NULL;

	/* (b) backward: each row points at an entry for its key */
	if ((rc = mdb_cursor_open(s->txn, s->n->records, &cur)))
		return lb_mdb_fail(s->d, rc, "reading records");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *key = k.mv_data;
		size_t tl = strnlen(key, k.mv_size);
		uint64_t seq;
		uint8_t flag;

		s->r->records++;
		if (v.mv_size != LB_REC_VAL_LEN || tl >= k.mv_size) {
			err = lb_fail(s->d, LB_ECORRUPT, "records row %.*s is malformed",
			              (int)(k.mv_size > 80 ? 80 : k.mv_size), key);
			goto out;
		}
		seq = lb_be64_get(v.mv_data);
		flag = ((uint8_t *)v.mv_data)[8];
		lb_be64_put(kseq, seq);
		lk = (MDB_val){8, kseq};
		if (seq == 0 || seq > last_seq || mdb_get(s->txn, s->n->log, &lk, &lv) != 0 ||
		    lb_entry_decode(&e, lv.mv_data, lv.mv_size, NULL) || e.type_len != tl ||
		    memcmp(e.type, key, tl) != 0 || e.id_len != k.mv_size - tl - 1 ||
		    memcmp(e.id, key + tl + 1, e.id_len) != 0 ||
		    flag != (e.op == LB_OP_PUT ? LB_REC_LIVE : LB_REC_DELETED)) {
			err = lb_fail(s->d, LB_ECORRUPT,
			              "record %.*s %.*s: current state does not match the log "
			              "(row points at seq %llu)",
			              (int)tl, key, (int)(k.mv_size - tl - 1 > 64 ? 64 : k.mv_size - tl - 1),
			              key + tl + 1, (unsigned long long)seq);
			goto out;
		}
		live += flag == LB_REC_LIVE;
	}
	if (lb_meta_get(s->n, s->txn, "live", &v) == 0 && v.mv_size == 8)
		stored_live = lb_be64_get(v.mv_data);
	if (stored_live != live)
		err = lb_fail(s->d, LB_ECORRUPT,
		              "live record count in meta is %llu but the records hold %llu",
		              (unsigned long long)stored_live, (unsigned long long)live);
out:
	if (cur)
		mdb_cursor_close(cur);
	return err;
}

lb_err lb_node_verify(struct lb_node *n, struct lb_verify_report *r, struct lb_diag *d)
{
	struct lb_verify_report tmp;
	struct vstate s = {.n = n, .r = r ? r : &tmp, .d = d};
	uint8_t last_hash[LB_HASH_BYTES];
	uint64_t last_seq = 0;
	lb_err e;
	int rc;

	memset(s.r, 0, sizeof *s.r);
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &s.txn)))
		return lb_mdb_fail(d, rc, "starting verification");
	if ((e = lb_node_read_identity(n, s.txn, &s.id, d))) {
		mdb_txn_abort(s.txn);
		return e;
	}
	e = check_log(&s, last_hash, &last_seq);
	if (!e)
		e = check_state(&s, last_seq);
	mdb_txn_abort(s.txn);
	free(s.succ);
	return e;
}
