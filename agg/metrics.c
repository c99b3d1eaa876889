/*
 * metrics.c — the counters of `lumbung-agg serve` and their Prometheus text
 * exposition (metrics.h).  Label values are escaped as the format asks
 * (backslash, double quote, newline); village codes come from the store.
 */
#define _POSIX_C_SOURCE 200809L
#include "metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../node/hlc.h"
#include "../schema/version.h"

#define REPORTING_S 86400 /* a village "reporting": new entries within a day */

struct lb_agg_metrics {
	pthread_mutex_t lock;
	double start_s; /* the process start, seconds since the epoch */
	uint64_t requests[LB_KIND__COUNT][LB__ECOUNT];
	uint64_t refusals[LB__ECOUNT];
	uint64_t entries, bytes_in;
};

static const char *const kind_names[LB_KIND__COUNT] = {
	[LB_KIND_CHANGESET] = "changeset", [LB_KIND_ORIGIN] = "origin",
	[LB_KIND_TREE] = "tree",           [LB_KIND_API] = "api",
	[LB_KIND_WEB] = "web",             [LB_KIND_METRICS] = "metrics",
	[LB_KIND_HEALTH] = "health",       [LB_KIND_OTHER] = "other",
};

const char *lb_agg_kind_name(enum lb_agg_kind k)
{
	return k < LB_KIND__COUNT ? kind_names[k] : "other";
}

static bool prefix(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

enum lb_agg_kind lb_agg_kind_of(const char *method, const char *path)
{
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	if (!strcmp(path, "/v1/changesets"))
		return LB_KIND_CHANGESET;
	if (prefix(path, "/v1/origins/"))
		return LB_KIND_ORIGIN;
	if (!strcmp(path, "/v1/statements") || prefix(path, "/v1/aggregators/"))
		return LB_KIND_TREE;
	if (get && !strcmp(path, "/metrics"))
		return LB_KIND_METRICS;
	if (!strcmp(path, "/v1/health"))
		return LB_KIND_HEALTH;
	if (!strcmp(path, "/") || !strcmp(path, "/index.html") || prefix(path, "/assets/") ||
	    prefix(path, "/v1/session"))
		return LB_KIND_WEB;
	if (prefix(path, "/v1/"))
		return LB_KIND_API;
	return LB_KIND_OTHER;
}

struct lb_agg_metrics *lb_agg_metrics_new(void)
{
	struct lb_agg_metrics *m = calloc(1, sizeof *m);
	struct timespec ts;

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	m->start_s = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	return m;
}

void lb_agg_metrics_free(struct lb_agg_metrics *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void lb_agg_metrics_request(struct lb_agg_metrics *m, enum lb_agg_kind kind, lb_err result,
                            uint64_t entries, uint64_t bytes_in)
{
	if (!m)
		return;
	if (kind >= LB_KIND__COUNT)
		kind = LB_KIND_OTHER;
	if ((unsigned)result >= LB__ECOUNT)
		result = LB_EIO;
	pthread_mutex_lock(&m->lock);
	m->requests[kind][result]++;
	if (result)
		m->refusals[result]++;
	m->entries += entries;
	m->bytes_in += bytes_in;
	pthread_mutex_unlock(&m->lock);
}

/* One village in the scrape: its active key's seq (else the highest of
 * its revoked keys'), when new entries last came. */
struct vill {
	char code[LB_VILLAGE_LEN + 1];
	uint64_t seq, last_seen_ms;
	bool active;
};

struct vlist {
	struct vill *v;
	size_t n, cap;
	bool oom;
};

static int vill_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct vlist *l = ctx;
	struct vill *r = NULL;

	for (size_t i = l->n; i-- > 0;)
		if (!strcmp(l->v[i].code, o->village)) {
			r = &l->v[i];
			break;
		}
	if (!r) {
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct vill *nv = realloc(l->v, cap * sizeof *nv);
			if (!nv) {
				l->oom = true;
				return 1;
			}
			l->v = nv, l->cap = cap;
		}
		r = &l->v[l->n++];
		memset(r, 0, sizeof *r);
		memcpy(r->code, o->village, sizeof r->code);
	}
	if (!o->revoked) {
		r->active = true;
		r->seq = o->seq;
	} else if (!r->active && o->seq > r->seq) {
		r->seq = o->seq;
	}
	if (o->last_seen_ms > r->last_seen_ms)
		r->last_seen_ms = o->last_seen_ms;
	return 0;
}

static int vill_cmp(const void *x, const void *y)
{
	return strcmp(((const struct vill *)x)->code, ((const struct vill *)y)->code);
}

/* A label value as the exposition format writes it. */
static void label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

lb_err lb_agg_metrics_render(struct lb_agg_metrics *m, struct lb_agg *a, char **out, size_t *len)
{
	struct lb_agg_metrics c;
	struct vlist l = {0};
	struct lb_diag d = {0};
	bool store_up;
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	pthread_mutex_lock(&m->lock);
	memcpy(c.requests, m->requests, sizeof c.requests);
	memcpy(c.refusals, m->refusals, sizeof c.refusals);
	c.entries = m->entries;
	c.bytes_in = m->bytes_in;
	c.start_s = m->start_s;
	pthread_mutex_unlock(&m->lock);

	store_up = !lb_agg_origins(a, vill_cb, &l, &d) && !l.oom;
	if (!(f = open_memstream(&buf, &n))) {
		free(l.v);
		return LB_ENOMEM;
	}
	head(f, "lumbung_requests_total", "counter",
	     "Requests answered, by kind of endpoint and result (ok or the error name).");
	for (int k = 0; k < LB_KIND__COUNT; k++)
		for (int e = 0; e < LB__ECOUNT; e++)
			if (!e || c.requests[k][e])
				fprintf(f, "lumbung_requests_total{kind=\"%s\",result=\"%s\"} %llu\n",
				        kind_names[k], lb_errname((lb_err)e),
				        (unsigned long long)c.requests[k][e]);
	head(f, "lumbung_refusals_total", "counter",
	     "Requests refused, by error name (every kind of endpoint).");
	for (int e = 1; e < LB__ECOUNT; e++)
		fprintf(f, "lumbung_refusals_total{error=\"%s\"} %llu\n", lb_errname((lb_err)e),
		        (unsigned long long)c.refusals[e]);
	head(f, "lumbung_entries_accepted_total", "counter",
	     "Change-log entries stored from pushed change sets.");
	fprintf(f, "lumbung_entries_accepted_total %llu\n", (unsigned long long)c.entries);
	head(f, "lumbung_received_bytes_total", "counter", "Bytes of request bodies received.");
	fprintf(f, "lumbung_received_bytes_total %llu\n", (unsigned long long)c.bytes_in);
	head(f, "lumbung_store_up", "gauge",
	     "1 when the store answered a read for this scrape, else 0.");
	fprintf(f, "lumbung_store_up %d\n", store_up ? 1 : 0);
	if (store_up) {
		uint64_t now = lb_hlc_wall_ms();
		unsigned enrolled = 0, reporting = 0;

		qsort(l.v, l.n, sizeof *l.v, vill_cmp);
		for (size_t i = 0; i < l.n; i++) {
			enrolled += l.v[i].active;
			reporting += l.v[i].active && l.v[i].last_seen_ms &&
			             l.v[i].last_seen_ms + REPORTING_S * 1000ull >= now;
		}
		head(f, "lumbung_villages_enrolled", "gauge", "Villages with an active key enrolled.");
		fprintf(f, "lumbung_villages_enrolled %u\n", enrolled);
		head(f, "lumbung_villages_reporting", "gauge",
		     "Villages with an active key whose new entries arrived within the last 24 hours.");
		fprintf(f, "lumbung_villages_reporting %u\n", reporting);
		head(f, "lumbung_village_seq", "gauge",
		     "The seq this aggregator holds of the village's active key.");
		for (size_t i = 0; i < l.n; i++) {
			fputs("lumbung_village_seq{village=\"", f);
			label(f, l.v[i].code);
			fprintf(f, "\"} %llu\n", (unsigned long long)l.v[i].seq);
		}
		head(f, "lumbung_village_lag_seconds", "gauge",
		     "Seconds since new entries of the village last arrived (villages never heard "
		     "from are left out).");
		for (size_t i = 0; i < l.n; i++) {
			if (!l.v[i].last_seen_ms)
				continue;
			fputs("lumbung_village_lag_seconds{village=\"", f);
			label(f, l.v[i].code);
			fprintf(f, "\"} %.3f\n",
			        now > l.v[i].last_seen_ms ? (double)(now - l.v[i].last_seen_ms) / 1000 : 0.0);
		}
	}
	head(f, "process_start_time_seconds", "gauge",
	     "Start time of the process since unix epoch in seconds.");
	fprintf(f, "process_start_time_seconds %.3f\n", c.start_s);
	head(f, "lumbung_build_info", "gauge", "The version of lumbung-agg (git describe), as a label.");
	fputs("lumbung_build_info{version=\"", f);
	label(f, lb_version());
	fputs("\"} 1\n", f);
	free(l.v);
	if (fclose(f) || !buf) {
		free(buf);
		return LB_ENOMEM;
	}
	*out = buf;
	*len = n;
	return LB_OK;
}
