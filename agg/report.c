/*
 * report.c — reports as data, one engine for every format (see report.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <xlsxwriter.h>

#include "../node/csvio.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/mp.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "agg.h"
#include "agg_int.h"
#include "store_int.h" /* agg_dir_get: names inside the report's transaction */
#include "catalogue.h"
#include "figures.h"
#include "monthly.h"

/* ---- the model: columns, rows, sheets ----------------------------------- */

enum ckind {
	K_STR, /* text; a dimension when among the report's first ndims columns */
	K_INT, /* a count or rupiah: summed in the roll-ups */
	K_PCT, /* 100 * column num / column den, recomputed in the roll-ups */
};

struct col {
	const char *key;  /* JSON member and CSV/XLSX column identity */
	const char *head; /* Indonesian header */
	enum ckind kind;
	int num, den;
};

struct cell {
	char *s;
	int64_t i;
};

struct row {
	char code[LB_VILLAGE_LEN + 1]; /* village, kecamatan or region code */
	char *name;                    /* its name in the directory, or NULL */
	int ord;                       /* order inside one code (dimension values) */
	size_t seq;                    /* insertion order: keeps sorts stable */
	struct cell *c;
};

struct sheet {
	const struct col *cols;
	size_t ncols;
	struct row *r;
	size_t n, cap;
};

/* One village of the region, with its keys' state. */
struct village {
	char code[LB_VILLAGE_LEN + 1];
	unsigned keys, revoked;
	uint64_t last_seen_ms, entries, forks, newest_ts;
	uint8_t (*origins)[LB_PK_BYTES];
	uint64_t *seqs;
};

struct ctx {
	struct lb_agg *a;
	struct lb_agg_read rd;
	const struct lb_report_opts *o;
	struct sheet extra;
	struct village *v;
	size_t nv;
	bool oom;
	struct catprog *cat; /* bantuan: the catalogues' programmes, by kode */
	size_t ncat;
};

typedef lb_err (*rows_fn)(struct ctx *c, const struct village *v, struct sheet *s,
                          struct lb_diag *d);
typedef lb_err (*prepare_fn)(struct ctx *c, struct sheet *s, struct lb_diag *d);

struct report {
	const char *name, *title;
	const struct col *cols;
	size_t ncols, ndims;
	rows_fn rows;       /* a village's rows, or NULL when prepare gives them all */
	prepare_fn prepare; /* optional */
	const char *extra_key, *extra_title; /* an extra sheet, not rolled up */
	const struct col *ecols;
	size_t necols;
};

static struct cell *add_row(struct ctx *c, struct sheet *s, const char *code, int ord)
{
	struct row *r;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct row *nr = realloc(s->r, cap * sizeof *nr);
		if (!nr) {
			c->oom = true;
			return NULL;
		}
		s->r = nr;
		s->cap = cap;
	}
	r = &s->r[s->n];
	if (!(r->c = calloc(s->ncols ? s->ncols : 1, sizeof *r->c))) {
		c->oom = true;
		return NULL;
	}
	snprintf(r->code, sizeof r->code, "%s", code);
	{
		char name[LB_AGG_NAME_MAX + 1];
		r->name = agg_dir_get(c->a, c->rd.txn, code, name, NULL) && *name ? strdup(name) : NULL;
	}
	r->ord = ord;
	r->seq = s->n++;
	return r->c;
}

static void set_str(struct ctx *c, struct cell *cell, const char *s, size_t len)
{
	if (!(cell->s = malloc(len + 1))) {
		c->oom = true;
		return;
	}
	memcpy(cell->s, s, len);
	cell->s[len] = '\0';
}

static void sheet_free(struct sheet *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->ncols; j++)
			free(s->r[i].c[j].s);
		free(s->r[i].c);
		free(s->r[i].name);
	}
	free(s->r);
	memset(s, 0, sizeof *s);
}

/* A row's name from the village directory (directory.c); where the
 * office gave none and no village sent one, the code stands in. */
static const char *row_label(const struct row *r)
{
	return r->name ? r->name : r->code;
}

/* ---- reading records of the view ---------------------------------------- */

/* The body of the live record village/type/id; false when there is none. */
static bool view_body(struct ctx *c, const char *village, const char *type, const char *id,
                      size_t id_len, struct lb_entry *e)
{
	uint8_t k[LB_VILLAGE_LEN + 2 + LB_TYPE_MAX + LB_ID_MAX];
	size_t tl = strlen(type), n = 0;
	MDB_val key, v, ent;

	if (id_len > LB_ID_MAX || tl > LB_TYPE_MAX)
		return false;
	memcpy(k, village, LB_VILLAGE_LEN);
	n = LB_VILLAGE_LEN;
	k[n++] = 0;
	memcpy(k + n, type, tl);
	n += tl;
	k[n++] = 0;
	memcpy(k + n, id, id_len);
	key = (MDB_val){n + id_len, k};
	if (mdb_get(c->rd.txn, c->rd.view, &key, &v) ||
	    mdb_get(c->rd.txn, c->rd.replica, &v, &ent))
		return false;
	return !lb_entry_decode(e, ent.mv_data, ent.mv_size, NULL) && e->op == LB_OP_PUT && e->body;
}

static void field_str(struct ctx *c, struct cell *cell, const struct lb_entry *e, const char *f)
{
	struct lb_mp_obj o;
	if (e && lb_mp_map_get(e->body, e->body_len, f, &o) && o.kind == LB_MP_STR)
		set_str(c, cell, (const char *)o.s, o.len);
}

static int64_t field_int(const struct lb_entry *e, const char *f)
{
	struct lb_mp_obj o;
	if (e && lb_mp_map_get(e->body, e->body_len, f, &o) && o.kind == LB_MP_UINT)
		return (int64_t)o.v.u;
	return 0;
}

static lb_err store_fail(struct lb_diag *d, int rc)
{
	if (rc == ENOMEM)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	return lb_fail(d, LB_ESTORE, "reading the figures: %s", mdb_strerror(rc));
}

/* ---- ringkasan ---------------------------------------------------------- */

static const struct col ringkasan_cols[] = {
	{"penduduk_l", "Penduduk L", K_INT, 0, 0},
	{"penduduk_p", "Penduduk P", K_INT, 0, 0},
	{"penduduk", "Penduduk", K_INT, 0, 0},
	{"keluarga", "Keluarga", K_INT, 0, 0},
	{"program", "Program", K_INT, 0, 0},
	{"penerima", "Penerima", K_INT, 0, 0},
	{"kegiatan", "Kegiatan", K_INT, 0, 0},
	{"laporan", "Laporan", K_INT, 0, 0},
	{"aspirasi_terbuka", "Aspirasi terbuka", K_INT, 0, 0},
	{"aspirasi_selesai", "Aspirasi selesai", K_INT, 0, 0},
};

static lb_err ringkasan_rows(struct ctx *c, const struct village *v, struct sheet *s,
                             struct lb_diag *d)
{
	uint8_t k[LB_FIG_KEY_MAX];
	int64_t f[LB_FIG_NSLOT];
	struct cell *r;
	int rc = lb_fig_get(c->rd.txn, c->rd.figures, k, lb_fig_key(k, 'C', v->code, NULL, 0), f,
	                    LB_FIG_NSLOT, NULL);

	if (rc && rc != MDB_NOTFOUND)
		return store_fail(d, rc);
	if (!(r = add_row(c, s, v->code, 0)))
		return LB_OK;
	r[0].i = f[LB_FS_STATUS + 0];
	r[1].i = f[LB_FS_STATUS + 1];
	r[2].i = r[0].i + r[1].i;
	r[3].i = f[LB_FS_TYPE + 1];
	r[4].i = f[LB_FS_TYPE + 2];
	r[5].i = f[LB_FS_TYPE + 3];
	r[6].i = f[LB_FS_TYPE + 4];
	r[7].i = f[LB_FS_TYPE + 5];
	r[8].i = f[LB_FS_ASP + 0] + f[LB_FS_ASP + 1] + f[LB_FS_ASP + 2] + f[LB_FS_ASP + 5];
	r[9].i = f[LB_FS_ASP + 3] + f[LB_FS_ASP + 4];
	return LB_OK;
}

/* ---- penduduk ----------------------------------------------------------- */

static const struct col penduduk_cols[] = {
	{"kategori", "Kategori", K_STR, 0, 0},
	{"nilai", "Nilai", K_STR, 0, 0},
	{"l", "L", K_INT, 0, 0},
	{"p", "P", K_INT, 0, 0},
	{"jumlah", "Jumlah", K_INT, 0, 0},
};

static void pd_row(struct ctx *c, struct sheet *s, const char *code, int ord, const char *cat,
                   const char *val, size_t vlen, int64_t l, int64_t p)
{
	struct cell *r = add_row(c, s, code, ord);
	if (!r)
		return;
	set_str(c, &r[0], cat, strlen(cat));
	set_str(c, &r[1], val, vlen);
	r[2].i = l;
	r[3].i = p;
	r[4].i = l + p;
}

static void pd_block(struct ctx *c, struct sheet *s, const char *code, int cat_ord,
                     const char *cat, const int64_t *f, int base, const char *const *names,
                     size_t n, bool none)
{
	for (size_t i = 0; i < n + none; i++) {
		const char *nm = i < n ? names[i] : "tidak_diisi";
		pd_row(c, s, code, cat_ord * 1000 + (int)i, cat, nm, strlen(nm), f[base + 2 * i],
		       f[base + 2 * i + 1]);
	}
}

static lb_err penduduk_rows(struct ctx *c, const struct village *v, struct sheet *s,
                            struct lb_diag *d)
{
	static const char *const dis[] = {"ya", "tidak"};
	uint8_t k[LB_FIG_KEY_MAX];
	int64_t f[LB_FIG_NSLOT], married[2];
	struct lb_fig_ages ages;
	size_t klen = lb_fig_key(k, 'C', v->code, NULL, 0);
	MDB_cursor *cur;
	MDB_val kv, val;
	int rc = lb_fig_get(c->rd.txn, c->rd.figures, k, klen, f, LB_FIG_NSLOT, NULL);

	if (rc && rc != MDB_NOTFOUND)
		return store_fail(d, rc);
	pd_row(c, s, v->code, 0, "jenis_kelamin", "L", 1, f[LB_FS_STATUS], 0);
	pd_row(c, s, v->code, 1, "jenis_kelamin", "P", 1, 0, f[LB_FS_STATUS + 1]);
	for (int sx = 0; sx < 2; sx++)
		married[sx] = f[LB_FS_KAWIN + 2 * 1 + sx] + f[LB_FS_KAWIN + 2 * 2 + sx] +
		              f[LB_FS_KAWIN + 2 * 3 + sx];
	if ((rc = lb_fig_ages(c->rd.txn, c->rd.figures, v->code, c->o->per_y, c->o->per_m,
	                      c->o->per_d, married, &ages)))
		return store_fail(d, rc);
	for (int b = 0; b < LB_FIG_AGE_BANDS; b++) {
		char nm[16];
		if (b == LB_FIG_AGE_BANDS - 1)
			snprintf(nm, sizeof nm, "%d+", 5 * b);
		else
			snprintf(nm, sizeof nm, "%d-%d", 5 * b, 5 * b + 4);
		pd_row(c, s, v->code, 1000 + b, "umur", nm, strlen(nm), ages.band[b][0],
		       ages.band[b][1]);
	}
	pd_block(c, s, v->code, 2, "agama", f, LB_FS_AGAMA, lb_fig_agama, LB_FIG_AGAMA_N - 1, true);
	pd_block(c, s, v->code, 3, "pendidikan", f, LB_FS_PENDIDIKAN, lb_fig_pendidikan,
	         LB_FIG_PENDIDIKAN_N - 1, true);
	pd_block(c, s, v->code, 4, "status_perkawinan", f, LB_FS_KAWIN, lb_fig_kawin,
	         LB_FIG_KAWIN_N - 1, true);
	/* occupations: one key each, in byte order */
	klen = lb_fig_key(k, 'O', v->code, NULL, 0);
	if ((rc = mdb_cursor_open(c->rd.txn, c->rd.figures, &cur)))
		return store_fail(d, rc);
	kv = (MDB_val){klen, k};
	for (rc = mdb_cursor_get(cur, &kv, &val, MDB_SET_RANGE);
	     rc == 0 && kv.mv_size >= klen && !memcmp(kv.mv_data, k, klen);
	     rc = mdb_cursor_get(cur, &kv, &val, MDB_NEXT)) {
		int64_t lp[2] = {0, 0};
		for (size_t i = 0; i < 2 && 8 * (i + 1) <= val.mv_size; i++) {
			const uint8_t *q = (const uint8_t *)val.mv_data + 8 * i;
			uint64_t u = 0;
			for (int j = 7; j >= 0; j--)
				u = (u << 8) | q[j];
			lp[i] = (int64_t)u;
		}
		if (kv.mv_size == klen)
			pd_row(c, s, v->code, 5999, "pekerjaan", "tidak_diisi", 11, lp[0], lp[1]);
		else
			pd_row(c, s, v->code, 5000, "pekerjaan", (const char *)kv.mv_data + klen,
			       kv.mv_size - klen, lp[0], lp[1]);
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		return store_fail(d, rc);
	pd_block(c, s, v->code, 6, "disabilitas", f, LB_FS_DIS, dis, 2, true);
	pd_block(c, s, v->code, 7, "status", f, LB_FS_STATUS, lb_fig_status, LB_FIG_STATUS_N, false);
	pd_row(c, s, v->code, 8000, "wajib_ktp", "wajib_ktp", 9, ages.ktp[0], ages.ktp[1]);
	return LB_OK;
}

/* ---- bantuan ------------------------------------------------------------ */

static const struct col bantuan_cols[] = {
	{"program", "Kode program", K_STR, 0, 0},
	{"nama_program", "Nama program", K_STR, 0, 0},
	{"tahun", "Tahun", K_STR, 0, 0},
	{"anggaran", "Anggaran (Rp)", K_INT, 0, 0},
	{"target", "Target penerima", K_INT, 0, 0},
	{"penerima", "Penerima", K_INT, 0, 0},
	{"disalurkan", "Disalurkan", K_INT, 0, 0},
	{"nik", "NIK", K_INT, 0, 0},
	{"keluarga", "Keluarga", K_INT, 0, 0},
	{"nilai", "Nilai (Rp)", K_INT, 0, 0},
	{"nik_ganda", "NIK ganda", K_INT, 0, 0},
};

static const struct col tanda_cols[] = {
	{"jenis", "Jenis", K_STR, 0, 0},
	{"program", "Kode program", K_STR, 0, 0},
	{"nik", "NIK", K_STR, 0, 0},
	{"jumlah", "Jumlah", K_INT, 0, 0},
};

/* A programme of a catalogue (agg/catalogue.h): its rows are grouped
 * apart (ord 1 + its index) so the roll-ups add it up across villages,
 * and its totals carry its code and name. */
struct catprog {
	char kode[LB_ID_MAX + 1];
	char *nama;
	int64_t tahun, anggaran, target;
};

static int64_t body_int(const uint8_t *b, size_t n, const char *f)
{
	struct lb_mp_obj o;
	return lb_mp_map_get(b, n, f, &o) && o.kind == LB_MP_UINT ? (int64_t)o.v.u : 0;
}

static int catprog_add(void *ctx, const char *region, const char *id, size_t id_len,
                       const uint8_t *body, size_t len)
{
	struct ctx *c = ctx;
	struct catprog *p;
	struct lb_mp_obj o;
	(void)region;
	if (id_len > LB_ID_MAX)
		return 0;
	for (size_t i = 0; i < c->ncat; i++) /* the first catalogue naming it wins */
		if (strlen(c->cat[i].kode) == id_len && !memcmp(c->cat[i].kode, id, id_len))
			return 0;
	if (!(p = realloc(c->cat, (c->ncat + 1) * sizeof *p))) {
		c->oom = true;
		return 1;
	}
	c->cat = p;
	p = &c->cat[c->ncat++];
	memset(p, 0, sizeof *p);
	memcpy(p->kode, id, id_len);
	if (lb_mp_map_get(body, len, "nama", &o) && o.kind == LB_MP_STR &&
	    (p->nama = malloc(o.len + 1))) {
		memcpy(p->nama, o.s, o.len);
		p->nama[o.len] = '\0';
	}
	p->tahun = body_int(body, len, "tahun");
	p->anggaran = body_int(body, len, "anggaran");
	p->target = body_int(body, len, "target_penerima");
	return 0;
}

static int catprog_cmp(const void *a, const void *b)
{
	return strcmp(((const struct catprog *)a)->kode, ((const struct catprog *)b)->kode);
}

static lb_err bantuan_prepare(struct ctx *c, struct sheet *s, struct lb_diag *d)
{
	lb_err e;
	(void)s;
	if ((e = lb_agg_catalogue_scan(c->a, "program", catprog_add, c, d)))
		return e;
	if (c->ncat > 1)
		qsort(c->cat, c->ncat, sizeof *c->cat, catprog_cmp);
	return LB_OK;
}

static const struct catprog *catprog_find(const struct ctx *c, const char *kode)
{
	struct catprog key;
	snprintf(key.kode, sizeof key.kode, "%s", kode);
	return c->ncat ? bsearch(&key, c->cat, c->ncat, sizeof *c->cat, catprog_cmp) : NULL;
}

static void catprog_fill(struct ctx *c, struct cell *r, const struct catprog *p)
{
	char y[24];
	if (p->nama)
		set_str(c, &r[1], p->nama, strlen(p->nama));
	if (p->tahun) {
		snprintf(y, sizeof y, "%lld", (long long)p->tahun);
		set_str(c, &r[2], y, strlen(y));
	}
	r[3].i = p->anggaran;
	r[4].i = p->target;
}

/* The roll-up rows of catalogue programmes: their code and name, and the
 * programme's own budget and target (not the sum of the villages' rows). */
static void bantuan_totals(struct ctx *c, struct sheet *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct catprog *p;
		struct cell *r = s->r[i].c;
		if (s->r[i].ord < 1 || (size_t)s->r[i].ord > c->ncat)
			continue;
		p = &c->cat[s->r[i].ord - 1];
		set_str(c, &r[0], p->kode, strlen(p->kode));
		catprog_fill(c, r, p);
	}
}

/* Programme codes of a village: its program records and any code its
 * penerima name, merged in byte order. */
struct kode {
	char s[LB_ID_MAX + 1];
};

static int kode_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kode *)a)->s, ((const struct kode *)b)->s);
}

static lb_err scan_prefix(struct ctx *c, MDB_dbi dbi, const uint8_t *pre, size_t plen,
                          void (*each)(struct ctx *, void *, const MDB_val *, const MDB_val *),
                          void *arg, struct lb_diag *d)
{
	MDB_cursor *cur;
	MDB_val k = {plen, (void *)pre}, v;
	int rc = mdb_cursor_open(c->rd.txn, dbi, &cur);
	if (rc)
		return store_fail(d, rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size >= plen && !memcmp(k.mv_data, pre, plen);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		each(c, arg, &k, &v);
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND ? store_fail(d, rc) : LB_OK;
}

struct kodes {
	struct kode *k;
	size_t n, cap;
	size_t plen;
};

static void kode_add(struct ctx *c, void *arg, const MDB_val *k, const MDB_val *v)
{
	struct kodes *ks = arg;
	size_t len = k->mv_size - ks->plen;
	(void)v;
	if (len > LB_ID_MAX)
		return;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? 2 * ks->cap : 16;
		struct kode *nk = realloc(ks->k, cap * sizeof *nk);
		if (!nk) {
			c->oom = true;
			return;
		}
		ks->k = nk;
		ks->cap = cap;
	}
	memcpy(ks->k[ks->n].s, (const char *)k->mv_data + ks->plen, len);
	ks->k[ks->n++].s[len] = '\0';
}

struct tanda_arg {
	struct sheet *s;
	const char *village;
	size_t plen;
	bool multi;
};

static void tanda_add(struct ctx *c, void *arg, const MDB_val *k, const MDB_val *v)
{
	struct tanda_arg *t = arg;
	const char *rest = (const char *)k->mv_data + t->plen;
	size_t len = k->mv_size - t->plen;
	uint8_t key[LB_FIG_KEY_MAX];
	int64_t n = 0;
	struct cell *r;
	(void)v;
	if (t->multi ? len != 16 : len < 17 || len > LB_ID_MAX + 17)
		return;
	/* the count behind the flag: 'n' (programme, NIK) or 'r' (NIK) */
	lb_fig_get(c->rd.txn, c->rd.figures, key,
	           lb_fig_key(key, t->multi ? 'r' : 'n', t->village, rest, len), &n, 1, NULL);
	if (!(r = add_row(c, &c->extra, t->village, t->multi)))
		return;
	if (t->multi) {
		set_str(c, &r[0], "beberapa_program", 16);
		set_str(c, &r[2], rest, len);
	} else {
		set_str(c, &r[0], "ganda_dalam_program", 19);
		set_str(c, &r[1], rest, len - 17);
		set_str(c, &r[2], rest + len - 16, 16);
	}
	r[3].i = n;
}

static lb_err bantuan_rows(struct ctx *c, const struct village *v, struct sheet *s,
                           struct lb_diag *d)
{
	uint8_t pre[LB_FIG_KEY_MAX];
	struct kodes ks = {0};
	struct tanda_arg ta = {&c->extra, v->code, 0, false};
	lb_err e;

	/* view keys village NUL program NUL kode */
	memcpy(pre, v->code, LB_VILLAGE_LEN);
	memcpy(pre + LB_VILLAGE_LEN, "\0program\0", 9);
	ks.plen = LB_VILLAGE_LEN + 9;
	if ((e = scan_prefix(c, c->rd.view, pre, ks.plen, kode_add, &ks, d)))
		goto out;
	ks.plen = lb_fig_key(pre, 'P', v->code, NULL, 0);
	if ((e = scan_prefix(c, c->rd.figures, pre, ks.plen, kode_add, &ks, d)))
		goto out;
	if (ks.n)
		qsort(ks.k, ks.n, sizeof *ks.k, kode_cmp);
	for (size_t i = 0; i < ks.n; i++) {
		struct lb_entry en;
		bool has;
		int64_t p[LB_FIG_NPSLOT];
		struct cell *r;
		size_t kl = strlen(ks.k[i].s);
		if (i && !strcmp(ks.k[i].s, ks.k[i - 1].s))
			continue;
		const struct catprog *cp = catprog_find(c, ks.k[i].s);
		has = view_body(c, v->code, "program", ks.k[i].s, kl, &en);
		lb_fig_get(c->rd.txn, c->rd.figures, pre,
		           lb_fig_key(pre, 'P', v->code, ks.k[i].s, kl), p, LB_FIG_NPSLOT, NULL);
		if (!(r = add_row(c, s, v->code, cp ? (int)(cp - c->cat) + 1 : 0)))
			break;
		set_str(c, &r[0], ks.k[i].s, kl);
		if (!has && cp) { /* named by the catalogue */
			catprog_fill(c, r, cp);
		} else {
			field_str(c, &r[1], has ? &en : NULL, "nama");
			if (has && field_int(&en, "tahun")) {
				char y[24];
				snprintf(y, sizeof y, "%lld", (long long)field_int(&en, "tahun"));
				set_str(c, &r[2], y, strlen(y));
			}
			r[3].i = has ? field_int(&en, "anggaran") : 0;
			r[4].i = has ? field_int(&en, "target_penerima") : 0;
		}
		r[5].i = p[LB_FP_RECORDS];
		r[6].i = p[LB_FP_DISALUR];
		r[7].i = p[LB_FP_NIKS];
		r[8].i = p[LB_FP_KK];
		r[9].i = p[LB_FP_NILAI];
		r[10].i = p[LB_FP_DUP];
	}
	ta.plen = lb_fig_key(pre, 'X', v->code, NULL, 0);
	if ((e = scan_prefix(c, c->rd.figures, pre, ta.plen, tanda_add, &ta, d)))
		goto out;
	ta.plen = lb_fig_key(pre, 'M', v->code, NULL, 0);
	ta.multi = true;
	e = scan_prefix(c, c->rd.figures, pre, ta.plen, tanda_add, &ta, d);
out:
	free(ks.k);
	return e;
}

/* ---- nik-ganda ---------------------------------------------------------- */

static const struct col nik_ganda_cols[] = {
	{"nik", "NIK", K_STR, 0, 0},
	{"nama", "Nama", K_STR, 0, 0},
	{"desa_lain", "Juga hidup di desa", K_STR, 0, 0},
	{"penduduk_ganda", "Penduduk ganda", K_INT, 0, 0},
};

static bool in_scope(const struct ctx *c, const char *village);

static void ganda_add(struct ctx *c, void *arg, const MDB_val *k, const MDB_val *v)
{
	struct sheet *s = arg;
	const char *nik = (const char *)k->mv_data + 1;
	uint8_t key[LB_FIG_KEY_MAX];
	int64_t all[256], vil[64], suffix;
	size_t n = 0, nall = 0;
	(void)v;
	if (k->mv_size != 17)
		return;
	/* the NIK's villages, from its 'G' bucket */
	suffix = lb_fig_nik_suffix(nik);
	lb_fig_get(c->rd.txn, c->rd.figures, key, lb_fig_key(key, 'G', NULL, nik, 10), all, 256,
	           &nall);
	for (size_t i = 0; i < nall && i < 256; i++)
		if (all[i] / LB_FIG_VILLAGE_MOD == suffix && n < 64)
			vil[n++] = all[i] % LB_FIG_VILLAGE_MOD;
	for (size_t i = 0; i < n; i++) {
		char code[LB_VILLAGE_LEN + 1], others[64 * 15] = "";
		struct lb_entry en;
		struct cell *r;
		size_t ol = 0;
		lb_fig_village_str(vil[i], code);
		if (!in_scope(c, code))
			continue;
		for (size_t j = 0; j < n; j++) {
			char oc[LB_VILLAGE_LEN + 1];
			if (j == i)
				continue;
			lb_fig_village_str(vil[j], oc);
			ol += (size_t)snprintf(others + ol, sizeof others - ol, "%s%s", ol ? ", " : "",
			                       oc);
		}
		if (!(r = add_row(c, s, code, 0)))
			return;
		set_str(c, &r[0], nik, 16);
		field_str(c, &r[1], view_body(c, code, "penduduk", nik, 16, &en) ? &en : NULL, "nama");
		set_str(c, &r[2], others, ol);
		r[3].i = 1;
	}
}

static lb_err nik_ganda_all(struct ctx *c, struct sheet *s, struct lb_diag *d)
{
	return scan_prefix(c, c->rd.figures, (const uint8_t *)"H", 1, ganda_add, s, d);
}

/* ---- kelengkapan -------------------------------------------------------- */

static const struct col kelengkapan_cols[] = {
	{"status", "Status", K_STR, 0, 0},
	{"terakhir_terlihat", "Terakhir terlihat", K_STR, 0, 0},
	{"waktu_terakhir_terlihat", "Waktu terakhir terlihat", K_STR, 0, 0},
	{"entri_terbaru", "Entri terbaru", K_STR, 0, 0},
	{"kunci", "Kunci", K_INT, 0, 0},
	{"entri", "Entri", K_INT, 0, 0},
	{"cabang", "Cabang (fork)", K_INT, 0, 0},
	{"dicabut", "Kunci dicabut", K_INT, 0, 0},
	{"diharapkan", "Desa diharapkan", K_INT, 0, 0},
	{"melapor", "Desa melapor", K_INT, 0, 0},
	{"terlambat", "Terlambat", K_INT, 0, 0},
	{"belum_pernah", "Belum pernah", K_INT, 0, 0},
	{"tingkat_pelaporan", "Tingkat pelaporan (%)", K_PCT, 9, 8},
};

static void ago(char *out, size_t cap, uint64_t now, uint64_t then)
{
	uint64_t s = now > then ? (now - then) / 1000 : 0;
	if (s < 60)
		snprintf(out, cap, "baru saja");
	else if (s < 3600)
		snprintf(out, cap, "%llu menit lalu", (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(out, cap, "%llu jam lalu", (unsigned long long)(s / 3600));
	else
		snprintf(out, cap, "%llu hari lalu", (unsigned long long)(s / 86400));
}

static lb_err kelengkapan_rows(struct ctx *c, const struct village *v, struct sheet *s,
                               struct lb_diag *d)
{
	struct cell *r = add_row(c, s, v->code, 0);
	uint64_t late = (uint64_t)c->o->late_days * 86400000u, newest = 0;
	char buf[LB_HLC_STRLEN];
	bool all_revoked = v->revoked == v->keys;
	const char *st;
	(void)d;
	if (!r)
		return LB_OK;
	for (unsigned i = 0; i < v->keys; i++) {
		uint8_t key[LB_PK_BYTES + 8];
		MDB_val k = {sizeof key, key}, val;
		struct lb_entry en;
		if (!v->seqs[i])
			continue;
		memcpy(key, v->origins[i], LB_PK_BYTES);
		for (int j = 0; j < 8; j++)
			key[LB_PK_BYTES + j] = (uint8_t)(v->seqs[i] >> (56 - 8 * j));
		if (!mdb_get(c->rd.txn, c->rd.replica, &k, &val) &&
		    !lb_entry_decode(&en, val.mv_data, val.mv_size, NULL) && en.ts > newest)
			newest = en.ts;
	}
	if (all_revoked)
		st = "dicabut";
	else if (!v->last_seen_ms)
		st = "belum_pernah";
	else if (c->o->now_ms > v->last_seen_ms && c->o->now_ms - v->last_seen_ms > late)
		st = "terlambat";
	else
		st = "aktif";
	set_str(c, &r[0], st, strlen(st));
	if (v->last_seen_ms) {
		ago(buf, sizeof buf, c->o->now_ms, v->last_seen_ms);
		set_str(c, &r[1], buf, strlen(buf));
		lb_hlc_format(v->last_seen_ms << LB_HLC_COUNTER_BITS, buf);
		set_str(c, &r[2], buf, strlen(buf));
	} else
		set_str(c, &r[1], "belum pernah", 12);
	if (newest) {
		lb_hlc_format(newest & ~(uint64_t)0xffff, buf);
		set_str(c, &r[3], buf, strlen(buf));
	}
	r[4].i = v->keys;
	r[5].i = (int64_t)v->entries;
	r[6].i = (int64_t)v->forks;
	r[7].i = v->revoked;
	r[8].i = !all_revoked;
	r[9].i = !strcmp(st, "aktif");
	r[10].i = !strcmp(st, "terlambat");
	r[11].i = !strcmp(st, "belum_pernah");
	return LB_OK;
}

/* ---- perkembangan (monthly.c: from the change history) ------------------- */

static const struct col perkembangan_cols[] = {
	{"awal_l", "Awal L", K_INT, 0, 0},       {"awal_p", "Awal P", K_INT, 0, 0},
	{"awal", "Awal", K_INT, 0, 0},           {"lahir_l", "Lahir L", K_INT, 0, 0},
	{"lahir_p", "Lahir P", K_INT, 0, 0},     {"lahir", "Lahir", K_INT, 0, 0},
	{"mati_l", "Mati L", K_INT, 0, 0},       {"mati_p", "Mati P", K_INT, 0, 0},
	{"mati", "Mati", K_INT, 0, 0},           {"datang_l", "Datang L", K_INT, 0, 0},
	{"datang_p", "Datang P", K_INT, 0, 0},   {"datang", "Datang", K_INT, 0, 0},
	{"pindah_l", "Pindah L", K_INT, 0, 0},   {"pindah_p", "Pindah P", K_INT, 0, 0},
	{"pindah", "Pindah", K_INT, 0, 0},       {"akhir_l", "Akhir L", K_INT, 0, 0},
	{"akhir_p", "Akhir P", K_INT, 0, 0},     {"akhir", "Akhir", K_INT, 0, 0},
	{"keluarga_awal", "KK awal", K_INT, 0, 0}, {"keluarga_akhir", "KK akhir", K_INT, 0, 0},
};

/* Midnight starting day 1 of month y-m, local time, in ms. */
static uint64_t month_start_ms(int y, int m)
{
	struct tm tm = {.tm_year = y - 1900 + (m > 12), .tm_mon = (m - 1) % 12, .tm_mday = 1,
	                .tm_isdst = -1};
	time_t t = mktime(&tm);
	return t < 0 ? 0 : (uint64_t)t * 1000u;
}

static lb_err perkembangan_rows(struct ctx *c, const struct village *v, struct sheet *s,
                                struct lb_diag *d)
{
	struct lb_monthly_counts m;
	const int64_t *by[] = {m.awal, m.lahir, m.mati, m.datang, m.pindah, m.akhir};
	struct cell *r;
	int y = c->o->month_y, mo = c->o->month_m;
	lb_err e;
	if (mo < 1 || mo > 12)
		return lb_fail(d, LB_EINVAL, "perkembangan needs a month (--month YYYY-MM)");
	e = lb_monthly_village(c->rd.txn, c->rd.replica, (const uint8_t(*)[LB_PK_BYTES])v->origins,
	                       v->keys, y, mo, month_start_ms(y, mo), month_start_ms(y, mo + 1), &m,
	                       d);
	if (e)
		return e;
	if (!(r = add_row(c, s, v->code, 0)))
		return LB_OK;
	for (int i = 0; i < 6; i++) {
		r[3 * i].i = by[i][0];
		r[3 * i + 1].i = by[i][1];
		r[3 * i + 2].i = by[i][0] + by[i][1];
	}
	r[18].i = m.kk_awal;
	r[19].i = m.kk_akhir;
	return LB_OK;
}

/* ---- the report table ---------------------------------------------------- */

#define RP_COLS(a) a, sizeof a / sizeof a[0]

static const struct report reports[] = {
	{"ringkasan", "Ringkasan per desa", RP_COLS(ringkasan_cols), 0, ringkasan_rows, NULL, NULL,
	 NULL, NULL, 0},
	{"penduduk", "Statistik kependudukan", RP_COLS(penduduk_cols), 2, penduduk_rows, NULL, NULL,
	 NULL, NULL, 0},
	{"bantuan", "Bantuan per program", RP_COLS(bantuan_cols), 0, bantuan_rows, bantuan_prepare,
	 "tanda",
	 "Tanda: NIK ganda dan penerima beberapa program", RP_COLS(tanda_cols)},
	{"nik-ganda", "NIK hidup di lebih dari satu desa", RP_COLS(nik_ganda_cols), 0, NULL,
	 nik_ganda_all, NULL, NULL, NULL, 0},
	{"kelengkapan", "Kelengkapan pelaporan", RP_COLS(kelengkapan_cols), 0, kelengkapan_rows, NULL,
	 NULL, NULL, NULL, 0},
	{"perkembangan", "Perkembangan penduduk (Lampiran A-9)", RP_COLS(perkembangan_cols), 0,
	 perkembangan_rows, NULL, NULL, NULL, NULL, 0},
};

const char *lb_report_names(void)
{
	return "ringkasan penduduk bantuan nik-ganda kelengkapan perkembangan";
}

const char *lb_report_head(const char *report, const char *key)
{
	for (size_t i = 0; report && key && i < sizeof reports / sizeof reports[0]; i++) {
		const struct report *rp = &reports[i];
		if (strcmp(rp->name, report))
			continue;
		for (size_t j = 0; j < rp->ncols; j++)
			if (!strcmp(rp->cols[j].key, key))
				return rp->cols[j].head;
		for (size_t j = 0; j < rp->necols; j++)
			if (!strcmp(rp->ecols[j].key, key))
				return rp->ecols[j].head;
		if (rp->extra_key && !strcmp(rp->extra_key, key))
			return rp->extra_title;
	}
	return NULL;
}

/* ---- villages in scope --------------------------------------------------- */

static bool in_scope(const struct ctx *c, const char *village)
{
	if (!lb_region_contains(c->rd.region, village))
		return false;
	if (c->o->village && strcmp(c->o->village, village))
		return false;
	if (c->o->kecamatan && strncmp(c->o->kecamatan, village, 8))
		return false;
	return true;
}

struct collect {
	struct ctx *c;
	bool oom;
};

static int collect_origin(void *arg, const struct lb_agg_origin *o)
{
	struct ctx *c = ((struct collect *)arg)->c;
	struct village *v = NULL;
	for (size_t i = 0; i < c->nv; i++)
		if (!strcmp(c->v[i].code, o->village))
			v = &c->v[i];
	if (!v) {
		struct village *nv = realloc(c->v, (c->nv + 1) * sizeof *nv);
		if (!nv)
			goto oom;
		c->v = nv;
		v = &c->v[c->nv++];
		memset(v, 0, sizeof *v);
		memcpy(v->code, o->village, sizeof v->code);
	}
	{
		uint8_t(*no)[LB_PK_BYTES] = realloc(v->origins, (v->keys + 1) * sizeof *no);
		uint64_t *ns;
		if (!no)
			goto oom;
		v->origins = no;
		if (!(ns = realloc(v->seqs, (v->keys + 1) * sizeof *ns)))
			goto oom;
		v->seqs = ns;
	}
	memcpy(v->origins[v->keys], o->origin, LB_PK_BYTES);
	v->seqs[v->keys] = o->seq;
	v->keys++;
	v->revoked += o->revoked;
	v->entries += o->entries;
	v->forks += o->forks;
	if (o->last_seen_ms > v->last_seen_ms)
		v->last_seen_ms = o->last_seen_ms;
	return 0;
oom:
	((struct collect *)arg)->oom = true;
	return 1;
}

static int village_cmp(const void *a, const void *b)
{
	return strcmp(((const struct village *)a)->code, ((const struct village *)b)->code);
}

/* ---- roll-ups ------------------------------------------------------------ */

static int row_cmp_dims(const struct row *a, const struct row *b, size_t ndims)
{
	int c = strcmp(a->code, b->code);
	if (c)
		return c;
	if (a->ord != b->ord)
		return a->ord < b->ord ? -1 : 1;
	for (size_t i = 0; i < ndims; i++) {
		c = strcmp(a->c[i].s ? a->c[i].s : "", b->c[i].s ? b->c[i].s : "");
		if (c)
			return c;
	}
	return 0;
}

static size_t g_ndims;
static int row_cmp(const void *x, const void *y)
{
	const struct row *a = x, *b = y;
	int c = row_cmp_dims(a, b, g_ndims);
	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

static uint64_t group_hash(const char *code, const struct row *r, size_t ndims)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = code; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h = (h ^ (uint32_t)r->ord) * 1099511628211ull;
	for (size_t j = 0; j < ndims; j++)
		for (const char *p = r->c[j].s ? r->c[j].s : ""; ; p++) {
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
			if (!*p)
				break;
		}
	return h;
}

/* Sum the rows of src into dst grouped by (code cut to clen, or fixed;
 * ord; dims): groups found by hashing, then dst sorted (few rows). */
static void rollup(struct ctx *c, const struct report *rp, const struct sheet *src,
                   struct sheet *dst, size_t clen, const char *fixed)
{
	size_t cap = 64, *slot;
	while (cap < 2 * src->n + 2)
		cap *= 2;
	if (!(slot = calloc(cap, sizeof *slot))) { /* dst index + 1, 0 empty */
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < src->n && !c->oom; i++) {
		struct row key = src->r[i];
		struct cell *r = NULL;
		size_t at;
		if (fixed)
			snprintf(key.code, sizeof key.code, "%s", fixed);
		else
			key.code[clen] = '\0';
		for (at = (size_t)group_hash(key.code, &key, rp->ndims) & (cap - 1); slot[at];
		     at = (at + 1) & (cap - 1)) {
			struct row *g = &dst->r[slot[at] - 1];
			if (!row_cmp_dims(g, &key, rp->ndims)) {
				r = g->c;
				break;
			}
		}
		if (!r) {
			if (!(r = add_row(c, dst, key.code, key.ord)))
				break;
			slot[at] = dst->n;
			for (size_t j = 0; j < rp->ndims; j++)
				if (key.c[j].s)
					set_str(c, &r[j], key.c[j].s, strlen(key.c[j].s));
		}
		for (size_t j = 0; j < rp->ncols; j++)
			if (rp->cols[j].kind == K_INT)
				r[j].i += key.c[j].i;
	}
	free(slot);
	g_ndims = rp->ndims;
	if (dst->n)
		qsort(dst->r, dst->n, sizeof *dst->r, row_cmp);
}

/* ---- rendering ----------------------------------------------------------- */

enum level { L_DESA, L_KEC, L_TOTAL, L_EXTRA };
static const char *const level_key[] = {"villages", "kecamatan", "total", NULL};
static const char *const level_code[] = {"village", "kecamatan", "region", "village"};
static const char *const level_title[] = {"Desa", "Kecamatan", "Total", NULL};
static const char *const level_csv[] = {"desa", "kecamatan", "total", NULL};

static double pct(const struct cell *r, const struct col *col)
{
	int64_t den = r[col->den].i;
	return den ? (double)((int64_t)(1000.0 * (double)r[col->num].i / (double)den + 0.5)) / 10.0
	           : 0.0;
}

/* A cell as text into buf (or the string itself); NULL for no value. */
static const char *cell_text(const struct cell *r, const struct col *cols, size_t j, char *buf,
                             size_t cap, bool rolled, size_t ndims)
{
	switch (cols[j].kind) {
	case K_STR:
		if (rolled && j >= ndims && !r[j].s) /* text a total row carries: bantuan_totals */
			return NULL;
		return r[j].s ? r[j].s : "";
	case K_INT: {
		char *p = buf + cap - 1;
		uint64_t u = r[j].i < 0 ? 0 - (uint64_t)r[j].i : (uint64_t)r[j].i;
		*p = '\0';
		do
			*--p = (char)('0' + u % 10);
		while ((u /= 10) && p > buf + 1);
		if (r[j].i < 0)
			*--p = '-';
		return p;
	}
	case K_PCT:
		snprintf(buf, cap, "%.1f", pct(r, &cols[j]));
		return buf;
	}
	return "";
}

static void pad(FILE *out, size_t n)
{
	static const char sp[] = "                                ";
	while (n) {
		size_t k = n < sizeof sp - 1 ? n : sizeof sp - 1;
		fwrite(sp, 1, k, out);
		n -= k;
	}
}

/* One cell of a table line: left or right aligned in w columns. */
static void put_cell(FILE *out, bool first, bool right, bool last, const char *t, size_t w)
{
	size_t tw = 0;
	for (const char *p = t; *p; p++)
		tw += ((unsigned char)*p & 0xc0) != 0x80;
	if (!first)
		fputs("  ", out);
	if (right && w > tw)
		pad(out, w - tw);
	fputs(t, out);
	if (!right && !last && w > tw)
		pad(out, w - tw);
}

static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static const char *row_name(const struct row *r, enum level l)
{
	return l == L_TOTAL ? "Total" : row_label(r);
}

static lb_err put_table(FILE *out, const char *title, const struct sheet *s, enum level l,
                        size_t ndims)
{
	size_t nc = s->ncols + 2, *w = calloc(nc, sizeof *w);
	char buf[64];
	if (!w)
		return LB_ENOMEM;
	w[0] = width(l == L_DESA || l == L_EXTRA ? "Kode desa" : l == L_KEC ? "Kecamatan" : "Wilayah");
	w[1] = width("Nama");
	for (size_t j = 0; j < s->ncols; j++)
		w[j + 2] = width(s->cols[j].head);
	for (size_t i = 0; i < s->n; i++) {
		const char *t;
		if (width(s->r[i].code) > w[0])
			w[0] = width(s->r[i].code);
		if (width(row_name(&s->r[i], l)) > w[1])
			w[1] = width(row_name(&s->r[i], l));
		for (size_t j = 0; j < s->ncols; j++)
			if ((t = cell_text(s->r[i].c, s->cols, j, buf, sizeof buf,
			                   l == L_KEC || l == L_TOTAL, ndims)) &&
			    width(t) > w[j + 2])
				w[j + 2] = width(t);
	}
	fprintf(out, "%s\n", title);
	for (size_t j = 0; j < nc; j++) {
		const char *h = j == 0 ? (l == L_DESA || l == L_EXTRA ? "Kode desa"
		                                  : l == L_KEC        ? "Kecamatan"
		                                                      : "Wilayah")
		                : j == 1 ? "Nama"
		                         : s->cols[j - 2].head;
		bool right = j >= 2 && s->cols[j - 2].kind != K_STR;
		put_cell(out, j == 0, right, j == nc - 1, h, w[j]);
	}
	fputc('\n', out);
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < nc; j++) {
			const char *t = j == 0   ? s->r[i].code
			                : j == 1 ? row_name(&s->r[i], l)
			                         : cell_text(s->r[i].c, s->cols, j - 2, buf, sizeof buf,
			                                     l == L_KEC || l == L_TOTAL, ndims);
			bool right = j >= 2 && s->cols[j - 2].kind != K_STR;
			put_cell(out, j == 0, right, j == nc - 1, t ? t : "", w[j]);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
	free(w);
	return ferror(out) ? LB_EIO : LB_OK;
}

#define JSON_FLAGS (JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII)

/* Row i of s as a JSON object (NULL out of memory). */
static json_t *json_row(const struct sheet *s, size_t i, enum level l, size_t ndims)
{
	json_t *o = json_object();
	const struct cell *r = s->r[i].c;
	if (!o)
		return NULL;
	json_object_set_new(o, level_code[l], json_string(s->r[i].code));
	if (l == L_DESA || l == L_EXTRA)
		json_object_set_new(o, "name", json_string(row_label(&s->r[i])));
	for (size_t j = 0; j < s->ncols; j++) {
		const struct col *col = &s->cols[j];
		if (col->kind == K_STR) {
			if ((l == L_KEC || l == L_TOTAL) && j >= ndims && !r[j].s)
				continue;
			json_object_set_new(o, col->key, json_string(r[j].s ? r[j].s : ""));
		} else if (col->kind == K_INT)
			json_object_set_new(o, col->key, json_integer(r[j].i));
		else
			json_object_set_new(o, col->key, json_real(pct(r, col)));
	}
	return o;
}

/* The members a row of s at level l has (json_row gives them all). */
static size_t json_row_size(const struct sheet *s, enum level l, size_t ndims)
{
	size_t n = 1 + (l == L_DESA || l == L_EXTRA);
	for (size_t j = 0; j < s->ncols; j++)
		n += !(s->cols[j].kind == K_STR && (l == L_KEC || l == L_TOTAL) && j >= ndims);
	return n;
}

static json_t *json_next_value(json_t *o, void **it)
{
	json_t *v = *it ? json_object_iter_value(*it) : NULL;
	if (*it)
		*it = json_object_iter_next(o, *it);
	return v;
}

/* Row i of s into the values of o, a complete row object json_row made
 * for the same sheet and level (members in the same order): numbers are
 * set in place, nothing allocated per member.  0, or -1 when a value
 * cannot be set (the caller then makes the row with json_row). */
static int json_row_set(json_t *o, const struct sheet *s, size_t i, enum level l, size_t ndims)
{
	const struct cell *r = s->r[i].c;
	void *it = json_object_iter(o);
	json_t *v;

	if (!(v = json_next_value(o, &it)) || json_string_set(v, s->r[i].code))
		return -1;
	if ((l == L_DESA || l == L_EXTRA) &&
	    (!(v = json_next_value(o, &it)) || json_string_set(v, row_label(&s->r[i]))))
		return -1;
	for (size_t j = 0; j < s->ncols; j++) {
		const struct col *col = &s->cols[j];
		if (col->kind == K_STR && (l == L_KEC || l == L_TOTAL) && j >= ndims && !r[j].s)
			continue;
		if (!(v = json_next_value(o, &it)) ||
		    (col->kind == K_STR   ? json_string_set(v, r[j].s ? r[j].s : "")
		     : col->kind == K_INT ? json_integer_set(v, r[j].i)
		                          : json_real_set(v, pct(r, col))))
			return -1;
	}
	return it ? -1 : 0;
}

/* Text t[0..n) (jansson's dump of a row) into *buf, two levels deeper (as
 * an element of a member of the document): two spaces after each newline;
 * every newline jansson writes is layout (one inside a string is escaped).
 * The length, or 0 out of memory. */
static size_t json_nest(const char *t, size_t n, char **buf, size_t *cap)
{
	size_t o = 0, nl = 0;
	for (size_t i = 0; i < n; i++)
		nl += t[i] == '\n';
	if (n + 2 * nl > *cap) {
		char *nb = realloc(*buf, n + 2 * nl);
		if (!nb)
			return 0;
		*buf = nb;
		*cap = n + 2 * nl;
	}
	for (size_t i = 0; i < n; i++) {
		(*buf)[o++] = t[i];
		if (t[i] == '\n') {
			(*buf)[o++] = ' ';
			(*buf)[o++] = ' ';
		}
	}
	return o;
}

/* The member key: [rows of s] of the document, streamed one row object at
 * a time, in the bytes json_dumps of the whole document (JSON_FLAGS) would
 * give.  0, or -1 (out of memory, or a write failed: see ferror). */
static int put_json_rows(FILE *out, const char *key, const struct sheet *s, enum level l,
                         size_t ndims)
{
	json_t *k = json_string(key);
	char *kt = k ? json_dumps(k, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	char *text = NULL, *nest = NULL;
	size_t tcap = 0, ncap = 0, want = json_row_size(s, l, ndims);
	json_t *tmpl = NULL;
	int rc;

	json_decref(k);
	if (!kt || !(text = malloc(tcap = 1024))) {
		free(kt);
		return -1;
	}
	rc = fprintf(out, ",\n %s: [", kt) < 0;
	free(kt);
	for (size_t i = 0; i < s->n && !rc; i++) {
		/* one complete row object, its values replaced row after row */
		json_t *o = tmpl && !json_row_set(tmpl, s, i, l, ndims) ? json_incref(tmpl)
		                                                        : json_row(s, i, l, ndims);
		size_t n = o ? json_dumpb(o, text, tcap, JSON_FLAGS) : 0, m;
		if (o && o != tmpl && !tmpl && json_object_size(o) == want)
			tmpl = json_incref(o);
		if (n > tcap) { /* (rows are small: once or twice) */
			char *nt = realloc(text, n);
			if (nt)
				text = nt, tcap = n;
			n = nt ? json_dumpb(o, text, tcap, JSON_FLAGS) : 0;
		}
		json_decref(o);
		rc = !n || !(m = json_nest(text, n, &nest, &ncap)) ||
		     fputs(i ? ",\n  " : "\n  ", out) == EOF || fwrite(nest, 1, m, out) != m;
	}
	json_decref(tmpl);
	free(text);
	free(nest);
	return rc || fputs(s->n ? "\n ]" : "]", out) == EOF ? -1 : 0;
}

static lb_err put_csv_rows(FILE *out, const struct sheet *s, enum level l, size_t ndims,
                           bool with_level, struct lb_diag *d)
{
	size_t nc = s->ncols + 2 + with_level;
	char **cells = calloc(nc, sizeof *cells), (*bufs)[64] = calloc(nc, sizeof *bufs);
	lb_err e = LB_OK;
	if (!cells || !bufs) {
		free(cells);
		free(bufs);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < s->n && !e; i++) {
		size_t o = 0;
		if (with_level)
			cells[o++] = (char *)level_csv[l];
		cells[o++] = s->r[i].code;
		cells[o++] = (char *)row_name(&s->r[i], l);
		for (size_t j = 0; j < s->ncols; j++) {
			const char *t = cell_text(s->r[i].c, s->cols, j, bufs[j], sizeof bufs[j],
			                          l == L_KEC || l == L_TOTAL, ndims);
			cells[o++] = (char *)(t ? t : "");
		}
		e = lb_csv_write_cells(out, ';', cells, nc, d);
	}
	free(cells);
	free(bufs);
	return e;
}

static lb_err put_csv_header(FILE *out, const struct sheet *s, bool with_level, struct lb_diag *d)
{
	size_t nc = s->ncols + 2 + with_level, o = 0;
	char **cells = calloc(nc, sizeof *cells);
	lb_err e;
	if (!cells)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (with_level)
		cells[o++] = "Tingkat";
	cells[o++] = "Kode";
	cells[o++] = "Nama";
	for (size_t j = 0; j < s->ncols; j++)
		cells[o++] = (char *)s->cols[j].head;
	e = lb_csv_write_cells(out, ';', cells, nc, d);
	free(cells);
	return e;
}

static lb_err put_xlsx_sheet(lxw_workbook *wb, const char *name, const struct sheet *s,
                             enum level l, size_t ndims, struct lb_diag *d)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, name);
	char buf[64];
	if (!ws)
		return lb_fail(d, LB_EIO, "cannot add worksheet %s", name);
	worksheet_write_string(ws, 0, 0,
	                       l == L_DESA || l == L_EXTRA ? "Kode desa"
	                       : l == L_KEC                ? "Kecamatan"
	                                                   : "Wilayah",
	                       NULL);
	worksheet_write_string(ws, 0, 1, "Nama", NULL);
	for (size_t j = 0; j < s->ncols; j++)
		worksheet_write_string(ws, 0, (lxw_col_t)(j + 2), s->cols[j].head, NULL);
	for (size_t i = 0; i < s->n; i++) {
		lxw_row_t row = (lxw_row_t)(i + 1);
		worksheet_write_string(ws, row, 0, s->r[i].code, NULL);
		worksheet_write_string(ws, row, 1, row_name(&s->r[i], l), NULL);
		for (size_t j = 0; j < s->ncols; j++) {
			const struct col *col = &s->cols[j];
			lxw_col_t cc = (lxw_col_t)(j + 2);
			if (col->kind == K_INT)
				worksheet_write_number(ws, row, cc, (double)s->r[i].c[j].i, NULL);
			else if (col->kind == K_PCT)
				worksheet_write_number(ws, row, cc, pct(s->r[i].c, col), NULL);
			else {
				const char *t = cell_text(s->r[i].c, s->cols, j, buf, sizeof buf,
				                          l == L_KEC || l == L_TOTAL, ndims);
				if (t && *t)
					worksheet_write_string(ws, row, cc, t, NULL);
			}
		}
	}
	return LB_OK;
}

static lb_err render(struct ctx *c, const struct report *rp, struct sheet lv[3], FILE *out,
                     struct lb_diag *d)
{
	const struct lb_report_opts *o = c->o;
	char per[16];
	lb_err e = LB_OK;

	snprintf(per, sizeof per, "%04d-%02d-%02d", o->per_y, o->per_m, o->per_d);
	switch (o->format) {
	case LB_REPORT_TABLE:
		fprintf(out, "%s (%s), wilayah %s, per %s\n\n", rp->title, rp->name, c->rd.region, per);
		for (int l = 0; l < 3 && !e; l++) {
			char t[128];
			snprintf(t, sizeof t, "== %s ==", level_title[l]);
			e = put_table(out, t, &lv[l], (enum level)l, rp->ndims);
		}
		if (!e && rp->extra_key) {
			char t[160];
			snprintf(t, sizeof t, "== %s ==", rp->extra_title);
			e = put_table(out, t, &c->extra, L_EXTRA, 0);
		}
		if (e)
			return lb_fail(d, e, e == LB_EIO ? "writing the report failed" : "out of memory");
		return LB_OK;
	case LB_REPORT_JSON: {
		/* The head members as one small document (its closing "\n}"
		 * cut), then the rows streamed (region-wide penduduk has tens of
		 * thousands: a whole document in memory costs more than writing) */
		json_t *doc = json_object();
		char *text;
		size_t len;
		int rc;
		json_object_set_new(doc, "report", json_string(rp->name));
		json_object_set_new(doc, "title", json_string(rp->title));
		json_object_set_new(doc, "region", json_string(c->rd.region));
		json_object_set_new(doc, "per", json_string(per));
		if (o->month_m) {
			char b[16];
			snprintf(b, sizeof b, "%04d-%02d", o->month_y, o->month_m);
			json_object_set_new(doc, "bulan", json_string(b));
		}
		text = json_dumps(doc, JSON_FLAGS);
		json_decref(doc);
		if (!text || (len = strlen(text)) < 2 || strcmp(text + len - 2, "\n}")) {
			free(text);
			return lb_fail(d, LB_ENOMEM, "out of memory");
		}
		rc = fwrite(text, 1, len - 2, out) != len - 2;
		free(text);
		for (int l = 0; l < 3 && !rc; l++)
			rc = put_json_rows(out, level_key[l], &lv[l], (enum level)l, rp->ndims);
		if (!rc && rp->extra_key)
			rc = put_json_rows(out, rp->extra_key, &c->extra, L_EXTRA, 0);
		if (rc || fputs("\n}\n", out) == EOF)
			return ferror(out) ? lb_fail(d, LB_EIO, "writing the report failed")
			                   : lb_fail(d, LB_ENOMEM, "out of memory");
		return LB_OK;
	}
	case LB_REPORT_CSV:
		if (fputs("\xEF\xBB\xBF", out) == EOF)
			return lb_fail(d, LB_EIO, "writing the report failed");
		if ((e = put_csv_header(out, &lv[0], true, d)))
			return e;
		for (int l = 0; l < 3 && !e; l++)
			e = put_csv_rows(out, &lv[l], (enum level)l, rp->ndims, true, d);
		if (!e && rp->extra_key) {
			if (fputs("\r\n", out) == EOF)
				return lb_fail(d, LB_EIO, "writing the report failed");
			if (!(e = put_csv_header(out, &c->extra, false, d)))
				e = put_csv_rows(out, &c->extra, L_EXTRA, 0, false, d);
		}
		return e;
	case LB_REPORT_XLSX: {
		lxw_workbook *wb = workbook_new(o->xlsx_path);
		lxw_error xe;
		if (!wb)
			return lb_fail(d, LB_EIO, "%s: cannot create the workbook", o->xlsx_path);
		for (int l = 0; l < 3 && !e; l++)
			e = put_xlsx_sheet(wb, level_title[l], &lv[l], (enum level)l, rp->ndims, d);
		if (!e && rp->extra_key)
			e = put_xlsx_sheet(wb, "Tanda", &c->extra, L_EXTRA, 0, d);
		xe = workbook_close(wb);
		if (!e && xe != LXW_NO_ERROR)
			e = lb_fail(d, LB_EIO, "%s: %s", o->xlsx_path, lxw_strerror(xe));
		return e;
	}
	}
	return LB_OK;
}

/* ---- the engine ---------------------------------------------------------- */

lb_err lb_report_run(struct lb_agg *a, const struct lb_report_opts *opts, FILE *out,
                     struct lb_diag *d)
{
	const struct report *rp = NULL;
	struct lb_report_opts month_end;
	const struct lb_report_opts *o = opts;
	struct ctx c = {.a = a, .o = o};
	struct collect col = {&c, false};
	struct sheet lv[3] = {{0}};
	bool open = false;
	lb_err e;

	if (opts->month_y) { /* a month's report is "per" its last day, whoever asks */
		int y = opts->month_y, m = opts->month_m;
		month_end = *opts;
		month_end.per_y = y, month_end.per_m = m;
		month_end.per_d = lb_days_in_month(y, m);
		c.o = o = &month_end;
	}
	for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
		if (!strcmp(reports[i].name, o->name))
			rp = &reports[i];
	if (!rp)
		return lb_fail(d, LB_EINVAL, "no report \"%.40s\"; the reports are: %s", o->name,
		               lb_report_names());
	if (o->village && lb_region_level(o->village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "--village \"%.20s\" is not a desa code (PP.KK.CC.DDDD)",
		               o->village);
	if (o->kecamatan && lb_region_level(o->kecamatan) != LB_REGION_KECAMATAN)
		return lb_fail(d, LB_EINVAL,
		               "--kecamatan \"%.20s\" is not a kecamatan code (PP.KK.CC)", o->kecamatan);
	/* the keys' state first (its own transaction), then one snapshot */
	if ((e = lb_agg_origins(a, collect_origin, &col, d)))
		goto out;
	if (col.oom) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((e = lb_agg_read_begin(a, &c.rd, d)))
		goto out;
	open = true;
	if (o->village && !lb_region_contains(c.rd.region, o->village)) {
		e = lb_fail(d, LB_EINVAL, "village %s is outside this aggregator's region %s",
		            o->village, c.rd.region);
		goto out;
	}
	if (o->kecamatan && (strncmp(o->kecamatan, c.rd.region, strlen(c.rd.region)) ||
	                     (o->kecamatan[strlen(c.rd.region)] != '.' &&
	                      o->kecamatan[strlen(c.rd.region)] != '\0'))) {
		e = lb_fail(d, LB_EINVAL, "kecamatan %s is outside this aggregator's region %s",
		            o->kecamatan, c.rd.region);
		goto out;
	}
	if (c.nv)
		qsort(c.v, c.nv, sizeof *c.v, village_cmp);
	for (int l = 0; l < 3; l++) {
		lv[l].cols = rp->cols;
		lv[l].ncols = rp->ncols;
	}
	c.extra.cols = rp->ecols;
	c.extra.ncols = rp->necols;
	if (rp->prepare && (e = rp->prepare(&c, &lv[0], d)))
		goto out;
	for (size_t i = 0; rp->rows && i < c.nv; i++)
		if (in_scope(&c, c.v[i].code) && (e = rp->rows(&c, &c.v[i], &lv[0], d)))
			goto out;
	/* village rows in code order, each village's rows as given */
	g_ndims = 0;
	{
		bool in_order = true;
		for (size_t i = 0; i < lv[0].n; i++) {
			lv[0].r[i].seq = i;
			if (i && in_order && row_cmp(&lv[0].r[i - 1], &lv[0].r[i]) > 0)
				in_order = false;
		}
		if (!in_order)
			qsort(lv[0].r, lv[0].n, sizeof *lv[0].r, row_cmp);
	}
	rollup(&c, rp, &lv[0], &lv[1], 8, NULL);
	rollup(&c, rp, &lv[0], &lv[2], 0, c.rd.region);
	if (rp->prepare == bantuan_prepare) {
		bantuan_totals(&c, &lv[1]);
		bantuan_totals(&c, &lv[2]);
	}
	if (c.oom) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	e = render(&c, rp, lv, out, d);
out:
	if (open)
		lb_agg_read_end(a, &c.rd);
	for (int l = 0; l < 3; l++)
		sheet_free(&lv[l]);
	sheet_free(&c.extra);
	for (size_t i = 0; i < c.nv; i++) {
		free(c.v[i].origins);
		free(c.v[i].seqs);
	}
	free(c.v);
	for (size_t i = 0; i < c.ncat; i++)
		free(c.cat[i].nama);
	free(c.cat);
	return e;
}
