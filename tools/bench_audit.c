/*
 * bench_audit.c — lumbung-bench-audit: how fast `lumbung-audit verify`
 * checks a village's history, against the raw BLAKE2b rate over the same
 * entry bytes, and how much memory it needs (issue 04).  One run:
 *
 *   lumbung-bench-audit [--n N] [--runs R] [--dir DIR] [--bindir BUILD]
 *                       [--markdown FILE] [--keep]
 *
 * 1) Setup, not timed: a node of N entries (lumbung-gen | lumbung put
 *    --batch -), then `lumbung export-log -d NODE > FILE`.
 * 2) Verify: `lumbung-audit verify FILE` as a child process, timed from
 *    fork to exit, R times (median reported); it must exit 0 and say
 *    "verify: OK".  Entries/s (target >= 1,000,000/s), CPU time, and the
 *    child's peak RSS (wait4 ru_maxrss).  The same with --threads 0 (every
 *    check on one thread) and `verify -d NODE` (the export streamed through
 *    a pipe inside the verifier).
 * 3) Baseline, same run: crypto_generichash (BLAKE2b-256) over each entry's
 *    bytes, read from the archive in 64 MiB chunks; only the hashing is
 *    timed.  Then the verifier's other per-entry work is timed the same way,
 *    one library call at a time on one thread (Merkle leaf and node hashes,
 *    decoding, schema validation, head signatures, reading frames), which
 *    says where the verifier's CPU time goes.
 *
 * The children run before this process allocates its chunk buffer, since
 * Linux counts a child's pre-exec image in its ru_maxrss.  Everything lives
 * in one mkdtemp directory under --dir (default /tmp), removed at the end
 * and on error.  Exit 0 when everything ran (target met or not), 1 on an
 * error, 2 on bad usage.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "../node/archive.h"
#include "../node/entry.h"
#include "../node/head.h"
#include "../node/merkle.h"
#include "../schema/schema.h"
#include "audit/audit.h"
#include "benchlib.h"
#include "opt.h"

#define PROG "lumbung-bench-audit"
#define VILLAGE "33.24.01.2001"
#define TARGET_RATE 1000000.0 /* entries/s verified, at least */
#define CHUNK (64u << 20)     /* entry bytes hashed per timed step */
#define MAX_RUNS 15
#define MiB(x) ((double)(x) / 1048576.0)

static char lumbung[PATH_MAX], gen_bin[PATH_MAX], audit_bin[PATH_MAX];




/* One line on stderr, every child killed, the temporary tree removed, exit 1. */






/* ---- children ---------------------------------------------------------- */

/* argv[0] with stdin from fd in (-1: /dev/null), stdout to fd out or the
 * file out_path (NULL: /dev/null), stderr to err_path. */




/* The node: lumbung init, then lumbung-gen | lumbung put --batch -. */
static void make_node(const char *dir, size_t n)
{
	char cnt[32], err[PATH_MAX + 8];
	char *init[] = {lumbung, "init", "-d", (char *)dir, "--village", VILLAGE, NULL};
	char *gen[] = {gen_bin, "--village", VILLAGE, "--count", cnt, "--seed", "1", NULL};
	char *put[] = {lumbung, "put", "-d", (char *)dir, "--batch", "-", NULL};
	struct rusage ru;
	pid_t g, p;
	int fd[2], st;

	snprintf(cnt, sizeof cnt, "%zu", n);
	bench_run(init, NULL, "lumbung init");
	if (pipe(fd) || fcntl(fd[0], F_SETFD, FD_CLOEXEC) || fcntl(fd[1], F_SETFD, FD_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
	bench_pathf(err, "%s.gen.err", dir);
	g = bench_spawn(gen, -1, fd[1], NULL, err);
	bench_pathf(err, "%s.put.err", dir);
	p = bench_spawn(put, fd[0], -1, NULL, err);
	close(fd[0]);
	close(fd[1]);
	bench_reap(g, &st, &ru);
	bench_pathf(err, "%s.gen.err", dir);
	bench_check_status("lumbung-gen", st, err);
	bench_reap(p, &st, &ru);
	bench_pathf(err, "%s.put.err", dir);
	bench_check_status("lumbung put --batch", st, err);
}

struct vrun {
	double wall, cpu;
	long maxrss_kb;
	long anon_kb, file_kb; /* peaks of RssAnon / RssFile seen while it ran */
};

/* RssAnon and RssFile of a live process (/proc/PID/status), in KiB. */
static void proc_rss(pid_t pid, long *anon, long *file)
{
	char path[64], line[128];
	long v;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "RssAnon: %ld", &v) == 1 && v > *anon)
			*anon = v;
		else if (sscanf(line, "RssFile: %ld", &v) == 1 && v > *file)
			*file = v;
	}
	fclose(f);
}

/* One `lumbung-audit verify ...`; it must exit 0 and report OK. */
static struct vrun verify_once(char *const argv[])
{
	char out[PATH_MAX], err[PATH_MAX], line[256];
	struct rusage ru;
	struct vrun v = {0};
	struct timespec poll = {0, 5 * 1000 * 1000};
	double t0;
	pid_t pid, got;
	int st;

	bench_pathf(out, "%s/verify.out", bench_tmp_root);
	bench_pathf(err, "%s/verify.err", bench_tmp_root);
	t0 = bench_now();
	pid = bench_spawn(argv, -1, -1, out, err);
	/* poll the memory split every 5 ms: ru_maxrss alone counts the pages of
	 * a memory-mapped LMDB file (verify -d) like the heap */
	while ((got = wait4(pid, &st, WNOHANG, &ru)) == 0) {
		proc_rss(pid, &v.anon_kb, &v.file_kb);
		nanosleep(&poll, NULL);
		if (bench_interrupted)
			bench_die("interrupted");
	}
	v.wall = bench_now() - t0;
	if (got < 0)
		bench_die("wait4: %s", strerror(errno));
	bench_forget(pid);
	bench_check_status("lumbung-audit verify", st, err);
	bench_first_line(out, line, sizeof line);
	if (strncmp(line, "verify: OK", 10) != 0)
		bench_die("lumbung-audit verify said \"%s\", not OK", line);
	v.cpu = bench_cpu_s(&ru);
	v.maxrss_kb = ru.ru_maxrss;
	return v;
}

static int cmp_wall(const void *a, const void *b)
{
	double x = ((const struct vrun *)a)->wall, y = ((const struct vrun *)b)->wall;
	return x < y ? -1 : x > y;
}

/* The median run by wall time, and the largest peak RSS of all runs. */
static struct vrun verify_median(char *const argv[], size_t runs)
{
	struct vrun v[MAX_RUNS], m;
	long rss = 0, anon = 0, file = 0;

	for (size_t i = 0; i < runs; i++) {
		v[i] = verify_once(argv);
		rss = v[i].maxrss_kb > rss ? v[i].maxrss_kb : rss;
		anon = v[i].anon_kb > anon ? v[i].anon_kb : anon;
		file = v[i].file_kb > file ? v[i].file_kb : file;
	}
	qsort(v, runs, sizeof v[0], cmp_wall);
	m = v[runs / 2];
	m.maxrss_kb = rss;
	m.anon_kb = anon;
	m.file_kb = file;
	return m;
}

/* ---- in-process timings: BLAKE2b and the verifier's steps ---------------- */

struct steps {
	uint64_t entries, heads, bytes;
	double read, hash, merkle, decode, schema, sig;
};

/* Time fn over every entry of the chunk. */
struct chunk {
	uint8_t *buf;
	size_t len;
	size_t *off, *elen, n, cap;
	uint8_t (*heads)[512];
	size_t *hlen, nh;
};

static void time_chunk(struct chunk *c, struct steps *s, struct lb_merkle *m)
{
	uint8_t h[LB_HASH_BYTES];
	struct lb_entry e;
	struct lb_head hd;
	const struct lb_schema *sch;
	char type[LB_TYPE_MAX + 1];
	double t;

	t = bench_now();
	for (size_t i = 0; i < c->n; i++)
		crypto_generichash(h, LB_HASH_BYTES, c->buf + c->off[i], c->elen[i], NULL, 0);
	s->hash += bench_now() - t;
	t = bench_now();
	for (size_t i = 0; i < c->n; i++) {
		h[0] = (uint8_t)i;
		lb_merkle_append(m, h);
	}
	s->merkle += bench_now() - t;
	t = bench_now();
	for (size_t i = 0; i < c->n; i++)
		if (lb_entry_decode(&e, c->buf + c->off[i], c->elen[i], NULL))
			bench_die("entry %zu of a chunk does not decode", i);
	s->decode += bench_now() - t;
	t = bench_now();
	for (size_t i = 0; i < c->n; i++) {
		lb_entry_decode(&e, c->buf + c->off[i], c->elen[i], NULL);
		if (e.op != LB_OP_PUT || !(sch = lb_schema_get(e.schema)))
			continue;
		memcpy(type, e.type, e.type_len);
		type[e.type_len] = '\0';
		if (lb_schema_validate(sch, type, e.id, e.id_len, e.body, e.body_len, NULL, NULL))
			bench_die("an entry breaks its schema");
	}
	s->schema += bench_now() - t;
	t = bench_now();
	for (size_t i = 0; i < c->nh; i++)
		if (lb_head_open(&hd, c->heads[i], c->hlen[i], NULL, NULL))
			bench_die("a head does not verify");
	s->sig += bench_now() - t;
	s->entries += c->n;
	s->heads += c->nh;
	s->bytes += c->len;
	c->n = c->len = c->nh = 0;
}

static void time_steps(const char *file, struct steps *s)
{
	struct lb_lla_reader r;
	struct lb_lla_frame fr;
	struct lb_diag d = {0};
	struct lb_merkle m;
	struct chunk c = {0};
	double t, decode_only;
	lb_err e;
	FILE *f;

	memset(s, 0, sizeof *s);
	lb_merkle_init(&m);
	c.cap = CHUNK / 64;
	if (!(c.buf = malloc(CHUNK)) || !(c.off = malloc(c.cap * sizeof *c.off)) ||
	    !(c.elen = malloc(c.cap * sizeof *c.elen)) || !(c.heads = malloc(4096 * sizeof *c.heads)) ||
	    !(c.hlen = malloc(4096 * sizeof *c.hlen)))
		bench_die("out of memory");
	/* reading alone, one pass */
	if (!(f = fopen(file, "rb")))
		bench_die("%s: %s", file, strerror(errno));
	setvbuf(f, NULL, _IOFBF, 1u << 20);
	t = bench_now();
	if (lb_lla_reader_open(&r, f, &d))
		bench_die("%s: %s", file, d.msg);
	while ((e = lb_lla_next(&r, &fr, &d)) == LB_OK)
		;
	if (e != LB_ENOTFOUND)
		bench_die("%s: %s", file, d.msg);
	s->read = bench_now() - t;
	lb_lla_reader_close(&r);
	rewind(f);
	/* then chunk by chunk, each step timed on its own */
	if (lb_lla_reader_open(&r, f, &d))
		bench_die("%s: %s", file, d.msg);
	while ((e = lb_lla_next(&r, &fr, &d)) == LB_OK) {
		if (fr.kind == LB_LLA_ENTRY) {
			if (c.len + fr.alen > CHUNK || c.n == c.cap)
				time_chunk(&c, s, &m);
			memcpy(c.buf + c.len, fr.a, fr.alen);
			c.off[c.n] = c.len;
			c.elen[c.n++] = fr.alen;
			c.len += fr.alen;
		} else if (fr.kind == LB_LLA_HEAD && fr.alen <= sizeof c.heads[0]) {
			if (c.nh == 4096)
				time_chunk(&c, s, &m);
			memcpy(c.heads[c.nh], fr.a, fr.alen);
			c.hlen[c.nh++] = fr.alen;
		}
		if (bench_interrupted)
			bench_die("interrupted");
	}
	if (e != LB_ENOTFOUND)
		bench_die("%s: %s", file, d.msg);
	time_chunk(&c, s, &m);
	lb_lla_reader_close(&r);
	fclose(f);
	/* the schema loop decodes too: keep only the validation */
	decode_only = s->decode;
	s->schema = s->schema > decode_only ? s->schema - decode_only : 0;
	free(c.buf);
	free(c.off);
	free(c.elen);
	free(c.heads);
	free(c.hlen);
	malloc_trim(0);
}

/* ---- reporting --------------------------------------------------------- */


static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [--n N] [--runs R] [--dir DIR] [--bindir BUILD]\n"
	        "                           [--markdown FILE] [--keep]\n\n"
	        "Verify a history of N entries (default 1000000) with `lumbung-audit verify`,\n"
	        "R times each (default 3, median reported), against raw BLAKE2b over the same\n"
	        "entry bytes; then time each step of the verifier on one thread.\n\n"
	        "  --dir DIR        where the temporary directory goes (default /tmp)\n"
	        "  --bindir BUILD   where lumbung, lumbung-gen and lumbung-audit are\n"
	        "                   (default: beside this program)\n"
	        "  --markdown FILE  also append the results as a markdown section to FILE\n"
	        "  --keep           keep the temporary directory\n"
	        "Exit status 0 when everything ran, 1 on an error, 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
	size_t n = 1000000, runs = 3;
	const char *base = "/tmp", *markdown = NULL, *val;
	char bindir[PATH_MAX] = "", node[PATH_MAX], file[PATH_MAX], mach[400], b1[32];
	struct sigaction sa = {.sa_handler = bench_on_signal};
	struct vrun par, one, dir;
	struct steps s;
	struct stat st;
	struct lb_diag d = {0};
	double t_fill, t_export, rate, rate1, rate_dir, hash_rate, steps_sum;
	bool ok_rate;
	FILE *mdf = NULL, *m;
	char *md = NULL;
	size_t md_len = 0;
	bench_prog = PROG;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if ((val = tool_opt_value(PROG, argc, argv, &i, "--n")))
			n = bench_count_arg("--n", val, 1, 100000000);
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--runs")))
			runs = bench_count_arg("--runs", val, 1, MAX_RUNS);
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--dir")))
			base = val;
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--markdown")))
			markdown = val;
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--bindir")))
			bench_pathf(bindir, "%s", val);
		else if (!strcmp(argv[i], "--keep"))
			bench_keep_tmp = true;
		else {
			fprintf(stderr, PROG ": unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	bench_find_bindir(bindir);
	bench_pathf(lumbung, "%s/lumbung", bindir);
	bench_pathf(gen_bin, "%s/lumbung-gen", bindir);
	bench_pathf(audit_bin, "%s/lumbung-audit", bindir);
	{
		const char *const need[] = {lumbung, gen_bin, audit_bin, NULL};
		bench_need_binaries(need);
	}
	if (markdown && !(mdf = fopen(markdown, "a")))
		bench_die("%s: %s", markdown, strerror(errno));
	if (sodium_init() < 0 || lb_schema_builtin_init(&d))
		bench_die("cannot initialise libsodium or the built-in schema");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	bench_machine(mach, sizeof mach, NULL);
	if (!mkdtemp(bench_pathf(node, "%s/lumbung-bench-audit.XXXXXX", base)))
		bench_die("mkdtemp in %s: %s", base, strerror(errno));
	memcpy(bench_tmp_root, node, sizeof bench_tmp_root);
	bench_note("working in %s", bench_tmp_root);

	/* 1) setup */
	bench_pathf(node, "%s/node", bench_tmp_root);
	bench_pathf(file, "%s/village.lla", bench_tmp_root);
	bench_note("1) making a node of %zu entries and its archive (not timed)", n);
	t_fill = bench_now();
	make_node(node, n);
	t_fill = bench_now() - t_fill;
	{
		char *exp[] = {lumbung, "export-log", "-d", node, NULL};
		t_export = bench_now();
		bench_run(exp, file, "lumbung export-log");
		t_export = bench_now() - t_export;
	}
	if (stat(file, &st))
		bench_die("%s: %s", file, strerror(errno));

	/* 2) the verifier, before this process grows */
	bench_note("2) lumbung-audit verify, %zu runs each", runs);
	{
		char *v_par[] = {audit_bin, "verify", file, NULL};
		char *v_one[] = {audit_bin, "verify", file, "--threads", "0", NULL};
		char *v_dir[] = {audit_bin, "verify", "-d", node, NULL};
		verify_once(v_par); /* warm the page cache */
		par = verify_median(v_par, runs);
		one = verify_median(v_one, runs);
		dir = verify_median(v_dir, runs);
	}

	/* 3) BLAKE2b and the verifier's steps, in this process */
	bench_note("3) BLAKE2b over the entry bytes and the verifier's steps, one thread");
	time_steps(file, &s);
	if (s.entries != n)
		bench_die("the archive holds %llu entries, not %zu", (unsigned long long)s.entries, n);

	rate = (double)n / par.wall;
	rate1 = (double)n / one.wall;
	rate_dir = (double)n / dir.wall;
	hash_rate = (double)n / s.hash;
	ok_rate = rate >= TARGET_RATE;
	steps_sum = s.read + s.hash + s.merkle + s.decode + s.schema + s.sig;
	if (!(m = open_memstream(&md, &md_len)))
		bench_die("out of memory");
	fprintf(m,
	        "\n## Audit (issue 04)\n\nCommand: `lumbung-bench-audit --n %zu --runs %zu` "
	        "(`make bench`).  A node of N generated entries is exported with `lumbung "
	        "export-log` (not timed); `lumbung-audit verify FILE` then runs as a child "
	        "process, timed from fork to exit, %zu times (median shown), and must say OK.  "
	        "Its peak RSS is wait4's ru_maxrss (the largest of the runs).  The baseline is "
	        "`crypto_generichash` (BLAKE2b-256) over each entry's exact bytes in this "
	        "process, same run, only the hashing timed: the one hash per entry no verifier "
	        "can skip.  Target: >= 1,000,000 entries/s.\n\n",
	        n, runs, runs);
	fprintf(m, "| measure | result | target | |\n|---|---|---|---|\n");
	fprintf(m,
	        "| `lumbung-audit verify FILE` (%ld CPUs: reader + %ld workers) | %s entries/s "
	        "(%.2f s, CPU %.2f s) | >= 1,000,000/s | %s |\n",
	        sysconf(_SC_NPROCESSORS_ONLN),
	        sysconf(_SC_NPROCESSORS_ONLN) > 8 ? 8 : sysconf(_SC_NPROCESSORS_ONLN),
	        bench_grp(b1, 32, rate), par.wall, par.cpu, ok_rate ? "ok" : "MISSED");
	fprintf(m, "| the same, `--threads 0` (one thread) | %s entries/s (%.2f s) | | |\n",
	        bench_grp(b1, 32, rate1), one.wall);
	fprintf(m, "| `lumbung-audit verify -d NODE` (export piped in) | %s entries/s (%.2f s) | | |\n",
	        bench_grp(b1, 32, rate_dir), dir.wall);
	fprintf(m, "| raw BLAKE2b over the same entry bytes, one thread | %s entries/s, %.0f MB/s | | |\n",
	        bench_grp(b1, 32, hash_rate), (double)s.bytes / s.hash / 1e6);
	fprintf(m, "| verify / raw BLAKE2b | %.2f (one thread: %.2f) | | |\n", rate / hash_rate,
	        rate1 / hash_rate);
	fprintf(m,
	        "| verifier peak RSS, `verify FILE` | %.1f MiB (one thread: %.1f MiB) for a %.0f "
	        "MiB archive | bounded | |\n",
	        par.maxrss_kb / 1024.0, one.maxrss_kb / 1024.0, MiB(st.st_size));
	fprintf(m,
	        "| verifier peak RSS, `verify -d NODE` | %.1f MiB: at most %.1f MiB anonymous, "
	        "%.1f MiB file-backed | bounded | |\n\n",
	        dir.maxrss_kb / 1024.0, dir.anon_kb / 1024.0, dir.file_kb / 1024.0);
	fprintf(m,
	        "Where the time goes: each step of the verifier timed on its own over the same "
	        "%s entries and %llu signed heads, one thread, in this process (us per entry; "
	        "sum %.2f us, the one-thread verifier used %.2f us of CPU per entry):\n\n",
	        bench_grp(b1, 32, (double)n), (unsigned long long)s.heads, steps_sum / (double)n * 1e6,
	        one.cpu / (double)n * 1e6);
	fprintf(m, "| step | us/entry | share |\n|---|---|---|\n");
	{
		const char *name[] = {"BLAKE2b of the entry (the baseline)",
		                      "Merkle leaf + node hashes (`lb_merkle_append`)",
		                      "canonical decoding (`lb_entry_decode`)",
		                      "schema validation (`lb_schema_validate`)",
		                      "Ed25519 of the signed heads (`lb_head_open`)",
		                      "reading frames (`lb_lla_next`)"};
		double v[] = {s.hash, s.merkle, s.decode, s.schema, s.sig, s.read};
		for (size_t i = 0; i < 6; i++)
			fprintf(m, "| %s | %.3f | %.0f%% |\n", name[i], v[i] / (double)n * 1e6,
			        100 * v[i] / steps_sum);
	}
	fprintf(m,
	        "\n- Node: `lumbung-gen --village %s --count %zu | lumbung put --batch -` (%.1f s, "
	        "not timed); `lumbung export-log` wrote %.1f MiB in %.2f s (%.0f bytes per "
	        "entry with its frame, heads and trailer).\n",
	        VILLAGE, n, t_fill, MiB(st.st_size), t_export, (double)st.st_size / (double)n);
	fprintf(m,
	        "- The verifier reads on one thread and hands batches of up to %d frames to "
	        "worker threads (hashes, decoding, schema, signatures), then applies the ordered "
	        "checks (chain, seq, time, Merkle tree, heads, receipts) in file order; batches in "
	        "flight are bounded, so memory does not grow with the archive.  Its throughput "
	        "is CPU-bound: wall x CPUs vs CPU time above says how much of the machine it "
	        "used.\n",
	        LB_AUDIT_BATCH_FRAMES);
	fprintf(m,
	        "- Peak RSS is what wait4 reports; the anonymous/file-backed split is the peak "
	        "of RssAnon and RssFile polled every 5 ms.  `verify -d` exports the node through "
	        "a pipe inside the process, so the pages of the memory-mapped LMDB file it reads "
	        "count in its RSS; they are clean file pages the kernel reclaims at will, and the "
	        "anonymous part (batches, reader, exporter buffers) stays as small as for a "
	        "file.\n");
	fprintf(m, "- Machine: %s.\n", mach);
	if (fclose(m))
		bench_die("out of memory");
	fputs(md, stdout);
	printf("summary {\"n\":%zu,\"verify_eps\":%.0f,\"verify_ok\":%s,\"verify1_eps\":%.0f,"
	       "\"verify_dir_eps\":%.0f,\"blake2b_eps\":%.0f,\"maxrss_kb\":%ld}\n",
	       n, rate, ok_rate ? "true" : "false", rate1, rate_dir, hash_rate, par.maxrss_kb);
	if (fflush(stdout))
		bench_die("writing the results: %s", strerror(errno));
	if (mdf) {
		bool bad = fputs(md, mdf) < 0 || ferror(mdf);
		if (fclose(mdf) || bad)
			bench_die("writing %s: %s", markdown, strerror(errno));
	}
	free(md);
	bench_cleanup();
	return 0;
}
