/*
 * cli_catalogue.c — `lumbung-agg catalogue ...` (cli_catalogue.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_catalogue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/i18n.h"
#include "../node/cli.h"
#include "../node/csvio.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "catalogue.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static const char *usage_text =
	"usage: " PROG " catalogue put -d DIR [--merge] program|wilayah ID field=value ...\n"
	"       " PROG " catalogue rm -d DIR program|wilayah ID\n"
	"       " PROG " catalogue get -d DIR [--region CODE] program|wilayah ID\n"
	"       " PROG " catalogue ls -d DIR [--region CODE] program|wilayah\n"
	"       " PROG " catalogue import -d DIR program|wilayah FILE.csv [--sep ,|;]\n"
	"                                     [--skip-invalid REJECTS.csv]\n"
	"       " PROG " catalogue export -d DIR [--region CODE] [--from K] > catalogue.lla\n";
/* what the usage says after the syntax (translated when printed) */
static const char *usage_help =
	N_("The region's catalogue: its programmes and the names of its kecamatan and\n"
	   "villages, signed with this aggregator's key; villages fetch it when they sync.\n"
	   "--region reads a catalogue relayed from an upstream aggregator.\n");

static void usage_print(FILE *f)
{
	fputs(usage_text, f);
	fputs(_(usage_help), f);
}

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s catalogue %s: %s\n"), PROG, cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

static int usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, _("%s catalogue: "), PROG);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage_print(stderr);
	return EXIT_USAGE;
}

/* A wilayah import: every kode checked before anything is written. */
struct wcheck {
	struct lb_agg *a;
	struct lb_csv_map *map;
	struct lb_mp_buf body;
	unsigned long bad;
};

static lb_err wilayah_row(void *ctx, char **cells, size_t n, unsigned long row, struct lb_diag *d)
{
	struct wcheck *w = ctx;
	const char *id;
	size_t id_len;
	char kode[64];
	struct lb_diag rd = {0};

	if (!w->map)
		return lb_csv_map_new(&w->map, lb_schema_get(lb_schema_latest()), "wilayah", cells,
		                      n, d);
	lb_mp_buf_reset(&w->body);
	if (lb_csv_row_record(w->map, cells, n, &id, &id_len, &w->body, &rd))
		return LB_OK; /* the import itself names it */
	snprintf(kode, sizeof kode, "%.*s", (int)(id_len < 63 ? id_len : 63), id);
	if (lb_agg_catalogue_wilayah_ok(w->a, kode, &rd)) {
		fprintf(stderr, _("%s catalogue import: row %lu: %s\n"), PROG, row, rd.msg);
		w->bad++;
	}
	return LB_OK;
}

static int check_wilayah_csv(struct lb_agg *a, const char *path, const char *sep)
{
	struct wcheck w = {.a = a};
	struct lb_diag d = {0};
	lb_err e;

	lb_mp_buf_init(&w.body);
	e = lb_csv_read(path, sep ? sep[0] : 0, wilayah_row, &w, NULL, &d);
	lb_csv_map_free(w.map);
	lb_mp_buf_free(&w.body);
	if (e)
		return die("import", e, &d);
	if (w.bad) {
		fprintf(stderr, _("%s catalogue import: %lu row(s) name a wilayah outside the "
		                "region; nothing was imported\n"), PROG, w.bad);
		return lb_exit_status(LB_EINVAL);
	}
	return 0;
}

int agg_cli_catalogue(int argc, char **argv)
{
	const char *dir = getenv("LUMBUNG_AGG_DIR"), *region = NULL, *from = NULL, *sep = NULL;
	const char *sub, *pos[4] = {0};
	char **nargv = NULL, *catdir = NULL;
	int npos = 0, nargc = 0, rc = 0;
	bool write, is_export;
	struct lb_diag d = {0};
	struct lb_agg *agg = NULL;
	uint64_t from_seq = 1;
	lb_err e;

	if (argc < 2 || strcmp(argv[1], "catalogue"))
		return -1;
	if (argc < 3 || !strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")) {
		usage_print(argc < 3 ? stderr : stdout);
		return argc < 3 ? EXIT_USAGE : 0;
	}
	sub = argv[2];
	write = !strcmp(sub, "put") || !strcmp(sub, "rm") || !strcmp(sub, "import");
	is_export = !strcmp(sub, "export");
	if (!write && !is_export && strcmp(sub, "get") && strcmp(sub, "ls"))
		return usage_err(_("\"%s\" is not put, rm, get, ls, import or export"), sub);
	if (!(nargv = calloc((size_t)argc + 4, sizeof *nargv)))
		return die(sub, lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
	nargv[nargc++] = PROG " catalogue";
	nargv[nargc++] = (char *)sub;
	nargv[nargc++] = "-d";
	nargv[nargc++] = NULL; /* the catalogue's directory, below */
	for (int i = 3; i < argc; i++) {
		const char *o = argv[i];
		bool val = !strcmp(o, "-d") || !strcmp(o, "--dir") || !strcmp(o, "--region") ||
		           !strcmp(o, "--from") || !strcmp(o, "--sep") || !strcmp(o, "--skip-invalid");
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage_print(stdout);
			goto out;
		}
		if (val && i + 1 >= argc) {
			rc = usage_err(_("%s needs a value"), o);
			goto out;
		}
		if (!strcmp(o, "-d") || !strcmp(o, "--dir")) {
			dir = argv[++i];
		} else if (!strcmp(o, "--region")) {
			region = argv[++i];
		} else if (!strcmp(o, "--from") && is_export) {
			from = argv[++i];
		} else if (!strcmp(o, "--batch")) {
			rc = usage_err(_("%s: write a catalogue with put or import"), o);
			goto out;
		} else if (val && strcmp(o, "--from")) {
			if (!strcmp(o, "--sep"))
				sep = argv[i + 1];
			nargv[nargc++] = argv[i];
			nargv[nargc++] = argv[++i];
		} else if (o[0] == '-' && o[1]) {
			if (is_export) {
				rc = usage_err(_("unknown option %s"), o);
				goto out;
			}
			nargv[nargc++] = argv[i]; /* the node's own option (--merge, --json...) */
		} else {
			if (npos < 4)
				pos[npos] = o;
			npos++;
			nargv[nargc++] = argv[i];
		}
	}
	if (!dir || !*dir) {
		rc = usage_err("%s", _("no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR"));
		goto out;
	}
	if (region && write) {
		rc = usage_err(_("--region %s: a relayed catalogue is read-only here"), region);
		goto out;
	}
	if (is_export && npos) {
		rc = usage_err(_("export takes no %s"), pos[0]);
		goto out;
	}
	if (!is_export && (!npos || !lb_agg_catalogue_type_ok(pos[0]))) {
		rc = usage_err(_("a catalogue holds the types program and wilayah, not \"%s\""),
		               npos ? pos[0] : "");
		goto out;
	}
	if (from) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(from, &end, 10);
		if (*end || errno || v < 1 || from[0] < '0' || from[0] > '9') {
			rc = usage_err(_("--from %s is not a seq (1 or more)"), from);
			goto out;
		}
		from_seq = v;
	}
	if ((e = write ? lb_agg_open(&agg, dir, &d) : lb_agg_open_ro(&agg, dir, &d))) {
		rc = die(sub, e, &d);
		goto out;
	}
	if (write && (e = lb_agg_catalogue_ensure(agg, &d))) {
		rc = die(sub, e, &d);
		goto out;
	}
	if (!strcmp(sub, "put") && !strcmp(pos[0], "wilayah") && npos >= 2 &&
	    (e = lb_agg_catalogue_wilayah_ok(agg, pos[1], &d))) {
		rc = die(sub, e, &d);
		goto out;
	}
	if (!strcmp(sub, "import") && !strcmp(pos[0], "wilayah") && npos >= 2 &&
	    (rc = check_wilayah_csv(agg, pos[1], sep)))
		goto out;
	if (is_export) {
		if ((e = lb_agg_catalogue_export(agg, region, from_seq, stdout, &d)) ||
		    (fflush(stdout) && (e = lb_fail(&d, LB_EIO, "writing: %s", strerror(errno)))))
			rc = die(sub, e, &d);
		goto out;
	}
	if ((e = lb_agg_catalogue_dir(agg, region, &catdir, &d))) {
		rc = die(sub, e, &d);
		goto out;
	}
	{
		char *p = malloc(strlen(catdir) + 16);
		FILE *t;
		if (p) {
			sprintf(p, "%s/data.mdb", catdir);
			t = fopen(p, "rb");
			free(p);
			if (!t) { /* no catalogue made yet: nothing to list */
				if (!strcmp(sub, "ls"))
					goto out;
				fprintf(stderr, _("%s catalogue %s: no catalogue%s%s held here\n"), PROG, sub,
				        region ? _(" of ") : "", region ? region : "");
				rc = 1;
				goto out;
			}
			fclose(t);
		}
	}
	lb_agg_close(agg);
	agg = NULL;
	nargv[3] = catdir;
	rc = lb_cli_main(nargc, nargv, NULL, 0);
out:
	lb_agg_close(agg);
	free(catdir);
	free(nargv);
	return rc;
}
