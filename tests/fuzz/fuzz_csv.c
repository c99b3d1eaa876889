/*
 * fuzz_csv.c — a CSV file as `lumbung import` reads it (node/csvio.c,
 * libcsv underneath): separator detection, quoting, the header mapped onto
 * the first record type whose columns it names, every row typed into a
 * body and validated.  lb_csv_read takes a path, so the input is written to
 * one file in a temporary directory (removed at exit).  Seeds: CSV files
 * a real node exported, and spreadsheet quirks (BOM, ';', CRLF, ="...").
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../node/csvio.h"
#include "fuzz.h"

struct ctx {
	const struct lb_schema *s;
	const char *type;
	struct lb_csv_map *map;
	struct lb_mp_buf body;
};

static lb_err row(void *vc, char **cells, size_t n, unsigned long rowno, struct lb_diag *d)
{
	struct ctx *c = vc;
	const char *id = NULL;
	size_t id_len = 0;
	lb_err e = LB_ESCHEMA;

	(void)rowno;
	if (!c->map) {
		for (size_t i = 0; i < c->s->ntypes && e; i++) {
			c->type = c->s->types[i].name;
			e = lb_csv_map_new(&c->map, c->s, c->type, cells, n, d);
		}
		return e;
	}
	lb_mp_buf_reset(&c->body);
	if (lb_csv_row_record(c->map, cells, n, &id, &id_len, &c->body, NULL) == LB_OK) {
		struct lb_refs refs = {lb_fuzz_exists, NULL};
		lb_schema_validate(c->s, c->type, id, id_len, (const uint8_t *)c->body.sb.data,
		                   c->body.sb.size, &refs, NULL);
	}
	return LB_OK;
}

static char dir[64], path[96];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c = {0};
	char sep;
	int fd;

	lb_fuzz_init();
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "%s/lb-fuzz-csv.XXXXXX", lb_fuzz_tmp());
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof path, "%s/in.csv", dir);
		atexit(cleanup);
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0 ||
	    (size && write(fd, data, size) != (ssize_t)size) || close(fd))
		abort();
	c.s = lb_schema_get(lb_schema_latest());
	lb_mp_buf_init(&c.body);
	lb_csv_read(path, 0, row, &c, &sep, NULL);
	lb_csv_map_free(c.map);
	lb_mp_buf_free(&c.body);
	return 0;
}
