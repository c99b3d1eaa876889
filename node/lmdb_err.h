/*
 * lmdb_err.h — LMDB return codes as lb_err, for every layer that keeps an
 * LMDB environment (the node, the aggregator).
 */
#ifndef LB_LMDB_ERR_H
#define LB_LMDB_ERR_H

#include "../schema/err.h"

/* Record rc (an LMDB or errno code) in d with a message naming what
 * failed, and return the lb_err for it: ENOSPC -> LB_EFULL, I/O and
 * permission -> LB_EIO, corruption -> LB_ECORRUPT, else LB_ESTORE. */
lb_err lb_mdb_fail(struct lb_diag *d, int rc, const char *what);

#endif
