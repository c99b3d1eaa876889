/*
 * adopt.c — make a node's log equal a verified copy of it (adopt.h).
 *
 * One LMDB write transaction does everything, and every frame is checked
 * before the transaction commits, so a copy that turns out bad anywhere
 * (an altered entry near its end, a cut stream, a forged head) aborts it
 * and the node is exactly as it was.  Entries are compared and written as
 * the frames stream by: only one frame is in memory, whatever the log's
 * size.  A full map is grown and the whole adoption redone from the start
 * of the file.
 */
#define _POSIX_C_SOURCE 200809L
#include "adopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "chain.h"
#include "node_int.h"
#include "succession.h"

#define MAX_GROWTHS 16
#define SUCC_PREFIX "succ/"
#define SUCC_PREFIX_LEN (sizeof SUCC_PREFIX - 1)
#define FORKED_KEY_LEN (4 + 1 + 8)

struct adopt {
	struct lb_node *n;
	MDB_txn *txn;
	MDB_dbi forked;
	bool have_forked;
	const uint8_t *trusted;
	unsigned flags;               /* LB_ADOPT_* */
	struct lb_adopt_report *r;
	struct lb_node_info id;
	uint64_t tip;                 /* our tip before */
	uint64_t last_head;           /* the copy's last head seen */
	struct lb_chain c;
	int mdbrc;                    /* the LMDB code behind a failure */
};

static lb_err mdb_fail(struct adopt *s, int rc, const char *what, struct lb_diag *d)
{
	s->mdbrc = rc;
	return lb_mdb_fail_env(d, s->n->env, rc, what);
}

static void seq_key(uint8_t k[8], uint64_t seq)
{
	lb_be64_put(k, seq);
}

static lb_err open_forked(struct adopt *s, struct lb_diag *d)
{
	int rc;

	if (s->have_forked)
		return LB_OK;
	if ((rc = mdb_dbi_open(s->txn, "forked", MDB_CREATE, &s->forked)))
		return mdb_fail(s, rc, "opening the fork evidence", d);
	s->have_forked = true;
	return LB_OK;
}

static int forked_put(struct adopt *s, uint32_t round, char kind, uint64_t seq, const MDB_val *v)
{
	uint8_t k[FORKED_KEY_LEN];
	MDB_val key = {sizeof k, k};

	k[0] = (uint8_t)(round >> 24);
	k[1] = (uint8_t)(round >> 16);
	k[2] = (uint8_t)(round >> 8);
	k[3] = (uint8_t)round;
	k[4] = (uint8_t)kind;
	lb_be64_put(k + 5, seq);
	return mdb_put(s->txn, s->forked, &key, (MDB_val *)v, 0);
}

/* Move our entries and heads from seq on into a new evidence round and
 * delete them from the log. */
static lb_err move_to_evidence(struct adopt *s, uint64_t from, struct lb_diag *d)
{
	MDB_dbi dbs[2] = {s->n->log, s->n->heads};
	const char kinds[2] = {'e', 'h'};
	uint8_t k[8], rb[4];
	MDB_val key, v;
	uint32_t round = 1;
	lb_err e;
	int rc;

	if ((e = open_forked(s, d)))
		return e;
	if (lb_meta_get(s->n, s->txn, "forked-rounds", &v) == 0 && v.mv_size == 4) {
		const uint8_t *p = v.mv_data;
		round = ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) + 1;
	}
	for (int i = 0; i < 2; i++) {
		MDB_cursor *c;
		if ((rc = mdb_cursor_open(s->txn, dbs[i], &c)))
			return mdb_fail(s, rc, "moving our entries to the fork evidence", d);
		seq_key(k, from);
		key = (MDB_val){8, k};
		for (rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE); rc == 0;
		     rc = mdb_cursor_get(c, &key, &v, MDB_SET_RANGE)) {
			uint64_t seq = key.mv_size == 8 ? lb_be64_get(key.mv_data) : 0;
			if ((rc = forked_put(s, round, kinds[i], seq, &v)) || (rc = mdb_cursor_del(c, 0)))
				break;
			if (i == 0)
				s->r->forked++;
			seq_key(k, seq + 1);
			key = (MDB_val){8, k};
		}
		mdb_cursor_close(c);
		if (rc != MDB_NOTFOUND)
			return mdb_fail(s, rc, "moving our entries to the fork evidence", d);
	}
	rb[0] = (uint8_t)(round >> 24);
	rb[1] = (uint8_t)(round >> 16);
	rb[2] = (uint8_t)(round >> 8);
	rb[3] = (uint8_t)round;
	if ((rc = lb_meta_put(s->n, s->txn, "forked-rounds", rb, 4)))
		return mdb_fail(s, rc, "recording the fork evidence", d);
	s->r->round = round;
	s->r->fork_seq = from;
	return LB_OK;
}

/* The chain as it stood after our entry from-1 (a tail's start): its
 * hash, time and Merkle frontier from our own log, its key from the
 * header's first key and our successions before from. */
static lb_err resume_at(struct adopt *s, uint64_t from, const uint8_t first_key[LB_PK_BYTES],
                        struct lb_diag *d)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct lb_merkle m;
	struct lb_entry e;
	uint8_t hash[LB_HASH_BYTES], origin[LB_PK_BYTES];
	uint64_t ts = 0, seq = 0;
	int rc;

	memcpy(origin, first_key, LB_PK_BYTES);
	lb_merkle_init(&m);
	memset(hash, 0, sizeof hash);
	if ((rc = mdb_cursor_open(s->txn, s->n->log, &c)))
		return mdb_fail(s, rc, "reading the log", d);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && seq + 1 < from;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (lb_entry_decode(&e, v.mv_data, v.mv_size, d)) {
			mdb_cursor_close(c);
			return lb_fail(d, LB_ECORRUPT, "this node's entry %llu does not decode: run "
			               "lumbung verify", (unsigned long long)seq + 1);
		}
		seq = e.seq;
		ts = e.ts;
		lb_hash(hash, v.mv_data, v.mv_size);
		lb_merkle_append(&m, hash);
	}
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return mdb_fail(s, rc, "reading the log", d);
	if (seq + 1 != from)
		return lb_fail(d, LB_EGAP, "the copy starts at seq %llu but this node holds entries "
		               "only up to seq %llu: fetch it from seq %llu",
		               (unsigned long long)from, (unsigned long long)seq,
		               (unsigned long long)seq + 1);
	/* The key signing at from-1: the last of our successions before from. */
	if ((rc = mdb_cursor_open(s->txn, s->n->meta, &c)))
		return mdb_fail(s, rc, "reading the successions", d);
	k = (MDB_val){SUCC_PREFIX_LEN, (void *)SUCC_PREFIX};
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_succession st;
		if (k.mv_size != SUCC_PREFIX_LEN + 8 || memcmp(k.mv_data, SUCC_PREFIX, SUCC_PREFIX_LEN))
			break;
		if (lb_be64_get((uint8_t *)k.mv_data + SUCC_PREFIX_LEN) >= from)
			break;
		if (lb_succession_open(&st, v.mv_data, v.mv_size, NULL, NULL) == LB_OK)
			memcpy(origin, st.new_key, LB_PK_BYTES);
	}
	mdb_cursor_close(c);
	lb_chain_init(&s->c, s->id.village, origin);
	lb_chain_resume(&s->c, seq, hash, ts, &m);
	s->c.tree = true;
	return LB_OK;
}

static lb_err take_entry(struct adopt *s, const struct lb_lla_frame *fr, struct lb_diag *d)
{
	struct lb_entry e;
	uint8_t hash[LB_HASH_BYTES], k[8];
	MDB_val key = {8, k}, v, ours;
	lb_err err;
	int rc;

	if ((err = lb_entry_decode(&e, fr->a, fr->alen, d)))
		return err;
	lb_hash(hash, fr->a, fr->alen);
	if ((err = lb_chain_entry(&s->c, &e, hash, NULL, d))) {
		/* a tail whose first entry does not follow the entry we hold
		 * before it: the copy continues another history than ours */
		if ((s->flags & LB_ADOPT_NO_FORK) && s->c.fault == LB_CHAIN_PREV &&
		    e.seq == s->r->from && e.seq > 1)
			return lb_fail(d, LB_EFORK, "a forked copy: its entry %llu does not follow the "
			               "entry %llu we hold; nothing was changed",
			               (unsigned long long)e.seq, (unsigned long long)e.seq - 1);
		return err;
	}
	if ((err = lb_entry_check_schema(&e, NULL, d)))
		return err;
	s->r->last = e.seq;
	s->r->last_ts = e.ts;
	seq_key(k, e.seq);
	if (!s->r->fork_seq && e.seq <= s->tip) {
		if ((rc = mdb_get(s->txn, s->n->log, &key, &ours)))
			return mdb_fail(s, rc, "reading the log", d);
		if (ours.mv_size == fr->alen && !memcmp(ours.mv_data, fr->a, fr->alen)) {
			s->r->kept++;
			return LB_OK;
		}
		if (s->flags & LB_ADOPT_NO_FORK)
			return lb_fail(d, LB_EFORK, "a forked copy: its entry %llu differs from the one "
			               "we hold; nothing was changed", (unsigned long long)e.seq);
		if ((err = move_to_evidence(s, e.seq, d)))
			return err;
	}
	v = (MDB_val){fr->alen, (void *)fr->a};
	if ((rc = mdb_put(s->txn, s->n->log, &key, &v, 0)))
		return mdb_fail(s, rc, "writing the log", d);
	s->r->added++;
	return LB_OK;
}

static lb_err take_head(struct adopt *s, const struct lb_lla_frame *fr, struct lb_diag *d)
{
	struct lb_head h;
	uint8_t k[8];
	MDB_val key = {8, k}, v = {fr->alen, (void *)fr->a};
	lb_err err;
	int rc;

	if ((err = lb_head_open(&h, fr->a, fr->alen, s->c.origin, d)) ||
	    (err = lb_chain_head(&s->c, &h, d))) {
		lb_diag_prefix(d, "seq %llu", (unsigned long long)h.seq);
		return err;
	}
	s->last_head = h.seq;
	seq_key(k, h.seq);
	rc = mdb_put(s->txn, s->n->heads, &key, &v, MDB_NOOVERWRITE);
	if (rc && rc != MDB_KEYEXIST)
		return mdb_fail(s, rc, "writing the heads", d);
	return LB_OK;
}

static lb_err take_succession(struct adopt *s, const struct lb_lla_frame *fr, struct lb_diag *d)
{
	struct lb_succession st;
	uint8_t k[SUCC_PREFIX_LEN + 8];
	MDB_val key = {sizeof k, k}, v = {fr->alen, (void *)fr->a};
	char hx[2 * LB_PK_BYTES + 1];
	lb_err err;
	int rc;

	if ((err = lb_succession_open(&st, fr->a, fr->alen, NULL, d)))
		return err;
	if (!s->trusted || memcmp(st.signer, s->trusted, LB_PK_BYTES)) {
		lb_hex(hx, st.signer, LB_PK_BYTES);
		return lb_fail(d, LB_ESIG, "the copy changes key at seq %llu by a succession signed "
		               "by %s, which is not the aggregator trusted here (give its key with "
		               "--agg-key)", (unsigned long long)st.seq, hx);
	}
	if (s->last_head != s->c.seq)
		return lb_fail(d, LB_EMALFORMED, "a succession at seq %llu that does not follow a "
		               "signed head of its seq", (unsigned long long)st.seq);
	if ((err = lb_chain_succeed(&s->c, &st, d)))
		return err;
	memcpy(k, SUCC_PREFIX, SUCC_PREFIX_LEN);
	lb_be64_put(k + SUCC_PREFIX_LEN, st.seq);
	if ((rc = mdb_put(s->txn, s->n->meta, &key, &v, 0)))
		return mdb_fail(s, rc, "keeping the succession", d);
	s->r->successions++;
	return LB_OK;
}

/* Records, live count, tip and frontier from the log as it now is. */
static lb_err rebuild_state(struct adopt *s, struct lb_diag *d)
{
	MDB_cursor *c;
	MDB_val k, v;
	struct lb_entry e;
	uint8_t rk[LB_RKEY_MAX], rv[LB_REC_VAL_LEN], tip[LB_TIP_LEN], live[8];
	uint8_t menc[LB_MERKLE_ENC_MAX];
	uint64_t nlive = 0;
	int rc;

	if ((rc = mdb_drop(s->txn, s->n->records, 0)))
		return mdb_fail(s, rc, "rebuilding the records", d);
	if ((rc = mdb_cursor_open(s->txn, s->n->log, &c)))
		return mdb_fail(s, rc, "rebuilding the records", d);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		MDB_val rkey, rval = {sizeof rv, rv};
		if (lb_entry_decode(&e, v.mv_data, v.mv_size, d)) {
			mdb_cursor_close(c);
			return lb_fail(d, LB_ECORRUPT, "entry %llu does not decode",
			               (unsigned long long)lb_be64_get(k.mv_data));
		}
		rkey = (MDB_val){lb_rkey(rk, e.type, e.type_len, e.id, e.id_len), rk};
		lb_be64_put(rv, e.seq);
		rv[8] = e.op == LB_OP_PUT ? LB_REC_LIVE : LB_REC_DELETED;
		if ((rc = mdb_put(s->txn, s->n->records, &rkey, &rval, 0)))
			break;
	}
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return mdb_fail(s, rc, "rebuilding the records", d);
	if ((rc = mdb_cursor_open(s->txn, s->n->records, &c)))
		return mdb_fail(s, rc, "rebuilding the records", d);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		nlive += v.mv_size == LB_REC_VAL_LEN && ((uint8_t *)v.mv_data)[8] == LB_REC_LIVE;
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return mdb_fail(s, rc, "rebuilding the records", d);
	lb_be64_put(tip, s->c.seq);
	memcpy(tip + 8, s->c.hash, LB_HASH_BYTES);
	lb_be64_put(tip + 8 + LB_HASH_BYTES, s->c.ts);
	lb_be64_put(live, nlive);
	if ((rc = lb_meta_put(s->n, s->txn, "tip", tip, sizeof tip)) ||
	    (rc = lb_meta_put(s->n, s->txn, "merkle", menc, lb_merkle_encode(&s->c.m, menc))) ||
	    (rc = lb_meta_put(s->n, s->txn, "live", live, 8)))
		return mdb_fail(s, rc, "writing the node's state", d);
	return LB_OK;
}

static lb_err adopt_once(struct adopt *s, FILE *f, struct lb_diag *d)
{
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	struct lb_merkle m;
	uint8_t tip_hash[LB_HASH_BYTES];
	uint64_t tip_ts, entries = 0, heads = 0;
	char hx[2 * LB_PK_BYTES + 1], hy[2 * LB_PK_BYTES + 1];
	bool trailer = false;
	lb_err e;

	if ((e = lb_node_read_identity(s->n, s->txn, &s->id, d)) ||
	    (e = lb_node_read_tip(s->n, s->txn, &s->tip, tip_hash, &tip_ts, &m, d)))
		return e;
	if ((e = lb_lla_reader_open(&rd, f, d)))
		return e;
	if ((e = lb_lla_next(&rd, &fr, d)) || fr.kind != LB_LLA_HEADER) {
		e = e == LB_ENOTFOUND || !e ? lb_fail(d, LB_EMALFORMED, "the copy does not start "
		                                      "with an archive header") : e;
		goto out;
	}
	if (strcmp(fr.header.village, s->id.village)) {
		e = lb_fail(d, LB_EWRONG_VILLAGE, "the copy is the log of village %s, not of this "
		            "node's %s", fr.header.village, s->id.village);
		goto out;
	}
	if (fr.header.from > s->tip + 1) {
		e = lb_fail(d, LB_EGAP, "the copy starts at seq %llu but this node holds entries only "
		            "up to seq %llu: fetch it from seq %llu",
		            (unsigned long long)fr.header.from, (unsigned long long)s->tip,
		            (unsigned long long)s->tip + 1);
		goto out;
	}
	if ((e = resume_at(s, fr.header.from, fr.header.origin, d)))
		goto out;
	s->r->from = fr.header.from;
	while (!(e = lb_lla_next(&rd, &fr, d))) {
		if (trailer) {
			e = fr.kind == LB_LLA_HEADER
			            ? lb_fail(d, LB_EMALFORMED, "a header frame after the trailer")
			            : lb_fail(d, LB_EMALFORMED, "a further frame after the trailer");
			goto out;
		}
		switch (fr.kind) {
		case LB_LLA_ENTRY:
			e = take_entry(s, &fr, d);
			entries++;
			break;
		case LB_LLA_HEAD:
			e = take_head(s, &fr, d);
			heads++;
			break;
		case LB_LLA_SUCCESSION:
			e = take_succession(s, &fr, d);
			break;
		case LB_LLA_RECEIPT:
			s->r->receipts++;
			break;
		case LB_LLA_TRAILER:
			trailer = true;
			if (fr.trailer.entries != entries || fr.trailer.heads != heads) {
				e = lb_fail(d, LB_EMALFORMED, "the trailer counts %llu entries and %llu "
				            "heads, the copy holds %llu and %llu",
				            (unsigned long long)fr.trailer.entries,
				            (unsigned long long)fr.trailer.heads, (unsigned long long)entries,
				            (unsigned long long)heads);
			}
			break;
		case LB_LLA_HEADER:
			e = lb_fail(d, LB_EMALFORMED, "a second header");
			break;
		case LB_LLA_FORK:
		case LB_LLA_FORK_ENTRY:
			break; /* evidence of other forks: not part of the history */
		}
		if (e) {
			if (s->c.fault == LB_CHAIN_OK && e != LB_ESTORE && e != LB_EFULL && e != LB_EIO &&
			    e != LB_ENOMEM && s->c.seq)
				lb_diag_prefix(d, "after seq %llu", (unsigned long long)s->c.seq);
			goto out;
		}
	}
	if (e != LB_ENOTFOUND)
		goto out;
	if (!trailer) {
		e = lb_fail(d, LB_EMALFORMED, "the copy was cut short: it ends after seq %llu without "
		            "its trailer", (unsigned long long)s->c.seq);
		goto out;
	}
	if (entries && s->last_head != s->c.seq) {
		e = lb_fail(d, LB_EMALFORMED, "the copy's entries after seq %llu are not covered by a "
		            "signed head", (unsigned long long)s->last_head);
		goto out;
	}
	if (memcmp(s->c.origin, s->id.origin, LB_PK_BYTES)) {
		lb_hex(hx, s->c.origin, LB_PK_BYTES);
		lb_hex(hy, s->id.origin, LB_PK_BYTES);
		e = lb_fail(d, LB_ESIG, "the copy's chain is signed by %s but this node's key is %s "
		            "(a new key continues a chain only through a succession the office signs: "
		            "lumbung-agg succeed)", hx, hy);
		goto out;
	}
	if ((s->flags & LB_ADOPT_NO_ROLLBACK) && s->c.seq < s->tip) {
		e = lb_fail(d, LB_EREFUSED, "rollback: the copy ends at seq %llu, we hold %llu",
		            (unsigned long long)s->c.seq, (unsigned long long)s->tip);
		goto out;
	}
	s->r->ahead = !s->r->fork_seq && s->c.seq < s->tip;
	if (s->r->fork_seq || s->c.seq > s->tip)
		e = rebuild_state(s, d);
	else
		e = LB_OK;
	s->r->tip = s->r->ahead || (!s->r->fork_seq && s->c.seq <= s->tip) ? s->tip : s->c.seq;
out:
	lb_lla_reader_close(&rd);
	return e;
}

lb_err lb_node_adopt(struct lb_node *n, FILE *f, const uint8_t *trusted_agg,
                     struct lb_adopt_report *r, struct lb_diag *d)
{
	return lb_node_adopt_ex(n, f, trusted_agg, 0, r, d);
}

lb_err lb_node_adopt_ex(struct lb_node *n, FILE *f, const uint8_t *trusted_agg, unsigned flags,
                        struct lb_adopt_report *r, struct lb_diag *d)
{
	struct lb_adopt_report tmp;
	lb_err e;
	int rc;

	if (!r)
		r = &tmp;
	if (!n->have_key && !n->replica)
		return lb_fail(d, LB_EINVAL, "node was opened read-only");
	for (int growths = 0;; growths++) {
		struct adopt s = {.n = n, .trusted = trusted_agg, .flags = flags, .r = r};

		memset(r, 0, sizeof *r);
		if (growths && fseek(f, 0, SEEK_SET) != 0)
			return lb_fail(d, LB_EIO, "rewinding the copy: %s", strerror(errno));
		if ((rc = lb_node_txn_begin(n, 0, &s.txn)))
			return lb_mdb_fail(d, rc, "starting the adoption");
		e = adopt_once(&s, f, d);
		if (!e) {
			rc = mdb_txn_commit(s.txn);
			if (!rc)
				return LB_OK;
			s.mdbrc = rc;
			e = lb_mdb_fail_env(d, n->env, rc, "committing the adoption");
		} else {
			mdb_txn_abort(s.txn);
		}
		if (s.mdbrc == MDB_MAP_FULL && growths < MAX_GROWTHS) {
			if ((rc = lb_node_grow_map(n)))
				return lb_mdb_fail(d, rc, "growing the store");
			continue;
		}
		return e;
	}
}

lb_err lb_node_forked(struct lb_node *n, uint32_t round, lb_forked_cb cb, void *ctx,
                      struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	if ((rc = mdb_dbi_open(txn, "forked", 0, &dbi))) {
		mdb_txn_abort(txn);
		return rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "reading the fork evidence");
	}
	if ((rc = mdb_cursor_open(txn, dbi, &c))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		uint32_t r;
		if (k.mv_size != FORKED_KEY_LEN)
			continue;
		r = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		if (round && r != round)
			continue;
		if (cb(ctx, r, p[4] == 'h', lb_be64_get(p + 5), v.mv_data, v.mv_size))
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_commit(txn); /* a read txn: commit keeps the dbi handle for later use */
	if (rc && rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	return LB_OK;
}

lb_err lb_node_successions(struct lb_node *n, lb_succ_cb cb, void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the successions");
	if ((rc = mdb_cursor_open(txn, n->meta, &c))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading the successions");
	}
	k = (MDB_val){SUCC_PREFIX_LEN, (void *)SUCC_PREFIX};
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != SUCC_PREFIX_LEN + 8 || memcmp(k.mv_data, SUCC_PREFIX, SUCC_PREFIX_LEN))
			break;
		if (cb(ctx, lb_be64_get((uint8_t *)k.mv_data + SUCC_PREFIX_LEN), v.mv_data, v.mv_size))
			break;
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the successions");
	return LB_OK;
}
