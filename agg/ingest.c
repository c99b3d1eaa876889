/*
 * ingest.c — a change set checked and stored (lb_agg_ingest, see agg.h):
 * bounded decode, enrolment, signature, continuity, the shared chain rules
 * (node/chain.h), schema, then replica, consolidated view, head and origin
 * state in one LMDB transaction; a proven fork is kept as evidence.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <errno.h>

#include "catalogue.h"
#include "figures.h"
#include "moves.h"
#include "tree.h"
#include "tree_int.h"

#include <stdlib.h>
#include <string.h>

#include "../node/chain.h"
#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "../sync/envelope.h"
#include "../sync/wire.h"

struct ingest {
	struct lb_agg *a;
	MDB_txn *txn;
	const char *village;
	struct pending *pv;
};

static size_t view_key(uint8_t *k, const char *village, const struct lb_entry *e)
{
	size_t n = 0;
	memcpy(k, village, LB_VILLAGE_LEN);
	n = LB_VILLAGE_LEN;
	k[n++] = 0;
	memcpy(k + n, e->type, e->type_len);
	n += e->type_len;
	k[n++] = 0;
	memcpy(k + n, e->id, e->id_len);
	return n + e->id_len;
}

/*
 * View changes of one change set are collected here and applied in key
 * order after every entry has been checked: random record ids put one by
 * one cost a B-tree descent into a cold page each; sorted, consecutive puts
 * land on the pages just touched.  References made inside the change set
 * are answered from here first, so order of entries still matters as it
 * does in the village.
 */
struct pv_item {
	const uint8_t *key; /* set just before sorting (the arena may move before) */
	uint32_t off, len;  /* key in arena */
	uint32_t order;    /* position in the change set: the last one wins */
	uint8_t val[RKEY_LEN];
	bool put;
	uint32_t eoff, elen; /* a put's record body in arena, for the figures */
};

struct pending {
	struct pv_item *it;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 empty */
	size_t nslot;
	struct lb_mp_buf arena;
};

static uint64_t pv_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

static struct pv_item *pv_find(struct pending *p, const uint8_t *k, size_t n, size_t *at)
{
	size_t i = (size_t)pv_hash(k, n) & (p->nslot - 1);
	for (;; i = (i + 1) & (p->nslot - 1)) {
		struct pv_item *it;
		if (!p->slot[i]) {
			*at = i;
			return NULL;
		}
		it = &p->it[p->slot[i] - 1];
		if (it->len == n && !memcmp(p->arena.sb.data + it->off, k, n)) {
			*at = i;
			return it;
		}
	}
}

static bool pv_init(struct pending *p, size_t n)
{
	memset(p, 0, sizeof *p);
	p->nslot = 16;
	while (p->nslot < 2 * n + 2)
		p->nslot *= 2;
	lb_mp_buf_init(&p->arena);
	p->cap = n ? n : 1;
	p->it = malloc(p->cap * sizeof *p->it);
	p->slot = calloc(p->nslot, sizeof *p->slot);
	return p->it && p->slot;
}

static void pv_free(struct pending *p)
{
	free(p->it);
	free(p->slot);
	lb_mp_buf_free(&p->arena);
}

/* Record that key now is put (val) or deleted. */
static bool pv_set(struct pending *p, const uint8_t *k, size_t n, const uint8_t val[RKEY_LEN],
                   bool put, const void *ent, size_t elen)
{
	size_t at;
	struct pv_item *it = pv_find(p, k, n, &at);

	if (!it) {
		if (p->n == p->cap)
			return false; /* sized for the change set: cannot happen */
		it = &p->it[p->n];
		it->off = (uint32_t)p->arena.sb.size;
		it->len = (uint32_t)n;
		lb_mp_put_raw(&p->arena, k, n);
		if (p->arena.oom)
			return false;
		p->slot[at] = (uint32_t)++p->n;
	}
	it->order = (uint32_t)p->n;
	it->put = put;
	memcpy(it->val, val, RKEY_LEN);
	it->eoff = (uint32_t)p->arena.sb.size;
	it->elen = put ? (uint32_t)elen : 0;
	if (put)
		lb_mp_put_raw(&p->arena, ent, elen);
	return !p->arena.oom;
}

static int pv_cmp(const void *a, const void *b)
{
	const struct pv_item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Apply in key order (items are unique per key); the figures follow each
 * view change in the same transaction (figures.h). */
static int pv_apply(struct pending *p, MDB_txn *txn, MDB_dbi view, struct lb_agg *a)
{
	struct lb_fig_batch *fb = NULL;
	MDB_cursor *vc = NULL; /* the old values, read in key order */
	int rc = 0;

	if (!a->no_figures && lb_fig_enabled() &&
	    (!(fb = lb_fig_batch_new(txn, a->figures, a->replica)) ||
	     mdb_cursor_open(txn, view, &vc))) {
		lb_fig_batch_free(fb);
		return ENOMEM;
	}

	for (size_t i = 0; i < p->n; i++)
		p->it[i].key = (const uint8_t *)p->arena.sb.data + p->it[i].off;
	qsort(p->it, p->n, sizeof *p->it, pv_cmp);
	for (size_t i = 0; i < p->n && !rc; i++) {
		MDB_val k = {p->it[i].len, (void *)p->it[i].key};
		MDB_val v = {RKEY_LEN, p->it[i].val}, old;
		MDB_val ent = {p->it[i].elen, p->arena.sb.data + p->it[i].eoff};
		if (fb) { /* take the old record's contribution off, add the new one's */
			MDB_val at = k;
			int had = mdb_cursor_get(vc, &at, &old, MDB_SET_KEY);
			if (had && had != MDB_NOTFOUND) {
				rc = had;
				break;
			}
			if ((!had || p->it[i].put) &&
			    (rc = lb_fig_change(fb, &k, had ? NULL : &old, p->it[i].put ? &ent : NULL)))
				break;
		}
		if ((rc = agg_moves_change(a, txn, &k, p->it[i].put ? &v : NULL))) /* moves.h */
			break;
		rc = p->it[i].put ? mdb_put(txn, view, &k, &v, 0) : mdb_del(txn, view, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (fb && !rc)
		rc = lb_fig_flush(fb);
	if (vc)
		mdb_cursor_close(vc);
	lb_fig_batch_free(fb);
	return rc;
}

/* A live record of a catalogue held here whose region contains village
 * (catalogue.h): a village's penerima may name its kabupaten's or its own
 * kecamatan's programme, which it does not define itself. */
static bool in_catalogue(struct lb_agg *a, const char *village, const char *type, const char *id,
                         size_t id_len)
{
	char s[LB_ID_MAX + 1];
	uint8_t *body = NULL;
	size_t len;

	if (!lb_agg_catalogue_type_ok(type) || id_len > LB_ID_MAX)
		return false;
	memcpy(s, id, id_len);
	s[id_len] = '\0';
	if (lb_agg_catalogue_get(a, village, type, s, &body, &len, NULL, NULL))
		return false;
	free(body);
	return true;
}

/* References resolve in the village's own part of the consolidated view,
 * else in a catalogue held here. */
static bool view_has(void *ctx, const char *type, const char *id, size_t id_len)
{
	struct ingest *in = ctx;
	uint8_t k[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX];
	struct lb_entry e = {.type = type, .type_len = strlen(type), .id = id, .id_len = id_len};
	MDB_val key, v;

	if (e.type_len > LB_TYPE_MAX || id_len > LB_ID_MAX)
		return false;
	key = (MDB_val){view_key(k, in->village, &e), k};
	if (in->pv) {
		size_t at;
		const struct pv_item *it = pv_find(in->pv, k, key.mv_size, &at);
		if (it)
			return it->put;
	}
	return mdb_get(in->txn, in->a->view, &key, &v) == 0 ||
	       in_catalogue(in->a, in->village, type, id, id_len);
}

lb_err agg_held_receipt(struct lb_agg *a, const struct lb_agg_origin *o, const struct lb_merkle *m,
                        uint64_t received_ms, uint8_t **out, size_t *len, struct lb_diag *d)
{
	struct lb_receipt rc = {.seq = o->seq, .received_ms = received_ms};

	memcpy(rc.origin, o->origin, LB_PK_BYTES);
	memcpy(rc.hash, o->hash, LB_HASH_BYTES);
	lb_merkle_root(m, rc.root);
	return lb_receipt_sign(&a->key, &rc, out, len, d);
}


static void put_item(struct lb_mp_buf *b, const void *p, size_t n)
{
	uint8_t l[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	lb_mp_put_raw(b, l, 4);
	lb_mp_put_raw(b, p, n);
}

static void put_u32(struct lb_mp_buf *b, uint32_t n)
{
	uint8_t l[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	lb_mp_put_raw(b, l, 4);
}

/* Does stored fork evidence (FORK_V2: tag, item ours, item theirs, ...)
 * already hold this rival head? */
static bool same_rival(const MDB_val *ev, const uint8_t *theirs, size_t tlen)
{
	const uint8_t *p = ev->mv_data;
	size_t n = ev->mv_size, olen;

	if (n < 5 || p[0] != FORK_V2)
		return false;
	olen = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
	if (olen > n - 5 || n - 5 - olen < 4)
		return false;
	p += 5 + olen;
	n -= 5 + olen;
	return ((size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]) == tlen &&
	       n - 4 >= tlen && memcmp(p + 4, theirs, tlen) == 0;
}

/* Keep the evidence of a fork at seq k, in its own transaction: the
 * ingest itself is refused, but the evidence must survive.  rival holds
 * nrival items (put_item): the rival's stored entries k .. its head. */
static void keep_fork(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], uint64_t k,
                      const uint8_t *theirs, size_t tlen, const struct lb_mp_buf *rival,
                      uint32_t nrival)
{
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val key, v, hv;
	uint8_t kb[RKEY_LEN];
	struct lb_agg_origin o;
	struct lb_merkle m;
	struct lb_mp_buf buf;
	uint64_t ours_seq;
	uint8_t tag = FORK_V2;

	lb_mp_buf_init(&buf);
	if (agg_txn_begin(a, 0, &txn))
		return;
	if (agg_read_origin(a, txn, origin, &o, &m, NULL))
		goto out;
	/* our head: the one that covers k (first stored head at or after it) */
	agg_rkey(kb, origin, k);
	key = (MDB_val){RKEY_LEN, kb};
	if (mdb_cursor_open(txn, a->heads, &c) || mdb_cursor_get(c, &key, &hv, MDB_SET_RANGE) ||
	    !agg_key_of(&key, origin))
		goto out;
	ours_seq = agg_be64_get((const uint8_t *)key.mv_data + LB_PK_BYTES);
	lb_mp_put_raw(&buf, &tag, 1);
	put_item(&buf, hv.mv_data, hv.mv_size);
	put_item(&buf, theirs, tlen);
	put_u32(&buf, (uint32_t)(ours_seq - k + 1));
	for (uint64_t s = k; s <= ours_seq; s++) {
		agg_rkey(kb, origin, s);
		key = (MDB_val){RKEY_LEN, kb};
		if (mdb_get(txn, a->replica, &key, &v))
			goto out;
		put_item(&buf, v.mv_data, v.mv_size);
	}
	put_u32(&buf, nrival);
	lb_mp_put_raw(&buf, rival->sb.data, rival->sb.size);
	if (buf.oom)
		goto out;
	agg_rkey(kb, origin, k);
	key = (MDB_val){RKEY_LEN, kb};
	/* the same rival head again (a replay) is the same fork: counted and
	 * stored once */
	if (mdb_get(txn, a->forks, &key, &v) == 0 && same_rival(&v, theirs, tlen))
		goto out;
	v = (MDB_val){buf.sb.size, buf.sb.data};
	o.forks++;
	if (mdb_put(txn, a->forks, &key, &v, 0) || agg_write_origin(a, txn, &o, &m))
		goto out;
	mdb_cursor_close(c);
	c = NULL;
	agg_txn_commit(a, txn);
	txn = NULL;
out:
	if (c)
		mdb_cursor_close(c);
	if (txn)
		agg_txn_abort(a, txn);
	lb_mp_buf_free(&buf);
}

/* One attempt; *mdbrc gets the LMDB code behind a store failure, so the
 * caller can grow a full map and try again. */
static lb_err ingest_once(struct lb_agg *a, const void *body, size_t len, const uint8_t *relay,
                          const uint8_t *expect_origin, struct lb_agg_result *r, int *mdbrc,
                          struct lb_diag *d)
{
	struct lb_changeset cs;
	struct lb_agg_origin o;
	struct lb_merkle m;
	struct lb_head h;
	struct lb_mp_buf eb;
	struct ingest in = {.a = a};
	struct pending pv = {0};
	struct lb_chain ch;
	struct lb_succession retired, pred; /* the one retiring cs.origin / it continues */
	bool has_retired = false;
	struct lb_mp_buf rival; /* a fork's rival entries, for the evidence */
	uint32_t nrival = 0;
	uint8_t hash[LB_HASH_BYTES];
	uint64_t last, fork_seq = 0;
	MDB_txn *txn = NULL;
	lb_err e;
	int rc;

	memset(r, 0, sizeof *r);
	if (a->read_only)
		return agg_refuse_read_only("ingesting", d);
	lb_mp_buf_init(&pv.arena);
	if ((e = lb_wire_decode(&cs, body, len, d)))
		return e;
	if (expect_origin && memcmp(cs.origin, expect_origin, LB_PK_BYTES)) {
		lb_changeset_free(&cs);
		return lb_fail(d, LB_EMALFORMED,
		               "the change set's origin is not the one named in %s",
		               LB_WIRE_ORIGIN_HEADER);
	}
	lb_mp_buf_init(&rival);
	lb_mp_buf_init(&eb);
	last = cs.first_seq + cs.n - 1;
	if ((rc = agg_txn_begin(a, 0, &txn))) {
		e = lb_mdb_fail(d, rc, "starting ingest");
		txn = NULL;
		goto out;
	}
	if ((e = agg_read_origin(a, txn, cs.origin, &o, &m, d)))
		goto out;
	r->seq = o.seq;
	memcpy(r->hash, o.hash, LB_HASH_BYTES);
	if (o.revoked && a->have_succ) {
		/* a key retired by a succession still delivers its chain up to
		 * the seq the succession names (an upper tier may hold less) */
		e = agg_succ_get(a, txn, 'o', cs.origin, &retired, NULL, d);
		if (e && e != LB_ENOTFOUND)
			goto out;
		if (!e) {
			char nhx[2 * LB_PK_BYTES + 1];
			lb_hex(nhx, retired.new_key, LB_PK_BYTES);
			if (last > retired.seq) {
				e = lb_fail(d, LB_EUNKNOWN_ORIGIN, "key retired at seq %llu by a succession; "
				            "its new key is %s (village %s continues under it)",
				            (unsigned long long)retired.seq, nhx, o.village);
				goto out;
			}
			has_retired = true;
		}
		e = LB_OK;
	}
	if (o.revoked && !has_retired) {
		e = lb_fail(d, LB_EUNKNOWN_ORIGIN, "this origin key was revoked for %s", o.village);
		goto out;
	}
	if (o.base) { /* this key continues another's chain after o.base */
		if ((e = agg_succ_get(a, txn, 'n', cs.origin, &pred, NULL, d)))
			goto out;
		if (o.seq < o.base) {
			char ohx[2 * LB_PK_BYTES + 1];
			lb_hex(ohx, pred.old_key, LB_PK_BYTES);
			e = lb_fail(d, LB_EGAP, "this key continues key %s after its seq %llu, and this "
			            "aggregator does not hold that chain up to there yet: the old key's "
			            "entries come first", ohx, (unsigned long long)o.base);
			goto out;
		}
		if (cs.first_seq <= o.base) {
			e = lb_fail(d, LB_EMALFORMED, "change set starts at seq %llu, but this key "
			            "continues the village's chain after seq %llu by a succession: its "
			            "entries start at seq %llu",
			            (unsigned long long)cs.first_seq, (unsigned long long)o.base,
			            (unsigned long long)o.base + 1);
			goto out;
		}
	}
	if (strcmp(o.village, cs.village) != 0) {
		e = lb_fail(d, LB_EWRONG_VILLAGE, "this key is enrolled for %s, not %s", o.village,
		            cs.village);
		goto out;
	}
	if ((e = lb_head_open(&h, cs.head, cs.head_len, cs.origin, d)))
		goto out;
	if (cs.first_seq > o.seq + 1) {
		e = lb_fail(d, LB_EGAP, "change set starts at seq %llu but this aggregator holds up to "
		            "seq %llu; send from seq %llu", (unsigned long long)cs.first_seq,
		            (unsigned long long)o.seq, (unsigned long long)o.seq + 1);
		goto out;
	}
	/* the history's rules (node/chain.h) from the entry before the first
	 * one: ours; its Merkle frontier is known only at o.seq */
	lb_chain_init(&ch, cs.village, cs.origin);
	if (cs.first_seq > 1) {
		uint8_t key[RKEY_LEN];
		MDB_val k = {RKEY_LEN, key}, v;
		struct lb_entry before;
		/* at a successor's first entry, the one before is its
		 * predecessor's last */
		agg_rkey(key, cs.first_seq - 1 <= o.base ? pred.old_key : cs.origin,
		         cs.first_seq - 1);
		if (mdb_get(txn, a->replica, &k, &v) != 0 ||
		    lb_entry_decode(&before, v.mv_data, v.mv_size, NULL) != LB_OK) {
			e = lb_fail(d, LB_ECORRUPT, "replica entry %llu is missing or damaged",
			            (unsigned long long)cs.first_seq - 1);
			goto out;
		}
		lb_hash(hash, v.mv_data, v.mv_size);
		lb_chain_resume(&ch, cs.first_seq - 1, hash, before.ts,
		                cs.first_seq - 1 == o.seq ? &m : NULL);
	} else if (o.seq)
		ch.tree = false;
	in.txn = txn;
	in.village = cs.village;
	if (!pv_init(&pv, cs.n)) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	in.pv = &pv;
	for (size_t i = 0; i < cs.n; i++) {
		struct lb_entry en;
		uint64_t seq = cs.first_seq + i;
		uint8_t key[RKEY_LEN], vk[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX], vval[RKEY_LEN];
		MDB_val k = {RKEY_LEN, key}, v;

		if ((e = lb_wire_rebuild(&cs, i, ch.hash, &eb, &en, hash, d)))
			goto out;
		if ((e = lb_chain_entry(&ch, &en, hash, NULL, d))) {
			/* seq and prev hold by construction; what is left is time */
			e = ch.fault == LB_CHAIN_TS ? LB_ESCHEMA : LB_ESIG;
			if (d)
				d->code = e;
			goto out;
		}
		agg_rkey(key, cs.origin, seq);
		if (seq <= o.seq && !fork_seq &&
		    (mdb_get(txn, a->replica, &k, &v) || v.mv_size != eb.sb.size ||
		     memcmp(v.mv_data, eb.sb.data, v.mv_size)))
			fork_seq = seq; /* a fork only if the chain proves signed: see below */
		if (seq <= o.seq || fork_seq) {
			/* held (or a rival history): chained, never stored */
			if (seq == o.seq && !fork_seq) {
				ch.m = m; /* ours up to here: our frontier */
				ch.tree = true;
			}
			if (fork_seq) {
				put_item(&rival, eb.sb.data, eb.sb.size);
				nrival++;
			}
			continue;
		}
		{
			struct lb_refs refs = {view_has, &in};
			if ((e = lb_entry_check_schema(&en, &refs, d)))
				goto out;
		}
		v = (MDB_val){eb.sb.size, eb.sb.data};
		if ((rc = mdb_put(txn, a->replica, &k, &v, 0))) {
			*mdbrc = rc;
			e = lb_mdb_fail(d, rc, "storing the replica");
			goto out;
		}
		agg_rkey(vval, cs.origin, seq);
		if (!pv_set(&pv, vk, view_key(vk, cs.village, &en), vval, en.op == LB_OP_PUT,
		            en.body, en.body_len)) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		r->accepted++;
	}
	if ((e = lb_chain_head(&ch, &h, d))) {
		switch (ch.fault) {
		case LB_CHAIN_HEAD_TS:
			e = LB_ESCHEMA;
			break;
		case LB_CHAIN_HEAD_HASH:
			lb_fail(d, e, "the entries do not chain to the signed head's hash");
			/* fall through */
		default:
			e = LB_ESIG;
			break;
		}
		if (d)
			d->code = e;
		goto out;
	}
	if (!fork_seq && (rc = pv_apply(&pv, txn, a->view, a))) {
		*mdbrc = rc;
		e = lb_mdb_fail(d, rc, "updating the consolidated view");
		goto out;
	}
	if (fork_seq) {
		/* the village's key signed a history that differs from ours */
		e = lb_fail(d, LB_EFORK, "seq %llu differs from the entry already accepted: "
		            "the village rewrote its history (both signed heads kept)",
		            (unsigned long long)fork_seq);
		goto out;
	}
	if (last > o.seq) {
		uint8_t key[RKEY_LEN];
		MDB_val k = {RKEY_LEN, key}, v = {cs.head_len, (void *)cs.head};
		m = ch.m; /* checked against the head's root by lb_chain_head */
		agg_rkey(key, cs.origin, last);
		if ((rc = mdb_put(txn, a->heads, &k, &v, 0))) {
			*mdbrc = rc;
			e = lb_mdb_fail(d, rc, "storing the signed head");
			goto out;
		}
		/* entries past a proven fork that extend what we hold: resolved */
		if ((rc = agg_fork_extended(a, txn, &o, o.seq + 1))) {
			*mdbrc = rc;
			e = lb_mdb_fail(d, rc, "storing the fork state");
			goto out;
		}
		o.seq = last;
		memcpy(o.hash, ch.hash, LB_HASH_BYTES);
		/* "last seen" is the last time new entries arrived: a replayed
		 * old change set must not make a silent village look active */
		o.last_seen_ms = lb_hlc_wall_ms();
		if (has_retired && o.seq == retired.seq) {
			/* the retired key's chain is complete here: its successor
			 * starts from it, in this transaction */
			struct lb_agg_origin succ;
			if (memcmp(o.hash, retired.hash, LB_HASH_BYTES)) {
				e = lb_fail(d, LB_ESIG, "entry %llu of this retired key is not the one its "
				            "succession names", (unsigned long long)o.seq);
				goto out;
			}
			if ((e = agg_read_origin(a, txn, retired.new_key, &succ, NULL, d)))
				goto out;
			if (!succ.seq && (rc = agg_seed_successor(a, txn, &retired, &m))) {
				*mdbrc = rc;
				e = lb_mdb_fail(d, rc, "starting the successor's state");
				goto out;
			}
		}
		if ((rc = agg_write_origin(a, txn, &o, &m)) ||
		    (rc = agg_route_put(a, txn, cs.origin, cs.village, relay, o.last_seen_ms,
		                        lb_hlc_ms(h.ts)))) {
			*mdbrc = rc;
			e = lb_mdb_fail(d, rc, "storing the origin's state");
			goto out;
		}
		rc = agg_txn_commit(a, txn);
	} else {
		agg_txn_abort(a, txn); /* a resend of what we hold: nothing changes */
		rc = 0;
	}
	/* the tree root we sign is always the one of what we hold (m, at
	 * o.seq), never one copied from the offer; a resend ending at o.seq
	 * had its head's root checked against it by lb_chain_head */
	txn = NULL;
	if (rc) {
		*mdbrc = rc;
		e = lb_mdb_fail_env(d, a->env, rc, "committing"); /* EIO on a full disk: "disk full" */
		goto out;
	}
	r->seq = o.seq;
	memcpy(r->hash, o.hash, LB_HASH_BYTES);
	e = agg_held_receipt(a, &o, &m, r->accepted ? o.last_seen_ms : lb_hlc_wall_ms(), &r->receipt,
	                     &r->receipt_len, d);
out:
	if (txn)
		agg_txn_abort(a, txn);
	if (e == LB_EFORK && !rival.oom)
		keep_fork(a, cs.origin, fork_seq, cs.head, cs.head_len, &rival, nrival);
	lb_mp_buf_free(&rival);
	pv_free(&pv);
	lb_mp_buf_free(&eb);
	lb_changeset_free(&cs);
	return e;
}

#define MAX_GROWTHS 12

lb_err lb_agg_ingest(struct lb_agg *a, const void *body, size_t len, struct lb_agg_result *r,
                     struct lb_diag *d)
{
	return lb_agg_ingest_via(a, body, len, NULL, r, d);
}

lb_err lb_agg_ingest_via(struct lb_agg *a, const void *body, size_t len, const uint8_t *relay,
                         struct lb_agg_result *r, struct lb_diag *d)
{
	return lb_agg_ingest_from(a, body, len, relay, NULL, r, d);
}

/* The one place change sets are opened (sync/envelope.h): HTTP bodies,
 * USB files, bundle frames and relayed change sets all come through here,
 * and only the plain change set goes on to be checked and stored. */
lb_err lb_agg_ingest_from(struct lb_agg *a, const void *body, size_t len, const uint8_t *relay,
                          const uint8_t *origin, struct lb_agg_result *r, struct lb_diag *d)
{
	const uint8_t *plain;
	size_t plain_len;
	uint8_t *owned = NULL;
	lb_err e;

	memset(r, 0, sizeof *r);
	if (a->read_only)
		return agg_refuse_read_only(lb_env_form(body, len) == LB_ENV_SEALED
		                                ? "opening a sealed change set (it needs the "
		                                  "aggregator's key)"
		                                : "ingesting",
		                            d);
	plain = body;
	plain_len = len;
	/* a plain body goes straight to the decoder, which bounds it itself */
	if (lb_env_form(body, len) != LB_ENV_PLAIN &&
	    (e = lb_env_open(body, len, &a->key, LB_WIRE_MAX_BYTES, &plain, &plain_len, &owned, d)))
		return e;
	for (int growths = 0;; growths++) {
		int mdbrc = 0;
		size_t seen = agg_map_size(a);
		e = ingest_once(a, plain, plain_len, relay, origin, r, &mdbrc, d);
		if (!e || mdbrc != MDB_MAP_FULL || growths == MAX_GROWTHS || agg_grow_map(a, seen))
			break;
	}
	free(owned);
	return e;
}
