/*
 * check_report.h — is a printed village report genuine?  `lumbung-audit
 * check-report` (docs/lumbung-audit.1, docs/FORMAT.md "Report stamps").
 *
 * Given a report's stamp (node/rstamp.h) and the village's signed log (an
 * archive file, or an aggregator's replica), the report is recomputed at
 * the stamp's seq by the same code that made it (agg/vreport.h) and five
 * checks are made, each reported on its own (the village's name, not
 * being in the signed log, is left out of the computation: see
 * lb_vreport_src_noname):
 *
 *   village    the log is the village the stamp names
 *   key        the key that signed the log's head at SEQ is the one the
 *              stamp is checked with (when --key pins one, they must agree)
 *   signature  the stamp verifies under that key
 *   hash       entry SEQ of the log has the stamp's HASH
 *   figures    the recomputed report's JSON digests to the stamp's DIGEST
 *
 * Library code: nothing is printed (the result says what held).
 */
#ifndef LB_CHECK_REPORT_H
#define LB_CHECK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../agg/vreport.h"
#include "../../node/rstamp.h"
#include "../../schema/err.h"
#include "../../sync/source.h"

enum lb_crep_check {
	LB_CREP_VILLAGE,
	LB_CREP_KEY,
	LB_CREP_SIG,
	LB_CREP_HASH,
	LB_CREP_FIGURES,
	LB_CREP_NCHECKS
};

struct lb_crep_opts {
	const char *archive;  /* a log archive (.lla) of the village, or NULL */
	const char *aggdir;   /* an aggregator directory holding it, or NULL (one of the two) */
	const uint8_t *key;   /* LB_PK_BYTES: the village key pinned, NULL: the log's */
	FILE *show;           /* when not NULL, the recomputed report as a table */
};

struct lb_crep_result {
	struct lb_vreport_at at;        /* where the log's report was computed */
	uint8_t key[LB_PK_BYTES];       /* the key the stamp was checked with */
	uint8_t digest[LB_HASH_BYTES];  /* of the recomputed report's JSON */
	lb_err check[LB_CREP_NCHECKS];  /* LB_OK: held; else the failure's code */
};


/* Recompute st's report from o's log at st->seq and make the checks.
 * LB_OK when every check held; else the code of the first that failed
 * (village LB_EWRONG_VILLAGE, key and signature LB_ESIG, hash LB_EFORK,
 * figures LB_ECORRUPT) with d saying which and why, and every check's
 * outcome in r.  Before any check (r->check all LB_EINVAL): LB_EINVAL for
 * o naming no log or both; LB_EMALFORMED for a stamp no village report
 * has (a report name `lumbung report` does not make, perkembangan without
 * month=, month= on another report); the errors of lb_vreport_run_archive
 * / lb_vreport_run_agg (a seq ending no signed head of the log, a log that
 * does not verify, LB_EIO...); LB_ENOMEM. */
lb_err lb_crep_check(const struct lb_rstamp *st, const struct lb_crep_opts *o,
                     struct lb_crep_result *r, struct lb_diag *d);

/* The stamp a report PDF carries in its metadata (the Keywords of its
 * document information dictionary, which agg/pdf.c writes with cairo as a
 * plain PDF string): into out, NUL-terminated, not yet parsed.  The last
 * one in the file counts (a PDF updated in place appends).  LB_ENOTFOUND
 * when the PDF has none, LB_EIO when path cannot be read, LB_ETOOBIG for a
 * file over 64 MiB, LB_EMALFORMED for Keywords too long to be a stamp. */
lb_err lb_crep_pdf_stamp(const char *path, char out[LB_RSTAMP_MAX], struct lb_diag *d);

/* `lumbung-audit check-report ...` (check_report_cli.c): argv[0] is
 * "check-report".  Returns the exit status. */
int lb_audit_cmd_check_report(int argc, char **argv);

#endif
