/*
 * agg_http.c — libmicrohttpd front of the aggregator store (agg_http.h).
 *
 * A POST body is collected into a buffer that is refused as soon as it
 * would pass LB_WIRE_MAX_BYTES (and up front when Content-Length says so),
 * then handed whole to lb_agg_ingest, whose decoder is bounded.  Replies
 * are small canonical msgpack maps.
 */
#define _POSIX_C_SOURCE 200809L
#include "agg_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "../node/entry.h"
#include "../schema/mp.h"
#include "wire.h"

struct lb_agg_server {
	struct MHD_Daemon *mhd;
	struct lb_agg *a;
	FILE *log;
	pthread_mutex_t log_lock;
	uint16_t port;
};

struct req {
	uint8_t *body;
	size_t len, cap;
	bool too_large;
};

static void logf_(struct lb_agg_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct lb_agg_server *s, const char *fmt, ...)
{
	va_list ap;
	if (!s->log)
		return;
	pthread_mutex_lock(&s->log_lock);
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->log);
	fflush(s->log);
	pthread_mutex_unlock(&s->log_lock);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, struct lb_mp_buf *b)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(b->sb.size, b->sb.data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/x-msgpack");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
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
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* {code, message[, hash, seq]} — keys sorted for canonical form. */
static enum MHD_Result error_reply(struct MHD_Connection *c, lb_err e, const char *msg,
                                   const struct lb_agg_result *where)
{
	struct lb_mp_buf b;
	enum MHD_Result ret;

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
	ret = reply(c, status_of(e), &b);
	lb_mp_buf_free(&b);
	return ret;
}

static enum MHD_Result get_origin(struct lb_agg_server *s, struct MHD_Connection *c,
                                  const char *hex)
{
	uint8_t origin[LB_PK_BYTES];
	struct lb_agg_origin o;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	enum MHD_Result ret;
	lb_err e;

	if (lb_unhex(origin, LB_PK_BYTES, hex))
		return error_reply(c, LB_EMALFORMED, "origin must be 64 hex digits", NULL);
	if ((e = lb_agg_origin(s->a, origin, &o, &d))) {
		logf_(s, "GET origin %.16s: refused: %s", hex, lb_diag_msg(&d, e));
		return error_reply(c, e, lb_diag_msg(&d, e), NULL);
	}
	lb_mp_buf_init(&b);
	lb_mp_put_map(&b, 2);
	lb_mp_put_cstr(&b, "hash");
	lb_mp_put_bin(&b, o.hash, LB_HASH_BYTES);
	lb_mp_put_cstr(&b, "seq");
	lb_mp_put_uint(&b, o.seq);
	ret = reply(c, MHD_HTTP_OK, &b);
	lb_mp_buf_free(&b);
	return ret;
}

static enum MHD_Result post_changeset(struct lb_agg_server *s, struct MHD_Connection *c,
                                      struct req *q)
{
	struct lb_agg_result r;
	struct lb_diag d = {0};
	struct lb_mp_buf b;
	enum MHD_Result ret;
	lb_err e;

	if (q->too_large)
		return error_reply(c, LB_ETOOBIG, "change set larger than the limit", NULL);
	e = lb_agg_ingest(s->a, q->body, q->len, &r, &d);
	if (e) {
		logf_(s, "POST changeset (%zu bytes): refused (%s): %s", q->len, lb_errname(e),
		      lb_diag_msg(&d, e));
		return error_reply(c, e, lb_diag_msg(&d, e), e == LB_EGAP ? &r : NULL);
	}
	logf_(s, "POST changeset (%zu bytes): accepted %llu entries, now at seq %llu", q->len,
	      (unsigned long long)r.accepted, (unsigned long long)r.seq);
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

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
	struct lb_agg_server *s = cls;
	struct req *q = *con_cls;

	(void)version;
	/* Answer only once the request is complete (a second call with no
	 * data): a response queued on the first call makes MHD close the
	 * connection instead of keeping it alive for the next change set. */
	if (!q) { /* first call: headers only */
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (!(q = calloc(1, sizeof *q)))
			return MHD_NO;
		*con_cls = q;
		/* refuse an announced oversize at once, without reading it */
		if (cl && strtoull(cl, NULL, 10) > LB_WIRE_MAX_BYTES) {
			q->too_large = true;
			logf_(s, "POST changeset: refused (too_large): Content-Length %s", cl);
			return error_reply(c, LB_ETOOBIG, "change set larger than the limit", NULL);
		}
		return MHD_YES;
	}
	if (strcmp(method, "POST") || strcmp(url, "/v1/changesets")) {
		if (*size) { /* a body nobody asked for is read and dropped */
			*size = 0;
			return MHD_YES;
		}
		if (!strcmp(method, "GET") && !strncmp(url, "/v1/origins/", 12))
			return get_origin(s, c, url + 12);
		return error_reply(c, LB_ENOTFOUND, "no such endpoint", NULL);
	}
	if (*size) {
		if (!q->too_large && q->len + *size > LB_WIRE_MAX_BYTES)
			q->too_large = true;
		if (!q->too_large) {
			if (q->len + *size > q->cap) {
				size_t nc = q->cap ? q->cap : 65536;
				uint8_t *p;
				while (nc < q->len + *size)
					nc *= 2;
				if (!(p = realloc(q->body, nc)))
					return MHD_NO;
				q->body = p;
				q->cap = nc;
			}
			memcpy(q->body + q->len, data, *size);
			q->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	return post_changeset(s, c, q);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (q) {
		free(q->body);
		free(q);
		*con_cls = NULL;
	}
}

lb_err lb_agg_serve(struct lb_agg_server **out, struct lb_agg *a, const char *addr, uint16_t port,
                    unsigned threads, FILE *log, struct lb_diag *d)
{
	struct lb_agg_server *s = calloc(1, sizeof *s);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	const union MHD_DaemonInfo *info;

	*out = NULL;
	if (!s)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		free(s);
		return lb_fail(d, LB_EINVAL, "\"%s\" is not an IPv4 address", addr);
	}
	s->a = a;
	s->log = log;
	pthread_mutex_init(&s->log_lock, NULL);
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL,
	                          NULL, handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                          MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 4,
	                          MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	                          MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!s->mhd) {
		pthread_mutex_destroy(&s->log_lock);
		free(s);
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

void lb_agg_server_stop(struct lb_agg_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->mhd);
	pthread_mutex_destroy(&s->log_lock);
	free(s);
}
