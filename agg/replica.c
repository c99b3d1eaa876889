/*
 * replica.c — a replica as a log source, and the receipts upstream
 * aggregators gave for it (relay.h).
 */
#include "relay.h"

#include <stdlib.h>
#include <string.h>

#include "../node/lmdb_err.h"
#include "../node/span.h"
#include "../sync/receipt.h"
#include "store_int.h"

#define UPKEY_LEN (2 * LB_PK_BYTES)

struct lb_agg_src {
	struct lb_agg *a;
	uint8_t origin[LB_PK_BYTES];
	uint64_t base; /* a successor's: its replica starts at base + 1 */
};

lb_err agg_relay_open(struct lb_agg *a, struct lb_diag *d)
{
	unsigned f = a->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	if ((rc = agg_txn_begin(a, a->read_only ? MDB_RDONLY : 0, &txn)))
		return lb_mdb_fail(d, rc, "opening the relay databases");
	if ((rc = mdb_dbi_open(txn, "uprcpt", f, &a->uprcpt))) {
		agg_txn_abort(a, txn);
		/* a read-only handle on a store made before relaying: none */
		return rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "opening the relay databases");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the relay databases");
	a->have_relay = true;
	return LB_OK;
}

static lb_err src_info(void *ctx, struct lb_src_info *i, struct lb_diag *d)
{
	struct lb_agg_src *s = ctx;
	struct lb_agg_origin o;
	char name[LB_AGG_NAME_MAX + 1];
	lb_err e;

	if ((e = lb_agg_origin(s->a, s->origin, &o, d)) ||
	    (e = lb_agg_village_name(s->a, o.village, name, NULL, d)))
		return e;
	memcpy(i->village, o.village, sizeof i->village);
	memcpy(i->origin, s->origin, LB_PK_BYTES);
	i->seq = o.seq;
	/* the directory allows longer names than a node: send none then */
	if (strlen(name) < sizeof i->name)
		memcpy(i->name, name, strlen(name) + 1);
	else
		i->name[0] = '\0';
	return LB_OK;
}

/* A read transaction with a cursor on dbi positioned at origin's seq (or
 * the first key after it). */
static int seek(struct lb_agg_src *s, MDB_txn *txn, MDB_dbi dbi, uint64_t seq, MDB_cursor **c,
                MDB_val *k, MDB_val *v, uint8_t key[RKEY_LEN])
{
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, c)))
		return rc;
	agg_rkey(key, s->origin, seq);
	*k = (MDB_val){RKEY_LEN, key};
	rc = mdb_cursor_get(*c, k, v, MDB_SET_RANGE);
	if (rc == 0 && !agg_key_of(k, s->origin))
		rc = MDB_NOTFOUND;
	return rc;
}

static uint64_t seq_of(const MDB_val *k)
{
	return agg_be64_get((const uint8_t *)k->mv_data + LB_PK_BYTES);
}

static lb_err src_span(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
                       bool *over, struct lb_diag *d)
{
	struct lb_agg_src *s = ctx;
	struct lb_agg *a = s->a;
	uint8_t rkey[RKEY_LEN], hkey[RKEY_LEN];
	MDB_cursor *rc_ = NULL, *hc = NULL;
	MDB_val rk, rv, hk, hv;
	MDB_txn *txn;
	uint64_t want = from;
	struct lb_span sp;
	lb_err e = LB_OK;
	int rc, hrc;

	*to = 0;
	*bytes = 0;
	*over = false;
	lb_span_init(&sp, max_bytes);
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the replica");
	rc = seek(s, txn, a->replica, from, &rc_, &rk, &rv, rkey);
	if (rc == 0 && seq_of(&rk) != from)
		rc = MDB_NOTFOUND;
	if (rc) {
		e = rc == MDB_NOTFOUND ? lb_fail(d, LB_ENOTFOUND, "entry %llu is past the replica's tip",
		                                 (unsigned long long)from)
		                       : lb_mdb_fail(d, rc, "reading the replica");
		goto out;
	}
	hrc = seek(s, txn, a->heads, from, &hc, &hk, &hv, hkey);
	/* walk the entries up to each head we hold, cutting by the one rule
	 * (node/span.h); every entry below a held head must be there */
	for (; hrc == 0; hrc = mdb_cursor_get(hc, &hk, &hv, MDB_NEXT)) {
		uint64_t h;
		if (!agg_key_of(&hk, s->origin))
			break;
		h = seq_of(&hk);
		for (; want <= h; want++) {
			if (rc || !agg_key_of(&rk, s->origin) || seq_of(&rk) != want) {
				e = lb_fail(d, LB_ECORRUPT, "the replica lacks entry %llu below a held head",
				            (unsigned long long)want);
				goto out;
			}
			/* the entry's stored size (its value, not its key) */
			if (!lb_span_add(&sp, want, rv.mv_size, want == h))
				goto cut;
			rc = mdb_cursor_get(rc_, &rk, &rv, MDB_NEXT);
		}
	}
	if (hrc && hrc != MDB_NOTFOUND) {
		e = lb_mdb_fail(d, hrc, "reading the replica's heads");
		goto out;
	}
cut:
	*to = sp.to;
	*bytes = sp.bytes;
	*over = sp.over;
	if (!*to)
		e = lb_fail(d, LB_ENOTFOUND, "no signed head held at or after entry %llu",
		            (unsigned long long)from);
out:
	if (rc_)
		mdb_cursor_close(rc_);
	if (hc)
		mdb_cursor_close(hc);
	agg_txn_abort(a, txn);
	return e;
}

static lb_err src_entries(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
                          struct lb_diag *d)
{
	struct lb_agg_src *s = ctx;
	uint8_t key[RKEY_LEN];
	MDB_cursor *c = NULL;
	MDB_val k, v;
	MDB_txn *txn;
	uint64_t want = from;
	lb_err e = LB_OK;
	int rc;

	if ((rc = agg_txn_begin(s->a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the replica");
	for (rc = seek(s, txn, s->a->replica, from, &c, &k, &v, key); rc == 0 && want <= to;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT), want++) {
		if (!agg_key_of(&k, s->origin) || seq_of(&k) != want)
			break;
		if (cb(cbctx, want, v.mv_data, v.mv_size))
			goto out;
	}
	if (rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the replica");
	else if (want <= to)
		e = lb_fail(d, LB_ENOTFOUND, "the replica holds no entry %llu",
		            (unsigned long long)want);
out:
	if (c)
		mdb_cursor_close(c);
	agg_txn_abort(s->a, txn);
	return e;
}

/* A malloc'd copy of the value under origin || seq in dbi. */
static lb_err get_copy(struct lb_agg_src *s, MDB_dbi dbi, uint64_t seq, const char *what,
                       uint8_t **out, size_t *len, struct lb_diag *d)
{
	uint8_t key[RKEY_LEN];
	MDB_val k = {RKEY_LEN, key}, v;
	MDB_txn *txn;
	lb_err e = LB_OK;
	int rc;

	*out = NULL;
	agg_rkey(key, s->origin, seq);
	if ((rc = agg_txn_begin(s->a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the replica");
	if ((rc = mdb_get(txn, dbi, &k, &v)))
		e = rc == MDB_NOTFOUND ? lb_fail(d, LB_ENOTFOUND, "no %s held for seq %llu", what,
		                                 (unsigned long long)seq)
		                       : lb_mdb_fail(d, rc, "reading the replica");
	else if (!(*out = malloc(v.mv_size ? v.mv_size : 1)))
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	else {
		memcpy(*out, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	agg_txn_abort(s->a, txn);
	return e;
}

static lb_err src_head(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d)
{
	return get_copy(ctx, ((struct lb_agg_src *)ctx)->a->heads, seq, "signed head", head, len, d);
}

static lb_err src_entry_hash(void *ctx, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                             struct lb_diag *d)
{
	struct lb_agg_src *s = ctx;
	uint8_t *raw;
	size_t len;
	lb_err e;

	if (seq && seq <= s->base) {
		/* a successor's chain below its base is its predecessor's (the
		 * upstream's position for it starts there) */
		struct lb_agg_src pred = *s;
		struct lb_succession sc;
		if ((e = lb_agg_succession(s->a, s->origin, true, &sc, NULL, NULL, d)))
			return e;
		memcpy(pred.origin, sc.old_key, LB_PK_BYTES);
		pred.base = 0;
		return src_entry_hash(&pred, seq, hash, d);
	}
	if ((e = get_copy(ctx, s->a->replica, seq, "entry", &raw, &len, d)))
		return e;
	lb_hash(hash, raw, len);
	free(raw);
	return LB_OK;
}

static void up_key(uint8_t out[UPKEY_LEN], const uint8_t upstream[LB_PK_BYTES],
                   const uint8_t origin[LB_PK_BYTES])
{
	memcpy(out, upstream, LB_PK_BYTES);
	memcpy(out + LB_PK_BYTES, origin, LB_PK_BYTES);
}

static lb_err src_receipt_last(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t *seq,
                               struct lb_diag *d)
{
	struct lb_agg_src *s = ctx;
	uint8_t key[UPKEY_LEN];
	MDB_val k = {UPKEY_LEN, key}, v;
	MDB_txn *txn;
	int rc;

	*seq = 0;
	if (!s->a->have_relay)
		return LB_OK;
	up_key(key, agg, s->origin);
	if ((rc = agg_txn_begin(s->a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the upstream receipts");
	rc = mdb_get(txn, s->a->uprcpt, &k, &v);
	if (rc == 0 && v.mv_size >= 8)
		*seq = agg_be64_get(v.mv_data);
	agg_txn_abort(s->a, txn);
	return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "reading the upstream receipts") : LB_OK;
}

static lb_err src_receipt_put(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t seq,
                              const void *receipt, size_t len, struct lb_diag *d)
{
	struct lb_agg_src *s = ctx;
	struct lb_agg *a = s->a;
	uint8_t key[UPKEY_LEN], *val;
	MDB_val k = {UPKEY_LEN, key}, v;
	MDB_txn *txn;
	size_t seen;
	int rc;

	if (a->read_only || !a->have_relay)
		return agg_refuse_read_only("keeping an upstream receipt", d);
	if (!(val = malloc(8 + len)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	agg_be64_put(val, seq);
	memcpy(val + 8, receipt, len);
	up_key(key, agg, s->origin);
	for (;;) {
		seen = agg_map_size(a);
		if ((rc = agg_txn_begin(a, 0, &txn)))
			break;
		rc = mdb_get(txn, a->uprcpt, &k, &v);
		if (rc == 0 && v.mv_size >= 8 && agg_be64_get(v.mv_data) >= seq) {
			agg_txn_abort(a, txn); /* hold the newest only */
			break;
		}
		v = (MDB_val){8 + len, val};
		if ((rc = mdb_put(txn, a->uprcpt, &k, &v, 0))) {
			agg_txn_abort(a, txn);
		} else {
			rc = agg_txn_commit(a, txn);
		}
		if (rc == MDB_MAP_FULL && !(rc = agg_grow_map(a, seen)))
			continue;
		break;
	}
	free(val);
	return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "keeping an upstream receipt") : LB_OK;
}

static const struct lb_src_ops replica_ops = {
	.info = src_info,
	.span = src_span,
	.entries = src_entries,
	.head = src_head,
	.entry_hash = src_entry_hash,
	.receipt_last = src_receipt_last,
	.receipt_put = src_receipt_put,
};

lb_err lb_agg_replica_src(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES],
                          struct lb_agg_src **out, struct lb_diag *d)
{
	struct lb_agg_origin o;
	lb_err e;

	*out = NULL;
	if ((e = lb_agg_origin(a, origin, &o, d)))
		return e;
	if (!(*out = calloc(1, sizeof **out)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	(*out)->a = a;
	(*out)->base = o.base;
	memcpy((*out)->origin, origin, LB_PK_BYTES);
	return LB_OK;
}

void lb_agg_src_get(struct lb_agg_src *s, struct lb_src *out)
{
	out->ops = &replica_ops;
	out->ctx = s;
}

void lb_agg_src_free(struct lb_agg_src *s)
{
	free(s);
}

lb_err lb_agg_up_receipt(struct lb_agg *a, const uint8_t upstream[LB_PK_BYTES],
                         const uint8_t origin[LB_PK_BYTES], uint64_t *seq, uint8_t **receipt,
                         size_t *len, struct lb_diag *d)
{
	uint8_t key[UPKEY_LEN];
	MDB_val k = {UPKEY_LEN, key}, v;
	MDB_txn *txn;
	lb_err e = LB_OK;
	int rc;

	*receipt = NULL;
	*seq = 0;
	*len = 0;
	if (!a->have_relay)
		return lb_fail(d, LB_ENOTFOUND, "no upstream receipt held");
	up_key(key, upstream, origin);
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the upstream receipts");
	rc = mdb_get(txn, a->uprcpt, &k, &v);
	if (rc == MDB_NOTFOUND || (rc == 0 && v.mv_size < 8))
		e = lb_fail(d, LB_ENOTFOUND, "no upstream receipt held");
	else if (rc)
		e = lb_mdb_fail(d, rc, "reading the upstream receipts");
	else if (!(*receipt = malloc(v.mv_size - 8 + 1)))
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	else {
		*seq = agg_be64_get(v.mv_data);
		*len = v.mv_size - 8;
		memcpy(*receipt, (const uint8_t *)v.mv_data + 8, *len);
	}
	agg_txn_abort(a, txn);
	return e;
}

lb_err lb_agg_up_receipts(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], lb_agg_up_cb cb,
                          void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e;
	int rc;

	if (!a->have_relay)
		return LB_OK;
	/* keys lead with the upstream: few upstreams, so a walk of all of
	 * them is short (one or two per origin) */
	if ((e = agg_read_cursor(a, a->uprcpt, &txn, &c, "reading the upstream receipts", d)))
		return e;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *kp = k.mv_data;
		if (k.mv_size != UPKEY_LEN || v.mv_size < 8 ||
		    memcmp(kp + LB_PK_BYTES, origin, LB_PK_BYTES))
			continue;
		if (cb(ctx, kp, agg_be64_get(v.mv_data), (const uint8_t *)v.mv_data + 8,
		       v.mv_size - 8))
			break;
	}
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "reading the upstream receipts")
	                                : LB_OK;
}

lb_err lb_agg_keep_up_receipt(struct lb_agg *a, const uint8_t upstream[LB_PK_BYTES],
                              const void *receipt, size_t len, struct lb_diag *d)
{
	struct lb_receipt rc;
	struct lb_agg_src *s;
	struct lb_src src;
	lb_err e;

	if ((e = lb_receipt_open(&rc, receipt, len, upstream, d)))
		return e;
	if ((e = lb_agg_replica_src(a, rc.origin, &s, d)))
		return e;
	lb_agg_src_get(s, &src);
	e = lb_src_keep_receipt(&src, upstream, rc.seq, receipt, len, d);
	lb_agg_src_free(s);
	return e;
}
