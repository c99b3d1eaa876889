/*
 * csvio.c — CSV import and export (see csvio.h).
 *
 * libcsv is a push parser: we feed it the file in chunks and it calls back
 * per cell and per end of row.  The row callback of the caller runs from
 * inside libcsv's end-of-row callback; an error there is remembered and
 * stops the feeding loop.
 */
#include "csvio.h"

#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>

#include "../schema/text.h"
#include "../schema/value.h"

#define CELL_MAX (64 * 1024)
#define CELLS_MAX 1000

/* ---- reading ------------------------------------------------------------- */

struct reader {
	char **cells;
	size_t n, cap;
	unsigned long row;
	int last_term; /* terminator of the previous row end, for CRLF */
	unsigned long calls; /* rows handed to fn */
	lb_csv_row_fn fn;
	void *ctx;
	lb_err err;
	struct lb_diag *d;
};

static void on_cell(void *s, size_t len, void *data)
{
	struct reader *r = data;
	char *c;

	if (r->err)
		return;
	if (len > CELL_MAX) {
		r->err = lb_fail(r->d, LB_ETOOBIG, "row %lu: a cell is longer than %d bytes", r->row + 1,
		                 CELL_MAX);
		return;
	}
	/* A NUL would silently end the cell at it (cells are C strings from
	 * here on); JSON and put refuse it, so CSV does too. */
	if (len && memchr(s, '\0', len)) {
		r->err = lb_fail(r->d, LB_EMALFORMED, "row %lu, column %zu: the cell contains a NUL "
		                 "byte", r->row + 1, r->n + 1);
		return;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 32;
		char **p;
		if (nc > CELLS_MAX) {
			r->err = lb_fail(r->d, LB_ETOOBIG, "row %lu has more than %d cells", r->row + 1,
			                 CELLS_MAX);
			return;
		}
		if (!(p = realloc(r->cells, nc * sizeof *p))) {
			r->err = lb_fail(r->d, LB_ENOMEM, "out of memory");
			return;
		}
		r->cells = p;
		r->cap = nc;
	}
	if (!(c = malloc(len + 1))) {
		r->err = lb_fail(r->d, LB_ENOMEM, "out of memory");
		return;
	}
	if (len)
		memcpy(c, s, len);
	c[len] = '\0';
	r->cells[r->n++] = c;
}

static void clear_cells(struct reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->cells[i]);
	r->n = 0;
}

/* With CSV_REPALL_NL libcsv reports every line end, so empty lines count
 * and row numbers match the spreadsheet's; the LF of a CRLF is the same
 * line end as its CR and is not counted again. */
static void on_row(int term, void *data)
{
	struct reader *r = data;
	bool empty = true;
	bool lf_of_crlf = r->n == 0 && term == '\n' && r->last_term == '\r';

	r->last_term = term;
	if (lf_of_crlf)
		return;
	r->row++;
	if (!r->err) {
		for (size_t i = 0; i < r->n && empty; i++)
			empty = r->cells[i][0] == '\0';
		if (!empty) {
			r->calls++;
			r->err = r->fn(r->ctx, r->cells, r->n, r->row, r->d);
		}
	}
	clear_cells(r);
}

/* The separator that occurs most often outside quotes in the first line. */
static char detect_sep(const char *buf, size_t len)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;

	for (size_t i = 0; i < len && (quoted || (buf[i] != '\n' && buf[i] != '\r')); i++) {
		if (buf[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			comma += buf[i] == ',', semi += buf[i] == ';', tab += buf[i] == '\t';
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma)
		return '\t';
	return ',';
}

/* The iconv name of an encoding a clerk may name, NULL for UTF-8 (read as
 * it is), "" for a name we do not know. */
static const char *iconv_name(const char *enc)
{
	static const struct {
		const char *name, *iconv;
	} known[] = {
		{"utf-8", NULL},         {"utf8", NULL},          {"cp1252", "CP1252"},
		{"windows-1252", "CP1252"}, {"latin1", "ISO-8859-1"}, {"iso-8859-1", "ISO-8859-1"},
	};

	if (!enc)
		return NULL;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcasecmp(enc, known[i].name))
			return known[i].iconv;
	return "";
}

bool lb_csv_encoding_known(const char *name)
{
	const char *c = iconv_name(name);
	return !c || *c;
}

struct feeder {
	struct csv_parser p;
	struct reader r;
	bool first;
	char sep;
	char *sep_used;
};

/* Hand UTF-8 text to libcsv; the first call sees the start of the file
 * (byte-order mark, separator detection). */
static void feed(struct feeder *fd, const char *at, size_t len)
{
	if (!len || fd->r.err)
		return;
	if (fd->first) {
		fd->first = false;
		if (len >= 3 && !memcmp(at, "\xEF\xBB\xBF", 3)) { /* UTF-8 byte-order mark */
			at += 3;
			len -= 3;
		}
		if (!fd->sep)
			fd->sep = detect_sep(at, len);
		csv_set_delim(&fd->p, (unsigned char)fd->sep);
		if (fd->sep_used) /* before any row callback, which may write CSV too */
			*fd->sep_used = fd->sep;
	}
	if (csv_parse(&fd->p, at, len, on_cell, on_row, &fd->r) != len && !fd->r.err)
		fd->r.err = lb_fail(fd->r.d, LB_EMALFORMED, "row %lu: %s", fd->r.row + 1,
		                    csv_strerror(csv_error(&fd->p)));
}

lb_err lb_csv_read(const char *path, char sep, lb_csv_row_fn row, void *ctx, char *sep_used,
                   struct lb_diag *d)
{
	return lb_csv_read_enc(path, sep, NULL, row, ctx, sep_used, d);
}

lb_err lb_csv_read_enc(const char *path, char sep, const char *encoding, lb_csv_row_fn row,
                       void *ctx, char *sep_used, struct lb_diag *d)
{
	struct feeder fd = {.r = {.fn = row, .ctx = ctx, .d = d}, .first = true, .sep = sep,
	                    .sep_used = sep_used};
	struct reader *r = &fd.r;
	const char *from = iconv_name(encoding);
	iconv_t cd = (iconv_t)-1;
	char buf[64 * 1024], out[4 * 64 * 1024];
	size_t len, carry = 0;
	unsigned long long offset = 0; /* file offset of buf[0] */
	FILE *f;

	if (from && !*from)
		return lb_fail(d, LB_EINVAL, "unknown encoding \"%.40s\" (known: utf-8, cp1252, latin1)",
		               encoding);
	if (from && (cd = iconv_open("UTF-8", from)) == (iconv_t)-1)
		return lb_fail(d, LB_EIO, "cannot convert from %s: %s", from, strerror(errno));
	if (!(f = fopen(path, "rb"))) {
		lb_err e = lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
		if (cd != (iconv_t)-1)
			iconv_close(cd);
		return e;
	}
	if (csv_init(&fd.p, CSV_APPEND_NULL | CSV_REPALL_NL) != 0) {
		fclose(f);
		if (cd != (iconv_t)-1)
			iconv_close(cd);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	while (!r->err && (len = fread(buf + carry, 1, sizeof buf - carry, f)) > 0) {
		char *in = buf, *o = out;
		size_t inleft = carry + len, oleft = sizeof out;

		if (cd == (iconv_t)-1) {
			feed(&fd, buf, len);
			continue;
		}
		/* out has room for 4 bytes per input byte: iconv stops only at
		 * a bad byte or at a character cut by the end of buf. */
		if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1 && errno != EINVAL) {
			r->err = lb_fail(d, LB_EMALFORMED, "%s: byte %llu (0x%02X) is not %s text", path,
			                 offset + (unsigned long long)(in - buf) + 1, (unsigned char)*in,
			                 encoding);
			break;
		}
		feed(&fd, out, sizeof out - oleft);
		offset += (unsigned long long)(in - buf);
		memmove(buf, in, inleft);
		carry = inleft;
	}
	if (!r->err && carry)
		r->err = lb_fail(d, LB_EMALFORMED, "%s: the file ends inside a character", path);
	if (!r->err && ferror(f))
		r->err = lb_fail(d, LB_EIO, "%s: read error", path);
	/* Not CSV_STRICT: it refuses Excel's unquoted ="0123" cells.  But an
	 * unclosed quote would silently swallow the rest of the file into one
	 * cell, so catch it: libcsv 3's state 2 (FIELD_BEGUN) inside a quoted
	 * field at end of input means the closing quote never came. */
	if (!r->err && fd.p.quoted && fd.p.pstate == 2)
		r->err = lb_fail(d, LB_EMALFORMED, "row %lu: a quoted cell is never closed", r->row + 1);
	if (!r->err && csv_fini(&fd.p, on_cell, on_row, r) != 0 && !r->err)
		r->err = lb_fail(d, LB_EMALFORMED, "row %lu: %s (an unclosed quote?)", r->row + 1,
		                 csv_strerror(csv_error(&fd.p)));
	if (!r->err && r->calls == 0)
		r->err = lb_fail(d, LB_EMALFORMED, "%s is empty: expected a header row", path);
	clear_cells(r);
	free(r->cells);
	csv_free(&fd.p);
	fclose(f);
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return r->err;
}

/* ---- header mapping and rows ---------------------------------------------- */

struct lb_csv_map {
	const struct lb_type *type;
	size_t ncols;
	const struct lb_field **col;  /* field per column, NULL for the id column */
	size_t id_col;                /* column holding the record id */
	size_t *order;                /* field columns in canonical key order */
	size_t nfields;
};

void lb_csv_map_free(struct lb_csv_map *m)
{
	if (!m)
		return;
	free(m->col);
	free(m->order);
	free(m);
}

/* Trim ASCII blanks in place (the string keeps its address: cells are
 * owned, and freed, by the reader). */
static char *trim(char *s)
{
	size_t n = strlen(s), lead = strspn(s, " \t");

	while (n > lead && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	memmove(s, s + lead, n - lead);
	s[n - lead] = '\0';
	return s;
}

static const struct lb_csv_map *sort_map; /* qsort has no context argument */

static int by_name(const void *a, const void *b)
{
	const struct lb_field *x = sort_map->col[*(const size_t *)a];
	const struct lb_field *y = sort_map->col[*(const size_t *)b];
	return strcmp(x->name, y->name); /* ASCII names: strcmp is memcmp order */
}

/* "the fields of t" for a message: "nik, no_kk, nama, ..." into out. */
static const char *field_list(const struct lb_type *t, char *out, size_t n)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->nfields && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s%s", i ? ", " : "", t->fields[i].name);
	return out;
}

lb_err lb_csv_map_new(struct lb_csv_map **out, const struct lb_schema *s, const char *type,
                      char **header, size_t n, struct lb_diag *d)
{
	const struct lb_type *t = lb_schema_type(s, type);
	struct lb_csv_map *m;
	bool have_id = false;
	char esc[LB_ESC_BUF], fields[320];

	*out = NULL;
	if (!t)
		return lb_schema_validate(s, type, "", 0, NULL, 0, NULL, d); /* "unknown type ..." */
	if (!(m = calloc(1, sizeof *m)) || !(m->col = calloc(n ? n : 1, sizeof *m->col)) ||
	    !(m->order = calloc(n ? n : 1, sizeof *m->order))) {
		lb_csv_map_free(m);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	/* Spreadsheets often write empty cells after the last real column
	 * (a column someone once touched): they are not columns. */
	while (n > 0 && header[n - 1] && !*trim(header[n - 1]))
		n--;
	m->type = t;
	m->ncols = n;
	for (size_t i = 0; i < n; i++) {
		char *name;
		char key[LB_KEY_MAX], rkey[LB_KEY_MAX];

		/* columns to leave out: NULL (an import profile drops it) and the
		 * reason column of a rejects file */
		if (!header[i])
			continue;
		name = trim(header[i]);
		if (lb_value_key(name, strlen(name), key, sizeof key) ==
		        lb_value_key(LB_CSV_REASON_COLUMN, strlen(LB_CSV_REASON_COLUMN), rkey, sizeof rkey) &&
		    !strcmp(key, rkey))
			continue;
		if (!t->id_field && !strcmp(key, "id")) {
			if (have_id)
				goto dup;
			have_id = true;
			m->id_col = i;
			continue;
		}
		if (!(m->col[i] = lb_type_field_loose(t, name))) {
			lb_csv_map_free(m);
			return lb_fail(d, LB_ESCHEMA, "column %zu \"%s\" is not a field of %s; fields: %s",
			               i + 1, lb_escape(esc, name, strlen(name)), type,
			               field_list(t, fields, sizeof fields));
		}
		for (size_t k = 0; k < i; k++)
			if (m->col[k] == m->col[i])
				goto dup;
		if (t->id_field && !strcmp(m->col[i]->name, t->id_field)) {
			have_id = true;
			m->id_col = i;
		}
		m->order[m->nfields++] = i;
		continue;
	dup: {
		lb_err e = lb_fail(d, LB_ESCHEMA,
		                   "field \"%s\" appears twice in the header (column %zu \"%s\")",
		                   m->col[i] ? m->col[i]->name : "id", i + 1,
		                   lb_escape(esc, name, strlen(name)));
		lb_csv_map_free(m);
		return e;
	}
	}
	if (!have_id) {
		lb_csv_map_free(m);
		return lb_fail(d, LB_ESCHEMA, "the header has no %s column (the record id)",
		               t->id_field ? t->id_field : "id");
	}
	sort_map = m;
	qsort(m->order, m->nfields, sizeof *m->order, by_name);
	sort_map = NULL;
	*out = m;
	return LB_OK;
}

/* Characters that make a spreadsheet treat a cell as a formula. */
static bool formula_start(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/*
 * The guard, and its exact inverse (docs/FORMAT.md, "CSV"):
 *   export puts a ' before a text value that starts with a formula
 *   character (so a citizen's aspirasi reading "=HYPERLINK(...)" stays text
 *   in the district office's Excel), with a ' (so a value that really
 *   starts with one keeps it), or starts or ends with a blank (which import
 *   would otherwise trim);
 *   import takes exactly one leading ' off a cell and keeps the rest as it
 *   is, untrimmed and not unwrapped.
 * So every value comes back byte for byte from export -> import.
 */
static bool needs_guard(const char *s, size_t n)
{
	return n && (formula_start(s[0]) || s[0] == '\'' || s[0] == ' ' || s[n - 1] == ' ' ||
	             s[n - 1] == '\t');
}

/* A cell's value, in place: a guarded cell ('...) is the text after the
 * apostrophe; any other is trimmed, and Excel's ="0123" digit cells are
 * unwrapped. */
static void cell_value(char *c)
{
	size_t n;

	if (c[0] == '\'') {
		memmove(c, c + 1, strlen(c));
		return;
	}
	n = strlen(trim(c));
	if (n >= 3 && c[0] == '=' && c[1] == '"' && c[n - 1] == '"' &&
	    strspn(c + 2, "0123456789") == n - 3) {
		memmove(c, c + 2, n - 3);
		c[n - 3] = '\0';
	}
}

/* Append "; part" (or part, first) to acc (LB_DIAG_MAX bytes); once it is
 * full, end it with "…" and keep it so. */
static void join(char *acc, const char *part)
{
	static const char more[] = "\xE2\x80\xA6"; /* … */
	size_t n = strlen(acc), pn = strlen(part);
	size_t room = LB_DIAG_MAX - 1 - n;

	if (n >= sizeof more - 1 && !strcmp(acc + n - (sizeof more - 1), more))
		return; /* already cut */
	if ((n ? 2 : 0) + pn + sizeof more - 1 <= room) {
		if (n)
			memcpy(acc + n, "; ", 2), n += 2;
		memcpy(acc + n, part, pn + 1);
		return;
	}
	if (room < sizeof more + 2)
		n = LB_DIAG_MAX - sizeof more - 3;
	snprintf(acc + n, LB_DIAG_MAX - n, "%s%s", n ? "; " : "", more);
}

lb_err lb_csv_row_record(const struct lb_csv_map *m, char **cells, size_t n, const char **id,
                         size_t *id_len, struct lb_mp_buf *out, struct lb_diag *d)
{
	return lb_csv_row_record_all(m, cells, n, id, id_len, out, NULL, d);
}

lb_err lb_csv_row_record_all(const struct lb_csv_map *m, char **cells, size_t n, const char **id,
                             size_t *id_len, struct lb_mp_buf *out, struct lb_csv_notes *notes,
                             struct lb_diag *d)
{
	struct lb_value *vals;
	bool *ok;
	char **msgs;       /* per field of the type: why its cell could not be read */
	size_t nmsgs = 0;
	char acc[LB_DIAG_MAX] = "";
	uint32_t present = 0;
	lb_err first = LB_OK;

	*id = NULL;
	*id_len = 0;
	if (notes) {
		notes->hints = 0;
		memset(notes->bad, 0, sizeof notes->bad);
	}
	for (size_t i = 0; i < n; i++)
		cell_value(cells[i]);
	while (n > m->ncols && !cells[n - 1][0]) /* empty trailing cells */
		n--;
	if (n > m->ncols)
		return lb_fail(d, LB_ESCHEMA, "the row has %zu cells but the header only %zu", n,
		               m->ncols);
	if (!(vals = calloc(m->nfields ? m->nfields : 1, sizeof *vals + sizeof *ok)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	ok = (bool *)(vals + (m->nfields ? m->nfields : 1));
	if (!(msgs = calloc(m->type->nfields + 1, sizeof *msgs))) {
		free(vals);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	if (m->id_col >= n || !cells[m->id_col][0]) {
		first = lb_fail(d, LB_ESCHEMA, "no record id (column %s is empty)",
		                m->type->id_field ? m->type->id_field : "id");
		join(acc, lb_diag_msg(d, first));
	} else {
		*id = cells[m->id_col];
		*id_len = strlen(*id);
	}
	/* Every cell is read, so a row with three mistakes names all three. */
	for (size_t k = 0; k < m->nfields; k++) {
		size_t c = m->order[k];
		const struct lb_field *f = m->col[c];
		struct lb_diag cd = {0};
		lb_err e;

		if (c >= n || !cells[c][0])
			continue;
		if ((e = lb_field_read_ex(f, cells[c], LB_READ_KEEP_BLANKS, &vals[k], &cd))) {
			if (!first)
				first = e;
			if ((msgs[f - m->type->fields] = strdup(lb_diag_msg(&cd, e))))
				nmsgs++;
			else
				join(acc, lb_diag_msg(&cd, e)); /* out of memory: out of order */
			if (notes) {
				size_t fi = (size_t)(f - m->type->fields);
				if (vals[k].hint)
					notes->hints |= 1u << vals[k].hint;
				if (fi < 256)
					notes->bad[fi / 64] |= 1ull << (fi % 64);
			}
			continue;
		}
		ok[k] = true;
		present++;
		if (c == m->id_col && vals[k].kind == LB_V_STR &&
		    (vals[k].len != *id_len || memcmp(vals[k].str, *id, *id_len))) {
			/* the id is what is stored in its field; it only gets shorter
			 * (blanks, spellings), so it fits in the cell */
			if (vals[k].len <= strlen(cells[c])) {
				memmove(cells[c], vals[k].str, vals[k].len);
				cells[c][vals[k].len] = '\0';
				vals[k].str = cells[c];
				*id_len = vals[k].len;
			}
		}
	}
	/* the problems in the type's field order, as the schema lists them */
	for (size_t fi = 0; fi < m->type->nfields && nmsgs; fi++)
		if (msgs[fi]) {
			join(acc, msgs[fi]);
			free(msgs[fi]);
			nmsgs--;
		}
	free(msgs);
	/* The cells that could be read make the body even when some could not:
	 * the caller may still validate it to find the remaining problems. */
	lb_mp_put_map(out, present);
	for (size_t k = 0; k < m->nfields; k++) {
		size_t c = m->order[k];
		const struct lb_field *f = m->col[c];
		const struct lb_value *v = &vals[k];

		if (c >= n || !cells[c][0] || !ok[k])
			continue; /* empty, or not read */
		if (notes && notes->rewritten && v->rewritten && !first)
			notes->rewritten(notes->ctx, f, cells[c], v);
		lb_mp_put_str(out, f->name, f->name_len);
		if (v->kind == LB_V_NUM)
			lb_mp_put_int(out, v->num);
		else if (v->kind == LB_V_BOOL)
			lb_mp_put_bool(out, v->b);
		else
			lb_mp_put_str(out, v->str, v->len);
	}
	free(vals);
	if (out->oom)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	return first ? lb_fail(d, first, "%s", acc) : LB_OK;
}

/* ---- writing --------------------------------------------------------------- */

static lb_err put_cell(FILE *f, char sep, bool first, const char *s, size_t n)
{
	if ((!first && fputc(sep, f) == EOF) || csv_fwrite(f, s, n) != 0)
		return LB_EIO;
	return LB_OK;
}

/* A text value as a cell, guarded when it needs it (needs_guard). */
static lb_err put_text(FILE *f, char sep, bool first, const char *s, size_t n)
{
	char *g;
	lb_err e;

	if (!needs_guard(s, n))
		return put_cell(f, sep, first, s, n);
	if (!(g = malloc(n + 1)))
		return LB_ENOMEM;
	g[0] = '\'';
	memcpy(g + 1, s, n);
	e = put_cell(f, sep, first, g, n + 1);
	free(g);
	return e;
}

static lb_err end_row(FILE *f, lb_err e, struct lb_diag *d)
{
	if (e || fputs("\r\n", f) == EOF || ferror(f)) {
		if (errno == ENOSPC)
			return lb_fail(d, LB_EFULL, "writing CSV: disk full");
		return lb_fail(d, LB_EIO, "writing CSV: %s", strerror(errno ? errno : EIO));
	}
	return LB_OK;
}

lb_err lb_csv_write_header(FILE *f, const struct lb_type *t, char sep, struct lb_diag *d)
{
	return lb_csv_write_header_pre(f, t, sep, NULL, 0, d);
}

lb_err lb_csv_write_header_pre(FILE *f, const struct lb_type *t, char sep,
                               const char *const *pre, size_t npre, struct lb_diag *d)
{
	lb_err e = fputs("\xEF\xBB\xBF", f) == EOF ? LB_EIO : LB_OK;
	bool first = true;

	for (size_t i = 0; i < npre && !e; i++, first = false)
		e = put_cell(f, sep, first, pre[i], strlen(pre[i]));
	if (!e && !t->id_field) {
		e = put_cell(f, sep, first, "id", 2);
		first = false;
	}
	for (size_t i = 0; i < t->nfields && !e; i++, first = false)
		e = put_cell(f, sep, first, t->fields[i].name, t->fields[i].name_len);
	return end_row(f, e, d);
}

lb_err lb_csv_write_cells(FILE *f, char sep, char **cells, size_t n, struct lb_diag *d)
{
	lb_err e = LB_OK;
	for (size_t i = 0; i < n && !e; i++)
		e = put_cell(f, sep, i == 0, cells[i], strlen(cells[i]));
	return end_row(f, e, d);
}

lb_err lb_csv_write_record(FILE *f, const struct lb_type *t, char sep, bool excel,
                           const char *id, size_t id_len, const uint8_t *body, size_t body_len,
                           struct lb_diag *d)
{
	return lb_csv_write_record_pre(f, t, sep, excel, NULL, 0, id, id_len, body, body_len, d);
}

lb_err lb_csv_write_record_pre(FILE *f, const struct lb_type *t, char sep, bool excel,
                               const char *const *pre, size_t npre, const char *id,
                               size_t id_len, const uint8_t *body, size_t body_len,
                               struct lb_diag *d)
{
	struct lb_mp_obj vals[256];
	bool have[256] = {false};
	struct lb_mp_rd r;
	struct lb_mp_obj o;
	lb_err e = LB_OK;
	bool first = true;

	if (t->nfields > 256)
		return lb_fail(d, LB_EINVAL, "type %s has too many fields to export", t->name);
	lb_mp_rd_init(&r, body, body_len);
	if (lb_mp_next(&r, &o, d) || o.kind != LB_MP_MAP)
		return lb_fail(d, LB_ECORRUPT, "%s %.*s: stored body is not a map", t->name, (int)id_len,
		               id);
	for (uint32_t i = 0; i < o.len; i++) {
		struct lb_mp_obj k, v;
		const struct lb_field *fd;
		if (lb_mp_next(&r, &k, d) || k.kind != LB_MP_STR || lb_mp_next(&r, &v, d))
			return lb_fail(d, LB_ECORRUPT, "%s %.*s: unreadable body", t->name, (int)id_len, id);
		if ((fd = lb_type_field(t, (const char *)k.s, k.len))) {
			vals[fd - t->fields] = v;
			have[fd - t->fields] = true;
		}
		if (v.kind == LB_MP_ARRAY || v.kind == LB_MP_MAP)
			return lb_fail(d, LB_ECORRUPT, "%s %.*s: nested value", t->name, (int)id_len, id);
	}
	for (size_t i = 0; i < npre; i++, first = false)
		if ((e = put_text(f, sep, first, pre[i], strlen(pre[i]))) == LB_ENOMEM)
			return lb_fail(d, e, "out of memory");
		else if (e)
			return end_row(f, e, d);
	if (!t->id_field) {
		if ((e = put_text(f, sep, first, id, id_len)) == LB_ENOMEM)
			return lb_fail(d, e, "out of memory");
		first = false;
	}
	for (size_t i = 0; i < t->nfields && !e; i++, first = false) {
		const struct lb_mp_obj *v = &vals[i];
		char num[48], *wrapped = NULL;
		const char *s = "";
		size_t n = 0;

		if (have[i]) {
			switch (v->kind) {
			case LB_MP_STR:
				s = (const char *)v->s;
				n = v->len;
				if (excel && (t->fields[i].kind == LB_K_DIGITS || t->fields[i].kind == LB_K_NIK) &&
				    (wrapped = malloc(n + 4))) {
					wrapped[0] = '=';
					wrapped[1] = '"';
					memcpy(wrapped + 2, s, n);
					wrapped[n + 2] = '"';
					s = wrapped;
					n += 3;
				} else {
					if ((e = put_text(f, sep, first, s, n)) == LB_ENOMEM)
						return lb_fail(d, e, "out of memory");
					continue;
				}
				break;
			case LB_MP_UINT:
				n = (size_t)snprintf(num, sizeof num, "%" PRIu64, v->v.u);
				s = num;
				break;
			case LB_MP_INT:
				n = (size_t)snprintf(num, sizeof num, "%" PRId64, v->v.i);
				s = num;
				break;
			case LB_MP_BOOL:
				s = v->v.b ? "true" : "false";
				n = strlen(s);
				break;
			case LB_MP_FLOAT:
				n = (size_t)snprintf(num, sizeof num, "%.17g", v->v.f);
				s = num;
				break;
			default:
				break;
			}
		}
		e = put_cell(f, sep, first, s, n);
		free(wrapped);
	}
	return end_row(f, e, d);
}
