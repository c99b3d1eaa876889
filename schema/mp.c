/*
 * mp.c — a bounded, allocation-free msgpack reader and the canonical writer.
 *
 * The reader decodes one header at a time.  Before it accepts an array or
 * map count it checks the count against the bytes that remain, so a forged
 * "array of 4 billion" in a 5-byte input is refused here instead of becoming
 * a 64 GiB allocation in msgpack_unpack.  Recursion (lb_mp_skip) is bounded
 * by LB_MP_MAX_DEPTH, so hostile nesting cannot exhaust the stack.
 */
#include "mp.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

static uint64_t be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

lb_err lb_mp_next(struct lb_mp_rd *r, struct lb_mp_obj *o, struct lb_diag *d)
{
	const uint8_t *p = r->p;
	size_t left = lb_mp_rd_left(r);
	uint8_t c;
	int hl = 0;        /* bytes of length/value after the type byte */
	uint64_t n = 0;

	if (left == 0)
		return lb_fail(d, LB_EMALFORMED, "msgpack: unexpected end of input");
	c = p[0];
	memset(o, 0, sizeof *o);
	o->canonical = true;

#define NEED(k)                                                                              \
	do {                                                                                 \
		if (left < (size_t)(k))                                                      \
			return lb_fail(d, LB_EMALFORMED, "msgpack: truncated value (type 0x%02x)", c); \
	} while (0)

	if (c <= 0x7f) {
		o->kind = LB_MP_UINT;
		o->v.u = c;
		r->p += 1;
		return LB_OK;
	}
	if (c >= 0xe0) {
		o->kind = LB_MP_INT;
		o->v.i = (int8_t)c;
		r->p += 1;
		return LB_OK;
	}
	if ((c & 0xf0) == 0x80 || (c & 0xf0) == 0x90) {
		o->kind = (c & 0xf0) == 0x80 ? LB_MP_MAP : LB_MP_ARRAY;
		n = c & 0x0f;
		hl = 0;
		goto container;
	}
	if ((c & 0xe0) == 0xa0) {
		o->kind = LB_MP_STR;
		n = c & 0x1f;
		hl = 0;
		goto payload;
	}
	switch (c) {
	case 0xc0:
		o->kind = LB_MP_NIL;
		r->p += 1;
		return LB_OK;
	case 0xc2:
	case 0xc3:
		o->kind = LB_MP_BOOL;
		o->v.b = c == 0xc3;
		r->p += 1;
		return LB_OK;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		o->kind = LB_MP_BIN;
		hl = 1 << (c - 0xc4);
		NEED(1 + hl);
		n = be(p + 1, hl);
		o->canonical = hl == 1 || (hl == 2 && n >= 256) || (hl == 4 && n >= 65536);
		goto payload;
	case 0xd9:
	case 0xda:
	case 0xdb:
		o->kind = LB_MP_STR;
		hl = 1 << (c - 0xd9);
		NEED(1 + hl);
		n = be(p + 1, hl);
		o->canonical = (hl == 1 && n >= 32) || (hl == 2 && n >= 256) || (hl == 4 && n >= 65536);
		goto payload;
	case 0xca:
		NEED(5);
		{
			uint32_t bits = (uint32_t)be(p + 1, 4);
			float f;
			memcpy(&f, &bits, sizeof f);
			o->kind = LB_MP_FLOAT;
			o->v.f = f;
			o->canonical = false; /* no float is canonical (mp.h) */
		}
		r->p += 5;
		return LB_OK;
	case 0xcb:
		NEED(9);
		{
			uint64_t bits = be(p + 1, 8);
			memcpy(&o->v.f, &bits, sizeof o->v.f);
			o->kind = LB_MP_FLOAT;
			o->canonical = false; /* float64 neither */
		}
		r->p += 9;
		return LB_OK;
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		hl = 1 << (c - 0xcc);
		NEED(1 + hl);
		o->kind = LB_MP_UINT;
		o->v.u = be(p + 1, hl);
		o->canonical = (hl == 1 && o->v.u >= 128) || (hl == 2 && o->v.u >= 256) ||
		               (hl == 4 && o->v.u >= 65536) || (hl == 8 && o->v.u >= 4294967296ULL);
		r->p += 1 + hl;
		return LB_OK;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: {
		uint64_t raw;
		int64_t v;
		hl = 1 << (c - 0xd0);
		NEED(1 + hl);
		raw = be(p + 1, hl);
		/* sign-extend from hl bytes */
		if (hl < 8 && (raw >> (hl * 8 - 1)) & 1)
			raw |= ~0ULL << (hl * 8);
		memcpy(&v, &raw, sizeof v);
		if (v >= 0) {
			o->kind = LB_MP_UINT;
			o->v.u = (uint64_t)v;
			o->canonical = false;
		} else {
			o->kind = LB_MP_INT;
			o->v.i = v;
			o->canonical = (hl == 1 && v < -32) || (hl == 2 && v < -128) ||
			               (hl == 4 && v < -32768) || (hl == 8 && v < -2147483648LL);
		}
		r->p += 1 + hl;
		return LB_OK;
	}
	case 0xdc:
	case 0xdd:
	case 0xde:
	case 0xdf:
		o->kind = c < 0xde ? LB_MP_ARRAY : LB_MP_MAP;
		hl = (c == 0xdc || c == 0xde) ? 2 : 4;
		NEED(1 + hl);
		n = be(p + 1, hl);
		o->canonical = (hl == 2 && n >= 16) || (hl == 4 && n >= 65536);
		goto container;
	default:
		return lb_fail(d, LB_EMALFORMED, "msgpack: unsupported type byte 0x%02x", c);
	}

container:
	/* Every element takes at least one byte; a map entry at least two. */
	if (n > (left - 1 - hl) / (o->kind == LB_MP_MAP ? 2 : 1))
		return lb_fail(d, LB_EMALFORMED,
		               "msgpack: %s declares %llu elements but only %zu bytes remain",
		               o->kind == LB_MP_MAP ? "map" : "array", (unsigned long long)n,
		               left - 1 - hl);
	o->len = (uint32_t)n;
	r->p += 1 + hl;
	return LB_OK;

payload:
	if (n > left - 1 - hl)
		return lb_fail(d, LB_EMALFORMED,
		               "msgpack: %s declares %llu bytes but only %zu remain",
		               o->kind == LB_MP_STR ? "string" : "bin", (unsigned long long)n,
		               left - 1 - hl);
	o->s = p + 1 + hl;
	o->len = (uint32_t)n;
	r->p += 1 + hl + n;
	return LB_OK;
#undef NEED
}

/* Read the next value and require it to be canonical, of kind `kind` and,
 * when n >= 0, of length/count n.  On a mismatch r is left unchanged and
 * the message says "<what>: expected <expect>", expect being a format that
 * may use n once as %u (formatted only then: this is the hot path). */
static lb_err read_kind(struct lb_mp_rd *r, struct lb_mp_obj *o, enum lb_mp_kind kind, int64_t n,
                        const char *what, const char *expect, struct lb_diag *d)
{
	struct lb_mp_rd save = *r;
	lb_err e = lb_mp_next(r, o, d);

	if (e) {
		lb_diag_prefix(d, "%s", what);
		return e;
	}
	if (o->kind != kind || !o->canonical || (n >= 0 && o->len != (uint64_t)n)) {
		char ex[64];
		*r = save;
		snprintf(ex, sizeof ex, expect, (unsigned)n);
		return lb_fail(d, LB_EMALFORMED, "%s: expected %s", what, ex);
	}
	return LB_OK;
}

lb_err lb_mp_read_uint(struct lb_mp_rd *r, uint64_t *out, const char *what, struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e = read_kind(r, &o, LB_MP_UINT, -1, what, "a canonical unsigned integer", d);

	if (!e)
		*out = o.v.u;
	return e;
}

lb_err lb_mp_read_str(struct lb_mp_rd *r, const uint8_t **s, uint32_t *len, const char *what,
                      struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e = read_kind(r, &o, LB_MP_STR, -1, what, "a canonical string", d);

	if (!e) {
		*s = o.s;
		*len = o.len;
	}
	return e;
}

lb_err lb_mp_read_binn(struct lb_mp_rd *r, const uint8_t **s, uint32_t n, const char *what,
                       struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e;

	if (!(e = read_kind(r, &o, LB_MP_BIN, n, what, "%u bytes of binary", d)))
		*s = o.s;
	return e;
}

lb_err lb_mp_read_array(struct lb_mp_rd *r, uint32_t n, const char *what, struct lb_diag *d)
{
	struct lb_mp_obj o;

	return read_kind(r, &o, LB_MP_ARRAY, n, what, "an array of %u elements", d);
}

static int keycmp(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static lb_err skip(struct lb_mp_rd *r, bool canon, int depth, int max, struct lb_diag *d)
{
	struct lb_mp_obj o;
	lb_err e;

	if (depth > max)
		return lb_fail(d, LB_EMALFORMED, "msgpack: nested deeper than %d levels",
		               LB_MP_MAX_DEPTH);
	if ((e = lb_mp_next(r, &o, d)))
		return e;
	if (canon && o.kind == LB_MP_FLOAT)
		return lb_fail(d, LB_EMALFORMED, "msgpack: a float (no lumbung value is a float: a "
		               "whole number or text is)");
	if (canon && !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "msgpack: value not in canonical (smallest) form");
	switch (o.kind) {
	case LB_MP_STR:
		if (canon && memchr(o.s, 0, o.len))
			return lb_fail(d, LB_EMALFORMED, "msgpack: a string holds NUL (U+0000)");
		if (canon && !lb_utf8_valid((const char *)o.s, o.len))
			return lb_fail(d, LB_EMALFORMED, "msgpack: string is not valid UTF-8");
		return LB_OK;
	case LB_MP_ARRAY:
		for (uint32_t i = 0; i < o.len; i++)
			if ((e = skip(r, canon, depth + 1, max, d)))
				return e;
		return LB_OK;
	case LB_MP_MAP: {
		const uint8_t *pk = NULL;
		uint32_t pn = 0;
		for (uint32_t i = 0; i < o.len; i++) {
			if (canon) {
				struct lb_mp_obj k;
				if ((e = lb_mp_next(r, &k, d)))
					return e;
				if (k.kind != LB_MP_STR || !k.canonical)
					return lb_fail(d, LB_EMALFORMED, "msgpack: map key is not a string");
				if (memchr(k.s, 0, k.len))
					return lb_fail(d, LB_EMALFORMED, "msgpack: a map key holds NUL (U+0000)");
				if (!lb_utf8_valid((const char *)k.s, k.len))
					return lb_fail(d, LB_EMALFORMED, "msgpack: map key is not valid UTF-8");
				if (pk && keycmp(pk, pn, k.s, k.len) >= 0) {
					char esc[LB_ESC_BUF];
					return lb_fail(d, LB_EMALFORMED,
					               "msgpack: map keys not sorted or repeated (\"%s\")",
					               lb_escape(esc, k.s, k.len));
				}
				pk = k.s;
				pn = k.len;
			} else if ((e = skip(r, canon, depth + 1, max, d)))
				return e;
			if ((e = skip(r, canon, depth + 1, max, d)))
				return e;
		}
		return LB_OK;
	}
	default:
		return LB_OK;
	}
}

bool lb_mp_map_get(const void *buf, size_t len, const char *name, struct lb_mp_obj *out)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o, k;
	size_t nl = strlen(name);

	lb_mp_rd_init(&r, buf, len);
	if (lb_mp_next(&r, &o, NULL) || o.kind != LB_MP_MAP)
		return false;
	for (uint32_t i = 0; i < o.len; i++) {
		if (lb_mp_next(&r, &k, NULL) || k.kind != LB_MP_STR)
			return false;
		if (k.len == nl && !memcmp(k.s, name, nl))
			return !lb_mp_next(&r, out, NULL);
		if (lb_mp_skip(&r, false, NULL))
			return false;
	}
	return false;
}

lb_err lb_mp_skip_within(struct lb_mp_rd *r, bool canonical, int outer, struct lb_diag *d)
{
	struct lb_mp_rd save = *r;
	lb_err e = skip(r, canonical, 1, LB_MP_MAX_DEPTH + outer, d);
	if (e)
		*r = save;
	return e;
}

lb_err lb_mp_skip(struct lb_mp_rd *r, bool canonical, struct lb_diag *d)
{
	return lb_mp_skip_within(r, canonical, 0, d);
}

lb_err lb_mp_check_body(const void *buf, size_t len, struct lb_diag *d)
{
	struct lb_mp_rd r;
	lb_err e;

	lb_mp_rd_init(&r, buf, len);
	if (len == 0 || (((const uint8_t *)buf)[0] & 0xf0) != 0x80) {
		uint8_t c = len ? ((const uint8_t *)buf)[0] : 0;
		if (c != 0xde && c != 0xdf)
			return lb_fail(d, LB_EMALFORMED, "record body is not a map");
	}
	if ((e = lb_mp_skip(&r, true, d))) {
		lb_diag_prefix(d, "record body");
		return e;
	}
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "record body: %zu trailing bytes after the map",
		               lb_mp_rd_left(&r));
	return LB_OK;
}

/* ---- writing ---------------------------------------------------------- */

void lb_mp_buf_init(struct lb_mp_buf *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
	b->oom = false;
}

void lb_mp_buf_reset(struct lb_mp_buf *b)
{
	b->sb.size = 0;
	b->oom = false;
}

void lb_mp_buf_free(struct lb_mp_buf *b)
{
	msgpack_sbuffer_destroy(&b->sb);
	memset(b, 0, sizeof *b);
}

#define CHK(call)                 \
	do {                      \
		if ((call) != 0)  \
			b->oom = true; \
	} while (0)

void lb_mp_put_uint(struct lb_mp_buf *b, uint64_t v) { CHK(msgpack_pack_uint64(&b->pk, v)); }
void lb_mp_put_int(struct lb_mp_buf *b, int64_t v) { CHK(msgpack_pack_int64(&b->pk, v)); }
void lb_mp_put_nil(struct lb_mp_buf *b) { CHK(msgpack_pack_nil(&b->pk)); }
void lb_mp_put_array(struct lb_mp_buf *b, uint32_t n) { CHK(msgpack_pack_array(&b->pk, n)); }
void lb_mp_put_map(struct lb_mp_buf *b, uint32_t n) { CHK(msgpack_pack_map(&b->pk, n)); }

void lb_mp_put_bool(struct lb_mp_buf *b, bool v)
{
	CHK(v ? msgpack_pack_true(&b->pk) : msgpack_pack_false(&b->pk));
}

void lb_mp_put_str(struct lb_mp_buf *b, const void *s, size_t len)
{
	CHK(msgpack_pack_str(&b->pk, len));
	CHK(msgpack_pack_str_body(&b->pk, s, len));
}

void lb_mp_put_cstr(struct lb_mp_buf *b, const char *s) { lb_mp_put_str(b, s, strlen(s)); }

void lb_mp_put_bin(struct lb_mp_buf *b, const void *s, size_t len)
{
	CHK(msgpack_pack_bin(&b->pk, len));
	CHK(msgpack_pack_bin_body(&b->pk, s, len));
}

void lb_mp_put_raw(struct lb_mp_buf *b, const void *s, size_t len)
{
	CHK(msgpack_sbuffer_write(&b->sb, s, len));
}
