/*
 * pdf.h — a report printed: an A4 PDF in Indonesian (cairo's PDF surface,
 * fonts from Debian through fontconfig), with the village's kop surat, the
 * report's tables, place and date, the Kepala Desa's signature space and
 * stamp box, and the report's stamp (node/rstamp.h) as a QR code
 * (libqrencode) with its printed short form; the stamp is also the PDF's
 * Keywords metadata.
 */
#ifndef LB_PDF_H
#define LB_PDF_H

#include <jansson.h>

#include "../schema/err.h"

struct lb_pdf_kop {
	const char *village, *village_name;     /* code and name ("" when unknown) */
	const char *kecamatan, *kecamatan_name; /* PP.KK.CC, name or "" */
	const char *kabupaten, *kabupaten_name; /* PP.KK, name or "" */
	const char *place; /* where it is signed (the village's name), "" to leave blank */
	const char *date;  /* the date printed, e.g. "30 November 2026" */
};

/* Draw report (the JSON object `lumbung report --json` prints; borrowed)
 * as an A4 PDF at path: kop surat, title and period, every table of the
 * report (breaking across pages), place and date, the signature space and
 * stamp box, and, when stamp is not NULL, its QR code (the stamp's text
 * exactly) and printed short form.  Errors: LB_EIO (path cannot be
 * written, a cairo error), LB_EINVAL (a JSON it cannot read), LB_ENOMEM. */
lb_err lb_pdf_report(const char *path, const json_t *report, const struct lb_pdf_kop *kop,
                     const char *stamp, struct lb_diag *d);

/* Free cairo's and fontconfig's process-wide caches (fonts found, faces
 * loaded).  Call once when the process draws no more PDFs (before it
 * exits), so that a leak checker sees none of theirs; drawing again
 * afterwards is not allowed. */
void lb_pdf_shutdown(void);

/* A date as printed: "2026-06-30" as "30 Juni 2026", "2026-05" as "Mei
 * 2026"; anything else copied as given (cut to cap). */
void lb_pdf_tanggal(char *out, size_t cap, const char *iso);

#endif
