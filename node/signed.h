/*
 * signed.h — the one signer and opener of lumbung's signed messages.
 *
 * Signed heads (docs/FORMAT.md §4) and aggregator receipts (§8) have one
 * shape, stored and sent as
 *
 *   signature (64 bytes) || message
 *
 * where the message is a canonical msgpack array
 *
 *   [ tag (str), version (uint), fields... ]
 *
 * and the signature is Ed25519 over exactly the message bytes (nobody
 * re-serialises before verifying).  The tag and version make a signature
 * of one kind useless as a signature of any other kind.
 *
 * This module does the shape; the modules of each kind (head.c,
 * sync/receipt.c) write and read their own fields with the lb_mp_put_* /
 * lb_mp_read_* functions in between:
 *
 *   signing   at = lb_signed_begin(out, &kind);   -- slot, header, tag, version
 *             lb_mp_put_...(out, ...);             -- kind.count - 2 fields
 *             e = lb_signed_end(out, at, key);     -- signs the message in place
 *
 *   opening   e = lb_signed_open(&s, &kind, buf, len, d);
 *             lb_mp_read_...(&s.rd, ...);          -- the fields
 *             lb_signed_name(&s, "...", ...);      -- optional: a better name
 *             e = lb_signed_check(&s, pk, expect, signer, d);
 *
 * The signature check is the last step, after the fields are read, because
 * the key to check against may be one of them (a head names its origin) or
 * come from the caller (a receipt is checked against the aggregator key the
 * village remembers).
 */
#ifndef LB_SIGNED_H
#define LB_SIGNED_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/mp.h"
#include "key.h"

/* A kind of signed message. */
struct lb_signed_kind {
	const char *tag;  /* element 0, e.g. "lumbung-head" */
	uint64_t version; /* element 1: the one version this build reads and writes */
	uint32_t count;   /* the array's element count, tag and version included */
	const char *what; /* its name in error messages, e.g. "signed head" */
};

/* Start a signed message of kind k at the end of out: reserve the
 * signature slot, then write the array header (k->count), the tag and the
 * version.  Returns the offset of the slot, for lb_signed_end.  Cannot
 * fail by itself; out->oom reports a failed allocation (lb_signed_end
 * checks it). */
size_t lb_signed_begin(struct lb_mp_buf *out, const struct lb_signed_kind *k);

/* Sign everything written after the slot at `at` with key and fill the
 * slot.  The caller must have written exactly k->count - 2 fields since
 * lb_signed_begin.  LB_ENOMEM when out ran out of memory (out then holds
 * no usable message). */
lb_err lb_signed_end(struct lb_mp_buf *out, size_t at, const struct lb_key *key);

/* An opened signed message: everything borrowed from the caller's buffer. */
struct lb_signed {
	const struct lb_signed_kind *kind;
	const uint8_t *sig; /* the 64-byte signature */
	const uint8_t *msg; /* the message: what the signature covers */
	size_t msg_len;
	struct lb_mp_rd rd; /* bounded to the message, at the first field after the version */
	char name[96];      /* what errors call it: kind->what, or set by lb_signed_name */
};

/* Open buf[0..len) as a signed message of kind k, without checking the
 * signature (see lb_signed_check).  Checks, in this order, each failing
 * with LB_EMALFORMED naming what was expected: room for a signature and a
 * message; an array; its tag (a message of another kind is reported by
 * its tag, whatever its length); its version; its element count.  On
 * success s->rd is positioned at the first field. */
lb_err lb_signed_open(struct lb_signed *s, const struct lb_signed_kind *k, const void *buf,
                      size_t len, struct lb_diag *d);

/* Name the message in the errors of lb_signed_check (printf format),
 * e.g. "signed head for seq 12"; truncated to fit.  Cannot fail. */
void lb_signed_name(struct lb_signed *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Finish an opened message whose fields the caller has read, in signify's
 * order (the key before the signature):
 *   - nothing may follow the last field: LB_EMALFORMED "NAME: N trailing
 *     bytes after its C fields";
 *   - when expect is not NULL, pk must be expect: LB_ESIG "NAME is signed
 *     by a different key" (a wrong key is reported as such, not as a bad
 *     signature);
 *   - the signature must verify against pk: LB_ESIG "NAME is not signed by
 *     SIGNER" when signer names where pk came from (e.g. "this aggregator's
 *     key"), else (pk is the key the message names) "NAME: signature does
 *     not verify". */
lb_err lb_signed_check(const struct lb_signed *s, const uint8_t pk[LB_PK_BYTES],
                       const uint8_t *expect, const char *signer, struct lb_diag *d);

#endif
