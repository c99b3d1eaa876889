/*
 * cli_tree.c — enroll-aggregator, revoke-aggregator, send-statements and
 * the tree's part of status (cli_tree.h).  Prints and exits like cli.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/i18n.h"
#include "../node/entry.h"
#include "../node/hlc.h"
#include "../schema/text.h"
#include "forward.h"
#include "tree.h"

#define PROG "lumbung-agg"
#define EXIT_USAGE 2

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

/* lb_agg_upstreams: the upstream whose URL is ctx's (a struct lb_remote). */
static int same_url(void *ctx, const struct lb_remote *r)
{
	struct lb_remote *want = ctx;

	if (strcmp(r->url, want->url))
		return 0;
	*want = *r;
	return 1;
}

int agg_cli_tree(int argc, char **argv)
{
	const char *cmd = argv[1], *dir = getenv("LUMBUNG_AGG_DIR"), *region = NULL, *key = NULL,
	           *url = NULL;
	bool enroll = !strcmp(cmd, "enroll-aggregator"), revoke = !strcmp(cmd, "revoke-aggregator"),
	     send = !strcmp(cmd, "send-statements");
	uint8_t pk[LB_PK_BYTES];
	struct lb_diag d = {0};
	struct lb_agg *agg;
	lb_err e;
	int rc = 0;

	if (!enroll && !revoke && !send)
		return -1;
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst;
		if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &dir;
		else if (!strcmp(o, "--region") && enroll)
			dst = &region;
		else if (!strcmp(o, "--key"))
			dst = &key;
		else if (send && o[0] != '-' && !url) {
			url = o;
			continue;
		} else {
			fprintf(stderr, _("%s %s: unknown argument %s\n"), PROG, cmd, o);
			return EXIT_USAGE;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, _("%s %s: %s needs a value\n"), PROG, cmd, o);
			return EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!dir || !*dir) {
		fprintf(stderr, _("%s %s: no aggregator directory: give -d DIR or set LUMBUNG_AGG_DIR\n"), PROG,
		        cmd);
		return EXIT_USAGE;
	}
	if (enroll && !region) {
		fprintf(stderr, _("%s enroll-aggregator: --region PP.KK.CC (its kecamatan) is required\n"), PROG);
		return EXIT_USAGE;
	}
	if (send && !url) {
		fprintf(stderr, "%s send-statements: usage: %s send-statements -d DIR URL "
		                "[--key UPSTREAM_KEY]\n", PROG, PROG);
		return EXIT_USAGE;
	}
	if ((!send || key) && (!key || lb_unhex(pk, LB_PK_BYTES, key))) {
		fprintf(stderr, _("%s %s: --key takes the %s aggregator's 64-hex key (its agg.pub)\n"), PROG,
		        cmd, send ? "upstream" : "kecamatan");
		return EXIT_USAGE;
	}
	if ((e = lb_agg_open(&agg, dir, &d)))
		return die(cmd, e, &d);
	if (enroll) {
		if ((e = lb_agg_enroll_aggregator(agg, region, pk, &d)))
			rc = die(cmd, e, &d);
		else
			printf(_("enrolled aggregator %s for kecamatan %s\n"), key, region);
	} else if (revoke) {
		if ((e = lb_agg_revoke_aggregator(agg, pk, &d)))
			rc = die(cmd, e, &d);
		else
			printf(_("revoked aggregator %s\n"), key);
	} else {
		struct lb_push_opts o = {.url = url, .agg_key = key ? pk : NULL};
		struct lb_pusher *p = NULL;
		struct lb_remote *up = calloc(1, sizeof *up);
		uint64_t sent = 0;
		if (up && strlen(url) <= LB_REMOTE_URL_MAX) { /* an upstream's URL: its pinned CA */
			strcpy(up->url, url);
			if (!lb_agg_upstreams(agg, same_url, up, NULL, &d) && up->name[0])
				o.cacert = up->cacert;
		}
		if ((e = lb_pusher_new(&p, &o, &d)) || (e = lb_agg_send_statements(agg, p, &sent, &d)))
			rc = die(cmd, e, &d);
		else
			printf(_("sent %llu statements\n"), (unsigned long long)sent);
		lb_pusher_free(p);
		free(up);
	}
	lb_agg_close(agg);
	return rc;
}

/* ---- status ------------------------------------------------------------ */

struct rows {
	struct lb_agg_origin *o;
	size_t n;
	bool oom;
};

static int add_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct rows *r = ctx;
	struct lb_agg_origin *p = realloc(r->o, (r->n + 1) * sizeof *p);

	if (!p) {
		r->oom = true;
		return 1;
	}
	r->o = p;
	r->o[r->n++] = *o;
	return 0;
}

static int by_village(const void *x, const void *y)
{
	const struct lb_agg_origin *a = x, *b = y;
	int c = strcmp(a->village, b->village);
	return c ? c : memcmp(a->origin, b->origin, LB_PK_BYTES);
}

struct aggs {
	struct lb_agg_aggregator *g;
	size_t n;
	bool oom;
};

static int add_agg(void *ctx, const struct lb_agg_aggregator *o)
{
	struct aggs *r = ctx;
	struct lb_agg_aggregator *p = realloc(r->g, (r->n + 1) * sizeof *p);

	if (!p) {
		r->oom = true;
		return 1;
	}
	r->g = p;
	r->g[r->n++] = *o;
	return 0;
}

/* The kecamatan an aggregator key is enrolled for ("?" if no longer). */
static const char *kec_of(const struct aggs *g, const uint8_t key[LB_PK_BYTES])
{
	for (size_t i = 0; i < g->n; i++)
		if (!memcmp(g->g[i].key, key, LB_PK_BYTES))
			return g->g[i].region;
	return "?";
}

static lb_err load(struct lb_agg *agg, struct rows *r, struct aggs *g, struct lb_diag *d)
{
	lb_err e;

	if ((e = lb_agg_origins(agg, add_origin, r, d)) ||
	    (!r->oom && (e = lb_agg_aggregators(agg, add_agg, g, d))))
		return e;
	if (r->oom || g->oom)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if (r->n)
		qsort(r->o, r->n, sizeof *r->o, by_village);
	return LB_OK;
}

static int64_t lag_ms(const struct lb_agg_route *rt)
{
	return (int64_t)rt->received_ms - (int64_t)rt->head_ms;
}

/*
 *   aggregator  KEY (16 hex)  KECAMATAN  APPLIED  STATE   NAME
 *   route       VILLAGE  ORIGIN (16 hex)  ENROLLED_BY  VIA  LAG_MS  VIA_NAME
 * ENROLLED_BY is "office" or the enrolling aggregator's kecamatan; VIA
 * "direct" or the relaying kecamatan; LAG_MS the time from the signed head
 * to its arrival here ("-" before anything arrived).  The first token of
 * each row names the section, so a village row of status stays the only
 * row starting with its code.
 */
lb_err agg_cli_tree_status_text(struct lb_agg *agg, struct lb_diag *d)
{
	struct rows r = {0};
	struct aggs g = {0};
	char hx[17], name[LB_AGG_NAME_MAX + 1], lag[32];
	bool header = false;
	lb_err e;

	if ((e = load(agg, &r, &g, d)))
		goto out;
	if (g.n)
		printf("\n%-10s  %-16s  %-9s  %8s  %-7s  %s\n", "AGGREGATOR", "KEY", "KECAMATAN",
		       "APPLIED", "STATE", "NAME");
	for (size_t i = 0; i < g.n; i++) {
		lb_hex(hx, g.g[i].key, 8);
		if ((e = lb_agg_region_name(agg, g.g[i].region, name, d)))
			goto out;
		printf("%-10s  %-16s  %-9s  %8llu  %-7s  %s\n", "aggregator", hx, g.g[i].region,
		       (unsigned long long)g.g[i].applied, g.g[i].revoked ? "REVOKED" : "active", name);
	}
	for (size_t i = 0; i < r.n; i++) {
		struct lb_agg_route rt;
		const char *via;
		if ((e = lb_agg_route(agg, r.o[i].origin, &rt, d)))
			goto out;
		if (!rt.known && !rt.by_agg)
			continue;
		if (!header) {
			printf("\n%-5s  %-13s  %-16s  %-11s  %-8s  %8s  %s\n", "ROUTE", "VILLAGE", "ORIGIN",
			       "ENROLLED_BY", "VIA", "LAG_MS", "VIA_NAME");
			header = true;
		}
		via = rt.via ? kec_of(&g, rt.via_key) : rt.known ? "direct" : "-";
		name[0] = '\0';
		if (rt.via && strcmp(via, "?") && (e = lb_agg_region_name(agg, via, name, d)))
			goto out;
		if (rt.known)
			snprintf(lag, sizeof lag, "%lld", (long long)lag_ms(&rt));
		else
			snprintf(lag, sizeof lag, "-");
		lb_hex(hx, r.o[i].origin, 8);
		printf("%-5s  %-13s  %-16s  %-11s  %-8s  %8s  %s\n", "route", r.o[i].village, hx,
		       rt.by_agg ? kec_of(&g, rt.by_key) : "office", via, lag, name);
	}
out:
	free(r.o);
	free(g.g);
	return e;
}

lb_err agg_cli_tree_status_json(struct lb_agg *agg, json_t *root, struct lb_diag *d)
{
	struct rows r = {0};
	struct aggs g = {0};
	char hx[2 * LB_PK_BYTES + 1], name[LB_AGG_NAME_MAX + 1];
	json_t *arr = json_array(), *villages = json_object_get(root, "villages"), *v;
	size_t i;
	lb_err e;

	if (!arr || json_object_set_new(root, "aggregators", arr))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = load(agg, &r, &g, d)))
		goto out;
	for (i = 0; i < g.n; i++) {
		lb_hex(hx, g.g[i].key, LB_PK_BYTES);
		if ((e = lb_agg_region_name(agg, g.g[i].region, name, d)))
			goto out;
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:b}", "key", hx,
		                                         "kecamatan", g.g[i].region, "name", name,
		                                         "applied", (json_int_t)g.g[i].applied,
		                                         "revoked", (int)g.g[i].revoked)))
			goto oom;
	}
	json_array_foreach(villages, i, v) {
		const char *ohex = json_string_value(json_object_get(v, "origin"));
		uint8_t origin[LB_PK_BYTES];
		struct lb_agg_route rt;
		json_t *route = json_null(), *by = json_null();
		if (!ohex || lb_unhex(origin, LB_PK_BYTES, ohex))
			continue;
		if ((e = lb_agg_route(agg, origin, &rt, d)))
			goto out;
		if (rt.known) {
			json_t *via = json_null();
			if (rt.via) {
				const char *kec = kec_of(&g, rt.via_key);
				name[0] = '\0';
				if (strcmp(kec, "?") && (e = lb_agg_region_name(agg, kec, name, d)))
					goto out;
				lb_hex(hx, rt.via_key, LB_PK_BYTES);
				via = json_pack("{s:s, s:s, s:s}", "key", hx, "kecamatan", kec, "name", name);
			}
			route = json_pack("{s:o, s:I, s:I, s:I}", "via", via, "received_ms",
			                  (json_int_t)rt.received_ms, "head_ms", (json_int_t)rt.head_ms,
			                  "lag_ms", (json_int_t)lag_ms(&rt));
		}
		if (rt.by_agg) {
			lb_hex(hx, rt.by_key, LB_PK_BYTES);
			by = json_pack("{s:s, s:s}", "key", hx, "kecamatan", kec_of(&g, rt.by_key));
		}
		if (!route || !by || json_object_set_new(v, "route", route) ||
		    json_object_set_new(v, "enrolled_by", by))
			goto oom;
	}
	goto out;
oom:
	e = lb_fail(d, LB_ENOMEM, "out of memory");
out:
	free(r.o);
	free(g.g);
	return e;
}
