/*
 * push_cli.c — the sync commands of `lumbung` that live above the node:
 * push, sync, remote and the others of lb_sync_cmds (push_cli.h); main()
 * is agg/lumbung_main.c.
 *
 * Only the CLI prints.  Exit statuses follow lb_exit_status: 0 done,
 * 2 usage, 2 + code otherwise (22 network, 21 fork, 18 unknown origin...).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../node/cli.h"
#include "../node/progress.h"
#include "../node/remote.h"
#include "../schema/i18n.h"
#include "catalogue_cli.h"
#include "datang_cli.h"
#include "envelope.h"
#include "keyarg.h"
#include "push.h"
#include "push_cli.h"
#include "rcpt_cli.h"
#include "restore_cli.h"
#include "repair_cli.h"
#include "wire.h"

#define PROG LB_CLI_PROG

/* What to push to: a URL and, when known, the aggregator's key. */
struct target {
	struct lb_remote r;
	const char *label; /* remote name or URL, for messages */
};

/* What to do with the receipts of the aggregators above the remote,
 * handed down in its answers (lb_push_opts.on_upstream): the policy is
 * here, not in sync/. */
struct upstream_policy {
	struct lb_node *n;
	const struct target *t;
	const char *cmd;
	bool told_no_remote, told_own;
};

static lb_err upstream_is_pinned(struct lb_node *n, const char *name, const uint8_t key[LB_PK_BYTES],
                                 bool *pinned, bool *known, struct lb_diag *d)
{
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	size_t count;
	lb_err e = lb_remote_upstreams(n, name, up, &count, d);

	*pinned = *known = false;
	for (size_t i = 0; !e && i < count; i++)
		if (!memcmp(up[i].key, key, LB_PK_BYTES)) {
			*known = true;
			*pinned = up[i].pinned;
		}
	return e;
}

static lb_err on_upstream(void *ctx, const uint8_t key[LB_PK_BYTES], uint64_t seq,
                          const uint8_t *receipt, size_t len, struct lb_diag *d)
{
	struct upstream_policy *u = ctx;
	const char *name = u->t->r.name;
	char hex[2 * LB_PK_BYTES + 1];
	struct lb_diag why = {0};
	uint64_t before = 0;
	bool pinned, known, added;
	lb_err e;

	lb_hex(hex, key, LB_PK_BYTES);
	if (!name[0]) {
		if (!u->told_no_remote)
			fprintf(stderr,
			        _("%s %s: the aggregator hands down receipts from the aggregator above "
			             "it (key %s); they are kept only for a remote (lumbung remote add)\n"),
			        PROG, u->cmd, hex);
		u->told_no_remote = true;
		return LB_OK;
	}
	if (u->t->r.has_key && !memcmp(key, u->t->r.key, LB_PK_BYTES)) {
		if (!u->told_own)
			fprintf(stderr,
			        _("%s %s: warning: remote %s names its own key as the aggregator above "
			             "it; ignored\n"),
			        PROG, u->cmd, name);
		u->told_own = true;
		return LB_OK;
	}
	if ((e = upstream_is_pinned(u->n, name, key, &pinned, &known, d)))
		return e;
	if (!pinned) {
		if (known)
			return LB_OK; /* learnt before and said so then: not trusted */
		e = lb_remote_learn(u->n, name, key, &added, &why);
		if (e == LB_ETOOBIG || e == LB_EINVAL) {
			fprintf(stderr, _("%s %s: warning: %s\n"), PROG, u->cmd, lb_diag_msg(&why, e));
			return LB_OK;
		}
		if (e)
			return lb_fail(d, e, "%s", lb_diag_msg(&why, e));
		if (added)
			fprintf(stderr,
			        _("%s %s: remote %s says the aggregator above it has key %s.  It is NOT "
			             "trusted and its receipts are not kept until you confirm it: check "
			             "the key with the office, then run: %s remote confirm %s %s\n"),
			        PROG, u->cmd, name, hex, PROG, name, hex);
		return LB_OK;
	}
	if ((e = lb_node_receipt_last(u->n, key, &before, NULL, d)))
		return e;
	e = lb_push_keep_receipt(u->n, key, seq, receipt, len, &why);
	if (e == LB_ESTORE || e == LB_EFULL || e == LB_ENOMEM || e == LB_EIO)
		return lb_fail(d, e, "keeping a receipt from the aggregator above %s: %s", name,
		               lb_diag_msg(&why, e));
	if (e)
		fprintf(stderr,
		        _("%s %s: warning: remote %s handed down a receipt from the aggregator above "
		             "it (key %s) that does not hold (%s): %s; nothing kept\n"),
		        PROG, u->cmd, name, hex, lb_errname(e), lb_diag_msg(&why, e));
	else if (seq > before)
		printf(_("%s: the aggregator above %s (key %s) holds this village's log up to seq "
		       "%llu: its receipt was checked and kept\n"),
		       u->cmd, name, hex, (unsigned long long)seq);
	return LB_OK;
}

static int find_by_url(void *ctx, const struct lb_remote *r)
{
	struct target *t = ctx;
	if (strcmp(r->url, t->r.url))
		return 0;
	t->r = *r;
	return 1;
}

static int take_only(void *ctx, const struct lb_remote *r)
{
	*(struct lb_remote *)ctx = *r;
	return 0;
}

/* --to URL|NAME, or the only remote; --key overrides the remembered key. */
static int resolve_target(struct lb_cli_args *a, struct lb_node *n, struct target *t)
{
	struct lb_diag d = {0};
	size_t count;
	lb_err e;

	memset(t, 0, sizeof *t);
	if (a->to && strstr(a->to, "://")) {
		if (strlen(a->to) > LB_REMOTE_URL_MAX)
			return lb_cli_usage_error(a->cmd, "URL too long");
		strcpy(t->r.url, a->to);
		t->label = a->to;
		if ((e = lb_remote_list(n, find_by_url, t, NULL, &d)))
			return lb_cli_die(a->cmd, e, &d);
	} else if (a->to) {
		if ((e = lb_remote_get(n, a->to, &t->r, &d)))
			return lb_cli_die(a->cmd, e, &d);
		t->label = a->to;
	} else {
		if ((e = lb_remote_list(n, take_only, &t->r, &count, &d)))
			return lb_cli_die(a->cmd, e, &d);
		if (count != 1)
			return lb_cli_usage_error(
				a->cmd, count ? _("this node has %zu remotes: say which with --to NAME")
				              : _("no aggregator: give --to URL or add one with "
				                "`lumbung remote add NAME URL --key HEX`"),
				count);
		t->label = t->r.name;
	}
	if (a->key) {
		if ((e = lb_key_arg(a->key, t->r.key, &d)))
			return lb_cli_usage_error(a->cmd,
			                          "--key takes the aggregator's public key, 64 hex digits "
			                          "or its agg.pub file: %s",
			                          lb_diag_msg(&d, e));
		t->r.has_key = true;
	}
	if (a->cacert && (e = lb_remote_read_ca(&t->r, a->cacert, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (!t->r.has_key)
		fprintf(stderr,
		        _("%s %s: warning: the aggregator's key is unknown, so its receipts are "
		             "neither checked nor kept and change sets are not sealed (add it with "
		             "--key HEX or "
		             "`lumbung remote add NAME URL --key HEX`)\n"),
		        PROG, a->cmd);
	return 0;
}

static int parse_seconds(struct lb_cli_args *a, const char *opt, const char *v, long *out)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < 1 || x > 86400)
		return lb_cli_usage_error(a->cmd, "%s takes a number of seconds (1..86400)", opt);
	*out = x;
	return 0;
}

/* Options shared by push and sync. */
/* One push pass of node n's own log. */
static lb_err push_node(struct lb_pusher *p, struct lb_node *n, struct lb_push_stats *st,
                        struct lb_diag *d)
{
	struct lb_src src;

	lb_src_node(&src, n);
	return lb_push_run(p, &src, st, d);
}

/* The progress line of push and sync (node/progress.h): entries sent in
 * this run, across the passes of a retrying push. */
struct push_progress {
	struct lb_progress pg;
	uint64_t before; /* entries the aggregator took in earlier passes */
	bool quiet, started;
};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct push_progress *pp = ctx;

	if (!pp->started) {
		if (!total)
			return; /* up to date: nothing to show */
		lb_progress_start(&pp->pg, 0, _("entries"), pp->quiet);
		pp->started = true;
	}
	pp->pg.total = pp->before + total;
	lb_progress_set(&pp->pg, pp->before + done);
}

/* End the progress line of a pass (before anything else is printed). */
static void progress_pass_end(struct push_progress *pp, const struct lb_push_stats *st)
{
	pp->before += st->seq > st->remote_seq ? st->seq - st->remote_seq : 0;
	if (pp->started)
		lb_progress_end(&pp->pg);
	pp->started = false;
}

static int push_opts(struct lb_cli_args *a, const struct target *t, struct lb_push_opts *o)
{
	memset(o, 0, sizeof *o);
	o->url = t->r.url;
	o->cacert = t->r.cacert;
	o->agg_key = t->r.has_key ? t->r.key : NULL;
	if (a->max_bytes) {
		char *end;
		unsigned long long v = strtoull(a->max_bytes, &end, 10);
		if (*end == 'k' || *end == 'K')
			v <<= 10, end++;
		else if (*end == 'm' || *end == 'M')
			v <<= 20, end++;
		if (*end || v < LB_PUSH_MIN_BYTES || v > LB_PUSH_MAX_BYTES)
			return lb_cli_usage_error(a->cmd, "--max-bytes takes %uk..%um (e.g. 64k)",
			                          LB_PUSH_MIN_BYTES >> 10, LB_PUSH_MAX_BYTES >> 20);
		o->max_bytes = (size_t)v;
		o->start_bytes = (size_t)v < LB_PUSH_DEFAULT_BYTES ? (size_t)v : LB_PUSH_DEFAULT_BYTES;
	}
	if (a->stall && parse_seconds(a, "--stall-timeout", a->stall, &o->stall_s))
		return LB_CLI_EXIT_USAGE;
	if (getenv("LUMBUNG_PUSH_LOG"))
		o->log = stderr;
	o->no_seal = a->no_seal;
	o->no_compress = a->no_compress;
	return 0;
}

static int open_for_push(struct lb_cli_args *a, struct lb_node **n, struct target *t,
                         struct upstream_policy *u, struct push_progress *pp,
                         struct lb_pusher **p)
{
	struct lb_push_opts o;
	struct lb_diag d = {0};
	lb_err e;
	int rc;

	if (a->npos)
		return lb_cli_usage_error(a->cmd, "unexpected argument \"%s\"", a->pos[0]);
	if ((e = lb_cli_open_node(a, 0, n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if ((rc = resolve_target(a, *n, t)) || (rc = push_opts(a, t, &o)))
		return rc;
	*u = (struct upstream_policy){.n = *n, .t = t, .cmd = a->cmd};
	o.on_upstream = on_upstream;
	o.upstream_ctx = u;
	*pp = (struct push_progress){.quiet = a->quiet};
	o.on_progress = on_progress;
	o.progress_ctx = pp;
	if ((e = lb_pusher_new(p, &o, &d)))
		return lb_cli_die(a->cmd, e, &d);
	return 0;
}

static void report(const char *cmd, const struct lb_push_stats *st)
{
	char form[96] = "";

	if (st->sealed || st->compressed)
		snprintf(form, sizeof form, _(" (%s, %llu bytes plain)"),
		         st->sealed ? (st->compressed ? _("compressed and sealed") : _("sealed"))
		                    : _("compressed"),
		         (unsigned long long)st->plain_bytes);
	if (!st->entries)
		printf(_("%s: up to date: the aggregator holds seq %llu\n"), cmd,
		       (unsigned long long)st->seq);
	else
		printf(_("%s: sent %llu entries (%llu new to the aggregator, seq %llu..%llu) in %llu "
		       "change sets, %llu bytes%s; %llu receipts checked and kept\n"),
		       cmd, (unsigned long long)st->entries, (unsigned long long)st->accepted,
		       (unsigned long long)st->remote_seq + 1,
		       (unsigned long long)st->seq, (unsigned long long)st->changesets,
		       (unsigned long long)st->wire_bytes, form, (unsigned long long)st->receipts);
}

static int cmd_push(struct lb_cli_args *a)
{
	struct lb_node *n = NULL;
	struct lb_pusher *p = NULL;
	struct lb_push_stats st, total = {0};
	struct target t;
	struct upstream_policy u;
	struct push_progress pp;
	struct lb_diag d = {0};
	lb_err e;
	int rc, tries = 0;

	if ((rc = open_for_push(a, &n, &t, &u, &pp, &p)))
		goto out;
	/* Keep going while the link delivers; give up when an attempt that
	 * reached the aggregator got nothing through three times in a row,
	 * or at once when it cannot be reached at all. */
	for (;;) {
		e = push_node(p, n, &st, &d);
		progress_pass_end(&pp, &st);
		if (!total.changesets)
			total.remote_seq = st.remote_seq;
		total.entries += st.entries;
		total.accepted += st.accepted;
		total.changesets += st.changesets;
		total.wire_bytes += st.wire_bytes;
		total.plain_bytes += st.plain_bytes;
		total.compressed |= st.compressed;
		total.sealed |= st.sealed;
		total.receipts += st.receipts;
		if (st.seq)
			total.seq = st.seq;
		if (!e || !lb_push_retryable(e))
			break;
		if (st.entries)
			tries = 0;
		else if (!st.reached || ++tries >= 3)
			break;
		fprintf(stderr, _("%s push: %s; retrying with change sets of %zu bytes\n"),
		        PROG, lb_diag_msg(&d, e), lb_pusher_bytes(p));
		sleep(1);
	}
	if ((total.entries || !e) && !a->quiet)
		report("push", &total);
	rc = e ? lb_cli_die("push", e, &d) : 0;
	if (!e) {
		lb_sync_catalogue_after_push(n, a->dir, &t.r, "push");
		/* residents moving here: never fails the push */
		const uint8_t *ak = t.r.has_key ? t.r.key : NULL;
		lb_sync_datang_refresh("push", n, a->dir, t.r.url, t.r.cacert, ak);
	}
out:
	lb_pusher_free(p);
	lb_node_close(n);
	return rc;
}

/* An idle sync still asks for the offers of residents moving here this
 * often (seconds). */
#define DATANG_IDLE_S 600

static volatile sig_atomic_t stopping;
static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Now, for people: "28 Nov 2026 09:12 WIB" (local zone, TZ). */
static void stamp(char *buf, size_t len)
{
	lb_human_time((int64_t)time(NULL) * 1000, buf, len);
}

/* Sleep up to s seconds; returns early when asked to stop. */
static void nap(long s)
{
	for (long i = 0; i < s * 10 && !stopping; i++) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* A pinned upstream of remote r holds less of the log than the remote
 * does (by the receipts kept): worth asking again, since the remote hands
 * that aggregator's newer receipts down in its position answer. */
static bool upstream_behind(struct lb_node *n, const struct lb_remote *r, uint64_t acked)
{
	struct lb_upstream up[LB_REMOTE_UPSTREAM_MAX];
	size_t count = 0;
	uint64_t seq;

	if (!r->name[0] || lb_remote_upstreams(n, r->name, up, &count, NULL))
		return false;
	for (size_t i = 0; i < count; i++)
		if (up[i].pinned && !lb_node_receipt_last(n, up[i].key, &seq, NULL, NULL) && seq < acked)
			return true;
	return false;
}

static int cmd_sync(struct lb_cli_args *a)
{
	struct lb_node *n = NULL;
	struct lb_pusher *p = NULL;
	struct lb_push_stats st;
	struct lb_node_info info;
	struct target t;
	struct upstream_policy u;
	struct push_progress pp;
	struct lb_diag d = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	long every = 60;
	uint64_t acked = 0;
	bool known = false;
	unsigned failures = 0;
	time_t offers_at = 0; /* when the offers were last asked for */
	time_t catalogues_at = 0; /* when the catalogues were last asked for */
	char ts[48];
	lb_err e;
	int rc;

	if (a->every && (rc = parse_seconds(a, "--every", a->every, &every)))
		return rc;
	if ((rc = open_for_push(a, &n, &t, &u, &pp, &p)))
		goto out;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	stamp(ts, sizeof ts);
	printf(_("%s sync: pushing to %s every %ld s (Ctrl-C stops)\n"), ts, t.label, every);
	fflush(stdout);
	while (!stopping) {
		long wait;
		if ((e = lb_node_info(n, &info, &d))) {
			rc = lb_cli_die("sync", e, &d);
			break;
		}
		if (known && info.seq == acked && !failures && !upstream_behind(n, &t.r, acked)) {
			/* nothing new: no request at all, but for the offers of
			 * residents moving here and the catalogues every DATANG_IDLE_S */
			if (time(NULL) - catalogues_at >= DATANG_IDLE_S) {
				lb_sync_catalogue_after_push(n, a->dir, &t.r, "sync");
				catalogues_at = time(NULL);
			}
			if (time(NULL) - offers_at >= DATANG_IDLE_S &&
			    lb_sync_datang_refresh("sync", n, a->dir, t.r.url, t.r.cacert,
			                           t.r.has_key ? t.r.key : NULL))
				offers_at = time(NULL);
			fflush(stdout);
			nap(every);
			continue;
		}
		e = push_node(p, n, &st, &d);
		progress_pass_end(&pp, &st);
		stamp(ts, sizeof ts);
		if (st.seq) {
			acked = st.seq;
			known = true;
		}
		if (!e) {
			failures = 0;
			wait = every;
			if (st.entries)
				printf(_("%s sync: sent %llu entries in %llu change sets; aggregator at seq %llu\n"),
				       ts, (unsigned long long)st.entries, (unsigned long long)st.changesets,
				       (unsigned long long)st.seq);
			else if (!a->quiet)
				printf(_("%s sync: up to date at seq %llu\n"), ts, (unsigned long long)st.seq);
			fflush(stdout);
			lb_sync_catalogue_after_push(n, a->dir, &t.r, "sync");
			catalogues_at = time(NULL);
			if (lb_sync_datang_refresh("sync", n, a->dir, t.r.url, t.r.cacert,
			                           t.r.has_key ? t.r.key : NULL))
				offers_at = time(NULL);
		} else {
			wait = lb_push_backoff(&failures, st.entries > 0);
			printf(_("%s sync: %s%s: %s; sent %llu entries first; next try in %ld s with change "
			       "sets of %zu bytes\n"),
			       ts, lb_errname(e), lb_push_retryable(e) ? "" : _(" (needs attention)"),
			       lb_diag_msg(&d, e), (unsigned long long)st.entries, wait,
			       lb_pusher_bytes(p));
		}
		fflush(stdout);
		nap(wait);
	}
	stamp(ts, sizeof ts);
	printf(_("%s sync: stopped\n"), ts);
out:
	lb_pusher_free(p);
	lb_node_close(n);
	return rc;
}

static int cmd_remote(struct lb_cli_args *a)
{
	struct lb_node *n = NULL;
	struct lb_diag d = {0};
	const char *sub = a->npos ? a->pos[0] : "ls";
	uint8_t up[LB_CLI_UPSTREAM_KEYS][LB_PK_BYTES];
	size_t count;
	lb_err e = LB_OK;
	int want = !strcmp(sub, "add") || !strcmp(sub, "confirm") ? 3
	           : !strcmp(sub, "rm")                           ? 2
	           : !strcmp(sub, "ls")                           ? 1
	                                                          : -1;

	if (want < 0)
		return lb_cli_usage_error("remote", "unknown subcommand \"%s\" (add, ls, rm or confirm)",
		                          sub);
	if (a->npos > want || (a->npos < want && want > 1))
		return lb_cli_usage_error("remote", "wrong number of arguments for remote %s", sub);
	if (a->nupstream && strcmp(sub, "add"))
		return lb_cli_usage_error("remote", "--upstream-key goes with remote add");
	if (a->cacert && strcmp(sub, "add"))
		return lb_cli_usage_error("remote", "--cacert goes with remote add");
	for (int i = 0; i < a->nupstream; i++)
		if ((e = lb_key_arg(a->upstream_keys[i], up[i], &d)))
			return lb_cli_usage_error("remote",
			                          "--upstream-key takes the public key of the aggregator "
			                          "above the remote, 64 hex digits or its agg.pub file "
			                          "(the kabupaten's): %s",
			                          lb_diag_msg(&d, e));
	if ((e = lb_cli_open_node(a, !strcmp(sub, "ls"), &n, &d)))
		return lb_cli_die("remote", e, &d);
	if (!strcmp(sub, "add")) {
		struct lb_remote r = {0};
		if (strlen(a->pos[1]) > LB_REMOTE_NAME_MAX || strlen(a->pos[2]) > LB_REMOTE_URL_MAX) {
			lb_node_close(n);
			return lb_cli_usage_error("remote", "name or URL too long");
		}
		strcpy(r.name, a->pos[1]);
		strcpy(r.url, a->pos[2]);
		if (a->key && (e = lb_key_arg(a->key, r.key, &d))) {
			lb_node_close(n);
			return lb_cli_usage_error("remote",
			                          "--key takes the aggregator's public key, 64 hex digits "
			                          "(lumbung-agg init prints it) or its agg.pub file: %s",
			                          lb_diag_msg(&d, e));
		}
		r.has_key = a->key != NULL;
		if (a->cacert && (e = lb_remote_read_ca(&r, a->cacert, &d))) {
			lb_node_close(n);
			return lb_cli_die("remote", e, &d);
		}
		if (!(e = lb_remote_add(n, &r, (const uint8_t(*)[LB_PK_BYTES])up,
		                        (size_t)a->nupstream, &d))) {
			printf(_("remote %s: %s%s"), r.name, r.url,
			       r.has_key ? _(", receipts checked against its key") : _(", key unknown"));
			if (r.cacert[0])
				printf(_("; https trusts only the CA certificate of %s"), a->cacert);
			if (a->nupstream)
				printf(_("; %d upstream key%s pinned: receipts handed down from above are "
				       "checked and kept"),
				       a->nupstream, a->nupstream > 1 ? "s" : "");
			printf("\n");
		}
	} else if (!strcmp(sub, "confirm")) {
		uint8_t key[LB_PK_BYTES];
		if (lb_unhex(key, LB_PK_BYTES, a->pos[2])) {
			lb_node_close(n);
			return lb_cli_usage_error("remote", "remote confirm NAME KEY: KEY is the 64-hex key "
			                                    "`remote ls` shows as learnt");
		}
		if (!(e = lb_remote_confirm(n, a->pos[1], key, &d)))
			printf(_("remote %s: upstream key %s confirmed: its receipts handed down are now "
			       "checked and kept\n"),
			       a->pos[1], a->pos[2]);
	} else if (!strcmp(sub, "rm")) {
		if (!(e = lb_remote_del(n, a->pos[1], &d)))
			printf(_("removed remote %s\n"), a->pos[1]);
	} else if (!(e = lb_cli_print_remotes(n, "", &count, &d)) && !count) {
		printf(_("no remotes (add one with: lumbung remote add NAME URL --key HEX)\n"));
	}
	lb_node_close(n);
	return e ? lb_cli_die("remote", e, &d) : 0;
}

/* Write a change set to stdout: for a USB stick, or to look at.
 * Compressed unless --plain; sealed to --seal-to KEY, or to the key of the
 * remote --to names, unless --no-seal (envelope.h). */
static int cmd_changeset(struct lb_cli_args *a)
{
	struct lb_node *n = NULL;
	struct lb_mp_buf out, wire;
	struct lb_src src;
	struct lb_diag d = {0};
	uint64_t from = 1, to;
	size_t max = LB_WIRE_MAX_BYTES / 2;
	uint8_t seal_key[LB_PK_BYTES];
	bool seal = false;
	char seal_label[LB_REMOTE_URL_MAX + 64] = "";
	lb_err e;
	int rc = 0;

	if (a->since) {
		char *end;
		from = strtoull(a->since, &end, 10);
		if (*end || !from)
			return lb_cli_usage_error(a->cmd, "--since takes a seq (1 or more)");
	}
	if (a->max_bytes) {
		struct target t = {0};
		struct lb_push_opts o;
		strcpy(t.r.url, "http://x");
		if ((rc = push_opts(a, &t, &o)))
			return rc;
		max = o.max_bytes;
	}
	if (a->seal_to && a->no_seal)
		return lb_cli_usage_error(a->cmd, "--seal-to and --no-seal contradict each other");
	if (a->seal_to) {
		if ((e = lb_key_arg(a->seal_to, seal_key, &d)))
			return lb_cli_usage_error(a->cmd,
			                          "--seal-to takes the aggregator's public key, 64 hex "
			                          "digits (lumbung-agg init prints it) or its agg.pub "
			                          "file: %s",
			                          lb_diag_msg(&d, e));
		seal = true;
		snprintf(seal_label, sizeof seal_label, "%s", _("the key given with --seal-to"));
	}
	if (isatty(STDOUT_FILENO))
		return lb_cli_usage_error(a->cmd, "a change set is binary: redirect it to a file");
	if ((e = lb_cli_open_node(a, 1, &n, &d)))
		return lb_cli_die(a->cmd, e, &d);
	if (a->to && !seal && !a->no_seal) { /* the remote it is for, when it has a key */
		struct target t = {0};
		if (strstr(a->to, "://")) {
			if (strlen(a->to) <= LB_REMOTE_URL_MAX) {
				strcpy(t.r.url, a->to);
				e = lb_remote_list(n, find_by_url, &t, NULL, &d);
			}
		} else {
			e = lb_remote_get(n, a->to, &t.r, &d);
		}
		if (e) {
			lb_node_close(n);
			return lb_cli_die(a->cmd, e, &d);
		}
		if (t.r.has_key) {
			memcpy(seal_key, t.r.key, LB_PK_BYTES);
			seal = true;
			snprintf(seal_label, sizeof seal_label, _("the key of remote %s"), t.r.name);
		} else {
			fprintf(stderr,
			        _("%s changeset: warning: the key of %s is unknown, so the change set is "
			             "not sealed (add it with `lumbung remote add NAME URL --key HEX`, or "
			             "give --seal-to HEX)\n"),
			        PROG, a->to);
		}
	}
	lb_mp_buf_init(&out);
	lb_mp_buf_init(&wire);
	lb_src_node(&src, n);
	if ((e = lb_changeset_build(&src, from, max, &out, &to, NULL, &d)) ||
	    (e = lb_env_wrap(out.sb.data, out.sb.size, !a->plain, seal ? seal_key : NULL, &wire,
	                     &d)))
		rc = lb_cli_die(a->cmd, e, &d);
	else if (fwrite(wire.sb.data, 1, wire.sb.size, stdout) != wire.sb.size || fflush(stdout))
		rc = lb_cli_die(a->cmd, lb_fail(&d, LB_EIO, "writing: %s", strerror(errno)), &d);
	else {
		fprintf(stderr, _("%s changeset: entries %llu..%llu, %zu bytes"), PROG, (unsigned long long)from,
		        (unsigned long long)to, wire.sb.size);
		if (seal || !a->plain)
			fprintf(stderr, _(" (%s%s%s%s; %zu bytes plain)"), a->plain ? "" : _("compressed"),
			        seal && !a->plain ? ", " : "", seal ? _("sealed to ") : "",
			        seal_label, out.sb.size);
		fputc('\n', stderr);
	}
	lb_mp_buf_free(&out);
	lb_mp_buf_free(&wire);
	lb_node_close(n);
	return rc;
}

const struct lb_cli_cmd lb_sync_cmds[] = {
	{"push", "push -d DIR [--to URL|REMOTE] [--key HEX|PUBFILE] [--max-bytes N] "
	 "[--stall-timeout S] [--no-compress] [--no-seal] [--quiet] [--cacert FILE]",
	 N_("Send every entry the aggregator does not hold yet, in signed change sets of 256k\n"
	 "on the wire at first, growing while requests succeed up to --max-bytes (default\n"
	 "16m; 8k..16m), and keep the receipts.  Change sets go zstd-compressed and sealed\n"
	 "to the aggregator's key when it accepts that and the key is known (--no-compress,\n"
	 "--no-seal: not).\n"
	 "Exit 0 when the aggregator holds this node's tip; non-zero with the reason when it\n"
	 "cannot be reached or refuses.  --to defaults to the only remote.  --key takes\n"
	 "64 hex digits or the aggregator's agg.pub file.  On a terminal a progress line\n"
	 "shows the entries sent, the percentage and the rate; --quiet turns it off, and\n"
	 "the summary of a push that succeeded."),
	 cmd_push, false},
	{"sync", "sync -d DIR [--to URL|REMOTE] [--every SECONDS] [--key HEX|PUBFILE] "
	 "[--max-bytes N] [--stall-timeout S] [--no-compress] [--no-seal] [--quiet] "
	 "[--cacert FILE]",
	 N_("Keep pushing: every --every seconds (default 60) when there is something new;\n"
	 "while the link is down, retry with exponential backoff and jitter (up to 15 min)\n"
	 "and smaller change sets; after an attempt that got entries through, retry within\n"
	 "2 s.  One line per attempt, stamped with the local time (TZ); SIGINT/SIGTERM\n"
	 "stop it.  --quiet: no progress line and no \"up to date\" lines."),
	 cmd_sync, false},
	{"remote", "remote -d DIR add NAME URL [--key HEX|PUBFILE] [--upstream-key HEX|PUBFILE]... "
	 "[--cacert FILE] | "
	 "remote -d DIR ls | remote -d DIR rm NAME | remote -d DIR confirm NAME HEX",
	 N_("Remember an aggregator's URL and public key; every receipt it returns is then\n"
	 "checked against that key before it is kept.  --upstream-key pins the key of an\n"
	 "aggregator above it (a kabupaten above a kecamatan; repeatable): the receipts the\n"
	 "remote hands down from it are checked against this node's log and kept.  A key the\n"
	 "remote names that is not pinned is learnt but not trusted until `remote confirm`.\n"
	 "`remote add` replaces a remote of that name with its upstream keys.  `remote ls`\n"
	 "shows how far each remote and each upstream holds this village's log, each\n"
	 "proven by a checked receipt.  --key and --upstream-key take 64 hex digits or\n"
	 "the aggregator's agg.pub file (or its directory)."),
	 cmd_remote, false},
	{"changeset", "changeset -d DIR [--since SEQ] [--max-bytes N] [--plain] "
	 "[--seal-to HEX | --to REMOTE] [--no-seal] > FILE",
	 N_("Write the signed change set of the entries from SEQ (default 1) up to the last\n"
	 "signed head that fits in --max-bytes (default 32m) to stdout: what push sends,\n"
	 "for carrying on a USB stick or inspecting.  It is zstd-compressed (--plain: not),\n"
	 "and sealed so that only one aggregator can open it: the one whose key --seal-to\n"
	 "gives, or the remote --to names when its key is known (--no-seal: never sealed;\n"
	 "a sealed file on a lost stick shows no names or NIKs)."),
	 cmd_changeset, false},
	{"datang", "datang ls -d DIR [--json] | datang terima -d DIR NIK [field=value...] | "
	 "datang tolak -d DIR NIK",
	 N_("Residents moving here from another village of the region.  After every push or\n"
	 "sync round the aggregator's open offers are fetched and kept (each entry checked:\n"
	 "its hash, a valid penduduk record with status pindah and pindah_ke this village).\n"
	 "`ls` lists them (NIK, nama, the village they leave, tanggal_pindah; --json with\n"
	 "the whole record).  `terima NIK` writes the resident here: the offered record,\n"
	 "status hidup, without pindah_ke/tanggal_pindah, with the field=value changes\n"
	 "given (typed as by put: e.g. dusun=, rt=, rw=, no_kk=), and datang_dari,\n"
	 "datang_seq, datang_hash naming the other village's signed entry; a NIK already\n"
	 "living here is refused.  `tolak NIK` drops the offer here."),
	 lb_sync_cmd_datang, false},
	{"receipt", "receipt import -d DIR FILE",
	 N_("Check and keep the receipts an aggregator wrote to FILE when it ingested this\n"
	 "village's change set from a USB stick (lumbung-agg ingest writes FILE.receipts):\n"
	 "each one must be signed by a remote's key and name this village's own entries.\n"
	 "Receipts for other villages are skipped.  Exit 0 when at least one was kept."),
	 lb_sync_cmd_receipt, false},
	{"restore", "restore -d NEWDIR --from URL|FILE.lla --village CODE [--restore-key FILE] "
	 "[--passphrase-file F] [--agg-key HEX] [--remote NAME] [--cacert FILE]",
	 N_("Bring a village node back after its PC died: fetch the village's log from the\n"
	 "aggregator at URL (proving the village key on a challenge; or with the office\n"
	 "token in $LUMBUNG_TOKEN), or read an archive from a stick (lumbung export-log,\n"
	 "lumbung-agg export-log), check every entry, head and root against the village's\n"
	 "key and rebuild the records; the node goes on from where the copy ends.  The key\n"
	 "comes from the key backup (--restore-key, its passphrase asked or read from\n"
	 "--passphrase-file), or from NEWDIR when it holds a new node with an empty log\n"
	 "(after the office's succession).  With --agg-key the copy's receipts from that\n"
	 "aggregator are kept and, for a URL, it is added as remote NAME (default\n"
	 "kabupaten).  Says how far the copy goes; a copy that does not check, or any other\n"
	 "failure, leaves nothing written."),
	 lb_sync_cmd_restore, true},
	{"repair", "repair -d DIR [--from URL|FILE.lla] [--agg-key HEX] [--remote NAME] "
	 "[--cacert FILE]",
	 N_("After an old backup was restored and written to (sync fails: \"histories have\n"
	 "forked\"): take the aggregator's copy of this village's log (from its URL, or an\n"
	 "archive from `lumbung-agg export-log`), verify it and make it this node's\n"
	 "history; our entries from the fork seq are kept as evidence (`export-log\n"
	 "--forked`) and their changes re-applied after it as new entries, in order, each\n"
	 "checked against the schema and the current state.  A change that cannot be\n"
	 "applied (a record deleted or missing now, a schema rule) is listed as a\n"
	 "conflict and not applied.  Exit 0, or 10 when conflicts were listed.  If it is\n"
	 "interrupted, `repair -d DIR` (no --from) finishes it.  Then run `sync`."),
	 lb_sync_cmd_repair, false},
	{"catalogue", "catalogue -d DIR ls [TYPE] | catalogue -d DIR get TYPE ID | "
	 "catalogue -d DIR status | catalogue -d DIR import FILE.lla --key HEX",
	 N_("The catalogues of the kabupaten and kecamatan above this village (their programmes\n"
	 "and place names), kept read-only.  They come with every successful push or sync\n"
	 "from the remote, signed by its key or an upstream key pinned for it, or from a\n"
	 "stick (`lumbung-agg catalogue export`) with `import --key` naming the key that\n"
	 "must have signed it.  A copy signed by another key, older than or forked from\n"
	 "the one held, or with a gap, is refused and the last good one kept.  `ls` lists\n"
	 "region, type, id and nama; `get` prints a record; `status` each catalogue's key,\n"
	 "seq and when it was last checked.  A penerima may name a catalogue programme; a\n"
	 "village program cannot take a code a catalogue holds."),
	 lb_sync_cmd_catalogue, false},
};

const size_t lb_sync_ncmds = sizeof lb_sync_cmds / sizeof lb_sync_cmds[0];
