/*
 * monthly.c — the monthly population report of a village from its change
 * history (see monthly.h; the rules in docs/REPORTS.md).
 */
#include "monthly.h"

#include <stdlib.h>
#include <string.h>

#include "../node/hlc.h"
#include "../schema/mp.h"
#include "store_int.h"

/* What is kept per record: penduduk and keluarga, by id. */
enum { R_LIVE = 1, R_RESIDENT = 2, R_P = 4 };

struct lb_monthly_rec {
	uint64_t h;     /* 0: empty slot */
	uint32_t off;   /* id in w->ids */
	uint8_t len;    /* id length (ids are at most LB_ID_MAX = 128 bytes) */
	uint8_t type;   /* 'p' penduduk, 'k' keluarga */
	uint8_t flags;
};

void lb_monthly_init(struct lb_monthly *w, int y, int m, uint64_t t0_ms, uint64_t t1_ms)
{
	memset(w, 0, sizeof *w);
	w->y = y;
	w->m = m;
	w->t0 = t0_ms << LB_HLC_COUNTER_BITS;
	w->t1 = t1_ms << LB_HLC_COUNTER_BITS;
}

void lb_monthly_free(struct lb_monthly *w)
{
	free(w->tab);
	free(w->ids);
	memset(w, 0, sizeof *w);
}

static uint64_t rec_hash(char type, const char *id, size_t len)
{
	uint64_t h = 1469598103934665603ull ^ (uint8_t)type;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)id[i]) * 1099511628211ull;
	return h ? h : 1;
}

static bool grow(struct lb_monthly *w)
{
	size_t cap = w->cap ? 2 * w->cap : 1024;
	struct lb_monthly_rec *t = calloc(cap, sizeof *t);
	if (!t)
		return false;
	for (size_t i = 0; i < w->cap; i++) {
		size_t at;
		if (!w->tab[i].h)
			continue;
		for (at = w->tab[i].h & (cap - 1); t[at].h; at = (at + 1) & (cap - 1))
			;
		t[at] = w->tab[i];
	}
	free(w->tab);
	w->tab = t;
	w->cap = cap;
	return true;
}

/* The record type/id, added (flags 0) when new; *is_new says so.  NULL
 * when out of memory. */
static struct lb_monthly_rec *rec_get(struct lb_monthly *w, char type, const char *id, size_t len,
                                      bool *is_new)
{
	uint64_t h = rec_hash(type, id, len);
	size_t at;

	if (2 * (w->n + 1) > w->cap && !grow(w))
		return NULL;
	for (at = h & (w->cap - 1); w->tab[at].h; at = (at + 1) & (w->cap - 1)) {
		struct lb_monthly_rec *r = &w->tab[at];
		if (r->h == h && r->type == type && r->len == len && !memcmp(w->ids + r->off, id, len)) {
			*is_new = false;
			return r;
		}
	}
	if (w->ids_len + len > w->ids_cap) {
		size_t cap = w->ids_cap ? 2 * w->ids_cap : 16384;
		char *n;
		while (cap < w->ids_len + len)
			cap *= 2;
		if (cap > UINT32_MAX || !(n = realloc(w->ids, cap)))
			return NULL;
		w->ids = n;
		w->ids_cap = cap;
	}
	memcpy(w->ids + w->ids_len, id, len);
	w->tab[at] = (struct lb_monthly_rec){h, (uint32_t)w->ids_len, (uint8_t)len, (uint8_t)type, 0};
	w->ids_len += len;
	w->n++;
	*is_new = true;
	return &w->tab[at];
}

/* status, jenis_kelamin, tanggal_lahir and datang_dari of a penduduk
 * body, in one pass (absent: len 0). */
struct pd_fields {
	const uint8_t *status, *sex, *born, *from;
	uint32_t status_len, sex_len, born_len, from_len;
};

static void pd_fields(const uint8_t *body, size_t len, struct pd_fields *f)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o, k, v;

	memset(f, 0, sizeof *f);
	lb_mp_rd_init(&r, body, len);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_MAP)
		return;
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_rd save;
		if (lb_mp_next(&r, &k, NULL) || k.kind != LB_MP_STR)
			return;
		save = r;
		if (lb_mp_next(&r, &v, NULL))
			return;
		if (v.kind != LB_MP_STR) {
			r = save;
			if (lb_mp_skip(&r, false, NULL))
				return;
			continue;
		}
#define FIELD(name, p, l)                                                                     \
	if (k.len == sizeof name - 1 && !memcmp(k.s, name, sizeof name - 1)) {                \
		f->p = v.s;                                                                   \
		f->l = v.len;                                                                 \
	}
		FIELD("status", status, status_len)
		FIELD("jenis_kelamin", sex, sex_len)
		FIELD("tanggal_lahir", born, born_len)
		FIELD("datang_dari", from, from_len)
#undef FIELD
	}
}

static bool is(const uint8_t *s, uint32_t len, const char *lit)
{
	return len == strlen(lit) && !memcmp(s, lit, len);
}

/* tanggal_lahir "YYYY-MM-DD" in month y-m? */
static bool born_in(const struct pd_fields *f, int y, int m)
{
	char want[8];
	if (f->born_len != 10)
		return false;
	want[0] = (char)('0' + y / 1000 % 10);
	want[1] = (char)('0' + y / 100 % 10);
	want[2] = (char)('0' + y / 10 % 10);
	want[3] = (char)('0' + y % 10);
	want[4] = '-';
	want[5] = (char)('0' + m / 10);
	want[6] = (char)('0' + m % 10);
	return !memcmp(f->born, want, 7);
}

lb_err lb_monthly_feed(struct lb_monthly *w, const struct lb_entry *e)
{
	struct lb_monthly_rec *r;
	struct pd_fields f;
	bool is_new, in_month;
	char type;
	uint8_t was, now;

	if (e->ts >= w->t1)
		return LB_OK;
	if (e->type_len == 8 && !memcmp(e->type, "penduduk", 8))
		type = 'p';
	else if (e->type_len == 8 && !memcmp(e->type, "keluarga", 8))
		type = 'k';
	else
		return LB_OK;
	if (!w->started && e->ts >= w->t0) {
		w->started = 1;
		memcpy(w->c.awal, w->cur, sizeof w->cur);
		w->c.kk_awal = w->kk;
	}
	in_month = e->ts >= w->t0;
	if (!(r = rec_get(w, type, e->id, e->id_len, &is_new)))
		return LB_ENOMEM;
	was = r->flags;
	if (e->op != LB_OP_PUT || !e->body) {
		now = 0;
		memset(&f, 0, sizeof f);
	} else if (type == 'k') {
		now = R_LIVE;
	} else {
		pd_fields(e->body, e->body_len, &f);
		now = R_LIVE;
		if (is(f.status, f.status_len, "hidup"))
			now |= R_RESIDENT;
		if (is(f.sex, f.sex_len, "P"))
			now |= R_P;
	}
	r->flags = now;
	if (type == 'k') {
		w->kk += (now & R_LIVE) - (was & R_LIVE);
		return LB_OK;
	}
	if (!(now & R_RESIDENT))
		now = 0; /* sex counts only for residents */
	if (!(was & R_RESIDENT))
		was = 0;
	if (was == now)
		return LB_OK;
	if (was) { /* a resident no more, or under the other sex */
		int s = (was & R_P) != 0;
		w->cur[s]--;
		if (in_month) {
			if (!now && is(f.status, f.status_len, "meninggal"))
				w->c.mati[s]++;
			else
				w->c.pindah[s]++;
		}
	}
	if (now) {
		int s = (now & R_P) != 0;
		w->cur[s]++;
		if (in_month) {
			/* a resident who came from another village (datang_dari)
			 * arrives, even a baby born this month */
			if (!was && is_new && !f.from_len && born_in(&f, w->y, w->m))
				w->c.lahir[s]++;
			else
				w->c.datang[s]++;
		}
	}
	return LB_OK;
}

void lb_monthly_finish(struct lb_monthly *w, struct lb_monthly_counts *out)
{
	if (!w->started) { /* nothing changed in the month */
		memcpy(w->c.awal, w->cur, sizeof w->cur);
		w->c.kk_awal = w->kk;
	}
	memcpy(w->c.akhir, w->cur, sizeof w->cur);
	w->c.kk_akhir = w->kk;
	*out = w->c;
}

/* ---- the village's logs, merged by clock --------------------------------- */

struct feed {
	MDB_cursor *cur;
	const uint8_t *origin;
	struct lb_entry e;
	bool have;
};

static lb_err feed_next(struct feed *f, MDB_cursor_op op, MDB_val *k, struct lb_diag *d)
{
	MDB_val v;
	int rc = mdb_cursor_get(f->cur, k, &v, op);

	f->have = false;
	if (rc == MDB_NOTFOUND || (!rc && !agg_key_of(k, f->origin)))
		return LB_OK;
	if (rc)
		return lb_fail(d, LB_ESTORE, "reading the replica: %s", mdb_strerror(rc));
	if (lb_entry_decode(&f->e, v.mv_data, v.mv_size, NULL))
		return lb_fail(d, LB_ECORRUPT, "a replica entry (seq %llu) does not decode",
		               (unsigned long long)agg_be64_get((const uint8_t *)k->mv_data +
		                                                LB_PK_BYTES));
	f->have = true;
	return LB_OK;
}

lb_err lb_monthly_village(MDB_txn *txn, MDB_dbi replica, const uint8_t (*origins)[LB_PK_BYTES],
                          size_t n, int y, int m, uint64_t t0_ms, uint64_t t1_ms,
                          struct lb_monthly_counts *out, struct lb_diag *d)
{
	struct lb_monthly w;
	struct feed *fs = calloc(n ? n : 1, sizeof *fs);
	lb_err e = LB_OK;

	lb_monthly_init(&w, y, m, t0_ms, t1_ms);
	if (!fs)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !e; i++) {
		uint8_t key[RKEY_LEN];
		MDB_val k = {sizeof key, key};
		int rc = mdb_cursor_open(txn, replica, &fs[i].cur);
		if (rc) {
			e = lb_fail(d, LB_ESTORE, "reading the replica: %s", mdb_strerror(rc));
			break;
		}
		fs[i].origin = origins[i];
		agg_rkey(key, origins[i], 0);
		e = feed_next(&fs[i], MDB_SET_RANGE, &k, d);
	}
	while (!e) {
		struct feed *min = NULL;
		MDB_val k;
		for (size_t i = 0; i < n; i++)
			if (fs[i].have && fs[i].e.ts < w.t1 && (!min || fs[i].e.ts < min->e.ts))
				min = &fs[i];
		if (!min)
			break;
		if (lb_monthly_feed(&w, &min->e)) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			break;
		}
		e = feed_next(min, MDB_NEXT, &k, d);
	}
	if (!e)
		lb_monthly_finish(&w, out);
	for (size_t i = 0; i < n; i++)
		if (fs[i].cur)
			mdb_cursor_close(fs[i].cur);
	free(fs);
	lb_monthly_free(&w);
	return e;
}
