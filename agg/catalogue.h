/*
 * catalogue.h — the aggregator's catalogue and the catalogues it relays
 * (docs/FORMAT.md "Catalogues").
 *
 * AGGDIR/catalogue/ is a node (node/node.h) owned by this aggregator's
 * region and signed with its key: the same signed, hash-chained log as a
 * village's, holding the region's `program` and `wilayah` records.  It is
 * made by `lumbung-agg init` and, for a store made before catalogues, on
 * first use.  AGGDIR/catalogues/<region>/ are replicas (no secret key) of
 * the catalogues of upstream aggregators (a kecamatan relaying its
 * kabupaten's), adopted only whole-history-consistent: never forked, never
 * rolled back, always under the upstream key that was pinned.
 *
 * Within one process every catalogue node is opened under one lock (LMDB
 * allows one handle per environment per process), so the HTTP threads and
 * the forwarding thread may call these at the same time.
 */
#ifndef LB_AGG_CATALOGUE_H
#define LB_AGG_CATALOGUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../node/adopt.h"
#include "../node/remote.h"
#include "../schema/err.h"
#include "../schema/text.h"
#include "agg.h"

/* The record types a catalogue holds. */
bool lb_agg_catalogue_type_ok(const char *type);

/* A wilayah kode this aggregator may name: its region itself or a code
 * inside it.  LB_EINVAL naming the kode otherwise. */
lb_err lb_agg_catalogue_wilayah_ok(struct lb_agg *a, const char *kode, struct lb_diag *d);

/* The directory of the catalogue of region (NULL or this aggregator's own
 * region: AGGDIR/catalogue; another owner code: AGGDIR/catalogues/REGION).
 * *out malloc'd.  LB_EINVAL for a region that is no owner code. */
lb_err lb_agg_catalogue_dir(struct lb_agg *a, const char *region, char **out, struct lb_diag *d);

/* Make the own catalogue if the store has none yet (a writable handle:
 * its key signs it).  LB_OK when it exists already. */
lb_err lb_agg_catalogue_ensure(struct lb_agg *a, struct lb_diag *d);

/* One catalogue held here. */
struct lb_agg_catalogue {
	char region[LB_VILLAGE_LEN + 1];
	uint8_t key[LB_PK_BYTES];
	uint64_t seq;
	bool own; /* this aggregator's; else a relayed replica */
	bool below; /* a kecamatan's of ours, sent up to us (lb_agg_catalogue_receive):
	               kept for ingest and reports, not offered to villages */
};
typedef int (*lb_agg_catalogue_cb)(void *ctx, const struct lb_agg_catalogue *c);

/* Every catalogue held: the own one first (when made), then the replicas
 * in region order.  cb returns non-zero to stop.  Errors: the node's. */
lb_err lb_agg_catalogues(struct lb_agg *a, lb_agg_catalogue_cb cb, void *ctx, struct lb_diag *d);

/* The catalogue of region as a log archive from seq from (>= 1) on
 * (node/archive.h lb_node_export_log_from).  LB_ENOTFOUND: no catalogue
 * of region here; LB_EINVAL: from past its seq + 1; the writer's errors. */
lb_err lb_agg_catalogue_export(struct lb_agg *a, const char *region, uint64_t from, FILE *out,
                               struct lb_diag *d);

/* The catalogue of region held here (this aggregator's own for NULL or
 * its region) into *c.  LB_ENOTFOUND when none is held; LB_EINVAL for a
 * region that is no owner code; the node's errors. */
lb_err lb_agg_catalogue_one(struct lb_agg *a, const char *region, struct lb_agg_catalogue *c,
                            struct lb_diag *d);

/* Adopt the archive f into the replica of region (made with key when
 * absent) with LB_ADOPT_NO_FORK | LB_ADOPT_NO_ROLLBACK.  A replica held
 * under another key, the own region, a copy signed by another key, a
 * forked or rolled-back copy: refused (LB_ESIG, LB_EINVAL, LB_EFORK,
 * LB_EREFUSED...) and the replica is left as it was (one made by this
 * call is removed again, as is one that took no entry).  r may be NULL. */
lb_err lb_agg_catalogue_adopt(struct lb_agg *a, const char *region, const uint8_t key[LB_PK_BYTES],
                              FILE *f, struct lb_adopt_report *r, struct lb_diag *d);

/* The largest catalogue archive a kecamatan may send up in one POST. */
#define LB_AGG_CATALOGUE_POST_MAX (16u << 20)

/* A kecamatan aggregator's catalogue sent up (POST
 * /v1/catalogues/{region}/log): the archive f is adopted into the replica
 * of region as lb_agg_catalogue_adopt does, under the key of the
 * aggregator enrolled here for kecamatan region (tree.h), so that its
 * villages' references to its programmes resolve here and `bantuan`
 * names them.  Refusals, nothing kept: LB_EINVAL (region is no kecamatan
 * code), LB_EFORBIDDEN (region is not a kecamatan inside ours, no
 * aggregator is enrolled for it, or it is revoked), LB_ESIG (the archive
 * is not signed by that aggregator's key, or the replica is held under
 * another), LB_EWRONG_VILLAGE (the archive is another region's
 * catalogue), LB_EGAP, LB_EFORK, LB_EREFUSED (a rollback), LB_EMALFORMED, LB_ECORRUPT, LB_ESCHEMA; the
 * machine's errors. */
lb_err lb_agg_catalogue_receive(struct lb_agg *a, const char *region, FILE *f,
                                struct lb_adopt_report *r, struct lb_diag *d);

/* Send our own catalogue up to the aggregator at url (https trusting
 * cacert, the upstream's pinned CA, or the system's when NULL or ""): ask GET
 * url/v1/catalogues/{our region} what it holds of it (404: nothing) and
 * POST the tail from there.  *sent gets the entries sent (0:
 * it was current, or we have no catalogue yet).  Only a kecamatan sends
 * (LB_OK, nothing sent, for another level).  Errors: LB_ENET; the
 * upstream's refusal (LB_ESIG, LB_EFORBIDDEN: we are not enrolled there
 * for our kecamatan; LB_EREFUSED ...) with its words; the node's. */
lb_err lb_agg_catalogue_push(struct lb_agg *a, const char *url, const char *cacert,
                             uint64_t *sent, struct lb_diag *d);

/* What one pull from an upstream did. */
struct lb_agg_catalogue_pull {
	unsigned listed;   /* catalogues of the upstream's key it named */
	unsigned updated;  /* of those, replicas that took entries */
	unsigned refused;  /* of those, refused (the last good one kept) */
	uint64_t entries;  /* entries taken */
};

/* Pull the catalogues of upstream up (its URL, its pinned key): GET
 * /v1/catalogues, and for each catalogue signed by up's key whose seq is
 * past ours, its log from our seq + 1, adopted into the replica.  Other
 * keys' catalogues are left alone.  A refused catalogue is counted and
 * named in d (the others still go on), then LB_EREFUSED (or the refusal's
 * own code) is returned; LB_ENET when the upstream cannot be reached. */
lb_err lb_agg_catalogue_pull(struct lb_agg *a, const struct lb_remote *up,
                             struct lb_agg_catalogue_pull *st, struct lb_diag *d);

/* The current body of a catalogue record (type, id) in the own catalogue,
 * else in a relayed one, among the catalogues whose region contains
 * village (NULL: any catalogue held): a kecamatan's programme is for its
 * own villages only.  *body malloc'd (caller frees), *region (may be NULL)
 * the catalogue's owner.  LB_ENOTFOUND when none holds it. */
lb_err lb_agg_catalogue_get(struct lb_agg *a, const char *village, const char *type,
                            const char *id, uint8_t **body,
                            size_t *len, char region[LB_VILLAGE_LEN + 1], struct lb_diag *d);

/* Every live record of type in every catalogue held, the own one first,
 * then the relayed ones in region order (a code two of them hold comes
 * twice: the caller keeps the first).  cb gets the catalogue's region and
 * the record, borrowed for the call, and returns non-zero to stop; it must
 * not call these functions.  Errors: the node's. */
typedef int (*lb_agg_catalogue_rec_cb)(void *ctx, const char *region, const char *id,
                                       size_t id_len, const uint8_t *body, size_t len);
lb_err lb_agg_catalogue_scan(struct lb_agg *a, const char *type, lb_agg_catalogue_rec_cb cb,
                             void *ctx, struct lb_diag *d);

#endif
