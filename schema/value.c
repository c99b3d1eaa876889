/*
 * value.c — see value.h.
 *
 * Every reader here either rewrites to the stored form what can only mean
 * one thing, or refuses with the field and the typed text named.  Nothing
 * is guessed: a two-digit year, a fraction of a rupiah, a month-first
 * date, digits a spreadsheet rounded away are all refused.
 */
#include "value.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "text.h"

/* ---- keys ------------------------------------------------------------------ */

static bool alnum_ascii(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

size_t lb_value_key(const char *s, size_t n, char *out, size_t cap)
{
	size_t len = 0;
	int prev = 0; /* 0 start/separator, 1 letter, 2 digit */

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int cls = !alnum_ascii(c) ? 0 : (c >= '0' && c <= '9') ? 2 : 1;
		if (!cls) {
			prev = 0;
			continue;
		}
		if (len && prev != cls) { /* a new word: after a separator or letter<->digit */
			if (len + 1 < cap)
				out[len] = ' ';
			len++;
		}
		if (len + 1 < cap)
			out[len] = (char)tolower(c);
		len++;
		prev = cls;
	}
	if (cap)
		out[len < cap ? len : cap - 1] = '\0';
	return len;
}

/* ---- helpers --------------------------------------------------------------- */

static bool blank_at(const char *s, size_t n, size_t i, size_t *w)
{
	if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		*w = 1;
		return true;
	}
	if ((unsigned char)s[i] == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0) {
		*w = 2; /* U+00A0 no-break space, common in pasted cells */
		return true;
	}
	return false;
}

/* s trimmed: *start and *len. */
static void trim_span(const char *s, size_t *start, size_t *len)
{
	size_t n = strlen(s), a = 0, w;

	while (a < n && blank_at(s, n, a, &w))
		a += w;
	while (n > a) {
		if (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')
			n--;
		else if (n - a >= 2 && (unsigned char)s[n - 2] == 0xc2 && (unsigned char)s[n - 1] == 0xa0)
			n -= 2;
		else
			break;
	}
	*start = a;
	*len = n - a;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static int num_of(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static void set_str(struct lb_value *v, const char *s, size_t n, const char *typed, size_t tn)
{
	v->kind = LB_V_STR;
	v->str = s;
	v->len = n;
	v->rewritten = n != tn || memcmp(s, typed, n) != 0;
}

/* A typed value in a message: escaped (peer bytes), at most LB_ESC_SHOW. */
#define SHOWN(s, n) lb_escape(esc, (s), (n))

/* ---- dates ----------------------------------------------------------------- */

/* Month names people write, Indonesian and English, full and short, with
 * the older Indonesian spellings (Pebruari, Nopember). */
static const struct {
	const char *name;
	int month;
} months[] = {
	{"januari", 1},   {"january", 1},   {"jan", 1},     {"februari", 2}, {"pebruari", 2},
	{"february", 2},  {"feb", 2},       {"peb", 2},     {"maret", 3},    {"march", 3},
	{"mar", 3},       {"april", 4},     {"apr", 4},     {"mei", 5},      {"may", 5},
	{"juni", 6},      {"june", 6},      {"jun", 6},     {"juli", 7},     {"july", 7},
	{"jul", 7},       {"agustus", 8},   {"august", 8},  {"agu", 8},      {"agt", 8},
	{"ags", 8},       {"aug", 8},       {"september", 9}, {"sept", 9},   {"sep", 9},
	{"oktober", 10},  {"october", 10},  {"okt", 10},    {"oct", 10},     {"november", 11},
	{"nopember", 11}, {"nov", 11},      {"nop", 11},    {"desember", 12}, {"december", 12},
	{"des", 12},      {"dec", 12},
};

static int month_of(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof months / sizeof months[0]; i++)
		if (strlen(months[i].name) == n && !strncasecmp(months[i].name, s, n))
			return months[i].month;
	return 0;
}

enum date_res { D_OK, D_NOT, D_TWO_DIGIT_YEAR, D_MONTH_FIRST, D_IMPOSSIBLE, D_RANGE };

/* Split into at most 3 tokens at separators (blank - / . ,); *seps gets the
 * separator characters between the tokens (first of each run). */
static size_t date_tokens(const char *s, size_t n, const char **tok, size_t *tl, char *seps)
{
	size_t nt = 0, i = 0;

	while (i < n) {
		size_t st = i;
		while (i < n && strchr(" -/.,", s[i]) == NULL)
			i++;
		if (i == st)
			return 0; /* empty token: two separators, or one at the start */
		if (nt == 3)
			return 4;
		tok[nt] = s + st;
		tl[nt++] = i - st;
		if (i < n) {
			if (nt <= 2)
				seps[nt - 1] = s[i];
			i++;
			while (i < n && s[i] == ' ')
				i++; /* "23 Agu. 2000", "August 23, 2000" */
			if (i == n)
				return 0;
		}
	}
	return nt;
}

static enum date_res read_date(const char *s, size_t n, char out[LB_VALUE_BUF])
{
	const char *tok[3];
	size_t tl[3], nt;
	char seps[2] = {0, 0};
	int y, m, dd, mi;
	bool numeric;

	/* a spreadsheet's date-time at midnight: the date */
	if (n > 11 && !memcmp(s + n - 9, " 00:00:00", 9))
		n -= 9;
	else if (n > 8 && !memcmp(s + n - 6, " 00:00", 6))
		n -= 6;
	nt = date_tokens(s, n, tok, tl, seps);
	if (nt != 3)
		return D_NOT;
	numeric = all_digits(tok[0], tl[0]) && all_digits(tok[1], tl[1]) && all_digits(tok[2], tl[2]);
	if (numeric) {
		if (seps[0] != seps[1] || seps[0] == ' ' || seps[0] == ',')
			return D_NOT;
		if (tl[0] == 4 && tl[1] <= 2 && tl[2] <= 2) { /* year first */
			y = num_of(tok[0], 4);
			m = num_of(tok[1], tl[1]);
			dd = num_of(tok[2], tl[2]);
			if (seps[0] == '.')
				return D_NOT;
		} else if (tl[0] <= 2 && tl[1] <= 2 && (tl[2] == 4 || tl[2] == 2)) {
			if (tl[2] == 2)
				return D_TWO_DIGIT_YEAR;
			dd = num_of(tok[0], tl[0]);
			m = num_of(tok[1], tl[1]);
			y = num_of(tok[2], 4);
			if (m > 12 && dd >= 1 && dd <= 12 && m <= lb_days_in_month(y, dd))
				return D_MONTH_FIRST;
		} else {
			return D_NOT;
		}
	} else if (all_digits(tok[0], tl[0]) && tl[0] <= 2 && (mi = month_of(tok[1], tl[1])) &&
	           all_digits(tok[2], tl[2])) {
		/* 23 Agustus 2000 */
		dd = num_of(tok[0], tl[0]);
		m = mi;
		if (tl[2] != 4)
			return tl[2] == 2 ? D_TWO_DIGIT_YEAR : D_NOT;
		y = num_of(tok[2], 4);
	} else if ((mi = month_of(tok[0], tl[0])) && all_digits(tok[1], tl[1]) && tl[1] <= 2 &&
	           all_digits(tok[2], tl[2])) {
		/* August 23, 2000: the month is a name, so the order is certain */
		dd = num_of(tok[1], tl[1]);
		m = mi;
		if (tl[2] != 4)
			return tl[2] == 2 ? D_TWO_DIGIT_YEAR : D_NOT;
		y = num_of(tok[2], 4);
	} else {
		return D_NOT;
	}
	if (m < 1 || m > 12 || dd < 1 || dd > lb_days_in_month(y, m))
		return D_IMPOSSIBLE;
	if (y < 1900 || y > 2100)
		return D_RANGE;
	snprintf(out, LB_VALUE_BUF, "%04d-%02d-%02d", y, m, dd);
	return D_OK;
}

/* ---- numbers --------------------------------------------------------------- */

enum num_res { N_OK, N_NOT, N_FRACTION };

/* A whole number as people and spreadsheets write it (value.h). */
static enum num_res read_number(const char *s, size_t n, bool rupiah, int64_t *out)
{
	char digits[24];
	size_t nd = 0, i = 0, group = 0, ngroups = 0;
	char gsep = 0;
	bool neg = false;

	if (rupiah) {
		if (n >= 2 && !strncasecmp(s, "rp", 2))
			i = 2;
		else if (n >= 3 && !strncasecmp(s, "idr", 3))
			i = 3;
		if (i && i < n && s[i] == '.')
			i++;
		while (i < n && s[i] == ' ')
			i++;
	}
	/* ",-" after whole rupiah (1.500.000,-) */
	if (n - i >= 3 && (s[n - 1] == '-') && (s[n - 2] == ',' || s[n - 2] == '.'))
		n -= 2;
	if (i < n && s[i] == '-') {
		neg = true;
		i++;
	}
	if (i == n || !isdigit((unsigned char)s[i]))
		return N_NOT;
	/* the fraction: the last '.' or ',' followed by 1 or 2 digits to the end,
	 * when it is not the grouping mark (differs from an earlier mark, or
	 * there is no earlier one) */
	size_t end = n;
	for (size_t k = n; k > i; k--) {
		char c = s[k - 1];
		if (c == '.' || c == ',') {
			size_t fl = n - k;
			bool other_before = false, same_before = false;
			for (size_t j = i; j < k - 1; j++) {
				if (s[j] == '.' || s[j] == ',' || s[j] == ' ') {
					if (s[j] == c)
						same_before = true;
					else
						other_before = true;
				}
			}
			if (fl >= 1 && fl <= 2 && all_digits(s + k, fl) && !same_before &&
			    (other_before || fl != 3)) {
				if (strspn(s + k, "0") != fl)
					return N_FRACTION;
				end = k - 1;
			}
			break;
		}
		if (!isdigit((unsigned char)c))
			break; /* a blank of 1 500 000: the grouping is checked below */
	}
	if (neg)
		digits[nd++] = '-';
	for (; i < end; i++) {
		char c = s[i];
		if (isdigit((unsigned char)c)) {
			if (nd + 1 >= sizeof digits)
				return N_NOT;
			digits[nd++] = c;
			group++;
			continue;
		}
		if ((c != '.' && c != ',' && c != ' ') || (gsep && c != gsep) || group == 0 ||
		    group > 3 || (ngroups && group != 3))
			return N_NOT;
		gsep = c;
		group = 0;
		ngroups++;
	}
	if (gsep && group != 3)
		return N_NOT;
	digits[nd] = '\0';
	errno = 0;
	char *e;
	long long x = strtoll(digits, &e, 10);
	if (*e || errno == ERANGE || nd == (size_t)neg)
		return N_NOT;
	*out = x;
	return N_OK;
}

/* 3,32401E+15 / 3.32401e+15 / 3E+15: digits a spreadsheet showed as a
 * rounded number. */
static bool scientific(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i == 0)
		return false;
	if (i < n && (s[i] == ',' || s[i] == '.')) {
		i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	}
	if (i >= n || (s[i] != 'e' && s[i] != 'E'))
		return false;
	i++;
	if (i < n && s[i] == '+')
		i++;
	return i < n && all_digits(s + i, n - i);
}

/* ---- the reader ------------------------------------------------------------ */

lb_err lb_field_read(const struct lb_field *f, const char *s, struct lb_value *v,
                     struct lb_diag *d)
{
	return lb_field_read_ex(f, s, 0, v, d);
}

lb_err lb_field_read_ex(const struct lb_field *f, const char *s, unsigned flags,
                        struct lb_value *v, struct lb_diag *d)
{
	char esc[LB_ESC_BUF], rule[256];
	size_t a, n;
	const char *t;

	memset(v, 0, sizeof *v);
	if (!lb_utf8_valid(s, strlen(s))) {
		v->hint = LB_HINT_ENCODING;
		return lb_fail(d, LB_ESCHEMA, "%s \"%s\" is not valid UTF-8 text", f->name,
		               SHOWN(s, strlen(s)));
	}
	if ((flags & LB_READ_KEEP_BLANKS) && (f->kind == LB_K_STRING || f->kind == LB_K_TEXT)) {
		set_str(v, s, strlen(s), s, strlen(s));
		return LB_OK;
	}
	trim_span(s, &a, &n);
	t = s + a;
	switch (f->kind) {
	case LB_K_ENUM: {
		char key[LB_KEY_MAX], k2[LB_KEY_MAX];
		size_t kn;

		for (size_t i = 0; i < f->nvalues; i++)
			if (strlen(f->values[i]) == n && !memcmp(f->values[i], t, n)) {
				set_str(v, f->values[i], n, t, n);
				return LB_OK;
			}
		kn = lb_value_key(t, n, key, sizeof key);
		for (size_t i = 0; kn && kn < sizeof key && i < f->nvalues + f->naliases; i++) {
			const char *o = i < f->nvalues ? f->values[i] : f->alias[i - f->nvalues];
			const char *val = i < f->nvalues ? o : f->values[f->alias_to[i - f->nvalues]];
			if (lb_value_key(o, strlen(o), k2, sizeof k2) == kn && !memcmp(key, k2, kn)) {
				set_str(v, val, strlen(val), t, n);
				return LB_OK;
			}
		}
		lb_field_describe(f, rule, sizeof rule);
		return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not %s", f->name, (int)LB_ESC_BUF,
		               SHOWN(t, n), rule);
	}
	case LB_K_DATE:
		switch (read_date(t, n, v->buf)) {
		case D_OK:
			set_str(v, v->buf, 10, t, n);
			return LB_OK;
		case D_TWO_DIGIT_YEAR:
			return lb_fail(d, LB_ESCHEMA,
			               "%s \"%s\" has a two-digit year: write the year in full (DD/MM/YYYY)",
			               f->name, SHOWN(t, n));
		case D_MONTH_FIRST:
			v->hint = LB_HINT_MONTH_FIRST;
			return lb_fail(d, LB_ESCHEMA,
			               "%s \"%s\" is not a date read day first (DD/MM/YYYY): there is no "
			               "month over 12",
			               f->name, SHOWN(t, n));
		case D_IMPOSSIBLE:
			return lb_fail(d, LB_ESCHEMA, "%s \"%s\" is not a date in the calendar", f->name,
			               SHOWN(t, n));
		case D_RANGE:
			return lb_fail(d, LB_ESCHEMA, "%s \"%s\" is outside the years 1900-2100", f->name,
			               SHOWN(t, n));
		default:
			return lb_fail(d, LB_ESCHEMA,
			               "%s \"%s\" is not a date (DD/MM/YYYY, YYYY-MM-DD or 23 Agustus 2000)",
			               f->name, SHOWN(t, n));
		}
	case LB_K_INTEGER:
	case LB_K_RUPIAH:
		switch (read_number(t, n, f->kind == LB_K_RUPIAH, &v->num)) {
		case N_OK:
			v->kind = LB_V_NUM;
			snprintf(v->buf, sizeof v->buf, "%lld", (long long)v->num);
			v->rewritten = strlen(v->buf) != n || memcmp(v->buf, t, n) != 0;
			return LB_OK;
		case N_FRACTION:
			return lb_fail(d, LB_ESCHEMA, "%s \"%s\" is not a whole number (it has a fraction other than zero)",
			               f->name, SHOWN(t, n));
		default:
			return lb_fail(d, LB_ESCHEMA,
			               "%s \"%s\" is not a whole number (1500000, 1.500.000 or "
			               "1,500,000; no decimals)",
			               f->name, SHOWN(t, n));
		}
	case LB_K_BOOLEAN: {
		bool is_num, is_bool, b;
		int64_t x;
		char buf[16];
		lb_err e;

		if (n >= sizeof buf)
			return lb_fail(d, LB_ESCHEMA, "%s \"%s\" is not true/false (or ya/tidak)", f->name,
			               SHOWN(t, n));
		memcpy(buf, t, n);
		buf[n] = '\0';
		if ((e = lb_field_parse_text(f, buf, &is_num, &x, &is_bool, &b, d)))
			return e;
		v->kind = LB_V_BOOL;
		v->b = b;
		v->rewritten = strcmp(buf, b ? "true" : "false") != 0;
		return LB_OK;
	}
	case LB_K_DIGITS:
	case LB_K_NIK:
		if (scientific(t, n)) {
			v->hint = LB_HINT_SCIENTIFIC;
			return lb_fail(d, LB_ESCHEMA,
			               "%s \"%s\" is a rounded number, not the digits: the spreadsheet "
			               "lost them",
			               f->name, SHOWN(t, n));
		}
		if (f->kind == LB_K_DIGITS && f->pad && all_digits(t, n) && (int64_t)n < f->max &&
		    f->max < (int64_t)sizeof v->buf) {
			size_t z = (size_t)f->max - n;
			memset(v->buf, '0', z);
			memcpy(v->buf + z, t, n);
			set_str(v, v->buf, (size_t)f->max, t, n);
			return LB_OK;
		}
		set_str(v, t, n, t, n);
		return LB_OK;
	case LB_K_HEX:
		if ((int64_t)n == f->max && n <= sizeof v->buf) {
			for (size_t i = 0; i < n; i++)
				v->buf[i] = (char)tolower((unsigned char)t[i]);
			set_str(v, v->buf, n, t, n);
			return LB_OK;
		}
		set_str(v, t, n, t, n);
		return LB_OK;
	default:
		set_str(v, t, n, t, n);
		return LB_OK;
	}
}

const char *lb_hint_text(enum lb_hint h)
{
	switch (h) {
	case LB_HINT_SCIENTIFIC:
		return _("a spreadsheet showed NIK or KK numbers as 3.32401E+15 and lost their last "
		         "digits: format the column as Text before pasting or typing, then export "
		         "again");
	case LB_HINT_MONTH_FIRST:
		return _("dates are read day first (DD/MM/YYYY, as in Indonesia): a date like "
		         "12/31/1995 was written month first");
	case LB_HINT_ENCODING:
		return _("the file is not UTF-8 (probably Windows-1252): read it with --encoding "
		         "cp1252, convert it with iconv, or save it as \"CSV UTF-8\"");
	default:
		return "";
	}
}

/* ---- headers --------------------------------------------------------------- */

const struct lb_field *lb_type_field_loose(const struct lb_type *t, const char *name)
{
	char key[LB_KEY_MAX], k2[LB_KEY_MAX];
	const struct lb_field *f = lb_type_field(t, name, strlen(name));
	size_t kn;

	if (f)
		return f;
	kn = lb_value_key(name, strlen(name), key, sizeof key);
	if (kn == 0 || kn >= sizeof key)
		return NULL;
	for (size_t i = 0; i < t->nfields; i++)
		if (lb_value_key(t->fields[i].name, t->fields[i].name_len, k2, sizeof k2) == kn &&
		    !memcmp(key, k2, kn))
			return &t->fields[i];
	return NULL;
}
