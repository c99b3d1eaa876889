/*
 * pdf_report.c — renders a report's JSON (`lumbung-agg report NAME
 * --village CODE --json`) as the printed PDF of agg/pdf.h, for
 * tests/cli/pdf.sh:
 *
 *   pdf-report REPORT.json OUT.pdf [--stamp LINE] [--name DESA]
 *              [--kecamatan-name NAME] [--kabupaten-name NAME] [--place PLACE] [--date DATE]
 *
 * The village's code is the first village row's; the kecamatan and
 * kabupaten codes are its leading parts.  Exit 0 written, 1 an error.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "../../agg/pdf.h"

int main(int argc, char **argv)
{
	const char *stamp = NULL, *name = NULL, *kecn = "", *kabn = "", *place = NULL,
	           *date = "30 November 2026";
	char kec[16] = "", kab[16] = "";
	const char *village;
	json_error_t je;
	json_t *rep;
	struct lb_diag d = {0};
	struct lb_pdf_kop k;
	lb_err e;

	if (argc < 3)
		goto usage;
	for (int i = 3; i < argc; i++) {
		const char **to = !strcmp(argv[i], "--stamp")            ? &stamp
		                  : !strcmp(argv[i], "--name")           ? &name
		                  : !strcmp(argv[i], "--kecamatan-name") ? &kecn
		                  : !strcmp(argv[i], "--kabupaten-name") ? &kabn
		                  : !strcmp(argv[i], "--place")          ? &place
		                  : !strcmp(argv[i], "--date")           ? &date
		                                                         : NULL;
		if (!to || i + 1 >= argc)
			goto usage;
		*to = argv[++i];
	}
	if (!(rep = json_load_file(argv[1], 0, &je))) {
		fprintf(stderr, "pdf-report: %s: %s\n", argv[1], je.text);
		return 1;
	}
	village = json_string_value(json_object_get(json_array_get(json_object_get(rep, "villages"), 0),
	                                            "village"));
	if (!village)
		village = "";
	if (!name)
		name = json_string_value(json_object_get(
		        json_array_get(json_object_get(rep, "villages"), 0), "name"));
	snprintf(kec, sizeof kec, "%.8s", village);
	snprintf(kab, sizeof kab, "%.5s", village);
	k = (struct lb_pdf_kop){village, name ? name : "", kec, kecn, kab, kabn,
	                        place ? place : (name ? name : ""), date};
	e = lb_pdf_report(argv[2], rep, &k, stamp, &d);
	lb_pdf_shutdown();
	json_decref(rep);
	if (e) {
		fprintf(stderr, "pdf-report: %s\n", lb_diag_msg(&d, e));
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: pdf-report REPORT.json OUT.pdf [--stamp LINE] [--name DESA] "
	                "[--kecamatan-name NAME] [--kabupaten-name NAME] [--place PLACE] [--date DATE]\n");
	return 2;
}
