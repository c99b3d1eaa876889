/*
 * tree_int.h — what store.c and ingest.c share with tree.c (tree.h):
 * not for other layers.
 */
#ifndef LB_AGG_TREE_INT_H
#define LB_AGG_TREE_INT_H

#include <lmdb.h>

#include "../sync/statement.h"
#include "store_int.h"

/* Open (or, on a writable store, create) stmts, aggs, enrolby and routes.
 * LB_ESTORE. */
lb_err agg_tree_open(struct lb_agg *a, struct lb_diag *d);

/* Enrol / revoke inside txn, as lb_agg_enroll / lb_agg_revoke (which call
 * them) do: by is the aggregator whose statement asked (NULL: the office);
 * agg_revoke_in with village not NULL refuses (LB_EWRONG_VILLAGE) a key
 * enrolled for another village.  Errors as those; nothing is written on
 * an error but LB_ESTORE (then abort txn). */
lb_err agg_enroll_in(struct lb_agg *a, MDB_txn *txn, const char *village,
                     const uint8_t origin[LB_PK_BYTES], const uint8_t *by, struct lb_diag *d);
lb_err agg_revoke_in(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                     const char *village, const uint8_t *by, struct lb_diag *d);

/* An enrolment changed inside txn: sign and append our statement for it
 * to stmts, and record who enrolled origin (by, NULL: the office).
 * LB_ENOMEM, LB_ESTORE. */
lb_err agg_tree_enrolled(struct lb_agg *a, MDB_txn *txn, enum lb_stmt_action act,
                         const char *village, const uint8_t origin[LB_PK_BYTES], const uint8_t *by,
                         struct lb_diag *d);

/* Store the route of a change set that brought origin (village) new
 * entries inside txn (see lb_agg_ingest_via).  Returns an LMDB code. */
int agg_route_put(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                  const char *village, const uint8_t *relay, uint64_t received_ms,
                  uint64_t head_ms);

#endif
