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

/* ---- the log without the village's name ---------------------------------- */

static lb_err nn_info(void *ctx, struct lb_src_info *i, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	lb_err e = in->ops->info(in->ctx, i, d);
	i->name[0] = '\0';
	return e;
}

static lb_err nn_span(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
                      bool *over, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	return in->ops->span(in->ctx, from, max_bytes, to, bytes, over, d);
}

static lb_err nn_entries(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
                         struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	return in->ops->entries(in->ctx, from, to, cb, cbctx, d);
}

static lb_err nn_head(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	return in->ops->head(in->ctx, seq, head, len, d);
}

static lb_err nn_entry_hash(void *ctx, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                            struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	return in->ops->entry_hash(in->ctx, seq, hash, d);
}

static lb_err nn_receipt_last(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t *seq,
                              struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	return in->ops->receipt_last(in->ctx, agg, seq, d);
}

static lb_err nn_receipt_put(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t seq,
                             const void *receipt, size_t len, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_crep_noname *)ctx)->in;
	return in->ops->receipt_put(in->ctx, agg, seq, receipt, len, d);
}

static const struct lb_src_ops noname_ops = {nn_info,       nn_span,         nn_entries, nn_head,
                                             nn_entry_hash, nn_receipt_last, nn_receipt_put};

void lb_crep_src_noname(struct lb_crep_noname *w, const struct lb_src *in, struct lb_src *out)
{
	w->in = *in;
	out->ops = &noname_ops;
	out->ctx = w;
}

/* ---- recomputing ------------------------------------------------------------ */

struct active {
	const char *village;
	bool found;
	struct lb_agg_origin o;
};

/* the village's active key, else the last revoked one seen (as vreport.c) */
static int active_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct active *k = ctx;
	if (strcmp(o->village, k->village) || (k->found && !k->o.revoked))
		return 0;
	if (!k->found || !o->revoked) {
		k->o = *o;
		k->found = true;
	}
	return 0;
}

/* lb_vreport_run over an aggregator's replica of the village, without the
 * name the aggregator's directory gives it. */
static lb_err run_agg(const char *aggdir, const char *village, const struct lb_report_opts *ro,
                      uint64_t seq, FILE *out, struct lb_vreport_at *at, struct lb_diag *d)
{
	struct lb_agg *a = NULL;
	struct lb_agg_src *as = NULL;
	struct active k = {.village = village};
	struct lb_crep_noname w;
	struct lb_src s, nn;
	lb_err e;

	if ((e = lb_agg_open_ro(&a, aggdir, d)))
		return e;
	if ((e = lb_agg_origins(a, active_cb, &k, d)))
		goto out;
	if (!k.found) {
		e = lb_fail(d, LB_ENOTFOUND, "no key of %s is enrolled at %s", village, aggdir);
		goto out;
	}
	if (k.o.base) {
		e = lb_fail(d, LB_EINVAL, "the key of %s continues another key's log (a succession): "
		            "check the report against the village's own archive", village);
		goto out;
	}
	if ((e = lb_agg_replica_src(a, k.o.origin, &as, d)))
		goto out;
	lb_agg_src_get(as, &s);
	lb_crep_src_noname(&w, &s, &nn);
	e = lb_vreport_run(&nn, ro, seq, out, at, d);
out:
	lb_agg_src_free(as);
	lb_agg_close(a);
	return e;
}

static lb_err run(const struct lb_rstamp *st, const struct lb_crep_opts *o,
                  enum lb_report_format f, FILE *out, struct lb_vreport_at *at, struct lb_diag *d)
{
	struct lb_report_opts ro = {.name = st->name, .format = f};

	lb_rstamp_get_params(st, &ro.per_y, &ro.per_m, &ro.per_d, &ro.month_y, &ro.month_m);
	if (o->archive)
		return lb_vreport_run_archive(o->archive, &ro, st->seq, out, at, d);
	return run_agg(o->aggdir, st->village, &ro, st->seq, out, at, d);
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
