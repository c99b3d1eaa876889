/*
 * audit_cli.c — `lumbung-audit`, the auditor's command: export a village's
 * signed history as a log archive (.lla), verify an archive trusting no
 * one, show the history of one record, export fork evidence, and (from
 * proof_cli.c) make and check Merkle proofs.
 *
 * Only this file (and proof_cli.c) prints and exits.  Messages are
 * "lumbung-audit CMD: ..." on stderr; exit statuses are lb_exit_status()
 * (0 ok, 1 not found, 2 usage, 2 + code otherwise; docs/lumbung-audit.1).
 * verify exits 0 only when every check holds; for a fork evidence file
 * that means the fork is proven.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "../../node/archive.h"
#include "../../node/hlc.h"
#include "../../node/key.h"
#include "../../node/node.h"
#include "../../schema/i18n.h"
#include "../../schema/schema.h"
#include "../../schema/version.h"
#include "../../agg/agg.h"
#include "audit.h"
#include "check_report.h"
#include "proof.h"

#define PROG "lumbung-audit"
#define EXIT_USAGE 2
#define SHOW_RECEIPTS 10 /* receipts listed in the report; the rest are counted */
#define SHOW_FORKS 10
#define AGG_KEYS_MAX 16 /* --agg-key given at most this often */
#define INPUT_BUFFER (1u << 20)

struct args {
	const char *cmd, *dir, *origin, *key, *threads;
	bool json;
	int npos, nagg;
	char **pos;  /* borrowed from argv */
	char **aggs; /* each --agg-key, borrowed from argv */
};

struct cmd {
	const char *name, *usage, *help;
	int (*fn)(struct args *a);
};

static int cmd_export(struct args *a);
static int cmd_verify(struct args *a);
static int cmd_history(struct args *a);
static int cmd_forks(struct args *a);

static const struct cmd cmds[] = {
	{"export", "export -d NODE_OR_AGG_DIR [--origin HEX] > village.lla",
	 N_("Write a village's whole signed history as a log archive: every entry, signed\n"
	 "head and receipt, exactly the signed bytes.  DIR is a village node (opened\n"
	 "read-only) or an aggregator; an aggregator holding several villages needs\n"
	 "--origin (the village's key) to say which."),
	 cmd_export},
	{"verify", "verify FILE|-d DIR [--origin HEX] [--key HEX|PUBFILE]\n"
	           "       [--agg-key HEX|AGG.PUB]... [--json] [--threads N]",
	 N_("Check an archive (FILE, - for stdin, or -d DIR exported on the fly) without\n"
	 "trusting anyone: every entry hash and the chain, seq continuity, rising times,\n"
	 "every entry against the schema version it was written under (references\n"
	 "between records need the replayed state and are not checked), every signed\n"
	 "head (signature, hash, Merkle root), that the last entry is signed, every\n"
	 "receipt (against the aggregator key it carries, and what it acknowledges),\n"
	 "and the trailer (a missing one means the file was cut short).  --key pins the\n"
	 "village's key; without it the signer is taken from the file.  A receipt is\n"
	 "proof only under an aggregator key given with --agg-key (repeat it for each\n"
	 "aggregator you trust); the others are reported unverified.  When the\n"
	 "village's key was lost and an aggregator vouched for a new one (a\n"
	 "succession), the chain is followed across it and reported (\"key changed at\n"
	 "seq N by a succession signed by kabupaten PP.KK (KEY)\"); --key may be the\n"
	 "old key or the new one; --agg-key requires the successions' signer, else\n"
	 "compare the key named with the aggregator's.  An archive of a log's tail\n"
	 "(from a seq after 1) is refused: an auditor needs the whole log.  For a fork\n"
	 "evidence file it checks that the village signed two histories that differ at\n"
	 "one seq.\n"
	 "Exit 0 only when everything holds (for fork evidence: the fork is proven);\n"
	 "otherwise the first bad seq and the reason, exit 8 (corrupt), 9 (malformed),\n"
	 "10 (schema), 13 (signature) or 5 (I/O)."),
	 cmd_verify},
	{"history", "history FILE TYPE ID [--key HEX|PUBFILE] [--agg-key HEX|AGG.PUB]... [--json]",
	 N_("Every change of one record: seq, time, operation, each field that changed\n"
	 "from what to what (values as JSON), and the signed head that covers it (the\n"
	 "first head at or after the entry).  The whole archive is verified first, as\n"
	 "by verify; nothing is shown from an archive that fails.  Exit 1 when the\n"
	 "record never appears."),
	 cmd_history},
	{"fork-evidence", "fork-evidence -d AGG_DIR [--origin HEX] > evidence.lla",
	 N_("Write the proof an aggregator kept when a village signed two histories: both\n"
	 "signed heads, as an archive `lumbung-audit verify` checks.  --origin is needed when\n"
	 "more than one village forked."),
	 cmd_forks},
	{"prove", "prove FILE.lla --seq N [--head SEQ] > PROOF\n       " PROG
	          " prove FILE.lla --from SEQ1 [--to SEQ2] > PROOF",
	 N_("Make a Merkle inclusion or consistency proof (lumbung-audit prove --help)."), NULL},
	{"check-proof", "check-proof PROOF [--key HEX|PUBFILE] [--json]",
	 N_("Check a proof with nothing but the proof and the key (lumbung-audit "
	    "check-proof --help)."),
	 NULL},
	{"check-report", "check-report STAMP|-|--pdf FILE (--archive FILE.lla | --agg DIR)\n"
	                 "       [--key HEX|PUBFILE] [--show]",
	 N_("Check a printed village report's stamp against the village's signed log\n"
	    "(lumbung-audit check-report --help)."),
	 NULL},
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void usage_all(FILE *f)
{
	fprintf(f, "usage: " PROG " COMMAND [options]\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  " PROG " %s\n", cmds[i].usage);
	fprintf(f, "  " PROG " --version\n");
	fprintf(f, "\n");
	fprintf(f, _("%s COMMAND --help shows what a command does.\n"), PROG);
}

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	const struct cmd *c = find_cmd(cmd);
	va_list ap;

	fprintf(stderr, PROG " %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (c)
		fprintf(stderr, "usage: " PROG " %s\n", c->usage);
	return EXIT_USAGE;
}

static int die(const char *cmd, lb_err e, const struct lb_diag *d)
{
	fprintf(stderr, PROG " %s: %s\n", cmd, lb_diag_msg(d, e));
	return lb_exit_status(e);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof *a);
	a->cmd = argv[1];
	if (!(a->pos = calloc((size_t)argc, sizeof *a->pos)) ||
	    !(a->aggs = calloc((size_t)argc, sizeof *a->aggs))) {
		fprintf(stderr, _("%s: out of memory\n"), PROG);
		return EXIT_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		const char *o = argv[i], **dst = NULL;
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			const struct cmd *c = find_cmd(a->cmd);
			printf("usage: " PROG " %s\n\n%s\n", c->usage, _(c->help));
			return -1;
		} else if (!strcmp(o, "-d") || !strcmp(o, "--dir"))
			dst = &a->dir;
		else if (!strcmp(o, "--origin"))
			dst = &a->origin;
		else if (!strcmp(o, "--key"))
			dst = &a->key;
		else if (!strcmp(o, "--threads"))
			dst = &a->threads;
		else if (!strcmp(o, "--agg-key")) {
			if (i + 1 >= argc)
				return usage_error(a->cmd, _("option %s needs a value"), o);
			if (a->nagg == AGG_KEYS_MAX)
				return usage_error(a->cmd, _("--agg-key given more than %d times"),
				                   AGG_KEYS_MAX);
			a->aggs[a->nagg++] = argv[++i];
		}
		else if (!strcmp(o, "--json"))
			a->json = true;
		else if (!strcmp(o, "--"))
			while (++i < argc)
				a->pos[a->npos++] = argv[i];
		else if (o[0] == '-' && o[1])
			return usage_error(a->cmd, _("unknown option %s"), o);
		else
			a->pos[a->npos++] = argv[i];
		if (dst) {
			if (i + 1 >= argc)
				return usage_error(a->cmd, _("option %s needs a value"), o);
			*dst = argv[++i];
		}
	}
	return 0;
}

/* --key: 64 hex digits or a public key file (node.pub). */
static int parse_key(const struct args *a, const char *opt, const char *arg,
                     uint8_t key[LB_PK_BYTES])
{
	struct lb_diag d = {0};
	lb_err e;

	if (strlen(arg) == 2 * LB_PK_BYTES && lb_unhex(key, LB_PK_BYTES, arg) == LB_OK)
		return 0;
	if (access(arg, F_OK) == 0) { /* node.pub, agg.pub: FORMAT.md §6 */
		if ((e = lb_key_load_public(arg, key, &d)))
			return die(a->cmd, e, &d);
		return 0;
	}
	return usage_error(a->cmd, _("%s needs a public key: 64 hex digits or a public key file"),
	                   opt);
}

/* Every --agg-key into o (keys: AGG_KEYS_MAX of them, borrowed by o). */
static int parse_agg_keys(const struct args *a, uint8_t (*keys)[LB_PK_BYTES],
                          struct lb_audit_opts *o)
{
	int rc;

	for (int i = 0; i < a->nagg; i++)
		if ((rc = parse_key(a, "--agg-key", a->aggs[i], keys[i])))
			return rc;
	o->agg_keys = (const uint8_t(*)[LB_PK_BYTES])keys;
	o->n_agg_keys = (size_t)a->nagg;
	return 0;
}

/* ---- sources: a node or an aggregator directory ----------------------------- */

static bool file_in(const char *dir, const char *name)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	return n > 0 && (size_t)n < sizeof path && access(path, F_OK) == 0;
}

/* What an export reads from; opened by source_open. */
struct source {
	struct lb_node *node;
	struct lb_agg *agg;
	uint8_t origin[LB_PK_BYTES]; /* aggregator: the village chosen */
	bool forks;                  /* export fork evidence instead of the log */
};

struct pick {
	bool forks;
	size_t n;                    /* candidates */
	uint8_t origin[LB_PK_BYTES]; /* the first */
	struct lb_agg_origin list[64];
	size_t nlist;
};

static int pick_origin(void *ctx, const struct lb_agg_origin *o)
{
	struct pick *p = ctx;

	if (p->forks ? o->forks == 0 : o->seq == 0)
		return 0;
	if (!p->n++)
		memcpy(p->origin, o->origin, LB_PK_BYTES);
	if (p->nlist < sizeof p->list / sizeof p->list[0])
		p->list[p->nlist++] = *o;
	return 0;
}

static void source_close(struct source *s);

/* Which village of the aggregator: --origin, or the only one there is
 * (with a log; with fork evidence for fork-evidence). */
static int source_pick(struct args *a, struct source *s)
{
	struct lb_diag d = {0};
	struct pick p = {.forks = s->forks};
	lb_err e;

	if (a->origin)
		return parse_key(a, "--origin", a->origin, s->origin);
	if ((e = lb_agg_origins(s->agg, pick_origin, &p, &d)))
		return die(a->cmd, e, &d);
	if (p.n == 1) {
		memcpy(s->origin, p.origin, LB_PK_BYTES);
		return 0;
	}
	if (p.n == 0) {
		fprintf(stderr, _("%s %s: %s holds %s\n"), PROG, a->cmd, a->dir,
		        s->forks ? _("no fork evidence") : _("no village's log yet"));
		return lb_exit_status(LB_ENOTFOUND);
	}
	fprintf(stderr, _("%s %s: %s holds %zu villages%s; say which with --origin HEX:\n"), PROG, a->cmd,
	        a->dir, p.n, s->forks ? _(" with fork evidence") : "");
	for (size_t i = 0; i < p.nlist; i++) {
		char hex[2 * LB_PK_BYTES + 1];
		lb_hex(hex, p.list[i].origin, LB_PK_BYTES);
		fprintf(stderr, _("  %s  --origin %s  (seq %llu%s)\n"), p.list[i].village, hex,
		        (unsigned long long)p.list[i].seq, s->forks ? _(", forked") : "");
	}
	if (p.n > p.nlist)
		fprintf(stderr, _("  ... and %zu more\n"), p.n - p.nlist);
	return EXIT_USAGE;
}

/* Open dir as a node (read-only) or, if it holds agg.key, an aggregator
 * (read-only), and choose the village.  On error nothing stays open. */
static int source_open(struct args *a, bool forks, struct source *s)
{
	struct lb_diag d = {0};
	lb_err e;
	int rc;

	memset(s, 0, sizeof *s);
	s->forks = forks;
	if (!a->dir || !*a->dir)
		return usage_error(a->cmd, _("which directory? give -d DIR"));
	if (!file_in(a->dir, "agg.key") && !file_in(a->dir, "agg.pub")) {
		struct lb_node_opts o = {.read_only = true};
		if (forks)
			return usage_error(a->cmd, _("%s is not an aggregator: fork evidence is kept by "
			                           "aggregators"), a->dir);
		if (a->origin)
			return usage_error(a->cmd, _("--origin is for aggregator directories; %s is a "
			                           "village node"), a->dir);
		if ((e = lb_node_open(&s->node, a->dir, &o, &d)))
			return die(a->cmd, e, &d);
		return 0;
	}
	if ((e = lb_agg_open_ro(&s->agg, a->dir, &d)))
		return die(a->cmd, e, &d);
	if ((rc = source_pick(a, s)))
		source_close(s);
	return rc;
}

static void source_close(struct source *s)
{
	lb_node_close(s->node);
	if (s->agg)
		lb_agg_close(s->agg);
	s->node = NULL;
	s->agg = NULL;
}

static lb_err source_export(struct source *s, FILE *out, size_t *forks, struct lb_diag *d)
{
	if (s->node)
		return lb_node_export_log(s->node, out, d);
	if (s->forks)
		return lb_agg_export_forks(s->agg, s->origin, out, forks, d);
	return lb_agg_export_log(s->agg, s->origin, out, d);
}

/* ---- export, fork-evidence ---------------------------------------------------- */

static int export_to_stdout(struct args *a, bool forks)
{
	struct lb_diag d = {0};
	struct source s;
	size_t forks_n = 0;
	char hex[2 * LB_PK_BYTES + 1];
	lb_err e;
	int rc;

	if (a->npos)
		return usage_error(a->cmd, _("unexpected argument %s"), a->pos[0]);
	if (a->key || a->json || a->threads || a->nagg)
		return usage_error(a->cmd, _("--key, --agg-key, --json and --threads are for verify"));
	if (isatty(1)) {
		fprintf(stderr, _("%s %s: the archive is binary; redirect it to a file (> %s)\n"),
		        PROG, a->cmd, forks ? "evidence.lla" : "village.lla");
		return EXIT_USAGE;
	}
	if ((rc = source_open(a, forks, &s)))
		return rc;
	e = source_export(&s, stdout, &forks_n, &d);
	source_close(&s);
	if (!e && fflush(stdout) != 0)
		e = lb_fail(&d, LB_EIO, "writing the archive: %s", strerror(errno));
	if (e)
		return die(a->cmd, e, &d);
	lb_hex(hex, s.origin, LB_PK_BYTES);
	if (forks)
		fprintf(stderr, _("%s %s: %zu fork%s of origin %.16s written\n"), PROG, a->cmd, forks_n,
		        forks_n == 1 ? "" : "s", hex);
	return 0;
}

static int cmd_export(struct args *a)
{
	return export_to_stdout(a, false);
}

static int cmd_forks(struct args *a)
{
	return export_to_stdout(a, true);
}

/* ---- reading an archive: a file, stdin, or a directory exported on a pipe ------ */

/* The exporting thread of `verify -d DIR`: writes the archive into a pipe
 * the verifier reads, so even a 10-million-entry log needs no temporary
 * file and no more memory than one batch. */
struct pipe_export {
	struct source src;
	FILE *w;
	pthread_t th;
	bool started;
	atomic_bool finished;
	lb_err err;
	struct lb_diag d;
};

static void *export_main(void *arg)
{
	struct pipe_export *x = arg;

	x->err = source_export(&x->src, x->w, NULL, &x->d);
	if (fclose(x->w) != 0 && !x->err)
		x->err = lb_fail(&x->d, LB_EIO, "writing the archive: %s", strerror(errno));
	atomic_store(&x->finished, true);
	return NULL;
}

struct input {
	FILE *f;
	const char *name;
	struct pipe_export x;
};

static int input_open(struct args *a, const char *file, struct input *in)
{
	int fds[2], rc;

	memset(in, 0, sizeof *in);
	if (file && a->dir)
		return usage_error(a->cmd, _("give FILE or -d DIR, not both"));
	if (file) {
		if (a->origin)
			return usage_error(a->cmd, _("--origin is for -d AGG_DIR"));
		in->name = file;
		if (!strcmp(file, "-")) {
			in->f = stdin;
			in->name = "stdin";
		} else if (!(in->f = fopen(file, "rb"))) {
			fprintf(stderr, PROG " %s: %s: %s\n", a->cmd, file, strerror(errno));
			return lb_exit_status(errno == ENOENT ? LB_ENOTFOUND : LB_EIO);
		}
		setvbuf(in->f, NULL, _IOFBF, INPUT_BUFFER); /* fewer read calls for small frames */
		return 0;
	}
	if (!a->dir)
		return usage_error(a->cmd, _("which archive? give FILE (- for stdin) or -d DIR"));
	if ((rc = source_open(a, false, &in->x.src)))
		return rc;
	in->name = a->dir;
	if (pipe(fds) != 0) {
		fprintf(stderr, _("%s %s: pipe: %s\n"), PROG, a->cmd, strerror(errno));
		source_close(&in->x.src);
		return lb_exit_status(LB_EIO);
	}
	if (!(in->f = fdopen(fds[0], "rb")) || !(in->x.w = fdopen(fds[1], "wb"))) {
		fprintf(stderr, _("%s %s: pipe: %s\n"), PROG, a->cmd, strerror(errno));
		if (in->f)
			fclose(in->f);
		else
			close(fds[0]);
		close(fds[1]);
		source_close(&in->x.src);
		return lb_exit_status(LB_ENOMEM);
	}
	setvbuf(in->f, NULL, _IOFBF, INPUT_BUFFER);
	setvbuf(in->x.w, NULL, _IOFBF, INPUT_BUFFER);
	if (pthread_create(&in->x.th, NULL, export_main, &in->x) != 0) {
		fprintf(stderr, _("%s %s: cannot start the exporting thread\n"), PROG, a->cmd);
		fclose(in->x.w);
		fclose(in->f);
		source_close(&in->x.src);
		return lb_exit_status(LB_ENOMEM);
	}
	in->x.started = true;
	return 0;
}

/* Close the input.  For -d DIR: when the export failed on its own (not
 * because the verifier stopped reading), *e and *d become its error, which
 * is then the real reason the archive looked cut short. */
static void input_close(struct input *in, lb_err *e, struct lb_diag *d)
{
	bool export_done_first = in->x.started && atomic_load(&in->x.finished);

	if (in->f && in->f != stdin)
		fclose(in->f); /* a still-running export now gets EPIPE and stops */
	if (!in->x.started)
		return;
	pthread_join(in->x.th, NULL);
	if (in->x.err && (export_done_first || !*e)) {
		*e = in->x.err;
		*d = in->x.d;
		lb_diag_prefix(d, "exporting %s", in->name);
	}
	source_close(&in->x.src);
}

static unsigned threads_arg(struct args *a, int *rc)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	char *end;

	*rc = 0;
	if (a->threads) {
		errno = 0;
		n = strtol(a->threads, &end, 10);
		if (errno || *end || n < 0 || n > LB_AUDIT_THREADS_MAX) {
			*rc = usage_error(a->cmd, _("--threads takes 0..%d"), LB_AUDIT_THREADS_MAX);
			return 0;
		}
		return (unsigned)n;
	}
	/* All the order-free work (hashes, signatures, schema) goes to the
	 * workers; the reading thread keeps the ordered checks, which are light. */
	if (n < 1)
		n = 1;
	return n > 8 ? 8 : (unsigned)n;
}

/* ---- verify -------------------------------------------------------------------- */

struct seen_receipt {
	uint8_t agg[LB_PK_BYTES];
	bool pinned; /* agg is one of the --agg-key keys */
	struct lb_receipt rc;
};

struct seen {
	struct seen_receipt shown[SHOW_RECEIPTS], last;
	struct {
		struct lb_head ours, theirs;
		uint64_t k; /* the first differing seq */
	} forks[SHOW_FORKS];
	uint64_t receipts, forks_n;
};

static lb_err seen_receipt(void *ctx, const uint8_t agg[LB_PK_BYTES], const struct lb_receipt *rc,
                           bool pinned, struct lb_diag *d)
{
	struct seen *s = ctx;

	(void)d;
	if (s->receipts < SHOW_RECEIPTS) {
		memcpy(s->shown[s->receipts].agg, agg, LB_PK_BYTES);
		s->shown[s->receipts].rc = *rc;
		s->shown[s->receipts].pinned = pinned;
	}
	memcpy(s->last.agg, agg, LB_PK_BYTES);
	s->last.rc = *rc;
	s->last.pinned = pinned;
	s->receipts++;
	return LB_OK;
}

static lb_err seen_fork(void *ctx, const struct lb_head *ours, const struct lb_head *theirs,
                        uint64_t k, struct lb_diag *d)
{
	struct seen *s = ctx;

	(void)d;
	if (s->forks_n < SHOW_FORKS) {
		s->forks[s->forks_n].ours = *ours;
		s->forks[s->forks_n].theirs = *theirs;
		s->forks[s->forks_n].k = k;
	}
	s->forks_n++;
	return LB_OK;
}

static json_t *receipt_json(const struct seen_receipt *r)
{
	char agg[65], h[65], root[65], t[LB_HLC_STRLEN];
	lb_hex(agg, r->agg, LB_PK_BYTES);
	lb_hex(h, r->rc.hash, LB_HASH_BYTES);
	lb_hex(root, r->rc.root, LB_HASH_BYTES);
	lb_hlc_format(r->rc.received_ms << LB_HLC_COUNTER_BITS, t);
	return json_pack("{s:s, s:b, s:I, s:s, s:s, s:s}", "aggregator", agg, "pinned", r->pinned,
	                 "seq", (json_int_t)r->rc.seq, "hash", h, "root", root, "received", t);
}

static void print_receipt(const struct seen_receipt *r)
{
	char agg[65], h[65], t[48];
	lb_hex(agg, r->agg, LB_PK_BYTES);
	lb_hex(h, r->rc.hash, LB_HASH_BYTES);
	lb_human_time((int64_t)r->rc.received_ms, t, sizeof t); /* for people: local time */
	printf(_("            seq %llu hash %.16s acknowledged by aggregator %.16s at %s%s\n"),
	       (unsigned long long)r->rc.seq, h, agg, t,
	       r->pinned ? _(" (pinned)") : _(" (unverified: key not pinned)"));
}

/* The successions crossed: "key changed at seq N by a succession signed by
 * kabupaten PP.KK (KEY)", the new key, and whether the signer was pinned. */
static void print_successions(const struct lb_audit_report *r, bool agg_pinned,
                              const uint8_t *key)
{
	for (uint64_t i = 0; i < r->successions && i < LB_AUDIT_SUCC_SHOW; i++) {
		const struct lb_succession *st = &r->succ[i];
		char who[32], signer[65], nk[65];
		lb_succession_who(st, who);
		lb_hex(signer, st->signer, LB_PK_BYTES);
		lb_hex(nk, st->new_key, LB_PK_BYTES);
		printf(_("  key changed at seq %llu by a succession signed by %s (%s)\n"),
		       (unsigned long long)st->seq, who, signer);
		printf(_("            new key %s%s: heads after seq %llu are signed by it\n"), nk,
		       key && !memcmp(key, st->new_key, LB_PK_BYTES) ? _(" (pinned with --key)") : "",
		       (unsigned long long)st->seq);
		printf("            %s\n", agg_pinned
		                             ? _("the succession's signer is the one given with --agg-key")
		                             : _("compare the signer with the aggregator's key, or pass "
		                                 "--agg-key HEX to require it"));
	}
	if (r->successions > LB_AUDIT_SUCC_SHOW)
		printf(_("            ... %llu more successions\n"),
		       (unsigned long long)(r->successions - LB_AUDIT_SUCC_SHOW));
}

static json_t *successions_json(const struct lb_audit_report *r)
{
	json_t *a = json_array();

	for (uint64_t i = 0; a && i < r->successions && i < LB_AUDIT_SUCC_SHOW; i++) {
		const struct lb_succession *st = &r->succ[i];
		char who[32], signer[65], ok[65], nk[65];
		lb_succession_who(st, who);
		lb_hex(signer, st->signer, LB_PK_BYTES);
		lb_hex(ok, st->old_key, LB_PK_BYTES);
		lb_hex(nk, st->new_key, LB_PK_BYTES);
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "seq",
		                                   (json_int_t)st->seq, "by", who, "signer", signer,
		                                   "n", (json_int_t)st->n, "old", ok, "new", nk));
	}
	return a;
}

static void print_json_report(const struct input *in, const struct lb_audit_report *r,
                              const struct seen *s, lb_err e, const struct lb_diag *d)
{
	char signer[65], root[65], last[65], t0[LB_HLC_STRLEN], t1[LB_HLC_STRLEN];
	json_t *j, *rcs = json_array(), *forks = json_array();

	lb_hex(signer, r->signer, LB_PK_BYTES);
	lb_hex(root, r->root, LB_HASH_BYTES);
	lb_hex(last, r->last_hash, LB_HASH_BYTES);
	lb_hlc_format(r->first_ts, t0);
	lb_hlc_format(r->last_ts, t1);
	for (uint64_t i = 0; i < s->receipts && i < SHOW_RECEIPTS; i++)
		json_array_append_new(rcs, receipt_json(&s->shown[i]));
	if (s->receipts > SHOW_RECEIPTS)
		json_array_append_new(rcs, receipt_json(&s->last));
	for (uint64_t i = 0; i < s->forks_n && i < SHOW_FORKS; i++) {
		char a[65], b[65];
		lb_hex(a, s->forks[i].ours.hash, LB_HASH_BYTES);
		lb_hex(b, s->forks[i].theirs.hash, LB_HASH_BYTES);
		json_array_append_new(forks, json_pack("{s:I, s:I, s:I, s:s, s:s}", "seq",
		                                       (json_int_t)s->forks[i].k, "ours_seq",
		                                       (json_int_t)s->forks[i].ours.seq, "theirs_seq",
		                                       (json_int_t)s->forks[i].theirs.seq, "ours", a,
		                                       "theirs", b));
	}
	j = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:s, s:s, "
	              "s:I, s:o, s:I, s:o, s:b}",
	              "ok", e == LB_OK, "archive", in->name, "source",
	              r->have_header ? r->header.source : "", "village",
	              r->have_header ? r->header.village : "", "signer", r->have_header ? signer : "",
	              "signer_from", r->key_given ? "key" : "file", "entries",
	              (json_int_t)r->entries, "last_seq", (json_int_t)r->last_seq, "heads",
	              (json_int_t)r->heads, "last_hash", last, "root", root, "first_ts",
	              (json_int_t)r->first_ts, "last_ts", (json_int_t)r->last_ts, "first_time", t0,
	              "last_time", t1, "receipts_count", (json_int_t)r->receipts, "receipts", rcs,
	              "forks_count", (json_int_t)r->forks, "forks", forks, "trailer", r->trailer);
	if (j) {
		json_object_set_new(j, "receipts_pinned", json_integer((json_int_t)r->receipts_pinned));
		json_object_set_new(j, "receipts_unverified",
		                    json_integer((json_int_t)(r->receipts - r->receipts_pinned)));
	}
	if (j && r->forks && !e)
		json_object_set_new(j, "fork_seq", json_integer((json_int_t)r->fork_seq));
	if (j && r->successions) {
		char lk[65];
		lb_hex(lk, r->last_key, LB_PK_BYTES);
		json_object_set_new(j, "successions", successions_json(r));
		json_object_set_new(j, "last_key", json_string(lk));
	}
	if (j && e) {
		json_object_set_new(j, "bad_seq", json_integer((json_int_t)r->bad_seq));
		json_object_set_new(j, "bad_frame", json_integer((json_int_t)r->bad_frame));
		json_object_set_new(j, "error", json_string(lb_errname(e)));
		json_object_set_new(j, "message", json_string(lb_diag_msg(d, e)));
	}
	if (j) {
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(j);
}

static void print_text_report(const struct input *in, const struct lb_audit_report *r,
                              const struct seen *s, double secs, const struct lb_audit_opts *o)
{
	char signer[65], root[65], t0[48], t1[48];

	lb_hex(signer, r->signer, LB_PK_BYTES);
	lb_hex(root, r->root, LB_HASH_BYTES);
	lb_human_time((int64_t)lb_hlc_ms(r->first_ts), t0, sizeof t0); /* --json has the HLCs */
	lb_human_time((int64_t)lb_hlc_ms(r->last_ts), t1, sizeof t1);
	if (r->forks)
		printf(_("verify: OK: fork proven: the village signed two histories at seq %llu (%.2f s)\n"),
		       (unsigned long long)r->fork_seq, secs);
	else
		printf(_("verify: OK (%.2f s)\n"), secs);
	printf(_("  archive   %s (exported by %s %s)\n"), in->name,
	       !strcmp(r->header.source, "aggregator") ? "an" : "a", r->header.source);
	printf(_("  village   %s\n"), r->header.village);
	printf(_("  signer    %s (%s)\n"), signer,
	       r->key_given && !memcmp(o->key, r->signer, LB_PK_BYTES)
	           ? _("pinned with --key")
	       : r->key_given
	           ? _("taken from the file; --key names a key a succession leads to")
	           : _("taken from the file; pass --key HEX to check it is the village's key"));
	print_successions(r, o->n_agg_keys > 0, o->key);
	if (r->entries) {
		printf(_("  entries   %llu, seq 1..%llu: hashes recomputed, chain intact, no seq missing\n"),
		       (unsigned long long)r->entries, (unsigned long long)r->last_seq);
		printf(_("  time      %s .. %s, strictly increasing\n"), t0, t1);
		if (r->schema_min == r->schema_max)
			printf(_("  schema    every entry valid under schema version %u, the one it names\n"),
			       r->schema_min);
		else
			printf(_("  schema    every entry valid under the schema version it names (%u..%u)\n"),
			       r->schema_min, r->schema_max);
		printf(_("            (references between records need the replayed state: not checked)\n"));
		printf(_("  heads     %llu signed heads, all valid (signature, entry hash, Merkle root,\n"
		       "            time); the last entry, seq %llu, is covered\n"),
		       (unsigned long long)r->heads, (unsigned long long)r->last_seq);
		printf(_("  root      %s (Merkle, seq 1..%llu)\n"), root, (unsigned long long)r->last_seq);
	} else if (!r->forks)
		printf(_("  entries   none: an empty log%s\n"),
		       !strcmp(r->header.source, "aggregator") ? _(", and no fork evidence") : "");
	if (r->receipts) {
		printf(_("  receipts  %llu, each signed by the aggregator key it carries and for this\n"
		         "            village key, seq, hash and root\n"),
		       (unsigned long long)r->receipts);
		if (r->receipts_pinned == r->receipts)
			printf(_("            all under aggregator keys given with --agg-key: proof those "
			         "aggregators held the log\n"));
		else
			printf(_("            %llu under keys given with --agg-key; %llu UNVERIFIED: anyone "
			         "can sign a receipt\n            with a key of their own (pin the "
			         "aggregators' keys with --agg-key)\n"),
			       (unsigned long long)r->receipts_pinned,
			       (unsigned long long)(r->receipts - r->receipts_pinned));
		for (uint64_t i = 0; i < s->receipts && i < SHOW_RECEIPTS; i++)
			print_receipt(&s->shown[i]);
		if (s->receipts > SHOW_RECEIPTS) {
			printf(_("            ... %llu more; the last:\n"),
			       (unsigned long long)(s->receipts - SHOW_RECEIPTS));
			print_receipt(&s->last);
		}
	} else if (r->entries)
		printf(_("  receipts  none in the archive\n"));
	for (uint64_t i = 0; i < s->forks_n && i < SHOW_FORKS; i++) {
		char a[65], b[65];
		lb_hex(a, s->forks[i].ours.hash, LB_HASH_BYTES);
		lb_hex(b, s->forks[i].theirs.hash, LB_HASH_BYTES);
		printf(_("  fork      seq %llu: two signed histories differ from here; heads seq %llu hash "
		         "%.16s and seq %llu hash %.16s\n"),
		       (unsigned long long)s->forks[i].k, (unsigned long long)s->forks[i].ours.seq, a,
		       (unsigned long long)s->forks[i].theirs.seq, b);
	}
	if (s->forks_n > SHOW_FORKS)
		printf(_("            ... %llu more forks\n"), (unsigned long long)(s->forks_n - SHOW_FORKS));
	printf(_("  trailer   present; counts match (%llu entries, %llu heads, %llu receipts, %llu "
	       "forks)\n"),
	       (unsigned long long)r->entries, (unsigned long long)r->heads,
	       (unsigned long long)r->receipts, (unsigned long long)r->forks);
}

/* "FAILED at seq N (frame F): why" on stderr; the library's message starts
 * "seq N: " or "frame F: " and says that once. */
static void print_failure(const char *cmd, const struct lb_audit_report *r, lb_err e,
                          const struct lb_diag *d)
{
	const char *msg = lb_diag_msg(d, e);
	char pre[48];
	int np;

	if (r->bad_seq) {
		np = snprintf(pre, sizeof pre, "seq %llu: ", (unsigned long long)r->bad_seq);
		if (np > 0 && !strncmp(msg, pre, (size_t)np))
			msg += np;
		if (r->bad_frame)
			fprintf(stderr, _("%s %s: FAILED at seq %llu (frame %llu): %s\n"), PROG, cmd,
			        (unsigned long long)r->bad_seq, (unsigned long long)r->bad_frame, msg);
		else
			fprintf(stderr, _("%s %s: FAILED at seq %llu: %s\n"), PROG, cmd,
			        (unsigned long long)r->bad_seq, msg);
	} else
		fprintf(stderr, _("%s %s: FAILED: %s\n"), PROG, cmd, msg);
}

static int cmd_verify(struct args *a)
{
	struct lb_diag d = {0};
	struct lb_audit_report r;
	struct seen *s;
	struct input in;
	uint8_t key[LB_PK_BYTES], aggk[AGG_KEYS_MAX][LB_PK_BYTES];
	struct lb_audit_opts o = {0};
	double start = now_s();
	lb_err e;
	int rc;

	if (a->npos > 1)
		return usage_error(a->cmd, _("unexpected argument %s"), a->pos[1]);
	if (a->key && (rc = parse_key(a, "--key", a->key, key)))
		return rc;
	if ((rc = parse_agg_keys(a, aggk, &o)))
		return rc;
	o.key = a->key ? key : NULL;
	o.threads = threads_arg(a, &rc);
	if (rc)
		return rc;
	if (!(s = calloc(1, sizeof *s)))
		return die(a->cmd, LB_ENOMEM, NULL);
	o.hooks = (struct lb_audit_hooks){.receipt = seen_receipt, .fork = seen_fork, .ctx = s};
	if ((rc = input_open(a, a->npos ? a->pos[0] : NULL, &in))) {
		free(s);
		return rc;
	}
	e = lb_audit_verify(in.f, &o, &r, &d);
	input_close(&in, &e, &d);
	if (a->json)
		print_json_report(&in, &r, s, e, &d);
	else if (!e)
		print_text_report(&in, &r, s, now_s() - start, &o);
	else {
		char signer[65];
		lb_hex(signer, r.signer, LB_PK_BYTES);
		printf(_("verify: FAILED"));
		if (r.bad_seq)
			printf(_(" at seq %llu"), (unsigned long long)r.bad_seq);
		if (r.bad_frame)
			printf(_(" (frame %llu)"), (unsigned long long)r.bad_frame);
		printf("\n");
		printf(_("  archive   %s\n"), in.name);
		if (r.have_header) {
			printf(_("  village   %s\n"), r.header.village);
			printf(_("  signer    %s (%s)\n"), signer,
			       r.key_given ? _("pinned with --key") : _("taken from the file"));
		}
		printf(_("  checked   %llu entries, %llu heads, %llu receipts before the failure\n"),
		       (unsigned long long)(r.bad_seq && r.bad_seq <= r.entries ? r.bad_seq - 1
		                                                               : r.entries),
		       (unsigned long long)r.heads,
		       (unsigned long long)r.receipts);
	}
	if (e)
		print_failure(a->cmd, &r, e, &d);
	free(s);
	return lb_exit_status(e);
}

/* ---- history -------------------------------------------------------------------- */

static void print_value(const json_t *v)
{
	char *t;

	if (!v) {
		fputs("(absent)", stdout);
		return;
	}
	t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputs(t ? t : "?", stdout);
	free(t);
}

static int cmd_history(struct args *a)
{
	struct lb_diag d = {0};
	struct lb_audit_report r;
	struct lb_audit_history h;
	struct lb_audit_opts o = {0};
	struct input in;
	uint8_t key[LB_PK_BYTES], aggk[AGG_KEYS_MAX][LB_PK_BYTES];
	lb_err e;
	int rc;

	if (a->npos != 3)
		return usage_error(a->cmd, _("FILE, TYPE and ID are required"));
	if (a->dir || a->origin)
		return usage_error(a->cmd, _("history reads an archive FILE (make one with %s export)"), PROG);
	if (a->key && (rc = parse_key(a, "--key", a->key, key)))
		return rc;
	if ((rc = parse_agg_keys(a, aggk, &o)))
		return rc;
	o.key = a->key ? key : NULL;
	o.threads = threads_arg(a, &rc);
	if (rc)
		return rc;
	if ((rc = input_open(a, a->pos[0], &in)))
		return rc;
	e = lb_audit_history(in.f, a->pos[1], a->pos[2], strlen(a->pos[2]), &o, &h, &r, &d);
	input_close(&in, &e, &d);
	if (e) {
		print_failure(a->cmd, &r, e, &d);
		fprintf(stderr, _("%s %s: the archive does not verify, so it shows no history\n"),
		        PROG, a->cmd);
		return lb_exit_status(e);
	}
	if (!h.n) {
		fprintf(stderr, _("%s %s: %s %s: no entry in the archive (%llu entries, village %s)\n"),
		        PROG, a->cmd, a->pos[1], a->pos[2], (unsigned long long)r.entries, r.header.village);
		lb_audit_history_free(&h);
		return lb_exit_status(LB_ENOTFOUND);
	}
	if (a->json) {
		json_t *arr = json_array(), *j;
		for (size_t i = 0; i < h.n; i++) {
			const struct lb_audit_change *c = &h.c[i];
			char t[LB_HLC_STRLEN], hh[65], ch[65];
			lb_hlc_format(c->ts, t);
			lb_hex(hh, c->hash, LB_HASH_BYTES);
			lb_hex(ch, c->head_hash, LB_HASH_BYTES);
			json_array_append_new(
			        arr, json_pack("{s:I, s:I, s:s, s:s, s:i, s:s, s:O, s:{s:I, s:s}}", "seq",
			                       (json_int_t)c->seq, "hlc", (json_int_t)c->ts, "time", t, "op",
			                       c->op == LB_OP_PUT ? "put" : "del", "schema", (int)c->schema,
			                       "hash", hh, "fields", c->changes, "head", "seq",
			                       (json_int_t)c->head_seq, "hash", ch));
		}
		j = json_pack("{s:s, s:s, s:s, s:o}", "type", a->pos[1], "id", a->pos[2], "village",
		              r.header.village, "changes", arr);
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		printf(_("%s %s: %zu change%s (village %s; archive verified: %llu entries, %llu heads)\n"),
		       a->pos[1], a->pos[2], h.n, h.n == 1 ? "" : "s", r.header.village,
		       (unsigned long long)r.entries, (unsigned long long)r.heads);
		for (size_t i = 0; i < h.n; i++) {
			const struct lb_audit_change *c = &h.c[i];
			char t[48], ch[65];
			const char *k;
			json_t *v;
			lb_human_time((int64_t)lb_hlc_ms(c->ts), t, sizeof t); /* --json: the HLC */
			lb_hex(ch, c->head_hash, LB_HASH_BYTES);
			printf(_("seq %llu  %s  %s  signed by head seq %llu %.8s\n"), (unsigned long long)c->seq,
			       t, c->op == LB_OP_PUT ? "put" : "del", (unsigned long long)c->head_seq, ch);
			if (!json_object_size(c->changes))
				printf(_("    (no field changed)\n"));
			json_object_foreach(c->changes, k, v)
			{
				printf("    %s: ", k);
				print_value(json_object_get(v, "old"));
				fputs(" -> ", stdout);
				print_value(json_object_get(v, "new"));
				putchar('\n');
			}
		}
	}
	lb_audit_history_free(&h);
	return 0;
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct lb_diag d = {0};
	const struct cmd *c;
	struct args a;
	int rc;

	if (sodium_init() < 0) {
		fprintf(stderr, _("%s: libsodium failed to initialise\n"), PROG);
		return 1;
	}
	if (lb_schema_builtin_init(&d)) {
		fprintf(stderr, _("%s: built-in schema: %s\n"), PROG, d.msg);
		return 1;
	}
	/* a reader that goes away (| head, a verifier that stopped) is EPIPE, not death */
	signal(SIGPIPE, SIG_IGN);
	lb_i18n_init();
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		printf(PROG " %s\n", lb_version());
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage_all(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!(c = find_cmd(argv[1]))) {
		fprintf(stderr, _("%s: unknown command \"%s\"\n"), PROG, argv[1]);
		usage_all(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(c->name, "prove"))
		return lb_audit_cmd_prove(argc - 1, argv + 1);
	if (!strcmp(c->name, "check-proof"))
		return lb_audit_cmd_check_proof(argc - 1, argv + 1);
	if (!strcmp(c->name, "check-report"))
		return lb_audit_cmd_check_report(argc - 1, argv + 1);
	rc = parse_args(argc, argv, &a);
	if (rc == 0)
		rc = c->fn(&a);
	else if (rc < 0)
		rc = 0; /* --help */
	free(a.pos);
	free(a.aggs);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, _("%s: writing output: %s\n"), PROG, strerror(errno));
		rc = lb_exit_status(LB_EIO);
	}
	return rc;
}
