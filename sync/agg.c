/*
 * agg.c — the aggregator store and change-set ingest (see agg.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "agg.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "../agg/agg_int.h"
#include "../agg/figures.h"
#include "../node/archive.h"
#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../node/merkle.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "wire.h"

#define RECEIPT_TAG "lumbung-receipt"
#define ENROLL_LEN (LB_VILLAGE_LEN + 1)
#define STATE_FIXED (8 + LB_HASH_BYTES + 8 + 8)
#define RKEY_LEN (LB_PK_BYTES + 8)

struct lb_agg {
	MDB_env *env;
	MDB_dbi meta, enroll, origins, replica, heads, view, forks;
	MDB_dbi figures;  /* agg/figures.h; none in a store made before them */
	bool no_figures;
	char region[16];
	struct lb_key key;
	bool read_only; /* lb_agg_open_ro: no key, no writes */
	/* Held shared by every transaction and exclusively to resize the map,
	 * which LMDB allows only while this process has no transaction open. */
	pthread_rwlock_t map_lock;
};

static void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static char *join(const char *dir, const char *file)
{
	size_t a = strlen(dir), b = strlen(file);
	char *p = malloc(a + b + 2);
	if (p)
		snprintf(p, a + b + 2, "%s/%s", dir, file);
	return p;
}

/* Set the map size (0: adopt another process's growth) with no
 * transaction of ours open. */
static int resize_map(struct lb_agg *a, size_t size)
{
	int rc;
	pthread_rwlock_wrlock(&a->map_lock);
	rc = mdb_env_set_mapsize(a->env, size);
	pthread_rwlock_unlock(&a->map_lock);
	return rc;
}

/* Every transaction goes through these three, so resize_map can wait for
 * all of them to end.  Returns LMDB codes. */
static int txn_begin(struct lb_agg *a, unsigned flags, MDB_txn **txn)
{
	int rc;

	for (int i = 0; i < 1000; i++) {
		pthread_rwlock_rdlock(&a->map_lock);
		rc = mdb_txn_begin(a->env, NULL, flags, txn);
		if (rc == 0)
			return 0;
		pthread_rwlock_unlock(&a->map_lock);
		if (rc != MDB_MAP_RESIZED || (rc = resize_map(a, 0)))
			return rc;
	}
	return MDB_MAP_RESIZED;
}

static int txn_commit(struct lb_agg *a, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);
	pthread_rwlock_unlock(&a->map_lock);
	return rc;
}

static void txn_abort(struct lb_agg *a, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&a->map_lock);
}

/* One put, then commit; the transaction ends either way. */
static int put_commit(struct lb_agg *a, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	int rc = mdb_put(txn, dbi, k, v, 0);
	if (rc) {
		txn_abort(a, txn);
		return rc;
	}
	return txn_commit(a, txn);
}

/* Double the map (MDB_MAP_FULL); other processes adopt it on their next
 * transaction. */
static int grow_map(struct lb_agg *a)
{
	MDB_envinfo info;
	int rc = mdb_env_info(a->env, &info);
	return rc ? rc : resize_map(a, info.me_mapsize * 2);
}

/* 4 GiB to start; it doubles whenever an ingest finds it full.
 * LUMBUNG_AGG_MAP_SIZE (bytes) starts it smaller: a testing knob. */
static size_t initial_map_size(void)
{
	const char *v = getenv("LUMBUNG_AGG_MAP_SIZE");
	size_t n = v ? (size_t)strtoull(v, NULL, 10) : 0;
	return n ? n : (size_t)4 << 30;
}

static lb_err open_env(struct lb_agg *a, const char *dir, bool create, struct lb_diag *d)
{
	MDB_txn *txn;
	unsigned f = create ? MDB_CREATE : 0;
	int rc, dead;

	/* read-only handles open the environment MDB_RDONLY too, so not even
	 * a bug of ours could write through one */
	if ((rc = lb_mdb_env_open(&a->env, dir, a->read_only, 16, initial_map_size())))
		return lb_mdb_fail(d, rc, dir); /* read-only: also on a read-only filesystem */
	mdb_reader_check(a->env, &dead);
	if ((rc = txn_begin(a, create ? 0 : MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "opening the aggregator store");
	if ((rc = mdb_dbi_open(txn, "meta", f, &a->meta)) ||
	    (rc = mdb_dbi_open(txn, "enroll", f, &a->enroll)) ||
	    (rc = mdb_dbi_open(txn, "origins", f, &a->origins)) ||
	    (rc = mdb_dbi_open(txn, "replica", f, &a->replica)) ||
	    (rc = mdb_dbi_open(txn, "heads", f, &a->heads)) ||
	    (rc = mdb_dbi_open(txn, "view", f, &a->view)) ||
	    (rc = mdb_dbi_open(txn, "forks", f, &a->forks))) {
		txn_abort(a, txn);
		return rc == MDB_NOTFOUND
		               ? lb_fail(d, LB_ENOTFOUND, "%s: not a lumbung aggregator", dir)
		               : lb_mdb_fail(d, rc, "opening the aggregator databases");
	}
	rc = mdb_dbi_open(txn, "figures", f, &a->figures);
	a->no_figures = rc == MDB_NOTFOUND;
	if ((rc && rc != MDB_NOTFOUND) || (rc = txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the aggregator databases");
	return LB_OK;
}

static struct lb_agg *agg_new(void)
{
	struct lb_agg *a = calloc(1, sizeof *a);
	if (a && pthread_rwlock_init(&a->map_lock, NULL)) {
		free(a);
		return NULL;
	}
	return a;
}

void lb_agg_close(struct lb_agg *a)
{
	if (!a)
		return;
	if (a->env)
		mdb_env_close(a->env);
	lb_key_wipe(&a->key);
	pthread_rwlock_destroy(&a->map_lock);
	free(a);
}

lb_err lb_agg_init(const char *dir, const char *region, uint8_t pk[LB_PK_BYTES],
                   struct lb_diag *d)
{
	enum lb_region_level lvl = lb_region_level(region);
	struct lb_agg *a = NULL;
	char *sec = NULL, *pub = NULL, *data = NULL;
	MDB_txn *txn;
	MDB_val k = {6, "region"}, v;
	lb_err e;
	int rc;

	if (lvl != LB_REGION_KABUPATEN && lvl != LB_REGION_KECAMATAN)
		return lb_fail(d, LB_EINVAL,
		               "\"%.20s\" is not a kabupaten (PP.KK) or kecamatan (PP.KK.CC) code",
		               region ? region : "");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return lb_fail(d, LB_EIO, "%s: %s", dir, strerror(errno));
	if (!(sec = join(dir, "agg.key")) || !(pub = join(dir, "agg.pub")) ||
	    !(data = join(dir, "data.mdb")) || !(a = agg_new())) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (access(data, F_OK) == 0) {
		e = lb_fail(d, LB_EEXIST, "%s already holds an aggregator", dir);
		goto out;
	}
	if ((e = lb_key_generate(sec, pub, pk, d)) || (e = open_env(a, dir, true, d)))
		goto out;
	if ((rc = txn_begin(a, 0, &txn))) {
		e = lb_mdb_fail(d, rc, "initialising");
		goto out;
	}
	v = (MDB_val){strlen(region), (void *)region};
	if ((rc = put_commit(a, txn, a->meta, &k, &v)))
		e = lb_mdb_fail(d, rc, "initialising");
out:
	lb_agg_close(a);
	free(sec);
	free(pub);
	free(data);
	return e;
}

static lb_err agg_open(struct lb_agg **out, const char *dir, bool read_only, struct lb_diag *d)
{
	struct lb_agg *a = agg_new();
	char *sec = join(dir, "agg.key"), *data = join(dir, "data.mdb");
	MDB_txn *txn;
	MDB_val k = {6, "region"}, v;
	lb_err e;
	int rc;

	*out = NULL;
	if (!a || !sec || !data) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto fail;
	}
	if (access(data, F_OK) != 0) {
		e = lb_fail(d, LB_ENOTFOUND,
		            "%s: no aggregator here (create one with: lumbung-agg init -d %s --region CODE)",
		            dir, dir);
		goto fail;
	}
	a->read_only = read_only;
	if ((!read_only && (e = lb_key_load(sec, &a->key, d))) || (e = open_env(a, dir, false, d)))
		goto fail;
	if ((rc = txn_begin(a, MDB_RDONLY, &txn))) {
		e = lb_mdb_fail(d, rc, "reading");
		goto fail;
	}
	rc = mdb_get(txn, a->meta, &k, &v);
	if (rc == 0 && v.mv_size < sizeof a->region) {
		memcpy(a->region, v.mv_data, v.mv_size);
		a->region[v.mv_size] = '\0';
	}
	txn_abort(a, txn);
	if (rc) {
		e = lb_fail(d, LB_ECORRUPT, "%s: aggregator region missing", dir);
		goto fail;
	}
	free(sec);
	free(data);
	*out = a;
	return LB_OK;
fail:
	free(sec);
	free(data);
	lb_agg_close(a);
	return e;
}

lb_err lb_agg_open(struct lb_agg **out, const char *dir, struct lb_diag *d)
{
	return agg_open(out, dir, false, d);
}

lb_err lb_agg_open_ro(struct lb_agg **out, const char *dir, struct lb_diag *d)
{
	return agg_open(out, dir, true, d);
}

/* Write calls on a read-only handle: a caller's mistake, said plainly. */
static lb_err refuse_read_only(const char *what, struct lb_diag *d)
{
	return lb_fail(d, LB_EINVAL, "%s: this aggregator was opened read-only (for auditing)",
	               what);
}

static void short_hex(char out[17], const uint8_t *pk)
{
	lb_hex(out, pk, 8);
}

lb_err lb_agg_enroll(struct lb_agg *a, const char *village, const uint8_t origin[LB_PK_BYTES],
                     struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v;
	uint8_t val[ENROLL_LEN];
	char hx[17];
	lb_err e = LB_OK;
	int rc;

	if (a->read_only)
		return refuse_read_only("enrolling", d);
	if (lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code (PP.KK.CC.DDDD)", village);
	if (!lb_region_contains(a->region, village))
		return lb_fail(d, LB_EINVAL, "village %s is outside this aggregator's region %s",
		               village, a->region);
	if ((rc = txn_begin(a, 0, &txn)))
		return lb_mdb_fail(d, rc, "enrolling");
	rc = mdb_get(txn, a->enroll, &k, &v);
	short_hex(hx, origin);
	if (rc == 0 && v.mv_size == ENROLL_LEN && memcmp(v.mv_data, village, LB_VILLAGE_LEN) != 0) {
		e = lb_fail(d, LB_EEXIST, "key %s... is already enrolled for village %.13s", hx,
		            (const char *)v.mv_data);
		goto out;
	}
	memcpy(val, village, LB_VILLAGE_LEN);
	val[LB_VILLAGE_LEN] = 0;
	v = (MDB_val){ENROLL_LEN, val};
	if ((rc = put_commit(a, txn, a->enroll, &k, &v)))
		return lb_mdb_fail(d, rc, "enrolling");
	return LB_OK;
out:
	txn_abort(a, txn);
	return e;
}

lb_err lb_agg_revoke(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v;
	uint8_t val[ENROLL_LEN];
	char hx[17];
	int rc;

	if (a->read_only)
		return refuse_read_only("revoking", d);
	if ((rc = txn_begin(a, 0, &txn)))
		return lb_mdb_fail(d, rc, "revoking");
	if ((rc = mdb_get(txn, a->enroll, &k, &v)) || v.mv_size != ENROLL_LEN) {
		txn_abort(a, txn);
		short_hex(hx, origin);
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "key %s... is not enrolled", hx);
	}
	memcpy(val, v.mv_data, ENROLL_LEN);
	val[LB_VILLAGE_LEN] = 1;
	v = (MDB_val){ENROLL_LEN, val};
	if ((rc = put_commit(a, txn, a->enroll, &k, &v)))
		return lb_mdb_fail(d, rc, "revoking");
	return LB_OK;
}

static void rkey(uint8_t out[RKEY_LEN], const uint8_t origin[LB_PK_BYTES], uint64_t seq)
{
	memcpy(out, origin, LB_PK_BYTES);
	be64_put(out + LB_PK_BYTES, seq);
}

/* Read enrolment and state of origin inside txn into o (and the Merkle
 * frontier into m when not NULL). */
static lb_err read_origin(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                          struct lb_agg_origin *o, struct lb_merkle *m, struct lb_diag *d)
{
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v;
	char hx[17];

	memset(o, 0, sizeof *o);
	memcpy(o->origin, origin, LB_PK_BYTES);
	if (m)
		lb_merkle_init(m);
	if (mdb_get(txn, a->enroll, &k, &v) || v.mv_size != ENROLL_LEN) {
		short_hex(hx, origin);
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "origin key %s... is not enrolled here", hx);
	}
	memcpy(o->village, v.mv_data, LB_VILLAGE_LEN);
	o->village[LB_VILLAGE_LEN] = '\0';
	o->revoked = ((uint8_t *)v.mv_data)[LB_VILLAGE_LEN] != 0;
	if (mdb_get(txn, a->origins, &k, &v) == 0 && v.mv_size >= STATE_FIXED) {
		const uint8_t *p = v.mv_data;
		o->seq = be64_get(p);
		memcpy(o->hash, p + 8, LB_HASH_BYTES);
		o->last_seen_ms = be64_get(p + 8 + LB_HASH_BYTES);
		o->forks = be64_get(p + 16 + LB_HASH_BYTES);
		if (m && lb_merkle_decode(m, p + STATE_FIXED, v.mv_size - STATE_FIXED))
			return lb_fail(d, LB_ECORRUPT, "origin state: bad Merkle frontier");
	}
	return LB_OK;
}

static int write_origin(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_origin *o,
                        const struct lb_merkle *m)
{
	uint8_t buf[STATE_FIXED + LB_MERKLE_ENC_MAX];
	MDB_val k = {LB_PK_BYTES, (void *)o->origin}, v;

	be64_put(buf, o->seq);
	memcpy(buf + 8, o->hash, LB_HASH_BYTES);
	be64_put(buf + 8 + LB_HASH_BYTES, o->last_seen_ms);
	be64_put(buf + 16 + LB_HASH_BYTES, o->forks);
	v = (MDB_val){STATE_FIXED + lb_merkle_encode(m, buf + STATE_FIXED), buf};
	return mdb_put(txn, a->origins, &k, &v, 0);
}

static bool key_of(const MDB_val *k, const uint8_t origin[LB_PK_BYTES])
{
	return k->mv_size == RKEY_LEN && memcmp(k->mv_data, origin, LB_PK_BYTES) == 0;
}

/* o->entries from the span of o's keys in the replica (see agg.h for why
 * the span is the count): two cursor positionings, no scan. */
static int count_held(struct lb_agg *a, MDB_txn *txn, struct lb_agg_origin *o)
{
	MDB_cursor *c;
	uint8_t key[RKEY_LEN];
	MDB_val k, v;
	uint64_t first;
	int rc;

	o->entries = 0;
	if ((rc = mdb_cursor_open(txn, a->replica, &c)))
		return rc;
	rkey(key, o->origin, 0);
	k = (MDB_val){RKEY_LEN, key};
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) || !key_of(&k, o->origin))
		goto out;
	first = be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
	/* the last key of the origin: the one before the first key past it */
	rkey(key, o->origin, UINT64_MAX);
	k = (MDB_val){RKEY_LEN, key};
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && !key_of(&k, o->origin))
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && key_of(&k, o->origin))
		o->entries = be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES) - first + 1;
out:
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

lb_err lb_agg_origin(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_agg_origin *o,
                     struct lb_diag *d)
{
	MDB_txn *txn;
	lb_err e;
	int rc;

	if ((rc = txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if (!(e = read_origin(a, txn, origin, o, NULL, d)) && (rc = count_held(a, txn, o)))
		e = lb_mdb_fail(d, rc, "reading the replica");
	txn_abort(a, txn);
	return e;
}

lb_err lb_agg_origins(struct lb_agg *a, lb_agg_origin_cb cb, void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e = LB_OK;
	int rc;

	if ((rc = txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((rc = mdb_cursor_open(txn, a->enroll, &c))) {
		txn_abort(a, txn);
		return lb_mdb_fail(d, rc, "reading");
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !e;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_agg_origin o;
		if (k.mv_size != LB_PK_BYTES)
			continue;
		if ((e = read_origin(a, txn, k.mv_data, &o, NULL, d)))
			break;
		if ((rc = count_held(a, txn, &o))) {
			e = lb_mdb_fail(d, rc, "reading the replica");
			break;
		}
		if (cb(ctx, &o))
			break;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the enrolments");
	mdb_cursor_close(c);
	txn_abort(a, txn);
	return e;
}

/* A view key is village NUL type NUL id (see view_key); split it. */
static bool split_view_key(const MDB_val *k, char village[LB_VILLAGE_LEN + 1],
                           char type[LB_TYPE_MAX + 1])
{
	const char *p = k->mv_data;
	const char *t = p + LB_VILLAGE_LEN + 1, *nul;
	size_t left;

	if (k->mv_size < LB_VILLAGE_LEN + 4 || p[LB_VILLAGE_LEN] != '\0')
		return false;
	left = k->mv_size - (LB_VILLAGE_LEN + 1);
	nul = memchr(t, '\0', left < LB_TYPE_MAX + 1 ? left : LB_TYPE_MAX + 1);
	if (!nul || nul == t || nul == p + k->mv_size - 1)
		return false;
	memcpy(village, p, LB_VILLAGE_LEN);
	village[LB_VILLAGE_LEN] = '\0';
	memcpy(type, t, (size_t)(nul - t) + 1);
	return true;
}

lb_err lb_agg_counts(struct lb_agg *a, const char *village, lb_agg_count_cb cb, void *ctx,
                     struct lb_diag *d)
{
	char vil[LB_VILLAGE_LEN + 1] = "", type[LB_TYPE_MAX + 1] = "";
	char kv[LB_VILLAGE_LEN + 1], kt[LB_TYPE_MAX + 1];
	uint8_t start[LB_VILLAGE_LEN + 1];
	uint64_t count = 0;
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k = {0, start}, v;
	lb_err e = LB_OK;
	int rc;

	if (village && lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code (PP.KK.CC.DDDD)", village);
	if ((rc = txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((rc = mdb_cursor_open(txn, a->view, &c))) {
		txn_abort(a, txn);
		return lb_mdb_fail(d, rc, "reading the consolidated view");
	}
	if (village) {
		memcpy(start, village, LB_VILLAGE_LEN);
		start[LB_VILLAGE_LEN] = 0;
		k.mv_size = sizeof start;
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	} else
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	/* keys sort by village then type, so each (village, type) is one run */
	for (; rc == 0; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (!split_view_key(&k, kv, kt)) {
			e = lb_fail(d, LB_ECORRUPT, "consolidated view: a key of %zu bytes is not "
			            "village NUL type NUL id", k.mv_size);
			break;
		}
		if (village && strcmp(kv, village) != 0)
			break;
		if (count && !strcmp(kv, vil) && !strcmp(kt, type)) {
			count++;
			continue;
		}
		if (count && cb(ctx, vil, type, count)) {
			count = 0;
			break;
		}
		memcpy(vil, kv, sizeof vil);
		memcpy(type, kt, sizeof type);
		count = 1;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the consolidated view");
	if (!e && count)
		cb(ctx, vil, type, count);
	mdb_cursor_close(c);
	txn_abort(a, txn);
	return e;
}

/* ---- ingest ------------------------------------------------------------- */

struct ingest {
	struct lb_agg *a;
	MDB_txn *txn;
	const char *village;
	struct pending *pv;
};

static size_t view_key(uint8_t *k, const char *village, const struct lb_entry *e)
{
	size_t n = 0;
	memcpy(k, village, LB_VILLAGE_LEN);
	n = LB_VILLAGE_LEN;
	k[n++] = 0;
	memcpy(k + n, e->type, e->type_len);
	n += e->type_len;
	k[n++] = 0;
	memcpy(k + n, e->id, e->id_len);
	return n + e->id_len;
}

/*
 * View changes of one change set are collected here and applied in key
 * order after every entry has been checked: random record ids put one by
 * one cost a B-tree descent into a cold page each; sorted, consecutive puts
 * land on the pages just touched.  References made inside the change set
 * are answered from here first, so order of entries still matters as it
 * does in the village.
 */
struct pv_item {
	const uint8_t *key; /* set just before sorting (the arena may move before) */
	uint32_t off, len;  /* key in arena */
	uint32_t order;    /* position in the change set: the last one wins */
	uint8_t val[RKEY_LEN];
	bool put;
	uint32_t eoff, elen; /* a put's entry in arena, for the figures */
};

struct pending {
	struct pv_item *it;
	size_t n, cap;
	uint32_t *slot; /* open addressing: index + 1, 0 empty */
	size_t nslot;
	struct lb_mp_buf arena;
};

static uint64_t pv_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h;
}

static struct pv_item *pv_find(struct pending *p, const uint8_t *k, size_t n, size_t *at)
{
	size_t i = (size_t)pv_hash(k, n) & (p->nslot - 1);
	for (;; i = (i + 1) & (p->nslot - 1)) {
		struct pv_item *it;
		if (!p->slot[i]) {
			*at = i;
			return NULL;
		}
		it = &p->it[p->slot[i] - 1];
		if (it->len == n && !memcmp(p->arena.sb.data + it->off, k, n)) {
			*at = i;
			return it;
		}
	}
}

static bool pv_init(struct pending *p, size_t n)
{
	memset(p, 0, sizeof *p);
	p->nslot = 16;
	while (p->nslot < 2 * n + 2)
		p->nslot *= 2;
	lb_mp_buf_init(&p->arena);
	p->cap = n ? n : 1;
	p->it = malloc(p->cap * sizeof *p->it);
	p->slot = calloc(p->nslot, sizeof *p->slot);
	return p->it && p->slot;
}

static void pv_free(struct pending *p)
{
	free(p->it);
	free(p->slot);
	lb_mp_buf_free(&p->arena);
}

/* Record that key now is put (val) or deleted. */
static bool pv_set(struct pending *p, const uint8_t *k, size_t n, const uint8_t val[RKEY_LEN],
                   bool put, const void *ent, size_t elen)
{
	size_t at;
	struct pv_item *it = pv_find(p, k, n, &at);

	if (!it) {
		if (p->n == p->cap)
			return false; /* sized for the change set: cannot happen */
		it = &p->it[p->n];
		it->off = (uint32_t)p->arena.sb.size;
		it->len = (uint32_t)n;
		lb_mp_put_raw(&p->arena, k, n);
		if (p->arena.oom)
			return false;
		p->slot[at] = (uint32_t)++p->n;
	}
	it->order = (uint32_t)p->n;
	it->put = put;
	memcpy(it->val, val, RKEY_LEN);
	it->eoff = (uint32_t)p->arena.sb.size;
	it->elen = put ? (uint32_t)elen : 0;
	if (put)
		lb_mp_put_raw(&p->arena, ent, elen);
	return !p->arena.oom;
}

static int pv_cmp(const void *a, const void *b)
{
	const struct pv_item *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Apply in key order (items are unique per key); the figures follow each
 * view change in the same transaction (agg/figures.h). */
static int pv_apply(struct pending *p, MDB_txn *txn, MDB_dbi view, struct lb_agg *a)
{
	struct lb_fig_batch *fb = NULL;
	MDB_cursor *vc = NULL; /* the old values, read in key order */
	int rc = 0;

	if (!a->no_figures && lb_fig_enabled() &&
	    (!(fb = lb_fig_batch_new(txn, a->figures, a->replica)) ||
	     mdb_cursor_open(txn, view, &vc))) {
		lb_fig_batch_free(fb);
		return ENOMEM;
	}

	for (size_t i = 0; i < p->n; i++)
		p->it[i].key = (const uint8_t *)p->arena.sb.data + p->it[i].off;
	qsort(p->it, p->n, sizeof *p->it, pv_cmp);
	for (size_t i = 0; i < p->n && !rc; i++) {
		MDB_val k = {p->it[i].len, (void *)p->it[i].key};
		MDB_val v = {RKEY_LEN, p->it[i].val}, old;
		MDB_val ent = {p->it[i].elen, p->arena.sb.data + p->it[i].eoff};
		if (fb) { /* take the old record's contribution off, add the new one's */
			MDB_val at = k;
			int had = mdb_cursor_get(vc, &at, &old, MDB_SET_KEY);
			if (had && had != MDB_NOTFOUND) {
				rc = had;
				break;
			}
			if ((!had || p->it[i].put) &&
			    (rc = lb_fig_change(fb, &k, had ? NULL : &old, p->it[i].put ? &ent : NULL)))
				break;
		}
		rc = p->it[i].put ? mdb_put(txn, view, &k, &v, 0) : mdb_del(txn, view, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (fb && !rc)
		rc = lb_fig_flush(fb);
	if (vc)
		mdb_cursor_close(vc);
	lb_fig_batch_free(fb);
	return rc;
}

/* References resolve in the village's own part of the consolidated view. */
static bool view_has(void *ctx, const char *type, const char *id, size_t id_len)
{
	struct ingest *in = ctx;
	uint8_t k[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX];
	struct lb_entry e = {.type = type, .type_len = strlen(type), .id = id, .id_len = id_len};
	MDB_val key, v;

	if (e.type_len > LB_TYPE_MAX || id_len > LB_ID_MAX)
		return false;
	key = (MDB_val){view_key(k, in->village, &e), k};
	if (in->pv) {
		size_t at;
		const struct pv_item *it = pv_find(in->pv, k, key.mv_size, &at);
		if (it)
			return it->put;
	}
	return mdb_get(in->txn, in->a->view, &key, &v) == 0;
}

static lb_err sign_receipt(struct lb_agg *a, const struct lb_receipt *rc, uint8_t **out,
                           size_t *len, struct lb_diag *d)
{
	struct lb_mp_buf b;
	uint8_t sig[LB_SIG_BYTES] = {0};

	lb_mp_buf_init(&b);
	lb_mp_put_raw(&b, sig, sizeof sig);
	lb_mp_put_array(&b, 7);
	lb_mp_put_cstr(&b, RECEIPT_TAG);
	lb_mp_put_uint(&b, 1);
	lb_mp_put_bin(&b, rc->origin, LB_PK_BYTES);
	lb_mp_put_uint(&b, rc->seq);
	lb_mp_put_bin(&b, rc->hash, LB_HASH_BYTES);
	lb_mp_put_bin(&b, rc->root, LB_HASH_BYTES);
	lb_mp_put_uint(&b, rc->received_ms);
	if (b.oom) {
		lb_mp_buf_free(&b);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	lb_sign(sig, b.sb.data + LB_SIG_BYTES, b.sb.size - LB_SIG_BYTES, &a->key);
	memcpy(b.sb.data, sig, sizeof sig);
	*out = (uint8_t *)b.sb.data; /* hand the buffer over */
	*len = b.sb.size;
	return LB_OK;
}

lb_err lb_receipt_open(struct lb_receipt *rc, const void *buf, size_t len,
                       const uint8_t agg_pk[LB_PK_BYTES], struct lb_diag *d)
{
	const uint8_t *p = buf, *s;
	struct lb_mp_rd r;
	uint32_t n;
	uint64_t ver;
	lb_err e;

	memset(rc, 0, sizeof *rc);
	if (len < LB_SIG_BYTES + 1)
		return lb_fail(d, LB_EMALFORMED, "receipt too short");
	lb_mp_rd_init(&r, p + LB_SIG_BYTES, len - LB_SIG_BYTES);
	if ((e = lb_mp_read_array(&r, 7, "receipt", d)) ||
	    (e = lb_mp_read_str(&r, &s, &n, "receipt tag", d)))
		return e;
	if (n != strlen(RECEIPT_TAG) || memcmp(s, RECEIPT_TAG, n))
		return lb_fail(d, LB_EMALFORMED, "not a lumbung receipt");
	if ((e = lb_mp_read_uint(&r, &ver, "receipt version", d)))
		return e;
	if (ver != 1)
		return lb_fail(d, LB_EMALFORMED, "receipt version %llu unknown", (unsigned long long)ver);
	if ((e = lb_mp_read_binn(&r, &s, LB_PK_BYTES, "receipt origin", d)))
		return e;
	memcpy(rc->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_read_uint(&r, &rc->seq, "receipt seq", d)) ||
	    (e = lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "receipt hash", d)))
		return e;
	memcpy(rc->hash, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_binn(&r, &s, LB_HASH_BYTES, "receipt tree_root", d)))
		return e;
	memcpy(rc->root, s, LB_HASH_BYTES);
	if ((e = lb_mp_read_uint(&r, &rc->received_ms, "receipt time", d)))
		return e;
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "receipt: trailing bytes");
	if (!lb_sig_ok(p, p + LB_SIG_BYTES, len - LB_SIG_BYTES, agg_pk))
		return lb_fail(d, LB_ESIG, "receipt is not signed by this aggregator's key");
	return LB_OK;
}

/* Keep both signed heads of a fork, in their own transaction: the ingest
 * itself is refused, but the evidence must survive. */
static void keep_fork(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], uint64_t seq,
                      const uint8_t *theirs, size_t tlen)
{
	MDB_txn *txn;
	MDB_val k, v;
	uint8_t key[RKEY_LEN], *buf = NULL;
	struct lb_agg_origin o;
	struct lb_merkle m;

	if (txn_begin(a, 0, &txn))
		return;
	if (read_origin(a, txn, origin, &o, &m, NULL))
		goto out;
	/* our head: the one that covers seq (first stored head at or after it) */
	{
		MDB_cursor *c;
		rkey(key, origin, seq);
		k = (MDB_val){RKEY_LEN, key};
		if (mdb_cursor_open(txn, a->heads, &c) ||
		    mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) || k.mv_size != RKEY_LEN ||
		    memcmp(k.mv_data, origin, LB_PK_BYTES)) {
			goto out;
		}
		if (!(buf = malloc(4 + v.mv_size + tlen)))
			goto out;
		/* evidence: u32 length of ours, ours, theirs */
		buf[0] = (uint8_t)(v.mv_size >> 24);
		buf[1] = (uint8_t)(v.mv_size >> 16);
		buf[2] = (uint8_t)(v.mv_size >> 8);
		buf[3] = (uint8_t)v.mv_size;
		memcpy(buf + 4, v.mv_data, v.mv_size);
		memcpy(buf + 4 + v.mv_size, theirs, tlen);
		rkey(key, origin, seq);
		k = (MDB_val){RKEY_LEN, key};
		v = (MDB_val){4 + v.mv_size + tlen, buf};
	}
	o.forks++;
	if (mdb_put(txn, a->forks, &k, &v, 0) || write_origin(a, txn, &o, &m))
		goto out;
	txn_commit(a, txn);
	txn = NULL;
out:
	if (txn)
		txn_abort(a, txn);
	free(buf);
}

/* One attempt; *mdbrc gets the LMDB code behind a store failure, so the
 * caller can grow a full map and try again. */
static lb_err ingest_once(struct lb_agg *a, const void *body, size_t len,
                          struct lb_agg_result *r, int *mdbrc, struct lb_diag *d)
{
	struct lb_changeset cs;
	struct lb_agg_origin o;
	struct lb_merkle m;
	struct lb_head h;
	struct lb_mp_buf eb;
	struct ingest in = {.a = a};
	struct pending pv = {0};
	uint8_t prev[LB_HASH_BYTES] = {0}, hash[LB_HASH_BYTES], root[LB_HASH_BYTES];
	uint64_t last, fork_seq = 0;
	MDB_txn *txn = NULL;
	lb_err e;
	int rc;

	memset(r, 0, sizeof *r);
	if (a->read_only)
		return refuse_read_only("ingesting", d);
	lb_mp_buf_init(&pv.arena);
	if ((e = lb_wire_decode(&cs, body, len, d)))
		return e;
	lb_mp_buf_init(&eb);
	last = cs.first_seq + cs.n - 1;
	if ((rc = txn_begin(a, 0, &txn))) {
		e = lb_mdb_fail(d, rc, "starting ingest");
		txn = NULL;
		goto out;
	}
	if ((e = read_origin(a, txn, cs.origin, &o, &m, d)))
		goto out;
	r->seq = o.seq;
	memcpy(r->hash, o.hash, LB_HASH_BYTES);
	if (o.revoked) {
		e = lb_fail(d, LB_EUNKNOWN_ORIGIN, "this origin key was revoked for %s", o.village);
		goto out;
	}
	if (strcmp(o.village, cs.village) != 0) {
		e = lb_fail(d, LB_EWRONG_VILLAGE, "this key is enrolled for %s, not %s", o.village,
		            cs.village);
		goto out;
	}
	if ((e = lb_head_open(&h, cs.head, cs.head_len, cs.origin, d)))
		goto out;
	if (strcmp(h.village, cs.village) != 0 || h.seq != last) {
		e = lb_fail(d, LB_ESIG, "the signed head (village %s, seq %llu) does not cover this "
		            "change set (village %s, seq %llu)", h.village, (unsigned long long)h.seq,
		            cs.village, (unsigned long long)last);
		goto out;
	}
	if (cs.first_seq > o.seq + 1) {
		e = lb_fail(d, LB_EGAP, "change set starts at seq %llu but this aggregator holds up to "
		            "seq %llu; send from seq %llu", (unsigned long long)cs.first_seq,
		            (unsigned long long)o.seq, (unsigned long long)o.seq + 1);
		goto out;
	}
	if (cs.first_seq > 1) {
		/* the hash of the entry before the first one: ours */
		uint8_t key[RKEY_LEN];
		MDB_val k = {RKEY_LEN, key}, v;
		rkey(key, cs.origin, cs.first_seq - 1);
		if (cs.first_seq - 1 == o.seq)
			memcpy(prev, o.hash, LB_HASH_BYTES);
		else if (mdb_get(txn, a->replica, &k, &v) == 0)
			lb_hash(prev, v.mv_data, v.mv_size);
		else {
			e = lb_fail(d, LB_ECORRUPT, "replica entry %llu is missing",
			            (unsigned long long)cs.first_seq - 1);
			goto out;
		}
	}
	in.txn = txn;
	in.village = cs.village;
	if (!pv_init(&pv, cs.n)) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	in.pv = &pv;
	for (size_t i = 0; i < cs.n; i++) {
		struct lb_entry en;
		uint64_t seq = cs.first_seq + i;
		uint8_t key[RKEY_LEN], vk[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX], vval[RKEY_LEN];
		MDB_val k = {RKEY_LEN, key}, v;

		if ((e = lb_wire_rebuild(&cs, i, prev, &eb, &en, hash, d)))
			goto out;
		rkey(key, cs.origin, seq);
		if (seq <= o.seq && !fork_seq &&
		    (mdb_get(txn, a->replica, &k, &v) || v.mv_size != eb.sb.size ||
		     memcmp(v.mv_data, eb.sb.data, v.mv_size)))
			fork_seq = seq; /* a fork only if the chain proves signed: see below */
		if (seq <= o.seq || fork_seq) {
			/* held (or a rival history): chained, never stored */
			memcpy(prev, hash, LB_HASH_BYTES);
			continue;
		}
		{
			struct lb_refs refs = {view_has, &in};
			if ((e = lb_entry_check_schema(&en, &refs, d)))
				goto out;
		}
		v = (MDB_val){eb.sb.size, eb.sb.data};
		if ((rc = mdb_put(txn, a->replica, &k, &v, 0))) {
			*mdbrc = rc;
			e = lb_mdb_fail(d, rc, "storing the replica");
			goto out;
		}
		rkey(vval, cs.origin, seq);
		if (!pv_set(&pv, vk, view_key(vk, cs.village, &en), vval, en.op == LB_OP_PUT,
		            eb.sb.data, eb.sb.size)) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		lb_merkle_append(&m, hash);
		r->accepted++;
		memcpy(prev, hash, LB_HASH_BYTES);
	}
	if (memcmp(prev, h.hash, LB_HASH_BYTES) != 0) {
		e = lb_fail(d, LB_ESIG, "the entries do not chain to the signed head's hash");
		goto out;
	}
	if (!fork_seq && (rc = pv_apply(&pv, txn, a->view, a))) {
		*mdbrc = rc;
		e = lb_mdb_fail(d, rc, "updating the consolidated view");
		goto out;
	}
	if (fork_seq) {
		/* the village's key signed a history that differs from ours */
		e = lb_fail(d, LB_EFORK, "seq %llu differs from the entry already accepted: "
		            "the village rewrote its history (both signed heads kept)",
		            (unsigned long long)fork_seq);
		goto out;
	}
	if (last > o.seq) {
		uint8_t key[RKEY_LEN];
		MDB_val k = {RKEY_LEN, key}, v = {cs.head_len, (void *)cs.head};
		lb_merkle_root(&m, root);
		if (memcmp(root, h.root, LB_HASH_BYTES) != 0) {
			e = lb_fail(d, LB_ESIG, "the signed head's Merkle root does not match the log");
			goto out;
		}
		rkey(key, cs.origin, last);
		if ((rc = mdb_put(txn, a->heads, &k, &v, 0))) {
			*mdbrc = rc;
			e = lb_mdb_fail(d, rc, "storing the signed head");
			goto out;
		}
		o.seq = last;
		memcpy(o.hash, prev, LB_HASH_BYTES);
	} else
		memcpy(root, h.root, LB_HASH_BYTES); /* a resend of what we hold */
	o.last_seen_ms = lb_hlc_wall_ms();
	if ((rc = write_origin(a, txn, &o, &m))) {
		*mdbrc = rc;
		e = lb_mdb_fail(d, rc, "storing the origin's state");
		goto out;
	}
	rc = txn_commit(a, txn);
	txn = NULL;
	if (rc) {
		*mdbrc = rc;
		e = lb_mdb_fail_env(d, a->env, rc, "committing"); /* EIO on a full disk: "disk full" */
		goto out;
	}
	r->seq = o.seq;
	memcpy(r->hash, o.hash, LB_HASH_BYTES);
	{
		struct lb_receipt rc2 = {.seq = o.seq, .received_ms = o.last_seen_ms};
		memcpy(rc2.origin, cs.origin, LB_PK_BYTES);
		memcpy(rc2.hash, o.hash, LB_HASH_BYTES);
		if (o.seq == last)
			memcpy(rc2.root, root, LB_HASH_BYTES);
		else
			lb_merkle_root(&m, rc2.root);
		e = sign_receipt(a, &rc2, &r->receipt, &r->receipt_len, d);
	}
out:
	if (txn)
		txn_abort(a, txn);
	if (e == LB_EFORK)
		keep_fork(a, cs.origin, fork_seq, cs.head, cs.head_len);
	pv_free(&pv);
	lb_mp_buf_free(&eb);
	lb_changeset_free(&cs);
	return e;
}

#define MAX_GROWTHS 12

lb_err lb_agg_ingest(struct lb_agg *a, const void *body, size_t len, struct lb_agg_result *r,
                     struct lb_diag *d)
{
	for (int growths = 0;; growths++) {
		int mdbrc = 0;
		lb_err e = ingest_once(a, body, len, r, &mdbrc, d);
		if (!e || mdbrc != MDB_MAP_FULL || growths == MAX_GROWTHS || grow_map(a))
			return e;
	}
}

/* ---- for agg/: figures and reports (agg/agg_int.h) ---------------------- */

lb_err lb_agg_read_begin(struct lb_agg *a, struct lb_agg_read *r, struct lb_diag *d)
{
	int rc;
	if (a->no_figures)
		return lb_fail(d, LB_ENOTFOUND, "this aggregator store has no figures (made by an "
		               "older lumbung-agg)");
	if ((rc = txn_begin(a, MDB_RDONLY, &r->txn)))
		return lb_mdb_fail(d, rc, "reading");
	r->figures = a->figures;
	r->view = a->view;
	r->replica = a->replica;
	memcpy(r->region, a->region, sizeof r->region);
	return LB_OK;
}

void lb_agg_read_end(struct lb_agg *a, struct lb_agg_read *r)
{
	txn_abort(a, r->txn);
}

lb_err lb_agg_verify_figures(struct lb_agg *a, uint64_t *keys, struct lb_diag *d)
{
	struct lb_agg_read r;
	lb_err e = lb_agg_read_begin(a, &r, d);
	if (e)
		return e;
	e = lb_fig_verify(r.txn, r.figures, r.view, r.replica, keys, d);
	lb_agg_read_end(a, &r);
	return e;
}

/* ---- log archives (node/archive.h, docs/FORMAT.md §9) -------------------- */

static lb_err archive_header(struct lb_lla_writer *w, const struct lb_agg_origin *o,
                             struct lb_diag *d)
{
	struct lb_lla_header h = {.source = "aggregator"};

	memcpy(h.village, o->village, sizeof h.village);
	memcpy(h.origin, o->origin, LB_PK_BYTES);
	return lb_lla_write_header(w, &h, d);
}

lb_err lb_agg_export_log(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], FILE *out,
                         struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_agg_origin o;
	uint8_t key[RKEY_LEN], hkey[RKEY_LEN];
	MDB_txn *txn;
	MDB_cursor *rep = NULL, *heads = NULL;
	MDB_val k = {RKEY_LEN, key}, v, hk = {RKEY_LEN, hkey}, hv;
	uint64_t seq = 0, hseq = 0;
	lb_err e;
	int rc, hrc;

	if ((rc = txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	lb_lla_writer_init(&w, out);
	/* a revoked origin's history is exported too: an auditor wants it most */
	if ((e = read_origin(a, txn, origin, &o, NULL, d)) || (e = archive_header(&w, &o, d)))
		goto out;
	if ((rc = mdb_cursor_open(txn, a->replica, &rep)) ||
	    (rc = mdb_cursor_open(txn, a->heads, &heads))) {
		e = lb_mdb_fail(d, rc, "reading the replica");
		goto out;
	}
	rkey(key, origin, 1);
	rkey(hkey, origin, 1);
	hrc = mdb_cursor_get(heads, &hk, &hv, MDB_SET_RANGE);
	if (hrc == 0 && !key_of(&hk, origin))
		hrc = MDB_NOTFOUND;
	/* the replica and its heads side by side, both keyed origin || seq */
	for (rc = mdb_cursor_get(rep, &k, &v, MDB_SET_RANGE); rc == 0 && key_of(&k, origin);
	     rc = mdb_cursor_get(rep, &k, &v, MDB_NEXT)) {
		seq = be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
		if (seq > o.seq)
			break; /* cannot happen: entries and state move in one txn */
		if ((e = lb_lla_write_entry(&w, v.mv_data, v.mv_size, d))) {
			lb_diag_prefix(d, "seq %llu", (unsigned long long)seq);
			goto out;
		}
		if (hrc != 0)
			continue;
		hseq = be64_get((const uint8_t *)hk.mv_data + LB_PK_BYTES);
		if (hseq < seq) {
			e = lb_fail(d, LB_ECORRUPT, "the stored head at seq %llu covers no replica entry",
			            (unsigned long long)hseq);
			goto out;
		}
		if (hseq != seq)
			continue;
		if ((e = lb_lla_write_head(&w, hv.mv_data, hv.mv_size, d))) {
			lb_diag_prefix(d, "seq %llu", (unsigned long long)seq);
			goto out;
		}
		hrc = mdb_cursor_get(heads, &hk, &hv, MDB_NEXT);
		if (hrc == 0 && !key_of(&hk, origin))
			hrc = MDB_NOTFOUND;
	}
	if ((rc && rc != MDB_NOTFOUND) || (hrc && hrc != MDB_NOTFOUND)) {
		e = lb_mdb_fail(d, rc && rc != MDB_NOTFOUND ? rc : hrc, "reading the replica");
		goto out;
	}
	if (w.count.entries != o.seq) {
		e = lb_fail(d, LB_ECORRUPT, "the replica holds %llu entries for this origin, its state "
		            "says %llu", (unsigned long long)w.count.entries,
		            (unsigned long long)o.seq);
		goto out;
	}
	e = lb_lla_write_trailer(&w, d);
out:
	if (heads)
		mdb_cursor_close(heads);
	if (rep)
		mdb_cursor_close(rep);
	txn_abort(a, txn);
	lb_lla_writer_free(&w);
	return e;
}

#define FORK_LIST_MAX 4 /* origins named in the "which one?" message */

/* With no origin given: the one origin holding fork evidence. */
static lb_err forked_origin(struct lb_agg *a, MDB_txn *txn, uint8_t origin[LB_PK_BYTES],
                            struct lb_diag *d)
{
	uint8_t seen[FORK_LIST_MAX][LB_PK_BYTES], last[LB_PK_BYTES];
	size_t n = 0;
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, a->forks, &c)))
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != RKEY_LEN)
			continue;
		if (n && !memcmp(k.mv_data, last, LB_PK_BYTES))
			continue; /* keys sort by origin: one origin's forks are one run */
		memcpy(last, k.mv_data, LB_PK_BYTES);
		if (n < FORK_LIST_MAX)
			memcpy(seen[n], last, LB_PK_BYTES);
		n++;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the fork evidence");
	if (n == 0)
		return lb_fail(d, LB_ENOTFOUND, "this aggregator holds no fork evidence");
	if (n > 1) {
		char msg[LB_DIAG_MAX], hx[2 * LB_PK_BYTES + 1];
		size_t len = (size_t)snprintf(msg, sizeof msg, "fork evidence is held for %zu origins; "
		                              "name one:", n);
		for (size_t i = 0; i < n && i < FORK_LIST_MAX && len < sizeof msg; i++) {
			lb_hex(hx, seen[i], LB_PK_BYTES);
			len += (size_t)snprintf(msg + len, sizeof msg - len, " %s", hx);
		}
		if (n > FORK_LIST_MAX && len < sizeof msg)
			snprintf(msg + len, sizeof msg - len, " and %zu more", n - FORK_LIST_MAX);
		return lb_fail(d, LB_EINVAL, "%s", msg);
	}
	memcpy(origin, seen[0], LB_PK_BYTES);
	return LB_OK;
}

lb_err lb_agg_export_forks(struct lb_agg *a, const uint8_t *origin, FILE *out, size_t *count,
                           struct lb_diag *d)
{
	struct lb_lla_writer w;
	struct lb_agg_origin o;
	uint8_t who[LB_PK_BYTES], key[RKEY_LEN];
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k = {RKEY_LEN, key}, v;
	lb_err e;
	int rc;

	if (count)
		*count = 0;
	if ((rc = txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	lb_lla_writer_init(&w, out);
	if (origin)
		memcpy(who, origin, LB_PK_BYTES);
	else if ((e = forked_origin(a, txn, who, d)))
		goto out;
	if ((e = read_origin(a, txn, who, &o, NULL, d)) || (e = archive_header(&w, &o, d)))
		goto out;
	if ((rc = mdb_cursor_open(txn, a->forks, &c))) {
		e = lb_mdb_fail(d, rc, "reading the fork evidence");
		goto out;
	}
	rkey(key, who, 0);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0 && key_of(&k, who);
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		/* evidence: u32 BE length of ours || ours || theirs (keep_fork) */
		const uint8_t *p = v.mv_data;
		uint64_t seq = be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
		size_t olen = v.mv_size >= 4 ? (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		                                       (size_t)p[2] << 8 | p[3]
		                             : 0;
		if (v.mv_size < 4 || olen == 0 || olen >= v.mv_size - 4) {
			e = lb_fail(d, LB_ECORRUPT, "the fork evidence at seq %llu is damaged",
			            (unsigned long long)seq);
			goto out;
		}
		if ((e = lb_lla_write_fork(&w, p + 4, olen, p + 4 + olen, v.mv_size - 4 - olen, d))) {
			lb_diag_prefix(d, "fork at seq %llu", (unsigned long long)seq);
			goto out;
		}
	}
	if (rc && rc != MDB_NOTFOUND) {
		e = lb_mdb_fail(d, rc, "reading the fork evidence");
		goto out;
	}
	if (!(e = lb_lla_write_trailer(&w, d)) && count)
		*count = (size_t)w.count.forks;
out:
	if (c)
		mdb_cursor_close(c);
	txn_abort(a, txn);
	lb_lla_writer_free(&w);
	return e;
}
