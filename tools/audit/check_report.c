/*
 * check_report.c — is a printed village report genuine? (check_report.h)
 *
 * The report is recomputed at the stamp's seq by agg/vreport.c, the code
 * `lumbung report` makes it with, from the village's signed log as an
 * archive or as an aggregator holds it; the stamp's fields are then held
 * against what the log gives.  Nothing is printed here.
 */
#define _POSIX_C_SOURCE 200809L
#include "check_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../agg/relay.h"
#include "../../node/entry.h"

#define PDF_MAX (64u << 20)

/* The reports `lumbung report` makes for one village (agg/cli_vreport.c). */
static const char *const village_reports[] = {"ringkasan", "penduduk", "bantuan",
                                              "perkembangan"};

/* ---- recomputing ------------------------------------------------------------ */

static lb_err run(const struct lb_rstamp *st, const struct lb_crep_opts *o,
                  enum lb_report_format f, FILE *out, struct lb_vreport_at *at, struct lb_diag *d)
{
	struct lb_report_opts ro = {.name = st->name, .format = f};

	lb_rstamp_get_params(st, &ro.per_y, &ro.per_m, &ro.per_d, &ro.month_y, &ro.month_m);
	if (o->archive)
		return lb_vreport_run_archive(o->archive, &ro, st->seq, out, at, d);
	return lb_vreport_run_agg(o->aggdir, st->village, &ro, st->seq, out, at, d);
}

/* A stamp that names a report a village makes, with the dates it needs. */
static lb_err report_ok(const struct lb_rstamp *st, struct lb_diag *d)
{
	bool known = false, month = !strncmp(st->params, "month=", 6);

	for (size_t i = 0; i < sizeof village_reports / sizeof village_reports[0]; i++)
		known |= !strcmp(st->name, village_reports[i]);
	if (!known)
		return lb_fail(d, LB_EMALFORMED, "report stamp: \"%s\" is not a village report "
		               "(ringkasan, penduduk, bantuan, perkembangan)", st->name);
	if (month && strcmp(st->name, "perkembangan"))
		return lb_fail(d, LB_EMALFORMED, "report stamp: month= is for the perkembangan "
		               "report only");
	if (!month && !strcmp(st->name, "perkembangan"))
		return lb_fail(d, LB_EMALFORMED, "report stamp: perkembangan needs month=YYYY-MM");
	return LB_OK;
}

lb_err lb_crep_check(const struct lb_rstamp *st, const struct lb_crep_opts *o,
                     struct lb_crep_result *r, struct lb_diag *d)
{
	char *buf = NULL, a[2 * LB_PK_BYTES + 1], b[2 * LB_PK_BYTES + 1];
	size_t len = 0;
	struct lb_diag sd = {0};
	FILE *m;
	lb_err e, first = LB_OK;

	memset(r, 0, sizeof *r);
	for (int i = 0; i < LB_CREP_NCHECKS; i++)
		r->check[i] = LB_EINVAL;
	if (!o->archive == !o->aggdir)
		return lb_fail(d, LB_EINVAL, "give the village's log: an archive or an aggregator "
		               "directory, one of them");
	if ((e = report_ok(st, d)))
		return e;
	if (!(m = open_memstream(&buf, &len)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	e = run(st, o, LB_REPORT_JSON, m, &r->at, d);
	if (fclose(m) && !e)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	if (!e)
		lb_rstamp_digest(r->digest, buf, len);
	free(buf);
	if (e)
		return e;
	if (o->show && (e = run(st, o, LB_REPORT_TABLE, o->show, NULL, d)))
		return e;

	/* the checks, each on its own; d keeps the first failure */
	r->check[LB_CREP_VILLAGE] = strcmp(r->at.village, st->village) ? LB_EWRONG_VILLAGE : LB_OK;
	if (r->check[LB_CREP_VILLAGE])
		first = lb_fail(d, LB_EWRONG_VILLAGE, "the stamp names village %s; the log is "
		                "village %s's", st->village, r->at.village);

	memcpy(r->key, o->key ? o->key : r->at.origin, LB_PK_BYTES);
	r->check[LB_CREP_KEY] = memcmp(r->key, r->at.origin, LB_PK_BYTES) ? LB_ESIG : LB_OK;
	if (r->check[LB_CREP_KEY] && !first) {
		lb_hex(a, r->at.origin, LB_PK_BYTES);
		lb_hex(b, r->key, LB_PK_BYTES);
		first = lb_fail(d, LB_ESIG, "the log's head at seq %llu was signed by key %.16s..., "
		                "not by the key given (%.16s...)", (unsigned long long)st->seq, a, b);
	}

	r->check[LB_CREP_SIG] = lb_rstamp_verify(st, r->key, &sd) ? LB_ESIG : LB_OK;
	if (r->check[LB_CREP_SIG] && !first)
		first = lb_fail(d, LB_ESIG, "%s", sd.msg);

	r->check[LB_CREP_HASH] = r->at.seq != st->seq ||
	                         memcmp(r->at.hash, st->hash, LB_HASH_BYTES) ? LB_EFORK : LB_OK;
	if (r->check[LB_CREP_HASH] && !first) {
		lb_hex(a, r->at.hash, LB_HASH_BYTES);
		lb_hex(b, st->hash, LB_HASH_BYTES);
		first = lb_fail(d, LB_EFORK, "entry %llu of the log has hash %.16s..., the stamp "
		                "names %.16s...: another history", (unsigned long long)st->seq, a, b);
	}

	r->check[LB_CREP_FIGURES] = memcmp(r->digest, st->digest, LB_HASH_BYTES) ? LB_ECORRUPT
	                                                                        : LB_OK;
	if (r->check[LB_CREP_FIGURES] && !first)
		first = lb_fail(d, LB_ECORRUPT, "the figures differ from the signed log at seq %llu",
		                (unsigned long long)st->seq);
	return first;
}

/* ---- the stamp in a PDF's metadata ----------------------------------------- */

lb_err lb_crep_pdf_stamp(const char *path, char out[LB_RSTAMP_MAX], struct lb_diag *d)
{
	static const char key[] = "/Keywords";
	const size_t kl = sizeof key - 1;
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *buf;
	size_t n = 0, at = 0, k = 0;
	bool found = false;

	if (!f)
		return lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return lb_fail(d, LB_EIO, "%s: not a file", path);
	}
	if ((uint64_t)sb.st_size > PDF_MAX) {
		fclose(f);
		return lb_fail(d, LB_ETOOBIG, "%s: larger than %u MiB: not a report's PDF", path,
		               PDF_MAX >> 20);
	}
	if (!(buf = malloc((size_t)sb.st_size + 1))) {
		fclose(f);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	n = fread(buf, 1, (size_t)sb.st_size, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return lb_fail(d, LB_EIO, "%s: reading failed", path);
	}
	fclose(f);
	/* the last "/Keywords (" ... ")" */
	for (size_t i = n >= kl ? n - kl + 1 : 0; i-- > 0;) {
		size_t j = i + kl;
		if (memcmp(buf + i, key, kl))
			continue;
		while (j < n && (buf[j] == ' ' || buf[j] == '\r' || buf[j] == '\n' || buf[j] == '\t'))
			j++;
		if (j < n && buf[j] == '(') {
			at = j + 1;
			found = true;
			break;
		}
	}
	if (!found) {
		free(buf);
		return lb_fail(d, LB_ENOTFOUND, "%s: no report stamp in the PDF's metadata (Keywords); "
		               "give the text of its QR code instead", path);
	}
	while (at < n && buf[at] != ')' && k < LB_RSTAMP_MAX - 1)
		out[k++] = buf[at++];
	out[k] = 0;
	if (at >= n || buf[at] != ')') {
		free(buf);
		return lb_fail(d, LB_EMALFORMED, "%s: the PDF's Keywords are not a report stamp "
		               "(too long or cut)", path);
	}
	free(buf);
	return LB_OK;
}
