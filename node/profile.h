/*
 * profile.h — import profiles: another program's export read as ours.
 *
 * `lumbung import TYPE FILE --from opensid` reads OpenSID's own export
 * columns and value codes.  A profile rewrites the header (its column names
 * to our field names; columns we do not keep become NULL and are ignored)
 * and then each data row's cells (its codes to our values) before the
 * usual reading (schema/value.h), so every rule still applies.
 *
 * "opensid" (node/profile.c names the OpenSID sources of its table):
 *   penduduk  OpenSID's penduduk export (Kependudukan > Penduduk > Ekspor),
 *             codes or names;
 *   keluarga  the same file, one family per head (kk_level 1): no_kk,
 *             nik -> kepala_keluarga, alamat, dusun, rw, rt;
 *   penerima  a programme's "Peserta" sheet: NIK only; add the columns id,
 *             program, tanggal, bentuk, status (our field names) before
 *             importing, they are read as they are.
 * Columns of ours added to the sheet by hand are read as they are; a
 * column neither OpenSID's nor ours is refused, naming it.
 */
#ifndef LB_PROFILE_H
#define LB_PROFILE_H

#include <stddef.h>

#include "../schema/err.h"

struct lb_profile;

/* The profile name (e.g. "opensid") for a record type.  *out is the
 * caller's (lb_profile_free).  LB_EINVAL naming the known profiles for an
 * unknown name; LB_ESCHEMA when the profile has no mapping for type. */
lb_err lb_profile_open(struct lb_profile **out, const char *name, const char *type,
                       struct lb_diag *d);

/* Rewrite header cells in place: cells[i] becomes our field name (static
 * or profile memory) or NULL for a column to ignore.  LB_ESCHEMA when a
 * column the profile needs is missing, or for a column that is neither the
 * program's nor one of our fields (naming it). */
lb_err lb_profile_header(struct lb_profile *p, char **cells, size_t n, struct lb_diag *d);

/* Rewrite one data row's cells in place (cells as lb_profile_header left
 * the header: same positions).  Replaced cells point into p's memory or
 * static tables, valid until the next call.  LB_ESCHEMA naming the column
 * and code for every code the profile does not know or cannot map with
 * certainty (all of the row's problems in one message, joined by "; ").
 * LB_ENOTFOUND: the row is not a record of this type (e.g. keluarga from
 * OpenSID's penduduk export: a member who is not the head of the family);
 * skip it without counting it as refused. */
lb_err lb_profile_row(struct lb_profile *p, char **cells, size_t n, struct lb_diag *d);

void lb_profile_free(struct lb_profile *p);

#endif
