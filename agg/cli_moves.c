/*
 * cli_moves.c — `lumbung-agg moves -d DIR [--village B] [--json]`
 * (cli_moves.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_moves.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../node/entry.h"
#include "../schema/text.h"
#include "agg.h"
#include "../schema/i18n.h"
#include "moves.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

struct rows {
	json_t *arr; /* --json: the rows; else printed as they come */
	bool oom;
};

static int row(void *ctx, const struct lb_agg_move *m, const uint8_t *entry, size_t len)
{
	struct rows *r = ctx;
	char hash[2 * LB_HASH_BYTES + 1];
	json_t *o;

	(void)entry;
	(void)len;
	lb_hex(hash, m->hash, LB_HASH_BYTES);
	if (!r->arr) {
		printf("%-13s  %-16s  %-13s  %8llu  %-5s  %s\n", m->to, m->nik, m->from,
		       (unsigned long long)m->seq, lb_agg_move_state_name(m->state), hash);
		return 0;
	}
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "to", m->to, "nik", m->nik, "from", m->from,
	              "seq", (json_int_t)m->seq, "hash", hash, "state",
	              lb_agg_move_state_name(m->state));
	return r->oom = !o || json_array_append_new(r->arr, o);
}

int agg_cli_moves(int argc, char **argv)
{
	const char *dir = getenv("LUMBUNG_AGG_DIR"), *village = NULL;
	struct rows r = {0};
	struct lb_diag d = {0};
	struct lb_agg *agg;
	bool json = false;
	lb_err e;

	if (strcmp(argv[1], "moves"))
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst;
		if (!strcmp(o, "--json")) {
			json = true;
			continue;
		}
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &dir;
		else if (!strcmp(o, "--village"))
			dst = &village;
		else {
			fprintf(stderr, _("%s moves: unknown argument %s\n"), PROG, o);
			fprintf(stderr, "usage: " PROG " moves -d DIR [--village CODE] [--json]\n");
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, _("%s moves: %s needs a value\n"), PROG, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!dir || !*dir) {
		fprintf(stderr, _("%s moves: no aggregator directory: give -d DIR or set "
		                "LUMBUNG_AGG_DIR\n"), PROG);
		return EXIT_USAGE;
	}
	if (village && lb_region_level(village) != LB_REGION_DESA) {
		char esc[LB_ESC_BUF];
		fprintf(stderr, _("%s moves: --village \"%s\" is not a desa code (PP.KK.CC.DDDD)\n"), PROG,
		        lb_escape(esc, village, strlen(village)));
		return EXIT_USAGE;
	}
	/* a reading command: no key needed, works while serve ingests */
	if ((e = lb_agg_open_ro(&agg, dir, &d))) {
		fprintf(stderr, _("%s moves: %s\n"), PROG, lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	if (json && !(r.arr = json_array()))
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
	if (!json)
		printf("%-13s  %-16s  %-13s  %8s  %-5s  %s\n", "TO", "NIK", "FROM", "SEQ", "STATE",
		       "HASH");
	if (!e && !(e = lb_agg_moves(agg, village, false, row, &r, &d)) && r.oom)
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
	lb_agg_close(agg);
	if (e) {
		json_decref(r.arr);
		fprintf(stderr, _("%s moves: %s\n"), PROG, lb_diag_msg(&d, e));
		return lb_exit_status(e);
	}
	if (r.arr) {
		json_t *top = json_pack("{s:o}", "moves", r.arr);
		if (!top || json_dumpf(top, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) {
			json_decref(top);
			fprintf(stderr, _("%s moves: out of memory\n"), PROG);
			return 1;
		}
		putchar('\n');
		json_decref(top);
	}
	if (fflush(stdout) == EOF) {
		fprintf(stderr, _("%s moves: writing the list failed\n"), PROG);
		return 1;
	}
	return 0;
}
