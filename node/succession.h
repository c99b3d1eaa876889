/*
 * succession.h — a succession statement: an aggregator vouches that a new
 * key continues a village's chain ("origin NEW continues village V after
 * OLD's seq N, hash H"), for a village whose secret key was lost with its
 * PC and not backed up (docs/FORMAT.md, succession).
 *
 * Stored and sent as signature (64) || message, the message the canonical
 * array (signed and opened by node/signed.h):
 *
 *   [ "lumbung-succession", 1, signer (bin32), region (str, the signer's
 *     kabupaten PP.KK or kecamatan PP.KK.CC), n (uint), village (str),
 *     old (bin32), new (bin32), seq (uint), hash (bin32), time_ms (uint) ]
 *
 * n is the signer's statement number: successions are numbered with the
 * signer's enrolment statements (sync/statement.h) and travel up the tree
 * with them.  seq >= 1 is the last entry of the old key's chain (a head of
 * the old key covers it), hash its entry hash.  Heads after seq are signed
 * by new and name it as origin; the entries keep chaining (seq + 1's prev
 * is hash).  The signature proves who vouched; whether that aggregator is
 * trusted is the reader's decision (a node restoring takes the key given
 * to it; lumbung-audit names the signer).
 *
 * It lives in node/ because the node's own verify, the log archive and
 * the auditor all check chains that cross one.
 */
#ifndef LB_SUCCESSION_H
#define LB_SUCCESSION_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "entry.h"
#include "key.h"

#define LB_SUCC_TAG "lumbung-succession"
#define LB_SUCC_MAX_BYTES 320 /* a succession is about 250 bytes */
#define LB_SUCC_REGION_MAX 8  /* "PP.KK.CC" */

struct lb_succession {
	uint8_t signer[LB_PK_BYTES];             /* the aggregator that vouches */
	char region[LB_SUCC_REGION_MAX + 1];     /* its region: PP.KK or PP.KK.CC */
	uint64_t n;                              /* its statement number, from 1 */
	char village[LB_VILLAGE_LEN + 1];
	uint8_t old_key[LB_PK_BYTES];            /* the key whose chain ends at seq */
	uint8_t new_key[LB_PK_BYTES];            /* the key that continues it */
	uint64_t seq;                            /* the old key's last entry, >= 1 */
	uint8_t hash[LB_HASH_BYTES];             /* that entry's hash */
	uint64_t time_ms;                        /* when it was made (the signer's clock) */
};

/* Sign s with key into *out (malloc'd, the caller frees; *len its length).
 * s->signer is written as given (normally key->pk).  LB_EINVAL for a
 * region that is not a kabupaten or kecamatan code, a village that is not
 * a desa code inside it, n or seq 0, old == new; LB_ENOMEM. */
lb_err lb_succession_sign(const struct lb_key *key, const struct lb_succession *s, uint8_t **out,
                          size_t *len, struct lb_diag *d);

/* Decode buf[0..len) into *s (zeroed first) and check its signature
 * against the signer it names; when expect is not NULL the signer must be
 * expect.  LB_EMALFORMED (not a succession, another version, a field of
 * the wrong type, bad codes, a village outside the region, n or seq 0,
 * old == new, trailing bytes, over LB_SUCC_MAX_BYTES), LB_ESIG (a
 * signature that does not verify, or another signer than expect). */
lb_err lb_succession_open(struct lb_succession *s, const void *buf, size_t len,
                          const uint8_t *expect, struct lb_diag *d);

/* "kabupaten 33.24" / "kecamatan 33.24.01" for s's region into out.
 * Cannot fail. */
void lb_succession_who(const struct lb_succession *s, char out[32]);

#endif
