/*
 * verify.c — the streaming verifier of log archives (lb_audit_verify in
 * audit.h).
 *
 * The archive is read once, in batches of consecutive frames.  Each frame's
 * work splits in two:
 *
 *   independent  decode the entry, hash it (BLAKE2b-256) and its Merkle
 *                leaf, validate its body against its own schema version;
 *                open (decode + Ed25519-check) heads, receipts and fork
 *                heads.  Needs nothing but the frame and the signer key.
 *   ordered      seq continuity, the prev chain, rising time, the Merkle
 *                frontier, heads against the entries before them, receipts
 *                against the last head, the trailer's counts.  Needs the
 *                state left by every earlier frame.
 *
 * The independent half is almost all of the CPU time (three hashes per
 * entry, schema validation, one signature per head), so with worker
 * threads the reading thread hands whole batches to a pool and applies the
 * ordered half to finished batches strictly in file order.  A batch holds
 * copies of its frames, so at most NRING batches are alive: memory is
 * bounded by the batch limits, not by the archive.
 *
 * Failures keep the file's order.  A worker records, per frame, whether
 * decoding or the schema failed (and the message of its batch's first
 * failure); the ordered pass reports it when it reaches that frame, at the
 * point node/verify.c would: decode errors before the chain checks, schema
 * errors after them.  So the first failure in the file is the one reported,
 * whatever the thread count.
 */
#define _POSIX_C_SOURCE 200809L
#include "audit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../node/chain.h"
#include "../../node/hlc.h"
#include "../../node/merkle.h"
#include "../../schema/schema.h"
#include "../../schema/text.h"
#include "../../schema/i18n.h"

enum stage { ST_OK = 0, ST_DECODE, ST_SCHEMA };

struct slot {
	uint8_t kind;  /* enum lb_lla_kind */
	uint8_t stage; /* enum stage, set by the worker */
	uint8_t branch; /* kind FORK_ENTRY */
	uint32_t aoff, alen, boff, blen;
	uint64_t frame;
	union {
		struct {
			struct lb_entry e; /* borrows from the batch buffer */
			uint8_t hash[LB_HASH_BYTES], leaf[LB_HASH_BYTES];
		} ent;
		struct lb_head head;
		struct lb_receipt rc;
		struct {
			struct lb_head ours, theirs;
		} fork;
		struct lb_lla_trailer tr;
	} u;
};

struct batch {
	uint8_t *buf;
	size_t len, cap;
	struct slot *s;
	size_t n;
	bool done; /* the worker half has run (guarded by the pool mutex) */
	/* The batch's first worker failure (err_at == n: none). */
	size_t err_at;
	lb_err err;
	char msg[LB_DIAG_MAX];
};

struct verifier {
	const struct lb_audit_opts *o;
	struct lb_audit_report *r;
	struct lb_diag *d;

	/* ordered state: the rules of the history are node/chain.h's */
	struct lb_chain chain; /* entries 1..r->last_seq */
	uint8_t head_key[LB_PK_BYTES]; /* the key that signed the last head */
	uint64_t succ_seq;     /* seq of the last succession crossed (0: none) */
	uint8_t (*keys)[LB_PK_BYTES]; /* the chain's keys so far: the signer, then */
	size_t nkeys;                 /* each succession's new key */
	bool trailer_seen;
	bool aggregator;             /* the header's source is "aggregator" */
	uint64_t rcpt_seq;           /* seq of the last receipt taken (0: none) */
	uint8_t rcpt_key[LB_PK_BYTES]; /* and its aggregator key */
	uint64_t fork_k;             /* first differing seq of the last evidence */
	bool blame;                  /* a prev link broke at blame_seq: decide on the next frame */
	uint64_t blame_seq, blame_frame, last_entry_frame;
	uint8_t blame_hash[LB_HASH_BYTES];

	/* fork evidence being read: a kind-4 frame, then its kind-6 entries,
	 * branch 0 (the held history, up to "ours") then 1 (the rival's) */
	struct {
		bool open;
		uint64_t frame;
		struct lb_head heads[2];
		struct lb_chain chain[2];
		uint64_t first[2]; /* seq of the branch's first entry (0: none yet) */
		uint8_t first_prev[2][LB_HASH_BYTES], first_hash[2][LB_HASH_BYTES];
		unsigned branch;   /* the branch of the last entry read */
	} fk;

	/* the batch ring and the pool (threads > 0) */
	struct batch *ring;
	unsigned nring;
	uint64_t submitted, taken, consumed;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	bool stop;
	pthread_t th[LB_AUDIT_THREADS_MAX];
	unsigned nth;
};

/* ---- the independent half (any thread) ----------------------------------- */


static void work_slot(const struct verifier *v, struct batch *b, size_t i)
{
	struct slot *s = &b->s[i];
	const uint8_t *a = b->buf + s->aoff, *bb = b->buf + s->boff;
	struct lb_diag d = {0};
	enum stage st = ST_OK;
	lb_err e = LB_OK;

	(void)v;
	switch (s->kind) {
	case LB_LLA_ENTRY:
		lb_hash(s->u.ent.hash, a, s->alen);
		lb_merkle_leaf(s->u.ent.leaf, s->u.ent.hash);
		if ((e = lb_entry_decode(&s->u.ent.e, a, s->alen, &d)))
			st = ST_DECODE;
		else if ((e = lb_entry_check_schema(&s->u.ent.e, NULL, &d)))
			st = ST_SCHEMA;
		break;
	case LB_LLA_HEAD:
		/* the key the head names: which key the chain expects at this
		 * point (a succession may change it) is the ordered half's */
		if ((e = lb_head_open(&s->u.head, a, s->alen, NULL, &d)))
			st = ST_DECODE;
		break;
	case LB_LLA_RECEIPT:
		if (s->alen != LB_PK_BYTES)
			e = lb_fail(&d, LB_EMALFORMED, "the aggregator key is %u bytes, not %d", s->alen,
			            LB_PK_BYTES);
		else
			e = lb_receipt_open(&s->u.rc, bb, s->blen, a, &d);
		if (e)
			st = ST_DECODE;
		break;
	case LB_LLA_FORK_ENTRY:
		lb_hash(s->u.ent.hash, a, s->alen);
		lb_merkle_leaf(s->u.ent.leaf, s->u.ent.hash);
		if ((e = lb_entry_decode(&s->u.ent.e, a, s->alen, &d)))
			st = ST_DECODE;
		break;
	case LB_LLA_FORK:
		if ((e = lb_head_open(&s->u.fork.ours, a, s->alen, NULL, &d)))
			lb_diag_prefix(&d, "first head");
		else if ((e = lb_head_open(&s->u.fork.theirs, bb, s->blen, NULL, &d)))
			lb_diag_prefix(&d, "second head");
		if (e)
			st = ST_DECODE;
		break;
	default:
		break;
	}
	s->stage = (uint8_t)st;
	if (st != ST_OK && b->err_at == b->n) {
		b->err_at = i;
		b->err = e;
		memcpy(b->msg, d.msg, sizeof b->msg);
	}
}

static void work_batch(const struct verifier *v, struct batch *b)
{
	b->err_at = b->n;
	for (size_t i = 0; i < b->n; i++)
		work_slot(v, b, i);
}

static void *worker(void *arg)
{
	struct verifier *v = arg;

	pthread_mutex_lock(&v->mu);
	for (;;) {
		struct batch *b;
		while (!v->stop && v->taken == v->submitted)
			pthread_cond_wait(&v->work, &v->mu);
		if (v->stop)
			break;
		b = &v->ring[v->taken++ % v->nring];
		pthread_mutex_unlock(&v->mu);
		work_batch(v, b);
		pthread_mutex_lock(&v->mu);
		b->done = true;
		pthread_cond_broadcast(&v->done);
	}
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

/* ---- the ordered half (the calling thread) --------------------------------- */

/* Fail at entry seq (also the frame) with a message "seq N: why". */
static lb_err bad_seq(struct verifier *v, const struct slot *s, uint64_t seq, lb_err code,
                      const char *why)
{
	v->r->bad_seq = seq;
	v->r->bad_frame = s ? s->frame : 0;
	return lb_fail(v->d, code, "seq %llu: %s", (unsigned long long)seq, why);
}

/* A worker's failure at slot s, prefixed as the frame kind needs. */
static lb_err worker_fail(struct verifier *v, const struct batch *b, const struct slot *s)
{
	struct lb_diag *d = v->d;
	lb_err e = b->err;

	v->r->bad_frame = s->frame;
	if (d) {
		d->code = e;
		memcpy(d->msg, b->msg, sizeof d->msg);
	}
	switch (s->kind) {
	case LB_LLA_ENTRY:
		v->r->bad_seq = v->r->last_seq + 1;
		if (s->stage == ST_SCHEMA)
			return e; /* check_schema's message already starts "seq N: " */
		lb_diag_prefix(d, "seq %llu: entry does not decode (altered or damaged)",
		               (unsigned long long)v->r->last_seq + 1);
		if (d)
			d->code = LB_ECORRUPT;
		return LB_ECORRUPT;
	case LB_LLA_HEAD:
		v->r->bad_seq = v->r->last_seq;
		lb_diag_prefix(d, "seq %llu: signed head", (unsigned long long)v->r->last_seq);
		return e;
	case LB_LLA_RECEIPT:
		v->r->bad_seq = v->r->last_seq;
		lb_diag_prefix(d, "seq %llu: receipt", (unsigned long long)v->r->last_seq);
		return e;
	default:
		lb_diag_prefix(d, "frame %llu: fork evidence", (unsigned long long)s->frame);
		return e;
	}
}

/* A prev link broke at v->blame_seq; next is the frame after that entry
 * (NULL at the end of the archive).  If the entry still chains forward, it
 * is intact and the one before it was altered. */
static lb_err blame(struct verifier *v, const struct slot *next)
{
	bool forward = false;
	uint64_t k = v->blame_seq;
	lb_err e;

	if (next && next->kind == LB_LLA_HEAD && next->stage == ST_OK && next->u.head.seq == k)
		forward = memcmp(next->u.head.hash, v->blame_hash, LB_HASH_BYTES) == 0;
	else if (next && next->kind == LB_LLA_ENTRY && next->stage != ST_DECODE &&
	         next->u.ent.e.seq == k + 1)
		forward = memcmp(next->u.ent.e.prev, v->blame_hash, LB_HASH_BYTES) == 0;
	if (forward && k > 1) {
		e = bad_seq(v, NULL, k - 1, LB_ECORRUPT,
		            "entry was altered: its hash no longer matches the prev of the next entry");
		v->r->bad_frame = v->last_entry_frame;
		return e;
	}
	e = bad_seq(v, NULL, k, LB_ECORRUPT, "prev does not match the hash of the entry before it");
	v->r->bad_frame = v->blame_frame;
	return e;
}

static lb_err take_entry(struct verifier *v, const struct batch *b, const struct slot *s)
{
	struct lb_audit_report *r = v->r;
	const struct lb_entry *e = &s->u.ent.e;
	uint64_t expect = r->last_seq + 1;
	lb_err err;

	if (s->stage == ST_DECODE)
		return worker_fail(v, b, s);
	if (r->receipts && v->aggregator)
		return bad_seq(v, s, expect, LB_ECORRUPT,
		               "an entry after the receipt of an aggregator's archive (its one "
		               "receipt comes after its last head)");
	if ((err = lb_chain_entry(&v->chain, e, s->u.ent.hash, s->u.ent.leaf, v->d))) {
		switch (v->chain.fault) {
		case LB_CHAIN_SEQ:
			v->r->bad_seq = expect;
			v->r->bad_frame = s->frame;
			if (!memcmp(e->prev, v->chain.hash, LB_HASH_BYTES))
				return lb_fail(v->d, LB_ECORRUPT,
				               "seq %llu: entry says it is seq %llu but chains right after "
				               "seq %llu (its seq field was altered)",
				               (unsigned long long)expect, (unsigned long long)e->seq,
				               (unsigned long long)r->last_seq);
			return err;
		case LB_CHAIN_PREV:
			v->blame = true;
			v->blame_seq = e->seq;
			v->blame_frame = s->frame;
			memcpy(v->blame_hash, s->u.ent.hash, LB_HASH_BYTES);
			return LB_OK; /* decided by the next frame */
		default:
			r->bad_seq = e->seq;
			r->bad_frame = s->frame;
			return err;
		}
	}
	if (s->stage == ST_SCHEMA)
		return worker_fail(v, b, s);
	if (!r->entries) {
		r->first_ts = e->ts;
		r->schema_min = r->schema_max = e->schema;
	}
	if (e->schema < r->schema_min)
		r->schema_min = e->schema;
	if (e->schema > r->schema_max)
		r->schema_max = e->schema;
	r->last_ts = e->ts;
	r->last_seq = e->seq;
	r->entries++;
	v->last_entry_frame = s->frame;
	if (v->o->hooks.entry && (err = v->o->hooks.entry(v->o->hooks.ctx, e, s->u.ent.hash, v->d))) {
		r->bad_seq = e->seq;
		r->bad_frame = s->frame;
		return err;
	}
	return LB_OK;
}

static lb_err take_head(struct verifier *v, const struct batch *b, const struct slot *s)
{
	struct lb_audit_report *r = v->r;
	const struct lb_head *h = &s->u.head;
	lb_err err;

	if (s->stage != ST_OK)
		return worker_fail(v, b, s);
	if (memcmp(h->origin, v->chain.origin, LB_PK_BYTES) != 0) {
		struct lb_head tmp;
		/* the same refusal the expected key gives ("signed by a different key") */
		err = lb_head_open(&tmp, b->buf + s->aoff, s->alen, v->chain.origin, v->d);
		r->bad_seq = r->last_seq;
		r->bad_frame = s->frame;
		lb_diag_prefix(v->d, "seq %llu: signed head", (unsigned long long)r->last_seq);
		return err ? err : LB_ESIG;
	}
	if (h->seq > r->last_seq) {
		r->bad_seq = r->last_seq + 1;
		r->bad_frame = s->frame;
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: entry is missing (a signed head for seq %llu follows entry "
		               "%llu)",
		               (unsigned long long)r->last_seq + 1, (unsigned long long)h->seq,
		               (unsigned long long)r->last_seq);
	}
	if (h->seq == 0 || h->seq < r->last_seq)
		return bad_seq(v, s, h->seq, LB_ECORRUPT,
		               "signed head out of place (heads follow the entry they cover)");
	if (h->seq == r->last_head_seq)
		return bad_seq(v, s, h->seq, LB_ECORRUPT, "a second signed head for the same seq");
	if ((err = lb_chain_head(&v->chain, h, v->d))) {
		r->bad_seq = h->seq;
		r->bad_frame = s->frame;
		return err;
	}
	r->heads++;
	r->last_head_seq = h->seq;
	memcpy(v->head_key, h->origin, LB_PK_BYTES);
	if (v->o->hooks.head && (err = v->o->hooks.head(v->o->hooks.ctx, h, v->d))) {
		r->bad_frame = s->frame;
		return err;
	}
	return LB_OK;
}

bool lb_audit_pinned(const struct lb_audit_opts *o, const uint8_t k[LB_PK_BYTES])
{
	for (size_t i = 0; o && i < o->n_agg_keys; i++)
		if (!memcmp(o->agg_keys[i], k, LB_PK_BYTES))
			return true;
	return false;
}

static lb_err take_receipt(struct verifier *v, const struct batch *b, const struct slot *s)
{
	struct lb_audit_report *r = v->r;
	const struct lb_receipt *rc = &s->u.rc;
	uint8_t root[LB_HASH_BYTES];
	char ak[2 * LB_PK_BYTES + 1];
	bool pin;
	lb_err err;

	if (s->stage != ST_OK)
		return worker_fail(v, b, s);
	lb_hex(ak, b->buf + s->aoff, LB_PK_BYTES);
	r->bad_seq = rc->seq;
	r->bad_frame = s->frame;
	if (memcmp(rc->origin, v->chain.origin, LB_PK_BYTES) != 0 &&
	    (r->last_head_seq != rc->seq || memcmp(rc->origin, v->head_key, LB_PK_BYTES) != 0))
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: the receipt of aggregator %.16s is for another village key",
		               (unsigned long long)rc->seq, ak);
	if (r->last_head_seq == 0 || rc->seq != r->last_head_seq || rc->seq != r->last_seq)
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: receipt of aggregator %.16s out of place (receipts follow the "
		               "signed head of the seq they acknowledge; the last head here is seq "
		               "%llu)",
		               (unsigned long long)rc->seq, ak, (unsigned long long)r->last_head_seq);
	if (v->rcpt_seq == rc->seq) {
		int c = memcmp(b->buf + s->aoff, v->rcpt_key, LB_PK_BYTES);
		if (c == 0)
			return lb_fail(v->d, LB_ECORRUPT,
			               "seq %llu: a second receipt of aggregator %.16s for this seq",
			               (unsigned long long)rc->seq, ak);
		if (c < 0)
			return lb_fail(v->d, LB_ECORRUPT,
			               "seq %llu: receipt of aggregator %.16s out of order (the receipts "
			               "of a seq are in byte order of the aggregator key)",
			               (unsigned long long)rc->seq, ak);
	}
	if (v->aggregator && r->receipts)
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: a second receipt in an aggregator's archive (it carries one: "
		               "its own, for what it holds)",
		               (unsigned long long)rc->seq);
	if (memcmp(rc->hash, v->chain.hash, LB_HASH_BYTES) != 0)
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: aggregator %.16s acknowledged another hash for this seq",
		               (unsigned long long)rc->seq, ak);
	lb_merkle_root(&v->chain.m, root);
	if (memcmp(rc->root, root, LB_HASH_BYTES) != 0)
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: aggregator %.16s acknowledged another Merkle root",
		               (unsigned long long)rc->seq, ak);
	r->bad_seq = 0;
	r->bad_frame = 0;
	r->receipts++;
	if ((pin = lb_audit_pinned(v->o, b->buf + s->aoff)))
		r->receipts_pinned++;
	v->rcpt_seq = rc->seq;
	memcpy(v->rcpt_key, b->buf + s->aoff, LB_PK_BYTES);
	if (v->o->hooks.receipt &&
	    (err = v->o->hooks.receipt(v->o->hooks.ctx, b->buf + s->aoff, rc, pin, v->d))) {
		r->bad_frame = s->frame;
		return err;
	}
	return LB_OK;
}

/* Is k one of the chain's keys so far (the signer or a succession's new
 * key)? */
static bool chain_key(const struct verifier *v, const uint8_t k[LB_PK_BYTES])
{
	for (size_t i = 0; i < v->nkeys; i++)
		if (!memcmp(v->keys[i], k, LB_PK_BYTES))
			return true;
	return false;
}

static lb_err add_key(struct verifier *v, const uint8_t k[LB_PK_BYTES])
{
	uint8_t(*p)[LB_PK_BYTES] = realloc(v->keys, (v->nkeys + 1) * sizeof *v->keys);

	if (!p)
		return lb_fail(v->d, LB_ENOMEM, "out of memory");
	v->keys = p;
	memcpy(v->keys[v->nkeys++], k, LB_PK_BYTES);
	return LB_OK;
}

/* A succession (kind 7): after the head of the seq it names (and that
 * head's receipts), before the next entry; one per seq; its signature
 * verifies (by one of opts.agg_keys when given); it fits the chain
 * (lb_chain_succeed).  Opened here, not by a worker: successions are rare
 * and the check needs the chain. */
static lb_err take_succession(struct verifier *v, const struct batch *b, const struct slot *s)
{
	struct lb_audit_report *r = v->r;
	struct lb_succession st;
	lb_err err;

	r->bad_seq = r->last_seq;
	r->bad_frame = s->frame;
	if (!r->last_seq || r->last_head_seq != r->last_seq)
		return lb_fail(v->d, LB_ECORRUPT,
		               "seq %llu: a succession out of place (it follows the signed head of the "
		               "seq it names; the last head here is seq %llu)",
		               (unsigned long long)r->last_seq, (unsigned long long)r->last_head_seq);
	if (v->succ_seq == r->last_seq)
		return lb_fail(v->d, LB_ECORRUPT, "seq %llu: a second succession for the same seq",
		               (unsigned long long)r->last_seq);
	if ((err = lb_succession_open(&st, b->buf + s->aoff, s->alen,
	                              v->o->n_agg_keys == 1 ? v->o->agg_keys[0] : NULL, v->d)) ||
	    (v->o->n_agg_keys > 1 && !lb_audit_pinned(v->o, st.signer) &&
	     (err = lb_fail(v->d, LB_ESIG, "signed by another key than those given")))) {
		if (err == LB_ESIG && v->o->n_agg_keys)
			lb_diag_prefix(v->d, "not signed by an aggregator given with --agg-key");
		lb_diag_prefix(v->d, "seq %llu: succession", (unsigned long long)r->last_seq);
		return err;
	}
	if ((err = lb_chain_succeed(&v->chain, &st, v->d)) || (err = add_key(v, st.new_key)))
		return err;
	if (r->successions < LB_AUDIT_SUCC_SHOW)
		r->succ[r->successions] = st;
	r->successions++;
	v->succ_seq = r->last_seq;
	r->bad_seq = 0;
	r->bad_frame = 0;
	return LB_OK;
}

/* A fork head must be signed by one of the chain's keys; else the refusal
 * the signer's key gives. */
static lb_err fork_key(struct verifier *v, const struct batch *b, const struct slot *s, int which)
{
	const struct lb_head *h = which ? &s->u.fork.theirs : &s->u.fork.ours;
	struct lb_head tmp;
	lb_err e;

	if (chain_key(v, h->origin) &&
	    (!which || !memcmp(h->origin, s->u.fork.ours.origin, LB_PK_BYTES)))
		return LB_OK;
	e = lb_head_open(&tmp, b->buf + (which ? s->boff : s->aoff), which ? s->blen : s->alen,
	                 which ? s->u.fork.ours.origin : v->r->signer, v->d);
	if (!e)
		e = lb_fail(v->d, LB_ESIG, "signed by another key than the first head");
	if (which)
		lb_diag_prefix(v->d, "second head");
	else
		lb_diag_prefix(v->d, "first head");
	lb_diag_prefix(v->d, "frame %llu: fork evidence", (unsigned long long)s->frame);
	v->r->bad_frame = s->frame;
	return e;
}

/* A fork frame opens the evidence; the entries after it are taken by
 * take_fork_entry and the whole is judged by fork_close. */
static lb_err take_fork(struct verifier *v, const struct batch *b, const struct slot *s)
{
	struct lb_audit_report *r = v->r;
	const struct lb_head *a = &s->u.fork.ours, *t = &s->u.fork.theirs;
	lb_err e;

	if (s->stage != ST_OK)
		return worker_fail(v, b, s);
	if ((e = fork_key(v, b, s, 0)) || (e = fork_key(v, b, s, 1)))
		return e;
	if (strcmp(a->village, r->header.village) != 0 || strcmp(t->village, r->header.village) != 0) {
		r->bad_frame = s->frame;
		return lb_fail(v->d, LB_ECORRUPT,
		               "frame %llu: fork evidence: a head names another village than the archive",
		               (unsigned long long)s->frame);
	}
	memset(&v->fk, 0, sizeof v->fk);
	v->fk.open = true;
	v->fk.frame = s->frame;
	v->fk.heads[0] = *a;
	v->fk.heads[1] = *t;
	return LB_OK;
}

static lb_err fork_fail(struct verifier *v, uint64_t frame, const char *fmt, uint64_t x)
{
	v->r->bad_frame = frame;
	lb_fail(v->d, LB_ECORRUPT, fmt, (unsigned long long)v->fk.frame, (unsigned long long)x);
	return LB_ECORRUPT;
}

static lb_err take_fork_entry(struct verifier *v, const struct batch *b, const struct slot *s)
{
	const struct lb_entry *e = &s->u.ent.e;
	unsigned br = s->branch;
	struct lb_chain *c = &v->fk.chain[br];
	lb_err err;

	if (s->stage != ST_OK)
		return worker_fail(v, b, s);
	if (!v->fk.open) {
		v->r->bad_frame = s->frame;
		return lb_fail(v->d, LB_ECORRUPT, "frame %llu: a fork entry outside fork evidence",
		               (unsigned long long)s->frame);
	}
	if (v->fk.first[1] && br == 0)
		return fork_fail(v, s->frame,
		                 "frame %llu: fork evidence: an entry of the held history (seq %llu) "
		                 "after the rival's",
		                 e->seq);
	if (!v->fk.first[br]) {
		if (e->seq == 0)
			return fork_fail(v, s->frame, "frame %llu: fork evidence: an entry of seq %llu",
			                 0);
		lb_chain_init(c, v->r->header.village, v->fk.heads[br].origin);
		lb_chain_resume(c, e->seq - 1, e->prev, 0, NULL);
		v->fk.first[br] = e->seq;
		memcpy(v->fk.first_prev[br], e->prev, LB_HASH_BYTES);
		memcpy(v->fk.first_hash[br], s->u.ent.hash, LB_HASH_BYTES);
	}
	v->fk.branch = br;
	if ((err = lb_chain_entry(c, e, s->u.ent.hash, s->u.ent.leaf, v->d))) {
		v->r->bad_frame = s->frame;
		lb_diag_prefix(v->d, "frame %llu: fork evidence (%s history)",
		               (unsigned long long)s->frame, br ? _("rival") : _("held"));
		return err;
	}
	v->r->fork_entries++;
	return LB_OK;
}

/* Judge the open fork evidence: either two heads of one seq with different
 * hashes, or two signed histories from one common point (the prev of both
 * branches' first entries) whose first entries differ, each chaining
 * (node/chain.h) to its signed head. */
static lb_err fork_close(struct verifier *v)
{
	struct lb_audit_report *r = v->r;
	const struct lb_head *a = &v->fk.heads[0], *t = &v->fk.heads[1];
	uint64_t seq = a->seq;
	lb_err err;

	v->fk.open = false;
	if (!v->fk.first[0] && !v->fk.first[1]) {
		if (a->seq != t->seq) {
			r->bad_frame = v->fk.frame;
			return lb_fail(v->d, LB_ECORRUPT,
			               "frame %llu: fork evidence: the heads are for seq %llu and %llu; "
			               "signed heads of different seqs prove no fork by themselves (the "
			               "entries from the first differing seq would)",
			               (unsigned long long)v->fk.frame, (unsigned long long)a->seq,
			               (unsigned long long)t->seq);
		}
		if (memcmp(a->hash, t->hash, LB_HASH_BYTES) == 0)
			return fork_fail(v, v->fk.frame,
			                 "frame %llu: fork evidence: both heads sign the same hash at seq "
			                 "%llu (no fork)",
			                 a->seq);
	} else {
		if (!v->fk.first[0] || !v->fk.first[1])
			return fork_fail(v, v->fk.frame,
			                 "frame %llu: fork evidence: entries of one history only (from "
			                 "seq %llu)",
			                 v->fk.first[0] ? v->fk.first[0] : v->fk.first[1]);
		seq = v->fk.first[0];
		if (v->fk.first[1] != seq ||
		    memcmp(v->fk.first_prev[0], v->fk.first_prev[1], LB_HASH_BYTES) != 0)
			return fork_fail(v, v->fk.frame,
			                 "frame %llu: fork evidence: the two histories do not start from "
			                 "the same entry (held from seq %llu)",
			                 seq);
		if (memcmp(v->fk.first_hash[0], v->fk.first_hash[1], LB_HASH_BYTES) == 0)
			return fork_fail(v, v->fk.frame,
			                 "frame %llu: fork evidence: both histories have the same entry "
			                 "at seq %llu (no fork there)",
			                 seq);
		for (int i = 0; i < 2; i++)
			if ((err = lb_chain_head(&v->fk.chain[i], &v->fk.heads[i], v->d))) {
				r->bad_frame = v->fk.frame;
				lb_diag_prefix(v->d, "frame %llu: fork evidence (%s history)",
				               (unsigned long long)v->fk.frame, i ? _("rival") : _("held"));
				return err;
			}
	}
	if (r->forks && seq <= v->fork_k)
		return fork_fail(v, v->fk.frame,
		                 "frame %llu: fork evidence out of order: at seq %llu after the evidence "
		                 "at a later or the same seq (one per seq, in rising order)",
		                 seq);
	v->fork_k = seq;
	if (!r->forks)
		r->fork_seq = seq;
	r->forks++;
	if (v->o->hooks.fork && (err = v->o->hooks.fork(v->o->hooks.ctx, a, t, seq, v->d))) {
		r->bad_frame = v->fk.frame;
		return err;
	}
	return LB_OK;
}

static lb_err take_trailer(struct verifier *v, const struct slot *s)
{
	struct lb_audit_report *r = v->r;
	const struct lb_lla_trailer *t = &s->u.tr;

	if (r->last_seq && r->last_head_seq != r->last_seq)
		return bad_seq(v, s, r->last_seq, LB_ECORRUPT,
		               "entry is not covered by a signed head (appended without signing)");
	r->bad_frame = s->frame;
	if (t->entries != r->entries + r->fork_entries || t->heads != r->heads ||
	    t->receipts != r->receipts || t->forks != r->forks)
		return lb_fail(v->d, LB_ECORRUPT,
		               "frame %llu: the trailer counts %llu entries, %llu heads, %llu receipts, "
		               "%llu forks but the archive holds %llu, %llu, %llu, %llu",
		               (unsigned long long)s->frame, (unsigned long long)t->entries,
		               (unsigned long long)t->heads, (unsigned long long)t->receipts,
		               (unsigned long long)t->forks,
		               (unsigned long long)(r->entries + r->fork_entries),
		               (unsigned long long)r->heads, (unsigned long long)r->receipts,
		               (unsigned long long)r->forks);
	r->bad_frame = 0;
	v->trailer_seen = true;
	r->trailer = true;
	return LB_OK;
}

/* Fork evidence comes after the log, if the archive holds one (FORMAT.md
 * §9): nothing of a log after the first kind-4 frame. */
static lb_err one_kind(struct verifier *v, const struct slot *s)
{
	const struct lb_audit_report *r = v->r;
	const bool log = s->kind == LB_LLA_ENTRY || s->kind == LB_LLA_HEAD ||
	           s->kind == LB_LLA_RECEIPT || s->kind == LB_LLA_SUCCESSION;

	if (log && (r->forks || v->fk.open)) {
		v->r->bad_frame = s->frame;
		return lb_fail(v->d, LB_ECORRUPT,
		               "frame %llu: a log frame after fork evidence (evidence comes after the "
		               "whole log, if any)",
		               (unsigned long long)s->frame);
	}
	return LB_OK;
}

static lb_err take_slot(struct verifier *v, const struct batch *b, const struct slot *s)
{
	lb_err e;

	if (v->blame)
		return blame(v, s);
	if (v->fk.open && s->kind != LB_LLA_FORK_ENTRY && (e = fork_close(v)))
		return e;
	if (v->trailer_seen) {
		v->r->bad_frame = s->frame;
		return lb_fail(v->d, LB_ECORRUPT, "frame %llu: data after the trailer",
		               (unsigned long long)s->frame);
	}
	if ((e = one_kind(v, s)))
		return e;
	switch (s->kind) {
	case LB_LLA_ENTRY:
		return take_entry(v, b, s);
	case LB_LLA_HEAD:
		return take_head(v, b, s);
	case LB_LLA_RECEIPT:
		return take_receipt(v, b, s);
	case LB_LLA_FORK:
		return take_fork(v, b, s);
	case LB_LLA_FORK_ENTRY:
		return take_fork_entry(v, b, s);
	case LB_LLA_TRAILER:
		return take_trailer(v, s);
	case LB_LLA_SUCCESSION:
		return take_succession(v, b, s);
	case LB_LLA_HEADER:
		v->r->bad_frame = s->frame;
		return lb_fail(v->d, LB_ECORRUPT, "frame %llu: a second header (archives joined?)",
		               (unsigned long long)s->frame);
	}
	v->r->bad_frame = s->frame;
	return lb_fail(v->d, LB_EMALFORMED, "frame %llu: unknown frame kind %u",
	               (unsigned long long)s->frame, (unsigned)s->kind);
}

/* ---- batches and the pool ---------------------------------------------------- */

static lb_err batch_add(struct batch *b, const struct lb_lla_frame *fr, uint64_t frame,
                        struct lb_diag *d)
{
	struct slot *s = &b->s[b->n];
	size_t need = b->len + fr->alen + fr->blen;

	/* allocated even for frames without bytes (a header and trailer alone):
	 * the slots' offsets are applied to b->buf, and NULL + 0 is undefined */
	if (need > b->cap || !b->buf) {
		size_t nc = b->cap ? b->cap : 64 * 1024;
		uint8_t *nb;
		while (nc < need)
			nc *= 2;
		if (!(nb = realloc(b->buf, nc)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		b->buf = nb;
		b->cap = nc;
	}
	/* no memset: the worker fills the union for the kind it reads */
	s->kind = (uint8_t)fr->kind;
	s->stage = ST_OK;
	s->branch = (uint8_t)fr->branch;
	s->frame = frame;
	s->aoff = (uint32_t)b->len;
	s->alen = (uint32_t)fr->alen;
	if (fr->alen)
		memcpy(b->buf + b->len, fr->a, fr->alen);
	b->len += fr->alen;
	s->boff = (uint32_t)b->len;
	s->blen = (uint32_t)fr->blen;
	if (fr->blen)
		memcpy(b->buf + b->len, fr->b, fr->blen);
	b->len += fr->blen;
	if (fr->kind == LB_LLA_TRAILER)
		s->u.tr = fr->trailer;
	b->n++;
	return LB_OK;
}

static void submit(struct verifier *v, struct batch *b)
{
	if (!v->nth) {
		work_batch(v, b);
		b->done = true;
		v->submitted++;
		return;
	}
	pthread_mutex_lock(&v->mu);
	b->done = false;
	v->submitted++;
	pthread_cond_signal(&v->work);
	pthread_mutex_unlock(&v->mu);
}

/* Wait for the oldest batch in flight and apply the ordered checks to it. */
static lb_err consume(struct verifier *v)
{
	struct batch *b = &v->ring[v->consumed % v->nring];
	lb_err e = LB_OK;

	if (v->nth) {
		pthread_mutex_lock(&v->mu);
		while (!b->done)
			pthread_cond_wait(&v->done, &v->mu);
		pthread_mutex_unlock(&v->mu);
	}
	for (size_t i = 0; i < b->n && !e; i++)
		e = take_slot(v, b, &b->s[i]);
	v->consumed++;
	b->n = 0;
	b->len = 0;
	return e;
}

static void pool_stop(struct verifier *v)
{
	if (!v->nth)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = true;
	pthread_cond_broadcast(&v->work);
	pthread_mutex_unlock(&v->mu);
	for (unsigned i = 0; i < v->nth; i++)
		pthread_join(v->th[i], NULL);
	pthread_cond_destroy(&v->work);
	pthread_cond_destroy(&v->done);
	pthread_mutex_destroy(&v->mu);
	v->nth = 0;
}

static lb_err pool_start(struct verifier *v, unsigned threads, struct lb_diag *d)
{
	if (threads > LB_AUDIT_THREADS_MAX)
		threads = LB_AUDIT_THREADS_MAX;
	v->nring = threads ? 2 * threads + 2 : 1;
	if (!(v->ring = calloc(v->nring, sizeof *v->ring)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	for (unsigned i = 0; i < v->nring; i++)
		if (!(v->ring[i].s = malloc(LB_AUDIT_BATCH_FRAMES * sizeof *v->ring[i].s)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
	if (!threads)
		return LB_OK;
	if (pthread_mutex_init(&v->mu, NULL) || pthread_cond_init(&v->work, NULL) ||
	    pthread_cond_init(&v->done, NULL))
		return lb_fail(d, LB_ENOMEM, "cannot create the verifier's locks");
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&v->th[i], NULL, worker, v)) {
			pool_stop(v);
			return lb_fail(d, LB_ENOMEM, "cannot start a verifier thread");
		}
		v->nth = i + 1;
	}
	return LB_OK;
}

static void ring_free(struct verifier *v)
{
	for (unsigned i = 0; v->ring && i < v->nring; i++) {
		free(v->ring[i].buf);
		free(v->ring[i].s);
	}
	free(v->ring);
}

/* ---- the pass ------------------------------------------------------------------ */

static lb_err take_header(struct verifier *v, const struct lb_lla_frame *fr)
{
	struct lb_audit_report *r = v->r;
	char esc[LB_ESC_BUF];

	r->bad_frame = 1;
	if (fr->kind != LB_LLA_HEADER)
		return lb_fail(v->d, LB_EMALFORMED,
		               "frame 1: the archive does not start with its header (frame kind %u)",
		               (unsigned)fr->kind);
	if (!lb_log_owner_ok(fr->header.village))
		return lb_fail(v->d, LB_EMALFORMED, "frame 1: header: \"%s\" is not a desa code (nor "
		               "the kabupaten or kecamatan of a catalogue)",
		               lb_escape(esc, fr->header.village, strlen(fr->header.village)));
	if (fr->header.from > 1)
		return lb_fail(v->d, LB_EINVAL,
		               "frame 1: a tail of a log from seq %llu: an auditor needs the whole log "
		               "(export it from seq 1)",
		               (unsigned long long)fr->header.from);
	r->header = fr->header;
	r->have_header = true;
	v->aggregator = !strcmp(fr->header.source, "aggregator");
	lb_chain_init(&v->chain, fr->header.village, fr->header.origin);
	memcpy(r->signer, fr->header.origin, LB_PK_BYTES);
	if (add_key(v, fr->header.origin))
		return LB_ENOMEM;
	r->key_given = v->o->key != NULL;
	r->bad_frame = 0;
	return LB_OK;
}

/* opts.key, once the whole archive verified: the first key, or one the
 * chain reached through a succession. */
static lb_err check_key(struct verifier *v)
{
	char want[2 * LB_PK_BYTES + 1], got[2 * LB_PK_BYTES + 1];

	if (!v->o->key || chain_key(v, v->o->key))
		return LB_OK;
	lb_hex(want, v->o->key, LB_PK_BYTES);
	lb_hex(got, v->r->signer, LB_PK_BYTES);
	v->r->bad_frame = 1;
	return lb_fail(v->d, LB_ESIG,
	               "frame 1: the archive is the history of key %s, not of the expected key %s%s",
	               got, want,
	               v->r->successions ? " (nor of a key its successions lead to)" : "");
}

lb_err lb_audit_verify(FILE *in, const struct lb_audit_opts *o, struct lb_audit_report *r,
                       struct lb_diag *d)
{
	static const struct lb_audit_opts none;
	struct lb_audit_report tmp;
	struct verifier v;
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	struct lb_diag rdiag = {0};
	lb_err e, rerr = LB_OK;
	bool eof = false;

	memset(&v, 0, sizeof v);
	v.o = o ? o : &none;
	v.r = r ? r : &tmp;
	v.d = d;
	memset(v.r, 0, sizeof *v.r);
	if ((e = lb_lla_reader_open(&rd, in, d)))
		goto out_reader;
	if ((e = lb_lla_next(&rd, &fr, d))) {
		if (e == LB_ENOTFOUND)
			e = lb_fail(d, LB_ECORRUPT,
			            "frame 1: the archive ends after its magic, without a header (the "
			            "file was cut short)");
		v.r->bad_frame = 1;
		goto out_reader;
	}
	v.r->frames = 1;
	if ((e = take_header(&v, &fr)))
		goto out_reader;
	if ((e = pool_start(&v, v.o->threads, d)))
		goto out;

	while (!e && !eof) {
		struct batch *b;
		if (v.submitted - v.consumed == v.nring && (e = consume(&v)))
			break;
		b = &v.ring[v.submitted % v.nring];
		while (b->n < LB_AUDIT_BATCH_FRAMES && b->len < LB_AUDIT_BATCH_BYTES) {
			rerr = lb_lla_next(&rd, &fr, &rdiag);
			if (rerr) {
				eof = true;
				break;
			}
			v.r->frames++;
			if ((e = batch_add(b, &fr, v.r->frames, d)))
				break;
		}
		if (!e && b->n)
			submit(&v, b);
	}
	while (!e && v.consumed < v.submitted)
		e = consume(&v);
	if (e)
		goto out;
	/* the end of the archive */
	if (v.blame)
		e = blame(&v, NULL);
	else if (v.fk.open && (e = fork_close(&v)))
		;
	else if (rerr != LB_ENOTFOUND) {
		v.r->bad_frame = v.r->frames + 1;
		if (d)
			*d = rdiag;
		if (v.r->last_seq)
			lb_diag_prefix(d, "after seq %llu", (unsigned long long)v.r->last_seq);
		e = rerr;
	} else if (!v.trailer_seen) {
		v.r->bad_frame = v.r->frames + 1;
		e = lb_fail(d, LB_ECORRUPT,
		            "frame %llu: the archive ends without its trailer after seq %llu (the file "
		            "was cut short)",
		            (unsigned long long)v.r->frames + 1, (unsigned long long)v.r->last_seq);
	} else
		e = check_key(&v);
out:
	/* Stop the workers before anything they may still read is freed. */
	pool_stop(&v);
	ring_free(&v);
out_reader:
	memcpy(v.r->last_hash, v.chain.hash, LB_HASH_BYTES);
	memcpy(v.r->last_key, v.chain.origin, LB_PK_BYTES);
	free(v.keys);
	lb_merkle_root(&v.chain.m, v.r->root);
	lb_lla_reader_close(&rd);
	return e;
}
