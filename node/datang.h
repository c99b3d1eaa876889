/*
 * datang.h — residents moving into this village: the offers the
 * aggregator makes (a `penduduk` entry of another village of the region
 * whose status is pindah and whose pindah_ke is this village), kept in the
 * node's meta until the operator accepts (terima) or refuses (tolak) them.
 *
 *   meta "datang/" || NIK (16)  ->  msgpack [from, seq, hash, entry]
 *
 * from: the desa code of the village the resident leaves (str), seq: the
 * seq of its entry in that village's log (uint), hash: that entry's hash
 * (bin 32), entry: the entry's stored bytes (bin).  docs/FORMAT.md.
 *
 * Nothing of an offer is trusted: before it is kept, the entry's hash must
 * be `hash`, it must decode as a canonical entry whose seq is `seq`, a put
 * of type penduduk whose id is the NIK, valid under the schema version it
 * names, with status pindah and pindah_ke this village.  (That the entry
 * really is the other village's signed entry is what an auditor checks
 * with both villages' archives; the accepted record carries its hash.)
 *
 * No HTTP here: sync/fetch.h fetches the offers; the CLI hands them in.
 */
#ifndef LB_DATANG_H
#define LB_DATANG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "entry.h"
#include "node.h"

#define LB_DATANG_PREFIX "datang/"
#define LB_NIK_DIGITS 16

/* One offer.  entry is owned by whoever filled the struct (see below). */
struct lb_datang_offer {
	char nik[LB_NIK_DIGITS + 1];
	char from[LB_VILLAGE_LEN + 1];
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	uint8_t *entry;
	size_t entry_len;
};

/* Free the entries of o[0..n) and the array itself (malloc'd).  NULL ok. */
void lb_datang_offers_free(struct lb_datang_offer *o, size_t n);

/* Check one offer for village `self` (the rules above; also: nik 16
 * digits, from a desa code other than self).  LB_EMALFORMED (the entry
 * does not decode), LB_ECORRUPT (hash or seq do not match the entry),
 * LB_ESCHEMA (not a valid penduduk put of that NIK moving here), LB_EINVAL
 * (bad NIK or village code).  The message names the NIK. */
lb_err lb_datang_check(const struct lb_datang_offer *o, const char *self, struct lb_diag *d);

struct lb_datang_stats {
	size_t kept;    /* offers held after the call */
	size_t added;   /* of which new */
	size_t dropped; /* offers held before that the list no longer has */
	size_t skipped; /* offers that fail lb_datang_check, or already taken
	                   here (a live resident carrying the offer's hash) */
};

/* Make the held offers exactly the valid ones of o[0..n) (the aggregator's
 * current list), in one write transaction: new ones added, ones no longer
 * listed (taken or withdrawn) dropped.  Each offer is checked with
 * lb_datang_check; one that fails is skipped (the CLI checks them first to
 * say why).  st may be NULL.  Errors: LB_EINVAL (opened read-only), the
 * store's (LB_ESTORE, LB_EFULL). */
lb_err lb_datang_replace(struct lb_node *n, const struct lb_datang_offer *o, size_t count,
                         struct lb_datang_stats *st, struct lb_diag *d);

/* Call cb for every held offer in NIK order, inside one read transaction;
 * the offer (its entry borrowed for the call) and the decoded entry (whose
 * body is the offered record) are borrowed for the call.  cb returns 0 to
 * go on, non-zero to stop.  LB_ECORRUPT when a stored offer does not
 * decode. */
typedef int (*lb_datang_cb)(void *ctx, const struct lb_datang_offer *o, const struct lb_entry *e);
lb_err lb_datang_list(struct lb_node *n, lb_datang_cb cb, void *ctx, struct lb_diag *d);

/* Accept the offer for nik: write the resident (the offered body, status
 * hidup, without pindah_ke and tanggal_pindah, then the fields of changes
 * (a JSON object, may be NULL) set over it, then datang_dari = from,
 * datang_seq = seq, datang_hash = hash hex) and drop the offer, in one
 * transaction.  c (may be NULL) as lb_node_write's.  Errors: LB_ENOTFOUND
 * (no offer for nik), LB_EEXIST (nik is already a live resident here),
 * LB_EINVAL (changes set nik, datang_dari, datang_seq or datang_hash, or is
 * not an object), LB_ESCHEMA (the record breaks the schema), and
 * lb_node_write's. */
lb_err lb_datang_accept(struct lb_node *n, const char *nik, const json_t *changes,
                        struct lb_commit *c, struct lb_diag *d);

/* Refuse the offer for nik: drop it here.  LB_ENOTFOUND when none. */
lb_err lb_datang_drop(struct lb_node *n, const char *nik, struct lb_diag *d);

#endif
