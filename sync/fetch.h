/*
 * fetch.h — the village side of a restore: read this village's log from an
 * aggregator (GET /v1/villages/{code}/log, docs/FORMAT.md) as a log
 * archive (node/archive.h), streamed into a file over libcurl.  Nothing
 * in the archive is trusted here: node/adopt.h verifies it against the
 * village's key before a byte of it is kept.
 *
 * Access is proved with the village key (GET /v1/challenge, then the
 * signed request of sync/logproof.h in X-Lumbung-Proof) or with an office
 * token (Authorization: Bearer).
 */
#ifndef LB_FETCH_H
#define LB_FETCH_H

#include <stdint.h>
#include <stdio.h>

#include "../node/key.h"
#include "../schema/err.h"

/* Fetch village's log from seq `from` (>= 1) from the aggregator at url
 * (http:// or https://, its base; for https trusting cacert, PEM text: the
 * remote's pinned CA, or the system's CAs when NULL or "") into out, proving access with key (the
 * village's key pair, or NULL) or else token (an office token, or NULL).
 * Errors: LB_EINVAL (bad URL or village, neither key nor token), LB_ENET
 * (unreachable, cut or stalled), LB_EAUTH (401: no proof or token),
 * LB_EFORBIDDEN (403: the aggregator's reason: another key, a token of
 * another kecamatan, an expired challenge...), LB_ENOTFOUND (404: the
 * village is not enrolled there), LB_EREFUSED (any other answer, a
 * malformed challenge), LB_EIO / LB_EFULL writing out.  The aggregator's
 * words are in d (escaped).  On error out may hold part of an archive: the
 * caller removes it. */
lb_err lb_fetch_log(const char *url, const char *cacert, const char *village, uint64_t from,
                    const struct lb_key *key, const char *token, FILE *out, struct lb_diag *d);

/* lb_fetch_log that also checks the aggregator's key: agg_pk (32 bytes,
 * or NULL: not checked) must be the key its challenge answer names, the
 * one the proof signs (LB_EREFUSED otherwise, before the village signs
 * anything for it).  *served_by (may be NULL) gets the key named. */
lb_err lb_fetch_log_from(const char *url, const char *cacert, const char *village, uint64_t from,
                         const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                         FILE *out, uint8_t *served_by, struct lb_diag *d);

/* The one GET with access proved for village that the fetches here share:
 * GET /v1/challenge and the signed proof of key (checked first against
 * agg_pk, as lb_fetch_log_from), or else the office token; then GET path
 * (starting with "/", after url) and its 200 answer written to out, at
 * most limit bytes of it (0: no limit; more: LB_EREFUSED).  Errors as
 * lb_fetch_log_from, LB_EINVAL for a path not starting with "/". */
lb_err lb_fetch_proved(const char *url, const char *cacert, const char *village, const char *path,
                       const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                       FILE *out, uint64_t limit, uint8_t *served_by, struct lb_diag *d);

/* The offers of residents moving into village that the aggregator at url
 * holds open (GET /v1/villages/{village}/datang, access as lb_fetch_log_from):
 * *offers a malloc'd array of *count (free with lb_datang_offers_free;
 * NULL when none).  Nothing in them is checked here beyond the form: each
 * goes through lb_datang_check before it is kept.  Errors as
 * lb_fetch_log_from; LB_EMALFORMED when the answer is not {"offers":
 * [{"nik", "from", "seq", "hash", "entry"}...]} with a 16-digit nik, a
 * 13-character from, a seq >= 1 and hex hash (64) and entry;
 * LB_EREFUSED for an answer over LB_FETCH_DATANG_MAX bytes. */
#define LB_FETCH_DATANG_MAX (64u << 20)
struct lb_datang_offer;
lb_err lb_fetch_datang(const char *url, const char *cacert, const char *village,
                       const struct lb_key *key, const char *token, const uint8_t *agg_pk,
                       struct lb_datang_offer **offers, size_t *count, struct lb_diag *d);

#endif
