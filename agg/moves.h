/*
 * moves.h — residents who move between villages of the region, as the
 * aggregator sees them (docs/FORMAT.md "Moves at the aggregator").
 *
 * When village A's `penduduk` record (schema version 2 or later) becomes
 * `status` pindah with `pindah_ke` B — a desa inside this aggregator's
 * region, not A itself — the aggregator keeps an offer of that record to
 * B in the `moves` database:
 *
 *   B (13) || NIK (16) -> A (13) || A's origin (32) || seq (8, BE)
 *                         || entry hash (32) || state (1: 0 open, 1 taken)
 *
 * The offer points at A's signed entry (origin, seq) in the replica.  A
 * later record of A for that NIK that is no longer pindah to B withdraws
 * an open offer (the key is deleted); B's `penduduk` put naming
 * datang_dari A, datang_seq = the offer's seq (and datang_hash = its hash,
 * when given) marks it taken.  A move out of the region makes no offer
 * (a departure only).  All of it happens in the ingest's transaction, as
 * the consolidated view changes (agg_moves_change, called by ingest.c).
 */
#ifndef LB_AGG_MOVES_H
#define LB_AGG_MOVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "agg.h"

#define LB_MOVE_KEY_LEN (LB_VILLAGE_LEN + 16)
#define LB_MOVE_VAL_LEN (LB_VILLAGE_LEN + LB_PK_BYTES + 8 + LB_HASH_BYTES + 1)

enum lb_move_state { LB_MOVE_OPEN = 0, LB_MOVE_TAKEN = 1 };

/* One offer as stored, readable. */
struct lb_agg_move {
	char to[LB_VILLAGE_LEN + 1];   /* B */
	char nik[17];
	char from[LB_VILLAGE_LEN + 1]; /* A */
	uint8_t origin[LB_PK_BYTES];   /* A's key that signed the entry */
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	enum lb_move_state state;
};

/* Open (or, on a writable store, create) the `moves` database.  A
 * read-only handle on a store made before it has none (no offers).
 * LB_ESTORE. */
lb_err agg_moves_open(struct lb_agg *a, struct lb_diag *d);

/* The ingest's hook: the consolidated view's key vkey (village NUL type
 * NUL id) is about to change to newval (origin || seq of the new live
 * entry, already stored in the replica in txn; NULL: the record is
 * deleted).  Called before the view is written, so the view still holds
 * the old value.  Keys of types other than penduduk are ignored.  Returns
 * 0 or an LMDB code (MDB_CORRUPTED when a replica entry does not decode);
 * the caller aborts txn on any. */
int agg_moves_change(struct lb_agg *a, MDB_txn *txn, const MDB_val *vkey, const MDB_val *newval);

/* Each offer to village `to` (NULL: to any village), only the open ones
 * when open_only, in key order (village, NIK), read in one read
 * transaction: cb gets the offer and A's stored entry bytes (entry,
 * len; borrowed for the call; NULL/0 when the replica lacks it) and
 * returns non-zero to stop.  LB_EINVAL for a `to` that is not a desa
 * code; LB_ECORRUPT for a damaged value; LB_ESTORE. */
typedef int (*lb_agg_move_cb)(void *ctx, const struct lb_agg_move *m, const uint8_t *entry,
                              size_t len);
lb_err lb_agg_moves(struct lb_agg *a, const char *to, bool open_only, lb_agg_move_cb cb,
                    void *ctx, struct lb_diag *d);

/* The offer's state as a word ("open", "taken").  Cannot fail. */
const char *lb_agg_move_state_name(enum lb_move_state s);

#endif
