/*
 * agg.h — the aggregator's store: enrolment of village keys, one verified
 * replica log per origin, the consolidated view, fork evidence, receipts.
 *
 * LMDB layout (one environment per aggregator directory):
 *
 *   meta      name                -> region, key, format
 *   enroll    origin (32)         -> village code (13) || revoked (1)
 *   origins   origin (32)         -> seq (8) || hash (32) || last seen ms (8)
 *                                    || forks (8) || Merkle frontier
 *   replica   origin || seq (8)   -> stored entry, byte for byte the village's
 *   heads     origin || seq (8)   -> stored signed head
 *   view      village NUL type NUL id -> origin (32) || seq (8)   (live records)
 *   forks     origin || seq (8)   -> 0x01 || our head || their head ||
 *                                    our entries seq..ours || theirs
 *                                    seq..theirs (evidence, layout in
 *                                    agg.c keep_fork; seq: the first entry
 *                                    that differs)
 *
 * Ingest (lb_agg_ingest) checks, before anything is stored: the change set
 * decodes (bounded); the origin is enrolled, not revoked, and speaks for
 * the village it names; the head is signed by that origin; the entries
 * continue what we hold (no gap); the rebuilt chain ends at the signed
 * hash; entries we already hold are identical (else, the chain being
 * signed: fork, evidence kept); the Merkle root matches; every new entry
 * satisfies the schema.  Then replica, view, head and state change in one
 * LMDB transaction, and the aggregator signs a receipt.  Resending what is
 * already held is success and changes nothing (its receipt carries the
 * tree root of what is held; a head for the held seq naming another root
 * is refused).
 *
 * One struct lb_agg per process; calls may come from several threads
 * (the HTTP server's pool): LMDB serialises the write transactions.
 */
#ifndef LB_AGG_H
#define LB_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../node/head.h"
#include "../node/key.h"
#include "../schema/err.h"
#include "../sync/receipt.h"

struct lb_agg;

/* Create an aggregator for a kabupaten (PP.KK) or kecamatan (PP.KK.CC)
 * region in dir: key pair and store.  pk receives the public key. */
lb_err lb_agg_init(const char *dir, const char *region, uint8_t pk[LB_PK_BYTES],
                   struct lb_diag *d);

/* Open; loads the key (refused if readable by others).  Close with
 * lb_agg_close. */
lb_err lb_agg_open(struct lb_agg **out, const char *dir, struct lb_diag *d);

/* Open for reading only, as an auditor does: the secret key file is not
 * read or checked (it may be missing or unreadable), and the environment
 * is opened MDB_RDONLY (the directory must still allow LMDB's lock file).
 * Every read call works; lb_agg_enroll, lb_agg_revoke and lb_agg_ingest
 * fail with LB_EINVAL and change nothing.  Errors as lb_agg_open, without
 * the key's.  Close with lb_agg_close. */
lb_err lb_agg_open_ro(struct lb_agg **out, const char *dir, struct lb_diag *d);

void lb_agg_close(struct lb_agg *a);

/* Enrol origin as the key of village (inside the region; a key speaks for
 * one village, and a village has one active key at a time).  Enrolling the
 * active key again changes nothing; re-enrolling a revoked key restores
 * it.  LB_EINVAL for a village outside the region; LB_EEXIST when the key
 * is enrolled for another village, or when the village has another active
 * key (the message names it: revoke it first).
 *
 * The consolidated view belongs to the village, not to a key: a key
 * enrolled after the village's old key was revoked continues the
 * village's records (its puts and deletes apply to what the old key
 * wrote), while the old key's replica stays as it was and the old key can
 * change nothing any more.  Two keys never write one village's view at the
 * same time. */
lb_err lb_agg_enroll(struct lb_agg *a, const char *village, const uint8_t origin[LB_PK_BYTES],
                     struct lb_diag *d);
lb_err lb_agg_revoke(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_diag *d);

/*
 * entries is read from the replica itself: the span of seqs held for the
 * origin (lowest to highest key), found with two cursor positionings, not
 * a scan.  The span is exact because an origin's replica is contiguous
 * from seq 1: ingest refuses gaps and stores new entries together with
 * the origin's state in one transaction.  So today entries == seq, and a
 * difference means the store was damaged or changed behind our back.
 */
struct lb_agg_origin {
	uint8_t origin[LB_PK_BYTES];
	char village[LB_VILLAGE_LEN + 1];
	bool revoked;
	uint64_t seq;                /* last accepted, 0 for none */
	uint8_t hash[LB_HASH_BYTES];
	uint64_t last_seen_ms;       /* when new entries last arrived (a resend or a replay
	                                of what is held does not count), 0 for never */
	uint64_t forks;              /* proven forks seen (evidence in the forks db) */
	uint64_t entries;            /* replica entries held, see above */
};

/* State of one origin into o.  LB_EUNKNOWN_ORIGIN when not enrolled,
 * LB_ESTORE when LMDB fails; o is undefined on error. */
lb_err lb_agg_origin(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_agg_origin *o,
                     struct lb_diag *d);

/* Every enrolled origin, in key order, from one read transaction.  o is
 * borrowed for the call.  cb returns 0 to go on, non-zero to stop (not an
 * error); it must not call other lb_agg functions (the read transaction
 * is still open on this thread).  LB_ESTORE when LMDB fails. */
typedef int (*lb_agg_origin_cb)(void *ctx, const struct lb_agg_origin *o);
lb_err lb_agg_origins(struct lb_agg *a, lb_agg_origin_cb cb, void *ctx, struct lb_diag *d);

/* Live records of the consolidated view, counted per village and record
 * type.  village is a desa code to count that village only, or NULL for
 * every village.  cb is called once per (village, type) holding at least
 * one live record, in byte order of village then type; village and type
 * are NUL-terminated and borrowed for the call, count > 0.  cb returns 0
 * to go on, non-zero to stop (not an error); it must not call other lb_agg
 * functions (the read transaction is still open on this thread).
 *
 * One read transaction, so the counts are one consistent snapshot (also
 * while ingest runs), but not the snapshot of an earlier lb_agg_origins.
 * Cost: one cursor step per live record counted.
 *
 * Errors: LB_EINVAL when village is not a desa code; LB_ECORRUPT when a
 * view key is not village NUL type NUL id; LB_ESTORE when LMDB fails.  On
 * error cb may already have had the groups before the failure. */
typedef int (*lb_agg_count_cb)(void *ctx, const char *village, const char *type, uint64_t count);
lb_err lb_agg_counts(struct lb_agg *a, const char *village, lb_agg_count_cb cb, void *ctx,
                     struct lb_diag *d);

struct lb_agg_result {
	uint64_t seq;                /* our head for the origin after the call */
	uint8_t hash[LB_HASH_BYTES];
	uint64_t accepted;           /* new entries stored */
	uint8_t *receipt;            /* malloc'd signed receipt (free it), or NULL */
	size_t receipt_len;
};

/* Verify and store one change set (see the file comment).  On success r
 * holds the new head and a receipt.  Errors: LB_EMALFORMED, LB_ETOOBIG,
 * LB_EUNKNOWN_ORIGIN, LB_EWRONG_VILLAGE, LB_ESIG, LB_EGAP (r->seq/hash
 * say where we stand), LB_EFORK, LB_ESCHEMA; also LB_ENOMEM, LB_ESTORE,
 * LB_EFULL, LB_ECORRUPT from the machine.  Nothing is stored on any of
 * them except fork evidence.  The history's rules are node/chain.h's, the
 * ones lumbung-audit verify applies: times that do not rise or a head whose
 * time is not its entry's are LB_ESCHEMA; a head that does not cover the
 * entries (seq, village, hash, Merkle root) LB_ESIG.
 *
 * LB_EFORK means proven: entries differing from ones already held, whose
 * chain ends at the origin's signed head, so the village signed two
 * histories.  Both heads are kept and the origin's fork count goes up
 * (the same rival head sent again is the same fork: counted once).
 * Differing entries that do not chain to the signed head prove nothing
 * (anyone holding a head can send garbage with it): LB_ESIG, nothing
 * kept. */
lb_err lb_agg_ingest(struct lb_agg *a, const void *body, size_t len, struct lb_agg_result *r,
                     struct lb_diag *d);

/*
 * Log archives (node/archive.h, docs/FORMAT.md §9): what the aggregator
 * holds, in the file format an auditor checks without trusting it.  Both
 * read one transaction (a consistent snapshot while ingest runs), work on
 * a read-only handle, keep one frame in memory whatever the log's size,
 * and on error leave a partial archive without a trailer on out (the
 * caller removes it).  Errors from the archive writer: LB_EIO (a full
 * disk ...), LB_ENOMEM.
 */

/* The replica of origin as an archive on out: header (source "aggregator",
 * the village the origin is enrolled for), every entry 1..seq byte for
 * byte as the village signed it, each stored head right after the entry
 * it covers (the aggregator keeps the head that ended each change set, so
 * usually fewer heads than the village's own archive has), trailer
 * (receipts 0, forks 0: the aggregator does not keep the receipts it
 * signs, and forks go to lb_agg_export_forks).  A revoked origin is
 * exported too.  LB_EUNKNOWN_ORIGIN when origin is not enrolled;
 * LB_ECORRUPT when the replica and the origin's state disagree; LB_ESTORE. */
lb_err lb_agg_export_log(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], FILE *out,
                         struct lb_diag *d);

/* The fork evidence held for one origin as an archive on out: header
 * (source "aggregator"), per proven fork in order of the first differing
 * seq one [4, ours, theirs] frame and the [6, branch, entry] frames of
 * both histories from that seq to each head, trailer (forks = that count;
 * entries = the kind-6 frames; heads, receipts 0).  An archive names one origin, so one file holds the
 * forks of one origin:
 *   origin given  that origin (LB_EUNKNOWN_ORIGIN if not enrolled); an
 *                 origin without forks gives a valid archive with 0 forks;
 *   origin NULL   the one origin that has fork evidence; LB_ENOTFOUND
 *                 when none has, LB_EINVAL when several have (the message
 *                 lists them in hex, up to four) — nothing is written then.
 * *count (may be NULL) gets the number of fork frames written (0 on error).
 * LB_ECORRUPT for damaged evidence; LB_ESTORE. */
lb_err lb_agg_export_forks(struct lb_agg *a, const uint8_t *origin, FILE *out, size_t *count,
                           struct lb_diag *d);

#endif
