/*
 * export_village.c — one village's log as an archive from a seq on, for
 * a village restoring its node (GET /v1/villages/{code}/log, agg.h
 * lb_agg_export_village).  This first version serves the village's active
 * key only (else its last revoked one); walking back across successions
 * comes with them.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "../node/archive.h"
#include "../node/lmdb_err.h"
#include "../node/hlc.h"
#include "../node/merkle.h"
#include "../schema/text.h"

/* The village's active key inside txn (else the last revoked one seen).
 * LB_ENOTFOUND when none is enrolled for it. */
static lb_err village_key(struct lb_agg *a, MDB_txn *txn, const char *village,
                          uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	MDB_cursor *c;
	MDB_val k, v;
	bool found = false, active = false;
	int rc;

	if ((rc = mdb_cursor_open(txn, a->enroll, &c)))
		return lb_mdb_fail(d, rc, "reading the enrolments");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		if (k.mv_size != LB_PK_BYTES || v.mv_size != ENROLL_LEN ||
		    memcmp(p, village, LB_VILLAGE_LEN) || (active && p[LB_VILLAGE_LEN]))
			continue;
		memcpy(origin, k.mv_data, LB_PK_BYTES);
		found = true;
		active = !p[LB_VILLAGE_LEN];
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the enrolments");
	if (!found)
		return lb_fail(d, LB_ENOTFOUND, "no key is enrolled for village %s", village);
	return LB_OK;
}

static lb_err tail_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                         struct lb_diag *d)
{
	(void)seq;
	return lb_lla_write_entry(ctx, raw, len, d);
}

static lb_err tail_head(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                        struct lb_diag *d)
{
	(void)seq;
	return lb_lla_write_head(ctx, raw, len, d);
}

lb_err lb_agg_export_village(struct lb_agg *a, const char *village, uint64_t from, FILE *out,
                             struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_lla_header h = {.source = "aggregator"};
	struct lb_agg_walk wk = {NULL, tail_entry, tail_head, &w};
	struct lb_agg_origin o;
	struct lb_merkle m;
	uint8_t *rcpt = NULL;
	size_t rlen = 0;
	MDB_txn *txn;
	lb_err e;
	int rc;

	if (!village || lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "not a desa code (PP.KK.CC.DDDD)");
	if (from < 1)
		from = 1;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	lb_lla_writer_init(&w, out);
	if ((e = village_key(a, txn, village, h.origin, d)) ||
	    (e = agg_read_origin(a, txn, h.origin, &o, &m, d)))
		goto out;
	if (from > o.seq + 1) {
		e = lb_fail(d, LB_EINVAL, "this aggregator holds village %s up to seq %llu; a log from "
		            "seq %llu would be empty", village, (unsigned long long)o.seq,
		            (unsigned long long)from);
		goto out;
	}
	memcpy(h.village, o.village, sizeof h.village);
	h.from = from;
	if ((e = lb_lla_write_header(&w, &h, d)) || (e = agg_walk_txn(a, txn, h.origin, from, &wk, d)))
		goto out;
	/* what is held, signed now: the village keeps it as its receipt */
	if (o.seq && ((e = agg_held_receipt(a, &o, &m, lb_hlc_wall_ms(), &rcpt, &rlen, d)) ||
	              (e = lb_lla_write_receipt(&w, a->key.pk, rcpt, rlen, d))))
		goto out;
	e = lb_lla_write_trailer(&w, d);
out:
	free(rcpt);
	agg_txn_abort(a, txn);
	lb_lla_writer_free(&w);
	return e;
}
