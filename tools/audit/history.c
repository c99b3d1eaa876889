/*
 * history.c — every change of one record, read from a log archive while
 * the archive is verified (lb_audit_history in audit.h).
 *
 * The verifier's hooks see each entry and head in file order once they
 * passed their checks.  An entry for the record becomes a change: the
 * fields that differ between the record's body before it (kept here, one
 * body) and after it.  Changes wait in c[pending..n) until the next signed
 * head, which is the first head at or after them: the signature that
 * covers them.  Nothing of other records is kept, so memory is one body
 * plus this record's changes, whatever the archive's size.
 */
#include "audit.h"

#include <stdlib.h>
#include <string.h>

#include "../../node/body.h"

struct hctx {
	const char *type;
	size_t type_len;
	const char *id;
	size_t id_len;
	struct lb_audit_history *h;
};

static int keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static json_t *body_or_empty(const uint8_t *body, size_t len, struct lb_diag *d)
{
	json_t *j;

	if (!body)
		return json_object();
	if (!(j = lb_body_to_json(body, len, d)))
		return NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		lb_fail(d, LB_EMALFORMED, "a record body is not a map");
		return NULL;
	}
	return j;
}

lb_err lb_audit_body_diff(json_t **out, const uint8_t *old_body, size_t old_len,
                          const uint8_t *new_body, size_t new_len, struct lb_diag *d)
{
	json_t *o = NULL, *n = NULL, *res = NULL, *v;
	const char **keys = NULL, *k;
	size_t nk = 0;
	lb_err e = LB_OK;

	*out = NULL;
	if (!(o = body_or_empty(old_body, old_len, d)) || !(n = body_or_empty(new_body, new_len, d))) {
		e = d && d->code ? d->code : LB_ENOMEM;
		goto out;
	}
	if (!(res = json_object()) ||
	    !(keys = malloc((json_object_size(o) + json_object_size(n) + 1) * sizeof *keys))) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(o, k, v) keys[nk++] = k;
	json_object_foreach(n, k, v) if (!json_object_get(o, k)) keys[nk++] = k;
	/* canonical bodies sort keys bytewise; strcmp is bytewise for UTF-8 */
	qsort(keys, nk, sizeof *keys, keycmp);
	for (size_t i = 0; i < nk; i++) {
		json_t *ov = json_object_get(o, keys[i]), *nv = json_object_get(n, keys[i]), *c;
		if (ov && nv && json_equal(ov, nv))
			continue;
		if (!(c = json_object()) || (ov && json_object_set(c, "old", ov)) ||
		    (nv && json_object_set(c, "new", nv)) || json_object_set_new(res, keys[i], c)) {
			e = lb_fail(d, LB_ENOMEM, "out of memory");
			goto out;
		}
	}
	*out = res;
	res = NULL;
out:
	free(keys);
	json_decref(res);
	json_decref(o);
	json_decref(n);
	return e;
}

static lb_err on_entry(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                       struct lb_diag *d)
{
	struct hctx *x = ctx;
	struct lb_audit_history *h = x->h;
	struct lb_audit_change *c;
	uint8_t *nb = NULL;
	lb_err err;

	if (e->type_len != x->type_len || e->id_len != x->id_len ||
	    memcmp(e->type, x->type, x->type_len) != 0 || memcmp(e->id, x->id, x->id_len) != 0)
		return LB_OK;
	if (h->n == h->cap) {
		size_t nc = h->cap ? 2 * h->cap : 16;
		struct lb_audit_change *p = realloc(h->c, nc * sizeof *p);
		if (!p)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		h->c = p;
		h->cap = nc;
	}
	if (e->op == LB_OP_PUT && !(nb = malloc(e->body_len ? e->body_len : 1)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	c = &h->c[h->n];
	memset(c, 0, sizeof *c);
	if ((err = lb_audit_body_diff(&c->changes, h->body, h->body_len,
	                              e->op == LB_OP_PUT ? e->body : NULL, e->body_len, d))) {
		free(nb);
		lb_diag_prefix(d, "seq %llu", (unsigned long long)e->seq);
		return err;
	}
	c->seq = e->seq;
	c->ts = e->ts;
	c->op = e->op;
	c->schema = e->schema;
	memcpy(c->hash, hash, LB_HASH_BYTES);
	h->n++;
	free(h->body);
	h->body = nb;
	h->body_len = 0;
	if (nb) {
		memcpy(nb, e->body, e->body_len);
		h->body_len = e->body_len;
	}
	return LB_OK;
}

static lb_err on_head(void *ctx, const struct lb_head *hd, struct lb_diag *d)
{
	struct lb_audit_history *h = ((struct hctx *)ctx)->h;

	(void)d;
	for (; h->pending < h->n; h->pending++) {
		struct lb_audit_change *c = &h->c[h->pending];
		c->covered = true;
		c->head_seq = hd->seq;
		memcpy(c->head_hash, hd->hash, LB_HASH_BYTES);
	}
	return LB_OK;
}

void lb_audit_history_free(struct lb_audit_history *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		json_decref(h->c[i].changes);
	free(h->c);
	free(h->body);
	memset(h, 0, sizeof *h);
}

lb_err lb_audit_history(FILE *in, const char *type, const char *id, size_t id_len,
                        const struct lb_audit_opts *o, struct lb_audit_history *h,
                        struct lb_audit_report *r, struct lb_diag *d)
{
	struct lb_audit_opts opts = {0};
	struct hctx x = {.type = type, .type_len = strlen(type), .id = id, .id_len = id_len, .h = h};
	lb_err e;

	memset(h, 0, sizeof *h);
	if (o) {
		if (o->hooks.entry || o->hooks.head || o->hooks.receipt || o->hooks.fork)
			return lb_fail(d, LB_EINVAL, "lb_audit_history sets the hooks itself");
		opts = *o;
	}
	opts.hooks = (struct lb_audit_hooks){.entry = on_entry, .head = on_head, .ctx = &x};
	if ((e = lb_audit_verify(in, &opts, r, d)))
		lb_audit_history_free(h);
	return e;
}
