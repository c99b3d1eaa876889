/*
 * tree.c — enrolment through the tree, routes and lag (tree.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../node/entry.h"
#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../schema/text.h"
#include "tree_int.h"

#define AGG_VAL (LB_KEC_LEN + 1 + 8) /* region || revoked || applied */
#define ROUTE_VAL (LB_PK_BYTES + 8 + 8)
#define SEND_ROUNDS 64               /* POSTs in one lb_agg_send_statements */

static const uint8_t zeros[LB_PK_BYTES];

lb_err agg_tree_open(struct lb_agg *a, struct lb_diag *d)
{
	unsigned f = a->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	if ((rc = agg_txn_begin(a, a->read_only ? MDB_RDONLY : 0, &txn)))
		return lb_mdb_fail(d, rc, "opening the tree databases");
	if ((rc = mdb_dbi_open(txn, "stmts", f, &a->stmts)) ||
	    (rc = mdb_dbi_open(txn, "aggs", f, &a->aggs)) ||
	    (rc = mdb_dbi_open(txn, "enrolby", f, &a->enrolby)) ||
	    (rc = mdb_dbi_open(txn, "routes", f, &a->routes))) {
		agg_txn_abort(a, txn);
		/* a read-only handle on a store made before them: none */
		return rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "opening the tree databases");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the tree databases");
	a->have_tree = true;
	return LB_OK;
}

/* The last n in stmts inside txn (0: none); an LMDB code. */
int agg_enrolby_put(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                    const uint8_t *by)
{
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v = {LB_PK_BYTES, (void *)by};
	int rc;

	if (by)
		return mdb_put(txn, a->enrolby, &k, &v, 0);
	rc = mdb_del(txn, a->enrolby, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int agg_stmt_last(struct lb_agg *a, MDB_txn *txn, uint64_t *n)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	*n = 0;
	if ((rc = mdb_cursor_open(txn, a->stmts, &c)))
		return rc;
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		*n = agg_be64_get(k.mv_data);
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

lb_err agg_tree_enrolled(struct lb_agg *a, MDB_txn *txn, enum lb_stmt_action act,
                         const char *village, const uint8_t origin[LB_PK_BYTES], const uint8_t *by,
                         struct lb_diag *d)
{
	struct lb_statement st = {.action = act, .time_ms = lb_hlc_wall_ms()};
	uint8_t nk[8], *sig;
	size_t len;
	MDB_val k, v;
	lb_err e;
	int rc;

	if (!a->have_tree)
		return agg_refuse_read_only("enrolling", d);
	memcpy(st.signer, a->key.pk, LB_PK_BYTES);
	memcpy(st.village, village, LB_VILLAGE_LEN);
	memcpy(st.origin, origin, LB_PK_BYTES);
	if ((rc = agg_stmt_last(a, txn, &st.n)))
		return lb_mdb_fail(d, rc, "reading the statements");
	st.n++;
	if ((e = lb_statement_sign(&a->key, &st, &sig, &len, d)))
		return e;
	agg_be64_put(nk, st.n);
	k = (MDB_val){8, nk};
	v = (MDB_val){len, sig};
	rc = mdb_put(txn, a->stmts, &k, &v, MDB_NOOVERWRITE);
	free(sig);
	if (rc)
		return lb_mdb_fail(d, rc, "storing the statement");
	if (act == LB_STMT_ENROL) {
		if ((rc = agg_enrolby_put(a, txn, origin, by)))
			return lb_mdb_fail(d, rc, "storing who enrolled the key");
	}
	return LB_OK;
}

/* ---- aggregators ------------------------------------------------------- */

static bool agg_decode(const MDB_val *k, const MDB_val *v, struct lb_agg_aggregator *o)
{
	const uint8_t *p = v->mv_data;

	if (k->mv_size != LB_PK_BYTES || v->mv_size != AGG_VAL)
		return false;
	memcpy(o->key, k->mv_data, LB_PK_BYTES);
	memcpy(o->region, p, LB_KEC_LEN);
	o->region[LB_KEC_LEN] = '\0';
	o->revoked = p[LB_KEC_LEN] != 0;
	o->applied = agg_be64_get(p + LB_KEC_LEN + 1);
	return lb_region_level(o->region) == LB_REGION_KECAMATAN;
}

static int agg_put(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_aggregator *o)
{
	uint8_t val[AGG_VAL];
	MDB_val k = {LB_PK_BYTES, (void *)o->key}, v = {AGG_VAL, val};

	memcpy(val, o->region, LB_KEC_LEN);
	val[LB_KEC_LEN] = o->revoked;
	agg_be64_put(val + LB_KEC_LEN + 1, o->applied);
	return mdb_put(txn, a->aggs, &k, &v, 0);
}

/* The aggregator key inside txn: LB_OK, LB_EUNKNOWN_ORIGIN (with how to
 * enrol it), LB_ECORRUPT, LB_ESTORE. */
static lb_err agg_get(struct lb_agg *a, MDB_txn *txn, const uint8_t key[LB_PK_BYTES],
                      struct lb_agg_aggregator *o, struct lb_diag *d)
{
	MDB_val k = {LB_PK_BYTES, (void *)key}, v;
	char hx[2 * LB_PK_BYTES + 1];
	int rc;

	memset(o, 0, sizeof *o);
	lb_hex(hx, key, LB_PK_BYTES);
	if (!a->have_tree || (rc = mdb_get(txn, a->aggs, &k, &v)) == MDB_NOTFOUND)
		return lb_fail(d, LB_EUNKNOWN_ORIGIN,
		               "key %.16s... is not enrolled here as an aggregator (the office "
		               "enrols it with: lumbung-agg enroll-aggregator -d DIR --region "
		               "PP.KK.CC --key %s)",
		               hx, hx);
	if (rc)
		return lb_mdb_fail(d, rc, "reading the aggregators");
	if (!agg_decode(&k, &v, o))
		return lb_fail(d, LB_ECORRUPT, "the enrolment of aggregator %.16s... is damaged", hx);
	return LB_OK;
}

/* The kecamatan that code names, strictly inside region. */
static bool kecamatan_inside(const char *region, const char *code)
{
	char probe[LB_VILLAGE_LEN + 1];

	if (lb_region_level(code) != LB_REGION_KECAMATAN ||
	    lb_region_level(region) != LB_REGION_KABUPATEN)
		return false;
	snprintf(probe, sizeof probe, "%.8s.0000", code);
	return lb_region_contains(region, probe);
}

/* One write transaction running fn; LB_OK or fn's / LMDB's error. */
typedef lb_err (*tree_fn)(struct lb_agg *a, MDB_txn *txn, void *ctx, struct lb_diag *d);
static lb_err write_txn(struct lb_agg *a, tree_fn fn, void *ctx, const char *what,
                        struct lb_diag *d)
{
	for (int tries = 0;; tries++) {
		size_t seen = agg_map_size(a);
		MDB_txn *txn;
		lb_err e;
		int rc;

		if ((rc = agg_txn_begin(a, 0, &txn)))
			return lb_mdb_fail(d, rc, what);
		if ((e = fn(a, txn, ctx, d))) {
			agg_txn_abort(a, txn);
			return e;
		}
		rc = agg_txn_commit(a, txn);
		if (rc == MDB_MAP_FULL && tries < 4 && !agg_grow_map(a, seen))
			continue;
		return rc ? lb_mdb_fail_env(d, a->env, rc, what) : LB_OK;
	}
}

struct agg_ctx {
	const char *region;
	const uint8_t *key;
	bool revoke;
};

static lb_err enroll_agg_fn(struct lb_agg *a, MDB_txn *txn, void *ctx, struct lb_diag *d)
{
	struct agg_ctx *x = ctx;
	struct lb_agg_aggregator o, other;
	char hx[17];
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e;
	int rc;

	lb_hex(hx, x->key, 8);
	e = agg_get(a, txn, x->key, &o, d);
	if (x->revoke) {
		if (e)
			return e;
		o.revoked = true;
		return (rc = agg_put(a, txn, &o)) ? lb_mdb_fail(d, rc, "revoking the aggregator")
		                                  : LB_OK;
	}
	if (e && e != LB_EUNKNOWN_ORIGIN)
		return e;
	if (!e && strcmp(o.region, x->region))
		return lb_fail(d, LB_EEXIST, "key %s... is already enrolled as the aggregator of %s",
		               hx, o.region);
	if ((rc = mdb_cursor_open(txn, a->aggs, &c)))
		return lb_mdb_fail(d, rc, "reading the aggregators");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if (agg_decode(&k, &v, &other) && !other.revoked && !strcmp(other.region, x->region) &&
		    memcmp(other.key, x->key, LB_PK_BYTES))
			break;
	mdb_cursor_close(c);
	if (rc == 0) {
		char ohx[2 * LB_PK_BYTES + 1];
		lb_hex(ohx, other.key, LB_PK_BYTES);
		return lb_fail(d, LB_EEXIST, "kecamatan %s already has an active aggregator, %s; "
		               "revoke it first (lumbung-agg revoke-aggregator --key %s)",
		               x->region, ohx, ohx);
	}
	if (rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the aggregators");
	if (e) { /* new */
		memcpy(o.key, x->key, LB_PK_BYTES);
		memcpy(o.region, x->region, LB_KEC_LEN + 1);
		o.applied = 0;
	}
	o.revoked = false;
	return (rc = agg_put(a, txn, &o)) ? lb_mdb_fail(d, rc, "enrolling the aggregator") : LB_OK;
}

lb_err lb_agg_enroll_aggregator(struct lb_agg *a, const char *region,
                                const uint8_t key[LB_PK_BYTES], struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	if (a->read_only || !a->have_tree)
		return agg_refuse_read_only("enroll-aggregator", d);
	if (!region || lb_region_level(region) != LB_REGION_KECAMATAN)
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a kecamatan code (PP.KK.CC)",
		               lb_escape(esc, region ? region : "", region ? strlen(region) : 0));
	if (!kecamatan_inside(a->region, region))
		return lb_fail(d, LB_EINVAL, "kecamatan %s is not inside this aggregator's region %s "
		               "(aggregators are enrolled at a kabupaten for its kecamatan)",
		               region, a->region);
	if (!memcmp(key, a->key.pk, LB_PK_BYTES))
		return lb_fail(d, LB_EINVAL, "that is this aggregator's own key");
	return write_txn(a, enroll_agg_fn, &(struct agg_ctx){region, key, false},
	                 "enrolling the aggregator", d);
}

lb_err lb_agg_revoke_aggregator(struct lb_agg *a, const uint8_t key[LB_PK_BYTES],
                                struct lb_diag *d)
{
	if (a->read_only || !a->have_tree)
		return agg_refuse_read_only("revoke-aggregator", d);
	return write_txn(a, enroll_agg_fn, &(struct agg_ctx){NULL, key, true},
	                 "revoking the aggregator", d);
}

lb_err lb_agg_aggregator(struct lb_agg *a, const uint8_t key[LB_PK_BYTES],
                         struct lb_agg_aggregator *o, struct lb_diag *d)
{
	MDB_txn *txn;
	lb_err e;
	int rc;

	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the aggregators");
	e = agg_get(a, txn, key, o, d);
	agg_txn_abort(a, txn);
	return e;
}

lb_err lb_agg_aggregators(struct lb_agg *a, lb_agg_aggregator_cb cb, void *ctx,
                          struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e;
	int rc;

	if (!a->have_tree)
		return LB_OK;
	if ((e = agg_read_cursor(a, a->aggs, &txn, &c, "reading the aggregators", d)))
		return e;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_agg_aggregator o;
		if (!agg_decode(&k, &v, &o)) {
			e = lb_fail(d, LB_ECORRUPT, "an aggregator's enrolment is damaged");
			break;
		}
		if (cb(ctx, &o))
			break;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the aggregators");
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}

/* ---- routes ------------------------------------------------------------ */

int agg_route_put(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                  const char *village, const uint8_t *relay, uint64_t received_ms,
                  uint64_t head_ms)
{
	struct lb_agg_aggregator o;
	uint8_t val[ROUTE_VAL];
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v = {ROUTE_VAL, val};

	if (!a->have_tree)
		return 0;
	memset(val, 0, LB_PK_BYTES);
	/* the header is trusted only to show the route, and only for an
	 * aggregator enrolled here for the village's kecamatan */
	if (relay && agg_get(a, txn, relay, &o, NULL) == LB_OK && !o.revoked &&
	    lb_region_contains(o.region, village))
		memcpy(val, relay, LB_PK_BYTES);
	agg_be64_put(val + LB_PK_BYTES, received_ms);
	agg_be64_put(val + LB_PK_BYTES + 8, head_ms);
	return mdb_put(txn, a->routes, &k, &v, 0);
}

lb_err lb_agg_route(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_agg_route *r,
                    struct lb_diag *d)
{
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v;
	MDB_txn *txn;
	int rc;

	memset(r, 0, sizeof *r);
	if (!a->have_tree)
		return LB_OK;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the routes");
	if ((rc = mdb_get(txn, a->routes, &k, &v)) == 0 && v.mv_size == ROUTE_VAL) {
		const uint8_t *p = v.mv_data;
		r->known = true;
		r->via = memcmp(p, zeros, LB_PK_BYTES) != 0;
		memcpy(r->via_key, p, LB_PK_BYTES);
		r->received_ms = agg_be64_get(p + LB_PK_BYTES);
		r->head_ms = agg_be64_get(p + LB_PK_BYTES + 8);
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_get(txn, a->enrolby, &k, &v);
	if (rc == 0 && v.mv_size == LB_PK_BYTES) {
		r->by_agg = true;
		memcpy(r->by_key, v.mv_data, LB_PK_BYTES);
	}
	agg_txn_abort(a, txn);
	if (rc && rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the routes");
	return LB_OK;
}

/* ---- statements: applying ---------------------------------------------- */

/* The body {statements: [bin...], v: 1}, decoded into at most
 * LB_STMT_BATCH_MAX opened statements (borrowed nothing). */
struct batch {
	size_t n;
	struct lb_statement *st;
};

static lb_err batch_decode(struct batch *b, const uint8_t *expect, const void *body, size_t len,
                           struct lb_diag *d)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o, k;
	bool have_st = false, have_v = false;
	lb_err e;

	memset(b, 0, sizeof *b);
	lb_mp_rd_init(&r, body, len);
	if ((e = lb_mp_next(&r, &o, d)))
		return e;
	if (o.kind != LB_MP_MAP || o.len != 2)
		return lb_fail(d, LB_EMALFORMED, "a statements batch is a map {statements, v}");
	for (uint32_t i = 0; i < 2; i++) {
		if ((e = lb_mp_next(&r, &k, d)))
			return e;
		if (k.kind == LB_MP_STR && k.len == 1 && k.s[0] == 'v' && !have_v && have_st) {
			uint64_t v;
			if ((e = lb_mp_read_uint(&r, &v, "batch version", d)))
				return e;
			if (v != 1)
				return lb_fail(d, LB_EMALFORMED, "statements batch version %llu (this build "
				               "reads 1)", (unsigned long long)v);
			have_v = true;
		} else if (k.kind == LB_MP_STR && k.len == 10 && !memcmp(k.s, "statements", 10) &&
		           !have_st) {
			if ((e = lb_mp_next(&r, &o, d)))
				return e;
			if (o.kind != LB_MP_ARRAY)
				return lb_fail(d, LB_EMALFORMED, "batch statements is not an array");
			if (o.len > LB_STMT_BATCH_MAX)
				return lb_fail(d, LB_ETOOBIG, "%u statements in one batch (at most %d)",
				               o.len, LB_STMT_BATCH_MAX);
			if (o.len && !(b->st = calloc(o.len, sizeof *b->st)))
				return lb_fail(d, LB_ENOMEM, "out of memory");
			for (uint32_t j = 0; j < o.len; j++) {
				struct lb_mp_obj s;
				if ((e = lb_mp_next(&r, &s, d)))
					return e;
				if (s.kind != LB_MP_BIN)
					return lb_fail(d, LB_EMALFORMED, "batch statement %u is not a bin", j);
				if ((e = lb_statement_open(&b->st[j], s.s, s.len,
				                           j ? b->st[0].signer : expect, d))) {
					lb_diag_prefix(d, "batch statement %u", j);
					return e;
				}
				if (j && b->st[j].n != b->st[j - 1].n + 1)
					return lb_fail(d, LB_EMALFORMED, "batch statement %u has n %llu after "
					               "%llu: a batch holds consecutive statements", j,
					               (unsigned long long)b->st[j].n,
					               (unsigned long long)b->st[j - 1].n);
				b->n++;
			}
			have_st = true;
		} else {
			return lb_fail(d, LB_EMALFORMED, "a statements batch is the canonical map "
			               "{statements, v}");
		}
	}
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "%zu trailing bytes after the statements batch",
		               lb_mp_rd_left(&r));
	return LB_OK;
}

static bool refused_add(struct lb_agg_stmt_result *r, uint64_t n, lb_err code, const char *msg)
{
	struct lb_agg_stmt_refusal *p = realloc(r->refused, (r->nrefused + 1) * sizeof *p);

	if (!p)
		return false;
	r->refused = p;
	p += r->nrefused++;
	p->n = n;
	p->code = code;
	snprintf(p->message, sizeof p->message, "%s", msg);
	return true;
}

struct apply_ctx {
	const struct batch *b;
	struct lb_agg_stmt_result *r;
};

static lb_err apply_fn(struct lb_agg *a, MDB_txn *txn, void *ctx, struct lb_diag *d)
{
	struct apply_ctx *x = ctx;
	const struct batch *b = x->b;
	struct lb_agg_stmt_result *r = x->r;
	struct lb_agg_aggregator o;
	lb_err e;
	int rc;

	/* a retry after a full map starts again from the stored state */
	r->seq = 0;
	r->applied = r->old = r->nrefused = 0;
	if ((e = agg_get(a, txn, b->st[0].signer, &o, d)))
		return e;
	r->seq = o.applied;
	if (o.revoked)
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "aggregator %s's key was revoked here", o.region);
	for (size_t i = 0; i < b->n; i++) {
		const struct lb_statement *st = &b->st[i];
		struct lb_diag sd = {0};
		char hx[17];

		if (st->n <= o.applied) {
			r->old++;
			continue;
		}
		if (st->n != o.applied + 1)
			return lb_fail(d, LB_EGAP, "statement %llu does not follow %llu, the last applied "
			               "here from aggregator %s; send from %llu",
			               (unsigned long long)st->n, (unsigned long long)o.applied, o.region,
			               (unsigned long long)o.applied + 1);
		lb_hex(hx, st->origin, 8);
		if (!lb_region_contains(o.region, st->village))
			e = lb_fail(&sd, LB_EWRONG_VILLAGE, "village %s is outside kecamatan %s, the "
			            "region of the aggregator that signed statement %llu",
			            st->village, o.region, (unsigned long long)st->n);
		else if (st->action == LB_STMT_SUCCEED)
			/* applied as our own succession, continuing the old key where
			 * the signer says its chain ends (agg/succeed.c) */
			e = agg_succeed_in(a, txn, st->village, st->succ.old_key, st->succ.new_key,
			                   st->succ.seq, st->succ.hash, st->signer, NULL, &sd);
		else if (st->action == LB_STMT_ENROL)
			e = agg_enroll_in(a, txn, st->village, st->origin, st->signer, &sd);
		else
			e = agg_revoke_in(a, txn, st->origin, st->village, st->signer, &sd);
		if (e && e != LB_EWRONG_VILLAGE && e != LB_EEXIST && e != LB_EUNKNOWN_ORIGIN &&
		    e != LB_EINVAL) {
			*d = sd;
			return e; /* the store failed: nothing of the batch stays */
		}
		if (e) {
			char msg[LB_DIAG_MAX];
			snprintf(msg, sizeof msg, "statement %llu (%s %s... for %s): %.400s",
			         (unsigned long long)st->n, lb_statement_action_str(st->action), hx,
			         st->village, sd.msg);
			if (!refused_add(r, st->n, e, msg))
				return lb_fail(d, LB_ENOMEM, "out of memory");
		} else {
			r->applied++;
		}
		o.applied = st->n;
	}
	if ((rc = agg_put(a, txn, &o)))
		return lb_mdb_fail(d, rc, "storing the aggregator's position");
	r->seq = o.applied;
	return LB_OK;
}

lb_err lb_agg_apply_statements(struct lb_agg *a, const uint8_t *expect, const void *body,
                               size_t len, struct lb_agg_stmt_result *r, struct lb_diag *d)
{
	struct batch b;
	lb_err e;

	memset(r, 0, sizeof *r);
	if (a->read_only || !a->have_tree)
		return agg_refuse_read_only("applying statements", d);
	if (!(e = batch_decode(&b, expect, body, len, d))) {
		if (!b.n) {
			struct lb_agg_aggregator o;
			/* nothing to apply: say where the signer (if named) stands */
			if (expect && !(e = lb_agg_aggregator(a, expect, &o, d)))
				r->seq = o.applied;
		} else {
			e = write_txn(a, apply_fn, &(struct apply_ctx){&b, r}, "applying statements", d);
		}
	}
	free(b.st);
	return e;
}

/* ---- statements: our own, and sending them ----------------------------- */

lb_err lb_agg_statements(struct lb_agg *a, uint64_t from, size_t max, lb_agg_stmt_cb cb, void *ctx,
                         uint64_t *last, struct lb_diag *d)
{
	uint8_t nk[8];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	size_t got = 0;
	uint64_t hi = 0;
	lb_err e;
	int rc;

	if (last)
		*last = 0;
	if (!a->have_tree)
		return LB_OK;
	if ((e = agg_read_cursor(a, a->stmts, &txn, &c, "reading the statements", d)))
		return e;
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) == 0 && k.mv_size == 8)
		hi = agg_be64_get(k.mv_data);
	agg_be64_put(nk, from);
	k = (MDB_val){8, nk};
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && got < max;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), got++)
		if (k.mv_size != 8 || cb(ctx, agg_be64_get(k.mv_data), v.mv_data, v.mv_size))
			break;
	if (rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the statements");
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	if (last)
		*last = hi;
	return e;
}

struct collect {
	struct lb_mp_buf items; /* the bins, encoded */
	uint32_t n;
	uint64_t first, next;
	bool broken;
};

static int collect_cb(void *ctx, uint64_t n, const uint8_t *s, size_t len)
{
	struct collect *c = ctx;

	if (n != c->next) { /* our own log has a hole: send up to it */
		c->broken = true;
		return 1;
	}
	if (!c->n)
		c->first = n;
	lb_mp_put_bin(&c->items, s, len);
	c->n++;
	c->next = n + 1;
	return 0;
}

/* A reply map's "seq" (and whether it had one). */
static bool reply_seq(const uint8_t *p, size_t len, uint64_t *seq)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o, k;

	lb_mp_rd_init(&r, p, len);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_MAP)
		return false;
	for (uint32_t i = 0; i < o.len; i++) {
		if (lb_mp_next(&r, &k, NULL) || k.kind != LB_MP_STR)
			return false;
		if (k.len == 3 && !memcmp(k.s, "seq", 3))
			return lb_mp_read_uint(&r, seq, "seq", NULL) == LB_OK;
		if (lb_mp_skip(&r, false, NULL))
			return false;
	}
	return false;
}

lb_err lb_agg_statements_batch(struct lb_agg *a, uint64_t from, struct lb_mp_buf *body,
                               size_t *n, struct lb_diag *d)
{
	struct collect c = {.next = from};
	lb_err e;

	*n = 0;
	lb_mp_buf_reset(body);
	lb_mp_buf_init(&c.items);
	if ((e = lb_agg_statements(a, from, LB_STMT_BATCH_MAX, collect_cb, &c, NULL, d))) {
		lb_mp_buf_free(&c.items);
		return e;
	}
	if (c.n) {
		lb_mp_put_map(body, 2);
		lb_mp_put_cstr(body, "statements");
		lb_mp_put_array(body, c.n);
		lb_mp_put_raw(body, c.items.sb.data, c.items.sb.size);
		lb_mp_put_cstr(body, "v");
		lb_mp_put_uint(body, 1);
	}
	e = body->oom || c.items.oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
	lb_mp_buf_free(&c.items);
	if (!e)
		*n = c.n;
	return e;
}

lb_err lb_agg_send_statements(struct lb_agg *a, struct lb_pusher *p, uint64_t *sent,
                              struct lb_diag *d)
{
	char path[64 + 2 * LB_PK_BYTES];
	const uint8_t *reply;
	size_t rlen;
	uint64_t have = 0, last, start;
	long status;
	lb_err e;

	*sent = 0;
	if ((e = lb_agg_statements(a, 1, 0, NULL, NULL, &last, d)))
		return e;
	if (!last)
		return LB_OK; /* nothing ever enrolled here: nothing to ask */
	memcpy(path, "/v1/aggregators/", 16);
	lb_hex(path + 16, a->key.pk, LB_PK_BYTES);
	if ((e = lb_pusher_call(p, path, NULL, 0, &status, &reply, &rlen, d)))
		return e;
	if (status != 200)
		return lb_push_refusal(status, reply, rlen, "asking for our statements' position", d);
	if (!reply_seq(reply, rlen, &have))
		return lb_fail(d, LB_EREFUSED, "the upstream's answer about our statements has no seq");
	start = have;
	/* the POSTs name us, so the upstream can refuse a stranger before
	 * reading the body */
	if (have < last && (e = lb_pusher_origin(p, a->key.pk, d)))
		return e;
	for (int round = 0; have < last; round++) {
		struct lb_mp_buf body;
		size_t got;
		uint64_t now;

		if (round == SEND_ROUNDS)
			return lb_fail(d, LB_EREFUSED, "the upstream does not take our statements "
			               "(still at %llu of %llu)", (unsigned long long)have,
			               (unsigned long long)last);
		lb_mp_buf_init(&body);
		if ((e = lb_agg_statements_batch(a, have + 1, &body, &got, d))) {
			lb_mp_buf_free(&body);
			return e;
		}
		if (!got) {
			lb_mp_buf_free(&body);
			return lb_fail(d, LB_ECORRUPT, "our statement %llu is missing",
			               (unsigned long long)have + 1);
		}
		e = lb_pusher_call(p, "/v1/statements", body.sb.data, body.sb.size, &status, &reply,
		                   &rlen, d);
		lb_mp_buf_free(&body);
		if (e)
			return e;
		if (status == 409 && reply_seq(reply, rlen, &now) && now < have) {
			have = now; /* it lost some (restored from a backup): send from there */
			continue;
		}
		if (status != 200)
			return lb_push_refusal(status, reply, rlen, "sending our statements", d);
		if (!reply_seq(reply, rlen, &now) || now <= have || now > last)
			return lb_fail(d, LB_EREFUSED, "the upstream's answer to our statements says "
			               "nothing we can use");
		have = now;
		*sent = have - start;
	}
	*sent = have > start ? have - start : 0;
	return LB_OK;
}

/* ---- HTTP -------------------------------------------------------------- */

/* {code, message[, seq]} (canonical: keys sorted). */
static void error_map(struct lb_mp_buf *out, lb_err e, const char *msg, const uint64_t *seq)
{
	char esc[4 * LB_DIAG_MAX];

	lb_escape_buf(esc, sizeof esc, msg, strlen(msg));
	lb_mp_put_map(out, seq ? 3 : 2);
	lb_mp_put_cstr(out, "code");
	lb_mp_put_cstr(out, lb_errname(e));
	lb_mp_put_cstr(out, "message");
	lb_mp_put_cstr(out, esc);
	if (seq) {
		lb_mp_put_cstr(out, "seq");
		lb_mp_put_uint(out, *seq);
	}
}

static unsigned status_of(lb_err e)
{
	switch (e) {
	case LB_EUNKNOWN_ORIGIN:
	case LB_EWRONG_VILLAGE:
	case LB_ESIG:
		return 403;
	case LB_EGAP:
		return 409;
	case LB_ETOOBIG:
		return 413;
	case LB_EMALFORMED:
	case LB_EINVAL:
		return 400;
	default:
		return 500;
	}
}

static void logline(lb_agg_tree_log log, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logline(lb_agg_tree_log log, void *ctx, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	if (!log)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	log(ctx, raw);
}

unsigned lb_agg_tree_get(struct lb_agg *a, const char *hex, struct lb_mp_buf *out,
                         lb_agg_tree_log log, void *ctx)
{
	struct lb_agg_aggregator o;
	uint8_t key[LB_PK_BYTES];
	struct lb_diag d = {0};
	lb_err e;

	lb_mp_buf_reset(out);
	if (lb_unhex(key, LB_PK_BYTES, hex)) {
		error_map(out, LB_EMALFORMED, "an aggregator key is 64 hex digits", NULL);
		return 400;
	}
	if (!(e = lb_agg_aggregator(a, key, &o, &d)) && o.revoked)
		e = lb_fail(&d, LB_EUNKNOWN_ORIGIN, "aggregator %s's key was revoked here", o.region);
	if (e) {
		logline(log, ctx, "GET aggregator %.16s: refused (%s): %s", hex, lb_errname(e),
		        lb_diag_msg(&d, e));
		error_map(out, e, lb_diag_msg(&d, e), NULL);
		return status_of(e);
	}
	lb_mp_put_map(out, 2);
	lb_mp_put_cstr(out, "region");
	lb_mp_put_cstr(out, o.region);
	lb_mp_put_cstr(out, "seq");
	lb_mp_put_uint(out, o.applied);
	return 200;
}

lb_err lb_agg_tree_admit(struct lb_agg *a, const char *header, uint8_t expect[LB_PK_BYTES],
                         bool *has, struct lb_diag *d)
{
	struct lb_agg_aggregator o;

	*has = false;
	if (!header)
		return LB_OK;
	if (lb_unhex(expect, LB_PK_BYTES, header))
		return lb_fail(d, LB_EMALFORMED, "X-Lumbung-Origin must be 64 hex digits");
	if (lb_agg_aggregator(a, expect, &o, NULL))
		return LB_OK; /* not an aggregator's key: the statements speak for themselves */
	if (o.revoked)
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "aggregator %s's key was revoked here", o.region);
	*has = true;
	return LB_OK;
}

unsigned lb_agg_tree_post(struct lb_agg *a, const uint8_t *expect, const void *body, size_t len,
                          struct lb_mp_buf *out, lb_agg_tree_log log, void *ctx)
{
	struct lb_agg_stmt_result r;
	struct lb_diag d = {0};
	lb_err e;

	lb_mp_buf_reset(out);
	e = lb_agg_apply_statements(a, expect, body, len, &r, &d);
	if (e) {
		logline(log, ctx, "POST statements (%zu bytes): refused (%s): %s", len, lb_errname(e),
		        lb_diag_msg(&d, e));
		error_map(out, e, lb_diag_msg(&d, e), e == LB_EGAP ? &r.seq : NULL);
		free(r.refused);
		return status_of(e);
	}
	for (size_t i = 0; i < r.nrefused; i++)
		logline(log, ctx, "POST statements: statement refused (%s): %s",
		        lb_errname(r.refused[i].code), r.refused[i].message);
	logline(log, ctx, "POST statements (%zu bytes): %zu applied, %zu refused, %zu already held; "
	        "now at %llu", len, r.applied, r.nrefused, r.old, (unsigned long long)r.seq);
	lb_mp_put_map(out, 2);
	lb_mp_put_cstr(out, "refused");
	lb_mp_put_array(out, (uint32_t)r.nrefused);
	for (size_t i = 0; i < r.nrefused; i++) {
		char esc[4 * LB_DIAG_MAX];
		lb_escape_buf(esc, sizeof esc, r.refused[i].message, strlen(r.refused[i].message));
		lb_mp_put_map(out, 3);
		lb_mp_put_cstr(out, "code");
		lb_mp_put_cstr(out, lb_errname(r.refused[i].code));
		lb_mp_put_cstr(out, "message");
		lb_mp_put_cstr(out, esc);
		lb_mp_put_cstr(out, "n");
		lb_mp_put_uint(out, r.refused[i].n);
	}
	lb_mp_put_cstr(out, "seq");
	lb_mp_put_uint(out, r.seq);
	free(r.refused);
	return 200;
}
