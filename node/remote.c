/*
 * remote.c — remotes, receipts and log spans for the push client
 * (remote.h).  Everything here is a small read or write transaction on the
 * node's meta, log and heads databases.
 */
#include "remote.h"
#include "span.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_int.h"

#define REMOTE_PREFIX "remote/"
#define PLEN(p) (sizeof(p) - 1)
#define MAX_GROWTHS 8

/* Several changes in one write transaction: fn does them and returns an
 * LMDB code, or OWN_ERR after filling its own error; grown and retried
 * when the map is full. */
#define OWN_ERR (-1)
typedef int (*txn_fn)(void *ctx, struct lb_node *n, MDB_txn *txn);
static int meta_txn(struct lb_node *n, txn_fn fn, void *ctx)
{
	MDB_txn *txn;
	int rc;

	if (!n->have_key)
		return EACCES;
	for (int growths = 0;; growths++) {
		if ((rc = lb_node_txn_begin(n, 0, &txn)))
			return rc;
		if ((rc = fn(ctx, n, txn)))
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		if (rc != MDB_MAP_FULL || growths == MAX_GROWTHS)
			return rc;
		if ((rc = lb_node_grow_map(n)))
			return rc;
	}
}

int lb_meta_txn(struct lb_node *n, int (*fn)(void *ctx, struct lb_node *n, MDB_txn *txn),
                void *ctx)
{
	return meta_txn(n, fn, ctx);
}

struct one_write {
	MDB_val *k, *v;
};

static int one_write(void *ctx, struct lb_node *n, MDB_txn *txn)
{
	struct one_write *w = ctx;
	return w->v ? mdb_put(txn, n->meta, w->k, w->v, 0) : mdb_del(txn, n->meta, w->k, NULL);
}

/* One put (v != NULL) or delete in its own write transaction, growing the
 * map when it is full.  Returns an LMDB code. */
static int meta_write(struct lb_node *n, MDB_val *k, MDB_val *v)
{
	return meta_txn(n, one_write, &(struct one_write){k, v});
}

static lb_err check_name(const char *name, struct lb_diag *d)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > LB_REMOTE_NAME_MAX)
		return lb_fail(d, LB_EINVAL, "a remote name has 1 to %d characters",
		               LB_REMOTE_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return lb_fail(d, LB_EINVAL,
			               "remote name \"%s\": use letters, digits, '.', '_' or '-'", name);
	}
	return LB_OK;
}

static size_t remote_key(uint8_t *k, const char *name)
{
	size_t len = strlen(name);
	memcpy(k, REMOTE_PREFIX, PLEN(REMOTE_PREFIX));
	memcpy(k + PLEN(REMOTE_PREFIX), name, len);
	return PLEN(REMOTE_PREFIX) + len;
}

static const uint8_t zero_key[LB_PK_BYTES];


/* "upstream/" NAME "/" [key]: the prefix of a remote's upstream rows (key
 * NULL) or one row. */
#define UPSTREAM_PREFIX "upstream/"
#define UPSTREAM_KEY_MAX (PLEN(UPSTREAM_PREFIX) + LB_REMOTE_NAME_MAX + 1 + LB_PK_BYTES)
#define UP_PINNED 'p'
#define UP_LEARNT 'l'

static size_t upstream_key(uint8_t *k, const char *name, const uint8_t *key)
{
	size_t len = strlen(name), at = PLEN(UPSTREAM_PREFIX) + len + 1;
	memcpy(k, UPSTREAM_PREFIX, PLEN(UPSTREAM_PREFIX));
	memcpy(k + PLEN(UPSTREAM_PREFIX), name, len);
	k[at - 1] = '/';
	if (!key)
		return at;
	memcpy(k + at, key, LB_PK_BYTES);
	return at + LB_PK_BYTES;
}

/* Delete every upstream row of `name` inside txn. */
static int drop_upstreams(MDB_txn *txn, struct lb_node *n, const char *name)
{
	uint8_t kb[UPSTREAM_KEY_MAX];
	size_t plen = upstream_key(kb, name, NULL);
	MDB_cursor *cur;
	MDB_val k = {plen, kb}, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, n->meta, &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, kb, plen))
			break;
		if ((rc = mdb_cursor_del(cur, 0)))
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct add_ctx {
	const struct lb_remote *r;
	MDB_val k, v;
	const uint8_t (*up)[LB_PK_BYTES];
	size_t nup;
};

static int add_txn(void *ctx, struct lb_node *n, MDB_txn *txn)
{
	struct add_ctx *a = ctx;
	uint8_t kb[UPSTREAM_KEY_MAX], state = UP_PINNED;
	int rc;

	if ((rc = mdb_put(txn, n->meta, &a->k, &a->v, 0)) ||
	    (rc = drop_upstreams(txn, n, a->r->name)))
		return rc;
	for (size_t i = 0; i < a->nup; i++) {
		MDB_val k = {upstream_key(kb, a->r->name, a->up[i]), kb}, v = {1, &state};
		if ((rc = mdb_put(txn, n->meta, &k, &v, 0)))
			return rc;
	}
	return 0;
}

lb_err lb_remote_check(const struct lb_remote *r, struct lb_diag *d)
{
	size_t ulen = strnlen(r->url, LB_REMOTE_URL_MAX + 1);
	lb_err e;

	if ((e = check_name(r->name, d)))
		return e;
	if (ulen > LB_REMOTE_URL_MAX)
		return lb_fail(d, LB_EINVAL, "URL longer than %d bytes", LB_REMOTE_URL_MAX);
	if (strncmp(r->url, "http://", 7) && strncmp(r->url, "https://", 8))
		return lb_fail(d, LB_EINVAL, "\"%s\" is not an http:// or https:// URL", r->url);
	for (size_t i = 0; i < ulen; i++)
		if ((unsigned char)r->url[i] <= ' ' || r->url[i] == 0x7f)
			return lb_fail(d, LB_EINVAL, "URL contains a space or control character");
	if (r->has_key && !memcmp(r->key, zero_key, LB_PK_BYTES))
		return lb_fail(d, LB_EINVAL, "an all-zero aggregator key is not a key");
	if (strnlen(r->cacert, LB_REMOTE_CA_MAX + 1) > LB_REMOTE_CA_MAX)
		return lb_fail(d, LB_EINVAL, "a CA certificate longer than %d bytes", LB_REMOTE_CA_MAX);
	return LB_OK;
}

lb_err lb_remote_set(struct lb_node *n, const struct lb_remote *r, struct lb_diag *d)
{
	return lb_remote_add(n, r, NULL, 0, d);
}

lb_err lb_remote_add(struct lb_node *n, const struct lb_remote *r,
                     const uint8_t (*up)[LB_PK_BYTES], size_t nup, struct lb_diag *d)
{
	uint8_t kb[PLEN(REMOTE_PREFIX) + LB_REMOTE_NAME_MAX], vb[LB_REMOTE_VAL_MAX];
	struct add_ctx a = {.r = r, .up = up, .nup = nup};
	lb_err e;
	int rc;

	if ((e = lb_remote_check(r, d)))
		return e;
	if (nup > LB_REMOTE_UPSTREAM_MAX)
		return lb_fail(d, LB_EINVAL, "at most %d upstream keys per remote",
		               LB_REMOTE_UPSTREAM_MAX);
	for (size_t i = 0; i < nup; i++) {
		if (!memcmp(up[i], zero_key, LB_PK_BYTES))
			return lb_fail(d, LB_EINVAL, "an all-zero upstream key is not a key");
		if (r->has_key && !memcmp(up[i], r->key, LB_PK_BYTES))
			return lb_fail(d, LB_EINVAL,
			               "upstream key %zu is the remote's own key: give the key of "
			               "the aggregator above it",
			               i + 1);
	}
	a.k = (MDB_val){remote_key(kb, r->name), kb};
	a.v = (MDB_val){lb_remote_encode(r, vb), vb};
	if ((rc = meta_txn(n, add_txn, &a)))
		return lb_mdb_fail_env(d, n->env, rc, "saving the remote");
	return LB_OK;
}

size_t lb_remote_encode(const struct lb_remote *r, uint8_t *v)
{
	size_t ulen = strnlen(r->url, LB_REMOTE_URL_MAX), clen = strnlen(r->cacert, LB_REMOTE_CA_MAX);

	memcpy(v, r->has_key ? r->key : zero_key, LB_PK_BYTES);
	memcpy(v + LB_PK_BYTES, r->url, ulen);
	if (!clen)
		return LB_PK_BYTES + ulen; /* the layout from before CAs: older builds read it */
	v[LB_PK_BYTES + ulen] = '\0';
	memcpy(v + LB_PK_BYTES + ulen + 1, r->cacert, clen);
	return LB_PK_BYTES + ulen + 1 + clen;
}

bool lb_remote_decode(struct lb_remote *r, const void *v, size_t len)
{
	const uint8_t *b = v, *nul;
	size_t ulen, clen = 0;

	if (len < LB_PK_BYTES)
		return false;
	ulen = len - LB_PK_BYTES;
	if ((nul = memchr(b + LB_PK_BYTES, '\0', ulen))) {
		clen = ulen - (size_t)(nul - (b + LB_PK_BYTES)) - 1;
		ulen = (size_t)(nul - (b + LB_PK_BYTES));
		if (clen > LB_REMOTE_CA_MAX || memchr(nul + 1, '\0', clen))
			return false;
	}
	if (ulen > LB_REMOTE_URL_MAX)
		return false;
	memcpy(r->key, b, LB_PK_BYTES);
	r->has_key = memcmp(r->key, zero_key, LB_PK_BYTES) != 0;
	memcpy(r->url, b + LB_PK_BYTES, ulen);
	r->url[ulen] = '\0';
	if (nul)
		memcpy(r->cacert, nul + 1, clen);
	r->cacert[clen] = '\0';
	return true;
}

lb_err lb_remote_read_ca(struct lb_remote *r, const char *path, struct lb_diag *d)
{
	FILE *f = fopen(path, "rb");
	size_t n;
	int err;

	if (!f)
		return lb_fail(d, LB_EIO, "cannot read the CA certificate %s: %s", path,
		               strerror(errno));
	n = fread(r->cacert, 1, LB_REMOTE_CA_MAX, f);
	err = ferror(f) ? errno : 0;
	if (!err && n == LB_REMOTE_CA_MAX && fgetc(f) != EOF) {
		fclose(f);
		r->cacert[0] = '\0';
		return lb_fail(d, LB_ETOOBIG, "the CA certificate %s is larger than %d bytes", path,
		               LB_REMOTE_CA_MAX);
	}
	fclose(f);
	r->cacert[err ? 0 : n] = '\0';
	if (err)
		return lb_fail(d, LB_EIO, "cannot read the CA certificate %s: %s", path,
		               strerror(err));
	if (strlen(r->cacert) != n || !strstr(r->cacert, "-----BEGIN CERTIFICATE-----")) {
		r->cacert[0] = '\0';
		return lb_fail(d, LB_EINVAL,
		               "%s is not a PEM certificate (-----BEGIN CERTIFICATE-----): give the "
		               "CA's certificate, or the server's own, in PEM form",
		               path);
	}
	return LB_OK;
}

/* Decode a remote row; false when it is not one. */
static bool remote_decode(struct lb_remote *r, const MDB_val *k, const MDB_val *v)
{
	size_t nlen = k->mv_size - PLEN(REMOTE_PREFIX);

	if (k->mv_size <= PLEN(REMOTE_PREFIX) || nlen > LB_REMOTE_NAME_MAX ||
	    memcmp(k->mv_data, REMOTE_PREFIX, PLEN(REMOTE_PREFIX)))
		return false;
	memset(r, 0, sizeof *r);
	if (!lb_remote_decode(r, v->mv_data, v->mv_size))
		return false;
	memcpy(r->name, (const char *)k->mv_data + PLEN(REMOTE_PREFIX), nlen);
	return true;
}

lb_err lb_remote_get(struct lb_node *n, const char *name, struct lb_remote *r, struct lb_diag *d)
{
	uint8_t kb[PLEN(REMOTE_PREFIX) + LB_REMOTE_NAME_MAX];
	MDB_txn *txn;
	MDB_val k, v;
	lb_err e;
	int rc;

	if ((e = check_name(name, d)))
		return e;
	k = (MDB_val){remote_key(kb, name), kb};
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading remotes");
	rc = mdb_get(txn, n->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		e = lb_fail(d, LB_ENOTFOUND,
		            "no remote \"%s\" (add one with: lumbung remote add NAME URL --key HEX)",
		            name);
	else if (rc)
		e = lb_mdb_fail(d, rc, "reading remotes");
	else if (!remote_decode(r, &k, &v))
		e = lb_fail(d, LB_ECORRUPT, "remote \"%s\" is stored malformed", name);
	mdb_txn_abort(txn);
	return e;
}

struct del_ctx {
	const char *name;
	MDB_val k;
};

static int del_txn(void *ctx, struct lb_node *n, MDB_txn *txn)
{
	struct del_ctx *c = ctx;
	int rc;

	if ((rc = mdb_del(txn, n->meta, &c->k, NULL)))
		return rc;
	return drop_upstreams(txn, n, c->name);
}

lb_err lb_remote_del(struct lb_node *n, const char *name, struct lb_diag *d)
{
	uint8_t kb[PLEN(REMOTE_PREFIX) + LB_REMOTE_NAME_MAX];
	struct del_ctx c = {name, {0, NULL}};
	lb_err e;
	int rc;

	if ((e = check_name(name, d)))
		return e;
	c.k = (MDB_val){remote_key(kb, name), kb};
	rc = meta_txn(n, del_txn, &c);
	if (rc == MDB_NOTFOUND)
		return lb_fail(d, LB_ENOTFOUND, "no remote \"%s\"", name);
	return rc ? lb_mdb_fail_env(d, n->env, rc, "removing the remote") : LB_OK;
}

/* Walk the meta rows that start with prefix (len plen) in key order. */
typedef int (*row_cb)(void *ctx, const MDB_val *k, const MDB_val *v);
static lb_err scan_prefix(struct lb_node *n, const void *prefix, size_t plen, row_cb cb,
                          void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k = {plen, (void *)prefix}, v;
	int rc;

	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading meta");
	if ((rc = mdb_cursor_open(txn, n->meta, &cur))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading meta");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen))
			break;
		if (cb(ctx, &k, &v))
			break;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "reading meta");
}

struct list_ctx {
	lb_remote_cb cb;
	void *ctx;
	size_t count;
};

static int list_row(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct list_ctx *l = ctx;
	struct lb_remote r;

	if (!remote_decode(&r, k, v))
		return 0;
	l->count++;
	return l->cb ? l->cb(l->ctx, &r) : 0;
}

lb_err lb_remote_list(struct lb_node *n, lb_remote_cb cb, void *ctx, size_t *count,
                      struct lb_diag *d)
{
	struct list_ctx l = {cb, ctx, 0};
	lb_err e = scan_prefix(n, REMOTE_PREFIX, PLEN(REMOTE_PREFIX), list_row, &l, d);

	if (count)
		*count = l.count;
	return e;
}


struct ups_ctx {
	struct lb_upstream *up;
	size_t count, plen;
};

static int ups_row(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct ups_ctx *u = ctx;

	if (k->mv_size != u->plen + LB_PK_BYTES || v->mv_size != 1 ||
	    u->count == LB_REMOTE_UPSTREAM_MAX)
		return 0;
	memcpy(u->up[u->count].key, (const uint8_t *)k->mv_data + u->plen, LB_PK_BYTES);
	u->up[u->count].pinned = *(const uint8_t *)v->mv_data == UP_PINNED;
	u->count++;
	return 0;
}

lb_err lb_remote_upstreams(struct lb_node *n, const char *name,
                           struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX], size_t *count,
                           struct lb_diag *d)
{
	uint8_t kb[UPSTREAM_KEY_MAX];
	struct ups_ctx u = {up, 0, 0};
	lb_err e;

	*count = 0;
	if ((e = check_name(name, d)))
		return e;
	u.plen = upstream_key(kb, name, NULL);
	e = scan_prefix(n, kb, u.plen, ups_row, &u, d);
	*count = u.count;
	return e;
}

struct learn_ctx {
	const char *name;
	const uint8_t *key;
	uint8_t state; /* what to write */
	bool only_known; /* confirm: the key must be there already */
	bool added;
	lb_err e;
	struct lb_diag *d;
};

static int learn_txn(void *ctx, struct lb_node *n, MDB_txn *txn)
{
	struct learn_ctx *l = ctx;
	uint8_t rb[PLEN(REMOTE_PREFIX) + LB_REMOTE_NAME_MAX], kb[UPSTREAM_KEY_MAX];
	MDB_val rk = {remote_key(rb, l->name), rb}, rv, k, v;
	MDB_cursor *cur;
	size_t plen = upstream_key(kb, l->name, NULL), count = 0;
	int rc;

	if ((rc = mdb_get(txn, n->meta, &rk, &rv))) {
		if (rc != MDB_NOTFOUND)
			return rc;
		l->e = lb_fail(l->d, LB_ENOTFOUND, "no remote \"%s\"", l->name);
		return OWN_ERR;
	}
	if (rv.mv_size >= LB_PK_BYTES && !memcmp(rv.mv_data, l->key, LB_PK_BYTES)) {
		l->e = lb_fail(l->d, LB_EINVAL,
		               "that is remote \"%s\"'s own key, not the key of an aggregator above it",
		               l->name);
		return OWN_ERR;
	}
	k = (MDB_val){upstream_key(kb, l->name, l->key), kb};
	rc = mdb_get(txn, n->meta, &k, &v);
	if (rc == 0) {
		if (l->state == UP_LEARNT || (v.mv_size == 1 && *(uint8_t *)v.mv_data == UP_PINNED))
			return 0; /* known: leave it as it is */
	} else if (rc != MDB_NOTFOUND) {
		return rc;
	} else if (l->only_known) {
		char hex[2 * LB_PK_BYTES + 1];
		lb_hex(hex, l->key, LB_PK_BYTES);
		l->e = lb_fail(l->d, LB_ENOTFOUND,
		               "remote \"%s\" has not named upstream key %s; to pin a key the office "
		               "gave you, run: lumbung remote add NAME URL --key KEY --upstream-key %s",
		               l->name, hex, hex);
		return OWN_ERR;
	} else {
		/* a new key: bounded, so a remote cannot fill the node with keys */
		MDB_val ck = {plen, kb}, cv;
		uint8_t pb[UPSTREAM_KEY_MAX];
		memcpy(pb, kb, plen);
		ck.mv_data = pb;
		if ((rc = mdb_cursor_open(txn, n->meta, &cur)))
			return rc;
		for (rc = mdb_cursor_get(cur, &ck, &cv, MDB_SET_RANGE); rc == 0;
		     rc = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT)) {
			if (ck.mv_size < plen || memcmp(ck.mv_data, pb, plen))
				break;
			count++;
		}
		mdb_cursor_close(cur);
		if (rc && rc != MDB_NOTFOUND)
			return rc;
		if (count >= LB_REMOTE_UPSTREAM_MAX) {
			l->e = lb_fail(l->d, LB_ETOOBIG,
			               "remote \"%s\" already has %d upstream keys; not learning more",
			               l->name, LB_REMOTE_UPSTREAM_MAX);
			return OWN_ERR;
		}
		l->added = true;
	}
	v = (MDB_val){1, &l->state};
	return mdb_put(txn, n->meta, &k, &v, 0);
}

static lb_err learn(struct learn_ctx *l, struct lb_node *n, struct lb_diag *d)
{
	lb_err e;
	int rc;

	if ((e = check_name(l->name, d)))
		return e;
	if (!memcmp(l->key, zero_key, LB_PK_BYTES))
		return lb_fail(d, LB_EINVAL, "an all-zero upstream key is not a key");
	l->d = d;
	rc = meta_txn(n, learn_txn, l);
	if (rc == OWN_ERR)
		return l->e;
	return rc ? lb_mdb_fail_env(d, n->env, rc, "saving the upstream key") : LB_OK;
}

lb_err lb_remote_learn(struct lb_node *n, const char *name, const uint8_t key[LB_PK_BYTES],
                       bool *added, struct lb_diag *d)
{
	struct learn_ctx l = {.name = name, .key = key, .state = UP_LEARNT};
	lb_err e = learn(&l, n, d);

	if (added)
		*added = !e && l.added;
	return e;
}

lb_err lb_remote_confirm(struct lb_node *n, const char *name, const uint8_t key[LB_PK_BYTES],
                         struct lb_diag *d)
{
	struct learn_ctx l = {.name = name, .key = key, .state = UP_PINNED, .only_known = true};

	return learn(&l, n, d);
}

lb_err lb_node_receipt_put(struct lb_node *n, const uint8_t agg_pk[LB_PK_BYTES], uint64_t seq,
                           const void *receipt, size_t len, struct lb_diag *d)
{
	uint8_t kb[LB_RECEIPT_KEY_LEN];
	MDB_val k = {sizeof kb, kb}, v = {len, (void *)receipt};
	int rc;

	lb_receipt_key(kb, agg_pk, seq);
	if ((rc = meta_write(n, &k, &v)))
		return lb_mdb_fail_env(d, n->env, rc, "keeping the receipt");
	return LB_OK;
}

struct last_ctx {
	uint64_t seq, count;
};

static int last_row(void *ctx, const MDB_val *k, const MDB_val *v)
{
	struct last_ctx *l = ctx;
	(void)v;
	if (k->mv_size == LB_RECEIPT_KEY_LEN) {
		l->seq = lb_be64_get((const uint8_t *)k->mv_data + LB_RECEIPT_KEY_LEN - 8);
		l->count++;
	}
	return 0;
}

lb_err lb_node_receipt_last(struct lb_node *n, const uint8_t agg_pk[LB_PK_BYTES], uint64_t *seq,
                            uint64_t *count, struct lb_diag *d)
{
	uint8_t prefix[LB_RECEIPT_PREFIX_LEN + LB_PK_BYTES];
	struct last_ctx l = {0, 0};
	lb_err e;

	memcpy(prefix, LB_RECEIPT_PREFIX, LB_RECEIPT_PREFIX_LEN);
	memcpy(prefix + LB_RECEIPT_PREFIX_LEN, agg_pk, LB_PK_BYTES);
	e = scan_prefix(n, prefix, sizeof prefix, last_row, &l, d);
	*seq = l.seq;
	if (count)
		*count = l.count;
	return e;
}

lb_err lb_node_span(struct lb_node *n, uint64_t from, size_t max_bytes, uint64_t *to,
                    size_t *bytes, bool *over, struct lb_diag *d)
{
	uint8_t kb[8];
	MDB_txn *txn;
	MDB_cursor *log = NULL, *heads = NULL;
	MDB_val k, v, hk, hv;
	uint64_t seq = 0, next_head = 0;
	struct lb_span sp;
	lb_err e = LB_OK;
	int rc, hrc;

	*to = 0;
	*bytes = 0;
	*over = false;
	lb_span_init(&sp, max_bytes);
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the log");
	if ((rc = mdb_cursor_open(txn, n->log, &log)) || (rc = mdb_cursor_open(txn, n->heads, &heads))) {
		e = lb_mdb_fail(d, rc, "reading the log");
		goto out;
	}
	lb_be64_put(kb, from ? from : 1);
	k = (MDB_val){8, kb};
	hk = k;
	hrc = mdb_cursor_get(heads, &hk, &hv, MDB_SET_RANGE);
	if (hrc == 0 && hk.mv_size == 8)
		next_head = lb_be64_get(hk.mv_data);
	for (rc = mdb_cursor_get(log, &k, &v, MDB_SET_RANGE); rc == 0 && next_head;
	     rc = mdb_cursor_get(log, &k, &v, MDB_NEXT)) {
		seq = k.mv_size == 8 ? lb_be64_get(k.mv_data) : 0;
		if (!lb_span_add(&sp, seq, v.mv_size, seq == next_head))
			break;
		if (seq == next_head) {
			hrc = mdb_cursor_get(heads, &hk, &hv, MDB_NEXT);
			next_head = hrc == 0 && hk.mv_size == 8 ? lb_be64_get(hk.mv_data) : 0;
		}
	}
	*to = sp.to;
	*bytes = sp.bytes;
	*over = sp.over;
	if (rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the log");
	else if (!*to)
		e = lb_fail(d, LB_ENOTFOUND, "nothing to send from seq %llu",
		            (unsigned long long)from);
out:
	if (heads)
		mdb_cursor_close(heads);
	if (log)
		mdb_cursor_close(log);
	mdb_txn_abort(txn);
	return e;
}

struct one_hash {
	uint8_t *hash;
	bool found;
};

static int hash_one(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct one_hash *h = ctx;
	(void)seq;
	lb_hash(h->hash, raw, len);
	h->found = true;
	return 1;
}

lb_err lb_node_entry_hash(struct lb_node *n, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                          struct lb_diag *d)
{
	struct one_hash h = {hash, false};
	lb_err e = seq ? lb_node_log_raw(n, seq, seq, hash_one, &h, d) : LB_OK;

	if (!e && !h.found)
		e = lb_fail(d, LB_ENOTFOUND, "no entry %llu in this node's log", (unsigned long long)seq);
	return e;
}
