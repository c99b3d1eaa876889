/*
 * benchlib.h — what the benchmark programs share (lumbung-bench-sync,
 * lumbung-bench-audit): one line messages, dying cleanly (children killed,
 * the temporary tree removed), child processes, clocks, number formatting.
 * For tools only; never linked into the library.
 */
#ifndef LB_BENCHLIB_H
#define LB_BENCHLIB_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#define BENCH_MAX_KIDS 1024

extern const char *bench_prog;          /* set by main: prefix of every message */
extern char bench_tmp_root[PATH_MAX];   /* removed by bench_cleanup unless bench_keep_tmp */
extern bool bench_keep_tmp;
extern volatile sig_atomic_t bench_interrupted; /* set by bench_on_signal */

/* Kill and reap every child not yet reaped, remove bench_tmp_root. */
void bench_cleanup(void);
/* "prog: message" on stderr. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, then bench_cleanup and exit(1). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* SIGINT/SIGTERM handler; bench_check_interrupt dies once it fired. */
void bench_on_signal(int sig);
void bench_check_interrupt(void);
/* CLOCK_MONOTONIC seconds; user + system seconds of a rusage. */
double bench_now(void);
double bench_cpu_s(const struct rusage *ru);
/* snprintf into a PATH_MAX buffer, dying when it does not fit. */
char *bench_pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first line of a file (empty when unreadable). */
void bench_first_line(const char *path, char *buf, size_t cap);
/* Start argv[0] with stdin in (or /dev/null), stdout out (or out_path, or
 * /dev/null) and stderr err_path (or /dev/null); it is killed by
 * bench_die until reaped. */
pid_t bench_spawn(char *const argv[], int in, int out, const char *out_path, const char *err_path);
/* Stop tracking a child (reaped elsewhere). */
void bench_forget(pid_t pid);
/* wait4 for a child, dying on interrupt. */
void bench_reap(pid_t pid, int *status, struct rusage *ru);
/* Die naming what failed and the first line of its stderr. */
void bench_check_status(const char *what, int status, const char *err_path);
/* bench_spawn + bench_reap + bench_check_status. */
void bench_run(char *const argv[], const char *out_path, const char *what);
/* A whole number in min..max for option opt, or a usage message and exit 2. */
size_t bench_count_arg(const char *opt, const char *s, size_t min, size_t max);
/* Where the other binaries are: bindir as given, or (empty) this program's
 * own directory; then each of the NULL-terminated paths must be executable
 * (bench_die otherwise, saying how to build it). */
void bench_find_bindir(char bindir[PATH_MAX]);
void bench_need_binaries(const char *const paths[]);
/* "N CPUs (model), M MiB RAM, kernel" and, when dir is not NULL, the
 * filesystem the temporary files live on. */
void bench_machine(char *out, size_t cap, const char *dir);
/* v with thousands separators, into buf. */
const char *bench_grp(char *buf, size_t cap, double v);

#endif
