/*
 * mirror.h — the consolidated view mirrored into PostgreSQL (libpq), for
 * analysts and BI tools at province or national scale (docs/MIRROR.md).
 *
 * Layout (in the connection's schema; a contract with the report views,
 * agg/mirror_views.sql, and the tests):
 *
 *   lumbung_meta(kunci, nilai)            layout = '1'
 *   lumbung_posisi(origin, desa, kabupaten, seq, hash, diubah)
 *                                         how far each origin is mirrored
 *   desa(kode, nama, kecamatan, kabupaten, terakhir_terlihat, seq, origin)
 *   perubahan(origin, seq, desa, waktu, op, tipe, id, isi jsonb)
 *                                         every entry, primary key (origin, seq)
 *   one table per record type of the newest schema: desa, id, one typed
 *   column per field (date, bigint, numeric for rupiah, boolean, else
 *   text), origin, seq, diubah; primary key (desa, id).  A field added to
 *   the schema later is added as a column on the next run.
 *
 * Exactly once: an origin's entries are sent in batches of at most
 * LB_AGG_MIRROR_BATCH entries, each in one PostgreSQL transaction that
 * also moves the origin's row in lumbung_posisi.  A batch that does not
 * commit leaves nothing behind, and the next pass starts from the
 * position.  A position ahead of what this aggregator holds, or whose hash
 * is not the hash of our entry at that seq, is refused (another
 * aggregator's copy, a restored database): nothing is re-sent.
 *
 * The aggregator is read through read transactions (lb_agg_walk_log_from),
 * so it may serve and ingest meanwhile.  Library code: prints nothing.
 */
#ifndef LB_AGG_MIRROR_H
#define LB_AGG_MIRROR_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"
#include "agg.h"

#define LB_AGG_MIRROR_BATCH 50000 /* entries per PostgreSQL transaction */
#define LB_AGG_MIRROR_JOBS 2      /* connections sending villages side by side */
#define LB_AGG_MIRROR_JOBS_MAX 16

struct lb_agg_mirror;

struct lb_agg_mirror_stats {
	uint64_t villages;     /* enrolled villages (distinct), mirrored or not */
	uint64_t origins;      /* origins that had something to send this pass */
	uint64_t entries;      /* entries sent (committed) this pass */
	uint64_t behind;       /* entries still to send when the pass started */
	uint64_t refused;      /* villages refused (LB_EGAP, LB_EFORK below) */
	double seconds;        /* the pass's wall time */
};

struct lb_agg_mirror_opts {
	/* checked between transactions: non-zero ends the pass after the
	 * current transaction (LB_OK, stats say how far it got); may be NULL */
	volatile sig_atomic_t *stop;
	/* called after each committed batch with the entries sent so far this
	 * pass and the total behind at its start (for a progress display); may
	 * be NULL */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	/* called for each village refused (its message, in the reader's
	 * language) as it happens; may be NULL */
	void (*refused)(void *ctx, const char *village, lb_err e, const char *msg);
	void *ctx; /* for both */
	size_t batch; /* entries per transaction; 0: LB_AGG_MIRROR_BATCH */
	/* connections (and threads) sending villages side by side, each
	 * village's keys by one of them in order; 0: LB_AGG_MIRROR_JOBS */
	size_t jobs;
};

/* A mirror of a (read-only or not) aggregator handle a into the database
 * named by conninfo (a libpq connection string or URI).  Does not connect
 * yet.  o may be NULL; it is copied.  *out is freed with
 * lb_agg_mirror_free.  LB_ENOMEM. */
lb_err lb_agg_mirror_new(struct lb_agg_mirror **out, struct lb_agg *a, const char *conninfo,
                         const struct lb_agg_mirror_opts *o, struct lb_diag *d);
void lb_agg_mirror_free(struct lb_agg_mirror *m);

/* One pass: connect when not connected (one connection per job) (creating or migrating the layout
 * in one transaction, once per connection), then for every enrolled
 * origin send what the database lacks.  st (may be NULL) gets what was
 * done, also on error.
 * Errors:
 *   LB_EAUTH     PostgreSQL asks for a password the conninfo does not give
 *                (not worth trying again);
 *   LB_ENET      PostgreSQL cannot be reached, or the connection was lost
 *                or the server shut down mid-pass (the open transaction is
 *                rolled back; the connection is dropped and the next pass
 *                reconnects and resumes from lumbung_posisi);
 *   LB_EGAP      a village's position in the database is ahead of what
 *                this aggregator holds (the message names the village);
 *   LB_EFORK     a village's position names a hash that is not the hash of
 *                our entry at that seq, or another village (the message
 *                names the village);
 *                these two refuse that village only: the pass goes on with
 *                the others and returns the first refusal at its end (each
 *                one went to o->refused);
 *   LB_EREFUSED  PostgreSQL refused a statement (its message, e.g. the
 *                layout version of another lumbung, a permission);
 *   LB_ECORRUPT, LB_ESTORE from the aggregator; LB_ENOMEM. */
lb_err lb_agg_mirror_pass(struct lb_agg_mirror *m, struct lb_agg_mirror_stats *st,
                          struct lb_diag *d);

/* The SQL of the report views (laporan_*), run by the mirror after the
 * tables in its layout transaction: CREATE OR REPLACE VIEW statements
 * (agg/mirror_views.c).  A static string; "" when there are none. */
const char *lb_agg_mirror_views_sql(void);

#endif
