/*
 * datang_cli.c — `lumbung datang` and the offers fetched after a push
 * (datang_cli.h).  The rules live in node/datang.c; this file asks the
 * aggregator (sync/fetch.h) and prints.
 */
#define _POSIX_C_SOURCE 200809L
#include "datang_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../node/body.h"
#include "../node/datang.h"
#include "../node/key.h"
#include "fetch.h"
#include "../schema/i18n.h"

#define PROG LB_CLI_PROG

bool lb_sync_datang_refresh(const char *cmd, struct lb_node *n, const char *dir, const char *url,
                            const char *cacert,
                            const uint8_t *agg_key)
{
	struct lb_node_info info;
	struct lb_datang_offer *o = NULL;
	struct lb_datang_stats st;
	struct lb_key key;
	struct lb_diag d = {0};
	char path[4096];
	size_t count = 0;
	lb_err e;

	if ((e = lb_node_info(n, &info, &d))) {
		fprintf(stderr, _("%s %s: residents moving here not asked for: %s\n"), PROG, cmd,
		        lb_diag_msg(&d, e));
		return false;
	}
	snprintf(path, sizeof path, "%s/node.key", dir ? dir : ".");
	if ((e = lb_key_load(path, &key, &d))) {
		fprintf(stderr, _("%s %s: residents moving here not asked for: %s\n"), PROG, cmd,
		        lb_diag_msg(&d, e));
		return false;
	}
	e = lb_fetch_datang(url, cacert, info.village, &key, NULL, agg_key, &o, &count, &d);
	lb_key_wipe(&key);
	if (e) {
		fprintf(stderr, _("%s %s: residents moving here not fetched (%s): %s\n"), PROG, cmd,
		        lb_errname(e), lb_diag_msg(&d, e));
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		struct lb_diag why = {0};
		lb_err ce = lb_datang_check(&o[i], info.village, &why);
		if (ce)
			fprintf(stderr, _("%s %s: warning: an offer of a resident moving here is refused "
			                "(%s): %s\n"),
			        PROG, cmd, lb_errname(ce), lb_diag_msg(&why, ce));
	}
	if ((e = lb_datang_replace(n, o, count, &st, &d)))
		fprintf(stderr, _("%s %s: the offers of residents moving here not kept: %s\n"), PROG, cmd,
		        lb_diag_msg(&d, e));
	else if (st.added || st.dropped)
		printf(_("%s: residents moving here: %zu offered (%zu new, %zu no longer offered); "
		       "see `lumbung datang ls`\n"),
		       cmd, st.kept, st.added, st.dropped);
	lb_datang_offers_free(o, count);
	return !e;
}

/* ---- datang ls ------------------------------------------------------------ */

struct ls {
	int json;
	json_t *arr;
	size_t n;
	lb_err err;
	struct lb_diag *d;
};

static const char *field(json_t *body, const char *name)
{
	const char *s = json_string_value(json_object_get(body, name));
	return s ? s : "-";
}

static int ls_cb(void *ctx, const struct lb_datang_offer *o, const struct lb_entry *e)
{
	struct ls *l = ctx;
	json_t *body = lb_body_to_json(e->body, e->body_len, l->d);
	char hex[2 * LB_HASH_BYTES + 1];

	if (!body) {
		l->err = l->d->code;
		return 1;
	}
	lb_hex(hex, o->hash, LB_HASH_BYTES);
	if (l->json) {
		json_t *row = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:O}", "nik", o->nik, "nama",
		                        field(body, "nama"), "from", o->from, "seq",
		                        (json_int_t)o->seq, "hash", hex, "tanggal_pindah",
		                        field(body, "tanggal_pindah"), "record", body);
		if (!row || json_array_append_new(l->arr, row)) {
			json_decref(body);
			l->err = lb_fail(l->d, LB_ENOMEM, "out of memory");
			return 1;
		}
	} else {
		if (!l->n)
			printf("%-16s  %-30s  %-13s  %s\n", "NIK", "nama", "dari", "tanggal_pindah");
		/* the values passed the schema (no control characters) before
		 * the offer was kept */
		printf("%-16s  %-30s  %-13s  %s\n", o->nik, field(body, "nama"), o->from,
		       field(body, "tanggal_pindah"));
	}
	l->n++;
	json_decref(body);
	return 0;
}

static int datang_ls(struct lb_cli_args *a, struct lb_node *n, struct lb_diag *d)
{
	struct ls l = {.json = a->json, .d = d};
	lb_err e;

	if (a->json && !(l.arr = json_array()))
		return lb_cli_die(a->cmd, lb_fail(d, LB_ENOMEM, "out of memory"), d);
	e = lb_datang_list(n, ls_cb, &l, d);
	if (!e)
		e = l.err;
	if (e) {
		json_decref(l.arr);
		return lb_cli_die(a->cmd, e, d);
	}
	if (a->json) {
		json_t *top = json_pack("{s:o}", "offers", l.arr);
		if (!top || json_dumpf(top, stdout, JSON_INDENT(2)) || printf("\n") < 0) {
			json_decref(top);
			return lb_cli_die(a->cmd, lb_fail(d, LB_EIO, "writing the list"), d);
		}
		json_decref(top);
	} else if (!l.n) {
		printf(_("no residents moving here are offered (push or sync asks the aggregator)\n"));
	} else {
		printf(_("%zu resident%s moving here: accept with `lumbung datang terima NIK "
		       "[field=value...]`, refuse with `lumbung datang tolak NIK`\n"),
		       l.n, l.n > 1 ? "s" : "");
	}
	return 0;
}

int lb_sync_cmd_datang(struct lb_cli_args *a)
{
	struct lb_node *n = NULL;
	struct lb_diag d = {0};
	const char *sub = a->npos ? a->pos[0] : "ls";
	json_t *changes = NULL;
	struct lb_commit c;
	lb_err e;
	int rc = 0;

	if (strcmp(sub, "ls") && strcmp(sub, "terima") && strcmp(sub, "tolak"))
		return lb_cli_usage_error(a->cmd, "unknown subcommand \"%s\" (ls, terima or tolak)", sub);
	if (!strcmp(sub, "ls") && a->npos > 1)
		return lb_cli_usage_error(a->cmd, "datang ls takes no arguments");
	if (strcmp(sub, "ls") && a->npos < 2)
		return lb_cli_usage_error(a->cmd, "datang %s needs the NIK", sub);
	if (!strcmp(sub, "tolak") && a->npos > 2)
		return lb_cli_usage_error(a->cmd, "datang tolak takes only the NIK");
	if (!strcmp(sub, "terima") &&
	    (e = lb_cli_fields_to_json("penduduk", a->pos + 2, a->npos - 2, &changes, &d))) {
		lb_diag_prefix(&d, "penduduk %s", a->pos[1]);
		return lb_cli_die(a->cmd, e, &d);
	}
	if ((e = lb_cli_open_node(a, !strcmp(sub, "ls"), &n, &d))) {
		json_decref(changes);
		return lb_cli_die(a->cmd, e, &d);
	}
	if (!strcmp(sub, "ls")) {
		rc = datang_ls(a, n, &d);
	} else if (!strcmp(sub, "terima")) {
		if ((e = lb_datang_accept(n, a->pos[1], changes, &c, &d)))
			rc = lb_cli_die(a->cmd, e, &d);
		else
			printf(_("penduduk %s: accepted as a resident of this village, written as seq %llu "
			       "(it goes to the aggregator with the next push)\n"),
			       a->pos[1], (unsigned long long)c.last_seq);
	} else if ((e = lb_datang_drop(n, a->pos[1], &d))) {
		rc = lb_cli_die(a->cmd, e, &d);
	} else {
		printf(_("penduduk %s: the offer is refused here and dropped\n"), a->pos[1]);
	}
	json_decref(changes);
	lb_node_close(n);
	return rc;
}
