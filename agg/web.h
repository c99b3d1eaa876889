/*
 * web.h — the office's dashboard, served by `lumbung-agg serve` beside the
 * read API (api.h): the pages and their assets (agg/web/, Chart.js),
 * built into the binary at build time (tools/embed_files.sh), and the
 * session endpoints that turn a token into the lumbung_token cookie the
 * pages then read the API with.  http.c hands every complete request whose
 * path lb_web_owns says is its to lb_web_answer.
 *
 *   GET  /, /assets/NAME      the embedded files, with a strict
 *                             Content-Security-Policy and nosniff
 *   GET  /v1/session          who the cookie (or Bearer token) is:
 *                             {"signed_in":true,"name","role"} or
 *                             {"signed_in":false} (200 either way)
 *   POST /v1/session          body {"token":"lbt_..."} (application/json):
 *                             a valid token is answered with Set-Cookie
 *                             lumbung_token (HttpOnly, SameSite=Strict,
 *                             Path=/); else 401
 *   POST /v1/session/end      clears the cookie
 *
 * A POST whose Origin header is not this server's is 403 (the cookie is
 * SameSite=Strict as well).  Answers are JSON errors as api.h's.
 */
#ifndef LB_AGG_WEB_H
#define LB_AGG_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "agg.h"
#include "api.h"

/* The most bytes of a session request's body kept (a token and a little
 * JSON); a longer body is answered 413. */
#define LB_WEB_BODY_MAX 1024

/* Is path the dashboard's (/, /index.html, /assets/..., /v1/session...)? */
bool lb_web_owns(const char *path);

/* Does a request for path carry a body the dashboard reads (the session
 * POST)?  http.c keeps up to LB_WEB_BODY_MAX bytes of it. */
bool lb_web_wants_body(const char *method, const char *path);

/* Answer one complete request on c.  body/len: what http.c kept of the
 * body (len may exceed LB_WEB_BODY_MAX: then only the first bytes are in
 * body and the answer is 413).  log as lb_api_answer's. */
enum MHD_Result lb_web_answer(struct lb_agg *a, struct MHD_Connection *c, const char *method,
                              const char *path, const char *body, size_t len, lb_api_log_fn log,
                              void *log_ctx);

#endif
