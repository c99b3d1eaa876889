/*
 * node.c — the village node store: init, open, write, read (see node.h).
 *
 * Every write is one LMDB write transaction that appends entries, updates
 * records, stores one signed head and moves the tip.  Because LMDB commits
 * atomically (copy-on-write pages, then one meta page flip) a crash at any
 * point leaves either the whole transaction or none of it.
 *
 * A full map (MDB_MAP_FULL) is not an error for the user: the transaction
 * is aborted, the map doubled and the same ops applied again; the ops are
 * still in the caller's memory, so the retry is exact.
 */
#define _POSIX_C_SOURCE 200809L
#include "node_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "../schema/schema.h"

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define FORMAT_VERSION "1"

lb_err lb_mdb_fail(struct lb_diag *d, int rc, const char *what)
{
	if (rc == ENOSPC)
		return lb_fail(d, LB_EFULL, "%s: disk full; nothing of this transaction was written",
		               what);
	if (rc == EROFS)
		return lb_fail(d, LB_EIO, "%s: read-only filesystem; nothing can be written there "
		               "(reading commands still work)", what);
	if (rc == EACCES || rc == EIO)
		return lb_fail(d, LB_EIO, "%s: %s", what, mdb_strerror(rc));
	if (rc == ENOMEM)
		return lb_fail(d, LB_ENOMEM, "%s: out of memory", what);
	if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ||
	    rc == MDB_VERSION_MISMATCH)
		return lb_fail(d, LB_ECORRUPT, "%s: %s", what, mdb_strerror(rc));
	return lb_fail(d, LB_ESTORE, "%s: %s", what, mdb_strerror(rc));
}

lb_err lb_mdb_fail_env(struct lb_diag *d, MDB_env *env, int rc, const char *what)
{
	const char *path = NULL;
	struct statvfs fs;

	/* LMDB turns a short write (the disk filled up part way through a
	 * page flush) into EIO and keeps no errno.  The filesystem is full
	 * if it has less room left than one flush could need. */
	if (rc == EIO && env && mdb_env_get_path(env, &path) == 0 && path &&
	    statvfs(path, &fs) == 0 && (uint64_t)fs.f_bavail * fs.f_frsize < LB_FULL_BELOW)
		rc = ENOSPC;
	return lb_mdb_fail(d, rc, what);
}

int lb_mdb_env_open(MDB_env **env, const char *dir, bool read_only, unsigned maxdbs,
                    size_t map_size)
{
	unsigned flags = read_only ? MDB_RDONLY : 0;
	int rc;

	for (;;) {
		if ((rc = mdb_env_create(env)))
			return rc;
		if (!(rc = mdb_env_set_maxdbs(*env, maxdbs)) &&
		    (!map_size || !(rc = mdb_env_set_mapsize(*env, map_size))) &&
		    !(rc = mdb_env_open(*env, dir, flags, 0600)))
			return 0;
		mdb_env_close(*env); /* LMDB: a failed open leaves the handle unusable */
		*env = NULL;
		/* A reader needs LMDB's lock file (lock.mdb) to be opened read-write
		 * or created, which a read-only filesystem (a backup disk, a mounted
		 * image) or a directory we may not write refuses.  On a read-only
		 * filesystem nobody can be writing, so reading without the lock
		 * (MDB_NOLOCK) is safe, and it is the only way to read at all.  (LMDB
		 * itself does this for EROFS with MDB_RDONLY, but not for EACCES:
		 * there the directory's owner could still write; a read then is a
		 * best effort, and verify would notice a torn snapshot.)  Writers
		 * do not fall back: they fail, and lb_mdb_fail says why. */
		if (!read_only || (flags & MDB_NOLOCK) || (rc != EROFS && rc != EACCES))
			return rc;
		flags |= MDB_NOLOCK;
	}
}

size_t lb_rkey(uint8_t *k, const char *type, size_t type_len, const char *id, size_t id_len)
{
	memcpy(k, type, type_len);
	k[type_len] = 0;
	memcpy(k + type_len + 1, id, id_len);
	return type_len + 1 + id_len;
}

int lb_meta_get(struct lb_node *n, MDB_txn *txn, const char *name, MDB_val *v)
{
	MDB_val k = {strlen(name), (void *)name};
	return mdb_get(txn, n->meta, &k, v);
}

int lb_meta_put(struct lb_node *n, MDB_txn *txn, const char *name, const void *p, size_t len)
{
	MDB_val k = {strlen(name), (void *)name}, v = {len, (void *)p};
	return mdb_put(txn, n->meta, &k, &v, 0);
}

lb_err lb_node_read_tip(struct lb_node *n, MDB_txn *txn, uint64_t *seq,
                        uint8_t hash[LB_HASH_BYTES], uint64_t *ts, struct lb_merkle *m,
                        struct lb_diag *d)
{
	MDB_val v;
	int rc = lb_meta_get(n, txn, "tip", &v);

	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		*ts = 0;
		memset(hash, 0, LB_HASH_BYTES);
		lb_merkle_init(m);
		return LB_OK;
	}
	if (rc)
		return lb_mdb_fail(d, rc, "reading the log tip");
	if (v.mv_size != LB_TIP_LEN)
		return lb_fail(d, LB_ECORRUPT, "meta tip has %zu bytes, expected %d", v.mv_size,
		               LB_TIP_LEN);
	*seq = lb_be64_get(v.mv_data);
	memcpy(hash, (uint8_t *)v.mv_data + 8, LB_HASH_BYTES);
	*ts = lb_be64_get((uint8_t *)v.mv_data + 8 + LB_HASH_BYTES);
	if ((rc = lb_meta_get(n, txn, "merkle", &v)))
		return rc == MDB_NOTFOUND ? lb_fail(d, LB_ECORRUPT, "meta merkle is missing")
		                          : lb_mdb_fail(d, rc, "reading the Merkle frontier");
	if (lb_merkle_decode(m, v.mv_data, v.mv_size) || m->size != *seq)
		return lb_fail(d, LB_ECORRUPT, "meta merkle does not match the tip (seq %llu)",
		               (unsigned long long)*seq);
	return LB_OK;
}

/* mdb_txn_begin that adopts a map grown by another process.  It loops:
 * while this process waits for the write lock another writer may grow the
 * map again, so one adoption is not always enough. */
int lb_node_txn_begin(struct lb_node *n, unsigned flags, MDB_txn **txn)
{
	int rc = mdb_txn_begin(n->env, NULL, flags, txn);
	for (int i = 0; rc == MDB_MAP_RESIZED && i < 1000; i++)
		if ((rc = mdb_env_set_mapsize(n->env, 0)) == 0)
			rc = mdb_txn_begin(n->env, NULL, flags, txn);
	return rc;
}

int lb_node_grow_map(struct lb_node *n)
{
	MDB_envinfo info;
	int rc = mdb_env_info(n->env, &info);
	if (rc)
		return rc;
	return mdb_env_set_mapsize(n->env, info.me_mapsize * 2);
}

static char *path_join(const char *dir, const char *file)
{
	size_t a = strlen(dir), b = strlen(file);
	char *p = malloc(a + b + 2);
	if (p) {
		memcpy(p, dir, a);
		p[a] = '/';
		memcpy(p + a + 1, file, b + 1);
	}
	return p;
}

static bool file_exists(const char *dir, const char *file)
{
	char *p = path_join(dir, file);
	bool r = p && access(p, F_OK) == 0;
	free(p);
	return r;
}

/* Open the LMDB environment and the four databases; read_only opens it
 * MDB_RDONLY, so a node on a read-only filesystem can still be read. */
static lb_err open_env(struct lb_node *n, size_t map_size, bool create, bool read_only,
                       struct lb_diag *d)
{
	MDB_txn *txn = NULL;
	MDB_envinfo info;
	unsigned dbflags = create ? MDB_CREATE : 0;
	int rc, dead;

	if ((rc = lb_mdb_env_open(&n->env, n->dir, read_only && !create, 8, 0)))
		return lb_mdb_fail(d, rc, n->dir);
	/* A process killed mid-read leaves a stale reader slot; clear it so
	 * it cannot pin old pages forever. */
	mdb_reader_check(n->env, &dead);
	/* An explicit size is taken as given (LMDB rounds it up to the data
	 * in use); the default only ever raises the map.  A reader maps what
	 * the store says it holds. */
	if (read_only)
		;
	else if (map_size)
		mdb_env_set_mapsize(n->env, map_size);
	else if (mdb_env_info(n->env, &info) == 0 && info.me_mapsize < DEFAULT_MAP_SIZE)
		mdb_env_set_mapsize(n->env, DEFAULT_MAP_SIZE);

	if ((rc = lb_node_txn_begin(n, create ? 0 : MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "opening the store");
	if ((rc = mdb_dbi_open(txn, "log", dbflags, &n->log)) ||
	    (rc = mdb_dbi_open(txn, "records", dbflags, &n->records)) ||
	    (rc = mdb_dbi_open(txn, "heads", dbflags, &n->heads)) ||
	    (rc = mdb_dbi_open(txn, "meta", dbflags, &n->meta))) {
		mdb_txn_abort(txn);
		if (rc == MDB_NOTFOUND)
			return lb_fail(d, LB_ENOTFOUND, "%s: not a lumbung node (databases missing)",
			               n->dir);
		return lb_mdb_fail(d, rc, "opening the databases");
	}
	/* Commit (not abort) so the dbi handles stay valid. */
	if ((rc = mdb_txn_commit(txn)))
		return lb_mdb_fail(d, rc, "opening the databases");
	return LB_OK;
}

static struct lb_node *node_new(const char *dir)
{
	struct lb_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	if (!(n->dir = strdup(dir))) {
		free(n);
		return NULL;
	}
	lb_mp_buf_init(&n->buf);
	lb_mp_buf_init(&n->hbuf);
	return n;
}

void lb_node_close(struct lb_node *n)
{
	if (!n)
		return;
	if (n->env)
		mdb_env_close(n->env);
	lb_key_wipe(&n->key);
	lb_mp_buf_free(&n->buf);
	lb_mp_buf_free(&n->hbuf);
	free(n->dir);
	free(n);
}

lb_err lb_node_init(const char *dir, const char *village, const char *name,
                    uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	if (lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL,
		               "\"%.40s\" is not a desa code; expected PP.KK.CC.DDDD, e.g. 33.24.01.2001",
		               village ? village : "");
	return lb_node_init_key(dir, village, name, NULL, origin, d);
}

/* A new node in dir: with the key pair key (NULL: a new one), or with only
 * the public key pk (a replica; key ignored). */
static lb_err init_node(const char *dir, const char *village, const char *name,
                        const struct lb_key *key, const uint8_t *pk, uint8_t origin[LB_PK_BYTES],
                        struct lb_diag *d);

lb_err lb_node_init_key(const char *dir, const char *village, const char *name,
                        const struct lb_key *key, uint8_t origin[LB_PK_BYTES], struct lb_diag *d)
{
	return init_node(dir, village, name, key, NULL, origin, d);
}

lb_err lb_node_init_replica(const char *dir, const char *owner, const uint8_t pk[LB_PK_BYTES],
                            struct lb_diag *d)
{
	uint8_t origin[LB_PK_BYTES];

	if (!pk)
		return lb_fail(d, LB_EINVAL, "a replica needs its owner's public key");
	return init_node(dir, owner, NULL, NULL, pk, origin, d);
}

static lb_err init_node(const char *dir, const char *village, const char *name,
                        const struct lb_key *key, const uint8_t *pk, uint8_t origin[LB_PK_BYTES],
                        struct lb_diag *d)
{
	struct lb_node *n = NULL;
	char *sec = NULL, *pub = NULL;
	MDB_txn *txn = NULL;
	struct stat st;
	bool made_key = false;
	lb_err e;
	int rc;

	if (!dir || !*dir)
		return lb_fail(d, LB_EINVAL, "no node directory given (use -d DIR or set LUMBUNG_DIR)");
	if (!lb_log_owner_ok(village))
		return lb_fail(d, LB_EINVAL,
		               "\"%.40s\" is not a desa code (PP.KK.CC.DDDD, e.g. 33.24.01.2001) nor a "
		               "kecamatan or kabupaten code (PP.KK.CC, PP.KK)",
		               village ? village : "");
	if (name && (strlen(name) > LB_NODE_NAME_MAX || !lb_utf8_valid(name, strlen(name))))
		return lb_fail(d, LB_EINVAL, "village name must be valid UTF-8 of at most %d bytes",
		               LB_NODE_NAME_MAX);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return lb_fail(d, LB_EIO, "%s: %s", dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return lb_fail(d, LB_EIO, "%s: not a directory", dir);
	if (file_exists(dir, "data.mdb") || file_exists(dir, "node.key"))
		return lb_fail(d, LB_EEXIST, "%s already holds a node; use another directory", dir);

	if (!(n = node_new(dir)) || !(sec = path_join(dir, "node.key")) ||
	    !(pub = path_join(dir, "node.pub"))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (pk) {
		if ((e = lb_key_write_public(pub, pk, d)))
			goto out;
		memcpy(origin, pk, LB_PK_BYTES);
	} else {
		if ((e = key ? lb_key_write(sec, pub, key, d) : lb_key_generate(sec, pub, origin, d)))
			goto out;
		if (key)
			memcpy(origin, key->pk, LB_PK_BYTES);
	}
	made_key = true;
	if ((e = open_env(n, 0, true, false, d)))
		goto out;
	if ((rc = lb_node_txn_begin(n, 0, &txn))) {
		e = lb_mdb_fail(d, rc, "initialising the store");
		goto out;
	}
	if ((rc = lb_meta_put(n, txn, "format", FORMAT_VERSION, 1)) ||
	    (rc = lb_meta_put(n, txn, "village", village, strlen(village))) ||
	    (rc = lb_meta_put(n, txn, "name", name ? name : "", name ? strlen(name) : 0)) ||
	    (rc = lb_meta_put(n, txn, "origin", origin, LB_PK_BYTES))) {
		mdb_txn_abort(txn);
		e = lb_mdb_fail(d, rc, "initialising the store");
		goto out;
	}
	if ((rc = mdb_txn_commit(txn))) {
		e = lb_mdb_fail(d, rc, "initialising the store");
		goto out;
	}
	e = LB_OK;
out:
	lb_node_close(n);
	if (e && made_key) {
		/* Leave no half-made node behind: a retry must be possible. */
		char *p;
		unlink(sec);
		unlink(pub);
		if ((p = path_join(dir, "data.mdb")))
			unlink(p);
		free(p);
		if ((p = path_join(dir, "lock.mdb")))
			unlink(p);
		free(p);
	}
	free(sec);
	free(pub);
	return e;
}

/* Copy the fixed identity from meta into *info (village, name, origin,
 * schema). */
lb_err lb_node_read_identity(struct lb_node *n, MDB_txn *txn, struct lb_node_info *info,
                            struct lb_diag *d)
{
	MDB_val v;
	int rc;

	if ((rc = lb_meta_get(n, txn, "village", &v)) || v.mv_size > LB_VILLAGE_LEN)
		return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "reading meta")
		                                : lb_fail(d, LB_ECORRUPT, "meta village is missing or invalid");
	memcpy(info->village, v.mv_data, v.mv_size);
	info->village[v.mv_size] = '\0';
	if (!lb_log_owner_ok(info->village))
		return lb_fail(d, LB_ECORRUPT, "meta village is missing or invalid");
	if ((rc = lb_meta_get(n, txn, "origin", &v)) || v.mv_size != LB_PK_BYTES)
		return lb_fail(d, LB_ECORRUPT, "meta origin is missing or invalid");
	memcpy(info->origin, v.mv_data, LB_PK_BYTES);
	if ((rc = lb_meta_get(n, txn, "name", &v)) == 0 && v.mv_size <= LB_NODE_NAME_MAX) {
		memcpy(info->name, v.mv_data, v.mv_size);
		info->name[v.mv_size] = '\0';
	}
	info->schema = lb_schema_latest();
	return LB_OK;
}

lb_err lb_node_open(struct lb_node **out, const char *dir, const struct lb_node_opts *opts,
                    struct lb_diag *d)
{
	struct lb_node *n;
	struct lb_node_info info;
	lb_err e;

	*out = NULL;
	if (!dir || !*dir)
		return lb_fail(d, LB_EINVAL, "no node directory given (use -d DIR or set LUMBUNG_DIR)");
	if (!file_exists(dir, "data.mdb"))
		return lb_fail(d, LB_ENOTFOUND,
		               "%s: no lumbung node here (create one with: lumbung init -d %s --village CODE)",
		               dir, dir);
	if (!(n = node_new(dir)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = open_env(n, opts ? opts->map_size : 0, false, opts && opts->read_only, d)))
		goto fail;
	if ((e = lb_node_info(n, &info, d)))
		goto fail;
	if (opts && opts->replica && !opts->read_only) {
		/* A replica holds only its owner's public key: it is written
		 * by adopting the owner's signed log, never by lb_node_write. */
		char *pub = path_join(dir, "node.pub");
		uint8_t pk[LB_PK_BYTES];
		e = pub ? lb_key_load_public(pub, pk, d) : lb_fail(d, LB_ENOMEM, "out of memory");
		free(pub);
		if (e)
			goto fail;
		if (memcmp(pk, info.origin, LB_PK_BYTES) != 0) {
			e = lb_fail(d, LB_EKEY, "%s/node.pub is not the key this replica was created with",
			            dir);
			goto fail;
		}
		n->replica = true;
	} else if (opts && opts->read_only) {
		/* Reading needs no key, but an exposed secret key is still
		 * worth stopping for: tell the operator on every command. */
		char *sec = path_join(dir, "node.key");
		e = sec ? lb_key_check_mode(sec, d) : lb_fail(d, LB_ENOMEM, "out of memory");
		free(sec);
		if (e && e != LB_ENOTFOUND)
			goto fail;
	} else {
		char *sec = path_join(dir, "node.key");
		if (!sec) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto fail;
		}
		e = lb_key_load(sec, &n->key, d);
		free(sec);
		if (e)
			goto fail;
		if (memcmp(n->key.pk, info.origin, LB_PK_BYTES) != 0) {
			e = lb_fail(d, LB_EKEY, "%s/node.key is not the key this node was created with",
			            dir);
			goto fail;
		}
		n->have_key = true;
	}
	*out = n;
	return LB_OK;
fail:
	lb_node_close(n);
	return e;
}

lb_err lb_node_info(struct lb_node *n, struct lb_node_info *info, struct lb_diag *d)
{
	MDB_txn *txn;
	struct lb_merkle m;
	MDB_val v;
	lb_err e;
	int rc;

	memset(info, 0, sizeof *info);
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading node info");
	if (!(e = lb_node_read_identity(n, txn, info, d)) &&
	    !(e = lb_node_read_tip(n, txn, &info->seq, info->hash, &info->ts, &m, d))) {
		lb_merkle_root(&m, info->root);
		if (lb_meta_get(n, txn, "live", &v) == 0 && v.mv_size == 8)
			info->records = lb_be64_get(v.mv_data);
	}
	mdb_txn_abort(txn);
	return e;
}

lb_err lb_node_get(struct lb_node *n, const char *type, const char *id, size_t id_len,
                   uint8_t **body, size_t *body_len, uint64_t *seq, struct lb_diag *d)
{
	uint8_t rk[LB_RKEY_MAX], kseq[8];
	MDB_txn *txn;
	MDB_val k, v;
	struct lb_entry e;
	uint64_t s;
	lb_err err;
	int rc;

	*body = NULL;
	*body_len = 0;
	if ((err = lb_type_check(type, d)) || (err = lb_id_check(id, id_len, d)))
		return err;
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	k = (MDB_val){lb_rkey(rk, type, strlen(type), id, id_len), rk};
	rc = mdb_get(txn, n->records, &k, &v);
	if (rc == MDB_NOTFOUND) {
		err = lb_fail(d, LB_ENOTFOUND, "%s %.*s: no such record", type, (int)id_len, id);
		goto out;
	}
	if (rc || v.mv_size != LB_REC_VAL_LEN) {
		err = rc ? lb_mdb_fail(d, rc, "reading records")
		         : lb_fail(d, LB_ECORRUPT, "records value has the wrong size");
		goto out;
	}
	s = lb_be64_get(v.mv_data);
	if (((uint8_t *)v.mv_data)[8] != LB_REC_LIVE) {
		err = lb_fail(d, LB_ENOTFOUND, "%s %.*s: deleted (seq %llu)", type, (int)id_len, id,
		              (unsigned long long)s);
		goto out;
	}
	lb_be64_put(kseq, s);
	k = (MDB_val){8, kseq};
	if ((rc = mdb_get(txn, n->log, &k, &v))) {
		err = lb_fail(d, LB_ECORRUPT, "%s %.*s: log entry %llu is missing", type, (int)id_len,
		              id, (unsigned long long)s);
		goto out;
	}
	if ((err = lb_entry_decode(&e, v.mv_data, v.mv_size, d))) {
		lb_diag_prefix(d, "seq %llu", (unsigned long long)s);
		err = LB_ECORRUPT;
		goto out;
	}
	if (!(*body = malloc(e.body_len))) {
		err = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*body, e.body, e.body_len);
	*body_len = e.body_len;
	if (seq)
		*seq = s;
	err = LB_OK;
out:
	mdb_txn_abort(txn);
	return err;
}

/* Walk the live records of one type in id order; with rcb, also fetch
 * each record's body from the log. */
static lb_err scan(struct lb_node *n, const char *type, lb_id_cb icb, lb_record_cb rcb, void *ctx,
                   struct lb_diag *d)
{
	uint8_t rk[LB_TYPE_MAX + 1], kseq[8];
	size_t tl;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v, lk, lv;
	struct lb_entry e;
	lb_err err = LB_OK;
	int rc;

	if ((err = lb_type_check(type, d)))
		return err;
	tl = strlen(type);
	memcpy(rk, type, tl);
	rk[tl] = 0;
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((rc = mdb_cursor_open(txn, n->records, &cur))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading records");
	}
	k = (MDB_val){tl + 1, rk};
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *id = (const char *)k.mv_data + tl + 1;
		size_t id_len = k.mv_size - tl - 1;

		if (k.mv_size <= tl + 1 || memcmp(k.mv_data, rk, tl + 1) != 0)
			break;
		if (v.mv_size != LB_REC_VAL_LEN || ((uint8_t *)v.mv_data)[8] != LB_REC_LIVE)
			continue;
		if (icb && icb(ctx, id, id_len))
			break;
		if (!rcb)
			continue;
		memcpy(kseq, v.mv_data, 8);
		lk = (MDB_val){8, kseq};
		if (mdb_get(txn, n->log, &lk, &lv) ||
		    lb_entry_decode_stored(&e, lv.mv_data, lv.mv_size, d)) {
			err = lb_fail(d, LB_ECORRUPT, "%s %.*s: its log entry is missing or unreadable "
			              "(run lumbung verify)", type, (int)id_len, id);
			break;
		}
		if (rcb(ctx, id, id_len, e.body, e.body_len))
			break;
	}
	if (!err && rc != 0 && rc != MDB_NOTFOUND)
		err = lb_mdb_fail(d, rc, "reading records");
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return err;
}

lb_err lb_node_ls(struct lb_node *n, const char *type, lb_id_cb cb, void *ctx,
                  struct lb_diag *d)
{
	return scan(n, type, cb, NULL, ctx, d);
}

lb_err lb_node_scan(struct lb_node *n, const char *type, lb_record_cb cb, void *ctx,
                    struct lb_diag *d)
{
	return scan(n, type, NULL, cb, ctx, d);
}

lb_err lb_node_head(struct lb_node *n, uint64_t seq, uint8_t **head, size_t *len,
                    struct lb_diag *d)
{
	uint8_t k[8];
	MDB_txn *txn;
	MDB_val key = {8, k}, v;
	lb_err e = LB_OK;
	int rc;

	*head = NULL;
	*len = 0;
	lb_be64_put(k, seq);
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	rc = mdb_get(txn, n->heads, &key, &v);
	if (rc == MDB_NOTFOUND)
		e = lb_fail(d, LB_ENOTFOUND, "no signed head at seq %llu", (unsigned long long)seq);
	else if (rc)
		e = lb_mdb_fail(d, rc, "reading heads");
	else if (!(*head = malloc(v.mv_size)))
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	else {
		memcpy(*head, v.mv_data, v.mv_size);
		*len = v.mv_size;
	}
	mdb_txn_abort(txn);
	return e;
}

lb_err lb_node_log_raw(struct lb_node *n, uint64_t from, uint64_t to, lb_raw_cb cb, void *ctx,
                       struct lb_diag *d)
{
	uint8_t kseq[8];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, stop = 0;

	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((rc = mdb_cursor_open(txn, n->log, &cur))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading the log");
	}
	lb_be64_put(kseq, from ? from : 1);
	k = (MDB_val){8, kseq};
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !stop;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint64_t seq = k.mv_size == 8 ? lb_be64_get(k.mv_data) : 0;
		if (to && seq > to)
			break;
		stop = cb(ctx, seq, v.mv_data, v.mv_size);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND && !stop)
		return lb_mdb_fail(d, rc, "reading the log");
	return LB_OK;
}

struct log_ctx {
	lb_entry_cb cb;
	void *ctx;
	lb_err err;
	struct lb_diag *d;
};

static int log_decoded(void *ctx, uint64_t seq, const uint8_t *raw, size_t len)
{
	struct log_ctx *l = ctx;
	uint8_t hash[LB_HASH_BYTES];
	struct lb_entry e;

	if ((l->err = lb_entry_decode(&e, raw, len, l->d))) {
		lb_diag_prefix(l->d, "seq %llu", (unsigned long long)seq);
		l->err = LB_ECORRUPT;
		return 1;
	}
	lb_hash(hash, raw, len);
	return l->cb(l->ctx, &e, hash, raw, len);
}

lb_err lb_node_log(struct lb_node *n, uint64_t since, lb_entry_cb cb, void *ctx,
                   struct lb_diag *d)
{
	struct log_ctx l = {cb, ctx, LB_OK, d};
	lb_err e = lb_node_log_raw(n, since, 0, log_decoded, &l, d);

	return e ? e : l.err;
}
