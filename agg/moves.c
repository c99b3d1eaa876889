/*
 * moves.c — offers of residents who move inside the region (moves.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "moves.h"

#include <string.h>

#include "../node/entry.h"
#include "../node/lmdb_err.h"
#include "../schema/mp.h"
#include "../schema/text.h"
#include "store_int.h"

#define NIK_LEN 16

lb_err agg_moves_open(struct lb_agg *a, struct lb_diag *d)
{
	unsigned f = a->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	if ((rc = agg_txn_begin(a, a->read_only ? MDB_RDONLY : 0, &txn)))
		return lb_mdb_fail(d, rc, "opening the moves");
	if ((rc = mdb_dbi_open(txn, "moves", f, &a->moves))) {
		agg_txn_abort(a, txn);
		/* a read-only handle on a store made before moves: none */
		return rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "opening the moves");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the moves");
	a->have_moves = true;
	return LB_OK;
}

const char *lb_agg_move_state_name(enum lb_move_state s)
{
	return s == LB_MOVE_TAKEN ? "taken" : "open";
}

/* ---- what a penduduk record says about a move ----------------------------- */

struct move_fields {
	char to[LB_VILLAGE_LEN + 1];   /* pindah_ke when status pindah, else "" */
	char from[LB_VILLAGE_LEN + 1]; /* datang_dari, else "" */
	uint64_t dseq;                 /* datang_seq, 0 when absent */
	char dhash[2 * LB_HASH_BYTES + 1]; /* datang_hash, "" when absent */
};

static bool str_is(const struct lb_mp_obj *o, const char *lit)
{
	return o->kind == LB_MP_STR && o->len == strlen(lit) && !memcmp(o->s, lit, o->len);
}

static void copy_str(char *out, size_t cap, const struct lb_mp_obj *o)
{
	if (o->kind == LB_MP_STR && o->len < cap) {
		memcpy(out, o->s, o->len);
		out[o->len] = '\0';
	}
}

/* The move fields of a put of schema >= 2 (a v1 entry names no move).
 * false when the body is not a map. */
static bool move_fields(const struct lb_entry *e, struct move_fields *f)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o, k, v;
	bool pindah = false;

	memset(f, 0, sizeof *f);
	if (e->op != LB_OP_PUT || !e->body || e->schema < 2)
		return true;
	lb_mp_rd_init(&r, e->body, e->body_len);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_MAP)
		return false;
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_rd save;
		if (lb_mp_next(&r, &k, NULL) || k.kind != LB_MP_STR)
			return false;
		save = r;
		if (lb_mp_next(&r, &v, NULL))
			return false;
		if (v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP) {
			r = save;
			if (lb_mp_skip(&r, false, NULL))
				return false;
			continue;
		}
		if (str_is(&k, "status"))
			pindah = str_is(&v, "pindah");
		else if (str_is(&k, "pindah_ke"))
			copy_str(f->to, sizeof f->to, &v);
		else if (str_is(&k, "datang_dari"))
			copy_str(f->from, sizeof f->from, &v);
		else if (str_is(&k, "datang_seq") && v.kind == LB_MP_UINT)
			f->dseq = v.v.u;
		else if (str_is(&k, "datang_hash"))
			copy_str(f->dhash, sizeof f->dhash, &v);
	}
	if (!pindah)
		f->to[0] = '\0';
	return true;
}

/* The live entry (origin || seq) of the view, from the replica: decoded
 * into e, its stored bytes into raw (may be NULL), both borrowing from
 * the transaction.  0, MDB_NOTFOUND, MDB_CORRUPTED or an LMDB code. */
static int read_entry(struct lb_agg *a, MDB_txn *txn, const MDB_val *ref, struct lb_entry *e,
                      MDB_val *raw)
{
	MDB_val v;
	int rc;

	if (ref->mv_size != RKEY_LEN)
		return MDB_CORRUPTED;
	if ((rc = mdb_get(txn, a->replica, (MDB_val *)ref, &v)))
		return rc;
	if (lb_entry_decode(e, v.mv_data, v.mv_size, NULL))
		return MDB_CORRUPTED;
	if (raw)
		*raw = v;
	return 0;
}

/* The move fields of village's live penduduk nik in the view ("" when
 * none).  An LMDB code. */
static int live_fields(struct lb_agg *a, MDB_txn *txn, const char *village, const char *nik,
                       struct move_fields *f)
{
	uint8_t k[LB_VILLAGE_LEN + 2 + 8 + NIK_LEN];
	MDB_val key = {sizeof k, k}, ref;
	struct lb_entry e;
	int rc;

	memset(f, 0, sizeof *f);
	memcpy(k, village, LB_VILLAGE_LEN);
	k[LB_VILLAGE_LEN] = 0;
	memcpy(k + LB_VILLAGE_LEN + 1, "penduduk", 8);
	k[LB_VILLAGE_LEN + 9] = 0;
	memcpy(k + LB_VILLAGE_LEN + 10, nik, NIK_LEN);
	if ((rc = mdb_get(txn, a->view, &key, &ref)))
		return rc == MDB_NOTFOUND ? 0 : rc;
	if ((rc = read_entry(a, txn, &ref, &e, NULL)))
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	return move_fields(&e, f) ? 0 : MDB_CORRUPTED;
}

/* ---- the stored offer ------------------------------------------------------ */

static void move_key(uint8_t k[LB_MOVE_KEY_LEN], const char *to, const char *nik)
{
	memcpy(k, to, LB_VILLAGE_LEN);
	memcpy(k + LB_VILLAGE_LEN, nik, NIK_LEN);
}

static bool move_parse(const MDB_val *k, const MDB_val *v, struct lb_agg_move *m)
{
	const uint8_t *p = v->mv_data;

	if (k->mv_size != LB_MOVE_KEY_LEN || v->mv_size != LB_MOVE_VAL_LEN ||
	    p[LB_MOVE_VAL_LEN - 1] > LB_MOVE_TAKEN)
		return false;
	memcpy(m->to, k->mv_data, LB_VILLAGE_LEN);
	m->to[LB_VILLAGE_LEN] = '\0';
	memcpy(m->nik, (const uint8_t *)k->mv_data + LB_VILLAGE_LEN, NIK_LEN);
	m->nik[NIK_LEN] = '\0';
	memcpy(m->from, p, LB_VILLAGE_LEN);
	m->from[LB_VILLAGE_LEN] = '\0';
	p += LB_VILLAGE_LEN;
	memcpy(m->origin, p, LB_PK_BYTES);
	p += LB_PK_BYTES;
	m->seq = agg_be64_get(p);
	p += 8;
	memcpy(m->hash, p, LB_HASH_BYTES);
	p += LB_HASH_BYTES;
	m->state = (enum lb_move_state)p[0];
	return true;
}

static int move_put(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_move *m)
{
	uint8_t k[LB_MOVE_KEY_LEN], b[LB_MOVE_VAL_LEN], *p = b;
	MDB_val key = {sizeof k, k}, v = {sizeof b, b};

	move_key(k, m->to, m->nik);
	memcpy(p, m->from, LB_VILLAGE_LEN);
	p += LB_VILLAGE_LEN;
	memcpy(p, m->origin, LB_PK_BYTES);
	p += LB_PK_BYTES;
	agg_be64_put(p, m->seq);
	p += 8;
	memcpy(p, m->hash, LB_HASH_BYTES);
	p += LB_HASH_BYTES;
	p[0] = (uint8_t)m->state;
	return mdb_put(txn, a->moves, &key, &v, 0);
}

/* The offer to `to` for nik into m: 0, MDB_NOTFOUND, MDB_CORRUPTED. */
static int move_get(struct lb_agg *a, MDB_txn *txn, const char *to, const char *nik,
                    struct lb_agg_move *m)
{
	uint8_t k[LB_MOVE_KEY_LEN];
	MDB_val key = {sizeof k, k}, v;
	int rc;

	move_key(k, to, nik);
	if ((rc = mdb_get(txn, a->moves, &key, &v)))
		return rc;
	return move_parse(&key, &v, m) ? 0 : MDB_CORRUPTED;
}

/* ---- the ingest's hook ------------------------------------------------------ */

/* Is `to` a village A's record may be offered to: a desa of the region,
 * not A? */
static bool offer_target(struct lb_agg *a, const char *village, const char *to)
{
	return to[0] && lb_region_level(to) == LB_REGION_DESA && strcmp(to, village) &&
	       lb_region_contains(a->region, to);
}

/* Does what B holds for the offer (its datang_* fields) take it? */
static bool takes(const struct move_fields *b, const struct lb_agg_move *m)
{
	char hx[2 * LB_HASH_BYTES + 1];

	if (strcmp(b->from, m->from) || b->dseq != m->seq)
		return false;
	lb_hex(hx, m->hash, LB_HASH_BYTES);
	return !b->dhash[0] || !strcmp(b->dhash, hx);
}

int agg_moves_change(struct lb_agg *a, MDB_txn *txn, const MDB_val *vkey, const MDB_val *newval)
{
	const char *k = vkey->mv_data;
	char village[LB_VILLAGE_LEN + 1], nik[NIK_LEN + 1];
	struct move_fields was, now;
	struct lb_agg_move m;
	struct lb_entry e;
	MDB_val ref, raw = {0, NULL};
	int rc;

	/* village NUL penduduk NUL NIK, and nothing else */
	if (!a->have_moves || vkey->mv_size != LB_VILLAGE_LEN + 10 + NIK_LEN ||
	    memcmp(k + LB_VILLAGE_LEN, "\0penduduk\0", 10))
		return 0;
	memcpy(village, k, LB_VILLAGE_LEN);
	village[LB_VILLAGE_LEN] = '\0';
	memcpy(nik, k + LB_VILLAGE_LEN + 10, NIK_LEN);
	nik[NIK_LEN] = '\0';

	/* what the record said before (the view is not written yet) */
	memset(&was, 0, sizeof was);
	if ((rc = mdb_get(txn, a->view, (MDB_val *)vkey, &ref)) == 0) {
		if ((rc = read_entry(a, txn, &ref, &e, NULL)))
			return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
		if (!move_fields(&e, &was))
			return MDB_CORRUPTED;
	} else if (rc != MDB_NOTFOUND)
		return rc;
	memset(&now, 0, sizeof now);
	if (newval) {
		if ((rc = read_entry(a, txn, newval, &e, &raw)))
			return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
		if (!move_fields(&e, &now))
			return MDB_CORRUPTED;
	}
	if (!offer_target(a, village, was.to))
		was.to[0] = '\0';
	if (!offer_target(a, village, now.to))
		now.to[0] = '\0';

	/* no longer pindah to was.to: its open offer from us is withdrawn */
	if (was.to[0] && strcmp(was.to, now.to)) {
		rc = move_get(a, txn, was.to, nik, &m);
		if (rc == 0 && !strcmp(m.from, village) && m.state == LB_MOVE_OPEN) {
			uint8_t mk[LB_MOVE_KEY_LEN];
			MDB_val key = {sizeof mk, mk};
			move_key(mk, was.to, nik);
			rc = mdb_del(txn, a->moves, &key, NULL);
		}
		if (rc && rc != MDB_NOTFOUND)
			return rc;
	}
	/* newly pindah to now.to: an offer (taken already when the
	 * destination holds the resident naming this entry, as a relay may
	 * deliver B's push before A's) */
	if (now.to[0] && strcmp(was.to, now.to)) {
		struct move_fields there;
		memset(&m, 0, sizeof m);
		memcpy(m.to, now.to, sizeof m.to);
		memcpy(m.nik, nik, sizeof m.nik);
		memcpy(m.from, village, sizeof m.from);
		memcpy(m.origin, newval->mv_data, LB_PK_BYTES);
		m.seq = agg_be64_get((const uint8_t *)newval->mv_data + LB_PK_BYTES);
		lb_hash(m.hash, raw.mv_data, raw.mv_size); /* only now: most puts are no move */
		if ((rc = live_fields(a, txn, now.to, nik, &there)))
			return rc;
		m.state = takes(&there, &m) ? LB_MOVE_TAKEN : LB_MOVE_OPEN;
		if ((rc = move_put(a, txn, &m)))
			return rc;
	}
	/* a resident arriving here that names the offer: taken */
	if (now.from[0] && now.dseq) {
		rc = move_get(a, txn, village, nik, &m);
		if (rc == 0 && m.state == LB_MOVE_OPEN && takes(&now, &m)) {
			m.state = LB_MOVE_TAKEN;
			rc = move_put(a, txn, &m);
		}
		if (rc && rc != MDB_NOTFOUND)
			return rc;
	}
	return 0;
}

/* ---- listing ----------------------------------------------------------------- */

lb_err lb_agg_moves(struct lb_agg *a, const char *to, bool open_only, lb_agg_move_cb cb,
                    void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e = LB_OK;
	int rc;

	if (to && lb_region_level(to) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code (PP.KK.CC.DDDD)", to);
	if (!a->have_moves)
		return LB_OK;
	if ((e = agg_read_cursor(a, a->moves, &txn, &c, "reading the moves", d)))
		return e;
	k = (MDB_val){to ? LB_VILLAGE_LEN : 0, (void *)to};
	for (rc = mdb_cursor_get(c, &k, &v, to ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_agg_move m;
		uint8_t rk[RKEY_LEN];
		MDB_val rkey = {sizeof rk, rk}, ent = {0, NULL};
		if (to && (k.mv_size < LB_VILLAGE_LEN || memcmp(k.mv_data, to, LB_VILLAGE_LEN)))
			break;
		if (!move_parse(&k, &v, &m)) {
			e = lb_fail(d, LB_ECORRUPT, "a stored move is damaged");
			break;
		}
		if (open_only && m.state != LB_MOVE_OPEN)
			continue;
		agg_rkey(rk, m.origin, m.seq);
		if ((rc = mdb_get(txn, a->replica, &rkey, &ent)) && rc != MDB_NOTFOUND) {
			e = lb_mdb_fail(d, rc, "reading the replica");
			break;
		}
		if (cb(ctx, &m, rc ? NULL : ent.mv_data, rc ? 0 : ent.mv_size))
			break;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the moves");
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}
