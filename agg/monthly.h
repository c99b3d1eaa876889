/*
 * monthly.h — the monthly population report (perkembangan, "Lampiran
 * A-9") of one village, computed from its replicated change history, not
 * from its current state: the history is read once, in time order, up to
 * the end of the month, keeping per record only what the report needs
 * (live or not, a resident or not, sex).  Nothing is kept at ingest.
 *
 * What counts as what is in docs/REPORTS.md ("perkembangan"); in short,
 * for a `penduduk` record whose state changes inside the month:
 *   not a resident -> resident: a birth (lahir) when the record is new
 *     (no earlier entry for its NIK), names no datang_dari (a resident
 *     moving in from another village, schema v2) and its tanggal_lahir is
 *     in the month, else an arrival (datang);
 *   resident -> not a resident: a death (mati) when status becomes
 *     meninggal, else a departure (pindah: status pindah, a delete);
 *   resident, sex changed: a departure under the old sex and an arrival
 *     under the new one.
 * A resident is a live record with status hidup.  So, per sex and by
 * construction: awal + lahir + datang - mati - pindah = akhir.
 */
#ifndef LB_MONTHLY_H
#define LB_MONTHLY_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "../node/entry.h"
#include "../node/key.h"
#include "../schema/err.h"

/* Index 0 is L (laki-laki), 1 is P (perempuan). */
struct lb_monthly_counts {
	int64_t awal[2], lahir[2], mati[2], datang[2], pindah[2], akhir[2];
	int64_t kk_awal, kk_akhir; /* live keluarga records */
};

struct lb_monthly_rec;

/* The state of one walk.  Fill with lb_monthly_init, feed entries, read
 * with lb_monthly_finish, release with lb_monthly_free. */
struct lb_monthly {
	uint64_t t0, t1; /* the month as entry clocks: [t0, t1) */
	int y, m;        /* the month, for tanggal_lahir */
	int started;     /* the month's first entry has been seen */
	int64_t cur[2], kk;
	struct lb_monthly_counts c;
	struct lb_monthly_rec *tab; /* open addressing, cap a power of 2 */
	size_t n, cap;
	char *ids; /* the records' ids, one after the other */
	size_t ids_len, ids_cap;
};

/* Start a walk for month y-m, which begins at t0_ms and ends before
 * t1_ms (milliseconds since the epoch; the caller chooses the time zone).
 * Cannot fail. */
void lb_monthly_init(struct lb_monthly *w, int y, int m, uint64_t t0_ms, uint64_t t1_ms);

/* Feed one entry of the village's history; entries must come in time
 * order (rising ts).  Entries at or after the month's end are ignored;
 * types other than penduduk and keluarga too.  LB_ENOMEM. */
lb_err lb_monthly_feed(struct lb_monthly *w, const struct lb_entry *e);

/* The counts once every entry up to the month's end was fed. */
void lb_monthly_finish(struct lb_monthly *w, struct lb_monthly_counts *out);

/* Release what the walk holds.  w may be zeroed. */
void lb_monthly_free(struct lb_monthly *w);

/* The whole report of one village from the replica database `replica`
 * (keys origin || seq BE, values encoded entries) inside txn: the logs of
 * the village's n origin keys merged by entry clock (ties: the order of
 * origins given).  Reads each log only up to the month's end.  Errors:
 * LB_ENOMEM, LB_ESTORE, LB_ECORRUPT (an entry that does not decode). */
lb_err lb_monthly_village(MDB_txn *txn, MDB_dbi replica, const uint8_t (*origins)[LB_PK_BYTES],
                          size_t n, int y, int m, uint64_t t0_ms, uint64_t t1_ms,
                          struct lb_monthly_counts *out, struct lb_diag *d);

#endif
