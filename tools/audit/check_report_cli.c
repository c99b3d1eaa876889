/*
 * check_report_cli.c — `lumbung-audit check-report`: the user's side of
 * check_report.h.  Prints one line per check and a verdict; the
 * lumbung-audit main (audit_cli.c) dispatches here.
 *
 * Exit statuses (docs/lumbung-audit.1): 0 genuine; 2 usage; 9 a stamp
 * that cannot be read; 19 another village; 13 key or signature; 21 the
 * log has another entry at SEQ; 8 the figures differ; others as the
 * message says (1: no stamp in the PDF, 3: SEQ is no signed head...).
 */
#include "check_report.h"

#include <string.h>

#include "../../node/entry.h"
#include "../../schema/i18n.h"
#include "../../sync/keyarg.h"

#define PROG "lumbung-audit"
#define CMD "check-report"
#define EXIT_USAGE 2

static const char *const usage_text[2] = {
        "usage: " PROG " check-report STAMP|-|--pdf FILE (--archive FILE.lla | --agg DIR)\n"
        "       [--key HEX|PUBFILE] [--show]\n"
        "\n",
        N_("Check a printed village report (`lumbung report --pdf`) against the village's\n"
           "signed log.  STAMP is the text of the report's QR code (one line starting\n"
           "LBR1, as a scanner gives it; - reads it from stdin); --pdf FILE takes it from\n"
           "the PDF's metadata.  The log is an archive (--archive: the village's own\n"
           "`lumbung-audit export`, or `lumbung-agg export-log`) or an aggregator\n"
           "holding the village (--agg DIR, read-only).  The report is recomputed at the\n"
           "stamp's seq by the code that made it, and each check is said on its own line:\n"
           "the village, the key that signed the log at that seq (--key pins the\n"
           "village's key), the stamp's signature, the hash of that entry, and the\n"
           "report's figures (its digest).  --show prints the recomputed report so the\n"
           "figures can be compared with the paper.  Exit 0 only when every check holds;\n"
           "9 a stamp that cannot be read, 19 another village, 13 key or signature,\n"
           "21 another history at that seq, 8 the figures differ.\n")};

static int usage(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG " " CMD ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	fputs(usage_text[0], stderr);
	return EXIT_USAGE;
}

static int die(lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, PROG " " CMD ": %s\n", lb_diag_msg(d, e));
	return lb_exit_status(e);
}

/* One line: "ok" or "FAIL", the check, what it found. */
static void line(bool ok, const char *what, const char *text)
{
	printf("%-4s %-10s %s\n", ok ? _("ok") : _("FAIL"), what, text);
}

static void report(const struct lb_rstamp *st, const struct lb_crep_result *r, bool pinned)
{
	char t[LB_DIAG_MAX], a[65], b[65];
	unsigned long long seq = (unsigned long long)st->seq;

	if (r->check[LB_CREP_VILLAGE] == LB_OK)
		snprintf(t, sizeof t, _("the log is village %s's"), st->village);
	else
		snprintf(t, sizeof t, _("the stamp names village %s, the log is village %s's"),
		         st->village, r->at.village);
	line(!r->check[LB_CREP_VILLAGE], _("village"), t);

	lb_hex(a, r->at.origin, LB_PK_BYTES);
	lb_hex(b, r->key, LB_PK_BYTES);
	if (r->check[LB_CREP_KEY] == LB_OK)
		snprintf(t, sizeof t, pinned ? _("%.16s... signed the log at seq %llu and is the key given")
		                             : _("%.16s... signed the log at seq %llu"), a, seq);
	else
		snprintf(t, sizeof t, _("%.16s... signed the log at seq %llu, not the key given (%.16s...)"),
		         a, seq, b);
	line(!r->check[LB_CREP_KEY], _("key"), t);

	if (r->check[LB_CREP_SIG] == LB_OK)
		snprintf(t, sizeof t, _("the village key %.16s... signed this stamp"), b);
	else
		snprintf(t, sizeof t, _("the stamp's signature does not verify under %.16s...: the "
		                        "stamp was changed or made with another key"), b);
	line(!r->check[LB_CREP_SIG], _("signature"), t);

	lb_hex(a, r->at.hash, LB_HASH_BYTES);
	lb_hex(b, st->hash, LB_HASH_BYTES);
	if (r->check[LB_CREP_HASH] == LB_OK)
		snprintf(t, sizeof t, _("entry %llu of the log has the stamp's hash %.16s..."), seq, b);
	else
		snprintf(t, sizeof t, _("entry %llu of the log has hash %.16s..., the stamp names "
		                        "%.16s...: it was made from another history"), seq, a, b);
	line(!r->check[LB_CREP_HASH], _("hash"), t);

	if (r->check[LB_CREP_FIGURES] == LB_OK)
		snprintf(t, sizeof t, _("the figures on this paper are the ones the village's signed "
		                        "log gives at seq %llu"), seq);
	else
		snprintf(t, sizeof t, _("the figures differ from the signed log at seq %llu: the paper "
		                        "was edited or computed elsewhere"), seq);
	line(!r->check[LB_CREP_FIGURES], _("figures"), t);
}

int lb_audit_cmd_check_report(int argc, char **argv)
{
	const char *text = NULL, *pdf = NULL, *keyarg = NULL;
	char buf[2 * LB_RSTAMP_MAX];
	uint8_t key[LB_PK_BYTES];
	struct lb_crep_opts o = {0};
	struct lb_crep_result r;
	struct lb_rstamp st;
	struct lb_diag d = {0};
	int nchecks = 0, failed = 0;
	lb_err e;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], **dst = NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text[0], stdout);
			fputs(_(usage_text[1]), stdout);
			return 0;
		} else if (!strcmp(a, "--pdf"))
			dst = &pdf;
		else if (!strcmp(a, "--archive"))
			dst = &o.archive;
		else if (!strcmp(a, "--agg"))
			dst = &o.aggdir;
		else if (!strcmp(a, "--key"))
			dst = &keyarg;
		else if (!strcmp(a, "--show"))
			o.show = stdout;
		else if (a[0] == '-' && a[1])
			return usage(_("unknown option %s"), a);
		else if (text)
			return usage(_("one stamp at a time: unexpected %s (quote the stamp: it has "
			               "spaces)"), a);
		else
			text = a;
		if (dst) {
			if (i + 1 >= argc)
				return usage(_("option %s needs a value"), a);
			*dst = argv[++i];
		}
	}
	if (!text == !pdf)
		return usage(_("%s"), text ? _("give the stamp or --pdf FILE, not both")
		                           : _("which report? give its stamp, - or --pdf FILE"));
	if (!o.archive == !o.aggdir)
		return usage(_("%s"), o.archive ? _("give --archive or --agg, not both")
		                                : _("against which log? give --archive FILE.lla or "
		                                    "--agg DIR"));
	if (keyarg) {
		if ((e = lb_key_arg(keyarg, key, &d)))
			return e == LB_EINVAL ? usage(_("--key needs a public key: 64 hex digits or a "
			                                "public key file, not \"%s\""), keyarg)
			                      : die(e, &d);
		o.key = key;
	}
	if (pdf) {
		if ((e = lb_crep_pdf_stamp(pdf, buf, &d)))
			return die(e, &d);
		text = buf;
	} else if (!strcmp(text, "-")) {
		if (!fgets(buf, sizeof buf, stdin)) {
			fprintf(stderr, _("%s %s: no stamp on stdin\n"), PROG, CMD);
			return lb_exit_status(LB_EMALFORMED);
		}
		text = buf;
	}
	if ((e = lb_rstamp_parse(&st, text, &d)))
		return die(e, &d);
	snprintf(buf, sizeof buf, "%s%s%s", st.name, strcmp(st.params, "-") ? " " : "",
	         strcmp(st.params, "-") ? st.params : "");
	printf(_("report %s of village %s at seq %llu\n"), buf, st.village,
	       (unsigned long long)st.seq);
	if (o.show)
		fflush(stdout);
	e = lb_crep_check(&st, &o, &r, &d);
	for (int i = 0; i < LB_CREP_NCHECKS; i++)
		if (r.check[i] != LB_EINVAL)
			nchecks++, failed += r.check[i] != LB_OK;
	if (!nchecks)
		return die(e, &d);
	if (o.show)
		putchar('\n');
	report(&st, &r, keyarg != NULL);
	if (!e)
		printf(_("GENUINE: the stamp and the figures are the village's signed log at seq %llu\n"),
		       (unsigned long long)st.seq);
	else
		printf(_("NOT GENUINE: %d of %d checks failed\n"), failed, nchecks);
	return lb_exit_status(e);
}
