/*
 * profile.h — import profiles: another program's export read as ours.
 *
 * `lumbung import TYPE FILE --from opensid` reads OpenSID's own export
 * columns and value codes.  A profile rewrites the header (its column names
 * to our field names; columns we do not keep become NULL and are ignored)
 * and then each data row's cells (its codes to our values) before the
 * usual reading (schema/value.h), so every rule still applies.
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
 * column the profile needs is missing. */
lb_err lb_profile_header(struct lb_profile *p, char **cells, size_t n, struct lb_diag *d);

/* Rewrite one data row's cells in place (cells as lb_profile_header left
 * the header: same positions).  Replaced cells point into p's memory,
 * valid until the next call.  LB_ESCHEMA naming the column for a code the
 * profile does not know. */
lb_err lb_profile_row(struct lb_profile *p, char **cells, size_t n, struct lb_diag *d);

void lb_profile_free(struct lb_profile *p);

#endif
