/*
 * consistency.c — rules between fields and records for new writes, the
 * index they use, and the dangling-reference check of verify
 * (consistency.h).
 */
#include "consistency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../schema/i18n.h"
#include "../schema/mp.h"
#include "catalogue.h"

#define IDX_DB "idx"
#define IDX_META "idx"
#define IDX_MARK_LEN (8 + LB_HASH_BYTES)
#define IDX_KEY_MAX (2 + 2 * LB_ID_MAX)
#define REFUSE_LIST 10

/* ---- small readers --------------------------------------------------------- */

static int two(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

/* The string value of field name in a canonical body map, or false. */
static bool body_str(const uint8_t *body, size_t len, const char *name, const char **s,
                     size_t *slen)
{
	struct lb_mp_obj v;

	if (!lb_mp_map_get(body, len, name, &v) || v.kind != LB_MP_STR)
		return false;
	*s = (const char *)v.s;
	*slen = v.len;
	return true;
}

static bool body_is(const uint8_t *body, size_t len, const char *name, const char *val,
                    size_t vlen)
{
	const char *s;
	size_t sl;
	return body_str(body, len, name, &s, &sl) && sl == vlen && !memcmp(s, val, vlen);
}

enum rec_state { REC_ABSENT, REC_DELETED, REC_LIVE };

/* The state of (type, id) in txn, and for a live one its current body
 * (borrowed from txn until the next write).  Returns an LMDB code, or -1
 * when the stored entry does not decode. */
static int read_record(struct lb_node *n, MDB_txn *txn, const char *type, size_t tl,
                       const char *id, size_t il, enum rec_state *st, const uint8_t **body,
                       size_t *blen)
{
	uint8_t rk[LB_RKEY_MAX], kseq[8];
	MDB_val k, v;
	struct lb_entry e;
	int rc;

	*st = REC_ABSENT;
	if (tl > LB_TYPE_MAX || il > LB_ID_MAX)
		return 0;
	k = (MDB_val){lb_rkey(rk, type, tl, id, il), rk};
	if ((rc = mdb_get(txn, n->records, &k, &v)))
		return rc == MDB_NOTFOUND ? 0 : rc;
	if (v.mv_size != LB_REC_VAL_LEN)
		return -1;
	if (((uint8_t *)v.mv_data)[8] != LB_REC_LIVE) {
		*st = REC_DELETED;
		return 0;
	}
	memcpy(kseq, v.mv_data, 8);
	k = (MDB_val){8, kseq};
	if ((rc = mdb_get(txn, n->log, &k, &v)))
		return rc == MDB_NOTFOUND ? -1 : rc;
	if (lb_entry_decode(&e, v.mv_data, v.mv_size, NULL) || e.op != LB_OP_PUT)
		return -1;
	*st = REC_LIVE;
	if (body) {
		*body = e.body;
		*blen = e.body_len;
	}
	return 0;
}

static lb_err store_fail(struct lb_cons *c, int rc, const char *what, struct lb_diag *d)
{
	if (rc < 0)
		return lb_fail(d, LB_ECORRUPT, "%s: a stored record does not decode", what);
	if (c && c->mdbrc)
		*c->mdbrc = rc;
	return lb_mdb_fail_env(d, c ? c->n->env : NULL, rc, what);
}

/* ---- field rules ------------------------------------------------------------- */

lb_err lb_cons_nik_agrees(const char *nik, size_t nik_len, const char *date, size_t date_len,
                          const char *sex, size_t sex_len, struct lb_diag *d)
{
	char a[LB_DIAG_MAX / 2] = "", b[LB_DIAG_MAX / 2] = "";
	int dd, mm, yy;
	bool woman;

	if (nik_len != 16 || !all_digits(nik, 16))
		return LB_OK; /* the schema names a malformed NIK */
	dd = two(nik + 6);
	mm = two(nik + 8);
	yy = two(nik + 10);
	woman = dd > 40;
	if (woman)
		dd -= 40;
	if (sex_len == 1 && (sex[0] == 'L' || sex[0] == 'P') && (sex[0] == 'P') != woman) {
		if (woman)
			snprintf(a, sizeof a,
			         _("nik %.16s is a woman's (birth day %02d + 40) but jenis_kelamin is %c"),
			         nik, dd, sex[0]);
		else
			snprintf(a, sizeof a,
			         _("nik %.16s is a man's (birth day %02d, no 40 added) but jenis_kelamin "
			           "is %c"),
			         nik, dd, sex[0]);
	}
	if (date_len == 10 && date[4] == '-' && date[7] == '-' && all_digits(date, 4) &&
	    all_digits(date + 5, 2) && all_digits(date + 8, 2) &&
	    (two(date + 8) != dd || two(date + 5) != mm || two(date + 2) != yy))
		snprintf(b, sizeof b,
		         _("nik %.16s gives the birth date %02d-%02d-%02d (DD-MM-YY) but tanggal_lahir "
		           "is %.10s"),
		         nik, dd, mm, yy, date);
	if (a[0] && b[0])
		return lb_fail(d, LB_ESCHEMA, "%s; %s", a, b);
	if (a[0] || b[0])
		return lb_fail(d, LB_ESCHEMA, "%s", a[0] ? a : b);
	return LB_OK;
}

lb_err lb_cons_not_future(const char *field, const char *date, size_t date_len,
                          const char today[11], struct lb_diag *d)
{
	/* YYYY-MM-DD compares as text */
	if (date_len != 10 || memcmp(date, today, 10) <= 0)
		return LB_OK;
	return lb_fail(d, LB_ESCHEMA, "%s %.10s is in the future (today is %s)", field, date, today);
}

char *lb_cons_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(out, 11, "%Y-%m-%d", &tm))
		strcpy(out, "9999-12-31"); /* no clock: refuse nothing */
	return out;
}

const char *lb_cons_ref_target(const struct lb_type *t, const struct lb_field *f)
{
	if (f->kind == LB_K_REF)
		return f->ref;
	if (!strcmp(t->name, "keluarga") && !strcmp(f->name, "kepala_keluarga"))
		return "penduduk";
	return NULL;
}

/* ---- the index ---------------------------------------------------------------- */

static size_t idx_key(uint8_t *k, char tag, const char *a, size_t al, const char *b, size_t bl)
{
	k[0] = (uint8_t)tag;
	memcpy(k + 1, a, al);
	k[1 + al] = 0;
	memcpy(k + 2 + al, b, bl);
	return 2 + al + bl;
}

static lb_err idx_add(struct lb_cons *c, char tag, const char *a, size_t al, const char *b,
                      size_t bl, const void *val, size_t vl, struct lb_diag *d)
{
	uint8_t k[IDX_KEY_MAX];
	MDB_val key, v = {vl, (void *)val};
	int rc;

	if (al > LB_ID_MAX || bl > LB_ID_MAX)
		return LB_OK; /* cannot be a real reference: the schema refused it */
	key = (MDB_val){idx_key(k, tag, a, al, b, bl), k};
	rc = mdb_put(c->txn, c->idx, &key, &v, MDB_NODUPDATA);
	if (rc && rc != MDB_KEYEXIST)
		return store_fail(c, rc, "updating the consistency index", d);
	c->dirty = true;
	return LB_OK;
}

lb_err lb_cons_index_put(struct lb_cons *c, const char *type, size_t type_len, const char *id,
                         size_t id_len, const uint8_t *body, size_t body_len,
                         struct lb_diag *d)
{
	char tname[LB_TYPE_MAX + 1];
	uint8_t src[LB_TYPE_MAX + 1 + LB_ID_MAX];
	const struct lb_type *t;
	const char *s, *s2;
	size_t sl, sl2;
	lb_err e;

	if (type_len > LB_TYPE_MAX || id_len > LB_ID_MAX)
		return LB_OK;
	memcpy(tname, type, type_len);
	tname[type_len] = 0;
	if (!(t = lb_schema_type(c->schema, tname)))
		return LB_OK;
	memcpy(src, type, type_len);
	src[type_len] = 0;
	memcpy(src + type_len + 1, id, id_len);
	for (size_t i = 0; i < t->nfields; i++) {
		const char *target = lb_cons_ref_target(t, &t->fields[i]);
		if (target && body_str(body, body_len, t->fields[i].name, &s, &sl) &&
		    (e = idx_add(c, 'r', target, strlen(target), s, sl, src, type_len + 1 + id_len, d)))
			return e;
	}
	if (!strcmp(tname, "penerima") && body_str(body, body_len, "program", &s, &sl) &&
	    body_str(body, body_len, "nik", &s2, &sl2))
		return idx_add(c, 'u', s, sl, s2, sl2, id, id_len, d);
	return LB_OK;
}

/* Read the log from seq from on into the index. */
static lb_err catch_up(struct lb_cons *c, uint64_t from, struct lb_diag *d)
{
	MDB_cursor *cur;
	uint8_t kseq[8];
	MDB_val k = {8, kseq}, v;
	struct lb_entry en;
	lb_err e = LB_OK;
	int rc;

	if ((rc = mdb_cursor_open(c->txn, c->n->log, &cur)))
		return store_fail(c, rc, "reading the log", d);
	lb_be64_put(kseq, from);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (lb_entry_decode(&en, v.mv_data, v.mv_size, NULL)) {
			e = lb_fail(d, LB_ECORRUPT, "log entry %llu does not decode",
			            (unsigned long long)lb_be64_get(k.mv_data));
			break;
		}
		if (en.op == LB_OP_PUT &&
		    (e = lb_cons_index_put(c, en.type, en.type_len, en.id, en.id_len, en.body,
		                           en.body_len, d)))
			break;
	}
	mdb_cursor_close(cur);
	if (!e && rc && rc != MDB_NOTFOUND)
		e = store_fail(c, rc, "reading the log", d);
	c->dirty = true;
	return e;
}

lb_err lb_cons_begin(struct lb_cons *c, struct lb_node *n, MDB_txn *txn,
                     const struct lb_schema *schema, uint64_t seq,
                     const uint8_t hash[LB_HASH_BYTES], int *mdbrc, struct lb_diag *d)
{
	MDB_val v, k;
	uint8_t kseq[8], h[LB_HASH_BYTES];
	uint64_t mseq = 0;
	bool rebuild = true;
	int rc;

	*c = (struct lb_cons){.n = n, .txn = txn, .schema = schema, .mdbrc = mdbrc};
	lb_cons_today(c->today);
	if ((rc = mdb_dbi_open(txn, IDX_DB, MDB_CREATE | MDB_DUPSORT, &c->idx)))
		return store_fail(c, rc, "opening the consistency index", d);
	if ((rc = lb_meta_get(n, txn, IDX_META, &v)) == 0 && v.mv_size == IDX_MARK_LEN) {
		mseq = lb_be64_get(v.mv_data);
		if (mseq == seq)
			rebuild = memcmp((uint8_t *)v.mv_data + 8, hash, LB_HASH_BYTES) != 0;
		else if (mseq < seq) {
			memcpy(h, (uint8_t *)v.mv_data + 8, LB_HASH_BYTES);
			lb_be64_put(kseq, mseq);
			k = (MDB_val){8, kseq};
			if (mseq == 0) {
				rebuild = false;
			} else if (mdb_get(txn, n->log, &k, &v) == 0) {
				uint8_t eh[LB_HASH_BYTES];
				lb_hash(eh, v.mv_data, v.mv_size);
				rebuild = memcmp(eh, h, LB_HASH_BYTES) != 0;
			}
		}
		if (!rebuild && mseq == seq)
			return LB_OK;
	} else if (rc && rc != MDB_NOTFOUND) {
		return store_fail(c, rc, "reading meta", d);
	}
	if (rebuild) {
		if ((rc = mdb_drop(txn, c->idx, 0)))
			return store_fail(c, rc, "clearing the consistency index", d);
		mseq = 0;
	}
	return catch_up(c, mseq + 1, d);
}

lb_err lb_cons_mark(struct lb_cons *c, uint64_t seq, const uint8_t hash[LB_HASH_BYTES],
                    struct lb_diag *d)
{
	uint8_t m[IDX_MARK_LEN];
	int rc;

	lb_be64_put(m, seq);
	memcpy(m + 8, hash, LB_HASH_BYTES);
	if ((rc = lb_meta_put(c->n, c->txn, IDX_META, m, sizeof m)))
		return store_fail(c, rc, "updating the consistency index", d);
	return LB_OK;
}

/* ---- rules on a put ---------------------------------------------------------- */

static lb_err check_penduduk(struct lb_cons *c, const uint8_t *body, size_t len,
                             struct lb_diag *d)
{
	const char *nik = NULL, *tgl = NULL, *jk = NULL;
	size_t nl = 0, tl = 0, jl = 0;
	lb_err e;

	body_str(body, len, "nik", &nik, &nl);
	body_str(body, len, "tanggal_lahir", &tgl, &tl);
	body_str(body, len, "jenis_kelamin", &jk, &jl);
	if (nik && (tgl || jk) &&
	    (e = lb_cons_nik_agrees(nik, nl, tgl ? tgl : "", tl, jk ? jk : "", jl, d)))
		return e;
	if (tgl && (e = lb_cons_not_future("tanggal_lahir", tgl, tl, c->today, d)))
		return e;
	return LB_OK;
}

static lb_err check_keluarga(struct lb_cons *c, const uint8_t *body, size_t len,
                             struct lb_diag *d)
{
	const char *nik, *st = NULL;
	const uint8_t *pb;
	size_t nl, pl, sl = 0;
	enum rec_state rs;
	int rc;

	if (!body_str(body, len, "kepala_keluarga", &nik, &nl))
		return LB_OK;
	if ((rc = read_record(c->n, c->txn, "penduduk", 8, nik, nl, &rs, &pb, &pl)))
		return store_fail(c, rc, "reading records", d);
	if (rs == REC_ABSENT)
		return lb_fail(d, LB_ESCHEMA,
		               "kepala_keluarga %.*s is not a resident: there is no penduduk with "
		               "that nik (put the penduduk first)",
		               (int)nl, nik);
	if (rs == REC_DELETED)
		return lb_fail(d, LB_ESCHEMA,
		               "kepala_keluarga %.*s is not a live resident: penduduk %.*s was deleted",
		               (int)nl, nik, (int)nl, nik);
	if (!body_str(pb, pl, "status", &st, &sl) || sl != 5 || memcmp(st, "hidup", 5))
		return lb_fail(d, LB_ESCHEMA,
		               "kepala_keluarga %.*s is not a live resident: penduduk %.*s has status "
		               "%.*s, not hidup",
		               (int)nl, nik, (int)nl, nik, st ? (int)(sl > 32 ? 32 : sl) : 1,
		               st ? st : "?");
	return LB_OK;
}

static lb_err check_penerima(struct lb_cons *c, const char *id, size_t id_len,
                             const uint8_t *body, size_t len, struct lb_diag *d)
{
	const char *prog, *nik;
	size_t pl, nl;
	uint8_t k[IDX_KEY_MAX];
	MDB_cursor *cur;
	MDB_val key, v;
	lb_err e = LB_OK;
	int rc;

	if (!body_str(body, len, "program", &prog, &pl) || !body_str(body, len, "nik", &nik, &nl) ||
	    pl > LB_ID_MAX || nl > LB_ID_MAX)
		return LB_OK;
	if ((rc = mdb_cursor_open(c->txn, c->idx, &cur)))
		return store_fail(c, rc, "reading the consistency index", d);
	key = (MDB_val){idx_key(k, 'u', prog, pl, nik, nl), k};
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET); !rc;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT_DUP)) {
		const uint8_t *ob;
		size_t ol;
		enum rec_state rs;
		int r2;

		if (v.mv_size == id_len && !memcmp(v.mv_data, id, id_len))
			continue; /* this record itself */
		if ((r2 = read_record(c->n, c->txn, "penerima", 8, v.mv_data, v.mv_size, &rs, &ob,
		                      &ol))) {
			e = store_fail(c, r2, "reading records", d);
			break;
		}
		if (rs == REC_LIVE && body_is(ob, ol, "program", prog, pl) &&
		    body_is(ob, ol, "nik", nik, nl)) {
			e = lb_fail(d, LB_ESCHEMA,
			            "nik %.*s is already a beneficiary of programme %.*s (penerima %.*s): "
			            "one NIK once per programme; change that record instead",
			            (int)nl, nik, (int)pl, prog, (int)(v.mv_size > 64 ? 64 : v.mv_size),
			            (const char *)v.mv_data);
			break;
		}
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = store_fail(c, rc, "reading the consistency index", d);
	mdb_cursor_close(cur);
	return e;
}

lb_err lb_cons_check_put(struct lb_cons *c, const char *type, const char *id, size_t id_len,
                         const uint8_t *body, size_t body_len, struct lb_diag *d)
{
	if (!strcmp(type, "penduduk"))
		return check_penduduk(c, body, body_len, d);
	if (!strcmp(type, "keluarga"))
		return check_keluarga(c, body, body_len, d);
	if (!strcmp(type, "penerima"))
		return check_penerima(c, id, id_len, body, body_len, d);
	return LB_OK;
}

/* ---- rules on a del ---------------------------------------------------------- */

lb_err lb_cons_referrers(struct lb_cons *c, const char *type, const char *id, size_t id_len,
                         struct lb_cons_ref **out, size_t *nout, struct lb_diag *d)
{
	uint8_t k[IDX_KEY_MAX];
	MDB_cursor *cur;
	MDB_val key, v;
	struct lb_cons_ref *list = NULL;
	size_t n = 0, cap = 0, tl = strlen(type);
	lb_err e = LB_OK;
	int rc;

	*out = NULL;
	*nout = 0;
	if (tl > LB_TYPE_MAX || id_len > LB_ID_MAX)
		return LB_OK;
	if ((rc = mdb_cursor_open(c->txn, c->idx, &cur)))
		return store_fail(c, rc, "reading the consistency index", d);
	key = (MDB_val){idx_key(k, 'r', type, tl, id, id_len), k};
	for (rc = mdb_cursor_get(cur, &key, &v, MDB_SET); !rc;
	     rc = mdb_cursor_get(cur, &key, &v, MDB_NEXT_DUP)) {
		const char *src = v.mv_data, *sid = memchr(src, 0, v.mv_size);
		const struct lb_type *st;
		const uint8_t *ob;
		size_t ol, stl, sil;
		enum rec_state rs;
		char sname[LB_TYPE_MAX + 1];
		int r2;

		if (!sid || (stl = (size_t)(sid - src)) > LB_TYPE_MAX)
			continue;
		sid++;
		sil = v.mv_size - stl - 1;
		memcpy(sname, src, stl);
		sname[stl] = 0;
		if (!(st = lb_schema_type(c->schema, sname)))
			continue;
		if ((r2 = read_record(c->n, c->txn, sname, stl, sid, sil, &rs, &ob, &ol))) {
			e = store_fail(c, r2, "reading records", d);
			break;
		}
		if (rs != REC_LIVE)
			continue;
		for (size_t i = 0; i < st->nfields; i++) {
			const char *tt = lb_cons_ref_target(st, &st->fields[i]);
			if (!tt || strcmp(tt, type) || !body_is(ob, ol, st->fields[i].name, id, id_len))
				continue;
			if (n == cap) {
				struct lb_cons_ref *nl = realloc(list, (cap = cap ? 2 * cap : 8) * sizeof *nl);
				if (!nl) {
					e = lb_fail(d, LB_ENOMEM, "out of memory");
					break;
				}
				list = nl;
			}
			memcpy(list[n].type, sname, stl + 1);
			memcpy(list[n].id, sid, sil);
			list[n].id[sil] = 0;
			list[n].id_len = sil;
			list[n].field = st->fields[i].name;
			n++;
			break; /* one line per record */
		}
		if (e)
			break;
	}
	if (!e && rc && rc != MDB_NOTFOUND)
		e = store_fail(c, rc, "reading the consistency index", d);
	mdb_cursor_close(cur);
	if (e) {
		free(list);
		return e;
	}
	*out = list;
	*nout = n;
	return LB_OK;
}

lb_err lb_cons_refuse_del(const struct lb_cons_ref *refs, size_t n, struct lb_diag *d)
{
	char list[LB_DIAG_MAX];
	size_t m = 0, shown = 0;

	list[0] = 0;
	for (size_t i = 0; i < n && shown < REFUSE_LIST; i++) {
		int w = snprintf(list + m, sizeof list - m, "%s%s %.*s (%s)", i ? ", " : "",
		                 refs[i].type, (int)(refs[i].id_len > 40 ? 40 : refs[i].id_len),
		                 refs[i].id, refs[i].field);
		if (w < 0 || (size_t)w >= sizeof list - m - 80) { /* keep room for the rest */
			list[m] = 0;
			break;
		}
		m += (size_t)w;
		shown++;
	}
	if (shown < n)
		return lb_fail(d, LB_ESCHEMA,
		               "%zu live records refer to it: %s and %zu more; delete or change them "
		               "first, or delete them with it (rm --cascade)",
		               n, list, n - shown);
	return lb_fail(d, LB_ESCHEMA,
	               "%zu live record(s) refer to it: %s; delete or change them first, or "
	               "delete them with it (rm --cascade)",
	               n, list);
}

/* ---- before a write ------------------------------------------------------------ */

lb_err lb_node_check_put(struct lb_node *n, const char *type, const char *id, size_t id_len,
                         const uint8_t *body, size_t body_len, struct lb_diag *d)
{
	const struct lb_schema *schema = lb_schema_get(lb_schema_latest());
	struct lb_cons c;
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	struct lb_merkle m;
	MDB_txn *txn;
	MDB_val v;
	lb_err e;
	int rc;

	if (!schema)
		return lb_fail(d, LB_ESCHEMA, "the built-in schema failed to load");
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "starting a read");
	c = (struct lb_cons){.n = n, .txn = txn, .schema = schema};
	lb_cons_today(c.today);
	if ((e = lb_node_read_tip(n, txn, &seq, hash, &(uint64_t){0}, &m, d))) {
		mdb_txn_abort(txn);
		return e;
	}
	if (!strcmp(type, "penerima") &&
	    (mdb_dbi_open(txn, IDX_DB, MDB_DUPSORT, &c.idx) ||
	     lb_meta_get(n, txn, IDX_META, &v) || v.mv_size != IDX_MARK_LEN ||
	     lb_be64_get(v.mv_data) != seq || memcmp((uint8_t *)v.mv_data + 8, hash, LB_HASH_BYTES))) {
		mdb_txn_abort(txn); /* the index is behind the log: the write will tell */
		return LB_OK;
	}
	e = lb_cons_check_put(&c, type, id, id_len, body, body_len, d);
	mdb_txn_abort(txn);
	return e;
}

/* ---- verify: dangling references ------------------------------------------- */

lb_err lb_node_dangling(struct lb_node *n, lb_dangling_cb cb, void *ctx, uint64_t *count,
                        struct lb_diag *d)
{
	const struct lb_schema *schema = lb_schema_get(lb_schema_latest());
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t found = 0;
	char cat_hit[LB_TYPE_MAX + 1 + LB_ID_MAX + 1] = ""; /* type:id last found in a catalogue */
	lb_err e = LB_OK;
	int rc, stop = 0;

	if (count)
		*count = 0;
	if (!schema)
		return lb_fail(d, LB_ESCHEMA, "the built-in schema failed to load");
	if ((rc = lb_node_txn_begin(n, MDB_RDONLY, &txn)))
		return lb_mdb_fail(d, rc, "starting a read");
	if ((rc = mdb_cursor_open(txn, n->records, &cur))) {
		mdb_txn_abort(txn);
		return lb_mdb_fail(d, rc, "reading records");
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && !stop;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *key = k.mv_data, *id = memchr(key, 0, k.mv_size);
		char tname[LB_TYPE_MAX + 1], idz[LB_ID_MAX + 1];
		const struct lb_type *t;
		const uint8_t *body;
		size_t tl, il, bl;
		enum rec_state rs;
		bool any = false;
		int r2;

		if (!id || (tl = (size_t)(id - key)) > LB_TYPE_MAX || v.mv_size != LB_REC_VAL_LEN ||
		    ((uint8_t *)v.mv_data)[8] != LB_REC_LIVE)
			continue;
		id++;
		if ((il = k.mv_size - tl - 1) > LB_ID_MAX)
			continue;
		memcpy(tname, key, tl);
		tname[tl] = 0;
		if (!(t = lb_schema_type(schema, tname)))
			continue;
		for (size_t i = 0; i < t->nfields && !any; i++)
			any = lb_cons_ref_target(t, &t->fields[i]) != NULL;
		if (!any)
			continue; /* most records (penduduk) refer to nothing: no body read */
		memcpy(idz, id, il);
		idz[il] = 0;
		if ((r2 = read_record(n, txn, tname, tl, idz, il, &rs, &body, &bl)) || rs != REC_LIVE) {
			e = r2 ? store_fail(NULL, r2, "reading records", d)
			       : lb_fail(d, LB_ECORRUPT, "%s %s: records and log disagree", tname, idz);
			break;
		}
		for (size_t i = 0; i < t->nfields && !stop; i++) {
			const char *tt = lb_cons_ref_target(t, &t->fields[i]), *s;
			char target[LB_ID_MAX + 1], region[LB_CATALOGUE_REGION_MAX + 1];
			enum rec_state ts;
			size_t sl;

			if (!tt || !body_str(body, bl, t->fields[i].name, &s, &sl) || sl > LB_ID_MAX)
				continue;
			memcpy(target, s, sl);
			target[sl] = 0;
			if ((r2 = read_record(n, txn, tt, strlen(tt), target, sl, &ts, NULL, NULL))) {
				e = store_fail(NULL, r2, "reading records", d);
				stop = 1;
				break;
			}
			if (ts == REC_LIVE)
				continue;
			if (t->fields[i].kind == LB_K_REF) {
				/* a catalogue's programme (a batch of beneficiaries names
				 * one again and again: the last hit is remembered) */
				char key[sizeof cat_hit];
				snprintf(key, sizeof key, "%s:%s", tt, target);
				if (!strcmp(cat_hit, key) ||
				    lb_catalogue_find(n->dir, tt, target, sl, region, NULL) == LB_OK) {
					memcpy(cat_hit, key, sizeof key);
					continue;
				}
			}
			found++;
			if (cb) {
				struct lb_dangling x = {.type = tname, .id = idz, .id_len = il,
				                        .field = t->fields[i].name, .target_type = tt,
				                        .target_id = target, .deleted = ts == REC_DELETED};
				stop = cb(ctx, &x);
			}
		}
	}
	if (!e && !stop && rc && rc != MDB_NOTFOUND)
		e = lb_mdb_fail(d, rc, "reading records");
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (count)
		*count = found;
	return e;
}
