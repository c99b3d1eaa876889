/*
 * web.c — the dashboard (web.h): the embedded pages and assets, and the
 * session endpoints.  The files come from build/gen/web_data.h, made by
 * tools/embed_files.sh from agg/web/ and the system's Chart.js; nothing is
 * fetched from anywhere else, so the pages work on an office LAN without
 * internet, and the Content-Security-Policy says so to the browser.
 */
#define _POSIX_C_SOURCE 200809L
#include "web.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../schema/i18n.h"
#include "../schema/text.h"
#include "http.h"
#include "token.h"

struct lb_embed_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};
#include "web_data.h"

#define CSP                                                                                      \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
#define COOKIE_ATTRS "; HttpOnly; SameSite=Strict; Path=/"

bool lb_web_owns(const char *path)
{
	return !strcmp(path, "/") || !strcmp(path, "/index.html") || !strncmp(path, "/assets/", 8) ||
	       !strcmp(path, "/v1/session") || !strcmp(path, "/v1/session/end");
}

bool lb_web_wants_body(const char *method, const char *path)
{
	return !strcmp(method, "POST") && !strcmp(path, "/v1/session");
}

static void web_log(lb_api_log_fn log, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void web_log(lb_api_log_fn log, void *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log(ctx, line);
}

/* One answer with the headers every dashboard answer carries. */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                            const void *buf, size_t len, enum MHD_ResponseMemoryMode mode,
                            const char *cookie)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)buf, mode);
	struct lb_agg_note *n = lb_agg_request_note(c);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (n) { /* for the request's log line (http.h) */
		n->out = len;
		n->out_known = true;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Content-Security-Policy", CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	if (cookie)
		MHD_add_response_header(r, "Set-Cookie", cookie);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j,
                                 const char *cookie)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	enum MHD_Result ret;

	json_decref(j);
	if (!s)
		return MHD_NO;
	ret = answer(c, status, "application/json", s, strlen(s), MHD_RESPMEM_MUST_COPY, cookie);
	free(s);
	return ret;
}

static enum MHD_Result fail(struct MHD_Connection *c, unsigned status, lb_err e, const char *msg,
                            const char *method, const char *path, lb_api_log_fn log, void *ctx)
{
	char esc[LB_ESC_BUF];

	web_log(log, ctx, "WEB %s %s: %u %s: %s", method, lb_escape(esc, path, strlen(path)), status,
	        lb_errname(e), msg);
	return send_json(c, status, json_pack("{s:s, s:s}", "error", lb_errname(e), "message", msg),
	                 NULL);
}

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot || !strcmp(dot, ".html"))
		return "text/html; charset=utf-8";
	if (!strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	if (!strcmp(dot, ".svg"))
		return "image/svg+xml";
	if (!strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	return "application/octet-stream";
}

/* The embedded file of path, NULL when there is none. */
static const struct lb_embed_file *file(const char *path)
{
	const char *name = strcmp(path, "/") ? path : "/index.html";

	for (size_t i = 0; i < sizeof lb_embed_files / sizeof *lb_embed_files; i++)
		if (!strcmp(lb_embed_files[i].name, name))
			return &lb_embed_files[i];
	return NULL;
}

/* A POST from a page of another origin is refused: the Origin header, when
 * the browser sends one, must be http://HOST of this request. */
static bool same_origin(struct MHD_Connection *c)
{
	const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");

	if (!o)
		return true;
	return h && !strncmp(o, "http://", 7) && !strcmp(o + 7, h);
}

/* The token of the request: Authorization: Bearer, else the cookie. */
static const char *token_of(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");

	if (h && !strncasecmp(h, "Bearer ", 7))
		return h + 7;
	return MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "lumbung_token");
}

/* The answer of GET /v1/session: who is signed in (or signed_in false),
 * and the aggregator's bahasa for the dashboard's default: "id" or "en"
 * when it was chosen (LUMBUNG_BAHASA, the bahasa setting, an id_ID
 * locale), null when nothing chose (the page follows the browser). */
static json_t *session(const struct lb_token_info *t)
{
	const char *b = lb_i18n_chosen();
	json_t *j = json_pack("{s:b}", "signed_in", t != NULL);
	char role[LB_ROLE_MAX];

	if (j && t) {
		lb_role_str(t, role);
		json_object_set_new(j, "name", json_string(t->name));
		json_object_set_new(j, "role", json_string(role));
	}
	if (j)
		json_object_set_new(j, "bahasa", b ? json_string(b) : json_null());
	return j;
}

static enum MHD_Result sign_in(struct lb_agg *a, struct MHD_Connection *c, const char *body,
                               size_t len, lb_api_log_fn log, void *ctx)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *m = "POST", *p = "/v1/session";
	struct lb_token_info t;
	struct lb_diag d = {0};
	char cookie[LB_TOKEN_LEN + 64], esc[LB_ESC_BUF];
	const char *tok;
	json_t *j;
	size_t n;

	if (len > LB_WEB_BODY_MAX)
		return fail(c, MHD_HTTP_CONTENT_TOO_LARGE, LB_ETOOBIG, "the body is too long", m, p, log,
		            ctx);
	if (!ct || strncasecmp(ct, "application/json", 16))
		return fail(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, LB_EINVAL,
		            "send {\"token\": \"...\"} as application/json", m, p, log, ctx);
	j = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, NULL);
	tok = json_string_value(json_object_get(j, "token"));
	if (!tok) {
		json_decref(j);
		return fail(c, MHD_HTTP_BAD_REQUEST, LB_EMALFORMED,
		            "the body must be {\"token\": \"...\"}", m, p, log, ctx);
	}
	n = strlen(tok);
	/* only a token of the form lbt_ and hex can be valid; anything else
	 * never reaches the cookie */
	if (n != LB_TOKEN_LEN || strspn(tok, "lbt_0123456789abcdef") != n ||
	    lb_agg_token_check(a, tok, n, &t, &d)) {
		json_decref(j);
		return fail(c, MHD_HTTP_UNAUTHORIZED, LB_EAUTH, "that token is not valid here", m, p,
		            log, ctx);
	}
	snprintf(cookie, sizeof cookie, "lumbung_token=%s" COOKIE_ATTRS, tok);
	json_decref(j);
	web_log(log, ctx, "WEB signed in: token \"%s\"", lb_escape(esc, t.name, strlen(t.name)));
	return send_json(c, MHD_HTTP_OK, session(&t), cookie);
}

enum MHD_Result lb_web_answer(struct lb_agg *a, struct MHD_Connection *c, const char *method,
                              const char *path, const char *body, size_t len, lb_api_log_fn log,
                              void *log_ctx)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	const struct lb_embed_file *f;

	if (!strcmp(path, "/v1/session")) {
		struct lb_token_info t;
		struct lb_diag d = {0};
		const char *tok;

		if (!strcmp(method, "POST")) {
			if (!same_origin(c))
				return fail(c, MHD_HTTP_FORBIDDEN, LB_EFORBIDDEN,
				            "a sign-in from a page of another origin", method, path, log,
				            log_ctx);
			return sign_in(a, c, body, len, log, log_ctx);
		}
		if (!get)
			return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, LB_EINVAL, "method not allowed here",
			            method, path, log, log_ctx);
		tok = token_of(c);
		if (tok && *tok && !lb_agg_token_check(a, tok, strlen(tok), &t, &d))
			return send_json(c, MHD_HTTP_OK, session(&t), NULL);
		return send_json(c, MHD_HTTP_OK, session(NULL), NULL);
	}
	if (!strcmp(path, "/v1/session/end")) {
		if (strcmp(method, "POST"))
			return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, LB_EINVAL, "method not allowed here",
			            method, path, log, log_ctx);
		if (!same_origin(c))
			return fail(c, MHD_HTTP_FORBIDDEN, LB_EFORBIDDEN,
			            "a sign-out from a page of another origin", method, path, log, log_ctx);
		return send_json(c, MHD_HTTP_OK, json_pack("{s:b}", "signed_in", 0),
		                 "lumbung_token=; Max-Age=0" COOKIE_ATTRS);
	}
	if (!get)
		return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, LB_EINVAL, "method not allowed here", method,
		            path, log, log_ctx);
	if ((f = file(path)))
		return answer(c, MHD_HTTP_OK, type_of(f->name), f->data, f->len, MHD_RESPMEM_PERSISTENT,
		            NULL);
	return fail(c, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND, "no such file", method, path, log, log_ctx);
}
