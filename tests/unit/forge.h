/*
 * forge.h — a test library of forged objects signed with real keys.
 *
 * A checker that is never shown a well-signed lie proves nothing: a wrong
 * Merkle root signed with a garbage key fails on the signature first.  So
 * this library writes entries, signed heads, change sets, receipts and
 * log archives with ANY field chosen (wrong root, wrong seq, another
 * village, repeated or falling time, a head that covers nothing, a receipt
 * for another origin/seq/hash/root) and signs them with the real key: the
 * village's node.key, the aggregator's agg.key.
 *
 * Nothing here re-implements an encoder or a signer: entries go through
 * lb_entry_encode, heads through lb_head_sign, change sets through
 * lb_wire_*, receipts through lb_receipt_sign, archives through the
 * lb_lla writer.  Hooks change fields of the struct before it is encoded.
 *
 * The model (struct forge) is one village log in memory: stored entry
 * bytes, their hashes and times, the Merkle tree after each seq, and the
 * stored head at each seq (if any).  forge_from_node loads a real node's
 * log and key; forge_add appends an entry; forge_head signs a head for a
 * seq; forge_node_write puts the forged tail into the node's LMDB (log,
 * heads, records rows, meta tip/frontier/live) behind the node's back.
 *
 * struct forge_world is the fixture the forge tests share (cmocka setup
 * forge_world_setup or forge_world_setup_open, teardown
 * forge_world_teardown): a temporary directory with a real village node of
 * three records, its log loaded, and a real aggregator with the village
 * enrolled.
 *
 * Header-only (every function static): include it from test files, which
 * the Makefile links with liblumbung.a.  It reads the node's private
 * handle (node/node_int.h) to write behind its back; no other code may.
 * Every failure fails the running cmocka test.  The functions taking a
 * node directory open the node themselves: it must not be open in the
 * calling process then (LMDB allows one environment per file and process).
 */
#ifndef LB_TEST_FORGE_H
#define LB_TEST_FORGE_H

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../node/archive.h"
#include "../../node/body.h"
#include "../../node/entry.h"
#include "../../node/head.h"
#include "../../node/key.h"
#include "../../node/merkle.h"
#include "../../node/node.h"
#include "../../node/node_int.h"
#include "../../agg/agg.h"
#include "../../sync/wire.h"
#include "agg_fixture.h"

#define FORGE_MAX 64 /* entries a forged log may hold */
#define FORGE_UNUSED __attribute__((unused))

struct forge {
	struct lb_key key; /* the village's real key */
	char village[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES];
	uint32_t schema;
	size_t n; /* entries: seq 1..n */
	struct lb_mp_buf ent[FORGE_MAX + 1];  /* stored bytes, by seq */
	struct lb_mp_buf head[FORGE_MAX + 1]; /* stored head at seq, or empty */
	uint8_t hash[FORGE_MAX + 1][LB_HASH_BYTES];
	uint64_t ts[FORGE_MAX + 1];
	struct lb_merkle m[FORGE_MAX + 1]; /* the tree over 1..seq */
};

/* Hooks change a field before encoding/signing. */
typedef void (*forge_entry_hook)(void *ctx, struct lb_entry *e);
typedef void (*forge_head_hook)(void *ctx, struct lb_head *h);
typedef void (*forge_receipt_hook)(void *ctx, struct lb_receipt *rc);

/* Load the secret key in dir/file (node.key, agg.key) into k. */
FORGE_UNUSED static void forge_key(const char *dir, const char *file, struct lb_key *k)
{
	char path[512];
	struct lb_diag d = {0};

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (lb_key_load(path, k, &d))
		fail_msg("loading %s: %s", path, d.msg);
}

/* A fresh random key pair (a stranger's key). */
FORGE_UNUSED static void forge_stranger(struct lb_key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
}

static int forge_load_cb(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                         const uint8_t *raw, size_t len)
{
	struct forge *f = ctx;
	size_t s = ++f->n;

	assert_true(s <= FORGE_MAX);
	assert_int_equal(e->seq, s);
	lb_mp_put_raw(&f->ent[s], raw, len);
	memcpy(f->hash[s], hash, LB_HASH_BYTES);
	f->ts[s] = e->ts;
	f->m[s] = f->m[s - 1];
	lb_merkle_append(&f->m[s], hash);
	return 0;
}

/* The log, heads and key of the node in dir (closed again after). */
FORGE_UNUSED static struct forge *forge_from_node(const char *dir)
{
	struct forge *f = calloc(1, sizeof *f);
	struct lb_node_opts o = {.read_only = true};
	struct lb_node_info info;
	struct lb_node *n;
	struct lb_diag d = {0};

	assert_non_null(f);
	for (size_t i = 0; i <= FORGE_MAX; i++) {
		lb_mp_buf_init(&f->ent[i]);
		lb_mp_buf_init(&f->head[i]);
	}
	lb_merkle_init(&f->m[0]);
	forge_key(dir, "node.key", &f->key);
	if (lb_node_open(&n, dir, &o, &d) || lb_node_info(n, &info, &d) ||
	    lb_node_log(n, 1, forge_load_cb, f, &d))
		fail_msg("reading node %s: %s", dir, d.msg);
	memcpy(f->village, info.village, sizeof f->village);
	memcpy(f->origin, info.origin, LB_PK_BYTES);
	assert_memory_equal(f->origin, f->key.pk, LB_PK_BYTES);
	f->schema = info.schema;
	for (size_t s = 1; s <= f->n; s++) {
		uint8_t *h;
		size_t hl;
		lb_err e = lb_node_head(n, s, &h, &hl, NULL);
		if (e == LB_OK) {
			lb_mp_put_raw(&f->head[s], h, hl);
			free(h);
		} else
			assert_int_equal(e, LB_ENOTFOUND);
	}
	lb_node_close(n);
	return f;
}

FORGE_UNUSED static void forge_free(struct forge *f)
{
	if (!f)
		return;
	for (size_t i = 0; i <= FORGE_MAX; i++) {
		lb_mp_buf_free(&f->ent[i]);
		lb_mp_buf_free(&f->head[i]);
	}
	lb_key_wipe(&f->key);
	free(f);
}

/* Append entry n+1: op on type/id with body json (NULL for del).  Before
 * encoding, hook may change any field: the defaults are seq n+1, time
 * just after entry n, prev the hash of entry n, the node's schema.
 * Returns the new seq (its position, whatever seq field it carries). */
FORGE_UNUSED static size_t forge_add(struct forge *f, enum lb_op op, const char *type,
                                     const char *id, const char *json, forge_entry_hook hook,
                                     void *ctx)
{
	struct lb_mp_buf body;
	struct lb_entry e = {.op = op, .type = type, .type_len = strlen(type), .id = id,
	                     .id_len = strlen(id), .schema = f->schema};
	size_t s = f->n + 1;

	assert_true(s <= FORGE_MAX);
	lb_mp_buf_init(&body);
	if (json) {
		json_t *j = json_loads(json, 0, NULL);
		assert_non_null(j);
		assert_int_equal(lb_body_from_json(&body, j, NULL), LB_OK);
		json_decref(j);
		e.body = (const uint8_t *)body.sb.data;
		e.body_len = body.sb.size;
	}
	e.seq = s;
	e.ts = f->ts[s - 1] + 1;
	memcpy(e.prev, f->hash[s - 1], LB_HASH_BYTES);
	if (hook)
		hook(ctx, &e);
	lb_mp_buf_reset(&f->ent[s]);
	assert_int_equal(lb_entry_encode(&f->ent[s], &e), LB_OK);
	lb_mp_buf_free(&body);
	lb_hash(f->hash[s], f->ent[s].sb.data, f->ent[s].sb.size);
	f->ts[s] = e.ts;
	f->m[s] = f->m[s - 1];
	lb_merkle_append(&f->m[s], f->hash[s]);
	lb_mp_buf_reset(&f->head[s]);
	f->n = s;
	return s;
}

/* Sign the head for seq into f->head[seq] (replacing any): the true
 * head (village, origin, hash and Merkle root of 1..seq, time of entry
 * seq) as changed by hook, signed with k (NULL: the village's own key). */
FORGE_UNUSED static void forge_head(struct forge *f, size_t seq, forge_head_hook hook, void *ctx,
                                    const struct lb_key *k)
{
	struct lb_head h = {.seq = seq, .ts = f->ts[seq]};

	assert_true(seq >= 1 && seq <= f->n);
	memcpy(h.village, f->village, sizeof h.village);
	memcpy(h.origin, f->origin, LB_PK_BYTES);
	memcpy(h.hash, f->hash[seq], LB_HASH_BYTES);
	lb_merkle_root(&f->m[seq], h.root);
	if (hook)
		hook(ctx, &h);
	lb_mp_buf_reset(&f->head[seq]);
	assert_int_equal(lb_head_sign(&f->head[seq], &h, k ? k : &f->key), LB_OK);
}

/* Remove the head at seq (an entry appended without signing). */
FORGE_UNUSED static void forge_unhead(struct forge *f, size_t seq)
{
	lb_mp_buf_reset(&f->head[seq]);
}

/* A raw change to one of the node's databases ("log", "heads", "records",
 * "meta"): put k -> v, or delete k when v is NULL. */
struct forge_put {
	const char *db;
	const void *k;
	size_t kl;
	const void *v;
	size_t vl;
};

/* Apply puts[0..n) to the node in dir in one transaction. */
FORGE_UNUSED static void forge_node_puts(const char *dir, const struct forge_put *puts, size_t np)
{
	struct lb_node *n;
	struct lb_diag d = {0};
	MDB_txn *txn;

	if (lb_node_open(&n, dir, NULL, &d))
		fail_msg("opening %s: %s", dir, d.msg);
	assert_int_equal(lb_node_txn_begin(n, 0, &txn), 0);
	for (size_t i = 0; i < np; i++) {
		const struct forge_put *p = &puts[i];
		MDB_dbi dbi = !strcmp(p->db, "log")       ? n->log
		              : !strcmp(p->db, "heads")   ? n->heads
		              : !strcmp(p->db, "records") ? n->records
		                                          : n->meta;
		MDB_val key = {p->kl, (void *)p->k}, val = {p->vl, (void *)p->v};
		int rc = p->v ? mdb_put(txn, dbi, &key, &val, 0) : mdb_del(txn, dbi, &key, NULL);
		if (rc && !(rc == MDB_NOTFOUND && !p->v))
			fail_msg("writing %s into %s: %s", p->db, dir, mdb_strerror(rc));
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	lb_node_close(n);
}

/* One raw change (see forge_put). */
FORGE_UNUSED static void forge_node_raw(const char *dir, const char *db, const void *k, size_t kl,
                                        const void *v, size_t vl)
{
	struct forge_put p = {db, k, kl, v, vl};
	forge_node_puts(dir, &p, 1);
}

/* The same with a seq as the key (log, heads). */
FORGE_UNUSED static void forge_node_seq(const char *dir, const char *db, uint64_t seq,
                                        const void *v, size_t vl)
{
	uint8_t k[8];

	lb_be64_put(k, seq);
	forge_node_raw(dir, db, k, 8, v, vl);
}

/* Write the forged log from seq `from` on into the node in dir, behind
 * its back, as a writer would have: log entries, the heads held in f (the
 * node's heads from `from` on are replaced), records rows, and meta tip,
 * Merkle frontier and live count for seq n.  Entries whose seq field was
 * forged still go at their position. */
FORGE_UNUSED static void forge_node_write(struct forge *f, const char *dir, size_t from)
{
	struct lb_node *n;
	struct lb_diag d = {0};
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t kb[8], tip[LB_TIP_LEN], menc[LB_MERKLE_ENC_MAX], live[8];
	int64_t nlive = 0;
	int rc;

	if (lb_node_open(&n, dir, NULL, &d))
		fail_msg("opening %s: %s", dir, d.msg);
	assert_int_equal(lb_node_txn_begin(n, 0, &txn), 0);
	/* drop the node's heads and entries from `from` on */
	assert_int_equal(mdb_cursor_open(txn, n->heads, &c), 0);
	lb_be64_put(kb, from);
	k = (MDB_val){8, kb};
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		assert_int_equal(mdb_cursor_del(c, 0), 0);
	mdb_cursor_close(c);
	assert_int_equal(mdb_cursor_open(txn, n->log, &c), 0);
	k = (MDB_val){8, kb};
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		assert_int_equal(mdb_cursor_del(c, 0), 0);
	mdb_cursor_close(c);
	if (lb_meta_get(n, txn, "live", &v) == 0 && v.mv_size == 8)
		nlive = (int64_t)lb_be64_get(v.mv_data);
	for (size_t s = from; s <= f->n; s++) {
		struct lb_entry e;
		uint8_t rk[LB_RKEY_MAX], row[LB_REC_VAL_LEN];
		MDB_val rkv, old;
		bool was_live;

		lb_be64_put(kb, s);
		k = (MDB_val){8, kb};
		v = (MDB_val){f->ent[s].sb.size, f->ent[s].sb.data};
		assert_int_equal(mdb_put(txn, n->log, &k, &v, 0), 0);
		if (f->head[s].sb.size) {
			v = (MDB_val){f->head[s].sb.size, f->head[s].sb.data};
			assert_int_equal(mdb_put(txn, n->heads, &k, &v, 0), 0);
		}
		if (lb_entry_decode(&e, f->ent[s].sb.data, f->ent[s].sb.size, NULL))
			continue; /* a forged undecodable entry has no row */
		rkv = (MDB_val){lb_rkey(rk, e.type, e.type_len, e.id, e.id_len), rk};
		was_live = mdb_get(txn, n->records, &rkv, &old) == 0 &&
		           old.mv_size == LB_REC_VAL_LEN && ((uint8_t *)old.mv_data)[8] == LB_REC_LIVE;
		lb_be64_put(row, s);
		row[8] = e.op == LB_OP_PUT ? LB_REC_LIVE : LB_REC_DELETED;
		v = (MDB_val){sizeof row, row};
		assert_int_equal(mdb_put(txn, n->records, &rkv, &v, 0), 0);
		nlive += (e.op == LB_OP_PUT) - was_live;
	}
	lb_be64_put(tip, f->n);
	memcpy(tip + 8, f->hash[f->n], LB_HASH_BYTES);
	lb_be64_put(tip + 8 + LB_HASH_BYTES, f->ts[f->n]);
	lb_be64_put(live, (uint64_t)nlive);
	assert_int_equal(lb_meta_put(n, txn, "tip", tip, sizeof tip), 0);
	assert_int_equal(lb_meta_put(n, txn, "merkle", menc, lb_merkle_encode(&f->m[f->n], menc)), 0);
	assert_int_equal(lb_meta_put(n, txn, "live", live, 8), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	lb_node_close(n);
}

/* The change set of seq from..to (to must carry a head in f), naming
 * village (NULL: f's) and origin (NULL: f's), into out (reset first). */
FORGE_UNUSED static void forge_changeset(const struct forge *f, size_t from, size_t to,
                                         const char *village, const uint8_t *origin,
                                         struct lb_mp_buf *out)
{
	lb_mp_buf_reset(out);
	assert_true(from >= 1 && from <= to && to <= f->n);
	assert_int_equal(lb_wire_begin(out, to - from + 1, NULL), LB_OK);
	for (size_t s = from; s <= to; s++)
		assert_int_equal(lb_wire_add_entry(out, (const uint8_t *)f->ent[s].sb.data,
		                                   f->ent[s].sb.size, NULL),
		                 LB_OK);
	assert_true(f->head[to].sb.size > 0);
	assert_int_equal(lb_wire_end(out, village ? village : f->village,
	                             origin ? origin : f->origin,
	                             (const uint8_t *)f->head[to].sb.data, f->head[to].sb.size, NULL),
	                 LB_OK);
}

/* A receipt signed with the aggregator key agg for seq of f: the true one
 * (f's origin, seq, hash, the Merkle root of 1..seq) as changed by hook.
 * *out is malloc'd (free it). */
FORGE_UNUSED static void forge_receipt(const struct forge *f, const struct lb_key *agg, size_t seq,
                                       forge_receipt_hook hook, void *ctx, uint8_t **out,
                                       size_t *len)
{
	struct lb_receipt rc = {.seq = seq, .received_ms = 1767225600000ull};

	assert_true(seq >= 1 && seq <= f->n);
	memcpy(rc.origin, f->origin, LB_PK_BYTES);
	memcpy(rc.hash, f->hash[seq], LB_HASH_BYTES);
	lb_merkle_root(&f->m[seq], rc.root);
	if (hook)
		hook(ctx, &rc);
	assert_int_equal(lb_receipt_sign(agg, &rc, out, len, NULL), LB_OK);
}

/* One receipt frame for forge_archive: after the head of seq. */
struct forge_rframe {
	size_t seq;
	const uint8_t *agg_pk;
	const uint8_t *r;
	size_t len;
};

/* How forge_archive deviates from the plain archive of f (all optional). */
struct forge_arch {
	const struct forge_rframe *rf; /* receipts, after the head of their seq */
	size_t nr;
	size_t skip;                   /* leave out entry skip (and its head) */
	/* called after each seq's entry, head and receipts: write more frames */
	void (*more)(void *ctx, struct lb_lla_writer *w, size_t seq);
	void *ctx;
	const char *source;            /* the header's source (NULL: "node") */
};

/* f as a log archive on out: header (source "node"), entries 1..n each
 * followed by its head (if f holds one) and receipts, trailer (counting
 * what was written).  o may be NULL. */
FORGE_UNUSED static void forge_archive(const struct forge *f, FILE *out,
                                       const struct forge_arch *o)
{
	static const struct forge_arch none;
	struct lb_lla_writer w;
	struct lb_lla_header h = {.source = "node"};

	if (!o)
		o = &none;
	memcpy(h.village, f->village, sizeof h.village);
	memcpy(h.origin, f->origin, LB_PK_BYTES);
	if (o->source)
		snprintf(h.source, sizeof h.source, "%s", o->source);
	lb_lla_writer_init(&w, out);
	assert_int_equal(lb_lla_write_header(&w, &h, NULL), LB_OK);
	for (size_t s = 1; s <= f->n; s++) {
		if (s == o->skip)
			continue;
		assert_int_equal(lb_lla_write_entry(&w, f->ent[s].sb.data, f->ent[s].sb.size, NULL),
		                 LB_OK);
		if (f->head[s].sb.size)
			assert_int_equal(lb_lla_write_head(&w, f->head[s].sb.data, f->head[s].sb.size,
			                                   NULL),
			                 LB_OK);
		for (size_t i = 0; i < o->nr; i++)
			if (o->rf[i].seq == s)
				assert_int_equal(lb_lla_write_receipt(&w, o->rf[i].agg_pk, o->rf[i].r,
				                                      o->rf[i].len, NULL),
				                 LB_OK);
		if (o->more)
			o->more(o->ctx, &w, s);
	}
	assert_int_equal(lb_lla_write_trailer(&w, NULL), LB_OK);
	lb_lla_writer_free(&w);
}

/* ---- the world the forge tests share ------------------------------------ */

#define FORGE_VILLAGE "33.24.01.2001"
/* The body of aspirasi record An (n one digit). */
#define FORGE_ASP(n) "{\"tanggal\":\"2026-01-0" #n "\",\"pengusul\":\"Warga " #n "\"," \
	"\"usulan\":\"lampu\",\"status\":\"diusulkan\"}"

/* One test case's world, made fresh for each case and removed after it:
 * a temporary directory holding a village node (FORGE_VILLAGE) that wrote
 * three aspirasi records A1..A3 in three transactions (so seq 1..3, each
 * with its signed head), its log loaded into f, and an aggregator for
 * "33.24" with that village enrolled. */
struct forge_world {
	char dir[64];           /* the temporary directory (rm -rf at teardown) */
	char node[96];          /* dir/desa: the village node */
	char agg[96];           /* dir/kab: the aggregator */
	struct forge *f;        /* the node's log and key (forge_from_node) */
	struct lb_key agg_key;  /* the aggregator's real key (agg.key) */
	struct lb_key stranger; /* a key nobody enrolled */
	struct lb_agg *a;       /* the aggregator, open, the village enrolled */
	struct lb_node *n;      /* the node, open: only after forge_world_setup_open */
	/* for the case's own use, freed at teardown: */
	struct lb_mp_buf cs; /* a change set */
	uint8_t *r;          /* a malloc'd receipt */
};

/* Make the world (see struct forge_world); the node stays open in w->n
 * when open_node, else it is closed (LMDB allows one environment per file
 * and process: forge_node_write and the node's own readers open it). */
FORGE_UNUSED static struct forge_world *forge_world_new(bool open_node)
{
	struct forge_world *w = calloc(1, sizeof *w);
	struct lb_node *n;
	uint8_t origin[LB_PK_BYTES], pk[LB_PK_BYTES];

	assert_non_null(w);
	snprintf(w->dir, sizeof w->dir, "/tmp/lb-test-forge.XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(w->node, sizeof w->node, "%s/desa", w->dir);
	snprintf(w->agg, sizeof w->agg, "%s/kab", w->dir);
	assert_int_equal(lb_node_init(w->node, FORGE_VILLAGE, NULL, origin, NULL), LB_OK);
	assert_int_equal(lb_node_open(&n, w->node, NULL, NULL), LB_OK);
	write_one(n, LB_OP_PUT, "aspirasi", "A1", FORGE_ASP(1));
	write_one(n, LB_OP_PUT, "aspirasi", "A2", FORGE_ASP(2));
	write_one(n, LB_OP_PUT, "aspirasi", "A3", FORGE_ASP(3));
	lb_node_close(n);
	w->f = forge_from_node(w->node);
	assert_int_equal(w->f->n, 3);
	if (open_node)
		assert_int_equal(lb_node_open(&w->n, w->node, NULL, NULL), LB_OK);
	assert_int_equal(lb_agg_init(w->agg, "33.24", pk, NULL), LB_OK);
	forge_key(w->agg, "agg.key", &w->agg_key);
	assert_memory_equal(pk, w->agg_key.pk, LB_PK_BYTES);
	assert_int_equal(lb_agg_open(&w->a, w->agg, NULL), LB_OK);
	assert_int_equal(lb_agg_enroll(w->a, FORGE_VILLAGE, origin, NULL), LB_OK);
	forge_stranger(&w->stranger);
	lb_mp_buf_init(&w->cs);
	return w;
}

/* Close what is open, free, remove the directory.  Cannot fail but by
 * failing the test. */
FORGE_UNUSED static void forge_world_free(struct forge_world *w)
{
	char cmd[128];

	if (w->n)
		lb_node_close(w->n);
	lb_agg_close(w->a);
	forge_free(w->f);
	free(w->r);
	lb_mp_buf_free(&w->cs);
	lb_key_wipe(&w->agg_key);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
}

/* cmocka fixtures: *state is the struct forge_world *. */
FORGE_UNUSED static int forge_world_setup(void **state)
{
	*state = forge_world_new(false);
	return 0;
}

FORGE_UNUSED static int forge_world_setup_open(void **state)
{
	*state = forge_world_new(true);
	return 0;
}

FORGE_UNUSED static int forge_world_teardown(void **state)
{
	forge_world_free(*state);
	return 0;
}

#endif
