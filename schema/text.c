/*
 * text.c — UTF-8, identifier and region-code checks.
 *
 * The UTF-8 check follows the well-formed byte sequence table of Unicode
 * §3.9 (Table 3-7) directly, so overlong forms and surrogates are refused
 * by construction rather than by decoding and re-checking.
 */
#include "text.h"

#include <stdint.h>
#include <string.h>

bool lb_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c;
		size_t n;
		unsigned char lo = 0x80, hi = 0xBF;

		/* fast path: eight bytes of ASCII without NUL at a time (most
		 * village text); memcpy keeps the load aligned-safe */
		while (len - i >= 8) {
			uint64_t x;
			memcpy(&x, s + i, 8);
			if ((x & 0x8080808080808080ull) ||
			    ((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = s[i];
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else
			return false;
		if (len - i - 1 < n)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return false;
		i += n + 1;
	}
	return true;
}

/* Escape at most maxin bytes of s[0..n) into out[0..outsz) (see text.h). */
static const char *escape(char *out, size_t outsz, const uint8_t *p, size_t n, size_t maxin)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	for (i = 0; i < n && i < maxin; i++) {
		uint8_t c = p[i];
		char e[4];
		size_t el = 0;
		if (c == '\\' || c == '"') {
			e[el++] = '\\';
			e[el++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f)
			e[el++] = (char)c;
		else {
			e[el++] = '\\';
			e[el++] = 'x';
			e[el++] = hex[c >> 4];
			e[el++] = hex[c & 15];
		}
		if (o + el + 3 + 1 > outsz)
			break; /* keep room for "..." and the NUL */
		memcpy(out + o, e, el);
		o += el;
	}
	if (i < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *lb_escape(char out[LB_ESC_BUF], const void *s, size_t n)
{
	return escape(out, LB_ESC_BUF, s, n, LB_ESC_SHOW);
}

const char *lb_escape_buf(char *out, size_t outsz, const void *s, size_t n)
{
	return escape(out, outsz, s, n, (size_t)-1);
}

lb_err lb_type_check(const char *type, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];
	size_t n = type ? strlen(type) : 0;

	if (n == 0)
		return lb_fail(d, LB_EINVAL, "record type is empty");
	if (n > LB_TYPE_MAX)
		return lb_fail(d, LB_EINVAL, "record type is longer than %d characters", LB_TYPE_MAX);
	for (size_t i = 0; i < n; i++)
		if (!((type[i] >= 'a' && type[i] <= 'z') || type[i] == '_'))
			return lb_fail(d, LB_EINVAL, "record type \"%s\" may only contain a-z and _",
			               lb_escape(esc, type, n));
	return LB_OK;
}

lb_err lb_id_check(const char *id, size_t len, struct lb_diag *d)
{
	if (len == 0)
		return lb_fail(d, LB_EINVAL, "record id is empty");
	if (len > LB_ID_MAX)
		return lb_fail(d, LB_ETOOBIG, "record id is %zu bytes, more than the limit of %d",
		               len, LB_ID_MAX);
	if (!lb_utf8_valid(id, len))
		return lb_fail(d, LB_EINVAL, "record id is not valid UTF-8");
	/* C0, DEL and C1 (U+0080..U+009F: NEL is a line break, CSI a terminal
	 * escape).  The id is valid UTF-8 here, so 0xC2 has a next byte. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f ||
		    ((unsigned char)id[i] == 0xc2 && (unsigned char)id[i + 1] <= 0x9f))
			return lb_fail(d, LB_EINVAL, "record id contains a control character");
	return LB_OK;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

enum lb_region_level lb_region_level(const char *c)
{
	size_t n = c ? strlen(c) : 0;

	if (n < 2 || !digits(c, 2))
		return LB_REGION_INVALID;
	if (n == 2)
		return LB_REGION_PROVINSI;
	if (n < 5 || c[2] != '.' || !digits(c + 3, 2))
		return LB_REGION_INVALID;
	if (n == 5)
		return LB_REGION_KABUPATEN;
	if (n < 8 || c[5] != '.' || !digits(c + 6, 2))
		return LB_REGION_INVALID;
	if (n == 8)
		return LB_REGION_KECAMATAN;
	if (n == 13 && c[8] == '.' && digits(c + 9, 4))
		return LB_REGION_DESA;
	return LB_REGION_INVALID;
}

bool lb_region_contains(const char *region, const char *village)
{
	size_t n;

	if (lb_region_level(region) == LB_REGION_INVALID ||
	    lb_region_level(village) != LB_REGION_DESA)
		return false;
	n = strlen(region);
	return strncmp(region, village, n) == 0 && (village[n] == '.' || village[n] == '\0');
}

bool lb_log_owner_ok(const char *code)
{
	enum lb_region_level l = lb_region_level(code);

	return l == LB_REGION_DESA || l == LB_REGION_KECAMATAN || l == LB_REGION_KABUPATEN;
}
