/*
 * metrics.h — what `lumbung-agg serve` counts, for GET /metrics in the
 * Prometheus text exposition format (version 0.0.4), docs/API.md.
 *
 * Counters kept in memory since the process started (requests by kind and
 * result, entries accepted, bytes received, refusals by error name) and
 * gauges read from the store at each scrape (per village: the active key's
 * seq and the seconds since new entries last arrived; villages enrolled and
 * reporting).  Nothing personal: village codes, counts and times only.
 * Thread-safe: lb_agg_metrics_request may be called from any thread.
 */
#ifndef LB_AGG_METRICS_H
#define LB_AGG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "agg.h"

/* What a request was, for the label kind="...". */
enum lb_agg_kind {
	LB_KIND_CHANGESET,  /* POST /v1/changesets */
	LB_KIND_ORIGIN,     /* GET /v1/origins/{hex} */
	LB_KIND_TREE,       /* POST /v1/statements, GET /v1/aggregators/{hex} */
	LB_KIND_API,        /* the read API (api.h) */
	LB_KIND_WEB,        /* the dashboard (web.h) */
	LB_KIND_METRICS,    /* GET /metrics */
	LB_KIND_HEALTH,     /* GET /v1/health */
	LB_KIND_OTHER,      /* no such endpoint */
	LB_KIND__COUNT
};

/* The label value of k ("changeset", ...).  Static string. */
const char *lb_agg_kind_name(enum lb_agg_kind k);

/* The kind of a request by its method and (decoded) path. */
enum lb_agg_kind lb_agg_kind_of(const char *method, const char *path);

struct lb_agg_metrics;

/* A new set of counters, all zero, with the process start time taken now.
 * NULL when out of memory.  Free with lb_agg_metrics_free (NULL allowed). */
struct lb_agg_metrics *lb_agg_metrics_new(void);
void lb_agg_metrics_free(struct lb_agg_metrics *m);

/* Count one finished request: its kind, its result (LB_OK or why it was
 * refused; a value outside lb_err counts as LB_EIO), the entries it
 * brought that were stored, and the bytes of its body. */
void lb_agg_metrics_request(struct lb_agg_metrics *m, enum lb_agg_kind kind, lb_err result,
                            uint64_t entries, uint64_t bytes_in);

/* The exposition text: the counters of m and the gauges read from a now
 * (one read transaction; when the store cannot be read the per-village
 * gauges are left out and lumbung_store_up is 0).  *out is malloc'd (the
 * caller frees it), *len its length.  LB_ENOMEM only. */
lb_err lb_agg_metrics_render(struct lb_agg_metrics *m, struct lb_agg *a, char **out, size_t *len);

#endif
