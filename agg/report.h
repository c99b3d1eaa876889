/*
 * report.h — the standard reports of a kecamatan / kabupaten office,
 * computed from the figures kept at ingest (figures.h), so a report costs
 * O(villages), not a scan of the records.
 *
 * Every report is data: a row of the report table in report.c names the
 * report, its columns (village, name, dimensions, measures) and the
 * function that gives a village's rows.  One engine rolls the village rows
 * up per kecamatan (the code's first three parts) and for the region, and
 * renders any report as an aligned table, JSON, CSV or an XLSX workbook.
 * docs/REPORTS.md describes each report and the JSON contract.
 *
 * A report reads one LMDB read transaction: a consistent snapshot, also
 * while `serve` ingests, and on a read-only handle (lb_agg_open_ro).
 */
#ifndef LB_REPORT_H
#define LB_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"

struct lb_agg;

enum lb_report_format { LB_REPORT_TABLE, LB_REPORT_JSON, LB_REPORT_CSV, LB_REPORT_XLSX };

struct lb_report_opts {
	const char *name;      /* ringkasan, ..., kelengkapan, perkembangan */
	const char *village;   /* only this desa (NULL: all) */
	const char *kecamatan; /* only this kecamatan (NULL: all) */
	int per_y, per_m, per_d; /* the date ages are computed on */
	unsigned late_days;    /* kelengkapan: late when not seen for this long */
	uint64_t now_ms;       /* kelengkapan: "now" */
	int month_y, month_m;  /* perkembangan: the month (local time) */
	enum lb_report_format format;
	const char *xlsx_path; /* LB_REPORT_XLSX: the workbook written */
};

/* Run one report and write it to out (not used for XLSX, which goes to
 * o->xlsx_path).  Errors: LB_EINVAL for an unknown report name (the
 * message lists the names) or a bad village / kecamatan code, or a code
 * outside the region; LB_EIO when writing fails; LB_ENOTFOUND when the
 * store keeps no figures; LB_ECORRUPT, LB_ESTORE, LB_ENOMEM. */
lb_err lb_report_run(struct lb_agg *a, const struct lb_report_opts *o, FILE *out,
                     struct lb_diag *d);

/* The report names, space-separated (static string). */
const char *lb_report_names(void);

/* The Indonesian header of column key of report (as the CSV and XLSX
 * print it), or, for key the name of the report's extra sheet ("tanda"),
 * that sheet's title; NULL when the report or the key is unknown.  Static
 * string. */
const char *lb_report_head(const char *report, const char *key);

#endif
