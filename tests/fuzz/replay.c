/*
 * replay.c — run a fuzz target over files, without libFuzzer: what
 * `make test` does with every seed corpus, and how a crash found by
 * `make fuzz` is replayed with any compiler and no clang.
 *
 *   build/tests/test_fuzz_NAME              every file of the seed corpus
 *                                           tests/fuzz/corpus/NAME/
 *   build/tests/test_fuzz_NAME PATH...      those files, or every file of
 *                                           those directories
 *
 * The target is linked in (tests/fuzz/fuzz_NAME.c); NAME comes from the
 * program's own name.  One TAP line per file ("ok N - NAME: file"); a file
 * that crashes the target kills the process (under ASan with its report),
 * which the test runner counts as a failure.  Exit 1 when no file was
 * found, 0 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef LB_FUZZ_CORPUS
#define LB_FUZZ_CORPUS "tests/fuzz/corpus"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned n_run;
static const char *target = "?";

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run one file; 0 on success, -1 when it cannot be read. */
static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		if (f)
			fclose(f);
		printf("not ok %u - %s: cannot read %s\n", ++n_run, target, path);
		return -1;
	}
	/* exactly len bytes (at least 1 allocated), so ASan sees any overread */
	if (!(buf = malloc(len ? (size_t)len : 1)) ||
	    (len && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
		free(buf);
		fclose(f);
		printf("not ok %u - %s: cannot read %s\n", ++n_run, target, path);
		return -1;
	}
	fclose(f);
	/* say which file first: a crash ends the process inside the call */
	fprintf(stderr, "%s: running %s\n", target, path);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	printf("ok %u - %s: %s\n", ++n_run, target, path);
	return 0;
}

/* A file, or every regular file of a directory in name order. */
static int run_path(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (stat(path, &st)) {
		printf("not ok %u - %s: no such file or directory %s\n", ++n_run, target, path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if (!(dir = opendir(path)))
		return -1;
	while ((de = readdir(dir))) {
		char *full;
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
			if (!nn)
				abort();
			names = nn;
		}
		if (!(full = malloc(strlen(path) + strlen(de->d_name) + 2)))
			abort();
		sprintf(full, "%s/%s", path, de->d_name);
		names[n++] = full;
	}
	closedir(dir);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode) && run_file(names[i]))
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	int rc = 0;

	base = base ? base + 1 : argv[0];
	target = strncmp(base, "test_fuzz_", 10) == 0 ? base + 10 : base;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (run_path(argv[i]))
				rc = 1;
	} else {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", LB_FUZZ_CORPUS, target);
		rc = run_path(dir) != 0;
	}
	if (!n_run) {
		printf("not ok 1 - %s: no input files\n1..1\n", target);
		return 1;
	}
	printf("1..%u\n", n_run); /* the TAP plan: tests/run.sh holds us to it */
	return rc;
}
