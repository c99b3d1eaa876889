/*
 * entry.h — change entries: the unit of the append-only log.
 *
 * An entry is encoded canonically (docs/FORMAT.md) as a msgpack array of 8:
 *
 *   [ seq, ts, op, type, id, body, schema, prev ]
 *
 *   seq     uint   position in the log, from 1
 *   ts      uint   hybrid logical clock (hlc.h)
 *   op      uint   0 = put, 1 = del
 *   type    str    record type, [a-z_]{1,32}
 *   id      str    record id, 1..128 bytes UTF-8
 *   body    map    the record (canonical map) for put; nil for del
 *   schema  uint   schema version the entry was written under
 *   prev    bin32  hash of entry seq-1; 32 zero bytes for seq 1
 *
 * The entry hash is BLAKE2b-256 of exactly those bytes.  Because the
 * encoding is canonical, decoding and re-encoding gives the same bytes, so
 * a signature or hash over stored bytes never depends on a serialiser.
 */
#ifndef LB_ENTRY_H
#define LB_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "merkle.h"
#include "../schema/mp.h"

enum lb_op { LB_OP_PUT = 0, LB_OP_DEL = 1 };

#define LB_BODY_MAX (64 * 1024) /* bytes of one encoded record body */

/* A decoded (or to-be-encoded) entry.  Pointer members are borrowed: from
 * the caller when encoding, from the decoded buffer when decoding. */
struct lb_entry {
	uint64_t seq;
	uint64_t ts;
	enum lb_op op;
	const char *type; /* not NUL-terminated when decoded: use type_len */
	size_t type_len;
	const char *id;
	size_t id_len;
	const uint8_t *body; /* canonical msgpack map, NULL for del */
	size_t body_len;
	uint32_t schema;
	uint8_t prev[LB_HASH_BYTES];
};

/* Append the canonical encoding of e to out (which the caller owns; use
 * lb_mp_buf_reset first to encode into an empty buffer).  Does not validate
 * e: callers validate type, id and body before building entries.
 * LB_ENOMEM when the buffer could not grow. */
lb_err lb_entry_encode(struct lb_mp_buf *out, const struct lb_entry *e);

/* Decode buf[0..len) into e (borrowing from buf).  Checks the structure is
 * exactly the canonical 8-element form with valid type, id and a canonical
 * body map; LB_EMALFORMED naming the field otherwise. */
lb_err lb_entry_decode(struct lb_entry *e, const void *buf, size_t len, struct lb_diag *d);

/* lb_entry_decode for an entry read back from this node's own store (every
 * body was fully checked when it was written, and `lumbung verify` checks
 * them all again): the body's bytes are bounded and framed but not
 * re-checked for canonical form, which makes scans of many records (find)
 * about a third faster.  Never for bytes from anyone else. */
lb_err lb_entry_decode_stored(struct lb_entry *e, const void *buf, size_t len,
                              struct lb_diag *d);

/* BLAKE2b-256 of buf[0..len).  Cannot fail. */
void lb_hash(uint8_t out[LB_HASH_BYTES], const void *buf, size_t len);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void lb_hex(char *out, const uint8_t *b, size_t n);

/* Check e against the schema version it names: a put's body with
 * lb_schema_validate (references through refs; NULL: not checked), a del's
 * type exists.  LB_ESCHEMA (or the validator's code) with a message that
 * starts "seq N: TYPE ID (schema version V): ", or that says the version is
 * unknown to this build.  The one rule for the node, the aggregator and the
 * auditor. */
struct lb_refs;
lb_err lb_entry_check_schema(const struct lb_entry *e, const struct lb_refs *refs,
                             struct lb_diag *d);

/* Parse exactly 2n hex digits into out.  LB_EINVAL if malformed. */
lb_err lb_unhex(uint8_t *out, size_t n, const char *hex);

#endif
