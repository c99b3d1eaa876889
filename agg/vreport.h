/*
 * vreport.h — a village's own reports (`lumbung report`, `lumbung-audit
 * check-report`), computed by the aggregator's report engine (report.h) on
 * a temporary aggregator built from the village's log: a fresh directory
 * under $TMPDIR, the village's key enrolled, every change set of the log
 * up to a signed head built with the one change-set builder
 * (lb_changeset_build) and ingested, the village's catalogues made
 * available as the aggregator has them; then lb_report_run for that
 * village, and the directory removed.  So a village's report equals
 * `lumbung-agg report NAME --village CODE` by construction, and a checker
 * recomputes it at any seq from an archive or an aggregator the same way.
 */
#ifndef LB_VREPORT_H
#define LB_VREPORT_H

#include <stdint.h>
#include <stdio.h>

#include "../node/key.h"
#include "../node/merkle.h"
#include "../schema/err.h"
#include "../schema/text.h"
#include "../sync/source.h"
#include "agg.h"
#include "report.h"

/* What a village report was computed at. */
struct lb_vreport_at {
	char village[LB_VILLAGE_LEN + 1];
	char name[LB_AGG_NAME_MAX + 1]; /* the village's name, "" when unknown */
	uint64_t seq;                   /* the signed head's seq the report is at */
	uint8_t hash[LB_HASH_BYTES];    /* the hash of entry seq */
	uint8_t origin[LB_PK_BYTES];    /* the key that signed that head */
};

/* Run report o (its village is taken to be s's) over s's log up to seq
 * (0: s's tip; else seq must end a signed head held by s: LB_EINVAL
 * otherwise), writing it to out (o->format; XLSX to o->xlsx_path).  at
 * (may be NULL) gets where it was computed.  Errors: those of
 * lb_report_run, of lb_agg_ingest (a log that does not verify), LB_EIO. */
lb_err lb_vreport_run(const struct lb_src *s, const struct lb_report_opts *o, uint64_t seq,
                      FILE *out, struct lb_vreport_at *at, struct lb_diag *d);

/* lb_vreport_run with the catalogue copies the village node directory dir
 * holds (DIR/catalogue/<region>/, node/catalogue.h) placed in the
 * temporary aggregator before the log is ingested, as the kabupaten keeps
 * them: so a beneficiary of a kabupaten's or kecamatan's programme
 * resolves and `bantuan` names the programme as the aggregator does.
 * (lb_vreport_run has no catalogues: a log naming a catalogue programme
 * fails there with LB_ESCHEMA.)  s is normally lb_src_node of the node in
 * dir.  `lumbung report` calls this.  lb_vreport_run_agg takes the
 * aggregator's own catalogues (those whose region contains the village)
 * the same way; lb_vreport_run_archive has none (an archive carries no
 * catalogue), nor the village's name (the report shows its code). */
lb_err lb_vreport_run_node(const struct lb_src *s, const char *dir,
                           const struct lb_report_opts *o, uint64_t seq, FILE *out,
                           struct lb_vreport_at *at, struct lb_diag *d);

/* The same from an archive file (.lla: a village's own export, or
 * `lumbung-agg export-log`) and from an aggregator directory (its replica
 * of the village, read-only). */
lb_err lb_vreport_run_archive(const char *path, const struct lb_report_opts *o, uint64_t seq,
                              FILE *out, struct lb_vreport_at *at, struct lb_diag *d);
lb_err lb_vreport_run_agg(const char *aggdir, const char *village,
                          const struct lb_report_opts *o, uint64_t seq, FILE *out,
                          struct lb_vreport_at *at, struct lb_diag *d);

#endif
