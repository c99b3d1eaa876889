/*
 * catfetch.h — the client side of the catalogue endpoints (docs/FORMAT.md,
 * "Catalogues"): the list an aggregator serves at GET /v1/catalogues and
 * one catalogue's log (a log archive, node/archive.h) at
 * GET /v1/catalogues/{region}/log?from=K.  Public data: no proof, no
 * token.  Nothing fetched is trusted here: the caller adopts the archive
 * into a replica (node/adopt.h lb_node_adopt_ex), which checks every
 * signature against the key it pinned.
 *
 * Used by an aggregator pulling its upstream's catalogues (agg/catalogue.c)
 * and by a village pulling its aggregator's.
 */
#ifndef LB_CATFETCH_H
#define LB_CATFETCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../node/key.h"
#include "../schema/err.h"
#include "../schema/text.h"

/* One catalogue an aggregator names: the region owning it, its key, the
 * last seq it holds. */
struct lb_catalogue_ref {
	char region[LB_VILLAGE_LEN + 1];
	uint8_t key[LB_PK_BYTES];
	uint64_t seq;
};

/* Every function here trusts cacert (PEM text: the pinned CA of the
 * remote or upstream) for an https url; NULL or "": the system's CAs. */

/* GET url/v1/catalogues: *out (malloc'd, the caller frees it) gets *n
 * refs.  Entries that are not {"region": owner code, "key": 64 hex,
 * "seq": n >= 0} make the whole answer refused.  Errors: LB_EINVAL (bad
 * URL), LB_ENET (unreachable, cut, stalled), LB_ENOTFOUND (404: an
 * aggregator without catalogues), LB_EREFUSED (another answer, a
 * malformed list: the message says what), LB_ENOMEM. */
lb_err lb_catalogues_list(const char *url, const char *cacert, struct lb_catalogue_ref **out,
                          size_t *n, struct lb_diag *d);

/* GET url/v1/catalogues/{region}/log?from=K (K >= 1) into out.  Errors as
 * lb_catalogues_list (LB_ENOTFOUND: the region is not served there), and
 * LB_EIO/LB_EFULL writing out.  On error out may hold part of an archive:
 * the caller drops it. */
lb_err lb_catalogue_fetch(const char *url, const char *cacert, const char *region, uint64_t from,
                          FILE *out, struct lb_diag *d);

/* GET url/v1/catalogues/{region}: what the aggregator holds of region's
 * catalogue into *out.  Errors as lb_catalogues_list (LB_ENOTFOUND: it
 * holds none). */
lb_err lb_catalogue_held(const char *url, const char *cacert, const char *region,
                         struct lb_catalogue_ref *out, struct lb_diag *d);

/* POST url/v1/catalogues/{region}/log with the archive body (a kecamatan
 * aggregator sending its own catalogue up; application/x-lumbung-lla).
 * LB_OK on 200; a refusal as its JSON "error" names it (LB_EFORBIDDEN,
 * LB_ESIG, LB_EGAP, LB_EFORK, LB_EREFUSED, LB_ENOTFOUND ...; LB_EREFUSED
 * for a name we do not know) with its escaped message; LB_EINVAL (bad URL
 * or region), LB_ENET, LB_ENOMEM. */
lb_err lb_catalogue_post(const char *url, const char *cacert, const char *region, const void *body,
                         size_t len, struct lb_diag *d);

#endif
