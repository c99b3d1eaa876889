/*
 * test_monthly.c — unit tests for agg/monthly.h: which change of a
 * village's history counts as what in the monthly population report
 * (docs/REPORTS.md, "perkembangan"), fed entry by entry; the answers are
 * worked out by hand from the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../agg/monthly.h"
#include "../../node/hlc.h"
#include "../../schema/mp.h"

/* May 2026 in UTC */
#define MAY 1777593600000ULL  /* 2026-05-01T00:00:00Z */
#define JUNE 1780272000000ULL /* 2026-06-01T00:00:00Z */
#define DAY 86400000ULL

struct hist {
	struct lb_monthly w;
	struct lb_mp_buf b;
	uint64_t last;
};

static void start(struct hist *h)
{
	lb_monthly_init(&h->w, 2026, 5, MAY, JUNE);
	lb_mp_buf_init(&h->b);
	h->last = 0;
}

static void done(struct hist *h)
{
	lb_monthly_free(&h->w);
	lb_mp_buf_free(&h->b);
}

/* An entry at ms (clock ticks past the last one when ms is not later). */
static void feed(struct hist *h, uint64_t ms, const char *type, const char *id, const char *status,
                 const char *sex, const char *born)
{
	struct lb_entry e = {0};
	h->last = lb_hlc_next(h->last, ms);
	e.ts = h->last;
	e.type = type;
	e.type_len = strlen(type);
	e.id = id;
	e.id_len = strlen(id);
	if (status || !strcmp(type, "keluarga")) {
		lb_mp_buf_reset(&h->b);
		lb_mp_put_map(&h->b, status ? 4 : 1);
		lb_mp_put_cstr(&h->b, "nama");
		lb_mp_put_cstr(&h->b, "X");
		if (status) {
			lb_mp_put_cstr(&h->b, "jenis_kelamin");
			lb_mp_put_cstr(&h->b, sex);
			lb_mp_put_cstr(&h->b, "status");
			lb_mp_put_cstr(&h->b, status);
			lb_mp_put_cstr(&h->b, "tanggal_lahir");
			lb_mp_put_cstr(&h->b, born);
		}
		e.op = LB_OP_PUT;
		e.body = (const uint8_t *)h->b.sb.data;
		e.body_len = h->b.sb.size;
	} else
		e.op = LB_OP_DEL;
	assert_int_equal(lb_monthly_feed(&h->w, &e), LB_OK);
}

static void person(struct hist *h, uint64_t ms, const char *nik, const char *status,
                   const char *sex, const char *born)
{
	feed(h, ms, "penduduk", nik, status, sex, born);
}

static void identity(const struct lb_monthly_counts *c)
{
	for (int s = 0; s < 2; s++)
		assert_int_equal(c->awal[s] + c->lahir[s] + c->datang[s] - c->mati[s] - c->pindah[s],
		                 c->akhir[s]);
}

static void test_before_and_after_the_month(void **state)
{
	struct hist h;
	struct lb_monthly_counts c;
	(void)state;
	start(&h);
	person(&h, MAY - 30 * DAY, "1", "hidup", "L", "1980-01-01");
	person(&h, MAY - 30 * DAY, "2", "hidup", "P", "1981-01-01");
	person(&h, MAY - 20 * DAY, "3", "pindah", "P", "1982-01-01"); /* not a resident */
	feed(&h, MAY - 10 * DAY, "keluarga", "K1", NULL, NULL, NULL);
	person(&h, MAY - 1, "4", "hidup", "L", "2026-04-30");          /* last ms of April */
	person(&h, JUNE, "5", "hidup", "P", "2026-05-31");             /* first ms of June */
	person(&h, JUNE + DAY, "1", "meninggal", "L", "1980-01-01");
	lb_monthly_finish(&h.w, &c);
	/* nothing in May: start = end */
	assert_int_equal(c.awal[0], 2);
	assert_int_equal(c.awal[1], 1);
	assert_int_equal(c.akhir[0], 2);
	assert_int_equal(c.akhir[1], 1);
	assert_int_equal(c.lahir[0] + c.lahir[1] + c.datang[0] + c.datang[1], 0);
	assert_int_equal(c.kk_awal, 1);
	assert_int_equal(c.kk_akhir, 1);
	done(&h);
}

static void test_events(void **state)
{
	struct hist h;
	struct lb_monthly_counts c;
	(void)state;
	start(&h);
	for (int i = 0; i < 6; i++) {
		char nik[4] = {'a', (char)('0' + i), 0};
		person(&h, MAY - DAY, nik, "hidup", i % 2 ? "P" : "L", "1990-01-01");
	}
	person(&h, MAY - DAY, "away", "pindah", "P", "1990-01-01");
	person(&h, MAY - DAY, "gone", "hidup", "L", "1990-01-01");
	person(&h, MAY - DAY / 2, "gone", NULL, NULL, NULL); /* deleted in April */
	feed(&h, MAY - DAY, "keluarga", "K1", NULL, NULL, NULL);
	/* awal: L a0 a2 a4, P a1 a3 a5 */
	person(&h, MAY, "b1", "hidup", "P", "2026-05-01");       /* birth P, first ms of May */
	person(&h, MAY + DAY, "b2", "hidup", "L", "2026-04-30"); /* born in April: arrival L */
	person(&h, MAY + DAY, "b3", "hidup", "L", "1970-05-10"); /* arrival L */
	person(&h, MAY + DAY, "b4", "meninggal", "L", "2026-05-02"); /* stillborn: nothing */
	person(&h, MAY + 2 * DAY, "a0", "meninggal", "L", "1990-01-01"); /* death L */
	person(&h, MAY + 2 * DAY, "a1", "pindah", "P", "1990-01-01");    /* departure P */
	person(&h, MAY + 2 * DAY, "a2", NULL, NULL, NULL);               /* delete: departure L */
	person(&h, MAY + 3 * DAY, "a4", "hidup", "P", "1990-01-01");     /* sex: L out, P in */
	person(&h, MAY + 3 * DAY, "a4", "hidup", "P", "1990-01-01");     /* the same again: nothing */
	person(&h, MAY + 4 * DAY, "away", "hidup", "P", "2026-05-01");   /* back: arrival (not new) */
	person(&h, MAY + 4 * DAY, "gone", "hidup", "L", "2026-05-01");   /* re-created: arrival */
	person(&h, MAY + 5 * DAY, "a3", "pindah", "P", "1990-01-01");    /* departure P ... */
	person(&h, MAY + 6 * DAY, "a3", "hidup", "P", "1990-01-01");     /* ... and back: arrival P */
	person(&h, MAY + 7 * DAY, "b1", "meninggal", "P", "2026-05-01"); /* born and died: death P */
	person(&h, MAY + 7 * DAY, "a1", "meninggal", "P", "1990-01-01"); /* pindah -> meninggal: nothing */
	feed(&h, MAY + 8 * DAY, "keluarga", "K2", NULL, NULL, NULL);
	feed(&h, MAY + 8 * DAY, "keluarga", "K1", NULL, NULL, NULL); /* changed: still one */
	feed(&h, MAY + 9 * DAY, "kegiatan", "x", NULL, NULL, NULL);  /* other types: ignored */
	person(&h, JUNE - 1, "a5", "pindah", "P", "1990-01-01");     /* last ms of May: departure P */
	person(&h, JUNE, "a3", NULL, NULL, NULL);                    /* June: not counted */
	lb_monthly_finish(&h.w, &c);
	assert_int_equal(c.awal[0], 3);
	assert_int_equal(c.awal[1], 3);
	assert_int_equal(c.lahir[0], 0);
	assert_int_equal(c.lahir[1], 1);
	assert_int_equal(c.datang[0], 3); /* b2 b3 gone */
	assert_int_equal(c.datang[1], 3); /* a4 away a3 */
	assert_int_equal(c.mati[0], 1);   /* a0 */
	assert_int_equal(c.mati[1], 1);   /* b1 */
	assert_int_equal(c.pindah[0], 2); /* a2 a4 */
	assert_int_equal(c.pindah[1], 3); /* a1 a3 a5 */
	/* end: L b2 b3 gone; P a4 away a3 */
	assert_int_equal(c.akhir[0], 3);
	assert_int_equal(c.akhir[1], 3);
	assert_int_equal(c.kk_awal, 1);
	assert_int_equal(c.kk_akhir, 2);
	identity(&c);
	done(&h);
}

/* Many records: the table grows and keeps every record apart. */
/* A resident who moves in from another village of the region (schema
 * version 2: datang_dari names it) is an arrival, even a baby born in the
 * month; the same record without datang_dari is a birth. */
static void test_a_baby_moving_in_is_an_arrival(void **state)
{
	struct hist h;
	struct lb_monthly_counts c;
	struct lb_entry e = {.type = "penduduk", .type_len = 8, .op = LB_OP_PUT};
	(void)state;
	start(&h);
	person(&h, MAY + DAY, "1", "hidup", "P", "2026-05-01"); /* born here */
	lb_mp_buf_reset(&h.b);
	lb_mp_put_map(&h.b, 4);
	lb_mp_put_cstr(&h.b, "datang_dari");
	lb_mp_put_cstr(&h.b, "33.24.01.2001");
	lb_mp_put_cstr(&h.b, "jenis_kelamin");
	lb_mp_put_cstr(&h.b, "P");
	lb_mp_put_cstr(&h.b, "status");
	lb_mp_put_cstr(&h.b, "hidup");
	lb_mp_put_cstr(&h.b, "tanggal_lahir");
	lb_mp_put_cstr(&h.b, "2026-05-02");
	h.last = lb_hlc_next(h.last, MAY + 3 * DAY);
	e.ts = h.last;
	e.id = "2";
	e.id_len = 1;
	e.body = (const uint8_t *)h.b.sb.data;
	e.body_len = h.b.sb.size;
	assert_int_equal(lb_monthly_feed(&h.w, &e), LB_OK);
	lb_monthly_finish(&h.w, &c);
	assert_int_equal(c.lahir[1], 1);
	assert_int_equal(c.datang[1], 1);
	assert_int_equal(c.akhir[1], 2);
	identity(&c);
	done(&h);
}

static void test_many(void **state)
{
	struct hist h;
	struct lb_monthly_counts c;
	char nik[24];
	(void)state;
	start(&h);
	for (int i = 0; i < 20000; i++) {
		snprintf(nik, sizeof nik, "%016d", i);
		person(&h, MAY - DAY, nik, "hidup", i % 3 ? "L" : "P", "1990-01-01");
	}
	for (int i = 0; i < 20000; i += 2) {
		snprintf(nik, sizeof nik, "%016d", i);
		person(&h, MAY + DAY, nik, i % 4 ? "pindah" : "meninggal", i % 3 ? "L" : "P",
		       "1990-01-01");
	}
	lb_monthly_finish(&h.w, &c);
	assert_int_equal(c.awal[0] + c.awal[1], 20000);
	assert_int_equal(c.mati[0] + c.mati[1], 5000);
	assert_int_equal(c.pindah[0] + c.pindah[1], 5000);
	assert_int_equal(c.akhir[0] + c.akhir[1], 10000);
	identity(&c);
	done(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_before_and_after_the_month),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_a_baby_moving_in_is_an_arrival),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
