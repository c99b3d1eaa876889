/*
 * store.c — the aggregator's LMDB store: environment, map growth and
 * locking, enrolment, origins and counts (see agg.h).  Ingest is in
 * ingest.c, archives in export.c.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include "agg_int.h"
#include "figures.h"
#include "moves.h"
#include "tree_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

#include "../node/archive.h"
#include "../node/chain.h"
#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../node/merkle.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "../sync/wire.h"


void agg_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t agg_be64_get(const uint8_t *p)
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
int agg_txn_begin(struct lb_agg *a, unsigned flags, MDB_txn **txn)
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

int agg_txn_commit(struct lb_agg *a, MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);
	pthread_rwlock_unlock(&a->map_lock);
	return rc;
}

void agg_txn_abort(struct lb_agg *a, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	pthread_rwlock_unlock(&a->map_lock);
}

/* One put, then commit; the transaction ends either way. */
static int put_commit(struct lb_agg *a, MDB_txn *txn, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
	int rc = mdb_put(txn, dbi, k, v, 0);
	if (rc) {
		agg_txn_abort(a, txn);
		return rc;
	}
	return agg_txn_commit(a, txn);
}

/* The map's size now.  mdb_env_info reads the meta pages inside the map,
 * so it too must not run while another thread's resize has it unmapped. */
lb_err agg_read_cursor(struct lb_agg *a, MDB_dbi dbi, MDB_txn **txn, MDB_cursor **c,
                       const char *what, struct lb_diag *d)
{
	int rc;

	if ((rc = agg_txn_begin(a, MDB_RDONLY, txn)))
		return lb_mdb_fail(d, rc, what);
	if ((rc = mdb_cursor_open(*txn, dbi, c))) {
		agg_txn_abort(a, *txn);
		return lb_mdb_fail(d, rc, what);
	}
	return LB_OK;
}

size_t agg_map_size(struct lb_agg *a)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_rdlock(&a->map_lock);
	rc = mdb_env_info(a->env, &info);
	pthread_rwlock_unlock(&a->map_lock);
	return rc ? 0 : info.me_mapsize;
}

/* Double the map (MDB_MAP_FULL) unless another thread grew it since it
 * was seen full at size seen; other processes adopt it on their next
 * transaction.  Size check and resize happen under one exclusive hold. */
int agg_grow_map(struct lb_agg *a, size_t seen)
{
	MDB_envinfo info;
	int rc;

	pthread_rwlock_wrlock(&a->map_lock);
	rc = mdb_env_info(a->env, &info);
	if (!rc && info.me_mapsize <= seen)
		rc = mdb_env_set_mapsize(a->env, info.me_mapsize * 2);
	pthread_rwlock_unlock(&a->map_lock);
	return rc;
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
	if ((rc = lb_mdb_env_open(&a->env, dir, a->read_only, 32, initial_map_size())))
		return lb_mdb_fail(d, rc, dir); /* read-only: also on a read-only filesystem */
	mdb_reader_check(a->env, &dead);
	if ((rc = agg_txn_begin(a, create ? 0 : MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "opening the aggregator store");
	if ((rc = mdb_dbi_open(txn, "meta", f, &a->meta)) ||
	    (rc = mdb_dbi_open(txn, "enroll", f, &a->enroll)) ||
	    (rc = mdb_dbi_open(txn, "origins", f, &a->origins)) ||
	    (rc = mdb_dbi_open(txn, "replica", f, &a->replica)) ||
	    (rc = mdb_dbi_open(txn, "heads", f, &a->heads)) ||
	    (rc = mdb_dbi_open(txn, "view", f, &a->view)) ||
	    (rc = mdb_dbi_open(txn, "forks", f, &a->forks))) {
		agg_txn_abort(a, txn);
		return rc == MDB_NOTFOUND
		               ? lb_fail(d, LB_ENOTFOUND, "%s: not a lumbung aggregator", dir)
		               : lb_mdb_fail(d, rc, "opening the aggregator databases");
	}
	rc = mdb_dbi_open(txn, "figures", f, &a->figures);
	a->no_figures = rc == MDB_NOTFOUND;
	if ((rc && rc != MDB_NOTFOUND) || (rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the aggregator databases");
	return LB_OK;
}

static struct lb_agg *agg_new(void)
{
	struct lb_agg *a = calloc(1, sizeof *a);
	pthread_rwlockattr_t at;
	int rc;

	if (!a || pthread_rwlockattr_init(&at)) {
		free(a);
		return NULL;
	}
#ifdef PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP
	/* a resize waits only for the transactions already open: readers
	 * arriving all the time (GETs, status) must not starve it.  Nobody
	 * takes map_lock twice on one thread, so the non-recursive kind is
	 * safe. */
	pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
	rc = pthread_rwlock_init(&a->map_lock, &at);
	pthread_rwlockattr_destroy(&at);
	if (rc) {
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
	if ((rc = agg_txn_begin(a, 0, &txn))) {
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
	if ((!read_only && (e = lb_key_load(sec, &a->key, d))) || (e = open_env(a, dir, false, d)) ||
	    (e = agg_dir_open(a, d)) || (e = agg_token_open(a, d)) ||
	    (e = agg_relay_open(a, d)) || (e = agg_tree_open(a, d)) || (e = agg_succ_open(a, d)) ||
	    (e = agg_moves_open(a, d)))
		goto fail;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn))) {
		e = lb_mdb_fail(d, rc, "reading");
		goto fail;
	}
	rc = mdb_get(txn, a->meta, &k, &v);
	if (rc == 0 && v.mv_size < sizeof a->region) {
		memcpy(a->region, v.mv_data, v.mv_size);
		a->region[v.mv_size] = '\0';
	}
	agg_txn_abort(a, txn);
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
lb_err agg_refuse_read_only(const char *what, struct lb_diag *d)
{
	return lb_fail(d, LB_EINVAL, "%s: this aggregator was opened read-only (for auditing)",
	               what);
}

static void short_hex(char out[17], const uint8_t *pk)
{
	lb_hex(out, pk, 8);
}

lb_err agg_village_keys(struct lb_agg *a, MDB_txn *txn, const char *village,
                        agg_village_key_cb cb, void *ctx, struct lb_diag *d)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, a->enroll, &c)))
		return lb_mdb_fail(d, rc, "reading the enrolments");
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		if (k.mv_size == LB_PK_BYTES && v.mv_size == ENROLL_LEN &&
		    !memcmp(p, village, LB_VILLAGE_LEN) && cb(ctx, k.mv_data, p[LB_VILLAGE_LEN] != 0))
			break;
	}
	mdb_cursor_close(c);
	return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "reading the enrolments") : LB_OK;
}

struct active_ctx {
	const uint8_t *except;
	uint8_t *key;
	bool found;
};

static int active_cb(void *ctx, const uint8_t key[LB_PK_BYTES], bool revoked)
{
	struct active_ctx *x = ctx;
	if (revoked || (x->except && !memcmp(key, x->except, LB_PK_BYTES)))
		return 0;
	memcpy(x->key, key, LB_PK_BYTES);
	x->found = true;
	return 1;
}

lb_err agg_active_key(struct lb_agg *a, MDB_txn *txn, const char *village, const uint8_t *except,
                      uint8_t key[LB_PK_BYTES], struct lb_diag *d)
{
	struct active_ctx x = {except, key, false};
	lb_err e = agg_village_keys(a, txn, village, active_cb, &x, d);
	if (e)
		return e;
	return x.found ? LB_OK : lb_fail(d, LB_ENOTFOUND, "village %s has no active key here", village);
}

/* One active key per village: the consolidated view is the village's, and
 * two keys writing it would delete each other's records.  LB_EEXIST naming
 * the active key other than origin, if village has one.  A scan of the
 * enrolments: enrolling is rare and a region holds hundreds of villages. */
static lb_err other_active_key(struct lb_agg *a, MDB_txn *txn, const char *village,
                               const uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	char hx[2 * LB_PK_BYTES + 1] = "";
	uint8_t key[LB_PK_BYTES];
	lb_err e = agg_active_key(a, txn, village, origin, key, d);

	if (e && e != LB_ENOTFOUND)
		return e;
	if (!e)
		lb_hex(hx, key, LB_PK_BYTES);
	if (!hx[0])
		return LB_OK;
	return lb_fail(d, LB_EEXIST, "village %s already has an active key, %s; a village has one "
	               "active key at a time.  To change it, revoke that key first (lumbung-agg "
	               "revoke --key %s), or, when its secret key is lost, continue its chain under the new key by a "
	               "succession (lumbung-agg succeed --village %s --key NEW)",
	               village, hx, hx, village);
}

lb_err agg_enroll_in(struct lb_agg *a, MDB_txn *txn, const char *village,
                     const uint8_t origin[LB_PK_BYTES], const uint8_t *by, struct lb_diag *d)
{
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v;
	uint8_t val[ENROLL_LEN];
	char hx[17];
	bool same;
	lb_err e;
	int rc;

	if (lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code (PP.KK.CC.DDDD)", village);
	if (!lb_region_contains(a->region, village))
		return lb_fail(d, LB_EINVAL, "village %s is outside this aggregator's region %s",
		               village, a->region);
	rc = mdb_get(txn, a->enroll, &k, &v);
	if (rc && rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "enrolling");
	short_hex(hx, origin);
	if (rc == 0 && v.mv_size == ENROLL_LEN && memcmp(v.mv_data, village, LB_VILLAGE_LEN) != 0)
		return lb_fail(d, LB_EEXIST, "key %s... is already enrolled for village %.13s", hx,
		               (const char *)v.mv_data);
	same = rc == 0 && v.mv_size == ENROLL_LEN && !((uint8_t *)v.mv_data)[LB_VILLAGE_LEN];
	/* a key a succession retired stays retired: enrolled again it could
	 * sign past the seq its successor continues from (a second history) */
	if (rc == 0 && !same && a->have_succ &&
	    (e = agg_succ_get(a, txn, 'o', origin, NULL, NULL, d)) != LB_ENOTFOUND)
		return e ? e : lb_fail(d, LB_EEXIST, "key %s... was retired by a succession: its "
		                       "chain goes on under the new key, and it cannot be enrolled "
		                       "again", hx);
	if ((e = other_active_key(a, txn, village, origin, d)))
		return e;
	if (same) /* enrolling the active key again changes nothing */
		return LB_OK;
	memcpy(val, village, LB_VILLAGE_LEN);
	val[LB_VILLAGE_LEN] = 0;
	v = (MDB_val){ENROLL_LEN, val};
	if ((rc = mdb_put(txn, a->enroll, &k, &v, 0)))
		return lb_mdb_fail(d, rc, "enrolling");
	return agg_tree_enrolled(a, txn, LB_STMT_ENROL, village, origin, by, d);
}

lb_err lb_agg_enroll(struct lb_agg *a, const char *village, const uint8_t origin[LB_PK_BYTES],
                     struct lb_diag *d)
{
	MDB_txn *txn;
	lb_err e;
	int rc;

	if (a->read_only)
		return agg_refuse_read_only("enrolling", d);
	if ((rc = agg_txn_begin(a, 0, &txn)))
		return lb_mdb_fail(d, rc, "enrolling");
	if ((e = agg_enroll_in(a, txn, village, origin, NULL, d))) {
		agg_txn_abort(a, txn);
		return e;
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail_env(d, a->env, rc, "enrolling");
	return LB_OK;
}

lb_err agg_revoke_in(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
                     const char *village, const uint8_t *by, struct lb_diag *d)
{
	MDB_val k = {LB_PK_BYTES, (void *)origin}, v;
	uint8_t val[ENROLL_LEN];
	char hx[17];
	int rc;

	short_hex(hx, origin);
	if ((rc = mdb_get(txn, a->enroll, &k, &v)) || v.mv_size != ENROLL_LEN) {
		if (rc && rc != MDB_NOTFOUND)
			return lb_mdb_fail(d, rc, "revoking");
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "key %s... is not enrolled", hx);
	}
	if (village && memcmp(v.mv_data, village, LB_VILLAGE_LEN))
		return lb_fail(d, LB_EWRONG_VILLAGE, "key %s... is enrolled for village %.13s, not %s",
		               hx, (const char *)v.mv_data, village);
	memcpy(val, v.mv_data, ENROLL_LEN);
	if (val[LB_VILLAGE_LEN]) /* already revoked: nothing changes */
		return LB_OK;
	val[LB_VILLAGE_LEN] = 1;
	v = (MDB_val){ENROLL_LEN, val};
	if ((rc = mdb_put(txn, a->enroll, &k, &v, 0)))
		return lb_mdb_fail(d, rc, "revoking");
	val[LB_VILLAGE_LEN] = '\0';
	return agg_tree_enrolled(a, txn, LB_STMT_REVOKE, (const char *)val, origin, by, d);
}

lb_err lb_agg_revoke(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	MDB_txn *txn;
	lb_err e;
	int rc;

	if (a->read_only)
		return agg_refuse_read_only("revoking", d);
	if ((rc = agg_txn_begin(a, 0, &txn)))
		return lb_mdb_fail(d, rc, "revoking");
	if ((e = agg_revoke_in(a, txn, origin, NULL, NULL, d))) {
		agg_txn_abort(a, txn);
		return e;
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail_env(d, a->env, rc, "revoking");
	return LB_OK;
}

void agg_rkey(uint8_t out[RKEY_LEN], const uint8_t origin[LB_PK_BYTES], uint64_t seq)
{
	memcpy(out, origin, LB_PK_BYTES);
	agg_be64_put(out + LB_PK_BYTES, seq);
}

/* Read enrolment and state of origin inside txn into o (and the Merkle
 * frontier into m when not NULL). */
lb_err agg_read_origin(struct lb_agg *a, MDB_txn *txn, const uint8_t origin[LB_PK_BYTES],
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
		o->seq = agg_be64_get(p);
		memcpy(o->hash, p + 8, LB_HASH_BYTES);
		o->last_seen_ms = agg_be64_get(p + 8 + LB_HASH_BYTES);
		o->forks = agg_be64_get(p + 16 + LB_HASH_BYTES);
		if (m && lb_merkle_decode(m, p + STATE_FIXED, v.mv_size - STATE_FIXED))
			return lb_fail(d, LB_ECORRUPT, "origin state: bad Merkle frontier");
	}
	if (a->have_succ) { /* a key that continues another's chain */
		struct lb_succession s;
		lb_err e = agg_succ_get(a, txn, 'n', origin, &s, NULL, d);
		if (e && e != LB_ENOTFOUND)
			return e;
		if (!e)
			o->base = s.seq;
	}
	return LB_OK;
}

int agg_write_origin(struct lb_agg *a, MDB_txn *txn, const struct lb_agg_origin *o,
                        const struct lb_merkle *m)
{
	uint8_t buf[STATE_FIXED + LB_MERKLE_ENC_MAX];
	MDB_val k = {LB_PK_BYTES, (void *)o->origin}, v;

	agg_be64_put(buf, o->seq);
	memcpy(buf + 8, o->hash, LB_HASH_BYTES);
	agg_be64_put(buf + 8 + LB_HASH_BYTES, o->last_seen_ms);
	agg_be64_put(buf + 16 + LB_HASH_BYTES, o->forks);
	v = (MDB_val){STATE_FIXED + lb_merkle_encode(m, buf + STATE_FIXED), buf};
	return mdb_put(txn, a->origins, &k, &v, 0);
}

bool agg_key_of(const MDB_val *k, const uint8_t origin[LB_PK_BYTES])
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
	agg_rkey(key, o->origin, 0);
	k = (MDB_val){RKEY_LEN, key};
	if ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) || !agg_key_of(&k, o->origin))
		goto out;
	first = agg_be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES);
	/* the last key of the origin: the one before the first key past it */
	agg_rkey(key, o->origin, UINT64_MAX);
	k = (MDB_val){RKEY_LEN, key};
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	if (rc == 0 && !agg_key_of(&k, o->origin))
		rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && agg_key_of(&k, o->origin))
		o->entries = agg_be64_get((const uint8_t *)k.mv_data + LB_PK_BYTES) - first + 1;
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

	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if (!(e = agg_read_origin(a, txn, origin, o, NULL, d)) && (rc = count_held(a, txn, o)))
		e = lb_mdb_fail(d, rc, "reading the replica");
	agg_txn_abort(a, txn);
	return e;
}

lb_err lb_agg_origins(struct lb_agg *a, lb_agg_origin_cb cb, void *ctx, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e = LB_OK;
	int rc;

	if ((e = agg_read_cursor(a, a->enroll, &txn, &c, "reading", d)))
		return e;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !e;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_agg_origin o;
		if (k.mv_size != LB_PK_BYTES)
			continue;
		if ((e = agg_read_origin(a, txn, k.mv_data, &o, NULL, d)))
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
	agg_txn_abort(a, txn);
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
	if ((e = agg_read_cursor(a, a->view, &txn, &c, "reading the consolidated view", d)))
		return e;
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
	agg_txn_abort(a, txn);
	return e;
}

/* ---- for figures and reports (agg_int.h) ------------------------------- */

lb_err lb_agg_read_begin(struct lb_agg *a, struct lb_agg_read *r, struct lb_diag *d)
{
	int rc;
	if (a->no_figures)
		return lb_fail(d, LB_ENOTFOUND, "this aggregator store has no figures (made by an "
		               "older lumbung-agg)");
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &r->txn)))
		return lb_mdb_fail(d, rc, "reading");
	r->figures = a->figures;
	r->view = a->view;
	r->replica = a->replica;
	memcpy(r->region, a->region, sizeof r->region);
	return LB_OK;
}

void lb_agg_read_end(struct lb_agg *a, struct lb_agg_read *r)
{
	agg_txn_abort(a, r->txn);
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
