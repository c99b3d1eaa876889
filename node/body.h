/*
 * body.h — record bodies between JSON (what people and spreadsheets give
 * us, via jansson) and canonical msgpack maps (what the log stores).
 *
 * Mapping: JSON object -> map with keys sorted bytewise; string -> str;
 * integer -> int (smallest form); real -> float64; true/false -> bool;
 * null -> nil; array -> array.  Nesting is limited to LB_MP_MAX_DEPTH.
 * The reverse direction renders every msgpack kind the canonical checker
 * accepts; bin values (never produced from JSON) become hex strings.
 */
#ifndef LB_BODY_H
#define LB_BODY_H

#include <jansson.h>

#include "../schema/err.h"
#include "../schema/mp.h"

#define LB_FIELD_NAME_MAX 255 /* bytes in a body field name */

/* Append the canonical msgpack map for JSON object obj to out.
 * LB_EINVAL when obj is not an object or a key/string is not valid UTF-8,
 * LB_ETOOBIG when nested too deeply, LB_ENOMEM on allocation failure;
 * on error out holds partial data (reset it before reuse). */
lb_err lb_body_from_json(struct lb_mp_buf *out, const json_t *obj, struct lb_diag *d);

/* A new JSON value for msgpack bytes buf[0..len) (one complete value).
 * Caller owns the reference (json_decref).  NULL with LB_EMALFORMED or
 * LB_ENOMEM in d on failure. */
json_t *lb_body_to_json(const void *buf, size_t len, struct lb_diag *d);

#endif
