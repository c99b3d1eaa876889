/*
 * statement.h — an aggregator's signed enrolment statement: "I (signer)
 * enrolled / revoked origin for village, as my statement number n"
 * (docs/FORMAT.md, enrolment statements).  A kecamatan aggregator's
 * enrolments travel up the tree as these; the kabupaten applies them only
 * for villages inside the kecamatan it enrolled the signer for (agg/tree.h).
 * It lives in the wire layer, beside the receipt, so anybody can check one
 * without the aggregator's code.
 */
#ifndef LB_STATEMENT_H
#define LB_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "../node/key.h"
#include "../node/succession.h"
#include "../schema/err.h"
#include "../schema/text.h"

/* Stored and sent as signature (64) || message, the message being the
 * canonical array (signed and opened by node/signed.h)
 *   [ "lumbung-enrol", 1, signer (bin32), n (uint), action ("enrol" or
 *     "revoke"), village (str, a desa code), origin (bin32), time_ms (uint) ] */
#define LB_STMT_TAG "lumbung-enrol"
#define LB_STMT_MAX_BYTES 256 /* a statement is about 160 bytes */

/* LB_STMT_SUCCEED: not a statement of this layout but a succession
 * (node/succession.h), numbered in the same log and sent in the same
 * batches; lb_statement_open recognises it by its tag. */
enum lb_stmt_action { LB_STMT_ENROL = 1, LB_STMT_REVOKE = 2, LB_STMT_SUCCEED = 3 };

struct lb_statement {
	uint8_t signer[LB_PK_BYTES]; /* the aggregator that made it */
	uint64_t n;                  /* its statement number, from 1, no gaps */
	enum lb_stmt_action action;
	char village[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES]; /* the village key enrolled or revoked */
	uint64_t time_ms;            /* when the signer made it (its clock) */
	struct lb_succession succ;   /* LB_STMT_SUCCEED: the succession (origin is
	                                its new key, village and n its own) */
};

/* "enrol" / "revoke" / "succeed" (for messages). */
const char *lb_statement_action_str(enum lb_stmt_action a);

/* Sign st with key into *out (malloc'd, the caller frees it; *len its
 * length).  st->signer is written as given (normally key->pk; the tests
 * forge statements naming another signer).  LB_EINVAL for an action that
 * is neither, a village that is not a desa code or n 0; LB_ENOMEM. */
lb_err lb_statement_sign(const struct lb_key *key, const struct lb_statement *st, uint8_t **out,
                         size_t *len, struct lb_diag *d);

/* Decode buf[0..len) into *st (zeroed first) and check its signature
 * against the signer it names; when expect is not NULL that signer must be
 * expect.  A succession (tag LB_SUCC_TAG) is opened with
 * lb_succession_open instead and comes back as action LB_STMT_SUCCEED with
 * st->succ filled (signer, n, village, time_ms copied from it, origin =
 * its new key), its errors those of lb_succession_open.  LB_EMALFORMED
 * (not a statement, unknown version, a field of the
 * wrong type, an unknown action, a village that is not a desa code, n 0,
 * trailing bytes, longer than LB_STMT_MAX_BYTES), LB_ESIG (signed by
 * another key than the one it names, or naming another signer than
 * expect). */
lb_err lb_statement_open(struct lb_statement *st, const void *buf, size_t len,
                         const uint8_t *expect, struct lb_diag *d);

#endif
