/*
 * entry.c — canonical encoding and bounded decoding of change entries.
 */
#include "entry.h"

#include <string.h>

#include <sodium.h>

#include "../schema/schema.h"
#include "../schema/text.h"

lb_err lb_entry_encode(struct lb_mp_buf *out, const struct lb_entry *e)
{
	lb_mp_put_array(out, 8);
	lb_mp_put_uint(out, e->seq);
	lb_mp_put_uint(out, e->ts);
	lb_mp_put_uint(out, (uint64_t)e->op);
	lb_mp_put_str(out, e->type, e->type_len);
	lb_mp_put_str(out, e->id, e->id_len);
	if (e->op == LB_OP_PUT)
		lb_mp_put_raw(out, e->body, e->body_len);
	else
		lb_mp_put_nil(out);
	lb_mp_put_uint(out, e->schema);
	lb_mp_put_bin(out, e->prev, LB_HASH_BYTES);
	return out->oom ? LB_ENOMEM : LB_OK;
}

/* Re-label an error from a helper as a malformed entry field. */
static lb_err malformed(struct lb_diag *d, const char *field)
{
	lb_diag_prefix(d, "%s", field);
	if (d)
		d->code = LB_EMALFORMED;
	return LB_EMALFORMED;
}

static lb_err decode(struct lb_entry *e, const void *buf, size_t len, bool canonical_body,
                     struct lb_diag *d)
{
	struct lb_mp_rd r;
	uint64_t op, schema;
	const uint8_t *s, *prev;
	uint32_t n;
	char type[LB_TYPE_MAX + 1];
	lb_err err;

	memset(e, 0, sizeof *e);
	lb_mp_rd_init(&r, buf, len);
	if ((err = lb_mp_read_array(&r, 8, "entry", d)) ||
	    (err = lb_mp_read_uint(&r, &e->seq, "entry seq", d)) ||
	    (err = lb_mp_read_uint(&r, &e->ts, "entry ts", d)) ||
	    (err = lb_mp_read_uint(&r, &op, "entry op", d)))
		return err;
	if (op > LB_OP_DEL)
		return lb_fail(d, LB_EMALFORMED, "entry op: %llu is neither put (0) nor del (1)",
		               (unsigned long long)op);
	e->op = (enum lb_op)op;

	if ((err = lb_mp_read_str(&r, &s, &n, "entry type", d)))
		return err;
	if (n > LB_TYPE_MAX)
		return lb_fail(d, LB_EMALFORMED, "entry type: longer than %d bytes", LB_TYPE_MAX);
	memcpy(type, s, n);
	type[n] = '\0';
	if (memchr(s, 0, n) || lb_type_check(type, d))
		return malformed(d, "entry type");
	e->type = (const char *)s;
	e->type_len = n;

	if ((err = lb_mp_read_str(&r, &s, &n, "entry id", d)))
		return err;
	if (lb_id_check((const char *)s, n, d))
		return malformed(d, "entry id");
	e->id = (const char *)s;
	e->id_len = n;

	if (e->op == LB_OP_PUT) {
		const uint8_t *start = r.p;
		struct lb_mp_rd peek = r;
		struct lb_mp_obj o;
		if (lb_mp_next(&peek, &o, d) || o.kind != LB_MP_MAP)
			return lb_fail(d, LB_EMALFORMED, "entry body: a put entry's body must be a map");
		if ((err = lb_mp_skip(&r, canonical_body, d)))
			return malformed(d, "entry body");
		e->body = start;
		e->body_len = (size_t)(r.p - start);
	} else {
		struct lb_mp_obj o;
		if ((err = lb_mp_next(&r, &o, d)))
			return malformed(d, "entry body");
		if (o.kind != LB_MP_NIL)
			return lb_fail(d, LB_EMALFORMED, "entry body: a del entry must have nil body");
	}
	if ((err = lb_mp_read_uint(&r, &schema, "entry schema", d)))
		return err;
	if (schema > UINT32_MAX)
		return lb_fail(d, LB_EMALFORMED, "entry schema: version out of range");
	e->schema = (uint32_t)schema;
	if ((err = lb_mp_read_binn(&r, &prev, LB_HASH_BYTES, "entry prev", d)))
		return err;
	memcpy(e->prev, prev, LB_HASH_BYTES);
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "entry: %zu trailing bytes", lb_mp_rd_left(&r));
	return LB_OK;
}

lb_err lb_entry_decode(struct lb_entry *e, const void *buf, size_t len, struct lb_diag *d)
{
	return decode(e, buf, len, true, d);
}

lb_err lb_entry_decode_stored(struct lb_entry *e, const void *buf, size_t len,
                              struct lb_diag *d)
{
	return decode(e, buf, len, false, d);
}

void lb_hash(uint8_t out[LB_HASH_BYTES], const void *buf, size_t len)
{
	crypto_generichash(out, LB_HASH_BYTES, buf, len, NULL, 0);
}

void lb_hex(char *out, const uint8_t *b, size_t n)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

lb_err lb_unhex(uint8_t *out, size_t n, const char *hex)
{
	size_t got = 0;
	const char *end = NULL;

	if (!hex || strlen(hex) != 2 * n)
		return LB_EINVAL;
	if (sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, &end) != 0 || got != n || *end)
		return LB_EINVAL;
	return LB_OK;
}

lb_err lb_entry_check_schema(const struct lb_entry *e, const struct lb_refs *refs,
                             struct lb_diag *d)
{
	const struct lb_schema *sch = lb_schema_get(e->schema);
	char type[LB_TYPE_MAX + 1], esc[LB_ESC_BUF], tesc[LB_ESC_BUF];
	lb_err err;

	if (!sch)
		return lb_fail(d, LB_ESCHEMA,
		               "seq %llu: written under schema version %u, which this lumbung does not "
		               "know (newest known: %u); upgrade lumbung",
		               (unsigned long long)e->seq, e->schema, lb_schema_latest());
	if (e->type_len > LB_TYPE_MAX)
		return lb_fail(d, LB_ESCHEMA, "seq %llu: record type longer than %d bytes",
		               (unsigned long long)e->seq, LB_TYPE_MAX);
	memcpy(type, e->type, e->type_len);
	type[e->type_len] = '\0';
	if (e->op == LB_OP_DEL)
		err = lb_schema_type(sch, type) ? LB_OK
		                                : lb_fail(d, LB_ESCHEMA, "unknown record type %s",
		                                          lb_escape(tesc, type, e->type_len));
	else
		err = lb_schema_validate(sch, type, e->id, e->id_len, e->body, e->body_len, refs, d);
	if (err)
		lb_diag_prefix(d, "seq %llu: %s %s (schema version %u)", (unsigned long long)e->seq,
		               lb_escape(tesc, type, e->type_len), lb_escape(esc, e->id, e->id_len),
		               e->schema);
	return err;
}

