/*
 * find.h — the live records of one type that match a few terms
 * (`lumbung find TYPE field=value field~text ...`).
 *
 * A term is FIELD=VALUE or FIELD~TEXT; every term must hold (AND).
 *   FIELD=VALUE  VALUE is read as the field reads typed input
 *                (schema/value.h: `rt=1` finds "001", `agama=ISLAM` finds
 *                "islam") and compared with the stored value exactly.
 *                FIELD= (nothing after =) finds records without the field.
 *   FIELD~TEXT   the stored value, as text (numbers in decimal, booleans
 *                true/false), contains TEXT, ignoring the case of ASCII
 *                letters.
 * FIELD is matched like a CSV header (lb_type_field_loose); `id` names the
 * record id for every type.
 *
 * A query is immutable once built; lb_find_match is a pure function over
 * it and may be called from several threads.
 */
#ifndef LB_FIND_H
#define LB_FIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "../schema/schema.h"
#include "node.h"

struct lb_find;

/* The type called name in the latest schema, into *t (borrowed from the
 * built-in schema).  LB_ESCHEMA for an unknown type, the message listing
 * the types there are: every command taking a TYPE asks this first. */
lb_err lb_find_type(const char *name, const struct lb_type **t, struct lb_diag *d);

/* Build a query for type from terms[0..n) (n may be 0: every record).
 * *out is the caller's (lb_find_free).  LB_ESCHEMA for an unknown type or
 * field or a VALUE the field cannot read (message names the term),
 * LB_EINVAL for a term without = or ~, LB_ENOMEM. */
lb_err lb_find_new(struct lb_find **out, const char *type, char *const *terms, size_t n,
                   struct lb_diag *d);

/* The type the query is about (borrowed from the built-in schema). */
const struct lb_type *lb_find_type_of(const struct lb_find *q);

/* True when the record (its id and canonical msgpack body) satisfies
 * every term.  A body that does not read as a map never matches. */
bool lb_find_match(const struct lb_find *q, const char *id, size_t id_len, const uint8_t *body,
                   size_t body_len);

/* Call cb (see lb_node_scan) for every live record of the query's type
 * that matches, in id order, within one read transaction.  *count (may be
 * NULL) gets how many matched and were passed to cb.  Errors: the
 * store's. */
lb_err lb_find_run(struct lb_node *n, const struct lb_find *q, lb_record_cb cb, void *ctx,
                   size_t *count, struct lb_diag *d);

void lb_find_free(struct lb_find *q);

#endif
