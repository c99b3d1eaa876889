/*
 * token.c — API tokens and the access log (token.h), two LMDB databases of
 * the aggregator's environment.
 */
#define _POSIX_C_SOURCE 200809L
#include "token.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <sodium.h>

#include "../node/entry.h"
#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../schema/text.h"
#include "store_int.h"

#define TOK_FIXED 9 /* created ms (8) || revoked (1) */

lb_err agg_token_open(struct lb_agg *a, struct lb_diag *d)
{
	unsigned f = a->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	if ((rc = agg_txn_begin(a, a->read_only ? MDB_RDONLY : 0, &txn)))
		return lb_mdb_fail(d, rc, "opening the token databases");
	if ((rc = mdb_dbi_open(txn, "tokens", f, &a->tokens)) ||
	    (rc = mdb_dbi_open(txn, "access", f, &a->access))) {
		agg_txn_abort(a, txn);
		/* a read-only handle on a store made before tokens: none */
		return rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "opening the token databases");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the token databases");
	a->have_tokens = true;
	return LB_OK;
}

lb_err lb_role_parse(const char *s, const char *region, struct lb_token_info *t,
                     struct lb_diag *d)
{
	char esc[LB_ESC_BUF], probe[LB_VILLAGE_LEN + 1];

	t->kecamatan[0] = '\0';
	if (!s)
		s = "";
	if (!strcmp(s, "kabupaten")) {
		t->role = LB_ROLE_KABUPATEN;
		return LB_OK;
	}
	if (!strcmp(s, "auditor")) {
		t->role = LB_ROLE_AUDITOR;
		return LB_OK;
	}
	if (!strncmp(s, "kecamatan:", 10) && lb_region_level(s + 10) == LB_REGION_KECAMATAN) {
		snprintf(probe, sizeof probe, "%.8s.0000", s + 10);
		if (region && (!lb_region_contains(region, probe) ||
		               (lb_region_level(region) == LB_REGION_KECAMATAN && strcmp(region, s + 10))))
			return lb_fail(d, LB_EINVAL, "kecamatan %s is outside this aggregator's region %s",
			               s + 10, region);
		t->role = LB_ROLE_KECAMATAN;
		memcpy(t->kecamatan, s + 10, 9);
		return LB_OK;
	}
	return lb_fail(d, LB_EINVAL,
	               "role \"%s\" is not kabupaten, kecamatan:PP.KK.CC or auditor",
	               lb_escape(esc, s, strlen(s)));
}

void lb_role_str(const struct lb_token_info *t, char out[LB_ROLE_MAX])
{
	switch (t->role) {
	case LB_ROLE_KABUPATEN:
		snprintf(out, LB_ROLE_MAX, "kabupaten");
		break;
	case LB_ROLE_KECAMATAN:
		snprintf(out, LB_ROLE_MAX, "kecamatan:%s", t->kecamatan);
		break;
	case LB_ROLE_AUDITOR:
		snprintf(out, LB_ROLE_MAX, "auditor");
		break;
	default:
		snprintf(out, LB_ROLE_MAX, "none");
	}
}

void lb_token_hash(uint8_t out[LB_TOKEN_HASH_BYTES], const char *token, size_t len)
{
	crypto_generichash(out, LB_TOKEN_HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

/* A stored value into t (hash from the key).  false when damaged. */
static bool decode(const MDB_val *k, const MDB_val *v, struct lb_token_info *t)
{
	const uint8_t *p = v->mv_data;
	const char *role, *name, *nul;
	struct lb_diag d = {0};
	size_t rest;

	if (k->mv_size != LB_TOKEN_HASH_BYTES || v->mv_size < TOK_FIXED + 2)
		return false;
	memcpy(t->hash, k->mv_data, LB_TOKEN_HASH_BYTES);
	t->created_ms = agg_be64_get(p);
	t->revoked = p[8] != 0;
	role = (const char *)p + TOK_FIXED;
	rest = v->mv_size - TOK_FIXED;
	if (!(nul = memchr(role, 0, rest)) || (size_t)(nul - role) >= LB_ROLE_MAX)
		return false;
	name = nul + 1;
	rest -= (size_t)(name - role);
	if (rest == 0 || rest > LB_AGG_NAME_MAX || memchr(name, 0, rest))
		return false;
	memcpy(t->name, name, rest);
	t->name[rest] = '\0';
	return lb_role_parse(role, NULL, t, &d) == LB_OK;
}

/* The token named name inside txn: its key and value.  MDB codes. */
static int find_name(struct lb_agg *a, MDB_txn *txn, const char *name, MDB_val *k, MDB_val *v)
{
	MDB_cursor *c;
	int rc;

	if ((rc = mdb_cursor_open(txn, a->tokens, &c)))
		return rc;
	for (rc = mdb_cursor_get(c, k, v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(c, k, v, MDB_NEXT)) {
		struct lb_token_info t;
		if (decode(k, v, &t) && !strcmp(t.name, name))
			break;
	}
	mdb_cursor_close(c);
	return rc;
}

/* One write transaction running fn, grown and retried when the map is
 * full. */
typedef int (*write_fn)(struct lb_agg *a, MDB_txn *txn, void *ctx);
static lb_err write_txn(struct lb_agg *a, write_fn fn, void *ctx, const char *what,
                        struct lb_diag *d)
{
	for (int tries = 0;; tries++) {
		size_t seen = agg_map_size(a);
		MDB_txn *txn;
		int rc;

		if ((rc = agg_txn_begin(a, 0, &txn)))
			return lb_mdb_fail(d, rc, what);
		if ((rc = fn(a, txn, ctx)) == 0) {
			rc = agg_txn_commit(a, txn);
		} else {
			agg_txn_abort(a, txn);
			if (rc < 0) /* fn's own error, diag already set */
				return (lb_err)-rc;
		}
		if (rc == MDB_MAP_FULL && tries < 4 && !agg_grow_map(a, seen))
			continue;
		return rc ? lb_mdb_fail_env(d, a->env, rc, what) : LB_OK;
	}
}

struct add_ctx {
	const char *name;
	const struct lb_token_info *t;
	const char *role;
	const uint8_t *hash;
	struct lb_diag *d;
};

static int add_fn(struct lb_agg *a, MDB_txn *txn, void *ctx)
{
	struct add_ctx *x = ctx;
	size_t rl = strlen(x->role), nl = strlen(x->name);
	uint8_t val[TOK_FIXED + LB_ROLE_MAX + LB_AGG_NAME_MAX + 1];
	MDB_val k, v;
	char esc[LB_ESC_BUF];
	int rc;

	if ((rc = find_name(a, txn, x->name, &k, &v)) == 0)
		return -(int)lb_fail(x->d, LB_EEXIST, "a token named \"%s\" exists (revoke it or "
		                     "choose another name)", lb_escape(esc, x->name, nl));
	if (rc != MDB_NOTFOUND)
		return rc;
	agg_be64_put(val, lb_hlc_wall_ms());
	val[8] = 0;
	memcpy(val + TOK_FIXED, x->role, rl + 1);
	memcpy(val + TOK_FIXED + rl + 1, x->name, nl);
	k = (MDB_val){LB_TOKEN_HASH_BYTES, (void *)x->hash};
	v = (MDB_val){TOK_FIXED + rl + 1 + nl, val};
	return mdb_put(txn, a->tokens, &k, &v, MDB_NOOVERWRITE);
}

lb_err lb_agg_token_add(struct lb_agg *a, const char *name, const char *role,
                        char out[LB_TOKEN_LEN + 1], struct lb_diag *d)
{
	struct lb_token_info t;
	uint8_t raw[32], hash[LB_TOKEN_HASH_BYTES];
	char canon[LB_ROLE_MAX];
	lb_err e;

	out[0] = '\0';
	if (a->read_only || !a->have_tokens)
		return agg_refuse_read_only("token add", d);
	if ((e = lb_agg_name_check(name, d)) || (e = lb_role_parse(role, a->region, &t, d)))
		return e;
	lb_role_str(&t, canon);
	randombytes_buf(raw, sizeof raw);
	memcpy(out, LB_TOKEN_PREFIX, 4);
	sodium_bin2hex(out + 4, 65, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	lb_token_hash(hash, out, LB_TOKEN_LEN);
	e = write_txn(a, add_fn, &(struct add_ctx){name, &t, canon, hash, d}, "storing the token", d);
	if (e)
		sodium_memzero(out, LB_TOKEN_LEN + 1);
	return e;
}

struct rev_ctx {
	const char *name;
	const uint8_t *id; /* LB_TOKEN_ID_BYTES, instead of name */
	struct lb_diag *d;
};

/* The token whose hash starts with id inside txn.  MDB codes. */
static int find_id(struct lb_agg *a, MDB_txn *txn, const uint8_t *id, MDB_val *k, MDB_val *v)
{
	MDB_cursor *c;
	int rc;

	if ((rc = mdb_cursor_open(txn, a->tokens, &c)))
		return rc;
	*k = (MDB_val){LB_TOKEN_ID_BYTES, (void *)id};
	rc = mdb_cursor_get(c, k, v, MDB_SET_RANGE);
	if (rc == 0 && (k->mv_size < LB_TOKEN_ID_BYTES || memcmp(k->mv_data, id, LB_TOKEN_ID_BYTES)))
		rc = MDB_NOTFOUND;
	mdb_cursor_close(c);
	return rc;
}

static int revoke_fn(struct lb_agg *a, MDB_txn *txn, void *ctx)
{
	struct rev_ctx *x = ctx;
	uint8_t val[TOK_FIXED + LB_ROLE_MAX + LB_AGG_NAME_MAX + 1], key[LB_TOKEN_HASH_BYTES];
	char esc[LB_ESC_BUF];
	MDB_val k, v;
	int rc;

	rc = x->id ? find_id(a, txn, x->id, &k, &v) : find_name(a, txn, x->name, &k, &v);
	if (rc == MDB_NOTFOUND && x->id)
		return -(int)lb_fail(x->d, LB_ENOTFOUND, "no token with that id (lumbung-agg token ls)");
	if (rc == MDB_NOTFOUND)
		return -(int)lb_fail(x->d, LB_ENOTFOUND, "no token named \"%s\"",
		                     lb_escape(esc, x->name, strlen(x->name)));
	if (rc)
		return rc;
	if (v.mv_size > sizeof val)
		return -(int)lb_fail(x->d, LB_ECORRUPT, "a stored token is damaged");
	memcpy(key, k.mv_data, sizeof key);
	memcpy(val, v.mv_data, v.mv_size);
	val[8] = 1;
	k = (MDB_val){sizeof key, key};
	v.mv_data = val;
	return mdb_put(txn, a->tokens, &k, &v, 0);
}

lb_err lb_agg_token_revoke(struct lb_agg *a, const char *name, struct lb_diag *d)
{
	if (a->read_only || !a->have_tokens)
		return agg_refuse_read_only("token revoke", d);
	return write_txn(a, revoke_fn, &(struct rev_ctx){name ? name : "", NULL, d},
	                 "revoking the token", d);
}

lb_err lb_agg_token_revoke_id(struct lb_agg *a, const char *id, struct lb_diag *d)
{
	uint8_t raw[LB_TOKEN_ID_BYTES];

	if (a->read_only || !a->have_tokens)
		return agg_refuse_read_only("token revoke", d);
	if (!id || strlen(id) != 2 * LB_TOKEN_ID_BYTES || lb_unhex(raw, sizeof raw, id))
		return lb_fail(d, LB_EINVAL, "a token id is %d hex digits (lumbung-agg token ls)",
		               2 * LB_TOKEN_ID_BYTES);
	return write_txn(a, revoke_fn, &(struct rev_ctx){"", raw, d}, "revoking the token", d);
}

lb_err lb_agg_token_ls(struct lb_agg *a, lb_token_cb cb, void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e = LB_OK;
	int rc;

	if (!a->have_tokens)
		return LB_OK;
	if ((e = agg_read_cursor(a, a->tokens, &txn, &c, "reading the tokens", d)))
		return e;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_token_info t;
		if (!decode(&k, &v, &t)) {
			e = lb_fail(d, LB_ECORRUPT, "a stored token is damaged");
			break;
		}
		if (cb(ctx, &t))
			break;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the tokens");
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}

lb_err lb_agg_token_check(struct lb_agg *a, const char *token, size_t len,
                          struct lb_token_info *t, struct lb_diag *d)
{
	uint8_t hash[LB_TOKEN_HASH_BYTES];
	MDB_txn *txn;
	MDB_val k, v;
	bool ok;
	int rc;

	if (len != LB_TOKEN_LEN || memcmp(token, LB_TOKEN_PREFIX, 4))
		return lb_fail(d, LB_EAUTH, "not an access token (%s followed by 64 hex digits)",
		               LB_TOKEN_PREFIX);
	if (!a->have_tokens)
		return lb_fail(d, LB_EAUTH, "unknown access token");
	lb_token_hash(hash, token, len);
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the tokens");
	k = (MDB_val){sizeof hash, hash};
	rc = mdb_get(txn, a->tokens, &k, &v);
	ok = rc == 0 && decode(&k, &v, t) && sodium_memcmp(t->hash, hash, sizeof hash) == 0;
	agg_txn_abort(a, txn);
	if (rc && rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the tokens");
	if (!ok)
		return lb_fail(d, LB_EAUTH, "unknown access token");
	if (t->revoked)
		return lb_fail(d, LB_EAUTH, "this access token was revoked");
	return LB_OK;
}

/* ---- the access log ---------------------------------------------------- */

/*
 * Group commit: a request's entry joins a queue; whoever finds no commit
 * under way becomes the writer and stores everything queued (for its
 * handle) in one write transaction, then wakes the others.  Each caller
 * returns only once its own entry is committed (or with the error that
 * kept it out), so an entry is never lost silently, while many readers at
 * once cost one commit, not one each.
 */
struct acc_entry {
	struct acc_entry *next;
	struct lb_agg *a;
	uint8_t key[12];
	char val[LB_AGG_NAME_MAX + 24 + 1024];
	size_t len;
	bool done;
	lb_err e;
	struct lb_diag d;
};

static pthread_mutex_t acc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t acc_cond = PTHREAD_COND_INITIALIZER;
static struct acc_entry *acc_queue;
static bool acc_writing;
static atomic_uint access_counter;
static pthread_once_t access_once = PTHREAD_ONCE_INIT;

static void access_seed(void)
{
	atomic_store(&access_counter, randombytes_random());
}

static int access_fn(struct lb_agg *a, MDB_txn *txn, void *ctx)
{
	int rc = 0;
	for (struct acc_entry *x = ctx; x && !rc; x = x->next) {
		MDB_val k = {sizeof x->key, x->key}, v = {x->len, x->val};
		rc = mdb_put(txn, a->access, &k, &v, MDB_NOOVERWRITE);
	}
	return rc;
}

lb_err lb_agg_access_add(struct lb_agg *a, const char *token_name, const char *method,
                         const char *path, struct lb_diag *d)
{
	struct acc_entry me = {.a = a}, *batch, **pp;
	char esc[1024];
	unsigned n;
	int len;

	if (a->read_only || !a->have_tokens)
		return agg_refuse_read_only("access log", d);
	/* the counter starts at random: two processes writing one store (two
	 * serve, a test) do not make the same key in the same millisecond */
	pthread_once(&access_once, access_seed);
	n = atomic_fetch_add(&access_counter, 1);
	agg_be64_put(me.key, lb_hlc_wall_ms());
	me.key[8] = (uint8_t)(n >> 24), me.key[9] = (uint8_t)(n >> 16),
	me.key[10] = (uint8_t)(n >> 8), me.key[11] = (uint8_t)n;
	lb_escape_buf(esc, sizeof esc, path, strlen(path));
	len = snprintf(me.val, sizeof me.val, "%s%c%.16s%c%s", token_name, 0, method, 0, esc);
	me.len = (size_t)len < sizeof me.val ? (size_t)len : sizeof me.val - 1;

	pthread_mutex_lock(&acc_lock);
	me.next = acc_queue;
	acc_queue = &me;
	while (!me.done) {
		if (acc_writing) {
			pthread_cond_wait(&acc_cond, &acc_lock);
			continue;
		}
		/* lead: take every queued entry of this handle */
		acc_writing = true;
		batch = NULL;
		for (pp = &acc_queue; *pp;) {
			struct acc_entry *x = *pp;
			if (x->a == a) {
				*pp = x->next;
				x->next = batch;
				batch = x;
			} else {
				pp = &x->next;
			}
		}
		pthread_mutex_unlock(&acc_lock);
		me.e = write_txn(a, access_fn, batch, "writing the access log", &me.d);
		pthread_mutex_lock(&acc_lock);
		for (struct acc_entry *x = batch, *nx; x; x = nx) {
			nx = x->next;
			if (x != &me) {
				x->e = me.e;
				x->d = me.d;
			}
			x->done = true;
		}
		acc_writing = false;
		pthread_cond_broadcast(&acc_cond);
	}
	pthread_mutex_unlock(&acc_lock);
	if (me.e && d)
		*d = me.d;
	return me.e;
}

lb_err lb_agg_access_ls(struct lb_agg *a, uint64_t since_ms, lb_access_cb cb, void *ctx,
                        struct lb_diag *d)
{
	uint8_t start[8];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e = LB_OK;
	int rc;

	if (!a->have_tokens)
		return LB_OK;
	if ((e = agg_read_cursor(a, a->access, &txn, &c, "reading the access log", d)))
		return e;
	agg_be64_put(start, since_ms);
	k = (MDB_val){sizeof start, start};
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		char buf[LB_AGG_NAME_MAX + 16 + 1024 + 1];
		const char *name = buf, *method, *path;
		if (k.mv_size != 12 || v.mv_size >= sizeof buf) {
			e = lb_fail(d, LB_ECORRUPT, "an access log entry is damaged");
			break;
		}
		memcpy(buf, v.mv_data, v.mv_size);
		buf[v.mv_size] = '\0';
		method = memchr(buf, 0, v.mv_size);
		path = method ? memchr(method + 1, 0, v.mv_size - (size_t)(method + 1 - buf)) : NULL;
		if (!path) {
			e = lb_fail(d, LB_ECORRUPT, "an access log entry is damaged");
			break;
		}
		if (cb(ctx, agg_be64_get(k.mv_data), name, method + 1, path + 1))
			break;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the access log");
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}
