/*
 * schema.c — parsing schema files and validating record bodies.
 *
 * The schema files are small and read once, so the parser favours clear
 * error messages over speed.  Validation runs on every write and every
 * received entry, so it walks the body once with the bounded msgpack
 * reader, looks each key up among the type's fields, and checks the value
 * in place without allocating.
 */
#include "schema.h"
#include "i18n.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp.h"
#include "text.h"
#include "value.h"

#define RUPIAH_MAX 1000000000000000LL /* 10^15: more than any village budget */

/* ---- parsing ------------------------------------------------------------ */

static void free_type(struct lb_type *t)
{
	for (size_t i = 0; i < t->nfields; i++) {
		struct lb_field *f = &t->fields[i];
		for (size_t k = 0; k < f->nvalues; k++)
			free(f->values[k]);
		free(f->values);
		for (size_t k = 0; k < f->naliases; k++)
			free(f->alias[k]);
		free(f->alias);
		free(f->alias_to);
		free(f->name);
		free(f->ref);
	}
	free(t->fields);
	free(t->name);
	free(t->id_field);
}

void lb_schema_free(struct lb_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ntypes; i++)
		free_type(&s->types[i]);
	free(s->types);
	free(s);
}

static char *dupn(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static bool field_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
			return false;
	return true;
}

/* Parse "[-]digits" fully into *v. */
static bool parse_i64(const char *s, size_t n, int64_t *v)
{
	char buf[24], *end;
	long long x;

	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	for (size_t i = (buf[0] == '-'); i < n; i++)
		if (!isdigit((unsigned char)buf[i]))
			return false;
	errno = 0;
	x = strtoll(buf, &end, 10);
	if (*end || errno == ERANGE) /* beyond 64 bits: refuse, do not clamp */
		return false;
	*v = x;
	return true;
}

/* KIND token, e.g. "integer(1..10)", into f. */
static lb_err parse_kind(struct lb_field *f, const char *s, size_t n, struct lb_diag *d)
{
	static const struct {
		const char *name;
		enum lb_kind kind;
		int arg; /* 0 none, 1 number, 2 range, 3 list, 4 type */
	} kinds[] = {
		{"string", LB_K_STRING, 1},  {"text", LB_K_TEXT, 1},     {"integer", LB_K_INTEGER, 2},
		{"rupiah", LB_K_RUPIAH, 0},  {"date", LB_K_DATE, 0},     {"period", LB_K_PERIOD, 0},
		{"enum", LB_K_ENUM, 3},      {"boolean", LB_K_BOOLEAN, 0}, {"digits", LB_K_DIGITS, 1},
		{"nik", LB_K_NIK, 0},        {"ref", LB_K_REF, 4},       {"region", LB_K_REGION, 0},
		{"hex", LB_K_HEX, 1},
	};
	const char *open = memchr(s, '(', n), *arg = NULL;
	size_t kn = open ? (size_t)(open - s) : n, an = 0;

	if (open) {
		if (s[n - 1] != ')')
			return lb_fail(d, LB_EMALFORMED, "kind \"%.*s\" lacks a closing parenthesis",
			               (int)n, s);
		arg = open + 1;
		an = n - kn - 2;
	}
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strlen(kinds[i].name) != kn || memcmp(kinds[i].name, s, kn) != 0)
			continue;
		f->kind = kinds[i].kind;
		if ((kinds[i].arg == 0) != (arg == NULL))
			return lb_fail(d, LB_EMALFORMED, "kind %s %s in parentheses", kinds[i].name,
			               kinds[i].arg ? "needs an argument" : "takes no argument");
		switch (kinds[i].arg) {
		case 1:
			if (!parse_i64(arg, an, &f->max) || f->max < 1)
				return lb_fail(d, LB_EMALFORMED, "%s needs a positive size", kinds[i].name);
			f->min = f->kind == LB_K_DIGITS || f->kind == LB_K_HEX ? f->max : 0;
			return LB_OK;
		case 2: {
			const char *dots = NULL;
			for (size_t k = 0; k + 1 < an; k++)
				if (arg[k] == '.' && arg[k + 1] == '.') {
					dots = arg + k;
					break;
				}
			if (!dots || !parse_i64(arg, (size_t)(dots - arg), &f->min) ||
			    !parse_i64(dots + 2, an - (size_t)(dots - arg) - 2, &f->max) || f->min > f->max)
				return lb_fail(d, LB_EMALFORMED, "integer needs a range MIN..MAX");
			return LB_OK;
		}
		case 3: {
			size_t start = 0;
			for (size_t k = 0; k <= an; k++) {
				if (k < an && arg[k] != ',')
					continue;
				char **nv = realloc(f->values, (f->nvalues + 1) * sizeof *nv);
				if (!nv)
					return lb_fail(d, LB_ENOMEM, "out of memory");
				f->values = nv;
				if (k == start || !(f->values[f->nvalues] = dupn(arg + start, k - start)))
					return lb_fail(d, k == start ? LB_EMALFORMED : LB_ENOMEM,
					               "enum has an empty value");
				f->nvalues++;
				start = k + 1;
			}
			return LB_OK;
		}
		case 4:
			if (!(f->ref = dupn(arg, an)) || lb_type_check(f->ref, d))
				return lb_fail(d, LB_EMALFORMED, "ref needs a type name");
			return LB_OK;
		default:
			return LB_OK;
		}
	}
	return lb_fail(d, LB_EMALFORMED, "unknown kind \"%.*s\"", (int)n, s);
}

/* Split line into up to max whitespace-separated tokens. */
static size_t tokens(const char *line, size_t len, const char **tok, size_t *tlen, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len && n < max + 1) {
		while (i < len && isspace((unsigned char)line[i]))
			i++;
		if (i == len)
			break;
		size_t st = i;
		while (i < len && !isspace((unsigned char)line[i]))
			i++;
		if (n < max) {
			tok[n] = line + st;
			tlen[n] = i - st;
		}
		n++;
	}
	return n;
}

/* Does spelling (n bytes) read as a value other than to?  The spellings of
 * an enum field (its values and aliases) must stay apart once case, blanks
 * and punctuation are ignored (value.h), or reading text would be a guess.
 * Returns the conflicting spelling, or NULL. */
static const char *spelling_clash(const struct lb_field *f, const char *spelling, size_t n,
                                  size_t to)
{
	char k1[LB_KEY_MAX], k2[LB_KEY_MAX];
	size_t n1 = lb_value_key(spelling, n, k1, sizeof k1);

	for (size_t i = 0; i < f->nvalues + f->naliases; i++) {
		const char *o = i < f->nvalues ? f->values[i] : f->alias[i - f->nvalues];
		size_t ot = i < f->nvalues ? i : f->alias_to[i - f->nvalues];
		if (ot != to && lb_value_key(o, strlen(o), k2, sizeof k2) == n1 && !memcmp(k1, k2, n1))
			return o;
	}
	return NULL;
}

/* "alias VALUE: SPELLING | SPELLING ..." under an enum field line: other
 * ways people write VALUE, accepted from text input (value.h). */
static lb_err parse_alias(struct lb_type *t, const char *line, size_t len, struct lb_diag *d)
{
	struct lb_field *f = t && t->nfields ? &t->fields[t->nfields - 1] : NULL;
	const char *p = line, *end = line + len, *colon;
	size_t to;

	if (!f || f->kind != LB_K_ENUM)
		return lb_fail(d, LB_EMALFORMED, "an alias line must follow an enum field");
	while (p < end && isspace((unsigned char)*p))
		p++;
	p += 5; /* "alias" */
	colon = memchr(p, ':', (size_t)(end - p));
	while (p < colon && isspace((unsigned char)*p))
		p++;
	for (to = 0; to < f->nvalues; to++)
		if (strlen(f->values[to]) == (size_t)(colon - p) && !memcmp(f->values[to], p, (size_t)(colon - p)))
			break;
	if (to == f->nvalues)
		return lb_fail(d, LB_EMALFORMED, "alias: \"%.*s\" is not a value of %s", (int)(colon - p),
		               p, f->name);
	for (p = colon + 1; p <= end;) {
		const char *bar = memchr(p, '|', (size_t)(end - p)), *st = p, *q;
		const char *clash;
		char **na;
		size_t *nt;
		char key[LB_KEY_MAX];

		q = bar ? bar : end;
		p = q + 1;
		while (st < q && isspace((unsigned char)*st))
			st++;
		while (q > st && isspace((unsigned char)q[-1]))
			q--;
		if (q == st || lb_value_key(st, (size_t)(q - st), key, sizeof key) == 0)
			return lb_fail(d, LB_EMALFORMED, "alias of %s: an empty spelling", f->values[to]);
		if (lb_value_key(st, (size_t)(q - st), key, sizeof key) >= sizeof key)
			return lb_fail(d, LB_EMALFORMED, "alias of %s: spelling too long", f->values[to]);
		if ((clash = spelling_clash(f, st, (size_t)(q - st), to)))
			return lb_fail(d, LB_EMALFORMED,
			               "alias \"%.*s\" of %s reads the same as \"%s\" of another value",
			               (int)(q - st), st, f->values[to], clash);
		if (!(na = realloc(f->alias, (f->naliases + 1) * sizeof *na)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		f->alias = na;
		if (!(nt = realloc(f->alias_to, (f->naliases + 1) * sizeof *nt)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		f->alias_to = nt;
		if (!(f->alias[f->naliases] = dupn(st, (size_t)(q - st))))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		f->alias_to[f->naliases++] = to;
		if (!bar)
			break;
	}
	return LB_OK;
}

static bool is_alias_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i > 0 && len - i > 5 && !memcmp(line + i, "alias", 5) &&
	       isspace((unsigned char)line[i + 5]) && memchr(line, ':', len);
}

static lb_err parse_line(struct lb_schema *s, const char *line, size_t len, bool *have_version,
                         struct lb_diag *d)
{
	const char *tok[4];
	size_t tl[4], nt = tokens(line, len, tok, tl, 4);
	struct lb_type *t = s->ntypes ? &s->types[s->ntypes - 1] : NULL;
	lb_err e;

	if (nt == 0)
		return LB_OK;
	if (!*have_version) {
		int64_t v;
		if (nt != 2 || tl[0] != 6 || memcmp(tok[0], "schema", 6) != 0 ||
		    !parse_i64(tok[1], tl[1], &v) || v < 1 || v > UINT32_MAX)
			return lb_fail(d, LB_EMALFORMED, "the first line must be \"schema N\"");
		s->version = (uint32_t)v;
		*have_version = true;
		return LB_OK;
	}
	if (!isspace((unsigned char)line[0])) {
		struct lb_type *nt_;
		if (nt < 2 || nt > 3 || tl[0] != 4 || memcmp(tok[0], "type", 4) != 0)
			return lb_fail(d, LB_EMALFORMED, "expected \"type NAME [id=FIELD]\"");
		if (!(nt_ = realloc(s->types, (s->ntypes + 1) * sizeof *nt_)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		s->types = nt_;
		t = &s->types[s->ntypes++];
		memset(t, 0, sizeof *t);
		if (!(t->name = dupn(tok[1], tl[1])))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		if ((e = lb_type_check(t->name, d)))
			return lb_fail(d, LB_EMALFORMED, "bad type name \"%s\"", t->name);
		for (size_t i = 0; i + 1 < s->ntypes; i++)
			if (!strcmp(s->types[i].name, t->name))
				return lb_fail(d, LB_EMALFORMED, "type %s defined twice", t->name);
		if (nt == 3) {
			if (tl[2] < 4 || memcmp(tok[2], "id=", 3) != 0)
				return lb_fail(d, LB_EMALFORMED, "expected id=FIELD after the type name");
			if (!(t->id_field = dupn(tok[2] + 3, tl[2] - 3)))
				return lb_fail(d, LB_ENOMEM, "out of memory");
		}
		return LB_OK;
	}
	/* an indented field line, or an alias line under one */
	if (!t)
		return lb_fail(d, LB_EMALFORMED, "a field line before any \"type\" line");
	if (is_alias_line(line, len))
		return parse_alias(t, line, len, d);
	bool required = false, pad = false;
	for (size_t k = 2; k < nt && k < 4; k++) {
		if (tl[k] == 8 && !memcmp(tok[k], "required", 8) && !required)
			required = true;
		else if (tl[k] == 3 && !memcmp(tok[k], "pad", 3) && !pad)
			pad = true;
		else
			nt = 5; /* refused below */
	}
	if (nt < 2 || nt > 4)
		return lb_fail(d, LB_EMALFORMED, "expected \"FIELD KIND [required] [pad]\"");
	if (!field_name_ok(tok[0], tl[0]))
		return lb_fail(d, LB_EMALFORMED, "bad field name \"%.*s\"", (int)tl[0], tok[0]);
	if (lb_type_field(t, tok[0], tl[0]))
		return lb_fail(d, LB_EMALFORMED, "field %.*s defined twice", (int)tl[0], tok[0]);
	{
		struct lb_field *nf = realloc(t->fields, (t->nfields + 1) * sizeof *nf), *f;
		if (!nf)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		t->fields = nf;
		f = &t->fields[t->nfields++];
		memset(f, 0, sizeof *f);
		if (!(f->name = dupn(tok[0], tl[0])))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		f->name_len = tl[0];
		f->required = required;
		f->pad = pad;
		if ((e = parse_kind(f, tok[1], tl[1], d)))
			return e;
		if (pad && f->kind != LB_K_DIGITS)
			return lb_fail(d, LB_EMALFORMED, "pad is only for digits(N) fields");
		for (size_t k = 0; k < f->nvalues; k++) {
			const char *clash = spelling_clash(f, f->values[k], strlen(f->values[k]), k);
			if (clash)
				return lb_fail(d, LB_EMALFORMED,
				               "enum values %s and %s read the same when typed",
				               f->values[k], clash);
		}
		return LB_OK;
	}
}

/* Cross-checks once the whole file is read. */
static lb_err check_schema(const struct lb_schema *s, struct lb_diag *d)
{
	if (s->ntypes == 0)
		return lb_fail(d, LB_EMALFORMED, "no types defined");
	for (size_t i = 0; i < s->ntypes; i++) {
		const struct lb_type *t = &s->types[i];
		if (t->nfields == 0)
			return lb_fail(d, LB_EMALFORMED, "type %s has no fields", t->name);
		if (t->id_field) {
			const struct lb_field *f = lb_type_field(t, t->id_field, strlen(t->id_field));
			if (!f || !f->required ||
			    !(f->kind == LB_K_STRING || f->kind == LB_K_DIGITS || f->kind == LB_K_NIK ||
			      f->kind == LB_K_REGION))
				return lb_fail(d, LB_EMALFORMED,
				               "type %s: id=%s must name a required string, digits or nik field",
				               t->name, t->id_field);
		}
		for (size_t k = 0; k < t->nfields; k++)
			if (t->fields[k].kind == LB_K_REF && !lb_schema_type(s, t->fields[k].ref))
				return lb_fail(d, LB_EMALFORMED, "type %s: field %s refers to unknown type %s",
				               t->name, t->fields[k].name, t->fields[k].ref);
	}
	return LB_OK;
}

lb_err lb_schema_parse(struct lb_schema **out, const char *text, size_t len, struct lb_diag *d)
{
	struct lb_schema *s = calloc(1, sizeof *s);
	bool have_version = false;
	size_t i = 0, lineno = 0;
	lb_err e = LB_OK;

	*out = NULL;
	if (!s)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	while (i < len && !e) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i), *hash;
		size_t ll = nl ? (size_t)(nl - line) : len - i;

		i += ll + 1;
		lineno++;
		if ((hash = memchr(line, '#', ll)))
			ll = (size_t)(hash - line);
		if ((e = parse_line(s, line, ll, &have_version, d)))
			lb_diag_prefix(d, "schema line %zu", lineno);
	}
	if (!e && !have_version)
		e = lb_fail(d, LB_EMALFORMED, "schema: empty file");
	if (!e && (e = check_schema(s, d)))
		lb_diag_prefix(d, "schema %u", s->version);
	if (e) {
		lb_schema_free(s);
		if (d)
			d->code = e == LB_ENOMEM ? e : LB_EMALFORMED;
		return e == LB_ENOMEM ? e : LB_EMALFORMED;
	}
	*out = s;
	return LB_OK;
}

/* ---- lookups ------------------------------------------------------------ */

const struct lb_type *lb_schema_type(const struct lb_schema *s, const char *name)
{
	for (size_t i = 0; i < s->ntypes; i++)
		if (!strcmp(s->types[i].name, name))
			return &s->types[i];
	return NULL;
}

const struct lb_field *lb_type_field(const struct lb_type *t, const char *name, size_t n)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (t->fields[i].name_len == n && !memcmp(t->fields[i].name, name, n))
			return &t->fields[i];
	return NULL;
}

/* The rule text, in the language of messages (tr) or always in English
 * (machine output: `lumbung schema --json`). */
static void describe(const struct lb_field *f, char *out, size_t n, bool tr)
{
#define T(s) (tr ? lb_tr(s) : (s))
	size_t used;

	switch (f->kind) {
	case LB_K_STRING:
		snprintf(out, n, T(N_("text of at most %lld characters")), (long long)f->max);
		return;
	case LB_K_TEXT:
		snprintf(out, n, T(N_("text of at most %lld characters, may span lines")), (long long)f->max);
		return;
	case LB_K_INTEGER:
		snprintf(out, n, T(N_("integer %lld..%lld")), (long long)f->min, (long long)f->max);
		return;
	case LB_K_RUPIAH:
		snprintf(out, n, "%s", T(N_("rupiah (whole number, 0 or more)")));
		return;
	case LB_K_DATE:
		snprintf(out, n, "%s", T(N_("date YYYY-MM-DD")));
		return;
	case LB_K_PERIOD:
		snprintf(out, n, "%s", T(N_("period YYYY-MM or YYYY-Qn")));
		return;
	case LB_K_BOOLEAN:
		snprintf(out, n, "%s", T(N_("true or false")));
		return;
	case LB_K_DIGITS:
		snprintf(out, n, T(N_("exactly %lld digits")), (long long)f->max);
		return;
	case LB_K_NIK:
		snprintf(out, n, "%s", T(N_("NIK: 16 digits (region, birth date, serial)")));
		return;
	case LB_K_REGION:
		snprintf(out, n, "%s", T(N_("a region code (PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD)")));
		return;
	case LB_K_HEX:
		snprintf(out, n, T(N_("exactly %lld lower-case hex digits")), (long long)f->max);
		return;
	case LB_K_REF:
		snprintf(out, n, T(N_("id of a %s record")), f->ref);
		return;
	case LB_K_ENUM:
		used = (size_t)snprintf(out, n, "%s", T(N_("one of ")));
		for (size_t i = 0; i < f->nvalues && used < n; i++)
			used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", f->values[i]);
		return;
	}
	snprintf(out, n, "?");
#undef T
}

void lb_field_describe(const struct lb_field *f, char *out, size_t n)
{
	describe(f, out, n, true);
}

void lb_field_describe_c(const struct lb_field *f, char *out, size_t n)
{
	describe(f, out, n, false);
}

/* ---- value rules -------------------------------------------------------- */

int lb_days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

static bool all_digits(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const uint8_t *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool date_ok(const uint8_t *s, size_t n)
{
	int y, m, dd;
	if (n != 10 || s[4] != '-' || s[7] != '-' || !all_digits(s, 4) || !all_digits(s + 5, 2) ||
	    !all_digits(s + 8, 2))
		return false;
	y = num(s, 4);
	m = num(s + 5, 2);
	dd = num(s + 8, 2);
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && dd >= 1 && dd <= lb_days_in_month(y, m);
}

static bool period_ok(const uint8_t *s, size_t n)
{
	if (n != 7 || s[4] != '-' || !all_digits(s, 4) || num(s, 4) < 1900 || num(s, 4) > 2100)
		return false;
	if (s[5] == 'Q')
		return s[6] >= '1' && s[6] <= '4';
	return all_digits(s + 5, 2) && num(s + 5, 2) >= 1 && num(s + 5, 2) <= 12;
}

/* NIK structure (Dukcapil): PPKKCC DDMMYY SSSS, DD + 40 for women. */
static const char *nik_problem(const uint8_t *s, size_t n)
{
	int prov, day, month;
	if (n != 16 || !all_digits(s, 16))
		return "is not 16 digits";
	prov = num(s, 2);
	if (prov < 11 || prov > 94 || num(s + 2, 2) == 0 || num(s + 4, 2) == 0)
		return "does not start with a region code (PPKKCC)";
	day = num(s + 6, 2);
	month = num(s + 8, 2);
	if (day > 40)
		day -= 40;
	/* the year has two digits, so 29 February is always allowed */
	if (month < 1 || month > 12 || day < 1 || day > lb_days_in_month(2000, month))
		return "does not hold a birth date (DDMMYY, +40 on the day for women)";
	if (num(s + 12, 4) == 0)
		return "has serial number 0000";
	return NULL;
}

/* Characters (code points) of valid UTF-8. */
static size_t utf8_chars(const uint8_t *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += (s[i] & 0xc0) != 0x80;
	return c;
}

/* A peer's value in a message, escaped (text.h); needs char esc[LB_ESC_BUF]. */
#define SHOW(o) (int)LB_ESC_BUF, lb_escape(esc, (o)->s, (o)->len)

static lb_err check_value(const struct lb_field *f, const struct lb_mp_obj *o,
                          const struct lb_refs *refs, struct lb_diag *d)
{
	char rule[256]; /* filled only on the error paths: validation is hot */
	char esc[LB_ESC_BUF];
	const char *why;

	if (o->kind == LB_MP_NIL)
		return lb_fail(d, LB_ESCHEMA, "%s is null; leave the field out instead", f->name);
	switch (f->kind) {
	case LB_K_INTEGER:
	case LB_K_RUPIAH: {
		int64_t lo = f->kind == LB_K_RUPIAH ? 0 : f->min;
		int64_t hi = f->kind == LB_K_RUPIAH ? RUPIAH_MAX : f->max;
		if (o->kind == LB_MP_UINT) {
			if (o->v.u > (uint64_t)INT64_MAX || (int64_t)o->v.u < lo || (int64_t)o->v.u > hi)
				return lb_fail(d, LB_ESCHEMA, "%s %llu is outside %lld..%lld", f->name,
				               (unsigned long long)o->v.u, (long long)lo, (long long)hi);
			return LB_OK;
		}
		if (o->kind == LB_MP_INT) {
			if (o->v.i < lo || o->v.i > hi)
				return lb_fail(d, LB_ESCHEMA, "%s %lld is outside %lld..%lld", f->name,
				               (long long)o->v.i, (long long)lo, (long long)hi);
			return LB_OK;
		}
		lb_field_describe(f, rule, sizeof rule);
		return lb_fail(d, LB_ESCHEMA, "%s must be a number (%s)", f->name, rule);
	}
	case LB_K_BOOLEAN:
		if (o->kind != LB_MP_BOOL)
			return lb_fail(d, LB_ESCHEMA, "%s must be true or false", f->name);
		return LB_OK;
	default:
		break;
	}
	if (o->kind != LB_MP_STR) {
		lb_field_describe(f, rule, sizeof rule);
		return lb_fail(d, LB_ESCHEMA, "%s must be a string (%s)", f->name, rule);
	}
	if (!lb_utf8_valid((const char *)o->s, o->len))
		return lb_fail(d, LB_ESCHEMA, "%s is not valid UTF-8", f->name);
	switch (f->kind) {
	case LB_K_STRING:
	case LB_K_TEXT:
		if (f->required && o->len == 0)
			return lb_fail(d, LB_ESCHEMA, "%s is required and may not be empty", f->name);
		if ((int64_t)utf8_chars(o->s, o->len) > f->max)
			return lb_fail(d, LB_ESCHEMA, "%s is longer than %lld characters", f->name,
			               (long long)f->max);
		for (uint32_t i = 0; i < o->len; i++) {
			uint8_t c = o->s[i];
			/* C1 controls U+0080..U+009F (UTF-8 c2 80..c2 9f) include
			 * NEL and CSI: refused like C0, as record ids refuse them */
			bool c1 = c == 0xc2 && i + 1 < o->len && o->s[i + 1] <= 0x9f;
			if ((c < 0x20 || c == 0x7f || c1) &&
			    !(f->kind == LB_K_TEXT && (c == '\n' || c == '\r' || c == '\t')))
				return lb_fail(d, LB_ESCHEMA, "%s contains a control character%s", f->name,
				               f->kind == LB_K_STRING ? " (line breaks are not allowed here)"
				                                      : "");
		}
		return LB_OK;
	case LB_K_DATE:
		if (!date_ok(o->s, o->len))
			return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not a date (YYYY-MM-DD, 1900-2100)",
			               f->name, SHOW(o));
		return LB_OK;
	case LB_K_PERIOD:
		if (!period_ok(o->s, o->len))
			return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not a period (YYYY-MM or YYYY-Qn)",
			               f->name, SHOW(o));
		return LB_OK;
	case LB_K_ENUM:
		for (size_t i = 0; i < f->nvalues; i++)
			if (strlen(f->values[i]) == o->len && !memcmp(f->values[i], o->s, o->len))
				return LB_OK;
		lb_field_describe(f, rule, sizeof rule);
		return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not %s", f->name, SHOW(o), rule);
	case LB_K_DIGITS:
		if ((int64_t)o->len != f->max || !all_digits(o->s, o->len)) {
			lb_field_describe(f, rule, sizeof rule);
			return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not %s", f->name, SHOW(o), rule);
		}
		return LB_OK;
	case LB_K_NIK:
		if ((why = nik_problem(o->s, o->len)))
			return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" %s", f->name, SHOW(o), why);
		return LB_OK;
	case LB_K_REGION: {
		char code[LB_VILLAGE_LEN + 1];
		if (o->len > LB_VILLAGE_LEN)
			goto not_region;
		memcpy(code, o->s, o->len);
		code[o->len] = '\0';
		if (lb_region_level(code) != LB_REGION_INVALID)
			return LB_OK;
	not_region:
		lb_field_describe(f, rule, sizeof rule);
		return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not %s", f->name, SHOW(o), rule);
	}
	case LB_K_HEX:
		for (uint32_t i = 0; i < o->len; i++)
			if (!((o->s[i] >= '0' && o->s[i] <= '9') || (o->s[i] >= 'a' && o->s[i] <= 'f')))
				goto not_hex;
		if ((int64_t)o->len == f->max)
			return LB_OK;
	not_hex:
		lb_field_describe(f, rule, sizeof rule);
		return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not %s", f->name, SHOW(o), rule);
	case LB_K_REF:
		if (lb_id_check((const char *)o->s, o->len, NULL))
			return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\" is not a valid record id", f->name,
			               SHOW(o));
		if (refs && refs->exists && !refs->exists(refs->ctx, f->ref, (const char *)o->s, o->len))
			return lb_fail(d, LB_ESCHEMA, "%s \"%.*s\": no such %s record", f->name, SHOW(o),
			               f->ref);
		return LB_OK;
	default:
		return lb_fail(d, LB_ESCHEMA, "%s: unsupported kind", f->name);
	}
}

static lb_err unknown_type(const struct lb_schema *s, const char *type, struct lb_diag *d)
{
	char known[512], esc[LB_ESC_BUF];
	size_t used = 0;

	known[0] = '\0';
	for (size_t i = 0; i < s->ntypes && used < sizeof known; i++)
		used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
		                         s->types[i].name);
	return lb_fail(d, LB_ESCHEMA, "unknown record type \"%s\" (schema %u has: %s)",
	               lb_escape(esc, type, strlen(type)), s->version, known);
}

lb_err lb_schema_validate(const struct lb_schema *s, const char *type, const char *id,
                          size_t id_len, const uint8_t *body, size_t body_len,
                          const struct lb_refs *refs, struct lb_diag *d)
{
	const struct lb_type *t = lb_schema_type(s, type);
	struct lb_mp_rd r;
	struct lb_mp_obj o;
	uint64_t seen[4] = {0}; /* bitmap of fields present (types have <= 256 fields) */
	char esc[LB_ESC_BUF];
	lb_err e;

	if (!t)
		return unknown_type(s, type, d);
	if (t->nfields > 256)
		return lb_fail(d, LB_ESCHEMA, "type %s has too many fields", type);
	lb_mp_rd_init(&r, body, body_len);
	if ((e = lb_mp_next(&r, &o, d)) || o.kind != LB_MP_MAP)
		return lb_fail(d, LB_EMALFORMED, "record body is not a map");
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_obj k, v;
		const struct lb_field *f;
		size_t fi;

		if ((e = lb_mp_next(&r, &k, d)))
			return e;
		if (k.kind != LB_MP_STR)
			return lb_fail(d, LB_EMALFORMED, "a field name is not a string");
		if (!(f = lb_type_field(t, (const char *)k.s, k.len)))
			return lb_fail(d, LB_ESCHEMA, "field \"%.*s\" is not part of %s (schema %u)",
			               SHOW(&k), type, s->version);
		fi = (size_t)(f - t->fields);
		seen[fi / 64] |= 1ULL << (fi % 64);
		{
			struct lb_mp_rd at = r;
			if ((e = lb_mp_next(&at, &v, d)))
				return e;
			if (v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP)
				return lb_fail(d, LB_ESCHEMA, "%s must be a single value, not a list or object",
				               f->name);
			r = at;
		}
		if ((e = check_value(f, &v, refs, d)))
			return e;
		if (t->id_field && !strcmp(f->name, t->id_field) &&
		    (v.len != id_len || memcmp(v.s, id, id_len) != 0))
			return lb_fail(d, LB_ESCHEMA, "the record id must equal its %s (\"%.*s\")", f->name,
			               SHOW(&v));
	}
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "trailing bytes after the record body");
	for (size_t fi = 0; fi < t->nfields; fi++)
		if (t->fields[fi].required && !(seen[fi / 64] & (1ULL << (fi % 64))))
			return lb_fail(d, LB_ESCHEMA, "%s is required", t->fields[fi].name);
	return LB_OK;
}

/* Every problem, joined: the message so far in out (n bytes), one more
 * appended with "; ", "…" at the end once something did not fit. */
struct problems {
	char msg[LB_DIAG_MAX];
	size_t len;
	bool cut;
	lb_err first;
};

static void add_problem(struct problems *p, lb_err e, const struct lb_diag *one)
{
	static const char more[] = "\xe2\x80\xa6"; /* … */
	const char *m = one->msg[0] ? one->msg : lb_strerror(e);
	size_t ml = strlen(m), room = sizeof p->msg - sizeof more; /* keep room for … */

	if (!p->first)
		p->first = e;
	if (p->cut)
		return;
	if (p->len + (p->len ? 2 : 0) + ml > room) {
		memcpy(p->msg + p->len, more, sizeof more);
		p->len += sizeof more - 1;
		p->cut = true;
		return;
	}
	if (p->len) {
		memcpy(p->msg + p->len, "; ", 2);
		p->len += 2;
	}
	memcpy(p->msg + p->len, m, ml);
	p->len += ml;
	p->msg[p->len] = '\0';
}

lb_err lb_schema_validate_all(const struct lb_schema *s, const char *type, const char *id,
                              size_t id_len, const uint8_t *body, size_t body_len,
                              const struct lb_refs *refs, struct lb_diag *d)
{
	const struct lb_type *t = lb_schema_type(s, type);
	struct lb_mp_rd r;
	struct lb_mp_obj o, *vals;
	uint8_t *state; /* per field: 0 absent, 1 a value, 2 a list or object */
	struct problems p = {.len = 0};
	struct lb_diag one;
	char esc[LB_ESC_BUF];
	lb_err e;

	if (!t)
		return unknown_type(s, type, d);
	lb_mp_rd_init(&r, body, body_len);
	if ((e = lb_mp_next(&r, &o, d)) || o.kind != LB_MP_MAP)
		return lb_fail(d, LB_EMALFORMED, "record body is not a map");
	vals = calloc(t->nfields, sizeof *vals);
	state = calloc(t->nfields, 1);
	if (!vals || !state) {
		free(vals);
		free(state);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	/* the body's keys: unknown fields and lists now, values kept for below */
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_obj k, v;
		const struct lb_field *f;

		if ((e = lb_mp_next(&r, &k, d)))
			goto out;
		if (k.kind != LB_MP_STR) {
			e = lb_fail(d, LB_EMALFORMED, "a field name is not a string");
			goto out;
		}
		{
			struct lb_mp_rd at = r;
			if ((e = lb_mp_next(&at, &v, d)))
				goto out;
			if (v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP) {
				if ((e = lb_mp_skip(&r, false, d)))
					goto out;
			} else {
				r = at;
			}
		}
		if (!(f = lb_type_field(t, (const char *)k.s, k.len))) {
			add_problem(&p, lb_fail(&one, LB_ESCHEMA, "field \"%.*s\" is not part of %s (schema %u)",
			                        SHOW(&k), type, s->version), &one);
			continue;
		}
		state[f - t->fields] = v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP ? 2 : 1;
		vals[f - t->fields] = v;
	}
	if (lb_mp_rd_left(&r)) {
		e = lb_fail(d, LB_EMALFORMED, "trailing bytes after the record body");
		goto out;
	}
	for (size_t fi = 0; fi < t->nfields; fi++) {
		const struct lb_field *f = &t->fields[fi];
		const struct lb_mp_obj *v = &vals[fi];

		if (!state[fi]) {
			if (f->required)
				add_problem(&p, lb_fail(&one, LB_ESCHEMA, "%s is required", f->name), &one);
			continue;
		}
		if (state[fi] == 2) {
			add_problem(&p, lb_fail(&one, LB_ESCHEMA,
			                        "%s must be a single value, not a list or object", f->name),
			            &one);
			continue;
		}
		if ((e = check_value(f, v, refs, &one))) {
			add_problem(&p, e, &one);
			continue;
		}
		if (t->id_field && !strcmp(f->name, t->id_field) &&
		    (v->len != id_len || memcmp(v->s, id, id_len) != 0))
			add_problem(&p, lb_fail(&one, LB_ESCHEMA, "the record id must equal its %s (\"%.*s\")",
			                        f->name, SHOW(v)), &one);
	}
	e = p.first;
	if (e && d) {
		d->code = e;
		memcpy(d->msg, p.msg, p.len + 1);
	}
out:
	free(vals);
	free(state);
	return e;
}

/* A whole number as spreadsheets write it: digits, optionally grouped by
 * one kind of thousands separator ('.', ',' or a space) with every group
 * after the first exactly three digits.  "1.500.000" and "1,500,000" are
 * 1500000; "1.500.000,50" or "1,5" are refused rather than guessed at,
 * because the decimal mark differs between locales. */
static bool parse_grouped(const char *s, int64_t *v)
{
	char buf[24];
	size_t n = 0, group = 0;
	char sep = 0;

	if (*s == '-')
		buf[n++] = *s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			if (n + 1 >= sizeof buf)
				return false;
			buf[n++] = *s;
			group++;
			continue;
		}
		if ((*s != '.' && *s != ',' && *s != ' ') || (sep && *s != sep) || group == 0 ||
		    group > 3 || (sep && group != 3))
			return false;
		sep = *s;
		group = 0;
	}
	if (sep && group != 3)
		return false;
	return parse_i64(buf, n, v);
}

lb_err lb_field_parse_text(const struct lb_field *f, const char *s, bool *is_num, int64_t *numv,
                           bool *is_bool, bool *b, struct lb_diag *d)
{
	static const char *const yes[] = {"true", "ya", "y", "1", "yes"};
	static const char *const no[] = {"false", "tidak", "0", "no", "n"};
	char esc[LB_ESC_BUF];

	*is_num = *is_bool = false;
	if (f->kind == LB_K_INTEGER || f->kind == LB_K_RUPIAH) {
		if (!parse_grouped(s, numv))
			return lb_fail(d, LB_ESCHEMA,
			               "%s \"%s\" is not a whole number (1500000, 1.500.000 or "
			               "1,500,000; no decimals)",
			               f->name, lb_escape(esc, s, strlen(s)));
		*is_num = true;
		return LB_OK;
	}
	if (f->kind == LB_K_BOOLEAN) {
		for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
			if (!strcasecmp(s, yes[i])) {
				*is_bool = *b = true;
				return LB_OK;
			}
		for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
			if (!strcasecmp(s, no[i])) {
				*is_bool = true;
				*b = false;
				return LB_OK;
			}
		return lb_fail(d, LB_ESCHEMA, "%s \"%s\" is not true/false (or ya/tidak)", f->name,
		               lb_escape(esc, s, strlen(s)));
	}
	return LB_OK;
}

/* ---- compatibility ------------------------------------------------------ */

bool lb_schema_compatible(const struct lb_schema *old, const struct lb_schema *nw,
                          struct lb_diag *d)
{
	for (size_t i = 0; i < old->ntypes; i++) {
		const struct lb_type *ot = &old->types[i], *nt = lb_schema_type(nw, ot->name);
		if (!nt)
			return lb_fail(d, LB_ESCHEMA, "type %s was removed", ot->name), false;
		if ((ot->id_field == NULL) != (nt->id_field == NULL) ||
		    (ot->id_field && strcmp(ot->id_field, nt->id_field)))
			return lb_fail(d, LB_ESCHEMA, "type %s: id field changed", ot->name), false;
		for (size_t k = 0; k < nt->nfields; k++) {
			const struct lb_field *nf = &nt->fields[k];
			const struct lb_field *of = lb_type_field(ot, nf->name, strlen(nf->name));
			if (!of) {
				if (nf->required)
					return lb_fail(d, LB_ESCHEMA, "%s.%s: a new field must be optional",
					               ot->name, nf->name), false;
				continue;
			}
			if (of->kind != nf->kind || (nf->required && !of->required) ||
			    nf->min > of->min || nf->max < of->max ||
			    (of->kind == LB_K_DIGITS && nf->max != of->max) ||
			    (of->ref && strcmp(of->ref, nf->ref)))
				return lb_fail(d, LB_ESCHEMA, "%s.%s: kind, range or requirement narrowed",
				               ot->name, nf->name), false;
			for (size_t v = 0; v < of->nvalues; v++) {
				bool found = false;
				for (size_t w = 0; w < nf->nvalues && !found; w++)
					found = !strcmp(of->values[v], nf->values[w]);
				if (!found)
					return lb_fail(d, LB_ESCHEMA, "%s.%s: enum value %s was removed",
					               ot->name, nf->name, of->values[v]), false;
			}
		}
		for (size_t k = 0; k < ot->nfields; k++)
			if (!lb_type_field(nt, ot->fields[k].name, strlen(ot->fields[k].name)))
				return lb_fail(d, LB_ESCHEMA, "%s.%s was removed", ot->name,
				               ot->fields[k].name), false;
	}
	return true;
}
