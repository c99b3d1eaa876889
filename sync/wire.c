/*
 * wire.c — change sets on the wire (see wire.h for the format).
 *
 * The stored entry and its wire form differ only in the array header and
 * the trailing prev, so both directions are byte surgery on canonical
 * bytes; lb_entry_decode then checks the rebuilt bytes like any stored
 * entry, so nothing non-canonical gets in.
 */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#define PREV_TAIL (2 + LB_HASH_BYTES) /* c4 20 <32 bytes> */

lb_err lb_wire_begin(struct lb_mp_buf *out, size_t n, struct lb_diag *d)
{
	if (n == 0 || n > LB_WIRE_MAX_ENTRIES)
		return lb_fail(d, LB_EINVAL, "a change set holds 1..%d entries", LB_WIRE_MAX_ENTRIES);
	/* keys in canonical (sorted) order: entries, head, origin, v, village */
	lb_mp_put_map(out, 5);
	lb_mp_put_cstr(out, "entries");
	lb_mp_put_array(out, (uint32_t)n);
	return out->oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
}

lb_err lb_wire_add_entry(struct lb_mp_buf *out, const uint8_t *stored, size_t len,
                         struct lb_diag *d)
{
	static const uint8_t wire_hdr = 0x97; /* fixarray(7) */

	if (len < 1 + PREV_TAIL || stored[0] != 0x98 || stored[len - PREV_TAIL] != 0xc4 ||
	    stored[len - PREV_TAIL + 1] != LB_HASH_BYTES)
		return lb_fail(d, LB_EINVAL, "not a stored entry");
	lb_mp_put_raw(out, &wire_hdr, 1);
	lb_mp_put_raw(out, stored + 1, len - 1 - PREV_TAIL);
	return out->oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
}

lb_err lb_wire_end(struct lb_mp_buf *out, const char *village, const uint8_t origin[LB_PK_BYTES],
                   const uint8_t *head, size_t head_len, struct lb_diag *d)
{
	lb_mp_put_cstr(out, "head");
	lb_mp_put_bin(out, head, head_len);
	lb_mp_put_cstr(out, "origin");
	lb_mp_put_bin(out, origin, LB_PK_BYTES);
	lb_mp_put_cstr(out, "v");
	lb_mp_put_uint(out, LB_WIRE_VERSION);
	lb_mp_put_cstr(out, "village");
	lb_mp_put_cstr(out, village);
	return out->oom ? lb_fail(d, LB_ENOMEM, "out of memory") : LB_OK;
}

void lb_changeset_free(struct lb_changeset *cs)
{
	free(cs->e);
	free(cs->elen);
	cs->e = NULL;
	cs->elen = NULL;
	cs->n = 0;
}

static bool key_is(const struct lb_mp_obj *k, const char *name)
{
	return k->kind == LB_MP_STR && k->len == strlen(name) && !memcmp(k->s, name, k->len);
}

lb_err lb_wire_decode(struct lb_changeset *cs, const void *buf, size_t len, struct lb_diag *d)
{
	struct lb_mp_rd r;
	struct lb_mp_obj o, k;
	const uint8_t *s;
	uint32_t n;
	uint64_t v;
	lb_err e;

	memset(cs, 0, sizeof *cs);
	if (len > LB_WIRE_MAX_BYTES)
		return lb_fail(d, LB_ETOOBIG, "change set of %zu bytes exceeds %u", len,
		               LB_WIRE_MAX_BYTES);
	lb_mp_rd_init(&r, buf, len);
	/* Walk the whole value first: declared counts against bytes, depth,
	 * canonical form.  Only then look inside.  Each body sits under the
	 * map, the entries array and its wire entry, and gets the depth it has
	 * in a stored entry (§1). */
	if ((e = lb_mp_skip_within(&r, true, 3, d))) {
		lb_diag_prefix(d, "change set");
		return e;
	}
	if (lb_mp_rd_left(&r))
		return lb_fail(d, LB_EMALFORMED, "change set: %zu trailing bytes", lb_mp_rd_left(&r));
	lb_mp_rd_init(&r, buf, len);
	if ((e = lb_mp_next(&r, &o, d)) || o.kind != LB_MP_MAP || o.len != 5)
		return lb_fail(d, LB_EMALFORMED, "change set: expected a map of 5 fields");

	if ((e = lb_mp_next(&r, &k, d)) || !key_is(&k, "entries") || (e = lb_mp_next(&r, &o, d)) ||
	    o.kind != LB_MP_ARRAY)
		return lb_fail(d, LB_EMALFORMED, "change set: expected \"entries\", an array");
	if (o.len == 0 || o.len > LB_WIRE_MAX_ENTRIES)
		return lb_fail(d, o.len ? LB_ETOOBIG : LB_EMALFORMED,
		               "change set: %u entries (allowed 1..%d)", o.len, LB_WIRE_MAX_ENTRIES);
	cs->n = o.len;
	if (!(cs->e = calloc(cs->n, sizeof *cs->e)) || !(cs->elen = calloc(cs->n, sizeof *cs->elen))) {
		lb_changeset_free(cs);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cs->n; i++) {
		struct lb_mp_rd at = r, peek = r;
		uint64_t seq;
		if ((e = lb_mp_read_array(&peek, 7, "change set entry", d)) ||
		    (e = lb_mp_read_uint(&peek, &seq, "change set entry seq", d)))
			goto fail;
		if (i == 0)
			cs->first_seq = seq;
		else if (seq != cs->first_seq + i) {
			e = lb_fail(d, LB_EMALFORMED, "change set: entry %zu has seq %llu, expected %llu", i,
			            (unsigned long long)seq, (unsigned long long)(cs->first_seq + i));
			goto fail;
		}
		/* bounds only: canonical form and UTF-8 are checked once, by
		 * lb_entry_decode in lb_wire_rebuild, before anything is stored;
		 * the body sits one level down, in the wire entry */
		if ((e = lb_mp_skip_within(&r, false, 1, d)))
			goto fail;
		cs->e[i] = at.p;
		cs->elen[i] = (size_t)(r.p - at.p);
	}
	if (cs->first_seq == 0) {
		e = lb_fail(d, LB_EMALFORMED, "change set: seq starts at 1");
		goto fail;
	}
	if ((e = lb_mp_next(&r, &k, d)) || !key_is(&k, "head") ||
	    (e = lb_mp_next(&r, &o, d)) || o.kind != LB_MP_BIN || o.len > 1024) {
		e = lb_fail(d, LB_EMALFORMED, "change set: expected \"head\", a signed head");
		goto fail;
	}
	cs->head = o.s;
	cs->head_len = o.len;
	if ((e = lb_mp_next(&r, &k, d)) || !key_is(&k, "origin") ||
	    (e = lb_mp_read_binn(&r, &s, LB_PK_BYTES, "change set origin", d))) {
		e = lb_fail(d, LB_EMALFORMED, "change set: expected \"origin\", 32 bytes");
		goto fail;
	}
	memcpy(cs->origin, s, LB_PK_BYTES);
	if ((e = lb_mp_next(&r, &k, d)) || !key_is(&k, "v") ||
	    (e = lb_mp_read_uint(&r, &v, "change set v", d)) || v != LB_WIRE_VERSION) {
		e = lb_fail(d, LB_EMALFORMED, "change set: unsupported version (this side speaks %d)",
		            LB_WIRE_VERSION);
		goto fail;
	}
	if ((e = lb_mp_next(&r, &k, d)) || !key_is(&k, "village") ||
	    (e = lb_mp_read_str(&r, &s, &n, "change set village", d)) || n != LB_VILLAGE_LEN) {
		e = lb_fail(d, LB_EMALFORMED, "change set: expected \"village\", a desa code");
		goto fail;
	}
	memcpy(cs->village, s, n);
	cs->village[n] = '\0';
	if (lb_region_level(cs->village) != LB_REGION_DESA) {
		char esc[LB_ESC_BUF];
		e = lb_fail(d, LB_EMALFORMED, "change set: \"%s\" is not a desa code",
		            lb_escape(esc, cs->village, n));
		goto fail;
	}
	return LB_OK;
fail:
	lb_changeset_free(cs);
	return e ? e : LB_EMALFORMED;
}

lb_err lb_wire_rebuild(const struct lb_changeset *cs, size_t i, const uint8_t prev[LB_HASH_BYTES],
                       struct lb_mp_buf *out, struct lb_entry *e, uint8_t hash[LB_HASH_BYTES],
                       struct lb_diag *d)
{
	static const uint8_t stored_hdr = 0x98, bin32[2] = {0xc4, LB_HASH_BYTES};
	lb_err err;

	lb_mp_buf_reset(out);
	lb_mp_put_raw(out, &stored_hdr, 1);
	lb_mp_put_raw(out, cs->e[i] + 1, cs->elen[i] - 1);
	lb_mp_put_raw(out, bin32, 2);
	lb_mp_put_raw(out, prev, LB_HASH_BYTES);
	if (out->oom)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((err = lb_entry_decode(e, out->sb.data, out->sb.size, d))) {
		lb_diag_prefix(d, "seq %llu", (unsigned long long)(cs->first_seq + i));
		return err;
	}
	if (e->seq != cs->first_seq + i)
		return lb_fail(d, LB_EMALFORMED, "seq %llu: entry out of order",
		               (unsigned long long)(cs->first_seq + i));
	lb_hash(hash, out->sb.data, out->sb.size);
	return LB_OK;
}
