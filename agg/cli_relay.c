/*
 * cli_relay.c — `lumbung-agg upstream` and `lumbung-agg forward`, and the
 * kecamatan's part of `status` (cli_relay.h).  Only CLI code prints.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli_relay.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../schema/i18n.h"
#include "../node/hlc.h"
#include "../schema/text.h"
#include "../sync/receipt.h"
#include "forward.h"
#include "relay.h"

#define PROG "lumbung-agg"

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

static int usage_error(const char *cmd, const char *msg)
{
	fprintf(stderr, _("%s %s: %s\n"), PROG, cmd, msg);
	return 2;
}

static int print_up(void *ctx, const struct lb_remote *r)
{
	char hex[2 * LB_PK_BYTES + 1];
	(void)ctx;
	lb_hex(hex, r->key, LB_PK_BYTES);
	printf("%-12s %s  %s%s\n", r->name, r->url, hex, r->cacert[0] ? _("  (CA pinned)") : "");
	return 0;
}

int lb_agg_cli_upstream(const char *dir, int npos, char **pos, const char *key,
                        const char *cacert)
{
	struct lb_agg *a = NULL;
	struct lb_diag d = {0};
	const char *sub = npos ? pos[0] : "ls";
	size_t count;
	lb_err e;
	int want = !strcmp(sub, "add") ? 3 : !strcmp(sub, "rm") ? 2 : !strcmp(sub, "ls") ? 1 : -1;

	if (want < 0)
		return usage_error("upstream", _("\"add\", \"ls\" or \"rm\""));
	if (npos != want && !(want == 1 && npos == 0))
		return usage_error("upstream", "usage: upstream add NAME URL --key HEX | upstream ls | "
		                               "upstream rm NAME");
	if (cacert && want != 3)
		return usage_error("upstream", _("--cacert goes with upstream add"));
	if (want == 3 && !key)
		return usage_error("upstream", _("--key HEX is required: the upstream aggregator's public "
		                               "key (its agg.pub), against which its receipts are checked"));
	if ((e = want == 1 ? lb_agg_open_ro(&a, dir, &d) : lb_agg_open(&a, dir, &d)))
		return die("upstream", e, &d);
	if (want == 3) {
		struct lb_remote r = {0};
		if (strlen(pos[1]) > LB_REMOTE_NAME_MAX || strlen(pos[2]) > LB_REMOTE_URL_MAX) {
			lb_agg_close(a);
			return usage_error("upstream", _("name or URL too long"));
		}
		strcpy(r.name, pos[1]);
		strcpy(r.url, pos[2]);
		if (lb_unhex(r.key, LB_PK_BYTES, key)) {
			lb_agg_close(a);
			return usage_error("upstream", _("--key takes the upstream aggregator's 64-hex public "
			                               "key (lumbung-agg init printed it; also in its agg.pub)"));
		}
		r.has_key = true;
		if (cacert && (e = lb_remote_read_ca(&r, cacert, &d))) {
			lb_agg_close(a);
			return die("upstream", e, &d);
		}
		if (!(e = lb_agg_upstream_set(a, &r, &d))) {
			printf(_("upstream %s: %s, receipts checked against its key"), r.name, r.url);
			if (r.cacert[0])
				printf(_("; https trusts only the CA certificate of %s"), cacert);
			printf("\n");
		}
	} else if (want == 2) {
		if (!(e = lb_agg_upstream_del(a, pos[1], &d)))
			printf(_("removed upstream %s\n"), pos[1]);
	} else if (!(e = lb_agg_upstreams(a, print_up, NULL, &count, &d)) && !count) {
		printf(_("no upstreams (add the kabupaten with: %s upstream add -d DIR NAME URL "
		         "--key HEX)\n"), PROG);
	}
	lb_agg_close(a);
	return e ? die("upstream", e, &d) : 0;
}

static volatile sig_atomic_t stopping;
static atomic_int stop_flag;
static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
	atomic_store(&stop_flag, 1);
}

static void stamp(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One line per village (and per fork evidence) at each upstream. */
static void print_event(void *ctx, const struct lb_agg_fwd_event *ev)
{
	(void)ctx;

	/* msg is ours, with the upstream's words already escaped (push.c) */
	if (ev->e)
		printf("%s %s%s: %s%s: %s\n", ev->upstream, ev->village, ev->fork ? " fork" : "",
		       lb_errname(ev->e), lb_push_retryable(ev->e) ? "" : _(" (needs attention)"),
		       ev->msg);
	else if (ev->fork)
		printf(_("%s %s: fork evidence from seq %llu delivered\n"), ev->upstream, ev->village,
		       (unsigned long long)ev->st->seq);
	else if (ev->st && ev->st->entries)
		printf(_("%s %s: sent %llu entries (%llu new there), upstream at seq %llu, %llu "
		       "receipts kept\n"),
		       ev->upstream, ev->village, (unsigned long long)ev->st->entries,
		       (unsigned long long)ev->st->accepted, (unsigned long long)ev->st->seq,
		       (unsigned long long)ev->st->receipts);
	else if (ev->st)
		printf(_("%s %s: up to date at seq %llu\n"), ev->upstream, ev->village,
		       (unsigned long long)ev->st->seq);
	fflush(stdout);
}

static void summary(const char *ts, const struct lb_agg_fwd_stats *st)
{
	printf(_("%sforward: %u of %u upstreams reached; %llu villages, %llu entries sent (%llu new), "
	       "%llu receipts kept, %llu fork evidence delivered, %llu statements, %llu refused\n"),
	       ts, st->reached, st->upstreams, (unsigned long long)st->villages,
	       (unsigned long long)st->entries, (unsigned long long)st->accepted,
	       (unsigned long long)st->receipts, (unsigned long long)st->forks,
	       (unsigned long long)st->statements, (unsigned long long)st->refused);
	if (st->catalogues || st->catalogues_refused)
		printf(_("%sforward: %llu upstream catalogues updated (%llu entries), %llu refused\n"),
		       ts, (unsigned long long)st->catalogues,
		       (unsigned long long)st->catalogue_entries,
		       (unsigned long long)st->catalogues_refused);
	if (st->catalogue_up)
		printf(_("%sforward: %llu entries of our own catalogue sent up\n"), ts,
		       (unsigned long long)st->catalogue_up);
	fflush(stdout);
}

int lb_agg_cli_parse_every(const char *cmd, const char *v, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < 1 || x > 86400) {
		fprintf(stderr, _("%s %s: --every takes a number of seconds (1..86400)\n"), PROG, cmd);
		return 2;
	}
	*out = x;
	return 0;
}

int lb_agg_cli_parse_bytes(const char *cmd, const char *v, size_t *out)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (*end == 'k' || *end == 'K')
		x <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		x <<= 20, end++;
	if (errno || *v < '0' || *v > '9' || *end || x < LB_PUSH_MIN_BYTES || x > LB_PUSH_MAX_BYTES) {
		fprintf(stderr, _("%s %s: --max-bytes takes %uk..%um (e.g. 64k)\n"), PROG, cmd,
		        LB_PUSH_MIN_BYTES >> 10, LB_PUSH_MAX_BYTES >> 20);
		return 2;
	}
	*out = (size_t)x;
	return 0;
}

int lb_agg_cli_forward(const char *dir, const char *every_s, const char *max_bytes)
{
	struct lb_agg *a = NULL;
	struct lb_agg_fwd *f = NULL;
	struct lb_agg_fwd_opts o = {.on_village = print_event, .stop = &stop_flag};
	struct lb_agg_fwd_stats st;
	struct lb_diag d = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	unsigned failures = 0;
	long every = 0;
	char ts[40];
	lb_err e;
	int rc = 0;

	if ((every_s && (rc = lb_agg_cli_parse_every("forward", every_s, &every))) ||
	    (max_bytes && (rc = lb_agg_cli_parse_bytes("forward", max_bytes, &o.max_bytes))))
		return rc;
	if (getenv("LUMBUNG_PUSH_LOG"))
		o.log = stderr;
	if ((e = lb_agg_open(&a, dir, &d)) || (e = lb_agg_fwd_new(&f, a, &o, &d))) {
		lb_agg_close(a);
		return die("forward", e, &d);
	}
	if (!every) { /* one pass */
		e = lb_agg_forward(f, &st, &d);
		if (e != LB_ENOTFOUND)
			summary("", &st);
		rc = e ? die("forward", e, &d) : 0;
		goto out;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stopping) {
		long wait = every;
		e = lb_agg_forward(f, &st, &d);
		stamp(ts, sizeof ts - 2);
		strcat(ts, " ");
		if (e == LB_ENOTFOUND) {
			rc = die("forward", e, &d);
			break;
		}
		summary(ts, &st);
		if (e == LB_ENET) {
			wait = lb_push_backoff(&failures, st.entries > 0);
			printf(_("%sforward: %s; next pass in %ld s\n"), ts, lb_diag_msg(&d, e), wait);
		} else if (e) {
			rc = die("forward", e, &d);
			break;
		} else
			failures = 0;
		fflush(stdout);
		for (long i = 0; i < wait * 10 && !stopping; i++) {
			struct timespec t = {0, 100 * 1000 * 1000};
			nanosleep(&t, NULL);
		}
	}
out:
	lb_agg_fwd_free(f);
	lb_agg_close(a);
	return rc;
}

/* status at a relay: per village, what each upstream holds. */
struct up_list {
	struct lb_remote r[16];
	size_t n;
};

static int take_up(void *ctx, const struct lb_remote *r)
{
	struct up_list *l = ctx;
	if (l->n < sizeof l->r / sizeof l->r[0])
		l->r[l->n++] = *r;
	return 0;
}

struct vlist {
	struct lb_agg_origin *o;
	size_t n;
	bool oom;
};

static int take_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct vlist *v = ctx;
	struct lb_agg_origin *p = realloc(v->o, (v->n + 1) * sizeof *p);
	if (!p) {
		v->oom = true;
		return 1;
	}
	v->o = p;
	v->o[v->n++] = *o;
	return 0;
}

/* The newest receipt up gave for o: its seq and when it was received
 * (ms, 0 when none or unreadable). */
static void up_held(struct lb_agg *a, const struct lb_remote *up, const struct lb_agg_origin *o,
                    uint64_t *seq, uint64_t *since_ms)
{
	struct lb_receipt rc;
	struct lb_diag d = {0};
	uint8_t *r = NULL;
	size_t len;

	*seq = 0;
	*since_ms = 0;
	if (!lb_agg_up_receipt(a, up->key, o->origin, seq, &r, &len, &d) &&
	    !lb_receipt_open(&rc, r, len, up->key, &d))
		*since_ms = rc.received_ms;
	free(r);
}

int lb_agg_cli_relay_status(struct lb_agg *a, json_t *root)
{
	struct up_list ul = {0};
	struct vlist vl = {0};
	struct lb_diag d = {0};
	json_t *ups = NULL;
	lb_err e;

	if ((e = lb_agg_upstreams(a, take_up, &ul, NULL, &d)) || !ul.n)
		return e ? die("status", e, &d) : 0;
	if ((e = lb_agg_origins(a, take_origin, &vl, &d)) || vl.oom) {
		free(vl.o);
		return die("status", e ? e : lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
	}
	if (root) {
		if (!(ups = json_array()) || json_object_set_new(root, "upstreams", ups))
			goto oom;
	} else {
		printf("\n%-12s  %-13s  %-16s  %10s  %10s  %s\n", "UPSTREAM", "VILLAGE", "ORIGIN",
		       "SEQ", "UP_SEQ", "SINCE");
	}
	for (size_t u = 0; u < ul.n; u++) {
		char key[2 * LB_PK_BYTES + 1];
		json_t *vs = NULL;
		lb_hex(key, ul.r[u].key, LB_PK_BYTES);
		if (root && (!(vs = json_array()) ||
		             json_array_append_new(ups, json_pack("{s:s, s:s, s:s, s:o}", "name",
		                                                  ul.r[u].name, "url", ul.r[u].url,
		                                                  "key", key, "villages", vs))))
			goto oom;
		for (size_t i = 0; i < vl.n; i++) {
			const struct lb_agg_origin *o = &vl.o[i];
			char hx[2 * LB_PK_BYTES + 1], since[48];
			uint64_t seq, ms;
			up_held(a, &ul.r[u], o, &seq, &ms);
			if (root && ms) /* machine output: the HLC form */
				lb_hlc_format(ms << LB_HLC_COUNTER_BITS, since);
			else if (ms) /* for people: local time */
				lb_human_time((int64_t)ms, since, sizeof since);
			else
				snprintf(since, sizeof since, "%s", _("never"));
			lb_hex(hx, o->origin, root ? LB_PK_BYTES : 8);
			if (!root)
				printf("%-12s  %-13s  %-16s  %10llu  %10llu  %s\n", ul.r[u].name, o->village,
				       hx, (unsigned long long)o->seq, (unsigned long long)seq, since);
			else if (json_array_append_new(
			                 vs, json_pack("{s:s, s:s, s:I, s:I, s:o, s:I}", "village",
			                               o->village, "origin", hx, "seq", (json_int_t)o->seq,
			                               "up_seq", (json_int_t)seq, "since",
			                               ms ? json_string(since) : json_null(), "since_ms",
			                               (json_int_t)ms)))
				goto oom;
		}
	}
	if (!root)
		printf(_("(UP_SEQ: the newest seq the upstream's signed receipt says it holds; SINCE: "
		       "when it received them)\n"));
	free(vl.o);
	return 0;
oom:
	free(vl.o);
	return die("status", lb_fail(&d, LB_ENOMEM, "out of memory"), &d);
}
