/*
 * bundle.h — a kecamatan's bundle for its kabupaten, carried on a USB
 * stick (docs/FORMAT.md §15): many change sets (and enrolment statement
 * batches) in one file, with a trailer so that a truncated copy is told
 * apart from a complete one.
 *
 *   "LCB1"                       magic (4 bytes)
 *   frame*                       u32 BE length || that many bytes
 *   trailer frame                { "frames": N, "kind": "end" }, N = the
 *                                frames before it; nothing may follow
 *
 * A frame is a change set (wire.h, a map whose first key is "entries", or
 * that change set compressed or sealed: envelope.h, told by its magic) or
 * a statements batch (the body of POST /v1/statements, first key
 * "statements").  Frames carry no trust of their own: the receiver checks
 * each as if it had arrived alone, so one bad frame costs only itself.
 *
 * Reading is bounded: one frame in memory at a time, at most
 * LB_BUNDLE_MAX_FRAME bytes, whatever the file's size.
 */
#ifndef LB_BUNDLE_H
#define LB_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"

#define LB_BUNDLE_MAGIC "LCB1"
#define LB_BUNDLE_MAGIC_LEN 4
#define LB_BUNDLE_MAX_FRAME (64u << 20) /* = LB_WIRE_MAX_BYTES */

enum lb_bundle_kind {
	LB_BUNDLE_CHANGESET,  /* a change set */
	LB_BUNDLE_STATEMENTS, /* an enrolment statements batch */
	LB_BUNDLE_OTHER,      /* a frame of a kind this build does not know */
};

/* Writing: lb_bundle_begin writes the magic, lb_bundle_put one frame,
 * lb_bundle_end the trailer (and flushes).  LB_EIO naming what failed,
 * LB_ETOOBIG for a frame over LB_BUNDLE_MAX_FRAME or an empty one. */
struct lb_bundle_w {
	FILE *f;         /* borrowed */
	uint64_t frames; /* frames put so far */
};
lb_err lb_bundle_begin(struct lb_bundle_w *w, FILE *out, struct lb_diag *d);
lb_err lb_bundle_put(struct lb_bundle_w *w, const void *frame, size_t len, struct lb_diag *d);
lb_err lb_bundle_end(struct lb_bundle_w *w, struct lb_diag *d);

/* Does buf (len >= LB_BUNDLE_MAGIC_LEN) start with the bundle magic? */
bool lb_bundle_is(const void *buf, size_t len);

/* Reading, one frame at a time. */
struct lb_bundle_r {
	FILE *f;         /* borrowed */
	uint64_t frames; /* frames read so far (the trailer not counted) */
	bool ended;      /* the trailer was read and checked */
	uint8_t *buf;    /* the current frame (owned; freed by lb_bundle_close) */
	size_t cap;
};

/* Read and check the magic.  LB_EMALFORMED "not a bundle", LB_EIO. */
lb_err lb_bundle_open(struct lb_bundle_r *r, FILE *in, struct lb_diag *d);

/* The next frame: *frame borrows r's buffer until the next call, *kind
 * says what it holds (from its first key only: the receiver checks the
 * rest).  At the trailer, it is checked (its count must be the frames
 * read, nothing may follow it), r->ended is set and LB_ENOTFOUND is
 * returned.  Errors, after which the rest of the file cannot be framed:
 * LB_EMALFORMED (truncated — the message says after which frame —, a bad
 * trailer, bytes after it), LB_ETOOBIG (a frame longer than
 * LB_BUNDLE_MAX_FRAME), LB_ENOMEM, LB_EIO. */
lb_err lb_bundle_next(struct lb_bundle_r *r, enum lb_bundle_kind *kind, const uint8_t **frame,
                      size_t *len, struct lb_diag *d);

void lb_bundle_close(struct lb_bundle_r *r);

#endif
