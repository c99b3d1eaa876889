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

/* Read s (NUL-terminated) as a value of field f.  Blanks around s are
 * removed first.  LB_ESCHEMA naming the field and what was typed (and
 * v->hint for a known trap) when the text cannot be read with certainty.
 * The body still goes through lb_schema_validate. */
lb_err lb_field_read(const struct lb_field *f, const char *s, struct lb_value *v,
                     struct lb_diag *d);

/* The field of t a column header names: exact name first, then compared
 * without regard to case, blanks and punctuation ("Tanggal Lahir",
 * "TANGGAL_LAHIR", "No. KK" name tanggal_lahir and no_kk).  NULL when
 * none does. */
const struct lb_field *lb_type_field_loose(const struct lb_type *t, const char *name);

#endif
