/*
 * archive.h — the log archive (.lla): a village's signed history in one
 * self-contained file an auditor can check without trusting the village,
 * the aggregator or the network (docs/FORMAT.md §9).
 *
 *   magic    "LUMBUNG-LLA\n" then the byte 0x01 (13 bytes)
 *   frames   each: length (u32 big-endian, 1..LB_LLA_FRAME_MAX), then that
 *            many bytes holding one canonical msgpack array:
 *     [0, header]                 first frame: a map
 *                                 {"origin": bin32, "source": "node"|"aggregator",
 *                                  "v": 1, "village": str}, and for a
 *                                 tail of a log (an aggregator serving a
 *                                 village from seq k > 1) first the key
 *                                 "from": k; the origin is the key that
 *                                 signed the chain's first head (a
 *                                 succession may change it later);
 *                                 "village" is the log's owner code:
 *                                 a desa, or the kabupaten/kecamatan of
 *                                 a catalogue (lb_log_owner_ok)
 *     [1, entry]                  a stored entry (bin), in seq order from 1
 *     [2, head]                   a stored signed head (bin), right after the
 *                                 entry it covers
 *     [3, agg_key, receipt]       an aggregator's signed receipt (bin32, bin),
 *                                 right after the head of the same seq
 *     [4, ours, theirs]           fork evidence (bin, bin): two stored signed
 *                                 heads of the origin that cannot both be
 *                                 true: "ours" the head the aggregator held
 *                                 covering the first differing seq, "theirs"
 *                                 the rival change set's head (often, not
 *                                 always, of the same seq)
 *     [5, trailer]                last frame: a map {"entries": n, "forks": n,
 *                                 "heads": n, "receipts": n}; a file without
 *                                 it was cut short ("entries" counts kinds 1
 *                                 and 6)
 *     [7, succession]             a succession statement (node/succession.h,
 *                                 bin): right after the head of the seq it
 *                                 names; heads after it are signed by the
 *                                 statement's new key
 *     [6, branch, entry]          an entry of fork evidence (uint 0 or 1,
 *                                 bin): after its [4, ...] frame, the stored
 *                                 entries from the first differing seq up
 *                                 to "ours" (branch 0), then up to "theirs"
 *                                 (branch 1), each in seq order
 *
 * Frames are numbered from 1 (the header) in messages; byte offsets count
 * from the start of the file, so the header frame is at byte 13.
 *
 * The entry and head bytes are exactly the signed bytes, so nothing is
 * re-serialised between the village and the auditor.  Reading is streaming
 * and bounded: one frame in memory at a time, whatever the file's size.
 *
 * Thread safety: no global state; one writer or reader per thread.
 */
#ifndef LB_ARCHIVE_H
#define LB_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"
#include "../schema/mp.h"
#include "entry.h"
#include "head.h"
#include "key.h"
#include "node.h"

#define LB_LLA_MAGIC "LUMBUNG-LLA\n\x01"
#define LB_LLA_MAGIC_LEN 13
#define LB_LLA_VERSION 1 /* the header's "v" */
#define LB_LLA_FRAME_MAX (LB_BODY_MAX + 4096) /* an entry with the largest body, framed */

enum lb_lla_kind {
	LB_LLA_HEADER = 0,
	LB_LLA_ENTRY = 1,
	LB_LLA_HEAD = 2,
	LB_LLA_RECEIPT = 3,
	LB_LLA_FORK = 4,
	LB_LLA_TRAILER = 5,
	LB_LLA_FORK_ENTRY = 6,
	LB_LLA_SUCCESSION = 7,
};

struct lb_lla_header {
	char village[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES];
	char source[16]; /* "node" or "aggregator" */
	uint64_t from;   /* the first entry's seq: 1 for a whole log (0 written as 1) */
};

struct lb_lla_trailer {
	uint64_t entries, heads, receipts, forks;
	uint64_t successions; /* frames of kind 7 written (not in the trailer frame) */
};

/* One frame as read; pointers borrow from the reader's buffer until the
 * next lb_lla_next. */
struct lb_lla_frame {
	enum lb_lla_kind kind;
	const uint8_t *a; /* entry / head / agg_key / ours */
	size_t alen;
	const uint8_t *b; /* receipt / theirs */
	size_t blen;
	unsigned branch;  /* kind FORK_ENTRY: 0 ours, 1 theirs (the entry is a) */
	struct lb_lla_header header;   /* kind HEADER */
	struct lb_lla_trailer trailer; /* kind TRAILER */
};

/* Writing.  lb_lla_writer_init (cannot fail), then lb_lla_write_header
 * (which writes the magic first), then frames in the order above, then
 * lb_lla_write_trailer (which writes the counts kept in w->count and
 * flushes f), then lb_lla_writer_free (frees the buffer, not the FILE).
 * Frame data is copied: the caller's pointers are borrowed for the call.
 *
 * Every write call returns:
 *   LB_EIO       fwrite/fflush failed; the message names why (strerror).
 *   LB_EFULL     the same, for ENOSPC ("disk full").  After either the
 *                writer is dead: every later call returns that code
 *                again, so checking only the trailer's result is enough
 *                to know the file is whole.
 *   LB_EINVAL    a frame before the header or after the trailer, a second
 *                header, an empty entry/head/receipt, a header whose
 *                village is not an owner code (lb_log_owner_ok) or whose source is not "node"
 *                or "aggregator".  Nothing is written.
 *   LB_ETOOBIG   the frame would exceed LB_LLA_FRAME_MAX.  Nothing is
 *                written; the writer stays usable.
 *   LB_ENOMEM    nothing is written.
 * The struct is public only so it can live on the stack: use the calls. */
struct lb_lla_writer {
	FILE *f;
	struct lb_mp_buf buf;        /* one frame, length prefix included */
	struct lb_lla_trailer count; /* frames written so far, by kind */
	lb_err err;                  /* LB_EIO/LB_EFULL once a write failed */
	int errnum;                  /* its errno */
	bool started, finished;      /* header / trailer written */
};
void lb_lla_writer_init(struct lb_lla_writer *w, FILE *f);
void lb_lla_writer_free(struct lb_lla_writer *w);
lb_err lb_lla_write_header(struct lb_lla_writer *w, const struct lb_lla_header *h, struct lb_diag *d);
lb_err lb_lla_write_entry(struct lb_lla_writer *w, const void *entry, size_t len, struct lb_diag *d);
lb_err lb_lla_write_head(struct lb_lla_writer *w, const void *head, size_t len, struct lb_diag *d);
lb_err lb_lla_write_receipt(struct lb_lla_writer *w, const uint8_t agg_key[LB_PK_BYTES],
                            const void *receipt, size_t len, struct lb_diag *d);
lb_err lb_lla_write_fork(struct lb_lla_writer *w, const void *ours, size_t olen,
                         const void *theirs, size_t tlen, struct lb_diag *d);
/* A succession statement (kind 7), right after the head of its seq. */
lb_err lb_lla_write_succession(struct lb_lla_writer *w, const void *stmt, size_t len,
                               struct lb_diag *d);
/* An entry of the fork evidence just written (branch 0: the held history,
 * up to "ours"; 1: the rival one, up to "theirs"); LB_EINVAL for another
 * branch. */
lb_err lb_lla_write_fork_entry(struct lb_lla_writer *w, unsigned branch, const void *entry,
                               size_t len, struct lb_diag *d);
lb_err lb_lla_write_trailer(struct lb_lla_writer *w, struct lb_diag *d);

/* Reading.  lb_lla_reader_open reads and checks the magic from f's
 * current position (LB_EMALFORMED "not a lumbung log archive", or naming
 * an unsupported format byte; LB_EIO).  To read a file again, rewind it and
 * open the reader again.
 *
 * lb_lla_next reads one frame into fr; fr's pointers borrow from the
 * reader's buffer until the next lb_lla_next or lb_lla_reader_close.
 * Returns:
 *   LB_OK         a frame, decoded strictly for its kind: canonical array,
 *                 known kind, exact element count and types, header and
 *                 trailer maps with exactly their keys in sorted order, a
 *                 supported "v", an owner code (lb_log_owner_ok), no trailing bytes;
 *   LB_ENOTFOUND  a clean end of file between two frames (also right after
 *                 the magic); whether a trailer came is the caller's check;
 *   LB_EMALFORMED a bad frame, a length of 0, or a file cut inside a length
 *                 or payload; the message starts "archive frame N (byte
 *                 OFF)" (N counts from 1, OFF is where its length starts);
 *   LB_ETOOBIG    a length over LB_LLA_FRAME_MAX (refused before anything
 *                 is allocated for it);
 *   LB_EIO, LB_ENOMEM.
 * After any error but LB_ENOTFOUND the reader is stopped: later calls
 * return the same code.  The reader does not check order, hashes or
 * signatures: that is the verifier's job.  Memory: one buffer of at most
 * LB_LLA_FRAME_MAX bytes.  Close with lb_lla_reader_close, also after a
 * failed open. */
struct lb_lla_reader {
	FILE *f;
	uint8_t *buf;
	size_t cap;
	uint64_t frame;  /* frames read so far */
	uint64_t offset; /* byte offset of the next frame */
	lb_err err;      /* set once reading failed */
};
lb_err lb_lla_reader_open(struct lb_lla_reader *r, FILE *f, struct lb_diag *d);
lb_err lb_lla_next(struct lb_lla_reader *r, struct lb_lla_frame *fr, struct lb_diag *d);
void lb_lla_reader_close(struct lb_lla_reader *r); /* frees the buffer, not the FILE */

/* A node's whole log as an archive on out: header (source "node", the
 * node's village, and as origin the chain's first key: the node's own, or
 * when the chain crossed successions (adopt.h) the first one's old key),
 * every entry from seq 1, after each entry the signed head stored at its
 * seq if any, after a head the succession kept for its seq if any (kind
 * 7), then the receipts this node kept for that seq (in aggregator key
 * order), trailer.  One read
 * transaction: a consistent snapshot while others write.  The node may be
 * opened read-only.  Memory is bounded (one frame, plus one key per
 * aggregator the node holds receipts from), whatever the log's size.
 * Errors: the writer's (LB_EFULL for a full disk), LB_ESTORE, LB_ECORRUPT
 * (a head that covers no entry), LB_ENOMEM.  On error out holds a partial
 * archive without a trailer; the caller removes it. */
lb_err lb_node_export_log(struct lb_node *n, FILE *out, struct lb_diag *d);

/* The tail of the log from seq from on (from 1: the whole log, as
 * lb_node_export_log): header "from" when from > 1, with as origin the key
 * signing at from; entries >= from with their heads, successions and
 * receipts.  from may be the tip + 1 (no entries); past it: LB_EINVAL.
 * Otherwise as lb_node_export_log. */
lb_err lb_node_export_log_from(struct lb_node *n, uint64_t from, FILE *out, struct lb_diag *d);

#endif
