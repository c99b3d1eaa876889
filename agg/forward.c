/*
 * forward.c — upstreams, forwarding passes and the forwarding thread
 * (forward.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "forward.h"
#include "catalogue.h"
#include "tree.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../node/lmdb_err.h"
#include "../schema/text.h"
#include "../sync/wire.h"
#include "relay.h"
#include "store_int.h"

#define UP_PREFIX "upstream/"
#define FORK_PREFIX "upfork/"
#define PLEN(p) (sizeof(p) - 1)
#define UP_KEY_MAX (PLEN(UP_PREFIX) + LB_REMOTE_NAME_MAX)
#define FORK_KEY_LEN (PLEN(FORK_PREFIX) + 2 * LB_PK_BYTES + 8)

/* ---- the meta rows: one put or delete per write transaction ---- */

static lb_err meta_write(struct lb_agg *a, MDB_val *k, MDB_val *v, const char *what,
                         struct lb_diag *d)
{
	MDB_txn *txn;
	size_t seen;
	int rc;

	if (a->read_only)
		return agg_refuse_read_only(what, d);
	for (;;) {
		seen = agg_map_size(a);
		if ((rc = agg_txn_begin(a, 0, &txn)))
			break;
		rc = v ? mdb_put(txn, a->meta, k, v, 0) : mdb_del(txn, a->meta, k, NULL);
		if (rc)
			agg_txn_abort(a, txn);
		else
			rc = agg_txn_commit(a, txn);
		if (rc == MDB_MAP_FULL && !(rc = agg_grow_map(a, seen)))
			continue;
		break;
	}
	if (rc == MDB_NOTFOUND && !v)
		return lb_fail(d, LB_ENOTFOUND, "nothing to remove");
	return rc ? lb_mdb_fail(d, rc, what) : LB_OK;
}

static size_t up_key(uint8_t *k, const char *name)
{
	size_t len = strlen(name);
	memcpy(k, UP_PREFIX, PLEN(UP_PREFIX));
	memcpy(k + PLEN(UP_PREFIX), name, len);
	return PLEN(UP_PREFIX) + len;
}

lb_err lb_agg_upstream_set(struct lb_agg *a, const struct lb_remote *r, struct lb_diag *d)
{
	uint8_t kb[UP_KEY_MAX], vb[LB_REMOTE_VAL_MAX];
	MDB_val k, v;
	lb_err e;

	if ((e = lb_remote_check(r, d)))
		return e;
	if (!r->has_key)
		return lb_fail(d, LB_EINVAL, "an upstream needs its key (--key HEX, from its agg.pub): "
		                             "every receipt it returns is checked against it");
	if (!a->read_only && !memcmp(r->key, a->key.pk, LB_PK_BYTES))
		return lb_fail(d, LB_EINVAL, "that key is this aggregator's own: an upstream is another "
		                             "aggregator (the kabupaten's)");
	k = (MDB_val){up_key(kb, r->name), kb};
	v = (MDB_val){lb_remote_encode(r, vb), vb};
	return meta_write(a, &k, &v, "saving the upstream", d);
}

lb_err lb_agg_upstream_del(struct lb_agg *a, const char *name, struct lb_diag *d)
{
	struct lb_remote r = {0};
	uint8_t kb[UP_KEY_MAX];
	MDB_val k;
	lb_err e;

	if (strlen(name) > LB_REMOTE_NAME_MAX)
		return lb_fail(d, LB_EINVAL, "a remote name has 1 to %d characters", LB_REMOTE_NAME_MAX);
	strcpy(r.name, name);
	strcpy(r.url, "http://x");
	if ((e = lb_remote_check(&r, d)))
		return e;
	k = (MDB_val){up_key(kb, name), kb};
	if ((e = meta_write(a, &k, NULL, "removing the upstream", d)) == LB_ENOTFOUND)
		return lb_fail(d, LB_ENOTFOUND, "no upstream \"%s\"", name);
	return e;
}

lb_err lb_agg_upstreams(struct lb_agg *a, lb_agg_upstream_cb cb, void *ctx, size_t *count,
                        struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = {PLEN(UP_PREFIX), UP_PREFIX}, v;
	size_t n = 0;
	lb_err e;
	int rc;

	if (count)
		*count = 0;
	if ((e = agg_read_cursor(a, a->meta, &txn, &c, "reading the upstreams", d)))
		return e;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_remote r = {0};
		size_t nlen = k.mv_size - PLEN(UP_PREFIX);
		if (k.mv_size < PLEN(UP_PREFIX) || memcmp(k.mv_data, UP_PREFIX, PLEN(UP_PREFIX)))
			break;
		if (!nlen || nlen > LB_REMOTE_NAME_MAX || v.mv_size <= LB_PK_BYTES ||
		    !lb_remote_decode(&r, v.mv_data, v.mv_size) || !r.url[0])
			continue; /* not one of ours */
		memcpy(r.name, (const char *)k.mv_data + PLEN(UP_PREFIX), nlen);
		r.has_key = true;
		n++;
		if (cb && cb(ctx, &r))
			break;
	}
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	if (count)
		*count = n;
	return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "reading the upstreams") : LB_OK;
}

/* ---- fork evidence as a log source: the rival's entries and head ---- */

struct ev_src {
	struct lb_agg *a;
	uint8_t origin[LB_PK_BYTES];
	uint64_t from, to; /* the rival's entries from..to, its head at `to` */
	struct agg_fork f;
};

static lb_err ev_info(void *ctx, struct lb_src_info *i, struct lb_diag *d)
{
	struct ev_src *s = ctx;
	struct lb_agg_origin o;
	lb_err e;

	if ((e = lb_agg_origin(s->a, s->origin, &o, d)))
		return e;
	memset(i, 0, sizeof *i);
	memcpy(i->village, o.village, sizeof i->village);
	memcpy(i->origin, s->origin, LB_PK_BYTES);
	i->seq = s->to;
	return LB_OK;
}

static lb_err ev_span(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
                      bool *over, struct lb_diag *d)
{
	struct ev_src *s = ctx;

	if (from != s->from)
		return lb_fail(d, LB_ENOTFOUND, "fork evidence starts at seq %llu",
		               (unsigned long long)s->from);
	*to = s->to;
	*bytes = (size_t)(s->f.branch[1].end - s->f.branch[1].items) - 4 * s->f.branch[1].n;
	*over = *bytes > max_bytes;
	return LB_OK;
}

static lb_err ev_entries(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
                         struct lb_diag *d)
{
	struct ev_src *s = ctx;
	const uint8_t *p = s->f.branch[1].items, *item;
	size_t len;

	if (from < s->from || to > s->to)
		return lb_fail(d, LB_ENOTFOUND, "fork evidence holds seq %llu..%llu",
		               (unsigned long long)s->from, (unsigned long long)s->to);
	for (uint64_t seq = s->from; seq <= to; seq++) {
		item = agg_fork_item(&p, &len);
		if (seq >= from && cb(cbctx, seq, item, len))
			break;
	}
	return LB_OK;
}

static lb_err ev_head(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d)
{
	struct ev_src *s = ctx;

	*head = NULL;
	if (seq != s->to)
		return lb_fail(d, LB_ENOTFOUND, "no rival head at seq %llu", (unsigned long long)seq);
	if (!(*head = malloc(s->f.head_len[1])))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	memcpy(*head, s->f.head[1], s->f.head_len[1]);
	*len = s->f.head_len[1];
	return LB_OK;
}

static int hash_item(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	(void)seq;
	lb_hash(ctx, raw, len);
	return 1;
}

static lb_err ev_entry_hash(void *ctx, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                            struct lb_diag *d)
{
	return ev_entries(ctx, seq, seq, hash_item, hash, d);
}

static lb_err ev_receipt_last(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t *seq,
                              struct lb_diag *d)
{
	(void)ctx, (void)agg, (void)d;
	*seq = 0;
	return LB_OK;
}

static lb_err ev_receipt_put(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t seq,
                             const void *receipt, size_t len, struct lb_diag *d)
{
	(void)ctx, (void)agg, (void)seq, (void)receipt, (void)len;
	return lb_fail(d, LB_EREFUSED, "a rival history of a fork gets no receipt");
}

static const struct lb_src_ops ev_ops = {
	.info = ev_info,
	.span = ev_span,
	.entries = ev_entries,
	.head = ev_head,
	.entry_hash = ev_entry_hash,
	.receipt_last = ev_receipt_last,
	.receipt_put = ev_receipt_put,
};

/* ---- passes ---- */

struct up {
	struct lb_remote r;
	struct lb_pusher *p;
	bool seen; /* still configured */
};

struct lb_agg_fwd {
	struct lb_agg *a;
	struct lb_agg_fwd_opts o;
	struct up *ups;
	size_t nups;
	struct lb_mp_buf body;
};

lb_err lb_agg_fwd_new(struct lb_agg_fwd **out, struct lb_agg *a, const struct lb_agg_fwd_opts *o,
                      struct lb_diag *d)
{
	*out = NULL;
	if (a->read_only)
		return agg_refuse_read_only("forwarding", d);
	if (!(*out = calloc(1, sizeof **out)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	(*out)->a = a;
	if (o)
		(*out)->o = *o;
	lb_mp_buf_init(&(*out)->body);
	return LB_OK;
}

void lb_agg_fwd_free(struct lb_agg_fwd *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nups; i++)
		lb_pusher_free(f->ups[i].p);
	free(f->ups);
	lb_mp_buf_free(&f->body);
	free(f);
}

struct collect {
	struct lb_remote *r;
	size_t n;
	bool oom;
};

static int collect_up(void *ctx, const struct lb_remote *r)
{
	struct collect *c = ctx;
	struct lb_remote *p = realloc(c->r, (c->n + 1) * sizeof *p);

	if (!p) {
		c->oom = true;
		return 1;
	}
	c->r = p;
	c->r[c->n++] = *r;
	return 0;
}

static bool same_remote(const struct lb_remote *x, const struct lb_remote *y)
{
	return !strcmp(x->name, y->name) && !strcmp(x->url, y->url) &&
	       !memcmp(x->key, y->key, LB_PK_BYTES) && !strcmp(x->cacert, y->cacert);
}

/* Bring f->ups in line with the configured upstreams: keep the pushers of
 * those unchanged (their adaptive size), make new ones. */
static lb_err sync_ups(struct lb_agg_fwd *f, struct lb_diag *d)
{
	struct collect c = {0};
	struct up *nu;
	lb_err e = LB_OK;

	if ((e = lb_agg_upstreams(f->a, collect_up, &c, NULL, d)))
		goto out;
	if (c.oom) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (!(nu = calloc(c.n + 1, sizeof *nu))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c.n; i++) {
		nu[i].r = c.r[i];
		for (size_t j = 0; j < f->nups; j++)
			if (f->ups[j].p && same_remote(&f->ups[j].r, &c.r[i])) {
				nu[i].p = f->ups[j].p;
				f->ups[j].p = NULL;
				break;
			}
		if (!nu[i].p) {
			struct lb_push_opts po = {.url = nu[i].r.url,
			                          .cacert = nu[i].r.cacert,
			                          .agg_key = nu[i].r.key,
			                          .relay_key = f->a->key.pk,
			                          .stall_s = f->o.stall_s,
			                          .max_bytes = f->o.max_bytes,
			                          .start_bytes = f->o.max_bytes &&
			                                                 f->o.max_bytes < LB_PUSH_DEFAULT_BYTES
			                                         ? f->o.max_bytes
			                                         : 0,
			                          .log = f->o.log};
			if ((e = lb_pusher_new(&nu[i].p, &po, d))) {
				lb_diag_prefix(d, "upstream %s", nu[i].r.name);
				for (size_t j = 0; j < i; j++)
					lb_pusher_free(nu[j].p);
				free(nu);
				goto out;
			}
		}
	}
	for (size_t j = 0; j < f->nups; j++)
		lb_pusher_free(f->ups[j].p);
	free(f->ups);
	f->ups = nu;
	f->nups = c.n;
out:
	free(c.r);
	return e;
}

struct origins {
	struct lb_agg_origin *o;
	size_t n;
	bool oom;
};

static int collect_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct origins *c = ctx;
	struct lb_agg_origin *p;

	if (!o->seq && !o->forks)
		return 0; /* nothing to send */
	if (!(p = realloc(c->o, (c->n + 1) * sizeof *p))) {
		c->oom = true;
		return 1;
	}
	c->o = p;
	c->o[c->n++] = *o;
	return 0;
}

static void event(struct lb_agg_fwd *f, const struct up *u, const struct lb_agg_origin *o,
                  bool fork, lb_err e, struct lb_diag *d, const struct lb_push_stats *st)
{
	struct lb_agg_fwd_event ev = {u->r.name, o->village, o->origin, fork, e,
	                              e ? lb_diag_msg(d, e) : "", st};
	if (f->o.on_village)
		f->o.on_village(f->o.ctx, &ev);
}

static bool stopping(const struct lb_agg_fwd *f)
{
	return f->o.stop && atomic_load(f->o.stop);
}

/* The rows of the forks db for origin, copied (the source reads them after
 * the transaction). */
struct fork_row {
	uint64_t seq;
	uint8_t *val;
	size_t len;
};

static lb_err fork_rows(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct fork_row **out,
                        size_t *n, struct lb_diag *d)
{
	uint8_t key[RKEY_LEN];
	MDB_val k = {RKEY_LEN, key}, v;
	MDB_txn *txn;
	MDB_cursor *c;
	lb_err e = LB_OK;
	int rc;

	*out = NULL;
	*n = 0;
	if ((e = agg_read_cursor(a, a->forks, &txn, &c, "reading the fork evidence", d)))
		return e;
	agg_rkey(key, origin, 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && agg_key_of(&k, origin);
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct fork_row *p = realloc(*out, (*n + 1) * sizeof *p);
		if (!p || !(p[*n].val = malloc(v.mv_size))) {
			if (p)
				*out = p;
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			break;
		}
		*out = p;
		p[*n].seq = agg_be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
		memcpy(p[*n].val, v.mv_data, v.mv_size);
		p[(*n)++].len = v.mv_size;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the fork evidence");
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}

static void fork_key(uint8_t k[FORK_KEY_LEN], const uint8_t up[LB_PK_BYTES],
                     const uint8_t origin[LB_PK_BYTES], uint64_t seq)
{
	memcpy(k, FORK_PREFIX, PLEN(FORK_PREFIX));
	memcpy(k + PLEN(FORK_PREFIX), up, LB_PK_BYTES);
	memcpy(k + PLEN(FORK_PREFIX) + LB_PK_BYTES, origin, LB_PK_BYTES);
	agg_be64_put(k + PLEN(FORK_PREFIX) + 2 * LB_PK_BYTES, seq);
}

/* Was evidence with this hash delivered to up already? */
static bool delivered(struct lb_agg *a, const uint8_t k[FORK_KEY_LEN],
                      const uint8_t hash[LB_HASH_BYTES])
{
	MDB_val kv = {FORK_KEY_LEN, (void *)k}, v;
	MDB_txn *txn;
	bool yes = false;

	if (agg_txn_begin(a, MDB_RDONLY, &txn))
		return false;
	if (!mdb_get(txn, a->meta, &kv, &v) && v.mv_size == LB_HASH_BYTES &&
	    !memcmp(v.mv_data, hash, LB_HASH_BYTES))
		yes = true;
	agg_txn_abort(a, txn);
	return yes;
}

/* Send the fork evidence held for o that u has not had.  LB_ENET ends
 * the upstream's pass; other failures are reported per fork. */
static lb_err send_forks(struct lb_agg_fwd *f, struct up *u, const struct lb_agg_origin *o,
                         struct lb_agg_fwd_stats *st, struct lb_diag *d)
{
	struct fork_row *rows;
	size_t n;
	lb_err e;

	if (!o->forks)
		return LB_OK;
	if ((e = fork_rows(f->a, o->origin, &rows, &n, d)))
		return e;
	for (size_t i = 0; i < n && !e; i++) {
		uint8_t k[FORK_KEY_LEN], hash[LB_HASH_BYTES];
		struct ev_src es = {.a = f->a, .from = rows[i].seq};
		struct lb_src src = {&ev_ops, &es};
		struct lb_push_stats ps = {0};
		const uint8_t *reply;
		size_t rlen;
		long status;
		uint64_t to;
		lb_err fe;

		memcpy(es.origin, o->origin, LB_PK_BYTES);
		lb_hash(hash, rows[i].val, rows[i].len);
		fork_key(k, u->r.key, o->origin, rows[i].seq);
		if (delivered(f->a, k, hash))
			continue;
		fe = agg_fork_parse(rows[i].val, rows[i].len, &es.f, d);
		/* evidence kept by an old version holds two heads and no entries:
		 * nothing the upstream could prove a fork with (an auditor still
		 * gets it from lumbung-audit fork-evidence); skipped quietly, not
		 * reported every pass */
		if (!fe && (es.f.legacy || !es.f.branch[1].n))
			continue;
		es.to = es.from + (es.f.branch[1].n ? es.f.branch[1].n - 1 : 0);
		ps.seq = es.from;
		if (!fe && !(fe = lb_changeset_build(&src, es.from, LB_WIRE_MAX_BYTES / 2, &f->body, &to,
		                                     NULL, d)) &&
		    !(fe = lb_pusher_origin(u->p, o->origin, d))) {
			fe = lb_pusher_call(u->p, "/v1/changesets", f->body.sb.data, f->body.sb.size,
			                    &status, &reply, &rlen, d);
			if (fe == LB_ENET) {
				e = fe;
				break;
			}
			/* the upstream proves the fork itself: 409 fork is delivery */
			if (!fe && status != 200 &&
			    (fe = lb_push_refusal(status, reply, rlen, "sending fork evidence", d)) ==
			            LB_EFORK)
				fe = LB_OK;
		}
		if (!fe) {
			MDB_val kv = {FORK_KEY_LEN, k}, hv = {LB_HASH_BYTES, hash};
			if ((fe = meta_write(f->a, &kv, &hv, "remembering delivered fork evidence", d)))
				e = fe; /* the store failing: stop */
			else
				st->forks++;
		}
		if (fe && fe != LB_ENET)
			st->refused++;
		event(f, u, o, true, fe, d, &ps);
	}
	for (size_t i = 0; i < n; i++)
		free(rows[i].val);
	free(rows);
	return e;
}

/* A kecamatan's own catalogue up to u (catalogue.h lb_agg_catalogue_push),
 * so that u resolves its villages' references to it.  A refusal is
 * reported and the pass goes on (a village naming a programme u lacks is
 * then refused and retried next pass); LB_ENET is returned. */
static lb_err push_catalogue(struct lb_agg_fwd *f, struct up *u, struct lb_agg_fwd_stats *st)
{
	struct lb_diag cd = {0};
	uint64_t sent = 0;
	lb_err e = lb_agg_catalogue_push(f->a, u->r.url, u->r.cacert, &sent, &cd);

	st->catalogue_up += sent;
	if (e) {
		struct lb_agg_origin none = {0};
		snprintf(none.village, sizeof none.village, "catalogue-up");
		event(f, u, &none, false, e, &cd, NULL);
	}
	return e;
}

/* One upstream's pass.  LB_ENET when it could not be reached or the link
 * broke; store errors; refusals are reported and counted only. */
static lb_err forward_up(struct lb_agg_fwd *f, struct up *u, const struct origins *os,
                         struct lb_agg_fwd_stats *st, struct lb_diag *d)
{
	uint64_t sent = 0;
	bool reached = false;
	lb_err e;

	e = lb_agg_send_statements(f->a, u->p, &sent, d);
	st->statements += sent;
	if (e == LB_ENET)
		return e;
	if (e) { /* e.g. not enrolled there as an aggregator: villages may be */
		struct lb_agg_origin none = {0};
		snprintf(none.village, sizeof none.village, "-");
		event(f, u, &none, false, e, d, NULL);
	} else
		reached = true;
	/* our own catalogue before the villages that may name its programmes */
	if ((e = push_catalogue(f, u, st)) == LB_ENET)
		return e;
	for (size_t i = 0; i < os->n && !stopping(f); i++) {
		const struct lb_agg_origin *o = &os->o[i];
		struct lb_agg_src *s;
		struct lb_src src;
		struct lb_push_stats ps = {0};
		uint64_t last = 0;

		if ((e = lb_agg_replica_src(f->a, o->origin, &s, d)))
			return e;
		lb_agg_src_get(s, &src);
		e = src.ops->receipt_last(src.ctx, u->r.key, &last, d);
		if (!e && last < o->seq) {
			st->villages++;
			e = lb_push_run(u->p, &src, &ps, d);
			reached |= ps.reached;
			st->entries += ps.entries;
			st->accepted += ps.accepted;
			st->receipts += ps.receipts;
			if (e && e != LB_ENET)
				st->refused++;
			event(f, u, o, false, e, d, &ps);
		}
		lb_agg_src_free(s);
		if (e == LB_ENET || e == LB_ESTORE || e == LB_ENOMEM)
			return e;
		if (!e && (e = send_forks(f, u, o, st, d)) &&
		    (e == LB_ENET || e == LB_ESTORE || e == LB_ENOMEM))
			return e;
	}
	if (reached)
		st->reached++;
	return LB_OK;
}

/* A key retired by a succession goes up before the key continuing it
 * (the upstream starts the successor when the old chain reaches its base):
 * by base, lowest first. */
/* The upstream's catalogues into our replicas (catalogue.h), to serve
 * them to our villages: a refusal is reported and never fails the pass. */
static void pull_catalogues(struct lb_agg_fwd *f, struct up *u, struct lb_agg_fwd_stats *st)
{
	struct lb_agg_catalogue_pull cp;
	struct lb_diag cd = {0};
	lb_err e = lb_agg_catalogue_pull(f->a, &u->r, &cp, &cd);

	st->catalogues += cp.updated;
	st->catalogue_entries += cp.entries;
	st->catalogues_refused += cp.refused;
	if (e && e != LB_ENOTFOUND) { /* 404: an upstream without catalogues */
		struct lb_agg_origin none = {0};
		snprintf(none.village, sizeof none.village, "catalogue");
		event(f, u, &none, false, e, &cd, NULL);
	}
}

static int by_base(const void *x, const void *y)
{
	const struct lb_agg_origin *a = x, *b = y;
	return (a->base > b->base) - (a->base < b->base);
}

lb_err lb_agg_forward(struct lb_agg_fwd *f, struct lb_agg_fwd_stats *st, struct lb_diag *d)
{
	struct origins os = {0};
	struct lb_diag ud = {0};
	lb_err e, first = LB_OK;

	memset(st, 0, sizeof *st);
	if ((e = sync_ups(f, d)))
		return e;
	st->upstreams = (unsigned)f->nups;
	if (!f->nups)
		return lb_fail(d, LB_ENOTFOUND, "no upstream: add the kabupaten with "
		                                "lumbung-agg upstream add -d DIR NAME URL --key HEX");
	if ((e = lb_agg_origins(f->a, collect_origin, &os, d)))
		return e;
	if (os.oom) {
		free(os.o);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if (os.n > 1)
		qsort(os.o, os.n, sizeof *os.o, by_base);
	for (size_t i = 0; i < f->nups && !stopping(f); i++) {
		if ((e = forward_up(f, &f->ups[i], &os, st, &ud)) && !first) {
			first = e;
			lb_fail(d, e, "upstream %s: %s", f->ups[i].r.name, lb_diag_msg(&ud, e));
		}
		if (!e)
			pull_catalogues(f, &f->ups[i], st);
		if (e && e != LB_ENET)
			break; /* the store itself failing */
	}
	free(os.o);
	return first;
}

/* ---- the forwarding thread ---- */

struct lb_agg_forwarder {
	struct lb_agg_fwd *f;
	FILE *log;
	long every;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool kicked;
	atomic_int stop;
};

static void logline(struct lb_agg_forwarder *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void logline(struct lb_agg_forwarder *w, const char *fmt, ...)
{
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	if (!w->log)
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	flockfile(w->log);
	fprintf(w->log, "%s forward: ", ts);
	va_start(ap, fmt);
	vfprintf(w->log, fmt, ap);
	va_end(ap);
	fputc('\n', w->log);
	fflush(w->log);
	funlockfile(w->log);
}

static void thread_event(void *ctx, const struct lb_agg_fwd_event *ev)
{
	struct lb_agg_forwarder *w = ctx;

	/* the message is ours, with the upstream's words escaped (push.c) */
	if (ev->e)
		logline(w, "%s %s%s: %s: %s", ev->upstream, ev->village, ev->fork ? " fork" : "",
		        lb_errname(ev->e), ev->msg);
	else if (ev->fork)
		logline(w, "%s %s: fork evidence at seq %llu delivered", ev->upstream, ev->village,
		        (unsigned long long)ev->st->seq);
	else if (ev->st)
		logline(w, "%s %s: sent %llu entries, upstream at seq %llu, %llu receipts kept",
		        ev->upstream, ev->village, (unsigned long long)ev->st->entries,
		        (unsigned long long)ev->st->seq, (unsigned long long)ev->st->receipts);
}

static void *run(void *arg)
{
	struct lb_agg_forwarder *w = arg;
	unsigned failures = 0;

	while (!atomic_load(&w->stop)) {
		struct lb_agg_fwd_stats st;
		struct lb_diag d = {0};
		struct timespec until;
		long wait = w->every;
		lb_err e;

		pthread_mutex_lock(&w->lock);
		w->kicked = false;
		pthread_mutex_unlock(&w->lock);
		e = lb_agg_forward(w->f, &st, &d);
		if (!e || e == LB_ENOTFOUND)
			failures = 0;
		if (e == LB_ENET) {
			wait = lb_push_backoff(&failures, st.entries > 0);
			logline(w, "%s; next pass in %ld s", lb_diag_msg(&d, e), wait);
		} else if (e && e != LB_ENOTFOUND) {
			logline(w, "%s: %s", lb_errname(e), lb_diag_msg(&d, e));
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		pthread_mutex_lock(&w->lock);
		/* a kick wakes a healthy forwarder at once; while the upstream is
		 * down it waits out its backoff */
		while (!atomic_load(&w->stop) && !(w->kicked && !failures) &&
		       pthread_cond_timedwait(&w->wake, &w->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&w->lock);
	}
	return NULL;
}

lb_err lb_agg_forwarder_start(struct lb_agg_forwarder **out, struct lb_agg *a, long every,
                              size_t max_bytes, FILE *log, struct lb_diag *d)
{
	struct lb_agg_forwarder *w;
	struct lb_agg_fwd_opts o = {0};
	sigset_t block, old;
	lb_err e;
	int rc;

	*out = NULL;
	if (!(w = calloc(1, sizeof *w)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	w->log = log;
	w->every = every > 0 ? every : 5;
	atomic_init(&w->stop, 0);
	o.on_village = thread_event;
	o.max_bytes = max_bytes;
	o.ctx = w;
	o.stop = &w->stop;
	if ((e = lb_agg_fwd_new(&w->f, a, &o, d))) {
		free(w);
		return e;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	/* the thread must not take the signals the main thread waits for */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(&w->thread, NULL, run, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		lb_agg_fwd_free(w->f);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return lb_fail(d, LB_ENOMEM, "cannot start the forwarding thread");
	}
	*out = w;
	return LB_OK;
}

void lb_agg_forwarder_kick(void *forwarder)
{
	struct lb_agg_forwarder *w = forwarder;

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->kicked = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void lb_agg_forwarder_stop(struct lb_agg_forwarder *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	atomic_store(&w->stop, 1);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	lb_agg_fwd_free(w->f);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
