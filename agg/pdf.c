/*
 * pdf.c — a report printed as an A4 PDF in Indonesian (pdf.h).
 *
 * Everything is drawn from the report's JSON (docs/REPORTS.md), generically:
 * every array of rows is a table whose columns are its rows' members, titled
 * with the report's Indonesian headers (lb_report_head).  A report of one row
 * (ringkasan, perkembangan) is printed as a list "Uraian | L | P | Jumlah",
 * the way the paper forms (Lampiran A-9) are; a table whose first column
 * repeats (penduduk's kategori) gets a group row per value.  The document is
 * laid out twice: once into a discarding surface to count the pages
 * ("Halaman n dari N"), then into the file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <fontconfig/fontconfig.h>
#include <cairo.h>
#include <qrencode.h>

#include "pdf.h"
#include "report.h"

#define MM (72.0 / 25.4)
#define PAGE_W (210.0 * MM)
#define PAGE_H (297.0 * MM)
#define M_LEFT (25.0 * MM)
#define M_RIGHT (20.0 * MM)
#define M_TOP (15.0 * MM)
#define M_BOTTOM (20.0 * MM)
#define TEXT_W (PAGE_W - M_LEFT - M_RIGHT)
#define Y_MAX (PAGE_H - M_BOTTOM - 6.0 * MM) /* the footer is below */
#define FONT "DejaVu Sans"
#define PAD (1.3 * MM)

struct pdf {
	cairo_t *cr;
	double y;
	int page, pages; /* this page; the total (0 while counting) */
	const json_t *rep;
	const struct lb_pdf_kop *kop;
	const char *name;  /* report name */
	char title[256];   /* "LAPORAN ..." */
	char period[128];  /* "Bulan Mei 2026" / "Keadaan per tanggal ..." */
	char vname[160];   /* "Desa Sukamaju" */
	const char *stamp; /* NULL: none */
	QRcode *qr;
	bool oom;
};

/* src into dst of cap bytes, cut to fit (on a UTF-8 boundary) */
static void cpy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

static void font(struct pdf *p, double size, bool bold)
{
	cairo_select_font_face(p->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(p->cr, size);
}

static double text_w(struct pdf *p, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(p->cr, s, &e);
	return e.x_advance;
}

/* Text at baseline y: align 0 left of x, 1 centred on x, 2 right of x. */
static void show(struct pdf *p, double x, double y, const char *s, int align)
{
	double w = align ? text_w(p, s) : 0;
	cairo_move_to(p->cr, align == 1 ? x - w / 2 : align == 2 ? x - w : x, y);
	cairo_show_text(p->cr, s);
}

static void hline(struct pdf *p, double x0, double x1, double y, double width)
{
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, x0, y);
	cairo_line_to(p->cr, x1, y);
	cairo_stroke(p->cr);
}

/* s upper-cased (ASCII letters; other bytes kept) into out. */
static void upper(char *out, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s[i] && i + 1 < cap; i++)
		out[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
	out[i] = '\0';
}

static const char *const bulan[] = {"Januari", "Februari", "Maret",     "April",
                                    "Mei",     "Juni",     "Juli",      "Agustus",
                                    "September", "Oktober", "November", "Desember"};

void lb_pdf_shutdown(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

void lb_pdf_tanggal(char *out, size_t cap, const char *iso)
{
	int y, m, d;
	char c;
	if (sscanf(iso, "%4d-%2d-%2d%c", &y, &m, &d, &c) == 3 && m >= 1 && m <= 12)
		snprintf(out, cap, "%d %s %d", d, bulan[m - 1], y);
	else if (sscanf(iso, "%4d-%2d%c", &y, &m, &c) == 2 && m >= 1 && m <= 12)
		snprintf(out, cap, "%s %d", bulan[m - 1], y);
	else
		cpy(out, cap, iso);
}

/* The village's name without a leading "Desa " (villages often give it so:
 * "Desa Sukamaju"), since the kop prints "DESA" itself; its code when it
 * has no name. */
static const char *bare_name(const struct lb_pdf_kop *k)
{
	const char *n = nz(k->village_name);
	if (!*n)
		return nz(k->village);
	if (!strncasecmp(n, "desa ", 5) && n[5])
		n += 5;
	return n;
}

/* An integer with Indonesian digit grouping: 1.234.567. */
static void grouped(char *out, size_t cap, long long v)
{
	char dig[32];
	size_t n, o = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	snprintf(dig, sizeof dig, "%llu", u);
	n = strlen(dig);
	if (v < 0 && o + 1 < cap)
		out[o++] = '-';
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		if (i && (n - i) % 3 == 0)
			out[o++] = '.';
		out[o++] = dig[i];
	}
	out[o] = '\0';
}

/* A JSON value as printed in a cell (malloc'd; NULL out of memory). */
static char *cell_text(const json_t *v)
{
	char b[64];
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		grouped(b, sizeof b, (long long)json_integer_value(v));
		return strdup(b);
	}
	if (json_is_real(v)) { /* one decimal, decimal comma: 12,5 */
		double r = json_real_value(v);
		long long t = (long long)(r * 10.0 + (r < 0 ? -0.5 : 0.5));
		char ip[40];
		grouped(ip, sizeof ip, t / 10);
		snprintf(b, sizeof b, "%s%s,%lld", t < 0 && t / 10 == 0 ? "-" : "", ip,
		         (t < 0 ? -t : t) % 10);
		return strdup(b);
	}
	if (json_is_true(v))
		return strdup("ya");
	if (json_is_false(v))
		return strdup("tidak");
	return strdup("");
}

/* An enumerated value or category as words: "status_perkawinan" ->
 * "Status perkawinan", "wajib_ktp" -> "Wajib KTP"; "L", "0-4" unchanged. */
static char *pretty(const char *s)
{
	static const char *const acr[] = {"ktp", "sd", "sltp", "slta", "s1", "s2", "s3", "nik",
	                                  "ii", "iii", "iv", "kk", "pns", "tni", "polri", "bumn", NULL};
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && s[j] != '_')
			j++;
		bool ac = false;
		for (size_t k = 0; acr[k]; k++)
			ac |= strlen(acr[k]) == j - i && !strncmp(acr[k], s + i, j - i);
		for (size_t k = i; k < j; k++) {
			char c = s[k];
			if (c >= 'a' && c <= 'z' && (ac || (o == 0 && k == i)))
				c = (char)(c - 'a' + 'A');
			out[o++] = c;
		}
		if (j < n)
			out[o++] = ' ';
		i = j + 1;
	}
	out[o] = '\0';
	return out;
}

/* ---- pages -------------------------------------------------------------- */

static void footer(struct pdf *p)
{
	char b[96];
	double y = PAGE_H - M_BOTTOM;
	cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
	hline(p, M_LEFT, PAGE_W - M_RIGHT, y - 3.5 * MM, 0.4);
	font(p, 7, false);
	{
		char l[512];
		snprintf(l, sizeof l, "%s \xe2\x80\x94 %s", p->title, p->vname);
		show(p, M_LEFT, y, l, 0);
	}
	if (p->pages)
		snprintf(b, sizeof b, "Halaman %d dari %d", p->page, p->pages);
	else
		snprintf(b, sizeof b, "Halaman %d", p->page);
	show(p, PAGE_W - M_RIGHT, y, b, 2);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

/* The kop surat: the government levels, the village, the double rule. */
static void kop(struct pdf *p)
{
	const struct lb_pdf_kop *k = p->kop;
	char b[400], u[200];
	double cx = M_LEFT + TEXT_W / 2, y = M_TOP + 5 * MM;
	const char *kab = *nz(k->kabupaten_name) ? k->kabupaten_name : nz(k->kabupaten);
	const char *kec = *nz(k->kecamatan_name) ? k->kecamatan_name : nz(k->kecamatan);
	const char *des = bare_name(k);

	font(p, 13, true);
	upper(u, sizeof u, kab);
	snprintf(b, sizeof b, "PEMERINTAH KABUPATEN %s", u);
	show(p, cx, y, b, 1);
	y += 6 * MM;
	upper(u, sizeof u, kec);
	snprintf(b, sizeof b, "KECAMATAN %s", u);
	show(p, cx, y, b, 1);
	y += 7.5 * MM;
	font(p, 17, true);
	upper(u, sizeof u, des);
	snprintf(b, sizeof b, "DESA %s", u);
	show(p, cx, y, b, 1);
	y += 5.5 * MM;
	font(p, 8.5, false);
	snprintf(b, sizeof b, "Kode desa %s \xc2\xb7 Kecamatan %s \xc2\xb7 Kabupaten %s", nz(k->village),
	         nz(k->kecamatan), nz(k->kabupaten));
	show(p, cx, y, b, 1);
	y += 3 * MM;
	hline(p, M_LEFT, PAGE_W - M_RIGHT, y, 2.2);
	hline(p, M_LEFT, PAGE_W - M_RIGHT, y + 1.1 * MM, 0.6);
	p->y = y + 9 * MM;

	font(p, 12, true);
	show(p, cx, p->y, p->title, 1);
	p->y += 5.5 * MM;
	font(p, 10, false);
	show(p, cx, p->y, p->period, 1);
	p->y += 8 * MM;
}

static void new_page(struct pdf *p)
{
	if (p->page) {
		footer(p);
		cairo_show_page(p->cr);
	}
	p->page++;
	if (p->page == 1) {
		kop(p);
		return;
	}
	p->y = M_TOP + 4 * MM;
	font(p, 8, false);
	cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
	{
		char l[512];
		snprintf(l, sizeof l, "%s \xe2\x80\x94 %s (lanjutan)", p->title, p->vname);
		show(p, M_LEFT, p->y, l, 0);
	}
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	p->y += 7 * MM;
}

/* Room for h more points on this page, else a new page; true on a break. */
static bool room(struct pdf *p, double h)
{
	if (p->y + h <= Y_MAX)
		return false;
	new_page(p);
	return true;
}

/* ---- tables ------------------------------------------------------------- */

struct tcol {
	char *head;
	bool num;
	double w, min; /* width; a text column's narrowest (its longest word) */
};

struct table {
	struct tcol *c;
	size_t nc, nr;
	char **cell;   /* nr * nc */
	bool *group;   /* nr: a group row (its text in column 0, spanning) */
	double fs;
};

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nc; i++)
		free(t->c[i].head);
	for (size_t i = 0; t->cell && i < t->nr * t->nc; i++)
		free(t->cell[i]);
	free(t->c);
	free(t->cell);
	free(t->group);
	memset(t, 0, sizeof *t);
}

static int table_alloc(struct table *t, size_t nc, size_t nr)
{
	t->nc = nc;
	t->nr = nr;
	t->c = calloc(nc ? nc : 1, sizeof *t->c);
	t->cell = calloc(nr * nc > 0 ? nr * nc : 1, sizeof *t->cell);
	t->group = calloc(nr ? nr : 1, sizeof *t->group);
	return t->c && t->cell && t->group ? 0 : -1;
}

/* LB_OK when every header and cell of t was allocated. */
static lb_err table_filled(const struct table *t)
{
	for (size_t i = 0; i < t->nc; i++)
		if (!t->c[i].head)
			return LB_ENOMEM;
	for (size_t i = 0; i < t->nr * t->nc; i++)
		if (!t->cell[i])
			return LB_ENOMEM;
	return LB_OK;
}

/* The Indonesian header of key (malloc'd). */
static char *head_of(struct pdf *p, const char *key)
{
	const char *h = lb_report_head(p->name, key);
	if (h)
		return strdup(h);
	if (!strcmp(key, "village"))
		return strdup("Kode desa");
	if (!strcmp(key, "name"))
		return strdup("Nama");
	if (!strcmp(key, "kecamatan"))
		return strdup("Kecamatan");
	if (!strcmp(key, "region"))
		return strdup("Wilayah");
	return pretty(key);
}

/* Greedy word wrap of s into lines no wider than w; calls fn per line. */
static int wrap(struct pdf *p, const char *s, double w, char lines[][128], int max)
{
	int n = 0;
	char cur[128] = "";
	const char *q = s;
	while (*q && n < max) {
		const char *e = strchr(q, ' ');
		size_t len = e ? (size_t)(e - q) : strlen(q);
		char word[128], trial[256];
		snprintf(word, sizeof word, "%.*s", (int)len, q);
		snprintf(trial, sizeof trial, "%s%s%s", cur, *cur ? " " : "", word);
		if (*cur && text_w(p, trial) > w) {
			cpy(lines[n++], 128, cur);
			cpy(cur, sizeof cur, word);
		} else
			cpy(cur, sizeof cur, trial);
		q += len;
		while (*q == ' ')
			q++;
	}
	if (*cur && n < max)
		cpy(lines[n++], 128, cur);
	return n;
}

/* s cut to width w with an ellipsis (into out). */
static void fit(struct pdf *p, char *out, size_t cap, const char *s, double w)
{
	size_t n = strlen(s);
	cpy(out, cap, s);
	if (text_w(p, out) <= w)
		return;
	while (n > 0) {
		n--;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		snprintf(out, cap, "%.*s\xe2\x80\xa6", (int)n, s);
		if (text_w(p, out) <= w)
			return;
	}
}

static double longest_word(struct pdf *p, const char *s)
{
	double m = 0;
	char w[128];
	while (*s) {
		size_t len = strcspn(s, " ");
		snprintf(w, sizeof w, "%.*s", (int)len, s);
		double x = text_w(p, w);
		m = x > m ? x : m;
		s += len;
		while (*s == ' ')
			s++;
	}
	return m;
}

/* Column widths and font size so the table fits the text width. */
static void layout(struct pdf *p, struct table *t)
{
	for (t->fs = 9;; t->fs -= 0.5) {
		double sum = 0;
		for (size_t j = 0; j < t->nc; j++) {
			double w, m;
			font(p, t->fs, true);
			w = m = longest_word(p, t->c[j].head);
			font(p, t->fs, false);
			for (size_t i = 0; i < t->nr; i++) {
				double x, y;
				if (t->group[i])
					continue;
				x = text_w(p, t->cell[i * t->nc + j]);
				w = x > w ? x : w;
				y = t->c[j].num ? x : longest_word(p, t->cell[i * t->nc + j]);
				m = y > m ? y : m;
			}
			t->c[j].w = w + 2 * PAD;
			t->c[j].min = m + 2 * PAD;
			sum += t->c[j].w;
		}
		/* from 7.5 pt down, text wraps (down to its longest word) before
		 * the font shrinks further; below 4.5 pt cells are cut */
		while (sum > TEXT_W && t->fs <= 7.5) { /* narrow the widest text column */
			size_t wj = t->nc;
			for (size_t j = 0; j < t->nc; j++)
				if (!t->c[j].num && t->c[j].w > t->c[j].min + 0.01 &&
				    (wj == t->nc || t->c[j].w > t->c[wj].w))
					wj = j;
			if (wj == t->nc)
				break;
			double nw = t->c[wj].w - (sum - TEXT_W);
			nw = nw < t->c[wj].min ? t->c[wj].min : nw;
			sum -= t->c[wj].w - nw;
			t->c[wj].w = nw;
		}
		if (sum > TEXT_W && t->fs <= 4.5) { /* still too wide: text columns cut first */
			double tw = 0, f;
			for (size_t j = 0; j < t->nc; j++)
				tw += t->c[j].num ? 0 : t->c[j].w;
			f = tw > sum - TEXT_W ? (tw - (sum - TEXT_W)) / tw : 0;
			for (size_t j = 0; j < t->nc; j++)
				if (!t->c[j].num) {
					double nw = t->c[j].w * f < 8 * MM ? 8 * MM : t->c[j].w * f;
					nw = nw < t->c[j].w ? nw : t->c[j].w;
					sum -= t->c[j].w - nw;
					t->c[j].w = nw;
				}
			f = sum > TEXT_W ? TEXT_W / sum : 1;
			for (size_t j = 0; j < t->nc; j++)
				t->c[j].w *= f;
			sum = TEXT_W;
		}
		if (sum <= TEXT_W + 0.01) {
			size_t ntext = 0;
			for (size_t j = 0; j < t->nc; j++)
				ntext += !t->c[j].num;
			/* room left: number columns (but No.) at least 16 mm first */
			for (size_t j = 1; j < t->nc && sum < TEXT_W; j++)
				if (t->c[j].num && ntext && t->c[j].w < 16 * MM) {
					double add = 16 * MM - t->c[j].w;
					add = add < TEXT_W - sum ? add : TEXT_W - sum;
					t->c[j].w += add;
					sum += add;
				}
			if (sum < TEXT_W) { /* the rest to the text columns, else to all */
				double extra = TEXT_W - sum;
				for (size_t j = 0; j < t->nc; j++)
					if (!ntext || !t->c[j].num)
						t->c[j].w += extra / (double)(ntext ? ntext : t->nc);
			}
			return;
		}
	}
}

static void cell_box(struct pdf *p, double x, double y, double w, double h, double grey)
{
	if (grey < 1) {
		cairo_set_source_rgb(p->cr, grey, grey, grey);
		cairo_rectangle(p->cr, x, y, w, h);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	cairo_set_line_width(p->cr, 0.5);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_stroke(p->cr);
}

static void draw_head(struct pdf *p, const struct table *t)
{
	char lines[4][128];
	int maxl = 1;
	double lh = t->fs * 1.25, x = M_LEFT, h;
	font(p, t->fs, true);
	for (size_t j = 0; j < t->nc; j++) {
		int n = wrap(p, t->c[j].head, t->c[j].w - 2 * PAD, lines, 4);
		maxl = n > maxl ? n : maxl;
	}
	h = maxl * lh + 2 * PAD;
	for (size_t j = 0; j < t->nc; j++) {
		int n = wrap(p, t->c[j].head, t->c[j].w - 2 * PAD, lines, 4);
		double y0 = p->y + (h - n * lh) / 2 + t->fs * 0.95;
		cell_box(p, x, p->y, t->c[j].w, h, 0.82);
		for (int k = 0; k < n; k++) {
			char b[160];
			fit(p, b, sizeof b, lines[k], t->c[j].w - 2 * PAD);
			show(p, x + t->c[j].w / 2, y0 + k * lh, b, 1);
		}
		x += t->c[j].w;
	}
	p->y += h;
}

static void draw_table(struct pdf *p, struct table *t)
{
	double rh;
	char b[512];
	layout(p, t);
	rh = t->fs * 1.25 + 2 * PAD;
	room(p, 3 * rh + 12 * MM); /* the header and a few rows together */
	draw_head(p, t);
	for (size_t i = 0; i < t->nr; i++) {
		double x = M_LEFT, h = rh;
		char lines[3][128];
		font(p, t->fs, false);
		for (size_t j = 0; !t->group[i] && j < t->nc; j++) /* text wraps: up to 3 lines */
			if (!t->c[j].num) {
				int n = wrap(p, t->cell[i * t->nc + j], t->c[j].w - 2 * PAD, lines, 3);
				h = n > 1 && rh + (n - 1) * t->fs * 1.25 > h ? rh + (n - 1) * t->fs * 1.25 : h;
			}
		if (room(p, h))
			draw_head(p, t);
		if (t->group[i]) {
			double w = 0;
			for (size_t j = 0; j < t->nc; j++)
				w += t->c[j].w;
			cell_box(p, x, p->y, w, h, 0.93);
			font(p, t->fs, true);
			fit(p, b, sizeof b, t->cell[i * t->nc], w - 2 * PAD);
			show(p, x + PAD, p->y + PAD + t->fs * 0.95, b, 0);
		} else {
			font(p, t->fs, false);
			for (size_t j = 0; j < t->nc; j++) {
				const char *s = t->cell[i * t->nc + j];
				double by = p->y + PAD + t->fs * 0.95;
				cell_box(p, x, p->y, t->c[j].w, h, 1);
				if (t->c[j].num) {
					fit(p, b, sizeof b, s, t->c[j].w - 2 * PAD);
					show(p, x + t->c[j].w - PAD, by, b, 2);
				} else {
					int n = wrap(p, s, t->c[j].w - 2 * PAD, lines, 3);
					for (int k = 0; k < n; k++) {
						fit(p, b, sizeof b, lines[k], t->c[j].w - 2 * PAD);
						show(p, x + PAD, by + k * t->fs * 1.25, b, 0);
					}
				}
				x += t->c[j].w;
			}
		}
		p->y += h;
	}
	p->y += 6 * MM;
}

static void subtitle(struct pdf *p, const char *s)
{
	room(p, 30 * MM);
	font(p, 10, true);
	show(p, M_LEFT, p->y, s, 0);
	p->y += 4 * MM;
}

static void note(struct pdf *p, const char *s)
{
	room(p, 8 * MM);
	font(p, 9, false);
	show(p, M_LEFT, p->y + 3 * MM, s, 0);
	p->y += 9 * MM;
}

static bool skip_key(const char *k, bool one_village)
{
	return one_village && (!strcmp(k, "village") || !strcmp(k, "name") ||
	                       !strcmp(k, "kecamatan") || !strcmp(k, "region"));
}

/* The line's words in the list of the monthly report, as Lampiran A-9
 * words them (the report's own headers are short column titles, shared
 * with the CSV); else its header. */
static char *list_label(struct pdf *p, const char *key)
{
	static const char *const a9[][2] = {
	    {"awal", "Jumlah penduduk awal bulan"},
	    {"lahir", "Lahir"},
	    {"mati", "Meninggal"},
	    {"datang", "Datang (pindah masuk)"},
	    {"pindah", "Pindah (keluar)"},
	    {"akhir", "Jumlah penduduk akhir bulan"},
	    {"keluarga_awal", "Jumlah keluarga (KK) awal bulan"},
	    {"keluarga_akhir", "Jumlah keluarga (KK) akhir bulan"},
	};
	if (!strcmp(p->name, "perkembangan"))
		for (size_t i = 0; i < sizeof a9 / sizeof a9[0]; i++)
			if (!strcmp(key, a9[i][0]))
				return strdup(a9[i][1]);
	return head_of(p, key);
}

/* One row of numbers as a list: "No | Uraian | L | P | Jumlah", a key K
 * with K_l and K_p making one line. */
static lb_err list_table(struct pdf *p, const json_t *row, bool one_village, struct table *t)
{
	const char *k;
	json_t *v;
	size_t n = 0, r = 0;
	bool lp = false;
	char key[128];
	json_object_foreach((json_t *)row, k, v) {
		size_t len = strlen(k);
		if (skip_key(k, one_village))
			continue;
		if (len > 2 && (!strcmp(k + len - 2, "_l") || !strcmp(k + len - 2, "_p"))) {
			snprintf(key, sizeof key, "%.*s", (int)(len - 2), k);
			if (json_object_get(row, key)) {
				lp = true;
				continue;
			}
		}
		n++;
	}
	if (table_alloc(t, lp ? 5 : 3, n))
		return LB_ENOMEM;
	t->c[0].head = strdup("No.");
	t->c[0].num = true;
	t->c[1].head = strdup("Uraian");
	t->c[lp ? 4 : 2].head = strdup("Jumlah");
	t->c[lp ? 4 : 2].num = true;
	if (lp) {
		t->c[2].head = strdup("L");
		t->c[3].head = strdup("P");
		t->c[2].num = t->c[3].num = true;
	}
	json_object_foreach((json_t *)row, k, v) {
		size_t len = strlen(k);
		char no[24], **c = &t->cell[r * t->nc];
		if (skip_key(k, one_village))
			continue;
		if (len > 2 && (!strcmp(k + len - 2, "_l") || !strcmp(k + len - 2, "_p"))) {
			snprintf(key, sizeof key, "%.*s", (int)(len - 2), k);
			if (json_object_get(row, key))
				continue;
		}
		snprintf(no, sizeof no, "%zu", r + 1);
		c[0] = strdup(no);
		c[1] = list_label(p, k);
		c[t->nc - 1] = cell_text(v);
		if (lp) {
			snprintf(key, sizeof key, "%s_l", k);
			c[2] = json_object_get(row, key) ? cell_text(json_object_get(row, key)) : strdup("");
			snprintf(key, sizeof key, "%s_p", k);
			c[3] = json_object_get(row, key) ? cell_text(json_object_get(row, key)) : strdup("");
		}
		r++;
	}
	return table_filled(t);
}

/* Rows as a table, columns from the first row's members. */
static lb_err rows_table(struct pdf *p, const json_t *rows, bool one_village, struct table *t)
{
	const json_t *first = json_array_get(rows, 0);
	size_t nr = json_array_size(rows), nc = 0, runs = 0, ngroups = 0;
	const char *k, *keys[64];
	json_t *v;
	bool grp;
	json_object_foreach((json_t *)first, k, v) {
		if (!skip_key(k, one_village) && nc < 64)
			keys[nc++] = k;
	}
	/* the first column a dimension repeated in runs: a group row per run */
	for (size_t i = 0; i < nr && nc >= 2; i++) {
		const json_t *a = json_object_get(json_array_get(rows, i), keys[0]);
		const json_t *b = i ? json_object_get(json_array_get(rows, i - 1), keys[0]) : NULL;
		if (!json_is_string(a))
			break;
		runs += !b || !json_equal(a, b);
	}
	grp = nc >= 2 && nr >= 4 && runs && runs * 2 <= nr;
	for (size_t i = 0; grp && i < nr; i++) { /* and the second names each row */
		const json_t *b = json_object_get(json_array_get(rows, i), keys[1]);
		grp = json_is_string(b) && *json_string_value(b);
	}
	ngroups = grp ? runs : 0;
	if (table_alloc(t, grp ? nc - 1 : nc + 1, nr + ngroups))
		return LB_ENOMEM;
	if (grp) {
		t->c[0].head = strdup("Uraian");
		for (size_t j = 2; j < nc; j++) {
			t->c[j - 1].head = head_of(p, keys[j]);
			t->c[j - 1].num = json_is_number(json_object_get(first, keys[j]));
		}
	} else {
		t->c[0].head = strdup("No.");
		t->c[0].num = true;
		for (size_t j = 0; j < nc; j++) {
			t->c[j + 1].head = head_of(p, keys[j]);
			t->c[j + 1].num = json_is_number(json_object_get(first, keys[j]));
		}
	}
	for (size_t i = 0, r = 0; i < nr; i++) {
		const json_t *row = json_array_get(rows, i);
		if (!json_is_object(row))
			return LB_EINVAL;
		if (grp) {
			const json_t *a = json_object_get(row, keys[0]);
			const json_t *b = i ? json_object_get(json_array_get(rows, i - 1), keys[0]) : NULL;
			if (!b || !json_equal(a, b)) {
				t->group[r] = true;
				t->cell[r * t->nc] = pretty(json_string_value(a) ? json_string_value(a) : "");
				for (size_t j = 1; j < t->nc; j++)
					t->cell[r * t->nc + j] = strdup("");
				r++;
			}
			t->cell[r * t->nc] = pretty(json_string_value(json_object_get(row, keys[1]))
			                                ? json_string_value(json_object_get(row, keys[1]))
			                                : "");
			for (size_t j = 2; j < nc; j++)
				t->cell[r * t->nc + j - 1] = cell_text(json_object_get(row, keys[j]));
		} else {
			char no[24];
			snprintf(no, sizeof no, "%zu", i + 1);
			t->cell[r * t->nc] = strdup(no);
			for (size_t j = 0; j < nc; j++) {
				const json_t *c = json_object_get(row, keys[j]);
				/* enumerated values read as words (bantuan's tanda: jenis) */
				t->cell[r * t->nc + j + 1] = !strcmp(keys[j], "jenis") && json_is_string(c)
				                                 ? pretty(json_string_value(c))
				                                 : cell_text(c);
			}
		}
		r++;
	}
	return table_filled(t);
}

static lb_err print_rows(struct pdf *p, const char *title, const json_t *rows, bool one_village,
                         struct lb_diag *d)
{
	struct table t = {0};
	lb_err e;
	size_t nnum = 0, ntext = 0;
	const char *k;
	json_t *v;
	if (!json_is_array(rows))
		return lb_fail(d, LB_EINVAL, "report JSON: %s is not an array of rows", title);
	if (title)
		subtitle(p, title);
	if (!json_array_size(rows)) {
		note(p, "Tidak ada data.");
		return LB_OK;
	}
	if (!json_is_object(json_array_get(rows, 0)))
		return lb_fail(d, LB_EINVAL, "report JSON: a row is not an object");
	json_object_foreach(json_array_get(rows, 0), k, v) {
		if (skip_key(k, one_village))
			continue;
		if (json_is_number(v))
			nnum++;
		else
			ntext++;
	}
	if (json_array_size(rows) == 1 && !ntext && nnum > 5)
		e = list_table(p, json_array_get(rows, 0), one_village, &t);
	else
		e = rows_table(p, rows, one_village, &t);
	if (e == LB_OK)
		draw_table(p, &t);
	table_free(&t);
	if (e == LB_EINVAL)
		return lb_fail(d, e, "report JSON: a row is not an object");
	return e ? lb_fail(d, e, "out of memory drawing the report") : LB_OK;
}

/* ---- the closing: place and date, signature, stamp box, QR -------------- */

static void closing(struct pdf *p)
{
	const struct lb_pdf_kop *k = p->kop;
	double qr_h = p->qr ? 37 * MM : 0, x = M_LEFT + TEXT_W * 0.58, y, cx;
	char b[400], u[200];
	const char *des = bare_name(k);
	room(p, 52 * MM + qr_h);
	y = p->y + 4 * MM;
	cx = x + (M_LEFT + TEXT_W - x) / 2;
	font(p, 10, false);
	snprintf(b, sizeof b, "%s, %s", *nz(k->place) ? k->place : "............................",
	         *nz(k->date) ? k->date : "............................");
	show(p, cx, y, b, 1);
	y += 5.5 * MM;
	upper(u, sizeof u, des);
	snprintf(b, sizeof b, "KEPALA DESA %s", u);
	font(p, 10, true);
	show(p, cx, y, b, 1);
	/* the stamp box, left of the signature: where the village's cap goes */
	{
		double r = 14 * MM, sx = x - 2 * MM, sy = y + 15 * MM;
		const double dash[] = {2.0, 2.0};
		cairo_set_source_rgb(p->cr, 0.55, 0.55, 0.55);
		cairo_set_dash(p->cr, dash, 2, 0);
		cairo_set_line_width(p->cr, 0.6);
		cairo_new_sub_path(p->cr);
		cairo_arc(p->cr, sx, sy, r, 0, 2 * 3.14159265358979);
		cairo_stroke(p->cr);
		cairo_set_dash(p->cr, NULL, 0, 0);
		font(p, 7, false);
		show(p, sx, sy + 1 * MM, "cap desa", 1);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	y += 27 * MM;
	font(p, 10, true);
	show(p, cx, y, "( ......................................... )", 1);
	y += 4.5 * MM;
	font(p, 8, false);
	show(p, cx, y, "nama jelas dan tanda tangan", 1);
	p->y = y + 8 * MM;
	if (!p->qr)
		return;

	/* the QR code of the stamp, and its short form beside it */
	{
		double side = 34 * MM, q0 = 4, mod = side / (p->qr->width + 2 * q0), tx, ty;
		double x0 = M_LEFT, y0 = p->y;
		char f[9][130], line[1024], lines[8][128];
		int nf = 0, nl;
		hline(p, M_LEFT, PAGE_W - M_RIGHT, y0 - 3 * MM, 0.4);
		cairo_set_source_rgb(p->cr, 1, 1, 1);
		cairo_rectangle(p->cr, x0, y0, side, side);
		cairo_fill(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		for (int r = 0; r < p->qr->width; r++)
			for (int c = 0; c < p->qr->width; c++)
				if (p->qr->data[r * p->qr->width + c] & 1)
					cairo_rectangle(p->cr, x0 + (c + q0) * mod, y0 + (r + q0) * mod, mod, mod);
		cairo_fill(p->cr);

		tx = x0 + side + 5 * MM;
		ty = y0 + 5 * MM;
		font(p, 8.5, true);
		show(p, tx, ty, "Cap digital laporan (kode QR)", 0);
		ty += 4.5 * MM;
		font(p, 7.5, false);
		{
			const char *s = p->stamp;
			while (*s && nf < 9) {
				size_t len = strcspn(s, " ");
				snprintf(f[nf++], sizeof f[0], "%.*s", (int)len, s);
				s += len;
				while (*s == ' ')
					s++;
			}
		}
		if (nf == 8 && !strcmp(f[0], "LBR1")) {
			snprintf(line, sizeof line,
			         "Desa %s \xc2\xb7 %s%s%s \xc2\xb7 seq %s \xc2\xb7 hash %.16s \xc2\xb7 "
			         "digest %.16s \xc2\xb7 ttd %.16s",
			         f[1], f[2], strcmp(f[3], "-") ? " " : "", strcmp(f[3], "-") ? f[3] : "",
			         f[4], f[5], f[6], f[7]);
		} else
			cpy(line, sizeof line, p->stamp);
		/* wrap at the separators */
		{
			char cur[1024] = "";
			const char *s = line;
			nl = 0;
			while (*s && nl < 8) {
				const char *e = strstr(s, " \xc2\xb7 ");
				size_t len = e ? (size_t)(e - s) : strlen(s);
				char trial[2100];
				snprintf(trial, sizeof trial, "%s%s%.*s", cur, *cur ? " \xc2\xb7 " : "",
				         (int)len, s);
				if (*cur && text_w(p, trial) > PAGE_W - M_RIGHT - tx) {
					cpy(lines[nl++], 128, cur);
					snprintf(cur, sizeof cur, "%.*s", (int)len, s);
				} else
					cpy(cur, sizeof cur, trial);
				s += len;
				if (e)
					s += 4;
			}
			if (*cur && nl < 8)
				cpy(lines[nl++], 128, cur);
		}
		for (int i = 0; i < nl; i++) {
			show(p, tx, ty, lines[i], 0);
			ty += 3.6 * MM;
		}
		ty += 1.5 * MM;
		font(p, 7.5, true);
		show(p, tx, ty, "Periksa: lumbung-audit check-report", 0);
		ty += 4 * MM;
		font(p, 7, false);
		{
			static const char *const why =
			        "Kode QR ini memuat cap laporan yang ditandatangani dengan kunci desa. "
			        "Kecamatan atau kabupaten dapat memeriksa bahwa angka pada kertas ini "
			        "sama dengan log desa yang ditandatangani.";
			char wl[6][128];
			int n = wrap(p, why, PAGE_W - M_RIGHT - tx, wl, 6);
			cairo_set_source_rgb(p->cr, 0.3, 0.3, 0.3);
			for (int i = 0; i < n; i++) {
				show(p, tx, ty, wl[i], 0);
				ty += 3.2 * MM;
			}
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		p->y = y0 + side;
	}
}

/* ---- the document ------------------------------------------------------- */

static lb_err render(struct pdf *p, struct lb_diag *d)
{
	const char *lv[] = {"villages", "kecamatan", "total"};
	const char *lt[] = {NULL, "Rekapitulasi per kecamatan", "Jumlah wilayah"};
	const json_t *vil = json_object_get(p->rep, "villages");
	bool one = true;
	lb_err e;
	const char *k;
	json_t *v;

	/* one village (the village's own report): its code and name are in the
	 * kop, and the roll-ups repeat its figures */
	for (size_t i = 1; i < json_array_size(vil); i++)
		if (!json_equal(json_object_get(json_array_get(vil, i), "village"),
		                json_object_get(json_array_get(vil, 0), "village")))
			one = false;
	p->page = 0;
	new_page(p);
	for (size_t l = 0; l < 3; l++) {
		const json_t *rows = json_object_get(p->rep, lv[l]);
		if (!rows || (l && one))
			continue;
		if ((e = print_rows(p, lt[l], rows, one, d)))
			return e;
	}
	/* any other array of rows (bantuan's tanda): a table of its own */
	json_object_foreach((json_t *)p->rep, k, v) {
		const char *t;
		if (!json_is_array(v) || !strcmp(k, "villages") || !strcmp(k, "kecamatan") ||
		    !strcmp(k, "total"))
			continue;
		t = lb_report_head(p->name, k);
		if ((e = print_rows(p, t ? t : k, v, one, d)))
			return e;
	}
	closing(p);
	footer(p);
	cairo_show_page(p->cr);
	return LB_OK;
}

static cairo_status_t discard(void *c, const unsigned char *data, unsigned int len)
{
	(void)c;
	(void)data;
	(void)len;
	return CAIRO_STATUS_SUCCESS;
}

lb_err lb_pdf_report(const char *path, const json_t *report, const struct lb_pdf_kop *kop,
                     const char *stamp, struct lb_diag *d)
{
	struct pdf p = {0};
	cairo_surface_t *sf;
	const char *title, *per, *bul;
	lb_err e;
	char u[200];

	if (!json_is_object(report) || !json_is_string(json_object_get(report, "report")))
		return lb_fail(d, LB_EINVAL, "report JSON: not a report (no \"report\" member)");
	if (!kop)
		return lb_fail(d, LB_EINVAL, "no kop surat given for the PDF");
	p.rep = report;
	p.kop = kop;
	p.name = json_string_value(json_object_get(report, "report"));
	p.stamp = stamp;
	title = json_string_value(json_object_get(report, "title"));
	if (!title)
		title = p.name;
	upper(u, sizeof u, title);
	snprintf(p.title, sizeof p.title, "%s%s", strncmp(u, "LAPORAN", 7) ? "LAPORAN " : "", u);
	per = json_string_value(json_object_get(report, "per"));
	bul = json_string_value(json_object_get(report, "bulan"));
	if (bul) {
		char t[64];
		lb_pdf_tanggal(t, sizeof t, bul);
		snprintf(p.period, sizeof p.period, "Bulan %s", t);
	} else if (per) {
		char t[64];
		lb_pdf_tanggal(t, sizeof t, per);
		snprintf(p.period, sizeof p.period, "Keadaan per tanggal %s", t);
	}
	snprintf(p.vname, sizeof p.vname, "Desa %s", bare_name(kop));
	if (stamp) {
		if (!(p.qr = QRcode_encodeString(stamp, 0, QR_ECLEVEL_M, QR_MODE_8, 1)))
			return errno == ENOMEM ? lb_fail(d, LB_ENOMEM, "out of memory making the QR code")
			                       : lb_fail(d, LB_EINVAL, "the stamp cannot be a QR code: %s",
			                                 strerror(errno));
	}

	/* first pass: count the pages */
	sf = cairo_pdf_surface_create_for_stream(discard, NULL, PAGE_W, PAGE_H);
	p.cr = cairo_create(sf);
	e = render(&p, d);
	p.pages = p.page;
	cairo_destroy(p.cr);
	cairo_surface_finish(sf);
	if (e == LB_OK && cairo_surface_status(sf))
		e = lb_fail(d, LB_EIO, "drawing the PDF: %s",
		            cairo_status_to_string(cairo_surface_status(sf)));
	cairo_surface_destroy(sf);
	if (e) {
		QRcode_free(p.qr);
		return e;
	}

	sf = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
	if (cairo_surface_status(sf)) {
		e = lb_fail(d, LB_EIO, "%s: cannot write the PDF (%s)", path,
		            cairo_status_to_string(cairo_surface_status(sf)));
		cairo_surface_destroy(sf);
		QRcode_free(p.qr);
		return e;
	}
	{
		char t[512], a[400];
		snprintf(t, sizeof t, "%s \xe2\x80\x94 %s", p.title, p.vname);
		snprintf(a, sizeof a, "%s (%s)", p.vname, nz(kop->village));
		cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_TITLE, t);
		cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_AUTHOR, a);
		cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_SUBJECT, p.period);
		cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_CREATOR, "lumbung");
		if (stamp)
			cairo_pdf_surface_set_metadata(sf, CAIRO_PDF_METADATA_KEYWORDS, stamp);
	}
	p.cr = cairo_create(sf);
	e = render(&p, d);
	cairo_destroy(p.cr);
	cairo_surface_finish(sf);
	if (e == LB_OK && cairo_surface_status(sf))
		e = lb_fail(d, LB_EIO, "%s: writing the PDF: %s", path,
		            cairo_status_to_string(cairo_surface_status(sf)));
	cairo_surface_destroy(sf);
	QRcode_free(p.qr);
	if (e)
		unlink(path);
	return e;
}
