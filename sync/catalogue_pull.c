/*
 * catalogue_pull.c — taking the aggregator's catalogues (catalogue_pull.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "catalogue_pull.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../schema/text.h"

static bool trusted(const uint8_t key[LB_PK_BYTES], const uint8_t (*keys)[LB_PK_BYTES], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!sodium_memcmp(key, keys[i], LB_PK_BYTES))
			return true;
	return false;
}

/* One offered catalogue: p->e and p->why say how it went. */
static void take_one(const char *dir, const char *url, const char *cacert,
                     const uint8_t (*keys)[LB_PK_BYTES],
                     size_t nkeys, struct lb_catalogue_pulled *p, struct lb_diag *why)
{
	const struct lb_catalogue_ref *o = p->offer;
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
	if (!(e = lb_catalogue_fetch(url, cacert, o->region, p->held + 1, f, why))) {
		rewind(f);
		if (!(e = lb_catalogue_adopt(dir, o->region, o->key, f, &r, NULL, why))) {
			p->seq = r.tip;
			p->added = r.added;
		}
	}
	fclose(f);
	p->e = e;
}

lb_err lb_catalogue_pull(const char *dir, const char *url, const char *cacert,
                         const uint8_t (*keys)[LB_PK_BYTES],
                         size_t nkeys, lb_catalogue_pull_cb cb, void *ctx, struct lb_diag *d)
{
	struct lb_catalogue_ref *offers = NULL;
	size_t count = 0;
	lb_err e;

	if (!(e = lb_catalogues_list(url, cacert, &offers, &count, d)))
		for (size_t i = 0; i < count; i++) {
			struct lb_diag why = {0};
			struct lb_catalogue_pulled p = {.offer = &offers[i], .why = &why};
			take_one(dir, url, cacert, keys, nkeys, &p, &why);
			if (cb)
				cb(ctx, &p);
		}
	free(offers);
	return e;
}
