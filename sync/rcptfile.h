/*
 * rcptfile.h — a receipts file: the signed receipts one aggregator gave,
 * carried back on a USB stick (docs/FORMAT.md §15).  `lumbung-agg ingest`
 * writes one beside the change sets it took; `lumbung receipt import`
 * (village) and `lumbung-agg receipt import` (kecamatan) read one and
 * check every receipt before keeping it.
 *
 * A receipts file is one canonical msgpack map:
 *
 *   { "agg":      bin32,               the key that signed the receipts
 *     "kind":     "lumbung-receipts",
 *     "receipts": [ bin, ... ],        receipts as signed (sync/receipt.h)
 *     "v":        1 }
 *
 * The file says who signed, but nothing in it is trusted: each reader
 * checks every receipt against a key it already knows (the file's `agg`
 * only picks which).  The one writer and the one reader are here.
 */
#ifndef LB_RCPTFILE_H
#define LB_RCPTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "../node/key.h"
#include "../schema/err.h"
#include "../schema/mp.h"

#define LB_RCPTFILE_KIND "lumbung-receipts"
#define LB_RCPTFILE_VERSION 1
#define LB_RCPTFILE_MAX_BYTES (16u << 20) /* a larger file is refused unread */
#define LB_RCPTFILE_MAX_RECEIPT 1024u     /* one receipt is about 200 bytes */
#define LB_RCPT_SUFFIX ".receipts"        /* default name: FILE + this */

/* A decoded receipts file; r[i]/len[i] borrow from the decoded bytes (or
 * from buf, which lb_rcptfile_read owns). */
struct lb_rcptfile {
	uint8_t agg[LB_PK_BYTES];
	size_t n;
	const uint8_t **r;
	size_t *len;
	uint8_t *buf; /* lb_rcptfile_read: the file's bytes */
};

/* Encode n receipts signed by agg into out (reset first).  LB_ENOMEM;
 * LB_EINVAL for an empty or oversized receipt. */
lb_err lb_rcptfile_encode(struct lb_mp_buf *out, const uint8_t agg[LB_PK_BYTES],
                          const uint8_t *const *r, const size_t *len, size_t n,
                          struct lb_diag *d);

/* Decode buf[0..len) (bounded: counts checked against the bytes left,
 * size capped at LB_RCPTFILE_MAX_BYTES, each receipt at
 * LB_RCPTFILE_MAX_RECEIPT) into f; f->r/len are malloc'd and borrow from
 * buf: free with lb_rcptfile_free.  Checks the shape only (receipts are
 * checked by whoever keeps them).  LB_EMALFORMED naming what is wrong
 * (another kind, another version, trailing bytes, a map not canonical),
 * LB_ETOOBIG, LB_ENOMEM.  f is zeroed on error. */
lb_err lb_rcptfile_decode(struct lb_rcptfile *f, const void *buf, size_t len, struct lb_diag *d);

/* Read and decode the file at path (at most LB_RCPTFILE_MAX_BYTES; a
 * larger one is refused before it is read whole).  Errors as
 * lb_rcptfile_decode, plus LB_ENOTFOUND / LB_EIO naming the path. */
lb_err lb_rcptfile_read(const char *path, struct lb_rcptfile *f, struct lb_diag *d);

/* Write a receipts file atomically: to a temporary file beside path,
 * flushed to disk, then renamed over path, so a reader never sees half of
 * one.  LB_EIO naming the path (nothing left behind), LB_ENOMEM, LB_EINVAL
 * as lb_rcptfile_encode. */
lb_err lb_rcptfile_write(const char *path, const uint8_t agg[LB_PK_BYTES],
                         const uint8_t *const *r, const size_t *len, size_t n,
                         struct lb_diag *d);

void lb_rcptfile_free(struct lb_rcptfile *f);

#endif
