/*
 * find.c — see find.h.
 *
 * One pass over each body: the map's keys are compared with the terms'
 * field names and only those values are looked at.  A village of 20,000
 * residents is a few megabytes of bodies, so a scan is cheaper than
 * keeping indexes in step with every write (docs/PERFORMANCE.md).
 */
#include "find.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/i18n.h"
#include "../schema/mp.h"
#include "../schema/text.h"
#include "../schema/value.h"

enum op { OP_EQ, OP_HAS };

struct term {
	const char *field;    /* schema's name, or NULL for the record id */
	size_t field_len;
	enum op op;
	bool absent;          /* OP_EQ with nothing after '=': the field is not there */
	enum lb_value_kind kind;
	int64_t num;
	bool b;
	char *text;           /* OP_EQ string value, or OP_HAS text lower-cased */
	size_t len;
};

struct lb_find {
	const struct lb_type *t;
	struct term *terms;
	size_t n;
};

lb_err lb_find_type(const char *name, const struct lb_type **t, struct lb_diag *d)
{
	const struct lb_schema *s = lb_schema_get(lb_schema_latest());

	if ((*t = lb_schema_type(s, name)))
		return LB_OK;
	/* lb_schema_validate words the refusal, listing the types */
	lb_err e = lb_schema_validate(s, name, "", 0, NULL, 0, NULL, d);
	return e ? e : lb_fail(d, LB_ESCHEMA, "unknown record type");
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static lb_err term_parse(const struct lb_type *t, const char *arg, struct term *tm,
                         struct lb_diag *d)
{
	char esc[LB_ESC_BUF];
	size_t flen = strcspn(arg, "=~");
	const char *val = arg + flen + 1;
	char name[128];

	if (!arg[flen] || flen == 0)
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a search term: write field=value or field~text",
		               lb_escape(esc, arg, strlen(arg)));
	if (flen >= sizeof name)
		return lb_fail(d, LB_ESCHEMA, "\"%s\" is not a field of %s",
		               lb_escape(esc, arg, flen), t->name);
	memcpy(name, arg, flen);
	name[flen] = '\0';
	tm->op = arg[flen] == '=' ? OP_EQ : OP_HAS;

	const struct lb_field *f = lb_type_field_loose(t, name);
	if (!f && !strcmp(name, "id")) {
		tm->field = NULL;
	} else if (!f) {
		return lb_fail(d, LB_ESCHEMA, "\"%s\" is not a field of %s", lb_escape(esc, name, flen),
		               t->name);
	} else {
		tm->field = f->name;
		tm->field_len = f->name_len;
	}

	if (tm->op == OP_HAS) {
		tm->len = strlen(val);
		if (!(tm->text = malloc(tm->len + 1)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		for (size_t i = 0; i <= tm->len; i++)
			tm->text[i] = lower(val[i]);
		return LB_OK;
	}
	if (!*val) {
		if (!f)
			return lb_fail(d, LB_EINVAL, "id= needs a value");
		tm->absent = true;
		return LB_OK;
	}
	tm->kind = LB_V_STR;
	const char *s = val;
	size_t len = strlen(val);
	struct lb_value v;
	if (f) {
		lb_err e = lb_field_read(f, val, &v, d);
		if (e)
			return e;
		tm->kind = v.kind;
		tm->num = v.num;
		tm->b = v.b;
		s = v.str;
		len = v.len;
	}
	if (tm->kind == LB_V_STR) {
		if (!(tm->text = malloc(len + 1)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		memcpy(tm->text, s, len);
		tm->text[len] = '\0';
		tm->len = len;
	}
	return LB_OK;
}

lb_err lb_find_new(struct lb_find **out, const char *type, char *const *terms, size_t n,
                   struct lb_diag *d)
{
	struct lb_find *q;
	lb_err e;

	*out = NULL;
	if (!(q = calloc(1, sizeof *q)) || (n && !(q->terms = calloc(n, sizeof *q->terms)))) {
		free(q);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if ((e = lb_find_type(type, &q->t, d))) {
		lb_find_free(q);
		return e;
	}
	for (q->n = 0; q->n < n; q->n++)
		if ((e = term_parse(q->t, terms[q->n], &q->terms[q->n], d))) {
			q->n++; /* free what the failed term allocated */
			lb_find_free(q);
			return e;
		}
	*out = q;
	return LB_OK;
}

const struct lb_type *lb_find_type_of(const struct lb_find *q)
{
	return q->t;
}

/* Case-insensitive (ASCII) substring: needle is already lower-case. */
static bool contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen == 0)
		return true;
	for (size_t i = 0; i + nlen <= hlen; i++) {
		if (lower(hay[i]) != needle[0])
			continue;
		size_t k = 1;
		while (k < nlen && lower(hay[i + k]) == needle[k])
			k++;
		if (k == nlen)
			return true;
	}
	return false;
}

static bool term_holds(const struct term *tm, const struct lb_mp_obj *o)
{
	char buf[32];
	int n;

	if (tm->op == OP_HAS) {
		switch (o->kind) {
		case LB_MP_STR:
			return contains((const char *)o->s, o->len, tm->text, tm->len);
		case LB_MP_UINT:
			n = snprintf(buf, sizeof buf, "%" PRIu64, o->v.u);
			return contains(buf, (size_t)n, tm->text, tm->len);
		case LB_MP_INT:
			n = snprintf(buf, sizeof buf, "%" PRId64, o->v.i);
			return contains(buf, (size_t)n, tm->text, tm->len);
		case LB_MP_BOOL:
			return contains(o->v.b ? "true" : "false", o->v.b ? 4 : 5, tm->text, tm->len);
		default:
			return false;
		}
	}
	if (tm->absent)
		return false; /* the field is there */
	switch (tm->kind) {
	case LB_V_STR:
		return o->kind == LB_MP_STR && o->len == tm->len && !memcmp(o->s, tm->text, tm->len);
	case LB_V_NUM:
		return tm->num >= 0 ? o->kind == LB_MP_UINT && o->v.u == (uint64_t)tm->num
		                    : o->kind == LB_MP_INT && o->v.i == tm->num;
	case LB_V_BOOL:
		return o->kind == LB_MP_BOOL && o->v.b == tm->b;
	}
	return false;
}

bool lb_find_match(const struct lb_find *q, const char *id, size_t id_len, const uint8_t *body,
                   size_t body_len)
{
	/* terms are few (command-line arguments); a mark per term met */
	unsigned char seen_small[64], *seen = seen_small;
	struct lb_diag d = {0};
	struct lb_mp_rd r;
	struct lb_mp_obj o, k;
	uint32_t npairs = 0;
	bool ok = true;

	if (q->n > sizeof seen_small && !(seen = calloc(q->n, 1)))
		return false;
	if (seen == seen_small)
		memset(seen, 0, sizeof seen_small);

	for (size_t i = 0; i < q->n && ok; i++) {
		const struct term *tm = &q->terms[i];
		if (tm->field)
			continue;
		seen[i] = 1;
		ok = tm->op == OP_HAS ? contains(id, id_len, tm->text, tm->len)
		                      : id_len == tm->len && !memcmp(id, tm->text, id_len);
	}

	lb_mp_rd_init(&r, body, body_len);
	if (ok) {
		if (lb_mp_next(&r, &o, &d) || o.kind != LB_MP_MAP)
			ok = false;
		else
			npairs = o.len;
	}
	for (uint32_t p = 0; ok && p < npairs; p++) {
		bool wanted = false;
		if (lb_mp_next(&r, &k, &d) || k.kind != LB_MP_STR) {
			ok = false;
			break;
		}
		for (size_t i = 0; i < q->n && !wanted; i++)
			wanted = q->terms[i].field && q->terms[i].field_len == k.len &&
			         !memcmp(q->terms[i].field, k.s, k.len);
		if (!wanted) {
			if (lb_mp_skip(&r, false, &d))
				ok = false;
			continue;
		}
		struct lb_mp_rd at = r;
		if (lb_mp_next(&r, &o, &d)) {
			ok = false;
			break;
		}
		if (o.kind == LB_MP_ARRAY || o.kind == LB_MP_MAP) {
			/* no field kind is a container: such a value matches nothing */
			r = at;
			if (lb_mp_skip(&r, false, &d))
				ok = false;
			o.kind = LB_MP_NIL;
		}
		for (size_t i = 0; i < q->n && ok; i++) {
			const struct term *tm = &q->terms[i];
			if (tm->field && tm->field_len == k.len && !memcmp(tm->field, k.s, k.len)) {
				seen[i] = 1;
				ok = term_holds(tm, &o);
			}
		}
	}
	/* a term whose field the record lacks holds only as FIELD= */
	for (size_t i = 0; i < q->n && ok; i++)
		if (!seen[i])
			ok = q->terms[i].op == OP_EQ && q->terms[i].absent;
	if (seen != seen_small)
		free(seen);
	return ok;
}

struct run {
	const struct lb_find *q;
	lb_record_cb cb;
	void *ctx;
	size_t count;
};

static int run_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t body_len)
{
	struct run *r = ctx;
	if (!lb_find_match(r->q, id, id_len, body, body_len))
		return 0;
	r->count++;
	return r->cb(r->ctx, id, id_len, body, body_len);
}

lb_err lb_find_run(struct lb_node *n, const struct lb_find *q, lb_record_cb cb, void *ctx,
                   size_t *count, struct lb_diag *d)
{
	struct run r = {.q = q, .cb = cb, .ctx = ctx};
	lb_err e = lb_node_scan(n, q->t->name, run_cb, &r, d);
	if (count)
		*count = r.count;
	return e;
}

void lb_find_free(struct lb_find *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->terms[i].text);
	free(q->terms);
	free(q);
}
