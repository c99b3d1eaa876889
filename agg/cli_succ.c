/*
 * cli_succ.c — succeed, export-log and the successions' status lines
 * (cli_succ.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_succ.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../schema/i18n.h"
#include "../node/entry.h"
#include "../schema/text.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

int agg_cli_succ(int argc, char **argv)
{
	const char *cmd = argv[1], *dir = getenv("LUMBUNG_AGG_DIR"), *village = NULL, *key = NULL,
	           *from = NULL;
	bool succeed = !strcmp(cmd, "succeed"), export = !strcmp(cmd, "export-log");
	uint8_t pk[LB_PK_BYTES];
	struct lb_diag d = {0};
	struct lb_agg *agg;
	uint64_t from_seq = 1;
	lb_err e;
	int rc = 0;

	if (!succeed && !export)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst;
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &dir;
		else if (!strcmp(o, "--village"))
			dst = &village;
		else if (!strcmp(o, "--key") && succeed)
			dst = &key;
		else if (!strcmp(o, "--from") && export)
			dst = &from;
		else {
			fprintf(stderr, _("%s %s: unknown argument %s\n"), PROG, cmd, o);
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, _("%s %s: %s needs a value\n"), PROG, cmd, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!dir || !*dir) {
		fprintf(stderr, _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"), PROG,
		        cmd);
		return EXIT_USAGE;
	}
	if (!village) {
		fprintf(stderr, _("%s %s: --village CODE is required\n"), PROG, cmd);
		return EXIT_USAGE;
	}
	if (succeed && (!key || lb_unhex(pk, LB_PK_BYTES, key))) {
		fprintf(stderr, _("%s succeed: --key takes the village's NEW 64-hex key (lumbung id "
		                "on the new PC)\n"), PROG);
		return EXIT_USAGE;
	}
	if (from) {
		char *end;
		errno = 0;
		from_seq = strtoull(from, &end, 10);
		if (errno || end == from || *end || !from_seq || from[0] == '-') {
			fprintf(stderr, _("%s export-log: --from takes a seq, 1 or more\n"), PROG);
			return EXIT_USAGE;
		}
	}
	if (export && isatty(STDOUT_FILENO)) {
		fprintf(stderr, _("%s export-log: the archive is binary: redirect it to a file "
		                "(> desa.lla)\n"), PROG);
		return EXIT_USAGE;
	}
	if ((e = lb_agg_open(&agg, dir, &d)))
		return die(cmd, e, &d);
	if (succeed) {
		struct lb_succession s;
		char ohx[2 * LB_PK_BYTES + 1], hh[2 * LB_HASH_BYTES + 1];
		if ((e = lb_agg_succeed(agg, village, pk, &s, &d))) {
			rc = die(cmd, e, &d);
		} else {
			lb_hex(ohx, s.old_key, LB_PK_BYTES);
			lb_hex(hh, s.hash, LB_HASH_BYTES);
			printf(_("origin %s continues %s after %s's seq %llu (hash %s); %s is revoked "
			       "(succession statement %llu)\n"),
			       key, s.village, ohx, (unsigned long long)s.seq, hh, ohx,
			       (unsigned long long)s.n);
		}
	} else {
		if ((e = lb_agg_export_village(agg, village, from_seq, stdout, &d)))
			rc = die(cmd, e, &d);
	}
	lb_agg_close(agg);
	return rc;
}

struct succ_rows {
	struct lb_agg_origin *o;
	size_t n;
	bool oom;
};

static int add_successor(void *ctx, const struct lb_agg_origin *o)
{
	struct succ_rows *r = ctx;
	struct lb_agg_origin *p;

	if (!o->base)
		return 0;
	if (!(p = realloc(r->o, (r->n + 1) * sizeof *p))) {
		r->oom = true;
		return 1;
	}
	r->o = p;
	r->o[r->n++] = *o;
	return 0;
}

lb_err agg_cli_succ_status_text(struct lb_agg *agg, struct lb_diag *d)
{
	struct succ_rows r = {0};
	lb_err e;

	if ((e = lb_agg_origins(agg, add_successor, &r, d)))
		goto out;
	if (r.oom) {
		e = lb_fail(d, LB_ENOMEM, "out of memory");
		goto out;
	}
	if (r.n)
		printf("\nSUCCESSIONS\n");
	for (size_t i = 0; i < r.n && !e; i++) {
		struct lb_succession s;
		char ohx[17], nhx[17], who[32];
		if ((e = lb_agg_succession(agg, r.o[i].origin, true, &s, NULL, NULL, d)))
			break;
		lb_hex(ohx, s.old_key, 8);
		lb_hex(nhx, s.new_key, 8);
		lb_succession_who(&s, who);
		printf(_("village %s: key changed at seq %llu (%s... -> %s...), succession %llu signed "
		       "by %s%s\n"),
		       s.village, (unsigned long long)s.seq, ohx, nhx, (unsigned long long)s.n, who,
		       r.o[i].seq < r.o[i].base ? _("; waiting for the old key's entries up to there")
		                                : "");
	}
out:
	free(r.o);
	return e;
}
