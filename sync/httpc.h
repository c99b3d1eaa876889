/*
 * httpc.h — the one client for lumbung's requests other than the push's
 * (sync/push.c keeps its own exchange, with retries and backoff): a GET,
 * or a POST of a body, whose 200 answer streams to a FILE or into a
 * bounded buffer, and whose refusal becomes our error.  Used by the
 * restore and offers fetches (fetch.c) and the catalogues (catfetch.c).
 * libcurl with the options every request of ours has (lb_push_curl_setup).
 */
#ifndef LB_HTTPC_H
#define LB_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../schema/err.h"

#define LB_HTTPC_SMALL_MAX 8192 /* a refusal, a challenge: bytes kept */

/* What to do with the answer, and what came. */
struct lb_httpc_answer {
	FILE *out;        /* a 200 answer's body goes here; NULL: into buf */
	uint64_t limit;   /* most bytes written to out (0: no limit) */
	char *buf;        /* the answer when not to out (a refusal always):
	                     cap bytes and a NUL; NULL: a LB_HTTPC_SMALL_MAX
	                     buffer of the call's own */
	size_t cap;
	size_t len;       /* bytes in buf */
	long status;      /* the HTTP status (0: none) */
};

/* One request of base (http:// or https://, a trailing / dropped) + path,
 * trusting cacert (PEM text: the remote's pinned CA) for https, or the
 * system's CAs when it is NULL or "".
 * header: one extra header line or NULL; body NULL: a GET, else a POST of
 * body[0..len) as body_type.  The answer as a says.  Errors: LB_EINVAL
 * (URL), LB_ENET (the exchange did not complete: curl's words), LB_EREFUSED
 * (the server's certificate is not trusted, lb_push_curl_fail), LB_EIO /
 * LB_EFULL (out could not be written), LB_EREFUSED (an answer over the
 * limit or the buffer), LB_ENOMEM; and an answer other than 200, named with
 * the message of its JSON {"error", "message"} (escaped): 401 LB_EAUTH,
 * 403 LB_EFORBIDDEN, 404 LB_ENOTFOUND, otherwise LB_EREFUSED — for a POST,
 * a 4xx's own error name when it is one of ours.  When a->buf is NULL the
 * answer is not kept (a refusal is still named). */
lb_err lb_httpc_request(const char *base, const char *cacert, const char *path,
                        const char *header, const void *body, size_t len, const char *body_type,
                        struct lb_httpc_answer *a, struct lb_diag *d);

#endif
