/*
 * csvio.h — records to and from the CSV files village offices keep in
 * spreadsheets (libcsv).
 *
 * Reading accepts what spreadsheets write: `,` or `;` separators (detected
 * from the header line when not given), quoted cells with embedded quotes
 * and line breaks, CRLF, a UTF-8 byte-order mark, empty trailing cells, and
 * Excel's ="0123" text cells.  The header row names the columns: the
 * type's fields in any order, plus `id` for types whose id is not one of
 * their fields.  Empty cells leave the field out.
 *
 * Writing produces a UTF-8 file with a byte-order mark, CRLF line ends and
 * every cell quoted, which Excel and LibreOffice open cleanly.  Text that a
 * spreadsheet would run as a formula (starting with = + - @ TAB CR) gets a
 * leading ' on export (CSV injection), and so does text starting with a '
 * or starting or ending with a blank; import takes exactly one leading '
 * off and keeps the rest untouched, so export -> import gives back every
 * value byte for byte.  A NUL byte in a cell is refused.  With
 * `excel`, digit strings (NIK, KK numbers) are written as ="..." so Excel
 * does not turn them into 3.32401E+15.
 */
#ifndef LB_CSVIO_H
#define LB_CSVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"
#include "../schema/mp.h"
#include "../schema/schema.h"
#include "../schema/value.h"

/* Called for each non-empty row (the first one is the header).  cells[i]
 * are NUL-terminated and borrowed for the call; row counts spreadsheet rows
 * from 1, empty lines included, so it matches what a spreadsheet shows.  Return
 * LB_OK to go on; any error stops reading and is returned. */
typedef lb_err (*lb_csv_row_fn)(void *ctx, char **cells, size_t n, unsigned long row,
                                struct lb_diag *d);

/* Read the CSV file at path (sep 0: detect ',' ';' or TAB from the header
 * line).  *sep_used (may be NULL) receives the separator.  LB_EIO when the
 * file cannot be read, LB_EMALFORMED for broken quoting or a NUL byte in a
 * cell (naming row and column), LB_ETOOBIG for a
 * cell over 64 KiB or a row over 1,000 cells. */
lb_err lb_csv_read(const char *path, char sep, lb_csv_row_fn row, void *ctx, char *sep_used,
                   struct lb_diag *d);

/* lb_csv_read for a file in another encoding: NULL, "utf-8" or "utf8"
 * read it as it is; "cp1252" ("windows-1252") and "latin1" ("iso-8859-1")
 * are converted to UTF-8 (iconv) before libcsv sees them, so cells are
 * UTF-8 either way.  LB_EINVAL for an unknown name; LB_EMALFORMED naming
 * the byte offset of a byte that is not text in that encoding; otherwise
 * as lb_csv_read. */
lb_err lb_csv_read_enc(const char *path, char sep, const char *encoding, lb_csv_row_fn row,
                       void *ctx, char *sep_used, struct lb_diag *d);

/* True when lb_csv_read_enc knows the encoding name (case-insensitive). */
bool lb_csv_encoding_known(const char *name);

/* How the columns of one header map onto a type.  Free with
 * lb_csv_map_free. */
struct lb_csv_map;

/* The reason column a rejects file adds (lumbung import --skip-invalid);
 * lb_csv_map_new leaves it out, so a fixed rejects file imports as it is. */
#define LB_CSV_REASON_COLUMN "alasan_penolakan"

/* Header cells name fields as lb_type_field_loose reads them ("Tanggal
 * Lahir", "NO. KK"); a NULL cell (an import profile drops the column) and
 * the LB_CSV_REASON_COLUMN are left out.  LB_ESCHEMA naming the column and
 * listing the fields when a header cell is not a field of the type, naming
 * it when two cells name one field, or when the id column is missing. */
lb_err lb_csv_map_new(struct lb_csv_map **out, const struct lb_schema *s, const char *type,
                      char **header, size_t n, struct lb_diag *d);
void lb_csv_map_free(struct lb_csv_map *m);

/* One data row as a record: *id (borrowed from cells) and the canonical
 * body appended to out (reset it first).  The body still needs
 * lb_schema_validate: this only types the cells (numbers, booleans).
 * LB_ESCHEMA for a cell that cannot be typed, or more cells than columns,
 * or no id. */
lb_err lb_csv_row_record(const struct lb_csv_map *m, char **cells, size_t n, const char **id,
                         size_t *id_len, struct lb_mp_buf *out, struct lb_diag *d);

/* What lb_csv_row_record_all noticed in one row, for a caller that
 * reports a whole file. */
struct lb_csv_notes {
	unsigned hints;   /* out: 1u << h for each enum lb_hint among the refused cells */
	uint64_t bad[4];  /* out: bitmap by field index in the type: cells not read */
	/* in (may be NULL): called for each cell stored other than typed
	 * (lb_value.rewritten), only when the whole row could be read */
	void (*rewritten)(void *ctx, const struct lb_field *f, const char *typed,
	                  const struct lb_value *v);
	void *ctx;
};

/* lb_csv_row_record reading every cell (schema/value.h: lb_field_read)
 * instead of stopping at the first that cannot be read: LB_ESCHEMA with
 * every problem of the row in d, joined by "; " in field order (ending
 * with "…" when they do not fit).  Even then out holds the body of the
 * cells that could be read and *id the id cell (NULL when empty), so the
 * caller can validate the rest too.  notes may be NULL. */
lb_err lb_csv_row_record_all(const struct lb_csv_map *m, char **cells, size_t n, const char **id,
                             size_t *id_len, struct lb_mp_buf *out, struct lb_csv_notes *notes,
                             struct lb_diag *d);

/* Write the byte-order mark and header row for type t.  LB_EIO on a write
 * error. */
lb_err lb_csv_write_header(FILE *f, const struct lb_type *t, char sep, struct lb_diag *d);

/* Write one record as a row, columns as in the header. */
lb_err lb_csv_write_record(FILE *f, const struct lb_type *t, char sep, bool excel,
                           const char *id, size_t id_len, const uint8_t *body, size_t body_len,
                           struct lb_diag *d);

/* The same two with npre cells first (lumbung-agg export: the village's
 * code and name): plain in the header, guarded like text in a record. */
lb_err lb_csv_write_header_pre(FILE *f, const struct lb_type *t, char sep,
                               const char *const *pre, size_t npre, struct lb_diag *d);
lb_err lb_csv_write_record_pre(FILE *f, const struct lb_type *t, char sep, bool excel,
                               const char *const *pre, size_t npre, const char *id,
                               size_t id_len, const uint8_t *body, size_t body_len,
                               struct lb_diag *d);

/* Write one row of arbitrary cells (used for the rejects file). */
lb_err lb_csv_write_cells(FILE *f, char sep, char **cells, size_t n, struct lb_diag *d);

#endif
