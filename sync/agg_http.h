/*
 * agg_http.h — the aggregator's HTTP face (libmicrohttpd), DESIGN §5:
 *
 *   GET  /v1/origins/{origin hex}  -> 200 {seq, hash}          (msgpack)
 *   POST /v1/changesets            -> 200 {seq, hash, receipt}
 *                                      4xx {code, message[, seq, hash]}
 *
 * Errors carry the stable lb_errname() code: unknown_origin (403),
 * wrong_village (403), bad_signature (403), gap (409, with where the
 * aggregator stands), fork (409), schema (422), too_large (413),
 * malformed (400).  Every refusal is also logged, one line, with its reason.
 * Request bodies are bounded (LB_WIRE_MAX_BYTES) before they are read;
 * connections time out.
 */
#ifndef LB_AGG_HTTP_H
#define LB_AGG_HTTP_H

#include <stdint.h>
#include <stdio.h>

#include "agg.h"

struct lb_agg_server;

/* Serve a on addr:port (port 0: any free port; see lb_agg_server_port)
 * with `threads` worker threads.  Log lines go to log (may be NULL).
 * LB_EIO when the address cannot be bound. */
lb_err lb_agg_serve(struct lb_agg_server **out, struct lb_agg *a, const char *addr, uint16_t port,
                    unsigned threads, FILE *log, struct lb_diag *d);

/* The port actually bound. */
uint16_t lb_agg_server_port(const struct lb_agg_server *s);

/* Stop accepting, finish requests in flight, free.  NULL is allowed. */
void lb_agg_server_stop(struct lb_agg_server *s);

#endif
