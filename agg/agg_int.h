/*
 * agg_int.h — what agg/ (figures, reports) reads of the aggregator store
 * (store.c): one read transaction and the databases it needs.
 */
#ifndef LB_AGG_INT_H
#define LB_AGG_INT_H

#include <stdint.h>

#include <lmdb.h>

#include "../schema/err.h"

struct lb_agg;

struct lb_agg_read {
	MDB_txn *txn;
	MDB_dbi figures, view, replica;
	char region[16];
};

/* Open a read transaction (a consistent snapshot, also while ingest runs;
 * works on a read-only handle).  End it with lb_agg_read_end on the same
 * thread, calling no other lb_agg function in between.  LB_ENOTFOUND when
 * the store has no figures database; LB_ESTORE. */
lb_err lb_agg_read_begin(struct lb_agg *a, struct lb_agg_read *r, struct lb_diag *d);
void lb_agg_read_end(struct lb_agg *a, struct lb_agg_read *r);

/* Recompute every figure from the consolidated view and compare
 * (lb_fig_verify); *keys (may be NULL) gets the figure keys that agree. */
lb_err lb_agg_verify_figures(struct lb_agg *a, uint64_t *keys, struct lb_diag *d);

#endif
