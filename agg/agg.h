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
 *   names     code (desa 13 / kecamatan 8) -> source (1) || UTF-8 name
 *                                    (the village directory, directory.c)
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
#include "../node/succession.h"
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
 * from seq 1 (from base + 1 for a key that continues another's chain by
 * a succession): ingest refuses gaps and stores new entries together with
 * the origin's state in one transaction.  So entries == seq - base, and a
 * difference means the store was damaged or changed behind our back.
 * A successor whose state is not seeded yet (this aggregator holds the
 * old key's chain only below base: ingest seeds it when the old key's
 * entries reach base) has seq 0 < base.
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
	uint64_t base;               /* a key continuing another's chain by a succession:
	                                the seq the old key's chain ends at (its replica
	                                holds base+1..seq); else 0 */
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

/* Verify and store one change set (see the file comment), in any of its
 * transport forms (sync/envelope.h: plain, zstd-compressed, or sealed to
 * this aggregator's key), opened first with at most LB_WIRE_MAX_BYTES of
 * change set: what is checked and stored is always the plain change set,
 * so receipts and stored bytes do not depend on the form.  On success r
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

/* The walk behind lb_agg_export_log, for other readers of a replica (the
 * API's record history): in one read transaction, origin gets the
 * origin's state (may be NULL), then entry gets every entry 1..seq as
 * stored, and head each stored head right after the entry it covers.
 * Bytes are borrowed for the call; a callback's error ends the walk and
 * is returned.  The callbacks must not call other lb_agg functions.
 * Errors: LB_EUNKNOWN_ORIGIN, LB_ECORRUPT, LB_ESTORE, the callbacks'. */
struct lb_agg_walk {
	lb_err (*origin)(void *ctx, const struct lb_agg_origin *o, struct lb_diag *d);
	lb_err (*entry)(void *ctx, uint64_t seq, const uint8_t *raw, size_t len, struct lb_diag *d);
	lb_err (*head)(void *ctx, uint64_t seq, const uint8_t *raw, size_t len, struct lb_diag *d);
	void *ctx;
};
lb_err lb_agg_walk_log(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES],
                       const struct lb_agg_walk *w, struct lb_diag *d);

/* lb_agg_walk_log from seq `from` (0 is taken as 1) instead of 1: the
 * entries from..seq with their heads, for a reader that already has the
 * rest (the PostgreSQL mirror, mirror.h).  A callback's error ends the
 * walk and is returned as it is (a reader may stop early that way).
 * Errors as lb_agg_walk_log. */
lb_err lb_agg_walk_log_from(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], uint64_t from,
                            const struct lb_agg_walk *w, struct lb_diag *d);

/* One village's log from seq `from` (>= 1; 0 is taken as 1) as an
 * archive on out, for the village to restore its node from
 * (GET /v1/villages/{code}/log, docs/FORMAT.md): header (source
 * "aggregator", the village, origin the chain's key, "from" when > 1),
 * the entries from..seq byte for byte with their stored heads, then one
 * receipt frame signed now for the held seq (none when nothing is held),
 * trailer.  One read transaction.  The village's active key is served
 * (else its last revoked one).  Errors: LB_EINVAL (not a desa code, or
 * from past the held seq + 1: the message says where it stands),
 * LB_ENOTFOUND (no key enrolled for the village), LB_ECORRUPT, LB_ESTORE,
 * the writer's.  On error out holds a partial archive without trailer. */
lb_err lb_agg_export_village(struct lb_agg *a, const char *village, uint64_t from, FILE *out,
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

/* When the origin's proven fork was resolved (agg/resolved.c): the origin
 * pushed entries past it that extend the history held here (the village
 * adopted this branch, `lumbung repair`).  *seq: the first of those
 * entries, 0 when there is no fork or the latest is not resolved.
 * LB_EUNKNOWN_ORIGIN, LB_ESTORE. */
lb_err lb_agg_fork_resolved(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES],
                            uint64_t *seq, struct lb_diag *d);

/*
 * Successions (succeed.c, docs/FORMAT.md "Succession"): a village whose
 * key was lost continues its chain under a new key.  Database `succ`:
 * 'o' || old key (32) -> the stored succession (node/succession.h, signed
 * by this aggregator), 'n' || new key (32) -> the same bytes.
 */

/* The office at the aggregator where village is enrolled: in one
 * transaction this aggregator signs a succession "new_key continues
 * village after its active key OLD's seq N (hash H)" at the N it holds, as
 * its next statement in `stmts` (it travels up with the enrolment
 * statements), revokes OLD (its entries past N are refused from now on,
 * naming the succession), enrols new_key for village and starts its state
 * at (N, H, OLD's Merkle frontier).  *out (may be NULL) gets the
 * succession.  LB_ENOTFOUND: village has no active key here; LB_EEXIST:
 * new_key is enrolled already (for any village, revoked or not);
 * LB_EINVAL: nothing held of OLD (N = 0: enrol the new key instead), a bad
 * or outside village, a read-only handle; LB_ENOMEM, LB_ESTORE. */
lb_err lb_agg_succeed(struct lb_agg *a, const char *village, const uint8_t new_key[LB_PK_BYTES],
                      struct lb_succession *out, struct lb_diag *d);

/* The succession held for key: as_new false, the one that retired key;
 * true, the one key continues.  s (may be NULL) gets it opened; *raw (may
 * be NULL) a malloc'd copy of its signed bytes (*len), the caller frees.
 * LB_ENOTFOUND when none; LB_ECORRUPT; LB_ENOMEM; LB_ESTORE. */
lb_err lb_agg_succession(struct lb_agg *a, const uint8_t key[LB_PK_BYTES], bool as_new,
                         struct lb_succession *s, uint8_t **raw, size_t *len, struct lb_diag *d);

/* A village's whole chain as the archive a restoring node adopts
 * (agg/export_village.c, docs/FORMAT.md §9): header (source "aggregator",
 * origin: the chain's FIRST key, walking the successions back from the
 * village's active key; "from" when from > 1), the entries with seq >=
 * from of each key in turn with their stored heads, a [7, succession]
 * frame right after each head N that ends a key's chain, and at the end
 * one receipt frame [3, our key, receipt] signed now for the held seq (as
 * ingest signs them), then the trailer.  from 0 is taken as 1.  One read
 * transaction; one frame in memory.  LB_ENOTFOUND: no key is enrolled for
 * village (or from is past what is held); LB_EINVAL: not a desa code;
 * LB_ECORRUPT; LB_ESTORE; the writer's LB_EIO / LB_EFULL / LB_ENOMEM (a
 * partial archive without a trailer is then left on out).  The receipt
 * needs this aggregator's key: on a read-only handle, LB_EINVAL. */
lb_err lb_agg_export_village(struct lb_agg *a, const char *village, uint64_t from, FILE *out,
                             struct lb_diag *d);

/*
 * The village directory (directory.c): names of villages and kecamatan.
 * A village's name is given by the office (lumbung-agg enroll --name) or
 * learnt from the village (the name it gave at `lumbung init --name`,
 * sent with its pushes, docs/FORMAT.md §8); the office's name wins and is
 * never replaced by a learnt one.  A kecamatan is named by the office
 * only.  Names are 1..LB_AGG_NAME_MAX bytes of UTF-8 without control
 * characters; they are not escaped when stored, so a caller putting one
 * into a message or log escapes it (lb_escape), and a CSV writer guards it.
 * Every call works on a read-only handle except the two that store.
 */
#define LB_AGG_NAME_MAX 128

enum lb_agg_name_src {
	LB_AGG_NAME_NONE = 0,   /* no name held */
	LB_AGG_NAME_OFFICE = 1, /* given by the office */
	LB_AGG_NAME_LEARNT = 2, /* sent by the village */
};

/* Is name acceptable (see above)?  LB_EINVAL or LB_ETOOBIG naming what
 * is wrong (the name escaped). */
lb_err lb_agg_name_check(const char *name, struct lb_diag *d);

/* The office names code: a desa code or a kecamatan code (PP.KK.CC)
 * inside the region; replaces any name held.  LB_EINVAL for a bad code or
 * name, or a code outside the region; LB_ETOOBIG; LB_ESTORE. */
lb_err lb_agg_set_name(struct lb_agg *a, const char *code, const char *name, struct lb_diag *d);

/* A name the village sent (origin: its enrolled key): stored for the
 * village origin is enrolled for only when no name is held, so *stored
 * (may be NULL) is true only for the first.  LB_EUNKNOWN_ORIGIN when
 * origin is not enrolled or revoked; errors as lb_agg_set_name. */
lb_err lb_agg_learn_name(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], const char *name,
                         bool *stored, struct lb_diag *d);

/* The name of a village (desa code) / kecamatan (PP.KK.CC), copied into
 * the caller's buffer out (NUL-terminated; "" when none is held, which is
 * not an error); *src (may be NULL) says where it came from.  LB_EINVAL
 * for a code of the wrong level; LB_ESTORE. */
lb_err lb_agg_village_name(struct lb_agg *a, const char *village, char out[LB_AGG_NAME_MAX + 1],
                           enum lb_agg_name_src *src, struct lb_diag *d);
lb_err lb_agg_region_name(struct lb_agg *a, const char *kecamatan, char out[LB_AGG_NAME_MAX + 1],
                          struct lb_diag *d);

/* Every name held, villages and kecamatan, in byte order of code (a
 * kecamatan before its villages), from one read transaction.  code and
 * name are NUL-terminated and borrowed for the call.  cb returns non-zero
 * to stop (not an error) and must not call other lb_agg functions.
 * LB_ESTORE. */
typedef int (*lb_agg_name_cb)(void *ctx, const char *code, const char *name,
                              enum lb_agg_name_src src);
lb_err lb_agg_names(struct lb_agg *a, lb_agg_name_cb cb, void *ctx, struct lb_diag *d);

/*
 * Consolidated records (records.c): the live records of the view, read
 * from the replica entries the view points to.  All of these read one
 * transaction (a consistent snapshot while ingest runs), work on a
 * read-only handle and keep one record in memory at a time.
 */
enum lb_agg_format { LB_AGG_CSV, LB_AGG_JSONL, LB_AGG_XLSX };

struct lb_agg_export_opts {
	const char *type;      /* record type (required) */
	const char *village;   /* a desa code: that village only, or NULL */
	const char *kecamatan; /* a kecamatan code: its villages only, or NULL */
	enum lb_agg_format format;
	char sep;              /* CSV separator (0: ';') */
	bool excel;            /* CSV: digit strings as ="..." (as lumbung export --excel) */
	FILE *out;             /* CSV, JSON lines */
	const char *xlsx_path; /* XLSX: the file to write (replaced) */
};

/* Every live record of o->type in the chosen villages, in village then id
 * order: columns desa (code) and nama_desa (directory name, "" for none),
 * then the columns of `lumbung export` for the type.  CSV: csvio.h's
 * writer (BOM, header row, every cell quoted); JSON lines: one object per
 * record {"desa", "nama_desa", "id", "record": body as `lumbung get`
 * prints it}; XLSX: one sheet named after the type, a header row, text
 * as text, numbers as numbers.  *rows (may be NULL) gets the records
 * written.  Errors: LB_ESCHEMA for a type the schema does not know;
 * LB_EINVAL for a bad village/kecamatan code, both given, or one outside
 * the region; LB_ENOTFOUND for a village that is not enrolled; LB_EIO /
 * LB_EFULL writing; LB_ECORRUPT when the view points at a missing or
 * damaged entry; LB_ESTORE; LB_ENOMEM.  On error the output is partial. */
lb_err lb_agg_export_records(struct lb_agg *a, const struct lb_agg_export_opts *o, uint64_t *rows,
                             struct lb_diag *d);

/* The live ids of type in village, in byte order; cb gets each id
 * (borrowed, not NUL-terminated) and returns non-zero to stop.  Errors as
 * lb_agg_export_records. */
typedef int (*lb_agg_id_cb)(void *ctx, const char *id, size_t len);
lb_err lb_agg_ls(struct lb_agg *a, const char *type, const char *village, lb_agg_id_cb cb,
                 void *ctx, struct lb_diag *d);

/* The current body of record type/id of village: a malloc'd copy of the
 * canonical msgpack map into *body (caller frees).  LB_ENOTFOUND when the
 * record is not live there; other errors as lb_agg_export_records. */
lb_err lb_agg_get(struct lb_agg *a, const char *type, const char *village, const char *id,
                  uint8_t **body, size_t *len, struct lb_diag *d);

/* One page of the live records of type in village, in id byte order,
 * from one read transaction: the records after the id `after` (NULL or
 * "": from the first), at most limit of them.  cb gets each id (not
 * NUL-terminated) and its canonical msgpack body, both borrowed for the
 * call, and returns non-zero to stop.  *more is set when records follow
 * the page.  Paging with `after` = the last id of the previous page gives
 * every record live through all the pages exactly once, also while
 * ingest runs.  Errors as lb_agg_get, and LB_EINVAL for a bad `after`. */
typedef int (*lb_agg_rec_cb)(void *ctx, const char *id, size_t id_len, const uint8_t *body,
                             size_t body_len);
lb_err lb_agg_page(struct lb_agg *a, const char *type, const char *village, const char *after,
                   size_t limit, lb_agg_rec_cb cb, void *ctx, bool *more, struct lb_diag *d);

#endif
