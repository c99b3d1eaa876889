/*
 * succ_meta.c — the successions a node's chain crossed, as kept in meta,
 * read inside a caller's transaction (lb_node_succ_walk in node_int.h, for
 * verify.c and archive.c; adopt.c writes them and has lb_node_successions,
 * which opens its own).
 */
#include "adopt.h"
#include "node_int.h"

/* Walk meta "succ/" || seq in key (= seq) order inside txn.  A key of
 * another length under the prefix is not ours and is skipped. */
lb_err lb_node_succ_walk(struct lb_node *n, MDB_txn *txn, lb_succ_cb cb, void *ctx,
                         struct lb_diag *d)
{
	MDB_cursor *c;
	MDB_val k = {LB_SUCC_PREFIX_LEN, (void *)LB_SUCC_PREFIX}, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, n->meta, &c)))
		return lb_mdb_fail(d, rc, "reading the successions");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < LB_SUCC_PREFIX_LEN ||
		    memcmp(k.mv_data, LB_SUCC_PREFIX, LB_SUCC_PREFIX_LEN) != 0)
			break;
		if (k.mv_size != LB_SUCC_KEY_LEN)
			continue;
		if (cb(ctx, lb_be64_get((const uint8_t *)k.mv_data + LB_SUCC_PREFIX_LEN),
		       v.mv_data, v.mv_size))
			break;
	}
	mdb_cursor_close(c);
	if (rc && rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the successions");
	return LB_OK;
}
