/*
 * directory.c — the village directory: names of villages and kecamatan,
 * in their own LMDB database `names` (see agg.h and docs/FORMAT.md §10).
 *
 *   names   code (desa 13 bytes, or kecamatan 8) -> source (1) || UTF-8 name
 *
 * source is 0x01 for a name the office gave (enroll --name, region name),
 * 0x02 for one learnt from the village's own push.  An office name is
 * never replaced by a learnt one.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <string.h>

#include "../node/lmdb_err.h"
#include "../schema/text.h"

#define SRC_OFFICE 0x01
#define SRC_LEARNT 0x02

lb_err agg_dir_open(struct lb_agg *a, struct lb_diag *d)
{
	MDB_txn *txn;
	int rc;

	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "opening the village directory");
	rc = mdb_dbi_open(txn, "names", 0, &a->names);
	if (rc == 0)
		rc = agg_txn_commit(a, txn); /* keeps the handle for the environment */
	else
		agg_txn_abort(a, txn);
	if (rc == 0) {
		a->have_names = true;
		return LB_OK;
	}
	if (rc != MDB_NOTFOUND)
		return lb_mdb_fail(d, rc, "opening the village directory");
	/* a store made before the directory existed: a read-only handle sees
	 * no names; a writing one adds the empty database */
	if (a->read_only)
		return LB_OK;
	if ((rc = agg_txn_begin(a, 0, &txn)))
		return lb_mdb_fail(d, rc, "creating the village directory");
	if ((rc = mdb_dbi_open(txn, "names", MDB_CREATE, &a->names))) {
		agg_txn_abort(a, txn);
		return lb_mdb_fail(d, rc, "creating the village directory");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail(d, rc, "creating the village directory");
	a->have_names = true;
	return LB_OK;
}

lb_err lb_agg_name_check(const char *name, struct lb_diag *d)
{
	size_t n = name ? strlen(name) : 0;
	char esc[LB_ESC_BUF];

	if (n == 0)
		return lb_fail(d, LB_EINVAL, "a name cannot be empty");
	if (n > LB_AGG_NAME_MAX)
		return lb_fail(d, LB_ETOOBIG, "name \"%s\" is %zu bytes; at most %d", lb_escape(esc, name, n),
		               n, LB_AGG_NAME_MAX);
	if (!lb_utf8_valid(name, n))
		return lb_fail(d, LB_EINVAL, "name \"%s\" is not valid UTF-8", lb_escape(esc, name, n));
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return lb_fail(d, LB_EINVAL, "name \"%s\" holds a control character",
			               lb_escape(esc, name, n));
	return LB_OK;
}

bool agg_dir_get(struct lb_agg *a, MDB_txn *txn, const char *code, char out[LB_AGG_NAME_MAX + 1],
                 enum lb_agg_name_src *src)
{
	MDB_val k = {strlen(code), (void *)code}, v;
	const uint8_t *p;

	out[0] = '\0';
	if (src)
		*src = LB_AGG_NAME_NONE;
	if (!a->have_names || mdb_get(txn, a->names, &k, &v) || v.mv_size < 2 ||
	    v.mv_size > LB_AGG_NAME_MAX + 1)
		return false;
	p = v.mv_data;
	memcpy(out, p + 1, v.mv_size - 1);
	out[v.mv_size - 1] = '\0';
	if (src)
		*src = p[0] == SRC_OFFICE ? LB_AGG_NAME_OFFICE : LB_AGG_NAME_LEARNT;
	return true;
}

/* Store name under code with source src; a learnt name only where no
 * name is held. */
static lb_err put_name(struct lb_agg *a, const char *code, const char *name, uint8_t src,
                       bool *stored, struct lb_diag *d)
{
	uint8_t val[1 + LB_AGG_NAME_MAX];
	size_t n = strlen(name);
	MDB_txn *txn;
	MDB_val k = {strlen(code), (void *)code}, v;
	lb_err e;
	int rc;

	if (stored)
		*stored = false;
	if (a->read_only)
		return agg_refuse_read_only("naming", d);
	if ((e = lb_agg_name_check(name, d)))
		return e;
	if (!a->have_names)
		return lb_fail(d, LB_ESTORE, "the village directory is not open");
	if ((rc = agg_txn_begin(a, 0, &txn)))
		return lb_mdb_fail(d, rc, "naming");
	if (src == SRC_LEARNT && mdb_get(txn, a->names, &k, &v) == 0) {
		agg_txn_abort(a, txn);
		return LB_OK;
	}
	val[0] = src;
	memcpy(val + 1, name, n);
	v = (MDB_val){n + 1, val};
	if ((rc = mdb_put(txn, a->names, &k, &v, 0))) {
		agg_txn_abort(a, txn);
		return lb_mdb_fail(d, rc, "naming");
	}
	if ((rc = agg_txn_commit(a, txn)))
		return lb_mdb_fail_env(d, a->env, rc, "naming");
	if (stored)
		*stored = true;
	return LB_OK;
}

lb_err lb_agg_set_name(struct lb_agg *a, const char *code, const char *name, struct lb_diag *d)
{
	enum lb_region_level lvl = lb_region_level(code ? code : "");
	char esc[LB_ESC_BUF];
	char probe[LB_VILLAGE_LEN + 1];

	if (lvl != LB_REGION_DESA && lvl != LB_REGION_KECAMATAN)
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a desa (PP.KK.CC.DDDD) or kecamatan "
		               "(PP.KK.CC) code", lb_escape(esc, code ? code : "", code ? strlen(code) : 0));
	/* a kecamatan is inside the region when its villages are */
	snprintf(probe, sizeof probe, "%s", code);
	if (lvl == LB_REGION_KECAMATAN)
		snprintf(probe, sizeof probe, "%.8s.0000", code);
	if (!lb_region_contains(a->region, probe) ||
	    (lvl == LB_REGION_KECAMATAN && lb_region_level(a->region) == LB_REGION_KECAMATAN &&
	     strcmp(a->region, code)))
		return lb_fail(d, LB_EINVAL, "%s is outside this aggregator's region %s", code, a->region);
	return put_name(a, code, name, SRC_OFFICE, NULL, d);
}

lb_err lb_agg_learn_name(struct lb_agg *a, const uint8_t origin[LB_PK_BYTES], const char *name,
                         bool *stored, struct lb_diag *d)
{
	struct lb_agg_origin o;
	MDB_txn *txn;
	lb_err e;
	int rc;

	if (stored)
		*stored = false;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	e = agg_read_origin(a, txn, origin, &o, NULL, d);
	agg_txn_abort(a, txn);
	if (e)
		return e;
	if (o.revoked)
		return lb_fail(d, LB_EUNKNOWN_ORIGIN, "this origin key was revoked");
	return put_name(a, o.village, name, SRC_LEARNT, stored, d);
}

static lb_err get_name(struct lb_agg *a, const char *code, enum lb_region_level want,
                       char out[LB_AGG_NAME_MAX + 1], enum lb_agg_name_src *src,
                       struct lb_diag *d)
{
	char esc[LB_ESC_BUF];
	MDB_txn *txn;
	int rc;

	out[0] = '\0';
	if (src)
		*src = LB_AGG_NAME_NONE;
	if (lb_region_level(code ? code : "") != want)
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a %s code",
		               lb_escape(esc, code ? code : "", code ? strlen(code) : 0),
		               want == LB_REGION_DESA ? "desa (PP.KK.CC.DDDD)" : "kecamatan (PP.KK.CC)");
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading the village directory");
	agg_dir_get(a, txn, code, out, src);
	agg_txn_abort(a, txn);
	return LB_OK;
}

lb_err lb_agg_village_name(struct lb_agg *a, const char *village, char out[LB_AGG_NAME_MAX + 1],
                           enum lb_agg_name_src *src, struct lb_diag *d)
{
	return get_name(a, village, LB_REGION_DESA, out, src, d);
}

lb_err lb_agg_region_name(struct lb_agg *a, const char *kecamatan, char out[LB_AGG_NAME_MAX + 1],
                          struct lb_diag *d)
{
	return get_name(a, kecamatan, LB_REGION_KECAMATAN, out, NULL, d);
}

lb_err lb_agg_names(struct lb_agg *a, lb_agg_name_cb cb, void *ctx, struct lb_diag *d)
{
	char code[LB_VILLAGE_LEN + 1], name[LB_AGG_NAME_MAX + 1];
	MDB_txn *txn;
	MDB_cursor *c;
	MDB_val k, v;
	lb_err e;
	int rc;

	if (!a->have_names)
		return LB_OK;
	if ((e = agg_read_cursor(a, a->names, &txn, &c, "reading the village directory", d)))
		return e;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = v.mv_data;
		if (k.mv_size > LB_VILLAGE_LEN || v.mv_size < 2 || v.mv_size > LB_AGG_NAME_MAX + 1)
			continue;
		memcpy(code, k.mv_data, k.mv_size);
		code[k.mv_size] = '\0';
		memcpy(name, p + 1, v.mv_size - 1);
		name[v.mv_size - 1] = '\0';
		if (cb(ctx, code, name, p[0] == SRC_OFFICE ? LB_AGG_NAME_OFFICE : LB_AGG_NAME_LEARNT))
			break;
	}
	mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return rc && rc != MDB_NOTFOUND ? lb_mdb_fail(d, rc, "reading the village directory")
	                                : LB_OK;
}
