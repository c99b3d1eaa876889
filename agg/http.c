/*
 * http.c — libmicrohttpd front of the aggregator store (http.h).
 *
 * MHD runs a pool of epoll (or poll) threads.  When a request's headers
 * are in, a POST is checked before any of its body is read: framing
 * (one Content-Length, no Transfer-Encoding, the msgpack Content-Type,
 * or for a change set `Content-Encoding: zstd` or the sealed Content-Type
 * of sync/envelope.h; the body's magic must then agree),
 * the origin header against the enrolment, and a reservation of
 * Content-Length bytes from the in-flight budget.  The body is then
 * collected (never more than it announced; MHD reads exactly
 * Content-Length) and handed whole to lb_agg_ingest, which opens the
 * envelope and decodes, both bounded.  Replies are small canonical msgpack maps.
 *
 * Deadlines: every connection is known to us from MHD's connection
 * notification (struct conn, its socket context) with the time it began
 * waiting for its current request.  A sweeper thread shuts down (shutdown
 * (2), not close: MHD still owns the descriptor) each connection whose
 * headers or whole request are late; MHD then sees the end of the stream
 * and cleans the connection up.  The notification that a connection is
 * closed comes before MHD closes the descriptor and takes the same lock,
 * so the sweeper never touches a reused descriptor.
 */
#define _GNU_SOURCE /* fopencookie (lb_agg_log_stream) */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "../node/entry.h"
#include "../schema/mp.h"
#include "../schema/text.h"
#include "../sync/envelope.h"
#include "../sync/wire.h"
#include "api.h"
#include "catalogue.h"
#include "metrics.h"
#include "relay.h"
#include "tree.h"
#include "web.h"

#define FD_RESERVE 64     /* descriptors kept for LMDB, the log, the listener ... */
#define CONN_SLACK 32     /* MHD's connection limit is ours plus this (see admit) */
#define SWEEP_MS 500      /* how often deadlines are checked */
#define RETRY_AFTER "5"   /* seconds, when the body budget is spent */
#define MSGPACK_TYPE "application/x-msgpack"
#define SEALED_TYPE "application/x-lumbung-sealed"
#define LLA_TYPE "application/x-lumbung-lla"
#define LOG_PATH 400      /* bytes of a path kept for its log line */

/* One TCP connection (MHD socket context), in the server's list. */
struct conn {
	struct conn *prev, *next;
	int fd;
	uint32_t addr;    /* the client's IPv4 address (network order) */
	int64_t since_ms; /* began waiting for its current request */
	enum { WAIT_HEADERS, WAIT_BODY, ANSWERING } phase;
	bool cut;         /* shut down by the sweeper */
	struct req *cur;  /* the request being answered (its note), NULL between */
};

struct lb_agg_server {
	struct MHD_Daemon *mhd;
	struct lb_agg *a;
	FILE *log;
	bool log_json;            /* lb_agg_limits.log_json */
	struct lb_agg_metrics *metrics;
	pthread_mutex_t log_lock;
	uint16_t port;
	struct lb_agg_limits lim;
	pthread_mutex_t lock;     /* conns, buffered, buffered_anon, stopping */
	pthread_cond_t wake;
	struct conn *conns;
	size_t buffered, buffered_anon; /* bytes reserved by bodies in flight */
	unsigned evicted, turned_away;  /* at a connection limit, since the last sweep */
	bool stopping, sweeper_up;
	const char *mhd_last;           /* MHD's last message format, its repeats */
	unsigned mhd_repeats;
	int64_t mhd_last_ms;
	pthread_t sweeper;
	void (*on_accept)(void *ctx); /* lb_agg_server_on_accept */
	void *on_accept_ctx;
	char *tls_cert, *tls_key;       /* PEM text given to MHD (HTTPS), or NULL */
};

struct req {
	struct conn *conn;
	uint8_t *body;            /* reserved bytes, allocated with the first data */
	size_t len;
	size_t reserved;          /* from the budget, given back when done */
	bool anon;                /* no origin header: reserved from the quarter */
	bool has_origin;
	uint8_t origin[LB_PK_BYTES];
	bool refused;             /* an answer is already queued */
	bool stmts;               /* POST /v1/statements (tree.h) */
	bool api;                 /* a POST of the API (api.h): a kecamatan's catalogue */
	enum lb_env_form form;    /* what the headers announce (envelope.h) */
	/* its line in the request log (http.h) */
	struct lb_agg_note note;
	enum lb_agg_kind kind;
	int64_t t0;               /* monotonic ms when its headers were in */
	char when[64];            /* the same, ISO 8601 UTC */
	char client[48];
	char method[3 * 16 + 1];  /* escaped, cut */
	char path[LOG_PATH + 8];  /* escaped, cut */
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every byte outside printable ASCII as \xHH into out (always ending with
 * NUL).  token: the blank and the backslash too, so the text is one token
 * and an escape in it is always ours, and input cut for room ends with
 * "...".  The one escaping loop of escape and escape_raw below. */
static void hex_escape(char *out, size_t cap, const char *in, bool token)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0;

	for (; *p && o + (token ? 8 : 5) < cap; p++) {
		if (*p >= 0x20 && *p < 0x7f && !(token && (*p == ' ' || *p == '\\'))) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hx[*p >> 4];
			out[o++] = hx[*p & 15];
		}
	}
	if (token && *p)
		out[o++] = '.', out[o++] = '.', out[o++] = '.';
	out[o] = '\0';
}

/* The last guard of a log line or reply message: every byte outside
 * printable ASCII becomes \xHH, so nothing can end a line or forge one.
 * Peer bytes were already escaped with lb_escape where each message was
 * made (which also escapes the backslash, so a peer cannot write a
 * look-alike); this pass leaves that text as it is, instead of escaping it
 * twice.  out always ends with NUL; long input is cut. */
static void escape(char *out, size_t cap, const char *in)
{
	hex_escape(out, cap, in, false);
}

/* Raw peer bytes (a path, a method) for a log line: everything outside
 * printable ASCII, the blank and the backslash become \xHH, so the text
 * is one token and an escape in it is always ours.  Long input is cut
 * ("..." at the end). */
static void escape_raw(char *out, size_t cap, const char *in)
{
	hex_escape(out, cap, in, true);
}

/* Now, ISO 8601 UTC with milliseconds. */
static void iso_now(char out[64])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

/* One finished line (printable ASCII) to the log, whole. */
static void put_line(struct lb_agg_server *s, const char *line)
{
	pthread_mutex_lock(&s->log_lock);
	fprintf(s->log, "%s\n", line);
	fflush(s->log);
	pthread_mutex_unlock(&s->log_lock);
}

/* A JSON object as one line; NULL j (out of memory) writes nothing. */
static void put_json(struct lb_agg_server *s, json_t *j)
{
	char *t = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(j);
	if (t)
		put_line(s, t);
	free(t);
}

/* lb_agg_log_stream: whole lines, each escaped and, with json, wrapped. */
struct log_stream {
	FILE *log;
	bool json;
	size_t n;
	char buf[1024];
};

static void stream_line(struct log_stream *ls)
{
	char esc[4 * sizeof ls->buf + 1], when[64];
	json_t *j;
	char *t;

	ls->buf[ls->n] = '\0';
	ls->n = 0;
	escape(esc, sizeof esc, ls->buf);
	if (!ls->json) {
		fprintf(ls->log, "%s\n", esc);
	} else {
		iso_now(when);
		j = json_pack("{s:s, s:s}", "time", when, "message", esc);
		if (j && (t = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
			fprintf(ls->log, "%s\n", t);
			free(t);
		}
		json_decref(j);
	}
	fflush(ls->log);
}

static ssize_t stream_write(void *cookie, const char *b, size_t len)
{
	struct log_stream *ls = cookie;

	for (size_t i = 0; i < len; i++) {
		if (b[i] == '\n') {
			stream_line(ls);
			continue;
		}
		if (ls->n == sizeof ls->buf - 1) /* a long line: cut in pieces */
			stream_line(ls);
		ls->buf[ls->n++] = b[i];
	}
	return (ssize_t)len;
}

static int stream_close(void *cookie)
{
	struct log_stream *ls = cookie;
	if (ls->n)
		stream_line(ls);
	free(ls);
	return 0;
}

FILE *lb_agg_log_stream(FILE *log, bool json)
{
	cookie_io_functions_t io = {.write = stream_write, .close = stream_close};
	struct log_stream *ls = calloc(1, sizeof *ls);
	FILE *f;

	if (!ls)
		return NULL;
	ls->log = log;
	ls->json = json;
	if (!(f = fopencookie(ls, "w", io)))
		free(ls);
	return f;
}

/* One log line, escaped as a whole: the arguments may carry peer bytes
 * (header values, details from a change set).  With --log-json, the line
 * is the message of {"time", "message"}. */
static void vlogf_(struct lb_agg_server *s, const char *fmt, va_list ap)
{
	char raw[1024], esc[4 * sizeof raw];
	size_t n;

	if (!s->log)
		return;
	vsnprintf(raw, sizeof raw, fmt, ap);
	n = strlen(raw);
	while (n && raw[n - 1] == '\n') /* MHD's own messages end in one */
		raw[--n] = '\0';
	escape(esc, sizeof esc, raw);
	if (s->log_json) {
		char when[64];
		iso_now(when);
		put_json(s, json_pack("{s:s, s:s}", "time", when, "message", esc));
		return;
	}
	put_line(s, esc);
}

static void logf_(struct lb_agg_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct lb_agg_server *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogf_(s, fmt, ap);
	va_end(ap);
}

/* MHD's error log goes through the same escaping, and a message repeated
 * within 10 s (one per refused connection in a flood) is counted, not
 * written again. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct lb_agg_server *s = cls;
	int64_t now = now_ms();
	unsigned repeats = 0;
	bool same;

	pthread_mutex_lock(&s->log_lock);
	same = fmt == s->mhd_last && now - s->mhd_last_ms < 10000;
	if (same) {
		s->mhd_repeats++;
	} else {
		repeats = s->mhd_repeats;
		s->mhd_repeats = 0;
		s->mhd_last = fmt;
		s->mhd_last_ms = now;
	}
	pthread_mutex_unlock(&s->log_lock);
	if (same)
		return;
	if (repeats)
		logf_(s, "(the message before came %u more times)", repeats);
	vlogf_(s, fmt, ap);
}

/* close: the request was refused before its body was read, so the
 * connection ends after the answer (what follows is not a request). */
static enum MHD_Result reply_(struct MHD_Connection *c, unsigned status, struct lb_mp_buf *b,
                              bool close)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(b->sb.size, b->sb.data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	struct lb_agg_note *n = lb_agg_request_note(c);

	if (!r)
		return MHD_NO;
	if (n) {
		n->out = b->sb.size;
		n->out_known = true;
	}
	MHD_add_response_header(r, "Content-Type", MSGPACK_TYPE);
	if (close)
		MHD_add_response_header(r, "Connection", "close");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", RETRY_AFTER);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, struct lb_mp_buf *b)
{
	return reply_(c, status, b, false);
}

static unsigned status_of(lb_err e)
{
	switch (e) {
	case LB_EUNKNOWN_ORIGIN:
	case LB_EWRONG_VILLAGE:
	case LB_ESIG:
		return MHD_HTTP_FORBIDDEN;
	case LB_EGAP:
	case LB_EFORK:
		return MHD_HTTP_CONFLICT;
	case LB_ESCHEMA:
		return 422;
	case LB_ETOOBIG:
		return MHD_HTTP_CONTENT_TOO_LARGE;
	case LB_EMALFORMED:
	case LB_EINVAL:
		return MHD_HTTP_BAD_REQUEST;
	case LB_ENOTFOUND:
		return MHD_HTTP_NOT_FOUND;
	case LB_EBUSY:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* {code, message[, hash, seq]} — keys sorted for canonical form.  status
 * 0: the one for e.  The message is escaped (it may quote peer bytes). */
static enum MHD_Result error_reply_(struct MHD_Connection *c, unsigned status, lb_err e,
                                    const char *raw, const struct lb_agg_result *where, bool close)
{
	char msg[4 * LB_DIAG_MAX];
	struct lb_mp_buf b;
	enum MHD_Result ret;

	escape(msg, sizeof msg, raw);
	lb_agg_note_result(lb_agg_request_note(c), e, msg);
	if (where) {
		struct lb_agg_note *n = lb_agg_request_note(c);
		if (n) {
			n->seq = where->seq;
			n->has_seq = true;
		}
	}
	lb_mp_buf_init(&b);
	lb_mp_put_map(&b, where ? 4 : 2);
	lb_mp_put_cstr(&b, "code");
	lb_mp_put_cstr(&b, lb_errname(e));
	if (where) {
		lb_mp_put_cstr(&b, "hash");
		lb_mp_put_bin(&b, where->hash, LB_HASH_BYTES);
	}
	lb_mp_put_cstr(&b, "message");
	lb_mp_put_cstr(&b, msg);
	if (where) {
		lb_mp_put_cstr(&b, "seq");
		lb_mp_put_uint(&b, where->seq);
	}
	ret = reply_(c, status ? status : status_of(e), &b, close);
	lb_mp_buf_free(&b);
	return ret;
}

static enum MHD_Result error_reply(struct MHD_Connection *c, lb_err e, const char *msg,
                                   const struct lb_agg_result *where)
{
	return error_reply_(c, 0, e, msg, where, false);
}

/* GET /v1/origins/{o}'s `up`: {key, receipt, seq} per upstream. */
struct up_list {
	struct lb_mp_buf items;
	uint32_t n;
};

static int up_item(void *ctx, const uint8_t upstream[LB_PK_BYTES], uint64_t seq,
                   const uint8_t *receipt, size_t len)
{
	struct up_list *u = ctx;

	lb_mp_put_map(&u->items, 3);
	lb_mp_put_cstr(&u->items, "key");
	lb_mp_put_bin(&u->items, upstream, LB_PK_BYTES);
	lb_mp_put_cstr(&u->items, "receipt");
	lb_mp_put_bin(&u->items, receipt, len);
	lb_mp_put_cstr(&u->items, "seq");
	lb_mp_put_uint(&u->items, seq);
	u->n++;
	return 0;
}

static enum MHD_Result get_origin(struct lb_agg_server *s, struct MHD_Connection *c,
                                  const char *hex)
{
	struct up_list up = {.n = 0};
	uint8_t origin[LB_PK_BYTES];
	struct lb_agg_origin o;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	enum MHD_Result ret;
	lb_err e;

	struct lb_agg_note *n = lb_agg_request_note(c);

	if (lb_unhex(origin, LB_PK_BYTES, hex))
		return error_reply(c, LB_EMALFORMED, "origin must be 64 hex digits", NULL);
	lb_agg_note_origin(n, origin);
	if (!(e = lb_agg_origin(s->a, origin, &o, &d)))
		lb_agg_note_village(n, o.village);
	if (!e && o.base && o.seq < o.base)
		/* a successor not started here yet: nothing to say where it
		 * stands until the old key's chain reaches its base */
		e = lb_fail(&d, LB_EGAP, "this key continues the village's chain after seq %llu by a "
		            "succession, and this aggregator does not hold the old key's chain up to "
		            "there yet: the old key's entries come first",
		            (unsigned long long)o.base);
	if (e) /* the request's line says why */
		return error_reply(c, e, lb_diag_msg(&d, e), NULL);
	lb_mp_buf_init(&b);
	lb_mp_buf_init(&up.items);
	/* at a relay: the newest receipts its upstreams signed for o */
	if ((e = lb_agg_up_receipts(s->a, origin, up_item, &up, &d)) || up.items.oom) {
		lb_mp_buf_free(&up.items);
		logf_(s, "GET origin %.16s: %s", hex, e ? lb_diag_msg(&d, e) : "out of memory");
		return error_reply(c, e ? e : LB_ENOMEM, e ? lb_diag_msg(&d, e) : "out of memory",
		                   NULL);
	}
	if (n) {
		n->seq = o.seq;
		n->has_seq = true;
	}
	lb_mp_put_map(&b, up.n ? 4 : 3);
	/* the envelope forms a change set may come in (sync/envelope.h) */
	lb_mp_put_cstr(&b, "accept");
	lb_mp_put_array(&b, 2);
	lb_mp_put_cstr(&b, "zstd");
	lb_mp_put_cstr(&b, "sealed");
	lb_mp_put_cstr(&b, "hash");
	lb_mp_put_bin(&b, o.hash, LB_HASH_BYTES);
	lb_mp_put_cstr(&b, "seq");
	lb_mp_put_uint(&b, o.seq);
	if (up.n) {
		lb_mp_put_cstr(&b, "up");
		lb_mp_put_array(&b, up.n);
		lb_mp_put_raw(&b, up.items.sb.data, up.items.sb.size);
	}
	lb_mp_buf_free(&up.items);
	ret = reply(c, MHD_HTTP_OK, &b);
	lb_mp_buf_free(&b);
	return ret;
}

/* The village's name in LB_WIRE_NAME_HEADER, learnt for the directory
 * after its change set was accepted (the origin named in the request has
 * then proven it holds an enrolled key's signed history).  Only the first
 * name is kept and an office name wins (lb_agg_learn_name); a bad name is
 * logged, escaped, and changes nothing: the push itself has succeeded. */
static void learn_name(struct lb_agg_server *s, struct MHD_Connection *c, const struct req *q)
{
	const char *nh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, LB_WIRE_NAME_HEADER);
	char buf[3 * LB_AGG_NAME_MAX + 1], esc[LB_ESC_BUF];
	struct lb_diag d = {0};
	size_t n;
	bool stored;
	lb_err e;

	if (!nh || !q->has_origin)
		return;
	if ((n = strlen(nh)) >= sizeof buf) {
		logf_(s, "village name header of %zu bytes ignored (at most %d bytes of name)", n,
		      LB_AGG_NAME_MAX);
		return;
	}
	memcpy(buf, nh, n + 1);
	n = MHD_http_unescape(buf);
	if (n != strlen(buf))
		e = lb_fail(&d, LB_EINVAL, "name \"%s\" holds a NUL byte", lb_escape(esc, buf, n));
	else
		e = lb_agg_learn_name(s->a, q->origin, buf, &stored, &d);
	if (e)
		logf_(s, "village name not learnt (%s): %s", lb_errname(e), lb_diag_msg(&d, e));
	else if (stored)
		logf_(s, "village name learnt: \"%s\"", lb_escape(esc, buf, n));
}

static const char *form_name(enum lb_env_form f)
{
	return f == LB_ENV_SEALED ? "sealed" : f == LB_ENV_ZSTD ? "zstd-compressed" : "plain msgpack";
}

static enum MHD_Result post_changeset(struct lb_agg_server *s, struct MHD_Connection *c,
                                      struct req *q)
{
	struct lb_agg_result r;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	enum MHD_Result ret;
	lb_err e;

	const char *rh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, LB_WIRE_RELAY_HEADER);
	uint8_t relay[LB_PK_BYTES];
	bool via = rh && !lb_unhex(relay, LB_PK_BYTES, rh);

	/* the headers announced a form: the body's first bytes must agree */
	if (lb_env_form(q->body, q->len) != q->form)
		e = lb_fail(&d, LB_EMALFORMED,
		            "the body is %s but the request's headers announce %s",
		            form_name(lb_env_form(q->body, q->len)), form_name(q->form));
	else /* the change set must come from the origin its headers named:
	      * the enrolment was checked against that name before the body
	      * was read */
		e = lb_agg_ingest_from(s->a, q->body, q->len, via ? relay : NULL,
		                       q->has_origin ? q->origin : NULL, &r, &d);
	if (e) /* the request's line says why */
		return error_reply(c, e, lb_diag_msg(&d, e), e == LB_EGAP ? &r : NULL);
	q->note.entries = r.accepted;
	q->note.seq = r.seq;
	q->note.has_seq = true;
	learn_name(s, c, q);
	if (r.accepted && s->on_accept)
		s->on_accept(s->on_accept_ctx);
	lb_mp_buf_init(&b);
	lb_mp_put_map(&b, 4);
	lb_mp_put_cstr(&b, "accepted");
	lb_mp_put_uint(&b, r.accepted);
	lb_mp_put_cstr(&b, "hash");
	lb_mp_put_bin(&b, r.hash, LB_HASH_BYTES);
	lb_mp_put_cstr(&b, "receipt");
	lb_mp_put_bin(&b, r.receipt, r.receipt_len);
	lb_mp_put_cstr(&b, "seq");
	lb_mp_put_uint(&b, r.seq);
	free(r.receipt);
	ret = reply(c, MHD_HTTP_OK, &b);
	lb_mp_buf_free(&b);
	return ret;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

static void set_phase(struct lb_agg_server *s, struct conn *k, int phase)
{
	if (!k)
		return;
	pthread_mutex_lock(&s->lock);
	k->phase = phase;
	if (phase == WAIT_HEADERS)
		k->since_ms = now_ms();
	pthread_mutex_unlock(&s->lock);
}

struct framing {
	unsigned content_length, transfer_encoding, content_type, content_encoding;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	struct framing *f = cls;
	(void)kind;
	(void)value;
	if (!strcasecmp(key, "Content-Length"))
		f->content_length++;
	else if (!strcasecmp(key, "Transfer-Encoding"))
		f->transfer_encoding++;
	else if (!strcasecmp(key, "Content-Type"))
		f->content_type++;
	else if (!strcasecmp(key, "Content-Encoding"))
		f->content_encoding++;
	return MHD_YES;
}

/* type ("application/x-msgpack" ...), any case, optionally followed by
 * parameters. */
static bool media_type(const char *ct, const char *type)
{
	size_t n = strlen(type);

	if (!ct || strncasecmp(ct, type, n))
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return !*ct || *ct == ';';
}

static bool msgpack_type(const char *ct)
{
	return media_type(ct, MSGPACK_TYPE);
}

/* A Content-Encoding value: one token, optional white space around it. */
static bool encoding_is(const char *ce, const char *token)
{
	size_t n = strlen(token);

	while (*ce == ' ' || *ce == '\t')
		ce++;
	if (strncasecmp(ce, token, n))
		return false;
	ce += n;
	while (*ce == ' ' || *ce == '\t')
		ce++;
	return !*ce;
}

/* Refuse at the headers: the answer is queued now and the connection
 * closes after it, without reading the body. */
static enum MHD_Result refuse(struct lb_agg_server *s, struct MHD_Connection *c, struct req *q,
                              unsigned status, lb_err e, const char *msg)
{
	(void)s; /* the request's line says why (error_reply_ notes it) */
	q->refused = true;
	return error_reply_(c, status, e, msg, NULL, true);
}

/* Reserve len bytes of the in-flight budget for q's body (q->anon: from
 * the quarter kept for requests without an origin).  false: no room. */
static bool reserve(struct lb_agg_server *s, struct req *q, size_t len)
{
	bool room;

	pthread_mutex_lock(&s->lock);
	room = s->buffered + len <= s->lim.max_buffered &&
	       (!q->anon || s->buffered_anon + len <= s->lim.max_buffered / 4);
	if (room) {
		s->buffered += len;
		if (q->anon)
			s->buffered_anon += len;
		q->reserved = len;
	}
	pthread_mutex_unlock(&s->lock);
	return room;
}

/* The framing of a POST's body: one Content-Length, a number, at most max
 * bytes, no Transfer-Encoding.  On a refusal the error, *status (0: the
 * error's own) and the message in msg; what names the body ("change
 * set"). */
static lb_err body_length(const struct framing *f, const char *cl, unsigned long long max,
                          const char *what, unsigned *status, char *msg, size_t n,
                          unsigned long long *len)
{
	char *end;

	*status = MHD_HTTP_BAD_REQUEST;
	if (f->content_length > 1) {
		snprintf(msg, n, "more than one Content-Length header");
		return LB_EMALFORMED;
	}
	if (f->transfer_encoding) {
		*status = f->content_length ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_LENGTH_REQUIRED;
		snprintf(msg, n, "Transfer-Encoding is not accepted: send the %s with a "
		         "Content-Length", what);
		return LB_EMALFORMED;
	}
	if (!cl) {
		*status = MHD_HTTP_LENGTH_REQUIRED;
		snprintf(msg, n, "a %s needs a Content-Length header", what);
		return LB_EMALFORMED;
	}
	errno = 0;
	*len = strtoull(cl, &end, 10);
	if (*cl < '0' || *cl > '9' || *end || errno) {
		snprintf(msg, n, "Content-Length is not a number");
		return LB_EMALFORMED;
	}
	if (*len > max) {
		*status = 0;
		snprintf(msg, n, "%s larger than the limit of %llu bytes (Content-Length %.24s)", what,
		         max, cl);
		return LB_ETOOBIG;
	}
	return LB_OK;
}

static void api_log(void *ctx, const char *line);

/* The headers of a POST of the API (POST /v1/catalogues/{region}/log: a
 * log archive, at most LB_AGG_CATALOGUE_POST_MAX bytes): framing and size
 * checked, room reserved, refusals in the API's JSON. */
static enum MHD_Result api_post_headers(struct lb_agg_server *s, struct MHD_Connection *c,
                                        struct req *q, const char *method, const char *url)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
	struct framing f = {0};
	char msg[LB_ESC_BUF + 96], esc[LB_ESC_BUF];
	unsigned long long len = 0;
	unsigned status = MHD_HTTP_BAD_REQUEST;
	lb_err e;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &f);
	if ((e = body_length(&f, cl, LB_AGG_CATALOGUE_POST_MAX, "catalogue archive", &status, msg,
	                     sizeof msg, &len))) {
		if (!status)
			status = MHD_HTTP_CONTENT_TOO_LARGE;
	} else if (f.content_type != 1 || !media_type(ct, LLA_TYPE)) {
		status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
		e = LB_EMALFORMED;
		snprintf(msg, sizeof msg, "Content-Type must be " LLA_TYPE ", not \"%s\"",
		         lb_escape(esc, ct ? ct : "", ct ? strlen(ct) : 0));
	} else if (f.content_encoding && !(f.content_encoding == 1 && ce && encoding_is(ce, "identity"))) {
		status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
		e = LB_EMALFORMED;
		snprintf(msg, sizeof msg, "Content-Encoding \"%s\" is not accepted for a catalogue",
		         lb_escape(esc, ce ? ce : "", ce ? strlen(ce) : 0));
	} else {
		q->anon = true;
		if (reserve(s, q, (size_t)len))
			return MHD_YES;
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		e = LB_EBUSY;
		snprintf(msg, sizeof msg, "too many requests in flight; try again later");
	}
	q->refused = true;
	return lb_api_refuse(c, method, url, status, e, msg, api_log, s);
}

/* A POST's headers are in: check everything that can be checked before
 * its body is read, and reserve room for the body. */
static enum MHD_Result post_headers(struct lb_agg_server *s, struct MHD_Connection *c,
                                    struct req *q)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *oh = MHD_lookup_connection_value(c, MHD_HEADER_KIND, LB_WIRE_ORIGIN_HEADER);
	struct framing f = {0};
	struct lb_diag d = {0};
	struct lb_agg_origin o;
	char msg[LB_DIAG_MAX + 64];
	unsigned long long len = 0;
	unsigned status;
	lb_err e;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &f);
	if ((e = body_length(&f, cl, LB_WIRE_MAX_BYTES, "change set", &status, msg, sizeof msg,
	                     &len)))
		return refuse(s, c, q, status, e, msg);
	/* a change set: plain or zstd msgpack, or sealed (sync/envelope.h);
	 * statements: plain msgpack only */
	q->form = LB_ENV_PLAIN;
	if (f.content_type == 1 && !q->stmts && media_type(ct, SEALED_TYPE))
		q->form = LB_ENV_SEALED;
	else if (f.content_type > 1 || !msgpack_type(ct)) {
		char esc[LB_ESC_BUF];
		snprintf(msg, sizeof msg,
		         "Content-Type must be " MSGPACK_TYPE "%s, not \"%s\"",
		         q->stmts ? "" : " or " SEALED_TYPE,
		         lb_escape(esc, ct ? ct : "", ct ? strlen(ct) : 0));
		return refuse(s, c, q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, LB_EMALFORMED, msg);
	}
	if (f.content_encoding) {
		const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
		if (f.content_encoding == 1 && ce && encoding_is(ce, "identity"))
			;
		else if (f.content_encoding == 1 && ce && !q->stmts && q->form == LB_ENV_PLAIN &&
		         encoding_is(ce, "zstd"))
			q->form = LB_ENV_ZSTD;
		else {
			char esc[LB_ESC_BUF];
			snprintf(msg, sizeof msg,
			         "Content-Encoding \"%s\" is not accepted%s",
			         lb_escape(esc, ce ? ce : "", ce ? strlen(ce) : 0),
			         q->stmts                  ? " for statements"
			         : q->form == LB_ENV_SEALED ? " on a sealed change set (its "
			                                     "compression is inside the seal)"
			                                   : " (zstd only, once)");
			return refuse(s, c, q, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, LB_EMALFORMED, msg);
		}
	}
	if (q->stmts) { /* an aggregator's statements: its key, not a village's */
		if ((e = lb_agg_tree_admit(s->a, oh, q->origin, &q->has_origin, &d)))
			return refuse(s, c, q, 0, e, lb_diag_msg(&d, e));
	} else if (oh) {
		if (lb_unhex(q->origin, LB_PK_BYTES, oh))
			return refuse(s, c, q, 0, LB_EMALFORMED,
			              LB_WIRE_ORIGIN_HEADER " must be 64 hex digits");
		lb_agg_note_origin(&q->note, q->origin);
		if ((e = lb_agg_origin(s->a, q->origin, &o, &d)))
			return refuse(s, c, q, 0, e, lb_diag_msg(&d, e));
		lb_agg_note_village(&q->note, o.village);
		if (o.revoked) {
			/* a key retired by a succession may still bring its chain up
			 * to the seq the succession names (ingest checks the rest) */
			struct lb_succession sc;
			if (lb_agg_succession(s->a, q->origin, false, &sc, NULL, NULL, NULL))
				return refuse(s, c, q, 0, LB_EUNKNOWN_ORIGIN, "this origin key was revoked");
			if (o.seq >= sc.seq) {
				char nhx[2 * LB_PK_BYTES + 1], msg[256];
				lb_hex(nhx, sc.new_key, LB_PK_BYTES);
				snprintf(msg, sizeof msg, "key retired at seq %llu by a succession; its new "
				         "key is %s", (unsigned long long)sc.seq, nhx);
				return refuse(s, c, q, 0, LB_EUNKNOWN_ORIGIN, msg);
			}
		}
		q->has_origin = true;
	}
	q->anon = !oh;
	if (!reserve(s, q, (size_t)len))
		return refuse(s, c, q, 0, LB_EBUSY,
		              q->anon ? "too many change sets without " LB_WIRE_ORIGIN_HEADER
		                        " in flight; try again later"
		                      : "too many change sets in flight; try again later");
	return MHD_YES;
}

static void api_log(void *ctx, const char *line)
{
	logf_(ctx, "%s", line);
}

/* GET /metrics (metrics.h): no token, nothing personal. */
static enum MHD_Result get_metrics(struct lb_agg_server *s, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	struct lb_agg_note *n = lb_agg_request_note(c);
	enum MHD_Result ret;
	char *text;
	size_t len;

	if (lb_agg_metrics_render(s->metrics, s->a, &text, &len))
		return MHD_NO;
	if (!(r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE))) {
		free(text);
		return MHD_NO;
	}
	if (n) {
		n->out = len;
		n->out_known = true;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

struct lb_agg_note *lb_agg_request_note(struct MHD_Connection *c)
{
	struct conn *k = c ? conn_of(c) : NULL;
	return k && k->cur ? &k->cur->note : NULL;
}

static void copy_cut(char *out, size_t cap, const char *in)
{
	size_t len = in ? strlen(in) : 0;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, in ? in : "", len);
	out[len] = '\0';
}

void lb_agg_note_result(struct lb_agg_note *n, lb_err e, const char *msg)
{
	if (!n)
		return;
	n->result = e;
	n->result_set = true;
	copy_cut(n->why, sizeof n->why, msg);
}

void lb_agg_note_village(struct lb_agg_note *n, const char *village)
{
	if (n)
		copy_cut(n->village, sizeof n->village, village);
}

void lb_agg_note_origin(struct lb_agg_note *n, const uint8_t origin[LB_PK_BYTES])
{
	if (n)
		lb_hex(n->origin, origin, 8);
}

/* A request's headers are in: what its line will say of it. */
static void note_start(struct lb_agg_server *s, struct MHD_Connection *c, struct req *q,
                       const char *method, const char *url)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	(void)s;
	q->t0 = now_ms();
	iso_now(q->when);
	q->kind = lb_agg_kind_of(method, url);
	escape_raw(q->method, sizeof q->method, method);
	escape_raw(q->path, sizeof q->path, url);
	snprintf(q->client, sizeof q->client, "-");
	if (i && i->client_addr) {
		const struct sockaddr *sa = i->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
			          q->client, sizeof q->client);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			          q->client, sizeof q->client);
	}
	if (q->conn)
		q->conn->cur = q;
}

/* An HTTP status as a result, for answers that did not note theirs (the
 * dashboard's, the tree's). */
static lb_err result_of_status(unsigned status)
{
	switch (status) {
	case 0:
	case MHD_HTTP_OK:
		return LB_OK;
	case MHD_HTTP_UNAUTHORIZED:
		return LB_EAUTH;
	case MHD_HTTP_FORBIDDEN:
		return LB_EFORBIDDEN;
	case MHD_HTTP_NOT_FOUND:
		return LB_ENOTFOUND;
	case MHD_HTTP_CONFLICT:
		return LB_EGAP;
	case MHD_HTTP_CONTENT_TOO_LARGE:
		return LB_ETOOBIG;
	case MHD_HTTP_SERVICE_UNAVAILABLE:
		return LB_EBUSY;
	default:
		return status < 300 ? LB_OK : status < 500 ? LB_EINVAL : LB_EIO;
	}
}

/* The request's line (http.h) and its count in the metrics. */
static void note_end(struct lb_agg_server *s, struct MHD_Connection *c, struct req *q,
                     enum MHD_RequestTerminationCode toe)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
	unsigned status = i ? i->http_status : 0;
	struct lb_agg_note *n = &q->note;
	long long ms = (long long)(now_ms() - q->t0);
	char why[4 * LB_DIAG_MAX], village[4 * sizeof n->village];
	const char *origin = n->origin[0] ? n->origin : "-";
	lb_err result = n->result_set ? n->result : result_of_status(status);

	if (!result && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		result = LB_ENET;
		snprintf(n->why, sizeof n->why, "%s",
		         toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "the connection timed out"
		         : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? "the client went away"
		         : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "the server stopped"
		                                                        : "the connection failed");
	}
	lb_agg_metrics_request(s->metrics, q->kind, result, n->entries, q->len);
	if (!s->log)
		return;
	escape(why, sizeof why, n->why);
	escape_raw(village, sizeof village, n->village[0] ? n->village : "-");
	if (s->log_json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s?, s:s?, s:I, s:o, s:I, s:o, "
		                      "s:I, s:s?}",
		                      "time", q->when, "client", q->client, "method", q->method, "path",
		                      q->path, "status", (json_int_t)status, "result", lb_errname(result),
		                      "village", n->village[0] ? village : NULL, "origin",
		                      n->origin[0] ? n->origin : NULL, "entries", (json_int_t)n->entries,
		                      "seq", n->has_seq ? json_integer((json_int_t)n->seq) : json_null(),
		                      "in", (json_int_t)q->len, "out",
		                      n->out_known ? json_integer((json_int_t)n->out) : json_null(), "ms",
		                      (json_int_t)ms, "message", why[0] ? why : NULL);
		put_json(s, j);
		return;
	}
	char line[sizeof why + 1024], seq[24] = "-", out[24] = "-", st[16] = "-";
	if (n->has_seq)
		snprintf(seq, sizeof seq, "%llu", (unsigned long long)n->seq);
	if (n->out_known)
		snprintf(out, sizeof out, "%llu", (unsigned long long)n->out);
	if (status)
		snprintf(st, sizeof st, "%u", status);
	snprintf(line, sizeof line,
	         "%s %s %s %s %s %s village=%s origin=%s entries=%llu seq=%s in=%zu out=%s ms=%lld%s%s",
	         q->when, q->client, q->method, q->path, st, lb_errname(result), village, origin,
	         (unsigned long long)n->entries, seq, q->len, out, ms, why[0] ? ": " : "", why);
	put_line(s, line);
}

/* GET /v1/aggregators/{hex} (hex) or POST /v1/statements (q): tree.c. */
static enum MHD_Result tree_answer(struct lb_agg_server *s, struct MHD_Connection *c,
                                   const char *hex, const struct req *q)
{
	struct lb_mp_buf b;
	enum MHD_Result ret;
	unsigned status;

	lb_mp_buf_init(&b);
	status = hex ? lb_agg_tree_get(s->a, hex, &b, api_log, s)
	             : lb_agg_tree_post(s->a, q->has_origin ? q->origin : NULL, q->body, q->len, &b,
	                                api_log, s);
	ret = b.oom ? MHD_NO : reply(c, status, &b);
	lb_mp_buf_free(&b);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
	struct lb_agg_server *s = cls;
	struct req *q = *con_cls;
	bool stmts = !strcmp(method, "POST") && !strcmp(url, "/v1/statements");
	char params[LB_API_PARAMS][LB_API_PARAM_MAX];
	const char *allow;
	bool api = !strcmp(method, "POST") && lb_api_owns(url) &&
	           lb_api_match(method, url, params, &allow) >= 0;
	bool post = stmts || api || (!strcmp(method, "POST") && !strcmp(url, "/v1/changesets"));

	(void)version;
	/* Answer only once the request is complete (a second call with no
	 * data): a response queued on the first call makes MHD close the
	 * connection instead of keeping it alive for the next change set. */
	if (!q) { /* first call: headers only */
		if (!(q = calloc(1, sizeof *q)))
			return MHD_NO;
		*con_cls = q;
		q->conn = conn_of(c);
		note_start(s, c, q, method, url);
		q->stmts = stmts;
		q->api = api;
		set_phase(s, q->conn, WAIT_BODY);
		if (api)
			return api_post_headers(s, c, q, method, url);
		return post ? post_headers(s, c, q) : MHD_YES;
	}
	if (q->refused) { /* answered at the headers */
		*size = 0;
		return MHD_YES;
	}
	if (!post) {
		if (*size) { /* a body nobody asked for is read and dropped */
			if (lb_web_wants_body(method, url)) { /* the sign-in's: a little kept */
				if (!q->body && !(q->body = malloc(LB_WEB_BODY_MAX)))
					return MHD_NO;
				if (q->len < LB_WEB_BODY_MAX)
					memcpy(q->body + q->len, data,
					       *size < LB_WEB_BODY_MAX - q->len ? *size : LB_WEB_BODY_MAX - q->len);
				q->len += *size;
			}
			*size = 0;
			return MHD_YES;
		}
		set_phase(s, q->conn, ANSWERING);
		if (!strcmp(method, "GET") && !strncmp(url, "/v1/origins/", 12))
			return get_origin(s, c, url + 12);
		if (!strcmp(method, "GET") && !strncmp(url, "/v1/aggregators/", 16))
			return tree_answer(s, c, url + 16, NULL);
		if (!strcmp(method, "GET") && !strcmp(url, "/metrics"))
			return get_metrics(s, c);
		if (lb_web_owns(url)) /* the dashboard and its session (web.c) */
			return lb_web_answer(s->a, c, method, url, (const char *)q->body, q->len, api_log, s);
		if (lb_api_owns(url)) /* the read API (api.c), JSON */
			return lb_api_answer(s->a, c, method, url, api_log, s);
		return error_reply(c, LB_ENOTFOUND, "no such endpoint", NULL);
	}
	if (*size) {
		/* MHD reads no more than Content-Length, which was reserved */
		if (q->len + *size > q->reserved)
			return MHD_NO;
		/* one buffer of the reserved size: pages are only touched as the
		 * body arrives, and nothing is copied on the way */
		if (!q->body && !(q->body = malloc(q->reserved)))
			return MHD_NO;
		memcpy(q->body + q->len, data, *size);
		q->len += *size;
		*size = 0;
		return MHD_YES;
	}
	set_phase(s, q->conn, ANSWERING);
	if (q->api)
		return lb_api_answer_body(s->a, c, method, url, q->body, q->len, api_log, s);
	return q->stmts ? tree_answer(s, c, NULL, q) : post_changeset(s, c, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct lb_agg_server *s = cls;
	struct req *q = *con_cls;
	if (q) {
		note_end(s, c, q, toe);
		if (q->conn && q->conn->cur == q)
			q->conn->cur = NULL;
		if (q->reserved) {
			pthread_mutex_lock(&s->lock);
			s->buffered -= q->reserved;
			if (q->anon)
				s->buffered_anon -= q->reserved;
			pthread_mutex_unlock(&s->lock);
		}
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
	/* a kept-alive connection now waits for its next request */
	set_phase(s, conn_of(c), WAIT_HEADERS);
}

/* The limits on connections, for a new connection k (lock held): per
 * address, and in all (MHD's own limit is set a little higher, so that
 * this one decides).  At a limit, the oldest connection still waiting for
 * its headers (of that address, or of all) makes room: a client that sends
 * its request at once gets in even while others, behind the same NAT or
 * not, hold idle connections.  When every connection concerned is busy
 * with a request, k itself is turned away. */
static void admit(struct lb_agg_server *s, struct conn *k)
{
	struct conn *oldest_here = NULL, *oldest = NULL, *cut;
	unsigned here = 0, all = 0;

	for (struct conn *o = s->conns; o; o = o->next) {
		bool idle = o->phase == WAIT_HEADERS;
		if (o->cut)
			continue;
		all++;
		if (idle && (!oldest || o->since_ms < oldest->since_ms))
			oldest = o;
		if (o->addr != k->addr)
			continue;
		here++;
		if (idle && (!oldest_here || o->since_ms < oldest_here->since_ms))
			oldest_here = o;
	}
	if (here >= s->lim.max_per_address)
		cut = oldest_here;
	else if (all >= s->lim.max_connections)
		cut = oldest;
	else
		return;
	if (!cut) {
		cut = k;
		s->turned_away++;
	} else {
		s->evicted++;
	}
	shutdown(cut->fd, SHUT_RDWR);
	cut->cut = true;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct lb_agg_server *s = cls;
	struct conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *i =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!i || !(k = calloc(1, sizeof *k)))
			return; /* no deadline for it then; the idle timeout still holds */
		k->fd = i->connect_fd;
		k->since_ms = now_ms();
		k->phase = WAIT_HEADERS;
		if ((i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS)) &&
		    i->client_addr->sa_family == AF_INET)
			k->addr = ((const struct sockaddr_in *)(const void *)i->client_addr)->sin_addr.s_addr;
		pthread_mutex_lock(&s->lock);
		admit(s, k);
		k->next = s->conns;
		if (s->conns)
			s->conns->prev = k;
		s->conns = k;
		pthread_mutex_unlock(&s->lock);
		*socket_context = k;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || !k)
		return;
	/* before MHD closes the descriptor: the sweeper never sees it reused */
	pthread_mutex_lock(&s->lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&s->lock);
	free(k);
	*socket_context = NULL;
}

/* Shut down connections past their deadline; bytes trickled in do not
 * move it. */
static void *sweeper(void *arg)
{
	struct lb_agg_server *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		int64_t now = now_ms();
		unsigned slow_headers = 0, slow_requests = 0, evicted = s->evicted,
		         turned_away = s->turned_away;

		for (struct conn *k = s->conns; k; k = k->next) {
			int64_t limit = k->phase == WAIT_HEADERS ? s->lim.header_timeout_s
			                                         : s->lim.request_timeout_s;
			if (k->cut || k->phase == ANSWERING || now - k->since_ms < limit * 1000)
				continue;
			shutdown(k->fd, SHUT_RDWR);
			k->cut = true;
			if (k->phase == WAIT_HEADERS)
				slow_headers++;
			else
				slow_requests++;
		}
		s->evicted = s->turned_away = 0;
		if (slow_headers || slow_requests || evicted || turned_away) {
			pthread_mutex_unlock(&s->lock);
			if (slow_headers || slow_requests)
				logf_(s, "closed %u connections without headers after %u s and %u "
				         "without a whole request after %u s",
				      slow_headers, s->lim.header_timeout_s, slow_requests,
				      s->lim.request_timeout_s);
			if (evicted || turned_away)
				logf_(s, "at the limit of connections (%u per address, %u in all): closed "
				         "%u waiting for headers, turned %u new ones away",
				      s->lim.max_per_address, s->lim.max_connections, evicted, turned_away);
			pthread_mutex_lock(&s->lock);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void server_free(struct lb_agg_server *s)
{
	if (s->sweeper_up) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->sweeper, NULL);
	}
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->log_lock);
	free(s->tls_cert);
	if (s->tls_key) {
		sodium_memzero(s->tls_key, strlen(s->tls_key));
		free(s->tls_key);
	}
	lb_agg_metrics_free(s->metrics);
	free(s);
}

#define PEM_MAX (1u << 20)

/* Read the PEM file path (the key when is_key, else the certificate)
 * into *out (malloc'd, NUL-terminated); it must hold marker.  Errors name
 * path. */
static lb_err read_pem(const char *path, bool is_key, const char *marker, char **out,
                       struct lb_diag *d)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0;
	int err = 0;

	*out = NULL;
	if (!f) {
		err = errno;
		goto unreadable;
	}
	if (!(b = malloc(PEM_MAX + 1))) {
		fclose(f);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	n = fread(b, 1, PEM_MAX + 1, f);
	if (ferror(f))
		err = errno ? errno : EIO;
	fclose(f);
	b[n > PEM_MAX ? PEM_MAX : n] = '\0';
	if (err || n > PEM_MAX || strlen(b) != n || !strstr(b, marker)) {
		sodium_memzero(b, PEM_MAX + 1);
		free(b);
		if (err)
			goto unreadable;
		return is_key ? lb_fail(d, LB_EINVAL, "the TLS key %s is not in PEM form (no \"%s\")",
		                        path, marker)
		              : lb_fail(d, LB_EINVAL,
		                        "the TLS certificate %s is not in PEM form (no \"%s\")", path,
		                        marker);
	}
	*out = b;
	return LB_OK;
unreadable:
	return is_key ? lb_fail(d, LB_EIO, "cannot read the TLS key %s: %s", path, strerror(err))
	              : lb_fail(d, LB_EIO, "cannot read the TLS certificate %s: %s", path,
	                        strerror(err));
}

/* --tls-cert / --tls-key: both read into s, or an error naming the file. */
static lb_err tls_load(struct lb_agg_server *s, const struct lb_agg_limits *l, struct lb_diag *d)
{
	lb_err e;

	if (!l->tls_cert != !l->tls_key)
		return lb_fail(d, LB_EINVAL, "HTTPS needs both the certificate and its private key "
		                             "(--tls-cert FILE --tls-key FILE)");
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return lb_fail(d, LB_EINVAL, "this libmicrohttpd was built without TLS, so it cannot "
		                             "serve HTTPS: install one with TLS (Debian's has it) or put "
		                             "a reverse proxy with the certificate in front");
	if ((e = read_pem(l->tls_cert, false, "-----BEGIN CERTIFICATE-----", &s->tls_cert, d)))
		return e;
	return read_pem(l->tls_key, true, "PRIVATE KEY-----", &s->tls_key, d);
}

lb_err lb_agg_serve(struct lb_agg_server **out, struct lb_agg *a, const char *addr, uint16_t port,
                    unsigned threads, FILE *log, struct lb_diag *d)
{
	return lb_agg_serve_with(out, a, addr, port, threads, NULL, log, d);
}

lb_err lb_agg_serve_with(struct lb_agg_server **out, struct lb_agg *a, const char *addr,
                         uint16_t port, unsigned threads, const struct lb_agg_limits *lim,
                         FILE *log, struct lb_diag *d)
{
	struct lb_agg_server *s;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	const union MHD_DaemonInfo *info;
	struct lb_agg_limits l = lim ? *lim : (struct lb_agg_limits){0};
	struct rlimit rl;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	lb_err e;

	*out = NULL;
	if (!threads)
		threads = 4;
	l.max_connections = l.max_connections ? l.max_connections : LB_AGG_DEF_MAX_CONNECTIONS;
	l.max_per_address = l.max_per_address ? l.max_per_address : LB_AGG_DEF_MAX_PER_ADDRESS;
	l.header_timeout_s = l.header_timeout_s ? l.header_timeout_s : LB_AGG_DEF_HEADER_TIMEOUT;
	l.request_timeout_s = l.request_timeout_s ? l.request_timeout_s : LB_AGG_DEF_REQUEST_TIMEOUT;
	l.idle_timeout_s = l.idle_timeout_s ? l.idle_timeout_s : LB_AGG_DEF_IDLE_TIMEOUT;
	l.max_buffered = l.max_buffered ? l.max_buffered : LB_AGG_DEF_MAX_BUFFERED;
	if (l.max_buffered < LB_WIRE_MAX_BYTES)
		return lb_fail(d, LB_EINVAL, "the body budget must be at least %u MiB (one change set)",
		               LB_WIRE_MAX_BYTES >> 20);
	if (l.header_timeout_s > l.request_timeout_s)
		return lb_fail(d, LB_EINVAL, "the header timeout (%u s) is longer than the request "
		                             "timeout (%u s)",
		               l.header_timeout_s, l.request_timeout_s);
	if (!(s = calloc(1, sizeof *s)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		free(s);
		return lb_fail(d, LB_EINVAL, "\"%s\" is not an IPv4 address", addr);
	}
	if ((l.tls_cert || l.tls_key) && (e = tls_load(s, &l, d))) {
		free(s->tls_cert);
		free(s->tls_key);
		free(s);
		return e;
	}
	s->a = a;
	s->log = log;
	s->log_json = l.log_json;
	if (!(s->metrics = lb_agg_metrics_new())) {
		free(s->tls_cert);
		free(s->tls_key);
		free(s);
		return lb_fail(d, LB_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->log_lock, NULL);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	/* every connection is a descriptor: stay inside the process's limit */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
	    l.max_connections + CONN_SLACK + FD_RESERVE > rl.rlim_cur) {
		unsigned fit = rl.rlim_cur > 2 * (FD_RESERVE + CONN_SLACK)
		                       ? (unsigned)(rl.rlim_cur - FD_RESERVE - CONN_SLACK)
		                       : FD_RESERVE;
		logf_(s, "serve: %u connections asked for, %u fit in the open-file limit of %llu",
		      l.max_connections, fit, (unsigned long long)rl.rlim_cur);
		l.max_connections = fit;
	}
	if (l.max_connections < threads)
		l.max_connections = threads;
	s->lim = l;
	if (pthread_create(&s->sweeper, NULL, sweeper, s)) {
		server_free(s);
		return lb_fail(d, LB_ENOMEM, "cannot start a thread");
	}
	s->sweeper_up = true;
	/* epoll (else poll): no FD_SETSIZE ceiling on connections */
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
	if (s->tls_cert)
		flags |= MHD_USE_TLS;
	s->mhd = MHD_start_daemon(
		flags, port, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
		l.max_connections + CONN_SLACK,
		MHD_OPTION_CONNECTION_TIMEOUT,
		l.idle_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		/* HTTPS: the options end the list early when there is no TLS */
		s->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert,
		MHD_OPTION_HTTPS_MEM_KEY, s->tls_key, MHD_OPTION_END);
	if (!s->mhd) {
		struct MHD_Daemon *plain = NULL;
		unsigned pflags = flags & ~(unsigned)(MHD_USE_TLS | MHD_USE_ERROR_LOG);
		/* bound without TLS: then it was the certificate and key */
		if (s->tls_cert &&
		    (plain = MHD_start_daemon(pflags, port, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR,
		                              (struct sockaddr *)&sa, MHD_OPTION_END)))
			MHD_stop_daemon(plain);
		server_free(s);
		if (plain)
			return lb_fail(d, LB_EINVAL, "the TLS certificate %s and key %s cannot be used "
			               "together (is the key the certificate's own, unencrypted?)",
			               l.tls_cert, l.tls_key);
		return lb_fail(d, LB_EIO, "cannot listen on %s:%u (in use?)", addr, port);
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	*out = s;
	return LB_OK;
}

uint16_t lb_agg_server_port(const struct lb_agg_server *s)
{
	return s->port;
}

void lb_agg_server_on_accept(struct lb_agg_server *s, void (*cb)(void *ctx), void *ctx)
{
	s->on_accept_ctx = ctx;
	s->on_accept = cb;
}

void lb_agg_server_stop(struct lb_agg_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	server_free(s);
}
