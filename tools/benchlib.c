/*
 * benchlib.c — helpers shared by the benchmark programs (benchlib.h).
 */
#define _XOPEN_SOURCE 700 /* nftw, dprintf */
#include "benchlib.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *bench_prog = "lumbung-bench";
char bench_tmp_root[PATH_MAX];
bool bench_keep_tmp;
volatile sig_atomic_t bench_interrupted;
static pid_t bench_kids[BENCH_MAX_KIDS]; /* children not yet reaped: killed by bench_die */
static size_t bench_nkids;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

void bench_cleanup(void)
{
	for (size_t i = 0; i < bench_nkids; i++) {
		kill(bench_kids[i], SIGKILL);
		waitpid(bench_kids[i], NULL, 0);
	}
	bench_nkids = 0;
	if (bench_tmp_root[0] && bench_keep_tmp)
		fprintf(stderr, "%s: kept %s\n", bench_prog, bench_tmp_root);
	else if (bench_tmp_root[0] && nftw(bench_tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "%s: warning: could not remove %s: %s\n", bench_prog, bench_tmp_root,
		        strerror(errno));
	bench_tmp_root[0] = '\0';
}

static void vnote(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", bench_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void bench_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

void bench_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	bench_cleanup();
	exit(1);
}

void bench_on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

void bench_check_interrupt(void)
{
	if (bench_interrupted)
		bench_die("interrupted");
}

double bench_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double bench_cpu_s(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec * 1e-6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec * 1e-6;
}

char *bench_pathf(char *buf, const char *fmt, ...)
{
	va_list ap;
	int k;
	va_start(ap, fmt);
	k = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	if (k < 0 || k >= PATH_MAX)
		bench_die("path too long under %s", bench_tmp_root);
	return buf;
}

void bench_first_line(const char *path, char *buf, size_t cap)
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

pid_t bench_spawn(char *const argv[], int in, int out, const char *out_path, const char *err_path)
{
	pid_t pid;

	fflush(NULL);
	if (bench_nkids == sizeof bench_kids / sizeof bench_kids[0])
		bench_die("too many children");
	if ((pid = fork()) < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		int i = in >= 0 ? in : open("/dev/null", O_RDONLY | O_CLOEXEC);
		int o = out >= 0 ? out
		                 : open(out_path ? out_path : "/dev/null",
		                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int e = open(err_path ? err_path : "/dev/null",
		             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		dprintf(2, "%s: cannot run %s: %s\n", bench_prog, argv[0], strerror(errno));
		_exit(127);
	}
	bench_kids[bench_nkids++] = pid;
	return pid;
}

void bench_forget(pid_t pid)
{
	for (size_t i = 0; i < bench_nkids; i++)
		if (bench_kids[i] == pid) {
			bench_kids[i] = bench_kids[--bench_nkids];
			return;
		}
}

void bench_reap(pid_t pid, int *status, struct rusage *ru)
{
	while (wait4(pid, status, 0, ru) < 0) {
		if (errno != EINTR)
			bench_die("wait4: %s", strerror(errno));
		bench_check_interrupt();
	}
	bench_forget(pid);
}

void bench_check_status(const char *what, int status, const char *err_path)
{
	char msg[512];
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	bench_first_line(err_path, msg, sizeof msg);
	if (WIFSIGNALED(status))
		bench_die("%s was killed by signal %d%s%s", what, WTERMSIG(status), *msg ? ": " : "",
		    msg);
	bench_die("%s exited with status %d%s%s", what, WEXITSTATUS(status), *msg ? ": " : "", msg);
}

void bench_run(char *const argv[], const char *out_path, const char *what)
{
	char err[PATH_MAX];
	struct rusage ru;
	int status;

	bench_pathf(err, "%s/last.err", bench_tmp_root);
	bench_reap(bench_spawn(argv, -1, -1, out_path, err), &status, &ru);
	bench_check_status(what, status, err);
}

const char *bench_grp(char *buf, size_t cap, double v)
{
	char raw[32];
	size_t n, o = 0;
	snprintf(raw, sizeof raw, "%.0f", v);
	n = strlen(raw);
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

size_t bench_count_arg(const char *opt, const char *s, size_t min, size_t max)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *s == '-' || errno || *end || v < min || v > max) {
		fprintf(stderr, "%s: %s: '%s' is not a whole number in %zu..%zu\n", bench_prog, opt, s,
		        min, max);
		exit(2);
	}
	return (size_t)v;
}

void bench_find_bindir(char bindir[PATH_MAX])
{
	char self[PATH_MAX];
	ssize_t k;

	if (bindir[0])
		return;
	if ((k = readlink("/proc/self/exe", self, sizeof self - 1)) < 0)
		bench_die("cannot find my own path (/proc/self/exe): %s; use --bindir",
		          strerror(errno));
	self[k] = '\0';
	*(strrchr(self, '/') ? strrchr(self, '/') : self) = '\0';
	memcpy(bindir, self, strlen(self) + 1);
}

void bench_need_binaries(const char *const paths[])
{
	for (size_t i = 0; paths[i]; i++)
		if (access(paths[i], X_OK))
			bench_die("%s: %s (build it with make binaries, or point --bindir at it)",
			          paths[i], strerror(errno));
}

void bench_machine(char *out, size_t cap, const char *dir)
{
	char line[512], cpu[128] = "unknown CPU", fs[32];
	struct utsname u = {0};
	struct statfs sf;
	FILE *f = fopen("/proc/cpuinfo", "r");
	int n;

	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			char *c = strchr(line, ':') + 1;
			c[strcspn(c, "\n")] = '\0';
			snprintf(cpu, sizeof cpu, "%s", c + strspn(c, " \t"));
			break;
		}
	if (f)
		fclose(f);
	uname(&u);
	n = snprintf(out, cap, "%ld CPUs (%s), %.0f MiB RAM, %s %s %s",
	             sysconf(_SC_NPROCESSORS_ONLN), cpu,
	             (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE) / 1048576.0,
	             u.sysname, u.release, u.machine);
	if (!dir || n < 0 || (size_t)n >= cap)
		return;
	snprintf(fs, sizeof fs, "fs 0x%lx", statfs(dir, &sf) ? 0ul : (unsigned long)sf.f_type);
	if (!strcmp(fs, "fs 0xef53"))
		snprintf(fs, sizeof fs, "ext4");
	else if (!strcmp(fs, "fs 0x1021994"))
		snprintf(fs, sizeof fs, "tmpfs");
	else if (!strcmp(fs, "fs 0x794c7630"))
		snprintf(fs, sizeof fs, "overlayfs");
	snprintf(out + n, cap - (size_t)n, "; temporary files on %s in `%s`", fs, dir);
}
