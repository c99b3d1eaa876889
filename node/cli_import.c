/*
 * cli_import.c — `lumbung import TYPE FILE.csv`: a spreadsheet into the
 * node, every problem of the file at once.
 *
 * Two passes over the file.  Pass 1 reads every row as the record it
 * would become (csvio.h: every cell through schema/value.h, then the whole
 * body through the schema), lists every refused row with every bad field
 * of it, and writes nothing.  Pass 2 writes the accepted rows in one
 * transaction.  Known traps behind refusals (a NIK in scientific notation,
 * a Windows-1252 file, a month-first date) get one hint each at the end,
 * and the summary says which typed values were stored in another form
 * ("agama: ISLAM → islam, 312 rows").
 *
 * Columns ignored on import (lb_csv_map_new): those a profile (--from,
 * node/profile.h) does not keep, and the reason column of a rejects file
 * (LB_CSV_REASON_COLUMN), so a rejects file fixed in a spreadsheet imports
 * as it is.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../schema/err.h"
#include "../schema/i18n.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "../schema/value.h"
#include "cli.h"
#include "consistency.h"
#include "csvio.h"
#include "node.h"
#include "profile.h"
#include "progress.h"

#define PROG LB_CLI_PROG
#define REWRITES_SHOWN 20

struct seen_id {
	char *id;
	unsigned long row;
};

/* One kind of rewrite: field, typed text -> stored text, and how often. */
struct rewrite {
	const struct lb_field *f;
	char *typed, *stored;
	unsigned long rows;
	size_t first; /* order of first sight, to keep the listing stable */
};

struct import {
	struct lb_cli_args *a;
	struct lb_node *n;
	const struct lb_schema *schema;
	struct lb_csv_map *map;
	struct lb_profile *profile;
	struct lb_mp_buf body;
	char sep;
	int pass;               /* 1: check every row, 2: write */
	unsigned long rows, bad;
	unsigned char *rejected; /* bitmap by row number */
	size_t rej_bytes;
	FILE *rejects;
	char **header;           /* copy of the header as in the file, for the rejects file */
	size_t nheader;
	char **mapped;           /* the header cells the map was made from (owned) */
	size_t nmapped;
	char **work;             /* one row's cells as read (pointers into arena) */
	size_t work_cap;
	char *arena;
	size_t arena_cap;
	struct seen_id *ids;     /* set of ids seen in pass 1 (cap slots) */
	size_t nids, cap;
	struct rewrite *rw;      /* open-addressing set (rwcap slots) */
	size_t nrw, rwcap;
	unsigned hints;          /* 1u << enum lb_hint met */
	lb_err rw_err;
	struct lb_write_sink *sink;
	struct lb_progress prog;
	unsigned long done;
	unsigned long first_row; /* first row handed to the sink */
	unsigned long fail_row;
	unsigned long header_row; /* 0 until the header is read */
};

static bool is_rejected(const struct import *im, unsigned long row)
{
	return row / 8 < im->rej_bytes && (im->rejected[row / 8] >> (row % 8)) & 1;
}

/* Refuse a data row: list it on stderr, remember it for pass 2, and copy
 * it, as it was in the file, to the rejects file with the reason (which
 * names the row) in the last column. */
static void reject(struct import *im, unsigned long row, char **cells, size_t n, const char *why)
{
	char reason[LB_DIAG_MAX + 400];

	im->bad++;
	snprintf(reason, sizeof reason, _("row %lu: %s"), row, why);
	if (im->prog.on)
		fputs("\r\033[K", stderr); /* the progress line is redrawn after */
	fprintf(stderr, _("%s import: %s\n"), PROG, reason);
	if (row / 8 >= im->rej_bytes) {
		size_t nb = (row / 8 + 1) * 2;
		unsigned char *p = realloc(im->rejected, nb);
		if (!p)
			return;
		memset(p + im->rej_bytes, 0, nb - im->rej_bytes);
		im->rejected = p;
		im->rej_bytes = nb;
	}
	im->rejected[row / 8] |= (unsigned char)(1u << (row % 8));
	if (im->rejects) {
		char **row_cells = malloc((im->nheader + 1) * sizeof *row_cells);
		if (row_cells) {
			size_t k = 0;
			for (size_t i = 0; i < im->nheader; i++)
				if (strcasecmp(im->header[i], LB_CSV_REASON_COLUMN)) /* an old reason goes */
					row_cells[k++] = i < n ? cells[i] : "";
			row_cells[k++] = reason;
			lb_csv_write_cells(im->rejects, im->sep, row_cells, k, NULL);
			free(row_cells);
		}
	}
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}
#define FNV_START 14695981039346656037ULL

/* Remember id (first seen on row); *first is set to the earlier row when
 * the id was already seen.  An open-addressing set, grown at half full. */
static lb_err seen_add(struct import *im, const char *id, unsigned long row, unsigned long *first,
                       struct lb_diag *d)
{
	size_t i;

	if (2 * (im->nids + 1) > im->cap) {
		size_t nc = im->cap ? 2 * im->cap : 4096;
		struct seen_id *t = calloc(nc, sizeof *t);
		if (!t)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		for (size_t k = 0; k < im->cap; k++)
			if (im->ids[k].id) {
				for (i = fnv1a(im->ids[k].id, FNV_START) & (nc - 1); t[i].id; i = (i + 1) & (nc - 1))
					;
				t[i] = im->ids[k];
			}
		free(im->ids);
		im->ids = t;
		im->cap = nc;
	}
	for (i = fnv1a(id, FNV_START) & (im->cap - 1); im->ids[i].id; i = (i + 1) & (im->cap - 1))
		if (!strcmp(im->ids[i].id, id)) {
			*first = im->ids[i].row;
			return LB_OK;
		}
	if (!(im->ids[i].id = strdup(id)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	im->ids[i].row = row;
	im->nids++;
	return LB_OK;
}

static uint64_t rw_hash(const struct lb_field *f, const char *typed, const char *stored)
{
	return fnv1a(stored, fnv1a(typed, fnv1a(f->name, FNV_START) * 31) * 31);
}

/* notes.rewritten of csvio.h: count one cell stored other than typed. */
static void on_rewritten(void *ctx, const struct lb_field *f, const char *typed,
                         const struct lb_value *v)
{
	struct import *im = ctx;
	char num[32];
	const char *stored = num;
	size_t i;

	if (v->kind == LB_V_NUM)
		snprintf(num, sizeof num, "%lld", (long long)v->num);
	else if (v->kind == LB_V_BOOL)
		stored = v->b ? "true" : "false";
	else if (!(stored = strndup(v->str, v->len))) {
		im->rw_err = LB_ENOMEM;
		return;
	}
	if (2 * (im->nrw + 1) > im->rwcap) {
		size_t nc = im->rwcap ? 2 * im->rwcap : 256;
		struct rewrite *t = calloc(nc, sizeof *t);
		if (!t) {
			im->rw_err = LB_ENOMEM;
			goto out;
		}
		for (size_t k = 0; k < im->rwcap; k++)
			if (im->rw[k].f) {
				const struct rewrite *r = &im->rw[k];
				for (i = rw_hash(r->f, r->typed, r->stored) & (nc - 1); t[i].f; i = (i + 1) & (nc - 1))
					;
				t[i] = *r;
			}
		free(im->rw);
		im->rw = t;
		im->rwcap = nc;
	}
	for (i = rw_hash(f, typed, stored) & (im->rwcap - 1); im->rw[i].f; i = (i + 1) & (im->rwcap - 1))
		if (im->rw[i].f == f && !strcmp(im->rw[i].typed, typed) &&
		    !strcmp(im->rw[i].stored, stored)) {
			im->rw[i].rows++;
			goto out;
		}
	if (!(im->rw[i].typed = strdup(typed)) || !(im->rw[i].stored = strdup(stored))) {
		free(im->rw[i].typed);
		im->rw[i].typed = NULL;
		im->rw_err = LB_ENOMEM;
		goto out;
	}
	im->rw[i].f = f;
	im->rw[i].rows = 1;
	im->rw[i].first = im->nrw++;
out:
	if (stored != num && v->kind == LB_V_STR)
		free((char *)stored);
}

static int by_rows(const void *a, const void *b)
{
	const struct rewrite *x = *(const struct rewrite *const *)a;
	const struct rewrite *y = *(const struct rewrite *const *)b;
	if (x->rows != y->rows)
		return x->rows < y->rows ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Text from the file for a message: as it is unless it has control
 * characters (then escaped). */
static const char *shown(char out[LB_ESC_BUF], const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return lb_escape(out, s, strlen(s));
	if (strlen(s) > LB_ESC_SHOW)
		return lb_escape(out, s, strlen(s));
	return s;
}

/* "agama: ISLAM → islam, 312 rows", the most frequent first. */
static void print_rewrites(struct import *im)
{
	struct rewrite **list;
	size_t k = 0;
	unsigned long more_rows = 0;

	if (!im->nrw || !(list = malloc(im->nrw * sizeof *list)))
		return;
	for (size_t i = 0; i < im->rwcap; i++)
		if (im->rw[i].f)
			list[k++] = &im->rw[i];
	qsort(list, k, sizeof *list, by_rows);
	printf("%s\n", _("stored in the standard form:"));
	for (size_t i = 0; i < k; i++) {
		char e1[LB_ESC_BUF], e2[LB_ESC_BUF];
		if (i >= REWRITES_SHOWN) {
			more_rows += list[i]->rows;
			continue;
		}
		printf(list[i]->rows == 1 ? _("  %s: %s \u2192 %s, %lu row\n")
		                          : _("  %s: %s \u2192 %s, %lu rows\n"),
		       list[i]->f->name, shown(e1, list[i]->typed), shown(e2, list[i]->stored),
		       list[i]->rows);
	}
	if (k > REWRITES_SHOWN)
		printf(_("  \u2026 and %zu more (%lu rows)\n"), k - REWRITES_SHOWN, more_rows);
	free(list);
}

/* One explanation per known trap met, after the list of refusals. */
static void print_hints(unsigned hints)
{
	for (int h = 1; h < LB_HINT__COUNT; h++)
		if (hints & (1u << h))
			fprintf(stderr, _("%s import: hint: %s\n"), PROG, lb_hint_text((enum lb_hint)h));
}

static bool node_has(void *ctx, const char *type, const char *id, size_t id_len)
{
	return lb_node_exists(ctx, type, id, id_len);
}

/* Cells as read must be UTF-8 (unless --encoding converted them): the
 * first bad byte is named by row and column, and the file refused. */
static lb_err check_utf8(struct import *im, char **cells, size_t n, unsigned long row,
                         struct lb_diag *d)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(cells[i]), ok = 0;
		if (lb_utf8_valid(cells[i], len))
			continue;
		while (ok < len) { /* the first byte that does not start a good character */
			unsigned char c = (unsigned char)cells[i][ok];
			size_t cl = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
			          : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
			if (!cl || cl > len - ok || !lb_utf8_valid(cells[i] + ok, cl))
				break;
			ok += cl;
		}
		im->hints |= 1u << LB_HINT_ENCODING;
		{
			char esc[LB_ESC_BUF];
			lb_escape(esc, cells[i], len);
			return lb_fail(d, LB_EMALFORMED,
			               "row %lu, column %zu: \"%s\" is not UTF-8 text (byte 0x%02X)", row,
			               i + 1, esc, (unsigned char)cells[i][ok < len ? ok : len - 1]);
		}
	}
	return LB_OK;
}

/* Copy the row's n cells into im->work / im->arena (the profile may put
 * its own strings in, and reading trims in place: the reader's cells stay
 * as they were in the file, for the rejects file). */
static lb_err copy_row(struct import *im, char **cells, size_t n, struct lb_diag *d)
{
	size_t total = 0, o = 0;

	for (size_t i = 0; i < n; i++)
		total += strlen(cells[i]) + 1;
	if (n + 1 > im->work_cap) { /* + 1: the rejects file's header adds a column */
		char **w = realloc(im->work, (n + 1) * sizeof *w);
		if (!w)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		im->work = w;
		im->work_cap = n + 1;
	}
	if (total > im->arena_cap) {
		char *a = realloc(im->arena, total);
		if (!a)
			return lb_fail(d, LB_ENOMEM, "out of memory");
		im->arena = a;
		im->arena_cap = total;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(cells[i]) + 1;
		memcpy(im->arena + o, cells[i], len);
		im->work[i] = im->arena + o;
		o += len;
	}
	return LB_OK;
}

/* The profile's replacements are its memory (possibly static): copy them
 * too, since reading writes into cells. */
static lb_err own_replacements(struct import *im, size_t n, struct lb_diag *d)
{
	size_t total = 0, o = 0;
	char *a;

	for (size_t i = 0; i < n; i++)
		total += im->work[i] ? strlen(im->work[i]) + 1 : 0;
	if (!(a = malloc(total ? total : 1)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (im->work[i]) {
			size_t len = strlen(im->work[i]) + 1;
			memcpy(a + o, im->work[i], len);
			im->work[i] = a + o;
			o += len;
		}
	free(im->arena);
	im->arena = a;
	im->arena_cap = total ? total : 1;
	return LB_OK;
}

static lb_err read_header(struct import *im, char **cells, size_t n, struct lb_diag *d)
{
	lb_err e;

	if (!(im->header = calloc(n + 1, sizeof *im->header)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(im->header[i] = strdup(cells[i])))
			return lb_fail(d, LB_ENOMEM, "out of memory");
	im->nheader = n;
	if ((e = copy_row(im, cells, n, d)))
		return e;
	if (im->profile && ((e = lb_profile_header(im->profile, im->work, n, d)) ||
	                    (e = own_replacements(im, n, d))))
		return e;
	/* lb_csv_map_new trims and lowers its cells in place: give it copies
	 * (the profile's names may be static).  NULL cells stay NULL: the map
	 * leaves them out, and the reason column of a rejects file. */
	if (!(im->mapped = calloc(n + 1, sizeof *im->mapped)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	im->nmapped = n;
	for (size_t i = 0; i < n; i++)
		if (im->work[i] && !(im->mapped[i] = strdup(im->work[i])))
			return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_csv_map_new(&im->map, im->schema, im->a->pos[0], im->mapped, n, d)))
		return e;
	if (im->rejects) {
		/* the same columns, plus why each row was refused (import ignores
		 * that column, so the fixed file imports as it is) */
		size_t m = 0;
		fputs("\xEF\xBB\xBF", im->rejects); /* UTF-8 mark: spreadsheets read it right */
		for (size_t i = 0; i < n; i++)
			if (strcasecmp(im->header[i], LB_CSV_REASON_COLUMN))
				im->work[m++] = im->header[i];
		im->work[m++] = LB_CSV_REASON_COLUMN;
		if ((e = lb_csv_write_cells(im->rejects, im->sep, im->work, m, d)))
			return e;
	}
	return LB_OK;
}

/* Drop from msg ("; "-joined) the parts that only repeat a cell already
 * refused: "F is required" for a field whose cell could not be read. */
static void drop_repeats(char *msg, const struct lb_type *t, const struct lb_csv_notes *notes)
{
	char out[LB_DIAG_MAX] = "";
	size_t o = 0;
	char *p = msg;

	while (p) {
		char *end = strstr(p, "; ");
		size_t len = end ? (size_t)(end - p) : strlen(p);
		bool drop = false;
		for (size_t fi = 0; fi < t->nfields && fi < 256 && !drop; fi++) {
			char req[200];
			if (!(notes->bad[fi / 64] >> (fi % 64) & 1))
				continue;
			snprintf(req, sizeof req, _("%s is required"), t->fields[fi].name);
			drop = strlen(req) == len && !memcmp(req, p, len);
		}
		if (!drop && o + len + 3 < sizeof out) {
			if (o)
				memcpy(out + o, "; ", 2), o += 2;
			memcpy(out + o, p, len);
			o += len;
			out[o] = '\0';
		}
		p = end ? end + 2 : NULL;
	}
	memcpy(msg, out, o + 1);
}

static lb_err import_row(void *ctx, char **cells, size_t n, unsigned long row, struct lb_diag *d)
{
	struct import *im = ctx;
	struct lb_csv_notes notes = {.rewritten = im->pass == 2 ? on_rewritten : NULL, .ctx = im};
	const char *id = NULL;
	size_t id_len = 0;
	lb_err e;

	if (im->pass == 2 && row == im->header_row)
		return LB_OK;
	if (im->pass == 1 && (e = check_utf8(im, cells, n, row, d)))
		return e;
	if (!im->header_row) {
		im->header_row = row;
		return read_header(im, cells, n, d);
	}
	if (im->pass == 2 && is_rejected(im, row))
		return LB_OK;
	lb_progress_set(&im->prog, ++im->done);
	if ((e = copy_row(im, cells, n, d)))
		return e;
	if (im->profile) {
		struct lb_diag pd = {0};
		if ((e = lb_profile_row(im->profile, im->work, n, &pd))) {
			char why[LB_DIAG_MAX + 200];
			if (im->pass == 2)
				return lb_fail(d, e, "%s", lb_diag_msg(&pd, e));
			snprintf(why, sizeof why, "%s: %s", im->a->pos[0], lb_diag_msg(&pd, e));
			reject(im, row, cells, n, why);
			return LB_OK;
		}
		if ((e = own_replacements(im, n, d)))
			return e;
	}
	for (size_t i = 0; i < n; i++)
		if (!im->work[i])
			im->work[i] = "";
	lb_mp_buf_reset(&im->body);
	e = lb_csv_row_record_all(im->map, im->work, n, &id, &id_len, &im->body, &notes, d);
	if (im->rw_err)
		return lb_fail(d, im->rw_err, "out of memory");
	if (im->pass == 2) {
		struct lb_change ch = {.op = LB_OP_PUT, .type = im->a->pos[0], .id = id,
		                       .id_len = id_len, .body = (const uint8_t *)im->body.sb.data,
		                       .body_len = im->body.sb.size};
		if (e) /* pass 1 accepted this row: only a changed store can make it fail */
			return e;
		if (!im->first_row)
			im->first_row = row;
		im->fail_row = row;
		return lb_sink_put(im->sink, &ch, d);
	}
	im->hints |= notes.hints;
	if (id && (e == LB_OK || e == LB_ESCHEMA)) {
		struct lb_refs refs = {node_has, im->n};
		struct lb_diag vd = {0};
		char all[LB_DIAG_MAX];
		lb_err ve = lb_schema_validate_all(im->schema, im->a->pos[0], id, id_len,
		                                   (const uint8_t *)im->body.sb.data, im->body.sb.size,
		                                   &refs, &vd);
		if (ve) {
			snprintf(all, sizeof all, "%s", lb_diag_msg(&vd, ve));
			drop_repeats(all, lb_schema_type(im->schema, im->a->pos[0]), &notes);
			if (!e)
				e = ve, d->msg[0] = '\0';
			if (*all) {
				char joined[2 * LB_DIAG_MAX];
				snprintf(joined, sizeof joined, "%s%s%s", d->msg[0] ? lb_diag_msg(d, e) : "",
				         d->msg[0] ? "; " : "", all);
				lb_fail(d, e, "%s", joined);
			}
		}
	}
	/* The node's rules between fields and records (consistency.h: a NIK
	 * against sex and birth date, a live head, one NIK per programme),
	 * against what the node holds, so a row they refuse is listed with the
	 * others instead of stopping the write. */
	if (!e && id)
		e = lb_node_check_put(im->n, im->a->pos[0], id, id_len,
		                      (const uint8_t *)im->body.sb.data, im->body.sb.size, d);
	if (e) {
		char why[LB_DIAG_MAX + 200];
		if (e != LB_ESCHEMA && e != LB_EINVAL && e != LB_ETOOBIG)
			return e; /* not the row's fault (out of memory, a store error) */
		snprintf(why, sizeof why, "%s%s%.128s: %s", im->a->pos[0], id ? " " : "", id ? id : "",
		         lb_diag_msg(d, e));
		reject(im, row, cells, n, why);
		return LB_OK;
	}
	/* The same id on two rows is almost always a typing error in the
	 * sheet (a resident registered twice): refuse the later row. */
	{
		unsigned long first = 0;
		if ((e = seen_add(im, id, row, &first, d)))
			return e;
		if (first) {
			char why[300], idbuf[LB_ID_MAX + 1];
			snprintf(idbuf, sizeof idbuf, "%.*s", (int)id_len, id);
			snprintf(why, sizeof why, _("%s %.128s: the same id as row %lu"), im->a->pos[0],
			         idbuf, first);
			reject(im, row, cells, n, why);
			return LB_OK;
		}
	}
	im->rows++;
	return LB_OK;
}

static lb_err produce_csv(void *ctx, struct lb_write_sink *sink, struct lb_diag *d)
{
	struct import *im = ctx;
	im->sink = sink;
	return lb_csv_read_enc(im->a->pos[1], im->sep, im->a->encoding, import_row, im, NULL, d);
}

static void import_free(struct import *im)
{
	lb_csv_map_free(im->map);
	lb_profile_free(im->profile);
	lb_mp_buf_free(&im->body);
	for (size_t i = 0; i < im->cap; i++)
		free(im->ids[i].id);
	free(im->ids);
	for (size_t i = 0; i < im->rwcap; i++)
		free(im->rw[i].typed), free(im->rw[i].stored);
	free(im->rw);
	for (size_t i = 0; i < im->nheader; i++)
		free(im->header[i]);
	free(im->header);
	for (size_t i = 0; i < im->nmapped; i++)
		free(im->mapped[i]);
	free(im->mapped);
	free(im->work);
	free(im->arena);
	free(im->rejected);
	if (im->rejects)
		fclose(im->rejects);
}

int lb_cli_import(struct lb_cli_args *a)
{
	struct lb_diag d = {0};
	struct import im = {.a = a, .schema = lb_schema_get(lb_schema_latest()), .pass = 1};
	struct lb_commit c;
	lb_err e;
	int rc;

	if (a->npos != 2)
		return lb_cli_usage_error(a->cmd, "TYPE and FILE.csv are required");
	if ((rc = lb_cli_parse_sep(a, &im.sep)))
		return rc;
	if (a->encoding && !lb_csv_encoding_known(a->encoding))
		return lb_cli_usage_error(a->cmd, "--encoding takes utf-8, cp1252 or latin1 (not %s)",
		                          a->encoding);
	if (a->from && (e = lb_profile_open(&im.profile, a->from, a->pos[0], &d)))
		return lb_cli_die(a->cmd, e, &d);
	if ((e = lb_cli_open_node(a, 0, &im.n, &d))) {
		lb_profile_free(im.profile);
		return lb_cli_die(a->cmd, e, &d);
	}
	lb_mp_buf_init(&im.body);
	if (a->rejects && !(im.rejects = fopen(a->rejects, "w"))) {
		fprintf(stderr, _("%s import: %s: %s\n"), PROG, a->rejects, strerror(errno));
		rc = lb_exit_status(LB_EIO);
		goto out;
	}
	/* Pass 1: check every row, list every problem, write nothing. */
	lb_progress_start(&im.prog, 0, _("rows checked"), a->quiet);
	e = lb_csv_read_enc(a->pos[1], im.sep, a->encoding, import_row, &im, &im.sep, &d);
	lb_progress_end(&im.prog);
	if (e) {
		rc = lb_cli_die(a->cmd, e, &d);
		print_hints(im.hints);
		goto out;
	}
	if (im.bad && !a->rejects) {
		fprintf(stderr, im.bad == 1 ? _("%s import: %lu invalid row in %s; nothing was imported "
		                                "(fix it, or use --skip-invalid REJECTS.csv)\n")
		                            : _("%s import: %lu invalid rows in %s; nothing was imported "
		                                "(fix them, or use --skip-invalid REJECTS.csv)\n"),
		        PROG, im.bad, a->pos[1]);
		print_hints(im.hints);
		rc = lb_exit_status(LB_ESCHEMA);
		goto out;
	}
	/* Pass 2: the valid rows, in one transaction. */
	im.pass = 2;
	im.done = 0;
	lb_progress_start(&im.prog, im.rows, _("rows"), a->quiet);
	e = lb_node_write_with(im.n, produce_csv, &im, LB_WRITE_SKIP_UNCHANGED, &c, &d);
	lb_progress_end(&im.prog);
	if (e == LB_EFULL || (e && c.failed_op == LB_FAILED_TXN)) {
		/* the transaction failed as a whole: no one row is to blame */
		fprintf(stderr, _("%s import: rows %lu-%lu not written: %s; nothing was imported\n"),
		        PROG, im.first_row, im.fail_row, e == LB_EFULL ? _("disk full") : lb_diag_msg(&d, e));
		rc = lb_exit_status(e);
		goto out;
	}
	if (e) {
		fprintf(stderr, _("%s import: row %lu: %s\n%s import: nothing was imported\n"), PROG,
		        im.fail_row, lb_diag_msg(&d, e), PROG);
		rc = lb_exit_status(e);
		goto out;
	}
	print_hints(im.hints);
	if (!a->quiet) {
		print_rewrites(&im);
		printf(_("imported %s from %s: %zu written, %zu unchanged, %lu rejected"), a->pos[0],
		       a->pos[1], c.written, c.unchanged, im.bad);
		if (c.written)
			printf(_(" (seq %llu-%llu)"), (unsigned long long)c.first_seq,
			       (unsigned long long)c.last_seq);
		if (a->rejects)
			printf(_("; rejected rows in %s"), a->rejects);
		printf("\n");
	}
	rc = 0;
out:
	import_free(&im);
	lb_node_close(im.n);
	return rc;
}
