/*
 * cli_find.c — see cli_find.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_find.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../schema/i18n.h"
#include "body.h"
#include "csvio.h"
#include "find.h"
#include "xlsxio.h"

int lb_cli_type(const char *cmd, const char *name, const struct lb_type **t)
{
	struct lb_diag d = {0};
	const struct lb_type *tt;
	lb_err e = lb_find_type(name, &tt, &d);

	if (e)
		return lb_cli_die(cmd, e, &d);
	if (t)
		*t = tt;
	return 0;
}

enum out { OUT_TEXT, OUT_JSON, OUT_CSV };

struct found {
	enum out out;
	const struct lb_type *t;
	char sep;
	bool excel;
	lb_err e;
	struct lb_diag *d;
};

static int found_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct found *f = ctx;
	json_t *j, *rec;

	if (f->out == OUT_CSV) {
		f->e = lb_csv_write_record(stdout, f->t, f->sep, f->excel, id, id_len, body, len, f->d);
		return f->e != LB_OK;
	}
	if (!(rec = lb_body_to_json(body, len, f->d))) {
		f->e = lb_fail(f->d, LB_ECORRUPT, "%s %.*s: stored body is unreadable", f->t->name,
		               (int)id_len, id);
		return 1;
	}
	if (f->out == OUT_JSON) {
		j = json_pack("{s:s#, s:o}", "id", id, (int)id_len, "record", rec);
		if (!j) {
			f->e = lb_fail(f->d, LB_ENOMEM, "out of memory");
			return 1;
		}
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
	} else {
		/* as lumbung log shows a body: the id, then the record */
		printf("%.*s  ", (int)id_len, id);
		json_dumpf(rec, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(rec);
	}
	putchar('\n');
	return ferror(stdout) != 0;
}

int lb_cli_find(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct found f = {.d = &d, .excel = a->excel};
	struct lb_find *q;
	struct lb_node *n;
	size_t count = 0;
	lb_err e;

	if (a->npos < 1)
		return lb_cli_usage_error(a->cmd, "TYPE is required");
	if (a->json && a->csv)
		return lb_cli_usage_error(a->cmd, "give --json or --csv, not both");
	f.out = a->json ? OUT_JSON : a->csv ? OUT_CSV : OUT_TEXT;
	if (a->sep) {
		if (strlen(a->sep) != 1 || (a->sep[0] != ',' && a->sep[0] != ';'))
			return lb_cli_usage_error(a->cmd, "--sep must be , or ;");
		f.sep = a->sep[0];
	} else {
		f.sep = ',';
	}
	if ((e = lb_find_new(&q, a->pos[0], a->pos + 1, (size_t)a->npos - 1, &d)))
		return e == LB_EINVAL ? lb_cli_usage_error(a->cmd, "%s", d.msg)
		                      : lb_cli_die(a->cmd, e, &d);
	f.t = lb_find_type_of(q);
	if ((e = lb_cli_open_node(a, 1, &n, &d))) {
		lb_find_free(q);
		return lb_cli_die(a->cmd, e, &d);
	}
	if (f.out == OUT_CSV)
		e = lb_csv_write_header(stdout, f.t, f.sep, &d);
	if (!e)
		e = lb_find_run(n, q, found_cb, &f, &count, &d);
	if (!e)
		e = f.e;
	lb_node_close(n);
	lb_find_free(q);
	if (e)
		return lb_cli_die(a->cmd, e, &d);
	if (!a->quiet && f.out == OUT_TEXT)
		fprintf(stderr, count == 1 ? _("%zu record found\n") : _("%zu records found\n"), count);
	return count ? 0 : 1;
}

struct xlsx_ctx {
	struct lb_xlsx *x;
	lb_err e;
	struct lb_diag *d;
};

static int xlsx_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct xlsx_ctx *c = ctx;
	c->e = lb_xlsx_record(c->x, id, id_len, body, len, c->d);
	return c->e != LB_OK;
}

int lb_cli_export_xlsx(struct lb_cli_args *a, const struct lb_type *t)
{
	struct lb_diag d = {0};
	struct xlsx_ctx c = {.d = &d};
	struct lb_node *n;
	lb_err e;

	if (a->sep || a->excel)
		return lb_cli_usage_error(a->cmd, "--sep and --excel are for CSV, not --xlsx");
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (!(e = lb_xlsx_open(&c.x, a->xlsx, t, &d))) {
		e = lb_node_scan(n, t->name, xlsx_cb, &c, &d);
		if (!e)
			e = c.e;
		e = lb_xlsx_close(c.x, e, &d);
	}
	lb_node_close(n);
	return e ? lb_cli_die(a->cmd, e, &d) : 0;
}
