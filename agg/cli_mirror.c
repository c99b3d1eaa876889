/*
 * cli_mirror.c — `lumbung-agg mirror -d DIR --pg CONNINFO [--every S]
 * [--quiet]` (cli_mirror.h): the consolidated view into PostgreSQL
 * (mirror.h).  Prints and exits like cli.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_mirror.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../node/progress.h"
#include "../schema/i18n.h"
#include "agg.h"
#include "cli_relay.h"
#include "mirror.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2
#define TRIES 5          /* one pass: attempts to reach PostgreSQL */
#define BACKOFF_MAX_S 300

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int die(lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, "mirror", lb_diag_msg(d, e));
	return lb_exit_status(e);
}

/* Seconds to wait after the n-th failure in a row (n >= 1): 1, 2, 4 ...
 * up to 5 minutes, the upper half of it drawn at random so that many
 * mirrors do not come back at the same instant. */
static double backoff(unsigned n)
{
	double cap = n > 9 ? BACKOFF_MAX_S : (double)(1u << (n - 1));
	if (cap > BACKOFF_MAX_S)
		cap = BACKOFF_MAX_S;
	return cap / 2 + cap / 2 * (double)randombytes_uniform(1001) / 1000.0;
}

/* Sleep s seconds, or less when stopping. */
static void nap(double s)
{
	for (double t = 0; t < s && !stopping; t += 0.1) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* A whole number 1..max, or 0. */
static size_t count_arg(const char *v, long max)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	return errno || end == v || *end || x < 1 || x > max ? 0 : (size_t)x;
}

static void stamp(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ ", &tm);
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct lb_progress *p = ctx;
	if (p->on && !p->total)
		p->total = total;
	lb_progress_set(p, done);
}

static void summary(const char *ts, const struct lb_agg_mirror_stats *st, bool all)
{
	double rate = st->seconds > 0 ? (double)st->entries / st->seconds : 0;
	printf(_("%smirror: %llu villages, %llu entries sent in %.1f s (%.0f/s); %s\n"), ts,
	       (unsigned long long)st->villages, (unsigned long long)st->entries, st->seconds, rate,
	       all ? _("all mirrored") : _("stopped before the end"));
	fflush(stdout);
}

int agg_cli_mirror(int argc, char **argv)
{
	const char *dir = getenv("LUMBUNG_AGG_DIR"), *pg = NULL, *every_s = NULL, *jobs_s = NULL;
	const char *batch_s = getenv("LUMBUNG_MIRROR_BATCH");
	struct lb_agg_mirror_opts mo = {.stop = &stopping, .progress = on_progress};
	struct lb_agg_mirror_stats st;
	struct lb_agg_mirror *m = NULL;
	struct lb_agg *a = NULL;
	struct lb_progress prog;
	struct lb_diag d = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	bool quiet = false;
	unsigned failures = 0;
	long every = 0;
	char ts[40] = "";
	lb_err e;
	int rc = 0;

	if (strcmp(argv[1], "mirror"))
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst;
		if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) {
			quiet = true;
			continue;
		}
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &dir;
		else if (!strcmp(o, "--pg"))
			dst = &pg;
		else if (!strcmp(o, "--every"))
			dst = &every_s;
		else if (!strcmp(o, "--jobs"))
			dst = &jobs_s;
		else {
			fprintf(stderr, _("%s mirror: unknown argument %s\n"), PROG, o);
			fprintf(stderr, "usage: " PROG " mirror -d DIR --pg CONNINFO [--every S] [--jobs N] "
			                "[--quiet]\n");
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, _("%s mirror: %s needs a value\n"), PROG, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!dir || !*dir) {
		fprintf(stderr,
		        _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"),
		        PROG, "mirror");
		return EXIT_USAGE;
	}
	if (!pg || !*pg) {
		fprintf(stderr, _("%s mirror: give the database with --pg CONNINFO (e.g. "
		                  "\"host=/run/postgresql dbname=lumbung\")\n"), PROG);
		return EXIT_USAGE;
	}
	if (every_s && (rc = lb_agg_cli_parse_every("mirror", every_s, &every)))
		return rc;
	if (jobs_s && !(mo.jobs = count_arg(jobs_s, LB_AGG_MIRROR_JOBS_MAX))) {
		fprintf(stderr, _("%s mirror: --jobs takes a number of connections (1..%d)\n"), PROG,
		        LB_AGG_MIRROR_JOBS_MAX);
		return EXIT_USAGE;
	}
	/* entries per transaction: for tests that want many with little data */
	if (batch_s && *batch_s && !(mo.batch = count_arg(batch_s, 1000000))) {
		fprintf(stderr, _("%s mirror: LUMBUNG_MIRROR_BATCH takes a number of entries "
		                  "(1..%d)\n"), PROG, 1000000);
		return EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, _("%s: cannot initialise: %s\n"), PROG, "libsodium");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	mo.ctx = &prog;
	if ((e = lb_agg_open_ro(&a, dir, &d)) || (e = lb_agg_mirror_new(&m, a, pg, &mo, &d))) {
		lb_agg_close(a);
		return die(e, &d);
	}
	for (;;) {
		double wait = (double)every;
		lb_progress_start(&prog, 0, _("entries"), quiet || every);
		e = lb_agg_mirror_pass(m, &st, &d);
		lb_progress_end(&prog);
		if (every)
			stamp(ts, sizeof ts);
		if (!e && (st.entries || !every || !quiet))
			summary(ts, &st, !stopping);
		if (e == LB_ENET) {
			failures++;
			if (!every && failures >= TRIES) {
				rc = die(e, &d);
				break;
			}
			/* one pass: 2, 4, 8, 16 s (about 30 s in all); --every: from 1 s */
			wait = backoff(every ? failures : failures + 1);
			if (st.entries)
				summary(ts, &st, false);
			fprintf(stderr, _("%s%s mirror: %s; trying again in %.0f s\n"), ts, PROG,
			        lb_diag_msg(&d, e), wait);
		} else if (e) {
			rc = die(e, &d);
			break;
		} else {
			failures = 0;
			if (!every)
				break;
		}
		if (stopping)
			break;
		nap(wait);
		if (stopping)
			break;
	}
	lb_agg_mirror_free(m);
	lb_agg_close(a);
	return rc;
}
