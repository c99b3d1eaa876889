/*
 * records.c — the consolidated records of a region (see agg.h): export as
 * CSV (node/csvio.h's writer), JSON lines (jansson) or XLSX
 * (libxlsxwriter, constant-memory mode), and ls/get of one village.
 *
 * The view is read in key order (village NUL type NUL id) inside one read
 * transaction: for each village the run of its records of the type, then
 * a jump past the village (village || 0x01) to the next one.  Each view
 * value names the replica entry (origin || seq) holding the live body.
 */
#define _POSIX_C_SOURCE 200809L
#include "store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "../node/body.h"
#include "../node/csvio.h"
#include "../node/entry.h"
#include "../node/lmdb_err.h"
#include "../schema/schema.h"
#include "../schema/text.h"

#define XLSX_MAX_ROWS 1048576 /* a sheet's rows, the header included */

struct rec {
	const char *village, *name;
	const char *id;
	size_t id_len;
	const uint8_t *body;
	size_t body_len;
};

typedef lb_err (*rec_fn)(void *ctx, const struct rec *r, struct lb_diag *d);

static const struct lb_type *known_type(const char *type, struct lb_diag *d)
{
	const struct lb_type *t = lb_schema_type(lb_schema_get(lb_schema_latest()), type ? type : "");
	char esc[LB_ESC_BUF];

	if (!t)
		lb_fail(d, LB_ESCHEMA, "unknown record type \"%s\" (lumbung schema lists them)",
		        lb_escape(esc, type ? type : "", type ? strlen(type) : 0));
	return t;
}

static bool enrolled(struct lb_agg *a, MDB_txn *txn, const char *village)
{
	MDB_cursor *c;
	MDB_val k, v;
	bool found = false;
	int rc;

	if (mdb_cursor_open(txn, a->enroll, &c))
		return false;
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0 && !found;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		found = v.mv_size == ENROLL_LEN && !memcmp(v.mv_data, village, LB_VILLAGE_LEN);
	mdb_cursor_close(c);
	return found;
}

/* The village/kecamatan filter: checked codes, inside the region, a
 * village enrolled. */
static lb_err check_filter(struct lb_agg *a, MDB_txn *txn, const char *village,
                           const char *kecamatan, struct lb_diag *d)
{
	char esc[LB_ESC_BUF], probe[LB_VILLAGE_LEN + 1];

	if (village && kecamatan)
		return lb_fail(d, LB_EINVAL, "give --village or --kecamatan, not both");
	if (village) {
		if (lb_region_level(village) != LB_REGION_DESA)
			return lb_fail(d, LB_EINVAL, "\"%s\" is not a desa code (PP.KK.CC.DDDD)",
			               lb_escape(esc, village, strlen(village)));
		if (!lb_region_contains(a->region, village))
			return lb_fail(d, LB_EINVAL, "village %s is outside this aggregator's region %s",
			               village, a->region);
		if (!enrolled(a, txn, village))
			return lb_fail(d, LB_ENOTFOUND, "village %s is not enrolled here", village);
	}
	if (kecamatan) {
		if (lb_region_level(kecamatan) != LB_REGION_KECAMATAN)
			return lb_fail(d, LB_EINVAL, "\"%s\" is not a kecamatan code (PP.KK.CC)",
			               lb_escape(esc, kecamatan, strlen(kecamatan)));
		snprintf(probe, sizeof probe, "%.8s.0000", kecamatan);
		if (!lb_region_contains(a->region, probe) ||
		    (lb_region_level(a->region) == LB_REGION_KECAMATAN && strcmp(a->region, kecamatan)))
			return lb_fail(d, LB_EINVAL, "kecamatan %s is outside this aggregator's region %s",
			               kecamatan, a->region);
	}
	return LB_OK;
}

/* The live entry a view value points to, decoded (borrowing from the
 * transaction's pages). */
static lb_err live_entry(struct lb_agg *a, MDB_txn *txn, const MDB_val *vv, const char *village,
                         struct lb_entry *en, struct lb_diag *d)
{
	MDB_val k, v;
	int rc;

	if (vv->mv_size != RKEY_LEN)
		return lb_fail(d, LB_ECORRUPT, "consolidated view of %s: a value of %zu bytes", village,
		               vv->mv_size);
	k = (MDB_val){RKEY_LEN, vv->mv_data};
	if ((rc = mdb_get(txn, a->replica, &k, &v)))
		return rc == MDB_NOTFOUND
		               ? lb_fail(d, LB_ECORRUPT, "consolidated view of %s points at seq %" PRIu64
		                         " that the replica does not hold", village,
		                         agg_be64_get((const uint8_t *)vv->mv_data + LB_PK_BYTES))
		               : lb_mdb_fail(d, rc, "reading the replica");
	if (lb_entry_decode(en, v.mv_data, v.mv_size, d) || en->op != LB_OP_PUT)
		return lb_fail(d, LB_ECORRUPT, "replica entry seq %" PRIu64 " of %s is damaged or not a put",
		               agg_be64_get((const uint8_t *)vv->mv_data + LB_PK_BYTES), village);
	return LB_OK;
}

/* Walk the records of type in the chosen villages (see the file comment). */
static lb_err walk(struct lb_agg *a, const struct lb_type *t, const char *village,
                   const char *kecamatan, rec_fn fn, void *ctx, struct lb_diag *d)
{
	uint8_t key[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX];
	char vil[LB_VILLAGE_LEN + 1], name[LB_AGG_NAME_MAX + 1];
	size_t tl = strlen(t->name), plen = LB_VILLAGE_LEN + 2 + tl;
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	lb_err e = LB_OK;
	int rc;

	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((e = check_filter(a, txn, village, kecamatan, d)))
		goto out;
	if ((rc = mdb_cursor_open(txn, a->view, &c))) {
		e = lb_mdb_fail(d, rc, "reading the consolidated view");
		goto out;
	}
	/* first key at or after the filter's prefix */
	if (village)
		memcpy(key, village, (k.mv_size = LB_VILLAGE_LEN));
	else if (kecamatan)
		k.mv_size = (size_t)snprintf((char *)key, sizeof key, "%s.", kecamatan);
	else
		k.mv_size = 0;
	k.mv_data = key;
	rc = k.mv_size ? mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)
	               : mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		/* k: some key of the next village */
		if (k.mv_size < LB_VILLAGE_LEN + 1 || ((const char *)k.mv_data)[LB_VILLAGE_LEN]) {
			e = lb_fail(d, LB_ECORRUPT, "consolidated view: a key of %zu bytes is not village "
			            "NUL type NUL id", k.mv_size);
			break;
		}
		memcpy(vil, k.mv_data, LB_VILLAGE_LEN);
		vil[LB_VILLAGE_LEN] = '\0';
		if ((village && strcmp(vil, village)) ||
		    (kecamatan && strncmp(vil, kecamatan, strlen(kecamatan))))
			break;
		agg_dir_get(a, txn, vil, name, NULL);
		memcpy(key, vil, LB_VILLAGE_LEN);
		key[LB_VILLAGE_LEN] = 0;
		memcpy(key + LB_VILLAGE_LEN + 1, t->name, tl);
		key[LB_VILLAGE_LEN + 1 + tl] = 0;
		k = (MDB_val){plen, key};
		for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		     rc == 0 && k.mv_size > plen && !memcmp(k.mv_data, key, plen);
		     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
			struct lb_entry en;
			struct rec r = {.village = vil, .name = name};
			r.id = (const char *)k.mv_data + plen;
			r.id_len = k.mv_size - plen;
			if ((e = live_entry(a, txn, &v, vil, &en, d)))
				goto out;
			if (en.id_len != r.id_len || memcmp(en.id, r.id, r.id_len) || en.type_len != tl ||
			    memcmp(en.type, t->name, tl)) {
				e = lb_fail(d, LB_ECORRUPT, "consolidated view of %s: an entry under another "
				            "record's key", vil);
				goto out;
			}
			r.body = en.body;
			r.body_len = en.body_len;
			if ((e = fn(ctx, &r, d)))
				goto out;
		}
		if (rc && rc != MDB_NOTFOUND)
			break;
		/* past every key of this village */
		memcpy(key, vil, LB_VILLAGE_LEN);
		key[LB_VILLAGE_LEN] = 1;
		k = (MDB_val){LB_VILLAGE_LEN + 1, key};
		rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the consolidated view");
out:
	if (c)
		mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}

/* ---- CSV and JSON lines ---------------------------------------------------- */

struct xp {
	const struct lb_agg_export_opts *o;
	const struct lb_type *t;
	uint64_t rows;
	lxw_workbook *wb;
	lxw_worksheet *ws;
};

static lb_err out_err(FILE *f, struct lb_diag *d)
{
	(void)f;
	if (errno == ENOSPC)
		return lb_fail(d, LB_EFULL, "writing the export: disk full");
	return lb_fail(d, LB_EIO, "writing the export: %s", strerror(errno ? errno : EIO));
}

static lb_err csv_rec(void *ctx, const struct rec *r, struct lb_diag *d)
{
	struct xp *x = ctx;
	const char *pre[2] = {r->village, r->name};

	x->rows++;
	return lb_csv_write_record_pre(x->o->out, x->t, x->o->sep ? x->o->sep : ';', x->o->excel, pre,
	                               2, r->id, r->id_len, r->body, r->body_len, d);
}

static lb_err jsonl_rec(void *ctx, const struct rec *r, struct lb_diag *d)
{
	struct xp *x = ctx;
	json_t *body = lb_body_to_json(r->body, r->body_len, d), *j;
	int bad;

	if (!body)
		return LB_ECORRUPT;
	j = json_pack("{s:s, s:s, s:s#, s:o}", "desa", r->village, "nama_desa", r->name, "id", r->id,
	              (int)r->id_len, "record", body);
	if (!j)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	bad = json_dumpf(j, x->o->out, JSON_COMPACT | JSON_PRESERVE_ORDER) ||
	      fputc('\n', x->o->out) == EOF;
	json_decref(j);
	x->rows++;
	return bad ? out_err(x->o->out, d) : LB_OK;
}

/* ---- XLSX ------------------------------------------------------------------- */

static lb_err xlsx_fail(lxw_error err, const char *what, struct lb_diag *d)
{
	return lb_fail(d, err == LXW_ERROR_MEMORY_MALLOC_FAILED ? LB_ENOMEM : LB_EIO, "%s: %s", what,
	               lxw_strerror(err));
}

static lb_err xlsx_text(struct xp *x, lxw_row_t row, lxw_col_t col, const char *s, size_t n,
                        struct lb_diag *d)
{
	char *z = malloc(n + 1);
	lxw_error err;

	if (!z)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	memcpy(z, s, n);
	z[n] = '\0';
	err = worksheet_write_string(x->ws, row, col, z, NULL);
	free(z);
	return err ? xlsx_fail(err, "writing a cell", d) : LB_OK;
}

static lb_err xlsx_rec(void *ctx, const struct rec *r, struct lb_diag *d)
{
	struct xp *x = ctx;
	const struct lb_type *t = x->t;
	lxw_row_t row = (lxw_row_t)(x->rows + 1);
	lxw_col_t base = 2 + (t->id_field ? 0 : 1);
	struct lb_mp_rd rd;
	struct lb_mp_obj o;
	lxw_error err = LXW_NO_ERROR;
	lb_err e;

	if (x->rows + 1 >= XLSX_MAX_ROWS)
		return lb_fail(d, LB_ETOOBIG, "more than %d records: an XLSX sheet holds no more; "
		               "export CSV or JSON lines, or one kecamatan at a time", XLSX_MAX_ROWS - 1);
	if ((e = xlsx_text(x, row, 0, r->village, strlen(r->village), d)) ||
	    (e = xlsx_text(x, row, 1, r->name, strlen(r->name), d)) ||
	    (!t->id_field && (e = xlsx_text(x, row, 2, r->id, r->id_len, d))))
		return e;
	lb_mp_rd_init(&rd, r->body, r->body_len);
	if (lb_mp_next(&rd, &o, d) || o.kind != LB_MP_MAP)
		return lb_fail(d, LB_ECORRUPT, "%s %.*s: stored body is not a map", t->name,
		               (int)r->id_len, r->id);
	for (uint32_t i = 0; i < o.len && !err; i++) {
		struct lb_mp_obj k, v;
		const struct lb_field *f;
		lxw_col_t col;
		if (lb_mp_next(&rd, &k, d) || k.kind != LB_MP_STR || lb_mp_next(&rd, &v, d))
			return lb_fail(d, LB_ECORRUPT, "%s %.*s: unreadable body", t->name, (int)r->id_len,
			               r->id);
		if (v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP)
			return lb_fail(d, LB_ECORRUPT, "%s %.*s: nested value", t->name, (int)r->id_len,
			               r->id);
		if (!(f = lb_type_field(t, (const char *)k.s, k.len)))
			continue;
		col = (lxw_col_t)(base + (size_t)(f - t->fields));
		switch (v.kind) {
		case LB_MP_STR:
			if ((e = xlsx_text(x, row, col, (const char *)v.s, v.len, d)))
				return e;
			break;
		case LB_MP_UINT:
			err = worksheet_write_number(x->ws, row, col, (double)v.v.u, NULL);
			break;
		case LB_MP_INT:
			err = worksheet_write_number(x->ws, row, col, (double)v.v.i, NULL);
			break;
		case LB_MP_FLOAT:
			err = worksheet_write_number(x->ws, row, col, v.v.f, NULL);
			break;
		case LB_MP_BOOL:
			err = worksheet_write_boolean(x->ws, row, col, v.v.b, NULL);
			break;
		default:
			break;
		}
	}
	if (err)
		return xlsx_fail(err, "writing a cell", d);
	x->rows++;
	return LB_OK;
}

static lb_err xlsx_begin(struct xp *x, struct lb_diag *d)
{
	lxw_workbook_options wo = {.constant_memory = LXW_TRUE};
	const struct lb_type *t = x->t;
	lxw_col_t col = 0;
	lb_err e;

	if (!(x->wb = workbook_new_opt(x->o->xlsx_path, &wo)) ||
	    !(x->ws = workbook_add_worksheet(x->wb, t->name)))
		return lb_fail(d, LB_EIO, "%s: cannot start the workbook", x->o->xlsx_path);
	if ((e = xlsx_text(x, 0, col++, "desa", 4, d)) ||
	    (e = xlsx_text(x, 0, col++, "nama_desa", 9, d)) ||
	    (!t->id_field && (e = xlsx_text(x, 0, col++, "id", 2, d))))
		return e;
	for (size_t i = 0; i < t->nfields; i++)
		if ((e = xlsx_text(x, 0, col++, t->fields[i].name, t->fields[i].name_len, d)))
			return e;
	return LB_OK;
}

lb_err lb_agg_export_records(struct lb_agg *a, const struct lb_agg_export_opts *o, uint64_t *rows,
                             struct lb_diag *d)
{
	struct xp x = {.o = o};
	static const char *const pre[2] = {"desa", "nama_desa"};
	lb_err e;
	rec_fn fn;

	if (rows)
		*rows = 0;
	if (!(x.t = known_type(o->type, d)))
		return LB_ESCHEMA;
	switch (o->format) {
	case LB_AGG_CSV:
		if ((e = lb_csv_write_header_pre(o->out, x.t, o->sep ? o->sep : ';', pre, 2, d)))
			return e;
		fn = csv_rec;
		break;
	case LB_AGG_JSONL:
		fn = jsonl_rec;
		break;
	case LB_AGG_XLSX:
		if (!o->xlsx_path)
			return lb_fail(d, LB_EINVAL, "XLSX export needs a file name");
		if ((e = xlsx_begin(&x, d))) {
			if (x.wb)
				workbook_close(x.wb);
			return e;
		}
		fn = xlsx_rec;
		break;
	default:
		return lb_fail(d, LB_EINVAL, "unknown export format");
	}
	e = walk(a, x.t, o->village, o->kecamatan, fn, &x, d);
	if (x.wb) {
		lxw_error err = workbook_close(x.wb);
		if (!e && err)
			e = xlsx_fail(err, o->xlsx_path, d);
	} else if (!e && fflush(o->out))
		e = out_err(o->out, d);
	if (rows)
		*rows = x.rows;
	return e;
}

/* ---- ls, get ---------------------------------------------------------------- */

struct ls_ctx {
	lb_agg_id_cb cb;
	void *ctx;
};

#define LB_STOP ((lb_err)-1)

static lb_err ls_rec(void *ctx, const struct rec *r, struct lb_diag *d)
{
	struct ls_ctx *l = ctx;
	(void)d;
	return l->cb(l->ctx, r->id, r->id_len) ? LB_STOP : LB_OK;
}

lb_err lb_agg_ls(struct lb_agg *a, const char *type, const char *village, lb_agg_id_cb cb,
                 void *ctx, struct lb_diag *d)
{
	const struct lb_type *t = known_type(type, d);
	struct ls_ctx l = {cb, ctx};
	lb_err e;

	if (!t)
		return LB_ESCHEMA;
	if (!village)
		return lb_fail(d, LB_EINVAL, "name the village (--village CODE)");
	e = walk(a, t, village, NULL, ls_rec, &l, d);
	return e == LB_STOP ? LB_OK : e;
}

lb_err lb_agg_get(struct lb_agg *a, const char *type, const char *village, const char *id,
                  uint8_t **body, size_t *len, struct lb_diag *d)
{
	uint8_t key[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX];
	const struct lb_type *t = known_type(type, d);
	size_t tl, il = id ? strlen(id) : 0;
	char esc[LB_ESC_BUF];
	struct lb_entry en;
	MDB_txn *txn;
	MDB_val k, v;
	lb_err e;
	int rc;

	*body = NULL;
	*len = 0;
	if (!t)
		return LB_ESCHEMA;
	if (!village)
		return lb_fail(d, LB_EINVAL, "name the village (--village CODE)");
	if ((e = lb_id_check(id ? id : "", il, d)))
		return e;
	tl = strlen(t->name);
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((e = check_filter(a, txn, village, NULL, d)))
		goto out;
	memcpy(key, village, LB_VILLAGE_LEN);
	key[LB_VILLAGE_LEN] = 0;
	memcpy(key + LB_VILLAGE_LEN + 1, t->name, tl);
	key[LB_VILLAGE_LEN + 1 + tl] = 0;
	memcpy(key + LB_VILLAGE_LEN + 2 + tl, id, il);
	k = (MDB_val){LB_VILLAGE_LEN + 2 + tl + il, key};
	if ((rc = mdb_get(txn, a->view, &k, &v))) {
		e = rc == MDB_NOTFOUND ? lb_fail(d, LB_ENOTFOUND, "%s %s: no live record in village %s",
		                                 t->name, lb_escape(esc, id, il), village)
		                       : lb_mdb_fail(d, rc, "reading the consolidated view");
		goto out;
	}
	if ((e = live_entry(a, txn, &v, village, &en, d)))
		goto out;
	if (!(*body = malloc(en.body_len))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*body, en.body, en.body_len);
	*len = en.body_len;
out:
	agg_txn_abort(a, txn);
	return e;
}

lb_err lb_agg_page(struct lb_agg *a, const char *type, const char *village, const char *after,
                   size_t limit, lb_agg_rec_cb cb, void *ctx, bool *more, struct lb_diag *d)
{
	uint8_t key[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX];
	const struct lb_type *t = known_type(type, d);
	size_t tl, plen, al = after ? strlen(after) : 0, n = 0;
	MDB_txn *txn;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	lb_err e;
	int rc;

	*more = false;
	if (!t)
		return LB_ESCHEMA;
	if (!village)
		return lb_fail(d, LB_EINVAL, "name the village");
	if (al && (e = lb_id_check(after, al, d)))
		return e;
	tl = strlen(t->name);
	plen = LB_VILLAGE_LEN + 2 + tl;
	if ((rc = agg_txn_begin(a, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "reading");
	if ((e = check_filter(a, txn, village, NULL, d)))
		goto out;
	if ((rc = mdb_cursor_open(txn, a->view, &c))) {
		e = lb_mdb_fail(d, rc, "reading the consolidated view");
		goto out;
	}
	memcpy(key, village, LB_VILLAGE_LEN);
	key[LB_VILLAGE_LEN] = 0;
	memcpy(key + LB_VILLAGE_LEN + 1, t->name, tl);
	key[LB_VILLAGE_LEN + 1 + tl] = 0;
	memcpy(key + plen, after ? after : "", al);
	k = (MDB_val){plen + al, key};
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	/* after is the last id of the previous page: start past it */
	if (rc == 0 && al && k.mv_size == plen + al && !memcmp(k.mv_data, key, plen + al))
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	for (; rc == 0 && k.mv_size > plen && !memcmp(k.mv_data, key, plen);
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct lb_entry en;
		if (n == limit) {
			*more = true;
			break;
		}
		if ((e = live_entry(a, txn, &v, village, &en, d)))
			goto out;
		if (cb(ctx, (const char *)k.mv_data + plen, k.mv_size - plen, en.body, en.body_len))
			break;
		n++;
	}
	if (rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading the consolidated view");
out:
	if (c)
		mdb_cursor_close(c);
	agg_txn_abort(a, txn);
	return e;
}
