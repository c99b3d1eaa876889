/*
 * xlsxio.c — see xlsxio.h.
 */
#include "xlsxio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "../schema/mp.h"

#define XLSX_MAX_ROWS 1048575u /* data rows under the header */

struct lb_xlsx {
	char *path;
	const struct lb_type *t;
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *date, *text, *head;
	lxw_row_t row;
	char *cell;   /* a NUL-terminated copy of the cell being written */
	size_t cap;
};

static const char *cstr(struct lb_xlsx *x, const void *s, size_t n)
{
	if (n + 1 > x->cap) {
		char *p = realloc(x->cell, n + 1);
		if (!p)
			return NULL;
		x->cell = p;
		x->cap = n + 1;
	}
	memcpy(x->cell, s, n);
	x->cell[n] = '\0';
	return x->cell;
}

lb_err lb_xlsx_open(struct lb_xlsx **out, const char *path, const struct lb_type *t,
                    struct lb_diag *d)
{
	/* constant memory: rows go to a temporary file as they are written, so
	 * a village's 20,000 residents never sit in memory at once */
	lxw_workbook_options o = {.constant_memory = LXW_TRUE};
	struct lb_xlsx *x;
	lxw_col_t c = 0;

	*out = NULL;
	if (!(x = calloc(1, sizeof *x)) || !(x->path = strdup(path))) {
		free(x);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	x->t = t;
	if (!(x->wb = workbook_new_opt(path, &o)) || !(x->ws = workbook_add_worksheet(x->wb, t->name))) {
		if (x->wb)
			workbook_close(x->wb);
		remove(path);
		free(x->path);
		free(x);
		return lb_fail(d, LB_EIO, "%s: cannot create the workbook", path);
	}
	x->date = workbook_add_format(x->wb);
	format_set_num_format(x->date, "dd/mm/yyyy");
	x->text = workbook_add_format(x->wb);
	format_set_num_format(x->text, "@"); /* a cell typed into later stays text */
	x->head = workbook_add_format(x->wb);
	format_set_bold(x->head);
	if (!t->id_field)
		worksheet_write_string(x->ws, 0, c++, "id", x->head);
	for (size_t i = 0; i < t->nfields; i++, c++) {
		const struct lb_field *f = &t->fields[i];
		worksheet_write_string(x->ws, 0, c, f->name, x->head);
		if (f->kind == LB_K_DATE)
			worksheet_set_column(x->ws, c, c, 12, x->date);
		else if (f->kind == LB_K_NIK || f->kind == LB_K_DIGITS)
			worksheet_set_column(x->ws, c, c, f->kind == LB_K_NIK || f->max > 8 ? 19 : 6,
			                     x->text);
	}
	worksheet_freeze_panes(x->ws, 1, 0);
	*out = x;
	return LB_OK;
}

/* "YYYY-MM-DD" (schema-checked on write) as a date; NULL otherwise. */
static bool parse_date(const uint8_t *s, size_t n, lxw_datetime *dt)
{
	int v[8];
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0, k = 0; i < 10; i++) {
		if (i == 4 || i == 7)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return false;
		v[k++] = s[i] - '0';
	}
	*dt = (lxw_datetime){.year = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3],
	                     .month = v[4] * 10 + v[5], .day = v[6] * 10 + v[7]};
	return dt->year >= 1900 && dt->month >= 1 && dt->month <= 12 && dt->day >= 1;
}

lb_err lb_xlsx_record(struct lb_xlsx *x, const char *id, size_t id_len, const uint8_t *body,
                      size_t body_len, struct lb_diag *d)
{
	const struct lb_type *t = x->t;
	struct lb_mp_rd r;
	struct lb_mp_obj o, k, v;
	lxw_col_t base = t->id_field ? 0 : 1;
	lxw_error xe = LXW_NO_ERROR;
	const char *s;

	if (x->row >= XLSX_MAX_ROWS)
		return lb_fail(d, LB_ETOOBIG, "more than %u %s records do not fit one sheet",
		               XLSX_MAX_ROWS, t->name);
	x->row++;
	if (!t->id_field) {
		if (!(s = cstr(x, id, id_len)))
			return lb_fail(d, LB_ENOMEM, "out of memory");
		xe = worksheet_write_string(x->ws, x->row, 0, s, NULL);
	}
	lb_mp_rd_init(&r, body, body_len);
	if (lb_mp_next(&r, &o, d) || o.kind != LB_MP_MAP)
		return lb_fail(d, LB_ECORRUPT, "%s %.*s: stored body is not a map", t->name,
		               (int)id_len, id);
	for (uint32_t i = 0; i < o.len && xe == LXW_NO_ERROR; i++) {
		const struct lb_field *f;
		lxw_datetime dt;
		if (lb_mp_next(&r, &k, d) || k.kind != LB_MP_STR || lb_mp_next(&r, &v, d) ||
		    v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP)
			return lb_fail(d, LB_ECORRUPT, "%s %.*s: unreadable body", t->name, (int)id_len,
			               id);
		if (!(f = lb_type_field(t, (const char *)k.s, k.len)))
			continue; /* as the CSV export: fields of the latest schema only */
		lxw_col_t c = (lxw_col_t)(base + (size_t)(f - t->fields));
		switch (v.kind) {
		case LB_MP_STR:
			if (!(s = cstr(x, v.s, v.len)))
				return lb_fail(d, LB_ENOMEM, "out of memory");
			if (f->kind == LB_K_DATE && parse_date(v.s, v.len, &dt))
				xe = worksheet_write_datetime(x->ws, x->row, c, &dt, x->date);
			else
				/* write_string never makes a formula of "=..." */
				xe = worksheet_write_string(x->ws, x->row, c, s,
				                            f->kind == LB_K_NIK || f->kind == LB_K_DIGITS
				                                    ? x->text
				                                    : NULL);
			break;
		case LB_MP_UINT:
			xe = worksheet_write_number(x->ws, x->row, c, (double)v.v.u, NULL);
			break;
		case LB_MP_INT:
			xe = worksheet_write_number(x->ws, x->row, c, (double)v.v.i, NULL);
			break;
		case LB_MP_FLOAT:
			xe = worksheet_write_number(x->ws, x->row, c, v.v.f, NULL);
			break;
		case LB_MP_BOOL:
			xe = worksheet_write_boolean(x->ws, x->row, c, v.v.b, NULL);
			break;
		default:
			break;
		}
	}
	if (xe != LXW_NO_ERROR)
		return lb_fail(d, LB_EIO, "%s: %s", x->path, lxw_strerror(xe));
	return LB_OK;
}

lb_err lb_xlsx_close(struct lb_xlsx *x, lb_err e, struct lb_diag *d)
{
	lxw_error xe;

	if (!x)
		return e;
	xe = workbook_close(x->wb);
	if (!e && xe != LXW_NO_ERROR)
		e = lb_fail(d, LB_EIO, "%s: %s", x->path, lxw_strerror(xe));
	if (e)
		remove(x->path);
	free(x->cell);
	free(x->path);
	free(x);
	return e;
}
