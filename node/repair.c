/*
 * repair.c — re-apply the changes of a fork round after an adopt, and
 * export the round as fork evidence (repair.h).
 */
#include <stdlib.h>
#include <string.h>

#include "adopt.h"
#include "archive.h"
#include "node_int.h"
#include "repair.h"

#define MARKER_LEN (4 + 8 + 8)
#define MAX_GROWTHS 12

lb_err lb_repair_pending(struct lb_node *n, bool *pending, struct lb_repair_state *st,
                         struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_val v;
	lb_err e = LB_OK;
	int rc;

	*pending = false;
	memset(st, 0, sizeof *st);
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the repair marker");
	rc = lb_meta_get(n, txn, LB_REPAIR_MARKER, &v);
	if (rc == 0 && v.mv_size == MARKER_LEN) {
		const uint8_t *p = v.mv_data;
		st->round = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		st->base = lb_be64_get(p + 4);
		st->next = lb_be64_get(p + 12);
		*pending = true;
	} else if (rc == 0) {
		e = lb_fail(d, LB_ECORRUPT, "the repair marker has the wrong size");
	} else if (rc != MDB_NOTFOUND) {
		e = lb_mdb_fail(d, rc, "reading the repair marker");
	}
	mdb_txn_abort(txn);
	return e;
}

/* Put (st != NULL) or remove the marker in its own write transaction,
 * growing the map when it is full. */
lb_err lb_repair_mark(struct lb_node *n, const struct lb_repair_state *st, struct lb_diag *d)
{
	uint8_t buf[MARKER_LEN];
	MDB_val k = {strlen(LB_REPAIR_MARKER), (void *)LB_REPAIR_MARKER}, v = {MARKER_LEN, buf};
	MDB_txn *txn;
	int rc;

	if (!n->have_key)
		return lb_fail(d, LB_EINVAL, "node was opened read-only");
	if (st) {
		buf[0] = (uint8_t)(st->round >> 24);
		buf[1] = (uint8_t)(st->round >> 16);
		buf[2] = (uint8_t)(st->round >> 8);
		buf[3] = (uint8_t)st->round;
		lb_be64_put(buf + 4, st->base);
		lb_be64_put(buf + 12, st->next);
	}
	for (int growths = 0;; growths++) {
		if ((rc = lb_node_txn_begin(n, 0, &txn)))
			break;
		rc = st ? mdb_put(txn, n->meta, &k, &v, 0) : mdb_del(txn, n->meta, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		if (rc)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		if (rc != MDB_MAP_FULL || growths == MAX_GROWTHS || (rc = lb_node_grow_map(n)))
			break;
	}
	return rc ? lb_mdb_fail_env(d, n->env, rc, "writing the repair marker") : LB_OK;
}

lb_err lb_repair_begin(struct lb_node *n, uint32_t round, struct lb_diag *d)
{
	struct lb_node_info info;
	struct lb_repair_state st = {.round = round};
	lb_err e;

	if (!round)
		return lb_fail(d, LB_EINVAL, "no fork round to repair");
	if ((e = lb_node_info(n, &info, d)))
		return e;
	st.base = info.seq;
	return lb_repair_mark(n, &st, d);
}

/* ---- the evidence, copied out of its read transaction ------------------- */

struct item {
	uint32_t round;
	bool head;
	uint64_t seq;
	uint8_t *raw;
	size_t len;
};

struct items {
	struct item *v;
	size_t n, cap;
	uint64_t min_seq; /* entries of round seq >= min_seq only (0: all) */
	bool oom;
};

static int collect(void *ctx, uint32_t round, bool head, uint64_t seq, const uint8_t *raw,
                   size_t len)
{
	struct items *it = ctx;
	struct item *x;

	if (seq < it->min_seq)
		return 0;
	if (it->n == it->cap) {
		size_t cap = it->cap ? 2 * it->cap : 64;
		struct item *v = realloc(it->v, cap * sizeof *v);
		if (!v)
			goto oom;
		it->v = v;
		it->cap = cap;
	}
	x = &it->v[it->n];
	if (!(x->raw = malloc(len ? len : 1)))
		goto oom;
	memcpy(x->raw, raw, len);
	x->round = round;
	x->head = head;
	x->seq = seq;
	x->len = len;
	it->n++;
	return 0;
oom:
	it->oom = true;
	return 1;
}

static void items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i].raw);
	free(it->v);
	memset(it, 0, sizeof *it);
}

static lb_err items_read(struct lb_node *n, uint32_t round, uint64_t min_seq, struct items *it,
                         struct lb_diag *d)
{
	lb_err e;

	memset(it, 0, sizeof *it);
	it->min_seq = min_seq;
	e = lb_node_forked(n, round, collect, it, d);
	if (!e && it->oom)
		e = lb_fail(d, LB_ENOMEM, "out of memory reading the fork evidence");
	if (e)
		items_free(it);
	return e;
}

/* ---- re-apply ------------------------------------------------------------ */

struct find_del {
	const struct lb_change *c;
	bool found;
};

static int find_del_cb(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                       const uint8_t *raw, size_t raw_len)
{
	struct find_del *f = ctx;
	(void)hash, (void)raw, (void)raw_len;
	if (e->type_len == strlen(f->c->type) && !memcmp(e->type, f->c->type, e->type_len) &&
	    e->id_len == f->c->id_len && !memcmp(e->id, f->c->id, e->id_len))
		f->found = e->op == LB_OP_DEL; /* the last entry for the record wins */
	return 0;
}

/* A del refused because the record is deleted already: when that delete
 * is an entry this repair wrote (past base), an interrupted run applied it
 * before the marker moved on, so it is not a conflict. */
static bool repair_deleted(struct lb_node *n, const struct lb_change *c, uint64_t base)
{
	struct find_del f = {c, false};
	struct lb_diag d = {0};

	if (lb_node_log(n, base + 1, find_del_cb, &f, &d))
		return false;
	return f.found;
}

static bool is_conflict(lb_err e)
{
	return e == LB_ESCHEMA || e == LB_ENOTFOUND || e == LB_EMALFORMED || e == LB_EINVAL ||
	       e == LB_ETOOBIG;
}

lb_err lb_repair_apply(struct lb_node *n, lb_repair_conflict_cb cb, void *ctx,
                       struct lb_repair_report *r, struct lb_diag *d)
{
	struct lb_repair_report tmp;
	struct lb_repair_state st;
	struct items it;
	bool pending;
	lb_err e;

	if (!r)
		r = &tmp;
	memset(r, 0, sizeof *r);
	if ((e = lb_repair_pending(n, &pending, &st, d)))
		return e;
	if (!pending)
		return lb_fail(d, LB_ENOTFOUND, "no repair is pending");
	r->round = st.round;
	if ((e = items_read(n, st.round, 0, &it, d)))
		return e;
	for (size_t i = 0; i < it.n; i++)
		if (!it.v[i].head) {
			if (!r->fork_seq)
				r->fork_seq = it.v[i].seq;
			r->evidence++;
		}
	for (size_t i = 0; i < it.n && !e; i++) {
		struct item *x = &it.v[i];
		struct lb_entry en;
		struct lb_commit c;
		struct lb_diag wd = {0};
		char type[LB_TYPE_MAX + 1];
		struct lb_change ch;
		lb_err we;

		if (x->head || x->seq < st.next)
			continue;
		if ((e = lb_entry_decode(&en, x->raw, x->len, d))) {
			lb_diag_prefix(d, "the fork evidence, seq %llu", (unsigned long long)x->seq);
			e = LB_ECORRUPT;
			if (d)
				d->code = e;
			break;
		}
		memcpy(type, en.type, en.type_len);
		type[en.type_len] = '\0';
		ch = (struct lb_change){.op = en.op, .type = type, .id = en.id, .id_len = en.id_len,
		                        .body = en.body, .body_len = en.body_len};
		/* a put whose body holds already is skipped; a del of a record
		 * that is gone is a conflict (the other history deleted it) */
		we = lb_node_write(n, &ch, 1, en.op == LB_OP_PUT ? LB_WRITE_SKIP_UNCHANGED : 0, &c,
		                   &wd);
		if (we == LB_ENOTFOUND && en.op == LB_OP_DEL && repair_deleted(n, &ch, st.base)) {
			r->unchanged++;
		} else if (we && is_conflict(we)) {
			struct lb_repair_conflict k = {.seq = x->seq, .op = en.op, .type = type,
			                               .type_len = en.type_len, .id = en.id,
			                               .id_len = en.id_len, .code = we,
			                               .reason = lb_diag_msg(&wd, we)};
			r->conflicts++;
			if (cb)
				cb(ctx, &k);
		} else if (we) {
			if (d)
				*d = wd;
			e = we;
			break;
		} else if (c.written) {
			if (!r->first_seq)
				r->first_seq = c.first_seq;
			r->last_seq = c.last_seq;
			r->applied++;
		} else {
			r->unchanged++;
		}
		st.next = x->seq + 1;
		if ((e = lb_repair_mark(n, &st, d)))
			break;
	}
	if (!e)
		e = lb_repair_mark(n, NULL, d);
	items_free(&it);
	return e;
}

/* ---- export -------------------------------------------------------------- */

struct raw_out {
	struct lb_lla_writer *w;
	lb_err e;
	struct lb_diag *d;
};

static int log_entry_cb(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct raw_out *o = ctx;
	(void)seq;
	return (o->e = lb_lla_write_fork_entry(o->w, 0, raw, len, o->d)) != LB_OK;
}

/* One round: items[a..b) (entries, then heads, each in seq order). */
static lb_err export_round(struct lb_node *n, struct lb_lla_writer *w, const struct item *v,
                           size_t a, size_t b, struct lb_diag *d)
{
	const struct item *theirs = NULL;
	uint64_t k = 0, tip;
	struct lb_node_info info;
	uint8_t *ours = NULL;
	size_t olen = 0;
	struct raw_out o = {w, LB_OK, d};
	lb_err e;

	for (size_t i = a; i < b; i++) {
		if (!v[i].head && !k)
			k = v[i].seq;
		if (v[i].head && (!theirs || v[i].seq > theirs->seq))
			theirs = &v[i];
	}
	if (!k || !theirs)
		return k ? lb_fail(d, LB_ECORRUPT, "fork round %u: the evidence holds no signed head",
		                   v[a].round)
		         : lb_fail(d, LB_ECORRUPT, "fork round %u: the evidence holds no entry",
		                   v[a].round);
	if ((e = lb_node_info(n, &info, d)))
		return e;
	tip = info.seq;
	for (uint64_t s = k; s <= tip && !ours; s++) {
		e = lb_node_head(n, s, &ours, &olen, d);
		if (e && e != LB_ENOTFOUND)
			return e;
	}
	if (!ours)
		return lb_fail(d, LB_ECORRUPT,
		               "fork round %u: the log has no signed head at or after seq %llu",
		               v[a].round, (unsigned long long)k);
	if ((e = lb_lla_write_fork(w, ours, olen, theirs->raw, theirs->len, d)))
		goto out;
	{
		/* the held history: the log's entries k..ours */
		struct lb_head h;
		struct lb_diag hd = {0};
		uint64_t oseq = k;
		if (lb_head_open(&h, ours, olen, NULL, &hd) == LB_OK)
			oseq = h.seq;
		if ((e = lb_node_log_raw(n, k, oseq, log_entry_cb, &o, d)) || (e = o.e))
			goto out;
	}
	for (size_t i = a; i < b && !e; i++)
		if (!v[i].head && v[i].seq <= theirs->seq)
			e = lb_lla_write_fork_entry(w, 1, v[i].raw, v[i].len, d);
out:
	free(ours);
	return e;
}

lb_err lb_repair_export(struct lb_node *n, uint32_t round, FILE *out, size_t *count,
                        struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_lla_header h = {0};
	struct lb_node_info info;
	struct items it;
	size_t rounds = 0;
	lb_err e;

	if (count)
		*count = 0;
	if ((e = lb_node_info(n, &info, d)) || (e = items_read(n, round, 0, &it, d)))
		return e;
	if (!it.n) {
		items_free(&it);
		return round ? lb_fail(d, LB_ENOTFOUND, "no fork evidence of round %u", round)
		             : lb_fail(d, LB_ENOTFOUND, "no fork evidence: this node never forked");
	}
	lb_lla_writer_init(&w, out);
	memcpy(h.village, info.village, sizeof h.village);
	memcpy(h.origin, info.origin, LB_PK_BYTES);
	strcpy(h.source, "node");
	h.from = 1;
	e = lb_lla_write_header(&w, &h, d);
	for (size_t a = 0, b; !e && a < it.n; a = b) {
		for (b = a; b < it.n && it.v[b].round == it.v[a].round; b++)
			;
		e = export_round(n, &w, it.v, a, b, d);
		rounds++;
	}
	if (!e)
		e = lb_lla_write_trailer(&w, d);
	if (!e && count)
		*count = rounds;
	lb_lla_writer_free(&w);
	items_free(&it);
	return e;
}
