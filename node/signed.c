/*
 * signed.c — signing and opening signed messages (see signed.h).
 */
#include "signed.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../schema/text.h"

size_t lb_signed_begin(struct lb_mp_buf *out, const struct lb_signed_kind *k)
{
	static const uint8_t slot[LB_SIG_BYTES];
	size_t at = out->sb.size;

	lb_mp_put_raw(out, slot, sizeof slot);
	lb_mp_put_array(out, k->count);
	lb_mp_put_cstr(out, k->tag);
	lb_mp_put_uint(out, k->version);
	return at;
}

lb_err lb_signed_end(struct lb_mp_buf *out, size_t at, const struct lb_key *key)
{
	uint8_t sig[LB_SIG_BYTES];

	if (out->oom)
		return LB_ENOMEM;
	/* sign the exact bytes after the slot, in place */
	lb_sign(sig, out->sb.data + at + LB_SIG_BYTES, out->sb.size - at - LB_SIG_BYTES, key);
	memcpy(out->sb.data + at, sig, sizeof sig);
	return LB_OK;
}

lb_err lb_signed_open(struct lb_signed *s, const struct lb_signed_kind *k, const void *buf,
                      size_t len, struct lb_diag *d)
{
	const uint8_t *p = buf, *tag;
	struct lb_mp_obj o;
	uint32_t n;
	uint64_t ver;
	lb_err e;

	memset(s, 0, sizeof *s);
	s->kind = k;
	snprintf(s->name, sizeof s->name, "%s", k->what);
	if (len < LB_SIG_BYTES + 1)
		return lb_fail(d, LB_EMALFORMED,
		               "%s: %zu bytes is too short (a %d-byte signature, then the message)",
		               k->what, len, LB_SIG_BYTES);
	s->sig = p;
	s->msg = p + LB_SIG_BYTES;
	s->msg_len = len - LB_SIG_BYTES;
	lb_mp_rd_init(&s->rd, s->msg, s->msg_len);
	/* the header first, its count last: a message of another kind is
	 * named by its tag, whatever its length */
	if ((e = lb_mp_next(&s->rd, &o, d))) {
		lb_diag_prefix(d, "%s", k->what);
		return e;
	}
	if (o.kind != LB_MP_ARRAY || !o.canonical)
		return lb_fail(d, LB_EMALFORMED, "%s: expected an array of %u elements", k->what,
		               (unsigned)k->count);
	if (o.len < 2)
		return lb_fail(d, LB_EMALFORMED, "%s: an array of %u elements, expected %u", k->what,
		               (unsigned)o.len, (unsigned)k->count);
	if ((e = lb_mp_read_str(&s->rd, &tag, &n, "tag", d))) {
		lb_diag_prefix(d, "%s", k->what);
		return e;
	}
	if (n != strlen(k->tag) || memcmp(tag, k->tag, n) != 0) {
		char esc[LB_ESC_BUF];
		return lb_fail(d, LB_EMALFORMED, "%s: the tag is \"%s\", expected \"%s\"", k->what,
		               lb_escape(esc, tag, n), k->tag);
	}
	if ((e = lb_mp_read_uint(&s->rd, &ver, "version", d))) {
		lb_diag_prefix(d, "%s", k->what);
		return e;
	}
	if (ver != k->version)
		return lb_fail(d, LB_EMALFORMED, "%s: version %llu, expected %llu (the one this build reads)",
		               k->what, (unsigned long long)ver, (unsigned long long)k->version);
	if (o.len != k->count)
		return lb_fail(d, LB_EMALFORMED, "%s: an array of %u elements, expected %u", k->what,
		               (unsigned)o.len, (unsigned)k->count);
	return LB_OK;
}

void lb_signed_name(struct lb_signed *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->name, sizeof s->name, fmt, ap);
	va_end(ap);
}

lb_err lb_signed_check(const struct lb_signed *s, const uint8_t pk[LB_PK_BYTES],
                       const uint8_t *expect, const char *signer, struct lb_diag *d)
{
	if (lb_mp_rd_left(&s->rd))
		return lb_fail(d, LB_EMALFORMED, "%s: %zu trailing bytes after its %u fields", s->name,
		               lb_mp_rd_left(&s->rd), (unsigned)s->kind->count);
	if (expect && memcmp(expect, pk, LB_PK_BYTES) != 0)
		return lb_fail(d, LB_ESIG, "%s is signed by a different key", s->name);
	if (!lb_sig_ok(s->sig, s->msg, s->msg_len, pk))
		return signer ? lb_fail(d, LB_ESIG, "%s is not signed by %s", s->name, signer)
		              : lb_fail(d, LB_ESIG, "%s: signature does not verify", s->name);
	return LB_OK;
}
