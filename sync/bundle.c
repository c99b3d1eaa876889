/*
 * bundle.c — bundle frames written and read (bundle.h).
 */
#include "bundle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/mp.h"
#include "envelope.h"

static lb_err put_u32(FILE *f, uint32_t v, struct lb_diag *d)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	if (fwrite(b, 1, 4, f) != 4)
		return lb_fail(d, LB_EIO, "writing the bundle: %s", strerror(errno));
	return LB_OK;
}

lb_err lb_bundle_begin(struct lb_bundle_w *w, FILE *out, struct lb_diag *d)
{
	w->f = out;
	w->frames = 0;
	if (fwrite(LB_BUNDLE_MAGIC, 1, LB_BUNDLE_MAGIC_LEN, out) != LB_BUNDLE_MAGIC_LEN)
		return lb_fail(d, LB_EIO, "writing the bundle: %s", strerror(errno));
	return LB_OK;
}

lb_err lb_bundle_put(struct lb_bundle_w *w, const void *frame, size_t len, struct lb_diag *d)
{
	lb_err e;

	if (!len || len > LB_BUNDLE_MAX_FRAME)
		return lb_fail(d, LB_ETOOBIG, "a bundle frame holds 1..%u MiB, not %zu bytes",
		               LB_BUNDLE_MAX_FRAME >> 20, len);
	if ((e = put_u32(w->f, (uint32_t)len, d)))
		return e;
	if (fwrite(frame, 1, len, w->f) != len)
		return lb_fail(d, LB_EIO, "writing the bundle: %s", strerror(errno));
	w->frames++;
	return LB_OK;
}

lb_err lb_bundle_end(struct lb_bundle_w *w, struct lb_diag *d)
{
	struct lb_mp_buf b;
	lb_err e;

	lb_mp_buf_init(&b);
	lb_mp_put_map(&b, 2);
	lb_mp_put_cstr(&b, "frames");
	lb_mp_put_uint(&b, w->frames);
	lb_mp_put_cstr(&b, "kind");
	lb_mp_put_cstr(&b, "end");
	if (b.oom)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	else if (!(e = put_u32(w->f, (uint32_t)b.sb.size, d)) &&
	         fwrite(b.sb.data, 1, b.sb.size, w->f) != b.sb.size)
		e = lb_fail(d, LB_EIO, "writing the bundle: %s", strerror(errno));
	lb_mp_buf_free(&b);
	if (!e && fflush(w->f))
		e = lb_fail(d, LB_EIO, "writing the bundle: %s", strerror(errno));
	return e;
}

bool lb_bundle_is(const void *buf, size_t len)
{
	return len >= LB_BUNDLE_MAGIC_LEN && !memcmp(buf, LB_BUNDLE_MAGIC, LB_BUNDLE_MAGIC_LEN);
}

lb_err lb_bundle_open(struct lb_bundle_r *r, FILE *in, struct lb_diag *d)
{
	uint8_t m[LB_BUNDLE_MAGIC_LEN];

	memset(r, 0, sizeof *r);
	r->f = in;
	if (fread(m, 1, sizeof m, in) != sizeof m) {
		if (ferror(in))
			return lb_fail(d, LB_EIO, "reading the bundle: %s", strerror(errno));
		return lb_fail(d, LB_EMALFORMED, "not a bundle (shorter than its magic)");
	}
	if (!lb_bundle_is(m, sizeof m))
		return lb_fail(d, LB_EMALFORMED, "not a bundle (no \"" LB_BUNDLE_MAGIC "\" magic)");
	return LB_OK;
}

/* The trailer {frames: N, kind: "end"}: N must be the frames read. */
static lb_err check_trailer(struct lb_bundle_r *r, uint32_t fields, struct lb_mp_rd *rd,
                            struct lb_diag *d)
{
	const uint8_t *s;
	uint32_t n;
	uint64_t frames;
	lb_err e;

	if (fields != 2)
		return lb_fail(d, LB_EMALFORMED, "bundle trailer: %u fields, not 2", fields);
	if ((e = lb_mp_read_uint(rd, &frames, "bundle trailer frame count", d)) ||
	    (e = lb_mp_read_str(rd, &s, &n, "bundle trailer key", d)))
		return e;
	if (n != 4 || memcmp(s, "kind", 4))
		return lb_fail(d, LB_EMALFORMED, "bundle trailer: \"kind\" missing");
	if ((e = lb_mp_read_str(rd, &s, &n, "bundle trailer kind", d)))
		return e;
	if (n != 3 || memcmp(s, "end", 3) || lb_mp_rd_left(rd))
		return lb_fail(d, LB_EMALFORMED, "bundle trailer: not {frames, kind: \"end\"}");
	if (frames != r->frames)
		return lb_fail(d, LB_EMALFORMED,
		               "bundle trailer says %llu frames, but %llu came before it",
		               (unsigned long long)frames, (unsigned long long)r->frames);
	if (fgetc(r->f) != EOF)
		return lb_fail(d, LB_EMALFORMED, "bytes after the bundle's trailer");
	r->ended = true;
	return LB_ENOTFOUND;
}

lb_err lb_bundle_next(struct lb_bundle_r *r, enum lb_bundle_kind *kind, const uint8_t **frame,
                      size_t *len, struct lb_diag *d)
{
	uint8_t h[4];
	size_t got, n;
	struct lb_mp_rd rd;
	struct lb_mp_obj o;
	uint32_t fields;

	*frame = NULL;
	*len = 0;
	*kind = LB_BUNDLE_OTHER;
	if (r->ended)
		return LB_ENOTFOUND;
	got = fread(h, 1, 4, r->f);
	if (got != 4) {
		if (ferror(r->f))
			return lb_fail(d, LB_EIO, "reading the bundle: %s", strerror(errno));
		return lb_fail(d, LB_EMALFORMED,
		               "the bundle is truncated after frame %llu: its end trailer is missing",
		               (unsigned long long)r->frames);
	}
	n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (n > LB_BUNDLE_MAX_FRAME)
		return lb_fail(d, LB_ETOOBIG, "bundle frame %llu declares %zu bytes, more than a frame "
		               "may hold (%u MiB)", (unsigned long long)r->frames + 1, n,
		               LB_BUNDLE_MAX_FRAME >> 20);
	/* the buffer grows with the bytes that actually arrive, so a short
	 * file declaring a huge frame costs no more than its own size */
	for (got = 0; got < n;) {
		size_t want = n - got, k;
		if (got == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 64 << 10;
			uint8_t *nb;
			if (cap > n)
				cap = n;
			if (!(nb = realloc(r->buf, cap)))
				return lb_fail(d, LB_ENOMEM, "out of memory");
			r->buf = nb;
			r->cap = cap;
		}
		if (want > r->cap - got)
			want = r->cap - got;
		k = fread(r->buf + got, 1, want, r->f);
		got += k;
		if (k < want)
			break;
	}
	if (got != n) {
		if (ferror(r->f))
			return lb_fail(d, LB_EIO, "reading the bundle: %s", strerror(errno));
		return lb_fail(d, LB_EMALFORMED,
		               "the bundle is truncated in frame %llu: %zu of its %zu bytes are there",
		               (unsigned long long)r->frames + 1, got, n);
	}
	/* a compressed or sealed frame is a change set (envelope.h: by its
	 * magic); else the first key says what the frame is; the receiver
	 * checks the rest */
	if (n)
		lb_mp_rd_init(&rd, r->buf, n);
	if (n && lb_env_form(r->buf, n) != LB_ENV_PLAIN)
		*kind = LB_BUNDLE_CHANGESET;
	else if (n && !lb_mp_next(&rd, &o, NULL) && o.kind == LB_MP_MAP && (fields = o.len) &&
	    !lb_mp_next(&rd, &o, NULL) && o.kind == LB_MP_STR) {
		if (o.len == 6 && !memcmp(o.s, "frames", 6))
			return check_trailer(r, fields, &rd, d);
		if (o.len == 7 && !memcmp(o.s, "entries", 7))
			*kind = LB_BUNDLE_CHANGESET;
		else if (o.len == 10 && !memcmp(o.s, "statements", 10))
			*kind = LB_BUNDLE_STATEMENTS;
	}
	r->frames++;
	*frame = r->buf;
	*len = n;
	return LB_OK;
}

void lb_bundle_close(struct lb_bundle_r *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}
