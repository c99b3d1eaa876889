/*
 * api.c — the read API (api.h): one route table, the token and role
 * checks, and a handler per endpoint.  Each handler reads through the
 * public calls of the store (agg.h, report.h, token.h): a report is the
 * very bytes `lumbung-agg report --json` prints (lb_report_run into a
 * memory stream); an export or archive streams from a thread writing the
 * existing exporter's output into a pipe (bounded memory whatever its
 * size); a page of records is one read transaction (lb_agg_page).
 */
#define _POSIX_C_SOURCE 200809L
#include "api.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../node/body.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/schema.h"
#include "../schema/text.h"
#include "../sync/logproof.h"
#include "../schema/version.h"
#include "catalogue.h"
#include "http.h"
#include "logauth.h"
#include "moves.h"
#include "report.h"
#include "token.h"

#define JSON_TYPE "application/json"
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define QUERY_MAX 256 /* bytes of one query value */
#define STREAMS_MAX 32 /* exports and archives in flight (each: a thread, a read snapshot) */

/* What a route asks of the token. */
enum need {
	NEED_NONE,     /* no token (health) */
	NEED_TOKEN,    /* any valid token */
	NEED_PERSONAL, /* kabupaten or kecamatan: lists of people (not the auditor) */
	NEED_HISTORY,  /* any role: histories and archives (personal data, logged) */
	NEED_PROOF,    /* the village's key (X-Lumbung-Proof) or, as NEED_HISTORY, a token:
	                  the handler checks which */
};

struct call {
	struct lb_agg *a;
	struct MHD_Connection *c;
	const char *method, *path;
	char p[LB_API_PARAMS][LB_API_PARAM_MAX];
	struct lb_token_info tok;
	bool have_tok;
	lb_api_log_fn log;
	void *log_ctx;
	const uint8_t *body; /* a POST's, read whole by http.c */
	size_t len;
	bool close;          /* answered before the body was read */
};

typedef enum MHD_Result (*handler_fn)(struct call *k);

struct route {
	const char *method;
	const char *pattern;
	enum need need;
	const char *query; /* the query parameters it takes, space-separated */
	handler_fn fn;
};

static enum MHD_Result h_health(struct call *k);
static enum MHD_Result h_villages(struct call *k);
static enum MHD_Result h_report(struct call *k);
static enum MHD_Result h_records(struct call *k);
static enum MHD_Result h_record(struct call *k);
static enum MHD_Result h_export(struct call *k);
static enum MHD_Result h_archive(struct call *k);
static enum MHD_Result h_history(struct call *k);
static enum MHD_Result h_challenge(struct call *k);
static enum MHD_Result h_log(struct call *k);
static enum MHD_Result h_datang(struct call *k);
static enum MHD_Result h_catalogues(struct call *k);
static enum MHD_Result h_catalogue_log(struct call *k);
static enum MHD_Result h_catalogue_one(struct call *k);
static enum MHD_Result h_catalogue_post(struct call *k);

static const struct route routes[] = {
	{"GET", "/v1/health", NEED_NONE, "", h_health},
	{"GET", "/v1/villages", NEED_TOKEN, "", h_villages},
	{"GET", "/v1/reports/{name}", NEED_TOKEN, "village kecamatan per late-days month", h_report},
	{"GET", "/v1/records/{type}", NEED_PERSONAL, "village after limit", h_records},
	{"GET", "/v1/records/{type}/{id}", NEED_PERSONAL, "village", h_record},
	{"GET", "/v1/export/{file}", NEED_PERSONAL, "village kecamatan", h_export},
	{"GET", "/v1/archive/{file}", NEED_HISTORY, "", h_archive},
	{"GET", "/v1/history/{village}/{type}/{id}", NEED_HISTORY, "", h_history},
	{"GET", "/v1/challenge", NEED_NONE, "", h_challenge},
	{"GET", "/v1/villages/{village}/log", NEED_PROOF, "from", h_log},
	{"GET", "/v1/villages/{village}/datang", NEED_PROOF, "", h_datang},
	{"GET", "/v1/catalogues", NEED_NONE, "", h_catalogues},
	{"GET", "/v1/catalogues/{region}/log", NEED_NONE, "from", h_catalogue_log},
	{"GET", "/v1/catalogues/{region}", NEED_NONE, "", h_catalogue_one},
	{"POST", "/v1/catalogues/{region}/log", NEED_NONE, "", h_catalogue_post},
};
#define NROUTES (sizeof routes / sizeof *routes)

bool lb_api_owns(const char *path)
{
	static const char *const village_paths[] = {"/v1/changesets", "/v1/origins"};
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(village_paths[i]);
		if (!strncmp(path, village_paths[i], n) && (path[n] == '\0' || path[n] == '/'))
			return false;
	}
	return true;
}

const char *lb_api_route_pattern(int i)
{
	return i >= 0 && (size_t)i < NROUTES ? routes[i].pattern : NULL;
}

/* Does path match pattern?  Parameters go to params. */
static bool match(const char *pattern, const char *path, char params[LB_API_PARAMS][LB_API_PARAM_MAX])
{
	int np = 0;

	while (*pattern && *path) {
		const char *pe, *se;
		size_t pl, sl;
		if (*pattern != '/' || *path != '/')
			return false;
		pattern++, path++;
		pe = strchr(pattern, '/');
		se = strchr(path, '/');
		pl = pe ? (size_t)(pe - pattern) : strlen(pattern);
		sl = se ? (size_t)(se - path) : strlen(path);
		if (sl == 0 || sl >= LB_API_PARAM_MAX || (sl == 1 && path[0] == '.') ||
		    (sl == 2 && path[0] == '.' && path[1] == '.'))
			return false;
		if (pattern[0] == '{') {
			if (np == LB_API_PARAMS)
				return false;
			memcpy(params[np], path, sl);
			params[np++][sl] = '\0';
		} else if (pl != sl || memcmp(pattern, path, sl)) {
			return false;
		}
		pattern += pl;
		path += sl;
	}
	return !*pattern && !*path;
}

int lb_api_match(const char *method, const char *path, char params[LB_API_PARAMS][LB_API_PARAM_MAX],
                 const char **allow)
{
	bool other = false;

	*allow = NULL;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, path, params))
			continue;
		if (!strcmp(routes[i].method, method))
			return (int)i;
		other = true;
		*allow = routes[i].method;
	}
	return other ? LB_API_NO_METHOD : LB_API_NO_PATH;
}

bool lb_api_parse_date(const char *s, int *y, int *m, int *dd)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	char c;

	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", y, m, dd, &c) != 3 || s[4] != '-' ||
	    s[7] != '-' || *y < 1900 || *y > 2100 || *m < 1 || *m > 12 || *dd < 1 ||
	    *dd > mdays[*m - 1] ||
	    (*m == 2 && *dd == 29 && !(*y % 4 == 0 && (*y % 100 != 0 || *y % 400 == 0))))
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

bool lb_api_parse_month(const char *s, int *y, int *m)
{
	char c;

	if (!s || strlen(s) != 7 || s[4] != '-' || sscanf(s, "%4d-%2d%c", y, m, &c) != 2 ||
	    *y < 1900 || *y > 2100 || *m < 1 || *m > 12)
		return false;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return false;
	return true;
}

/* ---- answers ------------------------------------------------------------ */

static void api_log(struct call *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void api_log(struct call *k, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!k->log)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	k->log(k->log_ctx, line);
}

static enum MHD_Result send_buf(struct call *k, unsigned status, const char *type, const void *buf,
                                size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)buf, MHD_RESPMEM_MUST_COPY);
	struct lb_agg_note *n = lb_agg_request_note(k->c);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (n) {
		n->out = len;
		n->out_known = true;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (k->close)
		MHD_add_response_header(r, "Connection", "close");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"lumbung\"");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, "Retry-After", "5");
	ret = MHD_queue_response(k->c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct call *k, unsigned status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	enum MHD_Result ret;

	json_decref(j);
	if (!s)
		return MHD_NO;
	ret = send_buf(k, status, JSON_TYPE, s, strlen(s));
	free(s);
	return ret;
}

static unsigned status_of(lb_err e)
{
	switch (e) {
	case LB_EINVAL:
	case LB_EMALFORMED:
	case LB_ESCHEMA:
		return MHD_HTTP_BAD_REQUEST;
	case LB_ETOOBIG:
		return MHD_HTTP_BAD_REQUEST;
	case LB_EAUTH:
		return MHD_HTTP_UNAUTHORIZED;
	case LB_EFORBIDDEN:
		return MHD_HTTP_FORBIDDEN;
	case LB_ENOTFOUND:
	case LB_EUNKNOWN_ORIGIN:
		return MHD_HTTP_NOT_FOUND;
	case LB_EBUSY:
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	default:
		return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* {"error", "message"}: status 0 takes e's.  msg was made with peer
 * bytes escaped (lb_escape). */
static enum MHD_Result fail_(struct call *k, unsigned status, lb_err e, const char *msg)
{
	char esc[4 * LB_DIAG_MAX];
	json_t *j;

	/* the message's own bytes stay printable whatever made them */
	lb_escape_buf(esc, sizeof esc, msg, strlen(msg));
	struct lb_agg_note *n = lb_agg_request_note(k->c);

	if (!status)
		status = status_of(e);
	if (n) /* the request's own line says it (http.h) */
		lb_agg_note_result(n, e, esc);
	else
		api_log(k, "API %s %s: %u %s: %s", k->method, k->path, status, lb_errname(e), esc);
	j = json_pack("{s:s, s:s}", "error", lb_errname(e), "message", esc);
	return send_json(k, status, j);
}

static enum MHD_Result fail(struct call *k, lb_err e, const struct lb_diag *d)
{
	return fail_(k, 0, e, lb_diag_msg(d, e));
}

/* ---- query parameters ----------------------------------------------------- */

struct qcheck {
	const char *allowed;
	char bad[LB_ESC_BUF];
	bool token, toolong;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct qcheck *q = cls;
	size_t n = strlen(key);
	const char *p = q->allowed;

	(void)kind;
	if (!strcasecmp(key, "token") || !strcasecmp(key, "access_token") ||
	    !strcasecmp(key, "lumbung_token")) {
		q->token = true;
		return MHD_NO;
	}
	if (value && strlen(value) > QUERY_MAX) {
		lb_escape(q->bad, key, n);
		q->toolong = true;
		return MHD_NO;
	}
	while ((p = strstr(p, key)))
		if ((p == q->allowed || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0') && n)
			return MHD_YES;
		else
			p++;
	lb_escape(q->bad, key, n);
	return MHD_NO;
}

/* A query value, NULL when absent (an empty value counts as absent). */
static const char *arg(struct call *k, const char *name)
{
	const char *v = MHD_lookup_connection_value(k->c, MHD_GET_ARGUMENT_KIND, name);
	return v && *v ? v : NULL;
}

/* ---- tokens and roles -------------------------------------------------- */

/* The token of the request: Authorization: Bearer, else the cookie. */
static lb_err authenticate(struct call *k, struct lb_diag *d)
{
	const char *h = MHD_lookup_connection_value(k->c, MHD_HEADER_KIND, "Authorization");
	const char *t = NULL;

	if (h) {
		if (strncasecmp(h, "Bearer ", 7))
			return lb_fail(d, LB_EAUTH, "the Authorization header must be \"Bearer TOKEN\"");
		t = h + 7;
		while (*t == ' ')
			t++;
	} else {
		t = MHD_lookup_connection_value(k->c, MHD_COOKIE_KIND, "lumbung_token");
	}
	if (!t || !*t)
		return lb_fail(d, LB_EAUTH, "an access token is needed (Authorization: Bearer TOKEN)");
	if (lb_agg_token_check(k->a, t, strlen(t), &k->tok, d))
		return LB_EAUTH;
	k->have_tok = true;
	return LB_OK;
}

/* May the token read village (a desa code)? */
static lb_err may_village(struct call *k, const char *village, struct lb_diag *d)
{
	char esc[LB_ESC_BUF];

	if (lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%s\" is not a desa code (PP.KK.CC.DDDD)",
		               lb_escape(esc, village, strlen(village)));
	if (k->tok.role == LB_ROLE_KECAMATAN &&
	    (strncmp(village, k->tok.kecamatan, 8) || village[8] != '.'))
		return lb_fail(d, LB_EFORBIDDEN, "village %s is outside kecamatan %s of this token",
		               village, k->tok.kecamatan);
	return LB_OK;
}

/* village / kecamatan filters of a list, narrowed to the token's scope:
 * a kecamatan token's list is its own kecamatan unless it names one of
 * its villages. */
static lb_err scope(struct call *k, const char **village, const char **kecamatan,
                    struct lb_diag *d)
{
	char esc[LB_ESC_BUF];
	lb_err e;

	if (*village && *kecamatan)
		return lb_fail(d, LB_EINVAL, "give village or kecamatan, not both");
	if (*village)
		return may_village(k, *village, d);
	if (*kecamatan) {
		if (lb_region_level(*kecamatan) != LB_REGION_KECAMATAN)
			return lb_fail(d, LB_EINVAL, "\"%s\" is not a kecamatan code (PP.KK.CC)",
			               lb_escape(esc, *kecamatan, strlen(*kecamatan)));
		if (k->tok.role == LB_ROLE_KECAMATAN && strcmp(*kecamatan, k->tok.kecamatan))
			return lb_fail(d, LB_EFORBIDDEN, "kecamatan %s is not this token's (%s)", *kecamatan,
			               k->tok.kecamatan);
		return LB_OK;
	}
	e = LB_OK;
	if (k->tok.role == LB_ROLE_KECAMATAN)
		*kecamatan = k->tok.kecamatan;
	return e;
}

struct qstr {
	char *buf;
	size_t len, cap;
};

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct qstr *q = cls;
	int n;
	(void)kind;
	n = snprintf(q->buf + q->len, q->cap - q->len, "%c%s=%s", q->len ? '&' : '?', key,
	             value ? value : "");
	if (n > 0)
		q->len = q->len + (size_t)n < q->cap ? q->len + (size_t)n : q->cap - 1;
	return MHD_YES;
}

/* A read of personal data: into the access log first, with its query
 * (which village, which page). */
static lb_err record_read(struct call *k, struct lb_diag *d)
{
	char full[1024], query[768] = "";
	struct qstr q = {query, 0, sizeof query};
	lb_err e;

	MHD_get_connection_values(k->c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
	snprintf(full, sizeof full, "%.250s%s", k->path, query);
	if ((e = lb_agg_access_add(k->a, k->tok.name, k->method, full, d))) {
		api_log(k, "API %s %s: NOT answered, the access log could not be written: %s", k->method,
		     k->path, lb_diag_msg(d, e));
		return e;
	}
	return LB_OK;
}

/* ---- handlers ------------------------------------------------------------ */

static int health_cb(void *ctx, const struct lb_agg_origin *o)
{
	(void)ctx;
	(void)o;
	return 1; /* one row read is enough */
}

/* 200 when the store answers a read transaction, else 503. */
static enum MHD_Result h_health(struct call *k)
{
	struct lb_diag d = {0};
	lb_err e = lb_agg_origins(k->a, health_cb, NULL, &d);

	if (e) {
		lb_agg_note_result(lb_agg_request_note(k->c), e, lb_diag_msg(&d, e));
		return send_json(k, MHD_HTTP_SERVICE_UNAVAILABLE,
		                 json_pack("{s:s, s:s, s:s, s:s}", "status", "unavailable", "version",
		                           lb_version(), "error", lb_errname(e), "message",
		                           "the store cannot be read"));
	}
	return send_json(k, MHD_HTTP_OK,
	                 json_pack("{s:s, s:s}", "status", "ok", "version", lb_version()));
}

struct vrow {
	char village[LB_VILLAGE_LEN + 1];
	unsigned keys, revoked;
	uint64_t last_seen_ms, entries, forks;
	char active[2 * LB_PK_BYTES + 1];
};

struct vlist {
	struct vrow *v;
	size_t n, cap;
	const char *prefix;
	bool oom;
};

static int village_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct vlist *l = ctx;
	struct vrow *r = NULL;

	if (l->prefix && (strncmp(o->village, l->prefix, 8) || o->village[8] != '.'))
		return 0;
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].village, o->village))
			r = &l->v[i];
	if (!r) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct vrow *nv = realloc(l->v, cap * sizeof *nv);
			if (!nv) {
				l->oom = true;
				return 1;
			}
			l->v = nv, l->cap = cap;
		}
		r = &l->v[l->n++];
		memset(r, 0, sizeof *r);
		memcpy(r->village, o->village, sizeof r->village);
	}
	r->keys++;
	r->revoked += o->revoked;
	if (!o->revoked)
		lb_hex(r->active, o->origin, LB_PK_BYTES);
	if (o->last_seen_ms > r->last_seen_ms)
		r->last_seen_ms = o->last_seen_ms;
	r->entries += o->entries;
	r->forks += o->forks;
	return 0;
}

static int vrow_cmp(const void *x, const void *y)
{
	return strcmp(((const struct vrow *)x)->village, ((const struct vrow *)y)->village);
}

static json_t *time_or_null(uint64_t ms)
{
	char buf[64];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms)
		return json_null();
	gmtime_r(&t, &tm);
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	return json_string(buf);
}

static enum MHD_Result h_villages(struct call *k)
{
	struct vlist l = {.prefix = k->tok.role == LB_ROLE_KECAMATAN ? k->tok.kecamatan : NULL};
	struct lb_diag d = {0};
	json_t *arr = json_array(), *j, *row;
	lb_err e;

	if ((e = lb_agg_origins(k->a, village_cb, &l, &d)) ||
	    (l.oom && (e = lb_fail(&d, LB_ENOMEM, "out of memory")))) {
		free(l.v);
		json_decref(arr);
		return fail(k, e, &d);
	}
	qsort(l.v, l.n, sizeof *l.v, vrow_cmp);
	for (size_t i = 0; i < l.n; i++) {
		char name[LB_AGG_NAME_MAX + 1] = "", kname[LB_AGG_NAME_MAX + 1] = "",
		     kec[LB_VILLAGE_LEN + 1];
		struct vrow *r = &l.v[i];
		memcpy(kec, r->village, 8);
		kec[8] = '\0';
		if ((e = lb_agg_village_name(k->a, r->village, name, NULL, &d)) ||
		    (e = lb_agg_region_name(k->a, kec, kname, &d)))
			break;
		row = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:b}", "code",
		                r->village, "name", name, "kecamatan", kec, "nama_kecamatan", kname,
		                "keys", (json_int_t)r->keys, "revoked_keys", (json_int_t)r->revoked,
		                "active_key", r->active[0] ? json_string(r->active) : json_null(),
		                "last_seen", time_or_null(r->last_seen_ms), "last_seen_ms",
		                (json_int_t)r->last_seen_ms, "entries", (json_int_t)r->entries, "forks",
		                (json_int_t)r->forks, "revoked", r->revoked == r->keys);
		if (json_array_append_new(arr, row)) { /* never a village silently left out */
			e = lb_fail(&d, LB_ENOMEM, "out of memory");
			break;
		}
	}
	free(l.v);
	if (e) {
		json_decref(arr);
		return fail(k, e, &d);
	}
	j = json_pack("{s:o}", "villages", arr);
	return send_json(k, MHD_HTTP_OK, j);
}

/* Is name one of lb_report_names()? */
static bool report_known(const char *name)
{
	const char *n = lb_report_names();
	size_t l = strlen(name);

	for (const char *p = strstr(n, name); p && l; p = strstr(p + 1, name))
		if ((p == n || p[-1] == ' ') && (p[l] == ' ' || p[l] == '\0'))
			return true;
	return false;
}

static enum MHD_Result h_report(struct call *k)
{
	struct lb_report_opts o = {.name = k->p[0], .format = LB_REPORT_JSON, .late_days = 7};
	const char *per = arg(k, "per"), *late = arg(k, "late-days"), *now = getenv("LUMBUNG_AGG_NOW_MS");
	struct lb_diag d = {0};
	char *buf = NULL, esc[LB_ESC_BUF];
	size_t len = 0;
	FILE *f;
	lb_err e;
	enum MHD_Result ret;

	o.village = arg(k, "village");
	o.kecamatan = arg(k, "kecamatan");
	if (!report_known(o.name))
		return fail_(k, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND, "no such report");
	/* which reports list people: the names are report.c's */
	if (!strcmp(o.name, "nik-ganda") && k->tok.role == LB_ROLE_AUDITOR)
		return fail_(k, 0, LB_EFORBIDDEN, "the nik-ganda report lists people; an auditor token "
		                                  "reads figures, histories and archives");
	if ((e = scope(k, &o.village, &o.kecamatan, &d)))
		return fail(k, e, &d);
	o.now_ms = now && *now ? strtoull(now, NULL, 10) : lb_hlc_wall_ms();
	if (late) {
		char *end;
		unsigned long v = strtoul(late, &end, 10);
		if (*end || late[0] < '0' || late[0] > '9' || v > 36500)
			return fail_(k, 0, LB_EINVAL, "late-days takes a number of days (0..36500)");
		o.late_days = (unsigned)v;
	}
	if (per) {
		if (!lb_api_parse_date(per, &o.per_y, &o.per_m, &o.per_d)) {
			lb_fail(&d, LB_EINVAL, "per \"%s\" is not a date YYYY-MM-DD",
			        lb_escape(esc, per, strlen(per)));
			return fail(k, LB_EINVAL, &d);
		}
	} else {
		time_t t = (time_t)(o.now_ms / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		o.per_y = tm.tm_year + 1900, o.per_m = tm.tm_mon + 1, o.per_d = tm.tm_mday;
	}
	{
		const char *month = arg(k, "month");
		if (!strcmp(o.name, "perkembangan") != !!month)
			return fail_(k, 0, LB_EINVAL, month ? "month is for the perkembangan report only"
			                                    : "perkembangan needs month=YYYY-MM");
		if (month && !lb_api_parse_month(month, &o.month_y, &o.month_m)) {
			lb_fail(&d, LB_EINVAL, "month \"%s\" is not a month YYYY-MM",
			        lb_escape(esc, month, strlen(month)));
			return fail(k, LB_EINVAL, &d);
		}
	}
	if (!strcmp(o.name, "nik-ganda") && (e = record_read(k, &d)))
		return fail(k, e, &d);
	if (!(f = open_memstream(&buf, &len)))
		return fail_(k, 0, LB_ENOMEM, "out of memory");
	e = lb_report_run(k->a, &o, f, &d);
	if (fclose(f) && !e)
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
	if (e) {
		free(buf);
		return fail(k, e, &d);
	}
	ret = send_buf(k, MHD_HTTP_OK, JSON_TYPE, buf, len);
	free(buf);
	return ret;
}

static const struct lb_type *type_of(const char *name, struct lb_diag *d)
{
	const struct lb_type *t = lb_schema_type(lb_schema_get(lb_schema_latest()), name);
	char esc[LB_ESC_BUF];

	if (!t)
		lb_fail(d, LB_EINVAL, "unknown record type \"%s\"", lb_escape(esc, name, strlen(name)));
	return t;
}

struct page {
	json_t *arr;
	struct lb_diag *d;
	char last[LB_API_PARAM_MAX + LB_ID_MAX];
	bool bad;
};

static int page_cb(void *ctx, const char *id, size_t id_len, const uint8_t *body, size_t len)
{
	struct page *p = ctx;
	json_t *j = lb_body_to_json(body, len, p->d);

	if (!j || id_len >= sizeof p->last) {
		json_decref(j);
		p->bad = true;
		return 1;
	}
	memcpy(p->last, id, id_len);
	p->last[id_len] = '\0';
	/* a record that cannot be put in the page stops it: never one left out */
	if (json_array_append_new(p->arr, json_pack("{s:s%, s:o}", "id", id, id_len, "record", j))) {
		lb_fail(p->d, LB_ECORRUPT, "a record could not be rendered as JSON");
		p->bad = true;
		return 1;
	}
	return 0;
}

static enum MHD_Result h_records(struct call *k)
{
	const char *village = arg(k, "village"), *after = arg(k, "after"), *lim = arg(k, "limit");
	struct lb_diag d = {0};
	struct page p = {.d = &d};
	unsigned long limit = PAGE_DEFAULT;
	bool more;
	json_t *j;
	lb_err e;

	if (!type_of(k->p[0], &d))
		return fail(k, LB_EINVAL, &d);
	if (!village)
		return fail_(k, 0, LB_EINVAL, "name the village: ?village=PP.KK.CC.DDDD");
	if ((e = may_village(k, village, &d)))
		return fail(k, e, &d);
	if (lim) {
		char *end;
		limit = strtoul(lim, &end, 10);
		if (*end || lim[0] < '0' || lim[0] > '9' || limit < 1 || limit > PAGE_MAX)
			return fail_(k, 0, LB_EINVAL, "limit takes a number from 1 to 1000");
	}
	if ((e = record_read(k, &d)))
		return fail(k, e, &d);
	p.arr = json_array();
	e = lb_agg_page(k->a, k->p[0], village, after, limit, page_cb, &p, &more, &d);
	if (!e && p.bad)
		e = d.code ? d.code : LB_ENOMEM;
	if (e) {
		json_decref(p.arr);
		return fail(k, e, &d);
	}
	j = json_pack("{s:s, s:s, s:o, s:o}", "type", k->p[0], "village", village, "records", p.arr,
	              "next", more ? json_string(p.last) : json_null());
	return send_json(k, MHD_HTTP_OK, j);
}

static enum MHD_Result h_record(struct call *k)
{
	const char *village = arg(k, "village");
	struct lb_diag d = {0};
	uint8_t *body;
	size_t len;
	json_t *j;
	lb_err e;

	if (!type_of(k->p[0], &d))
		return fail(k, LB_EINVAL, &d);
	if (!village)
		return fail_(k, 0, LB_EINVAL, "name the village: ?village=PP.KK.CC.DDDD");
	if ((e = may_village(k, village, &d)) || (e = lb_id_check(k->p[1], strlen(k->p[1]), &d)))
		return fail(k, e, &d);
	if ((e = record_read(k, &d)))
		return fail(k, e, &d);
	if ((e = lb_agg_get(k->a, k->p[0], village, k->p[1], &body, &len, &d)))
		return fail(k, e, &d);
	j = lb_body_to_json(body, len, &d);
	free(body);
	if (!j)
		return fail(k, LB_ECORRUPT, &d);
	return send_json(k, MHD_HTTP_OK,
	                 json_pack("{s:s, s:s, s:s, s:o}", "type", k->p[0], "village", village, "id",
	                           k->p[1], "record", j));
}

/* ---- streamed answers: a thread writes, the response reads a pipe ------- */

struct stream;
typedef lb_err (*stream_fn)(struct stream *s, FILE *out, struct lb_diag *d);

struct stream {
	struct lb_agg *a;
	int rfd;
	FILE *w;
	pthread_t thread;
	stream_fn fn;
	struct lb_agg_export_opts eo;
	char type[LB_API_PARAM_MAX], village[LB_VILLAGE_LEN + 1], kecamatan[LB_VILLAGE_LEN + 1];
	uint8_t origin[LB_PK_BYTES];
	lb_api_log_fn log;
	void *log_ctx;
	char what[128];
	uint64_t from; /* h_log */
	struct lb_agg_note *note; /* the request's, counting bytes sent (NULL: none) */
};

/* Streams in flight, from the slot taken before the access log is written
 * to the end of the response (a client that stops reading holds one): a
 * thread and an LMDB read snapshot each, so they are bounded. */
static atomic_uint streams;

static bool take_stream(void)
{
	if (atomic_fetch_add(&streams, 1) < STREAMS_MAX)
		return true;
	atomic_fetch_sub(&streams, 1);
	return false;
}

static enum MHD_Result busy(struct call *k)
{
	return fail_(k, MHD_HTTP_SERVICE_UNAVAILABLE, LB_EBUSY,
	             "too many exports and archives in flight; try again later");
}

/* A stream for the read k answers: a slot taken, the read recorded in
 * the access log, the stream allocated (zeroed; send_stream frees it).
 * NULL when one of them fails, with the answer saying so in *res. */
static struct stream *stream_open(struct call *k, enum MHD_Result *res)
{
	struct lb_diag d = {0};
	struct stream *s = NULL;
	lb_err e;

	if (!take_stream()) {
		*res = busy(k);
		return NULL;
	}
	if ((e = record_read(k, &d)) ||
	    (!(s = calloc(1, sizeof *s)) && (e = lb_fail(&d, LB_ENOMEM, "out of memory")))) {
		atomic_fetch_sub(&streams, 1);
		*res = fail(k, e, &d);
		return NULL;
	}
	return s;
}

static void *stream_main(void *arg)
{
	struct stream *s = arg;
	struct lb_diag d = {0};
	sigset_t set;
	lb_err e;

	/* a reader gone away is EPIPE here, not a signal for the process */
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	e = s->fn(s, s->w, &d);
	if (fclose(s->w) && !e)
		e = lb_fail(&d, LB_EIO, "the reader went away");
	if (e && s->log) {
		char line[LB_DIAG_MAX + 160];
		snprintf(line, sizeof line, "API %s: stream cut short (%s): %s", s->what, lb_errname(e),
		         lb_diag_msg(&d, e));
		s->log(s->log_ctx, line);
	}
	return NULL;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	ssize_t n;

	(void)pos;
	do
		n = read(s->rfd, buf, max);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (s->note) /* read only while the request lasts */
		s->note->out += (uint64_t)n;
	return n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	close(s->rfd); /* a writer still going gets EPIPE and ends */
	pthread_join(s->thread, NULL);
	free(s);
	atomic_fetch_sub(&streams, 1);
}

static enum MHD_Result send_stream(struct call *k, struct stream *s, const char *type,
                                   const char *filename)
{
	struct MHD_Response *r;
	char disp[128];
	int fds[2];
	enum MHD_Result ret;

	s->a = k->a;
	s->log = k->log;
	s->log_ctx = k->log_ctx;
	if ((s->note = lb_agg_request_note(k->c)))
		s->note->out_known = true;
	snprintf(s->what, sizeof s->what, "%s", k->path);
	if (pipe(fds)) {
		free(s);
		atomic_fetch_sub(&streams, 1);
		return fail_(k, 0, LB_EIO, "cannot make a pipe");
	}
	s->rfd = fds[0];
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	if (!(s->w = fdopen(fds[1], "w"))) {
		close(fds[0]);
		close(fds[1]);
		free(s);
		atomic_fetch_sub(&streams, 1);
		return fail_(k, 0, LB_ENOMEM, "out of memory");
	}
	if (pthread_create(&s->thread, NULL, stream_main, s)) {
		fclose(s->w);
		close(fds[0]);
		free(s);
		atomic_fetch_sub(&streams, 1);
		return fail_(k, 0, LB_ENOMEM, "cannot start a thread");
	}
	if (!(r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, s,
	                                            stream_free))) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", filename);
	MHD_add_response_header(r, "Content-Disposition", disp);
	ret = MHD_queue_response(k->c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static lb_err export_csv(struct stream *s, FILE *out, struct lb_diag *d)
{
	s->eo.out = out;
	return lb_agg_export_records(s->a, &s->eo, NULL, d);
}

/* XLSX is written to a file (libxlsxwriter zips at the end) in the
 * temporary directory, removed at once; the thread copies it out. */
static lb_err export_xlsx(struct stream *s, FILE *out, struct lb_diag *d)
{
	const char *tmp = getenv("TMPDIR");
	char path[512], buf[65536];
	FILE *f;
	size_t n;
	lb_err e;
	int fd;

	snprintf(path, sizeof path, "%s/lumbung-export-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return lb_fail(d, LB_EIO, "cannot make a temporary file");
	close(fd);
	s->eo.xlsx_path = path;
	if ((e = lb_agg_export_records(s->a, &s->eo, NULL, d))) {
		remove(path);
		return e;
	}
	f = fopen(path, "rb");
	remove(path);
	if (!f)
		return lb_fail(d, LB_EIO, "cannot read the workbook back");
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		if (fwrite(buf, 1, n, out) != n) {
			fclose(f);
			return lb_fail(d, LB_EIO, "the reader went away");
		}
	fclose(f);
	return LB_OK;
}

static enum MHD_Result h_export(struct call *k)
{
	const char *village = arg(k, "village"), *kecamatan = arg(k, "kecamatan");
	char *dot = strrchr(k->p[0], '.'), fname[LB_API_PARAM_MAX];
	struct lb_diag d = {0};
	struct stream *s;
	bool xlsx;
	lb_err e;

	if (!dot || (strcmp(dot, ".csv") && strcmp(dot, ".xlsx")))
		return fail_(k, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND,
		             "an export is /v1/export/TYPE.csv or /v1/export/TYPE.xlsx");
	xlsx = !strcmp(dot, ".xlsx");
	snprintf(fname, sizeof fname, "%s", k->p[0]);
	*dot = '\0';
	if (!type_of(k->p[0], &d))
		return fail(k, LB_EINVAL, &d);
	if ((e = scope(k, &village, &kecamatan, &d)))
		return fail(k, e, &d);
	/* what can be refused is refused before the first byte: the filter
	 * is checked by asking for an empty page (village) */
	if (village) {
		bool more;
		if ((e = lb_agg_page(k->a, k->p[0], village, NULL, 0, NULL, NULL, &more, &d)))
			return fail(k, e, &d);
	}
	enum MHD_Result res;
	if (!(s = stream_open(k, &res)))
		return res;
	snprintf(s->type, sizeof s->type, "%s", k->p[0]);
	if (village)
		snprintf(s->village, sizeof s->village, "%s", village);
	if (kecamatan)
		snprintf(s->kecamatan, sizeof s->kecamatan, "%s", kecamatan);
	s->eo = (struct lb_agg_export_opts){.type = s->type, .village = village ? s->village : NULL,
	                                    .kecamatan = kecamatan ? s->kecamatan : NULL,
	                                    .format = xlsx ? LB_AGG_XLSX : LB_AGG_CSV};
	s->fn = xlsx ? export_xlsx : export_csv;
	return send_stream(k, s,
	                   xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	                        : "text/csv; charset=utf-8",
	                   fname);
}

struct key_find {
	const char *village;
	uint8_t origin[LB_PK_BYTES];
	bool found, active;
};

/* The village's active key, else the last revoked one seen. */
static int key_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct key_find *f = ctx;
	if (strcmp(o->village, f->village) || (f->active && o->revoked))
		return 0;
	memcpy(f->origin, o->origin, LB_PK_BYTES);
	f->found = true;
	f->active = !o->revoked;
	return 0;
}

/* The village's key into f (key_cb's choice).  LB_ENOTFOUND when none is
 * enrolled; the store's errors. */
static lb_err village_key(struct lb_agg *a, const char *village, struct key_find *f,
                          struct lb_diag *d)
{
	lb_err e;

	f->village = village;
	if ((e = lb_agg_origins(a, key_cb, f, d)))
		return e;
	return f->found ? LB_OK : lb_fail(d, LB_ENOTFOUND, "no key is enrolled for that village");
}

static lb_err export_archive(struct stream *s, FILE *out, struct lb_diag *d)
{
	return lb_agg_export_log(s->a, s->origin, out, d);
}

static enum MHD_Result h_archive(struct call *k)
{
	char *dot = strrchr(k->p[0], '.'), fname[LB_API_PARAM_MAX];
	struct key_find f = {0};
	struct lb_diag d = {0};
	struct stream *s;
	lb_err e;

	if (!dot || strcmp(dot, ".lla"))
		return fail_(k, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND, "an archive is /v1/archive/VILLAGE.lla");
	snprintf(fname, sizeof fname, "%s", k->p[0]);
	*dot = '\0';
	if ((e = may_village(k, k->p[0], &d)))
		return fail(k, e, &d);
	if ((e = village_key(k->a, k->p[0], &f, &d)))
		return fail(k, e, &d);
	enum MHD_Result res;
	if (!(s = stream_open(k, &res)))
		return res;
	memcpy(s->origin, f.origin, LB_PK_BYTES);
	s->fn = export_archive;
	return send_stream(k, s, "application/octet-stream", fname);
}

/* ---- a village's log for its restore ----------------------------------------- */

static enum MHD_Result h_challenge(struct call *k)
{
	uint8_t c[LB_CHALLENGE_BYTES], pk[LB_PK_BYTES];
	char hex[2 * LB_CHALLENGE_BYTES + 1], khex[2 * LB_PK_BYTES + 1];
	uint64_t now = lb_hlc_wall_ms();

	lb_agg_challenge_make(c, now);
	lb_hex(hex, c, sizeof c);
	lb_agg_public_key(k->a, pk);
	lb_hex(khex, pk, LB_PK_BYTES);
	return send_json(k, MHD_HTTP_OK,
	                 json_pack("{s:s, s:I, s:s}", "challenge", hex, "expires_ms",
	                           (json_int_t)(now + LB_CHALLENGE_TTL_MS), "aggregator", khex));
}

static lb_err export_village_log(struct stream *s, FILE *out, struct lb_diag *d)
{
	return lb_agg_export_village(s->a, s->village, s->from, out, d);
}

/* Who reads a village's own data (its log for a restore, the residents
 * offered to it): the village proving its key over a challenge
 * (X-Lumbung-Proof, logauth.h) or an office token covering it.  false
 * when refused, the refusal answered in *res; how names the village's
 * command that signs ("lumbung restore does"). */
static bool village_reader(struct call *k, const char *how, enum MHD_Result *res)
{
	const char *proof = MHD_lookup_connection_value(k->c, MHD_HEADER_KIND, LB_PROOF_HEADER);
	uint8_t origin[LB_PK_BYTES];
	struct lb_diag d = {0};
	lb_err e;

	if (proof) {
		if ((e = lb_agg_log_proof_check(k->a, k->p[0], proof, lb_hlc_wall_ms(), origin, &d))) {
			*res = fail_(k, e == LB_EMALFORMED ? MHD_HTTP_BAD_REQUEST : 0, e,
			             lb_diag_msg(&d, e));
			return false;
		}
		/* the access log names who read: the village's own key */
		char h16[17];
		lb_hex(h16, origin, 8);
		snprintf(k->tok.name, sizeof k->tok.name, "village key %s...", h16);
	} else {
		const char *auth = MHD_lookup_connection_value(k->c, MHD_HEADER_KIND, "Authorization");
		const char *cookie = MHD_lookup_connection_value(k->c, MHD_COOKIE_KIND, "lumbung_token");
		char msg[160];
		if (!auth && !cookie) {
			snprintf(msg, sizeof msg, "sign a challenge with the village key (%s) or give "
			         "an office token", how);
			*res = fail_(k, MHD_HTTP_UNAUTHORIZED, LB_EAUTH, msg);
			return false;
		}
		if ((e = authenticate(k, &d)) || (e = may_village(k, k->p[0], &d))) {
			*res = fail(k, e, &d);
			return false;
		}
	}
	return true;
}

static enum MHD_Result h_log(struct call *k)
{
	const char *fs = arg(k, "from");
	char esc[LB_ESC_BUF];
	enum MHD_Result res;
	struct key_find f = {0};
	struct lb_diag d = {0};
	struct stream *s;
	uint64_t from = 1;
	lb_err e;

	if (lb_region_level(k->p[0]) != LB_REGION_DESA)
		return fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, "the village is not a desa code "
		             "(PP.KK.CC.DDDD)");
	if (fs) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(fs, &end, 10);
		if (*end || errno || v < 1 || fs[0] < '0' || fs[0] > '9') {
			char msg[LB_ESC_BUF + 64];
			snprintf(msg, sizeof msg, "from=%s is not a seq (1 or more)",
			         lb_escape(esc, fs, strlen(fs)));
			return fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, msg);
		}
		from = v;
	}
	if (!village_reader(k, "lumbung restore does", &res))
		return res;
	/* what can be refused is refused before the first byte */
	if ((e = village_key(k->a, k->p[0], &f, &d)))
		return fail(k, e, &d);
	{
		struct lb_agg_origin o;
		if ((e = lb_agg_origin(k->a, f.origin, &o, &d)))
			return fail(k, e, &d);
		if (from > o.seq + 1) {
			char msg[128];
			snprintf(msg, sizeof msg, "this aggregator holds the village up to seq %llu; "
			         "from=%llu is past it", (unsigned long long)o.seq,
			         (unsigned long long)from);
			return fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, msg);
		}
	}
	if (!(s = stream_open(k, &res)))
		return res;
	memcpy(s->village, k->p[0], LB_VILLAGE_LEN); /* a desa code: checked above */
	s->from = from;
	s->fn = export_village_log;
	return send_stream(k, s, "application/x-lumbung-lla", "log.lla");
}

/* ---- residents offered to a village (moves.h) ---------------------------- */

struct offers {
	json_t *arr;
	bool oom;
};

static int datang_cb(void *ctx, const struct lb_agg_move *m, const uint8_t *entry, size_t len)
{
	struct offers *l = ctx;
	char hash[2 * LB_HASH_BYTES + 1], *hex;
	json_t *o;

	if (!entry) /* the replica lacks it: nothing B could check */
		return 0;
	if (!(hex = malloc(2 * len + 1)))
		return l->oom = true;
	lb_hex(hash, m->hash, LB_HASH_BYTES);
	lb_hex(hex, entry, len);
	o = json_pack("{s:s, s:s, s:I, s:s, s:s}", "nik", m->nik, "from", m->from, "seq",
	              (json_int_t)m->seq, "hash", hash, "entry", hex);
	free(hex);
	return l->oom = !o || json_array_append_new(l->arr, o);
}

static enum MHD_Result h_datang(struct call *k)
{
	struct lb_diag d = {0};
	enum MHD_Result res;
	struct offers l = {0};
	lb_err e;

	if (lb_region_level(k->p[0]) != LB_REGION_DESA)
		return fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, "the village is not a desa code "
		             "(PP.KK.CC.DDDD)");
	if (!village_reader(k, "lumbung push does", &res))
		return res;
	if (!(l.arr = json_array()))
		return fail_(k, 0, LB_ENOMEM, "out of memory");
	/* the read goes into the access log before anything is answered */
	if ((e = lb_agg_moves(k->a, k->p[0], true, datang_cb, &l, &d)) ||
	    (l.oom && (e = lb_fail(&d, LB_ENOMEM, "out of memory"))) || (e = record_read(k, &d))) {
		json_decref(l.arr);
		return fail(k, e, &d);
	}
	return send_json(k, MHD_HTTP_OK, json_pack("{s:o}", "offers", l.arr));
}

/* ---- the history of one record: the replica walk of lb_agg_export_log ---- */

struct hist {
	const char *type, *id;
	size_t type_len, id_len;
	char origin[2 * LB_PK_BYTES + 1];
	json_t *changes;
	size_t pending; /* changes[pending..] wait for the head that covers them */
};

struct vkeys {
	const char *village;
	uint8_t (*keys)[LB_PK_BYTES];
	size_t n;
	bool oom;
};

static int vkey_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct vkeys *v = ctx;
	uint8_t (*nk)[LB_PK_BYTES];

	if (strcmp(o->village, v->village))
		return 0;
	if (!(nk = realloc(v->keys, (v->n + 1) * sizeof *nk))) {
		v->oom = true;
		return 1;
	}
	v->keys = nk;
	memcpy(v->keys[v->n++], o->origin, LB_PK_BYTES);
	return 0;
}

static lb_err hist_origin(void *ctx, const struct lb_agg_origin *o, struct lb_diag *d)
{
	struct hist *h = ctx;
	(void)d;
	lb_hex(h->origin, o->origin, LB_PK_BYTES);
	return LB_OK;
}

static lb_err hist_entry(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                         struct lb_diag *d)
{
	struct hist *h = ctx;
	struct lb_entry en;
	json_t *body = NULL, *c;
	char when[LB_HLC_STRLEN];

	if (lb_entry_decode(&en, raw, len, d))
		return LB_ECORRUPT;
	if (en.type_len != h->type_len || memcmp(en.type, h->type, en.type_len) ||
	    en.id_len != h->id_len || memcmp(en.id, h->id, en.id_len))
		return LB_OK;
	if (en.body && !(body = lb_body_to_json(en.body, en.body_len, d)))
		return LB_ECORRUPT;
	lb_hlc_format(en.ts, when);
	c = json_pack("{s:s, s:I, s:I, s:s, s:s, s:o, s:o}", "origin", h->origin, "seq",
	              (json_int_t)seq, "hlc", (json_int_t)en.ts, "time", when, "op",
	              en.op == LB_OP_PUT ? "put" : "del", "body", body ? body : json_null(), "head",
	              json_null());
	if (json_array_append_new(h->changes, c))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	return LB_OK;
}

/* A stored head covers every change before it that has none yet. */
static lb_err hist_head(void *ctx, uint64_t seq, const uint8_t *raw, size_t len,
                        struct lb_diag *d)
{
	struct hist *h = ctx;
	size_t n = json_array_size(h->changes);
	char *hex;

	if (h->pending == n)
		return LB_OK;
	if (!(hex = malloc(2 * len + 1)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	lb_hex(hex, raw, len);
	for (; h->pending < n; h->pending++)
		json_object_set_new(json_array_get(h->changes, h->pending), "head",
		                    json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "signed", hex));
	free(hex);
	return LB_OK;
}

static int by_ts(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "hlc"));
	json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "hlc"));
	return (a > b) - (a < b);
}

static enum MHD_Result h_history(struct call *k)
{
	struct vkeys v = {.village = k->p[0]};
	struct hist h = {.type = k->p[1], .id = k->p[2]};
	struct lb_agg_walk wk = {hist_origin, hist_entry, hist_head, &h};
	struct lb_diag d = {0};
	json_t *all, **sorted = NULL;
	size_t n;
	lb_err e;

	if ((e = may_village(k, k->p[0], &d)))
		return fail(k, e, &d);
	if (!type_of(k->p[1], &d))
		return fail(k, LB_EINVAL, &d);
	if ((e = lb_id_check(k->p[2], strlen(k->p[2]), &d)))
		return fail(k, e, &d);
	if ((e = lb_agg_origins(k->a, vkey_cb, &v, &d)) ||
	    (v.oom && (e = lb_fail(&d, LB_ENOMEM, "out of memory")))) {
		free(v.keys);
		return fail(k, e, &d);
	}
	if (!v.n) {
		free(v.keys);
		return fail_(k, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND, "no key is enrolled for that village");
	}
	if ((e = record_read(k, &d))) {
		free(v.keys);
		return fail(k, e, &d);
	}
	h.type_len = strlen(h.type);
	h.id_len = strlen(h.id);
	all = json_array();
	/* every key the village had: its records continue across keys */
	for (size_t i = 0; i < v.n && !e; i++) {
		h.changes = json_array();
		h.pending = 0;
		e = lb_agg_walk_log(k->a, v.keys[i], &wk, &d);
		json_array_extend(all, h.changes);
		json_decref(h.changes);
	}
	free(v.keys);
	if (e) {
		json_decref(all);
		return fail(k, e, &d);
	}
	n = json_array_size(all);
	if (n == 0) {
		json_decref(all);
		return fail_(k, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND, "that record has no history here");
	}
	/* keys one after the other: in order of time */
	if (v.n > 1 && (sorted = malloc(n * sizeof *sorted))) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++)
			sorted[i] = json_array_get(all, i);
		qsort(sorted, n, sizeof *sorted, by_ts);
		for (size_t i = 0; i < n; i++)
			json_array_append(arr, sorted[i]);
		free(sorted);
		json_decref(all);
		all = arr;
	}
	return send_json(k, MHD_HTTP_OK,
	                 json_pack("{s:s, s:s, s:s, s:o}", "village", k->p[0], "type", k->p[1], "id",
	                           k->p[2], "changes", all));
}

/* ---- the dispatcher --------------------------------------------------------- */

enum MHD_Result lb_api_answer(struct lb_agg *a, struct MHD_Connection *c, const char *method,
                              const char *path, lb_api_log_fn log, void *log_ctx)
{
	return lb_api_answer_body(a, c, method, path, NULL, 0, log, log_ctx);
}

enum MHD_Result lb_api_refuse(struct MHD_Connection *c, const char *method, const char *path,
                              unsigned status, lb_err e, const char *msg, lb_api_log_fn log,
                              void *log_ctx)
{
	struct call k = {.c = c, .method = method, .path = path, .log = log, .log_ctx = log_ctx,
	                 .close = true};
	return fail_(&k, status, e, msg);
}

enum MHD_Result lb_api_answer_body(struct lb_agg *a, struct MHD_Connection *c, const char *method,
                                   const char *path, const void *body, size_t len,
                                   lb_api_log_fn log, void *log_ctx)
{
	struct call k = {.a = a, .c = c, .method = method, .path = path, .log = log, .log_ctx = log_ctx,
	                 .body = body, .len = len};
	struct lb_diag d = {0};
	const char *allow;
	struct qcheck q = {0};
	const struct route *r;
	enum MHD_Result ret;
	lb_err e;
	int i;

	if (strlen(path) > 1024)
		return fail_(&k, MHD_HTTP_URI_TOO_LONG, LB_ETOOBIG, "the path is too long");
	i = lb_api_match(method, path, k.p, &allow);
	if (i == LB_API_NO_METHOD) {
		struct MHD_Response *resp;
		char *s;
		json_t *j = json_pack("{s:s, s:s}", "error", lb_errname(LB_EINVAL), "message",
		                      "method not allowed here");
		s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (!s || !(resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE))) {
			free(s);
			return MHD_NO;
		}
		lb_agg_note_result(lb_agg_request_note(c), LB_EINVAL, "method not allowed here");
		MHD_add_response_header(resp, "Content-Type", JSON_TYPE);
		MHD_add_response_header(resp, "Allow", allow);
		ret = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
		MHD_destroy_response(resp);
		return ret;
	}
	if (i < 0)
		return fail_(&k, MHD_HTTP_NOT_FOUND, LB_ENOTFOUND, "no such endpoint");
	r = &routes[i];
	{ /* the village the request is about, for its log line */
		struct lb_agg_note *n = lb_agg_request_note(c);
		const char *v = strstr(r->pattern, "{village}") ? k.p[0] : arg(&k, "village");
		if (!strcmp(r->pattern, "/v1/archive/{file}")) { /* CODE.lla */
			char code[LB_VILLAGE_LEN + 1];
			size_t len = strcspn(k.p[0], "/");
			if (len > 4 && len - 4 <= LB_VILLAGE_LEN && !strcmp(k.p[0] + len - 4, ".lla")) {
				memcpy(code, k.p[0], len - 4);
				code[len - 4] = '\0';
				lb_agg_note_village(n, code);
			}
		} else if (v) {
			lb_agg_note_village(n, v);
		}
	}
	q.allowed = r->query;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &q);
	if (q.token)
		return fail_(&k, MHD_HTTP_BAD_REQUEST, LB_EINVAL,
		             "a token is never taken from the query string (it would end up in "
		             "logs and browser history): send Authorization: Bearer TOKEN");
	if (q.toolong) {
		char msg[LB_ESC_BUF + 64];
		snprintf(msg, sizeof msg, "query parameter \"%s\" is longer than %d bytes", q.bad,
		         QUERY_MAX);
		return fail_(&k, MHD_HTTP_BAD_REQUEST, LB_ETOOBIG, msg);
	}
	if (q.bad[0]) {
		char msg[LB_ESC_BUF + 64];
		snprintf(msg, sizeof msg, "unknown query parameter \"%s\"", q.bad);
		return fail_(&k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, msg);
	}
	if (r->need != NEED_NONE && r->need != NEED_PROOF) {
		if ((e = authenticate(&k, &d)))
			return fail(&k, e, &d);
		if (r->need == NEED_PERSONAL && k.tok.role == LB_ROLE_AUDITOR)
			return fail_(&k, 0, LB_EFORBIDDEN,
			             "an auditor token reads histories, archives and figures, not lists "
			             "of people");
	}
	return r->fn(&k);
}

/* ---- catalogues (catalogue.h): public, no personal data ---- */

static json_t *catalogue_obj(const struct lb_agg_catalogue *c)
{
	char hex[2 * LB_PK_BYTES + 1];
	lb_hex(hex, c->key, LB_PK_BYTES);
	return json_pack("{s:s, s:s, s:I}", "region", c->region, "key", hex, "seq",
	                 (json_int_t)c->seq);
}

/* The list offered to villages: not the kecamatan catalogues sent up to
 * us (a village trusts only its own aggregator's key and pinned upstream
 * keys: another kecamatan's would be refused at every sync). */
static int catalogue_json(void *ctx, const struct lb_agg_catalogue *c)
{
	if (!c->below)
		json_array_append_new(ctx, catalogue_obj(c));
	return 0;
}

static enum MHD_Result h_catalogues(struct call *k)
{
	json_t *arr = json_array();
	struct lb_diag d = {0};
	lb_err e;

	if (!arr)
		return MHD_NO;
	if ((e = lb_agg_catalogues(k->a, catalogue_json, arr, &d))) {
		json_decref(arr);
		return fail(k, e, &d);
	}
	return send_json(k, MHD_HTTP_OK, json_pack("{s:o}", "catalogues", arr));
}

static enum MHD_Result h_catalogue_log(struct call *k)
{
	const char *fs = arg(k, "from");
	char esc[LB_ESC_BUF], msg[LB_ESC_BUF + 64];
	struct lb_diag d = {0};
	uint64_t from = 1;
	char *buf = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	FILE *f;
	lb_err e;

	if (strlen(k->p[0]) > LB_VILLAGE_LEN || !lb_log_owner_ok(k->p[0]) ||
	    lb_region_level(k->p[0]) == LB_REGION_DESA) {
		snprintf(msg, sizeof msg, "\"%s\" is not a kabupaten or kecamatan code",
		         lb_escape(esc, k->p[0], strlen(k->p[0])));
		return fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, msg);
	}
	if (fs) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(fs, &end, 10);
		if (*end || errno || v < 1 || fs[0] < '0' || fs[0] > '9') {
			snprintf(msg, sizeof msg, "from=%s is not a seq (1 or more)",
			         lb_escape(esc, fs, strlen(fs)));
			return fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, msg);
		}
		from = v;
	}
	/* a catalogue is small: made whole in memory, then sent */
	if (!(f = open_memstream(&buf, &len)))
		return fail_(k, 0, LB_ENOMEM, "out of memory");
	e = lb_agg_catalogue_export(k->a, k->p[0], from, f, &d);
	if (fclose(f) && !e)
		e = lb_fail(&d, LB_ENOMEM, "out of memory");
	if (e) {
		free(buf);
		return fail(k, e, &d);
	}
	ret = send_buf(k, MHD_HTTP_OK, "application/x-lumbung-lla", buf, len);
	free(buf);
	return ret;
}

/* The region parameter of a catalogue endpoint: a kabupaten or kecamatan
 * code, else a 400 is queued (*ret). */
static bool region_param(struct call *k, enum MHD_Result *ret)
{
	char esc[LB_ESC_BUF], msg[LB_ESC_BUF + 64];

	if (strlen(k->p[0]) <= LB_VILLAGE_LEN && lb_log_owner_ok(k->p[0]) &&
	    lb_region_level(k->p[0]) != LB_REGION_DESA)
		return true;
	snprintf(msg, sizeof msg, "\"%s\" is not a kabupaten or kecamatan code",
	         lb_escape(esc, k->p[0], strlen(k->p[0])));
	*ret = fail_(k, MHD_HTTP_BAD_REQUEST, LB_EINVAL, msg);
	return false;
}

/* GET /v1/catalogues/{region}: what is held of one catalogue (also of one
 * sent up by a kecamatan, which the list does not offer). */
static enum MHD_Result h_catalogue_one(struct call *k)
{
	struct lb_agg_catalogue c;
	struct lb_diag d = {0};
	enum MHD_Result ret;
	lb_err e;

	if (!region_param(k, &ret))
		return ret;
	if ((e = lb_agg_catalogue_one(k->a, k->p[0], &c, &d)))
		return fail(k, e, &d);
	return send_json(k, MHD_HTTP_OK, catalogue_obj(&c));
}

/* POST /v1/catalogues/{region}/log: a kecamatan's catalogue sent up. */
static enum MHD_Result h_catalogue_post(struct call *k)
{
	static const uint8_t none[1];
	struct lb_adopt_report r;
	struct lb_diag d = {0};
	enum MHD_Result ret;
	unsigned status;
	FILE *f;
	lb_err e;

	if (!region_param(k, &ret))
		return ret;
	/* fmemopen takes no empty buffer: an empty body is read as one at
	 * its end */
	if (!(f = fmemopen((void *)(k->len ? k->body : none), k->len ? k->len : 1, "rb")))
		return fail_(k, 0, LB_ENOMEM, "out of memory");
	if (!k->len)
		fseek(f, 0, SEEK_END);
	e = lb_agg_catalogue_receive(k->a, k->p[0], f, &r, &d);
	fclose(f);
	if (e) {
		switch (e) {
		case LB_EFORBIDDEN:
		case LB_ESIG:
		case LB_EWRONG_VILLAGE: /* another catalogue than {region}'s */
			status = MHD_HTTP_FORBIDDEN;
			break;
		case LB_EGAP:
		case LB_EFORK:
		case LB_EREFUSED:
			status = MHD_HTTP_CONFLICT;
			break;
		case LB_EMALFORMED:
		case LB_ECORRUPT:
		case LB_ESCHEMA:
		case LB_EINVAL:
		case LB_ETOOBIG:
			status = MHD_HTTP_BAD_REQUEST;
			break;
		default:
			status = 0;
		}
		return fail_(k, status, e, lb_diag_msg(&d, e));
	}
	api_log(k, "API POST catalogue %s: %llu entries taken, now at seq %llu", k->p[0],
	        (unsigned long long)r.added, (unsigned long long)r.tip);
	return send_json(k, MHD_HTTP_OK,
	                 json_pack("{s:s, s:I, s:I}", "region", k->p[0], "added",
	                           (json_int_t)r.added, "seq", (json_int_t)r.tip));
}
