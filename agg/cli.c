/*
 * cli.c — `lumbung-agg`, the kecamatan/kabupaten aggregator command.
 * Only this file prints and exits (see node/cli.c for the conventions).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../node/body.h"
#include "agg_int.h"
#include "report.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/schema.h"
#include "agg.h"
#include "../schema/i18n.h"
#include "../schema/version.h"
#include "../node/cli_config.h"
#include "../node/cliconf.h"
#include "http.h"
#include "api.h"
#include "cli_usb.h"
#include "token.h"
#include "cli_relay.h"
#include "cli_moves.h"
#include "cli_mirror.h"
#include "cli_backup.h"
#include "cli_succ.h"
#include "cli_tree.h"
#include "cli_catalogue.h"
#include "catalogue.h"
#include "forward.h"
#include "../sync/wire.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

struct args {
	const char *cmd, *dir, *region, *village, *key, *listen;
	const char *name, *kecamatan, *xlsx, *sep;
	enum lb_agg_format format;
	bool excel;
	int npos;
	char *pos[4]; /* region, export, ls, get: borrowed from argv */
	const char *report, *per, *late_days; /* report */
	const char *month;                    /* report perkembangan */
	const char *role, *since;             /* token, access-log */
	bool csv;
	unsigned threads;
	struct lb_agg_limits lim; /* serve; 0: default */
	bool json;
	int nfiles;
	char **files; /* ingest: borrowed from argv */
	bool forward;       /* serve --forward (forward.h) */
	const char *every;  /* serve --forward / forward: seconds */
	const char *max_bytes; /* serve --forward / forward: change-set bound */
	const char *receipts; /* ingest --receipts RFILE */
	const char *cacert;   /* upstream add --cacert FILE */
};

/* One line (or a few) of the usage per command: the syntax after PROG
 * (never translated; continuation lines start with blanks) and what it
 * does (translated when printed).  `PROG --help` prints them all,
 * `PROG CMD --help` (or `PROG help CMD`) the entries of CMD. */
static const struct agg_help {
	const char *cmd, *syntax, *help;
} helps[] = {
	{"init", "init -d DIR --region PP.KK[.CC]",
	 N_("create an aggregator for a kecamatan (PP.KK.CC) or a kabupaten (PP.KK);\n"
	    "prints its public key (also in DIR/agg.pub)")},
	{"enroll", "enroll -d DIR --village CODE --key HEX [--name NAME]",
	 N_("let a village key push (HEX: the village's `lumbung id`); NAME: the village's name")},
	{"revoke", "revoke -d DIR --key HEX", N_("stop accepting a village key")},
	{"enroll-aggregator", "enroll-aggregator -d DIR --region PP.KK.CC --key HEX",
	 N_("at a kabupaten: accept the enrolments a kecamatan aggregator signs\n"
	    "(HEX: its agg.pub)")},
	{"revoke-aggregator", "revoke-aggregator -d DIR --key HEX",
	 N_("stop accepting a kecamatan aggregator's enrolments")},
	{"send-statements", "send-statements -d DIR URL",
	 N_("send our enrolments and revocations to an upstream aggregator")},
	{"succeed", "succeed -d DIR --village CODE --key NEW_HEX",
	 N_("a village whose key was lost goes on under a new key from the seq held here")},
	{"export-log", "export-log -d DIR --village CODE [--from K] > FILE.lla",
	 N_("the village's chain (across key changes) with a fresh receipt")},
	{"serve",
	 "serve -d DIR [--listen ADDR:PORT] [--threads N]\n"
	 "        [--max-connections N] [--max-per-address N] [--header-timeout S]\n"
	 "        [--request-timeout S] [--idle-timeout S] [--max-buffered SIZE]\n"
	 "        [--forward [--every S] [--max-bytes N]] [--tls-cert FILE --tls-key FILE]\n"
	 "        [--log-json]",
	 N_("answer villages, aggregators and the dashboard over HTTP.\n"
	    "Defaults: --listen 127.0.0.1:8080, --threads 4, --max-connections 4096,\n"
	    "--max-per-address 64, --header-timeout 10, --request-timeout 120,\n"
	    "--idle-timeout 60 (seconds), --max-buffered 256m.\n"
	    "--forward also sends the villages' logs to the upstreams every S seconds\n"
	    "(default 5), as forward does")},
	{"upstream", "upstream add -d DIR NAME URL --key HEX [--cacert FILE]",
	 N_("the kabupaten a kecamatan relays to (HEX: its agg.pub)")},
	{"upstream", "upstream ls -d DIR | upstream rm -d DIR NAME",
	 N_("list or remove the upstreams")},
	{"forward", "forward -d DIR [--every S] [--max-bytes N]",
	 N_("send the villages' logs upstream: one pass, or every S seconds;\n"
	    "change sets start at 256k and adapt up to --max-bytes (8k..16m, default 16m)")},
	{"ingest", "ingest -d DIR FILE... [--receipts RFILE]",
	 N_("change sets or bundles carried on a USB stick; the receipts are\n"
	    "written to RFILE (default FILE.receipts)")},
	{"bundle", "bundle -d DIR --for UPSTREAM [--all] > FILE",
	 N_("what the upstream aggregator lacks, every village, for a USB stick")},
	{"receipt", "receipt import -d DIR FILE --key HEX", N_("keep the upstream's receipts")},
	{"catalogue", "catalogue put|rm|get|ls|import|export -d DIR ...",
	 N_("the region's programmes and names for its villages (catalogue --help)")},
	{"status", "status -d DIR [--json]",
	 N_("per village: seq, entries, last seen (when new entries last arrived),\n"
	    "forks, name; live records per type")},
	{"region", "region name -d DIR PP.KK.CC NAME", N_("name a kecamatan (or a desa)")},
	{"region", "region ls -d DIR", N_("kecamatan, their names and villages")},
	{"export",
	 "export TYPE -d DIR [--village CODE | --kecamatan CODE]\n"
	 "        [--csv | --jsonl | --xlsx FILE] [--sep ,|;] [--excel]",
	 N_("every live record of TYPE, with desa and nama_desa first (default --csv, --sep ,)")},
	{"ls", "ls TYPE -d DIR --village CODE", N_("live ids of a village")},
	{"get", "get TYPE ID -d DIR --village CODE", N_("a record as JSON")},
	{"report",
	 "report NAME -d DIR [--village CODE | --kecamatan CODE] [--per YYYY-MM-DD]\n"
	 "        [--late-days N] [--month YYYY-MM] [--json | --csv | --xlsx FILE]",
	 N_("NAME: ringkasan penduduk bantuan nik-ganda kelengkapan perkembangan\n"
	    "(perkembangan needs --month); --per defaults to today, --late-days to 7")},
	{"verify-figures", "verify-figures -d DIR",
	 N_("recompute the report figures from the records and compare")},
	{"token", "token add -d DIR --name NAME --role kabupaten|kecamatan:PP.KK.CC|auditor",
	 N_("an API token (printed once)")},
	{"token", "token ls -d DIR | token revoke -d DIR --name NAME | --id ID",
	 N_("list or revoke the API tokens")},
	{"access-log", "access-log -d DIR [--since YYYY-MM-DD] [--json]",
	 N_("who read personal data over the API")},
	{"moves", "moves -d DIR [--village CODE] [--json]",
	 N_("residents moving between villages of the region: offers open and taken")},
	{"config", "config -d DIR [ls | get KEY | set KEY VALUE | unset KEY]",
	 N_("the aggregator's settings (DIR/agg.conf): bahasa id|en, the language of\n"
	    "messages (LUMBUNG_BAHASA in the environment wins; unset: follow the locale)")},
	{"mirror", "mirror -d DIR --pg CONNINFO [--every S] [--jobs N] [--quiet]",
	 N_("mirror the consolidated view into PostgreSQL, exactly once")},
	{"backup", "backup -d DIR [--quiet] > FILE",
	 N_("a consistent, compacted copy of the aggregator as a tar archive while it\n"
	    "serves: the store, the catalogues and the other files, agg.key included;\n"
	    "restore with mkdir -m 700 NEWDIR && tar -xf FILE -C NEWDIR")},
	{"version", "--version", N_("the version of lumbung-agg")},
};

/* entry h's lines: the syntax, then its help indented */
static void help_entry(FILE *f, const struct agg_help *h)
{
	const char *t = _(h->help);

	fprintf(f, "  " PROG " %s\n", h->syntax);
	while (*t) {
		size_t n = strcspn(t, "\n");
		fprintf(f, "        %.*s\n", (int)n, t);
		t += n + (t[n] == '\n');
	}
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: " PROG " COMMAND -d DIR [options]   %s\n\n",
	        _("(-d defaults to $LUMBUNG_AGG_DIR)"));
	for (size_t i = 0; i < sizeof helps / sizeof *helps; i++)
		help_entry(f, &helps[i]);
	return rc;
}

/* PROG CMD --help: CMD's entries on stdout (0), or the whole usage on
 * stderr for a command we do not know (EXIT_USAGE). */
static int usage_cmd(const char *cmd)
{
	bool found = false;

	for (size_t i = 0; i < sizeof helps / sizeof *helps; i++)
		if (!strcmp(helps[i].cmd, cmd)) {
			if (!found)
				printf("usage:\n");
			found = true;
			help_entry(stdout, &helps[i]);
		}
	if (found)
		return 0;
	fprintf(stderr, _("%s: unknown command \"%s\"\n"), PROG, cmd);
	return usage(stderr, EXIT_USAGE);
}

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

/* serve's numeric limits: which field an option sets, NULL if none
 * (--max-buffered, a size, is handled by set_limit). */
static unsigned *serve_limit(struct lb_agg_limits *l, const char *o)
{
	if (!strcmp(o, "--max-connections"))
		return &l->max_connections;
	if (!strcmp(o, "--max-per-address"))
		return &l->max_per_address;
	if (!strcmp(o, "--header-timeout"))
		return &l->header_timeout_s;
	if (!strcmp(o, "--request-timeout"))
		return &l->request_timeout_s;
	if (!strcmp(o, "--idle-timeout"))
		return &l->idle_timeout_s;
	return NULL;
}

/* A positive count or seconds (1..1000000); --max-buffered takes a size
 * with k, m or g.  Prints the usage error itself. */
static int set_limit(struct lb_agg_limits *l, const char *o, const char *v)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (!strcmp(o, "--max-buffered")) {
		unsigned sh = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20
		            : *end == 'g' || *end == 'G' ? 30 : 0;
		end += sh != 0;
		if (*v < '0' || *v > '9' || *end || errno || n == 0 || n > (1ull << 40) >> sh ||
		    (n << sh) < LB_WIRE_MAX_BYTES) {
			fprintf(stderr, _("%s serve: --max-buffered takes a size of at least %um "
			                "(e.g. 256m, 1g)\n"), PROG, LB_WIRE_MAX_BYTES >> 20);
			return 1;
		}
		l->max_buffered = (size_t)(n << sh);
		return 0;
	}
	if (*v < '0' || *v > '9' || *end || errno || n == 0 || n > 1000000) {
		fprintf(stderr, _("%s serve: %s takes a whole number from 1 to 1000000\n"), PROG, o);
		return 1;
	}
	*serve_limit(l, o) = (unsigned)n;
	return 0;
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
			fprintf(stderr, _("%s serve: --listen takes ADDR:PORT\n"), PROG);
			return EXIT_USAGE;
		}
		memcpy(host, a->listen, (size_t)(colon - a->listen));
		host[colon - a->listen] = '\0';
		port = (unsigned)strtoul(colon + 1, &end, 10);
		if (*end || port > 65535) {
			fprintf(stderr, _("%s serve: bad port in --listen\n"), PROG);
			return EXIT_USAGE;
		}
	}
	/* each connection is a descriptor: take what the hard limit allows */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	long every = 5;
	size_t max_bytes = 0;
	struct lb_agg_forwarder *fwd = NULL;
	FILE *fwd_log = stderr;
	if ((a->every || a->max_bytes) && !a->forward) {
		fprintf(stderr, _("%s serve: --every and --max-bytes are for --forward\n"), PROG);
		return EXIT_USAGE;
	}
	if ((a->every && lb_agg_cli_parse_every("serve", a->every, &every)) ||
	    (a->max_bytes && lb_agg_cli_parse_bytes("serve", a->max_bytes, &max_bytes)))
		return EXIT_USAGE;
	if ((e = lb_agg_serve_with(&srv, agg, host, (uint16_t)port, a->threads, &a->lim, stderr,
	                           &d)))
		return die("serve", e, &d);
	if (a->forward) {
		/* under --log-json the forwarder's lines are JSON objects too */
		if (a->lim.log_json && !(fwd_log = lb_agg_log_stream(stderr, true)))
			fwd_log = stderr;
		if ((e = lb_agg_forwarder_start(&fwd, agg, every, max_bytes, fwd_log, &d))) {
			lb_agg_server_stop(srv);
			if (fwd_log != stderr)
				fclose(fwd_log);
			return die("serve", e, &d);
		}
		lb_agg_server_on_accept(srv, lb_agg_forwarder_kick, fwd);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* the port line is what scripts wait for */
	if (a->lim.tls_cert)
		fprintf(stderr, _("%s serve: HTTPS only, with the certificate %s\n"), PROG,
		        a->lim.tls_cert);
	printf("listening on %s:%u\n", host, lb_agg_server_port(srv));
	fflush(stdout);
	while (!stop)
		pause();
	if (a->lim.log_json) { /* the log stays one JSON object per line */
		char when[64], msg[256];
		struct timespec ts;
		struct tm tm;
		json_t *j;
		char *t;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + strlen(when), sizeof when - strlen(when), ".%03dZ",
		         (int)(ts.tv_nsec / 1000000));
		snprintf(msg, sizeof msg, _("%s serve: stopping; requests in flight finish first\n"),
		         PROG);
		msg[strcspn(msg, "\n")] = '\0';
		j = json_pack("{s:s, s:s}", "time", when, "message", msg);
		if (j && (t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
			fprintf(stderr, "%s\n", t);
			free(t);
		}
		json_decref(j);
	} else {
		fprintf(stderr, _("%s serve: stopping; requests in flight finish first\n"), PROG);
	}
	lb_agg_server_stop(srv);
	lb_agg_forwarder_stop(fwd);
	if (fwd_log != stderr)
		fclose(fwd_log);
	return 0;
}

/*
 * status.  The text form is for people and grep; its columns up to
 * ENTRIES are stable, one token each, so `awk '$1 == "33.24.01.2001"
 * { print $3 }'` is the seq of that village's key; LAST_SEEN is a time
 * for people (lb_human_time: local zone, minutes, several words).  One row per enrolled key (a village that
 * changed keys has several, at most one of them active), sorted by
 * village; a line saying what LAST_SEEN means; then the live records of
 * the consolidated view per type, summed over all villages, and a total:
 *
 *   VILLAGE        ORIGIN                   SEQ     ENTRIES  LAST_SEEN                 FORKS  STATE    NAME
 *   33.24.01.2001  ab12cd34ef567890         120         120  1 Mar 2026 15:15 WIB         0  active   Desa Sukamaju
 *   33.24.01.2002  9cb02074672b4031           0           0  never                         0  REVOKED
 *   (LAST_SEEN: when new entries from that key last arrived; resends do not count)
 *
 *   TYPE         RECORDS
 *   aspirasi         118
 *   total            118
 *
 * --json prints the same as one document:
 *   (NAME, the village's name from the directory, is last and may hold
 *   blanks: the columns before it stay one token each)
 *   { "villages": [ { "village", "name" ("" for none), "origin" (64 hex), "seq", "entries",
 *                     "last_seen" (string or null), "last_seen_ms",
 *                     "forks", "revoked", "fork_resolved_seq" (0: none or not
 *                     resolved) }, ... ],
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
	char (*names)[LB_AGG_NAME_MAX + 1]; /* names[i]: the name of o[i]'s village, or "" */
	uint64_t *resolved;           /* resolved[i]: o[i]'s fork resolved at seq (0: not) */
	struct lb_agg *agg;           /* for the tree's part (cli_tree.c) */
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
	char hx[17], seen[48];
	int w = (int)strlen("total");

	if (!s->no)
		printf(_("no villages enrolled\n"));
	else
		printf("%-13s  %-16s  %10s  %10s  %-24s  %5s  %-7s  %s\n", "VILLAGE", "ORIGIN", "SEQ",
		       "ENTRIES", "LAST_SEEN", "FORKS", "STATE", "NAME");
	for (size_t i = 0; i < s->no; i++) {
		const struct lb_agg_origin *o = &s->o[i];
		lb_hex(hx, o->origin, 8);
		if (o->last_seen_ms) /* for people: local time, minutes (--json has the HLC form) */
			lb_human_time((int64_t)o->last_seen_ms, seen, sizeof seen);
		else
			snprintf(seen, sizeof seen, "%s", _("never"));
		printf("%-13s  %-16s  %10llu  %10llu  %-24s  %5llu  %-7s  %s\n", o->village, hx,
		       (unsigned long long)o->seq, (unsigned long long)o->entries, seen,
		       (unsigned long long)o->forks, o->revoked ? "REVOKED" : "active", s->names[i]);
		if (s->resolved && s->resolved[i])
			printf(_("%-13s  fork resolved at seq %llu\n"), "",
			       (unsigned long long)s->resolved[i]);
	}
	if (s->no)
		printf(_("(LAST_SEEN: when new entries from that key last arrived; resends do not "
		       "count)\n"));
	for (size_t i = 0; i < s->ntypes; i++)
		if ((int)strlen(s->types[i].type) > w)
			w = (int)strlen(s->types[i].type);
	printf("\n%-*s  %10s\n", w, "TYPE", "RECORDS");
	for (size_t i = 0; i < s->ntypes; i++)
		printf("%-*s  %10llu\n", w, s->types[i].type, (unsigned long long)s->types[i].n);
	printf("%-*s  %10llu\n", w, "total", (unsigned long long)total);
}

/* The same as one JSON document on stdout; LB_ENOMEM or LB_EIO. */
static lb_err status_json(struct lb_agg *agg, const struct status_ctx *s, uint64_t total,
                          struct lb_diag *d)
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
		            json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:I, s:I, s:b, s:I, s:I}", "village",
		                      o->village, "name", s->names[i],
		                      "origin", hx, "hash", hh, "seq", (json_int_t)o->seq, "entries",
		                      (json_int_t)o->entries, "last_seen",
		                      o->last_seen_ms ? json_string(seen) : json_null(), "last_seen_ms",
		                      (json_int_t)o->last_seen_ms, "forks", (json_int_t)o->forks,
		                      "revoked", (int)o->revoked, "fork_resolved_seq",
		                      (json_int_t)(s->resolved ? s->resolved[i] : 0), "base",
		                      (json_int_t)o->base)))
			goto oom;
	}
	for (size_t i = 0; i < s->ntypes; i++)
		if (json_object_set_new(counts, s->types[i].type, json_integer((json_int_t)s->types[i].n)))
			goto oom;
	if ((e = agg_cli_tree_status_json(agg, root, d)))
		goto out;
	if (lb_agg_cli_relay_status(agg, root)) { /* a relay: what its upstreams hold */
		e = lb_fail(d, LB_ESTORE, "the upstreams' part of the status could not be read");
		goto out;
	}
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
	struct status_ctx s = {.agg = agg};
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
	if (!(s.names = calloc(s.no + 1, sizeof *s.names))) {
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s.no; i++)
		if ((e = lb_agg_village_name(agg, s.o[i].village, s.names[i], NULL, &d)))
			goto out;
	if (!(s.resolved = calloc(s.no + 1, sizeof *s.resolved))) {
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s.no; i++)
		if (s.o[i].forks && (e = lb_agg_fork_resolved(agg, s.o[i].origin, &s.resolved[i], &d)))
			goto out;
	if (s.ntypes)
		qsort(s.types, s.ntypes, sizeof *s.types, by_type);
	for (size_t i = 0; i < s.ntypes; i++)
		total += s.types[i].n;
	if (a->json)
		e = status_json(agg, &s, total, &d);
	else {
		status_text(&s, total);
		if (!(e = agg_cli_tree_status_text(agg, &d)) && !(e = agg_cli_succ_status_text(agg, &d)))
			rc = lb_agg_cli_relay_status(agg, NULL); /* a relay: what its upstreams hold */
	}
out:
	if (e)
		rc = die("status", e, &d);
	free(s.o);
	free(s.types);
	free(s.names);
	free(s.resolved);
	return rc;
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
		fprintf(stderr, _("%s report: name a report: %s\n"), PROG, lb_report_names());
		return EXIT_USAGE;
	}
	{
		const char *n = lb_report_names(), *p = strstr(n, a->report);
		size_t l = strlen(a->report);
		while (p && !((p == n || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0')))
			p = strstr(p + 1, a->report);
		if (!p || !l) {
			fprintf(stderr, _("%s report: no report \"%.40s\"; the reports are: %s\n"), PROG,
			        a->report, n);
			return EXIT_USAGE;
		}
	}
	if ((a->json + a->csv + (a->xlsx != NULL)) > 1) {
		fprintf(stderr, _("%s report: give one of --json, --csv, --xlsx FILE\n"), PROG);
		return EXIT_USAGE;
	}
	if (a->village && a->kecamatan) {
		fprintf(stderr, _("%s report: give --village or --kecamatan, not both\n"), PROG);
		return EXIT_USAGE;
	}
	if (a->late_days) {
		unsigned long v = strtoul(a->late_days, &end, 10);
		if (!*a->late_days || *end || a->late_days[0] == '-' || v > 36500) {
			fprintf(stderr, _("%s report: --late-days takes a number of days (0..36500)\n"), PROG);
			return EXIT_USAGE;
		}
		o->late_days = (unsigned)v;
	}
	if (!strcmp(a->report, "perkembangan") != !!a->month) {
		fprintf(stderr, _("%s report: %s\n"), PROG,
		        a->month ? _("--month is for the perkembangan report only")
		                 : _("perkembangan needs --month YYYY-MM"));
		return EXIT_USAGE;
	}
	if (a->month) {
		int y, m;
		if (!lb_api_parse_month(a->month, &y, &m)) { /* the API's check, one rule */
			fprintf(stderr, _("%s report: --month \"%.20s\" is not a month YYYY-MM\n"), PROG,
			        a->month);
			return EXIT_USAGE;
		}
		o->month_y = y, o->month_m = m;
	}
	if (a->per) {
		int y, m, dd;
		if (!lb_api_parse_date(a->per, &y, &m, &dd)) { /* the API's check, one rule */
			fprintf(stderr, _("%s report: --per \"%.20s\" is not a date YYYY-MM-DD\n"), PROG,
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

/* Ingest change-set files and bundles exactly as if they had been POSTed,
 * writing the receipts back to a file (agg/cli_usb.c). */
static int cmd_ingest(struct args *a, struct lb_agg *agg)
{
	return lb_agg_cli_ingest(agg, a->dir, a->files, a->nfiles, a->receipts);
}

/* ---- the village directory: region name / region ls ---------------------- */

struct region_ctx {
	bool oom;
	struct lb_agg_origin *o;
	size_t no;
	struct named {
		char code[LB_VILLAGE_LEN + 1];
		char name[LB_AGG_NAME_MAX + 1];
		enum lb_agg_name_src src;
	} *n;
	size_t nn;
};

static int region_origin_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct region_ctx *r = ctx;
	struct lb_agg_origin *p = realloc(r->o, (r->no + 1) * sizeof *p);

	if (!p) {
		r->oom = true;
		return 1;
	}
	r->o = p;
	r->o[r->no++] = *o;
	return 0;
}

static int region_name_cb(void *ctx, const char *code, const char *name, enum lb_agg_name_src src)
{
	struct region_ctx *r = ctx;
	struct named *p = realloc(r->n, (r->nn + 1) * sizeof *p);

	if (!p) {
		r->oom = true;
		return 1;
	}
	r->n = p;
	p += r->nn++;
	snprintf(p->code, sizeof p->code, "%s", code);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->src = src;
	return 0;
}

static const struct named *named(const struct region_ctx *r, const char *code)
{
	for (size_t i = 0; i < r->nn; i++)
		if (!strcmp(r->n[i].code, code))
			return &r->n[i];
	return NULL;
}

/* Kecamatan (from enrolled villages and named kecamatan), sorted, each
 * with its name and then its enrolled villages (active keys first found;
 * a village listed once) with theirs:
 *
 *   33.24.01  Kaliwungu
 *     33.24.01.2001  Desa Sukamaju  (office)
 *     33.24.01.2002  -
 */
static int cmd_region_ls(struct lb_agg *agg)
{
	struct region_ctx r = {0};
	struct lb_diag d = {0};
	char (*kec)[9] = NULL;
	size_t nk = 0;
	lb_err e;
	int rc = 0;

	if ((e = lb_agg_origins(agg, region_origin_cb, &r, &d)) ||
	    (e = lb_agg_names(agg, region_name_cb, &r, &d)))
		goto out;
	if (r.oom || !(kec = calloc(r.no + r.nn + 1, sizeof *kec))) {
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r.no + r.nn; i++) {
		const char *code = i < r.no ? r.o[i].village : r.n[i - r.no].code;
		bool seen = false;
		for (size_t j = 0; j < nk && !seen; j++)
			seen = !strncmp(kec[j], code, 8);
		if (!seen) {
			memcpy(kec[nk], code, 8);
			kec[nk++][8] = '\0';
		}
	}
	if (nk)
		qsort(kec, nk, sizeof *kec, (int (*)(const void *, const void *))strcmp);
	if (r.no)
		qsort(r.o, r.no, sizeof *r.o, by_village);
	if (!nk)
		printf(_("no kecamatan: no village enrolled or named yet\n"));
	for (size_t k = 0; k < nk; k++) {
		const struct named *kn = named(&r, kec[k]);
		printf("%s  %s\n", kec[k], kn ? kn->name : "-");
		for (size_t i = 0; i < r.no; i++) {
			const struct named *vn;
			if (strncmp(r.o[i].village, kec[k], 8) ||
			    (i && !strcmp(r.o[i].village, r.o[i - 1].village)))
				continue;
			vn = named(&r, r.o[i].village);
			printf("  %s  %s%s\n", r.o[i].village, vn ? vn->name : "-",
			       !vn ? "" : vn->src == LB_AGG_NAME_OFFICE ? "  (office)" : "  (learnt)");
		}
	}
out:
	if (e)
		rc = die("region ls", e, &d);
	free(kec);
	free(r.o);
	free(r.n);
	return rc;
}

static int cmd_region(struct args *a, struct lb_agg *agg)
{
	struct lb_diag d = {0};
	lb_err e;

	if (!strcmp(a->pos[0], "ls"))
		return cmd_region_ls(agg);
	if ((e = lb_agg_set_name(agg, a->pos[1], a->pos[2], &d)))
		return die("region name", e, &d);
	printf(_("named %s \"%s\"\n"), a->pos[1], a->pos[2]);
	return 0;
}

/* ---- consolidated records: export, ls, get ---------------------------------- */

static int cmd_export(struct args *a, struct lb_agg *agg)
{
	struct lb_agg_export_opts o = {.type = a->pos[0], .village = a->village,
	                               .kecamatan = a->kecamatan, .format = a->format,
	                               .excel = a->excel, .out = stdout, .xlsx_path = a->xlsx};
	struct lb_diag d = {0};
	uint64_t rows;
	lb_err e;

	if (a->sep) {
		if ((strcmp(a->sep, ",") && strcmp(a->sep, ";")) || a->format != LB_AGG_CSV) {
			fprintf(stderr, _("%s export: --sep takes , or ; (CSV only)\n"), PROG);
			return EXIT_USAGE;
		}
		o.sep = a->sep[0];
	}
	/* one thread writes stdout: libcsv's per-byte fputc need not lock,
	 * and a large buffer means few write calls */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if ((e = lb_agg_export_records(agg, &o, &rows, &d))) {
		if (a->format == LB_AGG_XLSX)
			remove(a->xlsx); /* a partial workbook is no use to anyone */
		return die("export", e, &d);
	}
	if (a->format == LB_AGG_XLSX)
		fprintf(stderr, _("%s: %llu records\n"), a->xlsx, (unsigned long long)rows);
	return 0;
}

static int ls_id(void *ctx, const char *id, size_t len)
{
	(void)ctx;
	fwrite(id, 1, len, stdout);
	putchar('\n');
	return ferror(stdout) != 0;
}

static int cmd_ls(struct args *a, struct lb_agg *agg)
{
	struct lb_diag d = {0};
	lb_err e = lb_agg_ls(agg, a->pos[0], a->village, ls_id, NULL, &d);

	if (!e && (fflush(stdout) || ferror(stdout)))
		e = lb_fail(&d, LB_EIO, "writing to standard output failed");
	return e ? die("ls", e, &d) : 0;
}

/* As `lumbung get` prints it: indented on a terminal, compact otherwise. */
static int cmd_get(struct args *a, struct lb_agg *agg)
{
	struct lb_diag d = {0};
	uint8_t *body;
	size_t len;
	json_t *j;
	lb_err e;

	if ((e = lb_agg_get(agg, a->pos[0], a->village, a->pos[1], &body, &len, &d)))
		return die("get", e, &d);
	j = lb_body_to_json(body, len, &d);
	free(body);
	if (!j)
		return die("get", LB_ECORRUPT, &d);
	json_dumpf(j, stdout, (isatty(1) ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
	json_decref(j);
	putchar('\n');
	return 0;
}

/* ---- API tokens and the access log (token.h) ------------------------------ */

static void ms_str(char out[40], uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int token_row(void *ctx, const struct lb_token_info *t)
{
	char role[LB_ROLE_MAX], when[48], esc[LB_ESC_BUF], id[2 * LB_TOKEN_ID_BYTES + 1];
	(void)ctx;
	lb_role_str(t, role);
	lb_human_time((int64_t)t->created_ms, when, sizeof when);
	lb_hex(id, t->hash, LB_TOKEN_ID_BYTES);
	printf("%s  %-24s  %-20s  %s  %s\n", id, lb_escape(esc, t->name, strlen(t->name)), role,
	       when, t->revoked ? "REVOKED" : "active");
	return 0;
}

/* token add prints the token itself (once: only its hash is kept). */
static int cmd_token(struct args *a, struct lb_agg *agg)
{
	struct lb_diag d = {0};
	char tok[LB_TOKEN_LEN + 1];
	lb_err e;

	if (!strcmp(a->pos[0], "add")) {
		if ((e = lb_agg_token_add(agg, a->name, a->role, tok, &d)))
			return die("token add", e, &d);
		printf("%s\n", tok);
		sodium_memzero(tok, sizeof tok);
		return 0;
	}
	if (!strcmp(a->pos[0], "revoke")) {
		if ((e = a->key ? lb_agg_token_revoke_id(agg, a->key, &d)
		                : lb_agg_token_revoke(agg, a->name, &d)))
			return die("token revoke", e, &d);
		printf(_("revoked the token %s%s%s\n"), a->key ? "" : "\"", a->key ? a->key : a->name,
		       a->key ? "" : "\"");
		return 0;
	}
	printf("%-16s  %-24s  %-20s  %-20s  %s\n", "ID", "NAME", "ROLE", "CREATED", "STATE");
	if ((e = lb_agg_token_ls(agg, token_row, NULL, &d)))
		return die("token ls", e, &d);
	return 0;
}

static int access_row(void *ctx, uint64_t ms, const char *name, const char *method,
                      const char *path)
{
	json_t *arr = ctx;
	char when[48], esc[LB_ESC_BUF];

	if (arr)
		ms_str(when, ms);
	else /* for people: local time */
		lb_human_time((int64_t)ms, when, sizeof when);
	if (arr)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:s, s:s}", "time", when, "ms",
		                                     (json_int_t)ms, "token", name, "method", method,
		                                     "path", path));
	else /* path was escaped when stored */
		printf("%s  %-24s  %s %s\n", when, lb_escape(esc, name, strlen(name)), method, path);
	return 0;
}

static int cmd_access_log(struct args *a, struct lb_agg *agg)
{
	struct lb_diag d = {0};
	json_t *arr = a->json ? json_array() : NULL;
	uint64_t since = 0;
	lb_err e;

	if (a->since) {
		int y, m, dd;
		struct tm tm = {0};
		if (!lb_api_parse_date(a->since, &y, &m, &dd)) {
			fprintf(stderr, _("%s access-log: --since \"%.20s\" is not a date YYYY-MM-DD\n"), PROG,
			        a->since);
			return EXIT_USAGE;
		}
		tm.tm_year = y - 1900, tm.tm_mon = m - 1, tm.tm_mday = dd;
		since = (uint64_t)timegm(&tm) * 1000;
	}
	if ((e = lb_agg_access_ls(agg, since, access_row, arr, &d))) {
		json_decref(arr);
		return die("access-log", e, &d);
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(arr);
	}
	return 0;
}

/* How many positional words each command takes (-1: none allowed). */
static int want_pos(const struct args *a)
{
	if (!strcmp(a->cmd, "region"))
		return a->npos && !strcmp(a->pos[0], "ls") ? 1 : 3;
	if (!strcmp(a->cmd, "export") || !strcmp(a->cmd, "ls"))
		return 1;
	if (!strcmp(a->cmd, "get"))
		return 2;
	if (!strcmp(a->cmd, "token"))
		return 1;
	if (!strcmp(a->cmd, "upstream"))
		return 3;
	return -1;
}

static bool reads_only(const char *cmd)
{
	return !strcmp(cmd, "status") || !strcmp(cmd, "export") || !strcmp(cmd, "ls") ||
	       !strcmp(cmd, "get") || !strcmp(cmd, "report") || !strcmp(cmd, "verify-figures") ||
	       !strcmp(cmd, "access-log");
}

/* The aggregator's settings file, DIR/agg.conf; NULL (and a message)
 * when DIR is too long. */
static char *conf_path(const char *dir, char *buf, size_t n)
{
	if ((size_t)snprintf(buf, n, "%s/agg.conf", dir) >= n) {
		fprintf(stderr, _("%s: directory name too long\n"), PROG);
		return NULL;
	}
	return buf;
}

/* The language set in DIR/agg.conf (config set bahasa id), DIR from the
 * first -d/--dir of the command line or $LUMBUNG_AGG_DIR.  Every command
 * (also those of cli_tree.c, cli_usb.c, ...) speaks it from here on. */
static void apply_bahasa(int argc, char **argv, const char *dir)
{
	for (int i = 2; i + 1 < argc; i++)
		if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "--dir")) {
			dir = argv[i + 1];
			break;
		}
	lb_cli_apply_bahasa(PROG, dir, "agg.conf");
}

/* config -d DIR [ls | get KEY | set KEY VALUE | unset KEY] (cli_config.h) */
static int cmd_config(int argc, char **argv, const char *dir)
{
	char *pos[3], path[4096];
	int npos = 0;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-d") || !strcmp(argv[i], "--dir")) {
			if (i + 1 >= argc) {
				fprintf(stderr, _("%s %s: %s needs a value\n"), PROG, "config", argv[i]);
				return EXIT_USAGE;
			}
			dir = argv[++i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, _("%s %s: unknown argument %s\n"), PROG, "config", argv[i]);
			return EXIT_USAGE;
		} else if (npos == 3) {
			fprintf(stderr, _("%s %s: too many arguments\n"), PROG, "config");
			return EXIT_USAGE;
		} else
			pos[npos++] = argv[i];
	}
	if (!dir || !*dir) {
		fprintf(stderr,
		        _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"),
		        PROG, "config");
		return EXIT_USAGE;
	}
	if (!conf_path(dir, path, sizeof path))
		return EXIT_USAGE;
	return lb_cli_config(PROG, path, pos, npos, lb_cli_settings, lb_cli_nsettings);
}

/* cliconf.h: the i-th usage syntax of cmd */
static const char *cmd_syntax(const char *cmd, size_t i)
{
	for (size_t k = 0; k < sizeof helps / sizeof *helps; k++)
		if (!strcmp(helps[k].cmd, cmd) && !i--)
			return helps[k].syntax;
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct lb_cliconf conf = {PROG, "/etc/lumbung/agg.conf", "LUMBUNG_AGG_CONFIG",
	                                       "LUMBUNG_AGG_DIR", cmd_syntax};
	struct args a = {.dir = getenv("LUMBUNG_AGG_DIR")};
	struct lb_diag d = {0};
	struct lb_agg *agg = NULL;
	struct lb_report_opts ropts = {0};
	uint8_t pk[LB_PK_BYTES];
	char hex[2 * LB_PK_BYTES + 1];
	lb_err e;
	int rc = 0;

	lb_i18n_init();
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf(PROG " %s\n", lb_version());
		return 0;
	}
	if (sodium_init() < 0 || lb_schema_builtin_init(&d)) {
		fprintf(stderr, _("%s: cannot initialise: %s\n"), PROG, d.msg);
		return 1;
	}
	if ((e = lb_cliconf_apply(&conf, &argc, &argv, &d))) { /* the /etc file (cliconf.h) */
		fprintf(stderr, "%s: %s\n", PROG, lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	a.dir = getenv("LUMBUNG_AGG_DIR");
	apply_bahasa(argc, argv, a.dir);
	if (argc < 2)
		return usage(stderr, EXIT_USAGE);
	a.cmd = argv[1];
	if (!strcmp(a.cmd, "-h") || !strcmp(a.cmd, "--help") ||
	    (!strcmp(a.cmd, "help") && argc < 3))
		return usage(stdout, 0);
	if (!strcmp(a.cmd, "help")) /* help CMD */
		return !strcmp(argv[2], "catalogue") ? agg_cli_catalogue(3, (char *[]){argv[0], "catalogue", "--help", NULL})
		                                     : usage_cmd(argv[2]);
	/* CMD --help: that command's usage (catalogue has its own, longer) */
	for (int i = 2; i < argc && strcmp(a.cmd, "catalogue"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return usage_cmd(a.cmd);
	if (!strcmp(a.cmd, "config"))
		return cmd_config(argc, argv, a.dir);
	if ((rc = agg_cli_tree(argc, argv)) >= 0) /* enroll-aggregator ... (cli_tree.c) */
		return rc;
	if ((rc = agg_cli_succ(argc, argv)) >= 0) /* succeed, export-log (cli_succ.c) */
		return rc;
	if ((rc = agg_cli_moves(argc, argv)) >= 0) /* moves (cli_moves.c) */
		return rc;
	if ((rc = agg_cli_mirror(argc, argv)) >= 0) /* mirror (cli_mirror.c) */
		return rc;
	if ((rc = agg_cli_backup(argc, argv)) >= 0) /* backup (cli_backup.c) */
		return rc;
	if ((rc = agg_cli_catalogue(argc, argv)) >= 0) /* catalogue ... (cli_catalogue.c) */
		return rc;
	rc = 0;
	if (!strcmp(a.cmd, "bundle") || !strcmp(a.cmd, "receipt"))
		return lb_agg_cli_usb(argc, argv); /* agg/cli_usb.c */
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
		if (!strcmp(o, "--json") && (!strcmp(a.cmd, "status") || !strcmp(a.cmd, "report") ||
		                             !strcmp(a.cmd, "access-log"))) {
			a.json = true;
			continue;
		}
		if (!strcmp(a.cmd, "export") && (!strcmp(o, "--csv") || !strcmp(o, "--jsonl"))) {
			a.format = o[2] == 'c' ? LB_AGG_CSV : LB_AGG_JSONL;
			continue;
		}
		if (!strcmp(a.cmd, "serve") && !strcmp(o, "--forward")) {
			a.forward = true;
			continue;
		}
		if (!strcmp(a.cmd, "serve") && !strcmp(o, "--log-json")) {
			a.lim.log_json = true; /* one JSON object per log line (http.h) */
			continue;
		}
		if (!strcmp(a.cmd, "export") && !strcmp(o, "--excel")) {
			a.excel = true;
			continue;
		}
		if (o[0] != '-' && want_pos(&a) >= 0) {
			if (a.npos == 4) {
				fprintf(stderr, _("%s %s: too many arguments\n"), PROG, a.cmd);
				return EXIT_USAGE;
			}
			a.pos[a.npos++] = argv[i];
			continue;
		}
		if (o[0] != '-' && !strcmp(a.cmd, "ingest")) {
			if (!a.files)
				a.files = &argv[i];
			if (&argv[i] != a.files + a.nfiles) {
				fprintf(stderr, _("%s ingest: give the files together, after the options\n"), PROG);
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
		else if (!strcmp(o, "--receipts") && !strcmp(a.cmd, "ingest"))
			dst = &a.receipts;
		else if (!strcmp(o, "--tls-cert") && !strcmp(a.cmd, "serve"))
			dst = &a.lim.tls_cert;
		else if (!strcmp(o, "--tls-key") && !strcmp(a.cmd, "serve"))
			dst = &a.lim.tls_key;
		else if (!strcmp(o, "--cacert") && !strcmp(a.cmd, "upstream"))
			dst = &a.cacert;
		else if (!strcmp(o, "--name") && (!strcmp(a.cmd, "enroll") || !strcmp(a.cmd, "token")))
			dst = &a.name;
		else if (!strcmp(o, "--role") && !strcmp(a.cmd, "token"))
			dst = &a.role;
		else if (!strcmp(o, "--id") && !strcmp(a.cmd, "token"))
			dst = &a.key; /* token revoke --id: the token's id, not a village key */
		else if (!strcmp(o, "--since") && !strcmp(a.cmd, "access-log"))
			dst = &a.since;
		else if (!strcmp(o, "--kecamatan"))
			dst = &a.kecamatan;
		else if (!strcmp(o, "--sep"))
			dst = &a.sep;
		else if (!strcmp(o, "--xlsx")) {
			if (!strcmp(a.cmd, "export"))
				a.format = LB_AGG_XLSX;
			dst = &a.xlsx;
		}
		else if (!strcmp(o, "--per"))
			dst = &a.per;
		else if (!strcmp(o, "--late-days"))
			dst = &a.late_days;
		else if (!strcmp(o, "--month"))
			dst = &a.month;
		else if (!strcmp(o, "--every") && (!strcmp(a.cmd, "serve") || !strcmp(a.cmd, "forward")))
			dst = &a.every;
		else if (!strcmp(o, "--max-bytes") &&
		         (!strcmp(a.cmd, "serve") || !strcmp(a.cmd, "forward")))
			dst = &a.max_bytes;
		else if (!strcmp(o, "--threads") && i + 1 < argc) {
			a.threads = (unsigned)atoi(argv[++i]);
			continue;
		} else if (!strcmp(a.cmd, "serve") && i + 1 < argc &&
		           (serve_limit(&a.lim, o) || !strcmp(o, "--max-buffered"))) {
			if (set_limit(&a.lim, o, argv[++i]))
				return EXIT_USAGE;
			continue;
		} else {
			fprintf(stderr, _("%s %s: unknown argument %s\n"), PROG, a.cmd, o);
			return usage(stderr, EXIT_USAGE);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, _("%s %s: %s needs a value\n"), PROG, a.cmd, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!a.dir || !*a.dir) {
		fprintf(stderr, _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"), PROG,
		        a.cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "init")) {
		if (!a.region) {
			fprintf(stderr, _("%s init: --region CODE is required\n"), PROG);
			return EXIT_USAGE;
		}
		if ((e = lb_agg_init(a.dir, a.region, pk, &d)))
			return die("init", e, &d);
		if ((e = lb_agg_open(&agg, a.dir, &d)) || (e = lb_agg_catalogue_ensure(agg, &d))) {
			lb_agg_close(agg);
			return die("init", e, &d);
		}
		lb_agg_close(agg);
		lb_hex(hex, pk, LB_PK_BYTES);
		printf("%s\n", hex);
		return 0;
	}
	if (!strcmp(a.cmd, "upstream")) /* the relay's commands: cli_relay.c */
		return lb_agg_cli_upstream(a.dir, a.npos, a.pos, a.key, a.cacert);
	if (!strcmp(a.cmd, "forward"))
		return a.npos ? usage(stderr, EXIT_USAGE) : lb_agg_cli_forward(a.dir, a.every, a.max_bytes);
	if (strcmp(a.cmd, "enroll") && strcmp(a.cmd, "revoke") && strcmp(a.cmd, "serve") &&
	    strcmp(a.cmd, "status") && strcmp(a.cmd, "ingest") && strcmp(a.cmd, "report") &&
	    strcmp(a.cmd, "verify-figures") && strcmp(a.cmd, "access-log") && want_pos(&a) < 0) {
		fprintf(stderr, _("%s: unknown command \"%s\"\n"), PROG, a.cmd);
		if (!strcmp(a.cmd, "relay"))
			fprintf(stderr, _("%s: a kecamatan relays to its kabupaten with \"%s upstream add\", "
			                  "then \"%s forward\" or \"%s serve --forward\"\n"),
			        PROG, PROG, PROG, PROG);
		return usage(stderr, EXIT_USAGE);
	}
	if (want_pos(&a) >= 0 && a.npos != want_pos(&a)) {
		static const char *const need[] = {
			"region", "region name CODE NAME, or region ls", "export", "export TYPE",
			"ls", "ls TYPE --village CODE", "get", "get TYPE ID --village CODE",
			"token", "token add --name NAME --role ROLE, token ls or token revoke --name NAME"};
		for (size_t i = 0; i < sizeof need / sizeof *need; i += 2)
			if (!strcmp(a.cmd, need[i]))
				fprintf(stderr, "%s %s: usage: %s %s -d DIR\n", PROG, a.cmd, PROG, need[i + 1]);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "region") && strcmp(a.pos[0], "ls") && strcmp(a.pos[0], "name")) {
		fprintf(stderr, _("%s region: \"ls\" or \"name\", not \"%s\"\n"), PROG, a.pos[0]);
		return EXIT_USAGE;
	}
	if ((!strcmp(a.cmd, "ls") || !strcmp(a.cmd, "get")) && !a.village) {
		fprintf(stderr, _("%s %s: --village CODE is required\n"), PROG, a.cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "token") && strcmp(a.pos[0], "add") && strcmp(a.pos[0], "ls") &&
	    strcmp(a.pos[0], "revoke")) {
		fprintf(stderr, _("%s token: \"add\", \"ls\" or \"revoke\", not \"%.40s\"\n"), PROG, a.pos[0]);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "token") && !strcmp(a.pos[0], "revoke") && !a.name == !a.key) {
		fprintf(stderr, _("%s token revoke: give --name NAME or --id ID\n"), PROG);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "token") && !strcmp(a.pos[0], "add") && (!a.name || !a.role)) {
		fprintf(stderr, _("%s token add: --name NAME and --role ROLE are required\n"), PROG);
		return EXIT_USAGE;
	}
	if (a.name && (e = lb_agg_name_check(a.name, &d)))
		return die(a.cmd, e, &d);
	if ((!strcmp(a.cmd, "enroll") || !strcmp(a.cmd, "revoke")) &&
	    (!a.key || lb_unhex(pk, LB_PK_BYTES, a.key))) {
		fprintf(stderr, _("%s %s: --key takes the village's 64-hex origin key (lumbung id)\n"), PROG,
		        a.cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "ingest") && !a.nfiles) {
		fprintf(stderr, _("%s ingest: name the change-set files to ingest\n"), PROG);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "enroll") && !a.village) {
		fprintf(stderr, _("%s enroll: --village CODE is required\n"), PROG);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "report") && (rc = report_args(&a, &ropts)))
		return rc;
	/* reading commands (and region ls) work without the key and on a
	 * read-only disk, also while serve ingests */
	if ((e = reads_only(a.cmd) || (!strcmp(a.cmd, "region") && !strcmp(a.pos[0], "ls")) ||
	                 (!strcmp(a.cmd, "token") && !strcmp(a.pos[0], "ls"))
	                 ? lb_agg_open_ro(&agg, a.dir, &d)
	                 : lb_agg_open(&agg, a.dir, &d)))
		return die(a.cmd, e, &d);
	if (!strcmp(a.cmd, "enroll")) {
		if ((e = lb_agg_enroll(agg, a.village, pk, &d)) ||
		    (a.name && (e = lb_agg_set_name(agg, a.village, a.name, &d))))
			rc = die("enroll", e, &d);
		else
			printf(_("enrolled %s for village %s%s%s%s\n"), a.key, a.village, a.name ? " (\"" : "",
			       a.name ? a.name : "", a.name ? "\")" : "");
	} else if (!strcmp(a.cmd, "revoke")) {
		if ((e = lb_agg_revoke(agg, pk, &d)))
			rc = die("revoke", e, &d);
		else
			printf(_("revoked %s\n"), a.key);
	} else if (!strcmp(a.cmd, "serve")) {
		rc = cmd_serve(&a, agg);
	} else if (!strcmp(a.cmd, "ingest")) {
		rc = cmd_ingest(&a, agg);
	} else if (!strcmp(a.cmd, "region")) {
		rc = cmd_region(&a, agg);
	} else if (!strcmp(a.cmd, "export")) {
		rc = cmd_export(&a, agg);
	} else if (!strcmp(a.cmd, "ls")) {
		rc = cmd_ls(&a, agg);
	} else if (!strcmp(a.cmd, "get")) {
		rc = cmd_get(&a, agg);
	} else if (!strcmp(a.cmd, "report")) {
		if ((e = lb_report_run(agg, &ropts, stdout, &d)))
			rc = die("report", e, &d);
		else if (fflush(stdout) == EOF)
			rc = die("report", lb_fail(&d, LB_EIO, "writing the report failed"), &d);
	} else if (!strcmp(a.cmd, "token")) {
		rc = cmd_token(&a, agg);
	} else if (!strcmp(a.cmd, "access-log")) {
		rc = cmd_access_log(&a, agg);
	} else if (!strcmp(a.cmd, "verify-figures")) {
		uint64_t keys = 0;
		if ((e = lb_agg_verify_figures(agg, &keys, &d)))
			rc = die("verify-figures", e, &d);
		else
			printf(_("figures agree with the records: %llu figures checked\n"),
			       (unsigned long long)keys);
	} else
		rc = cmd_status(&a, agg);
	lb_agg_close(agg);
	return rc;
}
