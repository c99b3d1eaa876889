/*
 * tree_stub.c — STUB, TO BE DELETED AT MERGE: agg/tree.c (enrolment
 * through the tree, written on another branch) defines the real
 * lb_agg_send_statements.  This stand-in sends nothing, so the forwarding
 * branch builds and its tests run on their own.
 */
#include "forward.h"

lb_err lb_agg_send_statements(struct lb_agg *a, struct lb_pusher *p, uint64_t *sent,
                              struct lb_diag *d)
{
	(void)a, (void)p, (void)d;
	*sent = 0;
	return LB_OK;
}
