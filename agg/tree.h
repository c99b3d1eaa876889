/*
 * tree.h — enrolment through the tree (docs/FORMAT.md, enrolment
 * statements): a kabupaten aggregator enrols kecamatan aggregators, and the
 * enrolments each kecamatan makes travel up as statements it signed, which
 * the kabupaten applies only for villages inside that kecamatan.  Also the
 * route and lag the kabupaten records per village.
 *
 * LMDB databases (beside those of agg.h):
 *
 *   stmts    n (8, BE)       -> this aggregator's own signed statement n
 *                               (sync/statement.h), one per enrolment or
 *                               revocation made here, in the same
 *                               transaction as the enrolment, or a
 *                               succession it signed (node/succession.h)
 *   aggs     key (32)        -> kecamatan code (8) || revoked (1) || last
 *                               statement n applied (8, BE)
 *   enrolby  origin (32)     -> the aggregator key (32) whose statement
 *                               enrolled it (absent: the office here)
 *   routes   origin (32)     -> via (32; zeros: direct) || received ms (8)
 *                               || signed head's time ms (8): the change
 *                               set that last brought new entries
 *
 * A store made before these has them created when opened for writing; a
 * read-only handle on such a store has none (listings are empty, writes
 * refused).
 */
#ifndef LB_AGG_TREE_H
#define LB_AGG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/mp.h"
#include "../sync/push.h"
#include "../sync/statement.h"
#include "agg.h"

#define LB_KEC_LEN 8             /* "PP.KK.CC" */
#define LB_STMT_BATCH_MAX 512    /* statements in one POST /v1/statements */

/* An aggregator enrolled here (for a kecamatan inside our region). */
struct lb_agg_aggregator {
	uint8_t key[LB_PK_BYTES];
	char region[LB_KEC_LEN + 1];
	bool revoked;
	uint64_t applied; /* its last statement n applied (or refused) here */
};

/* Enrol key as the aggregator of kecamatan region (PP.KK.CC, strictly
 * inside this aggregator's region).  Enrolling it again for the same
 * kecamatan restores a revoked key and keeps how far its statements were
 * applied.  LB_EINVAL for a bad or outside code, a read-only handle;
 * LB_EEXIST when key is enrolled for another kecamatan or the kecamatan
 * has another active aggregator (revoke it first); LB_ESTORE. */
lb_err lb_agg_enroll_aggregator(struct lb_agg *a, const char *region,
                                const uint8_t key[LB_PK_BYTES], struct lb_diag *d);

/* Stop applying key's statements (what it enrolled stays enrolled; revoke
 * those villages one by one if needed).  LB_EUNKNOWN_ORIGIN when key is
 * not an enrolled aggregator; LB_EINVAL read-only; LB_ESTORE. */
lb_err lb_agg_revoke_aggregator(struct lb_agg *a, const uint8_t key[LB_PK_BYTES],
                                struct lb_diag *d);

/* The aggregator key into *o.  LB_EUNKNOWN_ORIGIN when not enrolled (the
 * message says how to enrol it); LB_ESTORE. */
lb_err lb_agg_aggregator(struct lb_agg *a, const uint8_t key[LB_PK_BYTES],
                         struct lb_agg_aggregator *o, struct lb_diag *d);

/* Every aggregator enrolled here, in key order, from one read transaction
 * (o borrowed for the call; cb returns non-zero to stop and must not call
 * other lb_agg functions).  LB_ECORRUPT, LB_ESTORE. */
typedef int (*lb_agg_aggregator_cb)(void *ctx, const struct lb_agg_aggregator *o);
lb_err lb_agg_aggregators(struct lb_agg *a, lb_agg_aggregator_cb cb, void *ctx,
                          struct lb_diag *d);

/* Where a village's data came from and who enrolled it. */
struct lb_agg_route {
	bool known;                   /* a change set brought new entries */
	bool via;                     /* relayed by an aggregator enrolled here */
	uint8_t via_key[LB_PK_BYTES];
	uint64_t received_ms;         /* when that change set was stored */
	uint64_t head_ms;             /* the time of its signed head */
	bool by_agg;                  /* enrolled by an aggregator's statement */
	uint8_t by_key[LB_PK_BYTES];  /* (else by the office here) */
};

/* The route and enroller of origin into *r (zeroed when nothing is
 * known).  LB_ESTORE. */
lb_err lb_agg_route(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_agg_route *r,
                    struct lb_diag *d);

/* lb_agg_ingest, told which aggregator relayed the change set (its key
 * from LB_WIRE_RELAY_HEADER, or NULL for a village pushing itself or a
 * USB stick).  When the change set brings new entries the route is stored
 * in the same transaction: via relay when relay is an aggregator enrolled
 * here, not revoked, whose kecamatan contains the village; otherwise
 * direct (the header is trusted for nothing else).  Errors as
 * lb_agg_ingest. */
lb_err lb_agg_ingest_via(struct lb_agg *a, const void *body, size_t len, const uint8_t *relay,
                         struct lb_agg_result *r, struct lb_diag *d);

/* lb_agg_ingest_via, also told the origin the request named before its
 * body was read (LB_WIRE_ORIGIN_HEADER; NULL: none): a change set of
 * another origin is LB_EMALFORMED, nothing stored.  Every body, plain,
 * compressed or sealed (sync/envelope.h), is opened here with the
 * aggregator's own key, at most LB_WIRE_MAX_BYTES of change set (LB_ETOOBIG
 * beyond, LB_EMALFORMED for a corrupt stream, LB_ESIG for a sealed body
 * that does not open: altered, or sealed to another aggregator); a
 * read-only handle has no key and refuses (LB_EINVAL).  Errors as
 * lb_agg_ingest otherwise. */
lb_err lb_agg_ingest_from(struct lb_agg *a, const void *body, size_t len, const uint8_t *relay,
                          const uint8_t *origin, struct lb_agg_result *r, struct lb_diag *d);

/* One statement the apply refused (it still counts as applied: n moves
 * on, so one conflict does not block the rest). */
struct lb_agg_stmt_refusal {
	uint64_t n;
	lb_err code;              /* LB_EWRONG_VILLAGE, LB_EEXIST, LB_EUNKNOWN_ORIGIN, LB_EINVAL */
	char message[LB_DIAG_MAX]; /* peer bytes in it are escaped */
};

struct lb_agg_stmt_result {
	uint64_t seq;     /* the signer's last n applied after the call */
	size_t applied;   /* statements applied (enrolments that changed or not) */
	size_t old;       /* statements already applied before, ignored */
	size_t nrefused;
	struct lb_agg_stmt_refusal *refused; /* malloc'd, free it (also on error) */
};

/* Apply a POST /v1/statements body ({statements: [bin...], v: 1}) in one
 * write transaction: every statement must open (sync/statement.h) and name
 * one signer, which must be an aggregator enrolled here and not revoked
 * (and expect when not NULL); their n must be consecutive.  Statements up
 * to the signer's applied n are ignored; the first new one must be
 * applied + 1.  Each new one is applied as lb_agg_enroll / lb_agg_revoke
 * would (recorded as enrolled by the signer; this aggregator signs a
 * statement of its own for each change), or refused when its village is
 * outside the signer's kecamatan (LB_EWRONG_VILLAGE; a revocation also
 * when the key is enrolled for another village) or the enrolment
 * conflicts (LB_EEXIST, LB_EUNKNOWN_ORIGIN).  A succession in the batch
 * (LB_STMT_SUCCEED) is applied as agg_succeed_in does (agg/succeed.c: this
 * aggregator signs its own succession for it), or refused the same ways
 * (LB_EWRONG_VILLAGE outside the signer's kecamatan, LB_EUNKNOWN_ORIGIN
 * for an old key not active here for that village, LB_EEXIST for a new
 * key enrolled already, LB_EINVAL for a seq/hash disagreeing with what is
 * held).  Errors (nothing applied):
 * LB_EMALFORMED, LB_ETOOBIG (more than LB_STMT_BATCH_MAX), LB_ESIG,
 * LB_EUNKNOWN_ORIGIN (signer not enrolled or revoked), LB_EGAP (r->seq
 * says where the signer stands), LB_EINVAL (read-only), LB_ESTORE. */
lb_err lb_agg_apply_statements(struct lb_agg *a, const uint8_t *expect, const void *body,
                               size_t len, struct lb_agg_stmt_result *r, struct lb_diag *d);

/* This aggregator's own statements from n = from, at most max of them:
 * cb gets each one's n and signed bytes (borrowed for the call; non-zero
 * stops).  *last (may be NULL) gets the highest n held (0: none).
 * LB_ESTORE. */
typedef int (*lb_agg_stmt_cb)(void *ctx, uint64_t n, const uint8_t *s, size_t len);
lb_err lb_agg_statements(struct lb_agg *a, uint64_t from, size_t max, lb_agg_stmt_cb cb, void *ctx,
                         uint64_t *last, struct lb_diag *d);

/* Our statements from n = from (at most LB_STMT_BATCH_MAX, stopping at a
 * hole) as one POST /v1/statements body ({statements: [bin...], v: 1})
 * into body (reset first; the caller owns it); *n gets how many (0: none
 * from there, body empty).  The one batch encoder: sending and bundles
 * use it.  LB_ENOMEM, LB_ESTORE. */
lb_err lb_agg_statements_batch(struct lb_agg *a, uint64_t from, struct lb_mp_buf *body,
                               size_t *n, struct lb_diag *d);

/* Send the upstream on p's connection the statements of ours it lacks:
 * ask GET /v1/aggregators/{our key}, then POST /v1/statements in batches
 * from its seq + 1.  *sent gets how many statements it took (applied or
 * refused there: the refusals are logged by the upstream).  Nothing is
 * asked when we have made no statement.  Errors: LB_ENET; the upstream's
 * refusal (LB_EUNKNOWN_ORIGIN: we are not enrolled there as an
 * aggregator; LB_ESIG ...) via lb_push_refusal; LB_EREFUSED for a reply
 * we cannot use; LB_ESTORE. */
lb_err lb_agg_send_statements(struct lb_agg *a, struct lb_pusher *p, uint64_t *sent,
                              struct lb_diag *d);

/* The HTTP side (agg/http.c): each writes a canonical msgpack reply into
 * out (reset first) and returns the HTTP status; log (may be NULL) gets a
 * line for every refusal.  The POST's X-Lumbung-Origin header value (or
 * NULL) goes to lb_agg_tree_admit before the body is read. */
typedef void (*lb_agg_tree_log)(void *ctx, const char *line);
unsigned lb_agg_tree_get(struct lb_agg *a, const char *hex, struct lb_mp_buf *out,
                         lb_agg_tree_log log, void *ctx);
/* Check the header of a POST /v1/statements: a key naming an aggregator
 * enrolled here goes into expect (*has set); a revoked one is refused
 * (LB_EUNKNOWN_ORIGIN); any other key is not the signer's claim (a
 * connection also used for a village's push may still name it) and is
 * ignored: every statement's own signature is what counts.  LB_EMALFORMED
 * for a value that is not 64 hex digits. */
lb_err lb_agg_tree_admit(struct lb_agg *a, const char *header, uint8_t expect[LB_PK_BYTES],
                         bool *has, struct lb_diag *d);
unsigned lb_agg_tree_post(struct lb_agg *a, const uint8_t *expect, const void *body, size_t len,
                          struct lb_mp_buf *out, lb_agg_tree_log log, void *ctx);

#endif
