/*
 * vreport.c — a village's own reports on a temporary aggregator (vreport.h).
 *
 * The temporary aggregator lives in a fresh directory under $TMPDIR (or
 * /tmp), made with mkdtemp and removed before returning, on every path.
 * While it exists SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE are blocked
 * on the calling thread; a signal arriving meanwhile stops the ingest
 * between change sets, the directory is removed, and the old mask is
 * restored, so the signal then takes its usual effect with nothing left
 * behind.  Nothing that can block on someone else happens meanwhile: the
 * report is made in memory and written to out afterwards.  Its store is opened without fsync (MDB_NOSYNC): it is thrown
 * away.
 */
#define _XOPEN_SOURCE 700
#include "vreport.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../node/archive.h"
#include "../node/catalogue.h"
#include "../sync/push.h"
#include "../sync/wire.h"
#include "catalogue.h"
#include "relay.h"
#include "store_int.h"

/* Change sets ingested at a time: large, so few transactions. */
#define VR_CHANGESET_BYTES (8u << 20)

/* ---- the temporary directory, removed on every path --------------------- */

struct tmpdir {
	char path[PATH_MAX];
	sigset_t old; /* the caller's signal mask */
	bool made;
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(p);
	return 0;
}

static void sigset_stop(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGHUP);
	sigaddset(s, SIGQUIT);
	sigaddset(s, SIGPIPE);
}

static lb_err tmp_make(struct tmpdir *t, struct lb_diag *d)
{
	const char *base = getenv("TMPDIR");
	sigset_t s;

	if (!base || !*base)
		base = "/tmp";
	sigset_stop(&s);
	pthread_sigmask(SIG_BLOCK, &s, &t->old);
	if ((size_t)snprintf(t->path, sizeof t->path, "%s/lumbung-report.XXXXXX", base) >=
	    sizeof t->path) {
		pthread_sigmask(SIG_SETMASK, &t->old, NULL);
		return lb_fail(d, LB_EINVAL, "TMPDIR is too long");
	}
	if (!mkdtemp(t->path)) {
		int err = errno;
		pthread_sigmask(SIG_SETMASK, &t->old, NULL);
		return lb_fail(d, LB_EIO, "making a temporary directory in %s: %s", base,
		               strerror(err));
	}
	t->made = true;
	return LB_OK;
}

static void tmp_remove(struct tmpdir *t)
{
	if (!t->made)
		return;
	nftw(t->path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(t->path);
	t->made = false;
	pthread_sigmask(SIG_SETMASK, &t->old, NULL); /* a pending signal now acts */
}

/* A stop signal arrived while blocked (one the caller had not blocked). */
static bool tmp_stopped(const struct tmpdir *t)
{
	sigset_t p;
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

	if (sigpending(&p))
		return false;
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		if (sigismember(&p, sigs[i]) && !sigismember(&t->old, sigs[i]))
			return true;
	return false;
}

static char *tmp_join(const struct tmpdir *t, const char *name)
{
	size_t n = strlen(t->path) + strlen(name) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", t->path, name);
	return p;
}

/* ---- a source cut at seq ------------------------------------------------ */

struct capped {
	const struct lb_src *s;
	uint64_t seq;
};

static lb_err cap_info(void *ctx, struct lb_src_info *i, struct lb_diag *d)
{
	struct capped *c = ctx;
	lb_err e = c->s->ops->info(c->s->ctx, i, d);
	if (!e && i->seq > c->seq)
		i->seq = c->seq;
	return e;
}

static lb_err cap_span(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
                       bool *over, struct lb_diag *d)
{
	struct capped *c = ctx;
	lb_err e;

	if (from > c->seq)
		return lb_fail(d, LB_ENOTFOUND, "seq %llu is past %llu", (unsigned long long)from,
		               (unsigned long long)c->seq);
	e = c->s->ops->span(c->s->ctx, from, max_bytes, to, bytes, over, d);
	if (!e && *to > c->seq)
		*to = c->seq; /* c->seq ends a signed head (checked first) */
	return e;
}

static lb_err cap_entries(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
                          struct lb_diag *d)
{
	struct capped *c = ctx;
	return c->s->ops->entries(c->s->ctx, from, to, cb, cbctx, d);
}

static lb_err cap_head(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d)
{
	struct capped *c = ctx;
	return c->s->ops->head(c->s->ctx, seq, head, len, d);
}

static const struct lb_src_ops capped_ops = {
	.info = cap_info,
	.span = cap_span,
	.entries = cap_entries,
	.head = cap_head,
};

/* ---- catalogues --------------------------------------------------------- */

/* Put the catalogue archive f of region (signed by key) into the
 * temporary aggregator a, where the real one keeps it: its own region's
 * as its catalogue (here a replica of the key), another region's among
 * the relayed ones. */
static lb_err put_catalogue(struct lb_agg *a, const char *region, const uint8_t key[LB_PK_BYTES],
                            FILE *f, struct lb_diag *d)
{
	struct lb_node_opts no = {.replica = true};
	struct lb_node *n;
	char *dir;
	lb_err e;

	if (strcmp(region, a->region))
		return lb_agg_catalogue_adopt(a, region, key, f, NULL, d);
	if ((e = lb_agg_catalogue_dir(a, NULL, &dir, d)))
		return e;
	if (!(e = lb_node_init_replica(dir, region, key, d)) &&
	    !(e = lb_node_open(&n, dir, &no, d))) {
		e = lb_node_adopt_ex(n, f, NULL, LB_ADOPT_NO_FORK | LB_ADOPT_NO_ROLLBACK, NULL, d);
		lb_node_close(n);
	}
	free(dir);
	return e;
}

struct cats {
	size_t n;
	struct {
		char region[LB_VILLAGE_LEN + 1];
		uint8_t key[LB_PK_BYTES];
		bool own;
	} c[64];
};

static int node_cat_cb(void *ctx, const struct lb_catalogue_info *ci)
{
	struct cats *k = ctx;
	if (k->n < sizeof k->c / sizeof *k->c) {
		snprintf(k->c[k->n].region, sizeof k->c[k->n].region, "%s", ci->region);
		memcpy(k->c[k->n].key, ci->key, LB_PK_BYTES);
		k->n++;
	}
	return 0;
}

/* Each catalogue of k whose region contains village into a: its log
 * exported by put (catalogue i to f) through a temporary file. */
typedef lb_err (*cat_export)(void *ctx, const struct cats *k, size_t i, FILE *f,
                             struct lb_diag *d);

static lb_err cats_put(struct lb_agg *a, const struct cats *k, const char *village,
                       cat_export put, void *ctx, struct lb_diag *d)
{
	lb_err e = LB_OK;

	for (size_t i = 0; !e && i < k->n; i++) {
		FILE *f;
		if (!lb_region_contains(k->c[i].region, village))
			continue;
		if (!(f = tmpfile()))
			return lb_fail(d, LB_EIO, "a temporary file: %s", strerror(errno));
		e = put(ctx, k, i, f, d);
		if (!e && (fflush(f) || fseek(f, 0, SEEK_SET)))
			e = lb_fail(d, LB_EIO, "a temporary file: %s", strerror(errno));
		if (!e && (e = put_catalogue(a, k->c[i].region, k->c[i].key, f, d)))
			lb_diag_prefix(d, "the catalogue of %s", k->c[i].region);
		fclose(f);
	}
	return e;
}

static lb_err node_cat_export(void *ctx, const struct cats *k, size_t i, FILE *f,
                              struct lb_diag *d)
{
	struct lb_node *n;
	lb_err e = lb_catalogue_open(ctx, k->c[i].region, &n, d);
	if (!e) {
		e = lb_node_export_log_from(n, 1, f, d);
		lb_node_close(n);
	}
	return e;
}

/* The catalogue copies a village node directory holds, into a. */
static lb_err cats_from_node(struct lb_agg *a, const char *dir, const char *village,
                             struct lb_diag *d)
{
	struct cats *k = calloc(1, sizeof *k);
	lb_err e;

	if (!k)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	e = lb_catalogue_list(dir, node_cat_cb, k, NULL, d);
	if (!e)
		e = cats_put(a, k, village, node_cat_export, (void *)dir, d);
	free(k);
	return e;
}

static int agg_cat_cb(void *ctx, const struct lb_agg_catalogue *c)
{
	struct cats *k = ctx;
	if (k->n < sizeof k->c / sizeof *k->c) {
		snprintf(k->c[k->n].region, sizeof k->c[k->n].region, "%s", c->region);
		memcpy(k->c[k->n].key, c->key, LB_PK_BYTES);
		k->c[k->n].own = c->own;
		k->n++;
	}
	return 0;
}

static lb_err agg_cat_export(void *ctx, const struct cats *k, size_t i, FILE *f,
                             struct lb_diag *d)
{
	return lb_agg_catalogue_export(ctx, k->c[i].own ? NULL : k->c[i].region, 1, f, d);
}

/* The catalogues an aggregator holds whose region contains village, into a. */
static lb_err cats_from_agg(struct lb_agg *a, struct lb_agg *src, const char *village,
                            struct lb_diag *d)
{
	struct cats *k = calloc(1, sizeof *k);
	lb_err e;

	if (!k)
		return lb_fail(d, LB_ENOMEM, "out of memory");
	e = lb_agg_catalogues(src, agg_cat_cb, k, d);
	if (!e)
		e = cats_put(a, k, village, agg_cat_export, src, d);
	free(k);
	return e;
}

/* ---- the computation ---------------------------------------------------- */

/* Where the catalogues come from: a node directory or an aggregator. */
struct catsrc {
	const char *node_dir;
	struct lb_agg *agg;
};

static lb_err run_in(struct tmpdir *t, const struct lb_src *s, const struct catsrc *cs,
                     const struct lb_report_opts *o, uint64_t seq, FILE *out,
                     struct lb_vreport_at *at, struct lb_diag *d)
{
	struct lb_src_info info;
	struct lb_report_opts ro = *o;
	struct capped cap = {s, 0};
	struct lb_src cs_src = {&capped_ops, &cap};
	struct lb_mp_buf buf;
	struct lb_agg *a = NULL;
	uint8_t pk[LB_PK_BYTES], *head = NULL;
	size_t head_len;
	char region[LB_VILLAGE_LEN + 1], *aggdir = NULL;
	lb_err e;

	lb_mp_buf_init(&buf);
	if ((e = s->ops->info(s->ctx, &info, d)))
		return e;
	if (lb_region_level(info.village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code", info.village);
	if (!seq)
		seq = info.seq;
	if (seq > info.seq)
		return lb_fail(d, LB_EINVAL, "seq %llu is past the log's tip %llu",
		               (unsigned long long)seq, (unsigned long long)info.seq);
	if (seq) {
		e = s->ops->head(s->ctx, seq, &head, &head_len, d);
		free(head);
		if (e == LB_ENOTFOUND)
			return lb_fail(d, LB_EINVAL, "seq %llu ends no signed head of the log",
			               (unsigned long long)seq);
		if (e)
			return e;
	}
	cap.seq = seq;
	if (at) {
		memset(at, 0, sizeof *at);
		snprintf(at->village, sizeof at->village, "%s", info.village);
		snprintf(at->name, sizeof at->name, "%s", info.name);
		at->seq = seq;
		memcpy(at->origin, info.origin, LB_PK_BYTES);
		if (seq && (e = s->ops->entry_hash(s->ctx, seq, at->hash, d)))
			return e;
	}

	/* the village's kabupaten's aggregator, the village's key enrolled */
	memcpy(region, info.village, 5);
	region[5] = '\0';
	if (!(aggdir = tmp_join(t, "agg")))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	if ((e = lb_agg_init(aggdir, region, pk, d)) || (e = lb_agg_open(&a, aggdir, d)))
		goto out;
	mdb_env_set_flags(a->env, MDB_NOSYNC | MDB_NOMETASYNC, 1);
	if ((e = lb_agg_enroll(a, info.village, info.origin, d)))
		goto out;
	if (info.name[0]) { /* as a push teaches it; a name it refuses stays unknown */
		e = lb_agg_learn_name(a, info.origin, info.name, NULL, d);
		if (e == LB_EINVAL || e == LB_ETOOBIG)
			e = LB_OK;
		if (e)
			goto out;
	}
	if (cs && cs->node_dir && (e = cats_from_node(a, cs->node_dir, info.village, d)))
		goto out;
	if (cs && cs->agg && (e = cats_from_agg(a, cs->agg, info.village, d)))
		goto out;

	/* the log up to seq, in change sets from the one builder */
	for (uint64_t from = 1; from <= seq;) {
		struct lb_agg_result r = {0};
		uint64_t to;
		if (tmp_stopped(t)) {
			e = lb_fail(d, LB_EINVAL, "interrupted");
			goto out;
		}
		if ((e = lb_changeset_build(&cs_src, from, VR_CHANGESET_BYTES, &buf, &to, NULL, d)))
			goto out;
		e = lb_agg_ingest(a, buf.sb.data, buf.sb.size, &r, d);
		free(r.receipt);
		if (e) {
			lb_diag_prefix(d, "the log from seq %llu to %llu",
			               (unsigned long long)from, (unsigned long long)to);
			goto out;
		}
		from = to + 1;
	}
	ro.village = info.village;
	e = lb_report_run(a, &ro, out, d);
out:
	lb_agg_close(a);
	lb_mp_buf_free(&buf);
	free(aggdir);
	return e;
}

/* The report goes to memory first and to out only once the temporary
 * directory is gone and the signals act again: a reader that stops
 * reading can never hold the directory (or an interrupt) up. */
static lb_err mem_open(char **buf, size_t *len, FILE **mf, struct lb_diag *d)
{
	*buf = NULL;
	*len = 0;
	if (!(*mf = open_memstream(buf, len)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	return LB_OK;
}

/* Close mf (opened on *buf, *len) and write what it holds to out (not on
 * error e). */
static lb_err mem_out(char **buf, size_t *len, FILE *mf, FILE *out, lb_err e, struct lb_diag *d)
{
	if (fclose(mf) && !e)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	if (!e && *len && fwrite(*buf, 1, *len, out) != *len)
		e = lb_fail(d, LB_EIO, "writing the report: %s", strerror(errno));
	free(*buf);
	return e;
}

static lb_err run(const struct lb_src *s, const struct catsrc *cs, const struct lb_report_opts *o,
                  uint64_t seq, FILE *out, struct lb_vreport_at *at, struct lb_diag *d)
{
	struct tmpdir t = {0};
	FILE *mf;
	char *buf;
	size_t len;
	lb_err e;

	if ((e = mem_open(&buf, &len, &mf, d)))
		return e;
	if (!(e = tmp_make(&t, d))) {
		e = run_in(&t, s, cs, o, seq, mf, at, d);
		tmp_remove(&t);
	}
	return mem_out(&buf, &len, mf, out, e, d);
}

lb_err lb_vreport_run(const struct lb_src *s, const struct lb_report_opts *o, uint64_t seq,
                      FILE *out, struct lb_vreport_at *at, struct lb_diag *d)
{
	return run(s, NULL, o, seq, out, at, d);
}

lb_err lb_vreport_run_node(const struct lb_src *s, const char *dir,
                           const struct lb_report_opts *o, uint64_t seq, FILE *out,
                           struct lb_vreport_at *at, struct lb_diag *d)
{
	struct catsrc cs = {.node_dir = dir};
	return run(s, &cs, o, seq, out, at, d);
}

static lb_err adopt_named(struct lb_node *n, FILE *f, const char *path, struct lb_diag *d)
{
	lb_err e = lb_node_adopt_ex(n, f, NULL, 0, NULL, d);
	if (e)
		lb_diag_prefix(d, "%s", path);
	return e;
}

lb_err lb_vreport_run_archive(const char *path, const struct lb_report_opts *o, uint64_t seq,
                              FILE *out, struct lb_vreport_at *at, struct lb_diag *d)
{
	struct tmpdir t = {0};
	struct lb_lla_reader rd;
	struct lb_lla_frame fr;
	struct lb_lla_header h;
	struct lb_node_opts no = {.replica = true};
	struct lb_node *n = NULL;
	struct lb_src s;
	char *logdir = NULL, *buf;
	size_t len;
	FILE *f, *mf;
	lb_err e;

	if (!(f = fopen(path, "rb")))
		return lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
	/* whose log: the header names the village and the chain's key */
	if (!(e = lb_lla_reader_open(&rd, f, d)) && !(e = lb_lla_next(&rd, &fr, d)) &&
	    fr.kind != LB_LLA_HEADER)
		e = lb_fail(d, LB_EMALFORMED, "%s does not start with an archive header", path);
	if (!e)
		h = fr.header;
	lb_lla_reader_close(&rd);
	if (e == LB_ENOTFOUND)
		e = lb_fail(d, LB_EMALFORMED, "%s holds no archive frames", path);
	if (e) {
		fclose(f);
		lb_diag_prefix(d, "%s", path);
		return e;
	}
	if (fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return lb_fail(d, LB_EIO, "%s: %s", path, strerror(errno));
	}
	if ((e = mem_open(&buf, &len, &mf, d))) {
		fclose(f);
		return e;
	}
	if ((e = tmp_make(&t, d))) {
		fclose(f);
		return mem_out(&buf, &len, mf, out, e, d);
	}
	/* verified into a replica of the village's log, then read from there */
	if (!(logdir = tmp_join(&t, "log")))
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	else if (!(e = lb_node_init_replica(logdir, h.village, h.origin, d)) &&
	         !(e = lb_node_open(&n, logdir, &no, d)) &&
	         !(e = adopt_named(n, f, path, d))) {
		lb_src_node(&s, n);
		e = run_in(&t, &s, NULL, o, seq, mf, at, d);
	}
	lb_node_close(n);
	fclose(f);
	free(logdir);
	tmp_remove(&t);
	return mem_out(&buf, &len, mf, out, e, d);
}

struct active {
	const char *village;
	bool found;
	struct lb_agg_origin o;
};

static int active_cb(void *ctx, const struct lb_agg_origin *o)
{
	struct active *k = ctx;
	if (strcmp(o->village, k->village) || (k->found && !k->o.revoked))
		return 0;
	if (!k->found || !o->revoked) { /* the active key, else the last revoked one seen */
		k->o = *o;
		k->found = true;
	}
	return 0;
}

lb_err lb_vreport_run_agg(const char *aggdir, const char *village,
                          const struct lb_report_opts *o, uint64_t seq, FILE *out,
                          struct lb_vreport_at *at, struct lb_diag *d)
{
	struct lb_agg *src = NULL;
	struct lb_agg_src *as = NULL;
	struct active k = {.village = village};
	struct catsrc cs = {0};
	struct lb_vreport_noname w;
	struct lb_src s, nn;
	lb_err e;

	if (!village || lb_region_level(village) != LB_REGION_DESA)
		return lb_fail(d, LB_EINVAL, "\"%.20s\" is not a desa code", village ? village : "");
	if ((e = lb_agg_open_ro(&src, aggdir, d)))
		return e;
	if ((e = lb_agg_origins(src, active_cb, &k, d)))
		goto out;
	if (!k.found) {
		e = lb_fail(d, LB_ENOTFOUND, "no key of %s is enrolled at %s", village, aggdir);
		goto out;
	}
	if (k.o.base) {
		e = lb_fail(d, LB_EINVAL, "the key of %s continues another key's log (a succession): "
		            "compute its report from the village's own archive", village);
		goto out;
	}
	if ((e = lb_agg_replica_src(src, k.o.origin, &as, d)))
		goto out;
	lb_agg_src_get(as, &s);
	lb_vreport_src_noname(&w, &s, &nn); /* the signed log alone, as from an archive */
	cs.agg = src;
	e = run(&nn, &cs, o, seq, out, at, d);
out:
	lb_agg_src_free(as);
	lb_agg_close(src);
	return e;
}

/* ---- the log without the village's name ---------------------------------- */

static lb_err nn_info(void *ctx, struct lb_src_info *i, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	lb_err e = in->ops->info(in->ctx, i, d);
	i->name[0] = '\0';
	return e;
}

static lb_err nn_span(void *ctx, uint64_t from, size_t max_bytes, uint64_t *to, size_t *bytes,
                      bool *over, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	return in->ops->span(in->ctx, from, max_bytes, to, bytes, over, d);
}

static lb_err nn_entries(void *ctx, uint64_t from, uint64_t to, lb_raw_cb cb, void *cbctx,
                         struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	return in->ops->entries(in->ctx, from, to, cb, cbctx, d);
}

static lb_err nn_head(void *ctx, uint64_t seq, uint8_t **head, size_t *len, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	return in->ops->head(in->ctx, seq, head, len, d);
}

static lb_err nn_entry_hash(void *ctx, uint64_t seq, uint8_t hash[LB_HASH_BYTES],
                            struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	return in->ops->entry_hash(in->ctx, seq, hash, d);
}

static lb_err nn_receipt_last(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t *seq,
                              struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	return in->ops->receipt_last(in->ctx, agg, seq, d);
}

static lb_err nn_receipt_put(void *ctx, const uint8_t agg[LB_PK_BYTES], uint64_t seq,
                             const void *receipt, size_t len, struct lb_diag *d)
{
	const struct lb_src *in = &((struct lb_vreport_noname *)ctx)->in;
	return in->ops->receipt_put(in->ctx, agg, seq, receipt, len, d);
}

static const struct lb_src_ops noname_ops = {nn_info,       nn_span,         nn_entries, nn_head,
                                             nn_entry_hash, nn_receipt_last, nn_receipt_put};

void lb_vreport_src_noname(struct lb_vreport_noname *w, const struct lb_src *in, struct lb_src *out)
{
	w->in = *in;
	out->ops = &noname_ops;
	out->ctx = w;
}

/* ---- a stamped report ---------------------------------------------------- */

lb_err lb_vreport_stamped(const struct lb_src *s, const char *dir, const struct lb_report_opts *o,
                          uint64_t seq, const struct lb_key *k, char **json, size_t *len,
                          struct lb_rstamp *st, struct lb_vreport_at *at, struct lb_diag *d)
{
	struct lb_report_opts jo = *o;
	struct lb_vreport_noname w;
	struct lb_vreport_at here;
	struct lb_src nn;
	FILE *m;
	lb_err e;

	*json = NULL;
	*len = 0;
	if (!at)
		at = &here;
	jo.format = LB_REPORT_JSON;
	if (!(m = open_memstream(json, len)))
		return lb_fail(d, LB_ENOMEM, "out of memory");
	lb_vreport_src_noname(&w, s, &nn); /* the name is not in the signed log */
	e = lb_vreport_run_node(&nn, dir, &jo, seq, m, at, d);
	if (fclose(m) && !e)
		e = lb_fail(d, LB_ENOMEM, "out of memory");
	if (e) {
		free(*json);
		*json = NULL;
		*len = 0;
		return e;
	}
	memset(st, 0, sizeof *st);
	lb_rstamp_digest(st->digest, *json, *len);
	memcpy(st->village, at->village, sizeof st->village);
	snprintf(st->name, sizeof st->name, "%s", o->name);
	st->seq = at->seq;
	memcpy(st->hash, at->hash, sizeof st->hash);
	if ((e = lb_rstamp_set_params(st, o->per_y, o->per_m, o->per_d, o->month_y, o->month_m, d)) ||
	    (e = lb_rstamp_sign(st, k, d))) {
		free(*json);
		*json = NULL;
		*len = 0;
	}
	return e;
}
