/*
 * wire.h — change sets: what a village sends its aggregator (over HTTP, on
 * a USB stick, or relayed by a kecamatan).
 *
 * A change set is a canonical msgpack map (docs/FORMAT.md §7):
 *
 *   { "entries": [ E1, E2, ... ],      consecutive entries, oldest first
 *     "head":    bin,                  stored signed head covering the last
 *     "origin":  bin32,                the village's public key
 *     "v":       1,
 *     "village": str }                 desa code
 *
 * Each wire entry Ei is the stored entry without its `prev`: the array of
 * the first seven fields.  Byte for byte, stored = 0x98 || wire[1..] ||
 * c4 20 || prev, so the receiver rebuilds the exact signed bytes by
 * chaining: prev of the first entry is the hash it already holds for
 * seq-1 (zeros for seq 1), and the last rebuilt hash must equal the signed
 * head's.  Nothing is re-serialised, and 34 bytes per entry stay home.
 *
 * Decoding is bounded: the body size is capped by the caller, every count
 * is checked against the bytes left (schema/mp.h), and the entry count by
 * LB_WIRE_MAX_ENTRIES.
 */
#ifndef LB_WIRE_H
#define LB_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "../node/entry.h"
#include "../node/head.h"
#include "../schema/err.h"
#include "../schema/mp.h"

#define LB_WIRE_VERSION 1
#define LB_WIRE_MAX_ENTRIES 200000
#define LB_WIRE_MAX_BYTES (64u << 20) /* a change set never exceeds this */

/* The HTTP request header a village names its origin key in (64 hex
 * digits), so the aggregator can refuse an unknown key before reading the
 * body (docs/FORMAT.md §8). */
#define LB_WIRE_ORIGIN_HEADER "X-Lumbung-Origin"

/* The HTTP request header a village sends its name in (the one given at
 * `lumbung init --name`), percent-encoded UTF-8 (RFC 3986: every byte but
 * ALPHA DIGIT - . _ ~ as %XX).  Optional and outside the change set, so
 * nothing signed changes and an aggregator that does not know it ignores
 * it (docs/FORMAT.md §8). */
#define LB_WIRE_NAME_HEADER "X-Lumbung-Village-Name"

/* The HTTP request header a relaying aggregator (a kecamatan forwarding
 * its villages' logs) names its own key in (64 hex digits).  It is outside
 * the signed bytes and trusted for nothing but showing the route: the
 * receiver checks every village signature as for a direct push. */
#define LB_WIRE_RELAY_HEADER "X-Lumbung-Relay"

/* A decoded change set; entry pointers borrow from the decoded buffer. */
struct lb_changeset {
	char village[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES];
	const uint8_t *head; /* stored signed head (signature || message) */
	size_t head_len;
	size_t n;            /* entries */
	const uint8_t **e;   /* wire entry i: e[i], elen[i] bytes */
	size_t *elen;
	uint64_t first_seq;  /* seq of e[0] */
};

/* Begin/end encoding a change set into out (reset by the caller).  Call
 * lb_wire_begin with the entry count, then lb_wire_add_entry n times with
 * stored entries (consecutive), then lb_wire_end with the stored head.
 * LB_EINVAL if an entry is not a stored entry; LB_ENOMEM. */
lb_err lb_wire_begin(struct lb_mp_buf *out, size_t n, struct lb_diag *d);
lb_err lb_wire_add_entry(struct lb_mp_buf *out, const uint8_t *stored, size_t len,
                         struct lb_diag *d);
lb_err lb_wire_end(struct lb_mp_buf *out, const char *village, const uint8_t origin[LB_PK_BYTES],
                   const uint8_t *head, size_t head_len, struct lb_diag *d);

/* Decode (bounded) buf[0..len) into cs; cs->e/elen are malloc'd (free with
 * lb_changeset_free), the entries borrow from buf.  Checks the shape only:
 * LB_EMALFORMED / LB_ETOOBIG naming what is wrong.  Signature, chain and
 * schema are checked by the receiver (lb_wire_rebuild, lb_head_open). */
lb_err lb_wire_decode(struct lb_changeset *cs, const void *buf, size_t len, struct lb_diag *d);
void lb_changeset_free(struct lb_changeset *cs);

/* Rebuild stored entry i of cs given the hash of the entry before it:
 * writes the stored bytes into out (reset first), decodes them into e
 * (borrowing from out) and their hash into hash.  LB_EMALFORMED when the
 * entry is not canonical or its seq is not first_seq + i. */
lb_err lb_wire_rebuild(const struct lb_changeset *cs, size_t i, const uint8_t prev[LB_HASH_BYTES],
                       struct lb_mp_buf *out, struct lb_entry *e, uint8_t hash[LB_HASH_BYTES],
                       struct lb_diag *d);

#endif
