/*
 * figures.c — counters kept at ingest for the reports (see figures.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "figures.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../node/entry.h"
#include "../schema/mp.h"

const char *const lb_fig_types[LB_FIG_NTYPES] = {"penduduk", "keluarga", "program", "penerima",
                                                 "kegiatan", "laporan",  "aspirasi"};
const char *const lb_fig_agama[LB_FIG_AGAMA_N - 1] = {"islam", "kristen", "katolik", "hindu",
                                                      "buddha", "khonghucu", "kepercayaan"};
const char *const lb_fig_pendidikan[LB_FIG_PENDIDIKAN_N - 1] = {
	"tidak_belum_sekolah", "belum_tamat_sd", "tamat_sd",      "sltp", "slta",
	"diploma_i_ii",        "diploma_iii",    "diploma_iv_s1", "s2",   "s3"};
const char *const lb_fig_kawin[LB_FIG_KAWIN_N - 1] = {"belum_kawin", "kawin", "cerai_hidup",
                                                      "cerai_mati"};
const char *const lb_fig_status[LB_FIG_STATUS_N] = {"hidup", "pindah", "meninggal"};
const char *const lb_fig_asp[LB_FIG_ASP_N - 1] = {"diusulkan", "ditampung", "disetujui",
                                                  "terealisasi", "ditolak"};
const char *const lb_fig_pen[LB_FIG_PEN_N - 1] = {"diusulkan", "diverifikasi", "disalurkan",
                                                  "ditolak", "dibatalkan"};

bool lb_fig_enabled(void)
{
	static int on = -1;
	if (on < 0) {
		const char *v = getenv("LUMBUNG_AGG_NO_FIGURES");
		on = !(v && *v && strcmp(v, "0"));
	}
	return on;
}

/* ---- values: little-endian int64 arrays -------------------------------- */

static void le_put(uint8_t *p, int64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);
	return;
#endif
	uint64_t u = (uint64_t)v;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(u >> (8 * i));
}

static int64_t le_get(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	int64_t v;
	memcpy(&v, p, 8);
	return v;
#endif
	uint64_t u = 0;
	for (int i = 7; i >= 0; i--)
		u = (u << 8) | p[i];
	return (int64_t)u;
}

/* The birth arrays ('B', 'D') are mostly zeros: stored sparse, as
 * (index, count) pairs in index order, only counts != 0.  Their dense
 * size is fixed by the tag. */
static size_t sparse_size(const void *key, size_t klen)
{
	uint8_t t = klen ? *(const uint8_t *)key : 0;
	return t == 'B'   ? LB_FIG_COMBOS * LB_FIG_DECADE_MONTHS
	       : t == 'D' ? LB_FIG_COMBOS * LB_FIG_YEAR_DAYS
	                  : 0;
}

/* Add the stored value v of key into out[0..max) (dense); returns the dense
 * length the value has (indexes past max are ignored: verification finds
 * them, as it compares encodings). */
static size_t expand(const void *key, size_t klen, const MDB_val *v, int64_t *out, size_t max)
{
	const uint8_t *p = v->mv_data;
	size_t n = 0;

	if (sparse_size(key, klen)) {
		for (size_t i = 0; i + 16 <= v->mv_size; i += 16) {
			int64_t at = le_get(p + i);
			if (at >= 0 && (size_t)at < max)
				out[at] += le_get(p + i + 8);
			if (at >= 0 && (size_t)at + 1 > n)
				n = (size_t)at + 1;
		}
		return n;
	}
	n = v->mv_size / 8;
	for (size_t i = 0; i < n && i < max; i++)
		out[i] += le_get(p + 8 * i);
	return n;
}

int lb_fig_get(MDB_txn *txn, MDB_dbi fig, const void *key, size_t klen, int64_t *out, size_t max,
               size_t *n)
{
	MDB_val k = {klen, (void *)key}, v = {0, NULL};
	int rc = mdb_get(txn, fig, &k, &v);
	size_t have = 0;

	memset(out, 0, max * sizeof *out);
	if (!rc)
		have = expand(key, klen, &v, out, max);
	if (n)
		*n = have;
	return rc;
}

size_t lb_fig_key(uint8_t *k, char tag, const char *village, const void *rest, size_t rest_len)
{
	size_t n = 0;
	k[n++] = (uint8_t)tag;
	if (village) {
		memcpy(k + n, village, LB_VILLAGE_LEN);
		n += LB_VILLAGE_LEN;
	}
	if (rest_len)
		memcpy(k + n, rest, rest_len);
	return n + rest_len;
}

int64_t lb_fig_village_num(const char *code)
{
	int64_t v = 0;
	if (lb_region_level(code) != LB_REGION_DESA)
		return -1;
	for (const char *p = code; *p; p++)
		if (*p != '.')
			v = v * 10 + (*p - '0');
	return v;
}

void lb_fig_village_str(int64_t num, char out[LB_VILLAGE_LEN + 1])
{
	char d[24];
	snprintf(d, sizeof d, "%010lld", (long long)(num % 10000000000LL));
	memcpy(out, d, 2);
	out[2] = '.';
	memcpy(out + 3, d + 2, 2);
	out[5] = '.';
	memcpy(out + 6, d + 4, 2);
	out[8] = '.';
	memcpy(out + 9, d + 6, 4);
	out[13] = '\0';
}

/* ---- the batch: a hash map of touched keys ------------------------------ */

struct fent {
	uint8_t *key; /* (in the same allocation, after the struct) */
	size_t klen;
	int64_t *v;
	size_t n, vcap; /* counters used, allocated */
	bool dirty;
	bool stored; /* the store held a value when it was loaded */
	bool loaded; /* v holds values; else deltas to the stored values */
};

/* Years a birth date may give (parse_date): 1900 .. 2100. */
#define FIG_Y0 1900
#define FIG_YEARS 201

struct lb_fig_batch {
	MDB_txn *txn; /* NULL: start from zeros (verification) */
	MDB_dbi fig, replica;
	struct fent **e; /* entries live at a fixed address until the batch is freed */
	size_t n, cap; /* cap a power of two */
	struct fent *last; /* the entry touched last (the same key comes in runs) */
	/* The entries of one village most records touch, without hashing: a
	 * change set is one village's, so these stay valid for all its
	 * records (reset when another village's record comes). */
	char cv[LB_VILLAGE_LEN];
	struct fent *cc;                          /* 'C' cv */
	struct fent *cb[FIG_YEARS / 10 + 1];      /* 'B' cv decade, from FIG_Y0 / 10 */
	struct fent *cd[FIG_YEARS];               /* 'D' cv year, from FIG_Y0 */
	/* Whether the store held any key of tag + village pv when the batch
	 * began (-1 not asked yet): a village's first change set loads no
	 * figure it cannot have.  Valid until the batch writes (flush). */
	char pv[LB_VILLAGE_LEN];
	int8_t pre[128];
};

/* A hash of a key, 8 bytes at a time (keys are 14 to ~80 bytes). */
static uint64_t fnv(const uint8_t *k, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ n, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	/* the table takes the low bits: fold the well-mixed high ones in */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

struct lb_fig_batch *lb_fig_batch_new(MDB_txn *txn, MDB_dbi fig, MDB_dbi replica)
{
	struct lb_fig_batch *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->txn = txn;
	b->fig = fig;
	b->replica = replica;
	b->cap = 256;
	memset(b->pre, -1, sizeof b->pre);
	if (!(b->e = calloc(b->cap, sizeof *b->e))) {
		free(b);
		return NULL;
	}
	return b;
}

void lb_fig_batch_free(struct lb_fig_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->cap; i++)
		if (b->e[i]) {
			free(b->e[i]->v);
			free(b->e[i]);
		}
	free(b->e);
	free(b);
}

static struct fent **slot_of(struct fent **tab, size_t cap, const uint8_t *k, size_t n)
{
	size_t i = (size_t)fnv(k, n) & (cap - 1);
	while (tab[i] && (tab[i]->klen != n || memcmp(tab[i]->key, k, n)))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static bool grow(struct lb_fig_batch *b)
{
	size_t cap = b->cap * 2;
	struct fent **t = calloc(cap, sizeof *t);
	if (!t)
		return false;
	for (size_t i = 0; i < b->cap; i++)
		if (b->e[i])
			*slot_of(t, cap, b->e[i]->key, b->e[i]->klen) = b->e[i];
	free(b->e);
	b->e = t;
	b->cap = cap;
	return true;
}

/* Grow f's counters to n (zeros). */
static int widen(struct fent *f, size_t n)
{
	int64_t *nv;
	if (f->n >= n)
		return 0;
	if (n > f->vcap) {
		if (!(nv = realloc(f->v, n * sizeof *nv)))
			return ENOMEM;
		f->v = nv;
		f->vcap = n;
	}
	memset(f->v + f->n, 0, (n - f->n) * sizeof *f->v);
	f->n = n;
	return 0;
}

/* Whether the store may hold key k: false when k is tag + village + ...
 * (every tag but the NIK's 'G' and 'H') and the store held no key of that
 * tag and village when the batch began.  An LMDB code in *rc. */
static bool may_hold(struct lb_fig_batch *b, const uint8_t *k, size_t klen, int *rc)
{
	int8_t *p;
	*rc = 0;
	if (klen < 1 + LB_VILLAGE_LEN || k[0] >= 128 || k[0] == 'G' || k[0] == 'H')
		return true;
	if (memcmp(b->pv, k + 1, LB_VILLAGE_LEN)) {
		memcpy(b->pv, k + 1, LB_VILLAGE_LEN);
		memset(b->pre, -1, sizeof b->pre);
	}
	p = &b->pre[k[0]];
	if (*p < 0) {
		MDB_cursor *c;
		MDB_val kv = {1 + LB_VILLAGE_LEN, (void *)k}, v;
		if ((*rc = mdb_cursor_open(b->txn, b->fig, &c)))
			return true;
		*rc = mdb_cursor_get(c, &kv, &v, MDB_SET_RANGE);
		mdb_cursor_close(c);
		if (*rc && *rc != MDB_NOTFOUND)
			return true;
		*p = !*rc && kv.mv_size >= 1 + LB_VILLAGE_LEN &&
		     !memcmp(kv.mv_data, k, 1 + LB_VILLAGE_LEN);
		*rc = 0;
	}
	return *p;
}

/* Add the stored counters of f into f->v (which held deltas until now),
 * with c (positioned near, in key order) or, c NULL, a plain get. */
static int load(struct lb_fig_batch *b, struct fent *f, MDB_cursor *c)
{
	MDB_val kv = {f->klen, f->key}, v = {0, NULL};
	size_t have;
	int rc;

	if (!may_hold(b, f->key, f->klen, &rc))
		rc = rc ? rc : MDB_NOTFOUND;
	else if (!rc)
		rc = c ? mdb_cursor_get(c, &kv, &v, MDB_SET_KEY) : mdb_get(b->txn, b->fig, &kv, &v);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	f->stored = !rc;
	f->loaded = true;
	if (rc)
		return 0;
	have = sparse_size(f->key, f->klen);
	if (!have)
		have = v.mv_size / 8;
	if ((rc = widen(f, have)))
		return rc;
	expand(f->key, f->klen, &v, f->v, f->n);
	return 0;
}

/* The entry for key with at least n counters.  With need_value its
 * counters are the current values (loaded now if need be); without, an
 * entry not loaded yet holds deltas, and the stored values are added at
 * flush time, in key order (cheap), instead of one random lookup now.
 * NULL with *rc set on failure. */
static struct fent *touch(struct lb_fig_batch *b, const uint8_t *k, size_t klen, size_t n,
                          bool need_value, int *rc)
{
	struct fent *f = b->last;

	*rc = 0;
	if (!(f && f->klen == klen && !memcmp(f->key, k, klen))) {
		if (2 * (b->n + 1) > b->cap && !grow(b)) {
			*rc = ENOMEM;
			return NULL;
		}
		struct fent **at = slot_of(b->e, b->cap, k, klen);
		if (!(f = *at)) {
			if (!(f = calloc(1, sizeof *f + klen)) ||
			    !(f->v = calloc(n ? n : 1, sizeof *f->v))) {
				free(f);
				*rc = ENOMEM;
				return NULL;
			}
			f->key = (uint8_t *)(f + 1);
			memcpy(f->key, k, klen);
			f->klen = klen;
			f->n = n;
			f->vcap = n ? n : 1;
			f->loaded = !b->txn; /* verification starts from zeros */
			b->n++;
			*at = f;
		}
		b->last = f;
	}
	if ((*rc = widen(f, n)) || (need_value && !f->loaded && (*rc = load(b, f, NULL))))
		return NULL;
	return f;
}

const int64_t *lb_fig_peek(struct lb_fig_batch *b, const void *key, size_t klen, size_t *n)
{
	int rc;
	struct fent *f = touch(b, key, klen, 0, true, &rc);
	if (!f)
		return NULL;
	*n = f->n;
	return f->v;
}

/* counters[idx] += delta in an array of n; *old gets the value before. */
static int add(struct lb_fig_batch *b, const uint8_t *k, size_t klen, size_t n, size_t idx,
               int64_t delta, int64_t *old)
{
	int rc;
	struct fent *f = touch(b, k, klen, n, old != NULL, &rc);
	if (!f)
		return rc;
	if (old)
		*old = f->v[idx];
	f->v[idx] += delta;
	f->dirty = true;
	return 0;
}

/* The entry *slot of the village cache (figures for the village of the
 * record at hand), touched (no value needed) the first time. */
static struct fent *cached(struct lb_fig_batch *b, struct fent **slot, const uint8_t *k,
                           size_t klen, size_t n, int *rc)
{
	if (*slot && (*slot)->n >= n) {
		*rc = 0;
		return *slot;
	}
	return *slot = touch(b, k, klen, n, false, rc);
}

/* f's counters[idx] += delta (f from touch or cached, with idx < f->n). */
static void bump(struct fent *f, size_t idx, int64_t delta)
{
	f->v[idx] += delta;
	f->dirty = true;
}

static int set_flag(struct lb_fig_batch *b, const uint8_t *k, size_t klen, bool on)
{
	int rc;
	struct fent *f = touch(b, k, klen, 1, true, &rc);
	if (!f)
		return rc;
	f->v[0] = on;
	f->dirty = true;
	return 0;
}

/* First index of a[0..n) (sorted) not below x. */
static size_t lower_bound(const int64_t *a, size_t n, int64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add (sign > 0) or remove (nik, village) in the NIK's 'G' bucket (a
 * sorted array, no free slots); *before and *after get the number of
 * villages the NIK is in. */
static int nik_member(struct lb_fig_batch *b, const char nik[16], int64_t village, int sign,
                      size_t *before, size_t *after)
{
	uint8_t k[LB_FIG_KEY_MAX];
	size_t klen = lb_fig_key(k, 'G', NULL, nik, 10), i, lo, hi;
	int64_t base = lb_fig_nik_suffix(nik) * LB_FIG_VILLAGE_MOD, m = base + village;
	int rc;
	struct fent *f = touch(b, k, klen, 0, true, &rc);

	if (!f)
		return rc;
	while (f->n && !f->v[f->n - 1]) /* (a value stored with free slots) */
		f->n--;
	lo = lower_bound(f->v, f->n, base);
	hi = lower_bound(f->v + lo, f->n - lo, base + LB_FIG_VILLAGE_MOD) + lo;
	i = lower_bound(f->v + lo, hi - lo, m) + lo;
	*before = *after = hi - lo;
	if (sign > 0 && (i == hi || f->v[i] != m)) {
		if (f->n + 1 > f->vcap) { /* grow by half: buckets gain members one by one */
			size_t cap = f->vcap < 8 ? 8 : f->vcap + f->vcap / 2;
			int64_t *nv = realloc(f->v, cap * sizeof *nv);
			if (!nv)
				return ENOMEM;
			f->v = nv;
			f->vcap = cap;
		}
		memmove(f->v + i + 1, f->v + i, (f->n - i) * sizeof *f->v);
		f->v[i] = m;
		f->n++;
		(*after)++;
	} else if (sign < 0 && i < hi && f->v[i] == m) {
		memmove(f->v + i, f->v + i + 1, (f->n - i - 1) * sizeof *f->v);
		f->n--;
		(*after)--;
	}
	f->dirty = true;
	return 0;
}

int64_t lb_fig_nik_suffix(const char nik[16])
{
	int64_t v = 0;
	for (int i = 10; i < 16; i++)
		v = v * 10 + (nik[i] - '0');
	return v;
}

/* ---- reading a record body --------------------------------------------- */

enum fld {
	F_NIK, F_TANGGAL_LAHIR, F_JK, F_AGAMA, F_KAWIN, F_PENDIDIKAN, F_PEKERJAAN, F_DIS, F_STATUS,
	F_PROGRAM, F_NO_KK, F_NILAI, F_N
};
static const char *const fld_name[F_N] = {"nik",        "tanggal_lahir", "jenis_kelamin",
                                          "agama",      "status_perkawinan", "pendidikan",
                                          "pekerjaan",  "disabilitas",   "status",
                                          "program",    "no_kk",         "nilai"};

/* The fields (+ 1; 0 ends a list) whose names have each length: a key is
 * compared with at most three names. */
#define FLD_LEN_MAX 17
static const uint8_t fld_by_len[FLD_LEN_MAX + 1][4] = {
	[3] = {F_NIK + 1},
	[5] = {F_AGAMA + 1, F_NO_KK + 1, F_NILAI + 1},
	[6] = {F_STATUS + 1},
	[7] = {F_PROGRAM + 1},
	[9] = {F_PEKERJAAN + 1},
	[10] = {F_PENDIDIKAN + 1},
	[11] = {F_DIS + 1},
	[13] = {F_TANGGAL_LAHIR + 1, F_JK + 1},
	[17] = {F_KAWIN + 1},
};

struct fields {
	struct lb_mp_obj v[F_N];
	bool has[F_N];
};

/* The next scalar of a body the aggregator already checked (canonical,
 * schema-valid): strings, integers, booleans, nil, floats, bins read
 * inline, fast.  1 when the value is an array or map (use lb_mp_next and
 * lb_mp_skip), -1 when the bytes run out or are not msgpack. */
static int fast_next(struct lb_mp_rd *r, struct lb_mp_obj *o)
{
	const uint8_t *p = r->p;
	size_t left = lb_mp_rd_left(r), n = 0, hdr = 1;
	uint8_t c;

	if (!left)
		return -1;
	c = p[0];
	o->kind = LB_MP_STR;
	if (c >= 0xa0 && c <= 0xbf)
		n = c & 0x1f;
	else if (c == 0xd9 && left >= 2)
		n = p[1], hdr = 2;
	else if (c == 0xda && left >= 3)
		n = (size_t)p[1] << 8 | p[2], hdr = 3;
	else if (c <= 0x7f) {
		o->kind = LB_MP_UINT;
		o->v.u = c;
		r->p++;
		return 0;
	} else if (c == 0xc2 || c == 0xc3) {
		o->kind = LB_MP_BOOL;
		o->v.b = c == 0xc3;
		r->p++;
		return 0;
	} else if (c >= 0xcc && c <= 0xcf) {
		size_t w = (size_t)1 << (c - 0xcc);
		uint64_t u = 0;
		if (left < 1 + w)
			return -1;
		for (size_t i = 0; i < w; i++)
			u = u << 8 | p[1 + i];
		o->kind = LB_MP_UINT;
		o->v.u = u;
		r->p += 1 + w;
		return 0;
	} else
		return (c & 0xf0) == 0x90 || (c & 0xf0) == 0x80 || (c >= 0xdc && c <= 0xdf) ? 1 : 2;
	if (left < hdr + n)
		return -1;
	o->s = p + hdr;
	o->len = (uint32_t)n;
	r->p += hdr + n;
	return 0;
}

static int read_fields(const uint8_t *body, size_t len, struct fields *f)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o;

	memset(f->has, 0, sizeof f->has);
	lb_mp_rd_init(&r, body, len);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_MAP)
		return MDB_CORRUPTED;
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_obj key, val;
		struct lb_mp_rd save;
		int which = -1;
		int fr;
		if (fast_next(&r, &key) || key.kind != LB_MP_STR)
			return MDB_CORRUPTED;
		if (key.len <= FLD_LEN_MAX)
			for (const uint8_t *j = fld_by_len[key.len]; *j && which < 0; j++)
				if (fld_name[*j - 1][0] == key.s[0] &&
				    !memcmp(fld_name[*j - 1], key.s, key.len))
					which = *j - 1;
		save = r;
		if ((fr = fast_next(&r, &val)) < 0)
			return MDB_CORRUPTED;
		if (fr == 2 && lb_mp_next(&r, &val, NULL)) /* the rarer kinds */
			return MDB_CORRUPTED;
		if (fr == 1) {
			r = save;
			if (lb_mp_skip(&r, false, NULL))
				return MDB_CORRUPTED;
			continue;
		}
		if (which >= 0) {
			f->v[which] = val;
			f->has[which] = true;
		}
	}
	return 0;
}

static bool is_str(const struct fields *f, int i, const char *s)
{
	return f->has[i] && f->v[i].kind == LB_MP_STR && f->v[i].len && f->v[i].s[0] == (uint8_t)s[0] &&
	       f->v[i].len == strlen(s) && !memcmp(f->v[i].s, s, f->v[i].len);
}

/* Index of the field's value in list[0..n), n when absent or another value. */
static size_t enum_idx(const struct fields *f, int i, const char *const *list, size_t n)
{
	for (size_t j = 0; j < n; j++)
		if (is_str(f, i, list[j]))
			return j;
	return n;
}

/* A 16-digit string field (NIK, KK) into out[17]; false when absent. */
static bool digits16(const struct fields *f, int i, char out[17])
{
	if (!f->has[i] || f->v[i].kind != LB_MP_STR || f->v[i].len != 16)
		return false;
	memcpy(out, f->v[i].s, 16);
	out[16] = '\0';
	return true;
}

static bool parse_date(const struct fields *f, int i, int *y, int *m, int *d)
{
	const uint8_t *p = f->v[i].s;
	int v[8];
	if (!f->has[i] || f->v[i].kind != LB_MP_STR || f->v[i].len != 10 || p[4] != '-' ||
	    p[7] != '-')
		return false;
	for (int j = 0, k = 0; j < 10; j++) {
		if (j == 4 || j == 7)
			continue;
		if (p[j] < '0' || p[j] > '9')
			return false;
		v[k++] = p[j] - '0';
	}
	*y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
	*m = v[4] * 10 + v[5];
	*d = v[6] * 10 + v[7];
	return *y >= 1900 && *y <= 2100 && *m >= 1 && *m <= 12 && *d >= 1 && *d <= 31;
}

/* ---- contributions ------------------------------------------------------ */

#define CK(tag, rest, rlen) (klen = lb_fig_key(k, tag, v, rest, rlen))

static int penduduk(struct lb_fig_batch *b, const char *v, const struct fields *f, int s)
{
	uint8_t k[LB_FIG_KEY_MAX];
	size_t klen, st, kw;
	int rc, sex = is_str(f, F_JK, "L") ? 0 : 1, y, m, d;
	char nik[17];
	struct fent *c, *e;

	st = enum_idx(f, F_STATUS, lb_fig_status, LB_FIG_STATUS_N);
	CK('C', NULL, 0);
	if (!(c = cached(b, &b->cc, k, klen, LB_FIG_NSLOT, &rc)))
		return rc;
	if (st < LB_FIG_STATUS_N)
		bump(c, LB_FS_STATUS + 2 * st + (size_t)sex, s);
	if (st != 0)
		return 0; /* the rest counts live residents only */
	kw = enum_idx(f, F_KAWIN, lb_fig_kawin, LB_FIG_KAWIN_N - 1);
	bump(c, LB_FS_AGAMA + 2 * enum_idx(f, F_AGAMA, lb_fig_agama, LB_FIG_AGAMA_N - 1) + (size_t)sex,
	     s);
	bump(c,
	     LB_FS_PENDIDIKAN +
	             2 * enum_idx(f, F_PENDIDIKAN, lb_fig_pendidikan, LB_FIG_PENDIDIKAN_N - 1) +
	             (size_t)sex,
	     s);
	bump(c, LB_FS_KAWIN + 2 * kw + (size_t)sex, s);
	bump(c,
	     LB_FS_DIS +
	             2 * (f->has[F_DIS] && f->v[F_DIS].kind == LB_MP_BOOL ? (f->v[F_DIS].v.b ? 0 : 1)
	                                                                   : 2) +
	             (size_t)sex,
	     s);
	if (f->has[F_PEKERJAAN] && f->v[F_PEKERJAAN].kind == LB_MP_STR)
		CK('O', f->v[F_PEKERJAAN].s, f->v[F_PEKERJAAN].len);
	else
		CK('O', NULL, 0);
	if ((rc = add(b, k, klen, 2, (size_t)sex, s, NULL)))
		return rc;
	if (parse_date(f, F_TANGGAL_LAHIR, &y, &m, &d)) {
		int combo = sex * 2 + (kw >= 1 && kw <= 3);
		uint8_t r[4] = {(uint8_t)((y / 10) >> 8), (uint8_t)(y / 10)};
		CK('B', r, 2);
		if (!(e = cached(b, &b->cb[y / 10 - FIG_Y0 / 10], k, klen,
		                 LB_FIG_COMBOS * LB_FIG_DECADE_MONTHS, &rc)))
			return rc;
		bump(e, (size_t)combo * LB_FIG_DECADE_MONTHS + (size_t)(y % 10) * 12 + (size_t)m - 1, s);
		r[0] = (uint8_t)(y >> 8), r[1] = (uint8_t)y;
		CK('D', r, 2);
		if (!(e = cached(b, &b->cd[y - FIG_Y0], k, klen, LB_FIG_COMBOS * LB_FIG_YEAR_DAYS, &rc)))
			return rc;
		bump(e, (size_t)combo * LB_FIG_YEAR_DAYS + (size_t)(m - 1) * 31 + (size_t)d - 1, s);
	}
	if (digits16(f, F_NIK, nik)) {
		size_t before = 0, count = 0;
		if ((rc = nik_member(b, nik, lb_fig_village_num(v), s, &before, &count)))
			return rc;
		klen = lb_fig_key(k, 'H', NULL, nik, 16);
		if ((before >= 2) != (count >= 2) && (rc = set_flag(b, k, klen, count >= 2)))
			return rc;
	}
	return 0;
}

static int penerima(struct lb_fig_batch *b, const char *v, const struct fields *f, int s)
{
	uint8_t k[LB_FIG_KEY_MAX], pk[LB_FIG_KEY_MAX], rest[LB_ID_MAX + 18];
	size_t klen, pklen, plen;
	int64_t old = 0;
	char nik[17], kk[17];
	int rc;
	struct fent *c;

	CK('C', NULL, 0);
	if (!(c = cached(b, &b->cc, k, klen, LB_FIG_NSLOT, &rc)))
		return rc;
	bump(c, LB_FS_PEN + enum_idx(f, F_STATUS, lb_fig_pen, LB_FIG_PEN_N - 1), s);
	if (!f->has[F_PROGRAM] || f->v[F_PROGRAM].kind != LB_MP_STR ||
	    f->v[F_PROGRAM].len > LB_ID_MAX)
		return 0;
	plen = f->v[F_PROGRAM].len;
	memcpy(rest, f->v[F_PROGRAM].s, plen);
	rest[plen] = 0;
	pklen = lb_fig_key(pk, 'P', v, rest, plen);
	if ((rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_RECORDS, s, NULL)))
		return rc;
	if (is_str(f, F_STATUS, "disalurkan") &&
	    (rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_DISALUR, s, NULL)))
		return rc;
	if (f->has[F_NILAI] && f->v[F_NILAI].kind == LB_MP_UINT &&
	    ((rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_NILAI, s * (int64_t)f->v[F_NILAI].v.u,
	               NULL)) ||
	     (rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_NILAI_N, s, NULL))))
		return rc;
	if (digits16(f, F_NIK, nik)) {
		memcpy(rest + plen + 1, nik, 16);
		CK('n', rest, plen + 17);
		if ((rc = add(b, k, klen, 1, 0, s, &old)))
			return rc;
		if ((old == 0) != (old + s == 0)) { /* the NIK starts or stops receiving it */
			int64_t r = 0;
			if ((rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_NIKS, s, NULL)))
				return rc;
			CK('r', nik, 16);
			if ((rc = add(b, k, klen, 1, 0, s, &r)))
				return rc;
			if ((r >= 2) != (r + s >= 2)) {
				CK('M', nik, 16);
				if ((rc = set_flag(b, k, klen, r + s >= 2)))
					return rc;
				CK('C', NULL, 0);
				if (!(c = cached(b, &b->cc, k, klen, LB_FIG_NSLOT, &rc)))
					return rc;
				bump(c, LB_FS_MULTI, s);
			}
		}
		if ((old >= 2) != (old + s >= 2)) {
			CK('X', rest, plen + 17);
			if ((rc = set_flag(b, k, klen, old + s >= 2)) ||
			    (rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_DUP, s, NULL)))
				return rc;
		}
	}
	if (digits16(f, F_NO_KK, kk)) {
		memcpy(rest + plen + 1, kk, 16);
		CK('k', rest, plen + 17);
		if ((rc = add(b, k, klen, 1, 0, s, &old)))
			return rc;
		if ((old == 0) != (old + s == 0) &&
		    (rc = add(b, pk, pklen, LB_FIG_NPSLOT, LB_FP_KK, s, NULL)))
			return rc;
	}
	return 0;
}

int lb_fig_record(struct lb_fig_batch *b, const char *village, const char *type, size_t type_len,
                  const uint8_t *body, size_t body_len, int sign)
{
	uint8_t k[LB_FIG_KEY_MAX];
	size_t klen, t;
	struct fields f;
	const char *v = village;
	int rc;
	struct fent *c;

	for (t = 0; t < LB_FIG_NTYPES; t++)
		if (strlen(lb_fig_types[t]) == type_len && !memcmp(lb_fig_types[t], type, type_len))
			break;
	if (t == LB_FIG_NTYPES)
		return 0; /* a type a later schema adds: no figures yet */
	if ((rc = read_fields(body, body_len, &f)))
		return rc;
	if (memcmp(b->cv, village, LB_VILLAGE_LEN)) { /* another village: its own entries */
		memcpy(b->cv, village, LB_VILLAGE_LEN);
		b->cc = NULL;
		memset(b->cb, 0, sizeof b->cb);
		memset(b->cd, 0, sizeof b->cd);
	}
	CK('C', NULL, 0);
	if (!(c = cached(b, &b->cc, k, klen, LB_FIG_NSLOT, &rc)))
		return rc;
	bump(c, LB_FS_TYPE + t, sign);
	switch (t) {
	case 0:
		return penduduk(b, v, &f, sign);
	case 3:
		return penerima(b, v, &f, sign);
	case 6:
		bump(c, LB_FS_ASP + enum_idx(&f, F_STATUS, lb_fig_asp, LB_FIG_ASP_N - 1), sign);
		return 0;
	default:
		return 0;
	}
}

/* The record a view value (origin || seq) points at: its type and body.
 * The replica holds entries that passed every check at ingest, so this
 * reads only the headers it needs ([seq, ts, op, type, id, body, ...])
 * instead of decoding the whole entry again. */
static int parse_entry(const MDB_val *v, struct lb_entry *e)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o;

	memset(e, 0, sizeof *e);
	lb_mp_rd_init(&r, v->mv_data, v->mv_size);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_ARRAY || o.len != 8)
		return MDB_CORRUPTED;
	for (int i = 0; i < 3; i++)
		if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_UINT)
			return MDB_CORRUPTED;
		else if (i == 2 && o.v.u != LB_OP_PUT)
			return MDB_CORRUPTED;
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_STR)
		return MDB_CORRUPTED;
	e->type = (const char *)o.s;
	e->type_len = o.len;
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_STR)
		return MDB_CORRUPTED;
	e->body = r.p; /* the map and what follows it: read_fields stops at its end */
	e->body_len = lb_mp_rd_left(&r);
	return 0;
}

static int load_entry(struct lb_fig_batch *b, const MDB_val *val, struct lb_entry *e)
{
	MDB_val v;
	int rc;

	if (val->mv_size != 40)
		return MDB_CORRUPTED;
	if ((rc = mdb_get(b->txn, b->replica, (MDB_val *)val, &v)))
		return rc == MDB_NOTFOUND ? MDB_CORRUPTED : rc;
	return parse_entry(&v, e);
}

static int view_village(const MDB_val *vkey, char village[LB_VILLAGE_LEN + 1])
{
	if (vkey->mv_size < LB_VILLAGE_LEN + 1 || ((const char *)vkey->mv_data)[LB_VILLAGE_LEN])
		return MDB_CORRUPTED;
	memcpy(village, vkey->mv_data, LB_VILLAGE_LEN);
	village[LB_VILLAGE_LEN] = '\0';
	return lb_region_level(village) == LB_REGION_DESA ? 0 : MDB_CORRUPTED;
}

int lb_fig_change(struct lb_fig_batch *b, const MDB_val *vkey, const MDB_val *old,
                  const MDB_val *new_body)
{
	char village[LB_VILLAGE_LEN + 1];
	struct lb_entry e;
	const char *type = (const char *)vkey->mv_data + LB_VILLAGE_LEN + 1, *end;
	int rc;

	if ((rc = view_village(vkey, village)))
		return rc;
	if (old && ((rc = load_entry(b, old, &e)) ||
	            (rc = lb_fig_record(b, village, e.type, e.type_len, e.body, e.body_len, -1))))
		return rc;
	if (!new_body)
		return 0;
	/* the type from the key (village NUL type NUL id) */
	if (!(end = memchr(type, 0, vkey->mv_size - LB_VILLAGE_LEN - 1)))
		return MDB_CORRUPTED;
	return lb_fig_record(b, village, type, (size_t)(end - type), new_body->mv_data,
	                     new_body->mv_size, +1);
}

/* ---- writing ------------------------------------------------------------ */

static int fent_cmp(const void *x, const void *y)
{
	const struct fent *a = *(struct fent *const *)x, *b = *(struct fent *const *)y;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);
	return c ? c : (a->klen > b->klen) - (a->klen < b->klen);
}

static bool all_zero(const struct fent *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i])
			return false;
	return true;
}

/* The stored form of f into *buf (grown as needed): dense counters (a 'G'
 * bucket without its free slots), or (index, count) pairs for the birth
 * arrays.  Returns the length, or (size_t)-1 out of memory. */
static size_t encode(const struct fent *f, uint8_t **buf, size_t *cap)
{
	bool sparse = sparse_size(f->key, f->klen) != 0;
	size_t len = f->n, need, o = 0;

	while (len && !f->v[len - 1] && f->key[0] == 'G')
		len--;
	need = sparse ? 16 * len : 8 * len;
	if (need > *cap) {
		uint8_t *nb = realloc(*buf, need);
		if (!nb)
			return (size_t)-1;
		*buf = nb;
		*cap = need;
	}
	for (size_t j = 0; j < len; j++) {
		if (sparse && !f->v[j])
			continue;
		if (sparse) {
			le_put(*buf + o, (int64_t)j);
			o += 8;
		}
		le_put(*buf + o, f->v[j]);
		o += 8;
	}
	return o;
}

/* Entries with a key, sorted; dirty_only skips untouched ones. */
static struct fent **sorted(struct lb_fig_batch *b, bool dirty_only, size_t *n)
{
	struct fent **s = malloc((b->n ? b->n : 1) * sizeof *s);
	*n = 0;
	if (!s)
		return NULL;
	for (size_t i = 0; i < b->cap; i++)
		if (b->e[i] && (!dirty_only || b->e[i]->dirty))
			s[(*n)++] = b->e[i];
	qsort(s, *n, sizeof *s, fent_cmp);
	return s;
}

int lb_fig_flush(struct lb_fig_batch *b)
{
	size_t n;
	struct fent **s = sorted(b, true, &n);
	uint8_t *buf = NULL;
	size_t bcap = 0;
	MDB_cursor *c;
	int rc = 0;

	if (!s)
		return ENOMEM;
	if ((rc = mdb_cursor_open(b->txn, b->fig, &c))) {
		free(s);
		return rc;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		struct fent *f = s[i];
		MDB_val k = {f->klen, f->key}, v;
		size_t len;
		if (!f->loaded && (rc = load(b, f, c)))
			break;
		if (all_zero(f)) {
			if (!f->stored)
				continue; /* nothing to delete */
			rc = mdb_cursor_get(c, &k, &v, MDB_SET);
			if (!rc)
				rc = mdb_cursor_del(c, 0);
			f->stored = false;
			if (rc == MDB_NOTFOUND)
				rc = 0;
		} else {
			if ((len = encode(f, &buf, &bcap)) == (size_t)-1) {
				rc = ENOMEM;
				break;
			}
			v = (MDB_val){len, buf};
			rc = mdb_cursor_put(c, &k, &v, 0);
			f->stored = true;
		}
		f->dirty = false;
	}
	mdb_cursor_close(c);
	free(buf);
	free(s);
	memset(b->pre, -1, sizeof b->pre); /* the store changed */
	return rc;
}

/* ---- verification ------------------------------------------------------- */

/* A key in readable form: tag, village, the rest with bytes escaped. */
static void key_text(char *out, size_t cap, const uint8_t *k, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 5 < cap; i++) {
		if (k[i] >= 0x20 && k[i] < 0x7f && k[i] != '\\')
			out[o++] = (char)k[i];
		else
			o += (size_t)snprintf(out + o, cap - o, "\\x%02x", k[i]);
	}
	out[o] = '\0';
}

static void vals_text(char *out, size_t cap, const int64_t *v, size_t n)
{
	size_t o = 0, shown = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && o + 40 < cap; i++) {
		if (!v[i])
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s[%zu]=%lld", shown++ ? " " : "", i,
		                      (long long)v[i]);
	}
	if (!shown)
		snprintf(out, cap, "nothing");
}

/* Whether f and the stored bytes v differ: their encodings are compared,
 * so anything stored that the view does not give is found. */
static int differs(const struct fent *f, const MDB_val *v, uint8_t **buf, size_t *cap)
{
	size_t len = encode(f, buf, cap);
	if (len == (size_t)-1)
		return -1;
	return len != v->mv_size || memcmp(*buf, v->mv_data, len) ? 1 : 0;
}

lb_err lb_fig_verify(MDB_txn *txn, MDB_dbi fig, MDB_dbi view, MDB_dbi replica, uint64_t *keys,
                     struct lb_diag *d)
{
	struct lb_fig_batch *b = lb_fig_batch_new(NULL, fig, replica);
	struct fent **s = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t n = 0, i = 0, ecap = 0;
	uint8_t *ebuf = NULL;
	lb_err e = LB_OK;
	int rc, dif = 0;

	if (keys)
		*keys = 0;
	if (!b)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((rc = mdb_cursor_open(txn, view, &c)))
		goto store;
	/* recompute: every live record of the view, from zeros */
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		char village[LB_VILLAGE_LEN + 1];
		struct lb_entry en;
		b->txn = txn; /* entries come from the replica ... */
		rc = view_village(&k, village);
		if (!rc)
			rc = load_entry(b, &v, &en);
		b->txn = NULL; /* ... figures start from zeros */
		if (!rc)
			rc = lb_fig_record(b, village, en.type, en.type_len, en.body, en.body_len, +1);
		if (rc == ENOMEM) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		if (rc) {
			char kt[200];
			key_text(kt, sizeof kt, k.mv_data, k.mv_size);
			e = lb_fail(d, LB_ECORRUPT, "view record %s: its entry cannot be read", kt);
			goto out;
		}
	}
	if (rc != MDB_NOTFOUND)
		goto store;
	mdb_cursor_close(c);
	c = NULL;
	/* compare, both sides in key order */
	if (!(s = sorted(b, false, &n))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = mdb_cursor_open(txn, fig, &c)))
		goto store;
	rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	for (;;) {
		char kt[200], want[200], got[200];
		int cmp;
		while (i < n && all_zero(s[i]))
			i++;
		if (rc && rc != MDB_NOTFOUND)
			goto store;
		if (rc == MDB_NOTFOUND && i == n)
			break;
		if (rc == MDB_NOTFOUND)
			cmp = -1;
		else if (i == n)
			cmp = 1;
		else {
			struct fent probe = {.key = k.mv_data, .klen = k.mv_size}, *pp = &probe;
			cmp = fent_cmp(&s[i], &pp);
		}
		if (cmp == 0 && (dif = differs(s[i], &v, &ebuf, &ecap)) < 0) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
		if (cmp == 0 && !dif) {
			if (keys)
				(*keys)++;
			i++;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
			continue;
		}
		if (cmp <= 0) {
			key_text(kt, sizeof kt, s[i]->key, s[i]->klen);
			vals_text(want, sizeof want, s[i]->v, s[i]->n);
		} else
			key_text(kt, sizeof kt, k.mv_data, k.mv_size), snprintf(want, sizeof want,
			                                                        "nothing");
		if (cmp >= 0) {
			size_t m = sparse_size(k.mv_data, k.mv_size);
			int64_t *tmp;
			if (!m)
				m = v.mv_size / 8;
			if (!(tmp = calloc(m ? m : 1, sizeof *tmp))) {
				e = lb_fail(d, LB_ENOMEM, "out of memory");
				goto out;
			}
			expand(k.mv_data, k.mv_size, &v, tmp, m);
			vals_text(got, sizeof got, tmp, m);
			free(tmp);
			if (v.mv_size % (sparse_size(k.mv_data, k.mv_size) ? 16 : 8))
				snprintf(got, sizeof got, "a value of %zu bytes", v.mv_size);
			else if (cmp == 0 && !strcmp(got, want))
				snprintf(got, sizeof got, "that in another form (%zu bytes)", v.mv_size);
		} else
			snprintf(got, sizeof got, "nothing");
		e = lb_fail(d, LB_ECORRUPT, "figure %s: the view gives %s, the store holds %s", kt, want,
		            got);
		goto out;
	}
	goto out;
store:
	e = lb_fail(d, LB_ESTORE, "reading the figures: %s", mdb_strerror(rc));
out:
	if (c)
		mdb_cursor_close(c);
	free(s);
	free(ebuf);
	lb_fig_batch_free(b);
	return e;
}

/* ---- ages --------------------------------------------------------------- */

static int band_of(int age)
{
	return age >= 75 ? LB_FIG_AGE_BANDS - 1 : age / 5;
}

static void count_age(struct lb_fig_ages *o, int age, int combo, int64_t n)
{
	int sex = combo / 2;
	if (age < 0) {
		o->unborn[sex] += n;
		return;
	}
	o->band[band_of(age)][sex] += n;
	if (age >= 17 && !(combo & 1))
		o->ktp[sex] += n; /* the ever married are counted whatever their age */
}

int lb_fig_ages(MDB_txn *txn, MDB_dbi fig, const char *village, int y, int m, int d,
                const int64_t married[2], struct lb_fig_ages *o)
{
	uint8_t k[LB_FIG_KEY_MAX], r[4];
	int64_t *a = malloc(LB_FIG_COMBOS * LB_FIG_DECADE_MONTHS * sizeof *a);
	MDB_val dv = {0, NULL};
	int dyear = -1;
	MDB_cursor *c = NULL;
	int rc = 0;

	if (!a)
		return ENOMEM;
	memset(o, 0, sizeof *o);
	o->ktp[0] = married[0];
	o->ktp[1] = married[1];
	/* one cursor walk over the village's birth decades */
	if ((rc = mdb_cursor_open(txn, fig, &c)))
		goto out;
	{
		size_t klen = lb_fig_key(k, 'B', village, NULL, 0);
		MDB_val kv = {klen, k}, v;
		for (rc = mdb_cursor_get(c, &kv, &v, MDB_SET_RANGE);
		     rc == 0 && kv.mv_size == klen + 2 && !memcmp(kv.mv_data, k, klen);
		     rc = mdb_cursor_get(c, &kv, &v, MDB_NEXT)) {
			const uint8_t *p = (const uint8_t *)kv.mv_data + klen;
			int decade = p[0] << 8 | p[1];
			memset(a, 0, LB_FIG_COMBOS * LB_FIG_DECADE_MONTHS * sizeof *a);
			expand(kv.mv_data, kv.mv_size, &v, a, LB_FIG_COMBOS * LB_FIG_DECADE_MONTHS);
			for (int combo = 0; combo < LB_FIG_COMBOS; combo++)
				for (int mi = 0; mi < LB_FIG_DECADE_MONTHS; mi++) {
					int64_t n = a[combo * LB_FIG_DECADE_MONTHS + mi];
					int by = decade * 10 + mi / 12, bm = mi % 12 + 1;
					int age = y - by;
					if (!n)
						continue;
					if (bm > m)
						age--;
					else if (bm == m &&
					         (age <= 0 || age == 17 || band_of(age) != band_of(age - 1)))
						goto by_day; /* the day decides */
					count_age(o, age, combo, n);
					continue;
				by_day:;
					{
						/* the days of that month, from the year's 'D' array */
						int64_t left = n;
						size_t lo = (size_t)combo * LB_FIG_YEAR_DAYS + (size_t)(bm - 1) * 31;
						r[0] = (uint8_t)(by >> 8), r[1] = (uint8_t)by;
						if (by != dyear) { /* the year's (index, count) pairs, once */
							MDB_val dk = {lb_fig_key(k + 64, 'D', village, r, 2), k + 64};
							rc = mdb_get(txn, fig, &dk, &dv);
							if (rc == MDB_NOTFOUND)
								dv = (MDB_val){0, NULL};
							else if (rc)
								goto out;
							dyear = by;
						}
						for (size_t i = 0; i + 16 <= dv.mv_size; i += 16) {
							const uint8_t *q = (const uint8_t *)dv.mv_data + i;
							int64_t at = le_get(q), cnt = le_get(q + 8);
							if (at < (int64_t)lo || at >= (int64_t)lo + 31 || !cnt)
								continue;
							count_age(o, (int)(at - (int64_t)lo) + 1 > d ? age - 1 : age, combo,
							          cnt);
							left -= cnt;
						}
						rc = 0;
						if (left) /* the day array disagrees with the month: count as month */
							count_age(o, age, combo, left);
					}
				}
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (c)
		mdb_cursor_close(c);
	free(a);
	return rc;
}
