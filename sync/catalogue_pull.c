/*
 * catalogue_pull.c — taking the aggregator's catalogues (catalogue_pull.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "catalogue_pull.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "../schema/text.h"
#include "fetch.h"

static lb_err bad_index(const char *url, const char *what, struct lb_diag *d)
{
	return lb_fail(d, LB_EREFUSED, "%s/v1/catalogues: %s (want {\"catalogues\": [{\"region\": "
	               "code, \"key\": hex, \"seq\": n}, ...]})", url, what);
}

lb_err lb_catalogue_index(const char *url, struct lb_catalogue_offer *offers, size_t max,
                          size_t *count, struct lb_diag *d)
{
	char *body = NULL;
	size_t len, i;
	json_t *j = NULL, *list, *o;
	lb_err e;

	*count = 0;
	if ((e = lb_fetch_get(url, "/v1/catalogues", NULL, &body, &len, d)))
		return e;
	j = json_loadb(body, len, 0, NULL);
	free(body);
	list = j ? json_object_get(j, "catalogues") : NULL;
	if (!json_is_array(list)) {
		e = bad_index(url, "not a list of catalogues", d);
		goto out;
	}
	if (json_array_size(list) > max) {
		e = bad_index(url, "more catalogues than this village keeps", d);
		goto out;
	}
	json_array_foreach(list, i, o) {
		struct lb_catalogue_offer *f = &offers[i];
		const char *region = json_string_value(json_object_get(o, "region"));
		const char *key = json_string_value(json_object_get(o, "key"));
		json_t *seq = json_object_get(o, "seq");
		char esc[64];

		if (!region || !lb_catalogue_region_ok(region)) {
			lb_escape_buf(esc, sizeof esc, region ? region : "(none)",
			              region ? strlen(region) : 6);
			e = lb_fail(d, LB_EREFUSED, "%s/v1/catalogues: catalogue %zu has region \"%s\", not "
			            "a kabupaten or kecamatan code", url, i + 1, esc);
			goto out;
		}
		if (!key || strlen(key) != 2 * LB_PK_BYTES || lb_unhex(f->key, LB_PK_BYTES, key) ||
		    !json_is_integer(seq) || json_integer_value(seq) < 0) {
			e = lb_fail(d, LB_EREFUSED, "%s/v1/catalogues: catalogue %s lacks a 64-hex key or "
			            "a seq", url, region);
			goto out;
		}
		snprintf(f->region, sizeof f->region, "%s", region);
		f->seq = (uint64_t)json_integer_value(seq);
	}
	*count = json_array_size(list);
out:
	json_decref(j);
	return e;
}

lb_err lb_catalogue_fetch(const char *url, const char *region, uint64_t from, FILE *out,
                          struct lb_diag *d)
{
	char path[96];

	if (!lb_catalogue_region_ok(region))
		return lb_fail(d, LB_EINVAL, "not a kabupaten or kecamatan code");
	snprintf(path, sizeof path, "/v1/catalogues/%s/log?from=%llu", region,
	         (unsigned long long)(from ? from : 1));
	return lb_fetch_get(url, path, out, NULL, NULL, d);
}

static bool trusted(const uint8_t key[LB_PK_BYTES], const uint8_t (*keys)[LB_PK_BYTES], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!sodium_memcmp(key, keys[i], LB_PK_BYTES))
			return true;
	return false;
}

/* One offered catalogue: p->e and p->why say how it went. */
static void take_one(const char *dir, const char *url, const uint8_t (*keys)[LB_PK_BYTES],
                     size_t nkeys, struct lb_catalogue_pulled *p, struct lb_diag *why)
{
	const struct lb_catalogue_offer *o = p->offer;
	struct lb_catalogue_info ci;
	struct lb_adopt_report r;
	char hex[2 * LB_PK_BYTES + 1];
	FILE *f;
	lb_err e;

	e = lb_catalogue_info(dir, o->region, &ci, why);
	if (e && e != LB_ENOTFOUND) {
		p->e = e;
		return;
	}
	p->held = p->seq = e ? 0 : ci.seq;
	if (!trusted(o->key, keys, nkeys)) {
		lb_hex(hex, o->key, LB_PK_BYTES);
		p->e = lb_fail(why, LB_ESIG, "it is signed by key %s, which is neither the aggregator's "
		               "own key nor an upstream key pinned for it (remote add --upstream-key)",
		               hex);
		return;
	}
	if (!e && sodium_memcmp(ci.key, o->key, LB_PK_BYTES)) {
		char held[2 * LB_PK_BYTES + 1];
		lb_hex(hex, o->key, LB_PK_BYTES);
		lb_hex(held, ci.key, LB_PK_BYTES);
		p->e = lb_fail(why, LB_ESIG, "it is signed by key %s; the one held is signed by %s", hex,
		               held);
		return;
	}
	if (o->seq < p->held) {
		p->e = lb_fail(why, LB_EREFUSED, "rollback: the aggregator's copy ends at seq %llu, we "
		               "hold %llu", (unsigned long long)o->seq, (unsigned long long)p->held);
		return;
	}
	if (o->seq == p->held) {
		p->e = p->held ? lb_catalogue_touch(dir, o->region, why) : LB_OK;
		return;
	}
	if (!(f = tmpfile())) {
		p->e = lb_fail(why, LB_EIO, "no temporary file for the catalogue");
		return;
	}
	if (!(e = lb_catalogue_fetch(url, o->region, p->held + 1, f, why))) {
		rewind(f);
		if (!(e = lb_catalogue_adopt(dir, o->region, o->key, f, &r, NULL, why))) {
			p->seq = r.tip;
			p->added = r.added;
		}
	}
	fclose(f);
	p->e = e;
}

lb_err lb_catalogue_pull(const char *dir, const char *url, const uint8_t (*keys)[LB_PK_BYTES],
                         size_t nkeys, lb_catalogue_pull_cb cb, void *ctx, struct lb_diag *d)
{
	struct lb_catalogue_offer *offers = calloc(LB_CATALOGUE_OFFERS_MAX, sizeof *offers);
	size_t count;
	lb_err e;

	if (!offers)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (!(e = lb_catalogue_index(url, offers, LB_CATALOGUE_OFFERS_MAX, &count, d)))
		for (size_t i = 0; i < count; i++) {
			struct lb_diag why = {0};
			struct lb_catalogue_pulled p = {.offer = &offers[i], .why = &why};
			take_one(dir, url, keys, nkeys, &p, &why);
			if (cb)
				cb(ctx, &p);
		}
	free(offers);
	return e;
}
