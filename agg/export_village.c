/*
 * export_village.c — a village's whole chain, across successions, as the
 * log archive a restoring node adopts (lb_agg_export_village, agg.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "../node/archive.h"
#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../schema/text.h"

#define CHAIN_MAX 64 /* keys in one village's chain (successions are rare) */

struct link {
	uint8_t key[LB_PK_BYTES];
	struct lb_agg_origin o;
	struct lb_merkle m;
	uint64_t lo, hi;       /* entries of this key in the chain: lo..hi */
	MDB_val succ;          /* the succession ending it (not the last link) */
	bool ends;             /* succ is set */
};

struct unretired {
	struct lb_agg *a;
	MDB_txn *txn;
	uint8_t *key;
	bool found;
};

static int unretired_cb(void *ctx, const uint8_t key[LB_PK_BYTES], bool revoked)
{
	struct unretired *x = ctx;
	(void)revoked;
	if (agg_succ_get(x->a, x->txn, 'o', key, NULL, NULL, NULL) != LB_ENOTFOUND)
		return 0;
	memcpy(x->key, key, LB_PK_BYTES);
	x->found = true;
	return 1;
}

/* The key that ends village's chain: its active key, else an enrolled key
 * of it that no succession retired.  LB_ENOTFOUND. */
static lb_err chain_end(struct lb_agg *a, MDB_txn *txn, const char *village,
                        uint8_t key[LB_PK_BYTES], struct lb_diag *d)
{
	struct unretired x = {a, txn, key, false};
	lb_err e = agg_active_key(a, txn, village, NULL, key, d);

	if (e != LB_ENOTFOUND)
		return e;
	if ((e = agg_village_keys(a, txn, village, unretired_cb, &x, d)))
		return e;
	return x.found ? LB_OK
	               : lb_fail(d, LB_ENOTFOUND, "no key is enrolled here for village %s", village);
}

/* The chain's links, first key first, into l[0..*n). */
static lb_err chain_links(struct lb_agg *a, MDB_txn *txn, const char *village, struct link *l,
                          size_t *n, struct lb_diag *d)
{
	struct lb_succession s;
	uint8_t cur[LB_PK_BYTES];
	size_t k = 0;
	lb_err e;

	if ((e = chain_end(a, txn, village, cur, d)))
		return e;
	/* walk back from the end, filling from the top of the array */
	for (;;) {
		struct link *x;
		if (k == CHAIN_MAX)
			return lb_fail(d, LB_ECORRUPT, "village %s's chain has more than %d keys",
			               village, CHAIN_MAX);
		x = &l[CHAIN_MAX - 1 - k++];
		memset(x, 0, sizeof *x);
		memcpy(x->key, cur, LB_PK_BYTES);
		if ((e = agg_read_origin(a, txn, cur, &x->o, &x->m, d)))
			return e;
		if (strcmp(x->o.village, village))
			return lb_fail(d, LB_ECORRUPT, "a succession of village %s names a key of %s",
			               village, x->o.village);
		if (!x->o.base)
			break;
		if ((e = agg_succ_get(a, txn, 'n', cur, &s, NULL, d)))
			return e;
		memcpy(cur, s.old_key, LB_PK_BYTES);
	}
	memmove(l, &l[CHAIN_MAX - k], k * sizeof *l);
	*n = k;
	for (size_t i = 0; i < k; i++) {
		l[i].lo = l[i].o.base + 1;
		l[i].hi = l[i].o.seq;
		if (i + 1 < k) {
			if ((e = agg_succ_get(a, txn, 'o', l[i].key, &s, &l[i].succ, d)))
				return e;
			l[i].ends = true;
			/* the next key is not seeded here yet (an upper tier holding
			 * the old key only below the succession's seq): the chain we
			 * can give ends with what we hold of this key */
			if (l[i + 1].o.seq < l[i + 1].o.base) {
				l[i].ends = false;
				*n = i + 1;
				break;
			}
			l[i].hi = s.seq;
		}
	}
	return LB_OK;
}

/* Entries lo..hi of key (from `from` on) with their stored heads, and the
 * link's succession right after head hi. */
static lb_err write_link(struct lb_agg *a, MDB_txn *txn, struct lb_lla_writer *w,
                         const struct link *x, uint64_t from, struct lb_diag *d)
{
	uint8_t key[RKEY_LEN], hkey[RKEY_LEN];
	MDB_cursor *rep = NULL, *heads = NULL;
	MDB_val k = {RKEY_LEN, key}, v, hk = {RKEY_LEN, hkey}, hv;
	uint64_t want = x->lo > from ? x->lo : from;
	lb_err e = LB_OK;
	int rc, hrc;

	if (want > x->hi) /* nothing of this key from `from` on */
		return LB_OK;
	if ((rc = mdb_cursor_open(txn, a->replica, &rep)) ||
	    (rc = mdb_cursor_open(txn, a->heads, &heads))) {
		e = lb_mdb_fail(d, rc, "reading the replica");
		goto out;
	}
	agg_rkey(key, x->key, want);
	agg_rkey(hkey, x->key, want);
	hrc = mdb_cursor_get(heads, &hk, &hv, MDB_SET_RANGE);
	for (rc = mdb_cursor_get(rep, &k, &v, MDB_SET_RANGE); want <= x->hi;
	     rc = mdb_cursor_get(rep, &k, &v, MDB_NEXT), want++) {
		if (rc || !agg_key_of(&k, x->key) ||
		    agg_be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES) != want) {
			e = rc && rc != MDB_NOTFOUND
			        ? lb_mdb_fail(d, rc, "reading the replica")
			        : lb_fail(d, LB_ECORRUPT, "the replica lacks entry %llu",
			                  (unsigned long long)want);
			goto out;
		}
		if ((e = lb_lla_write_entry(w, v.mv_data, v.mv_size, d)))
			goto out;
		if (hrc == 0 && agg_key_of(&hk, x->key) &&
		    agg_be64_get((const uint8_t *)hk.mv_data + LB_PK_BYTES) == want) {
			if ((e = lb_lla_write_head(w, hv.mv_data, hv.mv_size, d)))
				goto out;
			hrc = mdb_cursor_get(heads, &hk, &hv, MDB_NEXT);
		}
	}
out:
	if (heads)
		mdb_cursor_close(heads);
	if (rep)
		mdb_cursor_close(rep);
	return e;
}

lb_err lb_agg_export_village(struct lb_agg *a, const char *village, uint64_t from, FILE *out,
                             struct lb_diag *d)
{
	struct link *l = NULL;
	struct lb_lla_writer w;
	struct lb_lla_header h = {.source = "aggregator"};
	const struct link *last;
	uint8_t *rcpt = NULL;
	size_t n = 0, rlen = 0;
	MDB_txn *txn = NULL;
	lb_err e;
	int mrc;

	if (!village || lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code (PP.KK.CC.DDDD)",
		               village ? village : "");
	if (a->read_only)
		return agg_refuse_read_only("exporting a village's log (its receipt is signed)", d);
	if (!from)
		from = 1;
	lb_lla_writer_init(&w, out);
	if (!(l = calloc(CHAIN_MAX, sizeof *l))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((mrc = agg_txn_begin(a, MDB_RDONLY, &txn))) {
		txn = NULL;
		e = lb_mdb_fail(d, mrc, "reading");
		goto out;
	}
	if ((e = chain_links(a, txn, village, l, &n, d)))
		goto out;
	last = &l[n - 1];
	if (from > last->hi + 1) {
		e = lb_fail(d, LB_EINVAL, "this aggregator holds village %s up to seq %llu; a log from "
		            "seq %llu would be empty", village, (unsigned long long)last->hi,
		            (unsigned long long)from);
		goto out;
	}
	memcpy(h.village, village, LB_VILLAGE_LEN);
	memcpy(h.origin, l[0].key, LB_PK_BYTES);
	h.from = from;
	if ((e = lb_lla_write_header(&w, &h, d)))
		goto out;
	/* successions whose head lies before `from` first, so a reader of a
	 * tail still learns which key signs its heads */
	for (size_t i = 0; i + 1 < n; i++)
		if (l[i].ends && l[i].hi < from &&
		    (e = lb_lla_write_succession(&w, l[i].succ.mv_data, l[i].succ.mv_size, d)))
			goto out;
	for (size_t i = 0; i < n; i++) {
		if ((e = write_link(a, txn, &w, &l[i], from, d)))
			goto out;
		if (i + 1 < n && l[i].ends && l[i].hi >= from &&
		    (e = lb_lla_write_succession(&w, l[i].succ.mv_data, l[i].succ.mv_size, d)))
			goto out;
	}
	/* one fresh receipt for what is held, signed as ingest signs them */
	if (last->hi != last->o.seq) { /* cannot happen: only a non-last link ends below its state */
		e = lb_fail(d, LB_ECORRUPT, "village %s's chain ends below what is held", village);
		goto out;
	}
	if (last->hi && ((e = agg_held_receipt(a, &last->o, &last->m, lb_hlc_wall_ms(), &rcpt, &rlen,
	                                       d)) ||
	                 (e = lb_lla_write_receipt(&w, a->key.pk, rcpt, rlen, d))))
		goto out;
	e = lb_lla_write_trailer(&w, d);
out:
	if (txn)
		agg_txn_abort(a, txn);
	free(rcpt);
	free(l);
	lb_lla_writer_free(&w);
	return e;
}
