/*
 * api.h — the aggregator's read API (JSON), served by `lumbung-agg serve`
 * beside the village endpoints of http.h.  One route table in api.c
 * (method, path pattern, what the token must allow, handler) drives it;
 * http.c only hands every complete request outside /v1/changesets and
 * /v1/origins to lb_api_answer.  docs/API.md describes every endpoint.
 *
 * Access: a token (token.h) as `Authorization: Bearer TOKEN` or in the
 * cookie lumbung_token; never in the query string (400).  /v1/health
 * needs none.  Errors are JSON {"error": lb_errname, "message": ...}:
 * 400 invalid/malformed, 401 unauthorized (with WWW-Authenticate), 403
 * forbidden, 404 not_found, 405 (with Allow).  Every read of personal
 * data is put in the access log (lb_agg_access_add) before it is
 * answered; when that fails nothing is answered but a 500.
 */
#ifndef LB_AGG_API_H
#define LB_AGG_API_H

#include <stdbool.h>

#include <microhttpd.h>

#include "../schema/err.h"
#include "agg.h"

/* Is path the API's (every path except those under /v1/changesets and
 * /v1/origins, which keep their msgpack answers)? */
bool lb_api_owns(const char *path);

/* Route matching, for the dispatcher and the unit tests.  Returns the
 * index of the route of method and path (>= 0) with its {...} parts
 * copied into params (at most LB_API_PARAMS of LB_API_PARAM_MAX bytes);
 * LB_API_NO_PATH when no route has the path (or a part is empty, "." or
 * "..", or too long); LB_API_NO_METHOD when the path exists for another
 * method (allow then names the methods, e.g. "GET"). */
#define LB_API_PARAMS 3
#define LB_API_PARAM_MAX 160
#define LB_API_NO_PATH (-1)
#define LB_API_NO_METHOD (-2)
int lb_api_match(const char *method, const char *path, char params[LB_API_PARAMS][LB_API_PARAM_MAX],
                 const char **allow);

/* The route's pattern (e.g. "/v1/records/{type}"), for tests.  NULL when
 * i is out of range. */
const char *lb_api_route_pattern(int i);

/* Answer one complete request (method, decoded path) on c.  log (may be
 * NULL) receives one line per refusal and per personal read; the line may
 * hold peer bytes already escaped with lb_escape. */
typedef void (*lb_api_log_fn)(void *ctx, const char *line);
enum MHD_Result lb_api_answer(struct lb_agg *a, struct MHD_Connection *c, const char *method,
                              const char *path, lb_api_log_fn log, void *log_ctx);

/* lb_api_answer for a request with a body (a POST's, read whole by the
 * caller: POST /v1/catalogues/{region}/log, at most
 * LB_AGG_CATALOGUE_POST_MAX bytes); body borrowed for the call. */
enum MHD_Result lb_api_answer_body(struct lb_agg *a, struct MHD_Connection *c, const char *method,
                                   const char *path, const void *body, size_t len,
                                   lb_api_log_fn log, void *log_ctx);

/* Refuse a request of the API at its headers, before its body is read:
 * the JSON error {"error", "message"} with status (0: e's), and
 * Connection: close.  msg made with peer bytes escaped. */
enum MHD_Result lb_api_refuse(struct MHD_Connection *c, const char *method, const char *path,
                              unsigned status, lb_err e, const char *msg, lb_api_log_fn log,
                              void *log_ctx);

/* A date YYYY-MM-DD (1900..2100, a real day) into y, m, d.  false when
 * s is not one. */
bool lb_api_parse_date(const char *s, int *y, int *m, int *d);

/* A month YYYY-MM (1900..2100) into y, m.  false when s is not one. */
bool lb_api_parse_month(const char *s, int *y, int *m);

#endif
