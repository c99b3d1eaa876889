/*
 * body.c — JSON <-> canonical msgpack for record bodies.
 */
#include "body.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../schema/text.h"

struct kv {
	const char *k;
	size_t n;
	json_t *v;
};

static int kvcmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);
	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

static lb_err put_json(struct lb_mp_buf *out, const json_t *v, int depth, struct lb_diag *d)
{
	lb_err e = LB_OK;

	if (depth > LB_MP_MAX_DEPTH)
		return lb_fail(d, LB_ETOOBIG, "JSON nested deeper than %d levels", LB_MP_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v), i = 0;
		struct kv *kvs = n ? calloc(n, sizeof *kvs) : NULL;
		const char *k;
		json_t *val;

		if (n && !kvs)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		json_object_foreach((json_t *)v, k, val)
		{
			kvs[i].k = k;
			kvs[i].n = strlen(k); /* jansson refuses NUL in keys by default */
			if (kvs[i].n > LB_FIELD_NAME_MAX)
				e = lb_fail(d, LB_ETOOBIG, "field name longer than %d bytes", LB_FIELD_NAME_MAX);
			kvs[i].v = val;
			i++;
		}
		if (n)
			qsort(kvs, n, sizeof *kvs, kvcmp);
		lb_mp_put_map(out, (uint32_t)n);
		for (i = 0; i < n && !e; i++) {
			/* e may already be set by an over-long name above */
			if (!lb_utf8_valid(kvs[i].k, kvs[i].n))
				e = lb_fail(d, LB_EINVAL, "field name is not valid UTF-8");
			else {
				lb_mp_put_str(out, kvs[i].k, kvs[i].n);
				e = put_json(out, kvs[i].v, depth + 1, d);
			}
		}
		free(kvs);
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		lb_mp_put_array(out, (uint32_t)n);
		for (size_t i = 0; i < n && !e; i++)
			e = put_json(out, json_array_get(v, i), depth + 1, d);
		break;
	}
	case JSON_STRING:
		if (!lb_utf8_valid(json_string_value(v), json_string_length(v)))
			return lb_fail(d, LB_EINVAL, "string value is not valid UTF-8 (or contains NUL)");
		lb_mp_put_str(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		lb_mp_put_int(out, (int64_t)json_integer_value(v));
		break;
	case JSON_REAL: /* no record field is a fraction, and floats are not canonical (§1) */
		return lb_fail(d, LB_EINVAL, "the number %g has a fraction or an exponent: write a "
		               "whole number (or text)", json_real_value(v));
	case JSON_TRUE:
		lb_mp_put_bool(out, true);
		break;
	case JSON_FALSE:
		lb_mp_put_bool(out, false);
		break;
	case JSON_NULL:
		lb_mp_put_nil(out);
		break;
	}
	if (!e && out->oom)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	return e;
}

lb_err lb_body_from_json(struct lb_mp_buf *out, const json_t *obj, struct lb_diag *d)
{
	if (!json_is_object(obj))
		return lb_fail(d, LB_EINVAL, "record body must be a JSON object");
	return put_json(out, obj, 1, d);
}

static json_t *to_json(struct lb_mp_rd *r, int depth, struct lb_diag *d)
{
	struct lb_mp_obj o;
	json_t *j = NULL;

	if (depth > LB_MP_MAX_DEPTH) {
		lb_fail(d, LB_EMALFORMED, "msgpack nested deeper than %d levels", LB_MP_MAX_DEPTH);
		return NULL;
	}
	if (lb_mp_next(r, &o, d))
		return NULL;
	switch (o.kind) {
	case LB_MP_NIL:
		return json_null();
	case LB_MP_BOOL:
		return json_boolean(o.v.b);
	case LB_MP_UINT:
		if (o.v.u > INT64_MAX) /* JSON via jansson is int64; keep the value exact */
			return json_real((double)o.v.u);
		return json_integer((json_int_t)o.v.u);
	case LB_MP_INT:
		return json_integer((json_int_t)o.v.i);
	case LB_MP_FLOAT:
		return json_real(o.v.f);
	case LB_MP_STR:
		j = json_stringn_nocheck((const char *)o.s, o.len);
		break;
	case LB_MP_BIN: {
		char *hex = malloc(2 * (size_t)o.len + 1);
		if (hex) {
			sodium_bin2hex(hex, 2 * (size_t)o.len + 1, o.s, o.len);
			j = json_string_nocheck(hex);
			free(hex);
		}
		break;
	}
	case LB_MP_ARRAY:
		if (!(j = json_array()))
			break;
		for (uint32_t i = 0; i < o.len; i++) {
			json_t *v = to_json(r, depth + 1, d);
			if (!v || json_array_append_new(j, v)) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case LB_MP_MAP:
		if (!(j = json_object()))
			break;
		for (uint32_t i = 0; i < o.len; i++) {
			struct lb_mp_obj k;
			char key[256];
			json_t *v;
			if (lb_mp_next(r, &k, d) || k.kind != LB_MP_STR || k.len > LB_FIELD_NAME_MAX ||
			    memchr(k.s, 0, k.len)) {
				lb_fail(d, LB_EMALFORMED, "map key is not a string of under 256 bytes");
				json_decref(j);
				return NULL;
			}
			memcpy(key, k.s, k.len);
			key[k.len] = '\0';
			if (!(v = to_json(r, depth + 1, d)) || json_object_set_new_nocheck(j, key, v)) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	}
	if (!j)
		lb_fail(d, LB_ENOMEM, "out of memory");
	return j;
}

json_t *lb_body_to_json(const void *buf, size_t len, struct lb_diag *d)
{
	struct lb_mp_rd r;
	json_t *j;

	lb_mp_rd_init(&r, buf, len);
	j = to_json(&r, 1, d);
	if (j && lb_mp_rd_left(&r)) {
		json_decref(j);
		lb_fail(d, LB_EMALFORMED, "%zu trailing bytes after the value", lb_mp_rd_left(&r));
		return NULL;
	}
	return j;
}
