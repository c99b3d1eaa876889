/*
 * rstamp.c — a report's stamp (rstamp.h, docs/FORMAT.md "Report stamps"):
 * the line that makes a printed village report provable.  Digest and
 * signature are libsodium's (crypto_generichash, Ed25519 through key.h).
 *
 * One rule for every field, used when a stamp is made (sign, format) and
 * when one is read (parse): a stamp that parses is one that could have
 * been made, so the line a scanner gives is byte for byte the line signed.
 */
#include "rstamp.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../schema/schema.h"
#include "entry.h"

#define MAGIC "LBR1"
#define SIG_PREFIX "lumbung-report-stamp 1\n"
#define NFIELDS 8
#define HEX_HASH (2 * LB_HASH_BYTES)
#define HEX_SIG (2 * LB_SIG_BYTES)

void lb_rstamp_digest(uint8_t out[LB_HASH_BYTES], const void *json, size_t len)
{
	crypto_generichash(out, LB_HASH_BYTES, json, len, NULL, 0);
}

/* ---- the fields ---------------------------------------------------------- */

/* A report name: [a-z] then [a-z0-9_], at most LB_RSTAMP_NAME_MAX. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > LB_RSTAMP_NAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* n decimal digits at s into *v. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* "YYYY-MM" (len 7) or "YYYY-MM-DD" (len 10), years 1900..2100, a real day. */
static bool date_ok(const char *s, bool with_day, int *y, int *m, int *d)
{
	size_t n = strlen(s);
	*d = 0;
	if (n != (with_day ? 10u : 7u) || !digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m))
		return false;
	if (*y < 1900 || *y > 2100 || *m < 1 || *m > 12)
		return false;
	if (with_day && (s[7] != '-' || !digits(s + 8, 2, d) || *d < 1 ||
	                 *d > lb_days_in_month(*y, *m)))
		return false;
	return true;
}

/* "-", "per=YYYY-MM-DD" or "month=YYYY-MM"; the dates named into the ints. */
static bool params_read(const char *s, int *per_y, int *per_m, int *per_d, int *month_y,
                        int *month_m)
{
	int dd;
	*per_y = *per_m = *per_d = *month_y = *month_m = 0;
	if (!strcmp(s, "-"))
		return true;
	if (!strncmp(s, "per=", 4))
		return date_ok(s + 4, true, per_y, per_m, per_d);
	if (!strncmp(s, "month=", 6))
		return date_ok(s + 6, false, month_y, month_m, &dd);
	return false;
}

static bool params_ok(const char *s)
{
	int a, b, c, e, f;
	return params_read(s, &a, &b, &c, &e, &f);
}

/* exactly n lowercase hex digits */
static bool lowhex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Every field but the signature, as sign and format need them: LB_EINVAL. */
static lb_err fields_check(const struct lb_rstamp *st, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	if (!memchr(st->village, 0, sizeof st->village) ||
	    lb_region_level(st->village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "report stamp: village \"%s\" is not a desa code "
		               "(PP.KK.CC.DDDD)", lb_escape(esc, st->village, strnlen(st->village,
		               sizeof st->village)));
	if (!memchr(st->name, 0, sizeof st->name) || !name_ok(st->name))
		return lb_fail(d, LB_EINVAL, "report stamp: report name \"%s\" is not a name "
		               "(a-z, 0-9, _; at most 31)", lb_escape(esc, st->name,
		               strnlen(st->name, sizeof st->name)));
	if (!memchr(st->params, 0, sizeof st->params) || !params_ok(st->params))
		return lb_fail(d, LB_EINVAL, "report stamp: parameters \"%s\" are not -, "
		               "per=YYYY-MM-DD or month=YYYY-MM", lb_escape(esc, st->params,
		               strnlen(st->params, sizeof st->params)));
	if (st->seq == 0)
		return lb_fail(d, LB_EINVAL, "report stamp: seq 0 names no entry (seqs start at 1)");
	return LB_OK;
}

/* The line up to and excluding " SIG" into out; its length. */
static size_t body(const struct lb_rstamp *st, char out[LB_RSTAMP_MAX])
{
	char h[HEX_HASH + 1], g[HEX_HASH + 1];
	int n;
	lb_hex(h, st->hash, LB_HASH_BYTES);
	lb_hex(g, st->digest, LB_HASH_BYTES);
	n = snprintf(out, LB_RSTAMP_MAX, MAGIC " %s %s %s %llu %s %s", st->village, st->name,
	             st->params, (unsigned long long)st->seq, h, g);
	return n > 0 ? (size_t)n : 0; /* fits: every field is bounded */
}

/* What is signed: the prefix and the body. */
static size_t message(const struct lb_rstamp *st, char out[LB_RSTAMP_MAX + 32])
{
	size_t p = strlen(SIG_PREFIX);
	memcpy(out, SIG_PREFIX, p);
	return p + body(st, out + p);
}

/* ---- make ---------------------------------------------------------------- */

lb_err lb_rstamp_sign(struct lb_rstamp *st, const struct lb_key *k, struct lb_diag *d)
{
	char m[LB_RSTAMP_MAX + 32];
	lb_err e;

	if ((e = fields_check(st, d)))
		return e;
	lb_sign(st->sig, m, message(st, m), k);
	return LB_OK;
}

lb_err lb_rstamp_format(const struct lb_rstamp *st, char out[LB_RSTAMP_MAX], struct lb_diag *d)
{
	char s[HEX_SIG + 1];
	size_t n;
	lb_err e;

	if ((e = fields_check(st, d)))
		return e;
	n = body(st, out);
	lb_hex(s, st->sig, LB_SIG_BYTES);
	snprintf(out + n, LB_RSTAMP_MAX - n, " %s", s);
	return LB_OK;
}

void lb_rstamp_short(const struct lb_rstamp *st, char *out, size_t n)
{
	char h[HEX_HASH + 1], g[HEX_HASH + 1], s[HEX_SIG + 1];
	bool params = strcmp(st->params, "-") != 0;

	if (!n)
		return;
	lb_hex(h, st->hash, LB_HASH_BYTES);
	lb_hex(g, st->digest, LB_HASH_BYTES);
	lb_hex(s, st->sig, LB_SIG_BYTES);
	/* "\xC2\xB7" is U+00B7 MIDDLE DOT */
	snprintf(out, n,
	         "Desa %.13s \xC2\xB7 %.31s%s%.31s \xC2\xB7 seq %llu \xC2\xB7 hash %.16s \xC2\xB7 "
	         "digest %.16s \xC2\xB7 ttd %.16s",
	         st->village, st->name, params ? " " : "", params ? st->params : "",
	         (unsigned long long)st->seq, h, g, s);
}

lb_err lb_rstamp_set_params(struct lb_rstamp *st, int per_y, int per_m, int per_d, int month_y,
                            int month_m, struct lb_diag *d)
{
	char s[LB_RSTAMP_PARAMS_MAX + 1];

	if (month_y)
		snprintf(s, sizeof s, "month=%04d-%02d", month_y, month_m);
	else if (per_y)
		snprintf(s, sizeof s, "per=%04d-%02d-%02d", per_y, per_m, per_d);
	else
		snprintf(s, sizeof s, "-");
	if (!params_ok(s))
		return lb_fail(d, LB_EINVAL, "report stamp: parameters \"%s\" are not -, "
		               "per=YYYY-MM-DD or month=YYYY-MM", s);
	memcpy(st->params, s, sizeof s);
	return LB_OK;
}

void lb_rstamp_get_params(const struct lb_rstamp *st, int *per_y, int *per_m, int *per_d,
                          int *month_y, int *month_m)
{
	if (!memchr(st->params, 0, sizeof st->params) ||
	    !params_read(st->params, per_y, per_m, per_d, month_y, month_m))
		*per_y = *per_m = *per_d = *month_y = *month_m = 0;
}

/* ---- read ---------------------------------------------------------------- */

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

lb_err lb_rstamp_parse(struct lb_rstamp *st, const char *line, struct lb_diag *d)
{
	static const char *const names[NFIELDS] = {"format", "VILLAGE", "NAME", "PARAMS",
	                                           "SEQ",    "HASH",    "DIGEST", "SIG"};
	char buf[LB_RSTAMP_MAX], esc[LB_ESC_BUF];
	char *f[NFIELDS];
	size_t n, nf = 0;
	const char *s = line;

	memset(st, 0, sizeof *st);
	while (blank(*s))
		s++;
	n = strlen(s);
	while (n && blank(s[n - 1]))
		n--;
	if (!n)
		return lb_fail(d, LB_EMALFORMED, "report stamp: the text is empty");
	if (n >= sizeof buf)
		return lb_fail(d, LB_EMALFORMED, "report stamp: %zu bytes is longer than any stamp "
		               "(at most %d)", n, LB_RSTAMP_MAX - 1);
	memcpy(buf, s, n);
	buf[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return lb_fail(d, LB_EMALFORMED, "report stamp: byte %zu is not printable "
			               "ASCII: \"%s\"", i + 1, lb_escape(esc, buf, n));
	for (size_t i = 0; i < n; i++)
		nf += buf[i] == ' ';
	nf++; /* fields: one more than the separators */
	f[0] = buf;
	for (size_t i = 0, k = 1; i < n && k < NFIELDS; i++)
		if (buf[i] == ' ') {
			buf[i] = 0;
			f[k++] = buf + i + 1;
		}
	if (strcmp(f[0], MAGIC)) {
		if (!strncmp(f[0], "LBR", 3))
			return lb_fail(d, LB_EMALFORMED, "report stamp: format \"%s\" is not known to "
			               "this lumbung (it reads LBR1)", lb_escape(esc, f[0], strlen(f[0])));
		return lb_fail(d, LB_EMALFORMED, "report stamp: this is not a report stamp (it starts "
		               "\"%s\"; a stamp starts LBR1)", lb_escape(esc, f[0], strlen(f[0])));
	}
	if (nf != NFIELDS)
		return lb_fail(d, LB_EMALFORMED, "report stamp: %zu fields; a stamp has 8, each "
		               "separated by one space: LBR1 VILLAGE NAME PARAMS SEQ HASH DIGEST SIG",
		               nf);
	for (size_t i = 1; i < NFIELDS; i++)
		if (!*f[i])
			return lb_fail(d, LB_EMALFORMED, "report stamp: field %s is empty (the fields "
			               "are separated by one space)", names[i]);
	if (lb_region_level(f[1]) != LB_REGION_DESA)
		return lb_fail(d, LB_EMALFORMED, "report stamp: VILLAGE \"%s\" is not a desa code "
		               "(PP.KK.CC.DDDD)", lb_escape(esc, f[1], strlen(f[1])));
	memcpy(st->village, f[1], strlen(f[1]) + 1);
	if (!name_ok(f[2]))
		return lb_fail(d, LB_EMALFORMED, "report stamp: NAME \"%s\" is not a report name "
		               "(a-z, 0-9, _; at most 31)", lb_escape(esc, f[2], strlen(f[2])));
	memcpy(st->name, f[2], strlen(f[2]) + 1);
	if (strlen(f[3]) > LB_RSTAMP_PARAMS_MAX || !params_ok(f[3]))
		return lb_fail(d, LB_EMALFORMED, "report stamp: PARAMS \"%s\" are not -, "
		               "per=YYYY-MM-DD or month=YYYY-MM", lb_escape(esc, f[3], strlen(f[3])));
	memcpy(st->params, f[3], strlen(f[3]) + 1);
	{
		const char *q = f[4];
		uint64_t v = 0;
		bool ok = *q && *q != '0' && strlen(q) <= 20;
		for (; ok && *q; q++) {
			unsigned dg = (unsigned)(*q - '0');
			if (*q < '0' || *q > '9' || v > (UINT64_MAX - dg) / 10)
				ok = false;
			else
				v = v * 10 + dg;
		}
		if (!ok)
			return lb_fail(d, LB_EMALFORMED, "report stamp: SEQ \"%s\" is not a seq (a "
			               "decimal number from 1, no leading zero)",
			               lb_escape(esc, f[4], strlen(f[4])));
		st->seq = v;
	}
	for (int i = 5; i <= 7; i++) {
		size_t want = i == 7 ? HEX_SIG : HEX_HASH;
		uint8_t *dst = i == 5 ? st->hash : i == 6 ? st->digest : st->sig;
		if (!lowhex(f[i], want) || lb_unhex(dst, want / 2, f[i]))
			return lb_fail(d, LB_EMALFORMED, "report stamp: %s \"%s\" is not %zu lowercase "
			               "hex digits", names[i], lb_escape(esc, f[i], strlen(f[i])), want);
	}
	return LB_OK;
}

lb_err lb_rstamp_verify(const struct lb_rstamp *st, const uint8_t pk[LB_PK_BYTES],
                        struct lb_diag *d)
{
	char m[LB_RSTAMP_MAX + 32], hex[2 * LB_PK_BYTES + 1];
	lb_err e;

	if ((e = fields_check(st, d)))
		return e;
	if (!lb_sig_ok(st->sig, m, message(st, m), pk)) {
		lb_hex(hex, pk, LB_PK_BYTES);
		return lb_fail(d, LB_ESIG, "report stamp: the signature does not verify under the "
		               "village key %.16s...: the stamp was changed or made with another key",
		               hex);
	}
	return LB_OK;
}
