/*
 * resolved.c — when a village's proven fork counts as resolved.
 *
 * A fork (agg.h: the origin's fork count, the evidence in `forks`) is
 * resolved once the origin pushes entries past it that extend the history
 * this aggregator holds: the village took our branch (`lumbung repair`)
 * and went on from it.  Kept in `meta` under "fork-resolved/" || origin
 * (32) -> the first seq of those entries (u64 BE) || the origin's fork
 * count then (u64 BE); a later fork (the count grows) is not resolved by
 * it.
 */
#include <string.h>

#include "../node/lmdb_err.h"
#include "store_int.h"

#define PREFIX "fork-resolved/"
#define PREFIX_LEN (sizeof PREFIX - 1)

static void resolved_key(uint8_t k[PREFIX_LEN + LB_PK_BYTES], const uint8_t *origin)
{
	memcpy(k, PREFIX, PREFIX_LEN);
	memcpy(k + PREFIX_LEN, origin, LB_PK_BYTES);
}

int agg_fork_extended(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_origin *o,
                      uint64_t first_new)
{
	uint8_t kb[PREFIX_LEN + LB_PK_BYTES], vb[16];
	MDB_val k = {sizeof kb, kb}, v;

	if (!o->forks)
		return 0;
	resolved_key(kb, o->origin);
	if (mdb_get(txn, a->meta, &k, &v) == 0 && v.mv_size == 16 &&
	    agg_be64_get((const uint8_t *)v.mv_data + 8) == o->forks)
		return 0; /* resolved already */
	agg_be64_put(vb, first_new);
	agg_be64_put(vb + 8, o->forks);
	v = (MDB_val){sizeof vb, vb};
	return mdb_put(txn, a->meta, &k, &v, 0);
}

lb_err lb_agg_fork_resolved(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES],
                            uint64_t *seq, struct lb_diag *d)
{
	uint8_t kb[PREFIX_LEN + LB_PK_BYTES];
	MDB_val k = {sizeof kb, kb}, v;
	struct lb_agg_origin o;
	MDB_txn *txn;
	lb_err e;
	int rc;

	*seq = 0;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if (!(e = agg_read_origin(a, txn, origin, &o, NULL, d))) {
		resolved_key(kb, origin);
		rc = mdb_get(txn, a->meta, &k, &v);
		if (rc == 0 && v.mv_size == 16 && o.forks &&
		    agg_be64_get((const uint8_t *)v.mv_data + 8) == o.forks)
			*seq = agg_be64_get(v.mv_data);
		else if (rc && rc != MDB_NOTFOUND)
			e = lb_mdb_fail(d, rc, "reading the fork state");
	}
	agg_txn_abort(a, txn);
	return e;
}
