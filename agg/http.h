/*
 * http.h — the aggregator's HTTP face (libmicrohttpd), docs/FORMAT.md §8:
 *
 *   GET  /v1/origins/{origin hex}  -> 200 {seq, hash}          (msgpack)
 *   POST /v1/changesets            -> 200 {seq, hash, receipt}
 *                                      4xx {code, message[, seq, hash]}
 *   GET  /metrics                   -> counters in the Prometheus text
 *                                      format (metrics.h), no token
 *   every other path                -> the read API in JSON (api.h),
 *                                      /v1/health among it
 *
 * Errors carry the stable lb_errname() code: unknown_origin (403),
 * wrong_village (403), bad_signature (403), gap (409, with where the
 * aggregator stands), fork (409), schema (422), too_large (413),
 * malformed (400).  Every request is logged, one line (below), a refusal
 * with its reason.
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

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <microhttpd.h>

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
	bool log_json;              /* the log as one JSON object per line (serve
	                               --log-json), not lines for people */
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

/*
 * The request log: one line per request when it ends, written to log:
 *
 *   TIME CLIENT METHOD PATH STATUS RESULT village=V origin=O entries=N seq=S
 *     in=BYTES out=BYTES ms=MS[: MESSAGE]
 *
 * TIME ISO 8601 UTC with milliseconds; RESULT `ok` or lb_errname's name;
 * V the village code, O the first 16 hex digits of the origin key, `-`
 * when the request named none (likewise seq, out); MESSAGE why it was
 * refused.  Every byte a peer chose (path, method, message) is escaped
 * (\xHH outside printable ASCII, and the blank in the path).  With
 * log_json: {"time", "client", "method", "path", "status", "result",
 * "village", "origin", "entries", "seq", "in", "out", "ms", "message"}
 * (absent: null), and other log lines as {"time", "message"}.
 *
 * Whoever answers a request (http.c, api.c, web.c) says what the line
 * needs through its note.
 */
struct lb_agg_note {
	lb_err result;          /* LB_OK, or why it was refused */
	bool result_set;        /* else taken from the HTTP status */
	char village[24];       /* as given (escaped when written), "" none */
	char origin[17];        /* hex, the first 8 bytes of the origin key, "" none */
	uint64_t entries;       /* entries stored */
	uint64_t seq;           /* where the aggregator stands for the origin */
	bool has_seq;
	uint64_t out;           /* bytes of the answer's body */
	bool out_known;
	char why[LB_DIAG_MAX];  /* the refusal's message, "" none */
};

/* The note of the request being answered on c; NULL when there is none
 * (not a connection of lb_agg_serve, or out of memory). */
struct lb_agg_note *lb_agg_request_note(struct MHD_Connection *c);

/* Set a note's result and message (msg may be NULL; cut to fit), its
 * origin from a key.  n may be NULL (nothing done). */
void lb_agg_note_result(struct lb_agg_note *n, lb_err e, const char *msg);
void lb_agg_note_origin(struct lb_agg_note *n, const uint8_t origin[LB_PK_BYTES]);
/* Set a note's village (cut to fit; escaped when written). */
void lb_agg_note_village(struct lb_agg_note *n, const char *village);

/* A stream for other parts' log lines (the forwarder's) that writes each
 * whole line to log as the server does: escaped, and with json as
 * {"time", "message"}.  NULL when out of memory.  fclose it after its
 * last writer has stopped. */
FILE *lb_agg_log_stream(FILE *log, bool json);

/* The port actually bound. */
uint16_t lb_agg_server_port(const struct lb_agg_server *s);

/* Call cb(ctx) after every POST whose change set brought new entries (a
 * relay's forwarder runs a pass soon: forward.h).  cb must be quick and
 * safe from any thread.  Set it once, right after starting the server. */
void lb_agg_server_on_accept(struct lb_agg_server *s, void (*cb)(void *ctx), void *ctx);

/* Stop accepting, finish requests in flight, free.  NULL is allowed. */
void lb_agg_server_stop(struct lb_agg_server *s);

#endif
