/*
 * store_int.h — what the aggregator store's own files share (store.c:
 * environment, locking, enrolment and origins; ingest.c; export.c).  Not
 * for other layers: they use agg.h.
 *
 * Keys: `replica` and `heads` are origin (32) || seq (u64 BE); `origins`
 * holds per-origin state (seq, hash, last seen, forks, Merkle frontier);
 * `view` is village NUL type NUL id -> origin || seq of the live entry.
 */
#ifndef LB_AGG_STORE_INT_H
#define LB_AGG_STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "../node/merkle.h"
#include "agg.h"

#define ENROLL_LEN (LB_VILLAGE_LEN + 1)
#define STATE_FIXED (8 + LB_HASH_BYTES + 8 + 8)
#define RKEY_LEN (LB_PK_BYTES + 8)

struct lb_agg {
	MDB_env *env;
	MDB_dbi meta, enroll, origins, replica, heads, view, forks;
	char region[16];
	struct lb_key key;
	bool read_only; /* lb_agg_open_ro: no key, no writes */
	MDB_dbi figures; /* figures.h; none in a store made before them */
	bool no_figures;
	MDB_dbi names;   /* the village directory (directory.c) */
	bool have_names; /* false: a read-only store made before it existed */
	MDB_dbi tokens, access; /* token.h: API tokens, the access log */
	bool have_tokens;       /* false: a read-only store made before them */
	MDB_dbi uprcpt;         /* relay.h: receipts from upstream aggregators */
	bool have_relay;        /* false: a read-only store made before it */
	MDB_dbi stmts, aggs, routes, enrolby; /* tree.h: statements, aggregators, routes */
	bool have_tree;         /* false: a read-only store made before them */
	MDB_dbi succ;           /* successions (succeed.c): 'o'||OLD, 'n'||NEW -> statement */
	bool have_succ;         /* false: a read-only store made before it */
	MDB_dbi moves;          /* moves.h: offers of residents who move */
	bool have_moves;        /* false: a read-only store made before it */
	/* Held shared by every transaction and exclusively to resize the map,
	 * which LMDB allows only while this process has no transaction open. */
	pthread_rwlock_t map_lock;
};

/*
 * Fork evidence as stored: the value under origin || first differing seq k
 * in `forks`.  What proves the fork (docs/FORMAT.md §9, kinds 4 and 6):
 *
 *   0x01 || item(ours) || item(theirs)
 *        || u32 n0 || n0 items: our stored entries k .. ours' seq
 *        || u32 n1 || n1 items: the rival's stored entries k .. theirs' seq
 *   item = u32 BE length || bytes
 *
 * Evidence kept before entries were (u32 BE length of ours || ours ||
 * theirs: first byte 0x00, since a head is shorter than 16 MiB) is still
 * read and exported as two heads.
 */
#define FORK_V2 0x01

/* Stored fork evidence read (not copied: pointers into the value).
 * legacy: evidence kept before entries were (two heads, no entries).
 * branch[0] ours, branch[1] the rival's: n items from `items` (each
 * u32 BE length || bytes), walked with agg_fork_item. */
struct agg_fork {
	bool legacy;
	const uint8_t *head[2];
	size_t head_len[2];
	struct {
		uint32_t n;
		const uint8_t *items, *end;
	} branch[2];
};
/* Check and read evidence p[0..n).  LB_ECORRUPT when damaged. */
lb_err agg_fork_parse(const uint8_t *p, size_t n, struct agg_fork *f, struct lb_diag *d);
/* The next item at *p (checked by agg_fork_parse): its bytes and length;
 * *p moves past it.  Cannot fail on parsed evidence. */
const uint8_t *agg_fork_item(const uint8_t **p, size_t *len);

/* Big-endian u64 (keys sort by seq).  Cannot fail. */
void agg_be64_put(uint8_t *p, uint64_t v);
uint64_t agg_be64_get(const uint8_t *p);

/* Every transaction goes through these three, so a resize of the map can
 * wait for all of them to end (a shared hold of map_lock from begin to
 * commit/abort).  Return LMDB codes; agg_txn_begin adopts a map another
 * process grew (MDB_MAP_RESIZED) and retries. */
int agg_txn_begin(struct lb_agg *a, unsigned flags, MDB_txn **txn);
int agg_txn_commit(struct lb_agg *a, MDB_txn *txn);
void agg_txn_abort(struct lb_agg *a, MDB_txn *txn);

/* A read transaction with a cursor on dbi, to walk it: the one way the
 * store's listings start.  On failure nothing is left open and d says
 * what ("reading the tokens") with LMDB's reason (lb_mdb_fail).  End with
 * mdb_cursor_close(*c) and agg_txn_abort(a, *txn). */
lb_err agg_read_cursor(struct lb_agg *a, MDB_dbi dbi, MDB_txn **txn, MDB_cursor **c,
                       const char *what, struct lb_diag *d);

/* Every key enrolled here for village, inside txn: cb gets each with
 * whether it is revoked, and returns non-zero to stop.  LB_ESTORE. */
typedef int (*agg_village_key_cb)(void *ctx, const uint8_t key[LB_PK_BYTES], bool revoked);
lb_err agg_village_keys(struct lb_agg *a, MDB_txn *txn, const char *village,
                        agg_village_key_cb cb, void *ctx, struct lb_diag *d);

/* The active key of village other than except (NULL: any) into key.
 * LB_ENOTFOUND when it has none; LB_ESTORE. */
lb_err agg_active_key(struct lb_agg *a, MDB_txn *txn, const char *village, const uint8_t *except,
                      uint8_t key[LB_PK_BYTES], struct lb_diag *d);

/* The map's size now, read under the map lock (0 on error). */
size_t agg_map_size(struct lb_agg *a);

/* Double the map after MDB_MAP_FULL, unless another thread grew it since
 * it was seen full at size `seen`.  No transaction of this thread may be
 * open.  Returns an LMDB code. */
int agg_grow_map(struct lb_agg *a, size_t seen);

/* A write call on a read-only handle: LB_EINVAL, said plainly. */
lb_err agg_refuse_read_only(const char *what, struct lb_diag *d);

/* The replica/heads key of origin's entry seq.  Cannot fail. */
void agg_rkey(uint8_t out[RKEY_LEN], const uint8_t origin[LB_PK_BYTES], uint64_t seq);

/* Enrolment and state of origin inside txn into o (and its Merkle
 * frontier into m when not NULL).  LB_EUNKNOWN_ORIGIN, LB_ECORRUPT,
 * LB_ESTORE. */
lb_err agg_read_origin(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                       struct lb_agg_origin *o, struct lb_merkle *m, struct lb_diag *d);

/* Store o's state and frontier m inside txn.  Returns an LMDB code. */
int agg_write_origin(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_origin *o,
                     const struct lb_merkle *m);

/* Inside the ingest txn that accepts entries from first_new on for an
 * origin with forks (o before the update): mark its fork resolved
 * (resolved.c).  Returns an LMDB code. */
int agg_fork_extended(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_origin *o,
                      uint64_t first_new);

/* Is k a replica/heads key of origin? */
bool agg_key_of(const MDB_val *k, const uint8_t origin[LB_PK_BYTES]);

/* The walk of lb_agg_walk_log inside the caller's read transaction txn,
 * from entry `from` (>= 1) of the origin's replica to its held seq: the
 * origin callback gets the state, then each entry and stored head as
 * lb_agg_walk_log gives them.  Errors as lb_agg_walk_log. */
lb_err agg_walk_txn(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                    uint64_t from, const struct lb_agg_walk *wk, struct lb_diag *d);

/* A receipt signed now for what is held of o (its seq and hash) with the
 * tree root of frontier m: the one receipt ingest returns for a change set
 * (received_ms: when its entries were stored, or now for a resend) and an
 * archive of the replica ends with.  *out malloc'd.  LB_ENOMEM. */
lb_err agg_held_receipt(struct lb_agg *a, const struct lb_agg_origin *o, const struct lb_merkle *m,
                        uint64_t received_ms, uint8_t **out, size_t *len, struct lb_diag *d);

/* Open (or, on a writable store made before it existed, create) the
 * village directory's database.  LB_ESTORE when LMDB fails. */
lb_err agg_dir_open(struct lb_agg *a, struct lb_diag *d);

/* Open (or, on a writable store, create) the tokens and access
 * databases (token.c).  LB_ESTORE when LMDB fails. */
lb_err agg_token_open(struct lb_agg *a, struct lb_diag *d);

/* Open (or, on a writable store, create) the relay's databases
 * (replica.c).  LB_ESTORE when LMDB fails. */
lb_err agg_relay_open(struct lb_agg *a, struct lb_diag *d);

/* Open (or, on a writable store, create) the successions database
 * (succeed.c).  LB_ESTORE. */
lb_err agg_succ_open(struct lb_agg *a, struct lb_diag *d);

/* The succession stored under which ('o': key is its old key, 'n': its
 * new key) inside txn: opened into s and its stored bytes into raw (each
 * may be NULL; raw borrows from txn).  LB_ENOTFOUND when none is held,
 * LB_ECORRUPT, LB_ESTORE. */
lb_err agg_succ_get(struct lb_agg *a, MDB_txn *txn, char which, const uint8_t key[LB_PK_BYTES],
                    struct lb_succession *s, MDB_val *raw, struct lb_diag *d);

/* Apply a succession inside txn (see lb_agg_succeed): village's key old
 * (NULL: its active key) is continued by new_key after seq with hash
 * (NULL: after what is held of old, seq ignored); by as for enrolments.
 * This aggregator signs its own succession as its next statement, into
 * *out (may be NULL).  Refusals, nothing written: LB_ENOTFOUND (no active
 * key), LB_EUNKNOWN_ORIGIN (old not enrolled or revoked),
 * LB_EWRONG_VILLAGE, LB_EEXIST (new_key enrolled already), LB_EINVAL
 * (nothing held, a seq/hash that disagrees with what is held, read-only);
 * LB_ENOMEM, LB_ESTORE (then abort txn). */
lb_err agg_succeed_in(struct lb_agg *a, MDB_txn *txn, const char *village,
                      const uint8_t *old_key, const uint8_t new_key[LB_PK_BYTES], uint64_t seq,
                      const uint8_t *hash, const uint8_t *by, struct lb_succession *out,
                      struct lb_diag *d);

/* Start s's new key's state at (s->seq, s->hash, frontier m) inside txn.
 * An LMDB code. */
int agg_seed_successor(struct lb_agg *a, MDB_txn *txn, const struct lb_succession *s,
                       const struct lb_merkle *m);


/* The last n in stmts inside txn (0: none).  An LMDB code. */
int agg_stmt_last(struct lb_agg *a, MDB_txn *txn, uint64_t *n);

/* Record inside txn that the aggregator key `by` enrolled origin (NULL:
 * the office here did, and any record is removed).  An LMDB code. */
int agg_enrolby_put(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                    const uint8_t *by);

/* The name held for code (desa or kecamatan) inside txn into out (""
 * and LB_AGG_NAME_NONE when none); true when one is held.  Cannot fail
 * otherwise. */
bool agg_dir_get(struct lb_agg *a, MDB_txn *txn, const char *code, char out[LB_AGG_NAME_MAX + 1],
                 enum lb_agg_name_src *src);

#endif
