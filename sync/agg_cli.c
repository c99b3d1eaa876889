/*
 * agg_cli.c — `lumbung-agg`, the kecamatan/kabupaten aggregator command.
 * Only this file prints and exits (see node/cli.c for the conventions).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../agg/agg_int.h"
#include "../agg/report.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/schema.h"
#include "agg.h"
#include "agg_http.h"
#include "wire.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static const char *usage_text =
	"usage: " PROG " COMMAND -d DIR [options]   (-d defaults to $LUMBUNG_AGG_DIR)\n\n"
	"  " PROG " init -d DIR --region PP.KK[.CC]        create an aggregator; prints its key\n"
	"  " PROG " enroll -d DIR --village CODE --key HEX  let a village key push\n"
	"  " PROG " revoke -d DIR --key HEX                 stop accepting a key\n"
	"  " PROG " serve -d DIR [--listen 127.0.0.1:8080] [--threads N]\n"
	"  " PROG " ingest -d DIR FILE...                  change sets carried on a USB stick\n"
	"                                                    (lumbung changeset > FILE)\n"
	"  " PROG " status -d DIR [--json]                  per village: seq, entries, last seen,\n"
	"                                                    forks; live records per type\n"
	"  " PROG " report NAME -d DIR [--village CODE | --kecamatan CODE] [--per YYYY-MM-DD]\n"
	"         [--late-days N] [--json | --csv | --xlsx FILE]   NAME: ringkasan penduduk\n"
	"                                                    bantuan nik-ganda kelengkapan\n"
	"  " PROG " verify-figures -d DIR                   recompute the report figures from the\n"
	"                                                    records and compare\n";

struct args {
	const char *cmd, *dir, *region, *village, *key, *listen;
	const char *report, *kecamatan, *per, *xlsx, *late_days; /* report */
	bool csv;
	unsigned threads;
	bool json;
	int nfiles;
	char **files; /* ingest: borrowed from argv */
};

static int usage(FILE *f, int rc)
{
	fputs(usage_text, f);
	return rc;
}

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, PROG " %s: %s\n", cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_serve(struct args *a, struct lb_agg *agg)
{
	char host[64] = "127.0.0.1";
	unsigned port = 8080;
	struct lb_agg_server *srv;
	struct lb_diag d = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	lb_err e;

	if (a->listen) {
		const char *colon = strrchr(a->listen, ':');
		char *end;
		if (!colon || (size_t)(colon - a->listen) >= sizeof host) {
			fprintf(stderr, PROG " serve: --listen takes ADDR:PORT\n");
			return EXIT_USAGE;
		}
		memcpy(host, a->listen, (size_t)(colon - a->listen));
		host[colon - a->listen] = '\0';
		port = (unsigned)strtoul(colon + 1, &end, 10);
		if (*end || port > 65535) {
			fprintf(stderr, PROG " serve: bad port in --listen\n");
			return EXIT_USAGE;
		}
	}
	if ((e = lb_agg_serve(&srv, agg, host, (uint16_t)port, a->threads, stderr, &d)))
		return die("serve", e, &d);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the port line is what scripts wait for */
	printf("listening on %s:%u\n", host, lb_agg_server_port(srv));
	fflush(stdout);
	while (!stop)
		pause();
	fprintf(stderr, PROG " serve: stopping; requests in flight finish first\n");
	lb_agg_server_stop(srv);
	return 0;
}

/*
 * status.  The text form is for people and grep; its columns are stable,
 * one token each, so `awk '$1 == "33.24.01.2001" { print $3 }'` is the
 * seq of that village's key.  One row per enrolled key (a village that
 * changed keys has several), sorted by village; then the live records of
 * the consolidated view per type, summed over all villages, and a total:
 *
 *   VILLAGE        ORIGIN                   SEQ     ENTRIES  LAST_SEEN                 FORKS  STATE
 *   33.24.01.2001  ab12cd34ef567890         120         120  2026-03-01T08:15:00.000Z      0  active
 *   33.24.01.2002  9cb02074672b4031           0           0  never                         0  REVOKED
 *
 *   TYPE         RECORDS
 *   aspirasi         118
 *   total            118
 *
 * --json prints the same as one document:
 *   { "villages": [ { "village", "origin" (64 hex), "seq", "entries",
 *                     "last_seen" (string or null), "last_seen_ms",
 *                     "forks", "revoked" }, ... ],
 *     "counts": { type: n, ... }, "total": n }
 */
struct type_count {
	char type[LB_TYPE_MAX + 1];
	uint64_t n;
};

struct status_ctx {
	bool oom;
	struct lb_agg_origin *o;      /* enrolled keys, sorted by village for printing */
	size_t no;
	struct type_count *types;     /* summed over villages */
	size_t ntypes;
};

static int status_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct status_ctx *s = ctx;
	struct lb_agg_origin *p = realloc(s->o, (s->no + 1) * sizeof *p);

	if (!p) {
		s->oom = true;
		return 1;
	}
	s->o = p;
	s->o[s->no++] = *o;
	return 0;
}

static int status_count(void *ctx, const char *village, const char *type, uint64_t count)
{
	struct status_ctx *s = ctx;
	struct type_count *t;
	(void)village;

	for (size_t i = 0; i < s->ntypes; i++)
		if (!strcmp(s->types[i].type, type)) {
			s->types[i].n += count;
			return 0;
		}
	if (!(t = realloc(s->types, (s->ntypes + 1) * sizeof *t))) {
		s->oom = true;
		return 1;
	}
	s->types = t;
	t += s->ntypes++;
	snprintf(t->type, sizeof t->type, "%s", type);
	t->n = count;
	return 0;
}

static int by_village(const void *x, const void *y)
{
	const struct lb_agg_origin *a = x, *b = y;
	int c = strcmp(a->village, b->village);
	return c ? c : memcmp(a->origin, b->origin, LB_PK_BYTES);
}

static int by_type(const void *x, const void *y)
{
	return strcmp(((const struct type_count *)x)->type, ((const struct type_count *)y)->type);
}

static void last_seen(char out[LB_HLC_STRLEN], uint64_t ms)
{
	if (ms)
		lb_hlc_format(ms << LB_HLC_COUNTER_BITS, out);
	else
		snprintf(out, LB_HLC_STRLEN, "never");
}

static void status_text(const struct status_ctx *s, uint64_t total)
{
	char hx[17], seen[LB_HLC_STRLEN];
	int w = (int)strlen("total");

	if (!s->no)
		printf("no villages enrolled\n");
	else
		printf("%-13s  %-16s  %10s  %10s  %-24s  %5s  %s\n", "VILLAGE", "ORIGIN", "SEQ",
		       "ENTRIES", "LAST_SEEN", "FORKS", "STATE");
	for (size_t i = 0; i < s->no; i++) {
		const struct lb_agg_origin *o = &s->o[i];
		lb_hex(hx, o->origin, 8);
		last_seen(seen, o->last_seen_ms);
		printf("%-13s  %-16s  %10llu  %10llu  %-24s  %5llu  %s\n", o->village, hx,
		       (unsigned long long)o->seq, (unsigned long long)o->entries, seen,
		       (unsigned long long)o->forks, o->revoked ? "REVOKED" : "active");
	}
	for (size_t i = 0; i < s->ntypes; i++)
		if ((int)strlen(s->types[i].type) > w)
			w = (int)strlen(s->types[i].type);
	printf("\n%-*s  %10s\n", w, "TYPE", "RECORDS");
	for (size_t i = 0; i < s->ntypes; i++)
		printf("%-*s  %10llu\n", w, s->types[i].type, (unsigned long long)s->types[i].n);
	printf("%-*s  %10llu\n", w, "total", (unsigned long long)total);
}

/* The same as one JSON document on stdout; LB_ENOMEM or LB_EIO. */
static lb_err status_json(const struct status_ctx *s, uint64_t total, struct lb_diag *d)
{
	char hx[2 * LB_PK_BYTES + 1], hh[2 * LB_HASH_BYTES + 1], seen[LB_HLC_STRLEN];
	json_t *root = json_object(), *villages = json_array(), *counts = json_object();
	lb_err e = LB_OK;

	if (!root || !villages || !counts || json_object_set(root, "villages", villages) ||
	    json_object_set(root, "counts", counts) ||
	    json_object_set_new(root, "total", json_integer((json_int_t)total)))
		goto oom;
	for (size_t i = 0; i < s->no; i++) {
		const struct lb_agg_origin *o = &s->o[i];
		lb_hex(hx, o->origin, LB_PK_BYTES);
		lb_hex(hh, o->hash, LB_HASH_BYTES);
		last_seen(seen, o->last_seen_ms);
		if (json_array_append_new(
		            villages,
		            json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:I, s:I, s:b}", "village", o->village,
		                      "origin", hx, "hash", hh, "seq", (json_int_t)o->seq, "entries",
		                      (json_int_t)o->entries, "last_seen",
		                      o->last_seen_ms ? json_string(seen) : json_null(), "last_seen_ms",
		                      (json_int_t)o->last_seen_ms, "forks", (json_int_t)o->forks,
		                      "revoked", (int)o->revoked)))
			goto oom;
	}
	for (size_t i = 0; i < s->ntypes; i++)
		if (json_object_set_new(counts, s->types[i].type, json_integer((json_int_t)s->types[i].n)))
			goto oom;
	if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) || putchar('\n') == EOF)
		e = lb_fail(d, LB_EIO, "writing to standard output failed");
	goto out;
oom:
	e = lb_fail(d, LB_ENOMEM, "out of memory");
out:
	json_decref(counts);
	json_decref(villages);
	json_decref(root);
	return e;
}

/* The origins and the counts are two read transactions: an ingest between
 * them can make the two halves differ by that change set. */
static int cmd_status(struct args *a, struct lb_agg *agg)
{
	struct status_ctx s = {0};
	struct lb_diag d = {0};
	uint64_t total = 0;
	int rc = 0;
	lb_err e;

	if ((e = lb_agg_origins(agg, status_origin, &s, &d)) ||
	    (!s.oom && (e = lb_agg_counts(agg, NULL, status_count, &s, &d))))
		goto out;
	if (s.oom) {
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (s.no) /* qsort wants a valid pointer even for no elements */
		qsort(s.o, s.no, sizeof *s.o, by_village);
	if (s.ntypes)
		qsort(s.types, s.ntypes, sizeof *s.types, by_type);
	for (size_t i = 0; i < s.ntypes; i++)
		total += s.types[i].n;
	if (a->json)
		e = status_json(&s, total, &d);
	else
		status_text(&s, total);
out:
	if (e)
		rc = die("status", e, &d);
	free(s.o);
	free(s.types);
	return rc;
}

/* Read a whole change-set file, refusing one larger than any change set. */
static lb_err read_changeset(const char *path, uint8_t **buf, size_t *len, struct lb_diag *d)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *b = NULL, *nb;

	*buf = NULL;
	if (!f)
		return lb_fail(d, errno == ENOENT ? LB_ENOTFOUND : LB_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		if (!(nb = realloc(b, cap))) {
			free(b);
			fclose(f);
			return lb_fail(d, LB_ENOMEM, "out of memory");
		}
		b = nb;
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n > LB_WIRE_MAX_BYTES) {
			free(b);
			fclose(f);
			return lb_fail(d, LB_ETOOBIG, "%s: larger than a change set can be (%u MiB)", path,
			               LB_WIRE_MAX_BYTES >> 20);
		}
		if (n < cap)
			break;
		cap *= 2;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return lb_fail(d, LB_EIO, "%s: read error", path);
	}
	fclose(f);
	*buf = b;
	*len = n;
	return LB_OK;
}

/* report: options into o.  "Today" and "now" come from the wall clock;
 * LUMBUNG_AGG_NOW_MS (milliseconds since the epoch) overrides it, for
 * tests only.  Returns 0 or the usage exit status. */
static int report_args(const struct args *a, struct lb_report_opts *o)
{
	const char *now = getenv("LUMBUNG_AGG_NOW_MS");
	time_t t;
	struct tm tm;
	char *end;

	o->name = a->report;
	o->village = a->village;
	o->kecamatan = a->kecamatan;
	o->now_ms = now && *now ? strtoull(now, NULL, 10) : lb_hlc_wall_ms();
	o->late_days = 7;
	o->format = a->json ? LB_REPORT_JSON : a->csv ? LB_REPORT_CSV : a->xlsx ? LB_REPORT_XLSX
	                                                                         : LB_REPORT_TABLE;
	o->xlsx_path = a->xlsx;
	if (!a->report) {
		fprintf(stderr, PROG " report: name a report: %s\n", lb_report_names());
		return EXIT_USAGE;
	}
	{
		const char *n = lb_report_names(), *p = strstr(n, a->report);
		size_t l = strlen(a->report);
		while (p && !((p == n || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0')))
			p = strstr(p + 1, a->report);
		if (!p || !l) {
			fprintf(stderr, PROG " report: no report \"%.40s\"; the reports are: %s\n",
			        a->report, n);
			return EXIT_USAGE;
		}
	}
	if ((a->json + a->csv + (a->xlsx != NULL)) > 1) {
		fprintf(stderr, PROG " report: give one of --json, --csv, --xlsx FILE\n");
		return EXIT_USAGE;
	}
	if (a->village && a->kecamatan) {
		fprintf(stderr, PROG " report: give --village or --kecamatan, not both\n");
		return EXIT_USAGE;
	}
	if (a->late_days) {
		unsigned long v = strtoul(a->late_days, &end, 10);
		if (!*a->late_days || *end || a->late_days[0] == '-' || v > 36500) {
			fprintf(stderr, PROG " report: --late-days takes a number of days (0..36500)\n");
			return EXIT_USAGE;
		}
		o->late_days = (unsigned)v;
	}
	if (a->per) {
		int y, m, dd;
		char c;
		static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		if (sscanf(a->per, "%4d-%2d-%2d%c", &y, &m, &dd, &c) != 3 || strlen(a->per) != 10 ||
		    y < 1900 || y > 2100 || m < 1 || m > 12 || dd < 1 || dd > mdays[m - 1] ||
		    (m == 2 && dd == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))) {
			fprintf(stderr, PROG " report: --per \"%.20s\" is not a date YYYY-MM-DD\n",
			        a->per);
			return EXIT_USAGE;
		}
		o->per_y = y, o->per_m = m, o->per_d = dd;
	} else {
		t = (time_t)(o->now_ms / 1000);
		localtime_r(&t, &tm);
		o->per_y = tm.tm_year + 1900, o->per_m = tm.tm_mon + 1, o->per_d = tm.tm_mday;
	}
	return 0;
}

/* Ingest change-set files exactly as if they had been POSTed. */
static int cmd_ingest(struct args *a, struct lb_agg *agg)
{
	int rc = 0;

	for (int i = 0; i < a->nfiles; i++) {
		struct lb_agg_result r = {0};
		struct lb_diag d = {0};
		uint8_t *buf = NULL;
		size_t len = 0;
		lb_err e = read_changeset(a->files[i], &buf, &len, &d);

		if (!e) {
			e = lb_agg_ingest(agg, buf, len, &r, &d);
			free(buf);
		}
		if (e) {
			fprintf(stderr, PROG " ingest: %s: refused (%s): %s\n", a->files[i], lb_errname(e),
			        lb_diag_msg(&d, e));
			if (!rc)
				rc = lb_exit_status(e);
			continue;
		}
		printf("%s: accepted %llu new entries; that village is now at seq %llu\n", a->files[i],
		       (unsigned long long)r.accepted, (unsigned long long)r.seq);
		free(r.receipt);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {.dir = getenv("LUMBUNG_AGG_DIR")};
	struct lb_diag d = {0};
	struct lb_agg *agg = NULL;
	struct lb_report_opts ropts = {0};
	uint8_t pk[LB_PK_BYTES];
	char hex[2 * LB_PK_BYTES + 1];
	lb_err e;
	int rc = 0;

	if (sodium_init() < 0 || lb_schema_builtin_init(&d)) {
		fprintf(stderr, PROG ": cannot initialise: %s\n", d.msg);
		return 1;
	}
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	a.cmd = argv[1];
	if (!strcmp(a.cmd, "-h") || !strcmp(a.cmd, "--help") || !strcmp(a.cmd, "help"))
		return usage(stdout, 0);
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst = NULL;
		if (!strcmp(o, "-h") || !strcmp(o, "--help"))
			return usage(stdout, 0);
		if (!strcmp(a.cmd, "report") && o[0] != '-' && !a.report) {
			a.report = o;
			continue;
		}
		if (!strcmp(o, "--csv") && !strcmp(a.cmd, "report")) {
			a.csv = true;
			continue;
		}
		if (!strcmp(o, "--json") && (!strcmp(a.cmd, "status") || !strcmp(a.cmd, "report"))) {
			a.json = true;
			continue;
		}
		if (o[0] != '-' && !strcmp(a.cmd, "ingest")) {
			if (!a.files)
				a.files = &argv[i];
			if (&argv[i] != a.files + a.nfiles) {
				fprintf(stderr, PROG " ingest: give the files together, after the options\n");
				return EXIT_USAGE;
			}
			a.nfiles++;
			continue;
		}
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &a.dir;
		else if (!strcmp(o, "--region"))
			dst = &a.region;
		else if (!strcmp(o, "--village"))
			dst = &a.village;
		else if (!strcmp(o, "--key"))
			dst = &a.key;
		else if (!strcmp(o, "--listen"))
			dst = &a.listen;
		else if (!strcmp(o, "--kecamatan"))
			dst = &a.kecamatan;
		else if (!strcmp(o, "--per"))
			dst = &a.per;
		else if (!strcmp(o, "--xlsx"))
			dst = &a.xlsx;
		else if (!strcmp(o, "--late-days"))
			dst = &a.late_days;
		else if (!strcmp(o, "--threads") && i + 1 < argc) {
			a.threads = (unsigned)atoi(argv[++i]);
			continue;
		} else {
			fprintf(stderr, PROG " %s: unknown argument %s\n", a.cmd, o);
			return usage(stderr, EXIT_USAGE);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, PROG " %s: %s needs a value\n", a.cmd, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!a.dir || !*a.dir) {
		fprintf(stderr, PROG " %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n",
		        a.cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "init")) {
		if (!a.region) {
			fprintf(stderr, PROG " init: --region CODE is required\n");
			return EXIT_USAGE;
		}
		if ((e = lb_agg_init(a.dir, a.region, pk, &d)))
			return die("init", e, &d);
		lb_hex(hex, pk, LB_PK_BYTES);
		printf("%s\n", hex);
		return 0;
	}
	if (strcmp(a.cmd, "enroll") && strcmp(a.cmd, "revoke") && strcmp(a.cmd, "serve") &&
	    strcmp(a.cmd, "status") && strcmp(a.cmd, "ingest") && strcmp(a.cmd, "report") &&
	    strcmp(a.cmd, "verify-figures")) {
		fprintf(stderr, PROG ": unknown command \"%s\"\n", a.cmd);
		return usage(stderr, EXIT_USAGE);
	}
	if ((!strcmp(a.cmd, "enroll") || !strcmp(a.cmd, "revoke")) &&
	    (!a.key || lb_unhex(pk, LB_PK_BYTES, a.key))) {
		fprintf(stderr, PROG " %s: --key takes the village's 64-hex origin key (lumbung id)\n",
		        a.cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "ingest") && !a.nfiles) {
		fprintf(stderr, PROG " ingest: name the change-set files to ingest\n");
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "enroll") && !a.village) {
		fprintf(stderr, PROG " enroll: --village CODE is required\n");
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "report") && (rc = report_args(&a, &ropts)))
		return rc;
	/* status, report and verify-figures only read: they work without the
	 * key, on a read-only disk, and while serve runs */
	if ((e = !strcmp(a.cmd, "status") || !strcmp(a.cmd, "report") ||
	                 !strcmp(a.cmd, "verify-figures")
	                 ? lb_agg_open_ro(&agg, a.dir, &d)
	                 : lb_agg_open(&agg, a.dir, &d)))
		return die(a.cmd, e, &d);
	if (!strcmp(a.cmd, "enroll")) {
		if ((e = lb_agg_enroll(agg, a.village, pk, &d)))
			rc = die("enroll", e, &d);
		else
			printf("enrolled %s for village %s\n", a.key, a.village);
	} else if (!strcmp(a.cmd, "revoke")) {
		if ((e = lb_agg_revoke(agg, pk, &d)))
			rc = die("revoke", e, &d);
		else
			printf("revoked %s\n", a.key);
	} else if (!strcmp(a.cmd, "serve")) {
		rc = cmd_serve(&a, agg);
	} else if (!strcmp(a.cmd, "ingest")) {
		rc = cmd_ingest(&a, agg);
	} else if (!strcmp(a.cmd, "report")) {
		if ((e = lb_report_run(agg, &ropts, stdout, &d)))
			rc = die("report", e, &d);
		else if (fflush(stdout) == EOF)
			rc = die("report", lb_fail(&d, LB_EIO, "writing the report failed"), &d);
	} else if (!strcmp(a.cmd, "verify-figures")) {
		uint64_t keys = 0;
		if ((e = lb_agg_verify_figures(agg, &keys, &d)))
			rc = die("verify-figures", e, &d);
		else
			printf("figures agree with the records: %llu figures checked\n",
			       (unsigned long long)keys);
	} else
		rc = cmd_status(&a, agg);
	lb_agg_close(agg);
	return rc;
}
