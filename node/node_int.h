/*
 * node_int.h — the node handle and LMDB helpers shared by node.c and
 * verify.c.  Private to node/: nothing outside includes it.
 */
#ifndef LB_NODE_INT_H
#define LB_NODE_INT_H

#include <lmdb.h>
#include <string.h>

#include "node.h"

struct lb_node {
	MDB_env *env;
	MDB_dbi log, records, heads, meta;
	char *dir;
	bool have_key;
	bool replica;          /* opened as a replica: writable by adoption only */
	struct lb_key key;
	struct lb_mp_buf buf;  /* scratch for entry encoding */
	struct lb_mp_buf hbuf; /* scratch for head encoding  */
};

/* records value: seq (8, BE) || flag (1) */
#define LB_REC_VAL_LEN 9
#define LB_REC_LIVE 0
#define LB_REC_DELETED 1

/* meta "tip": seq (8, BE) || hash (32) || ts (8, BE) */
#define LB_TIP_LEN (8 + LB_HASH_BYTES + 8)

static inline void lb_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static inline uint64_t lb_be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Receipts an aggregator returned live in meta (remote.c writes them,
 * archive.c exports them; FORMAT §5):
 *   "receipt/" || aggregator key (32) || seq (u64 BE)  -> receipt bytes */
#define LB_RECEIPT_PREFIX "receipt/"
#define LB_RECEIPT_PREFIX_LEN (sizeof LB_RECEIPT_PREFIX - 1)
#define LB_RECEIPT_KEY_LEN (LB_RECEIPT_PREFIX_LEN + LB_PK_BYTES + 8)

static inline void lb_receipt_key(uint8_t k[LB_RECEIPT_KEY_LEN], const uint8_t agg[LB_PK_BYTES],
                                  uint64_t seq)
{
	memcpy(k, LB_RECEIPT_PREFIX, LB_RECEIPT_PREFIX_LEN);
	memcpy(k + LB_RECEIPT_PREFIX_LEN, agg, LB_PK_BYTES);
	lb_be64_put(k + LB_RECEIPT_PREFIX_LEN + LB_PK_BYTES, seq);
}

/* Successions the chain crossed (adopt.c writes them; verify.c, archive.c
 * and lb_node_successions read them; node/adopt.h):
 *   "succ/" || seq (u64 BE)  -> stored succession statement */
#define LB_SUCC_PREFIX "succ/"
#define LB_SUCC_PREFIX_LEN (sizeof LB_SUCC_PREFIX - 1)
#define LB_SUCC_KEY_LEN (LB_SUCC_PREFIX_LEN + 8)

static inline void lb_succ_key(uint8_t k[LB_SUCC_KEY_LEN], uint64_t seq)
{
	memcpy(k, LB_SUCC_PREFIX, LB_SUCC_PREFIX_LEN);
	lb_be64_put(k + LB_SUCC_PREFIX_LEN, seq);
}

#include "lmdb_err.h"

/* Call cb for each succession in meta inside txn, in seq order (cb is an
 * lb_succ_cb of adopt.h; non-zero stops).  LB_ESTORE. */
lb_err lb_node_succ_walk(struct lb_node *n, MDB_txn *txn,
                         int (*cb)(void *ctx, uint64_t seq, const uint8_t *stmt, size_t len),
                         void *ctx, struct lb_diag *d);


/* Records key "type\0id" into k (at least LB_TYPE_MAX + 1 + LB_ID_MAX
 * bytes); returns its length. */
#define LB_RKEY_MAX (LB_TYPE_MAX + 1 + LB_ID_MAX)
size_t lb_rkey(uint8_t *k, const char *type, size_t type_len, const char *id, size_t id_len);

/* Read the tip and the Merkle frontier inside txn.  An empty log gives
 * seq 0, zero hash, ts 0 and an empty tree. */
lb_err lb_node_read_tip(struct lb_node *n, MDB_txn *txn, uint64_t *seq,
                        uint8_t hash[LB_HASH_BYTES], uint64_t *ts, struct lb_merkle *m,
                        struct lb_diag *d);

/* Read the fixed identity (village, name, origin, schema) from meta into
 * info inside txn.  LB_ECORRUPT when missing. */
lb_err lb_node_read_identity(struct lb_node *n, MDB_txn *txn, struct lb_node_info *info,
                             struct lb_diag *d);

/* mdb_txn_begin on the node's env that adopts a map grown by another
 * process (MDB_MAP_RESIZED).  Returns an LMDB code. */
int lb_node_txn_begin(struct lb_node *n, unsigned flags, MDB_txn **txn);

/* Write a meta value inside a write txn.  Returns an LMDB code. */
int lb_meta_put(struct lb_node *n, MDB_txn *txn, const char *name, const void *p, size_t len);

/* Double the map size (no transaction may be open in this process).
 * Returns an LMDB code. */
int lb_node_grow_map(struct lb_node *n);

/* Run fn(ctx, n, txn) in one write transaction, committed when it returns
 * 0; a full map is grown and fn run again.  fn returns an LMDB code (or a
 * negative code of its own, passed back).  Returns EACCES when the node
 * has no secret key loaded (read-only).  (remote.c) */
int lb_meta_txn(struct lb_node *n, int (*fn)(void *ctx, struct lb_node *n, MDB_txn *txn),
                void *ctx);

/* Inside a producer (lb_node_write_with): the sink's write transaction, to
 * change other rows in the same transaction; and an LMDB failure rc there
 * as the sink's error (so a full map is grown and the producer re-run).
 * (write.c) */
struct lb_write_sink;
MDB_txn *lb_sink_txn(struct lb_write_sink *s);
lb_err lb_sink_fail(struct lb_write_sink *s, int rc, const char *what, struct lb_diag *d);

/* Read a meta value inside txn; borrowed until the txn ends. */
int lb_meta_get(struct lb_node *n, MDB_txn *txn, const char *name, MDB_val *v);

#endif
