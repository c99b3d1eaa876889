/*
 * mp.h — bounded msgpack reading and canonical msgpack writing.
 *
 * Reading: msgpack-c's unpacker trusts the element counts an input declares
 * and allocates for them up front (DESIGN §5), so nothing in lumbung hands
 * bytes it did not write itself to msgpack_unpack.  Instead lb_mp_rd is a
 * cursor that decodes one header at a time, never allocates, and refuses a
 * declared count that the remaining bytes cannot possibly hold.
 *
 * Writing: the msgpack-c packer already picks the smallest form of every
 * integer, string and bin header.  lb_mp_buf wraps msgpack_sbuffer so callers
 * can reuse one buffer across many encodings.
 *
 * Canonical form (docs/FORMAT.md §1): integers in their smallest form
 * (non-negative values always as positive fixint/uint*), no floats (no
 * lumbung value is one, and a float has several encodings of one number:
 * -0.0, NaN payloads), str/bin/array/map headers in their smallest form, map
 * keys are strings, unique, sorted bytewise (memcmp, a shorter key before
 * its extensions), strings valid UTF-8 without NUL, no ext types, nesting
 * depth <= LB_MP_MAX_DEPTH: the value skipped is at depth 1, a value inside
 * an array or map of depth d at depth d + 1, scalars counted too.  The
 * reader still decodes a float (kind LB_MP_FLOAT, never canonical) so a
 * lenient walk can step over one.
 */
#ifndef LB_MP_H
#define LB_MP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "err.h"

#define LB_MP_MAX_DEPTH 16

enum lb_mp_kind {
	LB_MP_NIL,
	LB_MP_BOOL,
	LB_MP_UINT,  /* non-negative integer: .u */
	LB_MP_INT,   /* negative integer: .i     */
	LB_MP_FLOAT, /* .f                       */
	LB_MP_STR,   /* .s, .len (payload borrowed from the input) */
	LB_MP_BIN,   /* .s, .len                 */
	LB_MP_ARRAY, /* .len elements follow     */
	LB_MP_MAP,   /* .len key/value pairs follow */
};

struct lb_mp_obj {
	enum lb_mp_kind kind;
	bool canonical;  /* header used the smallest form for its value */
	union {
		bool b;
		uint64_t u;
		int64_t i;
		double f;
	} v;
	const uint8_t *s; /* STR/BIN payload, borrowed from the reader's input */
	uint32_t len;     /* STR/BIN byte length, ARRAY/MAP element count */
};

/* A read cursor over caller-owned bytes.  Initialise with lb_mp_rd_init. */
struct lb_mp_rd {
	const uint8_t *p;
	const uint8_t *end;
};

static inline void lb_mp_rd_init(struct lb_mp_rd *r, const void *buf, size_t len)
{
	r->p = (const uint8_t *)buf;
	r->end = r->p + len;
}

static inline size_t lb_mp_rd_left(const struct lb_mp_rd *r)
{
	return (size_t)(r->end - r->p);
}

/* Decode the next header (and, for str/bin, take the payload).  An
 * ARRAY/MAP count is refused when the remaining bytes cannot hold that many
 * elements (each needs at least one byte).  Ext types are refused.
 * Returns LB_OK or LB_EMALFORMED (message in d); on error r is unchanged. */
lb_err lb_mp_next(struct lb_mp_rd *r, struct lb_mp_obj *o, struct lb_diag *d);

/* Read the next value and require its kind; convenience wrappers that fail
 * with LB_EMALFORMED naming `what` (e.g. "entry seq"). */
lb_err lb_mp_read_uint(struct lb_mp_rd *r, uint64_t *out, const char *what, struct lb_diag *d);
lb_err lb_mp_read_str(struct lb_mp_rd *r, const uint8_t **s, uint32_t *len, const char *what,
                      struct lb_diag *d);
/* A bin of exactly n bytes. */
lb_err lb_mp_read_binn(struct lb_mp_rd *r, const uint8_t **s, uint32_t n, const char *what,
                       struct lb_diag *d);
/* An array header with exactly n elements. */
lb_err lb_mp_read_array(struct lb_mp_rd *r, uint32_t n, const char *what, struct lb_diag *d);

/* Skip one complete value (recursively), refusing nesting deeper than
 * LB_MP_MAX_DEPTH.  When `canonical` is true also refuse any value that is
 * not in canonical form (see above).  LB_EMALFORMED with a message. */
lb_err lb_mp_skip(struct lb_mp_rd *r, bool canonical, struct lb_diag *d);
/* lb_mp_skip of a value that holds record bodies `outer` levels down (a
 * change set: map, entries array, wire entry = 3), so each body is allowed
 * LB_MP_MAX_DEPTH levels of its own, as when it is checked alone. */
lb_err lb_mp_skip_within(struct lb_mp_rd *r, bool canonical, int outer, struct lb_diag *d);

/* The value of key name (NUL-terminated) in the map buf[0..len) (a record
 * body) into *out: its kind and scalar value, or for a string its bytes
 * (borrowed from buf).  false when buf is not a map, the key is absent,
 * or the bytes before it do not read.  Never reports: a caller that must
 * say why checks the body first (lb_mp_check_body). */
bool lb_mp_map_get(const void *buf, size_t len, const char *name, struct lb_mp_obj *out);

/* Check that buf[0..len) is exactly one canonical msgpack map (a record
 * body).  LB_EMALFORMED naming what is wrong. */
lb_err lb_mp_check_body(const void *buf, size_t len, struct lb_diag *d);

/* ---- writing ---------------------------------------------------------- */

/* A growable output buffer with a msgpack-c packer bound to it.
 * lb_mp_buf_init cannot fail (allocation happens on first write).  Any write
 * failure (out of memory) sets .oom; check it once after encoding.
 * Free with lb_mp_buf_free. */
struct lb_mp_buf {
	msgpack_sbuffer sb;
	msgpack_packer pk;
	bool oom;
};

void lb_mp_buf_init(struct lb_mp_buf *b);
void lb_mp_buf_reset(struct lb_mp_buf *b); /* keep capacity, drop contents */
void lb_mp_buf_free(struct lb_mp_buf *b);

/* Append primitives in canonical form.  On allocation failure set b->oom. */
void lb_mp_put_uint(struct lb_mp_buf *b, uint64_t v);
void lb_mp_put_int(struct lb_mp_buf *b, int64_t v);
void lb_mp_put_bool(struct lb_mp_buf *b, bool v);
void lb_mp_put_nil(struct lb_mp_buf *b);
void lb_mp_put_str(struct lb_mp_buf *b, const void *s, size_t len);
void lb_mp_put_cstr(struct lb_mp_buf *b, const char *s);
void lb_mp_put_bin(struct lb_mp_buf *b, const void *s, size_t len);
void lb_mp_put_array(struct lb_mp_buf *b, uint32_t n);
void lb_mp_put_map(struct lb_mp_buf *b, uint32_t n);
/* Append already-encoded msgpack bytes verbatim. */
void lb_mp_put_raw(struct lb_mp_buf *b, const void *s, size_t len);

#endif
