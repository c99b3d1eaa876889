/*
 * value.h — reading what a clerk types into a field: forgiving, never
 * guessing.
 *
 * One reader for every way text becomes a field value (CSV cells of
 * `lumbung import`, field=value arguments of `lumbung put`), so both
 * trim and normalise the same way.  What is certain is rewritten to the
 * stored form (enum spellings from the schema's alias tables, day-first
 * dates, RT/RW padding, rupiah with Rp and grouping); what is not certain
 * is refused with a message naming the field, and known traps carry a
 * hint code the caller can explain once (docs/SCHEMA.md).
 *
 * Thread safety: pure functions over an immutable schema.
 */
#ifndef LB_VALUE_H
#define LB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "schema.h"

/* Known traps behind a refusal: the caller prints one explanation per
 * kind (e.g. once per import), not one per row. */
enum lb_hint {
	LB_HINT_NONE = 0,
	LB_HINT_SCIENTIFIC,  /* digits shown as 3,32401E+15: a spreadsheet turned the
	                        NIK/KK column into numbers */
	LB_HINT_MONTH_FIRST, /* impossible day-first, possible month-first (12/31/1995) */
	LB_HINT_ENCODING,    /* not UTF-8: likely a Windows-1252 file */
	LB_HINT__COUNT
};

enum lb_value_kind { LB_V_STR, LB_V_NUM, LB_V_BOOL };

#define LB_VALUE_BUF 64

/* A value read from text.  str points into buf, into the schema (an enum's
 * canonical value) or into the input; valid while those are. */
struct lb_value {
	enum lb_value_kind kind;
	int64_t num;          /* LB_V_NUM */
	bool b;               /* LB_V_BOOL */
	const char *str;      /* LB_V_STR: the text to store (not NUL-terminated) */
	size_t len;
	bool rewritten;       /* what is stored differs from what was typed, beyond
	                         blanks around it (for "agama: ISLAM -> islam") */
	enum lb_hint hint;    /* set on a refusal that is a known trap */
	char buf[LB_VALUE_BUF];
};

/* Read s (NUL-terminated) as a value of field f.  Blanks around s
 * (space, tab, CR, LF, no-break space) are removed first.  LB_ESCHEMA
 * naming the field and what was typed (and v->hint for a known trap) when
 * the text cannot be read with certainty.  The body still goes through
 * lb_schema_validate.  By kind:
 *   enum      exact value; else compared as lb_value_key, with the field's
 *             alias spellings (schema file): "BELUM KAWIN" -> belum_kawin,
 *             "Katholik" -> katolik
 *   date      YYYY-MM-DD (also YYYY/MM/DD), DD/MM/YYYY, DD-MM-YYYY,
 *             DD.MM.YYYY (day and month 1 or 2 digits), "23 Agustus 2000",
 *             "23 Agu 2000", "23 August 2000", "23-Aug-2000", "August 23,
 *             2000"; a time of 00:00[:00] after it is dropped.  Always day
 *             first; two-digit years refused; 12/31/1995 refused with
 *             LB_HINT_MONTH_FIRST
 *   integer,  1500000, 1.500.000, 1,500,000, 1 500 000, with a zero
 *   rupiah    fraction (",00", ".00", ",-"); rupiah also after "Rp", "Rp.",
 *             "IDR"; a fraction other than zero is refused
 *   digits,   3,32401E+15 refused with LB_HINT_SCIENTIFIC; a digits field
 *   nik       marked pad gets zeros in front (rt 1 -> 001)
 *   hex       upper case is lowered
 *   boolean   as lb_field_parse_text (true/false, ya/tidak, y/n, 1/0)
 *   others    the trimmed text
 * Text that is not UTF-8 is refused with LB_HINT_ENCODING. */
lb_err lb_field_read(const struct lb_field *f, const char *s, struct lb_value *v,
                     struct lb_diag *d);

/* Flags of lb_field_read_ex. */
#define LB_READ_KEEP_BLANKS 1u /* string and text fields: s is the exact text (a
                                  CSV cell already trimmed, or guarded with a '
                                  to keep its blanks); other kinds still trim */

/* lb_field_read with flags (LB_READ_...). */
lb_err lb_field_read_ex(const struct lb_field *f, const char *s, unsigned flags,
                        struct lb_value *v, struct lb_diag *d);

/* One sentence explaining a hint to a person, in the current language
 * (static or catalogue memory), e.g. for LB_HINT_SCIENTIFIC "a spreadsheet
 * showed the NIK/KK numbers as 3.32401E+15 ...".  "" for LB_HINT_NONE. */
const char *lb_hint_text(enum lb_hint h);

/* The key text is compared by, for enum spellings and column headers: the
 * runs of ASCII letters and digits of s[0..n), lower-cased, joined by one
 * blank; everything else (case, blanks, punctuation, a letter-digit
 * boundary) only separates.  "Belum Kawin", "BELUM_KAWIN" and
 * "belum-kawin" are "belum kawin"; "No. KK" is "no kk"; "S1" and "S-1" are
 * "s 1".  (Punctuation separates rather than vanishes so that
 * "DIPLOMA I/II" and "DIPLOMA III" stay apart.)  Writes at most cap bytes
 * (NUL-terminated) and returns the key's length; a return >= cap means it
 * did not fit. */
#define LB_KEY_MAX 128
size_t lb_value_key(const char *s, size_t n, char *out, size_t cap);

/* The field of t a column header names: exact name first, then compared
 * without regard to case, blanks and punctuation ("Tanggal Lahir",
 * "TANGGAL_LAHIR", "No. KK" name tanggal_lahir and no_kk).  NULL when
 * none does. */
const struct lb_field *lb_type_field_loose(const struct lb_type *t, const char *name);

#endif
