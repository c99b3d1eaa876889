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
 *
 * Nothing is printed.  The directory ($TMPDIR, default /tmp) is removed on
 * every path: on success, on any error, and on SIGINT, SIGTERM, SIGHUP or
 * SIGQUIT (blocked on the calling thread while the directory exists; the
 * computation then stops, the directory goes, the caller's signal mask is
 * restored and the signal acts).  The report is made in memory and
 * written to out after that.  Only the calling thread's mask changes: a
 * multi-threaded caller should block these signals in its other threads.
 */
#ifndef LB_VREPORT_H
#define LB_VREPORT_H

#include <stdint.h>
#include <stdio.h>

#include "../node/key.h"
#include "../node/merkle.h"
#include "../node/rstamp.h"
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
 * of the village and its catalogues, read-only).  Both compute from the
 * signed log alone: the village's name is not in it (an archive does not
 * carry it, an office may give another), so the village row is labelled
 * with its code, as in a stamped report (lb_vreport_stamped). */
lb_err lb_vreport_run_archive(const char *path, const struct lb_report_opts *o, uint64_t seq,
                              FILE *out, struct lb_vreport_at *at, struct lb_diag *d);
lb_err lb_vreport_run_agg(const char *aggdir, const char *village,
                          const struct lb_report_opts *o, uint64_t seq, FILE *out,
                          struct lb_vreport_at *at, struct lb_diag *d);

/* The stamp's DIGEST is over the report computed from the signed log
 * alone.  The village's name is not part of the log (a village sends it
 * beside its pushes; an office may give another): the report is computed
 * without it, so its village row is labelled with the code, whoever
 * computes it (the village, an archive, an aggregator).  A source that
 * passes everything of in through but the name: whoever makes a stamp
 * computes its report through this (lb_vreport_run_node(&out, dir, ...)).
 * w holds the state and must outlive out. */
struct lb_vreport_noname {
	struct lb_src in;
};
void lb_vreport_src_noname(struct lb_vreport_noname *w, const struct lb_src *in, struct lb_src *out);

/* The stamped report of a village node (`lumbung report --pdf`): report o
 * computed as lb_vreport_run_node does through lb_vreport_src_noname (the
 * JSON whose digest a stamp carries), into *json (malloc'd, *len bytes,
 * the caller frees; NULL on error), and its stamp st filled and signed
 * with the village key k.  at (may be NULL) as lb_vreport_run.  Errors:
 * those of lb_vreport_run_node, of lb_rstamp_set_params / lb_rstamp_sign,
 * LB_ENOMEM. */
lb_err lb_vreport_stamped(const struct lb_src *s, const char *dir, const struct lb_report_opts *o,
                          uint64_t seq, const struct lb_key *k, char **json, size_t *len,
                          struct lb_rstamp *st, struct lb_vreport_at *at, struct lb_diag *d);

#endif
