/*
 * catalogue_pull.h — the village takes the catalogues its aggregator
 * offers (node/catalogue.h): GET /v1/catalogues (which catalogues, each
 * with its key and last seq), then for each catalogue signed by a key the
 * village trusts (the remote's own key, or an upstream key pinned for it:
 * node/remote.h), GET /v1/catalogues/{region}/log?from=K for the entries
 * past what is held, adopted into the copy (node/catalogue.h
 * lb_catalogue_adopt: verified, neither forked nor rolled back).  Nothing
 * the aggregator says is trusted: a refusal leaves the last good copy.
 *
 * Library code: it prints nothing; the caller hears of each catalogue
 * through a callback.
 */
#ifndef LB_CATALOGUE_PULL_H
#define LB_CATALOGUE_PULL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../node/catalogue.h"
#include "../schema/err.h"

#define LB_CATALOGUE_OFFERS_MAX 64

/* One catalogue an aggregator offers (its /v1/catalogues). */
struct lb_catalogue_offer {
	char region[LB_CATALOGUE_REGION_MAX + 1];
	uint8_t key[LB_PK_BYTES];
	uint64_t seq;
};

/* GET url/v1/catalogues into offers[0..*count) (at most max).  Errors:
 * lb_fetch_get's, and LB_EREFUSED when the answer is not {"catalogues":
 * [{"region": kabupaten or kecamatan code, "key": 64 hex, "seq": n}...]}
 * (the message says what is wrong). */
lb_err lb_catalogue_index(const char *url, struct lb_catalogue_offer *offers, size_t max,
                          size_t *count, struct lb_diag *d);

/* GET url/v1/catalogues/{region}/log?from=K (K >= 1) into out (an
 * archive, not checked here).  Errors: lb_fetch_get's. */
lb_err lb_catalogue_fetch(const char *url, const char *region, uint64_t from, FILE *out,
                          struct lb_diag *d);

/* What became of one offered catalogue. */
struct lb_catalogue_pulled {
	const struct lb_catalogue_offer *offer;
	uint64_t held;   /* the seq held before (0: none, or no copy) */
	uint64_t seq;    /* the seq held after */
	uint64_t added;  /* entries taken */
	lb_err e;        /* LB_OK: taken, or already current; else why it was refused */
	const struct lb_diag *why; /* the reason when e != LB_OK */
};
typedef void (*lb_catalogue_pull_cb)(void *ctx, const struct lb_catalogue_pulled *p);

/* Take what the aggregator at url offers into the copies under dir (a
 * village node directory).  keys[0..nkeys): the keys trusted to sign a
 * catalogue.  cb (may be NULL) hears of every offered catalogue, in the
 * aggregator's order.  A catalogue offered at a seq below the one held is
 * refused as a rollback without fetching it; at the seq held the copy is
 * marked checked.  Returns an error only when the list could not be read
 * (lb_catalogue_index's); refusals of single catalogues go to cb. */
lb_err lb_catalogue_pull(const char *dir, const char *url, const uint8_t (*keys)[LB_PK_BYTES],
                         size_t nkeys, lb_catalogue_pull_cb cb, void *ctx, struct lb_diag *d);

#endif
