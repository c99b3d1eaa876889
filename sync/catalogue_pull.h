/*
 * catalogue_pull.h — the village takes the catalogues its aggregator
 * offers (node/catalogue.h), over the catalogue client (catfetch.h):
 * GET /v1/catalogues (which catalogues, each
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
#include "catfetch.h"

/* What became of one offered catalogue. */
struct lb_catalogue_pulled {
	const struct lb_catalogue_ref *offer;
	uint64_t held;   /* the seq held before (0: none, or no copy) */
	uint64_t seq;    /* the seq held after */
	uint64_t added;  /* entries taken */
	lb_err e;        /* LB_OK: taken, or already current; else why it was refused */
	const struct lb_diag *why; /* the reason when e != LB_OK */
};
typedef void (*lb_catalogue_pull_cb)(void *ctx, const struct lb_catalogue_pulled *p);

/* Take what the aggregator at url (https trusting cacert, PEM, or the
 * system's CAs when NULL or "") offers into the copies under dir (a
 * village node directory).  keys[0..nkeys): the keys trusted to sign a
 * catalogue.  cb (may be NULL) hears of every offered catalogue, in the
 * aggregator's order.  A catalogue offered at a seq below the one held is
 * refused as a rollback without fetching it; at the seq held the copy is
 * marked checked.  Returns an error only when the list could not be read
 * (catfetch.h lb_catalogues_list's); refusals of single catalogues go to
 * cb. */
lb_err lb_catalogue_pull(const char *dir, const char *url, const char *cacert,
                         const uint8_t (*keys)[LB_PK_BYTES],
                         size_t nkeys, lb_catalogue_pull_cb cb, void *ctx, struct lb_diag *d);

#endif
