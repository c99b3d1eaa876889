/*
 * export.c — a village's replica and the fork evidence as log archives
 * (node/archive.h, docs/FORMAT.md §9), see agg.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "../node/archive.h"
#include "../node/lmdb_err.h"
#include "../schema/text.h"

static lb_err archive_header(struct lb_lla_writer *w, const struct lb_agg_origin *o,
                             struct lb_diag *d)
{
	struct lb_lla_header h = {.source = "aggregator"};

	memcpy(h.village, o->village, sizeof h.village);
	memcpy(h.origin, o->origin, LB_PK_BYTES);
	h.from = o->base + 1; /* a successor's replica starts after its base */
	return lb_lla_write_header(w, &h, d);
}

lb_err lb_agg_walk_log(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES],
                       const struct lb_agg_walk *wk, struct lb_diag *d)
{
	return lb_agg_walk_log_from(a, origin, 1, wk, d);
}

lb_err lb_agg_walk_log_from(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], uint64_t from,
                            const struct lb_agg_walk *wk, struct lb_diag *d)
{
	MDB_txn *txn;
	lb_err e;
	int rc;

	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	e = agg_walk_txn(a, txn, origin, from, wk, d);
	agg_txn_abort(a, txn);
	return e;
}

lb_err agg_walk_txn(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                    uint64_t from, const struct lb_agg_walk *wk, struct lb_diag *d)
{
	struct lb_agg_origin o;
	uint8_t key[RKEY_LEN], hkey[RKEY_LEN];
	MDB_cursor *rep = NULL, *heads = NULL;
	MDB_val k = {RKEY_LEN, key}, v, hk = {RKEY_LEN, hkey}, hv;
	uint64_t seq = 0, hseq = 0, entries = 0;
	lb_err e;
	int rc, hrc;

	if (from < 1)
		from = 1;
	/* a revoked origin's history is walked too: an auditor wants it most */
	if ((e = agg_read_origin(a, txn, origin, &o, NULL, d)) ||
	    (wk->origin && (e = wk->origin(wk->ctx, &o, d))))
		goto out;
	if ((rc = mdb_cursor_open(txn, a->replica, &rep)) ||
	    (rc = mdb_cursor_open(txn, a->heads, &heads))) {
		e = lb_mdb_fail(d, rc, "reading the replica");
		goto out;
	}
	agg_rkey(key, origin, from);
	agg_rkey(hkey, origin, from);
	hrc = mdb_cursor_get(heads, &hk, &hv, MDB_SET_RANGE);
	if (hrc == 0 && !agg_key_of(&hk, origin))
		hrc = MDB_NOTFOUND;
	/* the replica and its heads side by side, both keyed origin || seq */
	for (rc = mdb_cursor_get(rep, &k, &v, MDB_SET_RANGE); rc == 0 && agg_key_of(&k, origin);
	     rc = mdb_cursor_get(rep, &k, &v, MDB_NEXT)) {
		seq = agg_be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
		if (seq > o.seq)
			break; /* cannot happen: entries and state move in one txn */
		entries++;
		if ((e = wk->entry(wk->ctx, seq, v.mv_data, v.mv_size, d))) {
			lb_diag_prefix(d, "seq %llu", (unsigned long long)seq);
			goto out;
		}
		if (hrc != 0)
			continue;
		hseq = agg_be64_get((const uint8_t *)hk.mv_data + LB_PK_BYTES);
		if (hseq < seq) {
			e = lb_fail(d, LB_ECORRUPT, "the stored head at seq %llu covers no replica entry",
			            (unsigned long long)hseq);
			goto out;
		}
		if (hseq != seq)
			continue;
		if ((e = wk->head(wk->ctx, seq, hv.mv_data, hv.mv_size, d))) {
			lb_diag_prefix(d, "seq %llu", (unsigned long long)seq);
			goto out;
		}
		hrc = mdb_cursor_get(heads, &hk, &hv, MDB_NEXT);
		if (hrc == 0 && !agg_key_of(&hk, origin))
			hrc = MDB_NOTFOUND;
	}
	if ((rc && rc != MDB_NOTFOUND) || (hrc && hrc != MDB_NOTFOUND)) {
		e = lb_mdb_fail(d, rc && rc != MDB_NOTFOUND ? rc : hrc, "reading the replica");
		goto out;
	}
	{
		/* the replica holds base+1..seq (base: where a successor's starts) */
		uint64_t first = from > o.base + 1 ? from : o.base + 1;
		if (entries != (o.seq >= first ? o.seq - first + 1 : 0))
			e = lb_fail(d, LB_ECORRUPT, "the replica holds %llu entries for this origin from "
			            "seq %llu, its state says %llu", (unsigned long long)entries,
			            (unsigned long long)first,
			            (unsigned long long)(o.seq >= first ? o.seq - first + 1 : 0));
	}
out:
	if (heads)
		mdb_cursor_close(heads);
	if (rep)
		mdb_cursor_close(rep);
	return e;
}

/* lb_agg_export_log: the walk written as an archive. */
static lb_err lla_origin(void *ctx, const struct lb_agg_origin *o, struct lb_diag *d)
{
	return archive_header(ctx, o, d);
}

static lb_err lla_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                        struct lb_diag *d)
{
	(void)seq;
	return lb_lla_write_entry(ctx, raw, len, d);
}

static lb_err lla_head(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                       struct lb_diag *d)
{
	(void)seq;
	return lb_lla_write_head(ctx, raw, len, d);
}

lb_err lb_agg_export_log(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], FILE *out,
                         struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_agg_walk wk = {lla_origin, lla_entry, lla_head, &w};
	lb_err e;

	lb_lla_writer_init(&w, out);
	if (!(e = lb_agg_walk_log(a, origin, &wk, d)))
		e = lb_lla_write_trailer(&w, d);
	lb_lla_writer_free(&w);
	return e;
}

#define FORK_LIST_MAX 4 /* origins named in the "which one?" message */

/* With no origin given: the one origin holding fork evidence. */
static lb_err forked_origin(struct lb_agg *a, MDB_txn *txn, uint8_t origin[LB_PK_BYTES],
                            struct lb_diag *d)
{
	uint8_t seen[FORK_LIST_MAX][LB_PK_BYTES], last[LB_PK_BYTES];
	size_t n = 0;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, a->forks, &c)))
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != RKEY_LEN)
			continue;
		if (n && !memcmp(k.mv_data, last, LB_PK_BYTES))
			continue; /* keys sort by origin: one origin's forks are one run */
		memcpy(last, k.mv_data, LB_PK_BYTES);
		if (n < FORK_LIST_MAX)
			memcpy(seen[n], last, LB_PK_BYTES);
		n++;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	if (n == 0)
		return lb_fail(d, LB_ENOTFOUND, "this aggregator holds no fork evidence");
	if (n > 1) {
		char msg[LB_DIAG_MAX], hx[2 * LB_PK_BYTES + 1];
		size_t len = (size_t)snprintf(msg, sizeof msg, "fork evidence is held for %zu origins; "
		                              "name one:", n);
		for (size_t i = 0; i < n && i < FORK_LIST_MAX && len < sizeof msg; i++) {
			lb_hex(hx, seen[i], LB_PK_BYTES);
			len += (size_t)snprintf(msg + len, sizeof msg - len, " %s", hx);
		}
		if (n > FORK_LIST_MAX && len < sizeof msg)
			snprintf(msg + len, sizeof msg - len, " and %zu more", n - FORK_LIST_MAX);
		return lb_fail(d, LB_EINVAL, "%s", msg);
	}
	memcpy(origin, seen[0], LB_PK_BYTES);
	return LB_OK;
}

static size_t u32_at(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

const uint8_t *agg_fork_item(const uint8_t **p, size_t *len)
{
	const uint8_t *item = *p + 4;

	*len = u32_at(*p);
	*p = item + *len;
	return item;
}

lb_err agg_fork_parse(const uint8_t *p, size_t n, struct agg_fork *f, struct lb_diag *d)
{
	const uint8_t *end = p + n;

#define TAKE_U32(x)                                                                                \
	do {                                                                                       \
		if (end - p < 4)                                                                   \
			goto damaged;                                                              \
		(x) = u32_at(p);                                                                   \
		p += 4;                                                                            \
	} while (0)

	memset(f, 0, sizeof *f);
	if (n >= 4 && p[0] == 0) { /* evidence kept before entries were */
		size_t olen;
		TAKE_U32(olen);
		if (olen == 0 || olen >= (size_t)(end - p))
			goto damaged;
		f->legacy = true;
		f->head[0] = p;
		f->head_len[0] = olen;
		f->head[1] = p + olen;
		f->head_len[1] = (size_t)(end - p) - olen;
		return LB_OK;
	}
	if (n < 1 || p[0] != FORK_V2)
		goto damaged;
	p++;
	for (int i = 0; i < 2; i++) {
		TAKE_U32(f->head_len[i]);
		if (f->head_len[i] == 0 || f->head_len[i] > (size_t)(end - p))
			goto damaged;
		f->head[i] = p;
		p += f->head_len[i];
	}
	for (unsigned br = 0; br < 2; br++) {
		size_t cnt, len;
		TAKE_U32(cnt);
		f->branch[br].n = (uint32_t)cnt;
		f->branch[br].items = p;
		for (size_t i = 0; i < cnt; i++) {
			TAKE_U32(len);
			if (len == 0 || len > (size_t)(end - p))
				goto damaged;
			p += len;
		}
		f->branch[br].end = p;
	}
	if (p == end)
		return LB_OK;
damaged:
	return lb_fail(d, LB_ECORRUPT, "the stored fork evidence is damaged");
#undef TAKE_U32
}

/* One stored fork evidence (keep_fork) as archive frames. */
static lb_err export_fork(struct lb_lla_writer *w, const uint8_t *p, size_t n, struct lb_diag *d)
{
	struct agg_fork f;
	lb_err e;

	if ((e = agg_fork_parse(p, n, &f, d)) ||
	    (e = lb_lla_write_fork(w, f.head[0], f.head_len[0], f.head[1], f.head_len[1], d)))
		return e;
	for (unsigned br = 0; !f.legacy && br < 2; br++) {
		const uint8_t *q = f.branch[br].items, *item;
		size_t len;
		for (uint32_t i = 0; i < f.branch[br].n; i++) {
			item = agg_fork_item(&q, &len);
			if ((e = lb_lla_write_fork_entry(w, br, item, len, d)))
				return e;
		}
	}
	return LB_OK;
}

lb_err lb_agg_export_forks(struct lb_agg *a, const uint8_t *origin, FILE *out, size_t *count,
                           struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_agg_origin o;
	uint8_t who[LB_PK_BYTES], key[RKEY_LEN];
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = {RKEY_LEN, key}, v;
	lb_err e;
	int rc;

	if (count)
		*count = 0;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	lb_lla_writer_init(&w, out);
	if (origin)
		memcpy(who, origin, LB_PK_BYTES);
	else if ((e = forked_origin(a, txn, who, d)))
		goto out;
	if ((e = agg_read_origin(a, txn, who, &o, NULL, d)) || (e = archive_header(&w, &o, d)))
		goto out;
	if ((rc = mdb_cursor_open(txn, a->forks, &c))) {
		e = lb_mdb_fail(d, rc, "reading the fork evidence");
		goto out;
	}
	agg_rkey(key, who, 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && agg_key_of(&k, who);
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		uint64_t seq = agg_be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
		if ((e = export_fork(&w, p, v.mv_size, d))) {
			lb_diag_prefix(d, "fork at seq %llu", (unsigned long long)seq);
			goto out;
		}
	}
	if (rc && rc != MDB_NOTFOUND) {
		e = lb_mdb_fail(d, rc, "reading the fork evidence");
		goto out;
	}
	if (!(e = lb_lla_write_trailer(&w, d)) && count)
		*count = (size_t)w.count.forks;
out:
	if (c)
		mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	lb_lla_writer_free(&w);
	return e;
}
