/*
 * bench_sync.c — lumbung-bench-sync: how fast a village's log reaches an
 * aggregator over HTTP, against the raw HTTP POST rate of the same bytes,
 * and how one aggregator copes with many villages at once (issue 03).  One
 * run, on loopback:
 *
 *   lumbung-bench-sync [--n N] [--villages V] [--per M] [--dir DIR]
 *                      [--bindir BUILD] [--markdown FILE] [--keep]
 *
 * 1) Single village push.  A node of N entries (lumbung-gen | lumbung put
 *    --batch, not timed) and a fresh aggregator (lumbung-agg init, enroll,
 *    serve --listen 127.0.0.1:0); then `lumbung push --max-bytes 16m`, what
 *    users run, timed from fork to exit: entries/s (target >= 100,000/s),
 *    change sets, request-body bytes per byte of stored entries (target
 *    <= 1.15).  Both processes' CPU times say which side sets the pace.
 * 2) Ceiling.  The same log cut by lb_changeset_build into 16 MiB change
 *    sets (not timed), POSTed by libcurl (one handle, keep-alive, the push's
 *    headers, no Expect: 100-continue) to an in-process libmicrohttpd server
 *    started as the aggregator's is, which discards bodies and answers 200
 *    "ok": what the transport alone does with these bytes here.
 * 3) Ingest.  V nodes of M entries (two made at a time, not timed), enrolled
 *    at one fresh aggregator; V `lumbung push` children started at once and
 *    timed until the last exits.  Each must exit 0 and `lumbung-agg status
 *    --json` must show each village at its node's seq.  Total entries/s and
 *    the aggregator's peak RSS (wait4 after SIGTERM), split by polling /proc
 *    into anonymous memory and file-backed pages (the LMDB map).
 *
 * Everything lives under one mkdtemp directory in --dir (default /tmp),
 * removed at the end and on error, when every child still running is killed
 * first.  This process stays small whenever it forks the aggregator (node
 * and change sets released), because Linux counts the pre-exec image in a
 * child's ru_maxrss.  Exit status 0 when every benchmark ran (targets met or
 * not), 1 on an error, 2 on bad usage.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>

#include "../node/node.h"
#include "../sync/push.h"
#include "benchlib.h"
#include "opt.h"

#define PROG "lumbung-bench-sync"
#define REGION "33.24.01"    /* the aggregators' kecamatan */
#define MAX_VILLAGES 999     /* desa codes 33.24.01.2001 .. 2999 */
#define TARGET_RATE 100000.0 /* entries/s of one push, at least */
#define TARGET_WIRE 1.15     /* request bytes / stored entry bytes, at most */
#define MiB(x) ((double)(x) / 1048576.0)

static char lumbung[PATH_MAX], agg_bin[PATH_MAX], gen_bin[PATH_MAX];




/* One line on stderr, every child killed, the temporary tree removed, exit 1. */





/* user+sys seconds a live process has used so far (/proc/PID/stat). */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t k;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	k = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[k] = '\0';
	if ((p = strrchr(buf, ')')))
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Bytes a live process has handed to write(2) and friends (/proc/PID/io). */
static double proc_wchar(pid_t pid)
{
	char path[64], line[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/io", (long)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof line, f) && sscanf(line, "wchar: %llu", &v) != 1)
		;
	fclose(f);
	return (double)v;
}

/* snprintf into a PATH_MAX buffer; a path that does not fit is an error. */


/* ---- children ---------------------------------------------------------- */

/* Start argv[0] with stdin from fd in (-1: /dev/null), stdout to fd out or
 * else the file out_path (NULL: /dev/null), stderr to err_path (NULL:
 * /dev/null).  Our own descriptors are close-on-exec, so a pipe's write end
 * stays only where it is meant to be. */




/* Run to completion; it must exit 0. */

static void cloexec_pipe(int p[2])
{
	if (pipe(p) || fcntl(p[0], F_SETFD, FD_CLOEXEC) || fcntl(p[1], F_SETFD, FD_CLOEXEC))
		bench_die("pipe: %s", strerror(errno));
}

/* ---- nodes ------------------------------------------------------------- */

struct village {
	char code[24], dir[PATH_MAX], origin[2 * LB_PK_BYTES + 1];
	uint64_t seq, raw_bytes; /* log length and sum of stored entry sizes */
	pid_t gen, put, push;
	int status;
	struct rusage ru;
	double end; /* when its push exited */
};

/* `lumbung init`, then start lumbung-gen | lumbung put --batch - (reaped by
 * fill_end), so two nodes can fill at once. */
static void fill_start(struct village *v, size_t count, unsigned seed)
{
	char cnt[32], sd[32], err[PATH_MAX + 8];
	char *init[] = {lumbung, "init", "-d", v->dir, "--village", v->code, NULL};
	char *gen[] = {gen_bin, "--village", v->code, "--count", cnt, "--seed", sd, NULL};
	char *put[] = {lumbung, "put", "-d", v->dir, "--batch", "-", NULL};
	int p[2];

	snprintf(cnt, sizeof cnt, "%zu", count);
	snprintf(sd, sizeof sd, "%u", seed);
	bench_run(init, NULL, "lumbung init");
	cloexec_pipe(p);
	bench_pathf(err, "%s.gen.err", v->dir);
	v->gen = bench_spawn(gen, -1, p[1], NULL, err);
	bench_pathf(err, "%s.put.err", v->dir);
	v->put = bench_spawn(put, p[0], -1, NULL, err);
	close(p[0]);
	close(p[1]);
}

static int add_raw(void *ctx, const struct lb_entry *e, const uint8_t hash[LB_HASH_BYTES],
                   const uint8_t *raw, size_t raw_len)
{
	(void)e;
	(void)hash;
	(void)raw;
	*(uint64_t *)ctx += raw_len;
	return 0;
}

/* Reap the pipeline; read the node's origin, seq and (raw) stored bytes. */
static void fill_end(struct village *v, size_t count, bool raw)
{
	char err[PATH_MAX + 8];
	struct lb_node *n;
	struct lb_node_info info;
	struct lb_diag d = {0};
	struct rusage ru;
	int gen_status;
	lb_err e;

	/* put first: when it fails, lumbung-gen dies of SIGPIPE, which says less */
	bench_reap(v->put, &v->status, &ru);
	bench_reap(v->gen, &gen_status, &ru);
	bench_pathf(err, "%s.put.err", v->dir);
	bench_check_status("lumbung put --batch", v->status, err);
	bench_pathf(err, "%s.gen.err", v->dir);
	bench_check_status("lumbung-gen", gen_status, err);
	if ((e = lb_node_open(&n, v->dir, &(struct lb_node_opts){.read_only = true}, &d)) ||
	    (e = lb_node_info(n, &info, &d)) ||
	    (raw && (e = lb_node_log(n, 1, add_raw, &v->raw_bytes, &d))))
		bench_die("node %s: %s", v->dir, lb_diag_msg(&d, e));
	lb_node_close(n); /* unmaps: this process stays small for the next fork */
	if (info.seq != count)
		bench_die("node %s: log ends at seq %" PRIu64 ", expected %zu", v->dir, info.seq, count);
	v->seq = info.seq;
	lb_hex(v->origin, info.origin, LB_PK_BYTES);
}

/* ---- the aggregator ---------------------------------------------------- */

struct agg {
	char dir[PATH_MAX], key[2 * LB_PK_BYTES + 1], url[96], err[PATH_MAX + 8];
	pid_t pid;
	int fd;                /* its stdout */
	long anon_kb, file_kb; /* peak RssAnon / RssFile seen by polling */
	long maxrss_kb;        /* ru_maxrss from wait4 */
};

/* lumbung-agg init; key gets its public key. */
static void agg_init(struct agg *g, const char *dir)
{
	char *argv[] = {agg_bin, "init", "-d", (char *)dir, "--region", REGION, NULL};
	char out[PATH_MAX + 8];

	bench_pathf(g->dir, "%s", dir);
	bench_pathf(g->err, "%s.err", dir);
	bench_pathf(out, "%s.key", dir);
	bench_run(argv, out, "lumbung-agg init");
	bench_first_line(out, g->key, sizeof g->key);
	if (strlen(g->key) != 2 * LB_PK_BYTES)
		bench_die("lumbung-agg init printed \"%s\", not a key", g->key);
}

static void agg_enroll(struct agg *g, struct village *v)
{
	char *argv[9] = {agg_bin, "enroll", "-d", g->dir, "--village", v->code, "--key"};
	argv[7] = v->origin;
	bench_run(argv, NULL, "lumbung-agg enroll");
}

/* Peaks of RssAnon and RssFile, once the child runs lumbung-agg (before its
 * exec it is a copy of this process). */
static void agg_poll(struct agg *g)
{
	char path[64], line[256];
	long v;
	bool ours = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)g->pid);
	if (!(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "Name:", 5))
			ours = strstr(line, "lumbung-agg") != NULL;
		else if (ours && sscanf(line, "RssAnon: %ld", &v) == 1 && v > g->anon_kb)
			g->anon_kb = v;
		else if (ours && sscanf(line, "RssFile: %ld", &v) == 1 && v > g->file_kb)
			g->file_kb = v;
	}
	fclose(f);
}

/* lumbung-agg serve --listen 127.0.0.1:0; waits for its "listening on" line. */
static void agg_start(struct agg *g)
{
	char *argv[] = {agg_bin, "serve", "-d", g->dir, "--listen", "127.0.0.1:0", NULL};
	char line[160] = "", where[80], msg[512];
	size_t len = 0;
	double t0 = bench_now();
	int p[2];

	cloexec_pipe(p);
	g->pid = bench_spawn(argv, -1, p[1], NULL, g->err);
	close(p[1]);
	g->fd = p[0];
	g->anon_kb = g->file_kb = 0;
	while (!memchr(line, '\n', len)) {
		struct pollfd pf = {.fd = g->fd, .events = POLLIN};
		ssize_t k;
		bench_check_interrupt();
		if (bench_now() - t0 > 10)
			bench_die("lumbung-agg serve did not say where it listens within 10 s");
		if (poll(&pf, 1, 100) <= 0)
			continue;
		if ((k = read(g->fd, line + len, sizeof line - 1 - len)) <= 0) {
			bench_first_line(g->err, msg, sizeof msg);
			bench_die("lumbung-agg serve exited before listening: %s", msg);
		}
		line[len += (size_t)k] = '\0';
		if (len == sizeof line - 1)
			break;
	}
	if (sscanf(line, "listening on %79s", where) != 1)
		bench_die("lumbung-agg serve said \"%s\", not \"listening on HOST:PORT\"", line);
	snprintf(g->url, sizeof g->url, "http://%s", where);
}

/* SIGTERM, then bench_reap (polling its memory meanwhile); it must exit 0. */
static void agg_stop(struct agg *g)
{
	struct rusage ru;
	double t0 = bench_now();
	int status;
	pid_t w;

	kill(g->pid, SIGTERM);
	while ((w = wait4(g->pid, &status, WNOHANG, &ru)) == 0 || (w < 0 && errno == EINTR)) {
		if (bench_now() - t0 > 60)
			bench_die("lumbung-agg serve did not stop within 60 s of SIGTERM");
		agg_poll(g);
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	if (w < 0)
		bench_die("wait4: %s", strerror(errno));
	bench_forget(g->pid);
	close(g->fd);
	bench_check_status("lumbung-agg serve", status, g->err);
	g->maxrss_kb = ru.ru_maxrss;
}

/* Start `lumbung push` for each village at once; wait for all, polling the
 * aggregator's memory.  Each must exit 0 having sent its whole log. */
static void push_all(struct village *v, size_t n, struct agg *g, const char *max_bytes)
{
	char out[PATH_MAX + 8], err[PATH_MAX + 8], msg[512];
	size_t left = n;
	double t0 = bench_now();

	for (size_t i = 0; i < n; i++) {
		char *argv[11] = {lumbung, "push", "-d", v[i].dir, "--to", g->url, "--key", g->key};
		if (max_bytes) {
			argv[8] = "--max-bytes";
			argv[9] = (char *)max_bytes;
		}
		bench_pathf(out, "%s.push.out", v[i].dir);
		bench_pathf(err, "%s.push.err", v[i].dir);
		v[i].push = bench_spawn(argv, -1, -1, out, err);
		v[i].end = 0;
	}
	while (left) {
		for (size_t i = 0; i < n; i++) {
			pid_t w;
			if (v[i].end)
				continue;
			if ((w = wait4(v[i].push, &v[i].status, WNOHANG, &v[i].ru)) < 0 &&
			    errno != EINTR)
				bench_die("wait4: %s", strerror(errno));
			if (w == v[i].push) {
				v[i].end = bench_now();
				bench_forget(w);
				left--;
			}
		}
		bench_check_interrupt();
		if (bench_now() - t0 > 3600)
			bench_die("pushes still running after an hour");
		agg_poll(g);
		if (left)
			nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned long long sent = 0;
		bench_pathf(err, "%s.push.err", v[i].dir);
		bench_check_status("lumbung push", v[i].status, err);
		bench_pathf(out, "%s.push.out", v[i].dir);
		bench_first_line(out, msg, sizeof msg);
		if (sscanf(msg, "push: sent %llu entries", &sent) != 1 || sent != v[i].seq)
			bench_die("lumbung push of %s said \"%s\", expected %" PRIu64 " entries sent",
			    v[i].code, msg, v[i].seq);
	}
}

/* `lumbung-agg status --json` must show every village at its node's seq. */
static void agg_check(struct agg *g, const struct village *v, size_t n)
{
	char out[PATH_MAX + 8];
	char *argv[] = {agg_bin, "status", "-d", g->dir, "--json", NULL};
	json_error_t je;
	json_t *root, *arr;
	size_t i, found = 0;

	bench_pathf(out, "%s.status", g->dir);
	bench_run(argv, out, "lumbung-agg status");
	if (!(root = json_load_file(out, 0, &je)) || !(arr = json_object_get(root, "villages")))
		bench_die("lumbung-agg status --json: %s", root ? "no \"villages\"" : je.text);
	for (size_t k = 0; k < json_array_size(arr); k++) {
		json_t *o = json_array_get(arr, k);
		const char *origin = json_string_value(json_object_get(o, "origin"));
		json_int_t seq = json_integer_value(json_object_get(o, "seq"));
		json_int_t ent = json_integer_value(json_object_get(o, "entries"));
		for (i = 0; i < n && (!origin || strcmp(origin, v[i].origin)); i++)
			;
		if (i == n)
			continue;
		if ((uint64_t)seq != v[i].seq || (uint64_t)ent != v[i].seq)
			bench_die("aggregator holds %s at seq %lld (%lld entries), its node at %" PRIu64,
			    v[i].code, (long long)seq, (long long)ent, v[i].seq);
		found++;
	}
	json_decref(root);
	if (found != n)
		bench_die("aggregator status lists %zu of the %zu villages", found, n);
}

/* ---- 2) the ceiling ---------------------------------------------------- */

static atomic_ullong sink_bytes;

/* Read and discard a POST body, answer 200 "ok". */
static enum MHD_Result sink(void *cls, struct MHD_Connection *c, const char *url,
                            const char *method, const char *version, const char *data, size_t *size,
                            void **con_cls)
{
	static int started;
	static char ok[] = "ok";
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls, (void)url, (void)method, (void)version, (void)data;
	if (!*con_cls) {
		*con_cls = &started;
		return MHD_YES;
	}
	if (*size) {
		atomic_fetch_add(&sink_bytes, *size);
		*size = 0;
		return MHD_YES;
	}
	if (!(r = MHD_create_response_from_buffer(2, ok, MHD_RESPMEM_PERSISTENT)))
		return MHD_NO;
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p, (void)ctx;
	return size * n;
}

struct ceiling {
	size_t sets;
	uint64_t bytes, entries;
	double build_s, wall;
	double hdr_out, hdr_in; /* bytes of headers (and reply body) per POST */
	long connects;
};

static void bench_ceiling(const struct village *v, struct ceiling *c)
{
	struct body {
		uint8_t *p;
		size_t len;
	} *b = NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct lb_mp_buf buf;
	struct lb_node *n;
	struct lb_src src;
	struct lb_diag d = {0};
	struct MHD_Daemon *mhd;
	const union MHD_DaemonInfo *di;
	struct curl_slist *h;
	char url[96];
	uint64_t to;
	lb_err e;
	CURL *cu;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lb_mp_buf_init(&buf);
	if ((e = lb_node_open(&n, v->dir, &(struct lb_node_opts){.read_only = true}, &d)))
		bench_die("node %s: %s", v->dir, lb_diag_msg(&d, e));
	lb_src_node(&src, n);
	c->build_s = bench_now();
	for (uint64_t from = 1; from <= v->seq; from = to + 1, c->sets++) {
		bench_check_interrupt();
		if ((e = lb_changeset_build(&src, from, LB_PUSH_MAX_BYTES, &buf, &to, NULL, &d)))
			bench_die("lb_changeset_build from %" PRIu64 ": %s", from, lb_diag_msg(&d, e));
		if (!(c->sets & 63) && !(b = realloc(b, (c->sets + 64) * sizeof *b)))
			bench_die("out of memory");
		if (!(b[c->sets].p = malloc(buf.sb.size)))
			bench_die("out of memory (%zu MiB of change sets)", (size_t)MiB(c->bytes));
		memcpy(b[c->sets].p, buf.sb.data, b[c->sets].len = buf.sb.size);
		c->bytes += buf.sb.size;
		c->entries += to - from + 1;
	}
	c->build_s = bench_now() - c->build_s;
	lb_node_close(n);
	lb_mp_buf_free(&buf);

	/* the aggregator's MHD options (agg/http.c), only the handler differs */
	mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	                       sink, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                       MHD_OPTION_THREAD_POOL_SIZE, 4u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	                       MHD_OPTION_END);
	if (!mhd)
		bench_die("cannot start the libmicrohttpd sink on 127.0.0.1");
	if (!(di = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_BIND_PORT)))
		bench_die("libmicrohttpd does not say which port it bound");
	snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/changesets", (unsigned)di->port);
	h = curl_slist_append(NULL, "Content-Type: application/x-msgpack");
	if (!h || !(h = curl_slist_append(h, "Expect:")) || !(cu = curl_easy_init()))
		bench_die("libcurl: out of memory");
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_POST, 1L);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_USERAGENT, "lumbung/1");
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	c->wall = bench_now();
	for (size_t i = 0; i < c->sets; i++) {
		long code = 0, req = 0, hdr = 0, conn = 0;
		curl_off_t down = 0;
		CURLcode cc;
		bench_check_interrupt();
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, b[i].p);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b[i].len);
		if ((cc = curl_easy_perform(cu)))
			bench_die("POST to the sink: %s", curl_easy_strerror(cc));
		curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(cu, CURLINFO_REQUEST_SIZE, &req);
		curl_easy_getinfo(cu, CURLINFO_HEADER_SIZE, &hdr);
		curl_easy_getinfo(cu, CURLINFO_SIZE_DOWNLOAD_T, &down);
		curl_easy_getinfo(cu, CURLINFO_NUM_CONNECTS, &conn);
		if (code != 200)
			bench_die("the sink answered HTTP %ld", code);
		c->hdr_out += (double)req;
		c->hdr_in += (double)hdr + (double)down;
		c->connects += conn;
	}
	c->wall = bench_now() - c->wall;
	c->hdr_out /= (double)c->sets;
	c->hdr_in /= (double)c->sets;
	curl_easy_cleanup(cu);
	curl_slist_free_all(h);
	MHD_stop_daemon(mhd);
	if (atomic_load(&sink_bytes) != c->bytes)
		bench_die("the sink received %llu bytes of %" PRIu64, atomic_load(&sink_bytes), c->bytes);
	for (size_t i = 0; i < c->sets; i++)
		free(b[i].p);
	free(b);
	malloc_trim(0); /* hand the change sets back before the next fork */
}

/* ---- reporting --------------------------------------------------------- */

/* 1234567 -> "1,234,567" */

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [--n N] [--villages V] [--per M] [--dir DIR] [--bindir BUILD]\n"
	        "                          [--markdown FILE] [--keep]\n\n"
	        "Sync benchmarks on loopback, in one run:\n"
	        "  1) `lumbung push --max-bytes 16m` of a node of N entries (default 1000000)\n"
	        "  2) raw HTTP POST of the same change sets to a discarding libmicrohttpd server\n"
	        "  3) V villages (default 100) of M entries (default 10000) pushing at once\n\n"
	        "  --dir DIR        where the temporary directory goes (default /tmp)\n"
	        "  --bindir BUILD   where lumbung, lumbung-agg and lumbung-gen are\n"
	        "                   (default: beside this program)\n"
	        "  --markdown FILE  also append the results as a markdown section to FILE\n"
	        "  --keep           keep the temporary directory\n"
	        "Exit status 0 when all benchmarks ran, 1 on an error, 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
	size_t n = 1000000, nv = 100, per = 10000;
	const char *base = "/tmp", *markdown = NULL, *val;
	char bindir[PATH_MAX] = "", path[PATH_MAX], mach[600], b1[32], b2[32], cli_said[512];
	struct village one = {.code = "33.24.01.2001"}, *vs;
	struct agg g1 = {0}, g3 = {0};
	struct ceiling ce = {0};
	struct sigaction sa = {.sa_handler = bench_on_signal};
	unsigned long long sent = 0, sets = 0, wire = 0;
	double t_fill, t0, push_wall, push_cpu, agg1_cpu, agg1_wchar, rate, wire_ratio, ceil_rate;
	double ing_wall, ing_cpu = 0, agg3_cpu, ing_rate, first_end = 1e300, last_end = 0;
	bool ok_rate, ok_wire;
	FILE *mdf = NULL, *m;
	char *md = NULL, *tail;
	size_t md_len = 0;
	bench_prog = PROG;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if ((val = tool_opt_value(PROG, argc, argv, &i, "--n")))
			n = bench_count_arg("--n", val, 1, 100000000);
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--villages")))
			nv = bench_count_arg("--villages", val, 1, MAX_VILLAGES);
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--per")))
			per = bench_count_arg("--per", val, 1, 100000000);
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--dir")))
			base = val;
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--markdown")))
			markdown = val;
		else if ((val = tool_opt_value(PROG, argc, argv, &i, "--bindir")) ||
		         (val = tool_opt_value(PROG, argc, argv, &i, "--bin-dir")))
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
	bench_pathf(agg_bin, "%s/lumbung-agg", bindir);
	bench_pathf(gen_bin, "%s/lumbung-gen", bindir);
	{
		const char *const need[] = {lumbung, agg_bin, gen_bin, NULL};
		bench_need_binaries(need);
	}
	if (markdown && !(mdf = fopen(markdown, "a")))
		bench_die("%s: %s", markdown, strerror(errno));
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT))
		bench_die("cannot initialise libsodium or libcurl");
	if (!(vs = calloc(nv, sizeof *vs)))
		bench_die("out of memory");
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	bench_machine(mach, sizeof mach, base);
	/* bench_tmp_root is what bench_die() removes: set only once it is ours */
	if (!mkdtemp(bench_pathf(path, "%s/lumbung-bench-sync.XXXXXX", base)))
		bench_die("mkdtemp in %s: %s", base, strerror(errno));
	memcpy(bench_tmp_root, path, sizeof bench_tmp_root);
	bench_note("working in %s", bench_tmp_root);

	/* 1) one village, one push */
	bench_pathf(one.dir, "%s/node", bench_tmp_root);
	bench_note("1) making a node of %zu entries (not timed)", n);
	t_fill = bench_now();
	fill_start(&one, n, 1);
	fill_end(&one, n, true);
	t_fill = bench_now() - t_fill;
	bench_pathf(path, "%s/agg1", bench_tmp_root);
	agg_init(&g1, path);
	agg_enroll(&g1, &one);
	agg_start(&g1);
	bench_note("1) lumbung push --max-bytes 16m to %s", g1.url);
	sync(); /* the node's pages reach the disk bench_now, not during the push */
	agg1_cpu = proc_cpu(g1.pid);
	agg1_wchar = proc_wchar(g1.pid);
	t0 = bench_now();
	push_all(&one, 1, &g1, "16m");
	push_wall = one.end - t0;
	agg1_cpu = proc_cpu(g1.pid) - agg1_cpu;
	agg1_wchar = proc_wchar(g1.pid) - agg1_wchar;
	push_cpu = bench_cpu_s(&one.ru);
	agg_stop(&g1);
	agg_check(&g1, &one, 1);
	bench_pathf(path, "%s.push.out", one.dir);
	bench_first_line(path, cli_said, sizeof cli_said);
	/* "push: sent N entries (...) in C change sets, B bytes; ..." */
	tail = strstr(cli_said, ") in ");
	if (sscanf(cli_said, "push: sent %llu entries", &sent) != 1 || !tail ||
	    sscanf(tail, ") in %llu change sets, %llu bytes", &sets, &wire) != 2)
		bench_die("cannot read the push's summary \"%s\"", cli_said);

	/* 2) the same bytes, raw */
	bench_note("2) raw HTTP POST of the same log in 16 MiB change sets");
	bench_ceiling(&one, &ce);

	/* 3) many villages at once */
	bench_pathf(path, "%s/agg3", bench_tmp_root);
	agg_init(&g3, path);
	bench_note("3) making %zu nodes of %zu entries, two at a time (not timed)", nv, per);
	for (size_t i = 0; i < nv; i++) {
		snprintf(vs[i].code, sizeof vs[i].code, REGION ".%04u", (unsigned)(2001 + i));
		bench_pathf(vs[i].dir, "%s/v%03zu", bench_tmp_root, i);
		fill_start(&vs[i], per, (unsigned)i + 1);
		if (i % 2 || i + 1 == nv)
			for (size_t j = i - i % 2; j <= i; j++)
				fill_end(&vs[j], per, false);
	}
	for (size_t i = 0; i < nv; i++)
		agg_enroll(&g3, &vs[i]);
	agg_start(&g3);
	bench_note("3) %zu pushes at once to %s", nv, g3.url);
	sync();
	agg3_cpu = proc_cpu(g3.pid);
	t0 = bench_now();
	push_all(vs, nv, &g3, NULL);
	agg3_cpu = proc_cpu(g3.pid) - agg3_cpu;
	for (size_t i = 0; i < nv; i++) {
		ing_cpu += bench_cpu_s(&vs[i].ru);
		first_end = vs[i].end < first_end ? vs[i].end : first_end;
		last_end = vs[i].end > last_end ? vs[i].end : last_end;
	}
	ing_wall = last_end - t0;
	agg_stop(&g3);
	agg_check(&g3, vs, nv);

	/* the report: one markdown section, for stdout and --markdown */
	rate = (double)n / push_wall;
	wire_ratio = (double)wire / (double)one.raw_bytes;
	ceil_rate = (double)ce.entries / ce.wall;
	ing_rate = (double)(nv * per) / ing_wall;
	ok_rate = rate >= TARGET_RATE;
	ok_wire = wire_ratio <= TARGET_WIRE;
	if (!(m = open_memstream(&md, &md_len)))
		bench_die("out of memory");
	fprintf(m,
	        "\n## Sync (issue 03)\n\nCommand: `lumbung-bench-sync --n %zu --villages %zu "
	        "--per %zu` (`make bench`), everything on loopback in one run:\n\n",
	        n, nv, per);
	fprintf(m,
	        "- **1) One village pushes.** A node of N generated entries and a fresh "
	        "aggregator (`lumbung-agg init`, `enroll`, `serve --listen 127.0.0.1:0`); then "
	        "`lumbung push -d NODE --to URL --key AGGKEY --max-bytes 16m`, timed from fork "
	        "to exit (change sets start at 256 KiB and double). Targets: >= 100,000 "
	        "entries/s, and request bodies <= 1.15 x the stored entries' own msgpack bytes.\n"
	        "- **2) Ceiling.** The same log cut into 16 MiB change sets by "
	        "`lb_changeset_build` (not timed), POSTed by one keep-alive libcurl handle to an "
	        "in-process "
	        "libmicrohttpd server that discards them: the transport's rate for these bytes.\n"
	        "- **3) Ingest.** V nodes of M entries enrolled at one fresh aggregator; V "
	        "`lumbung push -d NODE --to URL --key AGGKEY` started at once, timed until the "
	        "last exits; peak RSS of `lumbung-agg serve`.\n\n");
	fprintf(m, "| measure | result | target | |\n|---|---|---|---|\n");
	fprintf(m,
	        "| 1) push of %s entries, `--max-bytes 16m` | %s entries/s (%.2f s) | "
	        ">= 100,000/s | %s |\n",
	        bench_grp(b1, 32, (double)n), bench_grp(b2, 32, rate), push_wall, ok_rate ? "ok" : "MISSED");
	fprintf(m, "| 1) change sets sent | %llu | | |\n", sets);
	fprintf(m,
	        "| 1) request bodies / stored entries | %.3f (%.1f / %.1f MiB) | <= 1.15 | %s |\n",
	        wire_ratio, MiB(wire), MiB(one.raw_bytes), ok_wire ? "ok" : "MISSED");
	fprintf(m, "| 2) the same in 16 MiB change sets | %.3f (%zu change sets) | | |\n",
	        (double)ce.bytes / (double)one.raw_bytes, ce.sets);
	fprintf(m,
	        "| HTTP headers per POST, out + in | %.0f + %.0f bytes (%.4f bytes/entry in 1) | "
	        "small | |\n",
	        ce.hdr_out, ce.hdr_in, (ce.hdr_out + ce.hdr_in) * (double)sets / (double)n);
	fprintf(m, "| 2) ceiling: raw POST of the same bytes | %s entries/s, %.0f MB/s | | |\n",
	        bench_grp(b1, 32, ceil_rate), (double)ce.bytes / ce.wall / 1e6);
	fprintf(m, "| 1) push / ceiling | %.3f | | |\n", rate / ceil_rate);
	fprintf(m, "| 3) ingest, %zu villages x %s entries at once | %s entries/s (%.2f s) | | |\n",
	        nv, bench_grp(b1, 32, (double)per), bench_grp(b2, 32, ing_rate), ing_wall);
	fprintf(m, "| 3) aggregator peak RSS | %.1f MiB (in 1: %.1f MiB) | | |\n\n",
	        g3.maxrss_kb / 1024.0, g1.maxrss_kb / 1024.0);
	fprintf(m,
	        "- Node for 1) and 2): `lumbung-gen --village %s --count %zu` piped into "
	        "`lumbung put --batch -` (%.1f s, not timed): %.1f MiB of stored entries, %.0f "
	        "bytes each on average.\n",
	        one.code, n, t_fill, MiB(one.raw_bytes), (double)one.raw_bytes / (double)n);
	/* nothing overlaps in a push, so the two sides' CPU times add up */
	fprintf(m,
	        "- 1) Wall %.2f s from fork to exit.  A push is serial (build a change set, "
	        "send, ingest, answer, keep the receipt, next), so the sides' CPU times add up: "
	        "push client %.2f s (%.0f%% of the wall), aggregator %.2f s (%.0f%%), the rest "
	        "(%.2f s) waiting, mostly on fsync; %.1f us of aggregator CPU per entry.  The "
	        "aggregator wrote %.0f MiB (wchar) for %.0f MiB of change sets.  The push said: "
	        "\"%s\".\n",
	        push_wall, push_cpu, 100 * push_cpu / push_wall, agg1_cpu,
	        100 * agg1_cpu / push_wall,
	        push_wall > push_cpu + agg1_cpu ? push_wall - push_cpu - agg1_cpu : 0,
	        agg1_cpu / (double)n * 1e6, MiB(agg1_wchar), MiB(wire), cli_said);
	fprintf(m,
	        "- 2) %zu change sets, %.1f MiB, built by `lb_changeset_build` in %.2f s (%s "
	        "entries/s, not timed); POSTed in %.3f s over %ld connection(s) to libmicrohttpd "
	        "started as the aggregator's (internal polling thread, pool of 4), discarding the "
	        "body and answering 200 \"ok\".  The headers row is libcurl's count for these "
	        "POSTs; the aggregator's reply adds a ~200-byte receipt.\n",
	        ce.sets, MiB(ce.bytes), ce.build_s, bench_grp(b1, 32, (double)ce.entries / ce.build_s),
	        ce.wall, ce.connects);
	fprintf(m,
	        "- 3) %zu nodes made as above (not timed) and enrolled; %zu `lumbung push` "
	        "(default --max-bytes) started at once: first done after %.2f s, last after "
	        "%.2f s; all exit 0 and `lumbung-agg status` shows every village at its node's "
	        "seq.  CPU: pushes %.2f s in all, aggregator %.2f s (%.0f%% of the wall, %.1f us "
	        "per entry); the pushes run on this machine too.\n",
	        nv, nv, first_end - t0, ing_wall, ing_cpu, agg3_cpu, 100 * agg3_cpu / ing_wall,
	        agg3_cpu / (double)(nv * per) * 1e6);
	fprintf(m,
	        "- Aggregator peak RSS (wait4 ru_maxrss after SIGTERM): 3) %.1f MiB, of which "
	        "at most %.1f MiB anonymous (heap, request buffers) and %.1f MiB file-backed "
	        "(pages of the LMDB map, reclaimable); 1) %.1f MiB (%.1f anonymous, %.1f "
	        "file-backed).\n",
	        g3.maxrss_kb / 1024.0, g3.anon_kb / 1024.0, g3.file_kb / 1024.0,
	        g1.maxrss_kb / 1024.0, g1.anon_kb / 1024.0, g1.file_kb / 1024.0);
	fprintf(m, "- Machine: %s.\n", mach);
	if (fclose(m))
		bench_die("out of memory");
	fputs(md, stdout);
	printf("summary {\"n\":%zu,\"push_eps\":%.0f,\"push_ok\":%s,\"wire_ratio\":%.4f,"
	       "\"wire_ok\":%s,\"changesets\":%llu,\"ceiling_eps\":%.0f,\"villages\":%zu,"
	       "\"per\":%zu,\"ingest_eps\":%.0f,\"agg_maxrss_kb\":%ld}\n",
	       n, rate, ok_rate ? "true" : "false", wire_ratio, ok_wire ? "true" : "false", sets,
	       ceil_rate, nv, per, ing_rate, g3.maxrss_kb);
	if (fflush(stdout))
		bench_die("writing the results: %s", strerror(errno));
	if (mdf) {
		bool bad = fputs(md, mdf) < 0 || ferror(mdf);
		if (fclose(mdf) || bad)
			bench_die("writing %s: %s", markdown, strerror(errno));
	}
	free(md);
	free(vs);
	curl_global_cleanup();
	bench_cleanup();
	return 0;
}
