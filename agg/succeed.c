/*
 * succeed.c — successions at an aggregator (agg.h, docs/FORMAT.md
 * "Succession"): the `succ` database, the one transaction that moves a
 * village from its lost key to a new one, and the lookups ingest, status,
 * the relay and the archive export make.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "../node/hlc.h"
#include "../node/lmdb_err.h"
#include "../schema/text.h"
#include "tree_int.h"

#define SUCC_KEY (1 + LB_PK_BYTES)

lb_err agg_succ_open(struct lb_agg *a, struct lb_diag *d)
{
	unsigned f = a->read_only ? 0 : MDB_CREATE;
	MDB_txn *txn;
	int rc;

	if ((rc = agg_txn_begin(a, a->read_only ? MDB_RDONLY : 0, &txn)))
		return lb_mdb_fail(d, rc, "opening the successions");
	if ((rc = mdb_dbi_open(txn, "succ", f, &a->succ))) {
		agg_txn_abort(a, txn);
		/* a read-only handle on a store made before successions: none */
		return rc == MDB_NOTFOUND ? LB_OK : lb_mdb_fail(d, rc, "opening the successions");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "opening the successions");
	a->have_succ = true;
	return LB_OK;
}

static void succ_key(uint8_t k[SUCC_KEY], char which, const uint8_t key[LB_PK_BYTES])
{
	k[0] = (uint8_t)which;
	memcpy(k + 1, key, LB_PK_BYTES);
}

lb_err agg_succ_get(struct lb_agg *a, MDB_txn *txn, char which, const uint8_t key[LB_PK_BYTES],
                    struct lb_succession *s, MDB_val *raw, struct lb_diag *d)
{
	uint8_t kb[SUCC_KEY];
	MDB_val k = {SUCC_KEY, kb}, v;
	struct lb_succession tmp;
	char hx[17];
	int rc;

	if (!a->have_succ)
		return lb_fail(d, LB_ENOTFOUND, "no succession held");
	succ_key(kb, which, key);
	if ((rc = mdb_get(txn, a->succ, &k, &v)) == MDB_NOTFOUND)
		return lb_fail(d, LB_ENOTFOUND, "no succession held");
	if (rc)
		return lb_mdb_fail(d, rc, "reading the successions");
	lb_hex(hx, key, 8);
	if (lb_succession_open(s ? s : &tmp, v.mv_data, v.mv_size, NULL, NULL) ||
	    memcmp(which == 'o' ? (s ? s : &tmp)->old_key : (s ? s : &tmp)->new_key, key,
	           LB_PK_BYTES))
		return lb_fail(d, LB_ECORRUPT, "the stored succession of key %s... is damaged", hx);
	if (raw)
		*raw = v;
	return LB_OK;
}

/* The active key of village inside txn into key; LB_ENOTFOUND saying
 * what to do instead. */
static lb_err active_key(struct lb_agg *a, MDB_txn *txn, const char *village,
                         uint8_t key[LB_PK_BYTES], struct lb_diag *d)
{
	lb_err e = agg_active_key(a, txn, village, NULL, key, d);

	if (e == LB_ENOTFOUND)
		return lb_fail(d, LB_ENOTFOUND, "village %s has no active key enrolled here (a "
		               "succession continues the chain of an enrolled key; enrol a new "
		               "village with lumbung-agg enroll)", village);
	return e;
}

static int put_enroll(struct lb_agg *a, MDB_txn *txn, const uint8_t key[LB_PK_BYTES],
                      const char *village, bool revoked)
{
	uint8_t val[ENROLL_LEN];
	MDB_val k = {LB_PK_BYTES, (void *)key}, v = {ENROLL_LEN, val};

	memcpy(val, village, LB_VILLAGE_LEN);
	val[LB_VILLAGE_LEN] = revoked;
	return mdb_put(txn, a->enroll, &k, &v, 0);
}

lb_err agg_succeed_in(struct lb_agg *a, MDB_txn *txn, const char *village,
                      const uint8_t *old_key, const uint8_t new_key[LB_PK_BYTES], uint64_t seq,
                      const uint8_t *hash, const uint8_t *by, struct lb_succession *out,
                      struct lb_diag *d)
{
	struct lb_succession s = {.time_ms = lb_hlc_wall_ms()};
	struct lb_agg_origin o;
	struct lb_merkle m;
	uint8_t old[LB_PK_BYTES], nk[8], kb[SUCC_KEY], *sig = NULL;
	char ohx[2 * LB_PK_BYTES + 1], nhx[2 * LB_PK_BYTES + 1];
	MDB_val k, v;
	size_t len;
	lb_err e;
	int rc;

	if (a->read_only || !a->have_tree || !a->have_succ)
		return agg_refuse_read_only("succeeding a key", d);
	if (lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code (PP.KK.CC.DDDD)", village);
	if (!lb_region_contains(a->region, village))
		return lb_fail(d, LB_EINVAL, "village %s is outside this aggregator's region %s",
		               village, a->region);
	if (old_key)
		memcpy(old, old_key, LB_PK_BYTES);
	else if ((e = active_key(a, txn, village, old, d)))
		return e;
	lb_hex(ohx, old, LB_PK_BYTES);
	lb_hex(nhx, new_key, LB_PK_BYTES);
	if ((e = agg_read_origin(a, txn, old, &o, &m, d)))
		return e;
	if (strcmp(o.village, village))
		return lb_fail(d, LB_EWRONG_VILLAGE, "key %.16s... is enrolled for village %s, not %s",
		               ohx, o.village, village);
	if (o.revoked)
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "key %.16s... of village %s is revoked here: "
		               "only the active key is succeeded", ohx, village);
	if (!memcmp(old, new_key, LB_PK_BYTES))
		return lb_fail(d, LB_EINVAL, "the new key is the village's active key already");
	k = (MDB_val){LB_PK_BYTES, (void *)new_key};
	if ((rc = mdb_get(txn, a->enroll, &k, &v)) == 0)
		return lb_fail(d, LB_EEXIST, "key %.16s... is already enrolled here (for %.13s): a "
		               "succession needs a key never used before", nhx,
		               v.mv_size == ENROLL_LEN ? (const char *)v.mv_data : "?");
	if (rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "reading the enrolments");
	if (!hash) { /* the office: at what this aggregator holds */
		if (!o.seq)
			return lb_fail(d, LB_EINVAL, "this aggregator holds no entry of key %.16s...: "
			               "nothing to continue (revoke it and enrol the new key instead)",
			               ohx);
		seq = o.seq;
		hash = o.hash;
	} else if (!seq) {
		return lb_fail(d, LB_EINVAL, "a succession continues after seq 1 or later");
	} else if (o.seq > seq) {
		return lb_fail(d, LB_EINVAL, "this aggregator holds key %.16s... up to seq %llu, past "
		               "seq %llu where the succession ends it", ohx,
		               (unsigned long long)o.seq, (unsigned long long)seq);
	} else if (o.seq == seq && memcmp(o.hash, hash, LB_HASH_BYTES)) {
		return lb_fail(d, LB_EINVAL, "entry %llu of key %.16s... held here is not the one the "
		               "succession names", (unsigned long long)seq, ohx);
	}
	if (o.base && seq <= o.base)
		return lb_fail(d, LB_EINVAL, "key %.16s... starts after seq %llu", ohx,
		               (unsigned long long)o.base);
	memcpy(s.signer, a->key.pk, LB_PK_BYTES);
	if (strlen(a->region) > LB_SUCC_REGION_MAX)
		return lb_fail(d, LB_ECORRUPT, "this aggregator's region is damaged");
	memcpy(s.region, a->region, strlen(a->region) + 1);
	memcpy(s.village, village, LB_VILLAGE_LEN);
	memcpy(s.old_key, old, LB_PK_BYTES);
	memcpy(s.new_key, new_key, LB_PK_BYTES);
	s.seq = seq;
	memcpy(s.hash, hash, LB_HASH_BYTES);
	if ((rc = agg_stmt_last(a, txn, &s.n)))
		return lb_mdb_fail(d, rc, "reading the statements");
	s.n++;
	if ((e = lb_succession_sign(&a->key, &s, &sig, &len, d)))
		return e;
	/* the statement, both lookups, OLD revoked, NEW enrolled: one txn */
	agg_be64_put(nk, s.n);
	k = (MDB_val){8, nk};
	v = (MDB_val){len, sig};
	if ((rc = mdb_put(txn, a->stmts, &k, &v, MDB_NOOVERWRITE)))
		goto fail;
	succ_key(kb, 'o', old);
	k = (MDB_val){SUCC_KEY, kb};
	if ((rc = mdb_put(txn, a->succ, &k, &v, 0)))
		goto fail;
	succ_key(kb, 'n', new_key);
	if ((rc = mdb_put(txn, a->succ, &k, &v, 0)) || (rc = put_enroll(a, txn, old, village, true)) ||
	    (rc = put_enroll(a, txn, new_key, village, false)))
		goto fail;
	if ((rc = agg_enrolby_put(a, txn, new_key, by)))
		goto fail;
	/* NEW's state starts where OLD's chain ends, when we hold it; else
	 * ingest seeds it when OLD's entries reach seq */
	if (o.seq == seq && (rc = agg_seed_successor(a, txn, &s, &m)))
		goto fail;
	free(sig);
	if (out)
		*out = s;
	return LB_OK;
fail:
	free(sig);
	return lb_mdb_fail(d, rc, "storing the succession");
}

int agg_seed_successor(struct lb_agg *a, MDB_txn *txn, const struct lb_succession *s,
                       const struct lb_merkle *m)
{
	struct lb_agg_origin n = {.seq = s->seq};

	memcpy(n.origin, s->new_key, LB_PK_BYTES);
	memcpy(n.hash, s->hash, LB_HASH_BYTES);
	return agg_write_origin(a, txn, &n, m);
}

lb_err lb_agg_succeed(struct lb_agg *a, const char *village, const uint8_t new_key[LB_PK_BYTES],
                      struct lb_succession *out, struct lb_diag *d)
{
	lb_err e;

	if (a->read_only)
		return agg_refuse_read_only("succeeding a key", d);
	if (!village)
		return lb_fail(d, LB_EINVAL, "no village given");
	for (int tries = 0;; tries++) {
		size_t seen = agg_map_size(a);
		MDB_txn *txn;
		int rc;

		if ((rc = agg_txn_begin(a, 0, &txn)))
			return lb_mdb_fail(d, rc, "succeeding a key");
		if ((e = agg_succeed_in(a, txn, village, NULL, new_key, 0, NULL, NULL, out, d))) {
			agg_txn_abort(a, txn);
			return e;
		}
		rc = agg_txn_commit(a, txn);
		if (rc == MDB_MAP_FULL && tries < 4 && !agg_grow_map(a, seen))
			continue;
		return rc ? lb_mdb_fail_env(d, a->env, rc, "succeeding a key") : LB_OK;
	}
}

lb_err lb_agg_succession(struct lb_agg *a, const uint8_t key[LB_PK_BYTES], bool as_new,
                         struct lb_succession *s, uint8_t **raw, size_t *len, struct lb_diag *d)
{
	MDB_txn *txn;
	MDB_val v;
	lb_err e;
	int rc;

	if (raw)
		*raw = NULL;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the successions");
	e = agg_succ_get(a, txn, as_new ? 'n' : 'o', key, s, &v, d);
	if (!e && raw) {
		if (!(*raw = malloc(v.mv_size)))
			e = lb_fail(d, LB_ENOMEM, "out of memory");
		else {
			memcpy(*raw, v.mv_data, v.mv_size);
			*len = v.mv_size;
		}
	}
	agg_txn_abort(a, txn);
	return e;
}
