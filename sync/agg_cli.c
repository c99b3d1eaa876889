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

#include <sodium.h>

#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/schema.h"
#include "agg.h"
#include "agg_http.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static const char *usage_text =
	"usage: " PROG " COMMAND -d DIR [options]   (-d defaults to $LUMBUNG_AGG_DIR)\n\n"
	"  " PROG " init -d DIR --region PP.KK[.CC]        create an aggregator; prints its key\n"
	"  " PROG " enroll -d DIR --village CODE --key HEX  let a village key push\n"
	"  " PROG " revoke -d DIR --key HEX                 stop accepting a key\n"
	"  " PROG " serve -d DIR [--listen 127.0.0.1:8080] [--threads N]\n"
	"  " PROG " status -d DIR                           per village: seq, last seen, forks\n";

struct args {
	const char *cmd, *dir, *region, *village, *key, *listen;
	unsigned threads;
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

struct status_ctx {
	int n;
};

static int print_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct status_ctx *s = ctx;
	char hx[17], seen[LB_HLC_STRLEN];
	lb_hex(hx, o->origin, 8);
	if (o->last_seen_ms)
		lb_hlc_format(o->last_seen_ms << LB_HLC_COUNTER_BITS, seen);
	else
		snprintf(seen, sizeof seen, "never");
	printf("%-14s %s...  seq %-10llu last seen %-26s forks %llu%s\n", o->village, hx,
	       (unsigned long long)o->seq, seen, (unsigned long long)o->forks,
	       o->revoked ? "  REVOKED" : "");
	s->n++;
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {.dir = getenv("LUMBUNG_AGG_DIR")};
	struct lb_diag d = {0};
	struct lb_agg *agg = NULL;
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
	    strcmp(a.cmd, "status")) {
		fprintf(stderr, PROG ": unknown command \"%s\"\n", a.cmd);
		return usage(stderr, EXIT_USAGE);
	}
	if ((!strcmp(a.cmd, "enroll") || !strcmp(a.cmd, "revoke")) &&
	    (!a.key || lb_unhex(pk, LB_PK_BYTES, a.key))) {
		fprintf(stderr, PROG " %s: --key takes the village's 64-hex origin key (lumbung id)\n",
		        a.cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(a.cmd, "enroll") && !a.village) {
		fprintf(stderr, PROG " enroll: --village CODE is required\n");
		return EXIT_USAGE;
	}
	if ((e = lb_agg_open(&agg, a.dir, &d)))
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
	} else {
		struct status_ctx s = {0};
		if ((e = lb_agg_origins(agg, print_origin, &s, &d)))
			rc = die("status", e, &d);
		else if (!s.n)
			printf("no villages enrolled\n");
	}
	lb_agg_close(agg);
	return rc;
}
