/*
 * cli_vreport.c — `lumbung report NAME -d DIR [--per DATE] [--month YYYY-MM]
 * [--json|--csv|--xlsx FILE|--pdf FILE]`: the reports of lumbung-agg that
 * make sense for one village, computed from the node's own log and
 * catalogues on a temporary aggregator (vreport.h), so they equal
 * `lumbung-agg report NAME --village CODE` once the log was pushed.
 */
#include "cli_vreport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "../schema/i18n.h"
#include "../sync/source.h"
#include "../node/key.h"
#include "../node/node.h"
#include "../node/rstamp.h"
#include "api.h"
#include "pdf.h"
#include "report.h"
#include "vreport.h"

#define CMD "report"

static const char *const names[] = {"ringkasan", "penduduk", "bantuan", "perkembangan"};
#define NAME_LIST "ringkasan penduduk bantuan perkembangan"

/* The options into o; 0 or the usage error's exit status. */
static int report_opts(const struct lb_cli_args *a, struct lb_report_opts *o)
{
	const char *name = a->npos ? a->pos[0] : NULL;
	bool known = false;

	memset(o, 0, sizeof *o);
	if (!name)
		return lb_cli_usage_error(CMD, "name a report: %s", NAME_LIST);
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		known |= !strcmp(name, names[i]);
	if (!known)
		return lb_cli_usage_error(CMD, "no report \"%.40s\" for a village; the reports are: %s",
		                          name, NAME_LIST);
	if (a->npos > 1)
		return lb_cli_usage_error(CMD, "one report at a time: \"%.40s\" is too many",
		                          a->pos[1]);
	if (a->json + a->csv + (a->xlsx != NULL) + (a->pdf != NULL) > 1)
		return lb_cli_usage_error(CMD, "give one of --json, --csv, --xlsx FILE, --pdf FILE");
	if (a->month && strcmp(name, "perkembangan"))
		return lb_cli_usage_error(CMD, "--month is for the perkembangan report only");
	if (!a->month && !strcmp(name, "perkembangan"))
		return lb_cli_usage_error(CMD, "perkembangan needs --month YYYY-MM");
	if (a->per && !strcmp(name, "perkembangan"))
		return lb_cli_usage_error(CMD, "--per is not for perkembangan: it is per the last "
		                          "day of --month");
	o->name = name;
	o->late_days = 7;
	o->format = a->json ? LB_REPORT_JSON : a->csv ? LB_REPORT_CSV : a->xlsx ? LB_REPORT_XLSX
	                                                                      : LB_REPORT_TABLE;
	o->xlsx_path = a->xlsx;
	if (a->month) {
		int y, m;
		if (!lb_api_parse_month(a->month, &y, &m)) /* the API's check, one rule */
			return lb_cli_usage_error(CMD, "--month \"%.20s\" is not a month YYYY-MM",
			                          a->month);
		o->month_y = y, o->month_m = m;
	}
	if (a->per) {
		int y, m, dd;
		if (!lb_api_parse_date(a->per, &y, &m, &dd))
			return lb_cli_usage_error(CMD, "--per \"%.20s\" is not a date YYYY-MM-DD", a->per);
		o->per_y = y, o->per_m = m, o->per_d = dd;
	} else { /* today, local time, as lumbung-agg report */
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		o->per_y = tm.tm_year + 1900, o->per_m = tm.tm_mon + 1, o->per_d = tm.tm_mday;
	}
	return 0;
}

/* --pdf FILE: the report drawn on A4 with its stamp, signed with the
 * village's key (node/rstamp.h), as its QR code. */
static lb_err write_pdf(struct lb_cli_args *a, struct lb_node *n, const struct lb_src *s,
                        const struct lb_report_opts *o, char *stamp, struct lb_vreport_at *at,
                        struct lb_diag *d)
{
	struct lb_node_info info;
	struct lb_rstamp st;
	struct lb_key k;
	struct lb_pdf_kop kop;
	json_error_t je;
	json_t *rep = NULL;
	char path[4096], kec[LB_VILLAGE_LEN + 1], kab[LB_VILLAGE_LEN + 1], today[11], date[64];
	char *json = NULL;
	size_t len;
	time_t t = time(NULL);
	struct tm tm;
	lb_err e;

	if ((e = lb_node_info(n, &info, d)))
		return e;
	if ((size_t)snprintf(path, sizeof path, "%s/node.key", a->dir) >= sizeof path)
		return lb_fail(d, LB_EINVAL, "%s: path too long", a->dir);
	if ((e = lb_key_load(path, &k, d)))
		return e;
	e = lb_vreport_stamped(s, a->dir, o, 0, &k, &json, &len, &st, at, d);
	lb_key_wipe(&k);
	if (e)
		return e;
	if ((e = lb_rstamp_format(&st, stamp, d)))
		goto out;
	if (!(rep = json_loadb(json, len, 0, &je))) {
		e = lb_fail(d, LB_ECORRUPT, "the report's JSON does not read back: %s", je.text);
		goto out;
	}
	snprintf(kec, sizeof kec, "%.8s", info.village);
	snprintf(kab, sizeof kab, "%.5s", info.village);
	localtime_r(&t, &tm);
	strftime(today, sizeof today, "%Y-%m-%d", &tm);
	lb_pdf_tanggal(date, sizeof date, today);
	kop = (struct lb_pdf_kop){.village = info.village, .village_name = info.name,
	                          .kecamatan = kec, .kecamatan_name = "",
	                          .kabupaten = kab, .kabupaten_name = "",
	                          .place = info.name, .date = date};
	e = lb_pdf_report(a->pdf, rep, &kop, stamp, d);
	lb_pdf_shutdown(); /* one PDF per run */
out:
	json_decref(rep);
	free(json);
	return e;
}

static int cmd_report(struct lb_cli_args *a)
{
	struct lb_report_opts o;
	struct lb_diag d = {0};
	struct lb_node *n;
	struct lb_src s;
	lb_err e;
	int rc;

	if ((rc = report_opts(a, &o)))
		return rc;
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(CMD, e, &d);
	lb_src_node(&s, n);
	if (a->pdf) {
		char stamp[LB_RSTAMP_MAX];
		struct lb_vreport_at at;
		e = write_pdf(a, n, &s, &o, stamp, &at, &d);
		lb_node_close(n);
		if (e)
			return lb_cli_die(CMD, e, &d);
		printf(_("%s: the %s report of village %s at seq %llu, stamped and signed with the "
		         "village's key\nstamp (its QR code; check it with lumbung-audit "
		         "check-report): %s\n"),
		       a->pdf, o.name, at.village, (unsigned long long)at.seq, stamp);
		return 0;
	}
	e = lb_vreport_run_node(&s, a->dir, &o, 0, stdout, NULL, &d);
	lb_node_close(n);
	if (!e && (fflush(stdout) || ferror(stdout)))
		e = lb_fail(&d, LB_EIO, "writing the report failed");
	return e ? lb_cli_die(CMD, e, &d) : 0;
}

const struct lb_cli_cmd lb_vreport_cmd = {
	"report",
	"report NAME -d DIR [--per YYYY-MM-DD] [--month YYYY-MM] "
	"[--json | --csv | --xlsx FILE | --pdf FILE]",
	N_("This village's reports, computed from its own signed log and catalogues by the\n"
	   "aggregator's report code, so they equal `lumbung-agg report NAME --village CODE`\n"
	   "at the kabupaten once the log is pushed: ringkasan (summary), penduduk\n"
	   "(population statistics, ages on the --per date), bantuan (beneficiaries per\n"
	   "programme, catalogue programmes named), perkembangan (Lampiran A-9 for\n"
	   "--month).  --per (default today) is the date the report is \"per\".  A table,\n"
	   "or --json, --csv, or an XLSX workbook (--xlsx FILE).\n"
	   "Nothing is written to the node; the temporary files it uses are removed."),
	cmd_report,
	false,
};
