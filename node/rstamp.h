/*
 * rstamp.h — a report's stamp: what makes a printed village report
 * provable (docs/FORMAT.md "Report stamps").  One line of printable ASCII,
 * the content of the report's QR code:
 *
 *   LBR1 VILLAGE NAME PARAMS SEQ HASH DIGEST SIG
 *
 * VILLAGE the desa code; NAME the report; PARAMS "per=YYYY-MM-DD",
 * "month=YYYY-MM" or "-"; SEQ decimal, the signed head the report was
 * computed at; HASH the hash of entry SEQ (64 lowercase hex); DIGEST
 * BLAKE2b-256 of the exact bytes of the report's JSON (64 hex); SIG the
 * village key's Ed25519 signature over "lumbung-report-stamp 1\n" followed
 * by the line up to and excluding " SIG" (128 hex).
 */
#ifndef LB_RSTAMP_H
#define LB_RSTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/text.h"
#include "key.h"
#include "merkle.h"

#define LB_RSTAMP_MAX 512  /* a stamp line with its NUL */
#define LB_RSTAMP_NAME_MAX 31
#define LB_RSTAMP_PARAMS_MAX 31

struct lb_rstamp {
	char village[LB_VILLAGE_LEN + 1];
	char name[LB_RSTAMP_NAME_MAX + 1];
	char params[LB_RSTAMP_PARAMS_MAX + 1];
	uint64_t seq;
	uint8_t hash[LB_HASH_BYTES];
	uint8_t digest[LB_HASH_BYTES];
	uint8_t sig[LB_SIG_BYTES];
};

/* The digest of a report's JSON bytes. */
void lb_rstamp_digest(uint8_t out[LB_HASH_BYTES], const void *json, size_t len);

/* Sign st (every field but sig) with k: st->sig.  LB_EINVAL for a field
 * that cannot be written in a stamp (the message names it). */
lb_err lb_rstamp_sign(struct lb_rstamp *st, const struct lb_key *k, struct lb_diag *d);

/* The stamp line into out (NUL-terminated).  LB_EINVAL as lb_rstamp_sign. */
lb_err lb_rstamp_format(const struct lb_rstamp *st, char out[LB_RSTAMP_MAX], struct lb_diag *d);

/* The printed short form (one line, for people; NUL-terminated, cut to n). */
void lb_rstamp_short(const struct lb_rstamp *st, char *out, size_t n);

/* Read a stamp line (blanks around it and a trailing newline allowed).
 * LB_EMALFORMED naming the field that is wrong. */
lb_err lb_rstamp_parse(struct lb_rstamp *st, const char *line, struct lb_diag *d);

/* Does st's signature verify under pk?  LB_ESIG otherwise. */
lb_err lb_rstamp_verify(const struct lb_rstamp *st, const uint8_t pk[LB_PK_BYTES],
                        struct lb_diag *d);

/* PARAMS from the dates a report was run with (struct lb_report_opts):
 * "month=YYYY-MM" when month_y is set (perkembangan: the month also fixes
 * its per, the month's last day), else "per=YYYY-MM-DD" when per_y is set
 * (the date every report's JSON names as "per"), else "-".  The one rule
 * for whoever makes a stamp and for the checker (lb_rstamp_get_params).
 * LB_EINVAL for a date that is not one (years 1900..2100). */
lb_err lb_rstamp_set_params(struct lb_rstamp *st, int per_y, int per_m, int per_d, int month_y,
                            int month_m, struct lb_diag *d);

/* The dates st->params names (a parsed or set stamp); 0 for those it
 * does not name.  Cannot fail. */
void lb_rstamp_get_params(const struct lb_rstamp *st, int *per_y, int *per_m, int *per_d,
                          int *month_y, int *month_m);

#endif
