/*
 * write.c — the write path: one LMDB write transaction per call.
 *
 * A writer is a *producer*: a function that hands changes one by one to a
 * sink (lb_sink_put) inside the open transaction.  The sink appends an
 * entry per change, keeps the records index, the Merkle frontier and the
 * tip, and the transaction ends with one signed head.  Because the
 * producer can be called again from the start, a transaction that hits a
 * full map is aborted, the map doubled and the producer re-run: an array of
 * changes is simply walked again, a CSV file read again.  That keeps even a
 * million-row import in one transaction (all or nothing) without holding
 * it in memory.
 */
#include "node_int.h"

#include <stdlib.h>
#include <string.h>

#include "../schema/schema.h"
#include "catalogue.h"
#include "consistency.h"
#include "hlc.h"

#define MAX_GROWTHS 16
#define MAX_CASCADE 4 /* program -> penerima; penduduk -> keluarga: two suffice */

struct lb_write_sink {
	struct lb_node *n;
	MDB_txn *txn;
	MDB_cursor *rcur;
	unsigned flags;
	struct lb_commit *c;
	const struct lb_schema *schema;
	struct lb_node_info id;
	struct lb_merkle m;
	uint64_t seq, ts, wall, live;
	int64_t dlive;
	uint8_t hash[LB_HASH_BYTES];
	size_t index; /* changes seen so far */
	uint64_t cur_seq; /* entry of the live record being overwritten, or 0 */
	uint64_t head_seq; /* seq of the last head signed in this transaction */
	char cat_hit[LB_RKEY_MAX + 1]; /* type NUL id a catalogue was last found to hold */
	size_t cat_hit_len;
	int mdbrc;    /* the LMDB failure, so a full map can be retried */
	struct lb_cons cons; /* the rules between records and their index */
	unsigned depth;      /* nesting of cascaded deletes */
};

static lb_err sign_head(struct lb_write_sink *s, struct lb_diag *d);
static lb_err apply(struct lb_write_sink *s, const struct lb_change *op, struct lb_diag *d);

static lb_err check_op(const struct lb_change *op, struct lb_diag *d)
{
	lb_err e;

	if ((e = lb_type_check(op->type, d)) || (e = lb_id_check(op->id, op->id_len, d)))
		return e;
	if (op->op == LB_OP_DEL)
		return LB_OK;
	if (op->op != LB_OP_PUT || !op->body)
		return lb_fail(d, LB_EINVAL, "a put needs a body");
	if (op->body_len > LB_BODY_MAX)
		return lb_fail(d, LB_ETOOBIG, "record body is %zu bytes, more than the limit of %d",
		               op->body_len, LB_BODY_MAX);
	return lb_mp_check_body(op->body, op->body_len, d);
}

/* Is the current body of the record at seq equal to body? */
static bool same_body(struct lb_node *n, MDB_txn *txn, uint64_t seq, const uint8_t *body,
                      size_t len)
{
	uint8_t k[8];
	MDB_val key = {8, k}, v;
	struct lb_entry e;

	lb_be64_put(k, seq);
	if (mdb_get(txn, n->log, &key, &v) || lb_entry_decode(&e, v.mv_data, v.mv_size, NULL))
		return false;
	return e.op == LB_OP_PUT && e.body_len == len && memcmp(e.body, body, len) == 0;
}

/* Does the live record's current entry at seq hold the string id as a
 * field value?  (A reference it already had.) */
static bool had_reference(struct lb_write_sink *s, uint64_t seq, const char *id, size_t id_len)
{
	uint8_t k[8];
	MDB_val key = {8, k}, v;
	struct lb_entry e;
	struct lb_mp_rd r;
	struct lb_mp_obj o, x;

	lb_be64_put(k, seq);
	if (mdb_get(s->txn, s->n->log, &key, &v) || lb_entry_decode(&e, v.mv_data, v.mv_size, NULL) ||
	    e.op != LB_OP_PUT)
		return false;
	lb_mp_rd_init(&r, e.body, e.body_len);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_MAP)
		return false;
	for (uint32_t i = 0; i < o.len; i++) {
		if (lb_mp_skip(&r, false, NULL) || lb_mp_next(&r, &x, NULL))
			return false;
		if (x.kind == LB_MP_STR && x.len == id_len && !memcmp(x.s, id, id_len))
			return true;
	}
	return false;
}

/* lb_refs.exists inside the write transaction, so a programme put earlier
 * in the same batch counts.  A reference the record already had is not
 * re-checked: a beneficiary of a programme deleted since can still be
 * updated (say, to status dibatalkan). */
static bool in_catalogue(struct lb_write_sink *s, const char *type, const char *id, size_t id_len,
                         char region[LB_CATALOGUE_REGION_MAX + 1]);

static bool ref_exists(void *ctx, const char *type, const char *id, size_t id_len)
{
	struct lb_write_sink *s = ctx;
	uint8_t rk[LB_RKEY_MAX];
	MDB_val k, v;
	size_t tl = strlen(type);

	if (tl > LB_TYPE_MAX || id_len > LB_ID_MAX)
		return false;
	k = (MDB_val){lb_rkey(rk, type, tl, id, id_len), rk};
	if (mdb_get(s->txn, s->n->records, &k, &v) == 0 && v.mv_size == LB_REC_VAL_LEN &&
	    ((uint8_t *)v.mv_data)[8] == LB_REC_LIVE)
		return true;
	return (s->cur_seq && had_reference(s, s->cur_seq, id, id_len)) ||
	       in_catalogue(s, type, id, id_len, NULL);
}

/* Does a catalogue this village holds (catalogue.h) have (type, id) live?
 * The last hit is remembered: a batch of beneficiaries names one
 * programme again and again. */
static bool in_catalogue(struct lb_write_sink *s, const char *type, const char *id, size_t id_len,
                         char region[LB_CATALOGUE_REGION_MAX + 1])
{
	uint8_t rk[LB_RKEY_MAX];
	size_t kl = lb_rkey(rk, type, strlen(type), id, id_len);
	char r[LB_CATALOGUE_REGION_MAX + 1];

	if (!region && kl == s->cat_hit_len && !memcmp(rk, s->cat_hit, kl))
		return true;
	if (lb_catalogue_find(s->n->dir, type, id, id_len, region ? region : r, NULL))
		return false;
	memcpy(s->cat_hit, rk, kl);
	s->cat_hit_len = kl;
	return true;
}

/* A del of a record live records refer to (consistency.h, rule 5) is
 * refused, or with LB_WRITE_CASCADE they are deleted first, in this
 * transaction. */
static lb_err check_del(struct lb_write_sink *s, const struct lb_change *op, struct lb_diag *d)
{
	struct lb_cons_ref *refs;
	size_t nrefs;
	lb_err e;

	if ((e = lb_cons_referrers(&s->cons, op->type, op->id, op->id_len, &refs, &nrefs, d)))
		return e;
	if (!nrefs)
		return LB_OK;
	if (!(s->flags & LB_WRITE_CASCADE) || s->depth >= MAX_CASCADE) {
		e = lb_cons_refuse_del(refs, nrefs, d);
		free(refs);
		return e;
	}
	s->depth++;
	for (size_t i = 0; i < nrefs && !e; i++) {
		struct lb_change del = {.op = LB_OP_DEL, .type = refs[i].type, .id = refs[i].id,
		                        .id_len = refs[i].id_len};
		if ((e = apply(s, &del, d)))
			lb_diag_prefix(d, "%s %.*s", refs[i].type,
			               (int)(refs[i].id_len > 64 ? 64 : refs[i].id_len), refs[i].id);
		else
			s->c->cascaded++;
	}
	s->depth--;
	free(refs);
	return e;
}

static lb_err validate_op(struct lb_write_sink *s, const struct lb_change *op, struct lb_diag *d)
{
	struct lb_refs refs = {ref_exists, s};
	char region[LB_CATALOGUE_REGION_MAX + 1];
	lb_err e;

	if (op->op == LB_OP_DEL)
		return lb_schema_type(s->schema, op->type)
		               ? check_del(s, op, d)
		               : lb_fail(d, LB_ESCHEMA, "unknown record type \"%s\"", op->type);
	if (!strcmp(op->type, "program") && in_catalogue(s, op->type, op->id, op->id_len, region))
		return lb_fail(d, LB_ESCHEMA, "this programme belongs to the catalogue of %s; use it, "
		               "do not redefine it", region);
	if ((e = lb_schema_validate(s->schema, op->type, op->id, op->id_len, op->body, op->body_len,
	                            &refs, d)))
		return e;
	return lb_cons_check_put(&s->cons, op->type, op->id, op->id_len, op->body, op->body_len, d);
}

static lb_err mdb_err(struct lb_write_sink *s, int rc, const char *what, struct lb_diag *d)
{
	s->mdbrc = rc;
	return lb_mdb_fail_env(d, s->n->env, rc, what); /* a page spill can fill the disk */
}

/* Apply one change; the caller has checked it.  Returns with nothing
 * applied when the change is skipped as unchanged. */
static lb_err apply(struct lb_write_sink *s, const struct lb_change *op, struct lb_diag *d)
{
	struct lb_node *n = s->n;
	size_t tl = strlen(op->type);
	uint8_t rk[LB_RKEY_MAX], rval[LB_REC_VAL_LEN], kseq[8];
	MDB_val rkey = {lb_rkey(rk, op->type, tl, op->id, op->id_len), rk}, k, v;
	struct lb_entry en;
	bool exists = false, was_live = false, stored = false;
	uint64_t old_seq = 0;
	lb_err e;
	int rc;

	lb_be64_put(rval, s->seq + 1);
	rval[8] = op->op == LB_OP_PUT ? LB_REC_LIVE : LB_REC_DELETED;
	if (op->op == LB_OP_PUT && !(s->flags & LB_WRITE_SKIP_UNCHANGED)) {
		/* The common case (bulk import of new records) costs one tree
		 * descent: insert, and only if the key exists look at the old
		 * row and overwrite it where the cursor stands. */
		v = (MDB_val){LB_REC_VAL_LEN, rval};
		rc = mdb_cursor_put(s->rcur, &rkey, &v, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST) {
			exists = true;
			was_live = v.mv_size == LB_REC_VAL_LEN && ((uint8_t *)v.mv_data)[8] == LB_REC_LIVE;
			old_seq = v.mv_size == LB_REC_VAL_LEN ? lb_be64_get(v.mv_data) : 0;
			v = (MDB_val){LB_REC_VAL_LEN, rval};
			rc = mdb_cursor_put(s->rcur, &rkey, &v, MDB_CURRENT);
		}
		if (rc)
			return mdb_err(s, rc, "updating records", d);
		stored = true;
	} else if ((rc = mdb_get(s->txn, n->records, &rkey, &v)) == 0 && v.mv_size == LB_REC_VAL_LEN) {
		exists = true;
		was_live = ((uint8_t *)v.mv_data)[8] == LB_REC_LIVE;
		old_seq = lb_be64_get(v.mv_data);
	} else if (rc != MDB_NOTFOUND) {
		return rc ? mdb_err(s, rc, "reading records", d)
		          : lb_fail(d, LB_ECORRUPT, "records value has the wrong size");
	}
	if (op->op == LB_OP_DEL && !was_live) {
		if (s->flags & LB_WRITE_SKIP_UNCHANGED) {
			s->c->unchanged++;
			return LB_OK;
		}
		return exists ? lb_fail(d, LB_ENOTFOUND, "already deleted")
		              : lb_fail(d, LB_ENOTFOUND, "no such record to delete");
	}
	if (op->op == LB_OP_PUT && was_live && (s->flags & LB_WRITE_SKIP_UNCHANGED) &&
	    same_body(n, s->txn, lb_be64_get(v.mv_data), op->body, op->body_len)) {
		s->c->unchanged++;
		return LB_OK;
	}
	s->cur_seq = was_live ? old_seq : 0;
	if ((e = validate_op(s, op, d)))
		return e;
	lb_be64_put(rval, s->seq + 1); /* a cascade may have written entries before this one */

	s->seq++;
	s->ts = lb_hlc_next(s->ts, s->wall);
	en = (struct lb_entry){.seq = s->seq,
	                       .ts = s->ts,
	                       .op = op->op,
	                       .type = op->type,
	                       .type_len = tl,
	                       .id = op->id,
	                       .id_len = op->id_len,
	                       .body = op->body,
	                       .body_len = op->body_len,
	                       .schema = s->schema->version};
	memcpy(en.prev, s->hash, LB_HASH_BYTES);
	lb_mp_buf_reset(&n->buf);
	if ((e = lb_entry_encode(&n->buf, &en)))
		return lb_fail(d, e, "out of memory encoding an entry");
	lb_hash(s->hash, n->buf.sb.data, n->buf.sb.size);
	lb_merkle_append(&s->m, s->hash);

	lb_be64_put(kseq, s->seq);
	k = (MDB_val){8, kseq};
	v = (MDB_val){n->buf.sb.size, n->buf.sb.data};
	if ((rc = mdb_put(s->txn, n->log, &k, &v, MDB_APPEND)))
		return mdb_err(s, rc, "appending to the log", d);
	v = (MDB_val){LB_REC_VAL_LEN, rval};
	if (!stored && (rc = mdb_put(s->txn, n->records, &rkey, &v, 0)))
		return mdb_err(s, rc, "updating records", d);
	s->dlive += (op->op == LB_OP_PUT) - was_live;
	if (op->op == LB_OP_PUT &&
	    (e = lb_cons_index_put(&s->cons, op->type, tl, op->id, op->id_len, op->body,
	                           op->body_len, d)))
		return e;
	if (!s->c->written++)
		s->c->first_seq = s->seq;
	s->c->last_seq = s->seq;
	/* A long transaction (a big import) also gets a head every
	 * LB_HEAD_EVERY entries, so sync can send it in bounded pieces that
	 * each end at a signed head. */
	if (s->c->written % LB_HEAD_EVERY == 0)
		return sign_head(s, d);
	return LB_OK;
}

lb_err lb_sink_put(struct lb_write_sink *s, const struct lb_change *op, struct lb_diag *d)
{
	lb_err e;

	s->c->failed_op = s->index++;
	if ((e = check_op(op, d)) || (e = apply(s, op, d)))
		lb_diag_prefix(d, "%s %.*s", op->type ? op->type : "?",
		               (int)(op->id_len > 64 ? 64 : op->id_len), op->id ? op->id : "");
	return e;
}

static lb_err sink_begin(struct lb_write_sink *s, struct lb_diag *d)
{
	MDB_val v;
	lb_err e;
	int rc;

	if ((e = lb_node_read_identity(s->n, s->txn, &s->id, d)) ||
	    (e = lb_node_read_tip(s->n, s->txn, &s->seq, s->hash, &s->ts, &s->m, d)))
		return e;
	if (lb_meta_get(s->n, s->txn, "live", &v) == 0 && v.mv_size == 8)
		s->live = lb_be64_get(v.mv_data);
	if ((e = lb_cons_begin(&s->cons, s->n, s->txn, s->schema, s->seq, s->hash, &s->mdbrc, d)))
		return e;
	/* Freed with the transaction (write-txn cursors need no close). */
	if ((rc = mdb_cursor_open(s->txn, s->n->records, &s->rcur)))
		return mdb_err(s, rc, "reading records", d);
	return LB_OK;
}

/* Sign a head for the entries so far (s->seq) and store it. */
static lb_err sign_head(struct lb_write_sink *s, struct lb_diag *d)
{
	struct lb_node *n = s->n;
	struct lb_head h;
	uint8_t kseq[8];
	MDB_val k, v;
	lb_err e;
	int rc;

	memset(&h, 0, sizeof h);
	memcpy(h.village, s->id.village, sizeof h.village);
	memcpy(h.origin, s->id.origin, LB_PK_BYTES);
	h.seq = s->seq;
	memcpy(h.hash, s->hash, LB_HASH_BYTES);
	lb_merkle_root(&s->m, h.root);
	h.ts = s->ts;
	lb_mp_buf_reset(&n->hbuf);
	if ((e = lb_head_sign(&n->hbuf, &h, &n->key)))
		return lb_fail(d, e, "out of memory signing the head");
	lb_be64_put(kseq, s->seq);
	k = (MDB_val){8, kseq};
	v = (MDB_val){n->hbuf.sb.size, n->hbuf.sb.data};
	if ((rc = mdb_put(s->txn, n->heads, &k, &v, MDB_APPEND)))
		return mdb_err(s, rc, "storing the signed head", d);
	s->head_seq = s->seq;
	return LB_OK;
}

/* One signature at the end of the transaction, then the tip. */
static lb_err sink_finish(struct lb_write_sink *s, struct lb_diag *d)
{
	struct lb_node *n = s->n;
	uint8_t tip[LB_TIP_LEN], live[8], menc[LB_MERKLE_ENC_MAX];
	lb_err e;
	int rc;

	if (s->head_seq != s->seq && (e = sign_head(s, d)))
		return e;
	lb_be64_put(tip, s->seq);
	memcpy(tip + 8, s->hash, LB_HASH_BYTES);
	lb_be64_put(tip + 8 + LB_HASH_BYTES, s->ts);
	lb_be64_put(live, (uint64_t)((int64_t)s->live + s->dlive));
	if ((rc = lb_meta_put(n, s->txn, "tip", tip, sizeof tip)) ||
	    (rc = lb_meta_put(n, s->txn, "merkle", menc, lb_merkle_encode(&s->m, menc))) ||
	    (rc = lb_meta_put(n, s->txn, "live", live, 8)))
		return mdb_err(s, rc, "updating the log tip", d);
	return lb_cons_mark(&s->cons, s->seq, s->hash, d);
}

lb_err lb_node_write_with(struct lb_node *n, lb_produce_fn produce, void *ctx, unsigned flags,
                          struct lb_commit *c, struct lb_diag *d)
{
	struct lb_commit tmp;
	const struct lb_schema *schema = lb_schema_get(lb_schema_latest());
	lb_err e;
	int rc;

	if (!c)
		c = &tmp;
	memset(c, 0, sizeof *c);
	if (n->replica)
		return lb_fail(d, LB_EINVAL, "a replica is written only from its owner's signed log");
	if (!n->have_key)
		return lb_fail(d, LB_EINVAL, "node was opened read-only");
	if (!schema)
		return lb_fail(d, LB_ESCHEMA, "the built-in schema failed to load");

	for (int growths = 0;; growths++) {
		struct lb_write_sink s = {.n = n, .flags = flags, .c = c, .schema = schema,
		                          .wall = lb_hlc_wall_ms()};

		memset(c, 0, sizeof *c);
		if ((rc = lb_node_txn_begin(n, 0, &s.txn)))
			return lb_mdb_fail(d, rc, "starting a write");
		e = sink_begin(&s, d);
		if (!e)
			e = produce(ctx, &s, d);
		if (!e && c->written)
			e = sink_finish(&s, d);
		/* Nothing written, but the index caught up with the log: keep
		 * that work (a failure here only means it is redone next time). */
		if (!e && !c->written && s.cons.dirty && !lb_cons_mark(&s.cons, s.seq, s.hash, NULL)) {
			mdb_txn_commit(s.txn);
			c->failed_op = 0;
			return LB_OK;
		}
		if (e || !c->written) {
			mdb_txn_abort(s.txn);
			if (e && s.mdbrc == MDB_MAP_FULL && growths < MAX_GROWTHS) {
				if ((rc = lb_node_grow_map(n)))
					return lb_mdb_fail(d, rc, "growing the store");
				continue;
			}
			if (!e)
				c->failed_op = 0;
			return e;
		}
		rc = mdb_txn_commit(s.txn);
		if (rc == 0) {
			c->failed_op = 0;
			return LB_OK;
		}
		if (rc == MDB_MAP_FULL && growths < MAX_GROWTHS) {
			if ((rc = lb_node_grow_map(n)))
				return lb_mdb_fail(d, rc, "growing the store");
			continue;
		}
		memset(c, 0, sizeof *c);
		c->failed_op = LB_FAILED_TXN; /* no op is at fault: the whole transaction is */
		return lb_mdb_fail_env(d, n->env, rc, "committing");
	}
}

struct array_src {
	const struct lb_change *ops;
	size_t n;
};

static lb_err produce_array(void *ctx, struct lb_write_sink *s, struct lb_diag *d)
{
	const struct array_src *a = ctx;
	lb_err e;

	for (size_t i = 0; i < a->n; i++)
		if ((e = lb_sink_put(s, &a->ops[i], d)))
			return e;
	return LB_OK;
}

lb_err lb_node_write(struct lb_node *n, const struct lb_change *ops, size_t nops, unsigned flags,
                     struct lb_commit *c, struct lb_diag *d)
{
	struct array_src a = {ops, nops};
	return lb_node_write_with(n, produce_array, &a, flags, c, d);
}

bool lb_node_exists(struct lb_node *n, const char *type, const char *id, size_t id_len)
{
	MDB_txn *txn;
	struct lb_write_sink s = {.n = n};
	bool r;

	if (lb_node_txn_begin(n, MDB_RDONLY, &txn))
		return false;
	s.txn = txn;
	r = ref_exists(&s, type, id, id_len);
	mdb_txn_abort(txn);
	return r;
}

MDB_txn *lb_sink_txn(struct lb_write_sink *s)
{
	return s->txn;
}

lb_err lb_sink_fail(struct lb_write_sink *s, int rc, const char *what, struct lb_diag *d)
{
	return mdb_err(s, rc, what, d);
}
