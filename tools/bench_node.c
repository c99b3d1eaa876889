/*
 * bench_node.c — lumbung-bench: how fast the village node writes, measured
 * against raw LMDB doing the same storage work, all in one run.
 *
 *   lumbung-bench [--n N] [--samples K] [--dir DIR] [--markdown FILE] ...
 *
 * a) Batched import.  N records made by lumbung-gen (so the same shape as
 *    real imports, bodies ~230 bytes of canonical msgpack) are parsed and
 *    encoded BEFORE the clock starts; then
 *      node: lb_node_write with --batch ops per call (one transaction each:
 *            entries, records, signed head, tip), on a fresh node;
 *      raw:  per op lb_entry_encode + mdb_put(MDB_APPEND) under an 8-byte
 *            big-endian seq key, --batch puts per transaction, in a fresh
 *            LMDB environment: the storage cost with no hashing, no
 *            records index, no signature.
 *    Both use LMDB's default (durable) flags and the same map size.
 * a') Diagnostic: raw as above plus one put per entry into a second db
 *    keyed "type NUL id" (the node's records index).  Shows how much of the
 *    gap is that index's B-tree work rather than the node's own code.
 *    Each phase also reports its CPU time and the bytes it wrote (wchar).
 * b) Durable single put.  One op per transaction with fsync on, on a fresh
 *    node and a fresh raw environment in the same directory: K samples
 *    each, alternated in blocks of 50 so drift in the disk hits both alike.
 *    Median, p90 and p99 latency.
 * c) The CLI end to end.  `lumbung init`, then `lumbung put --batch FILE`
 *    on lumbung-gen's JSON lines as a child process: wall time (JSON
 *    parsing, body encoding and validation included) and the child's peak
 *    RSS from wait4(), split by polling /proc into anonymous memory and
 *    file-backed pages (the LMDB map).  c) runs first, while this process
 *    is small, because Linux counts the pre-exec image in ru_maxrss.
 *
 * All temporary directories live under one mkdtemp directory in --dir
 * (default /tmp), removed at the end.  Times use CLOCK_MONOTONIC.  Exit
 * status 0 when every benchmark ran (whether or not targets were met),
 * 1 on any error, 2 on bad usage.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <lmdb.h>
#include <sodium.h>

#include "../node/body.h"
#include "../node/entry.h"
#include "../node/node.h"

#include "opt.h"

#define PROG "lumbung-bench"

#define DEFAULT_N 1000000
#define DEFAULT_SAMPLES 2000
#define DEFAULT_BATCH 10000
#define DEFAULT_VILLAGE "33.24.01.2001"
#define LAT_BLOCK 50  /* samples of one kind before switching to the other */
#define LAT_WARMUP 20 /* unrecorded samples of each kind first */

#define TARGET_IMPORT_RATIO 0.4 /* node/raw records per second, at least */
#define TARGET_PUT_RATIO 1.5    /* node/raw median latency, at most */

/* ---- small helpers ----------------------------------------------------- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static char tmp_root[PATH_MAX]; /* removed by die() too, unless --keep */
static bool keep_tmp;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		return rmdir(path) ? -1 : 0;
	return unlink(path) ? -1 : 0;
}

static void remove_tree(const char *dir)
{
	if (dir[0] && nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, PROG ": warning: could not remove %s: %s\n", dir, strerror(errno));
}

/* "lumbung-bench: <message>" on stderr. */
static void vnote(const char *fmt, va_list ap)
{
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	if (tmp_root[0]) {
		if (keep_tmp)
			fprintf(stderr, PROG ": kept %s\n", tmp_root);
		else
			remove_tree(tmp_root);
	}
	exit(1);
}

static void die_lb(const char *what, lb_err e, const struct lb_diag *d)
{
	die("%s: %s", what, lb_diag_msg(d, e));
}

static void die_mdb(const char *what, int rc)
{
	die("raw LMDB: %s: %s", what, mdb_strerror(rc));
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Wall and CPU time of one timed phase of this process. */
struct phase {
	double wall, user, sys;
	double wbytes; /* bytes handed to write(2)-like calls (wchar) */
};

/* wchar from /proc/self/io: what LMDB wrote, page rewrites included. */
static double wchar_now(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	unsigned long long v = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "wchar: %llu", &v) == 1)
			break;
	fclose(f);
	return (double)v;
}

static void phase_mark(struct phase *p)
{
	struct rusage ru;
	p->wbytes = wchar_now();
	getrusage(RUSAGE_SELF, &ru);
	p->wall = now();
	p->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
	p->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* p = (now) - p */
static void phase_end(struct phase *p)
{
	struct phase e;
	phase_mark(&e);
	p->wall = e.wall - p->wall;
	p->user = e.user - p->user;
	p->sys = e.sys - p->sys;
	p->wbytes = e.wbytes - p->wbytes;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static char *path2(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

/* ---- child processes --------------------------------------------------- */

struct run {
	int status;        /* as from wait4 */
	double wall;       /* seconds, fork to reap */
	long maxrss_kb;    /* child's peak resident set (ru_maxrss) */
	long anon_kb;      /* peak RssAnon seen while polling: heap and stacks */
	long file_kb;      /* peak RssFile seen: mapped files, i.e. the LMDB map */
	double user, sys;  /* child's CPU seconds */
};

/* Update the peaks of RssAnon and RssFile from /proc/PID/status, once the
 * child runs `comm` (before its exec it is a copy of this process). */
static void poll_rss(pid_t pid, const char *comm, struct run *r)
{
	char path[64], line[256];
	FILE *f;
	long v;
	bool exec_done = false;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "Name:", 5)) {
			char *c = line + 5;
			c += strspn(c, " \t");
			c[strcspn(c, "\n")] = '\0';
			exec_done = !strncmp(c, comm, 15); /* the kernel keeps 15 bytes */
		}
		if (!exec_done)
			continue;
		if (sscanf(line, "RssAnon: %ld", &v) == 1 && v > r->anon_kb)
			r->anon_kb = v;
		else if (sscanf(line, "RssFile: %ld", &v) == 1 && v > r->file_kb)
			r->file_kb = v;
	}
	fclose(f);
}

/* Run argv[0] (a path) with stdout and stderr sent to the given files
 * (NULL: /dev/null).  Dies if it cannot be started. */
static void run_child(char *const argv[], const char *out_path, const char *err_path,
                      struct run *r)
{
	struct rusage ru;
	double t0;
	pid_t pid, w;
	const char *comm = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	fflush(NULL);
	t0 = now();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int o = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err_path ? err_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		close(o);
		close(e);
		execv(argv[0], argv);
		dprintf(2, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	/* ru_maxrss counts the pages of the LMDB map the child touched as well
	 * as its heap; polling /proc every 10 ms tells the two apart. */
	r->anon_kb = r->file_kb = 0;
	for (;;) {
		w = wait4(pid, &r->status, WNOHANG, &ru);
		if (w != 0 && !(w < 0 && errno == EINTR))
			break;
		poll_rss(pid, comm, r);
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	r->wall = now() - t0;
	if (w < 0)
		die("wait4: %s", strerror(errno));
	r->maxrss_kb = ru.ru_maxrss;
	r->user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6;
	r->sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

/* The first line of a file, for error messages. */
static void first_line(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)cap, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

static void check_child(const char *what, const struct run *r, const char *err_path)
{
	char msg[512];
	if (WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0)
		return;
	first_line(err_path, msg, sizeof msg);
	if (WIFSIGNALED(r->status))
		die("%s was killed by signal %d%s%s", what, WTERMSIG(r->status), msg[0] ? ": " : "",
		    msg);
	die("%s exited with status %d%s%s", what, WEXITSTATUS(r->status), msg[0] ? ": " : "",
	    msg);
}

/* ---- the data set ------------------------------------------------------ */

/* N records with bodies already in canonical msgpack, in one arena. */
struct dataset {
	size_t n;
	const char *types[8]; /* interned type names */
	size_t ntypes;
	struct rec {
		uint32_t type;
		uint32_t id_len;
		size_t id_off, body_off, body_len;
	} *r;
	struct lb_mp_buf arena;
	size_t body_bytes;
	off_t file_bytes;
};

static uint32_t intern_type(struct dataset *ds, const char *t)
{
	for (size_t i = 0; i < ds->ntypes; i++)
		if (!strcmp(ds->types[i], t))
			return (uint32_t)i;
	if (ds->ntypes == sizeof ds->types / sizeof ds->types[0])
		die("data set has more than %zu record types", ds->ntypes);
	if (!(ds->types[ds->ntypes] = strdup(t)))
		die("out of memory");
	return (uint32_t)ds->ntypes++;
}

/* Parse lumbung-gen's JSON lines and encode every body with
 * lb_body_from_json, exactly as the CLI does, but before any timing. */
static void load_dataset(struct dataset *ds, const char *path, size_t n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, i = 0;
	ssize_t len;
	struct stat st;
	struct lb_diag d = {0};

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0)
		ds->file_bytes = st.st_size;
	ds->r = xmalloc(n * sizeof *ds->r);
	lb_mp_buf_init(&ds->arena);
	while (i < n && (len = getline(&line, &cap, f)) >= 0) {
		json_error_t je;
		json_t *j = json_loadb(line, (size_t)len, 0, &je), *t, *id, *body;
		struct rec *r = &ds->r[i];
		lb_err e;

		if (!j)
			die("%s line %zu: %s", path, i + 1, je.text);
		t = json_object_get(j, "type");
		id = json_object_get(j, "id");
		body = json_object_get(j, "body");
		if (!json_is_string(t) || !json_is_string(id) || !json_is_object(body))
			die("%s line %zu: not a {type, id, body} record", path, i + 1);
		r->type = intern_type(ds, json_string_value(t));
		r->id_off = ds->arena.sb.size;
		r->id_len = (uint32_t)json_string_length(id);
		lb_mp_put_raw(&ds->arena, json_string_value(id), r->id_len);
		r->body_off = ds->arena.sb.size;
		if ((e = lb_body_from_json(&ds->arena, body, &d)))
			die_lb("encoding a body", e, &d);
		r->body_len = ds->arena.sb.size - r->body_off;
		ds->body_bytes += r->body_len;
		if (ds->arena.oom)
			die("out of memory loading the data set");
		json_decref(j);
		i++;
	}
	if (ferror(f))
		die("%s: %s", path, strerror(errno));
	if (i != n)
		die("%s has %zu records, expected %zu", path, i, n);
	ds->n = n;
	free(line);
	fclose(f);
}

static void dataset_free(struct dataset *ds)
{
	for (size_t i = 0; i < ds->ntypes; i++)
		free((void *)ds->types[i]);
	free(ds->r);
	lb_mp_buf_free(&ds->arena);
}

/* The change for record i.  Pointers into the arena (which no longer
 * grows once loaded). */
static struct lb_change dataset_change(const struct dataset *ds, size_t i)
{
	const struct rec *r = &ds->r[i];
	const char *base = ds->arena.sb.data;
	return (struct lb_change){.op = LB_OP_PUT,
	                          .type = ds->types[r->type],
	                          .id = base + r->id_off,
	                          .id_len = r->id_len,
	                          .body = (const uint8_t *)base + r->body_off,
	                          .body_len = r->body_len};
}

/* The entry the raw baseline stores for change c at seq: same fields and
 * sizes as the node's entry; prev is zeros (the raw loop does no hashing). */
static struct lb_entry raw_entry(const struct lb_change *c, uint64_t seq)
{
	struct lb_entry e;
	memset(&e, 0, sizeof e);
	e.seq = seq;
	e.ts = ((uint64_t)1782777600000 << 16) + seq; /* a plausible HLC value */
	e.op = c->op;
	e.type = c->type;
	e.type_len = strlen(c->type);
	e.id = c->id;
	e.id_len = c->id_len;
	e.body = c->body;
	e.body_len = c->body_len;
	e.schema = 0;
	return e;
}

/* ---- raw LMDB ---------------------------------------------------------- */

struct raw {
	MDB_env *env;
	MDB_dbi dbi, idx;
};

static void raw_open(struct raw *w, const char *dir, size_t map_size)
{
	MDB_txn *txn;
	int rc;

	if (mkdir(dir, 0700) != 0)
		die("%s: %s", dir, strerror(errno));
	if ((rc = mdb_env_create(&w->env)) || (rc = mdb_env_set_maxdbs(w->env, 2)) ||
	    (rc = mdb_env_set_mapsize(w->env, map_size)) ||
	    (rc = mdb_env_open(w->env, dir, 0, 0600)))
		die_mdb("opening the environment", rc);
	if ((rc = mdb_txn_begin(w->env, NULL, 0, &txn)) ||
	    (rc = mdb_dbi_open(txn, "log", MDB_CREATE, &w->dbi)) ||
	    (rc = mdb_dbi_open(txn, "records", MDB_CREATE, &w->idx)) || (rc = mdb_txn_commit(txn)))
		die_mdb("creating the databases", rc);
}

static void raw_close(struct raw *w)
{
	mdb_env_close(w->env);
}

/* ---- a) batched import ------------------------------------------------- */

struct import_result {
	struct phase node, raw, idx;
	double node_s, raw_s, idx_s;
	double node_rps, raw_rps, idx_rps;
	uint64_t node_bytes, raw_bytes, idx_bytes; /* data.mdb sizes afterwards */
};

static uint64_t file_size(const char *dir, const char *name)
{
	char *p = path2(dir, name);
	struct stat st;
	uint64_t s = stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
	free(p);
	return s;
}

/* The raw baseline.  With index, also put "type NUL id" -> seq || 0 into a
 * second database for every entry, as the node's records db does: not the
 * baseline, but it shows how much of the node's time is that index's
 * B-tree work (random keys) rather than the node's own code. */
static void bench_import_raw(const struct dataset *ds, const char *dir, size_t batch,
                             size_t map_size, bool index, struct phase *ph)
{
	struct raw w;
	struct lb_mp_buf buf;
	uint8_t kb[8];
	int rc;

	raw_open(&w, dir, map_size);
	lb_mp_buf_init(&buf);
	phase_mark(ph);
	for (size_t i = 0; i < ds->n;) {
		MDB_txn *txn;
		size_t end = i + batch < ds->n ? i + batch : ds->n;
		if ((rc = mdb_txn_begin(w.env, NULL, 0, &txn)))
			die_mdb("begin", rc);
		for (; i < end; i++) {
			struct lb_change c = dataset_change(ds, i);
			struct lb_entry e = raw_entry(&c, i + 1);
			MDB_val k = {8, kb}, v;
			lb_mp_buf_reset(&buf);
			if (lb_entry_encode(&buf, &e))
				die("out of memory encoding an entry");
			be64(kb, i + 1);
			v = (MDB_val){buf.sb.size, buf.sb.data};
			if ((rc = mdb_put(txn, w.dbi, &k, &v, MDB_APPEND)))
				die_mdb("put", rc);
			if (index) {
				uint8_t rk[LB_TYPE_MAX + 1 + LB_ID_MAX], rv[9];
				MDB_val ik = {e.type_len + 1 + e.id_len, rk}, iv = {9, rv};
				memcpy(rk, e.type, e.type_len);
				rk[e.type_len] = 0;
				memcpy(rk + e.type_len + 1, e.id, e.id_len);
				be64(rv, i + 1);
				rv[8] = 0;
				if ((rc = mdb_put(txn, w.idx, &ik, &iv, 0)))
					die_mdb("put (index)", rc);
			}
		}
		if ((rc = mdb_txn_commit(txn)))
			die_mdb("commit", rc);
	}
	phase_end(ph);
	lb_mp_buf_free(&buf);
	raw_close(&w);
}

static void bench_import_node(const struct dataset *ds, const char *dir, const char *village,
                              size_t batch, size_t map_size, struct phase *ph)
{
	struct lb_node_opts opts = {.map_size = map_size};
	struct lb_node *node;
	struct lb_node_info info;
	struct lb_diag d = {0};
	struct lb_change *ch = xmalloc(batch * sizeof *ch);
	uint8_t origin[LB_PK_BYTES];
	lb_err e;

	if ((e = lb_node_init(dir, village, "bench", origin, &d)))
		die_lb("lb_node_init", e, &d);
	if ((e = lb_node_open(&node, dir, &opts, &d)))
		die_lb("lb_node_open", e, &d);
	phase_mark(ph);
	for (size_t i = 0; i < ds->n;) {
		size_t m = 0;
		struct lb_commit c;
		for (; m < batch && i < ds->n; m++, i++)
			ch[m] = dataset_change(ds, i);
		if ((e = lb_node_write(node, ch, m, 0, &c, &d)))
			die_lb("lb_node_write", e, &d);
	}
	phase_end(ph);
	if ((e = lb_node_info(node, &info, &d)))
		die_lb("lb_node_info", e, &d);
	if (info.seq != ds->n)
		die("node import: log ends at seq %" PRIu64 ", expected %zu", info.seq, ds->n);
	lb_node_close(node);
	free(ch);
}

/* ---- b) durable single put --------------------------------------------- */

struct lat {
	double median, p90, p99, mean;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static struct lat lat_stats(double *v, size_t n)
{
	struct lat l = {0};
	double sum = 0;
	qsort(v, n, sizeof *v, cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	l.mean = sum / (double)n;
	l.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	l.p90 = pct(v, n, 0.90);
	l.p99 = pct(v, n, 0.99);
	return l;
}

struct put_result {
	size_t samples;
	struct lat node, raw; /* seconds */
};

static void bench_single_put(const struct dataset *ds, const char *root, const char *village,
                             size_t samples, struct put_result *out)
{
	char *ndir = path2(root, "b-node"), *rdir = path2(root, "b-raw");
	struct lb_node *node;
	struct lb_diag d = {0};
	struct raw w;
	struct lb_mp_buf buf;
	uint8_t origin[LB_PK_BYTES], kb[8];
	double *tn = xmalloc(samples * sizeof *tn), *tr = xmalloc(samples * sizeof *tr);
	size_t done_n = 0, done_r = 0, rec_n = 0, rec_r = 0;
	uint64_t rseq = 0;
	lb_err e;
	int rc;

	if ((e = lb_node_init(ndir, village, "bench", origin, &d)))
		die_lb("lb_node_init", e, &d);
	if ((e = lb_node_open(&node, ndir, NULL, &d)))
		die_lb("lb_node_open", e, &d);
	raw_open(&w, rdir, (size_t)1 << 30); /* the node's default map size */
	lb_mp_buf_init(&buf);

	/* Warm up, then alternate blocks: node, raw, node, raw, ...  Each
	 * sample writes the next record of the data set (a new id). */
	for (int phase = 0; done_n < samples || done_r < samples; phase++) {
		bool warm = phase < 2;
		bool is_node = phase % 2 == 0;
		size_t m = warm ? LAT_WARMUP : LAT_BLOCK;

		for (size_t j = 0; j < m; j++) {
			/* each side walks the data set in order, so the node sees
			 * every programme before the beneficiaries naming it */
			struct lb_change c = dataset_change(ds, (is_node ? rec_n++ : rec_r++) % ds->n);
			double t0, dt;

			if (is_node) {
				if (!warm && done_n == samples)
					break;
				t0 = now();
				e = lb_node_write(node, &c, 1, 0, NULL, &d);
				dt = now() - t0;
				/* the data set repeats once samples exceed N: an
				 * update is still one durable transaction */
				if (e)
					die_lb("lb_node_write (single)", e, &d);
				if (!warm)
					tn[done_n++] = dt;
			} else {
				struct lb_entry en;
				MDB_txn *txn;
				MDB_val k = {8, kb}, v;

				if (!warm && done_r == samples)
					break;
				en = raw_entry(&c, ++rseq);
				lb_mp_buf_reset(&buf);
				if (lb_entry_encode(&buf, &en))
					die("out of memory encoding an entry");
				be64(kb, rseq);
				v = (MDB_val){buf.sb.size, buf.sb.data};
				t0 = now();
				if ((rc = mdb_txn_begin(w.env, NULL, 0, &txn)))
					die_mdb("begin", rc);
				if ((rc = mdb_put(txn, w.dbi, &k, &v, 0)))
					die_mdb("put", rc);
				if ((rc = mdb_txn_commit(txn)))
					die_mdb("commit", rc);
				dt = now() - t0;
				if (!warm)
					tr[done_r++] = dt;
			}
		}
	}
	out->samples = samples;
	out->node = lat_stats(tn, samples);
	out->raw = lat_stats(tr, samples);

	lb_mp_buf_free(&buf);
	raw_close(&w);
	lb_node_close(node);
	free(tn);
	free(tr);
	free(ndir);
	free(rdir);
}

/* ---- c) the CLI -------------------------------------------------------- */

struct cli_result {
	double wall, rps, user, sys;
	long maxrss_kb, anon_kb, file_kb;
	char summary[256]; /* the CLI's own "imported ..." line */
};

static void bench_cli(const char *bindir, const char *root, const char *village,
                      const char *data, size_t n, struct cli_result *out)
{
	char *cli = path2(bindir, "lumbung"), *dir = path2(root, "c-node");
	char *o = path2(root, "c.out"), *err = path2(root, "c.err");
	struct lb_node *node;
	struct lb_node_info info;
	struct lb_diag d = {0};
	struct run r;
	lb_err e;

	if (access(cli, X_OK) != 0)
		die("%s: %s (build it with make binaries, or point --bin-dir at it)", cli,
		    strerror(errno));
	{
		char *argv[] = {cli, "init", "-d", dir, "--village", (char *)village, NULL};
		run_child(argv, NULL, err, &r);
		check_child("lumbung init", &r, err);
	}
	{
		char *argv[] = {cli, "put", "-d", dir, "--batch", (char *)data, NULL};
		sync(); /* start from a quiet disk, as a) and b) do */
		run_child(argv, o, err, &r);
		check_child("lumbung put --batch", &r, err);
	}
	out->wall = r.wall;
	out->rps = (double)n / r.wall;
	out->maxrss_kb = r.maxrss_kb;
	out->anon_kb = r.anon_kb;
	out->file_kb = r.file_kb;
	out->user = r.user;
	out->sys = r.sys;
	first_line(o, out->summary, sizeof out->summary);

	/* Check the work was really done. */
	if ((e = lb_node_open(&node, dir, &(struct lb_node_opts){.read_only = true}, &d)))
		die_lb("opening the CLI's node", e, &d);
	if ((e = lb_node_info(node, &info, &d)))
		die_lb("lb_node_info", e, &d);
	if (info.seq != n)
		die("lumbung put --batch: log ends at seq %" PRIu64 ", expected %zu", info.seq, n);
	lb_node_close(node);
	free(cli);
	free(dir);
	free(o);
	free(err);
}

/* ---- reporting --------------------------------------------------------- */

struct machine {
	long ncpu;
	char cpu[128];
	char kernel[200];
	char fs[32];
	long mem_mb;
};

static void machine_info(struct machine *m, const char *dir)
{
	FILE *f;
	char line[512];
	struct utsname u;
	struct statfs sf;

	memset(m, 0, sizeof *m);
	m->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(m->cpu, sizeof m->cpu, "unknown CPU");
	if ((f = fopen("/proc/cpuinfo", "r"))) {
		while (fgets(line, sizeof line, f)) {
			char *c = strchr(line, ':');
			if (!strncmp(line, "model name", 10) && c) {
				c++;
				c += strspn(c, " \t");
				c[strcspn(c, "\n")] = '\0';
				snprintf(m->cpu, sizeof m->cpu, "%s", c);
				break;
			}
		}
		fclose(f);
	}
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof m->kernel, "%s %s %s", u.sysname, u.release, u.machine);
	if (statfs(dir, &sf) == 0) {
		const char *name;
		switch ((unsigned long)sf.f_type) {
		case 0xEF53: name = "ext4"; break;
		case 0x58465342: name = "xfs"; break;
		case 0x9123683E: name = "btrfs"; break;
		case 0x01021994: name = "tmpfs"; break;
		case 0x794c7630: name = "overlayfs"; break;
		case 0xF2F52010: name = "f2fs"; break;
		case 0x2FC12FC1: name = "zfs"; break;
		default: name = NULL;
		}
		if (name)
			snprintf(m->fs, sizeof m->fs, "%s", name);
		else
			snprintf(m->fs, sizeof m->fs, "fs 0x%lx", (unsigned long)sf.f_type);
	}
	{
		long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
		if (pages > 0 && psz > 0)
			m->mem_mb = (long)((double)pages * (double)psz / 1048576.0);
	}
}

/* 1234567 -> "1,234,567" */
static const char *grp(char *buf, size_t cap, double v)
{
	char raw[32];
	size_t n, o = 0;
	snprintf(raw, sizeof raw, "%.0f", v);
	n = strlen(raw);
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		if (i && (n - i) % 3 == 0 && raw[i - 1] != '-')
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

/* The results table as rows of cells, so stdout and markdown agree. */
#define COLS 5
#define ROWS 10
#define NNOTES 4
struct table {
	char cell[ROWS][COLS][96];
	size_t rows;
};

static void row(struct table *t, const char *a, const char *b, const char *c, const char *d,
                const char *e)
{
	const char *v[COLS] = {a, b, c, d, e};
	for (int i = 0; i < COLS; i++)
		snprintf(t->cell[t->rows][i], sizeof t->cell[0][0], "%s", v[i]);
	t->rows++;
}

static void print_table(FILE *f, const struct table *t, bool md)
{
	size_t w[COLS] = {0};
	for (size_t r = 0; r < t->rows; r++)
		for (int c = 0; c < COLS; c++)
			if (strlen(t->cell[r][c]) > w[c])
				w[c] = strlen(t->cell[r][c]);
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < COLS; c++) {
			if (md)
				fprintf(f, "| %-*s ", (int)w[c], t->cell[r][c]);
			else
				fprintf(f, "%-*s%s", (int)w[c], t->cell[r][c], c + 1 < COLS ? "   " : "");
		}
		fputs(md ? "|\n" : "\n", f);
		if (r == 0) {
			for (int c = 0; c < COLS; c++) {
				if (md) {
					fputs("|", f);
					for (size_t k = 0; k < w[c] + 2; k++)
						fputc('-', f);
				} else {
					for (size_t k = 0; k < w[c]; k++)
						fputc('-', f);
					if (c + 1 < COLS)
						fputs("   ", f);
				}
			}
			fputs(md ? "|\n" : "\n", f);
		}
	}
}

/* A shell-quoted copy of the command line. */
static void command_line(char *out, size_t cap, int argc, char **argv)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < argc && o + 4 < cap; i++) {
		const char *a = argv[i];
		bool plain = *a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                             "0123456789-_./=:,+@%") == strlen(a);
		if (i)
			out[o++] = ' ';
		if (plain) {
			o += (size_t)snprintf(out + o, cap - o, "%s", a);
		} else {
			out[o++] = '\'';
			for (; *a && o + 6 < cap; a++) {
				if (*a == '\'') {
					memcpy(out + o, "'\\''", 4);
					o += 4;
				} else
					out[o++] = *a;
			}
			out[o++] = '\'';
		}
		if (o >= cap)
			o = cap - 1;
		out[o] = '\0';
	}
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [--n N] [--samples K] [--batch B] [--dir DIR] [--markdown FILE]\n"
	        "                     [--village CODE] [--bin-dir DIR] [--keep]\n"
	        "\n"
	        "Benchmarks of the village node, each against raw LMDB, in one run:\n"
	        "  a) import of N records, B per transaction: lb_node_write vs raw mdb_put\n"
	        "  b) durable single-record put: median/p90 latency, K samples each\n"
	        "  c) `lumbung put --batch` on N JSON lines: records/s and peak RSS\n"
	        "\n"
	        "  --n N            records for a) and c) (default %d)\n"
	        "  --samples K      single puts per side for b) (default %d)\n"
	        "  --batch B        ops per transaction in a) (default %d, as the CLI)\n"
	        "  --dir DIR        where the temporary directory goes (default /tmp);\n"
	        "                   use the filesystem you want measured\n"
	        "  --markdown FILE  also append the results as a markdown section to FILE\n"
	        "  --village CODE   village code for the nodes (default " DEFAULT_VILLAGE ")\n"
	        "  --bin-dir DIR    where lumbung and lumbung-gen are (default: beside\n"
	        "                   this program)\n"
	        "  --keep           keep the temporary directory\n"
	        "\n"
	        "Prints a table and one machine-readable line starting with \"summary \".\n"
	        "Exit status 0 when all benchmarks ran, 1 on an error, 2 on bad usage.\n",
	        DEFAULT_N, DEFAULT_SAMPLES, DEFAULT_BATCH);
}

static size_t parse_count(const char *opt, const char *s, size_t min)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || errno || *end || v < min || v > (unsigned long long)SIZE_MAX / 64) {
		fprintf(stderr, PROG ": %s: '%s' is not a whole number >= %zu\n", opt, s, min);
		exit(2);
	}
	return (size_t)v;
}


int main(int argc, char **argv)
{
	size_t n = DEFAULT_N, samples = DEFAULT_SAMPLES, batch = DEFAULT_BATCH, map_size;
	const char *base = "/tmp", *markdown = NULL, *village = DEFAULT_VILLAGE, *v;
	char bindir[PATH_MAX], cmd[2048], date[64], *data, *gen;
	struct import_result imp = {0};
	struct put_result put = {0};
	struct cli_result cli = {0};
	struct dataset ds = {0};
	struct machine mach;
	struct table tab = {0};
	struct run r;
	char b1[32], b2[32], s1[96], s2[96], s3[96], name[96];
	char notes[NNOTES][800];
	bool ok_import, ok_put;
	double t_load;
	time_t wall_now;
	struct tm tmv;

	bindir[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--n"))) {
			n = parse_count("--n", v, 1);
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--samples"))) {
			samples = parse_count("--samples", v, 1);
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--batch"))) {
			batch = parse_count("--batch", v, 1);
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--dir"))) {
			base = v;
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--markdown"))) {
			markdown = v;
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--village"))) {
			village = v;
		} else if ((v = tool_opt_value(PROG, argc, argv, &i, "--bin-dir"))) {
			snprintf(bindir, sizeof bindir, "%s", v);
		} else if (!strcmp(argv[i], "--keep")) {
			keep_tmp = true;
		} else {
			fprintf(stderr, PROG ": unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (lb_region_level(village) != LB_REGION_DESA) {
		fprintf(stderr, PROG ": --village: '%s' is not a desa code PP.KK.CC.DDDD\n", village);
		return 2;
	}
	if (!bindir[0]) {
		ssize_t k = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
		char *slash;
		if (k < 0)
			die("cannot find my own path (/proc/self/exe): %s; use --bin-dir",
			    strerror(errno));
		bindir[k] = '\0';
		if ((slash = strrchr(bindir, '/')))
			*slash = '\0';
	}
	if (sodium_init() < 0)
		die("libsodium failed to initialise");
	command_line(cmd, sizeof cmd, argc, argv);
	machine_info(&mach, base);
	wall_now = time(NULL);
	gmtime_r(&wall_now, &tmv);
	strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", &tmv);

	/* The markdown file is appended to at the end; fail now, not after
	 * minutes of benchmarking, if it cannot be written. */
	if (markdown) {
		FILE *f = fopen(markdown, "a");
		if (!f) {
			fprintf(stderr, PROG ": %s: %s\n", markdown, strerror(errno));
			return 1;
		}
		fclose(f);
	}

	snprintf(tmp_root, sizeof tmp_root, "%s/lumbung-bench.XXXXXX", base);
	if (!mkdtemp(tmp_root)) {
		int e = errno;
		tmp_root[0] = '\0';
		die("mkdtemp in %s: %s", base, strerror(e));
	}
	note("working in %s (%s)", tmp_root, mach.fs);
	if (!strcmp(mach.fs, "tmpfs"))
		note("warning: %s is tmpfs; durable-write numbers mean nothing there", base);

	/* The data set: lumbung-gen's output, used by a) and c). */
	data = path2(tmp_root, "data.jsonl");
	gen = path2(bindir, "lumbung-gen");
	{
		char count[32], *err = path2(tmp_root, "gen.err");
		char *gargv[] = {gen, "--village", (char *)village, "--count", count, NULL};
		snprintf(count, sizeof count, "%zu", n);
		if (access(gen, X_OK) != 0)
			die("%s: %s (build it with make binaries, or point --bin-dir at it)", gen,
			    strerror(errno));
		note("generating %zu records with lumbung-gen", n);
		run_child(gargv, data, err, &r);
		check_child("lumbung-gen", &r, err);
		free(err);
	}
	/* c) first, while this process is small: a child's ru_maxrss includes
	 * the image it was forked from (Linux keeps the pre-exec high-water
	 * mark), and after loading the data set that image is hundreds of MiB. */
	note("c) lumbung put --batch on %zu JSON lines", n);
	bench_cli(bindir, tmp_root, village, data, n, &cli);

	note("parsing and encoding them (not timed)");
	t_load = now();
	load_dataset(&ds, data, n);
	t_load = now() - t_load;

	/* Same map size for both sides of a): big enough that neither grows. */
	map_size = (size_t)1 << 30;
	while (map_size < (ds.body_bytes + n * 96) * 4)
		map_size *= 2;

	{
		char *rdir = path2(tmp_root, "a-raw"), *ndir = path2(tmp_root, "a-node");
		char *idir = path2(tmp_root, "a-raw-index");
		note("a) raw LMDB import, %zu per transaction", batch);
		sync();
		bench_import_raw(&ds, rdir, batch, map_size, false, &imp.raw);
		imp.raw_s = imp.raw.wall;
		note("a) node import, %zu per transaction", batch);
		sync();
		bench_import_node(&ds, ndir, village, batch, map_size, &imp.node);
		imp.node_s = imp.node.wall;
		note("a) raw LMDB import with a records index (diagnostic)");
		sync();
		bench_import_raw(&ds, idir, batch, map_size, true, &imp.idx);
		imp.idx_s = imp.idx.wall;
		imp.raw_rps = (double)n / imp.raw_s;
		imp.node_rps = (double)n / imp.node_s;
		imp.idx_rps = (double)n / imp.idx_s;
		imp.raw_bytes = file_size(rdir, "data.mdb");
		imp.node_bytes = file_size(ndir, "data.mdb");
		imp.idx_bytes = file_size(idir, "data.mdb");
		/* free the disk before the latency test */
		remove_tree(rdir);
		remove_tree(ndir);
		remove_tree(idir);
		free(rdir);
		free(ndir);
		free(idir);
	}
	note("b) durable single puts, %zu samples each", samples);
	sync();
	bench_single_put(&ds, tmp_root, village, samples, &put);

	ok_import = imp.node_rps >= TARGET_IMPORT_RATIO * imp.raw_rps;
	ok_put = put.node.median <= TARGET_PUT_RATIO * put.raw.median;

	/* The table. */
	row(&tab, "benchmark", "lumbung", "raw LMDB", "lumbung/raw", "target");
	snprintf(name, sizeof name, "a) import %s records, %zu/txn", grp(b1, sizeof b1, (double)n),
	         batch);
	snprintf(s1, sizeof s1, "%s rec/s", grp(b1, sizeof b1, imp.node_rps));
	snprintf(s2, sizeof s2, "%s rec/s", grp(b2, sizeof b2, imp.raw_rps));
	snprintf(s3, sizeof s3, "%.3f %s", imp.node_rps / imp.raw_rps, ok_import ? "ok" : "MISSED");
	row(&tab, name, s1, s2, s3, ">= 0.40");
	snprintf(s2, sizeof s2, "%s rec/s", grp(b2, sizeof b2, imp.idx_rps));
	snprintf(s3, sizeof s3, "%.3f", imp.node_rps / imp.idx_rps);
	row(&tab, "a') raw LMDB + records index (diagnostic)", s1, s2, s3, "");
	snprintf(s1, sizeof s1, "%.3f ms", put.node.median * 1e3);
	snprintf(s2, sizeof s2, "%.3f ms", put.raw.median * 1e3);
	snprintf(s3, sizeof s3, "%.2fx %s", put.node.median / put.raw.median, ok_put ? "ok" : "MISSED");
	row(&tab, "b) durable single put, median", s1, s2, s3, "<= 1.50x");
	snprintf(s1, sizeof s1, "%.3f ms", put.node.p90 * 1e3);
	snprintf(s2, sizeof s2, "%.3f ms", put.raw.p90 * 1e3);
	snprintf(s3, sizeof s3, "%.2fx", put.node.p90 / put.raw.p90);
	row(&tab, "b) durable single put, p90", s1, s2, s3, "");
	snprintf(s1, sizeof s1, "%.3f ms", put.node.p99 * 1e3);
	snprintf(s2, sizeof s2, "%.3f ms", put.raw.p99 * 1e3);
	snprintf(s3, sizeof s3, "%.2fx", put.node.p99 / put.raw.p99);
	row(&tab, "b) durable single put, p99", s1, s2, s3, "");
	snprintf(s1, sizeof s1, "%s rec/s", grp(b1, sizeof b1, cli.rps));
	snprintf(s3, sizeof s3, "%.3f", cli.rps / imp.raw_rps);
	row(&tab, "c) lumbung put --batch FILE (JSON lines)", s1, "", s3, "");
	snprintf(s1, sizeof s1, "%.1f MiB", (double)cli.maxrss_kb / 1024.0);
	row(&tab, "c) lumbung put --batch, peak RSS", s1, "", "", "");

	/* Notes under the table: the same facts for stdout and markdown. */
	snprintf(notes[0], sizeof notes[0],
	         "%zu records from `lumbung-gen --village %s --count %zu`: %.1f MiB of JSON lines, "
	         "mean body %.0f bytes of canonical msgpack; parsed and encoded before timing "
	         "(%.2f s).",
	         n, village, n, (double)ds.file_bytes / 1048576.0, (double)ds.body_bytes / (double)n,
	         t_load);
	snprintf(notes[1], sizeof notes[1],
	         "a) wall (user+sys CPU; bytes written): node %.2f s (%.2f+%.2f; %.0f MiB), raw "
	         "%.2f s (%.2f+%.2f; %.0f MiB), raw + index %.2f s (%.2f+%.2f; %.0f MiB); data.mdb "
	         "afterwards: node %.0f MiB, raw %.0f MiB, raw + index %.0f MiB.  Raw stores the same "
	         "entries (prev zeroed) under seq keys with MDB_APPEND; a') also puts each type NUL "
	         "id key into a second db, as the node's records db does.",
	         imp.node_s, imp.node.user, imp.node.sys, imp.node.wbytes / 1048576.0, imp.raw_s,
	         imp.raw.user, imp.raw.sys, imp.raw.wbytes / 1048576.0, imp.idx_s, imp.idx.user,
	         imp.idx.sys, imp.idx.wbytes / 1048576.0, (double)imp.node_bytes / 1048576.0,
	         (double)imp.raw_bytes / 1048576.0, (double)imp.idx_bytes / 1048576.0);
	snprintf(notes[2], sizeof notes[2],
	         "b) %zu samples per side, alternated in blocks of %d after %d warm-up puts, fsync "
	         "on (default LMDB flags); means: node %.3f ms, raw %.3f ms.",
	         put.samples, LAT_BLOCK, LAT_WARMUP, put.node.mean * 1e3, put.raw.mean * 1e3);
	snprintf(notes[3], sizeof notes[3],
	         "c) %.2f s wall, %.2f s user, %.2f s sys; peak RSS %.1f MiB, of which at most "
	         "%.1f MiB anonymous (heap) and %.1f MiB file-backed (pages of the LMDB map, "
	         "reclaimable).  The CLI said: \"%s\".",
	         cli.wall, cli.user, cli.sys, (double)cli.maxrss_kb / 1024.0,
	         (double)cli.anon_kb / 1024.0, (double)cli.file_kb / 1024.0, cli.summary);

	printf("\n");
	print_table(stdout, &tab, false);
	printf("\n");
	for (size_t i = 0; i < NNOTES; i++)
		printf("%s\n", notes[i]);
	printf("machine: %ld CPUs, %s, %ld MiB RAM, %s; %s in %s\n", mach.ncpu, mach.cpu,
	       mach.mem_mb, mach.kernel, mach.fs, base);
	printf("summary {\"n\":%zu,\"batch\":%zu,\"samples\":%zu,\"mean_body_bytes\":%.1f,"
	       "\"import_node_rps\":%.0f,\"import_raw_rps\":%.0f,\"import_ratio\":%.3f,"
	       "\"import_ok\":%s,\"import_raw_index_rps\":%.0f,"
	       "\"put_node_median_ms\":%.4f,\"put_raw_median_ms\":%.4f,\"put_ratio\":%.3f,"
	       "\"put_ok\":%s,\"put_node_p90_ms\":%.4f,\"put_raw_p90_ms\":%.4f,"
	       "\"cli_rps\":%.0f,\"cli_wall_s\":%.3f,\"cli_maxrss_kb\":%ld,"
	       "\"cli_anon_kb\":%ld,\"cli_file_kb\":%ld}\n",
	       n, batch, samples, (double)ds.body_bytes / (double)n, imp.node_rps, imp.raw_rps,
	       imp.node_rps / imp.raw_rps, ok_import ? "true" : "false", imp.idx_rps,
	       put.node.median * 1e3, put.raw.median * 1e3, put.node.median / put.raw.median,
	       ok_put ? "true" : "false", put.node.p90 * 1e3, put.raw.p90 * 1e3, cli.rps, cli.wall,
	       cli.maxrss_kb, cli.anon_kb, cli.file_kb);
	if (fflush(stdout) != 0)
		die("writing the results: %s", strerror(errno));

	if (markdown) {
		FILE *f = fopen(markdown, "a");
		int bad;
		if (!f)
			die("%s: %s", markdown, strerror(errno));
		fprintf(f, "## Results, %s\n\n", date);
		fprintf(f, "Command: `%s`\n\n", cmd);
		fprintf(f, "Machine: %ld CPUs (%s), %ld MiB RAM, %s; temporary files on %s under `%s`.\n\n",
		        mach.ncpu, mach.cpu, mach.mem_mb, mach.kernel, mach.fs, base);
		print_table(f, &tab, true);
		fprintf(f, "\n");
		for (size_t i = 0; i < NNOTES; i++)
			fprintf(f, "- %s\n", notes[i]);
		fprintf(f, "\n");
		bad = ferror(f);
		if (fclose(f) != 0 || bad)
			die("writing %s: %s", markdown, strerror(errno));
	}

	dataset_free(&ds);
	free(data);
	free(gen);
	if (keep_tmp)
		note("kept %s", tmp_root);
	else
		remove_tree(tmp_root);
	return 0;
}
