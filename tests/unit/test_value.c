/*
 * test_value.c — schema/value.h: reading what a clerk types.  Every
 * spelling the issue names (religions, marital status, the Dukcapil
 * education list, sex, status), every date form, rupiah as written in
 * offices, RT padding, the refusals that must never become guesses
 * (two-digit years, 31/02, month-first dates, fractions, rounded NIKs,
 * text that is not UTF-8) with their hints; column headers; the schema
 * file's alias and pad syntax and its refusal of spellings that read the
 * same; lb_schema_validate_all; and the CSV header map and rows built on
 * it.  The expected values are written out by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../node/body.h"
#include "../../node/csvio.h"
#include "../../schema/schema.h"
#include "../../schema/value.h"

static const struct lb_schema *S; /* the newest built-in schema */

static const struct lb_field *field(const char *type, const char *name)
{
	const struct lb_type *t = lb_schema_type(S, type);
	const struct lb_field *f;

	assert_non_null(t);
	f = lb_type_field(t, name, strlen(name));
	if (!f)
		fail_msg("no field %s.%s", type, name);
	return f;
}

/* text reads as the string want; rewritten as said. */
#define READS(type, name, text, want, rw) reads_(__LINE__, type, name, text, want, rw)
static void reads_(int line, const char *type, const char *name, const char *text,
                   const char *want, bool rw)
{
	struct lb_value v;
	struct lb_diag d = {0};
	lb_err e = lb_field_read(field(type, name), text, &v, &d);

	if (e)
		fail_msg("line %d: %s \"%s\" refused: %s", line, name, text, d.msg);
	if (v.kind != LB_V_STR || v.len != strlen(want) || memcmp(v.str, want, v.len))
		fail_msg("line %d: %s \"%s\" read as \"%.*s\", wanted \"%s\"", line, name, text,
		         (int)v.len, v.kind == LB_V_STR ? v.str : "", want);
	if (v.rewritten != rw)
		fail_msg("line %d: %s \"%s\": rewritten %d, wanted %d", line, name, text, v.rewritten, rw);
	assert_int_equal(v.hint, LB_HINT_NONE);
}

#define READS_NUM(type, name, text, want, rw) reads_num_(__LINE__, type, name, text, want, rw)
static void reads_num_(int line, const char *type, const char *name, const char *text,
                       int64_t want, bool rw)
{
	struct lb_value v;
	struct lb_diag d = {0};

	if (lb_field_read(field(type, name), text, &v, &d))
		fail_msg("line %d: %s \"%s\" refused: %s", line, name, text, d.msg);
	if (v.kind != LB_V_NUM || v.num != want)
		fail_msg("line %d: %s \"%s\" read as %lld, wanted %lld", line, name, text,
		         (long long)v.num, (long long)want);
	if (v.rewritten != rw)
		fail_msg("line %d: %s \"%s\": rewritten %d, wanted %d", line, name, text, v.rewritten, rw);
}

/* text refused with LB_ESCHEMA, the hint, and a message holding the field,
 * what was typed (as shown) and want. */
#define REFUSED(type, name, text, hint, want) refused_(__LINE__, type, name, text, hint, want)
static void refused_(int line, const char *type, const char *name, const char *text,
                     enum lb_hint hint, const char *want)
{
	struct lb_value v;
	struct lb_diag d = {0};
	lb_err e = lb_field_read(field(type, name), text, &v, &d);

	if (e != LB_ESCHEMA)
		fail_msg("line %d: %s \"%s\" not refused (got %d, \"%.*s\")", line, name, text, e,
		         (int)v.len, v.kind == LB_V_STR && v.str ? v.str : "");
	if (v.hint != hint)
		fail_msg("line %d: %s \"%s\": hint %d, wanted %d", line, name, text, v.hint, hint);
	if (strncmp(d.msg, name, strlen(name)) != 0 || !strstr(d.msg, want))
		fail_msg("line %d: message \"%s\" lacks the field or \"%s\"", line, d.msg, want);
}

/* ---- enum spellings ------------------------------------------------------ */

static void religions(void **state)
{
	(void)state;
	READS("penduduk", "agama", "islam", "islam", false);
	READS("penduduk", "agama", "ISLAM", "islam", true);
	READS("penduduk", "agama", "Islam", "islam", true);
	READS("penduduk", "agama", " Islam ", "islam", true);
	READS("penduduk", "agama", "KRISTEN", "kristen", true);
	READS("penduduk", "agama", "KATHOLIK", "katolik", true);
	READS("penduduk", "agama", "KATOLIK", "katolik", true);
	READS("penduduk", "agama", "Katholik", "katolik", true);
	READS("penduduk", "agama", "HINDU", "hindu", true);
	READS("penduduk", "agama", "BUDHA", "buddha", true);
	READS("penduduk", "agama", "BUDDHA", "buddha", true);
	READS("penduduk", "agama", "KHONGHUCU", "khonghucu", true);
	READS("penduduk", "agama", "KONGHUCU", "khonghucu", true);
	READS("penduduk", "agama", "KEPERCAYAAN TERHADAP TUHAN YME", "kepercayaan", true);
	READS("penduduk", "agama", "Kepercayaan terhadap Tuhan YME", "kepercayaan", true);
	REFUSED("penduduk", "agama", "LAINNYA", LB_HINT_NONE, "\"LAINNYA\" is not one of islam");
	REFUSED("penduduk", "agama", "Islamm", LB_HINT_NONE, "\"Islamm\"");
	REFUSED("penduduk", "agama", "", LB_HINT_NONE, "is not one of");
}

static void marital_status(void **state)
{
	(void)state;
	READS("penduduk", "status_perkawinan", "belum_kawin", "belum_kawin", false);
	READS("penduduk", "status_perkawinan", "BELUM KAWIN", "belum_kawin", true);
	READS("penduduk", "status_perkawinan", "Belum Kawin", "belum_kawin", true);
	READS("penduduk", "status_perkawinan", "belum-kawin", "belum_kawin", true);
	READS("penduduk", "status_perkawinan", "KAWIN", "kawin", true);
	READS("penduduk", "status_perkawinan", "Kawin", "kawin", true);
	READS("penduduk", "status_perkawinan", "CERAI HIDUP", "cerai_hidup", true);
	READS("penduduk", "status_perkawinan", "CERAI MATI", "cerai_mati", true);
	REFUSED("penduduk", "status_perkawinan", "CERAI", LB_HINT_NONE, "\"CERAI\" is not one of");
}

static void education_dukcapil_list(void **state)
{
	(void)state;
	READS("penduduk", "pendidikan", "TIDAK/BELUM SEKOLAH", "tidak_belum_sekolah", true);
	READS("penduduk", "pendidikan", "BELUM TAMAT SD/SEDERAJAT", "belum_tamat_sd", true);
	READS("penduduk", "pendidikan", "TAMAT SD/SEDERAJAT", "tamat_sd", true);
	READS("penduduk", "pendidikan", "SLTP/SEDERAJAT", "sltp", true);
	READS("penduduk", "pendidikan", "SLTA/SEDERAJAT", "slta", true);
	READS("penduduk", "pendidikan", "SLTA/Sederajat", "slta", true);
	READS("penduduk", "pendidikan", "DIPLOMA I/II", "diploma_i_ii", true);
	READS("penduduk", "pendidikan", "AKADEMI/DIPLOMA III/S. MUDA", "diploma_iii", true);
	READS("penduduk", "pendidikan", "DIPLOMA IV/STRATA I", "diploma_iv_s1", true);
	READS("penduduk", "pendidikan", "STRATA II", "s2", true);
	READS("penduduk", "pendidikan", "STRATA III", "s3", true);
	/* I/II and III differ although only a slash is between them */
	READS("penduduk", "pendidikan", "DIPLOMA III", "diploma_iii", true);
	READS("penduduk", "pendidikan", "diploma_i_ii", "diploma_i_ii", false);
	READS("penduduk", "pendidikan", "S1", "diploma_iv_s1", true);
	READS("penduduk", "pendidikan", "S-1", "diploma_iv_s1", true);
	READS("penduduk", "pendidikan", "S2", "s2", true);
	/* "SD" alone may be a pupil's class: not certain */
	REFUSED("penduduk", "pendidikan", "SD", LB_HINT_NONE, "\"SD\"");
}

static void sex_and_status(void **state)
{
	(void)state;
	READS("penduduk", "jenis_kelamin", "L", "L", false);
	READS("penduduk", "jenis_kelamin", "l", "L", true);
	READS("penduduk", "jenis_kelamin", "p", "P", true);
	READS("penduduk", "jenis_kelamin", "LAKI-LAKI", "L", true);
	READS("penduduk", "jenis_kelamin", "Laki-laki", "L", true);
	READS("penduduk", "jenis_kelamin", "PEREMPUAN", "P", true);
	READS("penduduk", "jenis_kelamin", "Perempuan", "P", true);
	REFUSED("penduduk", "jenis_kelamin", "X", LB_HINT_NONE, "\"X\" is not one of L, P");
	REFUSED("penduduk", "jenis_kelamin", "LP", LB_HINT_NONE, "\"LP\"");
	READS("penduduk", "status", "HIDUP", "hidup", true);
	READS("penduduk", "status", "Hidup", "hidup", true);
	READS("penduduk", "status", "PINDAH", "pindah", true);
	READS("penduduk", "status", "MATI", "meninggal", true);
	READS("penduduk", "status", "Meninggal", "meninggal", true);
	REFUSED("penduduk", "status", "HILANG", LB_HINT_NONE, "\"HILANG\"");
	/* other types' enums are read the same way */
	READS("penerima", "bentuk", "Uang", "uang", true);
	READS("program", "sumber_dana", "Dana Desa", "dana_desa", true);
}

/* The office row of the issue, Islam;Kawin;SLTA/Sederajat;01/01/1995;1;2;Hidup:
 * every cell's meaning is certain, so every cell is read. */
static void the_office_row_of_the_issue(void **state)
{
	(void)state;
	READS("penduduk", "agama", "Islam", "islam", true);
	READS("penduduk", "status_perkawinan", "Kawin", "kawin", true);
	READS("penduduk", "pendidikan", "SLTA/Sederajat", "slta", true);
	READS("penduduk", "tanggal_lahir", "01/01/1995", "1995-01-01", true);
	READS("penduduk", "rt", "1", "001", true);
	READS("penduduk", "rw", "2", "002", true);
	READS("penduduk", "status", "Hidup", "hidup", true);
	READS("penduduk", "jenis_kelamin", "Laki-laki", "L", true);
	READS("penduduk", "tanggal_lahir", "23 Agustus 2000", "2000-08-23", true);
}

/* ---- dates ---------------------------------------------------------------- */

#define DATE(text, want, rw) READS("penduduk", "tanggal_lahir", text, want, rw)
#define NOT_DATE(text, hint, want) REFUSED("penduduk", "tanggal_lahir", text, hint, want)

static void dates_day_first(void **state)
{
	(void)state;
	DATE("1995-01-01", "1995-01-01", false);
	DATE(" 1995-01-01 ", "1995-01-01", false);
	DATE("01/01/1995", "1995-01-01", true);
	DATE("1/1/1995", "1995-01-01", true);
	DATE("23/08/2000", "2000-08-23", true);
	DATE("23-08-2000", "2000-08-23", true);
	DATE("23.08.2000", "2000-08-23", true);
	DATE("05/11/1987", "1987-11-05", true); /* day first: 5 November, never May 11 */
	DATE("2000-8-3", "2000-08-03", true);
	DATE("2000/08/23", "2000-08-23", true);
	DATE("29/02/2000", "2000-02-29", true);
	DATE("1995-01-01 00:00:00", "1995-01-01", true);
	DATE("01/01/1995 00:00", "1995-01-01", true);
}

static void dates_with_month_names(void **state)
{
	(void)state;
	DATE("23 Agustus 2000", "2000-08-23", true);
	DATE("23 AGUSTUS 2000", "2000-08-23", true);
	DATE("23 Agu 2000", "2000-08-23", true);
	DATE("23 Agt 2000", "2000-08-23", true);
	DATE("23 August 2000", "2000-08-23", true);
	DATE("23 Aug 2000", "2000-08-23", true);
	DATE("23-Aug-2000", "2000-08-23", true);
	DATE("23 Agu. 2000", "2000-08-23", true);
	DATE("August 23, 2000", "2000-08-23", true);
	DATE("1 Januari 1990", "1990-01-01", true);
	DATE("14 Februari 1990", "1990-02-14", true);
	DATE("14 Pebruari 1990", "1990-02-14", true);
	DATE("3 Maret 1990", "1990-03-03", true);
	DATE("3 Mar 1990", "1990-03-03", true);
	DATE("9 April 1990", "1990-04-09", true);
	DATE("5 Mei 2001", "2001-05-05", true);
	DATE("5 May 2001", "2001-05-05", true);
	DATE("30 Juni 1990", "1990-06-30", true);
	DATE("17 Juli 1990", "1990-07-17", true);
	DATE("17 September 1990", "1990-09-17", true);
	DATE("17 Sept 1990", "1990-09-17", true);
	DATE("17 Oktober 1980", "1980-10-17", true);
	DATE("17 Okt 1980", "1980-10-17", true);
	DATE("17 Oct 1980", "1980-10-17", true);
	DATE("10 November 1945", "1945-11-10", true);
	DATE("10 Nopember 1945", "1945-11-10", true);
	DATE("25 Desember 1999", "1999-12-25", true);
	DATE("25 Des 1999", "1999-12-25", true);
	DATE("25 Dec 1999", "1999-12-25", true);
}

static void dates_refused_never_guessed(void **state)
{
	(void)state;
	NOT_DATE("12/31/1995", LB_HINT_MONTH_FIRST, "\"12/31/1995\" is not a date read day first");
	NOT_DATE("02-25-2001", LB_HINT_MONTH_FIRST, "day first");
	NOT_DATE("31/02/2000", LB_HINT_NONE, "\"31/02/2000\" is not a date in the calendar");
	NOT_DATE("29/02/1999", LB_HINT_NONE, "not a date in the calendar");
	NOT_DATE("13/13/2000", LB_HINT_NONE, "not a date in the calendar");
	NOT_DATE("2/30/2000", LB_HINT_NONE, "not a date in the calendar"); /* 30 is no month, 2/30 no day */
	NOT_DATE("32 Agustus 2000", LB_HINT_NONE, "not a date in the calendar");
	NOT_DATE("01/01/95", LB_HINT_NONE, "has a two-digit year");
	NOT_DATE("1 Jan 95", LB_HINT_NONE, "has a two-digit year");
	NOT_DATE("01/01/1850", LB_HINT_NONE, "outside the years 1900-2100");
	NOT_DATE("2000-13-01", LB_HINT_NONE, "not a date in the calendar");
	NOT_DATE("1995", LB_HINT_NONE, "is not a date (DD/MM/YYYY");
	NOT_DATE("35000", LB_HINT_NONE, "is not a date"); /* a spreadsheet's day number */
	NOT_DATE("01-01/1995", LB_HINT_NONE, "is not a date");
	NOT_DATE("01 01 1995", LB_HINT_NONE, "is not a date");
	NOT_DATE("23 Agustusan 2000", LB_HINT_NONE, "is not a date");
	NOT_DATE("1995-01-01 10:30", LB_HINT_NONE, "is not a date");
	NOT_DATE("", LB_HINT_NONE, "is not a date");
}

/* ---- numbers -------------------------------------------------------------- */

static void rupiah_as_written(void **state)
{
	(void)state;
	READS_NUM("program", "anggaran", "1500000", 1500000, false);
	READS_NUM("program", "anggaran", "Rp 1.500.000", 1500000, true);
	READS_NUM("program", "anggaran", "Rp1.500.000,00", 1500000, true);
	READS_NUM("program", "anggaran", "Rp. 2.000.000", 2000000, true);
	READS_NUM("program", "anggaran", "rp 750.000", 750000, true);
	READS_NUM("program", "anggaran", "IDR 1.000", 1000, true);
	READS_NUM("program", "anggaran", "1.500.000,-", 1500000, true);
	READS_NUM("program", "anggaran", "Rp 1.500.000,-", 1500000, true);
	READS_NUM("program", "anggaran", "1.500.000,00", 1500000, true);
	READS_NUM("program", "anggaran", "1.500.000", 1500000, true);
	READS_NUM("program", "anggaran", "1,500,000", 1500000, true);
	READS_NUM("program", "anggaran", "1,500,000.00", 1500000, true);
	READS_NUM("program", "anggaran", "1 500 000", 1500000, true);
	READS_NUM("program", "anggaran", "250000,00", 250000, true);
	READS_NUM("program", "anggaran", " 0 ", 0, false);
	READS_NUM("program", "tahun", "2026", 2026, false);
	READS_NUM("keluarga", "desil", "3", 3, false);
}

static void fractions_and_junk_refused(void **state)
{
	(void)state;
	REFUSED("program", "anggaran", "1.500.000,50", LB_HINT_NONE, "is not a whole number (it has a fraction");
	REFUSED("program", "anggaran", "Rp 1.500.000,5", LB_HINT_NONE, "is not a whole number (it has a fraction");
	REFUSED("program", "anggaran", "1,5", LB_HINT_NONE, "is not a whole number (it has a fraction");
	REFUSED("program", "anggaran", "1.5", LB_HINT_NONE, "is not a whole number (it has a fraction");
	REFUSED("program", "anggaran", "1,500,000.25", LB_HINT_NONE, "is not a whole number (it has a fraction");
	REFUSED("program", "anggaran", "Rp", LB_HINT_NONE, "is not a whole number");
	REFUSED("program", "anggaran", "1.50.000", LB_HINT_NONE, "is not a whole number");
	REFUSED("program", "anggaran", "1.500,000", LB_HINT_NONE, "is not a whole number");
	REFUSED("program", "anggaran", "satu juta", LB_HINT_NONE, "is not a whole number");
	REFUSED("program", "anggaran", "1,5E+06", LB_HINT_NONE, "is not a whole number");
	/* Rp belongs to rupiah fields only */
	REFUSED("program", "tahun", "Rp 2026", LB_HINT_NONE, "is not a whole number");
}

/* ---- digits, NIK, hex, boolean, text ------------------------------------- */

static void digits_padding_and_rounded_niks(void **state)
{
	(void)state;
	READS("penduduk", "rt", "1", "001", true);
	READS("penduduk", "rt", "01", "001", true);
	READS("penduduk", "rt", "12", "012", true);
	READS("penduduk", "rt", "001", "001", false);
	READS("penduduk", "rw", "2", "002", true);
	READS("keluarga", "rt", "7", "007", true);
	/* too long stays as typed: validation refuses it */
	READS("penduduk", "rt", "0001", "0001", false);
	/* nik and no_kk are never padded: that would be a guess */
	READS("penduduk", "no_kk", "3324010101", "3324010101", false);
	READS("penduduk", "nik", "332401120190001", "332401120190001", false);
	READS("penduduk", "nik", "3324011201900001", "3324011201900001", false);
	REFUSED("penduduk", "nik", "3,32401E+15", LB_HINT_SCIENTIFIC,
	        "\"3,32401E+15\" is a rounded number");
	REFUSED("penduduk", "nik", "3.32401E+15", LB_HINT_SCIENTIFIC, "rounded");
	REFUSED("penduduk", "nik", "3.32401e+15", LB_HINT_SCIENTIFIC, "rounded");
	REFUSED("penduduk", "no_kk", "3,32401E+15", LB_HINT_SCIENTIFIC, "rounded");
	REFUSED("penerima", "nik", "3E15", LB_HINT_SCIENTIFIC, "rounded");
}

static void hex_booleans_and_text(void **state)
{
	char up[65], low[65];
	struct lb_value v;
	struct lb_diag d = {0};

	(void)state;
	for (int i = 0; i < 64; i++) {
		up[i] = "0123456789ABCDEF"[i % 16];
		low[i] = "0123456789abcdef"[i % 16];
	}
	up[64] = low[64] = '\0';
	READS("penduduk", "datang_hash", up, low, true);
	READS("penduduk", "datang_hash", low, low, false);

	assert_int_equal(lb_field_read(field("penduduk", "disabilitas"), "Ya", &v, &d), LB_OK);
	assert_true(v.kind == LB_V_BOOL && v.b && v.rewritten);
	assert_int_equal(lb_field_read(field("penduduk", "disabilitas"), "true", &v, &d), LB_OK);
	assert_true(v.kind == LB_V_BOOL && v.b && !v.rewritten);
	assert_int_equal(lb_field_read(field("penduduk", "disabilitas"), " tidak ", &v, &d), LB_OK);
	assert_true(v.kind == LB_V_BOOL && !v.b && v.rewritten);
	REFUSED("penduduk", "disabilitas", "mungkin", LB_HINT_NONE, "is not true/false");

	/* blanks around text go, blanks inside stay; that is no rewrite */
	READS("penduduk", "nama", "  Siti  Aminah \t", "Siti  Aminah", false);
	READS("penduduk", "nama", "\xc2\xa0Siti\xc2\xa0", "Siti", false); /* no-break spaces */
	READS("penduduk", "nama", "ISLAM", "ISLAM", false);               /* text is text */
	/* a CSV cell guarded with ' keeps its blanks */
	assert_int_equal(lb_field_read_ex(field("penduduk", "nama"), " Siti ", LB_READ_KEEP_BLANKS,
	                                  &v, &d), LB_OK);
	assert_true(v.len == 6 && !memcmp(v.str, " Siti ", 6));
	/* ... but an enum or date never has blanks */
	assert_int_equal(lb_field_read_ex(field("penduduk", "agama"), " ISLAM ", LB_READ_KEEP_BLANKS,
	                                  &v, &d), LB_OK);
	assert_true(v.len == 5 && !memcmp(v.str, "islam", 5));

	/* Windows-1252 bytes: refused with the encoding hint */
	REFUSED("penduduk", "nama", "S\xeatiawan", LB_HINT_ENCODING, "is not valid UTF-8");
	REFUSED("penduduk", "agama", "\x96", LB_HINT_ENCODING, "is not valid UTF-8");
	assert_string_not_equal(lb_hint_text(LB_HINT_SCIENTIFIC), "");
	assert_non_null(strstr(lb_hint_text(LB_HINT_ENCODING), "--encoding cp1252"));
	assert_string_equal(lb_hint_text(LB_HINT_NONE), "");
}

/* ---- keys and headers ----------------------------------------------------- */

static void keys_ignore_case_blanks_and_punctuation(void **state)
{
	char a[LB_KEY_MAX], b[LB_KEY_MAX];

	(void)state;
	assert_int_equal(lb_value_key("Belum  Kawin", 12, a, sizeof a), 11);
	assert_string_equal(a, "belum kawin");
	lb_value_key("BELUM_KAWIN", 11, b, sizeof b);
	assert_string_equal(b, "belum kawin");
	lb_value_key("No. KK", 6, a, sizeof a);
	assert_string_equal(a, "no kk");
	lb_value_key("S-1", 3, a, sizeof a);
	lb_value_key("S1", 2, b, sizeof b);
	assert_string_equal(a, "s 1");
	assert_string_equal(b, "s 1");
	lb_value_key("DIPLOMA I/II", 12, a, sizeof a);
	lb_value_key("DIPLOMA III", 11, b, sizeof b);
	assert_string_not_equal(a, b);
	assert_int_equal(lb_value_key("--", 2, a, sizeof a), 0);
	assert_string_equal(a, "");
	/* too long: the length says so, the output stays terminated */
	assert_int_equal(lb_value_key("abcdef", 6, a, 4), 6);
	assert_string_equal(a, "abc");
}

static void headers_matched_loosely(void **state)
{
	const struct lb_type *p = lb_schema_type(S, "penduduk");

	(void)state;
	assert_ptr_equal(lb_type_field_loose(p, "tanggal_lahir"), field("penduduk", "tanggal_lahir"));
	assert_ptr_equal(lb_type_field_loose(p, "Tanggal Lahir"), field("penduduk", "tanggal_lahir"));
	assert_ptr_equal(lb_type_field_loose(p, "TANGGAL_LAHIR"), field("penduduk", "tanggal_lahir"));
	assert_ptr_equal(lb_type_field_loose(p, "No. KK"), field("penduduk", "no_kk"));
	assert_ptr_equal(lb_type_field_loose(p, "NIK"), field("penduduk", "nik"));
	assert_ptr_equal(lb_type_field_loose(p, "Jenis Kelamin"), field("penduduk", "jenis_kelamin"));
	assert_null(lb_type_field_loose(p, "Tgl Lahir"));
	assert_null(lb_type_field_loose(p, "Tanggal Lahirr"));
	assert_null(lb_type_field_loose(p, ""));
	assert_null(lb_type_field_loose(p, "..."));
}

/* ---- the schema file: alias and pad ---------------------------------------- */

static lb_err parse(const char *text, struct lb_schema **s, struct lb_diag *d)
{
	memset(d, 0, sizeof *d);
	return lb_schema_parse(s, text, strlen(text), d);
}

#define HEAD "schema 1\ntype t\n  k string(10) required\n"

static void alias_and_pad_syntax(void **state)
{
	struct lb_schema *s;
	struct lb_diag d;
	const struct lb_field *f;
	struct lb_value v;

	(void)state;
	assert_int_equal(parse(HEAD "  agama enum(islam,katolik)\n"
	                            "    alias katolik: KATHOLIK | Kristen Katolik  # comment\n"
	                            "    alias katolik: KATOLIK ROMA\n"
	                            "  rt digits(3) pad\n"
	                            "  rw digits(3) required pad\n",
	                       &s, &d),
	                 LB_OK);
	f = lb_type_field(&s->types[0], "agama", 5);
	assert_int_equal(f->naliases, 3);
	assert_string_equal(f->alias[0], "KATHOLIK");
	assert_string_equal(f->alias[1], "Kristen Katolik");
	assert_string_equal(f->alias[2], "KATOLIK ROMA");
	assert_int_equal(f->alias_to[2], 1);
	assert_int_equal(lb_field_read(f, "katolik roma", &v, &d), LB_OK);
	assert_true(v.len == 7 && !memcmp(v.str, "katolik", 7));
	assert_true(lb_type_field(&s->types[0], "rt", 2)->pad);
	assert_false(lb_type_field(&s->types[0], "rt", 2)->required);
	assert_true(lb_type_field(&s->types[0], "rw", 2)->pad);
	assert_true(lb_type_field(&s->types[0], "rw", 2)->required);
	assert_false(lb_type_field(&s->types[0], "k", 1)->pad);
	lb_schema_free(s);
}

#define BAD(text, want) bad_(__LINE__, text, want)
static void bad_(int line, const char *text, const char *want)
{
	struct lb_schema *s;
	struct lb_diag d;

	if (parse(text, &s, &d) != LB_EMALFORMED || s)
		fail_msg("line %d: accepted", line);
	if (!strstr(d.msg, want))
		fail_msg("line %d: message \"%s\" lacks \"%s\"", line, d.msg, want);
}

static void spellings_that_read_the_same_are_refused(void **state)
{
	(void)state;
	/* an alias that reads like another value */
	BAD(HEAD "  e enum(kawin,belum_kawin)\n    alias kawin: BELUM KAWIN\n",
	    "schema line 5: alias \"BELUM KAWIN\" of kawin reads the same as \"belum_kawin\"");
	/* two aliases of different values */
	BAD(HEAD "  e enum(a,b)\n    alias a: X Y\n    alias b: x-y\n",
	    "alias \"x-y\" of b reads the same as \"X Y\" of another value");
	/* two values */
	BAD(HEAD "  e enum(a_b,A-B)\n", "schema line 4: enum values a_b and A-B read the same");
	/* what may not be */
	BAD(HEAD "  e string(5)\n    alias x: y\n", "an alias line must follow an enum field");
	BAD("schema 1\ntype t\n    alias x: y\n", "an alias line must follow an enum field");
	BAD(HEAD "  e enum(a,b)\n    alias c: y\n", "alias: \"c\" is not a value of e");
	BAD(HEAD "  e enum(a,b)\n    alias a: y || z\n", "alias of a: an empty spelling");
	BAD(HEAD "  e enum(a,b)\n    alias a: ...\n", "alias of a: an empty spelling");
	BAD(HEAD "  e string(5) pad\n", "pad is only for digits(N) fields");
	BAD(HEAD "  e digits(3) pad pad\n", "expected \"FIELD KIND [required] [pad]\"");
	BAD(HEAD "  e digits(3) optional\n", "expected \"FIELD KIND [required] [pad]\"");
	/* the same spelling twice for one value is harmless */
	{
		struct lb_schema *s;
		struct lb_diag d;
		assert_int_equal(parse(HEAD "  e enum(a,b)\n    alias a: A | a\n", &s, &d), LB_OK);
		lb_schema_free(s);
	}
}

static void aliases_change_reading_only(void **state)
{
	struct lb_schema *plain, *aliased;
	struct lb_diag d;
	struct lb_mp_buf b;
	json_t *j;

	(void)state;
	assert_int_equal(parse(HEAD "  e enum(a,b)\n  r digits(3)\n", &plain, &d), LB_OK);
	assert_int_equal(parse(HEAD "  e enum(a,b)\n    alias a: ALPHA\n  r digits(3) pad\n",
	                       &aliased, &d),
	                 LB_OK);
	assert_true(lb_schema_compatible(plain, aliased, &d));
	assert_true(lb_schema_compatible(aliased, plain, &d));
	/* stored entries are checked against the values alone */
	lb_mp_buf_init(&b);
	assert_non_null(j = json_pack("{s:s, s:s}", "k", "x", "e", "ALPHA"));
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	assert_int_equal(lb_schema_validate(aliased, "t", "x", 1, (const uint8_t *)b.sb.data,
	                                    b.sb.size, NULL, &d),
	                 LB_ESCHEMA);
	json_decref(j);
	lb_mp_buf_reset(&b);
	assert_non_null(j = json_pack("{s:s, s:s}", "k", "x", "r", "1"));
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	assert_int_equal(lb_schema_validate(aliased, "t", "x", 1, (const uint8_t *)b.sb.data,
	                                    b.sb.size, NULL, &d),
	                 LB_ESCHEMA);
	json_decref(j);
	lb_mp_buf_free(&b);
	/* and the built-in schema refuses a stored "ISLAM" as before */
	lb_mp_buf_init(&b);
	assert_non_null(j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "nik", "3324014501900001",
	                              "no_kk", "3324010101900001", "nama", "Siti",
	                              "tanggal_lahir", "1990-01-05", "jenis_kelamin", "P",
	                              "status", "hidup", "agama", "ISLAM"));
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	assert_int_equal(lb_schema_validate(S, "penduduk", "3324014501900001", 16,
	                                    (const uint8_t *)b.sb.data, b.sb.size, NULL, &d),
	                 LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "agama \"ISLAM\" is not one of"));
	json_decref(j);
	lb_mp_buf_free(&b);
	lb_schema_free(plain);
	lb_schema_free(aliased);
}

/* ---- CSV: header map and rows ----------------------------------------------- */

static void csv_header_map(void **state)
{
	char h1[] = "NIK", h2[] = "No. KK", h3[] = "Nama", h4[] = "Tanggal Lahir",
	     h5[] = "JENIS_KELAMIN", h6[] = "Agama", h7[] = "Status", h8[] = "RT",
	     h9[] = "alasan_penolakan";
	char *header[] = {h1, h2, NULL, h3, h4, h5, h6, h7, h8, h9};
	char c1[] = "3324014501900001", c2[] = "3324010101900001", c3[] = "ignored",
	     c4[] = "Siti", c5[] = "05/01/1990", c6[] = "Perempuan", c7[] = "ISLAM",
	     c8[] = "HIDUP", c9[] = "1", c10[] = "row 4: something was wrong";
	char *row[] = {c1, c2, c3, c4, c5, c6, c7, c8, c9, c10};
	struct lb_csv_map *m;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	const char *id;
	size_t id_len;
	json_t *j, *want;

	(void)state;
	assert_int_equal(lb_csv_map_new(&m, S, "penduduk", header, 10, &d), LB_OK);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_csv_row_record(m, row, 10, &id, &id_len, &b, &d), LB_OK);
	assert_true(id_len == 16 && !memcmp(id, "3324014501900001", 16));
	assert_non_null(j = lb_body_to_json(b.sb.data, b.sb.size, NULL));
	assert_non_null(want = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "nik",
	                                 "3324014501900001", "no_kk", "3324010101900001", "nama",
	                                 "Siti", "tanggal_lahir", "1990-01-05", "jenis_kelamin", "P",
	                                 "agama", "islam", "status", "hidup", "rt", "001"));
	if (!json_equal(j, want)) {
		char *got = json_dumps(j, JSON_SORT_KEYS);
		fail_msg("row read as %s", got);
	}
	json_decref(j);
	json_decref(want);
	assert_int_equal(lb_schema_validate(S, "penduduk", id, id_len, (const uint8_t *)b.sb.data,
	                                    b.sb.size, NULL, &d),
	                 LB_OK);
	lb_mp_buf_free(&b);
	lb_csv_map_free(m);
}

static void csv_header_refusals(void **state)
{
	char h1[] = "nik", h2[] = "no_kk", h3[] = "Tgl Lahirr", h4[] = "NIK";
	char *unknown[] = {h1, h2, h3};
	char *twice[] = {h1, h2, h4};
	struct lb_csv_map *m;
	struct lb_diag d = {0};

	(void)state;
	assert_int_equal(lb_csv_map_new(&m, S, "penduduk", unknown, 3, &d), LB_ESCHEMA);
	assert_null(m);
	assert_non_null(strstr(d.msg, "column 3 \"Tgl Lahirr\" is not a field of penduduk; fields: "
	                              "nik, no_kk, nama, tempat_lahir, tanggal_lahir"));
	assert_int_equal(lb_csv_map_new(&m, S, "penduduk", twice, 3, &d), LB_ESCHEMA);
	assert_non_null(strstr(d.msg, "field \"nik\" appears twice in the header (column 3 \"NIK\")"));
}

/* ---- lb_schema_validate_all --------------------------------------------------- */

static lb_err all_of(const char *json, struct lb_diag *d)
{
	struct lb_mp_buf b;
	json_t *j = json_loads(json, 0, NULL);
	lb_err e;

	assert_non_null(j);
	lb_mp_buf_init(&b);
	assert_int_equal(lb_body_from_json(&b, j, NULL), LB_OK);
	memset(d, 0, sizeof *d);
	e = lb_schema_validate_all(S, "penduduk", "3324014501900001", 16, (const uint8_t *)b.sb.data,
	                           b.sb.size, NULL, d);
	json_decref(j);
	lb_mp_buf_free(&b);
	return e;
}

static void validate_all_lists_every_problem(void **state)
{
	struct lb_diag d;

	(void)state;
	assert_int_equal(all_of("{\"nik\":\"3324014501900001\",\"no_kk\":\"3324010101900001\","
	                        "\"nama\":\"Siti\",\"tanggal_lahir\":\"1990-01-05\","
	                        "\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}",
	                        &d),
	                 LB_OK);
	/* three bad fields, in schema order (the body's keys are sorted:
	 * jenis_kelamin, rt, tanggal_lahir) */
	assert_int_equal(all_of("{\"nik\":\"3324014501900001\",\"no_kk\":\"3324010101900001\","
	                        "\"nama\":\"Siti\",\"tanggal_lahir\":\"1990-02-30\","
	                        "\"jenis_kelamin\":\"X\",\"status\":\"hidup\",\"rt\":\"7a\"}",
	                        &d),
	                 LB_ESCHEMA);
	assert_string_equal(d.msg, "tanggal_lahir \"1990-02-30\" is not a date (YYYY-MM-DD, 1900-2100); "
	                           "jenis_kelamin \"X\" is not one of L, P; "
	                           "rt \"7a\" is not exactly 3 digits");
	assert_int_equal(d.code, LB_ESCHEMA);
	/* unknown fields first, then missing required ones, lists, the id */
	assert_int_equal(all_of("{\"nik\":\"3324014501900002\",\"umur\":5,"
	                        "\"nama\":[\"Siti\"],\"tanggal_lahir\":\"1990-01-05\","
	                        "\"jenis_kelamin\":\"P\",\"status\":\"hidup\"}",
	                        &d),
	                 LB_ESCHEMA);
	assert_string_equal(d.msg, "field \"umur\" is not part of penduduk (schema 2); "
	                           "the record id must equal its nik (\"3324014501900002\"); "
	                           "no_kk is required; "
	                           "nama must be a single value, not a list or object");
	/* not a map: at once */
	{
		struct lb_mp_buf b;
		lb_mp_buf_init(&b);
		lb_mp_put_cstr(&b, "x");
		assert_int_equal(lb_schema_validate_all(S, "penduduk", "x", 1, (const uint8_t *)b.sb.data,
		                                        b.sb.size, NULL, &d),
		                 LB_EMALFORMED);
		lb_mp_buf_free(&b);
	}
}

static void validate_all_cuts_with_an_ellipsis(void **state)
{
	struct lb_diag d;
	char json[4096];
	size_t n = 0;

	(void)state;
	/* twenty unknown fields with long names: more than fits */
	n += (size_t)snprintf(json + n, sizeof json - n, "{\"nik\":\"3324014501900001\"");
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(json + n, sizeof json - n,
		                      ",\"a_rather_long_unknown_field_name_%02d\":1", i);
	snprintf(json + n, sizeof json - n, "}");
	assert_int_equal(all_of(json, &d), LB_ESCHEMA);
	assert_true(strlen(d.msg) < LB_DIAG_MAX);
	assert_true(strlen(d.msg) > LB_DIAG_MAX - 80);
	assert_string_equal(d.msg + strlen(d.msg) - 3, "\xe2\x80\xa6");
	assert_true(!strncmp(d.msg, "field \"a_rather_long_unknown_field_name_00\" is not part of", 58));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_office_row_of_the_issue),
		cmocka_unit_test(religions),
		cmocka_unit_test(marital_status),
		cmocka_unit_test(education_dukcapil_list),
		cmocka_unit_test(sex_and_status),
		cmocka_unit_test(dates_day_first),
		cmocka_unit_test(dates_with_month_names),
		cmocka_unit_test(dates_refused_never_guessed),
		cmocka_unit_test(rupiah_as_written),
		cmocka_unit_test(fractions_and_junk_refused),
		cmocka_unit_test(digits_padding_and_rounded_niks),
		cmocka_unit_test(hex_booleans_and_text),
		cmocka_unit_test(keys_ignore_case_blanks_and_punctuation),
		cmocka_unit_test(headers_matched_loosely),
		cmocka_unit_test(alias_and_pad_syntax),
		cmocka_unit_test(spellings_that_read_the_same_are_refused),
		cmocka_unit_test(aliases_change_reading_only),
		cmocka_unit_test(csv_header_map),
		cmocka_unit_test(csv_header_refusals),
		cmocka_unit_test(validate_all_lists_every_problem),
		cmocka_unit_test(validate_all_cuts_with_an_ellipsis),
	};

	if (lb_schema_builtin_init(NULL) || !(S = lb_schema_get(lb_schema_latest())))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
