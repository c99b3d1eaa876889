/*
 * xlsxio.h — records of one type as an Excel workbook (libxlsxwriter):
 * `lumbung export TYPE --xlsx FILE`.
 *
 * One sheet named after the type, a header row (the field names, after
 * `id` for types whose id is not a field, as in the CSV export), one row
 * per record.  Cells are typed so a spreadsheet neither mangles nor
 * guesses: NIK, KK numbers, RT/RW and every other text as text (all 16
 * digits kept, leading zeros too), integers and rupiah as numbers, dates
 * as real dates (shown DD/MM/YYYY), booleans as booleans.  Formulas are
 * never written (text starting with = stays text).
 */
#ifndef LB_XLSXIO_H
#define LB_XLSXIO_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/schema.h"

struct lb_xlsx;

/* Start the workbook at path with the header row of type t.  *out is the
 * caller's: lb_xlsx_close writes and frees it.  LB_EIO when it cannot be
 * created, LB_ENOMEM. */
lb_err lb_xlsx_open(struct lb_xlsx **out, const char *path, const struct lb_type *t,
                    struct lb_diag *d);

/* Append one record (its id and canonical body).  LB_ECORRUPT for a body
 * that does not read as a flat map, LB_ETOOBIG past a sheet's 1,048,575
 * data rows, LB_EIO. */
lb_err lb_xlsx_record(struct lb_xlsx *x, const char *id, size_t id_len, const uint8_t *body,
                      size_t body_len, struct lb_diag *d);

/* Write the file and free x (x may be NULL).  LB_EIO naming the path when
 * writing fails; the first error wins when e is already one (pass the
 * error so far, or LB_OK).  On any error the file is removed. */
lb_err lb_xlsx_close(struct lb_xlsx *x, lb_err e, struct lb_diag *d);

#endif
