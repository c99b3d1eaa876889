/*
 * http.h — the aggregator's HTTP face (libmicrohttpd), docs/FORMAT.md §8:
 *
 *   GET  /v1/origins/{origin hex}  -> 200 {seq, hash}          (msgpack)
 *   POST /v1/changesets            -> 200 {seq, hash, receipt}
 *                                      4xx {code, message[, seq, hash]}
 *   every other path                -> the read API in JSON (api.h)
 *
 * Errors carry the stable lb_errname() code: unknown_origin (403),
 * wrong_village (403), bad_signature (403), gap (409, with where the
 * aggregator stands), fork (409), schema (422), too_large (413),
 * malformed (400).  Every refusal is also logged, one line, with its reason.
 * Request bodies are bounded (LB_WIRE_MAX_BYTES) before they are read;
 * connections time out.
 *
 * Hostile clients (struct lb_agg_limits): connections are counted in all
 * and per client address; a connection must deliver a request's headers
 * within header_timeout_s and the whole request within request_timeout_s
 * of when it began waiting for it (connection open, or the end of its
 * previous request), however slowly it trickles bytes: a sweeper thread
 * shuts down connections past their deadline.  POST bodies draw on one
 * budget of max_buffered bytes for all requests in flight, reserved from
 * Content-Length before a byte is read (503 busy with Retry-After when it
 * is spent; 411 without a Content-Length).  A POST names its origin in the
 * X-Lumbung-Origin header; an unknown or revoked one is refused (403
 * unknown_origin) before its body is read, and the change set must carry
 * the same origin.  A POST without the header (clients from before it) is
 * still served, but all of those together may buffer at most a quarter of
 * the budget.  Bad framing is refused: a duplicate Content-Length or one
 * with Transfer-Encoding (400), a Content-Type other than
 * application/x-msgpack (415).  Every log line and error message escapes
 * bytes outside printable ASCII (and backslash) as \xHH.
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

/* Limits for lb_agg_serve_with, and HTTPS; a zero field takes its default. */
struct lb_agg_limits {
	unsigned max_connections;   /* in all (default 4096; lowered to fit RLIMIT_NOFILE) */
	unsigned max_per_address;   /* from one client address (default 64) */
	unsigned header_timeout_s;  /* headers complete within (default 10) */
	unsigned request_timeout_s; /* whole request within (default 120) */
	unsigned idle_timeout_s;    /* no byte at all for (default 60) */
	size_t max_buffered;        /* bytes of bodies in flight (default 256 MiB,
	                               at least LB_WIRE_MAX_BYTES) */
	const char *tls_cert;       /* PEM file of the server's certificate (chain first
	                               the server's): serve HTTPS only; NULL: plain HTTP */
	const char *tls_key;        /* PEM file of its private key (given with tls_cert) */
};
#define LB_AGG_DEF_MAX_CONNECTIONS 4096u
#define LB_AGG_DEF_MAX_PER_ADDRESS 64u
#define LB_AGG_DEF_HEADER_TIMEOUT 10u
#define LB_AGG_DEF_REQUEST_TIMEOUT 120u
#define LB_AGG_DEF_IDLE_TIMEOUT 60u
#define LB_AGG_DEF_MAX_BUFFERED ((size_t)256 << 20)

/* lb_agg_serve with limits (NULL: all defaults).  LB_EINVAL for a limit
 * out of range (max_buffered below LB_WIRE_MAX_BYTES), LB_EIO as above.
 * With tls_cert and tls_key, HTTPS (libmicrohttpd's TLS): LB_EINVAL when
 * only one is given, when this libmicrohttpd has no TLS, or when a file
 * is not a PEM certificate / private key or the two do not belong
 * together; LB_EIO when one cannot be read (each naming the file). */
lb_err lb_agg_serve_with(struct lb_agg_server **out, struct lb_agg *a, const char *addr,
                         uint16_t port, unsigned threads, const struct lb_agg_limits *lim,
                         FILE *log, struct lb_diag *d);

/* The port actually bound. */
uint16_t lb_agg_server_port(const struct lb_agg_server *s);

/* Call cb(ctx) after every POST whose change set brought new entries (a
 * relay's forwarder runs a pass soon: forward.h).  cb must be quick and
 * safe from any thread.  Set it once, right after starting the server. */
void lb_agg_server_on_accept(struct lb_agg_server *s, void (*cb)(void *ctx), void *ctx);

/* Stop accepting, finish requests in flight, free.  NULL is allowed. */
void lb_agg_server_stop(struct lb_agg_server *s);

#endif
